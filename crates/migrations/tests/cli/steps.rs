//! `up` and `down` off a terminal: one JSON line for the lock wait, one per
//! step with its duration, and a summary line, for log collectors.

use dbrepo_migrations::known_versions;
use serde_json::Value;

use crate::support::{empty_database, run};

/// The JSON lines of a run's output (log lines on standard error are not).
fn json_lines(output: &str) -> Vec<Value> {
    output
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

/// The (version, description) of each step line with `event`, after
/// checking that each says how long it took.
fn steps(lines: &[Value], event: &str) -> Vec<(i64, String)> {
    lines
        .iter()
        .filter(|line| line["event"] == event)
        .map(|line| {
            assert!(line["duration_ms"].is_u64(), "{line}");
            let version = line["version"].as_i64().expect("version");
            (
                version,
                line["description"].as_str().expect("description").into(),
            )
        })
        .collect()
}

#[tokio::test]
async fn up_and_down_report_the_lock_wait_each_step_and_a_summary_as_json() {
    let url = empty_database().await;
    let env = [("DATABASE_URL", url.as_str())];

    let up = run(&["up"], &env).await;
    assert_eq!(up.code, Some(0), "{}", up.output);
    let lines = json_lines(&up.output);
    assert_eq!(lines[0]["event"], "migration lock taken", "{}", up.output);
    assert!(lines[0]["waited_ms"].is_u64(), "{}", up.output);
    let applied = steps(&lines, "migration applied");
    let versions: Vec<i64> = applied.iter().map(|(version, _)| *version).collect();
    assert_eq!(versions, known_versions(), "{}", up.output);
    assert_eq!(applied[1].1, "manager v2");
    let summary = lines.last().expect("a summary");
    assert_eq!(summary["event"], "migrations applied", "{summary}");
    assert_eq!(summary["steps"], known_versions().len(), "{summary}");
    assert_eq!(summary["versions"], serde_json::json!(known_versions()));
    assert!(summary["lock_wait_ms"].is_u64(), "{summary}");
    assert!(summary["elapsed_seconds"].is_f64(), "{summary}");
    // The runner's own log line (standard error) says the same.
    assert!(
        up.output.contains("took the migration lock"),
        "{}",
        up.output
    );

    let down = run(&["down", "--to", "2"], &env).await;
    assert_eq!(down.code, Some(0), "{}", down.output);
    let lines = json_lines(&down.output);
    let reverted = steps(&lines, "migration reverted");
    let versions: Vec<i64> = reverted.iter().map(|(version, _)| *version).collect();
    let above_2: Vec<i64> = known_versions()
        .into_iter()
        .filter(|&v| v > 2)
        .rev()
        .collect();
    assert_eq!(versions, above_2, "newest first: {}", down.output);
    let summary = lines.last().expect("a summary");
    assert_eq!(summary["event"], "migrations reverted", "{summary}");
    assert_eq!(summary["steps"], above_2.len(), "{summary}");

    let again = run(&["up"], &env).await;
    assert_eq!(again.code, Some(0), "{}", again.output);
    let lines = json_lines(&again.output);
    assert_eq!(
        steps(&lines, "migration applied").len(),
        above_2.len(),
        "{}",
        again.output
    );
    let nothing = run(&["up"], &env).await;
    let summary = json_lines(&nothing.output).pop().expect("a summary");
    assert_eq!(summary["steps"], 0, "up to date: {summary}");
}
