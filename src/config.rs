//! The service's configuration: one typed struct, every field settable by a
//! flag and an environment variable, with a default wherever one is sane.

use std::{net::SocketAddr, time::Duration};

use clap::{Parser, ValueEnum};
use secrecy::SecretString;

/// dbrepo: one PostgreSQL database behind the gRPC APIs dbrepo.app.v1,
/// dbrepo.manager.v1 and dbrepo.manager.v2, served together on one port.
#[derive(Debug, Clone, Parser)]
#[command(version, about, long_about = None)]
pub struct Config {
    /// PostgreSQL URL of the service's login (DML rights only); a password
    /// may also come from PGPASSWORD. When unset, a throwaway PostgreSQL is
    /// started, migrated and used (development).
    // A secret type: `Debug` of the whole config prints `[REDACTED]` here.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<SecretString>,

    /// Address to serve gRPC on.
    #[arg(long, env = "DBREPO_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,

    /// Address to serve Prometheus metrics on (`GET /metrics`); an empty
    /// value turns the endpoint off.
    #[arg(
        long,
        env = "DBREPO_METRICS_LISTEN",
        default_value = "127.0.0.1:9464",
        value_parser = parse_optional_address
    )]
    pub metrics_listen: OptionalAddress,

    /// OTLP/gRPC endpoint to export traces to, e.g. `http://collector:4317`:
    /// a span per RPC (joined to the caller's W3C `traceparent`) and one per
    /// SQL statement. Unset or empty: no traces, and nothing connects.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,

    /// Most database connections the service holds.
    #[arg(long, env = "DBREPO_POOL_SIZE", default_value_t = 10)]
    pub pool_size: u32,

    /// How long to wait for a database connection, in seconds.
    #[arg(long, env = "DBREPO_CONNECT_TIMEOUT_SECS", default_value_t = 5)]
    pub connect_timeout_secs: u64,

    /// Longest a single SQL statement may run, in milliseconds (0: no limit).
    #[arg(long, env = "DBREPO_STATEMENT_TIMEOUT_MS", default_value_t = 5_000)]
    pub statement_timeout_ms: u64,

    /// Largest request message accepted, in bytes; a larger one is refused
    /// with RESOURCE_EXHAUSTED.
    #[arg(long, env = "DBREPO_MAX_MESSAGE_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub max_message_bytes: usize,

    /// How long in-flight calls may run after SIGTERM or Ctrl-C, in seconds.
    #[arg(long, env = "DBREPO_SHUTDOWN_GRACE_SECS", default_value_t = 20)]
    pub shutdown_grace_secs: u64,

    /// Log format: pretty for a terminal, json for log collectors, auto picks
    /// pretty when standard output is a terminal.
    #[arg(long, env = "DBREPO_LOG_FORMAT", value_enum, default_value_t = LogFormat::Auto)]
    pub log_format: LogFormat,

    /// Log filter, e.g. `info` or `dbrepo=debug,sqlx=warn`.
    #[arg(long, env = "DBREPO_LOG", default_value = "info")]
    pub log: String,

    /// With no DATABASE_URL: keep the throwaway database's data directory on
    /// exit (it is printed at startup) instead of deleting it.
    #[arg(long, env = "DBREPO_KEEP_DATA", default_value_t = false)]
    pub keep_data: bool,
}

/// An address to listen on, or none (from an empty value): off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionalAddress(pub Option<SocketAddr>);

fn parse_optional_address(value: &str) -> Result<OptionalAddress, String> {
    if value.trim().is_empty() {
        return Ok(OptionalAddress(None));
    }
    value
        .parse()
        .map(|address| OptionalAddress(Some(address)))
        .map_err(|err| {
            format!("{err}: expected host:port such as 127.0.0.1:9464, or empty for off")
        })
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Pretty on a terminal, JSON otherwise.
    Auto,
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

impl Config {
    /// How long to wait for a database connection.
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout_secs)
    }

    /// Where to export traces, if anywhere: an empty endpoint is none.
    pub fn otlp_endpoint(&self) -> Option<&str> {
        self.otlp_endpoint
            .as_deref()
            .map(str::trim)
            .filter(|endpoint| !endpoint.is_empty())
    }

    /// How long in-flight calls may run after a shutdown signal.
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_serve_on_loopback_with_the_dev_database() {
        let config = Config::try_parse_from(["dbrepo"]).unwrap();
        assert_eq!(config.listen, "127.0.0.1:50051".parse().unwrap());
        assert_eq!(config.pool_size, 10);
        assert_eq!(config.log_format, LogFormat::Auto);
        assert_eq!(config.otlp_endpoint(), None);
        assert_eq!(
            config.metrics_listen,
            OptionalAddress(Some("127.0.0.1:9464".parse().unwrap()))
        );
    }

    #[test]
    fn an_empty_metrics_address_turns_the_endpoint_off() {
        let config = Config::try_parse_from(["dbrepo", "--metrics-listen", ""]).unwrap();
        assert_eq!(config.metrics_listen, OptionalAddress(None));
        let wrong = Config::try_parse_from(["dbrepo", "--metrics-listen", "9464"]).unwrap_err();
        assert!(wrong.to_string().contains("host:port"), "{wrong}");
    }

    #[test]
    fn an_empty_otlp_endpoint_exports_nothing() {
        let off = Config::try_parse_from(["dbrepo", "--otlp-endpoint", " "]).unwrap();
        assert_eq!(off.otlp_endpoint(), None);
        let on =
            Config::try_parse_from(["dbrepo", "--otlp-endpoint", "http://127.0.0.1:4317"]).unwrap();
        assert_eq!(on.otlp_endpoint(), Some("http://127.0.0.1:4317"));
    }

    #[test]
    fn debug_output_never_shows_the_database_url() {
        let url = "postgres://svc:s3cret@db/app?password=s3cret";
        let config = Config::try_parse_from(["dbrepo", "--database-url", url]).unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
    }
}
