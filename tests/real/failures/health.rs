//! Health follows the database: the real binary, connected to PostgreSQL
//! through a proxy the test can cut, turns NOT_SERVING when the database
//! cannot be reached, answers calls with UNAVAILABLE meanwhile, and turns
//! SERVING again when it answers; `Watch` streams each change. The
//! `liveness` name stays SERVING throughout.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dbrepo::proto::manager::v1::{GetTeamRequest, manager_service_client::ManagerServiceClient};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse, health_client::HealthClient};

use crate::end_to_end::{channel, start_with};
use crate::support::{TestDatabase, cluster};

/// Longest wait for a health change: the probe runs every second.
const CHANGE_WAIT: Duration = Duration::from_secs(15);

#[tokio::test]
async fn health_is_not_serving_while_the_database_is_unreachable_and_serving_again_after() {
    let db = TestDatabase::new().await;
    let port = cluster().await.server().port();
    let proxy = Proxy::start(port).await;
    let url = db
        .service_url()
        .replace(&format!("127.0.0.1:{port}"), &proxy.address.to_string());
    let mut service = start_with(&url, &[("DBREPO_CONNECT_TIMEOUT_SECS", "1")])
        .await
        .unwrap_or_else(|out| panic!("{out}"));
    let mut health = HealthClient::new(channel(&service.address).await);
    let mut watch = health
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("watch")
        .into_inner();
    assert_eq!(next(&mut watch).await, ServingStatus::Serving);

    proxy.cut();
    assert_eq!(next(&mut watch).await, ServingStatus::NotServing);
    let status = health
        .check(HealthCheckRequest {
            service: "dbrepo.manager.v2.ManagerService".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        status.status(),
        ServingStatus::NotServing,
        "every service follows"
    );
    let alive = health
        .check(HealthCheckRequest {
            service: "liveness".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        alive.status(),
        ServingStatus::Serving,
        "liveness does not follow the database: restarting fixes nothing"
    );
    let mut v1 = ManagerServiceClient::new(channel(&service.address).await);
    let refused = v1
        .get_team(GetTeamRequest {
            id: uuid::Uuid::new_v4().to_string(),
        })
        .await
        .expect_err("no database, no answer");
    assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");

    proxy.restore();
    assert_eq!(next(&mut watch).await, ServingStatus::Serving);
    let found = v1
        .get_team(GetTeamRequest {
            id: uuid::Uuid::new_v4().to_string(),
        })
        .await
        .expect_err("an unknown team");
    assert_eq!(
        found.code(),
        Code::NotFound,
        "the database answers again: {found:?}"
    );

    drop(watch);
    kill(
        Pid::from_raw(service.child.id().expect("pid") as i32),
        Signal::SIGTERM,
    )
    .unwrap();
    let exit = tokio::time::timeout(Duration::from_secs(30), service.child.wait()).await;
    assert!(exit.expect("exits").unwrap().success());
}

async fn next(watch: &mut tonic::Streaming<HealthCheckResponse>) -> ServingStatus {
    tokio::time::timeout(CHANGE_WAIT, watch.message())
        .await
        .expect("health changes in time")
        .expect("the watch stream is healthy")
        .expect("the watch stream goes on")
        .status()
}

/// A TCP proxy to PostgreSQL on 127.0.0.1 that can be cut (every
/// connection dropped, new ones closed at once) and restored.
struct Proxy {
    address: SocketAddr,
    up: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
    acceptor: AbortHandle,
}

impl Proxy {
    async fn start(upstream_port: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let connections = Arc::new(Mutex::new(Vec::new()));
        let (accept_up, accept_connections) = (up.clone(), connections.clone());
        let acceptor = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !accept_up.load(Ordering::SeqCst) {
                    continue; // dropped: the client sees the connection close
                }
                let relay = tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream_port)).await
                    else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                });
                accept_connections
                    .lock()
                    .unwrap()
                    .push(relay.abort_handle());
            }
        })
        .abort_handle();
        Self {
            address,
            up,
            connections,
            acceptor,
        }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for relay in self.connections.lock().unwrap().drain(..) {
            relay.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.acceptor.abort();
    }
}
