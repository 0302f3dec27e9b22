//! Checks of `server_threaded` (extension D): concurrency, the busy cap,
//! and a clean shutdown that lets clients in flight finish.

use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use super::common::{
    ack_round, ack_round_seen, after_served, after_served_by_rule, connect_and_send,
    expect_clean_shutdown, idle_client, judge_reply, read_reply, stop_to_see_held_lines,
    survived_reset, timeout_env,
};
use super::role;
use crate::grade::diagnosis::Diagnosis;
use crate::grade::evidence::note_ended_on_purpose;
use crate::grade::harness::{fail, read_to_end, show_bytes, Ctx, End, Failure, Proc, SLACK};
use crate::process::{Signal, Stream};

/// Three clients one after another, each answered; lines name each client.
/// A server that prints nothing while it runs (its stdout in a buffer) is
/// stopped at the end, and its lines are judged as they come out then.
pub fn ack(ctx: &mut Ctx) -> Result<(), Failure> {
    // LAB_TIMEOUT short, as in threaded-all-day (whose pause outlasts it:
    // a server whose accept() times out after LAB_TIMEOUT ends there).
    let (p, addr) = ctx.start_server(role::THREADED_SERVER, &[], &[timeout_env(1)])?;
    let mut held = Vec::new();
    for round in 0..3 {
        let message = ctx.message(18);
        let client = match ack_round(ctx, p, addr, &message) {
            Ok(client) => client,
            Err(f) if round > 0 => return Err(after_served(ctx, p, f, "after its first client")),
            Err(f) => return Err(f),
        };
        let received = format!("Received: {message}");
        if ctx.quiet(p) {
            held.push((client, received));
            continue;
        }
        ctx.step(format!(
            "wait for a stdout line with `{received}` naming {client}"
        ));
        let line = ctx.wait_stdout(p, SLACK, |l| l.contains(&received));
        received_line(ctx, p, client, &received, line, "")?;
    }
    if held.is_empty() {
        return Ok(());
    }
    if !stop_to_see_held_lines(ctx, p) {
        // Still nothing: the Listening line's verdict says why; do not
        // blame each line for it.
        return Ok(());
    }
    let lines = ctx.child(p).lines(Stream::Stdout);
    for (client, received) in held {
        let line = lines.iter().find(|l| l.contains(&received)).cloned();
        received_line(
            ctx,
            p,
            client,
            &received,
            line,
            " (its lines came out only when it was stopped)",
        )?;
    }
    Ok(())
}

/// The server runs until Ctrl+C: three clients, then [`long_day`]'s. A
/// check of its own, replies judged and not lines: in threaded-ack, a line
/// in the wrong form ended the check before the server was seen to stop
/// after its tenth client (blind round 46).
pub fn all_day(ctx: &mut Ctx) -> Result<(), Failure> {
    // LAB_TIMEOUT short, so that [`long_day`]'s pause outlasts it.
    let (p, addr) = ctx.start_server(role::THREADED_SERVER, &[], &[timeout_env(1)])?;
    for round in 0..3 {
        let message = ctx.message(18);
        match ack_round(ctx, p, addr, &message) {
            Ok(_) => {}
            Err(f) if round > 0 => {
                return Err(ended_after_served(ctx, p, f, "after its first client"))
            }
            // Its first client: threaded-ack's finding.
            Err(f) => return Err(f.caused_by("threaded-ack")),
        }
    }
    long_day(ctx, p, addr, 3).map_err(|f| f.folded_if("threaded-ack", &[Diagnosis::ExitsEarly]))
}

/// How many more clients [`long_day`] sends, one after another.
const MORE_CLIENTS: usize = 30;

/// After the clients a check has judged (`served` of them), more of them,
/// one after another, each answered: the server runs until Ctrl+C. One that
/// quits by a rule of its own after N clients (blind round 27: a
/// `$MAX_SERVED` of 12 passed every check, each of which starts a server
/// of its own for a few clients) exits early. Only whether each is answered
/// is judged here: the replies' form is the judged clients'.
fn long_day(ctx: &mut Ctx, p: Proc, addr: SocketAddr, served: usize) -> Result<(), Failure> {
    ctx.step(format!(
        "then {MORE_CLIENTS} more clients, one after another, each answered (it runs until Ctrl+C)"
    ));
    let told = ctx.steps().len();
    // The last one after a pause: a rule that waits for a quiet moment
    // (blind round 27's: "once none is active") ends the server only in
    // one, and so does an accept() that times out after LAB_TIMEOUT (the
    // 1 s threaded-ack gives: seen by threaded-silent-client only when its
    // next client came after the timeout, which a loaded machine did not
    // always do), and a select() loop whose timeout was filled once.
    for n in 0..=MORE_CLIENTS {
        let paused = n == MORE_CLIENTS;
        if paused {
            ctx.step(format!(
                "all answered; after a pause of {} ms, one more client",
                QUIET.as_millis()
            ));
            std::thread::sleep(QUIET);
        }
        let served = served + n;
        let (what, rule) = if paused {
            (
                format!("after {served} clients and a pause"),
                format!("in the pause after {served} clients, one after another: it runs until Ctrl+C, however many clients come (a counter that ends the loop once no client is left?)"),
            )
        } else {
            (
                format!("after {served} clients"),
                format!("after serving {served} clients one after another: it runs until Ctrl+C, however many clients come (a counter that ends the loop?)"),
            )
        };
        let message = ctx.message(12);
        ack_round_seen(ctx, p, addr, &message)
            .map_err(|failed| ended_by_rule(ctx, p, addr, *failed, &what, &rule))?;
        if !paused {
            ctx.forget_steps_after(told);
        }
    }
    Ok(())
}

/// Why a server that served the clients before stopped at this one: it
/// ended ([`after_served`], with `rule` said of an exit it has no story
/// for), or it runs on and never took the client on (exits-early: its
/// loop stopped calling accept()), or the failure as it is.
fn ended_by_rule(
    ctx: &mut Ctx,
    p: Proc,
    addr: SocketAddr,
    (f, ex): (Failure, super::common::Exchange),
    what: &str,
    rule: &str,
) -> Failure {
    if ctx.child(p).try_status().is_none() {
        if let Some(observed) = never_taken_on(ctx, p, addr, &ex) {
            return fail(Diagnosis::ExitsEarly, f.expected, observed);
        }
    }
    after_served_by_rule(ctx, p, f, what, Some(rule))
}

/// [`after_served`] of a server that ended after its first clients:
/// threaded-ack's finding when it saw the same end (exits-early), folded
/// under it there.
fn ended_after_served(ctx: &mut Ctx, p: Proc, f: Failure, what: &str) -> Failure {
    after_served(ctx, p, f, what).folded_if("threaded-ack", &[Diagnosis::ExitsEarly])
}

/// A second client got no reply while the first was connected: did the
/// server end once the first left (its accept loop served one client and
/// stopped: exits-early, threaded-ack's finding), rather than serve one at
/// a time? Waits a second for it; `None` while it runs on.
fn ended_after_its_first(ctx: &mut Ctx, p: Proc) -> Option<Failure> {
    ctx.wait_exit(p, Duration::from_secs(1))?;
    let f = fail(
        Diagnosis::NoConcurrency,
        "the server takes on a second client while the first is connected",
        "the second client got no reply",
    );
    Some(ended_after_served(ctx, p, f, "after its first client"))
}

/// A message with a newline and an ESC inside: its session's lines show
/// it escaped, as the one-shot server's do (`server-escapes`). A threaded
/// server is often written apart, or from another tutorial, than the
/// one-shot one.
pub fn escapes(ctx: &mut Ctx) -> Result<(), Failure> {
    super::server::escapes_of(ctx, role::THREADED_SERVER)
}

/// The pause before [`long_day`]'s last client: longer than the accept
/// timeouts servers poll their stop flag with, and than the LAB_TIMEOUT
/// of 1 s threaded-ack gives.
const QUIET: Duration = Duration::from_millis(1500);

/// Judges the session's lines once the one for `received` came (or did
/// not): `[SERVER] Connection from CLIENT` and `[SERVER] CLIENT
/// Received: ...`, as the handout writes them. Exact: a line that only
/// contains the address passed with Java's `/127.0.0.1:N`, and the
/// connection line was not judged at all (blind round 11).
fn received_line(
    ctx: &mut Ctx,
    p: Proc,
    client: SocketAddr,
    received: &str,
    line: Option<String>,
    when: &str,
) -> Result<(), Failure> {
    let lines = ctx.child(p).lines(Stream::Stdout);
    let connection = format!("[SERVER] Connection from {client}");
    let want = format!("[SERVER] {client} {received}");
    if let Some(line) = line.filter(|l| l.trim_end() != want) {
        let expected = format!(
            "the stdout line `{want}`: each line after Listening names the client as {client}"
        );
        let observed = if line.contains(&client.to_string()) {
            crate::grade::compare::no_such_line(&want, &lines, when)
        } else {
            format!("the line was `{line}`{when}")
        };
        return Err(fail(Diagnosis::OutputFormat, expected, observed));
    }
    for want in [&connection, &want] {
        // A moment for it: the accept loop may print the connection line
        // after the client's thread printed its Received line (review of
        // this check: a correct server failed under load).
        let seen = lines.iter().any(|l| l.trim_end() == want.as_str())
            || ctx
                .wait_stdout(p, Duration::from_secs(1), |l| l.trim_end() == want.as_str())
                .is_some();
        if !seen {
            let lines = ctx.child(p).lines(Stream::Stdout);
            return Err(fail(
                Diagnosis::OutputFormat,
                format!("a stdout line `{want}`"),
                crate::grade::compare::no_such_line(want, &lines, when),
            ));
        }
    }
    Ok(())
}

/// The Listening line names the real port (judged apart from behaviour:
/// the port itself comes from the socket table).
pub fn listening(ctx: &mut Ctx) -> Result<(), Failure> {
    let (p, addr) = ctx.start_server(role::THREADED_SERVER, &[], &[])?;
    ctx.connect(addr).map(drop)?;
    ctx.listening_line(p)
}

/// Eight clients at once, each with its own message, each get their own
/// ACK: no reply goes to the wrong client (a buffer or a variable shared
/// between threads shows up here), and none is lost.
pub fn many(ctx: &mut Ctx) -> Result<(), Failure> {
    const CLIENTS: usize = 8;
    // A long LAB_TIMEOUT: this check is about replies, not timeouts.
    let (p, addr) = ctx.start_server(role::THREADED_SERVER, &[], &[timeout_env(10)])?;
    // One of the first four long and mostly outside ASCII (about 220
    // bytes): a thread that reads a fixed small piece passed while the
    // one-shot server's checks caught it (blind round 55).
    let long = ctx.below(CLIENTS / 2);
    let messages: Vec<String> = (0..CLIENTS)
        .map(|i| {
            if i == long {
                super::server::long_text(ctx, 100)
            } else {
                ctx.message(20)
            }
        })
        .collect();
    // The last half come at once: a C server that hands its thread
    // `&cfd` serves a connection twice and loses another only when the
    // next accept() overwrites the variable before the thread reads it,
    // which clients taken one by one hid (blind round 48: caught 3 runs in
    // 4). Four is within the handout's listen(5).
    const BURST: usize = CLIENTS / 2;
    ctx.step(format!(
        "connect {CLIENTS} clients, the first {} one by one and the last {BURST} at once, then each sends its own message",
        CLIENTS - BURST
    ));
    let mut streams = Vec::new();
    for n in 0..CLIENTS {
        // Noted as the grader's probes: their resets at the end are not
        // told as the program's (blind round 22).
        let stream = match crate::grade::harness::probe_connect(addr) {
            Ok(stream) => stream,
            Err(e) => {
                let expected = format!("{addr} accepts {CLIENTS} connections");
                if n == 0 {
                    return Err(fail(
                        Diagnosis::MissingListen,
                        expected,
                        format!("connecting failed: {e}"),
                    ));
                }
                // It died of one of them: that is the finding. (A moment
                // first: a refused connect can come before its last words.)
                ctx.child(p).wait_exit(Duration::from_millis(300));
                if let Some(crash) = ctx.crash_of(p) {
                    return Err(fail(
                        Diagnosis::Crash,
                        expected,
                        format!("connection {} of {CLIENTS} failed ({e}): the server crashed after {n}: {crash}", n + 1),
                    ));
                }
                if let Some(status) = ctx.child(p).try_status() {
                    return Err(fail(
                        Diagnosis::Crash,
                        expected,
                        format!(
                            "connection {} of {CLIENTS} failed ({e}): the server ended after {n} ({}) before any of them had sent a message",
                            n + 1,
                            crate::process::describe_status(status)
                        ),
                    ));
                }
                // It took some and then no more while they were open: it
                // listens, but serves one client at a time (a full queue
                // times out, a listener closed after its session refuses).
                // Blind round 5: named missing-listen, whose hint says the
                // opposite.
                return Err(fail(
                    Diagnosis::NoConcurrency,
                    expected,
                    format!(
                        "connection {} of {CLIENTS} failed ({e}) while the first {n} were open and had sent nothing yet: the server took no more clients while it served one",
                        n + 1
                    ),
                ));
            }
        };
        // Let the server take each of the first ones before the next
        // arrives: a burst of eight would overflow a small listen()
        // backlog, which is not what this check is about.
        let me = stream
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        if n >= CLIENTS - BURST {
            // One of the burst.
        } else if ctx.quiet(p) {
            std::thread::sleep(Duration::from_millis(100));
        } else {
            ctx.wait_stdout(p, Duration::from_secs(1), |l| l.contains(&me));
        }
        streams.push(stream);
    }
    for (stream, message) in streams.iter_mut().zip(&messages) {
        let _ = std::io::Write::write_all(stream, message.as_bytes());
    }
    ctx.step("read each client's reply until the server closes it");
    for (i, (stream, message)) in streams.iter_mut().zip(&messages).enumerate() {
        let (reply, end) = read_to_end(stream, SLACK);
        let want = format!("ACK: {message}");
        let expected = format!("client {} of {CLIENTS} gets `{want}`", i + 1);
        if reply == want.as_bytes() {
            if end == End::Timeout {
                // Stop at the first: each one more would cost the wait.
                return Err(fail(
                    Diagnosis::NoClose,
                    format!("{expected}, then the server closes the connection"),
                    format!(
                        "the reply came, but the connection was still open {}s later",
                        SLACK.as_secs()
                    ),
                )
                .caused_by("threaded-ack"));
            }
            continue;
        }
        let _ = ctx.wait_exit(p, Duration::from_millis(300));
        if let Some(crash) = ctx.crash_of(p) {
            return Err(fail(
                Diagnosis::Crash,
                expected,
                format!("the server crashed: {crash}"),
            ));
        }
        if reply.is_empty() {
            let wait = Duration::from_millis(300);
            if let Some(failure) = received_but_no_reply(ctx, p, message, &expected, wait) {
                return Err(failure);
            }
        }
        if reply.is_empty() {
            let how = if end == End::Timeout {
                format!("no reply within {}s", SLACK.as_secs())
            } else {
                "the connection was closed without a reply".to_string()
            };
            if let Some(failure) = lost_on_its_way(ctx, p, &streams, &messages, i, &expected, &how)
                .or_else(|| taken_and_left_unread(&streams, &messages, i, &expected, &how, end))
            {
                return Err(failure);
            }
        }
        if reply.is_empty() && end != End::Timeout {
            // The server gone: it served its first clients and ended
            // (blind round 44: told ignores-config).
            if ctx.child(p).try_status().is_some() {
                let f = fail(
                    Diagnosis::WrongReply,
                    expected,
                    "the connection was closed without a reply",
                );
                return Err(ended_after_served(
                    ctx,
                    p,
                    f,
                    &format!("for all {CLIENTS} clients connected at once"),
                ));
            }
            // Hung up on a client that had sent its message, long before
            // LAB_TIMEOUT=10s: it gave up on the client too early.
            return Err(fail(
                Diagnosis::IgnoresConfig,
                expected,
                "the connection was closed without a reply, long before LAB_TIMEOUT=10s",
            ));
        }
        let crossed = messages
            .iter()
            .position(|m| reply == format!("ACK: {m}").as_bytes());
        // Not another's reply whole, but another client's message in it,
        // mixed with the rest of a longer one: a receive or reply buffer
        // every session writes (blind round 41: C's `static char
        // data[65536]`, told as a wrong reply).
        let mixed = crossed.is_none().then(|| {
            let text = String::from_utf8_lossy(&reply);
            // Or the start of a longer one, cut at this session's length.
            let cut = text.strip_prefix("ACK: ").filter(|rest| rest.len() >= 8);
            messages.iter().enumerate().position(|(j, m)| {
                j != i && (text.contains(m.as_str()) || cut.is_some_and(|c| m.starts_with(c)))
            })
        });
        if let Some(j) = mixed.flatten() {
            return Err(fail(
                Diagnosis::SharedState,
                expected,
                format!(
                    "it got {}, which holds the message of client {} (`{}`), connected at the same time: the message or the reply is kept in a buffer every session's thread writes (a static or global buffer: give each session its own)",
                    show_bytes(&reply),
                    j + 1,
                    messages[j]
                ),
            ));
        }
        if let Some(j) = crossed {
            // Another client's reply: built from something every session
            // shares (blind rounds 21 and 22: wrong-reply's hint said
            // nothing of threads).
            return Err(fail(
                Diagnosis::SharedState,
                expected,
                format!(
                    "it got the reply meant for client {}, connected at the same time: the message or the reply is kept where every session's thread writes it",
                    j + 1
                ),
            ));
        }
        // The long message (100 characters, more bytes) refused as too
        // long: the length counted in bytes (blind round 56: told as a
        // wrong reply, with a hint on its wording).
        if reply.starts_with(b"ERROR: Message too long") && message.chars().count() <= 100 {
            // Alone, is it answered? Then its answer depends on the other
            // sessions: most often their bytes in a buffer they all write
            // (blind round 69: a C++ server's global buffer, told as a
            // length counted in bytes, which its one-shot server counted
            // right).
            ctx.step("send the same message again, alone, to a new connection");
            let alone = connect_and_send(ctx, addr, message.as_bytes())
                .ok()
                .map(|(mut stream, client)| read_reply(ctx, &mut stream, client).reply);
            if alone.as_deref() == Some(want.as_bytes()) {
                return Err(fail(
                    Diagnosis::SharedState,
                    expected,
                    format!(
                        "it got {} beside the other clients, and `{want}` when it sent the same message alone: its answer depends on the other sessions, through something every session's thread shares (a buffer they all read into, a count: give each session its own)",
                        show_bytes(&reply)
                    ),
                ));
            }
            return Err(fail(
                Diagnosis::TooLong,
                expected,
                format!(
                    "the reply {}, to a message of {} characters ({} bytes in UTF-8): the length was counted in bytes, not in characters",
                    show_bytes(&reply),
                    message.chars().count(),
                    message.len()
                ),
            )
            .hinted(super::server::CHARACTERS_HINT)
            .folded_if("server-length-limit", &[Diagnosis::TooLong]));
        }
        // Its own message's start alone: a read smaller than the message.
        let acked = super::common::acked_text(&reply);
        if !acked.is_empty() && acked.len() < message.len() && message.as_bytes().starts_with(acked)
        {
            return Err(fail(
                Diagnosis::WrongReply,
                expected,
                format!(
                    "it got {}: an ACK of only the first {} of the message's {} bytes: the session read it in a piece too small for it",
                    show_bytes(&reply),
                    acked.len(),
                    message.len()
                ),
            )
            .hinted(super::server::READ_TOO_SMALL_HINT));
        }
        let observed = if reply.is_empty() {
            format!("no reply within {}s", SLACK.as_secs())
        } else {
            format!("the reply {}", show_bytes(&reply))
        };
        return Err(fail(Diagnosis::WrongReply, expected, observed));
    }
    lines_name_their_clients(ctx, p, &streams, &messages)
}

/// Client `unserved` got no reply. Was its connection lost on its way to
/// its session? The server took it (the grader waited for a line naming
/// it before the next client came), no line names it after that one, and
/// clients that came after it were served: the connection reaches its
/// thread through a variable the accept loop overwrote first (blind round
/// 24: C's `pthread_create(..., &cfd)`, named wrong-reply; two sessions
/// then share the next client's socket; in Python the lost socket is
/// closed when nothing holds it, which read as ignores-config). Lines are
/// looked for on stdout and stderr.
fn lost_on_its_way(
    ctx: &mut Ctx,
    p: Proc,
    streams: &[TcpStream],
    messages: &[String],
    unserved: usize,
    expected: &str,
    how: &str,
) -> Option<Failure> {
    let (clients, lines) = clients_and_lines(ctx, p, streams);
    let counts: Vec<usize> = clients
        .iter()
        .map(|c| lines.iter().filter(|l| names(l, c)).count())
        .collect();
    // A later client served, in lines that name their client.
    let later = (unserved + 1..messages.len()).find(|&j| {
        let received = format!("Received: {}", messages[j]);
        counts[j] > 1 && lines.iter().any(|l| l.trim_end().ends_with(&received))
    })?;
    if counts[unserved] != 1 {
        return None;
    }
    Some(fail(
        Diagnosis::SharedState,
        expected,
        format!(
            "{how}: the server took the connection (the line naming {} came), but no line names it after that, while client {}, which connected after it, was served: the connection was lost on its way to its session (it reaches its thread through a variable the accept loop overwrites with the next connection: give each thread its own copy of the socket, not the address of the loop's variable)",
            clients[unserved],
            later + 1
        ),
    ))
}

/// Client `unserved` got no reply, and no line names it (it came in the
/// burst: the grader did not wait for its line). Lost on its way, as the
/// kernel tells it: the server accepted the connection (nothing waits in
/// its listen queue), its message still sits unread in it, and a client
/// that connected after it has its reply. No session holds the socket the
/// accept loop took (blind round 53: C's `&cfd`, two threads on the next
/// client's socket, told as wrong-reply with a hint on reply wording).
/// Linux only (sock_diag); elsewhere the line-based [`lost_on_its_way`]
/// alone.
fn taken_and_left_unread(
    streams: &[TcpStream],
    messages: &[String],
    unserved: usize,
    expected: &str,
    how: &str,
    end: End,
) -> Option<Failure> {
    #[cfg(target_os = "linux")]
    {
        use crate::grade::sockdiag::{accept_queue, unread_bytes};
        let stream = &streams[unserved];
        let (server, client) = (stream.peer_addr().ok()?, stream.local_addr().ok()?);
        let unread = unread_bytes(server, client)?;
        if end != End::Timeout || unread == 0 || accept_queue(server.port()) != Some(0) {
            return None;
        }
        // A later client's reply, whole, waiting to be read.
        let later = (unserved + 1..streams.len()).find(|&j| {
            let want = format!("ACK: {}", messages[j]);
            let mut buf = vec![0u8; want.len()];
            let _ = streams[j].set_nonblocking(true);
            let peeked = streams[j].peek(&mut buf);
            let _ = streams[j].set_nonblocking(false);
            peeked.is_ok_and(|n| buf[..n] == *want.as_bytes())
        })?;
        Some(fail(
            Diagnosis::SharedState,
            expected,
            format!(
                "{how}: the server accepted the connection (none waits in its listen queue), but the message's {unread} bytes still sit unread in it, while client {}, which connected after it, got its reply: no session reads this connection, it was lost on its way to one (it reaches its thread through a variable the accept loop overwrites with the next connection: give each thread its own copy of the socket, not the address of the loop's variable)",
                later + 1
            ),
        ))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (streams, messages, unserved, expected, how, end);
        None
    }
}

/// Every reply right; do the Received lines name the client that sent
/// each message? One that names another of the clients took its address
/// from a variable the sessions share (blind round 15: a global
/// `current_peer`, which the accept loop overwrote; threaded-ack's clients
/// come one at a time, where it is still right). Lines in other words,
/// or with no address, are threaded-ack's to judge.
fn lines_name_their_clients(
    ctx: &mut Ctx,
    p: Proc,
    streams: &[TcpStream],
    messages: &[String],
) -> Result<(), Failure> {
    let (clients, lines) = clients_and_lines(ctx, p, streams);
    for (i, message) in messages.iter().enumerate() {
        let received = format!("Received: {message}");
        // Whole lines only: threads that print at once may interleave
        // (Python's print writes its parts apart), which is not a shared
        // address; a line with two records in it is left alone.
        let Some(line) = lines
            .iter()
            .find(|l| l.trim_end().ends_with(&received) && l.matches("[SERVER]").count() <= 1)
        else {
            continue;
        };
        if names(line, &clients[i]) {
            continue;
        }
        if let Some(j) = clients.iter().position(|c| names(line, c)) {
            return Err(fail(
                Diagnosis::SharedState,
                format!(
                    "the line with `{received}` names the client that sent it, {}",
                    clients[i]
                ),
                format!(
                    "`{}` names {}, another of the {} clients connected at once: the address comes from a variable every session shares (keep each client's address in its own thread's variables)",
                    line.trim_end(),
                    clients[j],
                    clients.len()
                ),
            ));
        }
    }
    Ok(())
}

/// The addresses of threaded-many's clients (`127.0.0.1:4000`), and the
/// server's lines on both streams: a server that logs its lines on
/// stderr (a logging library's default) is output-format's finding
/// elsewhere, and what they show must not hide behind it (blind round 23).
fn clients_and_lines(ctx: &mut Ctx, p: Proc, streams: &[TcpStream]) -> (Vec<String>, Vec<String>) {
    let clients = streams
        .iter()
        .map(|s| s.local_addr().map(|a| a.to_string()).unwrap_or_default())
        .collect();
    let mut lines = ctx.child(p).lines(Stream::Stdout);
    lines.extend(ctx.child(p).lines(Stream::Stderr));
    (clients, lines)
}

/// Does `line` name the address `client` (`127.0.0.1:4000`, not the start
/// of `127.0.0.1:40001`)?
fn names(line: &str, client: &str) -> bool {
    !client.is_empty()
        && line
            .match_indices(client)
            .any(|(at, _)| !line[at + client.len()..].starts_with(|c: char| c.is_ascii_digit()))
}

/// An idle client must not delay a second one.
/// threaded-concurrency's LAB_MAX_CLIENTS: above the contract's 64, which
/// every other check gives (hostile round 57: a pool of 64 threads under
/// a correct cap passed, the cap filled being 64 too). Not much above:
/// a server that forks a process per client holds one for each, within
/// the sandbox's processes (`sandbox::process_limit`: 128 and one a
/// processor, for a runtime's own threads) and its memory limit.
const CONCURRENCY_CAP: usize = 70;

pub fn concurrency(ctx: &mut Ctx) -> Result<(), Failure> {
    let env = [
        timeout_env(6),
        ("LAB_MAX_CLIENTS", CONCURRENCY_CAP.to_string()),
    ];
    let (p, addr) = ctx.start_server(role::THREADED_SERVER, &[], &env)?;
    let idle = idle_client(ctx, p, addr)?;
    let message = ctx.message(18);
    ctx.step("while it idles, a second client sends a message");
    let expected =
        "the second client gets its reply at once, while the first idles (LAB_TIMEOUT=6s)";
    let sent = Instant::now();
    let (mut stream, client) = connect_and_send(ctx, addr, message.as_bytes())?;
    let ex = read_reply(ctx, &mut stream, client);
    let took = sent.elapsed();
    let idle_open = still_open(&idle);
    if ex.reply.is_empty() && idle_open {
        // A moment for its line: the reader of its output can be behind
        // the connection's end under load (seen: a clean-clone run where
        // java/bob's unflushed reply was not folded under threaded-ack).
        let wait = Duration::from_millis(1000);
        if let Some(failure) = received_but_no_reply(ctx, p, &message, expected, wait) {
            return Err(failure);
        }
    }
    let idle_client = idle.local_addr().ok();
    drop(idle);
    if ex.reply.is_empty() && ex.end == End::Timeout {
        if let Some(ended) = ended_after_its_first(ctx, p) {
            return Err(ended);
        }
        // Its bytes were taken off its socket while the first client
        // idled: a session of its own read them, and waits for more than
        // the message (blind round 48: Java's readLine, a thread per
        // client, told no-concurrency). A server busy with the first
        // would have left them there (a pool of one: in its queue).
        if ex.drained && idle_open {
            return Err(fail(
                Diagnosis::WrongReply,
                expected,
                format!(
                    "no reply within {}s, though the server took the message's bytes off its socket at once, while the first client idled (it serves both at a time): its session's read waits for more than the message (a line end: Java's readLine, Python's readline(); a full buffer; the connection's end)",
                    SLACK.as_secs()
                ),
            )
            .folded_if("threaded-ack", &[Diagnosis::WrongReply]));
        }
        return Err(fail(
            Diagnosis::NoConcurrency,
            expected,
            format!(
                "no reply within {}s: the server is still busy with the idle client",
                SLACK.as_secs()
            ),
        ));
    }
    judge_reply(
        ctx,
        p,
        &ex,
        &format!("ACK: {message}"),
        Diagnosis::WrongReply,
    )?;
    if !idle_open {
        // The reply came, but the idle client was hung up on: either the
        // server waited for it to time out first, or it ignored LAB_TIMEOUT.
        if took >= Duration::from_millis(500) {
            return Err(fail(
                Diagnosis::NoConcurrency,
                expected,
                format!(
                    "the reply took {:.1}s and the idle client was closed: the server served the second client only after giving up on the first",
                    took.as_secs_f64()
                ),
            ));
        }
        return Err(fail(
            Diagnosis::IgnoresConfig,
            "the idle client stays connected for LAB_TIMEOUT=6s",
            "the server hung up on it while the second client was served, long before 6s",
        ));
    }
    // Both sessions over before the places are filled: a server that
    // closes gracefully (shutdown, then a read until the client's end)
    // still serves a client whose connection the grader keeps open
    // (hostile round 55: such a server was refused at the cap, and told
    // busy-cap).
    drop(stream);
    let earlier: Vec<SocketAddr> = idle_client.into_iter().chain([client]).collect();
    ctx.step("the two clients leave; wait for the server to end their sessions");
    sessions_closed(addr, &earlier, SLACK);
    many_idle(ctx, p, addr)
}

/// The server at `server` still holds open its side of a connection
/// from `clients`, which closed without sending long before (CLOSE_WAIT,
/// Linux): it never took the read of 0 bytes (Java's -1) for the end, so
/// the session never ended and its place was never given back (blind
/// round 73: a Java selector's `if (n <= 0) return;`, told as a place
/// leaked, whose hint was a `finally`).
///
/// `seen` is what the check saw of their places: a new client refused as
/// busy, or served (the place given back, the connection kept: hostile
/// round 78, a thread that returned without close() passed every check).
fn end_of_stream_ignored(
    ctx: &mut Ctx,
    p: Proc,
    server: SocketAddr,
    clients: &[SocketAddr],
    seen: Places,
) -> Option<Failure> {
    #[cfg(target_os = "linux")]
    {
        let left_open: Vec<SocketAddr> = clients
            .iter()
            .copied()
            .filter(|&c| crate::grade::sockdiag::left_open_after_peer_closed(server, c))
            .collect();
        let open = left_open.len();
        let (what, places) = match seen {
            Places::Kept => (
                "the new client was refused as busy",
                "and the place was never given back",
            ),
            Places::GivenBack => (
                "their places were given back (a new client was served)",
                "though the place was given back",
            ),
        };
        // It said it closed one: another descriptor holds it (a forking
        // server's parent keeps its copy; hostile round 76), threaded-ack's
        // no-close where it saw it.
        // Where its place came back, the session's end was seen: the
        // socket kept is that session's, a silent client's (empty-recv's
        // row of the handout, hostile round 79: "after its reply" did not
        // fit a client that sent nothing).
        if let Some(line) = super::common::said_it_closed(ctx, p, &left_open) {
            let (diagnosis, still) = match seen {
                Places::Kept => (Diagnosis::NoClose, String::new()),
                Places::GivenBack => (
                    Diagnosis::EmptyRecv,
                    format!(" {}s after the client closed", CLOSE_AFTER_CLIENT.as_secs()),
                ),
            };
            return Some(
                fail(
                    diagnosis,
                    "a client that closes without sending ends its session: the server closes that connection and its place is free again",
                    format!(
                        "{what}: the server printed `{}`, yet its side of that connection was still open{still} (CLOSE_WAIT), {places}: close() came late or not at all after the line, or another descriptor of the socket is still open (a forking server's parent keeps its copy unless it closes it right after fork())",
                        line.trim_end()
                    ),
                )
                .folded_if("threaded-ack", &[Diagnosis::NoClose]),
            );
        }
        (open > 0).then(|| {
            fail(
                Diagnosis::EmptyRecv,
                "a client that closes without sending ends its session: the server closes that connection and its place is free again",
                format!(
                    "{what}: {open} of the {} clients that had closed without sending {} still open on the server's side (CLOSE_WAIT: their end came, the server did not close them){}",
                    clients.len(),
                    if open == 1 { "was" } else { "were" },
                    match seen {
                        Places::Kept => ", so their sessions never ended and their places were never given back".to_string(),
                        Places::GivenBack => format!(
                            " {}s after they closed: a connection left so holds a descriptor and kernel memory until the server exits",
                            CLOSE_AFTER_CLIENT.as_secs()
                        ),
                    }
                ),
            )
            .hinted("A read that returns 0 bytes (-1 from Java's InputStream.read or SocketChannel.read, b'' in Python) means the client closed: end that session there: close its socket (cancel its selector key), and give its place back; saying that the client left, and keeping the socket, is not enough. Ignoring it (`if n <= 0 return;`, a `continue`) leaves the connection open forever, and a selector reports it readable again at once: a loop at 100% CPU.")
        })
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (ctx, p, server, clients, seen);
        None
    }
}

/// What a check saw of the places of clients that left (see
/// [`end_of_stream_ignored`]).
#[derive(Clone, Copy)]
enum Places {
    Kept,
    GivenBack,
}

/// How long after its client closed a threaded server gets to close its
/// side of the connection: its read returns 0 bytes at once, and a close
/// after a reply gets as long (hostile round 79: a close 2.5 s late was
/// blamed here, and passed after a reply).
#[cfg(target_os = "linux")]
const CLOSE_AFTER_CLIENT: Duration = SLACK;

/// Waits (up to [`CLOSE_AFTER_CLIENT`] after `left_at`, when the clients
/// closed) until the server at `server` has closed its side of every
/// connection from `clients` that the socket table shows in CLOSE_WAIT
/// (Linux; elsewhere at once).
fn until_closed_after_peer(server: SocketAddr, clients: &[SocketAddr], left_at: Instant) {
    #[cfg(target_os = "linux")]
    {
        let until = left_at + CLOSE_AFTER_CLIENT;
        while clients
            .iter()
            .any(|&c| crate::grade::sockdiag::left_open_after_peer_closed(server, c))
            && Instant::now() < until
        {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let _ = (server, clients, left_at);
}

/// Waits (up to `within`) until the server at `server` has closed its
/// side of each connection from `clients` (Linux: gone from the kernel's
/// table), and a moment more for the places their sessions held to come
/// back. Elsewhere, a fixed moment.
fn sessions_closed(server: SocketAddr, clients: &[SocketAddr], within: Duration) {
    #[cfg(target_os = "linux")]
    {
        let until = Instant::now() + within;
        while clients
            .iter()
            .any(|&c| crate::grade::sockdiag::socket_inode(server, c).is_some())
            && Instant::now() < until
        {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let _ = (server, clients, within);
    std::thread::sleep(Duration::from_millis(100));
}

/// LAB_MAX_CLIENTS less one silent clients, and one more sends: a pool of
/// threads of a fixed size (Python's `ThreadPoolExecutor(max_workers=2)`,
/// Java's `newFixedThreadPool(4)`) serves its first clients at once and
/// leaves the next waiting in silence, under a LAB_MAX_CLIENTS above it.
/// One idle client, or eight that all speak at once, never showed it
/// (hostile round 51: a pool of two passed every check). The cap filled,
/// not a number of the grader's choosing: hostile round 52's pool of
/// eight passed seven, and round 53's pool of 41 passed forty. A refusal
/// at the cap is a limit off by one, threaded-busy's finding.
fn many_idle(ctx: &mut Ctx, p: Proc, addr: SocketAddr) -> Result<(), Failure> {
    let cap = CONCURRENCY_CAP;
    let idle_count = cap - 1;
    // Connected four at a time, each four taken on before the next (their
    // lines, where it prints them): a burst of them all would overflow the
    // handout's listen(5), and a dropped SYN costs a second.
    const BATCH: usize = 4;
    ctx.step(format!(
        "leave {idle_count} new clients connected and silent (four at a time); then one more sends a message"
    ));
    let mut idle = Vec::new();
    for n in 0..idle_count {
        if n > 0 && n % BATCH == 0 {
            taken_on(ctx, p, idle.last());
        }
        match crate::grade::harness::probe_connect(addr) {
            Ok(stream) => idle.push(stream),
            Err(e) => {
                let f = fail(
                    Diagnosis::NoConcurrency,
                    format!("{addr} takes {idle_count} clients at once"),
                    format!(
                        "connection {} of {idle_count} failed ({e}) while the others were open",
                        idle.len() + 1
                    ),
                );
                return Err(after_served(ctx, p, f, "after its first two clients"));
            }
        }
    }
    taken_on(ctx, p, idle.last());
    std::thread::sleep(Duration::from_millis(300));
    // A place comes back when its session ends, which may be a moment
    // after its connection closed (a forking server's SIGCHLD, an event
    // loop's clean-up): silent clients refused while the two sessions
    // before were ending are asked again, for a second (hostile round 56:
    // a place back 150 ms late was told never given back).
    let mut asked_again = Vec::new();
    for _ in 0..5 {
        let turned: Vec<usize> = (0..idle.len()).filter(|&i| refused(&idle[i])).collect();
        if turned.is_empty() {
            break;
        }
        ctx.step(format!(
            "{} of them refused as busy: again, a moment later",
            turned.len()
        ));
        std::thread::sleep(Duration::from_millis(200));
        for &i in &turned {
            if let Ok(stream) = crate::grade::harness::probe_connect(addr) {
                idle[i] = stream;
                taken_on(ctx, p, Some(&idle[i]));
            }
        }
        asked_again = turned;
    }
    // The last ones asked again get their answer before they are counted:
    // a refusal written by a thread of its own may come after the server's
    // line, and after the next client's refusal (seen in a full suite run:
    // the catalogue's busy-leak told as a limit off by one).
    for i in asked_again {
        await_a_word(&idle[i], Duration::from_secs(1));
    }
    let message = ctx.message(18);
    let expected = format!(
        "with {idle_count} clients connected and silent (LAB_MAX_CLIENTS={cap}), one more gets its reply at once"
    );
    let (mut stream, client) = connect_and_send(ctx, addr, message.as_bytes())?;
    let ex = read_reply(ctx, &mut stream, client);
    let open = idle.iter().filter(|s| still_open(s)).count();
    if ex.reply.is_empty() && ex.end == End::Timeout && !ex.drained && open == idle_count {
        return Err(fail(
            Diagnosis::NoConcurrency,
            expected,
            format!(
                "no reply within {}s while the {idle_count} others were connected and silent; one idle client did not delay another: the server serves only a few clients at a time, however high LAB_MAX_CLIENTS is (a pool of threads of a fixed size?)",
                SLACK.as_secs()
            ),
        )
        .hinted("A pool of N threads serves N clients at once: the next one waits in silence until a session ends, while LAB_MAX_CLIENTS promises more. Start a thread for each accepted client (up to LAB_MAX_CLIENTS, then `ERROR: Server busy`), or make the pool exactly LAB_MAX_CLIENTS large."));
    }
    // Refused before the cap: the places of the two sessions this check
    // ended before (the idle client and the one served beside it) never
    // came back (the mistakes catalogue's busy-leak: told as a limit of
    // its own).
    let turned_away = idle.iter().filter(|s| refused(s)).count();
    // Refused once exactly the other checks' cap was held: its cap is
    // that number whatever LAB_MAX_CLIENTS says (written in the code, or
    // `min(LAB_MAX_CLIENTS, 64)`), not a leak.
    let contract_cap = super::common::contract_number("LAB_MAX_CLIENTS");
    let held = idle_count - turned_away;
    if turned_away > 0 && Some(held as u64) == contract_cap {
        return Err(fail(
            Diagnosis::BusyCap,
            expected,
            format!(
                "{turned_away} of the {idle_count} silent clients, and the last, were refused as busy once {held} were connected, though LAB_MAX_CLIENTS={cap}: its cap is {held} whatever LAB_MAX_CLIENTS says (written in the code, or a bound of its own on it)"
            ),
        )
        .folded_if("threaded-busy", &[Diagnosis::BusyCap]));
    }
    if turned_away > 0 {
        return Err(fail(
            Diagnosis::BusyLeak,
            expected,
            format!(
                "{turned_away} of the {idle_count} silent clients, and the last, were refused as busy, though fewer than LAB_MAX_CLIENTS={cap} were connected, and again a second later: the places of the two sessions that ended before (an idle client, and one served beside it) were not given back"
            ),
        ));
    }
    if says_busy(&ex.reply) {
        // At the cap itself: a limit off by one, or a place of a session
        // ended before never given back: threaded-busy's finding, with
        // LAB_MAX_CLIENTS=2, when it made one.
        return Err(fail(
            Diagnosis::BusyCap,
            expected,
            format!(
                "it was refused as busy ({}) as client {cap} of LAB_MAX_CLIENTS={cap}, every silent one taken on: a limit off by one, or a place of a session that ended before (an idle client, or one served beside it) never given back",
                show_bytes(&ex.reply),
            ),
        )
        .folded_if(
            "threaded-busy",
            &[Diagnosis::BusyCap, Diagnosis::BusyLeak, Diagnosis::EmptyRecv],
        ));
    }
    judge_reply(
        ctx,
        p,
        &ex,
        &format!("ACK: {message}"),
        Diagnosis::WrongReply,
    )?;
    // Its end closed too, for a server that waits for it before it ends
    // the session (a graceful close).
    drop(stream);
    beyond_the_cap(ctx, p, addr, (&idle, client), cap)
}

/// The cap kept at LAB_MAX_CLIENTS itself, not only at threaded-busy's 1
/// and 2: with the silent clients and one more filling the places, the
/// next is refused as busy (hostile round 54: a limit kept for caps of 2
/// or less, and none above, passed every check). Said only while every
/// silent client is still connected: one that timed out meanwhile (a
/// loaded machine) freed a place, and nothing is judged.
fn beyond_the_cap(
    ctx: &mut Ctx,
    p: Proc,
    addr: SocketAddr,
    (idle, served): (&[TcpStream], SocketAddr),
    cap: usize,
) -> Result<(), Failure> {
    ctx.step(format!(
        "one more silent client fills the {cap} places; then one more connects, to be refused as busy"
    ));
    // The place of the client just served comes back once its session
    // has ended: waited for, or the filler may be refused and the next
    // taken on in its stead (seen: the handout's Python server blamed in
    // a full suite run). A refused filler is asked again.
    sessions_closed(addr, &[served], SLACK);
    let mut filler = None;
    for _ in 0..5 {
        let Ok(stream) = crate::grade::harness::probe_connect(addr) else {
            return Ok(());
        };
        taken_on(ctx, p, Some(&stream));
        if !refused(&stream) {
            filler = Some(stream);
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    // Refused every time: threaded-concurrency's client was refused the
    // same way above, or nothing here is this check's to say.
    let Some(filler) = filler else {
        return Ok(());
    };
    let Ok(mut over) = crate::grade::harness::probe_connect(addr) else {
        return Ok(());
    };
    let Ok(over_addr) = over.local_addr() else {
        return Ok(());
    };
    let ex = read_reply(ctx, &mut over, over_addr);
    // A filler refused after all (its refusal came late), or a silent
    // client let go meanwhile: a place was free, and nothing is judged.
    let all_there = !refused(&filler) && still_open(&filler) && idle.iter().all(still_open);
    if says_busy(&ex.reply) || !all_there {
        return Ok(());
    }
    // Closed at once without a word, the others held: turned away at the
    // cap, which is right; the refusal's words are missing, threaded-busy's
    // finding (blind round 76: Node's server.maxConnections, told as a cap
    // broken here and as the words there, two findings for one mistake).
    if ex.reply.is_empty()
        && ex.end != End::Timeout
        && ctx.wait_exit(p, Duration::from_millis(300)).is_none()
        && ctx.crash_of(p).is_none()
    {
        return Err(fail(
            Diagnosis::WrongReply,
            format!(
                "with {cap} clients connected (LAB_MAX_CLIENTS={cap}), one more gets `ERROR: Server busy` and is closed"
            ),
            format!(
                "client {} was closed without a word: turned away at the cap, as it should be, but with no `ERROR: Server busy`",
                cap + 1
            ),
        )
        .hinted(SILENT_REFUSAL_HINT)
        .folded_if("threaded-busy", &[Diagnosis::WrongReply]));
    }
    let observed = if ex.reply.is_empty() && ex.end == End::Timeout {
        format!(
            "no refusal within {}s: it was taken on as client {} (or left waiting in line, as in a pool's queue), though {cap} were connected",
            SLACK.as_secs(),
            cap + 1
        )
    } else {
        format!(
            "the reply {}, not a refusal, though {cap} were connected",
            show_bytes(&ex.reply)
        )
    };
    Err(fail(
        Diagnosis::BusyCap,
        format!(
            "with {cap} clients connected (LAB_MAX_CLIENTS={cap}), one more gets `ERROR: Server busy` and is closed"
        ),
        observed,
    )
    .folded_if(
        "threaded-busy",
        &[Diagnosis::BusyCap, Diagnosis::BusyLeak, Diagnosis::EmptyRecv],
    ))
}

/// Waits (a second at most) until the server has taken on the client
/// `last`: its line naming it, or, for a server that prints none, 50 ms.
fn taken_on(ctx: &mut Ctx, p: Proc, last: Option<&TcpStream>) {
    let Some(last) = last.and_then(|s| s.local_addr().ok()) else {
        return;
    };
    if ctx.quiet(p) {
        std::thread::sleep(Duration::from_millis(50));
    } else {
        let last = last.to_string();
        ctx.wait_stdout(p, Duration::from_secs(1), |l| l.contains(&last));
    }
}

/// The server says it received `message` (a stdout line with `Received:
/// <message>`), yet the client got no reply: the reply was never sent
/// (a writer never flushed: Java's PrintWriter without autoflush, C's
/// fdopen'd socket). Not a timeout and not a busy server: threaded-ack's
/// wrong reply again, when it found one. Waits up to `wait` for the line
/// (it may come just after a close). Trap: only while nothing else could
/// have let a one-at-a-time server read the message meanwhile (its idle
/// client closed): the callers ask with the idle clients still connected.
fn received_but_no_reply(
    ctx: &mut Ctx,
    p: Proc,
    message: &str,
    expected: &str,
    wait: Duration,
) -> Option<Failure> {
    let line = ctx.wait_output(p, wait, |l| says_received(l, message))?;
    Some(never_replied(ctx, p, expected, &line))
}

/// Is `line` the server's note that it received `message`?
fn says_received(line: &str, message: &str) -> bool {
    line.trim_end()
        .strip_suffix(message)
        .is_some_and(|head| head.ends_with("Received: "))
}

/// The failure of [`received_but_no_reply`], for the server's `line`:
/// a crash when it died there (blind round 13: a server that raised right
/// after its Received line was `crash` in threaded-ack and `wrong-reply`,
/// "waits in a buffer", here: one mistake told as two).
fn never_replied(ctx: &mut Ctx, p: Proc, expected: &str, line: &str) -> Failure {
    let _ = ctx.wait_exit(p, Duration::from_millis(300));
    if let Some(crash) = ctx.crash_of(p) {
        return fail(
            Diagnosis::Crash,
            expected,
            format!("the server crashed after `{}`: {crash}", line.trim_end()),
        );
    }
    fail(
        Diagnosis::WrongReply,
        expected,
        format!(
            "no reply, although the server says it got the message (`{}`): the reply was never sent, or it waits in a buffer that is never flushed",
            line.trim_end()
        ),
    )
    .folded_if("threaded-ack", &[Diagnosis::WrongReply])
}

/// Is the connection still open from the server's side (no FIN, no RST)?
fn still_open(stream: &TcpStream) -> bool {
    if stream.set_nonblocking(true).is_err() {
        return false;
    }
    let mut byte = [0u8; 1];
    let open = match stream.peek(&mut byte) {
        Ok(0) => false, // the server closed it
        Ok(_) => true,
        Err(e) => e.kind() == std::io::ErrorKind::WouldBlock,
    };
    let _ = stream.set_nonblocking(false);
    open
}

/// Did the server send `stream` (an idle client) the busy refusal?
/// Looked at without waiting: what has come already.
/// Waits up to `within` for a word from the server on `stream` (its
/// refusal, or anything), left unread for [`refused`] to judge.
fn await_a_word(stream: &TcpStream, within: Duration) {
    let until = Instant::now() + within;
    let mut buf = [0u8; 64];
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            break;
        }
        match stream.peek(&mut buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            _ => break,
        }
    }
    let _ = stream.set_read_timeout(None);
}

fn refused(stream: &TcpStream) -> bool {
    if stream.set_nonblocking(true).is_err() {
        return false;
    }
    let mut buf = [0u8; 64];
    let got = match stream.peek(&mut buf) {
        Ok(n) => says_busy(&buf[..n]),
        Err(_) => false,
    };
    let _ = stream.set_nonblocking(false);
    got
}

/// Is `reply` a refusal as busy: the contract's `ERROR: Server busy`, or
/// one in the program's own words (`Server busy, try again later`)? The
/// cap is judged by who is refused, the words apart (blind round 15: its
/// own words were busy-cap, "does not serve exactly LAB_MAX_CLIENTS",
/// and the wording hid a slot never given back). Its own words need not
/// say "busy" (blind round 47: `ERROR: Too many clients, try again` was
/// taken for a client served, and a slot never given back after a reset
/// passed): a reply that speaks of a full server is a refusal. (Not any
/// error reply: one to a message may be a rule's, or a reply built wrong.)
fn says_busy(reply: &[u8]) -> bool {
    if reply.starts_with(b"ACK: ") {
        return false;
    }
    let text = String::from_utf8_lossy(reply).to_lowercase();
    let full = [
        "busy",
        "too many",
        "full",
        "try again",
        "try later",
        "capacity",
    ];
    full.iter().any(|w| text.contains(w))
}

/// How long the busy check waits for the second client's reply. A serial
/// server may answer within it, once the first idle client's LAB_TIMEOUT
/// has run out: told apart by whether the first is still connected.
const SECOND_REPLY: Duration = Duration::from_secs(3);

/// With LAB_MAX_CLIENTS=2 and two idle clients, a third is refused as busy;
/// once they leave, a fourth is served.
///
/// Threads that share the connection variable (C++'s `[&]` capture of the
/// accept loop's socket, C's `&cfd`) serve, close and keep each other's
/// connections: sessions end early and give their places back, a burst's
/// refused clients look taken on, the count itself right. A cap finding
/// folds under threaded-many's shared-state (blind round 89: told
/// busy-cap beside it, a correct counter to "fix").
pub fn busy(ctx: &mut Ctx) -> Result<(), Failure> {
    busy_cap(ctx).map_err(|f| match f.diagnosis {
        Diagnosis::BusyCap if used_closed_sockets(ctx) => {
            f.or_folded_if(&[("threaded-many", &[Diagnosis::SharedState])])
        }
        _ => f,
    })
}

/// Whether the threaded server's stderr tells of a socket used after it
/// was closed (EBADF, Java's "Socket is closed"): the mark of threads
/// that share one connection variable, not of a count (hostile round
/// 85: a global client address and no cap at all had its cap finding
/// folded under shared-state).
fn used_closed_sockets(ctx: &mut Ctx) -> bool {
    let Some(p) = ctx.first_of(role::THREADED_SERVER) else {
        return false;
    };
    ctx.child(p).lines(Stream::Stderr).iter().any(|l| {
        let lower = l.to_lowercase();
        [
            "bad file descriptor",
            "errno 9]",
            "ebadf",
            "socket is closed",
        ]
        .iter()
        .any(|w| lower.contains(w))
    })
}

/// See [`busy`].
fn busy_cap(ctx: &mut Ctx) -> Result<(), Failure> {
    let env = [("LAB_MAX_CLIENTS", "2".to_string()), timeout_env(6)];
    let (p, addr) = ctx.start_server(role::THREADED_SERVER, &[], &env)?;
    let first = idle_client(ctx, p, addr)?;
    let second = idle_client(ctx, p, addr)?;
    let second_addr = second
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    // (connect says so as its step: "connect a probe client".)
    let mut third = ctx.connect(addr)?;
    let third_addr = third
        .local_addr()
        .map_err(|e| fail(Diagnosis::Crash, "a connected socket", e.to_string()))?;
    let ex = read_reply(ctx, &mut third, third_addr);
    if ex.reply.is_empty() && !still_open(&first) {
        return Err(fail(
            Diagnosis::IgnoresConfig,
            "idle clients stay connected for LAB_TIMEOUT=6s",
            "the server had already hung up on the first idle client",
        ));
    }
    if ex.reply.is_empty() && ex.end == End::Timeout {
        // Over the cap, or not concurrent at all? Asked of the server's
        // behaviour, not of its console lines (a server may print none, or
        // hold them in a buffer): is the second client answered while the
        // first is still connected? A server that serves one client at a
        // time answers it only after closing the first (at LAB_TIMEOUT).
        let mut second = second;
        let message = ctx.message(12);
        ctx.step(format!(
            "the second client ({second_addr}) sends `{message}`, while the first stays connected"
        ));
        ctx.send(&mut second, message.as_bytes())?;
        let sent_at = ctx.child(p).elapsed();
        let _ = second.set_read_timeout(Some(SECOND_REPLY));
        let mut byte = [0u8; 1];
        let answered = matches!(std::io::Read::read(&mut second, &mut byte), Ok(1));
        let first_open = still_open(&first);
        // Received at once, while the first idles: a server that takes
        // clients on (a serial one reads it only once the first's
        // LAB_TIMEOUT has run out, a second or more later), whose reply
        // never came.
        // Trap: not "is the first still open": that LAB_TIMEOUT runs out
        // right about when this wait ends.
        let at_once = sent_at + Duration::from_millis(500);
        if !answered {
            // No reply: give its Received line time to come (a JVM under
            // load took more than 3 s to print its first one), and judge
            // by the order of lines below.
            let _ = ctx.wait_output_since(p, sent_at, SECOND_REPLY, |l| says_received(l, &message));
        }
        let mut lines: Vec<_> = [Stream::Stdout, Stream::Stderr]
            .into_iter()
            .flat_map(|s| ctx.child(p).timed_lines(s))
            .collect();
        lines.sort_by_key(|l| l.at);
        // Or, whenever it came, before the server was done with the first
        // client (its line naming the first's address, other than its
        // Connection line; with no such line, while the first is still
        // connected): a serial server reads the second message only after
        // that. Trap: by time alone, a JVM under load printed its
        // Received line more than 2 s late (java/bob, a clean-clone run).
        let first_addr = first
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        let first_done = lines.iter().position(|l| {
            !first_addr.is_empty()
                && l.text.contains(&first_addr)
                && !l.text.contains("Connection from")
        });
        let received_at_once = lines
            .iter()
            .enumerate()
            .find(|(i, l)| {
                says_received(&l.text, &message)
                    && (l.at <= at_once
                        || match first_done {
                            Some(done) => *i < done,
                            // No line about it: the first still held.
                            None => first_open,
                        })
            })
            .map(|(_, l)| l.clone());
        if let (false, Some(line)) = (answered, received_at_once) {
            let expected = "the server takes on a second client while the first is connected";
            return Err(never_replied(ctx, p, expected, &line.text));
        }
        if !answered {
            drop(first);
            if let Some(ended) = ended_after_its_first(ctx, p) {
                return Err(ended);
            }
        }
        if !answered || !first_open {
            let observed = if answered {
                format!("the second client ({second_addr}) was answered only after the server had closed the first: one client at a time")
            } else {
                format!(
                    "the second client ({second_addr}) got no reply within {:.1}s: the server is still busy with the first",
                    SECOND_REPLY.as_secs_f64()
                )
            };
            return Err(fail(
                Diagnosis::NoConcurrency,
                "the server takes on a second client while the first is connected",
                observed,
            ));
        }
        // Taken on like the others (its Connection line came), or left in
        // a queue? The first is a limit off by one (blind round 11: told
        // "kept waiting", with a hint about pools' queues).
        let served = ctx
            .child(p)
            .lines(Stream::Stdout)
            .iter()
            .any(|l| l.trim_end() == format!("[SERVER] Connection from {third_addr}"));
        let observed = if served {
            format!(
                "it was taken on like the others (`[SERVER] Connection from {third_addr}`) and waited for its message: a third client served with LAB_MAX_CLIENTS=2 (is LAB_MAX_CLIENTS read at all, under that very name? else a limit off by one: `>` where `>=` is meant?)"
            )
        } else {
            format!("it was kept waiting with no reply for {}s", SLACK.as_secs())
        };
        return Err(fail(
            Diagnosis::BusyCap,
            "with 2 of LAB_MAX_CLIENTS=2 busy, the third client gets `ERROR: Server busy` and is closed",
            observed,
        ));
    }
    // Refused in its own words: the cap is right; the words are judged
    // once the rest is (the slot given back, below).
    // Closed at once with no word, the first two held and the server
    // running: turned away, the cap kept; only the words are missing
    // (hostile round 65: told busy-cap, with a hint about the count).
    // (A moment for the traceback of a refusal that crashed, hostile
    // round 76: `sendall(str)`, told as a refusal without words.)
    let closed_silently = ex.reply.is_empty()
        && ex.end != End::Timeout
        && ctx.wait_exit(p, Duration::from_millis(300)).is_none()
        && ctx.crash_of(p).is_none()
        && [&first, &second]
            .iter()
            .all(|c| still_open(c) && !refused(c));
    let own_words = if closed_silently {
        Some("nothing (the connection was closed without a word)".to_string())
    } else {
        (says_busy(&ex.reply) && ex.reply != b"ERROR: Server busy").then(|| show_bytes(&ex.reply))
    };
    if own_words.is_none() {
        judge_reply(ctx, p, &ex, "ERROR: Server busy", Diagnosis::BusyCap)?;
    }
    // Said with the words, below: a refusal left open (review).
    let left_open = if ex.end == End::Timeout {
        ", and the connection was left open"
    } else {
        ""
    };
    // Refusing the third proves little if the second was refused too: a
    // limit one too strict (blind round 13: `threading.active_count()`,
    // which counts the main thread, compared with LAB_MAX_CLIENTS).
    for (which, idle) in [("first", &first), ("second", &second)] {
        if refused(idle) {
            return Err(fail(
                Diagnosis::BusyCap,
                "with LAB_MAX_CLIENTS=2, the first two clients are taken on and the third alone gets `ERROR: Server busy`",
                format!(
                    "the {which} client got `ERROR: Server busy` too, with {} connected before it: a limit too strict (`>=` where `>` is meant, or a count that includes the main thread, as threading.active_count() does?)",
                    if which == "first" { "no client" } else { "one client" }
                ),
            ));
        }
    }
    ctx.step("the two idle clients leave");
    let left: Vec<SocketAddr> = [&first, &second]
        .iter()
        .filter_map(|c| c.local_addr().ok())
        .collect();
    drop(first);
    drop(second);
    let left_at = Instant::now();
    let message = ctx.message(16);
    let want = format!("ACK: {message}");
    let ex = once_free(ctx, p, addr, &message, "after its busy clients left")?;
    if says_busy(&ex.reply) {
        if let Some(f) = end_of_stream_ignored(ctx, p, addr, &left, Places::Kept) {
            return Err(f);
        }
        return Err(fail(
            Diagnosis::BusyLeak,
            format!("after the busy clients left, a new client gets `{want}`"),
            format!(
                "it was still refused as busy {}s later{}",
                SLACK.as_secs(),
                own_words
                    .as_ref()
                    .map(|w| format!(" (and the refusal was {w}, not `ERROR: Server busy`)"))
                    .unwrap_or_default()
            ),
        ));
    }
    judge_reply(ctx, p, &ex, &want, Diagnosis::WrongReply)?;
    // Their places are back; are their connections closed?
    until_closed_after_peer(addr, &left, left_at);
    if let Some(f) = end_of_stream_ignored(ctx, p, addr, &left, Places::GivenBack) {
        return Err(f);
    }
    // Both places back, not one: a session that keeps its place on the
    // refusal's path (the count raised before the test, never lowered for
    // the refused) leaves room for one only (blind round 26: caught in 4
    // runs of 6, when the retries happened to need a second place).
    std::thread::sleep(GIVE_BACK);
    ctx.step("two silent clients: with LAB_MAX_CLIENTS=2 both are taken on again");
    let Some(again) = two_silent(ctx, p, addr, "after every client left")? else {
        return Err(fail(
            Diagnosis::BusyLeak,
            "with LAB_MAX_CLIENTS=2, once every client has left, two new clients are taken on",
            format!(
                "the second was refused as busy: a place was never given back (the refused client's? a refusal that counts the client in before it refuses it keeps its place){}",
                own_words
                    .as_ref()
                    .map(|w| format!(" (and the refusal was {w}, not `ERROR: Server busy`)"))
                    .unwrap_or_default()
            ),
        ));
    };
    drop(again);
    error_paths_give_back(ctx, p, addr, own_words.as_deref())?;
    together(ctx, p, addr)?;
    match own_words {
        Some(words) => Err(fail(
            Diagnosis::WrongReply,
            "with 2 of LAB_MAX_CLIENTS=2 busy, the third client gets the reply `ERROR: Server busy`, in exactly these words, and is closed",
            format!("it was refused (the limit is right) with the reply {words}{left_open}"),
        )
        // Not the general hint (blind round 72: it spoke of building a
        // reply from the bytes read; a refusal's words are fixed).
        .hinted(if closed_silently {
            SILENT_REFUSAL_HINT
        } else {
            "The refusal is a fixed line of the contract: send exactly `ERROR: Server busy` (no other words), then close that connection; copy it from the handout rather than write it from memory, since a client or a grader matches it word for word."
        })),
        None => Ok(()),
    }
}

/// [`BURST`] clients that connect at the same moment, with
/// LAB_MAX_CLIENTS=2: all but two of them are refused still. Every other
/// check connects one client at a time, the server's count long settled in
/// between (blind round 64: a C++ server that tested `int active` in its
/// accept loop and raised it in the client's thread passed them all, and
/// let three in on 20 bursts of 20). Only more than two taken on is
/// judged: a place not yet given back refuses more, and the checks above
/// judge the cap.
fn together(ctx: &mut Ctx, p: Proc, addr: SocketAddr) -> Result<(), Failure> {
    ctx.step(format!(
        "{BURST} silent clients connect at the same moment (LAB_MAX_CLIENTS=2), up to {BURSTS} times: each time two are taken on, the others refused"
    ));
    // Six, not three: each accept after the second is one more chance for
    // a count raised late to be seen low; with three, a C++ server that
    // raised it in the client's thread was caught in one full run of three
    // (blind round 79), a Python one in two of eight (blind round 75).
    // And several bursts: one burst of six caught a Python one in two runs
    // of nine (hostile round 78).
    const CAP: usize = 2;
    std::thread::sleep(GIVE_BACK);
    for round in 1..=BURSTS {
        let mut burst = Vec::new();
        for _ in 0..BURST {
            match crate::grade::harness::probe_connect(addr) {
                Ok(stream) => burst.push(stream),
                // Refused or dropped by a server in trouble: the checks
                // above and after judge that.
                Err(_) => return Ok(()),
            }
        }
        let until = Instant::now() + SLACK;
        let turned_away = |burst: &[TcpStream]| {
            // Refused in words, or closed at once (a refusal it did not
            // word).
            burst
                .iter()
                .filter(|s| refused(s) || !still_open(s))
                .count()
        };
        let mut away = turned_away(&burst);
        while away < BURST - CAP && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20));
            away = turned_away(&burst);
        }
        if ctx.child(p).try_status().is_some() {
            return Ok(());
        }
        if away < BURST - CAP {
            return Err(taken_together(BURST - away, round));
        }
        // The burst leaves; the two it was given end their sessions. (A
        // place not back yet only refuses more: no wait for it.)
        let left: Vec<SocketAddr> = burst.iter().filter_map(|s| s.local_addr().ok()).collect();
        drop(burst);
        sessions_closed(addr, &left, SLACK);
    }
    Ok(())
}

/// How many bursts [`together`] sends at most.
const BURSTS: usize = 6;

/// [`together`]'s finding: `taken` clients of burst `round` taken on.
fn taken_together(taken: usize, round: usize) -> Failure {
    let which = if round == 1 {
        String::new()
    } else {
        format!(" (burst {round}; the ones before were refused right)")
    };
    fail(
        Diagnosis::BusyCap,
        format!("with LAB_MAX_CLIENTS=2, of {BURST} clients that connect at the same moment, all but two get `ERROR: Server busy`"),
        format!(
            "{taken} of them were taken on (not refused within {}s){which}, though one at a time the third was refused: the count of busy places is tested and raised in two steps, and clients that come together pass the test before it is raised (raised in the client's thread, after the accept loop tested it, or read and written without a lock?)",
            SLACK.as_secs()
        ),
    )
    .hinted("Test and take a place in one step, in the accept loop, before the client goes to its thread: a semaphore's try-acquire (`threading.BoundedSemaphore.acquire(blocking=False)`, `Semaphore.tryAcquire()` in Java), or a counter tested and raised under one lock (in Rust an AtomicUsize's fetch_update). A count raised later by the client's thread lets clients that arrive together all in, whatever LAB_MAX_CLIENTS says; give the place back when the session ends.")
}

/// The sessions a rule ends (a message too long, one that is not UTF-8,
/// a blank one) give their places back too, with LAB_MAX_CLIENTS=2:
/// a thread that died of bytes that are not UTF-8, or returned before
/// its release on an `ERROR` reply, passed every check, and the server
/// ended up refusing everyone (hostile round 51). What each got is not
/// judged here (the rules are the one-shot server's checks); that its
/// place came back is. `own_words`: the refusal, when not the contract's.
fn error_paths_give_back(
    ctx: &mut Ctx,
    p: Proc,
    addr: SocketAddr,
    own_words: Option<&str>,
) -> Result<(), Failure> {
    let after = "after clients whose messages its rules refuse";
    let too_long = ctx.letters(101);
    let mut not_utf8 = ctx.letters(5).into_bytes();
    not_utf8.extend_from_slice(&[0xC3, 0x28]);
    not_utf8.extend_from_slice(ctx.letters(5).as_bytes());
    let longer = format!("  {}\n", ctx.letters(300));
    for (what, payload) in [
        ("a message of 101 characters", too_long.into_bytes()),
        (
            "a message of 300 characters, with whitespace around it",
            longer.into_bytes(),
        ),
        ("bytes that are not UTF-8 (C3 28)", not_utf8),
        ("a blank message (three spaces)", b"   ".to_vec()),
    ] {
        ctx.step(format!(
            "a client sends {what}, and reads until the server closes"
        ));
        let (mut stream, client) =
            connect_and_send(ctx, addr, &payload).map_err(|f| after_served(ctx, p, f, after))?;
        let ex = read_reply(ctx, &mut stream, client);
        drop(stream);
        // The session died of it, and the server lives on: the thread's
        // crash is the finding (its place is lost with it).
        if ex.reply.is_empty() {
            let _ = ctx.wait_exit(p, Duration::from_millis(300));
            if let Some(crash) = ctx.crash_of(p) {
                let f = fail(
                    Diagnosis::Crash,
                    format!("a client that sends {what} gets a reply, and the server serves on"),
                    format!("no reply; the session ended in an error: {crash}"),
                );
                return Err(match ctx.child(p).try_status() {
                    Some(_) => after_served(ctx, p, f, after),
                    None => f,
                });
            }
        }
    }
    std::thread::sleep(GIVE_BACK);
    ctx.step("two silent clients: with LAB_MAX_CLIENTS=2 both are taken on again");
    let Some(again) = two_silent(ctx, p, addr, after)? else {
        return Err(fail(
            Diagnosis::BusyLeak,
            "with LAB_MAX_CLIENTS=2, once the sessions its rules ended are over, two new clients are taken on",
            format!(
                "a new client was refused as busy: a session that ended on one of its rules' refusals (a message too long, not UTF-8, or blank) never gave its place back (give it back on every path: a finally, or a guard){}",
                own_words
                    .map(|w| format!(" (and the refusal was {w}, not `ERROR: Server busy`)"))
                    .unwrap_or_default()
            ),
        ));
    };
    drop(again);
    Ok(())
}

/// A client that sends nothing is hung up on after LAB_TIMEOUT, and its
/// place is given back: the timeout is a way out of the session of its
/// own, one the busy check's clients (who leave) never take. A session
/// with no timeout holds its thread, and its place, for ever; a thread
/// that dies of its timeout (an uncaught `socket.timeout`) often skips
/// the code that gives the place back.
pub fn silent_client(ctx: &mut Ctx) -> Result<(), Failure> {
    let env = [("LAB_MAX_CLIENTS", "1".to_string()), timeout_env(1)];
    let (p, addr) = ctx.start_server(role::THREADED_SERVER, &[], &env)?;
    let expected = "with LAB_TIMEOUT=1, the server closes the connection of a client that sends nothing about 1s after it connected";
    let connected = Instant::now();
    let mut silent = ctx.connect(addr)?;
    ctx.step("send nothing; wait for the server to close the connection after LAB_TIMEOUT=1s");
    let (bytes, end) = read_to_end(&mut silent, SLACK + Duration::from_secs(1));
    if says_busy(&bytes) {
        // Refused with no client before it: a limit too strict, which
        // threaded-busy names.
        return Err(fail(
            Diagnosis::BusyCap,
            "with LAB_MAX_CLIENTS=1 and no other client, the client is taken on",
            format!("it was refused: {}", show_bytes(&bytes)),
        )
        .folded_if("threaded-busy", &[Diagnosis::BusyCap]));
    }
    if end == End::Timeout {
        // Its timeout fired, and the error it raised killed the session's
        // thread: the socket is left open until a garbage collection that
        // may never come (Python: the traceback keeps it alive).
        if let Some(crash) = ctx.crash_of(p) {
            return Err(fail(
                Diagnosis::Crash,
                expected,
                format!(
                    "still connected {}s later, and the server's stderr says why: {crash} (a session thread that dies of its timeout leaves its connection, and its place, behind)",
                    SLACK.as_secs() + 1
                ),
            ));
        }
        // It says it let the client go, and the connection stays open: its
        // socket was not closed (in a forked server, the parent's copy
        // of it): no-close, as threaded-ack sees it, not a timeout that
        // never fired (blind round 23: C with fork()).
        if let Some(line) = ctx.wait_output(p, Duration::ZERO, |l| l.contains("sent nothing")) {
            return Err(fail(
                Diagnosis::NoClose,
                expected,
                format!(
                    "the server said `{}`, but the connection was still open {}s after it connected: the socket was not closed (a forked child's close leaves the parent's copy open: close the connection in the parent right after fork())",
                    line.trim_end(),
                    SLACK.as_secs() + 1
                ),
            )
            .folded_if("threaded-ack", &[Diagnosis::NoClose]));
        }
        ctx.step(format!(
            "still open after {}s: keep waiting up to {}s more, in case it uses a timeout of its own",
            SLACK.as_secs() + 1,
            super::server::LATE_TIMEOUT.as_secs()
        ));
        let (_, late) = read_to_end(&mut silent, super::server::LATE_TIMEOUT);
        let took = connected.elapsed().as_secs_f64();
        return Err(if late == End::Timeout {
            fail(
                Diagnosis::ServerTimeout,
                expected,
                format!("still connected {took:.0}s later: the session never closed the connection of a client that sent nothing (no read timeout, or a timeout whose way out does not close): such a client holds its connection, and with it a thread or one of the LAB_MAX_CLIENTS places, for as long as it likes"),
            )
        } else {
            fail(
                Diagnosis::IgnoresConfig,
                expected,
                format!("it closed the connection {took:.1}s after the client connected, while LAB_TIMEOUT was 1s: the timeout does not come from LAB_TIMEOUT"),
            )
            .hinted(super::common::TIMEOUT_HINT)
        });
    }
    drop(silent);
    let took = connected.elapsed();
    if took < TOO_SOON {
        // Gone with it: it ended (exits-early, or crash).
        if ctx.wait_exit(p, Duration::from_millis(500)).is_some() {
            let f = fail(
                Diagnosis::Crash,
                expected,
                "it closed the connection at once",
            );
            return Err(after_served(ctx, p, f, "after a client that sent nothing"));
        }
        return Err(fail(
            Diagnosis::IgnoresConfig,
            expected,
            format!(
                "it closed the connection {:.2}s after the client connected, while LAB_TIMEOUT was 1s: a timeout in the wrong unit (milliseconds where the variable is in seconds?)",
                took.as_secs_f64()
            ),
        )
        .hinted(super::common::TIMEOUT_HINT));
    }
    // Closed: is its place free again? Asked once LAB_TIMEOUT has passed
    // with no new client, whatever the load: a server whose accept() (or
    // select()) times out after a second with no client has ended, or
    // stopped accepting, by then. Asked at once, the next client raced
    // that timeout and passed now and then (a full test run under load).
    let asked = connected + Duration::from_millis(1600);
    if let Some(wait) = asked.checked_duration_since(Instant::now()) {
        ctx.step("wait until 1.6s after the silent client connected: no client for longer than LAB_TIMEOUT");
        std::thread::sleep(wait);
    }
    let message = ctx.message(14);
    let want = format!("ACK: {message}");
    let ex = once_free(ctx, p, addr, &message, "after a client that sent nothing")?;
    if says_busy(&ex.reply) {
        return Err(place_kept(
            ctx,
            p,
            format!(
                "once the silent client is closed, its place is free: a new client gets `{want}`"
            ),
            "the session that timed out never gave its place back",
        ));
    }
    // (A traceback on stderr with the client let go and its place back,
    // a `finally` doing both, is not judged: a program may print one it
    // caught, and the thread's own may come after this look.)
    match judge_reply(ctx, p, &ex, &want, Diagnosis::WrongReply) {
        Ok(()) => given_back_at_once(ctx, p, addr),
        // Gone: it ended with the silent client's session (exits-early,
        // or crash), as the one-client server does.
        Err(f) if ctx.wait_exit(p, Duration::from_secs(1)).is_some() => {
            Err(after_served(ctx, p, f, "after a client that sent nothing"))
        }
        Err(f) => match never_taken_on(ctx, p, addr, &ex) {
            Some(observed) => Err(fail(Diagnosis::ExitsEarly, f.expected, observed)),
            None => Err(f.folded_if("threaded-ack", &[Diagnosis::WrongReply])),
        },
    }
}

/// A client that got no reply at all from a server that is still running:
/// was it ever taken on? A server that named the clients before it
/// (`Connection from`) and never this one left it waiting in the listen
/// backlog: its loop no longer calls accept() (blind round 26: a C
/// select() loop whose fd_set and timeout were filled once, before the
/// loop, spun on an empty set after its first idle second). What it
/// observed, or `None` when that is not what happened.
fn never_taken_on(
    ctx: &mut Ctx,
    p: Proc,
    addr: SocketAddr,
    ex: &super::common::Exchange,
) -> Option<String> {
    if !ex.reply.is_empty() || ex.end != End::Timeout || ctx.child(p).try_status().is_some() {
        return None;
    }
    // Its listener's accept queue, where the kernel shows it: empty, and
    // the client was taken on (then stuck elsewhere: a lock, a read).
    #[cfg(target_os = "linux")]
    if crate::grade::harness::same_network_namespace(ctx.child(p).pid())
        && crate::grade::sockdiag::accept_queue(addr.port()) == Some(0)
    {
        return None;
    }
    #[cfg(not(target_os = "linux"))]
    let _ = addr;
    // Its clients named in whatever words and form (Java's
    // `/127.0.0.1:5000`, a tuple): by the connection word, and this one by
    // its port, on either stream.
    let mut lines = ctx.child(p).lines(Stream::Stdout);
    lines.extend(ctx.child(p).lines(Stream::Stderr));
    let port = ex.client.port().to_string();
    let names_port = |l: &String| {
        l.match_indices(port.as_str()).any(|(at, _)| {
            let digit_before = l[..at].ends_with(|c: char| c.is_ascii_digit());
            let digit_after = l[at + port.len()..].starts_with(|c: char| c.is_ascii_digit());
            !digit_before && !digit_after
        })
    };
    let names_clients = lines
        .iter()
        .any(|l| l.to_lowercase().contains("connection from"));
    if !names_clients || lines.iter().any(names_port) {
        return None;
    }
    Some(format!(
        "no reply within {}s, and no `[SERVER] Connection from {}` line for it, while the clients before it were named: it was never taken on: it waited in the listen backlog while the server ran on without calling accept() (a loop that no longer reaches it: a select()/poll() whose descriptor set was filled once, before the loop, as select() empties it when it times out; a wait for a place that never comes back)",
        SLACK.as_secs(),
        ex.client
    ))
}

/// The hint of a client over the cap closed without a word.
const SILENT_REFUSAL_HINT: &str = "Refuse in words: write `ERROR: Server busy` to the client over the limit, then close its connection. Closed without a word, it cannot tell a refusal from a crash. Node's server.maxConnections does just that (it drops the extra connection): count the open sessions yourself in the 'connection' handler, and refuse there.";

/// How many clients [`together`] connects at the same moment.
const BURST: usize = 6;

/// How long after a session ended its place must be free: far above the
/// moments a thread or a child takes to end on a loaded machine.
const GIVE_BACK: Duration = Duration::from_millis(500);

/// Two silent clients at once (LAB_MAX_CLIENTS=2 in the checks that ask):
/// both taken on, or `None` when the second is refused as busy twice,
/// GIVE_BACK apart (a place may be on its way back). `after` says when,
/// for a server that ended meanwhile.
fn two_silent(
    ctx: &mut Ctx,
    p: Proc,
    addr: SocketAddr,
    after: &str,
) -> Result<Option<Vec<TcpStream>>, Failure> {
    let mut clients = Vec::new();
    for _ in 0..2 {
        let mut client = idle_client(ctx, p, addr).map_err(|f| after_served(ctx, p, f, after))?;
        if refused(&client) {
            drop(client);
            std::thread::sleep(GIVE_BACK);
            client = idle_client(ctx, p, addr).map_err(|f| after_served(ctx, p, f, after))?;
            if refused(&client) {
                return Ok(None);
            }
        }
        clients.push(client);
    }
    Ok(Some(clients))
}

/// With LAB_MAX_CLIENTS=1 and the last session over (its reply read, its
/// connection closed): is its place given back as it ends, or only when
/// the next client comes? A forking server that reaps its finished
/// children after it has counted them refuses every other client, and
/// once_free's retries hid it (blind round 23, C). Said only when it
/// happens twice running: a client that came GIVE_BACK after the last
/// session ended refused, and the one right after it served.
fn given_back_at_once(ctx: &mut Ctx, p: Proc, addr: SocketAddr) -> Result<(), Failure> {
    let after = "after a client that was served";
    for _ in 0..2 {
        ctx.step(format!(
            "wait {:.1}s, then a new client sends a message: the last session's place is free by then",
            GIVE_BACK.as_secs_f64()
        ));
        std::thread::sleep(GIVE_BACK);
        let message = ctx.message(12);
        let (mut stream, client) = match connect_and_send(ctx, addr, message.as_bytes()) {
            Ok(connected) => connected,
            Err(f) => return Err(after_served(ctx, p, f, after)),
        };
        let first = read_reply(ctx, &mut stream, client);
        if !says_busy(&first.reply) {
            return Ok(());
        }
        let message = ctx.message(12);
        let again = once_free(ctx, p, addr, &message, after)?;
        if says_busy(&again.reply) {
            return Err(place_kept(
                ctx,
                p,
                "with LAB_MAX_CLIENTS=1, each new client that comes after the last one left is served".to_string(),
                "its last session never gave its place back",
            ));
        }
    }
    Err(fail(
        Diagnosis::BusyLeak,
        "with LAB_MAX_CLIENTS=1, a client that comes after the last session ended is served",
        format!(
            "twice running, a client that came {:.1}s after the last session had ended was refused as busy, and the client right after it was served: a finished session's place is given back only when the next client comes, so every other client is turned away (a forking server that reaps its children with waitpid() only after it has counted them? reap first, or on SIGCHLD)",
            GIVE_BACK.as_secs_f64()
        ),
    ))
}

/// A new client still refused as busy once the sessions before it ended
/// (`which`): their places were never given back. A traceback says why,
/// where there is one.
fn place_kept(ctx: &mut Ctx, p: Proc, expected: String, which: &str) -> Failure {
    let died = ctx
        .crash_of(p)
        .map(|c| format!("; a session ended in an error: {c}"))
        .unwrap_or_default();
    fail(
        Diagnosis::BusyLeak,
        expected,
        format!(
            "it was still refused as busy {}s later: {which}{died}",
            SLACK.as_secs()
        ),
    )
}

/// A new client sends `message` once the server's clients left (`after`):
/// asked again while it is refused as busy, for up to SLACK, since a
/// session may close its socket a moment before it gives its place back
/// (a place never given back stays taken). The last exchange, busy or
/// not. A connection refused means the server ended with those sessions
/// (a C `exit()` on a session's path ends every thread): exits-early or
/// crash, not "never listened".
fn once_free(
    ctx: &mut Ctx,
    p: Proc,
    addr: SocketAddr,
    message: &str,
    after: &str,
) -> Result<super::common::Exchange, Failure> {
    let until = Instant::now() + SLACK;
    loop {
        let (mut stream, client) = match connect_and_send(ctx, addr, message.as_bytes()) {
            Ok(connected) => connected,
            Err(f) => return Err(after_served(ctx, p, f, after)),
        };
        let ex = read_reply(ctx, &mut stream, client);
        // Refused with no word (closed at once, the server running): a
        // refusal too, which a place not given back yet explains as well
        // (hostile round 65: the client after the busy ones left, told
        // "closed without a reply" by a race).
        let silent = ex.reply.is_empty()
            && ex.end != End::Timeout
            && ctx.child(p).try_status().is_none()
            && ctx.crash_of(p).is_none();
        let turned_away = says_busy(&ex.reply) || silent;
        if turned_away {
            // Refused before its message was read: the reset that closing
            // with it unread sends is the refusal, not a mistake.
            note_ended_on_purpose(client.port());
        }
        if !turned_away || Instant::now() >= until {
            return Ok(ex);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Sooner than this after it connected, a silent client was not let go
/// by a timeout of LAB_TIMEOUT=1s (one in milliseconds lets it go at
/// once). Far below the second, so a slow grader thread cannot pass it.
const TOO_SOON: Duration = Duration::from_millis(500);

/// Clients that abort their connection (an RST: a client program killed,
/// a laptop gone from the network) end their own sessions, never the
/// server, and give their places back. One resets right after its
/// message, so the reply meets a reset socket (the write fails with
/// ECONNRESET, a second one with EPIPE and SIGPIPE, which ends a C
/// program that does not ignore it); then two, which both places must
/// take, reset while the server waits for their messages (the read fails
/// with ECONNRESET). Node.js ends the
/// whole process on a socket error nobody listens for; a Python or Java
/// session thread that dies of the error without a `finally` keeps its
/// place, which LAB_MAX_CLIENTS=2 shows.
pub fn reset(ctx: &mut Ctx) -> Result<(), Failure> {
    let env = [("LAB_MAX_CLIENTS", "2".to_string())];
    let (p, addr) = ctx.start_server(role::THREADED_SERVER, &[], &env)?;
    // First, before any reset: does it take two at once at all? A limit
    // too strict (threaded-busy's finding) would read as a place kept
    // below.
    ctx.step("two silent clients: with LAB_MAX_CLIENTS=2 both are taken on");
    let Some(first_two) = two_silent(ctx, p, addr, "at its start")? else {
        return Err(fail(
            Diagnosis::BusyCap,
            "with LAB_MAX_CLIENTS=2 and no other client, two clients are taken on",
            "the second was refused as busy",
        )
        .caused_by("threaded-busy"));
    };
    let left: Vec<SocketAddr> = first_two
        .iter()
        .filter_map(|c| c.local_addr().ok())
        .collect();
    drop(first_two);
    // Their places back before any reset, or what follows would be read
    // as the resets' doing (a session that leaks on the way out of an
    // empty read is threaded-busy's and threaded-silent-client's finding).
    ctx.step(format!(
        "the two silent clients close; {} ms for their places to come back",
        GIVE_BACK.as_millis()
    ));
    std::thread::sleep(GIVE_BACK);
    let message = ctx.message(12);
    let back = once_free(ctx, p, addr, &message, "after two silent clients left")?;
    if says_busy(&back.reply) {
        // Their connections still open on its side: the 0 bytes not taken
        // for the end, threaded-busy's finding (hostile round 77: one
        // mistake told three ways).
        if let Some(f) = end_of_stream_ignored(ctx, p, addr, &left, Places::Kept) {
            return Err(f.folded_if("threaded-busy", &[Diagnosis::EmptyRecv, Diagnosis::NoClose]));
        }
        return Err(place_kept(
            ctx,
            p,
            "with LAB_MAX_CLIENTS=2, once two silent clients have left, a new client is served"
                .to_string(),
            "the sessions of the two clients that left without a word never gave their places back",
        )
        // threaded-busy's leak: its own part, the resets, is then not
        // reached, and the report says so (blind round 84: told as a
        // finding of its own, a mistake of the resets hidden behind it).
        .caused_by("threaded-busy"));
    }
    // (A server that died of that ordinary message may be closing its
    // listener as this client comes: how it ended is the finding, not a
    // refused connection.)
    let message = ctx.message(12);
    let (sent, first) = connect_and_send(ctx, addr, message.as_bytes())
        .map_err(|f| after_served(ctx, p, f, "after two silent clients left"))?;
    ctx.reset(sent);
    let reset = format!("when the client {first} reset its connection right after its message");
    survived_reset(
        ctx,
        p,
        &format!("{reset} (a reply written then meets the reset)"),
    )
    .map_err(|mut f| {
        // Said only of a session that got as far as the message: one that
        // died before (blind round 31: Node's `remoteAddress`, undefined
        // on a socket already reset, read in the connection handler) was
        // told it met the reset writing a reply.
        let port = format!(":{}", first.port());
        let lines: Vec<String> = [Stream::Stdout, Stream::Stderr]
            .into_iter()
            .flat_map(|s| ctx.child(p).lines(s))
            .collect();
        let instead = if lines.iter().any(|l| l.contains(&message)) {
            return f;
        } else if lines.iter().any(|l| l.contains(&port)) {
            "after it printed that client's connection, before its message (its session died reading, not on a reply)"
        } else {
            "before it printed anything of that client (its session died as it began, not on a reply)"
        };
        f.observed = f.observed.replacen(
            &format!("{reset} (a reply written then meets the reset)"),
            &format!("{reset}, {instead}"),
            1,
        );
        f
    })?;
    let after = "after a client reset its connection";
    // Two silent clients next, which both places must take: a session
    // that kept its place after the first reset refuses the second (blind
    // round 25: a place kept per reset passed with one client after).
    ctx.step(format!(
        "{} ms for its place to come back; then two silent clients again, both to be taken on",
        GIVE_BACK.as_millis()
    ));
    std::thread::sleep(GIVE_BACK);
    let Some(silent) = two_silent(ctx, p, addr, after)? else {
        return Err(place_kept(
            ctx,
            p,
            "with LAB_MAX_CLIENTS=2, once the reset client is gone, two new clients are taken on"
                .to_string(),
            "the session that ended in a reset never gave its place back",
        ));
    };
    for client in silent {
        let name = client
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        ctx.reset(client);
        survived_reset(
            ctx,
            p,
            &format!("when the client {name} reset its connection while the server waited for its message (a read then meets the reset)"),
        )?;
    }
    let after = "after three clients reset their connections";
    let message = ctx.message(14);
    let want = format!("ACK: {message}");
    ctx.step("a new client sends a message: the server is still there, with a place for it");
    let ex = once_free(ctx, p, addr, &message, after)?;
    if says_busy(&ex.reply) {
        return Err(place_kept(
            ctx,
            p,
            format!("with LAB_MAX_CLIENTS=2, once the reset clients are gone, a new client gets `{want}`"),
            "the sessions that ended in a reset never gave their places back",
        ));
    }
    survived_reset(ctx, p, after)?;
    if !ex.reply.is_empty() {
        // Served: the reply's wording is threaded-ack's to judge. A reset
        // session's error reported on stderr (a traceback printed by its
        // own handler too) is what the contract asks; a thread that died
        // of it, uncaught, is not, though the server lives on (blind
        // round 85: Rust's `write_all(..).unwrap()` passed every check,
        // its Drop guard giving the place back).
        if let Some(told) = uncaught_in_a_thread(ctx, p) {
            // Of the reset, or of something every session meets (hostile
            // round 82: a closing line that read a closed socket's peer).
            let of_it = if super::common::tells_of_a_reset(&told) {
                "a thread serving a reset client died of it, uncaught"
            } else {
                "a thread of it died of an uncaught error (not the reset's: look at what every session runs)"
            };
            return Err(fail(
                Diagnosis::Crash,
                "a session's error (a reset connection) is caught in that session, said on stderr, and only that session ends",
                format!("the server served on, but {of_it}: {told}"),
            ));
        }
        return Ok(());
    }
    if let Some(observed) = never_taken_on(ctx, p, addr, &ex) {
        // A worker of a pre-forked pool that died of the reset, its
        // traceback on stderr: the pool lost a process that accepted; the
        // reset's uncaught error is the mistake (blind round 41: told as a
        // select() loop that stopped calling accept()).
        if let Some(crash) = ctx
            .crash_of(p)
            .filter(|c| super::common::tells_of_a_reset(c))
        {
            return Err(fail(
                Diagnosis::Crash,
                format!("the new client gets `{want}`"),
                format!(
                    "no reply within {}s, and no `[SERVER] Connection from {}` line for it: it was never taken on; {crash}: a process of the server died of a reset connection, and with it one that accepted clients (catch the reset in the session, and go on)",
                    SLACK.as_secs(),
                    ex.client
                ),
            ));
        }
        return Err(fail(
            Diagnosis::ExitsEarly,
            format!("the new client gets `{want}`"),
            observed,
        ));
    }
    Err(fail(
        Diagnosis::WrongReply,
        format!("the new client gets `{want}`"),
        format!(
            "no reply, though the server is still running: a server that answers clients otherwise (threaded-ack) stopped answering {after}"
        ),
    )
    .folded_if("threaded-ack", &[Diagnosis::WrongReply, Diagnosis::Crash]))
}

/// The line of the server `p`'s stderr that says one of its threads died
/// of an uncaught error, each runtime's own report of it, never a line a
/// program could print of an error it caught (hostile round 82: a caught
/// reset logged as `Exception in thread ...` was blamed): Rust's panic
/// (`thread '...' panicked at`); Python's uncaught exception in a thread
/// (`Exception in thread ...:` or, for `_thread`, `Exception ignored in
/// thread started by: ...`), its traceback on the next line; Java's
/// (`Exception in thread "..." ...`), a stack frame on the next line.
///
/// Python's own report of a thread's death starts its traceback at the
/// thread's bootstrap (`threading.py`, `_bootstrap_inner`): a traceback a
/// program prints of an error it caught (`traceback.print_exc()`,
/// `logging.exception`) starts in its own function, whatever header it
/// prints above it (hostile round 83: `Exception in thread ...:` and
/// `print_exc()` in an `except`; hostile round 85: a real death followed
/// by another session's own error line, which a rule on the line after
/// the report took for the dead thread's).
fn uncaught_in_a_thread(ctx: &mut Ctx, p: Proc) -> Option<String> {
    let lines = ctx.child(p).lines(Stream::Stderr);
    (0..lines.len())
        .find(|&i| {
            let l = &lines[i];
            let next = lines.get(i + 1).map_or("", |n| n.as_str());
            let traceback = next.starts_with("Traceback (most recent call last)");
            let frame = next.starts_with("\tat ") || next.starts_with("    at ");
            let from_bootstrap = || {
                lines[i + 2..]
                    .iter()
                    .take_while(|f| f.starts_with([' ', '\t']))
                    .any(|f| f.contains("threading.py") && f.contains("in _bootstrap"))
            };
            (l.starts_with("thread '") && l.contains("panicked at"))
                || (l.starts_with("Exception in thread ")
                    && l.trim_end().ends_with(':')
                    && traceback
                    && from_bootstrap())
                || (l.starts_with("Exception ignored in thread started by") && traceback)
                || (l.starts_with("Exception in thread \"") && frame)
        })
        .map(|i| {
            // The report's header, and its error: Python's own line after
            // the traceback (a later line of the program's is not it:
            // hostile round 85 saw another session's quoted as its end).
            let header = crate::grade::harness::truncate(lines[i].trim_end(), 160);
            let error = lines[i + 1..]
                .iter()
                .find(|l| {
                    !(l.starts_with("Traceback (most recent call last)")
                        || l.starts_with([' ', '\t']))
                })
                .filter(|_| lines.get(i + 1).is_some_and(|n| n.starts_with("Traceback")));
            match error {
                Some(e) => format!(
                    "`{header}` ... `{}`",
                    crate::grade::harness::truncate(e.trim_end(), 160)
                ),
                None => format!("`{header}`"),
            }
        })
}

pub fn shutdown(ctx: &mut Ctx) -> Result<(), Failure> {
    let (p, addr) = ctx.start_server(role::THREADED_SERVER, &[], &[])?;
    let message = ctx.message(12);
    // A wrong reply is threaded-ack's finding: the shutdown is still
    // tested, and the reply blamed here only if the shutdown is clean.
    let later = match ack_round(ctx, p, addr, &message) {
        Err(f) if f.diagnosis == Diagnosis::WrongReply => Err(f.caused_by("threaded-ack")),
        Err(f) => return Err(f),
        Ok(_) => Ok(()),
    };
    expect_clean_shutdown(
        ctx,
        p,
        addr,
        Signal::Interrupt,
        SLACK + Duration::from_secs(2),
    )?;
    later
}

/// A client connected before SIGTERM still gets its answer.
/// A server that serves its sessions in the accept loop (no thread for
/// them): the signal lands in the session in flight, whatever the shutdown
/// does; that mistake, once (blind round 27: reported twice, with a hint
/// about joining threads it does not have). A pool's cut session is
/// folded so too, though its sessions are on threads (blind round 52: a
/// JVM pool whose hook never waited). Telling a serial server by a second
/// client beside the one in flight disturbed servers that keep a
/// connection in a global: left open.
const CONCURRENCY: &str = "threaded-concurrency";

pub fn shutdown_inflight(ctx: &mut Ctx) -> Result<(), Failure> {
    let (p, addr) = ctx.start_server(role::THREADED_SERVER, &[], &[timeout_env(4)])?;
    // Does it answer at all? One that takes messages and never answers
    // (blind round 12: a pool worker's swallowed exception) is threaded-
    // ack's mistake, whatever its shutdown does: it cannot be judged here.
    let first = ctx.message(10);
    ctx.step("first, an ordinary client: does the server answer at all?");
    let (mut ordinary, ordinary_addr) = connect_and_send(ctx, addr, first.as_bytes())?;
    let ex = read_reply(ctx, &mut ordinary, ordinary_addr);
    if ex.reply.is_empty() {
        let expected = format!("the ordinary client gets `ACK: {first}`");
        if let Some(failure) = received_but_no_reply(ctx, p, &first, &expected, SLACK) {
            return Err(failure);
        }
    }
    drop(ordinary);
    // Gone after its first client (blind round 44: told missing-listen):
    // threaded-ack's finding.
    let mut stream = idle_client(ctx, p, addr)
        .map_err(|f| ended_after_served(ctx, p, f, "after its first client"))?;
    let client = stream
        .local_addr()
        .map_err(|e| fail(Diagnosis::Crash, "a connected socket", e.to_string()))?;
    // Ended already, the connection taken by the kernel before its
    // listener closed: no shutdown to judge.
    if ctx.child(p).try_status().is_some() {
        let f = fail(
            Diagnosis::MissingListen,
            "a second client is served",
            "the server had ended",
        );
        return Err(ended_after_served(ctx, p, f, "after its first client"));
    }
    ctx.signal(p, Signal::Terminate);
    std::thread::sleep(Duration::from_millis(300));
    // After the signal it takes no one new: a server whose handler only
    // set a flag stayed in accept() and served the next client (hostile
    // round 51: one that served every newcomer until no session was left
    // passed). Refused, or left waiting unserved, is right.
    let late = ctx.message(12);
    ctx.step(format!(
        "a new client connects and sends `{late}`: after the signal, nobody new is served (1s)"
    ));
    // Kept open to the end: a reply that comes late is seen too (hostile
    // round 52 answered newcomers 1.2 s late).
    let mut newcomer = crate::grade::harness::probe_connect(addr).ok();
    if let Some(stream) = newcomer.as_mut() {
        let _ = std::io::Write::write_all(stream, late.as_bytes());
        let (reply, _) = read_to_end(stream, Duration::from_secs(1));
        if let Some(f) = newcomer_served(&reply) {
            return Err(f);
        }
    }
    let message = ctx.message(14);
    let want = format!("ACK: {message}");
    ctx.step(format!("the client in flight now sends `{message}`"));
    let _ = std::io::Write::write_all(&mut stream, message.as_bytes());
    let (reply, _) = read_to_end(&mut stream, SLACK);
    // Then the client leaves, as a real one does once it has its reply:
    // a server whose shutdown waits for its connections to be closed at
    // both ends (Node's server.close()) waited on the grader's open end
    // and was told it was still running after its client finished (blind
    // round 24).
    drop(stream);
    // It answers others (asked above): a message it got and did not
    // answer here was cut short by the shutdown.
    let received = ctx
        .wait_output(p, Duration::from_millis(500), |l| {
            says_received(l, &message)
        })
        .filter(|_| reply.is_empty());
    if let Some(line) = received {
        return Err(fail(
            Diagnosis::NoGracefulShutdown,
            format!("a client connected before the signal ({client}) still gets `{want}`"),
            format!(
                "no reply, although the server says it got the message (`{}`): the shutdown ended the session before its answer",
                line.trim_end()
            ),
        )
        .hinted(cut_off_hint(ctx, p))
        .folded_if(CONCURRENCY, &[Diagnosis::NoConcurrency])
            // Or a session that never answers a message without a line end
            // (Java's readLine: blind round 48), whose Received line came only
            // when the client left: threaded-ack's finding.
            .or_folded_if(&[("threaded-ack", &[Diagnosis::WrongReply])]));
    }
    // A whole reply in another form (a line end after it, say): the
    // session finished, and its form is threaded-ack's finding (blind
    // round 39: told as a shutdown that does not wait). Cut short, the
    // reply is the shutdown's doing.
    if !reply.is_empty() && !want.as_bytes().starts_with(&reply) {
        return Err(fail(
            Diagnosis::WrongReply,
            format!("a client connected before the signal ({client}) still gets `{want}`"),
            format!(
                "the reply {}: its session finished, the reply in another form than the contract's",
                show_bytes(&reply)
            ),
        )
        .caused_by("threaded-ack"));
    }
    if reply != want.as_bytes() {
        return Err(fail(
            Diagnosis::NoGracefulShutdown,
            format!("a client connected before the signal ({client}) still gets `{want}`"),
            if reply.is_empty() {
                "no reply: the connection was dropped by the shutdown".to_string()
            } else {
                format!("the reply {}", show_bytes(&reply))
            },
        )
        .hinted(cut_off_hint(ctx, p))
        .folded_if(CONCURRENCY, &[Diagnosis::NoConcurrency])
        // Or the session had ended on its own before the signal, its
        // LAB_TIMEOUT read in the wrong unit (blind round 35: told as a
        // shutdown that does not wait, to a server that does).
        .or_folded_if(&[("threaded-silent-client", &[Diagnosis::IgnoresConfig])]));
    }
    // The signal was already sent; expect the rest of a clean shutdown.
    let expected = "`[SERVER] Shutting down`, exit status 0";
    let status = ctx.wait_exit(p, SLACK + Duration::from_secs(4));
    // What reached the newcomer before the server ended.
    if let Some(mut stream) = newcomer {
        let (reply, _) = read_to_end(&mut stream, Duration::from_millis(100));
        if let Some(f) = newcomer_served(&reply) {
            return Err(f);
        }
    }
    let said = super::common::said_goodbye(ctx, p, Stream::Stdout);
    match status {
        Some(status) if status.success() => {}
        Some(status) => {
            // Its client served, `Shutting down` said, and an exit of its
            // own choosing (130, 143): the status alone is wrong (blind
            // round 27: blamed on the shutdown, with the signal hint).
            if let Some(code) = status.code().filter(|_| said && ctx.crash_of(p).is_none()) {
                return Err(fail(
                    Diagnosis::ExitStatus,
                    expected,
                    format!("its client in flight got its reply and it said `[SERVER] Shutting down`, but it exited {code}: a server that handles SIGTERM ends its day normally, with 0"),
                )
                .folded_if("threaded-shutdown", &[Diagnosis::ExitStatus]));
            }
            return Err(fail(
                Diagnosis::NoGracefulShutdown,
                expected,
                crate::process::describe_status(status),
            ));
        }
        None => {
            return Err(fail(
                Diagnosis::NoGracefulShutdown,
                expected,
                "still running after its client finished",
            ))
        }
    }
    if !said {
        if let Some(f) = super::common::shutdown_line_on_stderr(
            ctx,
            p,
            expected,
            "its client in flight got its reply and it exited 0, but",
        ) {
            return Err(f);
        }
        return Err(fail(
            Diagnosis::NoGracefulShutdown,
            expected,
            "no `[SERVER] Shutting down` line",
        ));
    }
    Ok(())
}

/// The finding when a client that came after SIGTERM got an ACK
/// (`reply`): the server still called accept() and took it on.
fn newcomer_served(reply: &[u8]) -> Option<Failure> {
    reply.starts_with(b"ACK").then(|| {
        fail(
            Diagnosis::NoGracefulShutdown,
            "after SIGTERM the server stops accepting: a client that comes then is refused or left unserved",
            format!(
                "a client that came 0.3s after the signal was served ({}): the server still called accept() and took it on",
                show_bytes(reply)
            ),
        )
        .hinted("On the signal, stop accepting at once: close the listening socket, or break out of the accept loop (a handler that only sets a flag leaves the loop waiting in accept(), which takes the next client before the flag is looked at). Then wait for the sessions in flight, print `[SERVER] Shutting down` and exit 0.")
    })
}

/// The advice for a session cut off by SIGTERM: where the sessions run
/// in child processes (Python's multiprocessing, fork), the children meet
/// the shutdown too; elsewhere it is the threads, and SIGTERM's handling
/// (blind rounds 28 and 29: the general hint spoke of joining threads to
/// a program that had none, and to one whose SIGINT path waited while its
/// SIGTERM path ended at once).
fn cut_off_hint(ctx: &mut Ctx, p: Proc) -> String {
    let stderr = ctx.child(p).text(Stream::Stderr);
    if stderr.contains("multiprocessing") || stderr.contains("os.fork") {
        return "The sessions run in child processes, and the shutdown ended the one in flight: a child inherits its parent's signal handlers, and the terminal or the parent (terminate(), kill()) signals it too. In each child, ignore SIGINT and SIGTERM (signal.signal(signal.SIGINT, signal.SIG_IGN) first thing in the child) so its session finishes; in the parent, stop accepting, wait for the children (join(), waitpid()) instead of terminating them, print `[SERVER] Shutting down` and exit 0.".into();
    }
    // A script between the command and the server: SIGTERM ended the
    // shell, and the server with it (blind round 41: told to install a
    // handler it had).
    if ctx.sigterm_reached_a_shell(p) {
        return crate::grade::harness::EXEC_HINT.into();
    }
    // It handled SIGTERM (it said goodbye), and ended before the session
    // did (blind round 32: Node's process.exit() on a timer after
    // server.close(), told to handle SIGTERM, which it did).
    let said_goodbye = ctx
        .child(p)
        .lines(Stream::Stdout)
        .iter()
        .any(|l| l.contains("Shutting down"));
    if said_goodbye {
        return "Your server handles SIGTERM (it said `Shutting down`), but ended before the session in flight did: the shutdown must wait for it. Stop accepting, then wait for each session still running to finish (join its thread; in Node, exit from `server.close()`'s callback, which runs once every connection has ended, not on a timer or at once with process.exit()), and only then exit 0.".into();
    }
    "This check sends SIGTERM, not SIGINT: give both the same shutdown (in Python SIGTERM ends the program at once, with no KeyboardInterrupt, unless you install a handler for it; in Node, `process.on('SIGTERM', ...)` beside SIGINT's). That shutdown stops accepting and lets the sessions in flight finish: join their threads before main returns (a detached thread, or a daemon thread in Python, dies with the process), then print `[SERVER] Shutting down` and exit 0. If your command is a wrapper script, start the server in it with `exec`: `kill -TERM` reaches the process the command started, and a shell without `exec` dies of it while the server never gets it.".into()
}

#[cfg(test)]
mod tests {
    use super::{names, says_busy};

    #[test]
    fn a_line_names_an_address_whole() {
        let line = "[SERVER] 127.0.0.1:40001 Received: hi";
        assert!(names(line, "127.0.0.1:40001"));
        assert!(!names(line, "127.0.0.1:4000"));
        assert!(names(
            "[SERVER] 127.0.0.1:4000 Received: 127.0.0.1:40001",
            "127.0.0.1:4000"
        ));
        assert!(!names(line, ""));
    }

    #[test]
    fn a_refusal_in_other_words_is_still_a_refusal() {
        assert!(says_busy(b"ERROR: Server busy"));
        assert!(says_busy(b"Server busy, try again later\n"));
        assert!(says_busy(b"BUSY"));
        assert!(!says_busy(b"ACK: busy day"));
        assert!(!says_busy(b""));
    }
}
