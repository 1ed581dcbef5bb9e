//! The results: a table on the terminal, the same and more as JSON.

use std::fmt::Write;

use crate::cpu::PerCall;
use crate::extras::{BackfillResult, TriggerResult};
use crate::measure::{RpcResult, Segment};
use crate::seed::Seed;

/// Everything one run measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    /// When the run started (UTC, RFC 3339).
    pub started_at: String,
    /// The machine and its load.
    pub machine: Machine,
    /// The settings of the run.
    pub settings: Settings,
    /// The seeded data.
    pub seed: Seed,
    /// dbrepo from spawn to SERVING, milliseconds.
    pub startup_ms: f64,
    /// dbrepo's resident memory when SERVING, before load, KiB.
    pub idle_rss_kib: Option<u64>,
    /// One entry per RPC kind.
    pub rpcs: Vec<RpcResult>,
    /// dbrepo's gRPC stack alone (health Check), when RPCs were measured.
    pub grpc_floor: Option<Segment>,
    /// The highest ratio each RPC could reach on these cores
    /// ([`ceilings`]), when the floor and PostgreSQL's CPU were measured.
    pub ceilings: Vec<Ceiling>,
    /// The 0002 trigger's cost, if measured.
    pub trigger: Option<TriggerResult>,
    /// Backfill rates, if measured.
    pub backfill: Vec<BackfillResult>,
}

/// Where the run happened.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Machine {
    /// Logical CPUs (shared by clients, dbrepo and PostgreSQL).
    pub cpus: usize,
    /// The CPU model.
    pub cpu_model: String,
    /// `SELECT version()`.
    pub postgres: String,
    /// `/proc/loadavg` before the run.
    pub load_before: String,
    /// `/proc/loadavg` after the run.
    pub load_after: String,
}

/// The settings that shape the figures.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Settings {
    /// Concurrent streams and pgbench clients.
    pub concurrency: usize,
    /// HTTP/2 connections.
    pub channels: usize,
    /// dbrepo's pool.
    pub pool: u32,
    /// Seconds per segment.
    pub segment_seconds: f64,
    /// A/B rounds.
    pub rounds: u32,
    /// Smoke mode (figures meaningless).
    pub smoke: bool,
    /// dbrepo's log filter.
    pub dbrepo_log: String,
}

/// CPU per operation over all segments, weighted by their operations.
pub fn weighted_cpu(segments: &[Segment]) -> PerCall {
    let ops: f64 = segments
        .iter()
        .map(|s| s.operations as f64)
        .sum::<f64>()
        .max(1.0);
    let sum = |f: &dyn Fn(&PerCall) -> Option<f64>| -> Option<f64> {
        segments
            .iter()
            .map(|s| f(&s.cpu).map(|v| v * s.operations as f64))
            .sum::<Option<f64>>()
            .map(|total| total / ops)
    };
    PerCall {
        client_us: sum(&|c: &PerCall| Some(c.client_us)).unwrap_or(0.0),
        dbrepo_us: sum(&|c: &PerCall| c.dbrepo_us),
        postgres_us: sum(&|c: &PerCall| c.postgres_us),
    }
}

/// The highest dbrepo/pgbench ratio an RPC can reach when every process
/// shares the same cores, from CPU time alone. pgbench needs `P + G` µs of
/// CPU per transaction (PostgreSQL, pgbench). A dbrepo call needs at least
/// what its tonic client spends on it (`C`), what dbrepo spends on a call
/// that does no database work at all (the floor, `F`), the same
/// statements' cost in PostgreSQL (`P`) and the client side of those
/// statements: sending them, waiting and reading the rows, which pgbench —
/// a C program doing nothing else — does in `G`. With the cores saturated
/// in both segments, the ratio is at most `(P + G) / (C + F + G + P)`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Ceiling {
    /// The RPC's report name.
    pub label: &'static str,
    /// The highest ratio reachable.
    pub ratio: f64,
    /// Cores kept busy by pgbench and PostgreSQL in the pgbench segments:
    /// the bound holds when this is the machine's core count.
    pub pgbench_cores_busy: f64,
}

/// The [`Ceiling`] of each RPC, given the floor's segment.
pub fn ceilings(rpcs: &[RpcResult], floor: &Segment) -> Vec<Ceiling> {
    let Some(floor_us) = floor.cpu.dbrepo_us else {
        return Vec::new();
    };
    rpcs.iter()
        .filter_map(|r| {
            let d = weighted_cpu(&r.dbrepo);
            let p = weighted_cpu(&r.pgbench);
            let postgres_us = p.postgres_us?;
            Some(Ceiling {
                label: r.label,
                ratio: ceiling_ratio(postgres_us, p.client_us, d.client_us, floor_us),
                pgbench_cores_busy: r.pgbench_rate() * (postgres_us + p.client_us) / 1e6,
            })
        })
        .collect()
}

/// `(P + G) / (C + F + G + P)` of [`Ceiling`]: PostgreSQL's and pgbench's
/// CPU per transaction over the least CPU a dbrepo call can cost (its
/// client's, the floor's dbrepo CPU, the database client work pgbench
/// does and the same statements in PostgreSQL).
fn ceiling_ratio(postgres_us: f64, pgbench_us: f64, client_us: f64, floor_us: f64) -> f64 {
    let least_call_us = client_us + floor_us + pgbench_us + postgres_us;
    (postgres_us + pgbench_us) / least_call_us.max(f64::MIN_POSITIVE)
}

fn opt(value: Option<f64>) -> String {
    value.map_or("-".into(), |v| format!("{v:.0}"))
}

/// The table of RPC results, as Markdown (readable on a terminal too).
pub fn rpc_table(rpcs: &[RpcResult]) -> String {
    let mut out = String::from(
        "| RPC | dbrepo calls/s | pgbench tx/s | ratio | p50 ms | p99 ms | p99.9 ms | DB round trips/call \
         | CPU µs/call dbrepo | PG | client | pgbench CPU µs/tx PG | pgbench |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rpcs {
        let d = weighted_cpu(&r.dbrepo);
        let p = weighted_cpu(&r.pgbench);
        let [p50, p99, p999] = r.latency_us.map(|us| us as f64 / 1000.0);
        let _ = writeln!(
            out,
            "| {} | {:.0} | {:.0} | {:.2} | {p50:.2} | {p99:.2} | {p999:.2} | {:.2} | {} | {} | {:.0} | {} | {:.0} |",
            r.label,
            r.dbrepo_rate(),
            r.pgbench_rate(),
            r.ratio(),
            r.round_trips_per_call,
            opt(d.dbrepo_us),
            opt(d.postgres_us),
            d.client_us,
            opt(p.postgres_us),
            p.client_us,
        );
    }
    out
}

/// The whole report as text.
pub fn text(report: &Report) -> String {
    let mut out = rpc_table(&report.rpcs);
    for r in report.rpcs.iter().filter(|r| r.errors > 0) {
        let _ = writeln!(
            out,
            "{}: {} failed calls, first: {}",
            r.label,
            r.errors,
            r.first_error.as_deref().unwrap_or("?")
        );
    }
    if let Some(floor) = &report.grpc_floor {
        let _ = writeln!(
            out,
            "\ngRPC floor (health Check, no database): {:.0} calls/s; CPU µs/call dbrepo {}, client {:.0}",
            floor.per_second,
            opt(floor.cpu.dbrepo_us),
            floor.cpu.client_us,
        );
        for r in &report.rpcs {
            let _ = writeln!(
                out,
                "  {}: the floor alone reaches {:.2} of pgbench",
                r.label,
                floor.per_second / r.pgbench_rate().max(f64::MIN_POSITIVE)
            );
        }
    }
    if !report.ceilings.is_empty() {
        let _ = writeln!(
            out,
            "\nceiling on these {} cores (pgbench's PG + pgbench CPU per tx / (client CPU per call + floor's dbrepo CPU + the same per tx)):",
            report.machine.cpus
        );
    }
    for c in &report.ceilings {
        let _ = writeln!(
            out,
            "  {}: at most {:.2} (pgbench kept {:.2} cores busy)",
            c.label, c.ratio, c.pgbench_cores_busy
        );
    }
    let rss = report
        .idle_rss_kib
        .map_or("-".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0));
    let _ = writeln!(
        out,
        "\ndbrepo start to SERVING: {:.0} ms; idle RSS: {rss}",
        report.startup_ms
    );
    if let Some(t) = &report.trigger {
        let _ = writeln!(
            out,
            "members_v2_sync trigger (previous release's v1 writes, tx/s): on {:.0}, off {:.0}, on/off {:.2}",
            t.on_tps, t.off_tps, t.ratio
        );
    }
    for b in &report.backfill {
        let _ = writeln!(
            out,
            "backfill {} rows: {:.0} rows/s; one UPDATE of the same rows: {:.0} rows/s (backfill/limit {:.2})",
            b.rows, b.backfill_rows_per_s, b.update_rows_per_s, b.ratio
        );
    }
    let m = &report.machine;
    let _ = writeln!(
        out,
        "machine: {} CPUs ({}), load before {} / after {}",
        m.cpus, m.cpu_model, m.load_before, m.load_after
    );
    out
}

#[cfg(test)]
mod tests {
    use super::ceiling_ratio;

    #[test]
    fn the_ceiling_is_pgbench_cpu_over_the_least_a_call_costs() {
        // PostgreSQL 20 µs + pgbench 10 µs per tx; a call costs at least its
        // client's 20 µs, the floor's 10 µs, pgbench's 10 µs of database
        // client work and PostgreSQL's 20 µs.
        assert_eq!(ceiling_ratio(20.0, 10.0, 20.0, 10.0), 0.5);
        // Free calls would make dbrepo as fast as pgbench at best.
        assert_eq!(ceiling_ratio(20.0, 0.0, 0.0, 0.0), 1.0);
    }
}
