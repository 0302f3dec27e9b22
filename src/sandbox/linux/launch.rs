//! The launcher: how a confined program starts without forking the grader.
//!
//! Forking the grader (some 90 threads, 400 mappings in a class run) for
//! every program was most of netlab's own CPU: the page-table copy at each
//! of the three forks (std's, then the pid namespace's waiter and init),
//! then a copy-on-write fault for every page the grader wrote while the
//! waiter and init, alive as long as the program, still shared it (perf,
//! 40 submissions: about 58% of the grader's and its helpers' CPU).
//!
//! So the grader starts a fresh copy of its own executable instead:
//! `/proc/self/exe` with argv[0] `netlab-sandbox`, the plan in its other
//! arguments, and no pre_exec hook, so std starts it with posix_spawn (a
//! vfork: nothing copied; std still forks with a glibc older than 2.29).
//! A function in `.init_array` ([`LAUNCHER`], in every binary that links
//! this library: netlab, the test binaries, a lab's test binary) takes
//! over before `main`. It makes the program's session, applies the plan
//! (`Plan::run`: namespaces, the waiter and init forked from this small
//! process, mounts, limits, uid) and execs the program.
//!
//! Where it cannot work, [`usable`] says so and the grader forks as it
//! used to (`linux::install`; tested in `sandbox::confined`): a grader
//! that is not dumpable (a setuid install, `PR_SET_DUMPABLE` 0: no other
//! process of its uid may open its /proc entries), no /proc, or a C
//! library that does not pass `.init_array` functions main's arguments
//! (musl).
//!
//! The grader learns how that went on a status pipe, as std does for its
//! own exec. Trap: the pipe cannot be inherited (a non-CLOEXEC fd would
//! leak into programs other threads start meanwhile), so the launcher
//! opens the grader's write end through `/proc/<grader>/fd/<n>` and says
//! `o` (with the CPU time it used so far, 8 bytes: see `launch`); only
//! then may the grader close its own copy. After that the pipe ends at
//! the exec (CLOEXEC) or carries an error record: `S` (the sandbox's
//! setup failed: netlab's fault) or `X` (the exec failed: the program's),
//! then the errno, 4 bytes.

// Without glibc's arguments to `.init_array` functions there is no
// launcher (see `usable`): what only it runs is unused.
#![cfg_attr(not(target_env = "gnu"), allow(dead_code))]

use std::ffi::{CStr, CString, OsStr, OsString};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};

use nix::libc;

use super::reach::Reach;
use super::{CwdLayer, Hide, NsFds, Plan, PrivateTmp, Tree, TreeStart, UserMaps, SHARED_TREES};
use crate::sandbox::Limits;

/// argv[0] of a launcher: how [`entry`] tells one from any other start.
const NAME: &str = "netlab-sandbox";
/// Ends the plan; the program's argv follows.
const END: &str = "--";
/// Names the tripwire's answer pipe among the launcher's arguments.
const HOLD: &str = "hold=";
/// The exit status of a launcher that could not start its program.
const SETUP_FAILED: libc::c_int = 125;
/// How long the grader waits for a launcher to exec its program: far
/// above the few milliseconds it takes, for a machine under load.
const LAUNCH_LIMIT: Duration = Duration::from_secs(30);

/// Whether programs can start through a launcher here (see the module
/// header for when they cannot).
pub(in crate::sandbox) fn usable() -> bool {
    #[cfg(test)]
    if FORK_INSTEAD.with(|f| f.get()) {
        return false;
    }
    static PROC: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    // SAFETY: prctl with an integer request and no pointer.
    let dumpable = unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) } == 1;
    // Trap: /proc must be our own pid namespace's (not the case after
    // `unshare -pf` without a new /proc): `/proc/<our pid>/fd/<n>` must
    // name our descriptors, not a stranger's.
    let own_proc = || {
        std::fs::read_link("/proc/self")
            .is_ok_and(|p| p.as_os_str() == std::process::id().to_string().as_str())
            && std::path::Path::new("/proc/self/exe").exists()
    };
    cfg!(target_env = "gnu") && dumpable && *PROC.get_or_init(own_proc)
}

#[cfg(test)]
thread_local! {
    /// Tests of the old way (a fork of the grader), on this thread only.
    pub(in crate::sandbox) static FORK_INSTEAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The launcher's end of its status pipe, for a failure after the split
/// into waiter, init and program (`report_setup_failure`).
static STATUS: AtomicI32 = AtomicI32::new(-1);

/// Set once the tripwire's filter is in force: every `write` would then
/// wait for the grader's answer, which it cannot give while it waits for
/// this launcher's word. Its records go through `vmsplice` instead
/// (pipes only, so never a send the filter asks about).
static HELD: AtomicBool = AtomicBool::new(false);

/// Runs before `main` in every process of a binary linking netlab: glibc
/// passes `.init_array` functions main's argc and argv.
#[cfg(target_env = "gnu")]
#[used]
#[link_section = ".init_array"]
static LAUNCHER: extern "C" fn(
    libc::c_int,
    *const *const libc::c_char,
    *const *const libc::c_char,
) = entry;

#[cfg(target_env = "gnu")]
extern "C" fn entry(
    argc: libc::c_int,
    argv: *const *const libc::c_char,
    _envp: *const *const libc::c_char,
) {
    if argc < 1 || argv.is_null() {
        return;
    }
    // SAFETY: argv holds argc valid C strings (the kernel's, via glibc).
    let first = unsafe { CStr::from_ptr(*argv) };
    if first.to_bytes() != NAME.as_bytes() {
        return; // an ordinary start: one comparison, nothing more
    }
    let args: Vec<&[u8]> = (1..argc as usize)
        // SAFETY: as above.
        .map(|i| unsafe { CStr::from_ptr(*argv.add(i)) }.to_bytes())
        .collect();
    let request = Request::parse(&args);
    drop(args);
    // The plan, parsed, is wiped from the arguments: they are what
    // `/proc/<pid>/cmdline` shows, and the init (PID 1 in the program's
    // namespace, forked from here) keeps them: a program read the class
    // and results folders' paths there (hostile round 30).
    for i in 1..argc as usize {
        // SAFETY: each argument is a C string of the kernel's, writable,
        // no longer borrowed (the slices above are dropped).
        unsafe {
            let arg = (*argv.add(i)).cast_mut();
            libc::memset(arg.cast(), 0, libc::strlen(arg));
        }
    }
    // SAFETY: single-threaded, before std's runtime: only libc calls.
    unsafe { launch(request) }
}

/// What one launcher does, from its parsed arguments. Never returns.
unsafe fn launch(request: io::Result<Request>) -> ! {
    // The program's session, as `process::own_process_group` gives an
    // unconfined one (see there for why each step): no controlling
    // terminal, the default dispositions, killed with the grader's thread.
    libc::setsid();
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGQUIT, libc::SIGHUP] {
        libc::signal(sig, libc::SIG_DFL);
    }
    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
    let request = match request {
        Ok(request) => request,
        Err(e) => {
            let line = format!("netlab-sandbox: {e}\n");
            libc::write(2, line.as_ptr().cast(), line.len());
            libc::_exit(SETUP_FAILED);
        }
    };
    // The grader's thread died before the prctl: nobody is waiting.
    if libc::getppid() != request.plan.parent {
        libc::_exit(137);
    }
    let status = libc::open(request.status.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
    if status < 0 {
        libc::_exit(SETUP_FAILED);
    }
    STATUS.store(status, Ordering::Relaxed);
    // `o`, and the CPU this launcher used so far (the exec, the loader,
    // the parse): it joins the tree's cgroup only now, so the cgroup
    // alone would not count it as netlab's.
    let mut spent: libc::timespec = std::mem::zeroed();
    libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut spent);
    let ns = spent.tv_sec as u64 * 1_000_000_000 + spent.tv_nsec as u64;
    let mut opened = [0u8; 9];
    opened[0] = b'o';
    opened[1..].copy_from_slice(&ns.to_le_bytes());
    libc::write(status, opened.as_ptr().cast(), opened.len());
    // The tripwire's answer pipe, opened while the grader's /proc is ours
    // to see (the program's own /proc comes with the mounts).
    let go = match &request.hold {
        Some(path) => {
            let go = libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
            if go < 0 {
                report(status, b'S', &io::Error::last_os_error());
                libc::_exit(SETUP_FAILED);
            }
            Some(go)
        }
        None => None,
    };
    if let Err(e) = request.plan.run() {
        report(status, b'S', &e);
        libc::_exit(SETUP_FAILED);
    }
    match go {
        Some(go) => hand_over_listener(status, go),
        // As many filters as a program with a tripwire (see filter::TWIN).
        None if request.plan.filter => {
            if let Err(e) = super::filter::install_twin() {
                report(status, b'S', &e);
                libc::_exit(SETUP_FAILED);
            }
        }
        None => {}
    }
    let mut argv: Vec<*const libc::c_char> = request.argv.iter().map(|a| a.as_ptr()).collect();
    argv.push(std::ptr::null());
    // The environment is already the program's: std built it for us.
    libc::execvp(request.argv[0].as_ptr(), argv.as_ptr());
    report(status, b'X', &io::Error::last_os_error());
    libc::_exit(127)
}

/// In the program's process, its sandbox in force: puts the tripwire's
/// filter on (see `hold.rs`), says `H` and the listener's number, and
/// waits until the grader has taken it (`pidfd_getfd`) and writes a byte
/// on `go`. The listener is closed before the exec. Raw syscalls only.
unsafe fn hand_over_listener(status: libc::c_int, go: libc::c_int) {
    let listener = match super::filter::install_hold() {
        Ok(fd) => fd,
        Err(e) => {
            report(status, b'S', &e);
            libc::_exit(SETUP_FAILED);
        }
    };
    HELD.store(true, Ordering::Relaxed);
    let mut record = [0u8; 5];
    record[0] = b'H';
    record[1..].copy_from_slice(&listener.to_le_bytes());
    say(status, &record);
    let mut byte = 0u8;
    loop {
        let n = libc::read(go, (&mut byte as *mut u8).cast(), 1);
        if n == 1 {
            break;
        }
        if n < 0 && *libc::__errno_location() == libc::EINTR {
            continue;
        }
        // The grader gave up on us: nobody would answer the program.
        libc::_exit(SETUP_FAILED);
    }
    libc::close(listener);
    libc::close(go);
}

/// Writes a record to the status pipe: `vmsplice` once the tripwire's
/// filter would hold a `write` (see [`HELD`]). Trap: vmsplice lends the
/// pages rather than copying them, and what the pipe shows changes with
/// them until the grader has read it: a record on the stack was written
/// over by the next call's frame (`_exit` after an exec that failed).
/// So each goes in a slot of its own in static memory, never written
/// again: the program's process says at most two (`H`, then `X` or `S`).
unsafe fn say(status: libc::c_int, record: &[u8; 5]) {
    if !HELD.load(Ordering::Relaxed) {
        libc::write(status, record.as_ptr().cast(), record.len());
        return;
    }
    let slot = SAID_COUNT.fetch_add(1, Ordering::Relaxed);
    if slot >= SAID_SLOTS {
        return;
    }
    let kept = SAID.0.get().cast::<[u8; 5]>().add(slot);
    *kept = *record;
    let piece = libc::iovec {
        iov_base: kept.cast(),
        iov_len: record.len(),
    };
    libc::vmsplice(status, &piece, 1, 0);
}

/// The records said with `vmsplice` (see [`say`]).
const SAID_SLOTS: usize = 2;
struct Said(std::cell::UnsafeCell<[[u8; 5]; SAID_SLOTS]>);
// SAFETY: written only by the launcher's program process, single-threaded
// before its exec, each slot once (`SAID_COUNT`).
unsafe impl Sync for Said {}
static SAID: Said = Said(std::cell::UnsafeCell::new([[0; 5]; SAID_SLOTS]));
static SAID_COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// In the init, when the program's fork failed: the setup failed, not
/// the program. Raw syscalls only.
pub(super) unsafe fn report_setup_failure(errno: libc::c_int) {
    let status = STATUS.load(Ordering::Relaxed);
    if status >= 0 {
        report(status, b'S', &io::Error::from_raw_os_error(errno));
    }
}

unsafe fn report(status: libc::c_int, kind: u8, error: &io::Error) {
    let errno = error.raw_os_error().unwrap_or(libc::EINVAL);
    let mut record = [0u8; 5];
    record[0] = kind;
    record[1..].copy_from_slice(&errno.to_le_bytes());
    say(status, &record);
}

/// A launcher's arguments, parsed.
struct Request {
    plan: Plan,
    status: CString,
    /// The tripwire's answer pipe (see [`hand_over_listener`]).
    hold: Option<CString>,
    argv: Vec<CString>,
}

impl Request {
    fn parse(args: &[&[u8]]) -> io::Result<Request> {
        let bad = |what: String| io::Error::new(io::ErrorKind::InvalidInput, what);
        let end = args
            .iter()
            .position(|a| *a == END.as_bytes())
            .ok_or_else(|| bad("no program after the plan".into()))?;
        let (items, program) = (&args[..end], &args[end + 1..]);
        if program.is_empty() {
            return Err(bad("no program after the plan".into()));
        }
        // The tripwire's pipe is the request's, not the plan's (a fork
        // standing in for a launcher has none).
        let hold = items
            .iter()
            .find_map(|a| a.strip_prefix(HOLD.as_bytes()))
            .map(|path| CString::new(path).map_err(io::Error::other))
            .transpose()?;
        let items: Vec<&[u8]> = items
            .iter()
            .copied()
            .filter(|a| !a.starts_with(HOLD.as_bytes()))
            .collect();
        let (plan, status) = Plan::from_args(&items)?;
        let status = status.ok_or_else(|| bad("no status pipe".into()))?;
        let argv = program
            .iter()
            .map(|a| CString::new(*a).map_err(io::Error::other))
            .collect::<io::Result<_>>()?;
        Ok(Request {
            plan,
            status,
            hold,
            argv,
        })
    }
}

/// A launcher started by the grader, until it has exec'd its program.
#[derive(Debug)]
pub(in crate::sandbox) struct Pending {
    read: OwnedFd,
    /// Our copy of the write end, kept until the launcher holds its own.
    write: Option<OwnedFd>,
    /// The program's working folder, named if it is not the one pinned.
    cwd: Option<std::path::PathBuf>,
    /// The tripwire's answer pipe (our end), when one was asked for, and
    /// its read end until the launcher has taken it.
    go: Option<OwnedFd>,
    go_read: Option<OwnedFd>,
    /// The tripwire's listener, once taken from the launcher.
    listener: Option<OwnedFd>,
    /// The program is the namespace's PID 2, not the launcher itself.
    pid_ns: bool,
}

/// Whether a program starts with a tripwire (see `hold.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::sandbox) enum Tripwire {
    None,
    Wanted,
}

/// The launcher command that starts `original` under `plan`.
pub(super) fn command(
    original: &Command,
    plan: &Plan,
    tripwire: Tripwire,
) -> io::Result<(Command, Pending)> {
    let (read, write) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(io::Error::from)?;
    let go = match tripwire {
        Tripwire::Wanted => {
            Some(nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(io::Error::from)?)
        }
        Tripwire::None => None,
    };
    // The link to .init_array's entry: whoever launches keeps it linked.
    #[cfg(target_env = "gnu")]
    std::hint::black_box(&LAUNCHER);
    let me = std::process::id();
    let mut cmd = Command::new("/proc/self/exe");
    cmd.arg0(NAME);
    cmd.args(plan.to_args());
    cmd.arg(format!("status=/proc/{me}/fd/{}", write.as_raw_fd()));
    if let Some((go_read, _)) = &go {
        cmd.arg(format!("{HOLD}/proc/{me}/fd/{}", go_read.as_raw_fd()));
    }
    cmd.arg(END)
        .arg(original.get_program())
        .args(original.get_args());
    for (key, value) in original.get_envs() {
        match value {
            Some(value) => cmd.env(key, value),
            None => cmd.env_remove(key),
        };
    }
    if let Some(dir) = original.get_current_dir() {
        cmd.current_dir(dir);
    }
    // Our copy of the read end is closed once the launcher has opened
    // its own (as the status pipe's write end: see `read_outcome`).
    let (go_read, go) = go.map_or((None, None), |(r, w)| (Some(r), Some(w)));
    let pending = Pending {
        read,
        write: Some(write),
        cwd: original.get_current_dir().map(std::path::Path::to_path_buf),
        go,
        listener: None,
        pid_ns: plan.pid_ns,
        go_read,
    };
    Ok((cmd, pending))
}

impl Pending {
    /// Waits until the launcher `child` has exec'd its program: `Ok` with
    /// the CPU time (ns) it used before it joined its tree's cgroup, or
    /// why not, the launcher then killed and reaped (before the pipe is
    /// closed: its fd number must not name another launch's pipe while a
    /// launcher may still open it). `S` comes back as the sandbox's own
    /// failure (no errno, so never taken for the program's), `X` as the
    /// exec's errno (a program not found, ETXTBSY).
    /// With a tripwire, the listener comes back too (see `hold.rs`).
    pub(in crate::sandbox) fn wait(
        mut self,
        child: &mut std::process::Child,
    ) -> io::Result<(u64, Option<OwnedFd>)> {
        let result = self.read_outcome(child);
        if result.is_err() {
            abandon(child);
        }
        result.map(|spent| (spent, self.listener.take()))
    }

    /// Takes the tripwire's listener, descriptor `fd` of the program's
    /// process (the launcher, or its namespace's PID 2), and lets it go on.
    fn take_listener(&mut self, child: &std::process::Child, fd: i32) -> io::Result<()> {
        let pid = if self.pid_ns {
            super::program_in_namespace(child.id())
        } else {
            Some(child.id())
        }
        .ok_or_else(|| {
            super::super::failure("the sandbox's launcher said `H` with no program process")
        })?;
        let listener = super::hold::take_fd(pid, fd).map_err(|e| {
            super::hold::broke();
            super::super::failure(format!("the tripwire's listener could not be taken ({e})"))
        })?;
        // Only a listener: a launcher could not name another descriptor of
        // its own by mistake and have us answer on it.
        let link = std::fs::read_link(format!("/proc/self/fd/{}", listener.as_raw_fd()))?;
        if link.as_os_str() != "anon_inode:seccomp notify" {
            return Err(super::super::failure(format!(
                "the sandbox's launcher named {} as the tripwire's listener",
                link.display()
            )));
        }
        let go = self.go.take().ok_or_else(|| {
            super::super::failure("the sandbox's launcher said `H` twice, or unasked")
        })?;
        // SAFETY: one byte from a buffer of ours to our own pipe.
        if unsafe { libc::write(go.as_raw_fd(), b"g".as_ptr().cast(), 1) } != 1 {
            return Err(io::Error::last_os_error());
        }
        self.listener = Some(listener);
        Ok(())
    }

    fn read_outcome(&mut self, child: &mut std::process::Child) -> io::Result<u64> {
        // `o`, 8 bytes of CPU time, with a tripwire an `H` record, then at
        // most one record. Trap: without a private /proc, another process
        // of the grader's uid can open the pipe too; never read more,
        // never wait longer.
        const OPENED: usize = 9;
        const RECORD: usize = 5;
        const MOST: usize = OPENED + 2 * RECORD;
        let mut most = if self.go.is_some() {
            MOST
        } else {
            OPENED + RECORD
        };
        let until = Instant::now() + LAUNCH_LIMIT;
        let mut got: Vec<u8> = Vec::with_capacity(MOST);
        let mut ended = None;
        loop {
            if Instant::now() > until {
                return Err(super::super::failure(format!(
                    "the sandbox's launcher did not start the program within {} s",
                    LAUNCH_LIMIT.as_secs()
                )));
            }
            if self.write.is_some() && !got.is_empty() {
                self.write = None; // the launcher holds the pipe now
            }
            let mut fds = [libc::pollfd {
                fd: self.read.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            }];
            // SAFETY: one valid pollfd.
            let ready = unsafe { libc::poll(fds.as_mut_ptr(), 1, 100) };
            if ready > 0 {
                let mut buf = [0u8; MOST];
                let room = most - got.len();
                // SAFETY: reading into a buffer of ours, at most its size.
                let n = unsafe {
                    libc::read(self.read.as_raw_fd(), buf.as_mut_ptr().cast(), room.max(1))
                };
                match n {
                    0 => break,
                    n if n > 0 && got.len() + (n as usize) <= most => {
                        got.extend_from_slice(&buf[..n as usize]);
                        // The launcher waits for our answer before its
                        // exec: take its listener at once.
                        if self.go.is_some()
                            && got.len() >= OPENED + RECORD
                            && got[OPENED] == b'H'
                        {
                            let fd = i32::from_le_bytes([got[10], got[11], got[12], got[13]]);
                            self.take_listener(child, fd)?;
                            self.go_read = None;
                            got.drain(OPENED..OPENED + RECORD);
                            most = OPENED + RECORD;
                        }
                    }
                    n if n > 0 => {
                        return Err(super::super::failure(
                            "the sandbox's launcher said more than it should (another process wrote to its status pipe)",
                        ))
                    }
                    _ if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => {}
                    _ => return Err(io::Error::last_os_error()),
                }
                continue;
            }
            if self.write.is_some() {
                // Only our copy keeps the pipe open: watch the launcher.
                // Trap: it may have said `o` and exec'd a program that
                // already ended since the poll (a launcher without a pid
                // namespace is the program): read what it said first.
                if let Some(status) = child.try_wait()? {
                    ended = Some(status);
                    self.write = None;
                }
            }
        }
        if got.first() != Some(&b'o') {
            return Err(super::super::failure(match ended {
                Some(status) => {
                    format!("the sandbox's launcher ended ({status}) before it started the program")
                }
                None => "the sandbox's launcher closed its status pipe without a word".into(),
            }));
        }
        if self.go.is_some() && got.len() == OPENED {
            return Err(super::super::failure(
                "the sandbox's launcher started its program without its tripwire",
            ));
        }
        if got.len() != OPENED && got.len() != OPENED + RECORD {
            return Err(super::super::failure(
                "the sandbox's launcher said too little (another process wrote to its status pipe?)",
            ));
        }
        let spent = got.get(1..OPENED).map_or(0, |ns| {
            u64::from_le_bytes(ns.try_into().unwrap_or_default())
        });
        match got.get(OPENED..OPENED + RECORD) {
            None => Ok(spent),
            Some(record) => {
                let errno = i32::from_le_bytes([record[1], record[2], record[3], record[4]]);
                let error = io::Error::from_raw_os_error(errno);
                if record[0] == b'X' {
                    Err(error)
                } else if let (libc::ESTALE, Some(cwd)) = (errno, &self.cwd) {
                    // The folder it entered was not the one pinned (see
                    // `PrivateTmp::enter`): replaced meanwhile, and maybe
                    // back by now (hostile round 38: a folder exchanged
                    // with a link and back was told as netlab's failure).
                    Err(io::Error::other(super::super::FolderMoved(cwd.clone())))
                } else {
                    Err(super::super::failure(format!(
                        "the sandbox could not be set up before the program's start ({error})"
                    )))
                }
            }
        }
    }
}

/// Kills a launcher that did not start its program, with whatever it
/// forked (its group, while it is not reaped: the group's id cannot be
/// anyone else's yet), and reaps it.
fn abandon(child: &mut std::process::Child) {
    if let Ok(None) = child.try_wait() {
        // SAFETY: killpg with the id of our own unreaped child's group.
        unsafe { libc::killpg(child.id() as libc::pid_t, libc::SIGKILL) };
        let _ = child.kill();
    }
    let _ = child.wait();
}

/// A launcher that could not even be spawned: netlab's failure, whatever
/// the errno (the program it would have run was never looked at).
pub(in crate::sandbox) fn spawn_failed(error: io::Error) -> io::Error {
    super::super::failure(format!(
        "the sandbox's launcher could not be started ({error})"
    ))
}

impl Plan {
    /// The plan as the launcher's arguments (`key=value`, before [`END`]).
    fn to_args(&self) -> Vec<OsString> {
        let me = std::process::id();
        let mut args: Vec<OsString> = Vec::new();
        let mut item = |key: &str, value: &[u8]| {
            let mut arg = OsString::from(format!("{key}="));
            arg.push(OsStr::from_bytes(value));
            args.push(arg);
        };
        if let Some(l) = &self.limits {
            let value = format!(
                "{},{},{},{},{}",
                l.memory_bytes, l.cpu_secs, l.processes, l.file_bytes, l.open_files
            );
            item("limits", value.as_bytes());
        }
        if self.pid_ns {
            item("pid-ns", b"");
        }
        if self.user_ns.is_some() {
            item("user-ns", b"");
        }
        if let Some(ns) = &self.join {
            item(
                "join-user",
                format!("/proc/{me}/fd/{}", ns.user.as_raw_fd()).as_bytes(),
            );
            item(
                "join-net",
                format!("/proc/{me}/fd/{}", ns.net.as_raw_fd()).as_bytes(),
            );
        }
        if let Some((uid, gid)) = self.user {
            item("user", format!("{uid},{gid}").as_bytes());
        }
        for procs in &self.cgroup_procs {
            item("cgroup", procs.as_bytes());
        }
        if let Some(procs) = &self.program_procs {
            item("program-cgroup", procs.as_bytes());
        }
        if let Some(tmp) = &self.private_tmp {
            item("tmp", tmp.staging.as_bytes());
            item("tmp-options", tmp.tmpfs_options.as_bytes());
            for tree in &tmp.trees {
                item("tree", tree.target.as_bytes());
            }
            for keep in &tmp.keep {
                item("keep", keep.as_bytes());
            }
            for hide in &tmp.hide {
                item("hide", hide.target.as_bytes());
                for made in &hide.made {
                    item("made", made.as_bytes());
                }
            }
            if let Some(veil) = &tmp.veil {
                item("veil", veil.target.as_bytes());
                for made in &veil.made {
                    item("veil-made", made.as_bytes());
                }
            }
            for (path, to) in &tmp.veil_links {
                item("veil-link", path.as_bytes());
                item("veil-link-to", to.as_bytes());
            }
            item("tmp-empty", tmp.empty.as_bytes());
            if tmp.start == TreeStart::Empty {
                item("tmp-start-empty", b"");
            }
            for dir in &tmp.grown {
                item("grow", dir.as_bytes());
            }
            if let Some(cwd) = &tmp.cwd {
                item("cwd", cwd.as_bytes());
            }
            if let Some((dev, ino)) = tmp.cwd_pin {
                item("cwd-pin", format!("{dev},{ino}").as_bytes());
            }
            if tmp.layered.is_some() {
                item("cwd-layered", b"");
            }
            for dir in &tmp.shown {
                item("show", dir.as_bytes());
            }
            if let Some(parent) = &tmp.protect {
                item("protect", parent.as_bytes());
            }
            if tmp.proc_required {
                item("proc-required", b"");
            }
        }
        if let Some(reach) = &self.reach {
            item("reach", b"");
            for path in &reach.see {
                item("see", path.as_bytes());
            }
            for path in &reach.own {
                item("own", path.as_bytes());
            }
        }
        if self.filter {
            item("filter", b"");
        }
        item("parent", self.parent.to_string().as_bytes());
        args
    }

    /// The plan back from [`Plan::to_args`]'s items, and the status pipe.
    fn from_args(items: &[&[u8]]) -> io::Result<(Plan, Option<CString>)> {
        let bad = |what: String| io::Error::new(io::ErrorKind::InvalidInput, what);
        let c = |v: &[u8]| CString::new(v).map_err(io::Error::other);
        let number = |v: &[u8]| -> io::Result<u64> {
            std::str::from_utf8(v)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| bad(format!("not a number: {}", String::from_utf8_lossy(v))))
        };
        let mut plan = Plan {
            limits: None,
            pid_ns: false,
            user_ns: None,
            join: None,
            user: None,
            cgroup_procs: Vec::new(),
            program_procs: None,
            private_tmp: None,
            reach: None,
            ruleset: None,
            filter: false,
            parent: 0,
        };
        let mut status = None;
        let (mut join_user, mut join_net) = (None, None);
        for item in items {
            let at = item.iter().position(|b| *b == b'=').unwrap_or(item.len());
            let (key, value) = (&item[..at], item.get(at + 1..).unwrap_or_default());
            let tmp = || bad(format!("{} before tmp=", String::from_utf8_lossy(key)));
            let reach = || bad(format!("{} before reach=", String::from_utf8_lossy(key)));
            match key {
                b"limits" => {
                    let n: Vec<u64> = value
                        .split(|b| *b == b',')
                        .map(number)
                        .collect::<io::Result<_>>()?;
                    let [memory_bytes, cpu_secs, processes, file_bytes, open_files] = n[..] else {
                        return Err(bad("limits wants 5 numbers".into()));
                    };
                    plan.limits = Some(Limits {
                        memory_bytes,
                        cpu_secs,
                        processes,
                        file_bytes,
                        open_files,
                    });
                }
                b"pid-ns" => plan.pid_ns = true,
                b"user-ns" => plan.user_ns = Some(UserMaps::current()),
                b"join-user" => join_user = Some(open_path(&c(value)?)?),
                b"join-net" => join_net = Some(open_path(&c(value)?)?),
                b"user" => {
                    let (uid, gid) = match value.iter().position(|b| *b == b',') {
                        Some(at) => (number(&value[..at])?, number(&value[at + 1..])?),
                        None => return Err(bad("user wants uid,gid".into())),
                    };
                    plan.user = Some((uid as u32, gid as u32));
                }
                b"cgroup" => plan.cgroup_procs.push(c(value)?),
                b"program-cgroup" => plan.program_procs = Some(c(value)?),
                b"tmp" => {
                    plan.private_tmp = Some(PrivateTmp {
                        staging: c(value)?,
                        tmpfs_options: c(b"")?,
                        trees: Vec::new(),
                        start: TreeStart::HostContent,
                        empty: c(b"")?,
                        grown: Vec::new(),
                        cwd: None,
                        cwd_pin: None,
                        layered: None,
                        shown: Vec::new(),
                        protect: None,
                        keep: Vec::new(),
                        hide: Vec::new(),
                        veil: None,
                        veil_links: Vec::new(),
                        proc_required: false,
                    })
                }
                b"tmp-empty" => plan.private_tmp.as_mut().ok_or_else(tmp)?.empty = c(value)?,
                b"tmp-start-empty" => {
                    plan.private_tmp.as_mut().ok_or_else(tmp)?.start = TreeStart::Empty
                }
                b"cwd" => plan.private_tmp.as_mut().ok_or_else(tmp)?.cwd = Some(c(value)?),
                b"cwd-pin" => {
                    let (dev, ino) = match value.iter().position(|b| *b == b',') {
                        Some(at) => (number(&value[..at])?, number(&value[at + 1..])?),
                        None => return Err(bad("cwd-pin wants dev,ino".into())),
                    };
                    plan.private_tmp.as_mut().ok_or_else(tmp)?.cwd_pin = Some((dev, ino));
                }
                b"cwd-layered" => {
                    let private = plan.private_tmp.as_mut().ok_or_else(tmp)?;
                    private.layered = Some(CwdLayer::new(&private.staging)?);
                }
                b"protect" => plan.private_tmp.as_mut().ok_or_else(tmp)?.protect = Some(c(value)?),
                b"show" => plan
                    .private_tmp
                    .as_mut()
                    .ok_or_else(tmp)?
                    .shown
                    .push(c(value)?),
                b"grow" => plan
                    .private_tmp
                    .as_mut()
                    .ok_or_else(tmp)?
                    .grown
                    .push(c(value)?),
                b"reach" => {
                    plan.reach = Some(Reach {
                        see: Vec::new(),
                        own: Vec::new(),
                    })
                }
                b"see" => plan.reach.as_mut().ok_or_else(reach)?.see.push(c(value)?),
                b"own" => plan.reach.as_mut().ok_or_else(reach)?.own.push(c(value)?),
                b"tmp-options" => {
                    plan.private_tmp.as_mut().ok_or_else(tmp)?.tmpfs_options = c(value)?
                }
                b"tree" => {
                    let i = SHARED_TREES
                        .iter()
                        .position(|t| t.as_bytes() == value)
                        .ok_or_else(|| {
                            bad(format!(
                                "not a shared tree: {}",
                                String::from_utf8_lossy(value)
                            ))
                        })?;
                    let tree = Tree::new(i, SHARED_TREES[i])?;
                    plan.private_tmp.as_mut().ok_or_else(tmp)?.trees.push(tree);
                }
                b"keep" => plan
                    .private_tmp
                    .as_mut()
                    .ok_or_else(tmp)?
                    .keep
                    .push(c(value)?),
                b"hide" => plan.private_tmp.as_mut().ok_or_else(tmp)?.hide.push(Hide {
                    target: c(value)?,
                    made: Vec::new(),
                }),
                b"made" => plan
                    .private_tmp
                    .as_mut()
                    .and_then(|t| t.hide.last_mut())
                    .ok_or_else(|| bad("made before hide=".into()))?
                    .made
                    .push(c(value)?),
                b"veil" => {
                    plan.private_tmp.as_mut().ok_or_else(tmp)?.veil = Some(Hide {
                        target: c(value)?,
                        made: Vec::new(),
                    })
                }
                b"veil-made" => plan
                    .private_tmp
                    .as_mut()
                    .and_then(|t| t.veil.as_mut())
                    .ok_or_else(|| bad("veil-made before veil=".into()))?
                    .made
                    .push(c(value)?),
                b"veil-link" => plan
                    .private_tmp
                    .as_mut()
                    .ok_or_else(tmp)?
                    .veil_links
                    .push((c(value)?, CString::default())),
                b"veil-link-to" => {
                    plan.private_tmp
                        .as_mut()
                        .and_then(|t| t.veil_links.last_mut())
                        .ok_or_else(|| bad("veil-link-to before veil-link=".into()))?
                        .1 = c(value)?
                }
                b"proc-required" => plan.private_tmp.as_mut().ok_or_else(tmp)?.proc_required = true,
                b"parent" => plan.parent = number(value)? as libc::pid_t,
                b"filter" => plan.filter = true,
                b"status" => status = Some(c(value)?),
                _ => {
                    return Err(bad(format!(
                        "unknown item {}",
                        String::from_utf8_lossy(item)
                    )))
                }
            }
        }
        plan.join = match (join_user, join_net) {
            (Some(user), Some(net)) => Some(std::sync::Arc::new(NsFds { user, net })),
            (None, None) => None,
            _ => return Err(bad("join wants both namespaces".into())),
        };
        Ok((plan, status))
    }
}

/// Opens one of the grader's descriptors (`/proc/<grader>/fd/<n>`).
fn open_path(path: &CStr) -> io::Result<OwnedFd> {
    // SAFETY: a valid C string; the fd is ours if the call succeeds.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: just opened, owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[OsString]) -> (Plan, Option<CString>) {
        let items: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        Plan::from_args(&items).unwrap()
    }

    #[test]
    fn a_plan_survives_the_trip_through_arguments() {
        let plan = Plan {
            limits: Some(Limits {
                memory_bytes: 1 << 29,
                cpu_secs: 8,
                processes: 128,
                file_bytes: 1 << 26,
                open_files: 1024,
            }),
            pid_ns: true,
            user_ns: Some(UserMaps::current()),
            join: None,
            user: Some((60001, 60002)),
            cgroup_procs: vec![c"/sys/fs/cgroup/memory/netlab/1-2/cgroup.procs".into()],
            program_procs: Some(c"/sys/fs/cgroup/cpuacct/netlab/1-2/program/cgroup.procs".into()),
            private_tmp: Some(PrivateTmp {
                staging: c"/tmp/netlab-staging x".into(),
                tmpfs_options: c"mode=0700,size=67108864".into(),
                trees: vec![Tree::new(0, "/tmp").unwrap()],
                start: TreeStart::Empty,
                empty: c"mode=1777,size=67108864".into(),
                grown: vec![c"/tmp/a,b=c".into()],
                cwd: Some(c"/tmp/a,b=c".into()),
                cwd_pin: Some((2049, 123456)),
                layered: Some(CwdLayer::new(c"/tmp/netlab-staging x").unwrap()),
                shown: vec![c"/tmp/target/debug".into()],
                protect: Some(c"/home/class".into()),
                keep: vec![c"/tmp/a,b=c".into()],
                hide: vec![Hide {
                    target: c"/home/class".into(),
                    made: vec![c"/home/class/alice".into()],
                }],
                veil: Some(Hide {
                    target: c"/run".into(),
                    made: vec![c"/run/lock".into()],
                }),
                veil_links: vec![(
                    c"/run/current-system".into(),
                    c"/nix/store/abc-system".into(),
                )],
                proc_required: true,
            }),
            reach: Some(Reach {
                see: vec![c"/usr".into(), c"/dev/null".into()],
                own: vec![c"/tmp/a,b=c".into()],
            }),
            ruleset: None,
            filter: true,
            parent: 4242,
        };
        let args = plan.to_args();
        let (back, status) = parse(&args);
        assert_eq!(back.to_args(), args, "what was encoded comes back");
        assert!(status.is_none());
        let tmp = back.private_tmp.as_ref().unwrap();
        assert_eq!(
            tmp.trees[0].options.as_bytes(),
            b"lowerdir=/tmp,upperdir=0/upper,workdir=0/work"
        );
        assert_eq!(tmp.start, TreeStart::Empty);
        assert_eq!(tmp.cwd_pin, Some((2049, 123456)));
        assert_eq!(tmp.hide[0].made, [c"/home/class/alice".to_owned()]);
        assert_eq!(tmp.veil.as_ref().unwrap().made, [c"/run/lock".to_owned()]);
        assert_eq!(tmp.veil_links[0].1.as_bytes(), b"/nix/store/abc-system");
        assert_eq!(
            tmp.layered.as_ref().unwrap().lower.as_bytes(),
            b"/tmp/netlab-staging x/cwd/lower"
        );
        assert_eq!(back.reach, plan.reach);
        assert_eq!(back.parent, 4242);
        assert_eq!(back.limits.unwrap().open_files, 1024);
    }

    fn empty_plan() -> Plan {
        let (plan, _) =
            Plan::from_args(&[format!("parent={}", std::process::id()).as_bytes()]).unwrap();
        plan
    }

    /// Starts `argv` through a real launcher (this test binary, run again)
    /// and returns what the grader learns.
    fn launch(plan: &Plan, argv: &[&str]) -> io::Result<u64> {
        let mut original = Command::new(argv[0]);
        original.args(&argv[1..]);
        let (mut cmd, pending) = command(&original, plan, Tripwire::None)?;
        cmd.stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let mut child = cmd.spawn()?;
        let result = pending.wait(&mut child).map(|(spent, _)| spent);
        let _ = child.kill();
        let _ = child.wait();
        result
    }

    #[cfg(target_env = "gnu")]
    #[test]
    fn a_launched_program_starts_and_an_exec_error_is_the_programs() {
        let spent = launch(&empty_plan(), &["/bin/sh", "-c", "exit 0"]).unwrap();
        assert!(spent > 0, "the launcher's CPU time comes back");
        let missing = launch(&empty_plan(), &["/nonexistent/netlab-program"]).unwrap_err();
        assert_eq!(missing.raw_os_error(), Some(libc::ENOENT), "{missing}");
        assert!(!crate::sandbox::is_failure(&missing));
    }

    #[cfg(target_env = "gnu")]
    #[test]
    fn a_failed_setup_is_the_sandboxes_fault() {
        // A mount that cannot succeed (no such staging folder; without
        // root, the mount namespace itself is refused).
        let mut plan = empty_plan();
        plan.private_tmp = Some(PrivateTmp {
            staging: c"/nonexistent/netlab-staging".into(),
            tmpfs_options: c"mode=0700,size=1m".into(),
            trees: Vec::new(),
            start: TreeStart::HostContent,
            empty: c"mode=1777,size=1m".into(),
            grown: Vec::new(),
            cwd: None,
            cwd_pin: None,
            layered: None,
            shown: Vec::new(),
            protect: None,
            keep: Vec::new(),
            hide: Vec::new(),
            veil: None,
            veil_links: Vec::new(),
            proc_required: false,
        });
        let failed = launch(&plan, &["/bin/sh", "-c", "exit 0"]).unwrap_err();
        assert!(crate::sandbox::is_failure(&failed), "{failed}");
        assert!(
            failed.to_string().contains("could not be set up"),
            "{failed}"
        );
    }

    #[cfg(target_env = "gnu")]
    #[test]
    fn a_launcher_that_ends_without_a_word_is_netlabs_failure_and_is_reaped() {
        // Its status pipe cannot be opened: it exits before saying `o`.
        let (read, write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
        let pending = Pending {
            read,
            write: Some(write),
            cwd: None,
            go: None,
            go_read: None,
            listener: None,
            pid_ns: false,
        };
        let mut cmd = Command::new("/proc/self/exe");
        cmd.arg0(NAME)
            .arg(format!("parent={}", std::process::id()))
            .arg("status=/nonexistent/netlab-status")
            .args([END, "/bin/true"])
            .stderr(std::process::Stdio::null());
        let mut child = cmd.spawn().unwrap();
        let failed = pending.wait(&mut child).unwrap_err();
        assert!(crate::sandbox::is_failure(&failed), "{failed}");
        assert!(
            failed.to_string().contains("ended (exit status: 125)"),
            "{failed}"
        );
        assert_reaped(child.id());
    }

    /// No such child any more: reaped, not a zombie.
    fn assert_reaped(pid: u32) {
        // SAFETY: WNOHANG on a pid that was our child.
        let got = unsafe { libc::waitpid(pid as libc::pid_t, std::ptr::null_mut(), libc::WNOHANG) };
        assert_eq!(got, -1, "{pid} is still ours to reap");
        assert_eq!(
            io::Error::last_os_error().raw_os_error(),
            Some(libc::ECHILD)
        );
    }

    #[cfg(target_env = "gnu")]
    #[test]
    fn a_status_pipe_that_says_too_much_ends_its_launcher_at_once() {
        // Someone else wrote into the pipe before the launcher spoke: the
        // grader stops reading, and kills and reaps the launcher (alive:
        // it went on to exec a long sleep).
        let mut original = Command::new("/bin/sleep");
        original.arg("30");
        let (mut cmd, pending) = command(&original, &empty_plan(), Tripwire::None).unwrap();
        let junk = [b'x'; 15];
        // SAFETY: writing a buffer of ours to a pipe we hold.
        let wrote = unsafe {
            libc::write(
                pending.write.as_ref().unwrap().as_raw_fd(),
                junk.as_ptr().cast(),
                junk.len(),
            )
        };
        assert_eq!(wrote, 15);
        let started = Instant::now();
        let mut child = cmd.spawn().unwrap();
        let failed = pending.wait(&mut child).unwrap_err();
        assert!(
            failed.to_string().contains("said more than it should"),
            "{failed}"
        );
        assert_reaped(child.id());
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "not the sleep's end"
        );
    }

    #[test]
    fn a_bad_plan_is_refused_with_its_reason() {
        let bad = |items: &[&[u8]]| Plan::from_args(items).err().map(|e| e.to_string());
        assert!(bad(&[b"limits=1,2"]).unwrap().contains("5 numbers"));
        assert!(bad(&[b"keep=/x"]).unwrap().contains("before tmp="));
        assert!(bad(&[b"tree=/etc"]).unwrap().contains("not a shared tree"));
        assert!(bad(&[b"whatever=1"]).unwrap().contains("unknown item"));
        assert!(
            Request::parse(&[b"parent=1", b"status=/x"]).is_err(),
            "no program"
        );
    }
}
