//! `esc policy diff` (what a policy change does) and `esc policy log` (the policy versions a
//! ledger saw). Loads the files and the ledger, asks the pure [`crate::policy::diff`], prints.

use super::output::Output;
use super::policy_cmd;
use super::settings::Settings;
use crate::cli::FailOn;
use crate::policy::{diff, version};
use crate::render::{local_time, table};
use anyhow::Result;
use serde_json::json;
use std::path::Path;
use std::process::ExitCode;

/// `esc policy diff OLD NEW [--fail-on orphaned]`.
pub fn diff(
    settings: &Settings,
    old: &Path,
    new: &Path,
    fail_on: Option<FailOn>,
    out: &mut Output,
) -> Result<ExitCode> {
    let before = policy_cmd::load(old)?;
    let after = policy_cmd::load(new)?;
    let changes = diff::changes(&before, &after);
    let impact = if settings.ledger.exists() {
        let cases = super::case_cmd::fold_cases(settings, |_| false, |_| false, None)?;
        Some(diff::impact(&before, &after, &cases, settings.now))
    } else {
        None
    };
    if settings.json {
        out.json(&json!({"changes": changes, "cases": impact}))?;
    } else {
        if changes.is_empty() {
            out.line("no changes")?;
        } else {
            out.line(&format!("{} changes:", changes.len()))?;
            for c in &changes {
                out.line(&format!("  {c}"))?;
            }
        }
        match &impact {
            None => out.line(&format!(
                "no ledger at {}: give --ledger to see what the change does to open cases",
                settings.ledger.display()
            ))?,
            Some(i) => {
                let tz = after.defaults.timezone;
                if !i.deadlines.is_empty() {
                    let t = table(["case", "clock", "due now", "due after", "moves"]);
                    let cells = |n: usize| {
                        let m = &i.deadlines[n];
                        let by = crate::policy::duration::format(chrono::TimeDelta::minutes(
                            m.minutes.abs(),
                        ));
                        let moves = if m.minutes < 0 {
                            format!("{by} earlier")
                        } else {
                            format!("{by} later")
                        };
                        vec![
                            m.case.as_str().into(),
                            m.clock.as_str().into(),
                            local_time(m.old, tz).into(),
                            local_time(m.new, tz).into(),
                            moves.into(),
                        ]
                    };
                    out.line("deadlines that move:")?;
                    out.table(&t, i.deadlines.len(), &cells, "\n")?;
                }
                for o in &i.owners {
                    out.line(&format!(
                        "{}: the on-duty owner of {} changes from {} to {}",
                        o.case, o.tier, o.old, o.new
                    ))?;
                }
                for o in &i.orphaned {
                    out.line(&format!(
                        "{}: orphaned — the new policy has no {}",
                        o.case,
                        o.unknown.join(", no ")
                    ))?;
                }
                for f in &i.fire {
                    out.line(&format!(
                        "{}: trigger {} would {} at once",
                        f.case,
                        f.trigger,
                        if f.action == "proposed" {
                            "propose"
                        } else {
                            "fire"
                        }
                    ))?;
                }
                if i.deadlines.is_empty()
                    && i.owners.is_empty()
                    && i.orphaned.is_empty()
                    && i.fire.is_empty()
                {
                    out.line("no open case is affected")?;
                }
            }
        }
    }
    let orphaned = impact.as_ref().map_or(0, |i| i.orphaned.len());
    if fail_on == Some(FailOn::Orphaned) && orphaned > 0 {
        eprintln!(
            "error: {orphaned} open case{} would be orphaned by {}: keep the severities, types, tiers and people they use, or move the cases first",
            if orphaned == 1 { "" } else { "s" },
            new.display()
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// `esc policy log`: the policy versions the ledger's events were decided under.
pub fn log(settings: &Settings, out: &mut Output) -> Result<ExitCode> {
    // The current policy file's version, to mark it (a missing or broken file marks none).
    let current = std::fs::read_to_string(&settings.policy)
        .ok()
        .map(|t| version::content_hash(&t));
    let mut log = version::Log::default();
    if settings.ledger.exists() {
        settings
            .store()?
            .visit(&mut |r| log.push(r.policy.as_deref(), r.at, &r.case))?;
    }
    if settings.json {
        out.json(&json!({"current": current, "versions": log.versions,
            "unrecorded": log.unrecorded}))?;
        return Ok(ExitCode::SUCCESS);
    }
    let tz = policy_cmd::load(&settings.policy)
        .map(|p| p.defaults.timezone)
        .unwrap_or(chrono_tz::UTC);
    if log.versions.is_empty() {
        out.line("no event in the ledger records a policy version yet")?;
    } else {
        let mut t = table(["policy", "first used", "last used", "events", "cases", ""]);
        for v in &log.versions {
            t.add_row(vec![
                v.hash.clone(),
                local_time(v.first, tz),
                local_time(v.last, tz),
                v.events.to_string(),
                v.cases.to_string(),
                if current.as_deref() == Some(v.hash.as_str()) {
                    format!("current ({})", settings.policy.display())
                } else {
                    String::new()
                },
            ]);
        }
        out.raw(&format!("{t}\n"))?;
    }
    if log.unrecorded > 0 {
        out.line(&format!(
            "{} earlier events were written before esc recorded the policy version",
            log.unrecorded
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}
