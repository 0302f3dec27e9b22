//! `netlab demo`: the Week 1 classroom demo, played to a room.
//!
//! It runs one real TCP session between the reference `server` (on a free
//! port: `LAB_PORT=0`) and the reference `client`, both through
//! [`crate::process::Child`], then shows the session as one timeline: the
//! two programs' lines merged in the order they arrived, each tagged with
//! the step of the socket ritual it shows (bind, listen, accept, connect,
//! send, receive, close). On a wide terminal the server and the client get
//! a column each, as if they ran in two terminals side by side; otherwise
//! one column. Nothing is ever wider than the terminal.
//!
//! The session itself lasts milliseconds, so it is played first and shown
//! afterwards; `--pace` then waits for Enter between steps so a presenter
//! can talk about each one.
//!
//! The pure parts ([`tag`], [`merge`], [`render`]) are unit-tested here;
//! `tests/demo.rs` runs the subcommand as a user does.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anstyle::{AnsiColor, Style};

use crate::process::{self, Child, Line, Stream};
use crate::wrap::{fill, wrap};

/// `netlab demo` arguments.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Wait for Enter between steps (for a presenter). Ignored when the
    /// standard input is not a terminal.
    #[arg(long)]
    pub pace: bool,
    /// Where the reference `server` and `client` binaries are (default:
    /// next to netlab itself).
    #[arg(long, value_name = "DIR")]
    pub bin_dir: Option<PathBuf>,
    /// Lay out for this many columns (default: COLUMNS, then the terminal's
    /// width, then 80).
    #[arg(long, value_name = "N")]
    pub width: Option<usize>,
}

/// A step of the socket ritual, as the handout names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Bind,
    Listen,
    Accept,
    Connect,
    Send,
    Receive,
    Close,
}

impl Step {
    pub fn name(self) -> &'static str {
        match self {
            Step::Bind => "bind",
            Step::Listen => "listen",
            Step::Accept => "accept",
            Step::Connect => "connect",
            Step::Send => "send",
            Step::Receive => "receive",
            Step::Close => "close",
        }
    }
}

/// Which program printed a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Server,
    Client,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Server => "server",
            Side::Client => "client",
        }
    }
}

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// When it arrived, from the start of the server.
    pub at: Duration,
    pub side: Side,
    pub text: String,
    /// The ritual steps it shows (empty for other lines).
    pub steps: &'static [Step],
}

impl Event {
    /// The tag shown in the step column: `bind+listen`, `send`, or empty.
    pub fn label(&self) -> String {
        self.steps
            .iter()
            .map(|s| s.name())
            .collect::<Vec<_>>()
            .join("+")
    }

    /// What was sent or received (`Hello Server`), for matching the two
    /// ends of one message.
    fn payload(&self) -> Option<&str> {
        let body = strip_prefix(&self.text);
        ["Sending:", "Sent:", "Received:"]
            .iter()
            .find_map(|word| body.strip_prefix(word))
            .map(str::trim)
    }
}

/// The line without its `[SERVER] ` / `[CLIENT] ` prefix.
fn strip_prefix(text: &str) -> &str {
    let text = text.trim_start();
    match text
        .strip_prefix('[')
        .and_then(|rest| rest.split_once("] "))
    {
        Some((_, body)) => body,
        None => text,
    }
}

/// The ritual steps a program's line shows, from what it says.
pub fn tag(line: &str) -> &'static [Step] {
    let body = strip_prefix(line).to_ascii_lowercase();
    // "Listening on ADDR:PORT" is printed once the socket is bound to its
    // address *and* listening: it shows both steps.
    if body.starts_with("listening on") {
        &[Step::Bind, Step::Listen]
    } else if body.starts_with("connection from") || body.starts_with("accepted") {
        &[Step::Accept]
    } else if body.starts_with("connected to") {
        &[Step::Connect]
    } else if body.starts_with("sending:") || body.starts_with("sent:") {
        &[Step::Send]
    } else if body.starts_with("received:") {
        &[Step::Receive]
    } else if body.starts_with("closed") || body.starts_with("closing") {
        &[Step::Close]
    } else {
        &[]
    }
}

/// Merges the two programs' lines into one timeline ordered by arrival.
/// `client_offset` is how long after the server the client was started
/// (each program's line times count from its own start).
///
/// Trap: a line's time is when netlab *read* it from the pipe, and each
/// pipe has its own reader thread; on a busy machine a thread can be late
/// by many milliseconds and then read several lines at once. So arrival
/// order is only trusted where causality does not say otherwise: each
/// program's own lines keep their order, a message is received after it
/// was sent, the client connects after the server listens, and the server
/// accepts after the client's connect completed (the handshake's last ACK
/// comes from the client).
pub fn merge(server: &[Line], client: &[Line], client_offset: Duration) -> Vec<Event> {
    let events = |side, lines: &[Line], offset| {
        let mut events: Vec<Event> = lines
            .iter()
            .map(|line| Event {
                at: line.at + offset,
                side,
                text: line.text.clone(),
                steps: tag(&line.text),
            })
            .collect();
        events.sort_by_key(|e| e.at); // stable: a program's order stays
        events
    };
    let server = events(Side::Server, server, Duration::ZERO);
    let client = events(Side::Client, client, client_offset);
    let (mut s, mut c) = (0, 0);
    let mut timeline = Vec::with_capacity(server.len() + client.len());
    while s < server.len() || c < client.len() {
        let take_server = match (server.get(s), client.get(c)) {
            (Some(_), None) => true,
            (None, _) => false,
            (Some(a), Some(b)) => {
                let a_waits = client[c..].iter().any(|o| causes(o, a));
                let b_waits = server[s..].iter().any(|o| causes(o, b));
                match (a_waits, b_waits) {
                    (false, true) => true,
                    (true, false) => false,
                    // Neither (or, on nonsense input, both): arrival order.
                    _ => a.at <= b.at,
                }
            }
        };
        if take_server {
            timeline.push(server[s].clone());
            s += 1;
        } else {
            timeline.push(client[c].clone());
            c += 1;
        }
    }
    timeline
}

/// Must `cause` (a line of the other program) come before `effect`?
fn causes(cause: &Event, effect: &Event) -> bool {
    if cause.side == effect.side {
        return false;
    }
    let has = |e: &Event, step| e.steps.contains(&step);
    (has(effect, Step::Receive)
        && has(cause, Step::Send)
        && effect.payload().is_some()
        && effect.payload() == cause.payload())
        || (has(effect, Step::Connect) && has(cause, Step::Listen))
        || (has(effect, Step::Accept) && has(cause, Step::Connect))
}

/// Below this many columns per program, the timeline has one column.
const MIN_SIDE_COLUMN: usize = 40;
/// Nor wider than this: on a very wide screen the two programs' lines stay
/// close enough to read across (at 200 columns the client's column began
/// 56 columns after the server's text ended). The programs' lines are
/// shorter; a longer one wraps.
const MAX_SIDE_COLUMN: usize = 60;
/// Width of the number column (` 12`) and of the step column. (No time
/// column: times are when the pipes were read, noisy at this scale.)
const NUM_WIDTH: usize = 3;
const STEP_WIDTH: usize = 11;
/// Two spaces after the number and after the step.
const LEFT: usize = NUM_WIDTH + 2 + STEP_WIDTH + 2;
/// The narrowest layout netlab attempts; a smaller terminal gets this.
pub const MIN_WIDTH: usize = 40;

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();
const STEP: Style = AnsiColor::Cyan.on_default().bold();
const GREEN: Style = AnsiColor::Green.on_default().bold();
const RED: Style = AnsiColor::Red.on_default().bold();

fn paint(style: Style, text: &str, color: bool) -> String {
    if color && !text.is_empty() {
        format!("{}{text}{}", style.render(), style.render_reset())
    } else {
        text.to_string()
    }
}

/// Does a timeline of `width` columns get a column per program?
pub fn side_by_side(width: usize) -> bool {
    width >= LEFT + 3 + 2 * MIN_SIDE_COLUMN
}

/// The timeline laid out for `width` columns: the header rows, and per
/// event its rows (more than one when its line had to be wrapped). No row
/// is wider than `width`.
pub fn render(events: &[Event], width: usize, color: bool) -> (Vec<String>, Vec<Vec<String>>) {
    let width = width.max(MIN_WIDTH);
    let num_head = format!("{:>NUM_WIDTH$}", "#");
    let wide = side_by_side(width);
    let column = if wide {
        ((width - LEFT - 3) / 2).min(MAX_SIDE_COLUMN)
    } else {
        width - LEFT
    };
    let header = if wide {
        vec![
            format!(
                "{num_head}  {:<STEP_WIDTH$}  {}",
                "step",
                two_columns("server (terminal 1)", "client (terminal 2)", column)
            ),
            format!("{}─┼─{}", "─".repeat(LEFT + column), "─".repeat(column)),
        ]
    } else {
        vec![
            format!(
                "{num_head}  {:<STEP_WIDTH$}  {}",
                "step",
                console::truncate_str("what the server and the client printed", column, "…")
            ),
            "─".repeat(width.min(LEFT + column)),
        ]
    };
    let header = header
        .into_iter()
        .map(|h| paint(BOLD, h.trim_end(), color))
        .collect();
    let rows = events
        .iter()
        .enumerate()
        .map(|(number, e)| {
            let pieces = wrap(&e.text, column);
            pieces
                .iter()
                .enumerate()
                .map(|(n, piece)| {
                    let (num, label) = if n == 0 {
                        ((number + 1).to_string(), e.label())
                    } else {
                        (String::new(), String::new())
                    };
                    let body = match (wide, e.side) {
                        (true, Side::Server) => two_columns(piece, "", column),
                        (true, Side::Client) => two_columns("", piece, column),
                        (false, _) => piece.clone(),
                    };
                    let row = format!(
                        "{}  {}  {}",
                        paint(DIM, &format!("{num:>NUM_WIDTH$}"), color),
                        paint(STEP, &format!("{label:<STEP_WIDTH$}"), color),
                        body
                    );
                    row.trim_end().to_string()
                })
                .collect()
        })
        .collect();
    (header, rows)
}

fn two_columns(left: &str, right: &str, column: usize) -> String {
    let pad = column.saturating_sub(console::measure_text_width(left));
    format!("{left}{} │ {right}", " ".repeat(pad))
}

/// The width to lay out for: `--width`, then `COLUMNS`, then the
/// terminal's, then 80; never less than [`MIN_WIDTH`].
pub fn terminal_width(flag: Option<usize>) -> usize {
    flag.or_else(|| {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse().ok())
            .filter(|&c| c > 0)
    })
    .or_else(|| {
        console::Term::stdout()
            .size_checked()
            .map(|(_, cols)| usize::from(cols))
    })
    .unwrap_or(80)
    .max(MIN_WIDTH)
}

/// Why the demo could not be shown.
#[derive(Debug)]
pub enum DemoError {
    /// A reference binary is missing (exit status 2).
    Missing(PathBuf),
    /// The session did not go as the contract says (exit status 1).
    Failed(String),
}

/// Runs `netlab demo`; returns the exit status (0 the session worked,
/// 1 it did not, 2 the demo could not start).
pub fn main(args: &DemoArgs) -> u8 {
    let width = terminal_width(args.width);
    let color = anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never;
    let mut out = anstream::stdout();
    match run(args, width, color, &mut out) {
        Ok(()) => 0,
        Err(DemoError::Missing(path)) => {
            let text = format!(
                "netlab demo: cannot find the reference program {}; build it first with `cargo build {}--bins`, or give --bin-dir",
                path.display(),
                // The release folder's netlab looks beside itself.
                if path.components().any(|c| c.as_os_str() == "release") { "--release " } else { "" }
            );
            eprintln!("{}", fill(&text, width));
            2
        }
        Err(DemoError::Failed(why)) => {
            let text = format!("Demo failed: {why}");
            let _ = writeln!(out, "{}", paint(RED, &fill(&text, width), color));
            1
        }
    }
}

fn binary(dir: &Path, name: &str) -> Result<PathBuf, DemoError> {
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if !path.is_file() {
        return Err(DemoError::Missing(path));
    }
    // A lab's starter of the same name may have taken the reference's
    // place in target/ (see crate::reference): rebuilt, or said.
    crate::reference::program_in(dir, name).map_err(|_| DemoError::Missing(path))
}

/// Every wait of the demo is bounded by this.
const WAIT: Duration = Duration::from_secs(10);

fn run(args: &DemoArgs, width: usize, color: bool, out: &mut impl Write) -> Result<(), DemoError> {
    let dir = match &args.bin_dir {
        Some(dir) => dir.clone(),
        None => std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(Path::to_path_buf))
            .unwrap_or_default(),
    };
    let server_bin = binary(&dir, "server")?;
    let client_bin = binary(&dir, "client")?;
    let say = |out: &mut dyn Write, text: &str| {
        // A sentence too long for the terminal goes on two columns in.
        let _ = writeln!(out, "{}", fill(text, width));
    };
    let intro = format!(
        "{} a TCP server and a client talk once on this machine.",
        paint(BOLD, "Week 1 demo:", color)
    );
    say(out, &intro);

    // Terminal 1: the server, on any free port (the OS picks it).
    let mut cmd = Command::new(&server_bin);
    cmd.env("LAB_PORT", "0");
    let mut server = Child::spawn(cmd, 3 * WAIT)
        .map_err(|e| DemoError::Failed(format!("cannot start {}: {e}", server_bin.display())))?;
    let server_origin = Instant::now() - server.elapsed();
    let listening = server.wait_line(Stream::Stdout, WAIT, |l| l.contains("Listening on"));
    let Some(port) = listening.as_deref().and_then(port_of) else {
        return Err(DemoError::Failed(format!(
            "the server did not say it was listening within {} s; it printed:\n{}",
            WAIT.as_secs(),
            transcript(&server)
        )));
    };
    say(
        out,
        &format!("server: LAB_PORT=0 server   (the OS picked port {port})"),
    );
    say(out, &format!("client: LAB_PORT={port} client"));
    let _ = writeln!(out);

    // Terminal 2: the client, pointed at that port.
    let mut cmd = Command::new(&client_bin);
    cmd.env("LAB_PORT", port.to_string());
    let mut client = Child::spawn(cmd, 2 * WAIT)
        .map_err(|e| DemoError::Failed(format!("cannot start {}: {e}", client_bin.display())))?;
    let client_origin = Instant::now() - client.elapsed();
    let client_status = client.wait_exit(WAIT);
    // The one-shot server exits after its session.
    let server_status = server.wait_exit(WAIT);

    let lines = |child: &Child| {
        let mut all = child.timed_lines(Stream::Stdout);
        all.extend(child.timed_lines(Stream::Stderr));
        all.sort_by_key(|l| l.at);
        all
    };
    let events = merge(
        &lines(&server),
        &lines(&client),
        client_origin.saturating_duration_since(server_origin),
    );
    play(&events, width, color, args.pace, out);
    let _ = writeln!(out);

    let describe = |status: Option<std::process::ExitStatus>| {
        status.map_or_else(
            || format!("still running after {} s", WAIT.as_secs()),
            process::describe_status,
        )
    };
    let worked = |s: Option<std::process::ExitStatus>| s.is_some_and(|s| s.success());
    if !worked(server_status) || !worked(client_status) {
        return Err(DemoError::Failed(format!(
            "the server ended with {}, the client with {} (both should exit 0)",
            describe(server_status),
            describe(client_status)
        )));
    }
    drop(client);
    drop(server);
    let done = format!(
        "{} one connection, one message, one ACK on port {port}; both programs exited 0 and nothing is left running.",
        paint(GREEN, "Done:", color)
    );
    say(out, &done);
    Ok(())
}

/// The demo is showing its timeline (for [`interrupted`]).
static PLAYING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// For a Ctrl+C handler: the words that end a demo cut short, if one is
/// being shown (a presenter stopping a `--pace` run), to print before
/// exiting. Without them the shell's prompt lands on the `⏎ next step` line.
/// The prompt line is cleared first when stdout is a terminal.
pub fn interrupted() -> Option<String> {
    if !PLAYING.load(std::sync::atomic::Ordering::SeqCst) {
        return None;
    }
    let clear = if std::io::stdout().is_terminal() {
        "\r\x1b[2K"
    } else {
        "\n"
    };
    Some(format!(
        "{clear}Demo stopped (Ctrl+C): the session had ended; nothing is left running.\n"
    ))
}

/// Shows the timeline; with `pace` on a terminal, waits for Enter before
/// each step after the first.
fn play(events: &[Event], width: usize, color: bool, pace: bool, out: &mut impl Write) {
    let stdin = std::io::stdin();
    let mut pace = pace && stdin.is_terminal();
    if pace {
        let _ = writeln!(
            out,
            "{}",
            paint(DIM, "Press Enter for each next step.", color)
        );
    }
    let (header, rows) = render(events, width, color);
    PLAYING.store(true, std::sync::atomic::Ordering::SeqCst);
    for line in header {
        let _ = writeln!(out, "{line}");
    }
    for (n, event_rows) in rows.iter().enumerate() {
        if pace && n > 0 {
            let _ = write!(out, "{}", paint(DIM, "  ⏎ next step", color));
            let _ = out.flush();
            let mut answer = String::new();
            // End of input (Ctrl+D) ends the pacing, not the demo.
            if stdin.lock().read_line(&mut answer).unwrap_or(0) == 0 {
                pace = false;
                let _ = writeln!(out);
            }
            if std::io::stdout().is_terminal() {
                // Up over the echoed newline, and clear the prompt. Written
                // past anstream, which strips every escape under NO_COLOR:
                // this one moves the cursor, it does not colour.
                let mut raw = std::io::stdout();
                let _ = raw.write_all(b"\x1b[1A\x1b[2K\r");
                let _ = raw.flush();
            }
        }
        for row in event_rows {
            let _ = writeln!(out, "{row}");
        }
        let _ = out.flush();
    }
    PLAYING.store(false, std::sync::atomic::Ordering::SeqCst);
}

/// The port of a `Listening on HOST:PORT` line.
fn port_of(line: &str) -> Option<u16> {
    line.trim().rsplit(':').next()?.parse().ok()
}

fn transcript(child: &Child) -> String {
    let mut text = child.text(Stream::Stdout);
    text.push_str(&child.text(Stream::Stderr));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(ms: u64, text: &str) -> Line {
        Line {
            text: text.to_string(),
            at: Duration::from_millis(ms),
        }
    }

    fn session() -> Vec<Event> {
        let server = [
            line(0, "[SERVER] Listening on 127.0.0.1:40000"),
            line(12, "[SERVER] Connection from 127.0.0.1:50000"),
            line(13, "[SERVER] Received: Hello Server"),
            line(14, "[SERVER] Sent: ACK: Hello Server"),
            line(16, "[SERVER] Closed connection"),
        ];
        let client = [
            line(1, "[CLIENT] Connected to 127.0.0.1:40000"),
            line(2, "[CLIENT] Sending: Hello Server"),
            line(5, "[CLIENT] Received: ACK: Hello Server"),
            line(7, "[CLIENT] Closed connection"),
        ];
        merge(&server, &client, Duration::from_millis(10))
    }

    #[test]
    fn lines_are_tagged_with_their_ritual_step() {
        let labels: Vec<String> = session().iter().map(Event::label).collect();
        assert_eq!(
            labels,
            [
                "bind+listen",
                "connect",
                "accept",
                "send",
                "receive",
                "send",
                "receive",
                "close",
                "close"
            ]
        );
        assert!(tag("[SERVER] Error: address in use").is_empty());
    }

    #[test]
    fn the_timeline_is_in_arrival_order_across_programs() {
        let events = session();
        let sides: Vec<Side> = events.iter().map(|e| e.side).collect();
        use Side::{Client as C, Server as S};
        assert_eq!(sides, [S, C, S, C, S, S, C, S, C]);
        assert!(events.windows(2).all(|w| w[0].at <= w[1].at));
    }

    #[test]
    fn late_reads_do_not_break_causality_or_a_programs_own_order() {
        // Seen on a loaded machine: the client's reader thread was 10 ms
        // late and read all four client lines at once, after every server
        // line had been read.
        let server = [
            line(1, "[SERVER] Listening on 127.0.0.1:40000"),
            line(18, "[SERVER] Connection from 127.0.0.1:50000"),
            line(18, "[SERVER] Received: Hello Server"),
            line(18, "[SERVER] Sent: ACK: Hello Server"),
            line(18, "[SERVER] Closed connection"),
        ];
        let client = ["Connected to 127.0.0.1:40000", "Sending: Hello Server"]
            .iter()
            .chain(&["Received: ACK: Hello Server", "Closed connection"])
            .map(|t| line(20, &format!("[CLIENT] {t}")))
            .collect::<Vec<_>>();
        let events = merge(&server, &client, Duration::from_millis(8));
        let labels: Vec<String> = events
            .iter()
            .map(|e| format!("{} {}", e.side.name(), e.label()))
            .collect();
        assert_eq!(
            labels,
            [
                "server bind+listen",
                "client connect",
                "server accept",
                "client send",
                "server receive",
                "server send",
                "server close",
                "client receive",
                "client close"
            ]
        );
    }

    #[test]
    fn a_receive_read_before_its_send_is_put_after_it() {
        // The server's reader thread won the race by a microsecond.
        let server = [line(5, "[SERVER] Received: hi")];
        let client = [line(4, "[CLIENT] Sending: hi")];
        let events = merge(&server, &client, Duration::from_millis(2));
        assert_eq!(events[0].side, Side::Client);
        assert_eq!(events[1].side, Side::Server);
    }

    #[test]
    fn no_row_is_wider_than_the_terminal() {
        let mut events = session();
        events.push(Event {
            at: Duration::from_millis(20),
            side: Side::Client,
            text: format!("[CLIENT] Sending: {}", "x".repeat(150)),
            steps: &[Step::Send],
        });
        for width in [40, 80, 100, 107, 120, 200] {
            let (header, rows) = render(&events, width, false);
            for row in header.iter().chain(rows.iter().flatten()) {
                assert!(
                    console::measure_text_width(row) <= width,
                    "{width}: {row:?} is {} wide",
                    console::measure_text_width(row)
                );
            }
        }
    }

    #[test]
    fn wide_terminals_get_a_column_per_program() {
        let events = session();
        let (header, rows) = render(&events, 120, false);
        assert!(header[0].contains("server (terminal 1)") && header[0].contains("│ client"));
        let client_row = &rows[1][0];
        let (left, right) = client_row.split_once('│').expect("two columns");
        assert!(!left.contains("[CLIENT]") && right.contains("[CLIENT] Connected"));
        // A very wide screen: the columns stay readable across, not spread.
        let (header, _) = render(&events, 200, false);
        let bar = header[0]
            .chars()
            .position(|c| c == '│')
            .expect("two columns");
        assert!(bar <= LEFT + MAX_SIDE_COLUMN + 1, "{}", header[0]);
        let (_, rows) = render(&events, 80, false);
        assert!(!rows.iter().flatten().any(|r| r.contains('│')));
        assert!(rows[1][0].contains("connect") && rows[1][0].contains("[CLIENT] Connected"));
    }
}
