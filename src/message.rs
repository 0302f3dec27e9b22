//! The message rules, as pure functions: no sockets here, so every rule has
//! a unit test.
//!
//! - [`validate`]: what the server accepts (handout extension B).
//! - The reply texts: [`ack`], [`Rejection::reply`], [`BUSY`], [`chat_ack`].
//! - [`LineFramer`]: how the chat finds its messages in a byte stream.
//!
//! Trap: TCP carries a stream of bytes, not messages. One `read` may return
//! half a message, or three. The one-shot server defines "one message" as
//! "what one read returns" (the handout's rule, fine for short messages on
//! loopback); the chat needs a real rule, and uses one message per line.

use std::fmt;

/// The longest message the server accepts, in characters (not bytes:
/// `é` is one character but two bytes in UTF-8).
pub const MAX_CHARS: usize = 100;

/// The reply to a client over the threaded server's limit.
pub const BUSY: &str = "ERROR: Server busy";

/// The chat's reply to a line that is not UTF-8 (the session goes on).
pub const CHAT_INVALID_UTF8: &str = "[ERROR] Invalid UTF-8\n";

/// The chat's reply to an empty (or whitespace-only) line.
pub const CHAT_EMPTY: &str = "[ERROR] Empty message\n";

/// The chat's reply when a message could not be written to the log: it is
/// not acknowledged, so the client knows it may be lost.
pub const CHAT_NOT_LOGGED: &str = "[ERROR] Message not logged\n";

/// Why a message was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// Nothing but whitespace.
    Blank,
    /// More than [`MAX_CHARS`] characters.
    TooLong,
    /// The bytes are not valid UTF-8 text.
    InvalidUtf8,
}

impl Rejection {
    /// What the server sends back.
    pub fn reply(self) -> &'static str {
        match self {
            Rejection::Blank => "ERROR: Empty message",
            Rejection::TooLong => "ERROR: Message too long",
            Rejection::InvalidUtf8 => "ERROR: Invalid UTF-8",
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Rejection::Blank => "empty message",
            Rejection::TooLong => "message too long",
            Rejection::InvalidUtf8 => "invalid UTF-8",
        })
    }
}

/// Checks one received message and returns its text with surrounding
/// whitespace trimmed (a trailing `\n` from `nc` or a typed line included).
pub fn validate(bytes: &[u8]) -> Result<&str, Rejection> {
    // Bytes become text only if they are valid UTF-8; never guess.
    let text = std::str::from_utf8(bytes).map_err(|_| Rejection::InvalidUtf8)?;
    let text = text.trim();
    if text.is_empty() {
        return Err(Rejection::Blank);
    }
    // Count characters, not bytes.
    if text.chars().count() > MAX_CHARS {
        return Err(Rejection::TooLong);
    }
    Ok(text)
}

/// The one-shot server's reply: `ACK: <message>` (no newline).
pub fn ack(message: &str) -> String {
    format!("ACK: {message}")
}

/// The chat's reply: `[ACK @HH:MM:SS] <message>\n`.
pub fn chat_ack(clock: &str, message: &str) -> String {
    format!("[ACK @{clock}] {message}\n")
}

/// The longest chat line the framer holds before giving up (64 KiB): memory
/// stays bounded whatever a client sends.
pub const MAX_LINE: usize = 64 * 1024;

/// A line longer than the framer's limit arrived without its `\n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineTooLong {
    pub limit: usize,
}

impl fmt::Display for LineTooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line longer than {} bytes without a newline", self.limit)
    }
}

/// Collects bytes as they arrive and hands out complete lines.
///
/// Feed it whatever `read` returned with [`LineFramer::push`], then take
/// lines with [`LineFramer::next_line`] until it returns `Ok(None)`. A line
/// split over several reads comes out once, whole; several lines in one read
/// come out one by one. The `\n` (and a `\r` before it) is removed.
#[derive(Debug)]
pub struct LineFramer {
    buffer: Vec<u8>,
    limit: usize,
}

impl Default for LineFramer {
    fn default() -> Self {
        LineFramer::new(MAX_LINE)
    }
}

impl LineFramer {
    /// A framer that refuses lines longer than `limit` bytes.
    pub fn new(limit: usize) -> LineFramer {
        LineFramer {
            buffer: Vec::new(),
            limit,
        }
    }

    /// Adds received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// The next complete line, `Ok(None)` if none is complete yet, or an
    /// error if the unfinished line is already over the limit.
    pub fn next_line(&mut self) -> Result<Option<Vec<u8>>, LineTooLong> {
        match self.buffer.iter().position(|&b| b == b'\n') {
            Some(end) if end <= self.limit => {
                let mut line: Vec<u8> = self.buffer.drain(..=end).collect();
                line.pop(); // the '\n'
                if line.last() == Some(&b'\r') {
                    line.pop(); // a Windows-style "\r\n"
                }
                Ok(Some(line))
            }
            Some(_) => Err(LineTooLong { limit: self.limit }),
            None if self.buffer.len() > self.limit => Err(LineTooLong { limit: self.limit }),
            None => Ok(None),
        }
    }

    /// Takes what is left after the last `\n`: a final line sent without
    /// one, when the peer has closed. `None` if nothing is left.
    pub fn finish(&mut self) -> Option<Vec<u8>> {
        if self.buffer.is_empty() {
            return None;
        }
        let mut rest = std::mem::take(&mut self.buffer);
        if rest.last() == Some(&b'\r') {
            rest.pop();
        }
        Some(rest)
    }

    /// Bytes received but not yet part of a complete line.
    pub fn pending(&self) -> usize {
        self.buffer.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_normal_message_is_accepted_and_trimmed() {
        assert_eq!(validate(b"Hello Server"), Ok("Hello Server"));
        assert_eq!(validate(b"  Hello \r\n"), Ok("Hello"));
        assert_eq!(ack("Hello Server"), "ACK: Hello Server");
    }

    #[test]
    fn blank_messages_are_rejected() {
        assert_eq!(validate(b""), Err(Rejection::Blank));
        assert_eq!(validate(b"   \t\n"), Err(Rejection::Blank));
        assert_eq!(Rejection::Blank.reply(), "ERROR: Empty message");
    }

    #[test]
    fn length_is_counted_in_characters_100_is_fine() {
        let hundred = "a".repeat(100);
        assert_eq!(validate(hundred.as_bytes()), Ok(hundred.as_str()));
        let too_long = "a".repeat(101);
        assert_eq!(validate(too_long.as_bytes()), Err(Rejection::TooLong));
        // 100 two-byte characters are 200 bytes but still 100 characters.
        let accents = "é".repeat(100);
        assert_eq!(validate(accents.as_bytes()), Ok(accents.as_str()));
        // Surrounding whitespace does not count.
        let padded = format!("  {hundred}  \n");
        assert_eq!(validate(padded.as_bytes()), Ok(hundred.as_str()));
        assert_eq!(Rejection::TooLong.reply(), "ERROR: Message too long");
    }

    #[test]
    fn invalid_utf8_is_rejected() {
        assert_eq!(validate(&[0xff, 0xfe, b'a']), Err(Rejection::InvalidUtf8));
        // Half of a two-byte character.
        assert_eq!(validate(&[b'a', 0xc3]), Err(Rejection::InvalidUtf8));
        assert_eq!(Rejection::InvalidUtf8.reply(), "ERROR: Invalid UTF-8");
    }

    #[test]
    fn chat_acks_end_with_a_newline() {
        assert_eq!(chat_ack("09:05:01", "Hi"), "[ACK @09:05:01] Hi\n");
    }

    #[test]
    fn a_line_split_over_reads_comes_out_once() {
        let mut framer = LineFramer::default();
        framer.push(b"Hello, can");
        assert_eq!(framer.next_line(), Ok(None));
        framer.push(b" you help?");
        assert_eq!(framer.next_line(), Ok(None));
        framer.push(b"\r\n");
        assert_eq!(
            framer.next_line(),
            Ok(Some(b"Hello, can you help?".to_vec()))
        );
        assert_eq!(framer.next_line(), Ok(None));
        assert_eq!(framer.pending(), 0);
    }

    #[test]
    fn several_lines_in_one_read_come_out_one_by_one() {
        let mut framer = LineFramer::default();
        framer.push(b"one\ntwo\n\nthree");
        assert_eq!(framer.next_line(), Ok(Some(b"one".to_vec())));
        assert_eq!(framer.next_line(), Ok(Some(b"two".to_vec())));
        assert_eq!(framer.next_line(), Ok(Some(b"".to_vec())));
        assert_eq!(framer.next_line(), Ok(None));
        assert_eq!(framer.finish(), Some(b"three".to_vec()));
        assert_eq!(framer.finish(), None);
    }

    #[test]
    fn a_line_over_the_limit_is_an_error_not_a_growing_buffer() {
        let mut framer = LineFramer::new(8);
        framer.push(b"12345678");
        assert_eq!(framer.next_line(), Ok(None));
        framer.push(b"9");
        assert_eq!(framer.next_line(), Err(LineTooLong { limit: 8 }));

        let mut framer = LineFramer::new(8);
        framer.push(b"123456789\n");
        assert_eq!(framer.next_line(), Err(LineTooLong { limit: 8 }));

        let mut framer = LineFramer::new(8);
        framer.push(b"12345678\n");
        assert_eq!(framer.next_line(), Ok(Some(b"12345678".to_vec())));
    }
}
