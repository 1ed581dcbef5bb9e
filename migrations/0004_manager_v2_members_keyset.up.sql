-- no-transaction
-- 0004_manager_v2_members_keyset (up): index members_team_created_idx on
-- manager.members (team_id, created_at, id) for v2 ListMembers keyset
-- pagination (and v1's ordering by create time, then id).
--
-- Safe under traffic: CREATE INDEX CONCURRENTLY does not block reads or
-- writes. It cannot run in a transaction, so this file runs outside one and
-- holds only this statement; lock_timeout and statement_timeout come from
-- the migrator's connection settings. If a build fails midway it leaves an
-- INVALID index that IF NOT EXISTS would keep; the migrator checks for
-- invalid indexes after every run and says to drop it and run again.
-- The timeouts are the migrator connection's: a SET here would wrap this
-- statement in an implicit transaction, which CONCURRENTLY refuses.
-- squawk-ignore require-lock-timeout, require-statement-timeout
CREATE INDEX CONCURRENTLY IF NOT EXISTS members_team_created_idx
    ON manager.members (team_id, created_at, id);
