//! The grader is language-agnostic in fact: a correct Python submission
//! passes every check, and typical Python mistakes are named.
//!
//! Needs python3. Without it these tests say why and pass, except in CI
//! (the CI variable is set), where .ci/run installs python3 and a missing
//! interpreter is a failure.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use netlab::grade::week01::role;
use netlab::grade::{checks, report, run_checks, Check, Diagnosis, Role, Submission};
use rstest::rstest;

fn python_available() -> bool {
    let found = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 is required in CI (.ci/run installs it)"
        );
        eprintln!("skipped: python3 is not installed");
    }
    found
}

fn submissions() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("submissions")
}

#[test]
fn a_correct_python_submission_passes_every_check() {
    if !python_available() {
        return;
    }
    let dir = submissions().join("week01-python");
    let sub = Submission::from_manifest(&dir, "week01").expect("netlab.toml");
    let all: Vec<&Check> = checks("week01").unwrap().iter().collect();
    let outcomes = run_checks(&all, &sub, 11, 4);
    assert!(
        outcomes.iter().all(|o| o.passed == Some(true)),
        "{}",
        report::render_text("week01", 11, &outcomes, false)
    );
}

/// The handout lists "closed without sending" and "sent nothing" beside the
/// errors that go to stderr: a correct server that prints them there must
/// not be blamed (found by a review with a student-style submission).
#[test]
fn a_server_that_prints_its_session_notes_on_stderr_passes() {
    if !python_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let from = submissions().join("week01-python");
    for name in ["server.py", "config.py"] {
        std::fs::copy(from.join(name), dir.path().join(name)).unwrap();
    }
    let source = std::fs::read_to_string(dir.path().join("server.py")).unwrap();
    let mut changed = source.clone();
    for note in [
        "say(f\"[SERVER] {who} sent nothing within {timeout_text(TIMEOUT)}; closing\")",
        "say(f\"[SERVER] {who} closed without sending\")",
    ] {
        assert!(
            changed.contains(note),
            "server.py changed: `{note}` not found"
        );
        let text = note.trim_start_matches("say(").trim_end_matches(')');
        changed = changed.replace(note, &format!("print({text}, file=sys.stderr, flush=True)"));
    }
    assert_ne!(changed, source);
    std::fs::write(dir.path().join("server.py"), changed).unwrap();
    let sub = Submission::new(dir.path()).with_argv(role::SERVER, &["python3", "server.py"]);
    let server: Vec<&Check> = checks("week01")
        .unwrap()
        .iter()
        .filter(|c| c.group == "server")
        .collect();
    let outcomes = run_checks(&server, &sub, 12, 4);
    assert!(
        outcomes.iter().all(|o| o.passed == Some(true)),
        "{}",
        report::render_text("week01", 12, &outcomes, false)
    );
}

#[test]
fn netlab_grade_on_the_python_folder_exits_0() {
    if !python_available() {
        return;
    }
    let dir = submissions().join("week01-python");
    assert_cmd::Command::cargo_bin("netlab")
        .unwrap()
        .args(["grade", "week01", "--dir"])
        .arg(&dir)
        .timeout(std::time::Duration::from_secs(120))
        .assert()
        .success()
        .stdout(predicates::str::contains("54 passed, 0 failed, 0 skipped"));
}

#[rstest]
#[case::stdout_buffered("server_no_flush.py", role::SERVER, "stdout-buffered")]
#[case::empty_recv("server_no_empty_check.py", role::SERVER, "empty-recv")]
#[case::invalid_utf8("server_decode_crash.py", role::SERVER, "invalid-utf8")]
#[case::client_timeout("client_no_timeout.py", role::CLIENT, "client-timeout")]
#[case::client_fixed_timeout("client_fixed_timeout.py", role::CLIENT, "ignores-config")]
#[case::client_timeout_own_words("client_timeout_own_words.py", role::CLIENT, "output-format")]
#[case::server_fixed_timeout("server_fixed_timeout.py", role::SERVER, "ignores-config")]
#[case::server_timeout_uncaught("server_timeout_uncaught.py", role::SERVER, "crash")]
#[case::shared_state("server_threaded_shared.py", role::THREADED_SERVER, "shared-state")]
#[case::connection_race("server_threaded_conn_race.py", role::THREADED_SERVER, "shared-state")]
#[case::accept_timeout(
    "server_threaded_accept_timeout.py",
    role::THREADED_SERVER,
    "exits-early"
)]
#[case::wordy_errors("server_wordy_errors.py", role::SERVER, "wrong-reply")]
#[case::reply_in_pieces("server_reply_in_pieces.py", role::SERVER, "wrong-reply")]
#[case::half_close("server_half_close.py", role::SERVER, "hangs")]
#[case::recycles("server_threaded_recycles.py", role::THREADED_SERVER, "exits-early")]
#[case::reuseport("server_reuseport.py", role::SERVER, "port-in-use")]
#[case::exit_after_signal("server_threaded_exit_signal.py", role::THREADED_SERVER, "exit-status")]
#[case::chat_client_no_i_mode("chat_client_no_i_mode.py", role::CHAT_CLIENT, "wrong-message")]
fn a_python_mistake_is_named(#[case] script: &str, #[case] role: Role, #[case] code: &str) {
    if !python_available() {
        return;
    }
    let dir = submissions().join("week01-python-mistakes");
    let sub = Submission::new(&dir).with_argv(role, &["python3", script]);
    let selected: Vec<&Check> = checks("week01")
        .unwrap()
        .iter()
        .filter(|c| c.group == role.name())
        .collect();
    let outcomes = run_checks(&selected, &sub, 5, 4);
    let named: BTreeSet<&str> = outcomes
        .iter()
        .filter_map(|o| o.diagnosis.map(Diagnosis::code))
        .collect();
    assert_eq!(
        named,
        BTreeSet::from([code]),
        "{}",
        report::render_text("week01", 5, &outcomes, false)
    );
}

/// A chat client with no -i mode that sends its arguments joined, with no
/// newline, and leaves at once: at a terminal, its `-i` waits in the fake
/// server's backlog after it ended. That is what it sent, not a death
/// before connecting nor "it ended before it showed a prompt".
#[cfg(unix)]
#[test]
fn a_chat_client_without_an_i_mode_is_told_so_at_a_terminal() {
    if !python_available() {
        return;
    }
    let outcomes = assert_checks_name(
        role::CHAT_CLIENT,
        "chat_client_no_i_mode.py",
        &["chat-client-prompt"],
        "wrong-message",
        "it sent `-i` to the server",
    );
    assert!(
        outcomes[0]
            .observed
            .as_deref()
            .is_some_and(|o| o.contains("it sent `-i` to the server")),
        "{:?}",
        outcomes[0].observed
    );
}

/// A threaded server that ends by a rule of its own after some clients
/// (exit 0, no traceback) is told it may be a counter; one whose accept()
/// timed out keeps that story alone (the grader saw its cause).
#[test]
fn a_threaded_server_that_retires_is_told_its_rule_only_when_no_cause_was_seen() {
    if !python_available() {
        return;
    }
    assert_checks_name(
        role::THREADED_SERVER,
        "server_threaded_recycles.py",
        &["threaded-all-day"],
        "exits-early",
        "it runs until Ctrl+C, however many clients come (a counter that ends the loop",
    );
    let outcomes = assert_checks_name(
        role::THREADED_SERVER,
        "server_threaded_accept_timeout.py",
        &["threaded-all-day"],
        "exits-early",
        "when its accept() timed out",
    );
    let observed = outcomes[0].observed.as_deref().unwrap_or_default();
    assert!(!observed.contains("a counter"), "{observed}");
}

/// One recv() taken as one message, behind a pause before each read: the
/// two parts of a split line wait together in its socket by the time it
/// reads. The check sends the second part only once the first has been
/// read (its receive queue says so): a pause alone let this pass, and
/// any server slow to be scheduled on a loaded machine (hostile round 11).
#[cfg(target_os = "linux")]
#[test]
fn a_framing_mistake_hidden_behind_a_pause_is_still_named() {
    if !python_available() {
        return;
    }
    assert_checks_name(
        role::CHAT_SERVER,
        "chat_server_slow_reads.py",
        &["chat-split"],
        "split-message",
        "one TCP read taken for one message",
    );
}

/// A line buffer of text, each read decoded before the lines are cut out:
/// chat-split's second line, cut between the two bytes of an `é`, is
/// refused twice as invalid UTF-8 (blind rounds 25 and 26: the ASCII split
/// passed it).
#[cfg(target_os = "linux")]
#[test]
fn a_read_decoded_on_its_own_is_a_framing_mistake() {
    if !python_available() {
        return;
    }
    assert_checks_name(
        role::CHAT_SERVER,
        "chat_server_decode_per_read.py",
        &["chat-split"],
        "split-message",
        "each read was decoded on its own",
    );
}

/// Lines read through `sock.makefile("r")`: universal newlines end a line
/// at a lone `\r` too, and chat-coalesced's line with a `\r` in its
/// middle gets the ACK of its first part (blind round 27: passed).
#[test]
fn a_line_ended_at_a_carriage_return_is_a_framing_mistake() {
    if !python_available() {
        return;
    }
    assert_checks_name(
        role::CHAT_SERVER,
        "chat_server_makefile.py",
        &["chat-coalesced"],
        "split-message",
        "the server ended the line at the \\r",
    );
}

/// A chat room: every ACK sent to every caller connected. One caller at a
/// time shows nothing; chat-sessions connects a second beside the first,
/// which must get nothing of the second's line (blind round 27: caught
/// only by chance).
#[test]
fn a_reply_sent_to_every_caller_is_a_wrong_reply() {
    if !python_available() {
        return;
    }
    assert_checks_name(
        role::CHAT_SERVER,
        "chat_server_broadcast.py",
        &["chat-sessions"],
        "wrong-reply",
        "a reply meant for another caller",
    );
}

/// A chat server that never takes a departed caller's socket out of its
/// select() list: it spins, printing `Closed connection` again and again,
/// while it serves the others (blind round 35: every check passed).
#[test]
fn a_chat_server_that_spins_on_a_closed_caller_is_told_so() {
    if !python_available() {
        return;
    }
    assert_checks_name(
        role::CHAT_SERVER,
        "chat_server_spins.py",
        &["chat-sessions"],
        "empty-recv",
        "a loop that keeps reading 0 bytes",
    );
}

/// A client that prints the reply it expects whatever came, beside a
/// stderr note about a busy server at every run: client-error-reply names
/// the invented line (hostile round 39: the note passed it).
#[test]
fn a_busy_note_does_not_pass_an_invented_reply() {
    if !python_available() {
        return;
    }
    assert_checks_name(
        role::CLIENT,
        "client_busy_note.py",
        &["client-error-reply"],
        "invented-reply",
        "the reply it expected, not the one it received",
    );
}

/// A chat server that drops its fifth caller unread (a limit of its own
/// on sessions): chat-sessions' slow typist gets no reply, told as a
/// caller dropped (blind round 31: it passed, the first line's reply
/// unjudged).
#[test]
fn a_chat_caller_dropped_unread_is_told_so() {
    if !python_available() {
        return;
    }
    let outcomes = assert_checks_name(
        role::CHAT_SERVER,
        "chat_server_session_limit.py",
        &["chat-sessions"],
        "exits-early",
        "it dropped this caller without reading it",
    );
    assert!(
        outcomes[0]
            .hint
            .as_deref()
            .is_some_and(|h| h.contains("a limit on connections")),
        "{:?}",
        outcomes[0].hint
    );
}

/// A chat client whose -i mode reads every line before it connects:
/// through a pipe it passes, at a terminal nothing typed is sent until the
/// input ends (blind round 31: "it never connected", with wrong-message's
/// hint about the arguments; round 32: its own code, reads-ahead).
#[cfg(unix)]
#[test]
fn a_chat_client_that_reads_every_line_before_connecting_is_told_so() {
    if !python_available() {
        return;
    }
    let outcomes = assert_checks_name(
        role::CHAT_CLIENT,
        "chat_client_reads_first.py",
        &["chat-client-prompt"],
        "reads-ahead",
        "it reads its lines before it connects",
    );
    assert!(
        outcomes[0]
            .steps
            .iter()
            .any(|s| s.contains("a prompt shows, but it has not connected")),
        "{:?}",
        outcomes[0].steps
    );
}

/// A timeout written in the code gets advice on LAB_TIMEOUT alone (and
/// its unit), not ignores-config's general hint about every variable
/// (blind round 31).
#[test]
fn a_fixed_timeout_gets_the_timeouts_own_hint() {
    if !python_available() {
        return;
    }
    for (role, script, id) in [
        (
            role::SERVER,
            "server_fixed_timeout.py",
            "server-silent-client",
        ),
        (role::CLIENT, "client_fixed_timeout.py", "client-timeout"),
    ] {
        let outcomes = assert_checks_name(role, script, &[id], "ignores-config", "LAB_TIMEOUT=1");
        assert!(
            outcomes[0]
                .hint
                .as_deref()
                .is_some_and(|h| h.starts_with("Read LAB_TIMEOUT (whole seconds)")),
            "{script}: {:?}",
            outcomes[0].hint
        );
    }
}

/// Runs the checks `ids` on the mistakes folder's `script` in `role` and
/// asserts each fails as `code`, with `says` in the report; returns the
/// outcomes, in check order.
#[track_caller]
fn assert_checks_name(
    role: Role,
    script: &str,
    ids: &[&str],
    code: &str,
    says: &str,
) -> Vec<netlab::grade::Outcome> {
    let dir = submissions().join("week01-python-mistakes");
    let sub = Submission::new(&dir).with_argv(role, &["python3", script]);
    let selected: Vec<&Check> = checks("week01")
        .unwrap()
        .iter()
        .filter(|c| ids.contains(&c.id))
        .collect();
    assert_eq!(selected.len(), ids.len());
    let outcomes = run_checks(&selected, &sub, 5, 2);
    let text = report::render_text("week01", 5, &outcomes, false);
    for o in &outcomes {
        assert_eq!(o.passed, Some(false), "{}: {text}", o.id);
        assert_eq!(
            o.diagnosis.map(Diagnosis::code),
            Some(code),
            "{}: {text}",
            o.id
        );
    }
    assert!(text.contains(says), "{text}");
    outcomes
}

/// A server that never reads LAB_PORT and prints without flush: while it
/// runs, its stdout shows nothing, yet the socket table shows it listening
/// on a port other than the one it was given. That is `ignores-config`,
/// not "still running, so it mishandled the port in use".
#[test]
fn a_server_that_ignores_lab_port_is_named_even_when_its_stdout_is_buffered() {
    if !python_available() {
        return;
    }
    assert_checks_name(
        role::SERVER,
        "server_ignores_port.py",
        &["server-port-in-use"],
        "ignores-config",
        "socket table",
    );
}

/// A server that handles every case but ends each reply in `\r\n`: in the
/// blank and too-long checks that is a wrong reply (the framing), not
/// "blank messages are not rejected" (it rejected them).
#[test]
fn a_right_error_reply_with_a_line_end_is_a_wrong_reply() {
    if !python_available() {
        return;
    }
    assert_checks_name(
        role::SERVER,
        "server_crlf_replies.py",
        &["server-ack", "server-blank", "server-too-long"],
        "wrong-reply",
        "a line end the contract does not have",
    );
}

/// A reply sent in two writes far apart: the finding's hint is the advice
/// for that cause (one write of the whole reply), not wrong-reply's general
/// hint about building replies from the bytes received (blind round 28).
#[test]
fn a_reply_in_pieces_gets_the_advice_for_pieces() {
    if !python_available() {
        return;
    }
    let outcomes = assert_checks_name(
        role::SERVER,
        "server_reply_in_pieces.py",
        &["server-ack"],
        "wrong-reply",
        "the right reply, but in pieces",
    );
    let hint = outcomes[0].hint.as_deref().unwrap_or_default();
    assert!(hint.starts_with("Build the whole reply first"), "{hint}");
    assert_ne!(hint, Diagnosis::WrongReply.hint());
}

/// A one-shot server that, at its timeout, closes only its sending side
/// and waits for the silent client to hang up (Node's `end()`): a hang,
/// told as a half-close with the advice for it (blind round 28: the
/// general hint spoke of loops and a second accept()).
#[test]
fn a_half_closed_silent_client_is_told_apart_from_a_loop() {
    if !python_available() {
        return;
    }
    let outcomes = assert_checks_name(
        role::SERVER,
        "server_half_close.py",
        &["server-silent-client"],
        "hangs",
        "it waited for the client's FIN",
    );
    let hint = outcomes[0].hint.as_deref().unwrap_or_default();
    assert!(hint.contains("socket.destroy()"), "{hint}");
}
