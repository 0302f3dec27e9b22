//! `netlab grade` as a user runs it: arguments, netlab.toml, exit
//! statuses, the three report formats, skipped roles and seed replay;
//! finding checks (`--list`, `_` ids, did-you-mean); and the run as it
//! happens (live lines on a terminal, the whole report in a pipe, Ctrl+C).

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;

mod support;

fn netlab() -> Command {
    let mut cmd = Command::cargo_bin("netlab").expect("the netlab binary");
    cmd.timeout(std::time::Duration::from_secs(120));
    // The packets of failed checks: in target/, not a new folder in /tmp
    // per run.
    cmd.env(
        "NETLAB_EVIDENCE_DIR",
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("evidence-cli"),
    );
    // The netlab.toml files below name the reference builds: outside the
    // submission folder, so only the instructor's trust lets them run.
    cmd.env(
        "NETLAB_TRUST",
        Path::new(env!("CARGO_BIN_EXE_server")).parent().unwrap(),
    );
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
        .stdout(predicate::str::is_match(r"\n24 passed, 0 failed, 30 skipped\n").unwrap())
        .stdout(predicate::str::contains("\u{1b}[").not());
}

/// Settings of the grader's own environment that would change what a
/// program shows never reach it: PYTHONUNBUFFERED would hide a missing
/// flush, RUST_BACKTRACE pushes a panic's message out of the stderr lines
/// a report quotes (a student saw only backtrace frames).
#[cfg(unix)]
#[test]
fn the_graders_own_output_settings_do_not_reach_the_program() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("netlab.toml"),
        "lab = \"week01\"\n[commands]\nserver = \"sh -c 'echo seen:${PYTHONUNBUFFERED:-unset}:${RUST_BACKTRACE:-unset} >&2; exit 3'\"\n",
    )
    .unwrap();
    netlab()
        .args(["grade", "week01", "--check", "server-listening", "--dir"])
        .arg(dir.path())
        .env("NO_COLOR", "1")
        .env("PYTHONUNBUFFERED", "1")
        .env("RUST_BACKTRACE", "1")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("seen:unset:unset"));
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
    assert_eq!(report["passed"], 10);
    assert_eq!(report["failed"], 0);
    assert_eq!(report["skipped"], 44);
    let checks = report["checks"].as_array().expect("checks array");
    assert_eq!(checks.len(), 54);
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
            r#"<testsuite name="server" tests="13""#,
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
        .stdout(predicate::str::contains("0 passed, 1 failed, 0 skipped"))
        // In a pipe nothing is wrapped: one fact per line, whatever its length.
        .stdout(predicate::str::contains(
            "\n        2. wait for it to listen (the system's socket table) and to print `[SERVER] Listening on 127.0.0.1:PORT`\n",
        ));
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

/// A missing server and a client script that is not there: one finding
/// each, the pair's session and the empty-argument check folded under
/// them (a missing program was counted twice: as the pair's own finding,
/// and Python's own `can't open file`, exit 2, as a usage line in the
/// wrong words).
#[test]
fn a_missing_program_is_one_finding() {
    let python = std::process::Command::new("python3")
        .arg("--version")
        .output();
    if !python.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("netlab.toml"),
        "lab = \"week01\"\n\n[commands]\nserver = \"./no-such-server\"\nclient = \"python3 no_such_client.py\"\n",
    )
    .unwrap();
    // The JSON report of a run with these extra arguments (exit 1).
    let report = |extra: &[&str]| -> serde_json::Value {
        let out = netlab()
            .args(["grade", "week01", "--format", "json"])
            .args(extra)
            .arg("--dir")
            .arg(dir.path())
            .assert()
            .code(1)
            .get_output()
            .stdout
            .clone();
        serde_json::from_slice(&out).unwrap()
    };
    let only_server = report(&["--only", "server"]);
    assert!(only_server["findings"]
        .as_array()
        .is_some_and(|f| f.len() == 1));
    let report = report(&[]);
    let findings: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["code"].to_string(), f["program"].to_string()))
        .collect();
    assert_eq!(
        findings,
        [
            ("\"cannot-start\"".to_string(), "\"server\"".to_string()),
            ("\"startup-failure\"".to_string(), "\"client\"".to_string()),
        ],
        "{report:#}"
    );
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
        .stderr(predicate::str::contains(
            "--command ROLE=CMD (the roles: server, client,",
        ));
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
    // toml's message over two lines, joined: no literal `\n` (hostile
    // round 81: shown as one, and doubled in the gradebook).
    grade_with("lab = \"week01\"\n[commands\n").stderr(
        predicate::str::contains("invalid table header; expected")
            .and(predicate::str::contains("\\n").not()),
    );
    grade_with("lab = \"week01\"\n[commands]\n")
        .stderr(predicate::str::contains("empty [commands] table"));
}

// ── Finding and naming checks: --list, `_` ids, did-you-mean ──────────────

#[test]
fn list_prints_the_checks_by_stage_without_running_anything() {
    // No netlab.toml and no commands: listing needs neither.
    let empty = tempfile::tempdir().unwrap();
    let out = netlab()
        .args(["grade", "week01", "--list", "--dir"])
        .arg(empty.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    let at = |needle: &str| {
        out.find(needle)
            .unwrap_or_else(|| panic!("no {needle:?} in:\n{out}"))
    };
    assert!(at("stage 1  server") < at("  server-listening "));
    assert!(at("  server-restart ") < at("stage 2  client"));
    assert!(at("stage 2  client") < at("  client-ack "));
    assert!(at("stage 5  chat-client") < at("stage 6  pair"));
    assert!(out.contains("announces the real port and accepts"), "{out}");
    // Every check once, in the grader's order.
    let ids = netlab::grade::check_ids("week01");
    let positions: Vec<usize> = ids.iter().map(|id| at(&format!("  {id} "))).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{out}");
}

#[test]
fn check_ids_and_roles_may_be_spelled_with_underscores() {
    let dir = tempfile::tempdir().unwrap();
    netlab()
        .args([
            "grade",
            "week01",
            "--server",
            "true",
            "--check",
            "server_ack",
            "--dir",
        ])
        .arg(dir.path())
        .env("NO_COLOR", "1")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("✘ server-ack"))
        .stdout(predicate::str::contains("0 passed, 1 failed, 0 skipped"));
    netlab()
        .args([
            "grade",
            "week01",
            "--only",
            "threaded_server",
            "--server",
            "true",
        ])
        .arg("--dir")
        .arg(dir.path())
        .assert()
        // Accepted; nothing to run without a threaded-server command.
        .code(2)
        .stderr(predicate::str::contains("every selected check was skipped"));
}

#[test]
fn an_unknown_id_or_role_gets_a_did_you_mean_not_the_whole_list() {
    let dir = tempfile::tempdir().unwrap();
    netlab()
        .args([
            "grade",
            "week01",
            "--server",
            "true",
            "--check",
            "server_akc",
        ])
        .arg("--dir")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown check `server_akc`"))
        .stderr(predicate::str::contains("did you mean `server-ack`?"))
        .stderr(predicate::str::contains("--list"))
        .stderr(predicate::str::contains("chat-client-").not());
    netlab()
        .args(["grade", "week01", "--server", "true", "--check", "zzzz"])
        .arg("--dir")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean").not());
    // Named before a missing netlab.toml is (the folder has none yet).
    netlab()
        .args(["grade", "week01", "--check", "server_akc", "--dir"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `server-ack`?"))
        .stderr(predicate::str::contains("netlab.toml").not());
    std::fs::write(
        dir.path().join("netlab.toml"),
        "lab = \"week01\"\n[commands]\nsevrer = \"python3 server.py\"\n",
    )
    .unwrap();
    netlab()
        .args(["grade", "week01", "--dir"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `server`?"));
    netlab()
        .args(["grade", "week01", "--only", "sever", "--server", "true"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `server`?"))
        .stderr(predicate::str::contains("pair"));
    // Any role by its name, as the lab spells it; a role of no lab named.
    netlab()
        .args(["grade", "week01", "--command", "chat_sever=true"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `chat-server`?"));
    netlab()
        .args(["grade", "week01", "--command", "server"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("write ROLE=CMD"));
}

/// What would grade nothing, or run one of two commands silently, is a
/// usage error (hostile round 68): `--only` and `--check` that never meet
/// (it exited 0 with "0 passed"), a role given twice, two spellings of a
/// role in netlab.toml, an empty role name; and what is quoted back is
/// escaped.
#[test]
fn what_would_grade_nothing_or_run_one_of_two_commands_is_refused() {
    let refused = |args: &[&str], says: &str| {
        netlab()
            .args(["grade", "week01"])
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says))
            .stderr(predicate::str::contains("\u{1b}").not());
    };
    refused(
        &[
            "--server",
            "true",
            "--only",
            "chat-client",
            "--check",
            "server-ack",
        ],
        "nothing to grade",
    );
    refused(
        &["--command", "server=true", "--command", "SERVER=false"],
        "the server command is given twice",
    );
    refused(
        &["--server", "true", "--command", "server=false"],
        "the server command is given twice",
    );
    refused(&["--command", "=true"], "no role before `=`");
    refused(&["--list", "--only", "bogus"], "no group `bogus`");
    refused(
        &["--check", "\u{1b}]0;pwned\u{7}x"],
        "unknown check `\\u{1b}]0;pwned\\u{7}x`",
    );
    refused(
        &["--server", "\u{1b}[31m \""],
        "`\\u{1b}[31m \"` is empty or badly quoted",
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("netlab.toml"),
        "lab = \"week01\"\n[commands]\nchat-server = \"python3 chat_server.py\"\nchat_server = \"python3 other.py\"\n",
    )
    .unwrap();
    netlab()
        .args(["grade", "week01", "--dir"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "two lines in [commands] for the role `chat-server`",
        ));
}

/// `--command ROLE=CMD` gives a role's command as its flag does: the
/// reference server graded both ways gets the same verdicts.
#[test]
fn a_command_by_role_name_is_graded_as_its_flag_is() {
    let by_flag = netlab()
        .args([
            "grade", "week01", "--only", "server", "--seed", "3", "--format", "json",
        ])
        .args(["--server", env!("CARGO_BIN_EXE_server")])
        .output()
        .unwrap();
    let server = format!("server={}", env!("CARGO_BIN_EXE_server"));
    let by_name = netlab()
        .args([
            "grade", "week01", "--only", "server", "--seed", "3", "--format", "json",
        ])
        .args(["--command", &server])
        .output()
        .unwrap();
    let verdicts = |out: &std::process::Output| -> Vec<(String, String)> {
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["id"].to_string(), c["passed"].to_string()))
            .collect()
    };
    assert_eq!(by_flag.status.code(), Some(0), "{by_flag:?}");
    assert_eq!(by_name.status.code(), Some(0), "{by_name:?}");
    assert!(verdicts(&by_flag).len() > 5);
    assert_eq!(verdicts(&by_flag), verdicts(&by_name));
}

// ── While it works: Ctrl+C, and live lines on a terminal ────────────────

/// Processes whose command line is `argv` (Linux /proc). The program may
/// appear as a full path: the sandbox looks a bare name up on PATH for the
/// uid it runs the submission as.
#[cfg(target_os = "linux")]
fn processes_running(argv: &[&str]) -> Vec<String> {
    let args: String = argv[1..].iter().map(|a| format!("\0{a}")).collect();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| {
            std::fs::read(e.path().join("cmdline")).is_ok_and(|c| {
                let c = String::from_utf8_lossy(&c);
                let Some(program) = c.strip_suffix(&format!("{args}\0")) else {
                    return false;
                };
                program == argv[0] || program.ends_with(&format!("/{}", argv[0]))
            })
        })
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

#[cfg(target_os = "linux")]
#[test]
fn ctrl_c_prints_the_checks_done_so_far_and_exits_130() {
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    // client-ack passes at once; then threaded-ack runs a "server" that
    // never listens (a sleep the test can recognise), so the run is slow.
    let marker = format!("600.{}", std::process::id());
    let client = Path::new(env!("CARGO_BIN_EXE_client"));
    let dir = tempfile::tempdir().unwrap();
    let mut grade = std::process::Command::new(env!("CARGO_BIN_EXE_netlab"))
        .args(["grade", "week01", "--jobs", "1", "--client"])
        .arg(format!("'{}'", client.display()))
        .args(["--threaded-server", &format!("sleep {marker}")])
        .args(["--check", "client-ack", "--check", "threaded-ack", "--dir"])
        .arg(dir.path())
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(60);
    while processes_running(&["sleep", &marker]).is_empty() {
        assert!(
            Instant::now() < until,
            "threaded-ack never started its server"
        );
        assert!(
            grade.try_wait().unwrap().is_none(),
            "netlab grade ended early"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(grade.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let status = loop {
        if let Some(status) = grade.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > until {
            let _ = grade.kill();
            panic!("netlab grade did not stop after SIGINT");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut grade.stdout.take().unwrap(), &mut stdout).unwrap();
    assert_eq!(status.code(), Some(130), "{stdout}");
    assert!(stdout.contains("✔ client-ack"), "{stdout}");
    assert!(
        stdout.contains("interrupted (Ctrl+C) while running threaded-ack"),
        "{stdout}"
    );
    assert!(stdout.contains("1 passed, 0 failed, 0 skipped"), "{stdout}");
    // Not blamed on the submission: the interrupted check is not a failure.
    assert!(!stdout.contains("✘"), "{stdout}");
    // The killed "server" is gone (allow the kernel a moment to reap).
    let until = Instant::now() + Duration::from_secs(5);
    while !processes_running(&["sleep", &marker]).is_empty() {
        assert!(
            Instant::now() < until,
            "the submission's program is still running"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // No cgroup or jail folder of that grader is left (no Drop ran after
    // the handler's exit: the sandbox's registry removed them).
    let left = support::sandbox_leftovers_of(grade.id());
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[cfg(unix)]
#[test]
fn on_a_terminal_each_check_appears_as_it_finishes_in_stage_order() {
    // `script` gives the grader a pseudo-terminal for stdout.
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: `script` (util-linux) is not installed");
        return;
    }
    let server = Path::new(env!("CARGO_BIN_EXE_server"));
    let dir = tempfile::tempdir().unwrap();
    let line = format!(
        "'{}' grade week01 --only server --jobs 4 --server '{}' --dir '{}'",
        env!("CARGO_BIN_EXE_netlab"),
        server.display(),
        dir.path().display()
    );
    let out = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env("NO_COLOR", "1")
        .timeout(std::time::Duration::from_secs(120))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8_lossy(&out).into_owned();
    // The progress indicator was drawn (the bar's count of finished checks).
    assert!(out.contains("/13"), "no progress indicator:\n{out}");
    // Each check's line once (live), in the grader's order, whatever order
    // the parallel checks finished in.
    let ids: Vec<&str> = netlab::grade::checks("week01")
        .unwrap()
        .iter()
        .filter(|c| c.group == "server")
        .map(|c| c.id)
        .collect();
    let mut last = 0;
    for id in ids {
        let line = format!("✔ {id} ");
        assert_eq!(
            out.matches(&line).count(),
            1,
            "{line:?} not once in:\n{out}"
        );
        let at = out.find(&line).unwrap();
        assert!(at > last, "{id} is out of order in:\n{out}");
        last = at;
    }
    // Then the score, after the lines; no colour with NO_COLOR.
    assert!(
        out.find("13 passed, 0 failed, 0 skipped").unwrap() > last,
        "{out}"
    );
    assert!(
        !out.contains("\u{1b}[1m") && !out.contains("\u{1b}[3"),
        "{out:?}"
    );
}

#[test]
fn in_a_pipe_the_report_comes_whole_at_the_end_without_a_progress_bar() {
    let dir = reference_dir(&[("server", "server")]);
    let out = netlab()
        .args(["grade", "week01", "--only", "server", "--dir"])
        .arg(dir.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert!(!out.contains('\r') && !out.contains('\u{1b}'), "{out:?}");
    assert!(out.starts_with("netlab grade week01"), "{out}");
    assert!(out.contains("✔ server-restart"), "{out}");
}

/// A netlab.toml is read as untrusted: a symlink is refused without
/// showing what it points at (seen as root: a line of /etc/shadow in the
/// parse error), a FIFO does not block the grader (seen: for ever, in
/// class mode too), an oversized file is refused. Each exits 2 at once.
#[cfg(unix)]
#[test]
fn a_hostile_netlab_toml_is_refused_at_once() {
    let secret = tempfile::tempdir().unwrap();
    let target = secret.path().join("secret.txt");
    std::fs::write(&target, "SECRET-LINE: 12345\n").unwrap();
    type Plant<'a> = &'a dyn Fn(&Path);
    let cases: [(&str, Plant); 3] = [
        ("symbolic link", &|p| {
            std::os::unix::fs::symlink(&target, p).unwrap()
        }),
        ("FIFO", &|p| {
            nix::unistd::mkfifo(p, nix::sys::stat::Mode::S_IRWXU).unwrap()
        }),
        ("more than the 64 KiB read", &|p| {
            std::fs::write(p, format!("lab = \"week01\"\n#{}\n", "x".repeat(100_000))).unwrap()
        }),
    ];
    for (said, plant) in cases {
        let dir = tempfile::tempdir().unwrap();
        plant(&dir.path().join("netlab.toml"));
        netlab()
            .args(["grade", "week01", "--dir"])
            .arg(dir.path())
            .timeout(std::time::Duration::from_secs(20))
            .assert()
            .code(2)
            .stderr(predicate::str::contains(said))
            .stderr(predicate::str::contains("SECRET-LINE").not());
    }
    // A class with a FIFO for a netlab.toml still grades to the end: that
    // submission's row says why.
    let class = tempfile::tempdir().unwrap();
    let student = class.path().join("mallory");
    std::fs::create_dir(&student).unwrap();
    nix::unistd::mkfifo(&student.join("netlab.toml"), nix::sys::stat::Mode::S_IRWXU).unwrap();
    let out = tempfile::tempdir().unwrap();
    netlab()
        .args(["grade", "week01", "--class"])
        .arg(class.path())
        .arg("--out")
        .arg(out.path())
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .success();
    let gradebook = std::fs::read_to_string(out.path().join("gradebook.csv")).unwrap();
    assert!(gradebook.contains("mallory,"), "{gradebook}");
    assert!(gradebook.contains("not a regular file"), "{gradebook}");
}

/// Runs `netlab grade ARGS` on a pseudo-terminal of `columns` columns
/// (`script` and `stty`), without colour; `None` when `script` is missing.
#[cfg(unix)]
fn grade_on_a_terminal(columns: usize, args: &str) -> Option<String> {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: `script` (util-linux) is not installed");
        return None;
    }
    let line = format!(
        "stty cols {columns} rows 50; exec '{}' grade week01 {args}",
        env!("CARGO_BIN_EXE_netlab"),
    );
    let out = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env("NO_COLOR", "1")
        .timeout(std::time::Duration::from_secs(120))
        .assert()
        .get_output()
        .stdout
        .clone();
    Some(String::from_utf8_lossy(&out).replace("\r\n", "\n"))
}

#[cfg(unix)]
#[test]
fn on_a_terminal_the_final_report_wraps_at_its_width_under_each_label() {
    let dir = tempfile::tempdir().unwrap();
    let args = format!(
        "--server true --check server-ack --check client-ack --dir '{}'",
        dir.path().display()
    );
    let Some(out) = grade_on_a_terminal(80, &args) else {
        return;
    };
    // The report after the live part (drawn once, the bar cleared).
    let at = out
        .find("the details, check by check:")
        .unwrap_or_else(|| panic!("no details:\n{out}"));
    let report = &out[at..];
    for row in report.lines() {
        let columns = row.chars().count();
        assert!(columns <= 80, "a row is {columns} columns:\n{row}\n\n{out}");
    }
    // The story's long lines went on under their label, and nothing is
    // lost: `expected:` continues 16 columns in (6 + "expected: ").
    let rows: Vec<&str> = report.lines().collect();
    let expected = rows
        .iter()
        .position(|r| r.starts_with("      expected: "))
        .unwrap_or_else(|| panic!("no expected line:\n{report}"));
    let next = rows[expected + 1];
    assert!(
        next[..16].trim().is_empty() && !next[16..].starts_with(' '),
        "{report}"
    );
    assert!(
        report.contains("wait for it to listen (the system's socket table)"),
        "{report}"
    );
    // The skipped check's reason is whole in its live line, under the title.
    let skipped = out
        .find("  - client-ack ")
        .unwrap_or_else(|| panic!("no skipped line:\n{out}"));
    let line: String = out[skipped..]
        .split("\n\n")
        .next()
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        line.contains("(skipped: no command for the client role"),
        "{line}\n\n{out}"
    );
}

#[cfg(unix)]
#[test]
fn on_a_terminal_the_progress_bar_leaves_room_for_the_ctrl_c_echo() {
    // A bar as wide as the terminal leaves the cursor in its last column:
    // the `^C` a terminal echoes on Ctrl+C wraps, the bar is cleared one
    // line too low and stays on screen above the report (seen at 80
    // columns). Four checks at once make the bar's list of ids long.
    let server = Path::new(env!("CARGO_BIN_EXE_server"));
    let dir = tempfile::tempdir().unwrap();
    let args = format!(
        "--only server --jobs 4 --server '{}' --dir '{}'",
        server.display(),
        dir.path().display()
    );
    let Some(out) = grade_on_a_terminal(80, &args) else {
        return;
    };
    // Every frame of the bar: what follows a line start or a carriage
    // return and begins with the spinner (a braille character).
    let frames: Vec<String> = out
        .split(['\n', '\r'])
        .map(|piece| console::strip_ansi_codes(piece).into_owned())
        .filter(|piece| piece.starts_with(|c| ('\u{2800}'..='\u{28ff}').contains(&c)))
        .collect();
    assert!(!frames.is_empty(), "no progress bar drawn:\n{out:?}");
    for frame in &frames {
        let columns = console::measure_text_width(frame);
        assert!(columns <= 77, "a bar frame is {columns} columns: {frame:?}");
    }
}

/// A role name in netlab.toml is quoted on one line: a key with newlines
/// (TOML's "\n") printed forged grader lines after the error (hostile
/// round 6).
#[test]
fn a_role_name_with_newlines_cannot_forge_lines() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("netlab.toml"),
        "lab = \"week01\"\n[commands]\n\"x\\n38 passed, 0 failed\" = \"true\"\n",
    )
    .unwrap();
    netlab()
        .args(["grade", "week01", "--dir"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown role `x\\n38 passed"))
        .stderr(predicate::str::contains("\n38 passed").not());
}

/// The grader's environment reaches a program only for what it needs to
/// run: a CI secret (or anything not a system or toolchain variable) is
/// not passed on, so a program cannot print it into a report (hostile
/// round 7).
#[cfg(unix)]
#[test]
fn secrets_in_the_graders_environment_do_not_reach_the_program() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("netlab.toml"),
        "lab = \"week01\"\n[commands]\nserver = \"sh -c 'echo seen:${GITHUB_TOKEN:-unset}:${NODE_AUTH_TOKEN:-unset}:${DEPLOY_URL:-unset}:${PYTHONDONTWRITEBYTECODE:-unset}:${PATH:+path} >&2; exit 3'\"\n",
    )
    .unwrap();
    netlab()
        .args(["grade", "week01", "--check", "server-listening", "--dir"])
        .arg(dir.path())
        .env("NO_COLOR", "1")
        .env("GITHUB_TOKEN", "ghp_not_for_students")
        .env("NODE_AUTH_TOKEN", "npm_not_for_students")
        .env("DEPLOY_URL", "https://example.invalid/hook")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("seen:unset:unset:unset:1:path"));
}

/// Every program runs in one locale, C.UTF-8, where the machine has it,
/// whatever the grader's own: a verdict must not vary with the locale of
/// whoever grades (blind round 55: a Java server on its default charset).
#[cfg(target_os = "linux")]
#[test]
fn programs_run_in_one_locale_whoever_grades() {
    let installed = ["/usr/lib/locale/C.utf8", "/usr/lib/locale/C.UTF-8"]
        .iter()
        .any(|p| std::path::Path::new(p).is_dir());
    let want = if installed {
        "locale:C.UTF-8:unset:unset"
    } else {
        // Passed on as they are.
        "locale:fr_FR.ISO-8859-1:unset:fr"
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("netlab.toml"),
        "lab = \"week01\"\n[commands]\nserver = \"sh -c 'echo locale:${LANG:-unset}:${LC_ALL:-unset}:${LANGUAGE:-unset} >&2; exit 3'\"\n",
    )
    .unwrap();
    for (name, value) in [("LANG", "fr_FR.ISO-8859-1"), ("LC_ALL", "de_DE")] {
        let mut cmd = netlab();
        cmd.args(["grade", "week01", "--check", "server-listening", "--dir"])
            .arg(dir.path())
            .env("NO_COLOR", "1")
            .env_remove("LANG")
            .env_remove("LC_ALL")
            .env("LANGUAGE", "fr")
            .env(name, value);
        if !installed && name == "LC_ALL" {
            continue;
        }
        cmd.assert().code(1).stdout(predicate::str::contains(want));
    }
}

/// A program of the student's whose ELF interpreter is broken cannot
/// start: `cannot-start`, never netlab's `grader-error` (hostile round 7:
/// exec's EIO was taken for the sandbox's failure).
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[test]
fn a_program_with_a_broken_interpreter_cannot_start() {
    let interp = b"/lib64/ld-linux-x86-64.so.2";
    let Ok(elf) = std::fs::read("/bin/true") else {
        eprintln!("skipped: no /bin/true");
        return;
    };
    let Some(at) = elf.windows(interp.len()).position(|w| w == interp) else {
        eprintln!("skipped: /bin/true has another interpreter");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut patched = elf.clone();
    // Same length, relative to the program's working folder.
    let bad = b"./not-an-elf-interpreter.so";
    assert_eq!(bad.len(), interp.len());
    patched[at..at + bad.len()].copy_from_slice(bad);
    let program = dir.path().join("server");
    std::fs::write(&program, patched).unwrap();
    std::fs::write(dir.path().join("not-an-elf-interpreter.so"), "text\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    for file in ["server", "not-an-elf-interpreter.so"] {
        std::fs::set_permissions(
            dir.path().join(file),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
    }
    std::fs::write(
        dir.path().join("netlab.toml"),
        "lab = \"week01\"\n[commands]\nserver = \"./server\"\n",
    )
    .unwrap();
    netlab()
        .args(["grade", "week01", "--check", "server-listening", "--dir"])
        .arg(dir.path())
        .env("NO_COLOR", "1")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("diagnosis: cannot-start"))
        .stdout(predicate::str::contains("grader-error").not());
}

/// Trusting netlab's own build folder lets a submission run the reference
/// programs: allowed (the tests grade the reference so), never silently
/// (hostile round 21: a netlab.toml naming them scored full marks).
#[test]
fn trusting_netlab_own_folder_is_warned_about() {
    let dir = reference_dir(&[("server", "server")]);
    let builds = Path::new(env!("CARGO_BIN_EXE_netlab")).parent().unwrap();
    netlab()
        .args(["grade", "week01", "--check", "server-listening", "--dir"])
        .arg(dir.path())
        .env("NETLAB_TRUST", builds)
        .assert()
        .success()
        .stderr(predicate::str::contains("holds netlab's own programs"));
    // A folder without them: no warning.
    netlab()
        .args(["grade", "week01", "--check", "server-listening", "--dir"])
        .arg(dir.path())
        .env("NETLAB_TRUST", dir.path())
        .assert()
        .stderr(predicate::str::contains("holds netlab's own programs").not());
}
