//! Commands on cases: open, the lifecycle moves, show and list. Each loads the policy, takes
//! the ledger lock for writes, folds the case, asks the pure core what to record, appends it
//! in one synced write and prints.

use super::output::Output;
use super::policy_cmd;
use super::settings::Settings;
use crate::case::transition::{self, OpenRequest, Request};
use crate::case::{Case, Event, NewEvent, Record, id, raci, view};
use crate::cli::ListArgs;
use crate::policy::duration;
use crate::policy::{Policy, Status};
use crate::render::{local_time, table};
use crate::sla::clock::{ClockState, Clocks, clocks};
use crate::store::ledger::Ledger;
use anyhow::{Context, Result, anyhow};
use chrono_tz::Tz;

fn ledger(settings: &Settings) -> Result<Ledger> {
    Ok(Ledger::open(&settings.ledger)?)
}

/// Fold one case from its records, or say it does not exist.
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

/// `esc open`.
pub fn open(settings: &Settings, req: &OpenRequest, out: &mut Output) -> Result<()> {
    let policy = policy_cmd::load(&settings.policy)?;
    let event = transition::open(&policy, req, settings.now)?;
    let ledger = ledger(settings)?;
    let mut guard = ledger.lock()?;
    let case_id = id::format(guard.next_case_number()?);
    let records = guard.append(vec![NewEvent {
        at: settings.now,
        actor: settings.actor.clone(),
        case: case_id.clone(),
        event,
    }])?;
    drop(guard);
    let case = fold_case(&case_id, records, settings)?;
    let dues = clocks(&policy, &case, settings.now)
        .map(|k| {
            let tz = policy.defaults.timezone;
            let due =
                |c: &crate::sla::clock::Clock| c.due.map_or("-".into(), |d| local_time(d, tz));
            format!(
                "\n  response due {}, resolution due {}",
                due(&k.response),
                due(&k.resolution)
            )
        })
        .unwrap_or_default();
    report(settings, &policy, &case, out, |c| {
        format!(
            "opened {} ({}, {}) at {}, owner {}{dues}",
            c.id,
            c.severity,
            c.case_type,
            c.tier_on(&c.home_path).unwrap_or("-"),
            c.owner
        )
    })
}

/// Any move on an existing case.
pub fn change(settings: &Settings, input_id: &str, req: &Request, out: &mut Output) -> Result<()> {
    let case_id = id::parse(input_id)?;
    let policy = policy_cmd::load(&settings.policy)?;
    let ledger = ledger(settings)?;
    let mut guard = ledger.lock()?;
    let mut case = fold_case(&case_id, guard.read_case(&case_id)?, settings)?;
    let events = transition::decide(&policy, &case, req, settings.now)?;
    let new: Vec<NewEvent> = events
        .into_iter()
        .map(|event| NewEvent {
            at: settings.now,
            actor: settings.actor.clone(),
            case: case_id.clone(),
            event,
        })
        .collect();
    let records = guard.append(new)?;
    drop(guard);
    let described: Vec<String> = records.iter().map(|r| describe(&r.event)).collect();
    for r in records {
        case.apply(r, true)
            .with_context(|| format!("the ledger {} is inconsistent", settings.ledger.display()))?;
    }
    report(settings, &policy, &case, out, |c| {
        format!("{} {}", c.id, described.join("; "))
    })
}

/// Print a changed case: its JSON with `--json`, else one line.
fn report(
    settings: &Settings,
    policy: &Policy,
    case: &Case,
    out: &mut Output,
    line: impl Fn(&Case) -> String,
) -> Result<()> {
    if settings.json {
        out.json(&view::case_json(policy, case, settings.now, None, true))
    } else {
        out.say(&line(case))
    }
}

/// What an event did, in a few words (timeline and confirmations).
pub fn describe(e: &Event) -> String {
    match e {
        Event::Opened {
            severity,
            tier,
            owner,
            title,
            ..
        } => format!("opened ({severity}) at {tier}, owner {owner}: {title}"),
        Event::Acknowledged {} => "acknowledged".into(),
        Event::Assigned { to } => format!("assigned to {to}"),
        Event::Noted { text } => format!("note: {text}"),
        Event::Updated { text, customer } => {
            if *customer {
                format!("customer update: {text}")
            } else {
                format!("update: {text}")
            }
        }
        Event::Escalated {
            path,
            from,
            to,
            owner,
            reason,
            summary,
            tried,
            by,
            ..
        } => {
            let mut s = format!(
                "escalated on {path}: {} → {to} (now {owner}); reason: {reason}",
                from.as_deref().unwrap_or("none")
            );
            if let Some(x) = summary {
                s.push_str(&format!("; summary: {x}"));
            }
            if let Some(x) = tried {
                s.push_str(&format!("; tried: {x}"));
            }
            if let Some(x) = by {
                s.push_str(&format!(" [by {x}]"));
            }
            s
        }
        Event::Deescalated {
            path,
            from,
            to,
            reason,
            ..
        } => format!(
            "de-escalated on {path}: {from} → {}; reason: {reason}",
            to.as_deref().unwrap_or("none")
        ),
        Event::Paused { reason } => format!("paused: {reason}"),
        Event::Resumed {} => "resumed".into(),
        Event::Resolved {
            resolution,
            root_cause,
        } => match root_cause {
            Some(rc) => format!("resolved: {resolution} (root cause: {rc})"),
            None => format!("resolved: {resolution}"),
        },
        Event::FollowedUp { csat, comment } => {
            let mut s = "follow-up recorded".to_string();
            if let Some(c) = csat {
                s.push_str(&format!(", satisfaction {c}/5"));
            }
            if let Some(c) = comment {
                s.push_str(&format!(": {c}"));
            }
            s
        }
        Event::Closed {} => "closed".into(),
        Event::Reopened { reason } => format!("reopened: {reason}"),
        Event::SlaWarning { clock, .. } => format!("SLA warning: {} clock", clock.as_str()),
        Event::SlaBreach { clock, .. } => format!("SLA breach: {} clock", clock.as_str()),
        Event::TriggerFired { trigger, .. } => format!("trigger {trigger} fired"),
        Event::Proposed { trigger, .. } => format!(
            "trigger {trigger} proposes its actions: `esc approve ID {trigger}` or `esc reject ID {trigger}`"
        ),
        Event::Approved { trigger } => format!("proposal of trigger {trigger} approved"),
        Event::Rejected { trigger, reason } => match reason {
            Some(r) => format!("proposal of trigger {trigger} rejected: {r}"),
            None => format!("proposal of trigger {trigger} rejected"),
        },
        Event::Labelled { labels, .. } => format!("labelled {}", labels.join(", ")),
        Event::NotificationQueued {
            recipients,
            message,
            ..
        } => format!("notification to {}: {message}", recipients.join(", ")),
        Event::SwarmStarted {
            facilitator,
            members,
            ..
        } => format!(
            "swarm started: facilitator {facilitator}, members {}",
            members.join(", ")
        ),
        Event::SwarmEnded { lessons } => match lessons {
            Some(l) => format!("swarm ended; lessons: {l}"),
            None => "swarm ended".into(),
        },
        Event::MajorDeclared {
            commander, roles, ..
        } => {
            let r: Vec<String> = roles.iter().map(|(k, v)| format!("{k} {v}")).collect();
            format!(
                "major incident declared: commander {commander}; {}",
                r.join(", ")
            )
        }
        Event::MajorStoodDown {} => "major incident stood down".into(),
        Event::SponsorEngaged { sponsor, .. } => {
            format!("executive sponsor engaged: {}", sponsor.join(", "))
        }
        Event::NotificationDelivered { notification } => {
            format!("notification N-{notification} delivered")
        }
        Event::NotificationFailed {
            notification,
            attempt,
            error,
            ..
        } => format!("notification N-{notification} failed (attempt {attempt}): {error}"),
    }
}

/// `esc show`.
pub fn show(settings: &Settings, input_id: &str, out: &mut Output) -> Result<()> {
    let case_id = id::parse(input_id)?;
    let policy = policy_cmd::load(&settings.policy)?;
    let case = fold_case(&case_id, ledger(settings)?.read_case(&case_id)?, settings)?;
    let tz: Tz = policy.defaults.timezone;
    let date = settings.now.with_timezone(&tz).date_naive();
    let raci = raci::resolve(&policy, &case, date);
    if settings.json {
        return out.json(&view::case_json(
            &policy,
            &case,
            settings.now,
            Some(&raci),
            true,
        ));
    }
    let mut text = format!("{}  {}\n", case.id, case.title);
    let sev_label = policy
        .severity(&case.severity)
        .map_or(case.severity.clone(), |s| format!("{} ({})", s.id, s.label));
    text.push_str(&format!(
        "severity {sev_label} · type {} · status {} · owner {}\n",
        case.case_type,
        case.status.as_str(),
        case.owner
    ));
    let levels: Vec<String> = case
        .levels
        .iter()
        .map(|(p, l)| format!("{p}: {}", l.tier))
        .collect();
    text.push_str(&format!("levels: {}\n", levels.join(", ")));
    let mut facts: Vec<String> = Vec::new();
    if let Some(a) = &case.account {
        let name = policy.accounts.get(a).map_or(a.clone(), |acc| {
            if acc.key {
                format!("{} (key account)", acc.name)
            } else {
                acc.name.clone()
            }
        });
        facts.push(format!("account {name}"));
    }
    if let Some(r) = &case.reporter {
        facts.push(format!("reporter {r}"));
    }
    if let Some(c) = &case.channel {
        facts.push(format!("channel {c}"));
    }
    if !case.labels.is_empty() {
        facts.push(format!("labels {}", case.labels.join(", ")));
    }
    if !facts.is_empty() {
        text.push_str(&format!("{}\n", facts.join(" · ")));
    }
    if let Some(d) = &case.description {
        text.push_str(&format!("{d}\n"));
    }
    text.push_str(&format!("opened {}", local_time(case.opened_at, tz)));
    for (label, at) in [
        ("acknowledged", case.acknowledged_at),
        ("resolved", case.resolved_at),
        ("closed", case.closed_at),
    ] {
        if let Some(at) = at {
            text.push_str(&format!(" · {label} {}", local_time(at, tz)));
        }
    }
    if let Some(k) = clocks(&policy, &case, settings.now) {
        text.push_str(&format!("\n\nSLA\n{}", sla_table(&k, settings.now, tz)));
    }
    text.push_str("\n\nRACI\n");
    let mut t = table(["step", "R", "A", "C", "I"]);
    for row in &raci {
        t.add_row(vec![
            row.step.as_str().to_string(),
            row.r.join(", "),
            row.a.clone().unwrap_or_default(),
            row.c.join(", "),
            row.i.join(", "),
        ]);
    }
    text.push_str(&format!("{t}\n\nTimeline\n"));
    let mut t = table(["#", "when", "who", "what"]);
    for r in case
        .events
        .iter()
        .filter(|r| !matches!(r.event, Event::NotificationDelivered { .. }))
    {
        t.add_row(vec![
            r.seq.to_string(),
            local_time(r.at, tz),
            r.actor.clone(),
            describe(&r.event),
        ]);
    }
    text.push_str(&format!("{t}\n"));
    out.raw(&text)
}

/// "due in 1h30m" / "over by 20m" relative to now.
fn left(due: Option<chrono::DateTime<chrono::Utc>>, now: chrono::DateTime<chrono::Utc>) -> String {
    match due {
        Some(d) if d > now => format!("in {}", duration::format(d - now)),
        Some(d) => format!("over by {}", duration::format(now - d)),
        None => "-".into(),
    }
}

fn sla_table(k: &Clocks, now: chrono::DateTime<chrono::Utc>, tz: Tz) -> comfy_table::Table {
    let mut t = table(["clock", "state", "due", "left", "stopped"]);
    for c in k.iter() {
        let running = matches!(
            c.state,
            ClockState::Pending | ClockState::Warning | ClockState::Breached
        ) && c.at.is_none();
        t.add_row(vec![
            c.kind.as_str().to_string(),
            c.state.as_str().to_string(),
            c.due.map_or("-".into(), |d| local_time(d, tz)),
            if running {
                left(c.due, now)
            } else {
                String::new()
            },
            c.at.map_or(String::new(), |a| local_time(a, tz)),
        ]);
    }
    t
}

/// `esc list`.
pub fn list(settings: &Settings, args: &ListArgs, out: &mut Output) -> Result<()> {
    let policy = policy_cmd::load(&settings.policy)?;
    let status = match &args.status {
        Some(s) => Some(Status::parse(s).ok_or_else(|| {
            anyhow!(
                "--status `{s}` is not a status: use open, acknowledged, paused, resolved or closed"
            )
        })?),
        None => None,
    };
    let due_within = match &args.due_within {
        Some(d) => Some(duration::parse(d).map_err(|e| anyhow!("--due-within: {e}"))?),
        None => None,
    };
    let records = ledger(settings)?.read_all()?;
    let cases = Case::fold_all(records, false)
        .with_context(|| format!("the ledger {} is inconsistent", settings.ledger.display()))?;
    let matches = |c: &Case| {
        let status_ok = match status {
            Some(s) => c.status == s,
            None => args.all || c.status != Status::Closed,
        };
        status_ok
            && args.severity.as_ref().is_none_or(|s| c.severity == *s)
            && args.case_type.as_ref().is_none_or(|t| c.case_type == *t)
            && args
                .tier
                .as_ref()
                .is_none_or(|t| c.levels.values().any(|l| l.tier == *t))
            && args.owner.as_ref().is_none_or(|o| c.owner == *o)
            && args
                .account
                .as_ref()
                .is_none_or(|a| c.account.as_ref() == Some(a))
            && args.label.as_ref().is_none_or(|l| c.labels.contains(l))
    };
    let now = settings.now;
    let mut selected: Vec<(&Case, Option<Clocks>)> = cases
        .iter()
        .filter(|c| matches(c))
        .map(|c| (c, clocks(&policy, c, now)))
        .filter(|(_, k)| {
            let breached_ok = !args.breached || k.as_ref().is_some_and(Clocks::any_breached);
            let due_ok = due_within.is_none_or(|w| {
                k.as_ref()
                    .and_then(Clocks::next_due)
                    .is_some_and(|d| d <= now + w)
            });
            breached_ok && due_ok
        })
        .collect();
    // Closest to a breach first: breached cases, then by the next due time; then the rest.
    selected.sort_by_key(|(c, k)| {
        let breached = k
            .as_ref()
            .is_some_and(|k| k.any_breached() && c.is_active());
        let next = k.as_ref().and_then(Clocks::next_due);
        (
            !breached,
            next.is_none(),
            next,
            crate::case::id::number(&c.id),
        )
    });
    if settings.json {
        let arr: Vec<_> = selected
            .iter()
            .map(|(c, _)| view::case_json(&policy, c, settings.now, None, false))
            .collect();
        return out.json(&arr);
    }
    if selected.is_empty() {
        return out.say("no cases match");
    }
    let tz = policy.defaults.timezone;
    let mut t = table([
        "id", "sev", "status", "levels", "owner", "sla", "next due", "title",
    ]);
    for (c, k) in &selected {
        let levels: Vec<&str> = c.levels.values().map(|l| l.tier.as_str()).collect();
        let sla = match k {
            Some(k) if k.any_breached() => "breached",
            Some(k) if k.any_warning() => "warning",
            Some(k) if k.iter().any(|c| c.state == ClockState::Paused) => "paused",
            Some(_) if c.is_active() => "ok",
            _ => "",
        };
        let next = k.as_ref().and_then(Clocks::next_due);
        t.add_row(vec![
            c.id.clone(),
            c.severity.clone(),
            c.status.as_str().to_string(),
            levels.join(", "),
            c.owner.clone(),
            sla.to_string(),
            next.map_or(String::new(), |d| {
                format!("{} ({})", local_time(d, tz), left(Some(d), now))
            }),
            c.title.clone(),
        ]);
    }
    out.raw(&format!("{t}\n"))
}
