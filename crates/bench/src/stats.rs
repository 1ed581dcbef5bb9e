//! What `pg_stat_statements` saw dbrepo run: the cross-check that the
//! pgbench script holds the statements dbrepo sends, as many times per call.
//!
//! Its texts are not executable as they stand (it replaces literal
//! constants with `$n`), so the script is built from the exact texts the
//! proxy captured; this list is reported beside it.

use sqlx::{PgPool, Row};

/// One statement's counters over a dbrepo segment.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PssRow {
    /// The normalised text.
    pub query: String,
    /// Executions per RPC call.
    pub calls_per_call: f64,
    /// Mean execution time inside PostgreSQL, microseconds.
    pub mean_exec_us: f64,
    /// Rows returned or affected per execution.
    pub rows_per_exec: f64,
}

/// Forgets every statement's counters.
pub async fn reset(owner: &PgPool) -> anyhow::Result<()> {
    sqlx::query("SELECT pg_stat_statements_reset()")
        .execute(owner)
        .await?;
    Ok(())
}

/// The statements `role` ran in this database since [`reset`], per one of
/// `calls` RPC calls, most frequent first.
pub async fn read(owner: &PgPool, role: &str, calls: u64) -> anyhow::Result<Vec<PssRow>> {
    let rows = sqlx::query(
        "SELECT s.query, s.calls, s.mean_exec_time, s.rows
         FROM pg_stat_statements s
         JOIN pg_roles r ON r.oid = s.userid
         JOIN pg_database d ON d.oid = s.dbid
         WHERE r.rolname = $1 AND d.datname = current_database()
         ORDER BY s.calls DESC, s.query",
    )
    .bind(role)
    .fetch_all(owner)
    .await?;
    let per_call = |n: i64| n as f64 / calls.max(1) as f64;
    Ok(rows
        .iter()
        .map(|row| {
            let executions: i64 = row.get("calls");
            let rows: i64 = row.get("rows");
            PssRow {
                query: row.get("query"),
                calls_per_call: per_call(executions),
                mean_exec_us: row.get::<f64, _>("mean_exec_time") * 1000.0,
                rows_per_exec: rows as f64 / executions.max(1) as f64,
            }
        })
        .collect())
}
