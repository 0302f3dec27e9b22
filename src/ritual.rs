//! The socket ritual, step by step.
//!
//! A TCP server always does the same four things before it can talk to
//! anyone, in this order — the handout calls it a ritual:
//!
//! 1. `socket()` — create a TCP socket;
//! 2. set `SO_REUSEADDR` — so a restarted server can bind again at once;
//! 3. `bind()` — attach it to a local address and port;
//! 4. `listen()` — mark it as willing to accept connections.
//!
//! Step 5, `accept()`, happens in each server's loop ([`crate::server`]).
//! A client needs only `socket()` and `connect()` ([`connect`]).
//!
//! Failures come back as [`ListenError`] / [`ConnectError`], whose message
//! names the address and the cause in plain words, e.g.
//! `cannot listen on 127.0.0.1:5000: address already in use`.

use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};

use socket2::{Domain, Protocol, Socket, Type};

use crate::config::{Config, Seconds};

/// How many finished handshakes the kernel queues for us before `accept()`.
/// The handout's `listen(1)` / `listen(5)` is fine for one client; under load
/// a full queue makes the kernel drop connection attempts (SYNs), and clients
/// stall for 1 s, 3 s, 7 s while their SYN is retransmitted.
pub const BACKLOG: i32 = 128;

/// The server could not get a listening socket.
#[derive(Debug)]
pub struct ListenError {
    /// The address we tried, as the user wrote it (`127.0.0.1:5000`).
    pub addr: String,
    pub source: io::Error,
}

impl fmt::Display for ListenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot listen on {}: {}", self.addr, plain(&self.source))
    }
}

impl std::error::Error for ListenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// The client could not connect.
#[derive(Debug)]
pub struct ConnectError {
    pub addr: String,
    pub source: io::Error,
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "could not connect to {}: {}",
            self.addr,
            plain(&self.source)
        )
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// An I/O error in plain words, without the `(os error 98)` noise.
pub fn plain(e: &io::Error) -> String {
    use io::ErrorKind::*;
    match e.kind() {
        AddrInUse => "address already in use".into(),
        AddrNotAvailable => "address not available on this machine".into(),
        PermissionDenied => "permission denied (ports below 1024 need administrator rights)".into(),
        ConnectionRefused => "connection refused (is the server running?)".into(),
        ConnectionReset => "connection reset by the other side".into(),
        TimedOut | WouldBlock => "timed out".into(),
        _ => {
            // Keep the operating system's words, minus the error number.
            let text = e.to_string();
            match text.find(" (os error") {
                Some(at) => text[..at].to_lowercase(),
                None => text,
            }
        }
    }
}

/// Steps 1–4 for the configured address: a socket ready to `accept()`.
pub fn listen(config: &Config) -> Result<TcpListener, ListenError> {
    let fail = |source| ListenError {
        addr: config.addr(),
        source,
    };
    let addr = resolve(config).map_err(fail)?;
    listen_on(addr).map_err(|e| fail(e.source))
}

/// Steps 1–4 for one socket address.
pub fn listen_on(addr: SocketAddr) -> Result<TcpListener, ListenError> {
    let fail = |source| ListenError {
        addr: addr.to_string(),
        source,
    };

    // Step 1 — socket(): a TCP socket (SOCK_STREAM), IPv4 or IPv6 to match
    // the address, so LAB_HOST=::1 works too.
    let socket =
        Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP)).map_err(fail)?;

    // Step 2 — SO_REUSEADDR: our server closes each connection first, which
    // leaves that connection in TIME_WAIT for a minute or so. Without this
    // option, restarting the server on the same port fails during that time
    // with "address already in use". Unix only: on Windows SO_REUSEADDR means
    // something else (another program could take over a port in use), and
    // Windows lets a server rebind over TIME_WAIT without it.
    #[cfg(unix)]
    socket.set_reuse_address(true).map_err(fail)?;

    // Step 3 — bind(): attach the socket to a local address and port. This is
    // where "address already in use" shows up if another server has the port.
    // Port 0 asks the OS for any free port.
    socket.bind(&addr.into()).map_err(fail)?;

    // Step 4 — listen(): the socket becomes a listening socket. From now on
    // the kernel completes handshakes for us and queues them (the backlog).
    socket.listen(BACKLOG).map_err(fail)?;

    Ok(socket.into())
}

/// A client's steps — socket() and connect() — with `config.timeout` as the
/// limit for the handshake. Tries each address `host` stands for.
pub fn connect(config: &Config) -> Result<TcpStream, ConnectError> {
    let fail = |source| ConnectError {
        addr: config.addr(),
        source,
    };
    let addrs = config.socket_addrs().map_err(fail)?;
    let mut last = io::Error::new(io::ErrorKind::AddrNotAvailable, "no address to connect to");
    for addr in addrs {
        // socket() + connect(): std creates the socket and starts the
        // three-way handshake (SYN, SYN-ACK, ACK). "Connection refused" means
        // the other machine answered the SYN with a reset: nobody listens.
        match TcpStream::connect_timeout(&addr, config.timeout) {
            Ok(stream) => return Ok(stream),
            Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                last = io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("no answer within {}", Seconds(config.timeout)),
                );
            }
            Err(e) => last = e,
        }
    }
    Err(fail(last))
}

/// The first socket address of `host:port`.
fn resolve(config: &Config) -> io::Result<SocketAddr> {
    config.socket_addrs()?.into_iter().next().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::AddrNotAvailable,
            "the host name has no address",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loopback(port: u16) -> Config {
        Config {
            port,
            ..Config::default()
        }
    }

    #[test]
    fn a_port_in_use_is_named_in_plain_words() {
        let first = listen(&loopback(0)).unwrap();
        let port = first.local_addr().unwrap().port();
        let err = listen(&loopback(port)).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("cannot listen on 127.0.0.1:{port}: address already in use")
        );
    }

    #[test]
    fn nothing_listening_is_a_refused_connection() {
        // Bind a port, then free it: nothing listens there any more.
        let port = listen(&loopback(0)).unwrap().local_addr().unwrap().port();
        let err = connect(&loopback(port)).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "could not connect to 127.0.0.1:{port}: connection refused (is the server running?)"
            )
        );
    }

    #[test]
    fn a_listener_accepts_a_connection() {
        let listener = listen(&loopback(0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stream = connect(&loopback(port)).unwrap();
        let (_conn, peer) = listener.accept().unwrap();
        assert_eq!(peer, stream.local_addr().unwrap());
    }

    #[test]
    fn plain_drops_the_os_error_number() {
        let e = io::Error::from_raw_os_error(2);
        assert!(!plain(&e).contains("os error"), "{}", plain(&e));
    }
}
