//! Connections for the migrator: an owner login with timeouts on the session.
//!
//! `-- no-transaction` steps (CREATE INDEX CONCURRENTLY) must hold a single
//! statement, so they cannot `SET LOCAL` their own timeouts; the session
//! settings made here are what bounds them. Transactional steps still set
//! their own values with `SET LOCAL`, which take precedence.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

use crate::{Error, Result};

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

/// Parses `url` and adds the session timeouts of `settings`.
pub fn connect_options(url: &str, settings: &ConnectSettings) -> Result<PgConnectOptions> {
    let options = PgConnectOptions::from_str(url).map_err(|source| Error::Url {
        url: mask_url(url),
        source,
    })?;
    Ok(options.options([
        ("lock_timeout", millis(settings.lock_timeout)),
        ("statement_timeout", millis(settings.statement_timeout)),
    ]))
}

/// Opens a small pool for the migrator (one connection runs the steps and
/// holds the advisory lock; a second one is spare for status queries).
/// One connection is opened first so that a refused login or an unreachable
/// server is reported as such, not as a pool timeout.
pub async fn connect(url: &str, settings: &ConnectSettings) -> Result<PgPool> {
    let options = connect_options(url, settings)?;
    let failed = |source| Error::Connect {
        url: mask_url(url),
        source,
    };
    let probe = tokio::time::timeout(
        settings.connect_timeout,
        PgConnection::connect_with(&options),
    )
    .await
    .map_err(|_| failed(sqlx::Error::PoolTimedOut))?
    .map_err(failed)?;
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(settings.connect_timeout)
        .connect_lazy_with(options);
    drop(probe);
    Ok(pool)
}

/// Returns `url` with any password replaced by `***`, both in the user-info
/// part and in a `password=` query parameter, so it can be logged.
pub fn mask_url(url: &str) -> String {
    let masked = match url.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
            let (authority, tail) = rest.split_at(authority_end);
            match authority.rsplit_once('@') {
                Some((user_info, host)) => match user_info.split_once(':') {
                    Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
                    None => url.to_owned(),
                },
                None => url.to_owned(),
            }
        }
        None => url.to_owned(),
    };
    mask_query_password(&masked)
}

fn mask_query_password(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let params: Vec<String> = query
        .split('&')
        .map(|param| match param.split_once('=') {
            Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
            _ => param.to_owned(),
        })
        .collect();
    format!("{base}?{}", params.join("&"))
}

fn millis(duration: Duration) -> String {
    format!("{}ms", duration.as_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_passwords_wherever_they_are() {
        let cases = [
            (
                "postgres://u:secret@h:5432/db",
                "postgres://u:***@h:5432/db",
            ),
            ("postgres://u:p%40ss@h/db?x=1", "postgres://u:***@h/db?x=1"),
            ("postgres://u@h/db", "postgres://u@h/db"),
            (
                "postgres://h/db?password=pw&user=u",
                "postgres://h/db?password=***&user=u",
            ),
            ("postgres://u:a@b@h/db", "postgres://u:***@h/db"),
        ];
        for (url, want) in cases {
            assert_eq!(mask_url(url), want, "{url}");
        }
    }

    #[test]
    fn sets_session_timeouts() {
        let options = connect_options("postgres://u:p@h/db", &ConnectSettings::default()).unwrap();
        let line = options.get_options().unwrap_or_default();
        assert!(line.contains("lock_timeout=5000ms"), "{line}");
        assert!(line.contains("statement_timeout=1800000ms"), "{line}");
    }
}
