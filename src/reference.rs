//! Finding the reference programs (`server`, `client`, ...) that `netlab
//! trace` and `netlab demo` run by default: the binaries next to netlab's own.
//!
//! Trap: the lab folders are members of this workspace and share its
//! `target/`, and a lab's starter programs have the same names as the
//! reference ones. After `cargo test` in a lab folder, `target/debug/server`
//! is the *student's* server until the root package is built again. Cargo
//! writes next to each binary a dep-info file (`server.d`) naming the
//! sources it was built from, but only when it compiles: a lab build that
//! finds its programs fresh links them to `target/debug/` again and leaves
//! the reference's `server.d` in place (seen). So the reference is looked
//! for in `target/debug/deps/`, where cargo keeps each build's binary with
//! its own dep-info; only when none is there is the binary rebuilt from the
//! reference (`cargo build --bins` at the repository root).

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
    // Cargo keeps every build's binary in deps/ (`server-<hash>`) and links
    // the latest one built or checked to `server`: the reference is there
    // even when a lab's program holds the name.
    match built_from_our_source(dir, name) {
        Some(ours) if path.is_file() && same_file(&path, &ours) => return Ok(path),
        Some(ours) => return Ok(ours),
        None if path.is_file() && !is_someone_elses(dir, name) => return Ok(path),
        None => {}
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

/// The newest binary in `dir/deps/` whose dep-info file names this
/// package's `src/bin/<name>.rs`.
fn built_from_our_source(dir: &Path, name: &str) -> Option<PathBuf> {
    let ours = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join("bin")
        .join(format!("{name}.rs"));
    let ours = ours.to_string_lossy().into_owned();
    // deps/ dep-info names sources relative to the workspace root (this
    // package's folder), where a lab's is `labs/<lab>/src/bin/<name>.rs`:
    // compared word by word, never as a substring.
    let relative = format!("src/bin/{name}.rs");
    let prefix = format!("{name}-");
    std::fs::read_dir(dir.join("deps"))
        .ok()?
        .flatten()
        .filter_map(|entry| {
            let file = entry.file_name().to_string_lossy().into_owned();
            let hash = file.strip_prefix(&prefix)?.strip_suffix(".d")?;
            // `server-<hash>` only: not `server_threaded-<hash>`.
            if hash.contains(['-', '.']) {
                return None;
            }
            // Trap: `cargo test` builds each binary a second time as its
            // unit tests' harness, with the same sources; only a build
            // whose fingerprint says `bin-<name>` is the program itself.
            let fingerprint = dir
                .join(".fingerprint")
                .join(format!("{}-{hash}", env!("CARGO_PKG_NAME")))
                .join(format!("bin-{name}"));
            if !fingerprint.exists() {
                return None;
            }
            let binary = dir
                .join("deps")
                .join(format!("{name}-{hash}{}", std::env::consts::EXE_SUFFIX));
            let deps = std::fs::read_to_string(entry.path()).ok()?;
            let (_, sources) = deps.lines().next()?.split_once(": ")?;
            let mtime = binary.metadata().and_then(|m| m.modified()).ok()?;
            sources
                .split_whitespace()
                .any(|source| source == ours || source == relative)
                .then_some((mtime, binary))
        })
        .max_by_key(|(mtime, _)| *mtime)
        .map(|(_, binary)| binary)
}

/// Are `a` and `b` the same file (a hard link), or copies of each other?
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(ma), Ok(mb)) = (a.metadata(), b.metadata()) {
            if ma.dev() == mb.dev() && ma.ino() == mb.ino() {
                return true;
            }
        }
    }
    match (std::fs::read(a), std::fs::read(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
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
        // A lab's program holds the name, but the reference built from
        // our source is in deps/: that one is used, nothing is rebuilt.
        std::fs::create_dir(dir.path().join("deps")).unwrap();
        let exe = std::env::consts::EXE_SUFFIX;
        let reference = dir.path().join(format!("deps/server-0123abcd{exe}"));
        std::fs::write(&reference, b"the reference").unwrap();
        let fingerprints = dir.path().join(".fingerprint");
        let ours_built = fingerprints.join(format!("{}-0123abcd", env!("CARGO_PKG_NAME")));
        std::fs::create_dir_all(&ours_built).unwrap();
        std::fs::write(ours_built.join("bin-server"), b"").unwrap();
        // Its unit tests' harness: the same sources, built later; never it.
        let harness = dir.path().join(format!("deps/server-89abcdef{exe}"));
        std::fs::write(&harness, b"the unit tests").unwrap();
        std::fs::write(
            dir.path().join("deps/server-89abcdef.d"),
            format!("{}: src/bin/server.rs\n", harness.display()),
        )
        .unwrap();
        let tests_built = fingerprints.join(format!("{}-89abcdef", env!("CARGO_PKG_NAME")));
        std::fs::create_dir_all(&tests_built).unwrap();
        std::fs::write(tests_built.join("test-bin-server"), b"").unwrap();
        std::fs::write(
            dir.path().join("deps/server-0123abcd.d"),
            format!("{}: src/bin/server.rs\n", reference.display()),
        )
        .unwrap();
        let lab = dir.path().join(format!("deps/server-4567ef01{exe}"));
        std::fs::write(&lab, b"the starter").unwrap();
        std::fs::write(
            dir.path().join("deps/server-4567ef01.d"),
            format!(
                "{}: labs/week01-tcp-client-server/src/bin/server.rs\n",
                lab.display()
            ),
        )
        .unwrap();
        std::fs::write(dir.path().join(format!("server{exe}")), b"the starter").unwrap();
        assert_eq!(program_in(dir.path(), "server").unwrap(), reference);
        // The name holds the reference again: the usual path is given.
        std::fs::write(dir.path().join(format!("server{exe}")), b"the reference").unwrap();
        assert_eq!(
            program_in(dir.path(), "server").unwrap(),
            dir.path().join(format!("server{exe}"))
        );
        std::fs::remove_dir_all(dir.path().join("deps")).unwrap();
        std::fs::remove_dir_all(&fingerprints).unwrap();
        // Not under this checkout: nothing is rebuilt, the error says why.
        std::fs::write(dir.path().join("server"), b"").unwrap();
        let err = program_in(dir.path(), "server").unwrap_err();
        assert!(err.contains("a lab's program"), "{err}");
        assert!(err.contains("cargo build --bins"), "{err}");
    }
}
