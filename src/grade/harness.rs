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

use super::contract::Transport;
use super::diagnosis::Diagnosis;
use super::evidence::{note_grader_port, note_port, note_session_port};
use super::{Fold, Role, Submission};
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
    /// When this failure is a consequence of a mistake that another check
    /// reports under its own name (e.g. the console line that never came
    /// because stdout is buffered), the id of that check: reports can fold
    /// the two under one cause. `None`: this failure is its own cause.
    pub cause: Option<&'static str>,
    /// When the report may fold it under that check's cause.
    pub fold: Fold,
    /// Other checks it may follow from, when the first's cause does not
    /// explain it ([`Failure::or_folded_if`]). Behind a reference: every
    /// check returns a `Failure`, kept small.
    pub otherwise: Option<&'static [crate::grade::OtherCause]>,
    /// Advice for this failure's precise cause, shown instead of the
    /// diagnosis's general hint (which covers every way to make that
    /// mistake), for as long as the failure keeps the diagnosis it was
    /// given with (a failure relabelled later, `resource-limit` say, gets
    /// the new diagnosis's hint): `None` keeps the general one.
    /// (Boxed: a `Failure` travels in every check's `Err`.)
    pub hint: Option<Box<(Diagnosis, String)>>,
}

impl Failure {
    /// Marks this failure as the same mistake that check `id` reports:
    /// folded under it when that check failed with this diagnosis too.
    pub fn caused_by(mut self, id: &'static str) -> Failure {
        self.cause = Some(id);
        self.fold = Fold::SameDiagnosis;
        self
    }

    /// Marks this failure as a consequence of what check `id` reports when
    /// that check failed with one of `diagnoses`; otherwise it is this
    /// check's own mistake.
    pub fn folded_if(mut self, id: &'static str, diagnoses: &'static [Diagnosis]) -> Failure {
        self.cause = Some(id);
        self.fold = Fold::IfCauseWasOneOf(diagnoses);
        self
    }

    /// Where the check this failure follows from (if any) does not
    /// explain it, marks it as a consequence of what the first of `others`
    /// reports that failed with one of the diagnoses beside it (a failure
    /// with several possible causes, tried in that order).
    pub fn or_folded_if(mut self, others: &'static [crate::grade::OtherCause]) -> Failure {
        match (self.cause, others.split_first()) {
            (None, Some((&(id, diagnoses), rest))) => {
                self = self.folded_if(id, diagnoses);
                self.otherwise = (!rest.is_empty()).then_some(rest);
            }
            _ => self.otherwise = Some(others),
        }
        self
    }

    /// Marks this failure as a consequence of whatever check `id` reports
    /// (a program that never got going, for the reason its line check
    /// names): folded under it whatever that check's diagnosis.
    pub fn consequence_of(mut self, id: &'static str) -> Failure {
        self.cause = Some(id);
        self.fold = Fold::AnyDiagnosis;
        self
    }

    /// Replaces the diagnosis's general hint with advice for the cause
    /// this check saw (a reply sent in two writes, a prompt printed once):
    /// the general hint lists every way to make the mistake, most of them
    /// not this one.
    pub fn hinted(mut self, hint: impl Into<String>) -> Failure {
        self.hint = Some(Box::new((self.diagnosis, hint.into())));
        self
    }

    /// The hint to show: the precise one while the diagnosis is still the
    /// one it was given for, else the diagnosis's own.
    pub fn hint(&self) -> String {
        match self.hint.as_deref() {
            Some((diagnosis, hint)) if *diagnosis == self.diagnosis => hint.clone(),
            _ => self.diagnosis.hint().to_string(),
        }
    }
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
        cause: None,
        fold: Fold::SameDiagnosis,
        otherwise: None,
        hint: None,
    }
}

/// Where a started program's stdin comes from.
#[derive(Clone, Copy)]
enum Input {
    Null,
    /// A pipe the check writes to.
    Piped,
    /// A pseudo-terminal, its stdout too.
    #[cfg(unix)]
    Terminal,
}

/// A started submission program, by index into the check's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proc(usize);

struct Launched {
    role: Role,
    label: String,
    /// The variables the check gave it (`LAB_TIMEOUT=3`): shown beside
    /// its label when the check started the role more than once.
    env_note: String,
    child: Child,
    /// Seen listening in the system's socket table (a server start).
    listened: bool,
    /// Sent SIGTERM by the check (to its own process, `kill -TERM`) while
    /// that process was a shell (its name, read then): a script that did
    /// not `exec` its program.
    terminated_shell: bool,
}

/// The advice for a shell script between the command and the program,
/// whose shell died of the SIGTERM meant for the program.
pub const EXEC_HINT: &str = "Your command runs a shell script, and `kill -TERM` reaches the process the command started: the shell, not your program. A shell waiting for its child dies of SIGTERM, and your program never gets the signal, its own shutdown never run: under the grader it ends with the shell, its work in flight cut off; on your own machine it would run on, orphaned, holding its port. Start the program in the script with `exec` (`exec python3 my_program.py \"$@\"`), so that it is that process and gets the signal itself.";

/// The working state of one check.
pub struct Ctx<'a> {
    /// The id of the check this context runs (set by the runner): helpers
    /// shared by several checks use it to leave a finding to its own check.
    pub check_id: Option<&'static str>,
    submission: &'a Submission,
    rng: fastrand::Rng,
    steps: Vec<String>,
    procs: Vec<Launched>,
    scratch: Option<tempfile::TempDir>,
    /// This check's sandbox (uid, private copy), made at the first spawn.
    jail: Option<crate::sandbox::Jail>,
    notes: Vec<ListenNote>,
    /// The last server start used the line check's own arguments.
    notes_env_default: bool,
    /// The next program starts with a tripwire ([`Ctx::tripwire_next`]).
    tripwire_next: bool,
    /// What a check keeps until its programs have ended
    /// ([`Ctx::hold_until_end`]).
    held: Vec<Box<dyn std::any::Any>>,
}

impl Drop for Ctx<'_> {
    fn drop(&mut self) {
        // The programs first (their trees are ended as they drop), then the
        // folder given to them, however deep they made it (see
        // `sandbox::remove_scratch`): its TempDir would use the standard
        // library's removal, which one stack frame per level aborts.
        self.procs.clear();
        self.held.clear();
        if let Some(scratch) = self.scratch.take() {
            let _ = crate::sandbox::remove_scratch(scratch.path());
        }
    }
}

/// A server found listening (in the socket table) without a well-formed
/// Listening line: its line check judges why, with what is needed to run
/// it again on a terminal (Unix: a pseudo-terminal).
#[derive(Debug, Clone)]
#[cfg_attr(not(unix), allow(dead_code))]
struct ListenNote {
    proc: Proc,
    role: Role,
    port: u16,
    /// Nothing at all on stdout when the port was found.
    silent: bool,
    /// Bound on every address (this one, from the socket table, or the
    /// unspecified address it announced).
    everywhere: Option<SocketAddr>,
    /// Its Listening line was well-formed (the note is about the address
    /// only).
    announced: bool,
    /// When it was first seen listening, since its start (for a silent
    /// one: how long its line came after its listen()).
    listening_at: Option<Duration>,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

/// How long a program that listens gets to print its Listening line before
/// the checks go on without it.
const LINE_GRACE: Duration = Duration::from_millis(1500);

/// What running a program again with its stdout on a terminal told.
#[cfg_attr(not(unix), allow(dead_code))]
enum OnTerminal {
    /// Its Listening line came (clearly sooner than on the pipe): the pipe
    /// held it in a buffer. The proof, for the report.
    Sooner(String),
    /// It came as late as on the pipe: printed late, not held.
    AsLate,
    /// Nothing came on the pipe, and on a terminal the line came this long
    /// after the program listened: printed late there too (a program
    /// that works, or sleeps, between listen() and its line), not held.
    Late(Duration, String),
    /// No line (not on a terminal either, or it could not run there).
    Nothing,
}

/// The advice for output held in a buffer with stdout on a terminal too,
/// where the general one says lines show there.
const EVEN_AT_A_TERMINAL: &str = "Your output waits in a buffer even at a terminal: the program made its stdout a buffered stream of its own (Python: io.TextIOWrapper(sys.stdout.buffer, ...) without line_buffering=True; Java: a PrintStream over a BufferedOutputStream without autoflush; C: setvbuf with _IOFBF). Keep the stream line-buffered or flush after each line: in Python sys.stdout.reconfigure(encoding=\"utf-8\", line_buffering=True) instead of a new wrapper, or print(..., flush=True); in Java new PrintStream(new FileOutputStream(FileDescriptor.out), true); in C fflush(stdout) after each line.";

/// How much sooner a line must come with stdout on a terminal than it came
/// on the pipe to prove that the pipe held it in a buffer (and in half the
/// time at most; see `on_a_terminal`).
#[cfg_attr(not(unix), allow(dead_code))]
const SOONER: Duration = Duration::from_millis(500);

/// Waits up to `timeout` for a stdout line of `child` that satisfies
/// `pred`, and notes when (since its start) it was first seen listening.
#[cfg(unix)]
fn wait_line_noting_listen(
    child: &Child,
    (timeout, transport): (Duration, Transport),
    pred: impl Fn(&str) -> bool,
) -> (Option<String>, Option<Duration>) {
    let until = Instant::now() + timeout;
    let mut listening_at = None;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        let line = child.wait_line(Stream::Stdout, left.min(Duration::from_millis(20)), &pred);
        if listening_at.is_none()
            && listening_ports_of(child.pid(), transport).is_some_and(|ports| !ports.is_empty())
        {
            listening_at = Some(child.elapsed());
        }
        if line.is_some() || Instant::now() >= until {
            return (line, listening_at);
        }
    }
}

impl<'a> Ctx<'a> {
    pub fn new(submission: &'a Submission, seed: u64) -> Ctx<'a> {
        Ctx {
            check_id: None,
            submission,
            rng: fastrand::Rng::with_seed(seed),
            steps: Vec::new(),
            procs: Vec::new(),
            scratch: None,
            jail: None,
            notes: Vec::new(),
            notes_env_default: false,
            tripwire_next: false,
            held: Vec::new(),
        }
    }

    /// Keeps `thing` (a fake server's connection, the thread holding it)
    /// until the check's programs have ended: dropped at a failure's
    /// return, it would close a connection under a program still running,
    /// which then printed an error of it beside the finding.
    pub fn hold_until_end(&mut self, thing: impl std::any::Any) {
        self.held.push(Box::new(thing));
    }

    /// The next program started gets a tripwire where one can work (see
    /// [`crate::sandbox::Tripwire`]; [`Ctx::tripwire`] then has it).
    pub fn tripwire_next(&mut self) {
        self.tripwire_next = true;
    }

    /// Program `p`'s tripwire, if it started with one.
    pub fn tripwire(&self, p: Proc) -> Option<&crate::sandbox::Tripwire> {
        self.procs[p.0].child.tripwire()
    }

    /// Records one step of the story shown when the check fails.
    pub fn step(&mut self, text: impl Into<String>) {
        self.steps.push(text.into());
    }

    pub fn steps(&self) -> &[String] {
        &self.steps
    }

    /// Forgets the steps recorded after the first `kept`: a run of rounds
    /// that went as the one told before it (forty clients served alike)
    /// need not be told one by one.
    pub fn forget_steps_after(&mut self, kept: usize) {
        self.steps.truncate(kept);
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

    /// About `len` characters outside ASCII, words of CJK characters (three
    /// bytes each in UTF-8) with an emoji (four) now and then, and no
    /// spaces: at least three bytes a character, so a message of 86 is a
    /// reply of more than 256 bytes. Only where programs read their
    /// arguments as UTF-8 ([`programs_read_utf8`]).
    pub fn message_beyond_ascii(&mut self, len: usize) -> String {
        const WORDS: &[&str] = &[
            "数据包",
            "套接字",
            "端口",
            "网络",
            "连接",
            "服务器",
            "客户端",
            "握手",
            "确认",
            "🙂",
            "📦",
        ];
        let mut text = String::new();
        while text.chars().count() < len {
            text.push_str(WORDS[self.rng.usize(..WORDS.len())]);
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
            let dir = crate::sandbox::given_folder()?;
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

    /// Makes `file`, which the check wrote in its [`Ctx::scratch_dir`],
    /// the programs' own: they run as the jail's user, and a file of the
    /// grader's would be closed to them.
    pub fn give_file(&mut self, file: &Path) {
        self.jail().give_file(file);
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
        self.spawn_inner(role, args, env, Input::Null)
    }

    /// Like [`Ctx::spawn`] with a piped stdin the check can write to.
    pub fn spawn_with_stdin(
        &mut self,
        role: Role,
        args: &[String],
        env: &[(&str, String)],
    ) -> Result<Proc, Failure> {
        self.spawn_inner(role, args, env, Input::Piped)
    }

    /// Like [`Ctx::spawn`] at a terminal: stdin and stdout on a
    /// pseudo-terminal, what the check writes typed there (see
    /// [`Child::spawn_on_terminal`]).
    #[cfg(unix)]
    pub fn spawn_on_terminal(
        &mut self,
        role: Role,
        args: &[String],
        env: &[(&str, String)],
    ) -> Result<Proc, Failure> {
        self.spawn_inner(role, args, env, Input::Terminal)
    }

    fn spawn_inner(
        &mut self,
        role: Role,
        args: &[String],
        env: &[(&str, String)],
        input: Input,
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
        // Wire evidence: the program will use this port (listen or connect).
        if let Some(port) = role.contract().port_in(env) {
            note_port(port.parse().unwrap_or(0));
        }
        if let Some(why) = self.jail().moved() {
            return Err(fail(
                Diagnosis::CannotStart,
                "the submission folder stays where it was while it is graded",
                format!("{why}: the check did not run"),
            ));
        }
        if let Some(why) = self.jail().scratch_full() {
            return Err(fail(
                Diagnosis::GraderError,
                "the grader makes this check's private copy of the submission",
                format!("its scratch space was full ({why}): the check did not run; grade this submission again (another program of the run may have filled it)"),
            ));
        }
        let mut attempt = 0;
        let started = loop {
            let origin = self.submission.origin(role);
            let (mut cmd, mut confinement) = self.jail().command(&full, origin);
            if self.tripwire_next {
                confinement.want_tripwire();
            }
            without_inherited_settings(&mut cmd);
            for (key, value) in role.contract().env {
                cmd.env(key, value);
            }
            for (key, value) in env {
                cmd.env(key, value);
            }
            let started = match input {
                #[cfg(unix)]
                Input::Terminal => {
                    Child::spawn_on_terminal(cmd, PROCESS_DEADLINE, Some(confinement))
                }
                _ => Child::spawn_confined(
                    cmd,
                    PROCESS_DEADLINE,
                    matches!(input, Input::Piped),
                    Some(confinement),
                ),
            };
            attempt += 1;
            match started {
                // Trap (ETXTBSY, "Text file busy"): the check's private copy
                // of a compiled program was just written, and a child that
                // another check's thread forked meanwhile still holds the
                // write end until it closes its inherited fds or execs.
                // Transient: not the program's fault (a correct C client
                // failed `cannot-start` this way, 1 run in 2). Retry.
                Err(e) if text_file_busy(&e) && attempt < SPAWN_ATTEMPTS => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                // The tripwire's handover failed (a container without
                // CAP_SYS_PTRACE, say): netlab's doing, and it is off now.
                // The check goes on without one, as where there is none.
                Err(_)
                    if self.tripwire_next
                        && !crate::sandbox::tripwire_possible()
                        && attempt < SPAWN_ATTEMPTS =>
                {
                    self.tripwire_next = false;
                }
                other => break other,
            }
        };
        // The folder gone or swapped meanwhile (its working directory then
        // fails to open): that, not netlab's fault (hostile round 37: a
        // student made it `grader-error`, "please report this").
        let moved = match &started {
            Err(e) if crate::sandbox::is_folder_moved(e) => Some(e.to_string()),
            Err(_) => self.jail().moved(),
            Ok(_) => None,
        };
        self.tripwire_next = false;
        let child = started.map_err(|e| {
            if let Some(why) = moved {
                return fail(
                    Diagnosis::CannotStart,
                    "the submission folder stays where it was while it is graded",
                    format!("{why}: the check did not run"),
                );
            }
            let why = if e.kind() == io::ErrorKind::NotFound {
                // Both from outside (netlab.toml, the class folder's
                // name): one line, whatever they hold (hostile round 23
                // forged report lines with a line break here).
                match on_grader_path(&full[0]) {
                    // There, and out of the program's reach (netlab's own
                    // programs, a folder it may not read): said so (a new
                    // instructor's round: "not on PATH" for a program that was).
                    Some(found) => format!(
                        "`{}` is {} on the grader's PATH, which a submission's programs may not run (netlab's own programs, or a folder outside their reach): hand in the program itself",
                        crate::message::escape_controls(&full[0]),
                        crate::message::escape_controls(&found.display().to_string())
                    ),
                    None => format!(
                        "there is no program `{}` (not on PATH, and no such file in {})",
                        crate::message::escape_controls(&full[0]),
                        crate::message::escape_controls(
                            &self.submission.dir().display().to_string()
                        )
                    ),
                }
            } else if !program_at_fault(&e) {
                // The sandbox's setup before the exec failed (a cgroup, a
                // namespace, the uid switch, its launcher): netlab's fault.
                return fail(
                    Diagnosis::GraderError,
                    format!("`{label}` starts"),
                    format!("the grader could not set up its sandbox: {e}; please report this"),
                );
            } else {
                format!("it could not be started: {e}")
            };
            fail(Diagnosis::CannotStart, format!("`{label}` starts"), why)
        })?;
        self.procs.push(Launched {
            role,
            label,
            env_note: env_note.join(" "),
            child,
            listened: false,
            terminated_shell: false,
        });
        Ok(Proc(self.procs.len() - 1))
    }

    /// The process groups of this check's programs.
    /// Tells a stranger's connection from one of this check's programs,
    /// for a thread that accepts on its own: without a network namespace
    /// anyone on the machine can connect. True: a stranger.
    pub fn stranger_test(&self) -> impl Fn(SocketAddr) -> bool + Send + 'static {
        let groups = self.groups();
        move |peer| guard::foreign_peer(peer, &groups).is_some()
    }

    fn groups(&self) -> Vec<u32> {
        self.procs.iter().map(|l| l.child.pid()).collect()
    }

    /// The check's sandbox, made on first use.
    fn jail(&mut self) -> &crate::sandbox::Jail {
        let (dir, source) = (self.submission.dir(), self.submission.source_dir());
        self.jail
            .get_or_insert_with(|| crate::sandbox::Jail::new_from(dir, source))
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

    /// A program of this check that announced a second listener after its
    /// first, on another address (its contract's announcement line, twice):
    /// the role, the first address and the second. The clients were told
    /// of the first; whatever the check saw after it closed follows from
    /// the second. The same line printed again for the same address is not
    /// this (a Listening line before every accept(): extra lines are
    /// allowed). Only asked when the check failed.
    ///
    /// Trap: a check can fail the moment the first listener closes, before
    /// the second is announced (a refused connection): a program still
    /// running that announced once is given up to `wait` for another.
    pub fn second_listener(&mut self, wait: Duration) -> Option<(Role, SocketAddr, SocketAddr)> {
        let deadline = Instant::now() + wait;
        // Both streams: the two listeners may print on different ones (a
        // module's one-shot server with print(), the real one with logging).
        let procs: Vec<Proc> = (0..self.procs.len()).map(Proc).collect();
        procs.into_iter().find_map(|p| {
            let role = self.procs[p.0].role;
            let contract = role.contract();
            let announced: Vec<SocketAddr> = [Stream::Stdout, Stream::Stderr]
                .into_iter()
                .flat_map(|stream| self.child(p).lines(stream))
                .filter_map(|l| contract.parse(&l))
                // Port 0: a line printed before bind(), not a listener.
                .filter(|a| a.port() != 0)
                .collect();
            let first = *announced.first()?;
            let mut second = announced.into_iter().find(|a| *a != first);
            if second.is_none() && self.child(p).try_status().is_none() {
                let left = deadline.saturating_duration_since(Instant::now());
                second = self
                    .wait_output(p, left, |l| contract.parse(l).is_some_and(|a| a != first))
                    .and_then(|l| contract.parse(&l));
            }
            Some((role, first, second?))
        })
    }

    /// A program of this check that imports another of the submission's
    /// servers whose top level serves (see [`crate::grade::imports`]).
    pub fn server_run_at_import(&self) -> Option<crate::grade::imports::ServerAtImport> {
        let sub = self.submission;
        let servers: Vec<&[String]> = sub
            .commands
            .iter()
            .filter(|(r, _)| r.line_check().is_some())
            .map(|(_, argv)| argv.as_slice())
            .collect();
        self.procs.iter().find_map(|launched| {
            let command = sub.command(launched.role)?;
            crate::grade::imports::server_run_at_import(sub.source_dir(), command, &servers)
        })
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

    /// The CPU time the check's programs have used so far, each with all
    /// it started (its cgroup's count: Linux, as root); `None` where no
    /// program of the check was measured.
    pub fn programs_cpu(&self) -> Option<Duration> {
        self.procs
            .iter()
            .filter_map(|l| l.child.usage().and_then(|u| u.cpu))
            .reduce(|a, b| a + b)
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

    /// Did a program of this check die of SIGPIPE (a write to a connection
    /// the peer had reset or closed, in a program that does not ignore the
    /// signal)? Its stderr is empty: the crash hint's "read the traceback"
    /// has nothing to read (blind round 48, a C chat server).
    pub fn died_of_sigpipe(&mut self) -> bool {
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            (0..self.procs.len()).map(Proc).any(|p| {
                self.child(p)
                    .try_status()
                    .is_some_and(|s| s.signal() == Some(nix::libc::SIGPIPE))
            })
        }
        #[cfg(not(unix))]
        false
    }

    /// Where a program of this check crashed, when its stderr locates the
    /// crash: the stack of a Python traceback or of a Java or JavaScript
    /// error, or a Rust panic's place, with the error's line (file paths cut
    /// to their last part: each check runs in a folder of its own). Two
    /// checks that saw the same crash saw one mistake, whatever each was
    /// testing (a typo on the line after accept() crashed every session,
    /// and was told as six mistakes: `report::findings` folds them). A
    /// crash that says nothing of where (a signal) has none.
    ///
    /// Only a program that died of it (an exit status other than 0, as an
    /// uncaught error gives): a traceback printed by a program that caught
    /// its error and went on, and was killed by the grader later, is no
    /// crash (hostile round 48 printed the traceback of a crash elsewhere
    /// in chat-log, and its lost message was folded under that crash).
    pub fn crash_site(&mut self) -> Option<CrashSite> {
        let sites: Vec<Option<(String, String)>> = (0..self.procs.len())
            .map(Proc)
            .map(|p| {
                self.crash_of(p)?;
                let stderr = self.child(p).text(Stream::Stderr);
                // A thread's crash (Python's `Exception in thread`, a JVM's
                // other than main's) leaves the program running: no wait
                // for an exit that will not come, in each failed check.
                let lines: Vec<&str> = stderr.lines().collect();
                if crash_start(&lines).is_some_and(|s| {
                    lines[s].starts_with("Exception in thread ")
                        && !lines[s].starts_with("Exception in thread \"main\"")
                }) && self.child(p).try_status().is_none()
                {
                    return None;
                }
                // A moment for a program on its way out: the check may have
                // failed on the connection its death closed (seen: a loaded
                // suite, five tracebacks shown whole).
                let status = match self.child(p).try_status() {
                    Some(status) => status,
                    None => self.wait_exit(p, Duration::from_millis(500))?,
                };
                let died = status.code().is_some_and(|c| c != 0);
                // (Read again: its last lines may have come meanwhile.)
                died.then(|| crash_site_in(&self.child(p).text(Stream::Stderr)))?
            })
            .collect();
        let (site, error) = sites.iter().flatten().next()?.clone();
        let every_program = sites
            .iter()
            .all(|s| s.as_ref().is_some_and(|(other, _)| *other == site));
        Some(CrashSite {
            site,
            error,
            every_program,
        })
    }

    /// The role a started program plays.
    /// The first program of role `role` this check started.
    pub fn first_of(&self, role: Role) -> Option<Proc> {
        self.procs.iter().position(|l| l.role == role).map(Proc)
    }

    pub fn role_of(&self, p: Proc) -> Role {
        self.procs[p.0].role
    }

    /// A program whose process was a shell when the check sent it SIGTERM
    /// (a script that did not `exec`), and which died of that very signal:
    /// the program the script ran never got it (blind rounds 41 and 42: a shutdown check
    /// told a handler was missing, or "killed by SIGTERM", with no word of
    /// the script). What to say, with the role.
    pub fn script_killed_by_sigterm(&mut self) -> Option<String> {
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            let found = (0..self.procs.len()).map(Proc).find(|&p| {
                self.procs[p.0].terminated_shell
                    && self
                        .child(p)
                        .try_status()
                        .is_some_and(|s| s.signal() == Some(nix::libc::SIGTERM))
            })?;
            let role = self.role_of(found).name();
            Some(format!(
                "the {role}'s command runs a shell script, and the shell itself died of the SIGTERM sent to it (killed by SIGTERM): the {role} the script started never got the signal, and ended with the shell"
            ))
        }
        #[cfg(not(unix))]
        None
    }

    /// Does the program `p` (its own process) ignore `signal` (SIG_IGN, as
    /// its `SigIgn` mask in /proc says)? `false` where that cannot be
    /// read. A server that ignores SIGINT and handles SIGTERM was told
    /// only "still running after SIGINT" (blind round 41).
    pub fn ignores(&mut self, p: Proc, signal: Signal) -> bool {
        #[cfg(target_os = "linux")]
        {
            let number = match signal {
                Signal::Interrupt => nix::libc::SIGINT,
                Signal::Terminate => nix::libc::SIGTERM,
                Signal::Kill => return false,
            };
            let Some(pid) = crate::sandbox::program_pid(self.child(p).pid()) else {
                return false;
            };
            procfs::process::Process::new(pid as i32)
                .and_then(|process| process.status())
                .is_ok_and(|status| status.sigign & (1 << (number - 1)) != 0)
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (p, signal);
            false
        }
    }

    /// Did the SIGTERM the check sent to the program `p` reach a shell
    /// (a script that runs the program without `exec`)?
    pub fn sigterm_reached_a_shell(&self, p: Proc) -> bool {
        self.procs[p.0].terminated_shell
    }

    /// Sends a signal to a started program, recorded as a step: SIGTERM to
    /// its own process, as `kill -TERM <pid>` (or `docker stop`) does;
    /// SIGINT and SIGKILL to its process group, as Ctrl+C at a terminal
    /// does.
    ///
    /// Trap (blind round 14): SIGTERM to the group reached the children of
    /// a correct fork-per-client server too. They keep SIGTERM's default,
    /// as textbooks have them, and died with their clients' replies
    /// unsent, while the server itself shut down cleanly.
    pub fn signal(&mut self, p: Proc, signal: Signal) {
        let role = self.procs[p.0].role.name();
        #[cfg(unix)]
        if signal == Signal::Terminate {
            if let Some(pid) = crate::sandbox::program_pid(self.child(p).pid()) {
                // Who gets it: a shell is a script without `exec` (by the
                // process's name, not the command's: a script that does
                // `exec`, or a program named `x.sh`, is no shell then).
                let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
                self.procs[p.0].terminated_shell |= matches!(
                    name.trim(),
                    "sh" | "bash" | "dash" | "zsh" | "ksh" | "mksh" | "ash" | "busybox"
                );
                self.step(format!(
                    "send SIGTERM to the {role}'s process (`kill -TERM <pid>`)"
                ));
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid as i32),
                    nix::sys::signal::Signal::SIGTERM,
                );
                return;
            }
        }
        let whom = match signal {
            Signal::Interrupt => "'s process group, as Ctrl+C does",
            _ => "",
        };
        self.step(format!("send {} to the {role}{whom}", signal.name()));
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

    /// Like [`Ctx::wait_output`], counting only the lines that came at
    /// `since` (the program's age, [`Child::elapsed`]) or later: a note
    /// printed before the event it tells of (a start-up banner naming its
    /// words) is no note of it (hostile round 7).
    pub fn wait_output_since(
        &mut self,
        p: Proc,
        since: Duration,
        timeout: Duration,
        pred: impl Fn(&str) -> bool,
    ) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            for stream in [Stream::Stdout, Stream::Stderr] {
                let found = self
                    .child(p)
                    .timed_lines(stream)
                    .into_iter()
                    .find(|l| l.at >= since && pred(&l.text));
                if let Some(line) = found {
                    return Some(line.text);
                }
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Waits up to `timeout` for a line matching `pred` on stdout *or*
    /// stderr. For notes the contract leaves to the student's choice of
    /// stream (the handout lists "closed without sending" beside the
    /// errors that go to stderr): a correct program may print them on
    /// either, and must not be blamed for picking stderr.
    pub fn wait_output(
        &mut self,
        p: Proc,
        timeout: Duration,
        mut pred: impl FnMut(&str) -> bool,
    ) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let slice = deadline
                .saturating_duration_since(Instant::now())
                .min(Duration::from_millis(50));
            let child = self.child(p);
            // Read before the streams are: closed then, the reads below
            // have seen everything there will ever be.
            let nothing_more = child.is_closed(Stream::Stdout) && child.is_closed(Stream::Stderr);
            // Trap: wait_line returns at once on a closed stream. Sleep on
            // a stream still open, or a program that closed stdout (or
            // exited) turns this loop into a spin until the deadline.
            let (sleep_on, glance_at) = if child.is_closed(Stream::Stdout) {
                (Stream::Stderr, Stream::Stdout)
            } else {
                (Stream::Stdout, Stream::Stderr)
            };
            if let Some(line) = child.wait_line(sleep_on, slice, &mut pred) {
                return Some(line);
            }
            if let Some(line) = child.wait_line(glance_at, Duration::ZERO, &mut pred) {
                return Some(line);
            }
            if nothing_more || Instant::now() >= deadline {
                return None;
            }
        }
    }

    /// Waits up to `timeout` for the program to exit.
    pub fn wait_exit(&mut self, p: Proc, timeout: Duration) -> Option<ExitStatus> {
        self.child(p).wait_exit(timeout)
    }

    /// A readable account of every program this check started: its status
    /// and the last lines of its stdout and stderr.
    pub fn process_report(&mut self) -> String {
        let mut out = String::new();
        let roles: Vec<Role> = self.procs.iter().map(|l| l.role).collect();
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
            // Two of a role side by side (the timeout checks' runs with
            // LAB_TIMEOUT 1 and 3): told apart by what they were given.
            let given = if roles.iter().filter(|r| **r == launched.role).count() > 1
                && !launched.env_note.is_empty()
            {
                format!(" (with {})", launched.env_note)
            } else {
                String::new()
            };
            out.push_str(&format!(
                "{} `{}`{given}: {status}\n",
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
                let mut skip = lines.len().saturating_sub(8);
                // A crash is shown from its start when that is near (up to
                // 16 lines): the last 8 of a Node crash were the runtime's
                // frames, cutting the program's own line (blind round 49).
                if let Some(start) = crash_start(&lines).filter(|&s| lines.len() - s <= 16) {
                    if stream == Stream::Stderr {
                        skip = skip.min(start);
                    }
                }
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
                if launched.child.read_slowly(stream) {
                    notes.push(format!(
                        "read at {} MiB/s past its first {} MiB: a program writing faster \
                         waited for its pipe",
                        crate::process::SLOW_RATE >> 20,
                        crate::process::FULL_SPEED_BYTES >> 20
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

    /// The program's last non-blank line on stderr, trimmed: most often
    /// what it died of.
    pub fn last_stderr_line(&mut self, p: Proc) -> Option<String> {
        self.child(p)
            .lines(Stream::Stderr)
            .iter()
            .rev()
            .map(|l| l.trim())
            // Rust's advice after a panic says nothing about this one.
            .find(|l| !l.is_empty() && !l.starts_with("note: run with `RUST_BACKTRACE"))
            .map(str::to_string)
    }

    /// Did this program die badly: killed by a signal, or a traceback or a
    /// panic on stderr? Returns a short description.
    pub fn crash_of(&mut self, p: Proc) -> Option<String> {
        let child = self.child(p);
        let status = child.try_status();
        let stderr = child.text(Stream::Stderr);
        if stderr.contains("Traceback (most recent call last)") {
            // Its last line names the exception: what a student looks for.
            let last = last_words(&stderr);
            return Some(match last {
                Some(last) => format!(
                    "a Python traceback on stderr, ending `{}`",
                    truncate(last, 120)
                ),
                None => "a Python traceback on stderr".into(),
            });
        }
        if stderr.contains("panicked at") {
            return Some(match panic_message(&stderr) {
                Some(message) => format!("a Rust panic on stderr: `{}`", truncate(message, 120)),
                None => "a Rust panic on stderr".into(),
            });
        }
        // Other runtimes' uncaught errors, which exit 1 like a program
        // that reports its error itself: told apart by their stack trace.
        if let Some(line) = stderr
            .lines()
            .find(|l| l.starts_with("Exception in thread \""))
        {
            return Some(format!(
                "an uncaught Java exception on stderr: `{}`",
                truncate(line.trim(), 120)
            ));
        }
        let stack_frame = |l: &str| {
            (l.starts_with("    at ") || l.starts_with("\tat "))
                && l.contains('(')
                && l.contains(':')
        };
        if stderr.lines().any(stack_frame) {
            let error = stderr
                .lines()
                .find(|l| l.contains("Error") || l.contains("Exception"))
                .unwrap_or("");
            return Some(format!(
                "an uncaught error with its stack trace on stderr: `{}`",
                truncate(error.trim(), 120)
            ));
        }
        if stderr.contains("goroutine ") && stderr.contains("panic: ") {
            return Some("a Go panic on stderr".into());
        }
        if stderr.contains("terminate called after throwing") {
            return Some("an uncaught C++ exception on stderr".into());
        }
        if let Some(status) = status {
            if status.code().is_none() {
                return Some(describe_status(status));
            }
        }
        None
    }

    /// Starts a server role on port 0 (its contract's port variable, unless
    /// `env` sets it) and finds the port it listens on; returns that address.
    ///
    /// The port comes from the system's socket table (on Linux), not from
    /// the program's Listening line: a line that is missing, reworded or
    /// stuck in a buffer must not hide every other mistake. The line is
    /// judged once, by the role's line check ([`Ctx::listening_line`]); every
    /// other check goes on against the port the program really listens on.
    pub fn start_server(
        &mut self,
        role: Role,
        args: &[String],
        env: &[(&str, String)],
    ) -> Result<(Proc, SocketAddr), Failure> {
        let p = self.spawn(role, args, env)?;
        let contract = role.contract();
        let port_given = contract.port_in(env);
        self.notes_env_default = args.is_empty() && port_given.is_none_or(|v| v == "0");
        let expected_port: Option<u16> = port_given
            .and_then(|v| v.parse().ok())
            .filter(|port| *port != 0);
        let pattern = contract.announcement(format!("{HOST}:PORT"));
        self.step(format!(
            "wait for it to listen (the system's socket table) and to print `{pattern}`"
        ));
        let expected = format!("the server listens and prints `{pattern}` naming the real port");
        let until = Instant::now() + STARTUP;
        // Ports in the order they appeared: a module that starts a server of
        // its own when imported listens before the real server does.
        let mut seen: Vec<u16> = Vec::new();
        let mut listening_since: Option<Instant> = None;
        let mut announced_since: Option<Instant> = None;
        let mut elsewhere_since: Option<Instant> = None;
        // Each round reads the socket table (a walk of /proc): keep the
        // rounds few; a Listening line ends the wait at once. The first
        // round waits first: a program that has only just started listens
        // on nothing yet. After a few rounds they grow longer: a program
        // that listens without a word is then judged a little later (its
        // grace counts from when it was seen listening), never sooner.
        let mut rounds = 0u32;
        let mut line_heard = false;
        // What its line check needs to judge (and to run it again).
        let note = |port| ListenNote {
            proc: p,
            role,
            port,
            silent: false,
            everywhere: None,
            announced: false,
            listening_at: None,
            args: args.to_vec(),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        };
        loop {
            rounds += 1;
            let slice = Duration::from_millis(if rounds <= 3 { 100 } else { 250 });
            let asked = Instant::now();
            let heard = self
                .wait_stdout(p, slice, |l| contract.is_announcement(l))
                .is_some();
            // Trap: once the program has closed its stdout, or once its
            // line is there, wait_stdout returns at once; without this
            // pause the loop spins a core. Not right after the line came:
            // the rest of the slice would only delay every server start.
            let just_heard = heard && !line_heard;
            line_heard |= heard;
            if let (false, Some(rest)) = (just_heard, slice.checked_sub(asked.elapsed())) {
                self.child(p).wait_exit(rest);
            }
            let line = self
                .child(p)
                .lines(Stream::Stdout)
                .into_iter()
                .find(|l| contract.is_announcement(l));
            let announced = line.as_deref().and_then(|l| contract.parse(l));
            // A tree known to have ended listens nowhere: no walk (with
            // its leader gone, that walk reads every process's /proc).
            let sockets = if self.child(p).tree_ended() {
                Some(Vec::new())
            } else {
                listening_sockets_of(self.child(p).pid(), contract.transport)
            };
            let table = sockets.as_deref().map(ports_of);
            for port in table.iter().flatten() {
                if !seen.contains(port) {
                    seen.push(*port);
                }
            }
            let now_listening = table.clone().unwrap_or_default();
            if !now_listening.is_empty() {
                self.procs[p.0].listened = true;
            }
            if let (Some(addr), Some(line)) = (announced, &line) {
                // Trap: `bind(("", port))` / INADDR_ANY listens on every
                // address, loopback included, and announces 0.0.0.0. That
                // ignores the host variable, but the behaviour checks can
                // still run on HOST: the line check alone reports it (it
                // was reported by every check, one mistake hiding all).
                let reachable = addr.ip().is_unspecified() || addr.ip().is_loopback();
                if addr.ip() != std::net::IpAddr::V4(HOST)
                    && reachable
                    && addr.port() != 0
                    && table
                        .as_ref()
                        .is_none_or(|ports| ports.contains(&addr.port()))
                    && expected_port.is_none_or(|port| port == addr.port())
                {
                    self.step(format!(
                        "it announced `{}`, not {HOST}: the checks go on against {HOST}:{}",
                        line.trim_end(),
                        addr.port()
                    ));
                    // Announced 0.0.0.0: bound there too, which the role's
                    // config check names as well ([`Ctx::listens_everywhere`]).
                    let everywhere = addr.ip().is_unspecified().then_some(addr);
                    self.notes.push(ListenNote {
                        everywhere,
                        ..note(addr.port())
                    });
                    return Ok(self.announced(p, SocketAddr::from((HOST, addr.port()))));
                }
                if addr.ip() != std::net::IpAddr::V4(HOST) && !reachable {
                    return Err(fail(
                        Diagnosis::IgnoresConfig,
                        format!("the server listens on {}={HOST}", contract.host_var),
                        format!("it announced `{line}`"),
                    ));
                }
                if let Some(port) = expected_port {
                    if addr.port() != port && addr.port() != 0 {
                        return Err(fail(
                            Diagnosis::IgnoresConfig,
                            format!("the server listens on {}={port}", contract.port_var),
                            format!("it announced `{line}`{}", swapped(port, addr.port())),
                        ));
                    }
                }
                let since = *announced_since.get_or_insert_with(Instant::now);
                match &table {
                    // No socket table here: the line is all we have.
                    None if addr.port() != 0 => return Ok(self.announced(p, addr)),
                    None => {
                        return Err(fail(
                            Diagnosis::OutputFormat,
                            expected,
                            format!("it announced port 0: `{line}` — ask the socket for its real address (getsockname() / local_addr())"),
                        ))
                    }
                    Some(ports) if ports.contains(&addr.port()) => {
                        let sockets = sockets.as_deref().unwrap_or_default();
                        if let Some(bound) = bound_everywhere(sockets, addr) {
                            // Its line check says so; the others go on.
                            self.step(format!(
                                "it announced {addr} but listens on {bound} (the system's socket table): every address of the machine"
                            ));
                            self.notes.push(ListenNote {
                                everywhere: Some(bound),
                                announced: true,
                                ..note(addr.port())
                            });
                        }
                        return Ok(self.announced(p, addr));
                    }
                    // Announced before listen() returned, or never listens:
                    // a moment, then the connect will tell.
                    Some(ports)
                        if ports.is_empty()
                            && addr.port() != 0
                            && since.elapsed() >= Duration::from_secs(1) =>
                    {
                        return Ok(self.announced(p, addr))
                    }
                    _ => {}
                }
            }
            if self.child(p).try_status().is_some() {
                // Its last words have been read by now: look again.
                let announced = self
                    .child(p)
                    .lines(Stream::Stdout)
                    .iter()
                    .find_map(|l| contract.parse(l));
                if let Some(addr) = announced.filter(|a| a.port() != 0) {
                    // It announced a port and ended: the connect will tell.
                    return Ok(self.announced(p, addr));
                }
                return Err(self.startup_failure(role, p, &expected));
            }
            let elsewhere = expected_port.filter(|port| !now_listening.contains(port));
            if let (Some(port), false) = (elsewhere, now_listening.is_empty()) {
                // Trap: a module that starts a server of its own when
                // imported listens first; the real one binds LAB_PORT a
                // moment later. Judged after the same grace as a missing
                // line.
                let since = *elsewhere_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= LINE_GRACE || Instant::now() >= until {
                    return Err(fail(
                        Diagnosis::IgnoresConfig,
                        format!("the server listens on {}={port}", contract.port_var),
                        format!(
                            "it listens on port {} (the system's socket table){}",
                            join_ports(&now_listening),
                            now_listening
                                .first()
                                .map(|p| swapped(port, *p))
                                .unwrap_or_default()
                        ),
                    ));
                }
            } else if !now_listening.is_empty() {
                let since = *listening_since.get_or_insert_with(Instant::now);
                // A correct program prints its line right after listen():
                // give it a moment before judging without it (or less, if
                // a slow start left no time).
                if since.elapsed() >= LINE_GRACE || Instant::now() >= until {
                    let port = expected_port
                        .or_else(|| {
                            seen.iter()
                                .rev()
                                .find(|p| now_listening.contains(p))
                                .copied()
                        })
                        .unwrap_or(now_listening[0]);
                    let silent = self.child(p).text(Stream::Stdout).is_empty();
                    let given = SocketAddr::from((HOST, port));
                    let sockets = sockets.as_deref().unwrap_or_default();
                    let everywhere = bound_everywhere(sockets, given);
                    // Nothing at all is no line worded wrong (blind round
                    // 78: "no well-formed line" sent a beginner to the
                    // wording, where the output was held in a buffer).
                    let printed = if silent {
                        "printed no Listening line, nothing at all on stdout,"
                    } else {
                        "printed no well-formed Listening line"
                    };
                    self.step(format!(
                        "it listens on {} (the system's socket table) but {printed} within {:.1}s: the checks go on against {given}",
                        everywhere.unwrap_or(given),
                        LINE_GRACE.as_secs_f64()
                    ));
                    let listening_at = self.child(p).elapsed().checked_sub(since.elapsed());
                    self.notes.push(ListenNote {
                        silent,
                        everywhere,
                        listening_at,
                        ..note(port)
                    });
                    return Ok(self.announced(p, SocketAddr::from((HOST, port))));
                }
            }
            if Instant::now() >= until {
                return Err(self.startup_failure(role, p, &expected));
            }
        }
    }

    /// The address a server was found on, noted for the wire evidence.
    fn announced(&self, p: Proc, addr: SocketAddr) -> (Proc, SocketAddr) {
        if self.procs[p.0].role.waits_for_the_client_to_close() {
            note_session_port(addr.port());
        } else {
            note_port(addr.port());
        }
        (p, addr)
    }

    /// The role's line check: judges the Listening line of a server started
    /// with [`Ctx::start_server`]. `Ok` when the line was right (or the
    /// program was never started here).
    ///
    /// Buffering is proven, not guessed: `stdout-buffered` only when the
    /// line does come — later (at exit) on the pipe, or at once when the
    /// same program runs with its stdout on a pseudo-terminal. Otherwise
    /// the line is missing or worded otherwise (`output-format`).
    pub fn listening_line(&mut self, p: Proc) -> Result<(), Failure> {
        let Some(note) = self.notes.iter().find(|n| n.proc == p).cloned() else {
            return Ok(());
        };
        let judged = self.judge_line(&note);
        let Some(everywhere) = Self::everywhere(&note) else {
            return judged;
        };
        // Bound on every address (the socket table): the line check's one
        // diagnosis goes to the line itself when it is wrong too; the
        // address is said beside it (and the config check of a role that
        // has one names it too: [`Ctx::listens_everywhere`]).
        match judged {
            Ok(()) => {
                let mut f = everywhere;
                f.observed = format!("it announced {HOST}:{} but {}", note.port, f.observed);
                Err(f)
            }
            // (Unless the line's own finding says it: announced 0.0.0.0.)
            Err(f) if f.observed.contains("every address") => Err(f),
            Err(mut f) => {
                f.observed
                    .push_str(&format!("; also, {}", everywhere.observed));
                Err(f)
            }
        }
    }

    /// The server `p` (started with [`Ctx::start_server`]) listens on every
    /// address of the machine, not the one it was given: the failure that
    /// says so (`ignores-config`). For a role's config check, where the
    /// Listening line's own mistake (held in a buffer) would hide it
    /// (blind round 31: a C server's 0.0.0.0 was said only inside
    /// stdout-buffered's observation).
    pub fn listens_everywhere(&self, p: Proc) -> Option<Failure> {
        let note = self.notes.iter().find(|n| n.proc == p)?;
        Self::everywhere(note)
    }

    fn everywhere(note: &ListenNote) -> Option<Failure> {
        let bound = note.everywhere?;
        let host_var = note.role.contract().host_var;
        Some(fail(
            Diagnosis::IgnoresConfig,
            format!("the server listens on {host_var}={HOST} only, the address it announces"),
            format!(
                "it listens on {bound} (the system's socket table): every address of the machine, reachable from the network, not only {HOST}; bind the address {host_var} gives (not INADDR_ANY, \"\" or a ServerSocket without an address)"
            ),
        )
        .hinted(format!("Bind the address {host_var} gives ({HOST} by default), not every address: `sock.bind((HOST, PORT))` with HOST read from {host_var}, never `\"\"` or `0.0.0.0`; in C `inet_pton` of it into `sin_addr`, not INADDR_ANY; in Java `new ServerSocket(port, backlog, InetAddress.getByName(host))`; in Node `server.listen(port, host)`. Bound everywhere, your server is reachable from the whole network, whatever its Listening line says.")))
    }

    /// The Listening line of the server `note` is about.
    fn judge_line(&mut self, note: &ListenNote) -> Result<(), Failure> {
        let p = note.proc;
        let port = note.port;
        let contract = note.role.contract();
        let want = contract.announcement(format!("{HOST}:{port}"));
        let expected = format!(
            "the stdout line `{want}` as soon as it listens (it listens on port {port}: the system's socket table says so)"
        );
        self.step("look for the Listening line again");
        // Output held in a buffer comes out when the program exits.
        let exited = self.child(p).try_status().is_some();
        let lines = self.child(p).lines(Stream::Stdout);
        let good = lines.iter().find(|l| {
            contract.is_announcement(l) && {
                contract
                    .parse(l)
                    .is_some_and(|a| a.port() == port && a.ip() == std::net::IpAddr::V4(HOST))
            }
        });
        if let Some(line) = good {
            if note.silent {
                // Later is no proof: a program may print its line late
                // (slow work between listen() and the print) and flush it.
                // Buffering is proven when the same program prints the
                // line clearly sooner with its stdout on a terminal.
                let at = self.line_at(p, line);
                let terminal = self.on_a_terminal(note, at)?;
                if let OnTerminal::AsLate = terminal {
                    self.step(
                        "on a terminal the line came as late: printed late, not held in a buffer",
                    );
                    return Ok(());
                }
                let when = if exited {
                    "only when the program exited"
                } else {
                    "only later"
                };
                let failure = fail(
                    Diagnosis::StdoutBuffered,
                    expected,
                    format!(
                        "it was listening for {:.1}s with nothing on stdout; `{}` came {when}: its output waits in a buffer{}",
                        LINE_GRACE.as_secs_f64(),
                        line.trim_end(),
                        if matches!(terminal, OnTerminal::Nothing) {
                            ", and with its stdout on a terminal nothing came either"
                        } else {
                            ""
                        }
                    ),
                );
                // Buffered at a terminal too (blind round 41: a C setvbuf
                // _IOFBF server told "on a terminal your lines show").
                return Err(match terminal {
                    OnTerminal::Nothing => failure.hinted(EVEN_AT_A_TERMINAL),
                    _ => failure,
                });
            }
            return Ok(());
        }
        // The line on stderr (a logging library's default): the stream is
        // the mistake; no terminal run needed to say so.
        let on_stderr = self
            .child(p)
            .lines(Stream::Stderr)
            .into_iter()
            .find(|l| contract.is_announcement(l));
        if let Some(line) = on_stderr {
            return Err(fail(
                Diagnosis::OutputFormat,
                expected,
                format!("`{}` went to stderr, not stdout", line.trim_end()),
            ));
        }
        // Listening on every address (0.0.0.0) instead of the given host:
        // the port is right, the host variable was not used.
        let elsewhere = lines.iter().find(|l| {
            contract
                .parse(l)
                .is_some_and(|a| a.port() == port && a.ip() != std::net::IpAddr::V4(HOST))
        });
        if let Some(line) = elsewhere {
            let shown = line.trim_end();
            let everywhere = contract
                .parse(shown)
                .is_some_and(|a| a.ip().is_unspecified());
            return Err(fail(
                Diagnosis::IgnoresConfig,
                expected,
                if everywhere {
                    format!(
                        "it announced `{shown}`: it listens on every address of the machine, not only on {}={HOST}: bind the address {} gives",
                        contract.host_var, contract.host_var
                    )
                } else {
                    format!("it announced `{shown}`, not {}={HOST}", contract.host_var)
                },
            ));
        }
        if note.silent && !lines.is_empty() {
            // Silent while it listened, and now there is output: it came
            // later (at exit). Held in a buffer if, on a terminal, the same
            // program prints its line clearly sooner. That is this check's
            // verdict if the Listening line is among what came; if not,
            // the line is missing whatever the buffering.
            let when = if exited { "when it exited" } else { "later" };
            let seen = crate::grade::compare::closest(&want, &lines).map(str::to_string);
            let held = match &seen {
                Some(seen) => {
                    let at = self.line_at(p, seen);
                    !matches!(self.on_a_terminal(note, at)?, OnTerminal::AsLate)
                }
                None => false,
            };
            if let Some(seen) = seen.as_deref().filter(|_| held) {
                return Err(fail(
                    Diagnosis::StdoutBuffered,
                    expected,
                    format!(
                        "it was listening for {:.1}s with nothing on stdout; its lines came only {when}: its output waits in a buffer; and the line itself differs:\n{}",
                        LINE_GRACE.as_secs_f64(),
                        crate::grade::compare::show_near_miss(&want, seen)
                    ),
                ));
            }
            if seen.is_none() {
                return Err(fail(
                    Diagnosis::OutputFormat,
                    expected,
                    format!(
                        "no Listening line: nothing like it among the {} stdout lines, which came only {when}",
                        lines.len()
                    ),
                ));
            }
            // A near miss printed late but not held in a buffer: judged
            // below as the line it is.
        }
        if let Some(seen) = crate::grade::compare::closest(&want, &lines) {
            let seen = seen.to_string();
            return Err(fail(
                Diagnosis::OutputFormat,
                expected,
                format!(
                    "no such line; the closest line printed:\n{}",
                    crate::grade::compare::show_near_miss(&want, &seen)
                ),
            ));
        }
        if lines.is_empty() {
            match self.on_a_terminal(note, None)? {
                OnTerminal::Sooner(proof) => {
                    return Err(fail(Diagnosis::StdoutBuffered, expected, proof))
                }
                OnTerminal::Late(gap, line) => {
                    return Err(fail(
                        Diagnosis::OutputFormat,
                        expected,
                        format!(
                            "it was listening for {:.1}s with nothing on stdout; run again with its stdout on a terminal, `{line}` came {:.1}s after it listened there too: printed late, not held in a buffer (work, or a sleep, between listen() and the line?); clients learn the port from this line, so print it as soon as the socket listens",
                            LINE_GRACE.as_secs_f64(),
                            gap.as_secs_f64()
                        ),
                    )
                    .hinted("Print the Listening line (and flush it) right after listen() returns, before anything else the program does: a client (and the grader) learns the port from it, and waits for it. Loading data, warming up or sleeping goes before bind()/listen() or after the line, never between."))
                }
                _ => {}
            }
            if let Some(proof) = self.shown_when_interrupted(p, port, contract) {
                return Err(
                    fail(Diagnosis::StdoutBuffered, expected, proof).hinted(EVEN_AT_A_TERMINAL)
                );
            }
        }
        let printed = if lines.is_empty() {
            "nothing on stdout".to_string()
        } else {
            format!("{} other stdout lines (see below)", lines.len())
        };
        Err(fail(
            Diagnosis::OutputFormat,
            expected,
            format!("no Listening line ({printed}), although it listens on port {port}"),
        ))
    }

    /// A server silent on the pipe and on a terminal alike may still hold
    /// its lines in a buffer of its own making (a stdout re-wrapped with
    /// no line buffering, a Java BufferedOutputStream): stopped the way a
    /// person stops it, with Ctrl+C, most programs flush at exit. The
    /// proof, if its announcement then comes (blind round 40: a threaded
    /// server told it had no Listening line, which its shutdown check then
    /// saw).
    ///
    /// Only the announcement of the address it listens on counts (hostile
    /// round 41: any line of the form was taken).
    fn shown_when_interrupted(
        &mut self,
        p: Proc,
        port: u16,
        contract: &super::contract::Contract,
    ) -> Option<String> {
        if self.child(p).try_status().is_some() {
            return None;
        }
        self.step("nothing on a terminal either: stop it as a person would, and look at what it prints as it ends");
        self.signal(p, Signal::Interrupt);
        self.child(p).wait_exit(SLACK)?;
        let lines = self.child(p).lines(Stream::Stdout);
        let line = lines.iter().find(|l| {
            contract
                .parse(l)
                .is_some_and(|a| a.port() == port && a.ip() == std::net::IpAddr::V4(HOST))
        })?;
        Some(format!(
            "it was listening with nothing on stdout, on a pipe and on a terminal alike; stopped with Ctrl+C (SIGINT), it printed `{}` only as it ended: its output waited in a buffer of its own until exit (a stdout wrapped again or opened with a buffer, without line buffering?), unless it prints that line only then",
            line.trim_end()
        ))
    }

    /// When `line` came on the program's stdout (since it started).
    fn line_at(&mut self, p: Proc, line: &str) -> Option<Duration> {
        self.child(p)
            .timed_lines(Stream::Stdout)
            .into_iter()
            .find(|l| l.text.trim_end() == line.trim_end())
            .map(|l| l.at)
    }

    /// Runs the program of `note` again with its stdout on a pseudo-terminal
    /// (where stdio is line-buffered): if a Listening line comes there at
    /// once, the one on the pipe was stuck in a buffer (the proof). With
    /// `pipe_at` (when the line came on the pipe, since the start), "at
    /// once" means at least [`SOONER`] sooner than that, each counted from
    /// the run's listen() where both are known, and a line that comes as
    /// late is the opposite proof: printed late, not held (a program that
    /// works between listen() and its line). A program whose own buffer
    /// holds its lines until exit (a BufWriter) shows nothing on a terminal
    /// either. `Err` (grader-error) when the sandbox could not be set up.
    #[cfg(unix)]
    fn on_a_terminal(
        &mut self,
        note: &ListenNote,
        pipe_at: Option<Duration>,
    ) -> Result<OnTerminal, Failure> {
        let Some(argv) = self.submission.command(note.role) else {
            return Ok(OnTerminal::Nothing);
        };
        let mut full: Vec<String> = argv.to_vec();
        full.extend(note.args.iter().cloned());
        // The same sandbox as the first run: it is the same untrusted program.
        let origin = self.submission.origin(note.role);
        let (mut cmd, confinement) = self.jail().command(&full, origin);
        without_inherited_settings(&mut cmd);
        let contract = note.role.contract();
        for (key, value) in contract.env {
            cmd.env(key, value);
        }
        for (key, value) in &note.env {
            cmd.env(key, value);
        }
        // Any free port: the first run still holds its own.
        cmd.env(contract.port_var, "0");
        self.step(format!(
            "run `{}` again with its stdout on a pseudo-terminal (line-buffered there), to tell a buffered line from a missing one",
            shell_words(&full)
        ));
        let child = match Child::spawn_on_pty(cmd, STARTUP + SLACK, Some(confinement)) {
            Ok(child) => child,
            Err(e) if !program_at_fault(&e) => {
                return Err(fail(
                    Diagnosis::GraderError,
                    "the program starts on a pseudo-terminal",
                    format!("the grader could not set up its sandbox: {e}; please report this"),
                ))
            }
            Err(_) => return Ok(OnTerminal::Nothing),
        };
        // Wait past the pipe's time: a run on a loaded machine may start
        // slower, and a late line that comes later still is "as late".
        let within = pipe_at.map_or(STARTUP, |t| (t + 3 * SOONER).min(STARTUP));
        let (line, pty_listening_at) =
            wait_line_noting_listen(&child, (within, contract.transport), |l| {
                contract.looks_like_announcement(l)
            });
        let Some(line) = line else {
            return Ok(OnTerminal::Nothing);
        };
        if let Some(pipe_at) = pipe_at {
            let pty_at = child
                .timed_lines(Stream::Stdout)
                .into_iter()
                .find(|l| l.text == line)
                .map(|l| l.at);
            // Compared from each run's listen(), where both are known: the
            // time to get there (an interpreter's start, slow under load)
            // is no part of what a buffer holds back. The line came on the
            // pipe at least LINE_GRACE after it.
            let (pipe_gap, pty_gap) = match (note.listening_at, pty_listening_at, pty_at) {
                (Some(pipe_listen), Some(pty_listen), Some(at)) => (
                    pipe_at.saturating_sub(pipe_listen),
                    Some(at.saturating_sub(pty_listen)),
                ),
                (_, _, at) => (pipe_at, at),
            };
            // Sooner by SOONER and by half: two runs of a program that works
            // before its (flushed) line differ by the machine's load, not
            // by a factor of two (a run among a burst of checks vs one
            // alone), while a held line comes at exit, long after.
            if pty_gap.is_none_or(|t| t + SOONER > pipe_gap || t * 2 > pipe_gap) {
                return Ok(OnTerminal::AsLate);
            }
        } else if let (Some(listen), Some(at)) = (
            pty_listening_at,
            child
                .timed_lines(Stream::Stdout)
                .into_iter()
                .find(|l| l.text == line)
                .map(|l| l.at),
        ) {
            // Nothing on the pipe to compare with: a line that came well
            // after listen() on a terminal too is late, not held (blind
            // round 44: a line 8 s after listen() was "printed at once").
            let gap = at.saturating_sub(listen);
            if gap >= LINE_GRACE + SOONER {
                return Ok(OnTerminal::Late(gap, line.trim_end().to_string()));
            }
        }
        let mut text = format!(
            "nothing came on stdout (a pipe) while it listened; with stdout on a terminal the same program printed at once:\n        `{}`\n        so the line is stuck in stdout's buffer when stdout is a pipe",
            line.trim_end()
        );
        if contract.parse(&line).is_none_or(|a| a.port() == 0) {
            let port = listening_ports_of(child.pid(), contract.transport)
                .and_then(|ports| ports.first().copied())
                .unwrap_or(0);
            let want = contract.announcement(format!("{HOST}:{port}"));
            text.push_str(&format!(
                "; the line itself differs too:\n{}",
                crate::grade::compare::show_near_miss(&want, line.trim_end())
            ));
        }
        Ok(OnTerminal::Sooner(text))
    }

    #[cfg(not(unix))]
    fn on_a_terminal(
        &mut self,
        _note: &ListenNote,
        _pipe_at: Option<Duration>,
    ) -> Result<OnTerminal, Failure> {
        Ok(OnTerminal::Nothing)
    }

    /// The port a server was found listening on without a well-formed
    /// Listening line, if that is what happened (its line check reports it;
    /// other checks name it as the cause of failures that follow from it).
    pub fn unannounced(&self, p: Proc) -> bool {
        self.notes.iter().any(|n| n.proc == p && !n.announced)
    }

    /// Has this server printed nothing at all while it was found listening?
    /// Its console lines are then judged at exit, or by its line check.
    pub fn quiet(&mut self, p: Proc) -> bool {
        self.unannounced(p) && self.child(p).text(Stream::Stdout).is_empty()
    }

    /// What a program still running is doing, as far as the system's socket
    /// table tells: for a report that says "still running".
    pub fn still_doing(&mut self, p: Proc) -> String {
        if self.procs[p.0].role.line_check().is_none() {
            return "it has not ended".to_string();
        }
        let transport = self.procs[p.0].role.contract().transport;
        match listening_ports_of(self.child(p).pid(), transport) {
            Some(ports) if !ports.is_empty() => format!(
                "it is still listening on port {}: waiting for another connection instead of ending",
                join_ports(&ports)
            ),
            Some(_) => "it is not listening any more, yet it has not ended (a loop that never ends, or a wait without a timeout?)".to_string(),
            None => "it has not ended".to_string(),
        }
    }

    /// Why a server did not get to listen; in any check but the role's line
    /// check, the failure names that check as its cause (one start-up
    /// mistake, reported once).
    fn startup_failure(&mut self, role: Role, p: Proc, expected: &str) -> Failure {
        let failure = self.explain_no_listening(role, p, expected);
        // Only a start like the line check's own (LAB_PORT=0, no arguments)
        // fails for the same reason; a start on a given port may fail for
        // its own (a port an imported module took). One whose cause is
        // known already keeps it.
        let same_start = self.notes_env_default && failure.cause.is_none();
        match role.line_check() {
            Some(id) if same_start && self.check_id != Some(id) && self.check_id.is_some() => {
                failure.consequence_of(id)
            }
            _ => failure,
        }
    }

    fn explain_no_listening(&mut self, role: Role, p: Proc, expected: &str) -> Failure {
        if let Some(status) = self.child(p).try_status() {
            let how = describe_status(status);
            let last = self.last_stderr_line(p);
            if status.success() && last.is_none() && self.crash_of(p).is_none() {
                return fail(
                    Diagnosis::CannotStart,
                    expected,
                    format!(
                        "the program ended before it listened ({how}), saying nothing on stderr"
                    ),
                );
            }
            let mut observed = format!("the program died before it listened ({how})");
            if let Some(last) = &last {
                observed.push_str(&format!("; the last line on stderr: `{last}`"));
                // A program of this check started before it listens: the
                // two met on a port of their own choosing (blind round 35:
                // a port written in the code, told as one the program
                // took itself, with a hint about imports).
                if last.to_lowercase().contains("address already in use") {
                    let sibling = (0..self.procs.len())
                        .map(Proc)
                        .filter(|q| *q != p)
                        .filter_map(|q| {
                            let transport = self.procs[q.0].role.contract().transport;
                            listening_ports_of(self.child(q).pid(), transport)
                        })
                        .flatten()
                        .next();
                    if let Some(port) = sibling {
                        let port_var = role.contract().port_var;
                        observed.push_str(&format!(" — another program of this check, started before it, listens on port {port}: the two chose the same port themselves, not the one {port_var} gave each (a port written in the code, or read from the command line?)"));
                        let failure = fail(Diagnosis::IgnoresConfig, expected, observed);
                        return match role.config_check() {
                            Some(check) => failure.folded_if(check, &[Diagnosis::IgnoresConfig]),
                            None => failure,
                        };
                    }
                    observed.push_str(" — the grader had left that port free: something in your program (a module that starts a server or opens a socket when it is imported?) took it first");
                }
            }
            return fail(Diagnosis::StartupFailure, expected, observed);
        }
        let printed = self.child(p).lines(Stream::Stdout);
        if printed.is_empty() && self.child(p).is_closed(Stream::Stdout) {
            return fail(
                Diagnosis::OutputFormat,
                expected,
                "the program closed its stdout without printing anything: the grader can never see a Listening line",
            );
        }
        match listening_ports_of(self.child(p).pid(), role.contract().transport) {
            Some(ports) if ports.is_empty() => fail(
                Diagnosis::Hangs,
                expected,
                format!(
                    "still running {}s after it started, listening on no port (the system's socket table){}",
                    STARTUP.as_secs(),
                    if printed.is_empty() {
                        String::new()
                    } else {
                        format!("; its last stdout line: `{}`", printed.last().map(|l| l.trim_end()).unwrap_or(""))
                    }
                ),
            ),
            _ => fail(
                Diagnosis::OutputFormat,
                expected,
                format!(
                    "no Listening line within {}s{}",
                    STARTUP.as_secs(),
                    if printed.is_empty() { " and nothing on stdout (if your program prints it, make sure the line is flushed)" } else { "; other lines were printed" }
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
            match probe_connect(addr) {
                Ok(stream) => return Ok(stream),
                Err(e)
                    if e.kind() == io::ErrorKind::ConnectionRefused && Instant::now() < until =>
                {
                    std::thread::sleep(Duration::from_millis(50));
                }
                // netlab's own failure, not the program's.
                Err(e) if crate::sandbox::is_failure(&e) => {
                    return Err(fail(
                        Diagnosis::GraderError,
                        format!("the grader connects a probe client to {addr}"),
                        format!("{e}; please report this"),
                    ))
                }
                Err(e) => {
                    let expected = format!("{addr} accepts connections, as announced");
                    // It listened, and stopped: its accept() timed out.
                    if let Some(why) = self.accept_gave_up() {
                        return Err(fail(
                            Diagnosis::Crash,
                            expected,
                            format!("connecting failed: {e}; {why}"),
                        ));
                    }
                    // It listened, and died (a listener closed after the
                    // first client, then used): that crash, not a missing
                    // listen() (blind round 35: both, for one mistake).
                    if let Some(status) = self.ended_badly() {
                        return Err(fail(
                            Diagnosis::Crash,
                            expected,
                            format!("connecting failed: {e}; the server had ended before: {status} (its last words are below)"),
                        ));
                    }
                    // It ended, with success, before this probe came:
                    // said (a one-shot server whose session went to a
                    // connection of its own, hostile round 78).
                    let ended = self.ended_well().map_or(String::new(), |(label, status)| {
                        format!("; the {label} had already ended ({status}) before this connection")
                    });
                    return Err(fail(
                        Diagnosis::MissingListen,
                        expected,
                        format!("connecting failed: {e}{ended}"),
                    ));
                }
            }
        }
    }

    /// The role of the program this check started last, when it has
    /// ended with success, and how (see [`Ctx::ended_badly`] for the other
    /// way). The last: a probe goes to the server started last (an
    /// earlier one that ended well, server-restart's first, is no news;
    /// hostile round 80).
    fn ended_well(&mut self) -> Option<(String, String)> {
        let p = Proc(self.procs.len().checked_sub(1)?);
        let status = self.child(p).try_status()?;
        status.success().then(|| {
            (
                self.procs[p.0].role.name().to_string(),
                crate::process::describe_status(status),
            )
        })
    }

    /// How a program of this check that was seen listening, and has
    /// since ended with a failure, ended (an exit status other than 0, or
    /// a signal), if one did. (One never seen listening that died is the
    /// listen() it never made: missing-listen.)
    fn ended_badly(&mut self) -> Option<String> {
        let procs: Vec<Proc> = (0..self.procs.len()).map(Proc).collect();
        procs.into_iter().find_map(|p| {
            if !self.procs[p.0].listened {
                return None;
            }
            let status = self.child(p).try_status()?;
            (!status.success()).then(|| crate::process::describe_status(status))
        })
    }

    /// Did a program of this check end badly because its `accept()` timed
    /// out (a timeout set on the listening socket, meant for the client's
    /// reads: Python's `settimeout` before accept, Perl's `Timeout =>`,
    /// Java's `setSoTimeout` on the ServerSocket)? Said from its last words
    /// as each runtime writes them: one line naming accept with its
    /// timeout (Perl's `accept failed: Connection timed out`, Java's
    /// `SocketTimeoutException: Accept timed out`, C's perror), or a
    /// Python traceback that ends in a timeout raised in `accept` itself
    /// (not in a function of the program's that happens to be called
    /// accept_client). Blind round 15: told missing-listen ("without
    /// listen() the port refuses"), or a read timeout that fired "0.0s
    /// after the client connected".
    pub fn accept_gave_up(&mut self) -> Option<String> {
        let procs: Vec<Proc> = (0..self.procs.len()).map(Proc).collect();
        procs.into_iter().find_map(|p| {
            let child = self.child(p);
            if child.try_status()?.success() {
                return None;
            }
            let stderr = child.text(Stream::Stderr);
            let said = accept_timeout_said(&stderr)?;
            Some(format!(
                "it stopped listening when its accept() timed out (`{}`): a timeout on the listening socket bounds accept()'s wait for a client; a read timeout belongs on the accepted connection",
                truncate(said, 120)
            ))
        })
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

    /// Aborts a probe's connection: closed with a linger of zero, so the
    /// peer gets an RST instead of a FIN, as when a client program is
    /// killed with data unread, or its machine drops off the network. The
    /// peer's next read fails with ECONNRESET and its next write with
    /// EPIPE (a signal, SIGPIPE, that ends a C program which did not
    /// ignore it): what a server must survive.
    pub fn reset(&mut self, stream: TcpStream) {
        let me = stream
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        self.step(format!("the client {me} resets its connection (RST)"));
        // Best effort: without the linger option the close is a plain FIN,
        // which the checks' other steps survive as well.
        let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
        drop(stream);
    }
}

/// Is a spawn error the program's own (no such program, not executable,
/// not a program at all)? Anything else failed in the sandbox's setup
/// before the exec, which is netlab's fault (a launcher's failure comes
/// without an errno: `sandbox::is_failure`).
/// How many times a program whose file is busy (ETXTBSY) is started
/// before that is reported: 50 ms apart, about a second in all.
const SPAWN_ATTEMPTS: u32 = 20;

/// Was the program's file still open for writing somewhere (ETXTBSY)?
fn text_file_busy(e: &io::Error) -> bool {
    #[cfg(unix)]
    {
        e.raw_os_error() == Some(nix::libc::ETXTBSY)
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

fn program_at_fault(e: &io::Error) -> bool {
    #[cfg(unix)]
    if let Some(errno) = e.raw_os_error() {
        use nix::libc;
        // By errno, not kind: EPERM (a refused unshare or setuid) is
        // PermissionDenied too, and is the grader's.
        let common = [
            libc::ENOENT,
            libc::EACCES,
            libc::ENOEXEC, // exec format error
            libc::ENOTDIR,
            libc::ELOOP,
            libc::ENAMETOOLONG,
            libc::ETXTBSY,
            libc::EISDIR,
            // A program whose ELF interpreter or libraries are broken
            // (hostile round 7: it was called netlab's own failure).
            libc::EIO,
        ];
        // Linux's own errnos for a broken ELF interpreter (not in macOS's
        // libc: naming them there broke the build).
        #[cfg(target_os = "linux")]
        let loader = [libc::ELIBBAD, libc::ELIBACC];
        #[cfg(not(target_os = "linux"))]
        let loader: [i32; 0] = [];
        return common.contains(&errno) || loader.contains(&errno);
    }
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied
    )
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

/// The most a probe keeps of what one connection sends it: far beyond any
/// reply or line of the contract (a chat line's bound is 64 KiB), so a
/// program that sends more is wrong already, and what it sends beyond is
/// not read. Trap (hostile round 22): kept whole, a server that streams
/// to every probe grew the grader (root, outside every sandbox limit) to
/// 8 GB in a class run.
pub const MAX_KEPT: usize = 1 << 20;

/// Connects a probe client of the grader's to `addr` (in the check's
/// network namespace) and notes its port as the grader's own: its acts
/// (its close, its reset) are never told as the program's in the wire
/// story. No step, no retry: see [`Ctx::connect`] for those.
pub fn probe_connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let stream = crate::sandbox::tcp_connect(&addr, SLACK)?;
    note_grader_port(stream.local_addr().map_or(0, |a| a.port()));
    Ok(stream)
}

/// Reads until the peer closes or `timeout` passes, keeping at most
/// [`MAX_KEPT`] bytes: past that it stops as if the time were up (the
/// reply is wrong whatever comes after).
pub fn read_to_end(stream: &mut TcpStream, timeout: Duration) -> (Vec<u8>, End) {
    let (data, end, _) = read_to_end_paused(stream, timeout);
    (data, end)
}

/// A pause in the middle of what a peer sent: how many bytes had come
/// before it, and how long nothing more came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    pub after: usize,
    pub lasted: Duration,
}

/// Shorter pauses between the bytes of one answer are not told: a program
/// descheduled between two writes on a loaded machine.
pub const PAUSE_TOLD: Duration = Duration::from_millis(100);

/// [`read_to_end`], and the first pause of at least [`PAUSE_TOLD`]
/// between two arrivals of bytes, if there was one.
pub fn read_to_end_paused(
    stream: &mut TcpStream,
    timeout: Duration,
) -> (Vec<u8>, End, Option<Pause>) {
    let until = Instant::now() + timeout;
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let mut pause = None;
    loop {
        let now = Instant::now();
        if now >= until || data.len() >= MAX_KEPT {
            return (data, End::Timeout, pause);
        }
        let _ = stream.set_read_timeout(Some(until - now));
        match stream.read(&mut buf) {
            Ok(0) => return (data, End::Eof, pause),
            Ok(n) => {
                // How long this read waited, not the time since the last
                // one: a grader thread slow to come back finds the bytes
                // there already, and that is no pause of the peer's.
                let lasted = now.elapsed();
                if pause.is_none() && !data.is_empty() && lasted >= PAUSE_TOLD {
                    pause = Some(Pause {
                        after: data.len(),
                        lasted,
                    });
                }
                data.extend_from_slice(&buf[..n]);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return (data, End::Timeout, pause)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return (data, End::Reset, pause),
        }
    }
}

/// Reads one `\n`-terminated line (without the newline) from `stream`,
/// keeping any bytes after it in `pending`. `Err` carries what arrived
/// (at most [`MAX_KEPT`] bytes without a line end: then as if the time
/// were up).
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
        if now >= until || pending.len() >= MAX_KEPT {
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
                until_readable(listener, until - Instant::now());
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

/// Where a check's programs crashed ([`Ctx::crash_site`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrashSite {
    /// The stack and the error, as [`crash_site_in`] reads them.
    pub site: String,
    /// The error's line alone (a panic's message), as the check's
    /// observation quotes it when the crash is what it saw.
    pub error: String,
    /// Every program of the check crashed there: its output tells that
    /// crash and nothing else.
    pub every_program: bool,
}

/// See [`Ctx::crash_site`]: the frames of the last stack on `stderr` and
/// the error's line, or a panic's place and message; and that error line
/// (or message) alone.
pub(crate) fn crash_site_in(stderr: &str) -> Option<(String, String)> {
    // `File "/dev/shm/netlab-jail-1-ab/server.py", line 9, in <module>`
    // and `at Server.main(Server.java:12)` read the same in every folder.
    let cut = |line: &str| -> String {
        let line = line.trim();
        match (line.find(['"', '(']), line.rfind('/')) {
            (Some(open), Some(slash)) if slash > open => {
                format!("{}{}", &line[..=open], &line[slash + 1..])
            }
            _ => line.to_string(),
        }
    };
    if let Some(at) = stderr.lines().find(|l| l.contains("panicked at")) {
        let message = panic_message(stderr).unwrap_or("");
        return Some((format!("{} {message}", cut(at)), message.to_string()));
    }
    let last = last_words(stderr)?;
    // (Or its frames alone: a report's tail of it.)
    let python = stderr.contains("Traceback (most recent call last)")
        || stderr.lines().any(|l| {
            let l = l.trim_start();
            l.starts_with("File \"") && l.contains("\", line ")
        });
    let frames: Vec<String> = stderr
        .lines()
        .filter(|l| {
            if python {
                l.trim_start().starts_with("File \"")
            } else {
                (l.starts_with("    at ") || l.starts_with("\tat ")) && l.contains(':')
            }
        })
        .map(cut)
        .collect();
    if frames.is_empty() {
        return None;
    }
    // The error's line: Python's last; a JVM's or Node's first that names
    // one (their stack comes after it).
    let error = if python {
        last
    } else {
        stderr
            .lines()
            .find(|l| l.contains("Error") || l.contains("Exception"))
            .map(str::trim)
            .unwrap_or(last)
    };
    Some((
        format!("{} | {error}", frames.join(" | ")),
        error.to_string(),
    ))
}

/// Where the last crash on `lines` (a program's stderr) begins: a Python
/// traceback's first line (with the thread it names, when it does), a
/// Rust panic's, or the line that names a JVM's or Node's error (and the
/// place Node quotes above it: `file.js:23`, the code, a caret, a blank).
fn crash_start(lines: &[&str]) -> Option<usize> {
    let mut found = None;
    for (i, line) in lines.iter().enumerate() {
        let opening = line.starts_with("Traceback (most recent call last)")
            || line.contains("panicked at")
            || (!line.starts_with(char::is_whitespace)
                && (line.contains("Error") || line.contains("Exception"))
                && lines
                    .get(i + 1)
                    .is_some_and(|next| next.trim_start().starts_with("at ")));
        if !opening {
            continue;
        }
        let mut start = i;
        if line.starts_with("Traceback") && i > 0 && lines[i - 1].starts_with("Exception in thread")
        {
            start = i - 1;
        }
        // Node: `/path/server.js:23`, the code, `^`, a blank line.
        if i >= 4
            && lines[i - 4]
                .rsplit(':')
                .next()
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        {
            start = i - 4;
        }
        found = Some(start);
    }
    found
}

/// The last line of `stderr` with a word in it: a traceback's exception.
/// Not a rule under it (socketserver's `-----` after the traceback it
/// caught: blind round 15).
fn last_words(stderr: &str) -> Option<&str> {
    stderr
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.chars().any(char::is_alphanumeric))
}

/// The message of a Rust panic on `stderr`: on the line after `thread
/// 'main' panicked at FILE:LINE:COL:` (Rust 1.73 and later), or quoted
/// within it (`panicked at 'MESSAGE', FILE`, before).
fn panic_message(stderr: &str) -> Option<&str> {
    let mut lines = stderr.lines();
    let at = lines.find(|l| l.contains("panicked at"))?;
    let rest = at[at.find("panicked at")? + "panicked at".len()..].trim();
    if let Some(quoted) = rest.strip_prefix('\'') {
        return quoted
            .rsplit_once("', ")
            .map(|(m, _)| m)
            .filter(|m| !m.is_empty());
    }
    lines.map(str::trim).find(|l| !l.is_empty())
}

/// Sleeps until `listener` has a connection to accept, or `timeout` has
/// passed: no 5 ms wake-ups on the grader's side of every fake server
/// (5 ms naps where there is no poll).
fn until_readable(listener: &TcpListener, timeout: Duration) {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        crate::process::until_readable(listener.as_fd(), timeout);
    }
    #[cfg(not(unix))]
    {
        let _ = listener;
        std::thread::sleep(timeout.min(Duration::from_millis(5)));
    }
}

/// A listener for the grader's fake servers, on a free loopback port.
pub fn fake_listener() -> io::Result<TcpListener> {
    let listener = loopback_listener(0)?;
    note_grader_port(listener.local_addr()?.port());
    Ok(listener)
}

/// A loopback port where nothing listens right now.
///
/// Trap: the port is taken *below* the system's ephemeral range. A client
/// connecting to a free port inside that range can be given that very port
/// as its own source port and "connect" to itself (TCP simultaneous open):
/// seen in a fresh network namespace, where few ports are in use. A source
/// port is never below the range, so a port there is refused, as wanted.
pub fn closed_port() -> io::Result<u16> {
    let low = ephemeral_low().unwrap_or(32768);
    let mut rng = fastrand::Rng::new();
    for _ in 0..200 {
        let port = rng.u16(10_000..low.max(10_001));
        if loopback_listener(port).is_ok() {
            note_port(port);
            return Ok(port);
        }
    }
    // Every port tried was busy: let the system choose one.
    let listener = loopback_listener(0)?;
    let port = listener.local_addr()?.port();
    drop(listener);
    note_port(port);
    Ok(port)
}

/// The first port of the system's ephemeral (source port) range.
fn ephemeral_low() -> Option<u16> {
    #[cfg(target_os = "linux")]
    {
        let text = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
        text.split_whitespace().next()?.parse().ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        // The IANA range, used by macOS and Windows.
        Some(49152)
    }
}

/// Says so when `got` is `want` with its two bytes swapped: the port given
/// to bind() or connect() without htons() (C's sockaddr_in), read on a
/// little-endian machine. Empty otherwise.
pub fn swapped(want: u16, got: u16) -> String {
    if got != want && got == want.swap_bytes() {
        format!(
            ": port {got} is {want} with its two bytes swapped: a port goes into sockaddr_in in network byte order, so convert it with htons() (the configuration itself was read)"
        )
    } else {
        String::new()
    }
}

/// Is `port` free to bind again at once, as a restarted server would?
///
/// Trap: SO_REUSEADDR is set on Unix, but that is not enough. Linux lets a
/// bind share a port with a TIME_WAIT connection only when the socket that
/// connection came from had SO_REUSEADDR too; a server without it that
/// closed first still blocks the port after its exit (the no-reuseaddr
/// mistake). Whether anything still *listens* is [`nothing_listens_on`].
pub fn port_is_free(port: u16) -> bool {
    loopback_listener(port).is_ok()
}

/// Does nothing listen on `port` any more (a connection is refused)? Unlike
/// [`port_is_free`], connections left in TIME_WAIT do not count.
pub fn nothing_listens_on(port: u16) -> bool {
    let addr = SocketAddr::from((HOST, port));
    matches!(
        crate::sandbox::tcp_connect(&addr, Duration::from_secs(2)),
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused
    )
}

/// A listener of the grader's on `HOST:port` (0: any free port), in the
/// check's network namespace (see [`crate::sandbox::tcp_listener`]).
pub fn loopback_listener(port: u16) -> io::Result<TcpListener> {
    crate::sandbox::tcp_listener(SocketAddr::from((HOST, port)))
}

/// Shows bytes for a person: text in backticks, or escaped when not UTF-8.
pub fn show_bytes(bytes: &[u8]) -> String {
    // A probe stops reading at MAX_KEPT: the count is a floor then.
    let count = if bytes.len() >= MAX_KEPT {
        format!("{MAX_KEPT} bytes and more: the grader read no further")
    } else if bytes.len() == 1 {
        "1 byte".to_string()
    } else {
        format!("{} bytes", bytes.len())
    };
    match std::str::from_utf8(bytes) {
        Ok(text) => format!(
            "`{}` ({count})",
            truncate(&text.escape_debug().to_string(), 120),
        ),
        // The text as text, each byte that is not UTF-8 as `\xNN`: a
        // reply `ACK: ab\xc3(\xff\n` reads as what it is (a hex list of
        // every byte hid the `ACK: ` and the line end).
        Err(_) => {
            let mut shown = String::new();
            for chunk in bytes.utf8_chunks() {
                shown.push_str(&chunk.valid().escape_debug().to_string());
                for b in chunk.invalid() {
                    shown.push_str(&format!("\\x{b:02x}"));
                }
            }
            format!("`{}` ({count}, not UTF-8)", truncate(&shown, 120))
        }
    }
}

/// The line of `stderr` that says an `accept()` timed out, as each
/// runtime writes it (see [`Ctx::accept_gave_up`]): one line naming accept
/// with its timeout (not a traceback's `File` line), or the last line of a
/// Python traceback whose innermost frame is `accept` itself.
fn accept_timeout_said(stderr: &str) -> Option<&str> {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let one_line = lines.iter().copied().find(|l| {
        let l = l.to_lowercase();
        !l.starts_with("file \"")
            && l.contains("accept")
            && (l.contains("timed out") || l.contains("temporarily unavailable"))
    });
    let last = lines.last().copied();
    let python = last
        .is_some_and(|l| l.starts_with("TimeoutError") || l.starts_with("socket.timeout"))
        && lines
            .iter()
            .rev()
            .find(|l| l.starts_with("File \""))
            .is_some_and(|frame| frame.ends_with(" in accept"));
    one_line.or(last.filter(|_| python))
}

pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    format!("{cut}…")
}

/// Quotes an argv for display the way a shell user would type it, its
/// control characters escaped: a command comes from the submission's
/// netlab.toml, and a line break in a quoted argument put lines of its
/// making into reports (hostile round 22: a fake `✔` line and a fake
/// score in the text report and Gradescope's output).
pub fn shell_words(argv: &[String]) -> String {
    let words = shlex::try_join(argv.iter().map(String::as_str)).unwrap_or_else(|_| argv.join(" "));
    crate::message::escape_controls(&words).into_owned()
}

/// Removes the grader's own settings that would change what a program
/// shows: the program must flush its own output (that is a check), so an
/// inherited PYTHONUNBUFFERED must not hide the mistake; and a backtrace
/// (RUST_BACKTRACE set where the grader runs) pushes a panic's message out
/// of the last stderr lines a report quotes (a student saw only frames).
///
/// And it passes on only the environment a program needs to run (the
/// system's and the toolchains' variables), never one that looks like a
/// secret: the grader often runs in CI, where tokens sit in its
/// environment, and a program's output is quoted in reports (hostile round
/// 7). Trap: removed one by one, not `env_clear()`, which the sandbox's
/// launcher cannot see (see `Confinement::install`).
fn without_inherited_settings(cmd: &mut std::process::Command) {
    for name in ["PYTHONUNBUFFERED", "RUST_BACKTRACE", "RUST_LIB_BACKTRACE"] {
        cmd.env_remove(name);
    }
    for (name, _) in std::env::vars_os() {
        if !passed_to_programs(&name.to_string_lossy()) {
            cmd.env_remove(name);
        }
    }
    // One locale for every program, so that a verdict does not vary with
    // the locale of whoever grades (blind round 55: a Java server on the
    // platform's default charset passed under LANG=C.UTF-8 and failed
    // with LANG unset, as in CI); a French strerror() is not "address
    // already in use" either. Only where the machine has it: a locale that
    // is missing makes Perl warn on stderr at every start.
    if let Some(lang) = program_locale() {
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("LC_") || name == "LANGUAGE" {
                cmd.env_remove(name);
            }
        }
        cmd.env("LANG", lang);
    }
}

/// Do programs read their arguments as UTF-8, whatever their language?
/// Where they run in C.UTF-8, yes (Java decodes its arguments in the
/// locale's charset, and Python's would be ASCII's under plain C, PEP 538
/// aside). Elsewhere a check's arguments stay in ASCII: Java on Windows
/// decodes them in the ANSI code page, and a correct program would be
/// blamed for the grader's machine.
pub fn programs_read_utf8() -> bool {
    program_locale().is_some()
}

/// The locale programs run in: `C.UTF-8` where the machine has it
/// installed (Linux), else none is set (the grader's own LANG passes).
fn program_locale() -> Option<&'static str> {
    static FOUND: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let found = *FOUND.get_or_init(|| {
        cfg!(target_os = "linux")
            && ["/usr/lib/locale/C.utf8", "/usr/lib/locale/C.UTF-8"]
                .iter()
                .any(|p| Path::new(p).is_dir())
    });
    found.then_some("C.UTF-8")
}

/// Is the grader's environment variable `name` passed on to the programs
/// it starts?
fn passed_to_programs(name: &str) -> bool {
    const NAMES: &[&str] = &[
        "PATH",
        "HOME",
        "USER",
        "LOGNAME",
        "SHELL",
        "LANG",
        "LANGUAGE",
        "TERM",
        "TZ",
        "TMPDIR",
        "TEMP",
        "TMP",
        "VIRTUAL_ENV",
        "CARGO_HOME",
        "RUSTUP_HOME",
        "GOPATH",
        "GOROOT",
        "NETLAB_MISTAKE",
        "SYSTEMROOT",
        "SYSTEMDRIVE",
        "WINDIR",
        "COMSPEC",
        "PATHEXT",
        "USERPROFILE",
        "APPDATA",
        "LOCALAPPDATA",
        "PROGRAMDATA",
        "PROGRAMFILES",
    ];
    const PREFIXES: &[&str] = &[
        "LC_", "PYTHON", "PYENV_", "JAVA_", "JDK_", "_JAVA_", "NODE_", "NVM_", "CONDA_", "DOTNET_",
    ];
    let upper = name.to_ascii_uppercase();
    let secret = ["TOKEN", "SECRET", "PASSW", "KEY", "CREDENTIAL", "AUTH"]
        .iter()
        .any(|word| upper.contains(word));
    !secret && (NAMES.contains(&upper.as_str()) || PREFIXES.iter().any(|p| upper.starts_with(p)))
}

/// The socket `sockets` holds on `announced`'s port when it is bound on
/// every address (0.0.0.0 or ::) and none is on the announced address or
/// loopback: a program that binds INADDR_ANY and prints the host it was
/// given. Trap: a dual-stack `::` socket also takes 127.0.0.1.
fn bound_everywhere(sockets: &[SocketAddr], announced: SocketAddr) -> Option<SocketAddr> {
    let on_port: Vec<&SocketAddr> = sockets
        .iter()
        .filter(|s| s.port() == announced.port())
        .collect();
    if !announced.ip().is_loopback()
        || on_port
            .iter()
            .any(|s| s.ip() == announced.ip() || s.ip().is_loopback())
    {
        return None;
    }
    on_port
        .into_iter()
        .find(|s| s.ip().is_unspecified())
        .copied()
}

/// Ports on which the process group `pgid` is listening (Linux only:
/// read from /proc). Used to tell "buffered output" from "never listened".
pub fn listening_ports_of(pgid: u32, transport: Transport) -> Option<Vec<u16>> {
    listening_sockets_of(pgid, transport).map(|sockets| ports_of(&sockets))
}

/// The ports of `sockets`, sorted, without repeats.
pub fn ports_of(sockets: &[SocketAddr]) -> Vec<u16> {
    let mut ports: Vec<u16> = sockets.iter().map(SocketAddr::port).collect();
    ports.sort_unstable();
    ports.dedup();
    ports
}

/// Descriptors of a program's processes looked at, at most, per look for
/// its listeners (a correct one has a handful).
#[cfg(target_os = "linux")]
const FD_WALK_MAX: usize = 16_384;

/// The addresses on which the process group `pgid` is listening (Linux
/// only), each port noted as the check's (see [`noted`]): TCP listeners,
/// or for a lab over UDP its bound sockets connected to no peer.
#[cfg(target_os = "linux")]
pub fn listening_sockets_of(pgid: u32, transport: Transport) -> Option<Vec<SocketAddr>> {
    use procfs::process::FDTarget;
    // Asked of the kernel's listening hash when this thread shares the
    // leader's network namespace (see grade::sockdiag: the /proc table is
    // costly); else read by hand from the leader's own view (/proc/PID/net
    // is the table of the process's network namespace; see parse_tcp_table).
    // First: with nothing listening in the namespace (a server still
    // starting), there is no need to walk the group's descriptors.
    let listeners = if same_network_namespace(pgid) {
        super::sockdiag::listeners(transport).ok()
    } else {
        None
    };
    if listeners.as_ref().is_some_and(|l| l.is_empty()) {
        return Some(noted(Vec::new()));
    }
    let mut inodes = std::collections::HashSet::new();
    // The group's processes: the leader's descendants while it lives (a
    // short walk of /proc/PID/task/*/children); a walk of every process
    // only once the leader is gone. Cost matters: this runs every 100 ms
    // of every server start, in every check graded at once.
    let members: Vec<i32> = match descendants(pgid as i32) {
        Some(tree) => tree,
        None => procfs::process::all_processes()
            .ok()?
            .flatten()
            .filter(|p| p.stat().is_ok_and(|s| s.pgrp == pgid as i32))
            .map(|p| p.pid)
            .collect(),
    };
    // The walk stops once every listener of the namespace is found in
    // the group (the usual case: one, at a low descriptor), and after
    // FD_WALK_MAX descriptors. Trap: a group holding 120,000 sockets cost
    // 2 s of the grader's CPU per check, every 100 ms a walk (hostile
    // round 6).
    let wanted: Option<std::collections::HashSet<u64>> = listeners
        .as_ref()
        .map(|l| l.iter().map(|(_, inode)| *inode).collect());
    let mut walked = 0usize;
    'members: for pid in members {
        let Ok(process) = procfs::process::Process::new(pid) else {
            continue;
        };
        if let Ok(fds) = process.fd() {
            for fd in fds.flatten() {
                walked += 1;
                if let FDTarget::Socket(inode) = fd.target {
                    match &wanted {
                        Some(wanted) if wanted.contains(&inode) => {
                            inodes.insert(inode);
                            if inodes.len() == wanted.len() {
                                break 'members;
                            }
                        }
                        Some(_) => {}
                        None => {
                            inodes.insert(inode);
                        }
                    }
                }
                if walked >= FD_WALK_MAX {
                    break 'members;
                }
            }
        }
    }
    // No socket in the group (it is gone, or has not opened one yet):
    // nothing of its listens, whatever the table. Trap: with the leader
    // gone, the fallback below read the grader's own table (/proc/net is
    // the main thread's namespace, not the check's), a walk of every
    // connection on the machine, for nothing.
    if inodes.is_empty() {
        return Some(noted(Vec::new()));
    }
    let mut sockets = Vec::new();
    if let Some(listeners) = listeners {
        sockets.extend(
            listeners
                .into_iter()
                .filter(|(_, inode)| inodes.contains(inode))
                .map(|(addr, _)| addr),
        );
        return Some(noted(sockets));
    }
    // /proc/net/udp has the rows of /proc/net/tcp; a UDP server's socket
    // is in state 0x07 (CLOSE: connected to no peer), a TCP one's 0x0A
    // (LISTEN).
    let (files, state) = match transport {
        Transport::Tcp => (["tcp", "tcp6"], 0x0A),
        Transport::Udp => (["udp", "udp6"], 0x07),
    };
    for file in files {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pgid}/net/{file}"))
            .or_else(|_| std::fs::read_to_string(format!("/proc/net/{file}")))
        else {
            continue;
        };
        for row in parse_tcp_table(&text) {
            if row.state == state && row.remote.port() == 0 && inodes.contains(&row.inode) {
                sockets.push(row.local);
            }
        }
    }
    Some(noted(sockets))
}

/// Sorted, without repeats, and noted as the check's: a port the program
/// really listens on is the check's (wire evidence), whether or not the
/// program announced it.
#[cfg(target_os = "linux")]
fn noted(mut sockets: Vec<SocketAddr>) -> Vec<SocketAddr> {
    sockets.sort_unstable();
    sockets.dedup();
    ports_of(&sockets).into_iter().for_each(note_port);
    sockets
}

/// Is the calling thread in the network namespace of process `pid`?
#[cfg(target_os = "linux")]
pub fn same_network_namespace(pid: u32) -> bool {
    let ours = std::fs::read_link("/proc/thread-self/ns/net");
    let theirs = std::fs::read_link(format!("/proc/{pid}/ns/net"));
    matches!((ours, theirs), (Ok(a), Ok(b)) if a == b)
}

/// `pid` and every process below it, or `None` when `pid` is gone or a
/// zombie (its children were handed to another parent).
#[cfg(target_os = "linux")]
fn descendants(pid: i32) -> Option<Vec<i32>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The state follows the command name, which is in parentheses.
    let state = stat.rsplit_once(") ")?.1.chars().next()?;
    if state == 'Z' || state == 'X' {
        return None;
    }
    // Without CONFIG_PROC_CHILDREN there is no children file: walk all.
    if !std::path::Path::new(&format!("/proc/{pid}/task/{pid}/children")).exists() {
        return None;
    }
    let mut found = vec![pid];
    let mut i = 0;
    // Bounded: a fork bomb is capped by the sandbox's process limit.
    while i < found.len() && found.len() < 4096 {
        let p = found[i];
        i += 1;
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{p}/task")) else {
            continue;
        };
        for task in tasks.flatten() {
            let Ok(children) = std::fs::read_to_string(task.path().join("children")) else {
                continue;
            };
            found.extend(
                children
                    .split_whitespace()
                    .filter_map(|c| c.parse::<i32>().ok()),
            );
        }
    }
    Some(found)
}

/// One row of a /proc/net/tcp{,6} (or udp{,6}: the same columns) table.
#[cfg(target_os = "linux")]
#[derive(Debug, Clone, PartialEq, Eq)]
struct TcpRow {
    local: SocketAddr,
    remote: SocketAddr,
    /// The kernel's state number (0x0A: LISTEN).
    state: u8,
    inode: u64,
}

/// Parses a /proc/net/tcp or tcp6 table by hand. Trap: procfs's parser
/// rejects the whole table when one row is in a state it does not know
/// (TCP_NEW_SYN_RECV shows up under load); here such a row is just a row,
/// and a malformed one is skipped.
#[cfg(target_os = "linux")]
fn parse_tcp_table(text: &str) -> Vec<TcpRow> {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    // The kernel prints each 32-bit word of the address in host order.
    let words = |hex: &str| -> Option<Vec<u8>> {
        (0..hex.len() / 8)
            .map(|i| u32::from_str_radix(hex.get(i * 8..i * 8 + 8)?, 16).ok())
            .map(|w| w.map(u32::to_ne_bytes))
            .collect::<Option<Vec<[u8; 4]>>>()
            .map(|ws| ws.concat())
    };
    let address = |field: &str| -> Option<SocketAddr> {
        let (host, port) = field.split_once(':')?;
        let port = u16::from_str_radix(port, 16).ok()?;
        let bytes = words(host)?;
        let ip = match (host.len(), bytes.len()) {
            (8, 4) => IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(bytes).ok()?)),
            (32, 16) => IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(bytes).ok()?)),
            _ => return None,
        };
        Some(SocketAddr::new(ip, port))
    };
    text.lines()
        .skip(1)
        .filter_map(|row| {
            let fields: Vec<&str> = row.split_whitespace().collect();
            if fields.len() < 10 {
                return None;
            }
            Some(TcpRow {
                local: address(fields[1])?,
                remote: address(fields[2])?,
                state: u8::from_str_radix(fields[3], 16).ok()?,
                inode: fields[9].parse().ok()?,
            })
        })
        .collect()
}

/// The inode of the connection whose ends have the ports of `local` and
/// `remote`, as process `pid` sees it (its network namespace's /proc
/// tables, IPv4 and IPv6, an IPv4 peer of a dual-stack socket included):
/// for a namespace the calling thread is not in (a grader without root,
/// whose check's namespace is a holder's). Trap (cost): the read walks
/// the kernel's whole established table; once per use, never a poll.
#[cfg(target_os = "linux")]
pub fn connection_inode_seen_by(pid: u32, local: SocketAddr, remote: SocketAddr) -> Option<u64> {
    ["tcp", "tcp6"].into_iter().find_map(|table| {
        let text = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")).ok()?;
        parse_tcp_table(&text)
            .into_iter()
            .find(|row| {
                row.local.port() == local.port()
                    && row.remote.port() == remote.port()
                    && row.inode != 0
            })
            .map(|row| row.inode)
    })
}

#[cfg(not(target_os = "linux"))]
pub fn listening_sockets_of(_pgid: u32, _transport: Transport) -> Option<Vec<SocketAddr>> {
    None
}

/// Resolves a program path relative to the submission folder: a relative
/// path with a separator ("./server", "bin/server") means "in DIR", but
/// `Command` would resolve it against our own working directory on some
/// systems.
/// Where a bare program name is found on the grader's own PATH, if it is.
fn on_grader_path(program: &str) -> Option<PathBuf> {
    if program.contains(std::path::MAIN_SEPARATOR) || program.contains('/') {
        return None;
    }
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

pub fn resolve_program(dir: &Path, program: &str) -> PathBuf {
    let path = Path::new(program);
    if path.is_relative() && path.components().count() > 1 {
        dir.join(path)
    } else {
        path.to_path_buf()
    }
}

/// `12345, 23456`: ports for a report line.
pub fn join_ports(ports: &[u16]) -> String {
    ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ")
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
        if !crate::sandbox::guard_needed() {
            return None;
        }
        owner_outside(|e| e.local == peer, groups)
    }

    /// `Some(who)` when the listener on `addr` belongs to a process outside
    /// `groups`.
    pub fn foreign_listener(addr: SocketAddr, groups: &[u32]) -> Option<String> {
        if !crate::sandbox::guard_needed() {
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
        // By hand, not procfs::net::tcp(): see super::parse_tcp_table.
        let mut table = Vec::new();
        for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
            if let Ok(text) = std::fs::read_to_string(file) {
                table.extend(super::parse_tcp_table(&text));
            }
        }
        let inodes: Vec<u64> = table
            .into_iter()
            .map(|e| Entry {
                local: e.local,
                listening: e.state == 0x0A, // LISTEN
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

/// The harness with a lab over UDP (a toy contract and role, as a Week 2
/// lab would bring): a server is found bound to its port, announced or
/// silent, by the system's socket table.
#[cfg(all(test, target_os = "linux"))]
mod over_udp {
    use super::*;
    use crate::grade::contract::Contract;
    use crate::grade::lab::{RoleSpec, SessionEnd};

    static TOY: Contract = Contract {
        transport: Transport::Udp,
        announce: "[UDP] Bound to ",
        announce_words: &["bound"],
        host_var: "TOY_HOST",
        port_var: "TOY_PORT",
        env: &[("TOY_HOST", "127.0.0.1"), ("TOY_PORT", "0")],
    };
    static SERVER_SPEC: RoleSpec = RoleSpec {
        lab: "toy-udp",
        name: "udp-server",
        rank: 0,
        line_check: Some("udp-bound"),
        config_check: None,
        sessions: SessionEnd::ServerCloses,
        contract: &TOY,
    };
    const SERVER: Role = Role::of(&SERVER_SPEC);

    /// A UDP server in Python that says `announce` (or nothing) once bound,
    /// then waits 30 s at most.
    fn python_server(announce: bool) -> Option<Submission> {
        let found = std::process::Command::new("python3")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            eprintln!("skipped: no python3");
            return None;
        }
        let say = if announce {
            "print('[UDP] Bound to %s:%d' % s.getsockname(), flush=True)"
        } else {
            "pass"
        };
        // Then it echoes each datagram, for 30 s at most.
        let script = format!(
            "import os, socket, time\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind((os.environ['TOY_HOST'], int(os.environ['TOY_PORT'])))\n{say}\ns.settimeout(1)\nend = time.time() + 30\nwhile time.time() < end:\n    try:\n        data, peer = s.recvfrom(512)\n        s.sendto(data, peer)\n    except socket.timeout:\n        pass\n"
        );
        let dir = std::env::temp_dir();
        Some(Submission::new(dir).with_argv(SERVER, &["python3", "-c", &script]))
    }

    /// Announced or silent, found bound to its port (the silent one by
    /// the table alone), and not taken for a TCP listener.
    #[test]
    fn a_udp_server_is_found_bound_to_its_port_announced_or_silent() {
        for announce in [true, false] {
            let Some(sub) = python_server(announce) else {
                return;
            };
            let mut ctx = Ctx::new(&sub, 1);
            let (p, addr) = ctx.start_server(SERVER, &[], &[]).unwrap();
            assert_ne!(addr.port(), 0);
            let bound = listening_ports_of(ctx.child(p).pid(), Transport::Udp).unwrap();
            assert_eq!(bound, vec![addr.port()]);
            let tcp = listening_ports_of(ctx.child(p).pid(), Transport::Tcp).unwrap();
            assert!(tcp.is_empty(), "{tcp:?}");
            let by_table = ctx
                .steps()
                .iter()
                .any(|s| s.contains("(the system's socket table) but printed no"));
            assert_eq!(by_table, !announce, "{:?}", ctx.steps());
            // The table the fallback reads (a namespace not this
            // thread's) shows it so too: state 07, no peer.
            let text = std::fs::read_to_string("/proc/net/udp").unwrap();
            assert!(
                parse_tcp_table(&text)
                    .iter()
                    .any(|r| r.local == addr && r.state == 0x07 && r.remote.port() == 0),
                "{text}"
            );
            // The grader's own UDP socket, in the check's namespace,
            // reaches it.
            let probe = crate::sandbox::udp_socket(SocketAddr::from((HOST, 0))).unwrap();
            probe.set_read_timeout(Some(SLACK)).unwrap();
            probe.send_to(b"hello", addr).unwrap();
            let mut buf = [0u8; 16];
            let (n, from) = probe.recv_from(&mut buf).unwrap();
            assert_eq!((&buf[..n], from), (&b"hello"[..], addr));
        }
    }
}

#[cfg(all(test, unix))]
mod spawn_errors {
    use super::*;
    use crate::grade::week01::role;

    #[cfg(target_os = "linux")]
    #[test]
    fn a_tcp_table_with_an_unknown_state_is_still_read() {
        let text = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0 100 0 0 10 0\n\
   1: 0100007F:1F90 0100007F:D431 0C 00000000:00000000 00:00000000 00000000     0        0 0 1 0 100 0 0 10 0\n\
   2: garbage\n";
        let rows = parse_tcp_table(text);
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0].local, "127.0.0.1:8080".parse().unwrap());
        assert_eq!((rows[0].state, rows[0].inode), (0x0A, 4242));
        // TCP_NEW_SYN_RECV (12): a row like any other.
        assert_eq!(rows[1].state, 0x0C);
        let six = "header\n   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 0:0 0:0 0 0 0 77\n";
        let rows = parse_tcp_table(six);
        assert_eq!(rows[0].local, "[::1]:8080".parse().unwrap());
        assert_eq!(rows[0].inode, 77);
    }

    #[test]
    fn bytes_are_shown_as_text_with_escapes() {
        assert_eq!(show_bytes(b"ACK: hi\n"), "`ACK: hi\\n` (8 bytes)");
        let mixed = b"ACK: ab\xc3\x28\xff\xfe\xc3\xa9\n";
        assert_eq!(
            show_bytes(mixed),
            "`ACK: ab\\xc3(\\xff\\xfe\u{e9}\\n` (14 bytes, not UTF-8)"
        );
    }

    #[test]
    fn only_the_programs_own_spawn_errors_are_its_fault() {
        use nix::libc;
        assert!(program_at_fault(&io::Error::from(io::ErrorKind::NotFound)));
        assert!(program_at_fault(&io::Error::from_raw_os_error(
            libc::EACCES
        )));
        assert!(program_at_fault(&io::Error::from_raw_os_error(
            libc::ENOEXEC
        )));
        // A failed setup before the exec is the grader's.
        for errno in [libc::EPERM, libc::EINVAL, libc::ENOSPC, libc::EAGAIN] {
            assert!(
                !program_at_fault(&io::Error::from_raw_os_error(errno)),
                "{errno}"
            );
        }
    }
    /// A program file still open for writing somewhere (ETXTBSY) for a
    /// moment is started once it is free, not reported `cannot-start`: a
    /// fresh copy of a compiled program is busy while a child forked by
    /// another thread holds its write end (seen on a correct C client).
    #[test]
    fn a_program_busy_for_a_moment_is_started_when_free() {
        use std::os::unix::fs::PermissionsExt;
        // Not under /tmp: the sandbox gives the program a /tmp of its own
        // (an overlay, other files), where the file is never busy.
        // (Made if missing: a CARGO_TARGET_DIR elsewhere leaves none here.)
        let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
        std::fs::create_dir_all(&target).unwrap();
        let dir = tempfile::tempdir_in(target).unwrap();
        let program = dir.path().join("busy.sh");
        let mut file = std::fs::File::create(&program).unwrap();
        io::Write::write_all(&mut file, b"#!/bin/sh\nexit 0\n").unwrap();
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
        // The submission's folder is elsewhere: the program is run where it
        // is, not from the check's private copy.
        let folder = tempfile::tempdir().unwrap();
        let submission =
            crate::grade::Submission::new(folder.path()).with_program(role::CLIENT, &program);
        let mut ctx = Ctx::new(&submission, 1);
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            drop(file);
        });
        let started = ctx.spawn(role::CLIENT, &[], &[]);
        writer.join().unwrap();
        let p = started.map_err(|f| f.observed).expect("started once free");
        let status = ctx.wait_exit(p, Duration::from_secs(5));
        assert!(status.is_some_and(|s| s.success()), "{status:?}");
    }

    /// Waiting for a line from a program that has closed both streams
    /// ends when they close, not at the deadline: before, the loop spun on
    /// the closed stdout until then (a third of the grader's CPU in a
    /// class run).
    #[test]
    fn waiting_for_output_ends_when_nothing_more_can_come() {
        let folder = tempfile::tempdir().unwrap();
        let program = folder.path().join("quiet.sh");
        std::fs::write(&program, "#!/bin/sh\necho one\necho two >&2\n").unwrap();
        let script = program.display().to_string();
        let submission =
            crate::grade::Submission::new(folder.path()).with_argv(role::CLIENT, &["sh", &script]);
        let mut ctx = Ctx::new(&submission, 1);
        let p = ctx
            .spawn(role::CLIENT, &[], &[])
            .map_err(|f| f.observed)
            .unwrap();
        // Lines already out are still found, on either stream.
        let two = ctx.wait_output(p, Duration::from_secs(30), |l| l == "two");
        assert_eq!(two.as_deref(), Some("two"));
        let started = Instant::now();
        let none = ctx.wait_output(p, Duration::from_secs(60), |l| l == "three");
        assert_eq!(none, None);
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "waited {:?} for a program whose output had ended",
            started.elapsed()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{
        accept_timeout_said, crash_start, fail, panic_message, shell_words, show_bytes, MAX_KEPT,
    };
    use crate::grade::diagnosis::Diagnosis;

    /// A crash on stderr is shown from its start: Node's own place and
    /// error came before eight lines of the runtime's frames (blind round 49).
    #[test]
    fn a_crash_is_found_from_its_first_line() {
        let node = [
            "[log] started",
            "/dev/shm/netlab-jail-1-a/server.js:4",
            "function helper(msg) { return format(msg); }",
            "                       ^",
            "",
            "ReferenceError: format is not defined",
            "    at helper (/dev/shm/netlab-jail-1-a/server.js:4:24)",
            "    at Socket.emit (node:events:524:28)",
            "",
            "Node.js v20.20.2",
        ];
        assert_eq!(crash_start(&node), Some(1));
        let python = [
            "Exception in thread Thread-1 (handle):",
            "Traceback (most recent call last):",
            "  File \"s.py\", line 3, in handle",
            "TypeError: no",
            "Exception in thread Thread-2 (handle):",
            "Traceback (most recent call last):",
            "  File \"s.py\", line 3, in handle",
            "TypeError: no",
        ];
        assert_eq!(crash_start(&python), Some(4), "the last crash");
        let jvm = [
            "Exception in thread \"main\" java.lang.NullPointerException: x",
            "\tat Server.main(Server.java:12)",
        ];
        assert_eq!(crash_start(&jvm), Some(0));
        // A line naming an error with no stack under it is no crash.
        assert_eq!(crash_start(&["Error: port in use", "bye"]), None);
    }

    #[test]
    fn a_precise_hint_holds_only_for_the_diagnosis_it_was_given_with() {
        let failure = fail(Diagnosis::WrongReply, "a reply", "in pieces").hinted("one write");
        assert_eq!(failure.hint(), "one write");
        let plain = fail(Diagnosis::WrongReply, "a reply", "none");
        assert_eq!(plain.hint(), Diagnosis::WrongReply.hint());
        // Relabelled later (a limit proven, say): the new diagnosis's hint.
        let mut relabelled = failure;
        relabelled.diagnosis = Diagnosis::ResourceLimit;
        assert_eq!(relabelled.hint(), Diagnosis::ResourceLimit.hint());
    }

    #[test]
    fn a_command_shows_on_one_line_whatever_its_arguments_hold() {
        let argv: Vec<String> = ["python3", "-c", "x", "\n  ✔ server-ack\nscore: 47 / 47"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let shown = shell_words(&argv);
        assert!(!shown.contains('\n'), "{shown}");
        assert!(shown.contains("\\n  ✔ server-ack"), "{shown}");
        assert_eq!(
            shell_words(&["python3".into(), "a b.py".into()]),
            "python3 'a b.py'"
        );
    }

    #[test]
    fn a_probe_keeps_a_bounded_part_of_an_endless_reply() {
        use std::io::Write;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let writer = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let chunk = vec![b'A'; 64 * 1024];
            // Bounded: four times what a probe keeps, then it stops.
            for _ in 0..(4 * MAX_KEPT / chunk.len()) {
                if conn.write_all(&chunk).is_err() {
                    break;
                }
            }
        });
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        let (kept, _) = super::read_to_end(&mut stream, std::time::Duration::from_secs(20));
        assert!(
            kept.len() >= MAX_KEPT && kept.len() < MAX_KEPT + 8192,
            "{}",
            kept.len()
        );
        drop(stream);
        writer.join().unwrap();
    }

    #[test]
    fn a_reply_cut_at_the_probes_bound_says_so() {
        assert_eq!(show_bytes(b"ACK: hi"), "`ACK: hi` (7 bytes)");
        let flood = vec![b'A'; MAX_KEPT + 10];
        assert!(show_bytes(&flood).contains("and more: the grader read no further"));
    }

    #[test]
    fn an_accept_that_timed_out_is_told_from_other_timeouts() {
        let python = "Traceback (most recent call last):\n  File \"/s/server.py\", line 12, in <module>\n    conn, addr = s.accept()\n  File \"/usr/lib/python3.11/socket.py\", line 294, in accept\n    fd, addr = self._accept()\nTimeoutError: timed out\n";
        assert_eq!(accept_timeout_said(python), Some("TimeoutError: timed out"));
        let perl = "accept failed: Connection timed out\n";
        assert_eq!(
            accept_timeout_said(perl),
            Some("accept failed: Connection timed out")
        );
        let java = "Exception in thread \"main\" java.net.SocketTimeoutException: Accept timed out\n\tat java.base/sun.nio.ch.NioSocketImpl.timedAccept(NioSocketImpl.java:708)\n";
        assert!(accept_timeout_said(java).is_some_and(|l| l.contains("Accept timed out")));
        let c = "accept: Resource temporarily unavailable\n";
        assert!(accept_timeout_said(c).is_some());
        // A read that timed out in a function of the program's own name.
        let read = "Traceback (most recent call last):\n  File \"/s/server.py\", line 30, in <module>\n    accept_client(s)\n  File \"/s/server.py\", line 9, in accept_client\n    data = conn.recv(BUF)\nTimeoutError: timed out\n";
        assert_eq!(accept_timeout_said(read), None);
        // A log that says both, on different lines.
        let log = "INFO Accepted connection from 127.0.0.1:5000\nINFO client timed out (sent nothing within 1s)\n";
        assert_eq!(accept_timeout_said(log), None);
        // Ctrl+C while waiting in accept.
        let interrupted = "Traceback (most recent call last):\n  File \"/usr/lib/python3.11/socket.py\", line 294, in accept\n    fd, addr = self._accept()\nKeyboardInterrupt\n";
        assert_eq!(accept_timeout_said(interrupted), None);
    }

    #[test]
    fn a_rust_panic_is_told_by_its_message_in_either_format() {
        let new = "\nthread 'main' (2) panicked at server.rs:12:68:\ncalled `Result::unwrap()` on an `Err` value: Os { code: 98 }\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n";
        assert_eq!(
            panic_message(new),
            Some("called `Result::unwrap()` on an `Err` value: Os { code: 98 }")
        );
        let old = "thread 'main' panicked at 'bind failed', src/main.rs:9:5\nnote: run with `RUST_BACKTRACE=1`\n";
        assert_eq!(panic_message(old), Some("bind failed"));
        assert_eq!(
            panic_message("thread 'main' panicked at src/main.rs:1:1:\n"),
            None
        );
        assert_eq!(panic_message("Traceback (most recent call last):\n"), None);
    }
}
