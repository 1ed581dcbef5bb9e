//! The service's database sessions: what every session is told at login,
//! the health probe's own connection, and cutting off unfinished work when
//! a shutdown's grace period is over.
//!
//! Contract: no statement of a call runs past the process that sent it.
//! Each session carries a unique `application_name`, so the process can
//! find and terminate its own unfinished sessions at the end of the grace
//! period, and `client_connection_check_interval`, so PostgreSQL itself
//! rolls back a statement whose client vanished (a crash, SIGKILL).

use std::time::Duration;

use dbrepo_migrations::DatabaseUrl;
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};

/// How often PostgreSQL checks, while a statement runs, that the service's
/// end of the connection is still open.
const CLIENT_CHECK_INTERVAL: Duration = Duration::from_millis(250);

/// How long terminating unfinished sessions may take at shutdown.
const TERMINATE_TIMEOUT: Duration = Duration::from_millis(500);

/// `base` with the settings every service session needs: `statement_timeout`
/// (0: none), the check for a vanished client, and `application_name`
/// (`dbrepo-<8 hex digits>`, unique to this process, shown in
/// `pg_stat_activity`).
pub fn service_session(base: DatabaseUrl, statement_timeout_ms: u64) -> DatabaseUrl {
    let instance = uuid::Uuid::new_v4().simple().to_string();
    base.with_application_name(&format!("dbrepo-{}", &instance[..8]))
        .with_session_settings([
            ("statement_timeout", statement_timeout_ms.to_string()),
            (
                "client_connection_check_interval",
                CLIENT_CHECK_INTERVAL.as_millis().to_string(),
            ),
        ])
}

/// Terminates every session of this process (same `application_name`)
/// that is not idle: a statement still running, or a transaction still
/// open, is rolled back by PostgreSQL and can no longer commit. Returns how
/// many were terminated; errors are logged, not returned, because the
/// process is exiting either way.
pub async fn terminate_unfinished(options: &PgConnectOptions) -> u64 {
    let terminate = async {
        let mut conn = PgConnection::connect_with(options).await?;
        let terminated = sqlx::query_scalar!(
            r#"SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS "terminated!"
               FROM pg_stat_activity
               WHERE application_name = $1 AND pid <> pg_backend_pid() AND state <> 'idle'"#,
            options.get_application_name(),
        )
        .fetch_one(&mut conn)
        .await?;
        conn.close().await?;
        Ok::<_, sqlx::Error>(u64::try_from(terminated).unwrap_or(0))
    };
    match tokio::time::timeout(TERMINATE_TIMEOUT, terminate).await {
        Ok(Ok(terminated)) => terminated,
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "could not terminate unfinished database sessions");
            0
        }
        Err(_) => {
            tracing::warn!("terminating unfinished database sessions timed out");
            0
        }
    }
}

/// Whether the database answers, asked over a connection of its own: a pool
/// saturated by calls must not look like a database that is down.
pub struct DatabaseProbe {
    options: PgConnectOptions,
    connection: Option<PgConnection>,
}

impl DatabaseProbe {
    /// A probe that connects with `options` when first asked.
    pub fn new(options: PgConnectOptions) -> Self {
        Self {
            options,
            connection: None,
        }
    }

    /// Pings over the probe's connection, reconnecting when it was lost.
    /// Safe to cancel: a connection is only kept after a ping completed.
    pub async fn answers(&mut self) -> bool {
        if let Some(mut connection) = self.connection.take()
            && connection.ping().await.is_ok()
        {
            self.connection = Some(connection);
            return true;
        }
        match PgConnection::connect_with(&self.options).await {
            Ok(connection) => {
                self.connection = Some(connection);
                true
            }
            Err(err) => {
                tracing::debug!(error = %err, "health probe cannot reach the database");
                false
            }
        }
    }
}
