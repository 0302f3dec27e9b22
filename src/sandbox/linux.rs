//! The Linux mechanisms of the sandbox: what runs before a program's exec
//! (the [`Plan`]: limits, cgroup, pid namespace init, mounts, user
//! switch; run by the launcher, see `launch.rs`), the per-thread network
//! namespace, and the cleanup of a finished process tree.
//!
//! Trap (async-signal safety): the probes below still fork the grader,
//! which is multithreaded, so between fork and exec only raw syscalls may
//! run — no allocation, no locks. `Plan::run` keeps to that rule too
//! (everything is prepared before it): a launcher that runs it is
//! single-threaded, but where none can work a fork of the grader runs it
//! (see `launch::usable`).
//!
//! Trap (the status pipe, as std's error pipe): the grader waits until the
//! exec closes it. A process that forks before the exec and never execs
//! (our init and the waiter above it) must close every inherited fd, or
//! the grader waits for as long as they live.

use std::ffi::{CStr, CString, OsStr};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use nix::libc;

use super::{forget, note, remember, CommandOrigin, Layer, Limits, Policy, Usage, WorkingFolder};

pub(super) mod cgroup;
mod filter;
pub(super) mod hold;
pub(super) mod launch;
mod reach;
pub(super) mod watch;

const TAG: &str = "NETLAB_SANDBOX_TAG";
pub(super) const CGROUP_ROOT: &str = "/sys/fs/cgroup";

pub(super) fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Runs `probe` on a throwaway thread (namespace changes die with it).
fn on_throwaway_thread(probe: fn() -> io::Result<()>) -> io::Result<()> {
    std::thread::spawn(probe)
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("probe panicked")))
}

pub(super) fn available(layer: Layer) -> Result<(), String> {
    let root = is_root();
    let needs_root = |what: &str| {
        if root {
            Ok(())
        } else {
            Err(format!("needs root: {what}"))
        }
    };
    match layer {
        Layer::ResourceLimits | Layer::Subreaper | Layer::ConnectionGuard => Ok(()),
        Layer::UnprivilegedUser => needs_root("programs run as the grader's user"),
        Layer::PrivateCopy => needs_root("programs run in the submission folder itself"),
        // Without root: inside the pid namespace's user namespace, where
        // the program's process may mount (Policy::detect requires that
        // layer for it).
        Layer::PrivateTmp => probe_private_tmp(!root),
        Layer::Paths => reach::available(),
        Layer::Syscalls => filter::available(),
        Layer::PidNamespace if !root => {
            // Without root: a user namespace of our own, if the machine
            // allows unprivileged ones. Only a single-threaded process can
            // create one, so try it in a forked child, as a launcher (or
            // the fork that stands in for one) will.
            let maps = UserMaps::current();
            let mut probe = Command::new("sh");
            probe.args(["-c", ":"]);
            probe.stdin(std::process::Stdio::null());
            // SAFETY: raw syscalls on memory prepared before the fork.
            unsafe {
                probe.pre_exec(move || maps.enter_with_new_pids());
            }
            match probe.status() {
                Ok(status) if status.success() => Ok(()),
                Ok(status) => Err(format!(
                    "needs root or unprivileged user namespaces (the probe ended with {status}): a detached process is found by the subreaper instead"
                )),
                Err(e) => Err(format!(
                    "needs root or unprivileged user namespaces ({e}): a detached process is found by the subreaper instead"
                )),
            }
        }
        Layer::PidNamespace => {
            on_throwaway_thread(|| {
                // SAFETY: affects only this thread's future children.
                if unsafe { libc::unshare(libc::CLONE_NEWPID) } != 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            })
            .map_err(|e| format!("unshare(CLONE_NEWPID) failed: {e}"))
        }
        // Without root: made by a holder process in a user namespace of
        // its own (see NetHolder), where the machine allows them.
        Layer::NetworkNamespace if !root => on_throwaway_thread(|| NetHolder::start().map(drop))
            .map_err(|e| {
                format!(
                    "needs root or unprivileged user namespaces ({e}): gradings share the port space and can reach past loopback"
                )
            }),
        Layer::NetworkNamespace => on_throwaway_thread(enter_new_network)
            .map_err(|e| format!("cannot make a network namespace: {e}")),
        Layer::Cgroup => {
            needs_root("memory use is not measured")?;
            cgroup::hierarchy()?.prepare()
        }
    }
}

/// /dev/shm when it is a tmpfs and a real folder (not a symlink planted in
/// its place): where jails may be (see `super::scratch_places`).
pub(super) fn shm_tmpfs() -> Option<PathBuf> {
    use nix::sys::statfs::{statfs, TMPFS_MAGIC};
    let dir = Path::new("/dev/shm");
    let real = dir.symlink_metadata().is_ok_and(|m| m.is_dir());
    let tmpfs = statfs(dir).is_ok_and(|fs| fs.filesystem_type() == TMPFS_MAGIC);
    (real && tmpfs).then(|| dir.to_path_buf())
}

/// [`shm_tmpfs`] when programs can be run from it and it has `room` bytes
/// free (see `super::scratch_root`). Traps: Docker mounts /dev/shm
/// `noexec` (a bind keeps the flag: every compiled submission would fail
/// with EACCES, and be blamed for it), and gives it 64 MiB (eight
/// submissions copied at once would not fit).
pub(super) fn roomy_tmpfs(room: u64) -> Option<PathBuf> {
    use nix::sys::statvfs::{statvfs, FsFlags};
    let dir = shm_tmpfs()?;
    let fs = statvfs(&dir).ok()?;
    // Narrower integers on some targets.
    #[allow(clippy::useless_conversion)]
    let free = u64::from(fs.blocks_available()).saturating_mul(u64::from(fs.fragment_size()));
    let exec = !fs.flags().contains(FsFlags::ST_NOEXEC);
    (exec && free >= room).then_some(dir)
}

/// Orphans of our children reparent to us instead of to PID 1.
pub(super) fn become_subreaper() {
    // SAFETY: prctl with integer arguments.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
}

/// Moves the calling thread into a new network namespace and brings its
/// loopback up. Only this thread moves (and what it starts later).
pub(super) fn enter_new_network() -> io::Result<()> {
    // SAFETY: unshare with a flag; only this thread is affected.
    if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
        return Err(io::Error::last_os_error());
    }
    loopback_up()?;
    bound_receive_buffers();
    Ok(())
}

/// The most a TCP socket of a check's network namespace may buffer to
/// receive (`net.ipv4.tcp_rmem`'s maximum, one per namespace; the
/// machine's is often 6 or 32 MiB). A connection waiting to be accepted
/// fills its buffer without any program reading it, and once reset it is
/// listed nowhere while it keeps it (hostile rounds 29 and 30: 31 of them
/// held 250 MiB of the machine's TCP pool from one check); a lab's
/// messages need a few KiB. With `SO_RCVBUF` a no-op under the syscall
/// filter, this bounds every socket of the check at 1 MiB.
pub(super) const RECEIVE_BUFFER_MAX: usize = 1 << 20;

/// Writes [`RECEIVE_BUFFER_MAX`] into this thread's network namespace's
/// `tcp_rmem` (a net sysctl is the namespace of the thread that opens it).
/// Best effort: a kernel older than 4.15 has one `tcp_rmem` for all.
fn bound_receive_buffers() {
    let path = "/proc/sys/net/ipv4/tcp_rmem";
    let Ok(now) = std::fs::read_to_string(path) else {
        return;
    };
    let mut values: Vec<usize> = now
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    if values.len() != 3 || values[2] <= RECEIVE_BUFFER_MAX {
        return;
    }
    values[2] = RECEIVE_BUFFER_MAX;
    values[1] = values[1].min(RECEIVE_BUFFER_MAX);
    let _ = std::fs::write(path, format!("{} {} {}", values[0], values[1], values[2]));
}

/// A new network namespace starts with `lo` down: nothing can bind
/// 127.0.0.1 until it is up. SIOCSIFFLAGS on any socket of the namespace.
fn loopback_up() -> io::Result<()> {
    // SAFETY: a socket we close below; ifreq is plain data.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut ifr: libc::ifreq = std::mem::zeroed();
        for (i, b) in b"lo".iter().enumerate() {
            ifr.ifr_name[i] = *b as libc::c_char;
        }
        // The request's type differs between C libraries (`as _`): glibc
        // takes an unsigned long, musl an int.
        let mut result = libc::ioctl(fd, libc::SIOCGIFFLAGS as _, &mut ifr);
        if result == 0 {
            ifr.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
            result = libc::ioctl(fd, libc::SIOCSIFFLAGS as _, &ifr);
        }
        let err = io::Error::last_os_error();
        libc::close(fd);
        if result != 0 {
            return Err(err);
        }
    }
    Ok(())
}

/// A network namespace for a grader without root (where unprivileged user
/// namespaces are allowed): the per-thread `unshare(CLONE_NEWNET)` that
/// root uses needs CAP_SYS_ADMIN in the grader's own user namespace, and a
/// multithreaded process cannot enter a user namespace at all.
///
/// So a *holder* process is forked, single-threaded, that makes a user
/// namespace (our ids mapped to themselves) and a network namespace in it,
/// brings `lo` up and then makes sockets on request: a socket belongs to
/// the namespace it was made in, whoever uses it after, so the grader's
/// probes and fake servers receive theirs over a socketpair (SCM_RIGHTS)
/// and live in the check's private port space. The check's programs join
/// both namespaces before their exec (`setns`: a process whose
/// effective uid owns a user namespace has every capability in it).
///
/// The holder dies with the check: its socketpair closes (it exits), and
/// PDEATHSIG fires when the thread that forked it ends; Drop also kills and
/// reaps it.
#[derive(Debug)]
pub(super) struct NetHolder {
    pid: libc::pid_t,
    channel: std::os::fd::OwnedFd,
    pub(super) ns: std::sync::Arc<NsFds>,
    /// Set by a failed exchange: an answer may still be on its way, and
    /// the next request would take it for its own. Never used again.
    broken: std::cell::Cell<bool>,
}

/// Open handles on the holder's namespaces, for programs to join.
#[derive(Debug)]
pub(super) struct NsFds {
    user: std::os::fd::OwnedFd,
    net: std::os::fd::OwnedFd,
}

/// A request to the holder: `socket()`'s three arguments. It answers with
/// 4 bytes, 0 or an errno, and the socket attached when 0.
const HOLDER_REQUEST: usize = 3 * std::mem::size_of::<libc::c_int>();

impl NetHolder {
    pub(super) fn start() -> io::Result<NetHolder> {
        use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
        let maps = UserMaps::current();
        let mut pair = [0 as libc::c_int; 2];
        // SAFETY: socketpair into a local array.
        if unsafe {
            libc::socketpair(
                libc::AF_UNIX,
                libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
                0,
                pair.as_mut_ptr(),
            )
        } != 0
        {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: both fds were just made and are ours alone.
        let (ours, theirs) =
            unsafe { (OwnedFd::from_raw_fd(pair[0]), OwnedFd::from_raw_fd(pair[1])) };
        // Bounded: a holder that cannot answer is given up after 10 s.
        let timeout = libc::timeval {
            tv_sec: 10,
            tv_usec: 0,
        };
        // SAFETY: setsockopt with a timeval on our own socket.
        unsafe {
            libc::setsockopt(
                ours.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                (&timeout as *const libc::timeval).cast(),
                std::mem::size_of::<libc::timeval>() as libc::socklen_t,
            );
        }
        let parent = std::process::id() as libc::pid_t;
        // SAFETY: the child makes only raw syscalls on memory prepared
        // above (see the module header) and never returns.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(io::Error::last_os_error());
        }
        if pid == 0 {
            // SAFETY: in the forked child; never returns.
            unsafe { holder_main(theirs.as_raw_fd(), parent, &maps) }
        }
        drop(theirs);
        let reap = || {
            // SAFETY: our own child, not reaped yet.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, std::ptr::null_mut(), 0);
            }
        };
        // The first answer says the namespaces are made (or why not); only
        // then do /proc/<pid>/ns/* name them.
        let ns = ask(&ours, libc::AF_INET, libc::SOCK_DGRAM, 0).and_then(|_| {
            Ok(NsFds {
                user: std::fs::File::open(format!("/proc/{pid}/ns/user"))?.into(),
                net: std::fs::File::open(format!("/proc/{pid}/ns/net"))?.into(),
            })
        });
        match ns {
            Ok(ns) => Ok(NetHolder {
                pid,
                channel: ours,
                ns: std::sync::Arc::new(ns),
                broken: std::cell::Cell::new(false),
            }),
            Err(e) => {
                reap();
                Err(e)
            }
        }
    }

    /// A socket made inside the holder's network namespace.
    pub(super) fn socket(
        &self,
        domain: libc::c_int,
        kind: libc::c_int,
        protocol: libc::c_int,
    ) -> io::Result<std::os::fd::OwnedFd> {
        if self.broken.get() {
            return Err(super::failure(
                "the network namespace's holder stopped answering",
            ));
        }
        let answer = ask(&self.channel, domain, kind, protocol);
        // An errno from socket() is an answer; anything else broke the
        // exchange (a timeout, EINTR, the holder gone).
        if answer.as_ref().is_err_and(super::is_failure) {
            self.broken.set(true);
        }
        answer
    }

    /// The holder's pid: `/proc/<pid>/net/*` are the check's tables.
    pub(super) fn pid(&self) -> u32 {
        self.pid as u32
    }
}

thread_local! {
    /// The holder of the check running on this thread (unprivileged
    /// network namespace), set by [`with_holder`].
    static HOLDER: std::cell::RefCell<Option<NetHolder>> = const { std::cell::RefCell::new(None) };
}

/// Runs `body` with a network namespace of its own made by a holder (see
/// [`NetHolder`]): the sockets of [`check_socket`] and the programs
/// started meanwhile on this thread live in it. `Err` when no holder could
/// be made; `body` is then not run.
pub(super) fn with_holder<T>(
    body: impl FnOnce() -> T,
) -> Result<T, (io::Error, impl FnOnce() -> T)> {
    let holder = match NetHolder::start() {
        Ok(holder) => holder,
        Err(e) => return Err((e, body)),
    };
    struct Clear;
    impl Drop for Clear {
        fn drop(&mut self) {
            // Dropping the holder kills and reaps it (also on a panic).
            HOLDER.with(|h| h.borrow_mut().take());
        }
    }
    HOLDER.with(|h| *h.borrow_mut() = Some(holder));
    let _clear = Clear;
    Ok(body())
}

/// A socket in this thread's check namespace when a holder made one for
/// it; `None` when the thread uses its own namespace.
pub(super) fn check_socket(
    domain: libc::c_int,
    kind: libc::c_int,
    protocol: libc::c_int,
) -> Option<io::Result<std::os::fd::OwnedFd>> {
    HOLDER.with(|h| {
        h.borrow()
            .as_ref()
            .map(|holder| holder.socket(domain, kind, protocol))
    })
}

/// The namespaces programs started on this thread join, if any.
fn holder_namespaces() -> Option<std::sync::Arc<NsFds>> {
    HOLDER.with(|h| {
        h.borrow()
            .as_ref()
            .map(|holder| std::sync::Arc::clone(&holder.ns))
    })
}

/// The holder's pid, whose `/proc/<pid>/net/*` are this check's tables.
pub(super) fn holder_pid() -> Option<u32> {
    HOLDER.with(|h| h.borrow().as_ref().map(NetHolder::pid))
}

/// One request to a holder: `socket(domain, kind, protocol)` made there.
fn ask(
    channel: &std::os::fd::OwnedFd,
    domain: libc::c_int,
    kind: libc::c_int,
    protocol: libc::c_int,
) -> io::Result<std::os::fd::OwnedFd> {
    use nix::sys::socket::{recvmsg, send, ControlMessageOwned, MsgFlags};
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    let fd = channel.as_raw_fd();
    let mut request = [0u8; HOLDER_REQUEST];
    for (i, v) in [domain, kind, protocol].into_iter().enumerate() {
        request[i * 4..i * 4 + 4].copy_from_slice(&v.to_ne_bytes());
    }
    let broke = |e: nix::Error| super::failure(format!("the network namespace's holder: {e}"));
    send(fd, &request, MsgFlags::MSG_NOSIGNAL).map_err(broke)?;
    let mut errno = [0u8; 4];
    let mut iov = [io::IoSliceMut::new(&mut errno)];
    let mut space = nix::cmsg_space!([std::os::fd::RawFd; 1]);
    let msg =
        recvmsg::<()>(fd, &mut iov, Some(&mut space), MsgFlags::MSG_CMSG_CLOEXEC).map_err(broke)?;
    let mut received = None;
    for cmsg in msg.cmsgs().map_err(broke)? {
        if let ControlMessageOwned::ScmRights(fds) = cmsg {
            for raw in fds {
                // SAFETY: the kernel just gave us this descriptor.
                let owned = unsafe { OwnedFd::from_raw_fd(raw) };
                received.get_or_insert(owned);
            }
        }
    }
    if msg.bytes != 4 {
        return Err(super::failure("the network namespace's holder is gone"));
    }
    match i32::from_ne_bytes(errno) {
        0 => received.ok_or_else(|| super::failure("the holder sent no socket")),
        code => Err(io::Error::from_raw_os_error(code)),
    }
}

impl Drop for NetHolder {
    fn drop(&mut self) {
        // SAFETY: our own child, not yet reaped (nothing else waits on it).
        unsafe {
            libc::kill(self.pid, libc::SIGKILL);
            while libc::waitpid(self.pid, std::ptr::null_mut(), 0) < 0
                && *libc::__errno_location() == libc::EINTR
            {}
        }
    }
}

/// The holder's whole life, in the forked child: raw syscalls only.
unsafe fn holder_main(channel: libc::c_int, parent: libc::pid_t, maps: &UserMaps) -> ! {
    // Dies with the thread that forked it (the check's thread).
    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
    if libc::getppid() != parent {
        libc::_exit(1);
    }
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT] {
        libc::signal(sig, libc::SIG_IGN);
    }
    close_all_but(channel);
    // The errno that made the namespaces fail: every answer carries it.
    let made = if libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNET) != 0 {
        Err(io::Error::last_os_error())
    } else {
        write_file(c"/proc/self/setgroups", b"deny")
            .and_then(|()| write_file(c"/proc/self/uid_map", &maps.uid_line))
            .and_then(|()| write_file(c"/proc/self/gid_map", &maps.gid_line))
            .and_then(|()| loopback_up())
    };
    let failed = match made {
        Ok(()) => 0,
        Err(e) => e.raw_os_error().unwrap_or(libc::EPERM),
    };
    let mut request = [0u8; HOLDER_REQUEST];
    loop {
        let n = libc::recv(channel, request.as_mut_ptr().cast(), request.len(), 0);
        if n < 0 && *libc::__errno_location() == libc::EINTR {
            continue;
        }
        if n != HOLDER_REQUEST as isize {
            libc::_exit(0); // the grader closed its end: the check is over
        }
        let field = |i: usize| {
            libc::c_int::from_ne_bytes([
                request[i * 4],
                request[i * 4 + 1],
                request[i * 4 + 2],
                request[i * 4 + 3],
            ])
        };
        let (mut errno, mut fd) = (failed, -1);
        if failed == 0 {
            fd = libc::socket(field(0), field(1) | libc::SOCK_CLOEXEC, field(2));
            if fd < 0 {
                errno = *libc::__errno_location();
            }
        }
        send_answer(channel, errno, fd);
        if fd >= 0 {
            libc::close(fd);
        }
    }
}

/// Sends `errno` (4 bytes), with `fd` attached when it is one.
unsafe fn send_answer(channel: libc::c_int, errno: libc::c_int, fd: libc::c_int) {
    let mut payload = errno.to_ne_bytes();
    let mut iov = libc::iovec {
        iov_base: payload.as_mut_ptr().cast(),
        iov_len: payload.len(),
    };
    // Room for one SCM_RIGHTS header and one fd, aligned.
    let mut control = [0u64; 4];
    let mut msg: libc::msghdr = std::mem::zeroed();
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    if fd >= 0 {
        let space = libc::CMSG_SPACE(std::mem::size_of::<libc::c_int>() as u32) as usize;
        msg.msg_control = control.as_mut_ptr().cast();
        // These lengths are size_t in glibc, socklen_t in musl (`as _`).
        msg.msg_controllen = space as _;
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<libc::c_int>() as u32) as _;
        std::ptr::copy_nonoverlapping(
            (&fd as *const libc::c_int).cast::<u8>(),
            libc::CMSG_DATA(cmsg),
            std::mem::size_of::<libc::c_int>(),
        );
    }
    while libc::sendmsg(channel, &msg, libc::MSG_NOSIGNAL) < 0
        && *libc::__errno_location() == libc::EINTR
    {}
}

/// The cleanup state of one confined process tree.
#[derive(Debug)]
pub(super) struct Installed {
    cgroups: cgroup::Tree,
    /// The program's own CPU-time cgroup, nested in its tree's.
    program_cgroup: Option<PathBuf>,
    tag: Option<String>,
    /// The folder its private layers were mounted on, shared with the
    /// other programs running meanwhile (see [`staging_folder`]).
    staging: Option<std::sync::Arc<Staging>>,
    /// Its launcher, until the program is exec'd.
    pending: Option<launch::Pending>,
    /// The launcher's CPU before it joined the tree's cgroup.
    launch_cpu_ns: u64,
    finished: bool,
    /// Held to the filesystem allowlist (a program the submission chose).
    limited: bool,
    /// Its place in the watch on the machine's shared tables (cgroups only).
    watch: Option<watch::Watch>,
    /// In a pid namespace of its own: the tree ends with its leader (the
    /// waiter outlives the namespace's init, whose end kills the rest).
    own_pid_namespace: bool,
    /// Its tripwire, when the check asked for one (see `hold.rs`): kept
    /// until the tree is gone.
    tripwire: Option<hold::Supervisor>,
}

impl Installed {
    /// A spawn that failed: a launcher's failure is netlab's, whatever
    /// its errno; the program's own spawn error stays as it is.
    pub(super) fn spawn_failed(&self, error: io::Error) -> io::Error {
        if self.pending.is_some() {
            launch::spawn_failed(error)
        } else {
            error
        }
    }

    /// After the launcher was spawned: waits until it has exec'd the
    /// program, or says why it could not (the launcher then killed and
    /// reaped).
    pub(super) fn started(&mut self, launcher: &mut std::process::Child) -> io::Result<()> {
        if let Some(pending) = self.pending.take() {
            let (spent, listener) = pending.wait(launcher).map_err(|e| {
                // Kept a PermissionDenied (the program's fault), but said
                // why: the file's own mode is often fine.
                if self.limited && e.raw_os_error() == Some(libc::EACCES) {
                    io::Error::new(
                        io::ErrorKind::PermissionDenied,
                        format!("{e}: a submission's commands may run only what is in its own folder or in the system's folders (/usr, /bin, ...), not a build elsewhere on the machine"),
                    )
                } else {
                    e
                }
            })?;
            self.launch_cpu_ns = spent;
            if let Some(listener) = listener {
                self.tripwire = Some(hold::Supervisor::start(listener)?);
            }
        }
        Ok(())
    }

    /// The program's tripwire, if it started with one.
    pub(super) fn tripwire(&self) -> Option<&hold::Supervisor> {
        self.tripwire.as_ref()
    }
}

/// Everything the launcher needs before the exec, prepared up front (and
/// passed to it as arguments: see `launch.rs`).
struct Plan {
    /// The launcher's resource limits (RLIMIT_DATA from `memory_bytes`,
    /// RLIMIT_NPROC from `processes`).
    limits: Option<Limits>,
    pid_ns: bool,
    /// Without root, the pid namespace comes inside a user namespace.
    user_ns: Option<UserMaps>,
    /// Without root, with a network namespace per check: the holder's
    /// user and network namespaces, joined first (the pid namespace is
    /// then made inside that user namespace).
    join: Option<std::sync::Arc<NsFds>>,
    user: Option<(u32, u32)>,
    cgroup_procs: Vec<CString>,
    /// Joined by the program alone, after the split (see
    /// [`cgroup::make_program`]).
    program_procs: Option<CString>,
    private_tmp: Option<PrivateTmp>,
    /// The filesystem allowlist (a program the submission chose): built
    /// by the launcher, or already built by the grader where the fork
    /// stands in for one (`ruleset`).
    reach: Option<reach::Reach>,
    ruleset: Option<std::sync::Arc<std::os::fd::OwnedFd>>,
    /// The syscall filter ([`Layer::Syscalls`]), put in force last.
    filter: bool,
    /// The grader's pid: the program's parent when there is no pid
    /// namespace.
    parent: libc::pid_t,
}

/// Prepares the sandbox for `cmd` and returns the command that starts it
/// in one, in a session of its own: a launcher (see [`launch`]), or where
/// none can work, `cmd` with the plan in a pre_exec hook.
pub(super) fn install(
    mut cmd: Command,
    policy: &Policy,
    user: Option<(u32, u32)>,
    keep: &[PathBuf],
    origin: CommandOrigin,
    (working_folder, cwd_pin): (WorkingFolder, Option<(u64, u64)>),
    tripwire: launch::Tripwire,
) -> io::Result<(Command, Installed)> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let name = format!("{}-{n}", std::process::id());
    let cgroups = if policy.has(Layer::Cgroup) {
        cgroup::hierarchy()
            .map_err(io::Error::other)
            .and_then(|hierarchy| cgroup::make_tree(hierarchy, &name, &policy.limits))
            .unwrap_or_else(|e| {
                note(format!("a program ran without its cgroup ({e})"));
                cgroup::Tree::default()
            })
    } else {
        cgroup::Tree::default()
    };
    let cgroup_procs = cgroups
        .dirs
        .iter()
        .filter_map(|d| CString::new(d.join("cgroup.procs").as_os_str().as_bytes()).ok())
        .collect();
    // Only a pid namespace puts netlab's processes in the tree.
    let program_cgroup = if policy.has(Layer::PidNamespace) {
        cgroup::make_program(&cgroups)
    } else {
        None
    };
    let program_procs = program_cgroup
        .as_ref()
        .and_then(|d| CString::new(d.join("cgroup.procs").as_os_str().as_bytes()).ok());
    let tag = policy.has(Layer::Subreaper).then(|| name.clone());
    if let Some(tag) = &tag {
        cmd.env(TAG, tag);
    }
    let mut staging = None;
    // The program's working folder is its own, like `keep` (written
    // through, or layered: see `PrivateTmp::enter`).
    let mut own = keep.to_vec();
    own.extend(cmd.get_current_dir().map(Path::to_path_buf));
    let limited = origin == CommandOrigin::Submission && policy.has(Layer::Paths);
    // Without root the mounts need the pid namespace's user namespace.
    let private_tmp =
        if policy.has(Layer::PrivateTmp) && (is_root() || policy.has(Layer::PidNamespace)) {
            let shared = staging_folder()?;
            let mut hidden = super::hidden_folders();
            // The machine's cgroup trees: every tree's counters (memory,
            // CPU time, OOM kills, fork refusals) read live showed a
            // program its classmates' checks and their limits being hit
            // (hostile round 31); the program's own join is made through
            // a descriptor opened before (`Plan::run`).
            if Path::new(CGROUP_TREES).is_dir() {
                hidden.insert(0, PathBuf::from(CGROUP_TREES));
            }
            // Under the allowlist the shared trees start empty: the
            // host's /tmp may hold anything (a build folder).
            let start = if limited {
                TreeStart::Empty
            } else {
                TreeStart::HostContent
            };
            let plan = PrivateTmp::prepare(
                &shared.0,
                &own,
                policy.limits.file_bytes,
                &hidden,
                start,
                cmd.get_current_dir().map(|d| (d, working_folder)),
                &super::trusted(),
            )?;
            let plan = PrivateTmp { cwd_pin, ..plan };
            staging = Some(shared);
            Some(plan)
        } else {
            None
        };
    let reach = if limited {
        if let Some(tmp) = &private_tmp {
            own.extend(
                tmp.trees
                    .iter()
                    .map(|t| PathBuf::from(OsStr::from_bytes(t.target.as_bytes()))),
            );
        }
        Some(reach::for_program(&own)?)
    } else {
        None
    };
    let plan = Plan {
        // The tree's cgroup bounds its memory and its processes: no
        // RLIMIT_DATA and no RLIMIT_NPROC then. Traps: RLIMIT_DATA counts
        // memory reserved but never used (each thread's 8 MiB stack, a
        // sanitizer's shadow): a correct pool of 100 threads and an ASan
        // build died at start under it (blind round 12), while the cgroup
        // counts what is used. RLIMIT_NPROC counts every thread of the
        // uid, which two programs of one check share: the second copy of
        // a server with a pool of 100 (the timeout checks run two) could
        // not start its threads; pids.max is per tree.
        limits: policy
            .has(Layer::ResourceLimits)
            .then_some(if cgroups.bounded {
                Limits {
                    memory_bytes: libc::RLIM_INFINITY,
                    processes: libc::RLIM_INFINITY,
                    ..policy.limits
                }
            } else {
                super::rlimits_alone(&policy.limits)
            }),
        pid_ns: policy.has(Layer::PidNamespace),
        user_ns: (policy.has(Layer::PidNamespace) && !is_root()).then(UserMaps::current),
        join: holder_namespaces(),
        user,
        cgroup_procs,
        program_procs,
        private_tmp,
        reach,
        ruleset: None,
        filter: policy.has(Layer::Syscalls),
        parent: std::process::id() as libc::pid_t,
    };
    let watch =
        (!cgroups.dirs.is_empty()).then(|| watch::watch(&cgroups, program_cgroup.as_deref()));
    let mut installed = Installed {
        cgroups,
        program_cgroup,
        tag,
        staging,
        pending: None,
        launch_cpu_ns: 0,
        finished: false,
        limited: false,
        watch,
        own_pid_namespace: plan.pid_ns,
        tripwire: None,
    };
    if launch::usable() {
        let (launcher, pending) = launch::command(&cmd, &plan, tripwire)?;
        installed.pending = Some(pending);
        installed.limited = plan.reach.is_some();
        return Ok((launcher, installed));
    }
    // The old way, where a launcher cannot work (see `launch::usable`):
    // a fork of the grader runs the session's setup, then the plan. The
    // Landlock rules allocate: built here, before the fork.
    let mut plan = plan;
    if let Some(reach) = plan.reach.take() {
        plan.ruleset = Some(std::sync::Arc::new(reach.build()?));
    }
    installed.limited = plan.ruleset.is_some();
    crate::process::own_process_group(&mut cmd);
    // SAFETY: `Plan::run` makes only raw syscalls on memory prepared here.
    unsafe {
        cmd.pre_exec(move || plan.run());
    }
    Ok((cmd, installed))
}

/// The empty folder the private layers of every program running at the
/// same time are mounted on. Each program mounts its tmpfs there in a
/// mount namespace of its own, so on the host it stays empty and programs
/// never see each other's layers: one folder serves them all. (One per
/// program cost about 5% of the grader's CPU in a class run: ext4 makes
/// and deletes an inode each time.) Shared while any program holds it,
/// removed when the last one finishes (the next program makes a new one),
/// so a process that grades in-process (a test) leaves nothing; registered
/// for a Ctrl+C too, and a later run as root sweeps it if we were killed.
#[derive(Debug)]
struct Staging(PathBuf);

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = super::remove_tree(&self.0);
        forget(&self.0);
    }
}

fn staging_folder() -> io::Result<std::sync::Arc<Staging>> {
    use std::sync::{Arc, Mutex, Weak};
    static SHARED: Mutex<Weak<Staging>> = Mutex::new(Weak::new());
    let mut shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(staging) = shared.upgrade() {
        return Ok(staging);
    }
    let prefix = format!("{STAGING_PREFIX}{}-", std::process::id());
    let dir = tempfile::Builder::new().prefix(&prefix).tempdir()?.keep();
    remember(&dir);
    let staging = Arc::new(Staging(dir));
    *shared = Arc::downgrade(&staging);
    Ok(staging)
}

/// CPU time (nanoseconds) of every finished tree of this process: its
/// programs alone, and netlab's own processes in them (waiter and init).
/// See [`super::cpu_spent`].
pub(super) static PROGRAMS_CPU_NS: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(0);
pub(super) static HELPERS_CPU_NS: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(0);
/// Trees whose CPU time was measured (cpuacct), and trees finished.
pub(super) static TREES_MEASURED: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(0);
pub(super) static TREES_FINISHED: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(0);

impl Installed {
    pub(super) fn usage(&self) -> Usage {
        let mut usage = Usage::default();
        for dir in self.cgroups.dirs.iter().take(self.cgroups.counted) {
            let counters = cgroup::counters(dir);
            usage.peak_memory = usage.peak_memory.or(counters.peak_memory);
            usage.oom_kills += counters.oom_kills.unwrap_or(0);
            usage.pid_limit_hits += counters.pid_limit_hits.unwrap_or(0);
            usage.socket_limit_hits += counters.socket_limit_hits.unwrap_or(0);
        }
        usage.files_held = self.watch.as_ref().and_then(watch::Watch::killed_holding);
        usage.tcp_bytes_held = self.watch.as_ref().and_then(watch::Watch::killed_queueing);
        // The program's own share when it has one (a busy loop is the
        // program's, not its waiter's); the tree's if that cannot be read.
        usage.cpu = self
            .program_cpu_ns()
            .or_else(|| cgroup::cpu_ns(self.cgroups.cpu.as_ref()?))
            .map(Duration::from_nanos);
        usage
    }

    /// Does the whole tree end when its leader does (see
    /// [`Installed::own_pid_namespace`])?
    pub(super) fn ends_with_leader(&self) -> bool {
        self.own_pid_namespace
    }

    /// The program's own CPU time, `None` unless its cgroup has one: a
    /// program that could not join it reads 0 there while its tree does
    /// not, and must not pass for an idle one.
    fn program_cpu_ns(&self) -> Option<u64> {
        let dir = self.program_cgroup.as_ref()?;
        let ns = cgroup::cpu_ns(dir)?;
        (ns > 0 || cgroup::has_members(dir)).then_some(ns)
    }

    /// Adds the finished tree's CPU time to the process's totals: the
    /// program's part, and the rest of the tree (netlab's helpers). Its
    /// members are dead: nothing more can be charged.
    fn account_cpu(&self) {
        use std::sync::atomic::Ordering::Relaxed;
        TREES_FINISHED.fetch_add(1, Relaxed);
        // The program first: the tree includes it, read after it.
        let program = self.program_cpu_ns();
        let tree = self.cgroups.cpu.as_deref().and_then(cgroup::cpu_ns);
        let (Some(tree), program) = (tree, program) else {
            return;
        };
        let program = match (&self.program_cgroup, program) {
            (Some(_), Some(ns)) => ns,
            // Made but not joined, or unreadable: not measured (counting
            // it all as helpers would be wrong).
            (Some(_), None) => return,
            // No helpers in the tree (no pid namespace): all the program's.
            (None, _) => tree,
        };
        TREES_MEASURED.fetch_add(1, Relaxed);
        PROGRAMS_CPU_NS.fetch_add(program, Relaxed);
        HELPERS_CPU_NS.fetch_add(tree.saturating_sub(program) + self.launch_cpu_ns, Relaxed);
    }

    /// Kills and reaps what is left of the tree, removes its cgroups.
    pub(super) fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        cgroup::kill_tree(&self.cgroups, self.program_cgroup.as_deref());
        if let Some(tag) = &self.tag {
            reap_tagged_orphans(tag);
        }
        // Every member gone before the CPU time is read, so all of it is
        // charged: on v1 the memory and pids folders go first (their rmdir
        // succeeds only then), on v2 the tree's one folder says so. Then
        // the nested program folder: a parent cannot go first.
        let cpu = self.cgroups.cpu.as_ref();
        for dir in self.cgroups.dirs.iter().filter(|d| Some(*d) != cpu) {
            cgroup::remove_made(dir);
            forget(dir);
        }
        if let Some(dir) = cpu {
            cgroup::wait_unpopulated(dir);
        }
        self.account_cpu();
        for dir in self.program_cgroup.iter().chain(cpu) {
            cgroup::remove_made(dir);
            forget(dir);
        }
        // Its mounts went with its mount namespace: the folder may go
        // (when no other program still has its layers there).
        self.staging = None;
        // No process is left to ask it anything.
        self.tripwire = None;
    }
}

/// Is `pid` a live process (a zombie counts as dead)?
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// The pid a leftover's name starts with (`<pid>-<n>`).
fn maker_pid(name: &str) -> Option<i32> {
    name.split('-').next()?.parse().ok()
}

/// The program under the waiter `waiter`: the init's child whose pid in
/// the namespace is 2 (`NSpid`'s last field), not one of its orphans.
pub(super) fn program_in_namespace(waiter: u32) -> Option<u32> {
    let children = |pid: u32| -> Vec<u32> {
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
            .map(|s| {
                s.split_whitespace()
                    .filter_map(|p| p.parse().ok())
                    .collect()
            })
            .unwrap_or_default()
    };
    let second = |pid: &u32| {
        std::fs::read_to_string(format!("/proc/{pid}/status")).is_ok_and(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("NSpid:"))
                .and_then(|ids| ids.split_whitespace().last())
                == Some("2")
        })
    };
    children(waiter).into_iter().flat_map(children).find(second)
}

/// See [`super::sweep_stale`].
pub(super) fn sweep_stale(jail_prefix: &str) {
    if !is_root() {
        return;
    }
    let me = std::process::id() as i32;
    let stale = |name: &str| maker_pid(name).is_some_and(|pid| pid != me && !alive(pid));
    for parent in cgroup::sweep_parents() {
        let Ok(entries) = std::fs::read_dir(&parent) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.path().is_dir() && stale(&name) {
                cgroup::remove(&entry.path());
            }
        }
    }
    let places = super::scratch_places();
    let entries = places
        .iter()
        .filter_map(|place| std::fs::read_dir(place).ok())
        .flatten();
    // Who owns each kind: a jail copy, its uid; a folder given to a jail,
    // its uid (or still us, if we died before the chown); a private-/tmp
    // staging folder, us (root).
    let jail = |uid: u32| super::is_jail_id(uid);
    let given = |uid: u32| super::is_jail_id(uid) || uid == 0;
    let staging = |uid: u32| uid == 0;
    let kinds: [(&str, &dyn Fn(u32) -> bool); 3] = [
        (jail_prefix, &jail),
        (super::GIVEN_PREFIX, &given),
        (STAGING_PREFIX, &staging),
    ];
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((rest, owner_ok)) = kinds
            .iter()
            .find_map(|(prefix, owner)| name.strip_prefix(*prefix).map(|r| (r, owner)))
        else {
            continue;
        };
        use std::os::unix::fs::MetadataExt;
        // Only a folder of the right owner (not a symlink planted there).
        let ours = entry
            .path()
            .symlink_metadata()
            .is_ok_and(|m| m.is_dir() && owner_ok(m.uid()));
        if ours && stale(rest) {
            // A dead grader's jail copy may still be its own tmpfs.
            let _ = super::remove_scratch(&entry.path());
        }
    }
}

/// Gives the folder `path` (a jail copy, just made, still empty) a tmpfs
/// of its own, of at most `bytes` and `inodes`: what its programs write
/// there is bounded per copy, not taken from the scratch tmpfs every
/// check of a run shares (hostile round 22: one tree held 54% of this
/// machine's /dev/shm inodes, and a neighbour that filled them left its
/// classmates without their copies). Removed with [`unmount`]; a dead
/// grader's is swept by [`sweep_stale`]. Root only.
pub(super) fn own_tmpfs(path: &Path, bytes: u64, inodes: u64) -> io::Result<()> {
    let target = CString::new(path.as_os_str().as_bytes()).map_err(io::Error::other)?;
    let options = CString::new(format!("size={bytes},nr_inodes={inodes},mode=0700"))
        .map_err(io::Error::other)?;
    let tmpfs = c"tmpfs".as_ptr();
    let flags = libc::MS_NOSUID | libc::MS_NODEV;
    // SAFETY: NUL-terminated strings that outlive the call.
    let done = unsafe {
        libc::mount(
            tmpfs,
            target.as_ptr(),
            tmpfs,
            flags,
            options.as_ptr().cast(),
        )
    };
    if done == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Detaches a tmpfs of [`own_tmpfs`] from `path` (its files go with it, at
/// once: no walk); a folder that is no mount point is left as it is.
pub(super) fn unmount(path: &Path) {
    let Ok(target) = CString::new(path.as_os_str().as_bytes()) else {
        return;
    };
    // SAFETY: a NUL-terminated path; EINVAL (not a mount point) is fine.
    // Never through a link at its end (hardening: no program can reach
    // the host's view of this path, hostile round 23).
    unsafe { libc::umount2(target.as_ptr(), libc::MNT_DETACH | libc::UMOUNT_NOFOLLOW) };
}

/// How a private-/tmp staging folder's name starts, before the grader's
/// pid (so a later run's sweep knows whether its maker is alive).
const STAGING_PREFIX: &str = "netlab-tmp-";

impl Drop for Installed {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Subreaper fallback, when no check is running any more (the end of a run,
/// a Ctrl+C): every process reparented to us that is not one of ours is an
/// orphan of some submission, tagged or not (a program can empty its
/// environment before it detaches: seen). Kill and reap them all.
pub(super) fn reap_all_orphans(ours: &[u32]) {
    reap_orphans(|pid| !ours.contains(&(pid as u32)));
}

/// Subreaper fallback: orphans of this tree reparented to us; find them by
/// the tag in their environment, kill them, reap them.
fn reap_tagged_orphans(tag: &str) {
    let wanted = format!("{TAG}={tag}");
    reap_orphans(|pid| {
        std::fs::read(format!("/proc/{pid}/environ"))
            .is_ok_and(|env| env.split(|b| *b == 0).any(|var| var == wanted.as_bytes()))
    });
}

/// Kills and reaps our children (ppid checked) that `chosen` picks.
/// Repeated, since a killed orphan's own children reparent to us in turn.
fn reap_orphans(chosen: impl Fn(i32) -> bool) {
    let me = std::process::id() as i32;
    for _ in 0..20 {
        let Ok(all) = procfs::process::all_processes() else {
            return;
        };
        let orphans: Vec<i32> = all
            .flatten()
            .filter(|p| p.stat().is_ok_and(|s| s.ppid == me))
            .map(|p| p.pid)
            .filter(|&pid| chosen(pid))
            .collect();
        if orphans.is_empty() {
            return;
        }
        for pid in orphans {
            // SAFETY: the pid is our own child (ppid checked): killing and
            // reaping it cannot hit a stranger.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, std::ptr::null_mut(), 0);
            }
        }
    }
}

impl Plan {
    /// Runs in the launcher before the exec. Returns only in the process
    /// that goes on to exec the program.
    fn run(&self) -> io::Result<()> {
        // SAFETY: raw syscalls on prepared memory; see the module header.
        unsafe {
            // Where the tree's cgroup is the only bound on memory and
            // processes (the rlimits lifted for it), a join that fails
            // would leave the program unbounded: the sandbox's fault,
            // said, never a program run without its bound.
            let lifted = self
                .limits
                .as_ref()
                .is_some_and(|l| l.memory_bytes == libc::RLIM_INFINITY);
            for path in &self.cgroup_procs {
                if !join_cgroup(path) && lifted {
                    // No allocation here (see the module header).
                    return Err(io::Error::last_os_error());
                }
            }
            if let Some(ns) = &self.join {
                use std::os::fd::AsRawFd;
                // Owner of that user namespace (same uid), so every
                // capability in it: enough for the rest.
                if libc::setns(ns.user.as_raw_fd(), libc::CLONE_NEWUSER) != 0
                    || libc::setns(ns.net.as_raw_fd(), libc::CLONE_NEWNET) != 0
                    || (self.pid_ns && libc::unshare(PID_AND_IPC) != 0)
                {
                    return Err(io::Error::last_os_error());
                }
            } else if let Some(maps) = &self.user_ns {
                maps.enter_with_new_pids()?;
            } else if self.pid_ns && libc::unshare(PID_AND_IPC) != 0 {
                return Err(io::Error::last_os_error());
            }
            if self.pid_ns {
                split_for_pid_namespace()?;
            }
            // From here on: the program's own process (PID 2 in its
            // namespace, or the launcher itself without one). Its cgroup's
            // file is opened before the mounts cover the cgroup trees.
            let program_procs = self
                .program_procs
                .as_ref()
                .map(|path| libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC));
            if let Some(tmp) = &self.private_tmp {
                tmp.enter()?;
            }
            // After the mounts (netlab's work), before the user switch
            // (only root may join).
            if let Some(fd) = program_procs.filter(|fd| *fd >= 0) {
                write_own_pid(fd);
                libc::close(fd);
            }
            mark_fds_cloexec(3);
            if let Some(limits) = &self.limits {
                set_limits(limits, self.user.is_some());
            }
            if let Some((uid, gid)) = self.user {
                if libc::setgroups(0, std::ptr::null()) != 0
                    || libc::setgid(gid) != 0
                    || libc::setuid(uid) != 0
                {
                    return Err(io::Error::last_os_error());
                }
                // Trap: changing credentials clears PR_SET_PDEATHSIG (set by
                // the launcher or process.rs before us). Set it again; if the parent died
                // in between, the signal will never come: leave now.
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
                // In a pid namespace our parent is its init (PID 1).
                let parent = if self.pid_ns { 1 } else { self.parent };
                if libc::getppid() != parent {
                    libc::_exit(137);
                }
            }
        }
        // Last, as the program's own uid: rules for what it can see now.
        if let Some(ruleset) = &self.ruleset {
            use std::os::fd::AsRawFd;
            // SAFETY: raw syscalls on a descriptor built before the fork:
            // nothing allocated here.
            unsafe {
                // Best effort: without it, only the program's /proc is out
                // of its reach.
                if self.private_tmp.is_some() {
                    let _ = reach::allow_new_proc(ruleset.as_raw_fd());
                }
                reach::restrict(ruleset.as_raw_fd())?
            };
        } else if let Some(reach) = &self.reach {
            use std::os::fd::AsRawFd;
            // Only in a launcher (see `install`): it may allocate.
            let ruleset = reach.build()?;
            // SAFETY: a raw prctl and syscall on a descriptor of ours.
            unsafe { reach::restrict(ruleset.as_raw_fd())? };
        }
        // Very last: the launcher's own setup needed namespaces.
        if self.filter {
            // SAFETY: raw prctl calls on a static program.
            unsafe { filter::install()? };
        }
        Ok(())
    }
}

/// A pid namespace comes with an IPC namespace of its own: System V shared
/// memory and message queues outlive their maker (seen: a 64 MiB segment
/// left for the next submission); in a namespace of their own they go with
/// its last process.
const PID_AND_IPC: libc::c_int = libc::CLONE_NEWPID | libc::CLONE_NEWIPC;

/// The world-writable trees every program can write (and so leave files
/// in, or plant files for the next one): each gets a private layer.
/// (/run/lock too: world-writable on Debian, and /var/lock points there;
/// /var/crash on Ubuntu, GitHub's runners among them. A tree the machine
/// does not have is skipped.)
/// Covered with an empty read-only tmpfs in every program's mount
/// namespace ([`PrivateTmp::veil`]): the host's unix sockets live there
/// (the journal's, D-Bus's, a world-writable docker.sock), and a program
/// could connect to them (hostile round 12 reached a stand-in service
/// under /run as the check's user). Landlock cannot refuse a connect to a
/// socket by its path on this kernel; a network lab needs none of them.
const VEILED: &str = "/run";

/// Where the machine's cgroup trees are mounted: hidden from every program
/// with the private /tmp (see `install`).
const CGROUP_TREES: &str = "/sys/fs/cgroup";

const SHARED_TREES: [&str; 5] = ["/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/crash"];

/// At most this many folders are written through (the program's folder and
/// the ones the grader gave it): their descriptors live on the stack.
const MAX_KEEP: usize = 8;

/// Whether this process is in the machine's own user namespace (uid 0
/// there is real root): in a container's, uid 0 may not mount a procfs
/// where parts of /proc are masked.
fn in_initial_user_namespace() -> bool {
    std::fs::read_to_string("/proc/self/uid_map")
        .is_ok_and(|map| map.split_whitespace().collect::<Vec<_>>() == ["0", "0", "4294967295"])
}

/// At most this many folders are hidden (see `sandbox::hide_from_programs`).
const MAX_HIDE: usize = 4;

/// A private /tmp, /var/tmp and /dev/shm for one program, like systemd's
/// PrivateTmp= but transparent: each tree becomes an overlay whose lower
/// layer is the real tree (what is there stays readable: a build under
/// /tmp still runs) and whose upper layer is a tmpfs of the program's own
/// mount namespace, gone when its last process ends. Folders the grader
/// reads back afterwards (the working folder, a scratch folder for a log)
/// are bound over the overlay again, so writes there reach the real disk.
struct PrivateTmp {
    staging: CString,
    tmpfs_options: CString,
    trees: Vec<Tree>,
    /// How each tree starts: an empty tmpfs, or an overlay of the host's
    /// (see [`TreeStart`]).
    start: TreeStart,
    /// The options of an empty tree's tmpfs: also where an overlay cannot
    /// be mounted (see `enter`).
    empty: CString,
    /// Folders made in an empty tree (parents first): where kept folders
    /// under it are bound.
    grown: Vec<CString>,
    /// The program's working folder (canonical), entered again by its
    /// path once everything is mounted.
    cwd: Option<CString>,
    /// The device and inode the working folder must have when the
    /// launcher enters it (a folder used in place: see `Jail::pin`).
    cwd_pin: Option<(u64, u64)>,
    /// `Some`: the working folder is an overlay, its real folder the lower
    /// layer and the upper one in the staging tmpfs (bounded, gone with
    /// the program), not bound back as it is ([`WorkingFolder::Layered`]).
    layered: Option<CwdLayer>,
    /// The folder holding a working folder used in place (outside the
    /// shared trees and the hidden folders), made read-only for the
    /// program, its own folder bound back on top. Trap (hostile round 8):
    /// where that folder is writable by all (an unpacked archive's 0777),
    /// a program renamed its own folder away and left a symlink to any
    /// folder in its place: root copied that folder for the next checks
    /// (the reference passed; a 0700 folder of root's was in the report).
    protect: Option<CString>,
    /// Folders the instructor trusts that lie in an empty tree (a build
    /// under /tmp): bound back read-only, so that the program can run
    /// what its netlab.toml names there (see `sandbox::trust`).
    shown: Vec<CString>,
    keep: Vec<CString>,
    hide: Vec<Hide>,
    /// /run, covered like a hidden folder but before the shared trees (one
    /// of which, /run/lock, lies in it and is mounted again in the cover):
    /// the host's unix sockets out of reach (see [`VEILED`]).
    veil: Option<Hide>,
    /// The symlinks at the top of /run (path, target), made again in its
    /// cover: NixOS reaches every program through /run/current-system.
    veil_links: Vec<(CString, CString)>,
    /// A procfs of the program's own pid namespace over /proc: the
    /// grader's and every other program's command lines out of sight.
    /// Required as root in the machine's own user namespace; elsewhere the
    /// kernel may refuse it (a /proc with parts masked, as in a
    /// container), and the host's stays.
    proc_required: bool,
}

/// The folders from below `base` down to each of `keep` under it, parents
/// first, once each: made on an empty tmpfs over `base` so that the kept
/// folders can be bound back at their paths.
fn folders_down_to(base: &Path, keep: &[PathBuf]) -> io::Result<Vec<CString>> {
    let mut made = Vec::new();
    for real in keep {
        let Ok(rest) = real.strip_prefix(base) else {
            continue;
        };
        let mut at = base.to_path_buf();
        for part in rest.components() {
            at.push(part);
            let dir = CString::new(at.as_os_str().as_bytes()).map_err(io::Error::other)?;
            if !made.contains(&dir) {
                made.push(dir);
            }
        }
    }
    Ok(made)
}

/// What a program finds in its private trees at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TreeStart {
    /// The host's files (an overlay: what it writes stays its own).
    HostContent,
    /// Nothing (a tmpfs): for a program under the filesystem allowlist,
    /// which must not read the host's /tmp.
    Empty,
}

/// A folder covered with an empty tmpfs, read-only once the folders kept
/// under it (made there first, parents first) are bound back.
struct Hide {
    target: CString,
    made: Vec<CString>,
}

impl Hide {
    /// Mounts the empty tmpfs on the target and makes the folders to bind
    /// back there (read-only comes last, once they are bound). Raw
    /// syscalls on prepared memory only; false with errno set.
    unsafe fn cover(&self) -> bool {
        let tmpfs = c"tmpfs".as_ptr();
        let flags = libc::MS_NOSUID | libc::MS_NODEV;
        let options = c"mode=0755,size=1m".as_ptr();
        libc::mount(tmpfs, self.target.as_ptr(), tmpfs, flags, options.cast()) == 0
            && self.made.iter().all(|dir| make_dir(dir))
    }
}

/// mkdir, a folder already there being fine. Raw syscalls only; false with
/// errno set.
unsafe fn make_dir(dir: &CStr) -> bool {
    libc::mkdir(dir.as_ptr(), 0o755) == 0 || *libc::__errno_location() == libc::EEXIST
}

/// The layers of a working folder used in place ([`PrivateTmp::layered`]):
/// named relative to the staging tmpfs (the working directory while the
/// overlay is mounted), but for `lower`, where the real folder is bound
/// first. Trap: the real folder's own path cannot be the lower layer: under
/// a hidden class folder it is an empty folder by then, and a comma or a
/// colon in it would split the overlay's options.
struct CwdLayer {
    lower: CString,
    options: CString,
}

impl CwdLayer {
    const DIRS: [&'static CStr; 4] = [c"cwd", c"cwd/lower", c"cwd/upper", c"cwd/work"];
    const UPPER: &'static CStr = c"cwd/upper";
    const LOWER: &'static CStr = c"cwd/lower";

    fn new(staging: &CStr) -> io::Result<CwdLayer> {
        let mut lower = staging.to_bytes().to_vec();
        lower.extend_from_slice(b"/cwd/lower");
        Ok(CwdLayer {
            lower: CString::new(lower).map_err(io::Error::other)?,
            options: c"lowerdir=cwd/lower,upperdir=cwd/upper,workdir=cwd/work".into(),
        })
    }
}

struct Tree {
    target: CString,
    layer: CString,
    upper: CString,
    work: CString,
    options: CString,
}

impl Tree {
    /// The overlay of shared tree `target`, `SHARED_TREES[i]`: its layers
    /// are named relative to the staging tmpfs, which is the working
    /// directory while the overlays are mounted (see `enter`).
    fn new(i: usize, target: &str) -> io::Result<Tree> {
        let c = |s: &str| CString::new(s).map_err(io::Error::other);
        Ok(Tree {
            target: c(target)?,
            layer: c(&format!("{i}"))?,
            upper: c(&format!("{i}/upper"))?,
            work: c(&format!("{i}/work"))?,
            options: c(&format!(
                "lowerdir={target},upperdir={i}/upper,workdir={i}/work"
            ))?,
        })
    }
}

impl PrivateTmp {
    fn prepare(
        staging: &Path,
        keep: &[PathBuf],
        size: u64,
        hidden: &[PathBuf],
        start: TreeStart,
        cwd: Option<(&Path, WorkingFolder)>,
        trusted: &[PathBuf],
    ) -> io::Result<PrivateTmp> {
        let c = |s: &str| CString::new(s).map_err(io::Error::other);
        let mut trees = Vec::new();
        let mut real_trees = Vec::new();
        for (i, target) in SHARED_TREES.iter().enumerate() {
            // Only a real folder: a symlinked /var/tmp is left alone.
            let is_dir = Path::new(target)
                .symlink_metadata()
                .is_ok_and(|m| m.is_dir());
            if !is_dir {
                continue;
            }
            real_trees.push(PathBuf::from(target));
            trees.push(Tree::new(i, target)?);
        }
        let cpath = |p: &Path| CString::new(p.as_os_str().as_bytes()).map_err(io::Error::other);
        let real_keep: Vec<PathBuf> = keep.iter().filter_map(|p| p.canonicalize().ok()).collect();
        // Trap: `/`, or a folder holding a shared tree or the program's own
        // folder itself, cannot be covered without taking what the
        // program needs.
        let hidden: Vec<&PathBuf> = hidden
            .iter()
            .filter(|h| h.is_dir() && h.parent().is_some())
            .filter(|h| !real_trees.iter().any(|t| t.starts_with(h)))
            .filter(|h| !real_keep.contains(h))
            // An empty tree hides what was under it already (and has no
            // folder there to mount on).
            .filter(|h| {
                start == TreeStart::HostContent || !real_trees.iter().any(|t| h.starts_with(t))
            })
            .collect();
        // Trap: a results folder inside the class folder (or the class
        // inside the results): the outer tmpfs already hides the inner
        // one, whose path no longer exists to mount on (ENOENT: every
        // program would fail to start).
        let hidden: Vec<&PathBuf> = hidden
            .iter()
            .filter(|h| {
                !hidden
                    .iter()
                    .any(|outer| outer != *h && h.starts_with(outer))
            })
            .copied()
            .take(MAX_HIDE)
            .collect();
        let veil_target = Path::new(VEILED)
            .symlink_metadata()
            .is_ok_and(|m| m.is_dir())
            .then(|| PathBuf::from(VEILED))
            .filter(|v| !real_keep.contains(v));
        let real_cwd = cwd.and_then(|(d, _)| d.canonicalize().ok());
        // A layered working folder is mounted on its own, never bound back.
        let layered_cwd = real_cwd
            .as_ref()
            .filter(|_| cwd.is_some_and(|(_, how)| how == WorkingFolder::Layered));
        let mut kept = Vec::new();
        for real in &real_keep {
            if Some(real) == layered_cwd {
                continue;
            }
            let under = real_trees
                .iter()
                .chain(hidden.iter().copied())
                .chain(veil_target.iter())
                .any(|t| real.starts_with(t) && real != t);
            if under && kept.len() < MAX_KEEP {
                let path = cpath(real)?;
                if !kept.contains(&path) {
                    kept.push(path);
                }
            }
        }
        let hide_targets: Vec<PathBuf> = hidden.iter().map(|h| (*h).clone()).collect();
        let protect = match &real_cwd {
            Some(dir) if is_root() => dir
                .parent()
                .filter(|p| p.parent().is_some())
                .filter(|p| !real_trees.iter().any(|t| p.starts_with(t)))
                .filter(|p| !hide_targets.iter().any(|h| p.starts_with(h)))
                .map(Path::to_path_buf),
            _ => None,
        };
        if let (Some(_), Some(dir), None) = (&protect, &real_cwd, layered_cwd) {
            // Its own folder stays as writable as it was: bound back over
            // the read-only parent (round 8c: it was read-only, and a
            // server writing its log there would have failed).
            let path = cpath(dir)?;
            if !kept.contains(&path) && kept.len() < MAX_KEEP {
                kept.push(path);
            }
        }
        let mut veil_links = Vec::new();
        if let Some(veiled) = &veil_target {
            for entry in std::fs::read_dir(veiled)?.flatten() {
                if entry.file_type().is_ok_and(|t| t.is_symlink()) {
                    if let Ok(to) = std::fs::read_link(entry.path()) {
                        veil_links.push((cpath(&entry.path())?, cpath(&to)?));
                    }
                }
            }
        }
        let veil = match &veil_target {
            Some(veiled) => {
                // Folders to mount on in the cover: the kept ones, the
                // shared trees and the hidden folders that lie in it.
                let mut inside = real_keep.clone();
                inside.extend(real_trees.iter().cloned());
                inside.extend(hidden.iter().map(|h| (*h).clone()));
                Some(Hide {
                    target: cpath(veiled)?,
                    made: folders_down_to(veiled, &inside)?,
                })
            }
            None => None,
        };
        let mut hide = Vec::new();
        for h in hidden {
            hide.push(Hide {
                target: cpath(h)?,
                made: folders_down_to(h, &real_keep)?,
            });
        }
        // An empty tree has no folder yet to bind a kept (or trusted) one
        // on. Made for an overlay too: it may have to start empty.
        let mut grown = Vec::new();
        let shown;
        {
            let real_trusted: Vec<PathBuf> = trusted
                .iter()
                .filter_map(|p| p.canonicalize().ok())
                .filter(|p| real_trees.iter().any(|t| p.starts_with(t) && p != t))
                .filter(|p| !real_keep.contains(p))
                .take(MAX_KEEP)
                .collect();
            for tree in &real_trees {
                grown.extend(folders_down_to(tree, &real_keep)?);
                for dir in folders_down_to(tree, &real_trusted)? {
                    if !grown.contains(&dir) {
                        grown.push(dir);
                    }
                }
            }
            shown = real_trusted
                .iter()
                .map(|p| cpath(p))
                .collect::<io::Result<_>>()?;
        }
        Ok(PrivateTmp {
            staging: cpath(staging)?,
            tmpfs_options: c(&format!("mode=0700,size={size}"))?,
            trees,
            start,
            empty: c(&format!("mode=1777,size={size}"))?,
            grown,
            shown,
            protect: protect.map(|p| cpath(&p)).transpose()?,
            layered: match layered_cwd {
                Some(_) => Some(CwdLayer::new(&cpath(staging)?)?),
                None => None,
            },
            cwd: real_cwd.map(|d| cpath(&d)).transpose()?,
            cwd_pin: None,
            keep: kept,
            hide,
            veil,
            veil_links,
            proc_required: is_root() && in_initial_user_namespace(),
        })
    }

    /// In the launcher (or the probe's forked child), as root: a mount
    /// namespace of its own with the overlays in place. Raw syscalls on
    /// prepared memory only.
    unsafe fn enter(&self) -> io::Result<()> {
        let fail = || Err(io::Error::last_os_error());
        if libc::unshare(libc::CLONE_NEWNS) != 0 {
            return fail();
        }
        // Trap: mounts are shared with the host by default (systemd makes
        // / shared): without this, the overlays would appear outside too.
        let none = std::ptr::null();
        let private = libc::MS_REC | libc::MS_PRIVATE;
        if libc::mount(none, c"/".as_ptr(), none, private, none.cast()) != 0 {
            return fail();
        }
        // Private first: a detach must not reach the host's table.
        self.detach_other_checks();
        // Descriptors on the folders to write through, and on the working
        // folder, taken before the overlays cover their paths. Trap: after
        // the unshare, not before: a bind mount's source must belong to
        // the caller's namespace (EINVAL otherwise).
        let dir_flags = libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC;
        let mut fds = [-1 as libc::c_int; MAX_KEEP];
        for (fd, path) in fds.iter_mut().zip(&self.keep) {
            *fd = libc::open(path.as_ptr(), dir_flags);
            if *fd < 0 {
                return fail();
            }
        }
        let mut shown_fds = [-1 as libc::c_int; MAX_KEEP];
        for (fd, path) in shown_fds.iter_mut().zip(&self.shown) {
            *fd = libc::open(path.as_ptr(), dir_flags);
            if *fd < 0 {
                return fail();
            }
        }
        let here = libc::open(c".".as_ptr(), dir_flags);
        if here < 0 {
            return fail();
        }
        // The folder entered must be the one pinned (see `Jail::pin`): not
        // one a link flipped into its path since leads to.
        if let Some((dev, ino)) = self.cwd_pin {
            let mut stat: libc::stat = std::mem::zeroed();
            #[allow(clippy::useless_conversion)]
            let same = libc::fstat(here, &mut stat) == 0
                && u64::from(stat.st_dev) == dev
                && u64::from(stat.st_ino) == ino;
            if !same {
                return Err(io::Error::from_raw_os_error(libc::ESTALE));
            }
        }
        let tmpfs = c"tmpfs".as_ptr();
        let flags = libc::MS_NOSUID | libc::MS_NODEV;
        if libc::mount(
            tmpfs,
            self.staging.as_ptr(),
            tmpfs,
            flags,
            self.tmpfs_options.as_ptr().cast(),
        ) != 0
            || libc::chdir(self.staging.as_ptr()) != 0
        {
            return fail();
        }
        let staged = libc::open(c".".as_ptr(), dir_flags);
        if staged < 0 {
            return fail();
        }
        if let Some(layer) = &self.layered {
            if !layer.prepare(here, staged) {
                return fail();
            }
        }
        // Paths from here on may lead into the cover (the staging folder
        // is reached through `staged`).
        if let Some(veil) = &self.veil {
            if !veil.cover() {
                return fail();
            }
            for (path, to) in &self.veil_links {
                if libc::symlink(to.as_ptr(), path.as_ptr()) != 0
                    && *libc::__errno_location() != libc::EEXIST
                {
                    return fail();
                }
            }
            if libc::fchdir(staged) != 0 {
                return fail();
            }
        }
        let empty_tree = |tree: &Tree| {
            libc::mount(
                tmpfs,
                tree.target.as_ptr(),
                tmpfs,
                flags,
                self.empty.as_ptr().cast(),
            ) == 0
        };
        let mut emptied = self.start == TreeStart::Empty;
        // Which trees had to start empty (see below); on the stack.
        let mut emptied_trees = [false; SHARED_TREES.len()];
        for (i, tree) in self.trees.iter().enumerate() {
            if self.start == TreeStart::Empty {
                if !empty_tree(tree) {
                    return fail();
                }
                continue;
            }
            // The upper layer's root gives the merged root its mode: the
            // sticky, world-writable mode of a shared tree (umask aside).
            if libc::mkdir(tree.layer.as_ptr(), 0o700) != 0
                || libc::mkdir(tree.upper.as_ptr(), 0o700) != 0
                || libc::chmod(tree.upper.as_ptr(), 0o1777) != 0
                || libc::mkdir(tree.work.as_ptr(), 0o700) != 0
            {
                return fail();
            }
            let overlay = c"overlay".as_ptr();
            if libc::mount(
                overlay,
                tree.target.as_ptr(),
                overlay,
                flags,
                tree.options.as_ptr().cast(),
            ) == 0
            {
                continue;
            }
            // Trap: in a user namespace (no root) the kernel refuses a
            // lower layer with mounts of the host's below it (EINVAL,
            // "failed to clone lowerpath": they are locked), a root
            // grader's check folders in /dev/shm among them. Private all
            // the same: empty.
            if *libc::__errno_location() != libc::EINVAL || !empty_tree(tree) {
                return fail();
            }
            emptied = true;
            if let Some(slot) = emptied_trees.get_mut(i) {
                *slot = true;
            }
        }
        if emptied && !self.grown.iter().all(|dir| make_dir(dir)) {
            return fail();
        }
        // A folder hidden in a tree that had to start empty is gone with
        // the tree's content: nothing to cover (nor path to mount on). One
        // in a tree still an overlay is covered as ever.
        let hides = || {
            self.hide
                .iter()
                .filter(move |hide| !self.in_a_tree(&hide.target, &emptied_trees))
        };
        if !hides().all(|hide| hide.cover()) {
            return fail();
        }
        if let Some(parent) = &self.protect {
            if !bind_read_only(parent, parent) {
                return fail();
            }
        }
        for (fd, path) in fds.iter().zip(&self.keep) {
            // "." is the real folder (reached through the descriptor), the
            // target its path, now inside the overlay (or a hiding tmpfs).
            if libc::fchdir(*fd) != 0
                || libc::mount(
                    c".".as_ptr(),
                    path.as_ptr(),
                    none,
                    libc::MS_BIND | libc::MS_REC,
                    none.cast(),
                ) != 0
            {
                return fail();
            }
            libc::close(*fd);
        }
        if let (Some(layer), Some(cwd)) = (&self.layered, &self.cwd) {
            if !layer.mount(cwd, staged) {
                return fail();
            }
        }
        libc::close(staged);
        for (fd, path) in shown_fds.iter().zip(&self.shown) {
            // "." is the real folder, reached through the descriptor.
            if emptied && (libc::fchdir(*fd) != 0 || !bind_read_only(c".", path)) {
                return fail();
            }
            libc::close(*fd);
        }
        for hide in hides().chain(&self.veil) {
            let read_only = libc::MS_REMOUNT | libc::MS_RDONLY | flags | libc::MS_NOEXEC;
            if libc::mount(none, hide.target.as_ptr(), none, read_only, none.cast()) != 0 {
                return fail();
            }
        }
        // Back to the working folder by its path, now the bind mount: its
        // `..` is then what the program is meant to see. Trap (hostile
        // round 8): through the descriptor taken before the mounts, `..`
        // of a folder run in place was the real class folder, hidden or
        // not, and a classmate's server was copied from it.
        let back = match &self.cwd {
            Some(cwd) if libc::chdir(cwd.as_ptr()) == 0 => 0,
            _ => libc::fchdir(here),
        };
        libc::close(here);
        if back != 0 {
            return fail();
        }
        // The program's own procfs (it is PID 2 of its namespace here),
        // other users' processes invisible: netlab's init (PID 1, root's)
        // is still in the machine's mount namespace, and its mountinfo
        // listed every check's folders on the machine, live (hostile
        // round 32). `hidepid=invisible` needs Linux 5.8; without it, the
        // plain procfs.
        let proc_flags = libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
        let proc = c"proc".as_ptr();
        let hidden = c"hidepid=invisible".as_ptr();
        if libc::mount(proc, c"/proc".as_ptr(), proc, proc_flags, hidden.cast()) != 0
            && libc::mount(proc, c"/proc".as_ptr(), proc, proc_flags, none.cast()) != 0
            && self.proc_required
        {
            return fail();
        }
        Ok(())
    }
}

impl PrivateTmp {
    /// Does `path` lie in one of the shared trees marked in `which` (by
    /// their place in `trees`)?
    fn in_a_tree(&self, path: &CStr, which: &[bool]) -> bool {
        let path = path.to_bytes();
        self.trees.iter().zip(which).any(|(tree, marked)| {
            let tree = tree.target.to_bytes();
            *marked && path.starts_with(tree) && path.get(tree.len()) == Some(&b'/')
        })
    }
}

/// Room for the mount points [`PrivateTmp::detach_other_checks`] collects
/// in one pass (NUL-separated, on the stack: no allocation after a fork).
const DETACH_ROOM: usize = 32 << 10;
/// The longest mountinfo line read whole; a longer one is skipped.
const MOUNTINFO_LINE: usize = 4 << 10;

impl PrivateTmp {
    /// Detaches, in this (private) mount namespace, the folders of every
    /// other check on the machine: jail copies, snapshots and given
    /// folders (`netlab-jail-*`, `netlab-grade-*`), this grader's or
    /// another's, except the ones this program is given. Trap (hostile
    /// round 33): the namespace starts as a copy of the host's, and its
    /// `/proc/self/mountinfo` listed a classmate's folders, live, even
    /// once the empty /dev/shm covered them (their content was out of
    /// reach: 0700, another uid, Landlock). Best effort: a mount locked
    /// in an unprivileged user namespace stays. Raw syscalls on the stack
    /// only (see the module header).
    unsafe fn detach_other_checks(&self) {
        // A few passes: collected first, detached after (the table moves
        // under a reader), and more than one pass's room is rare.
        for _ in 0..4 {
            let mut found = [0u8; DETACH_ROOM];
            let (used, full) = self.collect_other_checks(&mut found);
            for point in found[..used].split_inclusive(|b| *b == 0) {
                libc::umount2(
                    point.as_ptr().cast(),
                    libc::MNT_DETACH | libc::UMOUNT_NOFOLLOW,
                );
            }
            if !full {
                return;
            }
        }
    }

    /// Reads this namespace's mount table into `found`: the mount points
    /// [`Self::is_other_check`] names, each ended by a NUL. Returns the
    /// bytes used and whether one did not fit.
    unsafe fn collect_other_checks(&self, found: &mut [u8]) -> (usize, bool) {
        let fd = libc::open(
            c"/proc/self/mountinfo".as_ptr(),
            libc::O_RDONLY | libc::O_CLOEXEC,
        );
        if fd < 0 {
            return (0, false);
        }
        let (mut used, mut full) = (0, false);
        let mut line = [0u8; MOUNTINFO_LINE];
        let (mut len, mut too_long) = (0, false);
        let mut chunk = [0u8; 4096];
        loop {
            let n = libc::read(fd, chunk.as_mut_ptr().cast(), chunk.len());
            if n <= 0 {
                break;
            }
            for &b in &chunk[..n as usize] {
                if b != b'\n' {
                    match line.get_mut(len) {
                        Some(slot) => *slot = b,
                        None => too_long = true,
                    }
                    len += 1;
                    continue;
                }
                let point = (!too_long).then(|| mount_point(&mut line[..len])).flatten();
                if let Some(point) = point.filter(|p| self.is_other_check(p)) {
                    match found.get_mut(used..used + point.len() + 1) {
                        Some(room) => {
                            room[..point.len()].copy_from_slice(point);
                            room[point.len()] = 0;
                            used += point.len() + 1;
                        }
                        None => full = true,
                    }
                }
                (len, too_long) = (0, false);
            }
        }
        libc::close(fd);
        (used, full)
    }

    /// Is the mount point `point` another check's folder: named as
    /// netlab names them, and neither a folder this program is given nor
    /// one holding it?
    fn is_other_check(&self, point: &[u8]) -> bool {
        let name = point.rsplit(|b| *b == b'/').next().unwrap_or_default();
        let netlabs = [super::JAIL_PREFIX, super::GIVEN_PREFIX]
            .iter()
            .any(|prefix| name.starts_with(prefix.as_bytes()));
        let holds = |given: &CString| {
            let given = given.as_bytes();
            given.starts_with(point)
                && (given.len() == point.len() || given.get(point.len()) == Some(&b'/'))
        };
        netlabs
            && !self
                .cwd
                .iter()
                .chain(&self.keep)
                .chain(&self.shown)
                .chain(std::iter::once(&self.staging))
                .any(holds)
    }
}

/// The mount point of one line of `/proc/*/mountinfo` (its fifth field),
/// its octal escapes (`\040` for a space) decoded in place.
fn mount_point(line: &mut [u8]) -> Option<&[u8]> {
    let start = line
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b' ')
        .nth(3)?
        .0
        + 1;
    let end = line[start..]
        .iter()
        .position(|b| *b == b' ')
        .map_or(line.len(), |i| start + i);
    let field = &mut line[start..end];
    let (mut read, mut write) = (0, 0);
    while read < field.len() {
        let octal = field
            .get(read + 1..read + 4)
            // At most \377: the first digit 0 to 3.
            .filter(|d| field[read] == b'\\' && (b'0'..=b'3').contains(&d[0]))
            .filter(|d| d.iter().all(|c| (b'0'..=b'7').contains(c)));
        let byte = match octal {
            Some(d) => {
                read += 4;
                (d[0] - b'0') << 6 | (d[1] - b'0') << 3 | (d[2] - b'0')
            }
            None => {
                read += 1;
                field[read - 1]
            }
        };
        field[write] = byte;
        write += 1;
    }
    Some(&field[..write])
}

impl CwdLayer {
    /// In [`PrivateTmp::enter`], its working directory the staging tmpfs,
    /// before the shared trees are mounted (the staging folder may lie in
    /// one, /dev/shm, and its path lead elsewhere after): makes the layers
    /// and binds the real folder (`here`, a descriptor taken before the
    /// mounts) as the lower one. Back in the staging tmpfs (`staged`) at
    /// the end. Raw syscalls on prepared memory only; false with errno set.
    unsafe fn prepare(&self, here: libc::c_int, staged: libc::c_int) -> bool {
        // The upper layer's root gives the merged root its owner and mode:
        // those of the real folder, so that the program may write there
        // exactly where it could before (its writes now stay in memory).
        let mut real: libc::stat = std::mem::zeroed();
        if libc::fstat(here, &mut real) != 0 {
            return false;
        }
        for dir in CwdLayer::DIRS {
            if libc::mkdir(dir.as_ptr(), 0o700) != 0 {
                return false;
            }
        }
        let upper = CwdLayer::UPPER.as_ptr();
        // The owner may be unmapped here (a rootless container): then the
        // mode alone, never a failed launch.
        let _ = libc::chown(upper, real.st_uid, real.st_gid);
        if libc::chmod(upper, real.st_mode & 0o7777) != 0 {
            return false;
        }
        // "." is the real folder, reached through the descriptor; bound
        // read-only, so that nothing in this namespace writes it through
        // the lower layer's path (hostile round 12: it was writable there,
        // out of the program's sight only because /dev/shm is private).
        libc::fchdir(here) == 0 && bind_read_only(c".", &self.lower) && libc::fchdir(staged) == 0
    }

    /// Then, once the folders above it are in place (a hidden class
    /// folder's tmpfs, a read-only parent): mounts the overlay on the
    /// working folder `cwd`. Where the kernel refuses it (the folder's
    /// filesystem cannot be a lower layer), the real folder goes there
    /// read-only instead: never written through. Raw syscalls only; false
    /// with errno set.
    unsafe fn mount(&self, cwd: &CStr, staged: libc::c_int) -> bool {
        if libc::fchdir(staged) != 0 {
            return false;
        }
        let overlay = c"overlay".as_ptr();
        let flags = libc::MS_NOSUID | libc::MS_NODEV;
        libc::mount(
            overlay,
            cwd.as_ptr(),
            overlay,
            flags,
            self.options.as_ptr().cast(),
        ) == 0
            || bind_read_only(CwdLayer::LOWER, cwd)
    }
}

/// Binds `source` on `target`, read-only (no setuid, no devices). Raw
/// syscalls only; false with errno set.
unsafe fn bind_read_only(source: &std::ffi::CStr, target: &std::ffi::CStr) -> bool {
    let none = std::ptr::null();
    let read_only =
        libc::MS_REMOUNT | libc::MS_BIND | libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV;
    libc::mount(
        source.as_ptr(),
        target.as_ptr(),
        none,
        libc::MS_BIND,
        none.cast(),
    ) == 0
        && libc::mount(none, target.as_ptr(), none, read_only, none.cast()) == 0
}

/// Tries the private trees in a forked child, exactly as a program gets
/// them (an overlay may be refused: an old kernel, a container).
fn probe_private_tmp(in_user_namespace: bool) -> Result<(), String> {
    let staging = tempfile::Builder::new()
        .prefix("netlab-tmp-")
        .tempdir()
        .map_err(|e| format!("no folder for the private layers: {e}"))?;
    let plan = PrivateTmp::prepare(
        staging.path(),
        &[],
        1 << 20,
        &[],
        TreeStart::HostContent,
        None,
        &[],
    )
    .map_err(|e| format!("cannot prepare the private layers: {e}"))?;
    let maps = in_user_namespace.then(UserMaps::current);
    let mut probe = Command::new("sh");
    probe.args(["-c", ":"]);
    probe.stdin(std::process::Stdio::null());
    // SAFETY: raw syscalls on memory prepared before the fork.
    unsafe {
        probe.pre_exec(move || {
            if let Some(maps) = &maps {
                maps.enter_with_new_pids()?;
            }
            plan.enter()
        });
    }
    let without = if in_user_namespace {
        "; without root it needs unprivileged user namespaces and overlays in them"
    } else {
        ""
    };
    match probe.status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("the overlay probe ended with {status}{without}")),
        Err(e) => Err(format!("cannot mount private overlays ({e}){without}")),
    }
}

/// Writes our pid into a cgroup.procs file, without allocating.
unsafe fn join_cgroup(path: &CString) -> bool {
    let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
    if fd < 0 {
        return false;
    }
    let written = write_own_pid(fd);
    libc::close(fd);
    written
}

/// Writes our pid (in decimal) to `fd`, a cgroup.procs file: joins that
/// cgroup. Without allocating.
unsafe fn write_own_pid(fd: libc::c_int) -> bool {
    let mut digits = [0u8; 16];
    let mut pid = libc::getpid() as u32;
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (pid % 10) as u8;
        pid /= 10;
        if pid == 0 {
            break;
        }
    }
    let written = libc::write(fd, digits[at..].as_ptr().cast(), digits.len() - at);
    written == (digits.len() - at) as isize
}

unsafe fn set_limits(limits: &Limits, own_uid: bool) {
    let mut pairs = [
        (libc::RLIMIT_DATA, limits.memory_bytes),
        (libc::RLIMIT_CPU, limits.cpu_secs),
        (libc::RLIMIT_FSIZE, limits.file_bytes),
        (libc::RLIMIT_NOFILE, limits.open_files),
        (libc::RLIMIT_CORE, 0),
        // Locked memory: 64 KiB, the kernel's old default, not the
        // grader's (often 8 MiB, or unlimited in a container): each of a
        // tree's processes may lock that much (hostile round 27).
        (libc::RLIMIT_MEMLOCK, super::MEMLOCK_BYTES),
        // RLIMIT_NPROC counts every process of the uid: only meaningful
        // (and only harmless to the grader) under a uid of its own.
        (libc::RLIMIT_NPROC, limits.processes),
    ];
    let count = if own_uid {
        pairs.len()
    } else {
        pairs.len() - 1
    };
    for (resource, value) in &mut pairs[..count] {
        // CPU: SIGXCPU at the soft limit (named by its status), SIGKILL a
        // little later for a program that handles or ignores it.
        let grace = if *resource == libc::RLIMIT_CPU {
            super::CPU_GRACE_SECS
        } else {
            0
        };
        let lim = libc::rlimit {
            rlim_cur: *value as libc::rlim_t,
            rlim_max: (*value + grace) as libc::rlim_t,
        };
        libc::setrlimit(*resource, &lim);
    }
}

/// close_range(2); a loop where the kernel is older than 5.9.
unsafe fn close_fds(first: u32, last: u32) {
    if first > last {
        return;
    }
    if libc::syscall(libc::SYS_close_range, first, last, 0) != 0 {
        for fd in first..last.min(4096) {
            libc::close(fd as libc::c_int);
        }
    }
}

/// Marks every fd from `first` up close-on-exec: nothing the grader holds
/// (a redirected report, a socket) reaches the program.
unsafe fn mark_fds_cloexec(first: u32) {
    if libc::syscall(
        libc::SYS_close_range,
        first,
        u32::MAX,
        libc::CLOSE_RANGE_CLOEXEC,
    ) != 0
    {
        for fd in first..4096 {
            libc::fcntl(fd as libc::c_int, libc::F_SETFD, libc::FD_CLOEXEC);
        }
    }
}

/// Closes every fd except `keep`.
unsafe fn close_all_but(keep: libc::c_int) {
    let keep = keep as u32;
    if keep > 0 {
        close_fds(0, keep - 1);
    }
    close_fds(keep + 1, u32::MAX);
}

/// A user namespace in which our uid and gid map to themselves: the
/// program sees the same ids as outside, and we may make a pid namespace.
#[derive(Debug, Clone)]
struct UserMaps {
    uid_line: Vec<u8>,
    gid_line: Vec<u8>,
}

impl UserMaps {
    fn current() -> UserMaps {
        // SAFETY: getuid/getgid cannot fail.
        let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
        UserMaps {
            uid_line: format!("{uid} {uid} 1\n").into_bytes(),
            gid_line: format!("{gid} {gid} 1\n").into_bytes(),
        }
    }

    /// In the launcher (or a probe's forked child): a new user namespace
    /// (mapping our ids to themselves; setgroups denied first, as the
    /// kernel requires of an unprivileged writer of gid_map) and a new pid
    /// namespace for the children made after. Raw syscalls only.
    fn enter_with_new_pids(&self) -> io::Result<()> {
        // SAFETY: raw syscalls on memory prepared before the fork.
        unsafe {
            if libc::unshare(libc::CLONE_NEWUSER | PID_AND_IPC) != 0 {
                return Err(io::Error::last_os_error());
            }
            write_file(c"/proc/self/setgroups", b"deny")?;
            write_file(c"/proc/self/uid_map", &self.uid_line)?;
            write_file(c"/proc/self/gid_map", &self.gid_line)?;
        }
        Ok(())
    }
}

unsafe fn write_file(path: &std::ffi::CStr, bytes: &[u8]) -> io::Result<()> {
    let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    let written = libc::write(fd, bytes.as_ptr().cast(), bytes.len());
    let err = io::Error::last_os_error();
    libc::close(fd);
    if written != bytes.len() as isize {
        return Err(err);
    }
    Ok(())
}

/// The pid namespace, from the launcher (or the grader's fork that stands
/// in for one; call it the *waiter*, W):
///
/// ```text
/// grader ── W (our pid P, group P) ── init (PID 1) ── program (PID 2)
/// ```
///
/// - W has unshared the pid namespace (inside a user namespace of its own
///   when not root); it forks the init, then waits for the
///   program's status from it and dies the same way (exit code, or the same
///   signal): std sees the program's exact status.
/// - The init forks the program, reaps every orphan of the namespace, and
///   when the program ends reports its status and exits: the kernel then
///   kills everything left in the namespace, however it detached.
/// - The program is PID 2, not 1: PID 1 ignores signals it has no handler
///   for, which would change its behaviour. All three share group P, so
///   `killpg(P, SIGINT)` still reaches the program; W ignores it and the
///   init (as namespace init) is not disturbed by it.
///
/// Returns only in the program's process.
unsafe fn split_for_pid_namespace() -> io::Result<()> {
    let mut fds = [0 as libc::c_int; 2];
    if libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) != 0 {
        return Err(io::Error::last_os_error());
    }
    let (read_end, write_end) = (fds[0], fds[1]);
    let init = libc::fork();
    if init < 0 {
        return Err(io::Error::last_os_error());
    }
    if init > 0 {
        waiter(init, read_end); // never returns
    }
    // The init (PID 1). If W dies (SIGKILL to the group), die with it.
    // Trap: getppid() cannot tell whether W died before this prctl: W is
    // outside the namespace, so the init always sees 0. The SIGKILL that
    // kills W goes to the whole group, which the init has joined at the
    // fork, so it is reached anyway.
    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
    libc::close(read_end);
    let program = libc::fork();
    if program < 0 {
        launch::report_setup_failure(*libc::__errno_location());
    }
    if program != 0 {
        init_loop(program, write_end); // never returns
    }
    // The program (PID 2): dies with the init; if the init is already
    // gone, so is the namespace, and this fork would have failed.
    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
    if libc::getppid() != 1 {
        libc::_exit(137);
    }
    libc::close(write_end);
    Ok(())
}

unsafe fn waiter(init: libc::pid_t, read_end: libc::c_int) -> ! {
    // A Ctrl+C for the program's group must not end the waiter early.
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT] {
        libc::signal(sig, libc::SIG_IGN);
    }
    let no_core = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    libc::setrlimit(libc::RLIMIT_CORE, &no_core);
    close_all_but(read_end);
    let mut status: libc::c_int = 0;
    let mut got = 0usize;
    let buf = &mut status as *mut libc::c_int as *mut u8;
    while got < 4 {
        let n = libc::read(read_end, buf.add(got).cast(), 4 - got);
        if n > 0 {
            got += n as usize;
        } else if n == 0 || *libc::__errno_location() != libc::EINTR {
            break;
        }
    }
    while libc::waitpid(init, std::ptr::null_mut(), 0) < 0
        && *libc::__errno_location() == libc::EINTR
    {}
    if got < 4 {
        // The init was killed (the grader killed the group): so are we.
        libc::kill(libc::getpid(), libc::SIGKILL);
    }
    mirror(status)
}

unsafe fn init_loop(program: libc::pid_t, write_end: libc::c_int) -> ! {
    close_all_but(write_end);
    let mut status: libc::c_int = 0;
    if program < 0 {
        status = 127 << 8;
    } else {
        loop {
            let mut st: libc::c_int = 0;
            let pid = libc::waitpid(-1, &mut st, 0);
            if pid == program {
                status = st;
                break;
            }
            if pid < 0 && *libc::__errno_location() != libc::EINTR {
                break;
            }
            // An orphan of the namespace: reaped, nothing more.
        }
    }
    let bytes = &status as *const libc::c_int as *const libc::c_void;
    libc::write(write_end, bytes, 4);
    // Exiting ends the namespace: the kernel kills whatever is left.
    libc::_exit(0)
}

/// Ends this process the way the program ended.
unsafe fn mirror(status: libc::c_int) -> ! {
    if libc::WIFSIGNALED(status) {
        let sig = libc::WTERMSIG(status);
        libc::signal(sig, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, sig);
        libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::kill(libc::getpid(), sig);
        libc::_exit(128 + sig);
    }
    libc::_exit(libc::WEXITSTATUS(status))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A check's network namespace bounds every TCP socket's receive
    /// buffer (hostile round 30), and only there: the grader's own
    /// namespace keeps the machine's setting.
    #[test]
    fn a_checks_network_bounds_receive_buffers_and_only_its_own() {
        if !is_root() {
            eprintln!("skipped: not root");
            return;
        }
        let read = || std::fs::read_to_string("/proc/sys/net/ipv4/tcp_rmem").unwrap();
        let outside = read();
        let inside = std::thread::spawn(move || {
            enter_new_network().unwrap();
            read()
                .split_whitespace()
                .nth(2)
                .unwrap()
                .parse::<usize>()
                .unwrap()
        })
        .join()
        .unwrap();
        assert!(inside <= RECEIVE_BUFFER_MAX, "{inside}");
        assert_eq!(read(), outside, "the grader's own namespace is untouched");
    }

    #[test]
    fn a_mount_point_is_read_from_its_mountinfo_line() {
        let mut line =
            *b"312 29 0:71 / /dev/shm/netlab-jail-9-a\\040b\\134 rw,nosuid - tmpfs tmpfs rw";
        assert_eq!(
            mount_point(&mut line),
            Some(&b"/dev/shm/netlab-jail-9-a b\\"[..])
        );
        // Not an escape: left as it is.
        let mut odd = *b"1 2 0:1 / /x\\9z\\4 rw";
        assert_eq!(mount_point(&mut odd), Some(&b"/x\\9z\\4"[..]));
        assert_eq!(mount_point(&mut b"1 2 0:1".to_vec()), None);
    }

    #[test]
    fn a_leftover_names_its_maker() {
        assert_eq!(maker_pid("1234-7"), Some(1234));
        assert_eq!(maker_pid("1234-a8Xz"), Some(1234));
        // Folders of older graders (no pid in the name) are never swept.
        assert_eq!(maker_pid("a8Xz0q"), None);
        assert!(alive(std::process::id() as i32));
    }

    /// A tree on the unified hierarchy, end to end, where this machine
    /// has one (a hybrid machine's, without the memory and pids
    /// controllers: the limits themselves are v1's here, see
    /// `cgroup::tests`): the program's CPU time apart from its tree's, a
    /// detached member killed, the folders removed, the totals added to.
    #[test]
    fn a_tree_on_cgroup_v2_is_measured_killed_and_removed() {
        use std::sync::atomic::Ordering::Relaxed;
        let Some(root) = cgroup::unified_root().filter(|_| is_root()) else {
            eprintln!("skipped: no cgroup v2 hierarchy, or not root");
            return;
        };
        let hierarchy = cgroup::Hierarchy::V2 {
            root,
            limited: false,
        };
        hierarchy.prepare().unwrap();
        let name = format!("{}-v2test", std::process::id());
        let tree = cgroup::make_tree(&hierarchy, &name, &Limits::default()).unwrap();
        let program = cgroup::make_program(&tree).expect("a program cgroup");
        let tree_dir = tree.cpu.clone().expect("v2 counts the tree's CPU time");
        assert_eq!(tree.dirs, std::slice::from_ref(&tree_dir));
        // A waiter in the tree; the program in `program`: a busy loop, then
        // a detached sleeper and a sleep.
        let script = format!(
            "echo $$ > {tree}/cgroup.procs; sh -c 'echo $$ > {program}/cgroup.procs; i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; setsid sleep 60 & exec sleep 60' & wait",
            tree = tree_dir.display(),
            program = program.display(),
        );
        let mut child = Command::new("sh").args(["-c", &script]).spawn().unwrap();
        let members = || {
            std::fs::read_to_string(program.join("cgroup.procs"))
                .unwrap_or_default()
                .lines()
                .filter_map(|l| l.trim().parse::<i32>().ok())
                .collect::<Vec<_>>()
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while members().len() < 2 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let detached = members();
        assert_eq!(detached.len(), 2, "the busy loop ended in two sleepers");
        let mut installed = Installed {
            cgroups: tree,
            program_cgroup: Some(program.clone()),
            tag: None,
            staging: None,
            pending: None,
            launch_cpu_ns: 0,
            finished: false,
            limited: false,
            watch: None,
            own_pid_namespace: false,
            tripwire: None,
        };
        let spent = installed.usage().cpu.expect("the program's CPU time");
        assert!(spent >= Duration::from_millis(10), "{spent:?}");
        let tree_ns = cgroup::cpu_ns(&tree_dir).unwrap();
        assert!(
            tree_ns >= spent.as_nanos() as u64,
            "the tree includes its program"
        );
        let before = PROGRAMS_CPU_NS.load(Relaxed);
        installed.finish();
        assert!(PROGRAMS_CPU_NS.load(Relaxed) - before >= spent.as_nanos() as u64);
        assert!(!tree_dir.exists() && !program.exists(), "removed");
        assert!(detached.iter().all(|pid| !alive(*pid)), "killed");
        let status = child.wait().unwrap();
        assert!(!status.success(), "the waiter was killed too: {status}");
    }
}
