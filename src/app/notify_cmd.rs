//! `esc notifications` (list, `drop`, `retry`) and the delivery step that `esc sweep` and
//! `esc notifications retry` share: each due notification is first checked for an ending
//! (superseded, expired), else delivered through the policy's channels; every outcome is an
//! event in the ledger, appended under the lock the caller holds.

use super::output::Output;
use super::policy_cmd;
use super::settings::Settings;
use crate::case::event::Ending;
use crate::case::{Event, NewEvent, id};
use crate::cli::{NotificationsAction, NotificationsArgs};
use crate::notify::deliver::{self, Channels};
use crate::notify::outbox::{self, Notification};
use crate::policy::{Policy, duration};
use crate::render::{local_time, table};
use crate::store::{Store, Writer};
use anyhow::{Result, anyhow, bail};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// What one delivery run did.
#[derive(Default)]
pub struct Delivery {
    pub sent: Vec<Notification>,
    pub failed: Vec<(Notification, String)>,
    pub ended: Vec<(Notification, Ending)>,
    pub pending: usize,
}

impl Delivery {
    pub fn count(&self, e: Ending) -> usize {
        self.ended.iter().filter(|(_, x)| *x == e).count()
    }
}

/// Exit 1 (and say so on stderr) when deliveries were tried and every one failed.
pub fn exit_status(d: &Delivery) -> ExitCode {
    if !d.failed.is_empty() && d.sent.is_empty() {
        let what = match d.failed.len() {
            1 => "the one notification delivery tried failed; it stays queued and is".to_string(),
            n => format!("all {n} notification deliveries failed; they stay queued and are"),
        };
        eprintln!(
            "esc: {what} retried by the next sweep: `esc notifications --state failed` shows why"
        );
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn record(
    guard: &mut dyn Writer,
    policy: &Policy,
    settings: &Settings,
    n: &Notification,
    event: Event,
) -> Result<()> {
    guard.append(vec![NewEvent {
        at: settings.now,
        actor: settings.actor.clone(),
        case: n.case.clone(),
        event,
        policy: Some(policy.hash.clone()),
    }])?;
    Ok(())
}

/// Deliver the due notifications of `queue` (every open one with `force`), within `budget`.
/// `cases` holds what the payloads say about each case. What was done is added to `d`, so
/// that when recording a result fails, `d` still says what was recorded before.
#[allow(clippy::too_many_arguments)]
pub fn deliver_due(
    policy: &Policy,
    settings: &Settings,
    guard: &mut dyn Writer,
    queue: &BTreeMap<u64, Notification>,
    cases: &HashMap<String, deliver::CaseFacts>,
    budget: Duration,
    force: bool,
    d: &mut Delivery,
) -> Result<()> {
    if !policy.notify.delivers() {
        d.pending = queue.values().filter(|n| n.state.is_open()).count();
        return Ok(());
    }
    let channels = Channels::new(policy, &settings.policy);
    let started = Instant::now();
    let mut done: std::collections::HashSet<u64> = std::collections::HashSet::new();
    for n in queue.values() {
        let due = n.state.is_open() && (force || n.is_due(settings.now));
        if !due {
            continue;
        }
        if let Some((ending, reason)) =
            outbox::ending(n, queue, policy.notify.max_age, settings.now)
        {
            record(
                guard,
                policy,
                settings,
                n,
                Event::NotificationEnded {
                    notification: n.seq,
                    outcome: ending,
                    reason: Some(reason),
                },
            )?;
            d.ended.push((n.clone(), ending));
            done.insert(n.seq);
            continue;
        }
        if started.elapsed() >= budget {
            continue;
        }
        let facts = cases.get(&n.case).cloned().unwrap_or_default();
        let payload = deliver::payload(n, &facts);
        match deliver::deliver(&channels, n, &payload) {
            Ok(()) => {
                record(
                    guard,
                    policy,
                    settings,
                    n,
                    Event::NotificationDelivered {
                        notification: n.seq,
                    },
                )?;
                d.sent.push(n.clone());
                done.insert(n.seq);
            }
            Err(f) => {
                let attempt = n.attempts + 1;
                record(
                    guard,
                    policy,
                    settings,
                    n,
                    Event::NotificationFailed {
                        notification: n.seq,
                        attempt,
                        error: f.error.clone(),
                        retry_after: outbox::backoff(attempt, settings.now),
                        stderr: f.stderr.clone(),
                    },
                )?;
                d.failed.push((n.clone(), f.error));
                // A command that cannot even be started fails the same way for every
                // notification: leave the rest queued for the next run.
                if f.stop {
                    break;
                }
            }
        }
    }
    d.pending = queue
        .values()
        .filter(|n| n.state.is_open() && !done.contains(&n.seq))
        .count();
    Ok(())
}

/// `--eta`: an RFC 3339 time, or a duration from now (`4h`).
pub fn parse_eta(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    match duration::parse(text) {
        Ok(d) => Ok(now + d),
        Err(_) => bail!(
            "--eta `{text}` is neither an RFC 3339 time (2026-11-23T15:00:00Z) nor a duration from now (4h)"
        ),
    }
}

/// The notification ids given on the command line, as seqs.
fn seqs(ids: &[String]) -> Result<Vec<u64>> {
    ids.iter()
        .map(|i| {
            let n = i.trim();
            let digits = n
                .strip_prefix("N-")
                .or_else(|| n.strip_prefix("n-"))
                .unwrap_or(n);
            digits.parse::<u64>().map_err(|_| {
                anyhow!("`{i}` is not a notification id: write it as `esc notifications` shows it, e.g. N-12")
            })
        })
        .collect()
}

/// `esc notifications …`.
pub fn notifications(
    settings: &Settings,
    args: NotificationsArgs,
    out: &mut Output,
) -> Result<ExitCode> {
    match args.action {
        None => {
            list(settings, &args, out)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(NotificationsAction::Drop {
            ids,
            case,
            older_than,
        }) => {
            drop_some(settings, &ids, case.as_deref(), older_than.as_deref(), out)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(NotificationsAction::Retry { ids, case }) => {
            retry(settings, &ids, case.as_deref(), out)
        }
    }
}

/// Every notification in the ledger (of one case, if given).
fn queue_of(ledger: &dyn Store, case: Option<&str>) -> Result<BTreeMap<u64, Notification>> {
    Ok(match case {
        Some(c) => outbox::fold(&ledger.read_case(c)?),
        None => {
            let mut queue = BTreeMap::new();
            ledger.visit(&mut |r| outbox::push(&mut queue, &r))?;
            queue
        }
    })
}

fn list(settings: &Settings, args: &NotificationsArgs, out: &mut Output) -> Result<()> {
    let policy = policy_cmd::load(&settings.policy)?;
    let case = args.case.as_deref().map(id::parse).transpose()?;
    let ledger = settings.store()?;
    let queue = queue_of(&*ledger, case.as_deref())?;
    let selected: Vec<&Notification> = queue
        .values()
        .filter(|n| args.state.as_deref().is_none_or(|s| n.state.as_str() == s))
        .filter(|n| {
            args.audience
                .as_deref()
                .is_none_or(|a| n.audience.as_str() == a)
        })
        .collect();
    if settings.json {
        return out.json(&selected);
    }
    if selected.is_empty() {
        return out.say("no notifications");
    }
    let tz = policy.defaults.timezone;
    let t = table([
        "id", "case", "action", "for", "state", "to", "queued", "message",
    ]);
    let cells = |i: usize| {
        let n = selected[i];
        let state = match (n.state, &n.last_error) {
            (outbox::State::Failed, Some(e)) => {
                let mut s = format!(
                    "failed ×{} ({e}); retry after {}",
                    n.attempts,
                    n.retry_after.map_or("-".into(), |r| local_time(r, tz))
                );
                if let Some(err) = &n.stderr {
                    s.push_str(&format!("\nstderr: {}", err.trim_end()));
                }
                s
            }
            (s, _) => match &n.ended {
                Some(why) => format!("{} ({why})", s.as_str()),
                None => s.as_str().to_string(),
            },
        };
        vec![
            n.id.as_str().into(),
            n.case.as_str().into(),
            n.action.as_str().into(),
            n.audience.as_str().into(),
            state.into(),
            n.recipients.join(", ").into(),
            local_time(n.at, tz).into(),
            n.message.as_str().into(),
        ]
    };
    out.table(&t, selected.len(), &cells, "\n")
}

/// The open notifications chosen by ids and/or case (every open one when neither is given).
fn chosen<'q>(
    queue: &'q BTreeMap<u64, Notification>,
    ids: &[u64],
) -> Result<Vec<&'q Notification>> {
    for s in ids {
        match queue.get(s) {
            None => bail!("there is no notification N-{s}: `esc notifications` lists them"),
            Some(n) if !n.state.is_open() => bail!(
                "notification N-{s} is already {}: only pending or failed ones can be dropped or retried",
                n.state.as_str()
            ),
            Some(_) => {}
        }
    }
    Ok(queue
        .values()
        .filter(|n| n.state.is_open() && (ids.is_empty() || ids.contains(&n.seq)))
        .collect())
}

fn drop_some(
    settings: &Settings,
    ids: &[String],
    case: Option<&str>,
    older_than: Option<&str>,
    out: &mut Output,
) -> Result<()> {
    if ids.is_empty() && case.is_none() && older_than.is_none() {
        bail!(
            "say which notifications to drop: ids (N-12), --case ID or --older-than DUR (e.g. 2d)"
        );
    }
    let seqs = seqs(ids)?;
    let case = case.map(id::parse).transpose()?;
    let policy_hash = policy_cmd::load(&settings.policy).ok().map(|p| p.hash);
    let older = older_than
        .map(|d| duration::parse(d).map_err(|e| anyhow!("--older-than: {e}")))
        .transpose()?;
    let ledger = settings.store()?;
    let mut guard = ledger.lock()?;
    let mut queue = BTreeMap::new();
    match &case {
        Some(c) => {
            for r in guard.read_case(c)? {
                outbox::push(&mut queue, &r);
            }
        }
        None => {
            guard.visit(&mut |r| outbox::push(&mut queue, &r))?;
        }
    }
    let picked: Vec<&Notification> = chosen(&queue, &seqs)?
        .into_iter()
        .filter(|n| older.is_none_or(|d| settings.now - n.due > d))
        .collect();
    let new: Vec<NewEvent> = picked
        .iter()
        .map(|n| NewEvent {
            at: settings.now,
            actor: settings.actor.clone(),
            case: n.case.clone(),
            event: Event::NotificationEnded {
                notification: n.seq,
                outcome: Ending::Dropped,
                reason: Some(format!("dropped by {}", settings.actor)),
            },
            policy: policy_hash.clone(),
        })
        .collect();
    if !new.is_empty() {
        guard.append(new)?;
    }
    drop(guard);
    if settings.json {
        let ids: Vec<&str> = picked.iter().map(|n| n.id.as_str()).collect();
        return out.json(&serde_json::json!({"dropped": ids}));
    }
    if picked.is_empty() {
        return out.say("no undelivered notifications match: nothing dropped");
    }
    let ids: Vec<&str> = picked.iter().map(|n| n.id.as_str()).collect();
    out.say(&format!(
        "dropped {} notification{}: {}",
        picked.len(),
        if picked.len() == 1 { "" } else { "s" },
        ids.join(", ")
    ))
}

fn retry(
    settings: &Settings,
    ids: &[String],
    case: Option<&str>,
    out: &mut Output,
) -> Result<ExitCode> {
    let policy = policy_cmd::load(&settings.policy)?;
    if !policy.notify.delivers() {
        bail!(
            "the policy has no delivery channel: set [notify] command, [notify.webhook] or [notify.email] first"
        );
    }
    let seqs = seqs(ids)?;
    let case = case.map(id::parse).transpose()?;
    let ledger = settings.store()?;
    let mut folder = crate::case::Folder::new(false);
    folder.reserve(ledger.cases_hint());
    let mut guard = ledger.lock()?;
    let mut queue = BTreeMap::new();
    guard.visit(&mut |r| {
        if case.as_ref().is_none_or(|c| *c == r.case) {
            outbox::push_pending(&mut queue, &r);
        }
        folder.push(r);
    })?;
    let cases = folder.finish()?;
    let picked: BTreeMap<u64, Notification> = chosen(&queue, &seqs)?
        .into_iter()
        .map(|n| (n.seq, n.clone()))
        .collect();
    let titles: HashMap<String, deliver::CaseFacts> = cases
        .iter()
        .map(|c| (c.id.to_string(), deliver::CaseFacts::of(c)))
        .collect();
    let mut d = Delivery::default();
    deliver_due(
        &policy,
        settings,
        &mut *guard,
        &picked,
        &titles,
        Duration::from_secs(u64::MAX / 4),
        true,
        &mut d,
    )?;
    drop(guard);
    if settings.json {
        let sent: Vec<&str> = d.sent.iter().map(|n| n.id.as_str()).collect();
        let failed: Vec<serde_json::Value> = d
            .failed
            .iter()
            .map(|(n, e)| serde_json::json!({"id": n.id, "error": e}))
            .collect();
        let ended: Vec<serde_json::Value> = d
            .ended
            .iter()
            .map(|(n, e)| serde_json::json!({"id": n.id, "state": e.as_str()}))
            .collect();
        out.json(&serde_json::json!({"sent": sent, "failed": failed, "ended": ended}))?;
    } else {
        for n in &d.sent {
            out.line(&format!("{} delivered ({})", n.id, n.case))?;
        }
        for (n, e) in &d.failed {
            out.line(&format!("{} failed: {e} (stays queued)", n.id))?;
        }
        for (n, e) in &d.ended {
            out.line(&format!("{} {}: not delivered", n.id, e.as_str()))?;
        }
        if d.sent.is_empty() && d.failed.is_empty() && d.ended.is_empty() {
            out.say("no undelivered notifications match: nothing to retry")?;
        }
    }
    Ok(exit_status(&d))
}
