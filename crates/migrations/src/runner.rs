//! Applying and reverting steps under sqlx's per-database advisory lock.
//!
//! Steps run one by one through sqlx's [`Migrate`] implementation (so the
//! bookkeeping in `_sqlx_migrations` is exactly sqlx's), but the lock (see
//! [`crate::lock`]) is taken once around the whole run: a concurrent runner
//! waits, then finds nothing left to do. A failure can leave the lock held
//! by the session, so after any failure the connection is closed.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::migrate::{AppliedMigration, Migrate, Migration};
use sqlx::pool::PoolConnection;
use sqlx::postgres::Postgres;

use crate::lock;
use crate::{Error, Result, down_migration, known_versions, migration_file, up_migrations};

/// sqlx's bookkeeping table, in the owner's search path (`public`).
const TABLE: &str = "_sqlx_migrations";

/// One step that a run applied or reverted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedStep {
    /// The step's version (`2` for `0002_manager_v2`).
    pub version: i64,
    /// The step's description (`manager v2`).
    pub description: String,
    /// How long the step's SQL ran.
    pub duration: Duration,
}

/// What a run reports while it goes, for an operator to watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunEvent<'a> {
    /// The migration lock is held, after waiting this long for it.
    LockTaken {
        /// How long another runner held it first.
        waited: Duration,
    },
    /// The run will apply (or revert) this many steps.
    Planned {
        /// The number of steps.
        steps: usize,
    },
    /// A step's SQL starts.
    Started {
        /// The step's version.
        version: i64,
        /// The step's description.
        description: &'a str,
    },
    /// A step's SQL finished.
    Finished(&'a AppliedStep),
}

/// Applies every pending step in version order; returns what it applied
/// (empty when the schema was already current). Refuses to run when an
/// applied step's checksum differs from its file or a step is recorded as
/// failed. Newer steps unknown to this build are tolerated only when
/// nothing of this build is pending (a rolled-back release starting up).
pub async fn up(pool: &PgPool) -> Result<Vec<AppliedStep>> {
    up_to(pool, i64::MAX).await
}

/// Like [`up`], but applies only the pending steps up to and including
/// `target_version` (to build a partially migrated database).
pub async fn up_to(pool: &PgPool, target_version: i64) -> Result<Vec<AppliedStep>> {
    migrate(pool, Direction::Up, target_version, &mut |_| {}).await
}

/// Reverts every applied step newer than `target_version`, newest first;
/// `0` reverts everything. Returns the reverted steps. Refuses on the same
/// checksum and failure checks as [`up`], and when steps unknown to this
/// build are applied (it has no down file for them).
pub async fn down_to(pool: &PgPool, target_version: i64) -> Result<Vec<AppliedStep>> {
    migrate(pool, Direction::Down, target_version, &mut |_| {}).await
}

/// Which way a run moves the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Apply the pending steps up to and including the target version.
    Up,
    /// Revert the applied steps newer than the target version.
    Down,
}

/// [`up_to`] or [`down_to`], telling `report` of the lock wait and each
/// step as the run goes. Takes the migration lock on one connection and
/// releases it at the end; on any error the connection is closed, which
/// also releases the lock.
pub async fn migrate(
    pool: &PgPool,
    direction: Direction,
    target_version: i64,
    report: &mut (dyn FnMut(RunEvent<'_>) + Send),
) -> Result<Vec<AppliedStep>> {
    let known = known_versions();
    if direction == Direction::Down && target_version != 0 && !known.contains(&target_version) {
        return Err(Error::UnknownTarget {
            target: target_version,
            known,
        });
    }
    let mut conn = acquire(pool).await?;
    let outcome = async {
        let waited = lock::acquire(&mut conn).await?;
        report(RunEvent::LockTaken { waited });
        let steps = match direction {
            Direction::Up => {
                let steps = apply_pending(&mut conn, target_version, report).await?;
                ensure_indexes_valid(&mut conn).await?;
                steps
            }
            Direction::Down => revert_newer(&mut conn, target_version, report).await?,
        };
        lock::release(&mut conn).await?;
        Ok(steps)
    }
    .await;
    close_on_error(conn, outcome).await
}

async fn apply_pending(
    conn: &mut PoolConnection<Postgres>,
    target: i64,
    report: &mut (dyn FnMut(RunEvent<'_>) + Send),
) -> Result<Vec<AppliedStep>> {
    let applied = checked_applied(conn).await?;
    let applied_versions: Vec<i64> = applied.iter().map(|m| m.version).collect();
    let unknown = unknown_versions(&applied_versions);
    let pending: Vec<_> = up_migrations()
        .filter(|m| m.version <= target && !applied_versions.contains(&m.version))
        .collect();
    if !unknown.is_empty() {
        if !pending.is_empty() {
            return Err(Error::UnknownApplied { versions: unknown });
        }
        tracing::warn!(?unknown, "database has newer migrations than this build");
    }
    report(RunEvent::Planned {
        steps: pending.len(),
    });
    let mut steps = Vec::with_capacity(pending.len());
    for migration in pending {
        steps.push(run_step(conn, Direction::Up, migration, report).await?);
    }
    Ok(steps)
}

async fn revert_newer(
    conn: &mut PoolConnection<Postgres>,
    target: i64,
    report: &mut (dyn FnMut(RunEvent<'_>) + Send),
) -> Result<Vec<AppliedStep>> {
    let applied = checked_applied(conn).await?;
    let versions: Vec<i64> = applied.iter().map(|m| m.version).collect();
    let unknown = unknown_versions(&versions);
    if !unknown.is_empty() {
        return Err(Error::UnknownApplied { versions: unknown });
    }
    let newer: Vec<i64> = versions.into_iter().rev().filter(|v| *v > target).collect();
    report(RunEvent::Planned { steps: newer.len() });
    let mut steps = Vec::new();
    for version in newer {
        let migration = down_migration(version).expect("every known step has a down file");
        steps.push(run_step(conn, Direction::Down, migration, report).await?);
    }
    Ok(steps)
}

/// Applies (up) or reverts (down) one step in its own transaction, logging
/// and reporting its start and end.
async fn run_step(
    conn: &mut PoolConnection<Postgres>,
    direction: Direction,
    migration: &Migration,
    report: &mut (dyn FnMut(RunEvent<'_>) + Send),
) -> Result<AppliedStep> {
    let (version, description) = (migration.version, migration.description.to_string());
    let (doing, done, file) = match direction {
        Direction::Up => ("applying", "applied", migration_file(version)),
        Direction::Down => (
            "reverting",
            "reverted",
            migration_file(version).replace(".up.sql", ".down.sql"),
        ),
    };
    tracing::info!(version, %description, "{doing} migration");
    report(RunEvent::Started {
        version,
        description: &description,
    });
    let run = match direction {
        Direction::Up => conn.apply(TABLE, migration),
        Direction::Down => conn.revert(TABLE, migration),
    };
    let duration = run.await.map_err(|source| Error::Step {
        version,
        file,
        source,
    })?;
    tracing::info!(version, %description, duration_ms = duration.as_millis() as u64, "{done} migration");
    let step = AppliedStep {
        version,
        description,
        duration,
    };
    report(RunEvent::Finished(&step));
    Ok(step)
}

/// Lists the applied steps after refusing on a failed step or a checksum
/// that differs from this build's file.
async fn checked_applied(conn: &mut PoolConnection<Postgres>) -> Result<Vec<AppliedMigration>> {
    conn.ensure_migrations_table(TABLE)
        .await
        .map_err(migrate_db("creating _sqlx_migrations"))?;
    if let Some(version) = conn
        .dirty_version(TABLE)
        .await
        .map_err(migrate_db("reading _sqlx_migrations"))?
    {
        return Err(Error::Dirty {
            version,
            file: migration_file(version),
        });
    }
    let applied = conn
        .list_applied_migrations(TABLE)
        .await
        .map_err(migrate_db("reading _sqlx_migrations"))?;
    for row in &applied {
        let file = up_migrations().find(|m| m.version == row.version);
        if file.is_some_and(|m| m.checksum != row.checksum) {
            return Err(Error::ChecksumMismatch {
                version: row.version,
                file: migration_file(row.version),
            });
        }
    }
    Ok(applied)
}

/// A failed `CREATE INDEX CONCURRENTLY` leaves an INVALID index behind that
/// `IF NOT EXISTS` would then accept; refuse to call such a schema current.
async fn ensure_indexes_valid(conn: &mut PoolConnection<Postgres>) -> Result<()> {
    let names = crate::verify::leftovers(conn).await?.invalid_indexes;
    if names.is_empty() {
        Ok(())
    } else {
        Err(Error::InvalidIndexes { names })
    }
}

fn unknown_versions(applied: &[i64]) -> Vec<i64> {
    let known = known_versions();
    applied
        .iter()
        .copied()
        .filter(|v| !known.contains(v))
        .collect()
}

async fn acquire(pool: &PgPool) -> Result<PoolConnection<Postgres>> {
    pool.acquire()
        .await
        .map_err(Error::db("acquiring a connection"))
}

/// Closes the connection after a failure: that ends the session and so
/// releases the advisory lock sqlx may still hold on it.
async fn close_on_error<T>(conn: PoolConnection<Postgres>, outcome: Result<T>) -> Result<T> {
    if outcome.is_err()
        && let Err(error) = conn.close().await
    {
        tracing::warn!(%error, "could not close the migration connection after a failure");
    }
    outcome
}

fn migrate_db(action: &'static str) -> impl FnOnce(sqlx::migrate::MigrateError) -> Error {
    move |error| match error {
        sqlx::migrate::MigrateError::Execute(source) => Error::Database { action, source },
        other => Error::Database {
            action,
            source: sqlx::Error::Migrate(Box::new(other)),
        },
    }
}
