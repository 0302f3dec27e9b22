//! `netlab grade` while it works: checks run in parallel, results come
//! back as they finish, and Ctrl+C stops the run with what is done.
//!
//! - [`run`] runs the checks on worker threads and hands each event
//!   (started, finished) to the caller as it happens, on the caller's
//!   thread. It stops early when [`interrupt`] is called (the Ctrl+C
//!   handler of `netlab`), without waiting for the checks in flight: their
//!   programs have just been killed and their results would blame the
//!   submission for our own stop.
//! - [`Display`] is the live text output on a terminal: one line per
//!   check *in report order* — a check that finishes early waits until
//!   every check before it has been printed — under a [`StatusLine`]
//!   (spinner, bar, the checks running: an indicatif bar that leaves room
//!   for the `^C` a terminal echoes on Ctrl+C). Off a terminal it prints
//!   nothing and the full report comes at the end, as before. The class
//!   run's progress uses a [`StatusLine`] too.
//! - [`render_list`] is `netlab grade --list`.
//!
//! Generic: nothing here names a week.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use anstyle::Style;

use super::{report, run_check, Check, Outcome, Submission};

/// A run is in progress and will stop on [`interrupt`].
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// [`interrupt`] was called during the current run.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// For a Ctrl+C handler: asks the running grade to stop and report what
/// it has. Returns `false` when no run is in progress or it was already
/// asked (a second Ctrl+C): then the handler should exit at once.
pub fn interrupt() -> bool {
    ACTIVE.load(Ordering::SeqCst) && !INTERRUPTED.swap(true, Ordering::SeqCst)
}

fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// What happened to one check, as the caller sees it.
#[derive(Debug)]
pub enum Event {
    Started(usize),
    Finished(usize, Box<Outcome>),
}

/// The state of a run, after it or at any moment during it.
#[derive(Debug, Default)]
pub struct Progress {
    /// Per selected check, in order: its outcome once finished.
    pub outcomes: Vec<Option<Outcome>>,
    /// Per selected check: has it started?
    pub started: Vec<bool>,
    /// The run was stopped by [`interrupt`].
    pub interrupted: bool,
}

impl Progress {
    /// The checks that started and did not finish.
    pub fn running(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.outcomes.len()).filter(|&i| self.started[i] && self.outcomes[i].is_none())
    }

    pub fn finished(&self) -> usize {
        self.outcomes.iter().filter(|o| o.is_some()).count()
    }

    /// The finished outcomes, in order.
    pub fn done(&self) -> Vec<Outcome> {
        self.outcomes.iter().flatten().cloned().collect()
    }
}

/// Runs `checks` on up to `jobs` threads; `on_event` sees every start and
/// finish, on this thread, with the progress so far. Returns when all are
/// done, or at once after [`interrupt`].
pub fn run(
    checks: &[&'static Check],
    submission: &Submission,
    seed: u64,
    jobs: usize,
    mut on_event: impl FnMut(&Progress, &Event),
) -> Progress {
    let n = checks.len();
    let mut progress = Progress {
        outcomes: vec![None; n],
        started: vec![false; n],
        interrupted: false,
    };
    INTERRUPTED.store(false, Ordering::SeqCst);
    ACTIVE.store(true, Ordering::SeqCst);
    let (tx, rx) = mpsc::channel::<Event>();
    let next = Arc::new(AtomicUsize::new(0));
    let checks: Arc<Vec<&'static Check>> = Arc::new(checks.to_vec());
    let submission = Arc::new(submission.clone());
    // Detached workers (not scoped): after a Ctrl+C the report must not
    // wait for checks whose programs were just killed.
    for _ in 0..jobs.clamp(1, n.max(1)) {
        let (tx, next, checks, submission) = (
            tx.clone(),
            Arc::clone(&next),
            Arc::clone(&checks),
            Arc::clone(&submission),
        );
        std::thread::spawn(move || loop {
            if interrupted() {
                break;
            }
            let i = next.fetch_add(1, Ordering::SeqCst);
            let Some(check) = checks.get(i) else { break };
            if tx.send(Event::Started(i)).is_err() {
                break;
            }
            let outcome = run_check(check, &submission, seed);
            // A check that ends after Ctrl+C ended because we killed its
            // programs: it is interrupted, not failed.
            if interrupted() || tx.send(Event::Finished(i, Box::new(outcome))).is_err() {
                break;
            }
        });
    }
    drop(tx);
    loop {
        if interrupted() {
            progress.interrupted = true;
            break;
        }
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(event) => {
                match &event {
                    Event::Started(i) => progress.started[*i] = true,
                    Event::Finished(i, outcome) => {
                        progress.outcomes[*i] = Some((**outcome).clone())
                    }
                }
                on_event(&progress, &event);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    ACTIVE.store(false, Ordering::SeqCst);
    // The last workers may have quit on the flag before this loop saw it.
    progress.interrupted = interrupted();
    if progress.interrupted {
        // A check in flight may have started a program after the handler's
        // kill_all; stop it too (the rest dies with this process).
        crate::process::kill_all();
    }
    progress
}

pub(crate) const BOLD: Style = Style::new().bold();
pub(crate) const RED: Style = anstyle::AnsiColor::Red.on_default().bold();
pub(crate) const GREEN: Style = anstyle::AnsiColor::Green.on_default().bold();
const YELLOW: Style = anstyle::AnsiColor::Yellow.on_default().bold();

pub(crate) fn paint(style: Style, text: &str, color: bool) -> String {
    if color {
        format!("{}{text}{}", style.render(), style.render_reset())
    } else {
        text.to_string()
    }
}

/// A status line drawn under lines of output on a terminal, with a spinner
/// that turns while nothing else changes: `netlab grade`'s (bar, count,
/// the checks running) on stdout, the class run's on stderr.
///
/// An indicatif progress bar drawn on a terminal [`SPARE`] columns
/// narrower than it is (`Narrow`): indicatif pads its line to the width
/// of its target, and at the terminal's full width the cursor is left in
/// the last column, where the `^C` a terminal echoes on Ctrl+C wraps to a
/// new line; the bar was then cleared one line too low and stayed on
/// screen above the partial report (seen at 80 columns). What `render`
/// says is cut to that width too, so the line never wraps.
pub struct StatusLine {
    bar: indicatif::ProgressBar,
    /// Where the lines above the bar go (the bar's stream).
    term: console::Term,
}

/// What the line shows, given the spinner's character.
type Render = Box<dyn FnMut(char) -> String + Send>;

const SPINNER: [char; 8] = ['⠁', '⠂', '⠄', '⡀', '⢀', '⠠', '⠐', '⠈'];
/// Columns the status line leaves free at the right (for the `^C` echo).
pub const SPARE: usize = 3;

/// A terminal that says it is [`SPARE`] columns narrower than it is, for
/// indicatif to draw on; everything else is the terminal's.
#[derive(Debug, Clone)]
struct Narrow(console::Term);

impl indicatif::TermLike for Narrow {
    fn width(&self) -> u16 {
        let columns = crate::wrap::columns_of(&self.0).unwrap_or(80);
        u16::try_from(columns.saturating_sub(SPARE)).unwrap_or(u16::MAX)
    }
    fn height(&self) -> u16 {
        indicatif::TermLike::height(&self.0)
    }
    fn move_cursor_up(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_up(n)
    }
    fn move_cursor_down(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_down(n)
    }
    fn move_cursor_right(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_right(n)
    }
    fn move_cursor_left(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_left(n)
    }
    fn write_line(&self, s: &str) -> std::io::Result<()> {
        self.0.write_line(s)
    }
    fn write_str(&self, s: &str) -> std::io::Result<()> {
        self.0.write_str(s)
    }
    fn clear_line(&self) -> std::io::Result<()> {
        self.0.clear_line()
    }
    fn flush(&self) -> std::io::Result<()> {
        self.0.flush()
    }
}

impl StatusLine {
    /// A line on stdout (or `stderr`) showing what `render` says, redrawn
    /// every `tick` with the spinner's next character.
    pub fn new(stderr: bool, tick: Duration, render: Render) -> StatusLine {
        let term = if stderr {
            console::Term::stderr()
        } else {
            console::Term::stdout()
        };
        let narrow = Narrow(term.clone());
        let render = Arc::new(Mutex::new(render));
        let width = narrow.clone();
        let line = move |state: &indicatif::ProgressState, out: &mut dyn std::fmt::Write| {
            let frame = state.elapsed().as_millis() / tick.as_millis().max(1);
            let spinner = SPINNER[frame as usize % SPINNER.len()];
            let line = (render.lock().unwrap_or_else(|e| e.into_inner()))(spinner);
            let room = usize::from(indicatif::TermLike::width(&width));
            let _ = out.write_str(&console::truncate_str(line.trim_end(), room, "…"));
        };
        let style = indicatif::ProgressStyle::with_template("{line}")
            .expect("a valid template")
            .with_key("line", line);
        let target = indicatif::ProgressDrawTarget::term_like(Box::new(narrow));
        let bar = indicatif::ProgressBar::with_draw_target(None, target)
            .with_style(style)
            .with_finish(indicatif::ProgressFinish::AndClear);
        bar.enable_steady_tick(tick);
        StatusLine { bar, term }
    }

    /// Draws the line again (what `render` says has changed). Not `tick`:
    /// with a steady tick running it does not draw.
    pub fn redraw(&self) {
        self.bar.suspend(|| ());
    }

    /// Prints `text` as lines above the status line.
    pub fn println(&self, text: &str) {
        self.bar.suspend(|| {
            let _ = self.term.write_line(text.trim_end_matches('\n'));
        });
    }

    /// Stops the spinner and erases the line (and a `^C` echoed on it);
    /// dropping the line does the same.
    pub fn finish(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// What `netlab grade`'s status line shows: the bar, the count and the
/// checks running.
#[derive(Default)]
struct Counts {
    finished: usize,
    total: usize,
    running: String,
}

const BAR_CELLS: usize = 24;

/// A bar of `cells` cells, `done` of `total` filled: `━━━━╸    `.
pub fn bar(done: usize, total: usize, cells: usize) -> String {
    let filled = (done * cells).checked_div(total).unwrap_or(0).min(cells);
    let mut bar = "━".repeat(filled);
    if filled < cells {
        bar.push('╸');
        bar.push_str(&" ".repeat(cells - filled - 1));
    }
    bar
}

/// The live text output of `netlab grade` on a terminal.
pub struct Display {
    /// The status line under the checks' lines; `None` off a terminal.
    status: Option<StatusLine>,
    counts: Arc<Mutex<Counts>>,
    color: bool,
    /// Checks printed so far (a prefix of the selected checks).
    printed: usize,
    group: &'static str,
    ids: Vec<&'static str>,
}

impl Display {
    /// A live display for `checks`, drawn on stdout. `live: false` gives a
    /// display that shows nothing (the report comes at the end).
    pub fn new(checks: &[&'static Check], live: bool, color: bool) -> Display {
        let counts = Arc::new(Mutex::new(Counts {
            total: checks.len(),
            ..Counts::default()
        }));
        let status = live.then(|| {
            let counts = Arc::clone(&counts);
            let render: Render = Box::new(move |spinner| {
                let c = counts.lock().unwrap_or_else(|e| e.into_inner());
                format!(
                    "{spinner} {} {}/{} {}",
                    bar(c.finished, c.total, BAR_CELLS),
                    c.finished,
                    c.total,
                    c.running
                )
            });
            StatusLine::new(false, Duration::from_millis(120), render)
        });
        Display {
            status,
            counts,
            color,
            printed: 0,
            group: "",
            ids: checks.iter().map(|c| c.id).collect(),
        }
    }

    /// Is anything shown while the checks run?
    pub fn is_live(&self) -> bool {
        self.status.is_some()
    }

    /// Prints `text` above the progress bar.
    pub fn println(&self, text: &str) {
        if let Some(status) = &self.status {
            status.println(text);
        }
    }

    /// Shows what changed: the finished checks that can now be printed in
    /// order, and the progress bar.
    pub fn update(&mut self, progress: &Progress) {
        if !self.is_live() {
            return;
        }
        while let Some(Some(outcome)) = progress.outcomes.get(self.printed) {
            self.print_outcome(outcome);
            self.printed += 1;
        }
        let running: Vec<&str> = progress.running().map(|i| self.ids[i]).collect();
        {
            let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
            counts.finished = progress.finished();
            counts.running = running.join(" ");
        }
        if let Some(status) = &self.status {
            status.redraw();
        }
    }

    fn print_outcome(&mut self, outcome: &Outcome) {
        if outcome.role != self.group {
            self.group = outcome.role;
            self.println(&format!("\n{}", paint(BOLD, self.group, self.color)));
        }
        // Never wider than the terminal: a wrapped line breaks the bar.
        let width = crate::wrap::stdout_columns().unwrap_or(80);
        self.println(&report::render_line(outcome, self.color, width));
    }

    /// Ends the live part. After an interrupt, prints the checks that had
    /// finished out of order, then names the interrupted ones.
    pub fn finish(&mut self, progress: &Progress) {
        if !self.is_live() {
            return;
        }
        if progress.interrupted {
            for outcome in progress.outcomes.iter().skip(self.printed).flatten() {
                self.print_outcome(outcome);
            }
            self.printed = progress.outcomes.len();
        }
        if let Some(status) = &mut self.status {
            status.finish();
        }
    }
}

/// The line that names the checks a Ctrl+C interrupted and those it kept
/// from starting; `None` if the run was not interrupted.
pub fn interrupted_note(
    checks: &[&'static Check],
    progress: &Progress,
    color: bool,
) -> Option<String> {
    if !progress.interrupted {
        return None;
    }
    let running: Vec<&str> = progress.running().map(|i| checks[i].id).collect();
    let not_started = progress.started.iter().filter(|s| !**s).count();
    let mut note = String::from("interrupted (Ctrl+C)");
    if !running.is_empty() {
        note.push_str(&format!(" while running {}", running.join(", ")));
    }
    if not_started > 0 {
        note.push_str(&format!(
            "; {not_started} check{} not started",
            if not_started == 1 { "" } else { "s" }
        ));
    }
    Some(paint(YELLOW, &note, color))
}

/// `netlab grade LAB --list`: the checks by stage, id and title.
pub fn render_list(lab: &str, checks: &[Check]) -> String {
    let mut out = format!("the checks of {lab}, in the order they run and are reported\n");
    let width = checks.iter().map(|c| c.id.len()).max().unwrap_or(0);
    let mut stage = 0;
    let mut group = "";
    for check in checks {
        if check.group != group {
            group = check.group;
            stage += 1;
            let count = checks.iter().filter(|c| c.group == group).count();
            out.push_str(&format!("\nstage {stage}  {group} ({count} checks)\n"));
        }
        out.push_str(&format!("  {:<width$}  {}\n", check.id, check.title));
    }
    out
}

/// Prints the elapsed time the way the text report ends.
pub fn finished_line(elapsed: Duration) -> String {
    format!("finished in {:.1}s\n", elapsed.as_secs_f64())
}

/// Writes `text` to stdout through anstream (which drops colour codes when
/// stdout is not a terminal or NO_COLOR is set).
pub fn write_stdout(text: &str) {
    let mut out = anstream::stdout();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}
