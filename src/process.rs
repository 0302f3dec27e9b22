//! Child processes that cannot outlive their welcome.
//!
//! Everything netlab launches — a submission under the grader, the reference
//! server under the trace, a binary under test — goes through [`Child`]:
//!
//! - it starts in a process group of its own (Unix), so a program that forks
//!   (a shell wrapper, `cargo run`, a Python server that spawns helpers) is
//!   stopped as a whole;
//! - it has a deadline: a watchdog kills the group when it passes, whatever
//!   the caller is doing;
//! - dropping the handle kills the group and reaps the child, so a failing
//!   test or an early return never leaves anything running;
//! - stdout and stderr are read by one thread per pipe into lines, each with
//!   the moment it arrived, and every wait for a line is bounded.
//!
//! Trap (see PITFALLS.md): a grandchild that inherits a pipe keeps it open
//! after the child exits, so "read until EOF" can hang. Never wait for EOF
//! without a bound; [`Child::wait_exit`] waits for the child, not the pipes.

use std::ffi::OsStr;
use std::io::{self, Read, Write};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

/// Which output stream of a child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// A signal a test or the grader may send, named after what a user does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT: what Ctrl+C sends.
    Interrupt,
    /// SIGTERM: what `kill PID` and service managers send.
    Terminate,
    /// SIGKILL: cannot be caught; the program gets no chance to clean up.
    Kill,
}

impl Signal {
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
            Signal::Kill => "SIGKILL",
        }
    }
}

/// One line of output and when it arrived (relative to the spawn).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub text: String,
    pub at: Duration,
}

/// What a reader thread has collected from one pipe.
#[derive(Debug, Default)]
struct Captured {
    /// The first [`KEEP_HEAD`] lines and the last [`KEEP_TAIL`]: a program
    /// that prints in a loop must not eat the grader's memory.
    head: Vec<Line>,
    tail: std::collections::VecDeque<Line>,
    /// Lines dropped between `head` and `tail`.
    dropped: usize,
    /// Bytes after the last newline (a prompt such as `Enter message: `).
    partial: Vec<u8>,
    closed: bool,
}

const KEEP_HEAD: usize = 1_000;
const KEEP_TAIL: usize = 4_000;
/// A "line" longer than this is cut into pieces.
const MAX_LINE: usize = 64 * 1024;

impl Captured {
    fn push(&mut self, line: Line) {
        if self.head.len() < KEEP_HEAD {
            self.head.push(line);
            return;
        }
        if self.tail.len() == KEEP_TAIL {
            self.tail.pop_front();
            self.dropped += 1;
        }
        self.tail.push_back(line);
    }

    fn lines(&self) -> impl Iterator<Item = &Line> {
        self.head.iter().chain(self.tail.iter())
    }
}

#[derive(Default)]
struct Pipe {
    state: Mutex<Captured>,
    changed: Condvar,
}

impl Pipe {
    fn lock(&self) -> MutexGuard<'_, Captured> {
        // A reader thread never panics while holding the lock, but do not let
        // a poisoned lock turn into a second panic in Drop.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Process groups of the children alive right now, for [`kill_all`].
static LIVE: Mutex<Vec<u32>> = Mutex::new(Vec::new());

fn live() -> MutexGuard<'static, Vec<u32>> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Kills every child (and its group) that this process started and has not
/// dropped yet. For a Ctrl+C handler: the children run in process groups of
/// their own, so the terminal's SIGINT does not reach them.
pub fn kill_all() {
    for pid in live().iter() {
        kill_group(*pid);
    }
}

/// A running child process with a deadline. Dropping it kills its group.
pub struct Child {
    child: std::process::Child,
    started: Instant,
    program: String,
    stdout: Arc<Pipe>,
    stderr: Arc<Pipe>,
    /// Dropping this sender tells the watchdog to stand down.
    watchdog: Option<mpsc::Sender<()>>,
    /// Set by the watchdog when it killed the child at its deadline.
    deadline_hit: Arc<std::sync::atomic::AtomicBool>,
    status: Option<ExitStatus>,
}

impl std::fmt::Debug for Child {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Child")
            .field("program", &self.program)
            .field("pid", &self.child.id())
            .finish()
    }
}

impl Child {
    /// Starts `cmd` with piped stdout/stderr and a null stdin, in its own
    /// process group, to be killed when `deadline` has passed.
    pub fn spawn(cmd: Command, deadline: Duration) -> io::Result<Child> {
        Child::spawn_with_stdin(cmd, deadline, false)
    }

    /// Like [`Child::spawn`]; with `piped_stdin` the caller can write to the
    /// child's standard input with [`Child::write_stdin`].
    pub fn spawn_with_stdin(
        mut cmd: Command,
        deadline: Duration,
        piped_stdin: bool,
    ) -> io::Result<Child> {
        let program = cmd.get_program().to_string_lossy().into_owned();
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        cmd.stdin(if piped_stdin {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        own_process_group(&mut cmd);
        let mut child = cmd.spawn()?;
        let started = Instant::now();
        let stdout = Arc::new(Pipe::default());
        let stderr = Arc::new(Pipe::default());
        if let Some(out) = child.stdout.take() {
            spawn_reader(out, Arc::clone(&stdout), started);
        }
        if let Some(err) = child.stderr.take() {
            spawn_reader(err, Arc::clone(&stderr), started);
        }
        let (tx, rx) = mpsc::channel::<()>();
        let pid = child.id();
        live().push(pid);
        let deadline_hit = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let hit = Arc::clone(&deadline_hit);
        thread::spawn(move || {
            // Timeout means the deadline passed with the handle still alive.
            if let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(deadline) {
                hit.store(true, std::sync::atomic::Ordering::SeqCst);
                kill_group(pid);
            }
        });
        Ok(Child {
            child,
            started,
            program,
            stdout,
            stderr,
            watchdog: Some(tx),
            deadline_hit,
            status: None,
        })
    }

    /// Like [`Child::spawn`], but with stdout on a pseudo-terminal (stderr
    /// still piped, stdin null). The grader uses it to prove that a program
    /// which prints nothing on a pipe does print on a terminal: its output
    /// is stuck in a buffer, not missing.
    ///
    /// Trap (PITFALLS.md): a terminal also makes isatty(stdout) true, so a
    /// program that behaves differently on a terminal will do so here.
    #[cfg(unix)]
    pub fn spawn_on_pty(mut cmd: Command, deadline: Duration) -> io::Result<Child> {
        let program = cmd.get_program().to_string_lossy().into_owned();
        let pty = nix::pty::openpty(None, None).map_err(io::Error::from)?;
        cmd.stdout(Stdio::from(pty.slave))
            .stderr(Stdio::piped())
            .stdin(Stdio::null());
        own_process_group(&mut cmd);
        let mut child = cmd.spawn()?;
        // Trap: our copy of the terminal's slave side lives in `cmd`; until it
        // is closed, reading the master never ends (no EIO at the child's exit).
        drop(cmd);
        let started = Instant::now();
        let stdout = Arc::new(Pipe::default());
        let stderr = Arc::new(Pipe::default());
        // Reading the master fails with EIO once every slave is closed: the
        // reader takes that as the end of output.
        spawn_reader(
            std::fs::File::from(pty.master),
            Arc::clone(&stdout),
            started,
        );
        if let Some(err) = child.stderr.take() {
            spawn_reader(err, Arc::clone(&stderr), started);
        }
        let (tx, rx) = mpsc::channel::<()>();
        let pid = child.id();
        live().push(pid);
        let deadline_hit = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let hit = Arc::clone(&deadline_hit);
        thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(deadline) {
                hit.store(true, std::sync::atomic::Ordering::SeqCst);
                kill_group(pid);
            }
        });
        Ok(Child {
            child,
            started,
            program,
            stdout,
            stderr,
            watchdog: Some(tx),
            deadline_hit,
            status: None,
        })
    }

    /// The child's process id (also its process group id on Unix).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Did the watchdog kill the child because its deadline passed?
    pub fn hit_deadline(&self) -> bool {
        self.deadline_hit.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The program this child runs, as given to [`Command::new`].
    pub fn program(&self) -> &str {
        &self.program
    }

    /// Time since the child was started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    fn pipe(&self, stream: Stream) -> &Pipe {
        match stream {
            Stream::Stdout => &self.stdout,
            Stream::Stderr => &self.stderr,
        }
    }

    /// Waits up to `timeout` for a complete line on `stream` that satisfies
    /// `pred`, and returns the first such line (searching all lines so far).
    pub fn wait_line(
        &self,
        stream: Stream,
        timeout: Duration,
        mut pred: impl FnMut(&str) -> bool,
    ) -> Option<String> {
        let pipe = self.pipe(stream);
        let until = Instant::now() + timeout;
        let mut state = pipe.lock();
        loop {
            if let Some(line) = state.lines().find(|l| pred(&l.text)) {
                return Some(line.text.clone());
            }
            let now = Instant::now();
            if state.closed || now >= until {
                return None;
            }
            state = pipe
                .changed
                .wait_timeout(state, until - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Waits up to `timeout` for the partial (unterminated) output of
    /// `stream` to contain `needle` — for prompts printed without a newline.
    pub fn wait_text(&self, stream: Stream, timeout: Duration, needle: &str) -> bool {
        let pipe = self.pipe(stream);
        let until = Instant::now() + timeout;
        let mut state = pipe.lock();
        loop {
            if text_of(&state).contains(needle) {
                return true;
            }
            let now = Instant::now();
            if state.closed || now >= until {
                return false;
            }
            state = pipe
                .changed
                .wait_timeout(state, until - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// All complete lines seen so far on `stream`.
    pub fn lines(&self, stream: Stream) -> Vec<String> {
        self.pipe(stream)
            .lock()
            .lines()
            .map(|l| l.text.clone())
            .collect()
    }

    /// All complete lines so far with their arrival times.
    pub fn timed_lines(&self, stream: Stream) -> Vec<Line> {
        self.pipe(stream).lock().lines().cloned().collect()
    }

    /// Everything seen on `stream`, including an unterminated last line.
    pub fn text(&self, stream: Stream) -> String {
        text_of(&self.pipe(stream).lock())
    }

    /// Writes to the child's stdin (spawned with `piped_stdin`).
    pub fn write_stdin(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self.child.stdin.as_mut() {
            Some(stdin) => {
                stdin.write_all(bytes)?;
                stdin.flush()
            }
            None => Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "stdin is not piped or already closed",
            )),
        }
    }

    /// Closes the child's stdin: the child reads end of input.
    pub fn close_stdin(&mut self) {
        self.child.stdin.take();
    }

    /// Has the child exited? Returns its status without blocking.
    pub fn try_status(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = peek_status(&mut self.child);
            if self.status.is_some() {
                // Just exited: let the readers take in its last words, so
                // whoever looks next sees the whole output (bounded: a
                // grandchild may hold the pipes open).
                self.wait_closed(Duration::from_millis(500));
            }
        }
        self.status
    }

    /// Waits up to `timeout` for the child to exit. `None`: still running.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let until = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_status() {
                return Some(status);
            }
            if Instant::now() >= until {
                return None;
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits up to `timeout` for both pipes to reach end of file.
    fn wait_closed(&self, timeout: Duration) {
        let until = Instant::now() + timeout;
        for pipe in [&self.stdout, &self.stderr] {
            let mut state = pipe.lock();
            while !state.closed {
                let now = Instant::now();
                if now >= until {
                    return;
                }
                state = pipe
                    .changed
                    .wait_timeout(state, until - now)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
        }
    }

    /// Sends `signal` to the child's whole process group, as a terminal does
    /// for Ctrl+C. On systems without signals, every signal kills the child.
    pub fn signal(&mut self, signal: Signal) -> io::Result<()> {
        #[cfg(unix)]
        {
            use nix::sys::signal::{killpg, Signal as S};
            use nix::unistd::Pid;
            let sig = match signal {
                Signal::Interrupt => S::SIGINT,
                Signal::Terminate => S::SIGTERM,
                Signal::Kill => S::SIGKILL,
            };
            killpg(Pid::from_raw(self.child.id() as i32), sig).map_err(io::Error::from)
        }
        #[cfg(not(unix))]
        {
            let _ = signal;
            self.child.kill()
        }
    }

    /// Kills the whole group now and reaps the child.
    pub fn kill(&mut self) -> Option<ExitStatus> {
        kill_group(self.child.id());
        let _ = self.child.kill();
        let status = self.child.wait().ok();
        if self.status.is_none() {
            self.status = status;
        }
        self.wait_closed(Duration::from_millis(200));
        self.status
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        // Kill the group even if the leader already exited: a grandchild may
        // still be running and holding our pipes or a port.
        kill_group(self.child.id());
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.watchdog.take();
        let pid = self.child.id();
        live().retain(|p| *p != pid);
    }
}

/// The child's exit status if it has exited, *without* reaping it on Linux.
///
/// Trap: once a child is reaped, its pid (and so its process group id) may
/// be given to a new process, and the `killpg` in Drop could then hit a
/// stranger — another check's program. Left a zombie until Drop, the pid
/// stays ours. (pid_max can be as low as 32768.)
#[cfg(target_os = "linux")]
fn peek_status(child: &mut std::process::Child) -> Option<ExitStatus> {
    use nix::sys::wait::{waitid, Id, WaitPidFlag, WaitStatus};
    use nix::unistd::Pid;
    use std::os::unix::process::ExitStatusExt;
    let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
    match waitid(Id::Pid(Pid::from_raw(child.id() as i32)), flags) {
        Ok(WaitStatus::Exited(_, code)) => Some(ExitStatus::from_raw(code << 8)),
        Ok(WaitStatus::Signaled(_, signal, core)) => Some(ExitStatus::from_raw(
            signal as i32 | if core { 0x80 } else { 0 },
        )),
        Ok(_) => None,
        // Already reaped (by kill()): ask std, which remembers the status.
        Err(_) => child.try_wait().ok().flatten(),
    }
}

#[cfg(not(target_os = "linux"))]
fn peek_status(child: &mut std::process::Child) -> Option<ExitStatus> {
    child.try_wait().ok().flatten()
}

fn text_of(state: &Captured) -> String {
    let mut text = String::new();
    for (i, line) in state.lines().enumerate() {
        if i == KEEP_HEAD && state.dropped > 0 {
            text.push_str(&format!("… ({} lines not kept) …\n", state.dropped));
        }
        text.push_str(&line.text);
        text.push('\n');
    }
    text.push_str(&String::from_utf8_lossy(&state.partial));
    text
}

fn spawn_reader(mut source: impl Read + Send + 'static, pipe: Arc<Pipe>, started: Instant) {
    thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            let n = match source.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let mut state = pipe.lock();
            let at = started.elapsed();
            for &byte in &buf[..n] {
                if byte == b'\n' || state.partial.len() >= MAX_LINE {
                    let mut raw = std::mem::take(&mut state.partial);
                    if raw.last() == Some(&b'\r') {
                        raw.pop(); // Windows line endings
                    }
                    let text = String::from_utf8_lossy(&raw).into_owned();
                    state.push(Line { text, at });
                    if byte != b'\n' {
                        state.partial.push(byte);
                    }
                } else {
                    state.partial.push(byte);
                }
            }
            pipe.changed.notify_all();
        }
        pipe.lock().closed = true;
        pipe.changed.notify_all();
    });
}

#[cfg(unix)]
fn own_process_group(cmd: &mut Command) {
    use nix::sys::signal::{signal, SigHandler, Signal as S};
    use std::os::unix::process::CommandExt;
    cmd.process_group(0);
    // SAFETY: only async-signal-safe calls (sigaction, prctl) run between
    // fork and exec, and they touch no memory of ours.
    unsafe {
        cmd.pre_exec(|| {
            // Trap: an ignored signal stays ignored across exec. Started from
            // a background job (`cmd &`, nohup, some CI runners) we may have
            // SIGINT ignored, and Python, for one, then never raises
            // KeyboardInterrupt. Give the program the dispositions a terminal
            // would: the default ones.
            for sig in [S::SIGINT, S::SIGTERM, S::SIGQUIT, S::SIGHUP] {
                signal(sig, SigHandler::SigDfl).map_err(io::Error::from)?;
            }
            // Trap: a child in its own group is not reached when a test
            // runner kills our group on timeout. Ask the kernel to SIGKILL it
            // when the thread that spawned it dies, so it cannot outlive us.
            #[cfg(target_os = "linux")]
            nix::sys::prctl::set_pdeathsig(S::SIGKILL).map_err(io::Error::from)?;
            Ok(())
        });
    }
}

#[cfg(not(unix))]
fn own_process_group(_cmd: &mut Command) {}

#[cfg(unix)]
fn kill_group(pid: u32) {
    use nix::sys::signal::{killpg, Signal as S};
    use nix::unistd::Pid;
    let _ = killpg(Pid::from_raw(pid as i32), S::SIGKILL);
}

#[cfg(not(unix))]
fn kill_group(_pid: u32) {}

/// Builds a [`Command`] from an argv list (program first).
pub fn command<S: AsRef<OsStr>>(argv: &[S]) -> Option<Command> {
    let (program, args) = argv.split_first()?;
    let mut cmd = Command::new(program);
    cmd.args(args);
    Some(cmd)
}

/// Builds a [`Command`] from a command line split as a POSIX shell would,
/// to be started in `dir`. `None` if the line is empty or badly quoted.
pub fn command_line(line: &str, dir: &Path) -> Option<Command> {
    let argv = shlex::split(line)?;
    let mut cmd = command(&argv)?;
    cmd.current_dir(dir);
    Some(cmd)
}

/// Describes an exit status for a person: `exit 0`, `exit 1`,
/// `killed by SIGSEGV (signal 11)`.
pub fn describe_status(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exit {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            let name = nix::sys::signal::Signal::try_from(sig)
                .map(|s| s.as_str().to_string())
                .unwrap_or_else(|_| "signal".to_string());
            return format!("killed by {name} (signal {sig})");
        }
    }
    status.to_string()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(script);
        cmd
    }

    #[test]
    fn lines_are_collected_with_a_bounded_wait() {
        let mut child = Child::spawn(
            sh("echo one; echo two >&2; printf 'prompt: '"),
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(
            child.wait_line(Stream::Stdout, Duration::from_secs(5), |l| l == "one"),
            Some("one".to_string())
        );
        assert!(child.wait_text(Stream::Stdout, Duration::from_secs(5), "prompt: "));
        let status = child.wait_exit(Duration::from_secs(5)).expect("sh exits");
        assert!(status.success());
        assert_eq!(child.lines(Stream::Stderr), vec!["two"]);
        assert_eq!(
            child.wait_line(Stream::Stdout, Duration::from_millis(50), |l| l == "never"),
            None
        );
    }

    #[test]
    fn children_start_with_default_signal_dispositions() {
        // Even if we were started with SIGINT ignored (a background job),
        // the child must see it at its default, as from a terminal.
        let script = "grep -E '^SigIgn' /proc/self/status";
        let mut child = Child::spawn(sh(script), Duration::from_secs(10)).unwrap();
        assert!(child.wait_exit(Duration::from_secs(5)).is_some());
        let line = child.lines(Stream::Stdout).join("");
        if let Some(mask) = line.split_whitespace().nth(1) {
            let mask = u64::from_str_radix(mask, 16).unwrap();
            assert_eq!(mask & 0b1111, 0, "SIGHUP/SIGINT/SIGQUIT ignored: {line}");
        }
    }

    #[test]
    fn a_flood_of_output_is_kept_bounded() {
        let mut child = Child::spawn(sh("seq 20000"), Duration::from_secs(20)).unwrap();
        assert!(child.wait_exit(Duration::from_secs(10)).is_some());
        let lines = child.lines(Stream::Stdout);
        assert_eq!(lines.len(), KEEP_HEAD + KEEP_TAIL);
        assert_eq!(lines.first().map(String::as_str), Some("1"));
        assert_eq!(lines.last().map(String::as_str), Some("20000"));
        assert!(child
            .text(Stream::Stdout)
            .contains("(15000 lines not kept)"));
    }

    #[test]
    fn the_deadline_kills_a_child_that_hangs() {
        let mut child = Child::spawn(sh("sleep 30"), Duration::from_millis(200)).unwrap();
        let status = child
            .wait_exit(Duration::from_secs(5))
            .expect("killed by the watchdog");
        assert_eq!(describe_status(status), "killed by SIGKILL (signal 9)");
    }

    #[test]
    fn drop_kills_the_whole_group_including_grandchildren() {
        let child = Child::spawn(sh("sleep 30 & echo $!; wait"), Duration::from_secs(30)).unwrap();
        let grandchild: i32 = child
            .wait_line(Stream::Stdout, Duration::from_secs(5), |_| true)
            .expect("pid line")
            .parse()
            .unwrap();
        drop(child);
        let pid = nix::unistd::Pid::from_raw(grandchild);
        let until = Instant::now() + Duration::from_secs(5);
        // kill(pid, 0) fails once the grandchild is gone (it is reaped by init).
        while nix::sys::signal::kill(pid, None).is_ok() && Instant::now() < until {
            thread::sleep(Duration::from_millis(10));
        }
        assert!(
            nix::sys::signal::kill(pid, None).is_err(),
            "grandchild survived"
        );
    }

    #[test]
    fn on_a_pty_stdout_is_a_terminal() {
        let mut child = Child::spawn_on_pty(
            sh("if [ -t 1 ]; then echo tty; else echo pipe; fi"),
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(
            child.wait_line(Stream::Stdout, Duration::from_secs(5), |_| true),
            Some("tty".to_string())
        );
        assert!(child.wait_exit(Duration::from_secs(5)).is_some());
    }

    #[test]
    fn command_lines_split_like_a_shell() {
        let cmd = command_line("python3 'my server.py' --x", Path::new(".")).unwrap();
        assert_eq!(cmd.get_program(), "python3");
        let args: Vec<_> = cmd.get_args().collect();
        assert_eq!(args, ["my server.py", "--x"]);
        assert!(command_line("", Path::new(".")).is_none());
        assert!(command_line("'unclosed", Path::new(".")).is_none());
    }
}
