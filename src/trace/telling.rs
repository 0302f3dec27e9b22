//! The telling segments of a capture: the few packets that explain what went
//! wrong, each with one sentence for a beginner.
//!
//! Pure: [`telling`] reads a list of [`Segment`]s (as captured, or read back
//! from a .pcap) and finds, connection by connection:
//! - a SYN answered by RST (nothing listens: "connection refused");
//! - a SYN never answered at all;
//! - an RST instead of a FIN after data came in (closing a socket with
//!   unread data, or exiting with it, aborts the connection);
//! - data sent to a side that had already closed, answered by RST;
//! - a FIN that never came: one side closed, the other never did;
//! - a zero window: a receiver whose buffer is full because its program
//!   stopped reading.
//!
//! Which side is the "client" is learnt from the handshake (the SYN's
//! sender); without a handshake in the capture, sides are named by port.
//!
//! Trap: RST segments carry a window of 0 (nothing more will be received),
//! so they are not zero-window signs.

use std::net::SocketAddr;
use std::time::Duration;

use super::segment::Segment;

/// What a telling segment shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sign {
    /// A SYN answered by RST: nothing listened on that port.
    Refused,
    /// A SYN that got no answer at all.
    SynUnanswered,
    /// An RST instead of a FIN, from a side that had received data.
    ResetAfterData,
    /// An RST with no data received: the connection was aborted.
    Reset,
    /// Data sent after the receiving side closed; it answered with RST.
    DataAfterClose,
    /// One side closed (FIN); the other never sent its own FIN.
    NoFin,
    /// A receiver advertised a zero window: its buffer was full.
    ZeroWindow,
}

impl Sign {
    /// A short stable name, e.g. for JSON or tests.
    pub fn code(self) -> &'static str {
        match self {
            Sign::Refused => "refused",
            Sign::SynUnanswered => "syn-unanswered",
            Sign::ResetAfterData => "reset-after-data",
            Sign::Reset => "reset",
            Sign::DataAfterClose => "data-after-close",
            Sign::NoFin => "no-fin",
            Sign::ZeroWindow => "zero-window",
        }
    }
}

/// One telling segment and what it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Telling {
    pub sign: Sign,
    /// The segment it points at (for [`Sign::NoFin`], the FIN that was
    /// never answered by one of the other side's).
    pub segment: Segment,
    /// One sentence for a beginner.
    pub explanation: String,
}

impl Telling {
    /// One line: time since `start`, direction, flags, then the meaning.
    pub fn line(&self, start: Duration) -> String {
        let s = &self.segment;
        format!(
            "{:.3}s {} → {} {}: {}",
            s.time.saturating_sub(start).as_secs_f64(),
            s.src,
            s.dst,
            s.flags.name(),
            self.explanation
        )
    }
}

/// One TCP connection: its two ends and its segments' indexes.
struct Connection {
    ends: (SocketAddr, SocketAddr),
    /// The SYN's sender, if the handshake was captured.
    client: Option<SocketAddr>,
    segments: Vec<usize>,
}

impl Connection {
    fn name(&self, addr: SocketAddr) -> String {
        match self.client {
            Some(c) if c == addr => format!("the client side (:{})", addr.port()),
            Some(_) => format!("the server side (:{})", addr.port()),
            None => format!("the side on :{}", addr.port()),
        }
    }
}

fn connections(segments: &[Segment]) -> Vec<Connection> {
    let mut conns: Vec<Connection> = Vec::new();
    for (i, s) in segments.iter().enumerate() {
        let ends = if s.src <= s.dst {
            (s.src, s.dst)
        } else {
            (s.dst, s.src)
        };
        // A new SYN on ends already seen after that connection ended is a
        // new connection (ports get reused); otherwise append.
        let fresh_syn = s.flags.syn && !s.flags.ack;
        let existing = conns.iter_mut().rev().find(|c| c.ends == ends);
        match existing {
            Some(c) if !(fresh_syn && c.client.is_some_and(|cl| cl != s.src)) => {
                if fresh_syn && c.client.is_none() {
                    c.client = Some(s.src);
                }
                c.segments.push(i);
            }
            _ => conns.push(Connection {
                ends,
                client: fresh_syn.then_some(s.src),
                segments: vec![i],
            }),
        }
    }
    conns
}

/// The telling segments of `segments` (in capture order), oldest first.
pub fn telling(segments: &[Segment]) -> Vec<Telling> {
    let mut found: Vec<(usize, Telling)> = Vec::new();
    for conn in connections(segments) {
        let mut add = |i: usize, sign: Sign, explanation: String| {
            found.push((
                i,
                Telling {
                    sign,
                    segment: segments[i].clone(),
                    explanation,
                },
            ));
        };
        let segs: Vec<(usize, &Segment)> = conn.segments.iter().map(|&i| (i, &segments[i])).collect();
        // The handshake: a SYN answered by RST, or by nothing.
        if let Some(client) = conn.client {
            let syn = segs.iter().find(|(_, s)| s.src == client && s.flags.syn);
            let answer = segs.iter().find(|(_, s)| s.src != client);
            match (syn, answer) {
                (Some((_, syn)), Some(&(j, a))) if a.flags.rst && !a.flags.syn => {
                    add(
                        j,
                        Sign::Refused,
                        format!(
                            "nothing listened on port {}: the kernel answered the SYN with RST (\"connection refused\")",
                            syn.dst.port()
                        ),
                    );
                    continue;
                }
                (Some(&(i, syn)), None) => {
                    let tries = segs.iter().filter(|(_, s)| s.flags.syn).count();
                    add(
                        i,
                        Sign::SynUnanswered,
                        format!(
                            "the SYN to port {} was never answered ({} sent): the listening socket's queue was full or nobody answered",
                            syn.dst.port(),
                            tries
                        ),
                    );
                    continue;
                }
                _ => {}
            }
        }
        for side in [conn.ends.0, conn.ends.1] {
            let peer = if side == conn.ends.0 {
                conn.ends.1
            } else {
                conn.ends.0
            };
            let mut received = 0usize;
            let mut own_fin: Option<usize> = None;
            let mut after_own_fin = 0usize;
            let mut zero_window_told = false;
            for &(i, s) in &segs {
                if s.src == peer {
                    received += s.len;
                    if own_fin.is_some() {
                        after_own_fin += s.len;
                    }
                    continue;
                }
                if s.flags.rst {
                    if own_fin.is_some() && after_own_fin > 0 {
                        add(
                            i,
                            Sign::DataAfterClose,
                            format!(
                                "{} sent {after_own_fin} bytes after {} had closed, so it answered RST: those bytes were never read",
                                conn.name(peer),
                                conn.name(side)
                            ),
                        );
                    } else if own_fin.is_none() && received > 0 {
                        add(
                            i,
                            Sign::ResetAfterData,
                            format!(
                                "{} reset the connection instead of closing it, after receiving {received} bytes: closing a socket (or exiting) with received bytes still unread sends RST, not FIN",
                                conn.name(side)
                            ),
                        );
                    } else if own_fin.is_none() {
                        add(
                            i,
                            Sign::Reset,
                            format!(
                                "{} aborted the connection with RST instead of closing it with FIN",
                                conn.name(side)
                            ),
                        );
                    }
                    break;
                }
                if s.flags.fin && own_fin.is_none() {
                    own_fin = Some(i);
                }
                if s.window == 0 && !s.flags.syn && !zero_window_told {
                    zero_window_told = true;
                    add(
                        i,
                        Sign::ZeroWindow,
                        format!(
                            "{} advertised a zero window: its receive buffer was full because its program stopped reading",
                            conn.name(side)
                        ),
                    );
                }
            }
        }
        // A FIN that never came: one side closed, the other neither closed
        // nor reset before the capture ended.
        for side in [conn.ends.0, conn.ends.1] {
            let sent_end = segs
                .iter()
                .any(|(_, s)| s.src == side && (s.flags.fin || s.flags.rst));
            let peer_fin = segs
                .iter()
                .find(|(_, s)| s.src != side && s.flags.fin && !s.flags.rst);
            let peer_rst = segs.iter().any(|(_, s)| s.src != side && s.flags.rst);
            if let (false, Some(&(i, _)), false) = (sent_end, peer_fin, peer_rst) {
                let peer = if side == conn.ends.0 {
                    conn.ends.1
                } else {
                    conn.ends.0
                };
                add(
                    i,
                    Sign::NoFin,
                    format!(
                        "{} closed its end, but {} never sent its FIN back: it never closed the connection",
                        conn.name(peer),
                        conn.name(side)
                    ),
                );
            }
        }
    }
    found.sort_by_key(|(i, _)| *i);
    found.into_iter().map(|(_, t)| t).collect()
}

#[cfg(test)]
mod tests {
    use super::super::segment::{tests::session_segments, Flags};
    use super::*;

    const C: u16 = 51234;
    const S: u16 = 40123;

    /// A segment from port `from` to port `to` on 127.0.0.1, at `ms`.
    fn seg(ms: u64, from: u16, to: u16, flags: &str, len: usize) -> Segment {
        let has = |f: &str| flags.split('-').any(|x| x == f);
        Segment {
            time: Duration::from_millis(ms),
            src: SocketAddr::from(([127, 0, 0, 1], from)),
            dst: SocketAddr::from(([127, 0, 0, 1], to)),
            flags: Flags {
                syn: has("SYN"),
                ack: has("ACK"),
                psh: has("PSH"),
                fin: has("FIN"),
                rst: has("RST"),
            },
            seq: 0,
            ack: 0,
            len,
            window: if has("RST") || has("ZW") { 0 } else { 65483 },
            preview: String::new(),
        }
    }

    fn handshake() -> Vec<Segment> {
        vec![
            seg(0, C, S, "SYN", 0),
            seg(1, S, C, "SYN-ACK", 0),
            seg(2, C, S, "ACK", 0),
        ]
    }

    fn signs(segments: &[Segment]) -> Vec<Sign> {
        telling(segments).iter().map(|t| t.sign).collect()
    }

    #[test]
    fn a_clean_session_tells_nothing() {
        assert_eq!(signs(&session_segments()), []);
    }

    #[test]
    fn a_syn_answered_by_rst_is_a_refused_connection() {
        let t = telling(&[seg(0, C, S, "SYN", 0), seg(1, S, C, "RST-ACK", 0)]);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].sign, Sign::Refused);
        assert!(t[0].segment.flags.rst);
        assert!(t[0].explanation.contains("port 40123"), "{}", t[0].explanation);
        assert!(t[0].line(Duration::ZERO).starts_with("0.001s 127.0.0.1:40123 → 127.0.0.1:51234 RST-ACK: nothing listened"));
    }

    #[test]
    fn a_syn_never_answered_is_told_once_with_its_retries() {
        let t = telling(&[seg(0, C, S, "SYN", 0), seg(1000, C, S, "SYN", 0)]);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].sign, Sign::SynUnanswered);
        assert!(t[0].explanation.contains("(2 sent)"), "{}", t[0].explanation);
    }

    #[test]
    fn an_rst_after_unread_data_names_the_side_and_the_bytes() {
        let mut s = handshake();
        s.push(seg(10, C, S, "PSH-ACK", 12));
        s.push(seg(11, S, C, "ACK", 0));
        s.push(seg(20, S, C, "RST-ACK", 0));
        let t = telling(&s);
        assert_eq!(t.len(), 1, "{t:?}");
        assert_eq!(t[0].sign, Sign::ResetAfterData);
        assert!(t[0].explanation.starts_with("the server side (:40123) reset"));
        assert!(t[0].explanation.contains("12 bytes"));
    }

    #[test]
    fn a_server_that_never_closes_is_a_fin_that_never_came() {
        // The reply came, then the client gave up and closed; no FIN back.
        let mut s = handshake();
        s.push(seg(10, C, S, "PSH-ACK", 12));
        s.push(seg(11, S, C, "PSH-ACK", 17));
        s.push(seg(3000, C, S, "FIN-ACK", 0));
        s.push(seg(3001, S, C, "ACK", 0));
        let t = telling(&s);
        assert_eq!(signs(&s), [Sign::NoFin]);
        assert_eq!(t[0].segment.time, Duration::from_millis(3000));
        assert!(
            t[0].explanation
                .starts_with("the client side (:51234) closed its end, but the server side (:40123) never sent its FIN"),
            "{}",
            t[0].explanation
        );
    }

    #[test]
    fn data_sent_after_the_peer_closed_is_answered_by_rst() {
        let mut s = handshake();
        s.push(seg(10, S, C, "FIN-ACK", 0));
        s.push(seg(11, C, S, "ACK", 0));
        s.push(seg(12, C, S, "PSH-ACK", 5));
        s.push(seg(13, S, C, "RST", 0));
        assert_eq!(signs(&s), [Sign::DataAfterClose]);
        let t = telling(&s);
        assert!(t[0].explanation.contains("sent 5 bytes after the server side"), "{}", t[0].explanation);
    }

    #[test]
    fn a_zero_window_is_told_once_per_side_and_rst_windows_do_not_count() {
        let mut s = handshake();
        s.push(seg(10, C, S, "PSH-ACK", 60000));
        s.push(seg(11, S, C, "ACK-ZW", 0));
        s.push(seg(12, S, C, "ACK-ZW", 0));
        s.push(seg(20, C, S, "FIN-ACK", 0));
        s.push(seg(21, S, C, "FIN-ACK", 0));
        assert_eq!(signs(&s), [Sign::ZeroWindow]);
        assert!(telling(&s)[0].explanation.contains("stopped reading"));
    }

    #[test]
    fn a_plain_abort_without_data_is_a_reset() {
        let mut s = handshake();
        s.push(seg(10, C, S, "RST-ACK", 0));
        assert_eq!(signs(&s), [Sign::Reset]);
    }

    #[test]
    fn connections_are_told_apart_and_sorted_by_time() {
        // Connection 1 refused; connection 2 (another client port) never
        // gets the server's FIN.
        let mut s = vec![seg(0, C, S, "SYN", 0), seg(1, S, C, "RST-ACK", 0)];
        s.push(seg(5, C + 1, S, "SYN", 0));
        s.push(seg(6, S, C + 1, "SYN-ACK", 0));
        s.push(seg(7, C + 1, S, "ACK", 0));
        s.push(seg(9, C + 1, S, "FIN-ACK", 0));
        assert_eq!(signs(&s), [Sign::Refused, Sign::NoFin]);
    }

    #[test]
    fn without_a_handshake_sides_are_named_by_port() {
        let s = vec![
            seg(10, C, S, "PSH-ACK", 3),
            seg(11, S, C, "RST-ACK", 0),
        ];
        let t = telling(&s);
        assert_eq!(t[0].sign, Sign::ResetAfterData);
        assert!(t[0].explanation.starts_with("the side on :40123"));
    }

    #[test]
    fn an_empty_capture_tells_nothing() {
        assert!(telling(&[]).is_empty());
    }
}
