//! The fallback without capture rights: socket states from the kernel's TCP table.
//!
//! Without root or CAP_NET_RAW no packet can be seen, but the kernel's
//! connection table (/proc/net/tcp and /proc/net/tcp6 on Linux) is readable
//! by anyone. Sampling it every few milliseconds during the session shows
//! each socket moving through its states: LISTEN, ESTABLISHED, FIN-WAIT,
//! TIME-WAIT, CLOSE-WAIT, LAST-ACK…
//!
//! Trap: the table is a snapshot. On loopback a handshake takes microseconds,
//! so short states such as SYN-SENT are rarely caught between two samples,
//! and one read of the table can take longer (6–12 ms) than a whole session.
//! The timeline says so; and for the default session `netlab trace` plays
//! the client itself in slow motion (see mod.rs) so the long states show.
//!
//! [`changes`] and [`render`] are pure; [`Sampler`] (Linux only) reads procfs.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use super::diagram::format_time;

/// One socket seen in the table: its two ends and its state name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketRow {
    pub local: SocketAddr,
    pub remote: SocketAddr,
    pub state: String,
}

/// A socket's state changed (or it appeared, or `state` is `None`: it is gone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateChange {
    pub time: Duration,
    pub local: SocketAddr,
    pub remote: SocketAddr,
    pub state: Option<String>,
}

/// What changed between two samples of the table.
pub fn changes(before: &[SocketRow], now: &[SocketRow], time: Duration) -> Vec<StateChange> {
    let mut out = Vec::new();
    for row in now {
        let old = before
            .iter()
            .find(|b| b.local == row.local && b.remote == row.remote);
        if old.map(|o| &o.state) != Some(&row.state) {
            out.push(StateChange {
                time,
                local: row.local,
                remote: row.remote,
                state: Some(row.state.clone()),
            });
        }
    }
    for row in before {
        if !now
            .iter()
            .any(|n| n.local == row.local && n.remote == row.remote)
        {
            out.push(StateChange {
                time,
                local: row.local,
                remote: row.remote,
                state: None,
            });
        }
    }
    out
}

/// Who owns a socket, seen from the session's server port (the address,
/// always 127.0.0.1, is said once above the table).
pub fn role(local: SocketAddr, remote: SocketAddr, server_port: u16) -> String {
    if local.port() == server_port && remote.port() == 0 {
        "server (listening)".to_string()
    } else if local.port() == server_port {
        format!("server for client :{}", remote.port())
    } else {
        format!("client :{}", local.port())
    }
}

/// What a state means, in a few plain words (at most 30 characters, so a
/// row stays within 80 columns).
pub fn meaning(state: &str) -> &'static str {
    match state {
        "LISTEN" => "waiting for clients (listen)",
        "SYN-SENT" => "sent SYN, waits for SYN-ACK",
        "SYN-RECV" => "got SYN, answered SYN-ACK",
        "ESTABLISHED" => "handshake done: data can flow",
        "FIN-WAIT-1" => "closed first: its FIN is sent",
        "FIN-WAIT-2" => "FIN ACKed; waits for peer FIN",
        "CLOSE-WAIT" => "got FIN; waits for own close()",
        "LAST-ACK" => "closed second: waits for ACK",
        "TIME-WAIT" => "closed first: waits ~60 s",
        "CLOSING" => "both sides sent FIN at once",
        "CLOSE" => "closed",
        _ => "",
    }
}

/// The widest line netlab's own text may take: the narrowest terminal it
/// is shown on (the transcripts quote the programs, whose lines are theirs:
/// `trace::run` wraps them at the terminal's width, and only on one).
pub const WIDTH: usize = 80;

/// Width of the time column: `59000.000 ms` (a trace lasts seconds).
const TIME_COLUMN: usize = 12;

/// Width of the socket column: `server for client :65535`.
const SOCKET_COLUMN: usize = 24;

/// Width of the state column: `ESTABLISHED`.
const STATE_COLUMN: usize = 11;

/// `text` as paragraphs of at most [`WIDTH`] columns (a `\n` in it starts
/// a new paragraph).
pub fn prose(text: &str) -> String {
    let mut out = String::new();
    for paragraph in text.split('\n') {
        for line in super::diagram::wrap(paragraph, WIDTH) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// The table's heading: where the states come from and what they are not.
fn heading(out: &mut String, server_port: u16) {
    out.push_str(&prose(&format!(
        "Socket states on 127.0.0.1 port {server_port}, sampled from the kernel's TCP table \
         (/proc/net/tcp), not packets. Short states (SYN-SENT, SYN-RECV) last microseconds \
         on loopback and are often missed."
    )));
    let _ = writeln!(out);
}

/// Draws the timeline of state changes.
pub fn render(timeline: &[StateChange], server_port: u16) -> String {
    let mut out = String::new();
    heading(&mut out, server_port);
    if timeline.is_empty() {
        let _ = writeln!(out, "No socket on port {server_port} was seen.");
        return out;
    }
    rows(&mut out, timeline, server_port);
    out
}

/// Whether `timeline` can be a refused connection: nothing, or at most the
/// client's socket caught in SYN-SENT before it was gone (a sample can
/// fall in those microseconds, on a busy machine more often).
pub fn looks_refused(timeline: &[StateChange]) -> bool {
    timeline
        .iter()
        .all(|c| c.state.as_deref().is_none_or(|s| s == "SYN-SENT"))
}

/// The table's rows under their header.
fn rows(out: &mut String, timeline: &[StateChange], server_port: u16) {
    let _ = writeln!(
        out,
        "{:>TIME_COLUMN$} {:<SOCKET_COLUMN$} {:<STATE_COLUMN$} meaning",
        "time", "socket", "state"
    );
    for c in timeline {
        let who = role(c.local, c.remote, server_port);
        let (state, what) = match &c.state {
            Some(s) => (s.as_str(), meaning(s)),
            None => ("(gone)", "the socket no longer exists"),
        };
        let _ = writeln!(
            out,
            "{:>TIME_COLUMN$} {who:<SOCKET_COLUMN$} {state:<STATE_COLUMN$} {what}",
            format_time(c.time)
        );
    }
}

/// What a refused connection looks like without packets: nothing in the
/// table (or the client's socket caught in SYN-SENT, see
/// [`looks_refused`]), so say what happened, and show how the client ended
/// (`status`) and what it said about it.
pub fn render_refused(
    port: u16,
    timeline: &[StateChange],
    status: &str,
    client_said: &[String],
) -> String {
    let mut out = String::new();
    heading(&mut out, port);
    let seen = if timeline.is_empty() {
        format!("No socket on port {port} appeared in the table, and none could: nothing listened there.")
    } else {
        rows(&mut out, timeline, port);
        let _ = writeln!(out);
        format!("Only the client's socket appeared, its SYN on the way, then gone: nothing listened on port {port}.")
    };
    out.push_str(&prose(&format!(
        "{seen} The client's connect() sent a SYN; the kernel, finding no listening socket on \
         the port, answered at once with RST, and connect() failed with ECONNREFUSED \
         (\"connection refused\"). It all took microseconds; nothing waited and nothing timed \
         out. Capture rights show the SYN and the RST themselves."
    )));
    let _ = writeln!(out);
    if client_said.is_empty() {
        let _ = writeln!(out, "The client printed nothing about it ({status}).");
    } else {
        let _ = writeln!(out, "What the client made of it ({status}):");
        for line in client_said {
            let _ = writeln!(out, "    {line}");
        }
    }
    out
}

/// Samples the kernel's table in a thread until stopped (Linux only).
#[cfg(target_os = "linux")]
pub struct Sampler {
    started: std::time::Instant,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    reader: std::thread::JoinHandle<Vec<StateChange>>,
}

#[cfg(target_os = "linux")]
impl Sampler {
    /// How often the table is read.
    const EVERY: Duration = Duration::from_millis(2);
    /// A sampler never runs longer than this.
    const LONGEST: Duration = Duration::from_secs(120);

    /// Starts sampling the sockets on `port`; times count from now. Returns
    /// once the first sample is taken (bounded), so the listening socket is
    /// in the timeline before the client starts.
    pub fn start(port: u16) -> Sampler {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::Arc;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let (first_tx, first_rx) = std::sync::mpsc::channel::<()>();
        let started = std::time::Instant::now();
        let reader = std::thread::spawn(move || {
            let mut before: Vec<SocketRow> = Vec::new();
            let mut timeline = Vec::new();
            let mut v6: Vec<SocketRow> = Vec::new();
            let mut round = 0u32;
            loop {
                // One last sample after the stop request, then leave.
                let last = flag.load(Ordering::SeqCst) || started.elapsed() > Self::LONGEST;
                // Reading the table can take milliseconds on a busy or
                // virtual machine. The session runs on 127.0.0.1, so the
                // IPv4 table is read every round and the IPv6 one (for a
                // server that binds `::` anyway) only every eighth.
                if round % 8 == 0 || last || !v6.is_empty() {
                    v6 = sample(procfs::net::tcp6(), port);
                }
                round += 1;
                let mut now = sample(procfs::net::tcp(), port);
                now.extend(v6.iter().cloned());
                timeline.extend(changes(&before, &now, started.elapsed()));
                before = now;
                let _ = first_tx.send(());
                if last {
                    return timeline;
                }
                std::thread::sleep(Self::EVERY);
            }
        });
        let _ = first_rx.recv_timeout(Duration::from_secs(2));
        Sampler {
            started,
            stop,
            reader,
        }
    }

    /// The instant the timeline's times count from.
    pub fn started(&self) -> std::time::Instant {
        self.started
    }

    /// Stops (after one more sample) and returns the timeline.
    pub fn stop(self) -> Vec<StateChange> {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        self.reader.join().unwrap_or_default()
    }
}

/// The sockets on `port` in one read of a table; an unreadable table reads
/// as empty.
#[cfg(target_os = "linux")]
fn sample(table: procfs::ProcResult<Vec<procfs::net::TcpNetEntry>>, port: u16) -> Vec<SocketRow> {
    use procfs::net::TcpState::*;
    let mut rows = Vec::new();
    {
        for e in table.into_iter().flatten() {
            if e.local_address.port() != port && e.remote_address.port() != port {
                continue;
            }
            let state = match e.state {
                Established => "ESTABLISHED",
                SynSent => "SYN-SENT",
                SynRecv | NewSynRecv => "SYN-RECV",
                FinWait1 => "FIN-WAIT-1",
                FinWait2 => "FIN-WAIT-2",
                TimeWait => "TIME-WAIT",
                Close => "CLOSE",
                CloseWait => "CLOSE-WAIT",
                LastAck => "LAST-ACK",
                Listen => "LISTEN",
                Closing => "CLOSING",
            };
            rows.push(SocketRow {
                local: e.local_address,
                remote: e.remote_address,
                state: state.to_string(),
            });
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(local: &str, remote: &str, state: &str) -> SocketRow {
        SocketRow {
            local: local.parse().unwrap(),
            remote: remote.parse().unwrap(),
            state: state.to_string(),
        }
    }

    #[test]
    fn only_changes_are_recorded_including_sockets_that_go_away() {
        let listen = row("127.0.0.1:5000", "0.0.0.0:0", "LISTEN");
        let client = row("127.0.0.1:6000", "127.0.0.1:5000", "ESTABLISHED");
        let t = Duration::from_millis(3);
        let listening = vec![listen];
        assert_eq!(changes(&listening, &listening, t), vec![]);
        let c = changes(&listening, std::slice::from_ref(&client), t);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].state.as_deref(), Some("ESTABLISHED"));
        assert_eq!(c[1].state, None);
        let tw = row("127.0.0.1:6000", "127.0.0.1:5000", "TIME-WAIT");
        assert_eq!(
            changes(&[client], &[tw], t)[0].state.as_deref(),
            Some("TIME-WAIT")
        );
    }

    #[test]
    fn the_timeline_names_roles_states_and_their_meaning() {
        let timeline = vec![
            StateChange {
                time: Duration::ZERO,
                local: "127.0.0.1:5000".parse().unwrap(),
                remote: "0.0.0.0:0".parse().unwrap(),
                state: Some("LISTEN".into()),
            },
            StateChange {
                time: Duration::from_micros(1500),
                local: "127.0.0.1:6000".parse().unwrap(),
                remote: "127.0.0.1:5000".parse().unwrap(),
                state: Some("TIME-WAIT".into()),
            },
        ];
        let text = render(&timeline, 5000);
        assert!(text.contains("kernel's TCP table"), "{text}");
        assert!(text.contains("server (listening)"), "{text}");
        assert!(text.contains("1.500 ms client :6000"), "{text}");
        assert!(text.contains("TIME-WAIT") && text.contains("closed first"));
        assert!(render(&[], 5000).contains("No socket on port 5000"));
    }

    #[test]
    fn every_line_fits_in_80_columns_and_every_meaning_is_a_whole_sentence() {
        let states = [
            "LISTEN",
            "SYN-SENT",
            "SYN-RECV",
            "ESTABLISHED",
            "FIN-WAIT-1",
            "FIN-WAIT-2",
            "CLOSE-WAIT",
            "LAST-ACK",
            "TIME-WAIT",
            "CLOSING",
        ];
        let mut timeline = Vec::new();
        for (i, state) in states.iter().enumerate() {
            let time = Duration::from_secs(59) + Duration::from_micros(i as u64);
            for (local, remote) in [
                ("127.0.0.1:65535", "0.0.0.0:0"),
                ("127.0.0.1:65535", "127.0.0.1:65534"),
                ("127.0.0.1:65534", "127.0.0.1:65535"),
            ] {
                timeline.push(StateChange {
                    time,
                    local: local.parse().unwrap(),
                    remote: remote.parse().unwrap(),
                    state: Some(state.to_string()),
                });
            }
            assert!(!meaning(state).is_empty(), "{state}");
            // No meaning trails off into "...not yet".
            assert!(!meaning(state).ends_with("not yet"), "{state}");
        }
        timeline.push(StateChange {
            time: Duration::from_secs(59),
            local: "127.0.0.1:65534".parse().unwrap(),
            remote: "127.0.0.1:65535".parse().unwrap(),
            state: None,
        });
        let said = ["[CLIENT] Error: could not connect".to_string()];
        for text in [
            render(&timeline, 65535),
            render(&[], 65535),
            render_refused(65535, &[], "exit 1", &said),
            render_refused(65535, &timeline[..1], "exit 1", &said),
        ] {
            for line in text.lines() {
                let width = line.chars().count();
                assert!(width <= WIDTH, "{width} columns: {line}");
            }
        }
    }

    #[test]
    fn a_refusal_says_what_happened_and_shows_the_client_error() {
        let said = vec![
            "[CLIENT] Error: could not connect to 127.0.0.1:4000: connection refused".to_string(),
        ];
        let text = render_refused(4000, &[], "exit 1", &said);
        assert!(text.contains("ECONNREFUSED"), "{text}");
        assert!(text.contains("answered at once with RST"), "{text}");
        assert!(text.contains(&format!("    {}", said[0])), "{text}");
        assert!(
            render_refused(4000, &[], "exit 0", &[]).contains("printed nothing about it (exit 0)")
        );
        // A sample that fell in the SYN's microseconds: shown, same story.
        let caught = [
            StateChange {
                time: Duration::from_millis(122),
                local: "127.0.0.1:55200".parse().unwrap(),
                remote: "127.0.0.1:4000".parse().unwrap(),
                state: Some("SYN-SENT".to_string()),
            },
            StateChange {
                time: Duration::from_millis(126),
                local: "127.0.0.1:55200".parse().unwrap(),
                remote: "127.0.0.1:4000".parse().unwrap(),
                state: None,
            },
        ];
        assert!(looks_refused(&caught) && looks_refused(&[]));
        let text = render_refused(4000, &caught, "exit 1", &said);
        assert!(
            text.contains("SYN-SENT") && text.contains("ECONNREFUSED"),
            "{text}"
        );
        assert!(
            text.contains("What the client made of it (exit 1):"),
            "{text}"
        );
        let mut connected = caught.to_vec();
        connected[1].state = Some("ESTABLISHED".to_string());
        assert!(!looks_refused(&connected));
        assert!(
            text.contains("What the client made of it (exit 1):"),
            "{text}"
        );
    }
}
