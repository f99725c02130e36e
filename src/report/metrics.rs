//! The figures of every report: pure functions of (policy, cases, now). Nothing here formats
//! text; [`super::build`] turns these figures into tables and [`super::render`] prints them.
//!
//! Durations are whole seconds. Percentiles are **nearest-rank**: of n sorted values, the
//! p-th percentile is the value at rank ⌈p/100 · n⌉ (1-based), so the median of 1, 2, 3, 4
//! is 2 and the p90 of ten values is the ninth.

use crate::case::{Case, Event, Mark};
use crate::policy::Policy;
use crate::review::{self, State};
use crate::sla::calendar::open_time_between;
use crate::sla::clock::{Clock, ClockKind, ClockState, Clocks, shown_clocks};
use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use std::collections::{BTreeMap, HashMap, HashSet};

/// What `--by` groups cases by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    /// The case's tier on its home path (where it is, or where it was resolved).
    Tier,
    Severity,
    Type,
    /// The account, `(none)` for cases without one.
    Account,
    /// The ISO week the case was opened in (display time zone), `2026-W48`.
    Week,
    /// The case's owner now (the owner at resolution for resolved cases).
    Owner,
    /// Each label of the case (a product area): a case with two labels is in both groups,
    /// `(none)` for cases without one; the `all` row counts every case once.
    Label,
}

impl GroupBy {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Tier => "tier",
            GroupBy::Severity => "severity",
            GroupBy::Type => "type",
            GroupBy::Account => "account",
            GroupBy::Week => "week",
            GroupBy::Owner => "owner",
            GroupBy::Label => "label",
        }
    }
}

/// The label of the row that sums every group.
pub const ALL: &str = "all";
/// The group of cases without an account (or a tier).
pub const NONE: &str = "(none)";

/// The nearest-rank percentile `p` (1–100) of ascending `sorted` values.
pub fn percentile(sorted: &[i64], p: u32) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    let rank = (p as usize * n).div_ceil(100).clamp(1, n);
    Some(sorted[rank - 1])
}

/// Count, median and p90 of a set of durations (seconds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Spread {
    pub count: usize,
    pub median: Option<i64>,
    pub p90: Option<i64>,
}

impl Spread {
    pub fn of(mut values: Vec<i64>) -> Spread {
        values.sort_unstable();
        Spread {
            count: values.len(),
            median: percentile(&values, 50),
            p90: percentile(&values, 90),
        }
    }
}

/// `part / whole` in percent; `None` when `whole` is zero.
pub fn pct(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
}

/// The mean satisfaction (1–5) of the cases' follow-ups that gave one, and how many did.
pub fn csat(cases: &[&Case]) -> (Option<f64>, usize) {
    let scores: Vec<u8> = cases.iter().filter_map(|c| csat_of(c)).collect();
    mean_csat(&scores)
}

/// The satisfaction (1–5) a case's follow-up gave, if it gave one.
fn csat_of(c: &Case) -> Option<u8> {
    c.more().followup.as_ref().and_then(|f| f.csat)
}

/// The mean of satisfaction scores (`None` without any), and how many there are.
fn mean_csat(scores: &[u8]) -> (Option<f64>, usize) {
    let mean = (!scores.is_empty())
        .then(|| scores.iter().map(|&x| f64::from(x)).sum::<f64>() / scores.len() as f64);
    (mean, scores.len())
}

/// The ISO week of an instant in a time zone, as `2026-W48`.
pub fn iso_week(at: DateTime<Utc>, tz: Tz) -> String {
    week_label(at.with_timezone(&tz).date_naive())
}

pub(crate) fn week_label(d: NaiveDate) -> String {
    let w = d.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

/// The Monday of the ISO week of a date.
pub(crate) fn monday(d: NaiveDate) -> NaiveDate {
    d - TimeDelta::days(i64::from(d.weekday().num_days_from_monday()))
}

/// The groups a case falls in: one, except by label (each of its labels).
pub fn group_keys(policy: &Policy, case: &Case, by: GroupBy) -> Vec<String> {
    let one = match by {
        GroupBy::Severity => case.severity.to_string(),
        GroupBy::Type => case.case_type.to_string(),
        GroupBy::Account => case.account.as_deref().unwrap_or(NONE).to_string(),
        GroupBy::Tier => case
            .tier_on(&case.home_path)
            .map_or_else(|| NONE.into(), str::to_string),
        GroupBy::Week => iso_week(case.opened_at, policy.defaults.timezone),
        GroupBy::Owner => case.owner.to_string(),
        GroupBy::Label if case.labels.is_empty() => NONE.into(),
        GroupBy::Label => {
            let mut labels = case.labels.to_vec();
            labels.sort();
            labels.dedup();
            return labels;
        }
    };
    vec![one]
}

/// Groups in the policy's order (severities, tiers, types as written), then the others
/// alphabetically, `(none)` last; weeks in time order.
fn sort_groups<T>(policy: &Policy, by: GroupBy, groups: &mut [(String, T)]) {
    let position = |key: &str| -> usize {
        let pos = match by {
            GroupBy::Severity => policy.severities.iter().position(|s| s.id == key),
            GroupBy::Tier => policy.tiers.iter().position(|t| t.id == key),
            GroupBy::Type => policy.types.iter().position(|t| t == key),
            GroupBy::Account | GroupBy::Week | GroupBy::Owner | GroupBy::Label => None,
        };
        match (pos, key == NONE) {
            (Some(p), _) => p,
            (None, false) => usize::MAX - 1,
            (None, true) => usize::MAX,
        }
    };
    groups.sort_by(|a, b| (position(&a.0), &a.0).cmp(&(position(&b.0), &b.0)));
}

/// Split cases into groups (sorted), or one group `all` without `by`.
pub(crate) fn grouped<'a>(
    policy: &Policy,
    cases: &[&'a Case],
    by: Option<GroupBy>,
) -> Vec<(String, Vec<&'a Case>)> {
    let Some(by) = by else {
        return vec![(ALL.to_string(), cases.to_vec())];
    };
    let mut map: HashMap<String, Vec<&Case>> = HashMap::new();
    for c in cases {
        for key in group_keys(policy, c, by) {
            map.entry(key).or_default().push(c);
        }
    }
    let mut groups: Vec<(String, Vec<&Case>)> = map.into_iter().collect();
    sort_groups(policy, by, &mut groups);
    groups
}

/// Each group's figures, then (with `by`) the `all` row over every case.
pub(crate) fn per_group<T>(
    policy: &Policy,
    cases: &[&Case],
    by: Option<GroupBy>,
    f: impl Fn(&str, &[&Case]) -> T,
) -> Vec<T> {
    let mut rows: Vec<T> = grouped(policy, cases, by)
        .iter()
        .map(|(g, cs)| f(g, cs))
        .collect();
    if by.is_some() {
        rows.push(f(ALL, cases));
    }
    rows
}

/// [`per_group`] for figures gathered case by case: each case's `figure` is worked out once
/// and added to the tally of each of its groups and (with `by`) of the `all` row, so
/// nothing per case is kept. Groups in [`per_group`]'s order, `all` last.
///
/// The figures are worked out on every core ([`crate::par::for_each_in_order`]) and added
/// up in case order, as on one thread.
pub(crate) fn per_group_tallied<F: Send, T: Default>(
    policy: &Policy,
    cases: &[&Case],
    by: Option<GroupBy>,
    figure: impl Fn(&Case) -> F + Sync,
    add: impl Fn(&mut T, &F),
) -> Vec<(String, T)> {
    let mut all = T::default();
    let mut groups: HashMap<String, T> = HashMap::new();
    crate::par::for_each_in_order(
        cases.len(),
        |i| figure(cases[i]),
        |i, f| {
            if let Some(by) = by {
                for key in group_keys(policy, cases[i], by) {
                    add(groups.entry(key).or_default(), &f);
                }
            }
            add(&mut all, &f);
        },
    );
    let Some(by) = by else {
        return vec![(ALL.to_string(), all)];
    };
    let mut groups: Vec<(String, T)> = groups.into_iter().collect();
    sort_groups(policy, by, &mut groups);
    groups.push((ALL.to_string(), all));
    groups
}

// ---------------------------------------------------------------------------------------
// sla

/// A duration in wall time and in business time (seconds).
pub type Span = (i64, Option<i64>);

/// Per case: what the SLA report needs, computed once.
#[derive(Debug, Clone, Copy, Default)]
pub struct CaseSla {
    /// Response target: `Some(true)` met, `Some(false)` breached, `None` not decided yet.
    pub response: Option<bool>,
    pub resolution: Option<bool>,
    /// Opened → acknowledged, wall and business (open time on the severity's calendar).
    pub tta: Option<Span>,
    /// Opened → resolved.
    pub ttr: Option<Span>,
}

fn decided(state: ClockState) -> Option<bool> {
    match state {
        ClockState::Met => Some(true),
        ClockState::Breached => Some(false),
        _ => None,
    }
}

/// A case's SLA figures at `now`, from its clocks.
pub fn case_sla(policy: &Policy, case: &Case, k: Option<&Clocks>) -> CaseSla {
    let cal = policy.case_calendar(&case.severity, case.account.as_deref());
    let span = |to: DateTime<Utc>| {
        (
            (to - case.opened_at).num_seconds(),
            cal.map(|c| open_time_between(c, case.opened_at, to).num_seconds()),
        )
    };
    CaseSla {
        response: k.and_then(|k| decided(k.response.state)),
        resolution: k.and_then(|k| decided(k.resolution.state)),
        tta: case.acknowledged_at.map(span),
        ttr: case.resolved_at.map(span),
    }
}

/// One row of `esc report sla`.
#[derive(Debug, Clone, PartialEq)]
pub struct SlaRow {
    pub group: String,
    pub cases: usize,
    pub response_met: usize,
    pub response_breached: usize,
    pub resolution_met: usize,
    pub resolution_breached: usize,
    pub mtta: Spread,
    pub mtta_business: Spread,
    pub mttr: Spread,
    pub mttr_business: Spread,
}

impl SlaRow {
    pub fn response_pct(&self) -> Option<f64> {
        pct(
            self.response_met,
            self.response_met + self.response_breached,
        )
    }
    pub fn resolution_pct(&self) -> Option<f64> {
        pct(
            self.resolution_met,
            self.resolution_met + self.resolution_breached,
        )
    }
}

/// `esc report sla`: compliance with the response and resolution targets (of the cases
/// whose target is decided: met or breached), MTTA and MTTR in wall and business time.
///
/// Each case's figures are worked out once and tallied ([`per_group_tallied`]), so nothing
/// per case is kept beyond the durations the spreads need.
pub fn sla(
    policy: &Policy,
    cases: &[&Case],
    by: Option<GroupBy>,
    now: DateTime<Utc>,
) -> Vec<SlaRow> {
    per_group_tallied(
        policy,
        cases,
        by,
        |c| case_sla(policy, c, shown_clocks(policy, c, now).as_ref()),
        SlaTally::add,
    )
    .into_iter()
    .map(|(group, tally)| tally.row(&group))
    .collect()
}

/// The figures of one row of `esc report sla`, gathered case by case.
#[derive(Debug, Default)]
struct SlaTally {
    cases: usize,
    response_met: usize,
    response_breached: usize,
    resolution_met: usize,
    resolution_breached: usize,
    tta: Vec<i64>,
    tta_business: Vec<i64>,
    ttr: Vec<i64>,
    ttr_business: Vec<i64>,
}

impl SlaTally {
    fn add(&mut self, f: &CaseSla) {
        self.cases += 1;
        let count = |decided: Option<bool>, met: &mut usize, breached: &mut usize| match decided {
            Some(true) => *met += 1,
            Some(false) => *breached += 1,
            None => {}
        };
        count(
            f.response,
            &mut self.response_met,
            &mut self.response_breached,
        );
        count(
            f.resolution,
            &mut self.resolution_met,
            &mut self.resolution_breached,
        );
        for (span, wall, business) in [
            (f.tta, &mut self.tta, &mut self.tta_business),
            (f.ttr, &mut self.ttr, &mut self.ttr_business),
        ] {
            if let Some((w, b)) = span {
                wall.push(w);
                business.extend(b);
            }
        }
    }

    fn row(self, group: &str) -> SlaRow {
        SlaRow {
            group: group.to_string(),
            cases: self.cases,
            response_met: self.response_met,
            response_breached: self.response_breached,
            resolution_met: self.resolution_met,
            resolution_breached: self.resolution_breached,
            mtta: Spread::of(self.tta),
            mtta_business: Spread::of(self.tta_business),
            mttr: Spread::of(self.ttr),
            mttr_business: Spread::of(self.ttr_business),
        }
    }
}

// ---------------------------------------------------------------------------------------
// trends

/// One week of `esc report trends`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeekRow {
    /// `2026-W48`.
    pub week: String,
    /// Its Monday.
    pub start: NaiveDate,
    pub opened: usize,
    pub escalated: usize,
    pub breached: usize,
    pub resolved: usize,
}

/// `esc report trends`: per ISO week (display time zone) from the week of `since` (else of
/// the first event) to the week of `now`: cases opened, escalations (every `escalated`
/// event), targets breached (response and resolution targets missed, dated when they fell
/// due) and resolutions (every `resolved` event). Only what happened at or after `since`
/// and before `until` counts; the last week is the week of `until` (else of `now`).
pub fn trends(
    policy: &Policy,
    cases: &[Case],
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Vec<WeekRow> {
    let tz = policy.defaults.timezone;
    let day = |at: DateTime<Utc>| monday(at.with_timezone(&tz).date_naive());
    let counts_at = |at: DateTime<Utc>| {
        at <= now && since.is_none_or(|s| at >= s) && until.is_none_or(|u| at < u)
    };
    // Monday → [opened, escalated, breached, resolved]
    let mut weeks: BTreeMap<NaiveDate, [usize; 4]> = BTreeMap::new();
    // The week a case was opened in (if it counts) and the weeks its response and
    // resolution targets fell due in, if breached then: worked out on every core, counted
    // in case order.
    let weeks_of = |c: &Case| {
        let k = shown_clocks(policy, c, now);
        let week = |clock: Option<&Clock>| {
            clock
                .filter(|clock| clock.state == ClockState::Breached)
                .and_then(|clock| clock.due)
                .filter(|due| counts_at(*due))
                .map(day)
        };
        let opened = counts_at(c.opened_at).then(|| day(c.opened_at));
        (
            opened,
            [
                week(k.as_ref().map(|k| &k.response)),
                week(k.as_ref().map(|k| &k.resolution)),
            ],
        )
    };
    crate::par::for_each_in_order(
        cases.len(),
        |i| weeks_of(&cases[i]),
        |i, (opened, breached)| {
            let c = &cases[i];
            if let Some(week) = opened {
                weeks.entry(week).or_default()[0] += 1;
            }
            for r in &c.events {
                let slot = match r.event {
                    Event::Escalated { .. } => 1,
                    Event::Resolved { .. } => 3,
                    _ => continue,
                };
                if counts_at(r.at) {
                    weeks.entry(day(r.at)).or_default()[slot] += 1;
                }
            }
            for week in breached.into_iter().flatten() {
                weeks.entry(week).or_default()[2] += 1;
            }
        },
    );
    let first = match since {
        Some(s) => Some(day(s)),
        None => weeks.keys().next().copied(),
    };
    let Some(first) = first else {
        return Vec::new();
    };
    let last = match until {
        Some(u) if u <= now => day(u - TimeDelta::nanoseconds(1)),
        _ => day(now),
    };
    let mut out = Vec::new();
    let mut week = first;
    while week <= last {
        let [opened, escalated, breached, resolved] = weeks.get(&week).copied().unwrap_or_default();
        out.push(WeekRow {
            week: week_label(week),
            start: week,
            opened,
            escalated,
            breached,
            resolved,
        });
        week += TimeDelta::days(7);
    }
    out
}

// ---------------------------------------------------------------------------------------
// reviews

/// One row of `esc report reviews`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReviewRow {
    pub group: String,
    /// Cases that need a review (whatever their state).
    pub required: usize,
    /// Reviews recorded (required or not).
    pub recorded: usize,
    /// Required reviews waived at closing (`esc close --waive-review`).
    pub waived: usize,
    /// Required, case not resolved yet.
    pub waiting: usize,
    /// Required, resolved, not recorded, not yet past due.
    pub pending: usize,
    /// Required, resolved, not recorded, past due.
    pub overdue: usize,
    pub actions: usize,
    pub actions_open: usize,
    pub actions_late: usize,
    pub actions_done: usize,
}

impl ReviewRow {
    /// One case's figures (no group).
    fn of(policy: &Policy, c: &Case, now: DateTime<Utc>, today: chrono::NaiveDate) -> ReviewRow {
        // State, and whether the case needs a review (a recorded one may not have been
        // needed).
        let s = review_state(policy, c, now);
        let mut row = ReviewRow {
            required: usize::from(s.required()),
            ..ReviewRow::default()
        };
        match s.state {
            State::NotRequired => {}
            State::Waiting => row.waiting = 1,
            State::Pending => row.pending = 1,
            State::Overdue => row.overdue = 1,
            State::Recorded => row.recorded = 1,
            State::Waived => row.waived = 1,
        }
        for a in c.review.iter().flat_map(|r| &r.actions) {
            row.actions += 1;
            if a.done_at.is_some() {
                row.actions_done += 1;
            } else {
                row.actions_open += 1;
                row.actions_late += usize::from(a.is_late(today));
            }
        }
        row
    }

    /// Adds a case's figures to the row.
    fn add(&mut self, other: &ReviewRow) {
        self.required += other.required;
        self.recorded += other.recorded;
        self.waived += other.waived;
        self.waiting += other.waiting;
        self.pending += other.pending;
        self.overdue += other.overdue;
        self.actions += other.actions;
        self.actions_open += other.actions_open;
        self.actions_late += other.actions_late;
        self.actions_done += other.actions_done;
    }
}

/// A root cause and how many cases had it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootCause {
    pub cause: String,
    pub cases: usize,
}

/// Action items of one owner.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnerRow {
    pub owner: String,
    pub open: usize,
    pub late: usize,
    pub done: usize,
}

/// `esc report reviews`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reviews {
    pub rows: Vec<ReviewRow>,
    /// The ten most frequent root causes, most frequent first.
    pub root_causes: Vec<RootCause>,
    /// Owners of action items, most open first.
    pub owners: Vec<OwnerRow>,
}

/// A root cause as it is compared: spacing collapsed, case ignored (`"bad  DEPLOY"` and
/// `"Bad deploy"` are one cause).
pub fn cause_key(cause: &str) -> String {
    cause_shown(cause).to_lowercase()
}

/// A root cause as it is shown: spacing collapsed.
pub fn cause_shown(cause: &str) -> String {
    cause.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A case's root cause: its review's, else the one given at resolution.
pub fn root_cause(case: &Case) -> Option<&str> {
    case.review
        .as_ref()
        .map(|r| r.root_cause.as_str())
        .or(case.more().root_cause.as_deref())
}

/// The review state of a case at `now`.
pub fn review_state(policy: &Policy, case: &Case, now: DateTime<Utc>) -> review::Status {
    let k = if review::needs_clocks(policy) {
        shown_clocks(policy, case, now)
    } else {
        None
    };
    let reasons = review::reasons(policy, case, k.as_ref());
    review::status(policy, case, reasons, now)
}

/// `esc report reviews`: review states per group; root causes (the review's, else the one
/// given at resolution; grouped without regard to case and spacing); action items open, late
/// (open after their due date) and done. `today` is now's date in the display time zone.
pub fn reviews(
    policy: &Policy,
    cases: &[&Case],
    by: Option<GroupBy>,
    now: DateTime<Utc>,
) -> Reviews {
    let today = now.with_timezone(&policy.defaults.timezone).date_naive();
    // Each case's figures once, added to the rows of its groups.
    let rows: Vec<ReviewRow> = per_group_tallied(
        policy,
        cases,
        by,
        |c| ReviewRow::of(policy, c, now, today),
        ReviewRow::add,
    )
    .into_iter()
    .map(|(group, row)| ReviewRow { group, ..row })
    .collect();
    let mut causes: HashMap<String, (String, usize)> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut owners: BTreeMap<String, OwnerRow> = BTreeMap::new();
    for c in cases {
        if let Some(cause) = root_cause(c) {
            let shown = cause_shown(cause);
            if !shown.is_empty() {
                let key = cause_key(&shown);
                let e = causes.entry(key.clone()).or_insert_with(|| {
                    order.push(key);
                    (shown, 0)
                });
                e.1 += 1;
            }
        }
        if let Some(r) = &c.review {
            for a in &r.actions {
                let o = owners
                    .entry(a.item.owner.clone())
                    .or_insert_with(|| OwnerRow {
                        owner: a.item.owner.clone(),
                        ..OwnerRow::default()
                    });
                if a.done_at.is_some() {
                    o.done += 1;
                } else {
                    o.open += 1;
                    if a.is_late(today) {
                        o.late += 1;
                    }
                }
            }
        }
    }
    let mut root_causes: Vec<RootCause> = causes
        .into_values()
        .map(|(cause, cases)| RootCause { cause, cases })
        .collect();
    root_causes.sort_by(|a, b| {
        b.cases
            .cmp(&a.cases)
            .then_with(|| a.cause.to_lowercase().cmp(&b.cause.to_lowercase()))
    });
    root_causes.truncate(10);
    let mut owners: Vec<OwnerRow> = owners.into_values().collect();
    owners.sort_by(|a, b| {
        (b.open, b.late)
            .cmp(&(a.open, a.late))
            .then_with(|| a.owner.cmp(&b.owner))
    });
    Reviews {
        rows,
        root_causes,
        owners,
    }
}

// ---------------------------------------------------------------------------------------
// triggers

/// One trigger in `esc report triggers`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TriggerRow {
    pub trigger: String,
    /// Whether the policy still has it.
    pub in_policy: bool,
    /// Cases it fired or proposed on.
    pub cases: usize,
    /// Times its actions were taken: fired directly, or a proposal approved.
    pub fired: usize,
    pub proposed: usize,
    pub approved: usize,
    pub rejected: usize,
    /// Proposals waiting for a decision now.
    pub pending: usize,
    /// Escalations it made.
    pub escalations: usize,
    /// Of those, how many were undone: the next move on that path was a de-escalation.
    pub deescalated: usize,
}

/// `esc report triggers`: every trigger of the policy (in its order), then any other
/// trigger the cases name.
pub fn triggers(policy: &Policy, cases: &[&Case]) -> Vec<TriggerRow> {
    let mut rows: Vec<TriggerRow> = policy
        .triggers
        .iter()
        .map(|t| TriggerRow {
            trigger: t.name.clone(),
            in_policy: true,
            ..TriggerRow::default()
        })
        .collect();
    let mut index: HashMap<String, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.trigger.clone(), i))
        .collect();
    let mut extra: Vec<TriggerRow> = Vec::new();
    let mut row = |name: &str| -> usize {
        if let Some(i) = index.get(name) {
            return *i;
        }
        let i = rows.len() + extra.len();
        extra.push(TriggerRow {
            trigger: name.to_string(),
            ..TriggerRow::default()
        });
        index.insert(name.to_string(), i);
        i
    };
    let mut touched: Vec<usize> = Vec::new();
    type Bump = fn(&mut TriggerRow);
    let mut bump: Vec<(usize, Bump)> = Vec::new();
    for c in cases {
        let mut seen: HashSet<usize> = HashSet::new();
        for (i, r) in c.events.iter().enumerate() {
            let (name, f): (&str, Bump) = match &r.event {
                Event::TriggerFired { trigger, .. } => (trigger, |t| t.fired += 1),
                Event::Proposed { trigger, .. } => (trigger, |t| t.proposed += 1),
                Event::Approved { trigger } => (trigger, |t| {
                    t.approved += 1;
                    t.fired += 1;
                }),
                Event::Rejected { trigger, .. } => (trigger, |t| t.rejected += 1),
                Event::Escalated {
                    by: Some(by), path, ..
                } => {
                    let Some(name) = by.strip_prefix("trigger:") else {
                        continue;
                    };
                    let undone = c.events[i + 1..]
                        .iter()
                        .find_map(|later| match &later.event {
                            Event::Escalated { path: p, .. } if p == path => Some(false),
                            Event::Deescalated { path: p, .. } if p == path => Some(true),
                            _ => None,
                        })
                        .unwrap_or(false);
                    let idx = row(name);
                    bump.push((idx, |t| t.escalations += 1));
                    if undone {
                        bump.push((idx, |t| t.deescalated += 1));
                    }
                    continue;
                }
                _ => continue,
            };
            let idx = row(name);
            bump.push((idx, f));
            if seen.insert(idx) {
                touched.push(idx);
            }
        }
        for (name, state) in &c.more().triggers {
            if state.pending.is_some() {
                let idx = row(name);
                bump.push((idx, |t| t.pending += 1));
            }
        }
    }
    rows.extend(extra);
    for (idx, f) in bump {
        f(&mut rows[idx]);
    }
    for idx in touched {
        rows[idx].cases += 1;
    }
    rows
}

// ---------------------------------------------------------------------------------------
// escalations

/// One tier in `esc report escalations`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TierRow {
    pub path: String,
    pub tier: String,
    /// Cases that were at this tier (opened there, escalated or de-escalated to it).
    pub reached: usize,
    /// Cases escalated from this tier (to the next or a later one).
    pub escalated: usize,
    /// Escalations from this tier made by sweep (tier budget or trigger).
    pub automatic: usize,
}

impl TierRow {
    pub fn rate(&self) -> Option<f64> {
        pct(self.escalated, self.reached)
    }
}

/// One group in `esc report escalations`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EscalationRow {
    pub group: String,
    pub cases: usize,
    /// Cases escalated at least once (on any path).
    pub escalated: usize,
    /// Escalated cases whose account had another escalated case of the same type whose
    /// first escalation was at most `window` earlier.
    pub repeat: usize,
    /// Cases with an SLA warning that were then resolved without another escalation on
    /// their home path and without that clock breaching.
    pub prevented: usize,
    /// MTTR of resolved cases that swarmed.
    pub swarm_mttr: Spread,
    /// MTTR of resolved cases escalated at least once that never swarmed.
    pub tiered_mttr: Spread,
    /// Mean satisfaction (1–5) of the follow-ups that gave one.
    pub csat: Option<f64>,
    pub csat_responses: usize,
}

impl EscalationRow {
    pub fn rate(&self) -> Option<f64> {
        pct(self.escalated, self.cases)
    }
}

/// An account and type with repeat escalations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepeatRow {
    pub account: String,
    pub case_type: String,
    pub escalated: usize,
    pub repeats: usize,
}

/// `esc report escalations`.
#[derive(Debug, Clone, PartialEq)]
pub struct Escalations {
    pub tiers: Vec<TierRow>,
    pub rows: Vec<EscalationRow>,
    /// Accounts and types with repeat escalations, most repeats first.
    pub repeats: Vec<RepeatRow>,
}

fn first_escalation(case: &Case) -> Option<DateTime<Utc>> {
    case.events.iter().find_map(|r| match r.event {
        Event::Escalated { .. } => Some(r.at),
        _ => None,
    })
}

/// Whether a warning on this case was followed by a resolution in the same tier (no
/// escalation on the home path after it) before the warned clock breached.
pub fn prevented(case: &Case, k: Option<&Clocks>) -> bool {
    if case.resolved_at.is_none() {
        return false;
    }
    let breached = |kind: ClockKind, started: DateTime<Utc>| {
        case.more().marks.contains(&(kind, started, Mark::Breach))
            || k.is_some_and(|k| {
                k.iter().any(|c| {
                    c.kind == kind && c.started == started && c.state == ClockState::Breached
                })
            })
    };
    case.events.iter().enumerate().any(|(i, r)| {
        let Event::SlaWarning { clock, started, .. } = r.event else {
            return false;
        };
        let escalated_after = case.events[i + 1..].iter().any(|later| {
            matches!(&later.event, Event::Escalated { path, .. } if *path == case.home_path)
        });
        !escalated_after && !breached(clock, started)
    })
}

/// The (account, type) keys of escalated cases that are repeats within `window`.
fn repeats(cases: &[&Case], window: TimeDelta) -> HashSet<String> {
    let mut firsts: Vec<(&str, &str, DateTime<Utc>, &str)> = cases
        .iter()
        .filter_map(|c| {
            let a = c.account.as_deref()?;
            Some((a, c.case_type.as_str(), first_escalation(c)?, c.id.as_str()))
        })
        .collect();
    firsts.sort();
    let mut out = HashSet::new();
    for pair in firsts.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if a.0 == b.0 && a.1 == b.1 && b.2 - a.2 <= window {
            out.insert(b.3.to_string());
        }
    }
    out
}

/// What `esc report escalations` takes from one case for its group rows.
struct CaseEscalation {
    escalated: bool,
    repeat: bool,
    prevented: bool,
    swarmed: bool,
    /// Opened → resolved, in seconds, once resolved.
    ttr: Option<i64>,
    csat: Option<u8>,
}

impl CaseEscalation {
    fn of(policy: &Policy, c: &Case, repeat_ids: &HashSet<String>, now: DateTime<Utc>) -> Self {
        let warned = c
            .events
            .iter()
            .any(|r| matches!(r.event, Event::SlaWarning { .. }));
        CaseEscalation {
            escalated: c.escalations > 0,
            repeat: !repeat_ids.is_empty() && repeat_ids.contains(c.id.as_str()),
            prevented: warned && prevented(c, shown_clocks(policy, c, now).as_ref()),
            swarmed: c.swarm.is_some(),
            ttr: c.resolved_at.map(|r| (r - c.opened_at).num_seconds()),
            csat: csat_of(c),
        }
    }
}

/// One group row of `esc report escalations`, gathered case by case.
#[derive(Default)]
struct EscalationTally {
    cases: usize,
    escalated: usize,
    repeat: usize,
    prevented: usize,
    swarm_ttr: Vec<i64>,
    tiered_ttr: Vec<i64>,
    csat: Vec<u8>,
}

impl EscalationTally {
    fn add(&mut self, c: &CaseEscalation) {
        self.cases += 1;
        self.escalated += usize::from(c.escalated);
        self.repeat += usize::from(c.repeat);
        self.prevented += usize::from(c.prevented);
        if let Some(ttr) = c.ttr {
            if c.swarmed {
                self.swarm_ttr.push(ttr);
            } else if c.escalated {
                self.tiered_ttr.push(ttr);
            }
        }
        self.csat.extend(c.csat);
    }

    fn row(self, group: String) -> EscalationRow {
        let (csat, csat_responses) = mean_csat(&self.csat);
        EscalationRow {
            group,
            cases: self.cases,
            escalated: self.escalated,
            repeat: self.repeat,
            prevented: self.prevented,
            swarm_mttr: Spread::of(self.swarm_ttr),
            tiered_mttr: Spread::of(self.tiered_ttr),
            csat,
            csat_responses,
        }
    }
}

/// `esc report escalations`: escalation rate per tier; per group the escalation rate,
/// repeat escalations (same account and type within `window`), prevented escalations,
/// swarm versus tiered MTTR and satisfaction.
pub fn escalations(
    policy: &Policy,
    cases: &[&Case],
    by: Option<GroupBy>,
    window: TimeDelta,
    now: DateTime<Utc>,
) -> Escalations {
    // Tiers.
    let mut tiers: Vec<TierRow> = policy
        .tiers
        .iter()
        .map(|t| TierRow {
            path: t.path.clone(),
            tier: t.id.clone(),
            ..TierRow::default()
        })
        .collect();
    let mut at: HashMap<(String, String), usize> = tiers
        .iter()
        .enumerate()
        .map(|(i, t)| ((t.path.clone(), t.tier.clone()), i))
        .collect();
    let mut extra: Vec<TierRow> = Vec::new();
    let mut index = |path: &str, tier: &str, tiers_len: usize| -> usize {
        let key = (path.to_string(), tier.to_string());
        if let Some(i) = at.get(&key) {
            return *i;
        }
        let i = tiers_len + extra.len();
        extra.push(TierRow {
            path: path.to_string(),
            tier: tier.to_string(),
            ..TierRow::default()
        });
        at.insert(key, i);
        i
    };
    let n = tiers.len();
    let mut bumps: Vec<(usize, u8)> = Vec::new();
    for c in cases {
        let mut reached_here: HashSet<usize> = HashSet::new();
        let mut escalated_here: HashSet<usize> = HashSet::new();
        // Where the case was opened (its `opened` event, which the reports do not keep).
        reached_here.insert(index(&c.home_path, &c.opened_tier, n));
        for r in &c.events {
            match &r.event {
                Event::Escalated {
                    path, from, to, by, ..
                } => {
                    reached_here.insert(index(path, to, n));
                    if let Some(from) = from {
                        let i = index(path, from, n);
                        escalated_here.insert(i);
                        if by.is_some() {
                            bumps.push((i, 2));
                        }
                    }
                }
                Event::Deescalated {
                    path, to: Some(to), ..
                } => {
                    reached_here.insert(index(path, to, n));
                }
                _ => {}
            }
        }
        for i in reached_here {
            bumps.push((i, 0));
        }
        for i in escalated_here {
            bumps.push((i, 1));
        }
    }
    tiers.extend(extra);
    for (i, what) in bumps {
        let t = &mut tiers[i];
        match what {
            0 => t.reached += 1,
            1 => t.escalated += 1,
            _ => t.automatic += 1,
        }
    }
    // Groups: each case's figures once, added to the rows of its groups.
    let repeat_ids = repeats(cases, window);
    let rows: Vec<EscalationRow> = per_group_tallied(
        policy,
        cases,
        by,
        |c| CaseEscalation::of(policy, c, &repeat_ids, now),
        EscalationTally::add,
    )
    .into_iter()
    .map(|(group, tally)| tally.row(group))
    .collect();
    // Repeat pairs.
    let mut pairs: BTreeMap<(String, String), RepeatRow> = BTreeMap::new();
    for c in cases.iter().filter(|c| c.escalations > 0) {
        let Some(a) = &c.account else { continue };
        let e = pairs
            .entry((a.to_string(), c.case_type.to_string()))
            .or_insert_with(|| RepeatRow {
                account: a.to_string(),
                case_type: c.case_type.to_string(),
                escalated: 0,
                repeats: 0,
            });
        e.escalated += 1;
        if repeat_ids.contains(c.id.as_str()) {
            e.repeats += 1;
        }
    }
    let mut repeats: Vec<RepeatRow> = pairs.into_values().filter(|r| r.repeats > 0).collect();
    repeats.sort_by(|a, b| {
        b.repeats
            .cmp(&a.repeats)
            .then_with(|| (&a.account, &a.case_type).cmp(&(&b.account, &b.case_type)))
    });
    repeats.truncate(10);
    Escalations {
        tiers,
        rows,
        repeats,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile(&v, 50), Some(5));
        assert_eq!(percentile(&v, 90), Some(9));
        assert_eq!(percentile(&[1, 2, 3, 4], 50), Some(2));
        assert_eq!(percentile(&[7], 90), Some(7));
        assert_eq!(percentile(&[1, 2, 3], 50), Some(2));
        assert_eq!(percentile(&[], 50), None);
        // p90 of 11 values: rank ⌈9.9⌉ = 10.
        let v: Vec<i64> = (1..=11).collect();
        assert_eq!(percentile(&v, 90), Some(10));
    }

    #[test]
    fn iso_weeks_across_a_year_end() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(week_label(d("2026-12-31")), "2026-W53");
        assert_eq!(week_label(d("2027-01-03")), "2026-W53");
        assert_eq!(week_label(d("2027-01-04")), "2027-W01");
        assert_eq!(monday(d("2026-11-29")), d("2026-11-23"));
    }
}
