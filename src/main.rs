//! The `dbrepo` binary: configuration and logging, then [`dbrepo::service::run`].

use std::process::ExitCode;

use clap::Parser;
use dbrepo::config::Config;

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    dbrepo::telemetry::init(config.log_format, &config.log);
    match dbrepo::service::run(config, dbrepo::service::shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = format!("{err:#}"), "dbrepo stopped with an error");
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
