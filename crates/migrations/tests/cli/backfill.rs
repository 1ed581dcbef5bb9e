//! `backfill` off a terminal: JSON progress lines with the figures an
//! operator watches, a JSON summary line, and `--max-rows-per-sec` holding
//! the measured rate under the cap.

use sqlx::{AssertSqlSafe, Connection, PgConnection};

use crate::support::{empty_database, run};

const ROWS: u64 = 3_000;
const CAP: u64 = 4_000;

#[tokio::test]
async fn backfill_reports_progress_as_json_lines_and_keeps_under_its_rate_cap() {
    let url = empty_database().await;
    let env = [("DATABASE_URL", url.as_str())];
    let up = run(&["up"], &env).await;
    assert_eq!(up.code, Some(0), "{}", up.output);
    // Rows as the previous release writes them: v1 columns only.
    let mut owner = PgConnection::connect(&url).await.expect("owner");
    sqlx::raw_sql(AssertSqlSafe(format!(
        "INSERT INTO manager.teams (id, name) VALUES ('00000000-0000-4000-8000-000000000001', 'Rated');
         INSERT INTO manager.members (id, team_id, full_name, email)
         SELECT gen_random_uuid(), '00000000-0000-4000-8000-000000000001',
                'Ada Lovelace ' || i, 'ada' || i || '@example.org'
         FROM generate_series(1, {ROWS}) AS i;
         ANALYZE manager.members;"
    )))
    .execute(&mut owner)
    .await
    .expect("seed");

    let cap = CAP.to_string();
    let args = [
        "backfill",
        "--batch-size",
        "100",
        "--max-rows-per-sec",
        &cap,
        "--progress-every",
        "0.1",
    ];
    let backfill = run(&args, &env).await;
    assert_eq!(backfill.code, Some(0), "{}", backfill.output);
    let lines: Vec<serde_json::Value> = backfill
        .output
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    let progress: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|line| line["event"] == "backfill progress")
        .collect();
    // 3,000 rows at most 4,000 a second take at least 0.75 s: reports
    // every 0.1 s make several.
    assert!(progress.len() >= 3, "{}", backfill.output);
    let mut scanned = 0;
    for line in &progress {
        assert_eq!(line["rows_estimated"], ROWS, "{line}");
        let now = line["rows_scanned"].as_u64().expect("rows_scanned");
        assert!(now >= scanned, "progress never goes back: {line}");
        scanned = now;
        assert!(line["rows_updated"].as_u64().expect("rows_updated") <= now);
        assert!(line["eta_seconds"].is_number(), "{line}");
        assert!(
            line["rows_per_second"].as_f64().expect("rate") <= CAP as f64,
            "{line}"
        );
    }
    let summary = lines.last().expect("a summary line");
    assert_eq!(summary["event"], "backfill finished", "{summary}");
    assert_eq!(summary["rows_updated"], ROWS, "{summary}");
    assert_eq!(summary["rows_left"], 0, "{summary}");
    assert_eq!(summary["complete"], true, "{summary}");
    let rate = summary["rows_per_second"].as_f64().expect("rate");
    assert!(
        rate <= CAP as f64,
        "the cap holds over the run: {rate} rows/s"
    );
    // The cap is what held it: unthrottled, this runs 5-10 times faster.
    assert!(rate >= CAP as f64 / 4.0, "{rate} rows/s");

    let left: i64 =
        sqlx::query_scalar("SELECT count(*) FROM manager.members WHERE given_name IS NULL")
            .fetch_one(&mut owner)
            .await
            .unwrap();
    assert_eq!(left, 0);
    owner.close().await.unwrap();
}
