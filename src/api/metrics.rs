//! Per-RPC Prometheus metrics under the names and labels operators'
//! dashboards already use (go-grpc-middleware's Prometheus provider):
//! `grpc_server_started_total`, `grpc_server_handled_total` (with
//! `grpc_code` spelled `OK`, `NotFound`, …) and the
//! `grpc_server_handling_seconds` histogram, each labelled with
//! `grpc_type`, `grpc_service` and `grpc_method`.
//!
//! Every method of the API services has its full sample set from startup
//! (zeros for every code), so dashboards and alerts work before the first
//! call. The method list comes from the embedded descriptors, never from a
//! hand-kept list. Health and reflection calls are not counted.
//!
//! A call's code is read where gRPC puts it: in the response headers of a
//! trailers-only reply (every error dbrepo returns), else in the trailers
//! at the end of the body. A call whose reply is dropped before its end
//! (the client went away) counts as `Canceled`.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Instant;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use prost::Message;
use tokio::task::futures::TaskLocalFuture;
use tonic::codegen::http;

use super::call_log;
use super::server::service_names;
use super::trace;

/// Go's spelling of each gRPC code, indexed by the code's number.
const CODE_NAMES: [&str; 17] = [
    "OK",
    "Canceled",
    "Unknown",
    "InvalidArgument",
    "DeadlineExceeded",
    "NotFound",
    "AlreadyExists",
    "PermissionDenied",
    "ResourceExhausted",
    "FailedPrecondition",
    "Aborted",
    "OutOfRange",
    "Unimplemented",
    "Internal",
    "Unavailable",
    "DataLoss",
    "Unauthenticated",
];

/// `prometheus.DefBuckets`, which the Go provider uses by default, in
/// seconds.
const HANDLING_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The labels that name one RPC method.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabels {
    grpc_type: String,
    grpc_service: String,
    grpc_method: String,
}

/// One method's labels and the code a call of it ended with.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HandledLabels {
    grpc_type: String,
    grpc_service: String,
    grpc_method: String,
    grpc_code: String,
}

/// The metrics of one method, fetched once so a call only bumps atomics.
#[derive(Debug)]
struct MethodMetrics {
    /// The request path, shared by every call's log lines.
    path: Arc<str>,
    started: Counter,
    handled: [Counter; CODE_NAMES.len()],
    seconds: Histogram,
}

/// The per-RPC metrics of every API method, by request path
/// (`/dbrepo.manager.v2.ManagerService/GetTeam`); cheap to clone.
#[derive(Clone, Debug)]
pub struct RpcMetrics {
    methods: Arc<HashMap<String, Arc<MethodMetrics>>>,
}

impl RpcMetrics {
    /// Registers the three families in `registry`, with every method of the
    /// served API services at zero.
    pub fn register(registry: &mut Registry) -> Self {
        let started = Family::<MethodLabels, Counter>::default();
        let handled = Family::<HandledLabels, Counter>::default();
        let seconds = Family::<MethodLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(HANDLING_BUCKETS)
        });
        registry.register(
            "grpc_server_started",
            "Total number of RPCs started on the server.",
            started.clone(),
        );
        registry.register(
            "grpc_server_handled",
            "Total number of RPCs completed on the server, regardless of success or failure.",
            handled.clone(),
        );
        registry.register(
            "grpc_server_handling_seconds",
            "Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.",
            seconds.clone(),
        );
        let methods = api_methods()
            .into_iter()
            .map(|(path, labels)| {
                let handled = CODE_NAMES.map(|code| {
                    handled
                        .get_or_create(&HandledLabels {
                            grpc_type: labels.grpc_type.clone(),
                            grpc_service: labels.grpc_service.clone(),
                            grpc_method: labels.grpc_method.clone(),
                            grpc_code: code.to_owned(),
                        })
                        .clone()
                });
                let metrics = MethodMetrics {
                    path: Arc::from(path.as_str()),
                    started: started.get_or_create(&labels).clone(),
                    handled,
                    seconds: seconds.get_or_create(&labels).clone(),
                };
                (path, Arc::new(metrics))
            })
            .collect();
        Self {
            methods: Arc::new(methods),
        }
    }

    /// Metrics counted but exported nowhere (tests, embedding).
    pub fn unexported() -> Self {
        Self::register(&mut Registry::default())
    }

    /// A tower layer that records every API call in these metrics.
    pub fn layer(&self) -> RpcMetricsLayer {
        RpcMetricsLayer {
            metrics: self.clone(),
        }
    }

    /// Starts observing a call to `path`: counts it if it is an API
    /// method, and opens its trace span (free when traces are off).
    fn start<B>(&self, request: &http::Request<B>) -> Call {
        let path = request.uri().path();
        let method = self.methods.get(path).map(Arc::clone);
        if let Some(method) = &method {
            method.started.inc();
        }
        let known = method.is_some() || GRPC_OWN_METHODS.contains(&path);
        Call {
            rpc: method
                .as_ref()
                .map_or_else(|| Arc::from(path), |method| Arc::clone(&method.path)),
            method,
            span: trace::rpc_span(request, known),
            started: Instant::now(),
            done: false,
        }
    }
}

/// The methods of gRPC's own services that are served too (health,
/// reflection): traced by name, not counted. Any other path is `_OTHER`.
const GRPC_OWN_METHODS: [&str; 4] = [
    "/grpc.health.v1.Health/Check",
    "/grpc.health.v1.Health/Watch",
    "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
];

/// Every method of the served API services: its request path and labels.
fn api_methods() -> Vec<(String, MethodLabels)> {
    let files = prost_types::FileDescriptorSet::decode(crate::proto::FILE_DESCRIPTOR_SET)
        .expect("the embedded descriptors are valid");
    let served = service_names();
    let mut methods = Vec::new();
    for file in &files.file {
        for service in &file.service {
            let name = format!("{}.{}", file.package(), service.name());
            if !served.contains(&name.as_str()) {
                continue;
            }
            for method in &service.method {
                let grpc_type = match (method.client_streaming(), method.server_streaming()) {
                    (false, false) => "unary",
                    (true, false) => "client_stream",
                    (false, true) => "server_stream",
                    (true, true) => "bidi_stream",
                };
                let labels = MethodLabels {
                    grpc_type: grpc_type.to_owned(),
                    grpc_service: name.clone(),
                    grpc_method: method.name().to_owned(),
                };
                methods.push((format!("/{name}/{}", method.name()), labels));
            }
        }
    }
    methods
}

/// One call under way; records `Canceled` if dropped before its code is
/// known.
struct Call {
    /// The request path.
    rpc: Arc<str>,
    /// None for calls that are not counted (health, reflection, unknown).
    method: Option<Arc<MethodMetrics>>,
    /// Open until the reply ends: the span's duration is the call's.
    span: tracing::Span,
    started: Instant,
    done: bool,
}

impl Call {
    fn finish(&mut self, code: usize) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        // A code gRPC does not define reads as UNKNOWN to clients.
        let code = if code < CODE_NAMES.len() {
            code
        } else {
            tonic::Code::Unknown as usize
        };
        trace::record_status(&self.span, code);
        let elapsed = self.started.elapsed();
        if let Some(method) = &self.method {
            method.handled[code].inc();
            method.seconds.observe(elapsed.as_secs_f64());
        }
        call_log::finished(&self.rpc, code, CODE_NAMES[code], elapsed);
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        self.finish(tonic::Code::Cancelled as usize);
    }
}

/// The code in a `grpc-status` header or trailer; an unreadable one is
/// `Unknown`, as gRPC clients read it.
fn code_of(headers: &http::HeaderMap) -> Option<usize> {
    let value = headers.get("grpc-status")?;
    Some(
        std::str::from_utf8(value.as_bytes())
            .ok()
            .and_then(|code| code.parse().ok())
            .unwrap_or(tonic::Code::Unknown as usize),
    )
}

/// See [`RpcMetrics::layer`].
#[derive(Clone, Debug)]
pub struct RpcMetricsLayer {
    metrics: RpcMetrics,
}

impl<S> tower::Layer<S> for RpcMetricsLayer {
    type Service = RpcMetricsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcMetricsService {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

/// The service [`RpcMetricsLayer`] wraps around the server's routes.
#[derive(Clone, Debug)]
pub struct RpcMetricsService<S> {
    inner: S,
    metrics: RpcMetrics,
}

impl<S, B, ResBody> tower::Service<http::Request<B>> for RpcMetricsService<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<ResBody>>,
{
    type Response = http::Response<ObservedBody<ResBody>>;
    type Error = S::Error;
    type Future = ObservedFuture<TaskLocalFuture<Arc<str>, S::Future>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let call = self.metrics.start(&request);
        let inner = call.span.in_scope(|| self.inner.call(request));
        let inner = call_log::in_call(Arc::clone(&call.rpc), inner);
        ObservedFuture {
            inner,
            call: Some(call),
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`RpcMetricsService`].
    pub struct ObservedFuture<F> {
        #[pin]
        inner: F,
        call: Option<Call>,
    }
}

impl<F, ResBody, E> Future for ObservedFuture<F>
where
    F: Future<Output = Result<http::Response<ResBody>, E>>,
{
    type Output = Result<http::Response<ObservedBody<ResBody>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        // The handler runs inside the call's span, so its SQL statements'
        // spans are the call span's children.
        let entered = this.call.as_ref().map(|call| call.span.enter());
        let result = ready!(this.inner.poll(cx));
        drop(entered);
        let mut call = this.call.take();
        Poll::Ready(match result {
            Ok(response) => {
                if let (Some(code), Some(call)) = (code_of(response.headers()), call.as_mut()) {
                    call.finish(code);
                }
                Ok(response.map(|inner| ObservedBody { inner, call }))
            }
            Err(err) => {
                if let Some(call) = call.as_mut() {
                    call.finish(tonic::Code::Unknown as usize);
                }
                Err(err)
            }
        })
    }
}

pin_project_lite::pin_project! {
    /// A response body that records its call's code from the trailers.
    pub struct ObservedBody<B> {
        #[pin]
        inner: B,
        call: Option<Call>,
    }
}

impl<B: http_body::Body> http_body::Body for ObservedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let frame = ready!(this.inner.poll_frame(cx));
        if let Some(call) = this.call.as_mut() {
            match &frame {
                Some(Ok(frame)) => {
                    if let Some(code) = frame.trailers_ref().and_then(code_of) {
                        call.finish(code);
                    }
                }
                // A reply that ends or breaks without a status: gRPC
                // clients see UNKNOWN or INTERNAL; count it as Unknown.
                Some(Err(_)) | None => call.finish(tonic::Code::Unknown as usize),
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_api_method_is_known_with_its_type() {
        let methods = api_methods();
        let paths: Vec<&str> = methods.iter().map(|(path, _)| path.as_str()).collect();
        assert!(paths.contains(&"/dbrepo.manager.v2.ManagerService/UpdateMember"));
        assert!(paths.contains(&"/dbrepo.app.v1.TaskService/ListTasks"));
        assert!(
            methods
                .iter()
                .all(|(_, labels)| labels.grpc_type == "unary")
        );
        let services: std::collections::BTreeSet<&str> = methods
            .iter()
            .map(|(_, labels)| labels.grpc_service.as_str())
            .collect();
        assert_eq!(services.len(), service_names().len());
    }

    #[test]
    fn code_names_follow_the_code_numbers() {
        assert_eq!(CODE_NAMES[tonic::Code::NotFound as usize], "NotFound");
        assert_eq!(CODE_NAMES[tonic::Code::Unavailable as usize], "Unavailable");
        assert_eq!(
            CODE_NAMES[tonic::Code::Unauthenticated as usize],
            "Unauthenticated"
        );
    }

    /// The JSON log lines written while `work` runs, with `filter`.
    async fn logged<F: Future>(filter: &str, work: F) -> (F::Output, Vec<serde_json::Value>) {
        use tracing_subscriber::layer::SubscriberExt;
        #[derive(Clone, Default)]
        struct Lines(Arc<std::sync::Mutex<Vec<u8>>>);
        impl std::io::Write for Lines {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_subscriber::EnvFilter::new(filter))
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_writer(move || writer.clone()),
            );
        let _default = tracing::subscriber::set_default(subscriber);
        let output = work.await;
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        let lines = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        (output, lines)
    }

    const GET_MEMBER: &str = "/dbrepo.manager.v2.ManagerService/GetMember";

    /// Calls `path` through the layer on a handler answering `code`, and
    /// returns the method the handler saw as its call's.
    async fn call(path: &str, code: tonic::Code) -> Option<Arc<str>> {
        use tower::{Layer, ServiceExt};
        let handler = tower::service_fn(move |_: http::Request<()>| async move {
            let seen = call_log::current_rpc();
            tokio::task::yield_now().await;
            let response = http::Response::builder()
                .header("grpc-status", (code as i32).to_string())
                .body(tonic::body::Body::empty())
                .unwrap();
            Ok::<_, std::convert::Infallible>((seen, response))
        });
        let handler = handler.map_response(|(seen, response)| {
            // The handler's view travels out in an extension.
            let mut response: http::Response<tonic::body::Body> = response;
            response.extensions_mut().insert(seen);
            response
        });
        let service = RpcMetrics::unexported().layer().layer(handler);
        let request = http::Request::builder().uri(path).body(()).unwrap();
        let response = service.oneshot(request).await.unwrap();
        response
            .extensions()
            .get::<Option<Arc<str>>>()
            .cloned()
            .flatten()
    }

    #[tokio::test]
    async fn a_failed_call_logs_one_warning_naming_its_method_and_code() {
        let (seen, lines) = logged("info", call(GET_MEMBER, tonic::Code::NotFound)).await;
        assert_eq!(
            seen.as_deref(),
            Some(GET_MEMBER),
            "the handler knows its call"
        );
        assert_eq!(lines.len(), 1, "{lines:?}");
        let line = &lines[0];
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["target"], call_log::TARGET);
        assert_eq!(line["message"], "call failed");
        assert_eq!(line["rpc"], GET_MEMBER);
        assert_eq!(line["api_version"], "manager.v2");
        assert_eq!(line["code"], "NotFound");
        assert!(line["elapsed_ms"].as_f64().is_some_and(|ms| ms >= 0.0));
    }

    #[tokio::test]
    async fn a_successful_call_logs_only_at_debug() {
        let ((), quiet) = logged("info", async {
            call(GET_MEMBER, tonic::Code::Ok).await;
        })
        .await;
        assert!(quiet.is_empty(), "{quiet:?}");
        let filter = format!("info,{}=debug", call_log::TARGET);
        let ((), lines) = logged(&filter, async {
            call(GET_MEMBER, tonic::Code::Ok).await;
        })
        .await;
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0]["level"], "DEBUG");
        assert_eq!(lines[0]["message"], "call finished");
        assert_eq!(lines[0]["code"], "OK");
    }

    #[tokio::test]
    async fn a_call_outside_the_api_is_logged_by_its_path() {
        let path = "/grpc.health.v1.Health/Check";
        let (_, lines) = logged("info", call(path, tonic::Code::Unavailable)).await;
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0]["rpc"], path);
        assert_eq!(lines[0]["api_version"], "grpc.health.v1");
        assert_eq!(lines[0]["code"], "Unavailable");
    }
}
