//! `grpc.health.v1.Health` as shared/DOMAIN.md promises it: NOT_SERVING for
//! "" and every API service while the database cannot be reached, SERVING
//! again as soon as it answers, and NOT_SERVING for good from the moment a
//! shutdown begins. `Watch` streams every change (tonic-health does that).
//!
//! One more name, [`LIVENESS`], answers SERVING for as long as the process
//! answers at all: a liveness probe must not follow the database, or every
//! replica would be restarted during a database outage, which fixes nothing.
//!
//! The database is probed by whoever runs the server (`service.rs`, over a
//! connection of its own), at most once per [`PROBE_INTERVAL`] and never
//! per `Check`, so health checks cost the database nothing however often
//! they come.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use super::server::service_names;

/// How often the database is probed: the bound on how long health may lag
/// behind the database's state.
pub const PROBE_INTERVAL: Duration = Duration::from_secs(1);

/// The health service name a liveness probe asks for: SERVING while the
/// process can answer, whatever the database does.
pub const LIVENESS: &str = "liveness";

/// The serving status of the whole server ("") and of each API service.
#[derive(Clone)]
pub struct Health {
    reporter: HealthReporter,
    /// What was last set, for metrics (the reporter cannot be read).
    serving: Arc<AtomicBool>,
}

impl std::fmt::Debug for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Health")
            .field("serving", &self.is_serving())
            .finish()
    }
}

impl Health {
    /// Starts with [`LIVENESS`] and every API service SERVING.
    pub(super) async fn start(reporter: HealthReporter) -> Self {
        reporter
            .set_service_status(LIVENESS, ServingStatus::Serving)
            .await;
        let health = Self {
            reporter,
            serving: Arc::default(),
        };
        health.set_serving(true).await;
        health
    }

    /// Whether the API services were last set SERVING.
    pub fn is_serving(&self) -> bool {
        self.serving.load(Ordering::Relaxed)
    }

    /// Sets "" and every API service to SERVING or NOT_SERVING; watchers
    /// see the change only when it is one.
    pub async fn set_serving(&self, serving: bool) {
        let status = if serving {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        };
        self.reporter.set_service_status("", status).await;
        for name in service_names() {
            self.reporter.set_service_status(name, status).await;
        }
        self.serving.store(serving, Ordering::Relaxed);
    }
}
