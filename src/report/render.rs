//! Printing a [`Report`]: a table for people (with bar charts where a section has one), JSON,
//! CSV or Markdown. Pure: each function returns the text.
//!
//! JSON and CSV carry raw values — durations in whole seconds, percentages rounded to one
//! decimal, averages to two, `null` (JSON) or an empty field (CSV) where there was nothing to
//! measure. Tables and Markdown show durations as `7h12m` and percentages as `93.3%`.

use super::{Cell, Report, Section};
use crate::render::{local_time, table};
use chrono::TimeDelta;
use chrono_tz::Tz;
use serde_json::{Map, Value, json};
use std::io;

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
    Md,
}

fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

/// A duration for people: the tool's one formatter, [`crate::timefmt::duration`].
pub fn human_secs(secs: i64) -> String {
    crate::timefmt::seconds(secs)
}

/// Elapsed time for people: the same formatter as every other duration.
pub fn human_elapsed(d: TimeDelta) -> String {
    crate::timefmt::duration(d)
}

fn human(cell: &Cell) -> String {
    match cell {
        Cell::Text(s) => s.clone(),
        Cell::Int(n) => n.to_string(),
        Cell::Pct(Some(p)) => format!("{:.1}%", p),
        Cell::Secs(Some(s)) => human_secs(*s),
        Cell::Num(Some(x)) => format!("{x:.2}"),
        Cell::Score(Some(n)) => n.to_string(),
        Cell::Pct(None) | Cell::Secs(None) | Cell::Num(None) | Cell::Score(None) => "-".into(),
        Cell::Date(d) => d.to_string(),
        Cell::Bool(b) => if *b { "yes" } else { "no" }.into(),
    }
}

fn value(cell: &Cell) -> Value {
    match cell {
        Cell::Text(s) => json!(s),
        Cell::Int(n) => json!(n),
        Cell::Pct(p) => json!(p.map(|p| round(p, 1))),
        Cell::Secs(s) => json!(s),
        Cell::Num(x) => json!(x.map(|x| round(x, 2))),
        Cell::Score(n) => json!(n),
        Cell::Date(d) => json!(d.to_string()),
        Cell::Bool(b) => json!(b),
    }
}

fn raw(cell: &Cell) -> String {
    match value(cell) {
        Value::Null => String::new(),
        Value::String(s) => s,
        v => v.to_string(),
    }
}

fn number(cell: &Cell) -> usize {
    match cell {
        Cell::Int(n) => *n,
        _ => 0,
    }
}

/// Render in a format.
pub fn render(report: &Report, format: Format, tz: Tz) -> String {
    match format {
        Format::Table => to_table(report, tz),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&to_json(report)).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Csv => to_csv(report),
        Format::Md => to_markdown(report, tz),
    }
}

fn heading(report: &Report, tz: Tz) -> String {
    let mut s = format!(
        "{} report: {} case{}",
        report.kind.as_str(),
        report.cases,
        if report.cases == 1 { "" } else { "s" }
    );
    if let Some(since) = report.since {
        s.push_str(&format!(" opened since {}", local_time(since, tz)));
    }
    if let Some(until) = report.until {
        let lead = if report.since.is_some() {
            ","
        } else {
            " opened"
        };
        s.push_str(&format!("{lead} before {}", local_time(until, tz)));
    }
    if let Some(by) = report.by {
        s.push_str(&format!(", by {}", by.as_str()));
    }
    s.push_str(&format!("; as of {}", local_time(report.now, tz)));
    s
}

const BAR_WIDTH: usize = 30;

fn chart_cell(section: &Section, row: &[Cell], max: usize) -> String {
    let Some(chart) = &section.chart else {
        return String::new();
    };
    chart
        .series
        .iter()
        .map(|(i, glyph)| {
            let n = row.get(*i).map_or(0, number);
            let len = if max == 0 {
                0
            } else {
                (n * BAR_WIDTH).div_ceil(max)
            };
            glyph.to_string().repeat(len)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Tables for people.
pub fn to_table(report: &Report, tz: Tz) -> String {
    let mut out = heading(report, tz);
    out.push('\n');
    for s in &report.sections {
        out.push('\n');
        out.push_str(&s.title);
        out.push('\n');
        if s.rows.is_empty() {
            out.push_str("(none)\n");
            continue;
        }
        let shown: Vec<usize> = (0..s.columns.len())
            .filter(|i| !s.columns[*i].detail)
            .collect();
        let mut header: Vec<String> = shown
            .iter()
            .map(|i| s.columns[*i].label.to_string())
            .collect();
        let max = s.chart.as_ref().map_or(0, |chart| {
            s.rows
                .iter()
                .flat_map(|r| {
                    chart
                        .series
                        .iter()
                        .map(|(i, _)| r.get(*i).map_or(0, number))
                })
                .max()
                .unwrap_or(0)
        });
        if s.chart.is_some() {
            header.push("chart".into());
        }
        let mut t = table(header);
        for row in &s.rows {
            let mut cells: Vec<String> = shown
                .iter()
                .map(|i| row.get(*i).map(human).unwrap_or_default())
                .collect();
            if s.chart.is_some() {
                cells.push(chart_cell(s, row, max));
            }
            t.add_row(cells);
        }
        for (at, i) in shown.iter().enumerate() {
            if s.rows
                .first()
                .and_then(|r| r.get(*i))
                .is_some_and(|cell| !matches!(cell, Cell::Text(_) | Cell::Date(_)))
            {
                t.align_right(at);
            }
        }
        out.push_str(&format!("{t}\n"));
    }
    for n in &report.notes {
        out.push_str(&format!("\n{n}\n"));
    }
    out
}

/// `{"report": …, "now": …, "since": …, "by": …, "cases": n, "<section>": [{…}, …]}`.
pub fn to_json(report: &Report) -> Value {
    let mut m = Map::new();
    m.insert("report".into(), json!(report.kind.as_str()));
    m.insert("now".into(), json!(report.now));
    m.insert("since".into(), json!(report.since));
    if report.until.is_some() {
        m.insert("until".into(), json!(report.until));
    }
    m.insert("by".into(), json!(report.by.map(|b| b.as_str())));
    m.insert("cases".into(), json!(report.cases));
    for s in &report.sections {
        let rows: Vec<Value> = s
            .rows
            .iter()
            .map(|row| {
                let mut o = Map::new();
                for (c, cell) in s.columns.iter().zip(row) {
                    o.insert(c.key.to_string(), value(cell));
                }
                Value::Object(o)
            })
            .collect();
        m.insert(s.key.to_string(), Value::Array(rows));
    }
    Value::Object(m)
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A section's rows as [`write_csv`] and [`write_markdown`] take them: those the section
/// holds, or made one at a time for a section built without them (a row per breached
/// clock can be long), so that they are never all held at once.
#[derive(Clone, Copy)]
pub enum SectionRows<'a> {
    Held(&'a [Vec<Cell>]),
    Made {
        len: usize,
        row: &'a dyn Fn(usize) -> Vec<Cell>,
    },
}

impl SectionRows<'_> {
    /// Each row in turn.
    fn each(&self, mut f: impl FnMut(&[Cell]) -> io::Result<()>) -> io::Result<()> {
        match self {
            SectionRows::Held(rows) => rows.iter().try_for_each(|r| f(r)),
            SectionRows::Made { len, row } => (0..*len).try_for_each(|i| f(&row(i))),
        }
    }

    /// The first row's cells, which decide how a Markdown column is aligned.
    fn first(&self) -> Option<Vec<Cell>> {
        match self {
            SectionRows::Held(rows) => rows.first().cloned(),
            SectionRows::Made { len, row } => (*len > 0).then(|| row(0)),
        }
    }
}

/// The rows of each section: `made` for the first sections, in order, then what each
/// section holds.
fn rows_of<'a>(report: &'a Report, made: &[SectionRows<'a>]) -> Vec<SectionRows<'a>> {
    report
        .sections
        .iter()
        .enumerate()
        .map(|(i, s)| made.get(i).copied().unwrap_or(SectionRows::Held(&s.rows)))
        .collect()
}

/// The text a writer hands over, as one string.
fn collected(
    write: impl FnOnce(&mut dyn FnMut(&str) -> io::Result<()>) -> io::Result<()>,
) -> String {
    let mut out = String::new();
    // Writing to a string cannot fail.
    let _ = write(&mut |piece| {
        out.push_str(piece);
        Ok(())
    });
    out
}

/// CSV: each section a header row of column keys and its rows; several sections are
/// separated by an empty line (choose one with `--section`).
pub fn to_csv(report: &Report) -> String {
    collected(|put| write_csv(report, &[], put))
}

/// [`to_csv`] a row at a time to `put`, the first sections' rows from `made`.
pub fn write_csv(
    report: &Report,
    made: &[SectionRows<'_>],
    put: &mut dyn FnMut(&str) -> io::Result<()>,
) -> io::Result<()> {
    for (k, (s, rows)) in report
        .sections
        .iter()
        .zip(rows_of(report, made))
        .enumerate()
    {
        if k > 0 {
            put("\n")?;
        }
        let header: Vec<String> = s.columns.iter().map(|c| csv_field(c.key)).collect();
        put(&(header.join(",") + "\n"))?;
        rows.each(|row| {
            let cells: Vec<String> = row
                .iter()
                .map(|c| match c {
                    // Text comes from people: defuse spreadsheet formulas (OWASP).
                    Cell::Text(t) => csv_field(&crate::render::csv_cell(t)),
                    c => csv_field(&raw(c)),
                })
                .collect();
            put(&(cells.join(",") + "\n"))
        })?;
    }
    Ok(())
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', "<br>")
}

/// Markdown: a heading per section and a pipe table.
pub fn to_markdown(report: &Report, tz: Tz) -> String {
    collected(|put| write_markdown(report, tz, &[], put))
}

/// [`to_markdown`] a row at a time to `put`, the first sections' rows from `made`.
pub fn write_markdown(
    report: &Report,
    tz: Tz,
    made: &[SectionRows<'_>],
    put: &mut dyn FnMut(&str) -> io::Result<()>,
) -> io::Result<()> {
    put(&format!("# {}\n", heading(report, tz)))?;
    for (s, rows) in report.sections.iter().zip(rows_of(report, made)) {
        put(&format!("\n## {}\n\n", s.title))?;
        let Some(first) = rows.first() else {
            put("(none)\n")?;
            continue;
        };
        let shown: Vec<usize> = (0..s.columns.len())
            .filter(|i| !s.columns[*i].detail)
            .collect();
        let labels: Vec<String> = shown
            .iter()
            .map(|i| md_cell(&s.columns[*i].label.replace('\n', " ")))
            .collect();
        put(&format!("| {} |\n", labels.join(" | ")))?;
        let rule: Vec<&str> = shown
            .iter()
            .map(|i| match first.get(*i) {
                Some(Cell::Text(_) | Cell::Date(_)) => "---",
                _ => "---:",
            })
            .collect();
        put(&format!("|{}|\n", rule.join("|")))?;
        rows.each(|row| {
            let cells: Vec<String> = shown
                .iter()
                .map(|i| md_cell(&row.get(*i).map(human).unwrap_or_default()))
                .collect();
            put(&format!("| {} |\n", cells.join(" | ")))
        })?;
    }
    for n in &report.notes {
        put(&format!("\n{n}\n"))?;
    }
    Ok(())
}
