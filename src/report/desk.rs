//! The figures of `esc report desk`, a service desk's view: pure functions of (policy, cases,
//! now), like [`super::metrics`].
//!
//! Every duration here is **business time**: open time on the case's SLA calendar (its
//! severity's, or its account's; see [`Policy::case_calendar`]) — a desk works its hours, and
//! nights and weekends would otherwise swamp a tier's figure. A case whose severity is no
//! longer in the policy is measured in wall time.

use super::metrics::{
    GroupBy, Spread, cause_key, cause_shown, csat, monday, pct, per_group, root_cause, week_label,
};
use crate::case::event::ONCALL;
use crate::case::slots::CaseSlots;
use crate::case::{Case, Event, Record};
use crate::name::Name;
use crate::policy::Policy;
use crate::sla::calendar::open_time_between;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use chrono_tz::Tz;
use std::collections::{BTreeMap, HashMap, HashSet};

/// `--every`: the length of a period of the backlog series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Every {
    Day,
    Week,
}

impl Every {
    pub fn as_str(self) -> &'static str {
        match self {
            Every::Day => "day",
            Every::Week => "week",
        }
    }
}

/// What the desk report looks at: every event people or sweep record on a case (whose
/// actor accepted a handoff, who worked in a swarm), but not what no report reads (the
/// outbox's bookkeeping, monitoring alerts: [`crate::case::unread_by_reports`]) nor the
/// `opened` event (what the report takes from it, the case keeps:
/// [`Case::first_owner`], [`Case::home_path`], [`Case::opened_tier`]). Each is kept as a
/// [`Step`], not as its record.
pub fn kept(e: &Event) -> bool {
    !matches!(e, Event::Opened { .. }) && !crate::case::unread_by_reports(e.name())
}

/// What the desk report takes from one event it looks at ([`kept`]): when, who, and the
/// little its figures need. About 90 bytes where the event's record is nearly three hundred: a
/// mature ledger has millions of them, and the report holds them all at once.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub at: DateTime<Utc>,
    pub actor: Name,
    pub what: What,
}

/// The kinds of [`Step`].
#[derive(Debug, Clone, PartialEq)]
pub enum What {
    /// Escalated (`escalation`) or de-escalated to `tier` of `path`, and given to `owner`.
    Moved {
        path: Name,
        tier: Name,
        owner: Name,
        escalation: bool,
    },
    /// De-escalated off `path` (no tier of it left).
    Left {
        path: Name,
    },
    Assigned {
        to: Name,
    },
    Resolved,
    Reopened,
    /// A swarm started: its facilitator, then its members.
    SwarmStarted {
        people: Box<[Name]>,
    },
    SwarmEnded,
    /// Any other event the report looks at (only its time and actor count).
    Other,
}

impl Step {
    /// The step of a record, if the report looks at its event ([`kept`]).
    pub fn of(r: &Record) -> Option<Step> {
        if !kept(&r.event) {
            return None;
        }
        let what = match &r.event {
            Event::Escalated {
                path, to, owner, ..
            } => What::Moved {
                path: Name::new(path),
                tier: Name::new(to),
                owner: Name::new(owner),
                escalation: true,
            },
            Event::Deescalated {
                path,
                to: Some(to),
                owner,
                ..
            } => What::Moved {
                path: Name::new(path),
                tier: Name::new(to),
                owner: Name::new(owner),
                escalation: false,
            },
            Event::Deescalated { path, to: None, .. } => What::Left {
                path: Name::new(path),
            },
            Event::Assigned { to } => What::Assigned { to: Name::new(to) },
            Event::Resolved { .. } => What::Resolved,
            Event::Reopened { .. } => What::Reopened,
            Event::SwarmStarted {
                facilitator,
                members,
                ..
            } => What::SwarmStarted {
                people: std::iter::once(facilitator)
                    .chain(members)
                    .map(|p| Name::new(p))
                    .collect(),
            },
            Event::SwarmEnded { .. } => What::SwarmEnded,
            _ => What::Other,
        };
        Some(Step {
            at: r.at,
            actor: Name::new(&r.actor),
            what,
        })
    }
}

/// The steps of every case, in ledger order: what the desk report reads of the events
/// (the cases it folds keep none). Made while the ledger is read, a record at a time.
#[derive(Debug, Default)]
pub struct Trails {
    slots: CaseSlots,
    steps: Vec<Vec<Step>>,
}

impl Trails {
    /// Take the step of one more record (ledger order), if it makes one.
    pub fn push(&mut self, r: &Record) {
        if r.case == ONCALL {
            return;
        }
        let Some(step) = Step::of(r) else { return };
        let slot = match self.slots.find(&r.case) {
            Some(slot) => slot,
            None => {
                let slot = self.steps.len();
                self.slots.remember(&r.case, slot);
                self.steps.push(Vec::new());
                slot
            }
        };
        self.steps[slot].push(step);
    }

    /// The steps of one case (none if it has none).
    pub fn of(&self, case: &str) -> &[Step] {
        self.slots.find(case).map_or(&[], |slot| &self.steps[slot])
    }

    /// Every step of every case.
    fn all(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().flatten()
    }
}

/// One group of `esc report desk`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeskRow {
    pub group: String,
    pub cases: usize,
    /// Resolved (or closed) now.
    pub resolved: usize,
    /// Of those, resolved at first contact (see [`first_contact`]).
    pub first_contact: usize,
    /// Resolved at least once (whatever they are now).
    pub ever_resolved: usize,
    /// Of those, reopened at least once.
    pub reopened: usize,
    pub handoffs: usize,
    /// Handoffs the new owner acted on, and how long that took.
    pub accepted: Spread,
    pub csat: Option<f64>,
    pub csat_responses: usize,
    /// Cases whose root cause recurred (see [`Recurrence`]).
    pub recurred: usize,
}

impl DeskRow {
    pub fn first_contact_pct(&self) -> Option<f64> {
        pct(self.first_contact, self.resolved)
    }
    pub fn reopen_pct(&self) -> Option<f64> {
        pct(self.reopened, self.ever_resolved)
    }
}

/// Time spent in one tier of one path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TierTime {
    pub path: String,
    pub tier: String,
    /// Completed stints (left by an escalation, a de-escalation or a resolution).
    pub time: Spread,
    /// Cases in this tier now, still being worked (their stint is not counted yet).
    pub now: usize,
}

/// One person's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonRow {
    pub person: String,
    /// Cases they own now (the owner at resolution for resolved cases).
    pub owned: usize,
    /// Resolved cases whose last resolution they recorded.
    pub resolved: usize,
    /// Handoffs to them, and those they acted on with the delay.
    pub handoffs: usize,
    pub accepted: Spread,
    /// Cases whose swarm they were in (facilitator or member).
    pub swarms: usize,
    /// Events they recorded on those cases while the swarm ran (starting and ending it
    /// aside).
    pub swarm_actions: usize,
}

/// One period of the open-backlog series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BacklogRow {
    /// `2026-11-23` (a day) or `2026-W48` (a week).
    pub period: String,
    /// Its first day.
    pub start: NaiveDate,
    /// Cases opened in the period.
    pub opened: usize,
    /// Resolutions in the period (a case resolved twice counts twice).
    pub resolved: usize,
    /// Cases open (not resolved or closed) at the end of the period.
    pub open: usize,
}

/// A follow-up with the customer's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub case: String,
    pub at: DateTime<Utc>,
    pub csat: Option<u8>,
    pub owner: String,
    pub comment: String,
}

/// A case whose root cause matches an earlier review whose action items were all done
/// before the case was opened: the fix did not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurrence {
    pub case: String,
    pub opened_at: DateTime<Utc>,
    pub root_cause: String,
    /// The case of the earlier review (the latest one, if several match).
    pub earlier: String,
    /// When its last action item was done.
    pub done_at: DateTime<Utc>,
}

/// `esc report desk`.
#[derive(Debug, Clone, PartialEq)]
pub struct Desk {
    pub rows: Vec<DeskRow>,
    pub tiers: Vec<TierTime>,
    pub people: Vec<PersonRow>,
    pub backlog: Vec<BacklogRow>,
    pub comments: Vec<Comment>,
    pub recurrences: Vec<Recurrence>,
}

/// What the backlog series covers: periods from `since` (else the first case opened) to
/// `until` (exclusive; else `now`).
#[derive(Debug, Clone, Copy)]
pub struct Span {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub every: Every,
}

/// Business time between two instants of a case (see the module's notes).
fn business(policy: &Policy, case: &Case, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    match policy.case_calendar(&case.severity, case.account.as_deref()) {
        Some(cal) => open_time_between(cal, from, to).num_seconds(),
        None => (to - from).num_seconds().max(0),
    }
}

/// Resolved at first contact: resolved now, never escalated (on any path), never assigned to
/// anyone but the owner it was opened with, never reopened.
pub fn first_contact(case: &Case, steps: &[Step]) -> bool {
    if case.is_active() || case.resolved_at.is_none() || case.reopened > 0 {
        return false;
    }
    let first = case.first_owner();
    !steps.iter().any(|s| match &s.what {
        What::Moved { escalation, .. } => *escalation,
        What::Assigned { to } => to.as_str() != first,
        _ => false,
    })
}

/// A handoff: the case was given to `to` (an escalation, a de-escalation to a tier or an
/// assignment naming someone other than who recorded it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handoff {
    pub to: String,
    pub at: DateTime<Utc>,
    /// Business seconds until `to` first recorded anything on the case; `None` if they have
    /// not yet.
    pub accepted_after: Option<i64>,
}

/// The handoffs of a case (whose steps are `steps`), in order.
pub fn handoffs(policy: &Policy, case: &Case, steps: &[Step]) -> Vec<Handoff> {
    steps
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let to = match &s.what {
                What::Moved { owner, .. } => *owner,
                What::Assigned { to } => *to,
                _ => return None,
            };
            if to == s.actor {
                return None;
            }
            let accepted_after = steps[i + 1..]
                .iter()
                .find(|later| later.actor == to)
                .map(|later| business(policy, case, s.at, later.at));
            Some(Handoff {
                to: to.to_string(),
                at: s.at,
                accepted_after,
            })
        })
        .collect()
}

/// A stay of a case in a tier: `(path, tier, business seconds)`, or `None` seconds while
/// the case is still there and being worked.
type Stint = (String, String, Option<i64>);

/// Every stay of a case in a tier. A stay starts when the case is opened, escalated or
/// de-escalated to the tier, or reopened while at it; it ends with the next move on that
/// path or with the resolution.
pub fn stints(policy: &Policy, case: &Case, steps: &[Step]) -> Vec<Stint> {
    let mut out = Vec::new();
    // path → (tier, running since; None while the case is resolved)
    let mut at: BTreeMap<&str, (&str, Option<DateTime<Utc>>)> = BTreeMap::new();
    let mut resolved = false;
    let end = |out: &mut Vec<Stint>, path: &str, tier: &str, from: Option<DateTime<Utc>>, to| {
        if let Some(from) = from {
            out.push((
                path.to_string(),
                tier.to_string(),
                Some(business(policy, case, from, to)),
            ));
        }
    };
    // The first stay: where the case was opened (the case keeps it; the `opened` event
    // need not be kept).
    at.insert(
        case.home_path.as_str(),
        (case.opened_tier.as_str(), Some(case.opened_at)),
    );
    for s in steps {
        let running = (!resolved).then_some(s.at);
        match &s.what {
            What::Moved { path, tier, .. } => {
                if let Some((left, from)) = at.insert(path.as_str(), (tier.as_str(), running)) {
                    end(&mut out, path, left, from, s.at);
                }
            }
            What::Left { path } => {
                if let Some((tier, from)) = at.remove(path.as_str()) {
                    end(&mut out, path, tier, from, s.at);
                }
            }
            What::Resolved => {
                resolved = true;
                for (path, (tier, from)) in at.iter_mut() {
                    end(&mut out, path, tier, from.take(), s.at);
                }
            }
            What::Reopened => {
                resolved = false;
                for (_, from) in at.values_mut() {
                    *from = Some(s.at);
                }
            }
            _ => {}
        }
    }
    if case.is_active() {
        for (path, (tier, from)) in at {
            if from.is_some() {
                out.push((path.to_string(), tier.to_string(), None));
            }
        }
    }
    out
}

/// Per person: events recorded while a swarm they were in ran, per case.
fn swarm_work(steps: &[Step], now: DateTime<Utc>) -> BTreeMap<&'static str, usize> {
    let mut out: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, s) in steps.iter().enumerate() {
        let What::SwarmStarted { people } = &s.what else {
            continue;
        };
        let rest = &steps[i + 1..];
        let until = rest
            .iter()
            .find(|e| e.what == What::SwarmEnded)
            .map_or(now, |e| e.at);
        let during: Vec<&Step> = rest
            .iter()
            .take_while(|e| e.at <= until)
            .filter(|e| e.what != What::SwarmEnded)
            .collect();
        for who in people {
            let n = during.iter().filter(|e| e.actor == *who).count();
            *out.entry(who.as_str()).or_default() += n;
        }
    }
    out
}

/// Cases whose root cause recurred: it matches (as [`cause_key`] compares them) the root
/// cause of a review of another case, with at least one action item, all of them done
/// before this case was opened. `all` are every case (an earlier review may be on a case
/// the report does not cover).
pub fn recurrences(all: &[Case], cases: &[&Case]) -> Vec<Recurrence> {
    let mut done: HashMap<String, Vec<(DateTime<Utc>, &str)>> = HashMap::new();
    for c in all {
        let Some(review) = &c.review else { continue };
        if review.actions.is_empty() || review.actions.iter().any(|a| a.done_at.is_none()) {
            continue;
        }
        if let Some(at) = review.actions.iter().filter_map(|a| a.done_at).max() {
            done.entry(cause_key(&review.root_cause))
                .or_default()
                .push((at, c.id.as_str()));
        }
    }
    let mut out: Vec<Recurrence> = cases
        .iter()
        .filter_map(|c| {
            let cause = root_cause(c)?;
            let (done_at, earlier) = done
                .get(&cause_key(cause))?
                .iter()
                .filter(|(at, id)| *at < c.opened_at && *id != c.id)
                .max()?;
            Some(Recurrence {
                case: c.id.to_string(),
                opened_at: c.opened_at,
                root_cause: cause_shown(cause),
                earlier: earlier.to_string(),
                done_at: *done_at,
            })
        })
        .collect();
    out.sort_by(|a, b| (a.opened_at, &a.case).cmp(&(b.opened_at, &b.case)));
    out
}

/// Follow-ups with a comment, lowest satisfaction first (those without a score last), then
/// oldest first.
pub fn comments(cases: &[&Case]) -> Vec<Comment> {
    let mut out: Vec<Comment> = cases
        .iter()
        .filter_map(|c| {
            let f = c.more().followup.as_ref()?;
            let text = f.comment.as_deref()?.trim();
            (!text.is_empty()).then(|| Comment {
                case: c.id.to_string(),
                at: f.at,
                csat: f.csat,
                owner: c.owner.to_string(),
                comment: text.to_string(),
            })
        })
        .collect();
    out.sort_by(|a, b| {
        (a.csat.is_none(), a.csat, a.at, &a.case).cmp(&(b.csat.is_none(), b.csat, b.at, &b.case))
    });
    out
}

/// The first instant of a local date (the first hour that exists, across a DST gap).
fn midnight(d: NaiveDate, tz: Tz) -> DateTime<Utc> {
    (0..4)
        .find_map(|h| {
            NaiveTime::from_hms_opt(h, 0, 0).and_then(|t| crate::timefmt::local(d.and_time(t), tz))
        })
        .unwrap_or_else(|| d.and_time(NaiveTime::MIN).and_utc())
}

/// The open backlog per period, counted at the end of each period in the policy's time
/// zone (the last period at the end of the series). `all` are every case of the ledger:
/// the backlog is what was open then, whenever it was opened.
pub fn backlog(
    policy: &Policy,
    all: &[Case],
    trails: &Trails,
    span: Span,
    now: DateTime<Utc>,
) -> Vec<BacklogRow> {
    let tz = policy.defaults.timezone;
    let local = |at: DateTime<Utc>| at.with_timezone(&tz).date_naive();
    let period_of = |d: NaiveDate| match span.every {
        Every::Day => d,
        Every::Week => monday(d),
    };
    let next = |d: NaiveDate| match span.every {
        Every::Day => d + TimeDelta::days(1),
        Every::Week => d + TimeDelta::days(7),
    };
    // The series ends at `until` (exclusive) or at `now` (inclusive).
    let (end, end_inclusive) = match span.until {
        Some(u) if u <= now => (u, false),
        _ => (now, true),
    };
    // (when, +1 opened or reopened / -1 resolved, whether it is an opening, a resolution)
    let mut changes: Vec<(DateTime<Utc>, i64, bool, bool)> = Vec::new();
    changes.extend(all.iter().map(|c| (c.opened_at, 1, true, false)));
    for s in trails.all() {
        match s.what {
            What::Resolved => changes.push((s.at, -1, false, true)),
            What::Reopened => changes.push((s.at, 1, false, false)),
            _ => {}
        }
    }
    // Changes at the same instant count in the same period whatever their order: an
    // unstable sort, without a scratch copy.
    changes.sort_unstable_by_key(|c| c.0);
    let first = match span.since {
        Some(s) => Some(s),
        None => changes.first().map(|c| c.0),
    };
    let Some(first) = first else {
        return Vec::new();
    };
    let last_day = if end_inclusive {
        local(end)
    } else {
        local(end - TimeDelta::nanoseconds(1))
    };
    let mut out = Vec::new();
    let (mut open, mut i) = (0i64, 0usize);
    let mut period = period_of(local(first));
    while period <= last_day && first < end {
        let period_end = midnight(next(period), tz);
        let (cut, inclusive) = if period_end < end || (period_end == end && !end_inclusive) {
            (period_end, false)
        } else {
            (end, end_inclusive)
        };
        let (mut opened, mut resolved) = (0, 0);
        while let Some(&(at, delta, is_open, is_resolve)) = changes.get(i) {
            if at > cut || (at == cut && !inclusive) {
                break;
            }
            open += delta;
            if span.since.is_none_or(|s| at >= s) {
                opened += usize::from(is_open);
                resolved += usize::from(is_resolve);
            }
            i += 1;
        }
        out.push(BacklogRow {
            period: match span.every {
                Every::Day => period.to_string(),
                Every::Week => week_label(period),
            },
            start: period,
            opened,
            resolved,
            open: usize::try_from(open).unwrap_or(0),
        });
        period = next(period);
    }
    out
}

/// `esc report desk`: per group first-contact resolution, reopen rate, handoff acceptance,
/// CSAT and recurrences; time in each tier; per person; the open backlog; follow-up
/// comments; recurrences. `cases` are the cases the report covers, `all` every case.
pub fn desk(
    policy: &Policy,
    all: &[Case],
    trails: &Trails,
    cases: &[&Case],
    by: Option<GroupBy>,
    span: Span,
    now: DateTime<Utc>,
) -> Desk {
    // Only the cases with handoffs: most have none, and a map entry for each of a hundred
    // thousand cases would hold megabytes.
    let handoffs_of: HashMap<&str, Vec<Handoff>> = cases
        .iter()
        .map(|c| (c.id.as_str(), handoffs(policy, c, trails.of(&c.id))))
        .filter(|(_, hs)| !hs.is_empty())
        .collect();
    let recurrences = recurrences(all, cases);
    let recurred: HashSet<&str> = recurrences.iter().map(|r| r.case.as_str()).collect();
    let delays = |hs: &mut dyn Iterator<Item = &Handoff>| -> (usize, Spread) {
        let mut n = 0;
        let mut accepted = Vec::new();
        for h in hs {
            n += 1;
            accepted.extend(h.accepted_after);
        }
        (n, Spread::of(accepted))
    };
    let rows = per_group(policy, cases, by, |group, cs| {
        let resolved: Vec<&&Case> = cs
            .iter()
            .filter(|c| !c.is_active() && c.resolved_at.is_some())
            .collect();
        let ever: Vec<&&Case> = cs
            .iter()
            .filter(|c| !c.more().resolved_spans.is_empty())
            .collect();
        let (handoffs, accepted) = delays(
            &mut cs
                .iter()
                .flat_map(|c| handoffs_of.get(c.id.as_str()).into_iter().flatten()),
        );
        let (csat, csat_responses) = csat(cs);
        DeskRow {
            group: group.to_string(),
            cases: cs.len(),
            resolved: resolved.len(),
            first_contact: resolved
                .iter()
                .filter(|c| first_contact(c, trails.of(&c.id)))
                .count(),
            ever_resolved: ever.len(),
            reopened: ever.iter().filter(|c| c.reopened > 0).count(),
            handoffs,
            accepted,
            csat,
            csat_responses,
            recurred: cs
                .iter()
                .filter(|c| recurred.contains(c.id.as_str()))
                .count(),
        }
    });
    // Tiers: the policy's in its order, then any other the cases name.
    let mut times: BTreeMap<(String, String), (Vec<i64>, usize)> = BTreeMap::new();
    for c in cases {
        for (path, tier, secs) in stints(policy, c, trails.of(&c.id)) {
            let e = times.entry((path, tier)).or_default();
            match secs {
                Some(s) => e.0.push(s),
                None => e.1 += 1,
            }
        }
    }
    let mut tiers: Vec<TierTime> = policy
        .tiers
        .iter()
        .map(|t| {
            let (values, now) = times
                .remove(&(t.path.clone(), t.id.clone()))
                .unwrap_or_default();
            TierTime {
                path: t.path.clone(),
                tier: t.id.clone(),
                time: Spread::of(values),
                now,
            }
        })
        .collect();
    tiers.extend(
        times
            .into_iter()
            .map(|((path, tier), (values, now))| TierTime {
                path,
                tier,
                time: Spread::of(values),
                now,
            }),
    );
    // People.
    let mut people: BTreeMap<String, (PersonRow, Vec<i64>)> = BTreeMap::new();
    fn person<'m>(
        people: &'m mut BTreeMap<String, (PersonRow, Vec<i64>)>,
        name: &str,
    ) -> &'m mut (PersonRow, Vec<i64>) {
        people.entry(name.to_string()).or_insert_with(|| {
            (
                PersonRow {
                    person: name.to_string(),
                    ..PersonRow::default()
                },
                Vec::new(),
            )
        })
    }
    for c in cases {
        person(&mut people, &c.owner).0.owned += 1;
        let steps = trails.of(&c.id);
        if !c.is_active()
            && let Some(s) = steps.iter().rev().find(|s| s.what == What::Resolved)
        {
            person(&mut people, &s.actor).0.resolved += 1;
        }
        for h in handoffs_of.get(c.id.as_str()).into_iter().flatten() {
            let p = person(&mut people, &h.to);
            p.0.handoffs += 1;
            p.1.extend(h.accepted_after);
        }
        for (who, n) in swarm_work(steps, now) {
            let p = person(&mut people, who);
            p.0.swarms += 1;
            p.0.swarm_actions += n;
        }
    }
    let people = people
        .into_values()
        .map(|(mut row, delays)| {
            row.accepted = Spread::of(delays);
            row
        })
        .collect();
    Desk {
        rows,
        tiers,
        people,
        backlog: backlog(policy, all, trails, span, now),
        comments: comments(cases),
        recurrences,
    }
}

#[cfg(test)]
mod tests {
    //! The pure figures over the desk fixture (tests/fixtures/report/desk_ledger.jsonl,
    //! described case by case in tests/cli_report.rs), at now = Fri 2026-11-27 12:00 UTC.
    use super::*;
    use crate::case::Folder;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    fn now() -> DateTime<Utc> {
        at("2026-11-27T12:00:00Z")
    }

    fn policy() -> Policy {
        crate::policy::parse(include_str!("../../tests/fixtures/report/policy.toml"))
            .expect("valid")
    }

    /// The fixture's cases as the report folds them (keeping no event), and their steps.
    fn cases() -> (Vec<Case>, Trails) {
        let (mut folder, mut trails) = (Folder::new(false), Trails::default());
        for line in include_str!("../../tests/fixtures/report/desk_ledger.jsonl")
            .lines()
            .skip(1)
        {
            let r: Record = serde_json::from_str(line).expect("record");
            if r.at <= now() {
                trails.push(&r);
                folder.push(r);
            }
        }
        (folder.finish().expect("folds"), trails)
    }

    fn case<'a>(cases: &'a [Case], id: &str) -> &'a Case {
        cases.iter().find(|c| c.id == id).expect("case")
    }

    #[test]
    fn first_contact_needs_no_escalation_reassignment_or_reopening() {
        let (cs, trails) = cases();
        let fcr: Vec<&str> = cs
            .iter()
            .filter(|c| first_contact(c, trails.of(&c.id)))
            .map(|c| c.id.as_str())
            .collect();
        // ESC-2, 6 escalated; ESC-3 assigned to ana; ESC-4 reopened; ESC-5, 7 unresolved.
        assert_eq!(fcr, ["ESC-1"]);
    }

    #[test]
    fn handoffs_are_accepted_by_the_new_owners_first_event_in_business_time() {
        let (p, (cs, trails)) = (policy(), cases());
        let handoffs = |id| handoffs(&p, case(&cs, id), trails.of(id));
        // Mon 16:00 → Tue 09:30: 17h30m wall, 1h + 30m on the office calendar.
        assert_eq!(
            handoffs("ESC-2"),
            [Handoff {
                to: "carl".into(),
                at: at("2026-11-16T16:00:00Z"),
                accepted_after: Some(90 * 60),
            }]
        );
        // dee's note is after now: not accepted.
        assert_eq!(handoffs("ESC-5")[0].accepted_after, None);
        assert!(handoffs("ESC-1").is_empty());
    }

    #[test]
    fn a_reopening_starts_a_new_stay_in_the_tier() {
        let (p, (cs, trails)) = (policy(), cases());
        let stints = |id| stints(&p, case(&cs, id), trails.of(id));
        let l1 = |secs| ("technical".to_string(), "L1".to_string(), secs);
        assert_eq!(stints("ESC-4"), [l1(Some(40 * 60)), l1(Some(3600))]);
        // Still there: an open stay, counted as "now".
        assert_eq!(stints("ESC-7"), [l1(None)]);
    }

    #[test]
    fn recurrence_needs_every_action_done_before_the_case_opened() {
        let (cs, _) = cases();
        let all: Vec<&Case> = cs.iter().collect();
        let r = recurrences(&cs, &all);
        assert_eq!(r.len(), 1);
        assert_eq!(
            (r[0].case.as_str(), r[0].earlier.as_str()),
            ("ESC-6", "ESC-2")
        );
    }

    #[test]
    fn the_backlog_is_counted_at_local_midnight() {
        let (p, (cs, trails)) = (policy(), cases());
        let span = Span {
            since: Some(at("2026-11-19T00:00:00Z")),
            until: Some(at("2026-11-20T00:00:00Z")),
            every: Every::Day,
        };
        // Thu 11-19: ESC-4 opened, resolved, reopened, resolved: nothing open at midnight.
        let b = backlog(&p, &cs, &trails, span, now());
        assert_eq!(b.len(), 1);
        assert_eq!((b[0].opened, b[0].resolved, b[0].open), (1, 2, 0));
        // A zone whose clocks jump from 00:00 to 01:00 (Havana, 2026-03-08): the day starts
        // at 01:00 CDT = 05:00 UTC.
        let d = NaiveDate::from_ymd_opt(2026, 3, 8).expect("date");
        assert_eq!(
            midnight(d, chrono_tz::America::Havana),
            at("2026-03-08T05:00:00Z")
        );
    }
}
