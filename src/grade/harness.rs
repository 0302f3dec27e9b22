//! What one check works with: the submission's processes, the grader's own
//! probe clients and fake servers, and the story of what was done.
//!
//! A check is a function `fn(&mut Ctx) -> Result<(), Failure>`. It records
//! each step with [`Ctx::step`], starts the submission's programs through
//! [`Ctx::spawn`] (so the report can show their output and status when the
//! check fails), and returns a [`Failure`] naming the mistake.
//!
//! Waits here are bounded and generous: a slow machine makes a check slower,
//! never wrong. Where a bound is the point of the check (a timeout), the
//! grader sets the submission's LAB_TIMEOUT short and waits a few seconds
//! longer than that before it calls it a hang.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use super::diagnosis::Diagnosis;
use super::evidence::{note_grader_port, note_port};
use super::{Role, Submission};
use crate::process::{describe_status, Child, Signal, Stream};

/// The loopback address every check uses.
pub const HOST: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// The longest any submission process may live within one check.
const PROCESS_DEADLINE: Duration = Duration::from_secs(60);

/// How long a program gets to start up and print its first line (a cold
/// Python or a debug binary on a loaded machine can be slow).
pub const STARTUP: Duration = Duration::from_secs(10);

/// Slack added to every wait that should take "no time" on loopback.
pub const SLACK: Duration = Duration::from_secs(3);

/// Why a check failed: the mistake, what was expected, what was seen.
#[derive(Debug, Clone)]
pub struct Failure {
    pub diagnosis: Diagnosis,
    pub expected: String,
    pub observed: String,
}

/// Shorthand to build a [`Failure`].
pub fn fail(
    diagnosis: Diagnosis,
    expected: impl Into<String>,
    observed: impl Into<String>,
) -> Failure {
    Failure {
        diagnosis,
        expected: expected.into(),
        observed: observed.into(),
    }
}

/// A started submission program, by index into the check's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proc(usize);

struct Launched {
    role: Role,
    label: String,
    child: Child,
}

/// The working state of one check.
pub struct Ctx<'a> {
    submission: &'a Submission,
    rng: fastrand::Rng,
    steps: Vec<String>,
    procs: Vec<Launched>,
    scratch: Option<tempfile::TempDir>,
    /// This check's sandbox (uid, private copy), made at the first spawn.
    jail: Option<crate::sandbox::Jail>,
}

impl<'a> Ctx<'a> {
    pub fn new(submission: &'a Submission, seed: u64) -> Ctx<'a> {
        Ctx {
            submission,
            rng: fastrand::Rng::with_seed(seed),
            steps: Vec::new(),
            procs: Vec::new(),
            scratch: None,
            jail: None,
        }
    }

    /// Records one step of the story shown when the check fails.
    pub fn step(&mut self, text: impl Into<String>) {
        self.steps.push(text.into());
    }

    pub fn steps(&self) -> &[String] {
        &self.steps
    }

    /// A random printable message of about `len` characters (letters, digits,
    /// spaces inside), different on every run unless the seed is replayed,
    /// so a hard-coded reply cannot pass.
    pub fn message(&mut self, len: usize) -> String {
        const WORDS: &[&str] = &[
            "packet",
            "socket",
            "router",
            "hello",
            "bind",
            "listen",
            "accept",
            "ack",
            "port",
            "frame",
            "stream",
            "segment",
            "window",
            "latency",
            "kernel",
            "handshake",
        ];
        let mut text = String::new();
        while text.len() < len {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(WORDS[self.rng.usize(..WORDS.len())]);
            text.push_str(&self.rng.u32(10..1000).to_string());
        }
        text
    }

    /// A random number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        self.rng.usize(..n.max(1))
    }

    /// `len` random ASCII letters: exact lengths for the limit checks.
    pub fn letters(&mut self, len: usize) -> String {
        (0..len).map(|_| self.rng.alphabetic()).collect()
    }

    /// A fresh folder for this check's files (removed when the check ends).
    pub fn scratch_dir(&mut self) -> io::Result<PathBuf> {
        if self.scratch.is_none() {
            let dir = tempfile::Builder::new().prefix("netlab-grade-").tempdir()?;
            // The check's programs run as the jail's user: let them write here.
            self.jail().give(dir.path());
            self.scratch = Some(dir);
        }
        Ok(self
            .scratch
            .as_ref()
            .map(|d| d.path().to_path_buf())
            .unwrap_or_default())
    }

    /// Starts the submission's program for `role` with `args` appended and
    /// the contract's environment (`env` overrides it). A program that
    /// cannot be started at all is a `cannot-start` failure.
    pub fn spawn(
        &mut self,
        role: Role,
        args: &[String],
        env: &[(&str, String)],
    ) -> Result<Proc, Failure> {
        self.spawn_inner(role, args, env, false)
    }

    /// Like [`Ctx::spawn`] with a piped stdin the check can write to.
    pub fn spawn_with_stdin(
        &mut self,
        role: Role,
        args: &[String],
        env: &[(&str, String)],
    ) -> Result<Proc, Failure> {
        self.spawn_inner(role, args, env, true)
    }

    fn spawn_inner(
        &mut self,
        role: Role,
        args: &[String],
        env: &[(&str, String)],
        piped_stdin: bool,
    ) -> Result<Proc, Failure> {
        let argv = self.submission.command(role).ok_or_else(|| {
            fail(
                Diagnosis::CannotStart,
                format!("a command for the {} role", role.name()),
                "no command was given for this role",
            )
        })?;
        let mut full: Vec<String> = argv.to_vec();
        full.extend(args.iter().cloned());
        let label = shell_words(&full);
        let env_note: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        self.step(if env_note.is_empty() {
            format!("start the {}: {label}", role.name())
        } else {
            format!(
                "start the {}: {label} (with {})",
                role.name(),
                env_note.join(" ")
            )
        });
        let (mut cmd, confinement) = self.jail().command(&full);
        // The program must flush its own output (that is a check); do not
        // let an inherited PYTHONUNBUFFERED hide the mistake.
        cmd.env_remove("PYTHONUNBUFFERED");
        for (key, value) in default_env() {
            cmd.env(key, value);
        }
        for (key, value) in env {
            cmd.env(key, value);
        }
        // Wire evidence: the program will use this port (listen or connect).
        if let Some((_, port)) = env.iter().find(|(k, _)| *k == "LAB_PORT") {
            note_port(port.parse().unwrap_or(0));
        }
        let child = Child::spawn_confined(cmd, PROCESS_DEADLINE, piped_stdin, Some(confinement))
            .map_err(|e| {
                let why = if e.kind() == io::ErrorKind::NotFound {
                    format!(
                        "there is no program `{}` (not on PATH, and no such file in {})",
                        full[0],
                        self.submission.dir().display()
                    )
                } else {
                    format!("it could not be started: {e}")
                };
                fail(Diagnosis::CannotStart, format!("`{label}` starts"), why)
            })?;
        self.procs.push(Launched { role, label, child });
        Ok(Proc(self.procs.len() - 1))
    }

    /// The process groups of this check's programs.
    fn groups(&self) -> Vec<u32> {
        self.procs.iter().map(|l| l.child.pid()).collect()
    }

    /// The check's sandbox, made on first use.
    fn jail(&mut self) -> &crate::sandbox::Jail {
        let dir = self.submission.dir();
        self.jail
            .get_or_insert_with(|| crate::sandbox::Jail::new(dir))
    }

    /// If a program of this check ran into a sandbox limit, says which and
    /// by how much (`the server used more than 512 MiB`), or spun in a busy
    /// loop without printing anything (`used 9.8 s of CPU in 10.0 s`). Only
    /// asked when the check failed; for a passing check see
    /// [`Ctx::limit_reached`].
    pub fn resource_abuse(&mut self) -> Option<String> {
        for launched in &mut self.procs {
            let role = launched.role.name();
            let status = launched.child.try_status();
            let usage = launched.child.usage();
            let stderr = launched.child.text(Stream::Stderr);
            let silent = launched.child.bytes_seen(Stream::Stdout) == 0;
            let what = crate::sandbox::limit_hit(status, usage.as_ref(), &stderr).or_else(|| {
                silent
                    .then(|| crate::sandbox::busy_loop(usage.as_ref(), launched.child.elapsed()))
                    .flatten()
            });
            if let Some(what) = what {
                return Some(format!("the {role} {what}"));
            }
        }
        None
    }

    /// A limit a program of this check hit beyond doubt (killed by SIGXCPU
    /// or SIGXFSZ, an OOM kill, a fork the pids controller refused): fails
    /// the check even when its own assertions passed. Never a guess from
    /// output or memory counters, so a correct program is never blamed.
    pub fn limit_reached(&mut self) -> Option<String> {
        for launched in &mut self.procs {
            let status = launched.child.try_status();
            let usage = launched.child.usage();
            if let Some(what) = crate::sandbox::limit_proven(status, usage.as_ref()) {
                return Some(format!("the {} {what}", launched.role.name()));
            }
        }
        None
    }

    /// Names a program of this check that is stopped (SIGSTOP, SIGTSTP), for
    /// the observation of a failed check: a stopped program answers nothing.
    pub fn stopped_program(&mut self) -> Option<String> {
        for launched in &mut self.procs {
            if launched.child.try_status().is_none() && launched.child.is_stopped() {
                return Some(format!(
                    "the {} is stopped (SIGSTOP or SIGTSTP): it cannot answer",
                    launched.role.name()
                ));
            }
        }
        None
    }

    pub fn child(&mut self, p: Proc) -> &mut Child {
        &mut self.procs[p.0].child
    }

    /// Sends a signal to a started program, recorded as a step.
    pub fn signal(&mut self, p: Proc, signal: Signal) {
        self.step(format!(
            "send {} to the {}",
            signal.name(),
            self.procs[p.0].role.name()
        ));
        let _ = self.child(p).signal(signal);
    }

    /// Waits up to `timeout` for a stdout line satisfying `pred`.
    pub fn wait_stdout(
        &mut self,
        p: Proc,
        timeout: Duration,
        pred: impl FnMut(&str) -> bool,
    ) -> Option<String> {
        self.child(p).wait_line(Stream::Stdout, timeout, pred)
    }

    /// Waits up to `timeout` for the program to exit.
    pub fn wait_exit(&mut self, p: Proc, timeout: Duration) -> Option<ExitStatus> {
        self.child(p).wait_exit(timeout)
    }

    /// A readable account of every program this check started: its status
    /// and the last lines of its stdout and stderr.
    pub fn process_report(&mut self) -> String {
        let mut out = String::new();
        for launched in &mut self.procs {
            let status = match launched.child.try_status() {
                Some(_) if launched.child.hit_deadline() => format!(
                    "stopped by the grader: still running at its {}s deadline",
                    PROCESS_DEADLINE.as_secs()
                ),
                Some(s) => describe_status(s),
                None if launched.child.is_stopped() => {
                    "stopped (SIGSTOP or SIGTSTP): it could not answer; killed by the grader"
                        .to_string()
                }
                None => "still running (stopped by the grader)".to_string(),
            };
            // A spin (a busy loop, a read of 0 bytes retried forever) shows
            // in the CPU its tree used; a correct program's is not worth a word.
            let cpu = launched.child.usage().and_then(|u| u.cpu);
            let status = match cpu {
                Some(cpu) if cpu >= crate::sandbox::BUSY_CPU => format!(
                    "{status} (used {:.1} s of CPU in {:.1} s)",
                    cpu.as_secs_f64(),
                    launched.child.elapsed().as_secs_f64()
                ),
                _ => status,
            };
            out.push_str(&format!(
                "{} `{}`: {status}\n",
                launched.role.name(),
                launched.label
            ));
            for (name, stream) in [("stdout", Stream::Stdout), ("stderr", Stream::Stderr)] {
                let text = launched.child.text(stream);
                let lines: Vec<&str> = text.lines().collect();
                if lines.is_empty() {
                    out.push_str(&format!("  {name}: (nothing)\n"));
                    continue;
                }
                let skip = lines.len().saturating_sub(8);
                // A flood is named by its size: the lines shown are only
                // what was kept of it.
                let mut notes = Vec::new();
                if skip > 0 {
                    notes.push(format!("last 8 of {} lines", lines.len()));
                }
                let dropped = launched.child.bytes_dropped(stream);
                if dropped > 0 {
                    notes.push(format!(
                        "{} bytes written in all, {dropped} not kept",
                        launched.child.bytes_seen(stream)
                    ));
                }
                out.push_str(&format!(
                    "  {name}{}:\n",
                    if notes.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", notes.join("; "))
                    }
                ));
                for line in &lines[skip..] {
                    out.push_str(&format!("  | {}\n", truncate(line, 160)));
                }
            }
        }
        out
    }

    /// Every line the started programs printed (stdout, then stderr, of each
    /// program in start order), for a look at what they said about themselves.
    pub fn output_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for launched in &self.procs {
            for stream in [Stream::Stdout, Stream::Stderr] {
                lines.extend(launched.child.text(stream).lines().map(str::to_string));
            }
        }
        lines
    }

    /// Did this program die badly: killed by a signal, or a traceback or a
    /// panic on stderr? Returns a short description.
    pub fn crash_of(&mut self, p: Proc) -> Option<String> {
        let child = self.child(p);
        let status = child.try_status();
        let stderr = child.text(Stream::Stderr);
        if stderr.contains("Traceback (most recent call last)") {
            return Some("a Python traceback on stderr".into());
        }
        if stderr.contains("panicked at") {
            return Some("a Rust panic on stderr".into());
        }
        if let Some(status) = status {
            if status.code().is_none() {
                return Some(describe_status(status));
            }
        }
        None
    }

    /// Starts a server role with LAB_PORT=0 (unless `env` sets it) and waits
    /// for its Listening line; returns the announced address.
    pub fn start_server(
        &mut self,
        role: Role,
        args: &[String],
        env: &[(&str, String)],
    ) -> Result<(Proc, SocketAddr), Failure> {
        let p = self.spawn(role, args, env)?;
        let expected_port: Option<u16> = env
            .iter()
            .find(|(k, _)| *k == "LAB_PORT")
            .and_then(|(_, v)| v.parse().ok())
            .filter(|port| *port != 0);
        self.step(format!("wait for `[SERVER] Listening on {HOST}:PORT`"));
        let line = self.wait_listening_line(p);
        let expected =
            format!("a stdout line `[SERVER] Listening on {HOST}:PORT` naming the real port");
        let Some(line) = line else {
            return Err(self.explain_no_listening(p, &expected));
        };
        let addr = line
            .strip_prefix("[SERVER] Listening on ")
            .and_then(|rest| rest.trim_end().parse::<SocketAddr>().ok());
        let Some(addr) = addr else {
            return Err(fail(
                Diagnosis::OutputFormat,
                expected,
                format!("the line was `{line}`"),
            ));
        };
        if addr.ip() != std::net::IpAddr::V4(HOST) {
            return Err(fail(
                Diagnosis::IgnoresConfig,
                format!("the server listens on LAB_HOST={HOST}"),
                format!("it announced `{line}`"),
            ));
        }
        if addr.port() == 0 {
            return Err(fail(
                Diagnosis::OutputFormat,
                "the Listening line names the port the system chose (LAB_PORT=0 means any free port)",
                format!("it announced port 0: `{line}` — ask the socket for its real address (getsockname() / local_addr())"),
            ));
        }
        if let Some(port) = expected_port {
            if addr.port() != port {
                return Err(fail(
                    Diagnosis::IgnoresConfig,
                    format!("the server listens on LAB_PORT={port}"),
                    format!("it announced `{line}`"),
                ));
            }
        }
        note_port(addr.port());
        Ok((p, addr))
    }

    /// Waits for a line containing `Listening on`, up to [`STARTUP`]. Gives
    /// up sooner when the program has been listening for a while (seen in
    /// /proc on Linux) without printing anything: its output is buffered.
    fn wait_listening_line(&mut self, p: Proc) -> Option<String> {
        let until = Instant::now() + STARTUP;
        let mut listening_since: Option<Instant> = None;
        loop {
            let slice = Duration::from_millis(250);
            let asked = Instant::now();
            if let Some(line) = self.wait_stdout(p, slice, |l| l.contains("Listening on")) {
                return Some(line);
            }
            let child = self.child(p);
            // Trap: once the program has closed its stdout, wait_stdout
            // returns at once; without this pause the loop spins a core.
            if let Some(rest) = slice.checked_sub(asked.elapsed()) {
                child.wait_exit(rest);
            }
            if child.try_status().is_some() || Instant::now() >= until {
                return None;
            }
            if listening_since.is_none()
                && child.lines(Stream::Stdout).is_empty()
                && listening_ports_of(child.pid()).is_some_and(|ports| !ports.is_empty())
            {
                listening_since = Some(Instant::now());
            }
            if listening_since.is_some_and(|t| t.elapsed() >= Duration::from_secs(2)) {
                return None;
            }
        }
    }

    fn explain_no_listening(&mut self, p: Proc, expected: &str) -> Failure {
        if let Some(status) = self.child(p).try_status() {
            let how = describe_status(status);
            if let Some(crash) = self.crash_of(p) {
                return fail(
                    Diagnosis::Crash,
                    expected,
                    format!("the program died before listening: {crash} ({how})"),
                );
            }
            return fail(
                Diagnosis::CannotStart,
                expected,
                format!("the program ended before printing a Listening line ({how})"),
            );
        }
        if self.child(p).is_closed(Stream::Stdout) && self.child(p).lines(Stream::Stdout).is_empty()
        {
            return fail(
                Diagnosis::OutputFormat,
                expected,
                "the program closed its stdout without printing anything: the grader can never see a Listening line",
            );
        }
        if !self.child(p).lines(Stream::Stdout).is_empty() {
            return fail(
                Diagnosis::OutputFormat,
                expected,
                format!(
                    "no Listening line within {}s; other lines were printed",
                    STARTUP.as_secs()
                ),
            );
        }
        match listening_ports_of(self.child(p).pid()) {
            Some(ports) if !ports.is_empty() => fail(
                Diagnosis::StdoutBuffered,
                expected,
                format!(
                    "the program is listening (on port {}) but has printed nothing to stdout: its output is stuck in a buffer",
                    ports.iter().map(u16::to_string).collect::<Vec<_>>().join(", "),
                ),
            ),
            _ => fail(
                Diagnosis::OutputFormat,
                expected,
                format!(
                    "nothing on stdout within {}s (if your program prints it, make sure the line is flushed)",
                    STARTUP.as_secs()
                ),
            ),
        }
    }

    /// Connects a probe client to `addr`. Refused → `missing-listen`.
    pub fn connect(&mut self, addr: SocketAddr) -> Result<TcpStream, Failure> {
        self.step(format!("connect a probe client to {addr}"));
        note_port(addr.port());
        // A correct server may print its Listening line a moment before
        // listen() returns; retry a refused connect briefly.
        let until = Instant::now() + Duration::from_secs(1);
        if let Some(stranger) = guard::foreign_listener(addr, &self.groups()) {
            return Err(fail(
                Diagnosis::MissingListen,
                format!("{addr} is held by the program under test, as announced"),
                format!("the port is held by another process ({stranger}), not by this check's programs: the grader does not talk to it"),
            ));
        }
        loop {
            match TcpStream::connect_timeout(&addr, SLACK) {
                Ok(stream) => {
                    note_grader_port(stream.local_addr().map_or(0, |a| a.port()));
                    return Ok(stream);
                }
                Err(e)
                    if e.kind() == io::ErrorKind::ConnectionRefused && Instant::now() < until =>
                {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => {
                    return Err(fail(
                        Diagnosis::MissingListen,
                        format!("{addr} accepts connections, as announced"),
                        format!("connecting failed: {e}"),
                    ))
                }
            }
        }
    }

    /// Accepts the connection of program `p` on a fake server's listener,
    /// giving up early if the program exits without connecting.
    pub fn accept_from(
        &mut self,
        listener: &TcpListener,
        p: Proc,
        timeout: Duration,
    ) -> Option<TcpStream> {
        let until = Instant::now() + timeout;
        loop {
            if let Some((stream, peer)) = accept_within(listener, Duration::from_millis(100)) {
                // Without a network namespace anyone on the machine can
                // connect: a stranger's connection is closed and not counted.
                if guard::foreign_peer(peer, &self.groups()).is_some() {
                    continue;
                }
                return Some(stream);
            }
            if self.child(p).try_status().is_some() {
                // It may have connected just before exiting.
                return accept_within(listener, Duration::from_millis(50)).map(|(s, _)| s);
            }
            if Instant::now() >= until {
                return None;
            }
        }
    }

    /// Sends `bytes` on `stream`, recorded as a step.
    pub fn send(&mut self, stream: &mut TcpStream, bytes: &[u8]) -> Result<(), Failure> {
        self.step(format!("send {}", show_bytes(bytes)));
        stream.write_all(bytes).map_err(|e| {
            fail(
                Diagnosis::Crash,
                "the server keeps the connection open to receive the message",
                format!("sending failed: {e}"),
            )
        })
    }

    /// Environment pairs with LAB_TIMEOUT set to `secs`.
    pub fn timeout_env(secs: u64) -> (&'static str, String) {
        ("LAB_TIMEOUT", secs.to_string())
    }
}

/// The contract's environment, with the grader's short timeout.
fn default_env() -> [(&'static str, String); 5] {
    [
        ("LAB_HOST", HOST.to_string()),
        ("LAB_PORT", "0".to_string()),
        ("LAB_BUFFER_SIZE", "1024".to_string()),
        ("LAB_TIMEOUT", "2".to_string()),
        ("LAB_MAX_CLIENTS", "64".to_string()),
    ]
}

/// How a read until end-of-stream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The peer closed its side (a 0-byte read).
    Eof,
    /// Nothing more arrived before the deadline.
    Timeout,
    /// The connection was reset.
    Reset,
}

/// Reads until the peer closes or `timeout` passes.
pub fn read_to_end(stream: &mut TcpStream, timeout: Duration) -> (Vec<u8>, End) {
    let until = Instant::now() + timeout;
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let now = Instant::now();
        if now >= until {
            return (data, End::Timeout);
        }
        let _ = stream.set_read_timeout(Some(until - now));
        match stream.read(&mut buf) {
            Ok(0) => return (data, End::Eof),
            Ok(n) => data.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return (data, End::Timeout)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return (data, End::Reset),
        }
    }
}

/// Reads one `\n`-terminated line (without the newline) from `stream`,
/// keeping any bytes after it in `pending`. `Err` carries what arrived.
pub fn read_line(
    stream: &mut TcpStream,
    pending: &mut Vec<u8>,
    timeout: Duration,
) -> Result<String, (Vec<u8>, End)> {
    let until = Instant::now() + timeout;
    let mut buf = [0u8; 4096];
    loop {
        if let Some(pos) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=pos).collect();
            let text = String::from_utf8_lossy(&line[..line.len() - 1]);
            return Ok(text.trim_end_matches('\r').to_string());
        }
        let now = Instant::now();
        if now >= until {
            return Err((pending.clone(), End::Timeout));
        }
        let _ = stream.set_read_timeout(Some(until - now));
        match stream.read(&mut buf) {
            Ok(0) => return Err((pending.clone(), End::Eof)),
            Ok(n) => pending.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err((pending.clone(), End::Timeout))
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return Err((pending.clone(), End::Reset)),
        }
    }
}

/// Accepts one connection on `listener` within `timeout`.
pub fn accept_within(listener: &TcpListener, timeout: Duration) -> Option<(TcpStream, SocketAddr)> {
    let until = Instant::now() + timeout;
    listener.set_nonblocking(true).ok()?;
    let accepted = loop {
        match listener.accept() {
            Ok(pair) => break Some(pair),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && Instant::now() < until => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break None,
        }
    };
    let _ = listener.set_nonblocking(false);
    let (stream, addr) = accepted?;
    stream.set_nonblocking(false).ok()?;
    Some((stream, addr))
}

/// A listener for the grader's fake servers, on a free loopback port.
pub fn fake_listener() -> io::Result<TcpListener> {
    let listener = TcpListener::bind((HOST, 0))?;
    note_grader_port(listener.local_addr()?.port());
    Ok(listener)
}

/// A loopback port where nothing listens right now.
pub fn closed_port() -> io::Result<u16> {
    let listener = TcpListener::bind((HOST, 0))?;
    let port = listener.local_addr()?.port();
    drop(listener);
    note_port(port);
    Ok(port)
}

/// Is `port` free to bind again (nothing listening on it)?
pub fn port_is_free(port: u16) -> bool {
    // std sets SO_REUSEADDR on Unix, so a TIME_WAIT left behind does not
    // count as busy; a socket still listening does.
    TcpListener::bind((HOST, port)).is_ok()
}

/// Shows bytes for a person: text in backticks, or escaped when not UTF-8.
pub fn show_bytes(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => format!(
            "`{}` ({} bytes)",
            truncate(&text.escape_debug().to_string(), 120),
            bytes.len()
        ),
        Err(_) => format!(
            "{} bytes, not UTF-8: {}",
            bytes.len(),
            truncate(&format!("{bytes:02x?}"), 120)
        ),
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    format!("{cut}…")
}

/// Quotes an argv for display the way a shell user would type it.
pub fn shell_words(argv: &[String]) -> String {
    shlex::try_join(argv.iter().map(String::as_str)).unwrap_or_else(|_| argv.join(" "))
}

/// Ports on which the process group `pgid` is listening (Linux only:
/// read from /proc). Used to tell "buffered output" from "never listened".
#[cfg(target_os = "linux")]
pub fn listening_ports_of(pgid: u32) -> Option<Vec<u16>> {
    use procfs::process::FDTarget;
    let mut inodes = std::collections::HashSet::new();
    let mut member = None;
    for process in procfs::process::all_processes().ok()?.flatten() {
        let Ok(stat) = process.stat() else { continue };
        if stat.pgrp != pgid as i32 {
            continue;
        }
        if let Ok(fds) = process.fd() {
            for fd in fds.flatten() {
                if let FDTarget::Socket(inode) = fd.target {
                    inodes.insert(inode);
                    member.get_or_insert(process.pid);
                }
            }
        }
    }
    // Trap: /proc/net/* shows the network namespace of our thread-group
    // leader, not of the check's thread (see crate::sandbox). Read the table
    // through a member of the group: it shows the program's namespace.
    let Some(pid) = member else {
        return Some(Vec::new());
    };
    let Ok(process) = procfs::process::Process::new(pid) else {
        return Some(Vec::new());
    };
    let mut entries = process.tcp().unwrap_or_default();
    entries.extend(process.tcp6().unwrap_or_default());
    let mut ports: Vec<u16> = entries
        .into_iter()
        .filter(|e| e.state == procfs::net::TcpState::Listen && inodes.contains(&e.inode))
        .map(|e| e.local_address.port())
        .collect();
    ports.sort_unstable();
    ports.dedup();
    // Wire evidence: a port the program really listens on is the check's,
    // whether or not the program announced it.
    ports.iter().copied().for_each(note_port);
    Some(ports)
}

#[cfg(not(target_os = "linux"))]
pub fn listening_ports_of(_pgid: u32) -> Option<Vec<u16>> {
    None
}

/// Resolves a program path relative to the submission folder: a relative
/// path with a separator ("./server", "bin/server") means "in DIR", but
/// `Command` would resolve it against our own working directory on some
/// systems.
pub fn resolve_program(dir: &Path, program: &str) -> PathBuf {
    let path = Path::new(program);
    if path.is_relative() && path.components().count() > 1 {
        dir.join(path)
    } else {
        path.to_path_buf()
    }
}

/// Per-role commands, split into argv.
pub type Commands = BTreeMap<Role, Vec<String>>;

/// Guards for machines without a network namespace per check (non-root,
/// macOS): the grader's fake servers and probes must talk only to the
/// program under test, not to a neighbour that grabbed a port or connects
/// to everything. A socket is matched to its owner through the kernel's
/// socket table (address → inode → the process holding it). When the owner
/// cannot be told (another user's process, the socket already closed), the
/// connection is allowed: a correct program is never refused.
mod guard {
    use std::net::SocketAddr;

    /// `Some(who)` when the connection from `peer` comes from a process
    /// outside `groups` (the check's process groups).
    pub fn foreign_peer(peer: SocketAddr, groups: &[u32]) -> Option<String> {
        // Off with a network namespace: nobody else can reach it.
        if !crate::sandbox::policy().has(crate::sandbox::Layer::ConnectionGuard) {
            return None;
        }
        owner_outside(|e| e.local == peer, groups)
    }

    /// `Some(who)` when the listener on `addr` belongs to a process outside
    /// `groups`.
    pub fn foreign_listener(addr: SocketAddr, groups: &[u32]) -> Option<String> {
        if !crate::sandbox::policy().has(crate::sandbox::Layer::ConnectionGuard) {
            return None;
        }
        owner_outside(|e| e.listening && e.local.port() == addr.port(), groups)
    }

    #[cfg(target_os = "linux")]
    struct Entry {
        local: SocketAddr,
        listening: bool,
        inode: u64,
    }

    #[cfg(target_os = "linux")]
    fn owner_outside(matches: impl Fn(&Entry) -> bool, groups: &[u32]) -> Option<String> {
        use procfs::process::FDTarget;
        let mut table = procfs::net::tcp().unwrap_or_default();
        table.extend(procfs::net::tcp6().unwrap_or_default());
        let inodes: Vec<u64> = table
            .into_iter()
            .map(|e| Entry {
                local: e.local_address,
                listening: e.state == procfs::net::TcpState::Listen,
                inode: e.inode,
            })
            .filter(|e| e.inode != 0 && matches(e))
            .map(|e| e.inode)
            .collect();
        if inodes.is_empty() {
            return None;
        }
        let mut stranger = None;
        for process in procfs::process::all_processes().ok()?.flatten() {
            let Ok(fds) = process.fd() else { continue };
            let holds = fds
                .flatten()
                .any(|fd| matches!(fd.target, FDTarget::Socket(i) if inodes.contains(&i)));
            if !holds {
                continue;
            }
            let pgrp = process.stat().map(|s| s.pgrp).unwrap_or(-1);
            if groups.iter().any(|g| *g as i32 == pgrp) {
                return None; // one of the check's programs holds it
            }
            stranger.get_or_insert(format!("pid {}", process.pid));
        }
        stranger
    }

    #[cfg(not(target_os = "linux"))]
    #[allow(dead_code)]
    struct Entry {
        local: SocketAddr,
        listening: bool,
    }

    #[cfg(not(target_os = "linux"))]
    fn owner_outside(_matches: impl Fn(&Entry) -> bool, _groups: &[u32]) -> Option<String> {
        None
    }

    #[cfg(all(test, target_os = "linux"))]
    mod tests {
        use super::*;
        use crate::process::{Child, Stream};
        use std::net::TcpListener;
        use std::time::Duration;

        #[test]
        fn a_connection_is_told_apart_by_the_process_that_made_it() {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let port = listener.local_addr().unwrap().port();
            let script = format!(
                "import socket, time; s = socket.create_connection(('127.0.0.1', {port})); print('in', flush=True); time.sleep(20)"
            );
            let mut cmd = std::process::Command::new("python3");
            cmd.arg("-c").arg(script);
            let child = Child::spawn(cmd, Duration::from_secs(30)).unwrap();
            let (_conn, peer) = listener.accept().unwrap();
            assert!(child
                .wait_line(Stream::Stdout, Duration::from_secs(10), |l| l == "in")
                .is_some());
            // The program under test: allowed.
            assert_eq!(owner_outside(|e| e.local == peer, &[child.pid()]), None);
            // Anyone else: named, so the fake server closes it.
            let stranger = owner_outside(|e| e.local == peer, &[]);
            assert!(stranger.is_some_and(|s| s.starts_with("pid ")));
            // Its listener, as a probe sees it: ours, not the program's.
            let addr = listener.local_addr().unwrap();
            assert!(owner_outside(
                |e| e.listening && e.local.port() == addr.port(),
                &[child.pid()]
            )
            .is_some());
        }
    }
}
