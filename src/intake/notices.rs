//! Who is told what intake did. The cases intake opens, acknowledges, resolves and reopens
//! go through [`compose`] like the same moves made with `esc open`, `esc ack`, `esc resolve`
//! and `esc reopen`: staff by the RACI row of the step (and `[notify.on]`), the customer only
//! if the case has a customer party — a case opened from monitoring has the monitoring
//! system as its reporter, which is not a customer, so only its account's contacts can be.
//! Repeat firings (notes) tell no one; a storm case's opening has its own notification
//! (see [`super::decide`]). Pure.

use super::decide::is_storm_key;
use crate::case::{Case, Event, NewEvent};
use crate::notify::compose;
use crate::policy::templates::RenderError;
use crate::policy::{Policy, Templates};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// Whether people are told of an event intake records (anything but a note).
fn tells(event: &Event) -> bool {
    !matches!(
        event,
        Event::Alerted { .. } | Event::NotificationQueued { .. }
    )
}

/// The cases already in the ledger whose events in `events` people are told of: the shell
/// reads them (under the lock) and hands them to [`with_notices`].
pub fn cases_to_read(events: &[NewEvent], known: &HashMap<String, Case>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut opened: Vec<&str> = Vec::new();
    for e in events {
        if let Event::Opened { .. } = e.event {
            opened.push(&e.case);
        } else if tells(&e.event)
            && !opened.contains(&e.case.as_str())
            && !known.contains_key(&e.case)
            && !out.contains(&e.case)
        {
            out.push(e.case.clone());
        }
    }
    out
}

/// `events` (what intake decided, in order) with the notifications they call for, each run
/// of one case's events followed by its notifications. `cases` holds the cases as they are
/// before `events` (those of [`cases_to_read`]); it is kept up to date with the events, so
/// the next payload of a batch sees them. A policy template that fails falls back to the
/// built-in one: an alert is never refused for a template.
pub fn with_notices(
    policy: &Policy,
    cases: &mut HashMap<String, Case>,
    events: Vec<NewEvent>,
    now: DateTime<Utc>,
) -> Vec<NewEvent> {
    let mut out = Vec::with_capacity(events.len());
    let mut rest = events.into_iter().peekable();
    while let Some(first) = rest.next() {
        let case_id = first.case.clone();
        let mut run = vec![first];
        while let Some(next) = rest.next_if(|e| e.case == case_id) {
            run.push(next);
        }
        let told: Vec<Event> = run.iter().map(|e| e.event.clone()).collect();
        let before = cases.get(&case_id);
        let builtin = || Policy {
            templates: Templates::default(),
            ..policy.clone()
        };
        let (notices, after) = match notices(policy, before, &case_id, &told, now) {
            Ok(done) => done,
            Err(_) => notices(&builtin(), before, &case_id, &told, now).unwrap_or_default(),
        };
        if let Some(after) = after {
            cases.insert(case_id, after);
        }
        let template = run[0].clone();
        out.extend(run);
        out.extend(notices.into_iter().map(|event| NewEvent {
            event,
            ..template.clone()
        }));
    }
    out
}

/// The notifications for one case's run of events, and the case after them (none when it
/// is neither in the ledger nor opened by the run).
fn notices(
    policy: &Policy,
    before: Option<&Case>,
    case_id: &str,
    events: &[Event],
    now: DateTime<Utc>,
) -> Result<(Vec<Event>, Option<Case>), RenderError> {
    let mut out = Vec::new();
    let (before, moves) = match events.first() {
        Some(opened @ Event::Opened { dedup_key, .. }) => {
            let record = NewEvent {
                at: now,
                actor: String::new(),
                case: case_id.to_string(),
                event: opened.clone(),
                policy: None,
            }
            .into_record(0);
            // Decided events are legal by construction; a case that does not fold is not told.
            let Ok(Some(case)) = Case::fold(vec![record]) else {
                return Ok((out, None));
            };
            if !dedup_key.as_deref().is_some_and(is_storm_key) {
                out.extend(compose::for_open(policy, &case, opened, now)?);
            }
            (case, &events[1..])
        }
        _ => match before {
            Some(case) => (case.clone(), events),
            None => return Ok((out, None)),
        },
    };
    out.extend(compose::for_events(policy, &before, moves, now)?);
    Ok((out, Some(compose::after(&before, moves, now))))
}
