//! Class grading: `netlab grade LAB --class DIR --out OUT` grades every
//! submission of a class, in parallel, and writes the gradebook and what
//! the class got wrong.
//!
//! Week-agnostic: it takes a lab slug and asks [`crate::grade::checks`] for
//! its checks; a new week needs no change here. Each submission is graded
//! through the same per-submission API as `netlab grade --dir`
//! ([`crate::grade::run_checks`]), so whatever isolation that API gives (its
//! deadlines, the sandbox) every row gets too: a hanging or hostile
//! submission costs only its own row.
//!
//! Layout of OUT:
//! ```text
//! OUT/gradebook.csv  summary.md  index.html      the class
//! OUT/run.json                                   the last run: counts, wall and CPU time
//! OUT/<submission>/report.txt                    the student's text report (no hidden checks)
//!                  report.json                   the full record (+ duration_ms, content_hash, points)
//!                  report.xml                    JUnit
//!                  results.json                  Gradescope
//!                  prairielearn.json             PrairieLearn external grader
//!                  result.json, release-body.md  Classroom 50
//! ```
//! report.json is written last (atomically) and is what marks a submission
//! as done: an interrupted run (Ctrl+C) keeps every finished submission,
//! and the next run grades only the submissions whose content hash (folder
//! content + lab + selected checks + points file + netlab version) changed,
//! unless `--force`. The class files are rebuilt from the report.json files
//! while the run goes, so they too survive a Ctrl+C.
//!
//! - [`points`]: the `--points` file; [`shard`]: `--shard I/N`;
//! - [`platforms`]: the per-submission files; [`record`]: report.json read back;
//! - [`gradebook`]: gradebook.csv and summary.md; [`html`]: index.html;
//! - [`merge`]: `netlab merge`, joining shard outputs.

pub mod gradebook;
pub mod html;
pub mod merge;
pub mod platforms;
pub mod points;
pub mod record;
pub mod shard;

use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::grade::live;

pub use merge::{merge, merge_main, MergeArgs};
pub use points::Points;
pub use record::Record;
pub use shard::Shard;

use super::{report, run_checks, Check, GradeArgs, GradeError, Submission};
use platforms::Graded;

/// How many checks of one submission run at once. Small: the parallelism
/// of class grading is across submissions (`--jobs`).
pub const CHECK_JOBS: usize = 2;

/// How the run reports its progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// A bar on a terminal, plain lines otherwise.
    Auto,
    /// Nothing (library use, tests).
    Quiet,
}

/// Everything a class run needs.
pub struct ClassOptions {
    pub lab: String,
    pub class_dir: PathBuf,
    pub out: PathBuf,
    /// The selected checks, in report order.
    pub checks: Vec<&'static Check>,
    /// Submissions graded at once.
    pub jobs: usize,
    pub shard: Option<Shard>,
    pub points: Points,
    /// Grade every submission, changed or not.
    pub force: bool,
    pub seed: u64,
    pub progress: Progress,
}

/// What a class run did.
#[derive(Debug)]
pub struct ClassRun {
    /// Every submission of the class (or shard), by name.
    pub records: Vec<Record>,
    /// How many were graded now (the others were unchanged).
    pub graded: usize,
    pub unchanged: usize,
    /// What differs from the last run's grading when its records were
    /// graded on other checks or points (the options changed: every
    /// submission graded again).
    pub regraded_for: Option<&'static str>,
    /// Folders that cannot be graded under their names, each with why.
    pub left_out: Vec<String>,
}

/// The files a class run writes at the top of OUT: no submission may have
/// their names (its results folder would be one of them).
pub const CLASS_OUTPUTS: &[&str] = &["gradebook.csv", "summary.md", "index.html", "run.json"];

/// `netlab grade LAB --class DIR --out OUT ...`: checks the arguments,
/// grades the class, prints where the results are. Exit status 0 when
/// grading ran, whatever the scores.
pub fn main_from_args(args: &GradeArgs) -> Result<u8, GradeError> {
    let class_dir = args.class.clone().unwrap_or_default();
    let the_lab = super::lab::find(&args.lab).ok_or_else(|| super::unknown_lab(&args.lab))?;
    let lab_checks = the_lab.checks;
    let out = args.out.clone().ok_or_else(|| {
        GradeError::Usage(
            "--class needs --out OUT: the folder for the gradebook and reports".into(),
        )
    })?;
    if !args.role_commands(the_lab)?.is_empty() || args.dir != Path::new(".") {
        return Err(GradeError::Usage(
            "--class grades the netlab.toml of every subfolder: it cannot be combined with --dir, --command or the role flags".into(),
        ));
    }
    // One submission given as the class: every file of it was "not a
    // folder", and the run ended with 0 graded and exit 0 (a new
    // instructor's round). (A class folder with a netlab.toml of its own,
    // a template say, beside members that have theirs is a class.)
    let member_manifest = || {
        std::fs::read_dir(&class_dir).is_ok_and(|entries| {
            entries.flatten().any(|e| {
                // Hidden folders are never members (hostile round 75: a
                // submission's `.old/netlab.toml` passed it for a class).
                !e.file_name().to_string_lossy().starts_with('.')
                    && e.path().join("netlab.toml").is_file()
            })
        })
    };
    if class_dir.join("netlab.toml").is_file() && !member_manifest() {
        return Err(GradeError::Usage(format!(
            "{} holds a netlab.toml, and none of its folders does: it is one submission, not a class of them. Grade it with --dir {0}, or give --class the folder that holds one folder per submission (a netlab.toml of the class's own, a template, goes elsewhere)",
            class_dir.display()
        )));
    }
    out_is_not_in_a_submission(&class_dir, &out)?;
    let selected = args.selected_checks(the_lab)?;
    let points = match &args.points {
        Some(path) => Points::load(path, lab_checks)?,
        None => Points::uniform(),
    };
    // The checks chosen (--only, --check) may be worth nothing where the
    // lab is not: every score 0 / 0, a perfect submission's 0.0 on
    // PrairieLearn (hostile round 70).
    // (Below a hundredth, a total shows as 0: hostile round 71's 1e-320.)
    if selected.iter().map(|c| points.of(c)).sum::<f64>() < 0.005 {
        return Err(GradeError::Usage(format!(
            "{} worth 0 points in {}: nothing could be scored",
            match selected.len() {
                1 => "the check chosen is".to_string(),
                n => format!("the {n} checks chosen are"),
            },
            args.points
                .as_deref()
                .unwrap_or(Path::new("the points file"))
                .display()
        )));
    }
    let shard = args.shard.as_deref().map(str::parse).transpose()?;
    let opts = ClassOptions {
        lab: args.lab.clone(),
        class_dir,
        out,
        checks: selected,
        jobs: args.jobs,
        shard,
        points,
        force: args.force,
        seed: args.seed.unwrap_or_else(crate::grade::fresh_seed),
        progress: Progress::Auto,
    };
    let run = grade_class(&opts)?;
    // Cut short by Ctrl+C: the handler says what was kept and exits 130,
    // but the workers, their programs killed, may finish first, and a
    // return from here exited 0 ("graded 3", seen under load).
    if stopping() {
        return Ok(130);
    }
    let out = opts.out.display();
    eprintln!(
        "graded {}, {} unchanged since the last run{}",
        count_of_submissions(run.graded),
        run.unchanged,
        if run.unchanged > 0 {
            " (--force grades them again)"
        } else {
            ""
        }
    );
    if let Some(what) = run.regraded_for {
        eprintln!(
            "  (the results in {out} were graded on other {what}: --check, --only or --points changed since, so every submission was graded again)"
        );
    }
    if run.records.is_empty() {
        if let Some(shard) = &args.shard {
            eprintln!(
                "shard {shard} got none of this class's submissions: its output is empty, and netlab merge takes it as it is"
            );
        }
    }
    eprintln!("  {out}/gradebook.csv\n  {out}/summary.md\n  {out}/index.html");
    say_left_out(&run.left_out);
    Ok(0)
}

/// Refuses an OUT that is the class folder itself or lies inside one of
/// its submissions: the reports would land among a student's files (and
/// change the content hash that says whether to grade it again). OUT as a
/// folder of its own inside DIR is fine: it is not taken for a submission.
fn out_is_not_in_a_submission(class_dir: &Path, out: &Path) -> Result<(), GradeError> {
    let Ok(class) = class_dir.canonicalize() else {
        return Ok(()); // an unreadable class folder is reported later
    };
    // OUT may not exist yet: its nearest existing ancestor, then the rest.
    let mut existing = out.to_path_buf();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = if parent.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    parent.to_path_buf()
                };
            }
            _ => return Ok(()),
        }
    }
    let Ok(mut full) = existing.canonicalize() else {
        return Ok(());
    };
    full.extend(rest.iter().rev());
    let Ok(inside) = full.strip_prefix(&class) else {
        return Ok(());
    };
    let depth = inside.components().count();
    if depth == 0 {
        return Err(GradeError::Usage(format!(
            "--out {} is the class folder itself: the reports would go into every student's folder; give a folder of its own (such as {}-results)",
            out.display(),
            class_dir.display()
        )));
    }
    // One level down: a folder of its own, unless it is a submission
    // (`--out class/alice`: alice would be left out, and get everyone's
    // reports). An earlier run's output is taken again.
    if depth == 1 {
        let earlier_output = ["gradebook.csv", "run.json"]
            .iter()
            .any(|f| full.join(f).is_file());
        let a_submission = full.join("netlab.toml").exists()
            || (full.is_dir() && !earlier_output && !dir_is_empty(&full));
        if a_submission {
            return Err(GradeError::Usage(format!(
                "--out {} is the submission `{}`, not a folder of its own: give a folder outside the class folder",
                out.display(),
                inside.display()
            )));
        }
    }
    if depth > 1 {
        let student = inside
            .components()
            .next()
            .map(|c| c.as_os_str().to_string_lossy().into_owned());
        return Err(GradeError::Usage(format!(
            "--out {} is inside the submission `{}`: the reports would go among that student's files; give a folder outside the class folder",
            out.display(),
            student.unwrap_or_default()
        )));
    }
    Ok(())
}

fn dir_is_empty(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_none())
}

/// Says which folders were left out, and why (at the start of a run, and
/// again at its end, where an instructor looks).
fn say_left_out(left_out: &[String]) {
    for why in left_out {
        eprintln!("warning: {why}");
    }
}

/// The class a run grades, whatever its shard: a hash of its
/// submissions' names (FNV-1a, hex) and how many there are. `netlab
/// merge` tells shards of two classes apart by it (hostile round 75: the
/// shards 1 and 3 of one class and 2 and 4 of another merged, a student
/// missing), and a class that changed between the shards' runs.
fn class_identity(opts: &ClassOptions) -> Result<(String, usize), GradeError> {
    let all = submissions(&opts.class_dir, &opts.out, None)?.found;
    let hash = all.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, (name, _)| {
        name.bytes()
            .chain(std::iter::once(b'\n'))
            .fold(h, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
    });
    Ok((format!("{hash:016x}"), all.len()))
}

/// What a class folder holds.
pub struct Listing {
    /// The submissions, by name, sorted.
    pub found: Vec<(String, PathBuf)>,
    /// The folders that cannot be graded under their names, each with why
    /// (never left out in silence: a student with no row).
    pub left_out: Vec<String>,
}

/// The submissions of a class folder: every subfolder except hidden ones
/// and `out` (when OUT lives inside DIR), sorted by name, with `shard`'s
/// share kept.
pub fn submissions(
    class_dir: &Path,
    out: &Path,
    shard: Option<Shard>,
) -> Result<Listing, GradeError> {
    let entries = std::fs::read_dir(class_dir).map_err(|e| {
        GradeError::Usage(format!(
            "cannot read the class folder {}: {e}",
            class_dir.display()
        ))
    })?;
    let out = out.canonicalize().ok();
    let mut found = Vec::new();
    let mut left_out = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        if out.is_some() && path.canonicalize().ok() == out {
            continue;
        }
        if !shard.is_none_or(|s| s.contains(&name)) {
            continue;
        }
        let shown = crate::grade::printable_name(&name);
        // is_dir follows a symlink: a class folder may link to submissions.
        // Anything else is said, not skipped in silence (hostile round 10:
        // a submission handed in as `dave.zip` had no row and no word).
        if !path.is_dir() {
            left_out.push(format!(
                "`{shown}` was not graded: it is not a folder (each submission is a folder of its own: unpack an archive first)"
            ));
            continue;
        }
        if entry.file_name().to_str().is_none() {
            left_out.push(format!(
                "`{shown}` was not graded: its folder name is not valid UTF-8 (rename the folder and run again)"
            ));
        } else if ["gradebook.csv", "run.json"]
            .iter()
            .all(|f| path.join(f).is_file())
            && !path.join("netlab.toml").exists()
        {
            // Another run's OUT inside the class folder (a first run's
            // `--out class/results`, then `--out class/results2`): it was
            // graded as a student (a new user's round). Not with a
            // netlab.toml: a submission is never dropped for files it holds.
            left_out.push(format!(
                "`{shown}` was not graded: it holds a class run's results (gradebook.csv, run.json), not a submission"
            ));
        } else if CLASS_OUTPUTS.contains(&name.as_str()) {
            left_out.push(format!(
                "`{shown}` was not graded: the class outputs use that name in OUT (rename the folder and run again)"
            ));
        } else {
            // Pinned by its real path now (a class may link to its
            // members): nothing of it is read through a link that appears
            // later (see `sandbox::FolderMoved`).
            match resolve_member(&path, class_dir) {
                Ok(real) => found.push((name, real)),
                Err(why) => left_out.push(format!("`{shown}` was not graded: {why}")),
            }
        }
    }
    found.sort();
    // Two names for one folder (a link to a classmate's): graded under
    // both, which the instructor should know.
    // (Each path is its real one already: see `resolve_member`.)
    for (i, (name, real)) in found.iter().enumerate() {
        let same = (0..i).find(|&j| found[j].1 == *real);
        if let Some(j) = same {
            left_out.push(format!(
                "`{}` is the same folder as `{}` (a link): it is graded under both names",
                crate::grade::printable_name(name),
                crate::grade::printable_name(&found[j].0)
            ));
        }
    }
    left_out.sort();
    Ok(Listing { found, left_out })
}

/// The real path of the class member at `path`, each link on the way
/// followed only if root, the grader's user or the class folder's owner
/// owns it. Trap (hostile round 36): the instructor's link to a student's
/// folder, which the student had made a link to a classmate's private
/// folder (root's, 0700): root copied and graded it under the student's
/// name, 13/13 with no code of their own.
fn resolve_member(path: &Path, class_dir: &Path) -> Result<PathBuf, String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        use std::path::Component;
        // SAFETY: geteuid has no arguments and cannot fail.
        let me = unsafe { nix::libc::geteuid() };
        let owner = std::fs::metadata(class_dir).map(|m| m.uid()).ok();
        let trusted = |uid: u32| uid == 0 || uid == me || Some(uid) == owner;
        let absolute = std::path::absolute(path).map_err(|e| e.to_string())?;
        let mut todo: std::collections::VecDeque<std::ffi::OsString> =
            std::collections::VecDeque::new();
        let push_front = |todo: &mut std::collections::VecDeque<std::ffi::OsString>, p: &Path| {
            for c in p.components().rev() {
                todo.push_front(c.as_os_str().to_os_string());
            }
        };
        push_front(&mut todo, &absolute);
        let mut real = PathBuf::from("/");
        let mut links = 0;
        while let Some(part) = todo.pop_front() {
            match Path::new(&part).components().next() {
                Some(Component::RootDir) => real = PathBuf::from("/"),
                Some(Component::ParentDir) => {
                    real.pop();
                }
                Some(Component::Normal(name)) => {
                    let next = real.join(name);
                    let meta = std::fs::symlink_metadata(&next).map_err(|e| e.to_string())?;
                    if !meta.file_type().is_symlink() {
                        real = next;
                        continue;
                    }
                    if !trusted(meta.uid()) {
                        return Err(format!(
                            "its path goes through a link that uid {} owns, {}: a link its owner can point anywhere is not followed (link the class folder to the submission folder itself)",
                            meta.uid(),
                            crate::grade::printable_name(&next.display().to_string())
                        ));
                    }
                    links += 1;
                    if links > 40 {
                        return Err("its path has too many links".into());
                    }
                    let target = std::fs::read_link(&next).map_err(|e| e.to_string())?;
                    push_front(&mut todo, &target);
                }
                _ => {}
            }
        }
        Ok(real)
    }
    #[cfg(not(unix))]
    {
        let _ = class_dir;
        Ok(path.canonicalize().unwrap_or_else(|_| path.to_path_buf()))
    }
}

/// Grades the class; see the module docs for what lands in OUT.
pub fn grade_class(opts: &ClassOptions) -> Result<ClassRun, GradeError> {
    if !opts.class_dir.is_dir() {
        return Err(GradeError::Usage(format!(
            "the class folder {} {}",
            opts.class_dir.display(),
            if opts.class_dir.exists() {
                "is not a folder"
            } else {
                "does not exist"
            }
        )));
    }
    if opts.out.exists() && !opts.out.is_dir() {
        return Err(GradeError::Usage(format!(
            "--out {} is a file: give a folder for the results (it is made if it does not exist)",
            opts.out.display()
        )));
    }
    std::fs::create_dir_all(&opts.out)
        .map_err(|e| GradeError::Usage(format!("cannot create {}: {e}", opts.out.display())))?;
    // Out of every program's sight: the other students' code (to copy, or
    // to break when the folders are writable) and the reports (to read,
    // or to forge a record the next run would keep).
    let _hidden = [
        crate::sandbox::hide_from_programs(&opts.class_dir),
        crate::sandbox::hide_from_programs(&opts.out),
    ];
    let started = Instant::now();
    // The sandbox's totals are the process's: this run's is the difference.
    let spent_before = crate::sandbox::cpu_spent();
    let Listing {
        found: subs,
        left_out,
    } = submissions(&opts.class_dir, &opts.out, opts.shard)?;
    say_left_out(&left_out);
    // A member that is a symlink out of the class folder (into /opt, say)
    // is not under the hidden class folder: fenced off from the others'
    // programs instead.
    let _fenced: Vec<crate::sandbox::Listed> = subs
        .iter()
        .map(|(_, dir)| crate::sandbox::fence_off(dir))
        .collect();
    // Which class this is, and which part of it: written first, as not
    // finished, so that a run cut short is never merged as whole, nor
    // under the shard an earlier run of this OUT graded (hostile round
    // 75: an interrupted re-run kept the old run.json's shard).
    let class = class_identity(opts)?;
    let _ = write_json(
        &opts.out,
        "run.json",
        &json!({
            "lab": opts.lab,
            "shard": opts.shard.map(|s| format!("{}/{}", s.index, s.count)),
            "class_id": class.0,
            "class_size": class.1,
            "finished": false,
        }),
    );
    let stale = remove_stale_results(&opts.out, &subs);
    if !stale.is_empty() {
        eprintln!(
            "removed from {} the results of {} no longer in the class{}: {}",
            opts.out.display(),
            count_of_submissions(stale.len()),
            if opts.shard.is_some() {
                " or not in this shard"
            } else {
                ""
            },
            stale.join(", ")
        );
    }
    let key = hash_key(opts);
    let mut records: Vec<Option<Record>> = vec![None; subs.len()];
    let mut todo: Vec<(usize, FolderState)> = Vec::new();
    // The records graded again, to tell a change of options from one of
    // the folders (a new instructor's round: a run with --only after a
    // full one graded everything again, and said nothing of why).
    let mut before: Vec<Record> = Vec::new();
    for (i, (name, dir)) in subs.iter().enumerate() {
        let state = folder_state(dir, &key);
        let previous = Record::load(&opts.out.join(name));
        match previous {
            // An empty hash is none (a folder not read whole): never kept.
            Some(r) if !opts.force && !state.hash.is_empty() && r.content_hash == state.hash => {
                records[i] = Some(r)
            }
            other => {
                before.extend(other);
                todo.push((i, state));
            }
        }
    }
    let unchanged = subs.len() - todo.len();
    let mut bar = progress_bar(opts.progress, todo.len(), opts.jobs);
    *RUNNING.lock().unwrap_or_else(|e| e.into_inner()) = Some(Running {
        done: 0,
        total: todo.len(),
        out: opts.out.clone(),
        status_line: bar.is_some(),
    });
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<(usize, Record)>();
    let mut failures_so_far = 0;
    let mut last_write = Instant::now();
    // Keeps the class files current while the run goes (a few times a
    // second at most), so a Ctrl+C keeps what is done.
    let refresh = |records: &[Option<Record>], dirty: &mut bool, last: &mut Instant| {
        if *dirty && last.elapsed() >= Duration::from_millis(300) {
            let done: Vec<Record> = records.iter().flatten().cloned().collect();
            let pending = records.len() - done.len();
            let _ = write_class_outputs(&opts.out, &opts.lab, &done, pending);
            *dirty = false;
            *last = Instant::now();
        }
    };
    std::thread::scope(|scope| {
        for _ in 0..opts.jobs.clamp(1, todo.len().max(1)) {
            let tx = tx.clone();
            let (next, todo, subs) = (&next, &todo, &subs);
            scope.spawn(move || loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                let Some((i, state)) = todo.get(n) else { break };
                let (name, dir) = &subs[*i];
                let record = grade_submission(opts, name, dir, state);
                if stopping() || tx.send((*i, record)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let mut done = 0;
        let mut dirty = false;
        loop {
            let (i, record) = match rx.recv_timeout(Duration::from_millis(300)) {
                Ok(result) => result,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    refresh(&records, &mut dirty, &mut last_write);
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            };
            done += 1;
            if let Some(running) = RUNNING.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
                running.done = done;
            }
            let (_, failed, _) = record.counts();
            if failed > 0 || record.not_graded.is_some() {
                failures_so_far += 1;
            }
            let line = format!(
                "[{done}/{}] {}: {} / {}{}",
                todo.len(),
                crate::grade::printable_name(&record.submission),
                record::fmt_points(record.score),
                record::fmt_points(record.max_score),
                match &record.not_graded {
                    Some(_) => " (not graded)".to_string(),
                    None if failed > 0 => format!(" ({failed} failed)"),
                    None => String::new(),
                }
            );
            match &bar {
                Some((counts, line)) => {
                    counts.done.store(done, Ordering::SeqCst);
                    counts.failed.store(failures_so_far, Ordering::SeqCst);
                    line.redraw();
                }
                None if opts.progress == Progress::Auto => eprintln!("{line}"),
                None => {}
            }
            records[i] = Some(record);
            dirty = true;
            refresh(&records, &mut dirty, &mut last_write);
        }
    });
    if let Some((_, line)) = &mut bar {
        line.finish();
    }
    *RUNNING.lock().unwrap_or_else(|e| e.into_inner()) = None;
    // Those never done: none, unless Ctrl+C stopped the workers (the
    // handler's exit may come after this write: a summary without its
    // "Not finished" once the interrupted submission's programs were
    // killed, seen under load).
    let pending = records.iter().filter(|r| r.is_none()).count();
    let records: Vec<Record> = records.into_iter().flatten().collect();
    write_class_outputs(&opts.out, &opts.lab, &records, pending)
        .map_err(|e| GradeError::Usage(format!("cannot write to {}: {e}", opts.out.display())))?;
    // What this run cost: wall time, and CPU time of netlab itself versus
    // the programs it ran (the benchmark reads it). The programs' and
    // netlab's helpers' figures come from the sandbox's cgroups, when it
    // measured every tree (see sandbox::CpuSpent: rusage undercounts).
    let (cpu_self_ms, cpu_children_ms) = cpu_times_ms();
    let spent = crate::sandbox::cpu_spent().since(&spent_before);
    let whole = spent.finished > 0 && spent.measured == spent.finished;
    let ms = |d: Duration| whole.then_some(d.as_millis() as u64);
    let run = json!({
        "lab": opts.lab,
        "submissions": subs.len(),
        "graded": todo.len(),
        "unchanged": unchanged,
        "jobs": opts.jobs,
        // Which part of which class this run graded: `netlab merge`
        // checks that its inputs are every shard of one class, once each,
        // and hold all its submissions.
        "shard": opts.shard.map(|s| format!("{}/{}", s.index, s.count)),
        "class_id": class.0,
        "class_size": class.1,
        "finished": true,
        "wall_ms": started.elapsed().as_millis() as u64,
        "cpu_self_ms": cpu_self_ms,
        "cpu_children_ms": cpu_children_ms,
        "cpu_helpers_ms": ms(spent.helpers),
        "cpu_programs_ms": ms(spent.programs),
        "cpu_trees_measured": spent.measured,
        "cpu_trees_finished": spent.finished,
        "left_out": left_out,
    });
    let _ = write_json(&opts.out, "run.json", &run);
    // What was left out, in the summary too (hostile round 36: said on the
    // console only, a folder graded under two names went unnoticed).
    if !left_out.is_empty() {
        let mut md = std::fs::read_to_string(opts.out.join("summary.md")).unwrap_or_default();
        md.push_str("\n## Left out, or graded with a warning\n\n");
        for why in &left_out {
            md.push_str(&format!("- {}\n", platforms::md_untrusted(why)));
        }
        let _ = write(&opts.out, "summary.md", &md);
    }
    let regraded_for = records.iter().find_map(|new| {
        before
            .iter()
            .find(|old| old.submission == new.submission)
            .and_then(|old| merge::graded_differently(old, new))
    });
    Ok(ClassRun {
        graded: todo.len(),
        unchanged,
        regraded_for,
        records,
        left_out,
    })
}

/// CPU time (user + system, ms) of this process and of its waited-for
/// children; `None` where getrusage is not available.
fn cpu_times_ms() -> (Option<u64>, Option<u64>) {
    #[cfg(unix)]
    {
        use nix::sys::resource::{getrusage, UsageWho};
        let ms = |who| {
            getrusage(who).ok().map(|u| {
                let t = |tv: nix::sys::time::TimeVal| {
                    tv.tv_sec() as u64 * 1000 + tv.tv_usec() as u64 / 1000
                };
                t(u.user_time()) + t(u.system_time())
            })
        };
        (ms(UsageWho::RUSAGE_SELF), ms(UsageWho::RUSAGE_CHILDREN))
    }
    #[cfg(not(unix))]
    {
        (None, None)
    }
}

/// The class run's status line on a terminal (stderr): a bar, the
/// submissions done, how many with failures, the time so far and, once one
/// is done, about how long is left. `None` off a terminal or when asked.
fn progress_bar(
    progress: Progress,
    total: usize,
    jobs: usize,
) -> Option<(ClassProgress, live::StatusLine)> {
    if progress != Progress::Auto || !io::stderr().is_terminal() || total == 0 {
        return None;
    }
    let counts = ClassProgress::default();
    let started = Instant::now();
    let shown = counts.clone();
    let render = Box::new(move |spinner: char| {
        let done = shown.done.load(Ordering::SeqCst);
        let failed = shown.failed.load(Ordering::SeqCst);
        let elapsed = started.elapsed().as_secs();
        let left = time_left(elapsed, done, total, jobs);
        format!(
            "{spinner} {} {done}/{total} submissions · {failed} with failures or not graded · {}{left}",
            live::bar(done, total, 24),
            clock(elapsed)
        )
    });
    let line = live::StatusLine::new(true, Duration::from_millis(250), render);
    Some((counts, line))
}

/// The status line's end: about how long is left, from the pace so far.
/// Trap: the last few are all running at once, and the pace says "0s" while
/// one that hangs still has its checks' deadlines to wait out: say what
/// runs instead.
fn time_left(elapsed: u64, done: usize, total: usize, jobs: usize) -> String {
    let remaining = total.saturating_sub(done);
    match (done, remaining) {
        (0, _) | (_, 0) => String::new(),
        (_, 1) => ", the last one running".into(),
        (_, n) if n <= jobs => format!(", the last {n} running"),
        (done, n) => {
            let left = (elapsed * n as u64).div_ceil(done as u64);
            format!(", about {} left", clock(left))
        }
    }
}

/// `42s`, `3m05s`.
fn clock(secs: u64) -> String {
    if secs < 60 {
        format!("{secs}s")
    } else {
        format!("{}m{:02}s", secs / 60, secs % 60)
    }
}

/// The class run in progress, for [`interrupted`].
struct Running {
    done: usize,
    total: usize,
    out: PathBuf,
    status_line: bool,
}

static RUNNING: std::sync::Mutex<Option<Running>> = std::sync::Mutex::new(None);

/// Set by [`stop`]: a Ctrl+C is ending the run.
static STOPPING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// For a Ctrl+C handler, before it kills what netlab started: from now on
/// no submission's grading is kept. Trap: the kill ends the checks still
/// running, each with a failure, and a worker could write those verdicts
/// as the submission's record (with its content hash) before the handler
/// exits; the next run then took the submission as unchanged and never
/// graded it again (a clean-clone run saw `3 unchanged` after a Ctrl+C
/// that had kept 2 of 3).
pub fn stop() {
    STOPPING.store(true, Ordering::SeqCst);
}

fn stopping() -> bool {
    STOPPING.load(Ordering::SeqCst)
}

/// For a Ctrl+C handler: the words that end a class run cut short, if one
/// is in progress (what is graded is kept: each submission's files are
/// written as it finishes), to print on stderr before exiting. The status
/// line (and the `^C` echoed on it) is erased first.
pub fn interrupted() -> Option<String> {
    let running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
    let r = running.as_ref()?;
    let clear = if r.status_line { "\r\x1b[2K" } else { "" };
    let words = format!(
        "interrupted (Ctrl+C): {} of {} submissions graded, kept in {}; the same command, without --force, grades the rest",
        r.done,
        r.total,
        r.out.display()
    );
    let words = match crate::wrap::columns_of(&console::Term::stderr()) {
        Some(width) => crate::wrap::fill(&words, width),
        None => words,
    };
    Some(format!("{clear}{words}\n"))
}

/// What the class run's status line counts.
#[derive(Clone, Default)]
struct ClassProgress {
    done: Arc<AtomicUsize>,
    failed: Arc<AtomicUsize>,
}

/// What, besides the folder's content, decides whether a stored result is
/// still valid.
fn hash_key(opts: &ClassOptions) -> String {
    let ids: Vec<&str> = opts.checks.iter().map(|c| c.id).collect();
    // The sandbox's layers too: a result graded with fewer of them is not
    // kept by a run that has more (hostile round 30). Not its notes: they
    // come as submissions are graded (one too big to copy), and every
    // record compared after a classmate's note lost its hash (hostile
    // round 33 saw a folder run in place graded again at every run).
    format!(
        "netlab {} {}\nlab {}\nchecks {}\npoints {}\nsandbox {}\n",
        env!("CARGO_PKG_VERSION"),
        this_build(),
        opts.lab,
        ids.join(" "),
        opts.points.source,
        crate::sandbox::policy().layers()
    )
}

/// This build of netlab, as its executable's size and time tell it: a
/// rebuilt grader grades again what an older one graded (hostile round
/// 81: results of the build before were kept as unchanged, the version
/// being the same, and merge then refused them). Not the bytes: a debug
/// build is hundreds of MiB, read at every run.
fn this_build() -> &'static str {
    static BUILD: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    BUILD.get_or_init(|| {
        let stamp = std::env::current_exe()
            .and_then(std::fs::metadata)
            .and_then(|m| {
                let since = m
                    .modified()?
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default();
                Ok(format!("{}-{}", m.len(), since.as_nanos()))
            });
        stamp.unwrap_or_else(|_| "unknown".to_string())
    })
}

/// Folders and files that running a submission creates or that are not the
/// student's work: left out of the content hash.
fn ignored(name: &str) -> bool {
    crate::sandbox::not_handed_in(name)
}

/// A build folder (a Rust project's target/): its files are hashed by size
/// and time, not read (hundreds of MiB); a rebuild is still a change, and
/// a program run from there (`target/release/server`) counts.
fn by_metadata(name: &str) -> bool {
    name == "target"
}

/// How deep the content hash walks. Past the copy's depth (64): a folder
/// nested deeper runs in place, where every level is the program's to
/// read (hostile round 21: the hash stopped at 32, a change 40 deep kept
/// the old record). Each level costs a small stack frame.
const HASH_MAX_DEPTH: usize = 256;

/// Whether netlab runs as root (private copies and layers: see
/// `content_hash`).
fn as_root() -> bool {
    #[cfg(unix)]
    // SAFETY: geteuid has no arguments and cannot fail.
    return unsafe { nix::libc::geteuid() } == 0;
    #[cfg(not(unix))]
    return false;
}

/// A file larger than this is hashed by size and time, not read: a
/// sparse file of gigabytes costs nothing on disk but would cost its size
/// in time (and, read whole, in memory).
/// (As large as a private copy may be: a file a snapshot holds is read,
/// so what the snapshot holds is known, see [`FolderState::graded`].)
const HASH_MAX_BYTES: u64 = 32 << 20;

/// The file bytes of one submission read whole for its hash; the files
/// past it are hashed by size and time.
const HASH_BUDGET_BYTES: u64 = 64 << 20;

/// What stands for a file's bytes: its size and modification time, and on
/// Unix its inode and inode change time. Trap: size and modification time
/// are the student's to set (`touch -r`, an archive's stored times): a
/// server changed to reply `NAK:` at the same size and time kept its pass
/// on a re-run (hostile round 10). The change time is the kernel's: any
/// write, rename or `touch` moves it, and nothing sets it back.
fn metadata_key(meta: &std::fs::Metadata) -> [u8; 40] {
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .unwrap_or_default();
    let mut key = [0u8; 40];
    key[..8].copy_from_slice(&meta.len().to_le_bytes());
    key[8..16].copy_from_slice(&modified.as_secs().to_le_bytes());
    key[16..20].copy_from_slice(&modified.subsec_nanos().to_le_bytes());
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        key[20..28].copy_from_slice(&meta.ino().to_le_bytes());
        key[28..36].copy_from_slice(&meta.ctime().to_le_bytes());
        key[36..40].copy_from_slice(&(meta.ctime_nsec() as u32).to_le_bytes());
    }
    key
}

/// A submission folder as seen at one moment: its [`content_hash`], and a
/// stamp of every entry's inode and change time. Two states are equal when
/// nothing in the folder was written, replaced or renamed between them:
/// a file swapped and swapped back has the same bytes, never the same
/// change time (the kernel's: nothing sets it back).
///
/// And `graded`: a hash of what a private copy of the folder holds (the
/// handed-in entries' paths, file modes and bytes, read in the same walk
/// as `hash`), when every such byte was read; compared with the hash of
/// the snapshot the checks are graded from ([`graded_hash`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderState {
    pub hash: String,
    stamp: String,
    graded: Option<String>,
    /// The programs its commands name outside it (run from where they
    /// are, not copied): by path, size, times and inode.
    outside: String,
}

/// The [`FolderState`] of `dir` now.
pub fn folder_state(dir: &Path, key: &str) -> FolderState {
    hash_walk(dir, key)
}

/// A hash of a submission folder's content (paths and bytes) and `key`;
/// empty when part of it could not be read (never kept: see
/// [`FolderState`]). SHA-256: a student can read their record's hash
/// (report.json), and with FNV-1a a pair of files hashing alike was found
/// from it in seconds (hostile round 34: one swapped for the other kept a
/// 13/13 for a broken build).
pub fn content_hash(dir: &Path, key: &str) -> String {
    hash_walk(dir, key).hash
}

/// [`FolderState::graded`] of a folder: of a snapshot, all of it.
pub fn graded_hash(dir: &Path) -> Option<String> {
    hash_walk(dir, "").graded
}

/// A name's bytes as they are: two names a lossy conversion made alike
/// (`\xff.py` and `\xfe.py` both `\u{fffd}.py`) hashed alike, and one renamed
/// to the other kept a broken server's pass (hostile round 34).
fn raw_bytes(text: &std::ffi::OsStr) -> Vec<u8> {
    #[cfg(unix)]
    return std::os::unix::ffi::OsStrExt::as_bytes(text).to_vec();
    #[cfg(windows)]
    return std::os::windows::ffi::OsStrExt::encode_wide(text)
        .flat_map(u16::to_le_bytes)
        .collect();
    #[cfg(not(any(unix, windows)))]
    return text.to_string_lossy().as_bytes().to_vec();
}

/// How a file's content counts in the hash.
#[derive(Clone, Copy, PartialEq)]
enum Read {
    Bytes,
    Metadata,
}

/// One walk of a submission folder, three SHA-256 streams: its content
/// (`hash`), its stamp, and what its private copy holds (`graded`).
struct HashWalk {
    hash: sha2::Sha256,
    stamp: sha2::Sha256,
    graded: sha2::Sha256,
    /// Whether every byte a copy holds was read into `graded`.
    graded_whole: bool,
    /// Whether every folder and entry could be read: a part left out
    /// (a folder nested past the longest path the system opens, 4096
    /// bytes, which a program reaches one `chdir` at a time: hostile
    /// round 34) leaves the folder without a hash.
    complete: bool,
    /// The file bytes still to be read whole.
    budget: u64,
    /// The folder walked, as the walk began (see [`HashWalk::leads_out`]).
    root: PathBuf,
}

impl HashWalk {
    /// Where the link at `path` leads when that is out of the folder, as
    /// the system resolves it (every link on the way followed: counted by
    /// its words, `d -> .` then `d/d/../../../opt/...` seemed to stay in,
    /// hostile round 38); itself when it leads nowhere (it cannot be told).
    fn leads_out(&self, path: &Path) -> Option<PathBuf> {
        match std::fs::canonicalize(path) {
            Ok(real) if real.starts_with(&self.root) => None,
            Ok(real) => Some(real),
            Err(_) => Some(path.to_path_buf()),
        }
    }

    fn feed(&mut self, bytes: &[u8], copied: bool) {
        use sha2::Digest;
        self.hash.update(bytes);
        if copied {
            self.graded.update(bytes);
        }
    }

    fn walk(&mut self, copied: bool, dir: &Path, rel: &[u8], depth: usize, how: Read) {
        use sha2::Digest;
        let Ok(entries) = std::fs::read_dir(dir) else {
            self.complete = false;
            return;
        };
        let mut entries: Vec<_> = entries.collect::<Result<_, _>>().unwrap_or_else(|_| {
            self.complete = false;
            Vec::new()
        });
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let raw = entry.file_name();
            let name = raw.to_string_lossy();
            // Not handed in, but there. As root, by metadata: a program run
            // in place (a folder too big or too deep to copy) can run them
            // (hostile round 21: a changed .pyc kept its pass on a re-run),
            // and nothing a run writes reaches the folder (a private copy,
            // or a layer). Without root, left out: a run writes its
            // __pycache__ into the folder itself, and every re-run would
            // grade it again.
            let how = match (ignored(&name), as_root()) {
                (false, _) => how,
                (true, true) => Read::Metadata,
                (true, false) => continue,
            };
            // What a private copy takes (see `sandbox::copy_below`): not
            // what is not handed in, nor sockets, FIFOs and devices.
            let path = entry.path();
            let mut rel = rel.to_vec();
            rel.push(b'/');
            rel.extend(raw_bytes(&raw));
            let (Ok(kind), Ok(meta)) = (entry.file_type(), entry.metadata()) else {
                self.complete = false;
                continue;
            };
            let copied =
                copied && !ignored(&name) && (kind.is_dir() || kind.is_file() || kind.is_symlink());
            self.feed(&rel, copied);
            self.feed(&[0], copied);
            self.stamp.update(&rel);
            self.stamp.update([0]);
            self.stamp.update(metadata_key(&meta));
            // Its mode: `chmod 000 server.py` changes what runs (hostile
            // round 21: a re-run kept the pass).
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = meta.permissions().mode();
                self.hash.update(mode.to_le_bytes());
                // A copy keeps a file's mode exactly (see
                // `sandbox::copy_tree`), not a folder's.
                if copied && kind.is_file() {
                    self.graded.update((mode & 0o777).to_le_bytes());
                }
            }
            if kind.is_symlink() {
                // Not followed (loops); the target is part of the content.
                match std::fs::read_link(&path) {
                    Ok(target) => {
                        self.feed(&raw_bytes(target.as_os_str()), copied);
                        // What a link out of the folder leads to is not in
                        // the hash: unless only root or the grader can
                        // change it, no hash (hostile round 37: a broken
                        // server.py in the student's own /opt folder, its
                        // link unchanged, kept a pass as "unchanged").
                        // A folder out there: trusted or not, what lies
                        // below it may be anyone's (hostile round 38: a
                        // link to /opt, and the student's folder under it).
                        if let Some(outside) = self.leads_out(&path) {
                            self.complete &= outside.is_file() && only_trusted_can_change(&outside);
                        }
                    }
                    Err(_) => self.complete = false,
                }
            } else if kind.is_dir() {
                if depth < HASH_MAX_DEPTH {
                    let how = if by_metadata(&name) {
                        Read::Metadata
                    } else {
                        how
                    };
                    self.walk(copied, &path, &rel, depth + 1, how);
                } else {
                    // Deeper still: the folder's own metadata, whose change
                    // time moves when an entry is added, removed or renamed.
                    self.hash.update(metadata_key(&meta));
                    self.graded_whole = false;
                }
            } else if kind.is_file() {
                // Regular files only: reading a FIFO would block for ever.
                // Past the folder's budget, by metadata too: 500 sparse
                // files of 16 MiB (no disk at all) took 40 s to read at
                // every run (hostile round 6).
                let read =
                    how == Read::Bytes && meta.len() <= HASH_MAX_BYTES && meta.len() <= self.budget;
                match read.then(|| open_as_seen(&path, &meta)).flatten() {
                    Some(file) => {
                        self.budget -= meta.len();
                        self.hash.update(meta.len().to_le_bytes());
                        self.feed_file(copied, file, meta.len());
                    }
                    None => {
                        self.hash.update(metadata_key(&meta));
                        // Its bytes unread: what a copy got is not known.
                        self.graded_whole &= !copied;
                    }
                }
            }
            self.feed(&[0xff], copied);
        }
    }

    /// In pieces, never all at once into memory, and no more than the
    /// `len` bytes it had when it was looked at: a file that grows
    /// meanwhile is not followed. (Not in `walk`'s frame: 32 levels of a
    /// 64 KiB buffer would overflow a thread's stack.)
    fn feed_file(&mut self, copied: bool, file: std::fs::File, len: u64) {
        use sha2::Digest;
        use std::io::Read as _;
        let mut file = file.take(len);
        let mut buf = vec![0u8; 64 * 1024];
        let mut read = 0;
        while let Ok(n @ 1..) = file.read(&mut buf) {
            self.feed(&buf[..n], copied);
            read += n as u64;
        }
        // Shorter than it was (changed meanwhile): not what was looked at.
        if copied {
            self.graded.update(read.to_le_bytes());
            self.graded_whole &= read == len;
        }
    }
}

/// The file at `path`, opened as what was looked at: a regular file of no
/// more than `seen`'s length, opened without following a link and without
/// blocking (a student who can still write the folder may swap a FIFO or a
/// link in, or grow the file, meanwhile: hostile round 27 grew one to a 16
/// TiB sparse file as root opened it, and the class run read it for hours
/// before grading anyone).
fn open_as_seen(path: &Path, seen: &std::fs::Metadata) -> Option<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK);
    }
    let file = options.open(path).ok()?;
    let opened = file.metadata().ok()?;
    (opened.is_file() && opened.len() <= seen.len()).then_some(file)
}

/// The [`FolderState`] of `dir`, in one walk: its content hash (paths,
/// modes and bytes; metadata where bytes cost too much), its stamp (paths
/// and every entry's [`metadata_key`], folders included), and what its
/// private copy holds.
fn hash_walk(dir: &Path, key: &str) -> FolderState {
    use sha2::Digest;
    let mut walk = HashWalk {
        hash: sha2::Sha256::new(),
        stamp: sha2::Sha256::new(),
        graded: sha2::Sha256::new(),
        graded_whole: true,
        complete: true,
        budget: HASH_BUDGET_BYTES,
        root: dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf()),
    };
    walk.hash.update(key.as_bytes());
    walk.hash.update([0]);
    let root = walk.root.clone();
    walk.walk(true, &root, b"", 0, Read::Bytes);
    // Commands may name programs outside the folder by absolute path (a
    // compiled submission built elsewhere): a rebuilt program is a change.
    // (Not in a copy: see `FolderState::outside`.)
    let outside = outside_stamp(&root, &root);
    walk.hash.update(outside.as_bytes());
    let hex = |h: sha2::Sha256| {
        h.finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let complete = walk.complete;
    FolderState {
        hash: if complete {
            hex(walk.hash)
        } else {
            String::new()
        },
        stamp: hex(walk.stamp),
        graded: (complete && walk.graded_whole).then(|| hex(walk.graded)),
        outside,
    }
}

/// The paths and [`metadata_key`]s of the programs outside `dir` its
/// commands name (see [`outside_programs`]), as the netlab.toml in
/// `manifest` (the folder, or its snapshot) names them.
fn outside_stamp(manifest: &Path, dir: &Path) -> String {
    let mut stamp = String::new();
    for program in outside_programs(manifest, dir) {
        if let Ok(meta) = std::fs::metadata(&program) {
            // Debug: a name that is not UTF-8 shown escaped, not lossily.
            stamp.push_str(&format!("{program:?}"));
            stamp.push('\0');
            for byte in metadata_key(&meta) {
                stamp.push_str(&format!("{byte:02x}"));
            }
            stamp.push('\n');
        }
    }
    stamp
}

/// Whether every program the commands name outside `dir` (netlab.toml
/// read from `manifest`) lies where only root or the grader's user can
/// change it: the file and each folder above it theirs and writable by no
/// one else (a sticky folder, /tmp, where the entry below it is theirs).
/// Trap (hostile round 36): the stamp covers the program file alone; a
/// student who could write its folder swapped that folder during the run,
/// or broke a module the program imports beside it, and the record kept
/// its pass. Such a submission keeps no hash: it is graded at every run.
fn outside_unchangeable(manifest: &Path, dir: &Path) -> bool {
    let words = command_words(manifest);
    // A word that climbs out of the folder (`python3 ../../opt/x/server.py`)
    // names a file no stamp covers, wherever it leads (hostile round 38).
    let climbs = words.iter().any(|word| {
        Path::new(word)
            .components()
            .any(|c| c == std::path::Component::ParentDir)
    });
    // Any absolute path in a command, also inside a word (`sh -c 'exec
    // python3 /opt/...'`, `PYTHONPATH=/opt/...`, a `-c` program's string):
    // a folder out there may hold anything of anyone's, a file must be one
    // only root or the grader can change (hostile round 39).
    let reached = words
        .iter()
        .flat_map(|word| {
            word.split(|c: char| c.is_whitespace() || "=:;,'\"()".contains(c))
                .filter(|token| token.starts_with('/'))
                .map(PathBuf::from)
                .collect::<Vec<_>>()
        })
        .filter(|path| !path.starts_with(dir))
        .all(|path| match std::fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => false,
            Ok(meta) if meta.is_file() => only_trusted_can_change(&path),
            _ => true,
        });
    !climbs && reached
}

#[cfg(unix)]
fn only_trusted_can_change(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no arguments and cannot fail.
    let me = unsafe { nix::libc::geteuid() };
    let trusted = |uid: u32| uid == 0 || uid == me;
    let Ok(real) = path.canonicalize() else {
        return false;
    };
    let mut below: Option<u32> = None;
    for at in real.ancestors() {
        let Ok(meta) = std::fs::metadata(at) else {
            return false;
        };
        let others_write = meta.mode() & 0o022 != 0;
        let sticky = meta.mode() & 0o1000 != 0;
        let guarded = !others_write || (sticky && below.is_some_and(trusted));
        if !trusted(meta.uid()) || !guarded {
            return false;
        }
        below = Some(meta.uid());
    }
    true
}

#[cfg(not(unix))]
fn only_trusted_can_change(_path: &Path) -> bool {
    false
}

/// The absolute paths to existing files outside `dir` that its
/// netlab.toml's commands mention, read from `manifest` (the folder or its
/// snapshot; read leniently: a bad file hashes as is).
fn outside_programs(manifest: &Path, dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = command_words(manifest)
        .into_iter()
        .map(PathBuf::from)
        .filter(|p| p.is_absolute() && !p.starts_with(dir) && p.is_file())
        .collect();
    found.sort();
    found.dedup();
    found
}

/// Every word of every command in the netlab.toml in `manifest` (read
/// leniently: none from a bad file, which hashes as is).
fn command_words(manifest: &Path) -> Vec<String> {
    let Ok(text) = super::read_manifest(&manifest.join("netlab.toml")) else {
        return Vec::new();
    };
    let Ok(value) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    let Some(commands) = value.get("commands").and_then(|c| c.as_table()) else {
        return Vec::new();
    };
    commands
        .values()
        .filter_map(|line| line.as_str())
        .filter_map(shlex::split)
        .flatten()
        .collect()
}

/// Grades one submission folder and writes OUT/<name>/; returns its record.
/// Never fails the class: a problem becomes the row's `not_graded`.
pub fn grade_submission(
    opts: &ClassOptions,
    name: &str,
    dir: &Path,
    before: &FolderState,
) -> Record {
    let hash = before.hash.as_str();
    let started = Instant::now();
    let max_total: f64 = opts.checks.iter().map(|c| opts.points.of(c)).sum();
    // The member's real path, as listed (never resolved again here: a
    // link put in its path since would lead elsewhere).
    let dir = dir.to_path_buf();
    // What is graded is a snapshot taken now, its content compared with
    // what was hashed (see `sandbox::Snapshot`), netlab.toml included:
    // read from it, not from the folder (hostile round 35: a netlab.toml
    // swapped in for the moment it was read, and back, kept a pass earned
    // with other commands). None where checks run in the folder itself.
    let snapshot = match crate::sandbox::snapshot(&dir) {
        Ok(snapshot) => snapshot,
        Err(e) if crate::sandbox::is_folder_moved(&e) => {
            let why = format!("not graded: {e}");
            return crate::sandbox::with_notes_of(&dir, || {
                write_not_graded(
                    opts,
                    name,
                    &opts.out.join(name),
                    "",
                    &why,
                    max_total,
                    started.elapsed(),
                )
            })
            .unwrap_or_else(|e| {
                let why = format!("grader-error: netlab could not write its results: {e}");
                unwritten(name, opts, max_total, started, why)
            });
        }
        Err(_) => None,
    };
    let manifest_dir = snapshot.as_ref().map_or(dir.as_path(), |s| s.path());
    let submission = Submission::from_manifest_in(manifest_dir, &dir, &opts.lab)
        // Not in the snapshot, which copies regular files only: the
        // folder's own says why (a FIFO is "not a regular file"), when it
        // fails there too.
        .map_err(|e| {
            Submission::from_manifest(&dir, &opts.lab)
                .err()
                .unwrap_or(e)
        });
    let submission = submission.and_then(|s| {
        if s.commands.is_empty() {
            Err(GradeError::Usage(
                "netlab.toml has an empty [commands] table".into(),
            ))
        } else {
            Ok(s)
        }
    });
    let submission = submission.and_then(|s| {
        crate::sandbox::require_private_copy(&dir)
            .map(|()| s)
            .map_err(GradeError::Usage)
    });
    let sub_out = opts.out.join(name);
    let submission = submission.map(|s| match &snapshot {
        Some(copy) => s.graded_from(copy.path()),
        None => s,
    });
    let result = match submission {
        Ok(submission) => {
            let outcomes = run_checks(&opts.checks, &submission, opts.seed, CHECK_JOBS);
            if stopping() {
                // Cut short by a Ctrl+C (see `stop`): nothing to keep.
                return unwritten(
                    name,
                    opts,
                    max_total,
                    started,
                    "interrupted (Ctrl+C)".into(),
                );
            }
            let duration = started.elapsed();
            // Graded from a snapshot: the record keeps the hash taken at the
            // start only if the snapshot holds what that walk read (hostile
            // round 32: swapped whole, or written through a mapping, the
            // folder looked the same at both ends). Without one, each check
            // copied the folder (or ran in it) when it began: one that
            // changed while it was graded keeps no hash, and the next run
            // grades it again (hostile round 30: a server swapped in for the
            // run and back after kept its 12/12 as "unchanged"); changed
            // and changed back, its bytes hash the same, and the stamp of
            // inodes and change times tells (hostile round 31). As root,
            // never: a folder swapped whole (RENAME_EXCHANGE) or written
            // through a shared mapping looks the same at both ends, and
            // such a folder graded in place kept a broken server's 13/13
            // (hostile round 34); without root its programs write the
            // folder itself anyway (no copy), and the comparison is what
            // there is.
            let kept = outside_unchangeable(manifest_dir, &dir)
                && match (&snapshot, &before.graded) {
                    (Some(copy), Some(graded)) => {
                        graded_hash(copy.path()).as_ref() == Some(graded)
                            && outside_stamp(copy.path(), &dir) == before.outside
                    }
                    _ if as_root() => false,
                    _ => folder_state(&dir, &hash_key(opts)) == *before,
                };
            let hash = if kept { hash } else { "" };
            // Its reports tell its own sandbox notes, not a classmate's.
            crate::sandbox::with_notes_of(&dir, || {
                write_graded(opts, name, &sub_out, hash, &outcomes, duration)
            })
        }
        Err(e) => {
            let why = not_graded_reason(&e.to_string(), &dir);
            crate::sandbox::with_notes_of(&dir, || {
                write_not_graded(
                    opts,
                    name,
                    &sub_out,
                    hash,
                    &why,
                    max_total,
                    started.elapsed(),
                )
            })
        }
    };
    result.unwrap_or_else(|e| {
        let why = format!(
            "grader-error: netlab could not write {}: {e}",
            sub_out.display()
        );
        unwritten(name, opts, max_total, started, why)
    })
}

/// The record of a submission whose files were not written (`why`), with
/// no content hash: a later run grades it again.
fn unwritten(
    name: &str,
    opts: &ClassOptions,
    max_total: f64,
    started: Instant,
    why: String,
) -> Record {
    Record {
        submission: name.to_string(),
        lab: opts.lab.clone(),
        content_hash: String::new(),
        seed: Some(opts.seed),
        duration_ms: started.elapsed().as_millis() as u64,
        cpu_ms: None,
        score: 0.0,
        max_score: max_total,
        not_graded: Some(why),
        check_ids: opts.checks.iter().map(|c| c.id.to_string()).collect(),
        checks: Vec::new(),
    }
}

fn write_graded(
    opts: &ClassOptions,
    name: &str,
    sub_out: &Path,
    hash: &str,
    outcomes: &[super::Outcome],
    duration: Duration,
) -> io::Result<Record> {
    std::fs::create_dir_all(sub_out)?;
    let graded: Vec<Graded> = outcomes
        .iter()
        .map(|o| {
            let check = opts.checks.iter().find(|c| c.id == o.id);
            Graded {
                outcome: o,
                max_score: check.map(|c| opts.points.of(c)).unwrap_or(1.0),
                hidden: check.is_some_and(|c| opts.points.hidden(c)),
            }
        })
        .collect();
    let (score, max) = platforms::totals(&graded);
    let lab = &opts.lab;
    write(
        sub_out,
        "report.txt",
        &platforms::text_report(lab, opts.seed, &graded),
    )?;
    write(
        sub_out,
        "report.xml",
        &report::render_junit(lab, opts.seed, outcomes, duration),
    )?;
    write_json(
        sub_out,
        "results.json",
        &platforms::gradescope(&graded, None, max),
    )?;
    write_json(
        sub_out,
        "prairielearn.json",
        &platforms::prairielearn(&graded, None),
    )?;
    write_json(
        sub_out,
        "result.json",
        &platforms::classroom50(&graded, max, false),
    )?;
    write(
        sub_out,
        "release-body.md",
        &platforms::release_body(lab, opts.seed, &graded, None, max),
    )?;
    // The JSON report as `netlab grade --format json` writes it, plus what
    // the class outputs need.
    let mut value: Value = serde_json::from_str(&report::render_json(lab, opts.seed, outcomes))
        .unwrap_or_else(|_| json!({}));
    if let Some(list) = value.get_mut("checks").and_then(Value::as_array_mut) {
        for (entry, g) in list.iter_mut().zip(&graded) {
            if let Some(obj) = entry.as_object_mut() {
                obj.insert("score".into(), json!(g.score()));
                obj.insert("max_score".into(), json!(g.max_score));
                obj.insert("hidden".into(), json!(g.hidden));
            }
        }
    }
    if let Some(obj) = value.as_object_mut() {
        obj.insert("submission".into(), json!(name));
        obj.insert("duration_ms".into(), json!(duration.as_millis() as u64));
        let cpu = outcomes
            .iter()
            .filter_map(|o| o.cpu_ms)
            .reduce(|a, b| a + b);
        obj.insert("cpu_ms".into(), json!(cpu));
        obj.insert("score".into(), json!(score));
        obj.insert("max_score".into(), json!(max));
        obj.insert("content_hash".into(), json!(hash));
        obj.insert("netlab_version".into(), json!(env!("CARGO_PKG_VERSION")));
        obj.insert(
            "check_ids".into(),
            json!(opts.checks.iter().map(|c| c.id).collect::<Vec<_>>()),
        );
    }
    finish(sub_out, value)
}

/// Why a submission could not be graded, on one line for the gradebook
/// and in the student's words: a parse error keeps what it says is wrong
/// (not its source excerpt), and a missing netlab.toml says where it must
/// be (the advice for `netlab grade --dir` is dropped).
fn not_graded_reason(error: &str, dir: &Path) -> String {
    let mut lines = error.lines();
    let first = lines
        .next()
        .unwrap_or_default()
        .replace(&format!("{}/", dir.display()), "");
    if first.starts_with("cannot read netlab.toml") {
        // A new user's round: an empty folder read as a missing file.
        let empty = std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_none());
        if empty {
            return "the folder is empty: nothing was handed in".to_string();
        }
        let nested = std::fs::read_dir(dir).ok().and_then(|entries| {
            entries
                .flatten()
                .filter(|e| e.path().join("netlab.toml").is_file())
                .find_map(|e| e.file_name().into_string().ok())
        });
        return match nested {
            Some(folder) => format!(
                "{first}: netlab.toml must be at the top level of the submission, and it is in `{}/` (hand in that folder's contents)",
                crate::grade::printable_name(&folder)
            ),
            None => format!(
                "{first}: a netlab.toml naming the commands must be at the top level of the submission (see the handout)"
            ),
        };
    }
    // The rest of a TOML error: the source excerpt (` | ` lines, skipped)
    // and what is wrong (kept); any advice for --dir (indented) dropped.
    let said: Vec<&str> = lines
        .map(str::trim_end)
        .filter(|l| !l.is_empty() && !l.starts_with(' ') && !l.contains(" | "))
        .collect();
    if said.is_empty() {
        first
    } else {
        format!("{first}: {}", said.join("; "))
    }
}

fn write_not_graded(
    opts: &ClassOptions,
    name: &str,
    sub_out: &Path,
    hash: &str,
    why: &str,
    max: f64,
    duration: Duration,
) -> io::Result<Record> {
    std::fs::create_dir_all(sub_out)?;
    let lab = &opts.lab;
    // The student's report counts the visible checks' points, as a graded
    // one's does (a new instructor's round: 0 / 68 here, / 67 there).
    let visible: f64 = opts
        .checks
        .iter()
        .filter(|c| !opts.points.hidden(c))
        .map(|c| opts.points.of(c))
        .sum();
    let hidden = opts.checks.iter().filter(|c| opts.points.hidden(c)).count();
    let mut text = format!(
        "netlab grade {lab}: not graded\n{why}\nscore: 0 / {}\n",
        record::fmt_points(visible)
    );
    if hidden > 0 {
        // As a graded member's report says it (hostile round 75).
        text.push_str(&format!("{}\n", platforms::hidden_note(hidden)));
    }
    write(sub_out, "report.txt", &text)?;
    let junit = report::render_junit(lab, opts.seed, &[], duration);
    write(sub_out, "report.xml", &junit)?;
    write_json(
        sub_out,
        "results.json",
        &platforms::gradescope(&[], Some(why), max),
    )?;
    write_json(
        sub_out,
        "prairielearn.json",
        &platforms::prairielearn(&[], Some(why)),
    )?;
    write_json(
        sub_out,
        "result.json",
        &platforms::classroom50(&[], max, true),
    )?;
    // The student's page: the visible points, as report.txt (hostile
    // round 81: 0 / 27 there, 0 / 23 here).
    let mut body = platforms::release_body(lab, opts.seed, &[], Some(why), visible);
    if hidden > 0 {
        body.push_str(&format!("\n{}\n", platforms::hidden_note(hidden)));
    }
    write(sub_out, "release-body.md", &body)?;
    let value = json!({
        "lab": lab,
        "seed": opts.seed,
        "submission": name,
        "not_graded": why,
        "passed": 0, "failed": 0, "skipped": 0,
        "duration_ms": duration.as_millis() as u64,
        "score": 0.0,
        "max_score": max,
        "content_hash": hash,
        "netlab_version": env!("CARGO_PKG_VERSION"),
        "check_ids": opts.checks.iter().map(|c| c.id).collect::<Vec<_>>(),
        "checks": [],
    });
    finish(sub_out, value)
}

/// Writes report.json last: its presence marks the submission as done.
fn finish(sub_out: &Path, value: Value) -> io::Result<Record> {
    let record: Record = serde_json::from_value(value.clone())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    write_json(sub_out, "report.json", &value)?;
    Ok(record)
}

fn write_json(dir: &Path, name: &str, value: &Value) -> io::Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(io::Error::other)?;
    write(dir, name, &format!("{text}\n"))
}

/// Writes `dir/name` atomically (a temporary file renamed), so a Ctrl+C
/// never leaves half a file.
pub fn write(dir: &Path, name: &str, text: &str) -> io::Result<()> {
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, dir.join(name))
}

/// gradebook.csv, summary.md and index.html for `records`.
/// `pending`: submissions of the class not graded yet (a run in progress,
/// or cut short by Ctrl+C); the summary and the page say so.
/// `1 submission`, `3 submissions`.
fn count_of_submissions(n: usize) -> String {
    format!("{n} submission{}", if n == 1 { "" } else { "s" })
}

/// Removes from `out` the result folders of submissions not among `subs`
/// (a student withdrawn, a folder renamed, the other shards' in an OUT
/// used again), so that OUT holds what its gradebook lists: `netlab
/// merge` reads the folders, and brought a removed student back with an
/// old grade (a new instructor's round). Only folders a class run wrote
/// (a record in them, not a link); their names, sorted.
fn remove_stale_results(out: &Path, subs: &[(String, PathBuf)]) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(out) else {
        return Vec::new();
    };
    let mut removed: Vec<String> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            let ours = !subs.iter().any(|(n, _)| *n == name)
                && !CLASS_OUTPUTS.contains(&name.as_str())
                && Record::load(&e.path()).is_some();
            (ours && std::fs::remove_dir_all(e.path()).is_ok()).then_some(name)
        })
        .collect();
    removed.sort();
    removed
}

pub fn write_class_outputs(
    out: &Path,
    lab: &str,
    records: &[Record],
    pending: usize,
) -> io::Result<()> {
    write(out, "gradebook.csv", &gradebook::csv(records))?;
    write(
        out,
        "summary.md",
        &gradebook::summary(lab, records, pending),
    )?;
    write(out, "index.html", &html::page(lab, records, pending))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_submission_not_graded_is_told_why_in_one_line_for_itself() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        // A TOML error keeps what is wrong, not its source excerpt.
        let toml = format!(
            "{}/netlab.toml is not valid: TOML parse error at line 2, column 10\n  |\n2 | [commands\n  |          ^\ninvalid table header\nexpected `.`, `]`\n",
            dir.display()
        );
        assert_eq!(
            not_graded_reason(&toml, dir),
            "netlab.toml is not valid: TOML parse error at line 2, column 10: invalid table header; expected `.`, `]`"
        );
        // A missing netlab.toml: where it must be, not --dir's advice; and
        // where it is when it was handed in one folder down.
        let missing = format!(
            "cannot read {}/netlab.toml: No such file or directory (os error 2)\n  write a netlab.toml there (see the handout), or give the commands with --server, --client, ...",
            dir.display()
        );
        // An empty folder: nothing was handed in (a new user's round).
        assert_eq!(
            not_graded_reason(&missing, dir),
            "the folder is empty: nothing was handed in"
        );
        std::fs::write(dir.join("server.py"), "").unwrap();
        let why = not_graded_reason(&missing, dir);
        assert!(
            why.contains("must be at the top level of the submission (see the handout)"),
            "{why}"
        );
        assert!(!why.contains("--server") && !why.contains('\n'), "{why}");
        std::fs::create_dir_all(dir.join("myproj")).unwrap();
        std::fs::write(dir.join("myproj").join("netlab.toml"), "").unwrap();
        let why = not_graded_reason(&missing, dir);
        assert!(why.contains("it is in `myproj/`"), "{why}");
    }

    #[test]
    fn the_time_left_never_says_0s_while_submissions_run() {
        assert_eq!(time_left(10, 0, 20, 4), "");
        assert_eq!(time_left(10, 10, 20, 4), ", about 10s left");
        assert_eq!(time_left(100, 3, 20, 4), ", about 9m27s left");
        assert_eq!(time_left(10, 17, 20, 4), ", the last 3 running");
        assert_eq!(time_left(10, 19, 20, 4), ", the last one running");
        assert_eq!(time_left(10, 20, 20, 4), "");
    }

    /// A rebuilt grader does not keep an older build's results: the key
    /// names this build (hostile round 81), the same for the whole run.
    #[test]
    fn the_hash_key_names_this_build() {
        let build = this_build();
        assert_ne!(build, "unknown");
        assert!(build.contains('-'), "{build}");
        assert_eq!(this_build(), build);
    }

    #[test]
    fn the_content_hash_sees_the_work_and_ignores_what_running_leaves() {
        let tmp = tempfile::tempdir().unwrap();
        let sub = tmp.path().join("sub");
        std::fs::create_dir_all(&sub).unwrap();
        let program = tmp.path().join("built-elsewhere");
        std::fs::write(&program, "v1").unwrap();
        std::fs::write(
            sub.join("netlab.toml"),
            format!("[commands]\nserver = \"{} server\"\n", program.display()),
        )
        .unwrap();
        std::fs::write(sub.join("server.py"), "print(1)\n").unwrap();
        let first = content_hash(&sub, "key");
        assert_eq!(first, content_hash(&sub, "key"));
        assert_ne!(first, content_hash(&sub, "other key"));
        // Python's bytecode cache is not the student's work; without root
        // a run writes it into the folder, so it is left out then. As root
        // nothing a run writes reaches the folder, and a program run in
        // place can load it: then it counts.
        std::fs::create_dir_all(sub.join("__pycache__")).unwrap();
        std::fs::write(sub.join("__pycache__").join("config.pyc"), "x").unwrap();
        let cached = content_hash(&sub, "key");
        assert_eq!(first == cached, !as_root());
        // An edited file is a change; so is a rebuilt program outside.
        std::fs::write(sub.join("server.py"), "print(2)\n").unwrap();
        let edited = content_hash(&sub, "key");
        assert_ne!(cached, edited);
        std::fs::write(&program, "version 2").unwrap();
        let rebuilt = content_hash(&sub, "key");
        assert_ne!(edited, rebuilt);
        // A program run from a build folder is seen (by size and time).
        std::fs::create_dir_all(sub.join("target/release")).unwrap();
        std::fs::write(sub.join("target/release/server"), "v1").unwrap();
        let built = content_hash(&sub, "key");
        assert_ne!(rebuilt, built);
        std::fs::write(sub.join("target/release/server"), "v2 longer").unwrap();
        assert_ne!(built, content_hash(&sub, "key"));
    }

    /// Hostile round 34: names that are not UTF-8 hashed lossily alike
    /// (`\xff.py` and `\xfe.py`), and a folder nested past the longest
    /// path the system opens hashed as a constant: a rename or a change
    /// there kept a broken server's record.
    #[cfg(unix)]
    #[test]
    fn names_count_as_bytes_and_a_folder_not_read_whole_has_no_hash() {
        use std::os::unix::ffi::OsStrExt;
        let tmp = tempfile::tempdir().unwrap();
        let sub = tmp.path().join("sub");
        std::fs::create_dir_all(&sub).unwrap();
        let name = |b: &[u8]| sub.join(std::ffi::OsStr::from_bytes(b));
        std::fs::write(name(b"\xff.py"), "print(1)\n").unwrap();
        let before = content_hash(&sub, "key");
        assert_eq!(before.len(), 64, "SHA-256: {before}");
        std::fs::rename(name(b"\xff.py"), name(b"\xfe.py")).unwrap();
        assert_ne!(before, content_hash(&sub, "key"));
        // Past PATH_MAX (4096 bytes): made one level at a time, relative
        // to the folder above (as a program reaches it with chdir).
        let level = std::ffi::CString::new("d".repeat(250)).unwrap();
        let root = std::ffi::CString::new(sub.as_os_str().as_bytes()).unwrap();
        // SAFETY: plain syscalls on NUL-terminated strings and our own fds.
        unsafe {
            use nix::libc;
            let mut fd = libc::open(root.as_ptr(), libc::O_DIRECTORY | libc::O_CLOEXEC);
            for _ in 0..18 {
                assert_eq!(libc::mkdirat(fd, level.as_ptr(), 0o755), 0);
                let next = libc::openat(fd, level.as_ptr(), libc::O_DIRECTORY | libc::O_CLOEXEC);
                libc::close(fd);
                assert!(next >= 0);
                fd = next;
            }
            let file = libc::openat(fd, c"f".as_ptr(), libc::O_CREAT | libc::O_WRONLY, 0o644);
            assert!(file >= 0);
            libc::close(file);
            libc::close(fd);
        }
        let state = folder_state(&sub, "key");
        assert_eq!(state.hash, "", "a folder not read whole has no hash");
        assert_eq!(state.graded, None);
        // Removed the same way (remove_dir_all follows the long path too).
        let removed = std::process::Command::new("rm")
            .arg("-rf")
            .arg(sub.join("d".repeat(250)))
            .status()
            .unwrap();
        assert!(removed.success());
        assert_eq!(folder_state(&sub, "key").hash.len(), 64);
    }

    /// Hostile round 31: a server swapped in while the class was graded and
    /// swapped back before the end hashed the same at both ends, and its
    /// record kept the pass for the broken file. The state's stamp differs.
    #[test]
    fn a_file_changed_and_changed_back_is_a_changed_state() {
        let tmp = tempfile::tempdir().unwrap();
        let sub = tmp.path();
        std::fs::write(sub.join("server.py"), "print('broken')\n").unwrap();
        std::fs::create_dir_all(sub.join("lib")).unwrap();
        std::fs::write(sub.join("lib/util.py"), "x = 1\n").unwrap();
        let before = folder_state(sub, "key");
        assert_eq!(before, folder_state(sub, "key"), "nothing changed");
        // Swapped in and back by rename, as the attack did.
        std::fs::write(sub.join("good.py"), "print('good')\n").unwrap();
        std::fs::rename(sub.join("server.py"), sub.join("bad.py")).unwrap();
        std::fs::rename(sub.join("good.py"), sub.join("server.py")).unwrap();
        std::fs::rename(sub.join("server.py"), sub.join("good.py")).unwrap();
        std::fs::rename(sub.join("bad.py"), sub.join("server.py")).unwrap();
        std::fs::remove_file(sub.join("good.py")).unwrap();
        let after = folder_state(sub, "key");
        assert_eq!(before.hash, after.hash, "the same bytes");
        assert_ne!(before, after);
        // Rewritten in place with the same bytes, deeper down.
        let before = after;
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(sub.join("lib/util.py"), "x = 2\n").unwrap();
        std::fs::write(sub.join("lib/util.py"), "x = 1\n").unwrap();
        let after = folder_state(sub, "key");
        assert_eq!(before.hash, after.hash);
        assert_ne!(before, after);
    }

    /// A program named outside the folder is trusted to stay as stamped
    /// only where no one but root or the grader can change it or the
    /// folders above it (hostile round 36).
    #[cfg(unix)]
    #[test]
    fn a_program_outside_is_trusted_only_where_no_student_can_change_it() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("build");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let program = dir.join("server");
        std::fs::write(&program, "").unwrap();
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
        // Under /tmp (sticky, writable by all) in a folder of ours: fine.
        assert!(only_trusted_can_change(&program));
        // Its folder writable by all: anyone may swap what it holds.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(!only_trusted_can_change(&program));
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        // SAFETY: geteuid has no arguments and cannot fail.
        if unsafe { nix::libc::geteuid() } == 0 {
            // A student's folder (as root, whose chown can make it so).
            std::os::unix::fs::chown(&dir, Some(12345), None).unwrap();
            assert!(!only_trusted_can_change(&program));
        }
        assert!(!only_trusted_can_change(&tmp.path().join("missing")));
    }

    /// A link in the folder that leads out of it: what it leads to is not
    /// in the hash, so a folder with one keeps no hash unless only root or
    /// the grader can change its target (hostile round 37: a broken
    /// server.py, linked from the student's own folder in /opt, kept a
    /// pass). Links within the folder, and to a trusted file, keep it.
    #[cfg(unix)]
    #[test]
    fn a_link_out_of_the_folder_keeps_a_hash_only_when_its_target_is_trusted() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let (sub, elsewhere) = (tmp.path().join("sub"), tmp.path().join("elsewhere"));
        std::fs::create_dir_all(sub.join("lib")).unwrap();
        std::fs::create_dir(&elsewhere).unwrap();
        std::fs::set_permissions(&elsewhere, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(elsewhere.join("server.py"), "print()\n").unwrap();
        std::fs::write(sub.join("config.py"), "x = 1\n").unwrap();
        std::os::unix::fs::symlink("../config.py", sub.join("lib/config.py")).unwrap();
        std::os::unix::fs::symlink("config.py", sub.join("settings.py")).unwrap();
        assert!(!folder_state(&sub, "key").hash.is_empty(), "links within");
        // Absolute, to a file of ours in a folder only we can write: kept.
        std::os::unix::fs::symlink(elsewhere.join("server.py"), sub.join("server.py")).unwrap();
        assert!(
            !folder_state(&sub, "key").hash.is_empty(),
            "a trusted target"
        );
        // Its folder writable by anyone: anyone can break what it runs.
        std::fs::set_permissions(&elsewhere, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(
            folder_state(&sub, "key").hash.is_empty(),
            "an absolute link out"
        );
        // Relative, climbing out of the folder: the same.
        std::fs::remove_file(sub.join("server.py")).unwrap();
        std::os::unix::fs::symlink("../elsewhere/server.py", sub.join("server.py")).unwrap();
        assert!(
            folder_state(&sub, "key").hash.is_empty(),
            "a relative link out"
        );
        // Nowhere (a dangling link out): no hash either.
        std::fs::remove_file(sub.join("server.py")).unwrap();
        std::os::unix::fs::symlink("/nonexistent/server.py", sub.join("server.py")).unwrap();
        assert!(
            folder_state(&sub, "key").hash.is_empty(),
            "a dangling link out"
        );
        // Out through a link of its own (`d -> .`), though its words seem
        // to stay in (hostile round 38), with the outside folder ours and
        // closed again: resolved, it leads to a trusted file.
        std::fs::set_permissions(&elsewhere, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::remove_file(sub.join("server.py")).unwrap();
        std::os::unix::fs::symlink(".", sub.join("d")).unwrap();
        std::os::unix::fs::symlink("d/d/../elsewhere/server.py", sub.join("server.py")).unwrap();
        assert!(!folder_state(&sub, "key").hash.is_empty(), "resolved");
        std::fs::set_permissions(&elsewhere, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(
            folder_state(&sub, "key").hash.is_empty(),
            "out through its own link"
        );
        // A folder out there, however trusted: what is below it may be
        // anyone's (a link to /opt, and a student's folder under it).
        std::fs::remove_file(sub.join("server.py")).unwrap();
        std::os::unix::fs::symlink("/usr", sub.join("server.py")).unwrap();
        assert!(folder_state(&sub, "key").hash.is_empty(), "a folder out");
    }

    /// A command word that climbs out of the folder names a file no stamp
    /// covers: no hash kept (hostile round 38).
    #[test]
    fn a_command_climbing_out_of_the_folder_keeps_no_hash() {
        let tmp = tempfile::tempdir().unwrap();
        let sub = tmp.path();
        let manifest = |line: &str| {
            std::fs::write(
                sub.join("netlab.toml"),
                format!("lab = \"week01\"\n[commands]\nserver = \"{line}\"\n"),
            )
            .unwrap();
        };
        manifest("python3 server.py");
        assert!(outside_unchangeable(sub, sub));
        manifest("python3 ../../opt/zed/server.py");
        assert!(!outside_unchangeable(sub, sub));
        // A folder out there, named whole or inside a word (hostile round
        // 39: Python runs a folder's __main__.py; PYTHONPATH=...).
        manifest("python3 /usr");
        assert!(!outside_unchangeable(sub, sub));
        manifest("env PYTHONPATH=/usr/lib python3 -m server");
        assert!(!outside_unchangeable(sub, sub));
        manifest("sh -c 'exec python3 /usr'");
        assert!(!outside_unchangeable(sub, sub));
        // A path that is nothing here (a log to be written) changes nothing.
        manifest("python3 server.py --log /nonexistent/chat.log");
        assert!(outside_unchangeable(sub, sub));
    }

    /// A class member is followed through links root, the grader or the
    /// class folder's owner made, never through one a student owns
    /// (hostile round 36).
    #[cfg(unix)]
    #[test]
    fn a_member_is_not_followed_through_a_link_a_student_owns() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        let class = root.join("class");
        let home = root.join("home/zed");
        let private = root.join("private/amy");
        for dir in [&class, &home, &private] {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::create_dir(home.join("sub")).unwrap();
        // The instructor's link to the student's folder: followed.
        std::os::unix::fs::symlink("../home/zed/sub", class.join("zed")).unwrap();
        assert_eq!(
            resolve_member(&class.join("zed"), &class).unwrap(),
            home.join("sub")
        );
        // The student's own link in its place: not followed (as root, whose
        // lchown can make it a student's).
        // SAFETY: geteuid has no arguments and cannot fail.
        if unsafe { nix::libc::geteuid() } != 0 {
            return;
        }
        std::fs::remove_dir(home.join("sub")).unwrap();
        std::os::unix::fs::symlink(&private, home.join("sub")).unwrap();
        std::os::unix::fs::lchown(home.join("sub"), Some(12345), Some(12345)).unwrap();
        let refused = resolve_member(&class.join("zed"), &class).unwrap_err();
        assert!(refused.contains("uid 12345"), "{refused}");
        // And the listing says why, in the left-out lines.
        let listing = submissions(&class, &root.join("out"), None).unwrap();
        assert!(listing.found.is_empty());
        assert!(
            listing
                .left_out
                .iter()
                .any(|l| l.contains("`zed` was not graded") && l.contains("uid 12345")),
            "{:?}",
            listing.left_out
        );
    }

    /// A file's whole mode counts in what a copy holds (hostile round 35:
    /// a `chmod 000` undone for the snapshot's moment kept a pass; only the
    /// execute bit was compared).
    #[cfg(unix)]
    #[test]
    fn a_file_s_mode_counts_in_what_a_copy_holds() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let sub = tmp.path();
        std::fs::write(sub.join("server.py"), "print()\n").unwrap();
        let mode = |m| {
            std::fs::set_permissions(sub.join("server.py"), std::fs::Permissions::from_mode(m))
                .unwrap();
            graded_hash(sub).unwrap()
        };
        assert_ne!(mode(0o644), mode(0o000));
        assert_eq!(mode(0o644), mode(0o644));
    }

    /// What a private copy holds hashes the same in the folder (read in
    /// the walk that made its content hash) and in the copy: not what is
    /// not handed in, nor a FIFO, nor a folder's mode; a file's bytes and
    /// whether it runs, a link's target.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_snapshot_hashes_as_what_the_folder_held() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let sub = tmp.path().join("sub");
        std::fs::create_dir_all(sub.join("lib/__pycache__")).unwrap();
        std::fs::write(sub.join("server.py"), "print(1)\n").unwrap();
        std::fs::write(sub.join("lib/util.py"), "x = 1\n").unwrap();
        std::fs::write(sub.join("lib/__pycache__/util.pyc"), "junk").unwrap();
        std::fs::set_permissions(sub.join("lib"), std::fs::Permissions::from_mode(0o775)).unwrap();
        std::os::unix::fs::symlink("server.py", sub.join("main.py")).unwrap();
        nix::unistd::mkfifo(&sub.join("pipe"), nix::sys::stat::Mode::S_IRWXU).unwrap();
        let state = folder_state(&sub, "key");
        let copy = tmp.path().join("copy");
        std::fs::create_dir(&copy).unwrap();
        std::fs::create_dir_all(copy.join("lib")).unwrap();
        std::fs::write(copy.join("server.py"), "print(1)\n").unwrap();
        std::fs::write(copy.join("lib/util.py"), "x = 1\n").unwrap();
        std::os::unix::fs::symlink("server.py", copy.join("main.py")).unwrap();
        assert!(state.graded.is_some());
        assert_eq!(graded_hash(&copy), state.graded);
        // Other bytes, or another mode, are another content.
        std::fs::write(copy.join("lib/util.py"), "x = 2\n").unwrap();
        assert_ne!(graded_hash(&copy), state.graded);
        std::fs::write(copy.join("lib/util.py"), "x = 1\n").unwrap();
        let mode = |m| {
            std::fs::set_permissions(copy.join("server.py"), std::fs::Permissions::from_mode(m))
        };
        // A copy keeps a file's mode exactly (hostile round 35: its read
        // bits undone for the snapshot's moment were not compared).
        let original = std::fs::metadata(sub.join("server.py"))
            .unwrap()
            .permissions()
            .mode();
        mode(0o600).unwrap();
        assert_ne!(graded_hash(&copy), state.graded, "another mode");
        mode(original).unwrap();
        assert_eq!(graded_hash(&copy), state.graded, "the same mode");
        mode(0o755).unwrap();
        assert_ne!(graded_hash(&copy), state.graded, "now it runs");
    }

    /// Hostile round 21: a re-run kept its verdict after a change of mode
    /// only, and after a change 40 folders deep (the hash stopped at 32).
    #[cfg(unix)]
    #[test]
    fn a_change_of_mode_or_deep_down_is_a_change() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let sub = tmp.path();
        std::fs::write(sub.join("server.py"), "print(1)\n").unwrap();
        let first = content_hash(sub, "key");
        std::fs::set_permissions(
            sub.join("server.py"),
            std::fs::Permissions::from_mode(0o000),
        )
        .unwrap();
        assert_ne!(first, content_hash(sub, "key"));
        let deep: PathBuf = (0..40).fold(sub.to_path_buf(), |p, i| p.join(format!("d{i}")));
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(deep.join("x.py"), "a").unwrap();
        let before = content_hash(sub, "key");
        std::fs::write(deep.join("x.py"), "b").unwrap();
        assert_ne!(before, content_hash(sub, "key"));
    }

    /// A file hashed by its metadata (in a build folder, past the budget)
    /// changed at the same size, its modification time set back: still a
    /// change (hostile round 10 kept a pass so with `touch -r`).
    #[cfg(unix)]
    #[test]
    fn a_change_hidden_behind_its_old_size_and_time_is_still_seen() {
        let tmp = tempfile::tempdir().unwrap();
        let sub = tmp.path();
        std::fs::create_dir_all(sub.join("target")).unwrap();
        let server = sub.join("target").join("server.py");
        std::fs::write(&server, "print('ACK: hi')\n").unwrap();
        let then = std::fs::metadata(&server).unwrap().modified().unwrap();
        let first = content_hash(sub, "key");
        // The kernel's clock for the change time moves in ticks.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&server, "print('NAK: hi')\n").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&server)
            .unwrap()
            .set_modified(then)
            .unwrap();
        let meta = std::fs::metadata(&server).unwrap();
        assert_eq!(meta.modified().unwrap(), then);
        assert_ne!(first, content_hash(sub, "key"));
    }

    #[test]
    fn a_huge_sparse_file_is_hashed_by_size_without_being_read() {
        let tmp = tempfile::tempdir().unwrap();
        let big = tmp.path().join("blob.bin");
        // 64 GiB that take no disk: read, this would take minutes.
        let file = std::fs::File::create(&big).unwrap();
        file.set_len(64 << 30).unwrap();
        let started = std::time::Instant::now();
        let first = content_hash(tmp.path(), "key");
        file.set_len((64 << 30) + 1).unwrap();
        assert_ne!(first, content_hash(tmp.path(), "key"));
        // Not a speed test: a read of 64 GiB would take minutes at least.
        assert!(started.elapsed() < std::time::Duration::from_secs(60));
    }

    /// Many files each under the one-file bound (hostile round 6: 500
    /// sparse files of 16 MiB, 8 GiB read at every run): past the
    /// folder's budget they are hashed by size and time, and a change to
    /// one of them is still seen.
    #[test]
    fn many_files_past_the_budget_are_hashed_by_size() {
        let tmp = tempfile::tempdir().unwrap();
        let files = 400;
        for i in 0..files {
            std::fs::File::create(tmp.path().join(format!("part{i:03}.bin")))
                .unwrap()
                .set_len(HASH_MAX_BYTES)
                .unwrap();
        }
        let started = std::time::Instant::now();
        let first = content_hash(tmp.path(), "key");
        std::fs::File::options()
            .write(true)
            .open(tmp.path().join("part399.bin"))
            .unwrap()
            .set_len(HASH_MAX_BYTES - 1)
            .unwrap();
        assert_ne!(first, content_hash(tmp.path(), "key"));
        // Not a speed test: reading 6.4 GiB takes most of a minute here.
        assert!(started.elapsed() < std::time::Duration::from_secs(60));
    }
}
