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
//! `--timeout 0`) are usage errors: clap prints what is wrong and exits 2.

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
const MAX_TIMEOUT_SECS: f64 = 86_400.0;

/// The settings every program shares, as command-line flags backed by
/// environment variables. Flatten it into a binary's clap parser.
#[derive(Debug, Clone, Args)]
pub struct ConfigArgs {
    /// Address to bind (server) or connect to (client)
    #[arg(long, env = "LAB_HOST", default_value = DEFAULT_HOST, value_parser = parse_host)]
    pub host: String,

    /// TCP port; 0 on a server means any free port
    #[arg(long, env = "LAB_PORT", default_value_t = DEFAULT_PORT)]
    pub port: u16,

    /// Bytes per receive
    #[arg(
        long,
        env = "LAB_BUFFER_SIZE",
        default_value_t = DEFAULT_BUFFER_SIZE as u32,
        value_parser = clap::value_parser!(u32).range(1..=MAX_BUFFER_SIZE as i64)
    )]
    pub buffer_size: u32,

    /// Seconds to wait for the other side (whole or fractional, e.g. 2.5)
    #[arg(long, env = "LAB_TIMEOUT", default_value = "5", value_parser = parse_seconds)]
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
        value_parser = clap::value_parser!(u32).range(1..=100_000)
    )]
    pub max_clients: u32,
}

/// The flag each `LAB_*` variable stands for.
const ENV_FLAGS: [(&str, &str); 5] = [
    ("--host", "LAB_HOST"),
    ("--port", "LAB_PORT"),
    ("--buffer-size", "LAB_BUFFER_SIZE"),
    ("--timeout", "LAB_TIMEOUT"),
    ("--max-clients", "LAB_MAX_CLIENTS"),
];

/// Parses a binary's command line. On a usage error, prints clap's message
/// and, when the bad value came from a `LAB_*` variable rather than a flag
/// the user typed, says so (clap names only the flag); then exits 2.
pub fn parse_args<T: clap::Parser>() -> T {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let error = match T::try_parse() {
        Ok(parsed) => return parsed,
        Err(error) => error,
    };
    if !matches!(
        error.kind(),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation
    ) {
        error.exit();
    }
    let _ = error.print();
    if let Some(ContextValue::String(arg)) = error.get(ContextKind::InvalidArg) {
        let typed: Vec<String> = std::env::args().skip(1).collect();
        for (flag, var) in ENV_FLAGS {
            let given = typed
                .iter()
                .any(|a| a == flag || a.starts_with(&format!("{flag}=")));
            if arg.starts_with(&format!("{flag} ")) && !given {
                if let Ok(value) = std::env::var(var) {
                    eprintln!("note: the value comes from the environment: {var}={value:?}");
                }
            }
        }
    }
    std::process::exit(2)
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

/// Parses a number of seconds, whole or fractional, greater than zero.
pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a number of seconds"))?;
    if !secs.is_finite() || secs <= 0.0 {
        return Err("must be more than 0 seconds".to_string());
    }
    if secs > MAX_TIMEOUT_SECS {
        return Err(format!("must be at most {MAX_TIMEOUT_SECS} seconds"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Accepts an IP address or a host name that resolves (e.g. `localhost`).
fn parse_host(text: &str) -> Result<String, String> {
    let host = text.trim();
    if host.is_empty() {
        return Err("the host is empty".to_string());
    }
    let host = host.trim_start_matches('[').trim_end_matches(']');
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
            "1.5",
        ])
        .unwrap();
        let config = Config::from(cli.config);
        assert_eq!(config.host, "::1");
        assert_eq!(config.port, 0);
        assert_eq!(config.buffer_size, 30);
        assert_eq!(config.timeout, Duration::from_millis(1500));
        assert_eq!(config.addr(), "[::1]:0");
    }

    #[test]
    fn bad_values_are_usage_errors() {
        for args in [
            ["x", "--port", "abc"],
            ["x", "--port", "70000"],
            ["x", "--buffer-size", "0"],
            ["x", "--timeout", "0"],
        ] {
            let err = Cli::try_parse_from(args).err().expect("rejected");
            assert_eq!(err.exit_code(), 2, "{args:?}");
        }
    }

    #[test]
    fn seconds_display_like_a_person_writes_them() {
        assert_eq!(Seconds(Duration::from_secs(5)).to_string(), "5s");
        assert_eq!(Seconds(Duration::from_millis(1500)).to_string(), "1.5s");
        assert_eq!(Seconds(Duration::from_millis(250)).to_string(), "0.25s");
    }
}
