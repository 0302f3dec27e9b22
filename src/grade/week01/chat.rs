//! Checks of the mini chat lab: `chat_server` (framing, timestamps, the
//! durable log, shutdown) and `chat_client` (against a fake chat server).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::time::Duration;

use super::common::{
    after_served, chat_ack_at, expect_clean_shutdown, expect_exit, is_chat_ack,
    lines_in_order_after, stop_to_see_held_lines, strip_clock, survived_reset,
};
use super::role;
use crate::grade::diagnosis::Diagnosis;
use crate::grade::evidence::note_ended_on_purpose;
#[cfg(unix)]
use crate::grade::harness::accept_within;
use crate::grade::harness::{
    fail, fake_listener, read_line, read_to_end, show_bytes, Ctx, End, Failure, Proc, HOST, SLACK,
    STARTUP,
};
use crate::process::{Signal, Stream};

/// The handout's three helpdesk lines: the chat client's default.
pub const DEFAULT_MESSAGES: [&str; 3] = [
    "Hello, can you help?",
    "I have a problem with my account",
    "Thank you, goodbye",
];

/// The interactive chat client's prompt (no newline after it).
pub const PROMPT: &str = "Enter message to send: ";

/// A probe connection to the chat server with its read buffer.
struct Talk {
    stream: TcpStream,
    client: SocketAddr,
    pending: Vec<u8>,
    /// The last message acknowledged on this connection: a chat room that
    /// shows the sender its own message after the ACK sends a line that
    /// holds it where the next ACK is due.
    acked: Option<String>,
    /// Every line sent on it, in order.
    sent: Vec<String>,
}

fn open(ctx: &mut Ctx, addr: SocketAddr) -> Result<Talk, Failure> {
    let stream = ctx.connect(addr)?;
    let _ = stream.set_nodelay(true); // each write its own segment
    let client = stream
        .local_addr()
        .map_err(|e| fail(Diagnosis::Crash, "a connected socket", e.to_string()))?;
    Ok(Talk {
        stream,
        client,
        pending: Vec::new(),
        acked: None,
        sent: Vec::new(),
    })
}

/// Reads one ACK line and checks it acknowledges `message`.
fn expect_ack(
    ctx: &mut Ctx,
    p: Proc,
    talk: &mut Talk,
    message: &str,
    mistake: Diagnosis,
) -> Result<(), Failure> {
    let judged = judge_ack(ctx, p, talk, message, mistake);
    if judged.is_ok() {
        talk.acked = Some(message.to_string());
    }
    judged
}

/// The line before an ACK that holds the previous message whole, not
/// this one: an extra line sent after the previous ACK (a chat room's
/// echo to the sender).
fn echo_of_previous<'a>(talk: &'a Talk, line: &str, message: &str) -> Option<&'a str> {
    talk.acked
        .as_deref()
        .filter(|previous| line.contains(previous) && !line.contains(message))
}

fn judge_ack(
    ctx: &mut Ctx,
    p: Proc,
    talk: &mut Talk,
    message: &str,
    mistake: Diagnosis,
) -> Result<(), Failure> {
    ctx.step(format!(
        "read one line, expecting `[ACK @HH:MM:SS] {message}`"
    ));
    // The line was sent a moment ago: what the server prints from here on
    // is about it (an error of its session), not about earlier clients.
    let sent = ctx
        .child(p)
        .elapsed()
        .saturating_sub(Duration::from_millis(100));
    let expected = format!("the reply line `[ACK @HH:MM:SS] {message}` ending in \\n");
    let read = read_line(&mut talk.stream, &mut talk.pending, SLACK);
    let line_came = read.is_ok();
    let judged = judge_line(ctx, p, talk, message, mistake, (read, sent), expected);
    // A wrong line read: the grader reads no more, and what the server
    // sends after it (the rest of a reply cut in two) is left unread on
    // purpose. Not told on the wire (blind round 61: split-message's
    // second ACK, reset after the close, was told as data sent after the
    // grader's client had closed, beside the point).
    if judged.is_err() && line_came {
        note_ended_on_purpose(talk.client.port());
    }
    judged
}

/// [`judge_ack`]'s verdict on what came: a line, or why none did.
fn judge_line(
    ctx: &mut Ctx,
    p: Proc,
    talk: &mut Talk,
    message: &str,
    mistake: Diagnosis,
    (read, sent): (Result<String, (Vec<u8>, End)>, Duration),
    expected: String,
) -> Result<(), Failure> {
    match read {
        // The ACK's time is the local time, 24-hour: chat-ack judges it
        // (a `%I` or `%m` in the format string gives a well-formed clock
        // that is not the time at all).
        Ok(line) if is_chat_ack(&line, message) && ctx.check_id == Some("chat-ack") => {
            match clock_off(&line) {
                Some(off) => Err(fail(
                    Diagnosis::WrongReply,
                    format!("{expected}, HH:MM:SS the local time (24-hour clock)"),
                    format!(
                        "the line `{line}`: its time is {off}s away from the local time ({}); the local time is written %H:%M:%S (24-hour clock, %M for minutes)",
                        chrono::Local::now().format("%H:%M:%S")
                    ),
                )),
                None => Ok(()),
            }
        }
        Ok(line) if is_chat_ack(&line, message) => Ok(()),
        // Where the ACK's wording is not the subject, any reply line shows
        // the session worked: its wording is chat-ack's to judge.
        Ok(line) if ctx.check_id != Some("chat-ack") && is_ack_like(&line, message) => {
            ctx.step(format!(
                "(a reply line came: `{line}`; its wording is judged by chat-ack)"
            ));
            Ok(())
        }
        // The previous message again, after its ACK, where the ACK is not
        // the subject: chat-ack's finding if this ACK follows, as for an
        // extra line before the ACK (below). Without this, a chat room
        // that echoes after the ACK was split-message in chat-coalesced
        // and hid chat-log's verdict.
        Ok(line)
            if ctx.check_id != Some("chat-ack")
                && echo_of_previous(talk, &line, message).is_some() =>
        {
            let previous = echo_of_previous(talk, &line, message)
                .unwrap_or_default()
                .to_string();
            ctx.step(format!(
                "the line `{line}` holds the previous message, after its ACK: read one more line"
            ));
            if ack_follows(ctx, talk, message) {
                return Ok(());
            }
            Err(fail(
                Diagnosis::WrongReply,
                expected,
                format!("the line `{line}`: an extra line after the ACK of `{previous}`, where this message's ACK was due"),
            )
            .caused_by("chat-ack"))
        }
        // The whole message in a line that is not its ACK, where the ACK is
        // not the subject: an extra line before the ACK (a chat room's
        // broadcast, sent to the sender too) is chat-ack's finding, if the
        // ACK follows. Blind round 9: it was called split-message, and it
        // hid chat-log's own finding. A line that starts with the message
        // may be the rest of one reply for two lines (`ACK: a\nb (at t)`:
        // the framing mistake): split-message unless the ACK follows.
        Ok(line) if ctx.check_id != Some("chat-ack") && line.contains(message) => {
            ctx.step(format!(
                "the line `{line}` holds the whole message but is not its ACK: read one more line"
            ));
            if ack_follows(ctx, talk, message) {
                Ok(())
            } else if mistake == Diagnosis::SplitMessage && !line.trim_start().starts_with(message) {
                Err(fail(
                    Diagnosis::WrongReply,
                    expected,
                    format!("the line `{line}`: the whole message (the framing is right), but not its ACK"),
                )
                .caused_by("chat-ack"))
            } else if line.trim() == message && talk.acked.is_some() {
                // The message bare, on a line after the last ACK: the two
                // lines were answered as one message, the newline between
                // them inside its ACK (blind round 50: told as "the line
                // `b`", which a beginner could not read).
                let acked = talk.acked.as_deref().unwrap_or_default();
                Err(fail(
                    mistake,
                    expected,
                    format!(
                        "the line `{line}` alone, right after the ACK of `{acked}`: the two lines were answered as one message, `{acked}\\n{message}`, the newline between them inside its ACK (what one read returned was taken as one message, not cut at each \\n)"
                    ),
                ))
            } else {
                Err(fail(mistake, expected, format!("the line `{line}`")))
            }
        }
        Ok(line) => {
            if let Some(earlier) = stale_tail(talk, &line) {
                let what = match super::common::chat_acked(&line) {
                    Some("") => format!("the ACK of an empty line never sent: the \\n that ended an earlier line one byte longer (`{earlier}`)"),
                    _ => format!("the ACK of a line never sent, the end of an earlier one (`{earlier}`)"),
                };
                return Err(fail(
                    Diagnosis::WrongReply,
                    expected,
                    format!(
                        "the line `{line}`: {what}: after a shorter read, the bytes of a longer one left in the buffer were taken again as a line"
                    ),
                )
                .hinted(super::common::PAST_THE_READ_HINT));
            }
            let observed = match echo_of_previous(talk, &line, message) {
                Some(previous) => format!(
                    "the line `{line}`: the previous message `{previous}` again, after its ACK (an extra line: one line gets one reply)"
                ),
                None => format!("the line `{line}`"),
            };
            Err(fail(mistake, expected, observed))
        }
        Err((bytes, end)) => Err(no_ack(
            ctx,
            p,
            (&bytes, end),
            (sent, message),
            mistake,
            expected,
        )),
    }
}

/// Why no ACK came: the server crashed, closed or reset the connection
/// (having read the line or not), or sent part of a line; `sent`: when
/// the line `message` was sent, on the server's clock.
fn no_ack(
    ctx: &mut Ctx,
    p: Proc,
    (bytes, end): (&[u8], End),
    (sent, message): (Duration, &str),
    mistake: Diagnosis,
    expected: String,
) -> Failure {
    let _ = ctx.wait_exit(p, Duration::from_millis(300));
    if let Some(crash) = ctx.crash_of(p) {
        return fail(
            Diagnosis::Crash,
            expected,
            format!("the server crashed: {crash}"),
        );
    }
    let observed = match (bytes.is_empty(), end) {
        (true, End::Timeout) => format!("no reply within {}s", SLACK.as_secs()),
        (true, _) => "the connection was closed without a reply".into(),
        (false, End::Timeout) => format!("{} with no \\n at the end", show_bytes(bytes)),
        (false, _) => format!("{} and then the connection closed", show_bytes(bytes)),
    };
    let alive = ctx.child(p).try_status().is_none();
    // Linux resets a connection closed with bytes unread in it: the line
    // was never read (blind round 31: Node's `server.maxConnections = 1`
    // dropped a caller while it still counted the one before; the hint on
    // building replies misled). Closed before the line came, it is an
    // end of file instead, and the server shows nothing of the line
    // (which one comes is timing: the test saw both).
    let printed = [Stream::Stdout, Stream::Stderr]
        .into_iter()
        .any(|s| ctx.child(p).lines(s).iter().any(|l| l.contains(message)));
    let unread = match end {
        End::Reset => Some("reset with the line unread"),
        End::Eof if !printed => {
            Some("closed before its line was read (the server shows nothing of it)")
        }
        _ => None,
    };
    let unread = unread.filter(|_| bytes.is_empty() && alive);
    if let Some(how) = unread.filter(|_| session_error(ctx, p, sent).is_none()) {
        // A caller turned away is a server that stopped taking callers
        // (exits-early, as one that refused them while busy), not a reply
        // built wrong: nothing was built (blind round 46).
        return fail(
            Diagnosis::ExitsEarly,
            expected,
            format!("the connection was {how}, by a server still running: it dropped this caller without reading it, and no reply came"),
        )
        .hinted("The server closed this caller's connection without reading its line. A chat server takes every caller, one after another, however many came before: a limit on connections (Node's `server.maxConnections`, a count of callers) that still counts the one who just left refuses the next; count a caller out when its session ends, or set no limit the handout does not ask for.");
    }
    // Closed with nothing sent, by a server that lives on and printed an
    // error: the session died of it before any reply was built (blind
    // round 27: wrong-reply's hint on building replies from the bytes
    // received, where none was built).
    if bytes.is_empty() && end != End::Timeout {
        if let Some(error) = session_error(ctx, p, sent) {
            return fail(
                mistake,
                expected,
                format!("{observed}: the session ended on an error before it replied, its stderr says `{error}`"),
            )
            .hinted("No reply was built: the session ended on the error the server printed. Read it: it names what failed (a socket used after close() gives \"Bad file descriptor\", a misspelt name an AttributeError or NameError). Catching the error keeps the server alive, as it should, but the client still waits for its ACK: fix the session's code so that each line gets its reply.");
        }
    }
    fail(mistake, expected, observed)
}

/// The error line a server still running printed on stderr since `since`
/// (its clock), the last one (its own words, or a traceback's last line),
/// if any.
fn session_error(ctx: &mut Ctx, p: Proc, since: Duration) -> Option<String> {
    if ctx.child(p).try_status().is_some() {
        return None;
    }
    let lines = ctx.child(p).timed_lines(Stream::Stderr);
    let line = lines.iter().rev().take_while(|l| l.at >= since).find(|l| {
        let lower = l.text.to_lowercase();
        lower.contains("error") || lower.contains("exception")
    })?;
    Some(crate::grade::harness::truncate(line.text.trim_end(), 160))
}

/// After an extra line: does the ACK of `message` come next (within a
/// second)? The extra line is then chat-ack's to judge.
fn ack_follows(ctx: &mut Ctx, talk: &mut Talk, message: &str) -> bool {
    match read_line(&mut talk.stream, &mut talk.pending, Duration::from_secs(1)) {
        Ok(next) if is_chat_ack(&next, message) || is_ack_like(&next, message) => {
            ctx.step(format!(
                "(its ACK came next: `{next}`; the extra line is chat-ack's to judge)"
            ));
            true
        }
        _ => false,
    }
}

/// A reply line for `message` in some wording of an ACK (`[ACK ...` or
/// `ACK ...`), for the checks where the wording is chat-ack's to judge.
fn is_ack_like(line: &str, message: &str) -> bool {
    line.contains(message) && (line.starts_with("[ACK") || line.starts_with("ACK"))
}

/// How far (seconds, either way round the clock) the `HH:MM:SS` of an ACK
/// line may be from the local time now: the ACK was made a moment ago.
const CLOCK_SLACK: i64 = 5;

/// Seconds between the ACK line's clock and the local time, if more than
/// [`CLOCK_SLACK`]; `None` when close enough (or not a clock at all).
fn clock_off(line: &str) -> Option<i64> {
    let clock = line.strip_prefix("[ACK @")?.get(..8)?;
    strip_clock(clock)?;
    let secs = |t: &str| -> Option<i64> {
        let mut parts = t.split(':').map(|p| p.parse::<i64>().ok());
        Some(parts.next()?? * 3600 + parts.next()?? * 60 + parts.next()??)
    };
    let now = chrono::Local::now().format("%H:%M:%S").to_string();
    let diff = (secs(clock)? - secs(&now)?).rem_euclid(86_400);
    let off = diff.min(86_400 - diff);
    (off > CLOCK_SLACK).then_some(off)
}

fn send_line(ctx: &mut Ctx, talk: &mut Talk, message: &str) -> Result<(), Failure> {
    talk.sent.push(message.to_string());
    ctx.send(&mut talk.stream, format!("{message}\n").as_bytes())
}

/// The earlier line of `talk` whose end `line` acknowledges, when it
/// acknowledges no line sent: bytes of a longer read taken again after a
/// shorter one (a buffer used past what recv() returned: C's `pending +=
/// buf` with the length ignored; blind round 69). Only where the bytes
/// fit: a line L, then a shorter line S whose ACK came, and the ACK of
/// exactly what S's bytes left of L's (an empty one: L one byte longer,
/// its `\n` alone). A server that acknowledges the empty piece after
/// each `\n` sends its empty ACK after L's own, before S is sent: not
/// this (hostile round 69).
fn stale_tail<'a>(talk: &'a Talk, line: &str) -> Option<&'a str> {
    stale_tail_of(&talk.sent, talk.acked.as_deref(), line)
}

/// [`stale_tail`] of the lines `sent` on a connection, the last one
/// acknowledged `acked`.
fn stale_tail_of<'a>(sent: &'a [String], acked_last: Option<&str>, line: &str) -> Option<&'a str> {
    let acked = super::common::chat_acked(line)?;
    if sent.iter().any(|m| m == acked) {
        return None;
    }
    let shorter = acked_last?;
    sent.windows(2).find_map(|w| {
        let fits =
            w[1] == shorter && w[0].len() == w[1].len() + 1 + acked.len() && w[0].ends_with(acked);
        fits.then_some(w[0].as_str())
    })
}

/// A line the chat server took that was never sent, in its own console
/// (`<client> Client: <text>`): the end of an earlier line of the same
/// caller, cut inside a word (the bytes of a longer read, left in the
/// buffer, taken again after a shorter one). Returns that text and the
/// earlier line. Only a text with a digit and a space, as the grader's
/// drawn words have: a line of one repeated character is no evidence.
fn phantom_line(ctx: &Ctx) -> Option<(String, String)> {
    let mut taken: Vec<(String, String)> = Vec::new();
    for line in ctx.output_lines() {
        let Some((head, text)) = line.split_once(" Client: ") else {
            continue;
        };
        let Some(caller) = head.rsplit(' ').next() else {
            continue;
        };
        let text = text.trim_end();
        let shown = text.chars().any(|c| c.is_ascii_digit()) && text.contains(' ');
        let earlier = taken.iter().find(|(who, l)| {
            who == caller
                && l.len() > text.len()
                && l.ends_with(text)
                && !l[..l.len() - text.len()].ends_with(char::is_whitespace)
        });
        if let (true, Some((_, l))) = (shown, earlier) {
            if !taken.iter().any(|(who, t)| who == caller && t == text) {
                return Some((text.to_string(), l.clone()));
            }
        }
        taken.push((caller.to_string(), text.to_string()));
    }
    None
}

/// A check's failure, unless the server took a line never sent before it
/// (see [`phantom_line`]): then that, the stale bytes of a read, is the
/// mistake, chat-ack's finding where it saw it, and what the check saw
/// after it follows from it (blind round 83: a C `strchr` on a buffer
/// without its NUL, told as a blank line left unanswered, a UTF-8 line
/// decoded in pieces and a split line: one mistake, four findings).
fn past_the_read_first(ctx: &mut Ctx, failure: Failure) -> Failure {
    let Some((text, earlier)) = phantom_line(ctx) else {
        return memory_error_first(ctx, failure);
    };
    fail(
        Diagnosis::WrongReply,
        failure.expected,
        format!(
            "the server took a line never sent, `{text}`, the end of an earlier one, `{earlier}` (its console says so): after a shorter read, the bytes of a longer one left in the buffer were taken again as a line; what the check saw then: {}",
            failure.observed
        ),
    )
    .hinted(super::common::PAST_THE_READ_HINT)
    .caused_by("chat-ack")
}

/// A check's failure, unless the chat server died of a memory error
/// meanwhile (SIGSEGV, SIGBUS, or SIGABRT: glibc's `malloc(): ...` on a
/// heap it found broken): then that death is the finding, what the check
/// saw before it told after it (blind round 83: a line cut at a stale
/// `\n` was told as "each read decoded on its own", a long line's
/// overflow as a split line; the SIGABRT was in the status line only).
///
/// Only over a framing story (split-message): a crash on the very input a
/// rule is about stays that rule's (an `assert()` on UTF-8, SIGABRT too,
/// is invalid-utf8's; hostile round 80), and SIGABRT counts only with
/// glibc's words for a broken heap (an assertion, an uncaught C++
/// exception, Rust's abort on panic are no memory error).
fn memory_error_first(ctx: &mut Ctx, failure: Failure) -> Failure {
    if failure.diagnosis != Diagnosis::SplitMessage {
        return failure;
    }
    let Some(p) = ctx.first_of(role::CHAT_SERVER) else {
        return failure;
    };
    let _ = ctx.wait_exit(p, Duration::from_millis(300));
    let Some(status) = ctx.child(p).try_status() else {
        return failure;
    };
    let stderr = ctx
        .child(p)
        .text(crate::process::Stream::Stderr)
        .to_lowercase();
    let broken_heap = [
        "malloc",
        "free()",
        "double free",
        "corrupted",
        "stack smashing",
    ]
    .iter()
    .any(|w| stderr.contains(w));
    #[cfg(unix)]
    let of_memory = {
        use nix::libc::{SIGABRT, SIGBUS, SIGSEGV};
        use std::os::unix::process::ExitStatusExt;
        status
            .signal()
            .is_some_and(|s| s == SIGSEGV || s == SIGBUS || (s == SIGABRT && broken_heap))
    };
    #[cfg(not(unix))]
    let _ = broken_heap;
    #[cfg(not(unix))]
    let of_memory = false;
    if !of_memory {
        return failure;
    }
    let last = ctx.last_stderr_line(p).map_or(String::new(), |l| {
        format!(" (its last words: `{}`)", l.trim())
    });
    fail(
        Diagnosis::Crash,
        failure.expected,
        format!(
            "the server died: {}{last}; what the check saw before: {}",
            crate::process::describe_status(status),
            failure.observed
        ),
    )
    .hinted(MEMORY_ERROR_HINT)
}

/// What to try when a server died of a memory error.
const MEMORY_ERROR_HINT: &str = "Your server died of a memory error: it read or wrote past the end of a buffer, or used memory it had freed. In C, the usual causes: using a receive buffer as a string without putting a '\\0' after the n bytes recv() returned (strchr and strlen then run into old bytes: an earlier line's `\\n` cuts a line where none ends), appending to a fixed buffer without checking the room left, or freeing a line and using it again. Build with `-fsanitize=address -g` and run the same session: it names the line.";

/// Three lines, three ACKs, a console line for each.
/// The most of a chat log the grader reads (a few messages are expected).
const LOG_MAX_BYTES: u64 = 16 << 20;

pub fn ack(ctx: &mut Ctx) -> Result<(), Failure> {
    let (p, addr) = ctx.start_server(role::CHAT_SERVER, &[], &[])?;
    let mut talk = open(ctx, addr)?;
    let mut held = Vec::new();
    for n in 0..3 {
        let message = ctx.message(22);
        send_line(ctx, &mut talk, &message)?;
        // The first as it came: a line ending in `\r\n` where the chat's
        // end in `\n` alone (read_line takes off a `\r`, for the wording
        // judged below; blind round 25: such replies passed).
        if n == 0 {
            if let Some(line) = peek_line(&mut talk).filter(|l| l.ends_with('\r')) {
                let line = line.trim_end_matches('\r');
                return Err(fail(
                    Diagnosis::WrongReply,
                    format!("the reply line `[ACK @HH:MM:SS] {message}` ending in \\n"),
                    format!("the reply line `{line}` ends in \\r\\n: the chat's lines end in \\n alone (the \\r goes to the client as part of the line)"),
                ));
            }
        }
        expect_ack(ctx, p, &mut talk, &message, Diagnosis::WrongReply)?;
        let tail = format!(" {} Client: {message}", talk.client);
        if ctx.quiet(p) {
            held.push(tail);
            continue;
        }
        ctx.step(format!(
            "wait for the stdout line `[SERVER] @HH:MM:SS{tail}`"
        ));
        let seen = ctx.wait_stdout(p, SLACK, |l| is_console_line(l, &tail));
        console_line(ctx, p, &tail, seen.is_some(), "")?;
    }
    // The session's first line, stamped like the others. Printed at
    // accept, so it is there by now, unless another thread prints it (a
    // server that starts the handler first): a wait costs nothing when
    // it is there.
    let connection = format!(" Connection from {}", talk.client);
    if ctx.quiet(p) {
        held.push(connection);
    } else {
        ctx.step(format!(
            "wait for the stdout line `[SERVER] @HH:MM:SS{connection}`"
        ));
        let seen = ctx.wait_stdout(p, SLACK, |l| is_console_line(l, &connection));
        console_line(ctx, p, &connection, seen.is_some(), "")?;
    }
    if held.is_empty() || !stop_to_see_held_lines(ctx, p) {
        // Nothing on stdout at all: the Listening line's verdict says why.
        return Ok(());
    }
    let lines = ctx.child(p).lines(Stream::Stdout);
    for tail in held {
        let seen = lines.iter().any(|l| is_console_line(l, &tail));
        console_line(
            ctx,
            p,
            &tail,
            seen,
            " (its lines came out only when it was stopped)",
        )?;
    }
    Ok(())
}

/// Is `line` `[SERVER] @HH:MM:SS` followed by `tail`?
fn is_console_line(line: &str, tail: &str) -> bool {
    line.strip_prefix("[SERVER] @")
        .and_then(strip_clock)
        .map(str::trim_end)
        == Some(tail)
}

/// The verdict on the console line for `tail`: found, or the near miss.
fn console_line(ctx: &mut Ctx, p: Proc, tail: &str, seen: bool, when: &str) -> Result<(), Failure> {
    if seen {
        return Ok(());
    }
    let lines = ctx.child(p).lines(Stream::Stdout);
    // The clock of the line that did come for this message, if one did
    // (a near miss then marks only what differs), else the time now.
    let message = tail.rsplit_once(" Client: ").map_or(tail, |(_, m)| m);
    let clock = lines
        .iter()
        .filter(|l| l.trim_end().ends_with(message))
        .find_map(|l| {
            let rest = l.strip_prefix("[SERVER] @")?;
            strip_clock(rest)?;
            Some(rest[..8].to_string())
        })
        .unwrap_or_else(|| chrono::Local::now().format("%H:%M:%S").to_string());
    let want = format!("[SERVER] @{clock}{tail}");
    Err(fail(
        Diagnosis::OutputFormat,
        format!("a stdout line `[SERVER] @HH:MM:SS{tail}`"),
        crate::grade::compare::no_such_line(&want, &lines, when),
    ))
}

/// The Listening line names the real port (judged apart from behaviour:
/// the port itself comes from the socket table).
pub fn listening(ctx: &mut Ctx) -> Result<(), Failure> {
    let (p, addr) = ctx.start_server(role::CHAT_SERVER, &[], &[])?;
    ctx.connect(addr).map(drop)?;
    ctx.listening_line(p)
}

pub fn split(ctx: &mut Ctx) -> Result<(), Failure> {
    split_session(ctx).map_err(|f| past_the_read_first(ctx, f))
}

fn split_session(ctx: &mut Ctx) -> Result<(), Failure> {
    let (p, addr) = ctx.start_server(role::CHAT_SERVER, &[], &[])?;
    let mut talk = open(ctx, addr)?;
    let message = ctx.message(24);
    let (head, tail) = message.split_at(message.len() / 2);
    ctx.send(&mut talk.stream, head.as_bytes())?;
    ctx.step("pause 250 ms, so the rest travels in a segment of its own");
    std::thread::sleep(Duration::from_millis(250));
    until_read(ctx, &talk.stream);
    ctx.send(&mut talk.stream, format!("{tail}\n").as_bytes())?;
    expect_ack(ctx, p, &mut talk, &message, Diagnosis::SplitMessage)
        .map_err(|f| unless_no_ack_at_all(ctx, addr, &mut talk, f))?;
    ctx.step("make sure no second reply follows");
    let (extra, _) = read_to_end(&mut talk.stream, Duration::from_millis(400));
    let extra = [std::mem::take(&mut talk.pending), extra].concat();
    // Whole lines that each hold the whole message: the framing is right,
    // the server says more than the ACK (a chat room's echo to the
    // sender), which chat-ack names.
    let text = String::from_utf8_lossy(&extra);
    let echoes = text.ends_with('\n')
        && text
            .lines()
            .all(|l| l.contains(message.as_str()) && !is_chat_ack(l.trim_end(), &message));
    if !extra.is_empty() && echoes {
        return Err(fail(
            Diagnosis::WrongReply,
            "exactly one ACK for one line, and nothing else",
            format!(
                "an extra reply {} after the ACK: it holds the whole message (the framing is right), but one line gets one reply",
                show_bytes(&extra)
            ),
        )
        .caused_by("chat-ack"));
    }
    if !extra.is_empty() {
        return Err(fail(
            Diagnosis::SplitMessage,
            "exactly one ACK for one line, however it was split",
            format!("an extra reply {}", show_bytes(&extra)),
        ));
    }
    split_inside_a_character(ctx, p, &mut talk)
}

/// A second line cut between the two bytes of an `é`: a server that keeps
/// bytes until the `\n` passes; one that decodes each read before it looks
/// for the line's end (Python's `data.decode()` per recv, a fatal
/// TextDecoder per chunk) sees half a character, and answers an invalid
/// line or two (blind rounds 25 and 26: the ASCII split alone passed it).
fn split_inside_a_character(ctx: &mut Ctx, p: Proc, talk: &mut Talk) -> Result<(), Failure> {
    let line = format!("{} café {}", ctx.message(10), ctx.message(10));
    let cut = line.find('é').map_or(line.len() / 2, |at| at + 1);
    let (head, tail) = line.as_bytes().split_at(cut);
    ctx.step("a second line, its first part ending between the two bytes of `é` (0xC3 0xA9)");
    ctx.send(&mut talk.stream, head)?;
    std::thread::sleep(Duration::from_millis(250));
    until_read(ctx, &talk.stream);
    ctx.send(&mut talk.stream, &[tail, b"\n"].concat())?;
    const WHY: &str = "its first part ended inside a character: each read was decoded on its own (keep the bytes until the line's \\n has come, then decode the line; or read through a decoder that keeps state across reads)";
    expect_ack(ctx, p, talk, &line, Diagnosis::SplitMessage).map_err(|mut f| {
        if f.diagnosis == Diagnosis::SplitMessage {
            f.observed
                .push_str(&format!("; the line was whole and valid UTF-8, but {WHY}"));
        }
        // Died of decoding half a character: the same mistake, not a crash
        // of its own (blind round 30: crash here, invalid-utf8 in
        // chat-robust, for one `data.decode()` per recv).
        let lower = f.observed.to_lowercase();
        if f.diagnosis == Diagnosis::Crash
            && ["decode", "utf-8", "utf8", "malformed"]
                .iter()
                .any(|w| lower.contains(w))
        {
            f.diagnosis = Diagnosis::SplitMessage;
            f.observed = format!(
                "{}; the line was whole and valid UTF-8, but {WHY}",
                f.observed
            );
        }
        f
    })
}

pub fn coalesced(ctx: &mut Ctx) -> Result<(), Failure> {
    let (p, addr) = ctx.start_server(role::CHAT_SERVER, &[], &[])?;
    let mut talk = open(ctx, addr)?;
    let first = ctx.message(14);
    let second = ctx.message(14);
    ctx.step("send two lines in a single write");
    ctx.send(&mut talk.stream, format!("{first}\n{second}\n").as_bytes())?;
    expect_ack(ctx, p, &mut talk, &first, Diagnosis::SplitMessage)
        .map_err(|f| unless_no_ack_at_all(ctx, addr, &mut talk, f))?;
    expect_ack(ctx, p, &mut talk, &second, Diagnosis::SplitMessage)?;
    a_lone_carriage_return(ctx, &mut talk)
}

/// A line with a `\r` in its middle is one line: only `\n` ends one. A
/// server that reads through a text layer with universal newlines
/// (Python's `sock.makefile("r")`, `open()`'s default) ends a line at the
/// `\r` too, and answers the one line twice (blind round 27). Told by the
/// first reply alone being the ACK of the part before the `\r`; any other
/// reply (its wording, an escaped `\r`) is chat-ack's to judge.
fn a_lone_carriage_return(ctx: &mut Ctx, talk: &mut Talk) -> Result<(), Failure> {
    let (head, tail) = (ctx.message(10), ctx.message(10));
    let line = format!("{head}\r{tail}");
    ctx.step("send a line with a carriage return in its middle: only \\n ends a line");
    ctx.send(&mut talk.stream, format!("{line}\n").as_bytes())?;
    match read_line(&mut talk.stream, &mut talk.pending, SLACK) {
        Ok(reply) if is_chat_ack(&reply, &head) => Err(fail(
            Diagnosis::SplitMessage,
            format!("one reply for the one line {}", show_bytes(line.as_bytes())),
            format!(
                "the reply `{reply}`: the ACK of its part before the \\r alone; the server ended the line at the \\r, as a line reader for text does (Python's str.splitlines(), sock.makefile(\"r\") unless opened with newline=\"\\n\", Java's BufferedReader.readLine() and Scanner.nextLine(), Node's readline module): cut the bytes at \\n yourself"
            ),
        )),
        _ => Ok(()),
    }
}

/// Waits (2 s at most) until the program at the other end of `stream` has
/// read what was sent to it, as its socket's receive queue shows (Linux).
/// Trap: a pause alone proves nothing: a program slow to be scheduled (a
/// loaded class run, a program that starves itself) read both halves of a
/// split line in one read and passed with the framing mistake (hostile
/// round 11). A program blocked elsewhere is not waited for longer.
fn until_read(ctx: &mut Ctx, stream: &TcpStream) {
    #[cfg(target_os = "linux")]
    {
        let (Ok(peer), Ok(own)) = (stream.peer_addr(), stream.local_addr()) else {
            return;
        };
        let unread = || crate::grade::sockdiag::unread_bytes(peer, own);
        match unread() {
            Some(0) => return,
            // Its socket is not in sight (without root the check's
            // namespace is a holder's, not this thread's): a longer pause,
            // which a program a little slow still fits in.
            None => {
                ctx.step("pause 750 ms more: its socket's receive queue cannot be seen from here");
                std::thread::sleep(Duration::from_millis(750));
                return;
            }
            Some(_) => {}
        }
        ctx.step(
            "it has not read the first part yet (its socket's receive queue): wait until it has",
        );
        let until = std::time::Instant::now() + Duration::from_secs(2);
        while unread().is_some_and(|n| n > 0) && std::time::Instant::now() < until {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (ctx, stream);
}

/// A framing check that got no reply at all: is it the framing? Sends one
/// whole line in one piece, on a fresh connection (the first may be stuck
/// on the split line: that is the framing mistake itself); if that gets no
/// reply either, the server does not acknowledge lines at all (a chat room
/// that only broadcasts to the others, say): chat-ack's finding, not a
/// split message.
fn unless_no_ack_at_all(
    ctx: &mut Ctx,
    addr: SocketAddr,
    talk: &mut Talk,
    failure: Failure,
) -> Failure {
    if failure.diagnosis != Diagnosis::SplitMessage || !failure.observed.starts_with("no reply") {
        return failure;
    }
    let message = ctx.message(12);
    ctx.step(format!(
        "no reply at all: close, connect again and send a whole line `{message}` in one piece, to tell framing from no ACK"
    ));
    // Closed first: a server serving one client at a time takes the next
    // only then.
    let _ = talk.stream.shutdown(std::net::Shutdown::Both);
    match open(ctx, addr) {
        Ok(fresh) => *talk = fresh,
        Err(_) => return failure,
    }
    if send_line(ctx, talk, &message).is_err() {
        return failure;
    }
    match read_line(&mut talk.stream, &mut talk.pending, SLACK) {
        Err((bytes, End::Timeout)) if bytes.is_empty() => fail(
            Diagnosis::WrongReply,
            failure.expected,
            format!(
                "{}; a whole line sent in one piece got no reply either: the server does not acknowledge lines",
                failure.observed
            ),
        )
        .caused_by("chat-ack"),
        _ => failure,
    }
}

/// A reply missing or worded otherwise in a check about something else:
/// the same mistake as chat-ack's (which sends the same lines), reported
/// there. A crash or an exit stays this check's own finding.
fn ack_is_chat_acks(failure: Failure) -> Failure {
    if failure.diagnosis == Diagnosis::WrongReply {
        failure.caused_by("chat-ack")
    } else {
        failure
    }
}

/// One message, then close; answered. The caller's address, for
/// [`callers_left_open`].
fn short_session(ctx: &mut Ctx, p: Proc, addr: SocketAddr) -> Result<SocketAddr, Failure> {
    let mut talk = open(ctx, addr)?;
    let message = ctx.message(16);
    send_line(ctx, &mut talk, &message)?;
    expect_ack(ctx, p, &mut talk, &message, Diagnosis::WrongReply)?;
    Ok(talk.client)
}

/// How long a chat server gets to close its side of a connection whose
/// caller has closed: it reads the 0 bytes at once.
const CLOSE_AFTER_CALLER: Duration = Duration::from_secs(2);

/// A chat server still holding open its side of the connections of
/// `callers`, who closed long before (CLOSE_WAIT, Linux): it never took
/// their read of 0 bytes for the end. Such a server spins on them at full
/// CPU with no output, or waits on a socket that is done, and every check
/// passed (blind round 74: a C `poll()` loop that tested `n < 0` only;
/// [`spins_after_callers_left`] sees only a spin that prints).
fn callers_left_open(
    ctx: &mut Ctx,
    p: Proc,
    server: SocketAddr,
    callers: &[SocketAddr],
) -> Result<(), Failure> {
    #[cfg(target_os = "linux")]
    {
        let open = || -> Vec<SocketAddr> {
            callers
                .iter()
                .copied()
                .filter(|&c| crate::grade::sockdiag::left_open_after_peer_closed(server, c))
                .collect()
        };
        let until = std::time::Instant::now() + CLOSE_AFTER_CALLER;
        let mut open_now = open();
        while !open_now.is_empty() && std::time::Instant::now() < until {
            std::thread::sleep(Duration::from_millis(50));
            open_now = open();
        }
        let still = open_now.len();
        // It said it closed them: close() was called on one descriptor,
        // and another is still open (hostile round 74: a forking server
        // whose parent kept its copy of each connection was told it never
        // took the 0 bytes for the end, while its child had said so).
        if let Some(line) = super::common::said_it_closed(ctx, p, &open_now) {
            return Err(fail(
                Diagnosis::NoClose,
                "a caller that has left is let go: the server closes its side of the connection",
                format!(
                    "the server printed `{}`, yet its side of that connection was still open {}s later (CLOSE_WAIT): close() was not called after the line, or another descriptor of the socket is still open (a forking server's parent keeps its copy unless it closes it right after fork(); a dup() or makefile() of the socket keeps it open past close())",
                    line.trim_end(),
                    CLOSE_AFTER_CALLER.as_secs()
                ),
            ));
        }
        if still > 0 {
            return Err(fail(
                Diagnosis::EmptyRecv,
                "a caller that has left is let go: its 0-byte read ends its session, and the server closes its side",
                format!(
                    "{still} of the {} callers that closed their connection {} still open on the server's side {}s later (CLOSE_WAIT: their end came, the server never closed them): it does not take a read of 0 bytes for the end of the session",
                    callers.len(),
                    if still == 1 { "was" } else { "were" },
                    CLOSE_AFTER_CALLER.as_secs()
                ),
            )
            .hinted("recv() returning 0 (b'' in Python, -1 from Java's read) means the caller closed: print its `Closed connection` line, take the socket out of what you wait on (select/poll set, selector, epoll), and close it. Left in, the socket is readable again at once, every time: the loop spins at 100% CPU, reading 0 bytes."));
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (ctx, p, server, callers);
    Ok(())
}

/// A new caller after one that left in the middle of a line (`left`):
/// its reply must hold nothing of that line. A server whose line buffer
/// outlives its session (a C `static`, a field of the server object)
/// glues the old bytes in front of the new caller's first line (blind
/// round 25: `[ACK @…] stream265 bind161stream118 kernel820` passed, its
/// message in it). Then as [`still_serving`].
fn served_afresh(
    ctx: &mut Ctx,
    p: Proc,
    addr: SocketAddr,
    left: &str,
    why: &str,
) -> Result<(), Failure> {
    ctx.step("a new client connects");
    let mut talk = open(ctx, addr).map_err(|f| after_served(ctx, p, f, why))?;
    let message = ctx.message(16);
    send_line(ctx, &mut talk, &message)?;
    if let Some(line) = peek_line(&mut talk).filter(|line| line.contains(left)) {
        let line = line.trim_end_matches('\r');
        return Err(fail(
            Diagnosis::WrongReply,
            format!("the new caller's reply `[ACK @HH:MM:SS] {message}`, with nothing of the line the caller before it left unfinished (`{left}`)"),
            format!(
                "the reply was `{line}`: the bytes the caller before it left unfinished went into this caller's first line (a line buffer that outlives its session: start each session with an empty one)"
            ),
        ));
    }
    expect_ack(ctx, p, &mut talk, &message, Diagnosis::WrongReply)
        .map_err(|f| served_after(ctx, p, f, why))
}

/// The first reply line of `talk` (waited for up to SLACK), as it came:
/// a `\r` before its `\n` kept. It stays unread.
fn peek_line(talk: &mut Talk) -> Option<String> {
    use std::io::Read;
    let until = std::time::Instant::now() + SLACK;
    let mut buf = [0u8; 4096];
    while !talk.pending.contains(&b'\n') && talk.pending.len() < 1 << 16 {
        let now = std::time::Instant::now();
        if now >= until {
            break;
        }
        let _ = talk.stream.set_read_timeout(Some(until - now));
        match talk.stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => talk.pending.extend_from_slice(&buf[..n]),
        }
    }
    let end = talk.pending.iter().position(|&b| b == b'\n')?;
    Some(String::from_utf8_lossy(&talk.pending[..end]).into_owned())
}

/// Is the server still there for a new client? Explains if not.
fn still_serving(ctx: &mut Ctx, p: Proc, addr: SocketAddr, why: &str) -> Result<(), Failure> {
    ctx.step("a new client connects");
    // A wrong reply of a server still running is chat-ack's when chat-ack
    // found one too (the ACK's form); otherwise its own (refused as busy).
    short_session(ctx, p, addr)
        .map(drop)
        .map_err(|f| served_after(ctx, p, f, why))
}

pub fn sessions(ctx: &mut Ctx) -> Result<(), Failure> {
    // LAB_TIMEOUT is short here: it is no chat session's idle limit.
    let (p, addr) = ctx.start_server(
        role::CHAT_SERVER,
        &[],
        &[super::common::timeout_env(SHORT_LAB_TIMEOUT)],
    )?;
    let first = short_session(ctx, p, addr).map_err(ack_is_chat_acks)?;
    ctx.step("the first client closes");
    still_serving(ctx, p, addr, "after its first client leaves")?;
    replies_stay_with_their_caller(ctx, p, addr)?;
    slow_typist(ctx, p, addr)?;
    spins_after_callers_left(ctx, p)?;
    ctx.step(format!(
        "the first client left long ago: its connection must be closed on the server's side too (up to {}s)",
        CLOSE_AFTER_CALLER.as_secs()
    ));
    callers_left_open(ctx, p, addr, &[first])
}

/// More than a correct chat server prints in all of chat-sessions (a few
/// KiB): output by the megabyte is a loop.
const SPIN_BYTES: u64 = 1 << 20;

/// A server that keeps reading a connection its caller closed (0 bytes,
/// again and again: the socket never taken out of its `select()` set)
/// spins at full CPU and floods its output while it serves the others
/// (blind round 35: 18,079 lines, 8.5 MB, and every check passed).
fn spins_after_callers_left(ctx: &mut Ctx, p: Proc) -> Result<(), Failure> {
    let child = ctx.child(p);
    let bytes = child.bytes_seen(Stream::Stdout) + child.bytes_seen(Stream::Stderr);
    if bytes < SPIN_BYTES {
        return Ok(());
    }
    let lines: Vec<String> = [Stream::Stdout, Stream::Stderr]
        .into_iter()
        .flat_map(|s| child.lines(s))
        .collect();
    let mut counts: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for line in &lines {
        *counts.entry(line.trim_end()).or_default() += 1;
    }
    let repeated = counts
        .into_iter()
        .max_by_key(|(line, count)| (*count, std::cmp::Reverse(*line)))
        .map(|(line, count)| {
            format!(
                ", `{}` {count} times in the last {} lines kept",
                crate::grade::harness::truncate(line, 100),
                lines.len()
            )
        })
        .unwrap_or_default();
    Err(fail(
        Diagnosis::EmptyRecv,
        "a caller that has left is let go: its 0-byte read ends its session",
        format!(
            "the server printed {} KiB in this check while its callers came and went{repeated}: a loop that keeps reading 0 bytes from a connection whose caller closed it, and never stops (take the socket out of what you wait on, and close it, when recv returns 0)",
            bytes >> 10
        ),
    ))
}

/// The LAB_TIMEOUT chat-sessions gives the chat server, and the pause its
/// slow typist takes: well past it, far below `--idle-timeout`'s default.
const SHORT_LAB_TIMEOUT: u64 = 1;
const TYPING_PAUSE: Duration = Duration::from_millis(1800);

/// A caller who types slowly: a line, a pause longer than LAB_TIMEOUT,
/// another line, each answered. A session's idle limit is `--idle-timeout`
/// (120 s by default), not LAB_TIMEOUT (blind round 30: a chat server
/// that closed sessions after LAB_TIMEOUT of quiet passed every check, each
/// of which talks without pauses or sets --idle-timeout itself).
fn slow_typist(ctx: &mut Ctx, p: Proc, addr: SocketAddr) -> Result<(), Failure> {
    let why = "after its callers left";
    let mut talk = open(ctx, addr).map_err(|f| after_served(ctx, p, f, why))?;
    let first = ctx.message(12);
    send_line(ctx, &mut talk, &first)?;
    let sent = ctx.child(p).elapsed();
    // A reply's form is chat-ack's to judge: any line will do. None is
    // this check's finding (blind round 31: a caller dropped unanswered
    // passed, and the pause that follows was never tried).
    if let Err((bytes, end)) = read_line(&mut talk.stream, &mut talk.pending, SLACK) {
        let expected = format!("the reply line `[ACK @HH:MM:SS] {first}` ending in \\n");
        let f = no_ack(
            ctx,
            p,
            (&bytes, end),
            (sent, &first),
            Diagnosis::WrongReply,
            expected,
        );
        return Err(served_after(ctx, p, f, why));
    }
    ctx.step(format!(
        "a slow typist: {:.1}s of quiet (LAB_TIMEOUT is {SHORT_LAB_TIMEOUT}s, --idle-timeout not given: 120s), then a second line",
        TYPING_PAUSE.as_secs_f64()
    ));
    std::thread::sleep(TYPING_PAUSE);
    let second = ctx.message(12);
    let sent = talk.stream.write_all(format!("{second}\n").as_bytes());
    let reply = read_line(&mut talk.stream, &mut talk.pending, SLACK);
    match reply {
        Ok(_) if sent.is_ok() => Ok(()),
        Err((bytes, End::Eof | End::Reset)) if bytes.is_empty() => {
            if ctx.child(p).try_status().is_some() {
                // Ended: not an idle limit, whatever it was.
                return Err(after_served(
                    ctx,
                    p,
                    fail(Diagnosis::Crash, "", "no reply"),
                    why,
                ));
            }
            Err(fail(
                Diagnosis::IgnoresConfig,
                format!("a session quiet for {:.1}s stays open (the idle limit is --idle-timeout, 120s by default), and its next line gets its ACK", TYPING_PAUSE.as_secs_f64()),
                format!("the server closed the session during the pause: LAB_TIMEOUT={SHORT_LAB_TIMEOUT} taken for the chat's idle limit (LAB_TIMEOUT is how long a program waits for a reply it is owed; people type slowly, and a session ends after --idle-timeout without a whole line)"),
            )
            .hinted("A chat session's idle limit is the --idle-timeout option (120 s by default), timed per whole line, not LAB_TIMEOUT: keep LAB_TIMEOUT for the waits it is for (a client waiting for its reply), and time each session with the option's value (`conn.settimeout(args.idle_timeout)`, Node's `socket.setTimeout(idleTimeout * 1000)`)."))
        }
        Err((bytes, End::Timeout)) if bytes.is_empty() && sent.is_ok() => Err(fail(
            Diagnosis::WrongReply,
            format!("the line after {:.1}s of quiet gets its ACK", TYPING_PAUSE.as_secs_f64()),
            format!("no reply within {}s, the session still open: the line after the pause was not answered", SLACK.as_secs()),
        )),
        // Another reply: its form is the reply checks' (chat-ack, the
        // others here) to judge.
        _ => Ok(()),
    }
}

/// A caller who could not connect while another's session was open: the
/// server ended ([`after_served`]), or, still running, it closed its
/// listening socket for the session (blind round 44: told "after a client
/// reset its connection" before any had). A caller who comes while the
/// server is busy waits in the listen queue, and is served next.
fn refused_while_busy(ctx: &mut Ctx, p: Proc, f: Failure) -> Failure {
    let f = after_served(
        ctx,
        p,
        f,
        "while another caller's session was open (a caller who comes while the server is busy waits in the listen queue, and is served next)",
    );
    if f.diagnosis == Diagnosis::ExitsEarly && ctx.child(p).try_status().is_none() {
        return f.hinted("Keep the listening socket open from the start to Ctrl+C, and close only each session's own connection when it ends: a caller who comes while a session is on then waits in the listen queue (its size is listen()'s backlog) and is accepted when that session is over. A listener closed during a session, and opened again after it, refuses them instead.");
    }
    f
}

/// A failure of a caller after the first ones: the server ended
/// ([`after_served`]), or a wrong reply, which is chat-ack's when chat-ack
/// found one too (the ACK's form).
fn served_after(ctx: &mut Ctx, p: Proc, f: Failure, why: &str) -> Failure {
    let f = after_served(ctx, p, f, why);
    if f.diagnosis == Diagnosis::WrongReply {
        f.folded_if("chat-ack", &[Diagnosis::WrongReply])
    } else {
        f
    }
}

/// Each caller gets the replies to its own lines, and nothing else: with
/// one caller still connected, a second one's line may not reach it (a
/// chat room's broadcast; blind round 27 caught one only by chance). A
/// server that serves one caller at a time has not even read the second's
/// line yet; one that serves both at once answers the second alone.
fn replies_stay_with_their_caller(ctx: &mut Ctx, p: Proc, addr: SocketAddr) -> Result<(), Failure> {
    let after = "after its first clients left";
    let mut first = open(ctx, addr).map_err(|f| after_served(ctx, p, f, after))?;
    let hello = ctx.message(10);
    send_line(ctx, &mut first, &hello)?;
    // Its ACK (its form is chat-ack's to judge): the session is on.
    let _ = read_line(&mut first.stream, &mut first.pending, SLACK);
    let mut second = open(ctx, addr).map_err(|f| refused_while_busy(ctx, p, f))?;
    let other = ctx.message(12);
    ctx.step(format!(
        "a second caller ({}) sends a line while the first ({}) is still connected: nothing of it may reach the first",
        second.client, first.client
    ));
    send_line(ctx, &mut second, &other)?;
    let leaked = read_line(
        &mut first.stream,
        &mut first.pending,
        Duration::from_millis(400),
    );
    if let Some(line) = leaked.ok().filter(|l| l.contains(other.as_str())) {
        return Err(fail(
            Diagnosis::WrongReply,
            format!(
                "the first caller, still connected, gets nothing of the second's line `{other}`"
            ),
            format!(
                "the first caller got `{line}`: a reply meant for another caller (a chat room sends each line to everyone; the helpdesk answers each caller alone, on its own connection)"
            ),
        ));
    }
    Ok(())
}

/// Callers that abort their connection (an RST: a client program killed,
/// a laptop gone from the network) end their own sessions, never the
/// server. One sends three lines and resets before the server reads them,
/// so their ACKs meet a reset socket (the first write fails with
/// ECONNRESET, the next with EPIPE and SIGPIPE, which ends a C program
/// that does not ignore it); one resets in the middle of a line, while
/// the server waits for the rest (the read fails with ECONNRESET).
/// Node.js ends the whole process on a socket error nobody listens for
/// (blind round 21).
pub fn reset(ctx: &mut Ctx) -> Result<(), Failure> {
    let (p, addr) = ctx.start_server(role::CHAT_SERVER, &[], &[])?;
    // A first caller keeps the server busy (it serves one at a time), so
    // that all of the second's, three lines and its reset, waits in the
    // kernel before the server reads any of it: the lines are read, and
    // their three ACKs written to a connection already reset. The first
    // write fails with ECONNRESET; a server that goes on writing gets
    // EPIPE, and a C server SIGPIPE. Trap (blind round 23): sent to a
    // server already reading, the ACKs could leave before the reset came,
    // and a C server that never checks send() passed in some runs.
    let mut holder = open(ctx, addr)?;
    let hello = ctx.message(10);
    send_line(ctx, &mut holder, &hello)?;
    // Its ACK says the session began (its form is chat-ack's to judge).
    let _ = read_line(&mut holder.stream, &mut holder.pending, SLACK);
    let after = "after a client reset its connection";
    // The same refusal as chat-sessions' second caller: said once, there.
    let mut queued = open(ctx, addr).map_err(|f| {
        refused_while_busy(ctx, p, f).folded_if("chat-sessions", &[Diagnosis::ExitsEarly])
    })?;
    let first = queued.client;
    let lines: String = (0..3).map(|_| format!("{}\n", ctx.message(12))).collect();
    ctx.send(&mut queued.stream, lines.as_bytes())?;
    ctx.reset(queued.stream);
    std::thread::sleep(Duration::from_millis(100));
    ctx.step(
        "the first caller leaves: the server takes on the one that sent three lines and reset",
    );
    drop(holder);
    survived_reset(
        ctx,
        p,
        &format!("when it took on {first}, which had sent three lines and reset its connection before the server read them (ACKs written to it then meet the reset)"),
    )?;
    let mut half = open(ctx, addr).map_err(|f| after_served(ctx, p, f, after))?;
    let second = half.client;
    let part = ctx.message(10);
    ctx.step(format!(
        "the client {second} sends half a line, `{part}` with no \\n, and stops"
    ));
    let _ = half.stream.write_all(part.as_bytes());
    // Time for the server to take the caller on and read the half line:
    // the reset then meets it waiting for the rest.
    if !ctx.quiet(p) {
        ctx.wait_stdout(p, Duration::from_secs(1), |l| {
            l.contains(&second.to_string())
        });
    }
    std::thread::sleep(Duration::from_millis(300));
    ctx.reset(half.stream);
    survived_reset(
        ctx,
        p,
        &format!("when the client {second} reset its connection in the middle of a line (a read then meets the reset)"),
    )?;
    still_serving(ctx, p, addr, "after two clients reset their connections")
}

pub fn robust(ctx: &mut Ctx) -> Result<(), Failure> {
    robust_session(ctx).map_err(|f| past_the_read_first(ctx, f))
}

fn robust_session(ctx: &mut Ctx) -> Result<(), Failure> {
    let (p, addr) = ctx.start_server(role::CHAT_SERVER, &[], &[])?;
    let mut talk = open(ctx, addr)?;
    ctx.send(&mut talk.stream, &[0xC3, 0x28, 0xFF, b'\n'])?;
    let answer = read_line(
        &mut talk.stream,
        &mut talk.pending,
        Duration::from_millis(500),
    );
    if let Ok(text) = &answer {
        if text.starts_with("[ACK @") {
            // Decoded with replacement characters (errors="replace",
            // from_utf8_lossy): the bytes were taken for a message.
            return Err(fail(
                Diagnosis::InvalidUtf8,
                format!(
                    "the line C3 28 FF gets `{}`",
                    crate::message::CHAT_INVALID_UTF8.trim_end()
                ),
                format!("it acknowledged those bytes as a message: `{text}`"),
            ));
        }
    }
    if ctx.wait_exit(p, Duration::from_millis(300)).is_some() {
        let how = ctx.crash_of(p).unwrap_or_else(|| "it exited".to_string());
        return Err(fail(
            Diagnosis::InvalidUtf8,
            "the server survives a line that is not UTF-8 (and answers it, or at least goes on)",
            format!("it died right after the bytes C3 28 FF: {how}"),
        ));
    }
    // The session goes on after such a line. A server whose handler died
    // on it (an unguarded decode in an asyncio callback or a thread: the
    // server lives, the caller is cut off) ended the session instead.
    if let Err((bytes, End::Eof | End::Reset)) = &answer {
        let how = crash_note(ctx, p);
        let reply = if bytes.is_empty() {
            "without a reply".to_string()
        } else {
            format!("after {} with no \\n at the end", show_bytes(bytes))
        };
        return Err(fail(
            Diagnosis::InvalidUtf8,
            format!(
                "the line C3 28 FF gets `{}` and the session goes on",
                crate::message::CHAT_INVALID_UTF8.trim_end()
            ),
            format!("the server ended the session right after the bytes C3 28 FF, {reply}{how}"),
        ));
    }
    // A handler that died on them but left its connection open (an
    // asyncio callback that raised, on Python before 3.11.7) answers
    // nothing more: an ordinary line in the same session tells.
    let message = ctx.message(10);
    ctx.step("send an ordinary line in the same session: it goes on");
    send_line(ctx, &mut talk, &message)?;
    session_goes_on(ctx, p, &mut talk, answer.is_ok(), &message)?;
    // Spaces alone, then nothing at all: a server that answered the one
    // and skipped the other passed (blind round 54: a C++ `if
    // (line.empty()) continue;` never answered `\n`).
    blank_line_answered(ctx, p, &mut talk, Blank::Spaces)?;
    blank_line_answered(ctx, p, &mut talk, Blank::Empty)?;
    let half = ctx.message(10);
    ctx.send(&mut talk.stream, half.as_bytes())?;
    ctx.step("close in the middle of that line");
    drop(talk);
    served_afresh(
        ctx,
        p,
        addr,
        &half,
        "after a client sent bytes that are not UTF-8 and left mid-line",
    )
}

/// After a line that is not UTF-8 (`answered`: its reply came), an
/// ordinary line (`message`) gets a reply: any line (its wording is
/// chat-ack's to judge), after the error line if that comes late. Its
/// reply first, with none for the bad line, is a line left unanswered
/// (blind round 15: a server that skipped such lines passed).
fn session_goes_on(
    ctx: &mut Ctx,
    p: Proc,
    talk: &mut Talk,
    answered: bool,
    message: &str,
) -> Result<(), Failure> {
    let error = crate::message::CHAT_INVALID_UTF8.trim_end();
    let mut late = !answered;
    loop {
        match read_line(&mut talk.stream, &mut talk.pending, SLACK) {
            Ok(line) if late && line == error => late = false,
            // The error line without its `\n`, run into the ACK: answered,
            // its framing is another matter (not "no reply").
            Ok(line) if late && line.contains(message) && !line.contains(error) => {
                return Err(fail(
                    Diagnosis::InvalidUtf8,
                    format!("the line C3 28 FF gets `{error}` (every line gets exactly one reply) and the session goes on"),
                    format!("no reply to the bytes C3 28 FF: the next line to come, `{line}`, answers the ordinary line sent after them; a client waiting for its reply to the first would wait for ever"),
                ));
            }
            Ok(_) => return Ok(()),
            Err((_, end)) => {
                let how = crash_note(ctx, p);
                let silent = end == End::Timeout && how.is_empty();
                let what = match end {
                    End::Timeout => format!("no reply within {}s", SLACK.as_secs()),
                    _ => "the session ended without a reply".to_string(),
                };
                // Answered, then ended on purpose (a `return` after the
                // error reply): the error was right, the end was not
                // (blind round 24: told "the session died on them").
                let observed = if answered && end != End::Timeout && how.is_empty() {
                    format!("the error reply `{error}` came, and then the server ended the session: an ordinary line sent after it got no reply (after the error line the session goes on with the next line)")
                } else {
                    format!("after the bytes C3 28 FF, an ordinary line in the same session got {what}: the session died on them{how}")
                };
                let failure = fail(
                    Diagnosis::InvalidUtf8,
                    format!("the line C3 28 FF gets `{error}` and the session goes on"),
                    observed,
                );
                // Still connected, no crash, just no reply: a server whose
                // replies never leave (an unflushed writer) answers no line
                // at all, which chat-ack reports as a wrong reply.
                return Err(if silent {
                    failure.folded_if("chat-ack", &[Diagnosis::WrongReply])
                } else {
                    failure
                });
            }
        }
    }
}

/// ` (how it crashed)` when the server crashed, else empty: appended to
/// an observation of a session that went silent or ended.
fn crash_note(ctx: &mut Ctx, p: Proc) -> String {
    ctx.crash_of(p)
        .map(|c| format!(" ({c})"))
        .unwrap_or_default()
}

/// A blank line gets its reply like any other (the contract: every line
/// gets exactly one reply, so the client is never left waiting; which
/// reply is left open, the reference's is `[ERROR] Empty message`). Told
/// by the line after it: its ACK must not be the next thing that comes.
///
/// Trap: the next line is sent only once the blank one was answered, or
/// [`BLANK_WAIT`] passed. Sent back to back, both could arrive in one
/// read, and a server that takes one read for one message (chat-coalesced's
/// finding) would show here as skipping blank lines, in some runs only
/// (blind round 6, Node.js).
fn blank_line_answered(
    ctx: &mut Ctx,
    p: Proc,
    talk: &mut Talk,
    blank: Blank,
) -> Result<(), Failure> {
    let after = ctx.message(10);
    let (bytes, shown): (&[u8], _) = match blank {
        Blank::Spaces => (b"  \n", "a blank line `  `"),
        Blank::Empty => (b"\n", "an empty line (`\\n` alone)"),
    };
    ctx.step(format!(
        "send {shown}, then `{after}`: each gets a reply of its own"
    ));
    ctx.send(&mut talk.stream, bytes)?;
    let expected = format!("a reply to {shown} (the reference's: `[ERROR] Empty message`), then the ACK of the next line");
    let expected = expected.as_str();
    let ended = |ctx: &mut Ctx, end: End| {
        // A session that ended may be a server dying: its status, a
        // moment after its sockets closed (blind round 83: SIGABRT, and
        // no word of it).
        if end != End::Timeout {
            let _ = ctx.wait_exit(p, Duration::from_millis(300));
        }
        let how = crash_note(ctx, p);
        let what = match end {
            End::Timeout => format!("no reply within {}s", SLACK.as_secs()),
            _ => "the session ended".to_string(),
        };
        // Died of its own code's error in the blank line's branch (Node's
        // ReferenceError: blind round 49): a crash, not a rule left out.
        let diagnosis = match ctx.crash_of(p) {
            Some(crash) if super::common::elsewhere(Diagnosis::BlankMessage, &crash) => {
                Diagnosis::Crash
            }
            _ => Diagnosis::BlankMessage,
        };
        let f = fail(
            diagnosis,
            expected,
            format!("after {shown}, {what}: not to it, nor to the line after it{how}"),
        );
        Err(match diagnosis {
            Diagnosis::BlankMessage => f.hinted(CHAT_BLANK_HINT),
            _ => f,
        })
    };
    match read_line(&mut talk.stream, &mut talk.pending, BLANK_WAIT) {
        Ok(_) => {}
        Err((_, End::Timeout)) => {
            ctx.step(format!(
                "no reply to it within {:.0}s: send the next line",
                BLANK_WAIT.as_secs_f64()
            ));
            send_line(ctx, talk, &after)?;
            // The next line's ACK, in whatever form (a clock without its
            // seconds is chat-ack's finding): a line ending in that message
            // is no late reply to the blank line (blind round 35: taken for
            // one, and a server that skips blank lines passed).
            return match read_line(&mut talk.stream, &mut talk.pending, SLACK) {
                Ok(line) if is_chat_ack(&line, &after) || line.trim_end().ends_with(&after) => {
                    Err(fail(
                        Diagnosis::BlankMessage,
                        expected,
                        format!("{shown} got no reply: the next reply was `{line}`, the next line's ACK: a client that sends a blank line waits for ever"),
                    )
                    .hinted(CHAT_BLANK_HINT))
                }
                Ok(_) => {
                    // A late reply to the blank line: the next line's ACK
                    // follows. Trap: closing with a reply still unread
                    // makes the kernel send RST, not FIN, so the server
                    // would read an error instead of the end of the half
                    // line that comes next (its crash on that went unseen).
                    let _ = read_line(&mut talk.stream, &mut talk.pending, SLACK);
                    Ok(())
                }
                Err((_, end)) => ended(ctx, end),
            };
        }
        Err((_, end)) => return ended(ctx, end),
    }
    send_line(ctx, talk, &after)?;
    // Its ACK is read for the trap above; chat-ack judges ACKs.
    let _ = read_line(&mut talk.stream, &mut talk.pending, SLACK);
    Ok(())
}

/// Which blank line [`blank_line_answered`] sends.
#[derive(Clone, Copy)]
enum Blank {
    /// Two spaces and the `\n`.
    Spaces,
    /// The `\n` alone.
    Empty,
}

/// The blank-message hint in the chat's words: the general one begins
/// with the one-shot server's reply (blind round 50: "instead of an ACK",
/// to a server that had sent nothing).
const CHAT_BLANK_HINT: &str = "Answer every line, a blank one too: strip it, and when nothing is left reply `[ERROR] Empty message` and a newline (the reference's words) instead of skipping it. The client sent a line and waits for its reply: a line left unanswered leaves it waiting for ever, or takes the next line's ACK for this one's.";

/// How many bytes more [`limits`] sends to a session still open after a
/// line past the bound, to tell a bound a little off from none.
const LATE_BYTES: usize = 4096;

/// A session cannot hold the server: a line past 64 KiB with no newline
/// ends it (memory stays bounded), and so does a session that completes
/// no line for `--idle-timeout` seconds, however often its bytes come (a
/// limit that restarts at every read never fires for a client sending a
/// byte at a time, and the server serves one caller at a time). Blind
/// round 13: a server with neither passed every chat check.
pub fn limits(ctx: &mut Ctx) -> Result<(), Failure> {
    limits_session(ctx).map_err(|f| past_the_read_first(ctx, f))
}

fn limits_session(ctx: &mut Ctx) -> Result<(), Failure> {
    // Its default idle limit (120 s) first: only the bound can end this
    // session.
    let (p, addr) = ctx.start_server(role::CHAT_SERVER, &[], &[])?;
    let mut talk = open(ctx, addr)?;
    if !legal_long_line(ctx, p, &mut talk)? {
        ctx.step("no reply (chat-ack's to judge): a fresh session for the rest");
        drop(talk);
        talk = open(ctx, addr)?;
    }
    // Both sessions must be ended by the server with no reply.
    note_ended_on_purpose(talk.client.port());
    let expected =
        "a line of more than 64 KiB with no newline ends the session, and the server goes on";
    ctx.step(format!(
        "send a line of {} bytes with no newline; the session must end",
        LINE_LIMIT + 1
    ));
    // Refused part-way (the server closed as soon as it was past the
    // bound): what it must do.
    // Bounded: a server that stops reading must not hold this write.
    let _ = talk.stream.set_write_timeout(Some(SLACK));
    let _ = talk.stream.write_all(&vec![b'x'; LINE_LIMIT + 1]);
    match session_ends(&mut talk, SLACK) {
        Ended::Closed => {}
        Ended::Replied(text) => return Err(answered_unfinished(&text)),
        Ended::Open => {
            if ctx.wait_exit(p, Duration::from_millis(300)).is_some() {
                return Err(died_of_a_line(ctx, p, expected));
            }
            // A bound a little past the contract's (off by one, or a limit
            // in characters) ends the session a few bytes later: said
            // apart from no bound at all (blind round 30: "without limit"
            // of a server that stopped at 65 537 bytes).
            ctx.step(format!("still open: send {LATE_BYTES} more bytes"));
            let _ = talk.stream.write_all(&vec![b'x'; LATE_BYTES]);
            let observed = match session_ends(&mut talk, Duration::from_secs(1)) {
                Ended::Closed => format!(
                    "the session was still open after a line of {} bytes with no newline, and ended only when {LATE_BYTES} more came: its bound is past the contract's 64 KiB: the session must end once more than {LINE_LIMIT} bytes wait without a newline (`len > {LINE_LIMIT}`), and yours let {} wait (a limit set above {LINE_LIMIT}, such as {} or a stream reader's limit one too high, or counted in something other than bytes?)",
                    LINE_LIMIT + 1,
                    LINE_LIMIT + 1,
                    LINE_LIMIT + 1
                ),
                _ => format!(
                    "the session was still open {}s after a line of {} bytes with no newline, and after {LATE_BYTES} more: the server keeps every byte of an unfinished line, so a client can grow its memory without limit",
                    SLACK.as_secs(),
                    LINE_LIMIT + 1
                ),
            };
            return Err(fail(Diagnosis::SessionLimit, expected, observed));
        }
    }
    if ctx.wait_exit(p, Duration::from_millis(300)).is_some() {
        return Err(died_of_a_line(ctx, p, expected));
    }
    drop(talk);
    let short_idle = [
        "--idle-timeout".to_string(),
        IDLE_LIMIT.as_secs().to_string(),
    ];
    // It started without the option: a start that fails with it is the
    // option refused (argparse's "unrecognized arguments").
    let (_, addr) = ctx
        .start_server(role::CHAT_SERVER, &short_idle, &[])
        .map_err(|f| {
            if f.diagnosis != Diagnosis::StartupFailure {
                return f;
            }
            fail(
                Diagnosis::SessionLimit,
                format!(
                    "the server takes --idle-timeout {}: the idle limit of a session",
                    IDLE_LIMIT.as_secs()
                ),
                format!("it did not start with it: {}", f.observed),
            )
        })?;
    let mut talk = open(ctx, addr)?;
    note_ended_on_purpose(talk.client.port());
    let expected = format!(
        "with --idle-timeout {}, a session that completes no line for {}s is closed, however often its bytes come",
        IDLE_LIMIT.as_secs(),
        IDLE_LIMIT.as_secs()
    );
    ctx.step(format!(
        "a second server, with --idle-timeout {}: send one byte every {:.1}s, never a newline; the session must end",
        IDLE_LIMIT.as_secs(),
        TRICKLE.as_secs_f64()
    ));
    let started = std::time::Instant::now();
    let bytes = ctx.letters(64);
    for byte in bytes.bytes() {
        if started.elapsed() > IDLE_LIMIT + SLACK {
            // A close that came with the last wait still counts.
            if let Ended::Closed = session_ends(&mut talk, Duration::from_millis(100)) {
                return Ok(());
            }
            break;
        }
        if talk.stream.write_all(&[byte]).is_err() {
            return Ok(());
        }
        match session_ends(&mut talk, TRICKLE) {
            Ended::Closed => return Ok(()),
            Ended::Replied(text) => return Err(answered_unfinished(&text)),
            Ended::Open => {}
        }
    }
    Err(fail(
        Diagnosis::SessionLimit,
        expected,
        format!(
            "a byte every {:.1}s and never a newline: the session was still open {:.0}s after it began (is --idle-timeout read at all? else an idle limit that restarts at every read, which never fires)",
            TRICKLE.as_secs_f64(),
            started.elapsed().as_secs_f64()
        ),
    ))
}

/// Whether the reply `line` refuses a line as bytes that are not UTF-8
/// (`[ERROR] Invalid UTF-8`, in the contract's words or near them), and
/// not as too long.
fn refused_as_not_utf8(line: &str) -> bool {
    let lower = line.to_lowercase();
    (lower.contains("utf-8") || lower.contains("utf8"))
        && (lower.contains("invalid") || lower.contains("decode"))
        && !lower.contains("long")
}

/// The bound's other side: a line well under 64 KiB is a message like any
/// other (blind round 40: a server that ended sessions at 1 KiB, a
/// `recv(1024)` taken for a whole line or a fixed buffer, passed). Half the
/// bound: whether the newline counts toward it is the contract's to say.
/// `Ok(false)` when the session cannot go on to the next test (no reply:
/// one may still come).
fn legal_long_line(ctx: &mut Ctx, p: Proc, talk: &mut Talk) -> Result<bool, Failure> {
    let long = ctx.letters(LEGAL_LINE);
    ctx.step(format!(
        "send a line of {LEGAL_LINE} bytes (half the 64 KiB bound) and its newline: a message like any other"
    ));
    let expected = format!(
        "a line of {LEGAL_LINE} bytes, under the 64 KiB bound, gets its ACK and the session goes on"
    );
    let _ = talk.stream.set_write_timeout(Some(SLACK));
    let _ = talk.stream.write_all(format!("{long}\n").as_bytes());
    let _ = talk.stream.set_write_timeout(None);
    let tight = "Keep up to 64 KiB of an unfinished line: collect the bytes of each read in a buffer and end the session only when more than 65536 bytes wait with no newline. A fixed buffer of 1024 or 4096 bytes, or one read taken for the whole line, ends a legal long line (a pasted paragraph) as if it were an attack.";
    match read_line(&mut talk.stream, &mut talk.pending, SLACK) {
        // An echo of the line before its ACK (chat-ack's to judge): the
        // ACK that follows is read too, or it would meet the next test.
        Ok(line) if line.contains(long.as_str()) && !line.starts_with("[ACK") => {
            let _ = read_line(&mut talk.stream, &mut talk.pending, Duration::from_secs(1));
            Ok(true)
        }
        Ok(line) if line.contains(long.as_str()) => Ok(true),
        Ok(line) if line.starts_with("[ACK") && long.contains(line.rsplit(' ').next().unwrap_or(&line)) => Err(fail(
            Diagnosis::SplitMessage,
            expected,
            format!(
                "the reply was `{}` ({} bytes): an ACK of part of the line, cut where a read's buffer ended",
                crate::grade::harness::truncate(&line, 80),
                line.len()
            ),
        )
        .folded_if("chat-split", &[Diagnosis::SplitMessage])),
        // ASCII letters refused as bytes that are not UTF-8: what it
        // decoded ran past the bytes it read (C++'s `pending += buf` of a
        // buffer with no NUL after the read: blind round 89, told as a
        // tight bound beside chat-ack's stale bytes).
        // (Said invalid, not too long: a bound worded with "UTF-8" in it
        // is the bound's, hostile round 85.)
        Ok(line) if refused_as_not_utf8(&line) => Err(fail(
            Diagnosis::WrongReply,
            expected,
            format!(
                "the reply was `{}`, to a line of ASCII letters only: the bytes it decoded were not only the ones it read (a buffer used past the read's count)",
                crate::grade::harness::truncate(&line, 120)
            ),
        )
        .hinted(super::common::PAST_THE_READ_HINT)
        .folded_if("chat-ack", &[Diagnosis::WrongReply])),
        Ok(line) => Err(fail(
            Diagnosis::SessionLimit,
            expected,
            format!(
                "the reply was `{}`: the bound on a line is tighter than the contract's 64 KiB",
                crate::grade::harness::truncate(&line, 120)
            ),
        )
        .hinted(tight)),
        // No reply, the session open: a server that answers no line
        // (chat-ack's finding), not a bound. The rest goes on in a fresh
        // session: a reply that came late would meet its next test.
        Err((_, End::Timeout)) if ctx.wait_exit(p, Duration::from_millis(300)).is_none() => {
            Ok(false)
        }
        Err(_) if ctx.child(p).try_status().is_some() => Err(died_of_a_line(ctx, p, &expected)),
        Err((bytes, _)) => Err(fail(
            Diagnosis::SessionLimit,
            expected,
            format!(
                "the server ended the session{}: the bound on a line is tighter than the contract's 64 KiB",
                if bytes.is_empty() {
                    " without a reply".to_string()
                } else {
                    format!(" after {}", show_bytes(&bytes[..bytes.len().min(80)]))
                }
            ),
        )
        .hinted(tight)),
    }
}

/// chat-limits: a legal line well under the bound.
const LEGAL_LINE: usize = 32 * 1024;

/// chat-limits: the idle limit its second server is given.
const IDLE_LIMIT: Duration = Duration::from_secs(1);
/// chat-limits: how often a byte of the slow line goes.
const TRICKLE: Duration = Duration::from_millis(300);
/// Past this many bytes with no newline, a session ends (the handout).
const LINE_LIMIT: usize = 64 * 1024;

/// What became of a session fed bytes that make no line.
enum Ended {
    /// The server closed it (EOF or reset), perhaps after an error line.
    Closed,
    /// It acknowledged them as a message: one read taken as one message.
    Replied(String),
    /// Still open.
    Open,
}

/// Waits up to `wait` for the server to end the session.
fn session_ends(talk: &mut Talk, wait: Duration) -> Ended {
    let until = std::time::Instant::now() + wait;
    let mut buf = [0u8; 1024];
    loop {
        let left = until.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Ended::Open;
        }
        let _ = talk.stream.set_read_timeout(Some(left));
        match talk.stream.read(&mut buf) {
            Ok(0) => return Ended::Closed,
            Ok(n) => {
                // An error line before the close is fine; an ACK is not.
                talk.pending.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&talk.pending).into_owned();
                if text.starts_with("[ACK") {
                    return Ended::Replied(text.lines().next().unwrap_or("").to_string());
                }
                if talk.pending.len() > 4096 {
                    return Ended::Open;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Ended::Open
            }
            Err(_) => return Ended::Closed,
        }
    }
}

/// Bytes with no newline acknowledged as a message: chat-split's finding.
fn answered_unfinished(text: &str) -> Failure {
    fail(
        Diagnosis::SplitMessage,
        "bytes with no newline are no message yet: no ACK",
        format!(
            "it acknowledged them: `{}`",
            crate::grade::harness::truncate(text, 120)
        ),
    )
    .caused_by("chat-split")
}

/// The server ended after a session with a line it was sent: a crash, or
/// (a clean exit) chat-sessions' server that serves one session only.
fn died_of_a_line(ctx: &mut Ctx, p: Proc, expected: &str) -> Failure {
    let clean = ctx
        .child(p)
        .try_status()
        .is_some_and(|status| status.success());
    if clean && ctx.crash_of(p).is_none() {
        return fail(
            Diagnosis::ExitsEarly,
            expected,
            "the server exited (status 0) once that session ended",
        )
        .folded_if("chat-sessions", &[Diagnosis::ExitsEarly]);
    }
    let how = crash_note(ctx, p);
    fail(
        Diagnosis::Crash,
        expected,
        format!(
            "the server died after a line of {} bytes with no newline{how}",
            LINE_LIMIT + 1
        ),
    )
}

/// How long a blank line's reply is waited for before the next line goes.
const BLANK_WAIT: Duration = Duration::from_secs(1);

/// Starts a chat server with `--log` in a fresh folder of the check's
/// and opens a session: the folder, the log's path, the server and the
/// session.
fn logging_session(ctx: &mut Ctx) -> Result<(PathBuf, PathBuf, Proc, Talk), Failure> {
    let dir = ctx
        .scratch_dir()
        .map_err(|e| fail(Diagnosis::CannotStart, "a temporary folder", e.to_string()))?;
    let path = dir.join("chat.log");
    let args = ["--log".to_string(), path.to_string_lossy().into_owned()];
    let (p, addr) = ctx.start_server(role::CHAT_SERVER, &args, &[])?;
    let talk = open(ctx, addr)?;
    Ok((dir, path, p, talk))
}

pub fn log(ctx: &mut Ctx) -> Result<(), Failure> {
    // The ACKs of the messages after the first are held as they begin to
    // leave, and the log read at that instant (see `held_ack`): a server
    // that sends the ACK first and writes the log a few microseconds later
    // passed when the server was killed only once the ACK had come
    // (hostile round 44). While a reply is held, the program's writes to
    // files wait too (`sandbox/linux/hold.rs`): a logger thread fed by a
    // queue wrote its record in the microseconds between the hold and the
    // read of the log, and a compiled one passed 14 runs in 20 (hostile
    // round 50). Its record wins now only when its write began before the
    // send did. Two holds, not one: two chances to see that race lost.
    ctx.tripwire_next();
    let (dir, path, p, mut talk) = logging_session(ctx)?;
    let messages: Vec<String> = (0..3).map(|_| ctx.message(20)).collect();
    // The first message whose reply began to leave while the log lacked
    // it, and the log as it was then.
    let mut lacked: Option<(usize, HeldAck)> = None;
    // A line the server sent before an ACK while it was held, with its
    // message.
    let mut extra: Option<(String, Vec<u8>)> = None;
    for (i, message) in messages.iter().enumerate() {
        let armed = i > 0 && arm_on_reply(ctx, p, &talk);
        // A reply to a message not sent yet: a server that worked out the
        // grader's messages from the first (they come from a seed of 20
        // bits) and acknowledged them all at once, before the holds and
        // before logging them (hostile round 49).
        if let Some(early) = sent_before_asked(&mut talk, &messages[i..]) {
            return Err(fail(
                Diagnosis::WrongReply,
                format!("the reply line `[ACK @HH:MM:SS] {message}`, after `{message}` is sent"),
                format!(
                    "the server sent {} before `{early}` was sent to it: a reply to a message it has not received",
                    show_bytes(&talk.pending)
                ),
            ));
        }
        send_line(ctx, &mut talk, message)?;
        if armed {
            // No send within SLACK: still armed, so that a later one stays
            // held (hostile round 48 sent its third ACK after 3.3 s, past
            // the hold, and won the race with the kill); the wait for the
            // ACK below then ends with none.
            if let Some(held) = held_ack(ctx, p, (&mut talk, message), &path) {
                if let Some(line) = &held.extra {
                    extra.get_or_insert_with(|| (message.clone(), line.clone()));
                }
                if !held.log.contains(message.as_str()) {
                    lacked = Some((i, held));
                    break;
                }
                // Kept: the rest of its reply goes on unheld.
                if let Some(wire) = ctx.tripwire(p) {
                    wire.disarm();
                }
            }
        }
        if let Err(f) = expect_ack(ctx, p, &mut talk, message, Diagnosis::WrongReply) {
            if f.diagnosis != Diagnosis::WrongReply {
                return Err(f);
            }
            // No ACK to test the promise with (chat-ack's finding); but a
            // log that was never even created is this check's own.
            ctx.step(format!("no ACK came; look for the log {}", path.display()));
            // A second: a server on its way out under load (the wait ends
            // at its exit; one still serving costs it).
            let status = ctx.wait_exit(p, Duration::from_secs(1));
            if !path.exists() {
                return Err(no_log_file(&path));
            }
            // It died on the message, with --log (its log write failed,
            // said in a line of its own): a crash, as chat-log-format
            // sees it, not a reply built wrong (blind round 16).
            if let Some(status) = status.filter(|s| !s.success()) {
                return Err(died_on_the_message(ctx, p, status, f.expected));
            }
            return Err(f.caused_by("chat-ack"));
        }
    }
    ctx.step(if lacked.is_some() {
        "kill the server with SIGKILL, any send after that one still held (no chance to clean up)"
    } else {
        "right after the last ACK, kill the server with SIGKILL (no chance to clean up)"
    });
    let _ = ctx.child(p).signal(Signal::Kill);
    // Killed with bytes unread, its socket resets: the grader's doing,
    // not told on the wire as the server's (blind round 69).
    note_ended_on_purpose(talk.client.port());
    let _ = ctx.wait_exit(p, SLACK);
    // The messages acknowledged before are judged by the log after the
    // kill; the one whose reply began to leave while the log lacked it, by
    // the log at that instant.
    let (acknowledged, last) = match &lacked {
        Some((i, held)) => (&messages[..*i], Some((&messages[*i], held))),
        None => (&messages[..], None),
    };
    ctx.step(format!("read the log {}", path.display()));
    if !path.exists() {
        return Err(written_late_or_never(ctx, &dir, &path));
    }
    // Read as untrusted: the server could have put a FIFO there (the
    // grader blocked for ever) or a link to /dev/zero (it read until its
    // memory ran out); seen in a hostile audit.
    let log = crate::sandbox::read_untrusted(&path, LOG_MAX_BYTES).map_err(|e| {
        fail(
            Diagnosis::LostMessage,
            "every acknowledged message is in the --log file",
            format!("the log cannot be read as a plain file: {e}"),
        )
    })?;
    let log = String::from_utf8_lossy(&log);
    let missing: Vec<&String> = acknowledged
        .iter()
        .filter(|m| !log.contains(m.as_str()))
        .collect();
    // The last record there, the earlier ones gone: each record written
    // over the file (blind round 86: Node's fs.writeFileSync per record,
    // on disk before each ACK, told as records written after the ACK).
    let last_kept = acknowledged
        .last()
        .is_some_and(|m| log.contains(m.as_str()));
    let listed = missing
        .iter()
        .map(|m| format!("`{m}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if !missing.is_empty() && last_kept {
        return Err(fail(
            Diagnosis::LogOverwritten,
            "every acknowledged message is in the --log file",
            format!(
                "only the later records are there; {listed} acknowledged before them {} gone: each record replaced what the file held (opened for writing, not appending, at each record: Node's fs.writeFileSync, Python's open(path, \"w\") per line)",
                if missing.len() == 1 { "is" } else { "are" }
            ),
        ));
    }
    if !missing.is_empty() {
        return Err(fail(
            Diagnosis::LostMessage,
            "every acknowledged message is in the --log file",
            {
                let said = if log.is_empty() {
                    "the log file is empty".to_string()
                } else {
                    format!("missing: {listed}")
                };
                // Acknowledged a while before the kill (the last ACK held
                // meanwhile): not a race lost by microseconds (blind round
                // 45: a logger thread behind by 200 ms was told bare).
                if lacked.is_some() {
                    format!("{said}, though the ACKs of those messages came well before the kill: the records are written after the ACK (an asynchronous write: Node's fs.appendFile or fs.promises; a logger thread that lags behind) or held in a buffer that the kill threw away")
                } else {
                    said
                }
            },
        ));
    }
    if let Some((message, then)) = last {
        let began = match then.began {
            Began::Ack => format!("began to send the ACK of `{message}`"),
            Began::NothingSent => format!(
                "began a send on the connection after `{message}` came (one that put nothing on it: the ACK's turn, whatever it was for)"
            ),
        };
        return Err(fail(
            Diagnosis::LostMessage,
            "each message is in the --log file before its ACK is sent",
            format!(
                "when the server {began}, its log did not hold `{message}`{}: the log is written after the ACK, so a server killed between the two (a crash, a power cut, the grader's SIGKILL a moment sooner) has told its client a message is kept that it never wrote",
                if log.contains(message.as_str()) {
                    " (it was there by the time the server was killed)"
                } else {
                    ""
                }
            ),
        ));
    }
    // The log kept its promise; a line before an ACK is a reply built
    // wrong: chat-ack's finding when chat-ack saw one too (a chat room's
    // echo), this check's own when it came only while a send was held
    // (hostile round 47's decoy, sent once it learnt it was held).
    if let Some((message, line)) = extra {
        return Err(fail(
            Diagnosis::WrongReply,
            format!("the reply line `[ACK @HH:MM:SS] {message}` ending in \\n"),
            format!(
                "before the ACK of `{message}` the server sent {}: an extra line (one line gets one reply: the ACK)",
                show_bytes(&line)
            ),
        )
        .caused_by("chat-ack"));
    }
    // How the lines read is chat-log-format's to judge: a log that loses
    // lines may also write them wrong (blind round 11: the second mistake
    // went unreported).
    Ok(())
}

/// Arms program `p`'s tripwire (if it has one) on its end of `talk`'s
/// connection: its next send there is held before a byte leaves.
fn arm_on_reply(ctx: &mut Ctx, p: Proc, talk: &Talk) -> bool {
    #[cfg(target_os = "linux")]
    {
        let Ok(server) = talk.stream.peer_addr() else {
            return false;
        };
        // Asked in this thread's network namespace, or (without root,
        // the namespace a holder's) as the server sees it.
        let inode = crate::grade::sockdiag::socket_inode(server, talk.client).or_else(|| {
            let pid = crate::sandbox::program_pid(ctx.child(p).pid())?;
            crate::grade::harness::connection_inode_seen_by(pid, server, talk.client)
        });
        let Some(inode) = inode else {
            return false;
        };
        if let Some(wire) = ctx.tripwire(p) {
            wire.arm(inode);
            return true;
        }
    }
    let _ = (ctx, p, talk);
    false
}

/// After a message was sent on an armed connection: holds each send the
/// server begins on it before a byte leaves, reads the log `path` at that
/// instant, lets the send go, and sees on the wire what it carried. The
/// first that begins an ACK is judged by that log, and so is one that put
/// nothing on the wire (a call that failed: a program probing whether it
/// is held, hostile round 47). Another line before the ACK (an echo, a
/// prompt) goes on, and is told with it (`extra`: chat-log then fails as
/// chat-ack does; a server that sent it only while held, round 47's decoy
/// line before the real ACK, is told here). `None` when no send began
/// within [`SLACK`]; the tripwire stays armed then.
///
/// What a send carried is read on the wire, never from the program's
/// memory: round 47 changed a buffer after the grader had read it, and
/// learnt from its page table which send was held (`linux/hold.rs`).
fn held_ack(
    ctx: &mut Ctx,
    p: Proc,
    (talk, message): (&mut Talk, &str),
    path: &std::path::Path,
) -> Option<HeldAck> {
    let wire = ctx.tripwire(p)?;
    let until = std::time::Instant::now() + SLACK;
    let mut extra: Option<Vec<u8>> = None;
    let mut steps = Vec::new();
    // Where the lines not yet judged begin in `talk.pending`.
    let mut skip = 0;
    let judged = loop {
        let left = until.saturating_duration_since(std::time::Instant::now());
        // None: no send within the wait. Still armed (see `log`).
        let caught = wire.wait(left)?;
        let log = log_while_held(path);
        wire.release();
        // Still armed: every later send is held, and what reaches the
        // client now is this one's.
        let before = talk.pending.len();
        carried(wire, talk, until);
        let fresh = talk.pending[before..].to_vec();
        let held = format!(
            "the server begins a send on the connection ({}): the grader holds it before a byte leaves, reads the log {} as it is at that instant, and lets it go",
            caught.call,
            path.display()
        );
        if fresh.is_empty() {
            steps.push(format!(
                "{held}; nothing of it reached the client (a call that failed, which a server that replies has no use for): it is judged as the start of the reply"
            ));
            break HeldAck {
                log,
                began: Began::NothingSent,
                extra,
            };
        }
        steps.push(format!("{held}: it carried {}", show_bytes(&fresh)));
        // The ACK of another line (one never sent, a stale buffer's: blind
        // round 69 was told the log lacked the message, judged at a send
        // that was not its ACK) is a line before this one's ACK.
        if begins_an_ack(&talk.pending[skip..]) && !acks_another(&talk.pending[skip..], message) {
            break HeldAck {
                log,
                began: Began::Ack,
                extra,
            };
        }
        // Another line first: the ACK's send is the next (a send of
        // something else is bounded by the wait, not a count: hostile
        // round 46). Its whole lines are not looked at again.
        if let Some(end) = talk.pending.iter().rposition(|b| *b == b'\n') {
            skip = skip.max(end + 1);
        }
        extra.get_or_insert(fresh);
    };
    for step in steps {
        ctx.step(step);
    }
    Some(judged)
}

/// The log as chat-log judged it ([`held_ack`]), what the judged send
/// turned out to be, and a line the server sent before it, if it did.
struct HeldAck {
    log: String,
    began: Began,
    extra: Option<Vec<u8>>,
}

/// The send [`held_ack`] judged.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Began {
    /// It began the ACK.
    Ack,
    /// It put nothing on the wire.
    NothingSent,
}

/// The log `path` while a send is held: no file yet reads as an empty log
/// (the message is not in it). No grace for a record still on its way
/// from another thread: hostile round 48 wrote its record only once it
/// saw its own send held for 3 ms, and passed every time under the 300 ms
/// that a logger thread fed by a queue used to get. Such a logger is the
/// same mistake (the sender does not wait for the record): the handout
/// says so. Its write, begun once the send was held, waits until the log
/// is read (`hold.rs`, `to_a_file`).
fn log_while_held(path: &std::path::Path) -> String {
    let log = crate::sandbox::read_untrusted(path, LOG_MAX_BYTES).unwrap_or_default();
    String::from_utf8_lossy(&log).into_owned()
}

/// Reads into `talk.pending` what the send just let go put on the wire:
/// its first bytes and what follows within a moment (a line's rest). Ends
/// with nothing once the server has begun another send (held: the one let
/// go put nothing there), or at `until`.
fn carried(wire: &crate::sandbox::Tripwire, talk: &mut Talk, until: std::time::Instant) {
    let mut buf = [0u8; 4096];
    let mut first: Option<std::time::Instant> = None;
    loop {
        let now = std::time::Instant::now();
        let end = match first {
            // A line's rest comes at once; a moment more for it.
            Some(at) => (at + Duration::from_millis(50)).min(until),
            None => until,
        };
        if now >= end || talk.pending.len() >= LOG_MAX_BYTES as usize {
            return;
        }
        let slice = (end - now).min(Duration::from_millis(20));
        let _ = talk.stream.set_read_timeout(Some(slice));
        match talk.stream.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => {
                talk.pending.extend_from_slice(&buf[..n]);
                first.get_or_insert(now);
                if buf[..n].contains(&b'\n') {
                    return;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                if first.is_none() && wire.wait(Duration::ZERO).is_some() {
                    return;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

/// Has the server sent, before they were asked, bytes that hold one of
/// `unsent` (the messages not sent yet)? Reads what has come without
/// waiting; returns that message. (An echo of one sent already may be
/// there: it is another check's to judge.)
fn sent_before_asked<'a>(talk: &mut Talk, unsent: &'a [String]) -> Option<&'a str> {
    let mut buf = [0u8; 4096];
    if talk.stream.set_nonblocking(true).is_ok() {
        while talk.pending.len() < LOG_MAX_BYTES as usize {
            match talk.stream.read(&mut buf) {
                Ok(n) if n > 0 => talk.pending.extend_from_slice(&buf[..n]),
                _ => break,
            }
        }
        let _ = talk.stream.set_nonblocking(false);
    }
    let seen = String::from_utf8_lossy(&talk.pending);
    unsent
        .iter()
        .find(|m| seen.contains(m.as_str()))
        .map(String::as_str)
}

/// Is the first whole chat ACK line of the bytes not yet read as lines
/// the ACK of a text other than `message`?
fn acks_another(pending: &[u8], message: &str) -> bool {
    String::from_utf8_lossy(pending)
        .split_inclusive('\n')
        .filter(|line| line.ends_with('\n'))
        .find_map(|line| {
            super::common::chat_acked(line.trim_end_matches(['\r', '\n'])).map(str::to_string)
        })
        .is_some_and(|acked| acked != message)
}

/// Do the bytes not yet read as lines (`pending`, from the start of a
/// line) begin an ACK? A line of them that holds `[ACK`, or begins with
/// `ACK` for a wording chat-ack judges, or a last line cut short that is
/// the start of one (an ACK sent in pieces). An echo of the message in the
/// same send before it counts: a send is judged by all it carried.
fn begins_an_ack(pending: &[u8]) -> bool {
    let mut lines = pending.split(|b| *b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let last = lines.peek().is_none();
        let begins_one =
            last && !line.is_empty() && (b"[ACK".starts_with(line) || b"ACK".starts_with(line));
        if line.windows(4).any(|w| w == b"[ACK") || line.starts_with(b"ACK") || begins_one {
            return true;
        }
    }
    false
}

/// The log's lines, in a log written at leisure: a clean stop (SIGTERM)
/// after the client left, so that a server that holds its lines (the
/// mistake chat-log names) still shows how it writes them.
pub fn log_format(ctx: &mut Ctx) -> Result<(), Failure> {
    let (_, path, p, mut talk) = logging_session(ctx)?;
    let messages: Vec<String> = (0..2).map(|_| ctx.message(20)).collect();
    // A third, with a backslash and a tab in it: written as it came, the
    // record cannot be read back (a `\r` would forge a second one); the
    // contract escapes them (blind round 15: raw records passed).
    // Also an ESC (the start of a terminal's colour codes: `\u{1b}`) and
    // an é, which is no control character and is written as it is (blind
    // round 16: a log of Python's `unicode_escape`, `\xe9`, and one that
    // left the other controls raw, passed). No `\r`: a server reading
    // with universal newlines would take it for the end of the line.
    // And every other control character but NUL, LF and CR, and DEL: a
    // log that escaped the tab and the ESC by name, and nothing else,
    // passed (hostile round 54), and so did one drawn control from
    // U+0010..U+001F for a log writing C's names (`\a`, `\b`, `\v`, `\f`)
    // or one that escaped nothing past U+001F (hostile round 57). Sent
    // whole, not drawn: one verdict per program.
    let (head, tail) = (ctx.message(10), ctx.message(10));
    let tricky = format!("{head} C:\\lab\t\u{1b}[1mcafé{LOG_CONTROLS} {tail}");
    for message in messages.iter().chain([&tricky]) {
        send_line(ctx, &mut talk, message)?;
        // Its ACK is chat-ack's to judge: read only so that each line is
        // handled before the next goes.
        let _ = read_line(&mut talk.stream, &mut talk.pending, SLACK);
    }
    let client = talk.client;
    drop(talk);
    // A server that writes its log late (on a timer: chat-log's finding)
    // still has its lines judged; one that writes at once costs nothing.
    ctx.step(format!(
        "the client leaves; wait up to {}s for every message in the log, then stop the server with SIGTERM",
        LOG_LATE.as_secs()
    ));
    // The third's record too, by its plain words, however it is escaped
    // (a clean-clone run stopped the server before it was written).
    let awaited: Vec<String> = messages
        .iter()
        .cloned()
        .chain([head.clone(), tail.clone()])
        .collect();
    stop_once_logged(ctx, p, &path, &awaited);
    // No file, or none of the lines even now: chat-log's finding (a
    // missing file is its own there, lines not on disk at the ACK too).
    // Its `\u{HEX}` escapes read in any case, with leading zeros or not.
    let log = crate::message::canonical_hex_escapes(&read_stopped_log(ctx, &path)?);
    let logged: Vec<&String> = messages
        .iter()
        .filter(|m| log.contains(m.as_str()))
        .collect();
    if logged.is_empty() {
        return Err(fail(
            Diagnosis::LostMessage,
            "the messages are in the --log file once the server has stopped",
            if log.is_empty() {
                // Blind round 37: said bare, it left the form unjudged with
                // no word of why.
                "the log file is empty, even once the server was stopped: its records never reached the file (held in a write buffer that the stop threw away?), so their form cannot be judged until they do".to_string()
            } else if log.contains(head.as_str()) || log.contains(tail.as_str()) {
                // (Blind round 86: "none of the messages", of a log that
                // held the last one's record alone.)
                "of the three messages only the last one's record is in it: the earlier ones are gone".to_string()
            } else {
                "none of the messages is in it".to_string()
            },
        )
        .consequence_of("chat-log"));
    }
    ctx.step(format!(
        "each message's line reads `<RFC 3339 time> {client} <message>`"
    ));
    // Every fault is said, the form of a record and the escapes of the
    // third alike (blind round 23: a wrong time hid a backslash left
    // single, found only in a second round).
    let form = logged.iter().find_map(|message| {
        log_line_wrong(&log, client, message).map(|wrong| {
            (
                format!("the log line of `{message}` is `<RFC 3339 time> {client} {message}`"),
                wrong,
            )
        })
    });
    // Escaped as it should be, its record's form is the others' fault
    // again: said once.
    let escapes = escapes_wrong(&log, client, &tricky, (&head, &tail)).filter(|_| {
        form.is_none() || !log.contains(crate::message::escape_record(&tricky).as_ref())
    });
    let (expected, observed) = match (form, escapes) {
        (None, None) => return Ok(()),
        (Some(one), None) | (None, Some(one)) => one,
        (Some((form_expected, form_wrong)), Some((_, escapes_wrong))) => (
            format!("{form_expected}, and the third message is logged escaped"),
            format!(
                "{form_wrong}; and {}",
                escapes_wrong.replacen("in its record", "in the third message's record", 1)
            ),
        ),
    };
    Err(fail(Diagnosis::LogFormat, expected, observed))
}

/// The control characters of chat-log-format's third message besides
/// its tab and ESC: the rest of C0 but NUL (a C string's end), LF and CR
/// (line ends, the framing's to judge), and DEL.
const LOG_CONTROLS: &str = "\u{1}\u{2}\u{3}\u{4}\u{5}\u{6}\u{7}\u{8}\u{b}\u{c}\u{e}\u{f}\u{10}\u{11}\u{12}\u{13}\u{14}\u{15}\u{16}\u{17}\u{18}\u{19}\u{1a}\u{1c}\u{1d}\u{1e}\u{1f}\u{7f}";

/// What is wrong with the record of `tricky` (a backslash, a tab, an ESC,
/// an é and [`LOG_CONTROLS`] between the words `head` and `tail`), if
/// anything: its form, or the escapes it lacks. `None` also when it is
/// not in the log at all (lost: chat-log's to judge).
fn escapes_wrong(
    log: &str,
    client: SocketAddr,
    tricky: &str,
    (head, tail): (&str, &str),
) -> Option<(String, String)> {
    let escaped = crate::message::escape_record(tricky).into_owned();
    let expected = format!(
        "the third message (a backslash, a tab, an ESC, an é, and every other control character but NUL, LF and CR: U+0001..U+001F and DEL) is logged escaped: `<RFC 3339 time> {client} {escaped}`"
    );
    if log.contains(&escaped) {
        return log_line_wrong(log, client, &escaped).map(|wrong| (expected, wrong));
    }
    let Some(line) = log.lines().find(|l| l.contains(head) && l.contains(tail)) else {
        // Its start in a record without its end (which is in one of its
        // own, or in none: the server went on with the parts after the
        // client had left, and its send failed): the line was cut at a
        // control character taken for a line end (Python's `splitlines()`
        // ends lines at \v, \f and U+001C..U+001E).
        let split = log.lines().any(|l| l.contains(head));
        return split.then(|| {
            (
                expected,
                "the record of its start does not hold its end: the server cut the line inside it, at a control character taken for a line end (Python's str.splitlines() ends lines at \\v, \\f and U+001C..U+001E too) or after a fixed number of bytes; a line ends at `\\n` only, and everything before it is one message".to_string(),
            )
        });
    };
    // Say which escape is missing: shown with its controls escaped, a raw
    // tab and a lone backslash would read like the expected text.
    let mut missing = Vec::new();
    if line.contains('\t') {
        missing.push("the tab is written as it came, not as `\\t`".to_string());
    }
    if line.contains("C:\\lab") && !line.contains("C:\\\\lab") {
        missing.push("the backslash is single, not doubled (`\\\\`)".to_string());
    }
    if line.contains('\u{1b}') {
        missing.push("the ESC is written as it came, not as `\\u{1b}`".to_string());
    } else if !line.contains("\\u{1b}") {
        // Escaped, in another language's form (blind round 29: Python's
        // `\x1b` went unnamed beside the é).
        let form = ["\\x1b", "\\x1B", "\\u001b", "\\u001B", "\\033", "\\e"]
            .into_iter()
            .find(|f| line.contains(f));
        missing.push(match form {
            Some(form) => format!("the ESC is written `{form}`, not `\\u{{1b}}`"),
            None => "the ESC is not written as `\\u{1b}`".to_string(),
        });
    }
    if !line.contains("café") {
        missing.push("the é is not written as it is (only control characters are escaped, in Rust's `\\u{HEX}` form)".to_string());
    }
    // The other controls: raw, or escaped in another form (C's names).
    let hex = |c: char| format!("\\u{{{:x}}}", u32::from(c));
    let (raw, other): (Vec<char>, Vec<char>) = LOG_CONTROLS
        .chars()
        .filter(|&c| line.contains(c) || !line.contains(&hex(c)))
        .partition(|&c| line.contains(c));
    let listed = |cs: &[char]| {
        let shown: Vec<String> = cs
            .iter()
            .take(6)
            .map(|&c| format!("U+{:04X}", u32::from(c)))
            .collect();
        let more = cs.len().saturating_sub(6);
        if more > 0 {
            format!("{} and {more} more", shown.join(", "))
        } else {
            shown.join(", ")
        }
    };
    if !raw.is_empty() {
        missing.push(format!(
            "{} control character{} ({}) {} written as {} came, not as `\\u{{HEX}}`",
            raw.len(),
            if raw.len() == 1 { "" } else { "s" },
            listed(&raw),
            if raw.len() == 1 { "is" } else { "are" },
            if raw.len() == 1 { "it" } else { "they" },
        ));
    }
    if !other.is_empty() {
        let c_names = ["\\a", "\\b", "\\v", "\\f"]
            .into_iter()
            .filter(|n| line.contains(n))
            .collect::<Vec<_>>();
        missing.push(format!(
            "{} control character{} ({}) {} not written as `\\u{{HEX}}` (U+{:04X} as `{}`){}",
            other.len(),
            if other.len() == 1 { "" } else { "s" },
            listed(&other),
            if other.len() == 1 { "is" } else { "are" },
            u32::from(other[0]),
            hex(other[0]),
            if c_names.is_empty() {
                String::new()
            } else {
                format!(
                    ": C's names ({}) are not the contract's",
                    c_names.join(", ")
                )
            }
        ));
    }
    if missing.is_empty() {
        missing.push("the message is not written with the contract's escapes".to_string());
    }
    Some((
        expected,
        format!(
            "in its record, {}: `{}`; write `\\\\` for a backslash, `\\t` for a tab, `\\n`, `\\r` and `\\u{{HEX}}` for the other control characters",
            missing.join(", and "),
            super::common::raw_controls_named(&crate::grade::harness::truncate(line, 160))
        ),
    ))
}

/// The log keeps what it held: a log that already holds a record (of an
/// earlier run) when the server starts still holds it, first and whole,
/// once the server has stopped. Opened for writing (Python's `"w"`, C's
/// `O_TRUNC`), the file is emptied at every start; opened with neither
/// `O_APPEND` nor `O_TRUNC` (C's `open(path, O_WRONLY | O_CREAT)`), it is
/// written over from its first byte. Each of those passed every other log
/// check, which start from no file.
pub fn log_append(ctx: &mut Ctx) -> Result<(), Failure> {
    let dir = ctx
        .scratch_dir()
        .map_err(|e| fail(Diagnosis::GraderError, "a temporary folder", e.to_string()))?;
    let path = dir.join("chat.log");
    // Longer than the record the server will write, so that one written
    // over it leaves the old one's tail behind, to be told by.
    let earlier = format!("2026-09-14T10:31:07Z 127.0.0.1:40000 {}", ctx.message(60));
    ctx.step(format!(
        "before the server starts, the log {} already holds a record of an earlier run: `{earlier}`",
        path.display()
    ));
    std::fs::write(&path, format!("{earlier}\n")).map_err(|e| {
        fail(
            Diagnosis::GraderError,
            "a log of an earlier run",
            e.to_string(),
        )
    })?;
    // The check's programs run as the jail's user: the file must be
    // theirs to append to, as a log of their own earlier run would be.
    ctx.give_file(&path);
    let args = ["--log".to_string(), path.to_string_lossy().into_owned()];
    let (p, addr) = ctx.start_server(role::CHAT_SERVER, &args, &[])?;
    let mut talk = open(ctx, addr)?;
    let message = ctx.message(20);
    send_line(ctx, &mut talk, &message)?;
    // Its ACK is chat-ack's to judge: read only so that the line is
    // handled before the client leaves.
    let _ = read_line(&mut talk.stream, &mut talk.pending, SLACK);
    drop(talk);
    ctx.step(format!(
        "the client leaves; wait up to {}s for the message in the log, then stop the server with SIGTERM",
        LOG_LATE.as_secs()
    ));
    let ended = stop_once_logged(ctx, p, &path, std::slice::from_ref(&message));
    let expected = format!(
        "the log still starts with the earlier run's record `{earlier}`, the new message's record after it"
    );
    // Dead on the message before it was stopped: a crash, as chat-log and
    // chat-log-format see it, not a question of how the log was opened.
    if let Some(status) = ended.filter(|s| !s.success()) {
        return Err(died_on_the_message(ctx, p, status, expected));
    }
    // Gone altogether (a server that deletes its log and never writes
    // one): what chat-log says of a log never written.
    let log = read_stopped_log(ctx, &path)?;
    let first_line = log.lines().next().unwrap_or_default();
    let first = first_line.trim_end_matches('\r');
    if first == earlier {
        // Kept. A new record missing is chat-log's finding (never
        // written, or written late), not this check's.
        if !log.contains(&message) {
            return Err(fail(
                Diagnosis::LostMessage,
                expected,
                format!("the earlier record is kept, but `{message}` is not in the log"),
            )
            .consequence_of("chat-log"));
        }
        return Ok(());
    }
    // The old record's tail on a line of its own, after the new one.
    let written_over = !log.contains(&earlier)
        && log
            .lines()
            .any(|l| !l.is_empty() && l.len() < earlier.len() && earlier.ends_with(l));
    // Kept, but in another file beside it: a rotation at start (blind
    // round 27: told "emptied by mode w", while `chat.log.1` held it).
    if !log.contains(&earlier) {
        if let Some(moved) = moved_beside(&path, &earlier) {
            return Err(fail(
                Diagnosis::LogOverwritten,
                expected,
                format!("the earlier record was moved out of the log: `{moved}`, beside it, holds it now (the log was renamed aside at start, a rotation, and a new one begun)"),
            )
            .hinted("Keep the --log file where it is and add to it: open it for appending (Python open(path, \"a\"), C O_APPEND, Node flags: \"a\") and do not rename, move or rotate it at start. Whoever reads the log expects every earlier record in that one file."));
        }
    }
    let how = if log.is_empty() {
        "the log is empty: the file was emptied when the server opened it".to_string()
    } else if written_over {
        format!(
            "the new record was written over the old one, from the file's first byte (opened without O_APPEND): it now starts `{}`",
            crate::message::escape_controls(&crate::grade::harness::truncate(first_line, 160))
        )
    } else if log.contains(&earlier) {
        "the earlier record is no longer the log's first line: records go at the end of the file"
            .to_string()
    } else {
        format!(
            "the earlier record is gone: the file was emptied when the server opened it, or when it wrote its record (mode \"w\", or a write of the whole file such as Node's fs.writeFileSync, not an append); the log now starts `{}`",
            crate::message::escape_controls(&crate::grade::harness::truncate(first, 160))
        )
    };
    Err(fail(Diagnosis::LogOverwritten, expected, how))
}

/// The name of a file beside the log `path` (in the folder the grader gave
/// the server, where only it writes) that holds `record`, if any: a log
/// renamed aside. A few entries are read, each bounded.
fn moved_beside(path: &std::path::Path, record: &str) -> Option<String> {
    let entries = std::fs::read_dir(path.parent()?).ok()?;
    entries.flatten().take(16).find_map(|entry| {
        let name = entry.file_name();
        if entry.path() == path {
            return None;
        }
        let text = crate::sandbox::read_untrusted(&entry.path(), LOG_MAX_BYTES).ok()?;
        String::from_utf8_lossy(&text)
            .contains(record)
            .then(|| name.to_string_lossy().into_owned())
    })
}

/// What is wrong with the log line of `message` (sent from `client`), or
/// `None` when it reads `<RFC 3339 time> <client address> <message>`. The
/// time needs its offset from UTC (`Z` or `+01:00`): without one it names
/// no instant. Also taken, as naming the same instant: a space for the `T`
/// (RFC 3339 allows it) and C's strftime `%z` offset, `+0000`, without its
/// colon. `message` is as the record holds it (escaped: `escape_record`).
fn log_line_wrong(log: &str, client: SocketAddr, message: &str) -> Option<String> {
    let line = log.lines().find(|l| l.contains(message))?;
    let shown = crate::grade::harness::truncate(line, 160);
    let Some(rest) = line.strip_suffix(message).and_then(|r| r.strip_suffix(' ')) else {
        return Some(format!(
            "the line is `{shown}`: the message must end it, as it was sent, after one space"
        ));
    };
    // The time is the first word, or the first two when a space stands
    // for its `T` (a date alone first); the address is the rest.
    let words: Vec<&str> = rest.split(' ').collect();
    let dated = words.len() >= 3 && words[0].len() == 10 && words[0].matches('-').count() == 2;
    let cut = (if dated { 2 } else { 1 }).min(words.len());
    let (time, address) = (words[..cut].join(" "), words[cut..].join(" "));
    if address.is_empty() {
        return Some(format!(
            "the line is `{shown}`: before the message come the time and the client's address, each followed by one space"
        ));
    }
    if rfc3339(&time).is_none() {
        let no_offset =
            chrono::NaiveDateTime::parse_from_str(&time, "%Y-%m-%dT%H:%M:%S%.f").is_ok();
        return Some(format!(
            "the line is `{shown}`: `{time}` is not an RFC 3339 time{}",
            if no_offset {
                " (it has no offset from UTC: add `Z` or `+00:00`, as the hint shows for your language)"
            } else {
                " such as 2026-09-14T10:31:07Z"
            }
        ));
    }
    if address != client.to_string() {
        return Some(format!(
            "the line is `{shown}`: `{address}` is not the client's address, written {client}"
        ));
    }
    None
}

/// `time` as RFC 3339, also with a space for the `T` and a `+HHMM` offset.
fn rfc3339(time: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    let time = time.replacen(' ', "T", 1);
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(&time) {
        return Some(t);
    }
    // `+0000`: put the colon in and try again.
    let n = time.len();
    let offset = time.get(n.saturating_sub(5)..)?;
    let digits = offset.get(1..)?;
    if offset.starts_with(['+', '-']) && digits.bytes().all(|b| b.is_ascii_digit()) {
        let fixed = format!("{}{}:{}", &time[..n - 5], &offset[..3], &offset[3..]);
        return chrono::DateTime::parse_from_rfc3339(&fixed).ok();
    }
    None
}

/// No log at all after a SIGKILL right after the ACKs: a server that never
/// writes the file it is given, or one that keeps its lines in memory and
/// writes them later (on a timer, at exit)? Asked of a second server: one
/// message, its ACK, then up to [`LOG_LATE`] for the file, then SIGINT
/// (a clean exit writes what is held). A file then is the lost-message
/// mistake (the lines were not on disk at the ACK); none, the option is
/// ignored.
fn written_late_or_never(ctx: &mut Ctx, dir: &std::path::Path, path: &std::path::Path) -> Failure {
    let never = no_log_file(path);
    let late = dir.join("chat-late.log");
    let args = ["--log".to_string(), late.to_string_lossy().into_owned()];
    ctx.step("no log at all: start a second server with its own --log, to tell a log written late from none");
    let Ok((p, addr)) = ctx.start_server(role::CHAT_SERVER, &args, &[]) else {
        return never;
    };
    let message = ctx.message(16);
    let Ok(mut talk) = open(ctx, addr) else {
        return never;
    };
    if send_line(ctx, &mut talk, &message).is_err()
        || expect_ack(ctx, p, &mut talk, &message, Diagnosis::WrongReply).is_err()
    {
        return never;
    }
    ctx.step(format!(
        "after its ACK, wait up to {}s for the log, then stop it with SIGINT",
        LOG_LATE.as_secs()
    ));
    let started = std::time::Instant::now();
    while !late.exists() && started.elapsed() < LOG_LATE {
        std::thread::sleep(Duration::from_millis(100));
    }
    let waited = started.elapsed();
    let mut when = format!("{:.1}s after the ACK", waited.as_secs_f64());
    if !late.exists() {
        drop(talk);
        let _ = ctx.child(p).signal(Signal::Interrupt);
        let _ = ctx.wait_exit(p, SLACK);
        when = "only when the server was stopped".to_string();
    }
    if !late.exists() {
        return never;
    }
    fail(
        Diagnosis::LostMessage,
        format!(
            "every acknowledged message is in the file given with --log {}",
            path.display()
        ),
        format!(
            "there is no such file after a SIGKILL right after the ACKs; a second server wrote its log {when}: the lines were held in memory, not on disk when acknowledged"
        ),
    )
}

/// Does the log at `path` hold every one of `messages` yet? Read as
/// untrusted (see [`log`]).
/// Waits up to [`LOG_LATE`] for every one of `awaited` in the log at
/// `path` (a server that writes its log late still has its lines judged;
/// one that writes at once costs nothing), then stops the server `p` with
/// SIGTERM. Returns its status when it ended by itself before that.
fn stop_once_logged(
    ctx: &mut Ctx,
    p: Proc,
    path: &std::path::Path,
    awaited: &[String],
) -> Option<std::process::ExitStatus> {
    let started = std::time::Instant::now();
    let mut ended = None;
    while started.elapsed() < LOG_LATE && !all_logged(path, awaited) {
        if let Some(status) = ctx.wait_exit(p, Duration::from_millis(100)) {
            ended = Some(status);
            break;
        }
    }
    ctx.signal(p, Signal::Terminate);
    let _ = ctx.wait_exit(p, SLACK + Duration::from_secs(2));
    ended
}

/// The log at `path`, once its server has stopped. None there, or none
/// that is a plain file, is chat-log's finding.
fn read_stopped_log(ctx: &mut Ctx, path: &std::path::Path) -> Result<String, Failure> {
    ctx.step(format!("read the log {}", path.display()));
    if !path.exists() {
        return Err(no_log_file(path).consequence_of("chat-log"));
    }
    let log = crate::sandbox::read_untrusted(path, LOG_MAX_BYTES).map_err(|e| {
        fail(
            Diagnosis::LostMessage,
            "the --log file is a plain file",
            format!("the log cannot be read as a plain file: {e}"),
        )
        .consequence_of("chat-log")
    })?;
    Ok(String::from_utf8_lossy(&log).into_owned())
}

/// A server with `--log` that died (`status`) on a message before it was
/// stopped: a crash, with the last line it wrote on stderr.
fn died_on_the_message(
    ctx: &mut Ctx,
    p: Proc,
    status: std::process::ExitStatus,
    expected: String,
) -> Failure {
    let how = ctx
        .last_stderr_line(p)
        .map(|l| format!("; the last line on stderr: `{l}`"))
        .unwrap_or_default();
    fail(
        Diagnosis::Crash,
        expected,
        format!(
            "it died on the message, with --log ({}){how}",
            crate::process::describe_status(status)
        ),
    )
}

fn all_logged(path: &std::path::Path, messages: &[String]) -> bool {
    crate::sandbox::read_untrusted(path, LOG_MAX_BYTES).is_ok_and(|log| {
        let log = String::from_utf8_lossy(&log);
        messages.iter().all(|m| log.contains(m.as_str()))
    })
}

/// How long [`written_late_or_never`] waits for a log written late.
const LOG_LATE: Duration = Duration::from_secs(8);

/// The log check's finding when the file given with `--log` is not there.
fn no_log_file(path: &std::path::Path) -> Failure {
    fail(
        Diagnosis::IgnoresConfig,
        format!(
            "every acknowledged message is in the file given with --log {}",
            path.display()
        ),
        "there is no such file: the server never created the log it was given (does it read the --log option?)",
    )
}

pub fn shutdown(ctx: &mut Ctx) -> Result<(), Failure> {
    let (p, addr) = ctx.start_server(role::CHAT_SERVER, &[], &[])?;
    // A reply missing or worded otherwise is chat-ack's finding: the
    // shutdown is still tested (a server that never ACKs can still ignore
    // SIGTERM), and the reply blamed only if the shutdown is clean.
    let session = short_session(ctx, p, addr)
        .map(drop)
        .map_err(ack_is_chat_acks);
    let later = match session {
        Err(f) if f.cause.is_none() => return Err(f),
        other => other,
    };
    // Let a server that (wrongly) ends with its first session do so now,
    // so it is reported as exiting early, not as ignoring the signal.
    ctx.step("the client leaves; wait a second");
    let _ = ctx.wait_exit(p, Duration::from_secs(1));
    expect_clean_shutdown(
        ctx,
        p,
        addr,
        Signal::Terminate,
        SLACK + Duration::from_secs(2),
    )?;
    later
}

/// How long the framing check waits, after a line, for a client that
/// sends its next line without reading the ACK (it sends at once: far
/// less than this).
const PIPELINE_WAIT: Duration = Duration::from_millis(300);
/// The other chat client checks wait less (a client that waits for each
/// ACK pays this once per line).
const PIPELINE_GLANCE: Duration = Duration::from_millis(50);

/// Reads until `pending` holds a complete line, for at most `wait` (and
/// at most [`MAX_KEPT`](crate::grade::harness::MAX_KEPT) bytes).
fn another_line_within(stream: &mut TcpStream, pending: &mut Vec<u8>, wait: Duration) -> bool {
    let until = std::time::Instant::now() + wait;
    let mut buf = [0u8; 4096];
    while !pending.contains(&b'\n') {
        let left = until.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() || pending.len() >= crate::grade::harness::MAX_KEPT {
            return false;
        }
        let _ = stream.set_read_timeout(Some(left));
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return false,
            Ok(n) => pending.extend_from_slice(&buf[..n]),
        }
    }
    true
}

/// What the client sent the fake chat server.
struct Sent {
    /// Complete lines, without their `\n`.
    lines: Vec<String>,
    /// The ACK lines sent back.
    acks: Vec<String>,
    /// Bytes that never got their `\n` (a chat line without its end).
    unterminated: Vec<u8>,
    /// Did the client send a line before the ACK of the one before (so
    /// that ACKs went back to back)?
    pipelined: bool,
    /// Had it closed its end before the last ACKs went out?
    closed_first: bool,
    /// And was it gone at once (its socket refused them, or its program
    /// ended), not still reading after closing its sending side?
    left_at_once: bool,
    /// Held for it ([`FakeChat::HeldUntilConnected`]): did its Connected
    /// line show before the first ACK went out? (`true` when not held.)
    connected_shown: bool,
    /// The lines of each connection it opened after closing the first one
    /// with lines still to send ([`later_sessions`]).
    later: Vec<Vec<String>>,
    /// Every line came and got its ACK, and the client still held the
    /// connection open after the wait it was given (LAB_TIMEOUT and a
    /// second, at least [`SLACK`]); the fake server closed it then.
    stayed: bool,
}

/// How a fake chat server answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FakeChat {
    /// Each ACK in one write, at once.
    Plain,
    /// The last ACK of each reply split over two segments, 250 ms apart.
    SplitAcks,
    /// The first ACK held until the client's `[CLIENT] Connected to` line
    /// shows on its stdout (up to [`CONNECTED_HOLD`]): a client whose
    /// stdout is a buffer shows it only at its exit.
    HeldUntilConnected,
}

/// How long [`FakeChat::HeldUntilConnected`] holds the first ACK.
const CONNECTED_HOLD: Duration = Duration::from_secs(2);

/// How soon after it closed its end a client that ends (or whose socket
/// refuses what comes) did not wait for its ACKs: one that waits for them
/// waits a good deal longer (its LAB_TIMEOUT, 1 s at least).
const LEFT_AT_ONCE: Duration = Duration::from_millis(300);

/// Within `wait`, does the client's socket answer what was written with a
/// reset, or does its program end?
fn gone_within(ctx: &mut Ctx, p: Proc, stream: &TcpStream, wait: Duration) -> bool {
    let until = std::time::Instant::now() + wait;
    loop {
        if let Ok(Some(_)) = stream.take_error() {
            return true;
        }
        if ctx.child(p).try_status().is_some() {
            return true;
        }
        if std::time::Instant::now() >= until {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Does the client close its end (a 0-byte read) within `wait`, with no
/// more bytes before that? Bytes that come instead are kept in `pending`.
fn closed_within(stream: &mut TcpStream, pending: &mut Vec<u8>, wait: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let _ = stream.set_read_timeout(Some(wait));
    match stream.read(&mut buf) {
        Ok(0) => true,
        Ok(n) => {
            pending.extend_from_slice(&buf[..n]);
            false
        }
        Err(_) => false,
    }
}

/// A fake chat server of the grader's for the submission's client: its
/// listener and port.
fn fake_chat_server(ctx: &mut Ctx) -> Result<(TcpListener, u16), Failure> {
    let listener = fake_listener()
        .map_err(|e| fail(Diagnosis::CannotStart, "a fake server", e.to_string()))?;
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    ctx.step(format!(
        "start a fake chat server of the grader's on {HOST}:{port}"
    ));
    Ok((listener, port))
}

/// The fake chat server's side of the client's connection.
fn accept_client(ctx: &mut Ctx, listener: &TcpListener, p: Proc) -> Result<TcpStream, Failure> {
    ctx.step("wait for the client to connect");
    let Some(conn) = ctx.accept_from(listener, p, STARTUP) else {
        let expected = "the chat client connects to LAB_HOST:LAB_PORT";
        if let Some(failure) = super::client::died_before_connecting(ctx, p, expected) {
            return Err(failure);
        }
        return Err(fail(
            Diagnosis::IgnoresConfig,
            expected,
            format!("no connection within {}s", STARTUP.as_secs()),
        ));
    };
    Ok(conn)
}

/// Plays the chat server for the submission's client: answers each line
/// with an ACK (split in two segments when `split`).
fn fake_chat(
    ctx: &mut Ctx,
    listener: &TcpListener,
    p: Proc,
    (count, patience): (usize, Duration),
    how: FakeChat,
) -> Result<Sent, Failure> {
    let split = how == FakeChat::SplitAcks;
    // The fake server keeps a clock of its own (a server in another time
    // zone, or simply wrong): its ACKs' times are not this machine's, so a
    // client that prints an ACK it made up, from its clock and its line,
    // is told from one that prints what came (hostile round 44: such a
    // client passed every chat-client check).
    let clock = chrono::Duration::minutes(61 + ctx.below(600) as i64)
        + chrono::Duration::seconds(ctx.below(60) as i64);
    let mut connected_shown = true;
    let mut conn = accept_client(ctx, listener, p)?;
    let _ = conn.set_nodelay(true);
    let mut pending = Vec::new();
    let (mut got, mut acks) = (Vec::new(), Vec::new());
    let mut unterminated = Vec::new();
    let mut later = Vec::new();
    // ACKs held back to go out in one write with the next one.
    let mut held = String::new();
    let mut pipelined = false;
    let mut closed_first = false;
    // Did a write of ours fail (the client's socket gone)?
    let mut refused = false;
    for i in 0..count {
        ctx.step("read one line from the client");
        let line = match read_line(&mut conn, &mut pending, SLACK) {
            Ok(line) => line,
            Err((bytes, end)) => {
                // Closed with lines still owed, after a line and its ACK
                // or before any (a "test" connect first: blind round 67,
                // told as lines never sent): do they come on connections
                // of their own?
                // A first connection left silent and open counts too: the
                // lines may be waiting on the next (hostile round 68).
                if bytes.is_empty() && (end == End::Eof || i == 0) {
                    later = later_sessions(ctx, listener, p, count - i, clock);
                }
                unterminated = bytes;
                break;
            }
        };
        if i == 0 && how == FakeChat::HeldUntilConnected {
            ctx.step(format!(
                "hold the first ACK until the client prints `[CLIENT] Connected to ...` (up to {}s)",
                CONNECTED_HOLD.as_secs()
            ));
            connected_shown = ctx
                .wait_stdout(p, CONNECTED_HOLD, |l| l.starts_with(CONNECTED))
                .is_some();
        }
        let ack = chat_ack_at(clock, &line);
        got.push(line);
        acks.push(ack.clone());
        held.push_str(&ack);
        held.push('\n');
        // A client that sends its next line before reading this ACK gets
        // the ACKs back to back, in one segment, as a busy server would
        // send them. The framing check waits longer for such a line.
        let wait = if split {
            PIPELINE_WAIT
        } else {
            PIPELINE_GLANCE
        };
        let last = i + 1 == count;
        let next_is_there = !last && another_line_within(&mut conn, &mut pending, wait);
        if next_is_there {
            ctx.step(format!(
                "hold `{ack}`: the client sent its next line without waiting for it"
            ));
            pipelined = true;
            continue;
        }
        // Has the client left already, its end closed with its last line?
        // The ACKs it is owed would go to a client that never reads them
        // (blind round 26: a receiving thread left to die with the
        // program). One that sent its lines without waiting is given
        // longer: it has shown it does not wait.
        let glance = if pipelined {
            PIPELINE_WAIT
        } else {
            PIPELINE_GLANCE
        };
        if last && closed_within(&mut conn, &mut pending, glance) {
            ctx.step("the client closed its end of the connection after its last line, before any ACK it was still owed");
            closed_first = true;
        }
        let reply = std::mem::take(&mut held);
        let shown = reply.trim_end().replace('\n', "` + `");
        if split {
            // Split in the middle of the last ACK (the ones held before it
            // go whole in the first segment). Split the bytes, not the
            // text: the middle may fall inside a character the client sent.
            let at = reply.len() - ack.len().div_ceil(2) - 1;
            let (a, b) = reply.as_bytes().split_at(at);
            ctx.step(format!("reply `{shown}` in two segments, 250 ms apart"));
            refused |= conn.write_all(a).is_err();
            std::thread::sleep(Duration::from_millis(250));
            until_read(ctx, &conn);
            refused |= conn.write_all(b).is_err();
        } else {
            ctx.step(format!("reply `{shown}`"));
            refused |= conn.write_all(reply.as_bytes()).is_err();
        }
    }
    // Left for good, or only done sending (`shutdown(SHUT_WR)`, and still
    // reading)? A socket closed whole answers the ACKs with a reset; a
    // program that ended at once did not wait for them either.
    let left_at_once = closed_first && (refused || gone_within(ctx, p, &conn, LEFT_AT_ONCE));
    if !held.is_empty() {
        let _ = conn.write_all(held.as_bytes());
    }
    ctx.step(format!(
        "wait for the client to close the connection (up to {}s)",
        patience.as_secs()
    ));
    let (_, end) = read_to_end(&mut conn, patience);
    let stayed = end == End::Timeout && got.len() == count && later.is_empty();
    if stayed {
        ctx.step("still connected: close the connection from the server's side");
    }
    Ok(Sent {
        lines: got,
        acks,
        unterminated,
        pipelined,
        closed_first,
        left_at_once,
        connected_shown,
        later,
        stayed,
    })
}

/// How long a client that closed its connection with lines still to send
/// is given to open the next one.
const RECONNECT_WAIT: Duration = Duration::from_secs(1);

/// Serves the connections a client opens after closing its first one
/// with lines still to send, as a chat server would (every line gets its
/// ACK), until `left` lines came or none comes within [`RECONNECT_WAIT`]:
/// the lines of each. A client that opens a connection for every line
/// was told as one that lost its lines, with a hint on reading stdin
/// (hostile round 51 M4): its next connect was refused, the fake server
/// gone.
fn later_sessions(
    ctx: &mut Ctx,
    listener: &TcpListener,
    p: Proc,
    left: usize,
    clock: chrono::Duration,
) -> Vec<Vec<String>> {
    let mut sessions = Vec::new();
    let mut lines = 0;
    while lines < left && sessions.len() < left {
        let Some(mut conn) = ctx.accept_from(listener, p, RECONNECT_WAIT) else {
            break;
        };
        ctx.step("the client opened another connection: answer each line it sends there");
        let _ = conn.set_nodelay(true);
        let (mut pending, mut got) = (Vec::new(), Vec::new());
        while lines < left {
            let Ok(line) = read_line(&mut conn, &mut pending, SLACK) else {
                break;
            };
            let _ = conn.write_all(format!("{}\n", chat_ack_at(clock, &line)).as_bytes());
            got.push(line);
            lines += 1;
        }
        sessions.push(got);
    }
    sessions
}

/// The start of the chat client's first line.
const CONNECTED: &str = "[CLIENT] Connected to";

/// A chat client that opened a connection for each line.
const ONE_SESSION_HINT: &str = "A chat session is one connection: connect once, before the first line; send each line and read its ACK on that connection; close it after the last line (or at the end of input). A connection per line makes each line a new caller: the helpdesk serves one caller at a time, so every line of yours waits behind the other callers, and the log shows them as sessions of their own.";

/// Runs the chat client with `args` (and `stdin` lines if any) against a
/// fake server; expects it to send `messages` and print each ACK.
fn chat_client_run(
    ctx: &mut Ctx,
    args: &[String],
    stdin: Option<&[String]>,
    messages: &[String],
    how: FakeChat,
) -> Result<(Proc, u16), Failure> {
    let split = how == FakeChat::SplitAcks;
    let (listener, port) = fake_chat_server(ctx)?;
    let mut env = vec![("LAB_PORT", port.to_string())];
    let mut timeout = super::common::contract_timeout();
    if how == FakeChat::HeldUntilConnected {
        // Its wait for an ACK well past the hold: a client whose stdout is
        // a buffer must not give up while the first ACK is held for it.
        timeout = CONNECTED_HOLD.as_secs() + 3;
        env.push(super::common::timeout_env(timeout));
    }
    // How long it may take to close once its lines have their ACKs: a
    // client whose receiving thread reads with LAB_TIMEOUT and looks at a
    // stop flag between reads closes within that time, by itself (hostile
    // round 59: blamed as hanging when LAB_TIMEOUT was over the wait).
    let patience = SLACK.max(Duration::from_secs(timeout + 1));
    let p = match stdin {
        Some(lines) => {
            let p = ctx.spawn_with_stdin(role::CHAT_CLIENT, args, &env)?;
            let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
            ctx.step(format!(
                "type {} lines on its stdin, then end of input",
                lines.len()
            ));
            let _ = ctx.child(p).write_stdin(text.as_bytes());
            ctx.child(p).close_stdin();
            p
        }
        None => ctx.spawn(role::CHAT_CLIENT, args, &env)?,
    };
    let Sent {
        lines: got,
        acks,
        unterminated,
        pipelined,
        closed_first,
        left_at_once,
        connected_shown,
        later,
        stayed,
    } = fake_chat(ctx, &listener, p, (messages.len(), patience), how)?;
    if !later.is_empty() {
        let story: Vec<String> = std::iter::once(&got)
            .chain(&later)
            .enumerate()
            .map(|(i, lines)| match lines.is_empty() {
                true => format!("connection {}: no line sent on it", i + 1),
                false => format!("connection {}: {}", i + 1, quoted(lines)),
            })
            .collect();
        let failure = fail(
            Diagnosis::ExtraConnection,
            format!(
                "one connection for the whole session, the lines {} each sent on it",
                quoted(messages)
            ),
            format!(
                "the client left its connection with lines still to send, and opened another: {}",
                story.join("; ")
            ),
        );
        // A first connection with nothing on it is a "test" connect: the
        // code's own hint says what it does to a one-shot server.
        return Err(match got.is_empty() {
            true => failure,
            false => failure.hinted(ONE_SESSION_HINT),
        });
    }
    if got != messages {
        let mut observed = if got.is_empty() && !unterminated.is_empty() {
            "the client sent".to_string()
        } else if got.is_empty() {
            "the client sent no line".to_string()
        } else {
            format!("the client sent the lines {}", quoted(&got))
        };
        if !unterminated.is_empty() {
            observed.push_str(&format!(
                "{} {} with no \\n at the end: without its \\n a chat line never ends, so the server cannot answer it",
                if got.is_empty() { "" } else { ", then" },
                show_bytes(&unterminated)
            ));
        }
        // Why it stopped sending, when it died (an EOFError from a prompt
        // read on the closed stdin, say).
        let crashed = ctx.crash_of(p);
        if let Some(crash) = &crashed {
            observed.push_str(&format!("; then it crashed: {crash}"));
        }
        let typed_and_lost = stdin.is_some()
            && crashed.is_none()
            && unterminated.is_empty()
            && !got.is_empty()
            && got.len() < messages.len()
            && messages.starts_with(&got);
        if typed_and_lost {
            observed.push_str(&format!(", and never {}", quoted(&messages[got.len()..])));
        }
        let failure = fail(
            Diagnosis::WrongMessage,
            format!("the lines {}, each ending in \\n", quoted(messages)),
            observed,
        );
        // Only the lines outside ASCII differ: sent in another charset
        // (Latin-1 or ASCII with `?` for what it cannot write; hostile
        // round 60).
        let charset = got.len() == messages.len()
            && got
                .iter()
                .zip(messages)
                .all(|(g, m)| g == m || !m.is_ascii());
        if charset {
            return Err(failure.hinted(super::client::DECODE_UTF8_HINT));
        }
        // Typed lines, the first ones sent and the rest lost, with no crash
        // to explain it: a reader that drops what came while it waited for
        // an ACK (blind round 27: the hint spoke of the command line's
        // messages).
        if typed_and_lost {
            return Err(failure.hinted("The lines typed on stdin all came at once, and the client sent only the first ones: the others were lost while it waited for an ACK. Read stdin with one reader that keeps what it has read (Python: one `for line in sys.stdin` or input() loop; Node: one readline interface whose 'line' events you queue, not a new question() per line; C: one FILE* with fgets), and handle every line it gives, one after another, until end of input."));
        }
        return Err(failure);
    }
    let expected: Vec<String> = acks.iter().map(|a| format!("[CLIENT] {a}")).collect();
    expect_exit(ctx, p, SLACK, 0, Diagnosis::Crash)
        .map_err(|f| {
            // Died at the end of its own input (blind round 59: the hint
            // spoke of servers and resets).
            let at_the_end = stdin.is_some()
                && f.diagnosis == Diagnosis::Crash
                && f.observed.contains("EOFError");
            if at_the_end {
                f.hinted("The end of the input is not an error: it is how the session ends. Python's input() raises EOFError there: catch it and leave the loop (or read with sys.stdin.readline(), which returns '' at the end), then close the connection, print `[CLIENT] Closed connection` and exit 0.")
            } else {
                f
            }
        })
        .and_then(|()| match stdin {
            // Its own prompt ends up before each ACK line (no newline
            // after a prompt): the prompt's words are the mistake, not
            // the ACK lines (they were blamed for a missing tag).
            Some(_) => match own_prompt(&ctx.child(p).lines(Stream::Stdout), &expected) {
                // Only when the ACK lines are right once it is set aside
                // (else theirs is the finding).
                Some(prompt) => lines_in_order_after(ctx, p, &expected, &prompt).and_then(|()| {
                    Err(fail(
                        Diagnosis::OutputFormat,
                        format!("the prompt `{PROMPT}` before each line it reads"),
                        format!("the text before each ACK line, its prompt, reads `{prompt}` (the ACK lines are right otherwise)"),
                    ))
                }),
                None => Ok(()),
            },
            None => Ok(()),
        })
        .and_then(|()| lines_in_order_after(ctx, p, &expected, PROMPT))
        .map_err(|mut f| {
            let stdout = ctx.child(p).lines(Stream::Stdout);
            if let Some((line, ack)) = invented_ack(&stdout, &acks) {
                return fail(
                    Diagnosis::InventedReply,
                    f.expected,
                    format!("it printed `{line}`, an ACK the server never sent: the server's was `{ack}` (its clock is not this machine's); print the line that came, as it came"),
                );
            }
            let printed = acks
                .iter()
                .filter(|a| stdout.iter().any(|l| l.contains(a.as_str())))
                .count();
            // A client that sent its lines without waiting and left with
            // them (its socket closed whole, or its program ended, at once;
            // or it ended well, ACKs or not): not a framing mistake, it
            // never waited to read (blind round 26). (One that waited
            // after each line and took half an ACK for one may leave
            // before the last: that is its framing; so is one that closed
            // its sending side and lost an ACK while it waited.)
            let ended_well = ctx.child(p).try_status().is_some_and(|s| s.success());
            let left_early = closed_first
                && pipelined
                && printed < acks.len()
                && (left_at_once || ended_well);
            if let Some(evidence) = acks_read_together(&stdout, &acks) {
                f.diagnosis = Diagnosis::SplitMessage;
                // The lines missing after it are this, again: counted,
                // not each shown with a near miss that is not one (blind
                // round 34: another ACK's line, marked all through).
                let missing = expected
                    .iter()
                    .filter(|e| !stdout.iter().any(|l| l.contains(e.as_str())))
                    .count();
                f.observed = format!(
                    "{evidence}; {missing} of the {} expected lines never printed as such",
                    expected.len()
                );
            } else if left_early {
                f.diagnosis = Diagnosis::ClosedEarly;
                f.observed = format!(
                    "the client sent all its lines without waiting for an ACK and closed its end of the connection right after the last one, before the ACKs it was owed had come: it printed {printed} of {}; then: {}",
                    acks.len(),
                    f.observed
                );
            } else if let Some(lost) = ack_lost_back_to_back(&stdout, &acks, pipelined, &f) {
                f.diagnosis = Diagnosis::SplitMessage;
                f.observed = format!("{lost}; then: {}", f.observed);
            } else if split
                && f.diagnosis == Diagnosis::OutputFormat
                && all_printed_whole(&stdout, &acks)
            {
                // Every split ACK was put back together and printed whole,
                // in other words: the framing is right, the wording is
                // chat-client-messages' finding (it was blamed
                // split-message).
                f = f.caused_by("chat-client-messages");
            } else if split {
                f.diagnosis = Diagnosis::SplitMessage;
            }
            f
        })?;
    if !connected_shown {
        if let Some(failure) = shown_only_at_exit(ctx, p) {
            return Err(failure);
        }
    }
    // Judged last: a client waiting for the rest of an ACK it misread
    // stays too, and that is its framing's finding, told above.
    if stayed {
        return Err(fail(
            Diagnosis::Hangs,
            format!(
                "once its last line has its ACK and its {} (end of input), the client closes the connection and exits",
                if stdin.is_some() { "stdin has ended" } else { "arguments are all sent" }
            ),
            format!(
                "it sent its {} lines and printed their ACKs, and {}s later (LAB_TIMEOUT={timeout}s, and a second more) still held the connection open (the fake server closed it then, and the client exited): a real chat server waits for its client to close, and the two would wait for each other",
                messages.len(),
                patience.as_secs()
            ),
        )
        .hinted("The end of the input ends the session: when stdin reaches its end (Python: readline() returns '' or input() raises EOFError; Node: the readline interface's 'close' event; Java: readLine() returns null; C: fgets() returns NULL), or, without -i, once the last argument's ACK has come, close the connection, print `[CLIENT] Closed connection` and exit. Do not wait for the server to close first: it waits for you."));
    }
    // Its session was right: any other connection it opened (held idle
    // beside it, or opened after it) waits on the fake server's listener
    // still (hostile round 68: 300 idle ones, or 50 after the session,
    // passed).
    let others = super::client::late_connections(&listener);
    if !others.is_empty() {
        return Err(fail(
            Diagnosis::ExtraConnection,
            format!(
                "one connection for the whole session, the lines {} each sent on it",
                quoted(messages)
            ),
            format!(
                "its session was right, and besides it the client opened {}{} more: {}",
                if others.len() >= super::client::LATE_COUNTED {
                    "at least "
                } else {
                    ""
                },
                others.len(),
                super::client::connections_story_from(&others, 2)
            ),
        ));
    }
    Ok((p, port))
}

/// The client's Connected line did not show while the first ACK was
/// held for it: if it came only with its last lines, at its exit, its
/// stdout is a buffer (blind rounds 36 and 37: a Perl chat client without
/// `$| = 1` passed every check, its lines all written at its exit).
fn shown_only_at_exit(ctx: &mut Ctx, p: Proc) -> Option<Failure> {
    let lines = ctx.child(p).timed_lines(Stream::Stdout);
    let connected = lines.iter().find(|l| l.text.starts_with(CONNECTED))?;
    let last = lines.last()?;
    // Written together: one flush of the buffer at the exit (a line
    // printed late on purpose would not come with the last one).
    (last.at.saturating_sub(connected.at) < Duration::from_millis(50)).then(|| {
        fail(
            Diagnosis::StdoutBuffered,
            format!("`{CONNECTED} ...` appears before the first ACK comes"),
            format!(
                "nothing came on stdout for {}s while the first ACK was held for it; the line came only when the client exited, with its last lines: its output waits in a buffer",
                CONNECTED_HOLD.as_secs()
            ),
        )
    })
}

/// A prompt of the client's own words: the text before a whole expected
/// line (`[CLIENT] [ACK @...] ...`) that is not [`PROMPT`] repeated; the
/// shortest such text (a line may hold the prompt twice).
fn own_prompt(stdout: &[String], expected: &[String]) -> Option<String> {
    stdout
        .iter()
        .filter_map(|line| {
            let line = line.trim_end();
            let want = expected.iter().find(|e| line.ends_with(e.as_str()))?;
            let before = &line[..line.len() - want.len()];
            let own = before.replace(PROMPT, "");
            // A second tag is not a prompt: the line's own wording.
            (!own.trim().is_empty() && !own.contains("[CLIENT]")).then(|| before.to_string())
        })
        .min_by_key(String::len)
}

/// Is every ACK printed whole, inside some line of stdout?
/// A line of `stdout` that is the ACK of one of the lines sent, with a
/// time the server never sent (`acks`: what it did send): an ACK the
/// client made up. The line and the ACK it should have shown.
fn invented_ack(stdout: &[String], acks: &[String]) -> Option<(String, String)> {
    acks.iter().find_map(|ack| {
        let (_, message) = ack.split_once("] ")?;
        let tail = format!("] {message}");
        let line = stdout.iter().find(|l| {
            let l = l.trim_end();
            !l.contains(ack.as_str()) && l.contains("[ACK @") && l.ends_with(&tail)
        })?;
        Some((line.trim_end().to_string(), ack.clone()))
    })
}

fn all_printed_whole(stdout: &[String], acks: &[String]) -> bool {
    acks.iter()
        .all(|a| stdout.iter().any(|l| l.contains(a.as_str())))
}

/// Did one read take several ACK lines, printed as one reply? The sign:
/// a line that ends with an ACK after some text of the client's own (its
/// tag, in whatever words), then the next ACK on a line by itself, without
/// the tag its own print would have given it. A client that prints every
/// ACK bare shows no such pair (that is output-format's to judge).
fn acks_read_together(stdout: &[String], acks: &[String]) -> Option<String> {
    for pair in stdout.windows(2) {
        let (first, second) = (pair[0].trim_end(), pair[1].trim_end());
        let tagged = acks
            .iter()
            .position(|a| first.ends_with(a.as_str()) && first.len() > a.len());
        if let Some(i) = tagged {
            if acks.get(i + 1).is_some_and(|next| second == next) {
                return Some(format!(
                    "the grader's ACKs came back to back and one read returned several of them: after `{first}` the next ACK was printed as part of the same reply, on a line of its own without the tag (`{second}`)"
                ));
            }
        }
    }
    None
}

/// An ACK that came back to back with another and was never printed,
/// by a client that then ended badly (gave up waiting, most often): the
/// client sent a line before the ACK of the one before, so the grader
/// sent their ACKs together, as a busy server does; it took one of them
/// and lost the other. From outside, what a client that takes one read
/// for one ACK does (blind round 11: a Node client whose -i mode kept one
/// slot for the ACK it waited for; it was blamed for its exit status,
/// with a hint about exit codes).
fn ack_lost_back_to_back(
    stdout: &[String],
    acks: &[String],
    pipelined: bool,
    failure: &Failure,
) -> Option<String> {
    let ended_badly = matches!(
        failure.diagnosis,
        Diagnosis::ExitStatus | Diagnosis::Hangs | Diagnosis::Crash
    );
    let printed = |a: &String| stdout.iter().any(|l| l.contains(a.as_str()));
    let lost: Vec<&String> = acks.iter().filter(|a| !printed(a)).collect();
    if !pipelined || !ended_badly || lost.is_empty() || lost.len() == acks.len() {
        return None;
    }
    Some(format!(
        "the client sent a line before the ACK of the one before came, so the ACKs went back to back in one segment, as a busy server sends them; it printed {} of {} and lost {}: read every line a read returns (keep a buffer), and in -i mode wait for each ACK before you read the next typed line",
        acks.len() - lost.len(),
        acks.len(),
        quoted(&lost.into_iter().cloned().collect::<Vec<_>>())
    ))
}

fn quoted(lines: &[String]) -> String {
    let parts: Vec<String> = lines.iter().map(|l| format!("`{l}`")).collect();
    if parts.is_empty() {
        "(none)".into()
    } else {
        parts.join(", ")
    }
}

pub fn client_messages(ctx: &mut Ctx) -> Result<(), Failure> {
    // Seven to nine lines, one of them near 100 characters: a client that
    // sent the first three, or the first 40 bytes of each, passed three
    // short ones (hostile round 54), and one that opened a connection
    // anew every six lines passed four to six (hostile round 57).
    let count = 7 + ctx.below(3);
    let long = ctx.below(count);
    // The long one outside ASCII where programs read their arguments as
    // UTF-8: a client that encoded and decoded Latin-1 passed every chat
    // client check (hostile round 60).
    let messages: Vec<String> = (0..count)
        .map(|i| match i == long {
            true if crate::grade::harness::programs_read_utf8() => ctx.message_beyond_ascii(86),
            true => ctx.message(86),
            false => ctx.message(18),
        })
        .collect();
    let (p, port) = chat_client_run(
        ctx,
        &messages,
        None,
        &messages,
        FakeChat::HeldUntilConnected,
    )?;
    session_lines(ctx, p, port)
}

/// The session's own lines around the ACKs, as the handout's transcript
/// has them: `[CLIENT] Connected to HOST:PORT` (the server's address, as
/// given) and `[CLIENT] Closed connection`. Judged here only, once the
/// ACK lines are right (blind round 23: a tuple, the client's own
/// address, and `Connection closed` passed every check).
fn session_lines(ctx: &mut Ctx, p: Proc, port: u16) -> Result<(), Failure> {
    let lines = ctx.child(p).lines(Stream::Stdout);
    let connected = format!("[CLIENT] Connected to {HOST}:{port}");
    for want in [connected.as_str(), "[CLIENT] Closed connection"] {
        if !lines.iter().any(|l| l.trim_end() == want) {
            return Err(fail(
                Diagnosis::OutputFormat,
                format!("the stdout line `{want}`, as in the handout's transcript"),
                crate::grade::compare::no_such_line(want, &lines, ""),
            ));
        }
    }
    Ok(())
}

pub fn client_default(ctx: &mut Ctx) -> Result<(), Failure> {
    let messages: Vec<String> = DEFAULT_MESSAGES.iter().map(|m| m.to_string()).collect();
    ctx.step("(no messages given, stdin is not a terminal)");
    chat_client_run(ctx, &[], None, &messages, FakeChat::Plain).map(drop)
}

pub fn client_interactive(ctx: &mut Ctx) -> Result<(), Failure> {
    let messages: Vec<String> = (0..2).map(|_| ctx.message(16)).collect();
    let (p, _) = chat_client_run(
        ctx,
        &["-i".to_string()],
        Some(&messages),
        &messages,
        FakeChat::Plain,
    )
        .map_err(|mut f| {
            // `-i` itself among what it sent: the option is not there, said
            // so (blind round 23: "sent the lines `-i`", with a hint about
            // messages from the command line).
            if f.diagnosis == Diagnosis::WrongMessage && f.observed.contains("`-i`") {
                f.observed = format!(
                    "{}: it has no -i mode (with -i the client reads its messages from stdin, one per line, with the prompt `Enter message to send: ` before each)",
                    f.observed
                );
            }
            f
        })?;
    let prompts = ctx
        .child(p)
        .text(Stream::Stdout)
        .matches("Enter message to send:")
        .count();
    if prompts < messages.len() {
        let on_stderr = ctx
            .child(p)
            .text(Stream::Stderr)
            .matches("Enter message to send:")
            .count();
        let times = |n: usize| match n {
            0 => "never".to_string(),
            1 => "once".to_string(),
            n => format!("{n} times"),
        };
        let observed = if on_stderr > prompts {
            format!(
                "it was printed {} on stdout and {} on stderr: the prompt belongs on stdout, with the program's other lines",
                times(prompts),
                times(on_stderr)
            )
        } else {
            format!("it was printed {}", times(prompts))
        };
        return Err(fail(
            Diagnosis::OutputFormat,
            format!(
                "the prompt `Enter message to send: ` on stdout before each of the {} lines",
                messages.len()
            ),
            observed,
        )
        .hinted("Print `Enter message to send: ` on stdout before every line you read, also when stdin is not a terminal (the grader types through a pipe too), and flush it: it has no newline. Some ways print it only at a terminal, or elsewhere: bash's `read -p` writes its prompt on stderr and only when stdin is a terminal (use `printf` first); Python's input() and Node's readline print theirs on stdout; a prompt printed once before the loop shows only for the first line."));
    }
    Ok(())
}

/// At a terminal, `chat_client -i` shows its prompt before the user types.
///
/// Trap: a prompt with no newline waits in a line-buffered stdout (Rust's
/// `print!` without a flush, Python's `print(..., end="")` before a
/// `readline()`) until the next newline: the user sees nothing, types
/// blind, and reads the prompt later, glued to the reply. Through a pipe
/// the grader types every line at once, so only a terminal shows it (blind
/// rounds 5 and 7). Proven, not guessed: nothing shows while the client is
/// up and waiting, and the prompt comes later, in front of the reply. A
/// client that shows no prompt at a terminal at all is not judged here.
pub fn client_prompt(ctx: &mut Ctx) -> Result<(), Failure> {
    #[cfg(not(unix))]
    {
        ctx.step("no pseudo-terminal on this system: not checked here");
        Ok(())
    }
    #[cfg(unix)]
    {
        let (listener, port) = fake_chat_server(ctx)?;
        let p = ctx.spawn_on_terminal(
            role::CHAT_CLIENT,
            &["-i".to_string()],
            &[("LAB_PORT", port.to_string())],
        )?;
        ctx.step("  (at a terminal: its stdin and stdout on a pseudo-terminal, as when you run it yourself)");
        ctx.step(format!(
            "wait for a prompt before typing: it connected, then {:.1}s to show one",
            PROMPT_GRACE.as_secs_f64()
        ));
        let mut conn = None;
        let until = std::time::Instant::now() + STARTUP;
        let mut up_since = None;
        loop {
            if ctx.child(p).try_status().is_some() {
                // It ended before prompting: the other chat-client checks
                // tell why (a crash, no -i mode, a TODO). Its connection
                // may still wait in the backlog, with what it sent (a
                // client with no -i mode sends `-i` and ends): not a
                // death before connecting.
                if conn.is_none() {
                    conn = accept_within(&listener, Duration::from_millis(20)).map(|(c, _)| c);
                }
                if let Some(conn) = conn.as_mut() {
                    let mut pending = Vec::new();
                    let sent = match read_line(conn, &mut pending, Duration::from_millis(300)) {
                        Ok(line) => line.into_bytes(),
                        Err((bytes, _)) => bytes,
                    };
                    if sent_dash_i(&sent) {
                        return Err(no_interactive_mode());
                    }
                }
                let reached = if conn.is_some() {
                    Reached::Server
                } else {
                    Reached::Nothing
                };
                return Err(not_at_the_prompt(
                    ctx,
                    p,
                    "it ended before it showed a prompt",
                    reached,
                ));
            }
            // A prompt counts once the client has connected: one that
            // never connects but writes text to its terminal passed
            // (hostile round 11).
            if let (Some(conn), true) = (conn.as_mut(), prompt_showing(ctx, p)) {
                ctx.step("a prompt shows: the user knows to type");
                return typed_line_goes(ctx, p, conn);
            }
            if conn.is_none() {
                conn = accept_within(&listener, Duration::from_millis(50)).map(|(c, _)| c);
                if conn.is_some() {
                    up_since = Some(std::time::Instant::now());
                }
            } else {
                std::thread::sleep(Duration::from_millis(50));
            }
            let waited = up_since.is_some_and(|t| t.elapsed() >= PROMPT_GRACE);
            if waited || std::time::Instant::now() >= until {
                break;
            }
        }
        // Nothing shows. Type a line anyway: a held prompt comes out with
        // the next newline, in front of the reply.
        let message = ctx.message(16);
        if conn.is_none() && prompt_showing(ctx, p) {
            ctx.step(format!(
                "a prompt shows, but it has not connected; type `{message}` and Enter"
            ));
        } else {
            ctx.step(format!("nothing shows; type `{message}` and Enter anyway"));
        }
        let _ = ctx.child(p).write_stdin(format!("{message}\n").as_bytes());
        let mut conn = match conn {
            Some(conn) => conn,
            None => match ctx.accept_from(&listener, p, SLACK) {
                Some(conn) => conn,
                None if ctx.child(p).try_status().is_none() && prompt_showing(ctx, p) => {
                    return Err(reads_before_connecting(ctx, p))
                }
                None => {
                    return Err(not_at_the_prompt(
                        ctx,
                        p,
                        "it never connected",
                        Reached::Nothing,
                    ))
                }
            },
        };
        let mut pending = Vec::new();
        let line = match read_line(&mut conn, &mut pending, SLACK) {
            Ok(line) => line,
            // `-i` with no newline after it (a client that sends its
            // arguments joined, unterminated) is still `-i`.
            Err((bytes, _)) if sent_dash_i(&bytes) => return Err(no_interactive_mode()),
            Err(_) => {
                return Err(not_at_the_prompt(
                    ctx,
                    p,
                    "the typed line never reached the server",
                    Reached::Server,
                ))
            }
        };
        if sent_dash_i(line.as_bytes()) {
            return Err(no_interactive_mode());
        }
        // It read the line, so it printed its prompt before: flushed, the
        // prompt is on the terminal now, before any reply (a slow start
        // under load shows it late, not held). Held, it shows only with
        // the reply's newline.
        let shown_before_reply = (0..25).any(|_| {
            let showing = prompt_showing(ctx, p);
            if !showing {
                std::thread::sleep(Duration::from_millis(20));
            }
            showing
        });
        if shown_before_reply {
            ctx.step("its prompt showed before the reply: late, but not held");
            return Ok(());
        }
        let ack = chat_ack_at(chrono::Duration::zero(), &line);
        ctx.step(format!("reply `{ack}`"));
        let _ = conn.write_all(format!("{ack}\n").as_bytes());
        let shown = ctx
            .child(p)
            .wait_line(Stream::Stdout, SLACK, |l| l.contains(&ack));
        let Some(shown) = shown else {
            // The typed line came as typed and got its ACK, and nothing it
            // printed ever showed at the terminal: no prompt, no ACK line.
            // Its output waits in a buffer even at a terminal (blind round
            // 38: a Java PrintStream over a BufferedOutputStream, told as
            // a wrong message).
            if line == message && ctx.child(p).bytes_seen(Stream::Stdout) == 0 {
                return Err(fail(
                    Diagnosis::StdoutBuffered,
                    "at a terminal, a prompt shows before each line it reads",
                    format!(
                        "nothing it printed showed at the terminal: no prompt, and no line for the ACK `{ack}` of the typed line, which it sent as typed, within {}s: its output waits in a buffer even at a terminal",
                        SLACK.as_secs()
                    ),
                )
                .caused_by("chat-client-messages"));
            }
            return Err(not_at_the_prompt(
                ctx,
                p,
                "it never printed the reply",
                Reached::Server,
            ));
        };
        let before = shown[..shown.find(&ack).unwrap_or(0)]
            .trim_end_matches("[CLIENT] ")
            .trim();
        if before.is_empty() {
            // No prompt at a terminal at all: not this check's to judge.
            return Ok(());
        }
        Err(fail(
            Diagnosis::StdoutBuffered,
            "at a terminal, a prompt shows before each line it reads",
            format!(
                "nothing showed while it waited for the first line ({:.1}s after it connected); its prompt `{before}` came only after the line was typed, in front of the reply: `{}`. A prompt with no newline waits in stdout's buffer until a newline follows: flush after printing it",
                PROMPT_GRACE.as_secs_f64(),
                shown.trim_end()
            ),
        ))
    }
}

/// Is what a chat client sent first `-i` itself, as a message?
#[cfg(unix)]
fn sent_dash_i(sent: &[u8]) -> bool {
    String::from_utf8_lossy(sent).trim() == "-i"
}

/// `-i` itself, sent as a message: no -i mode at all, which is
/// chat-client-interactive's finding (blind round 9: this was called a
/// crash, or a death before connecting, depending on whether its own
/// timeout or the reply came first).
#[cfg(unix)]
fn no_interactive_mode() -> Failure {
    fail(
        Diagnosis::WrongMessage,
        "at a terminal, a prompt shows before each line it reads",
        "it sent `-i` to the server as a message: it has no -i mode",
    )
    .consequence_of("chat-client-interactive")
}

/// A chat client that did not get as far as prompting, sending or
/// printing at a terminal: why is the other chat-client checks' to say
/// (folded under chat-client-interactive's finding when it has one).
#[cfg(unix)]
fn not_at_the_prompt(ctx: &mut Ctx, p: Proc, what: &str, reached: Reached) -> Failure {
    let expected = "at a terminal, a prompt shows before each line it reads";
    // A client that connected did not die before connecting, whatever
    // its output says.
    let died_early = match reached {
        Reached::Nothing => super::client::died_before_connecting(ctx, p, expected),
        Reached::Server => None,
    };
    let failure = died_early.unwrap_or_else(|| {
        // Its status as the report's process block will show it: one that
        // is ending now is not "still running".
        let _ = ctx.wait_exit(p, Duration::from_millis(300));
        let how = match ctx.child(p).try_status() {
            Some(status) => crate::process::describe_status(status),
            None => "still running".to_string(),
        };
        let diagnosis = if ctx.crash_of(p).is_some() {
            Diagnosis::Crash
        } else {
            Diagnosis::WrongMessage
        };
        fail(diagnosis, expected, format!("{what} ({how})"))
    });
    failure.consequence_of("chat-client-interactive")
}

/// At the prompt, a line typed is sent when Enter is pressed, not once
/// the input ends: a client that connected, prompted for each line, and
/// sent them all only after Ctrl+D passed chat-client-prompt (blind round
/// 50, C++; hostile round 51, Python), while a person at the terminal
/// waited for ever. Through a pipe (chat-client-interactive) every line
/// comes at once and the input ends, so only a terminal shows it. A
/// client that prompts again without having sent the line reads ahead; one
/// that sits silent waits for something else (a send still in its buffer).
#[cfg(unix)]
fn typed_line_goes(ctx: &mut Ctx, p: Proc, conn: &mut TcpStream) -> Result<(), Failure> {
    let message = ctx.message(16);
    let prompts = |ctx: &mut Ctx| {
        [Stream::Stdout, Stream::Stderr]
            .into_iter()
            .map(|s| {
                let output = ctx.child(p).text(s);
                let tail = output.rsplit('\n').next().unwrap_or("").trim().to_string();
                (output, tail)
            })
            .collect::<Vec<_>>()
    };
    // How often the prompt as it shows in `seen` has shown in `shown`.
    let count = |seen: &[(String, String)], shown: &[(String, String)]| -> usize {
        shown
            .iter()
            .zip(seen)
            .filter(|(_, (_, tail))| !tail.is_empty())
            .map(|((output, _), (_, tail))| output.matches(tail.as_str()).count())
            .sum()
    };
    // Two lines, each after its prompt: a client that sent the first at
    // once and held the rest until the end passed one (hostile round 52).
    let mut pending = Vec::new();
    for (n, message) in [message, ctx.message(16)].into_iter().enumerate() {
        let before = prompts(ctx);
        let shown_before = count(&before, &before);
        ctx.step(format!(
            "type `{message}` and Enter: the line reaches the server at once"
        ));
        let _ = ctx.child(p).write_stdin(format!("{message}\n").as_bytes());
        match read_line(conn, &mut pending, SLACK) {
            Ok(line) if sent_dash_i(line.as_bytes()) => return Err(no_interactive_mode()),
            Ok(line) => {
                // Whether the line is right is chat-client-messages' to
                // judge; the reply lets a correct client go on.
                let ack = chat_ack_at(chrono::Duration::zero(), &line);
                let _ = conn.write_all(format!("{ack}\n").as_bytes());
            }
            Err((bytes, _)) if sent_dash_i(&bytes) => return Err(no_interactive_mode()),
            // It came, with no `\n` after it: not read ahead, but a line
            // that never ends (blind round 52: a Node client's write(line)
            // was told reads-ahead). chat-client-messages' finding.
            Err((bytes, _)) if !bytes.is_empty() => {
                return Err(fail(
                    Diagnosis::WrongMessage,
                    format!("the typed line `{message}` reaches the server, ending in \\n"),
                    format!(
                        "it sent {} with no \\n after it: without its \\n a chat line never ends, so the server cannot answer it",
                        show_bytes(&bytes)
                    ),
                )
                .folded_if("chat-client-messages", &[Diagnosis::WrongMessage]));
            }
            Err(_) => {
                let after = prompts(ctx);
                if ctx.child(p).try_status().is_none() && count(&before, &after) > shown_before {
                    let which = if n == 0 { "the first" } else { "the second" };
                    return Err(fail(
                        Diagnosis::ReadsAhead,
                        "at a terminal, each line typed is sent when Enter is pressed, and its ACK shows before the next prompt",
                        format!(
                            "it connected and prompted; {which} line, `{message}`, was typed and it prompted again, but the line had not reached the server {}s later: it reads lines before it sends them, so what is typed waits until the input ends (Ctrl+D)",
                            SLACK.as_secs()
                        ),
                    ));
                }
                return Err(not_at_the_prompt(
                    ctx,
                    p,
                    "the typed line never reached the server",
                    Reached::Server,
                ));
            }
        }
        // The next prompt, before the next line is typed.
        let until = std::time::Instant::now() + SLACK;
        while n == 0
            && count(&before, &prompts(ctx)) <= shown_before
            && std::time::Instant::now() < until
        {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    Ok(())
}

/// A chat client that prompts and reads its lines at a terminal, but
/// connects only once its input ends: the user types, and nothing is sent
/// until Ctrl+D. Through a pipe (chat-client-interactive) every line comes
/// at once and the input ends, so only a terminal shows it (blind round
/// 31: "it never connected", with wrong-message's hint on sending the
/// arguments).
#[cfg(unix)]
fn reads_before_connecting(ctx: &mut Ctx, p: Proc) -> Failure {
    let prompts = [Stream::Stdout, Stream::Stderr]
        .into_iter()
        .map(|s| {
            ctx.child(p)
                .text(s)
                .matches("Enter message to send:")
                .count()
        })
        .sum::<usize>();
    let shown = if prompts > 1 {
        format!("its prompt showed {prompts} times, once more after the typed line")
    } else {
        "a prompt showed".to_string()
    };
    fail(
        Diagnosis::ReadsAhead,
        "at a terminal, each line typed is sent when Enter is pressed, and its ACK shows before the next prompt",
        format!("{shown}, but it never connected, still running {}s after a line was typed: it reads its lines before it connects, so nothing typed is sent until the input ends (Ctrl+D)", SLACK.as_secs()),
    )
}

/// How far a chat client at a terminal got with the fake server.
#[cfg(unix)]
enum Reached {
    Nothing,
    /// It connected.
    Server,
}

/// How long a chat client that has connected gets to show its prompt.
#[cfg(unix)]
const PROMPT_GRACE: Duration = Duration::from_millis(1500);

/// Does the output of `p` end in a prompt (text after its last newline),
/// or hold the contract's prompt words? On either stream: Python's
/// input() at a terminal writes its prompt to stderr.
#[cfg(unix)]
fn prompt_showing(ctx: &mut Ctx, p: Proc) -> bool {
    [Stream::Stdout, Stream::Stderr].into_iter().any(|stream| {
        let output = ctx.child(p).text(stream);
        let tail = output.rsplit('\n').next().unwrap_or("");
        let shows = !tail.trim().is_empty() || output.contains("Enter message");
        // On stderr, a prompt, not an error line ending without newline.
        shows && (stream == Stream::Stdout || !output.contains("Error"))
    })
}

/// The server goes away in the middle of a session: it reads what the
/// client sends and closes without an ACK. A 0-byte read is no ACK: the
/// client says the server closed without replying, on stderr, and exits
/// 1, as the one-shot client does (blind round 29: a chat client that
/// printed an error and exited 0, and one that hung, passed every check).
pub fn client_no_reply(ctx: &mut Ctx) -> Result<(), Failure> {
    let (listener, port) = fake_chat_server(ctx)?;
    let messages: Vec<String> = (0..2).map(|_| ctx.message(14)).collect();
    let p = ctx.spawn(
        role::CHAT_CLIENT,
        &messages,
        &[("LAB_PORT", port.to_string())],
    )?;
    let mut conn = accept_client(ctx, &listener, p)?;
    drop(listener);
    ctx.step("read its first line");
    let mut pending = Vec::new();
    if let Err((bytes, _)) = read_line(&mut conn, &mut pending, SLACK) {
        // No line to answer: what it sends is chat-client-messages' to
        // judge (its lines without their `\n`, say, or a "test" connect
        // first, closed without a line: this fake server is gone by the
        // real one, blind round 67).
        return Err(fail(
            Diagnosis::WrongMessage,
            format!("the line `{}` ending in \\n", messages[0]),
            if bytes.is_empty() {
                "the client sent no line".to_string()
            } else {
                format!(
                    "the client sent {} with no \\n at the end",
                    show_bytes(&bytes)
                )
            },
        )
        .folded_if(
            "chat-client-messages",
            &[Diagnosis::WrongMessage, Diagnosis::ExtraConnection],
        ));
    }
    // The end of the stream first (our FIN), then what it still sends is
    // read until it closes: a close with bytes unread would be a reset,
    // not the end the client must notice.
    ctx.step("close the connection without an ACK");
    let _ = conn.shutdown(std::net::Shutdown::Write);
    let _ = read_to_end(&mut conn, SLACK);
    drop(conn);
    let expected = "a stderr line containing `without replying` and exit status 1";
    super::client::expect_error(ctx, p, SLACK, expected, Diagnosis::ClientEof, |l| {
        l.contains("without replying")
    })
    .map_err(|f| {
        // A client that never reads (it sends its lines and leaves, which
        // chat-client-messages names closed-early) cannot see the close
        // either: that mistake, once (blind round 38 L1).
        super::client::gave_up_instead(ctx, p, f)
            .or_folded_if(&[("chat-client-messages", &[Diagnosis::ClosedEarly])])
    })
}

pub fn client_framing(ctx: &mut Ctx) -> Result<(), Failure> {
    let messages: Vec<String> = (0..2).map(|_| ctx.message(16)).collect();
    chat_client_run(ctx, &messages, None, &messages, FakeChat::SplitAcks)
        .map(drop)
        // Lines other than its arguments (joined into one, say): the same
        // mistake chat-client-messages names (blind round 5).
        .map_err(|f| match f.diagnosis {
            Diagnosis::WrongMessage => f.caused_by("chat-client-messages"),
            _ => f,
        })
}

#[cfg(test)]
mod tests {
    /// A stale buffer's tail is told only where its bytes fit: after the
    /// shorter line's own ACK, exactly what it left of the longer one. An
    /// empty ACK after a line's own (a server that answers the empty piece
    /// after each `\n`) is not one (hostile round 69).
    #[test]
    fn a_stale_tail_is_told_only_where_its_bytes_fit() {
        let sent: Vec<String> = ["abcdef12", "uvwxy", "next"].map(String::from).to_vec();
        let of = |acked_last, line| super::stale_tail_of(&sent[..2], acked_last, line);
        // "abcdef12\n" then "uvwxy\n": "12\n" is left over.
        assert_eq!(of(Some("uvwxy"), "[ACK @10:00:00] 12"), Some("abcdef12"));
        assert_eq!(of(Some("uvwxy"), "[ACK @10:00:00] 2"), None);
        assert_eq!(of(Some("abcdef12"), "[ACK @10:00:00] 12"), None);
        assert_eq!(of(Some("uvwxy"), "[ACK @10:00:00] uvwxy"), None);
        let sent: Vec<String> = ["abcdef", "vwxyz"].map(String::from).to_vec();
        assert_eq!(
            super::stale_tail_of(&sent, Some("vwxyz"), "[ACK @10:00:00] "),
            Some("abcdef")
        );
        assert_eq!(
            super::stale_tail_of(&sent, Some("abcdef"), "[ACK @10:00:00] "),
            None
        );
    }

    /// What a held send carried begins an ACK when a line of it holds
    /// `[ACK` (an echo first, in the same send), begins with `ACK`, or ends
    /// with the start of one; an echo alone, an error line, or a line that
    /// merely ends in `A` do not.
    #[test]
    fn a_held_send_is_judged_by_all_it_carried() {
        for ack in [
            &b"[ACK @10:00:00] hi\n"[..],
            b"hi\n[ACK @10:00:00] hi\n",
            b"ACK hi\n",
            b"[",
            b"hi\n[AC",
        ] {
            assert!(begins_an_ack(ack), "{:?}", String::from_utf8_lossy(ack));
        }
        for other in [&b"hi\n"[..], b"[ERROR] Empty message\n", b"DATA", b"hi\nxA"] {
            assert!(
                !begins_an_ack(other),
                "{:?}",
                String::from_utf8_lossy(other)
            );
        }
    }

    use super::*;

    #[test]
    fn a_log_line_is_an_rfc_3339_time_the_client_and_the_message() {
        let client: SocketAddr = "127.0.0.1:40100".parse().unwrap();
        let ok = |line: &str| log_line_wrong(line, client, "hello there");
        for good in [
            "2026-09-14T10:31:07Z 127.0.0.1:40100 hello there",
            "2026-09-14T10:31:07.123456+02:00 127.0.0.1:40100 hello there",
            "2026-09-14 10:31:07+00:00 127.0.0.1:40100 hello there",
            "2026-09-14T10:31:07+0000 127.0.0.1:40100 hello there",
        ] {
            assert_eq!(ok(good), None, "{good}");
        }
        for (bad, says) in [
            (
                "2026-09-14T10:31:07.626346 127.0.0.1:40100 hello there",
                "no offset from UTC",
            ),
            (
                "10:31:07 127.0.0.1:40100 hello there",
                "not an RFC 3339 time",
            ),
            ("10:31:07 hello there", "the time and the client's address"),
            (
                "2026-09-14T10:31:07Z ('127.0.0.1', 40100) hello there",
                "not the client's address",
            ),
            (
                "2026-09-14T10:31:07Z 127.0.0.1:40100 'hello there'",
                "the message must end it",
            ),
        ] {
            let wrong = ok(bad).unwrap_or_default();
            assert!(wrong.contains(says), "{bad}: {wrong}");
        }
    }

    fn owned(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn an_ack_time_far_from_the_local_time_is_told() {
        let now = chrono::Local::now();
        let at = |t: chrono::DateTime<chrono::Local>| format!("[ACK @{}] hi", t.format("%H:%M:%S"));
        assert_eq!(clock_off(&at(now)), None);
        assert_eq!(clock_off(&at(now - chrono::Duration::seconds(3))), None);
        assert_eq!(
            clock_off(&at(now + chrono::Duration::hours(12))),
            Some(43_200)
        );
        assert_eq!(
            clock_off(&at(now - chrono::Duration::minutes(2))),
            Some(120)
        );
    }

    #[test]
    fn a_prompt_in_own_words_is_told_from_the_acks_after_it() {
        let expected = owned(&["[CLIENT] [ACK @10:00:00] a", "[CLIENT] [ACK @10:00:00] b"]);
        let own = owned(&[
            "Enter message: [CLIENT] [ACK @10:00:00] a",
            "Enter message: [CLIENT] [ACK @10:00:00] b",
            "Enter message: ",
        ]);
        assert_eq!(
            own_prompt(&own, &expected).as_deref(),
            Some("Enter message: ")
        );
        let right = owned(&[
            "Enter message to send: [CLIENT] [ACK @10:00:00] a",
            "Enter message to send: Enter message to send: [CLIENT] [ACK @10:00:00] b",
        ]);
        assert_eq!(own_prompt(&right, &expected), None);
        let bare = owned(&["[CLIENT] [ACK @10:00:00] a", "[CLIENT] [ACK @10:00:00] b"]);
        assert_eq!(own_prompt(&bare, &expected), None);
        let doubled = owned(&[
            "> > [CLIENT] [ACK @10:00:00] a",
            "> [CLIENT] [ACK @10:00:00] b",
        ]);
        assert_eq!(own_prompt(&doubled, &expected).as_deref(), Some("> "));
        let twice = owned(&["[CLIENT] [CLIENT] [ACK @10:00:00] a"]);
        assert_eq!(own_prompt(&twice, &expected), None);
    }

    /// Hostile round 44: an ACK made up from the client's own clock.
    #[test]
    fn an_ack_with_a_time_the_server_never_sent_is_invented() {
        let acks = owned(&["[ACK @05:44:00] a b", "[ACK @05:44:01] c"]);
        let right = owned(&["[CLIENT] [ACK @05:44:00] a b", "[CLIENT] [ACK @05:44:01] c"]);
        assert_eq!(invented_ack(&right, &acks), None);
        let made_up = owned(&["[CLIENT] [ACK @20:51:07] a b"]);
        assert_eq!(
            invented_ack(&made_up, &acks),
            Some((made_up[0].clone(), acks[0].clone()))
        );
        // Another line's words are no ACK of this one.
        assert_eq!(
            invented_ack(&owned(&["[CLIENT] [ACK @20:51:07] x"]), &acks),
            None
        );
    }

    #[test]
    fn several_acks_in_one_read_are_told_from_untagged_output() {
        let acks = owned(&["[ACK @10:00:00] a", "[ACK @10:00:00] b"]);
        let together = owned(&[
            "[CLIENT] [ACK @10:00:00] a",
            "[ACK @10:00:00] b",
            "[CLIENT] ",
        ]);
        assert!(acks_read_together(&together, &acks).is_some());
        // In the student's own words, still one read for two ACKs.
        let worded = owned(&["Server says: [ACK @10:00:00] a", "[ACK @10:00:00] b"]);
        assert!(acks_read_together(&worded, &acks).is_some());
        // Every ACK bare: no tag at all, not a framing mistake.
        let bare = owned(&["[ACK @10:00:00] a", "[ACK @10:00:00] b"]);
        assert!(acks_read_together(&bare, &acks).is_none());
        let right = owned(&["[CLIENT] [ACK @10:00:00] a", "[CLIENT] [ACK @10:00:00] b"]);
        assert!(acks_read_together(&right, &acks).is_none());
    }
}
