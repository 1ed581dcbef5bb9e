//! `dbrepo.app.v1.TaskService`: tasks of a team, over `TaskStore`.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use crate::core::fields::{MemberId, Notes, PageSize, TaskId, TeamId, Title};
use crate::core::page::{CreatedCursor, PageRequest, PageStart};
use crate::core::sql::app::{
    AssigneeFilter, Change, NewTask, Task, TaskPatch, TaskQuery, TaskState, TaskStore,
};
use crate::core::{Error, Violation};
use crate::proto::app::v1 as pb;

use super::super::page_token::{self, Position};
use super::super::{known_enum, time_from, timestamp};

/// The v1 task service over a task store.
#[derive(Debug)]
pub struct TaskV1Service<T> {
    store: Arc<T>,
}

impl<T: TaskStore> TaskV1Service<T> {
    /// A service over `store`.
    pub fn new(store: Arc<T>) -> Self {
        Self { store }
    }
}

#[tonic::async_trait]
impl<T: TaskStore> pb::task_service_server::TaskService for TaskV1Service<T> {
    async fn create_task(
        &self,
        request: Request<pb::CreateTaskRequest>,
    ) -> Result<Response<pb::CreateTaskResponse>, Status> {
        let r = request.into_inner();
        let task = NewTask {
            team_id: TeamId::parse(&r.team_id).map_err(|v| v.on("team_id"))?,
            title: Title::parse(r.title).map_err(|v| v.on("title"))?,
            notes: Notes::parse(r.notes).map_err(|v| v.on("notes"))?,
            assignee_id: optional_member(r.assignee_id.as_deref().unwrap_or(""))?,
            due_time: r
                .due_time
                .as_ref()
                .map(|t| time_from(t, "due_time"))
                .transpose()?,
        };
        let task = self.store.create_task(task).await?;
        Ok(Response::new(pb::CreateTaskResponse {
            task: Some(task_to_pb(task)),
        }))
    }

    async fn get_task(
        &self,
        request: Request<pb::GetTaskRequest>,
    ) -> Result<Response<pb::GetTaskResponse>, Status> {
        let id = TaskId::parse(&request.into_inner().id).map_err(|v| v.on("id"))?;
        let task = self.store.get_task(id).await?;
        Ok(Response::new(pb::GetTaskResponse {
            task: Some(task_to_pb(task)),
        }))
    }

    async fn list_tasks(
        &self,
        request: Request<pb::ListTasksRequest>,
    ) -> Result<Response<pb::ListTasksResponse>, Status> {
        let r = request.into_inner();
        let team_id = TeamId::parse(&r.team_id).map_err(|v| v.on("team_id"))?;
        let assignee_id = match r.assignee_id.as_deref().map(optional_member).transpose()? {
            None => AssigneeFilter::Any,
            Some(None) => AssigneeFilter::Unassigned,
            Some(Some(member)) => AssigneeFilter::Member(member),
        };
        let state = r.state.map(|s| state_from(s, "state")).transpose()?;
        let size = PageSize::parse(r.page_size).map_err(|v| v.on("page_size"))?;
        let query_key = format!(
            "app.v1.ListTasks|team={team_id}|assignee={:?}|state={state:?}",
            fingerprint(assignee_id)
        );
        let start = match page_token::decode(&query_key, &r.page_token)? {
            None => PageStart::First,
            Some(p) => PageStart::After(CreatedCursor {
                create_time: p.time,
                id: TaskId(p.id),
            }),
        };
        let query = TaskQuery {
            team_id,
            assignee_id,
            state,
            page: PageRequest { start, size },
        };
        let page = self.store.list_tasks(query).await?;
        let next_page_token = page_token::after(&query_key, &page, |last| Position {
            name: String::new(),
            time: last.create_time,
            id: last.id.0,
        });
        let tasks = page.items.into_iter().map(task_to_pb).collect();
        Ok(Response::new(pb::ListTasksResponse {
            tasks,
            next_page_token,
        }))
    }

    async fn update_task(
        &self,
        request: Request<pb::UpdateTaskRequest>,
    ) -> Result<Response<pb::UpdateTaskResponse>, Status> {
        let r = request.into_inner();
        let id = TaskId::parse(&r.id).map_err(|v| v.on("id"))?;
        let patch = TaskPatch {
            title: r
                .title
                .map(Title::parse)
                .transpose()
                .map_err(|v| v.on("title"))?,
            notes: r
                .notes
                .map(Notes::parse)
                .transpose()
                .map_err(|v| v.on("notes"))?,
            state: r.state.map(|s| state_from(s, "state")).transpose()?,
            assignee_id: match r.assignee_id.as_deref().map(optional_member).transpose()? {
                None => Change::Keep,
                Some(None) => Change::Clear,
                Some(Some(member)) => Change::Set(member),
            },
            due_time: due_time_change(r.due_time.as_ref(), r.clear_due_time)?,
        };
        let task = self.store.update_task(id, patch).await?;
        Ok(Response::new(pb::UpdateTaskResponse {
            task: Some(task_to_pb(task)),
        }))
    }

    async fn delete_task(
        &self,
        request: Request<pb::DeleteTaskRequest>,
    ) -> Result<Response<pb::DeleteTaskResponse>, Status> {
        let id = TaskId::parse(&request.into_inner().id).map_err(|v| v.on("id"))?;
        self.store.delete_task(id).await?;
        Ok(Response::new(pb::DeleteTaskResponse {}))
    }
}

/// An assignee field: empty means none, otherwise a member id.
fn optional_member(value: &str) -> Result<Option<MemberId>, Error> {
    if value.is_empty() {
        return Ok(None);
    }
    MemberId::parse(value)
        .map(Some)
        .map_err(|v| v.on("assignee_id"))
}

/// The assignee filter as page tokens have fingerprinted it since the
/// first release (the `Debug` text of `Option<Option<MemberId>>`), so a
/// token survives an upgrade or a rollback in the middle of a listing.
fn fingerprint(filter: AssigneeFilter) -> Option<Option<MemberId>> {
    match filter {
        AssigneeFilter::Any => None,
        AssigneeFilter::Unassigned => Some(None),
        AssigneeFilter::Member(member) => Some(Some(member)),
    }
}

/// `due_time` sets, `clear_due_time` removes, neither keeps; both is an error.
fn due_time_change(
    due_time: Option<&prost_types::Timestamp>,
    clear: bool,
) -> Result<Change<time::OffsetDateTime>, Error> {
    match (due_time, clear) {
        (Some(_), true) => {
            Err(Violation("cannot be set together with due_time".into()).on("clear_due_time"))
        }
        (Some(t), false) => Ok(Change::Set(time_from(t, "due_time")?)),
        (None, true) => Ok(Change::Clear),
        (None, false) => Ok(Change::Keep),
    }
}

fn state_from(value: i32, field: &'static str) -> Result<TaskState, Error> {
    match known_enum::<pb::TaskState>(value, field)? {
        pb::TaskState::Todo => Ok(TaskState::Todo),
        pb::TaskState::Doing => Ok(TaskState::Doing),
        pb::TaskState::Done => Ok(TaskState::Done),
        pb::TaskState::Unspecified => Err(Violation("must be specified".into()).on(field)),
    }
}

fn state_to_pb(state: TaskState) -> pb::TaskState {
    match state {
        TaskState::Todo => pb::TaskState::Todo,
        TaskState::Doing => pb::TaskState::Doing,
        TaskState::Done => pb::TaskState::Done,
    }
}

fn task_to_pb(task: Task) -> pb::Task {
    pb::Task {
        id: task.id.to_string(),
        team_id: task.team_id.to_string(),
        title: task.title,
        notes: task.notes,
        state: state_to_pb(task.state).into(),
        assignee_id: task.assignee_id.map(|m| m.to_string()).unwrap_or_default(),
        due_time: task.due_time.map(timestamp),
        create_time: Some(timestamp(task.create_time)),
        update_time: Some(timestamp(task.update_time)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_time_and_clear_together_name_clear_due_time() {
        let t = prost_types::Timestamp {
            seconds: 1,
            nanos: 0,
        };
        let err = due_time_change(Some(&t), true).unwrap_err();
        assert!(err.to_string().starts_with("clear_due_time:"));
        assert_eq!(due_time_change(None, true).unwrap(), Change::Clear);
        assert_eq!(due_time_change(None, false).unwrap(), Change::Keep);
    }

    #[test]
    fn invalid_timestamps_name_due_time() {
        let t = prost_types::Timestamp {
            seconds: 1,
            nanos: 1_000_000_000,
        };
        assert!(
            due_time_change(Some(&t), false)
                .unwrap_err()
                .to_string()
                .starts_with("due_time:")
        );
        for seconds in [i64::MAX, -219_951_955_440] {
            // Far future, and year -5000 (which PostgreSQL cannot store).
            let far = prost_types::Timestamp { seconds, nanos: 0 };
            let err = due_time_change(Some(&far), false).unwrap_err();
            assert!(err.to_string().starts_with("due_time:"), "{seconds}: {err}");
        }
    }

    #[test]
    fn empty_assignee_means_none() {
        assert_eq!(optional_member("").unwrap(), None);
        assert!(
            optional_member("nope")
                .unwrap_err()
                .to_string()
                .starts_with("assignee_id:")
        );
    }
}
