//! The SLA clocks of a case: response, resolution, update cadence and tier budget. Pure: a
//! function of (policy, case, now).
//!
//! Every clock counts *open time on the case's calendar* (its severity's, or its account's
//! instead of a business-hours one; a tier budget: the tier's own calendar if it names one —
//! see [`Policy::case_calendar`]) and does not run
//! while the case is paused. The resolution clock also does not run between a resolution and
//! the reopening that followed it, so it continues after a reopen where it stopped.
//!
//! | clock | starts | target | stops |
//! |---|---|---|---|
//! | response | opened | `response` | first acknowledgement (or resolution) |
//! | resolution | opened | `resolution` | resolution |
//! | update | last update, acknowledgement, reopening or opening, the latest | `update_every` | resolution |
//! | tier | entering the current tier of the home path (or the reopening, if later) | the tier's `escalate_after` | resolution |
//!
//! A clock's state is `met` (stopped in time), `breached` (due passed, or stopped late),
//! `paused` (the case is paused), `warning` (`warn_at` of the target used up) or `pending`.

use super::calendar;
use crate::case::Case;
use crate::policy::{Calendar, Policy};
use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

/// Which clock.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ClockKind {
    Response,
    Resolution,
    Update,
    Tier,
}

impl ClockKind {
    pub const ALL: [ClockKind; 4] = [
        ClockKind::Response,
        ClockKind::Resolution,
        ClockKind::Update,
        ClockKind::Tier,
    ];

    /// The RACI step whose matrix a warning or breach of this clock follows.
    pub fn step(self) -> crate::policy::Step {
        use crate::policy::Step;
        match self {
            ClockKind::Response => Step::Acknowledge,
            ClockKind::Resolution => Step::Resolve,
            ClockKind::Update => Step::Update,
            ClockKind::Tier => Step::Escalate,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ClockKind::Response => "response",
            ClockKind::Resolution => "resolution",
            ClockKind::Update => "update",
            ClockKind::Tier => "tier",
        }
    }
}

/// A clock's state, as in the SPEC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    Pending,
    Warning,
    Breached,
    Met,
    Paused,
}

impl ClockState {
    pub fn as_str(self) -> &'static str {
        match self {
            ClockState::Pending => "pending",
            ClockState::Warning => "warning",
            ClockState::Breached => "breached",
            ClockState::Met => "met",
            ClockState::Paused => "paused",
        }
    }
}

/// One clock of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Clock {
    #[serde(skip)]
    pub kind: ClockKind,
    /// When the target is used up (for a paused clock: if it resumed now). `None` only if
    /// the calendar never opens.
    pub due: Option<DateTime<Utc>>,
    pub state: ClockState,
    /// When the clock stopped (met, or breached late), else `None`.
    pub at: Option<DateTime<Utc>>,
    /// When the warning share of the target is used up (from [`shown_clocks`]: only where
    /// the state depends on it, else `None`).
    #[serde(skip)]
    pub warn: Option<DateTime<Utc>>,
    /// When the clock started (for the tier clock: entering the tier).
    #[serde(skip)]
    pub started: DateTime<Utc>,
}

impl Clock {
    /// Whether the clock is still running (not stopped, whatever its state).
    pub fn is_running(&self) -> bool {
        self.at.is_none() && !matches!(self.state, ClockState::Met)
    }
}

/// All clocks of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Clocks {
    pub response: Clock,
    pub resolution: Clock,
    pub update: Option<Clock>,
    pub tier: Option<Clock>,
}

impl Clocks {
    /// Every clock the case has.
    pub fn iter(&self) -> impl Iterator<Item = &Clock> {
        [Some(&self.response), Some(&self.resolution)]
            .into_iter()
            .chain([self.update.as_ref(), self.tier.as_ref()])
            .flatten()
    }

    /// Whether any clock is breached.
    pub fn any_breached(&self) -> bool {
        self.iter().any(|c| c.state == ClockState::Breached)
    }

    /// Whether any clock is in warning.
    pub fn any_warning(&self) -> bool {
        self.iter().any(|c| c.state == ClockState::Warning)
    }

    /// The earliest due time of a running clock that has not breached yet.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.iter()
            .filter(|c| matches!(c.state, ClockState::Pending | ClockState::Warning))
            .filter_map(|c| c.due)
            .min()
    }
}

/// Sorted, merged spans in which a clock does not run; `None` ends mean "still stopped".
fn normalise(
    mut spans: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>,
) -> Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> {
    spans.sort_by_key(|s| s.0);
    let mut out: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> = Vec::new();
    for (s, e) in spans {
        if let Some(last) = out.last_mut() {
            match last.1 {
                None => continue,
                Some(le) if s <= le => {
                    last.1 = e.map(|e| le.max(e));
                    continue;
                }
                _ => {}
            }
        }
        out.push((s, e));
    }
    out
}

/// The instant at which `amount` of open time after `start` is used up, not counting the
/// stopped spans; an open-ended stop is assumed to end at `resume`.
fn deadline(
    cal: &Calendar,
    start: DateTime<Utc>,
    amount: TimeDelta,
    stops: &[(DateTime<Utc>, Option<DateTime<Utc>>)],
    resume: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let mut cursor = start;
    let mut remaining = amount;
    for &(s, e) in stops {
        let end = e.unwrap_or(resume.max(s));
        if end <= cursor {
            continue;
        }
        if s > cursor {
            let open = calendar::open_time_between(cal, cursor, s);
            if open >= remaining {
                return calendar::add_open_time(cal, cursor, remaining);
            }
            remaining -= open;
        }
        cursor = cursor.max(end);
    }
    calendar::add_open_time(cal, cursor, remaining)
}

/// Inputs of one clock.
struct Spec<'a> {
    kind: ClockKind,
    cal: &'a Calendar,
    start: DateTime<Utc>,
    target: TimeDelta,
    warn_at: f64,
    stops: &'a [(DateTime<Utc>, Option<DateTime<Utc>>)],
    stopped_at: Option<DateTime<Utc>>,
    paused: bool,
    /// Work out `warn` even where the state does not depend on it.
    every_warn: bool,
}

fn clock(spec: Spec<'_>, now: DateTime<Utc>) -> Clock {
    let resume = spec.stopped_at.unwrap_or(now);
    let due = deadline(spec.cal, spec.start, spec.target, spec.stops, resume);
    // A clock that breached before the pause began stays breached.
    let pause_start = spec.stops.last().filter(|s| s.1.is_none()).map(|s| s.0);
    let limit = if spec.paused {
        pause_start.unwrap_or(now)
    } else {
        now
    };
    // Whether the state is Warning or Pending, decided by the warning time; every other
    // state is known without it.
    let undecided = spec.stopped_at.is_none() && due.is_none_or(|d| d > limit) && !spec.paused;
    let warn = if spec.every_warn || undecided {
        let warn_amount =
            TimeDelta::seconds((spec.target.num_seconds() as f64 * spec.warn_at).round() as i64);
        deadline(spec.cal, spec.start, warn_amount, spec.stops, resume)
    } else {
        None
    };
    let state = match spec.stopped_at {
        Some(at) => {
            if due.is_some_and(|d| at > d) {
                ClockState::Breached
            } else {
                ClockState::Met
            }
        }
        None if !undecided => {
            if due.is_some_and(|d| d <= limit) {
                ClockState::Breached
            } else {
                ClockState::Paused
            }
        }
        None => {
            if warn.is_some_and(|w| w <= now) {
                ClockState::Warning
            } else {
                ClockState::Pending
            }
        }
    };
    Clock {
        kind: spec.kind,
        due,
        state,
        at: spec.stopped_at,
        warn,
        started: spec.start,
    }
}

/// The calendar of a major incident's update cadence: elapsed time.
static ALWAYS: std::sync::LazyLock<Calendar> = std::sync::LazyLock::new(|| Calendar {
    name: "24x7".into(),
    timezone: chrono_tz::UTC,
    hours: crate::policy::Hours::Always,
    holidays: Default::default(),
    fast: Default::default(),
});

/// Every clock of a case at `now`, each with its warning time (the sweep plans warnings
/// from it). `None` if the policy no longer knows the case's severity or its calendar.
pub fn clocks(policy: &Policy, case: &Case, now: DateTime<Utc>) -> Option<Clocks> {
    clocks_for(policy, case, now, true)
}

/// [`clocks`] as views and reports show them: states, due and stop times the same, but a
/// clock's `warn` is worked out only where its state depends on it (a running clock, not
/// paused, not yet breached) and is `None` elsewhere — one business-time sum a clock
/// instead of two for the usual overdue case.
pub fn shown_clocks(policy: &Policy, case: &Case, now: DateTime<Utc>) -> Option<Clocks> {
    clocks_for(policy, case, now, false)
}

fn clocks_for(
    policy: &Policy,
    case: &Case,
    now: DateTime<Utc>,
    every_warn: bool,
) -> Option<Clocks> {
    let severity = policy.severity(&case.severity)?;
    let cal = policy.severity_calendar(severity, case.account.as_deref())?;
    let paused = case.more().pauses.last().is_some_and(|p| p.1.is_none()) && case.is_active();
    let pauses = normalise(case.more().pauses.clone());
    let mut resolution_stops = case.more().pauses.clone();
    resolution_stops.extend(
        case.more()
            .resolved_spans
            .iter()
            .filter(|s| s.1.is_some())
            .copied(),
    );
    let resolution_stops = normalise(resolution_stops);
    let resolved_at = if case.is_active() {
        None
    } else {
        case.resolved_at
    };
    let base = |kind, start, target, stops, stopped_at| Spec {
        kind,
        cal,
        start,
        target,
        warn_at: severity.warn_at,
        stops,
        stopped_at,
        paused,
        every_warn,
    };
    let response_stop = match (case.acknowledged_at, resolved_at) {
        (Some(a), Some(r)) => Some(a.min(r)),
        (a, r) => a.or(r),
    };
    let response = clock(
        base(
            ClockKind::Response,
            case.opened_at,
            severity.response,
            &pauses,
            response_stop,
        ),
        now,
    );
    let resolution = clock(
        base(
            ClockKind::Resolution,
            case.opened_at,
            severity.resolution,
            &resolution_stops,
            resolved_at,
        ),
        now,
    );
    // A reopened case starts new update and tier runs (the old ones ended with the resolution).
    let reopened_at = case.more().resolved_spans.last().and_then(|s| s.1);
    // During a major incident the cadence is `[major] update_every`, in elapsed time.
    let major_every = policy.major.update_every.filter(|_| case.is_major());
    let update = major_every.or(severity.update_every).map(|every| {
        let declared = case
            .major
            .as_ref()
            .map(|m| m.declared_at)
            .filter(|_| major_every.is_some());
        let start = [
            Some(case.opened_at),
            case.acknowledged_at,
            case.last_update_at,
            declared,
            reopened_at,
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(case.opened_at);
        let mut spec = base(ClockKind::Update, start, every, &pauses, resolved_at);
        if major_every.is_some() {
            spec.cal = &ALWAYS;
        }
        clock(spec, now)
    });
    let tier = case.levels.get(&case.home_path).and_then(|level| {
        let tier = policy.tier(&level.tier)?;
        let budget = tier.escalate_after.get(case.severity.as_str())?;
        let start = reopened_at.map_or(level.entered_at, |r| r.max(level.entered_at));
        let mut spec = base(ClockKind::Tier, start, *budget, &pauses, resolved_at);
        spec.cal = policy.tier_calendar(tier, cal);
        Some(clock(spec, now))
    });
    Some(Clocks {
        response,
        resolution,
        update,
        tier,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Event, Record};
    use crate::policy::Step;

    fn policy() -> Policy {
        crate::policy::parse(include_str!("../../tests/fixtures/spec-excerpt.toml")).expect("valid")
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn rec(seq: u64, at: &str, event: Event) -> Record {
        Record {
            seq,
            at: t(at),
            actor: "ana".into(),
            case: "ESC-1".into(),
            step: Step::Open,
            policy: None,
            login: None,
            event,
        }
    }

    fn opened(at: &str, severity: &str) -> Record {
        crate::case::fixture::Opened {
            title: "x".into(),
            severity: severity.into(),
            ..Default::default()
        }
        .record(1, t(at))
    }

    fn case(records: Vec<Record>) -> Case {
        Case::fold(records).unwrap().unwrap()
    }

    #[test]
    fn sev1_runs_on_elapsed_time() {
        let p = policy();
        let c = case(vec![opened("2026-11-23T09:00:00Z", "sev1")]);
        let k = clocks(&p, &c, t("2026-11-23T09:05:00Z")).unwrap();
        assert_eq!(k.response.due, Some(t("2026-11-23T09:15:00Z")));
        assert_eq!(k.response.state, ClockState::Pending);
        assert_eq!(k.resolution.due, Some(t("2026-11-23T13:00:00Z")));
        assert_eq!(
            k.update.as_ref().unwrap().due,
            Some(t("2026-11-23T09:30:00Z"))
        );
        assert_eq!(
            k.tier.as_ref().unwrap().due,
            Some(t("2026-11-23T09:10:00Z"))
        );
        let later = clocks(&p, &c, t("2026-11-23T09:12:00Z")).unwrap();
        assert_eq!(later.response.state, ClockState::Warning); // 75% of 15m = 11m15s
        assert_eq!(later.tier.unwrap().state, ClockState::Breached);
    }

    #[test]
    fn friday_evening_sev3_lands_on_monday_in_london() {
        let p = policy();
        // Friday 27 Nov 2026, 18:00 GMT: office closed until Monday 09:00; response 4h.
        let c = case(vec![opened("2026-11-27T18:00:00Z", "sev3")]);
        let k = clocks(&p, &c, t("2026-11-27T18:00:00Z")).unwrap();
        assert_eq!(k.response.due, Some(t("2026-11-30T13:00:00Z")));
    }

    #[test]
    fn ack_stops_the_response_clock_and_late_ack_is_breached() {
        let p = policy();
        let on_time = case(vec![
            opened("2026-11-23T09:00:00Z", "sev1"),
            rec(2, "2026-11-23T09:10:00Z", Event::Acknowledged {}),
        ]);
        let k = clocks(&p, &on_time, t("2026-11-23T10:00:00Z")).unwrap();
        assert_eq!(k.response.state, ClockState::Met);
        assert_eq!(k.response.at, Some(t("2026-11-23T09:10:00Z")));
        // The cadence clock restarts at the acknowledgement.
        assert_eq!(k.update.unwrap().due, Some(t("2026-11-23T09:40:00Z")));
        let late = case(vec![
            opened("2026-11-23T09:00:00Z", "sev1"),
            rec(2, "2026-11-23T09:20:00Z", Event::Acknowledged {}),
        ]);
        let k = clocks(&p, &late, t("2026-11-23T10:00:00Z")).unwrap();
        assert_eq!(k.response.state, ClockState::Breached);
    }

    #[test]
    fn paused_time_does_not_count_and_reopen_continues() {
        let p = policy();
        let c = case(vec![
            opened("2026-11-23T09:00:00Z", "sev1"),
            rec(2, "2026-11-23T09:05:00Z", Event::Acknowledged {}),
            rec(
                3,
                "2026-11-23T10:00:00Z",
                Event::Paused {
                    reason: "customer".into(),
                },
            ),
            rec(4, "2026-11-23T11:00:00Z", Event::Resumed {}),
        ]);
        let k = clocks(&p, &c, t("2026-11-23T11:00:00Z")).unwrap();
        assert_eq!(k.resolution.due, Some(t("2026-11-23T14:00:00Z")));
        let paused = case(vec![
            opened("2026-11-23T09:00:00Z", "sev1"),
            rec(
                2,
                "2026-11-23T10:00:00Z",
                Event::Paused {
                    reason: "customer".into(),
                },
            ),
        ]);
        let k = clocks(&p, &paused, t("2026-11-23T12:00:00Z")).unwrap();
        assert_eq!(k.resolution.state, ClockState::Paused);
        // 1h used before the pause: 3h left if it resumed now.
        assert_eq!(k.resolution.due, Some(t("2026-11-23T15:00:00Z")));
        let reopened = case(vec![
            opened("2026-11-23T09:00:00Z", "sev1"),
            rec(
                2,
                "2026-11-23T10:00:00Z",
                Event::Resolved {
                    resolution: "x".into(),
                    root_cause: None,
                },
            ),
            rec(
                3,
                "2026-11-23T12:00:00Z",
                Event::Reopened {
                    reason: "back".into(),
                },
            ),
        ]);
        let k = clocks(&p, &reopened, t("2026-11-23T12:00:00Z")).unwrap();
        assert_eq!(k.resolution.due, Some(t("2026-11-23T15:00:00Z")));
        assert_eq!(k.resolution.state, ClockState::Pending);
    }

    #[test]
    fn resolution_stops_every_clock() {
        let p = policy();
        let c = case(vec![
            opened("2026-11-23T09:00:00Z", "sev1"),
            rec(
                2,
                "2026-11-23T09:30:00Z",
                Event::Resolved {
                    resolution: "x".into(),
                    root_cause: None,
                },
            ),
        ]);
        let k = clocks(&p, &c, t("2026-11-24T09:00:00Z")).unwrap();
        // Resolved at 09:30 without an acknowledgement: the response (due 09:15) came late.
        assert_eq!(k.response.state, ClockState::Breached);
        assert_eq!(k.response.at, Some(t("2026-11-23T09:30:00Z")));
        assert_eq!(k.resolution.state, ClockState::Met);
        assert_eq!(k.update.unwrap().state, ClockState::Met);
        assert_eq!(k.tier.unwrap().state, ClockState::Breached); // 10m budget, stopped at 30m
    }

    #[test]
    fn shown_clocks_are_the_clocks_with_only_the_warnings_their_states_need() {
        let p = policy();
        let paused = Event::Paused {
            reason: "customer".into(),
        };
        let resolved = Event::Resolved {
            resolution: "x".into(),
            root_cause: None,
        };
        let histories = [
            vec![opened("2026-11-20T16:00:00Z", "sev3")],
            vec![opened("2026-11-23T09:00:00Z", "sev1")],
            vec![
                opened("2026-11-23T09:00:00Z", "sev2"),
                rec(2, "2026-11-23T09:05:00Z", Event::Acknowledged {}),
            ],
            vec![
                opened("2026-11-23T09:00:00Z", "sev1"),
                rec(2, "2026-11-23T10:00:00Z", paused.clone()),
            ],
            vec![
                opened("2026-11-23T09:00:00Z", "sev1"),
                rec(2, "2026-11-23T09:30:00Z", resolved),
            ],
        ];
        let mut seen = std::collections::BTreeSet::new();
        for history in histories {
            let c = case(history);
            for minutes in (0..3 * 24 * 60).step_by(7) {
                let now = t("2026-11-23T08:00:00Z") + TimeDelta::minutes(minutes);
                let (Some(full), Some(shown)) = (clocks(&p, &c, now), shown_clocks(&p, &c, now))
                else {
                    panic!("the policy knows the case");
                };
                for (f, s) in full.iter().zip(shown.iter()) {
                    seen.insert(f.state.as_str());
                    let needed = f.at.is_none()
                        && matches!(f.state, ClockState::Warning | ClockState::Pending);
                    let expected = Clock {
                        warn: if needed { f.warn } else { None },
                        ..f.clone()
                    };
                    assert_eq!(s, &expected, "{} at {now}", f.kind.as_str());
                }
                assert_eq!(full.iter().count(), shown.iter().count());
            }
        }
        // Every state was met on the way.
        assert_eq!(seen.len(), 5, "{seen:?}");
    }
}
