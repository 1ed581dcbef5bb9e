//! One RPC kind, measured: probe it through the counting proxy (round
//! trips per call, the statements of one call), then alternate timed
//! dbrepo and pgbench segments on the same statements.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::cpu::{PerCall, Processes};
use crate::load::{self, Target};
use crate::pgbench::Pgbench;
use crate::proxy::Proxy;
use crate::rpc::Rpc;
use crate::script::{self, Script};
use crate::seed::Seed;
use crate::stats::{self, PssRow};
use crate::wire::Executed;

/// Everything one RPC's measurement needs.
pub struct Bench<'a> {
    /// Seeded ranges.
    pub seed: Arc<Seed>,
    /// Concurrent streams (and pgbench clients).
    pub concurrency: usize,
    /// Length of a measured segment.
    pub segment: Duration,
    /// Unrecorded load before measuring.
    pub warmup: Duration,
    /// A/B rounds.
    pub rounds: u32,
    /// The directly connected dbrepo, measured.
    pub timed: &'a Target,
    /// The dbrepo connected through `proxy`, for counting and capture.
    pub probe: &'a Target,
    /// The proxy in front of the probe instance's database connections.
    pub proxy: &'a Proxy,
    /// The processes whose CPU is read.
    pub processes: Processes,
    /// pgbench and its clients.
    pub pgbench: &'a Pgbench,
    /// The DML login's URL (pgbench connects as it, like dbrepo).
    pub service_url: &'a str,
    /// The owner's pool, for pg_stat_statements.
    pub owner: &'a sqlx::PgPool,
    /// The DML login's name, to select its statements.
    pub service_role: &'a str,
    /// Scratch directory for scripts.
    pub dir: &'a Path,
}

/// One measured segment.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Segment {
    /// Calls (dbrepo) or transactions (pgbench) per second.
    pub per_second: f64,
    /// Calls or transactions done.
    pub operations: u64,
    /// CPU per operation of each process.
    pub cpu: PerCall,
}

/// An RPC's results.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RpcResult {
    /// Which RPC.
    pub rpc: Rpc,
    /// Its report name.
    pub label: &'static str,
    /// dbrepo segments, in order.
    pub dbrepo: Vec<Segment>,
    /// pgbench segments, in order (each after the dbrepo one).
    pub pgbench: Vec<Segment>,
    /// Failed dbrepo calls in all segments, and the first error.
    pub errors: u64,
    /// The first failure, if any.
    pub first_error: Option<String>,
    /// Latency percentiles of dbrepo calls, microseconds: p50, p99, p99.9.
    pub latency_us: [u64; 3],
    /// Database round trips per call (through the proxy).
    pub round_trips_per_call: f64,
    /// The statements of one call, as sent.
    pub statements: Vec<Executed>,
    /// What pg_stat_statements saw in the first dbrepo segment.
    pub pg_stat_statements: Vec<PssRow>,
    /// The pgbench script replaying `statements`.
    pub script: Script,
}

impl RpcResult {
    /// Mean dbrepo calls/s over the rounds.
    pub fn dbrepo_rate(&self) -> f64 {
        mean(self.dbrepo.iter().map(|s| s.per_second))
    }

    /// Mean pgbench transactions/s over the rounds.
    pub fn pgbench_rate(&self) -> f64 {
        mean(self.pgbench.iter().map(|s| s.per_second))
    }

    /// dbrepo / pgbench, from the same run.
    pub fn ratio(&self) -> f64 {
        self.dbrepo_rate() / self.pgbench_rate().max(f64::MIN_POSITIVE)
    }
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let all: Vec<f64> = values.collect();
    all.iter().sum::<f64>() / all.len().max(1) as f64
}

impl Bench<'_> {
    /// Measures `rpc`.
    pub async fn measure(&self, rpc: Rpc) -> anyhow::Result<RpcResult> {
        let (round_trips_per_call, statements) = self.probe(rpc).await?;
        let script = script::render(&statements, &rpc.draws(&self.seed));
        load::run(self.timed, rpc, &self.seed, self.concurrency, self.warmup).await;
        stats::reset(self.owner).await?;
        let mut result = RpcResult {
            rpc,
            label: rpc.label(),
            dbrepo: Vec::new(),
            pgbench: Vec::new(),
            errors: 0,
            first_error: None,
            latency_us: [0; 3],
            round_trips_per_call,
            statements,
            pg_stat_statements: Vec::new(),
            script,
        };
        let mut latency: Option<Histogram<u64>> = None;
        for round in 0..self.rounds {
            let (segment, run) = self.dbrepo_segment(rpc).await;
            result.errors += run.errors;
            result.first_error = result.first_error.or(run.first_error);
            if let Some(all) = latency.as_mut() {
                let _ = all.add(&run.latency);
            } else {
                latency = Some(run.latency);
            }
            if round == 0 {
                let calls = segment.operations + run.errors;
                result.pg_stat_statements =
                    stats::read(self.owner, self.service_role, calls).await?;
            }
            result.dbrepo.push(segment);
            result
                .pgbench
                .push(self.pgbench_segment(&result.script).await?);
        }
        if let Some(all) = latency {
            result.latency_us = [50.0, 99.0, 99.9].map(|q| all.value_at_quantile(q / 100.0));
        }
        Ok(result)
    }

    /// The gRPC floor ([`Rpc::GrpcFloor`]): a warm-up, then one segment per
    /// round against the timed dbrepo, merged into one.
    pub async fn floor(&self) -> Segment {
        let rpc = Rpc::GrpcFloor;
        load::run(self.timed, rpc, &self.seed, self.concurrency, self.warmup).await;
        let mut segments = Vec::new();
        for _ in 0..self.rounds {
            segments.push(self.dbrepo_segment(rpc).await.0);
        }
        Segment {
            per_second: mean(segments.iter().map(|s| s.per_second)),
            operations: segments.iter().map(|s| s.operations).sum(),
            cpu: crate::report::weighted_cpu(&segments),
        }
    }

    /// Round trips per call under the same load, and one call's statements.
    async fn probe(&self, rpc: Rpc) -> anyhow::Result<(f64, Vec<Executed>)> {
        let probe_time = self.segment.min(Duration::from_secs(2));
        load::run(
            self.probe,
            rpc,
            &self.seed,
            self.concurrency,
            self.warmup.min(probe_time),
        )
        .await;
        let before = self.proxy.bursts();
        let run = load::run(self.probe, rpc, &self.seed, self.concurrency, probe_time).await;
        let bursts = self.proxy.bursts() - before;
        self.proxy.start_capture();
        let called = load::one_call(self.probe, rpc, &self.seed).await;
        let statements = self.proxy.take_capture();
        called?;
        let mut statements: Vec<Executed> = statements?
            .into_iter()
            .filter(|s| !s.text.trim().trim_matches(';').is_empty())
            .collect();
        self.name_columns(&mut statements).await?;
        Ok((bursts as f64 / run.calls.max(1) as f64, statements))
    }

    /// Names the result columns of the statements that returned a row (the
    /// script may read values back from them), as PostgreSQL describes them.
    async fn name_columns(&self, statements: &mut [Executed]) -> anyhow::Result<()> {
        use sqlx::{Column, Executor, SqlSafeStr, Statement};
        for statement in statements.iter_mut().filter(|s| s.returned.is_some()) {
            // The text is what dbrepo itself sent, captured on the wire.
            let text = sqlx::AssertSqlSafe(statement.text.clone()).into_sql_str();
            let described = self.owner.prepare(text).await?;
            statement.columns = described
                .columns()
                .iter()
                .map(|c| c.name().to_owned())
                .collect();
        }
        Ok(())
    }

    async fn dbrepo_segment(&self, rpc: Rpc) -> (Segment, load::LoadRun) {
        let before = self.processes.sample(false);
        let run = load::run(self.timed, rpc, &self.seed, self.concurrency, self.segment).await;
        let after = self.processes.sample(false);
        let segment = Segment {
            per_second: run.calls as f64 / run.elapsed.as_secs_f64(),
            operations: run.calls,
            cpu: PerCall::between(before, after, run.calls, true),
        };
        (segment, run)
    }

    async fn pgbench_segment(&self, script: &Script) -> anyhow::Result<Segment> {
        let before = self.processes.sample(true);
        let run = self
            .pgbench
            .run(script, self.service_url, self.segment, self.dir)
            .await?;
        let after = self.processes.sample(true);
        Ok(Segment {
            per_second: run.tps,
            operations: run.transactions,
            cpu: PerCall::between(before, after, run.transactions, false),
        })
    }
}
