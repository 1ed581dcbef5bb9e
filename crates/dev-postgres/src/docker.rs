//! The container backend: the `postgres:15` image through testcontainers,
//! against whatever Docker-compatible engine `DOCKER_HOST` (or the default
//! socket) names: Docker, or podman's API service.
//!
//! testcontainers' blocking API is used because its container owns the
//! runtime that drives it: a test suite's static server outlives the
//! runtime of the test that started it, and the exit hook runs on no
//! runtime at all. Its calls block, so they run on a thread of their own,
//! never on a runtime's worker.
//!
//! A normal exit removes the container (the exit hook), and so do SIGINT,
//! SIGTERM and SIGQUIT with the `watchdog` feature; a process killed
//! outright leaves it running, labelled `dbrepo.dev-postgres` for finding.

use std::borrow::Cow;
use std::sync::{Arc, Mutex, PoisonError};

use testcontainers_modules::postgres::Postgres;
use testcontainers_modules::testcontainers::bollard::models::{HostConfig, PortBinding};
use testcontainers_modules::testcontainers::core::{ContainerPort, WaitFor};
use testcontainers_modules::testcontainers::runners::SyncRunner;
use testcontainers_modules::testcontainers::{Container, Image, ImageExt};

use super::ServerError;
use super::exit_guard::ExitGuard;

/// The image tag: the PostgreSQL major version the migrations target.
const TAG: &str = "15";

/// The port PostgreSQL listens on in the container.
const PORT: ContainerPort = ContainerPort::Tcp(5432);

type Shared = Arc<Mutex<Option<Container<Postgres15>>>>;

/// testcontainers' Postgres module, declaring the port it publishes
/// rather than leaving it to the image's `EXPOSE` (which some engines do
/// not merge into a request that names ports).
#[derive(Debug)]
struct Postgres15(Postgres);

impl Image for Postgres15 {
    fn name(&self) -> &str {
        self.0.name()
    }

    fn tag(&self) -> &str {
        TAG
    }

    fn ready_conditions(&self) -> Vec<WaitFor> {
        self.0.ready_conditions()
    }

    fn env_vars(
        &self,
    ) -> impl IntoIterator<Item = (impl Into<Cow<'_, str>>, impl Into<Cow<'_, str>>)> {
        self.0.env_vars()
    }

    fn cmd(&self) -> impl IntoIterator<Item = impl Into<Cow<'_, str>>> {
        self.0.cmd()
    }

    fn expose_ports(&self) -> &[ContainerPort] {
        &[PORT]
    }
}

#[derive(Debug)]
pub(super) struct DockerServer {
    /// Shared with the exit hook; whoever takes it removes the container.
    container: Shared,
}

impl DockerServer {
    /// Starts a container; the error text says why no engine is usable.
    pub(super) async fn start(password: &str, unsafe_fast: bool) -> Result<(Self, u16), String> {
        let mut image = Postgres::default().with_password(password);
        if !unsafe_fast {
            image = image.with_fsync_enabled();
        }
        let request = Postgres15(image)
            .with_label("dbrepo.dev-postgres", std::process::id().to_string())
            .with_host_config_modifier(publish_on_loopback);
        let started = tokio::task::spawn_blocking(move || {
            let container = request.start().map_err(|e| e.to_string())?;
            match container.get_host_port_ipv4(PORT) {
                Ok(port) => Ok((container, port)),
                Err(error) => {
                    let _ = container.rm();
                    Err(error.to_string())
                }
            }
        })
        .await
        .map_err(|e| e.to_string())?;
        let (container, port) = started?;
        let server = Self {
            container: Arc::new(Mutex::new(Some(container))),
        };
        Ok((server, port))
    }

    /// Removes the container when the process exits normally.
    pub(super) fn exit_guard(&self) -> Option<ExitGuard> {
        let container = self.container.clone();
        let cleanup = Box::new(move || {
            let _ = remove(&container);
        });
        ExitGuard::new(cleanup, None).ok()
    }

    /// The container's output so far (the server logs to it).
    pub(super) fn log(&self) -> Result<String, ServerError> {
        let container = self.container.clone();
        off_runtime(move || {
            let guard = container.lock().unwrap_or_else(PoisonError::into_inner);
            let Some(container) = guard.as_ref() else {
                return Ok(String::new());
            };
            let stdout = container.stdout_to_vec().map_err(engine_error)?;
            let stderr = container.stderr_to_vec().map_err(engine_error)?;
            Ok(String::from_utf8_lossy(&stdout).into_owned() + &String::from_utf8_lossy(&stderr))
        })
    }

    /// Removes the container and its volumes.
    pub(super) fn stop(self) -> Result<(), ServerError> {
        remove(&self.container)
    }
}

/// Publishes the server's port on 127.0.0.1 only, at a port the engine
/// picks. Binding loopback alone also makes the engine report the host
/// address: podman reports "" for all interfaces, which testcontainers
/// cannot read as IPv4, so it would find no published port.
fn publish_on_loopback(host_config: &mut HostConfig) {
    let binding = PortBinding {
        host_ip: Some("127.0.0.1".into()),
        host_port: None,
    };
    host_config.port_bindings = Some([(PORT.to_string(), Some(vec![binding]))].into());
}

/// Removes the container, if no one has yet.
fn remove(container: &Shared) -> Result<(), ServerError> {
    let taken = container
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    match taken {
        Some(container) => off_runtime(move || container.rm().map_err(engine_error)),
        None => Ok(()),
    }
}

/// Runs blocking engine calls on a thread of their own: the blocking API
/// must not run on a runtime's worker thread, and this may be called from
/// one (a test's `Drop`).
fn off_runtime<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ServerError> + Send + 'static,
) -> Result<T, ServerError> {
    std::thread::spawn(work)
        .join()
        .unwrap_or_else(|_| Err(engine_error("the container engine call panicked")))
}

fn engine_error(error: impl std::fmt::Display) -> ServerError {
    ServerError::Program {
        program: "the container engine".into(),
        output: error.to_string(),
    }
}
