//! `esc sweep` (the cron job), `esc approve` / `esc reject`, and `esc notifications`.
//!
//! Sweep reads the ledger and plans its actions (composing their notifications) before it
//! takes the ledger lock, and under the lock keeps that plan only if no one wrote meanwhile
//! (see [`planned_write`]). It then holds the lock from its append to the last delivery
//! result, so two sweeps started together serialize: the second sees everything the first
//! recorded and does nothing twice. Deliveries are bounded by `--delivery-budget`; what is
//! left stays queued.

use super::notify_cmd;
use super::output::Output;
use super::planned_write::{self, Source};
use super::policy_cmd;
use super::settings::Settings;
use crate::case::event::Ending;
use crate::case::{Case, Event, NewEvent, Seen, id};
use crate::notify::outbox;
use crate::policy::{Policy, duration};
use crate::render::local_time;
use crate::sweep::{self, Action, ActionKind};
use anyhow::{Context, Result, anyhow};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::process::ExitCode;

/// An action as `esc sweep --json` prints it (also the items of `esc simulate --json`).
pub(super) fn action_json(p: Action<'_>) -> Value {
    let mut v = json!({"case": p.case, "action": p.kind.name()});
    if let Value::Object(m) = &mut v {
        match p.kind {
            ActionKind::Warning { clock } | ActionKind::Breach { clock } => {
                m.insert("clock".into(), json!(clock.as_str()));
            }
            ActionKind::Escalated { path, from, to, by } => {
                m.insert("path".into(), json!(path));
                m.insert("from".into(), json!(from));
                m.insert("to".into(), json!(to));
                m.insert("by".into(), json!(by));
            }
            ActionKind::Trigger { trigger } | ActionKind::Proposed { trigger } => {
                m.insert("trigger".into(), json!(trigger));
            }
            ActionKind::PromiseMissed { by } => {
                m.insert("promise".into(), json!(by));
            }
            ActionKind::Reminder { item } => {
                m.insert("item".into(), json!(item));
            }
        }
        m.insert("due".into(), json!(p.due));
    }
    v
}

/// What an action did, in words.
pub(super) fn action_what(kind: &ActionKind) -> String {
    match kind {
        ActionKind::Warning { clock } => format!("warning: {} clock", clock.as_str()),
        ActionKind::Breach { clock } => format!("breach: {} clock", clock.as_str()),
        ActionKind::Escalated { path, from, to, by } => format!(
            "escalated on {path}: {} → {to} (by {by})",
            from.as_deref().unwrap_or("none")
        ),
        ActionKind::Trigger { trigger } => format!("trigger {trigger} fired"),
        ActionKind::Proposed { trigger } => {
            format!("trigger {trigger} proposes (approve or reject)")
        }
        ActionKind::PromiseMissed { by } => format!(
            "promise to the customer missed; new expected time {}",
            crate::render::rfc3339(*by)
        ),
        ActionKind::Reminder { item: None } => "reminded: the review is overdue".into(),
        ActionKind::Reminder { item: Some(n) } => format!("reminded: action item {n} is late"),
    }
}

fn action_line(p: Action<'_>, tz: chrono_tz::Tz) -> String {
    let what = action_what(p.kind);
    format!("{:<8} {what} (due {})", p.case, local_time(p.due, tz))
}

/// `esc --json sweep --dry-run`, written as it is made.
#[derive(serde::Serialize)]
#[serde(bound(serialize = "super::output::Each<I>: serde::Serialize"))]
struct DryRunJson<'a, I> {
    now: chrono::DateTime<chrono::Utc>,
    dry_run: bool,
    actions: super::output::Each<I>,
    notifications: Value,
    skipped: &'a [Value],
}

/// `esc --json sweep`, the actions written as they are made.
#[derive(serde::Serialize)]
#[serde(bound(serialize = "super::output::Each<I>: serde::Serialize"))]
struct SweepJson<I> {
    now: chrono::DateTime<chrono::Utc>,
    actions: super::output::Each<I>,
    notifications: Value,
    failures: Vec<Value>,
    ended: Vec<Value>,
    skipped: Vec<Value>,
}

/// What the sweep reads of the ledger: the cases it may act on, the notifications it may
/// deliver, and the ledger's last `seq` (to tell, under the lock, whether anyone wrote since).
struct Snapshot {
    /// Cases whose history is not ahead of `now`.
    cases: Vec<Case>,
    /// Cases whose last event is after `now`: not swept, reported.
    skipped: Vec<Value>,
    /// Undelivered notifications (kept only when there is a channel to deliver them).
    queue: BTreeMap<u64, outbox::Notification>,
    /// How many notifications are undelivered.
    undelivered: usize,
    last_seq: u64,
}

impl Snapshot {
    /// Fold while reading: the whole ledger's records are never held at once. Only
    /// undelivered notifications are kept, and only when there is a channel to deliver them;
    /// otherwise they are just counted.
    fn read(mut from: Source<'_, '_>, policy: &Policy, settings: &Settings) -> Result<Snapshot> {
        let deliver = policy.notify.delivers();
        let mut queue = BTreeMap::new();
        let mut undelivered: usize = 0;
        let mut last_seq = 0;
        let mut folder = crate::case::Folder::new(false);
        folder.reserve(from.cases_hint());
        // With no channel to deliver them, the outbox's events are only counted (and a
        // queued one's promise to the customer folded): they are skimmed, not read whole.
        let skim = if deliver {
            |_: &str| false
        } else {
            crate::case::unread_by_reports
        };
        from.visit_skimming(skim, &mut |seen: Seen| {
            last_seq = seen.seq();
            match seen.event() {
                "notification_queued" => undelivered += 1,
                "notification_delivered" => undelivered = undelivered.saturating_sub(1),
                _ => {}
            }
            match seen {
                Seen::Whole(r) => {
                    if deliver {
                        outbox::push_pending(&mut queue, &r);
                    }
                    folder.push(r);
                }
                Seen::Skimmed(s) => folder.skim(&s),
            }
        })?;
        let mut cases = folder
            .finish()
            .with_context(|| format!("the ledger {} is inconsistent", settings.ledger.display()))?;
        // A case whose last event is after `now` is not swept (nor are its notifications
        // delivered): events dated before its history would break the order every command
        // keeps. It is reported instead. (Taken out in place: the cases are never copied.)
        let ahead: Vec<Case> = cases
            .extract_if(.., |c| c.last_event_at() > settings.now)
            .collect();
        let skipped: Vec<Value> = ahead
            .iter()
            .map(|c| json!({"case": c.id, "last_event_at": c.last_event_at()}))
            .collect();
        let ahead: HashSet<String> = ahead.into_iter().map(|c| c.id.into()).collect();
        queue.retain(|_, n: &mut outbox::Notification| !ahead.contains(&n.case));
        Ok(Snapshot {
            cases,
            skipped,
            queue,
            undelivered,
            last_seq,
        })
    }
}

/// About the most actions one append of `esc sweep` records: a catch-up over a large ledger
/// is written in atomic batches of whole cases with about this many actions (a few events
/// each), so no single batch (and the records the store returns for it) grows with the gap.
/// `ESC_SWEEP_BATCH` sets another size (at least 1), to bound a catch-up's memory more
/// tightly, or to see the batching at work on a small ledger. (Over 100,000 never-swept
/// cases, 1,024 held 15 MB less than 4,096 at the same speed; 256 was slower: a sync per
/// batch.)
const SWEEP_CHUNK_ACTIONS: usize = 1024;

/// The actions per batch of a large sweep: `ESC_SWEEP_BATCH` if it is a positive number.
fn batch_actions() -> Result<usize> {
    Ok(super::settings::positive_env("ESC_SWEEP_BATCH", "actions")?
        .map_or(SWEEP_CHUNK_ACTIONS, std::num::NonZeroUsize::get))
}

/// `esc sweep`.
pub fn sweep(
    settings: &Settings,
    dry_run: bool,
    budget: &str,
    out: &mut Output,
) -> Result<ExitCode> {
    let (policy, ledger) = policy_cmd::load_effective(settings)?;
    let batch_size = batch_actions()?;
    let budget = duration::parse(budget)
        .map_err(|e| anyhow!("--delivery-budget: {e}"))?
        .to_std()
        .unwrap_or_default();
    if dry_run {
        // A dry run only reads: no lock (and so no lock file).
        let seen = Snapshot::read(Source::Store(&*ledger), &policy, settings)?;
        return dry_run_report(settings, &policy, &seen, out);
    }
    // The actions are planned, and their notifications composed, before the lock; under it
    // they stand unless someone wrote to the ledger meanwhile. The lock is then held from
    // the append to the last delivery result.
    let locked = planned_write::plan_then_lock(
        &*ledger,
        settings,
        |from, s| Snapshot::read(from, &policy, s),
        |guard, seen| Ok(guard.last_seq()? != seen.last_seq),
        |seen, s| Ok(sweep::plan_within(&policy, &seen.cases, s.now, batch_size)),
    )?;
    let planned_write::Locked {
        mut guard,
        settings,
        seen,
        plan: mut planned,
    } = locked;
    let settings = &settings;
    let Snapshot {
        cases,
        skipped,
        mut queue,
        mut undelivered,
        ..
    } = seen;
    let deliver = policy.notify.delivers();
    let tz = policy.defaults.timezone;
    // Appended in atomic batches of whole cases (`sweep::batches`): if one fails, the ones
    // before it stay recorded and the next sweep does the rest. A plan too large to hold
    // with its events (a catch-up) has its events made again here, a batch at a time.
    let planner = sweep::Planner::new(&policy, &cases, settings.now);
    let mut recorded = 0;
    for batch in sweep::batches(&planned, &cases, batch_size) {
        let mut new: Vec<NewEvent> = Vec::new();
        for (case, events) in planner.batch_events(&mut planned, &batch) {
            new.extend(super::case_cmd::to_new(settings, &policy, &case, events));
        }
        let before = recorded;
        recorded += batch.actions;
        if new.is_empty() {
            continue;
        }
        let appended = guard.append(new).with_context(|| {
            format!(
                "the sweep recorded {before} actions before this failure; the next `esc sweep` \
                 does the rest"
            )
        })?;
        for r in &appended {
            if let Event::NotificationQueued { .. } = r.event {
                undelivered += 1;
            }
            if deliver {
                outbox::push_pending(&mut queue, r);
            }
        }
    }
    // Titles and severities for the payloads of what will be delivered.
    let queued: HashSet<&str> = queue.values().map(|n| n.case.as_str()).collect();
    let titles: HashMap<String, crate::notify::deliver::CaseFacts> = cases
        .iter()
        .filter(|c| queued.contains(c.id.as_str()))
        .map(|c| (c.id.to_string(), crate::notify::deliver::CaseFacts::of(c)))
        .collect();
    let mut delivery = notify_cmd::Delivery::default();
    // If recording a delivery result fails, what was recorded before is still printed.
    let failed_step = notify_cmd::deliver_due(
        &policy,
        settings,
        &mut *guard,
        &queue,
        &titles,
        budget,
        false,
        &mut delivery,
    )
    .err();
    if !deliver {
        delivery.pending = undelivered;
    }
    drop(guard);
    let acted = !planned.is_empty()
        || !delivery.sent.is_empty()
        || !delivery.failed.is_empty()
        || !delivery.ended.is_empty();
    if settings.json {
        let notified = delivery.sent.iter().map(|n| {
            json!({"case": n.case, "action": "notified", "id": n.id,
                "recipients": n.recipients, "due": n.due})
        });
        let actions = planned.actions(&cases).map(action_json).chain(notified);
        let failures: Vec<Value> = delivery
            .failed
            .iter()
            .map(|(n, e)| json!({"id": n.id, "case": n.case, "error": e}))
            .collect();
        let ended: Vec<Value> = delivery
            .ended
            .iter()
            .map(|(n, e)| json!({"id": n.id, "case": n.case, "state": e.as_str()}))
            .collect();
        out.json(&SweepJson {
            now: settings.now,
            actions: super::output::Each::new(actions),
            notifications: json!({"sent": delivery.sent.len(), "failed": delivery.failed.len(),
                "pending": delivery.pending, "superseded": delivery.count(Ending::Superseded),
                "expired": delivery.count(Ending::Expired)}),
            failures,
            ended,
            skipped,
        })?;
    } else if acted || !out.quiet {
        for p in planned.actions(&cases) {
            out.line(&action_line(p, tz))?;
        }
        for n in &delivery.sent {
            out.line(&format!(
                "{:<8} notified {} ({})",
                n.case,
                n.recipients.join(", "),
                n.id
            ))?;
        }
        for (n, e) in &delivery.failed {
            out.line(&format!(
                "{:<8} notification {} failed: {e} (stays queued)",
                n.case, n.id
            ))?;
        }
        for (n, e) in &delivery.ended {
            out.line(&format!(
                "{:<8} notification {} {}: not delivered",
                n.case,
                n.id,
                e.as_str()
            ))?;
        }
        for s in &skipped {
            out.line(&skipped_line(s))?;
        }
        // One summary line, whether or not anything was done.
        let done = if acted {
            match planned.len() {
                1 => "1 action".to_string(),
                n => format!("{n} actions"),
            }
        } else {
            "nothing to do".to_string()
        };
        let command = if policy.notify.delivers() {
            ""
        } else {
            " (no delivery channel configured: see `esc notifications`)"
        };
        out.line(&format!(
            "{done}; notifications: {} sent, {} failed, {} pending{command}",
            delivery.sent.len(),
            delivery.failed.len(),
            delivery.pending
        ))?;
    }
    if let Some(error) = failed_step {
        return Err(error.context(
            "the sweep recorded the actions it printed, but then could not record a delivery \
             result; an undelivered notification stays queued and the next sweep sends it \
             (its id lets the receiver drop a duplicate)",
        ));
    }
    Ok(notify_cmd::exit_status(&delivery))
}

/// `esc sweep --dry-run`: the plan, written nowhere. With `--quiet` only the number of
/// actions is printed, and the actions are counted, never held.
fn dry_run_report(
    settings: &Settings,
    policy: &Policy,
    seen: &Snapshot,
    out: &mut Output,
) -> Result<ExitCode> {
    let now = settings.now;
    let (cases, pending, skipped) = (&seen.cases, seen.undelivered, &seen.skipped[..]);
    if out.quiet && !settings.json {
        let mut count: usize = 0;
        sweep::plan_each(policy, cases, now, |_, _| count += 1);
        out.line(&count.to_string())?;
        return Ok(ExitCode::SUCCESS);
    }
    // What a dry run shows of an action does not include the events it would append.
    let planned = sweep::outline(policy, cases, now);
    if settings.json {
        out.json(&DryRunJson {
            now,
            dry_run: true,
            actions: super::output::Each::new(planned.actions(cases).map(action_json)),
            notifications: json!({"sent": 0, "failed": 0, "pending": pending}),
            skipped,
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    if planned.is_empty() {
        out.say(&format!(
            "dry run: nothing to do ({pending} notifications queued)"
        ))?;
    } else {
        out.line(&format!(
            "dry run: {} actions would be taken",
            planned.len()
        ))?;
        let tz = policy.defaults.timezone;
        for p in planned.actions(cases) {
            out.line(&action_line(p, tz))?;
        }
    }
    for s in skipped {
        out.line(&skipped_line(s))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The line saying a case was not swept because its history is ahead of `now`.
fn skipped_line(s: &Value) -> String {
    format!(
        "{:<8} skipped: its last event ({}) is after now; sweep it at a later --now",
        s["case"].as_str().unwrap_or("?"),
        s["last_event_at"].as_str().unwrap_or("?")
    )
}

/// `esc approve` / `esc reject`.
pub fn decide(
    settings: &Settings,
    input_id: &str,
    trigger: &str,
    approve: bool,
    reason: Option<String>,
    out: &mut Output,
) -> Result<()> {
    let case_id = id::parse(input_id)?;
    let (policy, ledger) = policy_cmd::load_effective(settings)?;
    // The proposal's actions and their notifications are planned before the lock.
    let (mut case, records) =
        super::case_cmd::append_planned(settings, &*ledger, &policy, &case_id, |case, now| {
            let events = sweep::decide_proposal(
                &policy,
                case,
                trigger,
                approve,
                &settings.actor,
                reason.as_deref(),
                now,
            )?;
            // Who may: the actor is a person of the policy and may decide this trigger.
            crate::case::authority::check(&policy, case, &settings.actor, &events, now)?;
            Ok(events)
        })?;
    let described = super::case_cmd::described(&records);
    for r in records {
        case.apply(r, true)?;
    }
    if settings.json {
        out.json(&crate::case::view::case_json(
            &policy,
            &case,
            settings.now,
            None,
            true,
        ))
    } else {
        out.say(&format!("{case_id} {}", described.join("; ")))
    }
}
