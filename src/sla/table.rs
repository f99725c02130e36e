//! The fast path of business-time arithmetic: a calendar's open intervals over a window of
//! years, each with the open time before it (a cumulative table), so that
//! [`super::calendar::add_open_time`] and [`super::calendar::open_time_between`] are two
//! binary searches instead of a walk over local days with a time-zone conversion per range.
//!
//! The table is made by the walk itself (the same intervals, clipped the same way), once per
//! calendar and thread, after the calendar has been asked [`BUILD_AFTER`] times: a command
//! over a whole ledger asks the same few calendars hundreds of thousands of times, a command
//! on one case a handful. Answers are those of the walk, to the nanosecond; any question the
//! window does not cover (an instant outside it, a deadline past its end) is left to the walk.
//! The memo is a cache of a pure function of the calendar: it changes no answer, only how
//! fast it comes.

use crate::policy::model::{Calendar, Hours};
use chrono::{DateTime, TimeDelta, Utc};
use std::cell::RefCell;
use std::rc::Rc;

/// How often a calendar is asked before its table is built.
pub const BUILD_AFTER: u32 = 32;

/// How far the window reaches before and after the instant that triggered the build.
const BEFORE: TimeDelta = TimeDelta::days(800);
const AFTER: TimeDelta = TimeDelta::days(800);

/// Calendars remembered per thread (a policy has a handful).
const MAX_CALENDARS: usize = 16;

/// One open interval and the open time of every interval before it in the table.
#[derive(Debug, Clone, Copy)]
struct Interval {
    open: DateTime<Utc>,
    close: DateTime<Utc>,
    /// Open time from the window's start to `open`.
    before: TimeDelta,
    /// Open time from the window's start to `close` (`before` + the interval's length).
    after: TimeDelta,
}

/// The open intervals of one calendar in `[lo, hi]`, as the walk from `lo` hands them out.
#[derive(Debug)]
pub struct Table {
    lo: DateTime<Utc>,
    hi: DateTime<Utc>,
    intervals: Vec<Interval>,
}

impl Table {
    /// Builds the table of `[lo, hi]` with `walk`, which must hand out the calendar's open
    /// intervals from `lo` on, in order, disjoint, clipped to start no earlier than `lo`,
    /// for local dates up to at least two days past `hi`'s.
    pub fn build(
        lo: DateTime<Utc>,
        hi: DateTime<Utc>,
        walk: impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)>,
    ) -> Table {
        let mut intervals = Vec::new();
        let mut before = TimeDelta::zero();
        for (open, close) in walk {
            let after = before + (close - open);
            intervals.push(Interval {
                open,
                close,
                before,
                after,
            });
            before = after;
            if open > hi {
                break;
            }
        }
        Table { lo, hi, intervals }
    }

    /// Whether `t` lies in the window the table answers for.
    fn covers(&self, t: DateTime<Utc>) -> bool {
        self.lo <= t && t <= self.hi
    }

    /// Open time in `[lo, t)` for `t` in the window.
    fn before(&self, t: DateTime<Utc>) -> TimeDelta {
        let i = self.intervals.partition_point(|iv| iv.close <= t);
        match self.intervals.get(i) {
            Some(iv) => iv.before + (t - iv.open).max(TimeDelta::zero()),
            None => self
                .intervals
                .last()
                .map_or(TimeDelta::zero(), |iv| iv.after),
        }
    }

    /// The open time in `[from, to)`, if both lie in the window (`from < to`).
    pub fn between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Option<TimeDelta> {
        (self.covers(from) && self.covers(to)).then(|| self.before(to) - self.before(from))
    }

    /// The instant `amount` (> 0) of open time after `start`, if `start` and the answer lie
    /// in the window.
    pub fn add(&self, start: DateTime<Utc>, amount: TimeDelta) -> Option<DateTime<Utc>> {
        if !self.covers(start) {
            return None;
        }
        let target = self.before(start).checked_add(&amount)?;
        // The first interval whose end is at or past the target: the walk stops in it.
        let i = self.intervals.partition_point(|iv| iv.after < target);
        let iv = self.intervals.get(i)?;
        let at = iv.open.checked_add_signed(target - iv.before)?;
        self.covers(at).then_some(at)
    }
}

/// A calendar remembered: its content (to tell it apart), how often it was asked, its table.
struct Entry {
    calendar: Calendar,
    asked: u32,
    table: Option<Rc<Table>>,
}

fn same(a: &Calendar, b: &Calendar) -> bool {
    a.name == b.name && a.timezone == b.timezone && a.hours == b.hours && a.holidays == b.holidays
}

thread_local! {
    static TABLES: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
}

/// The table of `cal` once it has been asked often enough, building it around `near` (with
/// `build`, which is given the window) when the time has come. `None` for `"24x7"`
/// calendars (plain elapsed time needs no table) and before the table is built.
pub fn for_calendar(
    cal: &Calendar,
    near: DateTime<Utc>,
    build: impl FnOnce(DateTime<Utc>, DateTime<Utc>) -> Table,
) -> Option<Rc<Table>> {
    if matches!(cal.hours, Hours::Always) {
        return None;
    }
    TABLES.with(|tables| {
        let mut tables = tables.borrow_mut();
        let i = match tables.iter().position(|e| same(&e.calendar, cal)) {
            Some(i) => i,
            None => {
                if tables.len() >= MAX_CALENDARS {
                    tables.remove(0);
                }
                tables.push(Entry {
                    calendar: cal.clone(),
                    asked: 0,
                    table: None,
                });
                tables.len() - 1
            }
        };
        let entry = &mut tables[i];
        if entry.table.is_none() {
            entry.asked += 1;
            if entry.asked < BUILD_AFTER {
                return None;
            }
            let lo = near.checked_sub_signed(BEFORE)?;
            let hi = near.checked_add_signed(AFTER)?;
            entry.table = Some(Rc::new(build(lo, hi)));
        }
        entry.table.clone()
    })
}
