//! Helpers shared by the Week 1 integration tests: start a reference server
//! as a real process and learn its port, talk to it over a real socket, and
//! stand-in servers (silent, scripted) for testing the clients.
//!
//! Every server is a [`netlab::process::Child`]: it has a deadline and is
//! killed on drop, so a failing test never leaves anything running.

#![allow(dead_code)] // each test file uses a different part of this module

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, ExitStatus};
use std::thread;
use std::time::{Duration, Instant};

use netlab::process::{self, Child, Signal, Stream};

/// How long any one wait may take before the test fails. Generous: the
/// machine may be busy; tests never assert on speed.
pub const WAIT: Duration = Duration::from_secs(10);

/// The longest a server child may live.
pub const DEADLINE: Duration = Duration::from_secs(60);

const LAB_VARS: [&str; 5] = [
    "LAB_HOST",
    "LAB_PORT",
    "LAB_BUFFER_SIZE",
    "LAB_TIMEOUT",
    "LAB_MAX_CLIENTS",
];

/// A command for one of our binaries, with the LAB_* variables of whoever
/// runs the tests removed, so only what the test sets counts.
pub fn command(program: &str) -> Command {
    let mut cmd = Command::new(program);
    for var in LAB_VARS {
        cmd.env_remove(var);
    }
    cmd
}

/// The same for assert_cmd (run-to-completion programs such as clients).
pub fn assert_command(program: &str) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(program);
    for var in LAB_VARS {
        cmd.env_remove(var);
    }
    cmd.timeout(Duration::from_secs(30));
    cmd
}

/// Runs `cmd` to its end and returns what it printed, but for at most
/// three minutes (then the test fails): the programs run this way have
/// deadlines of their own, and this bound keeps a broken build from
/// hanging the suite.
pub fn bounded(cmd: Command) -> std::process::Output {
    assert_cmd::Command::from_std(cmd)
        .timeout(Duration::from_secs(180))
        .output()
        .expect("the command starts")
}

/// A reference server running as a process.
pub struct Server {
    pub child: Child,
    pub port: u16,
}

impl Server {
    /// Starts `program` with `LAB_PORT=0` (any free port), `LAB_TIMEOUT=2`,
    /// then `env` and `args`, and waits for its `Listening on` line.
    #[track_caller]
    pub fn start(program: &str, args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut cmd = command(program);
        cmd.env("LAB_PORT", "0").env("LAB_TIMEOUT", "2");
        cmd.envs(env.iter().copied());
        cmd.args(args);
        let child = Child::spawn(cmd, DEADLINE).expect("start the server");
        let listening = child.wait_line(Stream::Stdout, WAIT, |l| {
            l.starts_with("[SERVER] Listening on ")
        });
        let Some(line) = listening else {
            panic!(
                "{program} {args:?} printed no Listening line within {WAIT:?}\n{}",
                transcript(&child)
            );
        };
        let port = port_of(&line);
        Server { child, port }
    }

    /// The server's address on loopback.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Waits for a stdout line that satisfies `pred`; fails the test with
    /// the transcript if none comes.
    #[track_caller]
    pub fn line(&self, what: &str, pred: impl FnMut(&str) -> bool) -> String {
        self.child
            .wait_line(Stream::Stdout, WAIT, pred)
            .unwrap_or_else(|| panic!("no {what} line\n{}", transcript(&self.child)))
    }

    /// Waits for exactly `expected` on stdout.
    #[track_caller]
    pub fn expect_line(&self, expected: &str) {
        self.line(expected, |l| l == expected);
    }

    /// Waits for a stdout line containing `needle`.
    #[track_caller]
    pub fn expect_containing(&self, needle: &str) -> String {
        self.line(needle, |l| l.contains(needle))
    }

    /// All stdout lines so far.
    pub fn stdout(&self) -> Vec<String> {
        self.child.lines(Stream::Stdout)
    }

    /// Waits for the server to exit by itself.
    #[track_caller]
    pub fn wait_exit(&mut self) -> ExitStatus {
        match self.child.wait_exit(WAIT) {
            Some(status) => status,
            None => panic!(
                "the server did not exit within {WAIT:?}\n{}",
                transcript(&self.child)
            ),
        }
    }

    /// Sends a signal (as Ctrl+C or `kill` would).
    pub fn signal(&mut self, signal: Signal) {
        self.child.signal(signal).expect("send the signal");
    }

    /// Everything the server printed, for failure messages.
    pub fn transcript(&self) -> String {
        transcript(&self.child)
    }
}

/// What a child printed, labelled, for failure messages.
pub fn transcript(child: &Child) -> String {
    format!(
        "--- stdout of {}:\n{}--- stderr:\n{}---",
        child.program(),
        child.text(Stream::Stdout),
        child.text(Stream::Stderr)
    )
}

/// The port at the end of `[SERVER] Listening on 127.0.0.1:PORT`.
#[track_caller]
pub fn port_of(line: &str) -> u16 {
    line.rsplit(':')
        .next()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"))
}

/// A connection to `port` on loopback with bounded reads and writes.
#[track_caller]
pub fn connect(port: u16) -> TcpStream {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let stream = TcpStream::connect_timeout(&addr, WAIT).expect("connect to the server");
    stream.set_read_timeout(Some(WAIT)).unwrap();
    stream.set_write_timeout(Some(WAIT)).unwrap();
    stream
}

/// Reads until the other side closes (bounded by the read timeout).
#[track_caller]
pub fn read_all(stream: &mut TcpStream) -> Vec<u8> {
    let mut reply = Vec::new();
    stream
        .read_to_end(&mut reply)
        .expect("read the reply until the server closes");
    reply
}

/// Connects, sends `message` in one write, and returns everything the
/// server sent before closing.
#[track_caller]
pub fn ask(port: u16, message: &[u8]) -> Vec<u8> {
    let mut stream = connect(port);
    stream.write_all(message).expect("send");
    read_all(&mut stream)
}

/// Reads one `\n`-terminated line (bounded), without the `\n`.
#[track_caller]
pub fn read_line(stream: &mut TcpStream) -> String {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match stream.read(&mut byte) {
            Ok(0) => panic!(
                "connection closed after {:?}",
                String::from_utf8_lossy(&line)
            ),
            Ok(_) if byte[0] == b'\n' => break,
            Ok(_) => line.push(byte[0]),
            Err(e) => panic!(
                "no full line ({e}); got {:?}",
                String::from_utf8_lossy(&line)
            ),
        }
    }
    String::from_utf8(line).expect("a UTF-8 line")
}

/// A listener that completes handshakes (the kernel does that) but never
/// accepts or answers: a server that does not respond.
pub fn silent_listener() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a silent listener");
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

/// A port with nothing listening (bound, then released).
pub fn free_port() -> u16 {
    silent_listener().1
}

/// Is `port` free to bind again (the server left nothing behind)?
pub fn port_is_free(port: u16) -> bool {
    let until = Instant::now() + WAIT;
    loop {
        if netlab::ritual::listen_on(SocketAddr::from(([127, 0, 0, 1], port))).is_ok() {
            return true;
        }
        if Instant::now() >= until {
            return false;
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// Describes an exit status for assertions' messages.
pub fn status_text(status: ExitStatus) -> String {
    process::describe_status(status)
}

/// Linux: is some connection with local port `port` in TIME_WAIT? Reads the
/// kernel's TCP tables (/proc/net/tcp and tcp6); state 06 is TIME_WAIT.
#[cfg(target_os = "linux")]
pub fn time_wait_on_local_port(port: u16) -> bool {
    let wanted = format!(":{port:04X}");
    ["/proc/net/tcp", "/proc/net/tcp6"].iter().any(|table| {
        std::fs::read_to_string(table)
            .unwrap_or_default()
            .lines()
            .skip(1)
            .any(|row| {
                let fields: Vec<&str> = row.split_whitespace().collect();
                fields.len() > 3 && fields[1].ends_with(&wanted) && fields[3] == "06"
            })
    })
}

/// The failed checks of a JSON report (`netlab grade --format json`), one
/// line each (`id: diagnosis (observed)`), for an assertion message.
pub fn failed_checks(report: &serde_json::Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["passed"] == false)
        .map(|c| format!("{}: {} ({})", c["id"], c["diagnosis"], c["observed"]))
        .collect()
}

/// Copies the files of `from` (not its subfolders) into `to`, made if
/// needed: a fixture submission put into a class folder.
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// The cgroups and jail folders a grader of pid `pid` left behind.
#[cfg(target_os = "linux")]
pub fn sandbox_leftovers_of(pid: u32) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let cgroup = format!("{pid}-");
    for controller in ["memory", "pids", "cpuacct"] {
        let parent = std::path::Path::new("/sys/fs/cgroup")
            .join(controller)
            .join("netlab");
        for entry in std::fs::read_dir(parent).into_iter().flatten().flatten() {
            if entry.file_name().to_string_lossy().starts_with(&cgroup) {
                found.push(entry.path());
            }
        }
    }
    // Jail copies, folders given to a check, private-/tmp staging folders:
    // where the grader puts them (a tmpfs) and the temporary folder.
    let ours = [
        format!("netlab-jail-{pid}-"),
        format!("netlab-grade-{pid}-"),
        format!("netlab-tmp-{pid}-"),
    ];
    for entry in netlab::sandbox::scratch_places()
        .iter()
        .flat_map(std::fs::read_dir)
        .flatten()
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if ours.iter().any(|prefix| name.starts_with(prefix)) {
            found.push(entry.path());
        }
    }
    found
}
