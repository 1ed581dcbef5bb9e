//! A real dbrepo server over any stores, on `127.0.0.1:0`, with one
//! generated client per published service: what a client team runs
//! against. [`TestServer::stop`] waits until the server has shut down, so
//! no server outlives its test.

use std::sync::Arc;
use std::time::Duration;

use dbrepo::api::metrics::RpcMetrics;
use dbrepo::api::server::{Limits, routes, serve};
use dbrepo::core::sql::app::TaskStore;
use dbrepo::core::sql::manager::ManagerStore;
use dbrepo::proto::app::v1::task_service_client::TaskServiceClient;
use dbrepo::proto::manager::v1::manager_service_client::ManagerServiceClient as V1Client;
use dbrepo::proto::manager::v2::manager_service_client::ManagerServiceClient as V2Client;
use dbrepo::proto::manager::{v1, v2};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;

/// How long [`TestServer::stop`] waits for the server to finish before
/// failing the test: a server that does not stop is a bug, not a slow
/// machine.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// A running server and one client per published service.
pub struct TestServer {
    /// `dbrepo.manager.v1.ManagerService`.
    pub v1: V1Client<Channel>,
    /// `dbrepo.manager.v2.ManagerService`.
    pub v2: V2Client<Channel>,
    /// `dbrepo.app.v1.TaskService`.
    pub tasks: TaskServiceClient<Channel>,
    address: String,
    shutdown: oneshot::Sender<()>,
    server: JoinHandle<Result<(), tonic::transport::Error>>,
}

impl TestServer {
    /// Serves every dbrepo service over `manager` and `tasks` on an
    /// ephemeral port and connects to it.
    pub async fn serve<M: ManagerStore, T: TaskStore>(manager: Arc<M>, tasks: Arc<T>) -> Self {
        let (routes, _health) = routes(manager, tasks, &Limits::default()).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let (shutdown, stopped) = oneshot::channel::<()>();
        let metrics = RpcMetrics::unexported();
        let server = tokio::spawn(serve(listener, routes, metrics, async {
            // A dropped sender (a panicking test) stops the server too.
            let _ = stopped.await;
        }));
        let channel = connect(&address).await;
        Self {
            v1: V1Client::new(channel.clone()),
            v2: V2Client::new(channel.clone()),
            tasks: TaskServiceClient::new(channel),
            address,
            shutdown,
            server,
        }
    }

    /// GetMember through v1, expecting the member.
    pub async fn member_v1(&mut self, id: impl ToString) -> v1::Member {
        let request = v1::GetMemberRequest { id: id.to_string() };
        let got = self.v1.get_member(request).await.expect("v1 GetMember");
        got.into_inner()
            .member
            .expect("v1 GetMember returns the member")
    }

    /// GetMember through v2, expecting the member.
    pub async fn member_v2(&mut self, id: impl ToString) -> v2::Member {
        let request = v2::GetMemberRequest { id: id.to_string() };
        let got = self.v2.get_member(request).await.expect("v2 GetMember");
        got.into_inner()
            .member
            .expect("v2 GetMember returns the member")
    }

    /// ListMembers through v1 with the default limit: a team's members in
    /// create-time order, archived ones only when `include_archived`.
    pub async fn members_v1(
        &mut self,
        team_id: impl ToString,
        include_archived: bool,
    ) -> Vec<v1::Member> {
        let request = v1::ListMembersRequest {
            team_id: team_id.to_string(),
            offset: 0,
            limit: 0,
            include_archived,
        };
        let got = self.v1.list_members(request).await.expect("v1 ListMembers");
        got.into_inner().members
    }

    /// A connection of its own, for clients that must not share one (drop
    /// them before [`TestServer::stop`]).
    pub async fn connect(&self) -> Channel {
        connect(&self.address).await
    }

    /// Closes the clients, then shuts the server down and waits for it.
    pub async fn stop(self) {
        let Self {
            v1,
            v2,
            tasks,
            shutdown,
            server,
            ..
        } = self;
        drop((v1, v2, tasks));
        let _ = shutdown.send(());
        let served = tokio::time::timeout(STOP_TIMEOUT, server).await;
        served.expect("the server stops").unwrap().unwrap();
    }
}

async fn connect(address: &str) -> Channel {
    let endpoint = Channel::from_shared(address.to_owned()).unwrap();
    endpoint
        .connect()
        .await
        .expect("connect to the test server")
}
