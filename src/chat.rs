//! The mini chat lab's server: sessions one after another, many messages
//! per session, one line per message, every message acknowledged.
//!
//! Trap: TCP delivers bytes, not messages. A message typed as one line may
//! arrive in two reads, and three quick messages may arrive in one. So the
//! server never treats "one read" as "one message": it feeds every read into
//! a [`LineFramer`] and answers each complete line.
//!
//! With a [`MessageLog`], each message is on disk before its ACK leaves: a
//! client that saw the ACK can trust the message is kept, even if the server
//! is killed a moment later.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use crate::config::{Config, Seconds};
use crate::console::{clock, count, Role};
use crate::logger::MessageLog;
use crate::message::{self, LineFramer};
use crate::ritual::plain;
use crate::server::is_timeout;
use crate::shutdown::Shutdown;

const SERVER: Role = Role::Server;

/// How long a chat client may stay silent by default: a person types slowly.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(120);

/// How often a waiting session wakes up to see whether Ctrl+C was pressed.
const TICK: Duration = Duration::from_millis(200);

/// The chat's settings beyond [`Config`].
#[derive(Debug)]
pub struct Options {
    /// Where to keep every message (`--log FILE`).
    pub log: Option<MessageLog>,
    /// A session that completes no line for this long is closed: silent,
    /// or sending a line so slowly (a byte now and then) that it never ends.
    pub idle_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            log: None,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
        }
    }
}

/// Serves chat sessions one after another until `shutdown`.
pub fn run(
    listener: TcpListener,
    config: &Config,
    mut options: Options,
    shutdown: &Shutdown,
) -> io::Result<()> {
    SERVER.say(format_args!("Listening on {}", listener.local_addr()?));
    shutdown.watch(&listener);

    while let Some((stream, peer)) = crate::server::accept_next(&listener, shutdown) {
        session(stream, peer, config, &mut options, shutdown);
    }
    SERVER.say("Shutting down");
    Ok(())
}

/// One client, from connection to close.
fn session(
    mut stream: TcpStream,
    peer: SocketAddr,
    config: &Config,
    options: &mut Options,
    shutdown: &Shutdown,
) {
    SERVER.say(format_args!("@{} Connection from {peer}", clock()));
    if let Err(e) = converse(&mut stream, peer, config, options, shutdown) {
        SERVER.error(format_args!("{peer}: {}", plain(&e)));
    }
    drop(stream); // close(): the session is over
    SERVER.say(format_args!("@{} {peer} Closed connection", clock()));
}

/// Reads lines and answers each one until the client closes, idles too
/// long, sends a line too long to hold, or the server is stopped.
fn converse(
    stream: &mut TcpStream,
    peer: SocketAddr,
    config: &Config,
    options: &mut Options,
    shutdown: &Shutdown,
) -> io::Result<()> {
    // Reads give up after TICK, so the session notices Ctrl+C quickly; we
    // count the idle time ourselves.
    stream.set_read_timeout(Some(TICK))?;
    stream.set_write_timeout(Some(config.timeout))?;
    let mut framer = LineFramer::default();
    let mut buffer = vec![0u8; config.buffer_size];
    // When the line being received began to be awaited. Trap: restarting
    // this clock on every byte (as a plain read timeout does) lets a client
    // that drips one byte a second hold the server for ever. The clock
    // restarts only when a whole line has arrived, so the idle limit bounds
    // the time to receive a line, however its bytes trickle in.
    let mut line_since = Instant::now();

    loop {
        // Answer every complete line received so far (maybe none, maybe
        // several from one read).
        loop {
            match framer.next_line() {
                Ok(Some(line)) => {
                    line_since = Instant::now();
                    answer(stream, peer, &line, options)?
                }
                Ok(None) => break,
                Err(too_long) => {
                    SERVER.say(format_args!("@{} {peer} {too_long}; closing", clock()));
                    return Ok(());
                }
            }
        }
        if shutdown.is_triggered() {
            return Ok(());
        }
        // Checked on every turn, not only after a silent read: a steady drip
        // never lets a read time out.
        if line_since.elapsed() >= options.idle_timeout {
            let limit = Seconds(options.idle_timeout);
            if framer.pending() == 0 {
                SERVER.say(format_args!(
                    "@{} {peer} idle for {limit}; closing",
                    clock()
                ));
            } else {
                SERVER.say(format_args!(
                    "@{} {peer} idle for {limit}: no complete line ({} of one so far); closing",
                    clock(),
                    count(framer.pending(), "byte")
                ));
            }
            return Ok(());
        }
        match stream.read(&mut buffer) {
            // 0 bytes: the client closed. A last line sent without its '\n'
            // still counts as a message (the client may only have closed its
            // sending half and still be reading).
            Ok(0) => {
                if let Some(last) = framer.finish() {
                    answer(stream, peer, &last, options)?;
                }
                return Ok(());
            }
            Ok(n) => framer.push(&buffer[..n]),
            Err(e) if is_timeout(&e) || e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Prints, logs and acknowledges one message.
fn answer(
    stream: &mut TcpStream,
    peer: SocketAddr,
    line: &[u8],
    options: &mut Options,
) -> io::Result<()> {
    let Ok(text) = std::str::from_utf8(line) else {
        // Not text: say so and carry on with the session.
        SERVER.say(format_args!(
            "@{} {peer} Rejected: invalid UTF-8 ({})",
            clock(),
            count(line.len(), "byte")
        ));
        return stream.write_all(message::CHAT_INVALID_UTF8.as_bytes());
    };
    if text.trim().is_empty() {
        // Every line gets exactly one reply, so the client is never left
        // waiting for an answer to a blank line.
        SERVER.say(format_args!("@{} {peer} Rejected: empty line", clock()));
        return stream.write_all(message::CHAT_EMPTY.as_bytes());
    }
    let now = clock();
    SERVER.say(format_args!("@{now} {peer} Client: {text}"));
    if let Some(log) = options.log.as_mut() {
        if let Err(e) = log.record(peer, text) {
            // No ACK for a message we could not keep.
            SERVER.error(format_args!(
                "cannot write to {}: {}",
                log.path().display(),
                plain(&e)
            ));
            return stream.write_all(message::CHAT_NOT_LOGGED.as_bytes());
        }
    }
    // Only now, with the message on disk, acknowledge it.
    stream.write_all(message::chat_ack(&now, text).as_bytes())
}
