//! Pooled connections that died while idle (the server terminated their
//! sessions) are found and replaced: the pool does not ping before every
//! call, so the one call that meets a dead connection is UNAVAILABLE, and
//! that failure makes every other connection prove itself before its next
//! call.

use dbrepo::proto::manager::v1;
use tonic::Code;

use super::{fixture, serve, service_pool};
use crate::support::TestDatabase;

const POOL: u32 = 4;

#[tokio::test]
async fn connections_killed_while_idle_cost_at_most_one_call_and_are_replaced() {
    let db = TestDatabase::new().await;
    let sessions = service_pool(&db, POOL, 5_000).await;
    let mut server = serve(&sessions).await;
    let team_id = fixture(&mut server, "dead connections").await.team_id;
    let owner = db.owner_pool().await;
    let service_sessions = "SELECT pid FROM pg_stat_activity \
                            WHERE datname = $1 AND application_name LIKE 'dbrepo-%'";
    let before: Vec<i32> = sqlx::query_scalar(service_sessions)
        .bind(db.name())
        .fetch_all(&owner)
        .await
        .unwrap();
    assert_eq!(before.len(), POOL as usize, "the pool opened its sessions");
    let terminated: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = $1 AND application_name LIKE 'dbrepo-%'",
    )
    .bind(db.name())
    .fetch_all(&owner)
    .await
    .unwrap();
    assert_eq!(terminated, vec![true; POOL as usize]);

    let mut failures = Vec::new();
    for _ in 0..(3 * POOL) {
        let call = server
            .v1
            .get_team(v1::GetTeamRequest {
                id: team_id.clone(),
            })
            .await;
        if let Err(status) = call {
            failures.push(status.code());
        }
    }
    assert!(
        failures.len() <= 1 && failures.iter().all(|code| *code == Code::Unavailable),
        "at most one call meets a dead connection, as UNAVAILABLE: {failures:?}"
    );
    let after: Vec<i32> = sqlx::query_scalar(service_sessions)
        .bind(db.name())
        .fetch_all(&owner)
        .await
        .unwrap();
    assert!(!after.is_empty(), "new sessions serve the calls");
    assert!(
        after.iter().all(|pid| !before.contains(pid)),
        "no terminated session is still in use: {before:?} -> {after:?}"
    );

    server.stop().await;
    sessions.close().await;
    owner.close().await;
}
