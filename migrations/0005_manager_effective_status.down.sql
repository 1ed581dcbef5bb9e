-- 0005_manager_effective_status (down): puts back 0002's body of trigger
-- function manager.members_v2_sync() (the rule written out) and drops
-- function manager.effective_status. Loses nothing: no data changes.
--
-- Safe under traffic: no lock on manager.members; the trigger keeps firing.
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '60s';

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
            NEW.status := CASE WHEN NEW.archived THEN 'archived' ELSE 'active' END;
        END IF;
    ELSIF NEW.status IS NULL THEN
        NEW.status := CASE WHEN NEW.archived THEN 'archived' ELSE 'active' END;
    END IF;
    RETURN NEW;
END
$$;

DROP FUNCTION manager.effective_status(text, boolean);
