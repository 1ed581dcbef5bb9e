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
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

/// How often PostgreSQL checks, while a statement runs, that the service's
/// end of the connection is still open.
const CLIENT_CHECK_INTERVAL: Duration = Duration::from_millis(250);

/// How long checking the idle connections after an outage may take.
const SWEEP_TIMEOUT: Duration = Duration::from_secs(2);

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

/// The service's pool: `size` connections, a wait of at most
/// `acquire_timeout` for one.
///
/// Two choices keep a cancelled call from costing the next one:
/// - no ping before handing out a connection (`test_before_acquire`): a
///   call cancelled during that ping would drop the connection, and the
///   next call would have to open a new one. A broken connection shows as
///   the failed statement of one call (UNAVAILABLE), after which it is
///   closed; every connection is also replaced after `max_lifetime`.
/// - every connection opened up front and reopened in the background
///   (`min_connections` = `size`): opening one (a SCRAM login) inside a
///   call that is cancelled meanwhile would leave the next call to start
///   over, and a stream of short deadlines would never get a connection.
///
/// A connection whose call was cancelled mid-statement is drained by the
/// pool before anyone else gets it, so it comes back ready.
pub fn service_pool(size: u32, acquire_timeout: Duration) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(size)
        .min_connections(size)
        .test_before_acquire(false)
        .acquire_timeout(acquire_timeout)
}

/// Pings every idle connection of `pool` and closes the ones that do not
/// answer, so that calls after an outage do not meet connections that died
/// with it (the pool hands out connections without a ping). Meant for the
/// moment the database answers again; returns how many were closed.
pub async fn close_dead_connections(pool: &PgPool) -> usize {
    let mut checked = Vec::new();
    let mut closed = 0;
    let sweep = async {
        for _ in 0..pool.num_idle() {
            // Holding each checked connection makes the next acquire take
            // another idle one.
            let Ok(mut connection) = pool.acquire().await else {
                break;
            };
            if connection.ping().await.is_err() {
                connection.close_on_drop();
                closed += 1;
            }
            checked.push(connection);
        }
    };
    if tokio::time::timeout(SWEEP_TIMEOUT, sweep).await.is_err() {
        tracing::warn!("checking idle database connections timed out");
    }
    drop(checked);
    closed
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
