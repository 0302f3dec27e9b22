//! Week 1, `server_threaded` (extension D): concurrency, the client limit
//! and a clean shutdown, with the real binary and real sockets.

mod support;

use std::io::{Read, Write};
use std::thread;
use std::time::Duration;

use support::{ask, connect, read_all, Server};

const THREADED: &str = env!("CARGO_BIN_EXE_server_threaded");

#[test]
fn each_line_names_the_client_and_the_reply_is_an_ack() {
    let server = Server::start(THREADED, &[], &[]);
    let mut stream = connect(server.port);
    let me = stream.local_addr().unwrap();
    stream.write_all(b"Hello Server").unwrap();
    assert_eq!(read_all(&mut stream), b"ACK: Hello Server");
    server.expect_line(&format!("[SERVER] Connection from {me}"));
    server.expect_line(&format!("[SERVER] {me} Received: Hello Server"));
    server.expect_line(&format!("[SERVER] {me} Sent: ACK: Hello Server"));
    server.expect_line(&format!("[SERVER] {me} Closed connection"));
}

#[test]
fn an_idle_client_does_not_delay_another() {
    // The server would wait 30 s for the idle client; the busy one must get
    // its reply long before that (our read gives up after support::WAIT).
    let server = Server::start(THREADED, &[], &[("LAB_TIMEOUT", "30")]);
    let idle = connect(server.port);
    let idle_addr = idle.local_addr().unwrap();
    server.expect_line(&format!("[SERVER] Connection from {idle_addr}"));
    assert_eq!(ask(server.port, b"busy"), b"ACK: busy");
    drop(idle);
}

#[test]
fn a_silent_client_is_closed_after_the_timeout() {
    let server = Server::start(THREADED, &[], &[("LAB_TIMEOUT", "1")]);
    let mut stream = connect(server.port);
    let me = stream.local_addr().unwrap();
    assert_eq!(read_all(&mut stream), b"");
    server.expect_line(&format!(
        "[SERVER] Client {me} sent nothing within 1s; closing"
    ));
    server.expect_line(&format!("[SERVER] {me} Closed connection"));
}

#[test]
fn one_client_over_the_limit_is_told_the_server_is_busy() {
    let server = Server::start(
        THREADED,
        &[],
        &[("LAB_MAX_CLIENTS", "1"), ("LAB_TIMEOUT", "30")],
    );
    let mut first = connect(server.port);
    let first_addr = first.local_addr().unwrap();
    server.expect_line(&format!("[SERVER] Connection from {first_addr}"));

    let mut second = connect(server.port);
    let second_addr = second.local_addr().unwrap();
    assert_eq!(read_all(&mut second), b"ERROR: Server busy");
    server.expect_line(&format!(
        "[SERVER] {second_addr} refused: server busy (1 client)"
    ));

    // The first client is still served, and afterwards there is room again.
    first.write_all(b"first").unwrap();
    assert_eq!(read_all(&mut first), b"ACK: first");
    server.expect_line(&format!("[SERVER] {first_addr} Closed connection"));
    // (The place is given back a moment after the Closed line is printed,
    // so a client arriving in that moment may still be refused: retry.)
    let mut reply = ask_once(server.port, b"third");
    for _ in 0..20 {
        if reply != b"ERROR: Server busy" {
            break;
        }
        thread::sleep(Duration::from_millis(50));
        reply = ask_once(server.port, b"third");
    }
    assert_eq!(reply, b"ACK: third");
}

/// Sends `message` and reads the reply until the server closes. A refused
/// client's message may arrive after the server hung up, and then the
/// server's kernel answers it with a reset: what arrived before it counts.
fn ask_once(port: u16, message: &[u8]) -> Vec<u8> {
    let mut stream = connect(port);
    stream.write_all(message).expect("send");
    let mut reply = Vec::new();
    let mut chunk = [0u8; 256];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return reply,
            Ok(n) => reply.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return reply,
            Err(e) => panic!("reading the reply: {e}"),
        }
    }
}

/// Ctrl+C and `kill`: Unix signals, sent with nix.
#[cfg(unix)]
mod signals {
    use super::*;
    use netlab::process::Signal;
    use rstest::rstest;
    use support::status_text;

    #[rstest]
    #[case::ctrl_c(Signal::Interrupt)]
    #[case::kill(Signal::Terminate)]
    fn a_signal_shuts_down_cleanly_and_frees_the_port(#[case] signal: Signal) {
        let mut server = Server::start(THREADED, &[], &[]);
        assert_eq!(ask(server.port, b"before"), b"ACK: before");
        server.signal(signal);
        let status = server.wait_exit();
        assert_eq!(status.code(), Some(0), "{}", status_text(status));
        server.expect_line("[SERVER] Shutting down");
        assert!(support::port_is_free(server.port), "port still taken");
    }

    #[test]
    fn shutdown_lets_a_client_in_flight_finish() {
        let mut server = Server::start(THREADED, &[], &[("LAB_TIMEOUT", "5")]);
        let mut stream = connect(server.port);
        let me = stream.local_addr().unwrap();
        server.expect_line(&format!("[SERVER] Connection from {me}"));
        server.signal(Signal::Terminate);
        // Give the server time to see the signal before the message arrives.
        thread::sleep(Duration::from_millis(300));
        assert!(
            server.child.try_status().is_none(),
            "exited with a client in flight"
        );
        stream.write_all(b"late").unwrap();
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply).unwrap();
        assert_eq!(reply, b"ACK: late");
        let status = server.wait_exit();
        assert_eq!(status.code(), Some(0), "{}", status_text(status));
        server.expect_line("[SERVER] Shutting down");
        // New clients are no longer accepted once shutdown began.
        assert!(support::port_is_free(server.port));
    }

    #[test]
    fn a_second_signal_stops_the_wait_for_clients_in_flight() {
        let mut server = Server::start(THREADED, &[], &[("LAB_TIMEOUT", "30")]);
        let first = connect(server.port);
        let second = connect(server.port);
        for stream in [&first, &second] {
            let me = stream.local_addr().unwrap();
            server.expect_line(&format!("[SERVER] Connection from {me}"));
        }
        server.signal(Signal::Interrupt);
        server
            .expect_line("[SERVER] Waiting for 2 clients to finish (Ctrl+C again to quit at once)");
        server.signal(Signal::Interrupt);
        let status = server.wait_exit();
        assert_eq!(status.code(), Some(130), "{}", status_text(status));
        server.expect_line("[SERVER] Second Ctrl+C: quitting at once (2 clients cut off)");
        assert!(support::port_is_free(server.port), "port still taken");
    }
}
