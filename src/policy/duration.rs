//! Durations as written in policies and on the command line: `"90s"`, `"15m"`, `"4h"`,
//! `"2d"`, `"1h30m"`.
//!
//! Parsing is `humantime`'s; this module adds what the policy language needs on top: a
//! positive whole number of seconds, and knowing whether a day (or longer) unit was used,
//! because on a business-hours calendar "2d" would read as two business days but mean 48
//! open hours.

use chrono::TimeDelta;

/// Why a duration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error(
        "`{0}` is not a duration: write a number and a unit, like \"90s\", \"15m\", \"4h\", \"2d\" or \"1h30m\""
    )]
    Syntax(String),
    #[error("`{0}` must be longer than zero")]
    Zero(String),
    #[error("`{0}` is too long")]
    TooLong(String),
}

/// Parse a duration; it must be positive.
pub fn parse(text: &str) -> Result<TimeDelta, DurationError> {
    let trimmed = text.trim();
    let std = humantime::parse_duration(trimmed).map_err(|_| DurationError::Syntax(text.into()))?;
    let secs = i64::try_from(std.as_secs()).map_err(|_| DurationError::TooLong(text.into()))?;
    // Ten years is far beyond any SLA; refusing larger values keeps date arithmetic in range.
    if secs > 10 * 366 * 86_400 {
        return Err(DurationError::TooLong(text.into()));
    }
    if secs == 0 {
        return Err(DurationError::Zero(text.into()));
    }
    Ok(TimeDelta::seconds(secs))
}

/// Whether the text uses a unit of a day or longer (`d`, `days`, `w`, `M`, `y` …).
pub fn uses_day_unit(text: &str) -> bool {
    text.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|unit| !unit.is_empty())
        .any(|unit| {
            matches!(
                unit,
                "d" | "day"
                    | "days"
                    | "w"
                    | "wk"
                    | "wks"
                    | "week"
                    | "weeks"
                    | "M"
                    | "month"
                    | "months"
                    | "y"
                    | "yr"
                    | "yrs"
                    | "year"
                    | "years"
            )
        })
}

/// A duration for people: the tool's one formatter, [`crate::timefmt::duration`].
pub fn format(d: TimeDelta) -> String {
    crate::timefmt::duration(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_spec_forms() {
        assert_eq!(parse("90s"), Ok(TimeDelta::seconds(90)));
        assert_eq!(parse("15m"), Ok(TimeDelta::minutes(15)));
        assert_eq!(parse("4h"), Ok(TimeDelta::hours(4)));
        assert_eq!(parse("2d"), Ok(TimeDelta::days(2)));
        assert_eq!(parse("1h30m"), Ok(TimeDelta::minutes(90)));
    }

    #[test]
    fn refuses_bad_and_zero() {
        assert!(matches!(parse("soon"), Err(DurationError::Syntax(_))));
        assert!(matches!(parse("15"), Err(DurationError::Syntax(_))));
        assert!(matches!(parse("0m"), Err(DurationError::Zero(_))));
        assert!(matches!(parse("99999y"), Err(DurationError::TooLong(_))));
    }

    #[test]
    fn knows_day_units() {
        assert!(uses_day_unit("2d"));
        assert!(uses_day_unit("1d4h"));
        assert!(uses_day_unit("1week"));
        assert!(uses_day_unit("1wk"));
        assert!(uses_day_unit("1yr"));
        assert!(!uses_day_unit("16h"));
        assert!(!uses_day_unit("1h30m"));
    }

    #[test]
    fn formats_compactly() {
        assert_eq!(format(TimeDelta::minutes(90)), "1h30m");
        assert_eq!(format(TimeDelta::hours(52)), "52h");
        assert_eq!(format(TimeDelta::zero()), "0m");
        assert_eq!(format(TimeDelta::minutes(-60)), "-1h");
    }
}
