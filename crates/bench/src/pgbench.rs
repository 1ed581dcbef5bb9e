//! Running `pgbench -M prepared` on a script and reading its summary.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::script::Script;
use crate::server::child_command;

/// What one pgbench run reported.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PgbenchRun {
    /// Transactions (script runs) per second, without connection time.
    pub tps: f64,
    /// Transactions processed.
    pub transactions: u64,
    /// Mean latency per transaction, in milliseconds.
    pub latency_ms: f64,
}

/// How to run pgbench.
pub struct Pgbench {
    program: PathBuf,
    /// Clients (`-c`).
    pub clients: usize,
    /// Threads (`-j`).
    pub threads: usize,
}

impl Pgbench {
    /// pgbench from `bin_dir`, `pg_config --bindir` or the newest
    /// `/usr/lib/postgresql/*/bin`.
    pub fn find(bin_dir: Option<&Path>, clients: usize) -> anyhow::Result<Self> {
        let mut candidates: Vec<PathBuf> = bin_dir.into_iter().map(Path::to_owned).collect();
        if let Ok(out) = std::process::Command::new("pg_config")
            .arg("--bindir")
            .output()
        {
            candidates.push(String::from_utf8_lossy(&out.stdout).trim().into());
        }
        let mut versioned: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path().join("bin"))
            .collect();
        versioned.sort_by_key(|p| std::cmp::Reverse(p.clone()));
        candidates.extend(versioned);
        let program = candidates
            .into_iter()
            .map(|dir| dir.join("pgbench"))
            .find(|p| p.is_file())
            .context("pgbench not found (it ships with the PostgreSQL server binaries)")?;
        Ok(Self {
            program,
            clients,
            threads: clients.clamp(1, 2),
        })
    }

    /// Runs `script` for `duration` (whole seconds, at least one) against `url`.
    /// Must be called from the main task (see `child_command`).
    pub async fn run(
        &self,
        script: &Script,
        url: &str,
        duration: Duration,
        dir: &Path,
    ) -> anyhow::Result<PgbenchRun> {
        let file = dir.join("script.sql");
        std::fs::write(&file, &script.text)?;
        let seconds = duration.as_secs_f64().round().max(1.0).to_string();
        let mut command = child_command(&self.program);
        command.args(["-n", "-M", "prepared", "-T", &seconds]);
        command.args([
            "-c",
            &self.clients.to_string(),
            "-j",
            &self.threads.to_string(),
        ]);
        for (name, value) in &script.defines {
            command.arg("-D").arg(format!("{name}={value}"));
        }
        command.arg("-f").arg(&file).arg(url);
        for var in [
            "PGHOST",
            "PGPORT",
            "PGUSER",
            "PGDATABASE",
            "PGPASSWORD",
            "PGOPTIONS",
        ] {
            command.env_remove(var);
        }
        let output = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("starting pgbench")?
            .wait_with_output()
            .await?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            bail!(
                "pgbench failed: {}\nscript:\n{}",
                stderr.trim(),
                script.text
            );
        }
        parse(&stdout).with_context(|| format!("reading pgbench's summary:\n{stdout}"))
    }
}

fn parse(summary: &str) -> anyhow::Result<PgbenchRun> {
    let after = |prefix: &str| -> Option<f64> {
        let line = summary.lines().find(|l| l.starts_with(prefix))?;
        line[prefix.len()..]
            .split_whitespace()
            .next()?
            .split('/')
            .next()?
            .parse()
            .ok()
    };
    Ok(PgbenchRun {
        tps: after("tps = ").context("no tps line")?,
        transactions: after("number of transactions actually processed: ")
            .context("no transactions line")? as u64,
        latency_ms: after("latency average = ").unwrap_or(0.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_summary() {
        let out = "number of transactions actually processed: 4210/4210\n\
                   latency average = 3.801 ms\n\
                   tps = 4209.123 (without initial connection time)\n";
        let run = parse(out).unwrap();
        assert_eq!(run.transactions, 4210);
        assert!((run.tps - 4209.123).abs() < 1e-9);
    }
}
