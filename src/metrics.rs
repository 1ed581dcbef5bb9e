//! The Prometheus endpoint (`GET /metrics`) and the service-level metrics
//! beside the per-RPC ones of [`crate::api::metrics`]: the database pool,
//! health per API service and the schema versions.
//!
//! The pool and health are read at each scrape, so they cost a call
//! nothing. The reply is OpenMetrics text (`prometheus-client`), which
//! Prometheus and its compatible scrapers read; sample names are the
//! familiar ones (`grpc_server_started_total`, …).

use std::future::Future;
use std::sync::Arc;

use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;

use crate::api::health::Health;
use crate::api::server::service_names;
use crate::io::db::Sessions;
use crate::io::schema_gate::SchemaVersions;

/// Registers the pool, health and schema metrics in `registry`.
pub fn register_service(
    registry: &mut Registry,
    sessions: &Sessions,
    health: &Health,
    schema: SchemaVersions,
) {
    registry.register(
        "dbrepo_pool_acquire_wait_seconds",
        "How long calls waited for a database connection.",
        sessions.acquire_wait(),
    );
    registry.register_collector(Box::new(PoolCollector(sessions.clone())));
    registry.register(
        "dbrepo_database_errors",
        "Database failures no constraint explains, by cause (see DOMAIN.md's error table).",
        crate::io::db::database_errors(),
    );
    registry.register_collector(Box::new(UpCollector(health.clone())));
    for (name, help, version) in [
        (
            "dbrepo_schema_version",
            "The highest migration applied to the database when the service started.",
            schema.applied,
        ),
        (
            "dbrepo_schema_version_required",
            "The highest migration this build needs.",
            schema.required,
        ),
    ] {
        let gauge = Gauge::<i64>::default();
        gauge.set(version);
        registry.register(name, help, gauge);
    }
}

/// The pool's connections, read at each scrape.
#[derive(Debug)]
struct PoolCollector(Sessions);

impl Collector for PoolCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let status = self.0.status();
        for (name, help, value) in [
            (
                "dbrepo_pool_connections_in_use",
                "Database connections lent to calls.",
                status.in_use,
            ),
            (
                "dbrepo_pool_connections_idle",
                "Open database connections waiting for a call.",
                status.idle,
            ),
            (
                "dbrepo_pool_connections_max",
                "Most database connections the pool opens (DBREPO_POOL_SIZE).",
                status.max,
            ),
        ] {
            let gauge = ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX));
            gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)?;
        }
        Ok(())
    }
}

/// The `service` label of [`UpCollector`]'s gauge.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ServiceLabel {
    service: &'static str,
}

/// `dbrepo_up`: 1 while health reports an API service SERVING, else 0.
#[derive(Debug)]
struct UpCollector(Health);

impl Collector for UpCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let up = ConstGauge::new(i64::from(self.0.is_serving()));
        let mut family = encoder.encode_descriptor(
            "dbrepo_up",
            "1 while the API service is SERVING (its health status), else 0.",
            None,
            up.metric_type(),
        )?;
        for service in service_names() {
            up.encode(family.encode_family(&ServiceLabel { service })?)?;
        }
        Ok(())
    }
}

/// Serves `GET /metrics` from `registry` on `listener` until `shutdown`.
pub async fn serve(
    listener: TcpListener,
    registry: Arc<Registry>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || std::future::ready(scrape(&registry))),
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// The registry in OpenMetrics text.
fn scrape(registry: &Registry) -> axum::response::Response {
    let mut text = String::new();
    match prometheus_client::encoding::text::encode(&mut text, registry) {
        Ok(()) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(err) => {
            tracing::error!(error = %err, "encoding the metrics failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
