//! Cases the policy no longer describes: a severity, type, tier, path or owner that the
//! policy (perhaps since edited) does not know. Such cases fall out of SLA clocks, sweeps
//! and reports, so `esc policy check --cases` and `esc ledger verify` name them. Pure.

use super::Case;
use crate::policy::Policy;
use serde::Serialize;
use std::collections::BTreeMap;

/// One thing a case has that the policy does not know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub case: String,
    /// `severity`, `type`, `tier`, `path` or `person`.
    pub kind: &'static str,
    pub value: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} `{}` is not in the policy",
            self.case, self.kind, self.value
        )
    }
}

/// Every finding over the cases (closed cases included: reports still count them).
pub fn findings<'a>(policy: &Policy, cases: impl IntoIterator<Item = &'a Case>) -> Vec<Finding> {
    let people = policy.people();
    let mut out = Vec::new();
    for c in cases {
        let mut add = |kind: &'static str, value: &str| {
            out.push(Finding {
                case: c.id.to_string(),
                kind,
                value: value.to_string(),
            });
        };
        if policy.severity(&c.severity).is_none() {
            add("severity", &c.severity);
        }
        if !policy.types.iter().any(|t| *t == c.case_type) {
            add("type", &c.case_type);
        }
        for (path, level) in &c.levels {
            if policy.path(path).is_none() {
                add("path", path);
            }
            if policy.tier(&level.tier).is_none() {
                add("tier", &level.tier);
            }
        }
        if policy.path(&c.home_path).is_none() && !c.levels.contains_key(&c.home_path) {
            add("path", &c.home_path);
        }
        if !people.contains(c.owner.as_str()) {
            add("person", &c.owner);
        }
    }
    out
}

/// How many cases have a finding of each kind: `{"severity": 2, "person": 1}`.
pub fn counts(findings: &[Finding]) -> BTreeMap<&'static str, usize> {
    let mut seen: BTreeMap<&'static str, std::collections::BTreeSet<&str>> = BTreeMap::new();
    for f in findings {
        seen.entry(f.kind).or_default().insert(f.case.as_str());
    }
    seen.into_iter().map(|(k, v)| (k, v.len())).collect()
}

/// One line for people: `3 cases the policy no longer describes: 2 with an unknown
/// severity, 1 with an unknown person`, or `None` when there are none.
pub fn summary(findings: &[Finding]) -> Option<String> {
    if findings.is_empty() {
        return None;
    }
    let cases: std::collections::BTreeSet<&str> =
        findings.iter().map(|f| f.case.as_str()).collect();
    let parts: Vec<String> = counts(findings)
        .into_iter()
        .map(|(k, n)| format!("{n} with an unknown {k}"))
        .collect();
    Some(format!(
        "{} case{} the policy no longer describes: {}; fix them with `esc edit` (severity, type) or `esc assign` (owner), or restore the names in the policy",
        cases.len(),
        if cases.len() == 1 { "" } else { "s" },
        parts.join(", ")
    ))
}
