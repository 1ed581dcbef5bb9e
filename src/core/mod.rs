//! The in-memory model of dbrepo: validated field types, the cross-version
//! mapping rules, the one error type, and the store traits that the API
//! versions call and the database layer implements.
//!
//! This layer imports neither tonic/prost (the wire) nor sqlx (the database):
//! both sides depend on it, it depends on neither.

pub mod error;
pub mod fields;
pub mod mapping;
pub mod page;
pub mod sql;

pub use error::{Entity, Error, OnField, Result, Violation};
