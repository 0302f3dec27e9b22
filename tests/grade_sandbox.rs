//! The sandbox under hostile submissions: each layer, each fallback
//! (forced with NETLAB_SANDBOX), and the grader run as an unprivileged user.
//!
//! The fixtures are in tests/submissions/hostile/sbx_*.py (see SANDBOX.md
//! there): small, bounded in time, processes and bytes, loopback only.
//! Every test runs `netlab grade` as a child with a deadline and checks
//! that it finished, named the abuse, and left nothing running.
//!
//! Tests that need root (namespaces, another uid, cgroups) say so and pass
//! without asserting anything layer-specific when not root; the CI machine
//! runs as root.

#![cfg(target_os = "linux")]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use netlab::process::{Child, Stream};

fn hostile_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/submissions/hostile")
}

fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { nix::libc::geteuid() == 0 }
}

/// What one `netlab grade` run gave.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", self.stdout, self.stderr))
    }

    /// The only check's diagnosis and observation.
    fn verdict(&self) -> (String, String) {
        let json = self.json();
        let check = &json["checks"][0];
        (
            check["diagnosis"].as_str().unwrap_or("").to_string(),
            format!("{} {}", check["observed"], check["processes"]),
        )
    }
}

/// Grades `server` (a command run in `dir`) on server-ack alone, as JSON,
/// with `NETLAB_SANDBOX=mode` (if any): how the hostile fixtures are met.
fn grade_server_ack(dir: &Path, server: &str, mode: Option<&str>) -> Run {
    grade(
        &[
            "--dir",
            dir.to_str().unwrap(),
            "--server",
            server,
            "--check",
            "server-ack",
            "--format",
            "json",
        ],
        mode,
        false,
    )
}

/// Grades the submission in `dir` (its own netlab.toml's commands, as a
/// submission's) on server-ack alone, as JSON, with `NETLAB_SANDBOX=mode`
/// (if any).
fn grade_own_server_ack(dir: &Path, mode: Option<&str>) -> Run {
    let args = [
        "--dir",
        dir.to_str().unwrap(),
        "--check",
        "server-ack",
        "--format",
        "json",
    ];
    grade(&args, mode, false)
}

/// Runs `netlab grade week01` with `args`, `NETLAB_SANDBOX=mode` (if any),
/// optionally as uid 65534 (through setpriv), bounded at 90 s.
fn grade(args: &[&str], mode: Option<&str>, unprivileged: bool) -> Run {
    let netlab = env!("CARGO_BIN_EXE_netlab");
    let mut cmd = if unprivileged {
        let mut cmd = Command::new("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", netlab]);
        cmd
    } else {
        Command::new(netlab)
    };
    cmd.args(["grade", "week01"]).args(args);
    match mode {
        Some(mode) => cmd.env("NETLAB_SANDBOX", mode),
        None => cmd.env_remove("NETLAB_SANDBOX"),
    };
    // The packets of failed checks: in this run's own folder, not a new
    // one in /tmp per run (writable by uid 65534, which may capture where
    // user namespaces give it CAP_NET_RAW).
    let evidence = tempfile::tempdir().expect("temp dir");
    if unprivileged {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(evidence.path(), std::fs::Permissions::from_mode(0o777))
            .expect("chmod");
    }
    cmd.env("NETLAB_EVIDENCE_DIR", evidence.path().join("evidence"));
    let mut child = Child::spawn(cmd, Duration::from_secs(90)).expect("netlab starts");
    let status = child
        .wait_exit(Duration::from_secs(95))
        .expect("netlab grade finishes within its bound");
    assert!(!child.hit_deadline(), "netlab grade hung");
    Run {
        code: status.code(),
        stdout: child.text(Stream::Stdout),
        stderr: child.text(Stream::Stderr),
    }
}

/// `netlab grade` of one hostile fixture as the server, check server-ack
/// only, JSON report (see [`grade`] for `mode` and `unprivileged`).
fn grade_server_fixture(server: &str, mode: Option<&str>, unprivileged: bool) -> Run {
    let dir = hostile_dir();
    let args = [
        "--dir",
        dir.to_str().unwrap(),
        "--server",
        server,
        "--check",
        "server-ack",
        "--format",
        "json",
    ];
    grade(&args, mode, unprivileged)
}

/// Processes whose command line holds `marker`.
fn survivors(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(marker) {
            found.push(format!(
                "{}: {cmdline}",
                entry.file_name().to_string_lossy()
            ));
        }
    }
    found
}

/// No file `name` in the trees any uid can write (the snoop fixture
/// plants one in each); removes any it finds.
#[track_caller]
fn assert_nothing_planted(name: &str, observed: &str) {
    for tree in ["/tmp", "/var/tmp", "/dev/shm"] {
        let path = Path::new(tree).join(name);
        let leaked = path.exists();
        let _ = std::fs::remove_file(&path);
        assert!(
            !leaked,
            "the submission left {}: {observed}",
            path.display()
        );
    }
}

/// A word no other run has on its command line.
fn run_marker(fixture: &str) -> String {
    format!("netlab-run-{}-{fixture}", std::process::id())
}

#[track_caller]
fn assert_nothing_left(marker: &str) {
    // Killing is asynchronous: give the kernel a moment, bounded.
    let until = Instant::now() + Duration::from_secs(5);
    while !survivors(marker).is_empty() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(50));
    }
    let left = survivors(marker);
    assert!(left.is_empty(), "processes outlived the grader: {left:?}");
}

fn daemon_is_ended(mode: Option<&str>, unprivileged: bool) {
    let marker = format!(
        "nlmark-{}-{}-{unprivileged}",
        std::process::id(),
        mode.unwrap_or("default").replace(',', "_")
    );
    let server = format!("python3 sbx_daemon_server.py {marker}");
    let dir = hostile_dir();
    let run = grade(
        &[
            "--dir",
            dir.to_str().unwrap(),
            "--server",
            &server,
            "--check",
            "server-ack",
            "--format",
            "json",
        ],
        mode,
        unprivileged,
    );
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    let (diagnosis, _) = run.verdict();
    assert!(!diagnosis.is_empty(), "the check failed with a diagnosis");
    assert_nothing_left(&marker);
}

#[test]
fn a_daemonizing_server_leaves_nothing_behind() {
    // The default: a pid namespace as root, the subreaper otherwise.
    daemon_is_ended(None, false);
}

#[test]
fn a_daemonizing_server_leaves_nothing_behind_with_the_subreaper_fallback() {
    daemon_is_ended(Some("limits"), false);
}

#[test]
fn a_daemonizing_server_leaves_nothing_behind_with_the_cgroup_fallback() {
    if !is_root() {
        eprintln!("skipped: the cgroup layer needs root");
        return;
    }
    // No pid namespace, no subreaper: the cgroup finds the daemon.
    daemon_is_ended(Some("limits,cgroup"), false);
}

#[test]
fn a_daemonizing_server_leaves_nothing_behind_for_an_unprivileged_grader() {
    if !is_root() || Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("skipped: needs root and setpriv to become uid 65534");
        return;
    }
    daemon_is_ended(None, true);
}

#[test]
fn a_daemonizing_server_leaves_nothing_behind_for_an_unprivileged_grader_with_the_subreaper() {
    if !is_root() || Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("skipped: needs root and setpriv to become uid 65534");
        return;
    }
    // As where unprivileged user namespaces are refused (Ubuntu, Docker).
    daemon_is_ended(Some("limits"), true);
}

/// The tripwire without root (the check's network namespace a holder's,
/// out of sock_diag's sight from the grader's thread): the ACK-then-log
/// chat server is held as it begins its ACK and told lost-message, as
/// under a root grader.
#[test]
fn an_unprivileged_grader_holds_an_ack_sent_before_its_record() {
    if !is_root() || Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("skipped: needs root and setpriv to become uid 65534");
        return;
    }
    if !user_namespaces_allowed()
        || Command::new("python3").arg("-V").output().is_err()
        || !netlab::sandbox::tripwire_possible()
    {
        eprintln!("skipped: no user namespaces, python3 or tripwire here");
        return;
    }
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/submissions/week01-python-real/ackfirst");
    let run = grade(
        &[
            "--dir",
            fixture.to_str().unwrap(),
            "--check",
            "chat-log",
            "--format",
            "json",
        ],
        None,
        true,
    );
    let report = run.json();
    let check = &report["checks"][0];
    assert_eq!(check["diagnosis"], "lost-message", "{report}");
    assert!(
        check["observed"]
            .as_str()
            .is_some_and(|o| o.contains("when the server began to send the ACK of")),
        "{report}"
    );
}

/// Without root the kernel refuses an overlay whose lower layer has the
/// host's mounts below it (locked in a user namespace): a root grader's
/// check folders in /dev/shm took every unprivileged grader's private
/// /tmp away while they lasted (seen: this suite's root tests beside its
/// unprivileged ones). Such a tree starts empty instead: private still.
#[test]
fn an_unprivileged_grader_keeps_its_private_tmp_beside_the_host_s_mounts() {
    if !is_root() || Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("skipped: needs root and setpriv to become uid 65534");
        return;
    }
    if !user_namespaces_allowed() {
        eprintln!("skipped: no unprivileged user namespaces here");
        return;
    }
    let below = tempfile::Builder::new()
        .prefix("netlab-test-mount-")
        .tempdir_in("/dev/shm")
        .unwrap();
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg("-l").arg(self.0).status();
        }
    }
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(below.path())
        .status()
        .unwrap();
    assert!(mounted.success());
    let _unmount = Unmount(below.path());
    let line = unprivileged_sandbox_line(&["--check", "server-ack"]);
    let active = line.split(';').next().unwrap_or("");
    assert!(active.contains("private /tmp"), "{line}");
}

/// The `sandbox:` line of an unprivileged grader's run of the reference
/// server with `more` arguments, which must pass.
fn unprivileged_sandbox_line(more: &[&str]) -> String {
    let server = env!("CARGO_BIN_EXE_server");
    let mut args = vec!["--server", server];
    args.extend(more);
    let run = grade(&args, None, true);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    run.stdout
        .lines()
        .find(|l| l.starts_with("sandbox:"))
        .unwrap_or_else(|| panic!("no sandbox line:\n{}", run.stdout))
        .to_string()
}

#[test]
fn an_unprivileged_grader_says_which_layers_are_missing() {
    if !is_root() || Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("skipped: needs root and setpriv to become uid 65534");
        return;
    }
    let server = env!("CARGO_BIN_EXE_server");
    let args = ["--server", server, "--check", "server-ack"];
    let line = unprivileged_sandbox_line(&args[2..]);
    if user_namespaces_allowed() {
        // Made by a holder process in a user namespace of its own.
        let active = line.split(';').next().unwrap_or("");
        assert!(active.contains("network namespace"), "{line}");
        assert!(!line.contains("no network namespace here"), "{line}");
    } else {
        assert!(
            line.contains("no network namespace here (needs root or unprivileged user namespaces"),
            "{line}"
        );
    }
    let mut strict = args.to_vec();
    strict.push("--require-sandbox");
    let run = grade(&strict, None, true);
    assert_eq!(run.code, Some(2), "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("--require-sandbox"), "{}", run.stderr);
    assert!(
        run.stderr.contains("no unprivileged user here"),
        "{}",
        run.stderr
    );
}

#[test]
fn every_layer_is_reported_and_required_as_root() {
    if !is_root() {
        eprintln!("skipped: the full sandbox needs root");
        return;
    }
    let server = env!("CARGO_BIN_EXE_server");
    // A small folder: a big one (this repository) is not copied, and
    // --require-sandbox would rightly refuse.
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--dir",
        dir.path().to_str().unwrap(),
        "--server",
        server,
        "--check",
        "server-ack",
        "--require-sandbox",
        "--format",
        "json",
    ];
    let run = grade(&args, None, false);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    let sandbox = &run.json()["sandbox"];
    let active: Vec<&str> = sandbox["active"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    for layer in ["pid", "net", "user", "copy", "cgroup", "limits"] {
        assert!(active.contains(&layer), "{layer} not active: {sandbox}");
    }
    // A forced fallback is reported as missing, and refused when required.
    let run = grade(&args, Some("limits"), false);
    assert_eq!(run.code, Some(2), "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("no network namespace here"));
}

#[test]
fn a_fork_bomb_is_bounded_and_named() {
    if !is_root() {
        eprintln!("skipped: the process limit needs a uid of its own or a cgroup (root)");
        return;
    }
    let dir = hostile_dir();
    // A marker of this run on the command line: what is left is found by
    // it, never a process of another run.
    let marker = run_marker("sbx_fork_bomb");
    let server = format!("python3 sbx_fork_bomb.py {marker}");
    let run = grade_server_ack(&dir, &server, None);
    let (diagnosis, observed) = run.verdict();
    assert_eq!(diagnosis, "resource-limit", "{observed}");
    let limit = format!("more than {} processes", netlab::sandbox::process_limit());
    assert!(observed.contains(&limit), "{observed}");
    assert_nothing_left(&marker);
}

#[test]
fn a_refused_fork_is_named_even_when_the_check_passes() {
    if !is_root() {
        eprintln!("skipped: the pids counter needs a cgroup (root)");
        return;
    }
    let dir = hostile_dir();
    // A marker of this run on the command line: what is left is found by
    // it, never a process of another run.
    let marker = run_marker("sbx_fork_then_serve");
    let server = format!("python3 sbx_fork_then_serve.py {marker}");
    let run = grade_server_ack(&dir, &server, None);
    // The server answered correctly: only the pids controller's count of
    // the refused fork can fail the check.
    let (diagnosis, observed) = run.verdict();
    assert_eq!(diagnosis, "resource-limit", "{observed}");
    let limit = format!("more than {} processes", netlab::sandbox::process_limit());
    assert!(observed.contains(&limit), "{observed}");
    assert!(!observed.contains("and then"), "{observed}");
    assert_nothing_left(&marker);
}

/// Files held open with no descriptor (mapped into memory, then closed)
/// pass RLIMIT_NOFILE and fill the machine's file table, after which no
/// process but root's can open a file (hostile round 24). The watchdog on
/// the table stops the tree that holds them, and the report says so.
#[test]
fn files_held_past_the_descriptor_limit_are_stopped_and_named() {
    if !is_root() {
        eprintln!("skipped: the trees are found through their cgroups (root)");
        return;
    }
    let dir = hostile_dir();
    let marker = run_marker("sbx_file_table");
    let run = grade_server_ack(&dir, &format!("python3 sbx_file_table.py {marker}"), None);
    let (diagnosis, observed) = run.verdict();
    assert_eq!(diagnosis, "resource-limit", "{observed}");
    assert!(
        observed.contains("files open while the machine's file table"),
        "{observed}"
    );
    assert_nothing_left(&marker);
}

/// The machine's TCP pool, in bytes (`/proc/net/sockstat`'s pages).
fn tcp_pool_bytes() -> u64 {
    let text = std::fs::read_to_string("/proc/net/sockstat").unwrap_or_default();
    let pages: u64 = text
        .lines()
        .find(|l| l.starts_with("TCP:"))
        .and_then(|l| l.split_whitespace().skip_while(|w| *w != "mem").nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// Bytes queued on connections a program never accepts are charged to no
/// cgroup, only to the machine's TCP pool (hostile round 26: 846 MiB held,
/// the tree's cgroup at 7 MiB). The check's network namespace bounds each
/// socket's receive buffer at 1 MiB and `SO_RCVBUF` does nothing (hostile
/// round 30): the fixture's 70 connections, asking for 8 MiB each and sent
/// 440 MB, hold a small part of that; and were the pool to fill anyway,
/// the watchdog would stop the tree and name it.
#[test]
fn bytes_queued_on_connections_never_accepted_stay_bounded() {
    if !is_root() {
        eprintln!("skipped: the trees are found through their cgroups (root)");
        return;
    }
    let dir = hostile_dir();
    let marker = run_marker("sbx_tcp_queue");
    let before = tcp_pool_bytes();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut most = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                most = most.max(tcp_pool_bytes());
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            most
        })
    };
    let run = grade_server_ack(&dir, &format!("python3 sbx_tcp_queue.py {marker}"), None);
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let most = sampler.join().unwrap();
    let (diagnosis, observed) = run.verdict();
    assert!(
        diagnosis.is_empty()
            || (diagnosis == "resource-limit"
                && observed.contains("MiB of TCP buffers, or left more than")),
        "{diagnosis}: {observed}"
    );
    // 70 connections at 1 MiB at most, with room for the other tests of
    // this binary run beside it: far below the 440 MB the fixture sends.
    let grew = most.saturating_sub(before);
    assert!(grew < 160 << 20, "the TCP pool grew by {} MiB", grew >> 20);
    assert_nothing_left(&marker);
}

/// Socket buffers are one pool for the whole machine (`net.ipv4.tcp_mem`),
/// every network namespace included: one check's loopback pairs filled it
/// and the host's own connections were reset (hostile round 11). The
/// tree's cgroup bounds them (v1: `memory.kmem.tcp`), and the report says
/// so. Only where that file exists (cgroup v1, root); v2 counts socket
/// memory in the tree's one memory limit.
#[test]
fn socket_buffers_are_bounded_per_tree_and_named() {
    let tcp = std::path::Path::new("/sys/fs/cgroup/memory/memory.kmem.tcp.limit_in_bytes");
    if !is_root() || !tcp.exists() {
        eprintln!("skipped: needs cgroup v1's memory.kmem.tcp (root)");
        return;
    }
    let dir = hostile_dir();
    let run = grade_server_ack(&dir, "python3 sbx_tcp_hog.py", None);
    let (diagnosis, observed) = run.verdict();
    assert_eq!(diagnosis, "resource-limit", "{observed}");
    assert!(observed.contains("MiB in TCP socket buffers"), "{observed}");
}

#[test]
fn a_4_gib_allocation_is_stopped_and_named() {
    let dir = hostile_dir();
    let run = grade_server_ack(&dir, "python3 sbx_memory_hog.py", Some("limits"));
    let (diagnosis, observed) = run.verdict();
    assert_eq!(diagnosis, "resource-limit", "{observed}");
    // RLIMIT_DATA alone (no cgroup here): the memory, with room for the
    // stacks of as many threads as the process limit allows.
    let figure = format!(
        "more than {} MiB",
        netlab::sandbox::rlimit_data_alone() >> 20
    );
    assert!(observed.contains(&figure), "{observed}");
}

#[test]
fn a_submission_cannot_read_secrets_write_outside_or_leave_loopback() {
    if !is_root() {
        eprintln!("skipped: another uid and a network namespace need root");
        return;
    }
    let dir = hostile_dir();
    let outside = tempfile::tempdir().unwrap();
    // A name no other run uses: the test looks for it on the host after.
    let planted = format!("netlab-planted-{}", std::process::id());
    let server = format!(
        "python3 sbx_snoop.py {} {planted}",
        outside.path().display()
    );
    let run = grade_server_ack(&dir, &server, None);
    let (_, observed) = run.verdict();
    for line in [
        "read /etc/shadow: refused",
        "write outside: refused",
        "write own folder: done",
        "connect 192.0.2.1: refused",
        // The shared trees take the write, in a private layer of its own.
        "write /tmp: done",
        "write /var/tmp: done",
        "write /dev/shm: done",
    ] {
        assert!(observed.contains(line), "`{line}` missing: {observed}");
    }
    assert!(!outside.path().join("planted.txt").exists());
    assert_nothing_planted(&planted, &observed);
    // The private copy took the write: the real folder is untouched.
    assert!(!dir.join("mine.txt").exists());
}

/// In a class run a program sees neither its classmates (to copy a working
/// server, or to break one when the class folder is writable by all) nor
/// the results (to read or forge a report), nor any process but its own.
#[test]
fn a_class_submission_cannot_see_its_classmates_or_the_results() {
    class_in_a_temporary_folder(0, None);
}

/// A submission too big for a private copy runs in place, inside the
/// hidden class folder: its own folder is made there and bound back, and
/// it still sees no classmate.
#[test]
fn a_submission_run_in_place_sees_its_own_folder_and_no_classmate() {
    class_in_a_temporary_folder(4_100, None);
}

/// The same where the machine has no filesystem allowlist (no Landlock):
/// the hidden class folder alone keeps the classmates out of sight, also
/// through `..` of the folder run in place (hostile round 8: it was the
/// real class folder, and a classmate's server was copied from it).
#[test]
fn without_the_allowlist_a_folder_run_in_place_still_sees_no_classmate() {
    class_in_a_temporary_folder(4_100, Some("pid,net,user,copy,tmp,cgroup,limits"));
}

/// A submission whose folders nest deeper than the private copy takes
/// (a chain of 300) is graded in place like any other, and so is its
/// classmate: 1500 levels overflowed the grader's stack in the copy, and
/// the class run died with nobody graded (hostile round 12).
#[test]
fn a_folder_nested_too_deep_to_copy_is_still_graded() {
    let root = tempfile::tempdir().unwrap();
    let class = root.path().join("class");
    let correct = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/submissions/week01-python");
    for name in ["alice", "bob"] {
        support::copy_dir(&correct, &class.join(name));
    }
    let status = Command::new("sh")
        .arg("-c")
        .arg("cd \"$1\" && for i in $(seq 300); do mkdir d && cd d || exit 1; done")
        .arg("sh")
        .arg(class.join("alice"))
        .status()
        .unwrap();
    assert!(status.success());
    let out = root.path().join("out");
    grade_class_on_server_ack(&class, &out, None);
    let book = std::fs::read_to_string(out.join("gradebook.csv")).unwrap();
    for name in ["alice", "bob"] {
        assert!(
            book.lines().any(|l| l.starts_with(&format!("{name},1,0,"))),
            "{book}"
        );
    }
    if is_root() {
        let report = std::fs::read_to_string(out.join("alice/report.txt")).unwrap();
        assert!(report.contains("nest more than 64 deep"), "{report}");
    }
}

/// Grades the class in `class` into `out` on server-ack alone
/// (`NETLAB_SANDBOX=mode`, if any): a class run exits 0 once it has
/// graded, whatever the scores.
fn grade_class_on_server_ack(class: &Path, out: &Path, mode: Option<&str>) {
    let args = [
        "--class",
        class.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--check",
        "server-ack",
    ];
    let run = grade(&args, mode, false);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
}

/// [`classmates_are_hidden`] with the class and the results side by side
/// in a fresh temporary folder.
fn class_in_a_temporary_folder(ballast: usize, mode: Option<&str>) {
    let root = tempfile::tempdir().unwrap();
    classmates_are_hidden(
        &root.path().join("class"),
        &root.path().join("out"),
        ballast,
        mode,
    );
}

/// The same with the results inside the class folder (`--class . --out
/// results`): one tmpfs hides both (a second one, on a path the first
/// hides, failed every program's start).
#[test]
fn results_inside_the_class_folder_are_hidden_with_it() {
    let root = tempfile::tempdir().unwrap();
    let class = root.path().join("class");
    classmates_are_hidden(&class, &class.join("results"), 0, None);
}

/// A class of `bob` (correct, its folder writable by all) and `eve`
/// (sbx_classmates.py, with `ballast` empty files besides: over the
/// sandbox's 4000 entries it is not copied), graded into `out`: eve sees
/// nothing of either (`mode`: NETLAB_SANDBOX, see [`grade`]).
fn classmates_are_hidden(class: &Path, out: &Path, ballast: usize, mode: Option<&str>) {
    if !is_root() {
        eprintln!("skipped: the private mounts and another uid need root");
        return;
    }
    let bob = class.join("bob");
    support::copy_dir(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/submissions/week01-python"),
        &bob,
    );
    // Writable by all, as on a shared drive or from an unzip that kept 0777.
    let status = Command::new("chmod")
        .args(["-R", "a+rwX"])
        .arg(&bob)
        .status()
        .unwrap();
    assert!(status.success());
    let eve = class.join("eve");
    std::fs::create_dir_all(eve.join("ballast")).unwrap();
    for i in 0..ballast {
        std::fs::write(eve.join("ballast").join(i.to_string()), "").unwrap();
    }
    std::fs::copy(
        hostile_dir().join("sbx_classmates.py"),
        eve.join("sbx_classmates.py"),
    )
    .unwrap();
    let server = format!(
        "python3 sbx_classmates.py {} bob {}",
        class.display(),
        out.display()
    );
    std::fs::write(
        eve.join("netlab.toml"),
        format!("lab = \"week01\"\n\n[commands]\nserver = {server:?}\n"),
    )
    .unwrap();
    let before = std::fs::read(bob.join("server.py")).unwrap();
    grade_class_on_server_ack(class, out, mode);
    let report = std::fs::read_to_string(out.join("eve/report.txt")).unwrap();
    // The class folder is hidden (an empty tmpfs), or not there at all:
    // under /tmp, which starts empty for a program under the filesystem
    // allowlist.
    let class_listed = if ballast > 4_000 {
        // Run in place, its own folder is there: nothing else.
        ["list class: 1 entries"].as_slice()
    } else {
        ["list class: 0 entries", "list class: refused"].as_slice()
    };
    let lines = [
        class_listed,
        &["read classmate: refused"],
        &["write classmate: refused"],
        // Itself: its /proc hides other users' processes (hidepid), its
        // pid namespace's init (root's) among them; where the kernel has
        // no hidepid=invisible (before 5.8), that init and itself.
        &["processes: 1 visible", "processes: 2 visible"],
        // Empty, or gone with the class folder that holds it or with /tmp.
        &["list results: 0 entries", "list results: refused"],
        // Run in place: above its folder, its folder alone.
        if ballast > 4_000 {
            &["list parent: 1 entries"]
        } else {
            &["list parent: "]
        },
    ];
    for one_of in lines {
        assert!(
            one_of.iter().any(|line| report.contains(line)),
            "none of {one_of:?}: {report}"
        );
    }
    assert_eq!(
        std::fs::read(bob.join("server.py")).unwrap(),
        before,
        "bob's server was changed"
    );
    let book = std::fs::read_to_string(out.join("gradebook.csv")).unwrap();
    assert!(book.lines().any(|l| l.starts_with("bob,1,0,")), "{book}");
}

/// Without root (in the pid namespace's user namespace), the shared trees
/// are private too, and the program's own folder is still written for real.
#[test]
fn an_unprivileged_graders_programs_leave_nothing_in_the_shared_trees() {
    if !unprivileged_namespaces_here() {
        return;
    }
    // A folder of the unprivileged user's own, under /tmp: written through.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        hostile_dir().join("sbx_snoop.py"),
        dir.path().join("sbx_snoop.py"),
    )
    .unwrap();
    for path in [dir.path().to_path_buf(), dir.path().join("sbx_snoop.py")] {
        std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
    }
    let planted = format!("netlab-planted-{}-unprivileged", std::process::id());
    let server = format!("python3 sbx_snoop.py /root {planted}");
    let args = [
        "--dir",
        dir.path().to_str().unwrap(),
        "--server",
        &server,
        "--check",
        "server-ack",
        "--format",
        "json",
    ];
    let run = grade(&args, None, true);
    let sandbox = &run.json()["sandbox"];
    let active = sandbox["active"].as_array().cloned().unwrap_or_default();
    let (_, observed) = run.verdict();
    assert!(active.iter().any(|l| l == "tmp"), "{sandbox}");
    for line in [
        "write /tmp: done",
        "write /var/tmp: done",
        "write /dev/shm: done",
        "write own folder: done",
    ] {
        assert!(observed.contains(line), "`{line}` missing: {observed}");
    }
    assert!(dir.path().join("mine.txt").exists(), "{observed}");
    assert_nothing_planted(&planted, &observed);
}

#[test]
fn killing_its_parent_and_stopping_itself_still_gets_a_verdict() {
    if !is_root() {
        eprintln!("skipped: without a pid namespace or another uid this kills the grader");
        return;
    }
    let dir = hostile_dir();
    let marker = run_marker("sbx_kill_parent");
    let server = format!("python3 sbx_kill_parent.py {marker}");
    let run = grade_server_ack(&dir, &server, None);
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    let (diagnosis, observed) = run.verdict();
    assert!(!diagnosis.is_empty(), "{observed}");
    assert!(observed.contains("kill parent: refused"), "{observed}");
    assert_nothing_left(&marker);
}

/// Can uid 65534 make a user + pid namespace here (what an unprivileged
/// grader's pid namespace needs)?
fn user_namespaces_allowed() -> bool {
    Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .args([
            "unshare",
            "--user",
            "--map-root-user",
            "--pid",
            "--fork",
            "true",
        ])
        .output()
        .is_ok_and(|out| out.status.success())
}

/// netlab's processes found in /proc by a submission, then stopped and
/// killed: the grader out of sight (a procfs of the program's own pid
/// namespace) or refused (another uid), netlab's helper in the namespace
/// (its init) unmoved, so the grading ends with its report.
fn the_grader_cannot_be_stopped_or_killed(unprivileged: bool) {
    let token = format!("netlab-target-{}-{unprivileged}", std::process::id());
    let server = format!("python3 sbx_kill_grader.py {token}");
    let run = grade_server_fixture(&server, None, unprivileged);
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    let (diagnosis, observed) = run.verdict();
    assert_eq!(diagnosis, "startup-failure", "{observed}");
    // The grader is never in sight: /proc is the namespace's own. Nor,
    // with hidepid, is the namespace's init (hostile round 32: its
    // mountinfo was the machine's): then there is nothing to signal.
    assert!(observed.contains("found netlab: "), "{observed}");
    if observed.contains("found netlab: nothing") {
        return;
    }
    assert!(observed.contains("helper"), "{observed}");
    if !unprivileged {
        assert!(!observed.contains("found netlab: grader"), "{observed}");
    }
    // Refused (another uid, a pid that names nothing in its namespace), or
    // accepted and dropped (the namespace's init ignores signals from
    // inside): never done.
    for signal in ["SIGSTOP", "SIGKILL"] {
        let refused = format!("{signal} netlab: refused");
        let dropped = format!("{signal} netlab: no effect");
        assert!(
            observed.contains(&refused) || observed.contains(&dropped),
            "{signal}: {observed}"
        );
    }
}

#[test]
fn a_submission_cannot_stop_or_kill_the_grader_as_root() {
    if !is_root() {
        eprintln!("skipped: needs root");
        return;
    }
    the_grader_cannot_be_stopped_or_killed(false);
}

#[test]
fn a_submission_cannot_stop_or_kill_an_unprivileged_grader_in_a_pid_namespace() {
    if !unprivileged_namespaces_here() {
        return;
    }
    the_grader_cannot_be_stopped_or_killed(true);
}

/// As root, a program of the submission started by its own path runs
/// under the check's uid like any other: seen running as root (the copy
/// is 0700, and a reachability test for "others" sent it to the grader's
/// uid), from where it joined the grader's namespaces.
#[test]
fn a_program_started_by_its_path_does_not_run_as_root() {
    if !is_root() {
        eprintln!("skipped: needs root (the unprivileged-user layer)");
        return;
    }
    let run = grade_server_fixture("./sbx_whoami.sh", None, false);
    let (_, observed) = run.verdict();
    assert!(observed.contains("running as uid "), "{observed}");
    assert!(!observed.contains("running as root"), "{observed}");
    let notes = &run.json()["sandbox"]["notes"];
    assert_eq!(notes, &serde_json::json!([]), "{notes}");
}

/// A submission's netlab.toml cannot pick a path the grader resolves
/// otherwise than its program does: `/proc/self/cwd/...` names nothing in
/// the grader (judged "only root can reach it") and the submission's own
/// file in the program (seen: run as root). A netlab.toml's commands never
/// run as the grader's user.
#[test]
fn a_netlab_toml_cannot_get_its_program_run_as_root() {
    if !is_root() {
        eprintln!("skipped: needs root (the unprivileged-user layer)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        hostile_dir().join("sbx_whoami.sh"),
        dir.path().join("sbx_whoami.sh"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("netlab.toml"),
        "lab = \"week01\"\n[commands]\nserver = \"/proc/self/cwd/sbx_whoami.sh\"\n",
    )
    .unwrap();
    let args = [
        "--dir",
        dir.path().to_str().unwrap(),
        "--check",
        "server-ack",
        "--format",
        "json",
    ];
    let run = grade(&args, None, false);
    let (_, observed) = run.verdict();
    assert!(observed.contains("running as uid "), "{observed}");
    assert!(!observed.contains("running as root"), "{observed}");
}

/// A submission's own commands read and run only its folder and the
/// system's (the filesystem allowlist, hostile round 7): naming netlab's
/// reference server, copying it in first, or running the repository's
/// correct Python fixture scored full marks with no code of its own. Now
/// none of them starts a server; the instructor may trust a folder, and
/// then the same netlab.toml passes.
#[test]
fn a_submission_cannot_run_or_read_what_lies_outside_its_folder() {
    let server = env!("CARGO_BIN_EXE_server");
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/submissions/week01-python");
    let attempts = [
        ("named", format!("'{server}'")),
        ("copied", "sh steal.sh".to_string()),
        (
            "interpreted",
            format!("python3 '{}'", fixture.join("server.py").display()),
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("steal.sh"),
        format!("cp '{server}' ./s; exec ./s\n"),
    )
    .unwrap();
    let grade_with = |command: &str, extra: &[&str]| {
        std::fs::write(
            dir.path().join("netlab.toml"),
            format!("lab = \"week01\"\n[commands]\nserver = \"\"\"{command}\"\"\"\n"),
        )
        .unwrap();
        let mut args = vec![
            "--dir",
            dir.path().to_str().unwrap(),
            "--check",
            "server-ack",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        grade(&args, None, false)
    };
    let first = grade_with(&attempts[0].1, &[]);
    let sandbox = &first.json()["sandbox"];
    let active = sandbox["active"].as_array().unwrap();
    if !active.iter().any(|l| l == "paths") {
        // No Landlock here: the report must say the layer is missing.
        let missing = sandbox["missing"].to_string();
        assert!(missing.contains("paths"), "{sandbox}");
        eprintln!("skipped: no filesystem allowlist here ({missing})");
        return;
    }
    for (how, command) in &attempts {
        let run = grade_with(command, &[]);
        let check = &run.json()["checks"][0];
        assert_eq!(check["passed"], false, "{how}: {check}");
        if *how == "named" {
            assert_eq!(check["diagnosis"], "cannot-start", "{check}");
            // Refused; or not even there, where the build lies under /tmp
            // (a CARGO_TARGET_DIR there), which starts empty for it.
            let observed = check["observed"].to_string();
            assert!(
                observed.contains("own folder") || observed.contains("there is no program"),
                "{check}"
            );
        }
    }
    // What the instructor trusts runs.
    let bin = Path::new(server).parent().unwrap().to_str().unwrap();
    let trusted = grade_with(&attempts[0].1, &["--trust", bin]);
    assert_eq!(
        trusted.json()["checks"][0]["passed"],
        true,
        "{}",
        trusted.stdout
    );
    // Also from /tmp, which starts empty for the program: a trusted folder
    // there is shown to it (a CARGO_TARGET_DIR under /tmp).
    let in_tmp = tempfile::Builder::new()
        .prefix("netlab-trusted-")
        .tempdir_in("/tmp")
        .unwrap();
    let copy = in_tmp.path().join("server");
    std::fs::copy(server, &copy).unwrap();
    let named = format!("'{}'", copy.display());
    let hidden = grade_with(&named, &[]);
    assert_eq!(
        hidden.json()["checks"][0]["passed"],
        false,
        "{}",
        hidden.stdout
    );
    let shown = grade_with(&named, &["--trust", in_tmp.path().to_str().unwrap()]);
    assert_eq!(
        shown.json()["checks"][0]["passed"],
        true,
        "{}",
        shown.stdout
    );
}

/// A fresh folder outside /tmp (in cargo's temporary folder for tests)
/// that the jail's uid may enter: a 0700 one would stop the program by
/// itself.
fn open_base() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let base = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    std::fs::set_permissions(base.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    base
}

/// Puts 4100 empty files in `dir/ballast`: over the sandbox's 4000
/// entries, the folder is not copied but run in place.
fn too_big_to_copy(dir: &Path) {
    std::fs::create_dir_all(dir.join("ballast")).unwrap();
    for i in 0..4_100 {
        std::fs::write(dir.join("ballast").join(i.to_string()), "").unwrap();
    }
}

/// A folder too big to copy runs in place. Where the folder holding it is
/// writable by all (an unpacked archive's 0777), its program cannot
/// rename its own folder away and leave a symlink in its place: root
/// would copy what the symlink names for the next checks (hostile round
/// 8: the reference, or a folder only root can read, in the report).
#[test]
fn a_folder_run_in_place_cannot_swap_itself_for_a_symlink() {
    if !is_root() {
        eprintln!("skipped: the private mounts and another uid need root");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    // Not under /tmp: the private trees would make the rename harmless.
    let base = open_base();
    let parent = base.path().join("sub");
    let dir = parent.join("week01");
    too_big_to_copy(&dir);
    std::fs::copy(hostile_dir().join("sbx_swap.py"), dir.join("sbx_swap.py")).unwrap();
    std::fs::write(
        dir.join("netlab.toml"),
        "lab = \"week01\"\n[commands]\nserver = \"python3 sbx_swap.py\"\n",
    )
    .unwrap();
    for open in [&parent, &dir] {
        std::fs::set_permissions(open, std::fs::Permissions::from_mode(0o777)).unwrap();
    }
    // Without the allowlist, which refuses the rename too: the read-only
    // parent alone must hold.
    let run = grade_own_server_ack(&dir, Some("pid,net,user,copy,tmp,cgroup,limits"));
    let (_, observed) = run.verdict();
    assert!(observed.contains("swap: refused"), "{observed}");
    let meta = std::fs::symlink_metadata(&dir).unwrap();
    assert!(meta.is_dir(), "the folder was swapped");
    assert!(!parent.join(".old").exists());
}

/// A folder run in place, writable by all, is its program's to write, but
/// in a layer of its own: bounded, and gone when the program ends (hostile
/// round 11: 1 GiB of the real disk in 3 s, left for the next run).
#[test]
fn a_folder_run_in_place_is_written_in_a_bounded_layer_only() {
    if !is_root() {
        eprintln!("skipped: the private mounts and another uid need root");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    // Not under /tmp: the private trees would hide what it writes anyway.
    let base = open_base();
    let dir = base.path().join("week01");
    too_big_to_copy(&dir);
    std::fs::copy(
        hostile_dir().join("sbx_fill_folder.py"),
        dir.join("sbx_fill_folder.py"),
    )
    .unwrap();
    std::fs::write(
        dir.join("netlab.toml"),
        "lab = \"week01\"\n[commands]\nserver = \"python3 sbx_fill_folder.py\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let run = grade_own_server_ack(&dir, None);
    let (_, observed) = run.verdict();
    let mib: u64 = observed
        .split("fill: ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no fill line: {observed}"));
    // It may write where it could before (the folder is open to all)...
    assert!(mib > 0, "{observed}");
    // ...up to the sandbox's file bound, shared with its private /tmp.
    assert!(mib <= 64, "{observed}");
    assert!(observed.contains("No space left"), "{observed}");
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|name| name.to_string_lossy().starts_with("fill-"))
        .collect();
    assert!(left.is_empty(), "written to the real folder: {left:?}");
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
    assert_eq!(mode & 0o7777, 0o777, "the folder's own mode was changed");
}

/// The kernel's key store and new namespaces are out of a program's reach
/// (the syscall filter): a key readable by all outlived its maker and
/// carried a classmate's submission in a class run, and a program's own
/// network namespaces took kernel memory its cgroup did not count
/// (hostile round 12).
#[test]
fn a_program_can_neither_store_keys_nor_make_namespaces() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        hostile_dir().join("sbx_keys.py"),
        dir.path().join("sbx_keys.py"),
    )
    .unwrap();
    let run = grade_server_ack(dir.path(), "python3 sbx_keys.py", None);
    let active = run.json()["sandbox"]["active"].clone();
    if !active.as_array().unwrap().iter().any(|l| l == "syscalls") {
        eprintln!("skipped: no syscall filter here ({active})");
        return;
    }
    let (_, observed) = run.verdict();
    assert!(observed.contains("keys: refused"), "{observed}");
    assert!(
        observed.contains("namespaces (0 made): refused"),
        "{observed}"
    );
}

/// A chain of folders 20 000 deep, built at run time in the program's own
/// folder, is removed with it: the grader neither aborts (its removal
/// took a stack frame per level) nor leaves it in memory (past the
/// descriptor limit, it gave up silently; hostile round 13).
#[test]
fn a_folder_chain_built_at_run_time_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        hostile_dir().join("sbx_deep_folder.py"),
        dir.path().join("sbx_deep_folder.py"),
    )
    .unwrap();
    let run = grade_server_ack(dir.path(), "python3 sbx_deep_folder.py", None);
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    let (_, observed) = run.verdict();
    if is_root() {
        // As root its copy is a tmpfs of its own, whose inodes end the
        // chain first (16 384: hostile round 22); it goes with the copy.
        let stopped = run.stdout.contains("No space left on device")
            || observed.contains("deep: 20000 levels");
        assert!(stopped, "{observed}\n{}", run.stdout);
    } else {
        assert!(observed.contains("deep: 20000 levels"), "{observed}");
    }
    // Its chain, in a copy or a given folder of netlab's (other tests'
    // folders come and go meanwhile: only this chain tells).
    let left: Vec<PathBuf> = netlab::sandbox::scratch_places()
        .iter()
        .filter_map(|place| std::fs::read_dir(place).ok())
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("netlab-"))
                && p.join("d").join("d").join("d").exists()
        })
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    if is_root() {
        // Run in its private copy, not in the folder handed in.
        assert!(!dir.path().join("d").exists(), "written to the real folder");
    } else {
        remove_chain(dir.path());
    }
}

/// Without root the chain is in the folder handed in: removed as the
/// grader removes it (the TempDir's own removal would abort).
fn remove_chain(dir: &Path) {
    netlab::sandbox::remove_tree(&dir.join("d")).unwrap();
}

/// The host's unix sockets under /run (the journal's, D-Bus's, a
/// docker.sock writable by all) are out of a program's sight: /run is an
/// empty read-only tmpfs in its mount namespace (hostile round 12 reached
/// a stand-in root service there as the check's user).
#[test]
fn a_program_cannot_reach_the_hosts_unix_sockets() {
    if !is_root() {
        eprintln!("skipped: a socket under /run needs root");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let path = PathBuf::from(format!("/run/netlab-test-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o777)).unwrap();
    listener.set_nonblocking(true).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        hostile_dir().join("sbx_unix_socket.py"),
        dir.path().join("sbx_unix_socket.py"),
    )
    .unwrap();
    let server = format!("python3 sbx_unix_socket.py {}", path.display());
    let run = grade_server_ack(dir.path(), &server, None);
    let reached = listener.accept().is_ok();
    let _ = std::fs::remove_file(&path);
    let (_, observed) = run.verdict();
    assert!(observed.contains("unix: refused"), "{observed}");
    assert!(!reached, "the host's socket got a connection");
}

/// The machine's cgroup trees are out of a program's sight: an empty
/// read-only tmpfs covers /sys/fs/cgroup in its mount namespace (hostile
/// round 31 read every check's memory, CPU time and OOM kills there, live,
/// and could print them into its own report); nor the mount table of its
/// namespace's init, netlab's, in the machine's mount namespace (round 32:
/// every check's folders): its /proc shows its own user's processes only.
#[test]
fn a_program_cannot_read_the_machines_cgroups() {
    if !is_root() {
        eprintln!("skipped: the private /tmp's mounts need root here");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        hostile_dir().join("sbx_cgroup_peek.py"),
        dir.path().join("sbx_cgroup_peek.py"),
    )
    .unwrap();
    let run = grade_server_ack(dir.path(), "python3 sbx_cgroup_peek.py", None);
    let (_, observed) = run.verdict();
    assert!(
        observed.contains("cgroup: 0 entries, netlab trees: 0, init's mounts: 0"),
        "{observed}"
    );
}

/// A folder run in place whose files the sandbox's user cannot read (an
/// archive unpacked 0600) fails to start: the report says why, so that
/// the student is not the one blamed (hostile round 12: copied, the same
/// files passed).
#[test]
fn unreadable_files_of_a_folder_run_in_place_are_noted() {
    if !is_root() {
        eprintln!("skipped: another uid needs root");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let base = open_base();
    let dir = base.path().join("week01");
    support::copy_dir(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/submissions/week01-python"),
        &dir,
    );
    std::fs::set_permissions(
        dir.join("server.py"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    too_big_to_copy(&dir);
    let run = grade_own_server_ack(&dir, None);
    let notes = run.json()["sandbox"]["notes"].to_string();
    assert!(
        notes.contains("cannot be read by the sandbox's user (`server.py`"),
        "{notes}"
    );
}

/// Nor can a program running in its private copy rename a folder above
/// the submission (its parent writable by all) and rebuild the path with a
/// symlink: the allowlist lets it write only its own places (round 8c: a
/// folder two levels up was renamed, and root copied the reference).
#[test]
fn a_program_cannot_rename_a_folder_above_its_submission() {
    if !is_root() {
        eprintln!("skipped: the private mounts and another uid need root");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    // Open to the jail's uid: a 0700 folder would stop it by itself.
    let base = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    std::fs::set_permissions(base.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let open = base.path().join("u");
    let above = open.join("g");
    let dir = above.join("week01");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(hostile_dir().join("sbx_swap.py"), dir.join("sbx_swap.py")).unwrap();
    std::fs::write(
        dir.join("netlab.toml"),
        format!(
            "lab = \"week01\"\n[commands]\nserver = \"python3 sbx_swap.py '{}'\"\n",
            above.display()
        ),
    )
    .unwrap();
    for d in [&open, &above, &dir] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o777)).unwrap();
    }
    let run = grade_own_server_ack(&dir, None);
    let sandbox = &run.json()["sandbox"];
    if !sandbox["active"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l == "paths")
    {
        eprintln!(
            "skipped: no filesystem allowlist here ({})",
            sandbox["missing"]
        );
        return;
    }
    let (_, observed) = run.verdict();
    assert!(observed.contains("swap: refused"), "{observed}");
    assert!(std::fs::symlink_metadata(&above).unwrap().is_dir());
    assert!(!open.join(".old").exists());
}

/// A program has no controlling terminal: it cannot draw on the user's
/// screen around the report, nor push keystrokes into the user's shell
/// (seen before: a forged score drawn, and a command run after netlab
/// exited). The grader runs on a pseudo-terminal here (`script`).
#[test]
fn a_program_cannot_reach_the_graders_terminal() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: `script` (util-linux) is not installed");
        return;
    }
    let dir = hostile_dir();
    let line = format!(
        "'{}' grade week01 --dir '{}' --server 'python3 sbx_tty.py' --check server-ack",
        env!("CARGO_BIN_EXE_netlab"),
        dir.display()
    );
    let mut cmd = Command::new("script");
    cmd.args(["-qec", &line, "/dev/null"])
        .env("NO_COLOR", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1");
    let mut child = Child::spawn(cmd, Duration::from_secs(90)).expect("script starts");
    child
        .wait_exit(Duration::from_secs(95))
        .expect("the grading ends");
    let screen = child.text(Stream::Stdout);
    assert!(screen.contains("tty: refused"), "{screen}");
    assert!(!screen.contains("FORGED-BY-SUBMISSION"), "{screen}");
}

/// Where only the subreaper fallback runs, a process that detached and
/// emptied its environment (no tag to find it by) is still ended when the
/// grading ends: every orphan left then is a submission's.
#[test]
fn a_detached_process_that_sheds_its_tag_is_ended_with_the_run() {
    let marker = run_marker("shed_tag");
    let dir = hostile_dir();
    let server = format!("python3 sbx_shed_tag.py {marker}");
    let run = grade(
        &[
            "--dir",
            dir.to_str().unwrap(),
            "--server",
            &server,
            "--check",
            "server-ack",
        ],
        Some("limits"),
        false,
    );
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    assert_nothing_left(&marker);
}

/// System V IPC objects made in a check do not outlive it: its pid
/// namespace comes with an IPC namespace (seen: a shared memory segment
/// and a message queue left for the next submission).
#[test]
fn system_v_ipc_objects_die_with_the_check() {
    let key = 0x6e6c_0000 + (std::process::id() % 0xffff) as i64 * 2;
    let server = format!("python3 sbx_ipc.py {key}");
    let run = grade_server_fixture(&server, None, false);
    let (_, observed) = run.verdict();
    assert!(observed.contains("message sent: True"), "{observed}");
    let active = run.json()["sandbox"]["active"].to_string();
    if !active.contains("\"pid\"") {
        eprintln!("skipped the check: no pid namespace here ({active})");
        return;
    }
    for (table, key) in [("shm", key), ("msg", key + 1)] {
        let text = std::fs::read_to_string(format!("/proc/sysvipc/{table}")).unwrap_or_default();
        let left = text
            .lines()
            .skip(1)
            .any(|l| l.split_whitespace().next() == Some(&key.to_string()));
        assert!(
            !left,
            "a {table} object with key {key} outlived the check:\n{text}"
        );
    }
}

/// Skips (saying why) unless this test can run a grader as uid 65534 that
/// may make user namespaces.
fn unprivileged_namespaces_here() -> bool {
    if !is_root() || Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("skipped: needs root (to become uid 65534) and setpriv");
        return false;
    }
    if !user_namespaces_allowed() {
        eprintln!("skipped: this machine refuses unprivileged user namespaces");
        return false;
    }
    true
}

/// Without root, where user namespaces are allowed, each check still has a
/// network namespace of its own: nothing routes past loopback.
#[test]
fn an_unprivileged_graders_programs_cannot_reach_past_loopback() {
    if !unprivileged_namespaces_here() {
        return;
    }
    let run = grade_server_fixture("python3 connect_out.py", None, true);
    let (diagnosis, observed) = run.verdict();
    assert_ne!(diagnosis, "", "{}", run.stdout);
    assert!(
        observed.contains("cannot reach 192.0.2.1: Network is unreachable"),
        "{observed}"
    );
    let active = &run.json()["sandbox"]["active"];
    assert!(
        active.as_array().unwrap().iter().any(|l| l == "net"),
        "{active}"
    );
}

/// Without root, a process of the grader's own user that connects to
/// every loopback listener and forges replies (steal_ports.py, run beside
/// the grading, outside any sandbox) reaches none of the check's fake
/// servers: they live in the check's network namespace. Measured before
/// that namespace existed without root: 26 of 38 checks passed.
#[test]
fn a_neighbour_cannot_reach_an_unprivileged_graders_fake_servers() {
    if !unprivileged_namespaces_here() {
        return;
    }
    let marker = run_marker("steal_ports");
    let mut neighbour = Command::new("setpriv");
    neighbour
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .args(["python3", "steal_ports.py", &marker, "8"])
        .current_dir(hostile_dir())
        .env("PYTHONDONTWRITEBYTECODE", "1");
    let mut neighbour = Child::spawn(neighbour, Duration::from_secs(30)).expect("neighbour starts");
    let correct = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/submissions/week01-python");
    let run = grade(
        &["--dir", correct.to_str().unwrap(), "--format", "json"],
        None,
        true,
    );
    let _ = neighbour.wait_exit(Duration::from_secs(20));
    drop(neighbour);
    let json = run.json();
    let failed = support::failed_checks(&json);
    assert!(
        failed.is_empty(),
        "the neighbour changed verdicts:\n{}",
        failed.join("\n")
    );
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    assert_nothing_left(&marker);
}

#[test]
fn two_gradings_at_once_both_pass_everything() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/submissions/week01-python");
    let runs: Vec<Run> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let dir = dir.clone();
                scope.spawn(move || {
                    grade(
                        &["--dir", dir.to_str().unwrap(), "--format", "json"],
                        None,
                        false,
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for run in runs {
        let json = run.json();
        assert_eq!(json["failed"], 0, "{}", run.stdout);
        assert_eq!(run.code, Some(0));
    }
}

/// A grader killed with SIGKILL cleans nothing up; the next `netlab
/// grade` removes what it left: its cgroups and its jail folders (owned by
/// a jail uid), and nothing of a live grader or owned by anyone else.
#[test]
fn a_grade_sweeps_what_a_dead_grader_left() {
    if !is_root() || !std::path::Path::new("/sys/fs/cgroup/memory/netlab").is_dir() {
        eprintln!("skipped: needs root and the cgroup layer");
        return;
    }
    // A pid that just ended: nobody's now.
    let mut gone = Command::new("true").spawn().unwrap();
    let dead = gone.id();
    gone.wait().unwrap();
    let cgroup = PathBuf::from(format!("/sys/fs/cgroup/pids/netlab/{dead}-0"));
    let jail = std::env::temp_dir().join(format!("netlab-jail-{dead}-swept"));
    let foreign = std::env::temp_dir().join(format!("netlab-jail-{dead}-not-a-jail"));
    std::fs::create_dir_all(&cgroup).unwrap();
    std::fs::create_dir_all(jail.join("sub")).unwrap();
    std::fs::create_dir_all(&foreign).unwrap();
    let jail_uid = 0x6e6c_0000 + 5;
    for path in [jail.clone(), jail.join("sub")] {
        std::os::unix::fs::chown(&path, Some(jail_uid), Some(jail_uid)).unwrap();
    }
    // A folder given to a jail (a chat log's) and a private-/tmp staging
    // folder (ours, root's) of the dead grader.
    // Where this version may make them (a tmpfs, when there is one) too:
    // the first place the sweep looks.
    let scratch = netlab::sandbox::scratch_places().remove(0);
    let scratch_jail = scratch.join(format!("netlab-jail-{dead}-swept-too"));
    let scratch_foreign = scratch.join(format!("netlab-jail-{dead}-not-a-jail-either"));
    std::fs::create_dir_all(&scratch_jail).unwrap();
    std::fs::create_dir_all(&scratch_foreign).unwrap();
    std::os::unix::fs::chown(&scratch_jail, Some(jail_uid), Some(jail_uid)).unwrap();
    let given = scratch.join(format!("netlab-grade-{dead}-swept"));
    let staging = std::env::temp_dir().join(format!("netlab-tmp-{dead}-swept"));
    std::fs::create_dir_all(&given).unwrap();
    std::fs::create_dir_all(&staging).unwrap();
    std::os::unix::fs::chown(&given, Some(jail_uid), Some(jail_uid)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_netlab"));
    cmd.args([
        "grade",
        "week01",
        "--check",
        "client-ack",
        "--client",
        "true",
        "--dir",
    ])
    .arg(dir.path());
    let _ = support::bounded(cmd);
    let (cgroup_left, jail_left, foreign_left) = (cgroup.exists(), jail.exists(), foreign.exists());
    let (given_left, staging_left) = (given.exists(), staging.exists());
    let (scratch_jail_left, scratch_foreign_left) =
        (scratch_jail.exists(), scratch_foreign.exists());
    let _ = std::fs::remove_dir(&cgroup);
    for path in [
        &jail,
        &foreign,
        &given,
        &staging,
        &scratch_jail,
        &scratch_foreign,
    ] {
        let _ = std::fs::remove_dir_all(path);
    }
    assert!(!cgroup_left, "{} left", cgroup.display());
    assert!(!jail_left, "{} left", jail.display());
    assert!(!given_left, "{} left", given.display());
    assert!(!scratch_jail_left, "{} left", scratch_jail.display());
    assert!(!staging_left, "{} left", staging.display());
    assert!(foreign_left, "a folder not owned by a jail uid was removed");
    assert!(
        scratch_foreign_left,
        "a folder not owned by a jail uid was removed from {}",
        scratch.display()
    );
}

/// Each program tree is one group for the CPU scheduler (v1's cpu
/// hierarchy here): a submission that forks spinners, each in a session of
/// its own (one autogroup each), gets one tree's share, not one share per
/// spinner. Hostile round 6: two such submissions starved the correct
/// classmates graded beside them past their checks' deadlines.
#[test]
fn a_program_tree_is_one_group_for_the_cpu_scheduler() {
    let cpu = std::path::Path::new("/sys/fs/cgroup/cpu");
    let separate = cpu.join("cpu.shares").exists()
        && cpu.canonicalize().ok()
            != std::path::Path::new("/sys/fs/cgroup/cpuacct")
                .canonicalize()
                .ok();
    if !is_root() || !separate {
        eprintln!("skipped: needs root and a cgroup v1 cpu hierarchy of its own");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let run = grade(
        &[
            "--dir",
            dir.path().to_str().unwrap(),
            "--server",
            "sh -c 'cat /proc/self/cgroup >&2; exit 3'",
            "--check",
            "server-listening",
        ],
        None,
        false,
    );
    assert!(
        run.stdout
            .lines()
            .any(|l| l.trim_start().starts_with("| ") && l.contains(":cpu:/netlab/")),
        "the program is in a cpu cgroup of its tree:\n{}",
        run.stdout
    );
}

/// What the content hash leaves out (bytecode caches, version control) is
/// not in the programs' private copy either: a compiled `.pyc` ran in
/// place of its source while a class run's hash ignored it (hostile round
/// 7: a changed `.pyc` kept an old 11/11 record).
#[test]
fn what_the_hash_leaves_out_is_not_run() {
    if !is_root() {
        eprintln!("skipped: the private copy needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("impl.pyc"), b"not python").unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::write(dir.path().join("kept.txt"), b"work").unwrap();
    let run = grade(
        &[
            "--dir",
            dir.path().to_str().unwrap(),
            "--server",
            "sh -c 'ls -a >&2; exit 3'",
            "--check",
            "server-listening",
        ],
        None,
        false,
    );
    assert!(run.stdout.contains("| kept.txt"), "{}", run.stdout);
    assert!(
        !run.stdout.contains("impl.pyc") && !run.stdout.contains("| .git"),
        "{}",
        run.stdout
    );
}

/// A full scratch space (the tmpfs that holds every check's private copy:
/// since each copy is a tmpfs of its own, only when no copy's folder can
/// be made there) is netlab's failure: the check does not run, neither in
/// place without its copy nor with the error blamed on the program
/// (hostile round 22: both). The tmpfs is a tiny one of a private mount
/// namespace (`unshare -m`), gone with it.
#[test]
fn a_full_scratch_space_is_a_grader_error_not_a_run_in_place() {
    if !is_root() || Command::new("unshare").arg("--version").output().is_err() {
        eprintln!("skipped: needs root and unshare(1)");
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/submissions/week01-python");
    let script = format!(
        "mount -t tmpfs -o size=1m,nr_inodes=1 tmpfs {0} && TMPDIR={0} exec {1} grade week01 --dir {2} --check server-ack --format json",
        scratch.path().display(),
        env!("CARGO_BIN_EXE_netlab"),
        fixture.display()
    );
    let out = Command::new("timeout")
        .args(["120", "unshare", "-m", "sh", "-c", &script])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let check = &report["checks"][0];
    assert_eq!(check["diagnosis"], "grader-error", "{check}");
    let observed = check["observed"].as_str().unwrap_or("");
    assert!(observed.contains("scratch space was full"), "{observed}");
}

/// The launcher's plan (folders, the status pipe's path, the class and
/// results folders to hide) is wiped from its arguments once parsed: the
/// program's namespace init, PID 1, was forked from it, and its
/// `/proc/1/cmdline` showed them (hostile round 30).
#[test]
fn the_namespace_init_shows_no_plan() {
    if !is_root() {
        eprintln!("skipped: the pid namespace's init is the launcher's (root here)");
        return;
    }
    let dir = hostile_dir();
    let run = grade_server_ack(
        &dir,
        r#"sh -c 'tr "\000" "_" < /proc/1/cmdline 1>&2; echo 1>&2; exit 3'"#,
        None,
    );
    let (_, observed) = run.verdict();
    // Out of sight (hidepid), or in sight with its plan wiped.
    assert!(
        observed.contains("cannot open /proc/1/cmdline") || observed.contains("netlab-sandbox_"),
        "{observed}"
    );
    for key in ["cwd=", "see=", "own=", "status=", "parent=", "cgroup="] {
        assert!(
            !observed.contains(key),
            "the plan shows ({key}): {observed}"
        );
    }
}
