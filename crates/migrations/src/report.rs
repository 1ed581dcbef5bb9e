//! How the command line shows long work. A backfill: on a terminal, a
//! progress bar (rows examined against the table's estimated size, rows per
//! second, ETA) and a summary in words; off a terminal, one JSON line per
//! report and a JSON summary line, on standard output, for log collectors.
//! `up` and `down` the same way: a bar of steps naming the one running and a
//! line per step with its duration, or a JSON line per step; either way the
//! wait for the migration lock and a summary.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use dbrepo_migrations::{AppliedStep, BackfillOptions, BackfillReport, Progress, RunEvent};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use sqlx::PgPool;

/// Runs the backfill with its progress shown; on failure, says how far the
/// last report got before returning the error.
pub async fn backfill(pool: &PgPool, options: &BackfillOptions) -> dbrepo_migrations::Result<()> {
    let bar = std::io::stderr().is_terminal().then(new_bar);
    let mut options = options.clone();
    if bar.is_some() {
        // A bar is worth redrawing often; log lines are not.
        options.report_every = options
            .report_every
            .min(std::time::Duration::from_millis(200));
    }
    let mut last = None;
    let outcome = dbrepo_migrations::backfill_with_progress(pool, &options, |progress| {
        match &bar {
            Some(bar) => show(bar, progress),
            None => println!("{}", progress_line(progress)),
        }
        last = Some(*progress);
    })
    .await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    match outcome {
        Ok(report) => {
            match bar {
                Some(_) => print_summary(&report),
                None => println!("{}", summary_line(&report)),
            }
            Ok(())
        }
        Err(err) => {
            if let Some(progress) = last {
                eprintln!(
                    "backfill failed after examining {} row(s) and storing {}; \
                     nothing is half-written: run backfill again to carry on",
                    progress.rows_scanned, progress.rows_updated
                );
            }
            Err(err)
        }
    }
}

fn new_bar() -> ProgressBar {
    let style = ProgressStyle::with_template(
        "{elapsed_precise} [{bar:30}] {pos}/{len} rows examined (of an estimate) · {msg} · ETA {eta}",
    )
    .expect("a valid template")
    .progress_chars("=> ");
    ProgressBar::new(0).with_style(style)
}

fn show(bar: &ProgressBar, progress: &Progress) {
    let estimated = progress.rows_estimated.unwrap_or(0);
    bar.set_length(estimated.max(progress.rows_scanned));
    bar.set_position(progress.rows_scanned);
    bar.set_message(format!(
        "{} stored, {:.0} rows/s",
        progress.rows_updated,
        progress.rows_updated_per_second()
    ));
}

/// One JSON progress line.
fn progress_line(progress: &Progress) -> serde_json::Value {
    json!({
        "event": "backfill progress",
        "rows_scanned": progress.rows_scanned,
        "rows_updated": progress.rows_updated,
        "rows_estimated": progress.rows_estimated,
        "rows_estimated_is": "PostgreSQL's statistics estimate of the table's rows, not a count",
        "rows_per_second": progress.rows_updated_per_second().round(),
        "eta_seconds": progress.eta().map(|eta| eta.as_secs_f64().round()),
        "elapsed_seconds": progress.elapsed.as_secs_f64(),
    })
}

/// The JSON summary line.
fn summary_line(report: &BackfillReport) -> serde_json::Value {
    json!({
        "event": "backfill finished",
        "complete": report.is_complete(),
        "batches": report.batches,
        "rows_scanned": report.rows_scanned,
        "rows_updated": report.rows_updated,
        "rows_left": report.rows_left,
        "stopped_early": report.stopped_early,
        "retries": report.retries,
        "rows_per_second": report.rows_per_second().round(),
        "elapsed_seconds": report.elapsed.as_secs_f64(),
    })
}

fn print_summary(report: &BackfillReport) {
    println!(
        "backfilled {} row(s) of {} scanned in {} batch(es), {:.1} s, {:.0} rows/s",
        report.rows_updated,
        report.rows_scanned,
        report.batches,
        report.elapsed.as_secs_f64(),
        report.rows_per_second()
    );
    if report.retries > 0 {
        println!(
            "{} statement(s) retried after transient failures",
            report.retries
        );
    }
    if report.stopped_early {
        println!("stopped at --max-batches; run backfill again to carry on");
    }
    if report.rows_left > 0 {
        println!(
            "{} row(s) were held by writers throughout; run backfill again later",
            report.rows_left
        );
    }
}

/// Which way `up` or `down` moves the schema.
#[derive(Debug, Clone, Copy)]
pub enum Direction {
    /// Every pending step.
    Up,
    /// Revert every step newer than `to`.
    Down {
        /// The version to end at.
        to: i64,
    },
}

impl Direction {
    /// The past tense the output uses: "applied" or "reverted".
    fn done(self) -> &'static str {
        match self {
            Self::Up => "applied",
            Self::Down { .. } => "reverted",
        }
    }

    fn doing(self) -> &'static str {
        match self {
            Self::Up => "applying",
            Self::Down { .. } => "reverting",
        }
    }
}

/// Runs `up` or `down` with each step and the lock wait shown as it goes.
pub async fn migrate(pool: &PgPool, direction: Direction) -> dbrepo_migrations::Result<()> {
    let bar = std::io::stderr().is_terminal().then(new_step_bar);
    let started = Instant::now();
    let mut lock_wait = Duration::ZERO;
    let mut report = |event: RunEvent<'_>| {
        if let RunEvent::LockTaken { waited } = event {
            lock_wait = waited;
        }
        match &bar {
            Some(bar) => show_step(bar, direction, &event),
            None => {
                if let Some(line) = step_line(direction, &event) {
                    println!("{line}");
                }
            }
        }
    };
    let (way, target) = match direction {
        Direction::Up => (dbrepo_migrations::Direction::Up, i64::MAX),
        Direction::Down { to } => (dbrepo_migrations::Direction::Down, to),
    };
    let outcome = dbrepo_migrations::migrate(pool, way, target, &mut report).await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let steps = outcome?;
    let elapsed = started.elapsed();
    match bar {
        Some(_) => println!(
            "{} {} migration(s) in {:.1} s, {} ms of it waiting for the migration lock",
            direction.done(),
            steps.len(),
            elapsed.as_secs_f64(),
            lock_wait.as_millis()
        ),
        None => println!(
            "{}",
            run_summary_line(direction, &steps, lock_wait, elapsed)
        ),
    }
    Ok(())
}

fn new_step_bar() -> ProgressBar {
    let style =
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} steps · {msg}")
            .expect("a valid template")
            .progress_chars("=> ");
    ProgressBar::new(0).with_style(style)
}

fn show_step(bar: &ProgressBar, direction: Direction, event: &RunEvent<'_>) {
    match event {
        RunEvent::LockTaken { waited } => bar.println(format!(
            "took the migration lock after {} ms",
            waited.as_millis()
        )),
        RunEvent::Planned { steps } => bar.set_length(*steps as u64),
        RunEvent::Started {
            version,
            description,
        } => bar.set_message(format!("{} {version:04} {description}", direction.doing())),
        RunEvent::Finished(step) => {
            bar.println(format!(
                "{} {:04} {} in {} ms",
                direction.done(),
                step.version,
                step.description,
                step.duration.as_millis()
            ));
            bar.inc(1);
        }
    }
}

/// The JSON line an event makes off a terminal, if any.
fn step_line(direction: Direction, event: &RunEvent<'_>) -> Option<serde_json::Value> {
    match event {
        RunEvent::LockTaken { waited } => Some(json!({
            "event": "migration lock taken",
            "waited_ms": waited.as_millis() as u64,
        })),
        RunEvent::Planned { .. } | RunEvent::Started { .. } => None,
        RunEvent::Finished(step) => Some(json!({
            "event": format!("migration {}", direction.done()),
            "version": step.version,
            "description": step.description,
            "duration_ms": step.duration.as_millis() as u64,
        })),
    }
}

/// The JSON summary line of `up` or `down`.
fn run_summary_line(
    direction: Direction,
    steps: &[AppliedStep],
    lock_wait: Duration,
    elapsed: Duration,
) -> serde_json::Value {
    json!({
        "event": format!("migrations {}", direction.done()),
        "steps": steps.len(),
        "versions": steps.iter().map(|step| step.version).collect::<Vec<_>>(),
        "lock_wait_ms": lock_wait.as_millis() as u64,
        "elapsed_seconds": elapsed.as_secs_f64(),
    })
}
