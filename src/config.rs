//! Configuration in one place.
//!
//! Every Week 1 program reads the same five settings. Each one comes from,
//! in order of precedence:
//!
//! 1. a command-line flag (`--port 6000`),
//! 2. an environment variable (`LAB_PORT=6000`), which is how the grader
//!    configures programs written in any language,
//! 3. the default below.
//!
//! The binaries parse [`ConfigArgs`] (and [`MaxClientsArgs`] for the threaded
//! server) with clap and turn them into a plain [`Config`], which is all the
//! library code ever sees. Bad values (`--port abc`, `LAB_BUFFER_SIZE=0`,
//! `--timeout 0`) are usage errors (exit 2), and the message names where the
//! bad value came from: the flag, or the `LAB_*` variable.
//!
//! The rules (the same in the lab's starter config, checked by one table of
//! cases on both sides, [`SHARED_CASES`]): spaces around a value are
//! ignored; the host is an IP address or a name that resolves; the port is
//! 0–65535; the buffer 1 B–16 MiB; the timeout a *whole* number of seconds,
//! 1–86400 (the starter keeps it as `u64` seconds; `2.5` and `0` are
//! refused); at most 1–100000 clients.

use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use clap::Args;

/// Address to bind or connect to: the loopback interface, this machine only.
pub const DEFAULT_HOST: &str = "127.0.0.1";
/// TCP port. 0 on a server means "any free port".
pub const DEFAULT_PORT: u16 = 5000;
/// Bytes per receive: one `read` returns at most this many.
pub const DEFAULT_BUFFER_SIZE: usize = 1024;
/// Seconds a client waits for a reply, and a server for a connected client's data.
pub const DEFAULT_TIMEOUT_SECS: u64 = 5;
/// Clients the threaded server serves at once.
pub const DEFAULT_MAX_CLIENTS: usize = 64;

/// The largest buffer we accept; more is almost certainly a typo.
const MAX_BUFFER_SIZE: u32 = 16 * 1024 * 1024;
/// The longest timeout we accept (one day).
const MAX_TIMEOUT_SECS: u64 = 86_400;
/// The most clients the threaded server may serve at once.
const MAX_MAX_CLIENTS: u32 = 100_000;

// BEGIN shared config cases
/// The configuration rules as a table: (variable, its text, the value it
/// gives or `None` for a usage error). The same table sits in the lab's
/// src/config.rs, tested there against the starter's rules, and
/// tests/week01_client.rs checks the two copies have the same cases: the
/// starter and the reference accept exactly the same values.
pub const SHARED_CASES: &[(&str, &str, Option<&str>)] = &[
    ("LAB_HOST", "127.0.0.1", Some("127.0.0.1")),
    ("LAB_HOST", " 127.0.0.1 ", Some("127.0.0.1")),
    ("LAB_HOST", "::1", Some("::1")),
    ("LAB_HOST", "[::1]", Some("::1")),
    ("LAB_HOST", "localhost", Some("localhost")),
    ("LAB_HOST", "", None),
    ("LAB_HOST", "   ", None),
    ("LAB_PORT", "6000", Some("6000")),
    ("LAB_PORT", " 6000 ", Some("6000")),
    ("LAB_PORT", "6000\n", Some("6000")),
    ("LAB_PORT", "0", Some("0")),
    ("LAB_PORT", "65535", Some("65535")),
    ("LAB_PORT", "65536", None),
    ("LAB_PORT", "-1", None),
    ("LAB_PORT", "abc", None),
    ("LAB_PORT", "60 00", None),
    ("LAB_PORT", "", None),
    ("LAB_BUFFER_SIZE", "1024", Some("1024")),
    ("LAB_BUFFER_SIZE", " 30 ", Some("30")),
    ("LAB_BUFFER_SIZE", "1", Some("1")),
    ("LAB_BUFFER_SIZE", "16777216", Some("16777216")),
    ("LAB_BUFFER_SIZE", "16777217", None),
    ("LAB_BUFFER_SIZE", "0", None),
    ("LAB_BUFFER_SIZE", "1k", None),
    ("LAB_TIMEOUT", "5", Some("5")),
    ("LAB_TIMEOUT", " 2\n", Some("2")),
    ("LAB_TIMEOUT", "1", Some("1")),
    ("LAB_TIMEOUT", "86400", Some("86400")),
    ("LAB_TIMEOUT", "86401", None),
    ("LAB_TIMEOUT", "0", None),
    ("LAB_TIMEOUT", "2.5", None),
    ("LAB_TIMEOUT", "-1", None),
    ("LAB_TIMEOUT", "5s", None),
    ("LAB_TIMEOUT", "", None),
    ("LAB_MAX_CLIENTS", "64", Some("64")),
    ("LAB_MAX_CLIENTS", " 1 ", Some("1")),
    ("LAB_MAX_CLIENTS", "100000", Some("100000")),
    ("LAB_MAX_CLIENTS", "100001", None),
    ("LAB_MAX_CLIENTS", "0", None),
    ("LAB_MAX_CLIENTS", "many", None),
];
// END shared config cases

/// The settings every program shares, as command-line flags backed by
/// environment variables. Flatten it into a binary's clap parser.
#[derive(Debug, Clone, Args)]
pub struct ConfigArgs {
    /// Address to bind (server) or connect to (client)
    #[arg(long, env = "LAB_HOST", default_value = DEFAULT_HOST, value_parser = parse_host)]
    pub host: String,

    /// TCP port; 0 on a server means any free port
    #[arg(long, env = "LAB_PORT", default_value_t = DEFAULT_PORT, value_parser = parse_port)]
    pub port: u16,

    /// Bytes per receive
    #[arg(
        long,
        env = "LAB_BUFFER_SIZE",
        default_value_t = DEFAULT_BUFFER_SIZE as u32,
        value_parser = parse_buffer_size
    )]
    pub buffer_size: u32,

    /// Seconds to wait for the other side (a whole number, 1 to 86400)
    #[arg(long, env = "LAB_TIMEOUT", default_value = "5", value_parser = parse_timeout)]
    pub timeout: Duration,
}

/// The threaded server's extra setting.
#[derive(Debug, Clone, Args)]
pub struct MaxClientsArgs {
    /// Clients served at once; one more is told the server is busy
    #[arg(
        long,
        env = "LAB_MAX_CLIENTS",
        default_value_t = DEFAULT_MAX_CLIENTS as u32,
        value_parser = parse_max_clients
    )]
    pub max_clients: u32,
}

/// A setting's rule, as a check of its text (the value itself is clap's).
type Rule = fn(&str) -> Result<(), String>;

/// Each `LAB_*` variable, the flag that overrides it, and its rule.
const ENV_SETTINGS: [(&str, &str, Rule); 5] = [
    ("--host", "LAB_HOST", |t| parse_host(t).map(drop)),
    ("--port", "LAB_PORT", |t| parse_port(t).map(drop)),
    ("--buffer-size", "LAB_BUFFER_SIZE", |t| {
        parse_buffer_size(t).map(drop)
    }),
    ("--timeout", "LAB_TIMEOUT", |t| parse_timeout(t).map(drop)),
    ("--max-clients", "LAB_MAX_CLIENTS", |t| {
        parse_max_clients(t).map(drop)
    }),
];

/// Parses a binary's command line. On a usage error, prints one message
/// that names where the bad value came from, then exits 2.
pub fn parse_args<T: clap::Parser>() -> T {
    parse_args_with_tip(|_| None)
}

/// [`parse_args`], and `tip` may add a line of advice of the binary's own
/// to clap's message (the client's "put the message in quotes").
pub fn parse_args_with_tip<T: clap::Parser>(tip: fn(&clap::Error) -> Option<String>) -> T {
    use clap::error::ErrorKind;
    let error = match T::try_parse() {
        Ok(parsed) => return parsed,
        Err(error) => error,
    };
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        error.exit();
    }
    // Trap: clap names the flag even when the value came from the
    // environment, and a student who never typed `--port` looks for it in
    // vain. When the flag was not typed, the variable is the culprit.
    if let Some((var, value, why)) = bad_env_value(&error) {
        eprintln!("error: invalid value {value:?} in the environment variable {var}: {why}");
        let flag = ENV_SETTINGS.iter().find(|s| s.1 == var).map_or("", |s| s.0);
        eprintln!("  tip: fix it or remove it (unset {var}), or override it with {flag}");
        std::process::exit(2)
    }
    let _ = error.print();
    if let Some(tip) = tip(&error) {
        eprintln!("tip: {tip}");
    }
    std::process::exit(if error.use_stderr() { 2 } else { 0 })
}

/// When `error` is about a value that came from a `LAB_*` variable (its
/// flag was not typed): the variable, its text and what is wrong with it.
fn bad_env_value(error: &clap::Error) -> Option<(&'static str, String, String)> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if !matches!(
        error.kind(),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation
    ) {
        return None;
    }
    let Some(ContextValue::String(arg)) = error.get(ContextKind::InvalidArg) else {
        return None;
    };
    let typed: Vec<String> = std::env::args().skip(1).collect();
    ENV_SETTINGS.iter().find_map(|&(flag, var, rule)| {
        let given = typed
            .iter()
            .any(|a| a == flag || a.starts_with(&format!("{flag}=")));
        if given || !arg.starts_with(&format!("{flag} ")) {
            return None;
        }
        let value = std::env::var(var).ok()?;
        let why = rule(&value).err()?;
        Some((var, value, why))
    })
}

/// The configuration library code takes: plain values, no parsing.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub host: String,
    pub port: u16,
    pub buffer_size: usize,
    pub timeout: Duration,
    pub max_clients: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: DEFAULT_HOST.to_string(),
            port: DEFAULT_PORT,
            buffer_size: DEFAULT_BUFFER_SIZE,
            timeout: Duration::from_secs(DEFAULT_TIMEOUT_SECS),
            max_clients: DEFAULT_MAX_CLIENTS,
        }
    }
}

impl Config {
    /// `host:port` as a person would write it (`[::1]:5000` for IPv6).
    pub fn addr(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The socket addresses `host:port` stands for (a name such as
    /// `localhost` may stand for both 127.0.0.1 and ::1).
    pub fn socket_addrs(&self) -> std::io::Result<Vec<SocketAddr>> {
        Ok((self.host.as_str(), self.port).to_socket_addrs()?.collect())
    }

    /// Sets the threaded server's limit.
    pub fn with_max_clients(mut self, args: &MaxClientsArgs) -> Config {
        self.max_clients = args.max_clients as usize;
        self
    }
}

impl From<ConfigArgs> for Config {
    fn from(args: ConfigArgs) -> Config {
        Config {
            host: args.host,
            port: args.port,
            buffer_size: args.buffer_size as usize,
            timeout: args.timeout,
            ..Config::default()
        }
    }
}

/// Parses a number of seconds, whole or fractional, greater than zero
/// (the chat server's `--idle-timeout 0.5`).
pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a number of seconds"))?;
    if !secs.is_finite() || secs <= 0.0 {
        return Err("must be more than 0 seconds".to_string());
    }
    if secs > MAX_TIMEOUT_SECS as f64 {
        return Err(format!("must be at most {MAX_TIMEOUT_SECS} seconds"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// `LAB_PORT`: 0 to 65535, spaces around it ignored.
pub fn parse_port(text: &str) -> Result<u16, String> {
    text.trim()
        .parse()
        .map_err(|_| "not a port number (0 to 65535)".to_string())
}

/// A whole number from `min` to `max`, spaces around it ignored.
fn whole_in_range<T>(text: &str, min: T, max: T, unit: &str) -> Result<T, String>
where
    T: std::str::FromStr + PartialOrd + fmt::Display + Copy,
{
    match text.trim().parse::<T>() {
        Ok(n) if n >= min && n <= max => Ok(n),
        _ => Err(format!("not a whole number of {unit} from {min} to {max}")),
    }
}

/// `LAB_BUFFER_SIZE`: 1 to 16 MiB.
pub fn parse_buffer_size(text: &str) -> Result<u32, String> {
    whole_in_range(text, 1, MAX_BUFFER_SIZE, "bytes")
}

/// `LAB_TIMEOUT`: a whole number of seconds, 1 to 86400 (one day). Whole
/// because the starter keeps it as `timeout_secs: u64`, as the grader sets
/// it; 0 would mean "no timeout" to some socket APIs and "fail at once" to
/// others, so it is refused.
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    whole_in_range(text, 1, MAX_TIMEOUT_SECS, "seconds").map(Duration::from_secs)
}

/// `LAB_MAX_CLIENTS`: 1 to 100000.
pub fn parse_max_clients(text: &str) -> Result<u32, String> {
    whole_in_range(text, 1, MAX_MAX_CLIENTS, "clients")
}

/// Accepts an IP address or a host name that resolves (e.g. `localhost`).
pub fn parse_host(text: &str) -> Result<String, String> {
    let host = text.trim();
    if host.is_empty() {
        return Err("the host is empty".to_string());
    }
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err("the host is empty".to_string());
    }
    let resolves = (host, 0)
        .to_socket_addrs()
        .map(|mut addrs| addrs.next().is_some())
        .unwrap_or(false);
    if resolves {
        Ok(host.to_string())
    } else {
        Err(format!(
            "'{host}' is not an IP address or a known host name"
        ))
    }
}

/// Formats a duration the way the console lines do: `5s`, `1.5s`.
pub struct Seconds(pub Duration);

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        if d.subsec_nanos() == 0 {
            write!(f, "{}s", d.as_secs())
        } else {
            // Up to three decimals, without trailing zeros: 1.5s, 0.25s.
            let text = format!("{:.3}", d.as_secs_f64());
            write!(f, "{}s", text.trim_end_matches('0').trim_end_matches('.'))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        config: ConfigArgs,
    }

    #[test]
    fn seconds_accepts_whole_and_fractional_values() {
        assert_eq!(parse_seconds("5"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_seconds("0.5"), Ok(Duration::from_millis(500)));
        assert!(parse_seconds("0").is_err());
        assert!(parse_seconds("-1").is_err());
        assert!(parse_seconds("abc").is_err());
        assert!(parse_seconds("inf").is_err());
    }

    #[test]
    fn flags_parse_into_a_config() {
        let cli = Cli::try_parse_from([
            "x",
            "--host",
            "::1",
            "--port",
            "0",
            "--buffer-size",
            "30",
            "--timeout",
            " 7 ",
        ])
        .unwrap();
        let config = Config::from(cli.config);
        assert_eq!(config.host, "::1");
        assert_eq!(config.port, 0);
        assert_eq!(config.buffer_size, 30);
        assert_eq!(config.timeout, Duration::from_secs(7));
        assert_eq!(config.addr(), "[::1]:0");
    }

    #[test]
    fn bad_values_are_usage_errors() {
        for args in [
            ["x", "--port", "abc"],
            ["x", "--port", "70000"],
            ["x", "--buffer-size", "0"],
            ["x", "--timeout", "0"],
            ["x", "--timeout", "2.5"],
        ] {
            let err = Cli::try_parse_from(args).err().expect("rejected");
            assert_eq!(err.exit_code(), 2, "{args:?}");
        }
    }

    /// The reference's side of the table the lab's starter shares.
    fn parsed(var: &str, text: &str) -> Result<String, String> {
        match var {
            "LAB_HOST" => parse_host(text),
            "LAB_PORT" => parse_port(text).map(|v| v.to_string()),
            "LAB_BUFFER_SIZE" => parse_buffer_size(text).map(|v| v.to_string()),
            "LAB_TIMEOUT" => parse_timeout(text).map(|v| v.as_secs().to_string()),
            "LAB_MAX_CLIENTS" => parse_max_clients(text).map(|v| v.to_string()),
            _ => panic!("unknown variable {var}"),
        }
    }

    #[test]
    fn the_shared_cases_hold_for_the_reference() {
        for &(var, text, want) in SHARED_CASES {
            let got = parsed(var, text);
            assert_eq!(got.as_deref().ok(), want, "{var}={text:?} gave {got:?}");
        }
    }

    #[test]
    fn seconds_display_like_a_person_writes_them() {
        assert_eq!(Seconds(Duration::from_secs(5)).to_string(), "5s");
        assert_eq!(Seconds(Duration::from_millis(1500)).to_string(), "1.5s");
        assert_eq!(Seconds(Duration::from_millis(250)).to_string(), "0.25s");
    }
}
