//! Generates the tonic servers and clients for every file under `proto/`,
//! plus the encoded descriptor set that server reflection serves.
//!
//! Protos are compiled by `protox`, a pure-Rust compiler, so no system
//! `protoc` is needed.

use std::{
    env, fs, io,
    path::{Path, PathBuf},
};

use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let descriptors = protox::compile(proto_files(Path::new("proto"))?, ["proto"])?;
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

/// Every `.proto` file below `dir`, in a stable order, so a new API version
/// is compiled (and served by reflection) as soon as its file exists.
fn proto_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files.extend(proto_files(&path)?);
        } else if path.extension().is_some_and(|ext| ext == "proto") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}
