//! Checks of the one-shot `server` (the handout's MVP and extension B).

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use super::common::TIMEOUT_HINT;
use super::common::{
    ack_round, connect_and_send, exchange, expect_exit, judge_reply, lines_in_order, read_reply,
    stop_to_see_held_lines, timeout_env, SecondRun, SECOND_TIMEOUT,
};
use super::role;
use crate::grade::diagnosis::Diagnosis;
use crate::grade::harness::{
    closed_port, fail, loopback_listener, read_to_end, show_bytes, Ctx, End, Failure, Proc, HOST,
    SLACK, STARTUP,
};
use crate::grade::Role;
use crate::process::Stream;

/// The Listening line names a real port, and that port accepts.
pub fn listening(ctx: &mut Ctx) -> Result<(), Failure> {
    let (p, addr) = ctx.start_server(role::SERVER, &[], &[])?;
    let stream = ctx.connect(addr)?;
    drop(stream);
    if ctx.unannounced(p) {
        // A one-shot server ends its session now; output held in a buffer
        // comes out at exit, which proves where the line was.
        ctx.step("the probe left without sending: give the one-shot server a moment to end");
        let _ = ctx.wait_exit(p, SLACK);
    }
    ctx.listening_line(p)
}

/// server-ack's LAB_TIMEOUT: well past the wait for the close after the
/// reply. Trap (blind round 21): with the contract's 2 s, a server that
/// never closed after its reply, only when its read timeout fired, was
/// closed within that wait, and no-close went unseen in every check.
const ACK_TIMEOUT: u64 = SLACK.as_secs() + 5;

/// The whole MVP session: reply, the five lines in order, exit 0.
pub fn ack(ctx: &mut Ctx) -> Result<(), Failure> {
    let message = ctx.message(24);
    let (p, ex) = match exchange(
        ctx,
        role::SERVER,
        &[timeout_env(ACK_TIMEOUT)],
        message.as_bytes(),
    ) {
        Ok(pair) => pair,
        // Gone before the probe came, its session spent on a connection
        // that sent nothing: one of its own? (hostile round 78)
        Err(f) if f.diagnosis == Diagnosis::MissingListen => {
            // (Any session of its: the probe never got in. Hostile round
            // 79: one that sent itself `ping` had a whole session.)
            let spent = ctx.output_lines().iter().any(|l| {
                ["without sending", "Connection from", "Received"]
                    .iter()
                    .any(|w| l.contains(w))
            });
            let own = spent
                .then(|| super::common::its_own_session(ctx, &f.expected))
                .flatten();
            return Err(own.unwrap_or(f));
        }
        Err(f) => return Err(f),
    };
    let reply = format!("ACK: {message}");
    judge_reply(ctx, p, &ex, &reply, Diagnosis::WrongReply).map_err(|mut f| {
        // What it judged was its buffer past the read: said, with that
        // hint (the validation checks fold under this finding).
        if f.diagnosis == Diagnosis::WrongReply {
            f = with_past_the_read(ctx, p, message.as_bytes(), f);
        }
        // No reply, and the server's one session was a connection that
        // sent nothing, not the probe's: one of its own, when it has a
        // session with nothing connecting (hostile round 78).
        if f.diagnosis == Diagnosis::WrongReply && ex.reply.is_empty() {
            let probe = ex.client.port().to_string();
            let elsewhere = ctx.child(p).lines(Stream::Stdout).iter().any(|l| {
                l.contains("without sending") && l.contains("127.0.0.1:") && !l.contains(&probe)
            });
            if elsewhere {
                if let Some(own) = super::common::its_own_session(ctx, &f.expected) {
                    return own;
                }
            }
        }
        // The lines are judged only after a right reply: a connection line
        // already worded otherwise is said now, not left for the next run.
        let want = format!("[SERVER] Connection from {}", ex.client);
        let lines = ctx.child(p).lines(Stream::Stdout);
        // The line about the connection naming the client's port, however
        // it is worded.
        let port = ex.client.port().to_string();
        let other = lines
            .iter()
            .map(|l| l.trim_end())
            .find(|l| l.contains(&port) && l.to_lowercase().contains("connect"));
        if let Some(line) = other.filter(|l| *l != want) {
            f.observed = format!(
                "{}; also, its connection line `{line}` is not `{want}` (output-format: the lines are judged once the reply is right)",
                f.observed
            );
        }
        // So are the lines that hold the message in other words, where
        // the contract's are missing (blind round 31: `Got message: ...`
        // and `Sent reply: ...` were named only once the reply was right;
        // an extra debug line beside the right ones is no mistake).
        let received = lines
            .iter()
            .any(|l| l.starts_with("[SERVER] Received: ") && l.contains(message.as_str()));
        let sent = lines.iter().any(|l| l.starts_with("[SERVER] Sent: "));
        let worded: Vec<&str> = lines
            .iter()
            .map(|l| l.trim_end())
            .filter(|l| {
                l.contains(message.as_str())
                    && !l.starts_with("[SERVER] Received: ")
                    && !l.starts_with("[SERVER] Sent: ")
            })
            .take(if received && sent { 0 } else { 2 })
            .collect();
        if !worded.is_empty() {
            let shown: Vec<String> = worded.iter().map(|l| format!("`{l}`")).collect();
            let (lines, are) = if worded.len() == 1 {
                ("line", "is")
            } else {
                ("lines", "are")
            };
            f.observed = format!(
                "{}; also, its {lines} {} {are} not worded `[SERVER] Received: {message}` and `[SERVER] Sent: <the reply>` (output-format: the lines are judged once the reply is right)",
                f.observed,
                shown.join(" and "),
            );
        }
        f
    })?;
    ctx.step("wait for `[SERVER] Closed connection`");
    ctx.wait_stdout(p, SLACK, |l| l.trim_end() == "[SERVER] Closed connection");
    // The Listening line is server-listening's to judge: here it only has
    // to come first if it came at all.
    let listening = ctx
        .child(p)
        .lines(Stream::Stdout)
        .into_iter()
        .find(|l| l.starts_with("[SERVER] Listening on"))
        .map(|l| l.trim_end().to_string());
    let mut expected_lines: Vec<String> = listening.into_iter().collect();
    expected_lines.extend([
        format!("[SERVER] Connection from {}", ex.client),
        format!("[SERVER] Received: {message}"),
        format!("[SERVER] Sent: {reply}"),
        "[SERVER] Closed connection".to_string(),
    ]);
    // Output held in a buffer comes at exit: judge the lines then, and a
    // program that never exits as still running, not as silent.
    if ctx.child(p).try_status().is_none() && lines_in_order(ctx, p, &expected_lines).is_err() {
        expect_exit(ctx, p, SLACK, 0, Diagnosis::Crash)?;
    }
    lines_in_order(ctx, p, &expected_lines)?;
    expect_exit(ctx, p, SLACK, 0, Diagnosis::Crash)
}

/// Listens on exactly the LAB_PORT it is given.
pub fn config(ctx: &mut Ctx) -> Result<(), Failure> {
    let port = closed_port().map_err(|e| {
        fail(
            Diagnosis::CannotStart,
            "a free port for the check",
            e.to_string(),
        )
    })?;
    let (p, addr) = ctx.start_server(
        role::SERVER,
        &[],
        &[
            ("LAB_PORT", port.to_string()),
            ("LAB_BUFFER_SIZE", SMALL_BUFFER.to_string()),
        ],
    )?;
    // LAB_HOST too: bound on every address, it is told here as well as
    // beside server-listening's line, which a buffered stdout may fail
    // first (one finding when both say ignores-config).
    let everywhere = ctx.listens_everywhere(p);
    // One message is what one read of up to LAB_BUFFER_SIZE bytes returns:
    // a longer message, sent whole in one segment, is cut there (blind
    // rounds 27 and 30: a server reading with a buffer of its own, or
    // Node's whole `data` chunk, passed every check, which all ran with
    // the handout's 1024).
    let message: String = ctx
        .message(40)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(BUFFERED_MESSAGE)
        .collect();
    let head = &message[..SMALL_BUFFER.min(message.len())];
    ctx.step(format!(
        "next, with LAB_BUFFER_SIZE={SMALL_BUFFER}: a message of {} bytes in one segment, of which one read takes the first {SMALL_BUFFER}, `{head}`",
        message.len()
    ));
    let (mut stream, client) = connect_and_send(ctx, addr, message.as_bytes())?;
    let ex = read_reply(ctx, &mut stream, client);
    let reply = String::from_utf8_lossy(&ex.reply);
    if message.len() > SMALL_BUFFER && reply.contains(message.as_str()) {
        let also = everywhere
            .map(|f| format!("; also, {}", f.observed))
            .unwrap_or_default();
        return Err(fail(
            Diagnosis::IgnoresConfig,
            format!("with LAB_BUFFER_SIZE={SMALL_BUFFER}, the reply `ACK: {head}`: one read of up to {SMALL_BUFFER} bytes is the message"),
            format!(
                "the reply {}: its one read took all {} bytes, so it does not read with LAB_BUFFER_SIZE (a buffer size of its own, such as recv(1024); in Node, keep only the first LAB_BUFFER_SIZE bytes of the `data` chunk){also}",
                show_bytes(&ex.reply),
                message.len()
            ),
        )
        // Its own finding whatever server-ack found: a reply holding the
        // whole message proves the read, whatever else is wrong with it
        // (blind round 38: folded under a reply's extra `\n`, fixing
        // that left the read as it was).
        .hinted("Read LAB_BUFFER_SIZE from the environment (1024 by default) and read each message with it: `conn.recv(BUFFER_SIZE)` in Python, `recv(fd, buf, buffer_size, 0)` in C, a buffer of that many bytes in Rust and Java (`vec![0; buffer_size]`, `new byte[bufferSize]`); in Node the `data` chunk has no size of yours: keep its first LAB_BUFFER_SIZE bytes."));
    }
    if let Some(f) = everywhere {
        return Err(f.folded_if("server-listening", &[Diagnosis::IgnoresConfig]));
    }
    // No reply at all: whether it reads with LAB_BUFFER_SIZE cannot be
    // told, so this check cannot pass; the missing reply is server-ack's
    // finding (blind round 82: green here for a readline() server).
    if ex.reply.is_empty() {
        let want = format!("ACK: {head}");
        judge_reply(ctx, p, &ex, &want, Diagnosis::WrongReply)
            .map_err(|f| f.caused_by("server-ack"))?;
    }
    // Any other reply's form is server-ack's to judge.
    Ok(())
}

/// The LAB_BUFFER_SIZE server-config gives, and the length of the message
/// it sends then: one read takes less than the whole.
const SMALL_BUFFER: usize = 8;
const BUFFERED_MESSAGE: usize = 20;

/// A client that connects and closes at once (recv returns 0 bytes).
pub fn empty_recv(ctx: &mut Ctx) -> Result<(), Failure> {
    let (p, addr) = ctx.start_server(role::SERVER, &[], &[])?;
    // Its note counts from here on, not a banner of its start.
    let since = ctx.child(p).elapsed();
    let stream = ctx.connect(addr)?;
    ctx.step("close the connection without sending anything");
    drop(stream);
    ctx.step("wait for a line containing `without sending`");
    let said = ctx.wait_output_since(p, since, SLACK, |l| l.contains("without sending"));
    let expected = "a line containing `without sending` (stdout or stderr), then exit 0";
    if said.is_some() {
        // It noticed the client left; then it ends, as after any session.
        return ends_after_note(ctx, p, expected);
    }
    let treated_as_message = |ctx: &mut Ctx| {
        // Leniently: a misspelt Received line is output-format's in
        // server-ack; here it only shows that the read became a message
        // (blind round 5: `Recieved:` hid the empty-recv). The colon stays:
        // `received 0 bytes, closing` is a note on the close, not this.
        let printed = [Stream::Stdout, Stream::Stderr].into_iter().any(|stream| {
            ctx.child(p).lines(stream).iter().any(|l| {
                // After the tag (`[SERVER] Recieved:`), not inside other
                // words (`bytes received: 0`).
                let l = l.to_lowercase();
                ["received:", "recieved:", "recived:"]
                    .iter()
                    .any(|w| l.starts_with(w) || l.contains(&format!("] {w}")))
            })
        });
        printed.then(|| {
            fail(
                Diagnosis::EmptyRecv,
                expected,
                "the server treated the 0-byte read as a message (it printed a Received line)",
            )
        })
    };
    if let Err(mut f) = expect_exit(ctx, p, SLACK, 0, Diagnosis::EmptyRecv) {
        // The note, late: it noticed after all. Still running, or ended
        // badly, it is judged as after the note.
        if noted(ctx, p, since, "without sending") {
            return ends_after_note(ctx, p, expected);
        }
        // A Received line for the 0-byte read is the mistake, however it
        // ended (blind round 35: told as its exit status alone).
        if let Some(message) = treated_as_message(ctx) {
            return Err(message);
        }
        if !f.observed.starts_with("still running") {
            return Err(f);
        }
        let printed = ctx.child(p).lines(Stream::Stdout).len();
        if printed > 100 {
            f.observed.push_str(&format!(
                ", printing {printed} lines meanwhile: a loop that keeps reading 0 bytes (the client is gone) and never stops"
            ));
            return Err(f);
        }
        if let Some(message) = treated_as_message(ctx) {
            return Err(message);
        }
        return Err(moved_on_without_note(
            ctx,
            p,
            addr,
            expected,
            "without sending",
            f,
        ));
    }
    // Judged after the exit: output held in a buffer has come out by now.
    if !noted(ctx, p, since, "without sending") {
        if let Some(message) = treated_as_message(ctx) {
            return Err(message);
        }
        // A stack trace or traceback, even caught and printed, exit 0: the
        // 0-byte read (Java's readLine() null) blew up as a message.
        if let Some(crash) = ctx.crash_of(p) {
            return Err(fail(
                Diagnosis::EmptyRecv,
                expected,
                format!("no line containing `without sending`: the 0-byte read made the session fail with {crash}"),
            ));
        }
        // A timeout's note, at once: the 0-byte read taken for a client
        // that timed out (blind round 50: C++ `n <= 0` printed `sent
        // nothing within 2s` the instant the client closed, and was told
        // output-format, with a hint on prefixes).
        let at_once = [Stream::Stdout, Stream::Stderr]
            .into_iter()
            .flat_map(|s| ctx.child(p).timed_lines(s))
            .find(|l| {
                let text = l.text.to_lowercase();
                l.at >= since
                    && l.at < since + Duration::from_secs(1)
                    // (Not "timeout" alone: `Connection from X (timeout
                    // 2s)` says nothing of why a session ended.)
                    && ["sent nothing", "timed out", "no data"]
                        .iter()
                        .any(|w| text.contains(w))
            });
        if let Some(line) = at_once {
            return Err(fail(
                Diagnosis::EmptyRecv,
                expected,
                format!(
                    "`{}` came at once when the client closed, long before LAB_TIMEOUT=2s ran out: the 0-byte read (the client closed) was taken for a client that timed out",
                    line.text.trim_end()
                ),
            ));
        }
        return Err(fail(
            Diagnosis::OutputFormat,
            expected,
            "no line containing `without sending`",
        ));
    }
    Ok(())
}

/// A client that connects and sends nothing: the server gives up after
/// LAB_TIMEOUT, closes, and ends the session normally. A second server
/// beside it, given LAB_TIMEOUT=3 (see SECOND_TIMEOUT), must close about
/// 2 s later.
pub fn silent_client(ctx: &mut Ctx) -> Result<(), Failure> {
    ctx.step(format!(
        "two servers side by side, each with a probe that sends nothing: one with LAB_TIMEOUT=1, and one with LAB_TIMEOUT={SECOND_TIMEOUT}, which a server that reads LAB_TIMEOUT closes about {}s later",
        SECOND_TIMEOUT - 1
    ));
    // Each probe connects as soon as its server listens, and each close
    // is timed from its own connect: neither server waits in accept() for
    // the other's start (one whose accept() times out after LAB_TIMEOUT
    // would give up on a probe that came a slow start late), and the
    // second is read on a thread of its own while the first is judged.
    let (_, second_addr) = ctx.start_server(role::SERVER, &[], &[timeout_env(SECOND_TIMEOUT)])?;
    let connected = std::time::Instant::now();
    let mut stream = ctx.connect(second_addr)?;
    let second = std::thread::spawn(move || {
        let (_, end) = read_to_end(&mut stream, SLACK + Duration::from_secs(SECOND_TIMEOUT));
        if end == End::Timeout {
            SecondRun::StillWaiting
        } else {
            SecondRun::GaveUp(connected.elapsed())
        }
    });
    let (p, addr) = ctx.start_server(role::SERVER, &[], &[timeout_env(1)])?;
    let probe = Probe {
        since: ctx.child(p).elapsed(),
        connected: std::time::Instant::now(),
    };
    let mut first_stream = ctx.connect(addr)?;
    let first = silent_client_first(ctx, p, addr, probe, &mut first_stream)?;
    second.join().unwrap_or(SecondRun::Unseen).judge(
        SILENT_CLIENT_EXPECTED,
        first,
        "closed the connection",
        "the client connected",
    )
}

const SILENT_CLIENT_EXPECTED: &str = "the server closes the connection about 1s (LAB_TIMEOUT) after a client that sends nothing, prints a line containing `sent nothing`, and exits 0";

/// When [`silent_client`]'s first probe connected.
struct Probe {
    /// On the server's output clock: its note counts from here on, not a
    /// banner of its start.
    since: Duration,
    /// Taken before the connect: the server's clock starts at accept(), so
    /// never before this, however late this thread runs after the connect.
    connected: std::time::Instant,
}

/// [`silent_client`]'s first run, LAB_TIMEOUT=1, on the probe `stream`:
/// how long after the connect the server closed the connection.
fn silent_client_first(
    ctx: &mut Ctx,
    p: Proc,
    addr: SocketAddr,
    probe: Probe,
    stream: &mut TcpStream,
) -> Result<Duration, Failure> {
    let Probe { since, connected } = probe;
    ctx.step("send nothing; wait for the server to close the connection after LAB_TIMEOUT=1s");
    let (_, end) = read_to_end(stream, SLACK + Duration::from_secs(1));
    let expected = SILENT_CLIENT_EXPECTED;
    if end == End::Timeout {
        // A timeout hard-coded to the handout's default fires later: wait
        // for it, to tell "ignores LAB_TIMEOUT" from "no timeout at all".
        ctx.step(format!(
            "still open after {}s: keep waiting up to {}s more, in case it uses a timeout of its own",
            SLACK.as_secs() + 1,
            LATE_TIMEOUT.as_secs()
        ));
        let (_, late) = read_to_end(stream, LATE_TIMEOUT);
        if late != End::Timeout {
            let took = connected.elapsed().as_secs_f64();
            // A crash on the timeout's own path (an uncaught
            // socket.timeout) is a second mistake in this one check: said
            // beside the first, not hidden by it.
            let _ = ctx.wait_exit(p, Duration::from_millis(300));
            let crashed = ctx
                .crash_of(p)
                .map(|c| format!("; and then it crashed: {c}"))
                .unwrap_or_default();
            return Err(fail(
                Diagnosis::IgnoresConfig,
                expected,
                format!(
                    "it closed the connection {took:.1}s after the client connected, while LAB_TIMEOUT was 1s: the timeout does not come from LAB_TIMEOUT{crashed}"
                ),
            )
            .hinted(TIMEOUT_HINT));
        }
        return Err(fail(
            Diagnosis::ServerTimeout,
            expected,
            format!(
                "the connection was still open {}s after the client connected",
                connected.elapsed().as_secs()
            ),
        ));
    }
    // Closed, but long before LAB_TIMEOUT: a timeout of its own (a
    // hard-coded half second), not the one it was given. The server's
    // clock starts at accept(), after `connected` was taken: a correct
    // server is never early here.
    let closed_after = connected.elapsed();
    // (A server that died is no timeout at all: judged below.)
    let died = closed_after < TOO_EARLY && {
        let _ = ctx.wait_exit(p, Duration::from_millis(300));
        ctx.crash_of(p).is_some()
    };
    if closed_after < TOO_EARLY && !died {
        return Err(fail(
            Diagnosis::IgnoresConfig,
            expected,
            format!(
                "it closed the connection {:.1}s after the client connected, while LAB_TIMEOUT was 1s: the timeout does not come from LAB_TIMEOUT (a timeout set in milliseconds where the variable is in seconds?)",
                closed_after.as_secs_f64()
            ),
        )
        .hinted(TIMEOUT_HINT));
    }
    if ctx
        .wait_output_since(p, since, SLACK, |l| l.contains("sent nothing"))
        .is_some()
    {
        // It timed the client out; then it ends, as after any session.
        return ends_after_timeout_note(ctx, p, expected, stream).map(|()| closed_after);
    }
    // It closed on time: a server still running now has not missed the
    // timeout, only (perhaps) its note.
    if let Err(f) = expect_exit(ctx, p, SLACK, 0, Diagnosis::ServerTimeout) {
        // The note, late: it timed the client out after all. Still
        // running, or ended badly, it is judged as after the note.
        if noted(ctx, p, since, "sent nothing") {
            return ends_after_timeout_note(ctx, p, expected, stream).map(|()| closed_after);
        }
        // Its timeout fired, and the error it raised was never caught
        // (blind round 13: Rust's `read(..).unwrap()` on WouldBlock was
        // told "waits forever").
        if ctx.child(p).try_status().is_some() {
            // Not the read's timeout: the accept's, as the probe came.
            if let Some(why) = ctx.accept_gave_up() {
                return Err(fail(Diagnosis::Crash, expected, why));
            }
            if let Some(crash) = ctx.crash_of(p) {
                return Err(fail(
                    Diagnosis::Crash,
                    expected,
                    format!(
                        "its timeout fired {:.1}s after the client connected, and it crashed on it: {crash} (catch the timeout's error: it is how a read that timed out ends)",
                        closed_after.as_secs_f64()
                    ),
                ));
            }
        }
        return Err(moved_on_without_note(
            ctx,
            p,
            addr,
            expected,
            "sent nothing",
            f,
        ));
    }
    if !noted(ctx, p, since, "sent nothing") {
        return Err(fail(
            Diagnosis::OutputFormat,
            expected,
            "no line containing `sent nothing`",
        ));
    }
    Ok(closed_after)
}

/// After a session that a client ended by sending nothing (the server's
/// note printed), the one-shot server ends with exit 0, as after any
/// session (blind round 21: one that went back to accept() passed, with
/// "exits 0" in the check's own expected line). The same hang after a
/// normal session is server-ack's finding, and folded under it.
fn ends_after_note(ctx: &mut Ctx, p: Proc, expected: &str) -> Result<(), Failure> {
    expect_exit(ctx, p, SLACK, 0, Diagnosis::Crash).map_err(|mut f| {
        f.expected = expected.to_string();
        if f.diagnosis == Diagnosis::Hangs {
            f.observed = format!(
                "it printed its note, then was {}; a one-shot server ends after its one session, however the client ended it",
                f.observed
            );
        }
        f.caused_by("server-ack")
    })
}

/// [`ends_after_note`] for a server that timed out the silent client on
/// `stream`: one still running may have only half-closed the connection
/// (its FIN sent, the socket kept until the client's comes: Node's
/// `end()`), which a silent client never sends. Told by closing the
/// client's end too: it ends then (blind round 28: the general hint spoke
/// of loops and a second accept()).
fn ends_after_timeout_note(
    ctx: &mut Ctx,
    p: Proc,
    expected: &str,
    stream: &TcpStream,
) -> Result<(), Failure> {
    ends_after_note(ctx, p, expected).map_err(|f| {
        if f.diagnosis != Diagnosis::Hangs || ctx.child(p).try_status().is_some() {
            return f;
        }
        ctx.step("it is still running: close the client's end too");
        let _ = stream.shutdown(std::net::Shutdown::Both);
        if ctx.wait_exit(p, Duration::from_millis(1500)).is_none() {
            return f;
        }
        let mut f = f;
        f.observed = format!(
            "it printed its note and closed its side of the connection (its FIN came), then was still running {}s later; it ended only once the client closed its end too: it waited for the client's FIN, which a silent client never sends",
            SLACK.as_secs()
        );
        f.hinted("When the timeout fires, close the connection fully, not only its sending side: close() the socket (Node: socket.destroy(); end() sends your FIN and then keeps the socket until the client sends its own, and a silent client never does). Then the one-shot server ends, as after any session.")
    })
}

/// Whether the program has printed a line containing `note` by now (no
/// more waiting): a note that came late still counts.
fn noted(ctx: &mut Ctx, p: Proc, since: Duration, note: &str) -> bool {
    ctx.wait_output_since(p, since, Duration::ZERO, |l| l.contains(note))
        .is_some()
}

/// A server still running after a check's client left, the check's note
/// (`note`) not printed (the caller has looked once more): is it stuck with that client (`stuck`, the
/// mistake the check is about), or has it moved on, so that only the note
/// is missing? Asked of a second client: served (an ACK comes back) means
/// it moved on. Then a server that printed nothing at all on stdout has its
/// silence judged once, by the role's line check (a buffer, most often:
/// seen on a `print` without flush in a server that loops on accept); one
/// that prints misses only this note. Whether it should have ended is
/// server-ack's to judge.
fn moved_on_without_note(
    ctx: &mut Ctx,
    p: Proc,
    addr: SocketAddr,
    expected: &str,
    note: &str,
    stuck: Failure,
) -> Failure {
    if ctx.child(p).try_status().is_some() {
        return stuck;
    }
    ctx.step("it is still running: send a line on a second connection, to tell a server stuck with the first client from one that moved on");
    let message = ctx.message(12);
    let Ok(mut second) = ctx.connect(addr) else {
        return stuck;
    };
    if second.write_all(message.as_bytes()).is_err() {
        return stuck;
    }
    let (reply, _) = read_to_end(&mut second, SLACK);
    if !String::from_utf8_lossy(&reply).contains("ACK") {
        return stuck;
    }
    if ctx.child(p).lines(Stream::Stdout).is_empty() {
        let failure = fail(
            Diagnosis::OutputFormat,
            expected,
            "it moved on (it served a second client), but it has printed nothing at all on stdout, not even its Listening line: the note may be waiting in a buffer",
        );
        return match role::SERVER.line_check() {
            Some(id) => failure.consequence_of(id),
            None => failure,
        };
    }
    fail(
        Diagnosis::OutputFormat,
        expected,
        format!("no line containing `{note}`; it moved on (it served a second client)"),
    )
}

/// Sooner than this after connecting, a server that gives up on a silent
/// client (LAB_TIMEOUT=1) did not use LAB_TIMEOUT.
const TOO_EARLY: Duration = Duration::from_millis(800);

/// How much longer than LAB_TIMEOUT + slack a timeout check keeps waiting,
/// to catch a timeout hard-coded to the handout's default (5 s).
pub const LATE_TIMEOUT: Duration = Duration::from_secs(8);

/// Sends `payload`, expects `want` as the reply and a normal exit; any
/// failure is `mistake` (the validation rule under test).
fn validation(
    ctx: &mut Ctx,
    payload: &[u8],
    want: &str,
    mistake: Diagnosis,
) -> Result<(), Failure> {
    let (p, ex) = exchange(ctx, role::SERVER, &[], payload)?;
    // What the server judged was not what it was sent: server-ack's wrong
    // reply, whatever this check's rule (blind round 73: a Java NIO read
    // with no flip() judged a kilobyte of NULs, and every message was too
    // long; told as four mistakes, the length bound "off by one").
    if ex.reply != want.as_bytes() {
        if let Some(nuls) = nuls_past_the_read(ctx, p, payload) {
            return Err(fail(
                Diagnosis::WrongReply,
                format!("the reply `{want}` and then the connection closed"),
                format!("the reply {}; {nuls}", show_bytes(&ex.reply)),
            )
            .hinted(super::common::PAST_THE_READ_HINT)
            .caused_by("server-ack"));
        }
    }
    // An ACK of only the start of the message: it was read in one piece
    // too small for it (`recv(16)`), whatever the rule says; server-ack's
    // message is cut the same way.
    // (Not a cut at the limit itself, 100 characters or bytes: that is a
    // server that shortens instead of refusing, the rule's own mistake.)
    let acked = super::common::acked_text(&ex.reply);
    let at_the_limit = acked.len() == 100 || String::from_utf8_lossy(acked).chars().count() == 100;
    if !acked.is_empty()
        && !at_the_limit
        && acked.len() < payload.len()
        && payload.starts_with(acked)
        // Cut at whitespace only: a trim of one side (`rstrip()`), server-
        // trim's to tell (review of that check), not a read too small.
        && !payload[acked.len()..].iter().all(u8::is_ascii_whitespace)
        && std::str::from_utf8(payload).is_ok()
    {
        return Err(fail(
            Diagnosis::WrongReply,
            format!("the reply `{want}` and then the connection closed"),
            format!(
                "the reply {}: an ACK of only the first {} of the {} bytes sent: the server read the message in a piece too small for it",
                show_bytes(&ex.reply),
                acked.len(),
                payload.len()
            ),
        )
        .hinted(READ_TOO_SMALL_HINT));
    }
    // Valid UTF-8 refused as invalid: the read ended inside a character
    // (a piece smaller than the message), or the decoder is not UTF-8's
    // (ASCII). It was told as the check's rule, too-long, with a hint on
    // off-by-ones (hostile round 54's small reads).
    let invalid = b"ERROR: Invalid UTF-8";
    if !want.starts_with("ERROR: Invalid")
        && ex.reply.starts_with(invalid)
        && ex.reply[invalid.len()..]
            .iter()
            .all(|b| matches!(b, b'\r' | b'\n' | b'\0'))
    {
        // ASCII alone cannot end a read inside a character, nor fail an
        // ASCII decoder: what the server judged held bytes it was never
        // sent, its buffer past the read (blind round 64: a C server's
        // `char buf[1024]` with no '\0' after what recv returned).
        if payload.is_ascii() {
            return Err(fail(
                Diagnosis::WrongReply,
                format!("the reply `{want}` and then the connection closed"),
                format!(
                    "the reply {} to a message of ASCII characters only ({} bytes), which is valid UTF-8 whatever reads it: the bytes the server judged were more than the ones sent, its buffer taken past what recv returned",
                    show_bytes(&ex.reply),
                    payload.len()
                ),
            )
            .hinted(super::common::PAST_THE_READ_HINT));
        }
        if let Ok(text) = std::str::from_utf8(payload) {
            return Err(fail(
                Diagnosis::WrongReply,
                format!("the reply `{want}` and then the connection closed"),
                format!(
                    "the reply {} to a message that is valid UTF-8 ({} characters in {} bytes): the server read it in a piece too small for it, which ended inside a character, or decoded it with a decoder other than UTF-8's (ASCII)",
                    show_bytes(&ex.reply),
                    text.chars().count(),
                    payload.len()
                ),
            )
            .hinted(READ_TOO_SMALL_HINT));
        }
    }
    // The refusal itself, cut short (a reply buffer too small for it, C's
    // `n + 16`): the rule was kept, the reply is wrong (blind round 36: a
    // blank message told to strip what it had stripped).
    if !ex.reply.is_empty() && ex.reply.len() < want.len() && want.as_bytes().starts_with(&ex.reply)
    {
        return Err(fail(
            Diagnosis::WrongReply,
            format!("the reply `{want}` and then the connection closed"),
            format!(
                "the reply {}: the right one cut short, {} of its {} bytes (the rule was kept; the buffer the reply is built in, or the count sent, is too small)",
                show_bytes(&ex.reply),
                ex.reply.len(),
                want.len()
            ),
        ));
    }
    // The rule was kept. Whether the server then ends (exit 0, or a
    // second accept, a second server at module level) is server-ack's to
    // judge: one mistake, reported once.
    judge_reply(ctx, p, &ex, want, mistake).map_err(|f| {
        if ex.reply.is_empty() && f.diagnosis == mistake && mistake != Diagnosis::WrongReply {
            unless_it_never_answers(ctx, f)
        } else {
            f
        }
    })
}

/// The server `p`'s Received line, when it shows a buffer's worth of NUL
/// bytes the grader never sent (`payload` has none), and nothing else:
/// what the server judged was its buffer past what the read returned
/// (never-written memory, zeroed), said as an observation. Only NULs: a correct server may print a message's other
/// bytes escaped (`\xc3\xa9`), which would read as leftovers. And only
/// such a line: one NUL among other words (a server that prints a
/// terminator, or one that wants its other mistakes folded under this
/// finding: hostile round 73) is not it.
fn nuls_past_the_read(ctx: &mut Ctx, p: Proc, payload: &[u8]) -> Option<String> {
    if payload.contains(&0) {
        return None;
    }
    // Trap: the reply on the socket can come before the line printed just
    // ahead of it is read from the pipe (a loaded machine): wait a moment
    // for a Received line, or for the program's end.
    let _ = ctx.wait_output(p, Duration::from_millis(500), |l| l.contains("Received"));
    let count = [Stream::Stdout, Stream::Stderr]
        .into_iter()
        .flat_map(|s| ctx.child(p).lines(s))
        .filter_map(|l| {
            let shown = l.split_once("Received")?.1;
            let shown = shown.strip_prefix(':').unwrap_or(shown);
            let (nuls, rest) = nuls_in(shown);
            let rest = rest.trim();
            // NULs alone: the message past them was judged right, with
            // the buffer's zeros trimmed (Java's trim() takes NULs off;
            // hostile round 76 hid a length counted in bytes so).
            (nuls >= BUFFER_OF_NULS && rest.is_empty()).then_some(nuls)
        })
        .next()?;
    Some(format!(
        "its Received line holds {count} NUL bytes the grader never sent: what it judged was its buffer past the bytes the read returned, not the message (so every message gets the same wrong reply)"
    ))
}

/// Fewer NULs than this in a Received line are no buffer's leftovers.
const BUFFER_OF_NULS: usize = 8;

/// The NULs in `text`, raw or escaped (`\0` followed by no octal digit,
/// C's `\000`, `\x00`, `\u{0}`, `\u0000`), and the text without them.
/// Trap: C's octal escapes of other bytes begin with `\0` too (a tab is
/// `\011`: hostile round 73 was told of NULs for a correct escape).
fn nuls_in(text: &str) -> (usize, String) {
    const FORMS: [&str; 4] = ["\\000", "\\x00", "\\u{0}", "\\u0000"];
    let (mut nuls, mut rest) = (0, String::new());
    let mut at = 0;
    while at < text.len() {
        let tail = &text[at..];
        if let Some(form) = FORMS.iter().find(|f| tail.starts_with(**f)) {
            nuls += 1;
            at += form.len();
        } else if tail.starts_with("\\0")
            && !tail[2..].starts_with(|c: char| ('0'..='7').contains(&c))
        {
            nuls += 1;
            at += 2;
        } else if tail.starts_with('\0') {
            nuls += 1;
            at += 1;
        } else {
            let c = tail.chars().next().unwrap_or_default();
            rest.push(c);
            at += c.len_utf8().max(1);
        }
    }
    (nuls, rest)
}

/// A wrong reply from the server `p`, sent `sent`, with what
/// [`nuls_past_the_read`] says and its hint where it says something: as
/// server-ack tells it, wherever the finding shows.
fn with_past_the_read(ctx: &mut Ctx, p: Proc, sent: &[u8], f: Failure) -> Failure {
    match nuls_past_the_read(ctx, p, sent) {
        Some(nuls) => Failure {
            observed: format!("{}; {nuls}", f.observed),
            ..f
        }
        .hinted(super::common::PAST_THE_READ_HINT),
        None => f,
    }
}

/// A validation check that got no reply at all: is that the rule, or a
/// server that answers nothing (it reads until the client closes, say)?
/// Started once more and sent an ordinary short message: no reply to that
/// either is server-ack's wrong reply, one mistake; a reply means
/// `failure` stands.
fn unless_it_never_answers(ctx: &mut Ctx, failure: Failure) -> Failure {
    let message = ctx.message(8);
    ctx.step(format!(
        "no reply at all: start it once more and send an ordinary message, `{message}`: does it answer anything?"
    ));
    let answered = exchange(ctx, role::SERVER, &[], message.as_bytes());
    if let Ok((p, _)) = &answered {
        // A moment for a dying program's traceback (its reset comes
        // first: seen, a typo's crash told as silence one run in three).
        let _ = ctx.wait_exit(*p, Duration::from_millis(300));
    }
    match answered {
        // (A crash on every message is a crash, not silence.)
        Ok((p, ex)) if ex.reply.is_empty() && ctx.crash_of(p).is_none() => fail(
            Diagnosis::WrongReply,
            failure.expected,
            format!(
                "{}; an ordinary message got no reply either: the server does not answer",
                failure.observed
            ),
        )
        .caused_by("server-ack"),
        _ => failure,
    }
}

/// The hint for a length counted in bytes (not the bound's off-by-one,
/// which the general hint warns of: blind round 50, a Rust `msg.len()`).
pub(super) const CHARACTERS_HINT: &str = concat!(
    count_characters!(),
    "The bound is right: 100 characters is fine, 101 is too long."
);

/// How to count characters, the first words of [`CHARACTERS_HINT`] and
/// of [`BYTES_AND_BOUND_HINT`].
macro_rules! count_characters {
    () => {
        "Count characters, not bytes: a character outside ASCII (é, ü, an emoji) is two to four bytes in UTF-8. Rust: msg.chars().count(), not msg.len(); Python: len() of the decoded str, not of the bytes; C: count the bytes that do not begin with the bits 10 (b & 0xC0 != 0x80), not strlen(); Java: s.codePointCount(0, s.length()). "
    };
}
use count_characters;

/// The hint of a limit counted in bytes with its bound off by one.
const BYTES_AND_BOUND_HINT: &str = concat!(
    "Two things. ",
    count_characters!(),
    "And the bound is off by one: refuse a message only when it has more than 100 characters (`> 100`, not `>= 100`); 100 is still fine."
);

/// The hint for a message read in a piece smaller than it (the general
/// wrong-reply hint begins with the reply's wording: blind round 55).
pub(super) const READ_TOO_SMALL_HINT: &str = "Read the message with one recv of up to LAB_BUFFER_SIZE bytes (1024 by default), never a smaller size of your own (recv(128), a char[128]): a message of 100 characters can be 300 bytes in UTF-8 (é is two bytes, € three), and a read that ends inside a character cannot be decoded. Decode the bytes as UTF-8, by name (`new String(bytes, StandardCharsets.UTF_8)`, `data.decode(\"utf-8\")`).";

pub fn blank(ctx: &mut Ctx) -> Result<(), Failure> {
    let spaces = 1 + ctx.below(5);
    let payload = format!("{}\t ", " ".repeat(spaces));
    validation(
        ctx,
        payload.as_bytes(),
        "ERROR: Empty message",
        Diagnosis::BlankMessage,
    )
}

pub fn too_long(ctx: &mut Ctx) -> Result<(), Failure> {
    let payload = ctx.letters(101);
    validation(
        ctx,
        payload.as_bytes(),
        "ERROR: Message too long",
        Diagnosis::TooLong,
    )?;
    // Then a length well past the bound: a rule kept for 101 characters
    // alone passed (hostile round 54: `== 101`).
    let len = 102 + ctx.below(199);
    let payload = long_text(ctx, len);
    ctx.step(format!(
        "start it once more and send a message of {len} characters ({} bytes)",
        payload.len()
    ));
    validation(
        ctx,
        payload.as_bytes(),
        "ERROR: Message too long",
        Diagnosis::TooLong,
    )
}

/// A message of `len` characters for the length checks: 20 ASCII letters,
/// then [`wide_text`]. A read of 16 bytes takes letters alone, and is told
/// as a read too small (its ACK the message's start), not as a character
/// it cut in two; one of 128 bytes cuts into the wide part.
pub(super) fn long_text(ctx: &mut Ctx, len: usize) -> String {
    const ASCII_FIRST: usize = 20;
    ctx.letters(ASCII_FIRST) + &wide_text(ctx, len.saturating_sub(ASCII_FIRST))
}

/// `len` characters, three in four outside ASCII: two and three bytes
/// each in UTF-8, all in the Basic Multilingual Plane (one UTF-16 unit
/// each: Java's `length()` counts them right), about 2.5 bytes a character.
fn wide_text(ctx: &mut Ctx, len: usize) -> String {
    const WIDE: [char; 9] = ['é', 'ü', 'ñ', 'ж', 'λ', '€', '你', '好', '→'];
    (0..len)
        .map(|i| {
            if i % 4 == 0 {
                ctx.letters(1)
            } else {
                WIDE[ctx.below(WIDE.len())].to_string()
            }
        })
        .collect()
}

pub fn length_limit(ctx: &mut Ctx) -> Result<(), Failure> {
    // 100 characters, most of them two or three bytes long (about 220
    // bytes): the limit counts characters, so a server counting bytes
    // fails here, and so does one that reads less than the default
    // LAB_BUFFER_SIZE (hostile round 54: a read of 128 bytes at most
    // passed 90 letters and ten é). The last outside the Basic
    // Multilingual Plane, two UTF-16 units: a count of those (Java's
    // `length()`, JavaScript's `.length`) makes it 101 (hostile round 57:
    // every character the checks sent was one unit).
    let mut payload = long_text(ctx, 99);
    payload.push(ASTRAL);
    let want = format!("ACK: {payload}");
    validation(ctx, payload.as_bytes(), &want, Diagnosis::TooLong)
        .map_err(|f| counted_in_bytes(ctx, &payload, f))
}

/// A message with a newline and an ESC inside it: the server's console
/// shows it as one line, its control characters escaped. Printed as they
/// came, the newline makes a line of the client's choosing that reads as
/// the server's (`[SERVER] Sent: ...`), and the ESC sequence runs on the
/// terminal of whoever watches (blind round 30: no check sent one). The
/// form of the escapes is not judged here (`\n`, `\x1b` or `\u{1b}`):
/// only that no control character reaches the console raw.
pub fn escapes(ctx: &mut Ctx) -> Result<(), Failure> {
    escapes_of(ctx, role::SERVER)
}

/// [`escapes`] for the server of `role` (the one-shot or the threaded
/// one: both print the message in their session's lines).
pub fn escapes_of(ctx: &mut Ctx, role: Role) -> Result<(), Failure> {
    let (head, forged, tail) = (ctx.message(8), ctx.message(8), ctx.message(6));
    // Then every other control character of C0 but NUL, and DEL: a server
    // that escaped the newline and the ESC by name passed (hostile round
    // 54), and one control drawn at random let one that named C's escapes
    // pass by luck (round 56). All of them, always: one verdict per
    // program. (No NUL: a C string ends there, which is not this check's
    // to judge.)
    let others: String = (1u8..0x20)
        .filter(|b| ![b'\n', 0x1b].contains(b))
        .map(char::from)
        .chain(['\u{7f}'])
        .collect();
    let message = format!("{head}\n[SERVER] Sent: {forged}\u{1b}[2J{others}{tail}");
    // The check that judges this server's session.
    let ack = if role == role::SERVER {
        "server-ack"
    } else {
        "threaded-ack"
    };
    let (p, addr) = ctx.start_server(role, &[], &[])?;
    let (mut stream, client) = connect_and_send(ctx, addr, message.as_bytes())?;
    // The reply's bytes are server-ack's to judge (the message as it came).
    let _ = read_reply(ctx, &mut stream, client);
    drop(stream);
    let received = if role == role::SERVER {
        ctx.step("wait for the server to end its session, then read its console");
        if ctx.wait_exit(p, SLACK).is_none() {
            stop_to_see_held_lines(ctx, p);
        }
        "[SERVER] Received:".to_string()
    } else {
        // It runs on: its Sent line (the second to hold the message's
        // end, escaped or not) or its Closed line says the session was
        // printed. A server that printed nothing yet holds its lines.
        if ctx.quiet(p) {
            stop_to_see_held_lines(ctx, p);
        } else {
            ctx.step("wait for the server to print the session's lines, then read its console");
            let (mut seen, port) = (0, format!(":{}", client.port()));
            ctx.wait_stdout(p, SLACK, |l| {
                seen += usize::from(l.contains(&tail));
                seen == 2 || (l.contains(&port) && l.to_lowercase().contains("closed"))
            });
        }
        format!("[SERVER] {client} Received:")
    };
    let lines = ctx.child(p).lines(Stream::Stdout);
    let expected = format!(
        "one console line for the message, its control characters escaped: `{received} {head}\\n[SERVER] Sent: {forged}\\u{{1b}}[2J{}{tail}` (every control character of C0 but NUL, then DEL)",
        crate::message::escape_controls(&others)
    );
    // Never seen is never passed (blind round 32: a block-buffered C
    // server with no SIGINT handler lost its lines at the stop, and the
    // check passed on nothing). Its line check names a buffer. A server
    // that printed, but not this message, failed its session before the
    // message was printed: its ack check's finding, folded there (hostile
    // round 37: a server that never read a byte passed this check).
    if !lines.iter().any(|l| l.contains(&head)) {
        if !lines.is_empty() {
            return Err(fail(
                Diagnosis::OutputFormat,
                expected,
                "the message appears in none of its console lines: its session ended before it printed it (see the session check)",
            )
            .consequence_of(ack));
        }
        let f = fail(
            Diagnosis::OutputFormat,
            expected,
            "nothing came on stdout, not even once the server was stopped: its session's lines were never seen (held in a buffer that the stop threw away, or never printed)",
        );
        return Err(match role.line_check() {
            Some(listening) => f.consequence_of(listening),
            None => f,
        });
    }
    if let Some(line) = lines.iter().find(|l| {
        l.trim_start()
            .starts_with(&format!("[SERVER] Sent: {forged}"))
    }) {
        return Err(fail(
            Diagnosis::UnescapedMessage,
            expected,
            format!(
                "the newline inside the message was printed as it came, so the message made a console line of its own that reads as the server's: `{}`",
                crate::message::escape_controls(line.trim_end())
            ),
        ));
    }
    if let Some(line) = lines
        .iter()
        .find(|l| l.contains(&head) && l.contains('\u{1b}'))
    {
        return Err(fail(
            Diagnosis::UnescapedMessage,
            expected,
            format!(
                "the ESC inside the message was printed as it came, and a terminal runs it (`ESC[2J` clears the screen): `{}`",
                crate::message::escape_controls(line.trim_end())
            ),
        ));
    }
    if let Some(line) = lines
        .iter()
        .find(|l| (l.contains(&head) || l.contains(&tail)) && l.chars().any(char::is_control))
    {
        let mut raw: Vec<String> = line
            .chars()
            .filter(|c| c.is_control())
            .map(|c| format!("U+{:04X}", u32::from(c)))
            .collect();
        if raw.len() > 6 {
            let more = raw.len() - 5;
            raw.truncate(5);
            raw.push(format!("{more} more"));
        }
        return Err(fail(
            Diagnosis::UnescapedMessage,
            expected,
            format!(
                "control characters inside the message were printed as they came ({}), and a terminal acts on them (a backspace moves back over the line): `{}`: escape every control character, not only the newline and ESC",
                raw.join(", "),
                super::common::raw_controls_named(line.trim_end())
            ),
        ));
    }
    // Its start printed, its end nowhere: what the control characters
    // became was never seen (blind round 50: a Perl server read up to the
    // newline, `<$client>`, printed `Received: <start>`, and passed). The
    // session check tells the read; this one, once that is right.
    if !lines.iter().any(|l| l.contains(&tail)) {
        return Err(fail(
            Diagnosis::OutputFormat,
            expected,
            format!(
                "its console shows the message's start (`{head}`) but not its end (`{tail}`), after the newline and the ESC: only part of the message was printed, so how the control characters would show was never seen (a read that stops at the newline, a line reader?)"
            ),
        )
        .consequence_of(ack));
    }
    Ok(())
}

/// Spaces, a tab and a line end around an ordinary message (what `nc`
/// sends, Enter included) are trimmed before the reply is built: the
/// reply is `ACK: <the trimmed message>` (blind round 15: a reply built
/// from the text as it came passed every check; server-blank sends
/// whitespace alone).
pub fn trim(ctx: &mut Ctx) -> Result<(), Failure> {
    // Whitespace inside it stays: two spaces and a tab between its words
    // (blind round 16: `" ".join(text.split())` squeezed them, and passed).
    let message = format!("{}  {}\t{}", ctx.message(8), ctx.message(8), ctx.message(6));
    let payload = format!("  {message}\t \r\n");
    let want = format!("ACK: {message}");
    validation(ctx, payload.as_bytes(), &want, Diagnosis::WrongReply).map_err(|mut f| {
        // The tab shown as the observed reply shows it (`\t`), not raw
        // (blind round 22: the two lines looked different where they
        // were the same).
        f.expected = f.expected.replace('\t', "\\t");
        if f.diagnosis != Diagnosis::WrongReply {
            return f;
        }
        // The words right, the whitespace kept: say so. (Any other wrong
        // reply is one finding with server-ack's, the same diagnosis.)
        // As the observation shows a reply (escape_debug: a tab as `\t`).
        let shown = message.escape_debug().to_string();
        let squeezed = message.split_whitespace().collect::<Vec<_>>().join(" ");
        if f.observed.contains(&format!("`ACK: {squeezed}`")) {
            f.observed = format!(
                "{}: the whitespace inside the message was changed too (only the whitespace around it is trimmed; two spaces and a tab between words stay as they are)",
                f.observed
            );
        } else if f.observed.contains(&shown)
            && !f.observed.contains("then a line end")
            && !f.observed.contains("then a NUL byte")
        {
            f.observed = format!(
                "{}: the whitespace around the message is still in it (trim the message, then build the reply: strip() in Python, trim() in Rust and Java)",
                f.observed
            );
            // A trim that misses a tab or a `\r` (Perl's chomp, a strip of
            // spaces only) also lets a blank message through: one mistake,
            // which server-blank names (blind round 22: two names).
            return f.folded_if("server-blank", &[Diagnosis::BlankMessage]);
        }
        f
    })?;
    rules_after_trim(ctx)
}

/// Once the trim is right: a message of 99 characters once trimmed, 105
/// with the whitespace around it, is fine. A server that applies the
/// length rule before trimming refuses it (hostile round 51: it passed
/// every check, and refused a 100-character line typed into nc). One
/// under the limit: an off-by-one (`>= 100`) is server-length-limit's.
fn rules_after_trim(ctx: &mut Ctx) -> Result<(), Failure> {
    let (head, mut tail) = (ctx.message(8), ctx.message(8));
    let fill = TRIMMED_LEN.saturating_sub(head.len() + tail.len() + 1);
    tail.push_str(&ctx.letters(fill));
    let message = format!("{head} {tail}");
    let payload = format!("  {message}\t \r\n");
    let want = format!("ACK: {message}");
    ctx.step(format!(
        "start it once more: {} characters once trimmed, {} with the whitespace around them",
        message.chars().count(),
        payload.chars().count()
    ));
    validation(ctx, payload.as_bytes(), &want, Diagnosis::WrongReply).map_err(|f| {
        if !f.observed.contains("`ERROR: Message too long`") {
            return f;
        }
        fail(
            Diagnosis::TooLong,
            f.expected.replace('\t', "\\t"),
            format!(
                "the reply `ERROR: Message too long`: the message is {} characters once trimmed, {} with the whitespace around it (a short message is trimmed right): the length was counted before trimming",
                message.chars().count(),
                payload.chars().count()
            ),
        )
        .hinted("Trim first, then apply the rules to what is left (extension B): a message short enough once trimmed is fine, whatever whitespace came around it (the line end that nc or echo adds, a space).")
    })
}

/// How long [`rules_after_trim`]'s message is once trimmed: one under the
/// limit.
const TRIMMED_LEN: usize = 99;

/// The one character outside the Basic Multilingual Plane that
/// server-length-limit sends: four bytes in UTF-8, two units in UTF-16.
const ASTRAL: char = '🙂';

/// A 100-character message refused as too long: an off-by-one (`>= 100`)
/// or a count of bytes (C's strlen, Python's len() of the bytes)? The
/// hint for one misleads the other, so 100 ASCII characters tell: an ACK
/// for them means the unit was wrong, not the bound (and then 100
/// characters of two and three bytes tell bytes from UTF-16 units).
fn counted_in_bytes(ctx: &mut Ctx, payload: &str, mut failure: Failure) -> Failure {
    if failure.diagnosis != Diagnosis::TooLong
        || !failure.observed.contains("ERROR: Message too long")
    {
        return failure;
    }
    let ascii = ctx.letters(100);
    ctx.step(
        "start it once more and send 100 ASCII characters (100 bytes): the bound, or the unit?",
    );
    if let Ok((_, ex)) = exchange(ctx, role::SERVER, &[], ascii.as_bytes()) {
        let reply = String::from_utf8_lossy(&ex.reply);
        // (Its framing, a line end or C's NUL after it, is judged apart.)
        if reply.trim_end_matches(['\r', '\n', '\0']) == format!("ACK: {ascii}") {
            if payload.contains(ASTRAL) {
                if let Some(told) = counted_in_utf16(ctx, payload, &failure) {
                    return told;
                }
            }
            failure.observed.push_str(&format!(
                "; 100 ASCII characters got an ACK: the length was counted in bytes (this message is {} characters, {} bytes in UTF-8), not in characters",
                payload.chars().count(),
                payload.len()
            ));
            return failure.hinted(CHARACTERS_HINT);
        }
        // Said, not left to the story's last step (blind round 67).
        if reply.contains("ERROR: Message too long") {
            let refused = |ctx: &mut Ctx, text: &str| {
                exchange(ctx, role::SERVER, &[], text.as_bytes())
                    .ok()
                    .map(|(p, ex)| {
                        let no =
                            String::from_utf8_lossy(&ex.reply).contains("ERROR: Message too long");
                        (p, no)
                    })
            };
            // 99 taken: the bound is off by one. 99 refused, and one
            // character too: what it measures is its whole buffer, past
            // what the read returned (blind round 85: Rust's
            // `from_utf8(buf.to_vec())`, 1020 NULs counted, told "off by
            // one"). 99 refused, one taken: a limit set far too low
            // (hostile round 82: 9 and 10 were told as either).
            let ninety_nine = ctx.letters(99);
            ctx.step("start it once more and send 99 ASCII characters: under the limit?");
            match refused(ctx, &ninety_nine) {
                Some((_, false)) => {
                    failure.observed.push_str(
                        "; 100 ASCII characters (100 bytes) were refused too, and 99 were not: the bound is off by one",
                    );
                    // The unit too: 99 characters of the message's own
                    // kinds (hostile round 83: a count of bytes with `>=`
                    // was told "not the unit"; ASCII cannot tell).
                    if let Some(both) =
                        off_by_one_in_which_unit(ctx, payload, &mut failure, refused)
                    {
                        return both;
                    }
                }
                Some((_, true)) => {
                    let one = ctx.letters(1);
                    ctx.step(format!(
                        "start it once more and send one character, `{one}`: refused too?"
                    ));
                    match refused(ctx, &one) {
                        Some((p, true)) => {
                            let past = fail(
                                Diagnosis::WrongReply,
                                failure.expected.clone(),
                                format!(
                                    "{}; 100 ASCII characters were refused too, and 99, and one (`{one}`): what it measures is not the message but its whole buffer, the bytes past what the read returned among them",
                                    failure.observed
                                ),
                            )
                            .hinted(super::common::PAST_THE_READ_HINT);
                            return with_past_the_read(ctx, p, one.as_bytes(), past)
                                .caused_by("server-ack");
                        }
                        Some((_, false)) => {
                            failure.observed.push_str(
                                "; 100 ASCII characters were refused too, and so were 99, while one character was taken: the limit is set far below 100 characters",
                            );
                            return failure.hinted("The limit is 100 characters: a message of more than 100 is refused, one of 100 or fewer is answered. Look at the constant your comparison uses (and where it comes from: not LAB_BUFFER_SIZE, nor a number of bytes of a buffer).");
                        }
                        None => {}
                    }
                }
                None => {}
            }
        }
    }
    failure
}

/// The bound is off by one (99 ASCII characters taken, 100 refused):
/// is the unit right too? The last 99 characters of `payload`, its own
/// kinds of characters, taken: it is (said in `failure`). Refused: bytes
/// (or UTF-16 units) are counted as well, a failure of both. A message
/// all ASCII cannot tell: nothing said.
fn off_by_one_in_which_unit(
    ctx: &mut Ctx,
    payload: &str,
    failure: &mut Failure,
    refused: impl Fn(&mut Ctx, &str) -> Option<(Proc, bool)>,
) -> Option<Failure> {
    if payload.is_ascii() {
        return None;
    }
    // Its last 99: an emoji at its end (two UTF-16 units) stays in.
    let last: String = payload.chars().skip(1).collect();
    ctx.step(format!(
        "start it once more and send this message's last 99 characters ({} bytes): counted in characters?",
        last.len()
    ));
    match refused(ctx, &last)? {
        (_, false) => {
            failure
                .observed
                .push_str(", not the unit (99 characters of this message were taken)");
            None
        }
        (_, true) => {
            let mut both = failure.clone();
            both.observed.push_str(&format!(
                "; and this message's last 99 characters ({} bytes in UTF-8) were refused: the length is counted in bytes (or UTF-16 units), not in characters, as well",
                last.len()
            ));
            Some(both.hinted(BYTES_AND_BOUND_HINT))
        }
    }
}

/// `payload` (with [`ASTRAL`] in it) was refused, 100 ASCII characters
/// were not: 100 characters of two and three bytes, one UTF-16 unit each,
/// tell bytes from UTF-16 units. An ACK of them: the count was of units.
fn counted_in_utf16(ctx: &mut Ctx, payload: &str, failure: &Failure) -> Option<Failure> {
    let bmp: String = "éж€".chars().cycle().take(100).collect();
    ctx.step("start it once more and send 100 characters of two and three bytes (one UTF-16 unit each): bytes, or UTF-16 units?");
    let (_, ex) = exchange(ctx, role::SERVER, &[], bmp.as_bytes()).ok()?;
    let reply = String::from_utf8_lossy(&ex.reply);
    if reply.trim_end_matches(['\r', '\n', '\0']) != format!("ACK: {bmp}") {
        return None;
    }
    let mut told = failure.clone();
    told.observed.push_str(&format!(
        "; 100 ASCII characters got an ACK, and so did 100 characters of two and three bytes: the length was counted in UTF-16 units (this message is {} characters, {} UTF-16 units: its {ASTRAL} counts two), not in characters",
        payload.chars().count(),
        payload.encode_utf16().count()
    ));
    Some(told.hinted("Count characters (Unicode code points), not UTF-16 units: a character outside the Basic Multilingual Plane (an emoji such as 🙂) is two units. Java: s.codePointCount(0, s.length()), not s.length(); JavaScript: [...s].length, not s.length; C#: s.EnumerateRunes().Count(), not s.Length. The bound is right: 100 characters is fine, 101 is too long."))
}

pub fn invalid_utf8(ctx: &mut Ctx) -> Result<(), Failure> {
    let mut payload = ctx.letters(5).into_bytes();
    // 0xC3 starts a two-byte sequence that 0x28 (`(`) does not continue:
    // every decoder and every validator that checks continuation bytes
    // refuses it. No 0xFF or 0xFE (bytes UTF-8 never has): with them, a
    // server that looked only for those passed (blind round 10).
    payload.extend_from_slice(&[0xC3, 0x28]);
    payload.extend_from_slice(ctx.letters(3).as_bytes());
    refused_as_invalid(ctx, &payload, None)?;
    // Then a character cut off at the message's end: 0xE2 0x82 begins a
    // three-byte sequence that never ends. A validator that looked only at
    // the byte after a lead byte passed (hostile round 54), and one that
    // reads past the message's end is told too.
    let mut payload = ctx.letters(6).into_bytes();
    payload.extend_from_slice(&[0xE2, 0x82]);
    ctx.step("start it once more and send a message whose last character is cut off");
    refused_as_invalid(ctx, &payload, Some("the message ends in the middle of a character: the bytes e2 82 begin a three-byte sequence and nothing follows them"))?;
    // Then one run for each kind of byte sequence that a validator of the
    // student's own can miss (twelve runs in all), in a fixed order: each
    // verdict the same whatever the seed (hostile round 57: one stray byte
    // drawn from two kinds, and a validator without its last `else` passed
    // 8 seeds in 12).
    // A byte no character begins with: a continuation byte alone (hostile
    // round 55: a validator that looked only at what follows each lead
    // byte passed), one of F8..FF, which UTF-8 never has, one of F5..F7,
    // which would begin a code point past U+10FFFF. Then the forms a
    // structural validator (a lead byte, the right number of continuation
    // bytes) takes for characters that are none: overlong forms of two,
    // three and four bytes, a UTF-16 surrogate, a code point past U+10FFFF
    // (hostile round 57: such a validator passed, the way C students write
    // one; then one that checked only the sequences the handout named).
    // Each kind's bytes are drawn within it, so that only a rule for the
    // whole kind passes every seed; every strict decoder refuses them all.
    let cont = |ctx: &mut Ctx| 0x80 + ctx.below(0x40) as u8;
    let pick = |ctx: &mut Ctx, from: u8, to: u8| from + ctx.below(usize::from(to - from) + 1) as u8;
    // The third byte of a three-byte character, the fourth of a four-byte
    // one, not a continuation (hostile round 59: a validator that checked
    // the lead and the second byte, and skipped the rest, passed).
    let three = [0xE1, 0xE5, 0xE8, 0xEC, 0xEE, 0xEF][ctx.below(6)];
    let letter = |ctx: &mut Ctx| ctx.letters(1).as_bytes()[0];
    let runs: Vec<(Vec<u8>, &str)> = vec![
        (
            vec![three, cont(ctx), letter(ctx)],
            "a three-byte character whose third byte does not continue it",
        ),
        (
            vec![pick(ctx, 0xF1, 0xF3), cont(ctx), cont(ctx), letter(ctx)],
            "a four-byte character whose fourth byte does not continue it",
        ),
        (
            vec![cont(ctx)],
            "a continuation byte alone begins no character: it may only continue one",
        ),
        (
            vec![pick(ctx, 0xF8, 0xFF)],
            "the byte begins no character: UTF-8 never has F8..FF",
        ),
        (
            vec![pick(ctx, 0xF5, 0xF7), cont(ctx), cont(ctx), cont(ctx)],
            "F5..F7 would begin a code point past U+10FFFF, the last: UTF-8 never has them",
        ),
        (
            vec![pick(ctx, 0xC0, 0xC1), cont(ctx)],
            "C0 and C1 begin only overlong forms (a character of one byte written in two): UTF-8 allows the shortest form alone",
        ),
        (
            vec![0xE0, pick(ctx, 0x80, 0x9F), cont(ctx)],
            "an overlong form: after E0 comes A0..BF (shorter forms exist for the rest)",
        ),
        (
            vec![0xF0, pick(ctx, 0x80, 0x8F), cont(ctx), cont(ctx)],
            "an overlong form: after F0 comes 90..BF (shorter forms exist for the rest)",
        ),
        (
            vec![0xED, pick(ctx, 0xA0, 0xBF), cont(ctx)],
            "a UTF-16 surrogate (U+D800..U+DFFF), which is no character: after ED comes 80..9F",
        ),
        (
            vec![0xF4, pick(ctx, 0x90, 0xBF), cont(ctx), cont(ctx)],
            "a code point past U+10FFFF, the last: after F4 comes 80..8F",
        ),
    ];
    for (bytes, why) in runs {
        let mut payload = ctx.letters(4).into_bytes();
        payload.extend_from_slice(&bytes);
        payload.extend_from_slice(ctx.letters(4).as_bytes());
        let shown = bytes
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ");
        ctx.step(format!(
            "start it once more and send a message with the bytes {shown} inside it"
        ));
        refused_as_invalid(ctx, &payload, Some(&format!("the bytes {shown}: {why}")))?;
    }
    Ok(())
}

/// One run of [`invalid_utf8`]: `payload` gets `ERROR: Invalid UTF-8`;
/// `why` it is not UTF-8 is added to what a failure observed.
fn refused_as_invalid(ctx: &mut Ctx, payload: &[u8], why: Option<&str>) -> Result<(), Failure> {
    validation(ctx, payload, "ERROR: Invalid UTF-8", Diagnosis::InvalidUtf8).map_err(|mut f| {
        if let Some(why) = why {
            f.observed.push_str(&format!(" ({why})"));
        }
        f
    })
}

/// A server that died where a check expected an error line may die at
/// every start (a traceback at import, a file it cannot open): then what
/// the check saw is that start-up mistake, which `server-listening`
/// reports. Started once more the usual way (LAB_PORT=0, nothing in the
/// way) to tell: if it dies there too, that start's failure is returned
/// (folded under `server-listening`); if it starts, `failure` stands.
fn unless_it_dies_at_every_start(ctx: &mut Ctx, failure: Failure) -> Failure {
    ctx.step("start it once more the usual way (LAB_PORT=0): does it die at every start?");
    match ctx.start_server(role::SERVER, &[], &[]) {
        Err(start) if start.diagnosis.is_a_failed_start() => start,
        _ => failure,
    }
}

/// Given a port someone else holds, the server says so and exits 1.
pub fn port_in_use(ctx: &mut Ctx) -> Result<(), Failure> {
    let blocker = loopback_listener(0).map_err(|e| {
        fail(
            Diagnosis::CannotStart,
            "a port for the check",
            e.to_string(),
        )
    })?;
    let port = blocker.local_addr().map(|a| a.port()).unwrap_or(0);
    ctx.step(format!(
        "hold port {port} with a listening socket of the grader's"
    ));
    let p = ctx.spawn(role::SERVER, &[], &[("LAB_PORT", port.to_string())])?;
    let want = format!("[SERVER] Error: cannot listen on {HOST}:{port}: address already in use");
    let expected = format!("exit status 1 and the stderr line `{want}`");
    ctx.step("wait for the server to give up");
    let matches = |l: &String| {
        let lower = l.to_lowercase();
        l.starts_with("[SERVER] Error:")
            && l.contains(&format!("{HOST}:{port}"))
            && lower.contains("address already in use")
    };
    let Some(status) = ctx.wait_exit(p, STARTUP) else {
        // It said the right thing and did not end: something else keeps
        // it alive (a thread an imported module started, a second server).
        // The socket table may show that other server's port: it is not
        // a server that ignored LAB_PORT.
        let said = [Stream::Stderr, Stream::Stdout]
            .into_iter()
            .find_map(|s| ctx.child(p).lines(s).into_iter().find(|l| matches(l)));
        if let Some(line) = said {
            let doing = ctx.still_doing(p);
            return Err(fail(
                Diagnosis::Hangs,
                expected,
                format!(
                    "it printed `{}` but was still running {}s later: {doing}",
                    line.trim_end(),
                    STARTUP.as_secs()
                ),
            ));
        }
        let elsewhere =
            ctx.child(p).lines(Stream::Stdout).into_iter().find(|l| {
                l.starts_with("[SERVER] Listening on") && !l.ends_with(&format!(":{port}"))
            });
        if let Some(line) = elsewhere {
            return Err(fail(
                Diagnosis::IgnoresConfig,
                expected,
                format!("it ignored LAB_PORT={port} and started anyway: `{line}`"),
            ));
        }
        // No line (often a buffered stdout), but the socket table tells: a
        // server listening on some other port never read LAB_PORT (a port
        // hard-coded to the handout's default, say).
        // One look at its listeners serves both questions below.
        let pid = ctx.child(p).pid();
        let listening = crate::grade::harness::listening_sockets_of(pid, super::CONTRACT.transport)
            .unwrap_or_default();
        let others: Vec<u16> = crate::grade::harness::ports_of(&listening)
            .into_iter()
            .filter(|&q| q != port)
            .collect();
        if !others.is_empty() {
            return Err(fail(
                Diagnosis::IgnoresConfig,
                expected,
                format!(
                    "it ignored LAB_PORT={port} and started anyway: the system's socket table shows it listening on port {}",
                    crate::grade::harness::join_ports(&others)
                ),
            ));
        }
        // The port, on another address: an IPv6-only socket on every
        // address ([::]) does not meet the grader's 127.0.0.1 (blind round
        // 42: a Tcl server told port-in-use beside its ignores-config).
        if let Some(there) = listening
            .into_iter()
            .find(|a| a.port() == port && a.ip() != std::net::IpAddr::V4(HOST))
        {
            return Err(fail(
                Diagnosis::IgnoresConfig,
                expected,
                format!(
                    "it started anyway, listening on {there}: not on LAB_HOST={HOST}, so the grader's socket on {HOST}:{port} was no obstacle to it; bind the address LAB_HOST names"
                ),
            )
            .folded_if("server-config", &[Diagnosis::IgnoresConfig]));
        }
        // A server that never gets to listen at all (server-listening
        // says so) never reaches its bind here either: that mistake, once
        // (a walkthrough's class counted it as a port-in-use too).
        return Err(fail(
            Diagnosis::PortInUse,
            expected,
            format!("still running {}s later", STARTUP.as_secs()),
        )
        .folded_if(
            "server-listening",
            &[Diagnosis::Hangs, Diagnosis::StartupFailure],
        ));
    };
    drop(blocker);
    let on_stderr = ctx.child(p).lines(Stream::Stderr).iter().any(matches);
    if !on_stderr {
        let on_stdout = ctx.child(p).lines(Stream::Stdout).iter().any(matches);
        if on_stdout {
            return Err(fail(
                Diagnosis::OutputFormat,
                expected,
                format!(
                    "the error line went to stdout, not stderr{}",
                    super::common::and_status_unless(status, 1)
                ),
            ));
        }
        let crash = ctx.crash_of(p);
        let mut how = crash
            .clone()
            .unwrap_or_else(|| crate::process::describe_status(status));
        // A traceback's description already ends with its last line.
        if let Some(last) = ctx
            .last_stderr_line(p)
            .filter(|l| !how.contains(l.as_str()))
        {
            how.push_str(&format!(": `{last}`"));
        }
        // Told, in its own words (C's perror, a caught exception printed
        // as is), on stderr with exit 1: the handling is right, the line
        // is not. A traceback is not telling: it is the crash the check
        // is about.
        let own_words = crash.is_none()
            && status.code() == Some(1)
            && ctx.child(p).lines(Stream::Stderr).iter().any(|l| {
                let lower = l.to_lowercase();
                lower.contains("already in use") || lower.contains("eaddrinuse")
            });
        if own_words {
            return Err(fail(
                Diagnosis::OutputFormat,
                expected,
                format!("it told, in other words ({how}); the line must be `{want}`"),
            ));
        }
        // Exit 2 is a usage error: the program refused to start at all.
        let diagnosis = if status.code() == Some(2) {
            Diagnosis::CannotStart
        } else {
            Diagnosis::PortInUse
        };
        let failure = fail(diagnosis, expected, format!("no such error line ({how})"));
        return Err(unless_it_dies_at_every_start(ctx, failure));
    }
    if status.code() != Some(1) {
        return Err(fail(
            Diagnosis::ExitStatus,
            expected,
            crate::process::describe_status(status),
        ));
    }
    its_own_port_is_in_use_too(ctx)
}

/// A port held by another copy of the server itself is in use as well.
/// A server that sets SO_REUSEPORT (a StackOverflow answer's, in place of
/// SO_REUSEADDR) fails against the grader's socket, but a second copy of
/// it, the same user's, listens beside the first, and the kernel shares
/// the clients out between them (blind round 28).
fn its_own_port_is_in_use_too(ctx: &mut Ctx) -> Result<(), Failure> {
    let Ok(port) = closed_port() else {
        return Ok(());
    };
    let env = [("LAB_PORT", port.to_string())];
    // Listening for real, as the socket table shows: one that only says so
    // (no listen()) is server-listening's to name.
    let listens = |ctx: &mut Ctx, p: Proc| {
        let pid = ctx.child(p).pid();
        crate::grade::harness::listening_ports_of(pid, super::CONTRACT.transport)
            .is_some_and(|ports| ports.contains(&port))
    };
    // One that cannot start on a port of its own is server-config's to say.
    let first = match ctx.start_server(role::SERVER, &[], &env) {
        Ok((first, _)) if listens(ctx, first) => first,
        _ => return Ok(()),
    };
    ctx.step(format!(
        "start a second copy of the server on port {port}, where the first listens: it must fail the same way"
    ));
    let expected = format!("the second copy fails: exit status 1 and `[SERVER] Error: cannot listen on {HOST}:{port}: address already in use`");
    match ctx.start_server(role::SERVER, &[], &env) {
        Ok((second, _)) if listens(ctx, second) => {
            // The first gone by then: no shared port, but a session the
            // second copy's start gave it (blind round 88: a helper module
            // that connects at import, `closed without sending`, exit 0,
            // was told SO_REUSEPORT).
            if !listens(ctx, first) {
                // No longer listening: no shared port. Its session's lines
                // come as it ends; without one, it ended of itself, not
                // this check's to judge.
                let _ = ctx.wait_exit(first, SLACK);
                return first_spent_by_the_second(ctx, first, expected).map_or(Ok(()), Err);
            }
            Err(fail(
                Diagnosis::PortInUse,
                expected,
                format!("the second copy listens on port {port} too, beside the first: both sockets set SO_REUSEPORT, which lets the same user's listeners share a port (the kernel shares the clients out between them); set SO_REUSEADDR, not SO_REUSEPORT"),
            ))
        }
        _ => Ok(()),
    }
}

/// The first copy of the server `first` stopped listening while a second
/// started on its port, which then listened there: the second's start
/// connected to it. With a session in its lines, that connection was its
/// one session: a connection of the server's own, made before its bind.
fn first_spent_by_the_second(ctx: &mut Ctx, first: Proc, expected: String) -> Option<Failure> {
    let session = ctx
        .child(first)
        .lines(Stream::Stdout)
        .into_iter()
        .find(|l| super::common::a_session_line(l));
    let ended = match ctx.child(first).try_status() {
        Some(status) => format!("ended ({})", crate::process::describe_status(status)),
        None => "stopped listening".to_string(),
    };
    Some(fail(
        Diagnosis::ExtraConnection,
        expected,
        format!(
            "the first copy had a session nobody of the grader's made (`{}`) and {ended} as the second started: the second copy connected to the port before binding it, spent the first's one session, and then listened on the port that freed",
            session?.trim_end()
        ),
    ))
}

/// A session in which the server closes first leaves its side in
/// TIME_WAIT; a new server must still be able to listen on that port.
pub fn restart(ctx: &mut Ctx) -> Result<(), Failure> {
    let message = ctx.message(16);
    let (p, addr) = ctx.start_server(role::SERVER, &[], &[])?;
    // Trap: TIME_WAIT stays with the side that closes first. ack_round reads
    // to EOF before the probe closes, so that side is the server's.
    // A wrong reply (server-ack's finding) still ends a session with the
    // server closing first: the restart is tested all the same, so that a
    // missing SO_REUSEADDR is not hidden behind the reply's wording.
    let mut wrong_reply = None;
    if let Err(f) = ack_round(ctx, p, addr, &message) {
        if f.diagnosis != Diagnosis::WrongReply {
            return Err(f);
        }
        ctx.step("(the reply is server-ack's to judge: go on with the restart)");
        wrong_reply =
            Some(with_past_the_read(ctx, p, message.as_bytes(), f).caused_by("server-ack"));
    }
    if wrong_reply.is_none() {
        ctx.step("the probe closed after the server did: the server's side is in TIME_WAIT");
    } else {
        // The probe may have given up on the reply and closed first (a
        // read that waits for more): the TIME_WAIT is then the probe's, and
        // the restart below proves less (blind round 80 read "closed after
        // the server did" there).
        ctx.step("the session is over (if the probe gave up and closed first, the TIME_WAIT is the probe's, not the server's)");
    }
    let mut exit_status = None;
    if let Err(f) = expect_exit(ctx, p, SLACK, 0, Diagnosis::Crash) {
        match f.diagnosis {
            // Not ending after its session is server-ack's finding; the
            // connection is closed, its TIME_WAIT is there: stop it and go
            // on.
            Diagnosis::Hangs => {
                ctx.step("it did not end after its session (server-ack reports that): stop it");
                ctx.child(p).kill();
            }
            // Ended with another status after a whole session: that status
            // is its own finding, and the restart is tested all the same
            // (blind round 35: a missing SO_REUSEADDR hidden behind exit 1).
            Diagnosis::ExitStatus => {
                ctx.step("it ended with another status than 0 (a finding of its own): go on with the restart");
                exit_status = Some(f.caused_by("server-ack"));
            }
            _ => return Err(f),
        }
    }
    ctx.step(format!(
        "start the server again at once on port {}",
        addr.port()
    ));
    let env = [("LAB_PORT", addr.port().to_string())];
    let second = ctx.start_server(role::SERVER, &[], &env);
    let second_round = |ctx: &mut Ctx, p2, addr2| {
        // A wrong reply here is server-ack's finding, not this check's.
        ack_round(ctx, p2, addr2, &message)
            .map(drop)
            .map_err(|mut f| {
                if f.diagnosis == Diagnosis::WrongReply {
                    f.observed
                        .push_str("; the restart itself worked: the reply is server-ack's finding");
                    with_past_the_read(ctx, p2, message.as_bytes(), f).caused_by("server-ack")
                } else {
                    f
                }
            })
    };
    let (p2, addr2) = match second {
        Ok(pair) => pair,
        Err(failure) => {
            let text = ctx.process_report().to_lowercase();
            let in_use = ["in use", "errno 98", "errno 48", "10048", "addrinuse"]
                .iter()
                .any(|s| text.contains(s));
            if in_use {
                return Err(fail(
                    Diagnosis::NoReuseaddr,
                    format!("the server starts again on port {} right after a session", addr.port()),
                    "binding failed with `address already in use`: the old connection is in TIME_WAIT",
                ));
            }
            return Err(failure);
        }
    };
    second_round(ctx, p2, addr2)?;
    wrong_reply.or(exit_status).map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::nuls_in;

    /// NULs raw and in every escaped form are counted; C's octal escapes
    /// of other bytes (a tab, `\011`) are not NULs (hostile round 73).
    #[test]
    fn nuls_are_told_from_other_escapes() {
        assert_eq!(nuls_in("a\0\0b"), (2, "ab".to_string()));
        assert_eq!(nuls_in("\\0\\000\\x00\\u{0}\\u0000"), (5, String::new()));
        assert_eq!(
            nuls_in("hi\\011there\\015"),
            (0, "hi\\011there\\015".to_string())
        );
        assert_eq!(nuls_in("\\0x"), (1, "x".to_string()));
        assert_eq!(nuls_in("é\\0"), (1, "é".to_string()));
    }
}
