//! `netlab demo` as an organiser runs it: one real session between the
//! reference server and client, shown as a timeline in arrival order, each
//! line tagged with its ritual step, never wider than the terminal, and
//! nothing left running afterwards. (The pure layout is unit-tested in
//! `src/demo.rs`.)

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serial_test::serial;

/// Runs `netlab demo ARGS` with `COLUMNS=columns` and a stdin that stays
/// open but never sends anything (a pipe: not a terminal). Returns the
/// exit code and stdout; fails the test if it has not finished in 60 s.
#[track_caller]
fn demo(columns: usize, args: &[&str]) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_netlab"))
        .arg("demo")
        .args(args)
        .env("COLUMNS", columns.to_string())
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start netlab demo");
    // Keep the write end open: a demo that waited for Enter would hang here.
    let _stdin = child.stdin.take();
    let until = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > until {
            let _ = child.kill();
            let _ = child.wait();
            panic!("netlab demo {args:?} did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    if !status.success() {
        eprintln!("netlab demo {args:?} stderr:\n{stderr}");
    }
    (status.code().unwrap_or(-1), stdout)
}

/// The timeline's rows (`  3  accept       [SERVER] ...`): (step tag,
/// rest of the row), checking they are numbered 1, 2, 3...
fn timeline(stdout: &str) -> Vec<(String, String)> {
    let rows: Vec<(String, String)> = stdout
        .lines()
        .filter_map(|l| {
            let (num, rest) = l.trim_start().split_once("  ")?;
            num.parse::<usize>().ok()?;
            let rest = rest.trim_start();
            let (step, text) = rest.split_once(' ').unwrap_or((rest, ""));
            Some((format!("{num} {step}"), text.trim().to_string()))
        })
        .collect();
    rows.into_iter()
        .enumerate()
        .map(|(i, (num_step, text))| {
            let (num, step) = num_step.split_once(' ').unwrap();
            assert_eq!(
                num,
                (i + 1).to_string(),
                "rows numbered in order:\n{stdout}"
            );
            (step.to_string(), text)
        })
        .collect()
}

#[track_caller]
fn assert_fits(stdout: &str, columns: usize) {
    for line in stdout.lines() {
        let width = line.chars().count();
        assert!(
            width <= columns,
            "a line is {width} columns wide at COLUMNS={columns}:\n{line}\n\n{stdout}"
        );
    }
}

/// The port the demo's server announced.
fn port(stdout: &str) -> u16 {
    let line = stdout
        .lines()
        .find(|l| l.contains("[SERVER] Listening on"))
        .unwrap_or_else(|| panic!("no Listening line:\n{stdout}"));
    let (_, addr) = line.split_once("Listening on ").unwrap();
    let addr = addr.split_whitespace().next().unwrap();
    addr.rsplit(':').next().unwrap().parse().unwrap()
}

/// Nothing the demo started is still running: the server's port is closed
/// and (Linux) no process runs the reference binaries.
#[track_caller]
fn assert_nothing_left(port: u16) {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    assert!(
        std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_err(),
        "something still listens on port {port}"
    );
    #[cfg(target_os = "linux")]
    {
        let server = std::path::Path::new(env!("CARGO_BIN_EXE_server"));
        let client = server.with_file_name("client");
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            if let Ok(exe) = std::fs::read_link(entry.path().join("exe")) {
                assert!(
                    exe != server && exe != client,
                    "{} is still running (pid {:?})",
                    exe.display(),
                    entry.file_name()
                );
            }
        }
    }
}

#[test]
#[serial]
fn at_80_columns_the_session_is_one_tagged_column_in_order() {
    let (code, out) = demo(80, &[]);
    assert_eq!(code, 0, "{out}");
    assert_fits(&out, 80);
    let rows = timeline(&out);
    let steps: Vec<&str> = rows.iter().map(|(s, _)| s.as_str()).collect();
    // The ritual, in the order it must happen whatever the scheduling:
    // listen before connect, each message sent before it is received.
    let pos = |step: &str, needle: &str| {
        rows.iter()
            .position(|(s, t)| s == step && t.contains(needle))
            .unwrap_or_else(|| panic!("no `{step}` row with {needle:?}:\n{out}"))
    };
    let listen = pos("bind+listen", "[SERVER] Listening on");
    let connect = pos("connect", "[CLIENT] Connected to");
    let accept = pos("accept", "[SERVER] Connection from");
    let send = pos("send", "[CLIENT] Sending: Hello Server");
    let receive = pos("receive", "[SERVER] Received: Hello Server");
    let ack_sent = pos("send", "[SERVER] Sent: ACK");
    let ack_received = pos("receive", "[CLIENT] Received: ACK");
    assert!(listen < connect && listen < accept, "{out}");
    assert!(connect < send && send < receive, "{out}");
    assert!(
        accept < receive && receive < ack_sent && ack_sent < ack_received,
        "{out}"
    );
    assert_eq!(steps.iter().filter(|s| **s == "close").count(), 2, "{out}");
    // Server and client lines are interleaved, not one transcript then the other.
    assert!(send < ack_sent && ack_sent < ack_received, "{out}");
    assert!(!out.contains('│'), "one column at 80:\n{out}");
    assert!(out.contains("Done:"), "{out}");
    assert_nothing_left(port(&out));
}

#[test]
#[serial]
fn on_a_wide_terminal_server_and_client_sit_side_by_side() {
    let (code, out) = demo(160, &[]);
    assert_eq!(code, 0, "{out}");
    assert_fits(&out, 160);
    assert!(
        out.contains("server (terminal 1)") && out.contains("client (terminal 2)"),
        "{out}"
    );
    let row = |needle: &str| {
        out.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no row with {needle:?}:\n{out}"))
    };
    // The server's lines in the left column, the client's in the right.
    let (left, _) = row("[SERVER] Connection from").split_once('│').unwrap();
    assert!(left.contains("accept"), "{out}");
    let (left, right) = row("[CLIENT] Connected to").split_once('│').unwrap();
    assert!(
        !left.contains("[CLIENT]") && right.contains("[CLIENT]"),
        "{out}"
    );
    assert_nothing_left(port(&out));
}

#[test]
#[serial]
fn pace_does_not_wait_when_stdin_is_not_a_terminal() {
    // stdin is a pipe that never sends Enter: the demo must still finish.
    let (code, out) = demo(80, &["--pace"]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("⏎ next step"), "{out}");
    assert!(!out.contains("Press Enter"), "{out}");
    assert_eq!(timeline(&out).len(), 9, "{out}");
    assert_nothing_left(port(&out));
}

#[test]
#[serial]
fn a_missing_reference_binary_is_a_clear_usage_error() {
    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_netlab"))
        .args(["demo", "--bin-dir"])
        .arg(empty.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cargo build --bins"), "{stderr}");
}

/// `netlab demo --pace` on an 80-column pseudo-terminal (`script`), its
/// keyboard and screen piped to the test.
#[cfg(unix)]
fn paced_demo_on_a_terminal() -> std::process::Child {
    let line = format!("'{}' demo --pace", env!("CARGO_BIN_EXE_netlab"));
    Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env("COLUMNS", "80")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start script")
}

#[cfg(unix)]
#[test]
#[serial]
fn pace_waits_for_enter_between_steps_on_a_terminal() {
    // `script` runs the demo on a pseudo-terminal and types what it reads
    // from its own stdin: eight Enters for the eight steps after the first.
    use std::io::Write;
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: `script` (util-linux) is not installed");
        return;
    }
    let mut child = paced_demo_on_a_terminal();
    child.stdin.take().unwrap().write_all(&[b'\n'; 8]).unwrap();
    let until = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > until {
            let _ = child.kill();
            panic!("netlab demo --pace did not finish after eight Enters");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(status.success(), "{out}");
    assert!(out.contains("Press Enter"), "{out}");
    // One prompt between each two of the nine steps, erased after Enter.
    assert_eq!(out.matches("⏎ next step").count(), 8, "{out}");
    assert!(out.contains("\u{1b}[1A\u{1b}[2K"), "{out:?}");
    assert!(out.contains("Done:"), "{out}");
    assert_nothing_left(port(&out));
}

#[cfg(unix)]
#[test]
#[serial]
fn ctrl_c_while_paced_says_the_demo_stopped_and_exits_130() {
    // A presenter stops a `--pace` run at the first `⏎ next step`: the
    // demo clears the prompt, says it stopped (else the shell's prompt
    // lands on the prompt line) and exits 130. `script` gives it a
    // terminal; a Ctrl+C byte typed there is SIGINT for the demo.
    use std::io::Write;
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: `script` (util-linux) is not installed");
        return;
    }
    let mut child = paced_demo_on_a_terminal();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut out = Vec::new();
    let until = Instant::now() + Duration::from_secs(60);
    // Wait until it waits for Enter, then press Ctrl+C.
    while !String::from_utf8_lossy(&out).contains("⏎ next step") {
        let left = until.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(bytes) => out.extend(bytes),
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "no `⏎ next step` prompt:\n{}",
                    String::from_utf8_lossy(&out)
                );
            }
        }
    }
    stdin.write_all(b"\x03").unwrap();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > until {
            let _ = child.kill();
            panic!("netlab demo --pace did not stop on Ctrl+C");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    while let Ok(bytes) = rx.recv_timeout(Duration::from_secs(5)) {
        out.extend(bytes);
    }
    let out = String::from_utf8_lossy(&out).into_owned();
    assert_eq!(status.code(), Some(130), "{out}");
    let stopped = out
        .find("Demo stopped (Ctrl+C)")
        .unwrap_or_else(|| panic!("no word that the demo stopped:\n{out}"));
    // On its own line: the prompt before it was cleared.
    assert!(out[..stopped].ends_with("\r\u{1b}[2K"), "{out:?}");
    assert!(!out.contains("Done:"), "{out}");
    assert_nothing_left(port(&out));
}
