//! Wire evidence: the packets of every failed check, kept as a .pcap, with
//! the few segments that explain the failure shown in the report.
//!
//! How it works, per check (see the hook in `run_check`):
//! 1. [`Recorder::start`], on the thread that runs the check, opens an
//!    AF_PACKET socket on `lo` ([`crate::trace`]'s capture). Opening it on
//!    that thread matters: a raw socket belongs to the network namespace
//!    of the thread that opens it, and a check may run in its own.
//! 2. While the check runs, the harness notes every loopback port it uses
//!    ([`note_port`]): ports probes connect to, fake servers listen on,
//!    ports handed to programs in LAB_PORT, ports a program was seen
//!    listening on. The notes are thread-local: a check runs on one thread.
//!    The grader's own ends (its probes' ports, its fake servers') are
//!    noted as such ([`note_grader_port`]): the report calls them "the
//!    grader's" and never blames what they do (they misbehave on purpose).
//! 3. [`Recorder::finish`] stops the capture and keeps only the segments of
//!    those ports (other checks run at the same time on the same `lo`). A
//!    passing check's packets are dropped; a failing check's go to
//!    `DIR/<check-id>.pcap`, and [`crate::trace::telling`] picks the
//!    segments worth a line in the report.
//!
//! Without root or CAP_NET_RAW the packet socket still opens when the
//! check's network namespace is held by a user namespace of netlab's own
//! (`sandbox::check_socket`). Without capture rights (none of these), or
//! on systems other than Linux, nothing is captured and nothing is said. Generic: nothing
//! here knows a week's contract.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

thread_local! {
    /// Loopback ports the check running on this thread has used.
    static PORTS: RefCell<BTreeSet<u16>> = const { RefCell::new(BTreeSet::new()) };
    /// Those of them that are the grader's own ends.
    static GRADER_PORTS: RefCell<BTreeSet<u16>> = const { RefCell::new(BTreeSet::new()) };
    /// Those of them where a server keeps each session open until the
    /// other side ends it (see [`note_session_port`]).
    static SESSION_PORTS: RefCell<BTreeSet<u16>> = const { RefCell::new(BTreeSet::new()) };
    /// The grader's ends whose connection the program was asked to end
    /// (see [`note_ended_on_purpose`]).
    static ENDED_ON_PURPOSE: RefCell<BTreeSet<u16>> = const { RefCell::new(BTreeSet::new()) };
}

/// Notes that the check running on this thread uses loopback `port`, so its
/// segments are kept as evidence. Port 0 is ignored.
pub fn note_port(port: u16) {
    if port != 0 {
        PORTS.with(|ports| ports.borrow_mut().insert(port));
    }
}

/// Notes that `port` is one end of the grader's own (a probe client's
/// port, a fake server's): its segments are kept, and what it does is
/// never told as a mistake.
pub fn note_grader_port(port: u16) {
    note_port(port);
    if port != 0 {
        GRADER_PORTS.with(|ports| ports.borrow_mut().insert(port));
    }
}

/// Notes that the server listening on `port` keeps each session open
/// until the other side ends it, as its role's protocol says (a chat
/// server: the client leaves when it likes). Its FIN after the other
/// side's, however late, is then what it should do, and never told as
/// closing late.
pub fn note_session_port(port: u16) {
    note_port(port);
    if port != 0 {
        SESSION_PORTS.with(|ports| ports.borrow_mut().insert(port));
    }
}

/// Notes that the check asked the program to end the connection whose
/// grader's end is `port` without reading all it was sent or replying: a
/// client refused as busy, a line past a session's limit, a session past
/// its idle limit. Its close without a reply there, or its reset with
/// bytes unread, is then what it should do, and never told as a mistake
/// (blind round 23: "did its program crash?" under a correct bound).
pub fn note_ended_on_purpose(port: u16) {
    if port != 0 {
        ENDED_ON_PURPOSE.with(|ports| ports.borrow_mut().insert(port));
    }
}

/// This thread's notes, taken (see [`take_ports`]). Read by the capture,
/// which is Linux's alone.
#[derive(Debug, Default)]
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
struct Ports {
    all: BTreeSet<u16>,
    grader: BTreeSet<u16>,
    sessions: BTreeSet<u16>,
    ended_on_purpose: BTreeSet<u16>,
}

/// Takes this thread's notes.
fn take_ports() -> Ports {
    let take = |key: &'static std::thread::LocalKey<RefCell<BTreeSet<u16>>>| {
        key.with(|ports| std::mem::take(&mut *ports.borrow_mut()))
    };
    Ports {
        all: take(&PORTS),
        grader: take(&GRADER_PORTS),
        sessions: take(&SESSION_PORTS),
        ended_on_purpose: take(&ENDED_ON_PURPOSE),
    }
}

/// At most this many telling segments are shown per check; the .pcap has
/// the rest.
pub const MOST_LINES: usize = 6;

/// What the wire showed for one failed check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evidence {
    /// The .pcap with the check's packets (`None` if it could not be
    /// written).
    pub pcap: Option<PathBuf>,
    /// One line per telling segment (and a last line if some were left
    /// out, or if the file could not be written).
    pub lines: Vec<String>,
}

/// The capture of one check.
pub struct Recorder {
    dir: Option<PathBuf>,
    #[cfg(target_os = "linux")]
    capture: Option<crate::trace::capture::Capture>,
}

impl Recorder {
    /// Starts capturing if `dir` is given and this process may capture.
    /// Call it on the thread that runs the check, just before the check.
    pub fn start(dir: Option<&Path>) -> Recorder {
        take_ports();
        Recorder {
            dir: dir.map(Path::to_path_buf),
            #[cfg(target_os = "linux")]
            capture: dir.and_then(|_| linux::open()),
        }
    }

    /// Is a capture running?
    pub fn capturing(&self) -> bool {
        #[cfg(target_os = "linux")]
        {
            self.capture.is_some()
        }
        #[cfg(not(target_os = "linux"))]
        {
            false
        }
    }

    /// Stops the capture, on the same thread as [`Recorder::start`], before
    /// the check's programs are stopped (their forced end would add FINs
    /// and RSTs of the grader's making). For a failed check that used the
    /// network, writes `DIR/<id>.pcap` and returns what to show; otherwise
    /// drops the packets (and an older file of the same check).
    pub fn finish(self, id: &str, failed: bool) -> Option<Evidence> {
        let ports = take_ports();
        let dir = self.dir?;
        let pcap = dir.join(format!("{id}.pcap"));
        #[cfg(target_os = "linux")]
        if let Some(capture) = self.capture {
            if failed {
                // Let the last segments of the check's own closing (the
                // probe's FIN and its answer) reach the capture.
                std::thread::sleep(linux::SETTLE);
            }
            let frames = capture.stop().unwrap_or_default();
            // On the frames' clock (since the Unix epoch).
            let stopped = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            if failed {
                let kept = linux::own_frames(frames, &ports.all);
                if !kept.is_empty() {
                    return Some(linux::keep(&dir, &pcap, &kept, &ports, stopped));
                }
            }
        }
        let _ = (failed, ports);
        // A file from an earlier run of the same seed must not pass for this
        // run's evidence.
        let _ = std::fs::remove_file(&pcap);
        None
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use std::collections::BTreeSet;
    use std::path::Path;
    use std::time::Duration;

    use super::{Evidence, Ports, MOST_LINES};
    use crate::trace::capture::Capture;
    use crate::trace::pcap::{write_pcap, Frame};
    use crate::trace::segment::parse_frame;
    use crate::trace::telling::{fold, telling_among, Sign};

    /// How long a failed check's capture goes on after the check ended.
    pub(super) const SETTLE: Duration = Duration::from_millis(100);

    /// Bound on the bytes one check's capture keeps (a Week 1 check
    /// exchanges a few kilobytes; a flood must not eat the memory).
    const MOST_BYTES: usize = 8 << 20;

    pub(super) fn open() -> Option<Capture> {
        // No rights is the common case for a student: say nothing.
        Capture::open_tcp(MOST_BYTES).ok()
    }

    /// The frames of connections on one of `ports`.
    pub(super) fn own_frames(frames: Vec<Frame>, ports: &BTreeSet<u16>) -> Vec<Frame> {
        frames
            .into_iter()
            .filter(|f| {
                parse_frame(&f.bytes, f.time)
                    .is_some_and(|s| ports.contains(&s.src.port()) || ports.contains(&s.dst.port()))
            })
            .collect()
    }

    /// Creates `dir` if needed and checks it is a real folder of ours.
    ///
    /// Trap: the default folder has a predictable name in the shared temp
    /// folder, and netlab may run as root: a folder (or a symlink) planted
    /// there by another user must not receive our files.
    fn own_folder(dir: &Path) -> std::io::Result<()> {
        use std::os::unix::fs::MetadataExt;
        super::make_folder(dir)?;
        let meta = std::fs::symlink_metadata(dir)?;
        // /proc/self belongs to our effective user.
        let me = std::fs::metadata("/proc/self")?.uid();
        if meta.file_type().is_symlink() || !meta.is_dir() || meta.uid() != me {
            return Err(std::io::Error::other(format!(
                "{} is not a folder of ours (choose another with --evidence-dir)",
                dir.display()
            )));
        }
        Ok(())
    }

    /// How long before the capture stopped a FIN must have come for "the
    /// other side never sent its FIN back" to be said: a FIN the grader
    /// sent as it ended the check (a fake server closed at the end, with
    /// the program still waiting on its terminal for a line) had no time
    /// to be answered (blind round 11: a correct -i client was told it
    /// never closed the connection).
    const FIN_UNANSWERED_FOR: Duration = Duration::from_millis(500);

    pub(super) fn keep(
        dir: &Path,
        pcap: &Path,
        frames: &[Frame],
        ports: &Ports,
        stopped: Duration,
    ) -> Evidence {
        let segments: Vec<_> = frames
            .iter()
            .filter_map(|f| parse_frame(&f.bytes, f.time))
            .collect();
        let start = segments.first().map(|s| s.time).unwrap_or_default();
        // The grader's own ends misbehave on purpose (a fake server that
        // never replies): only a refusal or an unanswered SYN, which the
        // kernel or the program answered, is told about them. A server
        // whose sessions the other side ends closes after it by design.
        let grader = &ports.grader;
        let told = fold(
            telling_among(&segments, grader)
                .into_iter()
                .filter(|t| {
                    matches!(t.sign, Sign::Refused | Sign::SynUnanswered)
                        || !grader.contains(&t.actor.port())
                })
                .filter(|t| !(t.sign == Sign::LateFin && ports.sessions.contains(&t.actor.port())))
                .filter(|t| {
                    let ended = matches!(
                        t.sign,
                        Sign::ClosedWithoutReply | Sign::ResetAfterData | Sign::DataAfterClose
                    );
                    !(ended && ports.ended_on_purpose.contains(&t.other_end().port()))
                })
                .filter(|t| {
                    t.sign != Sign::NoFin
                        || stopped.saturating_sub(t.segment.time) >= FIN_UNANSWERED_FOR
                })
                .collect(),
        );
        let mut lines: Vec<String> = told
            .iter()
            .take(MOST_LINES)
            .map(|(t, n)| match n {
                1 => t.line(start),
                n => format!("{} (seen {n} times)", t.line(start)),
            })
            .collect();
        if told.len() > MOST_LINES {
            lines.push(format!(
                "… and {} more in the .pcap",
                told.len() - MOST_LINES
            ));
        }
        let written = own_folder(dir).and_then(|()| write_pcap(pcap, frames));
        match written {
            Ok(()) => Evidence {
                pcap: Some(pcap.to_path_buf()),
                lines,
            },
            Err(e) => {
                lines.push(format!(
                    "({} packets captured, but {} could not be written: {e})",
                    frames.len(),
                    pcap.display()
                ));
                Evidence { pcap: None, lines }
            }
        }
    }
}

/// The default evidence folder of a run: `netlab-evidence-<seed>-<hash>`
/// in the system's temp folder, the hash of the submission's folder
/// (`submission`): grading several submissions with one seed (a class's
/// replay) must not put one's packets where another's were, which the
/// earlier report still names (blind round 24). Only named here: made
/// with the first packets kept ([`make_folder`]), so a run that keeps
/// none, or is killed, leaves nothing in the temp folder (a made-first,
/// removed-if-empty folder left an empty one per killed run: 669 in a
/// day of this suite and its helpers).
pub fn default_dir(seed: u64, submission: &Path) -> PathBuf {
    default_dir_in(&std::env::temp_dir(), seed, submission)
}

/// FNV-1a of the submission folder's absolute path, 8 hex digits: tells
/// folders apart, names nothing.
fn folder_hash(submission: &Path) -> String {
    let path = std::path::absolute(submission).unwrap_or_else(|_| submission.to_path_buf());
    let mut hash: u32 = 0x811c_9dc5;
    for byte in path.as_os_str().as_encoded_bytes() {
        hash = (hash ^ u32::from(*byte)).wrapping_mul(0x0100_0193);
    }
    format!("{hash:08x}")
}

fn default_dir_in(temp: &Path, seed: u64, submission: &Path) -> PathBuf {
    temp.join(format!(
        "{DEFAULT_PREFIX}{seed}-{}",
        folder_hash(submission)
    ))
}

/// Makes the evidence folder `dir` (its parents too) if it is not there,
/// readable by its owner only (0700 on Unix): in a temp folder shared by
/// every user of a lab machine, the packets of one student's run are not
/// the others' to read. Except under sudo (how a capture runs without
/// being root): root's folder is then open for reading (0755), or the
/// student who ran it could not open the packets the report names. A
/// folder already there is left as it is (the capture checks it is ours
/// before writing).
pub fn make_folder(dir: &Path) -> std::io::Result<()> {
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    #[allow(unused_mut)] // set only on Unix
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        // SAFETY: geteuid cannot fail.
        let root = unsafe { nix::libc::geteuid() } == 0;
        let mode = if root && std::env::var_os("SUDO_UID").is_some() {
            0o755
        } else {
            0o700
        };
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, mode);
    }
    match builder.create(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(e),
        _ => Ok(()),
    }
}

const DEFAULT_PREFIX: &str = "netlab-evidence-";

/// Removes the default evidence folders (see [`default_dir`]) not changed
/// for `age`: each run with a new seed makes one, and nothing else ever
/// removes them. Only plain folders of ours (a symlink or someone
/// else's folder is left alone); a run still writing to its folder
/// touches it, so the age spares it. Best effort: errors are ignored.
/// `keep` (this run's folder, a replayed seed's) is never removed.
pub fn prune_old_defaults(age: std::time::Duration, keep: &Path) {
    prune_old_defaults_in(&std::env::temp_dir(), age, keep);
}

fn prune_old_defaults_in(temp: &Path, age: std::time::Duration, keep: &Path) {
    let Ok(entries) = std::fs::read_dir(temp) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        // `<seed>-<8 hex>`, or `<seed>` alone (made before the hash).
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let is_default = name
            .to_str()
            .and_then(|n| n.strip_prefix(DEFAULT_PREFIX))
            .is_some_and(|rest| match rest.split_once('-') {
                Some((seed, hash)) => {
                    digits(seed) && hash.len() == 8 && hash.bytes().all(|b| b.is_ascii_hexdigit())
                }
                None => digits(rest),
            });
        let Ok(meta) = entry.path().symlink_metadata() else {
            continue;
        };
        #[cfg(unix)]
        let ours = {
            use std::os::unix::fs::MetadataExt;
            // SAFETY: geteuid cannot fail.
            meta.uid() == unsafe { nix::libc::geteuid() }
        };
        #[cfg(not(unix))]
        let ours = true;
        let old = meta
            .modified()
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|elapsed| elapsed >= age);
        if is_default && meta.is_dir() && ours && old && entry.path() != keep {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn the_default_folder_is_its_owner_s_alone_and_made_only_for_packets() {
        use std::os::unix::fs::PermissionsExt;
        let temp = tempfile::tempdir().unwrap();
        let dir = default_dir_in(temp.path(), 42, Path::new("sub"));
        assert!(!dir.exists(), "named, not made: {}", dir.display());
        make_folder(&dir).unwrap();
        make_folder(&dir).unwrap();
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        // SAFETY: geteuid cannot fail.
        let sudo = unsafe { nix::libc::geteuid() } == 0 && std::env::var_os("SUDO_UID").is_some();
        let want = if sudo { 0o755 } else { 0o700 };
        assert_eq!(mode & 0o777, want, "{mode:o}");
    }

    #[cfg(unix)] // set_modified on a folder: Windows cannot open one so.
    #[test]
    fn one_seed_gives_each_submission_a_folder_of_its_own() {
        let temp = tempfile::tempdir().unwrap();
        let a = default_dir_in(temp.path(), 7, Path::new("/class/alice"));
        let b = default_dir_in(temp.path(), 7, Path::new("/class/bob"));
        assert_ne!(a, b);
        assert_eq!(a, default_dir_in(temp.path(), 7, Path::new("/class/alice")));
        let name = a.file_name().unwrap().to_str().unwrap().to_string();
        assert!(
            name.starts_with("netlab-evidence-7-") && name.len() == "netlab-evidence-7-".len() + 8,
            "{name}"
        );
    }

    #[test]
    fn only_old_default_folders_are_pruned() {
        // In a folder of its own: the real temp folder holds the user's.
        let temp = tempfile::tempdir().unwrap();
        let dir = |name: &str| temp.path().join(format!("{DEFAULT_PREFIX}{name}"));
        let (fresh, old, replayed, other) =
            (dir("17"), dir("18-0a1b2c3d"), dir("19"), dir("17-mine"));
        let two_days_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(48 * 3600);
        for d in [&fresh, &old, &replayed, &other] {
            std::fs::create_dir_all(d).unwrap();
            if d != &fresh {
                std::fs::File::open(d)
                    .unwrap()
                    .set_modified(two_days_ago)
                    .unwrap();
            }
        }
        prune_old_defaults_in(
            temp.path(),
            std::time::Duration::from_secs(24 * 3600),
            &replayed,
        );
        assert!(fresh.exists(), "a folder in use is kept");
        assert!(!old.exists(), "an old default folder goes");
        assert!(replayed.exists(), "the folder of the seed replayed is kept");
        assert!(other.exists(), "a folder that only looks like one stays");
    }

    #[test]
    fn ports_are_noted_per_thread_and_taken_once() {
        note_port(0);
        note_port(5);
        note_port(5);
        std::thread::spawn(|| note_port(7)).join().unwrap();
        note_grader_port(9);
        note_session_port(11);
        note_ended_on_purpose(13);
        let ports = take_ports();
        assert_eq!(ports.ended_on_purpose.into_iter().collect::<Vec<_>>(), [13]);
        assert_eq!(ports.all.into_iter().collect::<Vec<_>>(), [5, 9, 11]);
        assert_eq!(ports.grader.into_iter().collect::<Vec<_>>(), [9]);
        assert_eq!(ports.sessions.into_iter().collect::<Vec<_>>(), [11]);
        let again = take_ports();
        assert!(again.all.is_empty() && again.sessions.is_empty());
    }

    /// A server that closes without a reply is told, unless the check
    /// asked for that close (blind round 23: a session past its limit).
    #[cfg(target_os = "linux")]
    #[test]
    fn a_close_the_check_asked_for_is_not_told() {
        use crate::trace::pcap::Frame;
        use crate::trace::segment::tests::{frame, Seg, CLIENT, SERVER};
        let seg = |from, to, seq, ack, flags, payload| Seg {
            from,
            to,
            seq,
            ack,
            flags,
            payload,
        };
        let frames: Vec<Frame> = [
            seg(CLIENT, SERVER, 1, None, "SYN", &b""[..]),
            seg(SERVER, CLIENT, 100, Some(2), "SYN", b""),
            seg(CLIENT, SERVER, 2, Some(101), "ACK", b""),
            seg(
                CLIENT,
                SERVER,
                2,
                Some(101),
                "PSH",
                b"a line past the limit",
            ),
            seg(SERVER, CLIENT, 101, Some(23), "FIN", b""),
        ]
        .into_iter()
        .enumerate()
        .map(|(i, s)| Frame {
            time: std::time::Duration::from_millis(i as u64),
            bytes: frame(s),
        })
        .collect();
        let dir = tempfile::tempdir().unwrap();
        let told = |ended: &[u16]| {
            let ports = Ports {
                all: [CLIENT, SERVER].into(),
                grader: [CLIENT].into(),
                sessions: BTreeSet::new(),
                ended_on_purpose: ended.iter().copied().collect(),
            };
            let pcap = dir.path().join("x.pcap");
            let stopped = std::time::Duration::from_secs(10);
            linux::keep(dir.path(), &pcap, &frames, &ports, stopped).lines
        };
        let plain = told(&[]);
        assert!(
            plain
                .iter()
                .any(|l| l.contains("without sending a byte back")),
            "{plain:?}"
        );
        let asked = told(&[CLIENT]);
        assert!(
            !asked
                .iter()
                .any(|l| l.contains("without sending a byte back")),
            "{asked:?}"
        );
    }

    #[test]
    fn without_a_folder_nothing_is_captured_or_kept() {
        let r = Recorder::start(None);
        assert!(!r.capturing());
        assert_eq!(r.finish("x", true), None);
    }

    #[test]
    fn a_passing_check_leaves_no_file_behind_even_an_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("some-check.pcap");
        std::fs::write(&old, b"old").unwrap();
        let r = Recorder::start(Some(dir.path()));
        assert_eq!(r.finish("some-check", false), None);
        assert!(!old.exists());
    }
}
