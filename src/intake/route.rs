//! Routing: which `[[intake]]` rule takes an alert, the de-duplication key it arrives under,
//! and the case it would open (severity, type, title …). Pure — a function of the policy and
//! the payload.
//!
//! Every alert of an Alertmanager payload is routed on its own labels (the first rule whose
//! matchers all hold). Its key is the payload's `groupKey`, or its `fingerprint` when the
//! rule says `per_alert = true`. Alerts of one payload under one key become one [`Signal`]:
//! firing while any of them fires, resolved when all are resolved; the first of them names
//! the rule and fills the templates.

use super::IntakeError;
use super::payload::{Action, AlertmanagerPayload, GenericEvent, Labels};
use crate::policy::Policy;
use crate::policy::intake::IntakeRule;
use serde_json::json;

/// What arrived for one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Firing,
    Resolved,
    Acknowledged,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Firing => "firing",
            Status::Resolved => "resolved",
            Status::Acknowledged => "acknowledged",
        }
    }
}

/// The case a signal opens when its key has none.
#[derive(Debug, Clone, PartialEq)]
pub struct Opening {
    pub title: String,
    pub severity: String,
    pub case_type: String,
    pub path: String,
    pub account: Option<String>,
    pub labels: Vec<String>,
    pub description: Option<String>,
    /// Who reported it: `alertmanager` or the event's `source`.
    pub reporter: String,
}

/// One key's news from one payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    /// Index of the rule in [`Policy::intake`].
    pub rule: usize,
    pub key: String,
    pub status: Status,
    /// What arrived, in a few words (the note's text).
    pub text: String,
    pub opening: Opening,
}

/// The first rule whose matchers all hold for `labels`.
pub fn rule_for<'p>(policy: &'p Policy, labels: &Labels) -> Option<(usize, &'p IntakeRule)> {
    policy.intake.iter().enumerate().find(|(_, r)| {
        r.matchers.iter().all(|m| {
            m.pattern
                .matches(labels.get(&m.label).map_or("", String::as_str))
        })
    })
}

fn unrouted(policy: &Policy, what: String) -> IntakeError {
    if policy.intake.is_empty() {
        IntakeError::NoRules
    } else {
        IntakeError::Unrouted(what)
    }
}

fn label_text(labels: &Labels) -> String {
    let parts: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    format!("{{{}}}", parts.join(", "))
}

/// The signals of an Alertmanager payload, or why it cannot be taken.
pub fn alertmanager(policy: &Policy, p: &AlertmanagerPayload) -> Result<Vec<Signal>, IntakeError> {
    // (key, rule, alerts) in order of first appearance.
    let mut groups: Vec<(String, usize, Vec<usize>)> = Vec::new();
    for (i, alert) in p.alerts.iter().enumerate() {
        let (rule_index, rule) = rule_for(policy, &alert.labels).ok_or_else(|| {
            unrouted(
                policy,
                format!("alert {} {}", i + 1, label_text(&alert.labels)),
            )
        })?;
        let key = if rule.per_alert {
            if alert.fingerprint.trim().is_empty() {
                return Err(IntakeError::Payload(format!(
                    "alert {} has no `fingerprint`, which rule `{}` (per_alert = true) keys cases by; send the payload as Alertmanager writes it",
                    i + 1,
                    rule.name
                )));
            }
            alert.fingerprint.clone()
        } else {
            p.group_key.clone()
        };
        match groups.iter_mut().find(|(k, _, _)| *k == key) {
            Some((_, _, alerts)) => alerts.push(i),
            None => groups.push((key, rule_index, vec![i])),
        }
    }
    let mut out = Vec::new();
    for (key, rule_index, alerts) in groups {
        let rule = &policy.intake[rule_index];
        let first = &p.alerts[alerts[0]];
        let firing = alerts.iter().filter(|&&i| p.alerts[i].firing()).count();
        let status = if firing > 0 {
            Status::Firing
        } else {
            Status::Resolved
        };
        let ctx = json!({
            "labels": first.labels,
            "annotations": first.annotations,
            "group_labels": p.group_labels,
            "common_labels": p.common_labels,
            "common_annotations": p.common_annotations,
            "status": status.as_str(),
            "alerts": alerts.len(),
            "fingerprint": first.fingerprint,
            "group_key": p.group_key,
        });
        let default_title = first
            .annotations
            .get("summary")
            .cloned()
            .or_else(|| {
                let name = first.labels.get("alertname")?;
                Some(match first.labels.get("instance") {
                    Some(i) => format!("{name} on {i}"),
                    None => name.clone(),
                })
            })
            .unwrap_or_else(|| format!("alert {key}"));
        let opening = opening(
            policy,
            rule,
            &first.labels,
            &ctx,
            default_title,
            first.annotations.get("description").cloned(),
            "alertmanager".to_string(),
        )?;
        let mut text = format!("{} {}", opening.title, status.as_str());
        if alerts.len() > 1 {
            text.push_str(&format!(" ({} alerts, {firing} firing)", alerts.len()));
        }
        if p.truncated_alerts > 0 {
            text.push_str(&format!(
                "; {} more alerts left out by Alertmanager (max_alerts)",
                p.truncated_alerts
            ));
        }
        out.push(Signal {
            rule: rule_index,
            key,
            status,
            text,
            opening,
        });
    }
    Ok(out)
}

/// The signal of a generic event, or why it cannot be taken.
pub fn event(policy: &Policy, e: &GenericEvent) -> Result<Vec<Signal>, IntakeError> {
    let labels = e.labels();
    let (rule_index, rule) = rule_for(policy, &labels).ok_or_else(|| {
        unrouted(
            policy,
            format!("event `{}` {}", e.dedup_key, label_text(&labels)),
        )
    })?;
    let status = match e.action {
        Action::Trigger => Status::Firing,
        Action::Acknowledge => Status::Acknowledged,
        Action::Resolve => Status::Resolved,
    };
    let summary = e
        .summary
        .clone()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let mut annotations = Labels::new();
    if let Some(s) = &summary {
        annotations.insert("summary".into(), s.clone());
    }
    let ctx = json!({
        "labels": labels,
        "annotations": annotations,
        "summary": summary,
        "status": status.as_str(),
        "dedup_key": e.dedup_key,
    });
    let opening = opening(
        policy,
        rule,
        &labels,
        &ctx,
        summary.clone().unwrap_or_else(|| e.dedup_key.clone()),
        None,
        e.source.clone().unwrap_or_else(|| "event".to_string()),
    )?;
    let text = match &summary {
        Some(s) => format!("{s} {}", status.as_str()),
        None => format!("{} {}", e.dedup_key, status.as_str()),
    };
    Ok(vec![Signal {
        rule: rule_index,
        key: e.dedup_key.clone(),
        status,
        text,
        opening,
    }])
}

/// The case a rule opens for an alert with these labels.
fn opening(
    policy: &Policy,
    rule: &IntakeRule,
    labels: &Labels,
    ctx: &serde_json::Value,
    default_title: String,
    description: Option<String>,
    reporter: String,
) -> Result<Opening, IntakeError> {
    let render = |what: &str, template: &str| -> Result<String, IntakeError> {
        crate::policy::templates::render_text(template, ctx)
            .map(|s| s.trim().to_string())
            .map_err(|message| IntakeError::Template {
                rule: rule.name.clone(),
                what: what.to_string(),
                message,
            })
    };
    let title = match &rule.title {
        Some(t) => Some(render("title", t)?).filter(|t| !t.is_empty()),
        None => None,
    }
    .unwrap_or(default_title);
    let from_label = rule
        .severity_from
        .as_ref()
        .and_then(|l| labels.get(l))
        .and_then(|v| {
            rule.severity_map
                .get(v)
                .cloned()
                .or_else(|| policy.severity(v).map(|s| s.id.clone()))
        });
    let severity = from_label
        .or_else(|| rule.severity.clone())
        .unwrap_or_else(|| policy.defaults.severity.clone());
    let account = match &rule.account {
        Some(t) => Some(render("account", t)?).filter(|a| !a.is_empty()),
        None => None,
    };
    let mut case_labels: Vec<String> = Vec::new();
    for t in &rule.labels {
        let l = render("labels", t)?;
        if !l.is_empty() && !case_labels.contains(&l) {
            case_labels.push(l);
        }
    }
    Ok(Opening {
        title,
        severity,
        case_type: rule
            .case_type
            .clone()
            .unwrap_or_else(|| policy.defaults.case_type.clone()),
        path: rule
            .path
            .clone()
            .unwrap_or_else(|| policy.defaults.path.clone()),
        account,
        labels: case_labels,
        description,
        reporter,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(rules: &str) -> Policy {
        crate::intake::testing::policy(rules)
    }

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn regex_matchers_match_whole_values_and_the_first_rule_wins() {
        let p = policy(
            r#"
[[intake]]
name = "prod"
match = { env = "~prod|staging", team = "db" }
[[intake]]
name = "rest"
"#,
        );
        let name = |l: &Labels| rule_for(&p, l).map(|(_, r)| r.name.clone());
        assert_eq!(
            name(&labels(&[("env", "prod"), ("team", "db")])).as_deref(),
            Some("prod")
        );
        assert_eq!(
            name(&labels(&[("env", "staging"), ("team", "db")])).as_deref(),
            Some("prod")
        );
        assert_eq!(
            name(&labels(&[("env", "production"), ("team", "db")])).as_deref(),
            Some("rest")
        );
        assert_eq!(name(&labels(&[("env", "prod")])).as_deref(), Some("rest"));
        assert_eq!(name(&labels(&[])).as_deref(), Some("rest"));
    }

    #[test]
    fn nothing_matches_without_a_catch_all() {
        let p = policy("[[intake]]\nname = \"only\"\nmatch = { team = \"db\" }\n");
        assert!(rule_for(&p, &labels(&[("team", "web")])).is_none());
        // A missing label is the empty value.
        let q = policy("[[intake]]\nname = \"unset\"\nmatch = { team = \"\" }\n");
        assert!(rule_for(&q, &labels(&[])).is_some());
    }
}
