//! Reminders of reviews and action items. Pure: (policy, case, now) → the reminders sweep
//! records.
//!
//! A resolved case whose required review is overdue, and every late action item of a
//! recorded review, gets a `reminded` event and an internal notification to the people
//! who must act — the case's owner (the item's owner for an action item) and the
//! Accountable of the review step — at most once per local day each: the last `reminded`
//! event of that review or item says whether today's was sent.

use crate::case::{Case, Event};
use crate::notify::compose;
use crate::policy::{Party, Policy, Step};
use crate::review::{self, State};
use chrono::{DateTime, NaiveDate, Utc};

/// One reminder: which review or item (`None`: the review itself), when it fell due, and
/// the events recording it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reminder {
    pub item: Option<u32>,
    pub due: DateTime<Utc>,
    pub events: Vec<Event>,
}

/// Whether a case could need a reminder at all (cheap: no clocks), so the sweep can skip
/// the closed cases that cannot.
pub fn may_need(case: &Case) -> bool {
    case.status == crate::policy::Status::Resolved && case.review.is_none()
        || case
            .review
            .as_ref()
            .is_some_and(|r| r.actions.iter().any(|a| a.done_at.is_none()))
}

/// The reminders due on `case` at `now`.
pub fn plan(policy: &Policy, case: &Case, now: DateTime<Utc>) -> Vec<Reminder> {
    if !may_need(case) {
        return Vec::new();
    }
    let tz = policy.defaults.timezone;
    let today = now.with_timezone(&tz).date_naive();
    let sent_today = |item: Option<u32>| {
        case.more()
            .reminded
            .get(&item)
            .is_some_and(|at| at.with_timezone(&tz).date_naive() >= today)
    };
    let accountable = policy
        .raci_for(&case.case_type, Step::Review)
        .map(|r| r.accountable.clone());
    let mut out = Vec::new();
    if case.status == crate::policy::Status::Resolved && !sent_today(None) {
        let clocks = review::needs_clocks(policy)
            .then(|| crate::sla::clock::clocks(policy, case, now))
            .flatten();
        let reasons = review::reasons(policy, case, clocks.as_ref());
        let status = review::status(policy, case, reasons, now);
        if status.state == State::Overdue
            && let Some(due) = status.due
        {
            let why: Vec<String> = status.reasons.iter().map(|r| r.describe(case)).collect();
            let text = format!(
                "the review of {} is overdue (due {}; {}): record it with `esc review {}`",
                case.id,
                crate::render::local_time(due, tz),
                why.join(", "),
                case.id
            );
            let parties: Vec<Party> = [Some(Party::Owner), accountable.clone()]
                .into_iter()
                .flatten()
                .collect();
            out.push(reminder(policy, case, None, &parties, &text, due, now));
        }
    }
    if let Some(r) = &case.review {
        for a in r.actions.iter().filter(|a| a.is_late(today)) {
            if sent_today(Some(a.number)) {
                continue;
            }
            let text = format!(
                "action item {} is late (due {}): {} — mark it done with `esc actions done {}`",
                a.id(&case.id),
                a.item.due,
                a.item.text,
                a.id(&case.id)
            );
            let parties: Vec<Party> = [
                Some(Party::Person(a.item.owner.clone())),
                accountable.clone(),
            ]
            .into_iter()
            .flatten()
            .collect();
            let due = end_of(a.item.due, tz).min(now);
            out.push(reminder(
                policy,
                case,
                Some(a.number),
                &parties,
                &text,
                due,
                now,
            ));
        }
    }
    out
}

/// The first instant after `date` in `tz` (an action item is due by the end of its day).
fn end_of(date: NaiveDate, tz: chrono_tz::Tz) -> DateTime<Utc> {
    let next = date
        .succ_opt()
        .unwrap_or(date)
        .and_time(chrono::NaiveTime::MIN);
    next.and_local_timezone(tz)
        .earliest()
        .map_or_else(|| next.and_utc(), |t| t.with_timezone(&Utc))
}

fn reminder(
    policy: &Policy,
    case: &Case,
    item: Option<u32>,
    parties: &[Party],
    text: &str,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Reminder {
    let mut events = vec![Event::Reminded { item }];
    let action = if item.is_some() {
        "action_item_late"
    } else {
        "review_overdue"
    };
    // Templates are compiled by `policy check`; a notice that cannot be rendered is left
    // out rather than stopping the sweep (the reminder itself is still recorded).
    if let Ok(Some(n)) = compose::tell_internal(policy, case, action, parties, text, due, now) {
        events.push(n);
    }
    Reminder { item, due, events }
}
