//! Running the service: connect (or start the dev database), pass the schema
//! gate, serve the three API versions until a shutdown signal, drain, close.
//! `main.rs` only parses configuration and calls [`run`]; everything here is
//! reachable from tests.

use std::{future::Future, sync::Arc, time::Duration};

use anyhow::Context;
use dbrepo_migrations::{DatabaseUrl, open_pool};
use secrecy::ExposeSecret;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tokio::net::TcpListener;

use crate::api::server::{routes, serve};
use crate::config::Config;
use crate::io::db::{PgManagerStore, PgTaskStore};
use crate::io::dev_database::DevDatabase;
use crate::io::schema_gate;

/// Serves until `shutdown` completes, then lets in-flight calls finish
/// within the configured grace period, closes the pool and returns.
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (url, dev_database) = database_url(&config).await?;
    let pool = connect(&config, &url).await?;
    schema_gate::check(&pool).await?;
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, "serving dbrepo.app.v1, dbrepo.manager.v1 and dbrepo.manager.v2");
    if dev_database.is_some() {
        print_dev_banner(address);
    }
    let routes = routes(
        Arc::new(PgManagerStore::new(pool.clone())),
        Arc::new(PgTaskStore::new(pool.clone())),
    )
    .await;
    serve_with_grace(listener, routes, shutdown, config.shutdown_grace()).await?;
    pool.close().await;
    drop(dev_database);
    tracing::info!("stopped");
    Ok(())
}

/// The configured URL, or the URL of a freshly started dev database,
/// parsed before anything logs it.
async fn database_url(config: &Config) -> anyhow::Result<(DatabaseUrl, Option<DevDatabase>)> {
    if let Some(url) = &config.database_url {
        return Ok((DatabaseUrl::parse(url.expose_secret())?, None));
    }
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

/// A pool whose connections carry the configured statement timeout. One
/// connection is opened first, so that a failure names its cause (refused,
/// authentication, unknown host, timeout) rather than "pool timed out".
async fn connect(config: &Config, url: &DatabaseUrl) -> anyhow::Result<PgPool> {
    let timeout = config.statement_timeout_ms.to_string();
    let url = url
        .clone()
        .with_session_settings([("statement_timeout", timeout)]);
    let pool = PgPoolOptions::new()
        .max_connections(config.pool_size)
        .acquire_timeout(config.connect_timeout());
    Ok(open_pool(&url, pool, config.connect_timeout()).await?)
}

async fn serve_with_grace(
    listener: TcpListener,
    routes: tonic::service::Routes,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> anyhow::Result<()> {
    let (signalled_tx, signalled_rx) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        shutdown.await;
        tracing::info!(
            grace_secs = grace.as_secs(),
            "shutting down: finishing in-flight calls"
        );
        let _ = signalled_tx.send(());
    };
    let server = serve(listener, routes, shutdown);
    tokio::pin!(server);
    tokio::select! {
        served = &mut server => served.context("serving gRPC"),
        () = async { if signalled_rx.await.is_ok() { tokio::time::sleep(grace).await } else { std::future::pending().await } } => {
            tracing::warn!("grace period over: abandoning calls still in flight");
            Ok(())
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
