//! `cargo bench --bench grade_class`: class grading, measured, not asserted.
//!
//! Builds a class of 200 submissions from the project's own fixtures
//! (correct and broken, Python and compiled: the Python submission and its
//! mistake files, the reference binaries, `examples/week01_mistakes` with
//! one mistake each) and grades it with `netlab grade week01 --class`,
//! then compares with the same submissions graded one at a time
//! (`netlab grade week01 --dir SUB`, one after the other). Targets:
//! - the class in at most 10 minutes on a 2-core machine;
//! - at least 1.7 times faster than one at a time;
//! - netlab's own CPU time at most 10% of the total: the grader process
//!   (getrusage) plus its helpers in the sandbox (each program's launcher,
//!   and its pid namespace's waiter and init), versus the programs it ran, as the sandbox's
//!   cgroups counted them (OUT/run.json; see sandbox::CpuSpent).
//!
//! Grading 200 submissions one at a time takes the better part of an hour
//! here, so by default only a sample is (every 10th: NETLAB_BENCH_SAMPLE
//! sets how many) and its time is scaled to the class; NETLAB_BENCH_SAMPLE=200
//! runs them all. NETLAB_BENCH_CLASS sets the class size, NETLAB_BENCH_JOBS
//! the submissions graded at once (default 8). The sample's results are also
//! compared with the class run's: parallel grading must not change a grade.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn netlab() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_netlab"))
}

/// The folder of netlab's builds (target/<profile>), trusted for the
/// class's programs (`NETLAB_TRUST`). Trap: without it the filesystem
/// allowlist keeps every compiled submission from starting (netlab's own
/// programs are carved out), and the bench measured 30 cannot-starts
/// instead of 30 gradings.
fn builds() -> PathBuf {
    netlab().parent().unwrap().to_path_buf()
}

fn bin(name: &str) -> String {
    netlab()
        .with_file_name(format!("{name}{}", std::env::consts::EXE_SUFFIX))
        .display()
        .to_string()
}

/// target/<profile>/examples/week01_mistakes. Trap: `cargo bench` does not
/// build examples (`cargo test` does): without this build, every "mistake"
/// submission silently ran the reference (seen: 38/38 each).
fn mistakes_program() -> Option<String> {
    let program = netlab()
        .parent()?
        .join("examples")
        .join(format!("week01_mistakes{}", std::env::consts::EXE_SUFFIX));
    if !program.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let profile = netlab()
            .parent()?
            .file_name()?
            .to_string_lossy()
            .into_owned();
        let mut build = Command::new(cargo);
        build
            .args(["build", "--quiet", "--example", "week01_mistakes"])
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        if profile == "release" {
            build.arg("--release");
        }
        eprintln!("building examples/week01_mistakes ({profile})...");
        let built = build.status().is_ok_and(|s| s.success());
        if !built {
            eprintln!("cannot build examples/week01_mistakes: the class has no compiled mistakes");
        }
    }
    program.exists().then(|| program.display().to_string())
}

fn write_manifest(dir: &Path, commands: &[(&str, String)]) {
    std::fs::create_dir_all(dir).unwrap();
    let mut text = String::from("lab = \"week01\"\n\n[commands]\n");
    for (role, cmd) in commands {
        text.push_str(&format!("{role} = \"{}\"\n", cmd.replace('"', "\\\"")));
    }
    std::fs::write(dir.join("netlab.toml"), text).unwrap();
}

fn copy_files(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        if entry.path().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// The mistake codes the catalogue program knows (from its usage text).
fn mistake_codes(program: &str) -> Vec<String> {
    let out = Command::new(program).arg("--help").output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines()
        .find_map(|l| l.trim().strip_prefix("CODE: "))
        .map(|codes| codes.split(", ").map(str::to_string).collect())
        .unwrap_or_default()
}

/// Submission `i` of the class: four kinds in turn.
fn build_class(dir: &Path, size: usize, python: bool) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let py = root.join("tests/submissions/week01-python");
    let py_mistakes = root.join("tests/submissions/week01-python-mistakes");
    let py_variants = [
        ("server", "server_no_empty_check.py"),
        ("server", "server_decode_crash.py"),
        ("server", "server_no_flush.py"),
        ("client", "client_no_timeout.py"),
        ("threaded-server", "server_threaded_shared.py"),
    ];
    let mistakes = mistakes_program();
    let codes = mistakes.as_deref().map(mistake_codes).unwrap_or_default();
    let roles = [
        "server",
        "client",
        "threaded-server",
        "chat-server",
        "chat-client",
    ];
    let reference: Vec<(&str, String)> = vec![
        ("server", bin("server")),
        ("client", bin("client")),
        ("threaded-server", bin("server_threaded")),
        ("chat-server", bin("chat_server")),
        ("chat-client", bin("chat_client")),
    ];
    for i in 0..size {
        let kind = if python { i % 4 } else { 2 + i % 2 };
        match kind {
            0 => copy_files(&py, &dir.join(format!("s{i:03}-py-correct"))),
            1 => {
                let (role, file) = py_variants[(i / 4) % py_variants.len()];
                let sub = dir.join(format!("s{i:03}-py-mistake"));
                copy_files(&py, &sub);
                std::fs::copy(py_mistakes.join(file), sub.join(file)).unwrap();
                let mut commands: Vec<(&str, String)> = roles
                    .iter()
                    .map(|r| {
                        let script = match *r {
                            "server" => "server.py",
                            "client" => "client.py",
                            "threaded-server" => "server_threaded.py",
                            "chat-server" => "chat_server.py",
                            _ => "chat_client.py",
                        };
                        (*r, format!("python3 {script}"))
                    })
                    .collect();
                for c in commands.iter_mut().filter(|c| c.0 == role) {
                    c.1 = format!("python3 {file}");
                }
                write_manifest(&sub, &commands);
            }
            2 => write_manifest(&dir.join(format!("s{i:03}-rs-reference")), &reference),
            _ => {
                let sub = dir.join(format!("s{i:03}-rs-mistake"));
                match (&mistakes, codes.is_empty()) {
                    (Some(program), false) => {
                        // `env` sets the mistake for every role; the roles
                        // it does not concern ignore it.
                        let code = &codes[(i / 4) % codes.len()];
                        let commands: Vec<(&str, String)> = roles
                            .iter()
                            .map(|r| (*r, format!("env NETLAB_MISTAKE={code} {program} {r}")))
                            .collect();
                        write_manifest(&sub, &commands);
                    }
                    // Said, never hidden: these are then correct.
                    _ => {
                        eprintln!("{}: the reference (no mistake program)", sub.display());
                        write_manifest(&sub, &reference)
                    }
                }
            }
        }
    }
}

/// pass/fail per check of a JSON report (`checks[]`).
fn verdicts(report: &serde_json::Value) -> Vec<(String, Option<bool>)> {
    report["checks"]
        .as_array()
        .map(|checks| {
            checks
                .iter()
                .map(|c| {
                    (
                        c["id"].as_str().unwrap_or_default().to_string(),
                        c["passed"].as_bool(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn main() {
    let size = env_usize("NETLAB_BENCH_CLASS", 200);
    let sample = env_usize("NETLAB_BENCH_SAMPLE", size / 10).clamp(1, size);
    let jobs = env_usize("NETLAB_BENCH_JOBS", 8);
    let python = Command::new("python3").arg("--version").output().is_ok();
    let tmp = tempfile::tempdir().unwrap();
    let class = tmp.path().join("class");
    build_class(&class, size, python);
    println!(
        "class grading bench: {size} submissions ({}), --jobs {jobs}",
        if python {
            "Python and compiled, correct and broken"
        } else {
            "compiled only: python3 missing"
        }
    );

    // The class, all at once.
    let out = tmp.path().join("out");
    let started = Instant::now();
    let status = Command::new(netlab())
        .args(["grade", "week01", "--class"])
        .arg(&class)
        .arg("--out")
        .arg(&out)
        .args(["--seed", "1", "--jobs", &jobs.to_string()])
        .env("NETLAB_TRUST", builds())
        .status()
        .unwrap();
    let class_wall = started.elapsed();
    assert!(status.success(), "the class run failed: {status}");
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();

    // One at a time, on every (size/sample)th submission.
    let mut names: Vec<PathBuf> = std::fs::read_dir(&class)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    names.sort();
    let step = size / sample;
    let picked: Vec<&PathBuf> = names.iter().step_by(step.max(1)).take(sample).collect();
    let mut one_by_one = Duration::ZERO;
    let mut disagreements = Vec::new();
    for dir in &picked {
        let started = Instant::now();
        let output = Command::new(netlab())
            .args([
                "grade", "week01", "--format", "json", "--seed", "1", "--dir",
            ])
            .arg(dir)
            .env("NETLAB_TRUST", builds())
            .output()
            .unwrap();
        one_by_one += started.elapsed();
        let alone: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
        let name = dir.file_name().unwrap();
        let in_class: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(out.join(name).join("report.json")).unwrap_or_default(),
        )
        .unwrap_or_default();
        if verdicts(&alone) != verdicts(&in_class) {
            disagreements.push(name.to_string_lossy().into_owned());
        }
    }
    // What the class got, per kind of submission: the correct ones pass
    // everything, the broken ones do not (the bench grades real work).
    let mut kinds: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    for dir in &names {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let kind = name.split_once('-').map_or("?", |(_, k)| k).to_string();
        let report: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(out.join(&name).join("report.json")).unwrap_or_default(),
        )
        .unwrap_or_default();
        // No report (or none readable) is no pass.
        let checks = verdicts(&report);
        let all_passed =
            !checks.is_empty() && checks.iter().all(|(_, passed)| *passed != Some(false));
        let entry = kinds.entry(kind).or_default();
        entry.0 += 1;
        entry.1 += usize::from(all_passed);
    }
    let scaled = one_by_one.as_secs_f64() * size as f64 / picked.len() as f64;
    let speedup = scaled / class_wall.as_secs_f64();
    // netlab's own: the grader process, plus its launcher, waiter and init
    // in each program's tree; the programs: what the sandbox's cgroups counted.
    // Without cgroups (not root), rusage's children, which undercount
    // (see sandbox::CpuSpent) and count the helpers as programs.
    let cpu_self = run["cpu_self_ms"].as_f64().unwrap_or(f64::NAN);
    let (cpu_helpers, cpu_programs, how) = match (
        run["cpu_helpers_ms"].as_f64(),
        run["cpu_programs_ms"].as_f64(),
    ) {
        (Some(helpers), Some(programs)) => (helpers, programs, "cgroups"),
        _ => (
            0.0,
            run["cpu_children_ms"].as_f64().unwrap_or(f64::NAN),
            "rusage: undercounts",
        ),
    };
    let cpu_own = cpu_self + cpu_helpers;
    let share = cpu_own / (cpu_own + cpu_programs) * 100.0;
    let verdict = |ok: bool| if ok { "meets target" } else { "MISSES target" };
    println!(
        "  class run:        {:>7.1} s wall  (target <= 600 s: {})",
        class_wall.as_secs_f64(),
        verdict(class_wall.as_secs_f64() <= 600.0)
    );
    println!(
        "  one at a time:    {:>7.1} s (measured on {} of {size}: {:.1} s, scaled)",
        scaled,
        picked.len(),
        one_by_one.as_secs_f64()
    );
    println!(
        "  speed-up:         {speedup:>7.2}x  (target >= 1.7x: {})",
        verdict(speedup >= 1.7)
    );
    println!(
        "  netlab's own CPU: {share:>7.1} %  ({:.1} s of {:.1} s; target <= 10%: {})",
        cpu_own / 1000.0,
        (cpu_own + cpu_programs) / 1000.0,
        verdict(share <= 10.0)
    );
    println!(
        "    grader {:.1} s, sandbox helpers {:.1} s, programs {:.1} s ({how})",
        cpu_self / 1000.0,
        cpu_helpers / 1000.0,
        cpu_programs / 1000.0,
    );
    // Per program started (one cgroup tree each): where a per-program cost
    // (the launcher's exec, the namespaces, the mounts) shows.
    if let Some(trees) = run["cpu_trees_finished"].as_f64().filter(|n| *n > 0.0) {
        println!(
            "    {trees} programs started: netlab {:.2} ms each (helpers {:.2} ms), programs {:.2} ms each",
            cpu_own / trees,
            cpu_helpers / trees,
            cpu_programs / trees,
        );
    }
    for (kind, (count, all_passed)) in &kinds {
        println!("  {kind:<16}  {all_passed:>3} of {count:>3} pass every check");
    }
    println!(
        "  same verdicts in the class run and alone: {} of {}{}",
        picked.len() - disagreements.len(),
        picked.len(),
        if disagreements.is_empty() {
            String::new()
        } else {
            format!(" (differ: {})", disagreements.join(", "))
        }
    );
    // The figures mean something only if the class was really graded: a
    // correct submission that fails (a program that could not start, say)
    // costs a fraction of a grading and flatters every figure above.
    let failed_correct: Vec<&String> = kinds
        .iter()
        .filter(|(kind, _)| kind.ends_with("correct") || kind.ends_with("reference"))
        .filter(|(_, (count, passed))| passed < count)
        .map(|(kind, _)| kind)
        .collect();
    if !failed_correct.is_empty() {
        eprintln!(
            "correct submissions failed checks ({}): the figures above do not measure a grading",
            failed_correct
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        std::process::exit(1);
    }
}
