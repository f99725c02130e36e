//! Reading `[calendars.NAME]`: opening hours per weekday, holidays and the time zone.
//!
//! Forms accepted for `hours`: `"24x7"`, or a table of weekday → ranges where a day is
//! `"09:00-17:30"` or several ranges `"09:00-12:00,13:00-17:30"`; a day not listed is closed.
//! `24:00` may end a range (midnight at the end of the day).

use super::model::{Calendar, Hours, TimeRange};
use super::source::{Sink, Str, Table, suggestion};
use chrono::NaiveDate;
use chrono_tz::Tz;
use std::collections::BTreeSet;

/// Weekday keys, Monday first.
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A date value, written `"2026-01-05"` or as a bare TOML date `2026-01-05`.
pub fn read_date(sink: &Sink, v: &super::source::Val<'_, '_>, key: &str) -> Option<NaiveDate> {
    let text = match v.node.get_ref() {
        toml::de::DeValue::Datetime(dt) => dt.to_string(),
        _ => v.str()?.value.to_string(),
    };
    match NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            sink.error(
                v.span(),
                format!("`{key}` = `{text}` is not a real date: write \"YYYY-MM-DD\", e.g. \"2026-01-05\""),
            );
            None
        }
    }
}

/// Read one calendar table.
pub fn read(name: &str, t: &Table<'_, '_>) -> Calendar {
    let sink = t.sink;
    let timezone = match t
        .require(
            "timezone",
            "an IANA time zone, e.g. `timezone = \"Europe/London\"`",
        )
        .and_then(|v| v.str())
    {
        Some(s) => read_timezone(sink, &s).unwrap_or(Tz::UTC),
        None => Tz::UTC,
    };
    let hours = match t.require("hours", "`hours = \"24x7\"` or a table of weekday ranges") {
        Some(v) if v.is_str() => match v.str() {
            Some(s) if s.value == "24x7" => Hours::Always,
            Some(s) => {
                sink.error(
                    s.span,
                    format!("`{}` is \"{}\": write \"24x7\" or a table such as {{ mon = \"09:00-17:00\" }}", v.path, s.value),
                );
                Hours::Always
            }
            None => Hours::Always,
        },
        Some(v) => match v.table() {
            Some(days) => read_week(&days),
            None => Hours::Always,
        },
        None => Hours::Always,
    };
    let mut holidays = BTreeSet::new();
    if let Some(v) = t.get("holidays") {
        for item in v.array().unwrap_or_default() {
            let text = match item.node.get_ref() {
                toml::de::DeValue::Datetime(dt) => dt.to_string(),
                _ => match item.str() {
                    Some(s) => s.value.to_string(),
                    None => continue,
                },
            };
            match NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
                Ok(d) => {
                    holidays.insert(d);
                }
                Err(_) => sink.error(
                    item.span(),
                    format!("`{text}` is not a real date: write holidays as \"YYYY-MM-DD\", e.g. \"2026-12-25\""),
                ),
            }
        }
    }
    t.finish("key");
    Calendar {
        name: name.to_string(),
        timezone,
        hours,
        holidays,
        fast: Default::default(),
    }
}

/// Parse an IANA time zone name, reporting unknown ones with a suggestion.
pub fn read_timezone(sink: &Sink, s: &Str<'_>) -> Option<Tz> {
    match s.value.parse::<Tz>() {
        Ok(tz) => Some(tz),
        Err(_) => {
            let hint = suggestion(s.value, chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()));
            sink.error(
                s.span.clone(),
                format!(
                    "unknown time zone `{}`{}",
                    s.value,
                    if hint.is_empty() {
                        "; use an IANA name such as \"Europe/London\" or \"America/New_York\""
                            .to_string()
                    } else {
                        hint
                    }
                ),
            );
            None
        }
    }
}

fn read_week(days: &Table<'_, '_>) -> Hours {
    let before = days.sink.len();
    let mut week: [Vec<TimeRange>; 7] = Default::default();
    for (key, v) in days.entries() {
        let Some(index) = WEEKDAYS.iter().position(|d| *d == key.value) else {
            days.sink.error(
                key.span.clone(),
                format!(
                    "`{}` is not a weekday{}; write mon, tue, wed, thu, fri, sat or sun",
                    key.value,
                    suggestion(&key.value.to_lowercase(), WEEKDAYS)
                ),
            );
            continue;
        };
        let Some(s) = v.str() else { continue };
        match parse_ranges(s.value) {
            Ok(ranges) => week[index] = ranges,
            Err(msg) => days.sink.error(s.span, format!("`{}`: {msg}", v.path)),
        }
    }
    if week.iter().all(Vec::is_empty) && days.sink.len() == before {
        days.sink.error(
            days.span.clone(),
            format!(
                "`{}` opens on no day, so no SLA deadline could ever fall due: give at least one weekday a range, or write \"24x7\"",
                days.path
            ),
        );
    }
    Hours::Weekly(week)
}

/// Parse `"09:00-12:00,13:00-17:30"` into sorted, non-overlapping ranges.
pub fn parse_ranges(text: &str) -> Result<Vec<TimeRange>, String> {
    let mut out = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        let Some((a, b)) = part.split_once('-') else {
            return Err(format!(
                "\"{part}\" is not a time range: write \"HH:MM-HH:MM\", e.g. \"09:00-17:30\""
            ));
        };
        let start = parse_clock(a.trim())?;
        let end = parse_clock(b.trim())?;
        if start >= end {
            return Err(format!(
                "\"{part}\" ends before it starts: a range must end after it starts on the same day (use 24:00 for midnight)"
            ));
        }
        out.push(TimeRange { start, end });
    }
    out.sort();
    for pair in out.windows(2) {
        if pair[1].start < pair[0].end {
            return Err(format!(
                "ranges in \"{text}\" overlap: list separate, non-overlapping ranges"
            ));
        }
    }
    Ok(out)
}

fn parse_clock(s: &str) -> Result<u16, String> {
    let bad = || format!("\"{s}\" is not a time of day: write HH:MM between 00:00 and 24:00");
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: u16 = h.parse().map_err(|_| bad())?;
    let m: u16 = m.parse().map_err(|_| bad())?;
    if m > 59 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_several_ranges() {
        let r = parse_ranges("13:00-17:30, 09:00-12:00").unwrap();
        assert_eq!(
            r,
            vec![
                TimeRange {
                    start: 540,
                    end: 720
                },
                TimeRange {
                    start: 780,
                    end: 1050
                }
            ]
        );
        assert_eq!(parse_ranges("00:00-24:00").unwrap()[0].end, 1440);
    }

    #[test]
    fn refuses_bad_ranges() {
        assert!(parse_ranges("9-17").is_err());
        assert!(parse_ranges("17:00-09:00").is_err());
        assert!(parse_ranges("09:00-12:00,11:00-13:00").is_err());
        assert!(parse_ranges("09:60-10:00").is_err());
        assert!(parse_ranges("24:30-25:00").is_err());
    }
}
