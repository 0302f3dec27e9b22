//! The grader: `netlab grade LAB` runs any submission against a week's
//! contract and names the mistake behind every failure.
//!
//! The grader never reads a submission's source. It launches the programs
//! as real processes (Rust, Python, C, anything that runs), talks to them
//! over real loopback sockets with its own probe clients and fake servers,
//! and judges only what can be seen from outside: console lines, replies,
//! connections being closed, exit statuses, files written.
//!
//! Layout:
//! - this file: the public API ([`Role`], [`Submission`], [`run_checks`],
//!   [`assert_check`]) and the command line ([`GradeArgs`], [`main`]);
//! - [`lab`]: the labs, each with its checks, contract and roles;
//! - [`diagnosis`]: the named mistakes and their hints;
//! - [`evidence`]: the packets of each failed check (.pcap and telling
//!   segments), when netlab may capture;
//! - [`compare`]: near misses between an expected line and a printed one;
//! - [`harness`]: what a check works with ([`harness::Ctx`]);
//! - [`report`]: text, JSON and JUnit output;
//! - [`live`]: the run as it happens (live lines and progress on a
//!   terminal, Ctrl+C, `--list`);
//! - [`labtest`]: the lab folders' `cargo test` (checks shown stage by stage);
//! - [`week01`]: the Week 1 checks, one module per role;
//! - [`class`]: `--class`, a whole class at once (gradebook, summary, page).

pub mod class;
pub mod compare;
pub mod contract;
pub mod diagnosis;
pub mod evidence;
pub mod harness;
pub mod imports;
pub mod lab;
pub mod labtest;
pub mod live;
pub mod report;
#[cfg(target_os = "linux")]
pub(crate) mod sockdiag;
pub mod week01;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::sandbox;
pub use diagnosis::Diagnosis;
use harness::Ctx;
pub use harness::Failure;
pub use lab::Role;

/// What is graded: a folder and one command per role.
#[derive(Debug, Clone, Default)]
pub struct Submission {
    dir: PathBuf,
    /// A snapshot of `dir` its checks' copies are made from (class mode:
    /// see `sandbox::Snapshot`).
    snapshot: Option<PathBuf>,
    commands: BTreeMap<Role, Vec<String>>,
    /// Roles whose command the submission's netlab.toml chose (the rest
    /// came from whoever runs netlab): see [`sandbox::CommandOrigin`].
    from_manifest: BTreeSet<Role>,
    /// Where failed checks' packets go (`None`: no capture).
    evidence_dir: Option<PathBuf>,
}

impl Submission {
    /// A submission in `dir` with no commands yet.
    pub fn new(dir: impl Into<PathBuf>) -> Submission {
        Submission {
            dir: dir.into(),
            snapshot: None,
            commands: BTreeMap::new(),
            from_manifest: BTreeSet::new(),
            evidence_dir: None,
        }
    }

    /// Grades the copy at `snapshot` (a `sandbox::Snapshot` of the folder)
    /// instead of the folder itself: each check's private copy is made
    /// from it. Messages still name the folder.
    pub fn graded_from(mut self, snapshot: impl Into<PathBuf>) -> Submission {
        self.snapshot = Some(snapshot.into());
        self
    }

    /// The folder whose content is graded: the snapshot, or the folder.
    pub fn source_dir(&self) -> &Path {
        self.snapshot.as_deref().unwrap_or(&self.dir)
    }

    /// Keeps the packets of each failed check in `dir` (one .pcap per
    /// check, named by its id) when netlab may capture; see [`evidence`].
    pub fn with_evidence_dir(mut self, dir: impl Into<PathBuf>) -> Submission {
        self.evidence_dir = Some(dir.into());
        self
    }

    /// Where failed checks' packets go, if anywhere.
    pub fn evidence_dir(&self) -> Option<&Path> {
        self.evidence_dir.as_deref()
    }

    /// Sets a role's command to one program path (no shell splitting, so a
    /// path with spaces is fine).
    pub fn with_program(mut self, role: Role, program: impl AsRef<Path>) -> Submission {
        self.from_manifest.remove(&role);
        self.commands
            .insert(role, vec![program.as_ref().to_string_lossy().into_owned()]);
        self
    }

    /// Sets a role's command to an argv list (program first, no splitting).
    pub fn with_argv(mut self, role: Role, argv: &[&str]) -> Submission {
        self.from_manifest.remove(&role);
        self.commands
            .insert(role, argv.iter().map(|a| a.to_string()).collect());
        self
    }

    /// Sets a role's command from a command line split as a shell would.
    pub fn with_command_line(mut self, role: Role, line: &str) -> Result<Submission, GradeError> {
        let argv = shlex::split(line)
            .filter(|argv| !argv.is_empty())
            .ok_or_else(|| {
                GradeError::Usage(format!(
                    "the {} command `{}` is empty or badly quoted",
                    role.name(),
                    printable_name(line)
                ))
            })?;
        self.from_manifest.remove(&role);
        self.commands.insert(role, argv);
        Ok(self)
    }

    /// Reads DIR/netlab.toml. `lab` must match the file's `lab` key.
    ///
    /// The error quotes the file (a value, a line of it): its control
    /// characters are spelled out, so that a netlab.toml cannot clear the
    /// grader's terminal or colour a report.
    pub fn from_manifest(dir: &Path, lab: &str) -> Result<Submission, GradeError> {
        Self::from_manifest_in(dir, dir, lab)
    }

    /// [`Submission::from_manifest`] of `dir`, its netlab.toml read from
    /// `source` (a snapshot of `dir`: what is graded, see
    /// [`Submission::graded_from`]); messages name `dir`'s.
    pub fn from_manifest_in(
        source: &Path,
        dir: &Path,
        lab: &str,
    ) -> Result<Submission, GradeError> {
        Self::read_manifest_of(source, dir, lab)
            .map_err(|GradeError::Usage(m)| GradeError::Usage(printable(&m)))
    }

    fn read_manifest_of(source: &Path, dir: &Path, lab: &str) -> Result<Submission, GradeError> {
        // (Read from `source`, a snapshot in a class run: hostile round 35
        // swapped a netlab.toml in for the moment the folder's was read.)
        let path = dir.join("netlab.toml");
        let the_lab = lab::find(lab).ok_or_else(|| unknown_lab(lab))?;
        let text = read_manifest(&source.join("netlab.toml")).map_err(|e| {
            GradeError::Usage(format!(
                "cannot read {}: {e}\n  write a netlab.toml there (see the handout), or give the commands with --command ROLE=CMD (the roles: {})",
                path.display(),
                the_lab.role_names().join(", ")
            ))
        })?;
        let manifest: Manifest = toml::from_str(&text)
            .map_err(|e| GradeError::Usage(manifest_error(&path, &text, &e)))?;
        if let Some(file_lab) = &manifest.lab {
            if file_lab != lab {
                return Err(GradeError::Usage(format!(
                    "{} is for lab `{file_lab}`, not `{lab}`",
                    path.display()
                )));
            }
        }
        let mut submission = Submission::new(dir);
        for (name, line) in &manifest.commands {
            let role = the_lab.role(name).ok_or_else(|| {
                GradeError::Usage(format!(
                    "{}: unknown role `{}` in [commands]; {}",
                    path.display(),
                    printable_name(name),
                    roles_offered(the_lab, name)
                ))
            })?;
            // Two spellings of one role (`chat-server` and `chat_server`):
            // one would silently win over the other (hostile round 68).
            if submission.from_manifest.contains(&role) {
                return Err(GradeError::Usage(format!(
                    "{}: two lines in [commands] for the role `{}`: keep one",
                    path.display(),
                    role.name()
                )));
            }
            submission = submission.with_command_line(role, line)?;
            submission.from_manifest.insert(role);
        }
        Ok(submission)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Who chose `role`'s command.
    pub fn origin(&self, role: Role) -> sandbox::CommandOrigin {
        if self.from_manifest.contains(&role) {
            sandbox::CommandOrigin::Submission
        } else {
            sandbox::CommandOrigin::Instructor
        }
    }

    /// The argv for a role, if the submission has one.
    pub fn command(&self, role: Role) -> Option<&[String]> {
        self.commands.get(&role).map(Vec::as_slice)
    }
}

/// A netlab.toml that does not parse, said on lines of netlab's own: the
/// place, toml's message with the file's text in it escaped whole (a key
/// holding a newline printed it raw, and a line of the student's choosing
/// followed the grader's: hostile round 67), and the line it is on.
fn manifest_error(path: &Path, text: &str, e: &toml::de::Error) -> String {
    let mut place = String::new();
    let mut quoted = String::new();
    if let Some(before) = e.span().and_then(|span| text.get(..span.start)) {
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        place = format!(" (line {line}, column {column})");
        if let Some(shown) = text.lines().nth(line - 1) {
            quoted = format!("\n  {line} | {}", printable(shown));
        }
    }
    format!(
        "{} is not valid{place}: {}{quoted}",
        path.display(),
        // toml's own message runs over lines ("invalid table header\n
        // expected ..."): joined, not escaped (a literal `\n` was shown,
        // and doubled in the gradebook: hostile round 81).
        printable_name(
            &e.message()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("; ")
        )
    )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    lab: Option<String>,
    #[serde(default)]
    commands: BTreeMap<String, String>,
}

/// Why grading could not run at all (exit status 2).
#[derive(Debug)]
pub enum GradeError {
    /// Bad arguments or a missing/invalid netlab.toml.
    Usage(String),
}

impl std::fmt::Display for GradeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GradeError::Usage(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for GradeError {}

/// One check of a lab.
pub struct Check {
    /// Stable id, e.g. `server-ack`: test names and `--check` use it.
    pub id: &'static str,
    /// The group it is reported under: a role name or `pair`.
    pub group: &'static str,
    /// What it verifies, in a few words.
    pub title: &'static str,
    /// The roles it needs; without all of them it is skipped.
    pub needs: &'static [Role],
    /// Unix-only checks (signals) are skipped elsewhere.
    pub unix_only: bool,
    pub run: fn(&mut Ctx) -> Result<(), Failure>,
}

/// The result of one check.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub id: &'static str,
    pub role: &'static str,
    pub title: &'static str,
    /// `None` when skipped.
    pub passed: Option<bool>,
    pub diagnosis: Option<Diagnosis>,
    pub expected: Option<String>,
    pub observed: Option<String>,
    pub hint: Option<String>,
    pub duration_ms: u64,
    /// Why it was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// The numbered story of what was done (shown on failure).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<String>,
    /// The programs' statuses and last output lines (shown on failure).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processes: Option<String>,
    /// The .pcap holding a failed check's packets (only when netlab could
    /// capture and the check used the network).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pcap: Option<PathBuf>,
    /// The telling segments of those packets, one line each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub wire: Vec<String>,
    /// When this failure follows from a mistake another check reports, the
    /// id of that check (see [`Failure::cause`]); the report folds this
    /// failure under that check's cause when [`Outcome::fold`] allows (the
    /// JSON report names it only then: `report::render_json`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follows_from: Option<&'static str>,
    /// When it is folded under that check's cause.
    #[serde(skip)]
    pub fold: Fold,
    /// Where it is folded when that check's cause does not explain it:
    /// other checks, each with the diagnoses of it that do, tried in order
    /// (see [`Failure::or_folded_if`]).
    #[serde(skip)]
    pub otherwise: Option<&'static [OtherCause]>,
    /// Where a program of the failed check crashed, when it says
    /// ([`harness::Ctx::crash_site`]): a failure that saw the same crash as
    /// another check's `crash` finding is folded under it.
    #[serde(skip)]
    pub crash_site: Option<harness::CrashSite>,
    /// The CPU time the check's programs used, their children included
    /// (the sandbox's cgroups: Linux, as root), in milliseconds; `None`
    /// where nothing measured it. A class run sums it per submission
    /// (hostile round 70: a member that spun detached children slowed
    /// the whole run, and nothing said which).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_ms: Option<u64>,
}

/// Another check a failure may follow from, and the diagnoses of it that
/// explain the failure ([`Outcome::otherwise`]: tried in order).
pub type OtherCause = (&'static str, &'static [Diagnosis]);

/// When a failure that follows from another check's ([`Outcome::follows_from`])
/// is folded under that check's cause in a report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Fold {
    /// Only when that check failed with the same diagnosis: the same
    /// mistake, seen again. Otherwise it may be a second mistake that the
    /// first one kept that check from seeing (a server that replies wrongly
    /// *and* never ends: server-ack stops at the reply, the pair session
    /// sees the hang), and it is reported on its own.
    #[default]
    SameDiagnosis,
    /// Whatever that check's diagnosis: a consequence of its mistake (a
    /// program that never got going, for the reason its line check names).
    AnyDiagnosis,
    /// Only when that check failed with one of these diagnoses (the ones
    /// that explain this failure).
    IfCauseWasOneOf(&'static [Diagnosis]),
}

/// What a failure is folded under in a report: one mistake, in one program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cause {
    pub diagnosis: Diagnosis,
    /// The group of the check that showed it: a role name, or `pair`.
    pub program: &'static str,
}

impl Outcome {
    /// The cause this failure is folded under in the report's findings;
    /// `None` unless the check failed.
    ///
    /// A cause is the diagnosis *and* the program (the check's group):
    /// the same code in two programs (an unflushed stdout in the server and
    /// in the client) is two fixes in two files, so two findings; in one
    /// program it is one fix, however many checks it breaks. Pair checks
    /// keep their own group: they cannot tell which of the two programs
    /// made the mistake.
    ///
    /// A failure that follows from a mistake another check reports
    /// ([`Outcome::follows_from`]) is folded under that check's cause by
    /// [`report::findings`], which sees every outcome.
    pub fn cause(&self) -> Option<Cause> {
        if self.passed != Some(false) {
            return None;
        }
        Some(Cause {
            diagnosis: self.diagnosis.unwrap_or(Diagnosis::GraderError),
            program: self.role,
        })
    }
}

/// The checks of a lab, in order; `None` for an unknown lab.
pub fn checks(lab: &str) -> Option<&'static [Check]> {
    lab::find(lab).map(|lab| lab.checks)
}

/// The ids of a lab's checks, in order (empty for an unknown lab).
pub fn check_ids(lab: &str) -> Vec<&'static str> {
    checks(lab)
        .unwrap_or_default()
        .iter()
        .map(|c| c.id)
        .collect()
}

/// A stage of a lab: the checks of one group, in the order a student builds
/// the programs (the order of the lab's check list).
pub struct Stage {
    /// 1 for the first stage.
    pub number: usize,
    /// The group of its checks (a role name or `pair`), as the checks name it.
    pub name: &'static str,
    /// Its checks, in report order.
    pub checks: Vec<&'static Check>,
}

/// The stages of a lab, numbered from 1 in the order their groups first
/// appear in the lab's check list; `None` for an unknown lab.
pub fn stages(lab: &str) -> Option<Vec<Stage>> {
    let mut stages: Vec<Stage> = Vec::new();
    for check in checks(lab)? {
        match stages.iter_mut().find(|s| s.name == check.group) {
            Some(stage) => stage.checks.push(check),
            None => stages.push(Stage {
                number: stages.len() + 1,
                name: check.group,
                checks: vec![check],
            }),
        }
    }
    Some(stages)
}

/// A run's seed when none is given. 53 bits: a JSON number any reader
/// takes exactly (JavaScript's are doubles), and too many to try. With 20
/// bits a server copied the generator (`fastrand` is wyrand, a few lines of
/// Python), found the seed from the first message it was sent in a third
/// of a second, and answered messages not sent yet (hostile round 49).
pub fn fresh_seed() -> u64 {
    fastrand::u64(..1 << 53)
}

/// Runs one check. The seed makes its random inputs reproducible.
pub fn run_check(check: &Check, submission: &Submission, seed: u64) -> Outcome {
    let mut outcome = Outcome {
        id: check.id,
        role: check.group,
        title: check.title,
        passed: None,
        diagnosis: None,
        expected: None,
        observed: None,
        hint: None,
        duration_ms: 0,
        skipped: None,
        steps: Vec::new(),
        processes: None,
        pcap: None,
        wire: Vec::new(),
        follows_from: None,
        fold: Fold::SameDiagnosis,
        otherwise: None,
        crash_site: None,
        cpu_ms: None,
    };
    if let Some(missing) = check
        .needs
        .iter()
        .find(|r| submission.command(**r).is_none())
    {
        outcome.skipped = Some(format!("no command for the {} role", missing.name()));
        return outcome;
    }
    if check.unix_only && !cfg!(unix) {
        outcome.skipped = Some("needs Unix signals".into());
        return outcome;
    }
    // The check's body runs on a thread of its own in a fresh network
    // namespace where the machine allows it: the submission's processes and
    // the grader's probes and fake servers share a private port space.
    sandbox::isolated(|| run_check_body(check, submission, seed, outcome))
}

fn run_check_body(
    check: &Check,
    submission: &Submission,
    seed: u64,
    mut outcome: Outcome,
) -> Outcome {
    let started = Instant::now();
    // Each check gets its own stream of random inputs derived from the run's
    // seed and its id, so results do not depend on order or parallelism.
    let mut ctx = Ctx::new(submission, seed ^ fnv1a(check.id));
    // Wire evidence: captured on this thread (so in this check's network
    // namespace), stopped before `ctx` ends the check's programs.
    let recorder = evidence::Recorder::start(submission.evidence_dir());
    ctx.check_id = Some(check.id);
    // A bug in a check must cost that check, not the whole run's report.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (check.run)(&mut ctx)))
        .unwrap_or_else(|panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(harness::fail(
                Diagnosis::GraderError,
                "the check runs to its end",
                format!("the grader itself failed: {what} (please report this)"),
            ))
        });
    // A limit hit beyond doubt fails the check even if it saw nothing wrong
    // (200 children under a limit of 256 would pass it otherwise).
    let result = match result {
        Ok(()) => match ctx.limit_reached() {
            Some(abuse) => Err(harness::fail(
                Diagnosis::ResourceLimit,
                "the programs stay within the sandbox's limits",
                abuse,
            )),
            None => Ok(()),
        },
        failed => failed,
    };
    outcome.duration_ms = started.elapsed().as_millis() as u64;
    outcome.cpu_ms = ctx.programs_cpu().map(|cpu| cpu.as_millis() as u64);
    if let Some(wire) = recorder.finish(check.id, result.is_err()) {
        outcome.pcap = wire.pcap;
        outcome.wire = wire.lines.iter().map(|l| printable(l)).collect();
    }
    match result {
        Ok(()) => outcome.passed = Some(true),
        Err(failure) => {
            let mut failure = said_not_implemented(failure, &ctx.output_lines());
            // A failure caused by a sandbox limit is named as such, with the
            // limit and the figure (only ever for a check that failed).
            if !matches!(
                failure.diagnosis,
                Diagnosis::GraderError | Diagnosis::ResourceLimit
            ) {
                if let Some(abuse) = ctx.resource_abuse() {
                    failure.observed = format!("{abuse} (and then: {})", failure.observed);
                    failure.diagnosis = Diagnosis::ResourceLimit;
                    failure.expected = format!(
                        "the programs stay within the sandbox's limits; {}",
                        failure.expected
                    );
                }
            }
            // A second listener explains what the clients of the first saw
            // (refused, another program's lines).
            if !matches!(
                failure.diagnosis,
                Diagnosis::GraderError | Diagnosis::ResourceLimit
            ) {
                let wait = std::time::Duration::from_millis(300);
                if let Some((role, first, second)) = ctx.second_listener(wait) {
                    failure.observed = format!(
                        "the {} announced {first}, then, after a session, a second listener on {second} (and then: {})",
                        role.name(),
                        failure.observed
                    );
                    failure.diagnosis = Diagnosis::SecondListener;
                    failure.cause = None;
                    failure.fold = Fold::SameDiagnosis;
                    failure.otherwise = None;
                }
            }
            // A program that imports another of the submission's servers,
            // whose top level serves, ran that server instead of its own
            // code (or before it): whatever the check saw of it, that is
            // the one mistake (blind round 22: five names, from run to run).
            if !matches!(
                failure.diagnosis,
                Diagnosis::GraderError | Diagnosis::ResourceLimit | Diagnosis::NotImplemented
            ) {
                if let Some(found) = ctx.server_run_at_import() {
                    // Names and a line of the submission's: one line each.
                    let one = |text: &str| crate::message::escape_controls(text).into_owned();
                    failure.observed = format!(
                        "{} imports `{}`, and {}'s top level runs its server (line {}: `{}`, with no `if __name__ == \"__main__\":` around it): the import runs that server (and then: {})",
                        one(&found.importer),
                        one(&found.module),
                        one(&found.script),
                        found.line_no,
                        one(&found.line),
                        failure.observed
                    );
                    failure.diagnosis = Diagnosis::ImportRunsServer;
                    failure.cause = None;
                    failure.fold = Fold::SameDiagnosis;
                    failure.otherwise = None;
                }
            }
            // A script that died of the SIGTERM meant for its program: the
            // story of a shutdown that went wrong, and no other check's
            // finding explains it. Only there: a check that sends SIGTERM
            // to end a server keeps its own finding (hostile round 43: a
            // log's format lost its hint).
            if failure.diagnosis == Diagnosis::NoGracefulShutdown {
                if let Some(script) = ctx.script_killed_by_sigterm() {
                    failure.observed = format!("{} — {script}", failure.observed);
                    failure = failure.hinted(harness::EXEC_HINT);
                    failure.cause = None;
                    failure.fold = Fold::SameDiagnosis;
                    failure.otherwise = None;
                }
            }
            // Killed by SIGPIPE: no traceback to read; the fix is the
            // signal's (any lab's programs write to sockets).
            if failure.diagnosis == Diagnosis::Crash
                && failure.hint.is_none()
                && ctx.died_of_sigpipe()
            {
                failure = failure.hinted(SIGPIPE_HINT);
            }
            // A stopped program explains any silence the check saw.
            if let Some(stopped) = ctx.stopped_program() {
                failure.observed = format!("{} — {stopped}", failure.observed);
            }
            outcome.passed = Some(false);
            outcome.hint = Some(failure.hint());
            outcome.diagnosis = Some(failure.diagnosis);
            outcome.follows_from = failure.cause;
            outcome.fold = failure.fold;
            outcome.otherwise = failure.otherwise;
            outcome.crash_site = ctx.crash_site();
            // A submission's output may hold escape codes or NULs; show them
            // rather than let a terminal (or anstream) swallow them.
            outcome.expected = Some(printable(&failure.expected));
            outcome.observed = Some(printable(&failure.observed));
            outcome.steps = fold_repeats(ctx.steps().iter().map(|s| printable(s)).collect());
            outcome.processes = Some(printable(&ctx.process_report()));
        }
    }
    outcome
}

/// The hint of a crash by SIGPIPE.
const SIGPIPE_HINT: &str = "The program was killed by SIGPIPE: it wrote to a connection the other side had already reset or closed, and the signal's default action ends the process, silently (nothing on stderr). A server must outlive any one client: in C send with MSG_NOSIGNAL (or ignore the signal once at start, signal(SIGPIPE, SIG_IGN)), then handle the EPIPE or ECONNRESET that send() returns by ending that session; Python, Rust and Java ignore SIGPIPE already and raise an error instead: catch it.";

/// A failed check whose programs said they are "not implemented" (a lab's
/// untouched starter prints `not implemented yet: open src/bin/server.rs,
/// TODO(week01) step 2`) failed for that reason, whatever symptom the check
/// saw (an exit without a Listening line, no reply...): the diagnosis becomes
/// `not-implemented` and the observation quotes the program's own line, which
/// names the file and the step to open. Generic: the grader only looks for
/// the words, and the starters choose what their line says. A failure of
/// the grader itself stays `grader-error`.
///
/// The words must open the line (after a `[TAG]`, as the starters print
/// it, or as Rust's `unimplemented!()` panics): a program's aside
/// ("note: logging not implemented yet") turned its wrong reply into
/// `not-implemented` (hostile round 67).
fn said_not_implemented(failure: Failure, output: &[String]) -> Failure {
    if failure.diagnosis == Diagnosis::GraderError {
        return failure;
    }
    let Some(line) = output.iter().find(|line| says_not_implemented(line)) else {
        return failure;
    };
    Failure {
        diagnosis: Diagnosis::NotImplemented,
        expected: failure.expected,
        observed: format!("the program said: {}", line.trim()),
        // Every check of a starter fails for this one reason: no links.
        cause: None,
        fold: Fold::SameDiagnosis,
        otherwise: None,
        hint: None,
    }
}

/// Does `line` open with "not implemented" (after a `[TAG]`)?
fn says_not_implemented(line: &str) -> bool {
    let line = line.trim_start();
    let line = match line.strip_prefix('[').and_then(|rest| rest.split_once(']')) {
        Some((_, rest)) => rest.trim_start(),
        None => line,
    };
    line.get(..15)
        .is_some_and(|start| start.eq_ignore_ascii_case("not implemented"))
}

/// A story's steps with a block repeated back to back (a retry loop: the
/// same connect, send and read, 16 times) told once, then how many more
/// times it came: a story stays readable.
fn fold_repeats(steps: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(steps.len());
    let mut i = 0;
    while i < steps.len() {
        // The shortest block (up to 4 steps) that repeats at i at least
        // twice more.
        let found = (1..=4).find_map(|len| {
            let block = steps.get(i..i + len)?;
            let times = steps[i..]
                .chunks_exact(len)
                .take_while(|chunk| *chunk == block)
                .count();
            (times >= 3).then_some((len, times))
        });
        match found {
            Some((len, times)) => {
                out.extend_from_slice(&steps[i..i + len]);
                out.push(match len {
                    1 => format!("(the step above, {} more times)", times - 1),
                    _ => format!("(the {len} steps above, {} more times)", times - 1),
                });
                i += len * times;
            }
            None => {
                out.push(steps[i].clone());
                i += 1;
            }
        }
    }
    out
}

/// `text` with control characters (other than newlines and tabs) escaped,
/// and the invisible ones that move text around on a screen: line and
/// paragraph separators, and bidirectional overrides (a right-to-left
/// override makes `ssap` read as `pass`); and U+FFFE and U+FFFF, which
/// no XML document may hold (a program's output made the JUnit report
/// unreadable: hostile round 6).
///
/// The characters that show as nothing ([`invisible`]: a zero-width
/// space, a byte-order mark, tags) are escaped too: a line quoted beside
/// the one expected must not read the same when it is not (hostile round
/// 31; a BOM in front of a Listening line is how a Windows editor's
/// encoding shows).
fn printable(text: &str) -> String {
    let shown: String = escape_hazards(text, |c| c == '\n' || c == '\t')
        .chars()
        .map(|c| {
            if invisible(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect();
    shorten_quotes(&shown)
}

/// A name from outside (a submission folder's, a file's) on one line: as
/// [`printable`], with newlines and tabs escaped too, so that it cannot
/// forge a line of its own in a report or a progress line.
///
/// And so that two names that look the same read apart (hostile round 22:
/// `alice`, `alice ` with a space after it, with a no-break or an
/// ideographic space, and `аlice` with a Cyrillic а were five rows that
/// all read `alice`): a space at either end, a space other than the
/// ASCII one, and, in a name that mixes Latin letters with Cyrillic or
/// Greek ones, the Cyrillic and Greek letters are escaped. A name wholly
/// in one script stays as it is.
pub(crate) fn printable_name(text: &str) -> String {
    let latin = text.chars().any(|c| c.is_ascii_alphabetic());
    let lookalike = |c: char| {
        latin && c.is_alphabetic() && matches!(c, '\u{0370}'..='\u{03ff}' | '\u{0400}'..='\u{052f}')
    };
    let odd_space = |c: char| c.is_whitespace() && c != ' ' && !c.is_control();
    // A backslash of its own is doubled: `a\nb` (a backslash and an n)
    // must not read as `a\nb` (a newline, escaped) does (hostile round 30:
    // two folders, one row each, read the same).
    let escaped = escape_hazards(&text.replace('\\', "\\\\"), |_| false);
    let last = escaped.chars().count().saturating_sub(1);
    escaped
        .chars()
        .enumerate()
        .map(|(i, c)| {
            let end_space = c == ' ' && (i == 0 || i == last);
            if invisible(c) || odd_space(c) || lookalike(c) || end_space {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Characters that show as nothing at all (zero-width spaces and joiners,
/// the word joiner, soft hyphens, fillers, variation selectors, tags):
/// escaped in a name, or `bob` and `bob` with a zero-width space after it
/// read as one student in two rows (hostile round 21). In a report's
/// quotes of a program's text too ([`printable`]); a message's own text
/// (the log, the console) keeps them: there they may be meant (an emoji's
/// joiner).
pub(crate) fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00ad}' | '\u{034f}' | '\u{061c}' | '\u{115f}' | '\u{1160}' | '\u{17b4}' | '\u{17b5}'
        | '\u{180b}'..='\u{180f}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{206f}' | '\u{3164}' | '\u{fe00}'..='\u{fe0f}' | '\u{feff}'
        | '\u{ffa0}' | '\u{fff0}'..='\u{fff8}' | '\u{e0000}'..='\u{e0fff}')
}

fn escape_hazards(text: &str, kept: impl Fn(char) -> bool) -> String {
    let hazard = |c: char| {
        (c.is_control() && !kept(c))
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{fffe}' | '\u{ffff}')
    };
    text.chars()
        .map(|c| {
            if hazard(c) {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Longest program text quoted in a report (between backticks), in
/// characters; longest line; and longest report text at all, a backstop.
const QUOTE_MAX: usize = 200;
const LINE_MAX: usize = 2000;
const TEXT_MAX: usize = 16 * 1024;

/// Cuts every quote (text between backticks, on one line) longer than
/// [`QUOTE_MAX`] to that, with `…`; then every line to [`LINE_MAX`] and
/// the whole to [`TEXT_MAX`]. Trap: a program's line quoted whole made a
/// 330 KB report (64 KiB of bytes without a newline, shown escaped:
/// hostile fixture `flood_bytes`, still running). A line with an odd
/// number of backticks (a program's own) has no quotes to trust: only the
/// line's own bound applies to it, so prose is never taken for a quote.
fn shorten_quotes(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(TEXT_MAX));
    for (n, line) in text.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let balanced = line.matches('`').count() % 2 == 0;
        let mut shortened = String::with_capacity(line.len().min(LINE_MAX));
        for (i, part) in line.split('`').enumerate() {
            if i > 0 {
                shortened.push('`');
            }
            if balanced && i % 2 == 1 && part.chars().count() > QUOTE_MAX {
                shortened.push_str(&harness::truncate(part, QUOTE_MAX));
            } else {
                shortened.push_str(part);
            }
        }
        if shortened.chars().count() > LINE_MAX {
            shortened = harness::truncate(&shortened, LINE_MAX);
        }
        out.push_str(&shortened);
    }
    if out.chars().count() > TEXT_MAX {
        return harness::truncate(&out, TEXT_MAX);
    }
    out
}

#[cfg(test)]
mod printable_tests {
    #[test]
    fn a_long_quote_is_cut_and_the_rest_kept() {
        let long = "\\x80".repeat(20_000);
        let shown = super::printable(&format!("its last line: `{long}`; and then it exited"));
        assert!(shown.len() < 1000, "{} bytes", shown.len());
        assert!(shown.ends_with("…`; and then it exited"), "{shown}");
        let huge = "word ".repeat(10_000);
        assert!(super::printable(&huge).chars().count() <= super::TEXT_MAX + 1);
        assert_eq!(super::printable("a `short` quote"), "a `short` quote");
        // A lone backtick (a program's own) makes no quote of the prose
        // after it; the line is still bounded.
        let prose = "words ".repeat(60);
        let odd = format!("stderr: it`s broken\nthen: {prose}");
        assert_eq!(super::printable(&odd), odd);
        let lone = format!("it`s {}", "x".repeat(5000));
        assert!(super::printable(&lone).chars().count() <= super::LINE_MAX + 1);
    }

    #[test]
    fn names_that_look_the_same_read_apart() {
        let names = [
            "alice",
            "alice ",
            "alice\u{a0}",
            "alice\u{3000}",
            "\u{430}lice",
            "alice\u{200b}",
        ];
        let shown: Vec<String> = names.iter().map(|n| super::printable_name(n)).collect();
        let distinct: std::collections::BTreeSet<&String> = shown.iter().collect();
        assert_eq!(distinct.len(), names.len(), "{shown:?}");
        assert_eq!(shown[0], "alice");
        assert_eq!(shown[1], "alice\\u{20}");
        assert_eq!(shown[4], "\\u{430}lice");
        // A name wholly in one script, or with spaces inside, stays.
        assert_eq!(super::printable_name("Алиса"), "Алиса");
        assert_ne!(
            super::printable_name("zz\nyy"),
            super::printable_name("zz\\nyy")
        );
        assert_eq!(super::printable_name("zz\\nyy"), "zz\\\\nyy");
        assert_eq!(super::printable_name("José Núñez"), "José Núñez");
    }

    #[test]
    fn what_moves_text_on_a_screen_is_shown_escaped() {
        assert_eq!(
            super::printable("a\u{1b}[31mb\u{2028}c\u{202e}d\re\tf\ng"),
            "a\\u{1b}[31mb\\u{2028}c\\u{202e}d\\re\tf\ng"
        );
    }

    #[test]
    fn what_shows_as_nothing_is_shown_escaped() {
        assert_eq!(
            super::printable("\u{feff}[SERVER] Listening\u{200b} on\u{e0041}"),
            "\\u{feff}[SERVER] Listening\\u{200b} on\\u{e0041}"
        );
        assert_eq!(super::printable("café ✓"), "café ✓");
    }
}

fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Runs `checks` on up to `jobs` threads; outcomes come back in order.
pub fn run_checks(
    checks: &[&Check],
    submission: &Submission,
    seed: u64,
    jobs: usize,
) -> Vec<Outcome> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; checks.len()]);
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, checks.len().max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(check) = checks.get(i) else { break };
                let outcome = run_check(check, submission, seed);
                results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(outcome);
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect()
}

/// For tests (the lab's `cargo test`): runs the check `id` of `lab` and
/// panics with the full failure report if it does not pass. A skipped
/// check (missing role) panics too: a student's test must not pass by
/// having nothing to run. The seed comes from NETLAB_SEED or is random;
/// it is printed on failure so the run can be replayed.
#[track_caller]
pub fn assert_check(lab: &str, id: &str, submission: &Submission) {
    let check = checks(lab)
        .and_then(|all| all.iter().find(|c| c.id == id))
        .unwrap_or_else(|| {
            panic!(
                "netlab: lab `{lab}` has no check `{id}` (known: {:?})",
                check_ids(lab)
            )
        });
    let seed = std::env::var("NETLAB_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(fresh_seed);
    let outcome = run_check(check, submission, seed);
    if outcome.passed != Some(true) {
        let text = report::render_outcome(&outcome, false);
        panic!("\n{text}\nreplay this run with NETLAB_SEED={seed}\n");
    }
}

/// Output formats of `netlab grade`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Junit,
}

/// `netlab grade` arguments.
#[derive(Debug, clap::Args)]
pub struct GradeArgs {
    /// The lab to grade against (week01).
    pub lab: String,
    /// The submission folder: commands start there, netlab.toml is read from there.
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    /// Command that runs the one-shot server (split like a shell would).
    #[arg(long, value_name = "CMD")]
    pub server: Option<String>,
    /// Command that runs the client.
    #[arg(long, value_name = "CMD")]
    pub client: Option<String>,
    /// Command that runs the threaded server.
    #[arg(long, value_name = "CMD")]
    pub threaded_server: Option<String>,
    /// Command that runs the chat server.
    #[arg(long, value_name = "CMD")]
    pub chat_server: Option<String>,
    /// Command that runs the chat client.
    #[arg(long, value_name = "CMD")]
    pub chat_client: Option<String>,
    /// Command that runs ROLE, any role of the lab (repeatable); the flags
    /// above are Week 1's roles said shorter.
    #[arg(long = "command", value_name = "ROLE=CMD")]
    pub commands: Vec<String>,
    /// Report format (with --class, every format is written to OUT).
    #[arg(long, value_enum, default_value = "text", conflicts_with = "class")]
    pub format: Format,
    /// Seed for the random messages; replays a run.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Run only the checks of one group: a role's (server, client, ...),
    /// or those of several programs together (pair).
    #[arg(long, value_name = "GROUP")]
    pub only: Option<String>,
    /// Run only these checks (by id, with `-` or `_`; repeatable).
    #[arg(long = "check", value_name = "ID")]
    pub checks: Vec<String>,
    /// List the checks by stage (id and title) and exit without running
    /// anything.
    #[arg(long, conflicts_with = "class")]
    pub list: bool,
    /// How many checks run at once (with --class: how many submissions).
    #[arg(
        long,
        default_value_t = 4,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=256)
    )]
    pub jobs: usize,
    /// Refuse to grade (exit 2) unless every sandbox layer is active.
    #[arg(long)]
    pub require_sandbox: bool,
    /// A folder whose programs and files a submission's netlab.toml may
    /// use, beyond its own folder and the system's (repeatable; the
    /// environment variable takes a `:` list). Say it for a course's own
    /// tools; never for a folder students can write.
    #[arg(long, value_name = "DIR", env = "NETLAB_TRUST", value_delimiter = ':')]
    pub trust: Vec<PathBuf>,
    /// Where the packets of failed checks go, one .pcap per check (only
    /// when netlab may capture: root or CAP_NET_RAW, on Linux).
    /// Default: netlab-evidence-SEED in the temp folder (such folders a
    /// day old are removed when the next one is made).
    #[arg(long, value_name = "DIR", env = "NETLAB_EVIDENCE_DIR")]
    pub evidence_dir: Option<PathBuf>,
    /// Capture no packets even with the rights to (for measuring the
    /// capture's cost, or to keep no packets at all).
    /// NETLAB_GRADE_NO_CAPTURE=1 does the same; 0/false/no/off/empty do not.
    #[arg(
        long,
        hide = true,
        env = "NETLAB_GRADE_NO_CAPTURE",
        value_parser = clap::builder::FalseyValueParser::new()
    )]
    pub no_capture: bool,
    /// Grade a whole class: every subfolder of DIR is one submission.
    #[arg(long, value_name = "DIR", help_heading = "Class grading")]
    pub class: Option<PathBuf>,
    /// Where --class writes the gradebook, summary, page and reports.
    #[arg(
        long,
        value_name = "OUT",
        requires = "class",
        help_heading = "Class grading"
    )]
    pub out: Option<PathBuf>,
    /// Grade only shard I of N of the class (deterministic by folder name).
    #[arg(
        long,
        value_name = "I/N",
        requires = "class",
        help_heading = "Class grading"
    )]
    pub shard: Option<String>,
    /// Points per check or role and hidden checks (TOML).
    #[arg(
        long,
        value_name = "FILE",
        requires = "class",
        help_heading = "Class grading"
    )]
    pub points: Option<PathBuf>,
    /// Grade every submission again, changed or not.
    #[arg(long, requires = "class", help_heading = "Class grading")]
    pub force: bool,
}

/// Runs `netlab grade`; returns the process exit status
/// (0 all passed, 1 some failed, 2 could not run).
pub fn main(args: &GradeArgs) -> u8 {
    // What a grader killed without its cleanup (kill -9) left behind.
    crate::sandbox::sweep_stale();
    match grade(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("netlab grade: {e}");
            2
        }
    }
}

/// What follows an unknown role's name in a usage error: the nearest
/// role, if one is near enough to be a typo, then the lab's roles.
fn roles_offered(lab: &lab::Lab, typed: &str) -> String {
    let roles = lab.role_names();
    let guess = did_you_mean(&typed.replace('_', "-"), &roles)
        .map(|near| format!("did you mean `{near}`? "))
        .unwrap_or_default();
    format!("{guess}(the roles: {})", roles.join(", "))
}

/// The usage error for a lab the grader does not know.
pub(crate) fn unknown_lab(lab: &str) -> GradeError {
    GradeError::Usage(format!(
        "unknown lab `{}` (known: {})",
        printable_name(lab),
        lab::slugs().join(", ")
    ))
}

impl GradeArgs {
    /// The checks `--only` and `--check` keep, in the lab's order. An
    /// unknown group or check is a usage error naming the nearest.
    pub(crate) fn selected_checks(
        &self,
        lab: &'static lab::Lab,
    ) -> Result<Vec<&'static Check>, GradeError> {
        let wanted = asked_checks(lab.slug, &self.checks)?;
        let only = match &self.only {
            Some(typed) => {
                let groups = lab.groups();
                let group = normalize_id(typed);
                if !groups.contains(&group.as_str()) {
                    let guess = did_you_mean(&group, &groups)
                        .map(|near| format!("did you mean `{near}`? "))
                        .unwrap_or_default();
                    return Err(GradeError::Usage(format!(
                        "--only: no group `{}` in {}; {guess}(the groups: {})",
                        printable_name(typed),
                        lab.slug,
                        groups.join(", ")
                    )));
                }
                Some(group)
            }
            None => None,
        };
        let selected: Vec<&'static Check> = lab
            .checks
            .iter()
            .filter(|c| only.as_deref().is_none_or(|g| g == c.group))
            .filter(|c| wanted.is_empty() || wanted.iter().any(|id| id == c.id))
            .collect();
        // Nothing to run is no pass: a CI line whose --only and --check
        // never meet graded nothing and exited 0 (hostile round 68).
        if selected.is_empty() {
            return Err(GradeError::Usage(format!(
                "no check is both in --only {} and named by --check: nothing to grade",
                printable_name(self.only.as_deref().unwrap_or_default())
            )));
        }
        Ok(selected)
    }

    /// The commands given on the command line, by role: Week 1's role
    /// flags (`--server`, ...) and every `--command ROLE=CMD`. A role the
    /// lab does not have is a usage error.
    pub(crate) fn role_commands(
        &self,
        lab: &'static lab::Lab,
    ) -> Result<Vec<(Role, &str)>, GradeError> {
        let shorthands = [
            ("server", &self.server),
            ("client", &self.client),
            ("threaded-server", &self.threaded_server),
            ("chat-server", &self.chat_server),
            ("chat-client", &self.chat_client),
        ];
        let mut given: Vec<(String, &str, &str)> = shorthands
            .iter()
            .filter_map(|(name, cmd)| Some((name.to_string(), cmd.as_deref()?, "--")))
            .collect();
        for pair in &self.commands {
            let Some((name, line)) = pair.split_once('=') else {
                return Err(GradeError::Usage(format!(
                    "--command {}: write ROLE=CMD (the roles: {})",
                    printable_name(pair),
                    lab.role_names().join(", ")
                )));
            };
            given.push((name.to_string(), line, "--command "));
        }
        let mut seen: Vec<Role> = Vec::new();
        given
            .into_iter()
            .map(|(name, line, how)| {
                if name.trim().is_empty() {
                    return Err(GradeError::Usage(format!(
                        "--command {}: no role before `=` (the roles: {})",
                        printable_name(&format!("={line}")),
                        lab.role_names().join(", ")
                    )));
                }
                let role = lab.role(&name).ok_or_else(|| {
                    GradeError::Usage(format!(
                        "{how}{}: {} has no such role; {}",
                        printable_name(&name),
                        lab.slug,
                        roles_offered(lab, &name)
                    ))
                })?;
                // Given twice (a flag and --command, or --command twice):
                // one would silently win (hostile round 68).
                if seen.contains(&role) {
                    return Err(GradeError::Usage(format!(
                        "the {} command is given twice: keep one",
                        role.name()
                    )));
                }
                seen.push(role);
                Ok((role, line))
            })
            .collect()
    }
}

/// A check id as typed: `server_ack` (a test's name) means `server-ack`.
/// The `--check` ids given, as the lab's checks spell them (`server_ack`
/// is `server-ack`); an unknown one is a usage error naming the nearest.
pub(crate) fn asked_checks(lab: &str, given: &[String]) -> Result<Vec<String>, GradeError> {
    let ids = check_ids(lab);
    let wanted: Vec<String> = given.iter().map(|id| normalize_id(id)).collect();
    for (id, given) in wanted.iter().zip(given) {
        if !ids.contains(&id.as_str()) {
            let mut msg = format!("unknown check `{}`", printable_name(given));
            if let Some(near) = did_you_mean(id, &ids) {
                msg.push_str(&format!("; did you mean `{near}`?"));
            }
            msg.push_str(&format!("\n  `netlab grade {lab} --list` lists the checks"));
            return Err(GradeError::Usage(msg));
        }
    }
    Ok(wanted)
}

pub(crate) fn normalize_id(id: &str) -> String {
    id.trim().to_ascii_lowercase().replace('_', "-")
}

/// The known name closest to `typed`, if it is close enough to be a typo.
pub(crate) fn did_you_mean<'a>(typed: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (strsim::damerau_levenshtein(typed, k), *k))
        .filter(|(distance, k)| *distance <= 3.max(k.len() / 4))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, k)| k)
}

/// The end of a live text run: each failure's story (its line again, then
/// the story), then the score line as the full report ends.
fn live_summary(outcomes: &[Outcome], color: bool) -> String {
    let mut out = String::new();
    let failures: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.passed == Some(false))
        .collect();
    if !failures.is_empty() {
        // The causes first (24 failures may be 3 mistakes), then the stories.
        out.push_str(&report::render_findings(&report::findings(outcomes), color));
        out.push_str(&format!(
            "\n{}\n",
            live::paint(live::BOLD, "the details, check by check:", color)
        ));
        for o in failures {
            out.push_str(&report::render_outcome(o, color));
        }
    }
    // The score, worded as the full report's last lines.
    let (passed, failed, skipped) = report::counts(outcomes);
    let score = format!("{passed} passed, {failed} failed, {skipped} skipped");
    let style = if failed > 0 { live::RED } else { live::GREEN };
    out.push_str(&format!("\n{}\n", live::paint(style, &score, color)));
    out.push_str(&sandbox::policy().summary());
    out.push('\n');
    out
}

/// The most a netlab.toml may hold: a few command lines.
const MANIFEST_MAX_BYTES: u64 = 64 << 10;

/// The folder of the running netlab's own programs, when `dir` holds it.
fn holds_netlab_itself(dir: &Path) -> Option<PathBuf> {
    let own = std::env::current_exe().ok()?.canonicalize().ok()?;
    let own = own.parent()?;
    let reference = own.join(format!("server{}", std::env::consts::EXE_SUFFIX));
    (own.starts_with(dir.canonicalize().ok()?) && reference.exists()).then(|| own.to_path_buf())
}

/// The text of a submission's netlab.toml, read as untrusted (the grader
/// may be root, the folder anyone's; see [`sandbox::read_untrusted`]):
/// seen, `netlab.toml -> /etc/shadow` printed a line of it in the parse
/// error, and a FIFO blocked the grader for ever.
pub(crate) fn read_manifest(path: &Path) -> std::io::Result<String> {
    let bytes = sandbox::read_untrusted(path, MANIFEST_MAX_BYTES)?;
    String::from_utf8(bytes).map_err(|_| std::io::Error::other("it is not UTF-8 text"))
}

fn grade(args: &GradeArgs) -> Result<u8, GradeError> {
    for dir in args.trust.iter().filter(|d| !d.as_os_str().is_empty()) {
        sandbox::trust(dir)
            .map_err(|e| GradeError::Usage(format!("--trust {}: {e}", dir.display())))?;
        if let Some(own) = holds_netlab_itself(dir) {
            // Trusted whole, as asked (the tests and the bench grade the
            // reference so), but never silently (hostile round 21: a
            // netlab.toml naming them scored full marks with no code).
            eprintln!(
                "warning: the trusted folder {} holds netlab's own programs ({}): a submission may then run the reference programs and pass as the reference; trust it only to grade the reference itself",
                printable_name(&dir.display().to_string()),
                printable_name(&own.display().to_string())
            );
        }
    }
    if args.class.is_some() {
        // A class too: refused before anything runs where a layer is
        // missing, and no program runs with fewer layers than the policy's.
        if args.require_sandbox {
            require_sandbox()?;
            sandbox::set_strict();
        }
        return class::main_from_args(args);
    }
    let the_lab = lab::find(&args.lab).ok_or_else(|| unknown_lab(&args.lab))?;
    let all = the_lab.checks;
    // The checks asked for first: a typo is named before anything else
    // (a missing netlab.toml, say) is, and before `--list` (which lists
    // them all, by stage) accepted it.
    let selected = args.selected_checks(the_lab)?;
    if args.list {
        print!("{}", live::render_list(&args.lab, all));
        return Ok(0);
    }
    if !args.dir.is_dir() {
        return Err(GradeError::Usage(format!(
            "{} is not a folder",
            args.dir.display()
        )));
    }
    let dir = args.dir.canonicalize().unwrap_or_else(|_| args.dir.clone());
    let flags = args.role_commands(the_lab)?;
    let mut submission = if flags.is_empty() {
        Submission::from_manifest(&dir, &args.lab)?
    } else {
        Submission::new(&dir)
    };
    for (role, line) in flags {
        submission = submission.with_command_line(role, line)?;
    }
    if submission.commands.is_empty() {
        return Err(GradeError::Usage(
            "no commands to grade: netlab.toml has an empty [commands] table".into(),
        ));
    }
    if args.require_sandbox {
        require_sandbox()?;
        sandbox::set_strict();
        sandbox::require_private_copy(submission.dir()).map_err(GradeError::Usage)?;
    }
    let seed = args.seed.unwrap_or_else(fresh_seed);
    let submission = if args.no_capture {
        submission
    } else {
        let dir = args.evidence_dir.clone().unwrap_or_else(|| {
            let dir = evidence::default_dir(seed, submission.dir());
            evidence::prune_old_defaults(std::time::Duration::from_secs(24 * 3600), &dir);
            dir
        });
        submission.with_evidence_dir(dir)
    };
    let color = anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never;
    // Live lines and a progress bar only for a person at a terminal; a
    // pipe (or JSON, JUnit) gets the whole report at the end, as before.
    let live = args.format == Format::Text && std::io::IsTerminal::is_terminal(&std::io::stdout());
    let started = Instant::now();
    let mut display = live::Display::new(&selected, live, color);
    if display.is_live() {
        display.println(&format!(
            "{} {} (seed {seed}; replay with --seed {seed})",
            live::paint(live::BOLD, "netlab grade", color),
            args.lab
        ));
    }
    let progress = live::run(&selected, &submission, seed, args.jobs, |progress, _| {
        display.update(progress)
    });
    display.finish(&progress);
    let elapsed = started.elapsed();
    let outcomes = progress.done();
    let note = live::interrupted_note(&selected, &progress, color);
    match args.format {
        Format::Text => {
            let mut text = if display.is_live() {
                // The lines are on screen already: the failures' stories
                // and the score.
                live_summary(&outcomes, color)
            } else {
                report::render_text(&args.lab, seed, &outcomes, color)
            };
            if let Some(note) = &note {
                text.push_str(note);
                text.push('\n');
            }
            text.push_str(&format!("finished in {:.1}s\n", elapsed.as_secs_f64()));
            // On a terminal, long lines (stories, skipped reasons, hints)
            // wrap at its width under where they read from; in a pipe or a
            // file, one fact per line, unwrapped.
            if let Some(width) = crate::wrap::stdout_columns() {
                text = crate::wrap::fill(&text, width);
            }
            live::write_stdout(&text);
        }
        Format::Json => println!("{}", report::render_json(&args.lab, seed, &outcomes)),
        Format::Junit => println!(
            "{}",
            report::render_junit(&args.lab, seed, &outcomes, elapsed)
        ),
    }
    if let Some(note) = note {
        if args.format != Format::Text {
            anstream::eprintln!("netlab grade: {note}");
        }
        return Ok(130);
    }
    if !outcomes.is_empty() && outcomes.iter().all(|o| o.passed.is_none()) {
        // Nothing was graded: that is not a pass.
        return Err(GradeError::Usage(
            "every selected check was skipped: give the commands its roles need".into(),
        ));
    }
    if args.require_sandbox {
        // A program may have run outside a layer (one only root can reach).
        require_sandbox()?;
    }
    let failed = outcomes.iter().any(|o| o.passed == Some(false));
    Ok(u8::from(failed))
}

/// `--require-sandbox`: an error naming what is missing.
fn require_sandbox() -> Result<(), GradeError> {
    let policy = sandbox::policy();
    if policy.complete() {
        return Ok(());
    }
    Err(GradeError::Usage(format!(
        "--require-sandbox: not every protection is available here\n  {}\n  run as root on Linux (namespaces, cgroup v1 writable), or drop --require-sandbox",
        policy.summary()
    )))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_refused_netlab_toml_is_quoted_without_its_control_characters() {
        let dir = tempfile::tempdir().unwrap();
        for text in [
            "lab = \"week01\\u001b[2J\\u001b[32m\"\n",
            "lab = \"week01\"\n[commands]\n\"serv\\u001b]0;pwned\\u0007er\" = \"x\"\n",
            "lab = \"week01\"\n[commands]\nserver = \"python3 '\\u001b[2J\"\n",
        ] {
            std::fs::write(dir.path().join("netlab.toml"), text).unwrap();
            let super::GradeError::Usage(message) =
                super::Submission::from_manifest(dir.path(), "week01").unwrap_err();
            assert!(!message.contains('\u{1b}'), "{message:?}");
            assert!(!message.contains('\u{7}'), "{message:?}");
            assert!(message.contains("\\u{1b}"), "spelled out: {message:?}");
        }
        // A key holding a newline forges no line of its own (hostile round
        // 67): the message is netlab's three lines, the place named.
        let text = "lab = \"week01\"\n\"evil\\n  \u{2714} all passed\" = 1\n";
        std::fs::write(dir.path().join("netlab.toml"), text).unwrap();
        let super::GradeError::Usage(message) =
            super::Submission::from_manifest(dir.path(), "week01").unwrap_err();
        assert_eq!(message.lines().count(), 2, "{message}");
        assert!(message.contains("(line 2, column 1)"), "{message}");
        assert!(message.contains("unknown field"), "{message}");
        assert!(message.contains("evil\\n"), "{message}");
    }

    #[test]
    fn only_a_line_that_opens_with_not_implemented_names_a_starter() {
        for said in [
            "[SERVER] not implemented yet: open src/bin/server.rs, TODO(week01) step 2",
            "not implemented: the chat client",
            "  Not Implemented",
        ] {
            assert!(super::says_not_implemented(said), "{said}");
        }
        for aside in [
            "note: logging not implemented yet, see TODO in server.py",
            "[SERVER] extension B is not implemented",
            "NotImplementedError",
            "[]",
            "",
        ] {
            assert!(!super::says_not_implemented(aside), "{aside}");
        }
    }

    #[test]
    fn a_repeated_block_of_steps_is_told_once() {
        let step = |s: &str| s.to_string();
        let mut steps = vec![step("start")];
        for _ in 0..16 {
            steps.extend([step("connect"), step("send"), step("read")]);
        }
        steps.push(step("give up"));
        assert_eq!(
            super::fold_repeats(steps),
            [
                "start",
                "connect",
                "send",
                "read",
                "(the 3 steps above, 15 more times)",
                "give up"
            ]
        );
        let one = vec![step("wait"); 5];
        assert_eq!(
            super::fold_repeats(one),
            ["wait", "(the step above, 4 more times)"]
        );
        // Twice is not a loop: told as it was.
        let twice = vec![step("a"), step("a"), step("b")];
        assert_eq!(super::fold_repeats(twice.clone()), twice);
    }
}
