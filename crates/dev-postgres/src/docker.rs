//! The Docker backend: `postgres:15-alpine` through testcontainers.
//!
//! The container handle is not kept: its `Drop` needs the tokio runtime
//! that started it, and a test suite's static server outlives the runtime
//! of the test that started it. The container is removed with
//! `docker rm -f` instead, which works from any thread and from the exit
//! hook.

use std::ffi::OsString;
use std::process::{Command, Stdio};

use testcontainers_modules::postgres::Postgres;
use testcontainers_modules::testcontainers::ImageExt;
use testcontainers_modules::testcontainers::runners::AsyncRunner;

use super::ServerError;
use super::exit_guard::ExitGuard;

/// The image tag; pinned because the module's default is very old.
const TAG: &str = "15-alpine";

#[derive(Debug)]
pub(super) struct DockerServer {
    id: String,
}

impl DockerServer {
    /// Starts a container; the error text says why Docker is unusable.
    pub(super) async fn start(password: &str, unsafe_fast: bool) -> Result<(Self, u16), String> {
        let mut image = Postgres::default().with_password(password);
        if !unsafe_fast {
            image = image.with_fsync_enabled();
        }
        let container = image
            .with_tag(TAG)
            .start()
            .await
            .map_err(|e| e.to_string())?;
        let server = Self {
            id: container.id().to_owned(),
        };
        let port = container.get_host_port_ipv4(5432).await;
        // Forget the handle (see the module docs); `server` now owns removal.
        std::mem::forget(container);
        match port {
            Ok(port) => Ok((server, port)),
            Err(error) => {
                let _ = server.stop();
                Err(error.to_string())
            }
        }
    }

    /// Removes the container and its volumes when the process ends.
    pub(super) fn exit_guard(&self) -> Option<ExitGuard> {
        let id = self.id.clone();
        let cleanup = Box::new(move || {
            let _ = remove(&id);
        });
        let script = r#"docker rm -f -v "$1" >/dev/null 2>&1"#;
        ExitGuard::new(cleanup, Some((script, vec![OsString::from(&self.id)]))).ok()
    }

    /// The container's output so far (the server logs to it).
    pub(super) fn log(&self) -> Result<String, ServerError> {
        let output = Command::new("docker")
            .args(["logs", &self.id])
            .stdin(Stdio::null())
            .output()
            .map_err(|source| ServerError::Io {
                action: "running docker logs".into(),
                source,
            })?;
        Ok(String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr))
    }

    /// Removes the container and its volumes.
    pub(super) fn stop(self) -> Result<(), ServerError> {
        remove(&self.id)
    }
}

fn remove(id: &str) -> Result<(), ServerError> {
    let output = Command::new("docker")
        .args(["rm", "-f", "-v", id])
        .stdin(Stdio::null())
        .output()
        .map_err(|source| ServerError::Io {
            action: "running docker rm".into(),
            source,
        })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(ServerError::Program {
            program: "docker rm".into(),
            output: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }
}
