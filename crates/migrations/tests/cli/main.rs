//! The real `dbrepo-migrations` binary as a child process against a real
//! database (the exit codes of `status`, its reports, no password in its
//! output whatever way the password was given and however the connection
//! fails), and the migration lock's compatibility with sqlx's migrator.
//!
//! One throwaway PostgreSQL (dbrepo's test server) per test process; run
//! with `cargo test -p dbrepo-migrations`.

mod backfill;
mod lock;
mod secrets;
mod status;
mod steps;
mod support;
mod verify;
