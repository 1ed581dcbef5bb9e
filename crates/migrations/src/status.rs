//! `status`: what is applied, what is pending and what looks wrong.

use sqlx::PgPool;

use crate::{AppliedRow, Result, check_schema, latest_version, read_applied, up_migrations};

/// A step this build knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownVersion {
    /// The step's version.
    pub version: i64,
    /// The step's description.
    pub description: String,
}

/// A step recorded in `_sqlx_migrations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedVersion {
    /// The applied version.
    pub version: i64,
    /// The description recorded when it ran.
    pub description: String,
    /// False when it is recorded as failed.
    pub success: bool,
}

/// The state of a database's schema compared with this build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// Every recorded step, ascending.
    pub applied: Vec<AppliedVersion>,
    /// Known steps not applied yet, ascending.
    pub pending: Vec<KnownVersion>,
    /// Applied steps whose file in this build has another checksum.
    pub checksum_mismatch: Vec<i64>,
    /// Applied steps this build does not know (from a newer release).
    pub unknown_applied: Vec<i64>,
    /// Steps recorded as failed.
    pub failed: Vec<i64>,
}

impl Status {
    /// True when nothing is pending and nothing is wrong.
    pub fn is_current(&self) -> bool {
        self.pending.is_empty() && self.checksum_mismatch.is_empty() && self.failed.is_empty()
    }

    /// The newest applied version, 0 for an empty database.
    pub fn current_version(&self) -> i64 {
        self.applied.iter().map(|a| a.version).max().unwrap_or(0)
    }
}

/// Reads the schema state; needs only SELECT on `_sqlx_migrations`.
pub async fn status(pool: &PgPool) -> Result<Status> {
    Ok(status_of(&read_applied(pool).await?))
}

fn status_of(rows: &[AppliedRow]) -> Status {
    let check = check_schema(rows, latest_version());
    Status {
        applied: rows
            .iter()
            .map(|r| AppliedVersion {
                version: r.version,
                description: r.description.clone(),
                success: r.success,
            })
            .collect(),
        pending: up_migrations()
            .filter(|m| check.missing.contains(&m.version))
            .map(|m| KnownVersion {
                version: m.version,
                description: m.description.to_string(),
            })
            .collect(),
        checksum_mismatch: check.checksum_mismatch,
        unknown_applied: check.unknown_newer,
        failed: check.failed,
    }
}
