//! Per-submission files: the text, JSON and JUnit reports, and the result
//! files of the platforms instructors grade on.
//!
//! - Gradescope: `results.json` (autograder specification: `score`,
//!   `max_score`, `output_format`, `tests[]` with `name`, `score`,
//!   `max_score`, `status`, `output`, `visibility`). Hidden checks are
//!   listed with `visibility: "after_published"`.
//! - PrairieLearn: `prairielearn.json` (external grader: `gradable`,
//!   `score` in 0..1, `tests[]` with `points`, `max_points`, `message`,
//!   `output`).
//! - Classroom 50: `result.json` (`"schema": "classroom50/result/v1"`) and
//!   `release-body.md`, the student's report in Markdown.
//!
//! Student-facing files (report.txt, release-body.md, and the test lists of
//! PrairieLearn and Classroom 50, which have no "publish later") never show
//! a hidden check, and the scores they print leave its points out; the
//! platforms' scores (the grade) count them: PrairieLearn's and Classroom
//! 50's at once, so a student there can tell how the hidden checks went
//! from the grade. report.json and report.xml are the instructor's full
//! record.

use serde_json::{json, Value};

use super::record::fmt_points;
use crate::grade::report;
use crate::grade::Outcome;

/// One outcome with what it is worth.
pub struct Graded<'a> {
    pub outcome: &'a Outcome,
    pub max_score: f64,
    pub hidden: bool,
}

impl Graded<'_> {
    pub fn score(&self) -> f64 {
        if self.outcome.passed == Some(true) {
            self.max_score
        } else {
            0.0
        }
    }

    fn output(&self) -> String {
        match self.outcome.passed {
            Some(true) => "passed".to_string(),
            None => format!(
                "skipped: {}",
                self.outcome.skipped.as_deref().unwrap_or_default()
            ),
            Some(false) => report::render_outcome(self.outcome, false),
        }
    }

    fn name(&self) -> String {
        format!("{} — {}", self.outcome.id, self.outcome.title)
    }
}

pub fn totals(graded: &[Graded]) -> (f64, f64) {
    points_of(graded.iter())
}

/// The score and the maximum of `graded`.
fn points_of<'a>(graded: impl Iterator<Item = &'a Graded<'a>> + Clone) -> (f64, f64) {
    // `+ 0.0`: an empty sum is -0.0, which JSON writes as `-0.0`.
    (
        graded.clone().map(Graded::score).sum::<f64>() + 0.0,
        graded.map(|g| g.max_score).sum::<f64>() + 0.0,
    )
}

/// The points of the checks a student sees: the hidden ones' are not
/// said before grades are published (a new instructor's round: `13 / 68`
/// under checks worth 12 of 66 told what the hidden ones scored).
fn visible_totals(graded: &[Graded]) -> (f64, f64) {
    points_of(graded.iter().filter(|g| !g.hidden))
}

/// The student's text report: hidden checks left out, and their points.
pub fn text_report(lab: &str, seed: u64, graded: &[Graded]) -> String {
    let visible: Vec<Outcome> = graded
        .iter()
        .filter(|g| !g.hidden)
        .map(|g| g.outcome.clone())
        .collect();
    let mut text = report::render_text(lab, seed, &visible, false);
    let hidden = graded.iter().filter(|g| g.hidden).count();
    let (score, max) = visible_totals(graded);
    text.push_str(&format!(
        "score: {} / {}\n",
        fmt_points(score),
        fmt_points(max)
    ));
    if hidden > 0 {
        text.push_str(&format!("{}\n", hidden_note(hidden)));
    }
    text
}

/// What a student is told of the hidden checks.
pub(super) fn hidden_note(hidden: usize) -> String {
    format!(
        "{hidden} more check(s) are hidden until grades are published; their points are not in the score above, and count in the grade."
    )
}

/// Gradescope's results.json.
pub fn gradescope(graded: &[Graded], not_graded: Option<&str>, max_if_not: f64) -> Value {
    if let Some(why) = not_graded {
        return json!({
            "score": 0.0,
            "max_score": max_if_not,
            "output_format": "text",
            "visibility": "visible",
            "output": format!("Your submission could not be graded: {why}"),
            "tests": [],
        });
    }
    let (score, max) = totals(graded);
    let tests: Vec<Value> = graded
        .iter()
        .map(|g| {
            json!({
                "name": g.name(),
                "score": g.score(),
                "max_score": g.max_score,
                "status": if g.outcome.passed == Some(true) { "passed" } else { "failed" },
                "output": g.output(),
                "visibility": if g.hidden { "after_published" } else { "visible" },
            })
        })
        .collect();
    json!({
        "score": score,
        "max_score": max,
        "output_format": "text",
        "visibility": "visible",
        "output": overview(graded),
        "tests": tests,
    })
}

/// The text above Gradescope's tests: how many passed, and why the
/// skipped ones show as failed there (Gradescope has no "skipped": a test
/// below its points is red, and a new user's round read 38 red tests of
/// programs never handed in as 38 mistakes). Hidden checks are not told.
fn overview(graded: &[Graded]) -> String {
    let shown: Vec<&Graded> = graded.iter().filter(|g| !g.hidden).collect();
    let passed = shown
        .iter()
        .filter(|g| g.outcome.passed == Some(true))
        .count();
    let failed = shown
        .iter()
        .filter(|g| g.outcome.passed == Some(false))
        .count();
    let mut text = format!(
        "{passed} of {} checks passed, {failed} failed.",
        shown.len()
    );
    let mut missing: Vec<&str> = shown
        .iter()
        .filter(|g| g.outcome.passed.is_none())
        .filter_map(|g| g.outcome.skipped.as_deref())
        .collect();
    missing.sort_unstable();
    missing.dedup();
    let skipped = shown.iter().filter(|g| g.outcome.passed.is_none()).count();
    if skipped > 0 {
        text.push_str(&format!(
            " {skipped} were not run and score nothing ({}): they show as failed below, but no mistake was found in them.",
            missing.join("; ")
        ));
    }
    text
}

/// PrairieLearn's external-grader results.json.
pub fn prairielearn(graded: &[Graded], not_graded: Option<&str>) -> Value {
    if let Some(why) = not_graded {
        return json!({
            "gradable": false,
            "score": 0.0,
            "message": format!("Your submission could not be graded: {why}"),
            "output": "",
            "tests": [],
        });
    }
    let (score, max) = totals(graded);
    let fraction = if max > 0.0 { score / max } else { 0.0 };
    let tests: Vec<Value> = graded
        .iter()
        .filter(|g| !g.hidden)
        .map(|g| {
            json!({
                "name": g.name(),
                "points": g.score(),
                "max_points": g.max_score,
                "message": match (g.outcome.passed, g.outcome.diagnosis) {
                    (Some(true), _) => "passed".to_string(),
                    (Some(false), Some(d)) => format!("{}: {}", d.code(), d.title()),
                    (Some(false), None) => "failed".to_string(),
                    (None, _) => "skipped".to_string(),
                },
                "output": g.output(),
            })
        })
        .collect();
    let hidden = graded.iter().filter(|g| g.hidden).count();
    let mut message = format!("{} / {} points", fmt_points(score), fmt_points(max));
    if hidden > 0 {
        message.push_str(&format!(" ({hidden} hidden check(s) count in the score)"));
    }
    json!({
        "gradable": true,
        "score": fraction,
        "message": message,
        "output": "",
        "tests": tests,
    })
}

/// Classroom 50's result.json.
pub fn classroom50(graded: &[Graded], max_if_not: f64, not_graded: bool) -> Value {
    let (score, max) = if not_graded {
        (0.0, max_if_not)
    } else {
        totals(graded)
    };
    let tests: Vec<Value> = graded
        .iter()
        .filter(|g| !g.hidden)
        .map(|g| {
            json!({
                "test-name": g.name(),
                "passed": g.outcome.passed == Some(true),
                "score": g.score(),
                "max-score": g.max_score,
            })
        })
        .collect();
    json!({
        "schema": "classroom50/result/v1",
        "score": score,
        "max-score": max,
        "tests": tests,
    })
}

/// Classroom 50's release-body.md: the student's report in Markdown.
pub fn release_body(
    lab: &str,
    seed: u64,
    graded: &[Graded],
    not_graded: Option<&str>,
    max_if_not: f64,
) -> String {
    let mut md = String::new();
    if let Some(why) = not_graded {
        md.push_str(&format!(
            "# {lab}: not graded\n\nScore: 0 / {}\n\nYour submission could not be graded: {}\n",
            fmt_points(max_if_not),
            md_untrusted(why)
        ));
        return md;
    }
    let (score, max) = visible_totals(graded);
    md.push_str(&format!(
        "# {lab}: {} / {} points\n\n",
        fmt_points(score),
        fmt_points(max)
    ));
    md.push_str("| | check | what it verifies | points |\n|---|---|---|---|\n");
    for g in graded.iter().filter(|g| !g.hidden) {
        let mark = match g.outcome.passed {
            Some(true) => "✅",
            Some(false) => "❌",
            None => "➖",
        };
        md.push_str(&format!(
            "| {mark} | `{}` | {} | {} / {} |\n",
            g.outcome.id,
            md_text(g.outcome.title),
            fmt_points(g.score()),
            fmt_points(g.max_score)
        ));
    }
    let hidden = graded.iter().filter(|g| g.hidden).count();
    if hidden > 0 {
        md.push_str(&format!("\n{}\n", hidden_note(hidden)));
    }
    let failures: Vec<&Graded> = graded
        .iter()
        .filter(|g| !g.hidden && g.outcome.passed == Some(false))
        .collect();
    if !failures.is_empty() {
        md.push_str("\n## What went wrong\n");
        for g in failures {
            md.push_str(&format!(
                "\n### `{}` — {}\n\n",
                g.outcome.id,
                md_text(g.outcome.title)
            ));
            if let Some(d) = g.outcome.diagnosis {
                md.push_str(&format!("**{}**: {}\n\n", d.code(), md_text(d.title())));
            }
            if let Some(hint) = &g.outcome.hint {
                md.push_str(&format!("Hint: {}\n\n", md_text(hint)));
            }
            md.push_str("```text\n");
            md.push_str(&report::render_outcome(g.outcome, false).replace("```", "'''"));
            md.push_str("```\n");
        }
    }
    md.push_str(&format!(
        "\nReplay locally: `netlab grade {lab} --seed {seed}`\n"
    ));
    md
}

/// Text safe in a Markdown table cell or paragraph.
fn md_text(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// Text a submission controls (a folder name, why its netlab.toml was
/// refused) as Markdown that shows it as written: every character Markdown
/// or HTML would act on is escaped (no comment hiding the rest of a
/// summary, no image, no fake heading), control characters are spelled
/// out, and it stays on one line.
pub fn md_untrusted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        // The start of a link GitHub makes of bare text: the `:` of `://`
        // and the `.` of `www.` (hostile round 21: a folder named
        // `www.evil.example` became a link). Other dots stay as they are.
        let link = match c {
            ':' => chars.get(i + 1..i + 3) == Some(&['/', '/']),
            '.' => {
                i >= 3
                    && chars[i - 3..i]
                        .iter()
                        .map(|c| c.to_ascii_lowercase())
                        .eq("www".chars())
            }
            _ => false,
        };
        if link {
            out.push('\\');
            out.push(c);
            continue;
        }
        match c {
            // `@`: a mention (GitHub notifies that user).
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '!' | '#' | '|' | '~' | '&' | '@' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() || crate::grade::invisible(c) => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::md_untrusted;

    #[test]
    fn text_a_submission_controls_cannot_act_as_markdown_or_on_a_terminal() {
        let forged = "week01` \u{1b}[2J| pass | <!-- ![x](https://example.invalid/t.png) **ALL PASSED** @octocat\n# 10/10";
        let md = md_untrusted(forged);
        assert!(!md.contains('\u{1b}') && !md.contains('\n'), "{md}");
        // Each character Markdown acts on comes after a backslash.
        let chars: Vec<char> = md.chars().collect();
        for (i, c) in chars.iter().enumerate() {
            if "`<>![]*|#@".contains(*c) {
                assert!(i > 0 && chars[i - 1] == '\\', "`{c}` left active in {md}");
            }
        }
        // Every character is still there, escaped, for the reader.
        assert!(md.contains("\\<\\!--"), "{md}");
        assert!(md.contains("\\u{1b}\\[2J"), "{md}");
        assert_eq!(md_untrusted("bob-2"), "bob-2");
    }

    /// Hostile round 21: a folder named like a web address became a link
    /// on GitHub; one with a zero-width space read as a classmate's name.
    #[test]
    fn a_name_makes_no_link_and_shows_its_invisible_characters() {
        assert_eq!(md_untrusted("www.evil.example"), "www\\.evil.example");
        assert_eq!(
            md_untrusted("see https://evil.example"),
            "see https\\://evil.example"
        );
        assert_eq!(md_untrusted("netlab.toml: a:b"), "netlab.toml: a:b");
        assert_eq!(md_untrusted("bob\u{200b}"), "bob\\u{200b}");
        assert_eq!(crate::grade::printable_name("bob\u{2060}"), "bob\\u{2060}");
        assert_eq!(crate::grade::printable_name("bob"), "bob");
    }
}
