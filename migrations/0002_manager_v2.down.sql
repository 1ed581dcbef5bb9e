-- 0002_manager_v2 (down): removes the manager v2 expand step.
--
-- Drops trigger `members_v2_sync`, function `manager.members_v2_sync()`, the
-- columns given_name, family_name and status, and the v2 checks.
--
-- LOSES v2-only detail: given and family names as v2 wrote them (v1 keeps
-- reading the joined full_name) and the SUSPENDED status (such members read
-- as not archived in v1, exactly as v1 saw them before). Nothing v1 can see
-- is lost: full_name, email and archived are untouched.
--
-- members_full_name_length (1..200) comes back NOT VALID: rows that v2
-- wrote with 201-character names stay as they are, while new writes are
-- held to the v1 limit again. Validating it is not attempted.
--
-- Safe under traffic: catalog-only changes (dropped columns are only
-- marked dropped), so the ACCESS EXCLUSIVE lock is brief.
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '60s';

DROP TRIGGER members_v2_sync ON manager.members;
DROP FUNCTION manager.members_v2_sync();

ALTER TABLE manager.members
    DROP CONSTRAINT members_names_paired,
    DROP CONSTRAINT members_status_matches_archived,
    DROP CONSTRAINT members_status_valid,
    DROP CONSTRAINT members_full_name_length_v2,
    DROP COLUMN status,
    DROP COLUMN family_name,
    DROP COLUMN given_name,
    ADD CONSTRAINT members_full_name_length
        CHECK (char_length(full_name) BETWEEN 1 AND 200) NOT VALID;
