//! The TCP sockets listening in the calling thread's network namespace
//! (or the UDP sockets bound there, for a lab over UDP), asked of the
//! kernel over netlink (sock_diag, as `ss -ltn` does), with
//! their inodes so the harness can tell whose they are; and the bytes a
//! connected socket holds unread (`ss -tn`'s Recv-Q), and whether its
//! program closed it after its peer did (not CLOSE_WAIT), looked up by its
//! addresses; and the kernel memory its TCP sockets hold (the sandbox's
//! watch on the machine's TCP pool).
//!
//! Trap (cost): reading /proc/net/tcp walks the kernel's whole established
//! hash table on every read, and that table is shared by all network
//! namespaces and sized by the machine's memory: on a 24 GiB machine each
//! read cost milliseconds of kernel time, and the harness reads it every
//! 100 ms of every server start in every check graded at once (measured: a
//! third of netlab's own CPU in a class run went to `established_get_first`).
//! A sock_diag dump that asks for the LISTEN state only walks the small
//! listening hash.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use nix::libc;

use super::contract::Transport;

const NETLINK_SOCK_DIAG: libc::c_int = 4;
const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_DUMP: u16 = 0x300;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLM_F_MULTI: u16 = 0x2;
const TCP_LISTEN: u32 = 10;
const TCP_CLOSE: u32 = 7;
const TCP_CLOSE_WAIT: u32 = 8;

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct NlMsgHdr {
    len: u32,
    kind: u16,
    flags: u16,
    seq: u32,
    pid: u32,
}

/// `struct inet_diag_sockid`: ports and addresses in network order.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct SockId {
    sport: u16,
    dport: u16,
    src: [u32; 4],
    dst: [u32; 4],
    interface: u32,
    cookie: [u32; 2],
}

/// `struct inet_diag_req_v2`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Request {
    family: u8,
    protocol: u8,
    ext: u8,
    pad: u8,
    states: u32,
    id: SockId,
}

/// `struct inet_diag_msg`, the head of each answer.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Answer {
    family: u8,
    state: u8,
    timer: u8,
    retrans: u8,
    id: SockId,
    expires: u32,
    rqueue: u32,
    wqueue: u32,
    uid: u32,
    inode: u32,
}

#[repr(C)]
struct Message {
    header: NlMsgHdr,
    request: Request,
}

/// (local address, socket inode) of every socket in this thread's network
/// namespace that waits for clients over `transport`: TCP sockets in the
/// LISTEN state, or UDP sockets bound and connected to no peer (a UDP
/// server's, as `ss -uln` lists them). Trap: UDP's answers come from the
/// `udp_diag` module, which a kernel may lack (an error then: the caller
/// reads /proc/net/udp instead).
pub fn listeners(transport: Transport) -> io::Result<Vec<(SocketAddr, u64)>> {
    // SAFETY: a socket we own and close; the buffers are plain data of the
    // sizes given to the kernel.
    unsafe {
        let fd = sock_diag_socket()?;
        let result = dump(fd, transport);
        libc::close(fd);
        result
    }
}

/// The connections waiting to be accepted by the TCP listener(s) on
/// `port` in this thread's network namespace (a listener's Recv-Q is its
/// accept queue); `None` when no listener has that port here, or the
/// kernel could not be asked.
pub fn accept_queue(port: u16) -> Option<u32> {
    let mut waiting = None;
    // SAFETY: a socket we own and close.
    unsafe {
        let fd = sock_diag_socket().ok()?;
        let read = dump_tcp(fd, 1 << TCP_LISTEN, 0, |answer, _| {
            if u16::from_be(answer.id.sport) == port {
                *waiting.get_or_insert(0) += answer.rqueue;
            }
        });
        libc::close(fd);
        // A dump that failed, whole or in part, tells nothing.
        read.ok()?;
    }
    waiting
}

/// A netlink socket for sock_diag, its answers waited for 2 s at most
/// (the kernel answers at once, but never hang on it).
unsafe fn sock_diag_socket() -> io::Result<libc::c_int> {
    let fd = libc::socket(
        libc::AF_NETLINK,
        libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
        NETLINK_SOCK_DIAG,
    );
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    let timeout = libc::timeval {
        tv_sec: 2,
        tv_usec: 0,
    };
    libc::setsockopt(
        fd,
        libc::SOL_SOCKET,
        libc::SO_RCVTIMEO,
        (&timeout as *const libc::timeval).cast(),
        std::mem::size_of::<libc::timeval>() as libc::socklen_t,
    );
    Ok(fd)
}

unsafe fn dump(fd: libc::c_int, transport: Transport) -> io::Result<Vec<(SocketAddr, u64)>> {
    let mut found = Vec::new();
    // The kernel keeps an unconnected UDP socket in the state it calls
    // TCP_CLOSE; a connected one is TCP_ESTABLISHED, a client's.
    let (protocol, state) = match transport {
        Transport::Tcp => (libc::IPPROTO_TCP, TCP_LISTEN),
        Transport::Udp => (libc::IPPROTO_UDP, TCP_CLOSE),
    };
    dump_inet(fd, protocol, 1 << state, 0, |answer, _| {
        if u32::from(answer.state) == state && answer.id.dport == 0 {
            found.push((local_address(answer), answer.inode.into()));
        }
    })?;
    Ok(found)
}

/// Asks `fd` for the TCP sockets, IPv4 then IPv6, in the states whose
/// bits `states` has, with the attributes `ext` asks for; each answer and
/// its attributes to `each`.
unsafe fn dump_tcp(
    fd: libc::c_int,
    states: u32,
    ext: u8,
    each: impl FnMut(&Answer, &[u8]),
) -> io::Result<()> {
    dump_inet(fd, libc::IPPROTO_TCP, states, ext, each)
}

/// [`dump_tcp`] for the sockets of `protocol` (IPPROTO_TCP or _UDP).
unsafe fn dump_inet(
    fd: libc::c_int,
    protocol: libc::c_int,
    states: u32,
    ext: u8,
    mut each: impl FnMut(&Answer, &[u8]),
) -> io::Result<()> {
    for (seq, family) in [(1, libc::AF_INET), (2, libc::AF_INET6)] {
        let message = Message {
            header: NlMsgHdr {
                len: std::mem::size_of::<Message>() as u32,
                kind: SOCK_DIAG_BY_FAMILY,
                flags: NLM_F_REQUEST | NLM_F_DUMP,
                seq,
                pid: 0,
            },
            request: Request {
                family: family as u8,
                protocol: protocol as u8,
                ext,
                states,
                ..Request::default()
            },
        };
        let sent = libc::send(
            fd,
            (&message as *const Message).cast(),
            std::mem::size_of::<Message>(),
            0,
        );
        if sent < 0 {
            return Err(io::Error::last_os_error());
        }
        read_answers(fd, seq, &mut each)?;
    }
    Ok(())
}

/// The bytes waiting unread in the receive queue of the TCP socket at
/// `local` connected to `remote`, in this thread's network namespace (one
/// lookup by its addresses, not a dump): has its program read what was
/// sent to it? `None` where the kernel does not say (no such socket).
pub fn unread_bytes(local: SocketAddr, remote: SocketAddr) -> Option<u32> {
    lookup(local, remote, 0).map(|(answer, _)| answer.rqueue)
}

/// The inode of the TCP socket at `local` connected to `remote`, in this
/// thread's network namespace: the other end of a connection the grader
/// made, as the program holds it. An IPv4 connection to a program's
/// dual-stack socket is listed under IPv4-mapped IPv6 addresses: both
/// are asked.
pub fn socket_inode(local: SocketAddr, remote: SocketAddr) -> Option<u64> {
    lookup_either(local, remote)
        .map(|answer| u64::from(answer.inode))
        .filter(|inode| *inode != 0)
}

/// Is the TCP socket at `local` connected to `remote` (as [`socket_inode`]
/// finds it) in CLOSE_WAIT: its peer closed, and its program has not
/// closed it since (it never took the end of the stream for one)?
pub fn left_open_after_peer_closed(local: SocketAddr, remote: SocketAddr) -> bool {
    lookup_either(local, remote).is_some_and(|answer| u32::from(answer.state) == TCP_CLOSE_WAIT)
}

/// [`lookup`] under the addresses given, then under their IPv4-mapped
/// IPv6 forms (a dual-stack socket's).
fn lookup_either(local: SocketAddr, remote: SocketAddr) -> Option<Answer> {
    let mapped = |a: SocketAddr| match a {
        SocketAddr::V4(v4) => SocketAddr::new(IpAddr::V6(v4.ip().to_ipv6_mapped()), v4.port()),
        v6 => v6,
    };
    lookup(local, remote, 0)
        .or_else(|| lookup(mapped(local), mapped(remote), 0))
        .map(|(answer, _)| answer)
}

#[cfg(test)]
/// The kernel memory the TCP socket at `local` connected to `remote`
/// holds (see [`tcp_memory`]), in this thread's network namespace.
pub fn memory_of(local: SocketAddr, remote: SocketAddr) -> Option<u64> {
    lookup(local, remote, 1 << (INET_DIAG_SKMEMINFO - 1)).map(|(_, attrs)| socket_memory(&attrs))
}

/// The TCP socket at `local` connected to `remote`, looked up by its
/// addresses (not a dump), with the attributes `ext` asks for.
fn lookup(local: SocketAddr, remote: SocketAddr, ext: u8) -> Option<(Answer, Vec<u8>)> {
    let (family, src, dst) = match (local, remote) {
        (SocketAddr::V4(l), SocketAddr::V4(r)) => (
            libc::AF_INET,
            [u32::from_ne_bytes(l.ip().octets()), 0, 0, 0],
            [u32::from_ne_bytes(r.ip().octets()), 0, 0, 0],
        ),
        (SocketAddr::V6(l), SocketAddr::V6(r)) => {
            let words = |o: [u8; 16]| {
                let mut w = [0u32; 4];
                for (i, c) in o.chunks(4).enumerate() {
                    w[i] = u32::from_ne_bytes([c[0], c[1], c[2], c[3]]);
                }
                w
            };
            (
                libc::AF_INET6,
                words(l.ip().octets()),
                words(r.ip().octets()),
            )
        }
        _ => return None,
    };
    let message = Message {
        header: NlMsgHdr {
            len: std::mem::size_of::<Message>() as u32,
            kind: SOCK_DIAG_BY_FAMILY,
            flags: NLM_F_REQUEST,
            seq: 1,
            pid: 0,
        },
        request: Request {
            family: family as u8,
            protocol: libc::IPPROTO_TCP as u8,
            ext,
            states: !0,
            id: SockId {
                sport: local.port().to_be(),
                dport: remote.port().to_be(),
                src,
                dst,
                // INET_DIAG_NOCOOKIE: found by its addresses alone.
                cookie: [!0, !0],
                ..SockId::default()
            },
            ..Request::default()
        },
    };
    // SAFETY: a socket we own and close; the buffers are plain data of the
    // sizes given to the kernel.
    unsafe {
        let fd = sock_diag_socket().ok()?;
        let mut found = None;
        let sent = libc::send(
            fd,
            (&message as *const Message).cast(),
            std::mem::size_of::<Message>(),
            0,
        );
        if sent >= 0 {
            // A lookup answers with one message and no NLMSG_DONE: the
            // first answer ends it (an error or a missing socket, too).
            let _ = read_answers(fd, 1, |answer, attrs| {
                found = Some((*answer, attrs.to_vec()));
            });
        }
        libc::close(fd);
        // Trap: the kernel looks the addresses up as an arriving segment
        // would, so with the connection gone it answers with the socket
        // listening on `local`'s port (hostile round 55: a connection the
        // server had closed still "held" the listener's inode, and its
        // accept queue stood for the bytes it left unread). No connection.
        found.filter(|(answer, _)| u32::from(answer.state) != TCP_LISTEN)
    }
}

/// Reads the answers to request `seq` until its NLMSG_DONE, each with
/// the attributes that follow it.
unsafe fn read_answers(
    fd: libc::c_int,
    seq: u32,
    mut each: impl FnMut(&Answer, &[u8]),
) -> io::Result<()> {
    // u64 words: the messages in it are read at 4-byte-aligned offsets.
    let mut buf = vec![0u64; 4096];
    let bytes = buf.len() * 8;
    // Bounded: a dump is a few hundred answers a read (a tree's sockets
    // are bounded by its descriptors); a kernel that kept sending would
    // still be cut off.
    for _ in 0..10_000 {
        let n = libc::recv(fd, buf.as_mut_ptr().cast(), bytes, 0);
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        let data = std::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), n as usize);
        let mut at = 0;
        while at + std::mem::size_of::<NlMsgHdr>() <= data.len() {
            let header: NlMsgHdr = std::ptr::read_unaligned(data[at..].as_ptr().cast());
            let len = header.len as usize;
            if len < std::mem::size_of::<NlMsgHdr>() || at + len > data.len() {
                return Err(io::Error::other("a truncated sock_diag answer"));
            }
            if header.seq == seq {
                match header.kind {
                    NLMSG_DONE => return Ok(()),
                    NLMSG_ERROR => {
                        let code: i32 = std::ptr::read_unaligned(
                            data[at + std::mem::size_of::<NlMsgHdr>()..].as_ptr().cast(),
                        );
                        return Err(io::Error::from_raw_os_error(-code));
                    }
                    SOCK_DIAG_BY_FAMILY => {
                        let body = at + std::mem::size_of::<NlMsgHdr>();
                        if body + std::mem::size_of::<Answer>() <= at + len {
                            let answer: Answer =
                                std::ptr::read_unaligned(data[body..].as_ptr().cast());
                            let attrs = &data[body + std::mem::size_of::<Answer>()..at + len];
                            each(&answer, attrs);
                            // A lookup (no dump) ends with its one answer.
                            if header.flags & NLM_F_MULTI == 0 {
                                return Ok(());
                            }
                        }
                    }
                    _ => {}
                }
            }
            at += (len + 3) & !3; // NLMSG_ALIGN
        }
    }
    Err(io::Error::other("sock_diag never said it was done"))
}

/// `INET_DIAG_SKMEMINFO` (7 in linux/inet_diag.h's list: 4 is the
/// congestion control's name, whose bytes read as figures gave every
/// socket gigabytes): an answer's attribute of `u32` memory figures,
/// asked for with its bit, `1 << (7 - 1)`, in the request's `ext`.
const INET_DIAG_SKMEMINFO: u16 = 7;
/// Indices in it: what the socket's queues take in the kernel (their
/// buffers' true size, not the bytes in them), and what it has reserved.
const SK_MEMINFO_RMEM_ALLOC: usize = 0;
const SK_MEMINFO_FWD_ALLOC: usize = 4;
const SK_MEMINFO_WMEM_QUEUED: usize = 5;

/// The kernel memory the TCP sockets of this thread's network namespace
/// hold, summed: each socket's receive queue and send queue
/// at their buffers' true size, and what it has reserved ahead, which is
/// what the machine's TCP pool counts. A byte count (`/proc/net/tcp`'s
/// queues) is no measure of it: one byte a segment costs some 700 bytes
/// of buffer (hostile round 28: 311 MiB of the pool held for 525 KiB of
/// queued bytes). Connections not yet accepted are among those listed.
/// And, with it, the connections waiting in the listeners' accept queues:
/// a connection reset before it was accepted leaves every table (its
/// state is CLOSE) but keeps, in its listener's queue, what it received
/// (hostile round 29: 282 MiB of the pool, none of it listed).
pub fn tcp_memory() -> io::Result<(u64, u64)> {
    let (mut held, mut waiting) = (0u64, 0u64);
    // SAFETY: a socket we own and close.
    unsafe {
        let fd = sock_diag_socket()?;
        let result = dump_tcp(fd, !0, 1 << (INET_DIAG_SKMEMINFO - 1), |answer, attrs| {
            held = held.saturating_add(socket_memory(attrs));
            if u32::from(answer.state) == TCP_LISTEN {
                waiting += u64::from(answer.rqueue);
            }
        });
        libc::close(fd);
        result.map(|()| (held, waiting))
    }
}

/// The memory figures of one answer's `INET_DIAG_SKMEMINFO` attribute
/// (rtattrs: a u16 length, a u16 type, the value, aligned to 4), summed.
fn socket_memory(attrs: &[u8]) -> u64 {
    let mut at = 0;
    while at + 4 <= attrs.len() {
        let len = usize::from(u16::from_ne_bytes([attrs[at], attrs[at + 1]]));
        let kind = u16::from_ne_bytes([attrs[at + 2], attrs[at + 3]]);
        if len < 4 || at + len > attrs.len() {
            return 0;
        }
        if kind == INET_DIAG_SKMEMINFO {
            let value = &attrs[at + 4..at + len];
            let figure = |i: usize| {
                value.get(i * 4..i * 4 + 4).map_or(0, |b| {
                    u64::from(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
                })
            };
            return figure(SK_MEMINFO_RMEM_ALLOC)
                + figure(SK_MEMINFO_WMEM_QUEUED)
                + figure(SK_MEMINFO_FWD_ALLOC);
        }
        at += (len + 3) & !3;
    }
    0
}

/// An answer's local address: its words are in network order, as they
/// lie in memory.
fn local_address(answer: &Answer) -> SocketAddr {
    let bytes: Vec<u8> = answer.id.src.iter().flat_map(|w| w.to_ne_bytes()).collect();
    let ip = if i32::from(answer.family) == libc::AF_INET6 {
        let mut v6 = [0u8; 16];
        v6.copy_from_slice(&bytes);
        IpAddr::V6(Ipv6Addr::from(v6))
    } else {
        IpAddr::V4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]))
    };
    SocketAddr::new(ip, u16::from_be(answer.id.sport))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};
    use std::os::unix::fs::MetadataExt;

    /// The inode of a socket we hold, as /proc/self/fd shows it.
    fn inode(fd: &impl std::os::fd::AsRawFd) -> u64 {
        std::fs::metadata(format!("/proc/self/fd/{}", fd.as_raw_fd()))
            .unwrap()
            .ino()
    }

    #[test]
    fn listeners_are_found_with_their_inodes_and_connections_are_not() {
        let v4 = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = v4.local_addr().unwrap();
        let client = TcpStream::connect(addr).unwrap();
        let client_port = client.local_addr().unwrap().port();
        let found = listeners(Transport::Tcp).unwrap();
        assert!(found.contains(&(addr, inode(&v4))), "{found:?}");
        assert!(
            !found.iter().any(|(a, _)| a.port() == client_port),
            "{found:?}"
        );
        // Every address: the table says so (a server that binds it while
        // it announces 127.0.0.1 is told by this).
        let everywhere = TcpListener::bind("0.0.0.0:0").unwrap();
        let found = listeners(Transport::Tcp).unwrap();
        let wildcard = everywhere.local_addr().unwrap();
        assert!(wildcard.ip().is_unspecified());
        assert!(found.contains(&(wildcard, inode(&everywhere))), "{found:?}");
        if let Ok(v6) = TcpListener::bind("[::1]:0") {
            let addr = v6.local_addr().unwrap();
            let found = listeners(Transport::Tcp).unwrap();
            assert!(found.contains(&(addr, inode(&v6))), "{found:?}");
        }
        drop(v4);
        let found = listeners(Transport::Tcp).unwrap();
        assert!(!found.iter().any(|(a, _)| *a == addr), "{found:?}");
    }

    /// A UDP server's socket (bound, connected to no peer) is found with
    /// its inode; a client's connected socket is not, nor is a TCP one.
    #[test]
    fn bound_udp_sockets_are_found_and_connected_ones_are_not() {
        let server = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = server.local_addr().unwrap();
        let client = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        client.connect(addr).unwrap();
        let client_addr = client.local_addr().unwrap();
        let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
        // A kernel without udp_diag answers with an error: the harness
        // then reads /proc/net/udp (`harness::over_udp` holds that path
        // to the same result).
        let found = match listeners(Transport::Udp) {
            Ok(found) => found,
            Err(e) => {
                eprintln!("skipped: no UDP answers from sock_diag here ({e})");
                return;
            }
        };
        assert!(found.contains(&(addr, inode(&server))), "{found:?}");
        assert!(!found.iter().any(|(a, _)| *a == client_addr), "{found:?}");
        let tcp_addr = tcp.local_addr().unwrap();
        assert!(!found.iter().any(|(a, _)| *a == tcp_addr), "{found:?}");
        assert!(!listeners(Transport::Tcp)
            .unwrap()
            .iter()
            .any(|(a, _)| *a == addr));
        drop(server);
        let found = listeners(Transport::Udp).unwrap();
        assert!(!found.iter().any(|(a, _)| *a == addr), "{found:?}");
    }

    /// One byte a segment, never read, on a connection never accepted:
    /// the memory it holds is its buffers', far above the bytes in them;
    /// and a dump of the namespace's sockets counts it.
    #[test]
    fn the_memory_of_tiny_segments_is_counted_not_their_bytes() {
        use std::os::fd::AsRawFd;
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        client.set_nodelay(true).unwrap();
        for _ in 0..100 {
            // SAFETY: a one-byte send on a socket we own.
            let sent =
                unsafe { libc::send(client.as_raw_fd(), b"x".as_ptr().cast(), 1, libc::MSG_EOR) };
            assert_eq!(sent, 1);
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        let (server_side, client_side) =
            (listener.local_addr().unwrap(), client.local_addr().unwrap());
        let held = memory_of(server_side, client_side).expect("the unaccepted connection is found");
        // Far above the bytes, and a figure of memory, not of something
        // else (a wrong attribute read as figures gave gigabytes).
        assert!(
            (100 * 100..16 << 20).contains(&held),
            "100 bytes queued, {held} bytes held"
        );
        assert!(tcp_memory().expect("sock_diag answers").0 >= held);
    }

    #[test]
    fn bytes_not_yet_read_are_counted_until_they_are_read() {
        use std::io::{Read, Write};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        let (here, there) = (server.local_addr().unwrap(), client.local_addr().unwrap());
        assert_eq!(unread_bytes(here, there), Some(0));
        client.write_all(b"hello").unwrap();
        let waited = (0..200).find_map(|_| {
            std::thread::sleep(std::time::Duration::from_millis(5));
            unread_bytes(here, there).filter(|n| *n == 5)
        });
        assert_eq!(waited, Some(5));
        let mut buf = [0u8; 5];
        server.read_exact(&mut buf).unwrap();
        assert_eq!(unread_bytes(here, there), Some(0));
        drop(server);
        drop(client);
        let unknown: SocketAddr = "127.0.0.1:1".parse().unwrap();
        assert_eq!(unread_bytes(unknown, there), None);
    }
}
