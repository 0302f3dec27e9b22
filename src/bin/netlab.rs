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

// Parsed once per run: the size of the biggest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Command {
    /// Grade a submission (any language) against a week's contract.
    ///
    /// Commands come from DIR/netlab.toml, or from the role flags.
    /// Exit status: 0 all checks passed, 1 some failed, 2 could not run.
    Grade(netlab::grade::GradeArgs),
    /// Show the packets of a real session as a sequence diagram.
    ///
    /// Runs a server and a client on loopback, captures their TCP segments
    /// (root or CAP_NET_RAW; otherwise shows the kernel's socket states),
    /// and writes them to a .pcap file.
    Trace(netlab::trace::TraceArgs),
    /// Join the outputs of class runs (`grade --class --shard I/N`) into one
    /// gradebook, summary and page.
    Merge(netlab::grade::class::MergeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Everything netlab starts runs in a process group of its own, out of
    // reach of the terminal's Ctrl+C: stop it ourselves before we go.
    let _ = ctrlc::set_handler(|| {
        netlab::process::kill_all();
        std::process::exit(130);
    });
    match cli.command {
        Command::Grade(args) => ExitCode::from(netlab::grade::main(&args)),
        Command::Trace(args) => netlab::trace::run(&args),
        Command::Merge(args) => ExitCode::from(netlab::grade::class::merge_main(&args)),
    }
}
