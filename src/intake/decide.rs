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

/// The key of a rule's alert-storm case.
pub fn storm_key(rule: &str) -> String {
    format!("esc-storm/{rule}")
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

/// Text from a payload made safe to print: control characters are escaped, so a key can
/// never drive a terminal.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
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
        let result = match (s.status, existing) {
            (Arrived::Firing, Some(c)) if c.is_active() => {
                let n = c.fired + 1;
                emit(
                    state,
                    &c.id,
                    alerted(
                        n,
                        format!("{} (fired again, {} time)", s.text, ordinal(n)),
                        false,
                    ),
                );
                outcome(
                    Verdict::Noted,
                    Some(&c.id),
                    n,
                    format!("noted {} (fired again, {} time)", c.id, ordinal(n)),
                )
            }
            (Arrived::Firing, Some(c))
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
                    alerted(
                        n,
                        format!("{} (fired again, {} time)", s.text, ordinal(n)),
                        false,
                    ),
                );
                outcome(
                    Verdict::Reopened,
                    Some(&c.id),
                    n,
                    format!("reopened {} (fired again, {} time)", c.id, ordinal(n)),
                )
            }
            (Arrived::Firing, _) => {
                let opened = opened.unwrap_or_else(|| unreachable_opening(s));
                if storm_full(state, rule, now) {
                    storm(policy, state, &mut emit, s, rule, now, &outcome)?
                } else {
                    let case = id::format(state.take_case_number());
                    emit(state, &case, opened);
                    emit(state, &case, alerted(1, s.text.clone(), false));
                    outcome(Verdict::Opened, Some(&case), 1, format!("opened {case}"))
                }
            }
            (Arrived::Resolved, Some(c)) if c.is_active() => {
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
            (Arrived::Acknowledged, Some(c)) if c.is_active() => {
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
            (_, Some(c)) => outcome(
                Verdict::Ignored,
                Some(&c.id),
                c.fired,
                format!(
                    "ignored {} alert for key `{}`: {} is already {}",
                    s.status.as_str(),
                    printable(&s.key),
                    c.id,
                    c.status.as_str()
                ),
            ),
            (_, None) => outcome(
                Verdict::Ignored,
                None,
                0,
                format!(
                    "ignored {} alert for key `{}`: no case has this key",
                    s.status.as_str(),
                    printable(&s.key)
                ),
            ),
        };
        d.outcomes.push(result);
    }
    Ok(d)
}

/// Firing signals always have their opening event; this only names the impossible case.
fn unreachable_opening(s: &Signal) -> Event {
    Event::Noted {
        text: format!("alert {} could not be opened", s.key),
    }
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
        *owner = tier_owner(policy, &first, now);
        *tier = first;
        path.clone_from(&o.path);
    }
    Ok(event)
}
