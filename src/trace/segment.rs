//! From captured bytes to TCP segments a person can read.
//!
//! Pure functions only: [`parse_frame`] turns one Ethernet frame (as captured
//! on the loopback interface, or read back from a .pcap) into a [`Segment`];
//! [`relative`] makes times and sequence numbers start at zero, the way
//! Wireshark shows them. Nothing here touches a socket, so all of it is
//! unit-tested on recorded bytes.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use etherparse::{NetSlice, SlicedPacket, TransportSlice};

/// How many payload characters a row shows before it is cut with `…`.
pub const PREVIEW_CHARS: usize = 20;

/// The TCP flags a Week 1 session uses (URG, ECE and CWR are left out).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags {
    pub syn: bool,
    pub ack: bool,
    pub psh: bool,
    pub fin: bool,
    pub rst: bool,
}

impl Flags {
    /// `SYN`, `SYN-ACK`, `ACK`, `PSH-ACK`, `FIN-ACK`, `RST`, `RST-ACK`…
    /// in the order Wireshark lists them (ACK last).
    pub fn name(&self) -> String {
        let mut parts = Vec::new();
        for (set, name) in [
            (self.syn, "SYN"),
            (self.fin, "FIN"),
            (self.rst, "RST"),
            (self.psh, "PSH"),
            (self.ack, "ACK"),
        ] {
            if set {
                parts.push(name);
            }
        }
        if parts.is_empty() {
            "(none)".to_string()
        } else {
            parts.join("-")
        }
    }
}

/// One TCP segment as the diagram shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Capture time: since the Unix epoch from [`parse_frame`], since the
    /// first segment after [`relative`].
    pub time: Duration,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub flags: Flags,
    /// Sequence number: absolute from [`parse_frame`], relative after [`relative`].
    pub seq: u32,
    /// Acknowledgement number (meaningful only when `flags.ack`).
    pub ack: u32,
    /// Payload bytes carried (the handshake and a pure ACK carry none).
    pub len: usize,
    /// The receive window the sender advertises (unscaled): 0 means "my
    /// buffer is full, stop sending".
    pub window: u16,
    /// The start of the payload with anything unprintable shown as `.`.
    pub preview: String,
}

/// Parses one Ethernet frame. `None` if it is not TCP over IPv4/IPv6, or is
/// cut short — a capture sees all sorts of traffic, and none of it may crash
/// the trace.
pub fn parse_frame(bytes: &[u8], time: Duration) -> Option<Segment> {
    let packet = SlicedPacket::from_ethernet(bytes).ok()?;
    let (src_ip, dst_ip): (IpAddr, IpAddr) = match packet.net? {
        NetSlice::Ipv4(ip) => (
            ip.header().source_addr().into(),
            ip.header().destination_addr().into(),
        ),
        NetSlice::Ipv6(ip) => (
            ip.header().source_addr().into(),
            ip.header().destination_addr().into(),
        ),
    };
    let TransportSlice::Tcp(tcp) = packet.transport? else {
        return None;
    };
    let payload = tcp.payload();
    Some(Segment {
        time,
        src: SocketAddr::new(src_ip, tcp.source_port()),
        dst: SocketAddr::new(dst_ip, tcp.destination_port()),
        flags: Flags {
            syn: tcp.syn(),
            ack: tcp.ack(),
            psh: tcp.psh(),
            fin: tcp.fin(),
            rst: tcp.rst(),
        },
        seq: tcp.sequence_number(),
        ack: tcp.acknowledgment_number(),
        len: payload.len(),
        window: tcp.window_size(),
        preview: preview(payload),
    })
}

/// The first [`PREVIEW_CHARS`] bytes of a payload as text; newlines become
/// `⏎`, other control bytes and non-ASCII bytes `.`.
pub fn preview(payload: &[u8]) -> String {
    let mut text: String = payload
        .iter()
        .take(PREVIEW_CHARS)
        .map(|&b| match b {
            b'\n' => '⏎',
            b' '..=b'~' => b as char,
            _ => '.',
        })
        .collect();
    if payload.len() > PREVIEW_CHARS {
        text.push('…');
    }
    text
}

/// Does this segment belong to a connection on `port` (either end)?
pub fn on_port(segment: &Segment, port: u16) -> bool {
    segment.src.port() == port || segment.dst.port() == port
}

/// Makes times count from the first segment and sequence/acknowledgement
/// numbers count from each side's initial sequence number (ISN).
///
/// Why: each side picks a random ISN (so old packets of an earlier
/// connection cannot be mistaken for this one's). Subtracting it shows what
/// the numbers mean: the SYN is 0, the first data byte is 1, and an ACK of
/// 13 means "I have bytes 1 to 12, send me 13 next".
pub fn relative(segments: &[Segment]) -> Vec<Segment> {
    let Some(first) = segments.first() else {
        return Vec::new();
    };
    let start = segments.iter().map(|s| s.time).min().unwrap_or(first.time);
    // One ISN per sending endpoint: a SYN's sequence number if we saw one,
    // otherwise the first sequence number seen from that endpoint.
    let mut isn: Vec<(SocketAddr, SocketAddr, u32)> = Vec::new();
    for s in segments {
        if !isn
            .iter()
            .any(|(src, dst, _)| *src == s.src && *dst == s.dst)
        {
            let from_syn = segments
                .iter()
                .find(|t| t.src == s.src && t.dst == s.dst && t.flags.syn)
                .map(|t| t.seq);
            isn.push((s.src, s.dst, from_syn.unwrap_or(s.seq)));
        }
    }
    let isn_of = |src: SocketAddr, dst: SocketAddr| {
        isn.iter()
            .find(|(s, d, _)| *s == src && *d == dst)
            .map(|(_, _, n)| *n)
    };
    segments
        .iter()
        .map(|s| {
            let mut r = s.clone();
            r.time = s.time.saturating_sub(start);
            r.seq = s.seq.wrapping_sub(isn_of(s.src, s.dst).unwrap_or(s.seq));
            r.ack = if s.flags.ack {
                match isn_of(s.dst, s.src) {
                    Some(peer) => s.ack.wrapping_sub(peer),
                    None => s.ack,
                }
            } else {
                0
            };
            r
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use etherparse::PacketBuilder;

    /// Builds a loopback frame as AF_PACKET hands it over: a zeroed Ethernet
    /// header, IPv4, TCP.
    pub(crate) struct Seg<'a> {
        pub from: u16,
        pub to: u16,
        pub seq: u32,
        pub ack: Option<u32>,
        pub flags: &'a str,
        pub payload: &'a [u8],
    }

    pub(crate) fn frame(s: Seg) -> Vec<u8> {
        let mut b = PacketBuilder::ethernet2([0; 6], [0; 6])
            .ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64)
            .tcp(s.from, s.to, s.seq, 65483);
        for flag in s.flags.split('-') {
            b = match flag {
                "SYN" => b.syn(),
                "FIN" => b.fin(),
                "RST" => b.rst(),
                "PSH" => b.psh(),
                "ACK" | "" => b,
                other => panic!("unknown flag {other}"),
            };
        }
        if let Some(ack) = s.ack {
            b = b.ack(ack);
        }
        let mut out = Vec::with_capacity(b.size(s.payload.len()));
        b.write(&mut out, s.payload).unwrap();
        out
    }

    pub(crate) const CLIENT: u16 = 51234;
    pub(crate) const SERVER: u16 = 40123;
    const CISN: u32 = 0xFFFF_FFF0; // wraps during the session, on purpose
    const SISN: u32 = 1_000_000;

    /// A whole Week 1 session: handshake, "Hello Server", its ACK, the
    /// reply, then the server closes first. Times in microseconds.
    pub(crate) fn session_frames() -> Vec<(u64, Vec<u8>)> {
        let c = |seq: u32, ack: Option<u32>, flags, payload| Seg {
            from: CLIENT,
            to: SERVER,
            seq,
            ack,
            flags,
            payload,
        };
        let s = |seq: u32, ack: Option<u32>, flags, payload| Seg {
            from: SERVER,
            to: CLIENT,
            seq,
            ack,
            flags,
            payload,
        };
        let c1 = CISN.wrapping_add(1);
        let c13 = CISN.wrapping_add(13);
        vec![
            (1_000, frame(c(CISN, None, "SYN", b""))),
            (1_020, frame(s(SISN, Some(c1), "SYN", b""))),
            (1_035, frame(c(c1, Some(SISN + 1), "ACK", b""))),
            (1_400, frame(c(c1, Some(SISN + 1), "PSH", b"Hello Server"))),
            (1_410, frame(s(SISN + 1, Some(c13), "ACK", b""))),
            (
                1_600,
                frame(s(SISN + 1, Some(c13), "PSH", b"ACK: Hello Server")),
            ),
            (1_610, frame(c(c13, Some(SISN + 18), "ACK", b""))),
            (1_700, frame(s(SISN + 18, Some(c13), "FIN", b""))),
            (1_900, frame(c(c13, Some(SISN + 19), "FIN", b""))),
            (
                1_910,
                frame(s(SISN + 19, Some(c13.wrapping_add(1)), "ACK", b"")),
            ),
        ]
    }

    pub(crate) fn session_segments() -> Vec<Segment> {
        session_frames()
            .iter()
            .map(|(us, bytes)| parse_frame(bytes, Duration::from_micros(*us)).unwrap())
            .collect()
    }

    #[test]
    fn a_syn_frame_parses_into_addresses_flags_and_numbers() {
        let bytes = frame(Seg {
            from: CLIENT,
            to: SERVER,
            seq: 7,
            ack: None,
            flags: "SYN",
            payload: b"",
        });
        let s = parse_frame(&bytes, Duration::from_secs(3)).unwrap();
        assert_eq!(s.src, "127.0.0.1:51234".parse().unwrap());
        assert_eq!(s.dst, "127.0.0.1:40123".parse().unwrap());
        assert_eq!(s.flags.name(), "SYN");
        assert_eq!((s.seq, s.len, s.time), (7, 0, Duration::from_secs(3)));
    }

    #[test]
    fn flag_names_follow_wireshark_order() {
        let names: Vec<String> = session_segments().iter().map(|s| s.flags.name()).collect();
        assert_eq!(
            names,
            [
                "SYN", "SYN-ACK", "ACK", "PSH-ACK", "ACK", "PSH-ACK", "ACK", "FIN-ACK", "FIN-ACK",
                "ACK"
            ]
        );
        assert_eq!(Flags::default().name(), "(none)");
    }

    #[test]
    fn numbers_become_relative_to_each_sides_isn_even_across_wraparound() {
        let rel = relative(&session_segments());
        let rows: Vec<(u32, u32, usize)> = rel.iter().map(|s| (s.seq, s.ack, s.len)).collect();
        assert_eq!(
            rows,
            [
                (0, 0, 0),
                (0, 1, 0),
                (1, 1, 0),
                (1, 1, 12),
                (1, 13, 0),
                (1, 13, 17),
                (13, 18, 0),
                (18, 13, 0),
                (13, 19, 0),
                (19, 14, 0),
            ]
        );
        assert_eq!(rel[0].time, Duration::ZERO);
        assert_eq!(rel[3].time, Duration::from_micros(400));
        assert_eq!(rel[3].preview, "Hello Server");
    }

    #[test]
    fn previews_are_short_and_printable() {
        assert_eq!(preview(b"hi\n"), "hi⏎");
        assert_eq!(preview(&[0xff, b'a', 0]), ".a.");
        assert_eq!(preview(&[b'x'; 30]), format!("{}…", "x".repeat(20)));
    }

    #[test]
    fn junk_and_non_tcp_frames_are_ignored_not_fatal() {
        assert_eq!(parse_frame(&[], Duration::ZERO), None);
        assert_eq!(parse_frame(&[0u8; 10], Duration::ZERO), None);
        let mut udp = Vec::new();
        PacketBuilder::ethernet2([0; 6], [0; 6])
            .ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64)
            .udp(1, 2)
            .write(&mut udp, b"x")
            .unwrap();
        assert_eq!(parse_frame(&udp, Duration::ZERO), None);
        let syn = frame(Seg {
            from: 1,
            to: 2,
            seq: 0,
            ack: None,
            flags: "SYN",
            payload: b"",
        });
        assert_eq!(parse_frame(&syn[..syn.len() - 4], Duration::ZERO), None);
    }

    #[test]
    fn ipv6_loopback_parses_too() {
        const LOOPBACK6: [u8; 16] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        let mut bytes = Vec::new();
        PacketBuilder::ethernet2([0; 6], [0; 6])
            .ipv6(LOOPBACK6, LOOPBACK6, 64)
            .tcp(5, 6, 0, 100)
            .syn()
            .write(&mut bytes, b"")
            .unwrap();
        let s = parse_frame(&bytes, Duration::ZERO).unwrap();
        assert_eq!(s.src, "[::1]:5".parse().unwrap());
        assert!(s.flags.syn);
    }
}
