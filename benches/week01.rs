//! `cargo bench`: the speed targets of Week 1, measured, not asserted.
//!
//! Tests bound their waits generously and never time anything; this is
//! where the targets live:
//! - `netlab grade week01` on a correct submission: under 15 s;
//! - `netlab trace` of one session: under 3 s.
//!
//! - the sandbox's cost on the grading time of a correct submission (the
//!   reference programs), with every layer the machine allows against
//!   `NETLAB_SANDBOX=none`: under 10%.
//!
//! Each command runs a few times; the report gives the median and says
//! whether it meets its target. Runs only on loopback, bounded in count.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 3;

struct Bench {
    name: &'static str,
    target: Duration,
    command: Command,
}

fn netlab(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_netlab"));
    cmd.args(args);
    cmd
}

fn bin(name: &str) -> String {
    Path::new(env!("CARGO_BIN_EXE_netlab"))
        .with_file_name(format!("{name}{}", std::env::consts::EXE_SUFFIX))
        .to_string_lossy()
        .into_owned()
}

fn main() {
    let root = env!("CARGO_MANIFEST_DIR");
    let reference = [
        ("--server", bin("server")),
        ("--client", bin("client")),
        ("--threaded-server", bin("server_threaded")),
        ("--chat-server", bin("chat_server")),
        ("--chat-client", bin("chat_client")),
    ];
    let grade_reference_command = || {
        let mut cmd = netlab(&["grade", "week01", "--format", "json"]);
        for (flag, program) in &reference {
            cmd.arg(flag).arg(program);
        }
        cmd
    };
    let grade_reference = grade_reference_command();
    // As root (or with CAP_NET_RAW) a grade run captures each check's
    // packets for wire evidence; the same run without capture shows its cost.
    let mut no_capture = grade_reference_command();
    no_capture.env("NETLAB_GRADE_NO_CAPTURE", "1");
    let mut benches = vec![
        Bench {
            name: "grade week01, reference programs",
            target: Duration::from_secs(15),
            command: grade_reference,
        },
        Bench {
            name: "  the same, packet capture off",
            target: Duration::from_secs(15),
            command: no_capture,
        },
    ];
    if Command::new("python3").arg("--version").output().is_ok() {
        let dir = format!("{root}/tests/submissions/week01-python");
        benches.push(Bench {
            name: "grade week01, Python submission",
            target: Duration::from_secs(15),
            command: netlab(&["grade", "week01", "--format", "json", "--dir", &dir]),
        });
    }
    let pcap = std::env::temp_dir().join("netlab-bench.pcap");
    benches.push(Bench {
        name: "trace, one reference session",
        target: Duration::from_secs(3),
        command: netlab(&["trace", "--pcap", &pcap.to_string_lossy()]),
    });

    println!(
        "{:<36} {:>10} {:>10}  verdict",
        "benchmark", "median", "target"
    );
    let mut over = 0;
    for mut bench in benches {
        let mut times = Vec::new();
        let mut failed = None;
        for _ in 0..RUNS {
            let started = Instant::now();
            match bench.command.output() {
                Ok(out) if out.status.success() => times.push(started.elapsed()),
                Ok(out) => failed = Some(format!("exit {:?}", out.status.code())),
                Err(e) => failed = Some(e.to_string()),
            }
        }
        if let Some(why) = failed {
            println!(
                "{:<36} {:>10} {:>10.1?}  could not run: {why}",
                bench.name, "-", bench.target
            );
            over += 1;
            continue;
        }
        times.sort();
        let median = times[times.len() / 2];
        let verdict = if median <= bench.target {
            "ok"
        } else {
            "OVER TARGET"
        };
        if median > bench.target {
            over += 1;
        }
        println!(
            "{:<36} {:>10.2?} {:>10.1?}  {verdict}",
            bench.name, median, bench.target
        );
    }
    let _ = std::fs::remove_file(&pcap);
    if !sandbox_cost(grade_reference_command) {
        over += 1;
    }
    if over > 0 {
        println!("{over} benchmark(s) missed the target");
    }
}

/// Grades the reference programs alternately with and without the sandbox
/// and compares the medians. Returns whether the cost is under 10%.
fn sandbox_cost(command: impl Fn() -> Command) -> bool {
    const PAIRS: usize = 5;
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for _ in 0..PAIRS {
        for (mode, times) in [(None, &mut with), (Some("none"), &mut without)] {
            let mut cmd = command();
            match mode {
                Some(mode) => cmd.env("NETLAB_SANDBOX", mode),
                None => cmd.env_remove("NETLAB_SANDBOX"),
            };
            let started = Instant::now();
            match cmd.output() {
                Ok(out) if out.status.success() => times.push(started.elapsed()),
                Ok(out) => {
                    println!("sandbox cost: could not run (exit {:?})", out.status.code());
                    return false;
                }
                Err(e) => {
                    println!("sandbox cost: could not run: {e}");
                    return false;
                }
            }
        }
    }
    with.sort();
    without.sort();
    let (with, without) = (with[PAIRS / 2], without[PAIRS / 2]);
    let cost = (with.as_secs_f64() / without.as_secs_f64() - 1.0) * 100.0;
    let ok = cost < 10.0;
    println!(
        "{:<36} {:>10.2?} {:>10}  {} (without: {:.2?}, cost {cost:+.1}%)",
        "grade week01 reference, sandboxed",
        with,
        "+10%",
        if ok { "ok" } else { "OVER TARGET" },
        without
    );
    ok
}
