pub mod proto {
    pub mod app {
        pub mod v1 {
            tonic::include_proto!("dbrepo.app.v1");
        }
    }
    pub mod manager {
        pub mod v1 {
            tonic::include_proto!("dbrepo.manager.v1");
        }
        pub mod v2 {
            tonic::include_proto!("dbrepo.manager.v2");
        }
    }
    pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("dbrepo_descriptor");
}

/// Adapters to the outside world.
pub mod io {
    pub mod postgres_server;
}
