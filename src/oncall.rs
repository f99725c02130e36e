//! On-call overrides: swaps and vacations recorded in the ledger (`esc oncall override`).
//! Pure: validating a new override, and reading the overrides back from their records.
//!
//! An override belongs to no case: it is stored under the reserved case id
//! [`crate::case::event::ONCALL`] as an `oncall_override` event, which the case fold skips.
//! The shell attaches the overrides to the loaded policy ([`crate::policy::Policy::overrides`]),
//! so owners of new cases, escalations and notification recipients honour them. When two
//! overrides of a role overlap, the one recorded last wins.

use crate::case::{Event, Record, Refusal};
use crate::policy::{Override, Policy};
use chrono::{DateTime, Utc};

/// The event recording `person` on duty for `role` in [from, to), or why not.
pub fn record_override(
    policy: &Policy,
    role: &str,
    person: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Event, Refusal> {
    if !policy.roles.contains_key(role) {
        return Err(Refusal::Unknown {
            what: "role",
            name: role.to_string(),
            hint: format!(
                "the policy's roles are {}",
                policy.roles.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        });
    }
    if !policy.people().contains(person) {
        return Err(Refusal::Unknown {
            what: "person",
            name: person.to_string(),
            hint: "name someone listed as a member of a role in the policy".into(),
        });
    }
    if to <= from {
        return Err(Refusal::Invalid(format!(
            "the override ends ({}) before it starts ({}): --to must be after --from",
            crate::render::rfc3339(to),
            crate::render::rfc3339(from)
        )));
    }
    Ok(Event::OncallOverride {
        role: role.to_string(),
        person: person.to_string(),
        from,
        to,
    })
}

/// The overrides among records, in the order they were recorded.
pub fn overrides(records: &[Record]) -> Vec<Override> {
    records
        .iter()
        .filter_map(|r| match &r.event {
            Event::OncallOverride {
                role,
                person,
                from,
                to,
            } => Some(Override {
                role: role.clone(),
                person: person.clone(),
                from: *from,
                to: *to,
                by: r.actor.to_string(),
                at: r.at,
            }),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn an_override_wins_inside_its_window_only_and_the_last_recorded_wins() {
        let mut p =
            crate::policy::parse(include_str!("../policies/it-helpdesk.toml")).expect("valid");
        let role = p.roles.keys().next().unwrap().clone();
        let people: Vec<String> = p.people().iter().map(|s| s.to_string()).collect();
        let before = p.on_duty(&role, t("2026-12-01T10:00:00Z")).unwrap();
        assert_ne!(before.reason, "override");
        let other = people
            .iter()
            .find(|x| **x != before.person)
            .unwrap()
            .clone();
        let third = people
            .iter()
            .find(|x| **x != before.person && **x != other)
            .unwrap()
            .clone();
        let mut recs = Vec::new();
        for (who, from, to) in [
            (&other, "2026-12-01T08:00:00Z", "2026-12-02T08:00:00Z"),
            (&third, "2026-12-01T12:00:00Z", "2026-12-01T14:00:00Z"),
        ] {
            let e = record_override(&p, &role, who, t(from), t(to)).unwrap();
            recs.push(Record {
                seq: recs.len() as u64 + 1,
                at: t("2026-11-30T09:00:00Z"),
                actor: "lead".into(),
                case: crate::case::event::ONCALL.into(),
                step: e.step(),
                policy: None,
                login: None,
                event: e,
            });
        }
        p.overrides = overrides(&recs);
        let at = |s: &str| p.on_duty(&role, t(s)).unwrap();
        assert_eq!(at("2026-12-01T10:00:00Z").person, other);
        assert_eq!(at("2026-12-01T10:00:00Z").reason, "override");
        assert_eq!(
            at("2026-12-01T13:00:00Z").person,
            third,
            "recorded last wins"
        );
        assert_eq!(
            at("2026-12-02T08:00:00Z").person,
            before.person,
            "`to` is exclusive"
        );
        assert_eq!(at("2026-12-01T07:59:00Z").reason, before.reason);
        assert!(
            record_override(
                &p,
                &role,
                "nobody",
                t("2026-12-01T08:00:00Z"),
                t("2026-12-02T08:00:00Z")
            )
            .is_err()
        );
        assert!(
            record_override(
                &p,
                "nope",
                &other,
                t("2026-12-01T08:00:00Z"),
                t("2026-12-02T08:00:00Z")
            )
            .is_err()
        );
        assert!(
            record_override(
                &p,
                &role,
                &other,
                t("2026-12-02T08:00:00Z"),
                t("2026-12-01T08:00:00Z")
            )
            .is_err()
        );
    }
}
