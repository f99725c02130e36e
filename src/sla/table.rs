//! The fast path of business-time arithmetic: a calendar's open intervals over a window of
//! years, each with the open time before it (a cumulative table), so that
//! [`super::calendar::add_open_time`] and [`super::calendar::open_time_between`] are a
//! lookup by day and a binary search over integers (nanoseconds since the epoch) instead of
//! a walk over local days with a time-zone conversion per range.
//!
//! The table is made by the walk itself (the same intervals, clipped the same way), once per
//! calendar (kept with it: [`Memo`]), after the calendar has been asked [`BUILD_AFTER`] times: a command
//! over a whole ledger asks the same few calendars hundreds of thousands of times, a command
//! on one case a handful. Answers are those of the walk, to the nanosecond; any question the
//! window does not cover (an instant outside it, a deadline past its end) is left to the walk.
//! The memo is a cache of a pure function of the calendar: it changes no answer, only how
//! fast it comes.

use chrono::{DateTime, TimeDelta, Utc};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// How often a calendar is asked before its table is built.
pub const BUILD_AFTER: u32 = 32;

/// How far the window reaches before and after the instant that triggered the build.
const BEFORE: TimeDelta = TimeDelta::days(800);
const AFTER: TimeDelta = TimeDelta::days(800);

/// Nanoseconds in a day: the step of [`Table::by_day`].
const DAY: i64 = 86_400 * 1_000_000_000;

/// The open intervals of one calendar in `[lo, hi]`, as the walk from `lo` hands them out,
/// in nanoseconds since the Unix epoch (one integer comparison or subtraction per step).
#[derive(Debug)]
pub struct Table {
    lo: i64,
    hi: i64,
    /// Each interval's start and end.
    open: Vec<i64>,
    close: Vec<i64>,
    /// Open time from the window's start to each interval's end (cumulative, so the open
    /// time before an interval is the previous entry's).
    after: Vec<i64>,
    /// For each day of the window (`lo` + n days), the first interval that ends after the
    /// day's start: a question about an instant starts there, not at a binary search.
    by_day: Vec<u32>,
    /// Each interval's start as a time (the answer of `add` is one plus less than the
    /// interval's length: cheaper than making a time from nanoseconds).
    open_at: Vec<DateTime<Utc>>,
    /// For each `step` of open time (k × `step` from the window's start), the first
    /// interval whose `after` reaches it: `add` starts there, not at a binary search.
    by_open: Vec<u32>,
    step: i64,
}

/// The least step of [`Table::by_open`]: an hour of open time.
const STEP: i64 = 3_600 * 1_000_000_000;

/// The most entries [`Table::by_open`] has (the step grows for calendars open longer).
const MOST_STEPS: i64 = 1 << 16;

impl Table {
    /// Builds the table of `[lo, hi]` with `walk`, which must hand out the calendar's open
    /// intervals from `lo` on, in order, disjoint, clipped to start no earlier than `lo`,
    /// for local dates up to at least two days past `hi`'s. `None` for a window outside
    /// what nanoseconds since the epoch can count (about the years 1678 to 2262).
    pub fn build(
        lo: DateTime<Utc>,
        hi: DateTime<Utc>,
        walk: impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)>,
    ) -> Option<Table> {
        let (lo, hi) = (lo.timestamp_nanos_opt()?, hi.timestamp_nanos_opt()?);
        let mut table = Table {
            lo,
            hi,
            open: Vec::new(),
            close: Vec::new(),
            after: Vec::new(),
            by_day: Vec::new(),
            open_at: Vec::new(),
            by_open: Vec::new(),
            step: STEP,
        };
        let mut before: i64 = 0;
        for (open_at, close_at) in walk {
            let (open, close) = (
                open_at.timestamp_nanos_opt()?,
                close_at.timestamp_nanos_opt()?,
            );
            before = before.checked_add(close.checked_sub(open)?)?;
            table.open_at.push(open_at);
            table.open.push(open);
            table.close.push(close);
            table.after.push(before);
            if open > hi {
                break;
            }
        }
        let days = usize::try_from((hi - lo) / DAY + 1).ok()?;
        let mut i = 0;
        for d in 0..days {
            let start = lo + i64::try_from(d).ok()? * DAY;
            while table.close.get(i).is_some_and(|&c| c <= start) {
                i += 1;
            }
            table.by_day.push(u32::try_from(i).ok()?);
        }
        let total = table.after.last().copied().unwrap_or(0);
        table.step = STEP.max(total / MOST_STEPS + 1);
        let mut i = 0;
        for k in 0..=total / table.step {
            let reach = k * table.step;
            while table.after.get(i).is_some_and(|&a| a < reach) {
                i += 1;
            }
            table.by_open.push(u32::try_from(i).ok()?);
        }
        Some(table)
    }

    /// `t` in nanoseconds, if it lies in the window the table answers for.
    fn place(&self, t: DateTime<Utc>) -> Option<i64> {
        t.timestamp_nanos_opt()
            .filter(|t| self.lo <= *t && *t <= self.hi)
    }

    /// Open time in `[lo, t)` for `t` (in nanoseconds) in the window.
    fn before(&self, t: i64) -> i64 {
        let day = usize::try_from((t - self.lo) / DAY).unwrap_or(0);
        let mut i = self.by_day.get(day).map_or(0, |&i| i as usize);
        // The intervals that end within the day, before `t`: a handful at most.
        while self.close.get(i).is_some_and(|&c| c <= t) {
            i += 1;
        }
        match self.open.get(i) {
            Some(&open) => self.done_before(i) + (t - open).max(0),
            None => self.done_before(self.open.len()),
        }
    }

    /// Open time from the window's start to the start of the `i`th interval (to the end of
    /// the last one for `i` = their number).
    fn done_before(&self, i: usize) -> i64 {
        i.checked_sub(1)
            .and_then(|p| self.after.get(p))
            .copied()
            .unwrap_or(0)
    }

    /// The open time in `[from, to)`, if both lie in the window (`from < to`).
    pub fn between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Option<TimeDelta> {
        let (from, to) = (self.place(from)?, self.place(to)?);
        Some(TimeDelta::nanoseconds(self.before(to) - self.before(from)))
    }

    /// The instant `amount` (> 0) of open time after `start`, if `start` and the answer lie
    /// in the window.
    pub fn add(&self, start: DateTime<Utc>, amount: TimeDelta) -> Option<DateTime<Utc>> {
        let start = self.place(start)?;
        let target = self.before(start).checked_add(amount.num_nanoseconds()?)?;
        // The first interval whose end is at or past the target: the walk stops in it.
        // Found from the entry of the target's step (a step or two of this loop), or, for
        // a target past the last interval's end, not at all.
        let k = usize::try_from(target / self.step).ok()?;
        let mut i = *self.by_open.get(k)? as usize;
        while self.after.get(i).is_some_and(|&after| after < target) {
            i += 1;
        }
        let open = *self.open.get(i)?;
        let into = target - self.done_before(i);
        let at = open.checked_add(into)?;
        if at > self.hi {
            return None;
        }
        self.open_at
            .get(i)?
            .checked_add_signed(TimeDelta::nanoseconds(into))
    }
}

/// A calendar's table, kept with the calendar ([`crate::policy::Calendar::fast`]) and
/// shared by every thread that asks it: built once the calendar has been asked
/// [`BUILD_AFTER`] times. Finding it is one atomic load (a memo per thread, keyed by the
/// calendar's content, had cost a comparison of the holidays on every question). A clone
/// of the calendar starts without one, so a copy that is then changed never answers with
/// the original's table; a checked policy's calendars are not changed.
#[derive(Default)]
pub struct Memo {
    asked: AtomicU32,
    /// Empty until built; `Some(None)` when the window could not be (the walk answers).
    table: OnceLock<Option<Table>>,
}

impl Clone for Memo {
    fn clone(&self) -> Self {
        Memo::default()
    }
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.table.get() {
            None => "not built",
            Some(None) => "out of reach",
            Some(Some(_)) => "built",
        };
        f.write_str(state)
    }
}

impl Memo {
    /// The table once the calendar has been asked often enough, building it around `near`
    /// (with `build`, which is given the window) when the time has come; `None` before,
    /// and when the window cannot be built.
    pub fn table(
        &self,
        near: DateTime<Utc>,
        build: impl FnOnce(DateTime<Utc>, DateTime<Utc>) -> Option<Table>,
    ) -> Option<&Table> {
        if let Some(table) = self.table.get() {
            return table.as_ref();
        }
        if self.asked.fetch_add(1, Ordering::Relaxed).saturating_add(1) < BUILD_AFTER {
            return None;
        }
        self.table
            .get_or_init(|| {
                let window = near
                    .checked_sub_signed(BEFORE)
                    .zip(near.checked_add_signed(AFTER));
                window.and_then(|(lo, hi)| build(lo, hi))
            })
            .as_ref()
    }
}
