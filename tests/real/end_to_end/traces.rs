//! The real binary's traces, received by an in-process OTLP collector (a
//! tonic server of the OTLP trace service): with an endpoint, calls that
//! carry the caller's W3C `traceparent` arrive as server spans in the
//! caller's trace, attributed per the RPC semantic conventions, each with a
//! child span per SQL statement that holds no parameter value; with no
//! endpoint, nothing is exported.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use dbrepo::proto::manager::v1::{
    self as v1, manager_service_client::ManagerServiceClient as V1Client,
};
use dbrepo::proto::manager::v2::{
    self as v2, manager_service_client::ManagerServiceClient as V2Client,
};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
    trace_service_server::{TraceService, TraceServiceServer},
};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::{Span, span::SpanKind, status::StatusCode};
use tokio::net::TcpListener;
use tonic::transport::server::TcpIncoming;

use super::{Service, channel, start_with};
use crate::support::TestDatabase;

const CALLER_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";
/// A team name that must never appear in a span: it is a parameter value.
const SECRET_NAME: &str = "Traced team 7f3a";

#[tokio::test]
async fn spans_join_the_callers_trace_with_a_child_per_sql_statement() {
    let database = TestDatabase::new().await;
    let collector = Collector::start().await;
    let service = start_with(
        &database.service_url(),
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint.as_str()),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ],
    )
    .await
    .unwrap_or_else(|out| panic!("{out}"));
    let mut manager_v1 = V1Client::new(channel(&service.address).await);
    let mut manager_v2 = V2Client::new(channel(&service.address).await);
    manager_v1
        .create_team(traced(v1::CreateTeamRequest {
            name: SECRET_NAME.into(),
            description: String::new(),
        }))
        .await
        .expect("create team");
    let missing = manager_v2
        .get_member(traced(v2::GetMemberRequest {
            id: "0190d6b5-43d7-7ad1-9f6b-0d8c2b7e5c11".into(),
        }))
        .await
        .expect_err("no such member");
    assert_eq!(missing.code(), tonic::Code::NotFound);
    stop(service).await;

    assert_eq!(collector.service_names(), ["dbrepo"]);
    let spans = collector.spans();
    let create = server_span(&spans, "dbrepo.manager.v1.ManagerService/CreateTeam");
    assert_eq!(hex(&create.trace_id), CALLER_TRACE);
    assert_eq!(hex(&create.parent_span_id), CALLER_SPAN);
    assert_eq!(attribute(create, "rpc.system.name"), Some("grpc"));
    assert_eq!(
        attribute(create, "rpc.method"),
        Some("dbrepo.manager.v1.ManagerService/CreateTeam")
    );
    assert_eq!(attribute(create, "rpc.response.status_code"), Some("OK"));
    let insert = only_child(&spans, create);
    assert_eq!(insert.name, "INSERT manager.teams");
    assert_eq!(insert.kind, SpanKind::Client as i32);
    assert_eq!(attribute(insert, "db.system.name"), Some("postgresql"));
    assert_eq!(
        attribute(insert, "db.query.summary"),
        Some("INSERT manager.teams")
    );

    let get = server_span(&spans, "dbrepo.manager.v2.ManagerService/GetMember");
    assert_eq!(hex(&get.trace_id), CALLER_TRACE);
    assert_eq!(
        attribute(get, "rpc.response.status_code"),
        Some("NOT_FOUND")
    );
    // NOT_FOUND is the caller's mistake, not the server's failure.
    let status = get.status.clone().unwrap_or_default();
    assert_ne!(status.code, StatusCode::Error as i32);
    assert_eq!(only_child(&spans, get).name, "SELECT manager.members");

    for span in &spans {
        for kv in &span.attributes {
            let shown = format!("{:?}", kv.value);
            assert!(!shown.contains(SECRET_NAME), "{} leaks {shown}", kv.key);
        }
    }
}

#[tokio::test]
async fn without_an_endpoint_nothing_is_exported() {
    let database = TestDatabase::new().await;
    let collector = Collector::start().await;
    // An exporter, had one been built, would send here.
    let traces_endpoint = collector.endpoint.clone();
    let service = start_with(
        &database.service_url(),
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", ""),
            (
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                traces_endpoint.as_str(),
            ),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ],
    )
    .await
    .unwrap_or_else(|out| panic!("{out}"));
    let mut manager_v1 = V1Client::new(channel(&service.address).await);
    manager_v1
        .create_team(traced(v1::CreateTeamRequest {
            name: "Untraced".into(),
            description: String::new(),
        }))
        .await
        .expect("create team");
    stop(service).await;
    assert_eq!(collector.exports(), 0);
}

/// `message` with the caller's trace context in its metadata.
fn traced<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    let traceparent = format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01");
    request
        .metadata_mut()
        .insert("traceparent", traceparent.parse().expect("ascii"));
    request
}

/// SIGTERM, and the exit that flushes the last spans.
async fn stop(mut service: Service) {
    let pid = service.child.id().expect("pid");
    kill(
        Pid::from_raw(i32::try_from(pid).expect("pid")),
        Signal::SIGTERM,
    )
    .expect("SIGTERM");
    let status = tokio::time::timeout(Duration::from_secs(30), service.child.wait())
        .await
        .expect("exits")
        .expect("wait");
    assert!(status.success(), "{status}");
}

fn server_span<'a>(spans: &'a [Span], name: &str) -> &'a Span {
    let found: Vec<&Span> = spans
        .iter()
        .filter(|span| span.name == name && span.kind == SpanKind::Server as i32)
        .collect();
    assert_eq!(found.len(), 1, "one {name} span in {spans:#?}");
    found[0]
}

fn only_child<'a>(spans: &'a [Span], parent: &Span) -> &'a Span {
    let children: Vec<&Span> = spans
        .iter()
        .filter(|span| span.parent_span_id == parent.span_id)
        .collect();
    assert_eq!(children.len(), 1, "one child of {}", parent.name);
    assert_eq!(children[0].trace_id, parent.trace_id);
    children[0]
}

fn attribute<'a>(span: &'a Span, key: &str) -> Option<&'a str> {
    let value = span.attributes.iter().find(|kv| kv.key == key)?;
    match value.value.as_ref()?.value.as_ref()? {
        Value::StringValue(text) => Some(text),
        _ => None,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// An OTLP/gRPC trace collector on a free loopback port that keeps what
/// it receives; stops when dropped.
struct Collector {
    endpoint: String,
    received: Arc<Mutex<Vec<ExportTraceServiceRequest>>>,
    serving: tokio::task::JoinHandle<()>,
}

impl Collector {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        let received = Arc::new(Mutex::new(Vec::new()));
        let service = TraceServiceServer::new(Keep(received.clone()));
        let serving = tokio::spawn(async move {
            tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming(TcpIncoming::from(listener))
                .await
                .expect("collector serves");
        });
        Self {
            endpoint,
            received,
            serving,
        }
    }

    fn exports(&self) -> usize {
        self.received.lock().expect("lock").len()
    }

    /// The distinct `service.name`s of the resources that sent spans.
    fn service_names(&self) -> Vec<String> {
        let received = self.received.lock().expect("lock");
        let mut names: Vec<String> = received
            .iter()
            .flat_map(|request| &request.resource_spans)
            .filter_map(|spans| spans.resource.as_ref())
            .flat_map(|resource| &resource.attributes)
            .filter(|kv| kv.key == "service.name")
            .filter_map(|kv| match kv.value.as_ref()?.value.as_ref()? {
                Value::StringValue(name) => Some(name.clone()),
                _ => None,
            })
            .collect();
        names.dedup();
        names
    }

    fn spans(&self) -> Vec<Span> {
        let received = self.received.lock().expect("lock");
        received
            .iter()
            .flat_map(|request| &request.resource_spans)
            .flat_map(|resource| &resource.scope_spans)
            .flat_map(|scope| scope.spans.iter().cloned())
            .collect()
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        self.serving.abort();
    }
}

struct Keep(Arc<Mutex<Vec<ExportTraceServiceRequest>>>);

#[tonic::async_trait]
impl TraceService for Keep {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.0.lock().expect("lock").push(request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}
