//! The hostile battery (issue 8): `netlab grade` on submissions that attack
//! the grader instead of doing the lab. Fixtures: tests/submissions/hostile/
//! (small Python programs, each bounded in time, processes and bytes, all
//! traffic on loopback; see the README there).
//!
//! Every test runs the real `netlab grade ... --format json` binary with a
//! deadline and asserts, besides what names the abuse:
//! - the grader finishes within its bound, with exit status 0 or 1;
//! - its JSON report is intact (parses, counts add up, nothing forged);
//! - its peak memory (VmHWM, read from /proc while it runs) stays bounded;
//! - no process of the fixture is left afterwards (each fixture gets a
//!   unique marker as its first argument; /proc is scanned for it).
//!
//! Tests named for what only the sandbox gives (the `resource-limit`
//! diagnosis, a refused escape, no route out) rely on its full layers: run
//! as root, as CI does.
#![cfg(target_os = "linux")]

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The grader's memory may not grow with what a submission does.
const MAX_GRADER_RSS_KIB: u64 = 200 * 1024;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/submissions/hostile")
}

/// A marker unique to one test run, put in the fixture's argv.
fn marker(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("netlab-hostile-{name}-{}-{nanos}", std::process::id())
}

/// What one `netlab grade` run left.
struct Graded {
    status: ExitStatus,
    stdout: String,
    stderr: String,
    /// Peak resident memory of the grader (VmHWM), last value read.
    peak_rss_kib: u64,
    /// CPU time the grader itself used (user + system), in clock ticks.
    cpu_ticks: u64,
    /// The report file, to read again later (a forger may write to it).
    stdout_path: PathBuf,
    _files: tempfile::TempDir,
}

impl Graded {
    /// The JSON report, checked for integrity.
    #[track_caller]
    fn report(&self) -> Value {
        let report: Value = serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "the report is not valid JSON ({e}); status {:?}\nstdout:\n{}\nstderr:\n{}",
                self.status,
                tail(&self.stdout),
                tail(&self.stderr)
            )
        });
        assert_eq!(report["lab"], "week01", "{report:#}");
        let checks = report["checks"].as_array().expect("a checks array");
        let count =
            |v: Option<bool>| checks.iter().filter(|c| c["passed"].as_bool() == v).count() as u64;
        assert_eq!(report["passed"].as_u64(), Some(count(Some(true))));
        assert_eq!(report["failed"].as_u64(), Some(count(Some(false))));
        assert_eq!(report["skipped"].as_u64(), Some(count(None)));
        assert!(
            report.get("forged").is_none(),
            "a forged report: {report:#}"
        );
        let code = self.status.code();
        assert!(
            code == Some(0) || code == Some(1),
            "the grader ended with {:?}\nstderr:\n{}",
            self.status,
            tail(&self.stderr)
        );
        assert_eq!(
            code == Some(0),
            report["failed"] == 0,
            "exit status and report disagree"
        );
        report
    }

    #[track_caller]
    fn assert_memory_bounded(&self) {
        assert!(
            self.peak_rss_kib > 0 && self.peak_rss_kib < MAX_GRADER_RSS_KIB,
            "the grader's peak memory was {} KiB (bound {MAX_GRADER_RSS_KIB} KiB)",
            self.peak_rss_kib
        );
    }
}

fn tail(text: &str) -> &str {
    let mut start = text.len().saturating_sub(4000);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// Runs `netlab grade week01 --format json` with `args` in the fixtures
/// folder; kills it and fails the test if it runs past `bound`.
#[track_caller]
fn grade(args: &[&str], bound: Duration) -> Graded {
    grade_in(&fixtures(), args, bound)
}

/// [`grade`] for the submission in `dir`.
#[track_caller]
fn grade_in(dir: &Path, args: &[&str], bound: Duration) -> Graded {
    let files = tempfile::tempdir().expect("temp dir");
    let stdout_path = files.path().join("report.json");
    let stderr_path = files.path().join("stderr.txt");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_netlab"));
    cmd.args(["grade", "week01", "--format", "json", "--dir"])
        .arg(dir)
        .args(args)
        // Keep the fixtures folder clean of __pycache__.
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("NO_COLOR", "1")
        // The packets of failed checks go with this run's files, not to
        // the temp folder's default (one new folder per run).
        .env("NETLAB_EVIDENCE_DIR", files.path().join("evidence"))
        .stdin(Stdio::null())
        .stdout(fs::File::create(&stdout_path).expect("report file"))
        .stderr(fs::File::create(&stderr_path).expect("stderr file"));
    let mut child = cmd.spawn().expect("start netlab grade");
    let pid = child.id();
    let started = Instant::now();
    let (mut peak_rss_kib, mut cpu_ticks) = (0, 0);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for netlab") {
            break status;
        }
        // Read while it runs: once it exits, /proc no longer shows them.
        if let Some(kib) = vm_hwm_kib(pid) {
            peak_rss_kib = peak_rss_kib.max(kib);
        }
        if let Some(ticks) = cpu_ticks_of(pid) {
            cpu_ticks = cpu_ticks.max(ticks);
        }
        if started.elapsed() > bound {
            let _ = child.kill();
            let _ = child.wait();
            panic!("netlab grade {args:?} still running after {bound:?}: killed");
        }
        thread::sleep(Duration::from_millis(20));
    };
    Graded {
        status,
        stdout: fs::read_to_string(&stdout_path).unwrap_or_default(),
        stderr: fs::read_to_string(&stderr_path).unwrap_or_default(),
        peak_rss_kib,
        cpu_ticks,
        stdout_path,
        _files: files,
    }
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn cpu_ticks_of(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After "pid (comm) ": state is field 3; utime and stime are 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Processes whose command line holds `marker`.
fn processes_with(marker: &str) -> Vec<(i32, String)> {
    let mut found = Vec::new();
    let Ok(entries) = fs::read_dir("/proc") else {
        return found;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        if pid == std::process::id() as i32 {
            continue;
        }
        if let Ok(raw) = fs::read(entry.path().join("cmdline")) {
            let cmdline = String::from_utf8_lossy(&raw).replace('\0', " ");
            if cmdline.contains(marker) {
                found.push((pid, cmdline));
            }
        }
    }
    found
}

/// Asserts that no process carrying `marker` is left (after a short grace
/// for the kernel to finish killing). Leftovers are killed before failing,
/// so a failing test does not leave them running either.
#[track_caller]
fn assert_nothing_left(marker: &str) {
    let until = Instant::now() + Duration::from_secs(5);
    let mut left = processes_with(marker);
    while !left.is_empty() && Instant::now() < until {
        thread::sleep(Duration::from_millis(100));
        left = processes_with(marker);
    }
    if !left.is_empty() {
        for (pid, _) in &left {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(*pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        panic!(
            "{} process(es) of the fixture outlived the grader:\n{}",
            left.len(),
            left.iter()
                .map(|(pid, cmd)| format!("  {pid}: {cmd}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

/// The one check a single-role fixture is graded with.
fn check(report: &Value, id: &str) -> Value {
    report["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["id"] == id))
        .cloned()
        .unwrap_or_else(|| panic!("no check {id} in {report:#}"))
}

/// Grades `fixture` as the server with the single check `server-ack` and
/// asserts the battery's common properties. Returns the run and the check.
#[track_caller]
fn grade_server(name: &str, fixture_args: &[&str], bound: Duration) -> (Graded, Value) {
    let marker = marker(name);
    let mut line = format!("python3 {name}.py {marker}");
    for arg in fixture_args {
        line.push(' ');
        line.push_str(&shlex::try_quote(arg).expect("quotable"));
    }
    let graded = grade(&["--server", &line, "--check", "server-ack"], bound);
    let report = graded.report();
    graded.assert_memory_bounded();
    assert_nothing_left(&marker);
    let ack = check(&report, "server-ack");
    (graded, ack)
}

fn text_of(check: &Value) -> String {
    ["expected", "observed", "processes"]
        .iter()
        .filter_map(|k| check[k].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Is `check` failed with `resource-limit`, a figure in `observed`?
#[track_caller]
fn assert_resource_limit(check: &Value, what: &str) {
    assert_eq!(check["passed"], false, "{check:#}");
    assert_eq!(check["diagnosis"], "resource-limit", "{check:#}");
    let observed = check["observed"].as_str().unwrap_or_default();
    assert!(
        observed.contains(what) && observed.chars().any(|c| c.is_ascii_digit()),
        "`observed` should name the {what} limit with its figure: {observed}"
    );
}

/// The top-level `sandbox` object lists the active and missing layers.
#[track_caller]
fn assert_sandbox_reported(report: &Value) {
    let sandbox = &report["sandbox"];
    assert!(
        sandbox["active"].is_array() && sandbox["missing"].is_array(),
        "no sandbox object listing active/missing layers: {report:#}"
    );
}

fn is_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("Uid:"))?.to_string();
            line.split_whitespace().nth(2).map(|euid| euid == "0")
        })
        .unwrap_or(false)
}

// ---------------------------------------------------------------- processes

#[test]
fn two_hundred_forked_children_leave_nothing_behind() {
    let (_, ack) = grade_server("fork_children", &[], Duration::from_secs(60));
    assert!(ack["passed"].is_boolean(), "a verdict: {ack:#}");
}

#[test]
fn two_hundred_forked_children_are_named_resource_limit() {
    let (graded, ack) = grade_server("fork_children", &[], Duration::from_secs(60));
    assert_resource_limit(&ack, "process");
    assert_sandbox_reported(&graded.report());
}

#[test]
fn a_daemonizing_server_is_ended_with_its_check_and_cannot_forge_the_report() {
    // The daemon double-forks, calls setsid() and keeps listening; once the
    // grader exits it writes a forged report through /proc/GRADER/fd/1.
    let (graded, _) = grade_server("daemon", &[], Duration::from_secs(60));
    // Give a survivor time to forge (it tries every 0.2 s).
    thread::sleep(Duration::from_secs(1));
    let again = fs::read_to_string(&graded.stdout_path).unwrap_or_default();
    assert_eq!(
        again, graded.stdout,
        "the report changed after the grader exited"
    );
}

#[test]
fn killing_its_parent_leaves_nothing_behind() {
    // Without a sandbox a program running as the grader's user can SIGKILL
    // it; what must hold anyway: nothing it started survives.
    let marker = marker("kill_parent");
    let line = format!("python3 kill_parent.py {marker}");
    let graded = grade(
        &["--server", &line, "--check", "server-ack"],
        Duration::from_secs(60),
    );
    assert_nothing_left(&marker);
    if graded.status.code().is_some() {
        // The grader survived (sandboxed): its report must be whole.
        graded.report();
    }
}

#[test]
fn killing_its_parent_cannot_kill_the_grader() {
    let (graded, ack) = grade_server("kill_parent", &[], Duration::from_secs(60));
    assert!(ack["passed"].is_boolean(), "a verdict: {ack:#}");
    assert_sandbox_reported(&graded.report());
}

#[test]
fn stopping_itself_still_gets_a_verdict_naming_the_stop() {
    let (_, ack) = grade_server("stop_self", &[], Duration::from_secs(60));
    assert_eq!(ack["passed"], false, "{ack:#}");
    let text = text_of(&ack);
    assert!(
        text.contains("stopped (SIGSTOP"),
        "the stop is not named: {text}"
    );
}

/// A server that listens and takes connections and does nothing else
/// passes no check that needs a message (hostile round 37: the escape
/// checks passed on console lines that never held the message).
#[test]
fn a_server_that_never_reads_passes_no_message_check() {
    let marker = marker("listen_only");
    let line = format!("python3 listen_only.py {marker}");
    let graded = grade(
        &[
            "--server",
            &line,
            "--threaded-server",
            &line,
            "--check",
            "server-ack",
            "--check",
            "server-escapes",
            "--check",
            "threaded-ack",
            "--check",
            "threaded-escapes",
        ],
        Duration::from_secs(120),
    );
    let report = graded.report();
    assert_nothing_left(&marker);
    for id in ["server-escapes", "threaded-escapes"] {
        let escapes = check(&report, id);
        assert_eq!(escapes["passed"], false, "{escapes:#}");
    }
    // Each told under its session check's finding, not as its own.
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 2, "{findings:#?}");
}

// ---------------------------------------------------------------- resources

#[test]
fn an_endless_cpu_loop_is_ended_and_leaves_nothing_behind() {
    let (_, ack) = grade_server("cpu_loop", &[], Duration::from_secs(60));
    assert_eq!(ack["passed"], false, "{ack:#}");
}

#[test]
fn an_endless_cpu_loop_is_named_resource_limit() {
    // The fixture spins before listening: either the CPU limit fires
    // within the grader's 10 s startup wait (idle machine), or the CPU its
    // tree used while printing nothing names the busy loop (loaded one).
    let (_, ack) = grade_server("cpu_loop", &[], Duration::from_secs(60));
    assert_resource_limit(&ack, "CPU");
}

#[test]
fn a_4_gib_allocation_does_not_grow_the_grader() {
    let (_, ack) = grade_server("allocate", &[], Duration::from_secs(60));
    assert!(ack["passed"].is_boolean(), "a verdict: {ack:#}");
}

#[test]
fn a_4_gib_allocation_is_named_resource_limit() {
    let (_, ack) = grade_server("allocate", &[], Duration::from_secs(60));
    assert_resource_limit(&ack, "MiB");
}

// ------------------------------------------------------------------- output

/// The figure the fixture reports on stderr: `wrote N bytes`.
fn bytes_written(check: &Value) -> u64 {
    let text = text_of(check);
    let at = text
        .find("wrote ")
        .expect("the fixture says how much it wrote");
    text[at + 6..]
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a byte count")
}

#[test]
fn two_hundred_mb_of_lines_are_capped_and_named_by_size() {
    let (graded, ack) = grade_server("flood_lines", &[], Duration::from_secs(60));
    assert_eq!(ack["passed"], false, "{ack:#}");
    let written = bytes_written(&ack);
    // More than the grader keeps (2 MiB), whatever the machine's speed.
    assert!(written > 4 << 20, "the flood was cut short: {written}");
    let text = text_of(&ack);
    assert!(
        text.contains(&format!("{written} bytes written in all")),
        "the flood is not named by its size:\n{text}"
    );
    // The report shows a little of it, not all of it.
    assert!(graded.stdout.len() < 100_000, "{}", graded.stdout.len());
}

#[test]
fn two_hundred_mb_of_raw_bytes_are_capped_shown_escaped_and_named() {
    let (graded, ack) = grade_server("flood_bytes", &[], Duration::from_secs(60));
    assert_eq!(ack["passed"], false, "{ack:#}");
    let written = bytes_written(&ack);
    let text = text_of(&ack);
    assert!(
        text.contains(&format!("{written} bytes written in all")),
        "the flood is not named by its size:\n{text}"
    );
    assert!(
        text.contains(r"\x80\x81\x82"),
        "bytes that are not UTF-8 are not shown: {text}"
    );
    assert!(!text.contains('\u{FFFD}'), "bytes replaced, not shown");
    assert!(graded.stdout.len() < 100_000, "{}", graded.stdout.len());
}

/// One long line, then nothing (the program still running): the report
/// quotes its start only. It quoted the whole line as the program's last
/// (330 KB of report, seen in a slow virtual machine, where the flood above
/// was still running when its check ended).
#[test]
fn a_long_last_line_is_quoted_short() {
    let (graded, ack) = grade_server("long_line_waits", &[], Duration::from_secs(60));
    assert_eq!(ack["passed"], false, "{ack:#}");
    let observed = ack["observed"].as_str().unwrap_or_default();
    assert!(observed.contains(r"\x80\x81\x82"), "{observed}");
    assert!(
        observed.len() < 2_000,
        "{} bytes: {observed}",
        observed.len()
    );
    assert!(graded.stdout.len() < 20_000, "{}", graded.stdout.len());
}

#[test]
fn a_closed_stdout_is_named_and_the_grader_does_not_spin() {
    let (graded, ack) = grade_server("closed_stdout", &[], Duration::from_secs(60));
    assert_eq!(ack["passed"], false, "{ack:#}");
    let observed = ack["observed"].as_str().unwrap_or_default();
    assert!(observed.contains("closed its stdout"), "{observed}");
    // The grader waits about 10 s for a Listening line that cannot come.
    // Measured under a load of 12-18 on 2 cores: waiting, the grader used
    // about 0.5 s of CPU (its /proc scans); spinning, 1.7 s in the first 8 s
    // even with the core shared (all of it on an idle machine). 1.5 s
    // separates the two.
    let ticks_per_second = 100; // USER_HZ on Linux
    assert!(
        graded.cpu_ticks < 3 * ticks_per_second / 2,
        "the grader used {} ticks of CPU while waiting",
        graded.cpu_ticks
    );
}

// -------------------------------------------------- files, network, ports

#[test]
fn writing_outside_and_reading_a_secret_still_gets_an_intact_report() {
    let (outside, secret, _dir) = secret_setup();
    let (_, ack) = grade_server(
        "escape_files",
        &[outside.to_str().unwrap(), secret.to_str().unwrap()],
        Duration::from_secs(60),
    );
    assert_eq!(ack["passed"], false, "{ack:#}");
}

#[test]
fn writing_outside_its_folder_and_reading_a_secret_are_refused() {
    let (outside, secret, _dir) = secret_setup();
    let (graded, ack) = grade_server(
        "escape_files",
        &[outside.to_str().unwrap(), secret.to_str().unwrap()],
        Duration::from_secs(60),
    );
    let text = text_of(&ack);
    if is_root() {
        // Run as an unprivileged user on a private copy of its folder.
        assert!(!outside.exists(), "it wrote {}", outside.display());
        assert!(
            !graded.stdout.contains(SECRET),
            "it read the secret: {text}"
        );
        assert!(text.contains("cannot read the secret"), "{text}");
    }
    assert_sandbox_reported(&graded.report());
}

const SECRET: &str = "netlab-secret-5f3a9c";

/// A folder of the test's (mode 700) with a secret file (mode 600) in it,
/// and the path of a file the fixture will try to create there.
fn secret_setup() -> (PathBuf, PathBuf, tempfile::TempDir) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let secret = dir.path().join("secret.txt");
    fs::write(&secret, SECRET).expect("write the secret");
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o600)).expect("chmod 600");
    (dir.path().join("outside.txt"), secret, dir)
}

#[test]
fn a_connection_beyond_loopback_is_bounded() {
    let (_, ack) = grade_server("connect_out", &[], Duration::from_secs(60));
    assert_eq!(ack["passed"], false, "{ack:#}");
    assert!(text_of(&ack).contains("192.0.2.1"), "{ack:#}");
}

#[test]
fn a_connection_beyond_loopback_finds_no_route() {
    let (graded, ack) = grade_server("connect_out", &[], Duration::from_secs(60));
    let text = text_of(&ack);
    assert!(
        text.contains("cannot reach 192.0.2.1: Network is unreachable"),
        "{text}"
    );
    assert_sandbox_reported(&graded.report());
}

#[test]
fn a_client_stealing_ports_cannot_break_the_report() {
    let marker = marker("steal_ports");
    let line = format!("python3 steal_ports.py {marker} 2");
    let graded = grade(
        &["--client", &line, "--only", "client"],
        Duration::from_secs(90),
    );
    let report = graded.report();
    graded.assert_memory_bounded();
    assert_nothing_left(&marker);
    assert!(report["failed"].as_u64() > Some(0), "{report:#}");
}

/// A correct submission graded while a hostile one is graded beside it.
#[test]
fn a_hostile_neighbour_does_not_change_a_correct_verdict() {
    let correct = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/submissions/week01-python");
    let marker = marker("neighbour");
    let line = format!("python3 steal_ports.py {marker} 6");
    let hostile = thread::spawn(move || {
        grade(
            &["--client", &line, "--only", "client"],
            Duration::from_secs(90),
        )
    });
    thread::sleep(Duration::from_millis(300));
    let graded = grade_in(&correct, &[], Duration::from_secs(120));
    let hostile = hostile.join().expect("the hostile grading");
    let report = graded.report();
    let failed = support::failed_checks(&report);
    assert!(
        failed.is_empty(),
        "the neighbour changed verdicts:\n{}",
        failed.join("\n")
    );
    let checks = report["checks"].as_array().map_or(0, Vec::len);
    assert!(checks > 30, "{report:#}");
    assert_eq!(report["passed"], checks as u64, "{report:#}");
    hostile.report();
    assert_nothing_left(&marker);
}

/// Under a uid of its own and without a pid namespace, a program still
/// dies with a grader killed by SIGKILL: the death signal, cleared by the
/// uid change, is set again after it.
#[cfg(target_os = "linux")]
#[test]
fn a_program_under_its_own_uid_dies_with_a_killed_grader() {
    // SAFETY: geteuid cannot fail.
    if unsafe { nix::libc::geteuid() } != 0 {
        eprintln!("skipped: needs root (the unprivileged-user layer)");
        return;
    }
    let marker = format!("600.{}3", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_netlab"))
        .args(["grade", "week01", "--jobs", "1", "--check", "server-ack"])
        .args(["--server", &format!("sleep {marker}"), "--dir"])
        .arg(dir.path())
        .env("NETLAB_SANDBOX", "limits,user")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The program itself, not netlab (whose arguments hold the marker too).
    let server = |marker: &str| -> Vec<(i32, String)> {
        processes_with(marker)
            .into_iter()
            .filter(|(_, cmd)| cmd.contains("sleep ") && !cmd.contains("netlab"))
            .collect()
    };
    let until = Instant::now() + Duration::from_secs(60);
    while server(&marker).is_empty() {
        assert!(Instant::now() < until, "the server never started");
        assert!(child.try_wait().unwrap().is_none(), "netlab ended early");
        thread::sleep(Duration::from_millis(20));
    }
    let uid = fs::read_to_string(format!("/proc/{}/status", server(&marker)[0].0))
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("Uid:")
                .map(|v| v.split_whitespace().next().map(str::to_owned))
        })
        .flatten();
    assert_ne!(
        uid.as_deref(),
        Some("0"),
        "the program runs as a uid of its own"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    assert_nothing_left(&marker);
}

/// A chat server that puts a FIFO or a link to /dev/zero where its log
/// must be: the grader reads neither (seen: it blocked for ever on the
/// FIFO, and read /dev/zero until its memory ran out), ends within its
/// bound, names lost-message, and keeps its memory small.
#[test]
fn a_trap_where_the_chat_log_should_be_is_not_read() {
    let correct = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/submissions/week01-python");
    let fixture = fixtures().join("sbx_log_trap.py");
    for trap in ["fifo", "zero"] {
        let line = format!("python3 {} {trap}", fixture.display());
        let graded = grade_in(
            &correct,
            &["--chat-server", &line, "--check", "chat-log"],
            Duration::from_secs(60),
        );
        graded.assert_memory_bounded();
        let log = check(&graded.report(), "chat-log");
        assert_eq!(log["diagnosis"], "lost-message", "{trap}: {log:#}");
        assert!(
            text_of(&log).contains("cannot be read as a plain file"),
            "{trap}: {log:#}"
        );
    }
}
