//! The one error type of dbrepo. Each variant is one gRPC status class of
//! shared/DOMAIN.md; the single conversion to `tonic::Status` lives in
//! `crate::api::status`.

use std::fmt;

/// Shorthand for results whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A boxed cause kept for logs; never shown to clients.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong in a request, by what the client should do about it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request field breaks a rule; nothing was written. `field` is the proto field name.
    #[error("{field}: {reason}")]
    InvalidArgument {
        /// The offending request field, as named in the .proto file.
        field: &'static str,
        /// What is wrong with it, for a human.
        reason: String,
    },
    /// The addressed entity does not exist.
    #[error("{entity} {id} not found")]
    NotFound {
        /// What kind of entity was looked up.
        entity: Entity,
        /// The id that was not found.
        id: String,
    },
    /// A uniqueness rule would be broken (team name, email within a team).
    #[error("{0}")]
    AlreadyExists(String),
    /// The request is well-formed but the current state forbids it
    /// (inactive assignee, assignee outside the team, schema too old).
    #[error("{0}")]
    FailedPrecondition(String),
    /// The caller's etag is not the member's current one; nothing changed.
    #[error("{0}")]
    Aborted(String),
    /// The call lost a race with concurrent writers of the same rows (a
    /// deadlock, a serialization failure, or a row that kept changing under
    /// a read-modify-write) even after retrying inside the call; nothing
    /// changed, and the client may retry.
    #[error("conflict with a concurrent update")]
    Conflict(#[source] Cause),
    /// The database cannot be reached, is shutting down, or did not finish
    /// in time (statement or lock timeout); nothing changed, and retrying
    /// later may succeed.
    #[error("database unavailable")]
    Unavailable(#[source] Cause),
    /// An unexpected failure (a bug, or a database answer we do not understand).
    #[error("internal error")]
    Internal(#[source] Cause),
}

impl Error {
    /// A NOT_FOUND error for `entity` with `id`.
    pub fn not_found(entity: Entity, id: impl fmt::Display) -> Self {
        Self::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    /// The error of an update or delete whose etag is stale.
    pub fn stale_etag() -> Self {
        Self::Aborted("etag does not match the member's current etag".into())
    }

    /// ALREADY_EXISTS: another team has this name (case-insensitively).
    pub fn team_name_taken() -> Self {
        Self::AlreadyExists("a team with this name already exists".into())
    }

    /// ALREADY_EXISTS: another member of the team has this email
    /// (case-insensitively).
    pub fn member_email_taken() -> Self {
        Self::AlreadyExists("a member with this email already exists in the team".into())
    }

    /// FAILED_PRECONDITION: a task's assignee is not an ACTIVE member of the
    /// task's team (unknown, of another team, or archived/suspended).
    pub fn assignee_not_active_member() -> Self {
        Self::FailedPrecondition("assignee_id must be an active member of the task's team".into())
    }

    /// FAILED_PRECONDITION: a task list's assignee filter names no member of
    /// the team.
    pub fn assignee_filter_not_in_team() -> Self {
        Self::FailedPrecondition("assignee_id is not a member of the team".into())
    }
}

/// The kinds of entity a request can address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    /// A team (schema `manager`).
    Team,
    /// A member of a team (schema `manager`).
    Member,
    /// A task of a team (schema `app`).
    Task,
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Team => "team",
            Self::Member => "member",
            Self::Task => "task",
        })
    }
}

/// Why a value is not acceptable, before we know which request field held it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation(pub String);

impl Violation {
    /// Attaches the proto field name, making the client-facing error.
    pub fn on(self, field: &'static str) -> Error {
        Error::InvalidArgument {
            field,
            reason: self.0,
        }
    }
}

/// Names the request field a parse failed on, at the edge where the field
/// is known: `TeamName::parse(r.name).field("name")?`.
pub trait OnField<T> {
    /// The value, or INVALID_ARGUMENT naming `field`.
    fn field(self, field: &'static str) -> Result<T>;
}

impl<T> OnField<T> for std::result::Result<T, Violation> {
    fn field(self, field: &'static str) -> Result<T> {
        self.map_err(|violation| violation.on(field))
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
