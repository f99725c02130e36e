//! Reading `[[triggers]]`: conditions (`when`), actions (`then`) and `repeat`.

use super::model::{
    Actions, Conditions, EscalationPath, SlaCondition, Status, Trigger, TriggerScope,
};
use super::parse::{Names, check_ref, read_duration, read_party};
use super::source::{Table, Val, suggestion};

/// Read every trigger.
pub fn read(root: &Table<'_, '_>, names: &Names, paths: &[EscalationPath]) -> Vec<Trigger> {
    let mut out: Vec<Trigger> = Vec::new();
    let Some(v) = root.get("triggers") else {
        return out;
    };
    for item in v.array().unwrap_or_default() {
        let Some(t) = item.table() else { continue };
        let name = match t
            .require(
                "name",
                "a unique name, e.g. `name = \"sev1-unacknowledged\"`",
            )
            .and_then(|n| n.str())
        {
            Some(s) => {
                if out.iter().any(|x| x.name == s.value) {
                    root.sink.error(
                        s.span.clone(),
                        format!(
                            "trigger name `{}` is used twice: give each trigger its own name",
                            s.value
                        ),
                    );
                }
                s.value.to_string()
            }
            None => String::new(),
        };
        let when = t
            .require(
                "when",
                "its conditions, e.g. `when = { severity = [\"sev1\"] }`",
            )
            .and_then(|w| w.table())
            .map(|w| read_conditions(&w, names))
            .unwrap_or_default();
        let then = t
            .require("then", "its actions, e.g. `then = { notify = [\"lead\"] }`")
            .and_then(|w| w.table())
            .map(|w| read_actions(&w, names, paths))
            .unwrap_or_default();
        let business: Vec<&str> = if when.severity.is_empty() {
            names.severities.iter().map(String::as_str).collect()
        } else {
            when.severity.iter().map(String::as_str).collect()
        };
        let repeat = t
            .get("repeat")
            .and_then(|r| read_duration(&r, &business, Some(names)));
        let scope = match t.get("scope").and_then(|v| v.str()) {
            None => TriggerScope::Case,
            Some(s) => match s.value {
                "case" => TriggerScope::Case,
                "account" => TriggerScope::Account,
                other => {
                    root.sink.error(
                        s.span.clone(),
                        format!(
                            "`{other}` is not a trigger scope{}: write \"case\" (each case on its own, the default) or \"account\" (once per account, over its cases)",
                            suggestion(other, ["case", "account"])
                        ),
                    );
                    TriggerScope::Case
                }
            },
        };
        t.finish("key");
        out.push(Trigger {
            name,
            when,
            then,
            repeat,
            scope,
        });
    }
    out
}

fn names_list(v: &Val<'_, '_>, what: &str, known: &[String]) -> Vec<String> {
    v.str_list()
        .into_iter()
        .filter(|s| check_ref(v.sink, s, what, known))
        .map(|s| s.value.to_string())
        .collect()
}

fn count(v: &Val<'_, '_>) -> Option<u32> {
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

fn read_conditions(w: &Table<'_, '_>, names: &Names) -> Conditions {
    let mut c = Conditions::default();
    if let Some(v) = w.get("severity") {
        c.severity = names_list(&v, "severity", &names.severities);
    }
    if let Some(v) = w.get("type") {
        c.case_type = names_list(&v, "escalation type", &names.types);
    }
    if let Some(v) = w.get("tier") {
        c.tier = names_list(&v, "tier", &names.tiers);
    }
    if let Some(v) = w.get("status") {
        let all: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
        for s in v.str_list() {
            match Status::parse(s.value) {
                Some(st) => c.status.push(st),
                None => v.sink.error(
                    s.span.clone(),
                    format!(
                        "`{}` is not a case status{}; statuses are: {}",
                        s.value,
                        suggestion(s.value, all.iter().copied()),
                        all.join(", ")
                    ),
                ),
            }
        }
    }
    if let Some(v) = w.get("account") {
        c.account = v.str_list().iter().map(|s| s.value.to_string()).collect();
    }
    c.account_key = w.get("account_key").and_then(|v| v.bool());
    if let Some(v) = w.get("labels") {
        c.labels = v.str_list().iter().map(|s| s.value.to_string()).collect();
    }
    let business: Vec<&str> = if c.severity.is_empty() {
        names.severities.iter().map(String::as_str).collect()
    } else {
        c.severity.iter().map(String::as_str).collect()
    };
    let dur = |k: &'static str| {
        w.get(k)
            .and_then(|v| read_duration(&v, &business, Some(names)))
    };
    c.age = dur("age");
    c.in_tier_for = dur("in_tier_for");
    c.unacknowledged_for = dur("unacknowledged_for");
    c.since_update = dur("since_update");
    c.reopened = w.get("reopened").and_then(|v| count(&v));
    c.escalations = w.get("escalations").and_then(|v| count(&v));
    c.open_cases_for_account = w.get("open_cases_for_account").and_then(|v| count(&v));
    if let Some(v) = w.get("sla")
        && let Some(s) = v.str()
    {
        c.sla = match s.value {
            "warning" => Some(SlaCondition::Warning),
            "breached" => Some(SlaCondition::Breached),
            other => {
                v.sink.error(
                    s.span,
                    format!(
                        "`{}` is \"{other}\": write \"warning\" or \"breached\"",
                        v.path
                    ),
                );
                None
            }
        };
    }
    w.finish("trigger condition");
    c
}

fn read_actions(w: &Table<'_, '_>, names: &Names, paths: &[EscalationPath]) -> Actions {
    let mut a = Actions::default();
    // An action that was given but is wrong is reported on its own; "does nothing" is only
    // for a `then` that names no action at all.
    let problems_before = w.sink.len();
    if let Some(v) = w.get("escalate")
        && let Some(s) = v.str()
        && check_ref(v.sink, &s, "path", &names.paths)
    {
        if paths
            .iter()
            .any(|p| p.name == s.value && p.tiers.is_empty())
        {
            v.sink
                .error(s.span.clone(), format!("path `{}` has no tiers", s.value));
        }
        a.escalate = Some(s.value.to_string());
    }
    if let Some(v) = w.get("to")
        && let Some(s) = v.str()
        && check_ref(v.sink, &s, "tier", &names.tiers)
    {
        a.to = Some(s.value.to_string());
    }
    if let Some(v) = w.get("notify") {
        a.notify = v
            .str_list()
            .iter()
            .filter_map(|s| read_party(v.sink, s, names, true))
            .collect();
    }
    if let Some(v) = w.get("swarm") {
        if v.is_bool() {
            if v.bool() == Some(true) {
                a.swarm = Some(Vec::new());
            }
        } else {
            a.swarm = Some(
                v.str_list()
                    .iter()
                    .filter_map(|s| read_party(v.sink, s, names, false))
                    .collect(),
            );
        }
    }
    a.major = w.get("major").and_then(|v| v.bool()).unwrap_or(false);
    a.sponsor = w.get("sponsor").and_then(|v| v.bool()).unwrap_or(false);
    if let Some(v) = w.get("label") {
        a.label = v.str_list().iter().map(|s| s.value.to_string()).collect();
    }
    a.confirm = w.get("confirm").and_then(|v| v.bool()).unwrap_or(false);
    let acts = a.escalate.is_some()
        || a.to.is_some()
        || !a.notify.is_empty()
        || a.swarm.is_some()
        || a.major
        || a.sponsor
        || !a.label.is_empty();
    if !acts && w.sink.len() == problems_before {
        w.sink.error(
            w.span.clone(),
            "this trigger does nothing: give `then` an action (escalate, to, notify, swarm, major, sponsor or label)",
        );
    }
    w.finish("trigger action");
    a
}
