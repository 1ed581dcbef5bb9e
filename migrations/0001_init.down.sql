-- 0001_init (down): removes everything 0001_init created in this database.
--
-- LOSES ALL DATA: every team, member and task is dropped with its schema.
-- Only for development and for emptying a database; never run it against
-- a database whose data matters.
--
-- The role `dbrepo_dml` is kept: roles are cluster-wide, so other databases
-- of the same cluster may still use it and grant it to their logins.
-- Its privileges in this database go away with the schemas (including the
-- default privileges set on them); the grant on `_sqlx_migrations` is
-- revoked explicitly because that table stays.
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '60s';

REVOKE SELECT ON public._sqlx_migrations FROM dbrepo_dml;
ALTER DEFAULT PRIVILEGES IN SCHEMA manager, app
    REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM dbrepo_dml;

DROP TABLE app.tasks;
DROP TABLE manager.members;
DROP TABLE manager.teams;
DROP SCHEMA app;
DROP SCHEMA manager;
