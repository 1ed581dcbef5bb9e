//! `backfill`: stores the v2 columns of `manager.members` rows that lack them.
//!
//! Rows written before 0002, and rows a v1-only writer (the previous
//! release) inserted or renamed since, have NULL `given_name`/`family_name`
//! and, before 0002 only, NULL `status`. Reads derive those on the fly, so
//! nothing is wrong with them; the backfill only makes the stored data
//! complete, which retiring v1 requires (see docs/versioning.md).
//!
//! How it stays safe under traffic:
//! * one pass over the table in keyset windows of `batch_size` ids; each
//!   window is one statement, so one short transaction of its own;
//! * only rows that still need it are locked, with `FOR UPDATE SKIP LOCKED`:
//!   a row a writer holds is skipped, never waited for, and retried by id
//!   after the pass; the service's own writes are never blocked;
//! * no state is kept: the NULLs are the to-do list, so a killed run is
//!   resumed by running it again (windows already filled are read, not
//!   written) and a finished run re-run updates 0 rows;
//! * a session advisory lock of its own lets only one backfill run per
//!   database; it is not the migration lock, so `up` is never held up.
//!
//! The split is computed in SQL exactly as the service's Rust
//! `core::mapping::split_full_name` does (a real test asserts it). Every
//! UPDATE fires trigger `members_v2_sync`, which moves `updated_at` forward:
//! a backfilled member's v2 etag changes once although nothing visible
//! changes. That is accepted; see docs/versioning.md.

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use sqlx::PgPool;
use sqlx::pool::PoolConnection;
use sqlx::postgres::Postgres;
use uuid::Uuid;

use crate::{Error, Result, read_applied};

mod sql;

use sql::{Batch, by_ids, release_lock, take_lock, window};

/// Unicode White_Space as a regular-expression bracket class for SQL: a
/// copy of `dbrepo::core::mapping::WHITE_SPACE_CLASS` (this crate cannot
/// depend on the service); a real test asserts the two are equal.
pub const WHITE_SPACE_CLASS: &str =
    r"[\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";

/// The schema version that added the columns the backfill fills.
const NEEDS_VERSION: i64 = 2;
/// How often rows-done progress is logged at info level.
const REPORT_EVERY: Duration = Duration::from_secs(5);
/// How many times rows skipped because a writer held them are retried.
const RETRY_ROUNDS: u32 = 3;

/// How a backfill runs.
#[derive(Debug, Clone)]
pub struct BackfillOptions {
    /// Ids examined per batch (one statement, one transaction).
    pub batch_size: NonZeroU32,
    /// Sleep between batches, leaving the database to the service.
    pub pause: Duration,
    /// Stop after this many batches (`None`: run to the end); a later run
    /// carries on, since the NULLs themselves are the to-do list.
    pub max_batches: Option<u64>,
}

impl Default for BackfillOptions {
    fn default() -> Self {
        Self {
            batch_size: NonZeroU32::new(1000).expect("non-zero"),
            pause: Duration::from_millis(20),
            max_batches: None,
        }
    }
}

/// What a backfill run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackfillReport {
    /// Statements run (windows of the pass plus retries).
    pub batches: u64,
    /// Rows examined by the pass.
    pub rows_scanned: u64,
    /// Rows whose v2 columns this run stored.
    pub rows_updated: u64,
    /// Rows still needing it that writers held through every retry; reads
    /// derive them meanwhile and a later run fills them.
    pub rows_left: u64,
    /// True when `max_batches` ended the run before the end of the table.
    pub stopped_early: bool,
    /// Wall-clock time of the run.
    pub elapsed: Duration,
}

impl BackfillReport {
    /// True when the run covered the whole table and left nothing behind.
    pub fn is_complete(&self) -> bool {
        !self.stopped_early && self.rows_left == 0
    }

    /// Rows updated per second of the run.
    pub fn rows_per_second(&self) -> f64 {
        per_second(self.rows_updated, self.elapsed)
    }
}

/// Fills NULL `given_name`/`family_name` (the split of `full_name`) and
/// NULL `status` (from `archived`) of `manager.members`, in keyset batches
/// by id. Needs 0002 applied and a login that may UPDATE the table.
/// Refuses with [`Error::BackfillRunning`] while another backfill runs.
pub async fn backfill(pool: &PgPool, options: &BackfillOptions) -> Result<BackfillReport> {
    let applied = read_applied(pool).await?;
    if !applied
        .iter()
        .any(|r| r.version == NEEDS_VERSION && r.success)
    {
        return Err(Error::BackfillNeedsVersion {
            version: NEEDS_VERSION,
        });
    }
    let mut conn = pool
        .acquire()
        .await
        .map_err(Error::db("acquiring a connection"))?;
    let outcome = async {
        take_lock(&mut conn).await?;
        let report = Run::new(options).execute(&mut conn).await?;
        release_lock(&mut conn).await?;
        Ok(report)
    }
    .await;
    if outcome.is_err() {
        // Ends the session, so its advisory lock goes with it.
        let _ = conn.close().await;
    }
    outcome
}

/// One run's progress.
struct Run<'a> {
    options: &'a BackfillOptions,
    report: BackfillReport,
    started: Instant,
    last_report: Instant,
}

impl<'a> Run<'a> {
    fn new(options: &'a BackfillOptions) -> Self {
        let now = Instant::now();
        Self {
            options,
            report: BackfillReport::default(),
            started: now,
            last_report: now,
        }
    }

    async fn execute(mut self, conn: &mut PoolConnection<Postgres>) -> Result<BackfillReport> {
        tracing::info!(
            batch_size = self.options.batch_size.get(),
            "backfill starting"
        );
        let mut missed = Vec::new();
        let mut cursor: Option<Uuid> = None;
        loop {
            if self.out_of_batches() {
                break;
            }
            let batch = window(conn, cursor, self.options.batch_size).await?;
            let Some(last_id) = batch.last_id else { break };
            cursor = Some(last_id);
            self.report.rows_scanned += batch.scanned;
            missed.extend(self.record(batch));
            self.pause().await;
        }
        for round in 1..=RETRY_ROUNDS {
            if missed.is_empty() || self.out_of_batches() {
                break;
            }
            tracing::info!(round, rows = missed.len(), "retrying rows writers held");
            let chunks: Vec<Vec<Uuid>> = missed
                .chunks(self.options.batch_size.get() as usize)
                .map(<[Uuid]>::to_vec)
                .collect();
            missed.clear();
            for chunk in chunks {
                let batch = by_ids(conn, &chunk).await?;
                missed.extend(self.record(batch));
                self.pause().await;
            }
        }
        self.report.rows_left = missed.len() as u64;
        self.report.elapsed = self.started.elapsed();
        let r = &self.report;
        tracing::info!(
            rows_scanned = r.rows_scanned,
            rows_updated = r.rows_updated,
            rows_left = r.rows_left,
            stopped_early = r.stopped_early,
            rows_per_s = r.rows_per_second().round() as u64,
            "backfill finished"
        );
        Ok(self.report)
    }

    /// Counts a batch, logs progress now and then; returns its missed ids.
    fn record(&mut self, batch: Batch) -> Vec<Uuid> {
        self.report.batches += 1;
        self.report.rows_updated += batch.updated;
        tracing::debug!(
            scanned = batch.scanned,
            updated = batch.updated,
            missed = batch.missed.len(),
            "backfill batch"
        );
        if self.last_report.elapsed() >= REPORT_EVERY {
            self.last_report = Instant::now();
            let elapsed = self.started.elapsed();
            tracing::info!(
                rows_scanned = self.report.rows_scanned,
                rows_updated = self.report.rows_updated,
                rows_per_s = per_second(self.report.rows_updated, elapsed).round() as u64,
                "backfill progress"
            );
        }
        batch.missed
    }

    fn out_of_batches(&mut self) -> bool {
        let out = self
            .options
            .max_batches
            .is_some_and(|max| self.report.batches >= max);
        self.report.stopped_early |= out;
        out
    }

    async fn pause(&self) {
        if !self.options.pause.is_zero() {
            tokio::time::sleep(self.options.pause).await;
        }
    }
}

fn per_second(rows: u64, elapsed: Duration) -> f64 {
    let seconds = elapsed.as_secs_f64();
    if seconds > 0.0 {
        rows as f64 / seconds
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_is_complete_only_when_nothing_is_left() {
        let done = BackfillReport::default();
        assert!(done.is_complete());
        let left = BackfillReport {
            rows_left: 1,
            ..done.clone()
        };
        assert!(!left.is_complete());
        let early = BackfillReport {
            stopped_early: true,
            ..done
        };
        assert!(!early.is_complete());
    }
}
