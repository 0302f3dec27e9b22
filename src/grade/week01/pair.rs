//! Pair checks: the submission's own client against its own server, as a
//! student runs them in two terminals.

use std::time::Duration;

use super::common::{expect_exit, is_chat_ack, GAVE_UP};
use super::role;
use crate::grade::diagnosis::Diagnosis;
use crate::grade::harness::{fail, Ctx, Failure, SLACK};
use crate::process::Stream;

/// A program of the pair that could not start at all is its role's
/// finding, told by that role's first check (`check`), not one more of the
/// pair's: a missing program was counted twice.
fn its_roles_start(failure: Failure, check: &'static str) -> Failure {
    if failure.diagnosis.is_a_failed_start() {
        failure.folded_if(check, &[Diagnosis::StartupFailure, Diagnosis::CannotStart])
    } else {
        failure
    }
}

/// The one-shot server started once more and sent a short message at
/// once by a probe: its reply, when it is the contract's ACK.
fn answers_at_once(ctx: &mut Ctx) -> Option<String> {
    let message = ctx.message(10);
    ctx.step(format!(
        "start the server once more and send `{message}` at once: does its read return a message?"
    ));
    let (_, ex) = super::common::exchange(ctx, role::SERVER, &[], message.as_bytes()).ok()?;
    let want = format!("ACK: {message}");
    (ex.reply == want.as_bytes()).then_some(want)
}

/// The one-shot server said its session was a connection that sent
/// nothing (the contract's `closed without sending` line): the client's
/// message came on another connection, after the server's one session
/// was used up. client-one-connection's finding first, where it saw an
/// extra connection; then server-ack's, as before (blind round 73: told
/// as the server's wrong reply, which that server also had, while the
/// story showed the extra connection).
fn session_used_up(
    ctx: &mut Ctx,
    server: crate::grade::harness::Proc,
    message: &str,
    mut failure: Failure,
) -> Failure {
    // A session's line (it names the client's address), in a server
    // that received nothing in its one session: a banner that explains
    // the words, or a session that had its message, is none (hostile
    // round 76).
    // And soon after the connection: an empty connection ends at once,
    // where a server whose read waits for a line end says so only at its
    // timeout (hostile round 77: a correct client was pointed at).
    let lines: Vec<crate::process::Line> = [Stream::Stdout, Stream::Stderr]
        .into_iter()
        .flat_map(|s| ctx.child(server).timed_lines(s))
        .collect();
    let received: Vec<&str> = lines
        .iter()
        .filter(|l| l.text.contains("Received"))
        .map(|l| l.text.as_str())
        .collect();
    if received.iter().any(|l| l.contains(message)) {
        return failure;
    }
    if !received.is_empty() {
        // Its session had a message, not the client's: a connection of
        // its own that sent one? (hostile round 79: `ping`, and a correct
        // client refused after it was told to change its exit status.)
        return its_own_session(ctx, &failure.expected).unwrap_or(failure);
    }
    let connected = lines
        .iter()
        .filter(|l| l.text.contains("Connection from"))
        .map(|l| l.at)
        .min()
        .unwrap_or_default();
    let soon = Duration::from_secs(super::common::contract_timeout()) / 2;
    let line = lines.into_iter().find(|l| {
        l.text.contains("without sending")
            && (l.text.contains("127.0.0.1:") || l.text.contains("::1]:"))
            && l.at.saturating_sub(connected) < soon
    });
    let Some(line) = line.map(|l| l.text) else {
        return failure;
    };
    // The server's own connection, not the client's (hostile round 78: a
    // correct client, refused, was told to change its exit status).
    if let Some(own) = its_own_session(ctx, &failure.expected) {
        return own;
    }
    failure.observed = format!(
        "{}; the server's one session was a connection that sent nothing (`{}`): a client that connects more than once (see client-one-connection) sends its message after the one-shot server's session is over",
        failure.observed,
        line.trim_end()
    );
    if matches!(failure.cause, None | Some("server-ack")) {
        failure.cause = None;
        failure.otherwise = None;
        failure = failure.or_folded_if(&[
            ("client-one-connection", &[Diagnosis::ExtraConnection]),
            ("server-ack", &[Diagnosis::WrongReply, Diagnosis::Crash]),
        ]);
    }
    failure
}

/// The one-shot server's own connection, when started alone it has a
/// session anyway: its finding (server-ack's, where that saw it), not the
/// client's that found no server after it.
fn its_own_session(ctx: &mut Ctx, expected: &str) -> Option<Failure> {
    super::common::its_own_session(ctx, expected)
        .map(|f| f.folded_if("server-ack", &[Diagnosis::ExtraConnection]))
}

/// A client whose first connection is an extra one (a "test" connect)
/// uses up the one-shot server's session: its real one is then refused,
/// reset or left unanswered, by timing (blind round 34: three names in
/// four runs). client-one-connection's finding when it saw one, whatever
/// pair-session made of it.
const ONE_CONNECTION: &[crate::grade::OtherCause] =
    &[("client-one-connection", &[Diagnosis::ExtraConnection])];

pub fn session(ctx: &mut Ctx) -> Result<(), Failure> {
    let (server, addr) = ctx
        .start_server(role::SERVER, &[], &[])
        .map_err(|f| its_roles_start(f, "server-listening"))?;
    let message = ctx.message(20);
    let client = ctx
        .spawn(
            role::CLIENT,
            std::slice::from_ref(&message),
            &[("LAB_PORT", addr.port().to_string())],
        )
        .map_err(|f| its_roles_start(f, "client-ack"))?;
    let reply = format!("ACK: {message}");
    expect_exit(ctx, client, SLACK + SLACK, 0, Diagnosis::Crash)
        .map_err(|f| {
            died_at_start(ctx, server, client, &f.expected)
                .or_else(|| refused_though_listening(ctx, server, client, addr, &f))
                .or_else(|| waited_for_a_close(ctx, server, client, &f, &reply))
                .or_else(|| server_hung_up(ctx, server, client, &f))
                .or_else(|| client_crashed(ctx, server, client, &f))
                .unwrap_or_else(|| no_reply_came(ctx, client, f, &reply, "server-ack"))
        })
        .map_err(|f| match f.otherwise {
            // no_reply_came's own places to fold (client-ack's among them)
            // stay: replaced by the one below, a client that sent nothing was
            // told as the server's wrong reply (blind round 68).
            Some(_) => f,
            None => f.or_folded_if(ONE_CONNECTION),
        })
        .map_err(|f| session_used_up(ctx, server, &message, f))?;
    let want = format!("[CLIENT] Received: ACK: {message}");
    let lines = ctx.child(client).lines(Stream::Stdout);
    if !lines.iter().any(|l| l.trim_end() == want) {
        // The line, on stderr (a logging library's default): client-ack's
        // finding, the same stream, not a wrong reply.
        let on_stderr = ctx.child(client).lines(Stream::Stderr);
        if on_stderr.iter().any(|l| l.trim_end() == want) {
            return Err(fail(
                Diagnosis::OutputFormat,
                format!("the client prints `{want}`"),
                format!("`{want}` went to stderr, not stdout"),
            )
            .caused_by("client-ack"));
        }
        // The line exactly, then an escaped line end: the reply had one of
        // its own, shown escaped as the contract asks (blind round 5: it
        // was blamed on the client's wording). The server's, and
        // server-ack's finding when it saw that reply too.
        let escaped_end = lines.iter().find(|l| {
            ["\\n", "\\r\\n", "\\r"]
                .iter()
                .any(|end| l.trim_end() == format!("{want}{end}"))
        });
        if let Some(line) = escaped_end {
            return Err(fail(
                Diagnosis::WrongReply,
                format!("the client prints `{want}`"),
                format!(
                    "the client printed `{}`: the reply it got ended in a line end (the contract's reply has none), shown escaped: the server added it (see server-ack), or echoed one the client sent with its message (see client-ack)",
                    line.trim_end()
                ),
            )
            .folded_if("server-ack", &[Diagnosis::WrongReply]));
        }
        // The reply came (the client printed it) in a line worded
        // otherwise: client-ack's finding, not a wrong reply.
        if lines.iter().any(|l| shows_reply(l, &reply)) {
            return Err(fail(
                Diagnosis::OutputFormat,
                format!("the client prints `{want}`"),
                crate::grade::compare::no_such_line(&want, &lines, ""),
            )
            .caused_by("client-ack"));
        }
        let failure = fail(
            Diagnosis::WrongReply,
            format!("the client prints `{want}`"),
            crate::grade::compare::no_such_line(&want, &lines, ""),
        );
        // The reply whole, with more after it (`ACK: hi (30 bytes)`): the
        // server sent more, or the client printed more. client-ack tells
        // which (this client against the grader's own server): when it
        // found the client's line worded otherwise, this is that mistake
        // again; when it passed, the more came from this server.
        if lines.iter().any(|l| l.contains(&reply)) {
            return Err(failure.folded_if("client-ack", &[Diagnosis::OutputFormat]));
        }
        // Another reply than the contract's, which server-ack saw too (a
        // reply in pieces, whose first alone this client read: blind
        // round 27): that mistake, once. Else none at all, after the
        // client's extra connection used up the server's one session (a
        // client that takes a reset for an empty reply, and exits 0:
        // blind round 37 D2): client-one-connection's finding.
        // Or the client sent its message in pieces, a pause apart, and
        // the server answered the first (hostile round 51): client-ack's
        // wrong-message.
        return Err(failure
            .folded_if("server-ack", &[Diagnosis::WrongReply])
            .or_folded_if(&[
                ("client-one-connection", &[Diagnosis::ExtraConnection]),
                ("client-ack", &[Diagnosis::WrongMessage]),
            ]));
    }
    // A server that does not end after its session, or ends with another
    // status, does so in server-ack's session too: its finding, once.
    // (server-ack may have stopped at a wrong reply before it judged the
    // exit: then the exit status of server-empty-recv or
    // server-silent-client, the same mistake where a session has no reply
    // to get wrong; blind round 35.)
    expect_exit(ctx, server, SLACK, 0, Diagnosis::Crash).map_err(|f| {
        if matches!(f.diagnosis, Diagnosis::Hangs | Diagnosis::ExitStatus) {
            f.caused_by("server-ack").or_folded_if(&[
                ("server-empty-recv", &[Diagnosis::ExitStatus]),
                ("server-silent-client", &[Diagnosis::ExitStatus]),
            ])
        } else {
            f
        }
    })
}

/// The client could not connect (it said so, and exited 1, as a refused
/// client should) while the server listened where LAB_HOST and LAB_PORT
/// said: the client went somewhere else (a port of its own, or one read
/// from a file a first run left behind: blind round 28), not a wrong
/// exit status.
fn refused_though_listening(
    ctx: &mut Ctx,
    server: crate::grade::harness::Proc,
    client: crate::grade::harness::Proc,
    addr: std::net::SocketAddr,
    failure: &Failure,
) -> Option<Failure> {
    if failure.diagnosis != Diagnosis::ExitStatus {
        return None;
    }
    // Still there: a one-shot server whose session an extra connection of
    // the client's used up has ended, and refuses the real one for that
    // (extra-connection, the client's line check's). Given a moment to be
    // seen ended: it may be exiting still (blind round 34: its refusal was
    // taken for a client connecting elsewhere).
    if ctx
        .child(server)
        .wait_exit(Duration::from_millis(500))
        .is_some()
    {
        return None;
    }
    let said = [Stream::Stderr, Stream::Stdout]
        .into_iter()
        .flat_map(|s| ctx.child(client).lines(s))
        .find(|l| {
            let l = l.to_lowercase();
            l.contains("refused") || l.contains("could not connect") || l.contains("cannot connect")
        })?;
    Some(
        fail(
            Diagnosis::IgnoresConfig,
            "the client connects to the server at LAB_HOST:LAB_PORT",
            format!(
                "the client could not connect (`{}`) while the server was listening on {addr}, where LAB_HOST and LAB_PORT said: it connects somewhere else (a port written in the code, or one read from a file an earlier run left?)",
                said.trim_end()
            ),
        )
        .folded_if("client-timeout", &[Diagnosis::IgnoresConfig]),
    )
}

/// The client said the server closed the connection without a reply, and
/// exited 1 as the contract asks: the server's doing, not the client's
/// exit status (blind round 24: exit-status, with a hint about exit codes,
/// for a correct client). A server that said its client sent nothing,
/// while this one had sent its message, gave up too soon: the timeout in
/// the wrong unit that server-silent-client names.
fn server_hung_up(
    ctx: &mut Ctx,
    server: crate::grade::harness::Proc,
    client: crate::grade::harness::Proc,
    failure: &Failure,
) -> Option<Failure> {
    if failure.diagnosis != Diagnosis::ExitStatus {
        return None;
    }
    let said = [Stream::Stderr, Stream::Stdout]
        .into_iter()
        .flat_map(|s| ctx.child(client).lines(s))
        .find(|l| l.contains("without replying"))?;
    let expected =
        "the server answers the client's message, and the client prints the reply and exits 0";
    let early = [Stream::Stdout, Stream::Stderr]
        .into_iter()
        .flat_map(|s| ctx.child(server).timed_lines(s))
        .find(|l| l.text.contains("sent nothing"));
    // Said a whole LAB_TIMEOUT after the connection: its timeout is right
    // (blind round 77: a readLine server was told its timeout was in
    // milliseconds). Either its read never returned the message (it waits
    // for a line end, or for more): server-ack's wrong reply; or no
    // message had come: the client's. Asked of the server alone below.
    if let Some(line) = &early {
        let connected = [Stream::Stdout, Stream::Stderr]
            .into_iter()
            .flat_map(|s| ctx.child(server).timed_lines(s))
            .filter(|l| l.text.contains("Connection from"))
            .map(|l| l.at)
            .min()
            .unwrap_or_default();
        let timeout = Duration::from_secs(super::common::contract_timeout());
        if line.at.saturating_sub(connected) >= timeout * 3 / 4 {
            // Its read, or the client's late message? The server alone,
            // sent a message at once, tells (hostile round 76: a client
            // that slept before it sent had a correct server blamed).
            if let Some(answered) = answers_at_once(ctx) {
                return Some(
                    fail(
                        Diagnosis::WrongMessage,
                        expected,
                        format!(
                            "the server said `{}` LAB_TIMEOUT after the client connected: the client's message had not come (started again and sent a message at once, the server answered `{answered}`): the client sends its message late, after a wait of its own, or on another connection; it said `{}` and exited 1",
                            line.text.trim_end(),
                            said.trim_end()
                        ),
                    )
                    .or_folded_if(&[
                        ("client-ack", &[Diagnosis::WrongMessage]),
                        ("client-one-connection", &[Diagnosis::ExtraConnection]),
                    ]),
                );
            }
            return Some(
                fail(
                    Diagnosis::WrongReply,
                    expected,
                    format!(
                        "the server said `{}` LAB_TIMEOUT after the connection, and, started again and sent a message at once, it did not answer that either: its read waits for more than a message holds (a line end, which the message does not have, or more bytes); the client said `{}` and exited 1: see server-ack",
                        line.text.trim_end(),
                        said.trim_end()
                    ),
                )
                .folded_if("server-ack", &[Diagnosis::WrongReply]),
            );
        }
    }
    let early = early.map(|l| l.text);
    Some(match early {
        Some(line) => fail(
            Diagnosis::IgnoresConfig,
            expected,
            format!(
                "the server said `{}` although the client had sent its message, and closed the connection; the client said so (`{}`) and exited 1, as it should: the server's timeout ran out far too soon (milliseconds where LAB_TIMEOUT is in seconds?)",
                line.trim_end(),
                said.trim_end()
            ),
        )
        .folded_if("server-silent-client", &[Diagnosis::IgnoresConfig]),
        None => {
            // The server said it sent the reply: a client that shut its
            // connection down before reading lost it (blind round 39:
            // told as the server's close alone, two runs in three).
            let sent = [Stream::Stdout, Stream::Stderr]
                .into_iter()
                .flat_map(|s| ctx.child(server).lines(s))
                .find(|l| l.starts_with("[SERVER] Sent:"));
            let observed = match sent {
                Some(line) => format!(
                    "the server said it sent the reply (`{}`), and the client said it got none (`{}`): a client that shuts its connection down before it reads loses the reply (see client-ack), a server that says so without sending it (see server-ack)",
                    line.trim_end(),
                    said.trim_end()
                ),
                None => format!(
                    "the server closed the connection without a reply; the client said so (`{}`) and exited 1, as it should: see server-ack",
                    said.trim_end()
                ),
            };
            fail(Diagnosis::WrongReply, expected, observed)
                .folded_if("server-ack", &[Diagnosis::WrongReply, Diagnosis::Crash])
                .or_folded_if(&[("client-ack", &[Diagnosis::ClosedEarly])])
        }
    })
}

/// The client gave up waiting (`Server did not respond in time`) a second
/// or more after the server said it had sent the reply, and the server did
/// not say it closed before that: the connection stayed open, and this
/// client reads until the server closes it (to
/// EOF: right against a server that closes, as the contract's does). The
/// server's no-close, server-ack's finding when it saw it too; not the
/// client's exit status (blind round 9: the hint told a correct client to
/// exit otherwise). Timed by each program's own output clock: the server
/// may close as soon as the client leaves, before this thread looks.
fn waited_for_a_close(
    ctx: &mut Ctx,
    server: crate::grade::harness::Proc,
    client: crate::grade::harness::Proc,
    failure: &Failure,
    reply: &str,
) -> Option<Failure> {
    let gave_up = [Stream::Stderr, Stream::Stdout]
        .into_iter()
        .filter_map(|s| printed_ago(ctx, client, s, |l| l.contains(GAVE_UP)))
        .max()?;
    let sent = printed_ago(ctx, server, Stream::Stdout, |l| l.contains(reply))?;
    // And its `Closed connection` came only once the client had given up
    // (not well before: then the server closed, and the client missed
    // it). Trap: when the client gives up, the server closes within a
    // millisecond, and the two lines reach their readers in either order:
    // "before" must be by a clear margin (a clean-clone run failed so).
    let closed = printed_ago(ctx, server, Stream::Stdout, |l| {
        l.contains("Closed connection")
    });
    let closed_first = closed.is_some_and(|c| c > gave_up + Duration::from_millis(500));
    if sent < gave_up + Duration::from_secs(1) || closed_first {
        return None;
    }
    Some(
        fail(
            Diagnosis::NoClose,
            failure.expected.clone(),
            format!(
                "the client gave up waiting (`[CLIENT] Server did not respond in time`) {:.1}s after the server said it sent `{reply}`: the server did not close the connection after its reply, and this client reads until it does",
                (sent - gave_up).as_secs_f64()
            ),
        )
        .caused_by("server-ack"),
    )
}

/// The client crashed (a traceback, a panic) in the pair: said as the
/// client's, since the pair has two programs. A client that opens an
/// extra connection first ("is the server up?") uses up a one-shot
/// server's only session, and its real connection is reset when that
/// server ends: client-ack's wrong-message when it saw that connection
/// (blind round 10: a crash of its own, under a hint for servers).
fn client_crashed(
    ctx: &mut Ctx,
    server: crate::grade::harness::Proc,
    client: crate::grade::harness::Proc,
    failure: &Failure,
) -> Option<Failure> {
    if failure.diagnosis != Diagnosis::Crash {
        return None;
    }
    let crash = ctx.crash_of(client)?;
    // The server's one session went to a connection closed without
    // sending, and the client then died of a refused or reset connection:
    // its own extra connection used the session up (blind round 21: told
    // as a crash, with a hint about servers). A client that died before
    // it sent, on its only connection, dies of something else.
    let refused = {
        let crash = crash.to_lowercase();
        crash.contains("refused") || crash.contains("reset")
    };
    let note = [Stream::Stdout, Stream::Stderr]
        .into_iter()
        .find_map(|s| {
            ctx.child(server)
                .lines(s)
                .into_iter()
                .find(|l| l.contains("without sending"))
        })
        .filter(|_| refused);
    if let Some(note) = note {
        return Some(
            fail(
                Diagnosis::ExtraConnection,
                failure.expected.clone(),
                format!(
                    "the client crashed: {crash}; before, the server served a connection that sent nothing (`{}`) and ended: the client's extra connection took the one session",
                    crate::grade::harness::truncate(note.trim_end(), 120)
                ),
            )
            .caused_by("client-one-connection"),
        );
    }
    Some(
        fail(
            Diagnosis::Crash,
            failure.expected.clone(),
            format!("the client crashed: {crash}"),
        )
        .folded_if("client-ack", &[Diagnosis::WrongMessage]),
    )
}

/// A chat client that died while the server never showed one of its lines
/// died waiting for ACKs to lines that never left it (a writer never
/// flushed, Java's PrintWriter without autoflush, then its own read
/// timeout): the mistake chat-client-messages names when nothing reached
/// its fake server (wrong-message), folded under it (blind round 21: a
/// second finding, with a hint about servers). A server whose lines are
/// all in a buffer shows nothing either way: its crash stands.
fn died_of_unsent_lines(
    ctx: &mut Ctx,
    server: crate::grade::harness::Proc,
    failure: Failure,
    messages: &[String],
) -> Failure {
    if failure.diagnosis != Diagnosis::Crash || failure.cause.is_some() || ctx.quiet(server) {
        return failure;
    }
    let shown = ctx.child(server).text(Stream::Stdout);
    if messages.iter().any(|m| shown.contains(m.as_str())) {
        return failure;
    }
    failure.folded_if("chat-client-messages", &[Diagnosis::WrongMessage])
}

/// How long ago program `p` printed its first line on `stream` that
/// `pred` accepts.
fn printed_ago(
    ctx: &mut Ctx,
    p: crate::grade::harness::Proc,
    stream: Stream,
    pred: impl Fn(&str) -> bool,
) -> Option<Duration> {
    let child = ctx.child(p);
    let now = child.elapsed();
    child
        .timed_lines(stream)
        .iter()
        .find(|l| pred(&l.text))
        .map(|l| now.saturating_sub(l.at))
}

/// Does `line` show `reply` whole, in its own wording around it? Only
/// quotes, brackets and escaped line ends may follow it: the repr of
/// Python bytes (`b'ACK: hi'`, `b'ACK: hi\n'`) or of a string. A reply
/// with more after it (`ACK: hi (from server)`) is another reply.
fn shows_reply(line: &str, reply: &str) -> bool {
    line.rfind(reply).is_some_and(|at| {
        let rest = line[at + reply.len()..]
            .replace("\\r", "")
            .replace("\\n", "");
        rest.chars()
            .all(|c| c.is_whitespace() || "'\")]}".contains(c))
    })
}

pub fn chat(ctx: &mut Ctx) -> Result<(), Failure> {
    let (server, addr) = ctx
        .start_server(role::CHAT_SERVER, &[], &[])
        .map_err(|f| its_roles_start(f, "chat-listening"))?;
    let messages: Vec<String> = (0..2).map(|_| ctx.message(16)).collect();
    let client = ctx
        .spawn(
            role::CHAT_CLIENT,
            &messages,
            &[("LAB_PORT", addr.port().to_string())],
        )
        .map_err(|f| its_roles_start(f, "chat-client-messages"))?;
    expect_exit(ctx, client, SLACK + SLACK, 0, Diagnosis::Crash)
        .map_err(|f| {
            refused_though_listening(ctx, server, client, addr, &f)
                .unwrap_or_else(|| no_reply_came(ctx, client, f, "[ACK @", "chat-ack"))
        })
        .map_err(|f| died_of_unsent_lines(ctx, server, f, &messages))?;
    let lines = ctx.child(client).lines(Stream::Stdout);
    for message in &messages {
        let seen = lines.iter().any(|l| {
            l.strip_prefix("[CLIENT] ")
                .is_some_and(|rest| is_chat_ack(rest.trim_end(), message))
        });
        if !seen {
            let expected = format!("the client prints `[CLIENT] [ACK @HH:MM:SS] {message}`");
            // The server answers each line at once, but two ACKs can still
            // arrive together: a client that takes one read for one ACK
            // prints the second without its tag, under the first.
            let together = lines.windows(2).find(|pair| {
                pair[0].starts_with("[CLIENT] ")
                    && pair[0].contains("[ACK @")
                    && pair[1].starts_with("[ACK @")
            });
            if let Some(pair) = together {
                return Err(fail(
                    Diagnosis::SplitMessage,
                    expected,
                    format!(
                        "two ACKs arrived together and one read took both: after `{}` the client printed `{}` on a line of its own, without its tag",
                        pair[0].trim_end(),
                        pair[1].trim_end()
                    ),
                )
                .caused_by("chat-client-framing"));
            }
            // One ACK in pieces (a server may send it in several writes,
            // which TCP allows): a client that takes one read for one ACK
            // prints each piece as a line. The client's framing, not a
            // wrong reply (blind round 7: blamed on the server, with a hint
            // that contradicts the chat's protocol).
            if let Some(pieces) = ack_in_pieces(&lines, message) {
                return Err(fail(
                    Diagnosis::SplitMessage,
                    expected,
                    format!(
                        "the ACK came in pieces and the client printed each read as a line of its own: {}; together they are the right ACK",
                        pieces
                            .iter()
                            .map(|l| format!("`{}`", l.trim_end_matches(['\r', '\n'])))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .caused_by("chat-client-framing"));
            }
            // The ACK came and was printed whole, in other words: the
            // wording is chat-client-messages' finding.
            // Any ACK on a line, up to the next one or the next tag: ACKs
            // printed with no line end run together on one line (blind
            // round 32: told wrong-reply, with the server's hint).
            let printed_whole = lines.iter().find_map(|l| {
                l.match_indices("[ACK @").find_map(|(at, _)| {
                    let rest = &l[at..];
                    let end = ["[ACK @", "[CLIENT]"]
                        .iter()
                        .filter_map(|next| rest[1..].find(next).map(|e| e + 1))
                        .min()
                        .unwrap_or(rest.len());
                    let ack = rest[..end].trim_end();
                    is_chat_ack(ack, message).then(|| ack.to_string())
                })
            });
            if let Some(ack) = printed_whole {
                // The ACK's own clock: a near miss marks the wording only.
                let want = format!("[CLIENT] {ack}");
                return Err(fail(
                    Diagnosis::OutputFormat,
                    expected,
                    crate::grade::compare::no_such_line(&want, &lines, ""),
                )
                .caused_by("chat-client-messages"));
            }
            // A line beside an ACK that holds its message but is not an
            // ACK: the server sent an extra line (a chat room's echo to the
            // sender), which the client printed where the next ACK was
            // due. chat-ack's finding (blind round 9's echo after the ACK).
            if let Some(extra) = extra_line_beside_an_ack(&lines, &messages) {
                return Err(fail(
                    Diagnosis::WrongReply,
                    expected,
                    format!(
                        "the client printed `{}`: a line from the server that holds a message but is not its ACK (one line gets one reply)",
                        extra.trim_end()
                    ),
                )
                .caused_by("chat-ack"));
            }
            // The message bare on a line of its own, after the ACK of the
            // one before: the server answered the two lines as one message,
            // the newline between them inside its ACK (blind round 66: a
            // Node server's `data` chunk taken for one line, told
            // wrong-reply with the one-shot server's hint).
            let bare = format!("[CLIENT] {message}");
            if lines.iter().any(|l| l.trim_end() == bare) {
                return Err(fail(
                    Diagnosis::SplitMessage,
                    expected,
                    format!(
                        "the client printed `{bare}` alone, after the ACK of the line before: the server answered the two lines as one message, the newline between them inside its ACK (one read taken for one line, not cut at each \\n)"
                    ),
                )
                .folded_if("chat-coalesced", &[Diagnosis::SplitMessage])
                .or_folded_if(&[("chat-split", &[Diagnosis::SplitMessage])]));
            }
            // A client that sent other lines (its arguments joined into
            // one, say) gets other ACKs: chat-client-messages' finding.
            let want = format!("[CLIENT] [ACK @HH:MM:SS] {message}");
            return Err(fail(
                Diagnosis::WrongReply,
                expected,
                crate::grade::compare::no_such_line(&want, &lines, ""),
            )
            // (Or one that closed before its ACKs came: none was read.)
            .folded_if(
                "chat-client-messages",
                &[Diagnosis::WrongMessage, Diagnosis::ClosedEarly],
            )
            // Or the server's ACKs are not in the contract's form (its
            // clock without seconds, say): chat-ack's finding, which the
            // client printed as it came (blind round 35: counted twice).
            .or_folded_if(&[("chat-ack", &[Diagnosis::WrongReply])]));
        }
    }
    Ok(())
}

/// A client line right after the printed ACK of a message that holds the
/// same message but is no ACK. Only after: before its ACK, a line with the
/// message may be the client's own (`Sending: ...`).
fn extra_line_beside_an_ack<'a>(lines: &'a [String], messages: &[String]) -> Option<&'a str> {
    let ack_of = |line: &str, message: &str| {
        line.strip_prefix("[CLIENT] ")
            .is_some_and(|rest| is_chat_ack(rest.trim_end(), message))
    };
    let extra_of = |line: &str, message: &str| line.contains(message) && !line.contains("ACK");
    lines.windows(2).find_map(|pair| {
        messages
            .iter()
            .any(|m| ack_of(&pair[0], m) && extra_of(&pair[1], m))
            .then(|| pair[1].as_str())
    })
}

/// Consecutive client lines (2 to 4) whose text after `[CLIENT] `, put
/// back together, is the ACK of `message`: one reply printed in pieces.
fn ack_in_pieces<'a>(lines: &'a [String], message: &str) -> Option<&'a [String]> {
    (0..lines.len()).find_map(|start| {
        let mut joined = String::new();
        for end in start..lines.len().min(start + 4) {
            let line = lines[end].trim_end_matches(['\r', '\n']);
            joined.push_str(line.strip_prefix("[CLIENT] ").unwrap_or(line));
            if end > start && is_chat_ack(joined.trim_end(), message) {
                return Some(&lines[start..=end]);
            }
        }
        None
    })
}

/// The client ended with an error before it reached the server: nothing
/// on its stdout, and the server said nothing after its Listening line (a
/// one-shot server that got a connection says so, or ends). Its start-up
/// failure, client-ack's finding when that check saw it too (blind round
/// 6: an import that runs the server died of `address already in use`,
/// blamed with exit-status). `None` otherwise.
fn died_at_start(
    ctx: &mut Ctx,
    server: crate::grade::harness::Proc,
    client: crate::grade::harness::Proc,
    expected: &str,
) -> Option<Failure> {
    let status = ctx.child(client).try_status()?;
    if status.success() || !ctx.child(client).text(Stream::Stdout).is_empty() {
        return None;
    }
    let server_spoke = ctx.child(server).try_status().is_some()
        || ctx.child(server).lines(Stream::Stdout).len() > 1;
    if server_spoke {
        return None;
    }
    let failure = super::client::died_before_connecting(ctx, client, expected)?;
    failure.diagnosis.is_a_failed_start().then(|| {
        failure.folded_if(
            "client-ack",
            &[Diagnosis::StartupFailure, Diagnosis::CannotStart],
        )
    })
}

/// A client that did not end well (still waiting, or gave up with a
/// status of its own) and never printed a line containing `reply`: no
/// reply reached it, which check `cause` (the server's own, sending the
/// same) reports under its name when it failed for its reply (a wrong or
/// missing one, a crash); a server that never answers is one mistake, not
/// a second one in the pair. Otherwise (and for a crash of the client)
/// it stays the pair's own finding.
fn no_reply_came(
    ctx: &mut Ctx,
    client: crate::grade::harness::Proc,
    failure: Failure,
    reply: &str,
    cause: &'static str,
) -> Failure {
    let waited = matches!(failure.diagnosis, Diagnosis::Hangs | Diagnosis::ExitStatus);
    let printed = ctx
        .child(client)
        .lines(Stream::Stdout)
        .iter()
        .any(|l| l.contains(reply));
    if !waited || printed {
        return failure;
    }
    // A client that said it gave up waiting did what the contract asks
    // without a reply: it is the missing reply, not its exit status
    // (blind round 10: the pair's own verdict said exit-status, with a
    // hint about exit codes, for a correct client and a server that never
    // answered).
    let gave_up = super::common::gave_up_at(ctx, client, Duration::ZERO).is_some();
    // Said long before LAB_TIMEOUT could run out: a timeout of its own,
    // far too short, not a server that did not answer (blind round 15).
    // (The one-shot client's: client-timeout judges its timeout; the chat
    // client has none of its own to name.)
    let timeout = Duration::from_secs(super::common::contract_timeout());
    if cause == "server-ack" {
        if let Some(at) = super::common::gave_up_at_once(ctx, client, timeout) {
            // Or, where client-timeout judged none (its message never
            // left it: client-ack's finding), that one (seen in a loaded
            // CI run: a pair-session finding of its own beside it).
            return super::common::gave_up_at_once_failure(at, timeout).or_folded_if(&[
                ("client-ack", &[Diagnosis::WrongMessage]),
                ("client-one-connection", &[Diagnosis::ExtraConnection]),
            ]);
        }
    }
    // One that said so and did not end is its own hang.
    let failure = if gave_up && failure.diagnosis == Diagnosis::ExitStatus {
        fail(
            Diagnosis::WrongReply,
            format!("the client gets a reply (`{reply}`), prints it, and exits 0"),
            format!(
                "no reply came: the client waited, said it gave up (`{GAVE_UP}`) and ended ({}), as it should without one. The server did not answer this client: see {cause}; if {cause} passed, compare what this client sends with what the grader sent there",
                failure.observed
            ),
        )
    } else {
        failure
    };
    // Or the client sent what no server answers (a chat line without its
    // `\n`: blind round 48 was told wrong-reply of a server that passed
    // every check): its own checks' finding.
    // Or it opened an empty connection first, and a server that never
    // ends a session on its 0-byte read stayed on that one: each side's
    // own finding (blind round 81: a seventh mistake, told wrong-reply).
    let client_sends: &'static [crate::grade::OtherCause] = if cause == "chat-ack" {
        &[
            (
                "chat-client-messages",
                &[
                    Diagnosis::WrongMessage,
                    Diagnosis::SplitMessage,
                    Diagnosis::ExtraConnection,
                ],
            ),
            ("chat-sessions", &[Diagnosis::EmptyRecv]),
        ]
    } else {
        &[
            ("client-ack", &[Diagnosis::WrongMessage]),
            ("client-one-connection", &[Diagnosis::ExtraConnection]),
        ]
    };
    failure
        .folded_if(cause, &[Diagnosis::WrongReply, Diagnosis::Crash])
        .or_folded_if(client_sends)
}

#[cfg(test)]
mod tests {
    use super::shows_reply;

    #[test]
    fn a_reply_printed_in_other_words_is_told_from_another_reply() {
        let reply = "ACK: hi there";
        assert!(shows_reply("[CLIENT] Received: ACK: hi there", reply));
        assert!(shows_reply("[CLIENT] Received: b'ACK: hi there'", reply));
        assert!(shows_reply("[CLIENT] Received: b'ACK: hi there\\n'", reply));
        assert!(shows_reply("Server says: \"ACK: hi there\")", reply));
        assert!(!shows_reply(
            "[CLIENT] Received: ACK: hi there (server 2)",
            reply
        ));
        assert!(!shows_reply("[CLIENT] Received: ACK: hi", reply));
    }
}
