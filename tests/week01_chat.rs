//! Week 1, the mini chat lab: `chat_server` and `chat_client` as real
//! processes. Framing (a line split over two writes is one message, three
//! lines in one write are three), sessions one after another, robustness,
//! the message log surviving a kill, and a clean shutdown.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::thread;
use std::time::{Duration, Instant};

use netlab::process::Signal;
use predicates::prelude::*;
use predicates::str::{contains, is_match};
use rstest::rstest;
use support::{assert_command, connect, free_port, read_line, silent_listener, Server};

const CHAT_SERVER: &str = env!("CARGO_BIN_EXE_chat_server");
const CHAT_CLIENT: &str = env!("CARGO_BIN_EXE_chat_client");

/// `[ACK @HH:MM:SS] <message>` as a regular expression.
fn ack_pattern(message: &str) -> String {
    format!(r"^\[ACK @\d\d:\d\d:\d\d\] {}$", regex_escape(message))
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$".contains(c);
            special
                .then_some('\\')
                .into_iter()
                .chain(std::iter::once(c))
        })
        .collect()
}

#[track_caller]
fn assert_ack(line: &str, message: &str) {
    let pattern = ack_pattern(message);
    assert!(
        is_match(&pattern).unwrap().eval(line),
        "{line:?} is not {pattern}"
    );
}

#[test]
fn the_default_session_sends_the_three_helpdesk_lines() {
    let server = Server::start(CHAT_SERVER, &[], &[]);
    let port = server.port.to_string();
    let output = assert_command(CHAT_CLIENT)
        .env("LAB_PORT", &port)
        .assert()
        .code(0)
        .stderr("")
        .get_output()
        .stdout
        .clone();
    let stdout = String::from_utf8(output).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    let messages = netlab::client::DEFAULT_CHAT;
    assert_eq!(lines.len(), 5, "{stdout}");
    assert_eq!(lines[0], format!("[CLIENT] Connected to 127.0.0.1:{port}"));
    for (line, message) in lines[1..4].iter().zip(messages) {
        let ack = line.strip_prefix("[CLIENT] ").expect("[CLIENT] tag");
        assert_ack(ack, message);
    }
    assert_eq!(lines[4], "[CLIENT] Closed connection");

    for message in messages {
        let pattern = format!(
            r"^\[SERVER\] @\d\d:\d\d:\d\d 127\.0\.0\.1:\d+ Client: {}$",
            regex_escape(message)
        );
        server.line(&pattern, |l| is_match(&pattern).unwrap().eval(l));
    }
    server.line("Connection from", |l| {
        is_match(r"^\[SERVER\] @\d\d:\d\d:\d\d Connection from 127\.0\.0\.1:\d+$")
            .unwrap()
            .eval(l)
    });
    server.line("Closed connection", |l| {
        is_match(r"^\[SERVER\] @\d\d:\d\d:\d\d 127\.0\.0\.1:\d+ Closed connection$")
            .unwrap()
            .eval(l)
    });
}

#[test]
fn a_line_split_over_two_writes_is_one_message() {
    let server = Server::start(CHAT_SERVER, &[], &[]);
    let mut stream = connect(server.port);
    stream.write_all(b"Hello, ca").unwrap();
    stream.flush().unwrap();
    // A pause, so the two halves travel as separate segments.
    thread::sleep(Duration::from_millis(300));
    stream.write_all(b"n you help?\n").unwrap();
    assert_ack(&read_line(&mut stream), "Hello, can you help?");
    server.expect_containing("Client: Hello, can you help?");
    let halves = server
        .stdout()
        .iter()
        .filter(|l| l.contains("Client:"))
        .count();
    assert_eq!(halves, 1, "{}", server.transcript());
}

#[test]
fn several_lines_in_one_write_are_several_messages() {
    let server = Server::start(CHAT_SERVER, &[], &[]);
    let mut stream = connect(server.port);
    stream.write_all(b"one\ntwo\r\nthree\n").unwrap();
    for message in ["one", "two", "three"] {
        assert_ack(&read_line(&mut stream), message);
    }
}

#[test]
fn sessions_are_served_one_after_another() {
    let server = Server::start(CHAT_SERVER, &[], &[]);
    for name in ["first", "second"] {
        let mut stream = connect(server.port);
        stream
            .write_all(format!("I am {name}\n").as_bytes())
            .unwrap();
        assert_ack(&read_line(&mut stream), &format!("I am {name}"));
    }
}

#[test]
fn bad_lines_get_an_error_and_the_session_goes_on() {
    let server = Server::start(CHAT_SERVER, &[], &[]);
    let mut stream = connect(server.port);
    stream.write_all(b"\xff\xfe\n").unwrap();
    assert_eq!(read_line(&mut stream), "[ERROR] Invalid UTF-8");
    stream.write_all(b"   \n").unwrap();
    assert_eq!(read_line(&mut stream), "[ERROR] Empty message");
    stream.write_all(b"still here\n").unwrap();
    assert_ack(&read_line(&mut stream), "still here");
}

#[test]
fn a_line_too_long_ends_the_session_not_the_server() {
    let server = Server::start(CHAT_SERVER, &[], &[]);
    let mut stream = connect(server.port);
    // 70 000 bytes without a newline: more than the 64 KiB a line may have.
    // The server may close while we are still writing; that is fine.
    let _ = stream.write_all(&vec![b'a'; 70_000]);
    server.expect_containing("without a newline; closing");
    let mut next = connect(server.port);
    next.write_all(b"next\n").unwrap();
    assert_ack(&read_line(&mut next), "next");
}

#[test]
fn an_idle_session_is_closed_and_the_next_one_served() {
    let server = Server::start(CHAT_SERVER, &["--idle-timeout", "0.5"], &[]);
    let idle = connect(server.port);
    server.expect_containing("idle for 0.5s; closing");
    drop(idle);
    let mut next = connect(server.port);
    next.write_all(b"hello\n").unwrap();
    assert_ack(&read_line(&mut next), "hello");
}

#[test]
fn a_client_dripping_bytes_cannot_hold_the_server_past_the_idle_limit() {
    let server = Server::start(CHAT_SERVER, &["--idle-timeout", "1"], &[]);
    let mut drip = connect(server.port);
    drip.set_write_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    // One byte every 200 ms, never a newline: each gap is far below the
    // idle limit, so only a limit on the whole line can end this. Bounded:
    // at most 20 s of dripping, then the test fails.
    let said = || {
        server
            .stdout()
            .into_iter()
            .find(|l| l.contains("no complete line"))
    };
    let mut closed = None;
    for i in 0..100 {
        if drip.write_all(b"x").is_err() {
            // Closed: its console line may still be on its way to us (the
            // pipe's reader thread); wait for it, bounded.
            let until = Instant::now() + Duration::from_secs(5);
            while closed.is_none() && Instant::now() < until {
                closed = said().map(|line| (i, line));
                thread::sleep(Duration::from_millis(20));
            }
            break;
        }
        if let Some(line) = said() {
            closed = Some((i, line));
            break;
        }
        thread::sleep(Duration::from_millis(200));
    }
    let (bytes, line) = closed.unwrap_or_else(|| panic!("never closed\n{}", server.transcript()));
    assert!(bytes > 0, "{line}");
    assert!(line.contains("idle for 1s: no complete line"), "{line}");
    // And the server goes on with the next client.
    let mut next = connect(server.port);
    next.write_all(b"hello\n").unwrap();
    assert_ack(&read_line(&mut next), "hello");
}

#[test]
fn control_characters_are_escaped_on_the_console_and_in_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("chat.log");
    let server = Server::start(CHAT_SERVER, &["--log", log.to_str().unwrap()], &[]);
    let mut stream = connect(server.port);
    let me = stream.local_addr().unwrap();
    // A '\r' that would fake a second log record, an ESC and a backslash.
    let forged = format!("hi\r2026-01-01T00:00:00.000+00:00 {me} forged \x1b[31m \\n");
    stream
        .write_all(format!("{forged}\nnext\n").as_bytes())
        .unwrap();
    assert_ack(&read_line(&mut stream), &forged);
    assert_ack(&read_line(&mut stream), "next");
    let shown = server.expect_containing("Client: hi");
    assert!(
        shown.ends_with(&format!(
            r" Client: hi\r2026-01-01T00:00:00.000+00:00 {me} forged \u{{1b}}[31m \n"
        )),
        "{shown:?}"
    );
    drop(stream);
    server.expect_containing("Closed connection");
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text:?}");
    assert!(!text.contains(['\r', '\x1b']), "{text:?}");
    let stored = lines[0].split_once(&format!(" {me} ")).unwrap().1;
    assert_eq!(
        stored,
        format!(r"hi\r2026-01-01T00:00:00.000+00:00 {me} forged \u{{1b}}[31m \\n")
    );
    assert_eq!(
        netlab::message::unescape_record(stored).as_deref(),
        Some(forged.as_str())
    );
}

#[test]
fn an_acknowledged_message_survives_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("chat.log");
    let mut server = Server::start(CHAT_SERVER, &["--log", log.to_str().unwrap()], &[]);
    let mut stream = connect(server.port);
    let me = stream.local_addr().unwrap();
    let messages = ["first", "second", "last one"];
    for message in messages {
        stream.write_all(format!("{message}\n").as_bytes()).unwrap();
        assert_ack(&read_line(&mut stream), message);
    }
    // SIGKILL right after the last ACK: no chance to clean up or flush.
    server.signal(Signal::Kill);
    server.wait_exit();
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    for (line, message) in lines.iter().zip(messages) {
        let (stamp, rest) = line.split_once(' ').unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(stamp).is_ok(),
            "{line}"
        );
        assert_eq!(rest, format!("{me} {message}"));
    }
}

#[test]
fn a_log_that_cannot_be_opened_is_an_error_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-dir").join("chat.log");
    assert_command(CHAT_SERVER)
        .env("LAB_PORT", "0")
        .args(["--log", missing.to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(contains("[SERVER] Error: cannot open the log"));
}

/// Ctrl+C and `kill`: Unix signals, sent with nix.
#[cfg(unix)]
mod signals {
    use super::*;
    use support::status_text;

    #[rstest]
    fn a_signal_shuts_the_chat_down_cleanly(
        #[values(Signal::Interrupt, Signal::Terminate)] signal: Signal,
        #[values(false, true)] with_a_session: bool,
    ) {
        let mut server = Server::start(CHAT_SERVER, &[], &[]);
        // With a session open, the server is waiting for that client (for up to
        // two minutes); the signal must still stop it promptly.
        let session = with_a_session.then(|| {
            let stream = connect(server.port);
            server.expect_containing("Connection from");
            stream
        });
        server.signal(signal);
        let status = server.wait_exit();
        assert_eq!(status.code(), Some(0), "{}", status_text(status));
        server.expect_line("[SERVER] Shutting down");
        assert!(support::port_is_free(server.port), "port still taken");
        drop(session);
    }
}

// --- chat_client ----------------------------------------------------------

/// A stand-in chat server: reads lines and answers each with a fixed-clock
/// ACK, the first split over two writes with a pause. Returns the lines.
fn stand_in(listener: std::net::TcpListener, count: usize) -> thread::JoinHandle<Vec<String>> {
    thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        stream.set_read_timeout(Some(support::WAIT)).unwrap();
        let mut writer = stream.try_clone().unwrap();
        let mut reader = BufReader::new(stream);
        let mut lines = Vec::new();
        for i in 0..count {
            let mut line = String::new();
            reader.read_line(&mut line).expect("a line");
            let line = line.trim_end_matches('\n').to_string();
            let ack = format!("[ACK @12:00:00] {line}\n");
            if i == 0 {
                let (a, b) = ack.split_at(7);
                writer.write_all(a.as_bytes()).unwrap();
                writer.flush().unwrap();
                thread::sleep(Duration::from_millis(300));
                writer.write_all(b.as_bytes()).unwrap();
            } else {
                writer.write_all(ack.as_bytes()).unwrap();
            }
            lines.push(line);
        }
        lines
    })
}

#[test]
fn chat_client_sends_each_argument_as_a_line_and_prints_whole_acks() {
    let (listener, port) = silent_listener();
    let server = stand_in(listener, 2);
    assert_command(CHAT_CLIENT)
        .env("LAB_PORT", port.to_string())
        .args(["Is anyone there?", "Bye"])
        .assert()
        .code(0)
        .stdout(contains(
            "[CLIENT] [ACK @12:00:00] Is anyone there?\n[CLIENT] [ACK @12:00:00] Bye\n",
        ));
    assert_eq!(server.join().unwrap(), ["Is anyone there?", "Bye"]);
}

#[test]
fn chat_client_interactive_prompts_and_sends_each_typed_line() {
    let server = Server::start(CHAT_SERVER, &[], &[]);
    let output = assert_command(CHAT_CLIENT)
        .env("LAB_PORT", server.port.to_string())
        .arg("-i")
        .write_stdin("first question\n\nsecond question\n")
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let stdout = String::from_utf8(output).unwrap();
    // Three prompts for two messages and a blank line, one more at the end.
    assert_eq!(
        stdout.matches("Enter message to send: ").count(),
        4,
        "{stdout}"
    );
    let acks: Vec<&str> = stdout
        .split("Enter message to send: ")
        .flat_map(str::lines)
        .filter(|l| l.starts_with("[CLIENT] [ACK"))
        .collect();
    assert_eq!(acks.len(), 2, "{stdout}");
    assert_ack(acks[0].strip_prefix("[CLIENT] ").unwrap(), "first question");
    assert_ack(
        acks[1].strip_prefix("[CLIENT] ").unwrap(),
        "second question",
    );
}

/// Drives a program through a pseudo-terminal, as a person would: waits
/// for the first prompt, types one line, waits for the next prompt, presses
/// Ctrl+D. Prints everything the terminal showed, then `STATUS <code>`.
/// Every wait is bounded; the program is killed if it outlives them.
const AT_A_TERMINAL_PY: &str = r#"
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
seen = b""
def wait_for(needle, times=1, limit=10.0):
    global seen
    end = time.time() + limit
    while seen.count(needle) < times and time.time() < end:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                return
            if not chunk:
                return
            seen += chunk
wait_for(b"to finish): ")
os.write(fd, b"typed at a terminal\n")
wait_for(b"to finish): ", times=2)
os.write(fd, b"\x04")
wait_for(b"Closed connection")
code = None
for _ in range(100):
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        code = os.waitstatus_to_exitcode(status)
        break
    time.sleep(0.1)
if code is None:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
sys.stdout.write(seen.decode(errors="replace"))
print("\nSTATUS", code)
"#;

#[cfg(unix)]
#[test]
fn chat_client_at_a_terminal_prompts_with_how_to_finish() {
    if std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: python3 is needed to drive a pseudo-terminal");
        return;
    }
    let server = Server::start(CHAT_SERVER, &[], &[]);
    let output = assert_command("python3")
        .args(["-c", AT_A_TERMINAL_PY, CHAT_CLIENT])
        .env("LAB_PORT", server.port.to_string())
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let screen = String::from_utf8_lossy(&output).replace('\r', "");
    assert!(
        screen.contains("Enter message to send (Ctrl+D to finish): "),
        "{screen}"
    );
    assert!(
        screen.contains("[CLIENT] [ACK @") && screen.contains("] typed at a terminal"),
        "{screen}"
    );
    assert!(screen.contains("[CLIENT] Closed connection"), "{screen}");
    assert!(screen.trim_end().ends_with("STATUS 0"), "{screen}");
}

#[rstest]
#[case::empty_message(&[""], "empty")]
#[case::newline_inside(&["two\nlines"], "newline")]
fn chat_client_usage_errors_exit_2(#[case] args: &[&str], #[case] says: &str) {
    assert_command(CHAT_CLIENT)
        .env("LAB_PORT", free_port().to_string())
        .args(args)
        .assert()
        .code(2)
        .stdout("")
        .stderr(contains(says));
}

#[test]
fn chat_client_with_nothing_listening_exits_1() {
    let port = free_port();
    assert_command(CHAT_CLIENT)
        .env("LAB_PORT", port.to_string())
        .assert()
        .code(1)
        .stderr(format!(
            "[CLIENT] Error: could not connect to 127.0.0.1:{port}: connection refused (is the server running?)\n"
        ));
}

#[test]
fn chat_client_without_an_ack_in_time_exits_1() {
    let (_listener, port) = silent_listener();
    assert_command(CHAT_CLIENT)
        .env("LAB_PORT", port.to_string())
        .env("LAB_TIMEOUT", "1")
        .arg("hello?")
        .assert()
        .code(1)
        .stderr("[CLIENT] Server did not respond in time\n");
}
