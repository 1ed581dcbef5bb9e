//! The 0002 trigger keeps the v2 view right for writers that know only
//! v1's columns (the previous release during a rolling deploy).

use sqlx::PgPool;
use uuid::Uuid;

use crate::support::TestDatabase;

type Names = (Option<String>, Option<String>, Option<String>);

/// A team and a member written v1-style (no v2 columns).
async fn v1_member(pool: &PgPool, full_name: &str, archived: bool) -> Uuid {
    let (team, member) = (Uuid::new_v4(), Uuid::new_v4());
    sqlx::query("INSERT INTO manager.teams (id, name) VALUES ($1, $2)")
        .bind(team)
        .bind(format!("team {team}"))
        .execute(pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO manager.members (id, team_id, full_name, email, archived) \
         VALUES ($1, $2, $3, 'm@example.org', $4)",
    )
    .bind(member)
    .bind(team)
    .bind(full_name)
    .bind(archived)
    .execute(pool)
    .await
    .unwrap();
    member
}

async fn update(pool: &PgPool, sql: &'static str, id: Uuid) {
    sqlx::query(sql)
        .bind(id)
        .execute(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn names(pool: &PgPool, id: Uuid) -> Names {
    sqlx::query_as("SELECT full_name, given_name, family_name FROM manager.members WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn status(pool: &PgPool, id: Uuid) -> (String, bool) {
    sqlx::query_as("SELECT status, archived FROM manager.members WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

fn names_of(full: &str, given: Option<&str>, family: Option<&str>) -> Names {
    (
        Some(full.into()),
        given.map(Into::into),
        family.map(Into::into),
    )
}

#[tokio::test]
async fn v1_update_of_full_name_nulls_the_v2_names_to_rederive_them() {
    let db = TestDatabase::new().await;
    let id = v1_member(db.pool(), "Ada Lovelace", false).await;
    update(
        db.pool(),
        "UPDATE manager.members SET given_name = 'Ada', family_name = 'Lovelace' WHERE id = $1",
        id,
    )
    .await;
    assert_eq!(
        names(db.pool(), id).await,
        names_of("Ada Lovelace", Some("Ada"), Some("Lovelace"))
    );

    update(
        db.pool(),
        "UPDATE manager.members SET full_name = 'Ada King' WHERE id = $1",
        id,
    )
    .await;

    assert_eq!(names(db.pool(), id).await, names_of("Ada King", None, None));
}

#[tokio::test]
async fn v1_update_that_keeps_full_name_keeps_the_v2_names() {
    let db = TestDatabase::new().await;
    let id = v1_member(db.pool(), "Mary Ann Smith", false).await;
    update(
        db.pool(),
        "UPDATE manager.members SET given_name = 'Mary Ann', family_name = 'Smith' WHERE id = $1",
        id,
    )
    .await;

    update(db.pool(), "UPDATE manager.members SET full_name = 'Mary Ann Smith', email = 'x@example.org' WHERE id = $1", id).await;

    assert_eq!(
        names(db.pool(), id).await,
        names_of("Mary Ann Smith", Some("Mary Ann"), Some("Smith"))
    );
}

#[tokio::test]
async fn v2_update_setting_all_three_names_keeps_the_given_ones() {
    let db = TestDatabase::new().await;
    let id = v1_member(db.pool(), "Grace Brewster", false).await;

    update(
        db.pool(),
        "UPDATE manager.members SET full_name = 'Grace Hopper', given_name = 'Grace', family_name = 'Hopper' WHERE id = $1",
        id,
    )
    .await;

    assert_eq!(
        names(db.pool(), id).await,
        names_of("Grace Hopper", Some("Grace"), Some("Hopper"))
    );
}

#[tokio::test]
async fn inserts_without_status_get_the_status_matching_archived() {
    let db = TestDatabase::new().await;
    let active = v1_member(db.pool(), "Active One", false).await;
    let archived = v1_member(db.pool(), "Archived One", true).await;
    assert_eq!(status(db.pool(), active).await, ("active".into(), false));
    assert_eq!(status(db.pool(), archived).await, ("archived".into(), true));
}

#[tokio::test]
async fn v1_archived_toggles_sync_the_status_and_leave_suspended_alone() {
    let db = TestDatabase::new().await;
    let id = v1_member(db.pool(), "Alan Turing", false).await;
    let set = |sql| update(db.pool(), sql, id);

    set("UPDATE manager.members SET archived = true WHERE id = $1").await;
    assert_eq!(status(db.pool(), id).await, ("archived".into(), true));
    set("UPDATE manager.members SET archived = false WHERE id = $1").await;
    assert_eq!(status(db.pool(), id).await, ("active".into(), false));

    set("UPDATE manager.members SET status = 'suspended' WHERE id = $1").await;
    set("UPDATE manager.members SET email = 'new@example.org' WHERE id = $1").await;
    set("UPDATE manager.members SET archived = false WHERE id = $1").await;
    assert_eq!(
        status(db.pool(), id).await,
        ("suspended".into(), false),
        "archived untouched"
    );

    set("UPDATE manager.members SET archived = true WHERE id = $1").await;
    assert_eq!(status(db.pool(), id).await, ("archived".into(), true));
}

#[tokio::test]
async fn updated_at_strictly_increases_on_every_update_even_in_one_transaction() {
    let db = TestDatabase::new().await;
    let id = v1_member(db.pool(), "Edsger Dijkstra", false).await;
    let sql = "UPDATE manager.members SET updated_at = now() WHERE id = $1 RETURNING updated_at";
    let mut tx = db.pool().begin().await.unwrap();
    let mut stamps = Vec::new();
    for _ in 0..3 {
        let stamp: time::OffsetDateTime = sqlx::query_scalar(sql)
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        stamps.push(stamp);
    }
    tx.commit().await.unwrap();
    assert!(stamps.windows(2).all(|w| w[0] < w[1]), "{stamps:?}");
}

#[tokio::test]
async fn the_v2_checks_are_validated_and_enforced() {
    let db = TestDatabase::new().await;
    let id = v1_member(db.pool(), "Barbara Liskov", false).await;
    let violations = [
        (
            "UPDATE manager.members SET status = 'archived' WHERE id = $1",
            "members_status_matches_archived",
        ),
        (
            "UPDATE manager.members SET status = 'gone' WHERE id = $1",
            "members_status_valid",
        ),
        (
            "UPDATE manager.members SET given_name = 'Barbara' WHERE id = $1",
            "members_names_paired",
        ),
        (
            "UPDATE manager.members SET full_name = repeat('x', 202) WHERE id = $1",
            "members_full_name_length_v2",
        ),
    ];
    for (sql, constraint) in violations {
        let error = sqlx::query(sql)
            .bind(id)
            .execute(db.pool())
            .await
            .expect_err(sql);
        let error = error.as_database_error().expect("database error");
        assert_eq!(
            (error.code().as_deref(), error.constraint()),
            (Some("23514"), Some(constraint))
        );
    }
    update(
        db.pool(),
        "UPDATE manager.members SET full_name = repeat('x', 201) WHERE id = $1",
        id,
    )
    .await;
    let unvalidated: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_constraint WHERE conrelid = 'manager.members'::regclass AND NOT convalidated",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(unvalidated, 0);
}
