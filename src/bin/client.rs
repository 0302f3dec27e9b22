//! `client`: the Week 1 reference client. Parses the command line and hands
//! over to `netlab::client`.
//!
//! Exit status: 0 after a reply, 1 if the session failed (nothing
//! listening, no reply in time, closed without replying), 2 for a usage
//! error such as an empty message.

use std::process::ExitCode;

use clap::Parser;
use netlab::client;
use netlab::config::{Config, ConfigArgs};

/// The Week 1 TCP client: connect, send one message, print the reply, close.
#[derive(Parser)]
#[command(version)]
struct Cli {
    #[command(flatten)]
    config: ConfigArgs,

    /// The message to send
    #[arg(default_value = client::DEFAULT_MESSAGE, value_parser = client::check_message)]
    message: String,
}

fn main() -> ExitCode {
    // An empty message is a usage error (exit 2); so are two words without
    // quotes, with a tip saying to quote them.
    let cli: Cli = netlab::config::parse_args_with_tip(client::quote_tip);
    let config = Config::from(cli.config);
    match client::run(&config, &cli.message) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            e.print();
            ExitCode::FAILURE
        }
    }
}
