//! What the generic harness needs to know of a lab's contract, and nothing
//! more: how a server says where it listens, which variable gives a program
//! its port, and the environment every program starts with. Each lab's
//! module defines its own ([`crate::grade::week01::CONTRACT`]); the harness
//! reaches it through the role it starts ([`crate::grade::Role::contract`]),
//! so a new week brings its contract instead of editing the harness.

use std::net::SocketAddr;

/// How a lab's programs talk: what a server's socket is, in the system's
/// socket tables, once it is ready for clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// A TCP socket in the LISTEN state.
    Tcp,
    /// A UDP socket bound to its port and connected to no peer.
    Udp,
}

/// One lab's contract, as far as the harness is concerned.
#[derive(Debug)]
pub struct Contract {
    /// How its servers wait for clients (what the harness looks for in
    /// the socket tables while one starts).
    pub transport: Transport,
    /// A server's announcement: this prefix, then `HOST:PORT`.
    pub announce: &'static str,
    /// Lower-case words that mark a reworded announcement (a line to show
    /// when the real one is missing).
    pub announce_words: &'static [&'static str],
    /// The variable that tells a program its host address.
    pub host_var: &'static str,
    /// The variable that tells a program its port.
    pub port_var: &'static str,
    /// The environment every program of the lab starts with: the grader's
    /// values (short timeouts), set before a check's own.
    pub env: &'static [(&'static str, &'static str)],
}

impl Contract {
    /// The announcement naming `addr` (`HOST:PORT`, or a pattern of it).
    pub fn announcement(&self, addr: impl std::fmt::Display) -> String {
        format!("{}{addr}", self.announce)
    }

    /// Does `line` start like an announcement?
    pub fn is_announcement(&self, line: &str) -> bool {
        line.starts_with(self.announce)
    }

    /// The address a well-formed announcement names.
    pub fn parse(&self, line: &str) -> Option<SocketAddr> {
        line.strip_prefix(self.announce)
            .and_then(|rest| rest.trim_end().parse::<SocketAddr>().ok())
    }

    /// Could `line` be a reworded announcement?
    pub fn looks_like_announcement(&self, line: &str) -> bool {
        let line = line.to_lowercase();
        self.announce_words.iter().any(|w| line.contains(w))
    }

    /// The port `env` gives (the contract's variable), if any.
    pub fn port_in<'e>(&self, env: &'e [(&str, String)]) -> Option<&'e str> {
        env.iter()
            .find(|(k, _)| *k == self.port_var)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOY: Contract = Contract {
        transport: Transport::Udp,
        announce: "[UDP] Bound to ",
        announce_words: &["bound"],
        host_var: "TOY_HOST",
        port_var: "TOY_PORT",
        env: &[("TOY_PORT", "0")],
    };

    #[test]
    fn an_announcement_is_made_parsed_and_recognised() {
        let line = TOY.announcement("127.0.0.1:4000");
        assert_eq!(line, "[UDP] Bound to 127.0.0.1:4000");
        assert!(TOY.is_announcement(&line));
        assert_eq!(TOY.parse(&line), Some("127.0.0.1:4000".parse().unwrap()));
        assert_eq!(TOY.parse("[UDP] Bound to somewhere"), None);
        assert!(TOY.looks_like_announcement("udp socket BOUND on 4000"));
        let env = [("OTHER", "1".to_string()), ("TOY_PORT", "4000".to_string())];
        assert_eq!(TOY.port_in(&env), Some("4000"));
    }
}
