//! `netlab`: the course's command-line tool. Thin: parses arguments and
//! hands over to the library (`netlab::grade`, `netlab::trace`).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Lab harness for the network-fundamentals course.
#[derive(Debug, Parser)]
#[command(name = "netlab", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Grade a submission (any language) against a week's contract.
    ///
    /// Commands come from DIR/netlab.toml, or from the role flags.
    /// Exit status: 0 all checks passed, 1 some failed, 2 could not run.
    Grade(netlab::grade::GradeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Grade(args) => ExitCode::from(netlab::grade::main(&args)),
    }
}
