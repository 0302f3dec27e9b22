//! `server_threaded`: the Week 1 threaded server (extension D). Parses the
//! command line and hands over to `netlab::threaded`.
//!
//! Exit status: 0 after a clean shutdown (Ctrl+C / SIGTERM), 1 if the server
//! cannot listen, 2 for a usage error.

use std::process::ExitCode;

use clap::Parser;
use netlab::config::{Config, ConfigArgs, MaxClientsArgs};
use netlab::console::Role;
use netlab::shutdown::Shutdown;
use netlab::{ritual, threaded};

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
    let cli = Cli::parse();
    let config = Config::from(cli.config).with_max_clients(&cli.limit);
    let shutdown = match Shutdown::install() {
        Ok(shutdown) => shutdown,
        Err(e) => {
            Role::Server.error(format_args!("cannot handle Ctrl+C: {e}"));
            return ExitCode::FAILURE;
        }
    };
    let listener = match ritual::listen(&config) {
        Ok(listener) => listener,
        Err(e) => {
            Role::Server.error(e);
            return ExitCode::FAILURE;
        }
    };
    match threaded::run(listener, &config, &shutdown) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            Role::Server.error(ritual::plain(&e));
            ExitCode::FAILURE
        }
    }
}
