//! Measurements beside the RPCs: what the 0002 sync trigger costs the
//! previous release's writes, and how fast the backfill runs next to the
//! fastest possible UPDATE of the same rows.

use std::path::Path;
use std::time::{Duration, Instant};

use sqlx::{AssertSqlSafe, Executor, PgPool};

use crate::db::Database;
use crate::ids::Kind;
use crate::pgbench::Pgbench;
use crate::script::Script;
use crate::seed::Seed;

/// The previous release's v1 CreateMember, as `tests/real/previous_release.rs`
/// keeps it, with the id and a unique email generated in SQL.
const V1_INSERT: &str = "INSERT INTO manager.members (id, team_id, full_name, email, archived, created_at, updated_at) \
     VALUES (gen_random_uuid(), CAST(:team_id AS uuid), CAST(:full_name AS text), \
     gen_random_uuid()::text || '@trigger.example', false, now(), now());";
/// The previous release's v1 UpdateMember of full_name, on a random seeded member.
const V1_UPDATE: &str = "UPDATE manager.members SET full_name = CAST(:full_name AS text), updated_at = now() WHERE id = ";

/// The trigger on vs off.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TriggerResult {
    /// Transactions (one INSERT, one UPDATE) per second with the trigger.
    pub on_tps: f64,
    /// The same without it.
    pub off_tps: f64,
    /// on / off.
    pub ratio: f64,
}

/// Runs the previous release's INSERT + UPDATE as the owner with
/// `members_v2_sync` enabled and disabled, alternating, `rounds` times.
pub async fn trigger(
    db: &Database,
    owner: &PgPool,
    pgbench: &Pgbench,
    seed: &Seed,
    (segment, rounds): (Duration, u32),
    dir: &Path,
) -> anyhow::Result<TriggerResult> {
    let team = Kind::Team.id(seed.teams + 1);
    sqlx::query("INSERT INTO manager.teams (id, name) VALUES ($1, 'Trigger cost')")
        .bind(team)
        .execute(owner)
        .await?;
    let member = Kind::Member.param_sql("CAST(:member AS bigint)");
    let script = Script {
        text: format!(
            "\\set member random(1, {})\n{V1_INSERT}\n{V1_UPDATE}{member};\n",
            seed.members
        ),
        defines: vec![
            ("team_id".into(), team.to_string()),
            ("full_name".into(), "Ada Lovelace".into()),
        ],
    };
    let (mut on, mut off) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        for (enabled, out) in [(true, &mut on), (false, &mut off)] {
            let verb = if enabled { "ENABLE" } else { "DISABLE" };
            let sql = format!("ALTER TABLE manager.members {verb} TRIGGER members_v2_sync");
            owner.execute(AssertSqlSafe(sql)).await?;
            out.push(pgbench.run(&script, &db.owner_url, segment, dir).await?.tps);
        }
    }
    owner
        .execute("ALTER TABLE manager.members ENABLE TRIGGER members_v2_sync")
        .await?;
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let (on_tps, off_tps) = (mean(&on), mean(&off));
    Ok(TriggerResult {
        on_tps,
        off_tps,
        ratio: on_tps / off_tps.max(f64::MIN_POSITIVE),
    })
}

/// The backfill at one table size.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BackfillResult {
    /// Members needing the backfill.
    pub rows: u64,
    /// `dbrepo_migrations::backfill` with its default options, or those of
    /// `--backfill-batch-size` and `--backfill-pause-ms`.
    pub backfill_rows_per_s: f64,
    /// Its batch size and pause between batches (ms), as run.
    pub batch_size: u32,
    /// Pause between batches, milliseconds.
    pub pause_ms: u64,
    /// One `UPDATE` of the same rows to the same values, trigger on.
    pub update_rows_per_s: f64,
    /// backfill / update.
    pub ratio: f64,
}

/// Fills a scratch database with `rows` members as the v1-only release
/// left them, runs the backfill, then one UPDATE of the same rows.
pub async fn backfill(
    db: &Database,
    rows: u64,
    options: &dbrepo_migrations::BackfillOptions,
) -> anyhow::Result<BackfillResult> {
    let name = format!("{}_backfill", db.name);
    let owner = db.create_scratch(&name).await?;
    let measured = backfill_in(&owner, rows, options).await;
    owner.close().await;
    db.drop_scratch(&name).await?;
    measured
}

async fn backfill_in(
    owner: &PgPool,
    rows: u64,
    options: &dbrepo_migrations::BackfillOptions,
) -> anyhow::Result<BackfillResult> {
    let team = Kind::Team.sql("1");
    // Rows from before 0002: no v2 columns at all (the trigger would set status).
    let fill = format!(
        "ALTER TABLE manager.members DISABLE TRIGGER members_v2_sync;
         INSERT INTO manager.teams (id, name) VALUES ({team}, 'Backfill');
         INSERT INTO manager.members (id, team_id, full_name, email)
         SELECT {id}, {team}, 'Ada Lovelace ' || n, 'm' || n || '@backfill.example'
         FROM generate_series(1, {rows}) AS n;
         ALTER TABLE manager.members ENABLE TRIGGER members_v2_sync;",
        id = Kind::Member.sql("n"),
    );
    owner.execute(AssertSqlSafe(fill)).await?;
    owner.execute("VACUUM (ANALYZE) manager.members").await?;
    let report = dbrepo_migrations::backfill(owner, options).await?;
    let started = Instant::now();
    let updated = owner
        .execute(
            "UPDATE manager.members SET given_name = given_name, \
             family_name = family_name, status = status",
        )
        .await?
        .rows_affected();
    let update_rate = updated as f64 / started.elapsed().as_secs_f64();
    Ok(BackfillResult {
        rows,
        backfill_rows_per_s: report.rows_per_second(),
        batch_size: options.batch_size.get(),
        pause_ms: options.pause.as_millis() as u64,
        update_rows_per_s: update_rate,
        ratio: report.rows_per_second() / update_rate.max(f64::MIN_POSITIVE),
    })
}
