//! The current release as a client sees it: `routes` over the PostgreSQL
//! stores on `127.0.0.1:0`, called through the generated clients.
//!
//! Each serving step starts a server with a pool of its own, as a service
//! started after a migration would; [`Served::stop`] waits until it is gone.

use std::sync::Arc;
use std::time::Duration;

use dbrepo::api::server::{routes, serve};
use dbrepo::io::db::{PgManagerStore, PgTaskStore};
use dbrepo::proto::app::v1::task_service_client::TaskServiceClient;
use dbrepo::proto::manager::v1::manager_service_client::ManagerServiceClient as V1Client;
use dbrepo::proto::manager::v2::manager_service_client::ManagerServiceClient as V2Client;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;

use crate::contract::Stores;
use crate::support::TestDatabase;

/// A running server of the current release and one client per API version.
pub struct Served {
    /// `dbrepo.manager.v1.ManagerService`.
    pub v1: V1Client<Channel>,
    /// `dbrepo.manager.v2.ManagerService`.
    pub v2: V2Client<Channel>,
    /// `dbrepo.app.v1.TaskService`.
    pub tasks: TaskServiceClient<Channel>,
    pool: PgPool,
    shutdown: oneshot::Sender<()>,
    server: JoinHandle<Result<(), tonic::transport::Error>>,
}

impl Served {
    /// Serves `db` through a new pool of the service's DML login.
    pub async fn start(db: &TestDatabase) -> Self {
        let pool = service_pool(db).await;
        let (manager, tasks) = stores(&pool);
        let routes = routes(manager, tasks).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let (shutdown, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, routes, async {
            let _ = stopped.await;
        }));
        let channel = Channel::from_shared(address)
            .unwrap()
            .connect()
            .await
            .expect("connect to the served release");
        Self {
            v1: V1Client::new(channel.clone()),
            v2: V2Client::new(channel.clone()),
            tasks: TaskServiceClient::new(channel),
            pool,
            shutdown,
            server,
        }
    }

    /// Fresh stores on the served database, for the contract suite.
    pub fn contract_stores(&self) -> Stores<PgManagerStore, PgTaskStore> {
        let (manager, tasks) = stores(&self.pool);
        Stores::new(manager, tasks)
    }

    /// Closes the clients, shuts the server down, waits for it and closes
    /// its pool (a later migration must not wait on its connections).
    pub async fn stop(self) {
        let Self {
            v1,
            v2,
            tasks,
            pool,
            shutdown,
            server,
        } = self;
        drop((v1, v2, tasks));
        let _ = shutdown.send(());
        let served = tokio::time::timeout(Duration::from_secs(10), server).await;
        served.expect("the server stops").unwrap().unwrap();
        pool.close().await;
    }
}

fn stores(pool: &PgPool) -> (Arc<PgManagerStore>, Arc<PgTaskStore>) {
    (
        Arc::new(PgManagerStore::new(pool.clone())),
        Arc::new(PgTaskStore::new(pool.clone())),
    )
}

async fn service_pool(db: &TestDatabase) -> PgPool {
    PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(10))
        .connect(&db.service_url())
        .await
        .expect("connect as the service login")
}
