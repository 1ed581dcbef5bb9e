//! Input/output: the PostgreSQL implementations of the core store traits and
//! the schema gate. (The throwaway server of tests and of `cargo run` is the
//! `dbrepo-dev-postgres` crate.)
//!
//! Knows core and sqlx; never the wire (tonic, prost, generated code).

pub mod db;
pub mod schema_gate;
