//! What a program the submission chose may read and run: the system's
//! folders, its own folder and the folders the grader gave it, and
//! nothing else on the machine (Landlock, `Layer::Paths`).
//!
//! Why (hostile round 7): beyond its private /tmp and the hidden class and
//! results folders, a program saw the whole filesystem with its uid's
//! rights. A netlab.toml naming a reference build of netlab's (under some
//! `target/`, or next to `netlab` on PATH), a script that copies one into
//! its folder first, or one that runs the repository's own correct
//! fixtures scored 39/39 with no code of its own.
//!
//! The rights handled are reading a file, listing a folder and executing;
//! writing a file and making, removing or renaming anything; and linking
//! or renaming across folders (REFER, where the kernel has it), so that a
//! hard link cannot bring an outside file into the folder. A program
//! writes only its own places (its folder, the folders given to it, its
//! private trees; device nodes and /proc as files). Allowed, read and run:
//! - the system's trees ([`SYSTEM`]), a few device nodes ([`DEVICES`]),
//!   and the toolchains under the grader's home ([`TOOLCHAINS`]: a
//!   non-root instructor's rustup, pyenv or nvm);
//! - its working folder, the folders the grader gave it, and the shared
//!   trees (/tmp, ...) when they are private and start empty (see
//!   `PrivateTmp`): the host's /tmp may hold a build folder;
//! - folders the instructor trusts (`--trust`, [`super::super::trust`]).
//!
//! Carved out of the system's trees and the toolchains: netlab's own
//! programs next to the running `netlab` and in cargo's bin folder, the
//! source tree it was built from and cargo's checkouts of it (a `cargo
//! install --git` checkout under ~/.cargo holds the correct fixtures), the
//! desktop's trash, and the folders fenced off for the run (a class's
//! members: `sandbox::fence_off`). Landlock only allows, so a carved-out
//! tree's parents are allowed entry by entry instead ([`allow_except`]).
//!
//! The launcher builds the rules (it may allocate: a fresh process of its
//! own, see `launch.rs`) after the mounts, just before the exec. Where
//! there is no launcher (musl, a grader that is not dumpable), the grader
//! builds them before its fork, and the fork only puts them in force.

use std::ffi::CString;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use landlock::{AccessFs, BitFlags, PathBeneath, PathFd, Ruleset, RulesetAttr, RulesetCreatedAttr};
use nix::libc;

/// Trees of the system every program may read and run from. A symlinked
/// one (/bin on a merged /usr) counts as its target.
const SYSTEM: [&str; 12] = [
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt", "/nix",
    "/proc", "/sys",
];

/// The device nodes a program may open (not all of /dev: /dev/shm is a
/// shared tree). Not /dev/ptmx: a program that needs a terminal is given
/// one (its stdin, already open; /dev/tty reaches it again), and new
/// pseudo-terminals come from a pool of the machine's (hostile round 13
/// took 256, beside a grader whose own `openpty` for a classmate's chat
/// client fails when the pool is empty). Nor /dev/pts: it holds the same
/// multiplexer as `/dev/pts/ptmx`, which Docker's devpts opens to all
/// (`ptmxmode=666`; hostile round 22 took 300 there), and the other
/// terminals of the machine.
const DEVICES: [&str; 6] = [
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
    "/dev/tty",
];

/// Folders under the grader's home where toolchains live.
const TOOLCHAINS: [&str; 14] = [
    ".cargo", ".rustup", ".local", ".pyenv", ".nvm", ".volta", ".sdkman", ".jdks", ".m2",
    ".gradle", ".npm", ".cache", ".deno", ".bun",
];

/// netlab's own programs: never run for a submission (see the header).
/// Every program the crate builds (`src/bin/`), which a test holds it to:
/// a new week's reference programs left out of it could be named in a
/// submission's netlab.toml and pass as its own (hostile round 21).
const OWN_PROGRAMS: [&str; 6] = [
    "netlab",
    "server",
    "client",
    "server_threaded",
    "chat_server",
    "chat_client",
];

/// How deep [`allow_except`] goes before it gives up on a tree (failing
/// closed: the tree is then not allowed at all).
const MAX_DEPTH: usize = 8;

/// The rules of one program, as the launcher gets them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::sandbox) struct Reach {
    /// Read and run beneath these.
    pub see: Vec<CString>,
    /// Read, run, and link or rename across folders beneath these: the
    /// places the program writes.
    pub own: Vec<CString>,
}

/// Does this kernel enforce Landlock? (`Err`: why not.)
pub(in crate::sandbox) fn available() -> Result<(), String> {
    // SAFETY: the version query: no pointer, no side effect.
    let abi = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            1u32, // LANDLOCK_CREATE_RULESET_VERSION
        )
    };
    if abi >= 1 {
        Ok(())
    } else {
        Err(format!(
            "the kernel does not enforce Landlock ({}): a submission's programs can read and run whatever their uid may",
            io::Error::last_os_error()
        ))
    }
}

/// The rules for a program whose writable places are `own`.
pub(in crate::sandbox) fn for_program(own: &[PathBuf]) -> io::Result<Reach> {
    let c = |p: &PathBuf| CString::new(p.as_os_str().as_bytes()).map_err(io::Error::other);
    let mut see: Vec<PathBuf> = machine(&super::super::fenced_folders());
    see.extend(super::super::trusted());
    Ok(Reach {
        see: see.iter().map(c).collect::<io::Result<_>>()?,
        own: own.iter().map(c).collect::<io::Result<_>>()?,
    })
}

/// The machine's part: the system's trees, devices and toolchains, with
/// netlab's own and the `fenced` folders carved out. Worked out again
/// only when the fenced folders change (once per class run).
fn machine(fenced: &[PathBuf]) -> Vec<PathBuf> {
    type Cache = Option<(Vec<PathBuf>, Vec<PathBuf>)>;
    static MACHINE: Mutex<Cache> = Mutex::new(None);
    static OWN: OnceLock<Vec<PathBuf>> = OnceLock::new();
    let mut cache = MACHINE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((key, value)) = cache.as_ref() {
        if key == fenced {
            return value.clone();
        }
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let roots: Vec<PathBuf> = SYSTEM
        .iter()
        .chain(DEVICES.iter())
        .map(PathBuf::from)
        .chain(
            home.iter()
                .flat_map(|h| TOOLCHAINS.iter().map(move |t| h.join(t))),
        )
        .collect();
    let mut excluded = OWN.get_or_init(netlab_itself).clone();
    excluded.extend(fenced.iter().cloned());
    let value = allowed(&roots, &excluded);
    *cache = Some((fenced.to_vec(), value.clone()));
    value
}

/// What a submission must not reach although it lies in an allowed tree:
/// netlab's programs beside the running one and in cargo's bin folder (an
/// older `cargo install --path .` put the reference programs there), its
/// source tree and cargo's checkouts of it (`cargo install --git`), and
/// the desktop's trash.
fn netlab_itself() -> Vec<PathBuf> {
    let mut bins = Vec::new();
    bins.extend(
        std::env::current_exe()
            .ok()
            .and_then(|e| e.canonicalize().ok())
            .and_then(|e| e.parent().map(Path::to_path_buf)),
    );
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let cargo_homes: Vec<PathBuf> = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .into_iter()
        .chain(home.iter().map(|h| h.join(".cargo")))
        .collect();
    bins.extend(cargo_homes.iter().map(|c| c.join("bin")));
    let mut out: Vec<PathBuf> = bins
        .iter()
        .flat_map(|dir| OWN_PROGRAMS.iter().map(move |p| dir.join(p)))
        .collect();
    out.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    for checkouts in cargo_homes.iter().map(|c| c.join("git").join("checkouts")) {
        let Ok(entries) = std::fs::read_dir(&checkouts) else {
            continue;
        };
        out.extend(
            entries
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("netlab"))
                .map(|e| e.path()),
        );
    }
    out.extend(home.iter().map(|h| h.join(".local/share/Trash")));
    out.iter().filter_map(|p| p.canonicalize().ok()).collect()
}

/// `roots` (canonical, deduplicated, nested ones dropped) minus the
/// `excluded` paths (canonical).
fn allowed(roots: &[PathBuf], excluded: &[PathBuf]) -> Vec<PathBuf> {
    let mut real: Vec<PathBuf> = roots.iter().filter_map(|r| r.canonicalize().ok()).collect();
    real.sort();
    real.dedup();
    let outer: Vec<PathBuf> = real
        .iter()
        .filter(|r| !real.iter().any(|o| o != *r && r.starts_with(o)))
        .cloned()
        .collect();
    let mut out = Vec::new();
    for root in &outer {
        allow_except(root, excluded, MAX_DEPTH, &mut out);
    }
    out
}

/// Allows `path` whole when nothing excluded lies inside it; otherwise its
/// entries one by one (symlinks skipped: what they point to is judged
/// where it is). Fails closed past `depth`.
fn allow_except(path: &Path, excluded: &[PathBuf], depth: usize, out: &mut Vec<PathBuf>) {
    if excluded.iter().any(|x| x == path) {
        return;
    }
    if !excluded.iter().any(|x| x.starts_with(path)) {
        out.push(path.to_path_buf());
        return;
    }
    if depth == 0 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(path) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_type().is_ok_and(|t| !t.is_symlink()) {
            allow_except(&entry.path(), excluded, depth - 1, out);
        }
    }
}

impl Reach {
    /// The ruleset of these rules, not yet in force: the launcher builds it
    /// in the program's mount namespace just before the exec; where there
    /// is no launcher, the grader builds it before the fork (the paths
    /// name the same folders: a rule on a folder covers what is mounted
    /// on it and below, and a bind mount's root is the folder itself).
    pub(in crate::sandbox) fn build(&self) -> io::Result<OwnedFd> {
        let err = |e: &dyn std::fmt::Display| io::Error::other(format!("Landlock: {e}"));
        let read: BitFlags<AccessFs> = AccessFs::Execute | AccessFs::ReadFile | AccessFs::ReadDir;
        // Writing a file, and making, removing or renaming anything.
        // Trap (hostile round 8c): with reading and running only handled,
        // a program renamed a folder above its submission (its parent
        // writable by all) and rebuilt the path with a symlink to the
        // reference, which root then copied for the next checks.
        let write: BitFlags<AccessFs> = AccessFs::WriteFile
            | AccessFs::Truncate
            | AccessFs::RemoveDir
            | AccessFs::RemoveFile
            | AccessFs::MakeChar
            | AccessFs::MakeDir
            | AccessFs::MakeReg
            | AccessFs::MakeSock
            | AccessFs::MakeFifo
            | AccessFs::MakeBlock
            | AccessFs::MakeSym;
        let own_rights = read | write | AccessFs::Refer;
        // Best effort: a kernel without REFER (Landlock ABI 1) refuses
        // every link and rename across folders instead; one without
        // TRUNCATE (before ABI 3) does not limit truncation.
        let mut ruleset = Ruleset::default()
            .handle_access(own_rights)
            .map_err(|e| err(&e))?
            .create()
            .map_err(|e| err(&e))?;
        // The device nodes and /proc are written too (`> /dev/null`, a
        // runtime's own /proc/self files).
        let writable_too = |p: &[u8]| p.starts_with(b"/dev/") || p == b"/proc";
        let places = self
            .see
            .iter()
            .map(|p| {
                let extra = if writable_too(p.as_bytes()) {
                    AccessFs::WriteFile | AccessFs::Truncate
                } else {
                    BitFlags::empty()
                };
                (p, read | extra)
            })
            .chain(self.own.iter().map(|p| (p, own_rights)));
        for (path, rights) in places {
            let path = Path::new(std::ffi::OsStr::from_bytes(path.as_bytes()));
            let Ok(meta) = std::fs::metadata(path) else {
                continue; // not there (or not for this uid): nothing to allow
            };
            // A file takes a file's rights only (EINVAL otherwise).
            let rights = if meta.is_dir() {
                rights
            } else {
                rights
                    & (AccessFs::Execute
                        | AccessFs::ReadFile
                        | AccessFs::WriteFile
                        | AccessFs::Truncate)
            };
            let Ok(fd) = PathFd::new(path) else {
                continue;
            };
            ruleset = ruleset
                .add_rule(PathBeneath::new(fd, rights))
                .map_err(|e| err(&e))?;
        }
        Option::<OwnedFd>::from(ruleset).ok_or_else(|| err(&"the kernel made no ruleset"))
    }
}

/// Allows reading, running and writing files beneath the procfs now
/// mounted on /proc (as [`Reach::build`] allows /proc) in the ruleset
/// `fd`. Trap: in a fork of the grader (no launcher) the rules are built
/// before the fork, on the grader's procfs, and the program's own, mounted
/// after (`PrivateTmp::enter`), was refused whole: its /proc/self files
/// gave "Permission denied". Raw syscalls only.
pub(in crate::sandbox) unsafe fn allow_new_proc(fd: libc::c_int) -> io::Result<()> {
    /// `struct landlock_path_beneath_attr` (packed, as the kernel's).
    #[repr(C, packed)]
    struct PathBeneath {
        allowed_access: u64,
        parent_fd: i32,
    }
    const VERSION: u32 = 1; // LANDLOCK_CREATE_RULESET_VERSION
    const RULE_PATH_BENEATH: libc::c_int = 1;
    // Execute, write a file, read a file, read a folder; truncate from
    // ABI 3 on (the ruleset handles it there: see `build`).
    let abi = libc::syscall(
        libc::SYS_landlock_create_ruleset,
        std::ptr::null::<libc::c_void>(),
        0usize,
        VERSION,
    );
    let mut access: u64 = 0b1111;
    if abi >= 3 {
        access |= 1 << 14;
    }
    let dir = libc::open(
        c"/proc".as_ptr(),
        libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
    );
    if dir < 0 {
        return Err(io::Error::last_os_error());
    }
    let rule = PathBeneath {
        allowed_access: access,
        parent_fd: dir,
    };
    let added = libc::syscall(
        libc::SYS_landlock_add_rule,
        fd,
        RULE_PATH_BENEATH,
        &rule as *const PathBeneath,
        0u32,
    );
    let err = io::Error::last_os_error();
    libc::close(dir);
    if added != 0 {
        return Err(err);
    }
    Ok(())
}

/// Puts the ruleset `fd` ([`Reach::build`]) in force for this process and
/// all it starts, with no_new_privs (Landlock needs it; a setuid program
/// gains nothing either). Raw syscalls only: it may run in a fork of the
/// grader.
pub(in crate::sandbox) unsafe fn restrict(fd: libc::c_int) -> io::Result<()> {
    if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
        || libc::syscall(libc::SYS_landlock_restrict_self, fd, 0u32) != 0
    {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every program the crate builds is one of netlab's own.
    #[test]
    fn every_program_the_crate_builds_is_kept_from_submissions() {
        let bins = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src")
            .join("bin");
        let mut seen = 0;
        for entry in std::fs::read_dir(&bins).unwrap().flatten() {
            let path = entry.path();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            assert!(
                OWN_PROGRAMS.contains(&name.as_str()),
                "{} is built by the crate but not in OWN_PROGRAMS",
                path.display()
            );
            seen += 1;
        }
        assert_eq!(
            seen,
            OWN_PROGRAMS.len(),
            "OWN_PROGRAMS names a program not built"
        );
    }

    #[test]
    fn an_excluded_path_is_carved_out_of_its_tree_entry_by_entry() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        for dir in ["bin", "lib", "src/netlab/target"] {
            std::fs::create_dir_all(root.join(dir)).unwrap();
        }
        for file in ["bin/python3", "bin/server", "bin/netlab", "src/other"] {
            std::fs::write(root.join(file), b"").unwrap();
        }
        std::os::unix::fs::symlink(root.join("bin/server"), root.join("bin/link")).unwrap();
        let excluded = [
            root.join("bin/server"),
            root.join("bin/netlab"),
            root.join("src/netlab"),
        ];
        let mut got = allowed(&[root.clone(), root.join("lib")], &excluded);
        got.sort();
        let want = ["bin/python3", "lib", "src/other"].map(|p| root.join(p));
        assert_eq!(got, want);
        // Nothing excluded inside: the tree whole, once.
        assert_eq!(allowed(&[root.join("lib")], &excluded), [root.join("lib")]);
    }

    /// A fenced folder (a class member linked into /opt) is carved out of
    /// the system's trees, and only while it is fenced.
    #[test]
    fn a_fenced_folder_leaves_the_machines_part() {
        let Ok(share) = Path::new("/usr/share").canonicalize() else {
            return; // no /usr/share here: nothing to fence
        };
        let usr = share.parent().unwrap().to_path_buf();
        let open = machine(&[]);
        assert!(open.contains(&usr), "{open:?}");
        let fenced = machine(std::slice::from_ref(&share));
        assert!(!fenced.iter().any(|p| share.starts_with(p)), "{fenced:?}");
        assert!(fenced.iter().any(|p| p.starts_with(&usr)), "{fenced:?}");
        assert_eq!(machine(&[]), open);
    }
}
