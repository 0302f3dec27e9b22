//! The syscall filter (`Layer::Syscalls`): a seccomp program that refuses
//! the few system calls a network lab never needs and that reach past every
//! other layer.
//!
//! Why (hostile round 12):
//! - **The kernel's key store** (`add_key`, `request_key`, `keyctl`) is
//!   shared by every process of a uid and, with the permissions its maker
//!   chooses, readable by all (`/proc/keys`). It is in no namespace the
//!   sandbox makes, and a key outlives its maker: a classmate's whole
//!   submission was read from keys in a class run (41/41 with no code of
//!   its own), and a later run found them still there.
//! - **New namespaces** (`unshare`, `clone` with namespace flags, `setns`):
//!   each network namespace a program makes costs kernel memory that its
//!   cgroup does not count (7200 of them took 1.3 GB of the host's), and
//!   a user namespace of its own opens kernel code (nf_tables, mounts) that
//!   an unprivileged uid otherwise cannot reach.
//! - **A descriptor table of a thread's own** (`unshare(CLONE_FILES)`,
//!   hostile round 26): its files hide from `/proc/<pid>/fd`, and from
//!   the file-table watch where kcmp cannot tell them (`watch.rs`).
//! - **AIO contexts** (`io_setup`, hostile round 13): a pool of the
//!   machine's (`fs.aio-max-nr`), which one program could empty for every
//!   other.
//! - **io_uring** (`io_uring_setup`, hostile round 24): a ring's
//!   registered files stay open with no descriptor, out of RLIMIT_NOFILE's
//!   count: one program held a million open files, and the machine's file
//!   table (`fs.file-max`) filled for every other user. Runtimes that use
//!   it (libuv) fall back to threads on ENOSYS.
//! - **Socket families other than IPv4, IPv6 and unix** (hostile rounds
//!   24 and 25): a netlink socket queues messages to itself in kernel
//!   memory the cgroup does not count, 8 MiB a socket (NETLINK_USERSOCK
//!   by sending to itself, and even the routing table's kind, by asking
//!   what it rejects: its error answer copies the question; 6 and 5 GiB of
//!   the host's from one check); vsock reaches past the network namespace
//!   to the hypervisor. EAFNOSUPPORT, as a kernel without the family
//!   answers: glibc's getaddrinfo then takes both IPv4 and IPv6 to be
//!   there, which on loopback they are.
//!
//! - **perf events and BPF** (`perf_event_open`, `bpf`; hostile round
//!   27): a perf event's ring buffer, once mapped, is kernel memory no
//!   cgroup is charged for (100 processes pinned 802 MiB of the host's,
//!   their cgroup showing 17 MiB). No such call, as a kernel without them.
//! - **Multipath TCP** (`IPPROTO_MPTCP`, hostile round 27): its
//!   connections fill the machine's TCP pool like TCP's, but neither
//!   `/proc/net/tcp` nor sock_diag's TCP dump, which the TCP watch sums
//!   (`watch.rs`), lists them: 281 MiB a program unseen. EPROTONOSUPPORT, as a kernel without MPTCP answers.
//!   `socketpair` takes the same families as `socket` less IP (unix
//!   alone makes pairs here; another family's code is not reached).
//!
//! - **A terminal's line discipline** (`ioctl(TIOCSETD)`, hostile round
//!   28): the chat client's checks give it a pseudo-terminal, and setting
//!   a line discipline there loads its kernel module on a distribution
//!   kernel (n_hdlc, n_gsm: kernel code with a history). EPERM.
//!
//! - **inotify and fanotify** (hostile rounds 27 to 30): a watch on a
//!   tree every program can read (`/sys/fs/cgroup`, the system's Python
//!   modules) showed a program each check of its classmates' as it began
//!   and ended, and which modules their programs loaded: a channel between
//!   submissions graded at once. No such call: a lab's program never
//!   watches files. Nor the older directory watch, dnotify
//!   (`fcntl(F_NOTIFY)`, hostile round 40: a watch on /usr/lib counted a
//!   classmate's reads there, some 700 a run): EPERM.
//! - **A socket's receive buffer** (`setsockopt(SOL_SOCKET, SO_RCVBUF)`,
//!   hostile round 30): connections waiting to be accepted inherit their
//!   listener's buffer, and once reset they are listed nowhere yet keep
//!   what they hold: 31 of them held 250 MiB of the machine's TCP pool.
//!   The call does nothing and succeeds; the buffer's bound is the check's
//!   network namespace's `tcp_rmem` (`linux::enter_new_network`).
//!
//! Not refused: `socket(AF_UNIX)`. The host's services listen on unix
//! sockets by path (/run is covered, see `PrivateTmp::veil`, but /dev/log
//! or a database's socket under /var stay reachable), yet Python's
//! multiprocessing makes them (a Manager, a Listener, and from 3.14 its
//! default start method on Linux), and a filter cannot see the path a
//! connect names (hostile round 13, review 14).
//!
//! Refused with EPERM, as a kernel without these features would; `clone3`
//! (whose flags lie behind a pointer, out of a filter's sight) with ENOSYS,
//! so that the C library falls back to `clone`, whose flags it can see;
//! `io_setup` with ENOSYS too (an AIO library falls back to threads).
//! Another architecture's calls (32-bit x86 through `int 0x80`, x32) are
//! refused whole: their numbers differ.
//!
//! The program is a static array: it is put in force by raw syscalls, in
//! the launcher or in the fork that stands in for one (see `linux.rs`).

use std::io;

use nix::libc;

/// `struct seccomp_data` offsets: the call's number, its architecture,
/// and the low 32 bits of its first three arguments (little-endian).
const NR: u32 = 0;
const ARCH: u32 = 4;
const ARG0: u32 = 16;
const ARG1: u32 = 24;
const ARG2: u32 = 32;

#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xc000_003e;
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xc000_00b7;

/// x32 calls: the x86_64 architecture, their numbers from here up.
const X32_FIRST: u32 = 0x4000_0000;

const ALLOW: u32 = 0x7fff_0000;
const ERRNO: u32 = 0x0005_0000;
const DENY: u32 = ERRNO | libc::EPERM as u32;
const NO_SUCH_CALL: u32 = ERRNO | libc::ENOSYS as u32;
const NO_SUCH_FAMILY: u32 = ERRNO | libc::EAFNOSUPPORT as u32;
const NO_SUCH_PROTOCOL: u32 = ERRNO | libc::EPROTONOSUPPORT as u32;
/// Multipath TCP (`socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP)`).
const IPPROTO_MPTCP: u32 = 262;

/// Namespace flags of `clone` (its low byte is the exit signal, so
/// CLONE_NEWTIME, 0x80, is not one there) and of `unshare`.
const CLONE_NAMESPACES: u32 = (libc::CLONE_NEWNS
    | libc::CLONE_NEWUTS
    | libc::CLONE_NEWIPC
    | libc::CLONE_NEWUSER
    | libc::CLONE_NEWPID
    | libc::CLONE_NEWNET
    | libc::CLONE_NEWCGROUP) as u32;
/// `unshare` also may not give a thread a descriptor table of its own
/// (`CLONE_FILES`): its files would hide from the file-table watch where
/// kcmp cannot tell (hostile round 26; see `watch.rs`).
const UNSHARE_NAMESPACES: u32 = CLONE_NAMESPACES | 0x80 | libc::CLONE_FILES as u32;

const fn stmt(code: u32, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    }
}

const fn jump(code: u32, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter {
        code: code as u16,
        jt,
        jf,
        k,
    }
}

const LOAD: u32 = libc::BPF_LD | libc::BPF_W | libc::BPF_ABS;
const RET: u32 = libc::BPF_RET | libc::BPF_K;
const JEQ: u32 = libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K;
const JGE: u32 = libc::BPF_JMP | libc::BPF_JGE | libc::BPF_K;
const JSET: u32 = libc::BPF_JMP | libc::BPF_JSET | libc::BPF_K;

const fn nr(call: libc::c_long) -> u32 {
    call as u32
}

/// `inotify_init` (x86_64 only; aarch64 has `inotify_init1` alone, named
/// twice in the program there).
#[cfg(target_arch = "x86_64")]
const INOTIFY_INIT: u32 = nr(libc::SYS_inotify_init);
#[cfg(not(target_arch = "x86_64"))]
const INOTIFY_INIT: u32 = nr(libc::SYS_inotify_init1);

/// `setsockopt` options that set a socket's receive buffer.
const SO_RCVBUF: u32 = libc::SO_RCVBUF as u32;
const SO_RCVBUFFORCE: u32 = libc::SO_RCVBUFFORCE as u32;
/// A call that does nothing and says it succeeded (SECCOMP_RET_ERRNO with
/// errno 0 returns 0 without running the call).
const DONE: u32 = ERRNO;

/// The filter. BPF jumps go forward only, by the number of instructions
/// skipped (`i + 1 + offset`): keep the offsets in step with the indices
/// in the comments (the tests run the filter).
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
static PROGRAM: [libc::sock_filter; 53] = [
    // 0: another architecture's call: no such call.
    stmt(LOAD, ARCH),
    jump(JEQ, AUDIT_ARCH, 1, 0),
    stmt(RET, NO_SUCH_CALL),
    // 3: the call's number; x32 calls: no such call.
    stmt(LOAD, NR),
    jump(JGE, X32_FIRST, 0, 1),
    stmt(RET, NO_SUCH_CALL),
    // 6: the key store and joining namespaces: refused (48).
    jump(JEQ, nr(libc::SYS_add_key), 41, 0),
    jump(JEQ, nr(libc::SYS_request_key), 40, 0),
    jump(JEQ, nr(libc::SYS_keyctl), 39, 0),
    jump(JEQ, nr(libc::SYS_setns), 38, 0),
    // 10: clone3 (the C library falls back to clone), io_setup (AIO
    // contexts, a pool of the machine's), io_uring_setup, perf_event_open,
    // bpf, inotify and fanotify: no such call (49).
    jump(JEQ, nr(libc::SYS_clone3), 38, 0),
    jump(JEQ, nr(libc::SYS_io_setup), 37, 0),
    jump(JEQ, nr(libc::SYS_io_uring_setup), 36, 0),
    jump(JEQ, nr(libc::SYS_perf_event_open), 35, 0),
    jump(JEQ, nr(libc::SYS_bpf), 34, 0),
    jump(JEQ, INOTIFY_INIT, 33, 0),
    jump(JEQ, nr(libc::SYS_inotify_init1), 32, 0),
    jump(JEQ, nr(libc::SYS_fanotify_init), 31, 0),
    // 18: unshare (26), clone (28), socket (30), socketpair (34), ioctl
    // (38), setsockopt (40) and fcntl (45): by their arguments.
    jump(JEQ, nr(libc::SYS_unshare), 7, 0),
    jump(JEQ, nr(libc::SYS_clone), 8, 0),
    jump(JEQ, nr(libc::SYS_socket), 9, 0),
    jump(JEQ, nr(libc::SYS_socketpair), 12, 0),
    jump(JEQ, nr(libc::SYS_ioctl), 15, 0),
    jump(JEQ, nr(libc::SYS_setsockopt), 16, 0),
    jump(JEQ, nr(libc::SYS_fcntl), 20, 0),
    stmt(RET, ALLOW),
    // 26: unshare: refused (48) with a namespace flag, else allowed (47).
    stmt(LOAD, ARG0),
    jump(JSET, UNSHARE_NAMESPACES, 20, 19),
    // 28: clone: the same.
    stmt(LOAD, ARG0),
    jump(JSET, CLONE_NAMESPACES, 18, 17),
    // 30: socket: IPv4 and IPv6 (their protocol: 36), unix (47); any
    // other family is not supported here (50).
    stmt(LOAD, ARG0),
    jump(JEQ, libc::AF_INET as u32, 4, 0),
    jump(JEQ, libc::AF_INET6 as u32, 3, 0),
    jump(JEQ, libc::AF_UNIX as u32, 13, 16),
    // 34: socketpair: unix only (47), else no such family (50).
    stmt(LOAD, ARG0),
    jump(JEQ, libc::AF_UNIX as u32, 11, 14),
    // 36: an IPv4 or IPv6 socket's protocol: not MPTCP (51).
    stmt(LOAD, ARG2),
    jump(JEQ, IPPROTO_MPTCP, 13, 9),
    // 38: ioctl: a terminal's line discipline may not be changed (48).
    stmt(LOAD, ARG1),
    jump(JEQ, libc::TIOCSETD as u32, 8, 7),
    // 40: setsockopt: a socket's receive buffer is the network
    // namespace's to size (`tcp_rmem`): SOL_SOCKET's SO_RCVBUF and
    // SO_RCVBUFFORCE do nothing (52), anything else is allowed (47).
    stmt(LOAD, ARG1),
    jump(JEQ, libc::SOL_SOCKET as u32, 0, 5),
    stmt(LOAD, ARG2),
    jump(JEQ, SO_RCVBUF, 8, 0),
    jump(JEQ, SO_RCVBUFFORCE, 7, 2),
    // 45: fcntl: no directory watch (F_NOTIFY, dnotify) (48).
    stmt(LOAD, ARG1),
    jump(JEQ, libc::F_NOTIFY as u32, 1, 0),
    // 47: allowed; 48: refused; 49: no such call; 50: no such family;
    // 51: no such protocol; 52: done (nothing done).
    stmt(RET, ALLOW),
    stmt(RET, DENY),
    stmt(RET, NO_SUCH_CALL),
    stmt(RET, NO_SUCH_FAMILY),
    stmt(RET, NO_SUCH_PROTOCOL),
    stmt(RET, DONE),
];

/// The calls that can put bytes on a socket: the tripwire's filter
/// (`hold.rs`) asks the grader about each before it runs. `splice` names
/// its target third; every other, first. (`vmsplice` reaches pipes only:
/// the launcher says its last word with it, see `launch.rs`; io_uring and
/// AIO are refused above.)
pub(in crate::sandbox) const SENDS: [libc::c_long; 10] = [
    libc::SYS_write,
    libc::SYS_writev,
    libc::SYS_pwrite64,
    libc::SYS_pwritev,
    libc::SYS_pwritev2,
    libc::SYS_sendto,
    libc::SYS_sendmsg,
    libc::SYS_sendmmsg,
    libc::SYS_sendfile,
    libc::SYS_splice,
];

/// Calls that change a file's bytes other than by writing them: the
/// tripwire's filter asks about these too, so that while a send is held a
/// file cannot grow under a mapping (`ftruncate`, `fallocate`: hostile
/// round 52 grew its log so and copied the record in through `mmap`) or
/// take bytes from another file (`copy_file_range`, its target third).
/// Never a send: held only as a file's change (`hold::to_a_file`).
pub(in crate::sandbox) const FILE_CHANGES: [libc::c_long; 3] = [
    libc::SYS_ftruncate,
    libc::SYS_fallocate,
    libc::SYS_copy_file_range,
];

const NOTIFY: u32 = libc::SECCOMP_RET_USER_NOTIF;

/// The tripwire's filter, stacked on [`PROGRAM`] (a refusal there wins
/// over a question here): each of [`SENDS`] waits for the grader's answer
/// (`SECCOMP_RET_USER_NOTIF`); everything else runs. Another
/// architecture's calls are [`PROGRAM`]'s to refuse.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
static HOLD: [libc::sock_filter; 20] = [
    // 0: another architecture's call, or an x32 one: not asked about.
    stmt(LOAD, ARCH),
    jump(JEQ, AUDIT_ARCH, 1, 0),
    stmt(RET, ALLOW),
    stmt(LOAD, NR),
    jump(JGE, X32_FIRST, 13, 0),
    // 5: the sends and the file changes: asked about (19).
    jump(JEQ, SENDS[0] as u32, 13, 0),
    jump(JEQ, SENDS[1] as u32, 12, 0),
    jump(JEQ, SENDS[2] as u32, 11, 0),
    jump(JEQ, SENDS[3] as u32, 10, 0),
    jump(JEQ, SENDS[4] as u32, 9, 0),
    jump(JEQ, SENDS[5] as u32, 8, 0),
    jump(JEQ, SENDS[6] as u32, 7, 0),
    jump(JEQ, SENDS[7] as u32, 6, 0),
    jump(JEQ, SENDS[8] as u32, 5, 0),
    jump(JEQ, SENDS[9] as u32, 4, 0),
    jump(JEQ, FILE_CHANGES[0] as u32, 3, 0),
    jump(JEQ, FILE_CHANGES[1] as u32, 2, 0),
    jump(JEQ, FILE_CHANGES[2] as u32, 1, 0),
    // 18: anything else runs; 19: asked about.
    stmt(RET, ALLOW),
    stmt(RET, NOTIFY),
];

/// Puts the tripwire's filter in force for this process and all it
/// starts, and returns its listener: the descriptor on which the grader
/// hears of each send before it runs (CLOEXEC: the program never holds
/// it). Raw syscalls on static memory only.
pub(in crate::sandbox) unsafe fn install_hold() -> io::Result<libc::c_int> {
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    {
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
            return Err(io::Error::last_os_error());
        }
        stack(&HOLD, libc::SECCOMP_FILTER_FLAG_NEW_LISTENER).map(|fd| fd as libc::c_int)
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    Err(io::Error::from_raw_os_error(libc::ENOSYS))
}

/// Puts `filter` in force on top of those already there (`seccomp()`,
/// which can ask for a listener): its result (a listener, or 0).
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
unsafe fn stack(filter: &'static [libc::sock_filter], flags: libc::c_ulong) -> io::Result<i64> {
    let program = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_ptr().cast_mut(),
    };
    let result = libc::syscall(
        libc::SYS_seccomp,
        libc::SECCOMP_SET_MODE_FILTER,
        flags,
        &program as *const libc::sock_fprog,
    );
    if result < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(result)
}

/// Stands in for the tripwire's filter in a program that has none, so
/// that every program under [`PROGRAM`] counts the same filters in its
/// `/proc/self/status` (`Seccomp_filters`): hostile round 47 read 2 there,
/// knew it was in chat-log, and wrote its log before the ACK that once.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
static TWIN: [libc::sock_filter; 1] = [stmt(RET, ALLOW)];

/// Puts [`TWIN`] in force (no_new_privs is already set by [`install`]).
/// Raw syscalls on static memory only.
pub(in crate::sandbox) unsafe fn install_twin() -> io::Result<()> {
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    {
        stack(&TWIN, 0).map(|_| ())
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    Err(io::Error::from_raw_os_error(libc::ENOSYS))
}

/// Can this machine filter a program's system calls?
pub(in crate::sandbox) fn available() -> Result<(), String> {
    if !cfg!(any(target_arch = "x86_64", target_arch = "aarch64")) {
        return Err("only on x86_64 and aarch64".into());
    }
    // A forked child puts the filter in force and runs a program: the
    // kernel may lack seccomp, or a container's own filter refuse it.
    use std::os::unix::process::CommandExt;
    let mut probe = std::process::Command::new("sh");
    probe.args(["-c", ":"]).stdin(std::process::Stdio::null());
    // SAFETY: raw prctl calls on a static program, in the forked child.
    unsafe {
        probe.pre_exec(|| install());
    }
    match probe.status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("a filtered probe failed ({status})")),
        Err(e) => Err(format!("the kernel refuses a seccomp filter ({e})")),
    }
}

/// Puts the filter in force for this process and all it starts, with
/// no_new_privs (required of a process without CAP_SYS_ADMIN). Raw
/// syscalls on static memory only: it may run in a fork of the grader.
pub(in crate::sandbox) unsafe fn install() -> io::Result<()> {
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    {
        let program = libc::sock_fprog {
            len: PROGRAM.len() as u16,
            filter: PROGRAM.as_ptr().cast_mut(),
        };
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
            || libc::prctl(
                libc::PR_SET_SECCOMP,
                libc::SECCOMP_MODE_FILTER,
                &program as *const libc::sock_fprog,
            ) != 0
        {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    Err(io::Error::from_raw_os_error(libc::ENOSYS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};

    /// Runs `sh -c script` under the filter: its exit status.
    fn filtered(script: &str) -> std::process::ExitStatus {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: raw prctl calls on a static program, in the forked child.
        unsafe {
            cmd.pre_exec(|| install());
        }
        cmd.status().expect("sh runs")
    }

    fn have(tool: &str) -> bool {
        Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    #[test]
    fn ordinary_programs_run_under_the_filter() {
        if available().is_err() {
            return;
        }
        // Processes, threads (clone without namespace flags, or clone3
        // refused and clone used instead) and pipes.
        assert!(filtered("echo a | cat >/dev/null && (true) && true").success());
        if have("python3") {
            let threads = "python3 -c 'import threading; t = threading.Thread(target=lambda: None); t.start(); t.join()'";
            assert!(filtered(threads).success());
            let fork = "python3 -c 'import os; pid = os.fork(); os._exit(0) if pid == 0 else os.waitpid(pid, 0)'";
            assert!(filtered(fork).success());
            // Unix sockets by path: multiprocessing's Manager (and, from
            // Python 3.14, its default start method) makes them.
            let manager = "python3 -c 'import multiprocessing as mp\nif __name__ == \"__main__\":\n    with mp.Manager() as m:\n        l = m.list([1])\n        assert l[0] == 1'";
            assert!(filtered(manager).success());
        }
    }

    #[test]
    fn new_namespaces_are_refused() {
        if available().is_err() || !have("unshare") {
            return;
        }
        // Outside the filter, an unprivileged user namespace may or may not
        // be allowed here; under it, never.
        assert!(!filtered("unshare --user --net true").success());
        assert!(!filtered("unshare --user true").success());
    }

    #[test]
    fn other_socket_families_mptcp_io_uring_perf_bpf_and_private_descriptor_tables_are_refused() {
        if available().is_err() || !have("python3") {
            return;
        }
        // (family, type, protocol) → made or not: AF_NETLINK 16 with
        // NETLINK_ROUTE 0 or NETLINK_USERSOCK 2, AF_VSOCK 40, AF_PACKET 17;
        // getaddrinfo (glibc asks netlink which addresses there are) works.
        let script = format!(
            "python3 -c 'import ctypes, errno, socket, sys\n\
             def made(f, t, p):\n    \
                 try:\n        socket.socket(f, t, p).close(); return True\n    \
                 except OSError as e:\n        assert e.errno == errno.EAFNOSUPPORT, e; return False\n\
             assert made(2, 1, 0) and made(10, 1, 0) and made(1, 1, 0) and made(2, 1, 6)\n\
             assert not made(16, 3, 0) and not made(16, 3, 2) and not made(40, 1, 0) and not made(17, 3, 0)\n\
             try:\n    socket.socket(2, 1, 262); sys.exit(2)\n\
             except OSError as e:\n    assert e.errno == errno.EPROTONOSUPPORT, e\n\
             a, b = socket.socketpair(); a.close(); b.close()\n\
             try:\n    socket.socketpair(40, 1, 0); sys.exit(3)\n\
             except OSError as e:\n    assert e.errno == errno.EAFNOSUPPORT, e\n\
             assert socket.getaddrinfo(\"localhost\", 80, 0, 1, 0, socket.AI_ADDRCONFIG)\n\
             libc = ctypes.CDLL(None, use_errno=True)\n\
             assert libc.unshare(0x400) == -1 and ctypes.get_errno() == errno.EPERM\n\
             params = ctypes.create_string_buffer(120)\n\
             r = libc.syscall({}, 4, params)\n\
             assert r == -1 and ctypes.get_errno() == errno.ENOSYS\n\
             attr = ctypes.create_string_buffer(128)\n\
             r = libc.syscall({}, attr, 0, -1, -1, 0)\n\
             assert r == -1 and ctypes.get_errno() == errno.ENOSYS\n\
             r = libc.syscall({}, 0, attr, 128)\n\
             assert r == -1 and ctypes.get_errno() == errno.ENOSYS\n\
             import fcntl, os, struct, termios\n\
             main, other = os.openpty()\n\
             fcntl.ioctl(main, termios.TIOCGWINSZ, bytes(8))\n\
             try:\n    fcntl.ioctl(other, termios.TIOCSETD, struct.pack(\"i\", 0)); sys.exit(4)\n\
             except OSError as e:\n    sys.exit(0 if e.errno == errno.EPERM else 5)'",
            libc::SYS_io_uring_setup,
            libc::SYS_perf_event_open,
            libc::SYS_bpf
        );
        assert!(filtered(&script).success());
    }

    /// Hostile round 30: a socket's receive buffer stays the network
    /// namespace's to size (SO_RCVBUF does nothing, and says it did), other
    /// options still work, and no file can be watched.
    #[test]
    fn receive_buffers_and_file_watches_are_not_the_programs() {
        if available().is_err() || !have("python3") {
            return;
        }
        let script = format!(
            "python3 -c 'import ctypes, errno, socket, sys\n\
             s = socket.socket()\n\
             before = s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)\n\
             s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)\n\
             assert s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) == before\n\
             s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n\
             assert s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR) == 1\n\
             s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)\n\
             assert s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) == 131072\n\
             libc = ctypes.CDLL(None, use_errno=True)\n\
             for call in ({}, {}):\n    \
                 r = libc.syscall(call, 0, 0)\n    \
                 assert r == -1 and ctypes.get_errno() == errno.ENOSYS, call\n\
             import fcntl, os\n\
             d = os.open(\"/tmp\", os.O_RDONLY)\n\
             assert fcntl.fcntl(d, fcntl.F_GETFD) >= 0\n\
             try:\n    fcntl.fcntl(d, fcntl.F_NOTIFY, fcntl.DN_ACCESS | fcntl.DN_MULTISHOT); sys.exit(2)\n\
             except OSError as e:\n    assert e.errno == errno.EPERM, e\n\
             sys.exit(0)'",
            libc::SYS_inotify_init1,
            libc::SYS_fanotify_init
        );
        assert!(filtered(&script).success());
    }

    #[test]
    fn the_key_store_is_refused() {
        if available().is_err() || !have("python3") {
            return;
        }
        // add_key(2) through ctypes: EPERM under the filter.
        let script = format!(
            "python3 -c 'import ctypes, sys; libc = ctypes.CDLL(None, use_errno=True); r = libc.syscall({}, b\"user\", b\"netlab-test\", b\"x\", 1, -3); sys.exit(0 if r == -1 and ctypes.get_errno() == 1 else 1)'",
            libc::SYS_add_key
        );
        assert!(filtered(&script).success());
    }
}
