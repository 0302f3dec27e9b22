//! The `client [MESSAGE]` role: connect, send one message (default
//! `Hello Server`), wait at most LAB_TIMEOUT for the reply, print it, close.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;

use crate::common::{describe, is_reset, is_timeout, mistake, say, Config, Mistake, USAGE};

pub fn run(cfg: &Config, args: &[String]) -> i32 {
    if args.len() > 1 && mistake(Mistake::ExtraArguments) {
        // MISTAKE(extra-arguments): only the first argument is read. Typed
        // without quotes, `client Hello Server` is two arguments, and
        // `Hello` alone goes out, with no word of the rest.
    } else if args.len() > 1 {
        eprintln!("[CLIENT] Error: expected at most one MESSAGE (quote a message with spaces)");
        eprintln!("usage: client [MESSAGE]");
        return USAGE;
    }
    let message = args.first().map(String::as_str).unwrap_or("Hello Server");
    if message.is_empty() {
        if mistake(Mistake::EmptyArgument) {
            // MISTAKE(empty-argument): no check on the argument: an empty
            // message is "sent" (zero bytes, so nothing goes out at all) and
            // the client then waits for a reply to nothing.
        } else {
            eprintln!("[CLIENT] Error: the message is empty; nothing sent");
            eprintln!("usage: client [MESSAGE]");
            return USAGE;
        }
    }

    let addr = match cfg.address() {
        Ok(addr) => addr,
        Err(text) => {
            eprintln!("[CLIENT] Error: {text}");
            return 1;
        }
    };

    if mistake(Mistake::ExtraConnection) {
        // MISTAKE(extra-connection): "first make sure the server is up": a
        // connection opened and closed at once, then the real one. To a
        // one-shot server that first connection is its one session: it
        // says the client sent nothing, and ends.
        drop(TcpStream::connect_timeout(&addr, cfg.timeout));
    }
    // connect(): the three-way handshake. Bounded, so an unreachable host
    // does not stall us for minutes.
    let connected = if mistake(Mistake::ClientRefused) {
        // MISTAKE(client-refused): unwrap() on connect. With no server
        // running the client panics (exit 101) with a debug dump instead of
        // saying what went wrong and what to do.
        Ok(TcpStream::connect_timeout(&addr, cfg.timeout).unwrap())
    } else {
        TcpStream::connect_timeout(&addr, cfg.timeout)
    };
    let mut stream = match connected {
        Ok(stream) => stream,
        Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
            eprintln!(
                "[CLIENT] Error: could not connect to {addr}: connection refused (is the server running?)"
            );
            return 1;
        }
        Err(e) => {
            eprintln!(
                "[CLIENT] Error: could not connect to {addr}: {}",
                describe(&e)
            );
            return 1;
        }
    };
    say(format!("[CLIENT] Connected to {addr}"));

    say(format!("[CLIENT] Sending: {message}"));
    let sent = if mistake(Mistake::WrongMessage) {
        // MISTAKE(wrong-message): the send still uses the handout's literal
        // instead of the `message` variable printed just above.
        stream.write_all(b"Hello Server")
    } else {
        stream.write_all(message.as_bytes())
    };
    if let Err(e) = sent {
        eprintln!("[CLIENT] Error: send failed: {}", describe(&e));
        return 1;
    }

    // Never wait forever for a reply.
    if mistake(Mistake::ClientTimeout) {
        // MISTAKE(client-timeout): no read timeout. A server that accepts and
        // never answers leaves this client waiting forever.
    } else if let Err(e) = stream.set_read_timeout(Some(cfg.timeout)) {
        eprintln!("[CLIENT] Error: cannot set a timeout: {}", describe(&e));
        return 1;
    }

    let mut buf = vec![0u8; cfg.buffer_size];
    let n = loop {
        match stream.read(&mut buf) {
            Ok(0) if mistake(Mistake::ClientEof) => {
                // MISTAKE(client-eof): the 0-byte read is taken as an (empty)
                // reply. But 0 bytes means the server closed without replying:
                // the client reports success for a session that failed.
                break 0;
            }
            // A 0-byte read means the server closed: there is no reply.
            Ok(0) => {
                eprintln!("[CLIENT] Error: the server closed the connection without replying");
                return 1;
            }
            Ok(n) => break n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) if is_timeout(&e) => {
                eprintln!("[CLIENT] Server did not respond in time");
                return 1;
            }
            // A reset before any reply: the server closed (abortively) without
            // replying, e.g. it closed without reading what we sent.
            Err(e) if is_reset(&e) => {
                eprintln!("[CLIENT] Error: the server closed the connection without replying (connection reset)");
                return 1;
            }
            Err(e) => {
                eprintln!("[CLIENT] Error: receive failed: {}", describe(&e));
                return 1;
            }
        }
    };
    if mistake(Mistake::InventedReply) {
        // MISTAKE(invented-reply): the line is built from the message sent,
        // as if every reply were its ACK. An `ERROR: ...` reply is never
        // shown.
        say(format!("[CLIENT] Received: ACK: {message}"));
    } else {
        say(format!(
            "[CLIENT] Received: {}",
            netlab::message::escape_controls(&String::from_utf8_lossy(&buf[..n]))
        ));
    }

    // close(): our FIN; the server has already sent its own.
    drop(stream);
    say("[CLIENT] Closed connection");
    0
}
