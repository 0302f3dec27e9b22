//! `chat_server`: the mini chat lab's server. Parses the command line, opens
//! the log, and hands over to `netlab::chat`.
//!
//! Exit status: 0 after a clean shutdown (Ctrl+C / SIGTERM), 1 if the server
//! cannot listen or open its log, 2 for a usage error.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use netlab::config::{parse_seconds, Config, ConfigArgs};
use netlab::console::Role;
use netlab::logger::MessageLog;
use netlab::{chat, ritual, server};

/// The helpdesk chat server: sessions one after another, one message per
/// line, each acknowledged with `[ACK @HH:MM:SS] <message>`.
#[derive(Parser)]
#[command(version)]
struct Cli {
    #[command(flatten)]
    config: ConfigArgs,

    /// Append every message to FILE (on disk before its ACK is sent)
    #[arg(long, value_name = "FILE")]
    log: Option<PathBuf>,

    /// Close a session after this many seconds without a message
    #[arg(long, value_name = "SECS", default_value = "120", value_parser = parse_seconds)]
    idle_timeout: Duration,
}

fn main() -> ExitCode {
    let cli: Cli = netlab::config::parse_args();
    let config = Config::from(cli.config);
    let log = match cli.log.as_deref().map(MessageLog::open).transpose() {
        Ok(log) => log,
        Err(e) => {
            let path = cli.log.as_deref().unwrap_or_else(|| "?".as_ref());
            Role::Server.error(format_args!(
                "cannot open the log {}: {}",
                path.display(),
                ritual::plain(&e)
            ));
            return ExitCode::FAILURE;
        }
    };
    let options = chat::Options {
        log,
        idle_timeout: cli.idle_timeout,
    };
    server::launch(&config, |listener, shutdown| {
        chat::run(listener, &config, options, shutdown)
    })
}
