//! `netlab trace`: the packets of a real Week 1 session, drawn as a sequence diagram.
//!
//! The handout says the three-way handshake "happens transparently"; this
//! makes it visible. [`run`] starts a server and a client on loopback (the
//! reference programs by default, any submission's commands with
//! `--server`/`--client`), captures their TCP segments, prints one row per
//! segment with the phase it belongs to, and with `--pcap FILE` keeps them
//! in a .pcap file (nothing is left behind otherwise).
//!
//! Map of the module:
//! - [`segment`]: bytes → [`segment::Segment`], relative numbering (pure);
//! - [`diagram`]: phases and the drawing (pure);
//! - [`pcap`]: frames to and from .pcap files;
//! - `capture` (Linux): an AF_PACKET socket on `lo`, no libpcap;
//! - [`telling`]: the segments that explain a failure (an RST after unread
//!   data, a FIN that never came...), for the grader's wire evidence (pure);
//! - [`fallback`]: without capture rights, socket states from the kernel's
//!   TCP table (sampling is Linux only; rendering is pure). There, unless
//!   `--client` is given, netlab plays the client itself with 400 ms
//!   pauses between steps, so each state lives long enough to be sampled.
//!
//! On systems other than Linux the command says tracing is not available.

#[cfg(target_os = "linux")]
pub(crate) mod capture;
pub mod diagram;
pub mod fallback;
pub mod pcap;
pub mod segment;
pub mod telling;

use std::path::PathBuf;
use std::process::ExitCode;

/// What to trace.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Scenario {
    /// One client–server session: handshake, message, reply, teardown.
    #[default]
    Session,
    /// A client connecting to a port where nothing listens: SYN, then RST.
    Refused,
}

/// Arguments of `netlab trace`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct TraceArgs {
    /// Command line that starts the server (default: the reference `server`
    /// next to netlab). It gets LAB_HOST=127.0.0.1 and LAB_PORT=0 and must
    /// print `Listening on HOST:PORT`.
    #[arg(long, value_name = "CMD")]
    pub server: Option<String>,
    /// Command line that starts the client (default: the reference `client`).
    /// It gets LAB_HOST and LAB_PORT of the server.
    #[arg(long, value_name = "CMD")]
    pub client: Option<String>,
    /// `session`: a whole session; `refused`: connect where nothing listens.
    #[arg(long, value_enum, default_value_t = Scenario::Session)]
    pub scenario: Scenario,
    /// Keep the captured packets in this .pcap file, for Wireshark or
    /// tshark (default: nothing is written).
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,
    /// Folder the commands run in (default: the current folder).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Do not capture packets; show the kernel's socket states instead
    /// (the fallback for users without capture rights; for testing it).
    /// NETLAB_TRACE_NO_CAPTURE=1 does the same; 0/false/no/off/empty do not.
    #[arg(
        long,
        hide = true,
        env = "NETLAB_TRACE_NO_CAPTURE",
        value_parser = clap::builder::FalseyValueParser::new()
    )]
    pub no_capture: bool,
}

/// A failure that ends the command: bad usage (exit 2) or at run time (exit 1).
#[derive(Debug)]
pub enum TraceError {
    Usage(String),
    Runtime(String),
}

/// Runs `netlab trace`: prints the diagram; errors are one line on stderr.
pub fn run(args: &TraceArgs) -> ExitCode {
    match trace(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(TraceError::Usage(msg)) => {
            eprintln!("netlab trace: {msg}");
            ExitCode::from(2)
        }
        Err(TraceError::Runtime(msg)) => {
            eprintln!("netlab trace: {msg}");
            ExitCode::from(1)
        }
    }
}

/// What `netlab trace` says when it may not capture packets: the command
/// that grants the right to `exe` (this netlab binary), then what it shows
/// instead. Within 100 columns, but for the path.
pub fn no_rights_message(exe: &std::path::Path) -> String {
    let path = exe.to_string_lossy();
    let quoted = shlex::try_quote(&path).unwrap_or(path.clone());
    format!(
        "netlab trace: capturing packets needs root, or the CAP_NET_RAW capability\n\
         on netlab. To grant it once (again after each rebuild of netlab), then run\n\
         netlab without sudo:\n\
         \x20   sudo setcap cap_net_raw+ep {quoted}\n\
         For now: showing the kernel's socket states instead."
    )
}

#[cfg(not(target_os = "linux"))]
fn trace(args: &TraceArgs) -> Result<(), TraceError> {
    let _ = args;
    Err(TraceError::Runtime(format!(
        "tracing is not available on {}: it needs Linux (a packet socket on the loopback \
         interface, or /proc/net/tcp). Open the session in Wireshark instead.",
        std::env::consts::OS
    )))
}

#[cfg(target_os = "linux")]
fn trace(args: &TraceArgs) -> Result<(), TraceError> {
    linux::trace(args)
}

#[cfg(target_os = "linux")]
mod linux {
    //! Running the session and watching it (Linux).

    use std::io::{self, Read as _, Write as _};
    use std::net::{SocketAddr, TcpStream};
    use std::path::{Path, PathBuf};
    use std::process::Command;
    use std::thread;
    use std::time::{Duration, Instant};

    use super::capture::{Capture, OpenError};
    use super::fallback::{self, Sampler};
    use super::{diagram, pcap, segment, Scenario, TraceArgs, TraceError};
    use crate::process::{self, Child, Signal, Stream};

    /// How long a server may take to print its Listening line.
    const LISTEN_WAIT: Duration = Duration::from_secs(10);
    /// How long the client may run.
    const CLIENT_WAIT: Duration = Duration::from_secs(15);
    /// How long the server may take to finish after the client.
    const SERVER_WAIT: Duration = Duration::from_secs(3);
    /// Keep watching this long after the programs exit, for the last ACKs.
    const TAIL: Duration = Duration::from_millis(200);
    /// netlab's slow-motion client (fallback only) pauses this long between
    /// steps: one read of the kernel's table takes milliseconds, a whole
    /// session on loopback less than one.
    const SLOW_PAUSE: Duration = Duration::from_millis(400);
    /// After its close, the table is watched this long (TIME-WAIT, gone).
    const SLOW_TAIL: Duration = Duration::from_millis(300);
    /// The slow-motion client's connect and read time limit.
    const SLOW_IO_WAIT: Duration = Duration::from_secs(5);
    /// It keeps at most this much of a reply.
    const SLOW_REPLY_MAX: usize = 64 * 1024;

    /// How the session is watched.
    enum Watcher {
        Packets(Capture),
        States(Option<Sampler>),
    }

    impl Watcher {
        fn watch_port(&mut self, port: u16) {
            match self {
                Watcher::Packets(capture) => capture.watch_port(port),
                Watcher::States(sampler) => *sampler = Some(Sampler::start(port)),
            }
        }

        /// When the states are sampled: the instant their times count from.
        fn origin(&self) -> Option<Instant> {
            match self {
                Watcher::Packets(_) => None,
                Watcher::States(sampler) => sampler.as_ref().map(Sampler::started),
            }
        }
    }

    /// Who plays the client.
    enum Client {
        /// A program: the user's `--client` or the reference `client`.
        Program(Program),
        /// netlab itself, pausing between steps (fallback, default client).
        SlowMotion,
    }

    /// What the programs printed, for the transcript under the diagram.
    struct Transcript {
        name: &'static str,
        command: String,
        lines: Vec<String>,
        status: String,
    }

    struct Outcome {
        port: u16,
        transcripts: Vec<Transcript>,
        notes: Vec<String>,
    }

    pub(super) fn trace(args: &TraceArgs) -> Result<(), TraceError> {
        let dir = match &args.dir {
            Some(d) if !d.is_dir() => {
                return Err(TraceError::Usage(format!(
                    "--dir {}: no such folder",
                    d.display()
                )))
            }
            Some(d) => d.clone(),
            None => std::env::current_dir()
                .map_err(|e| TraceError::Runtime(format!("cannot read the current folder: {e}")))?,
        };
        // Check both commands before starting anything.
        let server = Program::new("server", args.server.as_deref(), &dir)?;
        let given_client = match &args.client {
            Some(line) => Some(Program::new("client", Some(line), &dir)?),
            None => None,
        };

        let mut watcher = if args.no_capture {
            Watcher::States(None)
        } else {
            match Capture::open() {
                Ok(capture) => Watcher::Packets(capture),
                Err(OpenError::NoPermission) => {
                    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("netlab"));
                    eprintln!("{}", super::no_rights_message(&exe));
                    Watcher::States(None)
                }
                Err(other) => {
                    eprintln!("netlab trace: {other}; showing the kernel's socket states instead");
                    Watcher::States(None)
                }
            }
        };

        // Without packets, a default session is played by netlab's own
        // client in slow motion, so the table has time to show each state.
        // A user's --client runs as it is; a refusal has nothing to slow.
        let fallback = matches!(watcher, Watcher::States(_));
        let client = match given_client {
            Some(program) => Client::Program(program),
            None if fallback && args.scenario == Scenario::Session => Client::SlowMotion,
            None => Client::Program(Program::new("client", None, &dir)?),
        };
        let outcome = match (args.scenario, &client) {
            (Scenario::Session, client) => run_session(&server, client, &mut watcher),
            (Scenario::Refused, Client::Program(program)) => run_refused(program, &mut watcher),
            // Not chosen above (sessions only); said rather than panicked.
            (Scenario::Refused, Client::SlowMotion) => Err(TraceError::Runtime(
                "the slow-motion client plays sessions only".to_string(),
            )),
        };
        // Stop watching whatever happened, so no thread outlives the command.
        let observed = match watcher {
            Watcher::Packets(capture) => Observed::Frames(capture.stop()),
            Watcher::States(sampler) => Observed::States(sampler.map(Sampler::stop)),
        };
        let outcome = outcome?;

        let mut out = anstream::stdout();
        let scenario = match args.scenario {
            Scenario::Session => format!(
                "one Week 1 session on 127.0.0.1, server port {}",
                outcome.port
            ),
            Scenario::Refused => format!(
                "a client connecting to port {}, where nothing listens",
                outcome.port
            ),
        };
        let result = match observed {
            Observed::Frames(frames) => {
                let frames = frames
                    .map_err(|e| TraceError::Runtime(format!("capturing on lo failed: {e}")))?;
                // Written only when asked for: a trace is something to look
                // at, not a file left in the temp folder on every run.
                if let Some(path) = &args.pcap {
                    pcap::write_pcap(path, &frames).map_err(|e| {
                        TraceError::Runtime(format!("cannot write {}: {e}", path.display()))
                    })?;
                }
                let segments: Vec<segment::Segment> = frames
                    .iter()
                    .filter_map(|f| segment::parse_frame(&f.bytes, f.time))
                    .filter(|s| segment::on_port(s, outcome.port))
                    .collect();
                let segments = segment::relative(&segments);
                let _ = writeln!(
                    out,
                    "netlab trace: {scenario}\n({} TCP segments captured on lo)\n",
                    segments.len()
                );
                let _ = write!(out, "{}", diagram::draw(&segments, outcome.port, true));
                print_transcripts(&mut out, &outcome);
                match &args.pcap {
                    Some(path) => {
                        let _ = writeln!(out, "\nCapture saved to {}", path.display());
                        let _ = writeln!(
                            out,
                            "Open it in Wireshark, or: tshark -r {}",
                            path.display()
                        );
                    }
                    None => {
                        let _ = writeln!(
                            out,
                            "\nNo file was written; add --pcap FILE to keep the packets for \
                             Wireshark."
                        );
                    }
                }
                if segments.is_empty() {
                    Err(TraceError::Runtime(format!(
                        "no packet on port {} was captured",
                        outcome.port
                    )))
                } else {
                    Ok(())
                }
            }
            Observed::States(timeline) => {
                let timeline = timeline.unwrap_or_default();
                let _ = write!(
                    out,
                    "{}",
                    fallback::prose(&format!(
                        "netlab trace (fallback, no packet capture): {scenario}"
                    ))
                );
                if matches!(client, Client::SlowMotion) {
                    let _ = write!(
                        out,
                        "{}",
                        fallback::prose(&format!(
                            "netlab played the client in slow motion (pauses of {} ms between \
                             steps) so the kernel's table can show each state; with capture \
                             rights you see the real client's packets.",
                            SLOW_PAUSE.as_millis()
                        ))
                    );
                }
                let _ = writeln!(out);
                match (args.scenario, outcome.transcripts.first()) {
                    // A refusal never shows in the table: say what happened,
                    // with the client's own words (its whole transcript).
                    (Scenario::Refused, Some(client)) if fallback::looks_refused(&timeline) => {
                        let text = fallback::render_refused(
                            outcome.port,
                            &timeline,
                            &client.status,
                            &client.lines,
                        );
                        let _ = write!(out, "{}", fit_terminal(text));
                        for note in &outcome.notes {
                            let _ = writeln!(out, "{}", fit_terminal(format!("Note: {note}")));
                        }
                    }
                    _ => {
                        let _ = write!(out, "{}", fallback::render(&timeline, outcome.port));
                        print_transcripts(&mut out, &outcome);
                    }
                }
                if args.pcap.is_some() {
                    let _ = writeln!(out, "\nNo .pcap was written: no packet was captured.");
                }
                Ok(())
            }
        };
        let _ = out.flush();
        result
    }

    enum Observed {
        Frames(std::io::Result<Vec<pcap::Frame>>),
        States(Option<Vec<fallback::StateChange>>),
    }

    fn print_transcripts(out: &mut impl std::io::Write, outcome: &Outcome) {
        let _ = writeln!(out, "\nWhat the programs printed:");
        for t in &outcome.transcripts {
            let head = format!("  {} ({}), {}:", t.name, t.command, t.status);
            let _ = writeln!(out, "{}", fit_terminal(head));
            for line in &t.lines {
                let _ = writeln!(out, "{}", fit_terminal(format!("    {line}")));
            }
        }
        for note in &outcome.notes {
            let _ = writeln!(out, "{}", fit_terminal(format!("Note: {note}")));
        }
    }

    /// The programs' own lines can be long (an error with its address and
    /// its cause): on a terminal they wrap at its width, under themselves;
    /// in a pipe they stay whole.
    fn fit_terminal(text: String) -> String {
        match crate::wrap::stdout_columns() {
            Some(width) => crate::wrap::fill(&text, width),
            None => text,
        }
    }

    /// A program to start: the user's command line or a reference binary.
    struct Program {
        role: &'static str,
        argv: Vec<String>,
        dir: PathBuf,
        /// How to show it, when not its command line (a reference binary
        /// inside the current folder: `target/debug/server`).
        shown: Option<String>,
    }

    impl Program {
        fn new(role: &'static str, given: Option<&str>, dir: &Path) -> Result<Program, TraceError> {
            let argv = match given {
                Some(line) => match shlex::split(line) {
                    Some(argv) if !argv.is_empty() => argv,
                    _ => {
                        return Err(TraceError::Usage(format!(
                            "--{role} {line:?}: not a command line (empty or unbalanced quotes)"
                        )))
                    }
                },
                None => {
                    let path = crate::reference::program(role).map_err(|why| {
                        TraceError::Runtime(format!("{why}, or pass --{role} CMD"))
                    })?;
                    vec![path.to_string_lossy().into_owned()]
                }
            };
            // The reference binaries are shown relative to the current
            // folder when inside it: shorter lines, the same program. (The
            // command itself keeps the full path: it runs in --dir.)
            let shown = match given {
                Some(_) => None,
                None => std::env::current_dir().ok().and_then(|cwd| {
                    Path::new(&argv[0])
                        .strip_prefix(cwd)
                        .ok()
                        .map(|p| p.to_string_lossy().into_owned())
                }),
            };
            Ok(Program {
                role,
                argv,
                dir: dir.to_path_buf(),
                shown,
            })
        }

        fn display(&self) -> String {
            if let Some(shown) = &self.shown {
                return shown.clone();
            }
            shlex::try_join(self.argv.iter().map(String::as_str))
                .unwrap_or_else(|_| self.argv.join(" "))
        }

        /// Starts the program with the lab's environment and `port`.
        fn start(&self, port: u16, deadline: Duration) -> Result<Child, TraceError> {
            let mut cmd: Command = process::command(&self.argv)
                .ok_or_else(|| TraceError::Usage(format!("--{}: empty command", self.role)))?;
            cmd.current_dir(&self.dir)
                .env("LAB_HOST", "127.0.0.1")
                .env("LAB_PORT", port.to_string())
                // Python prints nothing until exit into a pipe unless unbuffered.
                .env("PYTHONUNBUFFERED", "1");
            Child::spawn(cmd, deadline).map_err(|e| {
                TraceError::Runtime(format!(
                    "cannot start the {} `{}`: {e}",
                    self.role,
                    self.display()
                ))
            })
        }
    }

    fn transcript(name: &'static str, program: &Program, child: &mut Child) -> Transcript {
        let status = match child.try_status() {
            Some(s) => process::describe_status(s),
            None => "still running".to_string(),
        };
        let mut lines = child.lines(Stream::Stdout);
        lines.extend(child.lines(Stream::Stderr));
        Transcript {
            name,
            command: program.display(),
            lines,
            status,
        }
    }

    /// The port in `[SERVER] Listening on 127.0.0.1:40123` (any prefix).
    pub(super) fn listening_port(line: &str) -> Option<u16> {
        let rest = line.split_once("Listening on ")?.1;
        let addr = rest.split_whitespace().next()?;
        addr.rsplit_once(':')?.1.trim_end_matches(']').parse().ok()
    }

    fn run_session(
        server: &Program,
        client: &Client,
        watcher: &mut Watcher,
    ) -> Result<Outcome, TraceError> {
        let mut notes = Vec::new();
        let mut srv = server.start(0, Duration::from_secs(30))?;
        let Some(line) = srv.wait_line(Stream::Stdout, LISTEN_WAIT, |l| {
            listening_port(l).is_some_and(|p| p != 0)
        }) else {
            let exited = srv.wait_exit(Duration::from_millis(100));
            let mut said = srv.lines(Stream::Stdout);
            said.extend(srv.lines(Stream::Stderr));
            // Say what happened: it ended (often at once), or it is still
            // running without the line.
            let what = match exited {
                Some(status) => format!(
                    "ended ({}) before printing `Listening on HOST:PORT`",
                    process::describe_status(status)
                ),
                None => format!(
                    "did not print `Listening on HOST:PORT` within {} s",
                    LISTEN_WAIT.as_secs()
                ),
            };
            return Err(TraceError::Runtime(format!(
                "the server `{}` {what}; it printed: {:?}",
                server.display(),
                said
            )));
        };
        let port = listening_port(&line).unwrap_or(0);
        watcher.watch_port(port);

        let client_transcript = match client {
            Client::Program(program) => {
                let mut cli = program.start(port, CLIENT_WAIT + Duration::from_secs(5))?;
                if cli.wait_exit(CLIENT_WAIT).is_none() {
                    cli.kill();
                    notes.push(format!(
                        "the client was still running after {} s; netlab stopped it",
                        CLIENT_WAIT.as_secs()
                    ));
                }
                Some((program, cli))
            }
            Client::SlowMotion => None,
        };
        let slow = match client {
            Client::Program(_) => None,
            Client::SlowMotion => {
                let origin = watcher.origin().unwrap_or_else(Instant::now);
                Some(slow_client(port, origin))
            }
        };
        if srv.wait_exit(SERVER_WAIT).is_none() {
            // A long-running server (--forever, threaded): ask it to stop.
            let _ = srv.signal(Signal::Terminate);
            if srv.wait_exit(Duration::from_secs(2)).is_none() {
                srv.kill();
            }
            notes.push("the server kept running after the session; netlab stopped it".to_string());
        }
        thread::sleep(if slow.is_some() { SLOW_TAIL } else { TAIL });
        let mut transcripts = vec![transcript("server", server, &mut srv)];
        if let Some((program, mut cli)) = client_transcript {
            transcripts.push(transcript("client", program, &mut cli));
        }
        transcripts.extend(slow);
        Ok(Outcome {
            port,
            transcripts,
            notes,
        })
    }

    /// netlab plays the reference client's steps itself, pausing between
    /// them so each state lasts long enough for a sample of the table. Its
    /// lines are the contract's, each with the time since the sampling
    /// started (the timeline's clock).
    fn slow_client(port: u16, origin: Instant) -> Transcript {
        let mut lines = Vec::new();
        let mut say = |line: String| {
            let at = diagram::format_time(origin.elapsed());
            lines.push(format!("{at:>12}  {line}"));
        };
        let status = match slow_steps(port, &mut say) {
            Ok(()) => "done".to_string(),
            Err(e) => {
                say(format!("[CLIENT] Error: {e}"));
                "stopped early".to_string()
            }
        };
        Transcript {
            name: "client",
            command: format!(
                "played by netlab in slow motion, {} ms pauses",
                SLOW_PAUSE.as_millis()
            ),
            lines,
            status,
        }
    }

    fn slow_steps(port: u16, say: &mut impl FnMut(String)) -> io::Result<()> {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let mut stream = TcpStream::connect_timeout(&addr, SLOW_IO_WAIT)
            .map_err(|e| io::Error::new(e.kind(), format!("could not connect to {addr}: {e}")))?;
        say(format!("[CLIENT] Connected to {addr}"));
        say(format!(
            "(netlab waits {} ms: both sides ESTABLISHED)",
            SLOW_PAUSE.as_millis()
        ));
        thread::sleep(SLOW_PAUSE);

        let message = "Hello Server";
        say(format!("[CLIENT] Sending: {message}"));
        stream.write_all(message.as_bytes())?;
        // One read is not one message: read until the server closes (a
        // 0-byte read means the peer sent its FIN). Every read and the whole
        // wait are bounded, and so is what is kept.
        stream.set_read_timeout(Some(SLOW_IO_WAIT))?;
        let until = Instant::now() + SLOW_IO_WAIT;
        let mut reply = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    let room = SLOW_REPLY_MAX.saturating_sub(reply.len());
                    reply.extend_from_slice(&buf[..n.min(room)]);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Err(io::Error::new(
                        e.kind(),
                        format!(
                            "the server did not close within {} s",
                            SLOW_IO_WAIT.as_secs()
                        ),
                    ))
                }
                Err(e) => return Err(e),
            }
            if Instant::now() > until {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "the server did not close within {} s",
                        SLOW_IO_WAIT.as_secs()
                    ),
                ));
            }
        }
        // Whatever the server sent, the terminal gets no control characters.
        let shown: String = String::from_utf8_lossy(&reply)
            .chars()
            .map(|c| match c.is_control() {
                true => c.escape_default().to_string(),
                false => c.to_string(),
            })
            .collect();
        say(format!("[CLIENT] Received: {shown}"));
        say(format!(
            "(server closed first; netlab waits {} ms)",
            SLOW_PAUSE.as_millis()
        ));
        thread::sleep(SLOW_PAUSE);
        drop(stream);
        say("[CLIENT] Closed connection".to_string());
        Ok(())
    }

    fn run_refused(client: &Program, watcher: &mut Watcher) -> Result<Outcome, TraceError> {
        // A port nobody listens on, below the ephemeral range (a client
        // could otherwise be given it as its own source port and connect
        // to itself).
        let port = crate::grade::harness::closed_port()
            .map_err(|e| TraceError::Runtime(format!("cannot find a free port: {e}")))?;
        watcher.watch_port(port);
        let mut cli = client.start(port, CLIENT_WAIT + Duration::from_secs(5))?;
        let mut notes = Vec::new();
        if cli.wait_exit(CLIENT_WAIT).is_none() {
            cli.kill();
            notes.push(format!(
                "the client was still running after {} s; netlab stopped it",
                CLIENT_WAIT.as_secs()
            ));
        }
        thread::sleep(TAIL);
        Ok(Outcome {
            port,
            transcripts: vec![transcript("client", client, &mut cli)],
            notes,
        })
    }

    #[cfg(test)]
    mod tests {
        use super::listening_port;

        #[test]
        fn the_port_comes_from_the_listening_line() {
            assert_eq!(
                listening_port("[SERVER] Listening on 127.0.0.1:40123"),
                Some(40123)
            );
            assert_eq!(listening_port("Listening on [::1]:5000 now"), Some(5000));
            assert_eq!(listening_port("[SERVER] Listening on nowhere"), None);
            assert_eq!(listening_port("hello"), None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::no_rights_message;

    #[test]
    fn without_rights_the_message_gives_the_command_that_grants_them() {
        let text = no_rights_message(std::path::Path::new("/home/ana/netlab/target/debug/netlab"));
        assert!(
            text.contains("    sudo setcap cap_net_raw+ep /home/ana/netlab/target/debug/netlab"),
            "{text}"
        );
        // The tests (and users' scripts) recognise the fallback by this.
        assert!(text.contains("showing the kernel's socket states instead"));
        for line in text.lines().filter(|l| !l.contains("setcap")) {
            assert!(line.chars().count() <= 100, "{line}");
        }
        let spaced = no_rights_message(std::path::Path::new("/home/ana/my labs/netlab"));
        assert!(
            spaced.contains("cap_net_raw+ep '/home/ana/my labs/netlab'"),
            "{spaced}"
        );
    }
}

/// Recorded captures (tests/fixtures/trace/*.pcap, written by `netlab trace`
/// on Linux, with real TCP options and timestamps) read back and drawn.
#[cfg(test)]
mod recorded {
    use super::diagram::{draw, phases, Phase};
    use super::{pcap, segment};
    use std::path::Path;

    fn load(name: &str) -> Vec<segment::Segment> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/trace")
            .join(name);
        let frames = pcap::read_pcap(&path).unwrap();
        let segments: Vec<_> = frames
            .iter()
            .map(|f| segment::parse_frame(&f.bytes, f.time).expect("TCP frame"))
            .collect();
        segment::relative(&segments)
    }

    #[test]
    fn a_recorded_session_parses_into_the_whole_story() {
        let segments = load("session.pcap");
        let port = segments[0].dst.port();
        let names: Vec<String> = segments.iter().map(|s| s.flags.name()).collect();
        assert_eq!(
            names,
            [
                "SYN", "SYN-ACK", "ACK", "PSH-ACK", "ACK", "PSH-ACK", "ACK", "FIN-ACK", "FIN-ACK",
                "ACK"
            ]
        );
        assert_eq!(
            (segments[3].len, segments[3].preview.as_str()),
            (12, "Hello Server")
        );
        assert_eq!((segments[5].seq, segments[5].ack), (1, 13));
        assert_eq!(segments[0].time, std::time::Duration::ZERO);
        use Phase::*;
        assert_eq!(
            phases(&segments),
            [
                Handshake, Handshake, Handshake, Data, Data, Data, Data, Teardown, Teardown,
                Teardown
            ]
        );
        let text = draw(&segments, port, false);
        assert_eq!(text.lines().filter(|l| l.contains(" ms|")).count(), 10);
        assert!(text.contains("The server sent the first FIN"), "{text}");
    }

    #[test]
    fn a_recorded_refusal_is_syn_then_rst() {
        let segments = load("refused.pcap");
        let names: Vec<String> = segments.iter().map(|s| s.flags.name()).collect();
        assert_eq!(names, ["SYN", "RST-ACK"]);
        assert_eq!(phases(&segments), [Phase::Attempt, Phase::Reset]);
        assert_eq!(segments[1].ack, 1, "the RST acknowledges the SYN");
    }
}
