//! `dbrepo-migrations`: applies, reverts and inspects dbrepo's schema.
//!
//! Runs with an owner (DDL-capable) login, never the service's DML login.
//! Exits non-zero with the cause chain on any failure; `status` has exit
//! codes of its own ([`STATUS_EXIT_CODES`]). The URL is shown only as host,
//! port, database and user, never with its password.

use std::num::NonZeroU32;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use dbrepo_migrations::{
    BackfillOptions, ConnectSettings, DatabaseUrl, Finding, Status, VerifyOptions, VerifyReport,
    connect,
};
use secrecy::{ExposeSecret, SecretString};

mod report;
use report::Direction;

/// The exit codes of `status`, for `--help` (README's Deploying section
/// lists the same; `Verdict::exit_code` is the source).
const STATUS_EXIT_CODES: &str = "\
Exit codes of `status` (the worst state wins when several hold):
  0  up to date: every known migration is applied and nothing is wrong
  3  pending: known migrations are not applied yet (run `up`)
  4  unknown newer: migrations of a newer release are applied (use its migrator)
  5  drifted: an applied migration's file differs from this build, or a
     migration is recorded as failed (a human must look)
  1  any error (e.g. cannot connect); 2  invalid command line";

/// The exit codes of `verify`.
const VERIFY_EXIT_CODES: &str = "\
Exit codes of `verify`:
  0  clean: a contract step would lose nothing
  6  not clean: rows not backfilled or disagreeing, constraints NOT VALID
     or invalid indexes (each listed)
  1  any error (e.g. cannot connect); 2  invalid command line";

/// What `verify` exits with when it found something.
const VERIFY_NOT_CLEAN: u8 = 6;

/// Applies, reverts and inspects dbrepo's database schema.
///
/// `up` changes only the schema and never backfills data: expand steps stay
/// short, and reads derive the v2 view of rows that lack it. Run `backfill`
/// once the new release serves traffic (it is required before v1 can be
/// retired, never before anything else); it is safe to run, kill and rerun
/// at any time.
#[derive(Debug, Parser)]
#[command(version, after_help = STATUS_EXIT_CODES)]
struct Cli {
    /// PostgreSQL URL of an owner login that may run DDL (a password may
    /// also come from PGPASSWORD).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: SecretString,
    /// What to do; `up` when omitted.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Applies every pending migration (the default). Does not backfill.
    Up,
    /// Reverts applied migrations newer than `--to`.
    Down {
        /// The version to end at; 0 reverts everything (and loses all data).
        #[arg(long)]
        to: i64,
    },
    /// Shows applied and pending migrations and anything wrong; the exit
    /// code says which (see below).
    #[command(after_help = STATUS_EXIT_CODES)]
    Status,
    /// Stores given_name, family_name and status of manager.members rows
    /// that lack them, in short batches, while the service serves traffic.
    ///
    /// Needs migration 0002. Resumable: the NULLs are the to-do list, so a
    /// killed run is finished by running it again, and a finished run
    /// re-run updates nothing. Each backfilled member's v2 etag changes
    /// once (nothing visible changes).
    Backfill {
        /// Ids examined per batch; each batch is a read and at most two
        /// writes, each statement a short transaction of its own.
        #[arg(long, default_value_t = BackfillOptions::DEFAULT_BATCH_SIZE)]
        batch_size: NonZeroU32,
        /// Milliseconds to sleep between batches (raise it to throttle).
        #[arg(long, default_value_t = BackfillOptions::DEFAULT_PAUSE.as_millis() as u64)]
        pause_ms: u64,
        /// Stop after this many batches (a later run carries on).
        #[arg(long)]
        max_batches: Option<u64>,
        /// Most rows written per second over the run (unset: no cap).
        #[arg(long)]
        max_rows_per_sec: Option<NonZeroU32>,
        /// Seconds between progress reports: a bar on a terminal, else one
        /// JSON line each on standard output.
        #[arg(long, default_value = "5", value_parser = parse_seconds)]
        progress_every: Duration,
    },
    /// Checks that a contract step (retiring v1) would lose nothing: every
    /// member row backfilled and agreeing with the mapping rules, no
    /// constraint NOT VALID, no invalid index. Read-only, short statements.
    #[command(after_help = VERIFY_EXIT_CODES)]
    Verify {
        /// Member rows read per statement.
        #[arg(long, default_value_t = VerifyOptions::default().batch_size)]
        batch_size: NonZeroU32,
        /// Example ids listed per finding.
        #[arg(long, default_value_t = VerifyOptions::default().examples)]
        examples: usize,
        /// Print the report as one JSON object (for machines).
        #[arg(long)]
        json: bool,
    },
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx::postgres::notice=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(&cli).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("dbrepo-migrations: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the command; the exit code is success unless `status` found
/// something to report.
async fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    let url = DatabaseUrl::parse(cli.database_url.expose_secret())?;
    let pool = connect(&url, &ConnectSettings::default()).await?;
    let result = match cli.command.as_ref().unwrap_or(&Command::Up) {
        Command::Up => report::migrate(&pool, Direction::Up)
            .await
            .map(|()| ExitCode::SUCCESS),
        Command::Down { to } => report::migrate(&pool, Direction::Down { to: *to })
            .await
            .map(|()| ExitCode::SUCCESS),
        Command::Status => dbrepo_migrations::status(&pool).await.map(|s| {
            print_status(&s);
            ExitCode::from(s.verdict().exit_code())
        }),
        Command::Backfill {
            batch_size,
            pause_ms,
            max_batches,
            max_rows_per_sec,
            progress_every,
        } => {
            let options = BackfillOptions {
                batch_size: *batch_size,
                pause: Duration::from_millis(*pause_ms),
                max_batches: *max_batches,
                max_rows_per_sec: *max_rows_per_sec,
                report_every: *progress_every,
            };
            report::backfill(&pool, &options)
                .await
                .map(|()| ExitCode::SUCCESS)
        }
        Command::Verify {
            batch_size,
            examples,
            json,
        } => {
            let options = VerifyOptions {
                batch_size: *batch_size,
                examples: *examples,
            };
            dbrepo_migrations::verify(&pool, &options)
                .await
                .map(|report| {
                    if *json {
                        println!("{}", verify_json(&report));
                    } else {
                        print_verify(&report);
                    }
                    if report.is_clean() {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::from(VERIFY_NOT_CLEAN)
                    }
                })
        }
    };
    pool.close().await;
    Ok(result?)
}

/// One line per step with its duration, then the count.
/// A positive number of seconds, fractions allowed (`0.5`).
fn parse_seconds(value: &str) -> Result<Duration, String> {
    let seconds: f64 = value.parse().map_err(|err| format!("{err}"))?;
    if seconds.is_nan() || seconds <= 0.0 {
        return Err("must be more than 0 seconds".into());
    }
    Duration::try_from_secs_f64(seconds).map_err(|err| err.to_string())
}

fn print_status(status: &Status) {
    for applied in &status.applied {
        let state = if applied.success { "applied" } else { "FAILED" };
        println!("{:04} {state:8} {}", applied.version, applied.description);
    }
    for pending in &status.pending {
        println!(
            "{:04} {:8} {}",
            pending.version, "pending", pending.description
        );
    }
    if !status.checksum_mismatch.is_empty() {
        println!(
            "checksum differs from this build: {:?}",
            status.checksum_mismatch
        );
    }
    if !status.unknown_applied.is_empty() {
        println!(
            "applied but unknown to this build: {:?}",
            status.unknown_applied
        );
    }
    let verdict = status.verdict();
    println!(
        "current version {}, {verdict} (exit code {})",
        status.current_version(),
        verdict.exit_code()
    );
}

fn print_verify(report: &VerifyReport) {
    println!(
        "verified {} member row(s) in {:.1} s",
        report.rows_scanned,
        report.elapsed.as_secs_f64()
    );
    let rows = [
        ("not backfilled (run `backfill`)", &report.not_backfilled),
        ("status disagrees with archived", &report.status_disagrees),
        ("names disagree with full_name", &report.names_disagree),
    ];
    for (what, finding) in rows {
        println!("{what}: {}", describe(finding));
    }
    let list = |names: &[String]| {
        if names.is_empty() {
            "none".to_owned()
        } else {
            names.join(", ")
        }
    };
    println!(
        "constraints NOT VALID (run `up`): {}",
        list(&report.leftovers.constraints_not_valid)
    );
    println!(
        "invalid indexes (DROP INDEX CONCURRENTLY, then `up`): {}",
        list(&report.leftovers.invalid_indexes)
    );
    if report.is_clean() {
        println!("clean: a contract step would lose nothing (exit code 0)");
    } else {
        println!(
            "NOT clean: fix the above before any contract step (exit code {VERIFY_NOT_CLEAN})"
        );
    }
}

fn describe(finding: &Finding) -> String {
    if finding.count == 0 {
        return "0".to_owned();
    }
    let ids: Vec<String> = finding.examples.iter().map(ToString::to_string).collect();
    format!("{} (e.g. {})", finding.count, ids.join(", "))
}

fn verify_json(report: &VerifyReport) -> serde_json::Value {
    let finding = |finding: &Finding| serde_json::json!({ "count": finding.count, "examples": finding.examples });
    serde_json::json!({
        "clean": report.is_clean(),
        "rows_scanned": report.rows_scanned,
        "not_backfilled": finding(&report.not_backfilled),
        "status_disagrees": finding(&report.status_disagrees),
        "names_disagree": finding(&report.names_disagree),
        "constraints_not_valid": report.leftovers.constraints_not_valid,
        "invalid_indexes": report.leftovers.invalid_indexes,
        "elapsed_seconds": report.elapsed.as_secs_f64(),
    })
}
