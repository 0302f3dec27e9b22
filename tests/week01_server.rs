//! Week 1, `server`: the one-shot reference server as a real process.
//!
//! What belongs here: every line, reply and exit status of the server's
//! contract (issue 2) and the common mistakes' situations seen from the
//! server's side. The client's side is in week01_client.rs.

mod support;

use std::io::Write;
use std::net::TcpStream;

use netlab::process::Stream;
use predicates::prelude::PredicateBooleanExt;
use rstest::rstest;
use support::{ask, assert_command, connect, read_all, status_text, Server};

const SERVER: &str = env!("CARGO_BIN_EXE_server");

#[test]
fn a_session_prints_the_contract_lines_replies_ack_and_exits_0() {
    let mut server = Server::start(SERVER, &[], &[]);
    let mut stream = connect(server.port);
    let client_port = stream.local_addr().unwrap().port();
    stream.write_all(b"Hello Server").unwrap();
    assert_eq!(read_all(&mut stream), b"ACK: Hello Server");
    let status = server.wait_exit();
    assert!(status.success(), "{}", status_text(status));
    assert_eq!(
        server.stdout(),
        vec![
            format!("[SERVER] Listening on 127.0.0.1:{}", server.port),
            format!("[SERVER] Connection from 127.0.0.1:{client_port}"),
            "[SERVER] Received: Hello Server".to_string(),
            "[SERVER] Sent: ACK: Hello Server".to_string(),
            "[SERVER] Closed connection".to_string(),
        ]
    );
    assert_eq!(server.child.text(Stream::Stderr), "");
}

// Extension B: the message rules, with the session still ending normally.
#[rstest]
#[case::blank(b"   \n".to_vec(), "ERROR: Empty message", "[SERVER] Received: ")]
#[case::too_long(vec![b'x'; 101], "ERROR: Message too long", "[SERVER] Received: xxx")]
#[case::exactly_100("y".repeat(100).into_bytes(), &format!("ACK: {}", "y".repeat(100)), "[SERVER] Received: yyy")]
#[case::trimmed(b"  Hi there \r\n".to_vec(), "ACK: Hi there", "[SERVER] Received: Hi there")]
#[case::invalid_utf8(vec![0xff, 0xfe, b'a'], "ERROR: Invalid UTF-8", "[SERVER] Rejected: invalid UTF-8 (3 bytes)")]
fn message_rules(#[case] message: Vec<u8>, #[case] reply: &str, #[case] line_start: &str) {
    let mut server = Server::start(SERVER, &[], &[]);
    assert_eq!(String::from_utf8_lossy(&ask(server.port, &message)), reply);
    let status = server.wait_exit();
    assert!(status.success(), "{}", status_text(status));
    server.line(line_start, |l| l.starts_with(line_start));
    server.expect_line(&format!("[SERVER] Sent: {reply}"));
    server.expect_line("[SERVER] Closed connection");
}

#[test]
fn a_client_that_closes_without_sending_is_not_a_crash() {
    let mut server = Server::start(SERVER, &[], &[]);
    let stream = connect(server.port);
    let client_port = stream.local_addr().unwrap().port();
    drop(stream); // connect, then close: the server reads 0 bytes
    let status = server.wait_exit();
    assert!(status.success(), "{}", status_text(status));
    server.expect_line(&format!(
        "[SERVER] Client 127.0.0.1:{client_port} closed without sending"
    ));
}

#[test]
fn a_silent_client_is_closed_after_the_timeout() {
    let mut server = Server::start(SERVER, &[], &[("LAB_TIMEOUT", "1")]);
    let mut stream = connect(server.port);
    let client_port = stream.local_addr().unwrap().port();
    // Send nothing: the server gives up after LAB_TIMEOUT and closes, which
    // we see as the end of the stream with no reply.
    assert_eq!(read_all(&mut stream), b"");
    let status = server.wait_exit();
    assert!(status.success(), "{}", status_text(status));
    server.expect_line(&format!(
        "[SERVER] Client 127.0.0.1:{client_port} sent nothing within 1s; closing"
    ));
}

#[test]
fn a_port_in_use_is_an_error_naming_the_address() {
    let first = Server::start(SERVER, &[], &[]);
    let port = first.port.to_string();
    assert_command(SERVER)
        .env("LAB_PORT", &port)
        .assert()
        .code(1)
        .stdout("")
        .stderr(format!(
            "[SERVER] Error: cannot listen on 127.0.0.1:{port}: address already in use\n"
        ));
}

#[test]
fn restarting_right_after_a_session_works_despite_time_wait() {
    let mut first = Server::start(SERVER, &[], &[]);
    let port = first.port;
    let mut stream = connect(port);
    stream.write_all(b"Hello Server").unwrap();
    // Read until the server's FIN before closing our side: the server closed
    // first, so its end of the connection is the one in TIME_WAIT.
    assert_eq!(read_all(&mut stream), b"ACK: Hello Server");
    drop(stream);
    assert!(first.wait_exit().success());
    #[cfg(target_os = "linux")]
    assert!(
        support::time_wait_on_local_port(port),
        "expected the server's side of the connection in TIME_WAIT"
    );

    let mut second = Server::start(SERVER, &["--port", &port.to_string()], &[]);
    assert_eq!(second.port, port);
    assert_eq!(ask(port, b"again"), b"ACK: again");
    assert!(second.wait_exit().success());
}

#[test]
fn configuration_comes_from_the_environment_and_flags_win() {
    // LAB_BUFFER_SIZE=8: one receive takes at most 8 bytes.
    let mut server = Server::start(SERVER, &[], &[("LAB_BUFFER_SIZE", "8")]);
    assert_eq!(ask(server.port, b"0123456789abcdef"), b"ACK: 01234567");
    assert!(server.wait_exit().success());

    // A flag beats the environment: LAB_PORT=1 would need root.
    let mut server = Server::start(SERVER, &["--port", "0"], &[("LAB_PORT", "1")]);
    assert_ne!(server.port, 1);
    assert_eq!(ask(server.port, b"hi"), b"ACK: hi");
    assert!(server.wait_exit().success());
}

#[test]
fn ipv6_loopback_works_when_the_machine_has_it() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("skipped: no IPv6 loopback on this machine");
        return;
    }
    let mut server = Server::start(SERVER, &[], &[("LAB_HOST", "::1")]);
    server.line("Listening on [::1]", |l| {
        l.starts_with("[SERVER] Listening on [::1]:")
    });
    let mut stream = TcpStream::connect(("::1", server.port)).unwrap();
    stream.set_read_timeout(Some(support::WAIT)).unwrap();
    stream.write_all(b"six").unwrap();
    assert_eq!(read_all(&mut stream), b"ACK: six");
    assert!(server.wait_exit().success());
}

#[rstest]
#[case::port_not_a_number(&["--port", "abc"], &[])]
#[case::port_too_big(&["--port", "70000"], &[])]
#[case::buffer_zero(&[], &[("LAB_BUFFER_SIZE", "0")])]
#[case::timeout_zero(&["--timeout", "0"], &[])]
#[case::timeout_not_a_number(&[], &[("LAB_TIMEOUT", "soon")])]
fn bad_configuration_is_a_usage_error(#[case] args: &[&str], #[case] env: &[(&str, &str)]) {
    assert_command(SERVER)
        .args(args)
        .envs(env.iter().copied())
        .env("LAB_PORT", "0")
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicates::str::contains("invalid value"));
}

#[test]
fn a_bad_value_is_blamed_on_where_it_came_from() {
    // From the environment: the variable is named first, not `--port`,
    // which the user never typed.
    let from_env = assert_command(SERVER)
        .env("LAB_PORT", "abc")
        .assert()
        .code(2)
        .stdout("");
    let said = String::from_utf8_lossy(&from_env.get_output().stderr).into_owned();
    let first = said.lines().next().unwrap_or_default();
    assert_eq!(
        first,
        r#"error: invalid value "abc" in the environment variable LAB_PORT: not a port number (0 to 65535)"#,
        "{said}"
    );
    assert!(said.contains("unset LAB_PORT"), "{said}");
    // From the flag: clap's message about `--port`, no word of LAB_PORT.
    assert_command(SERVER)
        .args(["--port", "abc"])
        .env("LAB_PORT", "0")
        .assert()
        .code(2)
        .stderr(
            predicates::str::contains("'--port <PORT>'")
                .and(predicates::str::contains("LAB_PORT").not()),
        );
}

/// The values issue 10 found the starter and the reference disagreeing on,
/// seen by the real binary (the whole table is tested in src/config.rs).
#[rstest]
#[case::port_with_spaces(&[("LAB_PORT", " 0 ")], true)]
#[case::timeout_zero(&[("LAB_TIMEOUT", "0")], false)]
#[case::timeout_fraction(&[("LAB_TIMEOUT", "2.5")], false)]
#[case::timeout_with_spaces(&[("LAB_TIMEOUT", " 3 ")], true)]
fn the_config_rules_are_the_starters(#[case] env: &[(&str, &str)], #[case] accepted: bool) {
    let mut cmd = support::command(SERVER);
    cmd.env("LAB_PORT", "0").envs(env.iter().copied());
    let mut child = netlab::process::Child::spawn(cmd, support::DEADLINE).unwrap();
    let listening = child.wait_line(Stream::Stdout, support::WAIT, |l| {
        l.contains("Listening on")
    });
    if accepted {
        assert!(listening.is_some(), "{}", support::transcript(&child));
    } else {
        let status = child.wait_exit(support::WAIT);
        assert_eq!(
            status.and_then(|s| s.code()),
            Some(2),
            "{}",
            support::transcript(&child)
        );
    }
}

#[test]
fn forever_serves_clients_one_after_another() {
    let mut server = Server::start(SERVER, &["--forever"], &[]);
    assert_eq!(ask(server.port, b"first"), b"ACK: first");
    assert_eq!(ask(server.port, b"second"), b"ACK: second");
    server.expect_line("[SERVER] Received: second");
    assert!(
        server.child.try_status().is_none(),
        "exited after two clients\n{}",
        server.transcript()
    );
}

#[test]
fn echo_replies_with_the_message_itself() {
    let mut server = Server::start(SERVER, &["--echo"], &[]);
    assert_eq!(ask(server.port, b"Hello, World!"), b"Hello, World!");
    assert!(server.wait_exit().success());
    server.expect_line("[SERVER] Sent: Hello, World!");
}

#[test]
fn control_characters_in_a_message_are_shown_escaped_one_line_per_event() {
    let mut server = Server::start(SERVER, &[], &[]);
    // A newline that would forge a `Sent:` line, and an ANSI escape that
    // would clear the terminal.
    let hostile = b"hi\n[SERVER] Sent: forged\x1b[2J\rend";
    let reply = ask(server.port, hostile);
    // The reply is the protocol: it carries the message as it came.
    assert_eq!(reply, b"ACK: hi\n[SERVER] Sent: forged\x1b[2J\rend");
    assert!(server.wait_exit().success(), "{}", server.transcript());
    let stdout = server.stdout();
    assert!(
        stdout.iter().all(|l| !l.contains(['\x1b', '\r'])),
        "{stdout:?}"
    );
    let sent: Vec<&String> = stdout
        .iter()
        .filter(|l| l.starts_with("[SERVER] Sent:"))
        .collect();
    assert_eq!(
        sent,
        [r"[SERVER] Sent: ACK: hi\n[SERVER] Sent: forged\u{1b}[2J\rend"],
        "{stdout:?}"
    );
    server.expect_line(r"[SERVER] Received: hi\n[SERVER] Sent: forged\u{1b}[2J\rend");
}

/// Ctrl+C and `kill`: Unix signals, sent with nix.
#[cfg(unix)]
mod signals {
    use super::*;
    use netlab::process::Signal;
    use std::thread;
    use std::time::Duration;

    #[rstest]
    fn a_signal_shuts_the_server_down_cleanly(
        #[values(Signal::Interrupt, Signal::Terminate)] signal: Signal,
        #[values(&[], &["--forever"])] args: &[&str],
    ) {
        let mut server = Server::start(SERVER, args, &[]);
        if !args.is_empty() {
            assert_eq!(ask(server.port, b"before"), b"ACK: before");
        }
        // The server is now asleep in accept(); a signal must wake it.
        thread::sleep(Duration::from_millis(100));
        server.signal(signal);
        let status = server.wait_exit();
        assert_eq!(status.code(), Some(0), "{}", status_text(status));
        server.expect_line("[SERVER] Shutting down");
        assert!(support::port_is_free(server.port), "port still taken");
    }

    /// Ctrl+C while `--forever` waits for a connected client's message: the
    /// session finishes (no `interrupted system call`), then the server stops.
    #[test]
    fn ctrl_c_in_the_middle_of_a_forever_session_ends_cleanly() {
        let mut server = Server::start(SERVER, &["--forever"], &[("LAB_TIMEOUT", "5")]);
        let mut stream = connect(server.port);
        server.expect_containing("Connection from");
        server.signal(Signal::Interrupt);
        server
            .expect_line("[SERVER] Waiting for 1 client to finish (Ctrl+C again to quit at once)");
        stream.write_all(b"late").unwrap();
        assert_eq!(read_all(&mut stream), b"ACK: late");
        let status = server.wait_exit();
        assert_eq!(status.code(), Some(0), "{}", status_text(status));
        server.expect_line("[SERVER] Shutting down");
        let all = server.transcript();
        assert!(!all.contains("Error"), "{all}");
        assert!(support::port_is_free(server.port), "port still taken");
    }

    #[test]
    fn a_second_ctrl_c_quits_at_once_and_says_so() {
        let mut server = Server::start(SERVER, &["--forever"], &[("LAB_TIMEOUT", "30")]);
        let stream = connect(server.port);
        server.expect_containing("Connection from");
        server.signal(Signal::Interrupt);
        server.expect_containing("Ctrl+C again to quit at once");
        server.signal(Signal::Interrupt);
        // Without the second Ctrl+C it would wait up to 30 s for the client.
        let status = server.wait_exit();
        assert_eq!(status.code(), Some(130), "{}", status_text(status));
        server.expect_line("[SERVER] Second Ctrl+C: quitting at once (1 client cut off)");
        assert!(support::port_is_free(server.port), "port still taken");
        drop(stream);
    }
}
