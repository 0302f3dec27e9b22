//! The `chat-server` role (the mini chat lab): serves sessions one after
//! another until SIGINT/SIGTERM. A message is a UTF-8 line ending in `\n`;
//! each one is printed with the time, logged (with `--log FILE`, on disk
//! before it is acknowledged) and answered `[ACK @HH:MM:SS] <message>\n`.
//!
//! ```text
//! chat-server [--log FILE] [--idle-timeout SECS]
//! ```

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{Local, SecondsFormat};

use crate::common::{describe, is_timeout, mistake, say, Config, Mistake, USAGE};
use crate::server::listen_until_stopped;

/// A line longer than this without a newline ends the session: memory stays bounded.
const MAX_LINE: usize = 64 * 1024;
/// How often a waiting session looks at the shutdown flag and the idle limit.
const TICK: Duration = Duration::from_millis(200);

fn clock() -> String {
    Local::now().format("%H:%M:%S").to_string()
}

/// A message as one log line: a backslash doubled, a control character
/// escaped (`\n`, `\r`, `\t`, `\u{1b}`). Written raw, a message holding a
/// line end would pass for a second record.
fn record(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for c in message.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// The message log: one line per message, `<RFC 3339 time> <client> <message>`.
struct Log {
    out: BufWriter<File>,
}

impl Log {
    fn append(&mut self, peer: SocketAddr, message: &str) -> std::io::Result<()> {
        let now = Local::now().to_rfc3339_opts(SecondsFormat::Millis, false);
        writeln!(self.out, "{now} {peer} {}", record(message))?;
        if mistake(Mistake::LostMessage) {
            // MISTAKE(lost-message): the student buffers the log "for speed"
            // and only flushes it when the session ends. The ACK goes out
            // while the line is still in this process's memory: kill -9 the
            // server now and an acknowledged message is gone from the log.
            return Ok(());
        }
        // On disk before the ACK: flush our buffer into the kernel, then ask
        // the kernel to put it on the disk. Only then may we acknowledge.
        self.out.flush()?;
        self.out.get_ref().sync_data()
    }

    fn end_session(&mut self) -> std::io::Result<()> {
        self.out.flush()?;
        self.out.get_ref().sync_data()
    }
}

/// Opens the log for appending: each start adds to what earlier runs wrote.
fn open_log(path: &str) -> std::io::Result<File> {
    if mistake(Mistake::LogOverwritten) {
        // MISTAKE(log-overwritten): the student opens the log the way they
        // open every file they write, Python's "w": the file is emptied at
        // every start, and the records of every earlier run are gone.
        return OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(path);
    }
    OpenOptions::new().create(true).append(true).open(path)
}

pub fn run(cfg: &Config, args: &[String]) -> i32 {
    let mut log_path = None;
    let mut idle = Duration::from_secs(120);
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--log" => match rest.next() {
                Some(path) => log_path = Some(path.clone()),
                None => return usage("--log needs a FILE"),
            },
            "--idle-timeout" => match rest.next().and_then(|s| s.parse::<f64>().ok()) {
                Some(secs) if secs > 0.0 && secs < 86_400.0 => idle = Duration::from_secs_f64(secs),
                _ => return usage("--idle-timeout needs a positive number of seconds"),
            },
            other => return usage(&format!("unexpected argument {other:?}")),
        }
    }

    let mut log = match &log_path {
        None => None,
        Some(path) => match open_log(path) {
            Ok(file) => Some(Log {
                out: BufWriter::new(file),
            }),
            Err(e) => {
                eprintln!(
                    "[SERVER] Error: cannot open log file {path}: {}",
                    describe(&e)
                );
                return 1;
            }
        },
    };

    let (listener, stop) = match listen_until_stopped(cfg) {
        Ok(pair) => pair,
        Err(code) => return code,
    };

    for conn in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let stream = match conn {
            Ok(stream) => stream,
            Err(e) => {
                eprintln!("[SERVER] Error: accept failed: {}", describe(&e));
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        let Ok(peer) = stream.peer_addr() else {
            continue;
        };
        chat_session(stream, peer, log.as_mut(), idle, &stop);

        if mistake(Mistake::ExitsEarly) {
            // MISTAKE(exits-early): the handout's starter serves one
            // connection, and the student never put accept() in a loop: the
            // helpdesk closes after its first caller.
            return 0;
        }
        if stop.load(Ordering::SeqCst) {
            break;
        }
    }

    drop(listener);
    say("[SERVER] Shutting down");
    0
}

fn usage(problem: &str) -> i32 {
    eprintln!("[SERVER] Error: {problem}");
    eprintln!("usage: chat-server [--log FILE] [--idle-timeout SECS]");
    USAGE
}

/// One client's session: many messages, until the client closes, idles too
/// long, misbehaves, or the server shuts down.
fn chat_session(
    mut stream: TcpStream,
    peer: SocketAddr,
    mut log: Option<&mut Log>,
    idle: Duration,
    stop: &AtomicBool,
) {
    say(format!("[SERVER] @{} Connection from {peer}", clock()));
    // Short read timeouts let us notice a shutdown and measure idleness; a
    // write timeout stops a client that never reads from blocking us.
    let _ = stream.set_read_timeout(Some(TICK));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));

    let mut pending: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 4096];
    // The idle limit times a whole line, from the end of the one before:
    // a client that sends one byte a second never restarts it.
    let mut line_since = Instant::now();
    loop {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let n = match stream.read(&mut buf) {
            // A 0-byte read means the client closed.
            Ok(0) => {
                if !pending.is_empty() {
                    if mistake(Mistake::Crash) {
                        // MISTAKE(crash): the student assumed every line
                        // ends with '\n' and unwrapped it. A client that
                        // disconnects in the middle of a line panics the
                        // whole server; the next caller finds nobody.
                        let line = String::from_utf8_lossy(&pending);
                        let _message = line.strip_suffix('\n').unwrap();
                    }
                    say(format!(
                        "[SERVER] @{} {peer} left an unfinished line ({} bytes); dropped",
                        clock(),
                        pending.len()
                    ));
                }
                break;
            }
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) if is_timeout(&e) => {
                if line_since.elapsed() >= idle {
                    say(format!(
                        "[SERVER] @{} {peer} idle for {}s; closing",
                        clock(),
                        idle.as_secs_f64()
                    ));
                    break;
                }
                continue;
            }
            Err(e) => {
                eprintln!("[SERVER] {peer} Error: receive failed: {}", describe(&e));
                break;
            }
        };
        if mistake(Mistake::SessionLimit) {
            // MISTAKE(session-limit): the idle limit restarts at every read,
            // as a read timeout does. A client that sends one byte a second
            // and never a newline holds the session, and the server, which
            // serves one caller at a time, for ever.
            line_since = Instant::now();
        }

        if mistake(Mistake::SplitMessage) {
            // MISTAKE(split-message): one read() is taken as one message.
            // TCP is a byte stream: a line may arrive in two reads (two
            // "messages", each half acknowledged) and two lines may arrive in
            // one read (one "message" with a newline inside).
            let mut end = n;
            while end > 0 && matches!(buf[end - 1], b'\r' | b'\n') {
                end -= 1;
            }
            if handle_line(&mut stream, peer, log.as_deref_mut(), &buf[..end]).is_err() {
                break;
            }
            line_since = Instant::now();
            continue;
        }

        // One read is not one message: collect bytes, cut at each '\n'.
        pending.extend_from_slice(&buf[..n]);
        let mut failed = false;
        while let Some(end) = pending.iter().position(|&b| b == b'\n') {
            let mut line: Vec<u8> = pending.drain(..=end).collect();
            line.pop(); // the '\n'
            if line.last() == Some(&b'\r') {
                line.pop(); // telnet and Windows send "\r\n"
            }
            if handle_line(&mut stream, peer, log.as_deref_mut(), &line).is_err() {
                failed = true;
                break;
            }
            line_since = Instant::now();
        }
        if failed {
            break;
        }
        // MISTAKE(session-limit): without this bound, a client that never
        // sends a newline grows the server's memory for as long as it likes.
        if pending.len() > MAX_LINE && !mistake(Mistake::SessionLimit) {
            eprintln!(
                "[SERVER] {peer} Error: a line longer than {} KiB without a newline; closing",
                MAX_LINE / 1024
            );
            break;
        }
    }

    if let Some(log) = log {
        if let Err(e) = log.end_session() {
            eprintln!("[SERVER] Error: cannot write the log: {}", describe(&e));
        }
    }
    drop(stream);
    say(format!("[SERVER] @{} {peer} Closed connection", clock()));
}

/// Prints, logs and acknowledges one line. An error ends the session.
fn handle_line(
    stream: &mut TcpStream,
    peer: SocketAddr,
    log: Option<&mut Log>,
    line: &[u8],
) -> std::io::Result<()> {
    let Ok(message) = std::str::from_utf8(line) else {
        // Not text: say so, and go on with the next line.
        say(format!(
            "[SERVER] @{} {peer} Rejected: invalid UTF-8 ({} bytes)",
            clock(),
            line.len()
        ));
        return stream.write_all(b"[ERROR] Invalid UTF-8\n");
    };
    let at = clock();
    say(format!("[SERVER] @{at} {peer} Client: {message}"));
    if let Some(log) = log {
        if let Err(e) = log.append(peer, message) {
            // Not on disk: do not acknowledge it.
            eprintln!("[SERVER] Error: cannot write the log: {}", describe(&e));
            return Err(e);
        }
    }
    stream.write_all(format!("[ACK @{at}] {message}\n").as_bytes())
}
