//! Communication about a case: the customer's plain-language status with the promised times,
//! the internal status line, and the executive briefing. Pure: builds template contexts from
//! (policy, case, now); the templates (built-in or `[templates]`) turn them into text.

use super::event::Event;
use super::fold::Case;
use super::transition::Refusal;
use crate::policy::Policy;
use crate::policy::duration;
use crate::render::local_time;
use crate::sla::clock::{ClockState, clocks};
use serde_json::{Value, json};

fn when(policy: &Policy, at: Option<chrono::DateTime<chrono::Utc>>) -> Option<String> {
    at.map(|t| local_time(t, policy.defaults.timezone))
}

/// The context of the `customer_status` template: no tier names, no people, only what the
/// customer needs — where the case stands, what happens next and by when. Every time in it is
/// still ahead of `now`: a target that passed is reported as `missed`, with the new expected
/// time in `by` (see [`super::promise`]).
pub fn customer_status(policy: &Policy, case: &Case, now: chrono::DateTime<chrono::Utc>) -> Value {
    let k = clocks(policy, case, now);
    // A paused clock promises nothing: its due time moves until the case resumes.
    let running = |c: Option<&crate::sla::clock::Clock>| {
        c.filter(|c| c.at.is_none() && !matches!(c.state, ClockState::Met | ClockState::Paused))
            .and_then(|c| c.due)
            .filter(|d| *d > now)
    };
    let promise = super::promise::current(policy, case, now);
    let (summary, next, by) = match case.status {
        crate::policy::Status::Open => (
            "We have received your request and it is in our queue.".to_string(),
            Some("a member of our team will respond".to_string()),
            promise.map(|p| p.by),
        ),
        crate::policy::Status::Acknowledged => {
            let mut s = "Our team is working on your request.".to_string();
            if case.escalations > 0 {
                s.push_str(" It has been passed to specialists who can resolve it.");
            }
            if case.is_major() {
                s.push_str(" It is being handled as a major incident with our highest priority.");
            }
            (
                s,
                Some("we aim to resolve it".to_string()),
                promise.map(|p| p.by),
            )
        }
        crate::policy::Status::Paused => (
            "We are waiting for information from you; our response times are on hold until we hear back.".to_string(),
            Some("once you reply, we will continue".to_string()),
            None,
        ),
        crate::policy::Status::Resolved => (
            format!(
                "We believe your request is resolved: {}.",
                case.more().resolution.as_deref().unwrap_or("see our last message")
            ),
            Some("please confirm that everything works, so we can close the case".to_string()),
            None,
        ),
        crate::policy::Status::Closed => ("This case is closed. Thank you.".to_string(), None, None),
    };
    let missed = promise.and_then(|p| p.missed);
    let summary = match missed {
        Some(t) => format!(
            "{summary} We are sorry that we did not keep to the time we gave you ({}).",
            local_time(t, policy.defaults.timezone)
        ),
        None => summary,
    };
    let update_by = k
        .as_ref()
        .and_then(|k| running(k.update.as_ref()))
        .filter(|_| case.is_active());
    json!({
        "id": case.id,
        "title": case.title,
        "status": case.status.as_str(),
        "summary": summary,
        "next": next,
        "by": when(policy, by),
        "missed": when(policy, missed),
        "update_by": when(policy, update_by),
    })
}

/// The internal status in plain words (tiers, owner and clocks included).
pub fn internal_status(policy: &Policy, case: &Case, now: chrono::DateTime<chrono::Utc>) -> String {
    let mut s = format!(
        "{} ({}, {}) is {}",
        case.id,
        case.severity,
        case.case_type,
        case.status.as_str()
    );
    let levels: Vec<String> = case
        .levels
        .iter()
        .map(|(p, l)| format!("{} on the {p} path", l.tier))
        .collect();
    if !levels.is_empty() {
        s.push_str(&format!(" at {}", levels.join(" and ")));
    }
    s.push_str(&format!(", owned by {}.", case.owner));
    if let Some(sw) = case.swarm.as_ref().filter(|s| s.ended_at.is_none()) {
        s.push_str(&format!(
            " Swarming (facilitator {}, with {}).",
            sw.facilitator,
            sw.members.join(", ")
        ));
    }
    if let Some(m) = case.major.as_ref().filter(|m| m.stood_down_at.is_none()) {
        s.push_str(&format!(" Major incident, commander {}", m.commander));
        if let Some(b) = &m.bridge {
            s.push_str(&format!(", bridge {b}"));
        }
        if let Some(c) = &m.channel {
            s.push_str(&format!(", channel {c}"));
        }
        s.push('.');
    }
    if let Some(k) = clocks(policy, case, now) {
        for c in k.iter().filter(|c| c.at.is_none()) {
            let Some(due) = c.due else { continue };
            let rel = if due > now {
                format!("due in {}", duration::format(due - now))
            } else {
                format!("over by {}", duration::format(now - due))
            };
            s.push_str(&format!(
                "\n  {} {}: {rel} ({})",
                c.kind.as_str(),
                c.state.as_str(),
                local_time(due, policy.defaults.timezone)
            ));
        }
    }
    s
}

/// The context of the `briefing` template. A briefing is for a case an executive answers
/// for: a customer's (it has an account), or one with a sponsor (engaged, or named by
/// `[sponsors]`); any other case is refused.
pub fn briefing(
    policy: &Policy,
    case: &Case,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Value, Refusal> {
    let sponsor = if case.more().sponsor.is_empty() {
        super::incident::sponsors(policy, case, now)
    } else {
        case.more().sponsor.clone()
    };
    if case.account.is_none() && sponsor.is_empty() {
        return Err(Refusal::Invalid(format!(
            "{} has no account and no executive sponsor: a briefing is for a customer's case or one a sponsor answers for; open cases with --account, or name sponsors in [sponsors] (default or by_severity)",
            case.id
        )));
    }
    let account = case.account.as_deref().and_then(|a| policy.accounts.get(a));
    let tz = policy.defaults.timezone;
    let mut escalations: Vec<Value> = Vec::new();
    let mut tried: Vec<String> = Vec::new();
    for r in &case.events {
        match &r.event {
            Event::Escalated {
                path,
                from,
                to,
                reason,
                summary,
                tried: t,
                by,
                ..
            } => {
                escalations.push(json!({
                    "at": local_time(r.at, tz), "path": path, "from": from.clone().unwrap_or_else(|| "-".into()),
                    "to": to, "reason": reason, "summary": summary, "by": by,
                }));
                if let Some(t) = t {
                    tried.push(t.clone());
                }
            }
            Event::Noted { text } => tried.push(text.clone()),
            _ => {}
        }
    }
    let k = clocks(policy, case, now);
    let sla: Vec<Value> = k
        .iter()
        .flat_map(|k| k.iter())
        .map(|c| json!({"clock": c.kind.as_str(), "state": c.state.as_str(), "due": when(policy, c.due)}))
        .collect();
    let mut decisions: Vec<String> = Vec::new();
    for (name, t) in &case.more().triggers {
        if t.pending.is_some() {
            decisions.push(format!(
                "approve or reject the proposal of trigger {name} (`esc approve {} {name}`)",
                case.id
            ));
        }
    }
    if let Some(k) = &k
        && k.iter()
            .any(|c| c.state == ClockState::Breached && c.at.is_none())
    {
        decisions.push(
            "an SLA target is breached: agree the recovery plan and what to tell the customer"
                .into(),
        );
    }
    if case.is_active()
        && case
            .levels
            .get(&case.home_path)
            .and_then(|l| {
                policy
                    .path(&case.home_path)
                    .map(|p| p.tiers.last().map(String::as_str) == Some(l.tier.as_str()))
            })
            .unwrap_or(false)
    {
        decisions
            .push("the case is at the last tier: decide on a swarm or a major incident".into());
    }
    let severity = policy
        .severity(&case.severity)
        .map_or(case.severity.to_string(), crate::policy::Severity::display);
    Ok(json!({
        "id": case.id,
        "title": case.title,
        "severity": severity,
        "status": case.status.as_str(),
        "owner": case.owner,
        "account": {"id": case.account,
                    "name": account.map_or(case.account.as_deref().unwrap_or("no account (internal)"), |a| a.name.as_str()),
                    "key": account.is_some_and(|a| a.key)},
        "sponsor": sponsor,
        "sponsor_engaged": !case.more().sponsor.is_empty(),
        "summary": internal_status(policy, case, now),
        "impact": case.more().description.clone().unwrap_or_else(|| case.title.to_string()),
        "opened": local_time(case.opened_at, tz),
        "escalations": escalations,
        "sla": sla,
        "tried": tried,
        "decisions": decisions,
        "swarm": case.swarm.as_ref().map(|s| json!({"facilitator": s.facilitator, "members": s.members, "active": s.ended_at.is_none()})),
        "major": case.major.as_ref().map(|m| json!({"commander": m.commander, "roles": m.roles, "active": m.stood_down_at.is_none(), "bridge": m.bridge, "channel": m.channel})),
    }))
}
