//! Business-time arithmetic on [`Calendar`]s: pure functions, no I/O, no clock.
//!
//! A calendar is open during its weekly ranges, in its own time zone, except on its
//! holidays. SLA targets and tier budgets are amounts of *open time*:
//!
//! - [`add_open_time`] finds the deadline that lies an amount of open time after a start;
//! - [`open_time_between`] measures the open time in `[from, to)`;
//! - [`is_open`] and [`next_open`] answer whether (and when next) the calendar is open.
//!
//! # Semantics
//!
//! **Open ranges are half-open** `[start, end)`. A deadline that uses up the last minute of
//! a range falls at that range's end (`17:30`), not at the next opening; at that instant the
//! calendar itself is already closed ([`is_open`] is `false`).
//!
//! **`"24x7"` ([`Hours::Always`]) is plain elapsed time, and ignores holidays**: "24x7"
//! means always open, so a holiday list on such a calendar has no effect.
//!
//! **Holidays** are whole *local* days (in the calendar's time zone) on which the ranges of
//! that day do not apply.
//!
//! **Time zones and daylight saving.** Each range of a local day is turned into one
//! interval of UTC instants with the calendar's time zone; only time that actually exists
//! is counted:
//!
//! - a range end of `1440` (`24:00`) is the next local midnight;
//! - a local time that does not exist (the clock jumps over it) stands for the first
//!   instant after the gap, for starts and ends alike: on Europe/London's spring-forward day
//!   (01:00 jumps to 02:00) a `01:00-03:00` range is 1 hour and `00:00-24:00` is 23 hours;
//! - a local time that occurs twice (the clock is turned back) stands for its *earliest*
//!   occurrence when it starts a range and its *latest* when it ends one, so on the
//!   fall-back day a `00:00-24:00` range is 25 hours and the repeated hour counts twice;
//! - should two intervals overlap after conversion (e.g. a range ending at an ambiguous
//!   midnight and the next day's range starting at it), the shared time counts once.
//!
//! # Bounds
//!
//! Work is proportional to the number of local days visited; whole closed days and ranges
//! are skipped, never stepped through minute by minute. Searches forward
//! ([`add_open_time`], [`next_open`]) give up with `None` once they have seen no open time
//! for [`HORIZON_DAYS`] consecutive days (e.g. a weekly calendar without any range), and
//! at the end of the representable time range. Nothing here panics.

use super::table::Table;
use crate::policy::model::{Calendar, Hours, TimeRange};
use chrono::{
    DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta,
    TimeZone, Utc,
};
use chrono_tz::Tz;
use std::collections::BTreeSet;

/// How many consecutive days without any open time a forward search tolerates before it
/// concludes that the calendar never opens (a little over ten years).
pub const HORIZON_DAYS: u32 = 3660;

/// The deadline that lies `amount` of open time after `start` on `cal`.
///
/// - `amount` zero (or negative) returns `start` itself, even in closed time.
/// - A deadline that uses up an open range exactly falls at that range's end (e.g. `17:30`),
///   not at the next opening.
/// - On a `"24x7"` calendar this is `start + amount` (holidays are ignored).
///
/// Returns `None` only if the calendar has no open time for [`HORIZON_DAYS`] days on end
/// (a weekly calendar without ranges, or one closed by holidays for a decade), or if the
/// deadline is beyond the range of representable instants.
pub fn add_open_time(
    cal: &Calendar,
    start: DateTime<Utc>,
    amount: TimeDelta,
) -> Option<DateTime<Utc>> {
    if amount <= TimeDelta::zero() {
        return Some(start);
    }
    let week = match &cal.hours {
        Hours::Always => return start.checked_add_signed(amount),
        Hours::Weekly(week) => week,
    };
    if never_open(week) {
        return None;
    }
    if let Some(table) = cal
        .fast
        .table(start, |lo, hi| build_table(cal, week, lo, hi))
        && let Some(at) = table.add(start, amount)
    {
        return Some(at);
    }
    walk_add(cal, week, start, amount)
}

/// [`add_open_time`] by walking the calendar's intervals from `start` (`amount` > 0, `week`
/// not empty): the definition the fast path in [`table`] must agree with.
fn walk_add(
    cal: &Calendar,
    week: &[Vec<TimeRange>; 7],
    start: DateTime<Utc>,
    amount: TimeDelta,
) -> Option<DateTime<Utc>> {
    let mut remaining = amount;
    for (open, close) in OpenIntervals::new(cal, week, start, NaiveDate::MAX, HORIZON_DAYS) {
        let length = close - open;
        if remaining <= length {
            return Some(open + remaining);
        }
        remaining -= length;
    }
    None
}

/// The open time of `cal` in `[from, to)`; zero if `to <= from`.
///
/// On a `"24x7"` calendar this is `to - from` (holidays are ignored).
/// `open_time_between(cal, start, add_open_time(cal, start, d)?) == d` for any `d >= 0`.
pub fn open_time_between(cal: &Calendar, from: DateTime<Utc>, to: DateTime<Utc>) -> TimeDelta {
    if to <= from {
        return TimeDelta::zero();
    }
    let week = match &cal.hours {
        Hours::Always => return to - from,
        Hours::Weekly(week) => week,
    };
    if never_open(week) {
        return TimeDelta::zero();
    }
    if let Some(table) = cal
        .fast
        .table(from, |lo, hi| build_table(cal, week, lo, hi))
        && let Some(open) = table.between(from, to)
    {
        return open;
    }
    walk_between(cal, week, from, to)
}

/// [`open_time_between`] by walking the calendar's intervals (`from < to`, `week` not
/// empty): the definition the fast path in [`table`] must agree with.
fn walk_between(
    cal: &Calendar,
    week: &[Vec<TimeRange>; 7],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> TimeDelta {
    // Intervals of a local day end at the latest at the following local midnight, so no
    // interval of a day after `to`'s local date + 1 can start before `to`.
    let last_date = local_date(cal.timezone, to)
        .and_then(|d| d.succ_opt())
        .unwrap_or(NaiveDate::MAX);
    let mut total = TimeDelta::zero();
    for (open, close) in OpenIntervals::new(cal, week, from, last_date, u32::MAX) {
        if open >= to {
            break;
        }
        total += close.min(to) - open;
    }
    total
}

/// Whether `cal` is open at the instant `at` (always `true` for `"24x7"`).
///
/// Ranges are half-open: at a range's start the calendar is open, at its end it is closed
/// (unless another range starts right there).
pub fn is_open(cal: &Calendar, at: DateTime<Utc>) -> bool {
    let week = match &cal.hours {
        Hours::Always => return true,
        Hours::Weekly(week) => week,
    };
    if never_open(week) {
        return false;
    }
    let last_date = local_date(cal.timezone, at)
        .and_then(|d| d.succ_opt())
        .unwrap_or(NaiveDate::MAX);
    // Intervals are clipped to start no earlier than `at`: one containing `at` starts at it.
    OpenIntervals::new(cal, week, at, last_date, u32::MAX)
        .next()
        .is_some_and(|(open, _)| open == at)
}

/// The first instant at or after `at` at which `cal` is open: `at` itself if it is open.
///
/// `None` if the calendar has no open time for [`HORIZON_DAYS`] days on end after `at`.
pub fn next_open(cal: &Calendar, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let week = match &cal.hours {
        Hours::Always => return Some(at),
        Hours::Weekly(week) => week,
    };
    if never_open(week) {
        return None;
    }
    OpenIntervals::new(cal, week, at, NaiveDate::MAX, HORIZON_DAYS)
        .next()
        .map(|(open, _)| open)
}

/// The table of `cal`'s open intervals in `[lo, hi]`, made by the walk.
fn build_table(
    cal: &Calendar,
    week: &[Vec<TimeRange>; 7],
    lo: DateTime<Utc>,
    hi: DateTime<Utc>,
) -> Option<Table> {
    // Intervals of a local day start no earlier than a day before its local midnight; two
    // days past `hi`'s local date, every interval that starts by `hi` has been seen.
    let last_date = local_date(cal.timezone, hi)
        .and_then(|d| d.checked_add_days(chrono::Days::new(2)))
        .unwrap_or(NaiveDate::MAX);
    Table::build(
        lo,
        hi,
        OpenIntervals::new(cal, week, lo, last_date, u32::MAX),
    )
}

/// A weekly calendar without a single range.
fn never_open(week: &[Vec<TimeRange>; 7]) -> bool {
    week.iter().all(Vec::is_empty)
}

/// The local calendar date of an instant in a time zone; `None` beyond representable time.
fn local_date(tz: Tz, at: DateTime<Utc>) -> Option<NaiveDate> {
    let utc = at.naive_utc();
    let offset = tz.offset_from_utc_datetime(&utc).fix().local_minus_utc();
    utc.checked_add_signed(TimeDelta::seconds(i64::from(offset)))
        .map(|local| local.date())
}

/// Which instant a local time that occurs twice stands for.
#[derive(Debug, Clone, Copy)]
enum Pick {
    Earliest,
    Latest,
}

/// The UTC instant of a local wall-clock time (see the module docs for gaps and overlaps).
fn local_to_utc(tz: Tz, local: NaiveDateTime, pick: Pick) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => {
            let (a, b) = (a.with_timezone(&Utc), b.with_timezone(&Utc));
            Some(match pick {
                Pick::Earliest => a.min(b),
                Pick::Latest => a.max(b),
            })
        }
        LocalResult::None => gap_end(tz, local),
    }
}

/// The wall-clock time in `tz` at a Unix timestamp (whole seconds).
fn wall_clock(tz: Tz, timestamp: i64) -> Option<NaiveDateTime> {
    let utc = DateTime::from_timestamp(timestamp, 0)?.naive_utc();
    let offset = tz.offset_from_utc_datetime(&utc).fix().local_minus_utc();
    utc.checked_add_signed(TimeDelta::seconds(i64::from(offset)))
}

/// For a local time that does not exist in `tz` (it lies in a gap where the clock jumps
/// forward), the first instant after the gap: the first instant whose wall clock reads
/// later than `local`.
fn gap_end(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    // UTC offsets lie within ±26h, so the wall clock reads earlier than `local` at
    // `guess - SPAN` and later at `guess + SPAN`. Offsets change at whole seconds.
    const SPAN: i64 = 26 * 3600;
    let guess = local.and_utc().timestamp();
    let (mut before, mut after) = (guess - SPAN, guess + SPAN);
    while after - before > 1 {
        let mid = before + (after - before) / 2;
        if wall_clock(tz, mid)? >= local {
            after = mid;
        } else {
            before = mid;
        }
    }
    DateTime::from_timestamp(after, 0)
}

/// The open intervals `[open, close)` of a weekly calendar from an instant on, in order,
/// disjoint, clipped so that none starts before that instant.
///
/// Visits local dates one by one from the day before the start instant's local date (a
/// day's last range may end after the next local midnight began, around a fall-back) up
/// to `last_date` inclusive, and stops early after more than `max_idle_days` consecutive
/// days without open time.
struct OpenIntervals<'a> {
    tz: Tz,
    week: &'a [Vec<TimeRange>; 7],
    holidays: &'a BTreeSet<NaiveDate>,
    next_date: Option<NaiveDate>,
    last_date: NaiveDate,
    max_idle_days: u32,
    idle_days: u32,
    /// The intervals of the day last visited, and how many of them were handed out.
    buffer: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    taken: usize,
    /// Nothing before this has to be handed out (any more): the start instant, then the
    /// end of the last interval.
    covered_until: DateTime<Utc>,
}

impl<'a> OpenIntervals<'a> {
    fn new(
        cal: &'a Calendar,
        week: &'a [Vec<TimeRange>; 7],
        from: DateTime<Utc>,
        last_date: NaiveDate,
        max_idle_days: u32,
    ) -> Self {
        let first_date = local_date(cal.timezone, from).map(|d| d.pred_opt().unwrap_or(d));
        OpenIntervals {
            tz: cal.timezone,
            week,
            holidays: &cal.holidays,
            next_date: first_date,
            last_date,
            max_idle_days,
            idle_days: 0,
            buffer: Vec::new(),
            taken: 0,
            covered_until: from,
        }
    }

    /// The ranges that apply on a local date.
    fn ranges(&self, date: NaiveDate) -> &'a [TimeRange] {
        if self.holidays.contains(&date) {
            &[]
        } else {
            &self.week[date.weekday().num_days_from_monday() as usize]
        }
    }

    /// Fills the buffer with the intervals of one local date; `None` at the end of
    /// representable time.
    fn visit(&mut self, date: NaiveDate) -> Option<()> {
        let ranges = self.ranges(date);
        if ranges.is_empty() {
            return Some(());
        }
        let midnight = date.and_time(NaiveTime::MIN);
        for range in ranges {
            let start = midnight.checked_add_signed(TimeDelta::minutes(range.start.into()))?;
            let end = midnight.checked_add_signed(TimeDelta::minutes(range.end.into()))?;
            let open = local_to_utc(self.tz, start, Pick::Earliest)?;
            let close = local_to_utc(self.tz, end, Pick::Latest)?;
            let open = open.max(self.covered_until);
            if close > open {
                self.buffer.push((open, close));
                self.covered_until = close;
            }
        }
        Some(())
    }
}

impl Iterator for OpenIntervals<'_> {
    type Item = (DateTime<Utc>, DateTime<Utc>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(&interval) = self.buffer.get(self.taken) {
                self.taken += 1;
                return Some(interval);
            }
            let date = self.next_date?;
            if date > self.last_date || self.idle_days > self.max_idle_days {
                self.next_date = None;
                return None;
            }
            self.buffer.clear();
            self.taken = 0;
            self.next_date = match self.visit(date) {
                Some(()) => date.succ_opt(),
                None => None,
            };
            if self.buffer.is_empty() {
                self.idle_days = self.idle_days.saturating_add(1);
            } else {
                self.idle_days = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Tz;
    use proptest::prelude::*;

    /// Minutes after midnight of `hh:mm`.
    fn hm(h: u16, m: u16) -> u16 {
        h * 60 + m
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("valid RFC 3339 instant")
            .with_timezone(&Utc)
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().expect("valid date")
    }

    fn h(hours: i64) -> TimeDelta {
        TimeDelta::hours(hours)
    }

    fn m(minutes: i64) -> TimeDelta {
        TimeDelta::minutes(minutes)
    }

    /// A weekly calendar with the same ranges on the given weekdays (0 = Monday).
    fn weekly(tz: Tz, days: &[usize], ranges: &[(u16, u16)], holidays: &[&str]) -> Calendar {
        let mut week: [Vec<TimeRange>; 7] = Default::default();
        for &d in days {
            week[d] = ranges
                .iter()
                .map(|&(start, end)| TimeRange { start, end })
                .collect();
        }
        Calendar {
            name: "test".into(),
            timezone: tz,
            hours: Hours::Weekly(week),
            holidays: holidays.iter().map(|d| date(d)).collect(),
            fast: Default::default(),
        }
    }

    const WEEKDAYS: &[usize] = &[0, 1, 2, 3, 4];
    const ALL_DAYS: &[usize] = &[0, 1, 2, 3, 4, 5, 6];

    /// Europe/London, Monday to Friday 09:00-17:30, with the spec's holidays.
    fn office() -> Calendar {
        weekly(
            Tz::Europe__London,
            WEEKDAYS,
            &[(hm(9, 0), hm(17, 30))],
            &["2026-12-25", "2026-12-28", "2027-01-01"],
        )
    }

    fn always(holidays: &[&str]) -> Calendar {
        Calendar {
            name: "always".into(),
            timezone: Tz::UTC,
            hours: Hours::Always,
            holidays: holidays.iter().map(|d| date(d)).collect(),
            fast: Default::default(),
        }
    }

    #[test]
    fn the_fast_path_answers_once_a_calendar_is_asked_often() {
        // Europe/London around the clock change of 2026-10-25, with holidays: the table
        // built after repeated questions gives the walk's answers (and does answer).
        let cal = office();
        let Hours::Weekly(week) = &cal.hours else {
            unreachable!("office is weekly")
        };
        let start = t("2026-10-20T08:00:00Z");
        let mut answered = 0;
        for i in 0..(3 * super::super::table::BUILD_AFTER as i64) {
            let from = start + TimeDelta::minutes(97 * i);
            let amount = m(37 * i + 1);
            let fast = add_open_time(&cal, from, amount);
            assert_eq!(
                fast,
                walk_add(&cal, week, from, amount),
                "{from} + {amount}"
            );
            if let Some(to) = fast {
                assert_eq!(open_time_between(&cal, from, to), amount);
                assert_eq!(
                    open_time_between(&cal, from, to),
                    walk_between(&cal, week, from, to)
                );
            }
            let table = build_table(&cal, week, start - h(24 * 30), start + h(24 * 90))
                .expect("a window of this century");
            answered += usize::from(table.add(from, amount).is_some());
        }
        assert_eq!(answered, 3 * super::super::table::BUILD_AFTER as usize);
    }

    fn check_add(cal: &Calendar, start: &str, amount: TimeDelta, expected: &str) {
        let start = t(start);
        let deadline = add_open_time(cal, start, amount);
        assert_eq!(deadline, Some(t(expected)), "{start} + {amount}");
        assert_eq!(open_time_between(cal, start, t(expected)), amount);
    }

    #[test]
    fn friday_evening_lands_on_monday() {
        // 2026-11-20 is a Friday; London is on GMT (= UTC) in November.
        let cal = office();
        check_add(&cal, "2026-11-20T18:00:00Z", h(8), "2026-11-23T17:00:00Z");
        // 16:00 Friday: 1h30 on Friday, 6h30 on Monday.
        check_add(&cal, "2026-11-20T16:00:00Z", h(8), "2026-11-23T15:30:00Z");
        // Saturday start behaves like Monday 09:00.
        check_add(&cal, "2026-11-21T12:00:00Z", h(8), "2026-11-23T17:00:00Z");
    }

    #[test]
    fn christmas_holidays_are_skipped() {
        // Thu 24 Dec: 15:00-17:30 = 2h30; Fri 25 holiday, weekend, Mon 28 holiday;
        // Tue 29 Dec from 09:00: 1h30.
        let cal = office();
        check_add(&cal, "2026-12-24T15:00:00Z", h(4), "2026-12-29T10:30:00Z");
        // 8h30 = a full day: from Thu 24 17:30 exactly, that is all of Tue 29.
        check_add(
            &cal,
            "2026-12-24T17:30:00Z",
            h(8) + m(30),
            "2026-12-29T17:30:00Z",
        );
        // Thu 31 Dec 17:00 + 1h: 30m on Thu, Fri 1 Jan holiday, 30m on Mon 4 Jan.
        check_add(&cal, "2026-12-31T17:00:00Z", h(1), "2027-01-04T09:30:00Z");
        assert_eq!(
            open_time_between(&cal, t("2026-12-24T00:00:00Z"), t("2026-12-30T00:00:00Z")),
            h(17)
        );
        assert!(!is_open(&cal, t("2026-12-25T10:00:00Z")));
        assert!(!is_open(&cal, t("2026-12-28T10:00:00Z")));
        assert!(is_open(&cal, t("2026-12-29T10:00:00Z")));
    }

    #[test]
    fn london_clock_changes() {
        let cal = office();
        // Spring forward Sun 29 Mar 2026. Fri 27 Mar 16:00 GMT: 1h30 on Friday, then
        // Mon 30 Mar 09:00 BST = 08:00Z + 2h30.
        check_add(&cal, "2026-03-27T16:00:00Z", h(4), "2026-03-30T10:30:00Z");
        // Fall back Sun 25 Oct 2026. Fri 23 Oct 17:00 BST = 16:00Z: 30m on Friday, then
        // Mon 26 Oct 09:00 GMT = 09:00Z + 3h30.
        check_add(&cal, "2026-10-23T16:00:00Z", h(4), "2026-10-26T12:30:00Z");
        // A whole week of office hours is the same 42h30 across either change.
        assert_eq!(
            open_time_between(&cal, t("2026-03-23T00:00:00Z"), t("2026-03-30T23:00:00Z")),
            h(42) + m(30) + h(8) + m(30)
        );

        // Whole days: 23h on spring-forward day, 25h on fall-back day.
        let full = weekly(Tz::Europe__London, ALL_DAYS, &[(0, 1440)], &[]);
        assert_eq!(
            open_time_between(&full, t("2026-03-29T00:00:00Z"), t("2026-03-29T23:00:00Z")),
            h(23)
        );
        assert_eq!(
            add_open_time(&full, t("2026-03-29T00:00:00Z"), h(23)),
            Some(t("2026-03-29T23:00:00Z"))
        );
        assert_eq!(
            open_time_between(&full, t("2026-10-24T23:00:00Z"), t("2026-10-26T00:00:00Z")),
            h(25)
        );

        // 01:00-03:00 every day: on 29 Mar 01:00 jumps to 02:00, so only
        // 02:00-03:00 BST = 01:00Z-02:00Z counts.
        let night = weekly(Tz::Europe__London, ALL_DAYS, &[(hm(1, 0), hm(3, 0))], &[]);
        assert_eq!(
            open_time_between(&night, t("2026-03-29T00:00:00Z"), t("2026-03-30T00:00:00Z")),
            h(1)
        );
        assert_eq!(
            next_open(&night, t("2026-03-28T04:00:00Z")),
            Some(t("2026-03-29T01:00:00Z"))
        );
        // Sat 28 Mar 03:00 GMT: 1h on Sunday, then Mon 30 Mar 01:00 BST = 00:00Z + 30m.
        check_add(
            &night,
            "2026-03-28T03:00:00Z",
            h(1) + m(30),
            "2026-03-30T00:30:00Z",
        );
        // On 25 Oct 01:00 BST (00:00Z) to 03:00 GMT (03:00Z): 3h, the repeated hour twice.
        assert_eq!(
            open_time_between(&night, t("2026-10-25T00:00:00Z"), t("2026-10-26T00:00:00Z")),
            h(3)
        );
        check_add(&night, "2026-10-24T23:00:00Z", h(3), "2026-10-25T03:00:00Z");
        assert!(is_open(&night, t("2026-10-25T00:30:00Z")));
        assert!(is_open(&night, t("2026-10-25T02:59:59Z")));
        assert!(!is_open(&night, t("2026-10-25T03:00:00Z")));

        // Ends and starts inside the repeated hour: an end takes the latest occurrence
        // (01:30 GMT = 01:30Z), a start the earliest (01:30 BST = 00:30Z).
        let early = weekly(Tz::Europe__London, ALL_DAYS, &[(0, hm(1, 30))], &[]);
        assert_eq!(
            open_time_between(&early, t("2026-10-24T23:00:00Z"), t("2026-10-26T00:00:00Z")),
            h(2) + m(30)
        );
        check_add(
            &early,
            "2026-10-24T23:00:00Z",
            h(2) + m(30),
            "2026-10-25T01:30:00Z",
        );
        let late = weekly(Tz::Europe__London, ALL_DAYS, &[(hm(1, 30), hm(3, 0))], &[]);
        assert_eq!(
            next_open(&late, t("2026-10-24T23:00:00Z")),
            Some(t("2026-10-25T00:30:00Z"))
        );
        assert_eq!(
            open_time_between(&late, t("2026-10-24T23:00:00Z"), t("2026-10-26T00:00:00Z")),
            h(2) + m(30)
        );
    }

    #[test]
    fn new_york_clock_changes() {
        let cal = weekly(
            Tz::America__New_York,
            WEEKDAYS,
            &[(hm(9, 0), hm(17, 0))],
            &[],
        );
        // Spring forward Sun 8 Mar 2026. Fri 6 Mar 16:00 EST = 21:00Z: 1h on Friday,
        // then Mon 9 Mar 09:00 EDT = 13:00Z + 1h.
        check_add(&cal, "2026-03-06T21:00:00Z", h(2), "2026-03-09T14:00:00Z");
        // Fall back Sun 1 Nov 2026. Fri 30 Oct 16:00 EDT = 20:00Z: 1h on Friday, then
        // Mon 2 Nov 09:00 EST = 14:00Z + 1h.
        check_add(&cal, "2026-10-30T20:00:00Z", h(2), "2026-11-02T15:00:00Z");
        assert!(is_open(&cal, t("2026-03-09T13:00:00Z")));
        assert!(!is_open(&cal, t("2026-03-09T12:59:59Z")));
        assert!(is_open(&cal, t("2026-11-02T14:00:00Z")));
        assert!(!is_open(&cal, t("2026-11-02T13:59:59Z")));

        let full = weekly(Tz::America__New_York, ALL_DAYS, &[(0, 1440)], &[]);
        // 8 Mar: 00:00 EST = 05:00Z to 9 Mar 00:00 EDT = 04:00Z.
        assert_eq!(
            open_time_between(&full, t("2026-03-08T05:00:00Z"), t("2026-03-09T04:00:00Z")),
            h(23)
        );
        // 1 Nov: 00:00 EDT = 04:00Z to 2 Nov 00:00 EST = 05:00Z.
        assert_eq!(
            open_time_between(&full, t("2026-11-01T04:00:00Z"), t("2026-11-02T05:00:00Z")),
            h(25)
        );
        // 02:00-02:30 lies wholly in the 8 Mar gap: no open time that day.
        let gap = weekly(
            Tz::America__New_York,
            ALL_DAYS,
            &[(hm(2, 0), hm(2, 30))],
            &[],
        );
        assert_eq!(
            open_time_between(&gap, t("2026-03-08T05:00:00Z"), t("2026-03-09T04:00:00Z")),
            TimeDelta::zero()
        );
        // Sat 7 Mar 02:30 EST = 07:30Z: next opening is Mon 9 Mar 02:00 EDT = 06:00Z.
        assert_eq!(
            next_open(&gap, t("2026-03-07T07:30:00Z")),
            Some(t("2026-03-09T06:00:00Z"))
        );
    }

    #[test]
    fn always_is_elapsed_time_and_ignores_holidays() {
        let cal = always(&["2026-11-23"]);
        check_add(&cal, "2026-11-23T09:00:00Z", m(15), "2026-11-23T09:15:00Z");
        check_add(&cal, "2026-11-22T23:50:00Z", h(4), "2026-11-23T03:50:00Z");
        assert!(is_open(&cal, t("2026-11-23T12:00:00Z")));
        assert_eq!(
            next_open(&cal, t("2026-11-23T12:00:00Z")),
            Some(t("2026-11-23T12:00:00Z"))
        );
        assert_eq!(
            open_time_between(&cal, t("2026-11-23T00:00:00Z"), t("2026-11-24T00:00:00Z")),
            h(24)
        );
    }

    #[test]
    fn using_up_the_last_minute_lands_at_range_end() {
        let cal = office();
        // Mon 23 Nov 2026.
        check_add(&cal, "2026-11-23T17:00:00Z", m(30), "2026-11-23T17:30:00Z");
        check_add(
            &cal,
            "2026-11-23T09:00:00Z",
            h(8) + m(30),
            "2026-11-23T17:30:00Z",
        );
        check_add(&cal, "2026-11-23T17:29:00Z", m(1), "2026-11-23T17:30:00Z");
        // One more second goes to the next morning.
        check_add(
            &cal,
            "2026-11-23T17:00:00Z",
            m(30) + TimeDelta::seconds(1),
            "2026-11-24T09:00:01Z",
        );
        // Friday's last minute stays on Friday.
        check_add(&cal, "2026-11-27T17:00:00Z", m(30), "2026-11-27T17:30:00Z");
        assert!(!is_open(&cal, t("2026-11-23T17:30:00Z")));
        assert!(is_open(&cal, t("2026-11-23T17:29:59Z")));
    }

    #[test]
    fn several_ranges_a_day() {
        let cal = weekly(
            Tz::Europe__London,
            WEEKDAYS,
            &[(hm(9, 0), hm(12, 0)), (hm(13, 0), hm(17, 30))],
            &[],
        );
        // Mon 23 Nov 2026, 11:00: 1h before lunch, 1h after.
        check_add(&cal, "2026-11-23T11:00:00Z", h(2), "2026-11-23T14:00:00Z");
        // Exactly the morning's rest: lands at 12:00, not 13:00.
        check_add(&cal, "2026-11-23T11:00:00Z", h(1), "2026-11-23T12:00:00Z");
        // Starting at lunch.
        check_add(&cal, "2026-11-23T12:15:00Z", m(30), "2026-11-23T13:30:00Z");
        // A whole day is 7h30.
        check_add(
            &cal,
            "2026-11-23T09:00:00Z",
            h(7) + m(30),
            "2026-11-23T17:30:00Z",
        );
        check_add(&cal, "2026-11-23T09:00:00Z", h(8), "2026-11-24T09:30:00Z");
        assert!(!is_open(&cal, t("2026-11-23T12:00:00Z")));
        assert!(!is_open(&cal, t("2026-11-23T12:59:59Z")));
        assert!(is_open(&cal, t("2026-11-23T13:00:00Z")));
        assert_eq!(
            next_open(&cal, t("2026-11-23T12:00:00Z")),
            Some(t("2026-11-23T13:00:00Z"))
        );
        assert_eq!(
            open_time_between(&cal, t("2026-11-23T00:00:00Z"), t("2026-11-30T00:00:00Z")),
            h(37) + m(30)
        );
    }

    #[test]
    fn start_in_closed_time() {
        let cal = office();
        // Mon 07:00: the clock starts at 09:00.
        check_add(&cal, "2026-11-23T07:00:00Z", h(1), "2026-11-23T10:00:00Z");
        // Mon 20:00: the clock starts on Tuesday.
        check_add(&cal, "2026-11-23T20:00:00Z", h(1), "2026-11-24T10:00:00Z");
        // Zero amount is the start itself, even in closed time.
        assert_eq!(
            add_open_time(&cal, t("2026-11-21T12:00:00Z"), TimeDelta::zero()),
            Some(t("2026-11-21T12:00:00Z"))
        );
        assert_eq!(
            next_open(&cal, t("2026-11-21T12:00:00Z")),
            Some(t("2026-11-23T09:00:00Z"))
        );
        assert!(!is_open(&cal, t("2026-11-23T08:59:59Z")));
    }

    #[test]
    fn start_in_open_range() {
        let cal = office();
        check_add(&cal, "2026-11-23T10:15:00Z", h(2), "2026-11-23T12:15:00Z");
        check_add(&cal, "2026-11-23T10:15:30Z", h(8), "2026-11-24T09:45:30Z");
        assert!(is_open(&cal, t("2026-11-23T09:00:00Z")));
        assert_eq!(
            next_open(&cal, t("2026-11-23T10:15:00Z")),
            Some(t("2026-11-23T10:15:00Z"))
        );
        // [from, to) inside one range.
        assert_eq!(
            open_time_between(&cal, t("2026-11-23T10:00:00Z"), t("2026-11-23T10:01:00Z")),
            m(1)
        );
        assert_eq!(
            open_time_between(&cal, t("2026-11-23T10:01:00Z"), t("2026-11-23T10:00:00Z")),
            TimeDelta::zero()
        );
    }

    #[test]
    fn calendar_without_open_time_gives_none() {
        let empty = weekly(Tz::Europe__London, &[], &[], &[]);
        let start = t("2026-11-23T10:00:00Z");
        assert_eq!(add_open_time(&empty, start, h(1)), None);
        assert_eq!(add_open_time(&empty, start, TimeDelta::zero()), Some(start));
        assert_eq!(next_open(&empty, start), None);
        assert!(!is_open(&empty, start));
        assert_eq!(
            open_time_between(&empty, start, t("2036-11-23T10:00:00Z")),
            TimeDelta::zero()
        );
        // Open on one date only, which is a holiday: the search gives up.
        let mut once = weekly(Tz::UTC, &[0], &[(0, 60)], &[]);
        let mondays = (0..600).map(|w| date("2026-11-23") + TimeDelta::weeks(w));
        once.holidays.extend(mondays);
        assert_eq!(add_open_time(&once, start, h(1)), None);
        assert_eq!(next_open(&once, start), None);
        // Extreme instants do not panic.
        let cal = office();
        assert_eq!(add_open_time(&cal, DateTime::<Utc>::MAX_UTC, h(1)), None);
        let _ = add_open_time(&cal, DateTime::<Utc>::MIN_UTC, h(1));
        let _ = is_open(&cal, DateTime::<Utc>::MAX_UTC);
        let _ = next_open(&cal, DateTime::<Utc>::MIN_UTC);
        assert_eq!(
            add_open_time(&always(&[]), DateTime::<Utc>::MAX_UTC, h(1)),
            None
        );
    }

    #[test]
    fn gaps_and_overlaps_at_midnight() {
        // Pacific/Apia skipped 30 Dec 2011 entirely (UTC-10 to UTC+14).
        let apia = weekly(Tz::Pacific__Apia, ALL_DAYS, &[(0, 1440)], &[]);
        let start = t("2011-12-29T10:00:00Z"); // 29 Dec 00:00 local
        let end = t("2011-12-31T10:00:00Z"); // 1 Jan 00:00 local
        assert_eq!(open_time_between(&apia, start, end), end - start);
        assert_eq!(add_open_time(&apia, start, end - start), Some(end));
        // America/Havana turns 01:00 back to 00:00 (1 Nov 2026): midnight occurs twice,
        // yet every instant counts once.
        let havana = weekly(Tz::America__Havana, ALL_DAYS, &[(0, 1440)], &[]);
        let (a, b) = (t("2026-10-30T00:00:00Z"), t("2026-11-03T00:00:00Z"));
        assert_eq!(open_time_between(&havana, a, b), b - a);
        assert_eq!(add_open_time(&havana, a, b - a), Some(b));
    }

    // ----- properties -----

    fn zones() -> Vec<Tz> {
        vec![
            Tz::UTC,
            Tz::Europe__London,
            Tz::America__New_York,
            Tz::Australia__Lord_Howe,
            Tz::America__Havana,
            Tz::America__Santiago,
            Tz::Asia__Kolkata,
            Tz::Pacific__Chatham,
        ]
    }

    /// 0 to 3 ranges for one day, with minute boundaries anywhere in 0..=1440.
    fn day_strategy() -> impl Strategy<Value = Vec<TimeRange>> {
        prop_oneof![
            1 => Just(vec![]),
            1 => Just(vec![TimeRange { start: 0, end: 1440 }]),
            4 => prop::collection::btree_set(0u16..=1440, 0..7).prop_map(|set| {
                let points: Vec<u16> = set.into_iter().collect();
                points
                    .chunks_exact(2)
                    .map(|p| TimeRange { start: p[0], end: p[1] })
                    .collect()
            }),
        ]
    }

    fn calendar_strategy() -> impl Strategy<Value = Calendar> {
        let weekly = (
            prop::sample::select(zones()),
            prop::array::uniform7(day_strategy()),
            prop::collection::btree_set(0i64..1500, 0..40),
        )
            .prop_map(|(tz, week, holidays)| Calendar {
                name: "prop".into(),
                timezone: tz,
                hours: Hours::Weekly(week),
                holidays: holidays
                    .into_iter()
                    .map(|d| date("2025-01-01") + TimeDelta::days(d))
                    .collect(),
                fast: Default::default(),
            });
        prop_oneof![1 => Just(always(&["2026-01-01"])), 6 => weekly]
    }

    /// Instants in 2025-2028, often on whole minutes or hours to hit range boundaries.
    fn instant_strategy() -> impl Strategy<Value = DateTime<Utc>> {
        let base = t("2025-01-01T00:00:00Z").timestamp();
        let span = 4 * 366 * 86_400i64;
        prop_oneof![
            (0..span).prop_map(move |s| base + s),
            (0..span / 60).prop_map(move |m| base + m * 60),
            (0..span / 3600).prop_map(move |h| base + h * 3600),
        ]
        .prop_map(|s| DateTime::from_timestamp(s, 0).expect("in range"))
    }

    /// Amounts up to 60h, often whole minutes.
    fn amount_strategy() -> impl Strategy<Value = TimeDelta> {
        prop_oneof![
            (0i64..60 * 3600).prop_map(TimeDelta::seconds),
            (0i64..60 * 60).prop_map(TimeDelta::minutes),
            (1i64..=60).prop_map(TimeDelta::hours),
        ]
    }

    fn has_ranges(cal: &Calendar) -> bool {
        match &cal.hours {
            Hours::Always => true,
            Hours::Weekly(week) => !never_open(week),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn add_then_measure_gives_back_the_amount(
            cal in calendar_strategy(),
            start in instant_strategy(),
            amount in amount_strategy(),
        ) {
            let deadline = add_open_time(&cal, start, amount);
            prop_assert_eq!(deadline.is_some(), has_ranges(&cal) || amount.is_zero());
            if let Some(deadline) = deadline {
                prop_assert!(deadline >= start);
                prop_assert_eq!(open_time_between(&cal, start, deadline), amount);
            }
        }

        #[test]
        fn deadlines_fall_in_open_time_or_at_a_range_end(
            cal in calendar_strategy(),
            start in instant_strategy(),
            amount in amount_strategy(),
        ) {
            prop_assume!(amount > TimeDelta::zero());
            if let Some(deadline) = add_open_time(&cal, start, amount) {
                // The instant just before the deadline is open: the deadline is in
                // (open, close] of some interval.
                let just_before = deadline - TimeDelta::nanoseconds(1);
                prop_assert!(is_open(&cal, just_before));
                if !is_open(&cal, deadline) {
                    // Closed at the deadline: it is exactly where an open range ends.
                    let week = match &cal.hours {
                        Hours::Weekly(week) => week,
                        Hours::Always => unreachable!("always open"),
                    };
                    let ends_here = OpenIntervals::new(&cal, week, just_before, NaiveDate::MAX, 10)
                        .next()
                        .is_some_and(|(_, close)| close == deadline);
                    prop_assert!(ends_here);
                }
            }
        }

        #[test]
        fn adding_in_two_steps_equals_adding_once(
            cal in calendar_strategy(),
            start in instant_strategy(),
            a in amount_strategy(),
            b in amount_strategy(),
        ) {
            let once = add_open_time(&cal, start, a + b);
            let twice = add_open_time(&cal, start, a).and_then(|mid| add_open_time(&cal, mid, b));
            prop_assert_eq!(once, twice);
        }

        #[test]
        fn measuring_is_additive(
            cal in calendar_strategy(),
            x in instant_strategy(),
            y in instant_strategy(),
            z in instant_strategy(),
        ) {
            let mut points = [x, y, z];
            points.sort();
            let [a, b, c] = points;
            prop_assert_eq!(
                open_time_between(&cal, a, c),
                open_time_between(&cal, a, b) + open_time_between(&cal, b, c)
            );
            prop_assert_eq!(open_time_between(&cal, c, a), TimeDelta::zero());
        }

        #[test]
        fn is_open_and_next_open_agree_with_measuring(
            cal in calendar_strategy(),
            at in instant_strategy(),
        ) {
            let tick = TimeDelta::nanoseconds(1);
            prop_assert_eq!(is_open(&cal, at), open_time_between(&cal, at, at + tick) == tick);
            match next_open(&cal, at) {
                Some(next) => {
                    prop_assert!(next >= at);
                    prop_assert!(is_open(&cal, next));
                    prop_assert_eq!(open_time_between(&cal, at, next), TimeDelta::zero());
                    prop_assert_eq!(is_open(&cal, at), next == at);
                }
                None => prop_assert!(!has_ranges(&cal)),
            }
        }

        #[test]
        fn the_table_agrees_with_the_walk(
            cal in calendar_strategy(),
            center in instant_strategy(),
            questions in prop::collection::vec((-25i64 * 86_400..25 * 86_400, amount_strategy()), 1..12),
        ) {
            let Hours::Weekly(week) = &cal.hours else {
                return Ok(());
            };
            prop_assume!(!never_open(week));
            let (lo, hi) = (center - TimeDelta::days(30), center + TimeDelta::days(30));
            let table = build_table(&cal, week, lo, hi).expect("a window of this century");
            for (offset, amount) in questions {
                let start = center + TimeDelta::seconds(offset);
                if amount > TimeDelta::zero() {
                    // Within the window the table answers, and as the walk does; beyond
                    // it, it leaves the question to the walk or answers as it does.
                    let walked = walk_add(&cal, week, start, amount);
                    match table.add(start, amount) {
                        Some(at) => prop_assert_eq!(Some(at), walked),
                        None => prop_assert!(walked.is_none_or(|w| w > hi)),
                    }
                }
                let to = start + amount;
                if to > start
                    && let Some(open) = table.between(start, to)
                {
                    prop_assert_eq!(open, walk_between(&cal, week, start, to));
                }
            }
        }

        #[test]
        fn full_days_are_elapsed_time_in_any_zone(
            tz in prop::sample::select(zones()),
            a in instant_strategy(),
            b in instant_strategy(),
            amount in amount_strategy(),
        ) {
            let cal = weekly(tz, ALL_DAYS, &[(0, 1440)], &[]);
            let (from, to) = (a.min(b), a.max(b));
            prop_assert_eq!(open_time_between(&cal, from, to), to - from);
            prop_assert_eq!(add_open_time(&cal, a, amount), Some(a + amount));
            prop_assert!(is_open(&cal, a));
        }
    }
}
