//! The message rules, as pure functions: no sockets here, so every rule has
//! a unit test.
//!
//! - [`validate`]: what the server accepts (handout extension B).
//! - The reply texts: [`ack`], [`Rejection::reply`], [`BUSY`], [`chat_ack`].
//! - [`LineFramer`]: how the chat finds its messages in a byte stream.
//! - [`escape_controls`], [`escape_record`], [`unescape_record`]: how text
//!   from a peer is shown on the console and kept in the chat log.
//!
//! Trap: TCP carries a stream of bytes, not messages. One `read` may return
//! half a message, or three. The one-shot server defines "one message" as
//! "what one read returns" (the handout's rule, fine for short messages on
//! loopback); the chat needs a real rule, and uses one message per line.

use std::borrow::Cow;
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

/// Characters that must never reach a terminal or a log as they are: the
/// control characters (`\n`, `\r`, ESC, DEL, the C1 range) and the
/// invisible bidirectional overrides that reorder what a reader sees.
fn is_hazard(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Writes `c` as an escape: `\n`, `\r`, `\t`, or `\u{HEX}` (Rust's notation).
fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        _ => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
    }
}

/// Text from a peer as the console shows it: every control character
/// escaped (`\n`, `\r`, `\t`, `\u{1b}`...), everything else as it is.
///
/// Trap: a message is untrusted text. Printed raw, a `\n` inside it starts a
/// new console line that looks like the program's own (`[SERVER] Sent: ...`),
/// and an ESC sequence recolours, moves or clears the reader's terminal.
/// Escaped, one event is always one line. Backslashes stay as they are: the
/// console is for people; the log, which must be undone exactly, uses
/// [`escape_record`].
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hazard) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_hazard(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A message as the chat log stores it: like [`escape_controls`], and a
/// backslash is doubled (`\\`), so the escaping can be undone exactly
/// ([`unescape_record`]) and a record is always one line.
pub fn escape_record(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c == '\\' || is_hazard(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c == '\\' {
            out.push_str("\\\\");
        } else if is_hazard(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Undoes [`escape_record`]: `\\` → `\`, `\n` `\r` `\t`, `\u{HEX}` → that
/// character. `None` for text that [`escape_record`] cannot have written.
pub fn unescape_record(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '\\' => out.push('\\'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'u' => {
                if chars.next()? != '{' {
                    return None;
                }
                let hex: String = chars.by_ref().take_while(|&c| c != '}').collect();
                out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
            }
            _ => return None,
        }
    }
    Some(out)
}

/// `text` (log records) with each `\u{HEX}` escape written as
/// [`escape_record`] writes it, lower case without leading zeros: `\u{1B}`
/// and `\u{001b}` name the same character as `\u{1b}`, and
/// [`unescape_record`] reads them alike (hostile round 56: a log in upper
/// case failed the form check). An escaped backslash before a `u{` is
/// left alone, and so is anything that is not such an escape.
pub fn canonical_hex_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('\\') {
            out.push_str("\\\\");
            rest = tail;
            continue;
        }
        let escape = after.strip_prefix("u{").and_then(|body| {
            let end = body.find('}')?;
            let code = u32::from_str_radix(&body[..end], 16).ok()?;
            char::from_u32(code)?;
            Some((code, &body[end + 1..]))
        });
        match escape {
            Some((code, tail)) => {
                out.push_str(&format!("\\u{{{code:x}}}"));
                rest = tail;
            }
            None => {
                out.push('\\');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_escapes_in_any_case_or_padding_read_as_the_records_own() {
        assert_eq!(
            canonical_hex_escapes(r"a\u{1B}b\u{001f}c\\u{1B}d\u{zz}\t"),
            r"a\u{1b}b\u{1f}c\\u{1B}d\u{zz}\t"
        );
        let message = "x\u{1b}[1m\u{1f}y";
        let escaped = escape_record(message);
        assert_eq!(canonical_hex_escapes(&escaped), escaped);
        assert_eq!(
            unescape_record(&canonical_hex_escapes(r"x\u{1B}[1m\u{001F}y")).as_deref(),
            Some(message)
        );
    }

    #[test]
    fn control_characters_are_escaped_for_the_console() {
        assert_eq!(escape_controls("Hello Server"), "Hello Server");
        assert!(matches!(escape_controls("plain"), Cow::Borrowed(_)));
        assert_eq!(
            escape_controls("hi\n[SERVER] Sent: forged"),
            "hi\\n[SERVER] Sent: forged"
        );
        assert_eq!(escape_controls("a\rb\tc"), "a\\rb\\tc");
        assert_eq!(escape_controls("\u{1b}[2J"), "\\u{1b}[2J");
        assert_eq!(escape_controls("\u{7f}\u{85}"), "\\u{7f}\\u{85}");
        assert_eq!(escape_controls("abc\u{202e}def"), "abc\\u{202e}def");
        // Not a control character: accents, emoji and backslashes stay.
        assert_eq!(escape_controls("café 🙂 C:\\x"), "café 🙂 C:\\x");
    }

    #[test]
    fn log_records_escape_and_unescape_exactly() {
        for text in [
            "Hello, can you help?",
            "two\nlines",
            "fake\r2026-01-01T00:00:00.000+00:00 127.0.0.1:1 forged",
            "back\\slash \\n literal",
            "\u{1b}[31mred\u{1b}[0m \u{0} \u{9f} \u{2066}",
            "é \\u{41}",
        ] {
            let stored = escape_record(text);
            assert!(
                !stored.chars().any(|c| c.is_control()),
                "{stored:?} keeps a control character"
            );
            assert_eq!(unescape_record(&stored).as_deref(), Some(text), "{stored}");
        }
        assert_eq!(escape_record("a\\b\nc"), "a\\\\b\\nc");
        assert_eq!(unescape_record("dangling\\"), None);
        assert_eq!(unescape_record("\\q"), None);
        assert_eq!(unescape_record("\\u{zz}"), None);
    }

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
