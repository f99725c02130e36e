//! Post-escalation reviews. Pure: whether a case needs a review and when it is due, the
//! review a case records with its action items, and the Markdown form people fill in (in
//! `$EDITOR` or a file given with `esc review ID --file`).
//!
//! A case needs a review when its severity has `review = "required"`, when `[review]
//! required_for` names its severity, when it had a major incident (always), or when
//! `[review] also_when` names a circumstance it had: `breached` (an SLA breach recorded by
//! sweep on any clock, or the response or resolution target missed), `swarmed` (it had a
//! swarm), `major`. The review is due `[review] due` (elapsed time) after the resolution;
//! a reopened case waits for its next resolution.

use crate::case::Case;
use crate::case::Mark;
use crate::policy::{Policy, ReviewRequirement, ReviewWhen};
use crate::sla::clock::{ClockState, Clocks};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// An action item as recorded: what, who, by when (end of that day).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionItem {
    pub text: String,
    pub owner: String,
    pub due: NaiveDate,
}

/// An action item of a recorded review, numbered from 1 within its case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub number: u32,
    pub item: ActionItem,
    pub done_at: Option<DateTime<Utc>>,
    pub done_by: Option<String>,
}

/// The review recorded on a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub at: DateTime<Utc>,
    pub by: String,
    pub root_cause: String,
    pub went_well: Option<String>,
    pub improve: Option<String>,
    pub actions: Vec<Action>,
}

impl Review {
    /// The review as the `review_recorded` event at `at` by `by` records it.
    pub fn recorded(
        at: DateTime<Utc>,
        by: &str,
        root_cause: &str,
        went_well: Option<&String>,
        improve: Option<&String>,
        items: &[ActionItem],
    ) -> Review {
        Review {
            at,
            by: by.to_string(),
            root_cause: root_cause.to_string(),
            went_well: went_well.cloned(),
            improve: improve.cloned(),
            actions: items
                .iter()
                .enumerate()
                .map(|(i, item)| Action {
                    number: i as u32 + 1,
                    item: item.clone(),
                    done_at: None,
                    done_by: None,
                })
                .collect(),
        }
    }

    /// Mark action item `number` done (the `action_done` event); a second mark is ignored.
    pub fn mark_done(&mut self, number: u32, at: DateTime<Utc>, by: &str) {
        if let Some(a) = self.actions.iter_mut().find(|a| a.number == number)
            && a.done_at.is_none()
        {
            a.done_at = Some(at);
            a.done_by = Some(by.to_string());
        }
    }
}

impl Action {
    /// Still open after its due date (`today` in the policy's display time zone).
    pub fn is_late(&self, today: NaiveDate) -> bool {
        self.done_at.is_none() && self.item.due < today
    }

    /// Its id, `ESC-3.1`.
    pub fn id(&self, case: &str) -> String {
        format!("{case}.{}", self.number)
    }
}

/// Why a case needs a review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// The severity has `review = "required"`.
    Severity,
    /// `[review] required_for` names the severity.
    RequiredFor,
    Breached,
    Swarmed,
    Major,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Severity => "severity",
            Reason::RequiredFor => "required_for",
            Reason::Breached => "breached",
            Reason::Swarmed => "swarmed",
            Reason::Major => "major",
        }
    }

    /// In a few words, for people.
    pub fn describe(self, case: &Case) -> String {
        match self {
            Reason::Severity | Reason::RequiredFor => format!("{} requires one", case.severity),
            Reason::Breached => "SLA breached".into(),
            Reason::Swarmed => "swarmed".into(),
            Reason::Major => "major incident".into(),
        }
    }
}

/// Where a case's review stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    /// No review required and none recorded.
    NotRequired,
    /// Required, but the case is not resolved yet.
    Waiting,
    /// Required, resolved, not recorded, not yet past due.
    Pending,
    /// Required, resolved, not recorded, past due.
    Overdue,
    /// Recorded.
    Recorded,
    /// Required, not recorded, and waived when the case was closed (`esc close
    /// --waive-review`).
    Waived,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::NotRequired => "not_required",
            State::Waiting => "waiting",
            State::Pending => "pending",
            State::Overdue => "overdue",
            State::Recorded => "recorded",
            State::Waived => "waived",
        }
    }
}

/// A case's review requirement at `now`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub reasons: Vec<Reason>,
    /// `resolved_at + [review] due`, when resolved.
    pub due: Option<DateTime<Utc>>,
    pub state: State,
}

impl Status {
    pub fn required(&self) -> bool {
        !self.reasons.is_empty()
    }
}

/// Whether a case breached: a breach recorded by sweep, or the response or resolution target
/// missed by the clocks (computed by the caller at `now`).
pub fn breached(case: &Case, clocks: Option<&Clocks>) -> bool {
    case.more().marks.iter().any(|m| m.2 == Mark::Breach)
        || clocks.is_some_and(|k| {
            k.response.state == ClockState::Breached || k.resolution.state == ClockState::Breached
        })
}

/// Why a case needs a review (empty: it does not). `clocks` are the case's clocks at now;
/// they are only looked at when `also_when` has `breached`.
pub fn reasons(policy: &Policy, case: &Case, clocks: Option<&Clocks>) -> Vec<Reason> {
    let mut out = Vec::new();
    if policy
        .severity(&case.severity)
        .is_some_and(|s| s.review == ReviewRequirement::Required)
    {
        out.push(Reason::Severity);
    } else if policy
        .review
        .required_for
        .iter()
        .any(|s| *s == case.severity)
    {
        out.push(Reason::RequiredFor);
    }
    let when = |w| policy.review.also_when.contains(&w);
    if when(ReviewWhen::Breached) && breached(case, clocks) {
        out.push(Reason::Breached);
    }
    if when(ReviewWhen::Swarmed) && case.swarm.is_some() {
        out.push(Reason::Swarmed);
    }
    if case.major.is_some() {
        out.push(Reason::Major);
    }
    out
}

/// Whether `reasons` could need the clocks (so callers can skip computing them).
pub fn needs_clocks(policy: &Policy) -> bool {
    policy.review.also_when.contains(&ReviewWhen::Breached)
}

/// The review status of a case at `now`, given its reasons.
pub fn status(policy: &Policy, case: &Case, reasons: Vec<Reason>, now: DateTime<Utc>) -> Status {
    let due = case.resolved_at.map(|r| r + policy.review.due);
    let state = if case.review.is_some() {
        State::Recorded
    } else if case.more().review_waived.is_some() && !reasons.is_empty() {
        State::Waived
    } else if reasons.is_empty() {
        State::NotRequired
    } else {
        match due {
            None => State::Waiting,
            Some(d) if now > d => State::Overdue,
            Some(_) => State::Pending,
        }
    };
    Status {
        reasons,
        due,
        state,
    }
}

/// An action item id `ESC-3.1` (also `esc-3.1`, `3.1`): the case id and the item number.
pub fn parse_item_id(input: &str) -> Result<(String, u32), String> {
    let bad = || {
        format!(
            "`{input}` is not an action item id: write ESC-3.1 (case ESC-3, item 1); `esc actions` lists them"
        )
    };
    let (case, n) = input.trim().rsplit_once('.').ok_or_else(bad)?;
    let case = crate::case::id::parse(case).map_err(|_| bad())?;
    let n: u32 = n.parse().ok().filter(|n| *n > 0).ok_or_else(bad)?;
    Ok((case, n))
}

/// An action item from the command line: `TEXT|OWNER|YYYY-MM-DD` (the text may contain `|`;
/// the last two fields are the owner and the due date).
pub fn parse_action_flag(text: &str) -> Result<ActionItem, String> {
    let mut parts = text.rsplitn(3, '|');
    let (due, owner, what) = (parts.next(), parts.next(), parts.next());
    let (Some(due), Some(owner), Some(what)) = (due, owner, what) else {
        return Err(format!(
            "--action `{text}`: write \"TEXT|OWNER|YYYY-MM-DD\", e.g. \"Alert on VAT lookup latency|carl|2026-12-04\""
        ));
    };
    action_item(what, owner, due).map_err(|e| format!("--action `{text}`: {e}"))
}

fn action_item(text: &str, owner: &str, due: &str) -> Result<ActionItem, String> {
    let text = text.trim();
    let owner = owner.trim();
    if text.is_empty() {
        return Err("the action is empty".into());
    }
    if owner.is_empty() {
        return Err("the owner is missing".into());
    }
    let due = NaiveDate::parse_from_str(due.trim(), "%Y-%m-%d")
        .map_err(|_| format!("`{}` is not a date: write YYYY-MM-DD", due.trim()))?;
    Ok(ActionItem {
        text: text.to_string(),
        owner: owner.to_string(),
        due,
    })
}

/// What a review says, before it is recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Draft {
    pub root_cause: Option<String>,
    pub went_well: Option<String>,
    pub improve: Option<String>,
    pub actions: Vec<ActionItem>,
}

impl Draft {
    /// Check a draft against the policy: a root cause, owners who are people in the policy.
    /// Every problem, one per line.
    pub fn check(&self, policy: &Policy) -> Result<(), String> {
        let mut problems = Vec::new();
        if self
            .root_cause
            .as_deref()
            .is_none_or(|r| r.trim().is_empty())
        {
            problems.push("the root cause is missing: every review names one".to_string());
        }
        let people = policy.people();
        for a in &self.actions {
            if !people.contains(a.owner.as_str()) {
                let names: Vec<&str> = people.iter().copied().collect();
                problems.push(format!(
                    "action `{}`: the owner `{}` is not a person in the policy; people are: {}",
                    a.text,
                    a.owner,
                    names.join(", ")
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("\n"))
        }
    }
}

const ROOT_CAUSE: &str = "Root cause";
const WENT_WELL: &str = "What went well";
const IMPROVE: &str = "What to improve";
const ACTIONS: &str = "Action items";

/// The Markdown form for `$EDITOR`: a heading per part, instructions in HTML comments
/// (ignored when read back). `prefill` fills the parts already known.
pub fn form(case: &Case, prefill: &Draft) -> String {
    let mut s = format!("# Review of {}: {}\n", case.id, one_line(&case.title));
    s.push_str(
        "<!-- Write the blameless review of this case under the headings below, then save and\n     \
         close the editor. Text inside these comments is ignored. An empty or unchanged\n     \
         file records nothing. The root cause is required; the rest is optional. -->\n",
    );
    let part = |s: &mut String, title: &str, hint: &str, text: &Option<String>| {
        s.push_str(&format!("\n## {title}\n<!-- {hint} -->\n"));
        if let Some(t) = text {
            s.push_str(t.trim());
            s.push('\n');
        }
    };
    part(
        &mut s,
        ROOT_CAUSE,
        "Why did this happen? Systems and processes, not people.",
        &prefill.root_cause,
    );
    part(
        &mut s,
        WENT_WELL,
        "What helped: detection, handoffs, communication.",
        &prefill.went_well,
    );
    part(
        &mut s,
        IMPROVE,
        "What slowed the resolution or should change.",
        &prefill.improve,
    );
    s.push_str(&format!(
        "\n## {ACTIONS}\n<!-- One per line: - TEXT | OWNER | YYYY-MM-DD  (the owner is a person in the policy)\n     \
         e.g. - Alert on VAT lookup latency | carl | 2026-12-04 -->\n"
    ));
    for a in &prefill.actions {
        s.push_str(&format!("- {} | {} | {}\n", a.text, a.owner, a.due));
    }
    s
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Remove HTML comments (`<!-- … -->`, across lines); an unclosed one runs to the end.
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<!--") {
        out.push_str(&rest[..start]);
        match rest[start..].find("-->") {
            Some(end) => rest = &rest[start + end + 3..],
            None => {
                rest = "";
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Why a filled-in form could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("the review is empty: nothing was recorded")]
    Empty,
    #[error("{0}")]
    Invalid(String),
}

/// Read a filled-in form back. Headings are matched without regard to case (`## Root
/// cause`, `## What went well`, `## What to improve` or `## Improve`, `## Action items` or
/// `## Actions`); the `#` title, comments and other `##` parts are ignored. Action items are
/// list lines `- TEXT | OWNER | YYYY-MM-DD` (`*` or `- [ ]` also work).
pub fn parse_form(text: &str) -> Result<Draft, FormError> {
    let text = strip_comments(text);
    #[derive(Clone, Copy, PartialEq)]
    enum Part {
        None,
        Root,
        Well,
        Improve,
        Actions,
        Other,
    }
    let mut part = Part::None;
    let mut bodies: [Vec<&str>; 3] = Default::default();
    let mut actions = Vec::new();
    let mut problems = Vec::new();
    let mut any_text = false;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if let Some(h) = trimmed.strip_prefix("## ") {
            let h = h.trim().trim_end_matches(':').to_ascii_lowercase();
            part = match h.as_str() {
                "root cause" => Part::Root,
                "what went well" | "went well" => Part::Well,
                "what to improve" | "improve" | "what could be improved" => Part::Improve,
                "action items" | "actions" => Part::Actions,
                _ => Part::Other,
            };
            continue;
        }
        if trimmed.starts_with("# ") || trimmed == "#" {
            continue;
        }
        match part {
            Part::Root | Part::Well | Part::Improve => {
                let i = match part {
                    Part::Root => 0,
                    Part::Well => 1,
                    _ => 2,
                };
                if !trimmed.is_empty() {
                    any_text = true;
                }
                bodies[i].push(line.trim_end());
            }
            Part::Actions => {
                if trimmed.is_empty() {
                    continue;
                }
                any_text = true;
                let item = trimmed
                    .strip_prefix("- ")
                    .or_else(|| trimmed.strip_prefix("* "))
                    .map(|s| {
                        s.trim_start()
                            .strip_prefix("[ ]")
                            .or_else(|| s.trim_start().strip_prefix("[x]"))
                            .unwrap_or(s)
                    });
                let Some(item) = item else {
                    problems.push(format!(
                        "line {}: `{trimmed}` under Action items is not a list line: write - TEXT | OWNER | YYYY-MM-DD",
                        n + 1
                    ));
                    continue;
                };
                let fields: Vec<&str> = item.rsplitn(3, '|').collect();
                match fields.as_slice() {
                    [due, owner, what] => match action_item(what, owner, due) {
                        Ok(a) => actions.push(a),
                        Err(e) => problems.push(format!("line {}: {e}", n + 1)),
                    },
                    _ => problems.push(format!(
                        "line {}: `{trimmed}`: write - TEXT | OWNER | YYYY-MM-DD",
                        n + 1
                    )),
                }
            }
            Part::None | Part::Other => {
                if !trimmed.is_empty() && part == Part::None {
                    any_text = true;
                    problems.push(format!(
                        "line {}: `{trimmed}` is outside the parts: write it under ## {ROOT_CAUSE}, ## {WENT_WELL}, ## {IMPROVE} or ## {ACTIONS}",
                        n + 1
                    ));
                }
            }
        }
    }
    if !any_text && problems.is_empty() {
        return Err(FormError::Empty);
    }
    if !problems.is_empty() {
        return Err(FormError::Invalid(problems.join("\n")));
    }
    let body = |lines: &[&str]| {
        let t = lines.join("\n").trim().to_string();
        (!t.is_empty()).then_some(t)
    };
    Ok(Draft {
        root_cause: body(&bodies[0]),
        went_well: body(&bodies[1]),
        improve: body(&bodies[2]),
        actions,
    })
}

/// The review of a case as JSON (`esc show --json`, `esc review ID --show --json`):
/// `{"at", "by", "root_cause", "went_well", "improve", "actions": [{"id", "text", "owner",
/// "due", "state": "open"|"late"|"done", "done_at", "done_by"}]}`.
pub fn review_json(case_id: &str, review: &Review, today: NaiveDate) -> serde_json::Value {
    let actions: Vec<serde_json::Value> = review
        .actions
        .iter()
        .map(|a| action_json(case_id, a, today))
        .collect();
    serde_json::json!({
        "at": review.at, "by": review.by, "root_cause": review.root_cause,
        "went_well": review.went_well, "improve": review.improve, "actions": actions,
    })
}

/// An action item as JSON.
pub fn action_json(case_id: &str, a: &Action, today: NaiveDate) -> serde_json::Value {
    serde_json::json!({
        "id": a.id(case_id), "case": case_id, "text": a.item.text, "owner": a.item.owner,
        "due": a.item.due.to_string(), "state": action_state(a, today),
        "done_at": a.done_at, "done_by": a.done_by,
    })
}

/// `open`, `late` or `done`.
pub fn action_state(a: &Action, today: NaiveDate) -> &'static str {
    if a.done_at.is_some() {
        "done"
    } else if a.is_late(today) {
        "late"
    } else {
        "open"
    }
}

/// Text for a Markdown table cell: one line, pipes escaped.
fn md_cell(s: &str) -> String {
    one_line(s).replace('|', "\\|")
}

/// The context of the `review` template: the case, its SLA clocks, swarm, major incident,
/// timeline and the recorded review. Times are shown in the policy's display time zone.
pub fn context(policy: &Policy, case: &Case, now: DateTime<Utc>) -> serde_json::Value {
    use crate::render::local_time;
    use serde_json::json;
    let tz = policy.defaults.timezone;
    let today = now.with_timezone(&tz).date_naive();
    let t = |at: Option<DateTime<Utc>>| at.map(|a| local_time(a, tz));
    let span = |to: Option<DateTime<Utc>>| {
        to.map(|to| crate::report::render::human_secs((to - case.opened_at).num_seconds()))
    };
    let k = crate::sla::clock::clocks(policy, case, now);
    let reasons: Vec<String> = reasons(policy, case, k.as_ref())
        .into_iter()
        .map(|r| r.describe(case))
        .collect();
    let sla: Vec<serde_json::Value> = k
        .as_ref()
        .map(|k| {
            k.iter()
                .map(|c| {
                    json!({"clock": c.kind.as_str(), "state": c.state.as_str(),
                           "due": t(c.due), "at": t(c.at)})
                })
                .collect()
        })
        .unwrap_or_default();
    let timeline: Vec<serde_json::Value> = case
        .events
        .iter()
        .filter(|r| {
            !matches!(
                r.event,
                crate::case::Event::NotificationQueued { .. }
                    | crate::case::Event::NotificationDelivered { .. }
                    | crate::case::Event::NotificationFailed { .. }
            )
        })
        .map(|r| {
            json!({"when": local_time(r.at, tz), "who": md_cell(&r.actor),
                   "what": md_cell(&crate::case::describe::event(&r.event))})
        })
        .collect();
    let levels: Vec<String> = case
        .levels
        .iter()
        .map(|(p, l)| format!("{p}: {}", l.tier))
        .collect();
    let review = case.review.as_ref();
    let actions: Vec<serde_json::Value> = review
        .map(|r| {
            r.actions
                .iter()
                .map(|a| action_json(&case.id, a, today))
                .collect()
        })
        .unwrap_or_default();
    json!({
        "id": case.id,
        "title": case.title,
        "severity": case.severity,
        "severity_label": policy.severity(&case.severity).map(|s| s.label.clone()),
        "type": case.case_type,
        "status": case.status.as_str(),
        "account": case.account,
        "owner": case.owner,
        "reporter": case.more().reporter,
        "channel": case.more().channel,
        "opened_at": local_time(case.opened_at, tz),
        "acknowledged_at": t(case.acknowledged_at),
        "resolved_at": t(case.resolved_at),
        "closed_at": t(case.closed_at),
        "time_to_acknowledge": span(case.acknowledged_at),
        "time_to_resolve": span(case.resolved_at),
        "resolution": case.more().resolution,
        "escalations": case.escalations,
        "reopened": case.reopened,
        "levels": levels.join(", "),
        "csat": case.more().followup.as_ref().and_then(|f| f.csat),
        "followup_comment": case.more().followup.as_ref().and_then(|f| f.comment.clone()),
        "reasons": reasons,
        "root_cause": review.map(|r| r.root_cause.clone()).or_else(|| case.more().root_cause.clone()),
        "went_well": review.and_then(|r| r.went_well.clone()),
        "improve": review.and_then(|r| r.improve.clone()),
        "reviewed_by": review.map(|r| r.by.clone()),
        "reviewed_at": review.map(|r| local_time(r.at, tz)),
        "actions": actions,
        "swarm": case.swarm.as_ref().map(|s| json!({
            "facilitator": s.facilitator, "members": s.members.join(", "),
            "started_at": local_time(s.started_at, tz), "ended_at": t(s.ended_at),
            "lessons": s.lessons})),
        "major": case.major.as_ref().map(|m| json!({
            "commander": m.commander,
            "roles": m.roles.iter().map(|(role, person)| json!({"role": role, "person": person})).collect::<Vec<_>>(),
            "declared_at": local_time(m.declared_at, tz), "stood_down_at": t(m.stood_down_at)})),
        "sponsor": case.more().sponsor.join(", "),
        "sla": sla,
        "timeline": timeline,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_flags_split_from_the_right() {
        let a = parse_action_flag("Fix a|b pipe|carl|2026-12-01").unwrap();
        assert_eq!(a.text, "Fix a|b pipe");
        assert_eq!(a.owner, "carl");
        assert_eq!(a.due, NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        assert!(parse_action_flag("no owner").is_err());
        assert!(parse_action_flag("x|carl|tomorrow").is_err());
        assert!(parse_action_flag("|carl|2026-12-01").is_err());
    }

    #[test]
    fn item_ids() {
        assert_eq!(parse_item_id("ESC-3.1").unwrap(), ("ESC-3".into(), 1));
        assert_eq!(parse_item_id("3.12").unwrap(), ("ESC-3".into(), 12));
        for bad in ["ESC-3", "ESC-3.0", "ESC-3.x", ".1", "x.1"] {
            assert!(parse_item_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_filled_form_reads_back() {
        let text = "# Review of ESC-1: x\n<!-- hint\nmore -->\n\n## Root cause\n<!-- why -->\nUpstream latency\nin the VAT service\n\n## What went well\nFast handoff\n\n## What to improve\n\n## Action items\n<!-- one per line -->\n- Alert on latency | carl | 2026-12-04\n* [ ] Runbook | ana | 2026-12-11\n\n## Timeline\nignored\n";
        let d = parse_form(text).unwrap();
        assert_eq!(
            d.root_cause.as_deref(),
            Some("Upstream latency\nin the VAT service")
        );
        assert_eq!(d.went_well.as_deref(), Some("Fast handoff"));
        assert_eq!(d.improve, None);
        assert_eq!(d.actions.len(), 2);
        assert_eq!(d.actions[1].owner, "ana");
    }

    #[test]
    fn an_empty_form_is_empty_and_bad_lines_are_named() {
        let case_form = "# Review\n<!-- x -->\n## Root cause\n<!-- y -->\n\n## Action items\n";
        assert_eq!(parse_form(case_form), Err(FormError::Empty));
        assert_eq!(parse_form(""), Err(FormError::Empty));
        let bad = "## Root cause\nx\n## Action items\n- do it | carl\nnot a list\n";
        let Err(FormError::Invalid(msg)) = parse_form(bad) else {
            panic!("expected invalid")
        };
        assert!(msg.contains("line 4"), "{msg}");
        assert!(msg.contains("line 5"), "{msg}");
    }
}
