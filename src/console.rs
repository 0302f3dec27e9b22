//! The console lines every Week 1 program prints.
//!
//! Each line starts with who is speaking — `[SERVER]` or `[CLIENT]` — and is
//! flushed the moment it is written. That matters: when stdout is a pipe (the
//! grader, the demo script, `| tee`), output is otherwise buffered and a
//! reader waiting for `Listening on ...` would wait for nothing.
//!
//! Normal lines go to stdout, errors to stderr. Printing never panics: if the
//! reader has gone away (a closed pipe), the line is dropped.
//!
//! One event is always one line: control characters in a line (a `\n` or
//! an ESC sequence inside a peer's message) are printed escaped, so a
//! message can neither forge a line of ours nor drive the terminal. See
//! [`crate::message::escape_controls`].

use std::fmt::Display;
use std::io::Write;

use crate::message::escape_controls;

/// Who is speaking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Server,
    Client,
}

impl Role {
    /// The tag in front of every line: `[SERVER]` or `[CLIENT]`.
    pub fn tag(self) -> &'static str {
        match self {
            Role::Server => "[SERVER]",
            Role::Client => "[CLIENT]",
        }
    }

    /// Prints `[ROLE] line` to stdout and flushes it.
    pub fn say(self, line: impl Display) {
        // Whatever a peer put in the line, it stays one line, inert.
        let line = line.to_string();
        let line = escape_controls(&line);
        // In the library's own unit tests, let the test harness capture it.
        #[cfg(test)]
        {
            println!("{} {line}", self.tag());
            return;
        }
        #[allow(unreachable_code)]
        let mut out = std::io::stdout().lock();
        // One write per line, under the lock, so lines from several threads
        // never interleave. Errors (a closed pipe) are ignored on purpose.
        let _ = writeln!(out, "{} {line}", self.tag());
        let _ = out.flush();
    }

    /// Prints `[ROLE] Error: what` to stderr.
    pub fn error(self, what: impl Display) {
        self.complain(format_args!("Error: {what}"));
    }

    /// Prints `[ROLE] line` to stderr (for problems the contract words
    /// without `Error:`, such as `Server did not respond in time`).
    pub fn complain(self, line: impl Display) {
        let line = line.to_string();
        let line = escape_controls(&line);
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{} {line}", self.tag());
        let _ = err.flush();
    }
}

/// Prints a prompt without a newline (`Enter message to send: `), flushed so
/// the person sees it before the program waits for their typing.
pub fn prompt(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = write!(out, "{text}");
    let _ = out.flush();
}

/// `1 client`, `2 clients`: a count with its noun, in the right number.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The local wall-clock time as `HH:MM:SS`, for the chat's `@HH:MM:SS` marks.
pub fn clock() -> String {
    chrono::Local::now().format("%H:%M:%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_reads_hh_mm_ss() {
        let clock = clock();
        assert_eq!(clock.len(), 8, "{clock}");
        let parts: Vec<&str> = clock.split(':').collect();
        assert_eq!(parts.len(), 3, "{clock}");
        assert!(parts
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit())));
    }

    #[test]
    fn tags_name_the_speaker() {
        assert_eq!(Role::Server.tag(), "[SERVER]");
        assert_eq!(Role::Client.tag(), "[CLIENT]");
    }
}
