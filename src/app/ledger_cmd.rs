//! `esc ledger verify`: check the whole ledger — every line parses, `seq` is gap-free, every
//! case keeps the ledger's rules and folds — and say what was found, a torn or uncommitted
//! tail apart from damage. `esc ledger migrate` and `esc ledger copy`.

use super::output::Output;
use super::settings::Settings;
use crate::store::Location;
use anyhow::{Context, Result};
use serde_json::json;
use std::path::Path;
use std::process::ExitCode;

/// `esc ledger migrate`: apply the schema migrations a database ledger lacks.
pub fn migrate(settings: &Settings, out: &mut Output) -> Result<ExitCode> {
    let store = settings.store()?;
    let applied = store.migrate()?;
    if settings.json {
        out.json(&json!({"ledger": store.location(), "applied": applied}))?;
    } else if applied.is_empty() {
        out.say(&format!("{}: up to date", store.location()))?;
    } else {
        let list: Vec<String> = applied.iter().map(i64::to_string).collect();
        out.say(&format!(
            "{}: applied migration {}",
            store.location(),
            list.join(", ")
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `esc ledger copy FROM TO`: every line, exactly, into an empty ledger; all or nothing.
pub fn copy(from: &Path, to: &Path, settings: &Settings, out: &mut Output) -> Result<ExitCode> {
    let (from, to) = (Location::parse(from), Location::parse(to));
    if from == to {
        anyhow::bail!("cannot copy {from} onto itself: name another target");
    }
    let source = crate::store::open(&from)?;
    let target = crate::store::open(&to)?;
    let mut sink = target.importer()?;
    source
        .export(&mut *sink)
        .with_context(|| format!("cannot copy {from} to {to}: nothing was written"))?;
    let count = sink
        .finish()
        .with_context(|| format!("cannot copy {from} to {to}: nothing was written"))?;
    if settings.json {
        out.json(&json!({"from": from.to_string(), "to": to.to_string(), "events": count}))?;
    } else {
        out.say(&format!("copied {count} events from {from} to {to}"))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `esc ledger verify`: exit 0 when the ledger is sound (a torn tail is named but is not
/// damage), 1 when anything is damaged.
pub fn verify(settings: &Settings, out: &mut Output) -> Result<ExitCode> {
    let ledger = settings.store()?;
    let report = ledger.verify()?;
    let mut fold_problem: Option<String> = None;
    let mut cases = Vec::new();
    if report.is_ok() {
        let mut folder = crate::case::Folder::new(false);
        // Room for every case at once: growing by doubling would hold two copies.
        folder.reserve(ledger.cases_hint());
        match ledger.visit(&mut |r| folder.push(r)) {
            Ok(_) => match folder.finish() {
                Ok(c) => cases = c,
                Err(e) => fold_problem = Some(e.to_string()),
            },
            Err(e) => fold_problem = Some(e.to_string()),
        }
    }
    // Cases the policy no longer describes: named, not damage (the ledger is sound).
    let drift = super::policy_cmd::load(&settings.policy)
        .ok()
        .map(|p| crate::case::drift::findings(&p, &cases))
        .unwrap_or_default();
    let ok = report.is_ok() && fold_problem.is_none();
    if settings.json {
        out.json(&json!({
            "ledger": report.path,
            "ok": ok,
            "exists": report.exists,
            "events": report.events,
            "cases": report.cases,
            "last_seq": report.last_seq,
            "torn_tail": report.torn_tail,
            "problems": report.problems,
            "more_problems": report.more_problems,
            "fold_problem": fold_problem,
            "undescribed": {
                "counts": crate::case::drift::counts(&drift),
                "findings": drift,
            },
        }))?;
    } else {
        let path = report.path.display();
        if !report.exists {
            out.say(&format!(
                "{path}: no ledger yet (an empty ledger); nothing to check"
            ))?;
        } else {
            out.line(&format!(
                "{path}: {} events in {} cases, last seq {}",
                report.events, report.cases, report.last_seq
            ))?;
        }
        if let Some(t) = report.torn_tail {
            let what = if t.lines > 0 {
                format!(
                    "uncommitted tail: from line {} ({} bytes), {} complete lines of a batch whose last line never reached the disk (a crash mid-write)",
                    t.line, t.bytes, t.lines
                )
            } else {
                format!(
                    "torn tail: line {} ({} bytes) is an incomplete write from a crash",
                    t.line, t.bytes
                )
            };
            out.line(&format!(
                "{what}; it is not data, and the next command that writes sets it aside in {path}.torn"
            ))?;
        }
        for p in &report.problems {
            out.line(&format!("line {}: {}", p.line, p.message))?;
        }
        if report.more_problems > 0 {
            out.line(&format!("… and {} more problems", report.more_problems))?;
        }
        if let Some(p) = &fold_problem {
            out.line(&format!("case history: {p}"))?;
        }
        for f in &drift {
            out.line(&f.to_string())?;
        }
        if let Some(s) = crate::case::drift::summary(&drift) {
            out.line(&s)?;
        }
        if ok {
            out.say("ok")?;
        } else {
            out.line("damaged: restore the named lines from a backup (or remove them), then run `esc ledger verify` again")?;
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
