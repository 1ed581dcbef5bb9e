//! The command line: how long, how hard, which RPCs, how much data.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

use crate::rpc::Rpc;

/// dbrepo's benchmark: seeds a database, serves dbrepo as its own process,
/// drives each RPC kind with tonic clients, runs pgbench on the very SQL
/// dbrepo sent, and reports throughput, latency, database round trips and
/// CPU per call of every process.
#[derive(Debug, Clone, Parser)]
#[command(version, about, long_about = None)]
pub struct Args {
    /// Owner (superuser) URL of an existing server; the bench creates and
    /// drops its own database and login there. Unset: a throwaway server
    /// from the local PostgreSQL binaries.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Tiny seed and short segments: checks the bench works (CI), in seconds.
    #[arg(long)]
    pub smoke: bool,

    /// Seconds per measured segment (dbrepo or pgbench).
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,

    /// Seconds of unrecorded load before each RPC's first segment.
    #[arg(long, default_value_t = 1.0)]
    pub warmup: f64,

    /// dbrepo/pgbench segment pairs per RPC (A B A B …).
    #[arg(long, default_value_t = 2)]
    pub rounds: u32,

    /// Concurrent calls (gRPC streams) and pgbench clients.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,

    /// HTTP/2 connections the streams share.
    #[arg(long, default_value_t = 1)]
    pub channels: usize,

    /// dbrepo's pool size (passed as DBREPO_POOL_SIZE).
    #[arg(long, default_value_t = 16)]
    pub pool: u32,

    /// Which RPCs to drive (default: all).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub rpcs: Vec<Rpc>,

    /// Teams (at least small + large teams; the rest have no members).
    #[arg(long, default_value_t = 100)]
    pub teams: u64,

    /// Teams of `small_size` members.
    #[arg(long, default_value_t = 50)]
    pub small_teams: u64,

    /// Members per small team.
    #[arg(long, default_value_t = 100)]
    pub small_size: u64,

    /// Teams of `large_size` members.
    #[arg(long, default_value_t = 5)]
    pub large_teams: u64,

    /// Members per large team.
    #[arg(long, default_value_t = 1000)]
    pub large_size: u64,

    /// Tasks, spread evenly over all teams.
    #[arg(long, default_value_t = 100_000)]
    pub tasks: u64,

    /// Extras to run after the RPCs (`--extras` alone: none).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        num_args = 0..,
        default_value = "trigger,backfill"
    )]
    pub extras: Vec<Extra>,

    /// Member counts at which to measure the backfill rate.
    #[arg(long, value_delimiter = ',', default_value = "10000,100000,1000000")]
    pub backfill_sizes: Vec<u64>,

    /// Ids per backfill batch (default: the backfill's own default).
    #[arg(long)]
    pub backfill_batch_size: Option<std::num::NonZeroU32>,

    /// Milliseconds between backfill batches (default: the backfill's own).
    #[arg(long)]
    pub backfill_pause_ms: Option<u64>,

    /// Write the results as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,

    /// Write a bar chart of the ratios as SVG to this file.
    #[arg(long)]
    pub svg: Option<PathBuf>,

    /// Use this dbrepo binary instead of building `--release --bin dbrepo`.
    #[arg(long)]
    pub dbrepo_bin: Option<PathBuf>,

    /// dbrepo's log filter (`DBREPO_LOG`); the default is the service's own.
    #[arg(long, default_value = "info")]
    pub dbrepo_log: String,
}

/// Measurements besides the RPCs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Extra {
    /// The previous release's v1 INSERT/UPDATE with `members_v2_sync` on vs off.
    Trigger,
    /// `dbrepo_migrations::backfill` vs one UPDATE of the same rows.
    Backfill,
}

impl Args {
    /// Applies `--smoke`: a tiny seed and segments of a fraction of a second.
    pub fn normalized(mut self) -> Self {
        if self.smoke {
            self.duration = self.duration.min(0.5);
            self.warmup = self.warmup.min(0.2);
            self.rounds = 1;
            (self.teams, self.small_teams, self.large_teams) = (4, 2, 1);
            (self.small_size, self.large_size, self.tasks) = (20, 100, 400);
            self.backfill_sizes = vec![1000];
        }
        if self.rpcs.is_empty() {
            self.rpcs = Rpc::ALL.to_vec();
        }
        self.teams = self.teams.max(self.small_teams + self.large_teams);
        self
    }

    /// One measured segment.
    pub fn segment(&self) -> Duration {
        Duration::from_secs_f64(self.duration)
    }

    /// The warm-up before an RPC's first segment.
    pub fn warmup(&self) -> Duration {
        Duration::from_secs_f64(self.warmup)
    }

    /// The options the backfill extra runs with.
    pub fn backfill_options(&self) -> dbrepo_migrations::BackfillOptions {
        let defaults = dbrepo_migrations::BackfillOptions::default();
        dbrepo_migrations::BackfillOptions {
            batch_size: self.backfill_batch_size.unwrap_or(defaults.batch_size),
            pause: self
                .backfill_pause_ms
                .map_or(defaults.pause, Duration::from_millis),
            ..defaults
        }
    }

    /// Members in all.
    pub fn members(&self) -> u64 {
        self.small_teams * self.small_size + self.large_teams * self.large_size
    }
}
