//! `verify` finds each kind of drift a contract step would trip on, seeded
//! as the owner (bypassing the service), and writes nothing itself.

use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use crate::support::{empty_database, run};

/// Seeds a member row as the owner; names `None` leaves them NULL.
async fn member(
    owner: &mut PgConnection,
    team: Uuid,
    full_name: &str,
    names: Option<(&str, &str)>,
    status: &str,
    archived: bool,
) -> Uuid {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO manager.members
             (id, team_id, full_name, email, given_name, family_name, status, archived)
         VALUES ($1, $2, $3, $1::text || '@example.org', $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(team)
    .bind(full_name)
    .bind(names.map(|(given, _)| given))
    .bind(names.map(|(_, family)| family))
    .bind(status)
    .bind(archived)
    .execute(owner)
    .await
    .expect("seed a member");
    id
}

#[tokio::test]
async fn verify_reports_every_kind_of_drift_and_passes_only_a_clean_database() {
    let url = empty_database().await;
    let env = [("DATABASE_URL", url.as_str())];
    let up = run(&["up"], &env).await;
    assert_eq!(up.code, Some(0), "{}", up.output);
    let clean = run(&["verify"], &env).await;
    assert_eq!(clean.code, Some(0), "{}", clean.output);
    assert!(
        clean
            .output
            .contains("clean: a contract step would lose nothing"),
        "{}",
        clean.output
    );

    let mut owner = PgConnection::connect(&url).await.expect("owner");
    let team = Uuid::now_v7();
    sqlx::query("INSERT INTO manager.teams (id, name) VALUES ($1, 'Drift')")
        .bind(team)
        .execute(&mut owner)
        .await
        .unwrap();
    member(
        &mut owner,
        team,
        "Ada Lovelace",
        Some(("Ada", "Lovelace")),
        "active",
        false,
    )
    .await;
    member(
        &mut owner,
        team,
        "Mary Ann Smith",
        Some(("Mary Ann", "Smith")),
        "archived",
        true,
    )
    .await;
    let not_backfilled = member(&mut owner, team, "Grace Hopper", None, "active", false).await;
    let renamed = member(
        &mut owner,
        team,
        "Alan Turing",
        Some(("Alonzo", "Church")),
        "active",
        false,
    )
    .await;
    // A status that contradicts archived needs the check gone; it comes
    // back NOT VALID, as an interrupted expand step would leave it.
    sqlx::raw_sql("ALTER TABLE manager.members DROP CONSTRAINT members_status_matches_archived")
        .execute(&mut owner)
        .await
        .unwrap();
    let contradicting = member(
        &mut owner,
        team,
        "Edsger Dijkstra",
        Some(("Edsger", "Dijkstra")),
        "active",
        true,
    )
    .await;
    sqlx::raw_sql(
        "ALTER TABLE manager.members ADD CONSTRAINT members_status_matches_archived
             CHECK (status IS NULL OR (status = 'archived') = archived) NOT VALID",
    )
    .execute(&mut owner)
    .await
    .unwrap();
    // A concurrent index build that fails (duplicates) leaves the index INVALID.
    let failed = sqlx::raw_sql(
        "CREATE UNIQUE INDEX CONCURRENTLY members_drift_idx ON manager.members (team_id)",
    )
    .execute(&mut owner)
    .await;
    assert!(failed.is_err(), "the unique build fails on duplicates");

    let drift = run(&["verify", "--batch-size", "2"], &env).await;
    assert_eq!(drift.code, Some(6), "{}", drift.output);
    let text = &drift.output;
    assert!(text.contains("verified 5 member row(s)"), "{text}");
    assert!(
        text.contains(&format!(
            "not backfilled (run `backfill`): 1 (e.g. {not_backfilled})"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "status disagrees with archived: 1 (e.g. {contradicting})"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "names disagree with full_name: 1 (e.g. {renamed})"
        )),
        "{text}"
    );
    assert!(
        text.contains(
            "constraints NOT VALID (run `up`): manager.members.members_status_matches_archived"
        ),
        "{text}"
    );
    assert!(text.contains("manager.members_drift_idx"), "{text}");
    assert!(text.contains("NOT clean"), "{text}");

    let json = run(&["verify", "--json"], &env).await;
    assert_eq!(json.code, Some(6), "{}", json.output);
    let line = json
        .output
        .lines()
        .find(|line| line.starts_with('{'))
        .expect("a JSON line");
    let report: serde_json::Value = serde_json::from_str(line).expect("JSON");
    assert_eq!(report["clean"], false);
    assert_eq!(report["rows_scanned"], 5);
    assert_eq!(report["not_backfilled"]["count"], 1);
    assert_eq!(
        report["not_backfilled"]["examples"][0],
        not_backfilled.to_string()
    );
    assert_eq!(report["names_disagree"]["examples"][0], renamed.to_string());
    assert_eq!(report["status_disagrees"]["count"], 1);
    assert_eq!(report["invalid_indexes"][0], "manager.members_drift_idx");

    let still: Option<String> =
        sqlx::query_scalar("SELECT given_name FROM manager.members WHERE id = $1")
            .bind(not_backfilled)
            .fetch_one(&mut owner)
            .await
            .unwrap();
    assert_eq!(still, None, "verify writes nothing");
    owner.close().await.unwrap();
}
