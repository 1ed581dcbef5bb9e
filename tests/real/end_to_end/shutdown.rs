//! The shutdown grace period is a bound: the real binary, stopped while a
//! call waits on a row lock that outlives the grace, turns health
//! NOT_SERVING at once, exits within the grace plus one second, and the
//! abandoned call's write never reaches the database.

use std::time::{Duration, Instant};

use dbrepo::proto::manager::v1::{
    self as v1, manager_service_client::ManagerServiceClient as V1Client,
};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

use super::{channel, hold_member_row, start_with, wait_until_blocked};
use crate::support::TestDatabase;

const GRACE: Duration = Duration::from_secs(2);

#[tokio::test]
async fn calls_still_running_after_the_grace_are_rolled_back_and_the_process_exits() {
    let database = TestDatabase::new().await;
    let grace = GRACE.as_secs().to_string();
    let mut service = start_with(
        &database.service_url(),
        &[
            ("DBREPO_SHUTDOWN_GRACE_SECS", grace.as_str()),
            ("DBREPO_STATEMENT_TIMEOUT_MS", "0"),
        ],
    )
    .await
    .unwrap_or_else(|out| panic!("{out}"));
    let mut client = V1Client::new(channel(&service.address).await);
    let team = client
        .create_team(v1::CreateTeamRequest {
            name: format!("Shutdown {}", uuid::Uuid::new_v4().simple()),
            description: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .team
        .unwrap();
    let member = client
        .create_member(v1::CreateMemberRequest {
            team_id: team.id,
            full_name: "Ada Lovelace".into(),
            email: "ada@example.org".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .member
        .unwrap();
    let mut watch = HealthClient::new(channel(&service.address).await)
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let first = watch.message().await.unwrap().unwrap();
    assert_eq!(first.status(), ServingStatus::Serving);

    let owner = database.owner_pool().await;
    let blocker = hold_member_row(&owner, &member.id).await;
    let id = member.id.clone();
    let abandoned = tokio::spawn(async move {
        client
            .update_member(v1::UpdateMemberRequest {
                id,
                archived: Some(true),
                ..Default::default()
            })
            .await
    });
    wait_until_blocked(&owner).await;
    let signalled = Instant::now();
    kill(
        Pid::from_raw(service.child.id().expect("pid") as i32),
        Signal::SIGTERM,
    )
    .unwrap();
    let next = tokio::time::timeout(GRACE, watch.message()).await;
    let next = next
        .expect("health changes before the grace ends")
        .unwrap()
        .unwrap();
    assert_eq!(next.status(), ServingStatus::NotServing);

    let status = tokio::time::timeout(GRACE * 10, service.child.wait())
        .await
        .expect("the process exits")
        .unwrap();
    let stopped_after = signalled.elapsed();
    assert!(
        status.success(),
        "a stop that cut calls off is still orderly: {status}"
    );
    assert!(
        stopped_after >= GRACE,
        "in-flight calls got the grace: {stopped_after:?}"
    );
    assert!(
        stopped_after < GRACE + Duration::from_secs(1),
        "exit within the grace plus one second, took {stopped_after:?}"
    );
    let cut_off = abandoned.await.unwrap();
    assert!(
        cut_off.is_err(),
        "the abandoned call was not acknowledged: {cut_off:?}"
    );

    // Only now let the row go: had the abandoned UPDATE survived the
    // process, it would commit here.
    wait_until_no_service_session(&owner, database.name()).await;
    blocker.rollback().await.unwrap();
    let archived: bool =
        sqlx::query_scalar("SELECT archived FROM manager.members WHERE id = $1::uuid")
            .bind(&member.id)
            .fetch_one(&owner)
            .await
            .unwrap();
    assert!(!archived, "the abandoned write is not in the database");
    owner.close().await;
}

/// Waits until the service has no session left on `database` (its
/// sessions are named `dbrepo-…`).
async fn wait_until_no_service_session(owner: &sqlx::PgPool, database: &str) {
    for _ in 0..400 {
        let sessions: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = $1 AND application_name LIKE 'dbrepo-%'",
        )
        .bind(database)
        .fetch_one(owner)
        .await
        .unwrap();
        if sessions == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the service's sessions outlived its process");
}
