//! A statement that outlives the statement timeout (here: waiting on a row
//! lock another session holds) is UNAVAILABLE, never INTERNAL, and writes
//! nothing: for every write RPC of the three services.

use dbrepo::proto::app::v1 as app;
use dbrepo::proto::manager::{v1, v2};
use sqlx::{PgPool, Postgres, Transaction};
use tonic::Code;

use super::{Fixture, fixture, serve, service_pool};
use crate::support::TestDatabase;
use dbrepo_testkit::served::TestServer;

/// Short, so each case waits only briefly on its lock.
const STATEMENT_TIMEOUT_MS: u64 = 300;

/// Every write RPC of the three published services.
#[derive(Debug, Clone, Copy)]
enum Write {
    CreateTeamV1,
    CreateTeamV2,
    CreateMemberV1,
    CreateMemberV2,
    UpdateMemberV1,
    UpdateMemberV2,
    DeleteMemberV1,
    DeleteMemberV2,
    CreateTask,
    UpdateTask,
    DeleteTask,
}

const EVERY_WRITE: [Write; 11] = [
    Write::CreateTeamV1,
    Write::CreateTeamV2,
    Write::CreateMemberV1,
    Write::CreateMemberV2,
    Write::UpdateMemberV1,
    Write::UpdateMemberV2,
    Write::DeleteMemberV1,
    Write::DeleteMemberV2,
    Write::CreateTask,
    Write::UpdateTask,
    Write::DeleteTask,
];

#[tokio::test]
async fn every_write_blocked_past_the_statement_timeout_is_unavailable_and_writes_nothing() {
    let db = TestDatabase::new().await;
    let pool = service_pool(&db, 4, STATEMENT_TIMEOUT_MS).await;
    let mut server = serve(&pool).await;
    let owner = db.owner_pool().await;
    for write in EVERY_WRITE {
        let fixture = fixture(&mut server, "Timeouts").await;
        let before = rows(&owner).await;
        let lock = hold_the_lock(&owner, write, &fixture).await;
        let status = call(&mut server, write, &fixture).await;
        lock.rollback().await.unwrap();
        let status = status.expect_err("the call cannot finish while the row is locked");
        assert_eq!(status.code(), Code::Unavailable, "{write:?}: {status:?}");
        assert!(
            !status.message().contains("statement"),
            "{write:?}: {status:?}"
        );
        assert_eq!(rows(&owner).await, before, "{write:?} wrote nothing");
    }
    server.stop().await;
    owner.close().await;
    pool.close().await;
}

/// Opens a transaction as the owner that takes the lock `write` needs.
async fn hold_the_lock(
    owner: &PgPool,
    write: Write,
    f: &Fixture,
) -> Transaction<'static, Postgres> {
    use Write::*;
    let (sql, id) = match write {
        // A concurrent uncommitted insert of the same name: the unique
        // index makes the second insert wait for the first.
        CreateTeamV1 | CreateTeamV2 => (
            "INSERT INTO manager.teams (id, name, description) VALUES (gen_random_uuid(), $1, '')",
            &f.new_team_name,
        ),
        // The foreign key check takes a share lock on the team row.
        CreateMemberV1 | CreateMemberV2 | CreateTask => (
            "SELECT 1 FROM manager.teams WHERE id = $1::uuid FOR UPDATE",
            &f.team_id,
        ),
        UpdateMemberV1 | UpdateMemberV2 | DeleteMemberV1 | DeleteMemberV2 => (
            "SELECT 1 FROM manager.members WHERE id = $1::uuid FOR UPDATE",
            &f.member_id,
        ),
        UpdateTask | DeleteTask => (
            "SELECT 1 FROM app.tasks WHERE id = $1::uuid FOR UPDATE",
            &f.task_id,
        ),
    };
    let mut tx = owner.begin().await.unwrap();
    sqlx::query(sql).bind(id).execute(&mut *tx).await.unwrap();
    tx
}

async fn call(server: &mut TestServer, write: Write, f: &Fixture) -> Result<(), tonic::Status> {
    let email = format!("new.{}@example.org", uuid::Uuid::new_v4().simple());
    match write {
        Write::CreateTeamV1 => server
            .v1
            .create_team(v1::CreateTeamRequest {
                name: f.new_team_name.clone(),
                description: String::new(),
            })
            .await
            .map(drop),
        Write::CreateTeamV2 => server
            .v2
            .create_team(v2::CreateTeamRequest {
                display_name: f.new_team_name.clone(),
                description: String::new(),
            })
            .await
            .map(drop),
        Write::CreateMemberV1 => server
            .v1
            .create_member(v1::CreateMemberRequest {
                team_id: f.team_id.clone(),
                full_name: "Grace Hopper".into(),
                email,
            })
            .await
            .map(drop),
        Write::CreateMemberV2 => server
            .v2
            .create_member(v2::CreateMemberRequest {
                team_id: f.team_id.clone(),
                given_name: "Grace".into(),
                family_name: "Hopper".into(),
                email,
                ..Default::default()
            })
            .await
            .map(drop),
        Write::UpdateMemberV1 => server
            .v1
            .update_member(v1::UpdateMemberRequest {
                id: f.member_id.clone(),
                archived: Some(true),
                ..Default::default()
            })
            .await
            .map(drop),
        Write::UpdateMemberV2 => server
            .v2
            .update_member(v2::UpdateMemberRequest {
                id: f.member_id.clone(),
                family_name: Some("King".into()),
                ..Default::default()
            })
            .await
            .map(drop),
        Write::DeleteMemberV1 => server
            .v1
            .delete_member(v1::DeleteMemberRequest {
                id: f.member_id.clone(),
            })
            .await
            .map(drop),
        Write::DeleteMemberV2 => server
            .v2
            .delete_member(v2::DeleteMemberRequest {
                id: f.member_id.clone(),
                etag: String::new(),
            })
            .await
            .map(drop),
        Write::CreateTask => server
            .tasks
            .create_task(app::CreateTaskRequest {
                team_id: f.team_id.clone(),
                title: "never written".into(),
                ..Default::default()
            })
            .await
            .map(drop),
        Write::UpdateTask => server
            .tasks
            .update_task(app::UpdateTaskRequest {
                id: f.task_id.clone(),
                title: Some("never written".into()),
                ..Default::default()
            })
            .await
            .map(drop),
        Write::DeleteTask => server
            .tasks
            .delete_task(app::DeleteTaskRequest {
                id: f.task_id.clone(),
            })
            .await
            .map(drop),
    }
}

/// Every row of the three tables, as text, in a stable order.
async fn rows(owner: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT r FROM (SELECT t::text AS r FROM manager.teams t \
         UNION ALL SELECT m::text FROM manager.members m \
         UNION ALL SELECT k::text FROM app.tasks k) AS every_row ORDER BY r",
    )
    .fetch_all(owner)
    .await
    .unwrap()
}
