//! Generates the tonic servers and clients for every file under `proto/`,
//! plus the encoded descriptor set that server reflection serves.
//!
//! Protos are compiled by `protox`, a pure-Rust compiler, so no system
//! `protoc` is needed.

use std::{env, fs, path::PathBuf};

use prost::Message;

const PROTO_FILES: &[&str] = &[
    "proto/app/v1.proto",
    "proto/manager/v1.proto",
    "proto/manager/v2.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let descriptors = protox::compile(PROTO_FILES, ["proto"])?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(
        out_dir.join("dbrepo_descriptor.bin"),
        descriptors.encode_to_vec(),
    )?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(descriptors)?;
    Ok(())
}
