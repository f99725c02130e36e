//! `esc sweep` (the cron job), `esc approve` / `esc reject`, and `esc notifications`.
//!
//! Sweep holds the ledger lock from reading to the last delivery result, so two sweeps
//! started together serialize: the second sees everything the first recorded and does
//! nothing twice. Deliveries are bounded by `--delivery-budget`; what is left stays queued.

use super::output::Output;
use super::policy_cmd;
use super::settings::Settings;
use crate::case::{Case, Event, NewEvent, Record, id};
use crate::notify::{command, outbox};
use crate::policy::{Policy, duration};
use crate::render::{local_time, table};
use crate::store::ledger::{Ledger, WriteGuard};
use crate::sweep::{self, ActionKind, Planned};
use anyhow::{Context, Result, anyhow};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

/// An action as `esc sweep --json` prints it (also the items of `esc simulate --json`).
pub(super) fn action_json(p: &Planned) -> Value {
    let mut v = json!({"case": p.case, "action": p.kind.name()});
    if let Value::Object(m) = &mut v {
        match &p.kind {
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
    }
}

fn action_line(p: &Planned, tz: chrono_tz::Tz) -> String {
    let what = action_what(&p.kind);
    format!("{:<8} {what} (due {})", p.case, local_time(p.due, tz))
}

/// The payload a notify command reads on stdin.
fn payload(n: &outbox::Notification, cases: &HashMap<String, (String, String)>) -> Value {
    let (title, severity) = cases.get(&n.case).cloned().unwrap_or_default();
    json!({
        "id": n.id,
        "case": n.case,
        "title": title,
        "severity": severity,
        "action": n.action,
        "recipients": n.recipients,
        "message": n.message,
        "at": n.at,
        "due": n.due,
    })
}

fn append(
    guard: &mut WriteGuard<'_>,
    policy: &Policy,
    settings: &Settings,
    case: &str,
    events: Vec<Event>,
) -> Result<Vec<Record>> {
    let new = events
        .into_iter()
        .map(|event| NewEvent {
            at: settings.now,
            actor: settings.actor.clone(),
            case: case.to_string(),
            event,
            policy: Some(policy.hash.clone()),
        })
        .collect();
    Ok(guard.append(new)?)
}

/// Counts of the delivery step.
#[derive(Default)]
struct Delivery {
    sent: Vec<outbox::Notification>,
    failed: Vec<(outbox::Notification, String)>,
    pending: usize,
}

fn deliver_due(
    policy: &Policy,
    settings: &Settings,
    guard: &mut WriteGuard<'_>,
    queue: &std::collections::BTreeMap<u64, outbox::Notification>,
    cases: &HashMap<String, (String, String)>,
    budget: std::time::Duration,
    d: &mut Delivery,
) -> Result<()> {
    let due: Vec<&outbox::Notification> =
        queue.values().filter(|n| n.is_due(settings.now)).collect();
    let Some(argv) = &policy.notify.command else {
        d.pending = queue
            .values()
            .filter(|n| n.state != outbox::State::Delivered)
            .count();
        return Ok(());
    };
    let dir = settings
        .policy
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let timeout = policy
        .notify
        .timeout
        .to_std()
        .unwrap_or(std::time::Duration::from_secs(10));
    let started = Instant::now();
    for n in due {
        if started.elapsed() >= budget {
            break;
        }
        let body = payload(n, cases).to_string();
        match command::deliver(argv, dir, &body, timeout) {
            Ok(()) => {
                append(
                    guard,
                    policy,
                    settings,
                    &n.case,
                    vec![Event::NotificationDelivered {
                        notification: n.seq,
                    }],
                )?;
                d.sent.push(n.clone());
            }
            Err(e) => {
                let attempt = n.attempts + 1;
                append(
                    guard,
                    policy,
                    settings,
                    &n.case,
                    vec![Event::NotificationFailed {
                        notification: n.seq,
                        attempt,
                        error: e.to_string(),
                        retry_after: outbox::backoff(attempt, settings.now),
                    }],
                )?;
                d.failed.push((n.clone(), e.to_string()));
                // A command that cannot even be started fails the same way for every
                // notification: leave the rest queued for the next run.
                if matches!(e, command::DeliveryError::Spawn { .. }) {
                    break;
                }
            }
        }
    }
    let sent: std::collections::HashSet<u64> = d.sent.iter().map(|n| n.seq).collect();
    d.pending = queue
        .values()
        .filter(|n| n.state != outbox::State::Delivered && !sent.contains(&n.seq))
        .count();
    Ok(())
}

/// `esc sweep`.
pub fn sweep(
    settings: &Settings,
    dry_run: bool,
    budget: &str,
    out: &mut Output,
) -> Result<ExitCode> {
    let policy = policy_cmd::load_effective(settings)?;
    let budget = duration::parse(budget)
        .map_err(|e| anyhow!("--delivery-budget: {e}"))?
        .to_std()
        .unwrap_or_default();
    let ledger = Ledger::open(&settings.ledger)?;
    let mut guard = ledger.lock()?;
    let settings = &if dry_run {
        settings.clone()
    } else {
        settings.for_write()?
    };
    // Fold while reading: the whole ledger's records are never held at once. Only
    // undelivered notifications are kept, and only when there is a command to deliver them;
    // otherwise they are just counted.
    let deliver = policy.notify.command.is_some();
    let mut queue = std::collections::BTreeMap::new();
    let mut undelivered: usize = 0;
    let mut folder = crate::case::Folder::new(false);
    guard.visit(|r| {
        match &r.event {
            Event::NotificationQueued { .. } => undelivered += 1,
            Event::NotificationDelivered { .. } => undelivered = undelivered.saturating_sub(1),
            _ => {}
        }
        if deliver {
            outbox::push_pending(&mut queue, &r);
        }
        folder.push(r);
    })?;
    let cases = folder
        .finish()
        .with_context(|| format!("the ledger {} is inconsistent", settings.ledger.display()))?;
    // A case whose last event is after `now` is not swept (nor are its notifications
    // delivered): events dated before its history would break the order every command
    // keeps. It is reported instead.
    let (cases, ahead): (Vec<Case>, Vec<Case>) = cases
        .into_iter()
        .partition(|c| c.last_event_at() <= settings.now);
    let skipped: Vec<Value> = ahead
        .iter()
        .map(|c| json!({"case": c.id, "last_event_at": c.last_event_at()}))
        .collect();
    let ahead: std::collections::HashSet<String> = ahead.into_iter().map(|c| c.id).collect();
    queue.retain(|_, n: &mut outbox::Notification| !ahead.contains(&n.case));
    let mut planned = sweep::plan(&policy, &cases, settings.now);
    let tz = policy.defaults.timezone;
    if dry_run {
        let pending = undelivered;
        if settings.json {
            let actions: Vec<Value> = planned.iter().map(action_json).collect();
            out.json(
                &json!({"now": settings.now, "dry_run": true, "actions": actions,
                "notifications": {"sent": 0, "failed": 0, "pending": pending},
                "skipped": skipped}),
            )?;
        } else if planned.is_empty() {
            out.say(&format!(
                "dry run: nothing to do ({pending} notifications queued)"
            ))?;
        } else {
            out.line(&format!(
                "dry run: {} actions would be taken",
                planned.len()
            ))?;
            for p in &planned {
                out.line(&action_line(p, tz))?;
            }
        }
        if !settings.json {
            for s in &skipped {
                out.line(&skipped_line(s))?;
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut new: Vec<NewEvent> = Vec::new();
    for p in &mut planned {
        for event in std::mem::take(&mut p.events) {
            new.push(NewEvent {
                at: settings.now,
                actor: settings.actor.clone(),
                case: p.case.clone(),
                event,
                policy: Some(policy.hash.clone()),
            });
        }
    }
    if !new.is_empty() {
        let appended = guard.append(new)?;
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
    let queued: std::collections::HashSet<&str> = queue.values().map(|n| n.case.as_str()).collect();
    let titles: HashMap<String, (String, String)> = cases
        .iter()
        .filter(|c| queued.contains(c.id.as_str()))
        .map(|c| (c.id.clone(), (c.title.clone(), c.severity.clone())))
        .collect();
    drop(cases);
    let mut delivery = Delivery::default();
    // If recording a delivery result fails, what was recorded before is still printed.
    let failed_step = deliver_due(
        &policy,
        settings,
        &mut guard,
        &queue,
        &titles,
        budget,
        &mut delivery,
    )
    .err();
    if !deliver {
        delivery.pending = undelivered;
    }
    drop(guard);
    let acted = !planned.is_empty() || !delivery.sent.is_empty() || !delivery.failed.is_empty();
    if settings.json {
        let mut actions: Vec<Value> = planned.iter().map(action_json).collect();
        for n in &delivery.sent {
            actions.push(json!({"case": n.case, "action": "notified", "id": n.id,
                "recipients": n.recipients, "due": n.due}));
        }
        let failures: Vec<Value> = delivery
            .failed
            .iter()
            .map(|(n, e)| json!({"id": n.id, "case": n.case, "error": e}))
            .collect();
        out.json(&json!({"now": settings.now, "actions": actions,
            "notifications": {"sent": delivery.sent.len(), "failed": delivery.failed.len(),
                "pending": delivery.pending},
            "failures": failures, "skipped": skipped}))?;
    } else if acted || !out.quiet {
        for p in &planned {
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
        for s in &skipped {
            out.line(&skipped_line(s))?;
        }
        // One summary line, whether or not anything was done.
        let done = if acted {
            format!("{} actions", planned.len())
        } else {
            "nothing to do".to_string()
        };
        let command = if policy.notify.command.is_some() {
            ""
        } else {
            " (no notify command configured: see `esc notifications`)"
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
    let policy = policy_cmd::load_effective(settings)?;
    let ledger = Ledger::open(&settings.ledger)?;
    let mut guard = ledger.lock()?;
    let settings = &settings.for_write()?;
    let case = Case::fold(guard.read_case(&case_id)?)
        .with_context(|| format!("the ledger {} is inconsistent", settings.ledger.display()))?
        .ok_or_else(|| {
            anyhow!("there is no case {case_id}: `esc list` shows the cases there are")
        })?;
    let events = sweep::decide_proposal(
        &policy,
        &case,
        trigger,
        approve,
        &settings.actor,
        reason.as_deref(),
        settings.now,
    )?;
    let records = append(&mut guard, &policy, settings, &case_id, events)?;
    drop(guard);
    let mut case = case;
    let described: Vec<String> = records
        .iter()
        .map(|r| crate::case::describe::event(&r.event))
        .collect();
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

/// `esc notifications`.
pub fn list(
    settings: &Settings,
    state: Option<&str>,
    case: Option<&str>,
    out: &mut Output,
) -> Result<()> {
    let policy = policy_cmd::load(&settings.policy)?;
    let case = case.map(id::parse).transpose()?;
    let ledger = Ledger::open(&settings.ledger)?;
    let queue = match &case {
        Some(c) => outbox::fold(&ledger.read_case(c)?),
        None => {
            let mut queue = std::collections::BTreeMap::new();
            ledger.visit(|r| outbox::push(&mut queue, &r))?;
            queue
        }
    };
    let selected: Vec<&outbox::Notification> = queue
        .values()
        .filter(|n| state.is_none_or(|s| n.state.as_str() == s))
        .collect();
    if settings.json {
        return out.json(&selected);
    }
    if selected.is_empty() {
        return out.say("no notifications");
    }
    let tz = policy.defaults.timezone;
    let mut t = table(["id", "case", "action", "state", "to", "queued", "message"]);
    for n in selected {
        let state = match (n.state, &n.last_error) {
            (outbox::State::Failed, Some(e)) => format!(
                "failed ×{} ({e}); retry after {}",
                n.attempts,
                n.retry_after.map_or("-".into(), |r| local_time(r, tz))
            ),
            (s, _) => s.as_str().to_string(),
        };
        t.add_row(vec![
            n.id.clone(),
            n.case.clone(),
            n.action.clone(),
            state,
            n.recipients.join(", "),
            local_time(n.at, tz),
            n.message.clone(),
        ]);
    }
    out.raw(&format!("{t}\n"))
}
