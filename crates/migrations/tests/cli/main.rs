//! The real `dbrepo-migrations` binary as a child process: the exit codes
//! of `status` against a real database, and no password in its output
//! whatever way the password was given and however the connection fails.
//!
//! One throwaway PostgreSQL (dbrepo's test server) per test process; run
//! with `cargo test -p dbrepo-migrations`.

mod backfill;
mod secrets;
mod status;
mod steps;
mod support;
mod verify;
