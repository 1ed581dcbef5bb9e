-- 0003_manager_v2_validate (up): validates the checks 0002 added NOT VALID:
-- members_full_name_length_v2, members_status_valid,
-- members_status_matches_archived and members_names_paired.
--
-- Safe under traffic: VALIDATE CONSTRAINT scans the table holding only a
-- SHARE UPDATE EXCLUSIVE lock, which lets reads and writes go on. It is a
-- separate migration so that 0002's brief ACCESS EXCLUSIVE lock is never
-- held during the scan. The statement timeout is generous for that scan.
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '30min';

ALTER TABLE manager.members VALIDATE CONSTRAINT members_full_name_length_v2;
ALTER TABLE manager.members VALIDATE CONSTRAINT members_status_valid;
ALTER TABLE manager.members VALIDATE CONSTRAINT members_status_matches_archived;
ALTER TABLE manager.members VALIDATE CONSTRAINT members_names_paired;
