//! The local backend: `initdb` + `pg_ctl` from the installed server binaries.
//!
//! PostgreSQL refuses to run as root, so when this process is root every
//! server program runs as the `postgres` OS user and the temporary
//! directory is handed to that user. The directory lives under the system
//! temp dir (`/tmp`), which that user can traverse.

use std::ffi::OsString;
use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::{PermissionsExt, chown};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use nix::unistd::{Gid, Uid, User};
use tempfile::TempDir;

use super::binaries;
use super::exit_guard::ExitGuard;
use super::{SUPERUSER, ServerError, StartOptions, StopMode};

/// How many ports to try when a start fails (e.g. a port race).
const START_ATTEMPTS: u32 = 3;

/// Why no local server could be started.
pub(super) enum StartFailure {
    /// No server binaries were found: try something else.
    NoBinaries(String),
    /// Binaries exist but starting failed.
    Failed(ServerError),
}

impl From<ServerError> for StartFailure {
    fn from(error: ServerError) -> Self {
        Self::Failed(error)
    }
}

/// Environment that would make the server programs talk to another server.
const FOREIGN_ENV: &[&str] = &[
    "PGDATA",
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGUSER",
    "PGDATABASE",
    "PGPASSWORD",
    "PGOPTIONS",
];

/// Runs once this process is gone: `$1` data dir, `$2` keep flag, `$3` root.
const WATCHDOG_SCRIPT: &str = r#"
pid=$(head -n 1 "$1/postmaster.pid" 2>/dev/null)
if [ -n "$pid" ]; then
    kill -QUIT "$pid" 2>/dev/null
    i=0
    while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
fi
[ "$2" = keep ] || rm -rf "$3"
"#;

#[derive(Debug)]
pub(super) struct LocalServer {
    dir: TempDir,
    data: PathBuf,
    bin_dir: PathBuf,
    owner: Option<(Uid, Gid)>,
    port: u16,
    keep: bool,
}

impl LocalServer {
    /// Initialises a cluster in a new temporary directory and starts it.
    pub(super) fn start(options: &StartOptions, password: &str) -> Result<Self, StartFailure> {
        let bin_dir =
            binaries::find_bin_dir(options.bin_dir.as_deref()).map_err(StartFailure::NoBinaries)?;
        let owner = server_owner()?;
        let dir = tempfile::Builder::new()
            .prefix("dbrepo-postgres-")
            .tempdir()
            .map_err(io_error("creating the server directory"))?;
        let data = dir.path().join("data");
        let server = Self {
            dir,
            data,
            bin_dir,
            owner,
            port: 0,
            keep: options.keep_data_dir,
        };
        server.hand_over(server.dir.path())?;
        server.init(password, options)?;
        Ok(server.start_on_free_port(START_ATTEMPTS)?)
    }

    pub(super) fn port(&self) -> u16 {
        self.port
    }

    pub(super) fn data_dir(&self) -> &Path {
        &self.data
    }

    pub(super) fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// Stops the server with `mode`, then removes the directory unless kept.
    pub(super) fn stop(self, mode: StopMode) -> Result<(), ServerError> {
        self.pg_ctl_stop(mode)?;
        if self.keep {
            let path = self.dir.keep();
            eprintln!("kept the postgres data directory {}", path.display());
        }
        Ok(())
    }

    /// Stops the server at exit (immediate mode) or when the process dies.
    pub(super) fn exit_guard(&self) -> Result<ExitGuard, ServerError> {
        let (bin_dir, data, root) = (
            self.bin_dir.clone(),
            self.data.clone(),
            self.dir.path().to_owned(),
        );
        let (owner, keep) = (self.owner, self.keep);
        let cleanup = Box::new(move || {
            let _ = run(
                &mut pg_ctl_stop_command(&bin_dir, &data, owner, StopMode::Immediate),
                "pg_ctl stop",
            );
            if !keep {
                let _ = fs::remove_dir_all(&root);
            }
        });
        let keep_flag = if self.keep { "keep" } else { "remove" };
        let args = vec![
            self.data.clone().into(),
            keep_flag.into(),
            OsString::from(self.dir.path()),
        ];
        ExitGuard::new(cleanup, Some((WATCHDOG_SCRIPT, args)))
            .map_err(io_error("spawning the watchdog"))
    }

    fn init(&self, password: &str, options: &StartOptions) -> Result<(), ServerError> {
        let pwfile = self.dir.path().join("pwfile");
        fs::write(&pwfile, password).map_err(io_error("writing the password file"))?;
        fs::set_permissions(&pwfile, fs::Permissions::from_mode(0o600))
            .map_err(io_error("chmod pwfile"))?;
        self.hand_over(&pwfile)?;
        let mut initdb = self.command("initdb");
        initdb
            .arg("-D")
            .arg(&self.data)
            .arg("-U")
            .arg(SUPERUSER)
            .arg(format!("--pwfile={}", pwfile.display()));
        initdb.args([
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
        ]);
        initdb.args(["--no-sync", "--no-instructions"]);
        let result = run(&mut initdb, "initdb");
        let _ = fs::remove_file(&pwfile);
        result?;
        let conf = server_settings(self.dir.path(), options);
        let path = self.data.join("postgresql.conf");
        let mut text = fs::read_to_string(&path).map_err(io_error("reading postgresql.conf"))?;
        text.push_str(&conf);
        fs::write(&path, text).map_err(io_error("writing postgresql.conf"))
    }

    /// Picks a free port and starts; a start can lose a race for the port,
    /// so it retries on another one.
    fn start_on_free_port(mut self, attempts: u32) -> Result<Self, ServerError> {
        let mut last_error = None;
        for _ in 0..attempts {
            let port = free_port()?;
            let mut pg_ctl = self.command("pg_ctl");
            pg_ctl
                .arg("-D")
                .arg(&self.data)
                .arg("-l")
                .arg(self.log_path());
            pg_ctl.args(["-w", "-t", "60", "-o", &format!("-p {port}"), "start"]);
            match run(&mut pg_ctl, "pg_ctl start") {
                Ok(()) => {
                    self.port = port;
                    return Ok(self);
                }
                Err(error) => {
                    let _ = self.pg_ctl_stop(StopMode::Immediate);
                    last_error = Some(self.with_log_tail(error));
                }
            }
        }
        Err(last_error
            .unwrap_or_else(|| io_error("starting postgres")(std::io::Error::other("no attempt"))))
    }

    fn pg_ctl_stop(&self, mode: StopMode) -> Result<(), ServerError> {
        run(
            &mut pg_ctl_stop_command(&self.bin_dir, &self.data, self.owner, mode),
            "pg_ctl stop",
        )
    }

    fn command(&self, program: &str) -> Command {
        server_command(&self.bin_dir, program, self.owner)
    }

    fn hand_over(&self, path: &Path) -> Result<(), ServerError> {
        match self.owner {
            Some((uid, gid)) => chown(path, Some(uid.as_raw()), Some(gid.as_raw()))
                .map_err(io_error("handing the directory to the postgres user")),
            None => Ok(()),
        }
    }

    /// The server's log file so far.
    pub(super) fn log(&self) -> Result<String, ServerError> {
        fs::read_to_string(self.log_path()).map_err(io_error("reading the server log"))
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("postgres.log")
    }

    fn with_log_tail(&self, error: ServerError) -> ServerError {
        let log = fs::read_to_string(self.log_path()).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        ServerError::Program {
            program: error.to_string(),
            output: tail.join("\n"),
        }
    }
}

fn server_settings(socket_dir: &Path, options: &StartOptions) -> String {
    let socket_dir = socket_dir.display().to_string().replace('\'', "''");
    let mut conf = format!(
        "\n# dbrepo throwaway server\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{socket_dir}'\n"
    );
    if options.unsafe_fast {
        conf.push_str("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n");
    }
    for (name, value) in &options.settings {
        conf.push_str(&format!("{name} = '{}'\n", value.replace('\'', "''")));
    }
    conf
}

fn pg_ctl_stop_command(
    bin_dir: &Path,
    data: &Path,
    owner: Option<(Uid, Gid)>,
    mode: StopMode,
) -> Command {
    let mut cmd = server_command(bin_dir, "pg_ctl", owner);
    let mode = match mode {
        StopMode::Fast => "fast",
        StopMode::Immediate => "immediate",
    };
    cmd.arg("-D")
        .arg(data)
        .args(["-m", mode, "-w", "-t", "60", "stop"]);
    cmd
}

fn server_command(bin_dir: &Path, program: &str, owner: Option<(Uid, Gid)>) -> Command {
    let mut cmd = Command::new(bin_dir.join(program));
    // The programs resolve their own path; root's home may be unreadable.
    cmd.current_dir(std::env::temp_dir()).stdin(Stdio::null());
    for var in FOREIGN_ENV {
        cmd.env_remove(var);
    }
    if let Some((uid, gid)) = owner {
        cmd.uid(uid.as_raw()).gid(gid.as_raw());
    }
    cmd
}

fn run(cmd: &mut Command, what: &str) -> Result<(), ServerError> {
    let output = cmd.output().map_err(io_error(&format!("running {what}")))?;
    if output.status.success() {
        return Ok(());
    }
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    Err(ServerError::Program {
        program: what.to_owned(),
        output: text.trim().to_owned(),
    })
}

/// The OS user the server runs as: `postgres` when this process is root.
fn server_owner() -> Result<Option<(Uid, Gid)>, ServerError> {
    if !Uid::effective().is_root() {
        return Ok(None);
    }
    match User::from_name("postgres") {
        Ok(Some(user)) => Ok(Some((user.uid, user.gid))),
        _ => Err(ServerError::Program {
            program: "looking up the postgres OS user".into(),
            output:
                "PostgreSQL refuses to run as root and there is no `postgres` user to run it as; \
                     create one (the postgresql package does) or run as a normal user"
                    .into(),
        }),
    }
}

fn free_port() -> Result<u16, ServerError> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(io_error("finding a free port"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(io_error("finding a free port"))
}

fn io_error(action: &str) -> impl FnOnce(std::io::Error) -> ServerError {
    let action = action.to_owned();
    move |source| ServerError::Io { action, source }
}
