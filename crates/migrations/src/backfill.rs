//! `backfill`: stores the v2 columns of `manager.members` rows that lack them.
//!
//! Rows written before 0002, and rows a v1-only writer (the previous
//! release) inserted or renamed since, have NULL `given_name`/`family_name`
//! and, before 0002 only, NULL `status`. Reads derive those on the fly, so
//! nothing is wrong with them; the backfill only makes the stored data
//! complete, which retiring v1 requires (see docs/versioning.md).
//!
//! Each window of `batch_size` ids, in primary-key order, is two statements:
//! one reads the window (the full names and archived flags of the rows that
//! still need it), the split and the status are computed here with
//! `dbrepo_rules::split_full_name` and `status_of_archived` (the one
//! implementation the service uses too), and one conditional UPDATE stores
//! all of the window's values at once.
//!
//! How it stays safe under traffic:
//! * each statement is a short transaction of its own; no transaction
//!   spans the two, and nothing is locked while the split is computed;
//! * the UPDATE writes a row only while it still needs it *and still holds
//!   the full name and flag that were read*, so a row a writer changed in
//!   between is never given a stale derivation; it is re-read and retried
//!   by id after the pass;
//! * it locks the rows it writes with `FOR UPDATE SKIP LOCKED`: a row a
//!   writer holds is skipped, never waited for, and retried the same way;
//!   the service's own writes are never blocked by more than one batch
//!   statement;
//! * no state is kept: the NULLs are the to-do list, so a killed run is
//!   resumed by running it again (windows already filled are read, not
//!   written) and a finished run re-run updates 0 rows;
//! * a session advisory lock of its own lets only one backfill run per
//!   database; it is not the migration lock, so `up` is never held up.
//!
//! Every UPDATE fires trigger `members_v2_sync`, which moves `updated_at`
//! forward: a backfilled member's v2 etag changes once although nothing
//! visible changes. That is accepted; see docs/versioning.md. What bounds
//! the rate, and why the defaults are what they are: docs/performance.md
//! ("AFTER 2: the backfill").

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use sqlx::PgPool;
use sqlx::pool::PoolConnection;
use sqlx::postgres::Postgres;
use uuid::Uuid;

use crate::{Error, Result, read_applied};

mod sql;

use sql::{Todo, Written, by_ids, release_lock, take_lock, window, write};

/// The schema version that added the columns the backfill fills.
const NEEDS_VERSION: i64 = 2;
/// How many times rows skipped because a writer held them are retried.
const RETRY_ROUNDS: u32 = 3;
/// How many times one statement is retried after a transient failure
/// ([`transient`]) before the run gives up.
const MAX_RETRIES: u32 = 5;
/// The wait before the first retry; it doubles on each next one (0.1, 0.2,
/// 0.4, 0.8, 1.6 s: about 3 s in all, enough for a failover or a
/// restarted server to answer again).
const FIRST_BACKOFF: Duration = Duration::from_millis(100);

/// How a backfill runs.
#[derive(Debug, Clone)]
pub struct BackfillOptions {
    /// Ids examined per batch (a read and at most two writes, each
    /// statement a short transaction of its own).
    pub batch_size: NonZeroU32,
    /// Sleep between batches, leaving more of the database to the service.
    pub pause: Duration,
    /// Stop after this many batches (`None`: run to the end); a later run
    /// carries on, since the NULLs themselves are the to-do list.
    pub max_batches: Option<u64>,
    /// Most rows written per second over the run (`None`: no cap): after a
    /// batch that got ahead of it, the run sleeps until it is back under.
    pub max_rows_per_sec: Option<NonZeroU32>,
    /// How often progress is logged and handed to the caller's observer.
    pub report_every: Duration,
}

impl BackfillOptions {
    /// The default `batch_size`: the rate is flat from 1,000 to 5,000 ids
    /// (500 is slower), and smaller batches hold their row locks for less
    /// time. See docs/performance.md ("AFTER 2").
    pub const DEFAULT_BATCH_SIZE: NonZeroU32 = NonZeroU32::new(1000).expect("non-zero");
    /// The default `pause`: none. Each statement is short and the backfill
    /// holds one connection, so it takes at most one backend's share of
    /// the server; a pause of `n` ms adds `n` ms to each batch of ~20–45 ms.
    /// Raise it to throttle. See docs/performance.md ("AFTER 2").
    pub const DEFAULT_PAUSE: Duration = Duration::ZERO;
    /// The default `report_every`.
    pub const DEFAULT_REPORT_EVERY: Duration = Duration::from_secs(5);
}

impl Default for BackfillOptions {
    fn default() -> Self {
        Self {
            batch_size: Self::DEFAULT_BATCH_SIZE,
            pause: Self::DEFAULT_PAUSE,
            max_batches: None,
            max_rows_per_sec: None,
            report_every: Self::DEFAULT_REPORT_EVERY,
        }
    }
}

/// What a backfill run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackfillReport {
    /// Batches run (windows of the pass plus retried chunks), each a read
    /// and at most two writes, every statement its own transaction.
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
    /// Statements retried after a transient failure (lock timeout,
    /// deadlock, serialization failure, connection lost).
    pub retries: u64,
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

/// Where a run is: handed to the observer of [`backfill_with_progress`]
/// every [`BackfillOptions::report_every`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Rows examined so far.
    pub rows_scanned: u64,
    /// Rows whose v2 columns were stored so far.
    pub rows_updated: u64,
    /// The table's rows as PostgreSQL's statistics estimated them when the
    /// run started (`pg_class.reltuples`): an estimate, not a count; `None`
    /// when the table was never analysed.
    pub rows_estimated: Option<u64>,
    /// Time since the run started.
    pub elapsed: Duration,
}

impl Progress {
    /// Rows examined per second so far.
    pub fn rows_scanned_per_second(&self) -> f64 {
        per_second(self.rows_scanned, self.elapsed)
    }

    /// Rows written per second so far.
    pub fn rows_updated_per_second(&self) -> f64 {
        per_second(self.rows_updated, self.elapsed)
    }

    /// Time left to scan the estimated rows at the rate so far, if known.
    pub fn eta(&self) -> Option<Duration> {
        let left = self.rows_estimated?.saturating_sub(self.rows_scanned);
        let rate = self.rows_scanned_per_second();
        (rate > 0.0).then(|| Duration::from_secs_f64(left as f64 / rate))
    }
}

/// Fills NULL `given_name`/`family_name` (the split of `full_name`) and
/// NULL `status` (from `archived`) of `manager.members`, in keyset batches
/// by id. Needs 0002 applied and a login that may UPDATE the table.
/// Refuses with [`Error::BackfillRunning`] while another backfill runs.
pub async fn backfill(pool: &PgPool, options: &BackfillOptions) -> Result<BackfillReport> {
    backfill_with_progress(pool, options, |_| {}).await
}

/// [`backfill`], handing its [`Progress`] to `observe` every
/// [`BackfillOptions::report_every`] (a progress bar, log lines).
pub async fn backfill_with_progress(
    pool: &PgPool,
    options: &BackfillOptions,
    observe: impl FnMut(&Progress),
) -> Result<BackfillReport> {
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
        let estimated = estimated_rows(&mut conn).await?;
        let report = Run::new(pool, options, estimated, observe)
            .execute(&mut conn)
            .await?;
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
struct Run<'a, F> {
    pool: &'a PgPool,
    options: &'a BackfillOptions,
    report: BackfillReport,
    rows_estimated: Option<u64>,
    observe: F,
    started: Instant,
    last_report: Instant,
}

impl<'a, F: FnMut(&Progress)> Run<'a, F> {
    fn new(
        pool: &'a PgPool,
        options: &'a BackfillOptions,
        rows_estimated: Option<u64>,
        observe: F,
    ) -> Self {
        let now = Instant::now();
        Self {
            pool,
            options,
            report: BackfillReport::default(),
            rows_estimated,
            observe,
            started: now,
            last_report: now,
        }
    }

    /// Runs the backfill; on failure, hands the progress so far to the
    /// observer first, so the caller can say how far it got.
    async fn execute(mut self, conn: &mut PoolConnection<Postgres>) -> Result<BackfillReport> {
        tracing::info!(
            batch_size = self.options.batch_size.get(),
            rows_estimated = self.rows_estimated,
            max_rows_per_sec = self.options.max_rows_per_sec.map(NonZeroU32::get),
            "backfill starting"
        );
        if let Err(err) = self.pass_and_retry(conn).await {
            let progress = self.progress();
            (self.observe)(&progress);
            return Err(err);
        }
        let r = &self.report;
        tracing::info!(
            rows_scanned = r.rows_scanned,
            rows_updated = r.rows_updated,
            rows_left = r.rows_left,
            stopped_early = r.stopped_early,
            retries = r.retries,
            rows_per_s = r.rows_per_second().round() as u64,
            "backfill finished"
        );
        Ok(self.report)
    }

    /// The pass over the table, then the rounds retrying rows writers held.
    async fn pass_and_retry(&mut self, conn: &mut PoolConnection<Postgres>) -> Result<()> {
        let mut missed = self.pass(conn).await?;
        for round in 1..=RETRY_ROUNDS {
            if missed.is_empty() || self.out_of_batches() {
                break;
            }
            tracing::info!(round, rows = missed.len(), "retrying rows writers held");
            missed = self.retry(conn, &missed).await?;
        }
        self.report.rows_left = missed.len() as u64;
        self.report.elapsed = self.started.elapsed();
        Ok(())
    }

    /// One pass over the table in keyset windows; returns the missed ids.
    async fn pass(&mut self, conn: &mut PoolConnection<Postgres>) -> Result<Vec<Uuid>> {
        let mut missed = Vec::new();
        let mut cursor: Option<Uuid> = None;
        while !self.out_of_batches() {
            let mut retry = Retry::default();
            let window = loop {
                match window(conn, cursor, self.options.batch_size).await {
                    Ok(window) => break window,
                    Err(err) => self.recover(conn, err, &mut retry).await?,
                }
            };
            let Some(last_id) = window.last_id else { break };
            cursor = Some(last_id);
            self.report.rows_scanned += window.scanned;
            missed.extend(self.write_read(conn, &window.todo).await?);
            self.pause().await;
        }
        Ok(missed)
    }

    /// Re-reads `ids` (those still needing it, with their current full
    /// names) and writes them; returns the ids missed again.
    async fn retry(
        &mut self,
        conn: &mut PoolConnection<Postgres>,
        ids: &[Uuid],
    ) -> Result<Vec<Uuid>> {
        let mut missed = Vec::new();
        for chunk in ids.chunks(self.options.batch_size.get() as usize) {
            let mut retry = Retry::default();
            let todo = loop {
                match by_ids(conn, chunk).await {
                    Ok(todo) => break todo,
                    Err(err) => self.recover(conn, err, &mut retry).await?,
                }
            };
            missed.extend(self.write_read(conn, &todo).await?);
            self.pause().await;
        }
        Ok(missed)
    }

    /// Writes the splits of rows just read and counts the batch; returns
    /// the ids it missed.
    async fn write_read(
        &mut self,
        conn: &mut PoolConnection<Postgres>,
        todo: &[Todo],
    ) -> Result<Vec<Uuid>> {
        // Nothing is locked here: the write re-checks each row itself.
        tracing::debug!(rows = todo.len(), "backfill window read");
        // Safe to repeat: a write stores a row only while it still needs it.
        let mut retry = Retry::default();
        let written = loop {
            match write(conn, todo).await {
                Ok(written) => break written,
                Err(err) => self.recover(conn, err, &mut retry).await?,
            }
        };
        let missed = self.record(written);
        // Before any report, so no report shows a rate above the cap.
        self.throttle().await;
        self.report_now_and_then();
        Ok(missed)
    }

    /// Counts a batch; returns its missed ids.
    fn record(&mut self, batch: Written) -> Vec<Uuid> {
        self.report.batches += 1;
        self.report.rows_updated += batch.updated;
        tracing::debug!(
            updated = batch.updated,
            missed = batch.missed.len(),
            "backfill batch"
        );
        batch.missed
    }

    /// Logs progress and hands it to the observer, every
    /// [`BackfillOptions::report_every`].
    fn report_now_and_then(&mut self) {
        if self.last_report.elapsed() >= self.options.report_every {
            self.last_report = Instant::now();
            let progress = self.progress();
            tracing::info!(
                rows_scanned = progress.rows_scanned,
                rows_updated = progress.rows_updated,
                rows_estimated = progress.rows_estimated,
                rows_per_s = progress.rows_updated_per_second().round() as u64,
                "backfill progress"
            );
            (self.observe)(&progress);
        }
    }

    /// After a statement failed with `err`: if the failure is transient
    /// and the statement has retries left ([`MAX_RETRIES`]), waits (longer
    /// each time), takes a new connection if it was lost, counts the retry
    /// and returns `Ok` for the caller to run the statement again; else
    /// returns the error. Every statement of the backfill is a transaction
    /// of its own, so PostgreSQL rolled back whatever failed.
    async fn recover(
        &mut self,
        conn: &mut PoolConnection<Postgres>,
        err: Error,
        retry: &mut Retry,
    ) -> Result<()> {
        let Some(kind) = transient(&err) else {
            return Err(err);
        };
        if retry.count == MAX_RETRIES {
            tracing::error!(error = %err, retries = retry.count, "giving up after transient failures");
            return Err(err);
        }
        let wait = FIRST_BACKOFF * 2u32.pow(retry.count);
        retry.count += 1;
        self.report.retries += 1;
        tracing::warn!(
            error = %err,
            cause = ?kind,
            retry = retry.count,
            wait_ms = wait.as_millis() as u64,
            "transient failure; retrying"
        );
        tokio::time::sleep(wait).await;
        if kind == Transient::ConnectionLost {
            // A failure to reconnect is one more failure of the statement.
            if let Err(err) = self.reconnect(conn).await {
                return Box::pin(self.recover(conn, err, retry)).await;
            }
        }
        Ok(())
    }

    /// Replaces a connection that was lost: a new one from the pool, then
    /// the old one closed (releasing its backfill lock if its session still
    /// lives), then the lock taken on the new one.
    async fn reconnect(&self, conn: &mut PoolConnection<Postgres>) -> Result<()> {
        let fresh = self
            .pool
            .acquire()
            .await
            .map_err(Error::db("acquiring a connection"))?;
        let old = std::mem::replace(conn, fresh);
        let _ = sqlx::Connection::close(old.detach()).await;
        take_lock(conn).await
    }

    fn progress(&self) -> Progress {
        Progress {
            rows_scanned: self.report.rows_scanned,
            rows_updated: self.report.rows_updated,
            rows_estimated: self.rows_estimated,
            elapsed: self.started.elapsed(),
        }
    }

    /// Sleeps while the rows written so far are ahead of
    /// [`BackfillOptions::max_rows_per_sec`], so the run's rate never
    /// exceeds it.
    async fn throttle(&self) {
        let Some(cap) = self.options.max_rows_per_sec else {
            return;
        };
        let due = Duration::from_secs_f64(self.report.rows_updated as f64 / f64::from(cap.get()));
        if let Some(ahead) = due.checked_sub(self.started.elapsed()) {
            tokio::time::sleep(ahead).await;
        }
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

/// The retries one statement has had.
#[derive(Debug, Default)]
struct Retry {
    count: u32,
}

/// What kind of transient failure a statement met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transient {
    /// Lock timeout, deadlock or serialization failure: the statement lost
    /// to a concurrent transaction; the connection is fine.
    Conflict,
    /// The connection is gone (I/O, protocol, class 08, server shutting
    /// down): a new one is needed.
    ConnectionLost,
}

/// Whether `err` is worth retrying, and how.
fn transient(err: &Error) -> Option<Transient> {
    let Error::Database { source, .. } = err else {
        return None;
    };
    match source {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::WorkerCrashed => Some(Transient::ConnectionLost),
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some("55P03" | "40P01" | "40001") => Some(Transient::Conflict),
            Some(code) if code.starts_with("08") || code.starts_with("57P0") => {
                Some(Transient::ConnectionLost)
            }
            _ => None,
        },
        _ => None,
    }
}

/// The table's rows as the statistics estimate them; `None` when never
/// analysed (PostgreSQL 14+ says -1 then).
async fn estimated_rows(conn: &mut PoolConnection<Postgres>) -> Result<Option<u64>> {
    let estimate: f32 = sqlx::query_scalar(
        "SELECT reltuples FROM pg_catalog.pg_class WHERE oid = 'manager.members'::regclass",
    )
    .fetch_one(&mut **conn)
    .await
    .map_err(Error::db("reading the table's estimated size"))?;
    Ok((estimate >= 0.0).then_some(estimate as u64))
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
    fn the_eta_is_the_estimated_rows_left_at_the_rate_so_far() {
        let progress = Progress {
            rows_scanned: 1_000,
            rows_updated: 500,
            rows_estimated: Some(3_000),
            elapsed: Duration::from_secs(2),
        };
        assert_eq!(progress.rows_scanned_per_second(), 500.0);
        assert_eq!(progress.rows_updated_per_second(), 250.0);
        assert_eq!(progress.eta(), Some(Duration::from_secs(4)));
        let unknown = Progress {
            rows_estimated: None,
            ..progress
        };
        assert_eq!(unknown.eta(), None);
    }

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
