//! Which cases `esc list` shows: filters checked against the policy (an unknown severity,
//! type, tier, person or status is refused with a "did you mean"), each taking several
//! values (repeated or comma-separated; any of them matches), and the match itself. Pure.

use super::Case;
use crate::policy::source::suggestion;
use crate::policy::{Policy, Status};
use chrono::{DateTime, Utc};

/// Why a filter was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--{flag} `{value}` is not {what}{hint}; {known}")]
pub struct FilterError {
    pub flag: &'static str,
    pub value: String,
    pub what: &'static str,
    pub hint: String,
    pub known: String,
}

/// The raw filter values as given on the command line.
#[derive(Debug, Clone, Default)]
pub struct FilterArgs {
    pub status: Vec<String>,
    pub severity: Vec<String>,
    pub case_type: Vec<String>,
    pub tier: Vec<String>,
    pub owner: Vec<String>,
    pub account: Vec<String>,
    pub label: Vec<String>,
    /// Only the actor's cases.
    pub mine: Option<String>,
    /// Text to find (case-insensitive) in title, description, account, reporter, labels.
    pub grep: Option<String>,
    /// Include closed cases.
    pub all: bool,
}

/// A checked filter.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    status: Vec<Status>,
    severity: Vec<String>,
    case_type: Vec<String>,
    tier: Vec<String>,
    owner: Vec<String>,
    account: Vec<String>,
    label: Vec<String>,
    grep: Option<String>,
    all: bool,
}

/// `unresolved`: every status before resolution.
const UNRESOLVED: [Status; 3] = [Status::Open, Status::Acknowledged, Status::Paused];

/// Split repeated and comma-separated values, dropping blanks.
fn values(raw: &[String]) -> Vec<String> {
    raw.iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(String::from)
        .collect()
}

/// Check every value against the names the policy knows.
fn checked<'a>(
    flag: &'static str,
    what: &'static str,
    raw: &[String],
    known: impl Fn() -> Vec<&'a str>,
) -> Result<Vec<String>, FilterError> {
    let vals = values(raw);
    for v in &vals {
        let names = known();
        if !names.contains(&v.as_str()) {
            return Err(FilterError {
                flag,
                value: v.clone(),
                what,
                hint: suggestion(v, names.iter().copied()),
                known: format!("known: {}", names.join(", ")),
            });
        }
    }
    Ok(vals)
}

impl Filter {
    /// Check the values against the policy.
    pub fn new(policy: &Policy, args: &FilterArgs) -> Result<Filter, FilterError> {
        let mut status = Vec::new();
        for v in values(&args.status) {
            if v == "unresolved" {
                status.extend(UNRESOLVED);
                continue;
            }
            match Status::parse(&v) {
                Some(s) => status.push(s),
                None => {
                    let mut names: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
                    names.push("unresolved");
                    return Err(FilterError {
                        flag: "status",
                        value: v.clone(),
                        what: "a status",
                        hint: suggestion(&v, names.iter().copied()),
                        known: format!("use {}", names.join(", ")),
                    });
                }
            }
        }
        let severity = checked(
            "severity",
            "a severity in the policy",
            &args.severity,
            || policy.severities.iter().map(|s| s.id.as_str()).collect(),
        )?;
        let case_type = checked("type", "a type in the policy", &args.case_type, || {
            policy.types.iter().map(String::as_str).collect()
        })?;
        let tier = checked("tier", "a tier in the policy", &args.tier, || {
            policy.tiers.iter().map(|t| t.id.as_str()).collect()
        })?;
        let mut owner = checked("owner", "a person in the policy", &args.owner, || {
            policy.people().into_iter().collect()
        })?;
        if let Some(me) = &args.mine {
            owner.push(me.clone());
        }
        // Accounts need no policy entry; check them only when the policy lists accounts.
        let account = if policy.accounts.is_empty() {
            values(&args.account)
        } else {
            checked("account", "an account in the policy", &args.account, || {
                policy.accounts.keys().map(String::as_str).collect()
            })?
        };
        Ok(Filter {
            status,
            severity,
            case_type,
            tier,
            owner,
            account,
            label: values(&args.label),
            grep: args
                .grep
                .as_ref()
                .map(|g| g.to_lowercase())
                .filter(|g| !g.is_empty()),
            all: args.all,
        })
    }

    /// Whether a case passes, as of `now` (a case opened after `now` does not exist yet).
    pub fn matches(&self, case: &Case, now: DateTime<Utc>) -> bool {
        let any = |wanted: &[String], v: &str| wanted.is_empty() || wanted.iter().any(|w| w == v);
        let status_ok = if self.status.is_empty() {
            self.all || case.status != Status::Closed
        } else {
            self.status.contains(&case.status)
        };
        case.opened_at <= now
            && status_ok
            && any(&self.severity, &case.severity)
            && any(&self.case_type, &case.case_type)
            && (self.tier.is_empty()
                || case
                    .levels
                    .values()
                    .any(|l| self.tier.iter().any(|t| *t == l.tier)))
            && any(&self.owner, &case.owner)
            && (self.account.is_empty()
                || case
                    .account
                    .as_deref()
                    .is_some_and(|a| self.account.iter().any(|x| x == a)))
            && (self.label.is_empty() || case.labels.iter().any(|l| self.label.contains(l)))
            && self.grep.as_ref().is_none_or(|g| grep(case, g))
    }
}

/// Whether the lower-cased needle occurs in the case's text.
fn grep(case: &Case, needle: &str) -> bool {
    let has = |s: &str| s.to_lowercase().contains(needle);
    has(&case.title)
        || case.more().description.as_deref().is_some_and(has)
        || case.account.as_deref().is_some_and(has)
        || case.more().reporter.as_deref().is_some_and(has)
        || case.labels.iter().any(|l| has(l))
        || has(&case.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/policies/it-helpdesk.toml"
        ))
        .unwrap();
        crate::policy::parse(&text).unwrap()
    }

    #[test]
    fn unknown_values_are_refused_with_a_suggestion() {
        let p = policy();
        let e = Filter::new(
            &p,
            &FilterArgs {
                severity: vec!["sev1,sev9".into()],
                ..FilterArgs::default()
            },
        )
        .unwrap_err();
        assert_eq!(e.flag, "severity");
        assert_eq!(e.value, "sev9");
        assert!(e.to_string().contains("did you mean"), "{e}");
        let e = Filter::new(
            &p,
            &FilterArgs {
                status: vec!["opne".into()],
                ..FilterArgs::default()
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("did you mean `open`"), "{e}");
    }

    #[test]
    fn unresolved_and_several_values() {
        let p = policy();
        let f = Filter::new(
            &p,
            &FilterArgs {
                status: vec!["unresolved".into()],
                severity: vec!["sev1".into(), "sev2".into()],
                ..FilterArgs::default()
            },
        )
        .unwrap();
        assert_eq!(f.status, UNRESOLVED.to_vec());
        assert_eq!(f.severity, vec!["sev1", "sev2"]);
    }
}
