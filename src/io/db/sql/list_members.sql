-- One page of a team's members, ordered by create time, then id.
-- The team row is joined so that an unknown team (no row at all) is told
-- apart from an empty team (one row of NULL members) in one round trip.
-- The page start is always a row comparison (-infinity and the nil UUID
-- without a cursor), never an optional OR: the plan then walks
-- members_team_created_idx from the start position and reads one page,
-- also as the generic plan of the prepared statement. For the same reason
-- the optional filter is a CASE, which the planner takes to keep half the
-- rows, not an OR, which it takes to keep a few: expecting a few rows, it
-- would rather read and sort the whole team. manager.effective_status is
-- an inlined SQL function (0005): the plan is that of its expression.
SELECT m.id AS "id?", m.team_id AS "team_id?", m.full_name AS "full_name?",
       m.given_name, m.family_name, m.email AS "email?", m.status,
       m.archived AS "archived?", m.created_at AS "created_at?",
       m.updated_at AS "updated_at?"
FROM manager.teams t
LEFT JOIN LATERAL (
  SELECT * FROM manager.members m
  WHERE m.team_id = t.id
    AND CASE WHEN cardinality($2::text[]) = 0 THEN true
             ELSE manager.effective_status(m.status, m.archived) = ANY ($2)
        END
    AND (m.created_at, m.id) > (coalesce($3::timestamptz, '-infinity'),
                                coalesce($4::uuid, '00000000-0000-0000-0000-000000000000'))
  ORDER BY m.created_at, m.id
  LIMIT $5 OFFSET $6
) m ON true
WHERE t.id = $1
ORDER BY m.created_at, m.id
