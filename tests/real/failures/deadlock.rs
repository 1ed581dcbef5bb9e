//! A call that PostgreSQL picks as a deadlock's victim is retried once
//! inside the call (the victim's statement was rolled back, so nothing of
//! it remains) and succeeds when the retry does.

use std::time::Duration;

use dbrepo::proto::manager::v1;
use sqlx::{AssertSqlSafe, Executor};

use super::{fixture, serve, service_pool, wait_for_lock_waiters};
use crate::support::{TestDatabase, cluster};

#[tokio::test]
async fn a_delete_chosen_as_deadlock_victim_is_retried_and_succeeds() {
    let db = TestDatabase::new().await;
    // PostgreSQL checks for a deadlock once per wait, deadlock_timeout after
    // the wait began, and aborts the session whose check finds the cycle.
    // The service's sessions check after 5 s: ample time, even on a loaded
    // machine, for the test's session to close the cycle. The test's session
    // checks only after a minute, so the service's check always comes first
    // and the delete is the victim.
    let mut admin = cluster().await.superuser_connection("postgres").await;
    let sql = format!("ALTER DATABASE {} SET deadlock_timeout = '5s'", db.name());
    admin.execute(AssertSqlSafe(sql)).await.unwrap();
    let pool = service_pool(&db, 2, 10_000).await;
    let mut server = serve(&pool).await;
    let owner = db.owner_pool().await;
    let f = fixture(&mut server, "Deadlock").await;

    // The test's transaction locks the task; the delete locks the member,
    // then waits for the task (ON DELETE SET NULL); the test's transaction
    // then asks for the member: a cycle.
    let mut tx = owner.begin().await.unwrap();
    sqlx::query("SET LOCAL deadlock_timeout = '60s'")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("UPDATE app.tasks SET notes = 'held' WHERE id = $1::uuid")
        .bind(&f.task_id)
        .execute(&mut *tx)
        .await
        .unwrap();
    let mut v1 = server.v1.clone();
    let id = f.member_id.clone();
    let delete =
        tokio::spawn(async move { v1.delete_member(v1::DeleteMemberRequest { id }).await });
    wait_for_lock_waiters(&owner, &db, 1).await;
    // This statement closes the cycle. It succeeding means PostgreSQL
    // aborted the other side, the delete's statement; the call can then
    // only succeed by running it again.
    sqlx::query("SELECT 1 FROM manager.members WHERE id = $1::uuid FOR UPDATE")
        .bind(&f.member_id)
        .execute(&mut *tx)
        .await
        .expect("the test's session is not the victim");
    // The retried delete now waits for the member row; let it through.
    wait_for_lock_waiters(&owner, &db, 1).await;
    tx.commit().await.unwrap();

    tokio::time::timeout(Duration::from_secs(30), delete)
        .await
        .expect("the delete finishes")
        .unwrap()
        .expect("the retried delete succeeds");
    let unassigned: Option<uuid::Uuid> =
        sqlx::query_scalar("SELECT assignee_id FROM app.tasks WHERE id = $1::uuid")
            .bind(&f.task_id)
            .fetch_one(&owner)
            .await
            .unwrap();
    assert_eq!(unassigned, None, "deleting the member unassigned its task");
    server.stop().await;
    owner.close().await;
    pool.close().await;
}
