//! Week 1, `client`: the reference client as a real process, against the
//! reference server and against stand-in servers that misbehave on purpose
//! (silent, hanging up without a reply, recording what was sent).
//!
//! What belongs here: every line, reply and exit status of the client's
//! contract (issue 2) and the common mistakes seen from the client's side.

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread::{self, JoinHandle};

use predicates::prelude::*;
use predicates::str::contains;
use rstest::rstest;
use serial_test::file_serial;
use support::{assert_command, free_port, silent_listener, status_text, Server};

const CLIENT: &str = env!("CARGO_BIN_EXE_client");
const SERVER: &str = env!("CARGO_BIN_EXE_server");

/// A stand-in server for one client: accepts, reads one message, replies
/// with `reply` (or hangs up if `None`) and returns what it received.
fn stand_in(listener: TcpListener, reply: Option<&'static [u8]>) -> JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept the client");
        stream.set_read_timeout(Some(support::WAIT)).unwrap();
        let mut buffer = [0u8; 1024];
        let n = stream.read(&mut buffer).expect("read the message");
        if let Some(reply) = reply {
            stream.write_all(reply).unwrap();
        }
        buffer[..n].to_vec()
    })
}

#[test]
fn a_session_with_the_reference_server_prints_the_contract_lines() {
    let mut server = Server::start(SERVER, &[], &[]);
    let port = server.port.to_string();
    assert_command(CLIENT)
        .env("LAB_PORT", &port)
        .assert()
        .code(0)
        .stderr("")
        .stdout(format!(
            "[CLIENT] Connected to 127.0.0.1:{port}\n\
             [CLIENT] Sending: Hello Server\n\
             [CLIENT] Received: ACK: Hello Server\n\
             [CLIENT] Closed connection\n"
        ));
    assert!(server.wait_exit().success());
}

#[test]
fn the_message_argument_is_sent_exactly() {
    let (listener, port) = silent_listener();
    let server = stand_in(listener, Some(b"ACK: Hi, Bob"));
    assert_command(CLIENT)
        .env("LAB_PORT", port.to_string())
        .arg("Hi, Bob")
        .assert()
        .code(0)
        .stdout(contains("[CLIENT] Sending: Hi, Bob\n"))
        .stdout(contains("[CLIENT] Received: ACK: Hi, Bob\n"));
    assert_eq!(server.join().unwrap(), b"Hi, Bob");
}

#[test]
#[file_serial(port5000)]
fn with_no_configuration_the_client_sends_hello_server_to_port_5000() {
    let listener = match TcpListener::bind("127.0.0.1:5000") {
        Ok(listener) => listener,
        Err(e) => panic!("port 5000 is taken by another program ({e}); free it and rerun"),
    };
    let server = stand_in(listener, Some(b"ACK: Hello Server"));
    assert_command(CLIENT)
        .assert()
        .code(0)
        .stdout(contains("[CLIENT] Connected to 127.0.0.1:5000\n"));
    assert_eq!(server.join().unwrap(), b"Hello Server");
}

#[test]
fn flags_win_over_the_environment() {
    let (listener, port) = silent_listener();
    let server = stand_in(listener, Some(b"ACK: x"));
    assert_command(CLIENT)
        .env("LAB_PORT", free_port().to_string())
        .env("LAB_HOST", "::1")
        .args(["--host", "127.0.0.1", "--port", &port.to_string(), "x"])
        .assert()
        .code(0);
    assert_eq!(server.join().unwrap(), b"x");
}

#[test]
fn nothing_listening_is_connection_refused_exit_1() {
    let port = free_port();
    assert_command(CLIENT)
        .env("LAB_PORT", port.to_string())
        .assert()
        .code(1)
        .stdout("")
        .stderr(format!(
            "[CLIENT] Error: could not connect to 127.0.0.1:{port}: connection refused (is the server running?)\n"
        ));
}

#[test]
fn a_server_that_never_replies_is_a_timeout_exit_1() {
    // The kernel completes the handshake for a listener nobody accepts on:
    // the client connects and sends, and no reply ever comes.
    let (_listener, port) = silent_listener();
    assert_command(CLIENT)
        .env("LAB_PORT", port.to_string())
        .env("LAB_TIMEOUT", "1")
        .assert()
        .code(1)
        .stdout(contains("[CLIENT] Sending: Hello Server"))
        .stdout(contains("Received").not())
        .stderr("[CLIENT] Server did not respond in time\n");
}

#[test]
fn a_server_that_hangs_up_without_replying_is_noticed_exit_1() {
    let (listener, port) = silent_listener();
    let server = stand_in(listener, None);
    assert_command(CLIENT)
        .env("LAB_PORT", port.to_string())
        .assert()
        .code(1)
        .stdout(contains("Received").not())
        .stderr(contains("without replying"));
    assert_eq!(server.join().unwrap(), b"Hello Server");
}

#[rstest]
#[case::empty_message(&[""], "empty")]
#[case::port_not_a_number(&["--port", "abc"], "invalid value")]
#[case::timeout_zero(&["--timeout", "0"], "invalid value")]
fn usage_errors_exit_2_and_send_nothing(#[case] args: &[&str], #[case] says: &str) {
    let (listener, port) = silent_listener();
    let output = assert_command(CLIENT)
        .env("LAB_PORT", port.to_string())
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        status_text(output.status)
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains(says));
    assert!(output.stdout.is_empty());
    // Nothing connected: the listener's queue is empty.
    listener.set_nonblocking(true).unwrap();
    assert!(listener.accept().is_err(), "the client connected anyway");
}

#[test]
fn a_blank_message_is_sent_and_the_server_rejects_it() {
    let mut server = Server::start(SERVER, &[], &[]);
    assert_command(CLIENT)
        .env("LAB_PORT", server.port.to_string())
        .arg("   ")
        .assert()
        .code(0)
        .stdout(contains("[CLIENT] Received: ERROR: Empty message\n"));
    assert!(server.wait_exit().success());
}

#[test]
fn a_message_in_several_words_without_quotes_gets_a_tip() {
    let out = assert_command(CLIENT)
        .args(["Hello", "Server"])
        .env("LAB_PORT", free_port().to_string())
        .assert()
        .code(2)
        .stdout("");
    let said = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(said.contains("unexpected argument 'Server'"), "{said}");
    assert!(said.contains("put it in quotes"), "{said}");
    assert!(said.contains(r#"client "Hello Server""#), "{said}");
    // An unknown flag is another mistake: no quoting tip.
    assert_command(CLIENT)
        .args(["--bogus", "Hello"])
        .assert()
        .code(2)
        .stderr(contains("quotes").not());
}

/// The starter's src/config.rs and the reference's carry the same table of
/// configuration cases (each side tests its own copy against its rules);
/// here the two copies are compared, so they cannot drift apart.
#[test]
fn the_starter_and_the_reference_share_one_table_of_config_cases() {
    fn cases(relative: &str) -> Vec<String> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
        let text = std::fs::read_to_string(&path).unwrap();
        let (_, rest) = text
            .split_once("// BEGIN shared config cases")
            .unwrap_or_else(|| panic!("no BEGIN marker in {relative}"));
        let (table, _) = rest
            .split_once("// END shared config cases")
            .unwrap_or_else(|| panic!("no END marker in {relative}"));
        table
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("(\"LAB_"))
            .map(String::from)
            .collect()
    }
    let reference = cases("src/config.rs");
    let starter = cases("labs/week01-tcp-client-server/src/config.rs");
    assert_eq!(reference.len(), netlab::config::SHARED_CASES.len());
    assert_eq!(starter, reference);
}
