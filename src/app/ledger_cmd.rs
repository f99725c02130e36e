//! `esc ledger verify`: check the whole ledger — every line parses, `seq` is gap-free, every
//! case keeps the ledger's rules and folds — and say what was found, a torn or uncommitted
//! tail apart from damage.

use super::output::Output;
use super::settings::Settings;
use crate::store::ledger::Ledger;
use anyhow::Result;
use serde_json::json;
use std::process::ExitCode;

/// `esc ledger verify`: exit 0 when the ledger is sound (a torn tail is named but is not
/// damage), 1 when anything is damaged.
pub fn verify(settings: &Settings, out: &mut Output) -> Result<ExitCode> {
    let ledger = Ledger::open(&settings.ledger)?;
    let report = ledger.verify()?;
    let mut fold_problem: Option<String> = None;
    let mut cases = Vec::new();
    if report.is_ok() {
        let mut folder = crate::case::Folder::new(false);
        match ledger.visit(|r| folder.push(r)) {
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
