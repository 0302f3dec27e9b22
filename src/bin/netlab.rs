//! TEMPORARY (trace branch): a minimal `netlab` with only the `trace`
//! subcommand, so the trace can be tried and tested. The lead's version wins.
use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "netlab", version, about = "Network-fundamentals lab harness")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Show the packets of a real session as a sequence diagram.
    Trace(netlab::trace::TraceArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Cmd::Trace(args) => netlab::trace::run(&args),
    }
}
