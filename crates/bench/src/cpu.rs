//! CPU time per process from `/proc/<pid>/stat`, so each call's cost can
//! be split between the load generator, dbrepo and PostgreSQL.
//!
//! PostgreSQL is one postmaster plus a process per connection. Its total
//! is the postmaster's own time, the time of its reaped children
//! (`cutime`/`cstime`: backends that exited) and the time of its live
//! children; so a backend that exits mid-segment is still counted once.

use std::fs;

/// Ticks of `utime`/`stime` per second.
#[allow(unsafe_code)] // sysconf(3), argued below
fn ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as f64 } else { 100.0 }
}

/// The fields of `/proc/<pid>/stat` after the command name.
fn stat_fields(pid: u32) -> Option<Vec<u64>> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: split after the last ')'.
    let (_, rest) = text.rsplit_once(')')?;
    // rest[0] is the state letter; parse it as 0 to keep indexes simple.
    Some(
        rest.split_whitespace()
            .map(|f| f.parse().unwrap_or(0))
            .collect(),
    )
}

// Indexes into `stat_fields` (field number minus 3, see proc(5)).
const PPID: usize = 1;
const UTIME: usize = 11;
const STIME: usize = 12;
const CUTIME: usize = 13;
const CSTIME: usize = 14;

/// CPU seconds of `pid` itself (all its threads).
pub fn own_seconds(pid: u32) -> Option<f64> {
    let f = stat_fields(pid)?;
    Some((f[UTIME] + f[STIME]) as f64 / ticks_per_second())
}

/// CPU seconds of `pid`'s children that have exited and been reaped.
pub fn reaped_children_seconds(pid: u32) -> Option<f64> {
    let f = stat_fields(pid)?;
    Some((f[CUTIME] + f[CSTIME]) as f64 / ticks_per_second())
}

/// CPU seconds of a PostgreSQL server: postmaster, exited and live children.
pub fn postgres_seconds(postmaster: u32) -> Option<f64> {
    let mut total = own_seconds(postmaster)? + reaped_children_seconds(postmaster)?;
    for entry in fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        if let Some(f) = stat_fields(pid)
            && f[PPID] == u64::from(postmaster)
        {
            total += (f[UTIME] + f[STIME]) as f64 / ticks_per_second();
        }
    }
    Some(total)
}

/// The postmaster's pid from a backend's pid, when the server runs on this
/// machine in this pid namespace (else `None`: no PostgreSQL CPU figures).
pub fn postmaster_of(backend: u32) -> Option<u32> {
    let comm = fs::read_to_string(format!("/proc/{backend}/comm")).ok()?;
    if comm.trim() != "postgres" {
        return None;
    }
    let parent = u32::try_from(stat_fields(backend)?[PPID]).ok()?;
    let parent_comm = fs::read_to_string(format!("/proc/{parent}/comm")).ok()?;
    (parent_comm.trim() == "postgres").then_some(parent)
}

/// Resident set size of `pid` in KiB (`VmRSS`).
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU seconds of the load generator, dbrepo and PostgreSQL at one instant.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sample {
    /// This process (the tonic load generator), or pgbench's reaped time.
    pub client: f64,
    /// The dbrepo process.
    pub dbrepo: Option<f64>,
    /// Every PostgreSQL process.
    pub postgres: Option<f64>,
}

/// Which processes to sample.
#[derive(Debug, Clone, Copy)]
pub struct Processes {
    /// The dbrepo server under test.
    pub dbrepo: u32,
    /// The postmaster, when local.
    pub postmaster: Option<u32>,
}

impl Processes {
    /// Samples now; `client_children` counts reaped children (pgbench)
    /// instead of this process's own time.
    pub fn sample(&self, client_children: bool) -> Sample {
        let me = std::process::id();
        let client = if client_children {
            reaped_children_seconds(me)
        } else {
            own_seconds(me)
        };
        Sample {
            client: client.unwrap_or(0.0),
            dbrepo: own_seconds(self.dbrepo),
            postgres: self.postmaster.and_then(postgres_seconds),
        }
    }
}

/// CPU microseconds per operation between two samples.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct PerCall {
    /// Load generator (tonic clients or pgbench).
    pub client_us: f64,
    /// dbrepo (None for pgbench segments: it is idle).
    pub dbrepo_us: Option<f64>,
    /// PostgreSQL, all processes.
    pub postgres_us: Option<f64>,
}

impl PerCall {
    /// The CPU spent between `before` and `after`, per `ops` operations.
    pub fn between(before: Sample, after: Sample, ops: u64, with_dbrepo: bool) -> Self {
        let per = |a: f64, b: f64| (b - a).max(0.0) * 1e6 / ops.max(1) as f64;
        let both = |a: Option<f64>, b: Option<f64>| Some(per(a?, b?));
        Self {
            client_us: per(before.client, after.client),
            dbrepo_us: if with_dbrepo {
                both(before.dbrepo, after.dbrepo)
            } else {
                None
            },
            postgres_us: both(before.postgres, after.postgres),
        }
    }
}
