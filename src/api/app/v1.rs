//! `dbrepo.app.v1.TaskService`: tasks of a team, over `TaskStore`.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use crate::core::fields::{MemberId, Notes, PageSize, TaskId, TeamId, Title};
use crate::core::page::{CreatedCursor, PageRequest};
use crate::core::sql::app::{
    AssigneeFilter, Change, NewTask, Task, TaskPatch, TaskQuery, TaskState, TaskStore,
};
use crate::core::{Error, OnField, Violation};
use crate::proto::app::v1 as pb;

use super::super::page_token::{self, Listing};
use super::super::{id_requests, known_enum, time_from, timestamp};

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
        let task = self
            .store
            .create_task(request.into_inner().try_into()?)
            .await?;
        Ok(Response::new(pb::CreateTaskResponse {
            task: Some(task_to_pb(task)),
        }))
    }

    async fn get_task(
        &self,
        request: Request<pb::GetTaskRequest>,
    ) -> Result<Response<pb::GetTaskResponse>, Status> {
        let task = self
            .store
            .get_task(request.into_inner().try_into()?)
            .await?;
        Ok(Response::new(pb::GetTaskResponse {
            task: Some(task_to_pb(task)),
        }))
    }

    async fn list_tasks(
        &self,
        request: Request<pb::ListTasksRequest>,
    ) -> Result<Response<pb::ListTasksResponse>, Status> {
        let Listing { query, key } = request.into_inner().try_into()?;
        let page = self.store.list_tasks(query).await?;
        let next_page_token = page_token::next(&key, &page, |last| CreatedCursor {
            create_time: last.create_time,
            id: last.id,
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
        let Update(id, patch) = request.into_inner().try_into()?;
        let task = self.store.update_task(id, patch).await?;
        Ok(Response::new(pb::UpdateTaskResponse {
            task: Some(task_to_pb(task)),
        }))
    }

    async fn delete_task(
        &self,
        request: Request<pb::DeleteTaskRequest>,
    ) -> Result<Response<pb::DeleteTaskResponse>, Status> {
        self.store
            .delete_task(request.into_inner().try_into()?)
            .await?;
        Ok(Response::new(pb::DeleteTaskResponse {}))
    }
}

id_requests! {
    pb::GetTaskRequest => TaskId,
    pb::DeleteTaskRequest => TaskId,
}

impl TryFrom<pb::CreateTaskRequest> for NewTask {
    type Error = Error;

    fn try_from(r: pb::CreateTaskRequest) -> Result<Self, Error> {
        Ok(NewTask {
            team_id: TeamId::parse(&r.team_id).field("team_id")?,
            title: Title::parse(r.title).field("title")?,
            notes: Notes::parse(r.notes).field("notes")?,
            assignee_id: assignee(r.assignee_id.as_deref())?.flatten(),
            due_time: r
                .due_time
                .as_ref()
                .map(|t| time_from(t, "due_time"))
                .transpose()?,
        })
    }
}

impl TryFrom<pb::ListTasksRequest> for Listing<TaskQuery> {
    type Error = Error;

    fn try_from(r: pb::ListTasksRequest) -> Result<Self, Error> {
        let team_id = TeamId::parse(&r.team_id).field("team_id")?;
        let assignee_id = AssigneeFilter::from(assignee(r.assignee_id.as_deref())?);
        let state = r.state.map(|s| state_from(s, "state")).transpose()?;
        let size = PageSize::parse(r.page_size).field("page_size")?;
        let key = list_tasks_key(team_id, assignee_id, state);
        let start = page_token::start(&key, &r.page_token)?;
        let query = TaskQuery {
            team_id,
            assignee_id,
            state,
            page: PageRequest { start, size },
        };
        Ok(Listing { query, key })
    }
}

/// Which task an update changes, and how.
struct Update(TaskId, TaskPatch);

impl TryFrom<pb::UpdateTaskRequest> for Update {
    type Error = Error;

    fn try_from(r: pb::UpdateTaskRequest) -> Result<Self, Error> {
        let id = TaskId::parse(&r.id).field("id")?;
        let patch = TaskPatch {
            title: r.title.map(Title::parse).transpose().field("title")?,
            notes: r.notes.map(Notes::parse).transpose().field("notes")?,
            state: r.state.map(|s| state_from(s, "state")).transpose()?,
            assignee_id: Change::from(assignee(r.assignee_id.as_deref())?),
            due_time: due_time_change(r.due_time.as_ref(), r.clear_due_time)?,
        };
        Ok(Update(id, patch))
    }
}

/// The `assignee_id` field: absent, empty (no one) or a member id.
fn assignee(value: Option<&str>) -> Result<Option<Option<MemberId>>, Error> {
    let member = |id: &str| match id {
        "" => Ok(None),
        id => MemberId::parse(id).map(Some),
    };
    value.map(member).transpose().field("assignee_id")
}

/// The text ListTasks tokens fingerprint, spelled exactly as the first
/// release spelled it (the `Debug` text of its filter types; pinned by a
/// test), so a token survives an upgrade or a rollback mid-listing.
fn list_tasks_key(team: TeamId, assignee: AssigneeFilter, state: Option<TaskState>) -> String {
    let assignee = match assignee {
        AssigneeFilter::Any => "None".to_owned(),
        AssigneeFilter::Unassigned => "Some(None)".to_owned(),
        AssigneeFilter::Member(member) => format!("Some(Some(MemberId({member})))"),
    };
    let state = match state {
        None => "None",
        Some(TaskState::Todo) => "Some(Todo)",
        Some(TaskState::Doing) => "Some(Doing)",
        Some(TaskState::Done) => "Some(Done)",
    };
    format!("app.v1.ListTasks|team={team}|assignee={assignee}|state={state}")
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
        assert_eq!(assignee(Some("")).unwrap(), Some(None));
        assert_eq!(assignee(None).unwrap(), None);
        assert!(
            assignee(Some("nope"))
                .unwrap_err()
                .to_string()
                .starts_with("assignee_id:")
        );
    }

    /// Tokens of earlier releases fingerprinted the `Debug` text of
    /// `Option<Option<MemberId>>` and `Option<TaskState>`: the key must
    /// stay byte for byte what it was, or their tokens would be refused.
    #[test]
    fn list_tasks_key_is_the_text_earlier_releases_fingerprinted() {
        let team = TeamId::generate();
        let member = MemberId::generate();
        let filters: [(_, Option<Option<MemberId>>); 3] = [
            (AssigneeFilter::Any, None),
            (AssigneeFilter::Unassigned, Some(None)),
            (AssigneeFilter::Member(member), Some(Some(member))),
        ];
        let states = [
            None,
            Some(TaskState::Todo),
            Some(TaskState::Doing),
            Some(TaskState::Done),
        ];
        for (filter, as_earlier) in filters {
            for state in states {
                let earlier =
                    format!("app.v1.ListTasks|team={team}|assignee={as_earlier:?}|state={state:?}");
                assert_eq!(list_tasks_key(team, filter, state), earlier);
            }
        }
    }
}
