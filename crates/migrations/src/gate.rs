//! The service's startup schema gate.
//!
//! The service connects with its DML login, which may SELECT
//! `_sqlx_migrations` but not change it. It reads the rows with
//! [`read_applied`] and asks [`check_schema`] whether every version it needs
//! is applied. Versions newer than this build are fine: migrations only
//! expand, so an older release keeps working on a newer schema.

use std::fmt;

use sqlx::{Acquire, Postgres};

use crate::{Error, Result, known_versions, up_migrations};

/// One row of `_sqlx_migrations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedRow {
    /// The applied version.
    pub version: i64,
    /// The description sqlx recorded.
    pub description: String,
    /// False when the step is recorded as failed.
    pub success: bool,
    /// The SHA-384 of the up file as it was applied.
    pub checksum: Vec<u8>,
}

/// Reads every row of `_sqlx_migrations` (none when the table is missing,
/// i.e. nothing was ever migrated), over a pool or one connection. Needs
/// only SELECT on the table.
pub async fn read_applied(db: impl Acquire<'_, Database = Postgres>) -> Result<Vec<AppliedRow>> {
    let mut conn = db
        .acquire()
        .await
        .map_err(Error::db("connecting to read _sqlx_migrations"))?;
    let exists: bool =
        sqlx::query_scalar("SELECT to_regclass('public._sqlx_migrations') IS NOT NULL")
            .fetch_one(&mut *conn)
            .await
            .map_err(Error::db("looking for _sqlx_migrations"))?;
    if !exists {
        return Ok(Vec::new());
    }
    let rows: Vec<(i64, String, bool, Vec<u8>)> = sqlx::query_as(
        "SELECT version, description, success, checksum \
         FROM public._sqlx_migrations ORDER BY version",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(Error::db("reading _sqlx_migrations"))?;
    Ok(rows
        .into_iter()
        .map(|(version, description, success, checksum)| AppliedRow {
            version,
            description,
            success,
            checksum,
        })
        .collect())
}

/// What the gate found, for the versions up to `required`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaCheck {
    /// The newest version the caller needs (all known ones up to it).
    pub required: i64,
    /// Needed versions that are not applied: the schema is too old.
    pub missing: Vec<i64>,
    /// Versions recorded as failed: the schema is in an unknown state.
    pub failed: Vec<i64>,
    /// Applied versions this build does not know (a newer release ran its
    /// migrations); harmless because steps only expand.
    pub unknown_newer: Vec<i64>,
    /// Applied versions whose file in this build has another checksum.
    /// Reported, not fatal: the gate is about compatibility and the
    /// migrator refuses to run on such a database anyway.
    pub checksum_mismatch: Vec<i64>,
}

impl SchemaCheck {
    /// True when every needed version is applied and none failed.
    pub fn is_compatible(&self) -> bool {
        self.missing.is_empty() && self.failed.is_empty()
    }
}

impl fmt::Display for SchemaCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "schema needs migrations through {}: missing {:?}, failed {:?}, unknown newer {:?}, checksum mismatch {:?}",
            self.required, self.missing, self.failed, self.unknown_newer, self.checksum_mismatch
        )
    }
}

/// Compares the rows of `_sqlx_migrations` with the known versions up to
/// and including `required` (usually [`crate::latest_version`]).
pub fn check_schema(rows: &[AppliedRow], required: i64) -> SchemaCheck {
    let known = known_versions();
    let applied = |v: i64| rows.iter().any(|r| r.version == v && r.success);
    let checksum_differs = |r: &AppliedRow| {
        up_migrations().any(|m| m.version == r.version && *m.checksum != *r.checksum)
    };
    SchemaCheck {
        required,
        missing: known
            .iter()
            .copied()
            .filter(|v| *v <= required && !applied(*v))
            .collect(),
        failed: rows
            .iter()
            .filter(|r| !r.success)
            .map(|r| r.version)
            .collect(),
        unknown_newer: rows
            .iter()
            .filter(|r| !known.contains(&r.version))
            .map(|r| r.version)
            .collect(),
        checksum_mismatch: rows
            .iter()
            .filter(|r| checksum_differs(r))
            .map(|r| r.version)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(version: i64) -> AppliedRow {
        let checksum = up_migrations()
            .find(|m| m.version == version)
            .map(|m| m.checksum.to_vec())
            .unwrap_or_default();
        AppliedRow {
            version,
            description: String::new(),
            success: true,
            checksum,
        }
    }

    #[test]
    fn empty_database_misses_everything() {
        let check = check_schema(&[], 4);
        assert_eq!(check.missing, vec![1, 2, 3, 4]);
        assert!(!check.is_compatible());
    }

    #[test]
    fn newer_unknown_versions_are_compatible() {
        let future = crate::latest_version() + 1;
        let rows: Vec<_> = (1..=future).map(row).collect();
        let check = check_schema(&rows, 4);
        assert!(check.is_compatible(), "{check}");
        assert_eq!(check.unknown_newer, vec![future]);
    }

    #[test]
    fn only_versions_up_to_required_are_needed() {
        let rows: Vec<_> = [1, 2].into_iter().map(row).collect();
        assert!(check_schema(&rows, 2).is_compatible());
        assert_eq!(check_schema(&rows, 4).missing, vec![3, 4]);
    }

    #[test]
    fn failed_and_edited_steps_are_reported() {
        let mut rows: Vec<_> = [1, 2].into_iter().map(row).collect();
        rows[0].checksum = vec![0];
        rows[1].success = false;
        let check = check_schema(&rows, 2);
        assert_eq!(
            (check.failed.clone(), check.missing.clone()),
            (vec![2], vec![2])
        );
        assert_eq!(check.checksum_mismatch, vec![1]);
        assert!(!check.is_compatible());
    }
}
