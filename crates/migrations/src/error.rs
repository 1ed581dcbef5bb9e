//! The migrator's errors: each says which version and file it is about.

use sqlx::migrate::MigrateError;

use crate::ConnectFailure;

/// Why a migration command failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database URL could not be parsed. The URL itself is never
    /// shown: it may hold a password.
    #[error("invalid database URL: {reason}")]
    Url {
        /// What is wrong with it.
        reason: String,
    },
    /// The database could not be reached or refused the login.
    #[error("could not connect to {target}: {reason}")]
    Connect {
        /// `user@host:port/database`, never the password.
        target: String,
        /// Why, in an operator's words.
        reason: ConnectFailure,
        /// The driver's error (none when the attempt timed out).
        #[source]
        source: Option<sqlx::Error>,
    },
    /// A query of the migrator itself (not of a step) failed.
    #[error("database error while {action}")]
    Database {
        /// What the migrator was doing.
        action: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// An applied step's recorded checksum differs from this build's file:
    /// the file was edited after it ran, so the schema is not what it says.
    #[error(
        "migration {version} ({file}) was applied with a different checksum than the file \
         in this build; restore the file as it was applied instead of editing it"
    )]
    ChecksumMismatch {
        /// The version whose file changed.
        version: i64,
        /// The file name.
        file: String,
    },
    /// A step is recorded as failed; it needs a human to repair it.
    #[error(
        "migration {version} ({file}) is recorded as failed; repair the schema by hand and delete its row from _sqlx_migrations"
    )]
    Dirty {
        /// The failed version.
        version: i64,
        /// The file name.
        file: String,
    },
    /// The database has steps applied that this build does not know, so it
    /// cannot undo them or apply older steps after them.
    #[error(
        "database has migrations {versions:?} applied that this build does not know (migrated by a newer release); use that release's migrator"
    )]
    UnknownApplied {
        /// The unknown versions.
        versions: Vec<i64>,
    },
    /// `down --to` named a version that is neither 0 nor a known one.
    #[error("cannot migrate down to {target}: not 0 and not a known version {known:?}")]
    UnknownTarget {
        /// The requested target.
        target: i64,
        /// The versions this build knows.
        known: Vec<i64>,
    },
    /// A step's SQL failed; the step's own changes were rolled back unless
    /// it is a `-- no-transaction` step.
    #[error("migration {version} ({file}) failed")]
    Step {
        /// The failing version.
        version: i64,
        /// The file that failed.
        file: String,
        /// What sqlx reported.
        #[source]
        source: MigrateError,
    },
    /// `backfill` needs the columns 0002 adds.
    #[error("nothing to backfill: migration {version} is not applied; run up first")]
    BackfillNeedsVersion {
        /// The version that must be applied.
        version: i64,
    },
    /// `verify` compares the columns 0002 adds.
    #[error("nothing to verify: migration {version} is not applied; run up first")]
    VerifyNeedsVersion {
        /// The version that must be applied.
        version: i64,
    },
    /// Another backfill holds the backfill lock of this database.
    #[error("another backfill is running on this database; let it finish")]
    BackfillRunning,
    /// An index in the dbrepo schemas is INVALID (a concurrent build that
    /// failed midway); `IF NOT EXISTS` would keep it forever.
    #[error("invalid indexes {names:?}: drop each with DROP INDEX CONCURRENTLY and run up again")]
    InvalidIndexes {
        /// Schema-qualified index names.
        names: Vec<String>,
    },
}

impl Error {
    /// Wraps a driver error of the migrator's own bookkeeping queries.
    pub(crate) fn db(action: &'static str) -> impl FnOnce(sqlx::Error) -> Self {
        move |source| Self::Database { action, source }
    }
}
