//! Finding the PostgreSQL server binaries without relying on PATH (Debian
//! keeps them in a versioned directory that is not on it).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// `pg_config --bindir`, then `/usr/lib/postgresql/<version>/bin`, newest first.
pub(super) fn find_bin_dir(explicit: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(dir) = explicit {
        return has_server(dir)
            .then(|| dir.to_owned())
            .ok_or(format!("no server binaries in {}", dir.display()));
    }
    let mut candidates = Vec::new();
    let pg_config = Command::new("pg_config")
        .arg("--bindir")
        .stdin(Stdio::null())
        .output();
    if let Ok(out) = pg_config
        && out.status.success()
    {
        candidates.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    }
    let mut versioned: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            Some((
                entry.file_name().to_str()?.parse().ok()?,
                entry.path().join("bin"),
            ))
        })
        .collect();
    versioned.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    candidates.extend(versioned.into_iter().map(|(_, dir)| dir));
    candidates.into_iter().find(|dir| has_server(dir)).ok_or_else(|| {
        "no initdb, pg_ctl and postgres found via `pg_config --bindir` or in /usr/lib/postgresql/*/bin".into()
    })
}

fn has_server(dir: &Path) -> bool {
    ["initdb", "pg_ctl", "postgres"]
        .iter()
        .all(|p| dir.join(p).is_file())
}
