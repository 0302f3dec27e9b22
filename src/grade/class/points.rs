//! The instructor's points file (`--points FILE`): what each check is worth
//! and which checks students must not see before grades are published.
//!
//! ```toml
//! default = 1                 # every check not named below (default 1)
//! hidden = ["server-config"]  # checks kept out of students' reports
//! [roles]                     # per group: a role name or "pair"
//! chat-server = 2
//! [checks]                    # per check id: wins over [roles]
//! server-ack = 3
//! server-timeout = { points = 2, hidden = true }
//! ```
//!
//! Week-agnostic: names are checked against the lab's own checks.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::grade::{Check, GradeError};

/// Points and visibility of every check of a lab.
#[derive(Debug, Clone, Default)]
pub struct Points {
    default: f64,
    roles: BTreeMap<String, f64>,
    checks: BTreeMap<String, f64>,
    hidden: Vec<String>,
    /// The file's text, part of the content hash (new points, new reports).
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PointsFile {
    default: Option<f64>,
    #[serde(default)]
    hidden: Vec<String>,
    #[serde(default)]
    roles: BTreeMap<String, f64>,
    #[serde(default)]
    checks: BTreeMap<String, CheckPoints>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum CheckPoints {
    Points(f64),
    Table {
        points: Option<f64>,
        #[serde(default)]
        hidden: bool,
    },
}

impl Points {
    /// Every check worth 1, all visible.
    pub fn uniform() -> Points {
        Points {
            default: 1.0,
            ..Points::default()
        }
    }

    /// Reads and validates `path` against the lab's `checks`.
    pub fn load(path: &Path, checks: &[Check]) -> Result<Points, GradeError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            GradeError::Usage(format!(
                "cannot read the points file {}: {e}",
                path.display()
            ))
        })?;
        Points::parse(&text, checks)
            .map_err(|e| GradeError::Usage(format!("{}: {e}", path.display())))
    }

    /// Parses a points file's text.
    pub fn parse(text: &str, checks: &[Check]) -> Result<Points, String> {
        let file: PointsFile = toml::from_str(text).map_err(|e| {
            let e = e.to_string();
            // serde's words for a value that is neither form: say the forms.
            if e.contains("untagged enum CheckPoints") {
                let at = e.lines().next().unwrap_or_default();
                format!("{at}: a check takes a number of points (`server-ack = 3`) or a table (`server-ack = {{ points = 3, hidden = true }}`)")
            } else {
                e
            }
        })?;
        let known_ids: Vec<&str> = checks.iter().map(|c| c.id).collect();
        let mut groups: Vec<&str> = checks.iter().map(|c| c.group).collect();
        groups.dedup();
        let mut points = Points {
            default: file.default.unwrap_or(1.0),
            source: text.to_string(),
            ..Points::default()
        };
        let valid = |p: f64, what: &str| {
            if p.is_finite() && p >= 0.0 {
                Ok(p)
            } else {
                Err(format!("{what}: points must be a number >= 0, not {p}"))
            }
        };
        valid(points.default, "default")?;
        for (role, p) in file.roles {
            let role = crate::grade::normalize_id(&role);
            if !groups.contains(&role.as_str()) {
                return Err(format!(
                    "[roles]: unknown role `{role}` (known: {})",
                    groups.join(", ")
                ));
            }
            points.roles.insert(role.clone(), valid(p, &role)?);
        }
        // `server_ack` as `server-ack`, as --check takes it; a typo gets the
        // nearest id, not the whole list.
        let unknown = |id: &str| match crate::grade::did_you_mean(id, &known_ids) {
            Some(near) => format!("unknown check `{id}`; did you mean `{near}`?"),
            None => format!("unknown check `{id}` (known: {})", known_ids.join(", ")),
        };
        for id in file.hidden {
            let id = crate::grade::normalize_id(&id);
            if !known_ids.contains(&id.as_str()) {
                return Err(format!("hidden: {}", unknown(&id)));
            }
            points.hidden.push(id);
        }
        for (given, entry) in file.checks {
            let id = crate::grade::normalize_id(&given);
            if !known_ids.contains(&id.as_str()) {
                return Err(format!("[checks]: {}", unknown(&id)));
            }
            // `server_ack` and `server-ack` both given: which one counts?
            if points.checks.contains_key(&id) {
                return Err(format!("[checks]: `{given}` is `{id}`, given twice"));
            }
            match entry {
                CheckPoints::Points(p) => {
                    points.checks.insert(id.clone(), valid(p, &id)?);
                }
                CheckPoints::Table { points: p, hidden } => {
                    if let Some(p) = p {
                        points.checks.insert(id.clone(), valid(p, &id)?);
                    }
                    if hidden {
                        points.hidden.push(id);
                    }
                }
            }
        }
        // Each value finite, their sum may not be (hostile round 40:
        // `default = 1e308` made every score infinite, which JSON cannot
        // hold: a class of grader errors). Any selection's total is at
        // most the whole lab's: points are never negative.
        let total: f64 = checks.iter().map(|c| points.of(c)).sum();
        if !total.is_finite() {
            return Err(format!(
                "the lab's {} checks add up to {total} points, more than a score can hold: give each check a usual number of points",
                checks.len()
            ));
        }
        // Nothing to score: every submission 0 / 0, a perfect one in the
        // summary's lowest row (a new instructor's round: `default = 0`).
        // (Below a hundredth, a score shows as 0.)
        if total < 0.005 {
            return Err(format!(
                "every one of the lab's {} checks is worth 0 points: nothing could be scored (`default = 0` needs checks or roles worth points)",
                checks.len()
            ));
        }
        Ok(points)
    }

    /// What `check` is worth: its own entry, else its role's, else the default.
    pub fn of(&self, check: &Check) -> f64 {
        self.checks
            .get(check.id)
            .or_else(|| self.roles.get(check.group))
            .copied()
            .unwrap_or(self.default)
    }

    /// Whether students must not see `check` before grades are published.
    pub fn hidden(&self, check: &Check) -> bool {
        self.hidden.iter().any(|id| id == check.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Points, String> {
        Points::parse(text, crate::grade::checks("week01").unwrap())
    }

    /// Hostile round 40: finite values whose sum is not.
    #[test]
    fn points_that_add_up_past_a_number_are_refused() {
        let err = parse("default = 1e308").unwrap_err();
        assert!(err.contains("more than a score can hold"), "{err}");
        let err = parse("[checks]\nserver-ack = 1.7e308\nserver-listening = 1.7e308").unwrap_err();
        assert!(err.contains("more than a score can hold"), "{err}");
        assert!(parse("default = 1e6").is_ok());
    }

    /// A new instructor's round: every check worth nothing.
    #[test]
    fn points_that_add_up_to_nothing_are_refused() {
        let err = parse("default = 0").unwrap_err();
        assert!(err.contains("worth 0 points"), "{err}");
        assert!(parse("default = 0\n[checks]\nserver-ack = 1\n").is_ok());
    }

    #[test]
    fn a_points_file_takes_ids_as_the_command_line_does_and_says_what_is_wrong() {
        let checks = crate::grade::checks("week01").unwrap();
        let ack = checks.iter().find(|c| c.id == "server-ack").unwrap();
        let points = parse("hidden = [\"server_ack\"]\n[checks]\nserver_ack = 3\n").unwrap();
        assert_eq!(points.of(ack), 3.0);
        let typo = parse("hidden = [\"server-restrat\"]\n").unwrap_err();
        assert!(typo.contains("did you mean `server-restart`?"), "{typo}");
        let twice = parse("[checks]\nserver_ack = 2\nserver-ack = 3\n").unwrap_err();
        assert!(twice.contains("given twice"), "{twice}");
        let word = parse("[checks]\nserver-ack = \"two\"\n").unwrap_err();
        assert!(
            word.contains("a check takes a number of points") && !word.contains("untagged"),
            "{word}"
        );
    }
}
