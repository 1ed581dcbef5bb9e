//! The service's routes over the test database's DML pool, served by the
//! real tonic server on an ephemeral port, and the reads the checks make.

use std::sync::Arc;
use std::time::Duration;

use dbrepo::api::server::{routes, serve};
use dbrepo::io::db::{PgManagerStore, PgTaskStore};
use dbrepo::proto::manager::v1::manager_service_client::ManagerServiceClient as V1Client;
use dbrepo::proto::manager::v2::manager_service_client::ManagerServiceClient as V2Client;
use dbrepo::proto::manager::{v1, v2};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;
use uuid::Uuid;

use crate::support::TestDatabase;

/// How long stopping the server may take before the test fails: a server
/// that does not stop is a bug, not a slow machine.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// v1 GetMember.
pub async fn get_v1(client: &mut V1Client<Channel>, id: Uuid) -> v1::Member {
    let request = v1::GetMemberRequest { id: id.to_string() };
    let got = client.get_member(request).await.expect("v1 get");
    got.into_inner().member.expect("v1 member")
}

/// v2 GetMember.
pub async fn get_v2(client: &mut V2Client<Channel>, id: Uuid) -> v2::Member {
    let request = v2::GetMemberRequest { id: id.to_string() };
    let got = client.get_member(request).await.expect("v2 get");
    got.into_inner().member.expect("v2 member")
}

/// The service's routes over the DML pool, on an ephemeral port.
pub struct Served {
    address: String,
    shutdown: oneshot::Sender<()>,
    server: JoinHandle<Result<(), tonic::transport::Error>>,
}

impl Served {
    /// Serves a fresh set of stores over `db`'s DML pool.
    pub async fn start(db: &TestDatabase) -> Self {
        let manager = Arc::new(PgManagerStore::new(db.pool().clone()));
        let tasks = Arc::new(PgTaskStore::new(db.pool().clone()));
        let routes = routes(manager, tasks).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let (shutdown, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, routes, async {
            // A dropped sender (a panicking test) stops the server too.
            let _ = stopped.await;
        }));
        Self {
            address,
            shutdown,
            server,
        }
    }

    /// A new connection to the server.
    pub async fn connect(&self) -> Channel {
        let endpoint = Channel::from_shared(self.address.clone()).unwrap();
        endpoint.connect().await.expect("connect to the server")
    }

    /// One v1 and one v2 client sharing a connection, for the final reads.
    pub async fn readers(&self) -> (V1Client<Channel>, V2Client<Channel>) {
        let channel = self.connect().await;
        (V1Client::new(channel.clone()), V2Client::new(channel))
    }

    /// Shuts the server down and waits for it; every client must be gone.
    pub async fn stop(self) {
        let _ = self.shutdown.send(());
        let served = tokio::time::timeout(STOP_TIMEOUT, self.server).await;
        served.expect("the server stops").unwrap().unwrap();
    }
}
