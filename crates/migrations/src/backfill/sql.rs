//! The backfill's statements: one per batch, and the backfill's own lock.
//!
//! Built at run time from constants (`AssertSqlSafe`): the migrations crate
//! runs against several schema versions, so its SQL is not compile-checked
//! against `.sqlx/`; the real tests run every statement.

use std::num::NonZeroU32;
use std::sync::LazyLock;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgRow, Postgres};
use sqlx::{AssertSqlSafe, Row};
use uuid::Uuid;

use super::WHITE_SPACE_CLASS;
use crate::{Error, Result};

/// What one batch statement returned.
pub(super) struct Batch {
    /// The last id of the window (`None`: the table has no more rows).
    pub(super) last_id: Option<Uuid>,
    pub(super) scanned: u64,
    pub(super) updated: u64,
    /// Ids that needed filling but were not filled (held by a writer).
    pub(super) missed: Vec<Uuid>,
}

/// The statement's tail: lock the candidates that still need filling
/// (skipping rows a writer holds), compute the split, store it. The split
/// mirrors `split_full_name`: trim white space at both ends; the given name
/// is what precedes the first white space; the family name is what follows
/// the first run of white space, or empty.
fn fill_sql(candidates: &str) -> String {
    let ws = format!("'{WHITE_SPACE_CLASS}'");
    format!(
        r#"WITH candidates AS ({candidates}),
        todo AS (
          SELECT m.id, m.full_name FROM manager.members m
          JOIN candidates c ON c.id = m.id
          WHERE c.needs AND (m.given_name IS NULL OR m.status IS NULL)
          FOR UPDATE OF m SKIP LOCKED),
        trimmed AS (
          SELECT id, regexp_replace(full_name, '^' || {ws} || '+|' || {ws} || '+$', '', 'g') AS name
          FROM todo),
        done AS (
          UPDATE manager.members m
          SET given_name = coalesce(m.given_name, regexp_replace(t.name, {ws} || '.*$', '')),
              family_name = coalesce(m.family_name, regexp_replace(
                  coalesce(substring(t.name FROM {ws} || '(.*)$'), ''), '^' || {ws} || '+', '')),
              status = coalesce(m.status, CASE WHEN m.archived THEN 'archived' ELSE 'active' END)
          FROM trimmed t WHERE m.id = t.id
          RETURNING m.id)
        SELECT (SELECT id FROM candidates ORDER BY id DESC LIMIT 1) AS last_id,
               (SELECT count(*) FROM candidates) AS scanned,
               (SELECT count(*) FROM done) AS updated,
               ARRAY(SELECT id FROM candidates WHERE needs
                     EXCEPT SELECT id FROM done) AS missed"#
    )
}

/// The next window of ids after `$1` (from the first id when `$2`), in
/// primary-key order, so each batch reads one index range.
static WINDOW_SQL: LazyLock<String> = LazyLock::new(|| {
    fill_sql(
        "SELECT id, (given_name IS NULL OR status IS NULL) AS needs
         FROM manager.members WHERE id >= $1 AND (id <> $1 OR $2)
         ORDER BY id LIMIT $3",
    )
});

/// The rows of the ids in `$1` (a retry of rows a writer held).
static BY_IDS_SQL: LazyLock<String> = LazyLock::new(|| {
    fill_sql(
        "SELECT id, (given_name IS NULL OR status IS NULL) AS needs
         FROM manager.members WHERE id = ANY ($1)",
    )
});

pub(super) async fn window(
    conn: &mut PoolConnection<Postgres>,
    after: Option<Uuid>,
    size: NonZeroU32,
) -> Result<Batch> {
    let row = sqlx::query(AssertSqlSafe(WINDOW_SQL.as_str()))
        .bind(after.unwrap_or(Uuid::nil()))
        .bind(after.is_none())
        .bind(i64::from(size.get()))
        .fetch_one(&mut **conn)
        .await
        .map_err(Error::db("backfilling a batch"))?;
    batch(&row)
}

pub(super) async fn by_ids(conn: &mut PoolConnection<Postgres>, ids: &[Uuid]) -> Result<Batch> {
    let row = sqlx::query(AssertSqlSafe(BY_IDS_SQL.as_str()))
        .bind(ids)
        .fetch_one(&mut **conn)
        .await
        .map_err(Error::db("retrying held rows"))?;
    Ok(Batch {
        scanned: 0, // retried rows were counted by the pass
        ..batch(&row)?
    })
}

fn batch(row: &PgRow) -> Result<Batch> {
    let read = |e| Error::db("reading a batch result")(e);
    let count = |name| row.try_get::<i64, _>(name).map(|n| n.max(0) as u64);
    Ok(Batch {
        last_id: row.try_get("last_id").map_err(read)?,
        scanned: count("scanned").map_err(read)?,
        updated: count("updated").map_err(read)?,
        missed: row.try_get("missed").map_err(read)?,
    })
}

/// The backfill's own lock (two-key form, apart from the migration lock's
/// one-key form): a second backfill would only trip over the first's rows.
const LOCK_KEYS: &str = "hashtext('dbrepo'), hashtext('manager.members backfill')";

pub(super) async fn take_lock(conn: &mut PoolConnection<Postgres>) -> Result<()> {
    let sql = format!("SELECT pg_try_advisory_lock({LOCK_KEYS})");
    let taken: bool = sqlx::query_scalar(AssertSqlSafe(sql))
        .fetch_one(&mut **conn)
        .await
        .map_err(Error::db("taking the backfill lock"))?;
    if taken {
        Ok(())
    } else {
        Err(Error::BackfillRunning)
    }
}

pub(super) async fn release_lock(conn: &mut PoolConnection<Postgres>) -> Result<()> {
    let sql = format!("SELECT pg_advisory_unlock({LOCK_KEYS})");
    sqlx::query(AssertSqlSafe(sql))
        .execute(&mut **conn)
        .await
        .map_err(Error::db("releasing the backfill lock"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_class_is_inlined_without_quotes_to_escape() {
        assert!(!WHITE_SPACE_CLASS.contains('\''));
        assert!(WINDOW_SQL.contains(WHITE_SPACE_CLASS));
        assert!(BY_IDS_SQL.contains(WHITE_SPACE_CLASS));
    }
}
