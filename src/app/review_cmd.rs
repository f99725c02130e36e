//! `esc review` (record, show, pending) and `esc actions` (list, done).
//!
//! A review comes from flags, from `--file` (the Markdown form; `-` reads stdin), or — with
//! neither — from `$EDITOR` (else `$VISUAL`, else `vi`) opened on the form in a temporary
//! file, like `git commit`. The editor setting is split into an argv with `shell-words` (it
//! is the user's own setting) and the file's path is its last argument; case text only ever
//! goes into the file, never onto a command line. An empty or unchanged form records
//! nothing and exits 1.

use super::output::Output;
use super::policy_cmd;
use super::settings::Settings;
use crate::case::{Case, Event, NewEvent, Record, id, view};
use crate::cli::{ActionsArgs, ActionsCommand, ReviewArgs};
use crate::policy::{Policy, Status, templates};
use crate::render::{local_time, table};
use crate::report::render::human_elapsed;
use crate::review::{self, Draft, FormError, State};
use anyhow::{Context, Result, anyhow, bail};
use chrono::NaiveDate;
use serde_json::json;
use std::io::{Read, Write};
use std::path::Path;
use std::process::ExitCode;

fn fold_case(case_id: &str, records: Vec<Record>, settings: &Settings) -> Result<Case> {
    Case::fold(records)
        .with_context(|| format!("the ledger {} is inconsistent", settings.ledger.display()))?
        .ok_or_else(|| {
            anyhow!(
                "there is no case {case_id} in {}: `esc list` shows the cases there are",
                settings.ledger.display()
            )
        })
}

fn today(policy: &Policy, settings: &Settings) -> NaiveDate {
    settings
        .now
        .with_timezone(&policy.defaults.timezone)
        .date_naive()
}

/// `esc review …`.
pub fn review(settings: &Settings, args: ReviewArgs, out: &mut Output) -> Result<ExitCode> {
    if args.pending {
        pending(settings, out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let input = args.id.as_deref().ok_or_else(|| {
        anyhow!("name a case: `esc review ID`, or list those due with `esc review --pending`")
    })?;
    let case_id = id::parse(input)?;
    if args.show {
        show(settings, &case_id, out)?;
    } else {
        record(settings, &case_id, &args, out)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Why a case cannot take a review now, if it cannot.
fn refusal(case: &Case) -> Option<String> {
    if let Some(r) = &case.review {
        return Some(format!(
            "{} already has a review (recorded {} by {}); `esc review {} --show` prints it",
            case.id,
            r.at.to_rfc3339(),
            r.by,
            case.id
        ));
    }
    if !matches!(case.status, Status::Resolved | Status::Closed) {
        return Some(format!(
            "{} is {}: a review follows the resolution; resolve it first with `esc resolve {} --resolution …`",
            case.id,
            case.status.as_str(),
            case.id
        ));
    }
    None
}

fn record(settings: &Settings, case_id: &str, args: &ReviewArgs, out: &mut Output) -> Result<()> {
    let policy = policy_cmd::load(&settings.policy)?;
    let ledger = settings.store()?;
    // Check before anyone writes a review that could not be recorded.
    let case = fold_case(case_id, ledger.read_case(case_id)?, settings)?;
    if let Some(why) = refusal(&case) {
        bail!(why);
    }
    let flags = args.root_cause.is_some()
        || args.went_well.is_some()
        || args.improve.is_some()
        || !args.actions.is_empty();
    let draft = if flags {
        let mut actions = Vec::new();
        for a in &args.actions {
            actions.push(review::parse_action_flag(a).map_err(|e| anyhow!(e))?);
        }
        let clean = |s: &Option<String>| {
            s.as_ref()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
        };
        Draft {
            root_cause: clean(&args.root_cause),
            went_well: clean(&args.went_well),
            improve: clean(&args.improve),
            actions,
        }
    } else if let Some(file) = &args.file {
        from_file(file)?
    } else {
        from_editor(&case)?
    };
    check(&policy, settings, &draft)?;
    crate::case::authority::known_actor(&policy, &settings.actor)?;
    let mut guard = ledger.lock()?;
    let settings = &settings.for_write()?;
    let mut case = fold_case(case_id, guard.read_case(case_id)?, settings)?;
    if let Some(why) = refusal(&case) {
        bail!(why);
    }
    crate::case::transition::not_before_last_event(&case, settings.now)?;
    let event = Event::ReviewRecorded {
        root_cause: draft.root_cause.clone().unwrap_or_default(),
        went_well: draft.went_well.clone(),
        improve: draft.improve.clone(),
        actions: draft.actions.clone(),
    };
    let records = guard.append(vec![NewEvent {
        at: settings.now,
        actor: settings.actor.clone(),
        case: case_id.to_string(),
        event,
        policy: Some(policy.hash.clone()),
    }])?;
    drop(guard);
    for r in records {
        case.apply(r, true)?;
    }
    if settings.json {
        return out.json(&view::case_json(&policy, &case, settings.now, None, true));
    }
    let mut line = format!(
        "{case_id} review recorded; root cause: {}",
        draft.root_cause.as_deref().unwrap_or_default()
    );
    if let Some(r) = &case.review {
        for a in &r.actions {
            line.push_str(&format!(
                "\n  {} {} ({}, due {})",
                a.id(case_id),
                a.item.text,
                a.item.owner,
                a.item.due
            ));
        }
    }
    out.say(&line)
}

/// The draft must name a root cause, owners who are people, and due dates not in the past.
fn check(policy: &Policy, settings: &Settings, draft: &Draft) -> Result<()> {
    let mut problems: Vec<String> = Vec::new();
    if let Err(e) = draft.check(policy) {
        problems.push(e);
    }
    let today = today(policy, settings);
    for a in &draft.actions {
        if a.due < today {
            problems.push(format!(
                "action `{}`: the due date {} is in the past (today is {today})",
                a.text, a.due
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        bail!("the review was not recorded:\n{}", problems.join("\n"))
    }
}

fn parse(text: &str) -> Result<Draft> {
    match review::parse_form(text) {
        Ok(d) => Ok(d),
        Err(FormError::Empty) => bail!("the review is empty: nothing was recorded"),
        Err(FormError::Invalid(e)) => bail!("the review could not be read:\n{e}"),
    }
}

fn from_file(path: &Path) -> Result<Draft> {
    let text = if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("cannot read the review from stdin")?;
        s
    } else {
        std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the review file {}", path.display()))?
    };
    parse(&text).with_context(|| format!("in {}", path.display()))
}

/// The editor command: `$EDITOR`, else `$VISUAL`, else `vi`, split like a shell would.
fn editor() -> Result<Vec<String>> {
    let setting = ["EDITOR", "VISUAL"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "vi".to_string());
    let argv = shell_words::split(&setting)
        .map_err(|e| anyhow!("cannot read the editor setting `{setting}`: {e}"))?;
    if argv.is_empty() {
        bail!("the editor setting is empty: set EDITOR");
    }
    Ok(argv)
}

fn from_editor(case: &Case) -> Result<Draft> {
    let prefill = Draft {
        root_cause: case.more().root_cause.clone(),
        ..Draft::default()
    };
    let form = review::form(case, &prefill);
    let mut file = tempfile::Builder::new()
        .prefix(&format!("esc-review-{}-", case.id))
        .suffix(".md")
        .tempfile()
        .context("cannot create a temporary file for the review")?;
    file.write_all(form.as_bytes())
        .and_then(|()| file.flush())
        .context("cannot write the review form")?;
    let argv = editor()?;
    let status = std::process::Command::new(&argv[0])
        .args(&argv[1..])
        .arg(file.path())
        .status()
        .with_context(|| {
            format!(
                "cannot start the editor `{}`; set EDITOR, or give the review with flags or --file",
                argv.join(" ")
            )
        })?;
    if !status.success() {
        bail!(
            "the editor `{}` failed ({status}): nothing was recorded",
            argv.join(" ")
        );
    }
    // Editors may save by replacing the file: read it again by its path.
    let text = std::fs::read_to_string(file.path()).context("cannot read the review back")?;
    if text == form {
        bail!("the review form was left unchanged: nothing was recorded");
    }
    match parse(&text) {
        Ok(d) => Ok(d),
        Err(e) => {
            let kept = file.keep().map(|(_, p)| p).ok();
            match kept {
                Some(p) if !matches!(review::parse_form(&text), Err(FormError::Empty)) => Err(e
                    .context(format!(
                        "your text is kept in {}; fix it and run `esc review {} --file {}`",
                        p.display(),
                        case.id,
                        p.display()
                    ))),
                Some(p) => {
                    let _ = std::fs::remove_file(p);
                    Err(e)
                }
                None => Err(e),
            }
        }
    }
}

/// `esc review ID --show`: the post-mortem in Markdown (with `--json`, the template's
/// context).
fn show(settings: &Settings, case_id: &str, out: &mut Output) -> Result<()> {
    let policy = policy_cmd::load(&settings.policy)?;
    let ledger = settings.store()?;
    let case = fold_case(case_id, ledger.read_case(case_id)?, settings)?;
    if case.review.is_none() {
        bail!(
            "{case_id} has no review yet; record one with `esc review {case_id}` (see `esc review --help`)"
        );
    }
    let ctx = review::context(&policy, &case, settings.now);
    if settings.json {
        return out.json(&ctx);
    }
    let text = templates::render(&policy.templates, "review", &ctx)?;
    out.document(&text)?;
    if !text.ends_with('\n') {
        out.document("\n")?;
    }
    Ok(())
}

/// `esc review --pending`.
fn pending(settings: &Settings, out: &mut Output) -> Result<()> {
    let policy = policy_cmd::load(&settings.policy)?;
    let cases = super::case_cmd::all_cases(settings)?;
    let now = settings.now;
    let mut rows: Vec<(&Case, review::Status)> = cases
        .iter()
        .filter(|c| c.review.is_none() && c.resolved_at.is_some())
        .map(|c| (c, crate::report::metrics::review_state(&policy, c, now)))
        .filter(|(_, s)| matches!(s.state, State::Pending | State::Overdue))
        .collect();
    rows.sort_by_key(|(c, s)| (s.due, c.id.clone()));
    let overdue = rows
        .iter()
        .filter(|(_, s)| s.state == State::Overdue)
        .count();
    if settings.json {
        let items: Vec<_> = rows
            .iter()
            .map(|(c, s)| {
                json!({"case": c.id, "title": c.title, "severity": c.severity,
                       "resolved_at": c.resolved_at, "due": s.due, "state": s.state.as_str(),
                       "reasons": s.reasons.iter().map(|r| r.as_str()).collect::<Vec<_>>()})
            })
            .collect();
        return out.json(&items);
    }
    if rows.is_empty() {
        return out.say("no reviews due");
    }
    let tz = policy.defaults.timezone;
    let t = table([
        "case", "severity", "why", "resolved", "due", "state", "title",
    ]);
    let cells = |i: usize| {
        let (c, s) = &rows[i];
        let why: Vec<String> = s.reasons.iter().map(|r| r.describe(c)).collect();
        let state = match (s.state, s.due) {
            (State::Overdue, Some(d)) => format!("overdue by {}", human_elapsed(now - d)),
            (_, Some(d)) => format!("due in {}", human_elapsed(d - now)),
            _ => s.state.as_str().to_string(),
        };
        vec![
            c.id.as_str().into(),
            c.severity.as_str().into(),
            why.join(", ").into(),
            c.resolved_at
                .map_or("-".into(), |r| local_time(r, tz))
                .into(),
            s.due.map_or("-".into(), |d| local_time(d, tz)).into(),
            state.into(),
            c.title.as_str().into(),
        ]
    };
    let n = rows.len();
    let tail = format!(
        "\n{n} review{} due, {overdue} overdue\n",
        if n == 1 { "" } else { "s" }
    );
    out.table(&t, n, &cells, &tail)
}

/// `esc actions …`.
pub fn actions(settings: &Settings, args: ActionsArgs, out: &mut Output) -> Result<ExitCode> {
    match args.command {
        Some(ActionsCommand::Done { item }) => done(settings, &item, out)?,
        None => list(settings, &args, out)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn list(settings: &Settings, args: &ActionsArgs, out: &mut Output) -> Result<()> {
    let policy = policy_cmd::load(&settings.policy)?;
    if let Some(o) = &args.owner
        && !policy.people().contains(o.as_str())
    {
        let people: Vec<&str> = policy.people().into_iter().collect();
        bail!(
            "`{o}` is not a person in the policy; people are: {}",
            people.join(", ")
        );
    }
    let case = args.case.as_deref().map(id::parse).transpose()?;
    let cases = match &case {
        Some(c) => Case::fold(settings.store()?.read_case(c)?)
            .with_context(|| format!("the ledger {} is inconsistent", settings.ledger.display()))?
            .into_iter()
            .collect(),
        None => super::case_cmd::all_cases(settings)?,
    };
    let today = today(&policy, settings);
    let mut items: Vec<(&Case, &review::Action)> = cases
        .iter()
        .filter_map(|c| c.review.as_ref().map(|r| (c, r)))
        .flat_map(|(c, r)| r.actions.iter().map(move |a| (c, a)))
        .filter(|(_, a)| !args.open || a.done_at.is_none())
        .filter(|(_, a)| !args.late || a.is_late(today))
        .filter(|(_, a)| args.owner.as_ref().is_none_or(|o| *o == a.item.owner))
        .collect();
    items.sort_by_key(|(c, a)| {
        (
            a.done_at.is_some(),
            a.item.due,
            crate::case::id::number(&c.id),
            a.number,
        )
    });
    if settings.json {
        let v: Vec<_> = items
            .iter()
            .map(|(c, a)| review::action_json(&c.id, a, today))
            .collect();
        return out.json(&v);
    }
    if items.is_empty() {
        return out.say("no action items");
    }
    let tz = policy.defaults.timezone;
    let mut t = table(["item", "action", "owner", "due", "state"]);
    let mut late = 0;
    for (c, a) in &items {
        let state = match (a.done_at, a.is_late(today)) {
            (Some(at), _) => format!(
                "done {} by {}",
                local_time(at, tz),
                a.done_by.as_deref().unwrap_or("-")
            ),
            (None, true) => {
                late += 1;
                format!(
                    "LATE by {}",
                    crate::timefmt::duration(chrono::TimeDelta::days(
                        (today - a.item.due).num_days()
                    ))
                )
            }
            (None, false) => "open".into(),
        };
        t.add_row(vec![
            a.id(&c.id),
            a.item.text.clone(),
            a.item.owner.clone(),
            a.item.due.to_string(),
            state,
        ]);
    }
    let open = items.iter().filter(|(_, a)| a.done_at.is_none()).count();
    out.raw(&format!("{t}\n{open} open, {late} late\n"))
}

fn done(settings: &Settings, item: &str, out: &mut Output) -> Result<()> {
    let (case_id, number) = review::parse_item_id(item).map_err(|e| anyhow!(e))?;
    let policy = policy_cmd::load(&settings.policy)?;
    crate::case::authority::known_actor(&policy, &settings.actor)?;
    let ledger = settings.store()?;
    let mut guard = ledger.lock()?;
    let settings = &settings.for_write()?;
    let mut case = fold_case(&case_id, guard.read_case(&case_id)?, settings)?;
    let Some(review) = &case.review else {
        bail!("{case_id} has no review, so no action items; `esc actions` lists them");
    };
    let Some(action) = review.actions.iter().find(|a| a.number == number) else {
        bail!(
            "{case_id} has {} action item{}: there is no {case_id}.{number}; `esc actions --case {case_id}` lists them",
            review.actions.len(),
            if review.actions.len() == 1 { "" } else { "s" }
        );
    };
    if let Some(at) = action.done_at {
        bail!(
            "{case_id}.{number} was already done at {} by {}",
            at.to_rfc3339(),
            action.done_by.as_deref().unwrap_or("-")
        );
    }
    crate::case::transition::not_before_last_event(&case, settings.now)?;
    let text = action.item.text.clone();
    let records = guard.append(vec![NewEvent {
        at: settings.now,
        actor: settings.actor.clone(),
        case: case_id.clone(),
        event: Event::ActionDone { item: number },
        policy: Some(policy.hash.clone()),
    }])?;
    drop(guard);
    for r in records {
        case.apply(r, true)?;
    }
    if settings.json {
        let today = today(&policy, settings);
        let a = case
            .review
            .as_ref()
            .and_then(|r| r.actions.iter().find(|a| a.number == number));
        return out.json(&a.map(|a| review::action_json(&case_id, a, today)));
    }
    out.say(&format!("{case_id}.{number} done: {text}"))
}
