//! The management-console API versions over `core::sql::manager::ManagerStore`.
//!
//! Each version's adapter has the same shape, RPC by RPC: convert the
//! request (`TryFrom`), call the store, convert the answer. The shape is
//! written out per version on purpose, over each version's own generated
//! types: a version reads whole in its one file, and retiring v1 deletes
//! `v1.rs` without touching v2 (docs/versioning.md, "Retiring v1").

pub mod v1;
pub mod v2;
