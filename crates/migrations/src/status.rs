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

    /// The one conclusion a script acts on; the worst one when several hold.
    pub fn verdict(&self) -> Verdict {
        if !self.checksum_mismatch.is_empty() || !self.failed.is_empty() {
            Verdict::Drifted
        } else if !self.unknown_applied.is_empty() {
            Verdict::UnknownNewer
        } else if !self.pending.is_empty() {
            Verdict::Pending
        } else {
            Verdict::UpToDate
        }
    }

    /// The newest applied version, 0 for an empty database.
    pub fn current_version(&self) -> i64 {
        self.applied.iter().map(|a| a.version).max().unwrap_or(0)
    }
}

/// What `status` concludes, each with its own exit code of
/// `dbrepo-migrations status`. Codes 1 and 2 are left to errors and to
/// command-line mistakes, so a gate script can tell them apart.
///
/// When several hold, the worst wins: drift (the schema is not what its
/// records say; a human must look), then unknown newer versions (this
/// migrator must not run), then pending (`up` fixes it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Every known step is applied and nothing is wrong: exit code 0.
    UpToDate,
    /// Known steps wait to be applied: exit code 3.
    Pending,
    /// Steps this build does not know are applied (a newer release
    /// migrated the database): exit code 4.
    UnknownNewer,
    /// An applied step's file differs from this build, or a step is
    /// recorded as failed: exit code 5.
    Drifted,
}

impl Verdict {
    /// The process exit code `status` ends with.
    pub fn exit_code(self) -> u8 {
        match self {
            Self::UpToDate => 0,
            Self::Pending => 3,
            Self::UnknownNewer => 4,
            Self::Drifted => 5,
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::UpToDate => "up to date",
            Self::Pending => "migrations pending",
            Self::UnknownNewer => "migrations of a newer release applied",
            Self::Drifted => "drifted from this build",
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn status(pending: usize, drift: &[i64], unknown: &[i64], failed: &[i64]) -> Status {
        let pending = (1..=pending as i64)
            .map(|version| KnownVersion {
                version,
                description: String::new(),
            })
            .collect();
        Status {
            applied: Vec::new(),
            pending,
            checksum_mismatch: drift.to_vec(),
            unknown_applied: unknown.to_vec(),
            failed: failed.to_vec(),
        }
    }

    #[test]
    fn the_worst_state_decides_the_exit_code() {
        let cases = [
            (status(0, &[], &[], &[]), Verdict::UpToDate, "nothing to do"),
            (
                status(2, &[], &[], &[]),
                Verdict::Pending,
                "up applies them",
            ),
            (
                status(0, &[], &[9], &[]),
                Verdict::UnknownNewer,
                "newer release",
            ),
            (
                status(1, &[], &[9], &[]),
                Verdict::UnknownNewer,
                "beats pending",
            ),
            (status(0, &[2], &[], &[]), Verdict::Drifted, "edited file"),
            (status(0, &[], &[], &[3]), Verdict::Drifted, "failed step"),
            (
                status(1, &[2], &[9], &[]),
                Verdict::Drifted,
                "drift beats all",
            ),
        ];
        for (status, verdict, why) in cases {
            assert_eq!(status.verdict(), verdict, "{why}");
        }
        let codes = [0, 3, 4, 5];
        let verdicts = [
            Verdict::UpToDate,
            Verdict::Pending,
            Verdict::UnknownNewer,
            Verdict::Drifted,
        ];
        assert_eq!(verdicts.map(Verdict::exit_code), codes);
    }
}
