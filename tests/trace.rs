//! `netlab trace`, run as the real binary against tiny Python programs.
//!
//! What belongs here: the command as a user runs it — packet capture of a
//! real session and of a refused connection, the .pcap it writes, the forced
//! fallback timeline, usage and runtime errors. The pure parts (parsing,
//! numbering, phases, drawing) are unit-tested in src/trace/.
//!
//! The Python server and client are written to a temp folder and run
//! through the interpreter (no exec of a fresh file: ETXTBSY). Without
//! python3 these tests skip with a reason. Capturing needs root or
//! CAP_NET_RAW: without it the capture tests skip with a reason, except in
//! CI as root, where a failure to capture fails the test.

#![cfg(target_os = "linux")]

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use netlab::trace::{pcap, segment};

const SERVER_PY: &str = r#"
import os, socket
host = os.environ["LAB_HOST"]; port = int(os.environ["LAB_PORT"])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host, port)); s.listen(8)
print(f"[SERVER] Listening on {host}:{s.getsockname()[1]}", flush=True)
c, a = s.accept()
data = c.recv(1024)
print("[SERVER] Received:", data.decode(errors="replace"), flush=True)
c.sendall(b"ACK: " + data)
c.close(); s.close()
"#;

const CLIENT_PY: &str = r#"
import os, socket, sys
host = os.environ["LAB_HOST"]; port = int(os.environ["LAB_PORT"])
try:
    c = socket.create_connection((host, port), timeout=5)
except ConnectionRefusedError:
    print(f"[CLIENT] Error: could not connect to {host}:{port}: connection refused", file=sys.stderr)
    sys.exit(1)
c.sendall(b"Hello Server")
print("[CLIENT] Received:", c.recv(1024).decode(errors="replace"), flush=True)
c.close()
"#;

/// A temp folder holding the two Python programs.
struct Programs {
    dir: tempfile::TempDir,
}

impl Programs {
    /// `None` (with the reason printed) when python3 is not installed.
    fn new() -> Option<Programs> {
        let found = std::process::Command::new("python3")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            eprintln!("skipped: python3 is not installed");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("server.py"), SERVER_PY).unwrap();
        std::fs::write(dir.path().join("client.py"), CLIENT_PY).unwrap();
        Some(Programs { dir })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn server(&self) -> String {
        format!("python3 '{}'", self.path("server.py").display())
    }

    fn client(&self) -> String {
        format!("python3 '{}'", self.path("client.py").display())
    }
}

fn netlab(args: &[&str]) -> Output {
    Command::cargo_bin("netlab")
        .unwrap()
        .arg("trace")
        .args(args)
        .env_remove("NETLAB_TRACE_NO_CAPTURE")
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap()
}

#[track_caller]
fn show(output: &Output) -> String {
    format!(
        "exit: {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Is our effective user id 0? (Read from /proc: nix's `geteuid` sits
/// behind its `user` feature, which the crate does not enable.)
fn running_as_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1).map(|euid| euid == "0"))
        .unwrap_or(false)
}

/// Did the run capture packets? When it fell back for lack of rights: skip,
/// unless this is CI running as root, where capture must work.
#[track_caller]
fn captured(output: &Output) -> bool {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let fell_back = stderr.contains("showing the kernel's socket states instead");
    if !fell_back {
        return true;
    }
    let must = std::env::var_os("CI").is_some() && running_as_root();
    assert!(
        !must,
        "CI runs as root, so capturing must work, but netlab fell back:\n{}",
        show(output)
    );
    eprintln!("skipped: no capture rights here (needs root or CAP_NET_RAW)");
    false
}

/// One diagram row: who sent it, its flags, and the rest of the label.
#[derive(Debug)]
struct Row {
    to_server: bool,
    flags: String,
    text: String,
}

fn rows(stdout: &str) -> Vec<Row> {
    stdout
        .lines()
        .filter_map(|l| l.split_once(" ms|"))
        .map(|(_, arrow)| {
            let to_server = arrow.starts_with("--");
            let text = arrow
                .trim_matches(|c| c == '-' || c == '<' || c == '>' || c == '|' || c == ' ')
                .to_string();
            let flags = text.split(' ').next().unwrap_or("").to_string();
            Row {
                to_server,
                flags,
                text,
            }
        })
        .collect()
}

/// The server port named in the diagram's header.
fn server_port(stdout: &str) -> u16 {
    let after = stdout
        .split_once("server 127.0.0.1:")
        .expect("server address")
        .1;
    after
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// The segments in a .pcap file, checked to be link type Ethernet.
fn pcap_segments(path: &Path) -> Vec<segment::Segment> {
    let file = std::fs::File::open(path).unwrap();
    let reader = pcap_file::pcap::PcapReader::new(file).expect("a valid pcap header");
    assert_eq!(reader.header().datalink, pcap_file::DataLink::ETHERNET);
    let frames = pcap::read_pcap(path).unwrap();
    let segments: Vec<_> = frames
        .iter()
        .map(|f| segment::parse_frame(&f.bytes, f.time).expect("every frame is TCP"))
        .collect();
    segment::relative(&segments)
}

#[test]
fn a_traced_session_shows_handshake_data_and_teardown_in_order() {
    let Some(programs) = Programs::new() else {
        return;
    };
    let pcap_path = programs.path("session.pcap");
    let output = netlab(&[
        "--server",
        &programs.server(),
        "--client",
        &programs.client(),
        "--pcap",
        pcap_path.to_str().unwrap(),
    ]);
    if !captured(&output) {
        return;
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", show(&output));
    let rows = rows(&stdout);
    let story = || format!("rows: {rows:#?}\n{}", show(&output));

    // The port in the header is the one the server announced.
    let port = server_port(&stdout);
    assert!(
        stdout.contains(&format!("[SERVER] Listening on 127.0.0.1:{port}")),
        "{}",
        story()
    );

    // 1-3: the three-way handshake, in order, the right way round.
    assert!(rows.len() >= 7, "{}", story());
    assert!(rows[0].to_server && rows[0].flags == "SYN", "{}", story());
    assert!(
        !rows[1].to_server && rows[1].flags == "SYN-ACK",
        "{}",
        story()
    );
    assert!(rows[2].to_server && rows[2].flags == "ACK", "{}", story());
    // 4: then the message's payload, from the client.
    let data = rows
        .iter()
        .position(|r| r.to_server && r.text.contains("len=12 \"Hello Server\""))
        .unwrap_or_else(|| panic!("no payload row\n{}", story()));
    assert!(data > 2, "{}", story());
    // 5: then FINs from both sides, after the payload.
    let fins: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].flags.starts_with("FIN"))
        .collect();
    assert_eq!(fins.len(), 2, "{}", story());
    assert!(fins[0] > data, "{}", story());
    assert_ne!(
        rows[fins[0]].to_server,
        rows[fins[1]].to_server,
        "{}",
        story()
    );
    for title in [
        "Three-way handshake",
        "Data and its acknowledgement",
        "Teardown",
    ] {
        assert!(stdout.contains(title), "{}", story());
    }

    // The .pcap holds the same segments, on the same port.
    assert!(
        stdout.contains(&pcap_path.display().to_string()),
        "{}",
        story()
    );
    let saved = pcap_segments(&pcap_path);
    let saved_flags: Vec<String> = saved.iter().map(|s| s.flags.name()).collect();
    let shown_flags: Vec<String> = rows.iter().map(|r| r.flags.clone()).collect();
    assert_eq!(saved_flags, shown_flags, "{}", story());
    assert!(saved.iter().all(|s| segment::on_port(s, port)));
    assert!(saved[0].dst.port() == port && saved[0].src.port() != port);
}

#[test]
fn a_refused_connection_is_a_syn_answered_by_rst() {
    let Some(programs) = Programs::new() else {
        return;
    };
    let pcap_path = programs.path("refused.pcap");
    let output = netlab(&[
        "--scenario",
        "refused",
        "--client",
        &programs.client(),
        "--pcap",
        pcap_path.to_str().unwrap(),
    ]);
    if !captured(&output) {
        return;
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", show(&output));
    let rows = rows(&stdout);
    let story = || format!("rows: {rows:#?}\n{}", show(&output));
    assert_eq!(rows.len(), 2, "{}", story());
    assert!(rows[0].to_server && rows[0].flags == "SYN", "{}", story());
    assert!(
        !rows[1].to_server && rows[1].flags.starts_with("RST"),
        "{}",
        story()
    );
    assert!(stdout.contains("connection refused"), "{}", story());
    // The client's own words are in the transcript.
    assert!(
        stdout.contains("[CLIENT] Error: could not connect"),
        "{}",
        story()
    );
    let saved = pcap_segments(&pcap_path);
    assert_eq!(saved.len(), 2);
    assert!(saved[0].flags.syn && saved[1].flags.rst);
}

#[test]
fn the_forced_fallback_shows_socket_states_from_the_kernel() {
    let Some(programs) = Programs::new() else {
        return;
    };
    let pcap_path = programs.path("none.pcap");
    let output = Command::cargo_bin("netlab")
        .unwrap()
        .args(["trace", "--server", &programs.server()])
        .args(["--client", &programs.client()])
        .args(["--pcap", pcap_path.to_str().unwrap()])
        .env("NETLAB_TRACE_NO_CAPTURE", "1")
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", show(&output));
    assert!(
        stdout.contains("fallback, no packet capture"),
        "{}",
        show(&output)
    );
    assert!(stdout.contains("kernel's TCP table"), "{}", show(&output));
    // The listening socket lives the whole session; TIME-WAIT lasts a
    // minute on the side that closed first: both are always sampled.
    assert!(stdout.contains("server (listening)"), "{}", show(&output));
    assert!(stdout.contains("LISTEN "), "{}", show(&output));
    assert!(stdout.contains("TIME-WAIT"), "{}", show(&output));
    // A user's client runs as it is: netlab does not play it.
    assert!(!stdout.contains("slow motion"), "{}", show(&output));
    assert!(
        !stdout.contains(" ms|--"),
        "no packet rows: {}",
        show(&output)
    );
    assert!(!pcap_path.exists(), "no capture, so no .pcap");
}

/// The timeline's rows, in order: (socket, state). Only the table above
/// the transcripts (whose netlab-client lines carry times too).
fn timeline(stdout: &str) -> Vec<(String, String)> {
    let table = stdout
        .split_once("What the programs printed:")
        .map_or(stdout, |(before, _)| before);
    table
        .lines()
        .filter_map(|l| {
            let (_, rest) = l.split_once(" ms ")?;
            if !(rest.starts_with("server ") || rest.starts_with("client ")) {
                return None;
            }
            // The socket column is 24 characters wide, the state follows.
            let socket = rest.get(..24)?.trim_end().to_string();
            let state = rest.get(25..)?.split_whitespace().next()?.to_string();
            Some((socket, state))
        })
        .collect()
}

#[test]
fn the_forced_fallback_plays_the_default_client_in_slow_motion() {
    let output = Command::cargo_bin("netlab")
        .unwrap()
        .arg("trace")
        .env("NETLAB_TRACE_NO_CAPTURE", "1")
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", show(&output));
    assert!(
        stdout.contains("fallback, no packet capture")
            && stdout.contains("netlab played the client in slow motion"),
        "{}",
        show(&output)
    );
    // What netlab's client did, in the contract's words, marked as netlab's.
    assert!(
        stdout.contains("client (played by netlab in slow motion"),
        "{}",
        show(&output)
    );
    let said: Vec<&str> = [
        "[CLIENT] Connected to 127.0.0.1:",
        "[CLIENT] Sending: Hello Server",
        "[CLIENT] Received: ACK: Hello Server",
        "[CLIENT] Closed connection",
    ]
    .into_iter()
    .filter(|l| !stdout.contains(l))
    .collect();
    assert!(said.is_empty(), "missing {said:?}: {}", show(&output));

    // The pauses give every long state time to be sampled. The server's
    // connection socket closed first: ESTABLISHED, then FIN-WAIT-2 or
    // TIME-WAIT; the client's: ESTABLISHED, then CLOSE-WAIT. LAST-ACK lasts
    // microseconds on loopback and is not asserted.
    let rows = timeline(&stdout);
    let first = |who: &str, states: &[&str]| {
        rows.iter()
            .position(|(socket, state)| socket.starts_with(who) && states.contains(&state.as_str()))
    };
    let established = rows
        .iter()
        .position(|(_, state)| state == "ESTABLISHED")
        .unwrap_or_else(|| panic!("no ESTABLISHED: {}", show(&output)));
    let server_closed = first("server for client :", &["FIN-WAIT-2", "TIME-WAIT"])
        .unwrap_or_else(|| panic!("no FIN-WAIT-2/TIME-WAIT on the server: {}", show(&output)));
    let client_close_wait = first("client ", &["CLOSE-WAIT"])
        .unwrap_or_else(|| panic!("no CLOSE-WAIT on the client: {}", show(&output)));
    assert!(
        established < server_closed && established < client_close_wait,
        "out of order: {}",
        show(&output)
    );
}

#[test]
fn bad_usage_is_one_line_and_exit_2() {
    let output = netlab(&["--server", "'unclosed", "--client", "true"]);
    assert_eq!(output.status.code(), Some(2), "{}", show(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{}", show(&output));
    assert!(stderr.contains("--server"), "{}", show(&output));

    let output = netlab(&["--scenario", "teapot"]);
    assert_eq!(output.status.code(), Some(2), "{}", show(&output));
}

#[test]
fn a_server_that_never_listens_is_a_runtime_error() {
    let output = netlab(&[
        "--server",
        "sh -c 'echo starting; exit 3'",
        "--client",
        "true",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", show(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("ended (exit 3) before printing `Listening on HOST:PORT`"),
        "{}",
        show(&output)
    );

    let output = netlab(&["--server", "/no/such/server", "--client", "true"]);
    assert_eq!(output.status.code(), Some(1), "{}", show(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("cannot start the server"),
        "{}",
        show(&output)
    );
}

#[test]
fn the_default_traces_the_reference_programs() {
    let output = netlab(&[]);
    if !captured(&output) {
        return;
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", show(&output));
    let rows = rows(&stdout);
    assert_eq!(
        rows.iter()
            .take(3)
            .map(|r| r.flags.as_str())
            .collect::<Vec<_>>(),
        ["SYN", "SYN-ACK", "ACK"],
        "{}",
        show(&output)
    );
    assert!(stdout.contains("\"Hello Server\""), "{}", show(&output));
    assert!(stdout.contains("[CLIENT] Received: ACK: Hello Server"));
    // Without --pcap nothing is written, and the output says how to keep it.
    assert!(!stdout.contains("Capture saved"), "{}", show(&output));
    assert!(
        stdout.contains("add --pcap FILE to keep the packets"),
        "{}",
        show(&output)
    );
}

#[test]
fn a_refusal_without_capture_says_what_happened_and_shows_the_client_error() {
    let Some(programs) = Programs::new() else {
        return;
    };
    let output = Command::cargo_bin("netlab")
        .unwrap()
        .args([
            "trace",
            "--scenario",
            "refused",
            "--client",
            &programs.client(),
        ])
        .env("NETLAB_TRACE_NO_CAPTURE", "1")
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", show(&output));
    for said in [
        "ECONNREFUSED",
        "answered at once with RST",
        "What the client made of it (exit 1):",
        "    [CLIENT] Error: could not connect to 127.0.0.1:",
    ] {
        assert!(stdout.contains(said), "no {said:?}: {}", show(&output));
    }
}

/// As a user without capture rights (`nobody`, when the tests run as root
/// and setpriv is there): the message gives the command that grants them,
/// and every line netlab writes fits in 80 columns.
#[test]
fn without_capture_rights_netlab_says_how_to_grant_them() {
    let setpriv = Path::new("/usr/bin/setpriv");
    if !running_as_root() || !setpriv.exists() {
        eprintln!("skipped: needs root and setpriv to run netlab as an unprivileged user");
        return;
    }
    let netlab = assert_cmd::cargo::cargo_bin("netlab");
    let output = Command::new(setpriv)
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&netlab)
        .arg("trace")
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if stderr.contains("Permission denied") && !stderr.contains("setcap") {
        eprintln!("skipped: nobody cannot run {} here", netlab.display());
        return;
    }
    assert!(output.status.success(), "{}", show(&output));
    let grant = format!("    sudo setcap cap_net_raw+ep {}", netlab.display());
    assert!(
        stderr.lines().any(|l| l == grant),
        "no {grant:?}: {}",
        show(&output)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let table = stdout
        .split_once("What the programs printed:")
        .map_or(&*stdout, |(before, _)| before);
    for line in stderr
        .lines()
        .filter(|l| !l.contains("setcap"))
        .chain(table.lines())
    {
        assert!(
            line.chars().count() <= 80,
            "{} columns: {line}",
            line.chars().count()
        );
    }
}

#[test]
fn on_a_terminal_the_programs_long_lines_wrap_at_its_width() {
    // A program's own line (an error with its address and cause) can be
    // longer than the terminal: under the diagram it wraps at the width,
    // two columns in, instead of running past the edge. `script` gives
    // netlab an 80-column terminal; the fallback timeline needs no rights.
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: `script` (util-linux) is not installed");
        return;
    }
    let client = "sh -c 'echo \"[CLIENT] Error: could not connect to 127.0.0.1: connection refused (is the server running? start it first, then run the client again)\"; exit 1'";
    let line = format!(
        "stty cols 80 rows 50; exec '{}' trace --scenario refused --client {}",
        env!("CARGO_BIN_EXE_netlab"),
        shlex::try_quote(client).unwrap()
    );
    let out = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env("NO_COLOR", "1")
        .env("NETLAB_TRACE_NO_CAPTURE", "1")
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n");
    let at = stdout
        .find("[CLIENT] Error:")
        .unwrap_or_else(|| panic!("no client line:\n{stdout}"));
    for row in stdout.lines() {
        let columns = row.chars().count();
        assert!(
            columns <= 80,
            "a row is {columns} columns: {row}\n\n{stdout}"
        );
    }
    // The client's line goes on under itself, whole.
    let told: Vec<&str> = stdout[at..].split_whitespace().take(24).collect();
    assert!(
        told.join(" ")
            .contains("start it first, then run the client"),
        "{stdout}"
    );
}
