//! Pieces several Week 1 checks share: console lines in order, the
//! one-shot exchange, exit expectations, the chat clock, clean shutdown.

use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::grade::diagnosis::Diagnosis;
use crate::grade::harness::{
    fail, nothing_listens_on, port_is_free, read_to_end_paused, show_bytes, Ctx, End, Failure,
    Pause, Proc, SLACK,
};
use crate::grade::Role;
use crate::process::{describe_status, Signal, Stream};

/// The one-shot server started once more, alone: a line of a session it
/// had anyway (`Connection from`, or the contract's `closed without
/// sending`) within a second of listening, while nothing of the grader's
/// connected. Nothing else in the check knows its port: such a session is
/// a connection of the server's own (a "self-test" connect after
/// listen()), and it uses up the one session (hostile round 78: the
/// client that then found no server was blamed for it).
fn session_without_a_client(ctx: &mut Ctx) -> Option<String> {
    ctx.step("start the server once more, alone, and connect nothing for a second: does a session come anyway?");
    let (p, _) = ctx.start_server(super::role::SERVER, &[], &[]).ok()?;
    let line = ctx.wait_output(p, Duration::from_secs(1), a_session_line);
    ctx.child(p).kill();
    line.map(|l| l.trim_end().to_string())
}

/// A one-shot server's line of a session: `Connection from`, or the
/// contract's `closed without sending`.
pub fn a_session_line(line: &str) -> bool {
    line.contains("Connection from") || line.contains("without sending")
}

/// The failure of a one-shot server whose session went to a connection of
/// its own, when [`session_without_a_client`] sees one: `expected` was the
/// check's.
pub fn its_own_session(ctx: &mut Ctx, expected: &str) -> Option<Failure> {
    let line = session_without_a_client(ctx)?;
    Some(fail(
        Diagnosis::ExtraConnection,
        expected,
        format!(
            "started alone, with nothing connecting to it, the server had a session anyway (`{line}`): it connects to its own port, and that connection uses up its one session, so the real client finds no server"
        ),
    )
    .hinted("Do not connect to your own server to test it: once listen() returns and the Listening line is printed, it is ready, and the first connection it accepts is its one session. A connection of its own is that session, spent on nothing; the real client is then refused, or reset."))
}

/// Checks that `expected` lines appear on stdout in this order (other
/// lines may come between them).
pub fn lines_in_order(ctx: &mut Ctx, p: Proc, expected: &[String]) -> Result<(), Failure> {
    lines_in_order_after(ctx, p, expected, "")
}

/// Like [`lines_in_order`], ignoring any number of `prompt`s at the start
/// of a line: a prompt has no newline, so with stdin from a pipe the next
/// output shares its line.
pub fn lines_in_order_after(
    ctx: &mut Ctx,
    p: Proc,
    expected: &[String],
    prompt: &str,
) -> Result<(), Failure> {
    let mut lines = ctx.child(p).lines(Stream::Stdout);
    let stderr = ctx.child(p).lines(Stream::Stderr);
    if !prompt.is_empty() {
        for line in &mut lines {
            while let Some(rest) = line.strip_prefix(prompt) {
                *line = rest.to_string();
            }
        }
    }
    // Every line that is missing is named, not only the first: two lines
    // worded otherwise in one session are two things to fix.
    let mut from = 0;
    let mut wrong: Vec<String> = Vec::new();
    // Lines run into by the next output: said once, in one entry, at the
    // place of the first (blind round 33: one missing line end, three
    // sentences).
    let mut run_on: Option<(usize, &String, Vec<&str>)> = None;
    // A line that is the expected one and then bytes past it: what the
    // buffer held before the read (blind round 71: a C client's printf
    // of a buffer with no NUL after the reply).
    let mut past_the_read = false;
    // A line that is another expected line, right, is no near miss of a
    // missing one (blind round 70: a missing `[CLIENT] Closed connection`
    // was shown against the right `[CLIENT] Connected to ...`).
    let unmatched: Vec<String> = lines
        .iter()
        .filter(|l| {
            !expected
                .iter()
                .any(|w| crate::grade::compare::same_shown(l.trim_end(), w))
        })
        .cloned()
        .collect();
    for want in expected {
        let shown = |l: &String| crate::grade::compare::same_shown(l.trim_end(), want);
        match lines[from..].iter().position(shown) {
            Some(i) => from += i + 1,
            None => {
                let earlier = lines[..from].iter().any(shown);
                let on_stderr = stderr.iter().any(shown);
                wrong.push(if earlier {
                    format!("`{want}` came out of order")
                } else if on_stderr {
                    format!("`{want}` went to stderr, not stdout")
                } else if let Some(line) = crate::grade::compare::ran_on(want, &lines) {
                    match &mut run_on {
                        Some((_, seen, wants)) if *seen == line => wants.push(want),
                        _ => run_on = Some((wrong.len(), line, vec![want])),
                    }
                    continue;
                } else if let Some(seen) = crate::grade::compare::closest(want, &unmatched) {
                    let rest = seen.strip_prefix(want.as_str()).unwrap_or_default();
                    let leftover = !rest.is_empty() && bytes_past_the_read(seen, rest, &lines);
                    past_the_read |= leftover;
                    format!(
                        "no line `{want}`; the closest line printed:\n{}{}",
                        crate::grade::compare::show_near_miss(want, seen),
                        if leftover {
                            "\n        (the right line, then bytes past it: what the buffer held before the reply)"
                        } else {
                            ""
                        }
                    )
                } else {
                    format!("no line `{want}`")
                });
            }
        }
    }
    let ran_on_alone = run_on.is_some() && wrong.is_empty();
    if let Some((at, line, wants)) = &run_on {
        wrong.insert(*at, crate::grade::compare::ran_on_text(wants, line));
    }
    if wrong.is_empty() {
        return Ok(());
    }
    if lines.is_empty()
        && !wrong
            .iter()
            .any(|w| w.ends_with("went to stderr, not stdout"))
    {
        wrong = vec!["nothing on stdout".to_string()];
    }
    // Many lines missing (a client that printed none of its ACKs, or each
    // in its own words): the first named, with its near miss, the others
    // counted, each shown under `expected` (blind round 66: eight rows of
    // 90 characters each, one per ACK; blind round 74: nine near misses,
    // each the same word, some 90 lines).
    let plain = |w: &String| w.starts_with("no line `");
    let missing = wrong.iter().filter(|w| plain(w)).count();
    if missing > 3 {
        let mut named = 0;
        wrong.retain(|w| {
            if plain(w) {
                named += 1;
                return named == 1;
            }
            true
        });
        wrong.push(format!(
            "no line either for the {} other lines expected above",
            missing - 1
        ));
    }
    let expected_text = format!(
        "these stdout lines, in this order:\n{}",
        expected
            .iter()
            .map(|l| format!("        {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let failure = fail(
        Diagnosis::OutputFormat,
        expected_text,
        wrong.join(";\n      and "),
    );
    Err(if ran_on_alone {
        failure.hinted(crate::grade::compare::RAN_ON_HINT)
    } else if past_the_read {
        failure.hinted(PAST_THE_READ_HINT)
    } else {
        failure
    })
}

/// Is `rest`, printed right after an expected line, bytes left in a
/// buffer rather than words of the program's own: bytes that are not
/// text ([`looks_like_leftovers`]), or a piece of another line it
/// printed, cut mid-line and glued to the line with no space (C's buffer
/// that held `[CLIENT] Sending: ...` before: `...ServerCLIENT] Sending:
/// ...`). Words of its own, a suffix on every line (` (took 3 ms)`),
/// begin with a space or a mark (hostile round 71).
fn bytes_past_the_read(seen: &str, rest: &str, lines: &[String]) -> bool {
    let glued = rest.chars().next().is_some_and(char::is_alphanumeric);
    let start: String = rest.chars().take(8).collect();
    let piece_of_another = glued
        && rest.chars().count() >= 8
        && lines
            .iter()
            .any(|l| l.trim_end() != seen && l.find(&start).is_some_and(|at| at > 0));
    looks_like_leftovers(rest) || piece_of_another
}

/// Does `after` (what a program printed after a reply) hold bytes no
/// text has: U+FFFD, a NUL (raw, or escaped as `\0`, `\u{0}`, `\x00`),
/// another byte shown escaped as `\xNN`, or a control character other
/// than a tab or a terminal's colour sequence (ESC `[`), which a program
/// may print on purpose (hostile round 71: an ANSI reset and a tab were
/// told as a buffer printed past the read)?
pub fn looks_like_leftovers(after: &str) -> bool {
    let escaped = ["\\x", "\\0", "\\u{0}"].iter().any(|e| after.contains(e));
    let mut chars = after.chars().peekable();
    let mut control = false;
    while let Some(c) = chars.next() {
        match c {
            '\t' => {}
            '\u{1b}' if chars.peek() == Some(&'[') => {}
            c if c.is_control() => control = true,
            _ => {}
        }
    }
    escaped || control || after.contains('\u{fffd}')
}

/// Waits for a program to exit with status `want`. A crash or a hang is
/// reported as `mistake` (the check's own subject); another status as
/// `exit-status`. When the subject is a crash (`mistake` is `crash`), a
/// program still running is not a crash: it `hangs`, and the report says
/// what it was doing.
pub fn expect_exit(
    ctx: &mut Ctx,
    p: Proc,
    within: Duration,
    want: i32,
    mistake: Diagnosis,
) -> Result<(), Failure> {
    ctx.step(format!("wait for the program to exit with status {want}"));
    let expected = format!("exit status {want} within {}s", within.as_secs());
    match ctx.wait_exit(p, within) {
        None if mistake == Diagnosis::Crash => {
            let doing = ctx.still_doing(p);
            Err(fail(
                Diagnosis::Hangs,
                expected,
                format!("still running {}s later: {doing}", within.as_secs()),
            ))
        }
        None => Err(fail(
            mistake,
            expected,
            format!("still running {}s later", within.as_secs()),
        )),
        Some(status) if status.code() == Some(want) => Ok(()),
        Some(status) => {
            if let Some(crash) = ctx.crash_of(p) {
                return Err(fail(mistake, expected, format!("it crashed: {crash}")));
            }
            Err(fail(
                Diagnosis::ExitStatus,
                expected,
                describe_status(status),
            ))
        }
    }
}

/// `; and it exited 0, not 1` when `status` is not `want`, else nothing:
/// a second mistake in the same failure is said, not left for the next run.
pub fn and_status_unless(status: std::process::ExitStatus, want: i32) -> String {
    if status.code() == Some(want) {
        String::new()
    } else {
        format!(
            "; and it ended with {}, not exit status {want}",
            describe_status(status)
        )
    }
}

/// What came back from one request to a one-shot server.
pub struct Exchange {
    pub reply: Vec<u8>,
    pub end: End,
    pub client: SocketAddr,
    /// A pause in the middle of the reply (it came in pieces).
    pub pause: Option<Pause>,
    /// No reply came, yet the server had taken every byte sent off its
    /// socket (its receive queue empty, Linux): its read waits for more.
    pub drained: bool,
    /// Had the server printed a Received line while the connection was
    /// still open? (`None`: not looked at then.) Looked at later, a read
    /// that waits for the connection's end has printed it by then: the
    /// grader's close ended that read (a full suite run under load).
    pub received_shown: Option<bool>,
}

impl Exchange {
    /// No exchange at all (the connection was never made): nothing came,
    /// and the server's side ended it.
    pub fn none(client: SocketAddr) -> Exchange {
        Exchange {
            reply: Vec::new(),
            end: End::Eof,
            client,
            pause: None,
            drained: false,
            received_shown: None,
        }
    }
}

/// Connects an idle probe and gives the server a moment to take it on
/// (waits for a line naming it, if the server prints one).
pub fn idle_client(ctx: &mut Ctx, p: Proc, addr: SocketAddr) -> Result<TcpStream, Failure> {
    let stream = ctx.connect(addr)?;
    let me = stream
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    ctx.step(format!("leave the client {me} connected and silent"));
    if !ctx.quiet(p) {
        ctx.wait_stdout(p, Duration::from_secs(1), |l| l.contains(&me));
    }
    std::thread::sleep(Duration::from_millis(300));
    Ok(stream)
}

/// After a client reset its connection (`how`: which one, and when), the
/// server is still running: a reset is an error of that one session
/// (extension A: "the client vanished"). Given a moment to die of it
/// (the write or read that meets the reset comes at once); one that dies
/// later is caught by the next step's [`after_served`].
pub fn survived_reset(ctx: &mut Ctx, p: Proc, how: &str) -> Result<(), Failure> {
    let Some(status) = ctx.wait_exit(p, Duration::from_millis(300)) else {
        return Ok(());
    };
    let expected = "the server ends that client's session and keeps serving: a reset connection is an error of that session only";
    // Its last words about the reset, if it printed any: an error caught
    // around the accept loop, not inside it, ends the server with status
    // 0 (blind round 24: exits-early, whose hint asks for the loop there).
    let said = [Stream::Stderr, Stream::Stdout]
        .into_iter()
        .flat_map(|s| ctx.child(p).lines(s))
        .find(|l| tells_of_a_reset(l));
    let (diagnosis, why) = match (ctx.crash_of(p), said) {
        (None, Some(line)) => (
            Diagnosis::Crash,
            format!(
                "it exited ({}) after `{}`: the reset's error was caught outside the session, around the accept loop, and ended the server (catch it around the session, inside the loop)",
                describe_status(status),
                line.trim_end()
            ),
        ),
        _ => {
            let ended = how_it_ended(ctx, p, status);
            (ended.diagnosis, ended.why)
        }
    };
    let failure = fail(diagnosis, expected, format!("it ended {how}: {why}"));
    Err(
        match diagnosis == Diagnosis::Crash && ctx.crash_of(p).is_none() {
            true => failure.hinted(SESSION_ERROR_HINT),
            false => failure,
        },
    )
}

/// How a server that ended where it should have gone on ended, said for
/// a report: a crash (its traceback), an accept() that timed out (a
/// timeout set on the listening socket ends the server when no client
/// comes: not a crash over what a client sent, blind round 25), or its
/// exit status (0: it ended by itself, exits-early).
fn how_it_ended(ctx: &mut Ctx, p: Proc, status: std::process::ExitStatus) -> Ended {
    let said: Vec<String> = [Stream::Stderr, Stream::Stdout]
        .into_iter()
        .flat_map(|s| ctx.child(p).lines(s))
        .collect();
    // A line about accept with the timeout on it or on one of the two
    // after it (C's perror, Java's "Accept timed out", the end of a
    // Python traceback through socket.accept).
    let lower: Vec<String> = said.iter().map(|l| l.to_lowercase()).collect();
    let timeout_words = [
        "timed out",
        "temporarily unavailable",
        "eagain",
        "would block",
    ];
    let timed_out = |l: &String| timeout_words.iter().any(|w| l.contains(w));
    let at_accept = (0..lower.len()).find_map(|i| {
        if !lower[i].contains("accept") {
            return None;
        }
        let end = lower.len().min(i + 3);
        (i..end)
            .find(|&j| timed_out(&lower[j]))
            .map(|j| said[j].clone())
    });
    if let Some(line) = at_accept {
        return Ended {
            diagnosis: Diagnosis::ExitsEarly,
            why: format!(
                "it exited ({}) when its accept() timed out (`{}`): a timeout on the listening socket ends the server whenever no client comes within it; set LAB_TIMEOUT on each accepted connection, not on the listening socket",
                describe_status(status),
                line.trim()
            ),
            cause: Cause::Seen,
        };
    }
    if let Some(crash) = ctx.crash_of(p) {
        return Ended {
            diagnosis: Diagnosis::Crash,
            why: format!("it died: {crash}"),
            cause: Cause::Seen,
        };
    }
    let diagnosis = if status.success() {
        Diagnosis::ExitsEarly
    } else {
        Diagnosis::Crash
    };
    Ended {
        diagnosis,
        why: format!("it exited ({})", describe_status(status)),
        cause: Cause::Unseen,
    }
}

/// [`how_it_ended`]'s answer.
struct Ended {
    diagnosis: Diagnosis,
    /// What to say of it, starting "it ...".
    why: String,
    cause: Cause,
}

/// Whether the grader saw why a program ended (its traceback, an accept()
/// that timed out), or only that it did (its exit status).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cause {
    Seen,
    Unseen,
}

/// Starts the server, sends `payload` and reads until the server closes.
pub fn exchange(
    ctx: &mut Ctx,
    role: Role,
    env: &[(&str, String)],
    payload: &[u8],
) -> Result<(Proc, Exchange), Failure> {
    let (p, addr) = ctx.start_server(role, &[], env)?;
    let (mut stream, client) = connect_and_send(ctx, addr, payload)?;
    let mut exchange = read_reply_of(ctx, &mut stream, client, SLACK);
    exchange.received_shown = Some(printed_received(ctx, p));
    drop(stream);
    Ok((p, exchange))
}

/// Connects a probe and sends `payload`; returns the stream and its address.
pub fn connect_and_send(
    ctx: &mut Ctx,
    addr: SocketAddr,
    payload: &[u8],
) -> Result<(TcpStream, SocketAddr), Failure> {
    let mut stream = ctx.connect(addr)?;
    let client = stream
        .local_addr()
        .map_err(|e| fail(Diagnosis::Crash, "a connected socket", e.to_string()))?;
    ctx.send(&mut stream, payload)?;
    Ok((stream, client))
}

/// Reads the reply until the server closes the connection (bounded).
pub fn read_reply(ctx: &mut Ctx, stream: &mut TcpStream, client: SocketAddr) -> Exchange {
    read_reply_of(ctx, stream, client, Duration::ZERO)
}

/// [`read_reply`], with `patience` for a program that has not taken the
/// message off its socket when the reply's wait ends (see [`all_taken`]).
/// Only for a server alone with this client: where other clients hold
/// its sessions, the wait would outlast their LAB_TIMEOUT.
fn read_reply_of(
    ctx: &mut Ctx,
    stream: &mut TcpStream,
    client: SocketAddr,
    patience: Duration,
) -> Exchange {
    ctx.step("read the reply until the server closes the connection");
    let (reply, end, pause) = read_to_end_paused(stream, SLACK);
    // Asked while the connection is still open: closed, the server's read
    // would end.
    let drained = reply.is_empty() && end == End::Timeout && all_taken(stream, patience);
    Exchange {
        reply,
        end,
        client,
        pause,
        drained,
        received_shown: None,
    }
}

/// Has the server `p` printed a line saying it received a message?
fn printed_received(ctx: &mut Ctx, p: Proc) -> bool {
    ctx.child(p)
        .lines(Stream::Stdout)
        .iter()
        .any(|l| l.contains("Received"))
}

/// Has the program at the other end of `stream` taken every byte sent to
/// it off its socket (Linux: its receive queue), and still says nothing?
/// `false` where it cannot be told.
///
/// Trap: on a loaded machine a program may not have been given the CPU
/// to take them within the reply's wait (a Python server's read of a full
/// buffer was told without its reason once in a full suite run), so with
/// `patience` its queue is asked again for that long, and then the reply
/// is given half a second: one that comes meanwhile was late, not
/// waiting. Without it, the queue as the wait ends: a pool whose workers
/// free up later must not count as a read that waits (the fixture
/// fixedpool).
fn all_taken(stream: &TcpStream, patience: Duration) -> bool {
    #[cfg(target_os = "linux")]
    if let (Ok(peer), Ok(own)) = (stream.peer_addr(), stream.local_addr()) {
        /// How long a reply may still come once a slow program took the
        /// message.
        const LATE_REPLY: Duration = Duration::from_millis(500);
        let unread = || crate::grade::sockdiag::unread_bytes(peer, own);
        if patience.is_zero() {
            return unread() == Some(0);
        }
        let until = std::time::Instant::now() + patience;
        while unread() != Some(0) {
            if std::time::Instant::now() >= until {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let before = stream.read_timeout().ok().flatten();
        let _ = stream.set_read_timeout(Some(LATE_REPLY));
        let quiet = stream.peek(&mut [0u8]).is_err_and(|e| {
            matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            )
        });
        let _ = stream.set_read_timeout(before);
        return quiet;
    }
    let _ = (stream, patience);
    false
}

/// The text an ACK reply acknowledges (empty for any other reply), with a
/// U+FFFD at its end set aside: a read that ended inside a character
/// shows it so, and the rest is still the start of the message. For
/// telling a message read in a piece too small for it.
pub fn acked_text(reply: &[u8]) -> &[u8] {
    let acked = reply.strip_prefix(b"ACK: ".as_slice()).unwrap_or_default();
    acked
        .strip_suffix("\u{FFFD}".as_bytes())
        .filter(|start| !start.is_empty())
        .unwrap_or(acked)
}

/// Judges a one-shot reply: the right bytes, then the connection closed.
/// A wrong or missing reply is `mistake` (or `crash` if the server died
/// and the check is not about that).
/// The hint for a server that used its buffer past what its read returned.
pub const PAST_THE_READ_HINT: &str = "Use only the bytes the read returned: recv() returns their count n, and the buffer past them holds whatever was there before (an earlier message, an address written there, or nothing set at all). In C, put buf[n] = '\\0' before using it as a string (read at most sizeof buf - 1), or send and print exactly n bytes (`printf(\"%.*s\", n, buf)`); in Java, new String(buf, 0, n, StandardCharsets.UTF_8), not new String(buf); in Java NIO, flip() the ByteBuffer after the read and take its remaining() bytes (not the whole array, nor what lies past its position), then clear() it before the next read; and give an address its own buffer rather than reuse the message's.";

pub fn judge_reply(
    ctx: &mut Ctx,
    p: Proc,
    ex: &Exchange,
    want: &str,
    mistake: Diagnosis,
) -> Result<(), Failure> {
    let expected = format!("the reply `{want}` and then the connection closed");
    if ex.reply != want.as_bytes() {
        // Its read took the message and still waits (blind round 43: a
        // read of a full buffer, told as a wrong reply with nothing of
        // the read); unless it printed that it received it.
        let received = match ex.received_shown {
            Some(shown) => shown,
            None => printed_received(ctx, p),
        };
        let waits = ex.drained && !received;
        let observed = if ex.reply.is_empty() {
            match ex.end {
                End::Timeout if waits => format!(
                    "no reply within {}s, though the server had taken the message's bytes off its socket (none waited unread) and printed no Received line while the connection was open: its read waits for more than the message (a read until a line end, which the message does not have: Java's readLine, Python's makefile().readline() or asyncio's reader.readline(); a read of a fixed size: Java's readFully or readNBytes, Rust's read_exact, recv with MSG_WAITALL, Python's makefile().read(n) or asyncio's reader.readexactly(n); or a read until the connection closes: Rust's read_to_string or read_to_end). One recv of up to 1024 bytes returns what has come",
                    SLACK.as_secs()
                ),
                End::Timeout => format!("no reply within {}s", SLACK.as_secs()),
                End::Eof | End::Reset => "the connection was closed without a reply".to_string(),
            }
        } else {
            format!("the reply {}", show_bytes(&ex.reply))
        };
        // An ACK with the wrong text is a wrong reply whatever the check is
        // about (e.g. a hard-coded ACK in the length-limit check); so is a
        // reply that is no ACK and no error at all (an echo).
        // The right text with a line end or a NUL after it: the case was
        // handled, only the framing is wrong (`ERROR: Empty message\r\n`,
        // or C's strlen() + 1, which sends the string's terminator too).
        let added = ex
            .reply
            .strip_prefix(want.as_bytes())
            .filter(|rest| !rest.is_empty())
            .filter(|rest| rest.iter().all(|b| matches!(b, b'\r' | b'\n' | b'\0')));
        let line_end_added = added.is_some();
        // An error reply in the contract's words with more after them
        // (`ERROR: Message too long (max 100)`): the rule was kept, its
        // reply was not, which is a wrong reply, not the rule's mistake
        // (blind round 25).
        let more_words = want.starts_with("ERROR: ")
            && added.is_none()
            && ex.reply.len() > want.len()
            && ex.reply.starts_with(want.as_bytes());
        // The client's own address in the reply (`ACK: 0.1:53632`), which
        // no message holds: bytes left in the server's buffer from an
        // earlier use (its inet_ntop of this very client), sent past what
        // recv returned (blind round 64: told blank-message in one check
        // and wrong-reply in another, with hints about stripping and
        // decoding).
        // Give a dying program a moment so its traceback is in the report.
        let _ = ctx.wait_exit(p, Duration::from_millis(300));
        let crash = ctx.crash_of(p);
        let port = format!(":{}", ex.client.port());
        let leftover = !want.contains(&port) && String::from_utf8_lossy(&ex.reply).contains(&port);
        if leftover && crash.is_none() {
            return Err(fail(
                Diagnosis::WrongReply,
                expected,
                format!(
                    "{observed}: it holds `{port}`, this client's own port, which was never sent: the server's buffer still held its address from an earlier use, and the reply took bytes past what recv returned"
                ),
            )
            .hinted(PAST_THE_READ_HINT));
        }
        let mistake = if line_end_added
            || more_words
            || (want.starts_with("ACK: ")
                && !ex.reply.is_empty()
                && !ex.reply.starts_with(b"ERROR"))
        {
            Diagnosis::WrongReply
        } else {
            mistake
        };
        let observed = match added {
            Some(rest) if rest.iter().all(|b| *b == 0) => format!(
                "{observed}: the right text, then a NUL byte the contract does not have (sending strlen() + 1 bytes sends the string's terminator too)"
            ),
            Some(_) => {
                format!("{observed}: the right text, then a line end the contract does not have")
            }
            None if more_words => format!(
                "{observed}: refused, as it should be, but in more words than the contract's reply (exactly `{want}`)"
            ),
            None => observed,
        };
        if let Some(crash) = crash {
            let diagnosis = if mistake == Diagnosis::WrongReply || elsewhere(mistake, &crash) {
                Diagnosis::Crash
            } else {
                mistake
            };
            // A server that went on, or ended well, caught its error
            // (socketserver prints the traceback of what it caught).
            let died = ctx.child(p).try_status().is_some_and(|s| !s.success());
            let how = if died {
                "the server crashed"
            } else {
                "the session ended in an error"
            };
            return Err(fail(
                diagnosis,
                expected,
                format!("{observed}; {how}: {crash}"),
            ));
        }
        return Err(fail(mistake, expected, observed));
    }
    if ex.end == End::Timeout {
        // It says it closed this connection: a copy of the socket is still
        // open elsewhere (blind round 27: a forked server's parent kept
        // its copy; the headline only said "close the connection").
        let client = ex.client.to_string();
        let said_closed = ctx.child(p).lines(Stream::Stdout).iter().any(|l| {
            let l = l.trim_end();
            l == "[SERVER] Closed connection"
                || (l.contains("Closed connection") && l.contains(&client))
        });
        let why = if said_closed {
            ": it printed that it closed the connection: if close() was called, another descriptor of the socket is still open (a forked server's parent keeps its copy unless it closes it right after fork(); a makefile() or dup() of the socket keeps it open past close())"
        } else {
            ""
        };
        return Err(fail(
            Diagnosis::NoClose,
            expected,
            format!(
                "the reply came, but the connection was still open {}s later{why}",
                SLACK.as_secs()
            ),
        ));
    }
    // The right bytes, in pieces far apart: a client that reads once, as
    // the contract's client does (one message is what one read returns),
    // gets the first piece alone (blind round 27: `ACK: `, then the text
    // 150 ms later, passed every server check).
    if let Some(pause) = ex.pause {
        return Err(fail(
            Diagnosis::WrongReply,
            format!("{expected}, sent in one write"),
            format!(
                "the right reply, but in pieces: {} and then, {} ms later, the rest: a client's one read gets the first piece alone",
                show_bytes(&ex.reply[..pause.after]),
                pause.lasted.as_millis()
            ),
        )
        .hinted("Build the whole reply first (`ACK: ` and the message together), then send it with one call: sendall in Python, write_all in Rust, one write() or send() loop over the whole buffer in C, one socket.write() in Node. The client reads once, so what comes after a pause is lost to it."));
    }
    Ok(())
}

/// Did a server crash on an error of its own code rather than the rule's
/// (`crash`, the error it names, says which)? Bytes that are not UTF-8 kill
/// a server that does not catch its decode error (UnicodeDecodeError,
/// Utf8Error, MalformedInputException): the rule's mistake. A NameError on
/// the line that builds the refusal is no decode error: the rule is kept,
/// its code crashes (blind round 48: told invalid-utf8, with a hint to
/// catch the error it caught). Likewise for the other rules: an error
/// that a misspelt or misused name raises (NameError, AttributeError,
/// TypeError, Node's ReferenceError) is the branch's code, not a rule left
/// out (blind round 49: a NameError in the too-long branch told too-long,
/// "watch for an off-by-one"). A data-driven failure (an IndexError on an
/// empty message, a SIGSEGV) stays the rule's: its hint fits.
pub fn elsewhere(mistake: Diagnosis, crash: &str) -> bool {
    let lower = crash.to_lowercase();
    // A signal names no error: the rule's, as before.
    let named = !lower.starts_with("killed by") && !lower.contains("(signal ");
    let decoding = [
        "decod",
        "utf-8",
        "utf8",
        "malformed",
        "charactercoding",
        "encoding",
    ]
    .iter()
    .any(|w| lower.contains(w));
    let code = [
        "nameerror",
        "unboundlocalerror",
        "attributeerror",
        "typeerror",
        "referenceerror",
        "importerror",
        "modulenotfounderror",
    ]
    .iter()
    .any(|e| lower.contains(e));
    match mistake {
        Diagnosis::InvalidUtf8 => named && !decoding,
        Diagnosis::BlankMessage | Diagnosis::TooLong => named && code,
        _ => false,
    }
}

/// One request to a running server: connect, send `message`, expect
/// `ACK: <message>` and the close. Returns the probe's address.
pub fn ack_round(
    ctx: &mut Ctx,
    p: Proc,
    addr: SocketAddr,
    message: &str,
) -> Result<SocketAddr, Failure> {
    ack_round_seen(ctx, p, addr, message).map_err(|failed| failed.0)
}

/// [`ack_round`], its failure with the exchange that failed (none when
/// the connection itself failed): what came back tells a server that no
/// longer takes clients on from one that took this one and failed it.
pub fn ack_round_seen(
    ctx: &mut Ctx,
    p: Proc,
    addr: SocketAddr,
    message: &str,
) -> Result<SocketAddr, Box<(Failure, Exchange)>> {
    let (mut stream, client) = connect_and_send(ctx, addr, message.as_bytes())
        .map_err(|f| Box::new((f, Exchange::none(addr))))?;
    let ex = read_reply(ctx, &mut stream, client);
    match judge_reply(
        ctx,
        p,
        &ex,
        &format!("ACK: {message}"),
        Diagnosis::WrongReply,
    ) {
        Ok(()) => Ok(client),
        Err(f) => Err(Box::new((f, ex))),
    }
}

/// Explains why a long-running server that already served a client failed
/// the next one: it exited (`exits-early`, or `crash` if it died), or it is
/// still running but no longer answers (stuck on the client that left: a
/// 0-byte read it did not notice, `empty-recv`). Other failures stand.
pub fn after_served(ctx: &mut Ctx, p: Proc, failure: Failure, what: &str) -> Failure {
    after_served_by_rule(ctx, p, failure, what, None)
}

/// [`after_served`], and `rule` said after an exit with status 0 whose
/// cause the grader did not see (no traceback, no accept() that timed
/// out): most likely a rule of the program's own, such as a count of
/// clients served.
pub fn after_served_by_rule(
    ctx: &mut Ctx,
    p: Proc,
    failure: Failure,
    what: &str,
    rule: Option<&str>,
) -> Failure {
    let expected = format!("the server keeps serving {what}");
    // A server that is on its way out may still be closing its socket.
    match ctx.wait_exit(p, Duration::from_secs(1)) {
        Some(status) => {
            let ended = how_it_ended(ctx, p, status);
            let why = match rule {
                Some(rule)
                    if ended.cause == Cause::Unseen && ended.diagnosis == Diagnosis::ExitsEarly =>
                {
                    format!("{} {rule}", ended.why)
                }
                _ => ended.why,
            };
            // It ended itself, its last words a reset's: a session's error
            // that ends the whole program (blind round 68: a Java handler's
            // catch called System.exit, told with a hint about the accept
            // loop, which was right).
            let last = ctx
                .last_stderr_line(p)
                .map(|l| crate::grade::harness::truncate(&l, 160));
            // Named as survived_reset names the same end seen sooner.
            if ended.diagnosis == Diagnosis::ExitsEarly
                && last.as_deref().is_some_and(tells_of_a_reset)
            {
                return fail(
                    Diagnosis::Crash,
                    expected,
                    format!(
                        "{why}; its last stderr line: {:?}: one client's reset connection ended the whole server",
                        last.unwrap_or_default()
                    ),
                )
                .hinted(SESSION_ERROR_HINT);
            }
            fail(ended.diagnosis, expected, why)
        }
        // Alive, and its port refuses now, which took connections before:
        // whatever held the listening socket ended (blind round 42: a
        // pre-forked pool whose workers all died of resets, told as a
        // server that never listened).
        None if failure.diagnosis == Diagnosis::MissingListen => {
            // A crash only on a sign of one (a traceback, a panic, a
            // process killed by a signal, or a reset's error as its last
            // words); the line quoted so that it cannot close the quote
            // (hostile round 43: any stderr line made it a crash).
            let last = ctx
                .last_stderr_line(p)
                .map(|l| crate::grade::harness::truncate(&l, 160));
            let reset_words = last.as_deref().is_some_and(tells_of_a_reset);
            let said = last
                .as_deref()
                .map(|l| format!("; its last stderr line: {l:?}"))
                .unwrap_or_default();
            match ctx.crash_of(p) {
                // A reset's error in it: a session's error that ended the
                // server's listening (blind round 77: a Java handler's
                // System.exit, its shutdown hook closing the listener).
                Some(crash) if tells_of_a_reset(&crash) => fail(
                    Diagnosis::Crash,
                    expected,
                    format!("its port refuses connections {what}, though it took them before: its listening socket was closed after a client's reset ({crash})"),
                )
                .hinted(SESSION_ERROR_HINT),
                Some(crash) => fail(
                    Diagnosis::Crash,
                    expected,
                    format!("its port refuses connections {what}, though it took them before, and the program still runs: processes of it that held its listening socket died ({crash})"),
                ),
                None if reset_words => fail(
                    Diagnosis::Crash,
                    expected,
                    format!("its port refuses connections {what}, though it took them before, and the program still runs: the processes that held its listening socket ended, of a reset connection by their last words{said}"),
                ),
                None => fail(
                    Diagnosis::ExitsEarly,
                    expected,
                    format!("its port refuses connections {what}, though it took them before, and the program still runs: it closed its listening socket, or the processes that held it ended{said}"),
                ),
            }
        }
        // Alive but silent: most likely stuck on the client that left;
        // unless it answers no one at all, its ack check's finding (blind
        // round 77: a chat server that never flushed an ACK was told as
        // stuck, while its stdout showed the next client's message).
        None if failure.observed.starts_with("no reply") => {
            let stuck = fail(
                Diagnosis::EmptyRecv,
                expected,
                format!(
                    "{} — the server is still running but no longer answers: it may be stuck on the client that left",
                    failure.observed
                ),
            );
            // Stuck is the new client never taken: it waits in the
            // listener's accept queue (Linux). One taken and not answered
            // answers no one: its ack check's wrong reply. (Folded only
            // then: a stuck server with ACKs in other words had its stuck
            // loop hidden under that finding, hostile round 76.)
            if never_taken(ctx, p) {
                return stuck;
            }
            let role = ctx.role_of(p);
            if role == super::role::CHAT_SERVER {
                stuck.folded_if("chat-ack", &[Diagnosis::WrongReply])
            } else if role == super::role::THREADED_SERVER {
                stuck.folded_if("threaded-ack", &[Diagnosis::WrongReply])
            } else {
                stuck
            }
        }
        None => failure,
    }
}

/// The server `p`'s line saying it closed its connection with one of
/// `peers` (its own `Closed connection` line naming that peer): the
/// client's close in the contract's words (`closed without sending`) is
/// not one (hostile round 77). Linux: asked only of a connection the
/// socket table shows left open.
#[cfg(target_os = "linux")]
pub fn said_it_closed(ctx: &mut Ctx, p: Proc, peers: &[SocketAddr]) -> Option<String> {
    let lines: Vec<String> = [Stream::Stdout, Stream::Stderr]
        .into_iter()
        .flat_map(|s| ctx.child(p).lines(s))
        .collect();
    peers.iter().find_map(|peer| {
        let peer = peer.to_string();
        lines
            .iter()
            .find(|l| names_address(l, &peer) && l.to_lowercase().contains("closed connection"))
            .cloned()
    })
}

/// Does `line` name the address `addr` (`127.0.0.1:5555`), whole: not
/// the start of a longer port (`127.0.0.1:55551`; hostile round 78)?
#[cfg(target_os = "linux")]
fn names_address(line: &str, addr: &str) -> bool {
    line.match_indices(addr).any(|(at, _)| {
        !line[at + addr.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit())
    })
}

/// Does a connection wait, never accepted, in the accept queue of a
/// listener of the server `p`? Where that cannot be asked (not Linux), it
/// is taken to (a stuck server is the story told there).
fn never_taken(ctx: &mut Ctx, p: Proc) -> bool {
    #[cfg(target_os = "linux")]
    {
        let pid = ctx.child(p).pid();
        let ports =
            crate::grade::harness::listening_ports_of(pid, crate::grade::contract::Transport::Tcp);
        match ports {
            Some(ports) if !ports.is_empty() => ports
                .iter()
                .any(|&port| crate::grade::sockdiag::accept_queue(port).is_some_and(|n| n > 0)),
            _ => true,
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (ctx, p);
        true
    }
}

/// A server that ends itself on one client's error.
const SESSION_ERROR_HINT: &str = "An error in one client's session (a reset connection, a broken pipe, a client that left) must end that session only: catch it in the code that serves that client, close that client's socket, and let the accept loop go on. Never end the program from a session's code (System.exit, sys.exit, exit(), process.exit), nor let the error escape to code that does.";

/// Does `text` (a crash's description, an error line) name a reset
/// connection or a broken pipe, in any runtime's words (`Connection reset
/// by peer`, ECONNRESET, `BrokenPipeError`, `broken pipe`)?
pub fn tells_of_a_reset(text: &str) -> bool {
    let text = text.to_lowercase();
    text.contains("reset") || text.contains("broken pipe") || text.contains("brokenpipe")
}

/// The hint of a wait that does not take LAB_TIMEOUT (a number of its own,
/// or the variable in the wrong unit), instead of `ignores-config`'s
/// general one about every variable (blind round 31).
pub const TIMEOUT_HINT: &str = "Read LAB_TIMEOUT (whole seconds) from the environment, with the handout's default, and use it for this wait: a server times the connected client's data (`conn.settimeout(TIMEOUT)` on the accepted socket in Python, `set_read_timeout` in Rust, `setsockopt(SO_RCVTIMEO)` in C), a client its wait for the reply. Mind the unit: Java's `setSoTimeout` and Node's `socket.setTimeout` take milliseconds (`TIMEOUT * 1000`). A number written in the code passes only while it happens to be the default.";

/// The words of a client's line that says it gave up on a silent server
/// (`[CLIENT] Server did not respond in time`), in whatever wording round
/// them: what times its giving up.
pub const GAVE_UP: &str = "did not respond in time";

/// The number every program starts with in the variable `name` (the
/// contract's environment), if it has one.
pub fn contract_number(name: &str) -> Option<u64> {
    super::CONTRACT
        .env
        .iter()
        .find(|(var, _)| *var == name)
        .and_then(|(_, value)| value.parse().ok())
}

/// The LAB_TIMEOUT every program starts with (the contract's).
pub fn contract_timeout() -> u64 {
    contract_number("LAB_TIMEOUT").unwrap_or(2)
}

/// When the client `p` first said it gave up (its [`GAVE_UP`] line, on
/// either stream) at or after `since`, both on its own output's clock
/// (time since its start).
pub fn gave_up_at(ctx: &mut Ctx, p: Proc, since: Duration) -> Option<Duration> {
    [Stream::Stderr, Stream::Stdout]
        .into_iter()
        .flat_map(|s| ctx.child(p).timed_lines(s))
        .filter(|l| l.at >= since && l.text.contains(GAVE_UP))
        .map(|l| l.at)
        .min()
}

/// When the client `p` said it gave up (its [`GAVE_UP`] line, on either
/// stream), counted from its start, if that was less than half of its
/// LAB_TIMEOUT (`timeout`): no correct client can, as it connects and
/// sends before its wait begins. A timeout in the wrong unit (Node's
/// `socket.setTimeout(LAB_TIMEOUT)`, milliseconds), whatever the check
/// saw of it: a client that gave up before it sent, or before the reply.
/// Blind round 15: told wrong-message, invented-reply, and the server's
/// wrong-reply in the pair.
pub fn gave_up_at_once(ctx: &mut Ctx, p: Proc, timeout: Duration) -> Option<Duration> {
    gave_up_at(ctx, p, Duration::ZERO).filter(|at| *at < timeout / 2)
}

/// [`gave_up_at_once`]'s failure: client-timeout's finding, which names
/// the unit.
pub fn gave_up_at_once_failure(at: Duration, timeout: Duration) -> Failure {
    fail(
        Diagnosis::IgnoresConfig,
        format!(
            "the client waits up to LAB_TIMEOUT={}s for the reply",
            timeout.as_secs()
        ),
        format!(
            "it said it gave up (`{GAVE_UP}`) {:.2}s after it started, while LAB_TIMEOUT was {}s: its timeout ran out before a server could answer",
            at.as_secs_f64(),
            timeout.as_secs()
        ),
    )
    .hinted(TIMEOUT_HINT)
    .folded_if(
        "client-timeout",
        &[Diagnosis::IgnoresConfig, Diagnosis::ClientTimeout],
    )
}

/// LAB_TIMEOUT of a timeout check's second run, beside the first. The
/// first (LAB_TIMEOUT=1) cannot tell a program that reads the variable
/// from one with a timeout of its own between 1 and 1 + SLACK seconds (a
/// hard-coded 2 or 3 s): the slack that keeps a loaded machine from
/// failing a correct program lets it pass. A second run can: a program
/// that reads LAB_TIMEOUT gives up about 2 s later than in the first; one
/// with its own timeout, when it did before.
pub const SECOND_TIMEOUT: u64 = 3;

/// The second run must end at least this much later than the first. Half
/// the expected 2 s: a second of margin for either run's delays, either
/// way (a wake-up on a busy machine, an interpreter's exit).
pub const LATER_BY_AT_LEAST: Duration = Duration::from_secs(1);

/// What a timeout check's second run saw. It runs beside the first (the
/// check takes about 3 s, not 4), so it is timed by what cannot be late:
/// a thread of its own, or the program's own output clock.
pub enum SecondRun {
    /// It gave up this long after the clock started.
    GaveUp(Duration),
    /// It had not, SLACK + SECOND_TIMEOUT seconds after.
    StillWaiting,
    /// There was nothing to time (it never connected, or sent nothing):
    /// the first run judges that.
    Unseen,
}

impl SecondRun {
    /// Judges the second run beside the first, which gave up `first` after
    /// the clock started. `what` says what giving up was ("gave up",
    /// "closed the connection"), `from` where the clock started.
    pub fn judge(
        self,
        expected: &str,
        first: Duration,
        what: &str,
        from: &str,
    ) -> Result<(), Failure> {
        let observed = match self {
            SecondRun::GaveUp(second) if second >= first + LATER_BY_AT_LEAST => return Ok(()),
            SecondRun::Unseen => return Ok(()),
            SecondRun::GaveUp(second) => format!(
                "with LAB_TIMEOUT=1 it {what} {:.1}s after {from}, and with LAB_TIMEOUT={SECOND_TIMEOUT} {:.1}s after, not about {}s later: its timeout does not follow LAB_TIMEOUT (a number written in the code?)",
                first.as_secs_f64(),
                second.as_secs_f64(),
                SECOND_TIMEOUT - 1
            ),
            SecondRun::StillWaiting => format!(
                "with LAB_TIMEOUT=1 it {what} {:.1}s after {from}; with LAB_TIMEOUT={SECOND_TIMEOUT}, {}s after {from}, not yet: its timeout is not LAB_TIMEOUT seconds",
                first.as_secs_f64(),
                (SLACK + Duration::from_secs(SECOND_TIMEOUT)).as_secs()
            ),
        };
        Err(fail(Diagnosis::IgnoresConfig, expected, observed).hinted(TIMEOUT_HINT))
    }
}

/// The environment pair that sets LAB_TIMEOUT to `secs`.
pub fn timeout_env(secs: u64) -> (&'static str, String) {
    ("LAB_TIMEOUT", secs.to_string())
}

/// A server that has printed nothing while it ran: stop it with SIGINT
/// (as Ctrl+C would) so that what it holds in its stdout buffer comes out
/// at exit. True if something did.
pub fn stop_to_see_held_lines(ctx: &mut Ctx, p: Proc) -> bool {
    ctx.step("nothing on stdout yet: stop the server with SIGINT to see the lines it holds");
    let _ = ctx.child(p).signal(Signal::Interrupt);
    let _ = ctx.wait_exit(p, SLACK);
    !ctx.child(p).text(Stream::Stdout).is_empty()
}

/// Parses `HH:MM:SS` at the start of `text`; returns the rest.
pub fn strip_clock(text: &str) -> Option<&str> {
    let clock = text.get(..8)?;
    let parts: Vec<&str> = clock.split(':').collect();
    let valid = parts.len() == 3
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()))
        && parts[0] < "24"
        && parts[1] < "60"
        && parts[2] < "61";
    valid.then(|| &text[8..])
}

/// Is `line` exactly `[ACK @HH:MM:SS] message`?
pub fn is_chat_ack(line: &str, message: &str) -> bool {
    chat_acked(line) == Some(message)
}

/// The text a chat ACK line `[ACK @HH:MM:SS] text` acknowledges.
pub fn chat_acked(line: &str) -> Option<&str> {
    line.strip_prefix("[ACK @")
        .and_then(strip_clock)
        .and_then(|rest| rest.strip_prefix("] "))
}

/// The chat ACK line for `message`, its time this machine's local time
/// moved by `clock` (a fake server's own clock: zero for the machine's).
pub fn chat_ack_at(clock: chrono::Duration, message: &str) -> String {
    format!(
        "[ACK @{}] {message}",
        (chrono::Local::now() + clock).format("%H:%M:%S")
    )
}

/// Sends `signal` to a long-running server and expects the clean shutdown:
/// `[SERVER] Shutting down`, exit 0, and its port free again.
pub fn expect_clean_shutdown(
    ctx: &mut Ctx,
    p: Proc,
    addr: SocketAddr,
    signal: Signal,
    within: Duration,
) -> Result<(), Failure> {
    let expected_first = "the server is still running when the signal comes";
    if let Some(status) = ctx.child(p).try_status() {
        let diagnosis = if status.success() {
            Diagnosis::ExitsEarly
        } else {
            Diagnosis::Crash
        };
        return Err(fail(
            diagnosis,
            expected_first,
            format!("it had already exited ({})", describe_status(status)),
        ));
    }
    ctx.signal(p, signal);
    let expected = format!(
        "after {}: the line `[SERVER] Shutting down`, exit status 0 within {}s, port {} free",
        signal.name(),
        within.as_secs(),
        addr.port()
    );
    let status = ctx.wait_exit(p, within);
    let line = said_goodbye(ctx, p, Stream::Stdout);
    // Bound first: a free port needs no probe connection (whose refusal
    // would show on the wire); a port that is not free may be held only by
    // TIME_WAIT (see `port_is_free`), told apart by connecting.
    let exited = status.is_some();
    let free = exited && port_is_free(addr.port());
    let still_listens = exited && !free && !nothing_listens_on(addr.port());
    let observed = match status {
        None if ctx.ignores(p, signal) => Some(format!(
            "still running {}s after {}: it ignores that signal (SIG_IGN, as its signal mask in /proc says), so it never reaches the program: give SIGINT and SIGTERM the same clean shutdown",
            within.as_secs(),
            signal.name()
        )),
        None => Some(format!(
            "still running {}s after {}",
            within.as_secs(),
            signal.name()
        )),
        // The command's first process died of the signal although the server
        // said goodbye: a wrapper (a shell script without `exec`) took it.
        Some(s)
            if s.code().is_none()
                && line
                && describe_status(s).contains(&format!("{} ", signal.name())) =>
        {
            Some(format!(
                "the server printed `Shutting down`, but the command's first process was {}: if the command is a wrapper script, start the server with `exec`",
                describe_status(s)
            ))
        }
        // Another signal after the goodbye: it died on its way out (a
        // Python daemon thread holding stdout at the interpreter's end,
        // `Fatal Python error`, SIGABRT), no wrapper of the grader's
        // signal (the fixture activecount, told "start it with exec").
        Some(s) if s.code().is_none() && line => {
            let fatal = ctx
                .child(p)
                .lines(Stream::Stderr)
                .into_iter()
                .find(|l| l.starts_with("Fatal Python error"));
            let last = fatal
                .map(|l| crate::grade::harness::truncate(l.trim_end(), 160))
                .or_else(|| ctx.last_stderr_line(p))
                .map(|l| format!(", saying `{l}`"))
                .unwrap_or_default();
            Some(format!(
                "the server printed `Shutting down`, then died on its way out: {}{last}",
                describe_status(s)
            ))
        }
        Some(s) if s.code() != Some(0) => Some(describe_status(s)),
        Some(_) if !line => Some("it exited 0 without printing `[SERVER] Shutting down`".into()),
        Some(_) if still_listens => Some(format!(
            "port {} still accepts connections after the exit",
            addr.port()
        )),
        Some(_) => None,
    };
    // Shut down cleanly, but a restart would fail: the connections it
    // closed first are in TIME_WAIT and it never set SO_REUSEADDR (see
    // `port_is_free`). That is the mistake, not the shutdown.
    if observed.is_none() && !free {
        return Err(fail(
            Diagnosis::NoReuseaddr,
            expected,
            format!(
                "it shut down cleanly, but port {} cannot be bound again at once: the connections it closed are in TIME_WAIT, so without SO_REUSEADDR a restart now fails with `address already in use`",
                addr.port()
            ),
        ));
    }
    // A shutdown that was clean but said so in other words (`Shutting
    // down...`): the line's wording, not the shutdown, is the mistake.
    let clean_but_worded = !line && status.is_some_and(|s| s.code() == Some(0)) && !still_listens;
    if clean_but_worded {
        if let Some(f) = shutdown_line_on_stderr(
            ctx,
            p,
            &expected,
            &format!(
                "it shut down cleanly (exit 0, port {} free), but",
                addr.port()
            ),
        ) {
            return Err(f);
        }
        let lines = ctx.child(p).lines(Stream::Stdout);
        let want = GOODBYE;
        if crate::grade::compare::closest(want, &lines).is_some() {
            return Err(fail(
                Diagnosis::OutputFormat,
                expected,
                format!(
                    "it shut down cleanly (exit 0, port {} free), but {}",
                    addr.port(),
                    crate::grade::compare::no_such_line(want, &lines, "")
                ),
            ));
        }
    }
    // Everything right but the status it chose (`sys.exit(130)`, `128 +
    // signum`, as a shell reports a program the signal killed): the
    // shutdown was handled, its exit status is the mistake (blind round 27).
    let own_status = status.and_then(|s| s.code()).filter(|&c| c != 0);
    // Python's `sys.exit("[SERVER] Shutting down")`: the line on stderr and
    // exit 1, both from the one call (blind round 29: called a shutdown
    // not handled).
    let goodbye_on_stderr = own_status.is_some() && said_goodbye(ctx, p, Stream::Stderr);
    if let Some(code) = own_status.filter(|_| !line && !still_listens && goodbye_on_stderr) {
        return Err(fail(
            Diagnosis::ExitStatus,
            expected,
            format!(
                "it shut down (port {} no longer listening), but `[SERVER] Shutting down` went to stderr and it exited {code}: `sys.exit(\"[SERVER] Shutting down\")` does both (it prints its text to stderr and exits 1); print the line to stdout, then exit 0",
                addr.port()
            ),
        ));
    }
    if let Some(code) = own_status {
        if line && !still_listens && ctx.crash_of(p).is_none() {
            let f = fail(
                Diagnosis::ExitStatus,
                expected,
                format!(
                    "it shut down cleanly (`[SERVER] Shutting down`, port {} free), but exited {code}: a server that handles {} ends its day normally, with 0 (128 + the signal's number is what a shell reports for a program the signal killed, and what a JVM exits with after its shutdown hooks)",
                    addr.port(),
                    signal.name()
                ),
            );
            // A JVM's status after its shutdown hooks (blind rounds 46
            // and 47: the general hint spoke of sys.exit and process::exit).
            if code != 130 && code != 143 {
                return Err(f);
            }
            return Err(f.hinted(
                "Exit 0 once the shutdown is done. 130 and 143 (128 + the number of SIGINT or SIGTERM) are what a JVM exits with after its shutdown hooks have run, and what a shell reports for a program the signal killed: in Java, handle the signal itself (`sun.misc.Signal.handle(new Signal(\"TERM\"), s -> ...)`, and INT likewise), do the shutdown there and end with System.exit(0); a shutdown hook alone cannot change the status. Elsewhere, catch the signal and return from main normally.",
            ));
        }
    }
    match observed {
        Some(observed) => Err(fail(Diagnosis::NoGracefulShutdown, expected, observed)),
        None => Ok(()),
    }
}

/// A long-running server's goodbye line, the contract's words.
pub const GOODBYE: &str = "[SERVER] Shutting down";

/// Has the program printed the goodbye line, whole, on `stream`?
pub fn said_goodbye(ctx: &mut Ctx, p: Proc, stream: Stream) -> bool {
    ctx.child(p)
        .lines(stream)
        .iter()
        .any(|l| l.trim_end() == GOODBYE)
}

/// The goodbye line, right but on stderr (a logging library's default): the
/// stream is the mistake, the one its line check names when the Listening
/// line went there too, not the shutdown (blind round 6: `logging`).
pub fn shutdown_line_on_stderr(
    ctx: &mut Ctx,
    p: Proc,
    expected: &str,
    clean: &str,
) -> Option<Failure> {
    let want = GOODBYE;
    if !said_goodbye(ctx, p, Stream::Stderr) {
        return None;
    }
    let failure = fail(
        Diagnosis::OutputFormat,
        expected,
        format!("{clean} `{want}` went to stderr, not stdout"),
    );
    Some(match ctx.role_of(p).line_check() {
        Some(id) => failure.caused_by(id),
        None => failure,
    })
}

/// Text with raw control characters in it, shown so that they cannot be
/// taken for their escapes: a raw tab as `⟨TAB⟩`, a raw ESC as `⟨ESC⟩`,
/// any other as `⟨U+001F⟩` (line ends escaped as the console escapes
/// them). Blind round 22: a record
/// with a raw tab, shown escaped as `\t`, read exactly like the escaped
/// record the check asked for.
pub fn raw_controls_named(text: &str) -> String {
    let named: String = text
        .chars()
        .map(|c| match c {
            '\t' => "⟨TAB⟩".to_string(),
            '\u{1b}' => "⟨ESC⟩".to_string(),
            // Line ends keep the console's escapes (a record holds none).
            '\n' | '\r' => c.to_string(),
            c if c.is_control() => format!("⟨U+{:04X}⟩", u32::from(c)),
            c => c.to_string(),
        })
        .collect();
    crate::message::escape_controls(&named).into_owned()
}

#[cfg(test)]
mod tests {
    /// Leftovers are bytes no text has, or a piece of another line glued
    /// on; a program's own words after a line, a colour reset or a tab
    /// are not (hostile round 71).
    #[test]
    fn leftovers_are_told_from_a_program_s_own_words() {
        let lines: Vec<String> = [
            "[CLIENT] Connected to 127.0.0.1:39037",
            "[CLIENT] Sending: Hello Server",
            "[CLIENT] Received: ACK: Hello ServerCLIENT] Sending: Hello Server",
        ]
        .map(String::from)
        .to_vec();
        let seen = lines[2].as_str();
        let past = |rest: &str| super::bytes_past_the_read(seen, rest, &lines);
        assert!(past("CLIENT] Sending: Hello Server"));
        assert!(past("\\x8C\\x85"));
        assert!(past("\\u{0}\\u{0}\\u{0}"));
        assert!(past("\u{0}"));
        assert!(past("ab\u{fffd}"));
        assert!(!past(" (took 3 ms)"));
        assert!(!past(" 127.0.0.1:39037"));
        assert!(!past(" Hello Server"));
        assert!(!past("\u{1b}[0m"));
        assert!(!past("\t(3 ms)"));
    }
    use super::{SecondRun, LATER_BY_AT_LEAST};
    use crate::grade::diagnosis::Diagnosis;
    use std::time::Duration;

    fn judged(run: SecondRun, first_ms: u64) -> Option<Diagnosis> {
        run.judge(
            "expected",
            Duration::from_millis(first_ms),
            "gave up",
            "sending",
        )
        .err()
        .map(|f| f.diagnosis)
    }

    #[test]
    fn a_second_run_must_end_later_by_the_difference_of_the_timeouts() {
        let at = |ms| SecondRun::GaveUp(Duration::from_millis(ms));
        // Reads LAB_TIMEOUT: 1 s, then 3 s, give or take a busy machine.
        assert_eq!(judged(at(3_000), 1_000), None);
        assert_eq!(judged(at(2_600), 1_300), None);
        // A timeout of its own: the same either way, wherever it lies in
        // the first run's slack.
        for own in [1_500, 2_000, 3_000, 3_900] {
            assert_eq!(
                judged(at(own + 50), own),
                Some(Diagnosis::IgnoresConfig),
                "{own} ms"
            );
        }
        let just = 1_000 + LATER_BY_AT_LEAST.as_millis() as u64;
        assert_eq!(judged(at(just), 1_000), None);
        assert_eq!(judged(at(just - 1), 1_000), Some(Diagnosis::IgnoresConfig));
        assert_eq!(
            judged(SecondRun::StillWaiting, 1_000),
            Some(Diagnosis::IgnoresConfig)
        );
        // Nothing to time: the first run judged what there was.
        assert_eq!(judged(SecondRun::Unseen, 1_000), None);
    }
}
