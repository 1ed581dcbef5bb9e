//! sqlx implementations of `core::sql`'s store traits over the service's
//! pool of sessions ([`Sessions`]).
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
pub mod pool;
pub mod session;

pub use appdb::PgTaskStore;
pub use managerdb::PgManagerStore;
pub use pool::{Session, Sessions};

use std::sync::LazyLock;

use opentelemetry_semantic_conventions::attribute::{DB_QUERY_SUMMARY, DB_SYSTEM_NAME};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::core::page::{CreatedCursor, PageStart};
use crate::core::{Error, Result};
use crate::telemetry::TRACE_TARGET;

/// SQLSTATEs meaning the database lacks a table, column or function this
/// build uses: the schema is older than this build needs.
const SCHEMA_TOO_OLD: [&str; 3] = ["42P01", "42703", "42883"];

/// SQLSTATEs of a statement that lost a race with another transaction:
/// deadlock detected, serialization failure. PostgreSQL rolled it back, so
/// running it again is safe.
const CONFLICT: [&str; 2] = ["40P01", "40001"];

/// SQLSTATEs of a statement that ran out of time: statement timeout (also
/// any cancel request), lock wait timeout. Nothing was written.
const TIMED_OUT: [&str; 2] = ["57014", "55P03"];

/// The causes of database failures, as `dbrepo_database_errors_total`
/// labels them: no connection free in time ([`Sessions`]), then those
/// `unexpected` tells apart.
pub const ERROR_CAUSES: [&str; 7] = [
    "pool_exhausted",
    "unreachable",
    "timeout",
    "resources",
    "conflict",
    "schema_too_old",
    "unexpected",
];

/// The `cause` label of `dbrepo_database_errors_total`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorCause {
    cause: &'static str,
}

/// Database failures by cause, process-wide (the mapping below sees them,
/// far from any registry); every cause is present from the start.
static DATABASE_ERRORS: LazyLock<Family<ErrorCause, Counter>> = LazyLock::new(|| {
    let family = Family::default();
    for cause in ERROR_CAUSES {
        let _ = family.get_or_create(&ErrorCause { cause });
    }
    family
});

/// The counters of `unexpected`'s causes, for a metrics registry.
pub fn database_errors() -> Family<ErrorCause, Counter> {
    DATABASE_ERRORS.clone()
}

/// The error of a database failure that no constraint explains, by its
/// cause (shared/DOMAIN.md's table): the database is unreachable, shutting
/// down, out of resources or too slow (UNAVAILABLE), a concurrent
/// transaction won a race (ABORTED, after one retry by
/// [`retry_once_on_conflict`]), its schema is too old (FAILED_PRECONDITION),
/// or something unexpected happened (INTERNAL, a bug). The cause is kept for
/// the log only, and counted.
pub(crate) fn unexpected(err: sqlx::Error) -> Error {
    if may_have_broken_its_connection(&err) {
        pool::suspect_all();
    }
    let (cause, error) = classify(err);
    count_error(cause);
    error
}

/// Counts one database failure of `cause` (one of [`ERROR_CAUSES`]).
pub(crate) fn count_error(cause: &'static str) {
    DATABASE_ERRORS.get_or_create(&ErrorCause { cause }).inc();
}

/// [`unexpected`]'s mapping: the cause (one of [`ERROR_CAUSES`]) and the
/// error.
fn classify(err: sqlx::Error) -> (&'static str, Error) {
    match &err {
        // A protocol error is a byte stream that stopped making sense: in
        // practice a connection cut mid-message (even mid-handshake).
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => ("unreachable", Error::Unavailable(err.into())),
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some(code) if SCHEMA_TOO_OLD.contains(&code) => {
                tracing::error!(error = %err, "database schema is older than this build needs");
                let error = Error::FailedPrecondition(
                    "the database schema is older than this build needs; run the migrations".into(),
                );
                ("schema_too_old", error)
            }
            Some(code) if CONFLICT.contains(&code) => ("conflict", Error::Conflict(err.into())),
            Some(code) if TIMED_OUT.contains(&code) => ("timeout", Error::Unavailable(err.into())),
            // Class 08 is connection exceptions, 57P0x the server shutting
            // down, 53 insufficient resources (too many connections, out of
            // memory or disk).
            Some(code) if code.starts_with("08") || code.starts_with("57P0") => {
                ("unreachable", Error::Unavailable(err.into()))
            }
            Some(code) if code.starts_with("53") => ("resources", Error::Unavailable(err.into())),
            _ => ("unexpected", Error::Internal(err.into())),
        },
        _ => ("unexpected", Error::Internal(err.into())),
    }
}

/// Whether `err` says the connection itself failed (I/O, TLS, a byte stream
/// that stopped making sense, a connection exception, the server shutting
/// down) rather than one statement: then every pooled connection is checked
/// before its next use.
fn may_have_broken_its_connection(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P0")),
        _ => false,
    }
}

/// The span of one SQL statement, for the trace backend only (see
/// `crate::telemetry`), named by its `db.query.summary`: the operation and
/// the table, never a parameter value.
pub(crate) fn statement(summary: &'static str) -> tracing::Span {
    tracing::info_span!(
        target: TRACE_TARGET,
        "sql",
        otel.name = summary,
        otel.kind = "client",
        { DB_SYSTEM_NAME } = "postgresql",
        { DB_QUERY_SUMMARY } = summary,
    )
}

/// Runs `attempt`, and once more when it lost a race with a concurrent
/// transaction ([`Error::Conflict`]): PostgreSQL rolled the loser back, so
/// nothing of the first attempt remains. A second loss is the client's to
/// retry (ABORTED).
pub(crate) async fn retry_once_on_conflict<T, F: Future<Output = Result<T>>>(
    mut attempt: impl FnMut() -> F,
) -> Result<T> {
    match attempt().await {
        Err(Error::Conflict(cause)) => {
            tracing::info!(error = %cause, "retrying once after a conflict with a concurrent transaction");
            attempt().await
        }
        other => other,
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

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::error::Error as StdError;
    use std::fmt;

    use sqlx::error::{DatabaseError, ErrorKind};

    use super::*;

    /// A database error with only a SQLSTATE, as PostgreSQL would send it.
    #[derive(Debug)]
    struct Sqlstate(&'static str);

    impl fmt::Display for Sqlstate {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "SQLSTATE {}", self.0)
        }
    }

    impl StdError for Sqlstate {}

    impl DatabaseError for Sqlstate {
        fn message(&self) -> &str {
            "a database error"
        }
        fn code(&self) -> Option<Cow<'_, str>> {
            Some(Cow::Borrowed(self.0))
        }
        fn as_error(&self) -> &(dyn StdError + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn StdError + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn StdError + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> ErrorKind {
            ErrorKind::Other
        }
    }

    fn mapped(code: &'static str) -> Error {
        unexpected(sqlx::Error::Database(Box::new(Sqlstate(code))))
    }

    #[test]
    fn database_failures_map_by_cause_as_the_error_table_says() {
        let unavailable = [
            ("57014", "statement timeout"),
            ("55P03", "lock wait timeout"),
            ("08006", "connection failure"),
            ("08001", "cannot connect"),
            ("57P01", "admin shutdown"),
            ("57P02", "crash shutdown"),
            ("57P03", "cannot connect now"),
            ("53300", "too many connections"),
        ];
        for (code, why) in unavailable {
            assert!(
                matches!(mapped(code), Error::Unavailable(_)),
                "{code} {why}"
            );
        }
        for (code, why) in [("40P01", "deadlock"), ("40001", "serialization failure")] {
            assert!(matches!(mapped(code), Error::Conflict(_)), "{code} {why}");
        }
        assert!(
            matches!(mapped("42P01"), Error::FailedPrecondition(_)),
            "schema too old"
        );
        assert!(
            matches!(mapped("XX000"), Error::Internal(_)),
            "a bug stays INTERNAL"
        );
        assert!(matches!(
            unexpected(sqlx::Error::PoolTimedOut),
            Error::Unavailable(_)
        ));
    }

    /// Runs `retry_once_on_conflict` over attempts that fail with the
    /// SQLSTATEs in `failures` (then succeed); returns the outcome and how
    /// many attempts ran.
    async fn attempts(failures: &[&'static str]) -> (Result<usize>, usize) {
        let count = std::sync::atomic::AtomicUsize::new(0);
        let count = &count;
        let outcome = retry_once_on_conflict(move || async move {
            let attempt = count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            match failures.get(attempt) {
                Some(code) => Err(mapped(code)),
                None => Ok(attempt + 1),
            }
        })
        .await;
        (outcome, count.load(std::sync::atomic::Ordering::SeqCst))
    }

    #[tokio::test]
    async fn a_conflict_is_retried_once_then_reported() {
        let (once, ran) = attempts(&["40P01"]).await;
        assert_eq!((once.unwrap(), ran), (2, 2), "the second attempt's answer");
        let (twice, ran) = attempts(&["40001", "40P01"]).await;
        assert!(matches!(twice, Err(Error::Conflict(_))));
        assert_eq!(ran, 2, "retried exactly once");
        let (timeout, ran) = attempts(&["57014"]).await;
        assert!(matches!(timeout, Err(Error::Unavailable(_))));
        assert_eq!(ran, 1, "only conflicts are retried");
    }
}
