//! The task list: one statement that checks the team and the assignee
//! filter and reads one page.

use sqlx::PgPool;

use super::{split_option, task_row};
use crate::core::page::Page;
use crate::core::sql::app::{Task, TaskQuery, TaskState};
use crate::core::{Entity, Error, Result};
use crate::io::db::{created_bounds, unexpected};

/// A list filtered by a member the team does not have.
fn unknown_assignee_filter() -> Error {
    Error::FailedPrecondition("assignee_id is not a member of the team".into())
}

pub(super) async fn list_tasks(pool: &PgPool, query: TaskQuery) -> Result<Page<Task>> {
    let fetch = i64::from(query.page.size.get()) + 1;
    let (after_time, after_id, offset) = created_bounds(&query.page.start, |id| id.0);
    let (filter_assignee, assignee) = split_option(query.assignee_id);
    let rows = sqlx::query!(
        r#"SELECT t.id AS "team_found!",
                  (NOT $2 OR $3::uuid IS NULL OR EXISTS (
                     SELECT 1 FROM manager.members m WHERE m.team_id = t.id AND m.id = $3
                  )) AS "assignee_known!",
                  k.id AS "id?", k.team_id AS "team_id?", k.title AS "title?",
                  k.notes AS "notes?", k.state AS "state?", k.assignee_id, k.due_at,
                  k.created_at AS "created_at?", k.updated_at AS "updated_at?"
           FROM manager.teams t
           LEFT JOIN LATERAL (
             SELECT * FROM app.tasks k
             WHERE k.team_id = t.id
               AND (NOT $2 OR k.assignee_id IS NOT DISTINCT FROM $3)
               AND ($4::text IS NULL OR k.state = $4)
               AND ($5::timestamptz IS NULL OR (k.created_at, k.id) > ($5, $6::uuid))
             ORDER BY k.created_at, k.id
             LIMIT $7 OFFSET $8
           ) k ON true
           WHERE t.id = $1
           ORDER BY k.created_at, k.id"#,
        query.team_id.0,
        filter_assignee,
        assignee.map(|m| m.0),
        query.state.map(TaskState::as_stored),
        after_time,
        after_id,
        fetch,
        offset,
    )
    .fetch_all(pool)
    .await
    .map_err(unexpected)?;
    match rows.first() {
        None => return Err(Error::not_found(Entity::Team, query.team_id)),
        Some(first) if !first.assignee_known => return Err(unknown_assignee_filter()),
        Some(_) => {}
    }
    let tasks = rows
        .into_iter()
        .filter_map(|r| {
            task_row(
                r.id,
                r.team_id,
                r.title,
                r.notes,
                r.state,
                r.assignee_id,
                r.due_at,
                r.created_at,
                r.updated_at,
            )
        })
        .map(Task::try_from)
        .collect::<Result<Vec<_>>>()?;
    Ok(Page::from_overfetch(tasks, query.page.size))
}
