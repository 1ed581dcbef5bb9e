//! The migrations against a real server: applying, reverting, locking,
//! refusing edited files, least privilege and the v2 sync trigger.

use crate::support::{TestDatabase, snapshot};

mod members_v2_sync;
use dbrepo_migrations::{
    Error, check_schema, down_to, known_versions, latest_version, read_applied, status, up,
};

fn versions(steps: &[dbrepo_migrations::AppliedStep]) -> Vec<i64> {
    steps.iter().map(|s| s.version).collect()
}

#[tokio::test]
async fn up_on_an_empty_database_applies_every_step_and_leaves_nothing_pending() {
    let db = TestDatabase::unmigrated().await;
    let owner = db.owner_pool().await;
    assert_eq!(
        status(&owner).await.unwrap().pending.len(),
        known_versions().len()
    );

    let applied = up(&owner).await.expect("up");

    assert_eq!(versions(&applied), known_versions());
    let after = status(&owner).await.unwrap();
    assert!(after.is_current(), "{after:?}");
    assert_eq!(after.current_version(), latest_version());
    assert!(
        up(&owner).await.unwrap().is_empty(),
        "a second up has nothing to do"
    );
    owner.close().await;
}

#[tokio::test]
async fn up_down_to_zero_up_leaves_the_schema_of_a_fresh_up() {
    let fresh = TestDatabase::new().await;
    let cycled = TestDatabase::unmigrated().await;
    let owner = cycled.owner_pool().await;
    up(&owner).await.expect("first up");

    let reverted = down_to(&owner, 0).await.expect("down to 0");
    let newest_first: Vec<i64> = known_versions().into_iter().rev().collect();
    assert_eq!(versions(&reverted), newest_first);
    assert!(status(&owner).await.unwrap().applied.is_empty());
    let emptied = snapshot(&owner).await;
    assert!(
        !emptied
            .iter()
            .any(|l| l.contains("manager") || l.contains("app.")),
        "{emptied:#?}"
    );
    up(&owner).await.expect("second up");

    let fresh_owner = fresh.owner_pool().await;
    assert_eq!(snapshot(&owner).await, snapshot(&fresh_owner).await);
    owner.close().await;
    fresh_owner.close().await;
}

#[tokio::test]
async fn each_down_step_undoes_exactly_its_up_step() {
    let db = TestDatabase::unmigrated().await;
    let owner = db.owner_pool().await;
    // Creates sqlx's bookkeeping table (nothing to revert), which the
    // down steps keep by design.
    down_to(&owner, 0).await.expect("no-op down");
    for version in 1..=4 {
        let before = snapshot(&owner).await;
        dbrepo_migrations::up_to(&owner, version)
            .await
            .expect("up one step");
        down_to(&owner, version - 1).await.expect("down one step");
        let mut after = snapshot(&owner).await;
        if version == 2 {
            revalidate_v1_name_check(&mut after);
        }
        assert_eq!(after, before, "step {version}");
        dbrepo_migrations::up_to(&owner, version)
            .await
            .expect("up again");
    }
    owner.close().await;
}

#[tokio::test]
async fn concurrent_up_runs_apply_each_step_once_without_interleaving() {
    let db = TestDatabase::unmigrated().await;
    let (first, second) = (db.owner_pool().await, db.owner_pool().await);

    let (a, b) = tokio::join!(up(&first), up(&second));

    let (a, b) = (
        versions(&a.expect("first up")),
        versions(&b.expect("second up")),
    );
    let mut runs = [a, b];
    runs.sort();
    assert_eq!(
        runs,
        [vec![], known_versions()],
        "one runner did all, the other nothing"
    );
    let rows = read_applied(&first).await.unwrap();
    assert_eq!(
        rows.iter().map(|r| r.version).collect::<Vec<_>>(),
        known_versions()
    );
    first.close().await;
    second.close().await;
}

#[tokio::test]
async fn an_edited_applied_migration_makes_up_and_down_refuse() {
    let db = TestDatabase::new().await;
    let owner = db.owner_pool().await;
    sqlx::query("UPDATE _sqlx_migrations SET checksum = '\\x00' WHERE version = 2")
        .execute(&owner)
        .await
        .unwrap();

    for result in [
        up(&owner).await.map(drop),
        down_to(&owner, 0).await.map(drop),
    ] {
        let error = result.expect_err("must refuse");
        assert!(
            matches!(error, Error::ChecksumMismatch { version: 2, .. }),
            "{error:?}"
        );
        assert!(
            error
                .to_string()
                .contains("migration 2 (0002_manager_v2.up.sql)"),
            "{error}"
        );
    }
    assert_eq!(status(&owner).await.unwrap().checksum_mismatch, vec![2]);
    assert_eq!(
        status(&owner).await.unwrap().current_version(),
        latest_version(),
        "nothing was reverted"
    );
    owner.close().await;
}

#[tokio::test]
async fn steps_of_a_newer_release_block_down_but_not_a_current_up() {
    let db = TestDatabase::new().await;
    let owner = db.owner_pool().await;
    let future = latest_version() + 1;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES ($1, 'from the future', true, '\\x00', 0)",
    )
    .bind(future)
    .execute(&owner)
    .await
    .unwrap();

    assert!(
        up(&owner)
            .await
            .expect("nothing of this build is pending")
            .is_empty()
    );
    let error = down_to(&owner, 3)
        .await
        .expect_err("cannot revert the future step");
    assert!(
        matches!(error, Error::UnknownApplied { ref versions } if versions == &[future]),
        "{error}"
    );
    let check = check_schema(&read_applied(db.pool()).await.unwrap(), latest_version());
    assert!(check.is_compatible(), "{check}");
    assert_eq!(check.unknown_newer, vec![future]);
    owner.close().await;
}

#[tokio::test]
async fn the_service_login_reads_the_schema_gate_of_a_partial_migration() {
    let db = TestDatabase::migrated_to(2).await;

    let check = check_schema(&read_applied(db.pool()).await.unwrap(), 4);

    assert_eq!(check.missing, vec![3, 4]);
    assert!(!check.is_compatible());
    assert!(check_schema(&read_applied(db.pool()).await.unwrap(), 2).is_compatible());
}

#[tokio::test]
async fn the_service_login_cannot_change_the_schema_or_the_migration_log() {
    let db = TestDatabase::new().await;
    let denied = [
        "CREATE TABLE manager.intruder (id int)",
        "CREATE TABLE app.intruder (id int)",
        "CREATE TABLE public.intruder (id int)",
        "ALTER TABLE manager.members ADD COLUMN intruder int",
        "DROP TABLE app.tasks",
        "TRUNCATE manager.teams CASCADE",
        "CREATE SCHEMA intruder",
        "CREATE OR REPLACE FUNCTION manager.effective_status(status text, archived boolean) \
         RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'active' $$",
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99, 'x', true, '\\x00', 0)",
        "UPDATE _sqlx_migrations SET success = false",
        "DELETE FROM _sqlx_migrations",
    ];
    for sql in denied {
        let error = sqlx::query(sql).execute(db.pool()).await.expect_err(sql);
        let code = error
            .as_database_error()
            .and_then(|e| e.code())
            .map(|c| c.into_owned());
        assert_eq!(code.as_deref(), Some("42501"), "{sql}: {error}");
    }
}

#[tokio::test]
async fn the_service_login_can_read_and_write_the_three_tables() {
    let db = TestDatabase::new().await;
    let pool = db.pool();
    let statements = [
        "INSERT INTO manager.teams (id, name) VALUES ('00000000-0000-0000-0000-000000000001', 'Team')",
        "INSERT INTO manager.members (id, team_id, full_name, email) VALUES \
         ('00000000-0000-0000-0000-000000000002', '00000000-0000-0000-0000-000000000001', 'Ada', 'a@x.org')",
        "INSERT INTO app.tasks (id, team_id, title, assignee_id) VALUES ('00000000-0000-0000-0000-000000000003', \
         '00000000-0000-0000-0000-000000000001', 'Task', '00000000-0000-0000-0000-000000000002')",
        "UPDATE manager.teams SET description = 'd'",
        "UPDATE manager.members SET email = 'b@x.org'",
        "UPDATE app.tasks SET state = 'doing'",
        "DELETE FROM manager.members",
        "SELECT 1 FROM app.tasks WHERE assignee_id IS NULL",
        "DELETE FROM app.tasks",
        "DELETE FROM manager.teams",
        "SELECT version FROM public._sqlx_migrations",
    ];
    for sql in statements {
        sqlx::query(sql)
            .execute(pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

/// 0002's down re-adds the v1 full name check NOT VALID on purpose (rows
/// v2 wrote may exceed it); otherwise it must restore 0001's schema.
fn revalidate_v1_name_check(lines: &mut [String]) {
    let line = lines
        .iter_mut()
        .find(|l| l.contains(" members_full_name_length CHECK"))
        .expect("0002 down restores members_full_name_length");
    assert!(line.ends_with(" NOT VALID valid f"), "{line}");
    *line = line.replace(" NOT VALID valid f", " valid t");
}
