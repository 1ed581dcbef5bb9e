//! sqlx implementations of `core::sql`'s store traits over one `PgPool`.
//!
//! Contract: every query is compile-checked (`query!`/`query_as!`, with the
//! metadata in `.sqlx/` for offline builds); one round trip per call wherever
//! SQL allows it; database errors become core errors here, by SQLSTATE and
//! constraint name, never by message text, and never carry SQL to clients.
//!
//! The service connects as a login holding only the `dbrepo_dml` role (rows,
//! no DDL); `crates/migrations` owns the schema.

pub mod appdb;
pub mod managerdb;

pub use appdb::PgTaskStore;
pub use managerdb::PgManagerStore;

use time::OffsetDateTime;
use uuid::Uuid;

use crate::core::Error;
use crate::core::page::{CreatedCursor, PageStart};

/// SQLSTATEs meaning the database lacks a table, column or function this
/// build uses: the schema is older than this build needs.
const SCHEMA_TOO_OLD: [&str; 3] = ["42P01", "42703", "42883"];

/// The error of a database failure that no constraint explains: the database
/// is unreachable (UNAVAILABLE), its schema is too old (FAILED_PRECONDITION),
/// or something unexpected happened (INTERNAL, cause kept for the log).
pub(crate) fn unexpected(err: sqlx::Error) -> Error {
    match &err {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => Error::Unavailable(err.into()),
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some(code) if SCHEMA_TOO_OLD.contains(&code) => {
                tracing::error!(error = %err, "database schema is older than this build needs");
                Error::FailedPrecondition(
                    "the database schema is older than this build needs; run the migrations".into(),
                )
            }
            // Class 08 is connection exceptions, 57P0x the server shutting down.
            Some(code) if code.starts_with("08") || code.starts_with("57P0") => {
                Error::Unavailable(err.into())
            }
            _ => Error::Internal(err.into()),
        },
        _ => Error::Internal(err.into()),
    }
}

/// The name of the constraint a database error broke, if it broke one.
pub(crate) fn violated_constraint(err: &sqlx::Error) -> Option<&str> {
    match err {
        sqlx::Error::Database(db) => db.constraint(),
        _ => None,
    }
}

/// The bind values of a list ordered by create time, then id: the position
/// to continue after (keyset), or how many rows to skip (offset).
pub(crate) fn created_bounds<Id>(
    start: &PageStart<CreatedCursor<Id>>,
    uuid: fn(&Id) -> Uuid,
) -> (Option<OffsetDateTime>, Option<Uuid>, i64) {
    match start {
        PageStart::Offset(offset) => (None, None, i64::from(offset.get())),
        PageStart::First => (None, None, 0),
        PageStart::After(cursor) => (Some(cursor.create_time), Some(uuid(&cursor.id)), 0),
    }
}
