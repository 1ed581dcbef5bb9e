//! A backfill whose connection is killed mid-run takes a new one (and its
//! lock) after a short wait, finishes, and counts the retry.

use std::num::NonZeroU32;
use std::time::Duration;

use dbrepo_migrations::BackfillOptions;

use super::count_unfilled;
use crate::support::TestDatabase;

const ROWS: i64 = 6_000;

#[tokio::test]
async fn a_backfill_whose_session_is_terminated_reconnects_and_finishes() {
    let db = TestDatabase::new().await;
    let owner = db.owner_pool().await;
    // Rows as the previous release writes them: v1 columns only.
    sqlx::query(
        "WITH team AS (INSERT INTO manager.teams (id, name) VALUES (gen_random_uuid(), 'Killed')
                       RETURNING id)
         INSERT INTO manager.members (id, team_id, full_name, email)
         SELECT gen_random_uuid(), team.id, 'Ada Lovelace ' || i, 'ada' || i || '@example.org'
         FROM team, generate_series(1, $1::bigint) AS i",
    )
    .bind(ROWS)
    .execute(&owner)
    .await
    .expect("seed");
    assert_eq!(count_unfilled(db.pool()).await, ROWS);

    // Throttled so it is still running when its session is killed.
    let options = BackfillOptions {
        batch_size: NonZeroU32::new(200).expect("non-zero"),
        max_rows_per_sec: NonZeroU32::new(4_000),
        ..BackfillOptions::default()
    };
    let running = {
        let owner = owner.clone();
        tokio::spawn(async move { dbrepo_migrations::backfill(&owner, &options).await })
    };
    let pid = backfill_session(&owner, None).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let killed: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
        .bind(pid)
        .fetch_one(&owner)
        .await
        .unwrap();
    assert!(killed);
    let successor = backfill_session(&owner, Some(pid)).await;
    assert_ne!(successor, pid, "the lock is taken again on a new session");

    let report = running.await.unwrap().expect("the backfill finishes");
    assert!(report.retries >= 1, "{report:?}");
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(count_unfilled(db.pool()).await, 0);
    owner.close().await;
}

/// The pid of the session holding the backfill's advisory lock, once one
/// other than `not` does.
async fn backfill_session(owner: &sqlx::PgPool, not: Option<i32>) -> i32 {
    for _ in 0..300 {
        let pid: Option<i32> = sqlx::query_scalar(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted LIMIT 1",
        )
        .fetch_optional(owner)
        .await
        .unwrap();
        if let Some(pid) = pid.filter(|pid| Some(*pid) != not) {
            return pid;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no session took the backfill lock");
}
