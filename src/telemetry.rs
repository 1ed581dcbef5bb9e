//! Logging and tracing set-up: one `tracing` subscriber that writes log
//! lines (pretty on a terminal, JSON in production) and, when an OTLP
//! endpoint is configured, exports spans over OTLP/gRPC.
//!
//! Spans meant for the trace backend only (one per RPC, one per SQL
//! statement) use the target [`TRACE_TARGET`]: log lines never show them,
//! and with no endpoint no layer wants them, so `tracing` skips them at
//! their call site and they cost nothing.

use std::io::IsTerminal;

use anyhow::Context;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Metadata;
use tracing_subscriber::filter::{EnvFilter, FilterExt, filter_fn};
use tracing_subscriber::{Layer, Registry, layer::SubscriberExt, util::SubscriberInitExt};

use crate::config::LogFormat;

/// Longest wait for the last spans to be exported at exit.
const FLUSH_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// The target of the spans only the trace backend receives.
pub const TRACE_TARGET: &str = "dbrepo::trace";

/// The installed subscriber's exporter, if any; [`Telemetry::shutdown`]
/// sends the spans still buffered before the process exits.
#[derive(Debug)]
#[must_use = "call shutdown before exiting, or buffered spans are lost"]
pub struct Telemetry {
    traces: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Whether spans are exported.
    pub fn exports_traces(&self) -> bool {
        self.traces.is_some()
    }

    /// Exports the spans still buffered and stops the exporter.
    pub async fn shutdown(self) {
        let Some(traces) = self.traces else { return };
        // The SDK's shutdown blocks until its export thread is done; that
        // export runs on this runtime's tonic channel, so it must not block
        // a runtime thread.
        // Bounded: an unreachable collector must not hold the exit past the
        // shutdown grace an orchestrator allows.
        let flush = tokio::task::spawn_blocking(move || traces.shutdown());
        match tokio::time::timeout(FLUSH_WAIT, flush).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(err))) => tracing::warn!(error = %err, "exporting the last spans failed"),
            Ok(Err(err)) => tracing::warn!(error = %err, "the span exporter panicked"),
            Err(_) => tracing::warn!("gave up exporting the last spans after {FLUSH_WAIT:?}"),
        }
    }
}

/// Installs the global subscriber. `filter` is an `EnvFilter` directive such
/// as `info` or `dbrepo=debug,sqlx=warn`; an invalid one falls back to
/// `info` and says so. With `otlp_endpoint` (e.g. `http://collector:4317`)
/// spans go there over OTLP/gRPC, joined to the callers' W3C trace context;
/// the exporter's other settings come from the standard `OTEL_*` variables.
/// Must run inside the Tokio runtime that serves: the exporter uses it.
pub fn init(
    format: LogFormat,
    filter: &str,
    otlp_endpoint: Option<&str>,
) -> anyhow::Result<Telemetry> {
    let (filter, invalid) = match EnvFilter::try_new(filter) {
        Ok(filter) => (filter, None),
        Err(err) => (EnvFilter::new("info"), Some(err)),
    };
    let traces = otlp_endpoint.map(tracer_provider).transpose()?;
    subscriber(log_lines(format), filter, traces.as_ref())
        .try_init()
        .context("installing the log subscriber")?;
    if let Some(err) = invalid {
        tracing::warn!(error = %err, "invalid log filter, using info");
    }
    if let Some(endpoint) = otlp_endpoint {
        tracing::info!(endpoint, "exporting traces over OTLP/gRPC");
    }
    Ok(Telemetry { traces })
}

/// A layer of the subscriber, filtered on its own.
type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync>;

/// Log lines through `filter`, and the spans of [`TRACE_TARGET`] to
/// `traces`' exporter when there is one.
///
/// The layers are a `Vec`, not an `Option` for the exporter: an absent
/// `Option` layer declares interest in every call site, so each call's
/// trace spans would be built and torn down in the registry for nobody
/// (measured: twice the CPU of a call that does no database work).
fn subscriber(
    lines: BoxedLayer,
    filter: EnvFilter,
    traces: Option<&SdkTracerProvider>,
) -> impl tracing::Subscriber + Send + Sync {
    let mut layers: Vec<BoxedLayer> = vec![
        lines
            .with_filter(filter.and(filter_fn(|meta| !is_trace_span(meta))))
            .boxed(),
    ];
    if let Some(provider) = traces {
        let exporting = tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("dbrepo"))
            .with_filter(filter_fn(is_trace_span));
        layers.push(exporting.boxed());
    }
    Registry::default().with(layers)
}

fn is_trace_span(meta: &Metadata<'_>) -> bool {
    meta.target() == TRACE_TARGET
}

fn log_lines(format: LogFormat) -> Box<dyn Layer<Registry> + Send + Sync> {
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Pretty => false,
        LogFormat::Auto => !std::io::stdout().is_terminal(),
    };
    let lines = tracing_subscriber::fmt::layer();
    if json {
        lines
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .boxed()
    } else {
        lines.boxed()
    }
}

/// A batching OTLP/gRPC exporter to `endpoint`, and W3C trace context as
/// the global propagator, so incoming `traceparent` headers are honoured.
fn tracer_provider(endpoint: &str) -> anyhow::Result<SdkTracerProvider> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()
        .with_context(|| format!("setting up the OTLP exporter for {endpoint}"))?;
    let mut resource = Resource::builder();
    // OTEL_SERVICE_NAME, when set, names the service; else "dbrepo".
    if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
        resource = resource.with_service_name("dbrepo");
    }
    let resource = resource
        .with_attribute(opentelemetry::KeyValue::new(
            opentelemetry_semantic_conventions::resource::SERVICE_VERSION,
            env!("CARGO_PKG_VERSION"),
        ))
        .build();
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quiet_lines() -> BoxedLayer {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::sink)
            .boxed()
    }

    #[test]
    fn with_no_exporter_trace_spans_are_disabled_at_their_call_site() {
        let subscriber = subscriber(quiet_lines(), EnvFilter::new("info"), None);
        tracing::subscriber::with_default(subscriber, || {
            assert!(tracing::info_span!(target: TRACE_TARGET, "rpc").is_disabled());
            assert!(tracing::debug_span!("below the filter").is_disabled());
            assert!(!tracing::info_span!("logged").is_disabled());
        });
    }
}
