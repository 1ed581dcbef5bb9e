//! Connections: one probe connection that says why it failed, and the
//! migrator's pool of an owner login with timeouts on the session.
//!
//! `-- no-transaction` steps (CREATE INDEX CONCURRENTLY) must hold a single
//! statement, so they cannot `SET LOCAL` their own timeouts; the session
//! settings made here are what bounds them. Transactional steps still set
//! their own values with `SET LOCAL`, which take precedence.

use std::fmt;
use std::io::ErrorKind;
use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection, PgPool};

use crate::{DatabaseUrl, Error, Result};

/// Session settings for the migrator's connections.
#[derive(Debug, Clone)]
pub struct ConnectSettings {
    /// Longest wait for a table lock before a step fails (instead of
    /// queueing every other query of the table behind it).
    pub lock_timeout: Duration,
    /// Longest time one statement may run (an index build on a large table).
    pub statement_timeout: Duration,
    /// Longest wait for the server to accept a connection.
    pub connect_timeout: Duration,
}

impl Default for ConnectSettings {
    fn default() -> Self {
        Self {
            lock_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(30 * 60),
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// Why a connection could not be opened, in an operator's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectFailure {
    /// Nothing listens on that host and port.
    Refused,
    /// The server rejected the login: wrong password or user, or no
    /// `pg_hba.conf` entry (SQLSTATE 28P01, 28000).
    AuthenticationFailed,
    /// The host name does not resolve.
    UnknownHost,
    /// No route to the host or its network.
    Unreachable,
    /// The login worked but the database does not exist (3D000).
    UnknownDatabase,
    /// No answer within the connect timeout.
    TimedOut(Duration),
    /// Anything else; the error's source says what.
    Other,
}

impl fmt::Display for ConnectFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused => f.write_str("connection refused"),
            Self::AuthenticationFailed => f.write_str("authentication failed"),
            Self::UnknownHost => f.write_str("unknown host"),
            Self::Unreachable => f.write_str("host unreachable"),
            Self::UnknownDatabase => f.write_str("database does not exist"),
            Self::TimedOut(after) => write!(f, "timed out after {after:?}"),
            Self::Other => f.write_str("connection failed"),
        }
    }
}

/// Opens one connection within `timeout`, logging host, port, database and
/// user. A pool would only report "pool timed out" whatever went wrong;
/// this error names the cause.
pub async fn open_connection(url: &DatabaseUrl, timeout: Duration) -> Result<PgConnection> {
    tracing::info!(
        host = %url.host(),
        port = url.port(),
        database = url.database(),
        user = url.username(),
        "connecting to PostgreSQL"
    );
    let attempt = PgConnection::connect_with(url.connect_options());
    let (reason, source) = match tokio::time::timeout(timeout, attempt).await {
        Ok(Ok(connection)) => return Ok(connection),
        Ok(Err(source)) => (classify(&source, url, timeout).await, Some(source)),
        Err(_elapsed) => (ConnectFailure::TimedOut(timeout), None),
    };
    Err(Error::Connect {
        target: url.to_string(),
        reason,
        source,
    })
}

/// The cause of a failed connection attempt, by I/O error kind, SQLSTATE,
/// or, for an I/O error of no telling kind, whether the host resolves.
async fn classify(error: &sqlx::Error, url: &DatabaseUrl, timeout: Duration) -> ConnectFailure {
    match error {
        sqlx::Error::Io(io) => match io.kind() {
            ErrorKind::ConnectionRefused => ConnectFailure::Refused,
            ErrorKind::TimedOut => ConnectFailure::TimedOut(timeout),
            ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable => {
                ConnectFailure::Unreachable
            }
            _ if !resolves(url, timeout).await => ConnectFailure::UnknownHost,
            _ => ConnectFailure::Other,
        },
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some("28P01" | "28000") => ConnectFailure::AuthenticationFailed,
            Some("3D000") => ConnectFailure::UnknownDatabase,
            _ => ConnectFailure::Other,
        },
        _ => ConnectFailure::Other,
    }
}

/// Whether the host name resolves; a socket directory always "resolves".
/// The standard library reports a failed lookup with an unnamed error
/// kind, so asking again is the reliable test.
async fn resolves(url: &DatabaseUrl, timeout: Duration) -> bool {
    if url.connect_options().get_socket().is_some() {
        return true;
    }
    let lookup = tokio::net::lookup_host((url.host(), url.port()));
    !matches!(tokio::time::timeout(timeout, lookup).await, Ok(Err(_)))
}

/// The target with the session timeouts of `settings`.
fn with_timeouts(url: &DatabaseUrl, settings: &ConnectSettings) -> DatabaseUrl {
    url.clone().with_session_settings([
        ("lock_timeout", millis(settings.lock_timeout)),
        ("statement_timeout", millis(settings.statement_timeout)),
    ])
}

/// Opens a pool of `pool` options on `url`, after one probe connection
/// ([`open_connection`]) so that a refused login or an unreachable server
/// is reported as such, not as a pool timeout. The pool opens its
/// connections when first asked, and its `min_connections` in the
/// background. Both binaries connect here.
pub async fn open_pool(
    url: &DatabaseUrl,
    pool: PgPoolOptions,
    connect_timeout: Duration,
) -> Result<PgPool> {
    let probe = open_connection(url, connect_timeout).await?;
    // A polite close; the server would otherwise log an unexpected EOF.
    let _ = probe.close().await;
    Ok(pool.connect_lazy_with(url.connect_options().clone()))
}

/// Opens a small pool for the migrator (one connection runs the steps and
/// holds the advisory lock; a second one is spare for status queries).
pub async fn connect(url: &DatabaseUrl, settings: &ConnectSettings) -> Result<PgPool> {
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(settings.connect_timeout);
    open_pool(
        &with_timeouts(url, settings),
        pool,
        settings.connect_timeout,
    )
    .await
}

fn millis(duration: Duration) -> String {
    format!("{}ms", duration.as_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_session_timeouts() {
        let url = DatabaseUrl::parse("postgres://u:p@h/db").unwrap();
        let url = with_timeouts(&url, &ConnectSettings::default());
        let line = url.connect_options().get_options().unwrap_or_default();
        assert!(line.contains("lock_timeout=5000ms"), "{line}");
        assert!(line.contains("statement_timeout=1800000ms"), "{line}");
    }

    #[tokio::test]
    async fn a_closed_port_is_refused() {
        let port = closed_port();
        let url = DatabaseUrl::parse(&format!("postgres://u:pw@127.0.0.1:{port}/db")).unwrap();
        let error = open_connection(&url, Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(matches!(
            error,
            Error::Connect {
                reason: ConnectFailure::Refused,
                ..
            }
        ));
        let text = error.to_string();
        assert_eq!(
            text,
            format!("could not connect to u@127.0.0.1:{port}/db: connection refused")
        );
    }

    #[tokio::test]
    async fn a_name_that_does_not_resolve_is_an_unknown_host() {
        let url = DatabaseUrl::parse("postgres://u:pw@no-such-host.invalid/db").unwrap();
        let error = open_connection(&url, Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                Error::Connect {
                    reason: ConnectFailure::UnknownHost,
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn a_server_that_never_answers_times_out() {
        // The kernel accepts the connection into the backlog; nobody reads.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let url = DatabaseUrl::parse(&format!("postgres://u:pw@127.0.0.1:{port}/db")).unwrap();
        let timeout = Duration::from_millis(300);
        let error = open_connection(&url, timeout).await.unwrap_err();
        assert!(
            error.to_string().ends_with("timed out after 300ms"),
            "{error}"
        );
    }

    fn closed_port() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    }
}
