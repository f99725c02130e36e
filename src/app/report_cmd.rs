//! `esc report sla | trends | reviews | triggers | escalations | desk` (and `breaches`, which lives
//! with sweep). Reads the whole ledger as of `now` (events after `now` are left out, so
//! `--now` gives the report as it would have been then), folds every case with its events,
//! and hands them to the pure [`crate::report`].

use super::output::{Output, Text};
use super::policy_cmd;
use super::settings::Settings;
use crate::case::{Case, Event};
use crate::cli::{ReportArgs, ReportBy, ReportCommand, ReportEvery, ReportFormat};
use crate::policy::{Policy, duration};
use crate::render::{local_time, table};
use crate::report::render::{Format, SectionRows, render, write_csv, write_markdown};
use crate::report::{self, Every, GroupBy, Kind, Options};
use crate::sla::clock::ClockKind;
use anyhow::{Result, anyhow, bail};
use chrono::{DateTime, Utc};
use std::process::ExitCode;

/// `--since`: a duration back from now (30d, 12w), or any time argument
/// ([`crate::timefmt::parse_time`]; a date is local midnight in the policy's time zone).
pub fn parse_since(text: &str, policy: &Policy, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    parse_back("--since", text, policy, now)
}

/// A time argument of option `flag` in the forms of [`parse_since`].
fn parse_back(
    flag: &str,
    text: &str,
    policy: &Policy,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>> {
    if let Ok(d) = duration::parse(text) {
        return Ok(now - d);
    }
    crate::timefmt::parse_time(text, now, policy.defaults.timezone)
        .map_err(|e| anyhow!("{flag}: {e}; or a duration back from now (30d, 12w)"))
}

fn group_by(b: ReportBy) -> GroupBy {
    match b {
        ReportBy::Tier => GroupBy::Tier,
        ReportBy::Severity => GroupBy::Severity,
        ReportBy::Type => GroupBy::Type,
        ReportBy::Account => GroupBy::Account,
        ReportBy::Week => GroupBy::Week,
        ReportBy::Owner => GroupBy::Owner,
        ReportBy::Label => GroupBy::Label,
    }
}

/// Whether the reports look at an event itself (not only at what it did to the case):
/// escalations, de-escalations, resolutions, SLA warnings and trigger decisions. (Where a
/// case was opened is in the case itself: [`Case::home_path`], [`Case::opened_tier`].)
fn kept(e: &Event) -> bool {
    matches!(
        e,
        Event::Escalated { .. }
            | Event::Deescalated { .. }
            | Event::Resolved { .. }
            | Event::SlaWarning { .. }
            | Event::TriggerFired { .. }
            | Event::Proposed { .. }
            | Event::Approved { .. }
            | Event::Rejected { .. }
    )
}

/// Every case of the ledger as of `now` (later events are left out), folded while the
/// ledger is read; each case keeps only the events `keep` says the report looks at (see
/// [`kept`]), so a large ledger is never held in memory whole.
pub fn cases_as_of(settings: &Settings) -> Result<Vec<Case>> {
    let skip = crate::case::unread_by_reports;
    super::case_cmd::fold_cases(settings, kept, skip, Some(settings.now))
}

/// What the desk report reads: every case as of `now` keeping no event, and the cases'
/// steps ([`report::desk::Trails`]).
fn cases_with_trails(settings: &Settings) -> Result<(Vec<Case>, report::desk::Trails)> {
    let mut trails = report::desk::Trails::default();
    let cases = super::case_cmd::fold_cases_watching(
        settings,
        |_| false,
        crate::case::unread_by_reports,
        Some(settings.now),
        &mut |r| trails.push(r),
    )?;
    Ok((cases, trails))
}

/// `esc report …`.
pub fn report(settings: &Settings, cmd: ReportCommand, out: &mut Output) -> Result<ExitCode> {
    let (kind, args, window) = match cmd {
        ReportCommand::Breaches {
            fail_if_any,
            format,
        } => {
            return breaches(settings, fail_if_any, format, out);
        }
        ReportCommand::Sla(a) => (Kind::Sla, a, None),
        ReportCommand::Trends(a) => (Kind::Trends, a, None),
        ReportCommand::Reviews(a) => (Kind::Reviews, a, None),
        ReportCommand::Triggers(a) => (Kind::Triggers, a, None),
        ReportCommand::Escalations { args, window } => (Kind::Escalations, args, Some(window)),
        ReportCommand::Desk { args, every } => {
            let every = match every {
                ReportEvery::Day => Every::Day,
                ReportEvery::Week => Every::Week,
            };
            return run(settings, Kind::Desk, &args, None, every, out);
        }
    };
    run(settings, kind, &args, window.as_deref(), Every::Week, out)
}

fn run(
    settings: &Settings,
    kind: Kind,
    args: &ReportArgs,
    window: Option<&str>,
    every: Every,
    out: &mut Output,
) -> Result<ExitCode> {
    let policy = policy_cmd::load(&settings.policy)?;
    let by = args.by.map(group_by);
    match (kind, by) {
        (Kind::Trends, Some(b)) if b != GroupBy::Week => bail!(
            "`esc report trends` counts per week; --by {} does not apply (use `esc report sla --by {}`)",
            b.as_str(),
            b.as_str()
        ),
        (Kind::Triggers, Some(b)) => bail!(
            "`esc report triggers` has one row per trigger; --by {} does not apply",
            b.as_str()
        ),
        _ => {}
    }
    let since = args
        .since
        .as_deref()
        .map(|s| parse_since(s, &policy, settings.now))
        .transpose()?;
    let until = args
        .until
        .as_deref()
        .map(|s| parse_back("--until", s, &policy, settings.now))
        .transpose()?;
    if let (Some(s), Some(u)) = (since, until)
        && u <= s
    {
        bail!(
            "--until ({}) is not after --since ({}): nothing is opened in between; give an --until later than --since",
            local_time(u, policy.defaults.timezone),
            local_time(s, policy.defaults.timezone)
        );
    }
    let window = match window {
        Some(w) => duration::parse(w).map_err(|e| anyhow!("--window: {e}"))?,
        None => chrono::TimeDelta::days(7),
    };
    let format = if settings.json {
        Format::Json
    } else {
        match args.format {
            ReportFormat::Table => Format::Table,
            ReportFormat::Json => Format::Json,
            ReportFormat::Csv => Format::Csv,
            ReportFormat::Md => Format::Md,
        }
    };
    let (cases, trails) = if kind == Kind::Desk {
        cases_with_trails(settings)?
    } else {
        (cases_as_of(settings)?, report::desk::Trails::default())
    };
    let opts = Options {
        since,
        until,
        by: by.or(kind.default_by()),
        window,
        every,
    };
    let mut built = report::build(kind, &policy, &cases, &trails, &opts, settings.now);
    if let Some(name) = &args.section {
        let keys: Vec<&str> = built.sections.iter().map(|s| s.key).collect();
        if !keys.contains(&name.as_str()) {
            bail!(
                "the {} report has no section `{name}`; its sections are: {}",
                kind.as_str(),
                keys.join(", ")
            );
        }
        built.sections.retain(|s| s.key == name);
    }
    let text = render(&built, format, policy.defaults.timezone);
    match format {
        Format::Json | Format::Csv => out.data(&text)?,
        Format::Md => out.document(&text)?,
        Format::Table => out.raw(&text)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `esc --json report breaches` but its last field, `clocks` (an array of [`BreachJson`]),
/// which is written as it is made.
#[derive(serde::Serialize)]
struct BreachesHead {
    now: DateTime<Utc>,
    breached: usize,
    at_risk: usize,
}

/// One clock of `esc --json report breaches`.
#[derive(serde::Serialize)]
struct BreachJson<'a> {
    case: &'a str,
    title: &'a str,
    clock: &'a str,
    state: &'a str,
    due: crate::timefmt::JsonTime,
    over_seconds: i64,
    left_seconds: i64,
}

/// One breached or at-risk clock of `esc report breaches`, in 16 bytes: a report over a
/// large ledger holds hundreds of thousands of them. The bits are its place in the report's
/// order, so the rows sort as plain integers: from the top, whether it is at risk (1 bit;
/// breached first), its due time ([`crate::timefmt::sort_key`], 95 bits), the case's index
/// in the folded cases (29 bits), the clock (its place in [`ClockKind::ALL`], 2 bits) and
/// whether it is breached (1 bit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct BreachRow(u128);

impl BreachRow {
    fn new(case: usize, kind: ClockKind, breached: bool, due: DateTime<Utc>) -> Result<Self> {
        let kind = ClockKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
        let slot = u32::try_from(case)
            .ok()
            .filter(|c| *c < 1 << 29)
            .map(|c| (c << 3) | ((kind as u32) << 1) | u32::from(breached))
            .ok_or_else(|| {
                anyhow!(
                    "report breaches handles at most 2^29 (536,870,912) cases and this ledger \
                     has more; use `esc list --breached` instead"
                )
            })?;
        Ok(BreachRow(
            (u128::from(!breached) << 127)
                | (crate::timefmt::sort_key(due) << 32)
                | u128::from(slot),
        ))
    }

    fn slot(self) -> u32 {
        self.0 as u32
    }

    fn case(self) -> usize {
        (self.slot() >> 3) as usize
    }

    fn kind(self) -> ClockKind {
        ClockKind::ALL[((self.slot() >> 1) & 3) as usize]
    }

    fn breached(self) -> bool {
        self.slot() & 1 == 1
    }

    /// The due time, as it was given to [`BreachRow::new`].
    fn due(self) -> DateTime<Utc> {
        // Always a time: the key was made from one.
        crate::timefmt::from_sort_key(self.0 >> 32).unwrap_or(DateTime::<Utc>::MIN_UTC)
    }
}

/// `esc report breaches`.
pub fn breaches(
    settings: &Settings,
    fail_if_any: bool,
    format: crate::cli::ReportFormat,
    out: &mut Output,
) -> Result<ExitCode> {
    let policy = policy_cmd::load(&settings.policy)?;
    let cases = super::case_cmd::listed_cases(settings)?;
    let now = settings.now;
    // The clocks are worked out on every core (`crate::par`).
    // Room for every clock of every active case at once: growing by doubling would hold the
    // old and the new buffer together.
    let room = |part: std::ops::Range<usize>| {
        cases[part].iter().filter(|c| c.is_active()).count() * ClockKind::ALL.len()
    };
    // Breached first, then by due time; ties in case order and then the clocks' order, as
    // they were found (the order is total: each part's rows are sorted on its own thread,
    // without a scratch copy, and merged as they are read).
    let rows = crate::par::sorted_parts(
        cases.len(),
        room,
        |part, rows| {
            for i in part.filter(|i| cases[*i].is_active()) {
                let Some(k) = crate::sla::clock::shown_clocks(&policy, &cases[i], now) else {
                    continue;
                };
                for clock in k.iter().filter(|x| x.at.is_none()) {
                    let breached = match clock.state {
                        crate::sla::clock::ClockState::Breached => true,
                        crate::sla::clock::ClockState::Warning => false,
                        _ => continue,
                    };
                    if let Some(due) = clock.due {
                        rows.push(BreachRow::new(i, clock.kind, breached, due)?);
                    }
                }
            }
            Ok::<_, anyhow::Error>(())
        },
        |r| *r,
    )?;
    let breached = rows.iter().filter(|r| r.breached()).count();
    // What a row says: case, clock, state and due time.
    let row = |r: &BreachRow| {
        let state = if r.breached() { "breached" } else { "at risk" };
        (&cases[r.case()], r.kind().as_str(), state, r.due())
    };
    let tz = policy.defaults.timezone;
    if !settings.json && matches!(format, ReportFormat::Csv | ReportFormat::Md) {
        let col = |key, label| report::Column {
            key,
            label,
            detail: false,
        };
        let section = report::Section {
            key: "clocks",
            title: "Breached and at-risk clocks".into(),
            columns: vec![
                col("case", "case"),
                col("clock", "clock"),
                col("state", "state"),
                col("due", "due"),
                col("over_seconds", "over"),
                col("left_seconds", "left"),
                col("title", "title"),
            ],
            // Made a row at a time as they are written (`made` below).
            rows: Vec::new(),
            chart: None,
        };
        let rep = report::Report {
            kind: Kind::Breaches,
            now,
            since: None,
            until: None,
            by: None,
            cases: cases.iter().filter(|c| c.is_active()).count(),
            sections: vec![section],
            notes: vec![format!(
                "{breached} breached, {} at risk",
                rows.len() - breached
            )],
        };
        let cells = |i: usize| {
            let (case, clock, state, due) = row(rows.get(i));
            let secs = (due - now).num_seconds();
            vec![
                report::Cell::Text(case.id.to_string()),
                report::Cell::Text(clock.to_string()),
                report::Cell::Text(state.to_string()),
                report::Cell::Text(crate::render::rfc3339(due)),
                report::Cell::Secs(Some((-secs).max(0))),
                report::Cell::Secs(Some(secs.max(0))),
                report::Cell::Text(case.title.to_string()),
            ]
        };
        let made = [SectionRows::Made {
            len: rows.len(),
            row: &cells,
        }];
        if matches!(format, ReportFormat::Csv) {
            out.pieces(Text::Data, |put| write_csv(&rep, &made, put))?;
        } else {
            out.pieces(Text::Document, |put| write_markdown(&rep, tz, &made, put))?;
        }
    } else if settings.json || matches!(format, ReportFormat::Json) {
        let head = BreachesHead {
            now,
            breached,
            at_risk: rows.len() - breached,
        };
        out.json_object_with_array(&head, "clocks", rows.len(), |i| {
            let (case, clock, state, due) = row(rows.get(i));
            let secs = (due - now).num_seconds();
            BreachJson {
                case: &case.id,
                title: &case.title,
                clock,
                state,
                due: crate::timefmt::JsonTime(due),
                over_seconds: (-secs).max(0),
                left_seconds: secs.max(0),
            }
        })?;
    } else if rows.is_empty() {
        out.say("no breached or at-risk cases")?;
    } else {
        let t = table(["case", "clock", "state", "due", "over / left", "title"]);
        let cells = |i: usize| {
            let (case, clock, state, due) = row(rows.get(i));
            let rel = if due <= now {
                format!("over by {}", duration::format(now - due))
            } else {
                format!("{} left", duration::format(due - now))
            };
            vec![
                case.id.as_str().into(),
                clock.into(),
                crate::render::state_cell(state),
                local_time(due, tz).into(),
                rel.into(),
                case.title.replace('\n', " ").into(),
            ]
        };
        let tail = format!("\n{breached} breached, {} at risk\n", rows.len() - breached);
        out.table(&t, rows.len(), &cells, &tail)?;
    }
    super::case_cmd::let_go(cases);
    Ok(if fail_if_any && breached > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Any time chrono can hold, a leap second among them.
    fn time() -> impl Strategy<Value = DateTime<Utc>> {
        let (min, max) = (
            DateTime::<Utc>::MIN_UTC.timestamp(),
            DateTime::<Utc>::MAX_UTC.timestamp(),
        );
        prop_oneof![
            (min..=max, 0u32..1_000_000_000),
            (-100_000i64..100_000, 0u32..1_000_000_000),
            (0i64..1_000, 0u32..1_000_000_000)
                .prop_map(|(d, n)| (d * 86_400 + 86_399, n + 1_000_000_000)),
        ]
        .prop_filter_map("a time", |(s, n)| DateTime::from_timestamp(s, n))
    }

    fn row() -> impl Strategy<Value = (usize, usize, bool, DateTime<Utc>)> {
        (
            0usize..(1 << 29),
            0..ClockKind::ALL.len(),
            any::<bool>(),
            time(),
        )
    }

    proptest! {
        /// A row gives back what it was made of, and rows sort as the report orders them:
        /// breached first, then by due time, case and clock.
        #[test]
        fn a_breach_row_keeps_its_parts_and_sorts_in_the_report_s_order(a in row(), b in row()) {
            let make = |(case, kind, breached, due): (usize, usize, bool, DateTime<Utc>)| {
                BreachRow::new(case, ClockKind::ALL[kind], breached, due).expect("in range")
            };
            let (ra, rb) = (make(a), make(b));
            prop_assert_eq!((ra.case(), ra.kind(), ra.breached(), ra.due()), (a.0, ClockKind::ALL[a.1], a.2, a.3));
            let order = |(case, kind, breached, due): (usize, usize, bool, DateTime<Utc>)| {
                (!breached, due, case, kind)
            };
            prop_assert_eq!(ra.cmp(&rb), order(a).cmp(&order(b)));
        }
    }
}
