//! Property tests of interleaved writers: arbitrary sequences of v1, v2 and
//! previous-release writes to the same few members keep DOMAIN.md's rules
//! of "How v1 and v2 see the same member", checked against a pure
//! [`model`] after every write, through the real gRPC stack.
//!
//! Shared by two targets: `tests/integration.rs` runs it over the fake
//! stores (no previous release: it writes SQL), `tests/real/` over
//! PostgreSQL with the previous release's statements writing beside the
//! server.
//!
//! v2 names may start or end in white space, which v2 stores exactly: a
//! family name "Lovelace " reads in v1 as "Ada Lovelace ", and v1 writing
//! that back stores "Ada Lovelace", what it wrote after trimming (a change,
//! so v2's names are re-derived).

pub mod model;
mod ops;
mod previous;
mod runner;
mod strategies;
mod writes;

use proptest::test_runner::{Config, FileFailurePersistence, TestRunner};
use tokio::runtime::Runtime;

#[allow(
    unused_imports,
    reason = "only the run over the fake has no previous release"
)]
pub use previous::NoPreviousRelease;
pub use previous::PreviousWriter;

use crate::served::TestServer;

/// Runs `cases` cases of interleaved writes on `server` (previous-release
/// writes too when `previous` is given), one fresh team per case, then
/// stops the server. Panics with the shrunk failing case, which is saved to
/// `regressions` (relative to the package) and replayed first next time.
pub fn check_interleavings<P: PreviousWriter>(
    runtime: &Runtime,
    server: TestServer,
    previous: Option<&P>,
    cases: u32,
    regressions: &'static str,
) {
    let config = Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(regressions))),
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let strategy = strategies::ops(previous.is_some());
    let result = runner.run(&strategy, |ops| {
        runtime.block_on(async { runner::Case::new(&server, previous).await?.run(&ops).await })
    });
    runtime.block_on(server.stop());
    if let Err(error) = result {
        panic!("{error}\n{runner}");
    }
}
