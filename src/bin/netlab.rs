//! `netlab`: the course's command-line tool. Thin: parses arguments and
//! hands over to the library (`netlab::grade`, `netlab::trace`,
//! `netlab::demo`).

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
    /// The Week 1 classroom demo: one session between the reference server
    /// and client, shown as a timeline tagged with the socket ritual's steps.
    ///
    /// Side by side on a wide terminal, one column otherwise.
    /// Exit status: 0 the session worked, 1 it did not, 2 could not start.
    Demo(netlab::demo::DemoArgs),
    /// Join the outputs of class runs (`grade --class --shard I/N`) into one
    /// gradebook, summary and page.
    Merge(netlab::grade::class::MergeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Everything netlab starts runs in a process group of its own, out of
    // reach of the terminal's Ctrl+C: stop it ourselves before we go.
    // A grade run then prints what it has and exits 130 by itself; a
    // second Ctrl+C (or any other command) exits at once.
    let _ = ctrlc::set_handler(|| {
        // First the flags (so checks killed next count as interrupted, not
        // failed, and a class run keeps none of them), then the kill.
        netlab::grade::class::stop();
        let grade_reports = netlab::grade::live::interrupt();
        netlab::process::kill_all();
        if !grade_reports {
            // A demo cut short says so (the shell's prompt would otherwise
            // land on its `⏎ next step` line).
            if let Some(words) = netlab::demo::interrupted() {
                use std::io::Write;
                let mut out = std::io::stdout();
                let _ = out.write_all(words.as_bytes());
                let _ = out.flush();
            }
            // A class run says what it kept (and erases its status line).
            if let Some(words) = netlab::grade::class::interrupted() {
                eprint!("{words}");
            }
            // No Drop runs after exit: remove the sandbox's cgroups and
            // jail folders here.
            netlab::sandbox::cleanup_leftovers();
            std::process::exit(130);
        }
    });
    let code = match cli.command {
        Command::Grade(args) => ExitCode::from(netlab::grade::main(&args)),
        Command::Trace(args) => netlab::trace::run(&args),
        Command::Demo(args) => ExitCode::from(netlab::demo::main(&args)),
        Command::Merge(args) => ExitCode::from(netlab::grade::class::merge_main(&args)),
    };
    // After an interrupted grade, checks left on detached threads still
    // hold sandboxes that no Drop will remove.
    netlab::process::kill_all();
    netlab::sandbox::cleanup_leftovers();
    code
}
