//! Ties a throwaway server's life to this process.
//!
//! Test suites keep their server in a `static`, and Rust never drops
//! statics, so `Drop` alone would leave a server running after every test
//! run. Two mechanisms cover the two ways a process ends:
//!
//! * a normal exit (`std::process::exit`, which the test harness calls)
//!   runs C `atexit` handlers: ours stops every registered server
//!   synchronously, so nothing runs once the process is gone;
//! * a crash, `abort`, SIGKILL or Ctrl-C runs no handler at all. For those a
//!   watchdog `sh` process holds the read end of a pipe whose write end only
//!   this process has; when the process dies the kernel closes it, the
//!   watchdog reads end-of-file and runs its cleanup script. A pipe cannot
//!   be fooled by pid reuse, unlike polling the parent's pid. The watchdog
//!   sits in its own process group so the terminal's Ctrl-C does not kill
//!   it together with the tests.

use std::ffi::OsString;
use std::io;
use std::os::unix::process::CommandExt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, Once, PoisonError};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// Work to do synchronously at a normal process exit.
pub(super) type Cleanup = Box<dyn FnOnce() + Send>;

struct Entry {
    id: u64,
    watchdog_pid: Option<i32>,
    cleanup: Cleanup,
}

static ENTRIES: Mutex<Vec<Entry>> = Mutex::new(Vec::new());
static HOOK: Once = Once::new();
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// While alive, the server is stopped when the process ends; dropping the
/// guard (when the server is stopped normally) disarms both mechanisms.
#[derive(Debug)]
pub(super) struct ExitGuard {
    id: u64,
    watchdog: Option<Watchdog>,
}

impl ExitGuard {
    /// Registers `cleanup` for a normal exit and, when `script` is given,
    /// spawns a watchdog that runs `sh -c script _ args…` once this process
    /// is gone.
    pub(super) fn new(cleanup: Cleanup, script: Option<(&str, Vec<OsString>)>) -> io::Result<Self> {
        let watchdog = script
            .map(|(script, args)| Watchdog::spawn(script, &args))
            .transpose()?;
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let watchdog_pid = watchdog.as_ref().map(|w| w.child.id() as i32);
        install_hook();
        entries().push(Entry {
            id,
            watchdog_pid,
            cleanup,
        });
        Ok(Self { id, watchdog })
    }
}

impl Drop for ExitGuard {
    fn drop(&mut self) {
        entries().retain(|entry| entry.id != self.id);
        if let Some(watchdog) = self.watchdog.take() {
            watchdog.disarm();
        }
    }
}

fn entries() -> std::sync::MutexGuard<'static, Vec<Entry>> {
    ENTRIES.lock().unwrap_or_else(PoisonError::into_inner)
}

// The one C call the exit hook needs; its safety argument is below.
#[allow(unsafe_code)]
fn install_hook() {
    HOOK.call_once(|| {
        // SAFETY: `atexit` only stores the pointer; `run_at_exit` is a
        // plain `extern "C" fn()` that never unwinds across the boundary.
        let status = unsafe { nix::libc::atexit(run_at_exit) };
        if status != 0 {
            tracing::warn!("could not register the exit hook; relying on the watchdog");
        }
    });
}

extern "C" fn run_at_exit() {
    let pending = std::mem::take(&mut *entries());
    for entry in pending {
        if let Some(pid) = entry.watchdog_pid {
            // Our own unreaped child: its pid cannot have been reused.
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
        let _ = catch_unwind(AssertUnwindSafe(entry.cleanup));
    }
}

#[derive(Debug)]
struct Watchdog {
    child: Child,
    // Held only to keep the pipe open: its closing is the signal.
    _pipe: ChildStdin,
}

impl Watchdog {
    fn spawn(script: &str, args: &[OsString]) -> io::Result<Self> {
        let wrapped = format!("while IFS= read -r _; do :; done\n{script}");
        let mut child = Command::new("/bin/sh")
            .arg("-c")
            .arg(wrapped)
            .arg("dbrepo-postgres-watchdog")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()?;
        let pipe = child
            .stdin
            .take()
            .ok_or_else(|| io::Error::other("watchdog has no stdin"))?;
        Ok(Self { child, _pipe: pipe })
    }

    /// Kills the watchdog before it can act (the server is being stopped
    /// normally); closing the pipe afterwards then triggers nothing.
    fn disarm(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
