//! `server_threaded`: the Week 1 threaded server (extension D). Parses the
//! command line and hands over to `netlab::threaded`.
//!
//! Exit status: 0 after a clean shutdown (Ctrl+C / SIGTERM), 1 if the server
//! cannot listen, 2 for a usage error.

use std::process::ExitCode;

use clap::Parser;
use netlab::config::{Config, ConfigArgs, MaxClientsArgs};
use netlab::{server, threaded};

/// The Week 1 threaded TCP server: each client in its own thread, until
/// Ctrl+C.
#[derive(Parser)]
#[command(version)]
struct Cli {
    #[command(flatten)]
    config: ConfigArgs,

    #[command(flatten)]
    limit: MaxClientsArgs,
}

fn main() -> ExitCode {
    let cli: Cli = netlab::config::parse_args();
    let config = Config::from(cli.config).with_max_clients(&cli.limit);
    server::launch(&config, |listener, shutdown| {
        threaded::run(listener, &config, shutdown)
    })
}
