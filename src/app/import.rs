//! `esc import FILE`: bulk import of existing cases (JSON Lines or CSV), all or nothing.
//!
//! Every record is read and checked before the ledger is touched; one bad record imports
//! nothing. Then the ledger lock is taken once, the cases are numbered from the next free
//! number, and all their events are appended in one write with one sync.

use super::output::Output;
use super::policy_cmd;
use super::settings::Settings;
use crate::case::id;
use crate::case::import::{self, Format, Importer, Rejected, ValidCase};
use crate::case::{Event, NewEvent};
use anyhow::{Context, Result, anyhow};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;
use std::path::Path;

/// Import every record of `file`, all or nothing.
pub fn import(settings: &Settings, file: &Path, out: &mut Output) -> Result<()> {
    let policy = policy_cmd::load(&settings.policy)?;
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let refused = |message: String| anyhow!("cannot import {}: {message}", file.display());
    let text =
        import::decode(&bytes).map_err(|e| refused(Rejected { errors: vec![e] }.to_string()))?;
    let format = Format::detect(file, text);
    let parsed = import::parse(text, format);
    let importer = Importer::new(&policy, settings.now)?;

    let bar = progress(settings, parsed.records.len() as u64);
    bar.set_message(format!("checking {} records", format.as_str()));
    let cases = importer.check_all(parsed, || bar.inc(1));
    let cases = match cases {
        Ok(cases) => cases,
        Err(rejected) => {
            bar.finish_and_clear();
            return Err(refused(rejected.to_string()));
        }
    };
    if cases.is_empty() {
        bar.finish_and_clear();
        if settings.json {
            return out.json(&json!({"imported": 0, "skipped": 0, "first": null, "last": null}));
        }
        return out.say(&format!(
            "nothing to import: {} has no records",
            file.display()
        ));
    }

    bar.set_message(format!("writing {} cases", cases.len()));
    let written = append(settings, &policy.hash, cases);
    bar.finish_and_clear();
    let (first, count, skipped) = written
        .with_context(|| format!("cannot import {}: nothing was imported", file.display()))?;
    let skipped_text = match skipped {
        0 => String::new(),
        1 => "; skipped 1 record whose external_id is already in the ledger".to_string(),
        n => format!("; skipped {n} records whose external_id is already in the ledger"),
    };
    if count == 0 {
        if settings.json {
            return out
                .json(&json!({"imported": 0, "skipped": skipped, "first": null, "last": null}));
        }
        return out.say(&format!("imported nothing{skipped_text}"));
    }

    let (first, last) = (id::format(first), id::format(first + count - 1));
    if settings.json {
        return out
            .json(&json!({"imported": count, "skipped": skipped, "first": first, "last": last}));
    }
    out.say(&if count == 1 {
        format!("imported 1 case ({first}){skipped_text}")
    } else {
        format!("imported {count} cases ({first} … {last}){skipped_text}")
    })
}

/// The `external_id` (de-duplication key) a checked case was imported with.
fn external_id(case: &ValidCase) -> Option<&str> {
    case.events.iter().find_map(|(_, e)| match e {
        Event::Opened { dedup_key, .. } => dedup_key.as_deref(),
        _ => None,
    })
}

/// Under one lock: skip the cases whose `external_id` a case in the ledger (or an earlier
/// record of the file) already has, number the rest from the next free number and append
/// all their events in one write and one sync. Returns the first case number, how many were
/// imported and how many skipped.
fn append(settings: &Settings, policy: &str, cases: Vec<ValidCase>) -> Result<(u64, u64, u64)> {
    let ledger = settings.store()?;
    let mut guard = ledger.lock()?;
    settings.for_write()?;
    let mut seen = std::collections::HashSet::new();
    if cases.iter().any(|c| external_id(c).is_some()) {
        let (state, _) = super::intake_cmd::keys_under_lock(&mut *guard)?;
        for c in &cases {
            if let Some(key) = external_id(c)
                && state.has_key(key)
            {
                seen.insert(key.to_string());
            }
        }
    }
    let total = cases.len() as u64;
    let fresh: Vec<ValidCase> = cases
        .into_iter()
        .filter(|c| external_id(c).is_none_or(|key| seen.insert(key.to_string())))
        .collect();
    let count = fresh.len() as u64;
    let first = guard.next_case_number()?;
    let events: Vec<NewEvent> = fresh
        .into_iter()
        .zip(first..)
        .flat_map(|(case, n)| case.into_events(&id::format(n), &settings.actor, Some(policy)))
        .collect();
    guard.append(events)?;
    Ok((first, count, total - count))
}

/// A progress bar on stderr when stdout is a terminal (and not `--quiet`), else hidden.
fn progress(settings: &Settings, len: u64) -> ProgressBar {
    if !settings.stdout_tty || settings.quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
