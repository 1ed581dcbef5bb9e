-- 0005_manager_effective_status (up): function manager.effective_status,
-- the one SQL home of the rule "a member without a stored status has the
-- status its archived flag implies" (rows written before 0002, or by the
-- previous release, which knows only `archived`).
--
-- The service's statements read a member's status through it, and trigger
-- function `manager.members_v2_sync()` (0002) is replaced by the same body
-- calling it, so the rule is no longer restated in either. The function is
-- SQL, IMMUTABLE and a single expression: the planner inlines it, so a
-- statement using it plans and runs as if the expression were written out
-- (the ordered index scans of the member and task lists are unchanged).
-- The Rust side of the rule is `dbrepo_rules::status_of_archived`.
--
-- Safe under traffic: CREATE FUNCTION and CREATE OR REPLACE FUNCTION take
-- no lock on manager.members; the trigger keeps firing throughout, and a
-- statement already running keeps the body it started with.
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '60s';

CREATE FUNCTION manager.effective_status(status text, archived boolean) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT coalesce(status, CASE WHEN archived THEN 'archived' ELSE 'active' END) $$;

CREATE OR REPLACE FUNCTION manager.members_v2_sync() RETURNS trigger
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
            -- A writer of `archived` alone: the status archived implies.
            NEW.status := manager.effective_status(NULL, NEW.archived);
        END IF;
    ELSE
        NEW.status := manager.effective_status(NEW.status, NEW.archived);
    END IF;
    RETURN NEW;
END
$$;
