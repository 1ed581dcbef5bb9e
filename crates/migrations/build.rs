//! Makes cargo rebuild the crate when a migration file is added or edited:
//! `sqlx::migrate!` embeds the files, but cargo does not track them itself.

fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
