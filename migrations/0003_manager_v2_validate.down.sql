-- 0003_manager_v2_validate (down): makes the four v2 checks NOT VALID again,
-- the state 0002 leaves them in, by dropping and re-adding each unchanged.
--
-- Loses nothing: no data changes, new writes stay checked.
--
-- Safe under traffic: adding a NOT VALID check does not scan the table, so
-- the ACCESS EXCLUSIVE lock on manager.members is brief.
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '60s';

ALTER TABLE manager.members
    DROP CONSTRAINT members_names_paired,
    DROP CONSTRAINT members_status_matches_archived,
    DROP CONSTRAINT members_status_valid,
    DROP CONSTRAINT members_full_name_length_v2,
    ADD CONSTRAINT members_full_name_length_v2
        CHECK (char_length(full_name) BETWEEN 1 AND 201) NOT VALID,
    ADD CONSTRAINT members_status_valid
        CHECK (status IS NULL OR status IN ('active', 'suspended', 'archived')) NOT VALID,
    ADD CONSTRAINT members_status_matches_archived
        CHECK (status IS NULL OR (status = 'archived') = archived) NOT VALID,
    ADD CONSTRAINT members_names_paired
        CHECK ((given_name IS NULL) = (family_name IS NULL)) NOT VALID;
