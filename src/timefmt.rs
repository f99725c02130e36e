//! Times and durations for people: the one formatter every command and output format uses,
//! and the one parser for time arguments (`--now`, `--since` …). Pure: the zone and the
//! instant that relative forms count from are arguments.
//!
//! Durations print as `45s` below a minute, `1h30m` / `52h` below three days, and `4d7h`
//! from three days on (a day is 24 hours; minutes are dropped there). Seconds are shown only
//! below a minute; longer durations are rounded to the minute.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta,
    TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;

/// The forms a time argument accepts, for error messages and help.
pub const TIME_FORMS: &str = "an RFC 3339 time (2026-12-21T09:30:00Z, 2026-12-21T09:30:00+01:00), \
a date (2026-12-21: midnight in the policy's time zone), a local date and time (2026-12-21 09:30), \
a time relative to now (-2h, +30m, now), or today / yesterday / tomorrow with an optional time \
(yesterday 17:00)";

/// Why a time argument was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("`{0}` is not a time: write {TIME_FORMS}")]
    Syntax(String),
    #[error(
        "`{text}` does not exist in {zone} (the clocks skip it); give the time with an offset, e.g. 2026-03-29T03:30:00+01:00"
    )]
    Skipped { text: String, zone: String },
}

/// Parse a time argument. Local forms are read in `tz`; relative forms count from `base`.
pub fn parse_time(text: &str, base: DateTime<Utc>, tz: Tz) -> Result<DateTime<Utc>, TimeError> {
    let t = text.trim();
    let syntax = || TimeError::Syntax(text.to_string());
    if t.is_empty() {
        return Err(syntax());
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(t) {
        return Ok(at.with_timezone(&Utc));
    }
    if t.eq_ignore_ascii_case("now") {
        return Ok(base);
    }
    if let Some(rest) = t.strip_prefix('-').or_else(|| t.strip_prefix('+')) {
        let d = crate::policy::duration::parse(rest).map_err(|_| syntax())?;
        return if t.starts_with('-') {
            base.checked_sub_signed(d).ok_or_else(syntax)
        } else {
            base.checked_add_signed(d).ok_or_else(syntax)
        };
    }
    let (day, time) = match t.split_once([' ', 'T']) {
        Some((d, tm)) => (d.trim(), Some(tm.trim())),
        None => (t, None),
    };
    let today = base.with_timezone(&tz).date_naive();
    let date = match day.to_ascii_lowercase().as_str() {
        "today" => today,
        "yesterday" => today.pred_opt().ok_or_else(syntax)?,
        "tomorrow" => today.succ_opt().ok_or_else(syntax)?,
        _ => NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(|_| syntax())?,
    };
    let time = match time {
        None => NaiveTime::MIN,
        Some(tm) => NaiveTime::parse_from_str(tm, "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(tm, "%H:%M:%S"))
            .map_err(|_| syntax())?,
    };
    local(NaiveDateTime::new(date, time), tz).ok_or_else(|| TimeError::Skipped {
        text: text.to_string(),
        zone: tz.name().to_string(),
    })
}

/// A wall-clock time in a zone as an instant; in a repeated hour, the first.
pub fn local(at: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&at) {
        LocalResult::Single(x) | LocalResult::Ambiguous(x, _) => Some(x.with_timezone(&Utc)),
        LocalResult::None => None,
    }
}

/// A time for people, in the policy's display time zone: `2026-11-23 09:00 GMT`.
pub fn local_time(at: DateTime<Utc>, tz: Tz) -> String {
    let local = at.with_timezone(&tz);
    if !(0..=9999).contains(&local.year()) {
        return local.format("%Y-%m-%d %H:%M %Z").to_string();
    }
    // `%Y-%m-%d %H:%M %Z` without the format string's parsing (a sweep writes many).
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} {}",
        local.year(),
        local.month(),
        local.day(),
        local.hour(),
        local.minute(),
        local.offset()
    )
}

/// An instant in JSON output, exactly as chrono writes it (`2026-11-23T09:00:00Z`), but for
/// the usual whole-second instant of years 0–9999 without chrono's formatting machinery:
/// `esc --json list` writes several per case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonTime(pub DateTime<Utc>);

impl serde::Serialize for JsonTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = self.0;
        // Years 0–9999 (the date's text is four digits of year), whole seconds.
        if t.timestamp_subsec_nanos() != 0 || !(0..=9999).contains(&t.year()) {
            return t.serialize(s);
        }
        let mut text = *b"0000-00-00T00:00:00Z";
        text[..10].copy_from_slice(&day_text(t.date_naive()));
        let of_day = t.time().num_seconds_from_midnight() as usize;
        for (at, n) in [
            (11, of_day / 3600),
            (14, of_day / 60 % 60),
            (17, of_day % 60),
        ] {
            text[at..at + 2].copy_from_slice(&PAIRS[2 * n..2 * n + 2]);
        }
        match std::str::from_utf8(&text) {
            Ok(text) => s.serialize_str(text),
            Err(_) => t.serialize(s),
        }
    }
}

/// `00`, `01`, … `99`: two digits at a time.
const PAIRS: &[u8; 200] = &{
    let mut pairs = [0u8; 200];
    let mut n = 0;
    while n < 100 {
        pairs[2 * n] = b'0' + (n / 10) as u8;
        pairs[2 * n + 1] = b'0' + (n % 10) as u8;
        n += 1;
    }
    pairs
};

std::thread_local! {
    /// The day [`day_text`] wrote last on this thread, and its text: the times of a case,
    /// and of cases listed together, mostly share a day.
    static LAST_DAY: std::cell::Cell<Option<(NaiveDate, [u8; 10])>> =
        const { std::cell::Cell::new(None) };
}

/// `2026-11-23` for a day of years 0–9999.
fn day_text(day: NaiveDate) -> [u8; 10] {
    if let Some((last, text)) = LAST_DAY.get()
        && last == day
    {
        return text;
    }
    let mut text = *b"0000-00-00";
    let year = day.year().unsigned_abs() as usize % 10_000;
    for (at, n) in [
        (0, year / 100),
        (2, year % 100),
        (5, day.month() as usize),
        (8, day.day() as usize),
    ] {
        text[at..at + 2].copy_from_slice(&PAIRS[2 * n..2 * n + 2]);
    }
    LAST_DAY.set(Some((day, text)));
    text
}

/// `t` as an integer that sorts as the times do: seconds since the epoch with the sign bit
/// flipped (64 bits), then nanoseconds (31 bits: a leap second counts past 10^9); below
/// 2^95, so a key has room for more above and below it. Rows of a large report sort on
/// such keys as plain integers.
pub fn sort_key(t: DateTime<Utc>) -> u128 {
    let secs = u128::from(t.timestamp().cast_unsigned() ^ (1 << 63));
    (secs << 31) | u128::from(t.timestamp_subsec_nanos())
}

/// The time whose [`sort_key`] is `key` (only its low 95 bits are read); `None` for bits no
/// time gives.
pub fn from_sort_key(key: u128) -> Option<DateTime<Utc>> {
    let secs = ((key >> 31) as u64 ^ (1 << 63)).cast_signed();
    let nanos = (key as u32) & ((1 << 31) - 1);
    DateTime::from_timestamp(secs, nanos)
}

/// An instant as RFC 3339 in UTC with a `Z`, as in the JSON: `2026-11-23T09:00:00Z`.
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// A duration for people (see the module doc): `45s`, `1h30m`, `52h`, `4d7h`; zero is `0m`,
/// negatives get a `-`.
pub fn duration(d: TimeDelta) -> String {
    let secs = d.num_seconds();
    let sign = if secs < 0 { "-" } else { "" };
    let secs = secs.unsigned_abs();
    if secs == 0 {
        return "0m".into();
    }
    if secs < 60 {
        return format!("{sign}{secs}s");
    }
    let minutes = (secs + 30) / 60;
    let (h, m) = (minutes / 60, minutes % 60);
    if h < 72 {
        return match (h, m) {
            (0, m) => format!("{sign}{m}m"),
            (h, 0) => format!("{sign}{h}h"),
            (h, m) => format!("{sign}{h}h{m}m"),
        };
    }
    let hours = (minutes + 30) / 60;
    match hours % 24 {
        0 => format!("{sign}{}d", hours / 24),
        r => format!("{sign}{}d{r}h", hours / 24),
    }
}

/// [`duration`] from whole seconds.
pub fn seconds(secs: i64) -> String {
    duration(Duration::seconds(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    const BASE: &str = "2026-12-21T15:00:00Z";

    #[test]
    fn json_time_is_what_chrono_writes() {
        let json = |t: DateTime<Utc>| {
            (
                serde_json::to_string(&JsonTime(t)).unwrap(),
                serde_json::to_string(&t).unwrap(),
            )
        };
        let mut at = utc("1969-12-31T23:59:59Z");
        for step in 0..5000_i64 {
            let (ours, chrono) = json(at);
            assert_eq!(ours, chrono, "{at}");
            let nanos = at + TimeDelta::nanoseconds(step * 1_000_003);
            let (ours, chrono) = json(nanos);
            assert_eq!(ours, chrono, "{nanos}");
            at += TimeDelta::seconds(step * 7_919 + 61);
        }
        for t in [
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "2026-02-28T00:00:09Z",
        ] {
            let (ours, chrono) = json(utc(t));
            assert_eq!(ours, chrono, "{t}");
        }
        let far = Utc.with_ymd_and_hms(12026, 1, 1, 0, 0, 0).unwrap();
        let (ours, chrono) = json(far);
        assert_eq!(ours, chrono, "{far}");
        // Every day of 1900–2100 and every 37th day of the years the fast path writes, at a
        // second of the day that moves; and the days around each century's February.
        let (first, last) = (utc("0000-01-01T00:00:00Z"), utc("9999-12-31T23:59:59Z"));
        let (mut day, mut second) = (first, 0);
        while day <= last {
            let at = day + TimeDelta::seconds(second);
            let (ours, chrono) = json(at);
            assert_eq!(ours, chrono, "{at}");
            let dense = (1900..=2100).contains(&day.year());
            day += TimeDelta::days(if dense { 1 } else { 37 });
            second = (second + 7_877) % 86_400;
        }
        for century in (0..=9900).step_by(100) {
            let march = Utc.with_ymd_and_hms(century, 3, 1, 0, 0, 0).unwrap();
            for back in 0..3 {
                let at = march - TimeDelta::days(back) + TimeDelta::seconds(back * 3_601);
                let (ours, chrono) = json(at);
                assert_eq!(ours, chrono, "{at}");
            }
        }
        // The last second of each end, and the first outside it (chrono's own text).
        for at in [
            last,
            first,
            last + TimeDelta::seconds(1),
            first - TimeDelta::seconds(1),
        ] {
            let (ours, chrono) = json(at);
            assert_eq!(ours, chrono, "{at}");
        }
    }

    #[test]
    fn local_time_is_the_format_string_s() {
        let zones = [
            chrono_tz::UTC,
            chrono_tz::Europe::Berlin,
            chrono_tz::America::New_York,
            chrono_tz::Asia::Kolkata,
            chrono_tz::Australia::Lord_Howe,
        ];
        let mut at = utc("2026-01-01T00:00:00Z");
        while at < utc("2027-01-01T00:00:00Z") {
            for tz in zones {
                let expected = at
                    .with_timezone(&tz)
                    .format("%Y-%m-%d %H:%M %Z")
                    .to_string();
                assert_eq!(local_time(at, tz), expected, "{at} in {tz}");
            }
            at += TimeDelta::minutes(7 * 60 + 13);
        }
    }

    #[test]
    fn accepts_every_documented_form() {
        let base = utc(BASE);
        let london: Tz = "Europe/London".parse().unwrap();
        let paris: Tz = "Europe/Paris".parse().unwrap();
        let p = |s: &str, tz| parse_time(s, base, tz).unwrap();
        assert_eq!(
            p("2026-12-21T09:30:00+01:00", london),
            utc("2026-12-21T08:30:00Z")
        );
        assert_eq!(p("2026-12-21", paris), utc("2026-12-20T23:00:00Z"));
        assert_eq!(p("2026-12-21 09:30", paris), utc("2026-12-21T08:30:00Z"));
        assert_eq!(p("2026-12-21T09:30", london), utc("2026-12-21T09:30:00Z"));
        assert_eq!(p("-2h", london), utc("2026-12-21T13:00:00Z"));
        assert_eq!(p("+30m", london), utc("2026-12-21T15:30:00Z"));
        assert_eq!(p("now", london), base);
        assert_eq!(p("yesterday 17:00", london), utc("2026-12-20T17:00:00Z"));
        assert_eq!(p("today 09:00", paris), utc("2026-12-21T08:00:00Z"));
        assert_eq!(p("tomorrow", london), utc("2026-12-22T00:00:00Z"));
    }

    #[test]
    fn refusals_name_the_accepted_forms() {
        let base = utc(BASE);
        for bad in [
            "",
            "soon",
            "2026-13-01",
            "-2",
            "yesterday 25:00",
            "12/21/2026",
        ] {
            let e = parse_time(bad, base, Tz::UTC).unwrap_err().to_string();
            assert!(
                e.contains("RFC 3339") && e.contains("yesterday 17:00"),
                "{e}"
            );
        }
        let london: Tz = "Europe/London".parse().unwrap();
        let e = parse_time("2026-03-29 01:30", base, london).unwrap_err();
        assert!(matches!(e, TimeError::Skipped { .. }));
    }

    #[test]
    fn one_duration_format() {
        assert_eq!(duration(TimeDelta::seconds(45)), "45s");
        assert_eq!(duration(TimeDelta::minutes(90)), "1h30m");
        assert_eq!(duration(TimeDelta::hours(52)), "52h");
        assert_eq!(duration(TimeDelta::zero()), "0m");
        assert_eq!(duration(TimeDelta::minutes(-60)), "-1h");
        assert_eq!(
            duration(TimeDelta::seconds(793 * 3600 + 27 * 60 + 43)),
            "33d1h"
        );
        assert_eq!(duration(TimeDelta::days(3)), "3d");
        assert_eq!(
            duration(TimeDelta::seconds(3 * 3600 + 20 * 60 + 29)),
            "3h20m"
        );
    }

    #[test]
    fn sort_keys_sort_as_the_times_and_give_them_back() {
        let leap = NaiveDate::from_ymd_opt(2016, 12, 31)
            .and_then(|d| d.and_hms_nano_opt(23, 59, 59, 1_500_000_000))
            .expect("a leap second")
            .and_utc();
        let mut times = [
            DateTime::<Utc>::MIN_UTC,
            utc("1969-12-31T23:59:59.999999999Z"),
            utc("1970-01-01T00:00:00Z"),
            utc("2016-12-31T23:59:59.999Z"),
            leap,
            utc("2017-01-01T00:00:00Z"),
            utc(BASE),
            DateTime::<Utc>::MAX_UTC,
        ];
        let mut keys: Vec<u128> = times.iter().map(|t| sort_key(*t)).collect();
        assert!(
            keys.windows(2).all(|w| w[0] < w[1]),
            "in order, all different"
        );
        assert!(keys.iter().all(|k| *k < 1 << 95));
        for (t, k) in times.iter().zip(&keys) {
            assert_eq!(from_sort_key(*k), Some(*t));
        }
        times.reverse();
        keys.sort_unstable_by_key(|k| std::cmp::Reverse(*k));
        assert_eq!(keys, times.iter().map(|t| sort_key(*t)).collect::<Vec<_>>());
    }
}
