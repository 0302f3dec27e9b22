//! The Week 1 server: accept a client, receive one message, reply, close.
//!
//! Read it top to bottom; it follows the handout's ritual. Steps 1–4
//! (socket, SO_REUSEADDR, bind, listen) are in [`crate::ritual`]; this file
//! starts at step 5, `accept()`, and goes on to receive, reply and close.
//!
//! [`run`] takes a listener that is already bound, so a test (or the binary)
//! decides the address, and a [`Shutdown`] flag, so Ctrl+C stops it cleanly.
//! By default it serves one client and returns (the handout's MVP);
//! `forever` serves clients one after another (extension A) until shutdown;
//! `echo` replies with the message itself instead of `ACK: <message>`.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use crate::config::{Config, Seconds};
use crate::console::{count, Role};
use crate::message::{self, Rejection};
use crate::ritual::plain;
use crate::shutdown::Shutdown;

const SERVER: Role = Role::Server;

/// How the server behaves beyond the MVP.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Serve clients one after another until shutdown (extension A).
    pub forever: bool,
    /// Reply with the message itself (the echo-server variants).
    pub echo: bool,
}

/// What every server binary does around its own loop: install the Ctrl+C /
/// SIGTERM handler, go through the socket ritual for `config`, run `serve`,
/// and turn the outcome into an exit status (errors printed once, on
/// stderr). Shared by `server`, `server_threaded` and `chat_server`.
pub fn launch(
    config: &Config,
    serve: impl FnOnce(TcpListener, &Shutdown) -> io::Result<()>,
) -> std::process::ExitCode {
    use std::process::ExitCode;
    let shutdown = match Shutdown::install() {
        Ok(shutdown) => shutdown,
        Err(e) => {
            SERVER.error(format_args!("cannot handle Ctrl+C: {e}"));
            return ExitCode::FAILURE;
        }
    };
    let listener = match crate::ritual::listen(config) {
        Ok(listener) => listener,
        Err(e) => {
            SERVER.error(e);
            return ExitCode::FAILURE;
        }
    };
    match serve(listener, &shutdown) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            SERVER.error(plain(&e));
            ExitCode::FAILURE
        }
    }
}

/// Serves one client (or, with `forever`, clients until `shutdown`) on an
/// already listening socket. Only a broken listener is an error: nothing a
/// client does can make the server fail.
pub fn run(
    listener: TcpListener,
    config: &Config,
    options: Options,
    shutdown: &Shutdown,
) -> io::Result<()> {
    // local_addr() tells us the real port, even when we asked for port 0.
    SERVER.say(format_args!("Listening on {}", listener.local_addr()?));
    shutdown.watch(&listener);

    while let Some((stream, peer)) = accept_next(&listener, shutdown) {
        let _busy = shutdown.busy(); // a Ctrl+C now waits for this session
        serve(stream, peer, config, options.echo, false);
        if !options.forever {
            // The MVP: one session, then the listening socket is closed when
            // `listener` goes out of scope.
            return Ok(());
        }
    }
    SERVER.say("Shutting down");
    Ok(())
}

/// Step 5 — accept(): sleeps until a client has connected, then returns a
/// *new* socket for talking to that client; the listening socket stays as it
/// was, ready for the next one. `None` once a shutdown was asked for. Shared
/// by every server's loop.
pub(crate) fn accept_next(
    listener: &TcpListener,
    shutdown: &Shutdown,
) -> Option<(TcpStream, SocketAddr)> {
    while !shutdown.is_triggered() {
        match listener.accept() {
            // Ctrl+C wakes accept() with a connection of its own (see
            // shutdown.rs), so check the flag after every accept.
            Ok(_) if shutdown.is_triggered() => return None,
            Ok(pair) => return Some(pair),
            Err(e) => {
                // E.g. too many open files, or a client that gave up while
                // queued. Not the server's death: pause briefly, go on.
                SERVER.error(format_args!("accept failed: {}", plain(&e)));
                thread::sleep(Duration::from_millis(100));
            }
        }
    }
    None
}

/// One session with one connected client: receive, reply, close. Used by
/// the threaded server too, which sets `name_peer` so each line says which
/// client it is about.
pub(crate) fn serve(
    mut stream: TcpStream,
    peer: SocketAddr,
    config: &Config,
    echo: bool,
    name_peer: bool,
) {
    let who = if name_peer {
        format!("{peer} ")
    } else {
        String::new()
    };
    SERVER.say(format_args!("Connection from {peer}"));
    if let Err(e) = exchange(&mut stream, peer, config, echo, &who) {
        // A client that resets the connection mid-way hurts only its session.
        SERVER.error(format_args!("{peer}: {}", plain(&e)));
    }
    // Step 8 — close(): we hang up first. Our side of the connection now
    // waits in TIME_WAIT for a while; SO_REUSEADDR (step 2) is what lets a
    // restarted server bind the port again meanwhile.
    drop(stream);
    SERVER.say(format_args!("{who}Closed connection"));
}

/// Steps 6 and 7: receive one message, send one reply.
fn exchange(
    stream: &mut TcpStream,
    peer: SocketAddr,
    config: &Config,
    echo: bool,
    who: &str,
) -> io::Result<()> {
    // Without a timeout, a client that connects and never sends would keep
    // the server waiting in read() forever.
    stream.set_read_timeout(Some(config.timeout))?;
    stream.set_write_timeout(Some(config.timeout))?;

    // Step 6 — recv(): one message is what one read of up to
    // LAB_BUFFER_SIZE bytes returns (the handout's rule). Trap: in general
    // one read is not one message; see the chat for real framing.
    let mut buffer = vec![0u8; config.buffer_size];
    let received = match read_within(stream, &mut buffer, config.timeout) {
        // A 0-byte read means the client closed the connection: end of the
        // stream, not an empty message.
        Ok(0) => {
            SERVER.say(format_args!("Client {peer} closed without sending"));
            return Ok(());
        }
        Ok(n) => &buffer[..n],
        Err(e) if is_timeout(&e) => {
            SERVER.say(format_args!(
                "Client {peer} sent nothing within {}; closing",
                Seconds(config.timeout)
            ));
            return Ok(());
        }
        Err(e) => return Err(e),
    };

    // Check the message (extension B) and choose the reply.
    let reply = match message::validate(received) {
        Ok(text) => {
            SERVER.say(format_args!("{who}Received: {text}"));
            if echo {
                text.to_string()
            } else {
                message::ack(text)
            }
        }
        Err(Rejection::InvalidUtf8) => {
            // Do not print bytes that are not text; say how many there were.
            SERVER.say(format_args!(
                "{who}Rejected: invalid UTF-8 ({})",
                count(received.len(), "byte")
            ));
            Rejection::InvalidUtf8.reply().to_string()
        }
        Err(rejection) => {
            let text = String::from_utf8_lossy(received);
            SERVER.say(format_args!("{who}Received: {}", text.trim()));
            rejection.reply().to_string()
        }
    };

    // Step 7 — send(): write_all keeps writing until every byte is handed
    // to the kernel (a single write may take only part of it).
    stream.write_all(reply.as_bytes())?;
    SERVER.say(format_args!("{who}Sent: {reply}"));
    discard_unread(stream);
    Ok(())
}

/// One `read()` that waits at most `limit` in all, even if signals
/// interrupt it.
///
/// Trap: on Linux a socket call with a receive timeout (SO_RCVTIMEO) is
/// never restarted after a signal, whatever SA_RESTART says (signal(7)):
/// Ctrl+C during a session makes `read()` fail with EINTR ("interrupted
/// system call"). That is not the client's fault nor a broken connection:
/// read again, for the time that is left, and let the session finish.
pub(crate) fn read_within(
    stream: &mut TcpStream,
    buffer: &mut [u8],
    limit: Duration,
) -> io::Result<usize> {
    let deadline = Instant::now() + limit;
    loop {
        match stream.read(buffer) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(io::ErrorKind::TimedOut.into());
                }
                stream.set_read_timeout(Some(left))?;
            }
            other => return other,
        }
    }
}

/// Throws away whatever the client sent beyond the one message we read.
///
/// Trap: closing a socket while received data is still unread makes the
/// kernel abort the connection with a reset (RST) instead of a polite FIN,
/// and the client may then get "connection reset" instead of our reply.
/// This happens when a message is longer than LAB_BUFFER_SIZE.
pub(crate) fn discard_unread(stream: &mut TcpStream) {
    if stream.set_nonblocking(true).is_err() {
        return;
    }
    let mut scrap = [0u8; 4096];
    // Only what has already arrived, and at most 1 MiB: never wait here.
    for _ in 0..256 {
        match stream.read(&mut scrap) {
            Ok(n) if n > 0 => continue,
            _ => break,
        }
    }
}

/// Did a read give up because its timeout passed? (Unix says WouldBlock,
/// Windows says TimedOut.)
pub(crate) fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ritual;

    fn start(options: Options) -> (SocketAddr, thread::JoinHandle<io::Result<()>>, Shutdown) {
        let config = Config {
            port: 0,
            timeout: Duration::from_secs(2),
            ..Config::default()
        };
        let listener = ritual::listen(&config).unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = Shutdown::new();
        let handle = {
            let shutdown = shutdown.clone();
            thread::spawn(move || run(listener, &config, options, &shutdown))
        };
        (addr, handle, shutdown)
    }

    fn ask(addr: SocketAddr, message: &[u8]) -> Vec<u8> {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream.write_all(message).unwrap();
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply).unwrap();
        reply
    }

    #[test]
    fn one_session_then_return() {
        let (addr, handle, _shutdown) = start(Options::default());
        assert_eq!(ask(addr, b"Hello Server"), b"ACK: Hello Server");
        handle.join().unwrap().unwrap();
    }

    #[test]
    fn forever_serves_until_shutdown_and_echo_echoes() {
        let options = Options {
            forever: true,
            echo: true,
        };
        let (addr, handle, shutdown) = start(options);
        assert_eq!(ask(addr, b"one"), b"one");
        assert_eq!(ask(addr, b" two \n"), b"two");
        assert_eq!(ask(addr, b"   "), b"ERROR: Empty message");
        shutdown.trigger();
        handle.join().unwrap().unwrap();
    }
}
