//! `TaskStore` on PostgreSQL: the `app` schema (tasks), which refers to
//! `manager` teams and members.
//!
//! Contract: implements `core::sql::app::TaskStore` exactly as the shared
//! contract suite states it, one statement per call. An assignee is checked
//! and locked (`FOR SHARE`) in the same statement that writes the task, so a
//! member cannot be archived between the check and the write. Must not
//! import tonic, prost or `api`.

use time::OffsetDateTime;
use tracing::Instrument;
use uuid::Uuid;

mod lists;

use lists::list_tasks;

use super::{Sessions, retry_once_on_conflict, statement, unexpected};
use crate::core::fields::{MemberId, TaskId, TeamId};
use crate::core::page::Page;
use crate::core::sql::app::{
    AssigneeFilter, Change, NewTask, Task, TaskPatch, TaskQuery, TaskState, TaskStore,
};
use crate::core::{Entity, Error, Result};

/// The PostgreSQL store of tasks.
#[derive(Debug, Clone)]
pub struct PgTaskStore {
    sessions: Sessions,
}

impl PgTaskStore {
    /// A store over `sessions`, which should be connected as the DML-only
    /// login.
    pub fn new(sessions: Sessions) -> Self {
        Self { sessions }
    }
}

/// The two parameters of `CASE WHEN $applies THEN $value ELSE … END`, by
/// which one statement serves every shape of an optional change or filter.
trait CaseWhen<T> {
    /// Whether the value applies, and the value.
    fn case_when(self) -> (bool, Option<T>);
}

/// Written when set or cleared; kept otherwise.
impl<T> CaseWhen<T> for Change<T> {
    fn case_when(self) -> (bool, Option<T>) {
        match self {
            Self::Keep => (false, None),
            Self::Clear => (true, None),
            Self::Set(value) => (true, Some(value)),
        }
    }
}

/// Compared when it names a member or asks for unassigned tasks.
impl CaseWhen<MemberId> for AssigneeFilter {
    fn case_when(self) -> (bool, Option<MemberId>) {
        match self {
            Self::Any => (false, None),
            Self::Unassigned => (true, None),
            Self::Member(member) => (true, Some(member)),
        }
    }
}

/// An `app.tasks` row.
struct TaskRow {
    id: Uuid,
    team_id: Uuid,
    title: String,
    notes: String,
    state: String,
    assignee_id: Option<Uuid>,
    due_at: Option<OffsetDateTime>,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

impl TryFrom<TaskRow> for Task {
    type Error = Error;

    fn try_from(row: TaskRow) -> Result<Self> {
        let state = TaskState::from_stored(&row.state)
            .ok_or_else(|| Error::Internal(format!("unknown task state {:?}", row.state).into()))?;
        Ok(Task {
            id: TaskId(row.id),
            team_id: TeamId(row.team_id),
            title: row.title,
            notes: row.notes,
            state,
            assignee_id: row.assignee_id.map(MemberId),
            due_time: row.due_at,
            create_time: row.created_at,
            update_time: row.updated_at,
        })
    }
}

/// A task write as one statement, answering one [`JoinedTask`]. `$ctes`
/// (a `WITH` clause) names `target`, whose absence is NOT_FOUND (the team
/// of a new task, the task updated); `ok`, one row telling whether the
/// assignee is acceptable; and `task`, the row written (`RETURNING`).
///
/// The answer names its columns rather than `task.*` because sqlx's macros
/// read columns by position, and a later migration may change the table
/// under a running older release. `+` joins the literals into one
/// statement, which sqlx still checks whole at compile time.
macro_rules! task_write {
    ($ctes:literal, $($bind:expr),+ $(,)?) => {
        sqlx::query_as!(
            JoinedTask,
            $ctes
                + r#"
               SELECT EXISTS (SELECT 1 FROM target) AS "found!", (SELECT ok FROM ok) AS "assignee_ok!",
                      task.id AS "id?", task.team_id AS "team_id?", task.title AS "title?",
                      task.notes AS "notes?", task.state AS "state?", task.assignee_id,
                      task.due_at, task.created_at AS "created_at?", task.updated_at AS "updated_at?"
               FROM (SELECT 1) AS one LEFT JOIN task ON true"#,
            $($bind),+
        )
    };
}

/// A task statement's answer: whether its target (team or task) exists,
/// whether the assignee is acceptable (a write's new assignee, a list's
/// assignee filter), and the task row, if any (outer-joined, hence every
/// column nullable). Task writes return one; a list returns one per task.
struct JoinedTask {
    found: bool,
    assignee_ok: bool,
    id: Option<Uuid>,
    team_id: Option<Uuid>,
    title: Option<String>,
    notes: Option<String>,
    state: Option<String>,
    assignee_id: Option<Uuid>,
    due_at: Option<OffsetDateTime>,
    created_at: Option<OffsetDateTime>,
    updated_at: Option<OffsetDateTime>,
}

impl JoinedTask {
    /// The task written, or why none was: `missing` when the target does
    /// not exist.
    fn into_task(self, missing: Error) -> Result<Task> {
        let (found, assignee_ok) = (self.found, self.assignee_ok);
        match (found, assignee_ok, self.row()) {
            (false, _, _) => Err(missing),
            (true, false, _) => Err(Error::assignee_not_active_member()),
            (true, true, Some(row)) => row.try_into(),
            (true, true, None) => Err(Error::Internal("task write returned no row".into())),
        }
    }

    /// The task row, when the outer join found one.
    fn row(self) -> Option<TaskRow> {
        Some(TaskRow {
            id: self.id?,
            team_id: self.team_id?,
            title: self.title?,
            notes: self.notes?,
            state: self.state?,
            assignee_id: self.assignee_id,
            due_at: self.due_at,
            created_at: self.created_at?,
            updated_at: self.updated_at?,
        })
    }
}

impl TaskStore for PgTaskStore {
    async fn create_task(&self, task: NewTask) -> Result<Task> {
        let (id, task) = (TaskId::generate(), &task);
        let written = retry_once_on_conflict(move || async move {
            task_write!(
                r#"WITH target AS (SELECT id FROM manager.teams WHERE id = $2),
                    assignee AS (
                      SELECT m.id FROM manager.members m
                      WHERE m.id = $5 AND m.team_id = $2
                        AND manager.effective_status(m.status, m.archived) = 'active'
                      FOR SHARE),
                    ok AS (SELECT $5::uuid IS NULL OR EXISTS (SELECT 1 FROM assignee) AS ok),
                    task AS (
                      INSERT INTO app.tasks (id, team_id, title, notes, state, assignee_id, due_at)
                      SELECT $1, target.id, $3, $4, 'todo', $5, $6 FROM target, ok WHERE ok.ok
                      RETURNING *)"#,
                id.0,
                task.team_id.0,
                task.title.as_str(),
                task.notes.as_str(),
                task.assignee_id.map(|m| m.0),
                task.due_time,
            )
            .fetch_one(&mut *self.sessions.get().await?)
            .instrument(statement("INSERT app.tasks"))
            .await
            .map_err(unexpected)
        })
        .await?;
        written.into_task(Error::not_found(Entity::Team, task.team_id))
    }

    async fn get_task(&self, id: TaskId) -> Result<Task> {
        sqlx::query_as!(
            TaskRow,
            r#"SELECT id, team_id, title, notes, state, assignee_id, due_at, created_at, updated_at
               FROM app.tasks WHERE id = $1"#,
            id.0,
        )
        .fetch_optional(&mut *self.sessions.get().await?)
        .instrument(statement("SELECT app.tasks"))
        .await
        .map_err(unexpected)?
        .ok_or_else(|| Error::not_found(Entity::Task, id))?
        .try_into()
    }

    async fn list_tasks(&self, query: TaskQuery) -> Result<Page<Task>> {
        list_tasks(&mut *self.sessions.get().await?, query).await
    }

    async fn update_task(&self, id: TaskId, patch: TaskPatch) -> Result<Task> {
        let (set_assignee, assignee) = patch.assignee_id.case_when();
        let (set_due, due) = patch.due_time.case_when();
        let patch = &patch;
        // updated_at strictly increases, as for members, so clients can
        // order observations of a task by it.
        let written = retry_once_on_conflict(move || async move {
            task_write!(
                r#"WITH target AS (SELECT id, team_id FROM app.tasks WHERE id = $1 FOR UPDATE),
                    assignee AS (
                      SELECT m.id FROM manager.members m JOIN target ON m.team_id = target.team_id
                      WHERE m.id = $6
                        AND manager.effective_status(m.status, m.archived) = 'active'
                      FOR SHARE OF m),
                    ok AS (SELECT NOT $5 OR $6::uuid IS NULL OR EXISTS (SELECT 1 FROM assignee) AS ok),
                    task AS (
                      UPDATE app.tasks t
                      SET title = coalesce($2, t.title), notes = coalesce($3, t.notes),
                          state = coalesce($4, t.state),
                          assignee_id = CASE WHEN $5 THEN $6 ELSE t.assignee_id END,
                          due_at = CASE WHEN $7 THEN $8 ELSE t.due_at END,
                          updated_at = greatest(clock_timestamp(), t.updated_at + interval '1 microsecond')
                      FROM target, ok WHERE t.id = target.id AND ok.ok
                      RETURNING t.*)"#,
                id.0,
                patch.title.as_ref().map(|t| t.as_str()),
                patch.notes.as_ref().map(|n| n.as_str()),
                patch.state.map(TaskState::as_stored),
                set_assignee,
                assignee.map(|m| m.0),
                set_due,
                due,
            )
            .fetch_one(&mut *self.sessions.get().await?)
            .instrument(statement("UPDATE app.tasks"))
            .await
            .map_err(unexpected)
        })
        .await?;
        written.into_task(Error::not_found(Entity::Task, id))
    }

    async fn delete_task(&self, id: TaskId) -> Result<()> {
        let result = retry_once_on_conflict(move || async move {
            sqlx::query!("DELETE FROM app.tasks WHERE id = $1", id.0)
                .execute(&mut *self.sessions.get().await?)
                .instrument(statement("DELETE app.tasks"))
                .await
                .map_err(unexpected)
        })
        .await?;
        if result.rows_affected() == 0 {
            return Err(Error::not_found(Entity::Task, id));
        }
        Ok(())
    }
}
