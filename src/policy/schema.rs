//! `esc policy schema`: a JSON Schema (draft 2020-12) of the policy file, for editors such as
//! taplo or VS Code's Even Better TOML. It describes the structure (keys, types, enums,
//! patterns); cross-references (a tier's role must exist …) are `esc policy check`'s job.
//! Tests validate every shipped policy against it with an independent validator.

use serde_json::{Value, json};

const DURATION: &str = r"^\s*([0-9]+\s*[a-zA-Z]+\s*)+$";
const RANGES: &str = r"^\s*[0-9]{2}:[0-9]{2}\s*-\s*[0-9]{2}:[0-9]{2}\s*(,\s*[0-9]{2}:[0-9]{2}\s*-\s*[0-9]{2}:[0-9]{2}\s*)*$";

fn duration() -> Value {
    json!({"type": "string", "pattern": DURATION, "description": "a duration such as \"90s\", \"15m\", \"4h\", \"2d\" or \"1h30m\""})
}

fn names() -> Value {
    json!({"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]})
}

fn closed(properties: Value, required: &[&str]) -> Value {
    json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
}

/// `[notify]`: channels, limits and `[notify.on]` (event kind → who is told).
fn notify() -> Value {
    let kinds: serde_json::Map<String, Value> = crate::policy::NoticeKind::ALL
        .iter()
        .map(|k| {
            (
                k.as_str().to_string(),
                json!({"type": "array", "items": {"type": "string"}}),
            )
        })
        .collect();
    closed(
        json!({
            "command": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "timeout": duration(),
            "max_age": duration(),
            "env": {"type": "array", "items": {"type": "string", "pattern": "^[A-Za-z0-9_]+$"}},
            "on": closed(Value::Object(kinds), &[]),
            "webhook": closed(json!({
                "url": {"type": "string", "pattern": "^https?://"},
                "retries": {"type": "integer", "minimum": 0, "maximum": 10}
            }), &["url"]),
            "email": closed(json!({
                "host": {"type": "string"},
                "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                "from": {"type": "string"},
                "security": {"enum": ["starttls", "tls", "none"]}
            }), &["host", "from"])
        }),
        &[],
    )
}

/// The schema as a JSON value.
pub fn schema() -> Value {
    let weekday = json!({"type": "string", "pattern": RANGES});
    let calendar = closed(
        json!({
            "timezone": {"type": "string", "description": "IANA time zone, e.g. Europe/London"},
            "hours": {"oneOf": [
                {"const": "24x7"},
                closed(json!({"mon": weekday, "tue": weekday, "wed": weekday, "thu": weekday,
                              "fri": weekday, "sat": weekday, "sun": weekday}), &[])
            ]},
            "holidays": {"type": "array", "items": {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}}
        }),
        &["timezone", "hours"],
    );
    let severity = closed(
        json!({
            "label": {"type": "string"},
            "calendar": {"type": "string"},
            "response": duration(),
            "resolution": duration(),
            "update_every": duration(),
            "warn_at": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            "skip_tiers": {"type": "boolean"},
            "review": {"enum": ["required", "optional"]}
        }),
        &["calendar", "response", "resolution"],
    );
    let date = json!({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"});
    let role = closed(
        json!({
            "members": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "rotation": {"enum": ["none", "daily", "weekly"]},
            "start": date.clone(),
            "roster": {"type": "array", "items": closed(
                json!({
                    "effective": date.clone(),
                    "members": {"type": "array", "items": {"type": "string"}, "minItems": 1}
                }),
                &["effective", "members"],
            )}
        }),
        &["members"],
    );
    let tier = closed(
        json!({
            "id": {"type": "string", "minLength": 1},
            "path": {"type": "string", "minLength": 1},
            "name": {"type": "string"},
            "role": {"type": "string"},
            "escalate_after": {"type": "object", "additionalProperties": duration()},
            "authority": names(),
            "calendar": {"type": "string"}
        }),
        &["id", "role", "escalate_after"],
    );
    let raci_row = closed(
        json!({"r": names(), "a": {"type": "string"}, "c": names(), "i": names()}),
        &["a"],
    );
    let steps = [
        "open",
        "acknowledge",
        "escalate",
        "swarm",
        "major",
        "update",
        "resolve",
        "review",
        "close",
    ];
    let mut step_props = serde_json::Map::new();
    for s in steps {
        step_props.insert(s.to_string(), raci_row.clone());
    }
    let raci_table = closed(Value::Object(step_props), &[]);
    let account = closed(
        json!({"name": {"type": "string"}, "key": {"type": "boolean"}, "sponsor": {"type": "string"},
            "contacts": {"type": "array", "items": {"type": "string"}, "uniqueItems": true},
            "calendar": {"type": "string"}}),
        &[],
    );
    let count = json!({"type": "integer", "minimum": 1});
    let when = closed(
        json!({
            "severity": names(), "type": names(), "tier": names(),
            "status": {"oneOf": [
                {"enum": ["open", "acknowledged", "paused", "resolved", "closed"]},
                {"type": "array", "items": {"enum": ["open", "acknowledged", "paused", "resolved", "closed"]}}
            ]},
            "account": names(), "account_key": {"type": "boolean"}, "labels": names(),
            "age": duration(), "in_tier_for": duration(), "unacknowledged_for": duration(),
            "since_update": duration(), "reopened": count, "escalations": count,
            "open_cases_for_account": count, "sla": {"enum": ["warning", "breached"]}
        }),
        &[],
    );
    let then = closed(
        json!({
            "escalate": {"type": "string"}, "to": {"type": "string"}, "notify": names(),
            "swarm": {"oneOf": [{"type": "boolean"}, {"type": "array", "items": {"type": "string"}}]},
            "major": {"type": "boolean"}, "sponsor": {"type": "boolean"}, "label": names(),
            "confirm": {"type": "boolean"}
        }),
        &[],
    );
    let trigger = closed(
        json!({"name": {"type": "string"}, "when": when, "then": then, "repeat": duration(),
               "scope": {"enum": ["case", "account"]}}),
        &["name", "when", "then"],
    );
    let intake = closed(
        json!({
            "name": {"type": "string", "minLength": 1},
            "match": {"type": "object", "additionalProperties": {"type": "string"},
                      "description": "label = value (equality) or \"~regex\" (whole value); all must hold"},
            "severity": {"type": "string"},
            "severity_from": {"type": "string", "description": "the label whose value decides the severity"},
            "severity_map": {"type": "object", "additionalProperties": {"type": "string"}},
            "type": {"type": "string"},
            "account": {"type": "string", "description": "a template"},
            "path": {"type": "string"},
            "labels": names(),
            "title": {"type": "string", "description": "a template over labels, annotations, …"},
            "per_alert": {"type": "boolean"},
            "resolve_on_clear": {"type": "boolean"},
            "reopen_within": duration(),
            "max_new": closed(json!({"count": {"type": "integer", "minimum": 1}, "per": duration()}), &["count", "per"])
        }),
        &["name"],
    );
    let templates: serde_json::Map<String, Value> = super::templates::BUILTIN
        .iter()
        .map(|(n, _)| (n.to_string(), json!({"type": "string"})))
        .collect();
    let mut root = closed(
        json!({
            "version": {"const": 1},
            "name": {"type": "string"},
            "types": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "defaults": closed(json!({
                "severity": {"type": "string"}, "type": {"type": "string"},
                "path": {"type": "string"}, "timezone": {"type": "string"},
                "unknown_actors": {"enum": ["refuse", "allow"]}
            }), &[]),
            "calendars": {"type": "object", "additionalProperties": calendar},
            "severities": {"type": "object", "additionalProperties": severity, "minProperties": 1},
            "roles": {"type": "object", "additionalProperties": role, "minProperties": 1},
            "tiers": {"type": "array", "items": tier, "minItems": 1},
            "raci": {"type": "object", "additionalProperties": raci_table},
            "accounts": {"type": "object", "additionalProperties": account},
            "handoff": closed(json!({"require": {"type": "array", "items": {"enum": ["reason", "summary", "tried"]}}}), &[]),
            "swarm": closed(json!({"facilitator": {"type": "string"}, "lessons_required": {"type": "boolean"}}), &[]),
            "major": closed(json!({
                "roles": {"type": "array", "items": {"type": "string"}},
                "update_every": duration(),
                "cards": {"type": "object", "additionalProperties": closed(json!({"duties": names()}), &["duties"])}
            }), &[]),
            "review": closed(json!({
                "required_for": names(),
                "also_when": {"type": "array", "items": {"enum": ["breached", "swarmed", "major"]}},
                "due": duration()
            }), &[]),
            "closing": closed(json!({"require_followup": {"type": "boolean"}}), &[]),
            "authority": closed(json!({
                "approve": names(), "skip_tiers": names(), "major": names(),
                "stand_down": names(), "waive_review": names(),
                "close_without_followup": names(),
                "triggers": {"type": "object", "additionalProperties": names()},
                "escalate": {"type": "object", "additionalProperties": names()}
            }), &[]),
            "sponsors": closed(json!({
                "default": {"type": "string"},
                "by_severity": {"type": "object", "additionalProperties": {"type": "string"}}
            }), &[]),
            "triggers": {"type": "array", "items": trigger},
            "intake": {"type": "array", "items": intake},
            "notify": notify(),
            "people": {"type": "object", "additionalProperties": closed(json!({
                "email": {"type": "string", "format": "email"},
                "webhook": {"type": "string", "pattern": "^https?://"}
            }), &[])},
            "templates": closed(Value::Object(templates), &[])
        }),
        &[
            "version",
            "types",
            "calendars",
            "severities",
            "roles",
            "tiers",
            "raci",
        ],
    );
    if let Value::Object(m) = &mut root {
        m.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
        m.insert("title".into(), json!("esc escalation policy"));
    }
    root
}
