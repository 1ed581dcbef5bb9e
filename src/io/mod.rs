//! Input/output: the PostgreSQL implementations of the core store traits.
//!
//! Knows core and sqlx; never the wire (tonic, prost, generated code).

pub mod db;
