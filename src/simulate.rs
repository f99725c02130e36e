//! `esc simulate`: the timeline a policy produces for a hypothetical case. Pure.
//!
//! There is no second implementation of the rules here. The hypothetical cases are opened by
//! the real state machine ([`crate::case::transition`]), kept as an in-memory history folded
//! by the real fold, and moved on by the real sweep planner ([`crate::sweep::plan`]) exactly
//! as a cron job sweeping every `every` would: at each sweep tick the planner's events are
//! applied to the history with that tick as their time. Instead of visiting every tick, the
//! loop jumps to the next tick at which the planner could have work ([`crate::sweep::next_due`]),
//! to the tick after any sweep that acted or any user event (their effects may make more work
//! due at once), and to the user events given on the command line. A property test checks
//! that this equals sweeping every minute.

use crate::case::transition::{self, OpenRequest, Refusal, Request};
use crate::case::{Case, Event, Record};
use crate::policy::Policy;
use crate::sweep::{self, Planned};
use chrono::{DateTime, TimeDelta, Utc};

/// A hypothetical situation to simulate.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// What the cases are opened with (title, severity, type, account, labels, channel).
    pub open: OpenRequest,
    /// How many identical cases are opened at `opened` (more than one for a pile-up).
    pub count: u32,
    pub opened: DateTime<Utc>,
    /// Things people do, applied to every case still open: (when, what).
    pub actions: Vec<(DateTime<Utc>, Request)>,
    /// The simulation ends here.
    pub until: DateTime<Utc>,
    /// How often the sweep runs (cron); ticks are whole multiples of this since 1970.
    pub every: TimeDelta,
}

/// One thing that happens in the timeline.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// The planner's action, taken by the sweep at `at` (its `due` is inside `planned`).
    Action { at: DateTime<Utc>, planned: Planned },
    /// Something a person did (from `--ack`, `--resolve`, `--event`): its recorded events.
    Person {
        at: DateTime<Utc>,
        case: String,
        events: Vec<Event>,
    },
}

/// A notification queued by the planner or a person's command: who is told, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The kind of event it tells about (`warning`, `breach`, `escalated`, `open` …).
    pub action: String,
    /// `internal` or `customer`.
    pub audience: String,
    pub recipients: Vec<String>,
    pub message: String,
}

/// The notifications among an action's events (composed by [`crate::notify::compose`]).
pub fn notices(events: &[Event]) -> Vec<Notice> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::NotificationQueued {
                action,
                recipients,
                message,
                audience,
                ..
            } => Some(Notice {
                action: action.clone(),
                audience: audience.as_str().to_string(),
                recipients: recipients.clone(),
                message: message.clone(),
            }),
            _ => None,
        })
        .collect()
}

/// Why a scenario cannot be simulated.
#[derive(Debug, thiserror::Error)]
pub enum SimulateError {
    #[error("the hypothetical case cannot be opened: {0}")]
    Open(Box<Refusal>),
    #[error("{what} at {at} is refused for {case}: {refusal}")]
    Action {
        what: &'static str,
        at: String,
        case: String,
        refusal: Box<Refusal>,
    },
    #[error(
        "the sweep interval must be at least one second and the horizon after the opening: check --every and --until"
    )]
    Interval,
}

/// The first tick at or after `t`.
pub fn tick(t: DateTime<Utc>, every: TimeDelta) -> DateTime<Utc> {
    let step = every.num_seconds().max(1);
    let s = t.timestamp();
    let up = s.div_euclid(step) * step + if s.rem_euclid(step) == 0 { 0 } else { step };
    // A sub-second part rounds up to the next second first.
    let up = if t.timestamp_subsec_nanos() > 0 && s.rem_euclid(step) == 0 {
        up + step
    } else {
        up
    };
    DateTime::from_timestamp(up, 0).unwrap_or(t)
}

/// The name of a request, for messages and the timeline.
pub fn request_name(r: &Request) -> &'static str {
    match r {
        Request::Ack => "ack",
        Request::Assign { .. } => "assign",
        Request::Note { .. } => "note",
        Request::Update { .. } => "update",
        Request::Escalate { .. } => "escalate",
        Request::Deescalate { .. } => "deescalate",
        Request::Pause { .. } => "pause",
        Request::Resume => "resume",
        Request::StartSwarm { .. } => "swarm",
        Request::EndSwarm { .. } => "swarm end",
        Request::DeclareMajor { .. } => "major",
        Request::StandDown => "stand down",
        Request::Resolve { .. } => "resolve",
        Request::Followup { .. } => "followup",
        Request::RequestFollowup => "followup request",
        Request::Close { .. } => "close",
        Request::Reopen { .. } => "reopen",
        Request::Edit(_) => "edit",
    }
}

fn record(case: &str, at: DateTime<Utc>, actor: &str, event: Event) -> Record {
    Record {
        seq: 0,
        at,
        actor: actor.into(),
        case: case.into(),
        step: event.step(),
        policy: None,
        login: None,
        event,
    }
}

/// The hypothetical cases, freshly opened (ids `ESC-1` …).
pub fn open_cases(policy: &Policy, s: &Scenario) -> Result<Vec<Case>, SimulateError> {
    let opened = transition::open(policy, &s.open, s.opened)
        .map_err(|r| SimulateError::Open(Box::new(r)))?;
    (1..=s.count.max(1))
        .map(|n| {
            let r = record(
                &crate::case::id::format(u64::from(n)),
                s.opened,
                "simulate",
                opened.clone(),
            );
            match Case::fold(vec![r]) {
                Ok(Some(c)) => Ok(c),
                _ => Err(SimulateError::Open(Box::new(Refusal::Invalid(
                    "the opening event does not fold into a case".into(),
                )))),
            }
        })
        .collect()
}

/// Apply a person's request at `at` to every case it applies to; the events per case.
pub fn act(
    policy: &Policy,
    cases: &mut [Case],
    at: DateTime<Utc>,
    req: &Request,
) -> Result<Vec<(String, Vec<Event>)>, SimulateError> {
    let mut out = Vec::new();
    for case in cases.iter_mut() {
        // Acting on a closed case is meaningless in a what-if; skip instead of refusing.
        if case.status == crate::policy::Status::Closed && !matches!(req, Request::Reopen { .. }) {
            continue;
        }
        let mut events =
            transition::decide(policy, case, req, at).map_err(|refusal| SimulateError::Action {
                what: request_name(req),
                at: crate::render::rfc3339(at),
                case: case.id.to_string(),
                refusal: Box::new(refusal),
            })?;
        // The notifications the real command would queue with them (built-in texts if a
        // policy template fails: a what-if still shows who is told).
        let notices =
            crate::notify::compose::for_events(policy, case, &events, at).unwrap_or_default();
        events.extend(notices);
        for e in &events {
            // Events the state machine just decided fold by construction.
            let _ = case.apply(record(&case.id, at, "simulate", e.clone()), false);
        }
        out.push((case.id.to_string(), events));
    }
    Ok(out)
}

/// Carry out a sweep's plan on the history, as `esc sweep` does through the ledger.
pub fn carry_out(cases: &mut [Case], plan: &[Planned], at: DateTime<Utc>) {
    for p in plan {
        if let Some(c) = cases.iter_mut().find(|c| c.id == p.case) {
            for e in &p.events {
                // Planned events are legal by construction.
                let _ = c.apply(record(&c.id, at, "esc", e.clone()), false);
            }
        }
    }
}

/// Run the scenario: the timeline, in the order things happen.
pub fn run(policy: &Policy, s: &Scenario) -> Result<Vec<Entry>, SimulateError> {
    if s.every < TimeDelta::seconds(1) || s.until < s.opened {
        return Err(SimulateError::Interval);
    }
    let mut cases = open_cases(policy, s)?;
    let mut actions = s.actions.clone();
    actions.sort_by_key(|a| a.0);
    let mut actions = actions.into_iter().peekable();
    let mut timeline = Vec::new();
    // The sweep that ran last, and one that must run (the first tick, or after a change).
    let mut last: Option<DateTime<Utc>> = None;
    let mut forced: Option<DateTime<Utc>> = Some(tick(s.opened, s.every));
    // The first sweep people's last action can be seen by: no sweep runs before it (an
    // action that ends a pause can make things due that fell due during the pause).
    let mut acted: Option<DateTime<Utc>> = None;
    let after_last = |last: Option<DateTime<Utc>>, t: DateTime<Utc>| {
        let t = tick(t, s.every);
        match last {
            Some(l) if t <= l => l + s.every,
            _ => t,
        }
    };
    loop {
        let since = last.unwrap_or(s.opened - TimeDelta::seconds(1));
        let due = sweep::next_due(policy, &cases, since)
            .map(|t| after_last(last, t))
            .map(|t| acted.map_or(t, |a| t.max(a)));
        let next_sweep = [forced, due].into_iter().flatten().min();
        // What people do at a time comes before the sweep at that time.
        if let Some((at, req)) =
            actions.next_if(|(at, _)| *at <= s.until && next_sweep.is_none_or(|n| *at <= n))
        {
            for (case, events) in act(policy, &mut cases, at, &req)? {
                timeline.push(Entry::Person { at, case, events });
            }
            let t = after_last(last, at);
            acted = Some(acted.map_or(t, |a| a.max(t)));
            forced = Some(forced.map_or(t, |f| f.min(t)));
            continue;
        }
        let Some(now) = next_sweep.filter(|n| *n <= s.until) else {
            break;
        };
        let plan = sweep::plan(policy, &cases, now);
        carry_out(&mut cases, &plan, now);
        forced = (!plan.is_empty()).then(|| now + s.every);
        last = Some(now);
        timeline.extend(
            plan.into_iter()
                .map(|planned| Entry::Action { at: now, planned }),
        );
    }
    Ok(timeline)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SHIPPED: [&str; 4] = [
        include_str!("../policies/follow-the-sun.toml"),
        include_str!("../policies/customer-support.toml"),
        include_str!("../policies/it-helpdesk.toml"),
        include_str!("../policies/sre-incident.toml"),
    ];

    /// What `esc sweep` run by cron every minute does to the same cases: every minute, the
    /// people's actions up to then, then the planner, carried out at that minute.
    fn sweep_every_minute(policy: &Policy, s: &Scenario) -> Vec<Entry> {
        let mut cases = open_cases(policy, s).unwrap();
        let mut actions = s.actions.clone();
        actions.sort_by_key(|a| a.0);
        let mut actions = actions.into_iter().peekable();
        let mut out = Vec::new();
        let mut now = tick(s.opened, TimeDelta::minutes(1));
        while now <= s.until {
            while let Some((at, _)) = actions.peek()
                && *at <= now
            {
                let (at, req) = actions.next().unwrap();
                for (case, events) in act(policy, &mut cases, at, &req).unwrap() {
                    out.push(Entry::Person { at, case, events });
                }
            }
            let plan = sweep::plan(policy, &cases, now);
            carry_out(&mut cases, &plan, now);
            out.extend(
                plan.into_iter()
                    .map(|planned| Entry::Action { at: now, planned }),
            );
            now += TimeDelta::minutes(1);
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// Jumping from one due time to the next gives exactly what sweeping every minute
        /// gives, for random cases under every shipped policy.
        #[test]
        fn simulate_equals_sweeping_every_minute(
            which in 0usize..4,
            severity in 0usize..8,
            account in 0usize..4,
            count in 1u32..4,
            start in 0i64..(7 * 24 * 60),
            ack in proptest::option::of(1i64..600),
            pause in proptest::option::of((1i64..900, 1i64..600)),
            resolve in proptest::option::of(60i64..2400),
            hours in 1i64..40,
        ) {
            let policy = crate::policy::parse(SHIPPED[which]).unwrap();
            let severity = policy.severities[severity % policy.severities.len()].id.clone();
            let accounts: Vec<Option<String>> = std::iter::once(None)
                .chain(policy.accounts.keys().cloned().map(Some))
                .collect();
            let opened = DateTime::parse_from_rfc3339("2026-11-30T00:00:00Z")
                .unwrap()
                .with_timezone(&Utc)
                + TimeDelta::minutes(start);
            let minutes = |m: i64| opened + TimeDelta::minutes(m);
            let mut actions = Vec::new();
            if let Some(a) = ack {
                actions.push((minutes(a), Request::Ack));
            }
            if let Some((p, r)) = pause {
                actions.push((minutes(p), Request::Pause { reason: "customer".into() }));
                actions.push((minutes(p + r), Request::Resume));
            }
            if let Some(r) = resolve {
                actions.push((minutes(r), Request::Resolve { resolution: "fixed".into(), root_cause: None }));
            }
            // Keep only a sequence the state machine accepts (resume after resolve is refused).
            actions.sort_by_key(|a| a.0);
            if let Some(r) = actions.iter().position(|a| matches!(a.1, Request::Resolve { .. })) {
                actions.truncate(r + 1);
            }
            if actions.iter().filter(|a| matches!(a.1, Request::Pause { .. } | Request::Resume)).count() == 1 {
                actions.retain(|a| !matches!(a.1, Request::Pause { .. }));
            }
            let s = Scenario {
                open: OpenRequest {
                    title: "t".into(),
                    severity: Some(severity),
                    case_type: None,
                    account: accounts[account % accounts.len()].clone(),
                    reporter: None,
                    channel: None,
                    labels: vec![],
                    description: None,
                    dedup_key: None,
                },
                count,
                opened,
                actions,
                until: minutes(hours * 60),
                every: TimeDelta::minutes(1),
            };
            let expected = sweep_every_minute(&policy, &s);
            prop_assert_eq!(run(&policy, &s).unwrap(), expected);
        }
    }

    #[test]
    fn ticks_round_up_to_the_interval() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let m = TimeDelta::minutes(1);
        assert_eq!(
            tick(t("2026-12-04T16:55:00Z"), m),
            t("2026-12-04T16:55:00Z")
        );
        assert_eq!(
            tick(t("2026-12-04T16:55:01Z"), m),
            t("2026-12-04T16:56:00Z")
        );
        assert_eq!(
            tick(t("2026-12-04T16:55:00Z"), TimeDelta::minutes(5)),
            t("2026-12-04T16:55:00Z")
        );
        assert_eq!(
            tick(t("2026-12-04T16:56:00Z"), TimeDelta::minutes(5)),
            t("2026-12-04T17:00:00Z")
        );
    }
}
