//! `esc list`: the cases that pass the filters, most urgent first — breached cases (longest
//! overdue first), then by the next due time — as a table, JSON or CSV.

use super::output::{Output, Text};
use super::policy_cmd;
use super::settings::Settings;
use crate::case::filter::{Filter, FilterArgs};
use crate::case::view::{ShownClock, Sla};
use crate::case::{Case, view};
use crate::cli::{ListArgs, ListFormat};
use crate::par::Sorted;
use crate::policy::duration;
use crate::render::{csv_cell, state_cell, table};
use crate::sla::clock::{ClockState, Clocks, shown_clocks};
use crate::timefmt;
use anyhow::{Result, anyhow};
use chrono::{DateTime, Utc};

/// One listed case and what its clocks say now: what sorting, filtering and the table
/// need, and what the JSON shows of them packed, in 96 bytes, so a list of every case stays
/// small and the JSON need not work the clocks out again. Its two times are kept as
/// [`timefmt::sort_key`]s (no time: [`NO_TIME`], after every time), so rows sort on
/// integers.
#[derive(Clone, Copy)]
struct Row {
    /// The earliest due time of a breached running clock, if any.
    overdue_since: u128,
    next_due: u128,
    /// The number of the case's id, 0 for an id not of the form `ESC-<n>`.
    number: u64,
    /// The case's place in the folded cases (their order).
    at: u32,
    /// The SLA cell: "breached", "warning", "paused", "ok" or blank.
    sla: SlaCell,
    /// What the JSON shows of the clocks; `None` to work them out again (a case without
    /// clocks, or one with a time that does not pack).
    shown: Option<PackedSla>,
}

/// A row's key for no time at all: after every time's.
const NO_TIME: u128 = u128::MAX;

/// The key of a time that may be missing.
fn time_key(t: Option<DateTime<Utc>>) -> u128 {
    t.map_or(NO_TIME, timefmt::sort_key)
}

/// The time a [`time_key`] was made from.
fn time_of(key: u128) -> Option<DateTime<Utc>> {
    (key != NO_TIME)
        .then(|| timefmt::from_sort_key(key))
        .flatten()
}

impl Row {
    fn new(at: usize, case: &Case, clocks: Option<&Clocks>, now: DateTime<Utc>) -> Result<Self> {
        let overdue_since = clocks.and_then(|k| {
            k.iter()
                .filter(|c| c.state == ClockState::Breached && c.at.is_none())
                .filter_map(|c| c.due)
                .min()
        });
        let sla = match clocks {
            Some(_) if overdue_since.is_some() => SlaCell::Breached,
            Some(k) if k.any_breached() => SlaCell::Breached,
            Some(k) if k.any_warning() => SlaCell::Warning,
            Some(k) if k.iter().any(|c| c.state == ClockState::Paused) => SlaCell::Paused,
            Some(_) if case.is_active() => SlaCell::Ok,
            _ => SlaCell::None,
        };
        Ok(Row {
            at: u32::try_from(at).map_err(|_| anyhow!("esc list shows at most 2^32 cases"))?,
            number: crate::case::id::number(&case.id).unwrap_or(0),
            overdue_since: time_key(overdue_since),
            next_due: time_key(clocks.and_then(Clocks::next_due)),
            sla,
            shown: clocks.and_then(|k| PackedSla::pack(&Sla::from(k), now)),
        })
    }

    /// The earliest due time of a breached running clock, if any.
    fn overdue_since(&self) -> Option<DateTime<Utc>> {
        time_of(self.overdue_since)
    }

    /// The earliest due time of a running clock not yet breached, if any.
    fn next_due(&self) -> Option<DateTime<Utc>> {
        time_of(self.next_due)
    }

    /// Whether a clock of the case is breached.
    fn breached(&self) -> bool {
        matches!(self.sla, SlaCell::Breached)
    }

    /// "over by 3h" for a breached case, "in 1h30m" for the next due time, else blank.
    fn due_text(&self, now: DateTime<Utc>) -> String {
        match (self.overdue_since(), self.next_due()) {
            (Some(d), _) => format!("over by {}", timefmt::duration(now - d)),
            (None, Some(d)) => format!("in {}", timefmt::duration(d - now)),
            (None, None) => String::new(),
        }
    }
}

/// A case's [`Sla`] packed into 36 bytes rather than 112: each time as whole seconds from
/// `now`'s second ([`NO_SECOND`] for none), each clock's state as its place in [`STATES`]
/// plus one (0: the case has no such clock).
#[derive(Clone, Copy)]
struct PackedSla {
    due: [i32; 4],
    at: [i32; 4],
    state: [u8; 4],
}

/// A packed time that is none.
const NO_SECOND: i32 = i32::MIN;

/// The states a packed clock can be in.
const STATES: [ClockState; 5] = [
    ClockState::Pending,
    ClockState::Warning,
    ClockState::Breached,
    ClockState::Met,
    ClockState::Paused,
];

impl PackedSla {
    /// `sla` packed, if each of its times is a whole second within 68 years of `now`.
    fn pack(sla: &Sla, now: DateTime<Utc>) -> Option<PackedSla> {
        let mut packed = PackedSla {
            due: [NO_SECOND; 4],
            at: [NO_SECOND; 4],
            state: [0; 4],
        };
        let clocks = [
            Some(sla.response),
            Some(sla.resolution),
            sla.update,
            sla.tier,
        ];
        for (i, clock) in clocks.iter().enumerate() {
            if let Some(c) = clock {
                packed.due[i] = pack_time(c.due, now)?;
                packed.at[i] = pack_time(c.at, now)?;
                let state = STATES.iter().position(|s| *s == c.state)?;
                packed.state[i] = u8::try_from(state + 1).ok()?;
            }
        }
        Some(packed)
    }

    /// The [`Sla`] that was packed (with the same `now`).
    fn unpack(&self, now: DateTime<Utc>) -> Option<Sla> {
        let clock = |i: usize| -> Option<Option<ShownClock>> {
            let Some(state) = self.state[i].checked_sub(1) else {
                return Some(None);
            };
            Some(Some(ShownClock {
                due: unpack_time(self.due[i], now)?,
                state: *STATES.get(usize::from(state))?,
                at: unpack_time(self.at[i], now)?,
            }))
        };
        Some(Sla {
            response: clock(0)??,
            resolution: clock(1)??,
            update: clock(2)?,
            tier: clock(3)?,
        })
    }
}

/// A time as whole seconds from `now`'s second, if it is a whole second near enough.
fn pack_time(t: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<i32> {
    let Some(t) = t else {
        return Some(NO_SECOND);
    };
    if t.timestamp_subsec_nanos() != 0 {
        return None;
    }
    i32::try_from(t.timestamp() - now.timestamp())
        .ok()
        .filter(|s| *s != NO_SECOND)
}

/// The time [`pack_time`] packed (`Some(None)` for none); `None` if it is not a time.
fn unpack_time(s: i32, now: DateTime<Utc>) -> Option<Option<DateTime<Utc>>> {
    if s == NO_SECOND {
        return Some(None);
    }
    DateTime::from_timestamp(now.timestamp() + i64::from(s), 0).map(Some)
}

/// What a row's SLA cell says.
#[derive(Debug, Clone, Copy)]
enum SlaCell {
    Breached,
    Warning,
    Paused,
    Ok,
    None,
}

impl SlaCell {
    fn as_str(self) -> &'static str {
        match self {
            SlaCell::Breached => "breached",
            SlaCell::Warning => "warning",
            SlaCell::Paused => "paused",
            SlaCell::Ok => "ok",
            SlaCell::None => "",
        }
    }
}

/// The filter the command line asks for.
fn filter_args(args: &ListArgs, actor: &str) -> FilterArgs {
    FilterArgs {
        status: args.status.clone(),
        severity: args.severity.clone(),
        case_type: args.case_type.clone(),
        tier: args.tier.clone(),
        owner: args.owner.clone(),
        account: args.account.clone(),
        label: args.label.clone(),
        mine: args.mine.then(|| actor.to_string()),
        grep: args.grep.clone(),
        all: args.all,
    }
}

/// `esc list`.
pub fn list(settings: &Settings, args: &ListArgs, out: &mut Output) -> Result<()> {
    let policy = policy_cmd::load(&settings.policy)?;
    let filter = Filter::new(&policy, &filter_args(args, &settings.actor))?;
    let due_within = match &args.due_within {
        Some(d) => Some(duration::parse(d).map_err(|e| anyhow!("--due-within: {e}"))?),
        None => None,
    };
    let cases = super::case_cmd::listed_cases(settings)?;
    let now = settings.now;
    // Each case's clocks, worked out on every core (`crate::par`), room for a row a case,
    // as one thread would take. Most urgent first: breached (longest overdue first), then
    // the next due time, then the rest in case order (the id's number, then the fold's
    // order). The order is total, so each part's rows are sorted on its own thread
    // (unstable: no scratch copy) and merged as they are read; the key reads only the row.
    let rows = crate::par::sorted_parts(
        cases.len(),
        |r| r.len(),
        |part, rows| {
            for at in part {
                let case = &cases[at];
                if !filter.matches(case, now) {
                    continue;
                }
                let row = Row::new(at, case, shown_clocks(&policy, case, now).as_ref(), now)?;
                let breached_ok = !args.breached || row.breached();
                let due_ok =
                    due_within.is_none_or(|w| row.next_due().is_some_and(|d| d <= now + w));
                if breached_ok && due_ok {
                    rows.push(row);
                }
            }
            Ok::<_, anyhow::Error>(())
        },
        |r| (r.overdue_since, r.next_due, r.number, r.at),
    )?;
    let case = |r: &Row| &cases[r.at as usize];
    let format = if settings.json {
        ListFormat::Json
    } else {
        args.format
    };
    let written = match format {
        ListFormat::Json => out.json_array(rows.len(), |i| {
            let (r, c) = (rows.get(i), case(rows.get(i)));
            let sla = r
                .shown
                .and_then(|p| p.unpack(now))
                .or_else(|| Sla::of(&policy, c, now));
            view::CaseView::new(&policy, c, now, sla)
        }),
        ListFormat::Csv => out.pieces(Text::Data, |put| csv(&rows, &cases, now, put)),
        ListFormat::Table => {
            if rows.is_empty() {
                let hint = if cases.is_empty() {
                    "no cases yet: open one with `esc open \"TITLE\"`".to_string()
                } else {
                    format!(
                        "no cases match as of {} (closed cases are hidden: --all shows them)",
                        crate::render::local_time(now, policy.defaults.timezone)
                    )
                };
                return out.say(&hint);
            }
            let mut t = table([
                "id", "sev", "status", "tier", "owner", "sla", "due", "title",
            ]);
            // On a narrow terminal the tier, then the owner, make room for the rest.
            t.short_rows().optional(3).optional(4);
            let cells = |i: usize| {
                let (r, c) = (rows.get(i), case(rows.get(i)));
                let levels: Vec<&str> = c.levels.values().map(|l| l.tier.as_str()).collect();
                vec![
                    c.id.as_str().into(),
                    c.severity.as_str().into(),
                    c.status.as_str().into(),
                    levels.join(", ").into(),
                    c.owner.as_str().into(),
                    state_cell(r.sla.as_str()),
                    r.due_text(now).into(),
                    c.title.replace('\n', " ").into(),
                ]
            };
            out.table(&t, rows.len(), &cells, "\n")
        }
    };
    super::case_cmd::let_go(cases);
    written
}

/// The rows as CSV, written a chunk of rows at a time: raw values (RFC 3339 times, whole
/// seconds), text cells defused for spreadsheets.
fn csv(
    rows: &Sorted<Row>,
    cases: &[Case],
    now: DateTime<Utc>,
    put: &mut dyn FnMut(&str) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "id",
        "severity",
        "type",
        "status",
        "levels",
        "owner",
        "account",
        "labels",
        "sla",
        "next_due",
        "overdue_seconds",
        "title",
    ])?;
    for (n, r) in rows.iter().enumerate() {
        if n > 0 && n % CSV_CHUNK == 0 {
            w = put_csv(w, put)?;
        }
        let c = &cases[r.at as usize];
        let levels: Vec<&str> = c.levels.values().map(|l| l.tier.as_str()).collect();
        let text = |s: &str| csv_cell(s).into_owned();
        w.write_record([
            c.id.to_string(),
            text(&c.severity),
            text(&c.case_type),
            c.status.as_str().to_string(),
            text(&levels.join(",")),
            text(&c.owner),
            text(c.account.as_deref().unwrap_or("")),
            text(&c.labels.join(",")),
            r.sla.as_str().to_string(),
            r.next_due().map(timefmt::rfc3339).unwrap_or_default(),
            r.overdue_since()
                .map(|d| (now - d).num_seconds().to_string())
                .unwrap_or_default(),
            text(&c.title),
        ])?;
    }
    put_csv(w, put).map(drop)
}

/// Hand what a CSV writer holds to `put`; a writer for what comes next.
fn put_csv(
    w: csv::Writer<Vec<u8>>,
    put: &mut dyn FnMut(&str) -> std::io::Result<()>,
) -> std::io::Result<csv::Writer<Vec<u8>>> {
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    put(&String::from_utf8(bytes).map_err(std::io::Error::other)?)?;
    Ok(csv::Writer::from_writer(Vec::new()))
}

/// CSV rows written at a time.
const CSV_CHUNK: usize = 1024;

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("a time")
            .with_timezone(&Utc)
    }

    fn shown(due: Option<&str>, state: ClockState, at: Option<&str>) -> ShownClock {
        ShownClock {
            due: due.map(t),
            state,
            at: at.map(t),
        }
    }

    #[test]
    fn an_sla_of_whole_seconds_packs_and_comes_back_as_it_was() {
        let now = t("2026-12-02T03:22:00.250Z");
        let sla = Sla {
            response: shown(
                Some("2026-10-03T03:37:00Z"),
                ClockState::Met,
                Some("2026-10-03T03:30:07Z"),
            ),
            resolution: shown(None, ClockState::Paused, None),
            update: None,
            tier: Some(shown(
                Some("2027-01-01T00:00:00Z"),
                ClockState::Pending,
                None,
            )),
        };
        let packed = PackedSla::pack(&sla, now).expect("packs");
        assert_eq!(packed.unpack(now), Some(sla));
        for state in STATES {
            let one = Sla {
                response: shown(None, state, None),
                ..sla
            };
            let back = PackedSla::pack(&one, now).and_then(|p| p.unpack(now));
            assert_eq!(back, Some(one));
        }
    }

    #[test]
    fn a_time_that_does_not_pack_leaves_the_sla_to_be_worked_out_again() {
        let now = t("2026-12-02T03:22:00Z");
        let clock = |due: &str| shown(Some(due), ClockState::Pending, None);
        for due in [
            "2026-12-02T04:00:00.5Z",
            "2100-01-01T00:00:00Z",
            "1950-01-01T00:00:00Z",
        ] {
            let sla = Sla {
                response: clock("2026-12-02T04:00:00Z"),
                resolution: clock(due),
                update: None,
                tier: None,
            };
            assert!(PackedSla::pack(&sla, now).is_none(), "{due}");
        }
    }

    #[test]
    fn a_row_stays_small() {
        assert!(std::mem::size_of::<Row>() <= 96);
    }
}
