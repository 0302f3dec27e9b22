//! What the lab folders' `cargo test` is built on: the stages of a lab,
//! the test names it generates from them, and the `not-implemented`
//! diagnosis a lab's untouched starter gets (real processes, as always).
//!
//! The harness's whole run (the starter fails every check, the reference
//! passes them all, through the lab's own `cargo test`) is proven by
//! scripts/check_lab_wiring.sh; its report layout by the unit tests in
//! src/grade/labtest.rs.

use netlab::grade::week01::role;
use netlab::grade::{checks, labtest, run_check, stages, Diagnosis, Submission};

#[test]
fn week01_stages_follow_the_order_students_build_the_programs() {
    let stages = stages("week01").expect("week01 is a lab");
    let names: Vec<&str> = stages.iter().map(|s| s.name).collect();
    assert_eq!(
        names,
        [
            "server",
            "client",
            "threaded-server",
            "chat-server",
            "chat-client",
            "pair"
        ]
    );
    let numbers: Vec<usize> = stages.iter().map(|s| s.number).collect();
    assert_eq!(numbers, [1, 2, 3, 4, 5, 6]);
    // Every check in exactly one stage, in the grader's order.
    let staged: Vec<&str> = stages
        .iter()
        .flat_map(|s| s.checks.iter().map(|c| c.id))
        .collect();
    let all: Vec<&str> = checks("week01").unwrap().iter().map(|c| c.id).collect();
    assert_eq!(staged, all);
    for stage in &stages {
        assert!(stage.checks.iter().all(|c| c.group == stage.name));
    }
    assert!(netlab::grade::stages("week99").is_none());
}

#[test]
fn a_stage_filter_selects_that_stage_and_no_other() {
    let stages = stages("week01").unwrap();
    let names: Vec<String> = stages
        .iter()
        .flat_map(|s| s.checks.iter().map(move |c| labtest::test_name(s, c, 1)))
        .collect();
    assert!(names.contains(&"stage2-client::client-ack".to_string()));
    for stage in &stages {
        let filter = format!("stage{}", stage.number);
        let picked = names.iter().filter(|n| n.contains(&filter)).count();
        assert_eq!(picked, stage.checks.len(), "`cargo test {filter}`");
    }
}

/// A one-line shell program standing in for a submission's server.
#[cfg(unix)]
fn server_saying(script: &str) -> Submission {
    Submission::new(std::env::temp_dir()).with_argv(role::SERVER, &["sh", "-c", script])
}

#[cfg(unix)]
fn server_listening() -> &'static netlab::grade::Check {
    checks("week01")
        .unwrap()
        .iter()
        .find(|c| c.id == "server-listening")
        .unwrap()
}

#[cfg(unix)]
#[test]
fn a_program_that_says_it_is_not_implemented_is_diagnosed_so_with_its_line() {
    let line = "[SERVER] not implemented yet: open src/bin/server.rs, TODO(week01) step 2";
    let sub = server_saying(&format!("echo '{line}' >&2; exit 1"));
    let outcome = run_check(server_listening(), &sub, 1);
    assert_eq!(outcome.passed, Some(false));
    assert_eq!(outcome.diagnosis, Some(Diagnosis::NotImplemented));
    let observed = outcome.observed.unwrap_or_default();
    assert!(observed.contains(line), "the line is quoted: {observed}");
    assert_eq!(
        outcome.hint.as_deref(),
        Some(Diagnosis::NotImplemented.hint())
    );
}

#[cfg(unix)]
#[test]
fn a_program_that_fails_without_saying_so_keeps_its_own_diagnosis() {
    let sub = server_saying("echo '[SERVER] Error: something else' >&2; exit 1");
    let outcome = run_check(server_listening(), &sub, 1);
    assert_eq!(outcome.passed, Some(false));
    assert_ne!(outcome.diagnosis, Some(Diagnosis::NotImplemented));
}
