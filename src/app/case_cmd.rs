//! Commands on cases: open, the lifecycle moves, show and list. Each loads the policy, takes
//! the ledger lock for writes, folds the case, asks the pure core what to record, appends it
//! in one synced write and prints.

use super::output::Output;
use super::planned_write;
use super::policy_cmd;
use super::settings::Settings;
use crate::case::transition::{self, OpenRequest, Request};
use crate::case::{Case, Event, NewEvent, Record, authority, describe, id, raci, view};
use crate::notify::compose;
use crate::policy::Policy;
use crate::policy::duration;
use crate::render::{Grid, local_time, state_cell, table};
use crate::sla::clock::{ClockState, Clocks, clocks};
use crate::store::Store;
use anyhow::{Context, Result, anyhow};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

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
    let (policy, ledger) = policy_cmd::load_effective(settings)?;
    authority::known_actor(&policy, &settings.actor)?;
    // The case is decided and its notifications composed (templates rendered) before the
    // lock, for the number the case will most likely get; bad input is refused here, before
    // anything is touched. Under the lock, now is taken again (see Settings::for_write), and
    // the case is decided and composed again only if its number or the time changed while
    // this writer waited (templates are bounded by their fuel).
    let compose_for = |number: u64, s: &Settings| -> Result<(String, Vec<Event>)> {
        let event = transition::open(&policy, req, s.now)?;
        let case_id = id::format(number);
        let record = NewEvent {
            at: s.now,
            actor: s.actor.clone(),
            case: case_id.clone(),
            event: event.clone(),
            policy: Some(policy.hash.clone()),
        }
        .into_record(0);
        let case = fold_case(&case_id, vec![record], s)?;
        let mut batch = vec![event.clone()];
        batch.extend(compose::for_open(&policy, &case, &event, s.now)?);
        Ok((case_id, batch))
    };
    let (mut case_id, mut batch) = compose_for(ledger.next_case_number()?, settings)?;
    let mut guard = ledger.lock()?;
    let locked = &settings.for_write()?;
    if let Some(key) = &req.dedup_key {
        // Under the lock: an unresolved case with this key means nothing is recorded.
        let (state, _) = super::intake_cmd::keys_under_lock(&mut *guard)?;
        if let Some(c) = state.case_for(key.trim()).filter(|c| c.is_active()) {
            let case_id = c.id.clone();
            let case = fold_case(&case_id, guard.read_case(&case_id)?, locked)?;
            drop(guard);
            return report(locked, &policy, &case, out, |c| {
                format!(
                    "{} is already {} with dedup key `{}`: nothing recorded",
                    c.id,
                    c.status.as_str(),
                    crate::render::one_line(key.trim())
                )
            });
        }
    }
    let number = guard.next_case_number()?;
    if id::format(number) != case_id || locked.now != settings.now {
        (case_id, batch) = compose_for(number, locked)?;
    }
    let settings = locked;
    let records = guard.append(to_new(settings, &policy, &case_id, batch))?;
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

/// The events of one command (or sweep action) on one case, ready to append.
pub(super) fn to_new(
    settings: &Settings,
    policy: &Policy,
    case_id: &str,
    events: Vec<Event>,
) -> Vec<NewEvent> {
    events
        .into_iter()
        .map(|event| NewEvent {
            at: settings.now,
            actor: settings.actor.clone(),
            case: case_id.to_string(),
            event,
            policy: Some(policy.hash.clone()),
        })
        .collect()
}

/// Decide a request on a case and append the events with their notifications in one batch
/// (see [`append_planned`]). Returns the case as it was and the records.
pub fn decide_and_append(
    settings: &Settings,
    ledger: &dyn Store,
    policy: &Policy,
    case_id: &str,
    decide: impl Fn(&Case, DateTime<Utc>) -> Result<Vec<Event>>,
) -> Result<(Case, Vec<Record>)> {
    append_planned(settings, ledger, policy, case_id, |case, now| {
        let mut events = decide(case, now)?;
        // Who may: the actor is a person of the policy and holds what the events decide.
        authority::check(policy, case, &settings.actor, &events, now)?;
        let notices = compose::for_events(policy, case, &events, now)?;
        events.extend(notices);
        Ok(events)
    })
}

/// Plan the events of one command on one case (`plan` decides and composes their
/// notifications, which renders templates) before the write lock is taken, and append them in
/// one batch; if another writer changed the case meanwhile, the plan is made again on what is
/// there now (see [`planned_write`]). Returns the case as it was and the records.
pub fn append_planned(
    settings: &Settings,
    ledger: &dyn Store,
    policy: &Policy,
    case_id: &str,
    plan: impl Fn(&Case, DateTime<Utc>) -> Result<Vec<Event>>,
) -> Result<(Case, Vec<Record>)> {
    let last_seq = |records: &[Record]| records.last().map(|r| r.seq);
    let mut locked = planned_write::plan_then_lock(
        ledger,
        settings,
        |mut from, s| fold_case(case_id, from.read_case(case_id)?, s),
        |guard, seen| Ok(last_seq(&guard.read_case(case_id)?) != last_seq(&seen.events)),
        |case, s| plan(case, s.now),
    )?;
    let records = locked
        .guard
        .append(to_new(&locked.settings, policy, case_id, locked.plan))?;
    Ok((locked.seen, records))
}

/// Any move on an existing case.
pub fn change(settings: &Settings, input_id: &str, req: &Request, out: &mut Output) -> Result<()> {
    let case_id = id::parse(input_id)?;
    let (policy, ledger) = policy_cmd::load_effective(settings)?;
    let (mut case, records) =
        decide_and_append(settings, &*ledger, &policy, &case_id, |case, now| {
            Ok(transition::decide(&policy, case, req, now)?)
        })?;
    let described = described(&records);
    let declared = records
        .iter()
        .any(|r| matches!(r.event, Event::MajorDeclared { .. }));
    for r in records {
        case.apply(r, true)
            .with_context(|| format!("the ledger {} is inconsistent", settings.ledger.display()))?;
    }
    report(settings, &policy, &case, out, |c| {
        // Facts in one line, "; "-separated; after a multi-line one (a situation update)
        // the next starts on a line of its own.
        let mut text = c.id.clone();
        for (i, d) in described.iter().enumerate() {
            let after_block = i > 0 && described[i - 1].contains('\n');
            text.push_str(match (i, after_block) {
                (0, _) => " ",
                (_, true) => "\n",
                _ => "; ",
            });
            text.push_str(d);
        }
        if declared {
            text.push_str(&format!("\n\n{}", role_cards(&policy, c)));
        }
        text.to_string()
    })
}

/// What a command recorded, in words: each event, and who its notifications tell.
pub(super) fn described(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .map(|r| match &r.event {
            Event::NotificationQueued {
                recipients,
                audience: crate::case::event::Audience::Customer,
                ..
            } => format!("customer {} to be told", recipients.join(", ")),
            Event::NotificationQueued { recipients, .. } => {
                format!("notified {}", recipients.join(", "))
            }
            e => describe::event(e),
        })
        .collect()
}

/// The role cards of a declared major incident, for the people named.
fn role_cards(policy: &Policy, case: &Case) -> String {
    let Some(m) = &case.major else {
        return String::new();
    };
    let mut out = String::new();
    for (role, person) in &m.roles {
        out.push_str(&format!("{role}: {person}\n"));
        match policy.major.cards.get(role) {
            Some(card) => {
                for duty in &card.duties {
                    out.push_str(&format!("  - {duty}\n"));
                }
            }
            None => out.push_str("  (no card for this role in the policy)\n"),
        }
    }
    out.trim_end().to_string()
}

/// Every case of the ledger (without events), folded while reading.
pub fn all_cases(settings: &Settings) -> Result<Vec<Case>> {
    fold_cases(settings, |_| false, |_| false, None)
}

/// Every case as `esc list` and the reports see it: folded without the events none of them
/// looks at ([`crate::case::unread_by_reports`]), which are not read whole.
pub fn listed_cases(settings: &Settings) -> Result<Vec<Case>> {
    fold_cases(settings, |_| false, crate::case::unread_by_reports, None)
}

/// Lets go of what a whole-ledger command held (its folded cases) on a thread of its own:
/// freeing 100,000 cases one by one takes milliseconds once the answer is written, which
/// the command need not wait for (the end of the process returns the memory at once).
/// Where no thread starts, it is freed here.
pub fn let_go<T: Send + 'static>(held: T) {
    // A thread that does not start drops its closure, and `held` with it, here.
    let _ = std::thread::Builder::new()
        .name("esc-free".into())
        .spawn(move || drop(held));
}

/// Every case of the ledger, folded while it is read: each keeps the events `keep`
/// selects; the events `skip` names are left out (and not read whole); with `as_of`, so
/// are events after it.
pub fn fold_cases(
    settings: &Settings,
    keep: fn(&Event) -> bool,
    skip: fn(&str) -> bool,
    as_of: Option<DateTime<Utc>>,
) -> Result<Vec<Case>> {
    fold_cases_watching(settings, keep, skip, as_of, &mut |_| {})
}

/// [`fold_cases`], showing `watch` every record folded (before the fold takes it).
pub fn fold_cases_watching(
    settings: &Settings,
    keep: fn(&Event) -> bool,
    skip: fn(&str) -> bool,
    as_of: Option<DateTime<Utc>>,
    watch: &mut dyn FnMut(&Record),
) -> Result<Vec<Case>> {
    let mut folder = crate::case::Folder::keeping(keep);
    let store = settings.store()?;
    folder.reserve(store.cases_hint());
    store.visit_skipping(skip, &mut |r| {
        if as_of.is_none_or(|t| r.at <= t) {
            watch(&r);
            folder.push(r);
        }
    })?;
    folder
        .finish()
        .with_context(|| format!("the ledger {} is inconsistent", settings.ledger.display()))
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

/// `esc show`.
pub fn show(settings: &Settings, input_id: &str, out: &mut Output) -> Result<()> {
    let case_id = id::parse(input_id)?;
    let (policy, ledger) = policy_cmd::load_effective(settings)?;
    let case = fold_case(&case_id, ledger.read_case(&case_id)?, settings)?;
    let tz: Tz = policy.defaults.timezone;
    let raci = raci::resolve(&policy, &case, settings.now);
    if settings.json {
        return out.json(&view::case_json(
            &policy,
            &case,
            settings.now,
            Some(&raci),
            true,
        ));
    }
    let case = crate::case::view::for_people(&case);
    let mut text = format!("{}  {}\n", case.id, case.title);
    let sev_label = policy
        .severity(&case.severity)
        .map_or(case.severity.to_string(), crate::policy::Severity::display);
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
        facts.push(format!("account {}", policy.account_label(a)));
    }
    if let Some(r) = &case.more().reporter {
        facts.push(format!("reporter {r}"));
    }
    if let Some(c) = &case.more().channel {
        facts.push(format!("channel {c}"));
    }
    if !case.labels.is_empty() {
        facts.push(format!("labels {}", case.labels.join(", ")));
    }
    if !facts.is_empty() {
        text.push_str(&format!("{}\n", facts.join(" · ")));
    }
    if let Some(d) = &case.more().description {
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
    if let Some(sw) = &case.swarm {
        let state = match sw.ended_at {
            None => "running".to_string(),
            Some(at) => format!("ended {}", local_time(at, tz)),
        };
        text.push_str(&format!(
            "\n\nSwarm ({state}): facilitator {}, members {}",
            sw.facilitator,
            sw.members.join(", ")
        ));
        if let Some(l) = &sw.lessons {
            text.push_str(&format!("\nlessons: {l}"));
        }
    }
    if let Some(m) = &case.major {
        let state = match m.stood_down_at {
            None => "declared".to_string(),
            Some(at) => format!("stood down {}", local_time(at, tz)),
        };
        text.push_str(&format!(
            "\n\nMajor incident ({state}), commander {}",
            m.commander
        ));
        for (label, value) in [("bridge", &m.bridge), ("channel", &m.channel)] {
            if let Some(v) = value {
                text.push_str(&format!("\n{label}: {v}"));
            }
        }
        text.push_str(&format!("\n{}", role_cards(&policy, &case)));
    }
    if let Some(review) = &case.review {
        text.push_str(&format!(
            "\n\nReview ({} by {}): root cause: {}",
            local_time(review.at, tz),
            review.by,
            review.root_cause
        ));
        for a in &review.actions {
            let state = if a.done_at.is_some() { "done" } else { "open" };
            text.push_str(&format!(
                "\n  {}.{} [{state}] {} — {}, due {}",
                case.id, a.number, a.item.text, a.item.owner, a.item.due
            ));
        }
    }
    if !case.more().sponsor.is_empty() {
        text.push_str(&format!(
            "\n\nExecutive sponsor engaged: {}",
            case.more().sponsor.join(", ")
        ));
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
    let mut t = table(["#", "when", "who", "what", "policy"]);
    // The policy version is shown where it changed (the first event shows the first one).
    let mut version: Option<&str> = None;
    for (n, r) in case
        .events
        .iter()
        .filter(|r| !matches!(r.event, Event::NotificationDelivered { .. }))
        .enumerate()
    {
        let this = r.policy.as_deref();
        let shown = match this {
            Some(h) if this != version => h.to_string(),
            _ => String::new(),
        };
        version = this.or(version);
        t.add_row(vec![
            (n + 1).to_string(),
            local_time(r.at, tz),
            r.actor.to_string(),
            describe::event(&r.event),
            shown,
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

fn sla_table(k: &Clocks, now: chrono::DateTime<chrono::Utc>, tz: Tz) -> Grid {
    let mut t = table(["clock", "state", "due", "left", "stopped"]);
    for c in k.iter() {
        let running = matches!(
            c.state,
            ClockState::Pending | ClockState::Warning | ClockState::Breached
        ) && c.at.is_none();
        t.add_row(vec![
            c.kind.as_str().into(),
            state_cell(c.state.as_str()),
            c.due.map_or("-".into(), |d| local_time(d, tz)).into(),
            if running {
                left(c.due, now)
            } else {
                String::new()
            }
            .into(),
            c.at.map_or(String::new(), |a| local_time(a, tz)).into(),
        ]);
    }
    t
}
