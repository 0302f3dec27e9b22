//! Week 1 (TCP client–server): the checks, one module per role.
//!
//! The contract they check is the one in the Week 1 handout
//! (labs/week01-tcp-client-server/README.md). Every check must pass for
//! *any* correct implementation, in any language: compare what the
//! contract fixes (lines, replies, statuses), allow what it leaves open
//! (extra console lines, timing within generous bounds).

mod chat;
mod client;
mod common;
mod pair;
mod server;
mod threaded;

use super::contract::{Contract, Transport};
use super::lab::{Lab, Role, RoleSpec, SessionEnd};
use super::Check;

/// Week 1 for the grader: its checks, its contract and its roles.
pub static LAB: Lab = Lab {
    slug: "week01",
    checks: CHECKS,
    contract: &CONTRACT,
    roles: &[
        role::SERVER,
        role::CLIENT,
        role::THREADED_SERVER,
        role::CHAT_SERVER,
        role::CHAT_CLIENT,
    ],
};

/// Week 1's programs, as the handout names them.
pub mod role {
    use super::{Role, RoleSpec, SessionEnd, CONTRACT};

    /// A role of Week 1 (`rank`: its place in [`super::LAB`]'s list).
    const fn week01(
        name: &'static str,
        rank: u8,
        line_check: Option<&'static str>,
        config_check: Option<&'static str>,
        sessions: SessionEnd,
    ) -> RoleSpec {
        RoleSpec {
            lab: "week01",
            name,
            rank,
            line_check,
            config_check,
            sessions,
            contract: &CONTRACT,
        }
    }

    /// The one-shot server: one client, one message, then it exits.
    pub const SERVER: Role = Role::of(&SERVER_SPEC);
    static SERVER_SPEC: RoleSpec = week01(
        "server",
        0,
        Some("server-listening"),
        Some("server-config"),
        SessionEnd::ServerCloses,
    );
    /// The client: sends one message and prints the reply.
    pub const CLIENT: Role = Role::of(&CLIENT_SPEC);
    static CLIENT_SPEC: RoleSpec = week01(
        "client",
        1,
        None,
        Some("client-config"),
        SessionEnd::ServerCloses,
    );
    /// The threaded server: many clients at once, up to LAB_MAX_CLIENTS.
    pub const THREADED_SERVER: Role = Role::of(&THREADED_SERVER_SPEC);
    static THREADED_SERVER_SPEC: RoleSpec = week01(
        "threaded-server",
        2,
        Some("threaded-listening"),
        None,
        SessionEnd::ServerCloses,
    );
    /// The chat server: keeps each session open until its client leaves.
    pub const CHAT_SERVER: Role = Role::of(&CHAT_SERVER_SPEC);
    static CHAT_SERVER_SPEC: RoleSpec = week01(
        "chat-server",
        3,
        Some("chat-listening"),
        None,
        SessionEnd::ClientCloses,
    );
    /// The chat client: lines from stdin, one ACK each.
    pub const CHAT_CLIENT: Role = Role::of(&CHAT_CLIENT_SPEC);
    static CHAT_CLIENT_SPEC: RoleSpec =
        week01("chat-client", 4, None, None, SessionEnd::ServerCloses);
}

/// What the harness needs of the Week 1 contract: the Listening line, the
/// port variable, and the environment every program starts with (the
/// handout's variables, with the grader's short timeout and a cap far
/// above what a check uses).
pub static CONTRACT: Contract = Contract {
    transport: Transport::Tcp,
    announce: "[SERVER] Listening on ",
    announce_words: &["listening", "[server]"],
    host_var: "LAB_HOST",
    port_var: "LAB_PORT",
    env: &[
        ("LAB_HOST", "127.0.0.1"),
        ("LAB_PORT", "0"),
        ("LAB_BUFFER_SIZE", "1024"),
        ("LAB_TIMEOUT", "2"),
        ("LAB_MAX_CLIENTS", "64"),
    ],
};

const SERVER: &[Role] = &[role::SERVER];
const CLIENT: &[Role] = &[role::CLIENT];
const THREADED: &[Role] = &[role::THREADED_SERVER];
const CHAT_SERVER: &[Role] = &[role::CHAT_SERVER];
const CHAT_CLIENT: &[Role] = &[role::CHAT_CLIENT];

macro_rules! check {
    ($id:literal, $group:literal, $needs:expr, $title:literal, $run:path) => {
        check!($id, $group, $needs, $title, $run, false)
    };
    ($id:literal, $group:literal, $needs:expr, $title:literal, $run:path, $unix:expr) => {
        Check {
            id: $id,
            group: $group,
            title: $title,
            needs: $needs,
            unix_only: $unix,
            run: $run,
        }
    };
}

/// Every Week 1 check, in report order.
pub static CHECKS: &[Check] = &[
    check!(
        "server-listening",
        "server",
        SERVER,
        "announces the real port and accepts",
        server::listening
    ),
    check!(
        "server-ack",
        "server",
        SERVER,
        "one session: ACK, the five lines, exit 0",
        server::ack
    ),
    check!(
        "server-config",
        "server",
        SERVER,
        "uses the LAB_HOST, LAB_PORT and LAB_BUFFER_SIZE it is given",
        server::config
    ),
    check!(
        "server-empty-recv",
        "server",
        SERVER,
        "a client that closes without sending",
        server::empty_recv
    ),
    check!(
        "server-silent-client",
        "server",
        SERVER,
        "a client that sends nothing (LAB_TIMEOUT)",
        server::silent_client
    ),
    check!(
        "server-blank",
        "server",
        SERVER,
        "a whitespace-only message",
        server::blank
    ),
    check!(
        "server-too-long",
        "server",
        SERVER,
        "a message of 101 characters, and a longer one",
        server::too_long
    ),
    check!(
        "server-length-limit",
        "server",
        SERVER,
        "a 100-character message is fine",
        server::length_limit
    ),
    check!(
        "server-trim",
        "server",
        SERVER,
        "spaces and a line end around a message are trimmed",
        server::trim
    ),
    check!(
        "server-escapes",
        "server",
        SERVER,
        "control characters in a message are printed escaped",
        server::escapes
    ),
    check!(
        "server-invalid-utf8",
        "server",
        SERVER,
        "bytes that are not UTF-8",
        server::invalid_utf8
    ),
    check!(
        "server-port-in-use",
        "server",
        SERVER,
        "a port that is already taken",
        server::port_in_use
    ),
    check!(
        "server-restart",
        "server",
        SERVER,
        "restarts on its port at once (TIME_WAIT)",
        server::restart
    ),
    check!(
        "client-ack",
        "client",
        CLIENT,
        "sends its argument, prints the four lines",
        client::ack
    ),
    check!(
        "client-config",
        "client",
        CLIENT,
        "connects to the LAB_HOST and LAB_PORT it is given",
        client::config
    ),
    check!(
        "client-default-message",
        "client",
        CLIENT,
        "sends Hello Server by default",
        client::default_message
    ),
    check!(
        "client-one-connection",
        "client",
        CLIENT,
        "one connection for its one session",
        client::one_connection
    ),
    check!(
        "client-error-reply",
        "client",
        CLIENT,
        "prints the reply it got, whatever it says",
        client::error_reply
    ),
    check!(
        "client-refused",
        "client",
        CLIENT,
        "nothing listening: clear error, exit 1",
        client::refused
    ),
    check!(
        "client-timeout",
        "client",
        CLIENT,
        "a server that never replies (LAB_TIMEOUT)",
        client::timeout
    ),
    check!(
        "client-no-reply",
        "client",
        CLIENT,
        "a server that closes without replying",
        client::no_reply
    ),
    check!(
        "client-empty-arg",
        "client",
        CLIENT,
        "an empty message is a usage error",
        client::empty_arg
    ),
    check!(
        "client-extra-words",
        "client",
        CLIENT,
        "several unquoted words are a usage error",
        client::extra_words
    ),
    check!(
        "threaded-listening",
        "threaded-server",
        THREADED,
        "announces the real port",
        threaded::listening
    ),
    check!(
        "threaded-ack",
        "threaded-server",
        THREADED,
        "serves clients one after another",
        threaded::ack
    ),
    check!(
        "threaded-all-day",
        "threaded-server",
        THREADED,
        "keeps serving: 33 clients in a row, one more after a pause",
        threaded::all_day
    ),
    check!(
        "threaded-many",
        "threaded-server",
        THREADED,
        "eight clients at once each get their own reply",
        threaded::many
    ),
    check!(
        "threaded-concurrency",
        "threaded-server",
        THREADED,
        "idle clients do not delay another, up to the cap and no further",
        threaded::concurrency
    ),
    check!(
        "threaded-busy",
        "threaded-server",
        THREADED,
        "refuses clients beyond LAB_MAX_CLIENTS",
        threaded::busy
    ),
    check!(
        "threaded-silent-client",
        "threaded-server",
        THREADED,
        "a client that sends nothing is let go (LAB_TIMEOUT)",
        threaded::silent_client
    ),
    check!(
        "threaded-escapes",
        "threaded-server",
        THREADED,
        "control characters in a message are printed escaped",
        threaded::escapes
    ),
    check!(
        "threaded-reset",
        "threaded-server",
        THREADED,
        "clients that reset their connection leave it serving",
        threaded::reset
    ),
    check!(
        "threaded-shutdown",
        "threaded-server",
        THREADED,
        "SIGINT: Shutting down, exit 0, port free",
        threaded::shutdown,
        true
    ),
    check!(
        "threaded-shutdown-inflight",
        "threaded-server",
        THREADED,
        "SIGTERM lets a client in flight finish",
        threaded::shutdown_inflight,
        true
    ),
    check!(
        "chat-listening",
        "chat-server",
        CHAT_SERVER,
        "announces the real port",
        chat::listening
    ),
    check!(
        "chat-ack",
        "chat-server",
        CHAT_SERVER,
        "acknowledges each line with a timestamp",
        chat::ack
    ),
    check!(
        "chat-split",
        "chat-server",
        CHAT_SERVER,
        "a line split over two segments is one message",
        chat::split
    ),
    check!(
        "chat-coalesced",
        "chat-server",
        CHAT_SERVER,
        "two lines in one segment are two messages",
        chat::coalesced
    ),
    check!(
        "chat-sessions",
        "chat-server",
        CHAT_SERVER,
        "serves sessions one after another",
        chat::sessions
    ),
    check!(
        "chat-robust",
        "chat-server",
        CHAT_SERVER,
        "survives bad bytes and a half-sent line",
        chat::robust
    ),
    check!(
        "chat-reset",
        "chat-server",
        CHAT_SERVER,
        "callers that reset their connection leave it serving",
        chat::reset
    ),
    check!(
        "chat-limits",
        "chat-server",
        CHAT_SERVER,
        "an endless or trickling line ends the session",
        chat::limits
    ),
    check!(
        "chat-log",
        "chat-server",
        CHAT_SERVER,
        "acknowledged messages survive a kill (--log)",
        chat::log,
        true
    ),
    check!(
        "chat-log-format",
        "chat-server",
        CHAT_SERVER,
        "each log line is `<time> <client> <message>`",
        chat::log_format,
        true
    ),
    check!(
        "chat-log-append",
        "chat-server",
        CHAT_SERVER,
        "the log keeps what it held: records are appended (--log)",
        chat::log_append,
        true
    ),
    check!(
        "chat-shutdown",
        "chat-server",
        CHAT_SERVER,
        "SIGTERM: Shutting down, exit 0, port free",
        chat::shutdown,
        true
    ),
    check!(
        "chat-client-messages",
        "chat-client",
        CHAT_CLIENT,
        "sends each argument as a line, prints each ACK",
        chat::client_messages
    ),
    check!(
        "chat-client-default",
        "chat-client",
        CHAT_CLIENT,
        "sends the three helpdesk lines by default",
        chat::client_default
    ),
    check!(
        "chat-client-interactive",
        "chat-client",
        CHAT_CLIENT,
        "-i prompts and sends typed lines",
        chat::client_interactive
    ),
    check!(
        "chat-client-prompt",
        "chat-client",
        CHAT_CLIENT,
        "at a terminal, the prompt shows, and a typed line goes at once",
        chat::client_prompt
    ),
    check!(
        "chat-client-framing",
        "chat-client",
        CHAT_CLIENT,
        "an ACK split over two segments is one line",
        chat::client_framing
    ),
    check!(
        "chat-client-no-reply",
        "chat-client",
        CHAT_CLIENT,
        "a server that closes without an ACK",
        chat::client_no_reply
    ),
    check!(
        "pair-session",
        "pair",
        &[role::SERVER, role::CLIENT],
        "your client talks to your server",
        pair::session
    ),
    check!(
        "pair-chat",
        "pair",
        &[role::CHAT_SERVER, role::CHAT_CLIENT],
        "your chat client talks to your chat server",
        pair::chat
    ),
];
