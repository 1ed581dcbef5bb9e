//! The end-user application API versions over `core::sql::app::TaskStore`.

pub mod v1;
