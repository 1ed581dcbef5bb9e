//! Store-level and gRPC-level tests over the in-memory fake stores.
//!
//! - [`contract`]: the behaviour every store backend shares, stamped here
//!   for the fake (and in `tests/real/` for PostgreSQL);
//! - [`fake`]: the in-memory stores, plus tests of what only the fake can
//!   show;
//! - [`grpc`]: the real tonic server over the fake stores, called through
//!   the generated clients.

mod contract;
mod fake;
mod grpc;
mod served;

/// The contract over the fake reading the system clock.
mod fake_contract {
    use super::fake::fake_backend;

    super::contract::contract_suite!(fake_backend);
}

/// The contract again over a fake whose clock never moves: every row is
/// created in the same microsecond, so orders and cursors fall back on ids
/// and every update relies on the `updated_at` trigger's +1µs.
mod frozen_clock_contract {
    use super::fake::frozen_backend;

    super::contract::contract_suite!(frozen_backend);
}
