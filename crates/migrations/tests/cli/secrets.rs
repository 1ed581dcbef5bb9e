//! No password in the binary's output, wherever it was given, and a
//! failed connection that says why it failed.

use std::net::TcpListener;

use dbrepo_dev_postgres::SUPERUSER;

use crate::support::{run, server};

/// Only URL-safe characters, so every placement carries it verbatim.
const SECRET: &str = "s3cret-Zq7";

/// The ways an operator hands over a password: (what, URL, PGPASSWORD).
fn placements(user: &str, host_port: &str) -> [(&'static str, String, Option<&'static str>); 3] {
    [
        (
            "user info",
            format!("postgres://{user}:{SECRET}@{host_port}/app"),
            None,
        ),
        (
            "query",
            format!("postgres://{user}@{host_port}/app?password={SECRET}"),
            None,
        ),
        (
            "PGPASSWORD",
            format!("postgres://{user}@{host_port}/app"),
            Some(SECRET),
        ),
    ]
}

async fn assert_fails_without_secret(url: &str, pgpassword: Option<&str>, why: &str, what: &str) {
    let mut env = vec![("DATABASE_URL", url)];
    env.extend(pgpassword.map(|password| ("PGPASSWORD", password)));
    let run = run(&["status"], &env).await;
    assert_eq!(run.code, Some(1), "{what}: {}", run.output);
    assert!(
        !run.output.contains(SECRET),
        "{what} leaked: {}",
        run.output
    );
    assert!(
        run.output.contains(why),
        "{what}: no {why:?} in {}",
        run.output
    );
}

#[tokio::test]
async fn a_closed_port_is_reported_as_refused_without_the_password() {
    let port = closed_port();
    let host_port = format!("127.0.0.1:{port}");
    let why = format!("could not connect to svc@{host_port}/app: connection refused");
    for (what, url, pgpassword) in placements("svc", &host_port) {
        assert_fails_without_secret(&url, pgpassword, &why, what).await;
    }
}

#[tokio::test]
async fn a_wrong_password_is_reported_as_such_without_the_password() {
    let host_port = format!("127.0.0.1:{}", server().await.port());
    for (what, url, pgpassword) in placements(SUPERUSER, &host_port) {
        assert_fails_without_secret(&url, pgpassword, "authentication failed", what).await;
    }
}

#[tokio::test]
async fn an_unknown_host_is_reported_as_such_without_the_password() {
    for (what, url, pgpassword) in placements("svc", "no-such-host.invalid:5432") {
        assert_fails_without_secret(&url, pgpassword, "unknown host", what).await;
    }
}

#[tokio::test]
async fn a_misspelt_password_parameter_is_refused_without_its_value() {
    // sqlx would log an unknown parameter with its value.
    let url = format!(
        "postgres://svc@127.0.0.1:{}/app?passwd={SECRET}",
        closed_port()
    );
    let why = "invalid database URL: unknown parameter `passwd`";
    assert_fails_without_secret(&url, None, why, "misspelt key").await;
}

/// A port nothing listens on (bound, read and released).
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}
