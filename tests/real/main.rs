//! Tests against a real PostgreSQL server.
//!
//! One server per test process (see `support`); every test gets its own
//! database cloned from a migrated template and connects as the service's
//! DML login. Run with `cargo test --test real` (not nextest, which would
//! start a server per test). Without Docker or local PostgreSQL server
//! binaries these tests fail with instructions; they never skip.

mod migrations;
mod support;
