//! One whole run: database, dbrepo processes, every RPC, extras, report.

use std::sync::Arc;

use anyhow::Context;
use sqlx::postgres::PgConnectOptions;

use crate::cli::{Args, Extra};
use crate::db::{Database, with_address};
use crate::load::Target;
use crate::measure::Bench;
use crate::pgbench::Pgbench;
use crate::proxy::Proxy;
use crate::report::{Machine, Report, Settings};
use crate::seed::Seed;
use crate::server::{Dbrepo, dbrepo_binary};
use crate::{chart, cpu, extras, report};

/// Runs everything `args` asks for and writes the report.
pub async fn run(args: &Args) -> anyhow::Result<()> {
    let load_before = loadavg();
    let binary = dbrepo_binary(args.dbrepo_bin.as_deref())?;
    eprintln!("starting PostgreSQL");
    let db = Database::start(args.database_url.as_deref()).await?;
    let outcome = with_database(args, &db, &binary, load_before).await;
    let cleaned = db.cleanup().await;
    let report = outcome?;
    cleaned?;
    println!("{}", report::text(&report));
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
    }
    if let Some(path) = &args.svg {
        let title = format!("dbrepo vs pgbench on the same SQL, {}", report.started_at);
        std::fs::write(path, chart::svg(&report.rpcs, &title))?;
    }
    Ok(())
}

async fn with_database(
    args: &Args,
    db: &Database,
    binary: &std::path::Path,
    load_before: String,
) -> anyhow::Result<Report> {
    let started_at = now();
    let owner = db.owner_pool().await?;
    eprintln!("seeding");
    let seed = Arc::new(Seed::from_args(args).write(&owner).await?);
    let (postgres, backend): (String, i32) = sqlx::query_as("SELECT version(), pg_backend_pid()")
        .fetch_one(&owner)
        .await?;
    let postmaster = u32::try_from(backend).ok().and_then(cpu::postmaster_of);
    let dir = tempfile::tempdir()?;
    let timed = Dbrepo::start(
        binary,
        &db.service_url,
        args.pool,
        &args.dbrepo_log,
        dir.path().join("timed.log"),
    )
    .await?;
    let upstream = database_address(&db.service_url).await?;
    let proxy = Proxy::start(upstream).await?;
    let probe_url = with_address(&db.service_url, proxy.address());
    let probe = Dbrepo::start(
        binary,
        &probe_url,
        args.pool,
        &args.dbrepo_log,
        dir.path().join("probe.log"),
    )
    .await?;
    let pgbench = Pgbench::find(db.bin_dir(), args.concurrency)?;
    let timed_target = Target::connect(&timed.address, args.channels).await?;
    let probe_target = Target::connect(&probe.address, args.channels).await?;
    let bench = Bench {
        seed: seed.clone(),
        concurrency: args.concurrency,
        segment: args.segment(),
        warmup: args.warmup(),
        rounds: args.rounds.max(1),
        timed: &timed_target,
        probe: &probe_target,
        proxy: &proxy,
        processes: cpu::Processes {
            dbrepo: timed.pid,
            postmaster,
        },
        pgbench: &pgbench,
        service_url: &db.service_url,
        owner: &owner,
        service_role: &db.service_role,
        dir: dir.path(),
    };
    let mut rpcs = Vec::new();
    for rpc in &args.rpcs {
        eprintln!("measuring {}", rpc.label());
        let result = bench.measure(*rpc).await;
        rpcs.push(result.with_context(|| format!("measuring {}", rpc.label()))?);
    }
    let grpc_floor = if rpcs.is_empty() {
        None
    } else {
        eprintln!("measuring {}", crate::rpc::Rpc::GrpcFloor.label());
        Some(bench.floor().await)
    };
    let (startup_ms, idle_rss_kib) = (timed.startup.as_secs_f64() * 1000.0, timed.idle_rss_kib);
    drop((timed_target, probe_target));
    probe.stop().await?;
    timed.stop().await?;
    let mut report = Report {
        started_at,
        machine: Machine {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model: cpu_model(),
            postgres,
            load_before,
            load_after: String::new(),
        },
        settings: Settings {
            concurrency: args.concurrency,
            channels: args.channels,
            pool: args.pool,
            segment_seconds: args.duration,
            rounds: args.rounds,
            smoke: args.smoke,
            dbrepo_log: args.dbrepo_log.clone(),
        },
        seed: (*seed).clone(),
        startup_ms,
        idle_rss_kib,
        ceilings: grpc_floor
            .as_ref()
            .map_or_else(Vec::new, |floor| crate::report::ceilings(&rpcs, floor)),
        rpcs,
        grpc_floor,
        trigger: None,
        backfill: Vec::new(),
    };
    run_extras(args, db, &owner, &pgbench, &mut report, dir.path()).await?;
    report.machine.load_after = loadavg();
    owner.close().await;
    Ok(report)
}

async fn run_extras(
    args: &Args,
    db: &Database,
    owner: &sqlx::PgPool,
    pgbench: &Pgbench,
    report: &mut Report,
    dir: &std::path::Path,
) -> anyhow::Result<()> {
    if args.extras.contains(&Extra::Trigger) {
        eprintln!("measuring the members_v2_sync trigger");
        let timing = (args.segment(), args.rounds.max(1));
        report.trigger =
            Some(extras::trigger(db, owner, pgbench, &report.seed, timing, dir).await?);
    }
    if args.extras.contains(&Extra::Backfill) {
        for rows in &args.backfill_sizes {
            eprintln!("measuring the backfill of {rows} rows");
            report
                .backfill
                .push(extras::backfill(db, *rows, &args.backfill_options()).await?);
        }
    }
    Ok(())
}

/// The socket address the service URL points at (for the proxy).
async fn database_address(url: &str) -> anyhow::Result<std::net::SocketAddr> {
    let options: PgConnectOptions = url.parse()?;
    let host = format!("{}:{}", options.get_host(), options.get_port());
    tokio::net::lookup_host(&host)
        .await?
        .next()
        .with_context(|| format!("resolving {host}"))
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn cpu_model() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    info.lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown".into(), |(_, m)| m.trim().to_owned())
}

fn now() -> String {
    let format = time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}
