//! The service over the test database's DML pool, served by the shared
//! test server, and the reads the checks make.

use std::sync::Arc;

use dbrepo::io::db::{PgManagerStore, PgTaskStore};
use dbrepo::proto::manager::v1::manager_service_client::ManagerServiceClient as V1Client;
use dbrepo::proto::manager::v2::manager_service_client::ManagerServiceClient as V2Client;
use dbrepo::proto::manager::{v1, v2};
use tonic::transport::Channel;
use uuid::Uuid;

use crate::served::TestServer;
use crate::support::TestDatabase;

/// Serves fresh stores over `db`'s DML pool.
pub async fn serve(db: &TestDatabase) -> TestServer {
    let sessions = db.sessions();
    let manager = Arc::new(PgManagerStore::new(sessions.clone()));
    let tasks = Arc::new(PgTaskStore::new(sessions));
    TestServer::serve(manager, tasks).await
}

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
