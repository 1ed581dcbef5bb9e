-- One page of a team's tasks, ordered by create time, then id, with the
-- optional assignee and state filters; also whether the team exists (no
-- row at all when it does not, hence "found" is always true) and whether
-- the assignee filter names a member of the team, in one round trip. As
-- in list_members.sql, the page start is always a row comparison and the
-- optional filters are CASEs, so the plan walks tasks_team_created_idx
-- from the start position. The page shape is written here again rather
-- than shared with list_members.sql: each file is a whole statement, the
-- one sqlx checks at compile time and tests/real/plans.rs prepares.
SELECT true AS "found!",
       (NOT $2 OR $3::uuid IS NULL OR EXISTS (
          SELECT 1 FROM manager.members m WHERE m.team_id = t.id AND m.id = $3
       )) AS "assignee_ok!",
       k.id AS "id?", k.team_id AS "team_id?", k.title AS "title?",
       k.notes AS "notes?", k.state AS "state?", k.assignee_id, k.due_at,
       k.created_at AS "created_at?", k.updated_at AS "updated_at?"
FROM manager.teams t
LEFT JOIN LATERAL (
  SELECT * FROM app.tasks k
  WHERE k.team_id = t.id
    AND CASE WHEN $2 THEN k.assignee_id IS NOT DISTINCT FROM $3 ELSE true END
    AND CASE WHEN $4::text IS NULL THEN true ELSE k.state = $4 END
    AND (k.created_at, k.id) > (coalesce($5::timestamptz, '-infinity'),
                                coalesce($6::uuid, '00000000-0000-0000-0000-000000000000'))
  ORDER BY k.created_at, k.id
  LIMIT $7 OFFSET $8
) k ON true
WHERE t.id = $1
ORDER BY k.created_at, k.id
