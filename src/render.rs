//! Shared rendering helpers for people: tables and time formatting.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use comfy_table::{Cell, Color, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

/// A table in the house style with this header.
pub fn table<S: ToString>(header: impl IntoIterator<Item = S>) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(
            header
                .into_iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>(),
        );
    t
}

/// A time for people, in the policy's display time zone: `2026-11-23 09:00 GMT`.
pub fn local_time(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz)
        .format("%Y-%m-%d %H:%M %Z")
        .to_string()
}

/// A cell for an SLA state (`breached`, `warning`, `met`, `ok`, `paused`, `pending`), coloured
/// when the table is styled.
pub fn state_cell(state: &str) -> Cell {
    let cell = Cell::new(state);
    match state {
        "breached" => cell.fg(Color::Red),
        "warning" => cell.fg(Color::Yellow),
        "met" | "ok" => cell.fg(Color::Green),
        "paused" => cell.fg(Color::Blue),
        _ => cell,
    }
}

/// Apply `--color`: style the table (colours) only when colour is on.
pub fn colour(t: &mut Table, on: bool) {
    if on {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
}

/// An instant as RFC 3339 in UTC with a `Z`, as in the JSON: `2026-11-23T09:00:00Z`.
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}
