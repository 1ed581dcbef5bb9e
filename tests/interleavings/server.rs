//! The real tonic server over whichever stores a run chooses, on
//! `127.0.0.1:0`, and the writers a case calls: the generated v1 and v2
//! clients over a real socket, and the previous release when there is one.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use dbrepo::api::server::{routes, serve};
use dbrepo::core::sql::{app::TaskStore, manager::ManagerStore};
use dbrepo::proto::manager::v1::manager_service_client::ManagerServiceClient as V1Client;
use dbrepo::proto::manager::v2::manager_service_client::ManagerServiceClient as V2Client;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;
use uuid::Uuid;

/// How long [`Server::stop`] waits: a server that does not stop is a bug.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// One server for a whole run, shared by its cases.
pub struct Server {
    /// `dbrepo.manager.v1.ManagerService`.
    pub v1: V1Client<Channel>,
    /// `dbrepo.manager.v2.ManagerService`.
    pub v2: V2Client<Channel>,
    shutdown: oneshot::Sender<()>,
    server: JoinHandle<Result<(), tonic::transport::Error>>,
}

impl Server {
    /// Serves `manager` and `tasks` on an ephemeral port and connects to it.
    pub async fn start<M: ManagerStore, T: TaskStore>(manager: M, tasks: T) -> Self {
        let routes = routes(Arc::new(manager), Arc::new(tasks)).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let (shutdown, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, routes, async {
            // A dropped sender (a panicking run) stops the server too.
            let _ = stopped.await;
        }));
        let channel = Channel::from_shared(address)
            .unwrap()
            .connect()
            .await
            .unwrap();
        Self {
            v1: V1Client::new(channel.clone()),
            v2: V2Client::new(channel),
            shutdown,
            server,
        }
    }

    /// Closes the clients, then shuts the server down and waits for it.
    pub async fn stop(self) {
        let Self {
            v1,
            v2,
            shutdown,
            server,
        } = self;
        drop((v1, v2));
        let _ = shutdown.send(());
        let served = tokio::time::timeout(STOP_TIMEOUT, server).await;
        served.expect("the server stops").unwrap().unwrap();
    }
}

/// The previous dbrepo release writing beside the server (DOMAIN.md rule
/// 5): it knows only v1's columns, and trims names before writing them.
pub trait PreviousWriter {
    /// Creates a member of `team_id`; returns its id and the email it chose.
    fn create_member(
        &self,
        team_id: Uuid,
        full_name: &str,
        archived: bool,
    ) -> impl Future<Output = (Uuid, String)>;
    /// Writes `full_name`, already trimmed.
    fn rename(&self, id: Uuid, full_name: &str) -> impl Future<Output = ()>;
    /// Writes `archived`.
    fn set_archived(&self, id: Uuid, archived: bool) -> impl Future<Output = ()>;
    /// Writes `email`.
    fn set_email(&self, id: Uuid, email: &str) -> impl Future<Output = ()>;
}

/// No previous release: what a run over the fake stores has, since the
/// previous release writes SQL and the fake has none.
#[allow(dead_code, reason = "the run over PostgreSQL has the previous release")]
pub enum NoPreviousRelease {}

impl PreviousWriter for NoPreviousRelease {
    async fn create_member(&self, _: Uuid, _: &str, _: bool) -> (Uuid, String) {
        match *self {}
    }
    async fn rename(&self, _: Uuid, _: &str) {
        match *self {}
    }
    async fn set_archived(&self, _: Uuid, _: bool) {
        match *self {}
    }
    async fn set_email(&self, _: Uuid, _: &str) {
        match *self {}
    }
}
