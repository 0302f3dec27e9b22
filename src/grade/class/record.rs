//! One graded submission as the class outputs see it: read back from its
//! `OUT/<submission>/report.json`, so a gradebook can be rebuilt from any
//! output folder (a re-run, a Ctrl+C'd run, or shards joined by `merge`).

use std::path::Path;

use serde::Deserialize;

/// The fields of a submission's report.json the class outputs use.
#[derive(Debug, Clone, Deserialize)]
pub struct Record {
    pub submission: String,
    pub lab: String,
    /// The content hash the submission had when it was graded.
    pub content_hash: String,
    #[serde(default)]
    pub seed: Option<u64>,
    pub duration_ms: u64,
    /// The CPU time its programs used, all checks together (see
    /// [`crate::grade::Outcome::cpu_ms`]); `None` where nothing measured it.
    #[serde(default)]
    pub cpu_ms: Option<u64>,
    pub score: f64,
    pub max_score: f64,
    /// Why the submission could not be graded (no valid netlab.toml, ...).
    #[serde(default)]
    pub not_graded: Option<String>,
    /// The ids of the checks that were selected, in order (gradebook columns).
    #[serde(default)]
    pub check_ids: Vec<String>,
    #[serde(default)]
    pub checks: Vec<RecordCheck>,
}

/// One check of a [`Record`].
#[derive(Debug, Clone, Deserialize)]
pub struct RecordCheck {
    pub id: String,
    pub role: String,
    pub title: String,
    pub passed: Option<bool>,
    #[serde(default)]
    pub diagnosis: Option<String>,
    #[serde(default)]
    pub skipped: Option<String>,
    #[serde(default)]
    pub score: f64,
    #[serde(default)]
    pub max_score: f64,
    #[serde(default)]
    pub hidden: bool,
    /// The check whose finding this failure is folded under in the
    /// student's report (the JSON report names it only then).
    #[serde(default)]
    pub follows_from: Option<String>,
    /// The CPU time this check's programs used; its record's `cpu_ms` is
    /// the sum of these.
    #[serde(default)]
    pub cpu_ms: Option<u64>,
}

/// The most of a report.json [`Record::load`] reads: a class run's are a
/// few hundred KiB at most.
const MOST_RECORD_BYTES: u64 = 32 << 20;

impl Record {
    /// Reads `dir/report.json`; `None` if it is missing or not a record
    /// (a run interrupted before the submission finished).
    ///
    /// Only a regular file, opened without following a link or waiting on
    /// a FIFO, and read up to [`MOST_RECORD_BYTES`]: merge reads shards
    /// anyone with the CI's storage could have made (hostile round 41: a
    /// FIFO hung it, a link to /dev/zero read a gigabyte in a second).
    pub fn load(dir: &Path) -> Option<Record> {
        use std::io::Read;
        let path = dir.join("report.json");
        let mut options = std::fs::OpenOptions::new();
        options.read(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::custom_flags(
            &mut options,
            nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK,
        );
        if !std::fs::symlink_metadata(&path).ok()?.is_file() {
            return None;
        }
        let file = options.open(&path).ok()?;
        if !file.metadata().ok()?.is_file() {
            return None;
        }
        let mut text = String::new();
        file.take(MOST_RECORD_BYTES)
            .read_to_string(&mut text)
            .ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Whether this record is one a class run of netlab could have written
    /// in the folder named `folder`: `Err` says what is not. For `netlab
    /// merge`, whose inputs are folders it did not make (CI artifacts,
    /// copied about): a shard's record named its own path (`../x`, an
    /// absolute one) and merge copied its files there, outside `--out`;
    /// another gave itself a score its checks did not have (hostile round
    /// 10). Checks the record's shape, not where it came from: a shard made
    /// up whole, with every check passed, is not told apart.
    pub fn check_plausible(&self, folder: &str) -> Result<(), String> {
        let plain = !self.submission.is_empty()
            && self.submission != "."
            && self.submission != ".."
            && !self.submission.contains('\0')
            && !self.submission.chars().any(std::path::is_separator);
        if !plain || self.submission != folder {
            return Err(format!(
                "its report.json names the submission {:?}, not its folder's name {folder:?}",
                self.submission
            ));
        }
        let Some(checks) = crate::grade::checks(&self.lab) else {
            return Err(format!(
                "it is graded for {:?}, a lab netlab does not know",
                self.lab
            ));
        };
        let known = |id: &str| checks.iter().any(|c| c.id == id);
        if let Some(id) = self
            .check_ids
            .iter()
            .map(String::as_str)
            .chain(self.checks.iter().map(|c| c.id.as_str()))
            .find(|id| !known(id))
        {
            return Err(format!(
                "it has a check {id:?} that {} does not have",
                self.lab
            ));
        }
        if let Some(code) = self
            .checks
            .iter()
            .filter_map(|c| c.diagnosis.as_deref())
            .find(|code| crate::grade::Diagnosis::from_code(code).is_none())
        {
            return Err(format!(
                "it has a diagnosis {code:?} that netlab does not have"
            ));
        }
        let points = |p: f64| p.is_finite() && p >= 0.0;
        for c in &self.checks {
            let due = if c.passed == Some(true) {
                c.max_score
            } else {
                0.0
            };
            if !points(c.max_score) || (c.score - due).abs() > 1e-6 {
                return Err(format!(
                    "check {:?} has {} of {} points, which its verdict does not give",
                    c.id, c.score, c.max_score
                ));
            }
        }
        let sum = |f: fn(&RecordCheck) -> f64| self.checks.iter().map(f).sum::<f64>();
        // Not graded (no checks): no points at all.
        let totals_agree = if self.checks.is_empty() {
            self.score == 0.0
        } else {
            (sum(|c| c.score) - self.score).abs() < 1e-6
                && (sum(|c| c.max_score) - self.max_score).abs() < 1e-6
        };
        if !points(self.max_score)
            || !points(self.score)
            || self.score > self.max_score + 1e-6
            || !totals_agree
        {
            return Err(format!(
                "its score, {} of {}, is not the sum of its checks' points",
                self.score, self.max_score
            ));
        }
        // The class page names the heaviest members by this figure
        // (hostile round 75: a forged one was taken as it was).
        let checks_cpu = self
            .checks
            .iter()
            .filter_map(|c| c.cpu_ms)
            .try_fold(0u64, u64::checked_add);
        let cpu_agrees = match (self.cpu_ms, checks_cpu) {
            (None, _) => self.checks.iter().all(|c| c.cpu_ms.is_none()),
            (Some(total), Some(sum)) => {
                total == sum && self.checks.iter().any(|c| c.cpu_ms.is_some())
            }
            (Some(_), None) => false,
        };
        if !cpu_agrees {
            return Err(format!(
                "its CPU time, {}, is not the sum of its checks' ({})",
                self.cpu_ms
                    .map_or("none".to_string(), |ms| format!("{ms} ms")),
                checks_cpu.map_or("too many".to_string(), |ms| format!("{ms} ms"))
            ));
        }
        Ok(())
    }

    pub fn counts(&self) -> (usize, usize, usize) {
        let passed = self
            .checks
            .iter()
            .filter(|c| c.passed == Some(true))
            .count();
        let failed = self
            .checks
            .iter()
            .filter(|c| c.passed == Some(false))
            .count();
        (passed, failed, self.checks.len() - passed - failed)
    }

    /// The distinct diagnosis codes of the failed checks, in check order.
    pub fn diagnoses(&self) -> Vec<&str> {
        let mut codes: Vec<&str> = Vec::new();
        for c in &self.checks {
            if let Some(code) = self.mistake_of(c) {
                if !codes.contains(&code) {
                    codes.push(code);
                }
            }
        }
        codes
    }
}

impl Record {
    /// The mistake check `c` failed for, as the student's report tells it:
    /// its own diagnosis, or the one of the check its failure is folded
    /// under (blind round 35: the class summary counted a `wrong-reply`
    /// that the student's report told as the blank-message it follows
    /// from). `None` for a check that did not fail.
    pub fn mistake_of<'a>(&'a self, c: &'a RecordCheck) -> Option<&'a str> {
        let own = c.diagnosis.as_deref()?;
        let cause = c.follows_from.as_deref().and_then(|id| {
            self.checks
                .iter()
                .find(|other| other.id == id)
                .and_then(|other| other.diagnosis.as_deref())
        });
        Some(cause.unwrap_or(own))
    }
}

/// `points` without a needless `.0`: 3, 2.5.
pub fn fmt_points(points: f64) -> String {
    // An empty sum of f64 is -0.0: never shown as "-0" (hostile round 70:
    // "score: -0 / -0" with every check hidden).
    let points = points + 0.0;
    if points.fract() == 0.0 {
        format!("{points:.0}")
    } else {
        format!("{:.2}", points)
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}
