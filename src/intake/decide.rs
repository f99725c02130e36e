//! The de-duplication decision: what the signals of one payload do to cases. Pure — a
//! function of (policy, the keyed cases' state, signals, now) → events to append and what
//! was done, in words.
//!
//! For each signal, by its key's latest case:
//! - firing, case unresolved: a note with the count (`fired again, 3rd time`);
//! - firing, case resolved within the rule's `reopen_within`: reopened, with a note;
//! - firing, no case (or resolved longer ago): a new case — unless the rule's `max_new`
//!   window is full, then it is attached to the rule's one "alert storm" case (opened, with
//!   one notification, by the first alert over the limit);
//! - resolved: a note, and the case is resolved if the rule says `resolve_on_clear`;
//! - acknowledged (generic events): a note, and the case is acknowledged;
//! - anything else (a resolved alert with no unresolved case) changes nothing.

use super::IntakeError;
use super::route::{Signal, Status as Arrived};
use super::state::IntakeState;
use crate::case::transition::{self, OpenRequest, tier_owner};
use crate::case::{Case, Event, NewEvent, id, raci};
use crate::policy::intake::IntakeRule;
use crate::policy::{Party, Policy, Step, duration};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The channel recorded on cases opened from monitoring.
pub const CHANNEL: &str = "monitoring";

/// The prefix of the key of a rule's alert-storm case.
const STORM: &str = "esc-storm/";

/// The key of a rule's alert-storm case.
pub fn storm_key(rule: &str) -> String {
    format!("{STORM}{rule}")
}

/// Whether a key is that of an alert-storm case.
pub fn is_storm_key(key: &str) -> bool {
    key.starts_with(STORM)
}

/// What one signal did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Opened,
    Noted,
    Reopened,
    Resolved,
    Acknowledged,
    /// Attached to the rule's alert-storm case (opened now or earlier).
    Storm,
    /// Nothing recorded.
    Ignored,
}

/// What one signal did, for people and for `--json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub action: Verdict,
    /// The case it went to (none when ignored without one).
    pub case: Option<String>,
    pub key: String,
    pub rule: String,
    /// `firing`, `resolved` or `acknowledged`.
    pub status: &'static str,
    /// How often the case's alert has fired so far.
    pub count: u32,
    /// In words: `opened ESC-12`, `noted ESC-12 (fired again, 3rd time)` …
    pub message: String,
}

/// The events to append and what they do.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decision {
    pub events: Vec<NewEvent>,
    pub outcomes: Vec<Outcome>,
}

/// `1st`, `2nd`, `3rd`, `4th`, … `11th`, `21st`.
pub fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// Decide the signals of one payload, all or nothing; `state` is updated with the events so
/// the next payload of a batch sees them.
pub fn decide(
    policy: &Policy,
    state: &mut IntakeState,
    signals: &[Signal],
    now: DateTime<Utc>,
    actor: &str,
) -> Result<Decision, IntakeError> {
    // Every check first, so a refusal leaves `state` as it was.
    let mut openings = Vec::with_capacity(signals.len());
    for s in signals {
        let rule = &policy.intake[s.rule];
        for key in [s.key.clone(), storm_key(&rule.name)] {
            if let Some(c) = state.case_for(&key)
                && now < c.last_event_at
            {
                return Err(IntakeError::BeforeLastEvent {
                    case: c.id.clone(),
                    last: crate::render::rfc3339(c.last_event_at),
                    now: crate::render::rfc3339(now),
                });
            }
        }
        openings.push(match s.status {
            Arrived::Firing => Some(open_event(policy, s, &s.key, &s.opening.title, now)?),
            _ => None,
        });
    }
    let mut d = Decision::default();
    for (s, opened) in signals.iter().zip(openings) {
        let rule = &policy.intake[s.rule];
        let mut emit = |state: &mut IntakeState, case: &str, event: Event| {
            state.apply(case, now, &event);
            d.events.push(NewEvent {
                at: now,
                actor: actor.to_string(),
                case: case.to_string(),
                event,
                policy: Some(policy.hash.clone()),
            });
        };
        let alerted = |count: u32, text: String, storm: bool| Event::Alerted {
            key: s.key.clone(),
            status: s.status.as_str().to_string(),
            count,
            text,
            rule: Some(rule.name.clone()),
            storm,
        };
        let outcome = |action: Verdict, case: Option<&str>, count: u32, message: String| Outcome {
            action,
            case: case.map(str::to_string),
            key: s.key.clone(),
            rule: rule.name.clone(),
            status: s.status.as_str(),
            count,
            message,
        };
        let existing = state.case_for(&s.key).cloned();
        // What a repeat firing says, in the note and in the outcome.
        let again = |n: u32| format!("fired again, {} time", ordinal(n));
        let result = match (s.status, existing, opened) {
            (Arrived::Firing, Some(c), _) if c.is_active() => {
                let n = c.fired + 1;
                emit(
                    state,
                    &c.id,
                    alerted(n, format!("{} ({})", s.text, again(n)), false),
                );
                outcome(
                    Verdict::Noted,
                    Some(&c.id),
                    n,
                    format!("noted {} ({})", c.id, again(n)),
                )
            }
            (Arrived::Firing, Some(c), _)
                if rule
                    .reopen_within
                    .zip(c.resolved_at)
                    .is_some_and(|(within, at)| now - at <= within) =>
            {
                let n = c.fired + 1;
                let within = rule.reopen_within.map(duration::format).unwrap_or_default();
                emit(
                    state,
                    &c.id,
                    Event::Reopened {
                        reason: format!("the alert fired again within {within} of resolution"),
                    },
                );
                emit(
                    state,
                    &c.id,
                    alerted(n, format!("{} ({})", s.text, again(n)), false),
                );
                outcome(
                    Verdict::Reopened,
                    Some(&c.id),
                    n,
                    format!("reopened {} ({})", c.id, again(n)),
                )
            }
            (Arrived::Firing, _, Some(opened)) => {
                if storm_full(state, rule, now) {
                    storm(policy, state, &mut emit, s, rule, now, &outcome)?
                } else {
                    let case = id::format(state.take_case_number());
                    emit(state, &case, opened);
                    emit(state, &case, alerted(1, s.text.clone(), false));
                    outcome(Verdict::Opened, Some(&case), 1, format!("opened {case}"))
                }
            }
            (Arrived::Resolved, Some(c), _) if c.is_active() => {
                emit(
                    state,
                    &c.id,
                    alerted(
                        c.fired,
                        format!("{} (cleared in monitoring)", s.text),
                        false,
                    ),
                );
                if rule.resolve_on_clear {
                    emit(
                        state,
                        &c.id,
                        Event::Resolved {
                            resolution: "the alert cleared in monitoring".into(),
                            root_cause: None,
                        },
                    );
                    outcome(
                        Verdict::Resolved,
                        Some(&c.id),
                        c.fired,
                        format!("resolved {}", c.id),
                    )
                } else {
                    outcome(
                        Verdict::Noted,
                        Some(&c.id),
                        c.fired,
                        format!(
                            "noted {} (cleared; the rule leaves resolving to people)",
                            c.id
                        ),
                    )
                }
            }
            (Arrived::Acknowledged, Some(c), _) if c.is_active() => {
                emit(
                    state,
                    &c.id,
                    alerted(
                        c.fired,
                        format!("{} (acknowledged in monitoring)", s.text),
                        false,
                    ),
                );
                if c.acknowledged {
                    outcome(
                        Verdict::Noted,
                        Some(&c.id),
                        c.fired,
                        format!("noted {} (already acknowledged)", c.id),
                    )
                } else {
                    emit(state, &c.id, Event::Acknowledged {});
                    outcome(
                        Verdict::Acknowledged,
                        Some(&c.id),
                        c.fired,
                        format!("acknowledged {}", c.id),
                    )
                }
            }
            (_, Some(c), _) => outcome(
                Verdict::Ignored,
                Some(&c.id),
                c.fired,
                format!(
                    "ignored {} alert for key `{}`: {} is already {}",
                    s.status.as_str(),
                    crate::render::one_line(&s.key),
                    c.id,
                    c.status.as_str()
                ),
            ),
            (_, None, _) => outcome(
                Verdict::Ignored,
                None,
                0,
                format!(
                    "ignored {} alert for key `{}`: no case has this key",
                    s.status.as_str(),
                    crate::render::one_line(&s.key)
                ),
            ),
        };
        d.outcomes.push(result);
    }
    Ok(d)
}

/// Whether the rule's `max_new` window is full.
fn storm_full(state: &IntakeState, rule: &IntakeRule, now: DateTime<Utc>) -> bool {
    rule.max_new
        .is_some_and(|m| state.opened_since(&rule.name, now - m.per) >= m.count as usize)
}

/// Attach a signal to the rule's storm case, opening it (with one notification) if needed.
#[allow(clippy::too_many_arguments)]
fn storm(
    policy: &Policy,
    state: &mut IntakeState,
    emit: &mut impl FnMut(&mut IntakeState, &str, Event),
    s: &Signal,
    rule: &IntakeRule,
    now: DateTime<Utc>,
    outcome: &impl Fn(Verdict, Option<&str>, u32, String) -> Outcome,
) -> Result<Outcome, IntakeError> {
    let key = storm_key(&rule.name);
    let note = |count: u32| Event::Alerted {
        key: s.key.clone(),
        status: s.status.as_str().to_string(),
        count,
        text: format!("{} (key `{}`)", s.text, s.key),
        rule: Some(rule.name.clone()),
        storm: true,
    };
    if let Some(c) = state.case_for(&key).cloned()
        && c.is_active()
    {
        let n = c.fired + 1;
        emit(state, &c.id, note(n));
        return Ok(outcome(
            Verdict::Storm,
            Some(&c.id),
            n,
            format!("attached to alert storm {} ({} alert)", c.id, ordinal(n)),
        ));
    }
    let limit = rule.max_new.map_or(String::new(), |m| {
        format!("{} new cases within {}", m.count, duration::format(m.per))
    });
    let title = format!("Alert storm: rule `{}` opened {limit}", rule.name);
    let opened = open_event(policy, s, &key, &title, now)?;
    let case = id::format(state.take_case_number());
    let message = format!(
        "{case} {title}; further alerts of this rule are attached to {case} until it is resolved"
    );
    let folded = Case::fold(vec![
        NewEvent {
            at: now,
            actor: String::new(),
            case: case.clone(),
            event: opened.clone(),
            policy: None,
        }
        .into_record(0),
    ])
    .ok()
    .flatten();
    emit(state, &case, opened);
    emit(state, &case, note(1));
    if let Some(folded) = folded {
        let recipients = raci::recipients(policy, &folded, Step::Open, &[Party::Owner], now);
        if !recipients.is_empty() {
            emit(
                state,
                &case,
                Event::NotificationQueued {
                    action: "alert_storm".into(),
                    recipients,
                    message,
                    due: now,
                    audience: crate::case::event::Audience::Internal,
                    clock: None,
                    promise: None,
                },
            );
        }
    }
    Ok(outcome(
        Verdict::Storm,
        Some(&case),
        1,
        format!(
            "opened alert storm {case} (rule `{}` is over max_new)",
            rule.name
        ),
    ))
}

/// The `opened` event for a signal's case under `key`.
fn open_event(
    policy: &Policy,
    s: &Signal,
    key: &str,
    title: &str,
    now: DateTime<Utc>,
) -> Result<Event, IntakeError> {
    let o = &s.opening;
    let req = OpenRequest {
        title: title.to_string(),
        severity: Some(o.severity.clone()),
        case_type: Some(o.case_type.clone()),
        account: o.account.clone(),
        reporter: Some(o.reporter.clone()),
        channel: Some(CHANNEL.to_string()),
        labels: o.labels.clone(),
        description: o.description.clone(),
        dedup_key: Some(key.to_string()),
    };
    let mut event = transition::open(policy, &req, now).map_err(IntakeError::Refused)?;
    if let Event::Opened {
        path, tier, owner, ..
    } = &mut event
        && *path != o.path
    {
        let first = policy
            .path(&o.path)
            .and_then(|p| p.tiers.first())
            .cloned()
            .ok_or_else(|| {
                IntakeError::Refused(transition::Refusal::Invalid(format!(
                    "path `{}` has no tiers: fix the policy",
                    o.path
                )))
            })?;
        *owner = tier_owner(policy, &first, now).into();
        *tier = first.into();
        *path = o.path.as_str().into();
    }
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::{Source, signals};

    fn policy() -> Policy {
        crate::intake::testing::policy(
            r#"
[[intake]]
name = "all"
severity_from = "severity"
resolve_on_clear = true
reopen_within = "30m"
max_new = { count = 1, per = "10m" }
"#,
        )
    }

    fn at(min: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-23T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
            + chrono::TimeDelta::minutes(min)
    }

    fn ev(key: &str, action: &str, severity: &str) -> Vec<Signal> {
        let policy = policy();
        let body = format!(
            r#"{{"dedup_key":"{key}","action":"{action}","summary":"s {key}","severity":"{severity}"}}"#
        );
        signals(&policy, Source::Event, body.as_bytes()).unwrap()
    }

    fn run(state: &mut IntakeState, min: i64, sig: &[Signal]) -> Vec<(Verdict, Option<String>)> {
        let policy = policy();
        decide(&policy, state, sig, at(min), "t")
            .unwrap()
            .outcomes
            .into_iter()
            .map(|o| (o.action, o.case))
            .collect()
    }

    #[test]
    fn ordinals_read_as_english() {
        let got: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111]
            .map(ordinal)
            .into();
        assert_eq!(
            got,
            [
                "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st",
                "111th"
            ]
        );
    }

    #[test]
    fn the_key_decides_open_note_resolve_reopen_and_storm() {
        let mut st = IntakeState::new();
        let id = |n: &str| Some(n.to_string());
        assert_eq!(
            run(&mut st, 0, &ev("a", "trigger", "sev1")),
            [(Verdict::Opened, id("ESC-1"))]
        );
        assert_eq!(
            run(&mut st, 1, &ev("a", "trigger", "sev1")),
            [(Verdict::Noted, id("ESC-1"))]
        );
        // max_new = 1 per 10m: a second key within the window goes to the storm case.
        assert_eq!(
            run(&mut st, 2, &ev("b", "trigger", "sev2")),
            [(Verdict::Storm, id("ESC-2"))]
        );
        assert_eq!(
            run(&mut st, 3, &ev("c", "trigger", "sev2")),
            [(Verdict::Storm, id("ESC-2"))]
        );
        assert_eq!(
            run(&mut st, 4, &ev("a", "resolve", "sev1")),
            [(Verdict::Resolved, id("ESC-1"))]
        );
        assert_eq!(
            run(&mut st, 5, &ev("a", "resolve", "sev1")),
            [(Verdict::Ignored, id("ESC-1"))]
        );
        assert_eq!(
            run(&mut st, 6, &ev("zz", "resolve", "sev1")),
            [(Verdict::Ignored, None)]
        );
        // Within reopen_within (30m): reopened; the count goes on.
        assert_eq!(
            run(&mut st, 20, &ev("a", "trigger", "sev1")),
            [(Verdict::Reopened, id("ESC-1"))]
        );
        assert_eq!(st.case_for("a").unwrap().fired, 3);
        assert_eq!(
            run(&mut st, 21, &ev("a", "resolve", "sev1")),
            [(Verdict::Resolved, id("ESC-1"))]
        );
        // Past reopen_within and past the storm window: a new case.
        assert_eq!(
            run(&mut st, 60, &ev("a", "trigger", "sev1")),
            [(Verdict::Opened, id("ESC-3"))]
        );
        assert_eq!(
            run(&mut st, 61, &ev("a", "acknowledge", "sev1")),
            [(Verdict::Acknowledged, id("ESC-3"))]
        );
        assert_eq!(
            run(&mut st, 62, &ev("a", "acknowledge", "sev1")),
            [(Verdict::Noted, id("ESC-3"))]
        );
    }

    #[test]
    fn a_refusal_leaves_the_state_as_it_was() {
        let policy = policy();
        let mut st = IntakeState::new();
        run(&mut st, 10, &ev("a", "trigger", "sev1"));
        let before = format!("{st:?}");
        let err = decide(&policy, &mut st, &ev("a", "trigger", "sev1"), at(5), "t").unwrap_err();
        assert!(matches!(err, IntakeError::BeforeLastEvent { .. }));
        assert_eq!(format!("{st:?}"), before);
    }

    #[test]
    fn the_severity_comes_from_the_label_when_it_names_one() {
        let mut st = IntakeState::new();
        let policy = policy();
        let d = decide(&policy, &mut st, &ev("a", "trigger", "sev1"), at(0), "t").unwrap();
        let Event::Opened {
            severity,
            channel,
            dedup_key,
            ..
        } = &d.events[0].event
        else {
            panic!("opened first");
        };
        assert_eq!(severity, "sev1");
        assert_eq!(channel.as_deref(), Some(CHANNEL));
        assert_eq!(dedup_key.as_deref(), Some("a"));
    }
}
