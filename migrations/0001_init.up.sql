-- 0001_init (up): the schema the original v1-only release needs.
--
-- Creates the schemas `manager` (teams, members) and `app` (tasks), every
-- constraint and index with an explicit name (the service maps errors by
-- constraint name), and the NOLOGIN group role `dbrepo_dml` that runtime
-- logins are granted: DML on the tables and SELECT on `_sqlx_migrations`
-- for the startup schema gate, nothing else (no DDL, no TRUNCATE).
--
-- Safe under traffic: it only creates new objects, so nothing that already
-- exists is locked. The role is created only when missing because roles are
-- cluster-wide and several databases of one cluster get migrated.
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '60s';

CREATE SCHEMA manager;
CREATE SCHEMA app;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'dbrepo_dml') THEN
        CREATE ROLE dbrepo_dml NOLOGIN;
    END IF;
EXCEPTION
    -- Another database of the same cluster created it concurrently.
    WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

CREATE TABLE manager.teams (
    id uuid NOT NULL,
    name text NOT NULL,
    description text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT teams_pkey PRIMARY KEY (id),
    CONSTRAINT teams_name_length CHECK (char_length(name) BETWEEN 1 AND 200),
    CONSTRAINT teams_description_length CHECK (char_length(description) <= 10000)
);

-- Case-insensitive uniqueness of team names; the same expression in the
-- "C" collation is the list order, so this index also serves ListTeams.
CREATE UNIQUE INDEX teams_name_key ON manager.teams ((lower(name) COLLATE "C"));

CREATE TABLE manager.members (
    id uuid NOT NULL,
    team_id uuid NOT NULL,
    full_name text NOT NULL,
    email text NOT NULL,
    archived boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT members_pkey PRIMARY KEY (id),
    CONSTRAINT members_team_id_fkey FOREIGN KEY (team_id) REFERENCES manager.teams (id),
    -- Target of app.tasks' composite foreign key: an assignee is a member
    -- of the task's own team. Its index also serves members_team_id_fkey.
    CONSTRAINT members_team_id_id_key UNIQUE (team_id, id),
    CONSTRAINT members_full_name_length CHECK (char_length(full_name) BETWEEN 1 AND 200),
    CONSTRAINT members_email_length CHECK (char_length(email) BETWEEN 1 AND 254)
);

-- Emails are stored as written and unique within a team case-insensitively.
CREATE UNIQUE INDEX members_team_email_key ON manager.members (team_id, lower(email));

CREATE TABLE app.tasks (
    id uuid NOT NULL,
    team_id uuid NOT NULL,
    title text NOT NULL,
    notes text NOT NULL DEFAULT '',
    state text NOT NULL DEFAULT 'todo',
    assignee_id uuid NULL,
    due_at timestamptz NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tasks_pkey PRIMARY KEY (id),
    CONSTRAINT tasks_team_id_fkey FOREIGN KEY (team_id) REFERENCES manager.teams (id),
    -- Deleting a member unassigns its tasks; only assignee_id is nulled
    -- (PostgreSQL 15 column-list form), team_id stays.
    CONSTRAINT tasks_assignee_fkey FOREIGN KEY (team_id, assignee_id)
        REFERENCES manager.members (team_id, id) ON DELETE SET NULL (assignee_id),
    CONSTRAINT tasks_title_length CHECK (char_length(title) BETWEEN 1 AND 200),
    CONSTRAINT tasks_notes_length CHECK (char_length(notes) <= 10000),
    CONSTRAINT tasks_state_valid CHECK (state IN ('todo', 'doing', 'done'))
);

-- Keyset pagination of ListTasks: (created_at, id) within a team.
CREATE INDEX tasks_team_created_idx ON app.tasks (team_id, created_at, id);
-- Finds the tasks to unassign when a member is deleted.
CREATE INDEX tasks_assignee_idx ON app.tasks (assignee_id);

GRANT USAGE ON SCHEMA manager, app TO dbrepo_dml;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA manager, app TO dbrepo_dml;
ALTER DEFAULT PRIVILEGES IN SCHEMA manager, app
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO dbrepo_dml;
-- The service checks at startup that the schema is new enough for it.
GRANT SELECT ON public._sqlx_migrations TO dbrepo_dml;
