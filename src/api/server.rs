//! The one server builder that `main.rs` and the tests share: the three API
//! versions, `grpc.health.v1.Health` and server reflection on one port, each
//! call observed (metrics, log line, trace span), graceful shutdown.
//!
//! ```no_run
//! # async fn wire<M: dbrepo::core::sql::manager::ManagerStore, T: dbrepo::core::sql::app::TaskStore>(m: M, t: T) {
//! use std::sync::Arc;
//! let limits = dbrepo::api::server::Limits::default();
//! let (routes, _health) = dbrepo::api::server::routes(Arc::new(m), Arc::new(t), &limits).await;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
//! let metrics = dbrepo::api::metrics::RpcMetrics::unexported();
//! dbrepo::api::server::serve(listener, routes, metrics, async { /* a shutdown signal */ }).await.unwrap();
//! # }
//! ```

use std::{future::Future, sync::Arc};

use tonic::codegen::http;
use tonic::service::Routes;
use tower::util::MapResponseLayer;

use super::app::v1::TaskV1Service;
use super::health::Health;
use super::manager::{v1::ManagerV1Service, v2::ManagerV2Service};
use super::metrics::RpcMetrics;
use crate::core::sql::{app::TaskStore, manager::ManagerStore};
use crate::proto::{self, app, manager};

type ManagerV1Server<M> =
    manager::v1::manager_service_server::ManagerServiceServer<ManagerV1Service<M>>;
type ManagerV2Server<M> =
    manager::v2::manager_service_server::ManagerServiceServer<ManagerV2Service<M>>;
type TaskV1Server<T> = app::v1::task_service_server::TaskServiceServer<TaskV1Service<T>>;

/// The fully qualified names of the served API services, as tonic
/// generated them from the protos.
pub fn service_names() -> [&'static str; 3] {
    [
        manager::v1::manager_service_server::SERVICE_NAME,
        manager::v2::manager_service_server::SERVICE_NAME,
        app::v1::task_service_server::SERVICE_NAME,
    ]
}

/// Limits every API service applies to the calls it accepts.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The largest request message, in bytes; a larger one is refused with
    /// RESOURCE_EXHAUSTED before it is decoded.
    pub max_message_bytes: usize,
}

impl Default for Limits {
    /// gRPC's customary 4 MiB.
    fn default() -> Self {
        Self {
            max_message_bytes: 4 * 1024 * 1024,
        }
    }
}

/// Every service dbrepo serves, over one manager store and one task store:
/// the three API versions, health (overall and per service, SERVING until
/// told otherwise through the returned [`Health`]) and reflection v1 and
/// v1alpha.
pub async fn routes<M: ManagerStore, T: TaskStore>(
    manager: Arc<M>,
    tasks: Arc<T>,
    limits: &Limits,
) -> (Routes, Health) {
    let (reporter, health_service) = tonic_health::server::health_reporter();
    let health = Health::start(reporter).await;
    // Both reflection versions: some common clients speak only v1alpha.
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1 = reflection()
        .build_v1()
        .expect("the embedded descriptors are valid");
    let reflection_v1alpha = reflection()
        .build_v1alpha()
        .expect("the embedded descriptors are valid");
    let max = limits.max_message_bytes;
    let routes = Routes::new(
        ManagerV1Server::new(ManagerV1Service::new(manager.clone())).max_decoding_message_size(max),
    )
    .add_service(
        ManagerV2Server::new(ManagerV2Service::new(manager)).max_decoding_message_size(max),
    )
    .add_service(TaskV1Server::new(TaskV1Service::new(tasks)).max_decoding_message_size(max))
    .add_service(health_service)
    .add_service(reflection_v1)
    .add_service(reflection_v1alpha);
    (routes, health)
}

/// Serves `routes` on `listener` until `shutdown` completes, then stops
/// accepting and waits for in-flight calls. Each call is observed by
/// `metrics`' layer: counted, logged ([`super::call_log`]: a warning when it
/// fails, a debug line when it succeeds, because formatting and writing a
/// line per call cost about as much CPU as the rest of a one-statement
/// call) and traced when a trace exporter is installed.
pub async fn serve(
    listener: tokio::net::TcpListener,
    routes: Routes,
    metrics: RpcMetrics,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), tonic::transport::Error> {
    tonic::transport::Server::builder()
        // Outside the mapping below, so it sees the code clients see.
        .layer(metrics.layer())
        .layer(MapResponseLayer::new(oversize_is_resource_exhausted))
        .add_routes(routes)
        .serve_with_incoming_shutdown(
            tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)),
            shutdown,
        )
        .await
}

/// tonic refuses a request over the decoding limit with OUT_OF_RANGE;
/// gRPC's status table says RESOURCE_EXHAUSTED. No dbrepo handler returns
/// OUT_OF_RANGE, so the code alone identifies that refusal. It is always a
/// trailers-only response (the request was never decoded), whose status is
/// in the headers.
fn oversize_is_resource_exhausted<B>(mut response: http::Response<B>) -> http::Response<B> {
    const OUT_OF_RANGE: &str = "11";
    let headers = response.headers_mut();
    if headers
        .get(GRPC_STATUS)
        .is_some_and(|code| code.as_bytes() == OUT_OF_RANGE.as_bytes())
    {
        let code = (tonic::Code::ResourceExhausted as i32).to_string();
        headers.insert(
            GRPC_STATUS,
            code.parse().expect("a number is a header value"),
        );
    }
    response
}

const GRPC_STATUS: &str = "grpc-status";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn served_names_are_the_published_services() {
        assert_eq!(
            service_names(),
            [
                "dbrepo.manager.v1.ManagerService",
                "dbrepo.manager.v2.ManagerService",
                "dbrepo.app.v1.TaskService"
            ]
        );
    }
}
