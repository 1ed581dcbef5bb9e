//! `dbrepo-migrations`: applies, reverts and inspects dbrepo's schema.
//!
//! Runs with an owner (DDL-capable) login, never the service's DML login.
//! Exits non-zero with the cause chain on any failure; the URL is only ever
//! shown with its password masked.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use dbrepo_migrations::{ConnectSettings, Status, connect, mask_url};

/// Applies, reverts and inspects dbrepo's database schema.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// PostgreSQL URL of an owner login that may run DDL.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: String,
    /// What to do; `up` when omitted.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Applies every pending migration (the default).
    Up,
    /// Reverts applied migrations newer than `--to`.
    Down {
        /// The version to end at; 0 reverts everything (and loses all data).
        #[arg(long)]
        to: i64,
    },
    /// Shows applied and pending migrations and anything wrong.
    Status,
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
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("dbrepo-migrations: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: &Cli) -> anyhow::Result<()> {
    tracing::info!(url = %mask_url(&cli.database_url), "connecting");
    let pool = connect(&cli.database_url, &ConnectSettings::default()).await?;
    let result = match cli.command.as_ref().unwrap_or(&Command::Up) {
        Command::Up => dbrepo_migrations::up(&pool).await.map(|steps| {
            println!("applied {} migration(s)", steps.len());
        }),
        Command::Down { to } => dbrepo_migrations::down_to(&pool, *to).await.map(|steps| {
            println!("reverted {} migration(s)", steps.len());
        }),
        Command::Status => dbrepo_migrations::status(&pool)
            .await
            .map(|s| print_status(&s)),
    };
    pool.close().await;
    Ok(result?)
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
    println!(
        "current version {}, {}",
        status.current_version(),
        if status.is_current() {
            "up to date"
        } else {
            "not up to date"
        }
    );
}
