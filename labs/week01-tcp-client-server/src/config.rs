//! The one place for the Week 1 settings: the `LAB_*` environment variables.
//!
//! Every program reads its settings from the environment, so the grader (and
//! you) can move it to another port without editing code. All five programs
//! use this one `Config`: a new setting, or a new default, goes here and
//! nowhere else. A program simply ignores the fields it does not need.
//!
//! The rules are the reference programs' rules, value for value (the table
//! of cases at the bottom is checked on both sides): spaces around a value
//! are ignored; the timeout is a whole number of seconds, 1 to 86400 (`0`
//! and `2.5` are refused); see each field for its range.

use std::net::ToSocketAddrs;

/// The settings every Week 1 program reads from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `LAB_HOST` (default `127.0.0.1`, the loopback): the address a server
    /// binds, or the one a client connects to. An IP address (`[::1]` may
    /// keep its brackets) or a name that resolves, such as `localhost`.
    pub host: String,
    /// `LAB_PORT` (default `5000`, 0 to 65535): the TCP port. On a server,
    /// 0 means "any free port": the operating system picks one, and your
    /// Listening line must print it.
    pub port: u16,
    /// `LAB_BUFFER_SIZE` (default `1024`, 1 to 16777216): at most this many
    /// bytes per read.
    pub buffer_size: usize,
    /// `LAB_TIMEOUT` (default `5`, a whole number from 1 to 86400): seconds
    /// a client waits for a reply and a server for a connected client's
    /// data; also how long the threaded server's shutdown waits for the
    /// clients in flight.
    pub timeout_secs: u64,
    /// `LAB_MAX_CLIENTS` (default `64`, 1 to 100000): threaded server only,
    /// how many clients it serves at once.
    pub max_clients: usize,
}

impl Config {
    /// Reads the `LAB_*` variables, with the defaults for those not set.
    /// A value that does not parse is an error that names the variable; the
    /// programs report it as a usage error (exit 2).
    pub fn from_env() -> Result<Config, String> {
        Ok(Config {
            host: setting("LAB_HOST", parse_host, "127.0.0.1".to_string())?,
            port: setting("LAB_PORT", parse_port, 5000)?,
            buffer_size: setting("LAB_BUFFER_SIZE", parse_buffer_size, 1024)?,
            timeout_secs: setting("LAB_TIMEOUT", parse_timeout_secs, 5)?,
            max_clients: setting("LAB_MAX_CLIENTS", parse_max_clients, 64)?,
        })
    }
}

/// The variable `name` parsed by `parse`, or `default` when it is not set.
/// A bad value is an error that names the variable and quotes the text.
fn setting<T>(name: &str, parse: fn(&str) -> Result<T, String>, default: T) -> Result<T, String> {
    match std::env::var(name) {
        Ok(text) => parse(&text).map_err(|why| format!("{name}={text:?}: {why}")),
        Err(std::env::VarError::NotPresent) => Ok(default),
        Err(std::env::VarError::NotUnicode(_)) => Err(format!("{name} is not valid text")),
    }
}

// Each rule takes the variable's text. Taking the text instead of reading
// the environment keeps them testable: tests run in parallel threads of one
// process, which share one environment, so a test that set `LAB_PORT` would
// disturb the others.

/// `LAB_HOST`: an IP address or a name that resolves.
fn parse_host(text: &str) -> Result<String, String> {
    let host = text.trim().trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err("the host is empty".to_string());
    }
    // Port 0 is only there because a lookup needs one.
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

/// `LAB_PORT`: 0 to 65535.
fn parse_port(text: &str) -> Result<u16, String> {
    text.trim()
        .parse()
        .map_err(|_| "not a port number (0 to 65535)".to_string())
}

/// A whole number from `min` to `max`, spaces around it ignored.
fn whole_in_range(text: &str, min: u64, max: u64, unit: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("not a whole number of {unit} from {min} to {max}")),
    }
}

/// `LAB_BUFFER_SIZE`: 1 to 16 MiB.
fn parse_buffer_size(text: &str) -> Result<usize, String> {
    whole_in_range(text, 1, 16 * 1024 * 1024, "bytes").map(|n| n as usize)
}

/// `LAB_TIMEOUT`: whole seconds, 1 to 86400 (one day). 0 is refused: to
/// `set_read_timeout` it is an error, to other APIs "wait for ever".
fn parse_timeout_secs(text: &str) -> Result<u64, String> {
    whole_in_range(text, 1, 86_400, "seconds")
}

/// `LAB_MAX_CLIENTS`: 1 to 100000.
fn parse_max_clients(text: &str) -> Result<usize, String> {
    whole_in_range(text, 1, 100_000, "clients").map(|n| n as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    // BEGIN shared config cases
    /// The configuration rules as a table: (variable, its text, the value it
    /// gives or `None` for a usage error). The reference programs (netlab's
    /// src/config.rs) test the same table, and a test there checks the two
    /// copies have the same cases: the starter and the reference accept
    /// exactly the same values.
    const SHARED_CASES: &[(&str, &str, Option<&str>)] = &[
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

    /// The starter's side of the table the reference shares.
    fn parsed(var: &str, text: &str) -> Result<String, String> {
        match var {
            "LAB_HOST" => parse_host(text),
            "LAB_PORT" => parse_port(text).map(|v| v.to_string()),
            "LAB_BUFFER_SIZE" => parse_buffer_size(text).map(|v| v.to_string()),
            "LAB_TIMEOUT" => parse_timeout_secs(text).map(|v| v.to_string()),
            "LAB_MAX_CLIENTS" => parse_max_clients(text).map(|v| v.to_string()),
            _ => panic!("unknown variable {var}"),
        }
    }

    #[test]
    fn config_shared_cases_hold_for_the_starter() {
        for &(var, text, want) in SHARED_CASES {
            let got = parsed(var, text);
            assert_eq!(got.as_deref().ok(), want, "{var}={text:?} gave {got:?}");
        }
    }

    #[test]
    fn config_unset_gives_the_default() {
        // A name nobody sets: the default comes back.
        assert_eq!(
            setting("LAB_NETLAB_UNSET_FOR_TEST", parse_port, 5000),
            Ok(5000)
        );
    }

    #[test]
    fn config_bad_value_names_the_variable_and_quotes_the_text() {
        // `setting` reads the environment; the rules and the message format
        // are what it adds, checked here through a variable set for this
        // test alone.
        std::env::set_var("LAB_NETLAB_PORT_FOR_TEST", "70000");
        let error = setting("LAB_NETLAB_PORT_FOR_TEST", parse_port, 5000).unwrap_err();
        assert_eq!(
            error,
            r#"LAB_NETLAB_PORT_FOR_TEST="70000": not a port number (0 to 65535)"#
        );
        let why = parse_timeout_secs("2.5").unwrap_err();
        assert!(why.contains("whole number of seconds"), "{why}");
    }
}
