//! `esc edit`: change a case's title, severity, type, account or labels after opening, as an
//! `edited` event. Pure: the decision ([`decide`]), the fold step ([`apply`]) and the words
//! for the timeline ([`describe`]).
//!
//! What a change means for the SLA clocks (the clocks are always computed from the folded
//! case, so this follows from the fold):
//! - **severity**: the response and resolution targets become the new severity's, counted
//!   from the case's original open time on the new severity's calendar (a case opened at
//!   09:00 as sev3 and raised to sev1 at 09:20 is due as if it had been opened as sev1);
//!   the tier budget becomes the new severity's, counted from when the case entered its
//!   tier. Breaches already recorded stay in the ledger as history; whether a clock is
//!   breached now is judged by the new targets.
//! - **type**: RACI, notifications and triggers follow the new type from then on.
//! - **title, account, labels**: no effect on the clocks; account-based settings (key
//!   accounts) and label-based triggers follow the new values.

use super::Case;
use super::event::Event;
use super::transition::Refusal;
use crate::policy::{Policy, Status};
use std::collections::BTreeMap;

/// What `esc edit` asks to change; `None` / empty: leave as is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EditRequest {
    pub title: Option<String>,
    pub severity: Option<String>,
    pub case_type: Option<String>,
    pub account: Option<String>,
    pub label: Vec<String>,
    pub unlabel: Vec<String>,
}

fn unknown(what: &'static str, name: &str, known: Vec<&str>) -> Refusal {
    Refusal::Unknown {
        what,
        name: name.to_string(),
        hint: format!(
            "the policy has {}{}",
            known.join(", "),
            crate::policy::source::suggestion(name, known.iter().copied())
        ),
    }
}

/// The `edited` event for a request, or why not: unknown severity or type, a closed case,
/// or nothing that would change.
pub fn decide(policy: &Policy, case: &Case, req: &EditRequest) -> Result<Event, Refusal> {
    if case.status == Status::Closed {
        return Err(Refusal::WrongStatus {
            case: case.id.to_string(),
            status: case.status.as_str(),
            action: "be edited",
            hint: "reopen it first with `esc reopen ID --reason …`".into(),
        });
    }
    let mut previous = BTreeMap::new();
    let trimmed = |o: &Option<String>| o.as_ref().map(|s| s.trim().to_string());
    let title = match trimmed(&req.title) {
        Some(t) if t.is_empty() => {
            return Err(Refusal::Invalid(
                "the title is empty: write some text".into(),
            ));
        }
        Some(t) if t != case.title => {
            previous.insert("title".to_string(), case.title.to_string());
            Some(t)
        }
        _ => None,
    };
    let severity = match trimmed(&req.severity) {
        Some(s) if policy.severity(&s).is_none() => {
            return Err(unknown(
                "severity",
                &s,
                policy.severities.iter().map(|s| s.id.as_str()).collect(),
            ));
        }
        Some(s) if s != case.severity => {
            previous.insert("severity".to_string(), case.severity.to_string());
            Some(s)
        }
        _ => None,
    };
    let case_type = match trimmed(&req.case_type) {
        Some(t) if !policy.types.contains(&t) => {
            return Err(unknown(
                "type",
                &t,
                policy.types.iter().map(String::as_str).collect(),
            ));
        }
        Some(t) if t != case.case_type => {
            previous.insert("type".to_string(), case.case_type.to_string());
            Some(t)
        }
        _ => None,
    };
    let account = match trimmed(&req.account) {
        Some(a) if a.is_empty() => {
            return Err(Refusal::Invalid(
                "the account is empty: give an account id".into(),
            ));
        }
        Some(a) if case.account.as_deref() != Some(a.as_str()) => {
            if let Some(old) = &case.account {
                previous.insert("account".to_string(), old.to_string());
            }
            Some(a)
        }
        _ => None,
    };
    let mut labels_added = Vec::new();
    for l in req.label.iter().map(|l| l.trim()).filter(|l| !l.is_empty()) {
        if !case.labels.iter().any(|x| x == l) && !labels_added.iter().any(|x| x == l) {
            labels_added.push(l.to_string());
        }
    }
    let mut labels_removed = Vec::new();
    for l in req.unlabel.iter().map(|l| l.trim()) {
        if !case.labels.iter().any(|x| x == l) {
            return Err(Refusal::Invalid(format!(
                "{} has no label `{l}`; its labels: {}",
                case.id,
                if case.labels.is_empty() {
                    "none".to_string()
                } else {
                    case.labels.join(", ")
                }
            )));
        }
        if !labels_removed.iter().any(|x| x == l) {
            labels_removed.push(l.to_string());
        }
    }
    if title.is_none()
        && severity.is_none()
        && case_type.is_none()
        && account.is_none()
        && labels_added.is_empty()
        && labels_removed.is_empty()
    {
        return Err(Refusal::Invalid(format!(
            "nothing to change on {}: give --title, --severity, --type, --account, --label or --unlabel with a new value",
            case.id
        )));
    }
    Ok(Event::Edited {
        title,
        severity,
        case_type,
        account,
        labels_added,
        labels_removed,
        previous,
    })
}

/// Fold an `edited` event into the case.
pub fn apply(case: &mut Case, e: &Event) {
    let Event::Edited {
        title,
        severity,
        case_type,
        account,
        labels_added,
        labels_removed,
        ..
    } = e
    else {
        return;
    };
    if let Some(t) = title {
        case.title = t.as_str().into();
    }
    if let Some(s) = severity {
        case.severity = s.as_str().into();
    }
    if let Some(t) = case_type {
        case.case_type = t.as_str().into();
    }
    if let Some(a) = account {
        case.account = Some(a.as_str().into());
    }
    for l in labels_added {
        if !case.labels.contains(l) {
            case.labels.push(l.clone());
        }
    }
    case.labels.retain(|l| !labels_removed.contains(l));
}

/// An `edited` event in a few words: `edited: severity sev3 → sev1; +label vip`.
pub fn describe(e: &Event) -> String {
    let Event::Edited {
        title,
        severity,
        case_type,
        account,
        labels_added,
        labels_removed,
        previous,
    } = e
    else {
        return String::new();
    };
    let was = |k: &str| previous.get(k).map_or("none".to_string(), Clone::clone);
    let mut parts = Vec::new();
    if let Some(s) = severity {
        parts.push(format!("severity {} → {s}", was("severity")));
    }
    if let Some(t) = case_type {
        parts.push(format!("type {} → {t}", was("type")));
    }
    if let Some(a) = account {
        parts.push(format!("account {} → {a}", was("account")));
    }
    if let Some(t) = title {
        parts.push(format!("title: {t}"));
    }
    for l in labels_added {
        parts.push(format!("+label {l}"));
    }
    for l in labels_removed {
        parts.push(format!("-label {l}"));
    }
    format!("edited: {}", parts.join("; "))
}
