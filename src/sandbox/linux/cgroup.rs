//! The cgroups of a process tree, on either cgroup version: where they
//! are made, what limits they get, how their counters are read and how
//! they are emptied and removed.
//!
//! - **v1** (this development machine, older distributions): one folder
//!   per controller, `/sys/fs/cgroup/{memory,pids,cpuacct,cpu}/netlab/<tree>`.
//! - **v2** (Ubuntu 22.04+, Debian 11+, Fedora, GitHub's runners): one
//!   folder `<unified>/netlab/<tree>`, with the memory and pids controllers
//!   enabled from the root down, and cpu where it can be. Its CPU time
//!   (`cpu.stat`) needs no controller. A hybrid machine whose memory and pids controllers are
//!   bound to v1 hierarchies uses those.
//!
//! Both give the tree's program a nested `program` folder of its own, for
//! its CPU time apart from netlab's waiter and init (see
//! `split_for_pid_namespace`). Trap (v2, "no internal processes"): a
//! cgroup with controllers enabled for its children may hold no process,
//! so a tree enables none: its limits cover `program` from above, and
//! its waiter and init may stay in it beside `program`.
//!
//! Each tree is also its own group for the CPU scheduler (v1's `cpu`, v2's
//! cpu controller; optional), with the default weight: a tree gets its
//! share of the processors as one, however many processes it runs. Trap:
//! without it, a program that forks a hundred spinners, each in a session
//! of its own (`setsid()`: one scheduler autogroup each), took a hundred
//! shares, and the classmates graded beside it were starved past their
//! checks' deadlines (hostile round 6).

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use super::super::{remember, Limits};
use super::CGROUP_ROOT;

/// The cgroup hierarchy the trees are made in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::sandbox) enum Hierarchy {
    /// `/sys/fs/cgroup/<controller>`: memory, pids, and cpuacct where
    /// mounted.
    V1,
    /// The unified hierarchy mounted at `root`. `limited` is false only in
    /// this module's tests, which run on a hybrid machine whose unified
    /// hierarchy has no memory or pids controller: the rest (folders,
    /// joining, CPU time, kill, removal) is the same.
    V2 { root: PathBuf, limited: bool },
}

/// Which hierarchy this machine offers for trees (decided once).
pub(in crate::sandbox) fn hierarchy() -> Result<&'static Hierarchy, String> {
    static FOUND: OnceLock<Result<Hierarchy, String>> = OnceLock::new();
    FOUND.get_or_init(find).as_ref().map_err(Clone::clone)
}

fn find() -> Result<Hierarchy, String> {
    let root = Path::new(CGROUP_ROOT);
    if ["memory", "pids"].iter().all(|c| is_v1(&root.join(c))) {
        if !root.join("memory/memory.limit_in_bytes").exists() {
            return Err("no memory.limit_in_bytes in the memory cgroup".into());
        }
        return Ok(Hierarchy::V1);
    }
    let Some(unified) = unified_root() else {
        return Err(format!(
            "no cgroup hierarchy with the memory and pids controllers under {CGROUP_ROOT}"
        ));
    };
    let offered = std::fs::read_to_string(unified.join("cgroup.controllers")).unwrap_or_default();
    let missing: Vec<&str> = ["memory", "pids"]
        .into_iter()
        .filter(|c| !offered.split_whitespace().any(|o| o == *c))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the cgroup v2 hierarchy at {} does not offer the {} controller{} (bound to a cgroup v1 hierarchy, or not given to this container)",
            unified.display(),
            missing.join(" and "),
            if missing.len() > 1 { "s" } else { "" },
        ));
    }
    Ok(Hierarchy::V2 {
        root: unified,
        limited: true,
    })
}

/// Where the unified (v2) hierarchy is mounted, if it is: /sys/fs/cgroup
/// itself, or its `unified` folder on a hybrid machine.
pub(in crate::sandbox) fn unified_root() -> Option<PathBuf> {
    let root = Path::new(CGROUP_ROOT);
    [root.to_path_buf(), root.join("unified")]
        .into_iter()
        .find(|dir| is_v2(dir))
}

/// Is `dir` the root of a cgroup v1 hierarchy (statfs magic)?
fn is_v1(dir: &Path) -> bool {
    use nix::sys::statfs::{statfs, CGROUP_SUPER_MAGIC};
    statfs(dir).is_ok_and(|fs| fs.filesystem_type() == CGROUP_SUPER_MAGIC)
}

/// Is `dir` in a cgroup v2 hierarchy (statfs magic)?
fn is_v2(dir: &Path) -> bool {
    use nix::sys::statfs::{statfs, CGROUP2_SUPER_MAGIC};
    statfs(dir).is_ok_and(|fs| fs.filesystem_type() == CGROUP2_SUPER_MAGIC)
}

impl Hierarchy {
    /// The folders the trees are made in (`netlab`, per controller on v1).
    fn parents(&self) -> Vec<PathBuf> {
        match self {
            Hierarchy::V1 => ["memory", "pids", "cpuacct", "cpu"]
                .iter()
                .map(|c| Path::new(CGROUP_ROOT).join(c).join("netlab"))
                .collect(),
            Hierarchy::V2 { root, .. } => vec![root.join("netlab")],
        }
    }

    /// Makes the parent folders (root only), once per grader: after it,
    /// a tree is one mkdir and a few writes.
    pub(in crate::sandbox) fn prepare(&self) -> Result<(), String> {
        let made = |dir: &Path| {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))
        };
        match self {
            Hierarchy::V1 => {
                for controller in ["memory", "pids"] {
                    made(&Path::new(CGROUP_ROOT).join(controller).join("netlab"))?;
                }
                // Optional: CPU time of a tree, and the tree as one group
                // for the scheduler (see `make_tree`).
                if is_v1(&Path::new(CGROUP_ROOT).join("cpuacct")) {
                    let _ = made(&Path::new(CGROUP_ROOT).join("cpuacct/netlab"));
                }
                if let Some(cpu) = v1_cpu_parent() {
                    let _ = made(&cpu);
                }
                Ok(())
            }
            Hierarchy::V2 { root, limited } => {
                let parent = root.join("netlab");
                if *limited {
                    // The controllers reach a tree only when each folder
                    // above it passes them on. The root may hold processes
                    // and still do so; a container's own root may not
                    // (EBUSY), which is said as it is.
                    enable_controllers(root)?;
                    made(&parent)?;
                    enable_controllers(&parent)?;
                    // Optional (a container may not be given it).
                    let _ = enable_controller(root, "cpu")
                        .and_then(|()| enable_controller(&parent, "cpu"));
                    Ok(())
                } else {
                    made(&parent)
                }
            }
        }
    }
}

/// Passes the memory and pids controllers on to `dir`'s children.
fn enable_controllers(dir: &Path) -> Result<(), String> {
    ["memory", "pids"]
        .into_iter()
        .try_for_each(|controller| enable_controller(dir, controller))
}

/// Passes `controller` on to `dir`'s children (v2).
fn enable_controller(dir: &Path, controller: &str) -> Result<(), String> {
    let file = dir.join("cgroup.subtree_control");
    let enabled = std::fs::read_to_string(&file).unwrap_or_default();
    if enabled.split_whitespace().any(|c| c == controller) {
        return Ok(());
    }
    std::fs::write(&file, format!("+{controller}")).map_err(|e| {
        let why = if e.raw_os_error() == Some(nix::libc::EBUSY) {
            " (it holds processes: a container's own cgroup must move them to a child first)"
        } else {
            ""
        };
        format!(
            "cannot enable the {controller} controller in {}: {e}{why}",
            file.display()
        )
    })
}

/// v1's `cpu/netlab`, when the cpu controller is a v1 hierarchy of its
/// own. Mounted together with cpuacct (`cpu,cpuacct`), the cpuacct folder
/// of a tree already is its scheduler group.
fn v1_cpu_parent() -> Option<PathBuf> {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    FOUND.get_or_init(find_v1_cpu_parent).clone()
}

fn find_v1_cpu_parent() -> Option<PathBuf> {
    let root = Path::new(CGROUP_ROOT);
    let (cpu, cpuacct) = (root.join("cpu"), root.join("cpuacct"));
    if !is_v1(&cpu) {
        return None;
    }
    let same = matches!(
        (cpu.canonicalize(), cpuacct.canonicalize()),
        (Ok(a), Ok(b)) if a == b
    );
    (!same).then(|| cpu.join("netlab"))
}

/// The most a tree may hold in TCP socket buffers (cgroup v1's
/// `memory.kmem.tcp`): a Week 1 program needs well under a megabyte, and
/// the machine's whole pool (`net.ipv4.tcp_mem`, about 2 GiB here) must
/// outlast many trees at once. On v2 socket memory is part of the tree's
/// memory, under its one limit.
pub(in crate::sandbox) const TCP_BUFFER_BYTES: u64 = 64 << 20;

/// Does the machine have no swap at all (`SwapTotal: 0 kB`)? Read once:
/// asked at every tree's making where swap is not accounted.
fn no_swap() -> bool {
    static NO_SWAP: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *NO_SWAP.get_or_init(|| {
        std::fs::read_to_string("/proc/meminfo").is_ok_and(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("SwapTotal:"))
                .is_some_and(|v| v.trim() == "0 kB")
        })
    })
}

/// The cgroups of one process tree.
#[derive(Debug, Default, Clone)]
pub(in crate::sandbox) struct Tree {
    /// Every folder of the tree (one per controller on v1).
    pub(in crate::sandbox) dirs: Vec<PathBuf>,
    /// How many of `dirs`, from the first, hold [`counters`] (v1's memory
    /// and pids folders; v2's one): the CPU-only ones are not read.
    pub(in crate::sandbox) counted: usize,
    /// The one whose CPU time covers the whole tree, if any.
    pub(in crate::sandbox) cpu: Option<PathBuf>,
    /// Do the tree's folders bound its memory and its processes (v1's
    /// memory and pids controllers, v2's where they were passed down)?
    pub(in crate::sandbox) bounded: bool,
}

/// Makes the cgroups of tree `name`, with `limits`; each is remembered
/// (removed by a Ctrl+C, swept by a later run if we were killed).
pub(in crate::sandbox) fn make_tree(
    hierarchy: &Hierarchy,
    name: &str,
    limits: &Limits,
) -> io::Result<Tree> {
    match hierarchy {
        Hierarchy::V1 => {
            let memory = Path::new(CGROUP_ROOT).join("memory/netlab").join(name);
            let pids = Path::new(CGROUP_ROOT).join("pids/netlab").join(name);
            std::fs::create_dir(&memory)?;
            let made = (|| {
                std::fs::write(
                    memory.join("memory.limit_in_bytes"),
                    limits.memory_bytes.to_string(),
                )?;
                std::fs::create_dir(&pids)?;
                std::fs::write(pids.join("pids.max"), limits.processes.to_string())
            })();
            if let Err(e) = made {
                let _ = std::fs::remove_dir(&pids);
                let _ = std::fs::remove_dir(&memory);
                return Err(e);
            }
            // Socket buffers too (v1 counts them apart, and only once a
            // limit is set): TCP memory is one pool for the whole machine,
            // every network namespace included, and one check's loopback
            // pairs filled it past tcp_mem, resetting the host's own
            // connections (hostile round 11). Optional: a kernel without
            // the file has no such pool per cgroup.
            let _ = std::fs::write(
                memory.join("memory.kmem.tcp.limit_in_bytes"),
                TCP_BUFFER_BYTES.to_string(),
            );
            remember(&memory);
            remember(&pids);
            // Swap too, or the memory limit bounds RAM only and a program
            // with its rlimits lifted could fill the machine's swap (v2
            // sets memory.swap.max). Where swap is not accounted (no
            // memsw file), the tree bounds memory only if there is no swap.
            let swap_bounded = std::fs::write(
                memory.join("memory.memsw.limit_in_bytes"),
                limits.memory_bytes.to_string(),
            )
            .is_ok()
                || no_swap();
            let mut tree = Tree {
                dirs: vec![memory, pids],
                counted: 2,
                cpu: None,
                bounded: swap_bounded,
            };
            // CPU time of the tree, exited members included (names a busy
            // loop before RLIMIT_CPU fires). Optional: without it only the
            // limit does.
            let cpuacct = Path::new(CGROUP_ROOT).join("cpuacct/netlab").join(name);
            if std::fs::create_dir(&cpuacct).is_ok() {
                remember(&cpuacct);
                tree.dirs.push(cpuacct.clone());
                tree.cpu = Some(cpuacct);
            }
            // The tree as one group for the scheduler (see the module's
            // header). Optional, like cpuacct.
            if let Some(cpu) = v1_cpu_parent().map(|p| p.join(name)) {
                if std::fs::create_dir(&cpu).is_ok() {
                    remember(&cpu);
                    tree.dirs.push(cpu);
                }
            }
            Ok(tree)
        }
        Hierarchy::V2 { root, limited } => {
            let dir = root.join("netlab").join(name);
            std::fs::create_dir(&dir)?;
            let made = (|| {
                if *limited {
                    std::fs::write(dir.join("memory.max"), limits.memory_bytes.to_string())?;
                    // Like v1's memory.limit_in_bytes: the limit is on RAM.
                    // Swap is not counted in it, so none is allowed (no
                    // such file without swap accounting: nothing to do).
                    let _ = std::fs::write(dir.join("memory.swap.max"), "0");
                    std::fs::write(dir.join("pids.max"), limits.processes.to_string())?;
                }
                Ok(())
            })();
            if let Err(e) = made {
                let _ = std::fs::remove_dir(&dir);
                return Err(e);
            }
            remember(&dir);
            Ok(Tree {
                dirs: vec![dir.clone()],
                counted: 1,
                cpu: Some(dir),
                bounded: *limited,
            })
        }
    }
}

/// The cgroup of the program alone, inside its tree's CPU-time one: the
/// tree also holds netlab's own waiter and init, whose CPU time is
/// netlab's, not the program's. The program joins it right after the
/// pid-namespace split; `None` without a CPU-time cgroup.
pub(in crate::sandbox) fn make_program(tree: &Tree) -> Option<PathBuf> {
    let dir = tree.cpu.as_ref()?.join("program");
    std::fs::create_dir(&dir).ok()?;
    remember(&dir);
    Some(dir)
}

fn read_number(path: &Path) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// The value after `key` in a `key value` file (pids.events, cpu.stat,
/// memory.events, oom_control).
fn read_keyed(path: &Path, key: &str) -> Option<u64> {
    keyed(&std::fs::read_to_string(path).ok()?, key)
}

/// The value after `key` in the text of a `key value` file.
fn keyed(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .filter_map(|l| l.split_once(' '))
        .find(|(k, _)| *k == key)
        .and_then(|(_, v)| v.trim().parse().ok())
}

/// CPU time (ns) of the cgroup `dir` and its children, exited members
/// included: cpuacct.usage (v1) or cpu.stat's usage_usec (v2).
pub(in crate::sandbox) fn cpu_ns(dir: &Path) -> Option<u64> {
    read_number(&dir.join("cpuacct.usage"))
        .or_else(|| read_keyed(&dir.join("cpu.stat"), "usage_usec").map(|us| us * 1000))
}

/// Whether any process is in `dir` (not its children).
pub(in crate::sandbox) fn has_members(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("cgroup.procs")).is_ok_and(|t| !t.trim().is_empty())
}

/// What a tree's folder says about its limits: peak memory, OOM kills,
/// fork refusals. Each field only from the folder that has it.
#[derive(Debug, Default, PartialEq, Eq)]
pub(in crate::sandbox) struct Counters {
    pub(in crate::sandbox) peak_memory: Option<u64>,
    pub(in crate::sandbox) oom_kills: Option<u64>,
    pub(in crate::sandbox) pid_limit_hits: Option<u64>,
    /// Whether the socket buffers reached [`TCP_BUFFER_BYTES`] (v1: 1 or 0).
    pub(in crate::sandbox) socket_limit_hits: Option<u64>,
}

pub(in crate::sandbox) fn counters(dir: &Path) -> Counters {
    let mut counters = Counters::default();
    // Each file read once, its absence telling the version (no probe
    // first: this runs for every program's folders at every check's end).
    let v1_peak = read_number(&dir.join("memory.max_usage_in_bytes"));
    if v1_peak.is_some() {
        // v1. Not memory.failcnt: page cache touches the limit harmlessly.
        counters.peak_memory = v1_peak;
        counters.oom_kills =
            Some(read_keyed(&dir.join("memory.oom_control"), "oom_kill").unwrap_or(0));
        // Not its failcnt, which this kernel (6.18) leaves at 0 while the
        // usage goes past the limit (forced charges): the peak reaching it.
        counters.socket_limit_hits = read_number(&dir.join("memory.kmem.tcp.max_usage_in_bytes"))
            .map(|peak| u64::from(peak >= TCP_BUFFER_BYTES));
    } else if let Ok(events) = std::fs::read_to_string(dir.join("memory.events")) {
        // v2. memory.peak is newer (Linux 5.19) than the rest.
        counters.peak_memory = read_number(&dir.join("memory.peak"));
        counters.oom_kills = Some(keyed(&events, "oom_kill").unwrap_or(0));
    }
    counters.pid_limit_hits = read_keyed(&dir.join("pids.events"), "max");
    counters
}

/// Kills every member of `dir` and of its children: `cgroup.kill` where
/// the kernel has it (v2, Linux 5.14: no race with a member that forks),
/// then SIGKILL to each listed member until none is left.
pub(in crate::sandbox) fn kill_all(dir: &Path) {
    kill_at_once(dir);
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                kill_all(&entry.path());
            }
        }
    }
    kill_members(&dir.join("cgroup.procs"));
}

/// v2's `cgroup.kill` (Linux 5.14): every member of `dir` and of the
/// folders below it, at once. Nothing where there is none (v1).
fn kill_at_once(dir: &Path) {
    // Not fs::write: it would try to create the file on v1.
    if let Ok(mut kill) = std::fs::OpenOptions::new()
        .write(true)
        .open(dir.join("cgroup.kill"))
    {
        use std::io::Write;
        let _ = kill.write_all(b"1");
    }
}

/// SIGKILLs every process listed in a cgroup.procs file, until it is
/// empty (a member may fork while we read; the pids limit bounds that).
///
/// Trap: a pid read from the list may be freed, and given to a process
/// anywhere on the machine, before the kill reaches it (hostile round 31:
/// a tree can steer the pid counter). Each member is held by a pidfd
/// first, then the list is read again: a pid still listed is the process
/// the pidfd holds (a pidfd signals the process it was opened on, never a
/// later owner of its number), and only those are signalled. Without
/// pidfds (Linux before 5.3) a plain kill, as before.
fn kill_members(procs: &Path) {
    let members =
        |text: &str| -> Vec<i32> { text.lines().filter_map(|l| l.trim().parse().ok()).collect() };
    for _ in 0..50 {
        let Ok(text) = std::fs::read_to_string(procs) else {
            return;
        };
        let pids = members(&text);
        if pids.is_empty() {
            return;
        }
        let held: Vec<(i32, Option<std::os::fd::OwnedFd>)> =
            pids.into_iter().map(|pid| (pid, pidfd(pid))).collect();
        let still = std::fs::read_to_string(procs)
            .map(|t| members(&t))
            .unwrap_or_default();
        for (pid, fd) in held {
            match fd {
                Some(fd) if still.contains(&pid) => {
                    use std::os::fd::AsRawFd;
                    // SAFETY: pidfd_send_signal on a pidfd we own, no info.
                    unsafe {
                        nix::libc::syscall(
                            nix::libc::SYS_pidfd_send_signal,
                            fd.as_raw_fd(),
                            nix::libc::SIGKILL,
                            std::ptr::null::<nix::libc::siginfo_t>(),
                            0,
                        )
                    };
                }
                // Gone meanwhile (its number may be another's now).
                Some(_) => {}
                // SAFETY: kill with a pid read from the cgroup.
                None if !PIDFD_WORKS.load(Ordering::Relaxed) => unsafe {
                    nix::libc::kill(pid, nix::libc::SIGKILL);
                },
                // Ended before its pidfd could be opened.
                None => {}
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Whether this kernel has pidfd_open (false once it said ENOSYS).
static PIDFD_WORKS: AtomicBool = AtomicBool::new(true);

/// A pidfd on `pid`, if it is alive and the kernel has pidfds.
fn pidfd(pid: i32) -> Option<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    // SAFETY: pidfd_open with a pid and no flags; it returns a new
    // descriptor (ours to own) or -1.
    let fd = unsafe { nix::libc::syscall(nix::libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        if std::io::Error::last_os_error().raw_os_error() == Some(nix::libc::ENOSYS) {
            PIDFD_WORKS.store(false, Ordering::Relaxed);
        }
        return None;
    }
    // SAFETY: a descriptor the kernel just gave us.
    Some(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd as i32) })
}

/// Kills every member of a tree netlab made, and of its `program` folder
/// (see [`make_program`]). The tree's first folder holds every member
/// (each joins every folder of its tree; on v2 the program then moves to
/// its own, below it, which the tree's `cgroup.kill` covers too); the
/// program's folder is read last, for a v2 kernel without `cgroup.kill`.
/// The whole tree first: a waiter whose program died first could exit on
/// its own, and be counted as if it had. The folders' removal
/// ([`remove_made`]) kills any member left. Cheaper than [`kill_all`],
/// which lists each folder for children it cannot have (the programs
/// cannot make cgroups): opening and listing cgroup files was most of a
/// tree's teardown.
pub(in crate::sandbox) fn kill_tree(tree: &Tree, program: Option<&Path>) {
    if let Some(first) = tree.dirs.first() {
        kill_at_once(first);
        kill_members(&first.join("cgroup.procs"));
    }
    if let Some(program) = program {
        kill_members(&program.join("cgroup.procs"));
    }
}

/// Removes a folder of a tree netlab made, after [`kill_tree`]: its rmdir
/// fails while a member lives (or is not yet reaped), so each failure
/// kills what is listed and waits a little. Falls back to [`remove`]
/// (which lists the folder) if the folder will not go: something netlab
/// did not make is in it.
pub(in crate::sandbox) fn remove_made(dir: &Path) {
    for _ in 0..50 {
        match std::fs::remove_dir(dir) {
            Ok(()) => return,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return,
            Err(_) => {
                kill_members(&dir.join("cgroup.procs"));
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
    remove(dir);
}

/// Waits (about a second at most) until no process of `dir` or its
/// children is alive, so that all their CPU time is charged: v2's
/// `cgroup.events` says `populated 0`. (On v1 the memory and pids
/// folders' rmdir, which fails while a member lives, does this wait.)
pub(in crate::sandbox) fn wait_unpopulated(dir: &Path) {
    let events = dir.join("cgroup.events");
    for _ in 0..200 {
        match read_keyed(&events, "populated") {
            Some(1) => std::thread::sleep(Duration::from_millis(5)),
            _ => return,
        }
    }
}

/// Kills the members of a cgroup and removes it, children first (rmdir
/// works only on an empty one; members that were just killed may take a
/// moment to leave).
pub(in crate::sandbox) fn remove(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                remove(&entry.path());
            }
        }
    }
    kill_all(dir);
    for _ in 0..200 {
        if std::fs::remove_dir(dir).is_ok() || !dir.exists() {
            break;
        }
        kill_all(dir);
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The folders a later run sweeps for trees of a dead grader: those of
/// the hierarchy in use, and v1's as well (a machine may have changed).
pub(in crate::sandbox) fn sweep_parents() -> Vec<PathBuf> {
    let mut parents = Hierarchy::V1.parents();
    if let Ok(found @ Hierarchy::V2 { .. }) = hierarchy() {
        parents.extend(found.parents());
    }
    parents
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_cgroup_v1_hierarchy_counts() {
        assert!(!is_v1(&std::env::temp_dir()));
        assert!(!is_v1(Path::new("/nonexistent/netlab")));
        let memory = Path::new(CGROUP_ROOT).join("memory");
        if memory.join("memory.limit_in_bytes").exists() {
            assert!(is_v1(&memory));
            assert!(!is_v2(&memory));
        }
        if let Some(unified) = unified_root() {
            assert!(is_v2(&unified) && !is_v1(&unified));
        }
    }

    /// v1 where memory and pids are v1 hierarchies (this machine), else
    /// v2 where its root offers both, else a reason.
    #[test]
    fn the_hierarchy_is_the_one_that_has_the_controllers() {
        let root = Path::new(CGROUP_ROOT);
        let v1 = is_v1(&root.join("memory")) && is_v1(&root.join("pids"));
        match hierarchy() {
            Ok(Hierarchy::V1) => assert!(v1),
            Ok(Hierarchy::V2 { root, limited }) => {
                assert!(!v1 && *limited);
                let offered = std::fs::read_to_string(root.join("cgroup.controllers")).unwrap();
                assert!(
                    offered.contains("memory") && offered.contains("pids"),
                    "{offered}"
                );
            }
            Err(why) => {
                assert!(!v1);
                assert!(why.contains("memory") || why.contains("pids"), "{why}");
            }
        }
    }

    /// Members, detached ones included, are killed through pidfds (the
    /// list read again once each is held: hostile round 31's pid reuse),
    /// until the list is empty.
    #[test]
    fn every_member_of_a_cgroup_is_killed() {
        let is_root = unsafe { nix::libc::geteuid() } == 0;
        let Ok(hierarchy) = hierarchy().map_err(|e| eprintln!("skipped: {e}")) else {
            return;
        };
        if !is_root || hierarchy.prepare().is_err() {
            eprintln!("skipped: cgroups need root");
            return;
        }
        let name = format!("{}-killtest", std::process::id());
        let tree = make_tree(hierarchy, &name, &Limits::default()).unwrap();
        let procs = tree.dirs[0].join("cgroup.procs");
        let script = format!(
            "echo $$ > {}; setsid sleep 60 & sleep 60 & exec sleep 60",
            procs.display()
        );
        let mut child = std::process::Command::new("sh")
            .args(["-c", &script])
            .spawn()
            .unwrap();
        let members = || {
            std::fs::read_to_string(&procs)
                .unwrap_or_default()
                .lines()
                .count()
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while members() < 3 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(members(), 3, "the sleepers joined");
        kill_members(&procs);
        let _ = child.wait();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while members() > 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(members(), 0, "every member was killed");
        for dir in &tree.dirs {
            remove_made(dir);
        }
    }

    #[test]
    fn counters_are_read_from_either_version_s_files() {
        let dir = tempfile::tempdir().unwrap();
        let v2 = dir.path();
        std::fs::write(
            v2.join("memory.events"),
            "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n",
        )
        .unwrap();
        std::fs::write(v2.join("memory.peak"), "5242880\n").unwrap();
        std::fs::write(v2.join("pids.events"), "max 3\n").unwrap();
        std::fs::write(
            v2.join("cpu.stat"),
            "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n",
        )
        .unwrap();
        assert_eq!(
            counters(v2),
            Counters {
                peak_memory: Some(5 << 20),
                oom_kills: Some(1),
                pid_limit_hits: Some(3),
                socket_limit_hits: None,
            }
        );
        assert_eq!(cpu_ns(v2), Some(1_500_000));
        let dir = tempfile::tempdir().unwrap();
        let v1 = dir.path();
        std::fs::write(v1.join("memory.max_usage_in_bytes"), "4096\n").unwrap();
        std::fs::write(
            v1.join("memory.oom_control"),
            "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
        )
        .unwrap();
        std::fs::write(v1.join("cpuacct.usage"), "777\n").unwrap();
        assert_eq!(
            counters(v1),
            Counters {
                peak_memory: Some(4096),
                oom_kills: Some(2),
                pid_limit_hits: None,
                socket_limit_hits: None,
            }
        );
        assert_eq!(cpu_ns(v1), Some(777));
        assert_eq!(counters(Path::new("/nonexistent")), Counters::default());
    }
}
