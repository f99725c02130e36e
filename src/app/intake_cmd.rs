//! `esc intake alertmanager|event [FILE|-]`, and [`Writer`]: the one place through which
//! intake writes (used by `esc intake` and `esc serve`). Under the ledger lock it brings its
//! compact intake state up to date, asks the pure core what each payload does and who is
//! told of it, and appends everything in one batch with one sync.

use super::output::Output;
use super::policy_cmd;
use super::settings::Settings;
use crate::case::Seen;
use crate::case::event::ONCALL;
use crate::intake::{self, IntakeError, IntakeState, Outcome, Signal, Source};
use crate::policy::Policy;
use crate::store::Store;
use anyhow::{Context, Result, anyhow};
use chrono::{DateTime, Utc};
use serde_json::json;
use std::io::Read;
use std::path::Path;

/// Writes intake payloads to one ledger, keeping the intake state between batches while no
/// one else wrote (a long-running `esc serve` then never re-reads the ledger).
pub struct Writer {
    ledger: Box<dyn Store>,
    /// The policy, with the on-call overrides recorded in the ledger as of the cache.
    policy: Policy,
    /// The state as of ledger `seq`.
    cache: Option<(u64, IntakeState)>,
}

/// What one payload of a batch did, or why it was refused (nothing recorded for it).
pub type PayloadResult = Result<Vec<Outcome>, IntakeError>;

/// The intake's view of the ledger (keys, keyed cases, storm counts), read under the lock
/// `guard` holds, and the on-call overrides beside it (they decide the owners of new cases).
/// Also what `esc open --dedup-key` and `esc import` look keys up in.
pub(super) fn keys_under_lock(
    guard: &mut dyn crate::store::Writer,
) -> Result<(IntakeState, Vec<crate::case::Record>)> {
    let mut state = IntakeState::new();
    let mut oncall = Vec::new();
    guard.visit_skimming(IntakeState::SKIMS, &mut |seen| match seen {
        Seen::Whole(r) if r.case == ONCALL => oncall.push(r),
        seen => state.see(&seen),
    })?;
    Ok((state, oncall))
}

impl Writer {
    pub fn new(ledger: Box<dyn Store>, policy: Policy) -> Self {
        Writer {
            ledger,
            policy,
            cache: None,
        }
    }

    /// Take the lock, then call `take` for the time (read under the lock, see
    /// [`Settings::for_write`]) and the payloads (their routed signals) to write — so a
    /// caller can still drop payloads whose requester gave up while the lock was busy.
    /// Decide every payload and append all their events in one write. A payload the core
    /// refuses records nothing and does not stop the others; a ledger error records nothing
    /// at all.
    pub fn write(
        &mut self,
        actor: &str,
        take: impl FnOnce() -> Result<(DateTime<Utc>, Vec<Vec<Signal>>)>,
    ) -> Result<Vec<PayloadResult>> {
        let mut guard = self.ledger.lock()?;
        let (now, batch) = take()?;
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let last_seq = guard.last_seq()?;
        let mut state = match self.cache.take() {
            Some((seq, state)) if seq == last_seq => state,
            _ => {
                // Someone else wrote (or this is the first batch): fold the ledger afresh,
                // and with it the on-call overrides that decide the owners of new cases.
                let (state, oncall) = keys_under_lock(&mut *guard)?;
                self.policy.overrides = crate::oncall::overrides(&oncall);
                state
            }
        };
        let policy = &self.policy;
        state.reserve_from(guard.next_case_number()?);
        let mut events = Vec::new();
        let mut results = Vec::with_capacity(batch.len());
        // The cases the batch moves, as they are (read when first needed), for the
        // notifications of what intake does.
        let mut cases = std::collections::HashMap::new();
        for signals in &batch {
            let decided = match intake::decide(policy, &mut state, signals, now, actor) {
                Ok(d) => d,
                Err(e) => {
                    results.push(Err(e));
                    continue;
                }
            };
            for id in intake::notices::cases_to_read(&decided.events, &cases) {
                let records = guard.read_case(&id)?;
                if let Some(case) = crate::case::Case::fold(records).with_context(|| {
                    format!("the ledger {} is inconsistent", self.ledger.location())
                })? {
                    cases.insert(id, case);
                }
            }
            events.extend(intake::notices::with_notices(
                policy,
                &mut cases,
                decided.events,
                now,
            ));
            results.push(Ok(decided.outcomes));
        }
        let records = guard.append(events)?;
        let seq = records.last().map_or(last_seq, |r| r.seq);
        self.cache = Some((seq, state));
        Ok(results)
    }
}

/// Read a body from a file, or stdin for `-`.
fn read_body(file: &Path) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    if file == Path::new("-") {
        std::io::stdin()
            .read_to_end(&mut body)
            .context("cannot read the payload from stdin")?;
    } else {
        body = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    }
    Ok(body)
}

/// `esc intake alertmanager|event [FILE|-]`.
pub fn run(settings: &Settings, source: Source, file: &Path, out: &mut Output) -> Result<()> {
    let policy = policy_cmd::load(&settings.policy)?;
    let body = read_body(file)?;
    let name = if file == Path::new("-") {
        "stdin".to_string()
    } else {
        file.display().to_string()
    };
    let refused = |e: IntakeError| anyhow!("nothing recorded from {name}: {e}");
    let signals = intake::signals(&policy, source, &body).map_err(refused)?;
    let mut writer = Writer::new(settings.store()?, policy);
    let result = writer
        .write(&settings.actor, || {
            Ok((settings.for_write()?.now, vec![signals]))
        })?
        .pop()
        .unwrap_or_else(|| Ok(Vec::new()));
    let outcomes = result.map_err(refused)?;
    if settings.json {
        return out.json(&json!({ "results": outcomes }));
    }
    for o in &outcomes {
        out.say(&o.message)?;
    }
    Ok(())
}
