//! The span each call gets in the trace backend, named and attributed per
//! OpenTelemetry's RPC semantic conventions (`rpc.system.name`, the fully
//! qualified `rpc.method`, the string `rpc.response.status_code`), and
//! joined to the caller's trace through its W3C `traceparent` metadata.
//!
//! These spans use [`TRACE_TARGET`]: with no trace exporter installed they
//! are disabled at their call site, so nothing here costs anything.

use opentelemetry::propagation::Extractor;
use opentelemetry_semantic_conventions::attribute::{
    ERROR_TYPE, RPC_METHOD, RPC_METHOD_ORIGINAL, RPC_RESPONSE_STATUS_CODE, RPC_SYSTEM_NAME,
};
use tonic::codegen::http;
use tracing::Span;
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::telemetry::TRACE_TARGET;

/// gRPC's status code names, indexed by code number, as the semantic
/// conventions spell `rpc.response.status_code`.
const STATUS_NAMES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

/// The codes that mean the server failed, not the caller: per the
/// conventions, only these make a server span an error.
const SERVER_ERRORS: [tonic::Code; 6] = [
    tonic::Code::Unknown,
    tonic::Code::DeadlineExceeded,
    tonic::Code::Unimplemented,
    tonic::Code::Internal,
    tonic::Code::Unavailable,
    tonic::Code::DataLoss,
];

/// A server span for `request`, a child of the caller's span when the
/// request carries W3C trace context. `known` says whether the path is a
/// method this server serves; an unknown one is reported as `_OTHER`, so
/// arbitrary paths cannot flood the backend with span names.
pub(crate) fn rpc_span<B>(request: &http::Request<B>, known: bool) -> Span {
    let path = request.uri().path().trim_start_matches('/');
    let method = if known { path } else { "_OTHER" };
    let span = tracing::info_span!(
        target: TRACE_TARGET,
        "rpc",
        otel.name = method,
        otel.kind = "server",
        otel.status_code = Empty,
        { RPC_SYSTEM_NAME } = "grpc",
        { RPC_METHOD } = method,
        { RPC_METHOD_ORIGINAL } = Empty,
        { RPC_RESPONSE_STATUS_CODE } = Empty,
        { ERROR_TYPE } = Empty,
    );
    if span.is_disabled() {
        return span;
    }
    if !known {
        span.record(RPC_METHOD_ORIGINAL, path);
    }
    let caller = opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&Metadata(request.headers()))
    });
    // Only fails when no trace layer is installed, and then the span is
    // disabled and never gets here.
    let _ = span.set_parent(caller);
    span
}

/// Records the call's final gRPC status code (its number) on `span`.
pub(crate) fn record_status(span: &Span, code: usize) {
    if span.is_disabled() {
        return;
    }
    let name = STATUS_NAMES
        .get(code)
        .copied()
        .unwrap_or(STATUS_NAMES[tonic::Code::Unknown as usize]);
    span.record(RPC_RESPONSE_STATUS_CODE, name);
    let code = i32::try_from(code).map_or(tonic::Code::Unknown, tonic::Code::from_i32);
    if SERVER_ERRORS.contains(&code) {
        span.record(ERROR_TYPE, name);
        span.record("otel.status_code", "ERROR");
    }
}

/// Request headers (gRPC metadata) as a source of trace context.
struct Metadata<'a>(&'a http::HeaderMap);

impl Extractor for Metadata<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_follow_the_code_numbers() {
        assert_eq!(STATUS_NAMES[tonic::Code::NotFound as usize], "NOT_FOUND");
        assert_eq!(
            STATUS_NAMES[tonic::Code::FailedPrecondition as usize],
            "FAILED_PRECONDITION"
        );
        assert_eq!(
            STATUS_NAMES[tonic::Code::Unauthenticated as usize],
            "UNAUTHENTICATED"
        );
    }
}
