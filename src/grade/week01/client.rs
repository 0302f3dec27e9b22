//! Checks of the `client`, each against a fake server of the grader's:
//! one that answers, one that stays silent, one that closes without
//! replying, and none at all.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use super::common::{
    contract_timeout, expect_exit, gave_up_at, gave_up_at_once, gave_up_at_once_failure,
    lines_in_order, timeout_env, SecondRun, SECOND_TIMEOUT,
};
use super::role;
use crate::grade::compare::same_shown;
use crate::grade::diagnosis::Diagnosis;
use crate::grade::harness::{
    accept_within, closed_port, fail, fake_listener, programs_read_utf8, show_bytes, Ctx, Failure,
    Proc, HOST, SLACK, STARTUP,
};
use crate::process::{describe_status, Stream};

/// Starts a fake server and the client (with `args`) pointed at it.
fn start_with_fake(
    ctx: &mut Ctx,
    args: &[String],
    env: &[(&str, String)],
) -> Result<(TcpListener, Proc), Failure> {
    let listener = fake_listener().map_err(|e| {
        fail(
            Diagnosis::CannotStart,
            "a fake server for the check",
            e.to_string(),
        )
    })?;
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    ctx.step(format!(
        "start a fake server of the grader's on {HOST}:{port}"
    ));
    let mut full_env = vec![("LAB_PORT", port.to_string())];
    full_env.extend(env.iter().cloned());
    let p = ctx.spawn(role::CLIENT, args, &full_env)?;
    Ok((listener, p))
}

/// Waits for the client to connect to the fake server.
fn accept_client(ctx: &mut Ctx, listener: &TcpListener, p: Proc) -> Result<TcpStream, Failure> {
    ctx.step("wait for the client to connect");
    if let Some(stream) = ctx.accept_from(listener, p, STARTUP) {
        return Ok(stream);
    }
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let expected = format!("the client connects to LAB_HOST:LAB_PORT = {HOST}:{port}");
    if let Some(failure) = died_before_connecting(ctx, p, &expected) {
        return Err(failure);
    }
    Err(fail(
        Diagnosis::IgnoresConfig,
        expected,
        format!("no connection within {}s", STARTUP.as_secs()),
    ))
}

/// A client that died before it connected gets a start-up diagnosis with
/// the last line of its stderr (an ImportError, a traceback); one that
/// ended quietly could not start. `None` while it runs.
pub fn died_before_connecting(ctx: &mut Ctx, p: Proc, expected: &str) -> Option<Failure> {
    let status = ctx.child(p).try_status()?;
    // It said it connected, and that it gave up at once: its connection
    // came and went before the grader took it, its timeout in the wrong
    // unit (blind round 36: a start-up failure, with a hint about
    // imports, beside client-timeout's finding). That finding.
    let said_connected = ctx
        .child(p)
        .lines(Stream::Stdout)
        .iter()
        .any(|l| l.starts_with("[CLIENT] Connected to"));
    if said_connected {
        let timeout = Duration::from_secs(super::common::contract_timeout());
        if let Some(at) = gave_up_at_once(ctx, p, timeout) {
            return Some(gave_up_at_once_failure(at, timeout));
        }
    }
    let how = describe_status(status);
    let last = ctx.last_stderr_line(p);
    if ctx.crash_of(p).is_none() && (status.success() || last.is_none()) {
        return Some(fail(
            Diagnosis::CannotStart,
            expected,
            format!("it ended without connecting ({how})"),
        ));
    }
    // Refused, while the grader's fake server was listening on the port it
    // was given: it connected somewhere else (a port hard-coded to the
    // handout's 5000, `localhost` that resolved elsewhere). It started
    // fine; it ignored LAB_HOST/LAB_PORT.
    if let Some(line) = says_refused(ctx, p) {
        return Some(fail(
            Diagnosis::IgnoresConfig,
            expected,
            format!(
                "its connection was refused ({how}; it said `{line}`), although the grader's server was listening where LAB_HOST and LAB_PORT said: it connects somewhere else (hard-coded, or, in C, a port put into sockaddr_in without htons())"
            ),
        ));
    }
    // It asked for its message on stdin (a prompt and `input()` where it
    // has no argument, a habit from the console) and died at the end of
    // an input the grader never gives: the message, not its start
    // (blind round 15: the hint spoke of imports and ports).
    let stdin_ended = [
        "EOFError",
        "EOF when reading a line",
        "NoSuchElementException",
    ];
    // Any line of it: Java's is the first, its stack frames follow.
    let stderr = ctx.child(p).text(Stream::Stderr);
    if let Some(said) = stderr
        .lines()
        .map(str::trim)
        .find(|l| stdin_ended.iter().any(|e| l.contains(e)))
    {
        let said = crate::grade::harness::truncate(said, 120);
        let prompt = ctx
            .child(p)
            .text(Stream::Stdout)
            .lines()
            .last()
            .map(|l| format!(" after `{}`", l.trim_end()))
            .unwrap_or_default();
        return Some(fail(
            Diagnosis::WrongMessage,
            expected,
            format!(
                "it read its input{prompt} and died at its end ({how}; on stderr: `{said}`): a client takes its message from its arguments, and with none sends the default without asking"
            ),
        ));
    }
    let mut observed = format!("it died before it connected ({how})");
    if let Some(last) = last {
        observed.push_str(&format!("; the last line on stderr: `{last}`"));
    }
    Some(fail(Diagnosis::StartupFailure, expected, observed))
}

/// The first line (stderr, then stdout) that says a connection was
/// refused, in the program's words or its runtime's (ECONNREFUSED,
/// errno 111, WSAECONNREFUSED 10061).
pub fn says_refused(ctx: &mut Ctx, p: Proc) -> Option<String> {
    [Stream::Stderr, Stream::Stdout].into_iter().find_map(|s| {
        ctx.child(p)
            .lines(s)
            .into_iter()
            .find(|l| {
                let lower = l.to_lowercase();
                lower.contains("refused") || lower.contains("errno 111") || lower.contains("10061")
            })
            .map(|l| l.trim().to_string())
    })
}

/// Reads what the client sends until `want_len` bytes came or the client
/// paused for a while.
fn read_message(ctx: &mut Ctx, stream: &mut TcpStream, want_len: usize) -> Vec<u8> {
    ctx.step("read the client's message");
    let until = Instant::now() + SLACK;
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let mut last: Option<Instant> = None;
    while data.len() < want_len.max(1) && Instant::now() < until {
        let _ = stream.set_read_timeout(Some(Duration::from_millis(300)));
        match std::io::Read::read(stream, &mut buf) {
            Ok(0) => break,
            // A piece that came a pause after the first: a server reads
            // the message with one recv, and took the first piece for all
            // of it; so does this one (hostile round 51: a client that
            // sent its message in two writes 150 ms apart passed, and
            // the pair check blamed the server).
            Ok(n) if last.is_some_and(|at| at.elapsed() >= PIECES_APART) => {
                ctx.step(format!(
                    "the message came in pieces: {} bytes, then {} more {:.1}s later (a server reads one recv: the first piece is the message)",
                    data.len(),
                    n,
                    last.map_or(0.0, |at| at.elapsed().as_secs_f64())
                ));
                break;
            }
            Ok(n) => {
                data.extend_from_slice(&buf[..n]);
                last = Some(Instant::now());
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                if !data.is_empty() {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    data
}

/// A pause between two pieces of the one-shot client's message this long
/// or longer is two sends, not one split by the network (on loopback one
/// send of a short message arrives whole, in one segment). 20 ms, not 100:
/// hostile round 52's pieces 60 ms apart passed.
const PIECES_APART: Duration = Duration::from_millis(20);

/// Every connection the client opened in a check, in order, as a person
/// reads them: "connection 1: closed without sending; connection 2: `hi`".
fn connections_story(sent: &[Vec<u8>]) -> String {
    connections_story_from(sent, 1)
}

/// [`connections_story`], the first of `sent` numbered `first`.
pub(super) fn connections_story_from(sent: &[Vec<u8>], first: usize) -> String {
    sent.iter()
        .enumerate()
        .map(|(i, bytes)| {
            if bytes.is_empty() {
                format!("connection {}: closed without sending", i + first)
            } else {
                format!("connection {}: {}", i + first, show_bytes(bytes))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// How many connections [`late_connections`] takes at most.
pub(super) const LATE_COUNTED: usize = 8;

/// Accepts the connections still waiting on the fake server's listener
/// (opened after the one the check served) and reads what each sent.
pub(super) fn late_connections(listener: &TcpListener) -> Vec<Vec<u8>> {
    let mut sent = Vec::new();
    while let Some((mut conn, _)) = accept_within(listener, Duration::from_millis(100)) {
        sent.push(crate::grade::harness::read_to_end(&mut conn, Duration::from_millis(300)).0);
        if sent.len() >= LATE_COUNTED {
            break;
        }
    }
    sent
}

/// What [`accept_talking`] knows of the client's LAB_TIMEOUT.
#[derive(Debug, Clone, Copy)]
enum Told {
    /// It was given this many seconds: a client that said it gave up in
    /// far less, having sent nothing, is told so.
    Timeout(u64),
    /// The check judges the client's timeout itself.
    TimingJudged,
}

/// The connection that sent something, its bytes, and every connection's
/// bytes in order.
type Talking = (TcpStream, Vec<u8>, Vec<Vec<u8>>);

/// Accepts the client's connection and reads its message. Like a real
/// server, it takes every connection the client opens: one closed without
/// sending (a "test" connect) is noted and the next one taken. Returns the
/// connection that sent something, its bytes, and every connection's bytes.
fn accept_talking(
    ctx: &mut Ctx,
    listener: &TcpListener,
    p: Proc,
    want_len: usize,
    told: Told,
) -> Result<Talking, Failure> {
    accept_talking_at(ctx, listener, p, (want_len, told)).map(|(talking, _)| talking)
}

/// [`accept_talking`], and when the connection that talked was accepted.
fn accept_talking_at(
    ctx: &mut Ctx,
    listener: &TcpListener,
    p: Proc,
    (want_len, told): (usize, Told),
) -> Result<(Talking, Instant), Failure> {
    let mut conn = accept_client(ctx, listener, p)?;
    let mut accepted_at = Instant::now();
    let mut got = read_message(ctx, &mut conn, want_len);
    let mut sent: Vec<Vec<u8>> = Vec::new();
    while got.is_empty() && sent.len() < 8 {
        ctx.step("that connection closed without sending: wait for another one");
        let Some(next) = ctx.accept_from(listener, p, SLACK) else {
            break;
        };
        // The empty one is counted only now: with no other connection,
        // it is the last, pushed below once (blind round 15: one
        // connection was told as two, "connection 2: closed without
        // sending").
        sent.push(Vec::new());
        conn = next;
        accepted_at = Instant::now();
        got = read_message(ctx, &mut conn, want_len);
    }
    sent.push(got.clone());
    if let (true, Told::Timeout(secs)) = (got.is_empty(), told) {
        // Nothing sent, on any connection: a client whose timeout ran out
        // before it sent says so, not a wrong message.
        let _ = ctx.wait_exit(p, Duration::from_millis(500));
        let timeout = Duration::from_secs(secs);
        if let Some(at) = gave_up_at_once(ctx, p, timeout) {
            return Err(gave_up_at_once_failure(at, timeout));
        }
    }
    Ok(((conn, got, sent), accepted_at))
}

/// The client sent `got` (on the last of the connections `sent`), not
/// `message`.
fn wrong_message(message: &str, got: &[u8], sent: &[Vec<u8>]) -> Failure {
    // Only its start: the rest came in a later send (see read_message),
    // or never.
    let start = !got.is_empty() && got.len() < message.len() && message.as_bytes().starts_with(got);
    let failure = fail(
        Diagnosis::WrongMessage,
        format!("the client sends `{message}` on one connection"),
        if sent.len() > 1 {
            connections_story(sent)
        } else if start {
            format!(
                "it sent {}: only the start of the message, the rest in a later send of its own or never (a server reads the message with one recv, and takes the start for all of it)",
                show_bytes(got)
            )
        } else {
            format!("it sent {}", show_bytes(got))
        },
    );
    // Each byte of the message's UTF-8 encoded again: its argument read
    // as Latin-1.
    if !message.is_ascii() && got == latin1(message.as_bytes()).as_bytes() && sent.len() <= 1 {
        return failure.hinted(DECODE_UTF8_HINT);
    }
    // Not a byte: the message never left the program (blind round 68: a
    // Java PrintWriter without autoflush; the flush came last in the
    // general hint, after the defaults and line ends).
    if got.is_empty() && sent.len() <= 1 {
        return failure.hinted("Nothing arrived: the message never left your program. Most often it waits in a writer's buffer that is never flushed before the client reads the reply or closes (Java: a PrintWriter without autoflush, or print() with no flush(); C: fprintf on an fdopen'd socket; Python: a socket's makefile() writer): flush right after writing, or send the bytes on the socket itself (sendall, write_all, send in a loop). Check too that the send happens before the wait for the reply.");
    }
    if start && sent.len() <= 1 {
        return failure.hinted("Send the whole message in one call, at once: sendall(message.encode()) in Python, write_all in Rust, in C a loop over send() until every byte is out, with nothing in between (no sleep, no second write for the rest). The one-shot server reads one recv and takes what came for the whole message.");
    }
    // The message and a line end: the chat client's framing, or `echo`'s
    // newline (blind round 29: the hint spoke of chat clients' `\n`, and
    // nothing said the one-shot client sends none).
    let line_end = got
        .strip_suffix(b"\n")
        .map(|g| g.strip_suffix(b"\r").unwrap_or(g))
        .is_some_and(|g| g == message.as_bytes());
    if line_end && sent.len() <= 1 {
        return failure.hinted("The one-shot client sends the message exactly as given, with no line end after it: only the chat client ends each message with `\\n`. Send the message's bytes as they are (in a shell, `printf '%s' \"$msg\"`, not `echo`, which adds a newline; in Python, sendall(message.encode()), not a print() to the socket's file).");
    }
    failure
}

/// Whether `got` is no form of `message` at all: neither it nor a piece
/// of it, a line end aside (a test connection's `ping`).
fn not_the_message_at_all(message: &str, got: &[u8]) -> bool {
    let trimmed = got.strip_suffix(b"\n").unwrap_or(got);
    let trimmed = trimmed.strip_suffix(b"\r").unwrap_or(trimmed);
    !got.is_empty()
        && !message.as_bytes().starts_with(trimmed)
        && !trimmed.starts_with(message.as_bytes())
}

/// After a first connection that sent something else, the client `p`
/// brought `message` on a connection of its own: the first was a test
/// of its own (a "server up?" `ping` that waits for its answer, then
/// gives up). That connection, when the message came on it; `sent` gets
/// what came.
fn message_next(
    ctx: &mut Ctx,
    listener: &TcpListener,
    p: Proc,
    message: &str,
    sent: &mut Vec<Vec<u8>>,
) -> Option<TcpStream> {
    ctx.step("that is not the message: leave that connection unanswered, and wait for another (a test connection of the client's own?)");
    let mut next = ctx.accept_from(listener, p, SLACK)?;
    let later = read_message(ctx, &mut next, message.len());
    sent.push(later);
    (sent.last()? == message.as_bytes()).then_some(next)
}

/// The hint of a message that came on a second connection, after a
/// first that sent bytes of the client's own.
const TEST_CONNECTION_HINT: &str = "Your client connected twice: first a test of its own (a \"server up?\" check that sends something and waits for an answer), then again for the message. A one-shot server takes that first connection as its one session: it answers the test, closes, and your real message finds no server. Connect once, send the message on that connection, read the reply there. Look in the modules your program imports too: a check at their top level runs in every program that imports them.";

/// A normal session with a fake server that answers like the contract.
/// Like the real server, it takes every connection the client opens: an
/// extra one (empty, or with another message) is reported, one by one.
fn session(ctx: &mut Ctx, args: &[String], message: &str, first: Judged) -> Result<(), Failure> {
    // A timeout well past the hold below. Trap (blind round 13): with the
    // contract's LAB_TIMEOUT=2, a client whose stdout is a buffer gave up
    // just as the held reply went out, and was blamed for its exit status
    // (or not, by a few milliseconds: the verdict changed run to run).
    let timeout = HOLD.as_secs() + 3;
    let (listener, p) = start_with_fake(ctx, args, &[timeout_env(timeout)])?;
    let (conn, got, mut sent) =
        accept_talking(ctx, &listener, p, message.len(), Told::Timeout(timeout))
            .map_err(|f| refused_as_too_long(ctx, p, f, message))?;
    let got_at = Instant::now();
    if got != message.as_bytes() {
        if not_the_message_at_all(message, &got)
            && message_next(ctx, &listener, p, message, &mut sent).is_some()
        {
            drop(conn);
            return Err(fail(
                Diagnosis::WrongMessage,
                format!("the client sends `{message}` on one connection"),
                connections_story(&sent),
            )
            .hinted(TEST_CONNECTION_HINT));
        }
        return Err(wrong_message(message, &got, &sent));
    }
    // Hold the reply until the client has printed its Sending line: a
    // client whose stdout is a full buffer shows nothing until it exits.
    // On either stream: a line on stderr is the line check's finding, and a
    // client held until its timeout would be blamed for that timeout.
    ctx.step(format!(
        "hold the reply until the client prints `[CLIENT] Sending: ...` (up to {}s)",
        HOLD.as_secs()
    ));
    let sending = format!("[CLIENT] Sending: {message}");
    let early = ctx
        .wait_output(p, HOLD, |l| same_shown(l.trim_end(), &sending))
        .is_some();
    // What was out when the hold ended: a client that waited the whole
    // hold has printed all it prints before its reply, unless a buffer
    // holds it.
    let out_at_hold_end = ctx.child(p).lines(Stream::Stdout).len();
    let reply = format!("ACK: {message}");
    ctx.step(format!("reply `{reply}` and close, as the server does"));
    let replied = reply_and_close(conn, &reply);
    let exited = expect_exit(ctx, p, SLACK, 0, Diagnosis::Crash).map_err(|mut f| {
        // Gave up before the reply, far sooner than LAB_TIMEOUT: the
        // timeout's unit, client-timeout's finding (blind round 13: its
        // exit status was blamed, a mistake named twice).
        if let Some(early) = gave_up_early(ctx, p, got_at, timeout) {
            return early;
        }
        let later = late_connections(&listener);
        if !later.is_empty() {
            sent.extend(later);
            f.observed = format!(
                "still running {}s after its session: it opened another connection after it and waits there ({})",
                SLACK.as_secs(),
                connections_story(&sent)
            );
        }
        f
    });
    // Refused after its end came: it shut its connection down, unless it
    // said it gave up first (a timeout in milliseconds ran out while the
    // reply was held, and it closed: that unit is the finding).
    if replied.refused() {
        return Err(
            gave_up_early(ctx, p, got_at, timeout).unwrap_or_else(|| closed_before_reply(&reply))
        );
    }
    exited?;
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let buffered = fail(
        Diagnosis::StdoutBuffered,
        format!("`{sending}` appears before the reply arrives"),
        format!(
            "nothing came for {}s while it waited for the reply; the line appeared only when the client exited: its output waits in a buffer",
            HOLD.as_secs()
        ),
    );
    // Printed after the reply, not held back (hostile round 71): a
    // buffer keeps lines in order, so a Sending line below the Received
    // line was printed late. It is named itself (the order check alone
    // named the Received line as out of order), and as buffering only
    // where lines printed before the reply came out at the exit too.
    if let Some(received_at) = sending_after_reply(ctx, p, &sending, &reply) {
        // Nothing at all out during the hold, and lines above the reply's
        // at the end: held in a buffer too. (Not lines that merely came
        // after the hold: a flushed client prints lines after the reply
        // too, and was told as buffered, hostile round 73.)
        let held_back = !early && out_at_hold_end == 0 && received_at > 0;
        if !(held_back && first == Judged::TimingFirst) {
            return Err(fail(
                Diagnosis::OutputFormat,
                format!("`{sending}` on stdout before the reply's line, as the message goes out"),
                format!(
                    "`{sending}` came after the reply's line (`{}`): the client prints it only once the reply is in",
                    ctx.child(p).lines(Stream::Stdout)[received_at].trim_end()
                ),
            )
            .hinted(SENDING_AFTER_REPLY_HINT));
        }
    }
    // Late, not missing: the line came at the exit (a client that never
    // prints it is the line check's finding).
    let came_late = !early
        && [Stream::Stdout, Stream::Stderr]
            .into_iter()
            .any(|s| any_line(ctx, p, s, |l| same_shown(l.trim_end(), &sending)));
    if came_late && first == Judged::TimingFirst {
        return Err(buffered);
    }
    lines_in_order(
        ctx,
        p,
        &[
            format!("[CLIENT] Connected to {addr}"),
            sending.clone(),
            format!("[CLIENT] Received: {reply}"),
            "[CLIENT] Closed connection".to_string(),
        ],
    )
    .map_err(|f| reply_cut(ctx, p, f, &reply))?;
    if !early {
        return Err(buffered);
    }
    // More connections than the one: client-one-connection's to judge.
    Ok(())
}

/// The hint of a Sending line printed after the reply.
const SENDING_AFTER_REPLY_HINT: &str = "Print `[CLIENT] Sending: <message>` right before the send, and the Received line once the reply is read: the lines tell the session in the order it happened, and a reader (or a grader) learns from them what the client was doing when it stopped.";

/// Where the client `p`'s stdout has the contract's Received line for
/// `reply` above its Sending line: the index of that line. That line
/// exactly: a line of its own that quotes the reply it expects is none
/// (hostile rounds 73 and 74: `[CLIENT] Plan: ... expect to receive ACK:
/// ...` first was told as the reply's line).
fn sending_after_reply(ctx: &mut Ctx, p: Proc, sending: &str, reply: &str) -> Option<usize> {
    let out = ctx.child(p).lines(Stream::Stdout);
    let received = format!("[CLIENT] Received: {reply}");
    let sending_at = out.iter().position(|l| same_shown(l.trim_end(), sending))?;
    let received_at = out
        .iter()
        .position(|l| same_shown(l.trim_end(), &received))?;
    (received_at < sending_at).then_some(received_at)
}

/// One session, one connection: a fake server that answers at once counts
/// every connection the client opens, before its message and after its
/// reply. A "test" connect first is a whole session to a one-shot server
/// (blind round 21: the pair failed as the client's crash, and no check
/// named the extra connection: the session checks stop at their first
/// finding, which was the client's buffered lines).
pub fn one_connection(ctx: &mut Ctx) -> Result<(), Failure> {
    let message = ctx.message(16);
    let timeout = HOLD.as_secs() + 3;
    let (listener, p) =
        start_with_fake(ctx, std::slice::from_ref(&message), &[timeout_env(timeout)])?;
    // What it sends, and what it prints, are client-ack's to judge: here
    // only the connections are counted.
    let (mut conn, _, mut sent) =
        accept_talking(ctx, &listener, p, message.len(), Told::Timeout(timeout))
            .map_err(|f| f.consequence_of("client-ack"))?;
    let reply = format!("ACK: {message}");
    ctx.step(format!(
        "reply `{reply}` at once and close; count every connection until the client ends"
    ));
    let _ = conn.write_all(reply.as_bytes());
    drop(conn);
    let _ = ctx.wait_exit(p, SLACK);
    sent.extend(late_connections(&listener));
    if sent.len() > 1 {
        let failure = fail(
            Diagnosis::ExtraConnection,
            format!("the client opens one connection and sends `{message}` on it"),
            format!("it opened {}: {}", sent.len(), connections_story(&sent)),
        );
        // Something else sent first (a `PING` health check): client-ack
        // saw that first connection and named it a wrong message; one
        // mistake, told there.
        let other_first = sent
            .iter()
            .position(|bytes| !bytes.is_empty())
            .is_some_and(|i| sent[i] != message.as_bytes());
        return Err(if other_first {
            failure.folded_if("client-ack", &[Diagnosis::WrongMessage])
        } else {
            failure
        });
    }
    Ok(())
}

/// The client `p` said it gave up before the reply, which went out well
/// within its LAB_TIMEOUT (`timeout` seconds) after its message came
/// (`got_at`): a timeout in the wrong unit, client-timeout's finding
/// (blind round 13: its exit status was blamed, one mistake named twice).
fn gave_up_early(ctx: &mut Ctx, p: Proc, got_at: Instant, timeout: u64) -> Option<Failure> {
    let Some(after) = said_gave_up(ctx, p, got_at) else {
        // Said before its message came, on the grader's clock.
        let timeout = Duration::from_secs(timeout);
        let at = gave_up_at_once(ctx, p, timeout)?;
        return Some(gave_up_at_once_failure(at, timeout));
    };
    Some(
        fail(
            Diagnosis::IgnoresConfig,
            format!("the client waits up to LAB_TIMEOUT={timeout}s for the reply"),
            format!(
                "it gave up {:.2}s after sending, before the reply came",
                after.as_secs_f64()
            ),
        )
        .caused_by("client-timeout"),
    )
}

/// How long a session holds its reply for the client's Sending line.
const HOLD: Duration = Duration::from_secs(2);

/// Which of a session's two console findings a check names when both
/// are there: its lines in other words, and its lines held in a buffer.
/// The two session checks name one each, so that a client with both
/// mistakes has both reported (blind round 13: a C++ client's misworded
/// line hid behind its `std::cout` buffer); with one, both name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Judged {
    LinesFirst,
    TimingFirst,
}

pub fn ack(ctx: &mut Ctx) -> Result<(), Failure> {
    // Near the contract's 100 characters, so that the reply (over 90
    // bytes) tells a client that sends or reads only a fixed first part
    // (hostile round 54: 40 bytes sent, 64 read, and every message the
    // checks gave it was shorter).
    // Where programs read their arguments as UTF-8, every character is
    // outside ASCII, and the reply is over 256 bytes: a client that
    // read 128 or 256 bytes, or sent and printed ASCII only, passed
    // (hostile rounds 55, 57 and 58).
    let message = if programs_read_utf8() {
        ctx.message_beyond_ascii(86)
    } else {
        ctx.message(86)
    };
    session(
        ctx,
        std::slice::from_ref(&message),
        &message,
        Judged::LinesFirst,
    )
}

/// A client that refused its message as too long before it connected: a
/// limit of its own (the message is under the contract's 100
/// characters; where it is CJK, about 260 bytes: a limit in bytes). Said
/// as the length rule's mistake, not as a start that failed. Judged by
/// what the client printed, on either stream: "too long" (not any "long":
/// Python's "int too large to convert to C long" is no such refusal).
fn refused_as_too_long(ctx: &mut Ctx, p: Proc, failure: Failure, message: &str) -> Failure {
    let said_long = [Stream::Stderr, Stream::Stdout].into_iter().any(|s| {
        ctx.child(p)
            .lines(s)
            .iter()
            .any(|l| l.to_lowercase().contains("too long"))
    });
    let chars = message.chars().count();
    if failure.diagnosis != Diagnosis::StartupFailure || !said_long || chars >= 100 {
        return failure;
    }
    let (limit, hint) = if message.len() > 100 {
        ("a limit counted in bytes", super::server::CHARACTERS_HINT)
    } else {
        (
            "a limit below the contract's 100 characters",
            "A client needs no length limit: it sends the message it was given, and the server answers one too long with its error line. If you keep a check, it is the contract's: more than 100 characters (counted as characters, not bytes) is too long.",
        )
    };
    fail(
        Diagnosis::TooLong,
        format!(
            "the client sends its message of {chars} characters ({} bytes in UTF-8)",
            message.len()
        ),
        format!(
            "{}: it refused the message as too long, though it has fewer than 100 characters: {limit} (the client needs no limit of its own: the server judges the length)",
            failure.observed
        ),
    )
    .hinted(hint)
}

/// A Received line missing because the client printed only the reply's
/// start: its read was a fixed piece smaller than the reply (`recv(64)`),
/// said so, not as the line's wording (the hint spoke of prefixes and
/// Python tuples).
fn reply_cut(ctx: &mut Ctx, p: Proc, mut failure: Failure, reply: &str) -> Failure {
    if failure.diagnosis != Diagnosis::OutputFormat {
        return failure;
    }
    let printed = ctx.child(p).lines(Stream::Stdout);
    let received = || {
        printed
            .iter()
            .filter_map(|l| l.trim_end().strip_prefix("[CLIENT] Received: "))
    };
    // Its UTF-8 read as Latin-1 (one character per byte: `cafÃ©`).
    // (Its bytes 80–9F are C1 controls then: escaped, `\x82`, or not.)
    if !reply.is_ascii() && received().any(|shown| same_shown(shown, &latin1(reply.as_bytes()))) {
        // One character of the reply, and what it became.
        let wide = reply.chars().find(|c| !c.is_ascii()).unwrap_or_default();
        let mut bytes = [0; 4];
        failure.observed = format!(
            "it printed the reply's bytes each as one character (`{wide}` became `{}`): it decoded the UTF-8 reply as Latin-1, or in the platform's default charset",
            latin1(wide.encode_utf8(&mut bytes).as_bytes()).escape_debug()
        );
        return failure.hinted(DECODE_UTF8_HINT);
    }
    // A cut inside a character shows as U+FFFD at the end (a lossy
    // decode, or the grader's reading of the bytes the client printed).
    let cut = received().find_map(|shown| {
        let shown = shown.trim_end_matches('\u{FFFD}');
        (!shown.is_empty() && shown.len() < reply.len() && reply.starts_with(shown))
            .then_some(shown.len())
    });
    if let Some(cut) = cut {
        failure.observed = format!(
            "it printed `[CLIENT] Received: ` with only the first {cut} of the reply's {} bytes: it read the reply in a piece too small for it",
            reply.len()
        );
        return failure.hinted(READ_THE_REPLY_HINT);
    }
    // The reply's start, then something else: a read too small for the
    // reply, and perhaps a buffer printed past what the read returned
    // (C's printf("%s") with no '\0' after the bytes: bytes no text
    // has, U+FFFD or controls, follow). Blind round 60: the garbage hid
    // the small read, and the hint spoke of prefixes and tuples.
    let past = received().find_map(|shown| {
        let same = common_prefix(shown.as_bytes(), reply.as_bytes());
        (same >= 16.min(reply.len()) && shown.len() > same).then_some((same, &shown[same..]))
    });
    if let Some((same, after)) = past {
        let small = same < reply.len();
        let garbage = super::common::looks_like_leftovers(after);
        if small || garbage {
            // Controls escaped, the rest as printed (blind round 84: a
            // program's own `\u{0}` was shown `\\u{0}`), and a cut said.
            let mut shown: String = after
                .chars()
                .take(24)
                .map(|c| {
                    if c.is_control() {
                        c.escape_debug().to_string()
                    } else {
                        c.to_string()
                    }
                })
                .collect();
            if after.chars().nth(24).is_some() {
                shown.push('…');
            }
            failure.observed = format!(
                "it printed `[CLIENT] Received: ` with the first {same} of the reply's {} bytes, then `{shown}`{}",
                reply.len(),
                match (small, garbage) {
                    (true, true) => ", which the server never sent: it read the reply in a piece too small for it, and printed its buffer past what the read returned",
                    (true, false) => ": it read the reply in a piece too small for it",
                    _ => ", which the server never sent: it printed its buffer past what the read returned",
                }
            );
            const PRINT_N: &str = "Print exactly the bytes the read returned: in C, printf(\"%.*s\", (int)n, buf), or buf[n] = '\\0' before printf(\"%s\") (with a buffer one byte larger than the read); %s on a buffer without a '\\0' prints whatever memory follows. In Java, new String(buf, 0, n, StandardCharsets.UTF_8), not new String(buf), which decodes the whole array.";
            return failure.hinted(match (small, garbage) {
                (true, true) => format!("{READ_THE_REPLY_HINT} {PRINT_N}"),
                (true, false) => READ_THE_REPLY_HINT.to_string(),
                _ => PRINT_N.to_string(),
            });
        }
    }
    failure
}

/// How to read the one-shot reply.
const READ_THE_REPLY_HINT: &str = "Read the reply with one recv of up to LAB_BUFFER_SIZE bytes (1024 by default), or read until the server closes the connection: a read of a fixed small size (recv(64), a char[64]) prints only the start of a long reply.";

/// How many bytes `a` and `b` share at their start, ending on a character
/// boundary of `a` (which is text).
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let mut n = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    while n > 0 && n < a.len() && (a[n] & 0xC0) == 0x80 {
        n -= 1;
    }
    n
}

/// Text outside ASCII turned into bytes, or back, in another charset.
pub(super) const DECODE_UTF8_HINT: &str = "Name UTF-8 wherever text becomes bytes and bytes become text: message.encode(\"utf-8\") and data.decode(\"utf-8\") in Python, getBytes(StandardCharsets.UTF_8) and new String(bytes, StandardCharsets.UTF_8) in Java (not the platform's default), Buffer.from(text, \"utf8\") and toString(\"utf8\") in Node, String::from_utf8 in Rust. Latin-1 or ASCII turns each byte of `é` (two bytes in UTF-8) into a character of its own.";

/// `bytes` read as Latin-1: each byte one character.
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// The address [`config`] gives as LAB_HOST: loopback, but not the
/// handout's default, so a host written in the code goes elsewhere.
const OTHER_HOST: std::net::Ipv4Addr = std::net::Ipv4Addr::new(127, 0, 0, 2);

/// The client connects where LAB_HOST and LAB_PORT say. Every other check
/// gives the handout's host, 127.0.0.1: a client with `127.0.0.1` written
/// in its code passed them all (blind round 30). Here the fake server is
/// on 127.0.0.2 (loopback too, on Linux), with a decoy of the grader's on
/// 127.0.0.1 at the same port to say where a hard-coded host went. A
/// machine whose loopback has 127.0.0.1 alone (macOS) checks the port only.
pub fn config(ctx: &mut Ctx) -> Result<(), Failure> {
    let message = ctx.message(16);
    let Ok(listener) = crate::sandbox::tcp_listener((OTHER_HOST, 0).into()) else {
        ctx.step(format!(
            "this machine's loopback has no {OTHER_HOST}: LAB_HOST is not varied here"
        ));
        let (listener, p) = start_with_fake(ctx, std::slice::from_ref(&message), &[])?;
        accept_client(ctx, &listener, p)?;
        return Ok(());
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    crate::grade::evidence::note_grader_port(port);
    let decoy = crate::sandbox::tcp_listener((HOST, port).into()).ok();
    ctx.step(format!(
        "start a fake server of the grader's on {OTHER_HOST}:{port}, and a decoy on {HOST}:{port}"
    ));
    let env = [
        ("LAB_HOST", OTHER_HOST.to_string()),
        ("LAB_PORT", port.to_string()),
    ];
    let p = ctx.spawn(role::CLIENT, std::slice::from_ref(&message), &env)?;
    let expected =
        format!("with LAB_HOST={OTHER_HOST}, the client connects to {OTHER_HOST}:{port}");
    ctx.step(format!(
        "wait for the client to connect to {OTHER_HOST}:{port}"
    ));
    // Through `accept_from`, as every fake server here: without a network
    // namespace, a stranger's connection is not the client's.
    let until = Instant::now() + STARTUP;
    let conn = loop {
        if let Some(stream) = ctx.accept_from(&listener, p, Duration::from_millis(50)) {
            break Some(stream);
        }
        if let Some(decoy) = &decoy {
            if ctx.accept_from(decoy, p, Duration::ZERO).is_some() {
                return Err(fail(
                    Diagnosis::IgnoresConfig,
                    expected,
                    format!("it connected to {HOST}:{port}, the grader's decoy, not to LAB_HOST={OTHER_HOST}: the host is written in the code (read LAB_HOST, as the port is read from LAB_PORT)"),
                ));
            }
        }
        if ctx.child(p).try_status().is_some() {
            // Its whole life may fit between two looks (a client that
            // gives up at once): its connection waits in the queue
            // (blind round 37: "ended without connecting" for a client
            // that said it connected).
            break ctx.accept_from(&listener, p, Duration::ZERO);
        }
        if Instant::now() >= until {
            break None;
        }
    };
    let Some(mut conn) = conn else {
        if let Some(failure) = died_before_connecting(ctx, p, &expected) {
            return Err(failure);
        }
        return Err(fail(
            Diagnosis::IgnoresConfig,
            expected,
            format!(
                "no connection to {OTHER_HOST}:{port} within {}s",
                STARTUP.as_secs()
            ),
        ));
    };
    // Connected where it was told: what it sends and prints are the other
    // checks' to judge. It gets its reply, as from any server.
    let reply = format!("ACK: {message}");
    let _ = conn.set_read_timeout(Some(SLACK));
    let mut got = [0u8; 256];
    let _ = std::io::Read::read(&mut conn, &mut got);
    ctx.step(format!("it connected; reply `{reply}` and close"));
    let _ = conn.write_all(reply.as_bytes());
    Ok(())
}

pub fn default_message(ctx: &mut Ctx) -> Result<(), Failure> {
    session(ctx, &[], "Hello Server", Judged::TimingFirst).map_err(|f| match f.diagnosis {
        Diagnosis::ClosedEarly => f.caused_by("client-ack"),
        _ => f,
    })
}

/// The grader's side of a session once its reply went out, kept until
/// the client has ended: did the client take the reply?
struct Replied {
    conn: TcpStream,
    /// The client's end of the connection (its FIN) was there before the
    /// reply went out.
    closed_first: bool,
}

/// Writes `reply` and closes the grader's side as a server's close does
/// (its FIN), keeping the socket to learn later whether the client took
/// the reply (see [`Replied::refused`]).
fn reply_and_close(conn: TcpStream, reply: &str) -> Replied {
    // A client that has shut down its writing side alone (SHUT_WR) reads
    // the reply all the same, and is right: only a reset says it could not.
    let closed_first = sent_eof(&conn, EOF_WAIT);
    let _ = (&conn).write_all(reply.as_bytes());
    let _ = conn.shutdown(std::net::Shutdown::Write);
    Replied { conn, closed_first }
}

impl Replied {
    /// After the client ended: it had closed its side before the reply,
    /// and the reply was answered with a reset. Its socket was shut for
    /// reading (`shutdown(SHUT_RDWR)`, `close()`) before the reply came:
    /// the kernel refuses data for such a socket with a reset, and the
    /// client reads an error or nothing (blind round 37: one mistake told
    /// as a crash, an exit status and a timeout in the wrong unit).
    fn refused(&self) -> bool {
        self.closed_first
            && matches!(self.conn.take_error(), Ok(Some(e)) if matches!(
                e.kind(),
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
            ))
    }
}

/// Does the client's end of the connection (its FIN) come within `wait`,
/// all it sent read? Peeked: nothing is taken.
fn sent_eof(conn: &TcpStream, wait: Duration) -> bool {
    let eof = if wait.is_zero() {
        let _ = conn.set_nonblocking(true);
        let eof = matches!(conn.peek(&mut [0u8; 1]), Ok(0));
        let _ = conn.set_nonblocking(false);
        eof
    } else {
        let _ = conn.set_read_timeout(Some(wait));
        matches!(conn.peek(&mut [0u8; 1]), Ok(0))
    };
    let _ = conn.set_read_timeout(None);
    eof
}

/// How long a session waits, its message read, for the client's end of
/// the connection before it replies. A client that shuts its connection
/// down right after sending does so within a millisecond; replied sooner,
/// the reply could slip in before it, and its mistake show one run in two.
const EOF_WAIT: Duration = Duration::from_millis(100);

/// The finding of a client that shut its connection down before `reply`.
fn closed_before_reply(reply: &str) -> Failure {
    fail(
        Diagnosis::ClosedEarly,
        format!("the client reads the reply `{reply}` before it closes its connection"),
        "its end of the connection came right after its message, and the reply was refused with a reset: it shut the connection down (or closed it) before the reply came",
    )
    .hinted("Read the reply before you close the socket or shut it down. `shutdown(SHUT_RDWR)` (or SHUT_RD, or `close()`) right after sending throws away the reply still on its way: the kernel refuses it with a reset, and recv() then fails or returns 0. Shutting down the writing side alone (SHUT_WR) is fine: the reply can still come.")
}

/// The reply a threaded server at its limit gives (extension D).
const BUSY_REPLY: &str = "ERROR: Server busy";

/// A server that answers `ERROR: Server busy`: the client prints that
/// reply, whatever words its line has. Its exit status is not judged (a
/// client may well take an ERROR reply as a failure).
///
/// Why: every other fake server answers `ACK: <message>`, which a client
/// can print without reading it. A client that builds its Received line
/// from the message it sent (a beginner's shortcut, or a cheat) passed.
///
/// Then a server that answers an ACK, though not of the message as sent
/// (the message in capitals): a client that printed `ACK: <its message>`
/// for every reply but an ERROR passed (blind round 50, hostile round 51).
pub fn error_reply(ctx: &mut Ctx) -> Result<(), Failure> {
    prints_what_came(
        ctx,
        &|_| BUSY_REPLY.to_string(),
        "as a threaded server at its limit does",
        &|l, _| l.to_lowercase().contains("server busy"),
    )?;
    prints_what_came(
        ctx,
        &|message| format!("ACK: {}", message.to_uppercase()),
        "an ACK of other words than the message: whatever comes is printed as it came",
        &|l, reply| l.contains(reply),
    )
}

/// One run of [`error_reply`]: the fake server answers `reply_to(message)`
/// (`why` says what it plays), and `shows(line, reply)` finds the reply in
/// a line the client printed.
fn prints_what_came(
    ctx: &mut Ctx,
    reply_to: &dyn Fn(&str) -> String,
    why: &str,
    shows: &dyn Fn(&str, &str) -> bool,
) -> Result<(), Failure> {
    let message = ctx.message(16);
    let reply = reply_to(&message);
    let (listener, p) = start_with_fake(ctx, std::slice::from_ref(&message), &[])?;
    let (conn, got, sent) = accept_talking(
        ctx,
        &listener,
        p,
        message.len(),
        Told::Timeout(contract_timeout()),
    )?;
    let got_at = Instant::now();
    if !got.starts_with(message.as_bytes()) {
        return Err(wrong_message(&message, &got, &sent).caused_by("client-ack"));
    }
    ctx.step(format!("reply `{reply}` ({why}) and close"));
    let replied = reply_and_close(conn, &reply);
    let expected = format!(
        "the client prints the reply it received, `{reply}` (on either stream, in any words around it)"
    );
    let exited = ctx.wait_exit(p, SLACK).is_some();
    if replied.refused() {
        return Err(gave_up_early(ctx, p, got_at, contract_timeout())
            .unwrap_or_else(|| closed_before_reply(&reply).caused_by("client-ack")));
    }
    drop(replied);
    if !exited {
        return Err(fail(
            Diagnosis::Hangs,
            expected,
            format!(
                "still running {}s after the reply came and the connection closed",
                SLACK.as_secs()
            ),
        )
        .caused_by("client-ack"));
    }
    let lines: Vec<String> = [Stream::Stdout, Stream::Stderr]
        .into_iter()
        .flat_map(|s| ctx.child(p).lines(s))
        .collect();
    // The ACK it hoped for, printed though it never came, first: printed
    // beside a `Server busy` of its own (on every run, whatever came), it
    // passed (hostile round 39: no reply ever read, 10/10).
    let invented = format!("ACK: {message}");
    let invented_line = lines.iter().find(|l| l.contains(&invented)).cloned();
    if invented_line.is_none() && lines.iter().any(|l| shows(l, &reply)) {
        // A session that went through to its end: its Connected line is
        // judged here too, where client-ack may have stopped at a wrong
        // message before any line (blind round 40: Java's
        // `Connected to /127.0.0.1:P` unseen until println was fixed).
        let addr = listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        return lines_in_order(ctx, p, &[format!("[CLIENT] Connected to {addr}")])
            .map_err(|f| f.caused_by("client-ack"));
    }
    if let Some(early) = gave_up_early(ctx, p, got_at, contract_timeout()) {
        return Err(early);
    }
    if let Some(line) = invented_line {
        return Err(fail(
            Diagnosis::InventedReply,
            expected,
            format!(
                "it printed `{}`: the reply it expected, not the one it received",
                line.trim_end()
            ),
        ));
    }
    if let Some(crash) = ctx.crash_of(p) {
        return Err(fail(
            Diagnosis::Crash,
            expected,
            format!("it crashed on that reply: {crash}"),
        ));
    }
    let last = lines
        .iter()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| format!("; its last line: `{}`", l.trim_end()))
        .unwrap_or_else(|| "; it printed nothing".to_string());
    // Nothing of a reply at all, expected or received: a missing line,
    // not an invented one (blind round 25).
    Err(fail(
        Diagnosis::OutputFormat,
        expected,
        format!("the reply appears nowhere in its output{last}: print the reply received, whatever it says (`[CLIENT] Received: ...`)"),
    ))
}

/// Does any line of `stream` satisfy `pred`?
fn any_line(ctx: &mut Ctx, p: Proc, stream: Stream, pred: impl Fn(&str) -> bool) -> bool {
    ctx.child(p).lines(stream).iter().any(|l| pred(l))
}

/// Expects the error line on stderr and exit status 1; `mistake` when the
/// client hangs, crashes or stays silent about it.
pub(super) fn expect_error(
    ctx: &mut Ctx,
    p: Proc,
    within: Duration,
    expected: &str,
    mistake: Diagnosis,
    pred: impl Fn(&str) -> bool + Copy,
) -> Result<(), Failure> {
    ctx.step("wait for the client to report the error and exit");
    // A client that has reported the error gets as long again to end: its
    // exit is slow on a loaded machine (a clean-clone run beside two
    // gradings: a correct client said `without replying` and was still
    // ending 3 s later). One that said it and never ends hangs.
    let said = |ctx: &mut Ctx| {
        any_line(ctx, p, Stream::Stderr, pred) || any_line(ctx, p, Stream::Stdout, pred)
    };
    let status = ctx.wait_exit(p, within).or_else(|| {
        if said(ctx) {
            ctx.wait_exit(p, within)
        } else {
            None
        }
    });
    let Some(status) = status else {
        if said(ctx) {
            return Err(fail(
                Diagnosis::Hangs,
                expected,
                format!(
                    "it reported the error, but was still running {}s later: something keeps it alive after it is done (a thread that is not a daemon, a connection or a timer left open?)",
                    2 * within.as_secs()
                ),
            ));
        }
        // Listening: a server runs inside the client, often one imported
        // without a `__main__` guard; where the grader's server held the
        // port (client-ack), the same code died of `address already in
        // use` (blind round 6: this was blamed on the refused connect).
        let listening = crate::grade::harness::listening_ports_of(
            ctx.child(p).pid(),
            super::CONTRACT.transport,
        )
        .filter(|ports| !ports.is_empty());
        if let Some(ports) = listening {
            let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
            return Err(fail(
                Diagnosis::Hangs,
                expected,
                format!(
                    "still running {}s later, listening on port {} (the system's socket table): a server runs inside the client, waiting for a connection (a module that serves when it is imported, with no `if __name__ == \"__main__\":` guard?)",
                    within.as_secs(),
                    ports.join(", ")
                ),
            )
            .folded_if("client-ack", &[Diagnosis::StartupFailure]));
        }
        return Err(fail(
            mistake,
            expected,
            format!("still running {}s later", within.as_secs()),
        ));
    };
    if let Some(crash) = ctx.crash_of(p) {
        // Trap: C's alarm() as "the timeout", with no handler, ends the
        // client on time but silently: no crash of its code, a missing
        // handler (and the exit status is the signal's, not 1).
        #[cfg(unix)]
        if std::os::unix::process::ExitStatusExt::signal(&status) == Some(nix::libc::SIGALRM) {
            return Err(fail(
                mistake,
                expected,
                "it was killed by SIGALRM, with no error line: an alarm() went off and nothing handled it, so the timeout ended the client instead of being reported (catch SIGALRM, or use a receive timeout: SO_RCVTIMEO, settimeout())",
            ));
        }
        return Err(fail(mistake, expected, format!("it crashed: {crash}")));
    }
    if !any_line(ctx, p, Stream::Stderr, pred) {
        if any_line(ctx, p, Stream::Stdout, pred) {
            return Err(fail(
                Diagnosis::OutputFormat,
                expected,
                format!(
                    "the error line went to stdout, not stderr{}",
                    super::common::and_status_unless(status, 1)
                ),
            ));
        }
        let diagnosis = match status.code() {
            Some(0) => mistake,
            // A usage error: it refused to start at all.
            Some(2) => Diagnosis::CannotStart,
            _ => Diagnosis::OutputFormat,
        };
        let mut observed = format!("no such line on stderr ({}", describe_status(status));
        if let Some(last) = ctx.last_stderr_line(p) {
            observed.push_str(&format!("; its last line there: `{last}`"));
        }
        observed.push(')');
        return Err(fail(diagnosis, expected, observed));
    }
    if status.code() != Some(1) {
        return Err(fail(
            Diagnosis::ExitStatus,
            expected,
            describe_status(status),
        ));
    }
    Ok(())
}

pub fn refused(ctx: &mut Ctx) -> Result<(), Failure> {
    let port = closed_port().map_err(|e| {
        fail(
            Diagnosis::CannotStart,
            "a free port for the check",
            e.to_string(),
        )
    })?;
    ctx.step(format!("make sure nothing listens on {HOST}:{port}"));
    let message = ctx.message(12);
    let p = ctx.spawn(role::CLIENT, &[message], &[("LAB_PORT", port.to_string())])?;
    let target = format!("{HOST}:{port}");
    let expected = format!(
        "exit status 1 and the stderr line `[CLIENT] Error: could not connect to {target}: connection refused (is the server running?)`"
    );
    expect_error(
        ctx,
        p,
        SLACK + SLACK,
        &expected,
        Diagnosis::ClientRefused,
        |l| {
            l.starts_with("[CLIENT] Error:")
                && l.contains(&target)
                && l.to_lowercase().contains("refused")
        },
    )
    .map_err(|f| refused_elsewhere(ctx, p, port, &expected).unwrap_or(f))
    .map_err(|f| gave_up_instead(ctx, p, f))
    .map_err(|f| unless_it_dies_at_every_start(ctx, p, f))?;
    // Its error was right; did it also claim a connection it never had
    // (the line printed before connect(), blind round 25)?
    let claimed = [Stream::Stdout, Stream::Stderr]
        .into_iter()
        .flat_map(|s| ctx.child(p).lines(s))
        .find(|l| l.contains("Connected to"));
    match claimed {
        Some(line) => Err(fail(
            Diagnosis::OutputFormat,
            format!("no `Connected to` line: nothing listens on {target}"),
            format!(
                "it printed `{}` although the connection was refused: print it once connect() has succeeded",
                line.trim_end()
            ),
        )),
        None => Ok(()),
    }
}

/// The client's refusal line, right in every word but the port: it went
/// to another port than the LAB_PORT it was given (`port`), and its line
/// says so truthfully. That is ignores-config, client-config's finding,
/// not a line worded otherwise (blind round 40: a port read from a `.env`
/// file over the environment, told as output-format beside the
/// ignores-config of seven other checks).
///
/// Proven, not read from the line alone: a client may go where it was
/// told and name a port written in its code (blind round 42). It runs
/// again with the grader listening on that other port: it is
/// ignores-config only if it connects there.
fn refused_elsewhere(ctx: &mut Ctx, p: Proc, port: u16, expected: &str) -> Option<Failure> {
    let prefix = format!("{HOST}:");
    let refused: Vec<String> = ctx
        .child(p)
        .lines(Stream::Stderr)
        .into_iter()
        .filter(|l| l.starts_with("[CLIENT] Error:") && l.to_lowercase().contains("refused"))
        .collect();
    // It did try LAB_PORT, and said so: whatever it tried next, its line
    // for LAB_PORT is there (blind round 43: a client trying LAB_PORT + 1
    // after, told its port was not read).
    let own = format!("{HOST}:{port}");
    if refused.iter().any(|l| {
        l.match_indices(&own)
            .any(|(at, _)| !l[at + own.len()..].starts_with(|c: char| c.is_ascii_digit()))
    }) {
        return None;
    }
    let (line, other) = refused.into_iter().find_map(|l| {
        let at = l.find(&prefix)? + prefix.len();
        let digits: String = l[at..].chars().take_while(char::is_ascii_digit).collect();
        let other = digits
            .parse::<u16>()
            .ok()
            .filter(|&o| o != 0 && o != port)?;
        Some((l, other))
    })?;
    // The check's own port space: that port is free unless the grader
    // holds it.
    let there = crate::sandbox::tcp_listener((HOST, other).into()).ok()?;
    crate::grade::evidence::note_grader_port(other);
    ctx.step(format!(
        "its line names {HOST}:{other}: listen there, and start it once more with LAB_PORT={port} (nothing listens there)"
    ));
    let message = ctx.message(12);
    let again = ctx
        .spawn(role::CLIENT, &[message], &[("LAB_PORT", port.to_string())])
        .ok()?;
    let until = Instant::now() + STARTUP;
    let went_there = loop {
        if ctx
            .accept_from(&there, again, Duration::from_millis(50))
            .is_some()
        {
            break true;
        }
        if ctx.child(again).try_status().is_some() {
            break ctx.accept_from(&there, again, Duration::ZERO).is_some();
        }
        if Instant::now() >= until {
            break false;
        }
    };
    went_there.then_some(())?;
    Some(
        fail(
            Diagnosis::IgnoresConfig,
            expected,
            format!(
                "it was refused at {HOST}:{other}, not at LAB_PORT={port}, where it was sent (`{}`); started again with the grader listening on {HOST}:{other}, it connected there: its line is right for where it went, but that port is not LAB_PORT (a port written in the code, a setting read after the environment that takes its place, or another port tried after LAB_PORT: connect to LAB_PORT alone, and report its refusal)",
                line.trim_end()
            ),
        )
        .caused_by("client-config"),
    )
}

/// A client that said it gave up waiting far sooner than LAB_TIMEOUT
/// allows, where a check wanted another error line: its timeout in the
/// wrong unit is the finding (client-timeout's), not the line it did not
/// print (blind round 24: output-format in some runs, as the timeout beat
/// the refusal or the close).
pub(super) fn gave_up_instead(ctx: &mut Ctx, p: Proc, failure: Failure) -> Failure {
    let timeout = Duration::from_secs(contract_timeout());
    match gave_up_at_once(ctx, p, timeout) {
        Some(at) => gave_up_at_once_failure(at, timeout),
        None => failure,
    }
}

/// A client that died where a check expected an error line may die at
/// every start (a traceback at import, a file it cannot open): then what
/// the check saw is that start-up mistake, which `client-ack` reports.
/// Started once more the usual way (a server listening, a message) to
/// tell: if it dies before connecting there too, that start's failure is
/// returned; if it connects, `failure` stands. A client that hung is not
/// started again.
fn unless_it_dies_at_every_start(ctx: &mut Ctx, p: Proc, failure: Failure) -> Failure {
    dies_at_every_start(ctx, p).unwrap_or(failure)
}

/// See [`unless_it_dies_at_every_start`]: that start's failure, if the
/// client `p` (ended) dies before connecting when started the usual way.
fn dies_at_every_start(ctx: &mut Ctx, p: Proc) -> Option<Failure> {
    ctx.child(p).try_status()?;
    ctx.step("start it once more the usual way (a server listening): does it die at every start?");
    let message = ctx.message(12);
    let (listener, again) = start_with_fake(ctx, &[message], &[]).ok()?;
    // This fake server hangs up at once: the client's message answered
    // with RST there is the grader's doing (blind round 41: told on the
    // wire as the client's second fault).
    if let Ok(addr) = listener.local_addr() {
        crate::grade::evidence::note_ended_on_purpose(addr.port());
    }
    match accept_client(ctx, &listener, again) {
        Err(start) if start.diagnosis.is_a_failed_start() => Some(start),
        _ => None,
    }
}

pub fn timeout(ctx: &mut Ctx) -> Result<(), Failure> {
    let message = ctx.message(12);
    let (listener, p) = start_with_fake(ctx, std::slice::from_ref(&message), &[timeout_env(1)])?;
    ctx.step("  (this fake server reads the message and never replies)");
    let second = timeout_beside(ctx)?;
    let first = match first_timeout_run(ctx, &listener, p, &message) {
        Ok(first) => first,
        Err(failure) => {
            // The second client's connection stays open until the check
            // ends its programs: closed now, a client with a timeout of its
            // own (the mistake found) printed an error of the close, shown
            // under the finding as if a second mistake (blind round 61).
            ctx.hold_until_end(second.1);
            return Err(failure);
        }
    };
    let expected = TIMEOUT_EXPECTED;
    let (second, talked) = second;
    let Some((conn, sent_at)) = talked.join().ok().flatten() else {
        // Nothing to time (it never sent): the first run judged that.
        return Ok(());
    };
    let run = second_run(ctx, second, sent_at);
    drop(conn);
    run.judge(expected, first, "gave up", "sending")
}

/// What client-timeout expects of a client given LAB_TIMEOUT=1.
const TIMEOUT_EXPECTED: &str = "about 1s (LAB_TIMEOUT) later: the stderr line `[CLIENT] Server did not respond in time` and exit status 1";

/// client-timeout's first run: the client given LAB_TIMEOUT=1 against
/// `listener`, a fake server that never replies. How long after sending
/// it gave up, or what it did wrong.
fn first_timeout_run(
    ctx: &mut Ctx,
    listener: &TcpListener,
    p: Proc,
    message: &str,
) -> Result<Duration, Failure> {
    ctx.step("the first client, with LAB_TIMEOUT=1:");
    let ((mut conn, mut got, mut sent), mut accepted_at) =
        accept_talking_at(ctx, listener, p, (message.len(), Told::TimingJudged))?;
    // Taken as the bytes came: a wait for another connection below does
    // not count (hostile round 85: a wrong message sent at once was told
    // as held in a buffer until the close).
    let mut sent_at = Instant::now();
    // Bytes that are not the message at all: a test connection's `ping`
    // (client-ack names it). Its wait for an answer of its own (here
    // hard-coded, or LAB_TIMEOUT) is not the one to time: the message's,
    // on the connection after it, is (seen beside blind round 88: a 1 s
    // timeout in a helper module's import told as ignores-config). The
    // `ping` left unanswered, as this fake server answers nothing; the
    // client has given up on it once it connects again.
    if let Some(next) = not_the_message_at_all(message, &got)
        .then(|| message_next(ctx, listener, p, message, &mut sent))
        .flatten()
    {
        conn = next;
        got = message.as_bytes().to_vec();
        accepted_at = Instant::now();
        sent_at = accepted_at;
    }
    let expected = TIMEOUT_EXPECTED;
    // Its message came only as it ended, long after it connected (a
    // writer flushed at exit), or never: it waited before it sent, so
    // there is no send to time its wait from. Timed from the close, a
    // right timeout read as "0.00s after sending" and was told as one in
    // milliseconds (blind round 68: a Java PrintWriter without
    // autoflush). client-ack names what it sent. Late counts from the
    // connection, not the start: a client slow to start (a JVM) with a
    // timeout in milliseconds sends at once and leaves at once (hostile
    // round 69). A client that only shuts its sending side after the
    // message goes on waiting: not this.
    let mut sent_at_its_end = || {
        sent_eof(&conn, Duration::from_millis(50))
            && ctx.wait_exit(p, Duration::from_millis(200)).is_some()
    };
    let late = sent_at.duration_since(accepted_at) >= Duration::from_millis(500);
    if got.is_empty() || (late && sent_at_its_end()) {
        drop(conn);
        let observed = match got.is_empty() {
            true => "it closed its connection without sending its message: there was no send to time its wait from".to_string(),
            false => format!(
                "its message came only as it closed its connection, {:.1}s after it connected: it waited for the reply with the message still in a buffer, so there was no send to time its wait from",
                sent_at.duration_since(accepted_at).as_secs_f64()
            ),
        };
        return Err(fail(Diagnosis::WrongMessage, expected, observed)
            .folded_if("client-ack", &[Diagnosis::WrongMessage]));
    }
    let within = SLACK + Duration::from_secs(1);
    if ctx.wait_exit(p, within).is_none() {
        // A timeout hard-coded to the handout's default fires later: wait
        // for it, to tell "ignores LAB_TIMEOUT" from "waits forever".
        ctx.step(format!(
            "still waiting after {}s: keep waiting up to {}s more, in case it uses a timeout of its own",
            within.as_secs(),
            super::server::LATE_TIMEOUT.as_secs()
        ));
        if let Some(status) = ctx.wait_exit(p, super::server::LATE_TIMEOUT) {
            let took = sent_at.elapsed().as_secs_f64();
            // Said on time, and ended only much later: its timeout is
            // right, its way out is not.
            if let Some(said) = said_gave_up(ctx, p, sent_at).filter(|s| *s < within) {
                drop(conn);
                return Err(fail(
                    Diagnosis::Hangs,
                    expected,
                    format!(
                        "it printed that the server did not respond in time {:.1}s after sending, but ended only {took:.1}s after sending: giving up must end the program (exit 1) at once, and something kept it alive (a socket, a timer or a thread left open?)",
                        said.as_secs_f64()
                    ),
                ));
            }
            let last = |ctx: &mut Ctx, stream: Stream| {
                ctx.child(p)
                    .lines(stream)
                    .into_iter()
                    .rev()
                    .find(|l| !l.trim().is_empty())
            };
            let said = match (last(ctx, Stream::Stderr), last(ctx, Stream::Stdout)) {
                (Some(l), _) => format!(", its last stderr line `{}`", l.trim_end()),
                (None, Some(l)) => format!(
                    ", nothing on stderr; its last stdout line `{}`",
                    l.trim_end()
                ),
                (None, None) => ", and nothing printed".to_string(),
            };
            drop(conn);
            return Err(fail(
                Diagnosis::IgnoresConfig,
                expected,
                format!(
                    "it gave up {took:.1}s after sending, while LAB_TIMEOUT was 1s: the timeout does not come from LAB_TIMEOUT ({}{said})",
                    describe_status(status)
                ),
            )
            .hinted(super::common::TIMEOUT_HINT));
        }
        drop(conn);
        // It said it gave up, and did not end: not a missing timeout but
        // a way out that does not end the program (audit 10: a Node
        // client's socket.end() on its timeout, the event loop still
        // alive, was told to set a receive timeout).
        if said_gave_up(ctx, p, sent_at).is_some() {
            return Err(fail(
                Diagnosis::Hangs,
                expected,
                format!(
                    "it printed that the server did not respond in time, but was still running {:.0}s after sending: giving up must end the program (exit 1), and something keeps it alive (a socket, a timer or a thread left open?)",
                    sent_at.elapsed().as_secs_f64()
                ),
            ));
        }
        return Err(fail(
            Diagnosis::ClientTimeout,
            expected,
            format!(
                "still waiting for a reply {:.0}s after sending, with LAB_TIMEOUT=1",
                sent_at.elapsed().as_secs_f64()
            ),
        ));
    }
    // Gave up long before LAB_TIMEOUT (blind round 4: Java's
    // setSoTimeout(LAB_TIMEOUT) takes milliseconds). See CLIENT_TOO_EARLY.
    let took = sent_at.elapsed();
    let gave_up = |l: &str| l.trim_end() == "[CLIENT] Server did not respond in time";
    let said_timeout = [Stream::Stderr, Stream::Stdout]
        .into_iter()
        .any(|s| ctx.child(p).lines(s).iter().any(|l| gave_up(l)));
    // Ended that early without a word about the timeout (a catch-all that
    // exits 0, say), and without crashing: still a wait far too short
    // (blind round 35: told "does not time out" alone, the unit hidden).
    let ended_early =
        !said_timeout && ctx.crash_of(p).is_none() && ctx.child(p).try_status().is_some();
    // Its end of the connection came with its message, and it ended at
    // once without a word, the fake server silent: its receive returned
    // at once. A socket shut for reading (client-ack's closed-early, then
    // this follows from it), or a wait in milliseconds after closing its
    // sending side alone (right, and then the unit is the mistake): from
    // outside the same, told by client-ack (hostile round 39: a timeout
    // in milliseconds was told as a socket shut for reading).
    let closed_first = ended_early && sent_eof(&conn, Duration::ZERO);
    if took < CLIENT_TOO_EARLY && (said_timeout || ended_early) {
        let (how, or) = match ctx.child(p).try_status() {
            Some(status) if ended_early => (
                format!(" ({}, without the timeout's line)", describe_status(status)),
                ", or no wait for the reply at all",
            ),
            _ => (String::new(), ""),
        };
        drop(conn);
        let failure = fail(
            Diagnosis::IgnoresConfig,
            expected,
            format!(
                "it gave up {:.2}s after sending{how}, while LAB_TIMEOUT was 1s: the timeout does not come from LAB_TIMEOUT (a receive timeout set in milliseconds where the variable is in seconds{or}?)",
                took.as_secs_f64()
            ),
        )
        .hinted(super::common::TIMEOUT_HINT);
        return Err(if closed_first {
            failure.folded_if("client-ack", &[Diagnosis::ClosedEarly])
        } else {
            failure
        });
    }
    // It did give up (it ended by itself, neither at once nor crashed),
    // but said so in its own words, or on stdout, and exited 0: the way it
    // reports the timeout, not a missing timeout (blind round 13: "does not
    // time out", its stdout line left unshown).
    let ended_quietly = ctx
        .child(p)
        .try_status()
        .is_some_and(|status| status.code() == Some(0));
    if ended_quietly
        && took >= Duration::from_millis(500)
        && !said_timeout
        && ctx.crash_of(p).is_none()
        && ctx.last_stderr_line(p).is_none()
    {
        let last_stdout = ctx
            .child(p)
            .lines(Stream::Stdout)
            .into_iter()
            .rev()
            .find(|l| !l.trim().is_empty());
        drop(conn);
        return Err(fail(
            Diagnosis::OutputFormat,
            expected,
            format!(
                "it gave up {:.1}s after sending, but exited 0 with nothing on stderr{}",
                took.as_secs_f64(),
                match last_stdout {
                    Some(line) => format!("; its last stdout line: `{}`", line.trim_end()),
                    None => String::new(),
                }
            ),
        ));
    }
    let result = expect_error(
        ctx,
        p,
        Duration::ZERO,
        expected,
        Diagnosis::ClientTimeout,
        gave_up,
    );
    drop(conn);
    result?;
    Ok(gave_up_after(ctx, p, sent_at))
}

/// The second client's connection, held open and never answered, and when
/// its message came; `None` if it never sent one.
type Talked = std::thread::JoinHandle<Option<(TcpStream, Instant)>>;

/// Starts the timeout check's second run beside the first: a client given
/// LAB_TIMEOUT=3 (see SECOND_TIMEOUT) against a fake server that never
/// replies, whose connection a thread of its own accepts and reads at
/// once: the connection, held open, and when the message came.
fn timeout_beside(ctx: &mut Ctx) -> Result<(Proc, Talked), Failure> {
    ctx.step(format!(
        "beside it, a second client with LAB_TIMEOUT={SECOND_TIMEOUT}, against a second fake server that never replies: a client that reads LAB_TIMEOUT gives up on that one about {}s later",
        SECOND_TIMEOUT - 1
    ));
    let message = ctx.message(12);
    let (listener, p) = start_with_fake(
        ctx,
        std::slice::from_ref(&message),
        &[timeout_env(SECOND_TIMEOUT)],
    )?;
    let stranger = ctx.stranger_test();
    let talked = std::thread::spawn(move || {
        // One deadline for it all: a program that keeps connecting cannot
        // keep this thread, nor the check that joins it, waiting longer.
        let until = Instant::now() + STARTUP + SLACK;
        // Connections that close without a byte (a health check), a
        // stranger's, and one that sends something else first (a `ping`,
        // held unanswered until the thread ends), are not the one to
        // time; a few are skipped.
        let mut tests = Vec::new();
        for _ in 0..8 {
            let left = until.saturating_duration_since(Instant::now());
            let (mut conn, peer) = accept_within(&listener, left)?;
            if stranger(peer) {
                continue;
            }
            let left = until.saturating_duration_since(Instant::now());
            conn.set_read_timeout(Some(left.max(Duration::from_millis(1))))
                .ok()?;
            let mut buf = [0u8; 4096];
            match std::io::Read::read(&mut conn, &mut buf) {
                Ok(0) => continue,
                Ok(n) if not_the_message_at_all(&message, &buf[..n]) => tests.push(conn),
                Ok(_) => return Some((conn, Instant::now())),
                Err(_) => return None,
            }
        }
        None
    });
    Ok((p, talked))
}

/// How long after its message (`sent_at`) the second client `p` gave up
/// (see [`gave_up_after`]: this thread may have been busy with the first
/// run then). Not its connection's end: a client may half-close once it
/// has sent.
fn second_run(ctx: &mut Ctx, p: Proc, sent_at: Instant) -> SecondRun {
    let wait = (SLACK + Duration::from_secs(SECOND_TIMEOUT)).saturating_sub(sent_at.elapsed());
    let exited = ctx.wait_exit(p, wait).is_some();
    // Said, and still running (a graceful close that waits LAB_TIMEOUT
    // again for the server's FIN): timed by what it said, like the first.
    match said_gave_up(ctx, p, sent_at) {
        Some(said) => SecondRun::GaveUp(said),
        None if exited => SecondRun::GaveUp(sent_at.elapsed()),
        None => SecondRun::StillWaiting,
    }
}

/// How long after its message (`sent_at`) the client `p`, which has
/// exited, gave up: when it said so, by its own output's clock; else now.
/// Both runs are measured so: a client may take its time to exit after
/// saying it (a graceful close that waits a second for the server's FIN:
/// audit 10 saw its first run timed by the exit, its second by the line,
/// and a correct client blamed).
fn gave_up_after(ctx: &mut Ctx, p: Proc, sent_at: Instant) -> Duration {
    said_gave_up(ctx, p, sent_at).unwrap_or_else(|| sent_at.elapsed())
}

/// How long after its message (`sent_at`) the client `p` said it gave up
/// (`did not respond in time`), by its own output's clock.
fn said_gave_up(ctx: &mut Ctx, p: Proc, sent_at: Instant) -> Option<Duration> {
    // The moment of the message, on the client's output clock.
    let sent = ctx.child(p).elapsed().saturating_sub(sent_at.elapsed());
    gave_up_at(ctx, p, sent).map(|at| at - sent)
}

/// Sooner than this after its message came, a client that gives up on a
/// silent server (LAB_TIMEOUT=1) did not wait LAB_TIMEOUT. Low: a client
/// may start its clock at its connect, before this thread read the
/// message (a correct one is early here only by this thread's delay,
/// which would have to pass 0.9s); the mistake it catches gives up after
/// a millisecond.
const CLIENT_TOO_EARLY: Duration = Duration::from_millis(100);

pub fn no_reply(ctx: &mut Ctx) -> Result<(), Failure> {
    let message = ctx.message(12);
    let (listener, p) = start_with_fake(ctx, std::slice::from_ref(&message), &[])?;
    let (conn, got, sent) = accept_talking(
        ctx,
        &listener,
        p,
        message.len(),
        Told::Timeout(contract_timeout()),
    )?;
    if !got.starts_with(message.as_bytes()) {
        // Another message first (a "PING" health check): the close below
        // would answer that one, not the message. client-ack's finding.
        // (Bytes after the message, a `\n`, are client-ack's alone: the
        // close still answers the message.)
        return Err(wrong_message(&message, &got, &sent).caused_by("client-ack"));
    }
    // A client that says it gave up before the close timed out (its
    // timeout's unit, client-timeout's finding); one that says so after
    // it took the close for a timeout. (Not held first: a timeout in
    // milliseconds would then always fire before the close, and hide
    // what such a client does with a 0-byte read.)
    ctx.step("close the connection without replying");
    let closed_at = Instant::now();
    drop(conn);
    let expected = "a stderr line containing `without replying` and exit status 1";
    expect_error(ctx, p, SLACK, expected, Diagnosis::ClientEof, |l| {
        l.contains("without replying")
    })
    .map_err(|f| match said_gave_up(ctx, p, closed_at) {
        // Blind round 37 D4 (a shell's `read -t 5 || echo "...did not
        // respond in time"`): told as its timeout's unit, under
        // client-timeout, though its wait was long enough.
        Some(after) if after < SLACK => fail(
            Diagnosis::ClientEof,
            expected,
            format!(
                "it said it gave up (`did not respond in time`) {:.2}s after the grader closed the connection: it took the close, a receive of 0 bytes, for a timeout",
                after.as_secs_f64()
            ),
        ),
        // Any other failure of a client that closes its socket before it
        // reads (client-ack's closed-early) is that mistake: its receive
        // on the closed socket failed (blind round 38 M3: EBADF, told as
        // output-format). What it does with a 0-byte read stays its own.
        _ => match gave_up_instead(ctx, p, f) {
            f if f.diagnosis == Diagnosis::ClientEof => f,
            f => f.or_folded_if(&[("client-ack", &[Diagnosis::ClosedEarly])]),
        },
    })
}

pub fn empty_arg(ctx: &mut Ctx) -> Result<(), Failure> {
    let (listener, p) = start_with_fake(ctx, &[String::new()], &[])?;
    ctx.step("  (the message argument is the empty string \"\")");
    let expected = "a usage error: a line containing `empty`, exit status 2, nothing sent";
    let status = ctx.wait_exit(p, SLACK + SLACK);
    // Connecting at all means it meant to send the empty message.
    let sent = accept_within(&listener, Duration::from_millis(50)).map(|(mut conn, _)| {
        crate::grade::harness::read_to_end(&mut conn, Duration::from_millis(300)).0
    });
    // What it sent tells more than its still running (waiting for a reply
    // to the message it should never have sent).
    if let Some(sent) = sent {
        if let Some(late) =
            refused_after_connecting(ctx, p, status, &sent, (Diagnosis::EmptyArgument, expected))
        {
            return Err(late);
        }
        return Err(fail(
            Diagnosis::EmptyArgument,
            expected,
            if sent.is_empty() {
                "it connected to the server (to send the empty message) instead of refusing the argument first".to_string()
            } else {
                format!("it connected to the server and sent {}", show_bytes(&sent))
            },
        ));
    }
    let Some(status) = status else {
        return Err(fail(
            Diagnosis::EmptyArgument,
            expected,
            format!("still running {}s later", (SLACK + SLACK).as_secs()),
        ));
    };
    let says_empty = |ctx: &mut Ctx| {
        [Stream::Stderr, Stream::Stdout].iter().any(|s| {
            ctx.child(p)
                .lines(*s)
                .iter()
                .any(|l| l.to_lowercase().contains("empty"))
        })
    };
    if status.code() != Some(2) {
        // It tried to connect (somewhere else: it was refused) to send the
        // empty message: not a usage error at all.
        if let Some(line) = says_refused(ctx, p) {
            return Err(fail(
                Diagnosis::EmptyArgument,
                expected,
                format!(
                    "it tried to connect (to send the empty message) instead of refusing the argument first: {}, saying `{line}`",
                    describe_status(status)
                ),
            ));
        }
        if status.success() {
            return Err(fail(
                Diagnosis::EmptyArgument,
                expected,
                describe_status(status),
            ));
        }
        let failure = fail(Diagnosis::ExitStatus, expected, describe_status(status));
        return Err(unless_it_dies_at_every_start(ctx, p, failure));
    }
    if !says_empty(ctx) {
        // Exit 2 and a line: perhaps Python's own, for a script it cannot
        // open (a missing program counted twice).
        let failure = fail(
            Diagnosis::OutputFormat,
            expected,
            "no line containing `empty`",
        );
        return Err(unless_it_dies_at_every_start(ctx, p, failure));
    }
    Ok(())
}

/// A client that connected, sent `sent` (nothing, or something that is
/// not its message: a `ping`), and then refused its arguments all the
/// same (exit 2, a line said): the check comes after the connect, this
/// check's mistake (`diagnosis`), or the connection is one the client
/// makes at every start (a "server up?" test, often at import in a
/// helper module), which client-one-connection names (an empty one) or
/// client-ack (one that sends bytes of its own), and then this one folds
/// under it (blind round 88: three names for one mistake; hostile round
/// 85: a check after the connect, the only connection, told as one made
/// at every start). The caller has ruled out `sent` being the message.
fn refused_after_connecting(
    ctx: &mut Ctx,
    p: Proc,
    status: Option<std::process::ExitStatus>,
    sent: &[u8],
    (diagnosis, expected): (Diagnosis, &str),
) -> Option<Failure> {
    if status?.code() != Some(2) {
        return None;
    }
    let said = [Stream::Stderr, Stream::Stdout].into_iter().find_map(|s| {
        ctx.child(p)
            .lines(s)
            .into_iter()
            .find(|l| !l.trim().is_empty())
    })?;
    Some(
        fail(
            diagnosis,
            expected,
            format!(
                "it refused (exit status 2, `{}`), but only after connecting to the server and sending {}: check the arguments before connecting",
                said.trim_end(),
                if sent.is_empty() { "nothing".to_string() } else { show_bytes(sent) }
            ),
        )
        // A fold is one level: a `ping` is client-ack's, and
        // client-one-connection's count of it folds there.
        .or_folded_if(if sent.is_empty() {
            &[("client-one-connection", &[Diagnosis::ExtraConnection])]
        } else {
            &[
                ("client-ack", &[Diagnosis::WrongMessage]),
                ("client-one-connection", &[Diagnosis::ExtraConnection]),
            ]
        }),
    )
}

/// `client WORD1 WORD2`: a message of two words typed without quotes is
/// two arguments, a usage error. The usual mistake reads only the first
/// argument (`sys.argv[1]`, `args[0]`) and sends it: the student thinks
/// `Hello Server` went out, and `Hello` did.
pub fn extra_words(ctx: &mut Ctx) -> Result<(), Failure> {
    let first = ctx.message(6);
    let extra = ctx.message(6);
    let (listener, p) = start_with_fake(ctx, &[first.clone(), extra.clone()], &[])?;
    ctx.step(format!(
        "  (two arguments, as a shell passes `client {first} {extra}`: the message typed without quotes)"
    ));
    let expected = format!(
        "a usage error: an error line (the reference names `{extra}` and says to quote the message), exit status 2, nothing sent"
    );
    // Whichever comes first: a connection (it meant to send), or its end.
    let within = SLACK + SLACK;
    if let Some(mut conn) = ctx.accept_from(&listener, p, within) {
        // A client that sends waits for the reply: 300 ms of quiet is all
        // it is going to send.
        let (sent, _) = crate::grade::harness::read_to_end(&mut conn, Duration::from_millis(300));
        let text = String::from_utf8_lossy(&sent);
        let message = text.trim_end_matches(['\r', '\n']);
        let joined = format!("{first} {extra}");
        // Not the words: does it go on to refuse them all the same?
        let status = if message != first && message != joined {
            ctx.wait_exit(p, SLACK)
        } else {
            None
        };
        if let Some(late) = refused_after_connecting(
            ctx,
            p,
            status,
            &sent,
            (Diagnosis::ExtraArguments, &expected),
        ) {
            return Err(late);
        }
        let observed = if sent.is_empty() {
            "it connected to the server instead of refusing the arguments first".to_string()
        } else if message == first {
            format!("it connected and sent `{first}` alone: the word after it was dropped (only the first argument was read), with no error")
        } else if message == joined {
            // Its own hint: the general one tells of a client that reads
            // the first word alone (blind round 47: a C client that joined
            // argv with spaces).
            return Err(fail(
                Diagnosis::ExtraArguments,
                expected,
                format!("it joined its arguments and sent `{joined}` as one message: the contract makes several unquoted words a usage error, so that a message with spaces is quoted"),
            )
            .hinted("Joining the words back together guesses what the user meant: `client a   b` would send `a b`, its spaces lost, and a typo'd option would be sent as a message. The contract takes the message as one argument: when more than one is given, print an error that names the extra one and says to put the message in quotes, to stderr, and exit 2 without connecting."));
        } else {
            format!(
                "it connected and sent {} instead of refusing the arguments",
                show_bytes(&sent)
            )
        };
        return Err(fail(Diagnosis::ExtraArguments, expected, observed));
    }
    let Some(status) = ctx.child(p).try_status() else {
        return Err(fail(
            Diagnosis::ExtraArguments,
            expected,
            format!(
                "still running {}s later, without connecting or saying why",
                within.as_secs()
            ),
        ));
    };
    if status.code() != Some(2) {
        // It tried to connect (somewhere else: it was refused) to send.
        if let Some(line) = says_refused(ctx, p) {
            return Err(fail(
                Diagnosis::ExtraArguments,
                expected,
                format!(
                    "it tried to connect (to send) instead of refusing the arguments first: {}, saying `{line}`",
                    describe_status(status)
                ),
            ));
        }
        let failure = match ctx.crash_of(p) {
            // Bad input gets a clear message, never a traceback.
            Some(crash) => fail(
                Diagnosis::ExtraArguments,
                expected,
                format!("it crashed on them: {crash}"),
            ),
            // It refused them, with the wrong status.
            None => {
                let mut observed = describe_status(status);
                if let Some(last) = ctx.last_stderr_line(p) {
                    observed.push_str(&format!(", saying `{last}`"));
                }
                fail(Diagnosis::ExitStatus, expected, observed)
            }
        };
        return Err(unless_it_dies_at_every_start(ctx, p, failure));
    }
    // The words are the student's: a usage line (`usage: client
    // "message"`) refuses them as well as the reference's error and tip.
    let said_something = [Stream::Stderr, Stream::Stdout]
        .iter()
        .any(|s| any_line(ctx, p, *s, |l| !l.trim().is_empty()));
    if !said_something {
        return Err(fail(
            Diagnosis::OutputFormat,
            expected,
            "exit status 2, but nothing printed: a usage error says what was wrong",
        ));
    }
    // Exit 2 and a line is also what a client that cannot start at all
    // does (Python's "can't open file" for a script not handed in):
    // that start's finding, not a pass (hostile round 72: a submission
    // with no client scored this check).
    if let Some(start) = dies_at_every_start(ctx, p) {
        return Err(start);
    }
    Ok(())
}
