//! The tripwire: the grader stops a program at the instant it begins to
//! send on one socket, before a byte leaves, and holds it there.
//!
//! Why (hostile round 44): a chat server that sends its ACK and only then
//! writes its log passed chat-log, which killed the server once the ACK
//! had come: the write followed the send by microseconds, long before the
//! kill. What the contract promises (an acknowledged message is on disk)
//! is about the order of two system calls, and only the kernel sees it.
//!
//! How: the program starts under a second seccomp filter (`filter::HOLD`)
//! that asks a listener about each call that can put bytes on a socket
//! (`SECCOMP_RET_USER_NOTIF`). The launcher hands the listener over before
//! its exec (`launch.rs`: the grader takes it with `pidfd_getfd`), and a
//! thread here answers each question: "go on" (`FLAG_CONTINUE`), except,
//! once armed with a socket's inode, for the sends on that socket: they
//! get no answer, so each sending thread waits in the kernel until the
//! check lets that send go (in order) or kills the tree. While a send is
//! held, the program's writes to regular files wait with it (a logger
//! thread's record, see [`to_a_file`]). The program's
//! memory is never read: what a held send carried is judged on the wire
//! once it is let go (hostile round 47 learnt which send was held from its
//! own page table when the grader read its buffer, and changed the buffer
//! after the read). A call that cannot put a byte there whatever its
//! memory holds (an empty send, `pwrite` on a socket: ESPIPE) goes on
//! unheld: hostile round 45 used an empty first piece, and a decoy
//! `pwrite` of `[ACK` from another thread, to slip the real ACK by.
//!
//! Not a security boundary: it only watches the order of a program's own
//! calls, and a program can time its own sends. Each send of the program
//! costs a round trip through this thread (some microseconds), so only a
//! check that asks for it starts its program this way; every program has
//! as many seccomp filters, though (`launch.rs`: a program that read
//! `Seccomp_filters: 2` in its status knew it was watched, round 47).
//!
//! Trap: the listener must outlive the program. Once it is closed, every
//! send the filter asks about fails with ENOSYS: a program whose listener
//! went first would be blamed for the grader's doing. It lives in the
//! program's `Installed`, dropped after its tree is killed.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use nix::libc;

use super::filter::{FILE_CHANGES, SENDS};

use crate::sandbox::Caught;

#[derive(Default)]
struct State {
    /// The socket (its inode) whose sends are held.
    armed: Option<u64>,
    /// The sends held, in the order they came, each with its question's
    /// id (to let it go). Every send on the armed socket is held, not only
    /// the first (hostile round 45: a decoy call that fails in the kernel,
    /// `pwrite` on a socket, was held as "the ACK" while another thread
    /// sent the real one).
    held: std::collections::VecDeque<(Caught, u64)>,
    /// The writes to files (their questions' ids) made while a send was
    /// held, held in turn until it is let go (see [`to_a_file`]).
    writes: Vec<u64>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

/// The thread answering one program tree's questions, and the way to arm
/// it. Dropped: the thread ends and the listener is closed (see the trap
/// in the module header).
pub struct Supervisor {
    shared: Arc<Shared>,
    listener: Arc<OwnedFd>,
    /// Written to end the thread.
    wake: Option<OwnedFd>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervisor").finish_non_exhaustive()
    }
}

impl Supervisor {
    /// Starts answering on `listener` (a seccomp notification listener).
    pub(in crate::sandbox) fn start(listener: OwnedFd) -> io::Result<Supervisor> {
        let (wake_read, wake_write) =
            nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(io::Error::from)?;
        let shared = Arc::new(Shared::default());
        let theirs = Arc::clone(&shared);
        let listener = Arc::new(listener);
        let answering = Arc::clone(&listener);
        let thread = std::thread::Builder::new()
            .name("netlab-tripwire".into())
            .spawn(move || answer(&answering, &wake_read, &theirs))?;
        Ok(Supervisor {
            shared,
            listener,
            wake: Some(wake_write),
            thread: Some(thread),
        })
    }

    /// Holds every send that would put bytes on the socket whose inode is
    /// `socket`, from now on, each in turn.
    pub fn arm(&self, socket: u64) {
        let mut state = self.lock();
        state.armed = Some(socket);
    }

    /// Waits up to `limit` for the first send held: what it was sending,
    /// its thread held in the kernel until [`Supervisor::release`].
    pub fn wait(&self, limit: Duration) -> Option<Caught> {
        let until = Instant::now() + limit;
        let mut state = self.lock();
        loop {
            if let Some((caught, _)) = state.held.front() {
                return Some(caught.clone());
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Holds nothing more, and lets every call held go on, in order.
    pub fn disarm(&self) {
        let mut state = self.lock();
        state.armed = None;
        for id in state.writes.drain(..) {
            go_on(&self.listener, id);
        }
        for (_, id) in state.held.drain(..) {
            go_on(&self.listener, id);
        }
    }

    /// Lets the first send held go on, and the writes to files held with
    /// it; the next send (held already, or to come while armed) is
    /// [`Supervisor::wait`]'s then.
    pub fn release(&self) {
        let mut state = self.lock();
        if let Some((_, id)) = state.held.pop_front() {
            for id in state.writes.drain(..) {
                go_on(&self.listener, id);
            }
            go_on(&self.listener, id);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        if let Some(wake) = self.wake.take() {
            // SAFETY: one byte from a buffer of ours to our own pipe.
            unsafe { libc::write(wake.as_raw_fd(), b"x".as_ptr().cast(), 1) };
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The thread's loop: every question answered "go on", but the armed one.
fn answer(listener: &OwnedFd, wake: &OwnedFd, shared: &Shared) {
    let mut asked: u64 = 0;
    loop {
        let mut fds = [
            libc::pollfd {
                fd: listener.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: wake.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // SAFETY: two valid pollfds. No timeout: the program's sends wait
        // on this thread, and its end is said on `wake`.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
        if ready < 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        if fds[1].revents != 0 {
            return;
        }
        if fds[0].revents & libc::POLLIN == 0 {
            // POLLHUP: no process of the tree is left.
            if fds[0].revents & (libc::POLLHUP | libc::POLLERR) != 0 {
                return;
            }
            continue;
        }
        // A program that sends without end makes this thread answer
        // without end, on the grader's CPU: past a real program's count,
        // each question waits a millisecond before it is taken (the
        // program's pace, not ours). Before it is taken, never between the
        // look at its descriptor and the answer: hostile round 46 swapped
        // the descriptor (dup2) in that millisecond.
        asked += 1;
        if asked > UNHURRIED {
            std::thread::sleep(Duration::from_millis(1));
        }
        // SAFETY: a zeroed plain-data struct, as the kernel requires.
        let mut question: libc::seccomp_notif = unsafe { std::mem::zeroed() };
        // SAFETY: the ioctl fills the struct of the size its number names.
        if unsafe {
            libc::ioctl(
                listener.as_raw_fd(),
                libc::SECCOMP_IOCTL_NOTIF_RECV,
                &mut question,
            )
        } != 0
        {
            // ENOENT: the caller died (or was interrupted) meanwhile.
            // Any other error would come again at once: a pause, so that
            // it cannot spin a core of the grader's.
            let error = io::Error::last_os_error().raw_os_error();
            if !matches!(error, Some(libc::ENOENT | libc::EINTR)) {
                std::thread::sleep(Duration::from_millis(1));
            }
            continue;
        }
        let (armed, holding) = {
            let state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
            (state.armed, !state.held.is_empty())
        };
        if holding && to_a_file(&question) && still_valid(listener, question.id) {
            let mut state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
            // Let go meanwhile: the write goes on.
            if !state.held.is_empty() {
                state.writes.push(question.id);
                continue; // no answer: held
            }
        }
        if let Some(socket) = armed {
            if on_socket(&question, socket) && still_valid(listener, question.id) {
                if let Some(caught) = sends(&question) {
                    let mut state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
                    // Disarmed meanwhile: nothing more is held.
                    if state.armed.is_some() {
                        state.held.push_back((caught, question.id));
                        shared.changed.notify_all();
                        continue; // no answer: held
                    }
                }
            }
        }
        go_on(listener, question.id);
    }
}

/// Questions answered at once; a chat server's session asks a few dozen.
const UNHURRIED: u64 = 10_000;

/// Answers question `id`: the call runs as if never asked about.
fn go_on(listener: &OwnedFd, id: u64) {
    let reply = libc::seccomp_notif_resp {
        id,
        val: 0,
        error: 0,
        flags: libc::SECCOMP_USER_NOTIF_FLAG_CONTINUE as u32,
    };
    // SAFETY: a plain-data struct of the size the ioctl names. An error
    // (ENOENT: the caller is gone) needs nothing more.
    unsafe {
        libc::ioctl(
            listener.as_raw_fd(),
            libc::SECCOMP_IOCTL_NOTIF_SEND,
            &reply as *const libc::seccomp_notif_resp,
        );
    }
}

/// The descriptor a send (or a file's change) names: `splice` and
/// `copy_file_range` name their target third.
fn target_fd(question: &libc::seccomp_notif) -> u64 {
    let nr = question.data.nr as libc::c_long;
    if nr == libc::SYS_splice || nr == libc::SYS_copy_file_range {
        question.data.args[2]
    } else {
        question.data.args[0]
    }
}

/// Does the question's call send on the socket `inode`? Read from the
/// caller's descriptor table (its pid is ours to read: the notification
/// names it in the grader's pid namespace).
fn on_socket(question: &libc::seccomp_notif, inode: u64) -> bool {
    if !SENDS.contains(&(question.data.nr as libc::c_long)) {
        return false;
    }
    let fd = target_fd(question) as i32;
    std::fs::read_link(format!("/proc/{}/fd/{fd}", question.pid))
        .is_ok_and(|link| link.as_os_str() == format!("socket:[{inode}]").as_str())
}

/// Does the question's call write to a regular file (a log)? Asked only
/// while a send is held: such a write waits until that send is let go, so
/// what a file holds at the hold is what the program wrote before the send
/// began. A logger thread fed by a queue wrote its record in the
/// microseconds the grader took from the held send to its read of the log,
/// and a compiled one passed chat-log 14 runs in 20 (hostile round 50).
/// Holding it costs a correct program nothing: its record came before its
/// send, and anything else it writes meanwhile only comes a little later.
/// (Any write call: `pwrite64`, which cannot send, writes a file at an
/// offset, as libuv's threads do; and the calls that change a file
/// otherwise, [`FILE_CHANGES`]. Stores into a shared mapping made before
/// the hold make no call, and are not held: a deliberate cheat.)
fn to_a_file(question: &libc::seccomp_notif) -> bool {
    let nr = question.data.nr as libc::c_long;
    if !SENDS.contains(&nr) && !FILE_CHANGES.contains(&nr) {
        return false;
    }
    let fd = target_fd(question) as i32;
    std::fs::metadata(format!("/proc/{}/fd/{fd}", question.pid)).is_ok_and(|m| m.is_file())
}

/// Is the question still pending (its caller not gone and its pid reused
/// while we read /proc)?
fn still_valid(listener: &OwnedFd, id: u64) -> bool {
    // SAFETY: the ioctl reads one u64 of ours.
    unsafe {
        libc::ioctl(
            listener.as_raw_fd(),
            libc::SECCOMP_IOCTL_NOTIF_ID_VALID,
            &id as *const u64,
        ) == 0
    }
}

/// The call `question` asks about, if it may put bytes on a socket,
/// judged from its arguments alone, never from the program's memory:
/// hostile round 47 watched its own page table (`/proc/self/pagemap`) for
/// the instant the grader read a buffer, learnt from it which send was
/// held, and changed the buffer after the read. What a held send carried
/// is judged on the wire, once it is let go (the check's client reads it).
/// A call that cannot send on a socket whatever its memory holds goes on
/// unheld: no bytes (a length or a count of 0; hostile round 45's empty
/// piece), `pwrite64` and `pwritev` (ESPIPE on a socket, hostile round 45's
/// decoy), `pwritev2` at an offset, more than IOV_MAX pieces, and a
/// `sendto` address longer than any (EINVAL, hostile round 47's probe).
fn sends(question: &libc::seccomp_notif) -> Option<Caught> {
    let [_, _, a2, a3, a4, a5] = question.data.args;
    // The kernel reads an int there: its low 32 bits.
    let address_length = a5 as u32 as i32;
    let nr = question.data.nr as libc::c_long;
    let pieces = |count: u64| count > 0 && count <= IOV_MAX;
    let call = match nr {
        n if n == libc::SYS_write => (a2 > 0).then_some("write"),
        // An address given (a4) longer than a sockaddr_storage (a5, an
        // int: a negative one too) is refused before anything is sent.
        n if n == libc::SYS_sendto => {
            (a2 > 0 && (a4 == 0 || (0..=ADDRESS_MAX).contains(&address_length))).then_some("sendto")
        }
        n if n == libc::SYS_writev => pieces(a2).then_some("writev"),
        // At the current position (-1), like writev; at an offset, ESPIPE.
        n if n == libc::SYS_pwritev2 => (a3 == u64::MAX && pieces(a2)).then_some("pwritev2"),
        n if n == libc::SYS_sendmsg => Some("sendmsg"),
        n if n == libc::SYS_sendmmsg => (a2 > 0).then_some("sendmmsg"),
        n if n == libc::SYS_sendfile => (a3 > 0).then_some("sendfile"),
        n if n == libc::SYS_splice => (a4 > 0).then_some("splice"),
        _ => None,
    }?;
    Some(Caught { call })
}

/// The most pieces a vector send takes (`UIO_MAXIOV`): more is EINVAL.
const IOV_MAX: u64 = 1024;

/// The longest socket address (`sizeof(struct sockaddr_storage)`).
const ADDRESS_MAX: i32 = 128;

/// Can a program start with a tripwire here? The launcher (which hands
/// the listener over), a kernel that makes one (`NEW_LISTENER`, Linux
/// 5.0; `FLAG_CONTINUE`, 5.5) and `pidfd_getfd` (5.6), which a container's
/// own filter may refuse, and which needs CAP_SYS_PTRACE to reach a
/// program run as another uid (a root grader's jail user; Docker drops
/// the capability) and, under Yama's scope 2, at all. Probed once: a child
/// puts the filter on and runs `true` (which sends nothing), and this
/// process takes one of its own descriptors. A handover that fails anyway
/// turns it off for the rest of the run ([`broke`]).
pub(in crate::sandbox) fn available() -> bool {
    static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    !BROKEN.load(std::sync::atomic::Ordering::Relaxed)
        && *AVAILABLE.get_or_init(|| {
            if !may_take_descriptors() {
                return false;
            }
            use std::os::unix::process::CommandExt;
            if !super::launch::usable() {
                return false;
            }
            let mut probe = std::process::Command::new("true");
            probe
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null());
            // SAFETY: raw prctl and seccomp calls on a static program, in the
            // forked child; its listener closes at the exec.
            unsafe {
                probe.pre_exec(|| super::filter::install_hold().map(|_| ()));
            }
            let filtered = probe.status().is_ok_and(|s| s.success());
            let Ok((mine, _other)) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC) else {
                return false;
            };
            filtered && take_fd(std::process::id(), mine.as_raw_fd()).is_ok()
        })
}

/// A handover failed (`launch.rs`): no program starts with a tripwire any
/// more in this run, and the check that asked starts its program without
/// one (see `Ctx::spawn_inner`).
static BROKEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub(in crate::sandbox) fn broke() {
    BROKEN.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// May this process take a program's descriptors: CAP_SYS_PTRACE where it
/// runs programs as another uid (root), and Yama's ptrace scope below 2
/// without it (scope 1 lets an ancestor attach: the grader is one).
fn may_take_descriptors() -> bool {
    const CAP_SYS_PTRACE: u32 = 19;
    let capable = procfs::process::Process::myself()
        .and_then(|me| me.status())
        .is_ok_and(|status| status.capeff & (1 << CAP_SYS_PTRACE) != 0);
    let scope: u32 = std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    // SAFETY: geteuid has no arguments and cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    match (root, capable) {
        (_, true) => scope < 3,
        (true, false) => false,
        (false, false) => scope < 2,
    }
}

/// Takes descriptor `fd` of process `pid` (`pidfd_getfd`, Linux 5.6): the
/// listener a launcher made, before its exec.
pub(in crate::sandbox) fn take_fd(pid: u32, fd: i32) -> io::Result<OwnedFd> {
    // SAFETY: raw syscalls; each descriptor returned is ours to own.
    unsafe {
        let pidfd = libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0);
        if pidfd < 0 {
            return Err(io::Error::last_os_error());
        }
        let pidfd = OwnedFd::from_raw_fd(pidfd as i32);
        let taken = libc::syscall(libc::SYS_pidfd_getfd, pidfd.as_raw_fd(), fd, 0);
        if taken < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(OwnedFd::from_raw_fd(taken as i32))
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::process::Command;
    use std::time::Duration;

    use crate::process::{Child, Stream};
    use crate::sandbox::Confinement;

    /// A program's send on the armed socket is held before a byte leaves
    /// (the call named), its file writes before it are done and the one
    /// after it is not; let go, the bytes arrive and it goes on. Another
    /// thread's write to a file while the send is held waits with it (a
    /// logger's record, hostile round 50); its stdout (a pipe) does not.
    #[test]
    fn an_armed_send_is_held_before_a_byte_leaves_and_let_go_on_release() {
        if !super::available() || Command::new("python3").arg("-V").output().is_err() {
            eprintln!("skipped: no tripwire here (or no python3)");
            return;
        }
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let dir = tempfile::tempdir().unwrap();
        let notes = dir.path().join("notes");
        let script = format!(
            "import os, socket, sys, threading, time\n\
             s = socket.create_connection(('127.0.0.1', {port}))\n\
             print('connected', flush=True)\n\
             assert s.recv(1) == b'g'\n\
             open('notes', 'a').write('one\\n')\n\
             def late():\n\
             \x20   time.sleep(0.2)\n\
             \x20   print('late begins', flush=True)\n\
             \x20   g = open('grown', 'wb')\n\
             \x20   os.ftruncate(g.fileno(), 64)\n\
             \x20   f = open('late', 'a')\n\
             \x20   f.write('late\\n')\n\
             \x20   f.flush()\n\
             \x20   print('late done', flush=True)\n\
             threading.Thread(target=late).start()\n\
             s.sendall(b'[ACK held]\\n')\n\
             open('notes', 'a').write('two\\n')\n\
             s.sendmsg([b'', b'more\\n'])\n\
             s.recv(1)\n"
        );
        let mut cmd = Command::new("python3");
        // Its working folder is written through (a file in /tmp elsewhere
        // would be its private layer's).
        cmd.args(["-c", &script]).current_dir(dir.path());
        let mut confinement = Confinement::default();
        confinement.want_tripwire();
        crate::sandbox::Jail::new(dir.path()).give(dir.path());
        let mut child =
            Child::spawn_confined(cmd, Duration::from_secs(30), false, Some(confinement))
                .expect("starts");
        let wire = child
            .tripwire()
            .expect("a tripwire, asked for and possible");
        listener.set_nonblocking(false).unwrap();
        let (mut conn, program) = listener.accept().unwrap();
        let inode = crate::grade::sockdiag::socket_inode(program, conn.local_addr().unwrap())
            .expect("the program's socket is found");
        wire.arm(inode);
        conn.write_all(b"g").unwrap();
        let caught = wire
            .wait(Duration::from_secs(20))
            .expect("the send is held");
        assert_eq!(caught.call, "sendto", "Python's sendall");
        let written = std::fs::read_to_string(&notes).unwrap_or_default();
        assert_eq!(
            written, "one\n",
            "the write before is done, not the one after"
        );
        // The other thread's write to a file waits; its stdout does not.
        let until = std::time::Instant::now() + Duration::from_secs(20);
        while !child.text(Stream::Stdout).contains("late begins") {
            assert!(std::time::Instant::now() < until, "the thread printed");
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(300));
        let late = dir.path().join("late");
        assert_eq!(std::fs::read_to_string(&late).unwrap_or_default(), "");
        // A file grown otherwise (ftruncate) waits too (hostile round 52).
        let grown = dir.path().join("grown");
        assert_eq!(std::fs::metadata(&grown).map_or(0, |m| m.len()), 0);
        assert!(!child.text(Stream::Stdout).contains("late done"));
        conn.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let mut buf = [0u8; 64];
        assert!(conn.read(&mut buf).is_err(), "nothing left while held");
        wire.release();
        conn.set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let n = conn.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"[ACK held]\n");
        let until = std::time::Instant::now() + Duration::from_secs(20);
        while std::fs::read_to_string(&late).unwrap_or_default() != "late\n" {
            assert!(std::time::Instant::now() < until, "let go with the send");
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(std::fs::metadata(&grown).map_or(0, |m| m.len()), 64);
        // Still armed: the next send is held in turn; disarmed, it goes.
        let next = wire
            .wait(Duration::from_secs(20))
            .expect("the next send is held");
        assert_eq!(next.call, "sendmsg");
        conn.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        assert!(
            conn.read(&mut buf).is_err(),
            "nothing while the next is held"
        );
        wire.disarm();
        conn.set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let n = conn.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"more\n");
        conn.write_all(b"x").unwrap();
        let status = child.wait_exit(Duration::from_secs(20)).expect("ends");
        assert!(
            status.success(),
            "{status:?}: {}",
            child.text(Stream::Stderr)
        );
        assert_eq!(std::fs::read_to_string(&notes).unwrap(), "one\ntwo\n");
        assert!(child.text(Stream::Stdout).contains("connected"));
    }

    /// A program that cannot be exec'd under a tripwire is the program's
    /// `X` (said with vmsplice once the filter is on: see `launch::say`),
    /// not the sandbox's failure, and not a wait for an answer.
    #[test]
    fn an_exec_that_fails_under_a_tripwire_is_the_programs() {
        if !super::available() {
            eprintln!("skipped: no tripwire here");
            return;
        }
        let mut confinement = Confinement::default();
        confinement.want_tripwire();
        let started = std::time::Instant::now();
        let error = Child::spawn_confined(
            Command::new("/nonexistent/netlab-no-such-program"),
            Duration::from_secs(30),
            false,
            Some(confinement),
        )
        .expect_err("no such program");
        assert_eq!(error.kind(), std::io::ErrorKind::NotFound, "{error}");
        assert!(!crate::sandbox::is_failure(&error), "{error}");
        assert!(started.elapsed() < Duration::from_secs(20));
    }
}
