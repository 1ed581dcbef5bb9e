//! The task list: one statement that checks the team and the assignee
//! filter and reads one page.

use sqlx::PgConnection;
use tracing::Instrument;

use super::{CaseWhen, JoinedTask};
use crate::core::page::Page;
use crate::core::sql::app::{Task, TaskQuery, TaskState};
use crate::core::{Entity, Error, Result};
use crate::io::db::{created_bounds, statement, unexpected};

pub(super) async fn list_tasks(db: &mut PgConnection, query: TaskQuery) -> Result<Page<Task>> {
    let fetch = i64::from(query.page.size.get()) + 1;
    let (after_time, after_id, offset) = created_bounds(&query.page.start, |id| id.0);
    let (filter_assignee, assignee) = query.assignee_id.case_when();
    let rows = sqlx::query_file_as!(
        JoinedTask,
        "src/io/db/sql/list_tasks.sql",
        query.team_id.0,
        filter_assignee,
        assignee.map(|m| m.0),
        query.state.map(TaskState::as_stored),
        after_time,
        after_id,
        fetch,
        offset,
    )
    .fetch_all(db)
    .instrument(statement("SELECT app.tasks"))
    .await
    .map_err(unexpected)?;
    match rows.first() {
        None => return Err(Error::not_found(Entity::Team, query.team_id)),
        Some(first) if !first.assignee_ok => return Err(Error::assignee_filter_not_in_team()),
        Some(_) => {}
    }
    let tasks = rows
        .into_iter()
        .filter_map(JoinedTask::row)
        .map(Task::try_from)
        .collect::<Result<Vec<_>>>()?;
    Ok(Page::from_overfetch(tasks, query.page.size))
}
