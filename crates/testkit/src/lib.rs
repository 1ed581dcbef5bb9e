//! What dbrepo's test targets share: the store contract suite, the suite of
//! input PostgreSQL cannot store, the interleaved-writers property test,
//! and a real server with one client per published service.
//!
//! `tests/integration.rs` runs the suites over the in-memory fakes,
//! `tests/real/` over PostgreSQL; each stamps them with its own backend:
//!
//! ```text
//! async fn pg_backend() -> dbrepo_testkit::contract::Stores<PgManagerStore, PgTaskStore> { … }
//! dbrepo_testkit::contract_suite!(pg_backend);
//! ```

pub mod contract;
pub mod interleavings;
pub mod served;
pub mod unstorable;
