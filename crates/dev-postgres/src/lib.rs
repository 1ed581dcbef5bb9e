//! A throwaway PostgreSQL server for dbrepo's tests and benchmark, for CI
//! scripts (the `dbrepo-dev-postgres` binary) and, as [`DevDatabase`]
//! (migrated, with a DML-only login), for `cargo run` without a
//! `DATABASE_URL`. Development tooling only: the production image builds
//! dbrepo without it.
//!
//! [`PostgresServer::start`] tries, in order:
//! 1. a Docker-compatible engine, if one answers at `DOCKER_HOST` or the
//!    default socket (testcontainers, image `postgres:15`; podman's API
//!    service will do); detection fails in about a millisecond when there
//!    is none;
//! 2. the local server binaries (`pg_config --bindir`, then
//!    `/usr/lib/postgresql/*/bin`, newest first): `initdb` into a temporary
//!    directory and `pg_ctl start` on a free port of 127.0.0.1. As root the
//!    binaries run as the `postgres` OS user, because PostgreSQL refuses to
//!    run as root;
//! 3. otherwise it fails with [`ServerError::Unavailable`], whose message
//!    says how to get one.
//!
//! TCP logins use SCRAM passwords; the superuser `postgres` gets a random
//! password. The server stops on [`PostgresServer::stop`] or on drop. Tests
//! keep the server in a process-wide static whose `Drop` never runs, so by
//! default the server is also tied to the process (see
//! [`StartOptions::stop_with_process`]): an exit hook stops it on a normal
//! exit. When the process dies in another way, a local server is stopped
//! by a watchdog process; a container is removed on SIGINT, SIGTERM or
//! SIGQUIT with the `watchdog` feature (the tests enable it), but a process
//! killed outright (SIGKILL, abort) leaves it running, labelled
//! `dbrepo.dev-postgres=<pid>`.

mod binaries;
mod dev_database;
mod docker;
mod exit_guard;
mod local;

use std::path::{Path, PathBuf};

pub use dev_database::{DevDatabase, DevDatabaseError};
use exit_guard::ExitGuard;

/// How to start a [`PostgresServer`].
#[derive(Debug, Clone)]
pub struct StartOptions {
    /// Trade durability for speed (a local server: `fsync`,
    /// `synchronous_commit` and `full_page_writes` off; a container:
    /// `fsync` off): for tests, never for data that matters.
    pub unsafe_fast: bool,
    /// Keep the data directory after stopping (for post-mortems).
    pub keep_data_dir: bool,
    /// Use the server binaries in this directory instead of searching.
    pub bin_dir: Option<PathBuf>,
    /// Stop the server when this process exits, however it exits.
    pub stop_with_process: bool,
    /// Extra `postgresql.conf` settings, e.g.
    /// `("shared_preload_libraries", "pg_stat_statements")`; values are
    /// written single-quoted. Local binaries only: when non-empty the
    /// Docker engine is not tried.
    pub settings: Vec<(String, String)>,
    /// Which backend to use; `None` tries a container engine, then the
    /// local binaries. The default comes from [`BACKEND_VARIABLE`].
    pub backend: Option<Backend>,
}

/// The environment variable that pins the backend: `container` or
/// `local`. CI pins it, so that a run meant to use containers cannot
/// quietly fall back to the local binaries.
pub const BACKEND_VARIABLE: &str = "DBREPO_POSTGRES_BACKEND";

impl Default for StartOptions {
    fn default() -> Self {
        Self {
            backend: std::env::var(BACKEND_VARIABLE)
                .ok()
                .and_then(|name| Backend::from_name(&name)),
            unsafe_fast: false,
            keep_data_dir: false,
            bin_dir: None,
            stop_with_process: true,
            settings: Vec::new(),
        }
    }
}

impl StartOptions {
    /// The settings for test suites: fast and gone with the process.
    pub fn for_tests() -> Self {
        Self {
            unsafe_fast: true,
            ..Self::default()
        }
    }
}

/// How quickly a server stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StopMode {
    /// Disconnect clients, checkpoint, exit (`pg_ctl stop -m fast`).
    Fast,
    /// Exit at once without a checkpoint (`-m immediate`); fine for tests.
    Immediate,
}

/// Why a server could not be started or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Neither a Docker engine nor local server binaries are available.
    #[error(
        "no PostgreSQL server available: install the PostgreSQL server binaries \
         (e.g. `apt-get install postgresql`), or start a Docker engine, or set \
         DATABASE_URL to an existing database (docker: {docker}; local: {local})"
    )]
    Unavailable {
        /// Why Docker could not be used.
        docker: String,
        /// Why no local binaries were found.
        local: String,
    },
    /// A server program failed; `output` holds what it printed.
    #[error("{program} failed: {output}")]
    Program {
        /// The program or step that failed.
        program: String,
        /// Its output or the tail of the server log.
        output: String,
    },
    /// A file-system or process-spawning error.
    #[error("{action}")]
    Io {
        /// What was being done.
        action: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

/// Which kind of server a [`PostgresServer`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A container of a Docker-compatible engine.
    Docker,
    /// A server started from local binaries.
    Local,
}

impl Backend {
    /// `container` or `local`, as [`BACKEND_VARIABLE`] spells them.
    fn from_name(name: &str) -> Option<Self> {
        match name {
            "container" => Some(Self::Docker),
            "local" => Some(Self::Local),
            _ => None,
        }
    }
}

/// A running throwaway PostgreSQL server on 127.0.0.1; stops on drop.
#[derive(Debug)]
pub struct PostgresServer {
    inner: Inner,
    port: u16,
    password: String,
    guard: Option<ExitGuard>,
}

#[derive(Debug)]
enum Inner {
    Docker(docker::DockerServer),
    Local(local::LocalServer),
    Stopped,
}

/// The superuser of every server started here.
pub const SUPERUSER: &str = "postgres";

impl PostgresServer {
    /// Starts a server as described in the module documentation.
    pub async fn start(options: StartOptions) -> Result<Self, ServerError> {
        if let Ok(name) = std::env::var(BACKEND_VARIABLE)
            && Backend::from_name(&name).is_none()
        {
            return Err(ServerError::Program {
                program: BACKEND_VARIABLE.into(),
                output: format!("{name:?} is neither \"container\" nor \"local\""),
            });
        }
        let password = uuid::Uuid::new_v4().simple().to_string();
        let docker_error = if options.backend == Some(Backend::Local) {
            format!("not tried: {BACKEND_VARIABLE}=local")
        } else if !options.settings.is_empty() {
            "not tried: server settings need the local binaries".to_owned()
        } else {
            match docker::DockerServer::start(&password, options.unsafe_fast).await {
                Ok((server, port)) => return Ok(Self::docker(server, port, password, &options)),
                Err(error) if options.backend == Some(Backend::Docker) => {
                    return Err(ServerError::Program {
                        program: format!("a container ({BACKEND_VARIABLE}=container)"),
                        output: error,
                    });
                }
                Err(error) => error,
            }
        };
        let local_options = options.clone();
        let pw = password.clone();
        let started =
            tokio::task::spawn_blocking(move || local::LocalServer::start(&local_options, &pw))
                .await
                .map_err(|e| ServerError::Io {
                    action: "starting postgres".into(),
                    source: std::io::Error::other(e),
                })?;
        match started {
            Ok(server) => Self::local(server, password, &options),
            Err(local::StartFailure::NoBinaries(local)) => Err(ServerError::Unavailable {
                docker: docker_error,
                local,
            }),
            Err(local::StartFailure::Failed(error)) => Err(error),
        }
    }

    fn docker(server: docker::DockerServer, port: u16, password: String, o: &StartOptions) -> Self {
        let guard = o.stop_with_process.then(|| server.exit_guard()).flatten();
        Self {
            inner: Inner::Docker(server),
            port,
            password,
            guard,
        }
    }

    fn local(
        server: local::LocalServer,
        password: String,
        o: &StartOptions,
    ) -> Result<Self, ServerError> {
        let guard = if o.stop_with_process {
            Some(server.exit_guard()?)
        } else {
            None
        };
        Ok(Self {
            port: server.port(),
            inner: Inner::Local(server),
            password,
            guard,
        })
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether the server runs in Docker or from local binaries.
    pub fn backend(&self) -> Backend {
        match self.inner {
            Inner::Docker(_) => Backend::Docker,
            _ => Backend::Local,
        }
    }

    /// The local server binaries' directory (`None` for Docker).
    pub fn bin_dir(&self) -> Option<&Path> {
        match &self.inner {
            Inner::Local(server) => Some(server.bin_dir()),
            _ => None,
        }
    }

    /// The data directory of a local server (`None` for Docker).
    pub fn data_dir(&self) -> Option<&Path> {
        match &self.inner {
            Inner::Local(server) => Some(server.data_dir()),
            _ => None,
        }
    }

    /// Everything the server has logged so far: its log file, or the
    /// container's output.
    pub fn log(&self) -> Result<String, ServerError> {
        match &self.inner {
            Inner::Local(server) => server.log(),
            Inner::Docker(server) => server.log(),
            Inner::Stopped => Ok(String::new()),
        }
    }

    /// The superuser's password (random per server).
    pub fn superuser_password(&self) -> &str {
        &self.password
    }

    /// URL of the superuser on the `postgres` database.
    pub fn superuser_url(&self) -> String {
        self.url_for("postgres", SUPERUSER, &self.password)
    }

    /// URL of `user` with `password` on `database`, all percent-encoded.
    pub fn url_for(&self, database: &str, user: &str, password: &str) -> String {
        format!(
            "postgres://{}:{}@127.0.0.1:{}/{}",
            encode(user),
            encode(password),
            self.port,
            encode(database)
        )
    }

    /// Stops the server fast and removes its data (unless kept).
    pub fn stop(mut self) -> Result<(), ServerError> {
        self.shutdown(StopMode::Fast)
    }

    fn shutdown(&mut self, mode: StopMode) -> Result<(), ServerError> {
        // Disarm first: the watchdog must not act on a server stopped here.
        drop(self.guard.take());
        match std::mem::replace(&mut self.inner, Inner::Stopped) {
            Inner::Docker(server) => server.stop(),
            Inner::Local(server) => server.stop(mode),
            Inner::Stopped => Ok(()),
        }
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        if let Err(error) = self.shutdown(StopMode::Fast) {
            tracing::warn!(%error, "could not stop the throwaway postgres server");
        }
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::encode;

    #[test]
    fn encodes_url_parts() {
        assert_eq!(encode("a b@c:d/é"), "a%20b%40c%3Ad%2F%C3%A9");
        assert_eq!(encode("dbrepo_service"), "dbrepo_service");
    }
}
