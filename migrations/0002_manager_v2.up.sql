-- 0002_manager_v2 (up): expand step for manager v2.
--
-- Adds manager.members.given_name, family_name and status. All three are
-- nullable without default, which PostgreSQL 15 adds as a catalog-only
-- change (no table rewrite). NULL given/family names mean "derive them
-- from full_name when reading" and NULL status means "derive it from
-- archived", so no row has to be backfilled before v2 can serve it.
--
-- Constraints are added NOT VALID (checked for new writes only, no scan of
-- existing rows); 0003 validates them without blocking writes. The full
-- name limit grows from 200 to 201 characters because a v2 write of a
-- 100 + 100 character name is stored joined by one space in full_name.
--
-- Trigger `members_v2_sync` (function `manager.members_v2_sync()`) keeps the
-- v2 view right when a writer that knows only v1's columns (the previous
-- release during a rolling deploy) changes a row:
--   * every UPDATE moves updated_at strictly forward (the v2 etag);
--   * an UPDATE that changes full_name but not given/family nulls both, so
--     they are derived again from the new full_name;
--   * an UPDATE that changes archived but not status sets the status that
--     matches archived (archived / active);
--   * an INSERT without status gets the status that matches archived.
-- Write-path cost: one row-level BEFORE trigger that only edits NEW in
-- memory, no extra reads or writes.
--
-- Safe under traffic: every statement is catalog-only, so the ACCESS
-- EXCLUSIVE lock on manager.members is held for milliseconds; lock_timeout
-- makes the step fail fast instead of queueing behind a long transaction.
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '60s';

ALTER TABLE manager.members
    ADD COLUMN given_name text,
    ADD COLUMN family_name text,
    ADD COLUMN status text,
    DROP CONSTRAINT members_full_name_length,
    ADD CONSTRAINT members_full_name_length_v2
        CHECK (char_length(full_name) BETWEEN 1 AND 201) NOT VALID,
    ADD CONSTRAINT members_status_valid
        CHECK (status IS NULL OR status IN ('active', 'suspended', 'archived')) NOT VALID,
    ADD CONSTRAINT members_status_matches_archived
        CHECK (status IS NULL OR (status = 'archived') = archived) NOT VALID,
    ADD CONSTRAINT members_names_paired
        CHECK ((given_name IS NULL) = (family_name IS NULL)) NOT VALID;

CREATE FUNCTION manager.members_v2_sync() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        NEW.updated_at := greatest(clock_timestamp(), OLD.updated_at + interval '1 microsecond');
        IF NEW.full_name IS DISTINCT FROM OLD.full_name
           AND NEW.given_name IS NOT DISTINCT FROM OLD.given_name
           AND NEW.family_name IS NOT DISTINCT FROM OLD.family_name THEN
            NEW.given_name := NULL;
            NEW.family_name := NULL;
        END IF;
        IF NEW.archived IS DISTINCT FROM OLD.archived
           AND NEW.status IS NOT DISTINCT FROM OLD.status THEN
            NEW.status := CASE WHEN NEW.archived THEN 'archived' ELSE 'active' END;
        END IF;
    ELSIF NEW.status IS NULL THEN
        NEW.status := CASE WHEN NEW.archived THEN 'archived' ELSE 'active' END;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER members_v2_sync
    BEFORE INSERT OR UPDATE ON manager.members
    FOR EACH ROW EXECUTE FUNCTION manager.members_v2_sync();
