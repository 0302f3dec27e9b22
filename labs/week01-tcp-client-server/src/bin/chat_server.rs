//! Week 1 starter: the helpdesk chat server (the mini chat lab).
//!
//! `chat_server [--log FILE] [--idle-timeout SECS]` runs until Ctrl+C or
//! SIGTERM and serves chat sessions one after another. A session is many
//! messages: each message is one UTF-8 line ending in `\n`, and each gets an
//! acknowledgement `[ACK @HH:MM:SS] <message>\n`.
//!
//! The two lessons of this lab sit in steps 5 and 6:
//! - one read is not one message (TCP carries bytes, not messages);
//! - with `--log`, a message is on disk before its ACK leaves.
//!
//! Grade it with `cargo test stage4` (stage 4, the chat server's checks).
//! Until you replace the body of `run`, the program says it is not written
//! yet and exits 1.

use std::path::PathBuf;
use std::process::ExitCode;

// LAB_HOST, LAB_PORT, LAB_BUFFER_SIZE, ...: the settings all five programs
// share, read in one place (src/config.rs).
use week01_tcp_client_server::config::Config;

/// This program's own command-line flags, on top of the shared `Config`.
struct Flags {
    /// `--log FILE`: where to append every message, if given.
    log: Option<PathBuf>,
    /// `--idle-timeout SECS` (default 120): how long a session may stay
    /// silent before the server closes it. People type slowly, so this is not
    /// LAB_TIMEOUT.
    idle_timeout_secs: u64,
}

impl Flags {
    /// Reads the command-line flags (the arguments after the program's name).
    fn parse(args: &[String]) -> Result<Flags, String> {
        let mut flags = Flags {
            log: None,
            idle_timeout_secs: 120,
        };
        let mut rest = args.iter();
        while let Some(flag) = rest.next() {
            let mut value = || {
                rest.next()
                    .ok_or_else(|| format!("{flag} needs a value"))
                    .cloned()
            };
            match flag.as_str() {
                "--log" => flags.log = Some(PathBuf::from(value()?)),
                "--idle-timeout" => {
                    let text = value()?;
                    flags.idle_timeout_secs = text
                        .parse()
                        .map_err(|_| format!("--idle-timeout {text:?} is not a number of seconds"))?;
                }
                other => {
                    return Err(format!(
                        "unknown argument {other:?} (usage: chat_server [--log FILE] [--idle-timeout SECS])"
                    ))
                }
            }
        }
        Ok(flags)
    }
}

fn main() -> ExitCode {
    // TODO(week01): step 1, read the configuration and the flags. Done for
    // you; a bad flag is a usage error (exit 2).
    let args: Vec<String> = std::env::args().skip(1).collect();
    let settings = Config::from_env().and_then(|config| Ok((config, Flags::parse(&args)?)));
    let (config, flags) = match settings {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("[SERVER] Error: {message}");
            return ExitCode::from(2);
        }
    };
    match run(&config, &flags) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("[SERVER] {message}");
            ExitCode::from(1)
        }
    }
}

/// Serves chat sessions until asked to stop.
fn run(config: &Config, flags: &Flags) -> Result<(), String> {
    // TODO(week01): step 2, create the socket, bind and listen as in your
    // server, and print
    //   [SERVER] Listening on 127.0.0.1:5000
    //
    // TODO(week01): step 3, stop on Ctrl+C and SIGTERM as in your threaded
    // server (ctrlc: set a flag and connect once to yourself to wake
    // accept()). On the signal print
    //   [SERVER] Shutting down
    // and return Ok(()) (exit 0).
    //
    // TODO(week01): step 4, serve sessions one after another: accept, and
    // give each line a deadline of flags.idle_timeout_secs from when it
    // started (a whole line, not each read: before every read, set the read
    // timeout to the time left, or a client sending a byte a second holds
    // the server for ever; see the handout, section 8), print (HH:MM:SS is local time,
    // `chrono::Local::now().format("%H:%M:%S")`)
    //   [SERVER] @14:03:07 Connection from 127.0.0.1:54321
    // and when the session ends (0-byte read, idle timeout, error)
    //   [SERVER] @14:03:09 127.0.0.1:54321 Closed connection
    // Nothing a client sends may stop the server: the next client is served.
    //
    // TODO(week01): step 5, frame the messages. ONE READ IS NOT ONE MESSAGE:
    // a line may arrive in several reads, and one read may hold several
    // lines. Keep a Vec<u8> of pending bytes: append what each read (of up to
    // config.buffer_size bytes) returns, then take out every complete line
    // (up to and including b'\n'); keep the incomplete rest for the next
    // read. Bound the pending bytes: a line longer than 64 KiB without a
    // newline ends the session. A line that is not UTF-8 gets the reply
    // `[ERROR] Invalid UTF-8\n` and the session goes on.
    //
    // TODO(week01): step 6, for each message (the line without its `\n`):
    // print
    //   [SERVER] @14:03:08 127.0.0.1:54321 Client: Hello, can you help?
    // with --log, append one line `<RFC 3339 time> <client address> <message>`
    // to the file (open it with OpenOptions append+create), then `flush()`
    // and `sync_data()` so it is on disk, and ONLY THEN reply
    //   [ACK @14:03:08] Hello, can you help?\n
    // An acknowledged message must survive the server being killed right
    // after the ACK.
    Err(format!(
        "not implemented yet: open src/bin/chat_server.rs, TODO(week01) step 2 \
         (config: {}:{}, buffer {} bytes, log {}, idle timeout {} s)",
        config.host,
        config.port,
        config.buffer_size,
        flags
            .log
            .as_ref()
            .map_or("off".to_string(), |path| path.display().to_string()),
        flags.idle_timeout_secs
    ))
}
