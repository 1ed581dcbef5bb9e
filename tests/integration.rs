//! Store-level and gRPC-level tests over the in-memory fake stores.
//!
//! - `dbrepo_testkit`'s suites, stamped here over the fake (and in
//!   `tests/real/` over PostgreSQL): the behaviour every store backend
//!   shares, interleaved v1 and v2 writers, and input PostgreSQL cannot
//!   store, sent over gRPC;
//! - [`fake`]: the in-memory stores, plus tests of what only the fake can
//!   show;
//! - [`grpc`]: the real tonic server over the fake stores, called through
//!   the generated clients.

mod fake;
mod grpc;

/// The contract over the fake reading the system clock.
mod fake_contract {
    use super::fake::fake_backend;

    dbrepo_testkit::contract_suite!(fake_backend);
}

/// The contract again over a fake whose clock never moves: every row is
/// created in the same microsecond, so orders and cursors fall back on ids
/// and every update relies on the `updated_at` trigger's +1µs.
mod frozen_clock_contract {
    use super::fake::frozen_backend;

    dbrepo_testkit::contract_suite!(frozen_backend);
}

/// Interleaved v1 and v2 writes over the fake stores (the previous
/// release writes SQL, so it has no part here).
mod fake_interleavings {
    use std::sync::Arc;

    use super::fake::fake_stores;
    use dbrepo_testkit::interleavings::{NoPreviousRelease, check_interleavings};
    use dbrepo_testkit::served::TestServer;

    /// Enough cases to meet most orders of the few write kinds; each case
    /// is cheap on the fake.
    const CASES: u32 = 256;

    #[test]
    fn interleaved_v1_and_v2_writes_keep_the_mapping_rules() {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let (manager, tasks) = fake_stores();
        let server = runtime.block_on(TestServer::serve(Arc::new(manager), Arc::new(tasks)));
        check_interleavings::<NoPreviousRelease>(
            &runtime,
            server,
            None,
            CASES,
            "tests/proptest-regressions/interleavings/fake.txt",
        );
    }
}

/// Input PostgreSQL cannot store, through the real tonic server over the
/// fake stores (which would store it: only the services can refuse it).
mod fake_unstorable {
    use std::sync::Arc;

    use dbrepo_testkit::served::TestServer;

    use super::fake::fake_stores;

    async fn served() -> (TestServer, ()) {
        let (manager, tasks) = fake_stores();
        (
            TestServer::serve(Arc::new(manager), Arc::new(tasks)).await,
            (),
        )
    }

    dbrepo_testkit::unstorable_suite!(served);
}
