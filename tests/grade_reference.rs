//! The reference programs pass every Week 1 check of the grader.
//!
//! One rstest case per check, so a failure names the check; each case runs
//! the real reference binaries as processes, as the grader does for any
//! submission. `every_check_is_listed` keeps the list complete.

use netlab::grade::week01::role;
use netlab::grade::{assert_check, check_ids, Submission};
use rstest::rstest;

/// The reference binaries, built by cargo for this test.
fn reference() -> Submission {
    Submission::new(env!("CARGO_MANIFEST_DIR"))
        .with_program(role::SERVER, env!("CARGO_BIN_EXE_server"))
        .with_program(role::CLIENT, env!("CARGO_BIN_EXE_client"))
        .with_program(role::THREADED_SERVER, env!("CARGO_BIN_EXE_server_threaded"))
        .with_program(role::CHAT_SERVER, env!("CARGO_BIN_EXE_chat_server"))
        .with_program(role::CHAT_CLIENT, env!("CARGO_BIN_EXE_chat_client"))
}

const LISTED: &[&str] = &[
    "server-listening",
    "server-ack",
    "server-config",
    "server-empty-recv",
    "server-silent-client",
    "server-blank",
    "server-too-long",
    "server-length-limit",
    "server-trim",
    "server-escapes",
    "server-invalid-utf8",
    "server-port-in-use",
    "server-restart",
    "client-ack",
    "client-config",
    "client-default-message",
    "client-one-connection",
    "client-error-reply",
    "client-refused",
    "client-timeout",
    "client-no-reply",
    "client-empty-arg",
    "client-extra-words",
    "threaded-listening",
    "threaded-ack",
    "threaded-all-day",
    "threaded-many",
    "threaded-concurrency",
    "threaded-busy",
    "threaded-silent-client",
    "threaded-escapes",
    "threaded-reset",
    "threaded-shutdown",
    "threaded-shutdown-inflight",
    "chat-listening",
    "chat-ack",
    "chat-split",
    "chat-coalesced",
    "chat-sessions",
    "chat-robust",
    "chat-reset",
    "chat-limits",
    "chat-log",
    "chat-log-format",
    "chat-log-append",
    "chat-shutdown",
    "chat-client-messages",
    "chat-client-default",
    "chat-client-interactive",
    "chat-client-prompt",
    "chat-client-framing",
    "chat-client-no-reply",
    "pair-session",
    "pair-chat",
];

#[rstest]
#[case::server_listening("server-listening")]
#[case::server_ack("server-ack")]
#[case::server_config("server-config")]
#[case::server_empty_recv("server-empty-recv")]
#[case::server_silent_client("server-silent-client")]
#[case::server_blank("server-blank")]
#[case::server_too_long("server-too-long")]
#[case::server_length_limit("server-length-limit")]
#[case::server_trim("server-trim")]
#[case::server_escapes("server-escapes")]
#[case::server_invalid_utf8("server-invalid-utf8")]
#[case::server_port_in_use("server-port-in-use")]
#[case::server_restart("server-restart")]
#[case::client_ack("client-ack")]
#[case::client_config("client-config")]
#[case::client_default_message("client-default-message")]
#[case::client_one_connection("client-one-connection")]
#[case::client_error_reply("client-error-reply")]
#[case::client_refused("client-refused")]
#[case::client_timeout("client-timeout")]
#[case::client_no_reply("client-no-reply")]
#[case::client_empty_arg("client-empty-arg")]
#[case::client_extra_words("client-extra-words")]
#[case::threaded_listening("threaded-listening")]
#[case::threaded_ack("threaded-ack")]
#[case::threaded_all_day("threaded-all-day")]
#[case::threaded_many("threaded-many")]
#[case::threaded_concurrency("threaded-concurrency")]
#[case::threaded_busy("threaded-busy")]
#[case::threaded_silent_client("threaded-silent-client")]
#[case::threaded_escapes("threaded-escapes")]
#[case::threaded_reset("threaded-reset")]
#[case::threaded_shutdown("threaded-shutdown")]
#[case::threaded_shutdown_inflight("threaded-shutdown-inflight")]
#[case::chat_listening("chat-listening")]
#[case::chat_ack("chat-ack")]
#[case::chat_split("chat-split")]
#[case::chat_coalesced("chat-coalesced")]
#[case::chat_sessions("chat-sessions")]
#[case::chat_robust("chat-robust")]
#[case::chat_reset("chat-reset")]
#[case::chat_limits("chat-limits")]
#[case::chat_log("chat-log")]
#[case::chat_log_format("chat-log-format")]
#[case::chat_log_append("chat-log-append")]
#[case::chat_shutdown("chat-shutdown")]
#[case::chat_client_messages("chat-client-messages")]
#[case::chat_client_default("chat-client-default")]
#[case::chat_client_interactive("chat-client-interactive")]
#[case::chat_client_prompt("chat-client-prompt")]
#[case::chat_client_framing("chat-client-framing")]
#[case::chat_client_no_reply("chat-client-no-reply")]
#[case::pair_session("pair-session")]
#[case::pair_chat("pair-chat")]
fn the_reference_passes(#[case] id: &str) {
    assert_check("week01", id, &reference());
}

#[test]
fn every_check_is_listed() {
    assert_eq!(
        check_ids("week01"),
        LISTED,
        "add the new check to LISTED and to the cases above"
    );
}
