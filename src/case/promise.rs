//! What we promise the customer, and when: a time that is always still ahead.
//!
//! Pure: a function of (policy, case, now). A case that waits for a first response promises
//! the response; after that, the resolution. The time is, in this order, the first that is
//! still ahead of `now`: an explicit `esc update --customer --eta`, the SLA clock's due time,
//! a re-commitment already given, the tier budget's due time, and finally the current tier's
//! budget counted from now on the case's calendar. When the clock's own due time has passed,
//! the promise says so (`missed`), so no customer is ever shown a time in the past as a plan.

use super::fold::Case;
use crate::policy::{Policy, Status};
use crate::sla::calendar;
use crate::sla::clock::{ClockState, clocks};
use chrono::{DateTime, TimeDelta, Utc};

/// What is promised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Promised {
    /// A first response.
    Response,
    /// The resolution.
    Resolution,
}

/// A promise to the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Promise {
    pub what: Promised,
    /// Still ahead of `now`.
    pub by: DateTime<Utc>,
    /// The time given before (or the target) that has passed, when this is a re-commitment.
    pub missed: Option<DateTime<Utc>>,
}

/// The promise to make at `now`; `None` for a case that is paused, resolved or closed (it
/// promises nothing until work resumes).
pub fn current(policy: &Policy, case: &Case, now: DateTime<Utc>) -> Option<Promise> {
    if matches!(
        case.status,
        Status::Paused | Status::Resolved | Status::Closed
    ) {
        return None;
    }
    let k = clocks(policy, case, now);
    let what = if case.acknowledged_at.is_none() {
        Promised::Response
    } else {
        Promised::Resolution
    };
    let clock_due = k.as_ref().and_then(|k| {
        let c = match what {
            Promised::Response => &k.response,
            Promised::Resolution => &k.resolution,
        };
        (c.at.is_none() && c.state != ClockState::Met)
            .then_some(c.due)
            .flatten()
    });
    let ahead = |t: Option<DateTime<Utc>>| t.filter(|t| *t > now);
    // An explicit commitment or the SLA target, while still ahead.
    let last_given = case.more().promise.map(|(t, _)| t);
    if what == Promised::Resolution
        && let Some(eta) = ahead(case.more().eta)
    {
        return Some(Promise {
            what,
            by: eta,
            missed: None,
        });
    }
    if let Some(due) = ahead(clock_due) {
        return Some(Promise {
            what,
            by: due,
            missed: None,
        });
    }
    // The target has passed (or there is none): say so and re-commit.
    let missed = clock_due.or(last_given).filter(|t| *t <= now);
    let tier_due = k
        .as_ref()
        .and_then(|k| k.tier.as_ref())
        .filter(|c| c.at.is_none())
        .and_then(|c| c.due);
    let by = ahead(last_given)
        .or_else(|| ahead(tier_due))
        .or_else(|| ahead(budget_from_now(policy, case, now)))
        .unwrap_or(now + TimeDelta::hours(1));
    Some(Promise { what, by, missed })
}

/// The current tier's budget for the case's severity, counted from `now` in open time.
fn budget_from_now(policy: &Policy, case: &Case, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let tier = policy.tier(case.tier_on(&case.home_path)?)?;
    let budget = *tier.escalate_after.get(case.severity.as_str())?;
    let cal = policy.calendar_for(&case.severity)?;
    calendar::add_open_time(cal, now, budget)
}

/// When the last promise given to the customer falls due, while the case is being worked on
/// (the sweep re-commits once it has passed).
pub fn due(case: &Case) -> Option<DateTime<Utc>> {
    if !matches!(case.status, Status::Open | Status::Acknowledged) {
        return None;
    }
    case.more().promise.map(|(t, _)| t)
}

/// Whether the last promise given to the customer has passed unmet at `now` (the sweep then
/// re-commits).
pub fn missed(case: &Case, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    due(case).filter(|t| *t <= now)
}
