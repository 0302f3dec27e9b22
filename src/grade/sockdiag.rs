//! The TCP sockets listening in the calling thread's network namespace,
//! asked of the kernel over netlink (sock_diag, as `ss -ltn` does), with
//! their inodes so the harness can tell whose they are; and the bytes a
//! connected socket holds unread (`ss -tn`'s Recv-Q), looked up by its
//! addresses.
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

const NETLINK_SOCK_DIAG: libc::c_int = 4;
const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_DUMP: u16 = 0x300;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLM_F_MULTI: u16 = 0x2;
const TCP_LISTEN: u32 = 10;

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

/// (local address, socket inode) of every listening TCP socket, IPv4 and
/// IPv6, in this thread's network namespace.
pub fn tcp_listeners() -> io::Result<Vec<(SocketAddr, u64)>> {
    // SAFETY: a socket we own and close; the buffers are plain data of the
    // sizes given to the kernel.
    unsafe {
        let fd = sock_diag_socket()?;
        let result = dump(fd);
        libc::close(fd);
        result
    }
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

unsafe fn dump(fd: libc::c_int) -> io::Result<Vec<(SocketAddr, u64)>> {
    let mut found = Vec::new();
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
                protocol: libc::IPPROTO_TCP as u8,
                states: 1 << TCP_LISTEN,
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
        read_answers(fd, seq, |answer| {
            if u32::from(answer.state) == TCP_LISTEN {
                found.push((local_address(answer), answer.inode.into()));
            }
        })?;
    }
    Ok(found)
}

/// The bytes waiting unread in the receive queue of the TCP socket at
/// `local` connected to `remote`, in this thread's network namespace (one
/// lookup by its addresses, not a dump): has its program read what was
/// sent to it? `None` where the kernel does not say (no such socket).
pub fn unread_bytes(local: SocketAddr, remote: SocketAddr) -> Option<u32> {
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
        let mut unread = None;
        let sent = libc::send(
            fd,
            (&message as *const Message).cast(),
            std::mem::size_of::<Message>(),
            0,
        );
        if sent >= 0 {
            // A lookup answers with one message and no NLMSG_DONE: the
            // first answer ends it (an error or a missing socket, too).
            let _ = read_answers(fd, 1, |answer| unread = Some(answer.rqueue));
        }
        libc::close(fd);
        unread
    }
}

/// Reads the answers to request `seq` until its NLMSG_DONE.
unsafe fn read_answers(fd: libc::c_int, seq: u32, mut each: impl FnMut(&Answer)) -> io::Result<()> {
    // u64 words: the messages in it are read at 4-byte-aligned offsets.
    let mut buf = vec![0u64; 4096];
    let bytes = buf.len() * 8;
    // Bounded: a dump of listeners is a few messages; a kernel that kept
    // sending would still be cut off.
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
                            each(&answer);
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
        let found = tcp_listeners().unwrap();
        assert!(found.contains(&(addr, inode(&v4))), "{found:?}");
        assert!(
            !found.iter().any(|(a, _)| a.port() == client_port),
            "{found:?}"
        );
        // Every address: the table says so (a server that binds it while
        // it announces 127.0.0.1 is told by this).
        let everywhere = TcpListener::bind("0.0.0.0:0").unwrap();
        let found = tcp_listeners().unwrap();
        let wildcard = everywhere.local_addr().unwrap();
        assert!(wildcard.ip().is_unspecified());
        assert!(found.contains(&(wildcard, inode(&everywhere))), "{found:?}");
        if let Ok(v6) = TcpListener::bind("[::1]:0") {
            let addr = v6.local_addr().unwrap();
            let found = tcp_listeners().unwrap();
            assert!(found.contains(&(addr, inode(&v6))), "{found:?}");
        }
        drop(v4);
        let found = tcp_listeners().unwrap();
        assert!(!found.iter().any(|(a, _)| *a == addr), "{found:?}");
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
