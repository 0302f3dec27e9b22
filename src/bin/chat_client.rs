//! `chat_client`: the mini chat lab's client. Parses the command line and
//! hands over to `netlab::client::chat`.
//!
//! Exit status: 0 after the session, 1 if it failed, 2 for a usage error.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use netlab::client::{self, ChatInput};
use netlab::config::{Config, ConfigArgs};

/// The helpdesk chat client: sends each message as a line and prints each
/// ACK. With no messages, sends the handout's three; with `-i` (or no
/// messages at a terminal), sends what you type.
#[derive(Parser)]
#[command(version)]
struct Cli {
    #[command(flatten)]
    config: ConfigArgs,

    /// Prompt for messages and send each line typed, until end of input
    #[arg(short, long, conflicts_with = "messages")]
    interactive: bool,

    /// Messages to send, one line each
    #[arg(value_parser = client::check_chat_message)]
    messages: Vec<String>,
}

fn main() -> ExitCode {
    let cli: Cli = netlab::config::parse_args();
    let config = Config::from(cli.config);
    let input = if cli.interactive || (cli.messages.is_empty() && std::io::stdin().is_terminal()) {
        ChatInput::Interactive
    } else if cli.messages.is_empty() {
        ChatInput::Messages(client::DEFAULT_CHAT.map(String::from).to_vec())
    } else {
        ChatInput::Messages(cli.messages)
    };
    match client::chat(&config, input) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            e.print();
            ExitCode::FAILURE
        }
    }
}
