//! The machine's shared tables, watched: its file table (hostile round
//! 24) and its TCP memory (hostile round 26). A program's own limits do
//! not bound either, and either, full, fails every process on the machine.
//!
//! **Files.** RLIMIT_NOFILE bounds a process's descriptors, not the files
//! it holds open: a file mapped into memory stays open after its
//! descriptor is closed, up to `vm.max_map_count` (65 530) mappings a
//! process, 128 processes a tree. The file table (`fs.file-max`, 2.4
//! million on a 24 GiB machine) is one for the whole machine, and once it
//! is full every process that is not root gets ENFILE: classmates graded
//! beside the program (blamed for it), the machine's services, other
//! users. The memory cgroup counts each such file (about 560 bytes) but
//! lets a tree hold more than a million of them.
//!
//! **TCP memory.** Bytes queued on a connection the program never accepted
//! are charged to no cgroup (a socket joins its cgroup when accepted), only
//! to the machine's TCP pool (`net.ipv4.tcp_mem`), which every network
//! namespace shares: a listener with a long backlog and clients of its own
//! sending to it held 846 MiB while its tree's cgroup showed 7 MiB; at the
//! pool's limit every socket on the machine is held to a page of buffer.
//!
//! So a watchdog thread reads `/proc/sys/fs/file-nr` and
//! `/proc/net/sockstat` five times a second (two small reads; nothing else
//! while the machine is calm). When the machine holds [`ALARM`] more files
//! than when the watch began, or half its table, the files of every tree
//! are counted (their members' descriptors and file mappings, in /proc),
//! and a tree holding more than [`TREE_FILES`] is killed; when the TCP pool
//! holds [`tcp_alarm`] bytes more than at the start, the kernel memory of
//! the TCP sockets in each tree's network namespace is summed (sock_diag's
//! memory figures of every socket, asked from inside the namespace, which
//! the watch holds open from the tree's start: the bytes in the queues
//! undercount, one byte a segment costs some 700 of buffer, hostile round
//! 28) and a tree whose namespace holds more than [`tree_tcp_bytes`], or
//! leaves more than [`TREE_WAITING`] connections unaccepted (a connection
//! reset in the accept queue is listed nowhere, yet keeps what it
//! received: hostile round 29), is killed. Its program hit a limit, which
//! its check names (`Usage::files_held`, `Usage::tcp_bytes_held`). A
//! program needs a few hundred files and a few hundred KiB of queues.
//!
//! Root only, as the cgroups are: the members are found through them, and
//! /proc/<pid>/map_files is root's to read.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use super::cgroup;

/// Files a tree may hold open before it is killed, when the machine's
/// table is filling.
pub(in crate::sandbox) const TREE_FILES: u64 = 65_536;
/// How many more files than at the start of the watch make the watchdog
/// count each tree's.
const ALARM: u64 = 200_000;
/// How often the machine's count is read.
const EVERY: Duration = Duration::from_millis(200);
/// TCP buffers a tree's network namespace may hold before it is killed,
/// when the machine's TCP pool is filling: 128 MiB, or a sixteenth of the
/// pool's hard limit where that is less (a small machine's pool is small:
/// the kernel sizes `net.ipv4.tcp_mem` from its memory; hostile round 28).
pub(in crate::sandbox) fn tree_tcp_bytes() -> u64 {
    let (_, hard) = tcp_limits();
    (128u64 << 20).min(hard / 16)
}

/// Connections a tree may leave waiting in its listeners' accept queues
/// while the machine's TCP pool is filling (a correct server takes each
/// at once; threaded-many sends eight together).
pub(in crate::sandbox) const TREE_WAITING: u64 = 32;

/// How much more than at the start of the watch the machine's TCP pool
/// must hold for the watchdog to sum each tree's: 256 MiB, or a quarter of
/// the pool's pressure threshold where that is less (else, on a small
/// machine, the pool would be under pressure, or full, before the alarm).
fn tcp_alarm() -> u64 {
    let (pressure, _) = tcp_limits();
    (256u64 << 20).min(pressure / 4)
}

/// The TCP pool's pressure threshold and hard limit, in bytes
/// (`net.ipv4.tcp_mem`, in pages), read once; 1.5 and 2.2 GiB where it
/// cannot be read (what a 24 GiB machine has).
fn tcp_limits() -> (u64, u64) {
    static LIMITS: OnceLock<(u64, u64)> = OnceLock::new();
    *LIMITS.get_or_init(|| {
        let read = || -> Option<(u64, u64)> {
            let text = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_mem").ok()?;
            let pages: Vec<u64> = text
                .split_whitespace()
                .filter_map(|w| w.parse().ok())
                .collect();
            let page = page_size();
            Some((pages.get(1)? * page, pages.get(2)? * page))
        };
        read().unwrap_or((1536 << 20, 2253 << 20))
    })
}

/// The machine's page size.
fn page_size() -> u64 {
    // SAFETY: sysconf with a constant.
    let page = unsafe { nix::libc::sysconf(nix::libc::_SC_PAGESIZE) };
    u64::try_from(page).unwrap_or(4096)
}

/// One watched tree: the files, and the TCP memory of its network
/// namespace, it held when the watchdog killed it (0: not killed).
#[derive(Clone)]
struct Watched {
    id: u64,
    tree: cgroup::Tree,
    program: Option<PathBuf>,
    /// The check's network namespace, opened when the tree was made (the
    /// thread that starts it is in it, as root): never looked for through
    /// a member's pid, which a program can make unreadable (a leader
    /// whose main thread has exited, its pid the lowest after a wrap of
    /// the pid counter: hostile round 29 blinded the watch so).
    net: Option<Arc<std::fs::File>>,
    killed_holding: Arc<AtomicU64>,
    killed_queueing: Arc<AtomicU64>,
}

static WATCHED: Mutex<Vec<Watched>> = Mutex::new(Vec::new());

/// A tree's place in the watch, for as long as it lives.
#[derive(Debug)]
pub(in crate::sandbox) struct Watch {
    id: u64,
    killed_holding: Arc<AtomicU64>,
    killed_queueing: Arc<AtomicU64>,
}

impl Watch {
    /// The files the tree held when the watchdog killed it, if it did.
    pub(in crate::sandbox) fn killed_holding(&self) -> Option<u64> {
        Some(self.killed_holding.load(Ordering::Relaxed)).filter(|n| *n > 0)
    }

    /// The TCP memory the tree's network namespace held when the watchdog
    /// killed it, if it did.
    pub(in crate::sandbox) fn killed_queueing(&self) -> Option<u64> {
        Some(self.killed_queueing.load(Ordering::Relaxed)).filter(|n| *n > 0)
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        lock().retain(|w| w.id != self.id);
    }
}

fn lock() -> std::sync::MutexGuard<'static, Vec<Watched>> {
    WATCHED.lock().unwrap_or_else(|e| e.into_inner())
}

/// Watches `tree` (its program's own folder too, where it has one) until
/// the returned [`Watch`] is dropped. The watchdog starts with the first.
pub(in crate::sandbox) fn watch(tree: &cgroup::Tree, program: Option<&Path>) -> Watch {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    static WATCHDOG: OnceLock<()> = OnceLock::new();
    WATCHDOG.get_or_init(|| {
        let files = table().map_or(0, |(open, _)| open);
        let tcp = tcp_pool().unwrap_or(0);
        let _ = std::thread::Builder::new()
            .name("netlab-watch".into())
            .spawn(move || watchdog(files, tcp));
    });
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    let killed_holding = Arc::new(AtomicU64::new(0));
    let killed_queueing = Arc::new(AtomicU64::new(0));
    lock().push(Watched {
        id,
        tree: tree.clone(),
        program: program.map(Path::to_path_buf),
        net: own_network_namespace(),
        killed_holding: Arc::clone(&killed_holding),
        killed_queueing: Arc::clone(&killed_queueing),
    });
    Watch {
        id,
        killed_holding,
        killed_queueing,
    }
}

/// The network namespace of the thread that makes the tree (the check's,
/// as root), unless it is the grader's own: a check whose namespace could
/// not be made runs in the host's, whose every socket is no tree's.
fn own_network_namespace() -> Option<Arc<std::fs::File>> {
    use std::os::unix::fs::MetadataExt;
    let thread = std::fs::File::open("/proc/thread-self/ns/net").ok()?;
    let here = thread.metadata().ok()?;
    let grader = std::fs::metadata("/proc/self/ns/net").ok()?;
    let shared = here.dev() == grader.dev() && here.ino() == grader.ino();
    (!shared).then(|| Arc::new(thread))
}

/// Bytes in the machine's TCP pool (`/proc/net/sockstat`'s `TCP: ... mem
/// N`, in pages: the pool is one for every network namespace).
fn tcp_pool() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/net/sockstat").ok()?;
    let line = text.lines().find(|l| l.starts_with("TCP:"))?;
    let mut words = line.split_whitespace();
    words.find(|w| *w == "mem")?;
    let pages: u64 = words.next()?.parse().ok()?;
    Some(pages * page_size())
}

/// Where the tree's network namespace could not be opened when it was
/// made: the bytes queued on the TCP sockets of the namespace of the first
/// member listed in `procs` (`/proc/<pid>/net/tcp` and `tcp6`), summed up
/// to `enough`; they undercount tiny segments.
fn queued_in_namespace_of(procs: &[PathBuf], enough: u64) -> u64 {
    let Some(pid) = procs.iter().find_map(|list| {
        let text = std::fs::read_to_string(list).ok()?;
        text.lines().find_map(|l| l.trim().parse::<u32>().ok())
    }) else {
        return 0;
    };
    let proc = Path::new("/proc").join(pid.to_string());
    let mut queued = 0u64;
    for table in ["tcp", "tcp6"] {
        let Ok(text) = std::fs::read_to_string(proc.join("net").join(table)) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let Some(queues) = line.split_whitespace().nth(4) else {
                continue;
            };
            let (tx, rx) = queues.split_once(':').unwrap_or(("0", "0"));
            let hex = |q: &str| u64::from_str_radix(q, 16).unwrap_or(0);
            queued = queued.saturating_add(hex(tx)).saturating_add(hex(rx));
            if queued >= enough {
                return queued;
            }
        }
    }
    queued
}

/// [`crate::grade::sockdiag::tcp_memory`] in the network
/// namespace `ns`, from a thread of its own: setns(CLONE_NEWNET) changes
/// the calling thread alone, which then ends. `None` where it cannot join
/// or ask.
fn memory_in_namespace(ns: &Arc<std::fs::File>) -> Option<(u64, u64)> {
    let ns = Arc::clone(ns);
    std::thread::Builder::new()
        .name("netlab-tcp-watch".into())
        .spawn(move || {
            use std::os::fd::AsRawFd;
            // SAFETY: setns on a descriptor this closure holds; it changes
            // this thread's network namespace alone.
            let joined = unsafe { nix::libc::setns(ns.as_raw_fd(), nix::libc::CLONE_NEWNET) };
            (joined == 0).then_some(())?;
            crate::grade::sockdiag::tcp_memory().ok()
        })
        .ok()?
        .join()
        .ok()
        .flatten()
}

/// The machine's open files and the table's size (`fs/file-nr`).
fn table() -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/sys/fs/file-nr").ok()?;
    let mut fields = text.split_whitespace().map(|f| f.parse::<u64>().ok());
    let open = fields.next()??;
    let _free = fields.next()?;
    let max = fields.next()??;
    Some((open, max))
}

fn watchdog(files_at_start: u64, tcp_at_start: u64) {
    loop {
        std::thread::sleep(EVERY);
        // Unreadable now and then is no reason to stop watching.
        let files = table().is_some_and(|(open, max)| {
            open >= files_at_start.saturating_add(ALARM) || open >= max / 2
        });
        let tcp = tcp_pool().is_some_and(|bytes| bytes >= tcp_at_start.saturating_add(tcp_alarm()));
        if !files && !tcp {
            continue;
        }
        // Counted outside the lock: a tree's count may take a while.
        let trees: Vec<Watched> = lock().clone();
        for w in trees {
            let first = w.tree.dirs.first().map(|d| d.join("cgroup.procs"));
            let program = w.program.as_ref().map(|d| d.join("cgroup.procs"));
            let procs: Vec<PathBuf> = first.into_iter().chain(program).collect();
            if files {
                let held = held_by(&procs, TREE_FILES + 1);
                if held > TREE_FILES {
                    w.killed_holding.store(held, Ordering::Relaxed);
                    cgroup::kill_tree(&w.tree, w.program.as_deref());
                    continue;
                }
            }
            if tcp {
                let bound = tree_tcp_bytes();
                // What could not be asked is not taken for nothing: the
                // bytes in the queues, through a member, instead.
                let (queued, waiting) = w
                    .net
                    .as_ref()
                    .and_then(memory_in_namespace)
                    .unwrap_or_else(|| (queued_in_namespace_of(&procs, bound + 1), 0));
                // Connections left waiting in the accept queues hold what
                // they received, listed or not: more than a correct
                // program ever leaves there, while the pool is filling.
                let queued = if waiting > TREE_WAITING {
                    queued.max(bound + 1)
                } else {
                    queued
                };
                if queued > bound {
                    w.killed_queueing.store(queued, Ordering::Relaxed);
                    cgroup::kill_tree(&w.tree, w.program.as_deref());
                }
            }
        }
    }
}

/// The files the members listed in `procs` hold open (descriptors and
/// file mappings), counted up to `enough`. Each member once (v1 lists the
/// program in its tree's folder and in its own: counted twice, a tree was
/// killed at half the bound, hostile round 25), and each descriptor table
/// once: a thread may have one of its own (`unshare(CLONE_FILES)`, or a
/// clone without CLONE_FILES), which `/proc/<pid>/fd` does not show.
fn held_by(procs: &[PathBuf], enough: u64) -> u64 {
    let mut pids = std::collections::BTreeSet::new();
    for list in procs {
        if let Ok(text) = std::fs::read_to_string(list) {
            pids.extend(text.lines().filter_map(|l| l.trim().parse::<u32>().ok()));
        }
    }
    let mut held = 0;
    for pid in pids {
        let proc = Path::new("/proc").join(pid.to_string());
        let mut tables = vec![proc.join("fd"), proc.join("map_files")];
        if let Ok(tasks) = std::fs::read_dir(proc.join("task")) {
            for task in tasks.flatten() {
                let tid = task
                    .file_name()
                    .to_str()
                    .and_then(|t| t.parse::<u32>().ok());
                if tid.is_some_and(|tid| tid != pid && own_table(pid, tid)) {
                    tables.push(task.path().join("fd"));
                }
            }
        }
        for table in tables {
            held += entries(&table, enough - held.min(enough));
            if held >= enough {
                return held;
            }
        }
    }
    held
}

/// Has thread `tid` of process `pid` a descriptor table of its own?
/// kcmp(2) tells (root may compare any two tasks); where it cannot, the
/// thread is taken to share its process's, as threads do.
fn own_table(pid: u32, tid: u32) -> bool {
    const KCMP_FILES: nix::libc::c_long = 2;
    // SAFETY: kcmp with two pids and a type; no pointers.
    let same = unsafe { nix::libc::syscall(nix::libc::SYS_kcmp, pid, tid, KCMP_FILES, 0, 0) };
    same > 0
}

/// Entries in folder `dir`, counted up to `enough`.
fn entries(dir: &Path, enough: u64) -> u64 {
    let Ok(list) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut n = 0;
    for _ in list.flatten() {
        n += 1;
        if n >= enough {
            break;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_queued_in_a_namespace_are_summed() {
        // 200 000 bytes sent to a connection nobody accepts: they wait in
        // its queues, in this process's network namespace.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        client.set_nonblocking(true).unwrap();
        let mut sent = 0;
        while sent < 200_000 {
            match std::io::Write::write(&mut client, &[b'x'; 8192]) {
                Ok(n) => sent += n,
                Err(_) => break,
            }
        }
        std::thread::sleep(Duration::from_millis(100));
        let dir = tempfile::tempdir().unwrap();
        let list = dir.path().join("cgroup.procs");
        std::fs::write(&list, format!("{}\n", std::process::id())).unwrap();
        let queued = queued_in_namespace_of(std::slice::from_ref(&list), u64::MAX);
        assert!(queued >= sent as u64, "{sent} sent, {queued} queued");
        assert!(tcp_pool().is_some(), "/proc/net/sockstat has the TCP pool");
    }

    #[test]
    fn a_namespace_s_socket_memory_and_waiting_connections_are_counted() {
        // This thread's own namespace, through its handle, as the watch
        // holds a tree's: a connection nobody accepts, with bytes on it.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        std::io::Write::write_all(&mut client, &[b'x'; 50_000]).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let net = Arc::new(std::fs::File::open("/proc/thread-self/ns/net").unwrap());
        let Some((held, waiting)) = memory_in_namespace(&net) else {
            // Joining a namespace, even one's own, takes CAP_SYS_ADMIN
            // (not given to root in a default container): nothing to see.
            eprintln!("skipped: this thread may not join a network namespace");
            return;
        };
        assert!(
            (50_000..64 << 20).contains(&held),
            "50 000 bytes sent, {held} held"
        );
        assert!(waiting >= 1, "{waiting} waiting");
    }

    #[test]
    fn the_machine_s_file_table_can_be_read() {
        let (open, max) = table().expect("/proc/sys/fs/file-nr");
        assert!(open > 0 && max > open, "{open} of {max}");
    }

    #[test]
    fn a_process_s_files_are_counted_and_bounded() {
        // This process, through a list of one pid: its descriptors and the
        // files it has mapped (its own executable and libraries: root
        // only, /proc/self/map_files).
        let dir = tempfile::tempdir().unwrap();
        let list = dir.path().join("cgroup.procs");
        std::fs::write(&list, format!("{}\n", std::process::id())).unwrap();
        let held = held_by(std::slice::from_ref(&list), 1_000_000);
        assert!(held >= 3, "stdin, stdout, stderr at least: {held}");
        assert_eq!(
            held_by(std::slice::from_ref(&list), 2),
            2,
            "counted up to the bound"
        );
    }

    #[test]
    fn a_thread_s_own_descriptor_table_is_counted_and_a_member_once() {
        // Listed twice, as v1 lists the program in two folders: once.
        let dir = tempfile::tempdir().unwrap();
        let list = dir.path().join("cgroup.procs");
        let me = std::process::id();
        std::fs::write(&list, format!("{me}\n{me}\n")).unwrap();
        let lists = [list.clone(), list];
        let before = held_by(&lists, 1_000_000);
        // A thread with a table of its own and 500 files in it, which
        // /proc/<pid>/fd does not show. (Other tests open and close files
        // meanwhile: the bounds leave them 100.)
        let (opened, done) = (std::sync::mpsc::channel(), std::sync::mpsc::channel::<()>());
        let thread = std::thread::spawn(move || {
            // SAFETY: unshare with a flag; this thread only.
            assert_eq!(unsafe { nix::libc::unshare(nix::libc::CLONE_FILES) }, 0);
            let files: Vec<std::fs::File> = (0..500)
                .map(|_| std::fs::File::open("/dev/null").unwrap())
                .collect();
            opened.0.send(()).unwrap();
            let _ = done.1.recv();
            drop(files);
        });
        opened.1.recv().unwrap();
        let during = held_by(&lists, 1_000_000);
        done.0.send(()).unwrap();
        thread.join().unwrap();
        assert!(during >= before + 400, "{before} then {during}");
        // (The thread's table began as a copy of the process's.)
        assert!(
            during < 2 * before + 700,
            "counted twice: {before} then {during}"
        );
    }
}
