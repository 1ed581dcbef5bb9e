//! The load generator: a fixed number of concurrent call loops (gRPC
//! streams over a few HTTP/2 connections), each recording latencies into
//! its own HDR histogram, merged at the end.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use hdrhistogram::Histogram;
use tonic::transport::{Channel, Endpoint};

use crate::ids::Rng;
use crate::rpc::{Clients, Rpc};
use crate::seed::Seed;

/// What one load run did.
pub struct LoadRun {
    /// Successful calls.
    pub calls: u64,
    /// Failed calls (counted, not timed).
    pub errors: u64,
    /// The first failure's status, for the report.
    pub first_error: Option<String>,
    /// Wall-clock length of the run.
    pub elapsed: Duration,
    /// Latencies of successful calls, in microseconds.
    pub latency: Histogram<u64>,
}

/// Connections to one dbrepo address, shared by the streams.
#[derive(Clone)]
pub struct Target {
    channels: Vec<Channel>,
}

impl Target {
    /// Opens `channels` HTTP/2 connections to `address` (nodelay set on
    /// the client side, so only the server's setting can add stalls).
    pub async fn connect(address: &str, channels: usize) -> anyhow::Result<Self> {
        let mut opened = Vec::new();
        for _ in 0..channels.max(1) {
            let channel = Endpoint::from_shared(address.to_owned())?
                .tcp_nodelay(true)
                .connect()
                .await
                .with_context(|| format!("connecting to dbrepo at {address}"))?;
            opened.push(channel);
        }
        Ok(Self { channels: opened })
    }
}

/// Runs `concurrency` loops of `rpc` calls for `duration`.
pub async fn run(
    target: &Target,
    rpc: Rpc,
    seed: &Arc<Seed>,
    concurrency: usize,
    duration: Duration,
) -> LoadRun {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for stream in 0..concurrency {
        let channel = target.channels[stream % target.channels.len()].clone();
        let seed = seed.clone();
        let rng = Rng::new(entropy() ^ ((stream as u64) << 48));
        tasks.push(tokio::spawn(call_loop(
            Clients::new(channel),
            rpc,
            seed,
            rng,
            deadline,
        )));
    }
    let mut total = LoadRun {
        calls: 0,
        errors: 0,
        first_error: None,
        elapsed: Duration::ZERO,
        latency: new_histogram(),
    };
    for task in tasks {
        let Ok(part) = task.await else { continue };
        total.calls += part.calls;
        total.errors += part.errors;
        total.first_error = total.first_error.or(part.first_error);
        let _ = total.latency.add(&part.latency);
    }
    total.elapsed = started.elapsed();
    total
}

async fn call_loop(
    mut clients: Clients,
    rpc: Rpc,
    seed: Arc<Seed>,
    mut rng: Rng,
    deadline: Instant,
) -> LoadRun {
    let mut run = LoadRun {
        calls: 0,
        errors: 0,
        first_error: None,
        elapsed: Duration::ZERO,
        latency: new_histogram(),
    };
    loop {
        let start = Instant::now();
        if start >= deadline {
            return run;
        }
        match clients.call(rpc, &seed, &mut rng).await {
            Ok(()) => {
                run.calls += 1;
                let micros = start.elapsed().as_micros() as u64;
                let _ = run.latency.record(micros.max(1));
            }
            Err(status) => {
                run.errors += 1;
                run.first_error.get_or_insert_with(|| status.to_string());
            }
        }
    }
}

/// 1 µs to 60 s at 3 significant digits.
fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

/// One call of `rpc`, alone (for capturing its statements).
pub async fn one_call(target: &Target, rpc: Rpc, seed: &Seed) -> anyhow::Result<()> {
    let mut clients = Clients::new(target.channels[0].clone());
    let mut rng = Rng::new(entropy());
    clients
        .call(rpc, seed, &mut rng)
        .await
        .map_err(|status| anyhow::anyhow!("{} failed: {status}", rpc.label()))
}

/// A seed that differs between runs and streams.
fn entropy() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}
