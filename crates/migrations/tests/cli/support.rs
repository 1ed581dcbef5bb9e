//! A throwaway server shared by the tests of this process, an empty
//! database per test, and one run of the binary with its output collected.

use std::process::Stdio;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use dbrepo_dev_postgres::{PostgresServer, SUPERUSER, StartOptions};
use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection};
use tokio::process::Command;
use tokio::sync::OnceCell;

/// Environment that would change where or as whom the binary connects.
const PG_ENV: &[&str] = &["PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD"];

static SERVER: OnceCell<PostgresServer> = OnceCell::const_new();
/// The server is this process's own, so a counter makes names unique.
static NEXT_DATABASE: AtomicU32 = AtomicU32::new(1);

/// The server of this test process; stopped by its exit hook when the
/// process ends. Panics (the test fails) when none can be started.
pub async fn server() -> &'static PostgresServer {
    SERVER
        .get_or_init(|| async {
            PostgresServer::start(StartOptions::for_tests())
                .await
                .unwrap_or_else(|error| panic!("cannot run the binary tests: {error}"))
        })
        .await
}

/// A new empty database; returns the owner's (the superuser's) URL of it.
pub async fn empty_database() -> String {
    let server = server().await;
    let name = format!("test_{}", NEXT_DATABASE.fetch_add(1, Ordering::Relaxed));
    let mut admin = PgConnection::connect(&server.superuser_url())
        .await
        .expect("connect as the superuser");
    admin
        .execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .expect("create the test database");
    admin.close().await.expect("close");
    server.url_for(&name, SUPERUSER, server.superuser_password())
}

/// What one run of the binary did.
pub struct Run {
    /// The exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Standard output, then standard error.
    pub output: String,
}

/// Runs `dbrepo-migrations` with `args` and `env` (nothing else of the
/// PostgreSQL environment), logging at debug level so that more can leak.
pub async fn run(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dbrepo-migrations"));
    command.args(args).env_remove("DATABASE_URL");
    for var in PG_ENV {
        command.env_remove(var);
    }
    let child = command
        .envs(env.iter().copied())
        .env("RUST_LOG", "debug")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(60), child)
        .await
        .expect("dbrepo-migrations finishes within a minute")
        .expect("run dbrepo-migrations");
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    Run {
        code: output.status.code(),
        output: text,
    }
}
