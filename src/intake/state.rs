//! What intake needs to know of the ledger, folded from its events into a compact state:
//! which case holds each de-duplication key, where those cases stand, how often their alert
//! fired, and when each rule opened cases (for storm control). Pure; the shell feeds it every
//! record (and then the events it appends), so it never holds the records themselves.

use crate::case::{Event, Record, Seen, id};
use crate::policy::Status;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// Where a case with a de-duplication key stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedCase {
    pub id: String,
    pub status: Status,
    pub acknowledged: bool,
    /// When it was last resolved (while it stays resolved or closed).
    pub resolved_at: Option<DateTime<Utc>>,
    /// How often its alert fired (the last `alerted` event's count).
    pub fired: u32,
    pub last_event_at: DateTime<Utc>,
    /// Whether any `alerted` event was recorded on it yet.
    alerted: bool,
}

impl KeyedCase {
    /// Open, acknowledged or paused.
    pub fn is_active(&self) -> bool {
        matches!(
            self.status,
            Status::Open | Status::Acknowledged | Status::Paused
        )
    }

    fn working(&self) -> Status {
        if self.acknowledged {
            Status::Acknowledged
        } else {
            Status::Open
        }
    }
}

/// The intake's view of a ledger.
#[derive(Debug, Clone, Default)]
pub struct IntakeState {
    /// Key → the latest case opened with it.
    keys: HashMap<String, String>,
    /// Cases opened with a key, by id.
    cases: HashMap<String, KeyedCase>,
    /// Rule name → when it opened cases (storm control), in time order.
    opened: HashMap<String, Vec<DateTime<Utc>>>,
    /// The number the next new case gets.
    next_case: u64,
}

impl IntakeState {
    /// The events a read for the intake's view may skim (`Store::visit_skimming`): the
    /// outbox's, of which it takes only the time ([`IntakeState::see`]).
    pub const SKIMS: fn(&str) -> bool = crate::case::outbox_bookkeeping;

    pub fn new() -> Self {
        IntakeState {
            next_case: 1,
            ..IntakeState::default()
        }
    }

    /// Fold one more ledger record.
    pub fn push(&mut self, r: &Record) {
        self.apply(&r.case, r.at, &r.event);
    }

    /// Fold what a read skimming [`IntakeState::SKIMS`] hands on.
    pub fn see(&mut self, seen: &Seen) {
        match seen {
            Seen::Whole(r) => self.push(r),
            Seen::Skimmed(s) => {
                self.count(&s.case);
                touch(&mut self.cases, &s.case, s.at);
            }
        }
    }

    /// The case numbers so far include `case`'s.
    fn count(&mut self, case: &str) {
        if let Some(n) = id::number(case) {
            self.next_case = self.next_case.max(n + 1);
        }
    }

    /// Fold one event of case `case` at `at` (a record, or an event about to be appended).
    pub fn apply(&mut self, case: &str, at: DateTime<Utc>, event: &Event) {
        self.count(case);
        if let Event::Opened {
            dedup_key: Some(key),
            ..
        } = event
        {
            self.keys.insert(key.clone(), case.to_string());
            self.cases.insert(
                case.to_string(),
                KeyedCase {
                    id: case.to_string(),
                    status: Status::Open,
                    acknowledged: false,
                    resolved_at: None,
                    fired: 0,
                    last_event_at: at,
                    alerted: false,
                },
            );
            return;
        }
        let Some(c) = touch(&mut self.cases, case, at) else {
            return;
        };
        match event {
            Event::Acknowledged {} => {
                c.acknowledged = true;
                if c.status == Status::Open {
                    c.status = Status::Acknowledged;
                }
            }
            Event::Paused { .. } => c.status = Status::Paused,
            Event::Resumed {} => c.status = c.working(),
            Event::Resolved { .. } => {
                c.status = Status::Resolved;
                c.resolved_at = Some(at);
            }
            Event::Closed { .. } => c.status = Status::Closed,
            Event::Reopened { .. } => {
                c.status = c.working();
                c.resolved_at = None;
            }
            Event::Alerted {
                count, rule, storm, ..
            } => {
                if !c.alerted
                    && !storm
                    && let Some(rule) = rule
                {
                    self.opened.entry(rule.clone()).or_default().push(at);
                }
                c.alerted = true;
                c.fired = *count;
            }
            _ => {}
        }
    }

    /// The latest case opened with `key`.
    pub fn case_for(&self, key: &str) -> Option<&KeyedCase> {
        self.keys.get(key).and_then(|id| self.cases.get(id))
    }

    /// Whether any case was opened with `key`.
    pub fn has_key(&self, key: &str) -> bool {
        self.keys.contains_key(key)
    }

    /// How many cases `rule` opened after `since` (exclusive).
    pub fn opened_since(&self, rule: &str, since: DateTime<Utc>) -> usize {
        self.opened
            .get(rule)
            .map_or(0, |times| times.iter().filter(|t| **t > since).count())
    }

    /// The number the next new case gets.
    pub fn next_case(&self) -> u64 {
        self.next_case
    }

    /// Take the next case number.
    pub fn take_case_number(&mut self) -> u64 {
        let n = self.next_case;
        self.next_case += 1;
        n
    }

    /// At least `n` for the next case number (the ledger's own count wins).
    pub fn reserve_from(&mut self, n: u64) {
        self.next_case = self.next_case.max(n);
    }
}

/// A keyed case (if `case` is one) had an event at `at`.
fn touch<'c>(
    cases: &'c mut HashMap<String, KeyedCase>,
    case: &str,
    at: DateTime<Utc>,
) -> Option<&'c mut KeyedCase> {
    let c = cases.get_mut(case)?;
    c.last_event_at = c.last_event_at.max(at);
    Some(c)
}
