//! Importing existing cases (`esc import FILE`): parse JSON Lines or CSV records as a team
//! exports them from another tool, check every record against the policy, and turn each into
//! the events that tell its history. Pure — no files, no clock, no ledger; the shell in
//! `app::import` reads the file, numbers the cases and appends everything at once.
//!
//! # Records
//!
//! One case per record. Fields (names are matched without regard to case, and `Opened At` or
//! `opened-at` mean `opened_at`):
//!
//! | field | |
//! |---|---|
//! | `title` | required |
//! | `opened_at` | required, RFC 3339 |
//! | `severity`, `type` | from the policy; empty means the policy's default |
//! | `account`, `reporter`, `channel`, `description` | free text |
//! | `labels` | JSON: an array of strings or one string; CSV: separated by `;` or `\|` |
//! | `acknowledged_at`, `resolved_at`, `closed_at` | RFC 3339; in that order, after `opened_at` |
//! | `tier` | a tier on the default path the case had reached |
//! | `resolution`, `root_cause` | for resolved cases (the resolution defaults to "imported") |
//! | `external_id` | the case's id in the old tool: its de-duplication key; a record whose key a case in the ledger already has is skipped, so importing a file twice adds nothing |
//!
//! An empty value (or JSON `null`) is the same as a missing one. Any other field is refused.
//!
//! # Events
//!
//! A record becomes, in time order: `opened` at `opened_at` (default path, first tier, owner
//! the on-duty member of its role on that day); one `escalated` per tier up to `tier`, also at
//! `opened_at`, with reason "imported"; `acknowledged`, `resolved` and `closed` at their times.
//!
//! # Errors
//!
//! Every problem is an [`ImportError`] naming the 1-based line of the input (for CSV, the
//! line a record starts on) and, where there is one, the field:
//! `line 7, field severity: unknown severity "sev9"; the policy has sev1, sev2, sev3`.

use super::event::{Event, NewEvent};
use super::transition::{Refusal, tier_owner};
use crate::policy::Policy;
use crate::policy::source::did_you_mean;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;
use std::fmt;
use std::path::Path;

/// The fields a record may have, in the order they are listed to users.
pub const FIELDS: [&str; 16] = [
    "title",
    "severity",
    "type",
    "account",
    "reporter",
    "channel",
    "labels",
    "description",
    "opened_at",
    "acknowledged_at",
    "resolved_at",
    "closed_at",
    "tier",
    "resolution",
    "root_cause",
    "external_id",
];

/// Fields every record must have.
const REQUIRED: [&str; 2] = ["title", "opened_at"];

/// The order the time fields must run in.
const TIME_ORDER: &str = "opened_at ≤ acknowledged_at ≤ resolved_at ≤ closed_at";

/// The reason recorded on escalations and the default resolution of imported cases.
pub const IMPORTED: &str = "imported";

/// How the input file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line; blank lines are skipped.
    JsonLines,
    /// A header row naming the fields, then one record per row.
    Csv,
}

impl Format {
    /// By extension (`.jsonl`, `.ndjson`, `.json` / `.csv`), else by the first non-blank
    /// character: `{` or `[` is JSON, anything else CSV.
    pub fn detect(path: &Path, text: &str) -> Format {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("jsonl" | "ndjson" | "json") => Format::JsonLines,
            Some("csv") => Format::Csv,
            _ => match text.trim_start().chars().next() {
                Some('{' | '[') => Format::JsonLines,
                _ => Format::Csv,
            },
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::JsonLines => "JSON Lines",
            Format::Csv => "CSV",
        }
    }
}

/// What is wrong with a record or a field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("not UTF-8 text; save the file as UTF-8 and import it again")]
    NotUtf8,
    #[error("not valid JSON ({0}); write one JSON object per line")]
    Json(String),
    #[error(
        "the file is one JSON array, not JSON Lines; write one object per line, e.g. with `jq -c '.[]' FILE > cases.jsonl`"
    )]
    JsonArray,
    #[error("expected a JSON object {{\"title\": …}}, found {0}; write one object per line")]
    NotAnObject(&'static str),
    #[error("not valid CSV ({0})")]
    Csv(String),
    #[error(
        "this row has {} but the header has {}; quote values that contain commas",
        fields(*.found), fields(*.expected)
    )]
    FieldCount { expected: u64, found: u64 },
    #[error("unknown field{}; the fields are {}", suggest(.suggestion), FIELDS.join(", "))]
    UnknownField { suggestion: Option<&'static str> },
    #[error("named twice; keep one")]
    Duplicate,
    #[error("no such column in the header; every case needs one (the fields are {})", FIELDS.join(", "))]
    MissingColumn,
    #[error("expected {expected}, found {found}")]
    WrongType {
        expected: &'static str,
        found: &'static str,
    },
    #[error("missing; {0}")]
    Missing(&'static str),
    #[error("unknown {what} \"{name}\"; the policy has {known}")]
    Unknown {
        what: &'static str,
        name: String,
        known: String,
    },
    #[error("tier \"{tier}\" is not on the default path {path}; {hint}")]
    TierOffPath {
        tier: String,
        path: String,
        hint: String,
    },
    #[error("\"{0}\" is not an RFC 3339 time; write e.g. 2026-11-23T09:00:00Z")]
    BadTime(String),
    #[error("{at} is before {earlier_field} ({earlier}); the times must run {TIME_ORDER}")]
    OutOfOrder {
        at: String,
        earlier_field: &'static str,
        earlier: String,
    },
    #[error("a closed case needs resolved_at: give the time it was resolved")]
    ClosedNotResolved,
    #[error("only a resolved case has one: give resolved_at too, or leave this empty")]
    NotResolved,
    #[error("{at} is later than now ({now}); import cases from the past, or set --now / ESC_NOW")]
    InFuture { at: String, now: String },
}

fn fields(n: u64) -> String {
    if n == 1 {
        "1 field".to_string()
    } else {
        format!("{n} fields")
    }
}

fn suggest(s: &Option<&'static str>) -> String {
    s.map(|c| format!(" (did you mean {c}?)"))
        .unwrap_or_default()
}

/// One problem, with the line of the input file and the field it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// 1-based line of the input file (CSV: the line the record starts on).
    pub line: usize,
    /// The field, as written in the file; `None` for problems of the whole record.
    pub field: Option<String>,
    pub problem: Problem,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "line {}, field {field}: {}", self.line, self.problem),
            None => write!(f, "line {}: {}", self.line, self.problem),
        }
    }
}

impl std::error::Error for ImportError {}

impl ImportError {
    fn line(line: usize, problem: Problem) -> Self {
        ImportError {
            line,
            field: None,
            problem,
        }
    }

    fn field(line: usize, field: impl Into<String>, problem: Problem) -> Self {
        ImportError {
            line,
            field: Some(field.into()),
            problem,
        }
    }
}

/// Why nothing was imported: every problem found, in line order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub errors: Vec<ImportError>,
}

impl std::error::Error for Rejected {}

/// At most this many problems are listed in a [`Rejected`] message.
const SHOWN: usize = 20;

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.errors.as_slice() {
            [] => write!(f, "nothing was imported"),
            [one] => write!(
                f,
                "{one}\nnothing was imported; fix the record and import the file again"
            ),
            many => {
                let mut lines: Vec<usize> = many.iter().map(|e| e.line).collect();
                lines.dedup();
                write!(f, "{} problems in {} records:", many.len(), lines.len())?;
                for e in many.iter().take(SHOWN) {
                    write!(f, "\n  {e}")?;
                }
                if many.len() > SHOWN {
                    write!(f, "\n  … and {} more", many.len() - SHOWN)?;
                }
                write!(
                    f,
                    "\nnothing was imported; fix the records and import the file again"
                )
            }
        }
    }
}

/// A record as read from the file, before it is checked: text per field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawRecord {
    /// 1-based line of the input file the record starts on.
    pub line: usize,
    pub title: Option<String>,
    pub severity: Option<String>,
    pub case_type: Option<String>,
    pub account: Option<String>,
    pub reporter: Option<String>,
    pub channel: Option<String>,
    pub labels: Vec<String>,
    pub description: Option<String>,
    pub opened_at: Option<String>,
    pub acknowledged_at: Option<String>,
    pub resolved_at: Option<String>,
    pub closed_at: Option<String>,
    pub tier: Option<String>,
    pub resolution: Option<String>,
    pub root_cause: Option<String>,
    /// The case's id in the tool it came from: its de-duplication key, so importing the
    /// same record again adds nothing.
    pub external_id: Option<String>,
}

impl RawRecord {
    /// Set a text field by its canonical name; empty text is no value.
    fn set(&mut self, field: &str, text: &str) {
        let text = text.trim();
        if field == "labels" {
            self.labels = split_labels(text);
            return;
        }
        let slot = match field {
            "title" => &mut self.title,
            "severity" => &mut self.severity,
            "type" => &mut self.case_type,
            "account" => &mut self.account,
            "reporter" => &mut self.reporter,
            "channel" => &mut self.channel,
            "description" => &mut self.description,
            "opened_at" => &mut self.opened_at,
            "acknowledged_at" => &mut self.acknowledged_at,
            "resolved_at" => &mut self.resolved_at,
            "closed_at" => &mut self.closed_at,
            "tier" => &mut self.tier,
            "resolution" => &mut self.resolution,
            "root_cause" => &mut self.root_cause,
            "external_id" => &mut self.external_id,
            _ => return,
        };
        *slot = (!text.is_empty()).then(|| text.to_string());
    }
}

/// Labels written in one text: separated by `;` or `|`.
fn split_labels(text: &str) -> Vec<String> {
    text.split([';', '|'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// The canonical name of a field as written (`Opened At` → `opened_at`), if it is one.
fn canonical(name: &str) -> Option<&'static str> {
    let n: String = name
        .trim()
        .chars()
        .map(|c| match c {
            ' ' | '-' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    FIELDS.iter().copied().find(|f| *f == n)
}

fn unknown_field(line: usize, name: &str) -> ImportError {
    ImportError::field(
        line,
        name,
        Problem::UnknownField {
            suggestion: did_you_mean(&name.trim().to_ascii_lowercase(), FIELDS),
        },
    )
}

/// The records of a file, and the problems met reading it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub records: Vec<RawRecord>,
    pub errors: Vec<ImportError>,
}

/// The file's bytes as text, or the line where it stops being UTF-8. A byte order mark is
/// dropped.
pub fn decode(bytes: &[u8]) -> Result<&str, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        ImportError::line(line, Problem::NotUtf8)
    })
}

/// Read every record of `text`. Problems are collected, not stopped at, so one run can name
/// them all.
pub fn parse(text: &str, format: Format) -> Parsed {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match format {
        Format::JsonLines => parse_json_lines(text),
        Format::Csv => parse_csv(text),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn parse_json_lines(text: &str) -> Parsed {
    let mut parsed = Parsed::default();
    for (line_no, line) in (1..).zip(text.lines()) {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with('[') && parsed.records.is_empty() && parsed.errors.is_empty() {
            parsed
                .errors
                .push(ImportError::line(line_no, Problem::JsonArray));
            return parsed;
        }
        let value: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                let text = e.to_string();
                let message = text.split(" at line ").next().unwrap_or(&text);
                let message = format!("{message} at column {}", e.column());
                parsed
                    .errors
                    .push(ImportError::line(line_no, Problem::Json(message)));
                continue;
            }
        };
        let Value::Object(map) = value else {
            parsed.errors.push(ImportError::line(
                line_no,
                Problem::NotAnObject(kind(&value)),
            ));
            continue;
        };
        let mut record = RawRecord {
            line: line_no,
            ..RawRecord::default()
        };
        let mut seen: Vec<&'static str> = Vec::new();
        let mut ok = true;
        for (name, value) in &map {
            let Some(field) = canonical(name) else {
                // The known fields are still checked, so one run names every problem.
                parsed.errors.push(unknown_field(line_no, name));
                continue;
            };
            if seen.contains(&field) {
                parsed
                    .errors
                    .push(ImportError::field(line_no, name, Problem::Duplicate));
                ok = false;
                continue;
            }
            seen.push(field);
            match (field, value) {
                (_, Value::Null) => {}
                (_, Value::String(s)) => record.set(field, s),
                ("external_id", Value::Number(n)) => record.set(field, &n.to_string()),
                ("labels", Value::Array(items)) => {
                    let mut labels = Vec::new();
                    for item in items {
                        match item {
                            Value::String(s) => labels.push(s.trim().to_string()),
                            other => {
                                parsed.errors.push(ImportError::field(
                                    line_no,
                                    name,
                                    Problem::WrongType {
                                        expected: "an array of strings",
                                        found: kind(other),
                                    },
                                ));
                                ok = false;
                            }
                        }
                    }
                    record.labels = labels.into_iter().filter(|l| !l.is_empty()).collect();
                }
                (_, other) => {
                    parsed.errors.push(ImportError::field(
                        line_no,
                        name,
                        Problem::WrongType {
                            expected: if field == "labels" {
                                "an array of strings or a string"
                            } else {
                                "a string"
                            },
                            found: kind(other),
                        },
                    ));
                    ok = false;
                }
            }
        }
        if ok {
            parsed.records.push(record);
        }
    }
    parsed
}

fn parse_csv(text: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            parsed.errors.push(csv_error(&e));
            return parsed;
        }
    };
    if header.is_empty() {
        return parsed;
    }
    let header_line = header.position().map_or(1, |p| p.line() as usize);
    let mut columns: Vec<Option<&'static str>> = Vec::with_capacity(header.len());
    for name in &header {
        match canonical(name) {
            Some(field) if columns.contains(&Some(field)) => {
                parsed
                    .errors
                    .push(ImportError::field(header_line, name, Problem::Duplicate));
                columns.push(None);
            }
            Some(field) => columns.push(Some(field)),
            None => {
                parsed.errors.push(unknown_field(header_line, name));
                columns.push(None);
            }
        }
    }
    for required in REQUIRED {
        if !columns.contains(&Some(required)) {
            parsed.errors.push(ImportError::field(
                header_line,
                required,
                Problem::MissingColumn,
            ));
        }
    }
    if !parsed.errors.is_empty() {
        // Rows cannot be read right against a wrong header.
        return parsed;
    }
    for row in reader.records() {
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                parsed.errors.push(csv_error(&e));
                continue;
            }
        };
        if row.iter().all(str::is_empty) {
            continue;
        }
        let line = row.position().map_or(0, |p| p.line() as usize);
        let mut record = RawRecord {
            line,
            ..RawRecord::default()
        };
        for (field, value) in columns.iter().zip(&row) {
            if let Some(field) = field {
                record.set(field, value);
            }
        }
        parsed.records.push(record);
    }
    parsed
}

fn csv_error(e: &csv::Error) -> ImportError {
    let line = e.position().map_or(1, |p| p.line() as usize);
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => ImportError::line(
            line,
            Problem::FieldCount {
                expected: *expected_len,
                found: *len,
            },
        ),
        csv::ErrorKind::Utf8 { .. } => ImportError::line(line, Problem::NotUtf8),
        _ => ImportError::line(line, Problem::Csv(e.to_string())),
    }
}

/// A record that passed every check, as the events that tell its history.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidCase {
    /// The line of the input file it came from.
    pub line: usize,
    /// Its events, in time order, each with the time it happened.
    pub events: Vec<(DateTime<Utc>, Event)>,
}

impl ValidCase {
    /// The events for the ledger, as case `case_id`, recorded by `actor`.
    pub fn into_events(self, case_id: &str, actor: &str, policy: Option<&str>) -> Vec<NewEvent> {
        self.events
            .into_iter()
            .map(|(at, event)| NewEvent {
                at,
                actor: actor.to_string(),
                case: case_id.to_string(),
                event,
                policy: policy.map(str::to_string),
            })
            .collect()
    }
}

/// Checks records against one policy at one `now`.
#[derive(Debug)]
pub struct Importer<'a> {
    policy: &'a Policy,
    now: DateTime<Utc>,
    path: String,
    tiers: Vec<String>,
}

fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

impl<'a> Importer<'a> {
    /// An importer for `policy`; `now` is the latest time a record may name.
    pub fn new(policy: &'a Policy, now: DateTime<Utc>) -> Result<Importer<'a>, Refusal> {
        let path = policy.defaults.path.clone();
        let tiers = policy
            .path(&path)
            .map(|p| p.tiers.clone())
            .unwrap_or_default();
        if tiers.is_empty() {
            return Err(Refusal::Invalid(format!(
                "the default path `{path}` has no tiers: fix the policy"
            )));
        }
        Ok(Importer {
            policy,
            now,
            path,
            tiers,
        })
    }

    /// Check one record and build its events, or name every problem it has.
    pub fn check(&self, raw: &RawRecord) -> Result<ValidCase, Vec<ImportError>> {
        let line = raw.line;
        let policy = self.policy;
        let mut errors = Vec::new();
        let mut fail = |field: &str, problem: Problem| {
            errors.push(ImportError::field(line, field, problem));
        };

        let title = raw.title.clone().unwrap_or_default();
        if title.is_empty() {
            fail("title", Problem::Missing("every case needs a title"));
        }
        let severity = raw
            .severity
            .clone()
            .unwrap_or_else(|| policy.defaults.severity.clone());
        if policy.severity(&severity).is_none() {
            let known: Vec<&str> = policy.severities.iter().map(|s| s.id.as_str()).collect();
            fail(
                "severity",
                Problem::Unknown {
                    what: "severity",
                    name: severity.clone(),
                    known: known.join(", "),
                },
            );
        }
        let case_type = raw
            .case_type
            .clone()
            .unwrap_or_else(|| policy.defaults.case_type.clone());
        if !policy.types.contains(&case_type) {
            fail(
                "type",
                Problem::Unknown {
                    what: "type",
                    name: case_type.clone(),
                    known: policy.types.join(", "),
                },
            );
        }
        let tier_index = match &raw.tier {
            None => 0,
            Some(t) => match self.tiers.iter().position(|x| x == t) {
                Some(i) => i,
                None => {
                    let on_path = format!("use one of {}", self.tiers.join(", "));
                    let hint = match policy.tier(t) {
                        Some(other) => format!("it is on the {} path; {on_path}", other.path),
                        None => format!("the policy has no such tier; {on_path}"),
                    };
                    fail(
                        "tier",
                        Problem::TierOffPath {
                            tier: t.clone(),
                            path: self.path.clone(),
                            hint,
                        },
                    );
                    0
                }
            },
        };

        let mut time = |field: &'static str, value: &Option<String>| -> Option<DateTime<Utc>> {
            let text = value.as_deref()?;
            match DateTime::parse_from_rfc3339(text) {
                Ok(t) => {
                    let t = t.with_timezone(&Utc);
                    if t > self.now {
                        fail(
                            field,
                            Problem::InFuture {
                                at: time_text(t),
                                now: time_text(self.now),
                            },
                        );
                    }
                    Some(t)
                }
                Err(_) => {
                    fail(field, Problem::BadTime(text.to_string()));
                    None
                }
            }
        };
        let opened = time("opened_at", &raw.opened_at);
        let acknowledged = time("acknowledged_at", &raw.acknowledged_at);
        let resolved = time("resolved_at", &raw.resolved_at);
        let closed = time("closed_at", &raw.closed_at);
        if raw.opened_at.is_none() {
            fail(
                "opened_at",
                Problem::Missing("give the time the case was opened, e.g. 2026-11-23T09:00:00Z"),
            );
        }
        if raw.closed_at.is_some() && raw.resolved_at.is_none() {
            fail("closed_at", Problem::ClosedNotResolved);
        }
        if raw.resolved_at.is_none() {
            if raw.resolution.is_some() {
                fail("resolution", Problem::NotResolved);
            }
            if raw.root_cause.is_some() {
                fail("root_cause", Problem::NotResolved);
            }
        }
        // Each time against the latest earlier one that is given and valid.
        let mut latest: Option<(&'static str, DateTime<Utc>)> = None;
        for (field, t) in [
            ("opened_at", opened),
            ("acknowledged_at", acknowledged),
            ("resolved_at", resolved),
            ("closed_at", closed),
        ] {
            let Some(t) = t else { continue };
            if let Some((earlier_field, earlier)) = latest
                && t < earlier
            {
                fail(
                    field,
                    Problem::OutOfOrder {
                        at: time_text(t),
                        earlier_field,
                        earlier: time_text(earlier),
                    },
                );
                continue;
            }
            latest = Some((field, t));
        }

        if !errors.is_empty() {
            return Err(errors);
        }
        let Some(opened) = opened else {
            return Err(vec![ImportError::field(
                line,
                "opened_at",
                Problem::Missing("give the time the case was opened"),
            )]);
        };

        let mut labels: Vec<String> = Vec::new();
        for l in &raw.labels {
            if !labels.contains(l) {
                labels.push(l.clone());
            }
        }
        let first_tier = self.tiers[0].clone();
        let mut events = vec![(
            opened,
            Event::Opened {
                title: title.into(),
                severity: severity.into(),
                case_type: case_type.into(),
                account: raw.account.clone().map(Into::into),
                reporter: raw.reporter.clone(),
                channel: raw.channel.clone(),
                labels,
                description: raw.description.clone(),
                path: self.path.as_str().into(),
                owner: tier_owner(policy, &first_tier, opened).into(),
                tier: first_tier.into(),
                dedup_key: raw.external_id.clone(),
            },
        )];
        for step in self.tiers[..=tier_index].windows(2) {
            events.push((
                opened,
                Event::Escalated {
                    path: self.path.clone(),
                    from: Some(step[0].clone()),
                    to: step[1].clone(),
                    owner: tier_owner(policy, &step[1], opened),
                    reason: IMPORTED.to_string(),
                    summary: None,
                    tried: None,
                    by: None,
                    due: None,
                },
            ));
        }
        if let Some(at) = acknowledged {
            events.push((at, Event::Acknowledged {}));
        }
        if let Some(at) = resolved {
            events.push((
                at,
                Event::Resolved {
                    resolution: raw
                        .resolution
                        .clone()
                        .unwrap_or_else(|| IMPORTED.to_string()),
                    root_cause: raw.root_cause.clone(),
                },
            ));
        }
        if let Some(at) = closed {
            events.push((
                at,
                Event::Closed {
                    review_waived: None,
                    without_followup: None,
                },
            ));
        }
        Ok(ValidCase { line, events })
    }

    /// Check every record of `parsed`, calling `progress` after each; all or nothing.
    pub fn check_all(
        &self,
        parsed: Parsed,
        mut progress: impl FnMut(),
    ) -> Result<Vec<ValidCase>, Rejected> {
        let mut errors = parsed.errors;
        let mut cases = Vec::with_capacity(parsed.records.len());
        for raw in &parsed.records {
            match self.check(raw) {
                Ok(case) => cases.push(case),
                Err(e) => errors.extend(e),
            }
            progress();
        }
        if errors.is_empty() {
            Ok(cases)
        } else {
            errors.sort_by_key(|e| e.line);
            Err(Rejected { errors })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Status;

    fn policy() -> Policy {
        crate::policy::parse(include_str!("../../tests/fixtures/spec-excerpt.toml"))
            .expect("valid policy")
    }

    fn now() -> DateTime<Utc> {
        "2026-11-23T09:00:00Z".parse().expect("time")
    }

    fn run(text: &str, format: Format) -> Result<Vec<ValidCase>, Rejected> {
        let policy = policy();
        let importer = Importer::new(&policy, now()).expect("importer");
        importer.check_all(parse(text, format), || {})
    }

    fn fold(case: ValidCase) -> crate::case::Case {
        let records = case
            .into_events("ESC-1", "tester", None)
            .into_iter()
            .zip(1..)
            .map(|(e, seq)| e.into_record(seq))
            .collect();
        crate::case::Case::fold(records)
            .expect("folds")
            .expect("a case")
    }

    fn only_error(text: &str, format: Format) -> ImportError {
        let rejected = run(text, format).expect_err("refused");
        assert_eq!(rejected.errors.len(), 1, "{rejected}");
        rejected.errors[0].clone()
    }

    #[test]
    fn detects_formats() {
        assert_eq!(Format::detect(Path::new("a.jsonl"), ""), Format::JsonLines);
        assert_eq!(Format::detect(Path::new("a.NDJSON"), ""), Format::JsonLines);
        assert_eq!(Format::detect(Path::new("a.csv"), "{"), Format::Csv);
        assert_eq!(
            Format::detect(Path::new("a.txt"), "\n  {\"a\":1}"),
            Format::JsonLines
        );
        assert_eq!(
            Format::detect(Path::new("a"), "title,opened_at"),
            Format::Csv
        );
    }

    #[test]
    fn a_full_json_record_tells_its_history() {
        let text = r#"{"title":"Printer on fire","severity":"sev2","type":"billing","account":"acme","reporter":"Rita","channel":"email","labels":["hw","hw","fire"],"opened_at":"2026-11-20T10:00:00Z","acknowledged_at":"2026-11-20T10:30:00+00:00","resolved_at":"2026-11-20T12:00:00Z","closed_at":"2026-11-21T09:00:00Z","tier":"L2","root_cause":"toner"}"#;
        let cases = run(text, Format::JsonLines).expect("valid");
        assert_eq!(cases.len(), 1);
        let names: Vec<&str> = cases[0].events.iter().map(|(_, e)| e.name()).collect();
        assert_eq!(
            names,
            ["opened", "escalated", "acknowledged", "resolved", "closed"]
        );
        let times: Vec<DateTime<Utc>> = cases[0].events.iter().map(|(t, _)| *t).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
        let case = fold(cases[0].clone());
        assert_eq!(case.status, Status::Closed);
        assert_eq!(case.tier_on("technical"), Some("L2"));
        assert_eq!(case.labels, ["hw", "fire"]);
        assert_eq!(case.severity, "sev2");
        assert_eq!(case.more().resolution.as_deref(), Some(IMPORTED));
        assert_eq!(case.more().root_cause.as_deref(), Some("toner"));
        // L2 is the weekly engineer rotation; L1 would be ana.
        assert!(["carl", "dee", "eve"].contains(&case.owner.as_str()));
        assert_eq!(case.events[0].actor, "tester");
    }

    #[test]
    fn defaults_fill_empty_severity_and_type() {
        let text = "title,severity,type,opened_at,labels\nA,,,2026-11-20T10:00:00Z,a; b|c\n";
        let cases = run(text, Format::Csv).expect("valid");
        let case = fold(cases[0].clone());
        assert_eq!(case.severity, "sev3");
        assert_eq!(case.case_type, "technical");
        assert_eq!(case.status, Status::Open);
        assert_eq!(case.tier_on("technical"), Some("L1"));
        assert_eq!(case.owner, "ana");
        assert_eq!(case.labels, ["a", "b", "c"]);
    }

    #[test]
    fn blank_lines_are_skipped_and_lines_counted() {
        let text = "\n{\"title\":\"a\",\"opened_at\":\"2026-11-20T10:00:00Z\"}\n\n{\"title\":\"b\",\"opened_at\":\"2026-11-20T10:00:00Z\",\"severity\":\"sev9\"}\n";
        let e = only_error(text, Format::JsonLines);
        assert_eq!(e.line, 4);
        assert_eq!(
            e.to_string(),
            "line 4, field severity: unknown severity \"sev9\"; the policy has sev1, sev2, sev3"
        );
    }

    #[test]
    fn csv_lines_are_physical_lines() {
        let text = "title,opened_at,severity\n\"two\nlines\",2026-11-20T10:00:00Z,sev1\nb,2026-11-20T10:00:00Z,sev9\n";
        let e = only_error(text, Format::Csv);
        assert_eq!((e.line, e.field.as_deref()), (4, Some("severity")));
    }

    #[test]
    fn every_kind_of_bad_field_is_named() {
        let cases = [
            (
                r#"{"opened_at":"2026-11-20T10:00:00Z"}"#,
                "title",
                "missing",
            ),
            (
                r#"{"title":" ","opened_at":"2026-11-20T10:00:00Z"}"#,
                "title",
                "missing",
            ),
            (r#"{"title":"a"}"#, "opened_at", "missing"),
            (
                r#"{"title":"a","opened_at":"yesterday"}"#,
                "opened_at",
                "RFC 3339",
            ),
            (
                r#"{"title":"a","opened_at":"2026-11-20T10:00:00Z","type":"x"}"#,
                "type",
                "unknown type",
            ),
            (
                r#"{"title":"a","opened_at":"2026-11-20T10:00:00Z","tier":"manager"}"#,
                "tier",
                "management path",
            ),
            (
                r#"{"title":"a","opened_at":"2026-11-20T10:00:00Z","tier":"L9"}"#,
                "tier",
                "use one of L1, L2",
            ),
            (
                r#"{"title":"a","opened_at":"2026-11-20T10:00:00Z","resolved_at":"2026-11-19T10:00:00Z"}"#,
                "resolved_at",
                "before opened_at",
            ),
            (
                r#"{"title":"a","opened_at":"2026-11-20T10:00:00Z","acknowledged_at":"2026-11-21T10:00:00Z","resolved_at":"2026-11-20T11:00:00Z"}"#,
                "resolved_at",
                "before acknowledged_at",
            ),
            (
                r#"{"title":"a","opened_at":"2026-11-20T10:00:00Z","closed_at":"2026-11-21T10:00:00Z"}"#,
                "closed_at",
                "needs resolved_at",
            ),
            (
                r#"{"title":"a","opened_at":"2026-11-20T10:00:00Z","resolution":"x"}"#,
                "resolution",
                "resolved",
            ),
            (
                r#"{"title":"a","opened_at":"2026-12-20T10:00:00Z"}"#,
                "opened_at",
                "later than now",
            ),
            (
                r#"{"title":"a","opened_at":"2026-11-20T10:00:00Z","sevrity":"sev1"}"#,
                "sevrity",
                "did you mean severity",
            ),
            (
                r#"{"title":"a","opened_at":"2026-11-20T10:00:00Z","severity":1}"#,
                "severity",
                "expected a string, found a number",
            ),
            (
                r#"{"title":"a","opened_at":"2026-11-20T10:00:00Z","labels":[1]}"#,
                "labels",
                "array of strings",
            ),
        ];
        for (text, field, words) in cases {
            let e = only_error(text, Format::JsonLines);
            assert_eq!(e.field.as_deref(), Some(field), "{text}: {e}");
            assert!(e.to_string().contains(words), "{text}: {e}");
            assert!(e.to_string().starts_with("line 1, field "), "{e}");
        }
    }

    #[test]
    fn whole_line_problems_name_the_line() {
        let e = only_error("{\"title\":\"a\",\n", Format::JsonLines);
        assert_eq!((e.line, e.field.clone()), (1, None));
        assert!(e.to_string().contains("not valid JSON"), "{e}");
        let e = only_error("\n\"just text\"\n", Format::JsonLines);
        assert_eq!(e.line, 2);
        assert!(e.to_string().contains("found a string"), "{e}");
        let e = only_error("[{\"title\":\"a\"}]", Format::JsonLines);
        assert!(matches!(e.problem, Problem::JsonArray));
        let e = only_error(
            "title,opened_at\na,2026-11-20T10:00:00Z,extra\n",
            Format::Csv,
        );
        assert_eq!(e.line, 2);
        assert!(
            e.to_string().contains("has 3 fields but the header has 2"),
            "{e}"
        );
    }

    #[test]
    fn csv_headers_are_checked() {
        let e = only_error("Title,Opened At,colour\n", Format::Csv);
        assert_eq!((e.line, e.field.as_deref()), (1, Some("colour")));
        let e = only_error("title,severity\n", Format::Csv);
        assert_eq!(e.field.as_deref(), Some("opened_at"));
        assert!(e.to_string().contains("no such column"), "{e}");
        let e = only_error("title,opened_at,title\n", Format::Csv);
        assert!(matches!(e.problem, Problem::Duplicate));
    }

    #[test]
    fn every_problem_is_collected_in_line_order() {
        let text = "title,opened_at,severity\n,2026-11-20T10:00:00Z,sev9\nok,2026-11-20T10:00:00Z,sev1\nb,soon,sev1\n";
        let rejected = run(text, Format::Csv).expect_err("refused");
        let got: Vec<(usize, Option<&str>)> = rejected
            .errors
            .iter()
            .map(|e| (e.line, e.field.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                (2, Some("title")),
                (2, Some("severity")),
                (4, Some("opened_at"))
            ]
        );
        assert!(rejected.to_string().starts_with("3 problems in 2 records:"));
    }

    #[test]
    fn an_unknown_field_does_not_hide_other_problems() {
        let text =
            r#"{"title":"a","opened_at":"2026-11-20T10:00:00Z","sevrity":"sev1","tier":"L7"}"#;
        let rejected = run(text, Format::JsonLines).expect_err("refused");
        let fields: Vec<Option<&str>> =
            rejected.errors.iter().map(|e| e.field.as_deref()).collect();
        assert_eq!(fields, [Some("sevrity"), Some("tier")]);
    }

    #[test]
    fn empty_input_has_no_records() {
        assert_eq!(run("", Format::JsonLines).expect("ok"), []);
        assert_eq!(run("\n \n", Format::JsonLines).expect("ok"), []);
        assert_eq!(run("", Format::Csv).expect("ok"), []);
        assert_eq!(run("title,opened_at\n", Format::Csv).expect("ok"), []);
    }

    #[test]
    fn decode_names_the_line_of_bad_bytes() {
        assert_eq!(decode(b"\xEF\xBB\xBFok").expect("utf8"), "ok");
        let e = decode(b"a\nb\n\xFF").expect_err("not utf8");
        assert_eq!(e.line, 3);
    }
}
