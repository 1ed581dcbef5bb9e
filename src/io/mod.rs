//! Input/output: the PostgreSQL implementations of the core store traits, and
//! the throwaway PostgreSQL server that tests and the dev default start.
//!
//! Knows core and sqlx; never the wire (tonic, prost, generated code).

pub mod db;
pub mod dev_database;
pub mod postgres_server;
pub mod schema_gate;
