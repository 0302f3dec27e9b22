//! Grade reports: text for people, JSON for scripts, JUnit XML for CI.
//!
//! Reports read from the causes: failures with the same cause (see
//! [`Outcome::cause`]) are folded into one [`Finding`], and the findings
//! come first ("3 mistakes found: ..."), each with its code, title, hint
//! and the checks it made fail. Then the details: every check's line and,
//! for each failure, its story (CS144 style): the numbered steps taken,
//! what was expected, what was observed, the programs' output, the
//! diagnosis, a hint and, when netlab could capture, the telling segments
//! of its packets and the .pcap that holds them. The score line still
//! counts checks. Colour is added only when asked (the caller decides
//! from the terminal and NO_COLOR).

use std::path::Path;
use std::time::Duration;

use anstyle::{AnsiColor, Style};
use serde::Serialize;
use serde_json::json;

use super::{Cause, Diagnosis, Fold, Outcome};

const GREEN: Style = AnsiColor::Green.on_default().bold();
const RED: Style = AnsiColor::Red.on_default().bold();
const DIM: Style = Style::new().dimmed();
const BOLD: Style = Style::new().bold();
const YELLOW: Style = AnsiColor::Yellow.on_default();

fn paint(style: Style, text: &str, color: bool) -> String {
    if color {
        format!("{}{text}{}", style.render(), style.render_reset())
    } else {
        text.to_string()
    }
}

/// Counts of passed, failed and skipped outcomes.
pub fn counts(outcomes: &[Outcome]) -> (usize, usize, usize) {
    let passed = outcomes.iter().filter(|o| o.passed == Some(true)).count();
    let failed = outcomes.iter().filter(|o| o.passed == Some(false)).count();
    (passed, failed, outcomes.len() - passed - failed)
}

/// Failures folded under one cause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The diagnosis code, e.g. `no-close`.
    pub code: &'static str,
    pub title: &'static str,
    /// The program (check group) it was seen in: a role name, or `pair`.
    pub program: &'static str,
    /// The hint of its first failure.
    pub hint: String,
    /// The ids of the checks it made fail, in report order.
    pub checks: Vec<&'static str>,
    #[serde(skip)]
    pub cause: Cause,
}

/// The check whose finding failure `o` is folded under, if it is (see
/// [`folded_under`]): what reports name as `follows_from`.
fn folded_into(o: &Outcome, outcomes: &[Outcome]) -> Option<&'static str> {
    folded(o, outcomes).map(|(id, _)| id)
}

/// The cause of another check that failure `o` is folded under, if any.
/// A consequence is folded under the mistake it follows from (one start-up
/// mistake, reported once), when that check failed here, and (unless any
/// failure of it explains this one) with the same diagnosis: another
/// would hide a second mistake.
fn folded_under(o: &Outcome, outcomes: &[Outcome]) -> Option<Cause> {
    folded(o, outcomes).map(|(_, cause)| cause)
}

/// The diagnosis `o`'s failure is reported under: the one of the check
/// it is folded under, or its own (`None`: it did not fail).
pub(crate) fn reported_diagnosis(o: &Outcome, outcomes: &[Outcome]) -> Option<Diagnosis> {
    let own = o.cause()?;
    Some(folded_under(o, outcomes).unwrap_or(own).diagnosis)
}

/// Whether `o`'s failure is folded under another check's finding.
pub(crate) fn is_folded(o: &Outcome, outcomes: &[Outcome]) -> bool {
    folded(o, outcomes).is_some()
}

/// See [`folded_under`]: that check's id and cause; failing the check it
/// follows from, the second one it may ([`Outcome::otherwise`]).
fn folded(o: &Outcome, outcomes: &[Outcome]) -> Option<(&'static str, Cause)> {
    let own = o.cause()?;
    let failed = |id: &'static str| {
        outcomes
            .iter()
            .find(|r| r.id == id)
            .and_then(Outcome::cause)
            .map(|c| (id, c))
    };
    let first = o
        .follows_from
        .and_then(failed)
        .filter(|(_, c)| match o.fold {
            Fold::SameDiagnosis => c.diagnosis == own.diagnosis,
            Fold::AnyDiagnosis => true,
            Fold::IfCauseWasOneOf(these) => these.contains(&c.diagnosis),
        });
    first
        .or_else(|| {
            o.otherwise?
                .iter()
                .find_map(|&(id, these)| failed(id).filter(|(_, c)| these.contains(&c.diagnosis)))
        })
        .or_else(|| same_crash(o, own, outcomes))
}

/// A check of the same program whose finding is `crash`, and which saw
/// the crash `o` saw (the same stack, the same error): one mistake, seen
/// from two checks. A check that tests a rule (a blank message) and
/// finds the server dead of the typo that killed every session is no
/// second finding (seen: one `NameError` after accept() told as crash,
/// empty-recv, blank-message, too-long and invalid-utf8).
fn same_crash(o: &Outcome, own: Cause, outcomes: &[Outcome]) -> Option<(&'static str, Cause)> {
    let crash = o.crash_site.as_ref()?;
    let site = &crash.site;
    // Only a failure that is the crash, as its observation says (it quotes
    // the error): a check that judged its own part from what the program
    // printed before it died (a Received line printed raw) keeps its
    // finding (the fixture selectorcrash).
    // (Its start: an observation shortens a long error line.)
    let start: String = crash.error.chars().take(60).collect();
    let told = o
        .observed
        .as_deref()
        .is_some_and(|seen| !start.trim().is_empty() && seen.contains(start.as_str()));
    if own.diagnosis == Diagnosis::Crash || !told {
        return None;
    }
    outcomes.iter().find_map(|r| {
        let cause = r.cause()?;
        (r.id != o.id
            && cause.diagnosis == Diagnosis::Crash
            && cause.program == own.program
            && r.crash_site.as_ref().is_some_and(|r| r.site == *site))
        .then_some((r.id, cause))
    })
}

/// The findings of a run: one per cause, in the order of their first
/// failure.
pub fn findings(outcomes: &[Outcome]) -> Vec<Finding> {
    let mut found: Vec<Finding> = Vec::new();
    for o in outcomes {
        let Some(own) = o.cause() else { continue };
        let cause = folded_under(o, outcomes).unwrap_or(own);
        match found.iter_mut().find(|f| f.cause == cause) {
            Some(f) => {
                f.checks.push(o.id);
                // The same mistake's name, seen another way: its own hint
                // too (blind round 44: a hard-coded timeout and a listener
                // on every address, both ignores-config, got the first's
                // hint alone).
                // Not a folded failure's: its hint is its own diagnosis's.
                // Nor the general hint of a failure that follows from the
                // finding, of the same name: it knows less than the check
                // it follows (a test connection's `ping` told by client-ack
                // with its hint, and the general wrong-message hint added
                // by client-error-reply, which saw only the `ping`).
                let general = |h: &str| h == own.diagnosis.hint() && is_folded(o, outcomes);
                let other = o.hint.as_deref().filter(|h| own == cause && !general(h));
                if let Some(other) = other.filter(|h| !f.hint.contains(h)) {
                    f.hint
                        .push_str(&format!("\n     And where {} saw it: {other}", o.id));
                }
            }
            None => {
                // A failure folded under a later check's finding leads
                // with that check's hint, not its own diagnosis's (blind
                // round 62: busy-cap's hint under busy-leak's name, the
                // leak's hint only second).
                let hint = match folded(o, outcomes) {
                    Some((id, _)) => outcomes.iter().find(|r| r.id == id).map(|r| &r.hint),
                    None => Some(&o.hint),
                };
                found.push(Finding {
                    code: cause.diagnosis.code(),
                    title: cause.diagnosis.title(),
                    program: cause.program,
                    hint: hint
                        .cloned()
                        .flatten()
                        .unwrap_or_else(|| cause.diagnosis.hint().to_string()),
                    checks: vec![o.id],
                    cause,
                })
            }
        }
    }
    found
}

/// The findings block of the text report ("2 mistakes found: ..."); empty
/// when nothing failed. A failure of netlab itself is listed apart: it is
/// not the student's mistake.
pub fn render_findings(findings: &[Finding], color: bool) -> String {
    let (ours, theirs): (Vec<&Finding>, Vec<&Finding>) = findings
        .iter()
        .partition(|f| f.cause.diagnosis == Diagnosis::GraderError);
    let mut out = String::new();
    if !theirs.is_empty() {
        let n = theirs.len();
        out.push_str(&format!(
            "\n{}\n",
            paint(
                BOLD,
                &format!("{n} mistake{} found:", if n == 1 { "" } else { "s" }),
                color
            )
        ));
        for (i, f) in theirs.iter().enumerate() {
            // One hint given whole once (blind round 32: stdout-buffered's
            // twelve lines, in three roles, three times).
            let same = theirs[..i].iter().position(|e| e.hint == f.hint);
            out.push_str(&finding_text(i + 1, f, same.map(|j| j + 1), color));
        }
    }
    if !ours.is_empty() {
        out.push_str(&format!(
            "\n{}\n",
            paint(BOLD, "netlab itself failed (not your mistake):", color)
        ));
        for (i, f) in ours.iter().enumerate() {
            out.push_str(&finding_text(i + 1, f, None, color));
        }
    }
    out
}

/// One finding, numbered `n`; `same_as`: the number of an earlier finding
/// with the same hint, named instead of repeating it.
fn finding_text(n: usize, f: &Finding, same_as: Option<usize>, color: bool) -> String {
    let program = if f.program == "pair" {
        "the pair checks".to_string()
    } else {
        format!("the {}", f.program)
    };
    let checks = if f.checks.len() == 1 {
        format!("failed check: {}", f.checks[0])
    } else {
        format!(
            "failed checks ({}): {}",
            f.checks.len(),
            f.checks.join(", ")
        )
    };
    let hint = match same_as {
        Some(m) => format!("the same as mistake {m}'s"),
        None => f.hint.clone(),
    };
    format!(
        "  {n}. {} in {program} — {}\n     {} {hint}\n     {}\n",
        paint(RED, f.code, color),
        f.title,
        paint(BOLD, "hint:", color),
        paint(DIM, &checks, color),
    )
}

/// The folder holding the run's .pcap files, if any check kept one.
fn evidence_folder(outcomes: &[Outcome]) -> Option<&Path> {
    outcomes
        .iter()
        .find_map(|o| o.pcap.as_deref())
        .and_then(Path::parent)
}

/// The text report.
pub fn render_text(lab: &str, seed: u64, outcomes: &[Outcome], color: bool) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{} {lab} (seed {seed}; replay with --seed {seed})\n",
        paint(BOLD, "netlab grade", color)
    ));
    if let Some(dir) = evidence_folder(outcomes) {
        out.push_str(&format!(
            "wire evidence: the packets of each failed check are in {} (open a .pcap with Wireshark)\n",
            dir.display()
        ));
    }
    let found = findings(outcomes);
    out.push_str(&render_findings(&found, color));
    if !found.is_empty() {
        out.push_str(&format!(
            "\n{}\n",
            paint(DIM, "the details, check by check:", color)
        ));
    }
    let mut group = "";
    // A hint told in full once in the details; a later check with the
    // same one points back to it (blind round 31: one import mistake's
    // paragraph of advice, ten times over).
    let mut hinted: Vec<(&str, &str)> = Vec::new();
    // Likewise a crash's output: the same traceback under every check that
    // met it (blind round 46: one crash after the Listening line, its
    // stderr eight times over).
    let mut crashes: Vec<(&str, &str)> = Vec::new();
    let mut stderrs: Vec<(String, &str)> = Vec::new();
    for o in outcomes {
        if o.role != group {
            group = o.role;
            out.push_str(&format!("\n{}\n", paint(BOLD, group, color)));
        }
        let folded = folded_into(o, outcomes);
        let mut text = check_line(o, color);
        if o.passed == Some(false) {
            let hint = o.hint.as_deref().unwrap_or_default();
            let told = hinted.iter().find(|(h, _)| *h == hint).map(|(_, id)| *id);
            if told.is_none() && folded.is_none() && !hint.is_empty() {
                hinted.push((hint, o.id));
            }
            let hint = match told {
                Some(id) => Hint::As(id),
                None => Hint::Whole,
            };
            // Only where the crash is all its output tells: another
            // program's lines would be lost.
            let site = o
                .crash_site
                .as_ref()
                .filter(|c| c.every_program)
                .map(|c| c.site.as_str());
            let output = match crashes.iter().find(|(s, _)| Some(*s) == site) {
                Some((_, id)) => Output::SameCrashAs(id),
                None => {
                    crashes.extend(site.map(|s| (s, o.id)));
                    match o.processes.as_deref() {
                        Some(p) => {
                            stderr_once(p, o.id, &mut stderrs).map_or(Output::Whole, Output::Text)
                        }
                        None => Output::Whole,
                    }
                }
            };
            text.push_str(&failure_story(o, folded, hint, output, color));
        }
        out.push_str(&text);
    }
    let (passed, failed, skipped) = counts(outcomes);
    let line = format!("{passed} passed, {failed} failed, {skipped} skipped");
    let style = if failed > 0 { RED } else { GREEN };
    out.push('\n');
    out.push_str(&paint(style, &line, color));
    out.push('\n');
    // Which protections the submission ran under (or which are missing).
    out.push_str(&crate::sandbox::policy().summary());
    out.push('\n');
    out
}

/// One check's line, followed by its story if it failed (as it finishes:
/// without the others, whether it is folded under another check's finding
/// is not known yet).
pub fn render_outcome(o: &Outcome, color: bool) -> String {
    let mut out = check_line(o, color);
    if o.passed == Some(false) {
        out.push_str(&failure_story(o, None, Hint::Whole, Output::Whole, color));
    }
    out
}

/// How a failure's story gives its hint: whole, or as a pointer to an
/// earlier check of the same report that gave the same one.
#[derive(Clone, Copy)]
enum Hint<'a> {
    Whole,
    As(&'a str),
}

/// How a failure's story shows its programs' statuses and output: whole,
/// or, when they crashed as under an earlier check of the same report
/// (the same stack and error), as a pointer to it.
enum Output<'a> {
    Whole,
    /// The report with a stderr shown above (a crash's) pointed to.
    Text(String),
    SameCrashAs(&'a str),
}

/// The process report `processes` of check `id`, with each stderr that
/// shows a crash a check above showed too (the same lines, each check's
/// folder aside) told as a pointer to it; `None` when none was. `shown`:
/// the crashes shown so far, and where. A server whose thread dies of one
/// error on every client lives on, and its traceback came once per check
/// (blind round 49, nine times); its stdout, each check's own, stays.
fn stderr_once<'a>(
    processes: &str,
    id: &'a str,
    shown: &mut Vec<(String, &'a str)>,
) -> Option<String> {
    let lines: Vec<&str> = processes.lines().collect();
    let mut out = String::new();
    let mut pointed = false;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        out.push_str(line);
        out.push('\n');
        if !(line.starts_with("  stderr") && line.ends_with(':')) {
            continue;
        }
        let start = i;
        while i < lines.len() && lines[i].starts_with("  | ") {
            i += 1;
        }
        let block: Vec<&str> = lines[start..i].iter().map(|l| &l[4..]).collect();
        let text = block.join("\n");
        if super::harness::crash_site_in(&text).is_none() {
            for line in &lines[start..i] {
                out.push_str(line);
                out.push('\n');
            }
            continue;
        }
        let key = without_jail(&text);
        match shown.iter().find(|(k, _)| *k == key) {
            Some((_, first)) => {
                out.truncate(out.len() - line.len() - 1);
                let last = block.iter().rev().map(|l| l.trim()).find(|l| !l.is_empty());
                out.push_str(&format!(
                    "  stderr: the same crash as under {first}, above, ending `{}`\n",
                    last.unwrap_or_default()
                ));
                pointed = true;
            }
            None => {
                shown.push((key, id));
                for line in &lines[start..i] {
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
    }
    pointed.then_some(out)
}

/// `text` with each check's own folder (`netlab-jail-<pid>-<random>`)
/// named alike.
fn without_jail(text: &str) -> String {
    const JAIL: &str = "netlab-jail-";
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(JAIL) {
        out.push_str(&rest[..at + JAIL.len()]);
        rest = &rest[at + JAIL.len()..];
        rest = &rest[rest.find(['/', '\\', '"']).unwrap_or(rest.len())..];
    }
    out.push_str(rest);
    out
}

/// Mark, id, title and timing (or why it was skipped) on one line.
fn check_line(o: &Outcome, color: bool) -> String {
    let (mark, style) = match o.passed {
        Some(true) => ("✔", GREEN),
        Some(false) => ("✘", RED),
        None => ("-", YELLOW),
    };
    let timing = match o.passed {
        None => format!("skipped: {}", o.skipped.as_deref().unwrap_or("")),
        Some(_) => format!("{} ms", o.duration_ms),
    };
    format!(
        "  {} {:<28} {} {}\n",
        paint(style, mark, color),
        o.id,
        o.title,
        paint(DIM, &format!("({timing})"), color)
    )
}

/// One check's line alone (mark, id, title, timing), without the story:
/// what `netlab grade` prints live on a terminal as each check finishes,
/// fitted to the terminal's `width`: a line too long goes on under the
/// title (nothing is cut: a skipped check's reason is whole).
pub fn render_line(o: &Outcome, color: bool, width: usize) -> String {
    crate::wrap::fill(&check_line(o, color), width)
}

/// A failed check's story; `folded`: the check whose finding this failure
/// is folded under, said under the diagnosis (blind round 22: a check
/// failed for another check's mistake read as a second mistake).
fn failure_story(
    o: &Outcome,
    folded: Option<&str>,
    hint: Hint,
    output: Output,
    color: bool,
) -> String {
    let mut out = String::new();
    let indent = "      ";
    if !o.steps.is_empty() {
        out.push_str(&format!(
            "{indent}{}\n",
            paint(BOLD, "what the grader did:", color)
        ));
        let mut number = 0;
        for step in &o.steps {
            match step.strip_prefix("  ") {
                // A note on the step before it (what a fake server does,
                // how an argument is passed): under its text, no number
                // of its own, as it is no action (blind round 72).
                Some(note) => out.push_str(&format!("{indent}     {note}\n")),
                None => {
                    number += 1;
                    out.push_str(&format!("{indent}  {number}. {step}\n"));
                }
            }
        }
    }
    if let Some(expected) = &o.expected {
        out.push_str(&format!(
            "{indent}{} {expected}\n",
            paint(BOLD, "expected:", color)
        ));
    }
    if let Some(observed) = &o.observed {
        out.push_str(&format!(
            "{indent}{} {observed}\n",
            paint(BOLD, "observed:", color)
        ));
    }
    let processes = match output {
        _ if o.processes.is_none() => None,
        Output::SameCrashAs(id) => {
            out.push_str(&format!(
                "{indent}{}\n",
                paint(
                    DIM,
                    &format!("its programs crashed as under {id}, above: the same stack and error"),
                    color
                )
            ));
            None
        }
        Output::Text(text) => Some(text),
        Output::Whole => o.processes.clone(),
    };
    for line in processes.iter().flat_map(|p| p.lines()) {
        out.push_str(&format!("{indent}{}\n", paint(DIM, line, color)));
    }
    // A failure folded under another check's finding is told by that
    // finding (named and hinted in the summary): its own diagnosis and
    // hint, often a neighbour's in other words, would contradict it
    // (blind round 24: a pair check listed under the client's
    // wrong-message showed wrong-reply and the server's hint).
    if let Some(cause) = folded {
        out.push_str(&format!(
            "{indent}{} the finding of {cause}, listed once among the mistakes at the top; with that fixed, this check judges its own part\n",
            paint(BOLD, "follows from:", color),
        ));
    } else {
        if let Some(d) = o.diagnosis {
            out.push_str(&format!(
                "{indent}{} {} — {}\n",
                paint(BOLD, "diagnosis:", color),
                paint(RED, d.code(), color),
                d.title()
            ));
        }
        match (hint, &o.hint) {
            (Hint::As(id), Some(_)) => out.push_str(&format!(
                "{indent}{} the same as {id}'s, above\n",
                paint(BOLD, "hint:", color)
            )),
            (Hint::Whole, Some(hint)) => {
                out.push_str(&format!("{indent}{} {hint}\n", paint(BOLD, "hint:", color)))
            }
            (_, None) => {}
        }
    }
    out.push_str(&wire_story(o, color));
    out
}

/// The wire evidence of a failed check: its telling segments and the .pcap
/// with all its packets. Empty when nothing was captured.
fn wire_story(o: &Outcome, color: bool) -> String {
    let indent = "      ";
    let mut out = String::new();
    match (&o.pcap, o.wire.is_empty()) {
        (None, true) => return out,
        (Some(pcap), true) => out.push_str(&format!(
            "{indent}{} no unusual segment (packets in {})\n",
            paint(BOLD, "on the wire:", color),
            pcap.display()
        )),
        (Some(pcap), false) => out.push_str(&format!(
            "{indent}{} (packets in {})\n",
            paint(BOLD, "on the wire:", color),
            pcap.display()
        )),
        (None, false) => out.push_str(&format!("{indent}{}\n", paint(BOLD, "on the wire:", color))),
    }
    for line in &o.wire {
        out.push_str(&format!("{indent}  {line}\n"));
    }
    out
}

/// The JSON report: `{"lab", "seed", "passed", "failed", "skipped",
/// "findings": [{"code", "title", "program", "hint", "checks"}],
/// "checks": [...]}`. A failed check that kept its packets has a `pcap`
/// path and its telling segments in `wire`; one folded under another
/// check's finding names that check in `follows_from` (and only then: a
/// failure the fold rule kept apart is its own finding).
pub fn render_json(lab: &str, seed: u64, outcomes: &[Outcome]) -> String {
    let (passed, failed, skipped) = counts(outcomes);
    let checks: Vec<Outcome> = outcomes
        .iter()
        .map(|o| {
            let mut o = o.clone();
            o.follows_from = folded_into(&o, outcomes);
            o
        })
        .collect();
    let value = json!({
        "lab": lab,
        "seed": seed,
        "passed": passed,
        "failed": failed,
        "skipped": skipped,
        "findings": findings(outcomes),
        "checks": checks,
        "sandbox": crate::sandbox::policy().to_json(),
    });
    serde_json::to_string_pretty(&value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// `text` without the two characters of the Basic Multilingual Plane that
/// no XML document may hold (quick_junit writes them as they are, and the
/// whole report cannot be read): a backstop behind [`super::printable`].
fn xml_safe(text: &str) -> String {
    text.replace(['\u{fffe}', '\u{ffff}'], "\u{fffd}")
}

/// The JUnit XML report: one test suite per role, one test case per check.
pub fn render_junit(lab: &str, seed: u64, outcomes: &[Outcome], elapsed: Duration) -> String {
    use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
    let mut report = Report::new(format!("netlab grade {lab}"));
    report.set_time(elapsed);
    let mut suites: Vec<TestSuite> = Vec::new();
    for o in outcomes {
        if suites.last().is_none_or(|s| s.name.as_str() != o.role) {
            let mut suite = TestSuite::new(o.role);
            suite.add_property(Property::new("seed", seed.to_string()));
            suite.add_property(Property::new(
                "sandbox",
                xml_safe(&crate::sandbox::policy().summary()),
            ));
            suites.push(suite);
        }
        let status = match o.passed {
            Some(true) => TestCaseStatus::success(),
            None => {
                let mut s = TestCaseStatus::skipped();
                if let Some(why) = &o.skipped {
                    s.set_message(xml_safe(why));
                }
                s
            }
            Some(false) => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                if let Some(d) = o.diagnosis {
                    s.set_type(d.code());
                    s.set_message(format!("{}: {}", d.code(), d.title()));
                }
                let folded = folded_into(o, outcomes);
                s.set_description(xml_safe(&failure_story(
                    o,
                    folded,
                    Hint::Whole,
                    Output::Whole,
                    false,
                )));
                s
            }
        };
        let mut case = TestCase::new(o.id, status);
        case.set_classname(format!("{lab}.{}", o.role));
        case.set_time(Duration::from_millis(o.duration_ms));
        if let Some(suite) = suites.last_mut() {
            suite.add_test_case(case);
        }
    }
    report.add_test_suites(suites);
    report
        .to_string()
        .unwrap_or_else(|e| format!("<!-- could not write the JUnit report: {e} -->"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hostile round 6: U+FFFF in a program's output made report.xml
    /// unreadable.
    #[test]
    fn the_junit_report_holds_no_character_xml_forbids() {
        let mut o = outcome("server-ack", "server", Some(Diagnosis::WrongReply));
        o.observed = Some("the reply `a\u{ffff}b\u{fffe}`".into());
        let xml = render_junit("week01", 1, &[o], Duration::from_millis(5));
        assert!(!xml.contains(['\u{ffff}', '\u{fffe}']), "{xml}");
        assert!(xml.contains("the reply"), "{xml}");
    }

    /// A step that is a note on the one before it (two spaces first) has
    /// no number of its own; the actions are numbered one after another.
    #[test]
    fn a_note_on_a_step_is_not_numbered() {
        let mut o = outcome("client-timeout", "client", Some(Diagnosis::IgnoresConfig));
        o.steps = vec![
            "start the client".into(),
            "  (this fake server never replies)".into(),
            "wait for it to give up".into(),
        ];
        let text = render_text("week01", 1, &[o], false);
        assert!(text.contains("  1. start the client\n"), "{text}");
        assert!(
            text.contains("     (this fake server never replies)\n"),
            "{text}"
        );
        assert!(text.contains("  2. wait for it to give up\n"), "{text}");
        assert!(!text.contains("3. "), "{text}");
    }

    fn outcome(id: &'static str, role: &'static str, diagnosis: Option<Diagnosis>) -> Outcome {
        Outcome {
            id,
            role,
            title: "a check",
            passed: Some(diagnosis.is_none()),
            diagnosis,
            expected: diagnosis.map(|_| "this".to_string()),
            observed: diagnosis.map(|_| "that".to_string()),
            hint: diagnosis.map(|d| d.hint().to_string()),
            duration_ms: 5,
            skipped: None,
            steps: diagnosis
                .map(|_| vec!["did a thing".into()])
                .unwrap_or_default(),
            processes: None,
            pcap: None,
            wire: Vec::new(),
            follows_from: None,
            fold: crate::grade::Fold::SameDiagnosis,
            otherwise: None,
            crash_site: None,
            cpu_ms: None,
        }
    }

    /// 24 failures with 3 causes (one of them in two programs, so 4
    /// findings), 2 passes.
    fn many() -> Vec<Outcome> {
        const IDS: [&str; 24] = [
            "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "c1", "c2", "c3", "c4",
            "c5", "c6", "c7", "c8", "t1", "t2", "t3", "t4", "t5", "t6",
        ];
        let mut out = vec![outcome("ok1", "server", None)];
        for (i, id) in IDS.iter().enumerate() {
            let (role, d) = match i {
                0..=9 => ("server", Diagnosis::StdoutBuffered),
                10..=17 => ("client", Diagnosis::StdoutBuffered),
                18..=20 => ("threaded-server", Diagnosis::NoClose),
                _ => ("threaded-server", Diagnosis::NoConcurrency),
            };
            out.push(outcome(id, role, Some(d)));
        }
        out.push(outcome("ok2", "pair", None));
        out
    }

    /// One mistake's name seen two ways (a hard-coded timeout, and a
    /// listener on every address: both ignores-config) is one finding
    /// with both precise hints (blind round 44: the second's was lost); a
    /// failure folded under it adds nothing of its own diagnosis's.
    #[test]
    fn a_finding_keeps_each_precise_hint_of_its_checks() {
        let mut timeout = outcome("s1", "server", Some(Diagnosis::IgnoresConfig));
        timeout.hint = Some("Read LAB_TIMEOUT.".into());
        let mut host = outcome("s2", "server", Some(Diagnosis::IgnoresConfig));
        host.hint = Some("Bind LAB_HOST.".into());
        let again = outcome("s3", "server", Some(Diagnosis::IgnoresConfig));
        let mut again_timeout = again.clone();
        again_timeout.hint = Some("Read LAB_TIMEOUT.".into());
        let found = findings(&[timeout, host, again_timeout]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].hint,
            "Read LAB_TIMEOUT.\n     And where s2 saw it: Bind LAB_HOST.",
        );
        assert_eq!(found[0].checks, ["s1", "s2", "s3"]);
    }

    /// A failure that follows from a finding of its own name, with only
    /// its diagnosis's general hint, adds nothing to the finding's precise
    /// one: it saw less (a client's `ping` test connection, told by
    /// client-ack with its hint; client-error-reply saw the `ping` alone).
    /// Unfolded, the general hint is still added (blind round 44's shape).
    #[test]
    fn a_folded_failure_adds_no_general_hint_to_a_precise_one() {
        let mut ack = outcome("c1", "client", Some(Diagnosis::WrongMessage));
        ack.hint = Some("Connect once.".into());
        let mut reply = outcome("c2", "client", Some(Diagnosis::WrongMessage));
        reply.hint = Some(Diagnosis::WrongMessage.hint().into());
        reply.follows_from = Some("c1");
        let found = findings(&[ack.clone(), reply.clone()]);
        assert_eq!(found[0].hint, "Connect once.");
        reply.follows_from = None;
        let found = findings(&[ack, reply]);
        assert!(
            found[0].hint.contains("And where c2 saw it"),
            "{}",
            found[0].hint
        );
    }

    /// A failure folded under a check that comes after it: the finding
    /// has that check's name and leads with its hint, and the folded
    /// failure's own (another diagnosis's) is not given (blind round 62).
    #[test]
    fn a_finding_leads_with_the_hint_of_the_check_it_is_named_after() {
        let mut cap = outcome("t1", "threaded-server", Some(Diagnosis::BusyCap));
        cap.hint = Some("Count the clients.".into());
        cap.follows_from = Some("t2");
        cap.fold = Fold::IfCauseWasOneOf(&[Diagnosis::BusyCap, Diagnosis::BusyLeak]);
        let mut leak = outcome("t2", "threaded-server", Some(Diagnosis::BusyLeak));
        leak.hint = Some("Release the slot on every path.".into());
        let found = findings(&[cap, leak]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].code, "busy-leak");
        assert_eq!(found[0].hint, "Release the slot on every path.");
        assert_eq!(found[0].checks, ["t1", "t2"]);
    }

    /// The details give a hint whole once; a later check with the same
    /// one points back to it (blind round 31: ten copies of one paragraph).
    #[test]
    fn a_hint_is_given_whole_once_in_the_details() {
        let outcomes = [
            outcome("t1", "threaded-server", Some(Diagnosis::NoClose)),
            outcome("t2", "threaded-server", Some(Diagnosis::NoClose)),
            outcome("t3", "threaded-server", Some(Diagnosis::NoConcurrency)),
        ];
        let text = render_text("week01", 1, &outcomes, false);
        // Once in the findings, once in the details.
        assert_eq!(text.matches(Diagnosis::NoClose.hint()).count(), 2, "{text}");
        assert!(text.contains("hint: the same as t1's, above"), "{text}");
        assert_eq!(
            text.matches(Diagnosis::NoConcurrency.hint()).count(),
            2,
            "{text}"
        );
        // A story alone (the live line) has its hint whole.
        assert!(render_outcome(&outcomes[1], false).contains(Diagnosis::NoClose.hint()));
        // In the findings too: one mistake in two programs, one hint.
        let two = [
            outcome("s1", "server", Some(Diagnosis::StdoutBuffered)),
            outcome("c1", "client", Some(Diagnosis::StdoutBuffered)),
        ];
        let text = render_findings(&findings(&two), false);
        assert_eq!(
            text.matches(Diagnosis::StdoutBuffered.hint()).count(),
            1,
            "{text}"
        );
        assert!(text.contains("hint: the same as mistake 1's"), "{text}");
    }

    /// A server whose handler thread dies of one error on every client
    /// lives on: the traceback is shown once, each check's stdout whole
    /// (blind round 49: nine times over).
    #[test]
    fn a_traceback_a_living_program_repeats_is_shown_once() {
        let report = |jail: &str, said: &str, line: u32| {
            format!(
                "threaded-server `python3 s.py`: still running (stopped by the grader)\n  \
                 stdout:\n  | [SERVER] Received: {said}\n  stderr:\n  \
                 | Traceback (most recent call last):\n  \
                 |   File \"/dev/shm/netlab-jail-{jail}/s.py\", line {line}, in handle\n  \
                 |     conn.sendall(reply)\n  \
                 | TypeError: a bytes-like object is required, not 'str'\n"
            )
        };
        let mut outcomes = [
            outcome("t1", "threaded-server", Some(Diagnosis::Crash)),
            outcome("t2", "threaded-server", Some(Diagnosis::Crash)),
            outcome("t3", "threaded-server", Some(Diagnosis::Crash)),
            outcome("t4", "threaded-server", Some(Diagnosis::Crash)),
        ];
        outcomes[0].processes = Some(report("7-aa", "first", 67));
        outcomes[1].processes = Some(report("7-bb", "second", 67));
        // Another line: another crash, shown whole.
        outcomes[2].processes = Some(report("7-cc", "third", 70));
        // Log lines on stderr are no crash: shown whole, however alike.
        outcomes[3].processes =
            Some("threaded-server `s`: exit 0\n  stdout: (nothing)\n  stderr:\n  | log\n".into());
        let text = render_text("week01", 1, &outcomes, false);
        assert_eq!(text.matches("| TypeError").count(), 2, "{text}");
        assert!(
            text.contains("stderr: the same crash as under t1, above, ending `TypeError: a bytes"),
            "{text}"
        );
        for said in ["first", "second", "third"] {
            assert!(
                text.contains(&format!("| [SERVER] Received: {said}")),
                "{text}"
            );
        }
        assert!(text.contains("| log"), "{text}");
    }

    #[test]
    fn failures_fold_by_cause_in_order_of_first_failure() {
        let f = findings(&many());
        let rows: Vec<(&str, &str, usize)> = f
            .iter()
            .map(|f| (f.code, f.program, f.checks.len()))
            .collect();
        assert_eq!(
            rows,
            [
                ("stdout-buffered", "server", 10),
                ("stdout-buffered", "client", 8),
                ("no-close", "threaded-server", 3),
                ("no-concurrency", "threaded-server", 3),
            ]
        );
        assert_eq!(f[2].checks, ["t1", "t2", "t3"]);
        assert_eq!(f[2].hint, Diagnosis::NoClose.hint());
        assert!(findings(&[outcome("ok", "server", None)]).is_empty());
    }

    #[test]
    fn a_failure_folds_under_its_cause_only_as_the_same_mistake_unless_any_explains_it() {
        let follows = |id, d, fold| Outcome {
            follows_from: Some("first"),
            fold,
            ..outcome(id, "server", Some(d))
        };
        let first = outcome("first", "server", Some(Diagnosis::WrongReply));
        let rows = |outcomes: &[Outcome]| -> Vec<(&'static str, Vec<&'static str>)> {
            findings(outcomes)
                .into_iter()
                .map(|f| (f.code, f.checks))
                .collect()
        };
        // The same mistake seen again: one finding.
        let same = follows("again", Diagnosis::WrongReply, Fold::SameDiagnosis);
        assert_eq!(
            rows(&[first.clone(), same]),
            [("wrong-reply", vec!["first", "again"])]
        );
        // Another mistake the first one's check never got to see: its own.
        let hang = follows("later", Diagnosis::Hangs, Fold::SameDiagnosis);
        assert_eq!(
            rows(&[first.clone(), hang.clone()]),
            [("wrong-reply", vec!["first"]), ("hangs", vec!["later"])]
        );
        // A consequence of whatever the first check found: folded.
        let start = follows("start", Diagnosis::StartupFailure, Fold::AnyDiagnosis);
        assert_eq!(
            rows(&[first.clone(), start]),
            [("wrong-reply", vec!["first", "start"])]
        );
        // Folded only under one of the causes named.
        let no_reply = follows(
            "pair",
            Diagnosis::Hangs,
            Fold::IfCauseWasOneOf(&[Diagnosis::WrongReply]),
        );
        assert_eq!(
            rows(&[first.clone(), no_reply.clone()]),
            [("wrong-reply", vec!["first", "pair"])]
        );
        let timeout = outcome("first", "server", Some(Diagnosis::NoClose));
        assert_eq!(
            rows(&[timeout, no_reply]),
            [("no-close", vec!["first"]), ("hangs", vec!["pair"])]
        );
        // Nothing to fold under when the first check passed.
        let passed = outcome("first", "server", None);
        assert_eq!(rows(&[passed, hang.clone()]), [("hangs", vec!["later"])]);
        // The JSON names the check a failure follows from only when it
        // was folded there.
        let json = |outcomes: &[Outcome]| -> Vec<serde_json::Value> {
            let v: serde_json::Value =
                serde_json::from_str(&render_json("week01", 1, outcomes)).unwrap();
            v["checks"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["follows_from"].clone())
                .collect()
        };
        let same = follows("again", Diagnosis::WrongReply, Fold::SameDiagnosis);
        assert_eq!(
            json(&[first.clone(), same.clone()]),
            [serde_json::Value::Null, "first".into()]
        );
        assert_eq!(
            json(&[first.clone(), hang.clone()]),
            [serde_json::Value::Null, serde_json::Value::Null]
        );
        // So do the text report's details, under the folded one only,
        // which shows the finding it follows from instead of a diagnosis
        // and hint of its own (told apart here by a start-up failure's).
        let said = "follows from: the finding of first,";
        let text = render_text("week01", 1, &[first.clone(), same], false);
        assert_eq!(text.matches(said).count(), 1, "{text}");
        let start = follows("start", Diagnosis::StartupFailure, Fold::AnyDiagnosis);
        let text = render_text("week01", 1, &[first.clone(), start], false);
        assert_eq!(text.matches(said).count(), 1, "{text}");
        assert!(!text.contains("diagnosis: startup-failure"), "{text}");
        assert!(!text.contains(Diagnosis::StartupFailure.hint()), "{text}");
        let text = render_text("week01", 1, &[first, hang], false);
        assert!(!text.contains(said), "{text}");
    }

    #[test]
    fn a_failure_with_a_second_possible_cause_folds_under_the_first_that_explains_it() {
        let pair = Outcome {
            follows_from: Some("first"),
            fold: Fold::IfCauseWasOneOf(&[Diagnosis::WrongReply]),
            otherwise: Some(&[("other", &[Diagnosis::ExtraConnection])]),
            ..outcome("pair", "pair", Some(Diagnosis::ExitStatus))
        };
        let first = |d| outcome("first", "server", d);
        let other = |d| outcome("other", "client", d);
        let rows = |outcomes: &[Outcome]| -> Vec<(&'static str, Vec<&'static str>)> {
            findings(outcomes)
                .into_iter()
                .map(|f| (f.code, f.checks))
                .collect()
        };
        let extra = Some(Diagnosis::ExtraConnection);
        let wrong = Some(Diagnosis::WrongReply);
        // The first explains it: folded there, even beside the second.
        assert_eq!(
            rows(&[first(wrong), other(extra), pair.clone()]),
            [
                ("wrong-reply", vec!["first", "pair"]),
                ("extra-connection", vec!["other"])
            ]
        );
        // The first passed: the second, and the JSON names it.
        let both = [first(None), other(extra), pair.clone()];
        assert_eq!(rows(&both), [("extra-connection", vec!["other", "pair"])]);
        let v: serde_json::Value = serde_json::from_str(&render_json("week01", 1, &both)).unwrap();
        assert_eq!(v["checks"][2]["follows_from"], "other");
        // Neither explains it: its own finding.
        let none = [first(Some(Diagnosis::NoClose)), other(None), pair];
        assert_eq!(
            rows(&none),
            [("no-close", vec!["first"]), ("exit-status", vec!["pair"])]
        );
    }

    #[test]
    fn the_text_report_gives_findings_first_then_details_and_counts_checks() {
        let text = render_text("week01", 3, &many(), false);
        let found = text.find("4 mistakes found:").expect("findings block");
        let first = text
            .find("  1. stdout-buffered in the server — ")
            .expect("first finding");
        let details = text
            .find("the details, check by check:\n\nserver\n")
            .expect("details");
        assert!(found < first && first < details, "{text}");
        assert!(text.contains("failed checks (3): t1, t2, t3"), "{text}");
        assert!(
            text.contains("  3. no-close in the threaded-server"),
            "{text}"
        );
        // The score line, then only the sandbox line.
        assert!(
            text.contains("\n2 passed, 24 failed, 0 skipped\nsandbox: "),
            "{text}"
        );
        // A clean run has no findings block and no wire line.
        let clean = render_text("week01", 3, &[outcome("ok", "server", None)], false);
        assert!(
            !clean.contains("found:") && !clean.contains("wire"),
            "{clean}"
        );
    }

    #[test]
    fn a_failure_of_netlab_itself_is_not_counted_as_a_mistake() {
        let outcomes = [
            outcome("a", "server", Some(Diagnosis::GraderError)),
            outcome("b", "server", Some(Diagnosis::NoClose)),
        ];
        let text = render_text("week01", 1, &outcomes, false);
        assert!(
            text.contains("1 mistake found:\n  1. no-close in the server"),
            "{text}"
        );
        assert!(
            text.contains("netlab itself failed (not your mistake):\n  1. grader-error"),
            "{text}"
        );
    }

    #[test]
    fn the_json_keeps_every_field_and_adds_findings_and_pcaps() {
        let mut outcomes = many();
        outcomes[1].pcap = Some("/tmp/ev/s1.pcap".into());
        outcomes[1].wire = vec!["0.000s a → b RST: why".into()];
        let v: serde_json::Value =
            serde_json::from_str(&render_json("week01", 3, &outcomes)).unwrap();
        for key in [
            "lab", "seed", "passed", "failed", "skipped", "checks", "findings",
        ] {
            assert!(v.get(key).is_some(), "missing {key}");
        }
        assert_eq!(
            (v["passed"].as_u64(), v["failed"].as_u64()),
            (Some(2), Some(24))
        );
        let check = &v["checks"][1];
        for key in [
            "id",
            "role",
            "title",
            "passed",
            "diagnosis",
            "expected",
            "observed",
            "hint",
            "duration_ms",
        ] {
            assert!(check.get(key).is_some(), "check is missing {key}");
        }
        assert_eq!(check["pcap"], "/tmp/ev/s1.pcap");
        assert_eq!(check["wire"][0], "0.000s a → b RST: why");
        assert!(v["checks"][0].get("pcap").is_none());
        let f = &v["findings"][0];
        assert_eq!(f["code"], "stdout-buffered");
        assert_eq!(f["program"], "server");
        assert_eq!(f["title"], Diagnosis::StdoutBuffered.title());
        assert_eq!(f["hint"], Diagnosis::StdoutBuffered.hint());
        assert_eq!(f["checks"].as_array().map(Vec::len), Some(10));
        assert_eq!(v["findings"].as_array().map(Vec::len), Some(4));
    }

    #[test]
    fn wire_evidence_is_shown_under_its_story_and_its_folder_in_the_header() {
        let mut o = outcome("server-ack", "server", Some(Diagnosis::NoClose));
        o.pcap = Some("/tmp/ev/server-ack.pcap".into());
        o.wire = vec!["3.081s x → y FIN-ACK: your server closed late".into()];
        let text = render_text("week01", 1, std::slice::from_ref(&o), false);
        assert!(
            text.contains("wire evidence: the packets of each failed check are in /tmp/ev "),
            "{text}"
        );
        assert!(text.contains(
            "      on the wire: (packets in /tmp/ev/server-ack.pcap)\n        3.081s x → y FIN-ACK: your server closed late\n"
        ), "{text}");
        o.wire.clear();
        let story = render_outcome(&o, false);
        assert!(
            story.contains("on the wire: no unusual segment (packets in /tmp/ev/server-ack.pcap)"),
            "{story}"
        );
        // The JUnit failure carries it too.
        let junit = render_junit("week01", 1, &[o], Duration::from_secs(1));
        assert!(junit.contains("server-ack.pcap"), "{junit}");
    }

    #[test]
    fn a_live_check_line_fits_the_terminal_and_keeps_every_word() {
        let mut long = outcome("threaded-shutdown-inflight", "threaded-server", None);
        long.title = "acknowledged messages survive a kill (--log)";
        long.duration_ms = 12345;
        let mut skipped = outcome("server-silent-client", "server", None);
        skipped.passed = None;
        skipped.skipped =
            Some("no command for the server role (give --server or netlab.toml)".into());
        for o in [&long, &skipped] {
            let whole = render_line(o, false, 500);
            assert_eq!(whole.lines().count(), 1, "{whole}");
            for width in [60, 80, 100] {
                let line = render_line(o, false, width);
                for row in line.lines() {
                    let columns = row.chars().count();
                    assert!(columns <= width, "{columns} > {width}: {line}");
                }
                let words = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
                assert_eq!(words(&line), words(&whole), "{line}");
            }
        }
        // At 80 columns the skipped reason goes on under the title.
        let fitted = render_line(&skipped, false, 80);
        let second = fitted.lines().nth(1).expect("two rows");
        assert!(
            second[..33].trim().is_empty() && !second[33..].starts_with(' '),
            "{fitted}"
        );
    }
}
