-- no-transaction
-- 0004_manager_v2_members_keyset (down): drops index members_team_created_idx.
--
-- Loses no data; v2 ListMembers becomes slower on large teams.
--
-- Safe under traffic: DROP INDEX CONCURRENTLY waits for running queries
-- instead of blocking new ones, and must run outside a transaction as the
-- only statement of this file.
DROP INDEX CONCURRENTLY IF EXISTS manager.members_team_created_idx;
