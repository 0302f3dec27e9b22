//! The sandbox every submission process runs in, layered to what the
//! machine allows, and able to say which layers are active.
//!
//! Layers (each one optional; [`policy`] decides once per grader process):
//! - **resource limits** (Unix): setrlimit on data size, CPU seconds,
//!   processes, file size and open files, no core dumps;
//! - **cgroup** (Linux, root, cgroup v1 or v2 with the memory and pids
//!   controllers): one memory + pids (+ CPU time) cgroup per process
//!   tree (see `linux/cgroup.rs`), so the memory and
//!   CPU used and the limit hits can be read afterwards, and every member
//!   can be found and killed;
//! - **pid namespace** (Linux, root, or without root inside a user
//!   namespace where the machine allows them): the program runs as PID 2
//!   under a tiny init of netlab's own; when the program exits, the init exits and the
//!   kernel kills everything left in the namespace, however it detached;
//! - **child subreaper** (Linux, fallback without a pid namespace): orphans
//!   reparent to the grader, which finds them by a tag and kills them;
//! - **network namespace** (Linux, root, or without root where user
//!   namespaces are allowed): each check runs on a thread of its own with
//!   a fresh network namespace holding only `lo`: the submission's
//!   processes and the grader's probes and fake servers share a private
//!   port space with no route out (without root a holder process makes
//!   the namespace and the check's sockets; see [`isolated`]);
//! - **unprivileged user** (root): a uid/gid of its own per check, no
//!   supplementary groups;
//! - **private folder copy** (root): the submission folder is copied into a
//!   fresh folder owned by that uid (on a tmpfs where there is one: see
//!   [`scratch_root`]); programs start there.
//! - **private /tmp** (Linux, root, or without root inside the pid
//!   namespace's user namespace): /tmp, /var/tmp and /dev/shm, the
//!   trees any uid can write, become overlays of the program's own mount
//!   namespace: it reads what is there, and what it writes vanishes with
//!   it. Its folder and the folders the grader gave it are written through.
//! - **filesystem allowlist** (Linux with Landlock): a program the
//!   submission's netlab.toml chose reads and runs only the system's
//!   folders, its own folder and the folders the grader gave it, and writes
//!   only the last two and its private trees, which start empty (see
//!   `linux/reach.rs`). The instructor's own commands are not limited;
//!   folders they trust ([`trust`]) are readable.
//! - **syscall filter** (Linux on x86_64 and aarch64, seccomp): no
//!   program reaches the kernel's key store or makes namespaces of its own
//!   (see `linux/filter.rs`).
//!
//! Invariant: nothing netlab starts outlives it, also for hostile code. The
//! generic parts here never name a week.
//!
//! - **connection guard** (Linux, fallback without a network namespace):
//!   the grader's fake servers close connections from processes outside
//!   the check, and probes refuse a port held by one (see
//!   `grade::harness`'s guard).
//!
//! `NETLAB_SANDBOX` forces fallbacks for tests: `none`, `limits` (limits,
//! subreaper, connection guard), `full` (the default: everything the
//! machine allows) or a comma list of layer keys
//! (`limits,cgroup,pid,subreaper,net,guard,user,copy,tmp,paths,syscalls`).

#[cfg(target_os = "linux")]
mod linux;

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

/// Resource limits applied to every submission process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Data segment (heap) in bytes: RLIMIT_DATA and the cgroup memory
    /// limit. See [`memory_limit`].
    pub memory_bytes: u64,
    /// CPU seconds (RLIMIT_CPU soft limit): SIGXCPU when reached, SIGKILL
    /// [`CPU_GRACE_SECS`] later (the hard limit).
    pub cpu_secs: u64,
    /// Processes and threads (RLIMIT_NPROC for the sandbox uid, pids.max).
    pub processes: u64,
    /// Largest file it may write (RLIMIT_FSIZE): SIGXFSZ when reached.
    pub file_bytes: u64,
    /// Open file descriptors (RLIMIT_NOFILE).
    pub open_files: u64,
}

impl Default for Limits {
    /// Generous: Python, C, Rust, Go and the JVM all run under them. A
    /// correct program uses well under a second of CPU in one check and a
    /// few dozen processes and threads (a JVM starts ~25 and more by the
    /// processors, a threaded server one a client: see [`process_limit`]).
    /// The CPU limit stays above the
    /// longest spin a check watches (a server looping on a 0-byte read,
    /// `SLACK` twice: ~6 s), so that spin is named for what it is, not as
    /// a limit, while a busy loop that never listens reaches it within the
    /// grader's 10 s startup wait on an idle machine.
    fn default() -> Limits {
        Limits {
            memory_bytes: memory_limit(),
            cpu_secs: 8,
            processes: process_limit(),
            file_bytes: 64 << 20,
            open_files: 1024,
        }
    }
}

/// Processes and threads one tree may hold (pids.max, and RLIMIT_NPROC
/// where no cgroup counts): 128, and one more for each processor a
/// program may run on.
///
/// Trap (hostile round 61): a runtime sizes its thread pools by the
/// processors it sees (the JVM's garbage collector starts workers as it
/// needs them, up to 5/8 of the processors past 8; Go's runtime, .NET's
/// pool), and threaded-concurrency holds 70 clients, one thread each in a
/// thread-per-client server. Under a flat 128 a correct Java server was
/// `resource-limit` on a machine of 64 processors, though it passed on 2.
pub fn process_limit() -> u64 {
    128 + processors_seen()
}

/// How many processors a program started now may run on: what a runtime
/// sizes itself by (its affinity mask; not a cgroup's CPU quota, which
/// a program here cannot read: /sys/fs/cgroup is hidden from it).
fn processors_seen() -> u64 {
    #[cfg(target_os = "linux")]
    {
        use nix::libc;
        // SAFETY: an all-zero cpu_set_t is an empty set, which the kernel
        // fills; CPU_COUNT only reads it.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        let size = std::mem::size_of::<libc::cpu_set_t>();
        // A machine of more than 1024 processors (EINVAL) falls through.
        if unsafe { libc::sched_getaffinity(0, size, &mut set) } == 0 {
            return (unsafe { libc::CPU_COUNT(&set) } as u64).max(1);
        }
    }
    std::thread::available_parallelism().map_or(1, |n| n.get() as u64)
}

/// The memory limit: 512 MiB, or a 32nd of the machine's memory where
/// that is more, up to 3 GiB (still below what the hostile fixtures try).
///
/// Trap (the JVM, blind round 4): where it sees no cgroup limit (a grader
/// that is not root, macOS), a JVM commits a 64th of the machine's memory
/// for its heap at start, plus some 150 MiB of its own. Under a flat
/// 512 MiB RLIMIT_DATA every correct Java submission died at start on a
/// machine with 26 GiB or more (`There is insufficient memory for the
/// Java Runtime Environment`). A 32nd leaves it room up to some 180 GiB.
pub fn memory_limit() -> u64 {
    memory_limit_for(physical_memory())
}

/// The stack glibc reserves for each thread (RLIMIT_STACK's usual 8 MiB),
/// which RLIMIT_DATA counts.
const THREAD_STACK_BYTES: u64 = 8 << 20;

/// How many programs of one check may run at once under one uid (two
/// servers side by side, a pair, ...), for RLIMIT_NPROC, which counts the
/// uid's threads.
const PROGRAMS_AT_ONCE: u64 = 4;

/// The rlimits where they bound a program alone (no cgroup): RLIMIT_DATA
/// with room for the stacks of as many threads as the process limit
/// allows, reserved but mostly never used (a correct pool of 100 threads
/// died at start: blind round 12), and RLIMIT_NPROC for the programs of a
/// check together.
fn rlimits_alone(limits: &Limits) -> Limits {
    Limits {
        memory_bytes: limits.memory_bytes + limits.processes * THREAD_STACK_BYTES,
        processes: limits.processes * PROGRAMS_AT_ONCE,
        ..*limits
    }
}

/// RLIMIT_DATA where it bounds a program alone (no cgroup), in bytes: the
/// figure a refused allocation is told with then.
pub fn rlimit_data_alone() -> u64 {
    if cfg!(target_os = "linux") {
        rlimits_alone(&policy().limits).memory_bytes
    } else {
        policy().limits.memory_bytes
    }
}

/// [`memory_limit`] on a machine of `ram` bytes (`None`: unknown).
fn memory_limit_for(ram: Option<u64>) -> u64 {
    const FLOOR: u64 = 512 << 20;
    const CEILING: u64 = 3 << 30;
    ram.map_or(FLOOR, |ram| (ram / 32).clamp(FLOOR, CEILING))
}

/// The memory the grader may use, in bytes: the machine's, or less where
/// the grader's own cgroup says so (a container sees the host's memory
/// through sysconf, not its own limit).
fn physical_memory() -> Option<u64> {
    let machine = machine_memory();
    #[cfg(target_os = "linux")]
    {
        // cgroup v2, then v1: the container's own view of its limit
        // ("max", or a v1 "unlimited" near u64::MAX, mean none).
        let own = [
            "/sys/fs/cgroup/memory.max",
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
        ]
        .iter()
        .find_map(|f| std::fs::read_to_string(f).ok()?.trim().parse::<u64>().ok());
        if let Some(own) = own.filter(|&b| b < (1u64 << 60)) {
            return Some(machine.map_or(own, |m| m.min(own)));
        }
    }
    machine
}

/// The machine's memory in bytes, where the system says.
fn machine_memory() -> Option<u64> {
    #[cfg(unix)]
    {
        // SAFETY: sysconf only reads system settings.
        let (pages, size) = unsafe {
            (
                nix::libc::sysconf(nix::libc::_SC_PHYS_PAGES),
                nix::libc::sysconf(nix::libc::_SC_PAGESIZE),
            )
        };
        if pages > 0 && size > 0 {
            return Some(pages as u64 * size as u64);
        }
    }
    None
}

/// Seconds between the CPU soft limit (SIGXCPU) and the hard one (SIGKILL).
pub const CPU_GRACE_SECS: u64 = 2;

/// RLIMIT_MEMLOCK of every confined program (Linux): what one process may
/// lock in memory (see `linux::set_limits`).
pub const MEMLOCK_BYTES: u64 = 64 * 1024;

/// CPU time that names a busy loop: a program that printed nothing and
/// used this much CPU was spinning, not starting up (see [`busy_loop`]).
pub const BUSY_CPU: std::time::Duration = std::time::Duration::from_secs(2);

/// The part of the CPU share a runnable thread can get (see [`fair_share`])
/// that a busy loop uses at least. Not more: the load average lags, and a
/// spinner beside other busy gradings got 7.0 s of CPU in 10.1 s while the
/// load average still read 1.8 on 2 CPUs (a share of 1): 69%.
pub const BUSY_SHARE: f64 = 0.6;

/// One protection layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Layer {
    PidNamespace,
    Subreaper,
    NetworkNamespace,
    ConnectionGuard,
    UnprivilegedUser,
    PrivateCopy,
    PrivateTmp,
    Paths,
    Syscalls,
    Cgroup,
    ResourceLimits,
}

impl Layer {
    pub const ALL: [Layer; 11] = [
        Layer::PidNamespace,
        Layer::Subreaper,
        Layer::NetworkNamespace,
        Layer::ConnectionGuard,
        Layer::UnprivilegedUser,
        Layer::PrivateCopy,
        Layer::PrivateTmp,
        Layer::Paths,
        Layer::Syscalls,
        Layer::Cgroup,
        Layer::ResourceLimits,
    ];

    /// How the report names it.
    pub fn name(self) -> &'static str {
        match self {
            Layer::PidNamespace => "pid namespace",
            Layer::Subreaper => "child subreaper",
            Layer::NetworkNamespace => "network namespace",
            Layer::ConnectionGuard => "connection guard",
            Layer::UnprivilegedUser => "unprivileged user",
            Layer::PrivateCopy => "private folder copy",
            Layer::PrivateTmp => "private /tmp",
            Layer::Paths => "filesystem allowlist (netlab.toml commands)",
            Layer::Syscalls => "syscall filter",
            Layer::Cgroup => "cgroup",
            Layer::ResourceLimits => "resource limits",
        }
    }

    /// Its key in `NETLAB_SANDBOX` and in JSON.
    pub fn key(self) -> &'static str {
        match self {
            Layer::PidNamespace => "pid",
            Layer::Subreaper => "subreaper",
            Layer::NetworkNamespace => "net",
            Layer::ConnectionGuard => "guard",
            Layer::UnprivilegedUser => "user",
            Layer::PrivateCopy => "copy",
            Layer::PrivateTmp => "tmp",
            Layer::Paths => "paths",
            Layer::Syscalls => "syscalls",
            Layer::Cgroup => "cgroup",
            Layer::ResourceLimits => "limits",
        }
    }

    fn from_key(key: &str) -> Option<Layer> {
        Layer::ALL.into_iter().find(|l| l.key() == key)
    }

    /// The subreaper is the fallback of the pid namespace, the connection
    /// guard (fake servers and probes talk only to the check's programs,
    /// told by the socket table) that of the network namespace: neither is
    /// "missing" when what it stands in for is there.
    fn is_fallback(self) -> bool {
        matches!(self, Layer::Subreaper | Layer::ConnectionGuard)
    }

    fn replaced_by(self) -> Option<Layer> {
        match self {
            Layer::Subreaper => Some(Layer::PidNamespace),
            Layer::ConnectionGuard => Some(Layer::NetworkNamespace),
            _ => None,
        }
    }
}

/// What the sandbox does in this grader process.
#[derive(Debug, Clone)]
pub struct Policy {
    active: BTreeSet<Layer>,
    /// Layers wanted but not available, with the reason.
    missing: Vec<(Layer, String)>,
    pub limits: Limits,
}

static POLICY: OnceLock<Policy> = OnceLock::new();

/// Chooses the layers for this process, as `NETLAB_SANDBOX` would (the API
/// form, for a program embedding the grader). Must come before the first
/// grading; `Err` with the policy already in force otherwise.
pub fn configure(spec: &str) -> Result<(), &'static Policy> {
    let mut fresh = false;
    let policy = POLICY.get_or_init(|| {
        fresh = true;
        Policy::detect(spec)
    });
    if fresh {
        Ok(())
    } else {
        Err(policy)
    }
}

/// The policy of this process: requested by `NETLAB_SANDBOX` (or
/// [`configure`]), limited to what the machine allows. Decided once.
pub fn policy() -> &'static Policy {
    POLICY.get_or_init(|| {
        let requested = std::env::var("NETLAB_SANDBOX").unwrap_or_default();
        Policy::detect(&requested)
    })
}

impl Policy {
    /// Which layers `spec` asks for (see the module header).
    fn requested(spec: &str) -> BTreeSet<Layer> {
        match spec.trim() {
            "" | "full" => Layer::ALL.into_iter().collect(),
            "none" => BTreeSet::new(),
            "limits" => [
                Layer::ResourceLimits,
                Layer::Subreaper,
                Layer::ConnectionGuard,
            ]
            .into_iter()
            .collect(),
            list => list
                .split(',')
                .filter_map(|k| Layer::from_key(k.trim()))
                .collect(),
        }
    }

    fn detect(spec: &str) -> Policy {
        let wanted = Policy::requested(spec);
        let mut active = BTreeSet::new();
        let mut missing = Vec::new();
        for layer in Layer::ALL {
            if !wanted.contains(&layer) {
                continue;
            }
            if layer.replaced_by().is_some_and(|l| active.contains(&l)) {
                continue; // not needed: the namespace does better
            }
            match available(layer) {
                Ok(()) => {
                    active.insert(layer);
                }
                Err(why) => missing.push((layer, why)),
            }
        }
        // Asked for no pid namespace and no subreaper: say what is lost.
        if !active.contains(&Layer::PidNamespace) && !wanted.contains(&Layer::PidNamespace) {
            missing.push((Layer::PidNamespace, "turned off by NETLAB_SANDBOX".into()));
        }
        for layer in Layer::ALL {
            let off = !wanted.contains(&layer)
                && !layer.is_fallback()
                && layer != Layer::PidNamespace
                && !missing.iter().any(|(l, _)| *l == layer);
            if off {
                missing.push((layer, "turned off by NETLAB_SANDBOX".into()));
            }
        }
        // Without root, a private /tmp is mounted inside the pid namespace's
        // user namespace: no pid namespace, no private /tmp.
        #[cfg(target_os = "linux")]
        if active.contains(&Layer::PrivateTmp)
            && !active.contains(&Layer::PidNamespace)
            && !linux::is_root()
        {
            active.remove(&Layer::PrivateTmp);
            missing.push((
                Layer::PrivateTmp,
                "without root it needs the pid namespace (a user namespace of its own)".into(),
            ));
        }
        #[cfg(target_os = "linux")]
        if active.contains(&Layer::Subreaper) {
            linux::become_subreaper();
        }
        Policy {
            active,
            missing,
            limits: Limits::default(),
        }
    }

    pub fn has(&self, layer: Layer) -> bool {
        self.active.contains(&layer)
    }

    /// The active layers, strongest first.
    pub fn active(&self) -> Vec<Layer> {
        self.active.iter().copied().collect()
    }

    /// The layers that are missing, and why.
    pub fn missing(&self) -> &[(Layer, String)] {
        &self.missing
    }

    /// Does every layer run (nothing missing, no per-program downgrade)?
    pub fn complete(&self) -> bool {
        self.missing.is_empty() && notes().is_empty()
    }

    /// One line for the text report.
    pub fn summary(&self) -> String {
        let mut line = self.layers();
        for note in notes() {
            line.push_str(&format!("; {note}"));
        }
        line
    }

    /// [`Policy::summary`] without the notes: the layers on and off, the
    /// same for every submission of a run (a class record's cache key).
    pub fn layers(&self) -> String {
        let active: Vec<&str> = self.active.iter().map(|l| l.name()).collect();
        let mut line = if active.is_empty() {
            "sandbox: none (processes run as the grader's user, without limits)".to_string()
        } else {
            format!("sandbox: {}", active.join(", "))
        };
        for (layer, why) in &self.missing {
            line.push_str(&format!("; no {} here ({why})", layer.name()));
        }
        line
    }

    /// The `sandbox` object of the JSON report.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "active": self.active.iter().map(|l| l.key()).collect::<Vec<_>>(),
            "missing": self.missing.iter().map(|(l, why)| serde_json::json!({
                "layer": l.key(),
                "why": why,
            })).collect::<Vec<_>>(),
            "notes": notes(),
            "limits": {
                "memory_bytes": self.limits.memory_bytes,
                "cpu_secs": self.limits.cpu_secs,
                "processes": self.limits.processes,
                "file_bytes": self.limits.file_bytes,
                "open_files": self.limits.open_files,
            },
            "complete": self.complete(),
            "summary": self.summary(),
        })
    }
}

/// Per-program downgrades seen during this run: of the machine (`None`:
/// a check without its network namespace), or of one submission's folder
/// (a folder too big to copy is used in place, a program only root can
/// reach runs as the grader's user).
///
/// Trap: a class run grades every submission in this one process. A
/// folder's notes are told in that submission's reports only
/// ([`with_notes_of`]); process-wide, one student's folder name (escape
/// sequences, a forged score line) was in every classmate's report
/// (hostile round 6).
type Notes = BTreeMap<Option<PathBuf>, BTreeSet<String>>;
static NOTES: Mutex<Notes> = Mutex::new(BTreeMap::new());

thread_local! {
    /// The submission folder whose reports this thread is writing.
    static SCOPE: std::cell::RefCell<Option<PathBuf>> = const { std::cell::RefCell::new(None) };
}

#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn note(text: String) {
    add_note(None, text);
}

/// A downgrade of the submission in `dir` alone.
fn note_about(dir: &Path, text: String) {
    add_note(Some(dir.to_path_buf()), text);
}

fn add_note(dir: Option<PathBuf>, text: String) {
    NOTES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(dir)
        .or_default()
        .insert(text);
}

/// Runs `f` (which writes the reports of the submission in `dir`) with
/// the notes of that folder and the machine's only.
pub fn with_notes_of<T>(dir: &Path, f: impl FnOnce() -> T) -> T {
    let before = SCOPE.with(|s| s.replace(Some(dir.to_path_buf())));
    let out = f();
    SCOPE.with(|s| *s.borrow_mut() = before);
    out
}

/// The downgrades noted so far: the machine's, and those of the folder
/// whose reports are being written ([`with_notes_of`]), or of every
/// folder (one `--dir` run grades one).
pub fn notes() -> Vec<String> {
    let scope = SCOPE.with(|s| s.borrow().clone());
    let notes = NOTES.lock().unwrap_or_else(|e| e.into_inner());
    let mut out = BTreeSet::new();
    for (dir, texts) in notes.iter() {
        let ours = match (dir, &scope) {
            (None, _) | (Some(_), None) => true,
            (Some(dir), Some(scope)) => dir == scope,
        };
        if ours {
            out.extend(texts.iter().cloned());
        }
    }
    out.into_iter().collect()
}

#[cfg(target_os = "linux")]
fn available(layer: Layer) -> Result<(), String> {
    linux::available(layer)
}

#[cfg(all(unix, not(target_os = "linux")))]
fn available(layer: Layer) -> Result<(), String> {
    match layer {
        Layer::ResourceLimits => Ok(()),
        _ => Err("needs Linux".into()),
    }
}

#[cfg(not(unix))]
fn available(_layer: Layer) -> Result<(), String> {
    Err("needs Unix".into())
}

/// Folders no program may see (see [`hide_from_programs`]).
static HIDDEN: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Folders kept out of the filesystem allowlist ([`fence_off`]).
static FENCED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// While the guard lives, every program started with the private-/tmp
/// layer finds `dir` empty and read-only: a class folder (another
/// student's code, to copy or to break) and the results folder (reports to
/// read or forge). Its own working folder, when it runs in place under
/// `dir`, is bound back. A folder that does not exist, `/`, or one that
/// holds a shared tree (/tmp itself) is not hidden.
pub fn hide_from_programs(dir: &Path) -> Listed {
    Listed::add(&HIDDEN, dir)
}

/// While the guard lives, no program under the filesystem allowlist
/// ([`Layer::Paths`]) reads `dir`, although it lies in a tree the
/// allowlist opens (a class member that is a symlink into /opt: its
/// classmates copied it, hostile round 8). Its own programs still reach
/// it when they run in it. Unlike [`hide_from_programs`], no mount: any
/// number of folders.
pub fn fence_off(dir: &Path) -> Listed {
    Listed::add(&FENCED, dir)
}

/// A folder on one of the lists above while the guard lives.
#[derive(Debug)]
#[must_use = "the folder is on the list only while the guard lives"]
pub struct Listed {
    list: &'static Mutex<Vec<PathBuf>>,
    dir: Option<PathBuf>,
}

impl Listed {
    fn add(list: &'static Mutex<Vec<PathBuf>>, dir: &Path) -> Listed {
        let dir = dir.canonicalize().ok();
        if let Some(dir) = &dir {
            list.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(dir.clone());
        }
        Listed { list, dir }
    }
}

impl Drop for Listed {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let mut list = self.list.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(i) = list.iter().position(|d| d == dir) {
                list.remove(i);
            }
        }
    }
}

/// The folders on `list`, sorted, once each.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn listed(list: &Mutex<Vec<PathBuf>>) -> Vec<PathBuf> {
    let mut dirs = list.lock().unwrap_or_else(|e| e.into_inner()).clone();
    dirs.sort();
    dirs.dedup();
    dirs
}

#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn fenced_folders() -> Vec<PathBuf> {
    listed(&FENCED)
}

#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn hidden_folders() -> Vec<PathBuf> {
    listed(&HIDDEN)
}

/// Cgroup dirs and jail folders alive right now, for [`cleanup_leftovers`]:
/// a Ctrl+C ends netlab with `process::exit`, and no Drop runs then.
static LEFTOVERS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn remember(path: &Path) {
    LEFTOVERS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(path.to_path_buf());
}

fn forget(path: &Path) {
    // By bytes: the path given back is the one remembered. Trap: `Path`'s
    // own `==` parses both into components, and this list is scanned at
    // every program's end (2% of the grader's CPU in a class run).
    LEFTOVERS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .retain(|p| p.as_os_str() != path.as_os_str());
}

/// Removes every cgroup (killing its members first) and jail folder this
/// process made and has not removed yet. For the Ctrl+C handler, after
/// [`crate::process::kill_all`] and before `exit`; bounded (a cgroup
/// gets about a second to empty). Safe from any thread.
pub fn cleanup_leftovers() {
    // try_lock in a loop: never block the handler on a lock held by a
    // thread that will not run again.
    let mut paths = Vec::new();
    for _ in 0..100 {
        match LEFTOVERS.try_lock() {
            Ok(mut list) => {
                paths = std::mem::take(&mut *list);
                break;
            }
            Err(std::sync::TryLockError::Poisoned(e)) => {
                paths = std::mem::take(&mut *e.into_inner());
                break;
            }
            Err(std::sync::TryLockError::WouldBlock) => {
                std::thread::sleep(std::time::Duration::from_millis(5))
            }
        }
    }
    for path in paths {
        remove_leftover(&path);
    }
    end_of_run();
}

/// When no check runs any more (the end of a grading, of a class, or a
/// Ctrl+C): with the subreaper fallback, ends every orphan left by any
/// submission, also one that shed its tag (see `linux::reap_all_orphans`).
/// With a pid namespace there are none: each died with its namespace.
pub fn end_of_run() {
    // Not `policy()`: a command that graded nothing (merge, demo, trace)
    // must not run the sandbox's detection (forks, probes) on its way out.
    #[cfg(target_os = "linux")]
    if POLICY.get().is_some_and(|p| p.has(Layer::Subreaper)) {
        linux::reap_all_orphans(&crate::process::live_pids());
    }
}

fn remove_leftover(path: &Path) {
    #[cfg(target_os = "linux")]
    if path.starts_with(linux::CGROUP_ROOT) {
        linux::cgroup::remove(path);
        return;
    }
    let _ = remove_scratch(path);
}

/// Removes a scratch folder of a check's (a jail copy, a given folder):
/// first the tmpfs of its own it may be (see `linux::own_tmpfs`: detached,
/// what its programs left goes with it, no walk), then the folder, with
/// [`remove_tree`].
pub fn remove_scratch(path: &Path) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    linux::unmount(path);
    remove_tree(path)
}

/// Removes the folder `path` and everything in it, however deep, with two
/// descriptors and no recursion: a folder's entries are moved up into
/// `path` under fresh names, the folder removed, until none is left. A
/// symlink anywhere is removed as a link, never followed.
///
/// Why (hostile round 13): a program built a chain of folders 20 000 deep
/// in its own folder in a fraction of a second (renames at the top keep
/// each step shallow). `std::fs::remove_dir_all` holds a descriptor and a
/// stack frame per level: past the descriptor limit it gave up silently
/// (the chain and its data stayed in /dev/shm, and the next run's sweep
/// failed the same way); past the stack it aborted the grader, and a
/// class run with it, every time it was run again.
#[cfg(target_os = "linux")]
pub fn remove_tree(path: &Path) -> io::Result<()> {
    use nix::fcntl::OFlag;
    use nix::sys::stat::Mode;
    use nix::unistd::UnlinkatFlags;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    match path.symlink_metadata() {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
        Ok(meta) if !meta.is_dir() => return std::fs::remove_file(path),
        Ok(_) => {}
    }
    let dir_flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    // SAFETY (both from_raw_fd): just opened, owned by nobody else.
    let root = unsafe { OwnedFd::from_raw_fd(nix::fcntl::open(path, dir_flags, Mode::empty())?) };
    let list = |fd: &OwnedFd| -> io::Result<Vec<std::ffi::OsString>> {
        std::fs::read_dir(format!("/proc/self/fd/{}", fd.as_raw_fd()))?
            .map(|e| e.map(|e| e.file_name()))
            .collect()
    };
    let mut queue = list(&root)?;
    let mut fresh = 0u64;
    // Every pass removes an entry or moves a folder's entries up a level:
    // bounded by the entries there are (each is moved at most once per
    // level it had), and by a count, in case the tree keeps growing.
    let mut budget = 10_000_000u64;
    while let Some(name) = queue.pop() {
        budget = budget.checked_sub(1).ok_or_else(|| {
            io::Error::other(format!(
                "{} keeps growing while it is removed",
                path.display()
            ))
        })?;
        let at = Some(root.as_raw_fd());
        if nix::unistd::unlinkat(at, name.as_os_str(), UnlinkatFlags::NoRemoveDir).is_ok()
            || nix::unistd::unlinkat(at, name.as_os_str(), UnlinkatFlags::RemoveDir).is_ok()
        {
            continue;
        }
        // A folder with entries (made unreadable by its owner, perhaps:
        // root reads it anyway; the same user opens it up first, never as
        // root: fchmodat follows a link put there meanwhile).
        let opened =
            nix::fcntl::openat(at, name.as_os_str(), dir_flags, Mode::empty()).or_else(|e| {
                if linux::is_root() {
                    return Err(e);
                }
                nix::sys::stat::fchmodat(
                    at,
                    name.as_os_str(),
                    Mode::from_bits_truncate(0o700),
                    nix::sys::stat::FchmodatFlags::FollowSymlink,
                )?;
                nix::fcntl::openat(at, name.as_os_str(), dir_flags, Mode::empty())
            })?;
        // SAFETY: see above.
        let folder = unsafe { OwnedFd::from_raw_fd(opened) };
        let inside = list(&folder)?;
        if inside.is_empty() {
            // Empty, and yet it would not go: it never will.
            return Err(io::Error::other(format!(
                "{} holds a folder that cannot be removed",
                path.display()
            )));
        }
        for inner in inside {
            loop {
                fresh += 1;
                let up = std::ffi::OsString::from(format!(".netlab-removing-{fresh}"));
                match rename_no_replace(folder.as_raw_fd(), &inner, root.as_raw_fd(), &up) {
                    Ok(()) => {
                        queue.push(up);
                        break;
                    }
                    Err(e) if e.raw_os_error() == Some(nix::libc::EEXIST) => continue,
                    Err(e) => return Err(e),
                }
            }
        }
        // Now empty: removed on its next turn.
        queue.push(name);
    }
    drop(root);
    std::fs::remove_dir(path)
}

/// renameat2(RENAME_NOREPLACE) by its system call: neither nix nor musl's
/// C library offers it everywhere (the musl build has neither).
#[cfg(target_os = "linux")]
fn rename_no_replace(
    from_dir: std::os::fd::RawFd,
    from: &std::ffi::OsStr,
    to_dir: std::os::fd::RawFd,
    to: &std::ffi::OsStr,
) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = |s: &std::ffi::OsStr| std::ffi::CString::new(s.as_bytes()).map_err(io::Error::other);
    let (from, to) = (c(from)?, c(to)?);
    const RENAME_NOREPLACE: nix::libc::c_uint = 1;
    // SAFETY: two NUL-terminated paths that outlive the call.
    let done = unsafe {
        nix::libc::syscall(
            nix::libc::SYS_renameat2,
            from_dir,
            from.as_ptr(),
            to_dir,
            to.as_ptr(),
            RENAME_NOREPLACE,
        )
    };
    if done == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Elsewhere: the standard library's (no sandbox there writes a folder
/// netlab removes as root).
#[cfg(not(target_os = "linux"))]
pub fn remove_tree(path: &Path) -> io::Result<()> {
    match std::fs::remove_dir_all(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// At the start of a run: removes what a grader that died without cleaning
/// up left behind (a `kill -9`): cgroups `netlab/<pid>-*` and jail
/// folders `netlab-jail-<pid>-*` of a dead pid. Root only (others cannot
/// have made them); never touches what a live grader owns.
pub fn sweep_stale() {
    #[cfg(target_os = "linux")]
    linux::sweep_stale(JAIL_PREFIX);
}

/// The host pid of the program a started command runs, `child` being the
/// pid std started (the launcher): itself, or with a pid namespace the
/// namespace's PID 2 (see `linux::split_for_pid_namespace`). `None` where
/// it cannot be told (the program already gone): signal the group then.
pub fn program_pid(child: u32) -> Option<u32> {
    #[cfg(target_os = "linux")]
    if policy().has(Layer::PidNamespace) {
        return linux::program_in_namespace(child);
    }
    Some(child)
}

/// Runs `body` on a thread of its own inside a fresh network namespace
/// (when that layer is active): everything `body` opens with
/// [`tcp_listener`] / [`tcp_connect`] or starts lives there. Returns what
/// `body` returns; a panic is passed on.
///
/// As root the thread itself moves into the namespace. Without root it
/// cannot (a multithreaded process cannot enter a user namespace), so a
/// holder process makes the namespace and hands the thread its sockets
/// (see `linux::NetHolder`).
pub fn isolated<T: Send>(body: impl FnOnce() -> T + Send) -> T {
    if !policy().has(Layer::NetworkNamespace) {
        return body();
    }
    std::thread::scope(|scope| {
        let handle = scope.spawn(|| {
            #[cfg(target_os = "linux")]
            {
                let lost = |e: io::Error| {
                    note(format!("a check ran without its network namespace ({e})"));
                    WITHOUT_ITS_NETWORK.with(|w| w.set(true));
                };
                if linux::is_root() {
                    if let Err(e) = linux::enter_new_network() {
                        lost(e);
                    }
                } else {
                    return match linux::with_holder(body) {
                        Ok(value) => value,
                        Err((e, body)) => {
                            lost(e);
                            body()
                        }
                    };
                }
            }
            body()
        });
        handle
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// The sandbox's own failure (not the program's): its `io::Error`s carry
/// it, so a check can say `grader-error` instead of blaming the program.
#[derive(Debug)]
struct SandboxFailure(String);

impl std::fmt::Display for SandboxFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "netlab's sandbox: {}", self.0)
    }
}

impl std::error::Error for SandboxFailure {}

#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn failure(what: impl Into<String>) -> io::Error {
    io::Error::other(SandboxFailure(what.into()))
}

/// Is `error` the sandbox's own failure (see [`tcp_connect`])?
pub fn is_failure(error: &io::Error) -> bool {
    error
        .get_ref()
        .is_some_and(|inner| inner.is::<SandboxFailure>())
}

thread_local! {
    /// This check was meant to have a network namespace and has none (it
    /// could not be made): the connection guard stands in for it.
    static WITHOUT_ITS_NETWORK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Must the grader's fake servers and probes tell the check's programs
/// from strangers themselves (no network namespace of the check's own)?
pub fn guard_needed() -> bool {
    policy().has(Layer::ConnectionGuard) || WITHOUT_ITS_NETWORK.with(|w| w.get())
}

/// A TCP socket for the grader's side of a check (a probe client, a fake
/// server), in the check's network namespace: sockets belong to the
/// namespace they are made in. Use it (through [`tcp_listener`] and
/// [`tcp_connect`]) for every socket a check opens, never `std::net`
/// directly.
pub fn tcp_socket(addr: &std::net::SocketAddr) -> io::Result<socket2::Socket> {
    let domain = socket2::Domain::for_address(*addr);
    #[cfg(target_os = "linux")]
    if let Some(made) = linux::check_socket(domain.into(), nix::libc::SOCK_STREAM, 0) {
        return made.map(socket2::Socket::from);
    }
    socket2::Socket::new(domain, socket2::Type::STREAM, None)
}

/// Any socket (`socket(2)`'s arguments) made in the check's network
/// namespace by its holder, when the check has one without root; `None`
/// when the calling thread's own namespace is the check's (make it there).
/// Inside its own user namespace the holder may make what only root may
/// outside: a packet socket on the check's `lo` captures without rights.
#[cfg(target_os = "linux")]
pub fn check_socket(
    domain: i32,
    kind: i32,
    protocol: i32,
) -> Option<io::Result<std::os::fd::OwnedFd>> {
    linux::check_socket(domain, kind, protocol)
}

/// A listening socket on `addr` in the check's network namespace, with
/// SO_REUSEADDR on Unix as `std::net::TcpListener::bind` sets it (a
/// TIME_WAIT left behind does not make the port busy).
pub fn tcp_listener(addr: std::net::SocketAddr) -> io::Result<std::net::TcpListener> {
    let socket = tcp_socket(&addr)?;
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    // Not 5: a short backlog drops SYNs under load (PITFALLS.md).
    socket.listen(1024)?;
    Ok(socket.into())
}

/// A TCP connection to `addr` from the check's network namespace, giving
/// up after `timeout`.
pub fn tcp_connect(
    addr: &std::net::SocketAddr,
    timeout: std::time::Duration,
) -> io::Result<std::net::TcpStream> {
    let socket = tcp_socket(addr)?;
    socket.connect_timeout(&(*addr).into(), timeout)?;
    Ok(socket.into())
}

/// A UDP socket bound to `addr` in the check's network namespace (a probe
/// of a lab over UDP: [`tcp_socket`]'s rule holds for every socket a
/// check opens).
pub fn udp_socket(addr: std::net::SocketAddr) -> io::Result<std::net::UdpSocket> {
    let domain = socket2::Domain::for_address(addr);
    #[cfg(target_os = "linux")]
    let made = linux::check_socket(domain.into(), nix::libc::SOCK_DGRAM, 0)
        .map(|made| made.map(socket2::Socket::from));
    #[cfg(not(target_os = "linux"))]
    let made: Option<io::Result<socket2::Socket>> = None;
    let socket = match made {
        Some(made) => made?,
        None => socket2::Socket::new(domain, socket2::Type::DGRAM, None)?,
    };
    socket.bind(&addr.into())?;
    Ok(socket.into())
}

/// The pid whose `/proc/<pid>/net/*` tables are those of the check running
/// on this thread, when that is not this thread's own namespace (the
/// unprivileged network namespace's holder).
pub fn check_network_pid() -> Option<u32> {
    #[cfg(target_os = "linux")]
    return linux::holder_pid();
    #[cfg(not(target_os = "linux"))]
    None
}

/// Reads a file a submission could have planted or swapped (its
/// netlab.toml, a log its program wrote), as the grader may be root: a
/// regular file only, never through a symbolic link (no `-> /etc/shadow`),
/// never a FIFO or a device (no blocking for ever, no endless
/// `/dev/zero`), and at most `max` bytes (a larger file is an error that
/// says its size).
pub fn read_untrusted(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let not_regular = |what: &str| {
        io::Error::other(format!(
            "it is {what}, not a regular file (read as it is, never through a link)"
        ))
    };
    if std::fs::symlink_metadata(path)?.file_type().is_symlink() {
        return Err(not_regular("a symbolic link"));
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        // Neither blocked by a FIFO swapped in after the check above, nor
        // through a link swapped in.
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(nix::libc::O_NONBLOCK | nix::libc::O_NOFOLLOW);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular("a folder, a FIFO or a device"));
    }
    if meta.len() > max {
        return Err(io::Error::other(format!(
            "it holds {} bytes, more than the {} KiB read",
            meta.len(),
            max >> 10
        )));
    }
    let mut bytes = Vec::new();
    file.take(max).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Who chose a command: the person running netlab (flags, the API), or
/// the submission (its netlab.toml). Only the first may name a program
/// that runs outside the jail's uid (see `Jail::command`), or outside the
/// filesystem allowlist ([`Layer::Paths`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CommandOrigin {
    #[default]
    Instructor,
    Submission,
}

/// Where what a program writes in its working folder goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WorkingFolder {
    /// To the folder itself: a private copy, or a folder the grader's
    /// user owns anyway (no private copy without root).
    #[default]
    WrittenThrough,
    /// To a layer of the program's own, bounded and gone when it ends:
    /// the submission folder itself, used in place because it was too big
    /// to copy (see `Jail::command`).
    Layered,
}

/// Folders the instructor trusts ([`trust`]).
static TRUSTED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Lets a submission's programs read and run what is under `dir`, beyond
/// the filesystem allowlist ([`Layer::Paths`]): a course's own tools, or
/// the reference build a test's netlab.toml names. `Err` when `dir` does
/// not resolve.
pub fn trust(dir: &Path) -> io::Result<()> {
    let real = dir.canonicalize()?;
    let mut trusted = TRUSTED.lock().unwrap_or_else(|e| e.into_inner());
    if !trusted.contains(&real) {
        trusted.push(real);
    }
    Ok(())
}

/// The folders [`trust`] was given.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn trusted() -> Vec<PathBuf> {
    TRUSTED.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// The sandbox of one check: its uid and its private folder copy.
#[derive(Debug)]
pub struct Jail {
    original: PathBuf,
    /// uid and gid the programs run as (root only).
    user: Option<(u32, u32)>,
    copy: Option<tempfile::TempDir>,
    /// Folders given to the programs ([`Jail::give`]): written through
    /// their private /tmp.
    given: Mutex<Vec<PathBuf>>,
    /// Why the private copy could not be made when the grader's scratch
    /// space was full (ENOSPC, EDQUOT, ENOMEM): see [`Jail::scratch_full`].
    scratch_full: Option<String>,
    /// Why the private copy was refused when a link stood in the folder's
    /// path: see [`Jail::moved`].
    moved: Option<String>,
    /// Run in place: the folder's device and inode, taken when the jail
    /// was made through its path, which held no link then. Trap (hostile
    /// round 36): checked by path before each start, a link flipped in
    /// between the check and the program's chdir still gave it a
    /// classmate's folder, or the class's gradebook; the launcher now
    /// compares the folder it entered with this.
    pin: Option<(u64, u64)>,
}

impl Drop for Jail {
    fn drop(&mut self) {
        // Removed here, however deep a program made it (see
        // [`remove_tree`]); the TempDir then finds nothing left.
        if let Some(copy) = &self.copy {
            let _ = remove_scratch(copy.path());
            forget(copy.path());
        }
        for path in self.given.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            forget(path);
        }
    }
}

impl Jail {
    /// Prepares a jail for programs of the folder `dir`.
    pub fn new(dir: &Path) -> Jail {
        Jail::new_from(dir, dir)
    }

    /// A jail for programs of the folder `dir`, its private copy made from
    /// `source`: a [`Snapshot`] of `dir` (the same content, taken once).
    pub fn new_from(dir: &Path, source: &Path) -> Jail {
        let policy = policy();
        let user = if policy.has(Layer::UnprivilegedUser) {
            Some(next_user())
        } else {
            None
        };
        let (mut scratch_full, mut moved) = (None, None);
        let copy = if policy.has(Layer::PrivateCopy) {
            match private_copy(source, user) {
                Ok(copy) => copy,
                Err(e) if out_of_space(&e) => {
                    scratch_full = Some(e.to_string());
                    None
                }
                Err(e) if is_folder_moved(&e) => {
                    moved = Some(e.to_string());
                    None
                }
                Err(e) => {
                    note_about(
                        dir,
                        format!("no private copy of the submission folder ({e})"),
                    );
                    None
                }
            }
        } else {
            None
        };
        #[cfg(unix)]
        if let (None, Some((uid, _))) = (&copy, user) {
            if policy.has(Layer::PrivateCopy) {
                unreadable_in_place(dir, uid);
            }
        }
        // Run in place: pinned now, or not run at all. Trap (hostile round
        // 37): a folder that was a link, or missing, at this moment had no
        // pin, the launcher then compared nothing, and a link flipped in
        // later gave the program a classmate's folder again.
        let pin = match (&copy, &moved) {
            (None, None) => match pin_of(dir) {
                Ok(pin) => pin,
                Err(e) => {
                    moved = Some(e.to_string());
                    None
                }
            },
            _ => None,
        };
        Jail {
            original: dir.to_path_buf(),
            user,
            copy,
            given: Mutex::new(Vec::new()),
            scratch_full,
            moved,
            pin,
        }
    }

    /// The folder was no longer the one graded when its copy was made, or
    /// (run in place) is not now: a link stands in its path (see
    /// [`FolderMoved`]). Its programs must not start, in place least of
    /// all: the path leads elsewhere. Asked before each start.
    pub fn moved(&self) -> Option<String> {
        match (&self.moved, &self.copy) {
            (Some(why), _) => Some(why.clone()),
            (None, None) => still_there(&self.original, self.pin),
            (None, Some(_)) => None,
        }
    }

    /// The private copy failed because the grader's scratch space (a
    /// tmpfs shared by every check of the run) was full: the check must
    /// not run (not in place, unprotected, nor with the error blamed on
    /// the program). Hostile round 22: a neighbour that filled its inodes
    /// left correct classmates running in the class folder, and one blamed
    /// for `no space left on device`.
    pub fn scratch_full(&self) -> Option<&str> {
        self.scratch_full.as_deref()
    }

    /// The folder programs start in: the copy, or the original.
    pub fn dir(&self) -> &Path {
        self.copy
            .as_ref()
            .map(|c| c.path())
            .unwrap_or(&self.original)
    }

    /// Makes `path` (a folder the grader made for this check) usable by the
    /// jail's user.
    pub fn give(&self, path: &Path) {
        // Its maker removes it when the check ends; a Ctrl+C, which runs
        // no Drop, leaves it to cleanup_leftovers.
        remember(path);
        self.given
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(path.to_path_buf());
        #[cfg(unix)]
        if let Some((uid, gid)) = self.user {
            let _ = std::os::unix::fs::chown(path, Some(uid), Some(gid));
        }
        #[cfg(not(unix))]
        let _ = path;
    }

    /// Makes `file`, which the grader wrote in a folder it gave the jail
    /// ([`Jail::give`]), the jail user's, as a file its programs made
    /// would be. Only the owner changes: the folder carries it into the
    /// programs' view.
    pub fn give_file(&self, file: &Path) {
        #[cfg(unix)]
        if let Some((uid, gid)) = self.user {
            let _ = std::os::unix::fs::lchown(file, Some(uid), Some(gid));
        }
        #[cfg(not(unix))]
        let _ = file;
    }

    /// A command for `argv` (program first) to be started in the jail:
    /// relative program paths and paths into the original folder point
    /// into the copy; its working directory is [`Jail::dir`]. `origin`
    /// says who chose the command (see [`CommandOrigin`]).
    pub fn command(&self, argv: &[String], origin: CommandOrigin) -> (Command, Confinement) {
        let mut program = self.program_path(&argv[0]);
        let mut run_as = self.user;
        if let (Some(path), Some((uid, _))) = (&program, run_as) {
            if let Some(real) = self.may_run_as_grader(path, uid, origin) {
                note_about(
                    &self.original,
                    format!(
                        "{} runs as the grader's user: an unprivileged user cannot reach it",
                        real.display().to_string().escape_debug()
                    ),
                );
                run_as = None;
                // Exactly the file judged: no path game between this
                // check and the exec.
                program = Some(real);
            }
        }
        let mut cmd = match &program {
            Some(path) => Command::new(path),
            None => Command::new(&argv[0]),
        };
        cmd.args(&argv[1..]).current_dir(self.dir());
        // Trap (hostile round 11): a folder used in place, writable by the
        // jail's uid (an archive unpacked 0777), took 1 GiB in 3 s of the
        // real disk, and the files stayed for the next run.
        // Only where programs get their own mounts (the private /tmp
        // layer): elsewhere the folder is written through, and the note
        // says so.
        let working_folder = if self.copy.is_none()
            && policy().has(Layer::PrivateCopy)
            && policy().has(Layer::PrivateTmp)
        {
            WorkingFolder::Layered
        } else {
            WorkingFolder::WrittenThrough
        };
        (
            cmd,
            Confinement {
                user: run_as,
                keep: self.given.lock().unwrap_or_else(|e| e.into_inner()).clone(),
                origin,
                working_folder,
                cwd_pin: self
                    .pin
                    .filter(|_| working_folder == WorkingFolder::Layered),
                ..Confinement::default()
            },
        )
    }

    /// The one exception to "every program runs under the jail's uid": a
    /// program the instructor named, outside the submission, that only
    /// the grader's user can reach (their own build under /root, say).
    /// Returns its canonical path then. Failing closed, never for:
    /// - a command of the submission's own netlab.toml (seen: `python3`
    ///   or any tool under /root given the submission's script runs it as
    ///   root; `/proc/self/cwd/x` resolved to nothing in the grader, was
    ///   judged unreachable, and ran the submission's own file as root);
    /// - a program inside the submission (its copy, which the jail's uid
    ///   owns, 0700: judged by the others' bits it once ran every
    ///   compiled submission as root);
    /// - a path that does not resolve here; and never under
    ///   --require-sandbox ([`set_strict`]).
    fn may_run_as_grader(&self, path: &Path, uid: u32, origin: CommandOrigin) -> Option<PathBuf> {
        if origin != CommandOrigin::Instructor || strict() {
            return None;
        }
        let real = path.canonicalize().ok()?;
        let inside = [self.dir(), self.original.as_path()]
            .iter()
            .filter_map(|d| d.canonicalize().ok())
            .any(|d| real.starts_with(d));
        (!inside && !reachable_by(&real, uid)).then_some(real)
    }

    /// Resolves the program: `Some(path)` when it is a file path (or found
    /// on PATH), `None` to leave it to the system.
    fn program_path(&self, program: &str) -> Option<PathBuf> {
        let path = Path::new(program);
        if path.is_absolute() {
            if let (Some(copy), Ok(rest)) = (&self.copy, path.strip_prefix(&self.original)) {
                return Some(copy.path().join(rest));
            }
            return Some(path.to_path_buf());
        }
        if path.components().count() > 1 {
            return Some(self.dir().join(path));
        }
        // A bare name: look it up on PATH as the jail's user would.
        let paths = std::env::var_os("PATH")?;
        let found: Vec<PathBuf> = std::env::split_paths(&paths)
            .map(|d| d.join(program))
            .filter(|p| is_executable(p))
            .collect();
        if let Some((uid, _)) = self.user {
            if let Some(p) = found.iter().find(|p| reachable_by(p, uid)) {
                return Some(p.clone());
            }
        }
        found.into_iter().next()
    }
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// Can `uid` (a jail uid: in no group but its own) run `path`? Every
/// folder above it searchable, the file readable and executable, by its
/// owner's bits where `uid` owns it and by the others' bits elsewhere.
#[cfg(unix)]
fn reachable_by(path: &Path, uid: u32) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(real) = path.canonicalize() else {
        return false;
    };
    let allows = |meta: &std::fs::Metadata, want: u32| {
        let bits = if meta.uid() == uid {
            meta.mode() >> 6
        } else {
            meta.mode()
        };
        bits & want == want
    };
    let file_ok = std::fs::metadata(&real).is_ok_and(|m| allows(&m, 0o5));
    file_ok
        && real
            .ancestors()
            .skip(1)
            .all(|dir| std::fs::metadata(dir).is_ok_and(|m| allows(&m, 0o1)))
}

#[cfg(not(unix))]
fn reachable_by(_path: &Path, _uid: u32) -> bool {
    true
}

/// A folder run in place (no private copy, which the jail's uid would
/// own) whose own files that uid cannot read (an archive unpacked with
/// mode 0600): its programs fail to start, and the student would be
/// blamed for the instructor's unpacking (hostile round 12: the same
/// files passed when the folder was small enough to copy). Said in the
/// submission's reports; looks at its first two levels only (the folder
/// is large by definition).
#[cfg(unix)]
fn unreadable_in_place(dir: &Path, uid: u32) {
    let mut unreadable = Vec::new();
    let mut seen = 0;
    let mut level = vec![dir.to_path_buf()];
    for _ in 0..2 {
        let mut next = Vec::new();
        for folder in &level {
            let Ok(entries) = std::fs::read_dir(folder) else {
                continue;
            };
            for entry in entries.flatten().take(256) {
                seen += 1;
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                if kind.is_dir() {
                    next.push(entry.path());
                } else if kind.is_file() && !readable_by(&entry, uid) {
                    unreadable.push(entry.file_name().to_string_lossy().into_owned());
                }
            }
        }
        level = next;
        if seen > 512 {
            break;
        }
    }
    // The jail's uid owns nothing there and is in no group of it: the
    // others' read bit is its.
    fn readable_by(entry: &std::fs::DirEntry, uid: u32) -> bool {
        use std::os::unix::fs::MetadataExt;
        entry.metadata().is_ok_and(|m| {
            let bits = if m.uid() == uid {
                m.mode() >> 6
            } else {
                m.mode()
            };
            bits & 0o4 != 0
        })
    }
    if let Some(first) = unreadable.first() {
        note_about(
            dir,
            format!(
                "{} of the submission's files cannot be read by the sandbox's user (`{}`{}): run in place, the folder is not copied for it, and its programs may fail to start; make the folder readable by all (chmod -R a+rX)",
                unreadable.len(),
                first.escape_debug(),
                if unreadable.len() > 1 { ", ..." } else { "" }
            ),
        );
    }
}

static STRICT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `--require-sandbox`: from now on no program runs with fewer layers than
/// the policy's (no program only root can reach is run as root: starting
/// it fails instead, as the sandbox's own failure, `grader-error`).
pub fn set_strict() {
    STRICT.store(true, std::sync::atomic::Ordering::SeqCst);
}

fn strict() -> bool {
    STRICT.load(std::sync::atomic::Ordering::SeqCst)
}

/// A uid/gid of its own for each jail: processes of two checks (or two
/// gradings) cannot signal or trace each other, and RLIMIT_NPROC counts
/// one check only. Ids from a range no distribution allocates (see
/// [`jail_ids`]), from a random start per grader, then in turn: two
/// graders collide only if they draw starts within one run's length of
/// each other in a space of 2^20 ids.
fn next_user() -> (u32, u32) {
    use std::sync::atomic::{AtomicU32, Ordering};
    static START: OnceLock<u32> = OnceLock::new();
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let (base, span) = jail_ids();
    let start = *START.get_or_init(|| fastrand::u32(0..span));
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let id = base + ((start as u64 + n as u64) % span as u64) as u32;
    (id, id)
}

/// The jail ids: `(first, count)`. 2^20 ids from 0x6e6c0000 ("nl") when
/// `/proc/self/uid_map` maps them (the whole range outside a user
/// namespace); inside a smaller map, the upper half of its largest extent.
fn jail_ids() -> (u32, u32) {
    const BASE: u32 = 0x6e6c_0000;
    const SPAN: u32 = 1 << 20;
    static IDS: OnceLock<(u32, u32)> = OnceLock::new();
    *IDS.get_or_init(|| {
        let map = std::fs::read_to_string("/proc/self/uid_map").unwrap_or_default();
        let extents: Vec<(u64, u64)> = map
            .lines()
            .filter_map(|l| {
                let f: Vec<u64> = l
                    .split_whitespace()
                    .filter_map(|x| x.parse().ok())
                    .collect();
                (f.len() == 3).then(|| (f[0], f[2]))
            })
            .collect();
        let wanted = (BASE as u64, BASE as u64 + SPAN as u64);
        if extents.is_empty()
            || extents
                .iter()
                .any(|&(first, count)| first <= wanted.0 && wanted.1 <= first + count)
        {
            return (BASE, SPAN);
        }
        let &(first, count) = extents.iter().max_by_key(|(_, count)| *count).unwrap();
        let half = (count / 2).clamp(1, SPAN as u64);
        ((first + count - half) as u32, half as u32)
    })
}

/// Is `id` one [`next_user`] hands out?
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn is_jail_id(id: u32) -> bool {
    let (first, count) = jail_ids();
    id >= first && (id - first) < count
}

/// How a jail folder's name starts, before the grader's pid.
const JAIL_PREFIX: &str = "netlab-jail-";

/// Where jail copies and the folders given to a check's programs go:
/// `$TMPDIR` when it is set (the user chose), else a tmpfs with room that
/// allows exec (/dev/shm on Linux) when the cgroup layer is active, else
/// the system's temporary folder.
///
/// Trap: on ext4 (/tmp here) creating and removing these folders, a copy
/// of every submission per check, was a quarter of the grader's CPU in a
/// class run: the inode allocator's search past recently deleted inodes
/// (perf, 40 submissions: `__ext4_new_inode`, `recently_deleted`). On a
/// tmpfs it is memory only. Trap: what a program writes there is memory
/// too, which the kernel cannot reclaim without swap: only a memory
/// cgroup bounds it (shmem pages are charged to the writer's), so without
/// one a program writing file after file could fill half the machine's
/// memory; then the disk it is.
pub fn scratch_root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let chosen = std::env::var_os("TMPDIR").is_some_and(|v| !v.is_empty());
        let root = (|| {
            #[cfg(target_os = "linux")]
            if !chosen && policy().has(Layer::Cgroup) {
                if let Some(tmpfs) = linux::roomy_tmpfs(1 << 30) {
                    return tmpfs;
                }
            }
            #[cfg(not(target_os = "linux"))]
            let _ = chosen;
            std::env::temp_dir()
        })();
        // Its real path (/dev/shm may be a link to /run/shm): a copy is
        // made only from the folder its path names (see `FolderMoved`).
        root.canonicalize().unwrap_or(root)
    })
}

/// Every folder where a grader may have put jail copies and given folders
/// ([`scratch_root`], whatever it chose), for the sweep of what a dead
/// grader left and for tests: the shared-memory tmpfs (Linux) and the
/// temporary folder. Needs no sandbox policy.
pub fn scratch_places() -> Vec<PathBuf> {
    let mut places = Vec::new();
    #[cfg(target_os = "linux")]
    places.extend(linux::shm_tmpfs());
    places.push(std::env::temp_dir());
    places.dedup();
    places
}

/// How a folder made for a check's programs ([`Jail::give`]) starts,
/// before the grader's pid (see [`given_folder`]).
const GIVEN_PREFIX: &str = "netlab-grade-";

/// A fresh folder for a check's files, named so that a later run's
/// [`sweep_stale`] removes it if this grader dies without cleaning up.
/// As root (where programs run as a jail's user) it is a tmpfs of its
/// own, as a jail copy is (see `linux::own_tmpfs`): what a program writes
/// there (a chat log, or files beside it) is bounded per check. Release
/// it with [`remove_scratch`].
pub fn given_folder() -> io::Result<tempfile::TempDir> {
    let prefix = format!("{GIVEN_PREFIX}{}-", std::process::id());
    let dir = tempfile::Builder::new()
        .prefix(&prefix)
        .tempdir_in(scratch_root())?;
    #[cfg(target_os = "linux")]
    if policy().has(Layer::UnprivilegedUser) {
        let _ = linux::own_tmpfs(dir.path(), GIVEN_TMPFS_BYTES, GIVEN_TMPFS_INODES);
    }
    Ok(dir)
}

/// The bounds of a given folder's own tmpfs: a chat log and room to spare
/// (a file is at most the file-size limit anyway).
#[cfg(target_os = "linux")]
const GIVEN_TMPFS_BYTES: u64 = 128 << 20;
#[cfg(target_os = "linux")]
const GIVEN_TMPFS_INODES: u64 = 1_024;

/// Under --require-sandbox ([`set_strict`]), where the private copy is a
/// layer: `Err` (why) when the folder `dir` is too big to be copied. Its
/// programs would run in it directly (what they write there is layered,
/// see `WorkingFolder::Layered`, but the folder itself is what they
/// read, and a hostile one may change under them): such a submission is
/// not graded instead.
pub fn require_private_copy(dir: &Path) -> Result<(), String> {
    if !strict() || !policy().has(Layer::PrivateCopy) {
        return Ok(());
    }
    let (mut bytes, mut entries) = (0u64, 0usize);
    let fits = measure(dir, &mut bytes, &mut entries)
        .is_ok_and(|()| bytes <= COPY_MAX_BYTES && entries <= COPY_MAX_ENTRIES);
    if fits {
        return Ok(());
    }
    Err(format!(
        "--require-sandbox: the submission folder cannot have its private copy (more than {} MiB or {} files, or unreadable), and its programs do not run in the folder itself; remove what they do not need (build folders such as target/), or grade without --require-sandbox",
        COPY_MAX_BYTES >> 20,
        COPY_MAX_ENTRIES
    ))
}

/// A folder larger than this is not copied (a Rust project's target/).
const COPY_MAX_BYTES: u64 = 32 << 20;
const COPY_MAX_ENTRIES: usize = 4_000;
/// The bounds of a copy's own tmpfs (see `linux::own_tmpfs`): the copy and
/// what its programs write beside it (a file is at most the file-size
/// limit; the memory cgroup counts the pages too).
#[cfg(target_os = "linux")]
const COPY_TMPFS_BYTES: u64 = 256 << 20;
#[cfg(target_os = "linux")]
const COPY_TMPFS_INODES: u64 = 16_384;

fn private_copy(dir: &Path, user: Option<(u32, u32)>) -> io::Result<Option<tempfile::TempDir>> {
    let (mut bytes, mut entries) = (0u64, 0usize);
    measure(dir, &mut bytes, &mut entries)?;
    if bytes > COPY_MAX_BYTES || entries > COPY_MAX_ENTRIES {
        let writes = if policy().has(Layer::PrivateTmp) {
            format!(
                "what they write there stays in memory (at most {} MiB) until they end",
                policy().limits.file_bytes >> 20
            )
        } else {
            "what they write there stays in it (no private mounts here)".to_string()
        };
        note_about(
            dir,
            format!(
                "no private copy of the submission folder (more than {} MiB or {} files): programs run in it, and {writes}",
                COPY_MAX_BYTES >> 20,
                COPY_MAX_ENTRIES,
            ),
        );
        return Ok(None);
    }
    let copy = jail_folder()?;
    // A tmpfs of its own, bounded (root only, where the copy's uid is a
    // jail's): best effort, the shared scratch otherwise.
    #[cfg(target_os = "linux")]
    if user.is_some() {
        let _ = linux::own_tmpfs(copy.path(), COPY_TMPFS_BYTES, COPY_TMPFS_INODES);
    }
    if let Err(e) = copy_tree(dir, copy.path(), user) {
        #[cfg(target_os = "linux")]
        linux::unmount(copy.path());
        forget(copy.path());
        return Err(e);
    }
    if let Some((uid, gid)) = user {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::os::unix::fs::chown(copy.path(), Some(uid), Some(gid))?;
            // Trap: the copy was seen as 0755 under /tmp: every other
            // jail uid could list and read this submission (one student's
            // code read by another's in a class run). Only its own uid
            // may enter.
            std::fs::set_permissions(copy.path(), std::fs::Permissions::from_mode(0o700))?;
        }
        let _ = (uid, gid);
    }
    Ok(Some(copy))
}

/// A private copy of a submission folder taken once, before its checks,
/// that the checks' own copies are made from ([`Jail::new_from`]): what
/// is graded is what was copied then, whatever the folder becomes while
/// it is graded. A folder its student can still write (a class folder
/// writable by all, a member that links into their home) was swapped for a
/// correct one during the run and back before its end, whole
/// (`renameat2(RENAME_EXCHANGE)`: every inode and change time kept), or
/// written through a shared mapping (no time moves), and its record kept
/// the correct one's pass (hostile round 32). Root's, mode 0700: no
/// program reads it. Removed when dropped.
pub struct Snapshot {
    dir: tempfile::TempDir,
}

impl Snapshot {
    /// Where the copy is.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        let _ = remove_scratch(self.dir.path());
        forget(self.dir.path());
    }
}

/// A [`Snapshot`] of `dir`, where its checks get private copies (the
/// private-copy layer, a folder small enough); `None` where they run in
/// the folder itself.
pub fn snapshot(dir: &Path) -> io::Result<Option<Snapshot>> {
    if !policy().has(Layer::PrivateCopy) {
        return Ok(None);
    }
    let (mut bytes, mut entries) = (0u64, 0usize);
    if measure(dir, &mut bytes, &mut entries).is_err()
        || bytes > COPY_MAX_BYTES
        || entries > COPY_MAX_ENTRIES
    {
        return Ok(None);
    }
    let snapshot = Snapshot {
        dir: jail_folder()?,
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(snapshot.path(), std::fs::Permissions::from_mode(0o700))?;
    }
    copy_tree(dir, snapshot.path(), None)?;
    Ok(Some(snapshot))
}

/// A new folder of this grader's in the scratch space, remembered for a
/// Ctrl+C. The grader's pid in its name: a later run's sweep knows whether
/// its maker is still alive.
fn jail_folder() -> io::Result<tempfile::TempDir> {
    let prefix = format!("{JAIL_PREFIX}{}-", std::process::id());
    let folder = tempfile::Builder::new()
        .prefix(&prefix)
        .tempdir_in(scratch_root())?;
    remember(folder.path());
    Ok(folder)
}

/// Is `e` a full disk, quota or memory (the scratch tmpfs), not something
/// of the submission's?
fn out_of_space(e: &io::Error) -> bool {
    // By kind: tempfile's errors carry the path, and no raw errno.
    matches!(
        e.kind(),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded | io::ErrorKind::OutOfMemory
    )
}

/// Files a run or a tool leaves in a folder, not work handed in: Python's
/// bytecode caches, version control, a Mac's folder settings. Neither
/// copied for the programs nor counted in a class run's content hash, so
/// what runs is what the hash covers (hostile round 7: a compiled `.pyc`
/// ran in place of the source while the hash left it out, and a changed
/// one kept the old record).
pub fn not_handed_in(name: &str) -> bool {
    matches!(name, "__pycache__" | ".git" | ".DS_Store") || name.ends_with(".pyc")
}

/// How deep a submission's folders may nest to be copied. Trap (hostile
/// round 12): 1500 levels overflowed the grader's stack in this walk and
/// the copy's, and a class run died with every classmate ungraded. A
/// deeper folder is not copied (it runs in place, layered).
const COPY_MAX_DEPTH: usize = 64;

fn measure(dir: &Path, bytes: &mut u64, entries: &mut usize) -> io::Result<()> {
    measure_below(dir, bytes, entries, 0)
}

fn measure_below(dir: &Path, bytes: &mut u64, entries: &mut usize, depth: usize) -> io::Result<()> {
    if depth > COPY_MAX_DEPTH {
        return Err(io::Error::other(format!(
            "its folders nest more than {COPY_MAX_DEPTH} deep"
        )));
    }
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if not_handed_in(&entry.file_name().to_string_lossy()) {
            continue;
        }
        *entries += 1;
        if *bytes > COPY_MAX_BYTES || *entries > COPY_MAX_ENTRIES {
            return Ok(());
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            measure_below(&entry.path(), bytes, entries, depth + 1)?;
        } else if kind.is_file() {
            *bytes += entry.metadata()?.len();
        }
    }
    Ok(())
}

/// Copies the folder `from` into the empty folder `to`, never following a
/// symlink inside it: each entry is opened (`O_PATH | O_NOFOLLOW`)
/// relative to its parent's descriptor and judged by what was opened.
///
/// Trap (hostile round 8): judged by the listing and then copied by path
/// (as root), a folder swapped for a symlink in between (a program run
/// in place, in a folder it can write, racing the next check's copy with
/// renameat2) was followed: the copy held the repository's correct
/// server, owned by the jail's uid, inside the program's own folder.
#[cfg(target_os = "linux")]
fn copy_tree(from: &Path, to: &Path, user: Option<(u32, u32)>) -> io::Result<()> {
    // The folder itself is the instructor's path (a class of symlinks is
    // fine, resolved once); nothing below it is followed.
    let root = open_pinned(from)?;
    let mut budget = Budget {
        bytes: COPY_MAX_BYTES,
        entries: COPY_MAX_ENTRIES,
    };
    copy_below(&root, to, user, &mut budget, 0)
}

/// The error of a copy whose folder is no longer at its path: a link
/// stands there now, or in a folder above it. Trap (hostile round 35): a
/// class member swapped for a link to a root-only folder right after its
/// netlab.toml was read had root copy that folder into the student's
/// snapshot, and the student's own command printed it into their report.
/// A folder is pinned by its real path when grading begins (a class's
/// member links resolved once) and never copied, nor run in, through a
/// link that appears after.
#[derive(Debug)]
pub struct FolderMoved(pub PathBuf);

impl std::fmt::Display for FolderMoved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} is no longer the folder it was when grading began: a link stands in its path now (nothing is copied from, or run in, the folder it leads to)",
            self.0.display()
        )
    }
}

impl std::error::Error for FolderMoved {}

/// Is `e` a [`FolderMoved`]?
pub fn is_folder_moved(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<FolderMoved>())
}

/// The folder at `path` (an `O_PATH` descriptor), which must be that
/// folder itself, not one a link put in its path leads to: an absolute
/// path is a real one here (a class's members and `--dir` are resolved
/// once, when grading begins), and what was opened must still have it
/// for its own ([`FolderMoved`] otherwise).
#[cfg(target_os = "linux")]
fn open_pinned(path: &Path) -> io::Result<std::os::fd::OwnedFd> {
    use nix::fcntl::OFlag;
    use std::os::fd::{AsRawFd, FromRawFd};
    let fd = nix::fcntl::open(
        path,
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    )?;
    // SAFETY: just opened, owned by nobody else.
    let fd = unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) };
    if path.is_absolute() {
        let opened = std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd()));
        if opened.is_ok_and(|real| real != path) {
            return Err(io::Error::other(FolderMoved(path.to_path_buf())));
        }
    }
    Ok(fd)
}

/// The device and inode of the folder at `path`, itself (see
/// [`open_pinned`]); `Ok(None)` where that cannot be told (no Linux). An
/// error ([`FolderMoved`], or the folder gone) says why nothing of it may
/// run.
fn pin_of(path: &Path) -> io::Result<Option<(u64, u64)>> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let fd = open_pinned(path).map_err(|e| folder_gone(path, e))?;
        let stat = nix::sys::stat::fstat(fd.as_raw_fd()).map_err(io::Error::from)?;
        #[allow(clippy::useless_conversion)]
        Ok(Some((u64::from(stat.st_dev), u64::from(stat.st_ino))))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = path;
        Ok(None)
    }
}

/// `e`, from opening the folder at `path`, as a person reads it.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn folder_gone(path: &Path, e: io::Error) -> io::Error {
    if is_folder_moved(&e) {
        return e;
    }
    io::Error::new(
        e.kind(),
        format!(
            "{} cannot be opened now ({e}): it was moved or removed while it was graded",
            path.display()
        ),
    )
}

/// Why the folder at `path`, run in place and pinned as `pin`, must not
/// be run in now: a link stands in its path (see [`open_pinned`]), it is
/// gone, or another folder took its place. Fails closed: any error
/// refuses (a path missing at this moment may hold a link at the next).
fn still_there(path: &Path, pin: Option<(u64, u64)>) -> Option<String> {
    match pin_of(path) {
        Err(e) => Some(e.to_string()),
        Ok(now) if pin.is_some() && now != pin => Some(format!(
            "{} is no longer the folder it was when its check began: another folder took its place",
            path.display()
        )),
        Ok(_) => None,
    }
}

/// What a copy may still take. Trap (hostile round 8): measured before
/// the copy, a folder a program ran in place grew while root copied it
/// (sparse files, grown once the copy began): 827 MB of /dev/shm.
#[cfg(target_os = "linux")]
struct Budget {
    bytes: u64,
    entries: usize,
}

#[cfg(target_os = "linux")]
fn over_budget() -> io::Error {
    io::Error::other(format!(
        "the folder grew past {} MiB, {} files or {COPY_MAX_DEPTH} levels while it was copied",
        COPY_MAX_BYTES >> 20,
        COPY_MAX_ENTRIES
    ))
}

/// [`copy_tree`]'s walk: the entries of the folder open as `dir` (an
/// `O_PATH` descriptor) into `to`.
#[cfg(target_os = "linux")]
fn copy_below(
    dir: &std::os::fd::OwnedFd,
    to: &Path,
    user: Option<(u32, u32)>,
    budget: &mut Budget,
    depth: usize,
) -> io::Result<()> {
    use nix::fcntl::OFlag;
    use nix::sys::stat::{Mode, SFlag};
    // Measured before, but the folder may have changed since.
    if depth > COPY_MAX_DEPTH {
        return Err(over_budget());
    }
    use std::os::fd::{AsRawFd, FromRawFd};
    // The descriptor's own folder, whatever its path has become since.
    let at = |fd: &std::os::fd::OwnedFd| PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd()));
    for entry in std::fs::read_dir(at(dir))? {
        let name = entry?.file_name();
        if not_handed_in(&name.to_string_lossy()) {
            continue;
        }
        budget.entries = budget.entries.checked_sub(1).ok_or_else(over_budget)?;
        let fd = nix::fcntl::openat(
            Some(dir.as_raw_fd()),
            name.as_os_str(),
            OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::empty(),
        )?;
        // SAFETY: just opened, owned by nobody else.
        let fd = unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) };
        let stat = nix::sys::stat::fstat(fd.as_raw_fd())?;
        let kind = SFlag::from_bits_truncate(stat.st_mode) & SFlag::S_IFMT;
        let target = to.join(&name);
        if kind == SFlag::S_IFDIR {
            std::fs::create_dir(&target)?;
            copy_below(&fd, &target, user, budget, depth + 1)?;
        } else if kind == SFlag::S_IFREG {
            use std::os::unix::fs::OpenOptionsExt;
            let mut source = std::fs::File::open(at(&fd))?;
            let mut copy = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&target)?;
            // Its mode exactly (fchmod: no umask), which the class cache
            // compares whole (hostile round 35: a `chmod 000` undone for
            // the snapshot's moment kept a pass; only the execute bit was
            // compared, the rest passing through the umask).
            {
                use std::os::unix::fs::PermissionsExt;
                copy.set_permissions(std::fs::Permissions::from_mode(stat.st_mode & 0o777))?;
            }
            // One byte over the budget tells a file that grew past it.
            let copied = io::copy(
                &mut io::Read::take(&mut source, budget.bytes + 1),
                &mut copy,
            )?;
            budget.bytes = budget.bytes.checked_sub(copied).ok_or_else(over_budget)?;
        } else if kind == SFlag::S_IFLNK {
            // The link itself (an empty path names the O_PATH descriptor).
            let link = nix::fcntl::readlinkat(Some(fd.as_raw_fd()), "")?;
            std::os::unix::fs::symlink(link, &target)?;
        } else {
            continue; // sockets, fifos, devices: not part of a submission
        }
        if let Some((uid, gid)) = user {
            std::os::unix::fs::lchown(&target, Some(uid), Some(gid))?;
        }
    }
    Ok(())
}

/// Elsewhere there is no private copy (it needs root on Linux): a plain
/// copy, for completeness.
#[cfg(not(target_os = "linux"))]
fn copy_tree(from: &Path, to: &Path, _user: Option<(u32, u32)>) -> io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        if not_handed_in(&entry.file_name().to_string_lossy()) {
            continue;
        }
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            std::fs::create_dir(&target)?;
            copy_tree(&entry.path(), &target, _user)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Did a program run into a sandbox limit? Judged from its exit status
/// (SIGXCPU, SIGXFSZ), the cgroup counters and its stderr (MemoryError, a
/// failed fork). Says which limit and the figure: `used more than 512 MiB
/// of memory`. `None` when nothing points at a limit. The stderr clues are
/// only evidence next to a failure: ask [`limit_proven`] for a program
/// whose check passed.
pub fn limit_hit(
    status: Option<std::process::ExitStatus>,
    usage: Option<&Usage>,
    stderr: &str,
) -> Option<String> {
    if let Some(proven) = limit_proven(status, usage) {
        return Some(proven);
    }
    let policy = policy();
    if !policy.has(Layer::ResourceLimits) && !policy.has(Layer::Cgroup) {
        return None;
    }
    let limits = policy.limits;
    // Only a limit that was in force can explain a clue: RLIMIT_DATA
    // (limits layer) a refused allocation, RLIMIT_NPROC (limits under a uid
    // of its own) a refused fork. Where only the cgroup limits, its own
    // counters (checked above) are the evidence, never the text.
    // (With the cgroup layer, RLIMIT_DATA and RLIMIT_NPROC are lifted: the
    // cgroup bounds both, and its counters are the evidence.)
    let rlimits = policy.has(Layer::ResourceLimits) && !policy.has(Layer::Cgroup);
    let rlimit_memory = rlimits;
    let rlimit_processes = rlimits && policy.has(Layer::UnprivilegedUser);
    #[cfg(target_os = "linux")]
    let alone = rlimits_alone(&limits);
    #[cfg(not(target_os = "linux"))]
    let alone = limits;
    if rlimit_memory && out_of_memory_clue(stderr) {
        return Some(format!(
            "used more than {} MiB of memory (its threads' stacks counted)",
            alone.memory_bytes >> 20
        ));
    }
    if rlimit_processes && fork_refused_clue(stderr) {
        // A thread is refused for its stack as well (RLIMIT_DATA counts
        // what it reserves), and the runtimes say the same words for
        // both: either limit, said with both figures (hostile round 63:
        // 222 threads told as more than 520).
        let thread = stderr.lines().any(|line| {
            line.contains("can't start new thread") || line.contains("failed to spawn thread")
        });
        if thread {
            return Some(format!(
                "could not start another thread: past {} processes and threads (with the check's other programs), or past {} MiB of memory, 8 MiB of stack reserved for each thread",
                alone.processes,
                alone.memory_bytes >> 20
            ));
        }
        return Some(format!(
            "started more than {} processes or threads (with the check's other programs)",
            alone.processes
        ));
    }
    // Python ignores SIGXFSZ: the write fails with EFBIG instead.
    if stderr.contains("File too large") {
        return Some(format!(
            "wrote a file larger than {} MiB",
            limits.file_bytes >> 20
        ));
    }
    if stderr.contains("Too many open files") {
        return Some(format!("opened more than {} files", limits.open_files));
    }
    None
}

/// A runtime's own words for a refused allocation, anchored: Python's
/// `MemoryError`, C++'s `std::bad_alloc`, Rust's `memory allocation of N
/// bytes failed`, the JVM's report and exception. Not a bare "out of
/// memory" a program may print itself.
fn out_of_memory_clue(stderr: &str) -> bool {
    stderr.lines().map(str::trim).any(|line| {
        line == "MemoryError"
            || line.starts_with("MemoryError:")
            || line.contains("std::bad_alloc")
            // HotSpot: its warning on stderr (the `# There is insufficient
            // memory` report after it goes to stdout).
            || (line.contains("VM warning: INFO: os::commit_memory(")
                && line.ends_with("(errno=12)"))
            || (line.starts_with("Exception in thread ")
                && line.contains(" java.lang.OutOfMemoryError"))
            || line
                .split_once("memory allocation of ")
                .and_then(|(_, rest)| rest.split_once(" bytes failed"))
                .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// A runtime's own words for a refused fork or thread, anchored: a shell's
/// `fork: Resource temporarily unavailable` (also `fork: retry: ...`),
/// Python's `can't start new thread`, Rust's `failed to spawn thread`.
/// Not any EAGAIN: a non-blocking socket read in a thread says
/// `BlockingIOError: [Errno 11] Resource temporarily unavailable`.
fn fork_refused_clue(stderr: &str) -> bool {
    stderr.lines().any(|line| {
        line.contains("fork: Resource temporarily unavailable")
            || line.contains("fork: retry: Resource temporarily unavailable")
            || line.contains("can't start new thread")
            || line.contains("failed to spawn thread")
    })
}

/// The limits a program ran into beyond doubt, whatever its check saw: it
/// was killed by SIGXCPU or SIGXFSZ, the memory limit OOM-killed a process
/// of its tree, or the pids controller refused a fork. Never the memory
/// failcnt (page cache touches the limit harmlessly) nor anything it
/// printed: a correct program is never blamed.
pub fn limit_proven(
    status: Option<std::process::ExitStatus>,
    usage: Option<&Usage>,
) -> Option<String> {
    let policy = policy();
    if !policy.has(Layer::ResourceLimits) && !policy.has(Layer::Cgroup) {
        return None;
    }
    let limits = policy.limits;
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        match status.and_then(|s| s.signal()) {
            Some(nix::libc::SIGXCPU) => {
                return Some(format!(
                    "used more than {} s of CPU (its limit)",
                    limits.cpu_secs
                ))
            }
            Some(nix::libc::SIGXFSZ) => {
                return Some(format!(
                    "wrote a file larger than {} MiB",
                    limits.file_bytes >> 20
                ))
            }
            _ => {}
        }
    }
    #[cfg(not(unix))]
    let _ = status;
    if usage.is_some_and(|u| u.oom_kills > 0) {
        return Some(format!(
            "used more than {} MiB of memory",
            limits.memory_bytes >> 20
        ));
    }
    if usage.is_some_and(|u| u.pid_limit_hits > 0) {
        return Some(format!(
            "started more than {} processes or threads",
            limits.processes
        ));
    }
    #[cfg(target_os = "linux")]
    if usage.is_some_and(|u| u.files_held.is_some()) {
        return Some(format!(
            "held more than {} files open while the machine's file table was filling (a file stays open while it is mapped into memory, its descriptor closed; the table is every user's)",
            linux::watch::TREE_FILES
        ));
    }
    #[cfg(target_os = "linux")]
    if usage.is_some_and(|u| u.tcp_bytes_held.is_some()) {
        return Some(format!(
            "held more than {} MiB of TCP buffers, or left more than {} connections unaccepted, while the machine's TCP memory was filling (connections never accepted, or never read: their buffers are the machine's, counted in no limit of the program's)",
            linux::watch::tree_tcp_bytes() >> 20,
            linux::watch::TREE_WAITING
        ));
    }
    #[cfg(target_os = "linux")]
    if usage.is_some_and(|u| u.socket_limit_hits > 0) {
        return Some(format!(
            "held more than {} MiB in TCP socket buffers (data sent and never read)",
            linux::cgroup::TCP_BUFFER_BYTES >> 20
        ));
    }
    None
}

/// A busy loop: a program that printed nothing yet used at least
/// [`BUSY_CPU`] of CPU (its whole tree, measured by the cgroup), and at
/// least [`BUSY_SHARE`] of the CPU time a runnable thread gets in
/// `elapsed` on this machine now. Names it with the figures: `used 9.8 s of CPU in 10.0 s
/// without printing anything`. Catches the spin before the CPU limit
/// fires, which on a loaded machine may take longer than the check waits.
/// The caller asks only for a program that printed nothing, of a check
/// that failed.
pub fn busy_loop(usage: Option<&Usage>, elapsed: std::time::Duration) -> Option<String> {
    let cpu = usage?.cpu?;
    let spinning = spinning(cpu, elapsed, fair_share());
    (cpu >= BUSY_CPU && spinning).then(|| {
        format!(
            "used {:.1} s of CPU in {:.1} s without printing anything (a busy loop; the limit is {} s)",
            cpu.as_secs_f64(),
            elapsed.as_secs_f64(),
            policy().limits.cpu_secs
        )
    })
}

/// Was a tree on a CPU for most of the time it could get? A spinner is
/// always runnable, a slow start (a JVM waiting on its disk: 2 s of CPU
/// over 10 s) is not. `fair`: the share of one CPU a runnable thread gets.
fn spinning(cpu: std::time::Duration, elapsed: std::time::Duration, fair: f64) -> bool {
    cpu.as_secs_f64() >= BUSY_SHARE * fair * elapsed.as_secs_f64()
}

/// The share of one CPU a runnable thread gets now: 1 on an idle machine,
/// CPUs / load when more threads are runnable than CPUs. Trap: a plain
/// 80% of the elapsed time missed real spinners on the course's loaded
/// 2-core graders (6.6 s of CPU in 10.3 s, then 4.4 s in 10.2 s).
fn fair_share() -> f64 {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or(0.0);
    (cpus / load.max(cpus)).clamp(0.05, 1.0)
}

/// What the sandbox measured of one process tree.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Peak memory of the tree (cgroup), in bytes.
    pub peak_memory: Option<u64>,
    /// Times the memory limit killed a process of the tree.
    pub oom_kills: u64,
    /// Times a fork or thread failed on the process limit.
    pub pid_limit_hits: u64,
    /// Whether the tree's TCP socket buffers reached their limit (cgroup
    /// v1: 1 or 0 per folder).
    pub socket_limit_hits: u64,
    /// CPU time of the program's tree so far (cgroup cpuacct), exited
    /// members included; not netlab's own waiter and init.
    pub cpu: Option<std::time::Duration>,
    /// The files the tree held open (counted up to just past the bound)
    /// when netlab killed it for filling the machine's file table (see
    /// `linux/watch.rs`).
    pub files_held: Option<u64>,
    /// The bytes queued in the tree's network namespace when netlab killed
    /// it for filling the machine's TCP memory (see `linux/watch.rs`).
    pub tcp_bytes_held: Option<u64>,
}

/// CPU time of every process tree this process ran and finished, as the
/// kernel counted it (cgroup cpuacct, root on Linux).
///
/// Trap: getrusage's RUSAGE_CHILDREN cannot tell this. It counts only
/// children that were waited for, and a program killed with its pid
/// namespace is reaped by its namespace's init, which is killed too; so
/// the CPU time of every server stopped at the end of a check is lost
/// (seen: about half of a class's). And it counts netlab's own waiter
/// and init as if they were the programs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuSpent {
    /// The programs (submissions) and everything they started.
    pub programs: std::time::Duration,
    /// netlab's own processes in the trees: the waiter and the init of
    /// each pid namespace (see `linux::split_for_pid_namespace`), and each
    /// launcher's time before it joined its tree (see `linux/launch.rs`).
    pub helpers: std::time::Duration,
    /// Trees measured, of `finished`: the figures are whole only when
    /// both are equal.
    pub measured: u64,
    pub finished: u64,
}

impl CpuSpent {
    /// What was spent since `earlier` (a snapshot of the same process).
    pub fn since(&self, earlier: &CpuSpent) -> CpuSpent {
        CpuSpent {
            programs: self.programs.saturating_sub(earlier.programs),
            helpers: self.helpers.saturating_sub(earlier.helpers),
            measured: self.measured.saturating_sub(earlier.measured),
            finished: self.finished.saturating_sub(earlier.finished),
        }
    }
}

/// See [`CpuSpent`]. Totals of this process so far: take the difference
/// of two snapshots for one run ([`CpuSpent::since`]).
pub fn cpu_spent() -> CpuSpent {
    #[cfg(target_os = "linux")]
    {
        use std::sync::atomic::Ordering::Relaxed;
        let ns =
            |n: &std::sync::atomic::AtomicU64| std::time::Duration::from_nanos(n.load(Relaxed));
        CpuSpent {
            programs: ns(&linux::PROGRAMS_CPU_NS),
            helpers: ns(&linux::HELPERS_CPU_NS),
            measured: linux::TREES_MEASURED.load(Relaxed),
            finished: linux::TREES_FINISHED.load(Relaxed),
        }
    }
    #[cfg(not(target_os = "linux"))]
    CpuSpent::default()
}

/// The sandbox of one process tree: set up on a [`Command`] before it
/// starts ([`Confinement::install`]), torn down after it ends
/// ([`Confinement::finish`]). Build one with [`Jail::command`], or
/// [`Confinement::default`] plus the process-wide policy only.
#[derive(Debug, Default)]
pub struct Confinement {
    /// Read only by the Linux layers (the uid switch before exec).
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    user: Option<(u32, u32)>,
    /// Folders the programs must write for real, besides their working
    /// folder (which is, unless `working_folder` says otherwise).
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    keep: Vec<PathBuf>,
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    working_folder: WorkingFolder,
    /// A folder used in place: its device and inode when its jail was
    /// made (see [`Jail::pin`]), which the working folder the program
    /// starts in must still be.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    cwd_pin: Option<(u64, u64)>,
    /// Who chose the command: a submission's is held to the filesystem
    /// allowlist.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    origin: CommandOrigin,
    /// Asked for a tripwire ([`Confinement::want_tripwire`]).
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    tripwire: bool,
    #[cfg(target_os = "linux")]
    linux: Option<linux::Installed>,
}

/// A send a program's [`Tripwire`] caught. What it carries is never read
/// from the program's memory (see `linux/hold.rs`): it is seen on the
/// wire once let go.
#[derive(Debug, Clone)]
pub struct Caught {
    /// The system call (`write`, `sendto`, `sendmsg`, ...).
    pub call: &'static str,
}

/// A trap on one program tree's sends: armed with a socket (its inode),
/// it stops every send on that socket before a byte leaves, and holds
/// each sending thread there until the check lets the sends go, one by
/// one, or kills the tree. It lets a check
/// tell the order of a program's own calls (was the message in the log
/// before the ACK went?), which no timing from outside can. Linux with
/// the launcher only (`linux/hold.rs`); [`Confinement::tripwire`] is
/// `None` elsewhere.
#[cfg(target_os = "linux")]
pub use linux::hold::Supervisor as Tripwire;

/// Can a program start with a [`Tripwire`] here (the policy's launcher,
/// a kernel with seccomp notifications and `pidfd_getfd`)? Where not,
/// [`Confinement::tripwire`] is `None` and a check does without.
/// A handover that failed at a program's start turns it off for the rest
/// of the run: the caller may start that program again without one.
pub fn tripwire_possible() -> bool {
    #[cfg(target_os = "linux")]
    return linux::hold::available();
    #[cfg(not(target_os = "linux"))]
    false
}

/// No tripwire off Linux: never made.
#[cfg(not(target_os = "linux"))]
#[derive(Debug)]
pub enum Tripwire {}

#[cfg(not(target_os = "linux"))]
impl Tripwire {
    pub fn arm(&self, _socket: u64) {
        match *self {}
    }
    pub fn wait(&self, _limit: std::time::Duration) -> Option<Caught> {
        match *self {}
    }
    pub fn disarm(&self) {
        match *self {}
    }
    pub fn release(&self) {
        match *self {}
    }
}

impl Confinement {
    /// Puts `cmd` in the sandbox: returns the command to spawn, which
    /// starts in a session of its own (see `process::own_process_group`).
    /// On Linux that is a launcher (a fresh copy of this executable that
    /// applies the sandbox and execs the program, see `linux/launch.rs`),
    /// or where none can work, `cmd` with pre_exec hooks; elsewhere `cmd`
    /// with the resource limits in a pre_exec hook. Spawn it through
    /// [`Confinement::spawn_failed`] and [`Confinement::started`]. Trap:
    /// the launcher copies `cmd`'s environment changes (`get_envs`), which
    /// cannot tell an `env_clear()`: do not use one.
    pub fn install(&mut self, cmd: Command) -> io::Result<Command> {
        #[cfg(target_os = "linux")]
        {
            let tripwire = if self.tripwire && linux::hold::available() {
                linux::launch::Tripwire::Wanted
            } else {
                linux::launch::Tripwire::None
            };
            let (launcher, installed) = linux::install(
                cmd,
                policy(),
                self.user,
                &self.keep,
                self.origin,
                (self.working_folder, self.cwd_pin),
                tripwire,
            )?;
            self.linux = Some(installed);
            Ok(launcher)
        }
        #[cfg(not(target_os = "linux"))]
        {
            let mut cmd = cmd;
            crate::process::own_process_group(&mut cmd);
            self.install_limits(&mut cmd);
            Ok(cmd)
        }
    }

    /// The error to report when spawning what [`Confinement::install`]
    /// returned failed: a launcher that could not start is netlab's
    /// failure, not a program not found.
    pub fn spawn_failed(&self, error: io::Error) -> io::Error {
        #[cfg(target_os = "linux")]
        if let Some(installed) = &self.linux {
            return installed.spawn_failed(error);
        }
        error
    }

    /// After the command [`Confinement::install`] returned was spawned as
    /// `child`: waits until the program itself was started (Linux: the
    /// launcher's exec). An error means it was not; the launcher was
    /// killed and reaped.
    pub fn started(&mut self, child: &mut std::process::Child) -> io::Result<()> {
        #[cfg(target_os = "linux")]
        if let Some(installed) = self.linux.as_mut() {
            return installed.started(child);
        }
        let _ = child;
        Ok(())
    }

    #[cfg(not(target_os = "linux"))]
    fn install_limits(&self, cmd: &mut Command) {
        #[cfg(unix)]
        if policy().has(Layer::ResourceLimits) {
            let limits = policy().limits;
            use std::os::unix::process::CommandExt;
            // SAFETY: setrlimit is async-signal-safe and touches no memory.
            unsafe {
                cmd.pre_exec(move || {
                    set_limits(&limits);
                    Ok(())
                });
            }
        }
        #[cfg(not(unix))]
        let _ = cmd;
    }

    /// What was measured so far (cgroup counters), if anything.
    pub fn usage(&self) -> Usage {
        #[cfg(target_os = "linux")]
        if let Some(installed) = &self.linux {
            return installed.usage();
        }
        Usage::default()
    }

    /// Asks that the program start with a [`Tripwire`], where one can
    /// work (before [`Confinement::install`]). It costs the program a round
    /// trip through the grader at each of its sends: for the checks that
    /// need one only.
    pub fn want_tripwire(&mut self) {
        self.tripwire = true;
    }

    /// The program's [`Tripwire`], if it has one (asked for, and possible
    /// here).
    pub fn tripwire(&self) -> Option<&Tripwire> {
        #[cfg(target_os = "linux")]
        if let Some(installed) = &self.linux {
            return installed.tripwire();
        }
        None
    }

    /// Is every process of the tree gone once its leader has exited (a
    /// pid namespace of its own)? Elsewhere a member may outlive it.
    pub fn ends_with_leader(&self) -> bool {
        #[cfg(target_os = "linux")]
        if let Some(installed) = &self.linux {
            return installed.ends_with_leader();
        }
        false
    }

    /// After the tree's leader was killed and reaped: kills and reaps
    /// whatever of the tree is left (cgroup members, tagged orphans).
    pub fn finish(&mut self) {
        #[cfg(target_os = "linux")]
        if let Some(installed) = self.linux.as_mut() {
            installed.finish();
        }
    }
}

#[cfg(all(unix, not(target_os = "linux")))]
fn set_limits(limits: &Limits) {
    use nix::libc;
    let pairs = [
        (libc::RLIMIT_DATA, limits.memory_bytes),
        (libc::RLIMIT_CPU, limits.cpu_secs),
        (libc::RLIMIT_FSIZE, limits.file_bytes),
        (libc::RLIMIT_NOFILE, limits.open_files),
        (libc::RLIMIT_CORE, 0),
    ];
    for (resource, value) in pairs {
        let grace = if resource == libc::RLIMIT_CPU {
            CPU_GRACE_SECS
        } else {
            0
        };
        let lim = libc::rlimit {
            rlim_cur: value as libc::rlim_t,
            rlim_max: (value + grace) as libc::rlim_t,
        };
        // SAFETY: plain syscall on a stack value.
        unsafe { libc::setrlimit(resource, &lim) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chain of folders deeper than the descriptor limit (and far deeper
    /// than std's removal, which holds one per level, can go), built the
    /// way a program can: by renames at the top, each step shallow. Links
    /// in it are removed, never followed.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_tree_of_any_depth_is_removed_and_links_are_not_followed() {
        let base = tempfile::tempdir().unwrap();
        let outside = base.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("keep"), "x").unwrap();
        let tree = base.path().join("tree");
        std::fs::create_dir(&tree).unwrap();
        let (chain, next) = (tree.join("d"), tree.join("n"));
        std::fs::create_dir(&chain).unwrap();
        std::fs::write(chain.join("data"), "x").unwrap();
        std::os::unix::fs::symlink(&outside, chain.join("link")).unwrap();
        for _ in 0..3_000 {
            std::fs::create_dir(&next).unwrap();
            std::fs::rename(&chain, next.join("d")).unwrap();
            std::fs::rename(&next, &chain).unwrap();
        }
        remove_tree(&tree).unwrap();
        assert!(!tree.exists());
        assert!(outside.join("keep").exists(), "a link was followed");
        // Gone already: nothing to do.
        remove_tree(&tree).unwrap();
    }

    /// Hostile round 35: a folder swapped for a link (to a root-only
    /// folder, a classmate's) once grading began is neither copied nor run
    /// in through it: the copy, the snapshot and a jail refuse it, and say
    /// so; a file's mode is copied exactly, whatever the umask (a `chmod
    /// 000` undone for the copy's moment was not compared).
    #[cfg(target_os = "linux")]
    #[test]
    fn a_folder_swapped_for_a_link_is_not_copied_through_it() {
        use std::os::unix::fs::PermissionsExt;
        let base = tempfile::tempdir().unwrap();
        let base = base.path().canonicalize().unwrap();
        let (sub, secret) = (base.join("sub"), base.join("secret"));
        std::fs::create_dir(&sub).unwrap();
        std::fs::create_dir(&secret).unwrap();
        std::fs::write(sub.join("server.py"), "print()\n").unwrap();
        std::fs::set_permissions(
            sub.join("server.py"),
            std::fs::Permissions::from_mode(0o666),
        )
        .unwrap();
        std::fs::write(secret.join("secret.txt"), "secret\n").unwrap();
        // Pinned as it is: copied, its mode exact (0o666 survives a 022
        // umask now).
        let to = tempfile::tempdir().unwrap();
        copy_tree(&sub, to.path(), None).unwrap();
        let mode = std::fs::metadata(to.path().join("server.py"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o666);
        let pin = pin_of(&sub).unwrap();
        assert!(pin.is_some());
        assert_eq!(still_there(&sub, pin), None);
        // Swapped for a link to another folder: refused, by name.
        std::fs::rename(&sub, base.join("was")).unwrap();
        std::os::unix::fs::symlink(&secret, &sub).unwrap();
        let to = tempfile::tempdir().unwrap();
        let refused = copy_tree(&sub, to.path(), None).unwrap_err();
        assert!(is_folder_moved(&refused), "{refused}");
        assert!(!to.path().join("secret.txt").exists());
        assert!(still_there(&sub, pin).is_some());
        // Gone (a student flipping between a link and nothing, hostile
        // round 37): refused too, and no jail made then runs in place.
        std::fs::remove_file(&sub).unwrap();
        assert!(still_there(&sub, pin).is_some_and(|why| why.contains("moved or removed")));
        let gone = Jail::new(&sub);
        assert!(gone.moved().is_some(), "{gone:?}");
        // Another folder in its place (its own content, but not the one
        // pinned): refused.
        std::fs::create_dir(&sub).unwrap();
        assert!(still_there(&sub, pin).is_some_and(|why| why.contains("took its place")));
        std::fs::remove_dir(&sub).unwrap();
        std::os::unix::fs::symlink(&secret, &sub).unwrap();
        if policy().has(Layer::PrivateCopy) {
            let refused = snapshot(&sub).err().expect("refused");
            assert!(is_folder_moved(&refused), "{refused}");
            let jail = Jail::new(&sub);
            assert!(jail
                .moved()
                .is_some_and(|why| why.contains("a link stands in its path")));
        }
    }

    /// Hostile round 36: a folder run in place (too many files to copy)
    /// swapped for a link after its jail was made, the path checked but
    /// not yet entered: the launcher finds the folder it entered is not
    /// the one pinned, and the program does not start.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_folder_run_in_place_is_entered_only_as_pinned() {
        use crate::process::{Child, Stream};
        use std::time::Duration;
        if !policy().has(Layer::PrivateTmp) || !policy().has(Layer::PrivateCopy) {
            eprintln!("skipped: no private mounts nor copies here");
            return;
        }
        let base = tempfile::tempdir().unwrap();
        let base = base.path().canonicalize().unwrap();
        let (sub, other) = (base.join("sub"), base.join("other"));
        std::fs::create_dir_all(sub.join("data")).unwrap();
        for i in 0..=COPY_MAX_ENTRIES {
            std::fs::write(sub.join("data").join(i.to_string()), "").unwrap();
        }
        std::fs::create_dir(&other).unwrap();
        std::fs::write(other.join("secret.txt"), "x").unwrap();
        let jail = Jail::new(&sub);
        assert!(jail.pin.is_some(), "run in place, pinned");
        let argv = ["ls".to_string()];
        // As pinned: it starts, in its own folder.
        let (cmd, confinement) = jail.command(&argv, CommandOrigin::Submission);
        let mut child =
            Child::spawn_confined(cmd, Duration::from_secs(20), false, Some(confinement))
                .expect("starts");
        child.wait_exit(Duration::from_secs(15)).expect("exits");
        assert!(child.text(Stream::Stdout).contains("data"));
        // Swapped for a link to another folder: refused at the start.
        std::fs::rename(&sub, base.join("was")).unwrap();
        std::os::unix::fs::symlink(&other, &sub).unwrap();
        let (cmd, confinement) = jail.command(&argv, CommandOrigin::Submission);
        // Told as the folder's doing (hostile round 38: a `grader-error`
        // once the folder was back), where a launcher says why; a fork of
        // the grader (no launcher) fails its setup.
        match Child::spawn_confined(cmd, Duration::from_secs(20), false, Some(confinement)) {
            Err(e) => assert!(is_folder_moved(&e) || is_failure(&e), "{e}"),
            Ok(mut child) => {
                child.wait_exit(Duration::from_secs(15));
                panic!("started in {:?}", child.text(Stream::Stdout));
            }
        }
    }

    /// The private copy keeps files, modes, folders and symlinks as they
    /// are, follows no symlink (one to a folder stays a symlink), and
    /// leaves out FIFOs and what is not handed in.
    #[cfg(target_os = "linux")]
    #[test]
    fn the_private_copy_follows_no_symlink() {
        use std::os::unix::fs::PermissionsExt;
        let from = tempfile::tempdir().unwrap();
        let to = tempfile::tempdir().unwrap();
        let f = from.path();
        std::fs::create_dir_all(f.join("sub/.git")).unwrap();
        std::fs::write(f.join("run.sh"), "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(f.join("run.sh"), std::fs::Permissions::from_mode(0o751)).unwrap();
        std::fs::write(f.join("sub/server.py"), "print()\n").unwrap();
        std::os::unix::fs::symlink("/etc", f.join("outside")).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", f.join("file-link")).unwrap();
        nix::unistd::mkfifo(&f.join("pipe"), nix::sys::stat::Mode::S_IRWXU).unwrap();
        copy_tree(f, to.path(), None).unwrap();
        let t = to.path();
        let mode = std::fs::metadata(t.join("run.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o751);
        assert_eq!(
            std::fs::read_to_string(t.join("sub/server.py")).unwrap(),
            "print()\n"
        );
        for link in ["outside", "file-link"] {
            let meta = std::fs::symlink_metadata(t.join(link)).unwrap();
            assert!(meta.file_type().is_symlink(), "{link} was followed");
        }
        assert_eq!(
            std::fs::read_link(t.join("outside")).unwrap(),
            Path::new("/etc")
        );
        assert!(!t.join("pipe").exists());
        assert!(!t.join("sub/.git").exists());
    }

    #[test]
    fn the_spec_selects_layers() {
        assert!(Policy::requested("none").is_empty());
        assert_eq!(Policy::requested("full").len(), Layer::ALL.len());
        let some = Policy::requested("limits,pid, net,bogus");
        assert_eq!(
            some,
            [
                Layer::ResourceLimits,
                Layer::PidNamespace,
                Layer::NetworkNamespace
            ]
            .into_iter()
            .collect()
        );
    }

    /// A JVM that sees no cgroup commits a 64th of the machine for its
    /// heap at start, plus some 150 MiB: the limit leaves it that, from
    /// the 26 GiB machines where a flat 512 MiB failed it up to 180 GiB.
    #[test]
    fn the_memory_limit_leaves_a_jvm_its_start_up_heap() {
        const GIB: u64 = 1 << 30;
        for ram in [8, 16, 26, 32, 64, 128, 180] {
            let limit = memory_limit_for(Some(ram * GIB));
            let jvm = ram * GIB / 64 + (150 << 20);
            assert!(limit > jvm, "{ram} GiB: limit {limit}, a JVM needs {jvm}");
            assert!((512 << 20..=3 * GIB).contains(&limit));
        }
        assert_eq!(memory_limit_for(None), 512 << 20);
    }

    #[test]
    fn only_a_runtimes_own_words_are_clues() {
        for text in [
            "Traceback (most recent call last):\n  File \"s.py\", line 3\nMemoryError",
            "MemoryError: cannot allocate 4294967296 bytes",
            "terminate called after throwing an instance of 'std::bad_alloc'\n  what():  std::bad_alloc",
            "memory allocation of 4294967296 bytes failed",
            "OpenJDK 64-Bit Server VM warning: INFO: os::commit_memory(0x00007f2a67400000, 16777216, 0) failed; error='Not enough space' (errno=12)",
            "Exception in thread \"main\" java.lang.OutOfMemoryError: Java heap space",
        ] {
            assert!(out_of_memory_clue(text), "{text}");
        }
        for text in [
            "server: out of memory? no: all fine",
            "Cannot allocate memory for the buffer, retrying",
            "memory allocation of many bytes failed",
            "caught MemoryErrorHandler",
            "[SERVER] Received: java.lang.OutOfMemoryError",
        ] {
            assert!(!out_of_memory_clue(text), "{text}");
        }
        for text in [
            "bash: fork: Resource temporarily unavailable",
            "sh: fork: retry: Resource temporarily unavailable",
            "RuntimeError: can't start new thread",
            "thread 'main' panicked at 'failed to spawn thread: Os { code: 11 }'",
        ] {
            assert!(fork_refused_clue(text), "{text}");
        }
        // EAGAIN of a non-blocking socket in a thread is not a refused fork.
        for text in [
            "Exception in thread Thread-1:\nBlockingIOError: [Errno 11] Resource temporarily unavailable",
            "recv: Resource temporarily unavailable",
        ] {
            assert!(!fork_refused_clue(text), "{text}");
        }
    }

    #[test]
    fn a_slow_start_is_not_a_busy_loop() {
        let ms = std::time::Duration::from_millis;
        let ten = std::time::Duration::from_secs(10);
        // Idle machine: a JVM or cargo start, 2.5 s of CPU over 10 s.
        assert!(!spinning(ms(2_500), ten, 1.0));
        assert!(spinning(ms(8_500), ten, 1.0));
        // 2 CPUs, load 4.6: a spinner got 4.4 s in 10.2 s.
        assert!(spinning(ms(4_400), ms(10_200), 2.0 / 4.6));
        // Load average 1.8 (lagging), other gradings busy: 7.0 s in 10.1 s.
        assert!(spinning(ms(7_000), ms(10_100), 1.0));
        assert!(!spinning(ms(2_500), ten, 2.0 / 4.6));
        let share = fair_share();
        assert!((0.05..=1.0).contains(&share), "{share}");
        // Spinning all along, but not yet for BUSY_CPU.
        let usage = Usage {
            cpu: Some(ms(1_000)),
            ..Usage::default()
        };
        assert_eq!(
            busy_loop(Some(&usage), std::time::Duration::from_secs(1)),
            None
        );
    }

    #[test]
    fn jail_ids_are_distinct_and_in_their_range() {
        let (first, count) = jail_ids();
        assert!(count >= 1 && first.checked_add(count - 1).is_some());
        let a = next_user();
        let b = next_user();
        assert_ne!(a, b);
        assert!(is_jail_id(a.0) && is_jail_id(b.0));
        assert!(!is_jail_id(0));
    }

    #[test]
    fn a_policy_without_layers_says_what_is_missing() {
        let policy = Policy::detect("none");
        assert!(policy.active().is_empty());
        let missing: Vec<Layer> = policy.missing().iter().map(|(l, _)| *l).collect();
        for layer in [
            Layer::PidNamespace,
            Layer::NetworkNamespace,
            Layer::ResourceLimits,
        ] {
            assert!(missing.contains(&layer), "{layer:?} not reported missing");
        }
        assert!(policy.summary().starts_with("sandbox: none"));
        assert!(policy.summary().contains("no network namespace here"));
    }
}

/// The process harness inside the sandbox: statuses, signals and pipes
/// behave as outside it. Layer-specific assertions only where the layer is
/// active (root on Linux; NETLAB_SANDBOX may turn layers off).
#[cfg(all(test, target_os = "linux"))]
mod confined {
    use super::*;
    use crate::process::{describe_status, Child, Signal, Stream};
    use std::time::Duration;

    fn sh(script: &str) -> Command {
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(script);
        cmd
    }

    fn run(script: &str) -> Child {
        Child::spawn_confined(
            sh(script),
            Duration::from_secs(20),
            false,
            Some(Confinement::default()),
        )
        .expect("sh starts")
    }

    #[test]
    fn exit_codes_and_killing_signals_come_through_exactly() {
        for (script, expected) in [
            ("exit 0", "exit 0"),
            ("exit 3", "exit 3"),
            ("kill -KILL $$", "killed by SIGKILL (signal 9)"),
            ("kill -SEGV $$", "killed by SIGSEGV (signal 11)"),
            ("kill -TERM $$", "killed by SIGTERM (signal 15)"),
        ] {
            let mut child = run(script);
            let status = child.wait_exit(Duration::from_secs(10)).expect("exits");
            assert_eq!(describe_status(status), expected, "{script}");
        }
    }

    #[test]
    fn signals_reach_the_program_and_its_handler() {
        let mut child =
            run("trap 'echo got INT; exit 5' INT; echo ready; while :; do sleep 0.05; done");
        assert!(child
            .wait_line(Stream::Stdout, Duration::from_secs(10), |l| l == "ready")
            .is_some());
        child.signal(Signal::Interrupt).unwrap();
        let status = child.wait_exit(Duration::from_secs(10)).expect("exits");
        assert_eq!(describe_status(status), "exit 5");
        assert!(child.lines(Stream::Stdout).contains(&"got INT".to_string()));
        // Without a handler, SIGTERM kills it: it is not a namespace's PID 1.
        let mut child = run("echo ready; while :; do sleep 0.05; done");
        assert!(child
            .wait_line(Stream::Stdout, Duration::from_secs(10), |l| l == "ready")
            .is_some());
        child.signal(Signal::Terminate).unwrap();
        let status = child.wait_exit(Duration::from_secs(10)).expect("exits");
        assert_eq!(describe_status(status), "killed by SIGTERM (signal 15)");
    }

    #[test]
    fn the_program_is_pid_2_under_netlabs_init() {
        if !policy().has(Layer::PidNamespace) {
            eprintln!("skipped: no pid namespace here");
            return;
        }
        let mut child = run("echo $$ $PPID");
        child.wait_exit(Duration::from_secs(10)).expect("exits");
        assert_eq!(child.lines(Stream::Stdout), vec!["2 1"]);
    }

    #[test]
    fn no_descriptor_of_the_grader_is_inherited() {
        use std::os::fd::AsRawFd;
        // A file opened without CLOEXEC (as a shell redirection would be).
        let file = tempfile::tempfile().unwrap();
        let fd = nix::fcntl::fcntl(file.as_raw_fd(), nix::fcntl::FcntlArg::F_DUPFD(50)).unwrap();
        let mut child = run("ls /proc/self/fd");
        child.wait_exit(Duration::from_secs(10)).expect("exits");
        nix::unistd::close(fd).unwrap();
        let fds = child.lines(Stream::Stdout);
        // 0, 1, 2, and the one ls opened to read the folder.
        assert!(fds.len() <= 4, "inherited: {fds:?}");
        assert!(!fds.contains(&"50".to_string()), "inherited: {fds:?}");
    }

    #[test]
    fn limits_apply_and_cgroup_counters_are_read() {
        if !policy().has(Layer::ResourceLimits) {
            eprintln!("skipped: limits turned off");
            return;
        }
        let mut child = run("ulimit -d; ulimit -f; ulimit -n; ulimit -c");
        child.wait_exit(Duration::from_secs(10)).expect("exits");
        let kib = |bytes: u64| (bytes >> 10).to_string();
        let limits = policy().limits;
        // Where the cgroup bounds memory, RLIMIT_DATA is not set (it
        // counts reservations); else it has room for threads' stacks.
        let data = if policy().has(Layer::Cgroup) {
            "unlimited".to_string()
        } else {
            kib(rlimit_data_alone())
        };
        assert_eq!(
            child.lines(Stream::Stdout),
            vec![
                data,
                (limits.file_bytes / 512).to_string(),
                limits.open_files.to_string(),
                "0".to_string()
            ]
        );
        if policy().has(Layer::Cgroup) {
            let usage = child.usage().expect("confined");
            // No peak on cgroup v2 before Linux 5.19 (no memory.peak).
            let v2_without_peak = matches!(
                linux::cgroup::hierarchy(),
                Ok(linux::cgroup::Hierarchy::V2 { root, .. }) if !root.join("netlab/memory.peak").exists()
            );
            assert!(
                usage.peak_memory.is_some_and(|m| m > 0) || v2_without_peak,
                "{usage:?}"
            );
            assert_eq!(usage.oom_kills, 0);
            assert!(usage.cpu.is_some(), "the tree's CPU time: {usage:?}");
            // A correct, quiet run is blamed for nothing.
            assert_eq!(limit_proven(child.try_status(), Some(&usage)), None);
        }
    }

    #[test]
    fn a_killed_program_s_cpu_time_is_still_counted_as_the_program_s() {
        if !policy().has(Layer::Cgroup) {
            eprintln!("skipped: no cgroups (not root)");
            return;
        }
        let before = cpu_spent();
        // Burns CPU, then waits to be killed, as a server at the end of a
        // check: its init dies with it, so rusage would never see it.
        let mut child =
            run("i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; echo spun; sleep 30");
        assert!(child.wait_text(Stream::Stdout, Duration::from_secs(15), "spun"));
        let usage = child.usage().expect("confined");
        let spun = usage.cpu.expect("the program's CPU time");
        assert!(spun >= Duration::from_millis(50), "{usage:?}");
        child.kill();
        drop(child);
        let after = cpu_spent();
        assert!(after.finished > before.finished);
        assert!(after.measured > before.measured);
        // Other tests add their own meanwhile: at least this one's.
        assert!(
            after.programs >= before.programs + spun,
            "{before:?} {after:?}"
        );
    }

    #[test]
    fn a_busy_loop_is_named_with_its_figures() {
        let busy = Usage {
            cpu: Some(Duration::from_millis(9_800)),
            ..Usage::default()
        };
        let named = busy_loop(Some(&busy), Duration::from_secs(10)).expect("named");
        assert!(
            named.starts_with("used 9.8 s of CPU in 10.0 s without printing anything"),
            "{named}"
        );
        let starting = Usage {
            cpu: Some(Duration::from_millis(400)),
            ..Usage::default()
        };
        assert_eq!(busy_loop(Some(&starting), Duration::from_secs(10)), None);
        // Not measured (no cgroup): nothing is claimed.
        assert_eq!(
            busy_loop(Some(&Usage::default()), Duration::from_secs(10)),
            None
        );
        assert_eq!(busy_loop(None, Duration::from_secs(10)), None);
    }

    #[test]
    fn a_refused_fork_is_proven_but_memory_pressure_is_not() {
        if !policy().has(Layer::ResourceLimits) && !policy().has(Layer::Cgroup) {
            eprintln!("skipped: limits turned off");
            return;
        }
        let refused = Usage {
            pid_limit_hits: 1,
            ..Usage::default()
        };
        let named = limit_proven(None, Some(&refused)).expect("named");
        assert_eq!(
            named,
            format!(
                "started more than {} processes or threads",
                policy().limits.processes
            )
        );
        // Peak memory near the limit (page cache) is not a limit hit.
        let full = Usage {
            peak_memory: Some(policy().limits.memory_bytes),
            ..Usage::default()
        };
        assert_eq!(limit_proven(None, Some(&full)), None);
    }

    #[test]
    fn a_file_over_the_size_limit_is_named() {
        if !policy().has(Layer::ResourceLimits) {
            eprintln!("skipped: limits turned off");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        Jail::new(dir.path()).give(dir.path());
        // exec: head itself is the program, killed by SIGXFSZ.
        let mut cmd = sh("exec head -c 70000000 /dev/zero > big");
        cmd.current_dir(dir.path());
        let mut child = Child::spawn_confined(
            cmd,
            Duration::from_secs(20),
            false,
            Some(Confinement::default()),
        )
        .unwrap();
        let status = child.wait_exit(Duration::from_secs(15)).expect("exits");
        assert_eq!(describe_status(status), "killed by SIGXFSZ (signal 25)");
        let stderr = child.text(Stream::Stderr);
        let hit = limit_hit(Some(status), child.usage().as_ref(), &stderr);
        assert_eq!(hit.as_deref(), Some("wrote a file larger than 64 MiB"));
        let size = std::fs::metadata(dir.path().join("big")).unwrap().len();
        assert!(size <= policy().limits.file_bytes, "{size}");
    }

    /// The launcher (see linux/launch.rs) and the fork it replaces where it
    /// cannot work apply the same sandbox: the same limits, the same pid
    /// namespace, the same status.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_launched_program_and_a_forked_one_get_the_same_sandbox() {
        // $$ is the same (2) only in a pid namespace of its own.
        let script = if policy().has(Layer::PidNamespace) {
            "echo pid $$ files $(ulimit -n) uid $(id -u); exit 7"
        } else {
            "echo files $(ulimit -n) uid $(id -u); exit 7"
        };
        let observe = |fork: bool| {
            linux::launch::FORK_INSTEAD.with(|f| f.set(fork));
            if fork {
                assert!(!linux::launch::usable(), "the fork stands in");
            }
            let mut child = run(script);
            let status = child.wait_exit(Duration::from_secs(15)).expect("exits");
            linux::launch::FORK_INSTEAD.with(|f| f.set(false));
            (describe_status(status), child.text(Stream::Stdout))
        };
        let launched = observe(false);
        let forked = observe(true);
        assert_eq!(launched, forked);
        assert_eq!(launched.0, "exit 7");
        if policy().has(Layer::ResourceLimits) {
            assert!(launched.1.contains("files 1024 "), "{launched:?}");
        }
        if policy().has(Layer::PidNamespace) {
            assert!(launched.1.starts_with("pid 2 "), "{launched:?}");
        }
    }

    /// A program's own mount table names no other check's folder (hostile
    /// round 33: a classmate's copy was listed, live); its own is there
    /// (the table is read). Launched or forked: a forked program reads its
    /// own /proc too (the rules, built before the fork, named the grader's
    /// procfs, and the program's was refused whole).
    #[cfg(target_os = "linux")]
    #[test]
    fn a_program_s_mount_table_names_no_other_check_s_folder() {
        if !policy().has(Layer::PrivateTmp) || !policy().has(Layer::UnprivilegedUser) {
            eprintln!("skipped: no private mounts nor jail users here");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("server.py"), "").unwrap();
        let neighbour = Jail::new(dir.path());
        let ours = Jail::new(dir.path());
        let name = |jail: &Jail| {
            jail.dir()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        };
        let argv = ["cat".to_string(), "/proc/self/mountinfo".to_string()];
        for fork in [false, true] {
            linux::launch::FORK_INSTEAD.with(|f| f.set(fork));
            let (cmd, confinement) = ours.command(&argv, CommandOrigin::Submission);
            let started =
                Child::spawn_confined(cmd, Duration::from_secs(20), false, Some(confinement));
            linux::launch::FORK_INSTEAD.with(|f| f.set(false));
            let mut child = started.expect("cat starts");
            let status = child.wait_exit(Duration::from_secs(15)).expect("exits");
            let stderr = child.text(Stream::Stderr);
            assert_eq!(
                describe_status(status),
                "exit 0",
                "forked: {fork}: {stderr}"
            );
            let table = child.text(Stream::Stdout);
            assert!(table.contains(&name(&ours)), "forked: {fork}: {table}");
            assert!(
                !table.contains(&name(&neighbour)),
                "forked: {fork}: {table}"
            );
        }
    }

    /// A program the submission chose reads the system's files but not
    /// netlab's source tree, and its private /tmp starts empty; started by
    /// a launcher or, where none can work, by a fork of the grader (which
    /// builds the rules before it).
    #[cfg(target_os = "linux")]
    #[test]
    fn the_filesystem_allowlist_holds_launched_and_forked() {
        if !policy().has(Layer::Paths) {
            eprintln!("skipped: no filesystem allowlist here");
            return;
        }
        // A build folder left in the host's /tmp: not in the program's.
        let planted = tempfile::Builder::new()
            .prefix("netlab-planted-")
            .tempfile_in("/tmp")
            .unwrap();
        let script = format!(
            "cat /etc/passwd >/dev/null && echo system; cat '{}/Cargo.toml' >/dev/null 2>&1 && echo netlab || echo refused; test -e '{}' && echo planted || echo empty",
            env!("CARGO_MANIFEST_DIR"),
            planted.path().display()
        );
        let private_tmp = policy().has(Layer::PrivateTmp);
        for fork in [false, true] {
            linux::launch::FORK_INSTEAD.with(|f| f.set(fork));
            let confinement = Confinement {
                origin: CommandOrigin::Submission,
                ..Confinement::default()
            };
            let mut child = Child::spawn_confined(
                sh(&script),
                Duration::from_secs(20),
                false,
                Some(confinement),
            )
            .expect("sh starts");
            let status = child.wait_exit(Duration::from_secs(15)).expect("exits");
            linux::launch::FORK_INSTEAD.with(|f| f.set(false));
            assert_eq!(describe_status(status), "exit 0");
            let tmp = if private_tmp { "empty" } else { "planted" };
            assert_eq!(
                child.lines(Stream::Stdout),
                ["system", "refused", tmp],
                "forked: {fork}"
            );
        }
    }

    #[test]
    fn a_missing_program_is_still_not_found() {
        let err = Child::spawn_confined(
            Command::new("/nonexistent/netlab-no-such-program"),
            Duration::from_secs(5),
            false,
            Some(Confinement::default()),
        )
        .expect_err("cannot start");
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn the_network_namespace_has_only_loopback_up() {
        if !policy().has(Layer::NetworkNamespace) {
            eprintln!("skipped: no network namespace here");
            return;
        }
        let (ifaces, bound) = isolated(|| {
            // The check's tables: this thread's own as root, the holder's
            // without root.
            let table = match check_network_pid() {
                Some(pid) => format!("/proc/{pid}/net/dev"),
                None => "/proc/thread-self/net/dev".to_string(),
            };
            let ifaces = std::fs::read_to_string(table).unwrap();
            let bound = tcp_listener("127.0.0.1:0".parse().unwrap()).is_ok();
            (ifaces, bound)
        });
        let names: Vec<&str> = ifaces
            .lines()
            .skip(2)
            .filter_map(|l| l.split(':').next())
            .map(str::trim)
            .collect();
        assert_eq!(names, ["lo"]);
        assert!(bound, "loopback is up");
    }
}
