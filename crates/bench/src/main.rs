//! # dbrepo-bench
//!
//! dbrepo's own benchmark (`cargo run --release -p dbrepo-bench`; see
//! `docs/performance.md`). It starts PostgreSQL with `pg_stat_statements`,
//! migrates and seeds it ([`db`], [`seed`]), serves dbrepo as separate
//! processes ([`server`]): one measured, connected directly, and one probe
//! behind a counting proxy ([`proxy`], [`wire`]). For each RPC kind
//! ([`rpc`]) it counts round trips and captures one call's statements on
//! the probe, then alternates timed segments of tonic clients ([`load`])
//! and of `pgbench -M prepared` on those statements ([`script`],
//! [`pgbench`]), reading CPU from `/proc` ([`cpu`]) and the statements
//! from `pg_stat_statements` ([`stats`]). [`extras`] measures the sync
//! trigger and the backfill; [`report`] and [`chart`] write the results.
//!
//! It is a measurement, not a test: nothing here asserts a figure.

mod chart;
mod cli;
mod cpu;
mod db;
mod extras;
mod ids;
mod load;
mod measure;
mod pgbench;
mod proxy;
mod report;
mod rpc;
mod run;
mod script;
mod seed;
mod server;
mod stats;
mod wire;

use std::process::ExitCode;

use clap::Parser;

/// Two workers: the machine this was written for has two cores, shared
/// with dbrepo and PostgreSQL. Child processes are spawned from the main
/// task, which runs on the main thread (see `server::child_command`).
#[tokio::main(worker_threads = 2)]
async fn main() -> ExitCode {
    let args = cli::Args::parse().normalized();
    let outcome = tokio::select! {
        outcome = run::run(&args) => outcome,
        () = interrupted() => Err(anyhow::anyhow!("interrupted")),
    };
    // Dropping the run's future (on a signal) killed the dbrepo children and
    // stopped the throwaway server through their handles' Drop.
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("dbrepo-bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
async fn interrupted() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(signal) => signal,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
