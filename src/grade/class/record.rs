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
}

impl Record {
    /// Reads `dir/report.json`; `None` if it is missing or not a record
    /// (a run interrupted before the submission finished).
    pub fn load(dir: &Path) -> Option<Record> {
        let text = std::fs::read_to_string(dir.join("report.json")).ok()?;
        serde_json::from_str(&text).ok()
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
            if let Some(code) = c.diagnosis.as_deref() {
                if !codes.contains(&code) {
                    codes.push(code);
                }
            }
        }
        codes
    }
}

/// `points` without a needless `.0`: 3, 2.5.
pub fn fmt_points(points: f64) -> String {
    if points.fract() == 0.0 {
        format!("{points:.0}")
    } else {
        format!("{:.2}", points)
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}
