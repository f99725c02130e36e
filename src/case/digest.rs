//! The executive digest (`esc brief --digest [--since 7d]`): one page over every case an
//! executive should know of in a period — a sponsor engaged, a major incident, or an SLA
//! breach — that was open at some time in it. Pure: (policy, cases, from, now) → the page.

use super::fold::Case;
use crate::policy::Policy;
use crate::render::local_time;
use crate::review;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// Why a case is in the digest, and what is said of it.
fn entry(policy: &Policy, case: &Case, now: DateTime<Utc>) -> Option<Value> {
    let tz = policy.defaults.timezone;
    let breached = review::breached(case, crate::sla::clock::clocks(policy, case, now).as_ref());
    let major = case.major.as_ref();
    if case.more().sponsor.is_empty() && major.is_none() && !breached {
        return None;
    }
    let sponsor = if case.more().sponsor.is_empty() {
        super::incident::sponsors(policy, case, now)
    } else {
        case.more().sponsor.clone()
    };
    let account = case.account.as_deref().map(|a| policy.account_label(a));
    Some(json!({
        "id": case.id,
        "title": case.title,
        "severity": case.severity,
        "status": case.status.as_str(),
        "owner": case.owner,
        "account": account,
        "sponsor": sponsor,
        "sponsor_engaged": !case.more().sponsor.is_empty(),
        "breached": breached,
        "major": major.map(|m| json!({
            "commander": m.commander,
            "declared": local_time(m.declared_at, tz),
            "stood_down": m.stood_down_at.map(|t| local_time(t, tz)),
            "bridge": m.bridge,
            "channel": m.channel,
        })),
        "opened": local_time(case.opened_at, tz),
        "resolved": case.resolved_at.map(|t| local_time(t, tz)),
        "resolution": case.more().resolution,
    }))
}

/// The digest's data: the period and its cases, in case order.
pub fn digest(policy: &Policy, cases: &[Case], from: DateTime<Utc>, now: DateTime<Utc>) -> Value {
    let tz = policy.defaults.timezone;
    let listed: Vec<Value> = cases
        .iter()
        .filter(|c| c.opened_at <= now && c.closed_at.is_none_or(|t| t >= from))
        .filter_map(|c| entry(policy, c, now))
        .collect();
    let count = |f: &dyn Fn(&Value) -> bool| listed.iter().filter(|v| f(v)).count();
    json!({
        "from": local_time(from, tz),
        "to": local_time(now, tz),
        "majors": count(&|v| !v["major"].is_null()),
        "breached": count(&|v| v["breached"] == true),
        "sponsored": count(&|v| v["sponsor_engaged"] == true),
        "cases": listed,
    })
}

/// The digest as a Markdown page.
pub fn text(d: &Value) -> String {
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    let cases = d["cases"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    let mut out = format!(
        "# Executive digest — {} to {}\n\n",
        s(&d["from"]),
        s(&d["to"])
    );
    if cases.is_empty() {
        out.push_str("No case had an executive sponsor, a major incident or an SLA breach.\n");
        return out;
    }
    out.push_str(&format!(
        "{} case{}: {} major incident{}, {} with an SLA breach, {} with an executive sponsor engaged.\n",
        cases.len(),
        if cases.len() == 1 { "" } else { "s" },
        d["majors"],
        if d["majors"] == 1 { "" } else { "s" },
        d["breached"],
        d["sponsored"],
    ));
    for c in cases {
        out.push_str(&format!(
            "\n## {}: {}\n{} · {} · owner {} · opened {}\n",
            s(&c["id"]),
            s(&c["title"]),
            s(&c["severity"]),
            s(&c["status"]),
            s(&c["owner"]),
            s(&c["opened"])
        ));
        if let Some(a) = c["account"].as_str() {
            out.push_str(&format!("- customer: {a}\n"));
        }
        let sponsor: Vec<String> = c["sponsor"]
            .as_array()
            .map(|a| a.iter().map(s).collect())
            .unwrap_or_default();
        if !sponsor.is_empty() {
            let engaged = if c["sponsor_engaged"] == true {
                "engaged"
            } else {
                "not yet engaged"
            };
            out.push_str(&format!(
                "- executive sponsor: {} ({engaged})\n",
                sponsor.join(", ")
            ));
        }
        if let Some(m) = c["major"].as_object() {
            let mut line = format!(
                "- major incident: declared {}, commander {}",
                s(&m["declared"]),
                s(&m["commander"])
            );
            match m["stood_down"].as_str() {
                Some(t) => line.push_str(&format!(", stood down {t}")),
                None => line.push_str(", still running"),
            }
            for key in ["bridge", "channel"] {
                if let Some(v) = m[key].as_str() {
                    line.push_str(&format!(", {key} {v}"));
                }
            }
            out.push_str(&format!("{line}\n"));
        }
        if c["breached"] == true {
            out.push_str("- SLA: breached\n");
        }
        if let Some(r) = c["resolution"].as_str() {
            out.push_str(&format!("- resolved {}: {r}\n", s(&c["resolved"])));
        }
    }
    out
}
