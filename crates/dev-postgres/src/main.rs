//! `dbrepo-dev-postgres COMMAND [ARG...]`: runs COMMAND with `DATABASE_URL`
//! set to the superuser of a throwaway PostgreSQL, stops the server, and
//! exits with COMMAND's exit code. CI scripts use it for checks that need a
//! database but not the test harness (`.ci/check-sqlx`).

use std::process::ExitCode;

use dbrepo_dev_postgres::{PostgresServer, StartOptions};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(program) = args.next() else {
        eprintln!("usage: dbrepo-dev-postgres COMMAND [ARG...]");
        return ExitCode::from(2);
    };
    let server = match PostgresServer::start(StartOptions::for_tests()).await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("dbrepo-dev-postgres: {error}");
            return ExitCode::FAILURE;
        }
    };
    let status = tokio::process::Command::new(&program)
        .args(args)
        .env("DATABASE_URL", server.superuser_url())
        .status()
        .await;
    if let Err(error) = server.stop() {
        eprintln!("dbrepo-dev-postgres: stopping the server: {error}");
    }
    match status {
        Ok(status) => status
            .code()
            .and_then(|code| u8::try_from(code).ok())
            .map_or(ExitCode::FAILURE, ExitCode::from),
        Err(error) => {
            eprintln!(
                "dbrepo-dev-postgres: running {}: {error}",
                program.display()
            );
            ExitCode::FAILURE
        }
    }
}
