//! The one place for the Week 1 settings: the `LAB_*` environment variables.
//!
//! Every program reads its settings from the environment, so the grader (and
//! you) can move it to another port without editing code. All five programs
//! use this one `Config`: a new setting, or a new default, goes here and
//! nowhere else. A program simply ignores the fields it does not need.

use std::str::FromStr;

/// The settings every Week 1 program reads from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `LAB_HOST` (default `127.0.0.1`, the loopback): the address a server
    /// binds, or the one a client connects to.
    pub host: String,
    /// `LAB_PORT` (default `5000`): the TCP port. On a server, 0 means "any
    /// free port": the operating system picks one, and your Listening line
    /// must print it.
    pub port: u16,
    /// `LAB_BUFFER_SIZE` (default `1024`): at most this many bytes per read.
    pub buffer_size: usize,
    /// `LAB_TIMEOUT` (default `5`): seconds a client waits for a reply and a
    /// server for a connected client's data; also how long the threaded
    /// server's shutdown waits for the clients in flight.
    pub timeout_secs: u64,
    /// `LAB_MAX_CLIENTS` (default `64`): threaded server only, how many
    /// clients it serves at once.
    pub max_clients: usize,
}

impl Config {
    /// Reads the `LAB_*` variables, with the defaults for those not set.
    /// A value that does not parse is an error that names the variable; the
    /// programs report it as a usage error (exit 2).
    pub fn from_env() -> Result<Config, String> {
        Ok(Config {
            host: env_or("LAB_HOST", "127.0.0.1".to_string())?,
            port: env_or("LAB_PORT", 5000)?,
            buffer_size: env_or("LAB_BUFFER_SIZE", 1024)?,
            timeout_secs: env_or("LAB_TIMEOUT", 5)?,
            max_clients: env_or("LAB_MAX_CLIENTS", 64)?,
        })
    }
}

/// The value of the environment variable `name`, or `default` when it is not
/// set (or not valid Unicode).
fn env_or<T: FromStr>(name: &str, default: T) -> Result<T, String> {
    parse_or(name, std::env::var(name).ok(), default)
}

/// Parses `raw`, the text of the variable `name` (`None` when it is not set),
/// or gives `default`. Surrounding whitespace is ignored. A value that does not
/// parse is an error that names the variable and quotes the bad text.
///
/// Taking the raw text instead of reading the environment itself keeps this
/// testable: tests run in parallel threads of one process, which share one
/// environment, so a test that sets `LAB_PORT` would disturb the others.
fn parse_or<T: FromStr>(name: &str, raw: Option<String>, default: T) -> Result<T, String> {
    match raw {
        Some(text) => text
            .trim()
            .parse()
            .map_err(|_| format!("{name}={text:?} is not a valid value")),
        None => Ok(default),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_or;

    #[test]
    fn config_unset_gives_the_default() {
        assert_eq!(parse_or("LAB_PORT", None, 5000u16), Ok(5000));
        assert_eq!(
            parse_or("LAB_HOST", None, "127.0.0.1".to_string()),
            Ok("127.0.0.1".to_string())
        );
    }

    #[test]
    fn config_value_is_parsed_and_trimmed() {
        assert_eq!(parse_or("LAB_PORT", Some("6000".into()), 5000u16), Ok(6000));
        assert_eq!(parse_or("LAB_TIMEOUT", Some(" 2\n".into()), 5u64), Ok(2));
    }

    #[test]
    fn config_bad_value_names_the_variable() {
        let error = parse_or("LAB_PORT", Some("70000".into()), 5000u16).unwrap_err();
        assert_eq!(error, r#"LAB_PORT="70000" is not a valid value"#);
        let error = parse_or("LAB_BUFFER_SIZE", Some("big".into()), 1024usize).unwrap_err();
        assert!(error.contains("LAB_BUFFER_SIZE"), "{error}");
    }
}
