//! The lab folders' `cargo test`: the grader's checks, run on the student's
//! own programs and reported stage by stage, so the first screen says where
//! to start (like rustlings).
//!
//! A lab's `tests/weekNN.rs` is a custom test harness (`harness = false` in
//! the lab's Cargo.toml): it builds the [`Submission`] from the lab's own
//! binaries and hands it to [`main`]. The tests are the lab's checks, taken
//! from [`super::stages`] (nobody lists them by hand) and named
//! `stageN-GROUP::CHECK-ID` (`stage2-client::client-ack`), so
//! `cargo test stage2` runs one stage and `cargo test client-ack` one check.
//!
//! libtest-mimic parses cargo test's arguments (a filter, `--exact`,
//! `--skip`, `--list`, `--ignored`, `--test-threads`, `--color`) and prints
//! `--list`. The report is ours, because libtest's (a line per test, then
//! every failure in full, each behind a panic location) buries the one thing
//! a beginner needs under hundreds of lines:
//!
//! - one line per stage with its count and the diagnosis codes of its
//!   failures, printed as soon as the stage is done; the first unfinished
//!   stage is marked (`← start here`, `← next`);
//! - the first failure's story in full (steps, expected, observed, the
//!   programs' output — left out for `not-implemented`, whose observation
//!   quotes it — diagnosis, hint), wrapped at the terminal's width (not in
//!   a pipe), then the other failures one line each, as many as fit the
//!   screen (NETLAB_VERBOSE=1: every story);
//! - a closing `LAB: N passed, N failed` line, and exit status 101 while
//!   anything fails (libtest's, so cargo reports the failure as usual).
//!
//! No panic location or backtrace reaches the student: a check that panics
//! is already a `grader-error` outcome (see [`super::run_check`]), so the
//! panic hook stays quiet on the worker threads.

use std::collections::BTreeSet;
use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use anstyle::{AnsiColor, Style};
use libtest_mimic::{Arguments, ColorSetting, Trial};

use super::{report, run_check, stages, Check, Outcome, Stage, Submission};

/// Set to 1 to print every failure's story, not just the first.
pub const VERBOSE_ENV: &str = "NETLAB_VERBOSE";
/// Replays a run's random inputs (the seed is printed at the top).
pub const SEED_ENV: &str = "NETLAB_SEED";

/// How many lines of its own the report may print on the untouched starter,
/// so that, with cargo's lines around it, the first run fits one screen.
/// Cargo adds about a dozen (the lib's unit tests, `Running ...`, `error:
/// test failed`); 28 + 12 = 40 lines, one screen.
const SCREEN_LINES: usize = 28;

/// How many checks run at once unless `--test-threads` says otherwise (as
/// `netlab grade --jobs`).
const DEFAULT_JOBS: usize = 4;

/// The exit status while a check fails: libtest's.
const FAILED: u8 = 101;

const GREEN: Style = AnsiColor::Green.on_default().bold();
const RED: Style = AnsiColor::Red.on_default().bold();
const YELLOW: Style = AnsiColor::Yellow.on_default().bold();
const DIM: Style = Style::new().dimmed();
const BOLD: Style = Style::new().bold();

/// The harness of a lab's `cargo test`: reads the arguments cargo passes,
/// runs the selected checks of `lab` on `submission` and reports them.
pub fn main(lab: &str, submission: &Submission) -> ExitCode {
    let args = Arguments::from_args();
    let code = run(lab, submission, &args);
    // Nothing the checks started outlives the run (the subreaper's
    // orphans, folders of checks cut short).
    crate::sandbox::cleanup_leftovers();
    ExitCode::from(code)
}

/// [`main`] with the arguments given: returns the exit status (0 all
/// selected checks passed, 101 some failed, 2 the lab is unknown).
pub fn run(lab: &str, submission: &Submission, args: &Arguments) -> u8 {
    let Some(stages) = stages(lab) else {
        eprintln!("netlab: the grader knows no lab `{lab}`");
        return 2;
    };
    let width = stages.len().to_string().len();
    let args = &normalised(args, &stages, width);
    if args.list {
        let trials = stages
            .iter()
            .flat_map(|stage| stage.checks.iter().map(|c| trial(stage, c, width)))
            .collect();
        let _ = libtest_mimic::run(args, trials);
        return 0;
    }
    if args.bench {
        // `cargo bench` runs test targets too; these are not benchmarks.
        return 0;
    }
    let plan = Plan::new(&stages, args, width);
    if plan.runs.is_empty() {
        let ignored: usize = plan.ignored.iter().sum();
        if ignored > 0 {
            println!("{lab}: the {ignored} selected check(s) need Unix signals: ignored here");
        } else {
            let filter = args.filter.as_deref().unwrap_or_default();
            println!(
                "{lab}: no check matches `{filter}` (`cargo test -- --list` lists them; `cargo test stage1` runs stage 1)"
            );
        }
        return 0;
    }
    let seed = match std::env::var(SEED_ENV).map(|text| (text.trim().parse(), text)) {
        Ok((Ok(seed), _)) => seed,
        Ok((Err(_), text)) => {
            eprintln!(
                "netlab: {SEED_ENV}={text:?} is not a seed: give the number a report printed"
            );
            return 2;
        }
        Err(_) => super::fresh_seed(),
    };
    quiet_worker_panics();
    let verbose = std::env::var(VERBOSE_ENV).is_ok_and(|v| !matches!(v.trim(), "" | "0"));
    let color = use_color(args);
    let jobs = args
        .test_threads
        .or_else(|| std::env::var("RUST_TEST_THREADS").ok()?.parse().ok())
        .unwrap_or(DEFAULT_JOBS);

    let mut out = std::io::stdout();
    let selected = plan.runs.len();
    let total = plan.total;
    let what = if selected == total {
        format!("{total} checks")
    } else {
        format!("{selected} of {total} checks")
    };
    let _ = writeln!(
        out,
        "{} {lab}: {what} on your programs, stage by stage {}",
        paint(BOLD, "netlab", color),
        paint(DIM, &format!("(seed {seed})"), color)
    );
    let _ = out.flush();

    let mut view = StageView::new(&stages, &plan, color);
    let outcomes = run_in_order(&plan, submission, seed, jobs, |done| {
        for line in view.lines_ready(done) {
            let _ = writeln!(out, "{line}");
        }
        let _ = out.flush();
    });
    let width = crate::wrap::stdout_columns();
    let report = render_failures(lab, seed, &plan, &outcomes, verbose, color, width);
    let _ = out.write_all(report.as_bytes());
    let _ = out.flush();
    if outcomes.iter().all(|o| o.passed == Some(true)) {
        0
    } else {
        FAILED
    }
}

/// A test's name: `stage2-client::client-ack`. The stage number is padded
/// when a lab has ten stages or more, so `stage1` never selects `stage10`.
pub fn test_name(stage: &Stage, check: &Check, width: usize) -> String {
    format!("stage{:0width$}-{}::{}", stage.number, stage.name, check.id)
}

/// Check ids are kebab-case, but Rust users type test names in snake case
/// (`cargo test server_ack`): when no test name has an `_`, the filter and
/// `--skip` patterns are read with `-` for `_`.
fn dashed(args: &Arguments, stages: &[Stage]) -> Arguments {
    let mut args = args.clone();
    let underscored = stages
        .iter()
        .flat_map(|stage| stage.checks.iter().map(move |c| test_name(stage, c, 1)))
        .any(|name| name.contains('_'));
    if !underscored {
        args.filter = args.filter.map(|f| f.replace('_', "-"));
        for skip in &mut args.skip {
            *skip = skip.replace('_', "-");
        }
    }
    args
}

/// The filter and `--skip` patterns as a student means them: snake case
/// read as kebab case ([`dashed`]), and whole words ([`whole_words`]).
/// `--exact` patterns are taken as they are.
fn normalised(args: &Arguments, stages: &[Stage], width: usize) -> Arguments {
    let mut args = dashed(args, stages);
    if args.exact {
        return args;
    }
    args.filter = args.filter.map(|f| whole_words(&f, stages, width));
    for skip in &mut args.skip {
        *skip = whole_words(skip, stages, width);
    }
    args
}

/// A pattern that names a stage (`client`) selects that stage, and one
/// that starts a check id (`client-`, `client-ack`) the checks whose id
/// starts with it. As bare substrings, `client` would also catch
/// `server-silent-client` and the whole `chat-client` stage. Anything else
/// (`ack`, `stage2`, a full test name) stays a substring.
fn whole_words(pattern: &str, stages: &[Stage], width: usize) -> String {
    if pattern.contains("::") || pattern.starts_with("stage") {
        return pattern.to_string();
    }
    let word = pattern.trim_end_matches('-');
    if let Some(stage) = stages.iter().find(|s| s.name == word) {
        return format!("stage{:0width$}-{}::", stage.number, stage.name);
    }
    let starts_an_id = stages
        .iter()
        .flat_map(|s| &s.checks)
        .any(|c| c.id.starts_with(pattern));
    if starts_an_id {
        format!("::{pattern}")
    } else {
        pattern.to_string()
    }
}

/// The libtest-mimic trial of a check, for filtering and `--list` (the check
/// itself is run by [`run_in_order`]). A Unix-only check is an ignored test
/// elsewhere: the grader cannot send signals there.
fn trial(stage: &Stage, check: &Check, width: usize) -> Trial {
    Trial::test(test_name(stage, check, width), || Ok(()))
        .with_ignored_flag(check.unix_only && !cfg!(unix))
}

/// The checks to run, in stage order, and what was left out.
struct Plan {
    /// (index into the stages, the check), in stage order.
    runs: Vec<(usize, &'static Check)>,
    /// Per stage: how many of its selected checks are ignored.
    ignored: Vec<usize>,
    /// How many checks the lab has in all.
    total: usize,
}

impl Plan {
    fn new(stages: &[Stage], args: &Arguments, width: usize) -> Plan {
        let mut runs = Vec::new();
        let mut ignored = vec![0; stages.len()];
        for (index, stage) in stages.iter().enumerate() {
            for check in &stage.checks {
                let trial = trial(stage, check, width);
                if args.is_filtered_out(&trial) {
                    continue;
                }
                if args.is_ignored(&trial) {
                    ignored[index] += 1;
                } else {
                    runs.push((index, *check));
                }
            }
        }
        let total = stages.iter().map(|s| s.checks.len()).sum();
        Plan {
            runs,
            ignored,
            total,
        }
    }

    /// The range of `runs` that belongs to stage `index`.
    fn stage_range(&self, index: usize) -> std::ops::Range<usize> {
        let start = self.runs.iter().take_while(|(s, _)| *s < index).count();
        let len = self.runs[start..]
            .iter()
            .take_while(|(s, _)| *s == index)
            .count();
        start..start + len
    }
}

/// Runs the plan's checks on up to `jobs` threads, handed out in stage
/// order; after each finished check, `progress` gets the outcomes known so
/// far (in plan order). Returns every outcome, in plan order.
fn run_in_order(
    plan: &Plan,
    submission: &Submission,
    seed: u64,
    jobs: usize,
    mut progress: impl FnMut(&[Option<Outcome>]),
) -> Vec<Outcome> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; plan.runs.len()]);
    let finished = Condvar::new();
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, plan.runs.len()) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some((_, check)) = plan.runs.get(i) else {
                    break;
                };
                let outcome = run_check(check, submission, seed);
                results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(outcome);
                finished.notify_all();
            });
        }
        let mut guard = results.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            progress(&guard);
            if guard.iter().all(Option::is_some) {
                break;
            }
            guard = finished.wait(guard).unwrap_or_else(|e| e.into_inner());
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect()
}

/// The stage lines, each printed once its stage (and every stage before it)
/// is done.
struct StageView<'a> {
    stages: &'a [Stage],
    plan: &'a Plan,
    color: bool,
    /// The stages shown: those with a selected check.
    shown: Vec<usize>,
    /// How many of `shown` are printed.
    printed: usize,
    /// Whether a check passed in a printed stage.
    any_passed: bool,
    /// Whether the first unfinished stage got its marker.
    marked: bool,
    name_width: usize,
    count_width: usize,
}

impl<'a> StageView<'a> {
    fn new(stages: &'a [Stage], plan: &'a Plan, color: bool) -> StageView<'a> {
        let shown: Vec<usize> = (0..stages.len())
            .filter(|&i| !plan.stage_range(i).is_empty() || plan.ignored[i] > 0)
            .collect();
        let name_width = shown
            .iter()
            .map(|&i| stages[i].name.len())
            .max()
            .unwrap_or(0);
        let count_width = shown
            .iter()
            .map(|&i| {
                let n = plan.stage_range(i).len();
                format!("{n}/{n}").len()
            })
            .max()
            .unwrap_or(0);
        StageView {
            stages,
            plan,
            color,
            shown,
            printed: 0,
            any_passed: false,
            marked: false,
            name_width,
            count_width,
        }
    }

    /// The lines of the stages whose checks are all done, not printed yet.
    fn lines_ready(&mut self, done: &[Option<Outcome>]) -> Vec<String> {
        let mut lines = Vec::new();
        while let Some(&index) = self.shown.get(self.printed) {
            let range = self.plan.stage_range(index);
            let Some(outcomes) = done[range]
                .iter()
                .map(Option::as_ref)
                .collect::<Option<Vec<&Outcome>>>()
            else {
                break;
            };
            lines.push(self.line(index, &outcomes));
            self.printed += 1;
        }
        lines
    }

    /// `  stage 1  server  0/11  ← start here  (not-implemented)`.
    fn line(&mut self, index: usize, outcomes: &[&Outcome]) -> String {
        let stage = &self.stages[index];
        let passed = outcomes.iter().filter(|o| o.passed == Some(true)).count();
        let count = format!("{passed}/{}", outcomes.len());
        let complete = passed == outcomes.len();
        let mut line = format!(
            "  stage {}  {:<name$}  {:>count_width$}",
            stage.number,
            stage.name,
            count,
            name = self.name_width,
            count_width = self.count_width
        );
        let c = self.color;
        if complete {
            line.push_str(&format!(" {}", paint(GREEN, "✔", c)));
        } else if !self.marked {
            self.marked = true;
            let marker = if !self.any_passed && passed == 0 {
                "← start here"
            } else if passed == 0 {
                "← next"
            } else {
                "← you are here"
            };
            line.push_str(&format!("  {}", paint(YELLOW, marker, c)));
        }
        // Each failure under the name of the finding it is reported in:
        // a consequence folded under another check's mistake is not a
        // second code (blind round 62: `(busy-cap, busy-leak)` for one
        // leak).
        let stage: Vec<Outcome> = outcomes.iter().map(|o| (*o).clone()).collect();
        let codes: BTreeSet<&str> = stage
            .iter()
            .filter(|o| o.passed != Some(true))
            .map(|o| report::reported_diagnosis(o, &stage).map_or("skipped", |d| d.code()))
            .collect();
        if !codes.is_empty() {
            let codes: Vec<&str> = codes.into_iter().collect();
            line.push_str(&format!(
                "  {}",
                paint(DIM, &format!("({})", codes.join(", ")), c)
            ));
        }
        if self.plan.ignored[index] > 0 {
            line.push_str(&format!(
                "  {}",
                paint(
                    DIM,
                    &format!("{} ignored (needs Unix signals)", self.plan.ignored[index]),
                    c
                )
            ));
        }
        self.any_passed |= passed > 0;
        line
    }
}

/// How many checks the "also failing" line names when no room is left
/// to list them a line each.
const NAMED_AT_MOST: usize = 6;

/// Everything after the stage lines: the failures (the first one's story in
/// full, the next ones a line each), the closing count and what to do next.
/// With `width` (a terminal's), long lines wrap at it, each under where it
/// reads from, and the one-line list shrinks so the whole still fits one
/// screen; without, nothing is wrapped.
fn render_failures(
    lab: &str,
    seed: u64,
    plan: &Plan,
    outcomes: &[Outcome],
    verbose: bool,
    color: bool,
    width: Option<usize>,
) -> String {
    let fit = |text: String| match width {
        Some(width) => crate::wrap::fill(&text, width),
        None => text,
    };
    let mut out = String::new();
    let mut failed: Vec<(usize, &Outcome)> = outcomes
        .iter()
        .enumerate()
        .filter(|(_, o)| o.passed != Some(true))
        .collect();
    // The story told first: the first failure that is not folded under
    // another check's finding in its stage (blind round 62: a leak's
    // consequence, told as busy-cap with a hint about the cap, and the
    // leak's own story, with the right hint, one line further down).
    if let Some(&(first, _)) = failed.first() {
        let stage = plan.runs[first].0;
        let root = failed
            .iter()
            .position(|&(i, o)| plan.runs[i].0 == stage && !report::is_folded(o, outcomes));
        if let Some(root) = root {
            let told = failed.remove(root);
            failed.insert(0, told);
        }
    }
    let passed = outcomes.len() - failed.len();
    let closing = fit(closing_lines(
        lab, seed, plan, passed, &failed, verbose, color,
    ));
    if let Some(&(first, _)) = failed.first() {
        out.push('\n');
        let shown = if verbose { failed.len() } else { 1 };
        for (_, o) in &failed[..shown] {
            let mut o = (*o).clone();
            if !verbose && o.diagnosis == Some(super::Diagnosis::NotImplemented) {
                // `observed:` quotes the program's own line already; its
                // output again (that same line) would push the rest off
                // the first screen.
                o.processes = None;
            }
            out.push_str(&fit(report::render_outcome(&o, color)));
        }
        let rest = &failed[shown..];
        if !rest.is_empty() {
            // Budget: the header and stage lines above, the lines so far,
            // this list's heading and the closing lines below.
            let stage_lines = (0..plan.ignored.len())
                .filter(|&s| !plan.stage_range(s).is_empty())
                .count();
            let used = 1 + stage_lines + out.lines().count() + 1 + closing.lines().count();
            let room = SCREEN_LINES.saturating_sub(used);
            let listed = if rest.len() <= room {
                rest.len()
            } else {
                // Less than three lines left (a narrow terminal): none
                // listed, only counted.
                room.saturating_sub(1) * usize::from(room >= 3)
            };
            let first_stage = plan.runs[first].0;
            if listed > 0 {
                out.push_str(&format!(
                    "{}\n",
                    paint(BOLD, "also failing, one line each:", color)
                ));
            }
            let id_width = rest[..listed]
                .iter()
                .map(|(_, o)| o.id.len())
                .max()
                .unwrap_or(0);
            for (i, o) in &rest[..listed] {
                let code = report::reported_diagnosis(o, outcomes).map_or("skipped", |d| d.code());
                let elsewhere = plan.runs[*i].0 != first_stage;
                let stage_note = if elsewhere { "  (later stage)" } else { "" };
                out.push_str(&format!(
                    "  {} {:<id_width$}  {}{}\n",
                    paint(RED, "✘", color),
                    o.id,
                    paint(RED, code, color),
                    paint(DIM, stage_note, color),
                ));
            }
            if listed > 0 && listed < rest.len() {
                out.push_str(&format!("  … and {} more\n", rest.len() - listed));
            }
            if listed == 0 {
                // The first story filled the screen: still say that there
                // are more (a student took it for the only failure), and
                // which, on one line (blind round 62: a count alone did
                // not say what to run next).
                let more = rest.len();
                let head = format!(
                    "also failing: {more} more check{}:",
                    if more == 1 { "" } else { "s" }
                );
                // As many names as fit the terminal's width (one at least):
                // the line was the only one left unwrapped (blind round 70).
                let mut names: Vec<&str> = Vec::new();
                for (_, o) in rest.iter().take(NAMED_AT_MOST) {
                    let longer = head.chars().count()
                        + names.iter().map(|n| n.len() + 2).sum::<usize>()
                        + o.id.len()
                        + 4;
                    if !names.is_empty() && width.is_some_and(|w| longer > w) {
                        break;
                    }
                    names.push(o.id);
                }
                let etc = if more > names.len() { ", …" } else { "" };
                out.push_str(&format!(
                    "{} {}{etc}\n",
                    paint(BOLD, &head, color),
                    names.join(", ")
                ));
            }
        }
    }
    out.push_str(&closing);
    out
}

/// The closing lines: a blank line, the count, and what to do next.
fn closing_lines(
    lab: &str,
    seed: u64,
    plan: &Plan,
    passed: usize,
    failed: &[(usize, &Outcome)],
    verbose: bool,
    color: bool,
) -> String {
    let ignored: usize = plan.ignored.iter().sum();
    let mut out = String::from("\n");
    let mut closing = format!("{lab}: {passed} passed, {} failed", failed.len());
    if ignored > 0 {
        closing.push_str(&format!(", {ignored} skipped"));
    }
    let style = if failed.is_empty() { GREEN } else { RED };
    out.push_str(&paint(style, &closing, color));
    if failed.len() > 1 && !verbose {
        // Only the first story was told.
        out.push_str(&format!(" ({VERBOSE_ENV}=1 cargo test tells every story)"));
    }
    out.push('\n');
    let all_selected = plan.runs.len() + ignored == plan.total;
    match failed.first() {
        Some((i, o)) => {
            let stage = plan.runs[*i].0 + 1;
            let focus = if all_selected {
                format!("`cargo test stage{stage}` runs stage {stage} alone")
            } else {
                "`cargo test` runs every stage".to_string()
            };
            out.push_str(&format!(
                "{} {focus}, `cargo test {}` that check; {SEED_ENV}={seed} replays this run\n",
                paint(BOLD, "tip:", color),
                o.id
            ));
        }
        None if all_selected => {
            out.push_str(&format!(
                "{} every check passes: `netlab grade {lab}` at the repository root gives the same verdict\n",
                paint(GREEN, "✔", color)
            ));
        }
        None => {
            out.push_str(&format!(
                "{} the selected checks pass; `cargo test` runs every stage\n",
                paint(GREEN, "✔", color)
            ));
        }
    }
    out
}

/// Colour on a terminal unless NO_COLOR, or as `--color` says.
fn use_color(args: &Arguments) -> bool {
    match args.color {
        Some(ColorSetting::Always) => true,
        Some(ColorSetting::Never) => false,
        Some(ColorSetting::Auto) | None => {
            anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
        }
    }
}

fn paint(style: Style, text: &str, color: bool) -> String {
    if color && !text.is_empty() {
        format!("{}{text}{}", style.render(), style.render_reset())
    } else {
        text.to_string()
    }
}

/// Silences the default panic message on the checks' worker threads: a
/// panic there is caught by [`run_check`] and reported as `grader-error`
/// with its message, so the student never sees a panic location or a
/// backtrace. A panic on the main thread (a bug in this harness) still says
/// what happened, without the location.
fn quiet_worker_panics() {
    std::panic::set_hook(Box::new(|info| {
        if std::thread::current().name() == Some("main") {
            let what = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default();
            eprintln!("netlab: the test harness itself failed: {what} (please report this)");
        }
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grade::harness::{Ctx, Failure};
    use crate::grade::Diagnosis;

    fn never_run(_: &mut Ctx) -> Result<(), Failure> {
        Ok(())
    }

    /// Six groups shaped like a real lab's (11, 6, 6, 7, 4, 2 checks).
    fn lab() -> Vec<Stage> {
        const SIZES: [(&str, usize); 6] = [
            ("alpha", 11),
            ("beta", 6),
            ("gamma-delta", 6),
            ("epsilon", 7),
            ("zeta", 4),
            ("pair", 2),
        ];
        SIZES
            .iter()
            .enumerate()
            .map(|(i, (group, n))| Stage {
                number: i + 1,
                name: group,
                checks: (0..*n)
                    .map(|k| {
                        let check: &'static Check = Box::leak(Box::new(Check {
                            id: Box::leak(format!("{group}-check-{k}").into_boxed_str()),
                            group,
                            title: "does one thing of the contract",
                            needs: &[],
                            unix_only: false,
                            run: never_run,
                        }));
                        check
                    })
                    .collect(),
            })
            .collect()
    }

    /// An outcome as a starter's gets it: a story of typical length.
    fn outcome(check: &Check, passed: bool) -> Outcome {
        Outcome {
            id: check.id,
            role: check.group,
            title: check.title,
            passed: Some(passed),
            diagnosis: (!passed).then_some(Diagnosis::NotImplemented),
            expected: (!passed).then(|| "a Listening line".to_string()),
            observed: (!passed).then(|| "the program said: not implemented yet".to_string()),
            hint: (!passed).then(|| Diagnosis::NotImplemented.hint().to_string()),
            duration_ms: 3,
            skipped: None,
            steps: if passed {
                Vec::new()
            } else {
                vec!["start the program".into(), "wait for its line".into()]
            },
            processes: (!passed).then(|| {
                "program `prog`: exit 1\n  stdout: (nothing)\n  stderr:\n  | not implemented yet\n"
                    .to_string()
            }),
            pcap: None,
            wire: Vec::new(),
            follows_from: None,
            fold: crate::grade::Fold::SameDiagnosis,
            otherwise: None,
            crash_site: None,
            cpu_ms: None,
        }
    }

    fn args(argv: &[&str]) -> Arguments {
        Arguments::from_iter(std::iter::once("harness").chain(argv.iter().copied()))
    }

    /// The whole report as the student sees it (without colour), for the
    /// outcomes `passes` decides.
    fn report(stages: &[Stage], argv: &[&str], passes: impl Fn(&Check) -> bool) -> String {
        let plan = Plan::new(stages, &args(argv), 1);
        let outcomes: Vec<Outcome> = plan
            .runs
            .iter()
            .map(|(_, c)| outcome(c, passes(c)))
            .collect();
        let done: Vec<Option<Outcome>> = outcomes.iter().cloned().map(Some).collect();
        let mut view = StageView::new(stages, &plan, false);
        let mut text = String::from("netlab lab: header\n");
        for line in view.lines_ready(&done) {
            text.push_str(&line);
            text.push('\n');
        }
        text.push_str(&render_failures(
            "lab", 7, &plan, &outcomes, false, false, None,
        ));
        text
    }

    #[test]
    fn the_untouched_starter_fits_one_screen_and_says_where_to_start() {
        let stages = lab();
        let text = report(&stages, &[], |_| false);
        assert!(
            text.lines().count() <= SCREEN_LINES,
            "{} lines:\n{text}",
            text.lines().count()
        );
        assert!(
            text.contains("  stage 1  alpha         0/11  ← start here"),
            "{text}"
        );
        assert!(text.contains("  stage 2  beta           0/6  (not-implemented)"));
        // The first failure in full, the others a line each, then the rest counted.
        assert_eq!(text.matches("what the grader did:").count(), 1);
        assert!(text.contains("✘ alpha-check-0 "));
        assert!(
            text.contains("  ✘ alpha-check-1  not-implemented\n"),
            "{text}"
        );
        assert!(text.contains("… and "));
        assert!(text.contains(
            "lab: 0 passed, 36 failed (NETLAB_VERBOSE=1 cargo test tells every story)\n"
        ));
        assert!(text.contains("`cargo test stage1` runs stage 1 alone"));
        assert!(!text.contains("panicked"));
    }

    #[test]
    fn on_a_terminal_the_story_wraps_at_its_width_and_the_whole_still_fits() {
        // The real starter's story, as long as it is (its lines reach 150
        // columns), at 80 columns.
        let stages = lab();
        let plan = Plan::new(&stages, &args(&[]), 1);
        let said = "[SERVER] not implemented yet: open src/bin/server.rs, TODO(week01) step 2 (config: 127.0.0.1:0, buffer 1024 bytes, timeout 2 s)";
        let outcomes: Vec<Outcome> = plan
            .runs
            .iter()
            .map(|(_, c)| Outcome {
                observed: Some(format!("the program said: {said}")),
                expected: Some("the server listens and prints `[SERVER] Listening on 127.0.0.1:PORT` naming the real port".into()),
                processes: Some(format!("server `/home/you/netlab/target/debug/server`: exit 1\n  stdout: (nothing)\n  stderr:\n  | {said}")),
                ..outcome(c, false)
            })
            .collect();
        let stage_lines = 1 + stages.len();
        let text = render_failures("week01", 238799, &plan, &outcomes, false, false, Some(80));
        for row in text.lines() {
            assert!(row.chars().count() <= 80, "{row}\n\n{text}");
        }
        assert!(
            stage_lines + text.lines().count() <= SCREEN_LINES,
            "{} lines:\n{text}",
            stage_lines + text.lines().count()
        );
        assert!(text.contains("      observed: the program said: [SERVER] not implemented yet: open\n                src/bin/server.rs,"), "{text}");
        // The program's line is quoted once, not again as its output.
        assert_eq!(text.matches("not implemented yet").count(), 1, "{text}");
        // Without a width (a pipe), nothing is wrapped.
        let piped = render_failures("week01", 238799, &plan, &outcomes, false, false, None);
        assert!(piped.contains(&format!("      observed: the program said: {said}\n")));
    }

    #[test]
    fn a_finished_stage_shows_progress_and_points_at_the_next() {
        let stages = lab();
        let text = report(&stages, &[], |c| c.group == "alpha");
        assert!(text.contains("  stage 1  alpha        11/11 ✔\n"), "{text}");
        assert!(
            text.contains("  stage 2  beta           0/6  ← next"),
            "{text}"
        );
        assert!(text.contains("lab: 11 passed, 25 failed (NETLAB_VERBOSE=1"));
        let text = report(&stages, &[], |c| c.id != "alpha-check-3");
        assert!(text.contains("10/11  ← you are here"), "{text}");
    }

    /// A first story that fills the screen (a long stack trace) still
    /// says there are more failures (a student took it for the only one).
    #[test]
    fn a_story_that_fills_the_screen_still_counts_the_rest() {
        let stages = lab();
        let plan = Plan::new(&stages, &args(&[]), 1);
        let outcomes: Vec<Outcome> = plan
            .runs
            .iter()
            .map(|(_, c)| {
                let mut o = outcome(c, false);
                o.diagnosis = Some(Diagnosis::Crash);
                o.processes = Some(format!(
                    "program `prog`: exit 101\n{}",
                    "  | frame\n".repeat(40)
                ));
                o
            })
            .collect();
        let text = render_failures("lab", 7, &plan, &outcomes, false, false, None);
        let more = outcomes.len() - 1;
        // Counted, and the first few named on one line.
        assert!(
            text.contains(&format!(
                "also failing: {more} more checks: alpha-check-1, alpha-check-2, "
            )),
            "{text}"
        );
        assert!(text.contains(", …\n"), "{text}");
        // On a terminal 60 wide, the line fits it (blind round 70), a name
        // at least.
        let text = render_failures("lab", 7, &plan, &outcomes, false, false, Some(60));
        let line = text
            .lines()
            .find(|l| l.starts_with("also failing:"))
            .expect("the line");
        assert!(line.chars().count() <= 60, "{line}");
        assert!(line.contains("alpha-check-1"), "{line}");
    }

    /// A failure that follows from a later check's mistake (a leak's
    /// consequence told as the cap's) is not the story told first, nor a
    /// second code on the stage line (blind round 62).
    #[test]
    fn the_story_told_first_is_the_mistake_not_its_consequence() {
        let stages = lab();
        let plan = Plan::new(&stages, &args(&[]), 1);
        let mut outcomes: Vec<Outcome> = plan.runs.iter().map(|(_, c)| outcome(c, true)).collect();
        let fail = |o: &mut Outcome, d: Diagnosis, hint: &str| {
            o.passed = Some(false);
            o.diagnosis = Some(d);
            o.hint = Some(hint.to_string());
            o.expected = Some("this".into());
            o.observed = Some("that".into());
        };
        fail(&mut outcomes[1], Diagnosis::BusyCap, "Count the clients.");
        outcomes[1].follows_from = Some("alpha-check-3");
        outcomes[1].fold = crate::grade::Fold::IfCauseWasOneOf(&[Diagnosis::BusyLeak]);
        fail(&mut outcomes[3], Diagnosis::BusyLeak, "Release the slot.");
        let done: Vec<Option<Outcome>> = outcomes.iter().cloned().map(Some).collect();
        let mut view = StageView::new(&stages, &plan, false);
        let line = view.lines_ready(&done).remove(0);
        assert!(
            line.ends_with("9/11  ← you are here  (busy-leak)"),
            "{line}"
        );
        let text = render_failures("lab", 7, &plan, &outcomes, false, false, None);
        let story = text.find("hint: Release the slot.").expect(&text);
        assert!(!text.contains("Count the clients."), "{text}");
        let listed = text.find("alpha-check-1  busy-leak").expect(&text);
        assert!(story < listed, "{text}");
        assert!(
            text.contains("`cargo test alpha-check-3` that check"),
            "{text}"
        );
    }

    #[test]
    fn verbose_tells_every_story() {
        let stages = lab();
        let plan = Plan::new(&stages, &args(&[]), 1);
        let outcomes: Vec<Outcome> = plan.runs.iter().map(|(_, c)| outcome(c, false)).collect();
        let text = render_failures("lab", 7, &plan, &outcomes, true, false, None);
        assert_eq!(text.matches("what the grader did:").count(), 36);
    }

    #[test]
    fn all_passing_says_so() {
        let stages = lab();
        let text = report(&stages, &[], |_| true);
        assert!(text.contains("lab: 36 passed, 0 failed\n"));
        assert!(text.contains("every check passes"));
        assert!(!text.contains("←"));
    }

    #[test]
    fn a_snake_case_filter_finds_the_kebab_case_check() {
        let stages = lab();
        let args = dashed(&args(&["beta_check_", "--skip", "beta_check_5"]), &stages);
        assert_eq!(Plan::new(&stages, &args, 1).runs.len(), 5);
    }

    #[test]
    fn a_stage_filter_runs_that_stage_alone() {
        let stages = lab();
        let plan = Plan::new(&stages, &args(&["stage2"]), 1);
        assert_eq!(plan.runs.len(), 6);
        assert!(plan.runs.iter().all(|(s, _)| *s == 1));
        let plan = Plan::new(
            &stages,
            &args(&["--exact", "stage3-gamma-delta::gamma-delta-check-1"]),
            1,
        );
        assert_eq!(plan.runs.len(), 1);
        let plan = Plan::new(
            &stages,
            &args(&["beta-check-", "--skip", "beta-check-5"]),
            1,
        );
        assert_eq!(plan.runs.len(), 5);
    }

    #[test]
    fn a_stage_name_selects_that_stage_and_nothing_that_merely_contains_it() {
        // Shaped like Week 1: `client` is a stage, a word inside a server
        // check's id, and the end of another stage's name.
        let check = |id: &str, group: &'static str| -> &'static Check {
            Box::leak(Box::new(Check {
                id: Box::leak(id.to_string().into_boxed_str()),
                group,
                title: "does one thing",
                needs: &[],
                unix_only: false,
                run: never_run,
            }))
        };
        let stages = vec![
            Stage {
                number: 1,
                name: "server",
                checks: vec![
                    check("server-ack", "server"),
                    check("server-silent-client", "server"),
                ],
            },
            Stage {
                number: 2,
                name: "client",
                checks: vec![
                    check("client-ack", "client"),
                    check("client-refused", "client"),
                ],
            },
            Stage {
                number: 3,
                name: "chat-client",
                checks: vec![check("chat-client-messages", "chat-client")],
            },
        ];
        let ids = |argv: &[&str]| -> Vec<&str> {
            let args = normalised(&args(argv), &stages, 1);
            Plan::new(&stages, &args, 1)
                .runs
                .iter()
                .map(|(_, c)| c.id)
                .collect()
        };
        assert_eq!(ids(&["client"]), ["client-ack", "client-refused"]);
        assert_eq!(ids(&["client_"]), ["client-ack", "client-refused"]);
        assert_eq!(ids(&["client_ack"]), ["client-ack"]);
        assert_eq!(ids(&["chat_client"]), ["chat-client-messages"]);
        // A word that is no stage and starts no id stays a substring.
        assert_eq!(ids(&["ack"]), ["server-ack", "client-ack"]);
        assert_eq!(
            ids(&["--skip", "client"]),
            ["server-ack", "server-silent-client", "chat-client-messages"]
        );
    }

    #[test]
    fn stage_numbers_are_padded_from_ten_stages_on() {
        let stages = lab();
        let check = stages[1].checks[0];
        assert_eq!(test_name(&stages[1], check, 1), "stage2-beta::beta-check-0");
        assert_eq!(
            test_name(&stages[1], check, 2),
            "stage02-beta::beta-check-0"
        );
    }
}
