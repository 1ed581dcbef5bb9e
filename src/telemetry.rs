//! Logging set-up: one `tracing` subscriber, pretty on a terminal, JSON in
//! production. Spans per RPC come from `api::server`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber. `filter` is an `EnvFilter` directive such
/// as `info` or `dbrepo=debug,sqlx=warn`; an invalid one falls back to
/// `info` and says so.
pub fn init(format: LogFormat, filter: &str) {
    let (filter, invalid) = match EnvFilter::try_new(filter) {
        Ok(filter) => (filter, None),
        Err(err) => (EnvFilter::new("info"), Some(err)),
    };
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Pretty => false,
        LogFormat::Auto => !std::io::stdout().is_terminal(),
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .init();
    } else {
        builder.init();
    }
    if let Some(err) = invalid {
        tracing::warn!(error = %err, "invalid log filter, using info");
    }
}
