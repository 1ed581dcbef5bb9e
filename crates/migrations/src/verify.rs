//! `verify`: the evidence a contract step needs before it runs.
//!
//! A contract step (retiring v1 drops `full_name` and `archived`) loses
//! data unless every row already holds its v2 columns, and those agree
//! with the v1 ones as shared/DOMAIN.md's mapping rules define; and it
//! would fail, or lock for long, on a constraint still NOT VALID or an
//! index left invalid by an interrupted `CREATE INDEX CONCURRENTLY`.
//! `verify` reports each, with counts and example ids, and calls the
//! database clean only when none holds.
//!
//! It only reads, on a read-only session: `manager.members` in keyset
//! windows of `batch_size` ids, each window one short statement (no
//! transaction spans two), then the catalogs. The rules are checked here,
//! in Rust, with the functions the service and the backfill use
//! (`dbrepo_rules`), so there is no second copy of them in SQL.

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use sqlx::{Connection, Executor, PgConnection, PgPool};
use uuid::Uuid;

use crate::{Error, Result, read_applied};

/// The schema version that added the columns verify compares.
const NEEDS_VERSION: i64 = 2;
/// The v2 status values `manager.members.status` may hold.
const STATUSES: [&str; 3] = ["active", "suspended", "archived"];

/// How verify runs.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Member ids read per statement.
    pub batch_size: NonZeroU32,
    /// Example ids kept per finding.
    pub examples: usize,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self {
            batch_size: NonZeroU32::new(10_000).expect("non-zero"),
            examples: 10,
        }
    }
}

/// Rows of one kind of drift: how many, and the first few ids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Finding {
    /// How many rows.
    pub count: u64,
    /// Up to [`VerifyOptions::examples`] of their ids, in id order.
    pub examples: Vec<Uuid>,
}

impl Finding {
    fn add(&mut self, id: Uuid, keep: usize) {
        self.count += 1;
        if self.examples.len() < keep {
            self.examples.push(id);
        }
    }
}

/// What verify found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Member rows read.
    pub rows_scanned: u64,
    /// Rows whose `given_name`, `family_name` or `status` is still NULL
    /// (run `backfill`).
    pub not_backfilled: Finding,
    /// Rows whose `status` is not a known value or disagrees with
    /// `archived` (ARCHIVED exactly when archived).
    pub status_disagrees: Finding,
    /// Rows whose names are neither the split of `full_name` nor joined
    /// into it.
    pub names_disagree: Finding,
    /// What unfinished schema changes left behind.
    pub leftovers: Leftovers,
    /// How long the checks took.
    pub elapsed: Duration,
}

impl VerifyReport {
    /// Whether a contract step would lose nothing and meet nothing
    /// half-built.
    pub fn is_clean(&self) -> bool {
        self.not_backfilled.count == 0
            && self.status_disagrees.count == 0
            && self.names_disagree.count == 0
            && self.leftovers.is_empty()
    }
}

/// One member row as verify reads it.
type MemberRow = (
    Uuid,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    bool,
);

/// Checks the database; see the module documentation.
pub async fn verify(pool: &PgPool, options: &VerifyOptions) -> Result<VerifyReport> {
    let applied = read_applied(pool).await?;
    if !applied
        .iter()
        .any(|row| row.version == NEEDS_VERSION && row.success)
    {
        return Err(Error::VerifyNeedsVersion {
            version: NEEDS_VERSION,
        });
    }
    let started = Instant::now();
    let mut connection = pool
        .acquire()
        .await
        .map_err(Error::db("acquiring a connection"))?
        .detach();
    // Read-only: whatever verify runs, it cannot write.
    connection
        .execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        .await
        .map_err(Error::db("making the session read-only"))?;
    let mut report = VerifyReport::default();
    scan_members(&mut connection, options, &mut report).await?;
    report.leftovers = leftovers(&mut connection).await?;
    let _ = connection.close().await;
    report.elapsed = started.elapsed();
    Ok(report)
}

/// What unfinished schema changes leave behind in the dbrepo schemas.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Leftovers {
    /// `schema.table.constraint` of each constraint not yet validated.
    pub constraints_not_valid: Vec<String>,
    /// `schema.index` of each INVALID index: what a failed
    /// `CREATE INDEX CONCURRENTLY` leaves behind.
    pub invalid_indexes: Vec<String>,
}

impl Leftovers {
    /// Whether nothing was left behind.
    pub fn is_empty(&self) -> bool {
        self.constraints_not_valid.is_empty() && self.invalid_indexes.is_empty()
    }
}

/// Reads the [`Leftovers`], both kinds in one statement.
pub(crate) async fn leftovers(connection: &mut PgConnection) -> Result<Leftovers> {
    let rows: Vec<(bool, String)> = sqlx::query_as(
        "WITH ours AS (
             SELECT c.oid, format('%I.%I', n.nspname, c.relname) AS name
             FROM pg_catalog.pg_class c
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname IN ('manager', 'app'))
         SELECT true AS is_constraint, format('%s.%I', ours.name, con.conname) AS name
         FROM pg_catalog.pg_constraint con JOIN ours ON ours.oid = con.conrelid
         WHERE NOT con.convalidated
         UNION ALL
         SELECT false, ours.name
         FROM pg_catalog.pg_index i JOIN ours ON ours.oid = i.indexrelid
         WHERE NOT i.indisvalid
         ORDER BY 2",
    )
    .fetch_all(connection)
    .await
    .map_err(Error::db(
        "listing unvalidated constraints and invalid indexes",
    ))?;
    let mut found = Leftovers::default();
    for (is_constraint, name) in rows {
        match is_constraint {
            true => found.constraints_not_valid.push(name),
            false => found.invalid_indexes.push(name),
        }
    }
    Ok(found)
}

/// Reads every member row in id order, one window per statement, and
/// checks each against the mapping rules.
async fn scan_members(
    connection: &mut PgConnection,
    options: &VerifyOptions,
    report: &mut VerifyReport,
) -> Result<()> {
    let mut after = Uuid::nil();
    loop {
        let window: Vec<MemberRow> = sqlx::query_as(
            "SELECT id, full_name, given_name, family_name, status, archived
             FROM manager.members WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(i64::from(options.batch_size.get()))
        .fetch_all(&mut *connection)
        .await
        .map_err(Error::db("reading manager.members"))?;
        let Some(last) = window.last() else {
            return Ok(());
        };
        after = last.0;
        report.rows_scanned += window.len() as u64;
        for row in &window {
            check_row(row, options.examples, report);
        }
        tracing::debug!(rows = report.rows_scanned, "verify window read");
    }
}

/// Adds `row`'s drift, if any, to `report`.
fn check_row(row: &MemberRow, keep: usize, report: &mut VerifyReport) {
    let (id, full_name, given_name, family_name, status, archived) = row;
    let (Some(given), Some(family), Some(status)) = (given_name, family_name, status) else {
        report.not_backfilled.add(*id, keep);
        return;
    };
    if !STATUSES.contains(&status.as_str()) || (status == "archived") != *archived {
        report.status_disagrees.add(*id, keep);
    }
    if !dbrepo_rules::names_agree(full_name, given, family) {
        report.names_disagree.add(*id, keep);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        full: &str,
        names: Option<(&str, &str)>,
        status: Option<&str>,
        archived: bool,
    ) -> MemberRow {
        (
            Uuid::now_v7(),
            full.to_owned(),
            names.map(|(given, _)| given.to_owned()),
            names.map(|(_, family)| family.to_owned()),
            status.map(str::to_owned),
            archived,
        )
    }

    #[test]
    fn each_kind_of_drift_is_told_apart() {
        let mut report = VerifyReport::default();
        let rows = [
            row(
                "Ada Lovelace",
                Some(("Ada", "Lovelace")),
                Some("active"),
                false,
            ),
            row(
                "Mary Ann Smith",
                Some(("Mary Ann", "Smith")),
                Some("archived"),
                true,
            ),
            row("Grace Hopper", None, Some("active"), false),
            row("Grace Hopper", Some(("Grace", "Hopper")), None, false),
            row(
                "Alan Turing",
                Some(("Alan", "Turing")),
                Some("archived"),
                false,
            ),
            row(
                "Alan Turing",
                Some(("Alan", "Turing")),
                Some("retired"),
                false,
            ),
            row(
                "Alan Turing",
                Some(("Alonzo", "Church")),
                Some("suspended"),
                false,
            ),
        ];
        for row in &rows {
            check_row(row, 1, &mut report);
        }
        assert_eq!(report.not_backfilled.count, 2);
        assert_eq!(report.not_backfilled.examples, vec![rows[2].0]);
        assert_eq!(report.status_disagrees.count, 2);
        assert_eq!(report.names_disagree.count, 1);
        assert_eq!(report.names_disagree.examples, vec![rows[6].0]);
        assert!(!report.is_clean());
        assert!(VerifyReport::default().is_clean());
    }
}
