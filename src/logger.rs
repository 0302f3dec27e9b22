//! The chat's message log (`chat_server --log FILE`).
//!
//! One line per message: `<RFC 3339 timestamp> <client address> <message>`,
//! appended to the file. The message is stored escaped
//! ([`crate::message::escape_record`]): a backslash is written `\\`, a
//! newline `\n`, a carriage return `\r`, a tab `\t`, and any other control
//! character `\u{HEX}`, so a record is always exactly one line and a `\r`
//! inside a message cannot fake another record. Undo it with
//! [`crate::message::unescape_record`]. The promise is "an acknowledged message is never
//! lost": [`MessageLog::record`] returns only once the line is on disk, and
//! the chat sends its ACK only after that.
//!
//! Trap: `write` only hands bytes to the operating system, which keeps them
//! in memory for a while. If the machine loses power, they are gone. `flush`
//! empties our own buffer; `sync_data` asks the OS to put the data on disk.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// An open, append-only message log.
#[derive(Debug)]
pub struct MessageLog {
    file: File,
    path: PathBuf,
}

impl MessageLog {
    /// Opens `path` for appending, creating it if needed.
    pub fn open(path: &Path) -> io::Result<MessageLog> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(MessageLog {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Where the log is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one message and returns once it is on disk.
    pub fn record(&mut self, peer: SocketAddr, message: &str) -> io::Result<()> {
        let stamp = chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, false);
        // The framer split on '\n', but a message may still hold a '\r' (a
        // terminal shows "\r2026-..." as a line of its own) or any other
        // control character: stored escaped, one message is one line.
        let message = crate::message::escape_record(message);
        let line = format!("{stamp} {peer} {message}\n");
        // One write_all of the whole line: with O_APPEND, the line lands in
        // one piece at the end even if another program appends too.
        self.file.write_all(line.as_bytes())?;
        self.file.flush()?;
        self.file.sync_data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_message_is_one_appended_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chat.log");
        let peer: SocketAddr = "127.0.0.1:54321".parse().unwrap();
        {
            let mut log = MessageLog::open(&path).unwrap();
            log.record(peer, "Hello, can you help?").unwrap();
        }
        let mut log = MessageLog::open(&path).unwrap();
        log.record(peer, "Thank you, goodbye").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[0].ends_with(" 127.0.0.1:54321 Hello, can you help?"));
        assert!(lines[1].ends_with(" 127.0.0.1:54321 Thank you, goodbye"));
        let stamp = lines[0].split(' ').next().unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(stamp).is_ok(),
            "{stamp}"
        );
    }

    #[test]
    fn control_characters_are_stored_escaped_one_record_per_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chat.log");
        let peer: SocketAddr = "127.0.0.1:54321".parse().unwrap();
        let forged = "hi\r2026-01-01T00:00:00.000+00:00 127.0.0.1:1 forged \\ \u{1b}[2J";
        let mut log = MessageLog::open(&path).unwrap();
        log.record(peer, forged).unwrap();
        log.record(peer, "next").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains('\r') && !text.contains('\u{1b}'), "{text:?}");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text:?}");
        let stored = lines[0].split_once(" 127.0.0.1:54321 ").unwrap().1;
        assert_eq!(
            stored,
            "hi\\r2026-01-01T00:00:00.000+00:00 127.0.0.1:1 forged \\\\ \\u{1b}[2J"
        );
        assert_eq!(
            crate::message::unescape_record(stored).as_deref(),
            Some(forged)
        );
        let stamp = lines[1].split(' ').next().unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(stamp).is_ok(),
            "{stamp}"
        );
    }
}
