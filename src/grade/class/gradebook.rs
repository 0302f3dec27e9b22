//! The class outputs built from the submissions' records: `gradebook.csv`
//! and `summary.md` (score distribution, the class's mistakes ranked by how
//! many submissions made them, each with its hint: what to teach again).

use std::collections::BTreeMap;

use super::record::{fmt_points, Record};
use crate::grade::Diagnosis;

/// The fixed columns of gradebook.csv; one column per check follows.
pub const COLUMNS: [&str; 7] = [
    "submission",
    "passed",
    "failed",
    "skipped",
    "score",
    "max_score",
    "diagnoses",
];

/// The check columns: those of the first record that has any.
pub fn check_columns(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .find(|r| !r.check_ids.is_empty())
        .map(|r| r.check_ids.clone())
        .unwrap_or_default()
}

/// One CSV cell. Trap: a spreadsheet runs a cell that starts with `=`,
/// `+`, `-` or `@` as a formula (`=HYPERLINK(..)`, a DDE command), and a
/// submission's folder names its row: such a cell gets a leading `'`,
/// which spreadsheets show as text (hostile round 6). Control characters
/// are shown escaped, so `cat gradebook.csv` cannot act on a terminal.
fn csv_field(field: &str) -> String {
    let mut field = crate::grade::printable_name(field);
    if field.starts_with(['=', '+', '-', '@']) {
        field.insert(0, '\'');
    }
    // `;` too: spreadsheets in many locales (de, fr, ...) split on it, and
    // an unquoted `x;=1+1` gave a formula cell (hostile round 10).
    if field.contains([',', ';', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field
    }
}

/// gradebook.csv. Check cells: `pass`, `fail:CODE`, `skip`, or empty when
/// the submission was not graded.
pub fn csv(records: &[Record]) -> String {
    let columns = check_columns(records);
    let mut out = COLUMNS.join(",");
    for id in &columns {
        out.push(',');
        out.push_str(&csv_field(id));
    }
    out.push('\n');
    for r in records {
        let (passed, failed, skipped) = r.counts();
        let diagnoses = match &r.not_graded {
            Some(why) => format!("not graded: {why}"),
            None => r.diagnoses().join(" "),
        };
        let mut row = vec![
            csv_field(&r.submission),
            passed.to_string(),
            failed.to_string(),
            skipped.to_string(),
            fmt_points(r.score),
            fmt_points(r.max_score),
            csv_field(&diagnoses),
        ];
        for id in &columns {
            let cell = match r.checks.iter().find(|c| &c.id == id) {
                None => String::new(),
                // The finding the student's report tells it under (a
                // folded failure, its cause's: blind round 36).
                Some(c) => match (c.passed, r.mistake_of(c)) {
                    (Some(true), _) => "pass".into(),
                    (Some(false), Some(code)) => csv_field(&format!("fail:{code}")),
                    (Some(false), None) => "fail".into(),
                    (None, _) => "skip".into(),
                },
            };
            row.push(cell);
        }
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

/// A mistake of the class: a diagnosis and who made it.
pub struct Mistake {
    pub code: String,
    pub title: String,
    pub hint: String,
    /// The submissions that made it (at least one check failed with it).
    pub submissions: Vec<String>,
    /// The checks where it showed, each with how many submissions it
    /// showed in there: one code can come from unrelated checks (blind
    /// round 56: `ignores-config` from a threaded server's address and a
    /// client's hard-coded timeout), and the instructor needs to know which.
    pub checks: Vec<(String, usize)>,
}

/// The class's mistakes, most common first (ties by code); grader errors
/// are netlab's fault and come separately (second value).
pub fn mistakes(records: &[Record]) -> (Vec<Mistake>, Option<Mistake>) {
    let mut by_code: BTreeMap<String, Mistake> = BTreeMap::new();
    for r in records {
        for c in &r.checks {
            let Some(code) = r.mistake_of(c) else {
                continue;
            };
            let known = Diagnosis::from_code(code);
            let m = by_code.entry(code.to_string()).or_insert_with(|| Mistake {
                code: code.to_string(),
                title: known.map(|d| d.title().to_string()).unwrap_or_default(),
                hint: known.map(|d| d.hint().to_string()).unwrap_or_default(),
                submissions: Vec::new(),
                checks: Vec::new(),
            });
            if !m.submissions.contains(&r.submission) {
                m.submissions.push(r.submission.clone());
            }
            // A submission's record holds each check once.
            match m.checks.iter_mut().find(|(id, _)| id == &c.id) {
                Some((_, n)) => *n += 1,
                None => m.checks.push((c.id.clone(), 1)),
            }
        }
    }
    let grader = by_code.remove(Diagnosis::GraderError.code());
    let mut list: Vec<Mistake> = by_code.into_values().collect();
    list.sort_by(|a, b| {
        b.submissions
            .len()
            .cmp(&a.submissions.len())
            .then(a.code.cmp(&b.code))
    });
    (list, grader)
}

/// Score buckets for the distribution: (label, count), 100% first.
pub fn distribution(records: &[Record]) -> Vec<(String, usize)> {
    let mut buckets = [0usize; 11];
    // A submission that could not be graded has no score: it is counted
    // apart ("N not graded"), not as a zero.
    for r in records.iter().filter(|r| r.not_graded.is_none()) {
        let pct = if r.max_score > 0.0 {
            (r.score / r.max_score * 100.0).clamp(0.0, 100.0)
        } else {
            0.0
        };
        // 100% gets a bucket of its own; 90-99.9 the one below, and so on.
        let i = if pct >= 100.0 {
            10
        } else {
            (pct / 10.0) as usize
        };
        buckets[i] += 1;
    }
    let mut out = Vec::new();
    for i in (0..=10).rev() {
        let label = if i == 10 {
            "100%".to_string()
        } else {
            format!("{}–{}%", i * 10, i * 10 + 9)
        };
        out.push((label, buckets[i]));
    }
    out
}

/// Mean, median, min and max of the scores (over graded submissions).
pub fn stats(records: &[Record]) -> Option<(f64, f64, f64, f64)> {
    let mut scores: Vec<f64> = records
        .iter()
        .filter(|r| r.not_graded.is_none())
        .map(|r| r.score)
        .collect();
    if scores.is_empty() {
        return None;
    }
    scores.sort_by(|a, b| a.total_cmp(b));
    let n = scores.len();
    let mean = scores.iter().sum::<f64>() / n as f64;
    let median = if n % 2 == 1 {
        scores[n / 2]
    } else {
        (scores[n / 2 - 1] + scores[n / 2]) / 2.0
    };
    Some((mean, median, scores[0], scores[n - 1]))
}

/// How many graded submissions handed in only some of the lab's programs
/// (a check skipped for want of its role's command): their skipped checks
/// score nothing, which the scores alone do not tell from failures (blind
/// round 40: a correct chat client alone sat among the failing scores).
pub fn partial(records: &[Record]) -> usize {
    records
        .iter()
        .filter(|r| r.not_graded.is_none())
        .filter(|r| {
            r.checks.iter().any(|c| {
                c.skipped
                    .as_deref()
                    .is_some_and(|why| why.starts_with("no command for"))
            })
        })
        .count()
}

/// The line "31 of 200: <title>" that ranks a mistake.
/// "3 of 12: ..." where 12 counts the submissions in which the mistake's
/// checks ran (graded, with that role: not the ones that could not be
/// graded or handed in no such program).
pub fn mistake_line(m: &Mistake, records: &[Record]) -> String {
    format!(
        "{} of {}: {}",
        m.submissions.len(),
        judged(m, records),
        m.title
    )
}

/// How many submissions ran at least one of the checks where `m` showed.
pub fn judged(m: &Mistake, records: &[Record]) -> usize {
    records
        .iter()
        .filter(|r| {
            r.checks
                .iter()
                .any(|c| c.passed.is_some() && m.checks.iter().any(|(id, _)| id == &c.id))
        })
        .count()
}

/// "server-config (8), client-timeout (4)": where `m` showed, and in how
/// many submissions each.
pub fn where_shown(m: &Mistake) -> String {
    m.checks
        .iter()
        .map(|(id, n)| format!("{id} ({n})"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The first few submissions that made `m`, for the instructor.
fn who(m: &Mistake) -> String {
    const SHOWN: usize = 8;
    let names: Vec<String> = m
        .submissions
        .iter()
        .take(SHOWN)
        .map(|s| super::platforms::md_untrusted(s))
        .collect();
    let more = m.submissions.len().saturating_sub(SHOWN);
    if more > 0 {
        format!("{} and {more} more", names.join(", "))
    } else {
        names.join(", ")
    }
}

/// The submissions whose programs used far more CPU than the class's:
/// at least [`heavy_floor`] and [`HEAVY_TIMES`] times the median of the
/// submissions measured, most first, with that median. A busy loop or
/// children left spinning slow every grading beside them (hostile round
/// 70: one member took a class of four from 16 s to 34 s, and passed
/// every check); the instructor is told who. Nothing when the sandbox
/// measured no CPU (no cgroups: not root, not Linux).
pub fn heavy(records: &[Record]) -> Option<(u64, Vec<(&Record, u64)>)> {
    let mut measured: Vec<u64> = records.iter().filter_map(|r| r.cpu_ms).collect();
    if measured.is_empty() {
        return None;
    }
    measured.sort_unstable();
    // The lower median: of two spinners in a class of four, the upper
    // one was a spinner's, and neither was named (hostile round 73).
    let median = measured[(measured.len() - 1) / 2];
    let mut list: Vec<(&Record, u64)> = records
        .iter()
        .filter_map(|r| Some((r, r.cpu_ms?)))
        .filter(|(r, ms)| *ms >= heavy_floor(r) && *ms >= median.saturating_mul(HEAVY_TIMES))
        .collect();
    list.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then_with(|| a.0.submission.cmp(&b.0.submission))
    });
    (!list.is_empty()).then_some((median, list))
}

/// See [`heavy`]: a correct submission's programs use a few seconds of
/// CPU in all of Week 1's checks (measured: 9.5 s in 54 checks for a Java
/// one, whose every start is a JVM's, some 180 ms a check); a spinner uses
/// a core for as long as a check lasts, some 45 s for all of them. The
/// floor is per check that ran, so that an `--only` run of a few checks
/// still names a spinner (an instructor's round: a flat 20 s hid it
/// there), with a least floor: one check that starts its program several
/// times took a correct Python server to 0.4 s, four times the median of
/// classmates that failed it early (hostile round 81).
const HEAVY_CPU_MS_PER_CHECK: u64 = 300;
const HEAVY_CPU_MS_LEAST: u64 = 2_000;
const HEAVY_TIMES: u64 = 4;

/// The least CPU time that makes `r` heavy: [`HEAVY_CPU_MS_PER_CHECK`]
/// for each of its checks that ran (passed or failed: not their
/// `cpu_ms`, which a shard could blank to lower the floor, hostile round
/// 81), and never under [`HEAVY_CPU_MS_LEAST`].
fn heavy_floor(r: &Record) -> u64 {
    let ran = r.checks.iter().filter(|c| c.passed.is_some()).count() as u64;
    HEAVY_CPU_MS_PER_CHECK
        .saturating_mul(ran)
        .max(HEAVY_CPU_MS_LEAST)
}

/// CPU milliseconds as a person reads them: `61.2 s`.
pub fn fmt_cpu(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

/// summary.md.
pub fn summary(lab: &str, records: &[Record], pending: usize) -> String {
    let total = records.len();
    let not_graded: Vec<&Record> = records.iter().filter(|r| r.not_graded.is_some()).collect();
    let max = records.iter().map(|r| r.max_score).fold(0.0, f64::max);
    let mut md = format!("# {lab}: class summary\n\n");
    if pending > 0 {
        md.push_str(&format!(
            "**Not finished: {pending} of {} submissions are still to grade** (the run is in progress, or was cut short: the same command, without --force, grades the rest). What follows is about the {total} done.\n\n",
            total + pending
        ));
    }
    md.push_str(&format!(
        "{total} submissions: {} graded, {} not graded.\n",
        total - not_graded.len(),
        not_graded.len()
    ));
    if let Some((mean, median, min, top)) = stats(records) {
        md.push_str(&format!(
            "Scores out of {}: mean {:.1}, median {}, lowest {}, highest {}.\n",
            fmt_points(max),
            mean,
            fmt_points(median),
            fmt_points(min),
            fmt_points(top)
        ));
    }
    let partial = partial(records);
    if partial > 0 {
        md.push_str(&format!(
            "{partial} of them handed in only some of the programs: the checks of a program not handed in are skipped (`skip` in gradebook.csv) and score nothing.\n"
        ));
    }
    md.push_str("\n## Score distribution\n\n| score | submissions | |\n|---|---:|---|\n");
    for (label, count) in distribution(records) {
        md.push_str(&format!("| {label} | {count} | {} |\n", "█".repeat(count)));
    }
    let (list, grader) = mistakes(records);
    md.push_str("\n## What the class got wrong\n\n");
    if list.is_empty() {
        md.push_str("No mistakes: every graded check passed.\n");
    } else {
        md.push_str("Ranked by how many submissions made each mistake; the hint is what to teach again. \"3 of 12\": 3 of the 12 submissions whose programs ran the checks where it showed (a submission without that program, or not graded, is not counted). A failure a student's report tells as following from another check's finding counts as that finding.\n\n");
        for (i, m) in list.iter().enumerate() {
            md.push_str(&format!(
                "{}. **{}** (`{}`; checks: {})  \n   Who: {}  \n   Teach again: {}\n",
                i + 1,
                mistake_line(m, records),
                m.code,
                where_shown(m),
                who(m),
                m.hint
            ));
        }
    }
    if let Some((median, list)) = heavy(records) {
        md.push_str(&format!(
            "\n## Heaviest on the machine\n\nThe programs of these submissions used far more CPU than the class's (the median: {} a submission, all checks together). A busy loop, or children left spinning, slows every grading beside them; the verdicts hold, but look at what the programs do (`cpu_ms` in each check of their report.json).\n\n| submission | CPU of its programs |\n|---|---:|\n",
            fmt_cpu(median)
        ));
        for (r, ms) in list {
            md.push_str(&format!(
                "| {} | {} |\n",
                super::platforms::md_untrusted(&r.submission),
                fmt_cpu(ms)
            ));
        }
    }
    if let Some(g) = grader {
        md.push_str(&format!(
            "\n## netlab's own failures\n\n{} submission(s) hit a grader error (not the students' fault; please report): {}\n",
            g.submissions.len(),
            g.submissions
                .iter()
                .map(|s| super::platforms::md_untrusted(s))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !not_graded.is_empty() {
        md.push_str("\n## Not graded\n\n");
        for r in not_graded {
            md.push_str(&format!(
                "- {}: {}\n",
                super::platforms::md_untrusted(&r.submission),
                super::platforms::md_untrusted(r.not_graded.as_deref().unwrap_or_default())
            ));
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Points as a person reads them: whole numbers bare, two decimals
    /// at most, and an empty sum (-0.0) never "-0" (hostile round 70).
    #[test]
    fn points_read_as_a_person_writes_them() {
        use super::super::record::fmt_points;
        assert_eq!(fmt_points(3.0), "3");
        assert_eq!(fmt_points(0.25), "0.25");
        assert_eq!(fmt_points(2.5), "2.5");
        let empty: f64 = std::iter::empty::<f64>().sum();
        assert!(empty.is_sign_negative());
        assert_eq!(fmt_points(empty), "0");
    }

    fn named(submission: &str) -> Record {
        Record {
            submission: submission.to_string(),
            lab: "week01".into(),
            content_hash: String::new(),
            seed: None,
            duration_ms: 0,
            cpu_ms: None,
            score: 0.0,
            max_score: 1.0,
            not_graded: Some("no netlab.toml".into()),
            check_ids: vec!["server-ack".into()],
            checks: Vec::new(),
        }
    }

    /// A member whose programs used far more CPU than the class's is named
    /// in summary.md, with the class's median (hostile round 70); a class
    /// of ordinary programs, or one nothing measured, has no such part.
    #[test]
    fn a_member_that_spins_is_named_as_the_heaviest() {
        // A record of `n` checks that used `cpu` between them.
        let in_checks = |n: u64, name: &str, cpu: Option<u64>| Record {
            cpu_ms: cpu,
            not_graded: None,
            checks: (0..n)
                .map(|i| super::super::record::RecordCheck {
                    id: format!("check-{i}"),
                    role: "server".into(),
                    title: String::new(),
                    passed: Some(true),
                    diagnosis: None,
                    skipped: None,
                    score: 1.0,
                    max_score: 1.0,
                    hidden: false,
                    follows_from: None,
                    cpu_ms: cpu.map(|ms| ms / n + u64::from(i < ms % n)),
                })
                .collect(),
            ..named(name)
        };
        let with_cpu = |name: &str, cpu: Option<u64>| in_checks(54, name, cpu);
        let class = [
            with_cpu("ann", Some(2_000)),
            with_cpu("bob", Some(9_500)),
            with_cpu("cat", Some(2_500)),
            with_cpu("spinner", Some(61_200)),
        ];
        let (median, list) = heavy(&class).expect("one is heavy");
        assert_eq!(median, 2_500);
        let names: Vec<&str> = list.iter().map(|(r, _)| r.submission.as_str()).collect();
        assert_eq!(names, ["spinner"]);
        let md = summary("week01", &class, 0);
        assert!(md.contains("## Heaviest on the machine"), "{md}");
        assert!(md.contains("| spinner | 61.2 s |"), "{md}");
        assert!(md.contains("the median: 2.5 s"), "{md}");
        // Two spinners in a class of four are both named.
        let two = [
            with_cpu("ann", Some(1_070)),
            with_cpu("bob", Some(1_070)),
            with_cpu("sp1", Some(61_200)),
            with_cpu("sp2", Some(61_200)),
        ];
        assert_eq!(heavy(&two).map(|(_, l)| l.len()), Some(2));
        let ordinary = [with_cpu("ann", Some(2_000)), with_cpu("bob", Some(9_500))];
        assert!(heavy(&ordinary).is_none());
        assert!(!summary("week01", &ordinary, 0).contains("Heaviest"));
        let unmeasured = [with_cpu("ann", None), with_cpu("bob", None)];
        assert!(heavy(&unmeasured).is_none());
        // An `--only` run of three checks: the floor is per check, so the
        // spinner is named there too, and a slow start alone is not.
        let few = [
            in_checks(3, "ann", Some(150)),
            in_checks(3, "bob", Some(540)),
            in_checks(3, "cat", Some(160)),
            in_checks(3, "spinner", Some(2_600)),
        ];
        let names: Vec<&str> = heavy(&few)
            .map(|(_, l)| l.iter().map(|(r, _)| r.submission.as_str()).collect())
            .unwrap_or_default();
        assert_eq!(names, ["spinner"]);
        // One check that starts its program several times: correct
        // members at 0.4 s, classmates failing it early at 0.05 s, and
        // no one named (hostile round 81).
        let one = [
            in_checks(1, "ann", Some(420)),
            in_checks(1, "bob", Some(310)),
            in_checks(1, "cat", Some(40)),
            in_checks(1, "dan", Some(50)),
            in_checks(1, "eve", Some(30)),
        ];
        assert!(heavy(&one).is_none());
    }

    /// Blind round 35: a failure the student's report folds under another
    /// check's finding counts as that finding in the class's mistakes and
    /// the gradebook's diagnoses, as the student reads it.
    #[test]
    fn a_folded_failure_counts_as_the_finding_it_follows_from() {
        let record: Record = serde_json::from_value(serde_json::json!({
            "submission": "bob",
            "lab": "week01",
            "content_hash": "",
            "duration_ms": 0,
            "score": 0.0,
            "max_score": 2.0,
            "check_ids": ["server-blank", "server-trim", "server-ack"],
            "checks": [
                {"id": "server-blank", "role": "server", "title": "t", "passed": false,
                 "diagnosis": "blank-message"},
                {"id": "server-trim", "role": "server", "title": "t", "passed": false,
                 "diagnosis": "wrong-reply", "follows_from": "server-blank"},
                {"id": "server-ack", "role": "server", "title": "t", "passed": false,
                 "diagnosis": "no-close"},
            ],
        }))
        .unwrap();
        assert_eq!(record.diagnoses(), ["blank-message", "no-close"]);
        let book = csv(std::slice::from_ref(&record));
        let row = book.lines().nth(1).unwrap_or_default();
        assert!(
            row.ends_with(",fail:blank-message,fail:blank-message,fail:no-close"),
            "{book}"
        );
        let (list, _) = mistakes(std::slice::from_ref(&record));
        let codes: Vec<&str> = list.iter().map(|m| m.code.as_str()).collect();
        assert_eq!(codes, ["blank-message", "no-close"]);
        assert_eq!(
            list[0].checks,
            [
                ("server-blank".to_string(), 1),
                ("server-trim".to_string(), 1)
            ]
        );
        assert_eq!(where_shown(&list[0]), "server-blank (1), server-trim (1)");
    }

    /// Blind round 40: a correct submission of one program alone scores
    /// low; the summary says how many handed in only some programs.
    #[test]
    fn the_summary_tells_submissions_with_programs_missing() {
        let record = |name: &str, skipped: Option<&str>| -> Record {
            serde_json::from_value(serde_json::json!({
                "submission": name, "lab": "week01", "content_hash": "",
                "duration_ms": 0, "score": 1.0, "max_score": 2.0,
                "check_ids": ["server-ack", "client-ack"],
                "checks": [
                    {"id": "server-ack", "role": "server", "title": "t", "passed": true},
                    {"id": "client-ack", "role": "client", "title": "t",
                     "passed": skipped.is_none().then_some(false), "skipped": skipped},
                ],
            }))
            .unwrap()
        };
        let records = [
            record("ann", Some("no command for the client role")),
            record("bob", None),
            record("cat", Some("needs Unix signals")),
        ];
        assert_eq!(partial(&records), 1);
        let md = summary("week01", &records, 0);
        assert!(
            md.contains("1 of them handed in only some of the programs"),
            "{md}"
        );
        assert!(!summary("week01", &records[1..], 0).contains("only some"));
    }

    /// Hostile round 6: folder names as formulas and terminal escapes.
    #[test]
    fn a_name_cannot_be_a_formula_or_act_on_a_terminal() {
        let names = [
            "=HYPERLINK(\"http://example.invalid\",\"x\")",
            "+1+1",
            "-2+3",
            "@SUM(1+9)",
            "eve\u{1b}]52;c;cHduZWQ=\u{7}\nforged,39,0",
        ];
        let records: Vec<Record> = names.iter().map(|n| named(n)).collect();
        let book = csv(&records);
        for line in book.lines().skip(1) {
            let first = line.trim_start_matches('"');
            assert!(!first.starts_with(['=', '+', '-', '@']), "{line}");
        }
        assert!(
            !book.contains('\u{1b}') && !book.contains('\u{7}'),
            "{book}"
        );
        assert_eq!(
            book.lines().count(),
            1 + names.len(),
            "one line per row:\n{book}"
        );
        assert!(book.contains("'=HYPERLINK"), "{book}");
    }
}
