//! The startup schema gate: the service refuses to serve on a database whose
//! schema lacks a migration this build needs, and says which and how to
//! apply it; a database migrated further by a newer release is fine
//! (migrations only expand) and is logged.

use sqlx::PgConnection;

/// The schema versions the gate saw.
#[derive(Debug, Clone, Copy)]
pub struct SchemaVersions {
    /// The highest migration applied to the database.
    pub applied: i64,
    /// The highest migration this build needs.
    pub required: i64,
}

/// Why the service must not start on this database.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    /// The schema is older than this build needs, or a step failed.
    #[error(
        "database schema is not ready for this build: missing migrations {missing:?}{failed}; \
         apply them with `dbrepo-migrations up` (DATABASE_URL of the schema owner), then start again"
    )]
    SchemaTooOld {
        /// Versions this build needs that are not applied.
        missing: Vec<i64>,
        /// A note on versions recorded as failed, if any.
        failed: String,
    },
    /// The bookkeeping table could not be read.
    #[error("reading the applied migrations: {0}")]
    Read(#[from] dbrepo_migrations::Error),
}

/// Checks the applied migrations against what this build needs, over
/// `connection`; returns the versions it saw.
pub async fn check(connection: &mut PgConnection) -> Result<SchemaVersions, GateError> {
    let rows = dbrepo_migrations::read_applied(connection).await?;
    let check = dbrepo_migrations::check_schema(&rows, dbrepo_migrations::latest_version());
    if !check.is_compatible() {
        let failed = if check.failed.is_empty() {
            String::new()
        } else {
            format!(", failed migrations {:?}", check.failed)
        };
        return Err(GateError::SchemaTooOld {
            missing: check.missing,
            failed,
        });
    }
    if !check.unknown_newer.is_empty() {
        tracing::info!(
            versions = ?check.unknown_newer,
            "database has migrations newer than this build; serving (migrations only expand)"
        );
    }
    if !check.checksum_mismatch.is_empty() {
        tracing::warn!(versions = ?check.checksum_mismatch, "applied migrations differ from this build's files");
    }
    tracing::info!(version = check.required, "database schema is ready");
    let applied = rows.iter().filter(|row| row.success).map(|row| row.version);
    Ok(SchemaVersions {
        applied: applied.max().unwrap_or(0),
        required: check.required,
    })
}
