//! `index.html`: the class summary as one self-contained page. No server,
//! no network, no script: inline CSS and SVG only, so it opens from disk
//! (file://) or from a CI artifact. A bar chart of the most common mistakes,
//! the score distribution, and one row per submission linking to its report
//! files (relative links) and to its section further down the page.

use super::gradebook::{
    distribution, fmt_cpu, heavy, judged, mistake_line, mistakes, partial, stats, where_shown,
};
use super::record::{fmt_points, Record};

/// How many mistakes the chart shows.
const CHART_BARS: usize = 10;

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A folder name as a relative URL path segment.
pub fn url_segment(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#222}\
h1{margin-bottom:.2em}table{border-collapse:collapse;width:100%;margin:1em 0}\
th,td{border-bottom:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}\
th{background:#f4f4f4}td.num{text-align:right}.ok{color:#17803d}.bad{color:#b42318}.muted{color:#777}\
svg text{font-size:13px;fill:#222}rect.bar{fill:#d9534f}rect.dist{fill:#4a7ebb}\
section.sub{border-top:2px solid #eee;margin-top:1.5em}code{background:#f4f4f4;padding:0 .2em}";

/// index.html for `records` of `lab`.
pub fn page(lab: &str, records: &[Record], pending: usize) -> String {
    let total = records.len();
    let (list, grader) = mistakes(records);
    let mut h = String::new();
    h.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>{lab}: class results</title><style>{CSS}</style></head><body>\n",
        lab = escape(lab)
    ));
    h.push_str(&format!("<h1>{}: class results</h1>\n", escape(lab)));
    let graded = records.iter().filter(|r| r.not_graded.is_none()).count();
    let mut line = format!("{total} submissions, {graded} graded");
    if let Some((mean, median, _, _)) = stats(records) {
        let max = records.iter().map(|r| r.max_score).fold(0.0, f64::max);
        line.push_str(&format!(
            "; mean score {mean:.1} / {}, median {}",
            fmt_points(max),
            fmt_points(median)
        ));
    }
    let partial = partial(records);
    if partial > 0 {
        line.push_str(&format!(
            "; {partial} handed in only some of the programs (the others' checks skipped, scoring nothing)"
        ));
    }
    h.push_str(&format!("<p id=\"totals\">{}.</p>\n", escape(&line)));
    if pending > 0 {
        h.push_str(&format!(
            "<p id=\"pending\"><strong>Not finished: {pending} of {} submissions are still to grade</strong> (the run is in progress, or was cut short: the same command, without --force, grades the rest).</p>\n",
            total + pending
        ));
    }

    // The chart of the most common mistakes: one bar per diagnosis.
    h.push_str("<h2>Most common mistakes</h2>\n");
    if list.is_empty() {
        h.push_str("<p id=\"no-mistakes\">No mistakes: every graded check passed.</p>\n");
    } else {
        let shown = &list[..list.len().min(CHART_BARS)];
        let row = 28;
        let label_w = 560;
        let bar_w = 300.0;
        let height = shown.len() * row + 10;
        h.push_str(&format!(
            "<svg id=\"mistakes-chart\" role=\"img\" aria-label=\"most common mistakes\" \
             width=\"{}\" height=\"{height}\" viewBox=\"0 0 {} {height}\">\n",
            label_w + 360,
            label_w + 360
        ));
        for (i, m) in shown.iter().enumerate() {
            let y = i * row + 5;
            let w = if total > 0 {
                bar_w * m.submissions.len() as f64 / total as f64
            } else {
                0.0
            };
            h.push_str(&format!(
                "<text x=\"0\" y=\"{}\">{}</text><rect class=\"bar\" x=\"{label_w}\" y=\"{y}\" \
                 width=\"{:.1}\" height=\"{}\"><title>{}</title></rect>\
                 <text x=\"{:.1}\" y=\"{}\">{} of {}</text>\n",
                y + 17,
                escape(&truncate(&format!("{} — {}", m.code, m.title), 80)),
                w.max(2.0),
                row - 8,
                escape(&mistake_line(m, records)),
                label_w as f64 + w.max(2.0) + 6.0,
                y + 17,
                m.submissions.len(),
                judged(m, records)
            ));
        }
        h.push_str("</svg>\n<ol id=\"mistakes\">\n");
        for m in &list {
            h.push_str(&format!(
                "<li><b>{}</b> (<code>{}</code>; checks: {})<br><span class=\"muted\">Teach again: {}</span></li>\n",
                escape(&mistake_line(m, records)),
                escape(&m.code),
                escape(&where_shown(m)),
                escape(&m.hint)
            ));
        }
        h.push_str("</ol>\n");
    }
    if let Some(g) = grader {
        h.push_str(&format!(
            "<p class=\"bad\">{} submission(s) hit a grader error: netlab's fault, not the students' (please report).</p>\n",
            g.submissions.len()
        ));
    }

    if let Some((median, list)) = heavy(records) {
        h.push_str(&format!(
            "<h2>Heaviest on the machine</h2>\n<p>The programs of these submissions used far more CPU than the class's (the median: {} a submission, all checks together). A busy loop, or children left spinning, slows every grading beside them; the verdicts hold, but look at what the programs do.</p>\n<table id=\"heavy\"><thead><tr><th>submission</th><th>CPU of its programs</th></tr></thead><tbody>\n",
            fmt_cpu(median)
        ));
        for (r, ms) in list {
            h.push_str(&format!(
                "<tr><td>{}</td><td class=\"num\">{}</td></tr>\n",
                escape(&crate::grade::printable_name(&r.submission)),
                fmt_cpu(ms)
            ));
        }
        h.push_str("</tbody></table>\n");
    }

    // Score distribution.
    h.push_str("<h2>Score distribution</h2>\n");
    let dist = distribution(records);
    let most = dist.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let height = dist.len() * 22 + 6;
    h.push_str(&format!(
        "<svg id=\"score-chart\" width=\"520\" height=\"{height}\" viewBox=\"0 0 520 {height}\">\n"
    ));
    for (i, (label, n)) in dist.iter().enumerate() {
        let y = i * 22 + 3;
        let w = 360.0 * *n as f64 / most as f64;
        h.push_str(&format!(
            "<text x=\"0\" y=\"{}\">{}</text><rect class=\"dist\" x=\"90\" y=\"{y}\" width=\"{w:.1}\" height=\"16\"></rect>\
             <text x=\"{:.1}\" y=\"{}\">{n}</text>\n",
            y + 13,
            escape(label),
            90.0 + w + 6.0,
            y + 13
        ));
    }
    h.push_str("</svg>\n");

    // The gradebook, one row per submission.
    h.push_str(
        "<h2>Submissions</h2>\n<table id=\"submissions\"><thead><tr><th>submission</th>\
         <th>score</th><th>passed</th><th>failed</th><th>skipped</th><th>mistakes</th><th>reports</th></tr></thead><tbody>\n",
    );
    for (i, r) in records.iter().enumerate() {
        let (passed, failed, skipped) = r.counts();
        // Red only where something failed; skipped checks (a program not
        // handed in) in their own column, as gradebook.csv has them (a
        // new instructor's round: 43 / 54 with 0 failed read as nothing).
        let failed_class = if failed > 0 { "num bad" } else { "num" };
        let seg = url_segment(&r.submission);
        let mistakes = match &r.not_graded {
            Some(why) => format!("<span class=\"bad\">not graded: {}</span>", escape(why)),
            None => r
                .diagnoses()
                .iter()
                .map(|c| format!("<code>{}</code>", escape(c)))
                .collect::<Vec<_>>()
                .join(" "),
        };
        h.push_str(&format!(
            "<tr><td><a href=\"#sub-{i}\">{}</a></td><td class=\"num\">{} / {}</td>\
             <td class=\"num ok\">{passed}</td><td class=\"{failed_class}\">{failed}</td>\
             <td class=\"num\">{skipped}</td><td>{mistakes}</td>\
             <td><a class=\"report\" href=\"{seg}/report.txt\">text</a> · \
             <a class=\"report\" href=\"{seg}/report.json\">json</a> · \
             <a class=\"report\" href=\"{seg}/results.json\">gradescope</a></td></tr>\n",
            escape(&crate::grade::printable_name(&r.submission)),
            fmt_points(r.score),
            fmt_points(r.max_score),
        ));
    }
    h.push_str("</tbody></table>\n");

    // One section per submission: every check, failures with their hint.
    for (i, r) in records.iter().enumerate() {
        h.push_str(&format!(
            "<section class=\"sub\" id=\"sub-{i}\"><h3>{}: {} / {}</h3>\n",
            escape(&crate::grade::printable_name(&r.submission)),
            fmt_points(r.score),
            fmt_points(r.max_score)
        ));
        if let Some(why) = &r.not_graded {
            h.push_str(&format!(
                "<p class=\"bad\">Not graded: {}</p>\n",
                escape(why)
            ));
        }
        if !r.checks.is_empty() {
            h.push_str("<table><tbody>\n");
            for c in &r.checks {
                let (mark, class) = match c.passed {
                    Some(true) => ("✔", "ok"),
                    Some(false) => ("✘", "bad"),
                    None => ("–", "muted"),
                };
                let what = match (&c.diagnosis, &c.skipped) {
                    (Some(code), _) => format!("<code>{}</code>", escape(code)),
                    (None, Some(why)) => {
                        format!("<span class=\"muted\">skipped: {}</span>", escape(why))
                    }
                    _ => String::new(),
                };
                h.push_str(&format!(
                    "<tr><td class=\"{class}\">{mark}</td><td><code>{}</code>{}</td><td>{}</td><td>{what}</td><td class=\"num\">{} / {}</td></tr>\n",
                    escape(&c.id),
                    if c.hidden { " <span class=\"muted\">(hidden)</span>" } else { "" },
                    escape(&c.title),
                    fmt_points(c.score),
                    fmt_points(c.max_score)
                ));
            }
            h.push_str("</tbody></table>\n");
        }
        h.push_str(&format!(
            "<p><a class=\"report\" href=\"{}/report.txt\">full report</a> · <a href=\"#submissions\">back to the table</a></p></section>\n",
            url_segment(&r.submission)
        ));
    }
    h.push_str("</body></html>\n");
    h
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max - 1).collect();
        format!("{cut}…")
    }
}
