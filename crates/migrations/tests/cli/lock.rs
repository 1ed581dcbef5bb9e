//! The migration lock is sqlx's own: while sqlx's migrator holds it, `up`
//! waits; while a session holds [`migration_lock_id`], sqlx's migrator
//! waits. So sqlx-cli and `dbrepo-migrations` never migrate at once.

use std::time::Duration;

use dbrepo_migrations::{Direction, RunEvent, migrate, migration_lock_id};
use sqlx::migrate::Migrate;
use sqlx::{Connection, PgConnection, PgPool};

use crate::support::empty_database;

/// How long the lock is held before it is released (only a hold time:
/// nothing is asserted about timing but that the waiter waited).
const HOLD: Duration = Duration::from_millis(300);

#[tokio::test]
async fn up_waits_while_sqlx_holds_the_migration_lock() {
    let url = empty_database().await;
    let mut sqlx_migrator = PgConnection::connect(&url).await.expect("connect");
    sqlx_migrator.lock().await.expect("sqlx takes its lock");

    let pool = PgPool::connect(&url).await.expect("pool");
    let up = tokio::spawn(async move {
        let mut waited = None;
        let steps = migrate(&pool, Direction::Up, i64::MAX, &mut |event| {
            if let RunEvent::LockTaken { waited: w } = event {
                waited = Some(w);
            }
        })
        .await;
        (steps, waited)
    });
    tokio::time::sleep(HOLD).await;
    assert!(!up.is_finished(), "up ran while sqlx held the lock");
    let tables: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_tables WHERE schemaname IN ('manager', 'app')")
            .fetch_one(&mut sqlx_migrator)
            .await
            .unwrap();
    assert_eq!(tables, 0, "nothing was migrated meanwhile");

    sqlx_migrator
        .unlock()
        .await
        .expect("sqlx releases its lock");
    let (steps, waited) = up.await.unwrap();
    assert_eq!(steps.expect("up succeeds once the lock is free").len(), 5);
    assert!(waited.expect("the lock wait is reported") >= HOLD);
}

#[tokio::test]
async fn sqlx_waits_while_the_migration_lock_is_held() {
    let url = empty_database().await;
    let database = url.rsplit('/').next().expect("a database name").to_owned();
    let mut holder = PgConnection::connect(&url).await.expect("connect");
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(migration_lock_id(&database))
        .execute(&mut holder)
        .await
        .unwrap();

    let sqlx_url = url.clone();
    let sqlx_migrator = tokio::spawn(async move {
        let mut conn = PgConnection::connect(&sqlx_url).await.expect("connect");
        let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        (pid, conn)
    })
    .await
    .unwrap();
    let (pid, mut conn) = sqlx_migrator;
    let locking = tokio::spawn(async move {
        conn.lock().await.expect("sqlx takes its lock in the end");
        conn
    });
    // sqlx blocks in pg_advisory_lock: its wait shows in pg_locks.
    let waiting_on_ours = "SELECT EXISTS (SELECT FROM pg_locks WHERE pid = $1 \
         AND locktype = 'advisory' AND NOT granted \
         AND (classid::bigint << 32 | objid::bigint) = $2)";
    let mut waiting = false;
    for _ in 0..100 {
        waiting = sqlx::query_scalar(waiting_on_ours)
            .bind(pid)
            .bind(migration_lock_id(&database))
            .fetch_one(&mut holder)
            .await
            .unwrap();
        if waiting {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(waiting, "sqlx's migrator waits on the same lock id");
    assert!(!locking.is_finished());

    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(migration_lock_id(&database))
        .execute(&mut holder)
        .await
        .unwrap();
    let mut conn = locking.await.unwrap();
    conn.unlock().await.unwrap();
}
