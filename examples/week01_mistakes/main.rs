//! `week01_mistakes`: one student-style Week 1 submission that plays every
//! role -- correctly by default, or with exactly one deliberate mistake.
//!
//! ```text
//! week01_mistakes ROLE [--mistake CODE] [ROLE'S OWN ARGS...]
//!   ROLE: server | client | threaded-server | chat-server | chat-client
//!   CODE: a diagnosis code of `netlab grade week01` (see `--help`)
//! ```
//!
//! The mistake may also come from the environment variable NETLAB_MISTAKE;
//! `--mistake` wins. A code given with `--mistake` that the role cannot make
//! is a usage error; one from NETLAB_MISTAKE is ignored by the roles it does
//! not concern, so one variable can be set for a whole five-role submission.
//!
//! Why it exists: the grader is proven on it. Without a mistake it is a
//! second, independent correct implementation of the Week 1 contract (it uses
//! only std, socket2, ctrlc and chrono -- not the netlab library), and every
//! mistake is a small visible deviation marked `// MISTAKE(code)` at the place
//! where a student would make it, so the files double as teaching material.

mod chat_client;
mod chat_server;
mod client;
mod common;
mod server;
mod threaded;

use common::{Config, Mistake, USAGE};

const ROLES: [&str; 5] = [
    "server",
    "client",
    "threaded-server",
    "chat-server",
    "chat-client",
];

fn usage() -> String {
    let codes: Vec<&str> = Mistake::ALL.iter().map(|m| m.code()).collect();
    format!(
        "usage: week01_mistakes ROLE [--mistake CODE] [ARGS...]\n  \
         ROLE: {}\n  CODE: {}\n  (or set NETLAB_MISTAKE=CODE)",
        ROLES.join(" | "),
        codes.join(", ")
    )
}

fn usage_error(message: &str) -> ! {
    eprintln!("week01_mistakes: {message}");
    eprintln!("{}", usage());
    common::exit(USAGE)
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        usage_error("missing ROLE");
    }
    let role = args.remove(0);
    if role == "-h" || role == "--help" {
        println!("{}", usage());
        common::exit(0);
    }
    if !ROLES.contains(&role.as_str()) {
        usage_error(&format!("unknown role {role:?}"));
    }

    // The mistake: `--mistake CODE` / `--mistake=CODE` right after ROLE, else NETLAB_MISTAKE.
    let mut explicit = None;
    if let Some(first) = args.first().cloned() {
        if first == "--mistake" {
            if args.len() < 2 {
                usage_error("--mistake needs a CODE");
            }
            explicit = Some(args[1].clone());
            args.drain(..2);
        } else if let Some(code) = first.strip_prefix("--mistake=") {
            explicit = Some(code.to_string());
            args.remove(0);
        }
    }
    let from_env = std::env::var("NETLAB_MISTAKE")
        .ok()
        .filter(|c| !c.trim().is_empty());
    let mistake = match (&explicit, &from_env) {
        (Some(code), _) => {
            let m = Mistake::from_code(code)
                .unwrap_or_else(|| usage_error(&format!("unknown mistake code {code:?}")));
            if !m.roles().contains(&role.as_str()) {
                usage_error(&format!(
                    "mistake {code} is not one the {role} role can make (it belongs to: {})",
                    m.roles().join(", ")
                ));
            }
            Some(m)
        }
        (None, Some(code)) => {
            let m = Mistake::from_code(code.trim()).unwrap_or_else(|| {
                usage_error(&format!("unknown mistake code {code:?} in NETLAB_MISTAKE"))
            });
            // A whole submission may share one NETLAB_MISTAKE: other roles run correctly.
            m.roles().contains(&role.as_str()).then_some(m)
        }
        (None, None) => None,
    };
    common::choose_mistake(mistake);

    let cfg = match Config::from_env() {
        Ok(cfg) => cfg,
        Err(message) => {
            eprintln!("[{}] Error: {message}", tag(&role));
            common::exit(USAGE);
        }
    };

    let code = match role.as_str() {
        "server" => server::run(&cfg, &args),
        "client" => client::run(&cfg, &args),
        "threaded-server" => threaded::run(&cfg, &args),
        "chat-server" => chat_server::run(&cfg, &args),
        _ => chat_client::run(&cfg, &args),
    };
    common::exit(code)
}

fn tag(role: &str) -> &'static str {
    if role.ends_with("client") {
        "CLIENT"
    } else {
        "SERVER"
    }
}
