//! The `chat-client` role: sends each message as a line, prints each ACK line.
//!
//! ```text
//! chat-client [MESSAGE...]   send these (default: the three helpdesk lines)
//! chat-client -i             interactive: send each line typed until end of input
//! ```
//! With no message and a terminal on stdin it is interactive too.

use std::io::{BufRead, ErrorKind, IsTerminal, Read, Write};
use std::net::TcpStream;

use crate::common::{describe, is_reset, is_timeout, mistake, prompt, say, Config, Mistake, USAGE};

/// The helpdesk conversation of the handout's chat lab.
const DEFAULT_MESSAGES: [&str; 3] = [
    "Hello, can you help?",
    "I have a problem with my account",
    "Thank you, goodbye",
];

const PROMPT: &str = "Enter message to send: ";

pub fn run(cfg: &Config, args: &[String]) -> i32 {
    // Here the stdout-buffered mistake is the prompt's (common::prompt).
    crate::common::buffered_mistake_is_the_prompt();
    let mut interactive = false;
    let mut messages: Vec<String> = Vec::new();
    for arg in args {
        match arg.as_str() {
            "-i" | "--interactive" => interactive = true,
            flag if flag.starts_with('-') && flag.len() > 1 => {
                eprintln!("[CLIENT] Error: unknown option {flag:?}");
                eprintln!("usage: chat-client [-i] [MESSAGE...]");
                return USAGE;
            }
            message => messages.push(message.to_string()),
        }
    }
    if interactive && !messages.is_empty() {
        eprintln!("[CLIENT] Error: -i reads messages from the keyboard; give no MESSAGE with it");
        return USAGE;
    }
    if messages.is_empty() && !interactive {
        if std::io::stdin().is_terminal() {
            interactive = true;
        } else {
            messages = DEFAULT_MESSAGES.iter().map(|m| m.to_string()).collect();
        }
    }
    if let Some(bad) = messages.iter().find(|m| m.contains('\n')) {
        eprintln!("[CLIENT] Error: a message is one line; {bad:?} contains a newline");
        return USAGE;
    }

    let addr = match cfg.address() {
        Ok(addr) => addr,
        Err(text) => {
            eprintln!("[CLIENT] Error: {text}");
            return 1;
        }
    };
    let stream = match TcpStream::connect_timeout(&addr, cfg.timeout) {
        Ok(stream) => stream,
        Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
            eprintln!(
                "[CLIENT] Error: could not connect to {addr}: connection refused (is the server running?)"
            );
            return 1;
        }
        Err(e) => {
            eprintln!(
                "[CLIENT] Error: could not connect to {addr}: {}",
                describe(&e)
            );
            return 1;
        }
    };
    if let Err(e) = stream.set_read_timeout(Some(cfg.timeout)) {
        eprintln!("[CLIENT] Error: cannot set a timeout: {}", describe(&e));
        return 1;
    }
    say(format!("[CLIENT] Connected to {addr}"));

    let mut chat = Chat {
        stream,
        pending: Vec::new(),
        buf: vec![0u8; cfg.buffer_size],
    };
    if interactive {
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        loop {
            prompt(PROMPT);
            let mut line = String::new();
            match input.read_line(&mut line) {
                Ok(0) => {
                    say(""); // end the prompt's line
                    break;
                }
                Ok(_) => {}
                Err(e) => {
                    eprintln!("[CLIENT] Error: cannot read the keyboard: {}", describe(&e));
                    return 1;
                }
            }
            let message = line.trim_end_matches(['\r', '\n']);
            if message.trim().is_empty() {
                continue; // nothing typed: ask again
            }
            if let Err(code) = chat.exchange(message) {
                return code;
            }
        }
    } else {
        for message in &messages {
            if let Err(code) = chat.exchange(message) {
                return code;
            }
        }
    }

    drop(chat);
    say("[CLIENT] Closed connection");
    0
}

struct Chat {
    stream: TcpStream,
    /// Bytes received after the last complete line.
    pending: Vec<u8>,
    buf: Vec<u8>,
}

impl Chat {
    /// Sends one message and prints its ACK; Err(exit status) on failure.
    fn exchange(&mut self, message: &str) -> Result<(), i32> {
        if let Err(e) = self.stream.write_all(format!("{message}\n").as_bytes()) {
            eprintln!("[CLIENT] Error: send failed: {}", describe(&e));
            return Err(1);
        }
        match self.next_line() {
            Ok(Some(ack)) => {
                say(format!("[CLIENT] {ack}"));
                Ok(())
            }
            Ok(None) => {
                eprintln!("[CLIENT] Error: the server closed the connection without replying");
                Err(1)
            }
            Err(e) if is_timeout(&e) => {
                eprintln!("[CLIENT] Server did not respond in time");
                Err(1)
            }
            Err(e) if is_reset(&e) => {
                eprintln!("[CLIENT] Error: the server closed the connection without replying (connection reset)");
                Err(1)
            }
            Err(e) => {
                eprintln!("[CLIENT] Error: receive failed: {}", describe(&e));
                Err(1)
            }
        }
    }

    /// The next line from the server, without its newline; None if it closed.
    fn next_line(&mut self) -> std::io::Result<Option<String>> {
        if mistake(Mistake::SplitMessage) {
            // MISTAKE(split-message): one read() is taken as one ACK. When
            // the server's line arrives in two pieces, the client prints half
            // an ACK, and the other half is printed as the next message's ACK.
            let n = self.read_some()?;
            if n == 0 {
                return Ok(None);
            }
            let chunk = String::from_utf8_lossy(&self.buf[..n]);
            return Ok(Some(chunk.trim_end_matches(['\r', '\n']).to_string()));
        }
        // One read is not one line: collect bytes until a '\n' arrives.
        loop {
            if let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.pending.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(Some(String::from_utf8_lossy(&line).into_owned()));
            }
            let n = self.read_some()?;
            // A 0-byte read means the server closed (a partial line is no ACK).
            if n == 0 {
                return Ok(None);
            }
            self.pending.extend_from_slice(&self.buf[..n]);
        }
    }

    fn read_some(&mut self) -> std::io::Result<usize> {
        loop {
            match self.stream.read(&mut self.buf) {
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
    }
}
