//! The mistake catalogue: every diagnosis is caught on a program that
//! makes exactly that mistake, and nothing else is blamed.
//!
//! The broken programs are one student-style example,
//! `examples/week01_mistakes/`, run as `week01_mistakes ROLE --mistake CODE`
//! (cargo builds examples for `cargo test`). Without `--mistake` it is a
//! second, independent correct submission, which must pass every check.

use std::collections::BTreeSet;
use std::path::PathBuf;

use netlab::grade::week01::{self, role};
use netlab::grade::{checks, report, run_checks, Check, Diagnosis, Role, Submission};
use rstest::rstest;

/// target/debug/examples/week01_mistakes, next to this test's deps folder.
fn mistakes_program() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let debug = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/debug");
    debug
        .join("examples")
        .join(format!("week01_mistakes{}", std::env::consts::EXE_SUFFIX))
}

/// A submission where `role` runs the catalogue program with `mistake`.
fn submission(roles: &[Role], mistake: Option<&str>) -> Submission {
    let program = mistakes_program();
    assert!(
        program.exists(),
        "{} is missing: cargo test builds it",
        program.display()
    );
    let program = program.to_string_lossy().into_owned();
    let mut sub = Submission::new(env!("CARGO_MANIFEST_DIR"));
    for role in roles {
        let mut argv = vec![program.as_str(), role.name()];
        if let Some(code) = mistake {
            argv.extend(["--mistake", code]);
        }
        sub = sub.with_argv(*role, &argv);
    }
    sub
}

fn week01_checks(group: Option<&str>) -> Vec<&'static Check> {
    checks("week01")
        .expect("week01 checks")
        .iter()
        .filter(|c| group.is_none_or(|g| c.group == g))
        .collect()
}

#[rstest]
#[case::output_format("output-format", role::SERVER, &["output-format"])]
#[case::wrong_reply("wrong-reply", role::SERVER, &["wrong-reply"])]
#[case::missing_listen("missing-listen", role::SERVER, &["missing-listen"])]
#[case::port_in_use("port-in-use", role::SERVER, &["port-in-use"])]
#[case::no_reuseaddr("no-reuseaddr", role::SERVER, &["no-reuseaddr"])]
#[case::empty_recv("empty-recv", role::SERVER, &["empty-recv"])]
#[case::blank_message("blank-message", role::SERVER, &["blank-message"])]
#[case::too_long("too-long", role::SERVER, &["too-long"])]
#[case::invalid_utf8("invalid-utf8", role::SERVER, &["invalid-utf8"])]
#[case::no_close("no-close", role::SERVER, &["no-close"])]
#[case::server_timeout("server-timeout", role::SERVER, &["server-timeout"])]
#[case::stdout_buffered("stdout-buffered", role::SERVER, &["stdout-buffered"])]
#[case::exit_status("exit-status", role::SERVER, &["exit-status"])]
#[case::ignores_config("ignores-config", role::SERVER, &["ignores-config"])]
#[case::client_refused("client-refused", role::CLIENT, &["client-refused"])]
#[case::client_timeout("client-timeout", role::CLIENT, &["client-timeout"])]
#[case::client_eof("client-eof", role::CLIENT, &["client-eof"])]
#[case::wrong_message("wrong-message", role::CLIENT, &["wrong-message"])]
#[case::empty_argument("empty-argument", role::CLIENT, &["empty-argument"])]
#[case::extra_arguments("extra-arguments", role::CLIENT, &["extra-arguments"])]
#[case::invented_reply("invented-reply", role::CLIENT, &["invented-reply"])]
#[case::extra_connection("extra-connection", role::CLIENT, &["extra-connection"])]
#[case::no_concurrency("no-concurrency", role::THREADED_SERVER, &["no-concurrency"])]
#[case::busy_cap("busy-cap", role::THREADED_SERVER, &["busy-cap"])]
#[case::busy_leak("busy-leak", role::THREADED_SERVER, &["busy-leak"])]
#[case::server_timeout_threaded("server-timeout", role::THREADED_SERVER, &["server-timeout"])]
#[case::no_graceful_shutdown_threaded("no-graceful-shutdown", role::THREADED_SERVER, &["no-graceful-shutdown"])]
#[case::no_graceful_shutdown_chat("no-graceful-shutdown", role::CHAT_SERVER, &["no-graceful-shutdown"])]
#[case::split_message_server("split-message", role::CHAT_SERVER, &["split-message"])]
#[case::split_message_client("split-message", role::CHAT_CLIENT, &["split-message"])]
#[case::session_limit("session-limit", role::CHAT_SERVER, &["session-limit"])]
#[case::stdout_buffered_prompt("stdout-buffered", role::CHAT_CLIENT, &["stdout-buffered"])]
#[case::lost_message("lost-message", role::CHAT_SERVER, &["lost-message"])]
#[case::log_overwritten("log-overwritten", role::CHAT_SERVER, &["log-overwritten"])]
#[case::exits_early("exits-early", role::CHAT_SERVER, &["exits-early"])]
#[case::crash("crash", role::CHAT_SERVER, &["crash"])]
fn each_mistake_is_named_and_nothing_else(
    #[case] mistake: &str,
    #[case] role: Role,
    #[case] expected: &[&str],
) {
    let sub = submission(&[role], Some(mistake));
    let seed = 20261121;
    let outcomes = run_checks(&week01_checks(Some(role.name())), &sub, seed, 4);
    let named: BTreeSet<&str> = outcomes
        .iter()
        .filter_map(|o| o.diagnosis.map(Diagnosis::code))
        .collect();
    let expected: BTreeSet<&str> = expected.iter().copied().collect();
    assert_eq!(
        named,
        expected,
        "`week01_mistakes {} --mistake {mistake}` was diagnosed wrongly:\n{}",
        role.name(),
        report::render_text("week01", seed, &outcomes, false)
    );
    for o in outcomes.iter().filter(|o| o.passed == Some(false)) {
        let d = o.diagnosis.expect("a failure has a diagnosis");
        // The diagnosis's own hint, or advice for the exact cause the check
        // saw (`Failure::hinted`), never none.
        let hint = o.hint.as_deref().unwrap_or_default();
        assert!(
            hint == d.hint() || hint.len() > 40,
            "{}: a failure has a hint for its diagnosis: {hint:?}",
            o.id
        );
        assert!(
            !o.steps.is_empty() && o.observed.is_some(),
            "{}: a failure tells its story",
            o.id
        );
    }
}

#[test]
fn the_catalogue_without_mistakes_passes_every_check() {
    let sub = submission(week01::LAB.roles, None);
    let outcomes = run_checks(&week01_checks(None), &sub, 7, 4);
    let failed: Vec<_> = outcomes.iter().filter(|o| o.passed != Some(true)).collect();
    assert!(
        failed.is_empty(),
        "the correct student-style submission must pass:\n{}",
        report::render_text("week01", 7, &outcomes, false)
    );
}

#[test]
fn every_diagnosis_has_a_catalogue_case_or_a_cli_test() {
    let source = include_str!("grade_catalogue.rs");
    // Mistakes only real, several-at-once code shows (a start-up failure,
    // a program that goes on after its session) are proven on the
    // real-code fixtures.
    let real = include_str!("grade_real.rs");
    // cannot-start is proven in grade_cli.rs with a program that does not
    // exist; not-implemented in grade_lab_harness.rs with a program that says
    // so; grader-error names a bug of netlab's, which no submission causes;
    // resource-limit is proven in grade_sandbox.rs with hostile fixtures.
    let elsewhere = [
        "cannot-start",
        "not-implemented",
        "grader-error",
        "resource-limit",
    ];
    for d in Diagnosis::ALL
        .iter()
        .filter(|d| !elsewhere.contains(&d.code()))
    {
        let case = format!("#[case::{}(\"{}\"", d.code().replace('-', "_"), d.code());
        let variant = format!("(\"{}\", role::", d.code());
        assert!(
            source.contains(&case)
                || source.contains(&variant)
                || real.contains(&format!(", \"{}\")", d.code())),
            "no catalogue case for `{}`: add a mistake to examples/week01_mistakes and a case here",
            d.code()
        );
    }
}
