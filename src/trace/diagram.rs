//! The sequence diagram: phases of a TCP connection and the text that shows them.
//!
//! Pure functions over relative [`Segment`]s (see [`super::segment::relative`]):
//! [`phases`] says which step of the connection each segment belongs to, and
//! [`draw`] lays the segments out as rows between a client on the left and
//! a server on the right, in plain text that fits 80 columns. Colour is
//! optional ANSI styling; the caller prints through `anstream`, which drops
//! it for NO_COLOR and for output that is not a terminal.

use std::fmt::Write as _;
use std::net::SocketAddr;

use anstyle::{AnsiColor, Style};

use super::segment::Segment;

/// The step of a connection's life a segment belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// A SYN that never got a SYN-ACK.
    Attempt,
    Handshake,
    Data,
    Teardown,
    Reset,
}

impl Phase {
    pub fn title(self) -> &'static str {
        match self {
            Phase::Attempt => "Connection attempt",
            Phase::Handshake => "Three-way handshake",
            Phase::Data => "Data and its acknowledgement",
            Phase::Teardown => "Teardown",
            Phase::Reset => "Reset",
        }
    }

    /// One line in plain words, for someone who has just written connect().
    pub fn explanation(self) -> &'static str {
        match self {
            Phase::Attempt => {
                "connect() sends SYN (\"may I connect to this port?\") and waits for the \
                 answer."
            }
            Phase::Handshake => {
                "connect() sends SYN, the listening server answers SYN-ACK, the client's ACK \
                 completes it; only then does accept() return."
            }
            Phase::Data => {
                "send() hands bytes to TCP, which carries them in a segment (PSH: deliver now); \
                 the reply ACK counts the bytes that arrived."
            }
            Phase::Teardown => {
                "close() sends FIN (\"I have nothing more to send\"); the other side ACKs it \
                 and closes too."
            }
            Phase::Reset => {
                "RST means \"no connection here\": nothing listens on that port (or the \
                 socket is gone), so connect() fails with \"connection refused\"."
            }
        }
    }
}

/// Labels each segment with its phase, in order.
///
/// SYNs are the handshake, and so is the first bare ACK after them (the
/// third step). Everything from the first FIN on is the teardown. A RST is a
/// reset wherever it comes. The rest — payload and the ACKs for it — is data.
pub fn phases(segments: &[Segment]) -> Vec<Phase> {
    // Without any SYN-ACK there was no handshake, only an attempt.
    let answered = segments.iter().any(|s| s.flags.syn && s.flags.ack);
    let mut seen_syn = false;
    let mut handshake_done = false;
    let mut seen_fin = false;
    segments
        .iter()
        .map(|s| {
            if s.flags.rst {
                Phase::Reset
            } else if s.flags.syn {
                seen_syn = true;
                if answered {
                    Phase::Handshake
                } else {
                    Phase::Attempt
                }
            } else if seen_fin || s.flags.fin {
                seen_fin = true;
                Phase::Teardown
            } else if s.len == 0 && seen_syn && !handshake_done {
                handshake_done = true;
                Phase::Handshake
            } else {
                handshake_done = true;
                Phase::Data
            }
        })
        .collect()
}

/// Width of the space between the two lifelines.
const LANE: usize = 62;
/// Explanations are wrapped to this many columns (plus the indent).
const WRAP: usize = 72;

/// Splits `text` into lines of at most `width` characters at spaces (a
/// single longer word gets a line of its own).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn style_for(segment: &Segment) -> Style {
    let color = if segment.flags.rst {
        AnsiColor::Red
    } else if segment.flags.syn {
        AnsiColor::Green
    } else if segment.flags.fin {
        AnsiColor::Yellow
    } else if segment.len > 0 {
        AnsiColor::Cyan
    } else {
        return Style::new();
    };
    Style::new().fg_color(Some(color.into()))
}

fn paint(text: &str, style: Style, color: bool) -> String {
    if color && style != Style::new() {
        format!("{style}{text}{style:#}")
    } else {
        text.to_string()
    }
}

/// `12.345 ms`: time since the first segment.
pub fn format_time(time: std::time::Duration) -> String {
    format!("{:.3} ms", time.as_secs_f64() * 1000.0)
}

/// The words on an arrow: flags, numbers, length and a preview that fits.
pub fn label(segment: &Segment, room: usize) -> String {
    let mut text = format!("{} seq={}", segment.flags.name(), segment.seq);
    if segment.flags.ack {
        let _ = write!(text, " ack={}", segment.ack);
    }
    if segment.len > 0 {
        let _ = write!(text, " len={}", segment.len);
        let used = text.chars().count() + 3; // space and two quotes
        if used < room {
            let shown: String = segment.preview.chars().take(room - used).collect();
            let _ = write!(text, " \"{shown}\"");
        }
    }
    text
}

/// Draws the diagram. `server_port` says which end is the server: a segment
/// sent to it goes left to right.
pub fn draw(segments: &[Segment], server_port: u16, color: bool) -> String {
    let mut out = String::new();
    let client = segments
        .iter()
        .find_map(|s| {
            if s.dst.port() == server_port {
                Some(s.src)
            } else if s.src.port() == server_port {
                Some(s.dst)
            } else {
                None
            }
        })
        .map(|a| a.to_string())
        .unwrap_or_else(|| "?".to_string());
    let server = segments
        .iter()
        .find_map(|s| endpoint_on(s, server_port))
        .map(|a| a.to_string())
        .unwrap_or_else(|| format!("port {server_port}"));

    let left = format!("client {client}");
    let right = format!("server {server}");
    let gap = (LANE + 2).saturating_sub(left.len() + right.len()).max(1);
    let bold = Style::new().bold();
    let _ = writeln!(
        out,
        "{:>12}{}",
        "",
        paint(&format!("{left}{:gap$}{right}", ""), bold, color)
    );
    let _ = writeln!(out, "{:>12}|{:LANE$}|", "time", "");

    let mut current: Option<Phase> = None;
    for (segment, phase) in segments.iter().zip(phases(segments)) {
        if current != Some(phase) {
            current = Some(phase);
            let _ = writeln!(
                out,
                "  {}",
                paint(&format!("── {} ──", phase.title()), bold, color)
            );
            for line in wrap(phase.explanation(), WRAP) {
                let _ = writeln!(out, "    {line}");
            }
        }
        let to_server = segment.dst.port() == server_port;
        let text = label(segment, LANE - 6);
        let styled = paint(&text, style_for(segment), color);
        let dashes = LANE.saturating_sub(text.chars().count() + 5);
        let arrow = if to_server {
            format!("-- {styled} {}->", "-".repeat(dashes))
        } else {
            format!("<-{} {styled} --", "-".repeat(dashes))
        };
        let _ = writeln!(out, "{:>12}|{arrow}|", format_time(segment.time));
    }
    for para in summary(segments, server_port) {
        if para.is_empty() {
            let _ = writeln!(out);
        }
        for line in wrap(&para, WRAP + 4) {
            let _ = writeln!(out, "{line}");
        }
    }
    out
}

fn endpoint_on(s: &Segment, port: u16) -> Option<SocketAddr> {
    if s.dst.port() == port {
        Some(s.dst)
    } else if s.src.port() == port {
        Some(s.src)
    } else {
        None
    }
}

/// Closing remarks drawn from what happened: who closed first, or the reset.
pub fn summary(segments: &[Segment], server_port: u16) -> Vec<String> {
    let mut lines = vec![String::new()];
    let side = |s: &Segment| {
        if s.dst.port() == server_port {
            "client"
        } else {
            "server"
        }
    };
    if segments.is_empty() {
        lines.push("No segment of this session was captured.".to_string());
        return lines;
    }
    lines.push(format!(
        "{} segments in {}.",
        segments.len(),
        format_time(segments.last().map(|s| s.time).unwrap_or_default())
    ));
    if let Some(fin) = segments.iter().find(|s| s.flags.fin) {
        lines.push(format!(
            "The {} sent the first FIN (it closed first), so its socket now waits in \
             TIME-WAIT for about a minute: stray late packets of this connection cannot then \
             be mistaken for a new one's (see it with `ss -tan`).",
            side(fin)
        ));
    }
    if let Some(rst) = segments.iter().find(|s| s.flags.rst) {
        let after_syn = segments.iter().any(|s| s.flags.syn && !s.flags.ack)
            && !segments.iter().any(|s| s.flags.syn && s.flags.ack);
        if after_syn {
            lines.push(format!(
                "The {} answered the SYN with RST: no program listens on port {server_port}. \
                 This is \"connection refused\".",
                if side(rst) == "server" {
                    "kernel on the server's side"
                } else {
                    "client"
                }
            ));
        } else {
            lines.push(format!(
                "The {} reset the connection: it ended at once, without the FIN exchange.",
                side(rst)
            ));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::super::segment::tests::{frame, session_segments, Seg, CLIENT, SERVER};
    use super::super::segment::{parse_frame, relative};
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_session_splits_into_handshake_data_and_teardown() {
        let phases = phases(&relative(&session_segments()));
        use Phase::*;
        assert_eq!(
            phases,
            [
                Handshake, Handshake, Handshake, Data, Data, Data, Data, Teardown, Teardown,
                Teardown
            ]
        );
    }

    fn refused_segments() -> Vec<Segment> {
        let syn = frame(Seg {
            from: CLIENT,
            to: SERVER,
            seq: 99,
            ack: None,
            flags: "SYN",
            payload: b"",
        });
        let rst = frame(Seg {
            from: SERVER,
            to: CLIENT,
            seq: 0,
            ack: Some(100),
            flags: "RST",
            payload: b"",
        });
        relative(&[
            parse_frame(&syn, Duration::from_micros(10)).unwrap(),
            parse_frame(&rst, Duration::from_micros(25)).unwrap(),
        ])
    }

    #[test]
    fn a_refused_connection_is_a_syn_then_a_reset() {
        let segments = refused_segments();
        assert_eq!(phases(&segments), [Phase::Attempt, Phase::Reset]);
        let text = draw(&segments, SERVER, false);
        assert!(text.contains("-- SYN seq=0 ---"), "{text}");
        assert!(text.contains("<-"), "{text}");
        assert!(text.contains(" RST-ACK seq=0 ack=1 --|"), "{text}");
        assert!(text.contains("connection refused"), "{text}");
        assert!(!text.contains("TIME-WAIT"), "{text}");
    }

    #[test]
    fn the_drawing_has_one_row_per_segment_in_order_with_arrows_the_right_way() {
        let text = draw(&relative(&session_segments()), SERVER, false);
        let rows: Vec<&str> = text.lines().filter(|l| l.contains(" ms|")).collect();
        assert_eq!(rows.len(), 10, "{text}");
        assert!(rows[0].starts_with("    0.000 ms|-- SYN seq=0 -"), "{text}");
        assert!(rows[1].contains("|<--") && rows[1].contains("SYN-ACK seq=0 ack=1 --|"));
        assert!(rows[3].contains("PSH-ACK seq=1 ack=1 len=12 \"Hello Server\" -"));
        assert!(rows[3].ends_with("->|"));
        assert!(rows[5].contains("len=17 \"ACK: Hello Server\""));
        assert!(rows[7].contains("<-") && rows[7].contains("FIN-ACK seq=18 ack=13"));
        assert_eq!(rows[3].split_once('|').unwrap().0.trim(), "0.400 ms");
        for title in [
            "Three-way handshake",
            "Data and its acknowledgement",
            "Teardown",
        ] {
            assert_eq!(text.matches(title).count(), 1, "{text}");
        }
        assert!(text.contains("127.0.0.1:51234") && text.contains("127.0.0.1:40123"));
        assert!(text.contains("The server sent the first FIN"), "{text}");
        for line in text.lines() {
            assert!(line.chars().count() <= 100, "too wide: {line}");
        }
        // All rows end at the same column: the server's lifeline.
        let widths: Vec<usize> = rows.iter().map(|r| r.chars().count()).collect();
        assert!(widths.iter().all(|w| *w == widths[0]), "{widths:?}");
    }

    #[test]
    fn colour_is_only_added_when_asked() {
        let segments = relative(&session_segments());
        assert!(!draw(&segments, SERVER, false).contains('\u{1b}'));
        assert!(draw(&segments, SERVER, true).contains('\u{1b}'));
    }

    #[test]
    fn long_payloads_are_cut_to_fit_the_lane() {
        let mut s = relative(&session_segments());
        s[3].len = 65000;
        s[3].seq = 4_000_000_000;
        s[3].preview = format!("{}…", "y".repeat(20));
        let l = label(&s[3], LANE - 6);
        assert!(l.chars().count() <= LANE - 6, "{l}");
    }

    #[test]
    fn wrapping_keeps_words_whole() {
        assert_eq!(wrap("aa bb cc", 5), ["aa bb", "cc"]);
        assert_eq!(wrap("", 5), Vec::<String>::new());
        assert_eq!(wrap("abcdefgh x", 4), ["abcdefgh", "x"]);
    }

    #[test]
    fn nothing_captured_says_so() {
        let text = draw(&[], 5000, false);
        assert!(text.contains("No segment"));
    }
}
