//! Running the service: connect (or start the dev database), pass the schema
//! gate, serve the three API versions until a shutdown signal, drain, close.
//! `main.rs` only parses configuration and calls [`run`]; everything here is
//! reachable from tests.

use std::{future::Future, sync::Arc, time::Duration};

use anyhow::Context;
use dbrepo_migrations::{DatabaseUrl, open_connection};
use prometheus_client::registry::Registry;
use secrecy::ExposeSecret;
use sqlx::Connection;
use tokio::net::TcpListener;

use crate::api::health::{Health, PROBE_INTERVAL};
use crate::api::metrics::RpcMetrics;
use crate::api::server::{Limits, routes, serve};
use crate::config::Config;
use crate::io::db::pool::suspect_all;
use crate::io::db::session::{DatabaseProbe, service_session, terminate_unfinished};
use crate::io::db::{PgManagerStore, PgTaskStore, Sessions};
use crate::io::schema_gate::{self, SchemaVersions};
use crate::metrics;

/// How long closing the pool may take once serving has ended: connections
/// of calls abandoned at the end of the grace period are not waited for.
const POOL_CLOSE_WAIT: Duration = Duration::from_millis(300);

/// Serves until `shutdown` completes, then lets in-flight calls finish
/// within the configured grace period, cuts off what is still running,
/// closes the pool and returns: within the grace period plus one second.
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (url, dev_database) = database_url(&config).await?;
    let url = service_session(url, config.statement_timeout_ms);
    let (sessions, schema) = connect(&config, &url).await?;
    let options = url.connect_options();
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    let address = listener.local_addr()?;
    let metrics_listener = match config.metrics_listen.0 {
        Some(at) => Some(
            TcpListener::bind(at)
                .await
                .with_context(|| format!("binding the metrics endpoint {at}"))?,
        ),
        None => None,
    };
    let metrics_address = match &metrics_listener {
        Some(listener) => listener.local_addr()?.to_string(),
        None => "off".to_owned(),
    };
    tracing::info!(
        %address,
        %metrics_address,
        application_name = options.get_application_name(),
        "serving dbrepo.app.v1, dbrepo.manager.v1 and dbrepo.manager.v2"
    );
    if dev_database.is_some() {
        print_dev_banner(address);
    }
    let limits = Limits {
        max_message_bytes: config.max_message_bytes,
    };
    let (routes, health) = routes(
        Arc::new(PgManagerStore::new(sessions.clone())),
        Arc::new(PgTaskStore::new(sessions.clone())),
        &limits,
    )
    .await;
    let mut registry = Registry::default();
    let rpc_metrics = RpcMetrics::register(&mut registry);
    metrics::register_service(&mut registry, &sessions, &health, schema);
    let (stop_metrics, metrics_stopped) = tokio::sync::oneshot::channel::<()>();
    let exporting = metrics_listener.map(|listener| {
        let stopped = async move {
            let _ = metrics_stopped.await;
        };
        tokio::spawn(metrics::serve(listener, Arc::new(registry), stopped))
    });
    let probe = DatabaseProbe::new(options.clone());
    let shutdown = stop_serving_health_first(health, probe, shutdown);
    let finished = serve_with_grace(
        listener,
        routes,
        rpc_metrics,
        shutdown,
        config.shutdown_grace(),
    )
    .await?;
    let _ = stop_metrics.send(());
    if let Some(exporting) = exporting {
        match exporting.await {
            Ok(Err(err)) => tracing::warn!(error = %err, "the metrics endpoint failed"),
            Err(err) => tracing::warn!(error = %err, "the metrics endpoint panicked"),
            Ok(Ok(())) => {}
        }
    }
    if !finished {
        let terminated = terminate_unfinished(options).await;
        tracing::warn!(
            terminated,
            "grace period over: calls still in flight were cut off and rolled back"
        );
    }
    if tokio::time::timeout(POOL_CLOSE_WAIT, sessions.close())
        .await
        .is_err()
    {
        tracing::warn!("closing the database pool timed out");
    }
    // The throwaway server, if any, stops only now that the pool is closed.
    #[cfg(feature = "dev-db")]
    drop(dev_database);
    tracing::info!("stopped");
    Ok(())
}

/// Keeps health following the database until `shutdown` completes, then
/// turns it NOT_SERVING for good before the server stops accepting calls,
/// so load balancers stop routing here first.
fn stop_serving_health_first(
    health: Health,
    probe: DatabaseProbe,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> impl Future<Output = ()> + Send + 'static {
    let following = tokio::spawn(follow_database(health.clone(), probe));
    async move {
        shutdown.await;
        following.abort();
        let _ = following.await;
        health.set_serving(false).await;
    }
}

/// Probes the database every [`PROBE_INTERVAL`] (a probe that does not
/// answer within it counts as down) and sets health accordingly; logs each
/// change once. When the database answers again, every pooled connection
/// is made to prove itself before its next call, so calls after an outage
/// do not meet connections that died with it. Runs until aborted.
async fn follow_database(health: Health, mut probe: DatabaseProbe) {
    let mut serving = true;
    let mut ticks = tokio::time::interval(PROBE_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let up = tokio::time::timeout(PROBE_INTERVAL, probe.answers())
            .await
            .unwrap_or(false);
        if up != serving {
            if up {
                suspect_all();
                tracing::info!("database answers again: health is SERVING");
            } else {
                tracing::warn!("database cannot be reached: health is NOT_SERVING");
            }
            serving = up;
            health.set_serving(up).await;
        }
    }
}

/// The throwaway database of a development build; none exists in a build
/// without the `dev-db` feature (the image's).
#[cfg(feature = "dev-db")]
type DevDatabase = dbrepo_dev_postgres::DevDatabase;
#[cfg(not(feature = "dev-db"))]
enum DevDatabase {}

/// The configured URL, or the URL of a freshly started dev database,
/// parsed before anything logs it.
async fn database_url(config: &Config) -> anyhow::Result<(DatabaseUrl, Option<DevDatabase>)> {
    match &config.database_url {
        Some(url) => Ok((DatabaseUrl::parse(url.expose_secret())?, None)),
        None => dev_database(config).await,
    }
}

#[cfg(feature = "dev-db")]
async fn dev_database(config: &Config) -> anyhow::Result<(DatabaseUrl, Option<DevDatabase>)> {
    tracing::info!("no DATABASE_URL: starting a throwaway PostgreSQL");
    let dev = DevDatabase::start(config.keep_data).await?;
    if let Some(dir) = dev.server().data_dir() {
        let fate = if config.keep_data {
            "kept"
        } else {
            "removed on exit"
        };
        tracing::info!(data_dir = %dir.display(), fate, "throwaway PostgreSQL is ready");
    }
    Ok((DatabaseUrl::parse(dev.service_url())?, Some(dev)))
}

#[cfg(not(feature = "dev-db"))]
async fn dev_database(_: &Config) -> anyhow::Result<(DatabaseUrl, Option<DevDatabase>)> {
    anyhow::bail!(
        "DATABASE_URL is not set: set it to the URL of the service's login \
         (this build has no throwaway database: it was built without the dev-db feature)"
    )
}

/// The service's sessions, set up as [`service_session`] says, after the
/// schema gate passed. One connection is opened first, so that a failure
/// names its cause (refused, authentication, unknown host, timeout) rather
/// than "pool timed out"; the gate runs on it. The pool then opens its
/// connections in the background, so no call pays for a login.
async fn connect(config: &Config, url: &DatabaseUrl) -> anyhow::Result<(Sessions, SchemaVersions)> {
    let mut first = open_connection(url, config.connect_timeout()).await?;
    let schema = schema_gate::check(&mut first).await?;
    // A polite close; the server would otherwise log an unexpected EOF.
    let _ = first.close().await;
    let sessions = Sessions::new(
        url.connect_options().clone(),
        config.pool_size,
        config.connect_timeout(),
    );
    let filling = sessions.clone();
    tokio::spawn(async move {
        if let Err(err) = filling.fill().await {
            tracing::warn!(error = %err, "opening the pool's connections failed; calls will retry");
        }
    });
    Ok((sessions, schema))
}

/// Serves until `shutdown` completes and in-flight calls finish, or the
/// grace period after `shutdown` ends, whichever is first. Returns whether
/// every call finished; at the end of the grace period the unfinished ones
/// are dropped (cancelled).
async fn serve_with_grace(
    listener: TcpListener,
    routes: tonic::service::Routes,
    metrics: RpcMetrics,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> anyhow::Result<bool> {
    let (signalled_tx, signalled_rx) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        shutdown.await;
        tracing::info!(
            grace_secs = grace.as_secs(),
            "shutting down: finishing in-flight calls"
        );
        let _ = signalled_tx.send(());
    };
    let server = serve(listener, routes, metrics, shutdown);
    tokio::pin!(server);
    tokio::select! {
        served = &mut server => served.context("serving gRPC").map(|()| true),
        () = async { if signalled_rx.await.is_ok() { tokio::time::sleep(grace).await } else { std::future::pending().await } } => {
            Ok(false)
        }
    }
}

fn print_dev_banner(address: std::net::SocketAddr) {
    println!("dbrepo is serving on {address} (throwaway database; Ctrl-C stops it)");
    println!(
        "try: buf curl --protocol grpc --http2-prior-knowledge -d '{{\"name\": \"Platform\"}}' \\"
    );
    println!("       http://{address}/dbrepo.manager.v1.ManagerService/CreateTeam");
}

/// Completes on SIGTERM or Ctrl-C (SIGINT).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("received Ctrl-C"),
        () = terminate => tracing::info!("received SIGTERM"),
    }
}
