//! `netlab merge OUT1 OUT2 ... --out OUT`: joins the outputs of class runs
//! (the shards of a CI matrix) into one gradebook, summary and page. CI's
//! runners are the distributed engine; this is all netlab adds.

use std::path::{Path, PathBuf};

use super::{write_class_outputs, Record};
use crate::grade::GradeError;

/// `netlab merge` arguments.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The output folders of the class runs to join (e.g. one per shard).
    #[arg(required = true, value_name = "OUT_I")]
    pub inputs: Vec<PathBuf>,
    /// Where the joined gradebook, summary, page and reports go.
    #[arg(long, value_name = "OUT")]
    pub out: PathBuf,
}

/// Runs `netlab merge`; exit status 0 when merged, 2 when it could not.
pub fn merge_main(args: &MergeArgs) -> u8 {
    match merge(&args.inputs, &args.out) {
        Ok(records) => {
            eprintln!(
                "merged {} submission(s) from {} folder(s) into {}",
                records.len(),
                args.inputs.len(),
                args.out.display()
            );
            0
        }
        Err(e) => {
            eprintln!("netlab merge: {e}");
            2
        }
    }
}

/// Copies every graded submission of `inputs` into `out` and writes the
/// class files for all of them. A submission in two inputs, inputs of
/// different labs or graded on different checks or points, is an error. A
/// class run's folder with no submission in it (a shard that got none of a
/// small class) is fine.
pub fn merge(inputs: &[PathBuf], out: &Path) -> Result<Vec<Record>, GradeError> {
    let usage = GradeError::Usage;
    // Merged into one of its inputs, the output's old folders stay beside
    // the merged ones, and that shard is no longer what its run wrote (a
    // new instructor's round).
    let same = |a: &Path| {
        a.canonicalize()
            .ok()
            .is_some_and(|a| out.canonicalize().is_ok_and(|o| o == a))
    };
    if let Some(input) = inputs.iter().find(|i| same(i)) {
        return Err(usage(format!(
            "--out {} is one of the folders to merge: give a new folder",
            input.display()
        )));
    }
    // Merged into a folder that holds something (an earlier class run's
    // output, anyone's files), the merged gradebook lay beside results it
    // does not count, and beside a forged report.json (hostile round 70).
    let holds_something = std::fs::read_dir(out).is_ok_and(|mut e| e.next().is_some());
    if holds_something {
        return Err(usage(format!(
            "--out {} is not empty: merge writes into a new or empty folder (remove it first, or give another)",
            out.display()
        )));
    }
    let infos: Vec<RunInfo> = inputs.iter().map(|i| run_info(i)).collect();
    every_shard_once(inputs, &infos).map_err(usage)?;
    let mut records: Vec<(Record, PathBuf)> = Vec::new();
    for (input, info) in inputs.iter().zip(&infos) {
        let entries = std::fs::read_dir(input)
            .map_err(|e| usage(format!("cannot read {}: {e}", input.display())))?;
        let mut found = 0;
        for entry in entries.flatten() {
            let dir = entry.path();
            // A report.json that is no regular file (a FIFO, a link to
            // /dev/zero) is no record a class run wrote: said, not read
            // (hostile round 41: merge hung, or read without end).
            let report = dir.join("report.json");
            if report.symlink_metadata().is_ok_and(|m| !m.is_file()) {
                return Err(usage(format!(
                    "{} is not a regular file: not a record netlab wrote",
                    report.display()
                )));
            }
            let folder = entry.file_name().to_string_lossy().into_owned();
            if !dir.is_dir() || folder.starts_with('.') {
                continue;
            }
            // A member's folder whose record is missing or unreadable (an
            // artifact half uploaded, a file cut short): that student
            // would have no row, said nowhere (hostile round 75).
            let Some(record) = Record::load(&dir) else {
                return Err(usage(format!(
                    "{} has no readable report.json: that submission's results are incomplete (grade its shard again)",
                    dir.display()
                )));
            };
            // Graded by the shard its run.json names.
            if let Some(shard) = info.shard.filter(|s| !s.contains(&folder)) {
                return Err(usage(format!(
                    "{} is not in shard {}/{}, which {} says it graded: not the output of that run",
                    dir.display(),
                    shard.index,
                    shard.count,
                    input.join("run.json").display()
                )));
            }
            // A class run writes its members as folders, never links, and
            // never under a name its class outputs take (hostile round 40:
            // a member `summary.md` left OUT half-written; a member linked
            // to another folder had that folder's files copied in).
            let not_ours = if entry.file_type().is_ok_and(|t| t.is_symlink()) {
                Some("it is a symbolic link, not a folder a class run wrote".to_string())
            } else if super::CLASS_OUTPUTS.contains(&folder.as_str()) || folder.starts_with('.') {
                Some(format!("a class run never names a submission {folder:?}"))
            } else {
                None
            };
            not_ours
                .map_or_else(|| record.check_plausible(&folder), Err)
                .map_err(|why| {
                    usage(format!(
                        "{} is not a submission as netlab grades it: {why}",
                        dir.display()
                    ))
                })?;
            found += 1;
            if let Some((other, from)) = records
                .iter()
                .find(|(r, _)| r.submission == record.submission)
            {
                if other.content_hash != record.content_hash {
                    return Err(usage(format!(
                        "submission `{}` is in both {} and {} with different results: shards must not overlap",
                        record.submission,
                        from.display(),
                        input.display()
                    )));
                }
                continue;
            }
            if let Some((first, first_from)) = records.first() {
                if first.lab != record.lab {
                    return Err(usage(format!(
                        "{} is graded for `{}`, {} for `{}`: merge outputs of one lab",
                        first.submission, first.lab, record.submission, record.lab
                    )));
                }
                if let Some(what) = graded_differently(first, &record) {
                    return Err(usage(format!(
                        "`{}` (in {}) and `{}` (in {}) were graded on different {what}: grade every shard with the same --check, --only and --points",
                        first.submission,
                        first_from.parent().unwrap_or(first_from).display(),
                        record.submission,
                        input.display()
                    )));
                }
            }
            records.push((record, dir));
        }
        let a_class_run = ["gradebook.csv", "run.json"]
            .iter()
            .any(|f| input.join(f).is_file());
        if found == 0 && !a_class_run {
            return Err(usage(format!(
                "{} is not the output of a class run: no gradebook.csv and no graded submission (OUT/<submission>/report.json)",
                input.display()
            )));
        }
    }
    // Every submission of the class: the shards' records against the
    // class's size, as each shard's run counted it.
    let sizes: Vec<usize> = infos.iter().filter_map(|i| i.class_size).collect();
    if infos.iter().any(|i| i.shard.is_some()) && sizes.len() == infos.len() {
        let size = sizes[0];
        if records.len() != size {
            return Err(usage(format!(
                "the shards hold {} submission(s), and their class {size}: a shard is incomplete (grade it again)",
                records.len()
            )));
        }
    }
    // Made only once the inputs are known good: a refused merge left an
    // empty --out behind (a new instructor's round).
    std::fs::create_dir_all(out)
        .map_err(|e| usage(format!("cannot create {}: {e}", out.display())))?;
    let out_canon = out.canonicalize().ok();
    for (record, from) in &records {
        let to = out.join(&record.submission);
        if from.parent().and_then(|p| p.canonicalize().ok()) != out_canon {
            copy_dir(from, &to).map_err(|e| {
                usage(format!(
                    "cannot copy {} to {}: {e}",
                    from.display(),
                    to.display()
                ))
            })?;
        }
    }
    let mut records: Vec<Record> = records.into_iter().map(|(r, _)| r).collect();
    records.sort_by(|a, b| a.submission.cmp(&b.submission));
    let lab = records.first().map(|r| r.lab.clone()).unwrap_or_default();
    write_class_outputs(out, &lab, &records, 0)
        .map_err(|e| usage(format!("cannot write to {}: {e}", out.display())))?;
    // The merge's own run.json: the whole class, finished (without one,
    // it passed for an older run's output).
    let class_id = infos
        .first()
        .and_then(|i| i.class_id.clone())
        .filter(|id| infos.iter().all(|i| i.class_id.as_deref() == Some(id)));
    super::write_json(
        out,
        "run.json",
        &serde_json::json!({
            "lab": lab,
            "merged_from": inputs.len(),
            "shard": null,
            "class_id": class_id,
            "class_size": records.len(),
            "finished": true,
        }),
    )
    .map_err(|e| usage(format!("cannot write to {}: {e}", out.display())))?;
    Ok(records)
}

/// What a class run's run.json says of it (see `grade_class`): which
/// shard, of which class, and whether it finished. All `None` for an
/// output without run.json (an older netlab's, or a merge's own).
#[derive(Debug, Default)]
struct RunInfo {
    shard: Option<super::Shard>,
    class_id: Option<String>,
    class_size: Option<usize>,
    finished: Option<bool>,
}

/// The [`RunInfo`] of the class run whose output is `input`.
fn run_info(input: &Path) -> RunInfo {
    use std::io::Read;
    let path = input.join("run.json");
    // A regular file, read up to a bound (see `Record::load`).
    if !std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
        return RunInfo::default();
    }
    let mut text = String::new();
    let read = std::fs::File::open(&path)
        .and_then(|f| f.take(1 << 20).read_to_string(&mut text))
        .is_ok();
    let Some(run) = read
        .then(|| serde_json::from_str::<serde_json::Value>(&text).ok())
        .flatten()
    else {
        return RunInfo::default();
    };
    RunInfo {
        shard: run
            .get("shard")
            .and_then(|s| s.as_str())
            .and_then(|s| s.parse().ok()),
        class_id: run
            .get("class_id")
            .and_then(|s| s.as_str())
            .map(str::to_string),
        class_size: run
            .get("class_size")
            .and_then(serde_json::Value::as_u64)
            .and_then(|n| usize::try_from(n).ok()),
        finished: run.get("finished").and_then(serde_json::Value::as_bool),
    }
}

/// Checks that `inputs`, where any is a shard, are every shard of one
/// class, each once: a shard missing or given twice merged into a
/// gradebook of part of the class, said nowhere (a new instructor's
/// round: `merge sh1` and `merge sh1 sh1` gave 4 students of 13, exit 0).
/// Outputs of whole-class runs alone merge as before (two sections).
fn every_shard_once(inputs: &[PathBuf], infos: &[RunInfo]) -> Result<(), String> {
    // Cut short (Ctrl+C, a runner stopped), or still running: part of its
    // class passed for the whole (hostile round 75).
    if let Some((_, input)) = infos
        .iter()
        .zip(inputs)
        .find(|(info, _)| info.finished == Some(false))
    {
        return Err(format!(
            "{} is the output of a class run that did not finish (cut short, or still running): run it again to its end",
            input.display()
        ));
    }
    let shards: Vec<(Option<super::Shard>, &PathBuf)> =
        infos.iter().map(|i| i.shard).zip(inputs).collect();
    let Some((first, first_at)) = shards.iter().find_map(|(s, i)| Some(((*s)?, *i))) else {
        return Ok(());
    };
    let shown = |s: super::Shard| format!("{}/{}", s.index, s.count);
    let mut seen: Vec<(super::Shard, &PathBuf)> = Vec::new();
    for (shard, input) in &shards {
        let Some(shard) = *shard else {
            if !["gradebook.csv", "run.json"]
                .iter()
                .any(|f| input.join(f).is_file())
            {
                return Err(format!(
                    "{} is not the output of a class run: no gradebook.csv and no run.json",
                    input.display()
                ));
            }
            return Err(format!(
                "{} is no shard (its run graded the whole class, or has no run.json), {} is shard {}: merge the shards of one class, all of them",
                input.display(),
                first_at.display(),
                shown(first)
            ));
        };
        if shard.count != first.count {
            return Err(format!(
                "{} is shard {}, {} shard {}: merge the shards of one split of the class",
                first_at.display(),
                shown(first),
                input.display(),
                shown(shard)
            ));
        }
        if let Some((_, other)) = seen.iter().find(|(s, _)| *s == shard) {
            return Err(format!(
                "shard {} is given twice: {} and {}",
                shown(shard),
                other.display(),
                input.display()
            ));
        }
        seen.push((shard, input));
    }
    // Counted, the first few named (a count up to `MOST_SHARDS`).
    let missing: Vec<u32> = (1..=first.count)
        .filter(|i| !seen.iter().any(|(s, _)| s.index == *i))
        .collect();
    if !missing.is_empty() {
        let mut named: Vec<String> = missing
            .iter()
            .take(8)
            .map(|&index| {
                shown(super::Shard {
                    index,
                    count: first.count,
                })
            })
            .collect();
        if missing.len() > named.len() {
            named.push(format!("and {} more", missing.len() - named.len()));
        }
        return Err(format!(
            "shard{} {} of the class {} missing: merge every shard (a gradebook of part of the class would pass for the whole)",
            if missing.len() == 1 { "" } else { "s" },
            named.join(", "),
            if missing.len() == 1 { "is" } else { "are" }
        ));
    }
    // Of one class: shards of two classes (or of a class that changed
    // between the runs) leave students out.
    let ids: Vec<(&Option<String>, &PathBuf)> =
        infos.iter().map(|i| &i.class_id).zip(inputs).collect();
    if let Some(((_, at), (_, other))) = ids
        .iter()
        .zip(ids.iter().skip(1))
        .find(|((a, _), (b, _))| a != b)
    {
        return Err(format!(
            "{} and {} are shards of different classes (or of a class whose folders changed between their runs): grade every shard of one class folder, as it is",
            at.display(),
            other.display()
        ));
    }
    Ok(())
}

/// How two submissions' records show they were graded otherwise: on other
/// checks, or with other points (a check's worth, whether it is hidden).
pub(super) fn graded_differently(a: &Record, b: &Record) -> Option<&'static str> {
    let ids = |r: &Record| {
        let mut ids = r.check_ids.clone();
        ids.sort();
        ids
    };
    if ids(a) != ids(b) {
        return Some("checks");
    }
    if (a.max_score - b.max_score).abs() > 1e-9 {
        return Some("points");
    }
    let worth = |r: &Record| -> Vec<(String, String, bool)> {
        let mut w: Vec<_> = r
            .checks
            .iter()
            .map(|c| (c.id.clone(), format!("{:.6}", c.max_score), c.hidden))
            .collect();
        w.sort();
        w
    };
    // A submission that was not graded has no per-check rows to compare.
    let (wa, wb) = (worth(a), worth(b));
    if !wa.is_empty() && !wb.is_empty() && wa != wb {
        return Some("points");
    }
    None
}

/// Copies a submission's output folder: folders and regular files only.
/// Anything else is refused, not followed: a class run writes nothing
/// else, and a shard's symlink to /etc/shadow came out as a plain copy of
/// it, ready to be published with the results; a FIFO blocked the merge
/// for ever (hostile round 10). A file is opened without following a
/// link, in case one was put in its place since it was listed.
fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    copy_dir_below(from, to, 0)
}

/// How deep a class run's outputs nest (OUT/<submission>/evidence/...),
/// with room: a deeper shard was not written by one, and its walk must not
/// exhaust the stack (hostile round 12 crashed a walk with 1500 levels).
const OUTPUT_MAX_DEPTH: usize = 8;

fn copy_dir_below(from: &Path, to: &Path, depth: usize) -> std::io::Result<()> {
    if depth > OUTPUT_MAX_DEPTH {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{} nests deeper than a class run writes", from.display()),
        ));
    }
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_dir_below(&entry.path(), &target, depth + 1)?;
        } else if kind.is_file() {
            let mut source = open_no_follow(&entry.path())?;
            if !source.metadata()?.is_file() {
                return Err(not_netlab_s(&entry.path()));
            }
            // A link at the target (left in --out by hand) is replaced,
            // not written through.
            if target.symlink_metadata().is_ok_and(|m| !m.is_dir()) {
                std::fs::remove_file(&target)?;
            }
            let mut copy = std::fs::File::create(&target)?;
            std::io::copy(&mut source, &mut copy)?;
        } else {
            return Err(not_netlab_s(&entry.path()));
        }
    }
    Ok(())
}

fn not_netlab_s(path: &Path) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!(
            "{} is not a folder or a regular file (a link, a pipe, a device): a class run writes none",
            path.display()
        ),
    )
}

fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK too: a FIFO swapped in after the listing does not
        // block the open.
        options.custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK);
    }
    options.open(path)
}
