//! Tasks: the `app` schema's rows and the store trait over them.
//!
//! Must not import tonic, prost or sqlx.

use std::future::Future;

use time::OffsetDateTime;

use crate::core::error::Result;
use crate::core::fields::{MemberId, Notes, TaskId, TeamId, Title};
use crate::core::page::{CreatedCursor, Page, PageRequest};

/// Where a task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskState {
    /// Not started.
    Todo,
    /// In progress.
    Doing,
    /// Finished.
    Done,
}

impl TaskState {
    /// Every state, in declaration order.
    pub const ALL: [Self; 3] = [Self::Todo, Self::Doing, Self::Done];

    /// The value of the `state` column.
    pub fn as_stored(self) -> &'static str {
        match self {
            Self::Todo => "todo",
            Self::Doing => "doing",
            Self::Done => "done",
        }
    }

    /// Reads the `state` column; `None` for a value this build does not know.
    pub fn from_stored(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_stored() == text)
    }
}

/// A stored task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// The task's id.
    pub id: TaskId,
    /// The task's team.
    pub team_id: TeamId,
    /// The title.
    pub title: String,
    /// Free text.
    pub notes: String,
    /// The state.
    pub state: TaskState,
    /// The member the task is assigned to, if any.
    pub assignee_id: Option<MemberId>,
    /// When the task is due, if ever (whole microseconds).
    pub due_time: Option<OffsetDateTime>,
    /// When the task was created.
    pub create_time: OffsetDateTime,
    /// When the task was last changed.
    pub update_time: OffsetDateTime,
}

/// What it takes to create a task (its state is TODO).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    /// An existing team (NOT_FOUND otherwise).
    pub team_id: TeamId,
    /// The title.
    pub title: Title,
    /// The notes.
    pub notes: Notes,
    /// An active member of the team (FAILED_PRECONDITION otherwise), or none.
    pub assignee_id: Option<MemberId>,
    /// The due time (whole microseconds), or none.
    pub due_time: Option<OffsetDateTime>,
}

/// Changes to a task; `None` leaves a field as it is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TaskPatch {
    /// New title.
    pub title: Option<Title>,
    /// New notes.
    pub notes: Option<Notes>,
    /// New state.
    pub state: Option<TaskState>,
    /// Assign an active member of the task's team, unassign, or keep.
    pub assignee_id: Change<MemberId>,
    /// Set, remove or keep the due time.
    pub due_time: Change<OffsetDateTime>,
}

/// How a patch changes an optional field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Change<T> {
    /// Leave the field as it is.
    #[default]
    Keep,
    /// Remove the field's value.
    Clear,
    /// Write this value.
    Set(T),
}

impl<T> Change<T> {
    /// The field's value after the change.
    pub fn apply(self, current: Option<T>) -> Option<T> {
        match self {
            Self::Keep => current,
            Self::Clear => None,
            Self::Set(value) => Some(value),
        }
    }

    /// The change with the value converted by `f`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Change<U> {
        match self {
            Self::Keep => Change::Keep,
            Self::Clear => Change::Clear,
            Self::Set(value) => Change::Set(f(value)),
        }
    }
}

/// A request field that may be absent (keep), present but empty (clear)
/// or hold a value (set).
impl<T> From<Option<Option<T>>> for Change<T> {
    fn from(field: Option<Option<T>>) -> Self {
        match field {
            None => Self::Keep,
            Some(None) => Self::Clear,
            Some(Some(value)) => Self::Set(value),
        }
    }
}

/// Which tasks of the team a list admits by their assignee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AssigneeFilter {
    /// Every task.
    #[default]
    Any,
    /// Only unassigned tasks.
    Unassigned,
    /// Only this member's tasks; the member must belong to the team (in
    /// any status), else FAILED_PRECONDITION.
    Member(MemberId),
}

/// A filter field that may be absent (any), present but empty (only
/// unassigned tasks) or name a member.
impl From<Option<Option<MemberId>>> for AssigneeFilter {
    fn from(field: Option<Option<MemberId>>) -> Self {
        match field {
            None => Self::Any,
            Some(None) => Self::Unassigned,
            Some(Some(member)) => Self::Member(member),
        }
    }
}

impl AssigneeFilter {
    /// Whether a task assigned to `assignee` passes the filter.
    pub fn admits(self, assignee: Option<MemberId>) -> bool {
        match self {
            Self::Any => true,
            Self::Unassigned => assignee.is_none(),
            Self::Member(member) => assignee == Some(member),
        }
    }
}

/// Which tasks a list returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskQuery {
    /// An existing team (NOT_FOUND otherwise).
    pub team_id: TeamId,
    /// Which assignees' tasks.
    pub assignee_id: AssigneeFilter,
    /// Only tasks in this state.
    pub state: Option<TaskState>,
    /// Which page, ordered by create time, then id.
    pub page: PageRequest<TaskCursor>,
}

/// A position in a team's task list.
pub type TaskCursor = CreatedCursor<TaskId>;

/// The operations the app API needs.
///
/// Contract (checked by the shared suite for every implementation):
/// - unknown task or team ids are NOT_FOUND;
/// - an assignee that does not exist, is in another team, or is not ACTIVE
///   is FAILED_PRECONDITION, and nothing is written;
/// - `update_time` changes on every update; tasks list by create time, then id.
pub trait TaskStore: Send + Sync + 'static {
    /// Creates a task in state TODO.
    fn create_task(&self, task: NewTask) -> impl Future<Output = Result<Task>> + Send;
    /// Reads a task.
    fn get_task(&self, id: TaskId) -> impl Future<Output = Result<Task>> + Send;
    /// Lists the tasks of an existing team.
    fn list_tasks(&self, query: TaskQuery) -> impl Future<Output = Result<Page<Task>>> + Send;
    /// Applies `patch`; returns the task after it.
    fn update_task(
        &self,
        id: TaskId,
        patch: TaskPatch,
    ) -> impl Future<Output = Result<Task>> + Send;
    /// Deletes a task.
    fn delete_task(&self, id: TaskId) -> impl Future<Output = Result<()>> + Send;
}
