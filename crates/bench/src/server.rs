//! dbrepo as a separate process (the release `dbrepo` binary), so its CPU
//! and memory can be read from `/proc/<pid>`.
//!
//! Nothing outlives the bench: the child gets SIGTERM from the kernel when
//! the bench dies (`PR_SET_PDEATHSIG`), is killed when its handle drops
//! (error paths, Ctrl-C), and is stopped with SIGTERM otherwise.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::process::{Child, Command};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

use crate::cpu;

/// A running dbrepo process.
pub struct Dbrepo {
    child: Child,
    /// Its pid.
    pub pid: u32,
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// From spawn to the first SERVING health answer.
    pub startup: Duration,
    /// Resident memory once SERVING, before any load.
    pub idle_rss_kib: Option<u64>,
    log: PathBuf,
}

impl Dbrepo {
    /// Starts `binary` connected to `database_url` with `pool` connections;
    /// its log (filtered by `log_filter`) goes to `log`. Must be called from the main task (see
    /// [`child_command`]).
    pub async fn start(
        binary: &Path,
        database_url: &str,
        pool: u32,
        log_filter: &str,
        log: PathBuf,
    ) -> anyhow::Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let log_file = std::fs::File::create(&log)?;
        let mut command = child_command(binary);
        command
            .env("DATABASE_URL", database_url)
            .env("DBREPO_LISTEN", format!("127.0.0.1:{port}"))
            // On, as in production (a call is counted either way), on a
            // port of its own so several instances can run.
            .env("DBREPO_METRICS_LISTEN", "127.0.0.1:0")
            .env("DBREPO_POOL_SIZE", pool.to_string())
            .env("DBREPO_LOG_FORMAT", "json")
            .env("DBREPO_LOG", log_filter)
            .env("DBREPO_SHUTDOWN_GRACE_SECS", "1")
            .stdout(log_file.try_clone()?)
            .stderr(log_file);
        let started = Instant::now();
        let child = command
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let pid = child.id().context("dbrepo exited at once")?;
        let mut server = Self {
            child,
            pid,
            address: format!("http://127.0.0.1:{port}"),
            startup: Duration::ZERO,
            idle_rss_kib: None,
            log,
        };
        server.wait_serving(started).await?;
        server.idle_rss_kib = cpu::rss_kib(pid);
        Ok(server)
    }

    async fn wait_serving(&mut self, started: Instant) -> anyhow::Result<()> {
        while started.elapsed() < Duration::from_secs(30) {
            if let Some(status) = self.child.try_wait()? {
                bail!("dbrepo exited with {status}: {}", self.log_tail());
            }
            if self.serving().await {
                self.startup = started.elapsed();
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        bail!("dbrepo did not become SERVING in 30 s: {}", self.log_tail())
    }

    async fn serving(&self) -> bool {
        let Ok(endpoint) = tonic::transport::Endpoint::from_shared(self.address.clone()) else {
            return false;
        };
        let Ok(channel) = endpoint.connect().await else {
            return false;
        };
        let mut client = HealthClient::new(channel);
        let request = HealthCheckRequest {
            service: String::new(),
        };
        matches!(client.check(request).await, Ok(r) if r.get_ref().status() == ServingStatus::Serving)
    }

    /// The end of its log, for error messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(10)..].join("\n")
    }

    /// SIGTERM, then a kill if it has not exited within 5 s.
    #[allow(unsafe_code)] // kill(2), argued below
    pub async fn stop(mut self) -> anyhow::Result<()> {
        // SAFETY: kill(2) on our own unreaped child's pid.
        unsafe { libc::kill(self.pid as i32, libc::SIGTERM) };
        match tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await {
            Ok(status) => {
                status?;
                Ok(())
            }
            Err(_) => Ok(self.child.kill().await?),
        }
    }
}

/// A command for a child that must not outlive the bench: killed when its
/// handle drops and sent SIGTERM by the kernel when the bench's thread that
/// spawned it ends. Spawn from the main task (the main thread), which
/// lives as long as the bench; a worker thread could end earlier.
#[allow(unsafe_code)] // pre_exec, argued below
pub fn child_command(program: &Path) -> Command {
    let mut command = Command::new(program);
    command.stdin(Stdio::null()).kill_on_drop(true);
    // SAFETY: prctl is async-signal-safe; nothing else runs in pre_exec.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    command
}

/// The dbrepo binary: `--dbrepo-bin`, or `cargo build --release --bin
/// dbrepo` (a no-op when up to date) into `bench-dbrepo/` of the target
/// directory this bench was built in, so it always holds today's sources.
pub fn dbrepo_binary(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(path) = explicit {
        return Ok(path.to_owned());
    }
    let exe = std::env::current_exe()?;
    let target = exe
        .parent()
        .and_then(Path::parent)
        .context("the bench runs outside a cargo target directory: pass --dbrepo-bin")?;
    // A target directory of its own: building `-p dbrepo` and `-p
    // dbrepo-bench` alternately in one directory rebuilds shared crates
    // each time; here the first run builds once and later runs are no-ops.
    let own_target = target.join("bench-dbrepo");
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = std::process::Command::new(cargo);
    // `cargo run` exports CARGO_PKG_* and the like; some build scripts
    // (ring's) track those, so inheriting them would rebuild half the tree.
    for (key, _) in std::env::vars_os() {
        if key
            .to_str()
            .is_some_and(|k| k.starts_with("CARGO_") && k != "CARGO_HOME")
        {
            build.env_remove(key);
        }
    }
    let status = build
        .args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "dbrepo",
            "--bin",
            "dbrepo",
        ])
        .env("SQLX_OFFLINE", "true")
        .env("CARGO_TARGET_DIR", &own_target)
        .current_dir(workspace)
        .status()
        .context("running cargo build for the dbrepo binary")?;
    if !status.success() {
        bail!("cargo build --release --bin dbrepo failed");
    }
    Ok(own_target.join("release").join("dbrepo"))
}
