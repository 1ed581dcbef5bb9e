//! The real-database harness: one throwaway server per test process, a
//! template database migrated once, a fresh clone per test.
//!
//! The statics hold the server and plain data, never a pool: every
//! `#[tokio::test]` runs its own runtime and a pool cannot outlive the
//! runtime that opened its connections. The server outlives every test and
//! is stopped at process exit by `dbrepo_dev_postgres`'s exit hook
//! and watchdogs.
//!
//! Set `DBREPO_KEEP_TEST_DB=1` to keep each test's database (its URL is
//! printed) and the server running after the tests, for a post-mortem.

use std::time::Duration;

use dbrepo_dev_postgres::{PostgresServer, StartOptions};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection, PgPool};
use tokio::sync::OnceCell;

/// The database every test database is cloned from.
pub const TEMPLATE: &str = "dbrepo_template";
/// The service's runtime login: member of `dbrepo_dml`, DML only.
pub const SERVICE_ROLE: &str = "dbrepo_service";
/// The superuser of the test server.
pub const SUPERUSER: &str = dbrepo_dev_postgres::SUPERUSER;

/// The test process's server and what was set up on it once.
pub struct Cluster {
    server: PostgresServer,
    service_password: String,
}

static CLUSTER: OnceCell<Cluster> = OnceCell::const_new();

/// The shared server, started, templated and given the service login on
/// first use. Panics (the test fails) when no PostgreSQL can be had.
pub async fn cluster() -> &'static Cluster {
    CLUSTER.get_or_init(Cluster::start).await
}

fn keep_databases() -> bool {
    std::env::var("DBREPO_KEEP_TEST_DB").is_ok_and(|v| v == "1")
}

impl Cluster {
    async fn start() -> Self {
        let keep = keep_databases();
        let options = StartOptions {
            keep_data_dir: keep,
            stop_with_process: !keep,
            ..StartOptions::for_tests()
        };
        let server = PostgresServer::start(options)
            .await
            .unwrap_or_else(|error| panic!("cannot run the real-database tests: {error}"));
        let cluster = Self {
            server,
            service_password: uuid::Uuid::new_v4().simple().to_string(),
        };
        cluster.prepare().await;
        cluster
    }

    /// Migrates the template as the owner, then creates the service login
    /// (the migration creates the `dbrepo_dml` group it joins).
    async fn prepare(&self) {
        let mut admin = self.superuser_connection("postgres").await;
        admin
            .execute(AssertSqlSafe(format!("CREATE DATABASE {TEMPLATE}")))
            .await
            .expect("create the template database");
        let owner = self.owner_pool(TEMPLATE).await;
        dbrepo_migrations::up(&owner)
            .await
            .expect("migrate the template");
        owner.close().await;
        let role = format!(
            "CREATE ROLE {SERVICE_ROLE} LOGIN PASSWORD '{}'; GRANT dbrepo_dml TO {SERVICE_ROLE}",
            self.service_password
        );
        admin
            .execute(AssertSqlSafe(role))
            .await
            .expect("create the service login");
        admin.close().await.expect("close the admin connection");
    }

    /// The server itself.
    pub fn server(&self) -> &PostgresServer {
        &self.server
    }

    /// URL of the superuser (the owner of every test database) on `database`.
    pub fn owner_url(&self, database: &str) -> String {
        let password = self.server.superuser_password();
        self.server.url_for(database, SUPERUSER, password)
    }

    /// URL of the service login on `database`.
    pub fn service_url(&self, database: &str) -> String {
        self.server
            .url_for(database, SERVICE_ROLE, &self.service_password)
    }

    /// A pool of the owner on `database`, with the migrator's session
    /// timeouts (what the migrations binary would use).
    pub async fn owner_pool(&self, database: &str) -> PgPool {
        let settings = dbrepo_migrations::ConnectSettings::default();
        let url = dbrepo_migrations::DatabaseUrl::parse(&self.owner_url(database)).expect("url");
        dbrepo_migrations::connect(&url, &settings)
            .await
            .expect("connect as the owner")
    }

    /// One superuser connection on `database`.
    pub async fn superuser_connection(&self, database: &str) -> PgConnection {
        PgConnection::connect(&self.owner_url(database))
            .await
            .expect("connect as the superuser")
    }
}

/// A database of its own for one test, dropped (`WITH (FORCE)`) on drop.
pub struct TestDatabase {
    name: String,
    pool: PgPool,
    cluster: &'static Cluster,
}

impl TestDatabase {
    /// A clone of the fully migrated template, connected as the service.
    pub async fn new() -> Self {
        Self::create(TEMPLATE).await
    }

    /// An empty database (no migrations, no `_sqlx_migrations`).
    pub async fn unmigrated() -> Self {
        Self::create("template0").await
    }

    /// A database migrated up to and including `version` only.
    pub async fn migrated_to(version: i64) -> Self {
        let db = Self::unmigrated().await;
        let owner = db.owner_pool().await;
        dbrepo_migrations::up_to(&owner, version)
            .await
            .expect("partial migration");
        owner.close().await;
        db
    }

    async fn create(template: &str) -> Self {
        let cluster = cluster().await;
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = cluster.superuser_connection("postgres").await;
        let sql = format!("CREATE DATABASE {name} TEMPLATE {template}");
        admin
            .execute(AssertSqlSafe(sql))
            .await
            .expect("create the test database");
        admin.close().await.expect("close the admin connection");
        let options: PgConnectOptions = cluster.service_url(&name).parse().expect("service url");
        let pool = PgPoolOptions::new()
            .max_connections(5)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .expect("connect as the service login");
        Self {
            name,
            pool,
            cluster,
        }
    }

    /// The service login's pool (DML only, like production).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// A new pool of service sessions on this database (the service login,
    /// like production), for the stores under test.
    pub fn sessions(&self) -> dbrepo::io::db::Sessions {
        let options: PgConnectOptions = self.service_url().parse().expect("service url");
        dbrepo::io::db::Sessions::new(options, 5, Duration::from_secs(10))
    }

    /// A new owner pool on this database, for tests that need DDL or to
    /// run migrations. Close it before the test ends.
    pub async fn owner_pool(&self) -> PgPool {
        self.cluster.owner_pool(&self.name).await
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// URL of the service login on this database.
    pub fn service_url(&self) -> String {
        self.cluster.service_url(&self.name)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if keep_databases() {
            eprintln!("kept test database: {}", self.cluster.owner_url(&self.name));
            return;
        }
        // Drop runs outside any async context we could await in, so the
        // DROP gets a thread and a small runtime of its own.
        let url = self.cluster.owner_url("postgres");
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut conn = PgConnection::connect(&url).await?;
                conn.execute(AssertSqlSafe(sql)).await?;
                conn.close().await
            })?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}

/// A normalised description of the schema: schemas, relations and their
/// privileges (a NULL ACL spelled out as the owner's default, which it
/// means), columns, constraints, indexes, triggers, functions and
/// default privileges, each line sorted.
///
/// Columns are numbered by their position among the live columns, as
/// `pg_dump` prints them: a dropped column keeps its `attnum` slot for
/// good, so columns re-added by an up after a down get higher `attnum`s
/// than on a fresh database while the table is the same.
pub async fn snapshot(pool: &PgPool) -> Vec<String> {
    const OURS: &str = "n.nspname IN ('manager', 'app') \
        OR (n.nspname = 'public' AND c.relname = '_sqlx_migrations')";
    let queries = [
        "SELECT format('schema %s owner %s acl %s', n.nspname, n.nspowner::regrole, \
         coalesce(n.nspacl, acldefault('n', n.nspowner))) \
         FROM pg_namespace n WHERE n.nspname IN ('manager', 'app', 'public')"
            .to_owned(),
        format!(
            "SELECT format('relation %s.%s kind %s acl %s', n.nspname, c.relname, c.relkind, \
             coalesce(c.relacl, acldefault('r', c.relowner))) \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {OURS}"
        ),
        format!(
            "SELECT format('column %s.%s %s %s %s not null %s default %s', n.nspname, c.relname, \
             row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum), a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid)) \
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
             WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind = 'r' AND ({OURS})"
        ),
        format!(
            "SELECT format('constraint %s.%s %s %s valid %s', n.nspname, c.relname, k.conname, \
             pg_get_constraintdef(k.oid), k.convalidated) FROM pg_constraint k \
             JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {OURS}"
        ),
        format!(
            "SELECT format('index %s valid %s', pg_get_indexdef(i.indexrelid), i.indisvalid) FROM pg_index i \
             JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {OURS}"
        ),
        format!(
            "SELECT format('trigger %s enabled %s', pg_get_triggerdef(t.oid), t.tgenabled) FROM pg_trigger t \
             JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE NOT t.tgisinternal AND ({OURS})"
        ),
        "SELECT format('function %s acl %s', pg_get_functiondef(p.oid), \
         coalesce(p.proacl, acldefault('f', p.proowner))) FROM pg_proc p \
         JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname IN ('manager', 'app')"
            .to_owned(),
        "SELECT format('default acl %s %s %s %s', d.defaclrole::regrole, d.defaclnamespace::regnamespace, \
         d.defaclobjtype, d.defaclacl) FROM pg_default_acl d"
            .to_owned(),
    ];
    let mut lines = Vec::new();
    for sql in queries {
        let rows: Vec<String> = sqlx::query_scalar(AssertSqlSafe(sql))
            .fetch_all(pool)
            .await
            .unwrap();
        let mut rows = rows;
        rows.sort();
        lines.extend(rows);
    }
    lines
}

/// The service's PostgreSQL stores over `sessions`, wired as `main.rs`
/// wires them.
pub fn pg_stores(
    sessions: &dbrepo::io::db::Sessions,
) -> (
    std::sync::Arc<dbrepo::io::db::PgManagerStore>,
    std::sync::Arc<dbrepo::io::db::PgTaskStore>,
) {
    (
        std::sync::Arc::new(dbrepo::io::db::PgManagerStore::new(sessions.clone())),
        std::sync::Arc::new(dbrepo::io::db::PgTaskStore::new(sessions.clone())),
    )
}

/// The real tonic server over [`pg_stores`] of `sessions`, with a client
/// per published service.
pub async fn pg_server(sessions: &dbrepo::io::db::Sessions) -> dbrepo_testkit::served::TestServer {
    let (manager, tasks) = pg_stores(sessions);
    dbrepo_testkit::served::TestServer::serve(manager, tasks).await
}
