//! Tests against a real PostgreSQL server.
//!
//! One server per test process (see `support`); every test gets its own
//! database cloned from a migrated template and connects as the service's
//! DML login. Run with `cargo test --test real` (not nextest, which would
//! start a server per test). Without Docker or local PostgreSQL server
//! binaries these tests fail with instructions; they never skip.

mod backfill;
mod end_to_end;
mod failures;
mod interleavings_on_postgres;
mod matrix;
mod migrations;
mod plans;
mod previous_release;
mod secrets;
mod support;

/// A fresh migrated database per test, served to the stores through the
/// DML-only login; the database lives as long as the stores.
async fn pg_backend()
-> dbrepo_testkit::contract::Stores<dbrepo::io::db::PgManagerStore, dbrepo::io::db::PgTaskStore> {
    let database = support::TestDatabase::new().await;
    let (manager, tasks) = support::pg_stores(&database.sessions());
    dbrepo_testkit::contract::Stores::new(manager, tasks).keeping(database)
}

/// The store contract suite, the very one the in-memory fake passes, on
/// real PostgreSQL.
mod pg_contract {
    use super::pg_backend;

    dbrepo_testkit::contract_suite!(pg_backend);
}

/// Input PostgreSQL cannot store, through the real tonic server over
/// PostgreSQL (which refuses it: before the services did, as INTERNAL).
mod pg_unstorable {
    use dbrepo_testkit::served::TestServer;

    use super::support::{TestDatabase, pg_server};

    async fn served() -> (TestServer, TestDatabase) {
        let database = TestDatabase::new().await;
        (pg_server(&database.sessions()).await, database)
    }

    dbrepo_testkit::unstorable_suite!(served);
}

mod postgres_server {
    //! The throwaway server API itself (the suite's shared server is
    //! stopped by the exit hook, so stopping is tested on a second one).

    use dbrepo_dev_postgres::{PostgresServer, StartOptions};
    use sqlx::{Connection, PgConnection};

    #[tokio::test]
    async fn a_server_accepts_the_superuser_and_stop_removes_everything() {
        let server = PostgresServer::start(StartOptions::for_tests())
            .await
            .unwrap_or_else(|error| panic!("{error}"));
        let url = server.superuser_url();
        let data_dir = server.data_dir().map(ToOwned::to_owned);
        let mut conn = PgConnection::connect(&url).await.expect("superuser login");
        let encoding: String = sqlx::query_scalar("SHOW server_encoding")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(encoding, "UTF8");
        conn.close().await.unwrap();
        let wrong = url.replace(server.superuser_password(), "wrong");
        assert!(
            PgConnection::connect(&wrong).await.is_err(),
            "tcp needs the password"
        );

        tokio::task::spawn_blocking(move || server.stop())
            .await
            .unwrap()
            .expect("stop");

        assert!(PgConnection::connect(&url).await.is_err(), "server is gone");
        if let Some(dir) = data_dir {
            assert!(!dir.exists(), "{} removed", dir.display());
        }
    }
}
