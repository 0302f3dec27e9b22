//! `server`: the Week 1 reference server. Parses the command line and hands
//! over to the library: the socket steps in `netlab::ritual`, the session in
//! `netlab::server`.
//!
//! Exit status: 0 after a session (or a clean shutdown), 1 if the server
//! cannot listen, 2 for a usage error.

use std::process::ExitCode;

use clap::Parser;
use netlab::config::{Config, ConfigArgs};
use netlab::server;

/// The Week 1 TCP server: accept one client, receive one message, reply
/// `ACK: <message>`, close.
#[derive(Parser)]
#[command(version)]
struct Cli {
    #[command(flatten)]
    config: ConfigArgs,

    /// Serve clients one after another until Ctrl+C (extension A)
    #[arg(long)]
    forever: bool,

    /// Reply with the message itself instead of `ACK: <message>`
    #[arg(long)]
    echo: bool,
}

fn main() -> ExitCode {
    let cli: Cli = netlab::config::parse_args(); // a usage error prints help and exits 2
    let config = Config::from(cli.config);
    let options = server::Options {
        forever: cli.forever,
        echo: cli.echo,
    };
    server::launch(&config, |listener, shutdown| {
        server::run(listener, &config, options, shutdown)
    })
}
