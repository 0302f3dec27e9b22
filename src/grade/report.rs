//! Grade reports: text for people, JSON for scripts, JUnit XML for CI.
//!
//! The text report reads as a story for each failure (CS144 style): the
//! numbered steps taken, what was expected, what was observed, the programs'
//! output, the diagnosis and a hint. Colour is added only when asked (the
//! caller decides from the terminal and NO_COLOR).

use std::time::Duration;

use anstyle::{AnsiColor, Style};
use serde_json::json;

use super::Outcome;

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

/// The text report.
pub fn render_text(lab: &str, seed: u64, outcomes: &[Outcome], color: bool) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{} {lab} (seed {seed}; replay with --seed {seed})\n",
        paint(BOLD, "netlab grade", color)
    ));
    let mut group = "";
    for o in outcomes {
        if o.role != group {
            group = o.role;
            out.push_str(&format!("\n{}\n", paint(BOLD, group, color)));
        }
        out.push_str(&render_outcome(o, color));
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

/// One check's line, followed by its story if it failed.
pub fn render_outcome(o: &Outcome, color: bool) -> String {
    let (mark, style) = match o.passed {
        Some(true) => ("✔", GREEN),
        Some(false) => ("✘", RED),
        None => ("-", YELLOW),
    };
    let timing = match o.passed {
        None => format!("skipped: {}", o.skipped.as_deref().unwrap_or("")),
        Some(_) => format!("{} ms", o.duration_ms),
    };
    let mut out = format!(
        "  {} {:<28} {} {}\n",
        paint(style, mark, color),
        o.id,
        o.title,
        paint(DIM, &format!("({timing})"), color)
    );
    if o.passed == Some(false) {
        out.push_str(&failure_story(o, color));
    }
    out
}

/// One check's line alone (mark, id, title, timing), without the story:
/// what `netlab grade` prints live on a terminal as each check finishes.
pub fn render_line(o: &Outcome, color: bool) -> String {
    let text = render_outcome(o, color);
    let line = text.lines().next().unwrap_or_default();
    format!("{line}\n")
}

fn failure_story(o: &Outcome, color: bool) -> String {
    let mut out = String::new();
    let indent = "      ";
    if !o.steps.is_empty() {
        out.push_str(&format!(
            "{indent}{}\n",
            paint(BOLD, "what the grader did:", color)
        ));
        for (i, step) in o.steps.iter().enumerate() {
            out.push_str(&format!("{indent}  {}. {step}\n", i + 1));
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
    if let Some(processes) = &o.processes {
        for line in processes.lines() {
            out.push_str(&format!("{indent}{}\n", paint(DIM, line, color)));
        }
    }
    if let Some(d) = o.diagnosis {
        out.push_str(&format!(
            "{indent}{} {} — {}\n",
            paint(BOLD, "diagnosis:", color),
            paint(RED, d.code(), color),
            d.title()
        ));
    }
    if let Some(hint) = &o.hint {
        out.push_str(&format!("{indent}{} {hint}\n", paint(BOLD, "hint:", color)));
    }
    out
}

/// The JSON report (`{"lab", "seed", "passed", "failed", "skipped", "checks": [...]}`).
pub fn render_json(lab: &str, seed: u64, outcomes: &[Outcome]) -> String {
    let (passed, failed, skipped) = counts(outcomes);
    let value = json!({
        "lab": lab,
        "seed": seed,
        "passed": passed,
        "failed": failed,
        "skipped": skipped,
        "checks": outcomes,
        "sandbox": crate::sandbox::policy().to_json(),
    });
    serde_json::to_string_pretty(&value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
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
            suite.add_property(Property::new("sandbox", crate::sandbox::policy().summary()));
            suites.push(suite);
        }
        let status = match o.passed {
            Some(true) => TestCaseStatus::success(),
            None => {
                let mut s = TestCaseStatus::skipped();
                if let Some(why) = &o.skipped {
                    s.set_message(why.as_str());
                }
                s
            }
            Some(false) => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                if let Some(d) = o.diagnosis {
                    s.set_type(d.code());
                    s.set_message(format!("{}: {}", d.code(), d.title()));
                }
                s.set_description(failure_story(o, false));
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
