//! Schema migrations for dbrepo: the only code that holds DDL rights.
//!
//! The files live in `migrations/NNNN_name.{up,down}.sql` at the workspace
//! root and are embedded into [`MIGRATOR`] at build time. The database is
//! migrated expand/contract: every step keeps all published API versions
//! working, so the service never needs the database rolled back with it.
//!
//! * [`up`], [`down_to`] and [`status`] run against a pool connected as an
//!   owner (DDL-capable) login; [`connect`] builds one with the lock and
//!   statement timeouts every step must run under.
//! * [`DatabaseUrl`] is how both binaries take a URL: parsed once, shown
//!   without its password; [`open_pool`] says why a login failed.
//! * [`backfill`] stores the v2 columns of rows that lack them, in short
//!   batches, while the service serves traffic; `up` does not run it.
//! * [`SchemaCheck`] is the service's startup gate: it is evaluated from the
//!   rows of `_sqlx_migrations`, which the runtime DML login may read.
//!
//! Every run holds sqlx's per-database advisory lock for its whole length,
//! so concurrent runners (several pods starting) apply each step once, in
//! order, without interleaving. Checksums of applied steps are verified
//! before anything runs, in both directions.

mod backfill;
mod connect;
mod database_url;
mod error;
mod gate;
mod lock;
mod runner;
mod status;
mod verify;

pub use backfill::{BackfillOptions, BackfillReport, Progress, backfill, backfill_with_progress};
pub use connect::{ConnectFailure, ConnectSettings, connect, open_connection, open_pool};
pub use database_url::DatabaseUrl;
pub use error::Error;
pub use gate::{AppliedRow, SchemaCheck, check_schema, read_applied};
pub use lock::migration_lock_id;
pub use runner::{AppliedStep, Direction, RunEvent, down_to, migrate, up, up_to};
pub use status::{AppliedVersion, KnownVersion, Status, Verdict, status};
pub use verify::{Finding, Leftovers, VerifyOptions, VerifyReport, verify};

use sqlx::migrate::{Migration, Migrator};

/// Every migration of this build, embedded from `migrations/` at build time.
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations");

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The versions this build knows, ascending (`[1, 2, 3, 4]`).
pub fn known_versions() -> Vec<i64> {
    up_migrations().map(|m| m.version).collect()
}

/// The newest version this build knows; the schema the service needs.
pub fn latest_version() -> i64 {
    known_versions().last().copied().unwrap_or(0)
}

/// The file name of a known version's up step, for messages
/// (`0002_manager_v2.up.sql`); a placeholder for an unknown version.
pub fn migration_file(version: i64) -> String {
    match up_migrations().find(|m| m.version == version) {
        Some(m) => format!("{version:04}_{}.up.sql", m.description.replace(' ', "_")),
        None => format!("{version:04}_<unknown>.up.sql"),
    }
}

fn up_migrations() -> impl Iterator<Item = &'static Migration> {
    MIGRATOR
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
}

fn down_migration(version: i64) -> Option<&'static Migration> {
    MIGRATOR
        .iter()
        .find(|m| m.version == version && m.migration_type.is_down_migration())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_the_five_steps_in_order() {
        assert_eq!(known_versions(), vec![1, 2, 3, 4, 5]);
        assert_eq!(latest_version(), 5);
    }

    #[test]
    fn every_step_is_reversible() {
        for version in known_versions() {
            assert!(down_migration(version).is_some(), "no down for {version}");
        }
    }

    #[test]
    fn names_files_as_on_disk() {
        assert_eq!(migration_file(2), "0002_manager_v2.up.sql");
        assert_eq!(migration_file(4), "0004_manager_v2_members_keyset.up.sql");
    }
}
