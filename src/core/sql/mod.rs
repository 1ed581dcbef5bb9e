//! The store traits: what the API versions need from a database, in core
//! types. `crate::io::db` implements them on PostgreSQL; the integration
//! tests implement them in memory. Both obey the same contract suite.
//!
//! Traits return `impl Future + Send` so that services can be generic over
//! a store without boxing, and tonic can run them on any worker thread.

pub mod app;
pub mod manager;
