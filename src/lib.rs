//! # dbrepo
//!
//! One PostgreSQL database behind several published gRPC API versions at
//! once: `dbrepo.app.v1`, `dbrepo.manager.v1` and `dbrepo.manager.v2` all
//! work on the same rows, so a client can roll forward or back between
//! versions at any moment without the database rolling back.
//!
//! ## Layout: dependencies point inward (`api` → `core` ← `io`)
//! - [`proto`]: code generated from `proto/**.proto`, the client contracts.
//! - [`core`]: validated field types, the cross-version mapping rules, the
//!   error type and the store traits. Knows neither the wire nor the database.
//! - [`api`]: one tonic service per published version; each converts its
//!   requests into core types, calls a store trait, converts back.
//! - [`io`]: the PostgreSQL implementations of the store traits, and the
//!   throwaway PostgreSQL server used by tests and the dev default.
//!
//! ## Where does manager v3 go?
//! `proto/manager/v3.proto`, a new `api::manager::v3` adapter over the same
//! `core::sql::manager::ManagerStore` (extended if v3 needs new data), an
//! expand migration in `migrations/`, and a row in the rollback matrix. See
//! `docs/versioning.md`.

pub mod api;
pub mod config;
pub mod core;
pub mod io;
pub mod metrics;
pub mod service;
pub mod telemetry;

/// Code generated from the `.proto` files by `build.rs`.
pub mod proto {
    /// The end-user application API.
    pub mod app {
        /// `dbrepo.app.v1`.
        pub mod v1 {
            #![allow(missing_docs)]
            tonic::include_proto!("dbrepo.app.v1");
        }
    }
    /// The management-console API versions.
    pub mod manager {
        /// `dbrepo.manager.v1`.
        pub mod v1 {
            #![allow(missing_docs)]
            tonic::include_proto!("dbrepo.manager.v1");
        }
        /// `dbrepo.manager.v2`.
        pub mod v2 {
            #![allow(missing_docs)]
            tonic::include_proto!("dbrepo.manager.v2");
        }
    }
    /// The encoded descriptors of every proto file, for server reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("dbrepo_descriptor");
}
