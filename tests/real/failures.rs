//! Failure paths on real PostgreSQL, through real gRPC clients: a database
//! that is slow, locked, deadlocked, unreachable, or whose calls are
//! cancelled midway. Each promise of shared/DOMAIN.md's error table and of
//! "Health and shutdown" that a database failure can break has a test here
//! (shutdown itself is tested on the real binary in `end_to_end`).

mod cancellation;
mod dead_connections;
mod deadlock;
mod health;
mod timeouts;

use std::time::Duration;

use dbrepo::io::db::Sessions;
use dbrepo::io::db::session;
use dbrepo::proto::app::v1 as app;
use dbrepo::proto::manager::{v1, v2};
use dbrepo_migrations::DatabaseUrl;
use sqlx::PgPool;

use crate::support::TestDatabase;
use dbrepo_testkit::served::TestServer;

/// A pool of `connections` sessions on `db`, set up exactly as the service
/// sets up its own (all opened up front), with `statement_timeout_ms`.
pub async fn service_pool(
    db: &TestDatabase,
    connections: u32,
    statement_timeout_ms: u64,
) -> Sessions {
    let url = DatabaseUrl::parse(&db.service_url()).expect("service url");
    let url = session::service_session(url, statement_timeout_ms);
    let sessions = Sessions::new(
        url.connect_options().clone(),
        connections,
        Duration::from_secs(10),
    );
    sessions.fill().await.expect("connect as the service login");
    sessions
}

/// A server over `sessions`, with one client per published service.
pub use crate::support::pg_server as serve;

/// Waits until `sessions` sessions of `db` wait on a lock: the statement
/// under test has reached the database and is blocked.
pub async fn wait_for_lock_waiters(owner: &PgPool, db: &TestDatabase, sessions: i64) {
    for _ in 0..400 {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'",
        )
        .bind(db.name())
        .fetch_one(owner)
        .await
        .unwrap();
        if waiting >= sessions {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no statement ever waited on the lock");
}

/// What a test works on: a team with one member and one task assigned to
/// them, and a name no team has yet.
pub struct Fixture {
    pub team_id: String,
    pub member_id: String,
    pub task_id: String,
    pub new_team_name: String,
}

/// Creates a [`Fixture`] through `server`, its team named after `test`.
pub async fn fixture(server: &mut TestServer, test: &str) -> Fixture {
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let team = server
        .v2
        .create_team(v2::CreateTeamRequest {
            display_name: format!("{test} {suffix}"),
            description: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .team
        .unwrap();
    let member = server
        .v1
        .create_member(v1::CreateMemberRequest {
            team_id: team.id.clone(),
            full_name: "Ada Lovelace".into(),
            email: format!("ada.{suffix}@example.org"),
        })
        .await
        .unwrap()
        .into_inner()
        .member
        .unwrap();
    let task = server
        .tasks
        .create_task(app::CreateTaskRequest {
            team_id: team.id.clone(),
            title: "write the runbook".into(),
            assignee_id: Some(member.id.clone()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .task
        .unwrap();
    Fixture {
        team_id: team.id,
        member_id: member.id,
        task_id: task.id,
        new_team_name: format!("Locked {suffix}"),
    }
}
