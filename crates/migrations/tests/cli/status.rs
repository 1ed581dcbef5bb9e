//! `status` exits with a code per state, so a rollout can be gated on it.

use sqlx::{Connection, PgConnection};

use crate::support::{empty_database, run};

async fn status(url: &str) -> (Option<i32>, String) {
    let run = run(&["status"], &[("DATABASE_URL", url)]).await;
    (run.code, run.output)
}

#[tokio::test]
async fn status_exit_codes_tell_pending_current_drifted_and_unknown_newer_apart() {
    let url = empty_database().await;
    let (code, output) = status(&url).await;
    assert_eq!(
        code,
        Some(3),
        "a fresh database has pending steps: {output}"
    );

    let up = run(&["up"], &[("DATABASE_URL", &url)]).await;
    assert_eq!(up.code, Some(0), "{}", up.output);
    let (code, output) = status(&url).await;
    assert_eq!(code, Some(0), "up to date: {output}");

    let mut owner = PgConnection::connect(&url).await.expect("owner");
    let applied: Vec<u8> =
        sqlx::query_scalar("SELECT checksum FROM _sqlx_migrations WHERE version = 2")
            .fetch_one(&mut owner)
            .await
            .unwrap();
    set_checksum(&mut owner, b"edited").await;
    let (code, output) = status(&url).await;
    assert_eq!(code, Some(5), "drift: {output}");
    assert!(output.contains("checksum differs"), "{output}");

    set_checksum(&mut owner, &applied).await;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9999, 'from a newer release', true, '\\x00', 0)",
    )
    .execute(&mut owner)
    .await
    .unwrap();
    let (code, output) = status(&url).await;
    assert_eq!(code, Some(4), "unknown newer: {output}");

    set_checksum(&mut owner, b"edited").await;
    let (code, output) = status(&url).await;
    assert_eq!(code, Some(5), "drift is worse than unknown newer: {output}");
    owner.close().await.unwrap();
}

async fn set_checksum(owner: &mut PgConnection, checksum: &[u8]) {
    sqlx::query("UPDATE _sqlx_migrations SET checksum = $1 WHERE version = 2")
        .bind(checksum)
        .execute(owner)
        .await
        .unwrap();
}

#[tokio::test]
async fn help_lists_the_exit_codes_of_status() {
    for args in [&["--help"][..], &["status", "--help"]] {
        let help = run(args, &[]).await;
        assert_eq!(help.code, Some(0), "{}", help.output);
        for line in [
            "0  up to date",
            "3  pending",
            "4  unknown newer",
            "5  drifted",
        ] {
            assert!(help.output.contains(line), "{line} in {}", help.output);
        }
    }
}
