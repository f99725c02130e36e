//! The JSON shape of a case (`esc show --json`, `esc list --json`, every changing command
//! with `--json`), as fixed by the SPEC. Pure.

use super::fold::Case;
use super::raci::ResolvedRaci;
use crate::policy::Policy;
use crate::sla::clock::{Clock, clocks};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

fn clock_json(c: &Clock) -> Value {
    json!({"due": c.due, "state": c.state.as_str(), "at": c.at})
}

/// The case object at `now`; `events` included when `with_events`, `raci` when given.
pub fn case_json(
    policy: &Policy,
    case: &Case,
    now: DateTime<Utc>,
    raci: Option<&[ResolvedRaci]>,
    with_events: bool,
) -> Value {
    let mut levels = Map::new();
    for path in &policy.paths {
        if let Some(tier) = case.tier_on(&path.name) {
            levels.insert(path.name.clone(), json!(tier));
        }
    }
    for (path, level) in &case.levels {
        levels
            .entry(path.clone())
            .or_insert_with(|| json!(level.tier));
    }
    let mut v = json!({
        "id": case.id,
        "title": case.title,
        "severity": case.severity,
        "type": case.case_type,
        "status": case.status.as_str(),
        "account": case.account,
        "owner": case.owner,
        "reporter": case.reporter,
        "channel": case.channel,
        "labels": case.labels,
        "levels": levels,
        "swarm": case.swarm.as_ref().map(|s| json!({
            "facilitator": s.facilitator, "members": s.members, "started_at": s.started_at,
            "ended_at": s.ended_at, "lessons": s.lessons, "active": s.ended_at.is_none()})),
        "major": case.major.as_ref().map(|m| json!({
            "commander": m.commander, "roles": m.roles, "declared_at": m.declared_at,
            "stood_down_at": m.stood_down_at, "active": m.stood_down_at.is_none()})),
        "opened_at": case.opened_at,
        "acknowledged_at": case.acknowledged_at,
        "resolved_at": case.resolved_at,
        "closed_at": case.closed_at,
    });
    let sla = clocks(policy, case, now).map(|k| {
        json!({
            "response": clock_json(&k.response),
            "resolution": clock_json(&k.resolution),
            "update": k.update.as_ref().map(clock_json),
            "tier": k.tier.as_ref().map(clock_json),
        })
    });
    if let Value::Object(m) = &mut v {
        if let Some(d) = &case.description {
            m.insert("description".into(), json!(d));
        }
        if let Some(k) = &case.dedup_key {
            m.insert("dedup_key".into(), json!(k));
        }
        m.insert("sla".into(), sla.unwrap_or(Value::Null));
        m.insert("escalations".into(), json!(case.escalations));
        m.insert("reopened".into(), json!(case.reopened));
        if let Some(r) = &case.resolution {
            m.insert("resolution".into(), json!(r));
        }
        if let Some(r) = &case.root_cause {
            m.insert("root_cause".into(), json!(r));
        }
        if let Some(f) = &case.followup {
            m.insert(
                "followup".into(),
                json!({"at": f.at, "csat": f.csat, "comment": f.comment}),
            );
        }
        if let Some(r) = &case.review {
            let today = now.with_timezone(&policy.defaults.timezone).date_naive();
            m.insert(
                "review".into(),
                crate::review::review_json(&case.id, r, today),
            );
        }
        if let Some(raci) = raci {
            m.insert("raci".into(), json!(raci));
        }
        if with_events {
            m.insert("events".into(), json!(case.events));
        }
    }
    v
}

/// A copy of the case for text shown to people: single-line fields (title, owner, reporter,
/// account, channel, labels) on one line each, so a newline in them cannot start a line that
/// looks like esc's own (`ESC-9 resolved`). Control characters are neutralised later, by the
/// output layer.
pub fn for_people(case: &Case) -> Case {
    use crate::render::one_line;
    let mut c = case.clone();
    c.title = one_line(&c.title);
    c.owner = one_line(&c.owner);
    c.reporter = c.reporter.as_deref().map(one_line);
    c.account = c.account.as_deref().map(one_line);
    c.channel = c.channel.as_deref().map(one_line);
    c.labels = c.labels.iter().map(|l| one_line(l)).collect();
    c
}
