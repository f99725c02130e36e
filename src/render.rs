//! Shared rendering helpers for people: tables that fit the terminal, and the one place that
//! makes text safe for a terminal or a spreadsheet.
//!
//! The layout (width, colour) is decided once by the shell ([`set_layout`]) from `COLUMNS`,
//! the terminal and `--color`; every table drawn anywhere ([`table`]) follows it, so colour
//! never changes the layout and a report drawn by pure code fits the same width as `list`.
//! Times and durations are formatted by [`crate::timefmt`]; the names here are kept for
//! callers.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use comfy_table::{
    Cell, Color, ColumnConstraint, ContentArrangement, Row, Table, Width,
    presets::UTF8_FULL_CONDENSED,
};
use std::sync::OnceLock;

/// How human output is laid out: decided once per process by the shell.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Layout {
    /// Fit tables into this many columns; `None`: the natural (wide) layout, as when piped.
    pub width: Option<u16>,
    /// Colour table cells (states).
    pub color: bool,
}

static LAYOUT: OnceLock<Layout> = OnceLock::new();

/// Set the layout for this process (the first call wins; later calls are ignored).
pub fn set_layout(layout: Layout) {
    let _ = LAYOUT.set(layout);
}

/// The layout in force (wide, no colour unless the shell said otherwise).
pub fn layout() -> Layout {
    LAYOUT.get().copied().unwrap_or_default()
}

/// The width human output should fit: `COLUMNS` when set to a number, else the terminal's
/// width when stdout is one, else none (piped: the wide layout, stable for scripts).
pub fn width_from(columns: Option<&str>, stdout_tty: bool) -> Option<u16> {
    if let Some(n) = columns.and_then(|c| c.trim().parse::<u16>().ok())
        && n >= 20
    {
        return Some(n);
    }
    if stdout_tty {
        return terminal_size::terminal_size().map(|(w, _)| w.0);
    }
    None
}

/// Words up to this long are never broken across lines; longer ones (a pasted URL) may be.
const UNBREAKABLE: usize = 24;

/// A table in the house style that fits [`layout`]'s width: coloured only when colour is
/// on, never breaking a word, number or date of up to [`UNBREAKABLE`] characters. When the
/// columns cannot fit side by side, it is drawn turned (one column per row, for a few rows)
/// or as one block of `label: value` lines per row. With [`Grid::one_line`], long text is
/// cut with `…` instead of wrapped.
#[derive(Debug, Clone, Default)]
pub struct Grid {
    header: Vec<String>,
    rows: Vec<Vec<Styled>>,
    right: Vec<usize>,
    whole: Vec<usize>,
    /// Columns that may be left out when the table does not fit, first to go first.
    optional: Vec<usize>,
    one_line: bool,
}

/// A table with this header, laid out by the process [`layout`].
pub fn table<S: ToString>(header: impl IntoIterator<Item = S>) -> Grid {
    Grid {
        header: header.into_iter().map(|s| s.to_string()).collect(),
        ..Grid::default()
    }
}

fn text_width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

/// The widest word of a text that must not be broken.
fn longest_word(text: &str) -> usize {
    text.split([' ', '\n'])
        .map(text_width)
        .filter(|n| *n <= UNBREAKABLE)
        .max()
        .unwrap_or(0)
}

/// The widest line of a text.
fn longest_line(text: &str) -> usize {
    text.lines().map(text_width).max().unwrap_or(0)
}

impl Grid {
    /// Rows of at most two lines each: long text is cut with `…` rather than wrapped on.
    pub fn short_rows(&mut self) -> &mut Self {
        self.one_line = true;
        self
    }

    /// Right-align this column (numbers).
    pub fn align_right(&mut self, column: usize) -> &mut Self {
        self.right.push(column);
        self
    }

    /// Leave this column out when the table cannot fit otherwise (call in the order the
    /// columns should go).
    pub fn optional(&mut self, column: usize) -> &mut Self {
        self.optional.push(column);
        self
    }

    /// The table without one column.
    fn without(&self, column: usize) -> Grid {
        let drop = |v: &mut Vec<usize>| {
            v.retain(|c| *c != column);
            for c in v.iter_mut() {
                if *c > column {
                    *c -= 1;
                }
            }
        };
        let mut g = self.clone();
        if column < g.header.len() {
            g.header.remove(column);
        }
        for r in &mut g.rows {
            if column < r.len() {
                r.remove(column);
            }
        }
        drop(&mut g.right);
        drop(&mut g.whole);
        drop(&mut g.optional);
        g
    }

    /// Never wrap or cut this column's cells (short values such as `over by 3h`).
    pub fn keep_whole(&mut self, column: usize) -> &mut Self {
        self.whole.push(column);
        self
    }

    /// Add a row of cells (strings, or [`Styled`] ones from [`state_cell`]). Cell text is
    /// made terminal-safe ([`neutralise`]) here, before the layout is measured.
    pub fn add_row<T: Into<Styled>>(&mut self, cells: Vec<T>) -> &mut Self {
        self.rows.push(safe_row(cells));
        self
    }

    /// Whether no rows were added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Take one row's cells into a measure.
    fn measure(&self, m: &mut Measure, at: usize, row: &[Styled]) {
        if m.least.len() < row.len() {
            m.least.resize(row.len(), 0);
            m.widest.resize(row.len(), (0, None));
        }
        for (i, cell) in row.iter().enumerate() {
            let line = longest_line(&cell.text);
            let least = if self.whole.contains(&i) {
                line
            } else {
                longest_word(&cell.text)
            };
            m.least[i] = m.least[i].max(least);
            if line > m.widest[i].0 {
                m.widest[i] = (line, Some(at));
            }
        }
    }

    /// The narrowest each column may be: its longest unbreakable word (or, for a
    /// [`Grid::keep_whole`] column, its longest line), plus one space of padding each side.
    fn minimums(&self) -> Vec<usize> {
        let mut m = Measure::default();
        for (at, row) in self.rows.iter().enumerate() {
            self.measure(&mut m, at, row);
        }
        self.minimums_of(&m)
    }

    /// [`Grid::minimums`] from a measure of the rows.
    fn minimums_of(&self, m: &Measure) -> Vec<usize> {
        let n = m.least.len().max(self.header.len());
        (0..n)
            .map(|i| {
                let head = self.header.get(i).map_or(0, |h| longest_word(h));
                if self.one_line && i + 1 == n {
                    // The free-text column of a short-row table is cut with `…` as needed.
                    return head.max(8) + 2;
                }
                head.max(m.least.get(i).copied().unwrap_or(0)) + 2
            })
            .collect()
    }

    fn comfy(
        &self,
        layout: Layout,
        header: Option<&[String]>,
        rows: &[Vec<Styled>],
        widths: Widths<'_>,
    ) -> Table {
        let mut t = Table::new();
        t.load_style(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_truncation_indicator("…");
        if layout.color {
            t.enforce_styling();
        } else {
            t.force_no_tty();
        }
        if let Some(w) = layout.width {
            t.set_width(w);
        }
        if let Some(header) = header {
            t.set_header(header.to_vec());
        }
        for r in rows {
            let cells: Vec<Cell> = r
                .iter()
                .map(|s| {
                    let cell = Cell::new(&s.text);
                    match s.colour {
                        Some(c) => cell.fg(c),
                        None => cell,
                    }
                })
                .collect();
            let mut row = Row::from(cells);
            if self.one_line {
                row.max_height(2);
            }
            t.add_row(row);
        }
        for i in &self.right {
            if let Some(c) = t.column_mut(*i) {
                c.set_cell_alignment(comfy_table::CellAlignment::Right);
            }
        }
        let fixed = |w: &usize| Width::Fixed(u16::try_from(*w).unwrap_or(u16::MAX));
        match widths {
            Widths::Natural => {}
            Widths::AtLeast(mins) => {
                t.set_constraints(
                    mins.iter()
                        .map(|w| ColumnConstraint::LowerBoundary(fixed(w))),
                );
            }
            Widths::Exactly(widths) => {
                t.set_constraints(widths.iter().map(|w| ColumnConstraint::Absolute(fixed(w))));
            }
        }
        t
    }

    /// The table turned: one row per column, one column per row (the first column's values
    /// become the header).
    fn turned(&self) -> Grid {
        let mut header = vec![self.header.first().cloned().unwrap_or_default()];
        header.extend(
            self.rows
                .iter()
                .map(|r| r.first().map(|c| c.text.clone()).unwrap_or_default()),
        );
        let mut g = Grid {
            header,
            ..Grid::default()
        };
        for (i, label) in self.header.iter().enumerate().skip(1) {
            let mut row = vec![Styled::from(label.as_str())];
            row.extend(
                self.rows
                    .iter()
                    .map(|r| r.get(i).cloned().unwrap_or_default()),
            );
            g.rows.push(row);
        }
        g.right = (1..g.header.len())
            .filter(|_| !self.right.is_empty())
            .collect();
        g
    }

    /// One block per row: the first cell, then `label: value` lines, wrapped to `width`.
    fn records(&self, width: usize) -> String {
        let mut out = Vec::new();
        for r in &self.rows {
            let mut lines = vec![r.first().map(|c| c.text.clone()).unwrap_or_default()];
            for (i, c) in r.iter().enumerate().skip(1) {
                if c.text.is_empty() {
                    continue;
                }
                let label = self.header.get(i).map_or("", String::as_str);
                let text = format!("{label}: {}", c.text.replace('\n', " "));
                lines.push(wrap(&text, width, "  ", "    "));
            }
            out.push(lines.join("\n"));
        }
        out.join("\n\n")
    }

    /// The table's text in a layout (what [`std::fmt::Display`] prints in the process's).
    fn text(&self, layout: Layout) -> String {
        let text = match layout.width.map(usize::from) {
            None => self
                .comfy(layout, Some(&self.header), &self.rows, Widths::Natural)
                .to_string(),
            Some(width) if !fits(&self.minimums(), width) && !self.optional.is_empty() => {
                return self.without(self.optional[0]).text(layout);
            }
            Some(width) => {
                let mins = self.minimums();
                // Turning suits a few rows (a report's groups), not a long list.
                let turned = (self.header.len() > 2 && (1..=8).contains(&self.rows.len()))
                    .then(|| self.turned())
                    .map(|t| {
                        let m = t.minimums();
                        (t, m)
                    })
                    .filter(|(_, m)| fits(m, width));
                if fits(&mins, width) {
                    self.comfy(
                        layout,
                        Some(&self.header),
                        &self.rows,
                        Widths::AtLeast(&mins),
                    )
                    .to_string()
                } else if let Some((t, m)) = turned {
                    t.comfy(layout, Some(&t.header), &t.rows, Widths::AtLeast(&m))
                        .to_string()
                } else {
                    self.records(width)
                }
            }
        };
        trimmed(&text)
    }

    /// Write this table (its header and settings; no rows added) with `len` rows, the i-th
    /// being `row(i)`, a piece at a time to `put`, without a trailing newline. Up to
    /// [`CHUNK_ROWS`] rows it is what adding them and printing the table gives. A longer
    /// table is never held whole: every row is made twice, once to measure the columns and
    /// once to draw a chunk of rows at a time at the widths comfy-table chose for the rows
    /// that decide them (the first chunk and each column's widest). Those are the widths of
    /// the whole table whenever its columns fit side by side unwrapped (always when piped);
    /// on a terminal too narrow for that, they may differ a little from what the whole table
    /// would be given.
    pub fn write_rows(
        &self,
        len: usize,
        row: &dyn Fn(usize) -> Vec<Styled>,
        put: &mut dyn FnMut(&str) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        self.write_rows_in(layout(), CHUNK_ROWS, len, row, put)
    }

    fn write_rows_in(
        &self,
        layout: Layout,
        chunk: usize,
        len: usize,
        row: &dyn Fn(usize) -> Vec<Styled>,
        put: &mut dyn FnMut(&str) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let chunk = chunk.max(1);
        if len <= chunk {
            let mut g = self.clone();
            g.rows = (0..len).map(|i| safe_row(row(i))).collect();
            return put(&g.text(layout));
        }
        let mut m = Measure::default();
        for i in 0..len {
            self.measure(&mut m, i, &safe_row(row(i)));
        }
        // Optional columns go, first to go first, while the rest cannot fit.
        let mut g = self.clone();
        let mut gone = Vec::new();
        if let Some(width) = layout.width.map(usize::from) {
            while !fits(&g.minimums_of(&m), width)
                && let Some(column) = g.optional.first().copied()
            {
                g = g.without(column);
                m.remove(column);
                gone.push(column);
            }
        }
        let shown = |i: usize| {
            let mut r = safe_row(row(i));
            for column in &gone {
                if *column < r.len() {
                    r.remove(*column);
                }
            }
            r
        };
        let parts = (0..len)
            .step_by(chunk)
            .map(|start| start..len.min(start + chunk));
        let mins = g.minimums_of(&m);
        if let Some(width) = layout.width.map(usize::from)
            && !fits(&mins, width)
        {
            // One block of `label: value` lines per row, as for a short table.
            for (k, part) in parts.enumerate() {
                let mut blocks = g.clone();
                blocks.rows = part.map(shown).collect();
                if k > 0 {
                    put("\n\n")?;
                }
                put(&trimmed(&blocks.records(width)))?;
            }
            return Ok(());
        }
        let mut deciding: std::collections::BTreeSet<usize> = (0..chunk).collect();
        deciding.extend(m.widest.iter().filter_map(|(_, at)| *at));
        let deciding: Vec<Vec<Styled>> = deciding.into_iter().map(shown).collect();
        let at_least = match layout.width {
            Some(_) => Widths::AtLeast(&mins),
            None => Widths::Natural,
        };
        let drawn = g
            .comfy(layout, Some(&g.header), &deciding, at_least)
            .to_string();
        let widths = top_border_widths(drawn.lines().next().unwrap_or(""));
        drop(deciding);
        let widths = if widths.len() == mins.len() {
            widths
        } else {
            // Not a border this module knows: the columns' natural widths.
            (0..mins.len())
                .map(|i| {
                    let head = g.header.get(i).map_or(0, |h| longest_line(h));
                    head.max(m.widest.get(i).map_or(0, |w| w.0)) + 2
                })
                .collect()
        };
        let last = (len - 1) / chunk;
        for (k, part) in parts.enumerate() {
            let rows: Vec<Vec<Styled>> = part.map(shown).collect();
            let header = (k == 0).then_some(g.header.as_slice());
            let text = g
                .comfy(layout, header, &rows, Widths::Exactly(&widths))
                .to_string();
            let text = trimmed(&text);
            let mut lines: Vec<&str> = text.lines().collect();
            // The top border comes with the first chunk, the bottom one with the last.
            if k < last {
                lines.pop();
            }
            if k > 0 {
                lines.remove(0);
                put("\n")?;
            }
            put(&lines.join("\n"))?;
        }
        Ok(())
    }
}

/// Rows of a long table drawn at a time by [`Grid::write_rows`]: about 150 KB of text.
const CHUNK_ROWS: usize = 1024;

/// What a table's columns need, measured over its rows.
#[derive(Debug, Clone, Default)]
struct Measure {
    /// Per column: the widest line of a cell, and the row it is in.
    widest: Vec<(usize, Option<usize>)>,
    /// Per column: the longest unbreakable word of a cell (of a [`Grid::keep_whole`]
    /// column: the longest line).
    least: Vec<usize>,
}

impl Measure {
    /// Without a column.
    fn remove(&mut self, column: usize) {
        if column < self.least.len() {
            self.least.remove(column);
            self.widest.remove(column);
        }
    }
}

/// How wide a table's columns are drawn.
#[derive(Debug, Clone, Copy)]
enum Widths<'a> {
    /// As wide as their content.
    Natural,
    /// Fitted to the layout's width, each at least this wide.
    AtLeast(&'a [usize]),
    /// Exactly this wide, padding included.
    Exactly(&'a [usize]),
}

/// The widths of a table's columns, padding included, read from its top border
/// (`┌──────┬───┐`).
fn top_border_widths(line: &str) -> Vec<usize> {
    let Some(inner) = line
        .trim_end()
        .strip_prefix('┌')
        .and_then(|l| l.strip_suffix('┐'))
    else {
        return Vec::new();
    };
    inner.split('┬').map(|s| s.chars().count()).collect()
}

/// Cells made terminal-safe ([`neutralise`]), as a row of a [`Grid`].
fn safe_row<T: Into<Styled>>(cells: Vec<T>) -> Vec<Styled> {
    cells
        .into_iter()
        .map(|c| {
            let mut s: Styled = c.into();
            if let std::borrow::Cow::Owned(safe) = neutralise(&s.text, false) {
                s.text = safe;
            }
            s
        })
        .collect()
}

/// Text with the blanks at the end of each line gone (comfy-table pads every line to the
/// table's width; trailing blanks are noise), and no newline at the end.
fn trimmed(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    lines.join("\n")
}

/// Whether columns of these minimum widths fit side by side in `width`.
fn fits(mins: &[usize], width: usize) -> bool {
    mins.iter().sum::<usize>() + mins.len() < width
}

impl std::fmt::Display for Grid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text(layout()))
    }
}

/// Wrap text at spaces to `width` columns: the first line starts with `first`, the rest with
/// `rest`. Words longer than a line are left whole.
pub fn wrap(text: &str, width: usize, first: &str, rest: &str) -> String {
    let mut out = String::new();
    let mut line = first.to_string();
    let mut empty = true;
    for word in text.split(' ') {
        let needed = text_width(&line) + usize::from(!empty) + text_width(word);
        if !empty && needed > width {
            out.push_str(&line);
            out.push('\n');
            line = rest.to_string();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push_str(&line);
    out
}

/// Fit plain text to the layout's width: each line longer than the width (and not part of a
/// table) is wrapped at spaces, continuing at its own indent. Without a width, unchanged.
pub fn fit(text: &str) -> std::borrow::Cow<'_, str> {
    let Some(width) = layout().width.map(usize::from) else {
        return std::borrow::Cow::Borrowed(text);
    };
    if text.lines().all(|l| text_width(l) <= width) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 64);
    for (i, l) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if text_width(l) <= width || l.contains('│') {
            out.push_str(l);
            continue;
        }
        let indent: String = l.chars().take_while(|c| *c == ' ').collect();
        let cont = format!("{indent}  ");
        out.push_str(&wrap(l.trim_start(), width, &indent, &cont));
    }
    std::borrow::Cow::Owned(out)
}

/// A time for people, in the policy's display time zone: `2026-11-23 09:00 GMT`.
pub fn local_time(at: DateTime<Utc>, tz: Tz) -> String {
    crate::timefmt::local_time(at, tz)
}

/// The text of a table cell, with an optional colour (used only when colour is on).
#[derive(Debug, Clone, Default)]
pub struct Styled {
    pub text: String,
    pub colour: Option<Color>,
}

impl From<String> for Styled {
    fn from(text: String) -> Self {
        Styled { text, colour: None }
    }
}

impl From<&String> for Styled {
    fn from(text: &String) -> Self {
        Styled::from(text.clone())
    }
}

impl From<&str> for Styled {
    fn from(text: &str) -> Self {
        Styled::from(text.to_string())
    }
}

/// A cell for an SLA state (`breached`, `warning`, `met`, `ok`, `paused`, `pending`), coloured
/// when the table is styled.
pub fn state_cell(state: &str) -> Styled {
    let colour = match state {
        "breached" => Some(Color::Red),
        "warning" => Some(Color::Yellow),
        "met" | "ok" => Some(Color::Green),
        "paused" => Some(Color::Blue),
        _ => None,
    };
    Styled {
        text: state.to_string(),
        colour,
    }
}

/// An instant as RFC 3339 in UTC with a `Z`, as in the JSON: `2026-11-23T09:00:00Z`.
pub fn rfc3339(at: DateTime<Utc>) -> String {
    crate::timefmt::rfc3339(at)
}

/// Whether a character must not reach a terminal as is: C0 controls other than newline,
/// DEL, C1 controls, and the bidirectional overrides and isolates that reorder a line.
fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Text made safe for a terminal: every control character except the newline becomes a
/// visible escape (`\u{1b}`, `\r`, `\t`); with `keep_colour`, only the plain colour
/// sequences this program's tables emit (`ESC [ digits;… m`) pass. One place does this:
/// [`crate::app::output::Output`] applies it to all human output.
pub fn neutralise(text: &str, keep_colour: bool) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if keep_colour && c == '\u{1b}' {
            let sgr = sgr_len(rest);
            if sgr > 0 {
                out.push_str(&rest[..sgr]);
                rest = &rest[sgr..];
                continue;
            }
        }
        if is_unsafe(c) {
            out.push_str(&escape(c));
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    std::borrow::Cow::Owned(out)
}

/// One line of text for people: [`neutralise`], and newlines shown as `\n` too — for
/// single-line fields (titles, names) printed outside a table.
pub fn one_line(text: &str) -> String {
    neutralise(text, false).replace('\n', "\\n")
}

fn escape(c: char) -> String {
    match c {
        '\r' => "\\r".into(),
        '\t' => "\\t".into(),
        c => format!("\\u{{{:x}}}", u32::from(c)),
    }
}

/// Length of a foreground-colour sequence at the start of `s` — `ESC[38;5;Nm` (set) or
/// `ESC[39m` / `ESC[0m` (reset), the only ones the tables emit — else 0. Anything else
/// (conceal, cursor moves, OSC …) is not colour and is escaped.
fn sgr_len(s: &str) -> usize {
    let Some(rest) = s.strip_prefix("\u{1b}[") else {
        return 0;
    };
    let Some(end) = rest.find('m') else {
        return 0;
    };
    let params = &rest[..end];
    let colour = match params.strip_prefix("38;5;") {
        Some(n) => !n.is_empty() && n.len() <= 3 && n.bytes().all(|b| b.is_ascii_digit()),
        None => matches!(params, "39" | "0" | ""),
    };
    if colour { 2 + end + 1 } else { 0 }
}

/// A CSV cell safe to open in a spreadsheet (OWASP): a value starting with `=`, `+`, `-`,
/// `@`, a tab or a carriage return is prefixed with `'` so it is not run as a formula.
pub fn csv_cell(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => std::borrow::Cow::Owned(format!("'{text}")),
        _ => std::borrow::Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_visible() {
        assert_eq!(neutralise("a\u{1b}[2Jb", false), "a\\u{1b}[2Jb");
        assert_eq!(neutralise("x\ry", false), "x\\ry");
        assert_eq!(neutralise("l1\nl2", false), "l1\nl2");
        assert_eq!(neutralise("\u{9b}31m", false), "\\u{9b}31m");
        assert_eq!(neutralise("abc\u{202e}def", false), "abc\\u{202e}def");
        assert_eq!(neutralise("\u{7}", false), "\\u{7}");
        assert_eq!(one_line("a\nESC-9 resolved"), "a\\nESC-9 resolved");
    }

    #[test]
    fn colour_sequences_pass_only_when_asked_and_only_sgr() {
        assert_eq!(
            neutralise("\u{1b}[38;5;9mred\u{1b}[39m", true),
            "\u{1b}[38;5;9mred\u{1b}[39m"
        );
        assert_eq!(neutralise("\u{1b}[38;5;9mred", false), "\\u{1b}[38;5;9mred");
        assert_eq!(neutralise("\u{1b}[2J", true), "\\u{1b}[2J");
        assert_eq!(neutralise("\u{1b}[8mhidden", true), "\\u{1b}[8mhidden");
        assert_eq!(
            neutralise("\u{1b}]8;;http://x\u{7}", true),
            "\\u{1b}]8;;http://x\\u{7}"
        );
    }

    #[test]
    fn csv_formulas_are_defused() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-2"), "'-2");
        assert_eq!(csv_cell("@SUM"), "'@SUM");
        assert_eq!(csv_cell("\tx"), "'\tx");
        assert_eq!(csv_cell("plain"), "plain");
    }

    #[test]
    fn columns_decides_the_width_when_given() {
        assert_eq!(width_from(Some("80"), false), Some(80));
        assert_eq!(width_from(Some("junk"), false), None);
        assert_eq!(width_from(None, false), None);
    }

    /// A table of uneven widths: multi-line cells, a state cell, a number, a
    /// long title and a control character in one of them.
    fn long_table() -> (Grid, impl Fn(usize) -> Vec<Styled>) {
        let mut g = table(["id", "state", "count", "owner", "title"]);
        g.align_right(2).optional(3).short_rows();
        let row = |i: usize| -> Vec<Styled> {
            vec![
                format!("C-{i}").into(),
                state_cell(["breached", "ok", "warning"][i % 3]),
                (i * i * 37 % 100_003).to_string().into(),
                if i.is_multiple_of(5) {
                    "ana\nbob"
                } else {
                    "carla"
                }
                .into(),
                format!(
                    "title {} \u{7}{}",
                    "word ".repeat(i % 13),
                    "x".repeat(i % 7)
                )
                .into(),
            ]
        };
        (g, row)
    }

    fn written(
        g: &Grid,
        layout: Layout,
        chunk: usize,
        n: usize,
        row: &dyn Fn(usize) -> Vec<Styled>,
    ) -> String {
        let mut out = String::new();
        g.write_rows_in(layout, chunk, n, row, &mut |piece| {
            out.push_str(piece);
            Ok(())
        })
        .expect("writing to a string");
        out
    }

    fn whole(g: &Grid, layout: Layout, n: usize, row: &dyn Fn(usize) -> Vec<Styled>) -> String {
        let mut g = g.clone();
        for i in 0..n {
            g.add_row(row(i));
        }
        g.text(layout)
    }

    #[test]
    fn a_long_table_drawn_in_chunks_is_the_whole_table_when_its_columns_fit() {
        let n = 40;
        let (g, row) = long_table();
        let layouts = [
            Layout::default(),
            Layout {
                width: None,
                color: true,
            },
            Layout {
                width: Some(200),
                color: false,
            },
            // Too narrow for any table: one block of lines per row.
            Layout {
                width: Some(24),
                color: false,
            },
        ];
        for layout in layouts {
            let expected = whole(&g, layout, n, &row);
            assert!(expected.contains("C-39"), "{expected}");
            for chunk in [1, 2, 3, 7, 39, 40, 100] {
                assert_eq!(
                    written(&g, layout, chunk, n, &row),
                    expected,
                    "layout {layout:?}, chunks of {chunk}"
                );
            }
        }
        // Nothing but the header, and an empty body.
        assert_eq!(
            written(&g, Layout::default(), 3, 0, &row),
            whole(&g, Layout::default(), 0, &row)
        );
    }

    #[test]
    fn a_long_table_on_a_narrow_terminal_fits_it_in_one_piece() {
        let n = 40;
        let (g, row) = long_table();
        for width in [40u16, 48, 60] {
            let layout = Layout {
                width: Some(width),
                color: false,
            };
            let text = written(&g, layout, 7, n, &row);
            let lines: Vec<&str> = text.lines().collect();
            assert!(
                lines.iter().all(|l| text_width(l) <= usize::from(width)),
                "{text}"
            );
            assert!(
                lines[0].starts_with('┌') && lines[lines.len() - 1].starts_with('└'),
                "{text}"
            );
            assert_eq!(
                lines
                    .iter()
                    .filter(|l| l.starts_with('┌') || l.starts_with('└'))
                    .count(),
                2
            );
            assert_eq!(
                lines.iter().filter(|l| l.starts_with('╞')).count(),
                1,
                "{text}"
            );
            // Every row, once, in order; every line of the body as wide as the top border.
            let ids: Vec<String> = lines
                .iter()
                .filter_map(|l| l.split(['│', '┆']).nth(1))
                .map(str::trim)
                .filter(|c| c.starts_with("C-"))
                .map(str::to_string)
                .collect();
            let expected: Vec<String> = (0..n).map(|i| format!("C-{i}")).collect();
            assert_eq!(ids, expected, "{text}");
            assert!(
                lines.iter().all(|l| text_width(l) == text_width(lines[0])),
                "{text}"
            );
        }
    }

    #[test]
    fn column_widths_are_read_from_a_top_border() {
        assert_eq!(top_border_widths("┌──────┬───┐  "), vec![6, 3]);
        assert_eq!(top_border_widths("┌─┐"), vec![1]);
        assert!(top_border_widths("+--+").is_empty());
    }
}
