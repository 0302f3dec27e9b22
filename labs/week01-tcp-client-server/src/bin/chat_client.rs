//! Week 1 starter: the helpdesk chat client (the mini chat lab).
//!
//! `chat_client [MESSAGE...]` opens one connection, sends each message as a
//! line, prints each acknowledgement, closes and exits 0. Without messages it
//! sends the three helpdesk lines below. With `-i` (or without messages when
//! you type at a terminal) it asks for each line, like an interactive echo
//! client, until end of input (Ctrl+D on Linux/macOS, Ctrl+Z then Enter on
//! Windows).
//!
//! Grade it with `cargo test stage5`. Until you replace the body of
//! `run`, the program says it is not written yet and exits 1.

use std::io::IsTerminal;
use std::process::ExitCode;
// LAB_HOST, LAB_PORT, LAB_BUFFER_SIZE, ...: the settings all five programs
// share, read in one place (src/config.rs).
use week01_tcp_client_server::config::Config;

/// What the client sends when it is given no message.
const DEFAULT_MESSAGES: [&str; 3] = [
    "Hello, can you help?",
    "I have a problem with my account",
    "Thank you, goodbye",
];

/// What to send: the messages given, or the defaults, or lines typed.
enum Input {
    Messages(Vec<String>),
    Interactive,
}

/// Reads the command line: `-i` for interactive mode, anything else is a
/// message. No message and a terminal on stdin also means interactive.
fn parse_args(args: &[String]) -> Input {
    let interactive = args.iter().any(|arg| arg == "-i");
    let messages: Vec<String> = args.iter().filter(|arg| *arg != "-i").cloned().collect();
    if interactive || (messages.is_empty() && std::io::stdin().is_terminal()) {
        Input::Interactive
    } else if messages.is_empty() {
        Input::Messages(DEFAULT_MESSAGES.iter().map(|m| m.to_string()).collect())
    } else {
        Input::Messages(messages)
    }
}

fn main() -> ExitCode {
    // TODO(week01): step 1, read the configuration and the arguments. Done
    // for you.
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(message) => {
            eprintln!("[CLIENT] Error: {message}");
            return ExitCode::from(2);
        }
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let input = parse_args(&args);
    match run(&config, input) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("[CLIENT] {message}");
            ExitCode::from(1)
        }
    }
}

/// One chat session.
fn run(config: &Config, input: Input) -> Result<(), String> {
    // TODO(week01): step 2, connect to (config.host, config.port), with the
    // same refused error as your one-shot client, and set a read timeout of
    // config.timeout_secs. Print
    //   [CLIENT] Connected to 127.0.0.1:5000
    //
    // TODO(week01): step 3, read the acknowledgements as LINES: wrap a clone
    // of the stream (`try_clone`) in a `std::io::BufReader` and use
    // `read_line`. ONE READ IS NOT ONE MESSAGE: an ACK may arrive in pieces,
    // or two in one read; read_line collects bytes up to the `\n` for you.
    // read_line returning 0 means the server closed: report it and exit 1.
    //
    // TODO(week01): step 4, for each message: send it followed by `\n` with
    // `write_all`, read one ACK line, and print it without its `\n`:
    //   [CLIENT] [ACK @14:03:08] Hello, can you help?
    // Input::Messages holds the messages (the three helpdesk lines when none
    // were given). For Input::Interactive, print the prompt
    //   Enter message to send:
    // (with `print!` and a `flush()`, since it has no newline), read one line
    // from stdin, send it, print its ACK, and ask again until stdin ends.
    //
    // TODO(week01): step 5, close the connection and print
    //   [CLIENT] Closed connection
    // then return Ok(()) (exit 0).
    let plan = match input {
        Input::Messages(messages) => format!("{} message(s)", messages.len()),
        Input::Interactive => "interactive".to_string(),
    };
    Err(format!(
        "not implemented yet: open src/bin/chat_client.rs, TODO(week01) step 2 \
         (config: {}:{}, timeout {} s; {plan})",
        config.host, config.port, config.timeout_secs
    ))
}
