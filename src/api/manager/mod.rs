//! The management-console API versions over `core::sql::manager::ManagerStore`.

pub mod v1;
pub mod v2;
