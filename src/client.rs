//! The Week 1 clients: `client` (one message, one reply) and `chat_client`
//! (a session of several messages, one line each).
//!
//! A client's ritual is short: socket() and connect() (in
//! [`crate::ritual::connect`]), send, receive, close. What makes a client
//! good is what it does when things go wrong: nobody listening, a server
//! that never answers (wait at most LAB_TIMEOUT), a server that hangs up
//! without answering (a 0-byte read is not a reply).

use std::fmt;
use std::io::{self, BufRead, IsTerminal, Read, Write};
use std::net::TcpStream;

use crate::config::Config;
use crate::console::{self, Role};
use crate::message::LineFramer;
use crate::ritual::{self, plain, ConnectError};
use crate::server::is_timeout;

const CLIENT: Role = Role::Client;

/// The message `client` sends when given none.
pub const DEFAULT_MESSAGE: &str = "Hello Server";

/// The chat client's default session: the handout's helpdesk conversation.
pub const DEFAULT_CHAT: [&str; 3] = [
    "Hello, can you help?",
    "I have a problem with my account",
    "Thank you, goodbye",
];

/// The interactive chat client's prompt (the contract's wording; the
/// grader feeds it through a pipe).
pub const PROMPT: &str = "Enter message to send: ";

/// The same prompt when a person types at a terminal: it says how to end
/// the session, since nothing else on the screen does.
#[cfg(windows)]
pub const TERMINAL_PROMPT: &str = "Enter message to send (Ctrl+Z then Enter to finish): ";
/// The same prompt when a person types at a terminal: it says how to end
/// the session, since nothing else on the screen does.
#[cfg(not(windows))]
pub const TERMINAL_PROMPT: &str = "Enter message to send (Ctrl+D to finish): ";

/// The flags of `client` that take a value (`--port 6000`).
const VALUE_FLAGS: [&str; 4] = ["--host", "--port", "--buffer-size", "--timeout"];

/// The advice for `client Hello Server`: the shell split the message into
/// two arguments, and clap only says `unexpected argument 'Server'`.
/// `args` are the arguments after the program's name; `None` when the
/// mistake is something else.
pub fn quote_tip_for(args: &[String]) -> Option<String> {
    let mut words = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if VALUE_FLAGS.contains(&arg.as_str()) {
            args.next(); // its value
        } else if !arg.starts_with('-') {
            words.push(arg.as_str());
        }
    }
    if words.len() < 2 {
        return None;
    }
    Some(format!(
        "a message with spaces must be one argument: put it in quotes, as in\n  client \"{}\"",
        words.join(" ")
    ))
}

/// [`quote_tip_for`] this process's arguments, when clap found an
/// unexpected extra word (not an unknown `--flag`).
pub fn quote_tip(error: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if error.kind() != ErrorKind::UnknownArgument {
        return None;
    }
    match error.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(arg)) if !arg.starts_with('-') => {}
        _ => return None,
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    quote_tip_for(&args)
}

/// Why a client session failed. Each is a runtime failure (exit 1).
#[derive(Debug)]
pub enum ClientError {
    /// connect() failed (refused, timed out, no such address).
    Connect(ConnectError),
    /// No reply within the timeout.
    NoReply,
    /// The server closed the connection without replying.
    ClosedWithoutReply,
    /// Anything else that broke the connection.
    Io(io::Error),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Connect(e) => e.fmt(f),
            ClientError::NoReply => f.write_str("Server did not respond in time"),
            ClientError::ClosedWithoutReply => {
                f.write_str("the server closed the connection without replying")
            }
            ClientError::Io(e) => write!(f, "{}", plain(e)),
        }
    }
}

impl std::error::Error for ClientError {}

impl From<io::Error> for ClientError {
    fn from(e: io::Error) -> Self {
        ClientError::Io(e)
    }
}

impl ClientError {
    /// Prints the error to stderr, worded as the contract says.
    pub fn print(&self) {
        match self {
            // The handout's wording, without "Error:".
            ClientError::NoReply => CLIENT.complain(self),
            _ => CLIENT.error(self),
        }
    }
}

/// Is `message` acceptable as a command-line message? (Empty is not: the
/// client would send nothing and wait for a reply that cannot come.)
pub fn check_message(message: &str) -> Result<String, String> {
    if message.is_empty() {
        return Err(
            "the message is empty; give some text, or leave it out to send the default".into(),
        );
    }
    Ok(message.to_string())
}

/// Is `message` acceptable as one chat line? (Not empty, no newline inside.)
pub fn check_chat_message(message: &str) -> Result<String, String> {
    if message.trim().is_empty() {
        return Err("the message is empty; give some text".into());
    }
    if message.contains(['\n', '\r']) {
        return Err("a chat message is one line; it cannot contain a newline".into());
    }
    Ok(message.to_string())
}

/// `client`: connect, send `message`, print the reply, close.
pub fn run(config: &Config, message: &str) -> Result<(), ClientError> {
    // socket() + connect()
    let mut stream = ritual::connect(config).map_err(ClientError::Connect)?;
    CLIENT.say(format_args!("Connected to {}", stream.peer_addr()?));

    // send(): write_all sends every byte, even if one write takes only part.
    CLIENT.say(format_args!("Sending: {message}"));
    stream.write_all(message.as_bytes())?;

    // recv(): wait at most LAB_TIMEOUT for the reply (extension C).
    stream.set_read_timeout(Some(config.timeout))?;
    let mut buffer = vec![0u8; config.buffer_size];
    let n = match stream.read(&mut buffer) {
        // A 0-byte read means the server closed the connection: there is
        // no reply, and an empty line must not be printed as if there were.
        Ok(0) => return Err(ClientError::ClosedWithoutReply),
        Ok(n) => n,
        Err(e) if is_timeout(&e) => return Err(ClientError::NoReply),
        Err(e) => return Err(e.into()),
    };
    CLIENT.say(format_args!(
        "Received: {}",
        String::from_utf8_lossy(&buffer[..n])
    ));

    // close()
    drop(stream);
    CLIENT.say("Closed connection");
    Ok(())
}

/// What the chat client sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatInput {
    /// These messages, one line each.
    Messages(Vec<String>),
    /// Lines typed at the prompt, until end of input.
    Interactive,
}

/// `chat_client`: one session, each message a line, each ACK printed.
pub fn chat(config: &Config, input: ChatInput) -> Result<(), ClientError> {
    let mut stream = ritual::connect(config).map_err(ClientError::Connect)?;
    CLIENT.say(format_args!("Connected to {}", stream.peer_addr()?));
    stream.set_read_timeout(Some(config.timeout))?;
    // One framer for the whole session: a reply split over two reads is one
    // line, and bytes after a '\n' belong to the next reply.
    let mut replies = LineFramer::default();
    let mut buffer = vec![0u8; config.buffer_size];

    match input {
        ChatInput::Messages(messages) => {
            for message in &messages {
                say_line(&mut stream, &mut replies, &mut buffer, message)?;
            }
        }
        ChatInput::Interactive => {
            let stdin = io::stdin();
            let prompt = if stdin.is_terminal() {
                TERMINAL_PROMPT
            } else {
                PROMPT
            };
            let mut input = stdin.lock();
            loop {
                console::prompt(prompt);
                let mut typed = Vec::new();
                if input.read_until(b'\n', &mut typed)? == 0 {
                    // End of input (Ctrl+D, or the end of a piped file).
                    if io::stdin().is_terminal() {
                        println!();
                    }
                    break;
                }
                let typed = String::from_utf8_lossy(&typed);
                let message = typed.trim_end_matches(['\n', '\r']);
                if message.trim().is_empty() {
                    continue; // nothing typed: ask again
                }
                say_line(&mut stream, &mut replies, &mut buffer, message)?;
            }
        }
    }
    drop(stream);
    CLIENT.say("Closed connection");
    Ok(())
}

/// Sends one message as a line and prints the one-line reply.
fn say_line(
    stream: &mut TcpStream,
    replies: &mut LineFramer,
    buffer: &mut [u8],
    message: &str,
) -> Result<(), ClientError> {
    // The '\n' marks where this message ends: that is the chat's framing.
    stream.write_all(format!("{message}\n").as_bytes())?;
    loop {
        match replies.next_line() {
            Ok(Some(reply)) => {
                CLIENT.say(String::from_utf8_lossy(&reply));
                return Ok(());
            }
            Ok(None) => {}
            Err(too_long) => {
                return Err(io::Error::new(io::ErrorKind::InvalidData, too_long.to_string()).into())
            }
        }
        match stream.read(buffer) {
            Ok(0) => return Err(ClientError::ClosedWithoutReply),
            Ok(n) => replies.push(&buffer[..n]),
            Err(e) if is_timeout(&e) => return Err(ClientError::NoReply),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn an_unquoted_message_gets_a_tip_with_the_quotes() {
        let tip = quote_tip_for(&args(&["Hello", "Server"])).unwrap();
        assert!(tip.ends_with("client \"Hello Server\""), "{tip}");
        let tip = quote_tip_for(&args(&["--port", "6000", "Hello", "big", "world"])).unwrap();
        assert!(tip.ends_with("client \"Hello big world\""), "{tip}");
        // One word, or a flag's value next to one word: not this mistake.
        assert_eq!(quote_tip_for(&args(&["Hello"])), None);
        assert_eq!(quote_tip_for(&args(&["--timeout", "3", "Hello"])), None);
    }
}
