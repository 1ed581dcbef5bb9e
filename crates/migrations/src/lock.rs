//! The migration lock: sqlx's per-database advisory lock, taken politely.
//!
//! sqlx waits in `SELECT pg_advisory_lock(..)`, a statement that holds a
//! snapshot for as long as it waits. `CREATE INDEX CONCURRENTLY` (0004)
//! waits for every transaction with an older snapshot to end, so a second
//! runner blocked in that statement and the first runner building the
//! index would wait for each other until the deadlock detector kills one.
//! Polling `pg_try_advisory_lock` holds no snapshot between attempts.
//! The lock id is sqlx's, so sqlx-cli and this crate exclude each other.

use std::time::{Duration, Instant};

use sqlx::PgConnection;

use crate::{Error, Result};

const POLL: Duration = Duration::from_millis(100);
const REPORT_EVERY: Duration = Duration::from_secs(10);

/// Waits until this session holds the migration lock of its database;
/// returns how long it waited.
pub(crate) async fn acquire(conn: &mut PgConnection) -> Result<Duration> {
    let id = lock_id(conn).await?;
    let started = Instant::now();
    let mut reported = Duration::ZERO;
    loop {
        let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(id)
            .fetch_one(&mut *conn)
            .await
            .map_err(Error::db("taking the migration lock"))?;
        if taken {
            let waited = started.elapsed();
            tracing::info!(
                waited_ms = waited.as_millis() as u64,
                "took the migration lock"
            );
            return Ok(waited);
        }
        if started.elapsed() >= reported + REPORT_EVERY {
            reported = started.elapsed();
            tracing::info!(
                waited_s = reported.as_secs(),
                "waiting for another migrator to finish"
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Releases the lock taken by [`acquire`].
pub(crate) async fn release(conn: &mut PgConnection) -> Result<()> {
    let id = lock_id(conn).await?;
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(id)
        .execute(&mut *conn)
        .await
        .map_err(Error::db("releasing the migration lock"))?;
    Ok(())
}

async fn lock_id(conn: &mut PgConnection) -> Result<i64> {
    let database: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(&mut *conn)
        .await
        .map_err(Error::db("reading the database name"))?;
    Ok(migration_lock_id(&database))
}

/// The advisory lock id that migrators of `database` take: sqlx's own
/// (CRC-32/ISO-HDLC of the name times a constant), so that sqlx-cli and
/// `dbrepo-migrations` exclude each other. Look for it in `pg_locks`
/// (`objid` holds its low 32 bits) to find a migrator that holds it.
pub fn migration_lock_id(database: &str) -> i64 {
    const CRC_32: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);
    0x3d32ad9e * i64::from(CRC_32.checksum(database.as_bytes()))
}
