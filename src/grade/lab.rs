//! The labs the grader knows, and what each brings: its checks, its
//! contract, and its roles (the programs a submission hands in).
//!
//! Nothing here names a week's programs. A week's module defines its
//! [`Lab`] (its roles as [`RoleSpec`] constants, `week01::role::SERVER`,
//! ...), and [`ALL`] lists the labs: a new week adds one line here and
//! needs no change to the harness, the reports, the command line or class
//! grading, which reach a role's facts through [`Role`].

use super::contract::Contract;
use super::Check;

/// One lab: a slug (`week01`), its checks in report order, its contract
/// and its roles.
pub struct Lab {
    pub slug: &'static str,
    pub checks: &'static [Check],
    pub contract: &'static Contract,
    /// Every role of the lab, in the order reports and `--list` give them.
    pub roles: &'static [Role],
}

/// Every lab, in course order.
pub static ALL: &[&Lab] = &[&super::week01::LAB];

/// The lab called `slug`, if the grader knows it.
pub fn find(slug: &str) -> Option<&'static Lab> {
    ALL.iter().copied().find(|lab| lab.slug == slug)
}

/// The labs' slugs, for messages ("the labs: week01, ...").
pub fn slugs() -> Vec<&'static str> {
    ALL.iter().map(|lab| lab.slug).collect()
}

impl Lab {
    /// The role of this lab called `name` (`_` and `-` alike, in either
    /// case, as `--only` and `--check` take theirs).
    pub fn role(&self, name: &str) -> Option<Role> {
        let name = super::normalize_id(name);
        self.roles.iter().copied().find(|r| r.name() == name)
    }

    /// The roles' names, in order.
    pub fn role_names(&self) -> Vec<&'static str> {
        self.roles.iter().map(|r| r.name()).collect()
    }

    /// The groups its checks are reported under (a role's name, or a
    /// group of several programs such as `pair`), in check order.
    pub fn groups(&self) -> Vec<&'static str> {
        let mut groups: Vec<&'static str> = Vec::new();
        for check in self.checks {
            if !groups.contains(&check.group) {
                groups.push(check.group);
            }
        }
        groups
    }
}

/// How a server's sessions end when it is right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// It closes a session once it has replied (a one-message server).
    ServerCloses,
    /// It keeps a session open until the client closes it, however long
    /// that takes (a chat server: the client leaves when it likes).
    ClientCloses,
}

/// What the generic grader knows of one role of a lab.
#[derive(Debug)]
pub struct RoleSpec {
    /// The lab it belongs to (its slug).
    pub lab: &'static str,
    /// Its name in netlab.toml, on the command line and in reports.
    pub name: &'static str,
    /// Its place in the lab's order (reports list commands by it).
    pub rank: u8,
    /// For a server: the check that judges its start (its announcement, or
    /// its death before it); other checks that cannot start the program
    /// name it as their failure's cause. `None` for clients.
    pub line_check: Option<&'static str>,
    /// The check that tells whether it uses the configuration it is given
    /// (its port among it), where there is one.
    pub config_check: Option<&'static str>,
    /// How its sessions end, for a server; clients: `ServerCloses`.
    pub sessions: SessionEnd,
    /// The contract of its lab: what the harness needs to start it.
    pub contract: &'static Contract,
}

/// A program of a lab's submission: a handle on its lab's [`RoleSpec`].
/// Two roles are equal when they are the same role of the same lab.
#[derive(Clone, Copy)]
pub struct Role(&'static RoleSpec);

impl Role {
    /// The role `spec` describes (a lab's constants are made with it).
    pub const fn of(spec: &'static RoleSpec) -> Role {
        Role(spec)
    }

    /// The role's name in netlab.toml and on the command line.
    pub fn name(self) -> &'static str {
        self.0.name
    }

    /// The slug of the lab it belongs to.
    pub fn lab(self) -> &'static str {
        self.0.lab
    }

    /// See [`RoleSpec::line_check`].
    pub fn line_check(self) -> Option<&'static str> {
        self.0.line_check
    }

    /// See [`RoleSpec::config_check`].
    pub fn config_check(self) -> Option<&'static str> {
        self.0.config_check
    }

    /// Does this server keep each session open until the client closes
    /// it? See [`SessionEnd`].
    pub fn waits_for_the_client_to_close(self) -> bool {
        self.0.sessions == SessionEnd::ClientCloses
    }

    /// The contract of the lab this role belongs to: what the harness
    /// needs to start it and find its port.
    pub fn contract(self) -> &'static Contract {
        self.0.contract
    }

    /// The other roles of its lab (itself among them), in order.
    pub fn siblings(self) -> &'static [Role] {
        find(self.0.lab).map_or(&[], |lab| lab.roles)
    }

    fn key(self) -> (&'static str, u8, &'static str) {
        (self.0.lab, self.0.rank, self.0.name)
    }
}

impl PartialEq for Role {
    fn eq(&self, other: &Role) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Role {}

impl std::hash::Hash for Role {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key().hash(state)
    }
}

impl PartialOrd for Role {
    fn partial_cmp(&self, other: &Role) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Role {
    fn cmp(&self, other: &Role) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl std::fmt::Debug for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.0.lab, self.0.name)
    }
}

impl serde::Serialize for Role {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every lab's table agrees with its checks: the roles are its own,
    /// ranked in order with names unique, every role a check needs is
    /// listed, and every line or config check a role names is a check of
    /// the lab (a typo there would fold failures under nothing).
    #[test]
    fn every_lab_s_roles_agree_with_its_checks() {
        for lab in ALL {
            let ids: Vec<&str> = lab.checks.iter().map(|c| c.id).collect();
            for (i, role) in lab.roles.iter().enumerate() {
                assert_eq!(role.lab(), lab.slug, "{role:?}");
                assert_eq!(usize::from(role.0.rank), i, "{role:?} out of order");
                assert_eq!(lab.role(role.name()), Some(*role));
                for id in [role.line_check(), role.config_check()]
                    .into_iter()
                    .flatten()
                {
                    assert!(
                        ids.contains(&id),
                        "{role:?} names `{id}`, no check of {}",
                        lab.slug
                    );
                }
                assert!(std::ptr::eq(role.contract(), lab.contract), "{role:?}");
            }
            for check in lab.checks {
                for role in check.needs {
                    assert!(lab.roles.contains(role), "{} needs {role:?}", check.id);
                }
            }
            assert!(std::ptr::eq(find(lab.slug).unwrap(), *lab));
        }
    }

    #[test]
    fn roles_are_found_by_either_spelling_and_unknown_ones_are_not() {
        let lab = find("week01").unwrap();
        let threaded = lab.role("threaded_server").unwrap();
        assert_eq!(lab.role("threaded-server"), Some(threaded));
        assert_eq!(lab.role("Threaded_Server"), Some(threaded));
        assert_eq!(threaded.name(), "threaded-server");
        assert_eq!(lab.role("udp-server"), None);
        assert_eq!(find("week99").map(|l| l.slug), None);
        assert!(lab.groups().contains(&"pair"));
    }
}
