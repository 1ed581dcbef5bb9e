//! The database under test: a throwaway server from the project's launcher
//! (or a server given by `DATABASE_URL`), with `pg_stat_statements` loaded,
//! a database migrated by `dbrepo_migrations::up` as the owner, and the
//! DML-only login dbrepo connects as, exactly as in production.

use anyhow::{Context, bail};
use dbrepo_dev_postgres::{PostgresServer, StartOptions};
use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection, PgPool};

/// A prepared database; [`Database::cleanup`] removes what it created.
pub struct Database {
    server: Option<PostgresServer>,
    /// Superuser on the server's maintenance database.
    admin_url: String,
    /// Owner (superuser) on the bench database.
    pub owner_url: String,
    /// The DML-only login on the bench database.
    pub service_url: String,
    /// The bench database's name.
    pub name: String,
    /// The DML-only login's name.
    pub service_role: String,
}

impl Database {
    /// Starts or connects, creates the database and login, migrates.
    pub async fn start(database_url: Option<&str>) -> anyhow::Result<Self> {
        let suffix = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
        let (server, admin_url) = match database_url {
            Some(url) => (None, url.to_owned()),
            None => {
                let server = PostgresServer::start(launcher_options()).await?;
                let url = server.superuser_url();
                (Some(server), url)
            }
        };
        let db = Self {
            owner_url: with_database(&admin_url, &format!("dbrepo_bench_{suffix}")),
            service_url: String::new(),
            name: format!("dbrepo_bench_{suffix}"),
            service_role: format!("dbrepo_bench_svc_{suffix}"),
            admin_url,
            server,
        };
        db.prepare().await
    }

    async fn prepare(mut self) -> anyhow::Result<Self> {
        let mut admin = PgConnection::connect(&self.admin_url)
            .await
            .context("connecting as the owner")?;
        let preload: String =
            sqlx::query_scalar("SELECT current_setting('shared_preload_libraries')")
                .fetch_one(&mut admin)
                .await?;
        if !preload.contains("pg_stat_statements") {
            bail!("the server must preload pg_stat_statements (shared_preload_libraries)");
        }
        let create = format!("CREATE DATABASE {}", self.name);
        admin.execute(AssertSqlSafe(create)).await?;
        let password = uuid::Uuid::new_v4().simple().to_string();
        let role = format!(
            "CREATE ROLE {0} LOGIN PASSWORD '{password}'; GRANT dbrepo_dml TO {0}",
            self.service_role
        );
        let owner = self.owner_pool().await?;
        let migrated = dbrepo_migrations::up(&owner).await;
        if migrated.is_err() {
            owner.close().await; // releases the migrator's lock
        }
        migrated.context("migrating the bench database")?;
        owner.execute(AssertSqlSafe(role)).await?;
        owner
            .execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            .await?;
        owner.close().await;
        admin.close().await?;
        self.service_url = with_user(&self.owner_url, &self.service_role, &password);
        Ok(self)
    }

    /// A pool of the owner on the bench database, with the migrator's settings.
    pub async fn owner_pool(&self) -> anyhow::Result<PgPool> {
        let settings = dbrepo_migrations::ConnectSettings::default();
        let url = dbrepo_migrations::DatabaseUrl::parse(&self.owner_url)?;
        Ok(dbrepo_migrations::connect(&url, &settings).await?)
    }

    /// Creates and migrates another database on the same server (for
    /// measurements that need a table of their own); returns an owner pool.
    pub async fn create_scratch(&self, name: &str) -> anyhow::Result<PgPool> {
        let mut admin = PgConnection::connect(&self.admin_url).await?;
        admin
            .execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await?;
        admin.close().await?;
        let settings = dbrepo_migrations::ConnectSettings::default();
        let url = dbrepo_migrations::DatabaseUrl::parse(&with_database(&self.admin_url, name))?;
        let owner = dbrepo_migrations::connect(&url, &settings).await?;
        let migrated = dbrepo_migrations::up(&owner).await;
        if migrated.is_err() {
            owner.close().await; // releases the migrator's lock
        }
        migrated?;
        Ok(owner)
    }

    /// Drops a database made by [`Self::create_scratch`].
    pub async fn drop_scratch(&self, name: &str) -> anyhow::Result<()> {
        let mut admin = PgConnection::connect(&self.admin_url).await?;
        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        admin.execute(AssertSqlSafe(sql)).await?;
        Ok(admin.close().await?)
    }

    /// The server's binaries, when the launcher started it.
    pub fn bin_dir(&self) -> Option<&std::path::Path> {
        self.server.as_ref().and_then(|s| s.bin_dir())
    }

    /// Drops the database and login (a given server), or stops the
    /// throwaway server.
    pub async fn cleanup(self) -> anyhow::Result<()> {
        if let Some(server) = self.server {
            return Ok(server.stop()?);
        }
        let mut admin = PgConnection::connect(&self.admin_url).await?;
        let drop_db = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        admin.execute(AssertSqlSafe(drop_db)).await?;
        let drop_role = format!("DROP ROLE IF EXISTS {}", self.service_role);
        admin.execute(AssertSqlSafe(drop_role)).await?;
        Ok(admin.close().await?)
    }
}

/// The launcher's settings for the bench: fast (durability off, for dbrepo
/// and pgbench alike) and with `pg_stat_statements` loaded.
fn launcher_options() -> StartOptions {
    StartOptions {
        settings: vec![(
            "shared_preload_libraries".into(),
            "pg_stat_statements".into(),
        )],
        ..StartOptions::for_tests()
    }
}

/// `url` with its database (path) replaced.
pub fn with_database(url: &str, database: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let (authority, tail) = rest.split_once('/').unwrap_or((rest, ""));
    let query = tail.split_once('?').map(|(_, q)| format!("?{q}"));
    format!(
        "{scheme}://{authority}/{database}{}",
        query.unwrap_or_default()
    )
}

/// `url` with its host and port replaced by `address`.
pub fn with_address(url: &str, address: std::net::SocketAddr) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let (userinfo, host) = rest.rsplit_once('@').map_or(("", rest), |(u, h)| (u, h));
    let path = host.find(['/', '?']).map_or("", |at| &host[at..]);
    let at = if userinfo.is_empty() { "" } else { "@" };
    format!("{scheme}://{userinfo}{at}{address}{path}")
}

/// `url` with its user and password replaced (both URL-safe here).
fn with_user(url: &str, user: &str, password: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    format!("{scheme}://{user}:{password}@{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_urls() {
        let url = "postgres://a:b@h:5/db?sslmode=disable";
        assert_eq!(
            with_database(url, "x"),
            "postgres://a:b@h:5/x?sslmode=disable"
        );
        assert_eq!(
            with_user(url, "u", "p"),
            "postgres://u:p@h:5/db?sslmode=disable"
        );
        let address = "127.0.0.1:9".parse().unwrap();
        assert_eq!(
            with_address(url, address),
            "postgres://a:b@127.0.0.1:9/db?sslmode=disable"
        );
    }
}
