//! `netlab grade` as a user runs it: arguments, netlab.toml, exit
//! statuses, the three report formats, skipped roles and seed replay.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;

fn netlab() -> Command {
    let mut cmd = Command::cargo_bin("netlab").expect("the netlab binary");
    cmd.timeout(std::time::Duration::from_secs(120));
    cmd
}

/// A submission folder whose netlab.toml runs the reference binaries.
fn reference_dir(roles: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut toml = String::from("lab = \"week01\"\n[commands]\n");
    for (role, bin) in roles {
        let path = Path::new(env!("CARGO_BIN_EXE_server")).with_file_name(bin);
        // A TOML literal string: no escapes, so Windows paths survive.
        toml.push_str(&format!("{role} = \"'{}'\"\n", path.display()));
    }
    std::fs::write(dir.path().join("netlab.toml"), toml).expect("write netlab.toml");
    dir
}

#[test]
fn a_correct_submission_from_netlab_toml_exits_0_with_a_score_line() {
    let dir = reference_dir(&[("server", "server"), ("client", "client")]);
    netlab()
        .args(["grade", "week01", "--dir"])
        .arg(dir.path())
        .env("NO_COLOR", "1")
        .assert()
        .success()
        .stdout(predicate::str::contains("✔ server-ack"))
        .stdout(predicate::str::contains("- chat-ack"))
        .stdout(predicate::str::is_match(r"\n18 passed, 0 failed, 20 skipped\n").unwrap())
        .stdout(predicate::str::contains("\u{1b}[").not());
}

#[test]
fn json_report_has_the_documented_shape() {
    let dir = reference_dir(&[("client", "client")]);
    let out = netlab()
        .args([
            "grade", "week01", "--format", "json", "--seed", "7", "--dir",
        ])
        .arg(dir.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let report: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
    assert_eq!(report["lab"], "week01");
    assert_eq!(report["seed"], 7);
    assert_eq!(report["passed"], 6);
    assert_eq!(report["failed"], 0);
    assert_eq!(report["skipped"], 32);
    let checks = report["checks"].as_array().expect("checks array");
    assert_eq!(checks.len(), 38);
    let ack = checks
        .iter()
        .find(|c| c["id"] == "client-ack")
        .expect("client-ack");
    assert_eq!(ack["role"], "client");
    assert_eq!(ack["passed"], true);
    assert!(ack["diagnosis"].is_null());
    assert!(ack["duration_ms"].is_u64());
    let skipped = checks
        .iter()
        .find(|c| c["id"] == "server-ack")
        .expect("server-ack");
    assert!(
        skipped["passed"].is_null(),
        "a skipped check has passed: null"
    );
}

#[test]
fn a_failing_submission_exits_1_and_names_the_mistake() {
    // `true` exits at once without listening: every server check fails.
    let dir = tempfile::tempdir().unwrap();
    let out = netlab()
        .args([
            "grade", "week01", "--server", "true", "--only", "server", "--format", "json", "--dir",
        ])
        .arg(dir.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let report: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let first = &report["checks"][0];
    assert_eq!(first["passed"], false);
    assert_eq!(first["diagnosis"], "cannot-start");
    assert!(first["hint"].as_str().unwrap().contains("netlab.toml"));
    assert!(first["observed"].as_str().unwrap().contains("exit 0"));
}

#[test]
fn junit_report_lists_every_check_with_failures_typed_by_diagnosis() {
    let dir = tempfile::tempdir().unwrap();
    netlab()
        .args([
            "grade", "week01", "--server", "true", "--only", "server", "--format", "junit", "--dir",
        ])
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with("<?xml"))
        .stdout(predicate::str::contains(
            r#"<testsuite name="server" tests="11""#,
        ))
        .stdout(predicate::str::contains(r#"type="cannot-start""#));
}

#[test]
fn text_report_tells_the_story_of_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    netlab()
        .args([
            "grade",
            "week01",
            "--server",
            "true",
            "--check",
            "server-ack",
            "--dir",
        ])
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("✘ server-ack"))
        .stdout(predicate::str::contains("what the grader did:"))
        .stdout(predicate::str::contains("1. start the server: true"))
        .stdout(predicate::str::contains("expected:"))
        .stdout(predicate::str::contains("observed:"))
        .stdout(predicate::str::contains("diagnosis: cannot-start"))
        .stdout(predicate::str::contains("hint:"))
        .stdout(predicate::str::contains("0 passed, 1 failed, 0 skipped"));
}

#[test]
fn a_program_that_does_not_exist_cannot_start() {
    let dir = tempfile::tempdir().unwrap();
    netlab()
        .args([
            "grade",
            "week01",
            "--client",
            "./no-such-program",
            "--check",
            "client-ack",
            "--dir",
        ])
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("diagnosis: cannot-start"))
        .stdout(predicate::str::contains("could not be started"));
}

#[test]
fn the_same_seed_replays_the_same_messages() {
    let fake_client = |seed: &str| {
        let dir = tempfile::tempdir().unwrap();
        let out = netlab()
            .args([
                "grade",
                "week01",
                "--client",
                "true",
                "--check",
                "client-ack",
                "--format",
                "json",
                "--seed",
                seed,
                "--dir",
            ])
            .arg(dir.path())
            .assert()
            .code(1)
            .get_output()
            .stdout
            .clone();
        let report: serde_json::Value = serde_json::from_slice(&out).unwrap();
        // "start the client: true <message> (with LAB_PORT=<fake server's port>)"
        let step = report["checks"][0]["steps"][1]
            .as_str()
            .unwrap()
            .to_string();
        let message = step.split(" (with").next().unwrap().to_string();
        assert!(message.starts_with("start the client: true "), "{step}");
        message
    };
    // The client's argument is the random message: same seed, same message.
    assert_eq!(fake_client("42"), fake_client("42"));
    assert_ne!(fake_client("42"), fake_client("43"));
}

#[test]
fn could_not_run_exits_2_with_a_clear_message() {
    let empty = tempfile::tempdir().unwrap();
    netlab()
        .args(["grade", "week01", "--dir"])
        .arg(empty.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("netlab.toml"))
        .stderr(predicate::str::contains("--server"));
    netlab()
        .args(["grade", "week99", "--server", "true"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown lab `week99`"));
    netlab()
        .args(["grade", "week01", "--server", "'unclosed"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("badly quoted"));
    netlab()
        .args([
            "grade",
            "week01",
            "--server",
            "true",
            "--check",
            "no-such-check",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown check `no-such-check`"));
    netlab()
        .args(["grade", "week01", "--format", "yaml"])
        .assert()
        .code(2);
    // Nothing graded is not a pass: the pair checks need a client too.
    netlab()
        .args(["grade", "week01", "--server", "true", "--only", "pair"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("every selected check was skipped"));
}

#[test]
fn a_bad_netlab_toml_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let grade_with = |toml: &str| {
        std::fs::write(dir.path().join("netlab.toml"), toml).unwrap();
        netlab()
            .args(["grade", "week01", "--dir"])
            .arg(dir.path())
            .assert()
            .code(2)
    };
    grade_with("lab = \"week01\"\n[commands]\nsevrer = \"python3 server.py\"\n")
        .stderr(predicate::str::contains("unknown role `sevrer`"));
    grade_with("lab = \"week02\"\n").stderr(predicate::str::contains("is for lab `week02`"));
    grade_with("lab = [\n").stderr(predicate::str::contains("is not valid"));
    grade_with("lab = \"week01\"\n[commands]\n")
        .stderr(predicate::str::contains("empty [commands] table"));
}
