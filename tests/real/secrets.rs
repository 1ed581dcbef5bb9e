//! The real `dbrepo` binary never prints a database password, wherever it
//! was given (user info, `?password=`, `PGPASSWORD`), in either log format,
//! and a failed connection says why it failed.

use std::net::TcpListener;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

use crate::support::{SERVICE_ROLE, cluster};

/// Only URL-safe characters, so every placement carries it verbatim.
const SECRET: &str = "s3cret-Zq7";

/// Environment that would change where or as whom the binary connects.
const PG_ENV: &[&str] = &["PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD"];

/// The ways an operator hands over a password: (what, URL, PGPASSWORD).
fn placements(user: &str, host_port: &str) -> [(&'static str, String, Option<&'static str>); 3] {
    let url = |tail: &str| format!("postgres://{user}{tail}");
    [
        (
            "user info",
            url(&format!(":{SECRET}@{host_port}/app")),
            None,
        ),
        (
            "query",
            url(&format!("@{host_port}/app?password={SECRET}")),
            None,
        ),
        (
            "PGPASSWORD",
            url(&format!("@{host_port}/app")),
            Some(SECRET),
        ),
    ]
}

/// Runs `dbrepo` until it gives up, logging at debug level in `format`;
/// returns its exit code and everything it printed.
async fn run_dbrepo(url: &str, pgpassword: Option<&str>, format: &str) -> (Option<i32>, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dbrepo"));
    for var in PG_ENV {
        command.env_remove(var);
    }
    if let Some(password) = pgpassword {
        command.env("PGPASSWORD", password);
    }
    let child = command
        .env("DATABASE_URL", url)
        .env("DBREPO_LISTEN", "127.0.0.1:0")
        .env("DBREPO_LOG_FORMAT", format)
        .env("DBREPO_LOG", "debug")
        .env("DBREPO_CONNECT_TIMEOUT_SECS", "1")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(60), child)
        .await
        .expect("dbrepo gives up within a minute")
        .expect("run dbrepo");
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    (output.status.code(), text)
}

/// Every placement in both formats fails, says `why`, and shows no secret.
async fn assert_fails_without_secret(user: &str, host_port: &str, why: &str) {
    for format in ["json", "pretty"] {
        for (what, url, pgpassword) in placements(user, host_port) {
            let (code, output) = run_dbrepo(&url, pgpassword, format).await;
            let case = format!("{what}, {format}");
            assert_eq!(code, Some(1), "{case}: {output}");
            assert!(!output.contains(SECRET), "{case} leaked: {output}");
            assert!(output.contains(why), "{case}: no {why:?} in {output}");
        }
    }
}

#[tokio::test]
async fn a_closed_port_is_reported_as_refused_without_the_password() {
    let host_port = format!("127.0.0.1:{}", closed_port());
    let why = format!("could not connect to svc@{host_port}/app: connection refused");
    assert_fails_without_secret("svc", &host_port, &why).await;
}

#[tokio::test]
async fn a_wrong_password_is_reported_as_such_without_the_password() {
    // The database does not exist either, but the login is checked first.
    let host_port = format!("127.0.0.1:{}", cluster().await.server().port());
    assert_fails_without_secret(SERVICE_ROLE, &host_port, "authentication failed").await;
}

#[tokio::test]
async fn an_unknown_host_and_a_silent_server_are_reported_as_such() {
    assert_fails_without_secret("svc", "no-such-host.invalid:5432", "unknown host").await;
    // The kernel accepts connections into the backlog; nobody answers.
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind");
    let host_port = silent.local_addr().expect("address").to_string();
    assert_fails_without_secret("svc", &host_port, "timed out after 1s").await;
}

#[tokio::test]
async fn a_misspelt_password_parameter_is_refused_without_its_value() {
    // sqlx would log an unknown parameter with its value.
    let url = format!(
        "postgres://svc@127.0.0.1:{}/app?passwd={SECRET}",
        closed_port()
    );
    for format in ["json", "pretty"] {
        let (code, output) = run_dbrepo(&url, None, format).await;
        assert_eq!(code, Some(1), "{format}: {output}");
        assert!(!output.contains(SECRET), "{format} leaked: {output}");
        assert!(output.contains("unknown parameter `passwd`"), "{output}");
    }
}

/// A port nothing listens on (bound, read and released).
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}
