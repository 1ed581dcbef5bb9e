//! The log lines of a call: one warning when it fails, one info line when
//! the client cancels it, one debug line when it succeeds, all under
//! [`TARGET`] with the method, its API version, the gRPC code and the
//! duration. While a call runs, its method is also known to the lines
//! logged on its behalf (`current_rpc`), so an error logged by
//! [`super::status`] says which call it belongs to.
//!
//! The method travels in a task-local rather than a tracing span: sqlx
//! re-enters the current span on every row it yields, and a span per call
//! that only carries the method cost about a tenth of the service's CPU on
//! a 50-row page (docs/performance.md, AFTER 5).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::futures::TaskLocalFuture;

/// The target of the per-call lines: `DBREPO_LOG=info,dbrepo::calls=debug`
/// logs successful calls too.
pub const TARGET: &str = "dbrepo::calls";

tokio::task_local! {
    static RPC: Arc<str>;
}

/// Runs `call` with `rpc` (the request path) as the current call's method.
pub(crate) fn in_call<F: Future>(rpc: Arc<str>, call: F) -> TaskLocalFuture<Arc<str>, F> {
    RPC.scope(rpc, call)
}

/// The request path of the call this task is serving, if any.
pub(crate) fn current_rpc() -> Option<Arc<str>> {
    RPC.try_with(Arc::clone).ok()
}

/// Logs the end of a call to `rpc` with gRPC code `code` (named `code_name`).
pub(crate) fn finished(rpc: &str, code: usize, code_name: &str, elapsed: Duration) {
    let elapsed_ms = elapsed.as_secs_f64() * 1e3;
    let api_version = api_version(rpc);
    if code == tonic::Code::Ok as usize {
        tracing::debug!(target: TARGET, rpc, api_version, code = code_name, elapsed_ms, "call finished");
    } else if code == tonic::Code::Cancelled as usize {
        // The client went away or its deadline passed: its choice, not a fault.
        tracing::info!(target: TARGET, rpc, api_version, code = code_name, elapsed_ms, "call cancelled");
    } else {
        tracing::warn!(target: TARGET, rpc, api_version, code = code_name, elapsed_ms, "call failed");
    }
}

/// "manager.v2" for "/dbrepo.manager.v2.ManagerService/GetTeam".
fn api_version(path: &str) -> &str {
    let service = path.trim_start_matches('/').split('/').next().unwrap_or("");
    let service = service.strip_prefix("dbrepo.").unwrap_or(service);
    service
        .rsplit_once('.')
        .map_or(service, |(package, _)| package)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_version_is_the_package_without_the_dbrepo_prefix() {
        assert_eq!(
            api_version("/dbrepo.manager.v2.ManagerService/GetTeam"),
            "manager.v2"
        );
        assert_eq!(
            api_version("/dbrepo.app.v1.TaskService/ListTasks"),
            "app.v1"
        );
        assert_eq!(
            api_version("/grpc.health.v1.Health/Check"),
            "grpc.health.v1"
        );
    }

    #[tokio::test]
    async fn the_method_is_known_inside_the_call_only() {
        assert_eq!(current_rpc(), None);
        let seen = in_call("/a.B/C".into(), async {
            tokio::task::yield_now().await;
            current_rpc()
        })
        .await;
        assert_eq!(seen.as_deref(), Some("/a.B/C"));
        assert_eq!(current_rpc(), None);
    }
}
