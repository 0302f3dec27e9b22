//! What every role shares: the configuration read from the `LAB_*`
//! environment variables, the one mistake this run makes (if any), console
//! output, and turning socket errors into the contract's words.
//!
//! Everything here is written the way a careful student would write it with
//! the standard library alone; the netlab library is deliberately not used,
//! so this program is an independent second implementation of the contract.

use std::fmt;
use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// Exit status for a usage error (bad arguments or environment).
pub const USAGE: i32 = 2;

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

/// The Week 1 configuration, read once from the environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// LAB_HOST: where to bind (servers) or connect (clients).
    pub host: String,
    /// LAB_PORT: 0 on a server means "any free port".
    pub port: u16,
    /// LAB_BUFFER_SIZE: bytes per receive.
    pub buffer_size: usize,
    /// LAB_TIMEOUT: how long a client waits for a reply, and a server for data.
    pub timeout: Duration,
    /// LAB_MAX_CLIENTS: threaded server only.
    pub max_clients: usize,
}

impl Config {
    /// Reads the `LAB_*` variables, with the contract's defaults.
    pub fn from_env() -> Result<Config, String> {
        let host = std::env::var("LAB_HOST").unwrap_or_else(|_| "127.0.0.1".to_string());
        let port = parse_env("LAB_PORT", 5000u16)?;
        let buffer_size = parse_env("LAB_BUFFER_SIZE", 1024usize)?;
        if buffer_size == 0 {
            return Err("LAB_BUFFER_SIZE must be at least 1".to_string());
        }
        let secs = parse_env("LAB_TIMEOUT", 5.0f64)?;
        if !(secs > 0.0 && secs < 86_400.0) {
            return Err(format!(
                "LAB_TIMEOUT must be a positive number of seconds, not {secs}"
            ));
        }
        let max_clients = parse_env("LAB_MAX_CLIENTS", 64usize)?;
        if max_clients == 0 {
            return Err("LAB_MAX_CLIENTS must be at least 1".to_string());
        }
        Ok(Config {
            host,
            port,
            buffer_size,
            timeout: Duration::from_secs_f64(secs),
            max_clients,
        })
    }

    /// The first address LAB_HOST:LAB_PORT resolves to.
    pub fn address(&self) -> Result<SocketAddr, String> {
        self.address_with_port(self.port)
    }

    pub fn address_with_port(&self, port: u16) -> Result<SocketAddr, String> {
        (self.host.as_str(), port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {}: {e}", self.host))?
            .next()
            .ok_or_else(|| format!("{} has no address", self.host))
    }

    /// LAB_TIMEOUT as people write it: `5s`, `0.5s`.
    pub fn timeout_label(&self) -> String {
        format!("{}s", self.timeout.as_secs_f64())
    }
}

fn parse_env<T: std::str::FromStr>(name: &str, default: T) -> Result<T, String> {
    match std::env::var(name) {
        Ok(text) if !text.trim().is_empty() => text
            .trim()
            .parse()
            .map_err(|_| format!("{name}={text:?} is not a valid value")),
        _ => Ok(default),
    }
}

// ---------------------------------------------------------------------------
// The mistake catalogue
// ---------------------------------------------------------------------------

/// One deliberate mistake. Each is made at exactly one place in the code,
/// marked `// MISTAKE(code)`; the code is the grader's diagnosis code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mistake {
    OutputFormat,
    WrongReply,
    MissingListen,
    PortInUse,
    NoReuseaddr,
    EmptyRecv,
    BlankMessage,
    TooLong,
    InvalidUtf8,
    NoClose,
    ServerTimeout,
    StdoutBuffered,
    ExitStatus,
    IgnoresConfig,
    ClientRefused,
    ClientTimeout,
    ClientEof,
    WrongMessage,
    EmptyArgument,
    ExtraArguments,
    InventedReply,
    ExtraConnection,
    NoConcurrency,
    BusyCap,
    BusyLeak,
    NoGracefulShutdown,
    SplitMessage,
    SessionLimit,
    LostMessage,
    LogOverwritten,
    Crash,
    ExitsEarly,
}

impl Mistake {
    pub const ALL: [Mistake; 32] = [
        Mistake::OutputFormat,
        Mistake::WrongReply,
        Mistake::MissingListen,
        Mistake::PortInUse,
        Mistake::NoReuseaddr,
        Mistake::EmptyRecv,
        Mistake::BlankMessage,
        Mistake::TooLong,
        Mistake::InvalidUtf8,
        Mistake::NoClose,
        Mistake::ServerTimeout,
        Mistake::StdoutBuffered,
        Mistake::ExitStatus,
        Mistake::IgnoresConfig,
        Mistake::ClientRefused,
        Mistake::ClientTimeout,
        Mistake::ClientEof,
        Mistake::WrongMessage,
        Mistake::EmptyArgument,
        Mistake::ExtraArguments,
        Mistake::InventedReply,
        Mistake::ExtraConnection,
        Mistake::NoConcurrency,
        Mistake::BusyCap,
        Mistake::BusyLeak,
        Mistake::NoGracefulShutdown,
        Mistake::SplitMessage,
        Mistake::SessionLimit,
        Mistake::LostMessage,
        Mistake::LogOverwritten,
        Mistake::Crash,
        Mistake::ExitsEarly,
    ];

    /// The diagnosis code, as the grader prints it.
    pub fn code(self) -> &'static str {
        match self {
            Mistake::OutputFormat => "output-format",
            Mistake::WrongReply => "wrong-reply",
            Mistake::MissingListen => "missing-listen",
            Mistake::PortInUse => "port-in-use",
            Mistake::NoReuseaddr => "no-reuseaddr",
            Mistake::EmptyRecv => "empty-recv",
            Mistake::BlankMessage => "blank-message",
            Mistake::TooLong => "too-long",
            Mistake::InvalidUtf8 => "invalid-utf8",
            Mistake::NoClose => "no-close",
            Mistake::ServerTimeout => "server-timeout",
            Mistake::StdoutBuffered => "stdout-buffered",
            Mistake::ExitStatus => "exit-status",
            Mistake::IgnoresConfig => "ignores-config",
            Mistake::ClientRefused => "client-refused",
            Mistake::ClientTimeout => "client-timeout",
            Mistake::ClientEof => "client-eof",
            Mistake::WrongMessage => "wrong-message",
            Mistake::EmptyArgument => "empty-argument",
            Mistake::ExtraArguments => "extra-arguments",
            Mistake::InventedReply => "invented-reply",
            Mistake::ExtraConnection => "extra-connection",
            Mistake::NoConcurrency => "no-concurrency",
            Mistake::BusyCap => "busy-cap",
            Mistake::BusyLeak => "busy-leak",
            Mistake::NoGracefulShutdown => "no-graceful-shutdown",
            Mistake::SplitMessage => "split-message",
            Mistake::SessionLimit => "session-limit",
            Mistake::LostMessage => "lost-message",
            Mistake::LogOverwritten => "log-overwritten",
            Mistake::Crash => "crash",
            Mistake::ExitsEarly => "exits-early",
        }
    }

    pub fn from_code(code: &str) -> Option<Mistake> {
        Mistake::ALL.into_iter().find(|m| m.code() == code)
    }

    /// The roles that can make this mistake.
    pub fn roles(self) -> &'static [&'static str] {
        match self {
            Mistake::OutputFormat
            | Mistake::WrongReply
            | Mistake::MissingListen
            | Mistake::PortInUse
            | Mistake::NoReuseaddr
            | Mistake::EmptyRecv
            | Mistake::BlankMessage
            | Mistake::TooLong
            | Mistake::InvalidUtf8
            | Mistake::NoClose
            | Mistake::ExitStatus
            | Mistake::IgnoresConfig => &["server"],
            Mistake::ClientRefused
            | Mistake::ClientTimeout
            | Mistake::ClientEof
            | Mistake::WrongMessage
            | Mistake::EmptyArgument
            | Mistake::ExtraArguments
            | Mistake::InventedReply
            | Mistake::ExtraConnection => &["client"],
            // The one-client server and the threaded server's sessions.
            Mistake::ServerTimeout => &["server", "threaded-server"],
            Mistake::NoConcurrency | Mistake::BusyCap | Mistake::BusyLeak => &["threaded-server"],
            Mistake::NoGracefulShutdown => &["threaded-server", "chat-server"],
            Mistake::StdoutBuffered => &["server", "chat-client"],
            Mistake::SplitMessage => &["chat-server", "chat-client"],
            Mistake::SessionLimit
            | Mistake::LostMessage
            | Mistake::LogOverwritten
            | Mistake::Crash
            | Mistake::ExitsEarly => &["chat-server"],
        }
    }
}

impl fmt::Display for Mistake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

static MISTAKE: OnceLock<Option<Mistake>> = OnceLock::new();

/// Chooses this run's mistake; call once, before any role starts.
pub fn choose_mistake(mistake: Option<Mistake>) {
    let _ = MISTAKE.set(mistake);
}

/// True when this run makes `m`. Every use sits next to a `MISTAKE(...)` comment.
pub fn mistake(m: Mistake) -> bool {
    MISTAKE.get().copied().flatten() == Some(m)
}

// ---------------------------------------------------------------------------
// Console
// ---------------------------------------------------------------------------

/// Lines held back by the `stdout-buffered` mistake.
static HELD: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Whether the `stdout-buffered` mistake holds the console lines (the
/// servers) or only the prompt (the chat client: see [`prompt`]).
static PROMPT_ONLY: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Makes the `stdout-buffered` mistake the prompt's alone.
pub fn buffered_mistake_is_the_prompt() {
    PROMPT_ONLY.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Prints one console line and flushes it at once: whoever reads our stdout
/// through a pipe (a grader, a script) sees each line when it happens.
pub fn say(line: impl AsRef<str>) {
    let line = line.as_ref();
    if mistake(Mistake::StdoutBuffered) && !PROMPT_ONLY.load(std::sync::atomic::Ordering::Relaxed) {
        // MISTAKE(stdout-buffered): the student collects output in a buffer
        // and writes it all when the program ends -- which is what Python's
        // print() does when stdout is a pipe and nobody calls flush. Nothing
        // appears while the server runs, so whoever waits for the Listening
        // line (to learn the port) waits in vain.
        HELD.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(line.to_string());
        return;
    }
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Prints text without a newline (a prompt) and flushes it.
pub fn prompt(text: &str) {
    let mut out = io::stdout().lock();
    let _ = write!(out, "{text}");
    if mistake(Mistake::StdoutBuffered) {
        // MISTAKE(stdout-buffered): `print!` with no flush. Rust's stdout
        // writes a line at a time, so a prompt with no newline waits in
        // the buffer: at a terminal nothing shows, the user types blind,
        // and the prompt comes out later, in front of the reply.
        return;
    }
    let _ = out.flush();
}

/// Ends the program with `code`, writing any held-back output first.
pub fn exit(code: i32) -> ! {
    let held = std::mem::take(&mut *HELD.lock().unwrap_or_else(|e| e.into_inner()));
    if !held.is_empty() {
        let mut out = io::stdout().lock();
        for line in held {
            let _ = writeln!(out, "{line}");
        }
        let _ = out.flush();
    }
    std::process::exit(code)
}

// ---------------------------------------------------------------------------
// Errors and shutdown
// ---------------------------------------------------------------------------

/// An io::Error in the contract's words: `address already in use`,
/// `connection refused`, ... (std's Display adds "(os error 98)" and capitals).
pub fn describe(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::AddrInUse => "address already in use".to_string(),
        io::ErrorKind::ConnectionRefused => "connection refused".to_string(),
        io::ErrorKind::ConnectionReset => "connection reset by peer".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        io::ErrorKind::AddrNotAvailable => "address not available".to_string(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => "timed out".to_string(),
        _ => {
            let text = e.to_string();
            match text.find(" (os error") {
                Some(at) => text[..at].to_lowercase(),
                None => text.to_lowercase(),
            }
        }
    }
}

/// True for the error a read returns when its read timeout expires
/// (WouldBlock on Unix, TimedOut on Windows).
pub fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// True when the peer aborted the connection (a RST): it closed with our
/// data unread, or crashed.
pub fn is_reset(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
    )
}

/// Installs the Ctrl+C / SIGTERM handler of a long-running server and returns
/// the flag it raises.
///
/// Trap: a handler that only sets a flag does not wake a blocking accept()
/// (the handler is installed with SA_RESTART, so accept() just restarts). So
/// the handler also connects once to the server's own listening address; the
/// accept loop wakes up, sees the flag and stops.
pub fn on_shutdown(listening: SocketAddr) -> Result<Arc<AtomicBool>, String> {
    let flag = Arc::new(AtomicBool::new(false));
    let raised = Arc::clone(&flag);
    let mut wake = listening;
    if wake.ip().is_unspecified() {
        // Bound to 0.0.0.0 or [::]: knock on the loopback door instead.
        wake.set_ip(match wake {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    ctrlc::set_handler(move || {
        raised.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
    })
    .map_err(|e| format!("cannot install the Ctrl+C handler: {e}"))?;
    Ok(flag)
}
