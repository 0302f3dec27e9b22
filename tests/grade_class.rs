//! Class grading (`netlab grade LAB --class DIR --out OUT`, `netlab merge`)
//! as an instructor runs it, on a small class built in a temporary folder
//! from the project's own fixtures: the Python submission and its mistake
//! files, the reference binaries and `examples/week01_mistakes` as compiled
//! submissions (netlab.toml commands with absolute paths), a folder with no
//! netlab.toml, and a hanging one. Also the platform entry points in dist/
//! (Gradescope bundle in a simulated /autograder, PrairieLearn, Classroom
//! 50), the CI workflow template against GitHub's schema, and index.html in
//! a real headless Chromium.
//!
//! Needs python3; in CI (.ci/run) also chromium and check-jsonschema, whose
//! absence is a failure there and a skip elsewhere.

mod support;

use std::path::{Path, PathBuf};

use std::process::Command;
use std::time::Duration;
use support::copy_dir;

use netlab::grade::Diagnosis;

/// The checks the tests grade (few, to stay fast).
const CHECKS: [&str; 3] = ["server-ack", "server-empty-recv", "server-restart"];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn netlab_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_netlab"))
}

/// The folder of the reference and mistake builds the class's netlab.toml
/// files name: outside every submission folder, so each netlab run here
/// trusts it (`NETLAB_TRUST`), as an instructor would a course's tools.
fn builds() -> PathBuf {
    netlab_bin().parent().expect("target/debug").to_path_buf()
}

/// target/debug/examples/week01_mistakes (cargo test builds examples).
fn mistakes_program() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let debug = exe.parent().and_then(|d| d.parent()).expect("target/debug");
    let program = debug
        .join("examples")
        .join(format!("week01_mistakes{}", std::env::consts::EXE_SUFFIX));
    assert!(
        program.exists(),
        "{} is missing: cargo test builds it",
        program.display()
    );
    program
}

/// Whether `tool` runs; in CI its absence fails the test.
fn tool_available(tool: &str, arg: &str, why: &str) -> bool {
    let found = Command::new(tool)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{tool} is required in CI ({why}; .ci/run installs it)"
        );
        eprintln!("skipped: {tool} is not installed ({why})");
    }
    found
}

fn python_available() -> bool {
    tool_available("python3", "--version", "Python submissions")
}

fn manifest(dir: &Path, server: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("netlab.toml"),
        format!("lab = \"week01\"\n\n[commands]\nserver = \"{server}\"\n"),
    )
    .unwrap();
}

/// The class: name → what it is.
fn build_class(dir: &Path, with_hang: bool) {
    let subs = repo().join("tests").join("submissions");
    let mistakes = mistakes_program();
    let mistakes = mistakes.display();
    copy_dir(&subs.join("week01-python"), &dir.join("py-good"));
    let py_mistake = dir.join("py-empty-recv");
    std::fs::create_dir_all(&py_mistake).unwrap();
    std::fs::copy(
        subs.join("week01-python-mistakes")
            .join("server_no_empty_check.py"),
        py_mistake.join("server_no_empty_check.py"),
    )
    .unwrap();
    manifest(&py_mistake, "python3 server_no_empty_check.py");
    manifest(
        &dir.join("rs-reference"),
        &netlab_bin().with_file_name("server").display().to_string(),
    );
    manifest(
        &dir.join("rs-empty-recv"),
        &format!("{mistakes} server --mistake empty-recv"),
    );
    manifest(
        &dir.join("rs-no-reuseaddr"),
        &format!("{mistakes} server --mistake no-reuseaddr"),
    );
    std::fs::create_dir_all(dir.join("no-manifest")).unwrap();
    std::fs::write(dir.join("no-manifest").join("server.py"), "print('hi')\n").unwrap();
    if with_hang {
        // Never announces a port: every check runs into its own deadline.
        manifest(&dir.join("hang"), "sleep 1000");
    }
}

struct Run {
    status: i32,
    stderr: String,
}

#[track_caller]
fn netlab(args: &[&str], dir: &Path) -> Run {
    let output = assert_cmd::Command::new(netlab_bin())
        .env("NETLAB_TRUST", builds())
        .args(args)
        .current_dir(dir)
        .timeout(Duration::from_secs(300))
        .output()
        .expect("netlab runs");
    let run = Run {
        status: output.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert_eq!(run.status, 0, "netlab {args:?} failed:\n{}", run.stderr);
    run
}

fn grade_args<'a>(out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "grade", "week01", "--class", "class", "--out", out, "--seed", "7", "--jobs", "4",
    ];
    for id in CHECKS {
        args.extend(["--check", id]);
    }
    args.extend_from_slice(extra);
    args
}

fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path.as_ref())
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.as_ref().display()))
}

fn json(path: impl AsRef<Path>) -> serde_json::Value {
    serde_json::from_str(&read(path)).expect("valid JSON")
}

/// gradebook.csv as rows of cells, keyed by submission.
fn gradebook(out: &Path) -> Vec<Vec<String>> {
    read(out.join("gradebook.csv"))
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

fn row<'a>(book: &'a [Vec<String>], name: &str) -> &'a [String] {
    book.iter()
        .find(|r| r[0] == name)
        .unwrap_or_else(|| panic!("no row for {name} in {book:?}"))
}

const POINTS: &str =
    "hidden = [\"server-restart\"]\n[roles]\nserver = 2\n[checks]\nserver-empty-recv = 3\n";

#[test]
fn a_class_is_graded_into_a_gradebook_a_summary_a_page_and_platform_files() {
    if !python_available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    build_class(&root.join("class"), true);
    std::fs::write(root.join("points.toml"), POINTS).unwrap();
    let first = netlab(&grade_args("out", &["--points", "points.toml"]), root);
    assert!(
        first.stderr.contains("graded 7 submissions, 0 unchanged"),
        "{}",
        first.stderr
    );
    let out = root.join("out");

    // run.json: what the run cost. As root, the sandbox's cgroups counted
    // the programs' CPU time and netlab's helpers' apart.
    let run = json(out.join("run.json"));
    assert_eq!(run["submissions"], 7, "{run}");
    assert!(run["cpu_self_ms"].as_u64().is_some(), "{run}");
    #[cfg(target_os = "linux")]
    if std::os::unix::fs::MetadataExt::uid(&std::fs::metadata("/proc/self").unwrap()) == 0
        && Path::new("/sys/fs/cgroup/cpuacct/netlab").is_dir()
        && std::env::var_os("NETLAB_SANDBOX").is_none()
    {
        assert!(
            run["cpu_programs_ms"].as_u64().is_some_and(|ms| ms > 0),
            "{run}"
        );
        assert!(run["cpu_helpers_ms"].as_u64().is_some(), "{run}");
    }

    // gradebook.csv: fixed columns, then one per check; one row per folder.
    let book = gradebook(&out);
    let header: Vec<&str> = book[0].iter().map(String::as_str).collect();
    assert_eq!(
        header,
        [
            "submission",
            "passed",
            "failed",
            "skipped",
            "score",
            "max_score",
            "diagnoses",
            CHECKS[0],
            CHECKS[1],
            CHECKS[2]
        ]
    );
    assert_eq!(book.len(), 8, "{book:?}");
    // Points: server role 2, server-empty-recv 3 (the check wins), 7 in all;
    // the hidden check still counts.
    assert_eq!(
        row(&book, "py-good")[1..],
        ["3", "0", "0", "7", "7", "", "pass", "pass", "pass"]
    );
    assert_eq!(
        row(&book, "rs-reference")[1..],
        ["3", "0", "0", "7", "7", "", "pass", "pass", "pass"]
    );
    assert_eq!(
        row(&book, "py-empty-recv")[1..],
        [
            "2",
            "1",
            "0",
            "4",
            "7",
            "empty-recv",
            "pass",
            "fail:empty-recv",
            "pass"
        ]
    );
    assert_eq!(
        row(&book, "rs-empty-recv")[1..],
        [
            "2",
            "1",
            "0",
            "4",
            "7",
            "empty-recv",
            "pass",
            "fail:empty-recv",
            "pass"
        ]
    );
    assert_eq!(
        row(&book, "rs-no-reuseaddr")[1..],
        [
            "2",
            "1",
            "0",
            "5",
            "7",
            "no-reuseaddr",
            "pass",
            "pass",
            "fail:no-reuseaddr"
        ]
    );
    let hang = row(&book, "hang");
    assert_eq!(hang[1..6], ["0", "3", "0", "0", "7"], "{hang:?}");
    let none = row(&book, "no-manifest");
    assert_eq!(none[1..6], ["0", "0", "0", "0", "7"], "{none:?}");
    assert!(
        none[6].starts_with("not graded: cannot read netlab.toml"),
        "{none:?}"
    );

    // summary.md: the mistake two submissions made comes first, with its
    // hint and who made it; out of the 6 whose server was graded (not the
    // one without a netlab.toml).
    let summary = read(out.join("summary.md"));
    let first_mistake = format!("1. **2 of 6: {}**", Diagnosis::EmptyRecv.title());
    assert!(summary.contains(&first_mistake), "{summary}");
    assert!(summary.contains(Diagnosis::EmptyRecv.hint()), "{summary}");
    assert!(
        summary.contains("Who: py-empty-recv, rs-empty-recv"),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("1 of 6: {}", Diagnosis::NoReuseaddr.title())),
        "{summary}"
    );
    assert!(summary.contains("| 100% | 2 |"), "{summary}");
    assert!(
        summary.contains("- no-manifest: cannot read netlab.toml"),
        "{summary}"
    );

    // Per submission: the reports and the platform files.
    let sub = out.join("py-empty-recv");
    let report = json(sub.join("report.json"));
    assert!(report["duration_ms"].as_u64().is_some(), "{report}");
    // The programs' CPU, for summary.md's heaviest: the sum of the
    // checks' where the sandbox measured it (cgroups), null where not.
    let checks_cpu: Vec<u64> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["cpu_ms"].as_u64())
        .collect();
    match report["cpu_ms"].as_u64() {
        Some(cpu) => assert_eq!(cpu, checks_cpu.iter().sum::<u64>(), "{report}"),
        None => assert!(
            report["cpu_ms"].is_null() && checks_cpu.is_empty(),
            "{report}"
        ),
    }
    assert_eq!(report["score"], 4.0);
    assert!(read(sub.join("report.xml")).contains("<testsuites"));
    let text = read(sub.join("report.txt"));
    assert!(
        text.contains("server-empty-recv") && text.contains("empty-recv"),
        "{text}"
    );
    assert!(
        !text.contains("server-restart"),
        "a hidden check is in the student's report:\n{text}"
    );
    assert!(text.contains("1 more check(s) are hidden"), "{text}");
    // Its score leaves the hidden check's points out (2 of 5 shown; the
    // grade, 4 of 7, would tell how the hidden check went).
    assert!(text.contains("score: 2 / 5\n"), "{text}");

    let gradescope = json(sub.join("results.json"));
    assert_eq!(gradescope["score"], 4.0);
    assert_eq!(gradescope["max_score"], 7.0);
    assert_eq!(gradescope["output_format"], "text");
    // An overview above the tests, hidden checks not counted.
    let overview = gradescope["output"].as_str().unwrap_or_default();
    assert!(overview.ends_with("checks passed, 1 failed."), "{overview}");
    let tests = gradescope["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 3);
    for t in tests {
        for key in [
            "name",
            "score",
            "max_score",
            "status",
            "output",
            "visibility",
        ] {
            assert!(t.get(key).is_some(), "{key} missing in {t}");
        }
    }
    let restart = tests
        .iter()
        .find(|t| t["name"].as_str().unwrap().starts_with("server-restart"))
        .unwrap();
    assert_eq!(restart["visibility"], "after_published");
    let empty = tests
        .iter()
        .find(|t| t["name"].as_str().unwrap().starts_with("server-empty-recv"))
        .unwrap();
    assert_eq!(
        (
            empty["status"].as_str(),
            empty["score"].as_f64(),
            empty["max_score"].as_f64()
        ),
        (Some("failed"), Some(0.0), Some(3.0))
    );
    assert!(empty["output"].as_str().unwrap().contains("empty-recv"));

    let pl = json(sub.join("prairielearn.json"));
    assert_eq!(pl["gradable"], true);
    assert!(
        (pl["score"].as_f64().unwrap() - 4.0 / 7.0).abs() < 1e-9,
        "{pl}"
    );
    let pl_tests = pl["tests"].as_array().unwrap();
    assert_eq!(pl_tests.len(), 2, "hidden check listed: {pl}");
    for t in pl_tests {
        for key in ["name", "points", "max_points", "message", "output"] {
            assert!(t.get(key).is_some(), "{key} missing in {t}");
        }
    }

    let c50 = json(sub.join("result.json"));
    assert_eq!(c50["schema"], "classroom50/result/v1");
    assert_eq!(
        (c50["score"].as_f64(), c50["max-score"].as_f64()),
        (Some(4.0), Some(7.0))
    );
    let c50_tests = c50["tests"].as_array().unwrap();
    assert_eq!(c50_tests.len(), 2);
    assert!(c50_tests.iter().any(|t| t["passed"] == false
        && t["test-name"]
            .as_str()
            .unwrap()
            .starts_with("server-empty-recv")));
    let body = read(sub.join("release-body.md"));
    assert!(
        body.contains("# week01: 2 / 5 points") && body.contains(Diagnosis::EmptyRecv.hint()),
        "{body}"
    );
    assert!(!body.contains("server-restart"), "{body}");

    let not_graded = json(out.join("no-manifest").join("prairielearn.json"));
    assert_eq!(not_graded["gradable"], false);
    // Its text report says the hidden checks are there, as a graded one's
    // does, without naming them.
    let text = read(out.join("no-manifest").join("report.txt"));
    assert!(
        text.contains("not graded") && text.contains("1 more check(s) are hidden"),
        "{text}"
    );
    assert!(!text.contains("server-restart"), "{text}");
    let body = read(out.join("no-manifest").join("release-body.md"));
    let visible_max = text
        .lines()
        .find_map(|l| l.strip_prefix("score: 0 / "))
        .unwrap_or("?");
    assert!(
        body.contains(&format!("Score: 0 / {visible_max}\n"))
            && body.contains("1 more check(s) are hidden"),
        "{body}"
    );

    // index.html in a real browser.
    browser_check(&out, 3);

    // Re-run: nothing changed, nothing graded (Python's __pycache__ aside).
    let again = netlab(&grade_args("out", &["--points", "points.toml"]), root);
    assert!(
        again.stderr.contains("graded 0 submissions, 7 unchanged"),
        "{}",
        again.stderr
    );
    assert_eq!(gradebook(&out), book);
    // One submission changes: only it is graded.
    let server = root.join("class").join("py-good").join("server.py");
    let mut code = read(&server);
    code.push_str("\n# resubmitted\n");
    std::fs::write(&server, code).unwrap();
    let changed = netlab(&grade_args("out", &["--points", "points.toml"]), root);
    assert!(
        changed.stderr.contains("graded 1 submission, 6 unchanged"),
        "{}",
        changed.stderr
    );
    // --force grades everything again.
    let forced = netlab(
        &grade_args("out", &["--points", "points.toml", "--force"]),
        root,
    );
    assert!(
        forced.stderr.contains("graded 7 submissions, 0 unchanged"),
        "{}",
        forced.stderr
    );
    assert_eq!(gradebook(&out), book);
}

/// Whether the tests run as root (class records graded in place are kept
/// only without root).
fn is_root() -> bool {
    #[cfg(unix)]
    // SAFETY: geteuid has no arguments and cannot fail.
    return unsafe { nix::libc::geteuid() } == 0;
    #[cfg(not(unix))]
    return false;
}

/// `netlab merge ARGS` run in `dir`, bounded, its output kept.
/// A re-run keeps the records of a class where one folder is too big for
/// a private copy and runs in place (a note of the sandbox's about it):
/// the notes were part of the records' cache key, which then changed
/// while the class was graded, and every later record lost its hash
/// (found by hostile round 33). The folder run in place itself is graded
/// again at every run as root: with no snapshot, nothing proves what ran
/// was what was hashed (hostile round 34 kept a broken server's pass by
/// swapping the folder whole, or writing through a shared mapping).
#[test]
fn a_class_with_a_folder_run_in_place_keeps_its_classmates_records() {
    if !python_available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let subs = repo().join("tests").join("submissions");
    let big = root.join("class").join("big");
    copy_dir(&subs.join("week01-python"), &big);
    std::fs::create_dir_all(big.join("data")).unwrap();
    for i in 0..4_001 {
        std::fs::write(big.join("data").join(format!("f{i}")), "x").unwrap();
    }
    copy_dir(
        &subs.join("week01-python"),
        &root.join("class").join("small"),
    );
    let first = netlab(&grade_args("out", &[]), root);
    assert!(
        first.stderr.contains("graded 2 submissions"),
        "{}",
        first.stderr
    );
    let again = netlab(&grade_args("out", &[]), root);
    let expected = if is_root() {
        "graded 1 submission, 1 unchanged"
    } else {
        "graded 0 submissions, 2 unchanged"
    };
    assert!(again.stderr.contains(expected), "{}", again.stderr);
}

fn merge_in(dir: &Path, args: &[&str]) -> std::process::Output {
    assert_cmd::Command::new(netlab_bin())
        .env("NETLAB_TRUST", builds())
        .arg("merge")
        .args(args)
        .current_dir(dir)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap()
}

/// `from`'s files and folders, all the way down, copied to `to`.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        } else if kind.is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// `text` (summary.md or index.html) without its "Heaviest on the
/// machine" part: CPU times differ from one run to the next (the
/// mistake catalogue's empty-recv server spins), and so may who is named.
fn without_heaviest(text: &str) -> String {
    // From `start` to `end`, the last `kept` bytes of `end` left in place.
    let cut = |text: &str, start: &str, end: &str, kept: usize| -> String {
        match text.find(start) {
            Some(at) => {
                let rest = &text[at..];
                let stop = rest.find(end).map_or(rest.len(), |e| e + end.len() - kept);
                format!("{}{}", &text[..at], &rest[stop..])
            }
            None => text.to_string(),
        }
    };
    // (The next part's `\n## ` stays.)
    let text = cut(text, "\n## Heaviest on the machine\n", "\n\n## ", 4);
    cut(
        &text,
        "<h2>Heaviest on the machine</h2>",
        "</tbody></table>\n",
        0,
    )
}

#[test]
fn shards_merged_equal_the_unsharded_run() {
    if !python_available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    build_class(&root.join("class"), false);
    netlab(&grade_args("all", &[]), root);
    netlab(&grade_args("s1", &["--shard", "1/2"]), root);
    netlab(&grade_args("s2", &["--shard", "2/2"]), root);
    let (s1, s2) = (gradebook(&root.join("s1")), gradebook(&root.join("s2")));
    assert!(
        s1.len() > 1 && s2.len() > 1,
        "a shard is empty: {s1:?} {s2:?}"
    );
    assert_eq!(
        s1.len() + s2.len() - 2,
        6,
        "shards overlap or miss: {s1:?} {s2:?}"
    );
    netlab(&["merge", "s1", "s2", "--out", "merged"], root);
    for file in ["gradebook.csv", "summary.md", "index.html"] {
        assert_eq!(
            without_heaviest(&read(root.join("merged").join(file))),
            without_heaviest(&read(root.join("all").join(file))),
            "{file} of the merged shards differs from the unsharded run"
        );
    }
    assert!(root
        .join("merged")
        .join("py-good")
        .join("results.json")
        .is_file());
    let merge = |args: &[&str]| merge_in(root, args);
    // A merge refused with exit 2, saying `says`.
    let refused = |args: &[&str], says: &str| {
        let out = merge(args);
        let said = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{said}");
        assert!(said.contains(says), "{said}");
    };
    // An --out that holds something is refused (hostile round 70: an
    // earlier run's folders, or anyone's files, stayed beside the merge).
    std::fs::create_dir_all(root.join("busy")).unwrap();
    std::fs::write(root.join("busy").join("notes.txt"), "mine").unwrap();
    refused(&["s1", "s2", "--out", "busy"], "is not empty");
    // A folder that is no class run's output is refused.
    std::fs::create_dir_all(root.join("nothing")).unwrap();
    refused(
        &["s1", "nothing", "--out", "m2"],
        "is not the output of a class run",
    );
    // Every shard of the class, once each (a new instructor's round: one
    // shard alone, or one twice, made a gradebook of part of the class).
    refused(&["s1", "--out", "m1"], "shard 2/2 of the class is missing");
    refused(&["s1", "s1", "--out", "m1"], "shard 1/2 is given twice");
    refused(&["s1", "all", "--out", "m1"], "is no shard");
    assert!(!root.join("m1").exists(), "a refused merge made its --out");
    // A shard changed after its run (hostile round 75): each a student
    // missing, or a student twice, in a merge that said nothing.
    let variant = |name: &str, change: &dyn Fn(&Path)| {
        let dir = root.join(name);
        copy_tree(&root.join("s2"), &dir);
        change(&dir);
        name.to_string()
    };
    let member = |dir: &Path| -> PathBuf {
        std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.join("report.json").is_file())
            .expect("a member")
    };
    let run_json = |dir: &Path, key: &str, value: serde_json::Value| {
        let path = dir.join("run.json");
        let mut run: serde_json::Value = serde_json::from_str(&read(&path)).unwrap();
        run[key] = value;
        std::fs::write(&path, run.to_string()).unwrap();
    };
    let cut = variant("v-cut", &|d| {
        std::fs::write(member(d).join("report.json"), "{\"submission\": ").unwrap()
    });
    refused(&["s1", &cut, "--out", "m1"], "has no readable report.json");
    let gone = variant("v-gone", &|d| std::fs::remove_dir_all(member(d)).unwrap());
    refused(&["s1", &gone, "--out", "m1"], "a shard is incomplete");
    let unfinished = variant("v-unfinished", &|d| run_json(d, "finished", false.into()));
    refused(&["s1", &unfinished, "--out", "m1"], "did not finish");
    let other = variant("v-other", &|d| run_json(d, "class_id", "0123".into()));
    refused(
        &["s1", &other, "--out", "m1"],
        "shards of different classes",
    );
    let stray = variant("v-stray", &|d| {
        let from = member(&root.join("s1"));
        copy_tree(&from, &d.join(from.file_name().unwrap()));
    });
    refused(&["s1", &stray, "--out", "m1"], "is not in shard 2/2");
    assert!(!root.join("m1").exists(), "a refused merge made its --out");
    // A shard that got no submission (more runners than a small class
    // fills) is merged as it is: the CI template always runs four.
    let solo = root.join("solo");
    copy_dir(&root.join("class").join("py-good"), &solo.join("py-good"));
    for shard in ["1/2", "2/2"] {
        let out = format!("solo-{}", &shard[..1]);
        netlab(
            &[
                "grade",
                "week01",
                "--class",
                "solo",
                "--out",
                &out,
                "--shard",
                shard,
                "--check",
                "server-ack",
            ],
            root,
        );
    }
    let ok = merge(&["solo-1", "solo-2", "--out", "m3"]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert_eq!(gradebook(&root.join("m3")).len(), 2, "a header and py-good");
    // Shards graded on other checks do not make one gradebook.
    let second_shard_on = |checks: &[&'static str]| {
        let mut args = vec![
            "grade", "week01", "--class", "class", "--out", "s4", "--shard", "2/2",
        ];
        for check in checks {
            args.extend(["--check", check]);
        }
        netlab(&args, root)
    };
    second_shard_on(&["server-ack", "server-listening"]);
    // Graded again on other checks: said why every submission was.
    let other = second_shard_on(&["server-ack"]);
    assert!(
        other.stderr.contains("were graded on other checks"),
        "{}",
        other.stderr
    );
    refused(&["s1", "s4", "--out", "m4"], "graded on different checks");
    // Merged into one of its inputs: refused, the input left as it was.
    refused(
        &["s1", "s2", "--out", "s1"],
        "is one of the folders to merge",
    );
    assert_eq!(gradebook(&root.join("s1")), s1);
    // An OUT used again for one shard keeps that shard's results alone:
    // the others' folders, left there, came back in a merge with their
    // old grades (a new instructor's round).
    let again = netlab(&grade_args("all", &["--shard", "1/2"]), root);
    assert!(
        again.stderr.contains("or not in this shard"),
        "{}",
        again.stderr
    );
    assert_eq!(gradebook(&root.join("all")), s1);
}

/// A shard folder is an artifact that anyone with the CI's storage could
/// have changed: `netlab merge` refuses what a class run cannot have
/// written, and follows no link (hostile round 10: a record naming
/// `../victim` was copied there, a score above its checks' was taken, a
/// link to a secret came out as a copy of it, a FIFO hung the merge).
#[test]
fn merge_refuses_a_shard_that_netlab_did_not_write() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    manifest(
        &root.join("class").join("alice"),
        &netlab_bin().with_file_name("server").display().to_string(),
    );
    netlab(
        &[
            "grade",
            "week01",
            "--class",
            "class",
            "--out",
            "shard",
            "--check",
            "server-ack",
        ],
        root,
    );
    let report = root.join("shard").join("alice").join("report.json");
    let original: serde_json::Value = serde_json::from_str(&read(&report)).unwrap();
    assert_eq!(original["score"], 1.0, "{original}");
    let merge = |out: &str| merge_in(root, &["shard", "--out", out]);
    let ok = merge("merged");
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let forged = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut value = original.clone();
        change(&mut value);
        std::fs::write(&report, value.to_string()).unwrap();
    };
    let refused = |out: &str, says: &str| {
        let run = merge(out);
        let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
        assert_eq!(run.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
    };
    forged(&|v| v["submission"] = "../victim".into());
    refused("m1", "not its folder's name");
    assert!(!root.join("victim").exists());
    forged(&|v| v["score"] = 40.0.into());
    refused("m2", "is not the sum of its checks' points");
    forged(&|v| {
        v["checks"] = serde_json::json!([]);
        v["not_graded"] = "no netlab.toml".into();
    });
    refused("m2b", "is not the sum of its checks' points");
    forged(&|v| v["checks"][0]["diagnosis"] = "x,=1+1".into());
    refused("m3", "a diagnosis \"x,=1+1\" that netlab does not have");
    // Hostile round 75: a forged CPU time made a member "heaviest".
    forged(&|v| {
        let real = v["cpu_ms"].as_u64().unwrap_or(0);
        v["cpu_ms"] = (real + 90_000).into();
    });
    refused("m3b", "is not the sum of its checks'");
    forged(&|_| {});
    #[cfg(unix)]
    {
        let secret = root.join("secret.txt");
        std::fs::write(&secret, "the instructor's").unwrap();
        let leak = root.join("shard").join("alice").join("leak.txt");
        std::os::unix::fs::symlink(&secret, &leak).unwrap();
        refused("m4", "is not a folder or a regular file");
        assert!(!root.join("m4").join("alice").join("leak.txt").exists());
        std::fs::remove_file(&leak).unwrap();
        let fifo = root.join("shard").join("alice").join("pipe");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        refused("m5", "is not a folder or a regular file");
        std::fs::remove_file(&fifo).unwrap();
        // Hostile round 40: a member that is itself a link (its folder's
        // files were copied in), and one named like a class output (OUT
        // was left half-written).
        let elsewhere = root.join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        let mut named = original.clone();
        named["submission"] = "mallory".into();
        std::fs::write(elsewhere.join("report.json"), named.to_string()).unwrap();
        std::fs::write(elsewhere.join("notes.txt"), "private").unwrap();
        let link = root.join("shard").join("mallory");
        std::os::unix::fs::symlink(&elsewhere, &link).unwrap();
        refused("m6", "symbolic link");
        assert!(!root.join("m6").join("mallory").exists());
        std::fs::remove_file(&link).unwrap();
        let output_name = root.join("shard2").join("summary.md");
        std::fs::create_dir_all(&output_name).unwrap();
        named["submission"] = "summary.md".into();
        std::fs::write(output_name.join("report.json"), named.to_string()).unwrap();
        // Hostile round 41: a report.json that is a FIFO or a link to an
        // endless file is refused, not read (merge hung, or read 1 GB).
        let odd = root.join("shard3").join("bob");
        std::fs::create_dir_all(&odd).unwrap();
        nix::unistd::mkfifo(&odd.join("report.json"), nix::sys::stat::Mode::S_IRWXU).unwrap();
        let run = merge_in(root, &["shard3", "--out", "m8"]);
        assert_eq!(run.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&run.stderr).contains("is not a regular file"));
        std::fs::remove_file(odd.join("report.json")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", odd.join("report.json")).unwrap();
        let run = merge_in(root, &["shard3", "--out", "m9"]);
        assert_eq!(run.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&run.stderr).contains("is not a regular file"));
        let run = merge_in(root, &["shard2", "--out", "m7"]);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("never names a submission \"summary.md\""),
            "{stderr}"
        );
        assert!(!root.join("m7").join("gradebook.csv").exists());
    }
}

#[test]
fn bad_class_arguments_are_usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("class").join("alice")).unwrap();
    std::fs::write(
        tmp.path().join("class").join("alice").join("netlab.toml"),
        "",
    )
    .unwrap();
    std::fs::write(tmp.path().join("bad.toml"), "[checks]\nno-such-check = 2\n").unwrap();
    std::fs::write(tmp.path().join("zero.toml"), "[roles]\nserver = 0\n").unwrap();
    for (args, message) in [
        (vec!["--out", "o", "--shard", "3/2"], "--shard `3/2`"),
        // The checks chosen worth nothing (hostile round 70).
        (
            vec!["--out", "o", "--points", "zero.toml", "--only", "server"],
            "chosen are worth 0 points",
        ),
        (
            vec!["--out", "o", "--points", "bad.toml"],
            "unknown check `no-such-check`",
        ),
        (vec![], "--class needs --out"),
        (vec!["--out", "o", "--server", "x"], "cannot be combined"),
        (vec!["--out", "class"], "is the class folder itself"),
        (vec!["--out", "class/alice"], "is the submission `alice`"),
        (
            vec!["--out", "class/alice/results"],
            "inside the submission `alice`",
        ),
        (vec!["--out", "o", "--jobs", "0"], "0 is not in 1..=256"),
        (vec!["--out", "o", "--list"], "cannot be used with '--list'"),
        (
            vec!["--out", "o", "--format", "json"],
            "cannot be used with",
        ),
    ] {
        let output = assert_cmd::Command::new(netlab_bin())
            .env("NETLAB_TRUST", builds())
            .args(["grade", "week01", "--class", "class"])
            .args(&args)
            .current_dir(tmp.path())
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
    // One submission given as the class (a new instructor's round: exit 0,
    // "graded 0 submissions").
    let output = assert_cmd::Command::new(netlab_bin())
        .args(["grade", "week01", "--class", "class/alice", "--out", "o"])
        .current_dir(tmp.path())
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("it is one submission, not a class") && stderr.contains("--dir"),
        "{stderr}"
    );
}

/// A new user's round: an earlier run's OUT inside the class folder
/// (`--out class/results`, then another name) is not a student: said,
/// and no row in the gradebook.
#[test]
fn an_earlier_runs_results_in_the_class_folder_are_not_a_submission() {
    let tmp = tempfile::tempdir().unwrap();
    let class = tmp.path().join("class");
    std::fs::create_dir_all(class.join("alice")).unwrap();
    std::fs::write(class.join("alice").join("netlab.toml"), "").unwrap();
    std::fs::create_dir_all(class.join("results")).unwrap();
    for file in ["gradebook.csv", "run.json", "summary.md"] {
        std::fs::write(class.join("results").join(file), "").unwrap();
    }
    let output = assert_cmd::Command::new(netlab_bin())
        .env("NETLAB_TRUST", builds())
        .args([
            "grade",
            "week01",
            "--class",
            "class",
            "--out",
            "class/results2",
        ])
        .current_dir(tmp.path())
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("`results` was not graded: it holds a class run's results"),
        "{stderr}"
    );
    let book = read(class.join("results2").join("gradebook.csv"));
    assert!(book.lines().any(|l| l.starts_with("alice,")), "{book}");
    assert!(!book.lines().any(|l| l.starts_with("results")), "{book}");
}

/// A new user's round: the bundle script wrote a relative OUT.zip inside
/// its temporary folder (and said it wrote it), and took `--help` for a
/// file name.
#[test]
fn the_gradescope_bundle_is_made_where_asked() {
    let tmp = tempfile::tempdir().unwrap();
    let script = dist().join("gradescope").join("make_bundle.sh");
    let help = Command::new("bash")
        .arg(&script)
        .arg("--help")
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(help.status.success(), "{help:?}");
    assert!(String::from_utf8_lossy(&help.stdout).contains("Gradescope autograder bundle"));
    let made = Command::new("bash")
        .arg(&script)
        .arg("bundle.zip")
        .env("NETLAB_BIN", netlab_bin())
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    let zip = std::fs::read(tmp.path().join("bundle.zip")).unwrap();
    // A zip: its local header, then the files at its root.
    assert!(zip.starts_with(b"PK\x03\x04"));
    for name in ["setup.sh", "run_autograder", "netlab"] {
        assert!(
            zip.windows(name.len()).any(|w| w == name.as_bytes()),
            "{name} is not in the bundle"
        );
    }
}

/// A compiled submission with one mistake, in `dir`.
fn mistake_submission(dir: &Path) {
    let program = mistakes_program();
    manifest(
        dir,
        &format!("{} server --mistake empty-recv", program.display()),
    );
}

fn dist() -> PathBuf {
    repo().join("dist")
}

#[test]
fn the_gradescope_bundle_runs_in_a_simulated_autograder() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("autograder");
    let source = root.join("source");
    copy_dir(&dist().join("gradescope"), &source);
    std::fs::copy(dist().join("grade-one.sh"), source.join("grade-one.sh")).unwrap();
    std::fs::copy(netlab_bin(), source.join("netlab")).unwrap();
    std::fs::write(
        source.join("config.sh"),
        "LAB=week01\nNETLAB_ARGS=\"--check server-ack --check server-empty-recv\"\n",
    )
    .unwrap();
    std::fs::write(
        source.join("points.toml"),
        "[checks]\nserver-empty-recv = { points = 2, hidden = true }\n",
    )
    .unwrap();
    mistake_submission(&root.join("submission"));
    // Its own temporary folder, to see that the scripts leave nothing there.
    let temp = tempfile::tempdir().unwrap();
    for script in ["setup.sh", "run_autograder"] {
        let mut cmd = Command::new("bash");
        cmd.arg(source.join(script))
            .env("AUTOGRADER_ROOT", &root)
            .env("NETLAB_TRUST", builds())
            .env("TMPDIR", temp.path())
            .current_dir(&source);
        let output = support::bounded(cmd);
        let said = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{script}: {said}");
        // No path of a temporary folder it removed (a gradebook there).
        let temp_path = temp.path().to_string_lossy();
        assert!(!said.contains(&*temp_path), "{script}: {said}");
    }
    let left: Vec<_> = std::fs::read_dir(temp.path()).unwrap().flatten().collect();
    assert!(
        left.is_empty(),
        "the bundle left {left:?} in the temporary folder"
    );
    let results = json(root.join("results").join("results.json"));
    assert_eq!(
        (results["score"].as_f64(), results["max_score"].as_f64()),
        (Some(1.0), Some(3.0)),
        "{results}"
    );
    let tests = results["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 2);
    let hidden = tests
        .iter()
        .find(|t| t["name"].as_str().unwrap().starts_with("server-empty-recv"))
        .unwrap();
    assert_eq!(hidden["visibility"], "after_published");
    assert_eq!(hidden["status"], "failed");
}

#[test]
fn the_prairielearn_entry_point_writes_its_results() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("grade");
    mistake_submission(&root.join("student"));
    let temp = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("bash");
    cmd.arg(dist().join("prairielearn").join("run.sh"))
        .env("TMPDIR", temp.path())
        .env("GRADE_ROOT", &root)
        .env("NETLAB", netlab_bin())
        .env("NETLAB_TRUST", builds())
        .env(
            "NETLAB_ARGS",
            "--check server-ack --check server-empty-recv",
        );
    let output = support::bounded(cmd);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results = json(root.join("results").join("results.json"));
    assert_eq!(
        std::fs::read_dir(temp.path()).unwrap().count(),
        0,
        "run.sh left its work folder behind"
    );
    assert_eq!(results["gradable"], true);
    assert_eq!(results["score"].as_f64(), Some(0.5), "{results}");
    assert_eq!(results["tests"].as_array().unwrap().len(), 2);
}

#[test]
fn the_classroom50_entry_point_exits_0_whatever_the_score() {
    let tmp = tempfile::tempdir().unwrap();
    let script = dist().join("classroom50").join("autograde.sh");
    let run = |sub: &Path, res: &Path, netlab: &Path| {
        let mut cmd = Command::new("bash");
        cmd.arg(&script)
            .arg(sub)
            .arg(res)
            .env("NETLAB", netlab)
            .env("NETLAB_TRUST", builds())
            .env(
                "NETLAB_ARGS",
                "--check server-ack --check server-empty-recv",
            );
        support::bounded(cmd)
    };
    // A failing submission: grading ran, exit 0, score 1 of 2.
    let sub = tmp.path().join("sub");
    mistake_submission(&sub);
    let res = tmp.path().join("res");
    // The results folder is the student's checkout by default: a
    // result.json committed as a link is replaced, not written through
    // (hostile round 40).
    let victim = tmp.path().join("victim.txt");
    std::fs::write(&victim, "untouched").unwrap();
    std::fs::create_dir_all(&res).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&victim, res.join("result.json")).unwrap();
    let output = run(&sub, &res, &netlab_bin());
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(read(&victim), "untouched");
    assert!(!res.join("result.json").is_symlink());
    let result = json(res.join("result.json"));
    assert_eq!(result["schema"], "classroom50/result/v1");
    assert_eq!(
        (result["score"].as_f64(), result["max-score"].as_f64()),
        (Some(1.0), Some(2.0))
    );
    for t in result["tests"].as_array().unwrap() {
        for key in ["test-name", "passed", "score", "max-score"] {
            assert!(t.get(key).is_some(), "{key} missing in {t}");
        }
    }
    assert!(read(res.join("release-body.md")).contains("empty-recv"));
    // No netlab.toml: still graded (score 0, the reason in the body).
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let res2 = tmp.path().join("res2");
    let output = run(&empty, &res2, &netlab_bin());
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(json(res2.join("result.json"))["score"].as_f64(), Some(0.0));
    assert!(read(res2.join("release-body.md")).contains("could not be graded"));
    // netlab missing: grading could not run, non-zero.
    let output = run(
        &sub,
        &tmp.path().join("res3"),
        Path::new("/nonexistent/netlab"),
    );
    assert!(!output.status.success());
}

#[test]
fn the_ci_workflow_template_is_a_valid_github_workflow() {
    if !tool_available(
        "check-jsonschema",
        "--version",
        "the GitHub workflow schema",
    ) {
        return;
    }
    let file = dist().join("ci").join("grade-class.yml");
    let output = Command::new("check-jsonschema")
        .args(["--builtin-schema", "vendor.github-workflows"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let text = read(&file);
    assert!(
        text.contains("--shard") && text.contains("netlab merge"),
        "{text}"
    );
    assert!(
        !text.contains("education/autograding"),
        "uses the retired Classroom actions"
    );
    // The schema check can fail: a broken copy is refused.
    let broken = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(broken.path(), text.replace("runs-on:", "runs_on:")).unwrap();
    let output = Command::new("check-jsonschema")
        .args(["--builtin-schema", "vendor.github-workflows"])
        .arg(broken.path())
        .output()
        .unwrap();
    assert!(
        !output.status.success(),
        "a broken workflow passed the schema"
    );
}

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser"].into_iter().find(|c| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// Loads `args`' file:// URL in headless Chromium and returns the DOM.
fn dump_dom(browser: &str, profile: &Path, url: &str) -> String {
    let output = assert_cmd::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--allow-file-access-from-files",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(url)
        .timeout(Duration::from_secs(90))
        .output()
        .expect("chromium runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// index.html renders in Chromium, its chart has `bars` visible bars, and
/// every link leads somewhere: in-page anchors to a section, file links to
/// a report that opens.
fn browser_check(out: &Path, bars: usize) {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is required in CI (.ci/run installs it)"
        );
        eprintln!("skipped: chromium is not installed (the browser check of index.html)");
        return;
    };
    let profile = tempfile::tempdir().unwrap();
    let index = out.join("index.html");
    // A probe page loads index.html in a frame and measures it as laid out.
    let probe = out.join("probe.html");
    std::fs::write(
        &probe,
        format!(
            r#"<!DOCTYPE html><html><body><iframe id="f" src="file://{}" width="1200" height="900"></iframe><pre id="out">NOT LOADED</pre>
<script>
document.getElementById('f').addEventListener('load', function () {{
  var d = this.contentDocument, lines = [];
  if (!d) {{ document.getElementById('out').textContent = 'NO ACCESS'; return; }}
  lines.push('TITLE ' + d.title);
  d.querySelectorAll('#mistakes-chart rect.bar').forEach(function (r) {{
    var b = r.getBoundingClientRect(); lines.push('BAR ' + b.width.toFixed(1) + ' ' + b.height.toFixed(1)); }});
  d.querySelectorAll('a').forEach(function (a) {{
    var h = a.getAttribute('href');
    if (h[0] === '#') lines.push('ANCHOR ' + h + ' ' + (d.getElementById(h.slice(1)) ? 'found' : 'missing'));
    else lines.push('LINK ' + a.href); }});
  lines.push('END');
  document.getElementById('out').textContent = lines.join('\n');
}});
</script></body></html>"#,
            index.display()
        ),
    )
    .unwrap();
    let dom = dump_dom(
        browser,
        profile.path(),
        &format!("file://{}", probe.display()),
    );
    std::fs::remove_file(&probe).unwrap();
    assert!(
        dom.contains("TITLE week01: class results"),
        "the page did not render:\n{dom}"
    );
    let bar_sizes: Vec<(f64, f64)> = dom
        .lines()
        .filter_map(|l| l.strip_prefix("BAR "))
        .map(|l| {
            let mut it = l.split(' ').map(|n| n.parse::<f64>().unwrap());
            (it.next().unwrap(), it.next().unwrap())
        })
        .collect();
    assert_eq!(bar_sizes.len(), bars, "{dom}");
    assert!(
        bar_sizes.iter().all(|(w, h)| *w > 1.0 && *h > 1.0),
        "a bar is not visible: {bar_sizes:?}"
    );
    let anchors: Vec<&str> = dom.lines().filter(|l| l.starts_with("ANCHOR ")).collect();
    assert!(anchors.len() >= 7, "{dom}");
    assert!(anchors.iter().all(|a| a.ends_with(" found")), "{anchors:?}");
    let links: Vec<&str> = dom
        .lines()
        .filter_map(|l| l.strip_prefix("LINK "))
        .collect();
    assert!(links.len() >= 7 * 3, "{dom}");
    for link in &links {
        let path = link.strip_prefix("file://").expect("a file link");
        assert!(Path::new(path).is_file(), "broken link {link}");
    }
    // Following a report link opens the student's report.
    let report_link = links
        .iter()
        .find(|l| l.ends_with("/py-empty-recv/report.txt"))
        .expect("report link");
    let report = dump_dom(browser, profile.path(), report_link);
    assert!(
        report.contains("netlab grade") && report.contains("empty-recv"),
        "{report}"
    );
}

/// Ctrl+C in the middle of a class keeps what is done: the finished
/// submissions are in the gradebook, nothing netlab started is left
/// running, and the next run grades only what was not finished.
#[cfg(unix)]
#[test]
fn ctrl_c_keeps_what_is_done() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let class = root.join("class");
    let mistakes = mistakes_program();
    manifest(
        &class.join("a-reference"),
        &netlab_bin().with_file_name("server").display().to_string(),
    );
    manifest(
        &class.join("b-no-reuseaddr"),
        &format!("{} server --mistake no-reuseaddr", mistakes.display()),
    );
    // Long enough to still be running when Ctrl+C comes.
    let marker = format!("netlab-ctrl-c-{}", std::process::id());
    manifest(
        &class.join("c-hang"),
        &format!("sh -c 'sleep 1000; :' {marker}"),
    );
    let mut child = Command::new(netlab_bin())
        .env("NETLAB_TRUST", builds())
        .args([
            "grade", "week01", "--class", "class", "--out", "out", "--jobs", "3",
        ])
        .args(["--check", "server-ack", "--check", "server-restart"])
        .current_dir(root)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // stderr read on a thread of its own, so a full pipe never blocks netlab.
    let mut stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
        let _ = tx.send(text);
    });
    let done = |name: &str| root.join("out").join(name).join("report.json").is_file();
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while !(done("a-reference") && done("b-no-reuseaddr")) {
        assert!(
            std::time::Instant::now() < deadline,
            "the fast submissions never finished"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Give the class files their next refresh, then Ctrl+C.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        !done("c-hang"),
        "the hanging submission finished too early for this test"
    );
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "netlab did not stop on Ctrl+C"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let stderr = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_default();
    assert_eq!(status.code(), Some(130), "{stderr}");
    // It says what it kept, and that the same command grades the rest.
    assert!(
        stderr.contains("interrupted (Ctrl+C): 2 of 3 submissions graded, kept in out;"),
        "{stderr}"
    );
    let book = gradebook(&root.join("out"));
    assert_eq!(
        row(&book, "a-reference")[1..6],
        ["2", "0", "0", "2", "2"],
        "{book:?}"
    );
    assert_eq!(row(&book, "b-no-reuseaddr")[2], "1", "{book:?}");
    // The summary and the page say the class is not done (they counted
    // only what was graded, as if it were the whole class).
    let summary = read(root.join("out").join("summary.md"));
    assert!(
        summary.contains("Not finished: 1 of 3 submissions are still to grade"),
        "{summary}"
    );
    let page = read(root.join("out").join("index.html"));
    assert!(page.contains("id=\"pending\""), "{page}");
    // Nothing it started lives on.
    std::thread::sleep(Duration::from_millis(300));
    let ps = Command::new("ps").args(["-eo", "args"]).output().unwrap();
    assert!(
        !String::from_utf8_lossy(&ps.stdout).contains(&marker),
        "a submission outlived Ctrl+C"
    );
    #[cfg(target_os = "linux")]
    {
        let left = support::sandbox_leftovers_of(child.id());
        assert!(left.is_empty(), "left behind: {left:?}");
    }
    // The next run grades only the unfinished submission.
    let again = netlab(
        &[
            "grade",
            "week01",
            "--class",
            "class",
            "--out",
            "out",
            "--jobs",
            "3",
            "--check",
            "server-ack",
            "--check",
            "server-restart",
        ],
        root,
    );
    assert!(
        again.stderr.contains("graded 1 submission, 2 unchanged"),
        "{}",
        again.stderr
    );
}

#[cfg(unix)]
#[test]
fn on_a_terminal_the_status_line_fits_and_leaves_room_for_the_ctrl_c_echo() {
    // The class run's status line (stderr) at 80 columns: never as wide as
    // the terminal (indicatif's template was longer than 80 columns and was
    // left on screen twice; a full-width line makes the `^C` echo wrap).
    if !tool_available("script", "--version", "a pseudo-terminal") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    for name in ["a", "b"] {
        manifest(
            &root.join("class").join(name),
            &netlab_bin().with_file_name("server").display().to_string(),
        );
    }
    let line = format!(
        "stty cols 80 rows 40; exec '{}' grade week01 --class class --out out --jobs 1 --check server-ack --check server-restart",
        netlab_bin().display()
    );
    let mut cmd = Command::new("script");
    cmd.args(["-qec", &line, "/dev/null"])
        .current_dir(root)
        .env("NO_COLOR", "1")
        .env("NETLAB_TRUST", builds());
    let out = support::bounded(cmd);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}");
    let frames: Vec<String> = text
        .split(['\n', '\r'])
        .map(|piece| console::strip_ansi_codes(piece).into_owned())
        .filter(|piece| piece.starts_with(|c| ('\u{2800}'..='\u{28ff}').contains(&c)))
        .collect();
    assert!(!frames.is_empty(), "no status line drawn:\n{text:?}");
    for frame in &frames {
        let columns = console::measure_text_width(frame);
        assert!(columns <= 77, "a frame is {columns} columns: {frame:?}");
        assert!(frame.contains("submissions"), "{frame:?}");
    }
    assert!(text.contains("graded 2 submissions"), "{text}");
}

/// A class run of `class` into `out`, one quick check per submission.
const ONE_CHECK_CLASS_RUN: [&str; 8] = [
    "grade",
    "week01",
    "--class",
    "class",
    "--out",
    "out",
    "--check",
    "server-listening",
];

/// `root/class` with two submissions of the reference server: `big`, too
/// big for its private copy (a sparse 33 MiB file: no disk), and `small`.
fn big_and_small_class(root: &Path) -> PathBuf {
    let class = root.join("class");
    let server = netlab_bin().with_file_name("server").display().to_string();
    manifest(&class.join("big"), &server);
    std::fs::File::create(class.join("big").join("ballast.bin"))
        .unwrap()
        .set_len(33 << 20)
        .unwrap();
    manifest(&class.join("small"), &server);
    class
}

/// A submission's sandbox notes are told in its own reports only: a class
/// run grades every submission in one process, and a note about one folder
/// (too big to copy) was in every classmate's report, with that folder's
/// name, escape sequences and all (hostile round 6).
#[test]
fn a_sandbox_note_about_one_submission_stays_in_its_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let class = big_and_small_class(tmp.path());
    netlab(&ONE_CHECK_CLASS_RUN, tmp.path());
    let out = tmp.path().join("out");
    let note = "no private copy of the submission folder";
    let big = read(out.join("big").join("report.txt"));
    assert!(big.contains(note), "{big}");
    for file in ["report.txt", "report.json", "report.xml"] {
        let small = read(out.join("small").join(file));
        assert!(!small.contains("no private copy"), "small/{file}:\n{small}");
    }
    assert!(!big.contains(&*class.to_string_lossy()), "{big}");
}

/// A folder named like a class output (index.html) or not named in UTF-8
/// is said to be left out, at the start and at the end, and the class
/// outputs are written all the same (hostile round 6: the run stopped
/// with "Is a directory", or the folder had no row and no word).
#[test]
fn a_folder_that_cannot_be_graded_under_its_name_is_said_not_dropped() {
    let tmp = tempfile::tempdir().unwrap();
    let class = tmp.path().join("class");
    let server = netlab_bin().with_file_name("server").display().to_string();
    manifest(&class.join("index.html"), &server);
    manifest(&class.join("alice"), &server);
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        manifest(
            &class.join(std::ffi::OsStr::from_bytes(b"bob\xff")),
            &server,
        );
    }
    // Handed in as an archive, not a folder; and a link to a classmate's
    // folder, graded twice (hostile round 10: both without a word).
    std::fs::write(class.join("dave.zip"), "PK").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(class.join("alice"), class.join("alice2")).unwrap();
    let run = netlab(&ONE_CHECK_CLASS_RUN, tmp.path());
    let out = tmp.path().join("out");
    assert!(out.join("index.html").is_file(), "{}", run.stderr);
    assert_eq!(
        run.stderr
            .matches("warning: `dave.zip` was not graded: it is not a folder")
            .count(),
        2,
        "{}",
        run.stderr
    );
    #[cfg(unix)]
    assert!(
        run.stderr
            .contains("warning: `alice2` is the same folder as `alice` (a link)"),
        "{}",
        run.stderr
    );
    // And in the summary, where the instructor reads the run later.
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        summary.contains("## Left out, or graded with a warning"),
        "{summary}"
    );
    assert!(
        summary.contains("was not graded: it is not a folder"),
        "{summary}"
    );
    assert_eq!(
        run.stderr
            .matches("warning: `index.html` was not graded")
            .count(),
        2,
        "{}",
        run.stderr
    );
    #[cfg(unix)]
    assert_eq!(
        run.stderr.matches("not valid UTF-8").count(),
        2,
        "{}",
        run.stderr
    );
    let book = gradebook(&out);
    row(&book, "alice");
}

/// Under --require-sandbox, a folder too big for its private copy is not
/// graded: its programs would run in the class folder itself, and what
/// they wrote stayed there (hostile round 6). Its classmates are graded.
#[test]
fn require_sandbox_refuses_a_folder_too_big_to_copy() {
    let tmp = tempfile::tempdir().unwrap();
    big_and_small_class(tmp.path());
    let output = assert_cmd::Command::new(netlab_bin())
        .env("NETLAB_TRUST", builds())
        .args(ONE_CHECK_CLASS_RUN)
        .arg("--require-sandbox")
        .current_dir(tmp.path())
        .timeout(Duration::from_secs(300))
        .output()
        .expect("netlab runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.code() == Some(2) && stderr.contains("not every protection") {
        eprintln!("skipped: the full sandbox is not available here:\n{stderr}");
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs as root: {stderr}"
        );
        return;
    }
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let book = gradebook(&tmp.path().join("out"));
    assert!(
        row(&book, "big")[6].contains("not graded: --require-sandbox"),
        "{book:?}"
    );
    assert_eq!(row(&book, "small")[1], "1", "{book:?}");
}
