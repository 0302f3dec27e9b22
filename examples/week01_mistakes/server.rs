//! The one-shot `server` role (the handout's MVP): the socket ritual step by
//! step, one client session, then exit 0. The session itself ([`session`]) is
//! shared with the threaded server, which only changes how lines are labelled.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};

use socket2::{Domain, Protocol, Socket, Type};

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use crate::common::{describe, is_timeout, mistake, on_shutdown, say, Config, Mistake, USAGE};

/// Extension B: a message may be at most this many characters.
pub const MAX_CHARS: usize = 100;

/// How the session's lines name the client: the one-shot server has one
/// client and says `Received: ...`; the threaded server has many and puts the
/// address in every line.
pub struct Voice {
    /// Put after `[SERVER] ` on every session line: "" or "127.0.0.1:P ".
    pub tag: String,
    /// How the client is named in the special-case lines.
    pub who: String,
}

impl Voice {
    pub fn one_shot(peer: SocketAddr) -> Voice {
        Voice {
            tag: String::new(),
            who: format!("Client {peer}"),
        }
    }

    pub fn threaded(peer: SocketAddr) -> Voice {
        Voice {
            tag: format!("{peer} "),
            who: peer.to_string(),
        }
    }
}

pub fn run(cfg: &Config, args: &[String]) -> i32 {
    if let Some(extra) = args.first() {
        eprintln!("[SERVER] Error: unexpected argument {extra:?} (this server takes none; configure it with LAB_*)");
        return USAGE;
    }

    let port = if mistake(Mistake::IgnoresConfig) {
        // MISTAKE(ignores-config): the student "fixed" a port clash by always
        // asking for any free port, so LAB_PORT is never read. It still
        // announces the real port, but whoever told it which port to use
        // (a grader, a client configured with the same LAB_PORT) cannot reach it.
        0
    } else {
        cfg.port
    };
    let addr = match cfg.address_with_port(port) {
        Ok(addr) => addr,
        Err(message) => {
            eprintln!("[SERVER] Error: {message}");
            return 1;
        }
    };

    // 1. socket(): a TCP socket of the address's family.
    let socket = match Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP)) {
        Ok(socket) => socket,
        Err(e) => {
            eprintln!("[SERVER] Error: cannot create a socket: {}", describe(&e));
            return 1;
        }
    };

    // 2. SO_REUSEADDR: lets us bind the port again while an old connection
    //    from our previous run still sits in TIME_WAIT (the side that closes
    //    first -- this server -- keeps TIME_WAIT for a minute or so).
    if mistake(Mistake::NoReuseaddr) {
        // MISTAKE(no-reuseaddr): the student left this step out because the
        // server "works" the first time. Run it again right after a session
        // and bind fails with "address already in use" for about a minute.
    } else if let Err(e) = socket.set_reuse_address(true) {
        eprintln!("[SERVER] Error: cannot set SO_REUSEADDR: {}", describe(&e));
        return 1;
    }

    // 3. bind(): claim the address and port. A busy port fails here.
    if mistake(Mistake::PortInUse) {
        // MISTAKE(port-in-use): unwrap() instead of handling the error: a busy
        // port becomes a panic (exit 101) with a debug dump that never names
        // the address, instead of one clear error line and exit 1.
        socket.bind(&addr.into()).unwrap();
    } else if let Err(e) = socket.bind(&addr.into()) {
        eprintln!("[SERVER] Error: cannot listen on {addr}: {}", describe(&e));
        return 1;
    }

    // 4. listen(): turn the socket into a listening one, with a queue for
    //    connections that arrive before accept() (a backlog of 1 or 5 drops
    //    connections when several clients arrive at once).
    if mistake(Mistake::MissingListen) {
        // MISTAKE(missing-listen): bind() then straight to accept(). The
        // socket never listens: clients get "connection refused" and accept()
        // fails with "invalid argument".
    } else if let Err(e) = socket.listen(128) {
        eprintln!("[SERVER] Error: cannot listen on {addr}: {}", describe(&e));
        return 1;
    }

    let local = socket
        .local_addr()
        .ok()
        .and_then(|a| a.as_socket())
        .unwrap_or(addr);
    say(format!("[SERVER] Listening on {local}"));

    // 5. accept(): wait for one client; we get a new socket just for it.
    let (conn, peer) = match socket.accept() {
        Ok((conn, peer)) => (conn, peer.as_socket()),
        Err(e) => {
            eprintln!("[SERVER] Error: accept failed: {}", describe(&e));
            return 1;
        }
    };
    let conn: TcpStream = conn.into();
    let peer = match peer.or_else(|| conn.peer_addr().ok()) {
        Some(peer) => peer,
        None => {
            eprintln!("[SERVER] Error: the client's address is unknown");
            return 1;
        }
    };
    // The listening socket is no longer needed: this server serves one client.
    drop(socket);

    if mistake(Mistake::OutputFormat) {
        // MISTAKE(output-format): printed the address the way Python prints
        // the tuple accept() returns, not as the contract's HOST:PORT.
        say(format!(
            "[SERVER] Connection from ('{}', {})",
            peer.ip(),
            peer.port()
        ));
    } else {
        say(format!("[SERVER] Connection from {peer}"));
    }
    session(conn, cfg, &Voice::one_shot(peer));

    if mistake(Mistake::ExitStatus) {
        // MISTAKE(exit-status): the student ends with exit(1) ("1 = done"),
        // so every script or grader sees a failure after a good session.
        return 1;
    }
    0
}

/// One request-response session: receive one message (one read of up to
/// LAB_BUFFER_SIZE bytes), check it, reply, close.
pub fn session(mut conn: TcpStream, cfg: &Config, voice: &Voice) {
    let tag = &voice.tag;

    // A client that connects and says nothing must not hold us forever.
    if mistake(Mistake::ServerTimeout) {
        // MISTAKE(server-timeout): no read timeout. A client that connects
        // and sends nothing blocks read() -- and this server -- forever.
    } else if let Err(e) = conn.set_read_timeout(Some(cfg.timeout)) {
        eprintln!(
            "[SERVER] {tag}Error: cannot set a timeout: {}",
            describe(&e)
        );
    }

    // recv(): one read is one message in this protocol.
    let mut buf = vec![0u8; cfg.buffer_size];
    let n = loop {
        match conn.read(&mut buf) {
            Ok(0) if mistake(Mistake::EmptyRecv) => {
                // MISTAKE(empty-recv): "keep reading until something arrives".
                // But a 0-byte read means the peer closed: it will return 0
                // again at once, forever. The server spins at 100% CPU and
                // never finishes the session.
                continue;
            }
            // A 0-byte read means the peer closed: there is no message.
            Ok(0) => {
                say(format!("[SERVER] {} closed without sending", voice.who));
                say(format!("[SERVER] {tag}Closed connection"));
                return;
            }
            Ok(n) => break n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) if is_timeout(&e) => {
                say(format!(
                    "[SERVER] {} sent nothing within {}; closing",
                    voice.who,
                    cfg.timeout_label()
                ));
                say(format!("[SERVER] {tag}Closed connection"));
                return;
            }
            Err(e) => {
                eprintln!("[SERVER] {tag}Error: receive failed: {}", describe(&e));
                say(format!("[SERVER] {tag}Closed connection"));
                return;
            }
        }
    };
    let data = &buf[..n];

    // Bytes are not text: decode, and answer bytes that are not UTF-8.
    let decoded = if mistake(Mistake::InvalidUtf8) {
        // MISTAKE(invalid-utf8): unwrap() on the decode, trusting the client
        // to send text. Bytes that are not UTF-8 panic the server (exit 101);
        // the client gets no reply at all.
        Ok(String::from_utf8(data.to_vec()).unwrap())
    } else {
        String::from_utf8(data.to_vec())
    };
    let reply = match decoded {
        Err(_) => {
            say(format!("[SERVER] {tag}Rejected: invalid UTF-8 ({n} bytes)"));
            "ERROR: Invalid UTF-8".to_string()
        }
        Ok(text) => {
            // Validation is on the message without surrounding whitespace
            // (a trailing newline from `nc` is not part of the message).
            let message = text.trim();
            say(format!(
                "[SERVER] {tag}Received: {}",
                netlab::message::escape_controls(message)
            ));
            answer(message)
        }
    };

    // sendall(): write_all loops until every byte is handed to the kernel.
    if let Err(e) = conn.write_all(reply.as_bytes()) {
        eprintln!("[SERVER] {tag}Error: send failed: {}", describe(&e));
        say(format!("[SERVER] {tag}Closed connection"));
        return;
    }
    say(format!(
        "[SERVER] {tag}Sent: {}",
        netlab::message::escape_controls(&reply)
    ));

    if mistake(Mistake::NoClose) {
        // MISTAKE(no-close): the student waits for the client to hang up
        // before closing. But the client waits for the server to close (that
        // is how it knows the reply is complete): both wait, and only the
        // client's own timeout ends the session.
        let _ = conn.set_read_timeout(None);
        let mut sink = [0u8; 256];
        while let Ok(n) = conn.read(&mut sink) {
            if n == 0 {
                break;
            }
        }
    }

    // close(): dropping the stream closes the connection (our FIN).
    drop(conn);
    say(format!("[SERVER] {tag}Closed connection"));
}

/// The reply to a decoded, trimmed message (extension B's rules).
pub fn answer(message: &str) -> String {
    if message.is_empty() {
        if mistake(Mistake::BlankMessage) {
            // MISTAKE(blank-message): no check for an empty message; a
            // message of spaces is acknowledged as `ACK: ` like any other.
        } else {
            return "ERROR: Empty message".to_string();
        }
    }
    // Characters, not bytes: "é" is one character but two UTF-8 bytes.
    if message.chars().count() > MAX_CHARS {
        if mistake(Mistake::TooLong) {
            // MISTAKE(too-long): the length rule was never written; a
            // 101-character message is acknowledged.
        } else {
            return "ERROR: Message too long".to_string();
        }
    }
    if mistake(Mistake::WrongReply) {
        // MISTAKE(wrong-reply): the reply was copied from the handout's
        // transcript instead of built from the message received.
        return "ACK: Hello Server".to_string();
    }
    format!("ACK: {message}")
}

/// Binds a listener the ordinary way (std sets SO_REUSEADDR on Unix).
/// The start of every long-running server (threaded, chat): bind, install
/// the Ctrl+C/SIGTERM handler, announce the real address. Returns the
/// listener and the stop flag, or the exit status to give up with.
pub fn listen_until_stopped(cfg: &Config) -> Result<(TcpListener, Arc<AtomicBool>), i32> {
    let addr = cfg.address().map_err(|message| {
        eprintln!("[SERVER] Error: {message}");
        1
    })?;
    let listener = bind(addr).map_err(|e| {
        eprintln!("[SERVER] Error: cannot listen on {addr}: {}", describe(&e));
        1
    })?;
    let local = listener.local_addr().unwrap_or(addr);
    let stop = if mistake(Mistake::NoGracefulShutdown) {
        // MISTAKE(no-graceful-shutdown): no signal handler. Ctrl+C or SIGTERM
        // kills the process on the spot: no `Shutting down` line, no exit 0,
        // and clients in the middle of a session are cut off.
        Arc::new(AtomicBool::new(false))
    } else {
        on_shutdown(local).map_err(|message| {
            eprintln!("[SERVER] Error: {message}");
            1
        })?
    };
    say(format!("[SERVER] Listening on {local}"));
    Ok((listener, stop))
}

pub fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr)
}
