//! The list statements read one page of rows, whatever the team's size:
//! on a database with realistic statistics, the generic plan of each
//! prepared list statement (the plan a long-lived pooled connection ends up
//! running) walks the team's ordered index from the page start. The SQL
//! checked is the very file the store runs.

use serde_json::Value;
use sqlx::pool::PoolConnection;
use sqlx::{AssertSqlSafe, Executor, Postgres, Row};

use crate::support::TestDatabase;

const LIST_MEMBERS: &str = include_str!("../../src/io/db/sql/list_members.sql");
const LIST_TASKS: &str = include_str!("../../src/io/db/sql/list_tasks.sql");

/// The page size the lists ask for: a page of 50 and one row to tell
/// whether another page follows.
const FETCH: i64 = 51;

#[tokio::test]
async fn list_pages_read_about_one_page_of_rows_in_small_and_large_teams() {
    let db = TestDatabase::new().await;
    let owner = db.owner_pool().await;
    owner
        .execute(SEED)
        .await
        .expect("seed teams of 100 and of 1,000");
    let mut conn = owner.acquire().await.unwrap();
    conn.execute("SET plan_cache_mode = force_generic_plan")
        .await
        .unwrap();
    conn.execute(AssertSqlSafe(format!(
        "PREPARE list_members AS {LIST_MEMBERS}"
    )))
    .await
    .unwrap();
    conn.execute(AssertSqlSafe(format!("PREPARE list_tasks AS {LIST_TASKS}")))
        .await
        .unwrap();
    for size in [100, 1000] {
        let team: String =
            sqlx::query_scalar("SELECT format('%L', id) FROM manager.teams WHERE name = $1")
                .bind(format!("plans {size} 1"))
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        let members = cursor(&mut conn, "manager.members", &team, size / 2).await;
        let tasks = cursor(&mut conn, "app.tasks", &team, size / 2).await;
        let cases = [
            (
                format!("list_members({team}, '{{}}', NULL, NULL, {FETCH}, 0)"),
                "members",
                "members_team_created_idx",
                "first page",
            ),
            (
                format!("list_members({team}, '{{}}', {members}, {FETCH}, 0)"),
                "members",
                "members_team_created_idx",
                "a page mid-team",
            ),
            (
                format!("list_members({team}, '{{active}}', {members}, {FETCH}, 0)"),
                "members",
                "members_team_created_idx",
                "active members mid-team",
            ),
            (
                format!("list_tasks({team}, false, NULL, NULL, NULL, NULL, {FETCH}, 0)"),
                "tasks",
                "tasks_team_created_idx",
                "first page",
            ),
            (
                format!("list_tasks({team}, false, NULL, NULL, {tasks}, {FETCH}, 0)"),
                "tasks",
                "tasks_team_created_idx",
                "a page mid-team",
            ),
            (
                format!("list_tasks({team}, false, NULL, 'todo', {tasks}, {FETCH}, 0)"),
                "tasks",
                "tasks_team_created_idx",
                "todo tasks mid-team",
            ),
        ];
        for (execute, table, index, what) in cases {
            let plan = explain(&mut conn, &execute).await;
            let scan =
                scan_of(&plan, table).unwrap_or_else(|| panic!("no scan of {table}: {plan:#}"));
            let context = format!("{table} of a team of {size}, {what}: {scan:#}");
            assert_eq!(scan["Index Name"], index, "{context}");
            let read = scan["Actual Rows"].as_i64().unwrap()
                + scan["Rows Removed by Filter"].as_i64().unwrap_or(0);
            // Every tenth member is archived and every third task is done,
            // so a filtered page reads a few more rows than it returns.
            assert!(read <= 2 * FETCH, "read {read} rows: {context}");
        }
    }
    drop(conn);
    owner.close().await;
}

/// 30 teams of 100 members and 3 of 1,000; as many tasks as members.
const SEED: &str = "
    INSERT INTO manager.teams (id, name, description)
    SELECT gen_random_uuid(), format('plans %s %s', size, n), ''
    FROM (VALUES (100, 30), (1000, 3)) AS sizes (size, teams), generate_series(1, teams) AS n;
    INSERT INTO manager.members (id, team_id, full_name, email, archived, status, created_at)
    SELECT gen_random_uuid(), t.id, 'Member ' || g, format('m%s@example.org', g), g % 10 = 0,
           CASE WHEN g % 10 = 0 THEN 'archived' ELSE 'active' END,
           now() - make_interval(secs => g)
    FROM manager.teams t, generate_series(1, split_part(t.name, ' ', 2)::int) AS g
    WHERE t.name LIKE 'plans %';
    INSERT INTO app.tasks (id, team_id, title, state, created_at)
    SELECT gen_random_uuid(), t.id, 'Task ' || g,
           CASE WHEN g % 3 = 0 THEN 'done' ELSE 'todo' END, now() - make_interval(secs => g)
    FROM manager.teams t, generate_series(1, split_part(t.name, ' ', 2)::int) AS g
    WHERE t.name LIKE 'plans %';
    ANALYZE;
";

/// The `created_at, id` literals of the `position`th row of `team` in
/// `table`, ordered as the lists are.
async fn cursor(
    conn: &mut PoolConnection<Postgres>,
    table: &str,
    team: &str,
    position: i32,
) -> String {
    let sql = format!(
        "SELECT format('%L, %L', created_at, id) FROM {table} WHERE team_id = {team} \
         ORDER BY created_at, id OFFSET {position} LIMIT 1"
    );
    sqlx::query_scalar(AssertSqlSafe(sql))
        .fetch_one(&mut **conn)
        .await
        .unwrap()
}

async fn explain(conn: &mut PoolConnection<Postgres>, execute: &str) -> Value {
    let sql = format!("EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE {execute}");
    let row = sqlx::query(AssertSqlSafe(sql))
        .fetch_one(&mut **conn)
        .await
        .unwrap();
    // EXPLAIN's column is `json`, whose wire format is its text.
    let text: String = row.try_get_unchecked(0).unwrap();
    let plan: Value = serde_json::from_str(&text).expect("EXPLAIN's JSON");
    plan[0]["Plan"].clone()
}

/// The plan node that reads `table`, searched depth first.
fn scan_of(node: &Value, table: &str) -> Option<Value> {
    if node["Relation Name"] == table {
        return Some(node.clone());
    }
    node["Plans"]
        .as_array()?
        .iter()
        .find_map(|child| scan_of(child, table))
}
