//! `[[intake]]`: the routing rules for alerts and events from monitoring (`esc intake`,
//! `esc serve`) — the checked rule and how it is read from the policy, with spans.
//!
//! ```toml
//! [[intake]]
//! name = "probes"
//! match = { alertname = "ProbeFailure", env = "~prod|staging" }
//! severity_from = "severity"
//! severity_map = { critical = "sev1", warning = "sev3" }
//! severity = "sev2"            # when the label is missing or not mapped
//! type = "technical"
//! title = "{{ labels.alertname }} on {{ labels.instance }}"
//! per_alert = false
//! resolve_on_clear = true
//! reopen_within = "1h"
//! max_new = { count = 20, per = "5m" }
//! ```
//!
//! The rules are tried in the order written; the first whose every matcher holds routes the
//! alert. A matcher is a label name and either a value (equality) or `"~regex"` (the regex
//! must match the whole value, as in Alertmanager). A missing label has the empty value.

use super::model::EscalationPath;
use super::parse::{Names, check_ref, read_duration};
use super::source::{Str, Table, Val};
use super::templates::compile_error;
use chrono::TimeDelta;
use std::collections::BTreeMap;

/// One `[[intake]]` rule, checked.
#[derive(Debug, Clone)]
pub struct IntakeRule {
    pub name: String,
    /// All must hold; none matches everything.
    pub matchers: Vec<LabelMatch>,
    /// Severity when `severity_from` gives none (else the policy's default).
    pub severity: Option<String>,
    /// The label whose value decides the severity (through `severity_map`, or the value
    /// itself when it names a severity).
    pub severity_from: Option<String>,
    /// Label value → severity.
    pub severity_map: BTreeMap<String, String>,
    pub case_type: Option<String>,
    /// Account of new cases (a template).
    pub account: Option<String>,
    /// The escalation path new cases start on (else the policy's default path).
    pub path: Option<String>,
    /// Labels of new cases (templates).
    pub labels: Vec<String>,
    /// Title of new cases (a template over `labels`, `annotations`, …).
    pub title: Option<String>,
    /// One case per alert fingerprint, not per Alertmanager group.
    pub per_alert: bool,
    /// A resolved alert resolves its case.
    pub resolve_on_clear: bool,
    /// An alert firing again this soon after its case was resolved reopens the case.
    pub reopen_within: Option<TimeDelta>,
    /// Storm control: at most this many new cases per window.
    pub max_new: Option<MaxNew>,
}

/// A label matcher of a rule.
#[derive(Debug, Clone)]
pub struct LabelMatch {
    pub label: String,
    pub pattern: Pattern,
}

/// How a label's value is matched.
#[derive(Debug, Clone)]
pub enum Pattern {
    Equals(String),
    /// Anchored at both ends; `source` is the text after `~`.
    Regex {
        source: String,
        regex: regex::Regex,
    },
}

impl Pattern {
    /// Whether `value` (empty for a missing label) matches.
    pub fn matches(&self, value: &str) -> bool {
        match self {
            Pattern::Equals(v) => v == value,
            Pattern::Regex { regex, .. } => regex.is_match(value),
        }
    }
}

/// `max_new = { count = 20, per = "5m" }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxNew {
    pub count: u32,
    pub per: TimeDelta,
}

/// Read every `[[intake]]` rule.
pub(crate) fn read(
    root: &Table<'_, '_>,
    names: &Names,
    paths: &[EscalationPath],
) -> Vec<IntakeRule> {
    let mut out: Vec<IntakeRule> = Vec::new();
    let Some(v) = root.get("intake") else {
        return out;
    };
    for item in v.array().unwrap_or_default() {
        let Some(t) = item.table() else { continue };
        out.push(read_rule(&t, names, paths, &out));
    }
    out
}

fn read_rule(
    t: &Table<'_, '_>,
    names: &Names,
    paths: &[EscalationPath],
    earlier: &[IntakeRule],
) -> IntakeRule {
    let sink = t.sink;
    let name = match t
        .require("name", "a unique name, e.g. `name = \"probes\"`")
        .and_then(|n| n.str())
    {
        Some(s) => {
            if s.value.trim().is_empty() {
                sink.error(s.span.clone(), "an intake rule needs a name");
            } else if earlier.iter().any(|r| r.name == s.value) {
                sink.error(
                    s.span.clone(),
                    format!(
                        "intake rule name `{}` is used twice: give each rule its own name",
                        s.value
                    ),
                );
            }
            s.value.to_string()
        }
        None => String::new(),
    };
    let matchers = t
        .get("match")
        .and_then(|m| m.table())
        .map(|m| read_matchers(&m))
        .unwrap_or_default();
    let severity = t
        .get("severity")
        .and_then(|v| v.str())
        .filter(|s| check_ref(sink, s, "severity", &names.severities))
        .map(|s| s.value.to_string());
    let severity_from = t
        .get("severity_from")
        .and_then(|v| v.str())
        .map(|s| s.value.to_string());
    let mut severity_map = BTreeMap::new();
    if let Some(m) = t.get("severity_map").and_then(|m| m.table()) {
        for (key, v) in m.entries() {
            if let Some(s) = v.str()
                && check_ref(sink, &s, "severity", &names.severities)
            {
                severity_map.insert(key.value.to_string(), s.value.to_string());
            }
        }
        if severity_from.is_none() {
            sink.error(
                m.span.clone(),
                "`severity_map` needs `severity_from`: name the label it maps, e.g. `severity_from = \"severity\"`",
            );
        }
    }
    let case_type = t
        .get("type")
        .and_then(|v| v.str())
        .filter(|s| check_ref(sink, s, "escalation type", &names.types))
        .map(|s| s.value.to_string());
    let path = t
        .get("path")
        .and_then(|v| v.str())
        .filter(|s| check_ref(sink, s, "path", &names.paths))
        .map(|s| {
            if paths
                .iter()
                .any(|p| p.name == s.value && p.tiers.is_empty())
            {
                sink.error(s.span.clone(), format!("path `{}` has no tiers", s.value));
            }
            s.value.to_string()
        });
    let account = t.get("account").and_then(|v| template(&v));
    let labels = t
        .get("labels")
        .map(|v| {
            v.str_list()
                .iter()
                .filter(|s| compiles(&v, s))
                .map(|s| s.value.to_string())
                .collect()
        })
        .unwrap_or_default();
    let title = t.get("title").and_then(|v| template(&v));
    let flag = |key: &'static str| t.get(key).and_then(|v| v.bool()).unwrap_or(false);
    let per_alert = flag("per_alert");
    let resolve_on_clear = flag("resolve_on_clear");
    let reopen_within = t
        .get("reopen_within")
        .and_then(|v| read_duration(&v, &[], None));
    let max_new = t.get("max_new").and_then(|v| v.table()).and_then(|m| {
        let count = m
            .require("count", "how many new cases per window, e.g. `count = 20`")
            .and_then(|c| positive(&c));
        let per = m
            .require("per", "the window, e.g. `per = \"5m\"`")
            .and_then(|p| read_duration(&p, &[], None));
        m.finish("key");
        Some(MaxNew {
            count: count?,
            per: per?,
        })
    });
    t.finish("key");
    IntakeRule {
        name,
        matchers,
        severity,
        severity_from,
        severity_map,
        case_type,
        account,
        path,
        labels,
        title,
        per_alert,
        resolve_on_clear,
        reopen_within,
        max_new,
    }
}

fn read_matchers(m: &Table<'_, '_>) -> Vec<LabelMatch> {
    let mut out = Vec::new();
    for (key, v) in m.entries() {
        let Some(s) = v.str() else { continue };
        let pattern = match s.value.strip_prefix('~') {
            Some(source) => match regex::Regex::new(&format!("^(?:{source})$")) {
                Ok(regex) => Pattern::Regex {
                    source: source.to_string(),
                    regex,
                },
                Err(e) => {
                    let detail = e.to_string();
                    let detail = detail.lines().last().unwrap_or("").trim();
                    v.sink.error(
                        s.span.clone(),
                        format!(
                            "`{}` is not a valid regex ({detail}); write `\"~a|b\"` for a regex, or a plain value for equality",
                            v.path
                        ),
                    );
                    continue;
                }
            },
            None => Pattern::Equals(s.value.to_string()),
        };
        out.push(LabelMatch {
            label: key.value.to_string(),
            pattern,
        });
    }
    out
}

/// A template string that compiles, or an error at it.
fn template(v: &Val<'_, '_>) -> Option<String> {
    let s = v.str()?;
    compiles(v, &s).then(|| s.value.to_string())
}

fn compiles(v: &Val<'_, '_>, s: &Str<'_>) -> bool {
    match compile_error(s.value) {
        None => true,
        Some((_, message)) => {
            v.sink.error(
                s.span.clone(),
                format!("`{}` does not compile as a template: {message}", v.path),
            );
            false
        }
    }
}

fn positive(v: &Val<'_, '_>) -> Option<u32> {
    let n = v.int()?;
    match u32::try_from(n) {
        Ok(n) if n > 0 => Some(n),
        _ => {
            v.sink.error(
                v.span(),
                format!("`{}` is {n}: write a whole number of at least 1", v.path),
            );
            None
        }
    }
}

/// The rules as a table for `esc policy explain`, in the order they are tried.
pub fn explain_table(rules: &[IntakeRule]) -> crate::render::Grid {
    use super::duration::format as dur;
    let mut t = crate::render::table([
        "rule", "matches", "new case", "key", "on clear", "reopen", "storm",
    ]);
    for r in rules {
        let matches = if r.matchers.is_empty() {
            "everything".to_string()
        } else {
            r.matchers
                .iter()
                .map(|m| match &m.pattern {
                    Pattern::Equals(v) => format!("{} = {v}", m.label),
                    Pattern::Regex { source, .. } => format!("{} ~ {source}", m.label),
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        let mut severity = r.severity.clone().unwrap_or_else(|| "default".into());
        if let Some(label) = &r.severity_from {
            severity = format!("from `{label}`, else {severity}");
        }
        let mut case = format!("severity {severity}");
        if let Some(ty) = &r.case_type {
            case.push_str(&format!("\ntype {ty}"));
        }
        if let Some(path) = &r.path {
            case.push_str(&format!("\npath {path}"));
        }
        t.add_row(vec![
            r.name.clone(),
            matches,
            case,
            if r.per_alert {
                "fingerprint"
            } else {
                "groupKey / dedup_key"
            }
            .to_string(),
            if r.resolve_on_clear {
                "resolve"
            } else {
                "note"
            }
            .to_string(),
            r.reopen_within
                .map_or_else(|| "-".to_string(), |d| format!("within {}", dur(d))),
            r.max_new.map_or_else(
                || "-".to_string(),
                |m| format!("over {} per {}", m.count, dur(m.per)),
            ),
        ]);
    }
    t
}
