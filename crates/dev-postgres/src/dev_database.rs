//! The development default: with no `DATABASE_URL`, `dbrepo` starts a
//! throwaway PostgreSQL, migrates it as the owner, creates a login that holds
//! only the `dbrepo_dml` role, and serves through that login, exactly as a
//! production deployment would (so permission bugs show up in development).

use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection};

use crate::{PostgresServer, SUPERUSER, ServerError, StartOptions};

/// The database that `dbrepo` creates in the throwaway server.
pub const DATABASE: &str = "dbrepo";
/// The service's login in the throwaway server.
pub const SERVICE_LOGIN: &str = "dbrepo_service";

/// A running, migrated throwaway database; stopped when dropped.
#[derive(Debug)]
pub struct DevDatabase {
    server: PostgresServer,
    service_url: String,
}

/// Why the throwaway database could not be made ready.
#[derive(Debug, thiserror::Error)]
pub enum DevDatabaseError {
    /// No server could be started (the message says how to get one).
    #[error(transparent)]
    Server(#[from] ServerError),
    /// Creating the database or the login failed.
    #[error("preparing the throwaway database: {0}")]
    Setup(#[from] sqlx::Error),
    /// Applying the migrations failed.
    #[error("migrating the throwaway database: {0}")]
    Migrate(#[from] dbrepo_migrations::Error),
}

impl DevDatabase {
    /// Starts, migrates and prepares a throwaway database. `keep_data`
    /// keeps its data directory after exit.
    pub async fn start(keep_data: bool) -> Result<Self, DevDatabaseError> {
        let options = StartOptions {
            keep_data_dir: keep_data,
            ..StartOptions::default()
        };
        let server = PostgresServer::start(options).await?;
        let password = uuid::Uuid::new_v4().simple().to_string();
        let mut admin = PgConnection::connect(&server.superuser_url()).await?;
        admin
            .execute(AssertSqlSafe(format!("CREATE DATABASE {DATABASE}")))
            .await?;
        admin.close().await?;

        let owner_url = server.url_for(DATABASE, SUPERUSER, server.superuser_password());
        let owner = sqlx::PgPool::connect(&owner_url).await?;
        let steps = dbrepo_migrations::up(&owner).await;
        if steps.is_err() {
            owner.close().await; // releases the migrator's lock
        }
        steps?; // the migrator logs each step itself
        // The password is random and only ever in this process's memory.
        owner
            .execute(AssertSqlSafe(format!(
                "CREATE ROLE {SERVICE_LOGIN} LOGIN PASSWORD '{password}'; \
                 GRANT dbrepo_dml TO {SERVICE_LOGIN}"
            )))
            .await?;
        owner.close().await;
        let service_url = server.url_for(DATABASE, SERVICE_LOGIN, &password);
        Ok(Self {
            server,
            service_url,
        })
    }

    /// The URL of the DML-only login (holds a password: never log it unmasked).
    pub fn service_url(&self) -> &str {
        &self.service_url
    }

    /// The server, e.g. for its port or data directory.
    pub fn server(&self) -> &PostgresServer {
        &self.server
    }
}
