//! The `dbrepo` binary: configuration, logging and tracing, then
//! [`dbrepo::service::run`].

use std::process::ExitCode;

use clap::Parser;
use dbrepo::config::Config;

/// Every call allocates its rows, strings and messages: under glibc's malloc
/// that was 13% of dbrepo's CPU on ListTasks, and mimalloc takes 5–10% off
/// dbrepo's CPU per call (docs/performance.md, AFTER 6). Built with
/// `no_thp`: transparent huge pages on its arenas doubled idle RSS.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    let telemetry =
        match dbrepo::telemetry::init(config.log_format, &config.log, config.otlp_endpoint()) {
            Ok(telemetry) => telemetry,
            Err(err) => {
                eprintln!("error: {err:#}");
                return ExitCode::FAILURE;
            }
        };
    let outcome = dbrepo::service::run(config, dbrepo::service::shutdown_signal()).await;
    if let Err(err) = &outcome {
        tracing::error!(error = format!("{err:#}"), "dbrepo stopped with an error");
        eprintln!("error: {err:#}");
    }
    telemetry.shutdown().await;
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}
