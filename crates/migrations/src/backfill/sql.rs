//! The backfill's statements: read a window, write its splits, and the
//! backfill's own lock.
//!
//! Built at run time from constants (`AssertSqlSafe`): the migrations crate
//! runs against several schema versions, so its SQL is not compile-checked
//! against `.sqlx/`; the real tests run every statement.

use std::num::NonZeroU32;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgRow, Postgres};
use sqlx::{AssertSqlSafe, Row};
use uuid::Uuid;

use crate::{Error, Result};

/// A row that still needs its v2 columns, as read.
pub(super) struct Todo {
    pub(super) id: Uuid,
    /// The full name the split is computed from; the write stores the split
    /// only while the row still holds exactly this name.
    pub(super) full_name: String,
    /// The flag a missing status is derived from; the write stores that
    /// status only while the row still holds this flag.
    pub(super) archived: bool,
    /// The heap page the row was on when read: only a hint for [`halves`].
    pub(super) page: i64,
}

/// What reading one window returned.
pub(super) struct Window {
    /// The last id of the window (`None`: the table has no more rows).
    pub(super) last_id: Option<Uuid>,
    pub(super) scanned: u64,
    /// The rows of the window that still need filling.
    pub(super) todo: Vec<Todo>,
}

/// The next window of ids after `$1` (from the first id when `$2`), in
/// primary-key order, so each window reads one index range. The full name
/// comes back only for rows that still need filling.
const WINDOW_SQL: &str = "SELECT id, (ctid::text::point)[0]::int8 AS page, archived,
       CASE WHEN given_name IS NULL OR status IS NULL THEN full_name END AS full_name
FROM manager.members WHERE id >= $1 AND (id <> $1 OR $2)
ORDER BY id LIMIT $3";

/// The rows of the ids in `$1` that still need filling (a retry).
const BY_IDS_SQL: &str = "SELECT id, (ctid::text::point)[0]::int8 AS page, archived, full_name
FROM manager.members
WHERE id = ANY ($1) AND (given_name IS NULL OR status IS NULL)";

/// Stores the derivations computed in Rust: `$1..$6` are parallel arrays of
/// id, the full name the split was computed from, given and family name,
/// the archived flag the status was derived from, and that status. Only
/// rows that still need it *and still hold that full name and flag* are
/// written, so a row a writer changed since the read keeps its new values'
/// derivation (it is retried by id). Rows a writer holds are skipped, never waited for
/// (`SKIP LOCKED`); the UPDATE repeats the conditions, so they are checked
/// again on the row version it writes. Returns how many rows it wrote and
/// the ids it did not.
///
/// The UPDATE joins only `held`, by primary key: a second join to the
/// arrays made the generic plan (sqlx prepares the statement, so it is
/// used from the sixth batch on) a nested loop over them, quadratic in the
/// batch size.
const WRITE_SQL: &str = "WITH held AS (
  SELECT m.id, u.full_name, u.given, u.family, u.archived, u.status
  FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bool[], $6::text[])
    AS u(id, full_name, given, family, archived, status)
  JOIN manager.members m ON m.id = u.id
  WHERE m.full_name = u.full_name AND m.archived = u.archived
    AND (m.given_name IS NULL OR m.status IS NULL)
  FOR UPDATE OF m SKIP LOCKED),
done AS (
  UPDATE manager.members m
  SET given_name = coalesce(m.given_name, h.given),
      family_name = coalesce(m.family_name, h.family),
      status = coalesce(m.status, h.status)
  FROM held h
  WHERE m.id = h.id
    AND m.full_name = h.full_name AND m.archived = h.archived
    AND (m.given_name IS NULL OR m.status IS NULL)
  RETURNING m.id)
SELECT (SELECT count(*) FROM done) AS updated,
       ARRAY(SELECT unnest($1::uuid[]) EXCEPT SELECT id FROM done) AS missed";

pub(super) async fn window(
    conn: &mut PoolConnection<Postgres>,
    after: Option<Uuid>,
    size: NonZeroU32,
) -> Result<Window> {
    const READING: &str = "reading a batch";
    let rows = sqlx::query(WINDOW_SQL)
        .bind(after.unwrap_or(Uuid::nil()))
        .bind(after.is_none())
        .bind(i64::from(size.get()))
        .fetch_all(&mut **conn)
        .await
        .map_err(Error::db(READING))?;
    let mut todo = Vec::new();
    let mut last_id = None;
    for row in &rows {
        let id = column(row, "id", READING)?;
        if let Some(full_name) = column(row, "full_name", READING)? {
            todo.push(Todo {
                id,
                full_name,
                archived: column(row, "archived", READING)?,
                page: column(row, "page", READING)?,
            });
        }
        last_id = Some(id);
    }
    Ok(Window {
        last_id,
        scanned: rows.len() as u64,
        todo,
    })
}

pub(super) async fn by_ids(conn: &mut PoolConnection<Postgres>, ids: &[Uuid]) -> Result<Vec<Todo>> {
    const READING: &str = "re-reading held rows";
    let rows = sqlx::query(BY_IDS_SQL)
        .bind(ids)
        .fetch_all(&mut **conn)
        .await
        .map_err(Error::db(READING))?;
    rows.iter()
        .map(|row| {
            Ok(Todo {
                id: column(row, "id", READING)?,
                full_name: column(row, "full_name", READING)?,
                archived: column(row, "archived", READING)?,
                page: column(row, "page", READING)?,
            })
        })
        .collect()
}

/// Column `name` of `row`; a failure is reported as `action`'s.
fn column<'r, T>(row: &'r PgRow, name: &str, action: &'static str) -> Result<T>
where
    T: sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>,
{
    row.try_get(name).map_err(Error::db(action))
}

/// What writing a batch did.
#[derive(Debug, Default)]
pub(super) struct Written {
    pub(super) updated: u64,
    /// Ids that were sent but not written (held by a writer, or changed).
    pub(super) missed: Vec<Uuid>,
}

/// Stores the split of each row's full name (`dbrepo_rules::split_full_name`)
/// and the status of its flag (`dbrepo_rules::status_of_archived`) in two
/// statements of [`WRITE_SQL`], first then second of [`halves`].
pub(super) async fn write(conn: &mut PoolConnection<Postgres>, todo: &[Todo]) -> Result<Written> {
    let (first, second) = halves(todo);
    let mut written = write_rows(conn, &first).await?;
    let rest = write_rows(conn, &second).await?;
    written.updated += rest.updated;
    written.missed.extend(rest.missed);
    Ok(written)
}

/// Parts a batch so that every heap page's rows alternate between the two
/// halves (a row alone on its page goes first). A page full of rows has no
/// room for a row's new version, so the first half's updates move their
/// rows to other pages (a new entry in each of the table's four indexes).
/// Once that statement commits, the second half's lookups prune those dead
/// versions from the page and most of its rows fit on their own page
/// again: heap-only (HOT) updates, no index entries, far less WAL. In one
/// statement almost none would (1% measured): a page is pruned only of
/// versions a finished transaction left.
pub(super) fn halves(todo: &[Todo]) -> (Vec<&Todo>, Vec<&Todo>) {
    let mut by_page: Vec<&Todo> = todo.iter().collect();
    by_page.sort_by_key(|row| row.page); // stable: id order within a page
    let (mut first, mut second) = (Vec::new(), Vec::new());
    let mut on_page = 0;
    for (i, row) in by_page.iter().enumerate() {
        let new_page = i == 0 || by_page[i - 1].page != row.page;
        on_page = if new_page { 0 } else { on_page + 1 };
        if on_page % 2 == 0 {
            first.push(*row);
        } else {
            second.push(*row);
        }
    }
    (first, second)
}

/// One statement of [`WRITE_SQL`] over `rows`.
async fn write_rows(conn: &mut PoolConnection<Postgres>, rows: &[&Todo]) -> Result<Written> {
    if rows.is_empty() {
        return Ok(Written::default());
    }
    let mut ids = Vec::with_capacity(rows.len());
    let mut full_names = Vec::with_capacity(rows.len());
    let mut givens = Vec::with_capacity(rows.len());
    let mut families = Vec::with_capacity(rows.len());
    let mut flags = Vec::with_capacity(rows.len());
    let mut statuses = Vec::with_capacity(rows.len());
    for row in rows {
        let (given, family) = dbrepo_rules::split_full_name(&row.full_name);
        ids.push(row.id);
        full_names.push(row.full_name.as_str());
        givens.push(given);
        families.push(family);
        flags.push(row.archived);
        statuses.push(dbrepo_rules::status_of_archived(row.archived));
    }
    let row = sqlx::query(WRITE_SQL)
        .bind(&ids)
        .bind(&full_names)
        .bind(&givens)
        .bind(&families)
        .bind(&flags)
        .bind(&statuses)
        .fetch_one(&mut **conn)
        .await
        .map_err(Error::db("writing a batch"))?;
    const READING: &str = "reading a batch result";
    let updated: i64 = column(&row, "updated", READING)?;
    Ok(Written {
        updated: updated.max(0) as u64,
        missed: column(&row, "missed", READING)?,
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

    fn todo(page: i64) -> Todo {
        Todo {
            id: Uuid::new_v4(),
            full_name: String::new(),
            archived: false,
            page,
        }
    }

    #[test]
    fn halves_alternate_the_rows_of_each_page() {
        let rows: Vec<Todo> = [7, 7, 7, 3, 9, 9, 7].map(todo).into();
        let (first, second) = halves(&rows);
        let pages = |half: &[&Todo]| half.iter().map(|r| r.page).collect::<Vec<_>>();
        assert_eq!(pages(&first), [3, 7, 7, 9]);
        assert_eq!(pages(&second), [7, 7, 9]);
        assert_eq!(first[1].id, rows[0].id, "id order kept within a page");
        assert_eq!(second[0].id, rows[1].id);
    }

    #[test]
    fn a_row_alone_on_its_page_goes_first() {
        let rows: Vec<Todo> = [1, 2, 3].map(todo).into();
        let (first, second) = halves(&rows);
        assert_eq!((first.len(), second.len()), (3, 0));
    }
}
