//! Child processes that cannot outlive their welcome.
//!
//! Everything netlab launches — a submission under the grader, the reference
//! server under the trace, a binary under test — goes through [`Child`]:
//!
//! - it starts in a process group of its own (Unix), so a program that forks
//!   (a shell wrapper, `cargo run`, a Python server that spawns helpers) is
//!   stopped as a whole;
//! - it has a deadline: a watchdog kills the group when it passes, whatever
//!   the caller is doing (one thread keeps every child's deadline);
//! - dropping the handle kills the group and reaps the child, so a failing
//!   test or an early return never leaves anything running;
//! - stdout and stderr are read by one thread per pipe into lines, each with
//!   the moment it arrived, and every wait for a line is bounded;
//! - output is kept by bytes with a cap (the first and last MiB of lines per
//!   stream; the middle is counted, [`Child::bytes_seen`]), waits look at
//!   each line once, and bytes that are not UTF-8 stay visible as `\xNN`;
//!   past 8 MiB a stream is read at 4 MiB/s: a program that floods its
//!   output cannot eat the grader's memory or CPU.
//!
//! Trap (see PITFALLS.md): a grandchild that inherits a pipe keeps it open
//! after the child exits, so "read until EOF" can hang. Never wait for EOF
//! without a bound; [`Child::wait_exit`] waits for the child, not the pipes.

use std::borrow::Cow;
use std::ffi::OsStr;
use std::io::{self, Read, Write};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
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
///
/// `text` is the line without its `\n` (and without a `\r` before it). Bytes
/// that are not UTF-8 are shown as `\xNN` escapes, never silently replaced,
/// so a line of raw bytes stays visible in a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub text: String,
    pub at: Duration,
}

/// Bytes of complete lines kept from the start of a stream.
const KEEP_HEAD_BYTES: usize = 1024 * 1024;
/// Bytes of complete lines kept from the end of a stream (a ring).
const KEEP_TAIL_BYTES: usize = 1024 * 1024;
/// What one kept line costs besides its text: a flood of empty lines must
/// be bounded too, not only a flood of long ones.
const LINE_OVERHEAD: usize = 64;
/// A "line" longer than this is cut into pieces.
const MAX_LINE: usize = 64 * 1024;
/// Bytes of a stream read as fast as they come; after these, at most
/// [`SLOW_RATE`] bytes a second (see [`Captured::nap_after`]).
pub const FULL_SPEED_BYTES: u64 = 8 * 1024 * 1024;
/// How fast a flood is read: a program that writes faster blocks on its
/// full pipe, as it would on a slow terminal.
pub const SLOW_RATE: u64 = 4 * 1024 * 1024;

/// What a reader thread has collected from one pipe.
///
/// Memory is bounded by bytes, whatever the program prints: about
/// [`KEEP_HEAD_BYTES`] of the first complete lines, [`KEEP_TAIL_BYTES`] of
/// the last ones, and at most [`MAX_LINE`] of an unterminated line. What
/// falls between head and tail is counted, not kept.
///
/// The tail keeps the bytes as they came and makes text of a line only
/// when someone asks: the middle of a flood passes through it, and making
/// a `Line` (two allocations, a UTF-8 check) of every line that was then
/// dropped took a flooded grader's CPU from 2.5 s to 54 s (hostile round 22).
///
/// Every complete line gets a sequence number (0, 1, 2... over the whole
/// stream); waiters keep a cursor, the next number they have not looked at,
/// so each line is examined once per wait however often the waiter wakes.
/// (Re-scanning everything on every wake-up was quadratic: a flood of
/// output turned one wait into minutes of CPU.)
#[derive(Debug, Default)]
struct Captured {
    /// The first lines, sequence numbers `0..head.len()`.
    head: Vec<Line>,
    head_cost: usize,
    /// The last lines' bytes, back to back (no newlines; a line that did
    /// not fit in the head as text is here as that text: [`visible`] leaves
    /// its own output as it is). `tail_bytes[0]` is byte `tail_base` of the
    /// stream of tail bytes; the first kept line starts at `tail_first`
    /// (what lies before it was dropped, and is cut off now and then).
    tail_bytes: Vec<u8>,
    tail_base: u64,
    tail_first: u64,
    /// Where each kept tail line ends; the back one has sequence number
    /// `total_lines - 1`.
    tail: std::collections::VecDeque<TailLine>,
    tail_cost: usize,
    /// Complete lines seen so far, kept or not.
    total_lines: u64,
    /// Lines (and their bytes, newline included) dropped between head and tail.
    dropped_lines: u64,
    dropped_bytes: u64,
    /// Every byte read from the pipe, kept or not: what names a flood.
    bytes_seen: u64,
    /// Bytes after the last newline (a prompt such as `Enter message: `).
    partial: Vec<u8>,
    closed: bool,
    /// Until when the reader reads at full speed whatever it has seen: the
    /// program has ended and its last words are wanted (`Child::wait_closed`).
    hurry_until: Option<Instant>,
}

/// One line of the tail: where its bytes end in the stream of tail bytes
/// (it starts where the one before it ends), its length on the pipe
/// (newline and `\r` included), and when it arrived.
#[derive(Debug)]
struct TailLine {
    end: u64,
    raw_len: usize,
    at: Duration,
}

fn cost(text_len: usize) -> usize {
    text_len + LINE_OVERHEAD
}

impl Captured {
    /// Files one complete line, `first` then `second` (a line may begin in
    /// an earlier read), without its newline.
    fn push(&mut self, first: &[u8], second: &[u8], raw_len: usize, at: Duration) {
        self.total_lines += 1;
        let mut len = first.len() + second.len();
        let cr = len > 0 && second.last().or(first.last()) == Some(&b'\r');
        len -= usize::from(cr); // Windows line endings
        if self.tail.is_empty() && self.head_cost + cost(len) <= KEEP_HEAD_BYTES {
            let mut raw = Vec::with_capacity(len + 1);
            raw.extend_from_slice(first);
            raw.extend_from_slice(second);
            raw.truncate(len);
            let text = visible(raw);
            if self.head_cost + cost(text.len()) <= KEEP_HEAD_BYTES {
                self.head_cost += cost(text.len());
                self.head.push(Line { text, at });
                return;
            }
            // Escapes made it too long for the head: its text goes on.
            self.push_tail(text.as_bytes(), &[], raw_len, at);
            return;
        }
        let (first, second) = if second.len() >= usize::from(cr) {
            (first, &second[..second.len() - usize::from(cr)])
        } else {
            (&first[..first.len() - 1], second)
        };
        self.push_tail(first, second, raw_len, at);
    }

    fn push_tail(&mut self, first: &[u8], second: &[u8], raw_len: usize, at: Duration) {
        self.tail_bytes.extend_from_slice(first);
        self.tail_bytes.extend_from_slice(second);
        let end = self.tail_base + self.tail_bytes.len() as u64;
        let start = self.tail.back().map_or(self.tail_first, |l| l.end);
        self.tail_cost += cost((end - start) as usize);
        self.tail.push_back(TailLine { end, raw_len, at });
        // The newest line always stays, even alone over the budget.
        while self.tail_cost > KEEP_TAIL_BYTES && self.tail.len() > 1 {
            if let Some(old) = self.tail.pop_front() {
                self.tail_cost -= cost((old.end - self.tail_first) as usize);
                self.tail_first = old.end;
                self.dropped_lines += 1;
                self.dropped_bytes += old.raw_len as u64;
            }
        }
        // Cut off the dropped bytes once they are as many as the kept
        // budget: each byte is moved at most once.
        let dead = (self.tail_first - self.tail_base) as usize;
        if dead > KEEP_TAIL_BYTES {
            self.tail_bytes.drain(..dead);
            self.tail_base = self.tail_first;
        }
    }

    /// Sequence number of the first line in `tail`.
    fn tail_start(&self) -> u64 {
        self.total_lines - self.tail.len() as u64
    }

    /// The text of the tail bytes from `start` to `end`.
    fn tail_text(&self, start: u64, end: u64) -> Cow<'_, str> {
        let bytes =
            &self.tail_bytes[(start - self.tail_base) as usize..(end - self.tail_base) as usize];
        match std::str::from_utf8(bytes) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => Cow::Owned(visible(bytes.to_vec())),
        }
    }

    /// The tail's lines after the first `skip`, as text with their times.
    fn tail_lines(&self, skip: usize) -> impl Iterator<Item = (Cow<'_, str>, Duration)> {
        let mut start = match skip.checked_sub(1) {
            Some(before) => self.tail.get(before).map_or(self.tail_first, |l| l.end),
            None => self.tail_first,
        };
        self.tail.iter().skip(skip).map(move |line| {
            let text = self.tail_text(start, line.end);
            start = line.end;
            (text, line.at)
        })
    }

    /// Every kept line, as text with its time.
    fn lines(&self) -> impl Iterator<Item = (Cow<'_, str>, Duration)> {
        self.lines_from(0).0
    }

    /// The kept lines with sequence number `>= from`, and the cursor to use
    /// next time. Lines dropped before the caller saw them are skipped.
    fn lines_from(&self, from: u64) -> (impl Iterator<Item = (Cow<'_, str>, Duration)>, u64) {
        let head_len = self.head.len() as u64;
        let head_skip = from.min(head_len) as usize;
        let tail_skip = from
            .saturating_sub(self.tail_start())
            .min(self.tail.len() as u64) as usize;
        let lines = self.head[head_skip..]
            .iter()
            .map(|line| (Cow::Borrowed(line.text.as_str()), line.at))
            .chain(self.tail_lines(tail_skip));
        (lines, self.total_lines)
    }

    /// How long the reader pauses after a read of `n` bytes. Reading a
    /// flood costs the grader's CPU byte for byte (about 4 ms a MB: the
    /// pipe's copy, the search for newlines), outside every limit of the
    /// program's: 12 processes writing lines as fast as they could took it
    /// from 2.5 s to 54 s in a class run (hostile round 22). So past
    /// [`FULL_SPEED_BYTES`] a stream is read at [`SLOW_RATE`]: the flood
    /// slows itself, its writers blocked on a full pipe, and is still named
    /// by its size.
    fn nap_after(&self, n: usize) -> Duration {
        let hurried = self.hurry_until.is_some_and(|until| Instant::now() < until);
        if self.bytes_seen <= FULL_SPEED_BYTES || hurried {
            return Duration::ZERO;
        }
        Duration::from_nanos(n as u64 * 1_000_000_000 / SLOW_RATE)
    }

    /// Takes in one chunk read from the pipe.
    fn take_in(&mut self, mut bytes: &[u8], at: Duration) {
        self.bytes_seen += bytes.len() as u64;
        while !bytes.is_empty() {
            let room = MAX_LINE - self.partial.len();
            // memchr: this runs over every byte of a flood.
            let newline = memchr::memchr(b'\n', &bytes[..room.min(bytes.len())]);
            let line = match newline {
                Some(pos) => {
                    let line = &bytes[..pos];
                    bytes = &bytes[pos + 1..];
                    line
                }
                None if bytes.len() < room => {
                    self.partial.extend_from_slice(bytes);
                    return;
                }
                None => {
                    // A line longer than MAX_LINE: cut it here.
                    let line = &bytes[..room];
                    bytes = &bytes[room..];
                    line
                }
            };
            let partial = std::mem::take(&mut self.partial);
            // What the line took on the pipe, its newline included if any.
            let raw_len = partial.len() + line.len() + usize::from(newline.is_some());
            self.push(&partial, line, raw_len, at);
            // Its room serves the next unterminated line.
            self.partial = partial;
            self.partial.clear();
        }
    }
}

/// `raw` as text, with every byte that is not UTF-8 written `\xNN`.
fn visible(raw: Vec<u8>) -> String {
    let raw = match String::from_utf8(raw) {
        Ok(text) => return text,
        Err(e) => e.into_bytes(),
    };
    // Written for speed even unoptimised: a flood of raw bytes comes here.
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(raw.len() * 2);
    let mut rest = &raw[..];
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                out.extend_from_slice(valid.as_bytes());
                break;
            }
            Err(e) => {
                let (valid, after) = rest.split_at(e.valid_up_to());
                out.extend_from_slice(valid);
                let bad = e.error_len().unwrap_or(after.len());
                for &byte in &after[..bad] {
                    let escape = [
                        b'\\',
                        b'x',
                        HEX[usize::from(byte >> 4)],
                        HEX[usize::from(byte & 0xF)],
                    ];
                    out.extend_from_slice(&escape);
                }
                rest = &after[bad..];
            }
        }
    }
    // Only valid UTF-8 and ASCII escapes went in.
    String::from_utf8(out).unwrap_or_default()
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

/// The pids of the children started and not dropped yet.
pub fn live_pids() -> Vec<u32> {
    live().clone()
}

/// Kills every child (and its group) that this process started and has not
/// dropped yet. For a Ctrl+C handler: the children run in process groups of
/// their own, so the terminal's SIGINT does not reach them.
pub fn kill_all() {
    for pid in live().iter() {
        kill_group(*pid);
    }
}

/// Whether a child on a pseudo-terminal reads its stdin there too.
#[cfg(unix)]
#[derive(Clone, Copy)]
enum Keyboard {
    /// stdin is null: only its output goes to the terminal.
    None,
    /// stdin is the terminal: the grader types.
    Typed,
}

/// A running child process with a deadline. Dropping it kills its group.
pub struct Child {
    child: std::process::Child,
    started: Instant,
    program: String,
    stdout: Arc<Pipe>,
    stderr: Arc<Pipe>,
    /// Dropping this tells the watchdog to stand down.
    watchdog: Option<Deadline>,
    /// Set by the watchdog when it killed the child at its deadline.
    deadline_hit: Arc<std::sync::atomic::AtomicBool>,
    status: Option<ExitStatus>,
    /// Reaped by [`Child::kill`]: its pid may already belong to another
    /// process (group), so nothing signals it any more.
    reaped: bool,
    /// The sandbox of this process tree, torn down in Drop.
    confinement: Option<crate::sandbox::Confinement>,
    /// The keyboard of a child started on a terminal with
    /// [`Child::spawn_on_terminal`]: what is written here, it reads.
    terminal: Option<std::fs::File>,
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
        cmd: Command,
        deadline: Duration,
        piped_stdin: bool,
    ) -> io::Result<Child> {
        Child::spawn_confined(cmd, deadline, piped_stdin, None)
    }

    /// Like [`Child::spawn_with_stdin`], inside `confinement` (the sandbox
    /// for untrusted programs, see [`crate::sandbox`]), which makes the
    /// program's session too. Dropping the child also ends whatever of its
    /// tree the sandbox still finds (detached daemons included).
    pub fn spawn_confined(
        cmd: Command,
        deadline: Duration,
        piped_stdin: bool,
        mut confinement: Option<crate::sandbox::Confinement>,
    ) -> io::Result<Child> {
        let program = cmd.get_program().to_string_lossy().into_owned();
        let mut cmd = prepare(cmd, confinement.as_mut())?;
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        cmd.stdin(if piped_stdin {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let mut child = start(cmd, confinement.as_mut())?;
        let started = Instant::now();
        let stdout = Arc::new(Pipe::default());
        let stderr = Arc::new(Pipe::default());
        if let Some(out) = child.stdout.take() {
            spawn_reader(out, Arc::clone(&stdout), started);
        }
        if let Some(err) = child.stderr.take() {
            spawn_reader(err, Arc::clone(&stderr), started);
        }
        let pid = child.id();
        live().push(pid);
        let deadline_hit = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let tx = Deadline::keep(pid, started, deadline, Arc::clone(&deadline_hit));
        Ok(Child {
            child,
            started,
            program,
            stdout,
            stderr,
            watchdog: Some(tx),
            deadline_hit,
            status: None,
            reaped: false,
            confinement,
            terminal: None,
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
    pub fn spawn_on_pty(
        cmd: Command,
        deadline: Duration,
        confinement: Option<crate::sandbox::Confinement>,
    ) -> io::Result<Child> {
        Child::start_on_pty(cmd, deadline, confinement, Keyboard::None)
    }

    /// Like [`Child::spawn_on_pty`], with stdin on the terminal too: what
    /// [`Child::write_stdin`] writes is typed (not echoed back), and
    /// [`Child::close_stdin`] types Ctrl+D. As a user at a terminal sees
    /// it: a prompt held in a buffer shows only when a newline follows.
    #[cfg(unix)]
    pub fn spawn_on_terminal(
        cmd: Command,
        deadline: Duration,
        confinement: Option<crate::sandbox::Confinement>,
    ) -> io::Result<Child> {
        Child::start_on_pty(cmd, deadline, confinement, Keyboard::Typed)
    }

    #[cfg(unix)]
    fn start_on_pty(
        cmd: Command,
        deadline: Duration,
        mut confinement: Option<crate::sandbox::Confinement>,
        keyboard: Keyboard,
    ) -> io::Result<Child> {
        let program = cmd.get_program().to_string_lossy().into_owned();
        let pty = nix::pty::openpty(None, None).map_err(io::Error::from)?;
        let mut cmd = prepare(cmd, confinement.as_mut())?;
        let stdin = match keyboard {
            Keyboard::None => Stdio::null(),
            Keyboard::Typed => {
                // What is typed is not echoed into the output the checks
                // read: only the program's own words are.
                use nix::sys::termios::{tcgetattr, tcsetattr, LocalFlags, SetArg};
                let mut mode = tcgetattr(&pty.slave).map_err(io::Error::from)?;
                mode.local_flags.remove(LocalFlags::ECHO);
                tcsetattr(&pty.slave, SetArg::TCSANOW, &mode).map_err(io::Error::from)?;
                Stdio::from(pty.slave.try_clone()?)
            }
        };
        // stderr stays a pipe of its own, for the checks' diagnoses (a
        // traceback). Trap: Python's input() at a terminal writes its
        // prompt there (without the readline module): a check that looks
        // for a prompt looks at both streams.
        cmd.stdout(Stdio::from(pty.slave))
            .stderr(Stdio::piped())
            .stdin(stdin);
        // Trap: our copy of the terminal's slave side lives in `cmd`; until it
        // is closed, reading the master never ends (no EIO at the child's exit).
        let mut child = start(cmd, confinement.as_mut())?;
        let started = Instant::now();
        let stdout = Arc::new(Pipe::default());
        let stderr = Arc::new(Pipe::default());
        // Reading the master fails with EIO once every slave is closed: the
        // reader takes that as the end of output.
        let master = std::fs::File::from(pty.master);
        let terminal = match keyboard {
            Keyboard::None => None,
            Keyboard::Typed => Some(master.try_clone()?),
        };
        spawn_reader(master, Arc::clone(&stdout), started);
        if let Some(err) = child.stderr.take() {
            spawn_reader(err, Arc::clone(&stderr), started);
        }
        let pid = child.id();
        live().push(pid);
        let deadline_hit = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let tx = Deadline::keep(pid, started, deadline, Arc::clone(&deadline_hit));
        Ok(Child {
            child,
            started,
            program,
            stdout,
            stderr,
            watchdog: Some(tx),
            deadline_hit,
            status: None,
            reaped: false,
            confinement,
            terminal,
        })
    }

    /// Its tripwire (see [`crate::sandbox::Tripwire`]), if it started with
    /// one.
    pub fn tripwire(&self) -> Option<&crate::sandbox::Tripwire> {
        self.confinement.as_ref()?.tripwire()
    }

    /// What the sandbox measured of this child's tree (peak memory, limit
    /// hits); `None` when it was not started confined.
    pub fn usage(&self) -> Option<crate::sandbox::Usage> {
        self.confinement.as_ref().map(|c| c.usage())
    }

    /// Has the child's whole process tree ended? Known only for one run in
    /// a pid namespace of its own, which ends with its leader; elsewhere a
    /// member may outlive the leader, and this says `false`.
    pub fn tree_ended(&mut self) -> bool {
        self.confinement
            .as_ref()
            .is_some_and(|c| c.ends_with_leader())
            && self.try_status().is_some()
    }

    /// The child's process id (also its process group id on Unix). Started
    /// confined in a pid namespace, it is the id of netlab's waiter above
    /// the program; the program is in the same process group.
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
    /// Returns `None` at once when the stream is closed (end of file) and no
    /// line matched: a caller that loops on it must not spin.
    pub fn wait_line(
        &self,
        stream: Stream,
        timeout: Duration,
        mut pred: impl FnMut(&str) -> bool,
    ) -> Option<String> {
        let pipe = self.pipe(stream);
        let until = Instant::now() + timeout;
        let mut state = pipe.lock();
        // Each line is looked at once, however often we wake up.
        let mut cursor = 0;
        loop {
            let found = {
                let (mut new, next) = state.lines_from(cursor);
                cursor = next;
                new.find(|(text, _)| pred(text))
                    .map(|(text, _)| text.into_owned())
            };
            if found.is_some() {
                return found;
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

    /// Waits up to `timeout` for the output of `stream` to contain `needle`
    /// — for prompts printed without a newline. The needle is looked for
    /// within one line (complete or not), so it must not contain `\n`.
    pub fn wait_text(&self, stream: Stream, timeout: Duration, needle: &str) -> bool {
        let pipe = self.pipe(stream);
        let until = Instant::now() + timeout;
        let mut state = pipe.lock();
        let mut cursor = 0;
        loop {
            let found = {
                let (mut new, next) = state.lines_from(cursor);
                cursor = next;
                new.any(|(text, _)| text.contains(needle))
            };
            if found {
                return true;
            }
            // The unterminated line is at most MAX_LINE bytes: re-reading it
            // on each wake-up stays linear in the output.
            if visible(state.partial.clone()).contains(needle) {
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

    /// Is the program stopped (SIGSTOP, SIGTSTP: state `T` in /proc), or a
    /// process it started? A stopped program answers nothing until it is
    /// continued or killed. The whole tree under [`Child::pid`] is looked
    /// at: started confined in a pid namespace, that pid is netlab's waiter
    /// and the program is its grandchild. Always `false` where this cannot
    /// be seen (not Linux).
    pub fn is_stopped(&self) -> bool {
        #[cfg(target_os = "linux")]
        {
            let mut todo = vec![self.child.id()];
            // Bounded: a fork bomb's tree is bounded by the process limit,
            // and a loop in /proc (pid reuse) by the count.
            let mut seen = 0;
            while let Some(pid) = todo.pop() {
                seen += 1;
                if seen > 4096 {
                    break;
                }
                let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"));
                // pid (comm) STATE ...: comm may hold spaces and parentheses.
                let stopped = stat.ok().is_some_and(|s| {
                    s.rfind(')')
                        .is_some_and(|i| s[i + 1..].trim_start().starts_with('T'))
                });
                if stopped {
                    return true;
                }
                let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
                    continue;
                };
                for task in tasks.flatten() {
                    let children = std::fs::read_to_string(task.path().join("children"));
                    todo.extend(
                        children
                            .unwrap_or_default()
                            .split_whitespace()
                            .filter_map(|c| c.parse::<u32>().ok()),
                    );
                }
            }
            false
        }
        #[cfg(not(target_os = "linux"))]
        {
            false
        }
    }

    /// Has `stream` reached end of file (the program, and everything that
    /// inherited the pipe, closed it)?
    pub fn is_closed(&self, stream: Stream) -> bool {
        self.pipe(stream).lock().closed
    }

    /// How many bytes the program has written to `stream` so far, including
    /// those not kept: what names an output flood.
    pub fn bytes_seen(&self, stream: Stream) -> u64 {
        self.pipe(stream).lock().bytes_seen
    }

    /// Was `stream` read slowly at some point (past its first
    /// [`FULL_SPEED_BYTES`]), so that the program may have waited for its
    /// pipe to drain? Said in a report beside the flood's size.
    pub fn read_slowly(&self, stream: Stream) -> bool {
        self.pipe(stream).lock().bytes_seen > FULL_SPEED_BYTES
    }

    /// How many bytes of `stream` were not kept (the middle of a flood).
    pub fn bytes_dropped(&self, stream: Stream) -> u64 {
        self.pipe(stream).lock().dropped_bytes
    }

    /// All complete lines seen so far on `stream`.
    pub fn lines(&self, stream: Stream) -> Vec<String> {
        self.pipe(stream)
            .lock()
            .lines()
            .map(|(text, _)| text.into_owned())
            .collect()
    }

    /// All complete lines so far with their arrival times.
    pub fn timed_lines(&self, stream: Stream) -> Vec<Line> {
        let state = self.pipe(stream).lock();
        let lines = state.lines().map(|(text, at)| Line {
            text: text.into_owned(),
            at,
        });
        lines.collect()
    }

    /// Everything seen on `stream`, including an unterminated last line.
    pub fn text(&self, stream: Stream) -> String {
        text_of(&self.pipe(stream).lock())
    }

    /// Writes to the child's stdin (spawned with `piped_stdin`).
    pub fn write_stdin(&mut self, bytes: &[u8]) -> io::Result<()> {
        if let Some(keys) = self.terminal.as_mut() {
            keys.write_all(bytes)?;
            return keys.flush();
        }
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

    /// Closes the child's stdin: the child reads end of input (on a
    /// terminal: Ctrl+D typed at the start of a line).
    pub fn close_stdin(&mut self) {
        if let Some(mut keys) = self.terminal.take() {
            let _ = keys.write_all(b"\x04");
        }
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
            let now = Instant::now();
            if now >= until {
                return None;
            }
            self.nap(until - now);
        }
    }

    /// Sleeps until the child has exited or `timeout` has passed, whichever
    /// is first. On Linux a poll on a pidfd: no wake-ups while it runs (a
    /// 5 ms poll loop was a visible part of the grader's CPU in a class
    /// run); elsewhere, or without pidfds (before Linux 5.3), 5 ms naps.
    fn nap(&self, timeout: Duration) {
        #[cfg(target_os = "linux")]
        if !self.reaped {
            // Not reaped: the pid is still this child's, however long ago
            // it exited (see `peek_status`).
            // SAFETY: pidfd_open with a pid and no flags; it returns a new
            // descriptor, or -1.
            let fd = unsafe { nix::libc::syscall(nix::libc::SYS_pidfd_open, self.child.id(), 0) };
            if let Ok(fd) = std::os::fd::RawFd::try_from(fd) {
                if fd >= 0 {
                    use std::os::fd::{AsFd, FromRawFd, OwnedFd};
                    // SAFETY: a descriptor just returned to us, owned here.
                    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
                    // A pidfd is readable once its process has exited.
                    until_readable(fd.as_fd(), timeout);
                    return;
                }
            }
        }
        thread::sleep(timeout.min(Duration::from_millis(5)));
    }

    /// Waits up to `timeout` for both pipes to reach end of file, their
    /// readers at full speed meanwhile (what is left of a flood).
    fn wait_closed(&self, timeout: Duration) {
        let until = Instant::now() + timeout;
        for pipe in [&self.stdout, &self.stderr] {
            pipe.lock().hurry_until = Some(until);
            pipe.changed.notify_all();
        }
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
    ///
    /// Trap: once reaped, the pid may be reused (by another check's program
    /// group): the watchdog stands down, [`kill_all`] forgets the pid and
    /// Drop no longer signals it.
    pub fn kill(&mut self) -> Option<ExitStatus> {
        if !self.reaped {
            kill_group(self.child.id());
            let _ = self.child.kill();
            // Before the reaping, which frees the pid for a stranger.
            self.watchdog.take();
            let status = self.child.wait().ok();
            let pid = self.child.id();
            live().retain(|p| *p != pid);
            self.reaped = true;
            if self.status.is_none() {
                self.status = status;
            }
        }
        self.wait_closed(Duration::from_millis(200));
        self.status
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        // Kill the group even if the leader already exited: a grandchild may
        // still be running and holding our pipes or a port. Not after
        // kill() reaped it: the pid may be a stranger's now (the tree's
        // rest is found by the sandbox below).
        self.watchdog.take();
        if !self.reaped {
            kill_group(self.child.id());
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if let Some(confinement) = self.confinement.as_mut() {
            confinement.finish();
        }
        let pid = self.child.id();
        live().retain(|p| *p != pid);
    }
}

/// Sleeps until `fd` is readable or `timeout` has passed (poll(2)), for
/// waits that would otherwise wake up every few milliseconds to look.
#[cfg(unix)]
pub(crate) fn until_readable(fd: std::os::fd::BorrowedFd<'_>, timeout: Duration) {
    use std::os::fd::AsRawFd;
    let mut poll = nix::libc::pollfd {
        fd: fd.as_raw_fd(),
        events: nix::libc::POLLIN,
        revents: 0,
    };
    // Whole milliseconds, rounded up: never a busy 0.
    let ms = timeout.as_micros().div_ceil(1000).clamp(1, 1 << 30) as i32;
    // SAFETY: one pollfd on the stack, for the call only.
    unsafe { nix::libc::poll(&mut poll, 1, ms) };
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

/// The kept output as text: the head lines, a note saying how much was not
/// kept (if anything), the tail lines, then the unterminated last line.
fn text_of(state: &Captured) -> String {
    let mut text = String::with_capacity(state.head_cost + state.tail_cost + state.partial.len());
    for line in &state.head {
        text.push_str(&line.text);
        text.push('\n');
    }
    if state.dropped_lines > 0 {
        text.push_str(&format!(
            "… ({} lines, {} bytes not kept; {} bytes in all) …\n",
            state.dropped_lines, state.dropped_bytes, state.bytes_seen
        ));
    }
    for (line, _) in state.tail_lines(0) {
        text.push_str(&line);
        text.push('\n');
    }
    text.push_str(&visible(state.partial.clone()));
    text
}

/// A child's place in the watchdog's list: the group `pid` is killed at
/// `at` unless this was dropped first.
///
/// One thread keeps every deadline (a thread per child was a thread start
/// per program: some 2,400 in a class of 40). It signals with the list
/// locked, and dropping this takes the lock: once dropped, the watchdog
/// cannot signal the pid, which may then be reaped and reused.
struct Deadline {
    key: (Instant, u64),
}

struct Due {
    pid: u32,
    hit: Arc<std::sync::atomic::AtomicBool>,
}

/// The deadlines not passed yet, soonest first (a deadline's key is its
/// moment and a number that tells equal moments apart).
type Dues = std::collections::BTreeMap<(Instant, u64), Due>;

/// The deadlines, and the watchdog's bell.
static DEADLINES: (Mutex<Dues>, Condvar) = (Mutex::new(Dues::new()), Condvar::new());

impl Deadline {
    fn keep(
        pid: u32,
        started: Instant,
        deadline: Duration,
        hit: Arc<std::sync::atomic::AtomicBool>,
    ) -> Deadline {
        // A deadline past what an Instant holds is as good as none.
        let at = started
            .checked_add(deadline)
            .unwrap_or_else(|| started + Duration::from_secs(100 * 365 * 86_400));
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        static WATCHDOG: std::sync::Once = std::sync::Once::new();
        WATCHDOG.call_once(|| {
            thread::Builder::new()
                .name("netlab-deadlines".into())
                .spawn(watchdog)
                .expect("cannot start the deadline watchdog thread");
        });
        let key = (at, NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        deadlines().insert(key, Due { pid, hit });
        DEADLINES.1.notify_one();
        Deadline { key }
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        deadlines().remove(&self.key);
    }
}

fn deadlines() -> MutexGuard<'static, Dues> {
    DEADLINES.0.lock().unwrap_or_else(|e| e.into_inner())
}

/// Kills each group whose deadline passed with its handle still alive.
fn watchdog() {
    let mut list = deadlines();
    loop {
        let now = Instant::now();
        let next = list.first_key_value().map(|(key, _)| *key);
        list = match next {
            None => DEADLINES.1.wait(list).unwrap_or_else(|e| e.into_inner()),
            Some(key) if key.0 <= now => {
                if let Some(due) = list.remove(&key) {
                    due.hit.store(true, std::sync::atomic::Ordering::SeqCst);
                    kill_group(due.pid);
                }
                list
            }
            Some((at, _)) => {
                DEADLINES
                    .1
                    .wait_timeout(list, at - now)
                    .unwrap_or_else(|e| e.into_inner())
                    .0
            }
        };
    }
}

fn spawn_reader(mut source: impl Read + Send + 'static, pipe: Arc<Pipe>, started: Instant) {
    thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match source.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            let at = started.elapsed();
            let mut state = pipe.lock();
            state.take_in(&buf[..n], at);
            let nap = state.nap_after(n);
            pipe.changed.notify_all();
            if !nap.is_zero() {
                // Woken early when the program has ended (`wait_closed`).
                let _ = pipe
                    .changed
                    .wait_timeout_while(state, nap, |state| state.nap_after(n) == nap);
            }
        }
        pipe.lock().closed = true;
        pipe.changed.notify_all();
    });
}

/// Starts `cmd` in a session of its own (see within for why each step).
#[cfg(unix)]
pub(crate) fn own_process_group(cmd: &mut Command) {
    use nix::sys::signal::{signal, SigHandler, Signal as S};
    use std::os::unix::process::CommandExt;
    // SAFETY: only async-signal-safe calls (setsid, sigaction, prctl) run
    // between fork and exec, and they touch no memory of ours.
    unsafe {
        cmd.pre_exec(|| {
            // A session of its own, not only a process group (its id is the
            // child's pid either way, for killpg): without a controlling
            // terminal, a program cannot open /dev/tty to draw a forged
            // report on the user's screen or push keystrokes into the
            // user's shell with TIOCSTI (seen: the command ran after netlab
            // exited).
            nix::unistd::setsid().map_err(io::Error::from)?;
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
pub(crate) fn own_process_group(_cmd: &mut Command) {}

/// The command to spawn for `cmd`: in its own session, inside
/// `confinement` when there is one (which may replace the command: see
/// [`crate::sandbox::Confinement::install`]).
fn prepare(
    mut cmd: Command,
    confinement: Option<&mut crate::sandbox::Confinement>,
) -> io::Result<Command> {
    match confinement {
        Some(confinement) => confinement.install(cmd),
        None => {
            own_process_group(&mut cmd);
            Ok(cmd)
        }
    }
}

/// Spawns what [`prepare`] made and waits until the program itself runs
/// (a launcher that could not start it is killed and reaped by then).
/// `cmd` is dropped on return, with whatever descriptors it held for the
/// child.
fn start(
    mut cmd: Command,
    confinement: Option<&mut crate::sandbox::Confinement>,
) -> io::Result<std::process::Child> {
    let spawned = cmd.spawn();
    match confinement {
        Some(confinement) => {
            let mut child = spawned.map_err(|e| confinement.spawn_failed(e))?;
            confinement.started(&mut child)?;
            Ok(child)
        }
        None => spawned,
    }
}

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
    fn a_killed_child_is_forgotten_once_reaped() {
        let mut child = Child::spawn(sh("sleep 100"), Duration::from_secs(20)).unwrap();
        let pid = child.pid();
        assert!(live().contains(&pid));
        let status = child.kill().expect("reaped");
        assert_eq!(describe_status(status), "killed by SIGKILL (signal 9)");
        // The pid is free for reuse: kill_all and Drop must not signal it.
        assert!(!live().contains(&pid));
        assert!(child.reaped && child.watchdog.is_none());
        // A second kill neither signals nor changes the status.
        assert_eq!(child.kill(), Some(status));
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
    fn a_flood_of_output_is_kept_bounded_by_bytes_and_counted() {
        // 12 MB of short lines (whole ones), then a last line: the head and the tail are
        // kept, the middle is counted, every byte is seen (the last 4 MB
        // read slowly: see `nap_after`).
        let script = "echo first; yes 0123456789 | head -c 11999999; echo last";
        let mut child = Child::spawn(sh(script), Duration::from_secs(60)).unwrap();
        assert_eq!(
            child.wait_line(Stream::Stdout, Duration::from_secs(50), |l| l == "last"),
            Some("last".to_string())
        );
        assert!(child.wait_exit(Duration::from_secs(10)).is_some());
        assert_eq!(child.bytes_seen(Stream::Stdout), 11_999_999 + 6 + 5);
        assert!(child.bytes_dropped(Stream::Stdout) > 9_000_000);
        let lines = child.lines(Stream::Stdout);
        assert_eq!(lines.first().map(String::as_str), Some("first"));
        assert_eq!(lines.last().map(String::as_str), Some("last"));
        let kept: usize = lines.iter().map(|l| l.len() + LINE_OVERHEAD).sum();
        assert!(
            kept <= KEEP_HEAD_BYTES + KEEP_TAIL_BYTES + MAX_LINE,
            "{kept}"
        );
        let text = child.text(Stream::Stdout);
        assert!(
            text.contains("bytes not kept; 12000010 bytes in all)"),
            "no note"
        );
        assert!(text.len() < 3 * 1024 * 1024);
    }

    #[test]
    fn the_tail_of_a_long_output_is_shown_as_the_head_is() {
        // Past the head's MiB, lines are kept as bytes and made text when
        // asked: a Windows line end, bytes that are not UTF-8 and a line cut
        // at MAX_LINE read as they would in the head.
        let script = format!(
            "yes 0123456789 | head -c 2999997; printf 'crlf\\r\\nbad \\377\\n'; \
             head -c {} /dev/zero | tr '\\0' x; printf 'end\\n'",
            MAX_LINE + 10
        );
        let mut child = Child::spawn(sh(&script), Duration::from_secs(60)).unwrap();
        assert!(child.wait_exit(Duration::from_secs(50)).is_some());
        let lines = child.timed_lines(Stream::Stdout);
        let last: Vec<&str> = lines[lines.len() - 4..]
            .iter()
            .map(|l| l.text.as_str())
            .collect();
        let long = "x".repeat(MAX_LINE);
        assert_eq!(last, ["crlf", r"bad \xFF", long.as_str(), "xxxxxxxxxxend"]);
        assert!(child.bytes_dropped(Stream::Stdout) > 0);
        let found = child.wait_line(Stream::Stdout, Duration::from_secs(1), |l| {
            l.starts_with("bad")
        });
        assert_eq!(found.as_deref(), Some(r"bad \xFF"));
    }

    #[test]
    fn a_flood_is_read_slowly_past_its_first_mebibytes() {
        // 400 MB as fast as `yes` can: unthrottled the grader would read it
        // all in a second or so; read at SLOW_RATE past FULL_SPEED_BYTES,
        // two seconds see a small part of it. An upper bound only: a slow
        // machine reads less, never more.
        let line = "0123456789".repeat(10);
        let flood = format!("yes {line} | head -c 400000000");
        let child = Child::spawn(sh(&flood), Duration::from_secs(60)).unwrap();
        thread::sleep(Duration::from_secs(2));
        let seen = child.bytes_seen(Stream::Stdout);
        let most = FULL_SPEED_BYTES + 4 * SLOW_RATE + 1024 * 1024;
        assert!(seen > 0 && seen <= most, "{seen} bytes read in 2 s");
    }

    #[test]
    fn a_flood_of_empty_lines_or_of_one_endless_line_is_bounded_too() {
        let script = "head -c 5000000 /dev/zero | tr '\\0' '\\n'; head -c 5000000 /dev/zero";
        let mut child = Child::spawn(sh(script), Duration::from_secs(60)).unwrap();
        assert!(child.wait_exit(Duration::from_secs(50)).is_some());
        assert_eq!(child.bytes_seen(Stream::Stdout), 10_000_000);
        assert!(child.bytes_dropped(Stream::Stdout) < 10_000_000);
        let lines = child.timed_lines(Stream::Stdout);
        assert!(lines.len() < 2 * (KEEP_HEAD_BYTES + KEEP_TAIL_BYTES) / LINE_OVERHEAD);
        // The NULs are cut into pieces of MAX_LINE bytes.
        assert!(lines.iter().all(|l| l.text.len() <= MAX_LINE));
        assert!(child.text(Stream::Stdout).len() < 3 * 1024 * 1024);
    }

    #[test]
    fn bytes_that_are_not_utf8_stay_visible() {
        let mut child = Child::spawn(
            sh(r"printf 'ok \377\376 caf\303\251\n\200tail'"),
            Duration::from_secs(10),
        )
        .unwrap();
        assert!(child.wait_exit(Duration::from_secs(5)).is_some());
        assert_eq!(child.lines(Stream::Stdout), vec![r"ok \xFF\xFE café"]);
        assert_eq!(child.text(Stream::Stdout), "ok \\xFF\\xFE café\n\\x80tail");
        assert!(child.wait_text(Stream::Stdout, Duration::from_secs(1), r"\x80ta"));
    }

    #[test]
    fn each_wait_sees_every_kept_line_once_and_in_order() {
        let child = Child::spawn(sh("seq 1 30000; sleep 30"), Duration::from_secs(60)).unwrap();
        // Lines are looked at from a cursor: the predicate sees 1, 2, 3...
        let mut seen = Vec::new();
        let found = child.wait_line(Stream::Stdout, Duration::from_secs(20), |l| {
            seen.push(l.parse::<u32>().unwrap());
            l == "30000"
        });
        assert_eq!(found.as_deref(), Some("30000"));
        assert!(seen.windows(2).all(|w| w[0] < w[1]), "a line seen twice");
        assert_eq!(seen.first(), Some(&1));
        // A second wait starts again from the first kept line.
        assert_eq!(
            child.wait_line(Stream::Stdout, Duration::from_secs(1), |l| l == "1"),
            Some("1".to_string())
        );
    }

    #[test]
    fn a_closed_stdout_and_a_stopped_child_are_seen() {
        // Closes its stdout, then stops itself: a wait for a line on a
        // closed stream returns at once, and the stop shows in /proc.
        let child = Child::spawn(sh("exec >&-; kill -STOP $$"), Duration::from_secs(20)).unwrap();
        assert_eq!(
            child.wait_line(Stream::Stdout, Duration::from_secs(10), |_| true),
            None
        );
        assert!(child.is_closed(Stream::Stdout));
        assert!(!child.is_closed(Stream::Stderr), "stderr is still open");
        let until = Instant::now() + Duration::from_secs(10);
        while !child.is_stopped() && Instant::now() < until {
            thread::sleep(Duration::from_millis(20));
        }
        assert!(child.is_stopped(), "SIGSTOP not seen");
        // Drop kills it even stopped (SIGKILL needs no SIGCONT).
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
            None,
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
