//! Calls cancelled at every point of their life (client deadlines spread
//! around a call's own latency) leave nothing behind on a pool of one
//! connection: no transaction left open on the connection, no PostgreSQL
//! warning about one, no new login, and the next acknowledged write is
//! durable and seen by other sessions. The storm runs while connections are
//! suspected over and over, as after a failure elsewhere, so calls are cut
//! off during the connection's ping too.

use std::time::{Duration, Instant};

use dbrepo::io::db::pool::suspect_all;
use dbrepo::proto::manager::v2;
use sqlx::Executor;
use tonic::Code;

use super::{serve, service_pool};
use crate::support::{TestDatabase, cluster};

/// How many calls the storm cancels (or lets finish, when they are quick).
const CALLS: u32 = 300;
/// Calls in flight at once, queueing for the one connection.
const CONCURRENCY: u32 = 4;

#[tokio::test]
async fn cancelled_updates_leave_no_open_transaction_and_the_next_write_is_durable() {
    let db = TestDatabase::new().await;
    let log_start = server_log().await.len();
    let pool = service_pool(&db, 1, 5_000).await;
    let server = serve(&pool).await;
    let owner = db.owner_pool().await;
    let team = server
        .v2
        .clone()
        .create_team(v2::CreateTeamRequest {
            display_name: format!("Cancellations {}", uuid::Uuid::new_v4().simple()),
            description: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .team
        .unwrap();
    let mut members = Vec::new();
    for n in 0..CONCURRENCY {
        let member = server
            .v2
            .clone()
            .create_member(v2::CreateMemberRequest {
                team_id: team.id.clone(),
                given_name: "Ada".into(),
                family_name: "Lovelace".into(),
                email: format!("ada.{n}@example.org"),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .member
            .unwrap();
        members.push(member.id);
    }

    let (fastest, latency) = latencies(&server.v2, &members[0]).await;
    let suspicion = tokio::spawn(async {
        loop {
            suspect_all();
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    });
    let mut storm = tokio::task::JoinSet::new();
    for (lane, member) in members.iter().enumerate() {
        let client = server.v2.clone();
        let member = member.clone();
        let lane = lane as u32;
        storm.spawn(async move {
            let mut cancelled = 0;
            for call in (lane..CALLS).step_by(CONCURRENCY as usize) {
                // Deadlines from 0.1 to 3 times a call's fastest latency, spread
                // so that calls are cut in every phase.
                let factor = 0.1 + f64::from(call * 7919 % 291) / 100.0;
                // From the fastest call, not the median: on a loaded
                // machine a slow median made every deadline generous
                // enough that the storm cancelled nothing.
                let deadline = fastest.mul_f64(factor);
                if update(&client, &member, call, deadline).await.is_err() {
                    cancelled += 1;
                }
            }
            cancelled
        });
    }
    let cancelled: u32 = storm.join_all().await.into_iter().sum();
    suspicion.abort();

    let mut after = Vec::new();
    for call in 0..50 {
        let started = Instant::now();
        update(
            &server.v2,
            &members[0],
            CALLS + call,
            Duration::from_secs(10),
        )
        .await
        .expect("every call after the storm succeeds");
        after.push(started.elapsed());
    }
    after.sort();
    let acknowledged = update(&server.v2, &members[1], u32::MAX, Duration::from_secs(30))
        .await
        .expect("a call with time to spare succeeds");
    let stored: String =
        sqlx::query_scalar("SELECT family_name FROM manager.members WHERE id = $1::uuid")
            .bind(&members[1])
            .fetch_one(&owner)
            .await
            .unwrap();
    assert_eq!(
        stored, acknowledged,
        "the acknowledged write is visible to another session"
    );
    let open: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND state LIKE 'idle in transaction%'",
    )
    .bind(db.name())
    .fetch_one(&owner)
    .await
    .unwrap();
    assert_eq!(open, 0, "no session is left inside a transaction");

    server.stop().await;
    pool.close().await;
    owner.close().await;
    let log = server_log().await;
    let log = &log[log_start.min(log.len())..];
    let warnings: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("transaction in progress"))
        .collect();
    assert!(warnings.is_empty(), "PostgreSQL warned: {warnings:#?}");
    let sessions = sessions_opened(db.name()).await;
    eprintln!(
        "cancellation storm: {cancelled} of {CALLS} calls cut off (fastest {fastest:?}, \
         median {latency:?}); the 50 calls after it: median {:?}, slowest {:?}; \
         {sessions} sessions opened on the database in all (pg_stat_database.sessions)",
        after[after.len() / 2],
        after[after.len() - 1],
    );
    assert!(cancelled > 0, "the storm cancelled calls");
    // The pool of one, the owner's and the test's own pools: a storm that
    // cost a session per cancelled call would open hundreds.
    assert!(
        sessions <= 12,
        "cancelled calls do not cost new sessions: {sessions}"
    );
}

/// The fastest and the median latency of a v2 UpdateMember on an idle
/// server.
async fn latencies(client: &Client, member: &str) -> (Duration, Duration) {
    let mut samples = Vec::new();
    for call in 0..21 {
        let started = Instant::now();
        update(client, member, 1_000_000 + call, Duration::from_secs(30))
            .await
            .expect("an unhurried update succeeds");
        samples.push(started.elapsed());
    }
    samples.sort();
    (samples[0], samples[samples.len() / 2])
}

type Client = v2::manager_service_client::ManagerServiceClient<tonic::transport::Channel>;

/// One v2 UpdateMember with `deadline`, sent as the gRPC deadline (the
/// server cancels the call) and enforced by the client too; returns the
/// family name written.
async fn update(
    client: &Client,
    member: &str,
    call: u32,
    deadline: Duration,
) -> Result<String, Code> {
    let family_name = format!("Lovelace {call}");
    let mut request = tonic::Request::new(v2::UpdateMemberRequest {
        id: member.to_owned(),
        family_name: Some(family_name.clone()),
        ..Default::default()
    });
    request.set_timeout(deadline);
    let mut client = client.clone();
    match tokio::time::timeout(deadline, client.update_member(request)).await {
        Ok(Ok(_)) => Ok(family_name),
        Ok(Err(status)) => Err(status.code()),
        Err(_) => Err(Code::DeadlineExceeded),
    }
}

/// `pg_stat_database.sessions` of `database` once every session of the
/// test but the database's own pool has ended (sessions report their
/// statistics when they end).
async fn sessions_opened(database: &str) -> i64 {
    let mut admin = cluster().await.superuser_connection("postgres").await;
    let mut sessions = 0;
    for _ in 0..100 {
        admin
            .execute("SELECT pg_stat_clear_snapshot()")
            .await
            .unwrap();
        let (now, live): (i64, i64) = sqlx::query_as(
            "SELECT d.sessions, (SELECT count(*) FROM pg_stat_activity a WHERE a.datname = $1) \
             FROM pg_stat_database d WHERE d.datname = $1",
        )
        .bind(database)
        .fetch_one(&mut admin)
        .await
        .unwrap();
        sessions = now;
        if live <= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sessions
}

async fn server_log() -> String {
    cluster().await.server().log().expect("read the server log")
}
