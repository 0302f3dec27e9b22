//! Finding the reference programs (`server`, `client`, ...) that `netlab
//! trace` and `netlab demo` run by default: the binaries next to netlab's own.
//!
//! Trap: the lab folders are members of this workspace and share its
//! `target/`, and a lab's starter programs have the same names as the
//! reference ones. After `cargo test` in a lab folder, `target/debug/server`
//! is the *student's* server until the root package is built again. Cargo
//! writes next to each binary a dep-info file (`server.d`) naming the
//! sources it was built from: when those are not this package's own
//! `src/bin/`, the binary is rebuilt from the reference (`cargo build
//! --bins` at the repository root) before it is used.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::process::{describe_status, Child, Stream};

/// The reference program `name` next to the running netlab, rebuilt first
/// if a lab's program of the same name took its place. `Err` says why it
/// cannot be had, and what to do.
pub fn program(name: &str) -> Result<PathBuf, String> {
    let exe =
        std::env::current_exe().map_err(|e| format!("cannot find netlab's own folder: {e}"))?;
    let dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    program_in(&dir, name)
}

/// Like [`program`], with the binaries looked for in `dir`.
pub fn program_in(dir: &Path, name: &str) -> Result<PathBuf, String> {
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if path.is_file() && !is_someone_elses(dir, name) {
        return Ok(path);
    }
    let why = if path.is_file() {
        format!(
            "{} is a lab's program of the same name (built by `cargo test` in a lab folder: both write target/), not the reference",
            path.display()
        )
    } else {
        format!("the reference {name} is not at {}", path.display())
    };
    // Built from this checkout? Then build the reference programs again.
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    if manifest.is_file() && dir.starts_with(env!("CARGO_MANIFEST_DIR")) {
        eprintln!("netlab: {why}; building the reference programs (cargo build --bins)...");
        rebuild(&manifest)?;
        if path.is_file() && !is_someone_elses(dir, name) {
            return Ok(path);
        }
    }
    Err(format!(
        "{why}; build the reference programs with `cargo build --bins` at the repository root"
    ))
}

/// Does the dep-info file next to `name` say it was built from sources
/// other than this package's `src/bin/`? (No file: cannot tell, so no.)
fn is_someone_elses(dir: &Path, name: &str) -> bool {
    let Ok(deps) = std::fs::read_to_string(dir.join(format!("{name}.d"))) else {
        return false;
    };
    let ours = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join("bin")
        .join(format!("{name}.rs"));
    !deps.contains(&ours.to_string_lossy().into_owned())
}

fn rebuild(manifest: &Path) -> Result<(), String> {
    let mut cmd = std::process::Command::new(std::env::var("CARGO").unwrap_or("cargo".into()));
    cmd.args(["build", "--quiet", "--bins", "--manifest-path"])
        .arg(manifest);
    // A cold build on two cores takes a few minutes; never wait forever.
    let mut child = Child::spawn(cmd, Duration::from_secs(900))
        .map_err(|e| format!("cannot run cargo to build the reference programs: {e}"))?;
    match child.wait_exit(Duration::from_secs(900)) {
        Some(status) if status.success() => Ok(()),
        Some(status) => Err(format!(
            "building the reference programs failed ({}): {}",
            describe_status(status),
            child.text(Stream::Stderr).trim_end()
        )),
        None => Err("building the reference programs took more than 15 minutes".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_binary_built_from_a_lab_is_told_apart_from_the_reference() {
        let dir = tempfile::tempdir().unwrap();
        let ours = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bin/server.rs");
        std::fs::write(
            dir.path().join("server.d"),
            format!("{}/server: {}\n", dir.path().display(), ours.display()),
        )
        .unwrap();
        assert!(!is_someone_elses(dir.path(), "server"));
        let theirs = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("labs/week01-tcp-client-server/src/bin/server.rs");
        std::fs::write(
            dir.path().join("server.d"),
            format!("{}/server: {}\n", dir.path().display(), theirs.display()),
        )
        .unwrap();
        assert!(is_someone_elses(dir.path(), "server"));
        // Not under this checkout: nothing is rebuilt, the error says why.
        std::fs::write(dir.path().join("server"), b"").unwrap();
        let err = program_in(dir.path(), "server").unwrap_err();
        assert!(err.contains("a lab's program"), "{err}");
        assert!(err.contains("cargo build --bins"), "{err}");
    }
}
