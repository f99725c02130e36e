//! `esc simulate`: read the flags into a [`Scenario`], run it under each `--policy` with the
//! pure [`crate::simulate`], print the timeline (one policy) or the timelines side by side.
//! Nothing is read from or written to the ledger.

use super::output::Output;
use super::policy_cmd;
use super::settings::Settings;
use super::sweep_cmd::{action_json, action_what};
use crate::case::Event;
use crate::case::transition::{OpenRequest, Request, SituationForm};
use crate::cli::SimulateArgs;
use crate::policy::{Policy, duration};
use crate::render::{local_time, table};
use crate::simulate::{self, Entry, Scenario};
use crate::sla::calendar;
use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{Value, json};

/// A time on the command line, read by the tool's one time parser
/// ([`crate::timefmt::parse_time`]): RFC 3339, a date, a local date and time in the
/// policy's zone, or a form relative to `now`.
pub fn parse_time(text: &str, now: DateTime<Utc>, tz: Tz) -> Result<DateTime<Utc>> {
    crate::timefmt::parse_time(text, now, tz).map_err(|e| anyhow!("{e}"))
}

/// A time; relative forms (`+2h`) count from `opened`.
fn parse_at(text: &str, tz: Tz, opened: DateTime<Utc>) -> Result<DateTime<Utc>> {
    parse_time(text, opened, tz)
}

/// A request named on the command line, with its text (or a placeholder).
fn request(action: &str, text: &str) -> Result<Request> {
    let text = if text.trim().is_empty() {
        "simulated".to_string()
    } else {
        text.trim().to_string()
    };
    Ok(match action {
        "ack" => Request::Ack,
        "note" => Request::Note { text },
        "update" => Request::Update {
            text: Some(text),
            customer: false,
            form: SituationForm::default(),
            eta: None,
        },
        "escalate" => Request::Escalate {
            reason: Some(text.clone()),
            summary: Some(text.clone()),
            tried: Some(text),
            path: None,
            to: None,
        },
        "deescalate" => Request::Deescalate {
            reason: text,
            path: None,
        },
        "pause" => Request::Pause { reason: text },
        "resume" => Request::Resume,
        "resolve" => Request::Resolve {
            resolution: text,
            root_cause: None,
        },
        "close" => Request::Close {
            waive_review: None,
            without_followup: None,
        },
        "reopen" => Request::Reopen { reason: text },
        other => bail!(
            "`{other}` is not something simulate can do: use ack, note, update, escalate, deescalate, pause, resume, resolve, close or reopen"
        ),
    })
}

/// `--event "AT ACTION [TEXT]"`; AT is `+DUR`, RFC 3339 or `YYYY-MM-DD HH:MM`.
fn parse_event(text: &str, tz: Tz, opened: DateTime<Utc>) -> Result<(DateTime<Utc>, Request)> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let hint = || {
        anyhow!(
            "--event `{text}` is not \"AT ACTION [TEXT]\": e.g. \"+2h pause waiting on the customer\" or \"2026-12-07 09:30 ack\""
        )
    };
    // The time takes one word (`+2h`, RFC 3339) or two (`2026-12-07 09:30`).
    for n in [2usize, 1] {
        if words.len() > n
            && let Ok(at) = parse_at(&words[..n].join(" "), tz, opened)
        {
            let req = request(words[n], &words[n + 1..].join(" "))?;
            return Ok((at, req));
        }
    }
    Err(hint())
}

/// The scenario the flags describe, under one policy (local times use its time zone).
fn scenario(policy: &Policy, a: &SimulateArgs, now: DateTime<Utc>) -> Result<Scenario> {
    let tz = policy.defaults.timezone;
    // Relative forms of `--opened` (`yesterday 17:00`, `+1h`) count from the command's now.
    let opened = parse_time(&a.opened, now, tz).context("--opened")?;
    let mut actions = Vec::new();
    if let Some(at) = &a.ack {
        actions.push((parse_at(at, tz, opened).context("--ack")?, Request::Ack));
    }
    if let Some(at) = &a.resolve {
        actions.push((
            parse_at(at, tz, opened).context("--resolve")?,
            request("resolve", "")?,
        ));
    }
    for e in &a.events {
        actions.push(parse_event(e, tz, opened)?);
    }
    let until = if a.until.trim() == "resolved" {
        actions
            .iter()
            .filter(|(_, r)| matches!(r, Request::Resolve { .. }))
            .map(|(at, _)| *at)
            .min()
            .ok_or_else(|| {
                anyhow!("--until resolved needs a resolution: give --resolve AT (or an --event \"AT resolve\")")
            })?
    } else {
        opened + duration::parse(&a.until).map_err(|e| anyhow!("--until `{}`: {e}", a.until))?
    };
    let every = duration::parse(&a.every).map_err(|e| anyhow!("--every `{}`: {e}", a.every))?;
    if a.cases == 0 || a.cases > 100 {
        bail!("--cases {} is out of range: give 1 to 100", a.cases);
    }
    Ok(Scenario {
        open: OpenRequest {
            title: "simulated case".into(),
            severity: a.severity.clone(),
            case_type: a.case_type.clone(),
            account: a.account.clone(),
            reporter: None,
            channel: a.channel.clone(),
            labels: a.labels.clone(),
            description: None,
            dedup_key: None,
        },
        count: a.cases,
        opened,
        actions,
        until,
        every,
    })
}

/// One timeline row, ready for JSON and for the table.
struct Row {
    due: DateTime<Utc>,
    json: Value,
    what: String,
    told: String,
}

/// Open time on the case's calendar between the opening and `t`.
fn elapsed(policy: &Policy, s: &Scenario, t: DateTime<Utc>) -> String {
    let severity = s
        .open
        .severity
        .clone()
        .unwrap_or_else(|| policy.defaults.severity.clone());
    policy
        .case_calendar(&severity, s.open.account.as_deref())
        .map(|cal| duration::format(calendar::open_time_between(cal, s.opened, t)))
        .unwrap_or_default()
}

fn owner_change(events: &[Event]) -> Option<String> {
    events.iter().find_map(|e| match e {
        Event::Escalated { owner, .. } | Event::Deescalated { owner, .. } => Some(owner.clone()),
        Event::Assigned { to } => Some(to.clone()),
        _ => None,
    })
}

fn rows(policy: &Policy, s: &Scenario, timeline: &[Entry]) -> Vec<Row> {
    let tz = policy.defaults.timezone;
    timeline
        .iter()
        .map(|e| {
            let (due, mut json, what, events, at) = match e {
                Entry::Action { at, planned } => (
                    planned.due,
                    action_json(planned.action()),
                    action_what(&planned.kind),
                    &planned.events,
                    *at,
                ),
                Entry::Person { at, case, events } => {
                    let names: Vec<&str> = events.iter().map(Event::name).collect();
                    (
                        *at,
                        json!({"case": case, "action": "person", "events": names, "due": at}),
                        format!("(person) {}", names.join(", ")),
                        events,
                        *at,
                    )
                }
            };
            let notices = simulate::notices(events);
            let told = notices
                .iter()
                .map(|n| {
                    if n.audience == "customer" {
                        format!("{} (customer): {}", n.action, n.recipients.join(", "))
                    } else {
                        format!("{}: {}", n.action, n.recipients.join(", "))
                    }
                })
                .collect::<Vec<_>>()
                .join("; ");
            let owner = owner_change(events);
            if let Value::Object(m) = &mut json {
                m.insert("at".into(), json!(at));
                m.insert("local".into(), json!(local_time(due, tz)));
                m.insert("elapsed".into(), json!(elapsed(policy, s, due)));
                if let Some(o) = &owner {
                    m.insert("owner".into(), json!(o));
                }
                let n: Vec<Value> = notices
                    .iter()
                    .map(|n| json!({"action": n.action, "audience": n.audience, "recipients": n.recipients, "message": n.message}))
                    .collect();
                m.insert("notifications".into(), Value::Array(n));
            }
            let what = match &owner {
                Some(o) => format!("{what}; owner {o}"),
                None => what,
            };
            let what = match e {
                Entry::Action { planned, .. } if s.count > 1 => format!("{} {what}", planned.case),
                Entry::Person { case, .. } if s.count > 1 => format!("{case} {what}"),
                _ => what,
            };
            Row {
                due,
                json,
                what,
                told,
            }
        })
        .collect()
}

/// `esc simulate`.
pub fn simulate(settings: &Settings, args: &SimulateArgs, out: &mut Output) -> Result<()> {
    let mut runs: Vec<(String, Policy, Scenario, Vec<Row>)> = Vec::new();
    // Local times on the command line are read in the first policy's time zone, so every
    // policy simulates the same instants.
    let mut first: Option<Scenario> = None;
    for path in &settings.policies {
        let policy = policy_cmd::load(path)?;
        let s = match &first {
            Some(s) => s.clone(),
            None => scenario(&policy, args, settings.now)?,
        };
        first.get_or_insert_with(|| s.clone());
        let timeline = simulate::run(&policy, &s)
            .with_context(|| format!("simulating under {}", path.display()))?;
        let rows = rows(&policy, &s, &timeline);
        runs.push((path.display().to_string(), policy, s, rows));
    }
    if settings.json {
        let timelines: Vec<Value> = runs
            .iter()
            .map(|(path, _, _, rows)| {
                json!({"policy": path,
                    "timeline": rows.iter().map(|r| r.json.clone()).collect::<Vec<_>>()})
            })
            .collect();
        return match <[Value; 1]>::try_from(timelines) {
            Ok([one]) => out.json(&one),
            Err(all) => out.json(&json!({"policies": all})),
        };
    }
    let Some((_, first, s, _)) = runs.first() else {
        return Ok(());
    };
    let tz = first.defaults.timezone;
    out.line(&format!(
        "{} {} opened {} (sweep every {}, until {})",
        if s.count == 1 {
            "a".to_string()
        } else {
            format!("{} cases of", s.count)
        },
        s.open
            .severity
            .clone()
            .unwrap_or_else(|| first.defaults.severity.clone()),
        local_time(s.opened, tz),
        duration::format(s.every),
        local_time(s.until, tz)
    ))?;
    if let [(_, policy, s, rows)] = runs.as_slice() {
        let mut t = table(["due", "business time", "what", "told"]);
        for r in rows {
            t.add_row(vec![
                local_time(r.due, tz),
                elapsed(policy, s, r.due),
                r.what.clone(),
                r.told.clone(),
            ]);
        }
        if rows.is_empty() {
            out.line("nothing happens: no clock runs out and no trigger fires before the horizon")?;
            return Ok(());
        }
        return out.raw(&format!("{t}\n"));
    }
    // Side by side: one row per due time, one column per policy.
    let mut header = vec!["due".to_string()];
    header.extend(
        runs.iter()
            .map(|(path, p, _, _)| format!("{} ({path})", p.name)),
    );
    let mut t = table(header);
    let mut dues: Vec<DateTime<Utc>> = runs
        .iter()
        .flat_map(|r| r.3.iter().map(|row| row.due))
        .collect();
    dues.sort();
    dues.dedup();
    for due in dues {
        let mut cells = vec![local_time(due, tz)];
        for (_, _, _, rows) in &runs {
            let here: Vec<String> = rows
                .iter()
                .filter(|r| r.due == due)
                .map(|r| {
                    if r.told.is_empty() {
                        r.what.clone()
                    } else {
                        format!("{} (told {})", r.what, r.told)
                    }
                })
                .collect();
            cells.push(here.join("\n"));
        }
        t.add_row(cells);
    }
    out.raw(&format!("{t}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_and_offsets_parse() {
        let tz: Tz = "Europe/London".parse().unwrap();
        let opened = parse_time("2026-12-04 16:55", Utc::now(), tz).unwrap();
        assert_eq!(opened.to_rfc3339(), "2026-12-04T16:55:00+00:00");
        let summer = parse_time("2026-07-04T16:55", Utc::now(), tz).unwrap();
        assert_eq!(summer.to_rfc3339(), "2026-07-04T15:55:00+00:00");
        assert_eq!(
            parse_at("+2h", tz, opened).unwrap().to_rfc3339(),
            "2026-12-04T18:55:00+00:00"
        );
        assert!(parse_time("friday", Utc::now(), tz).is_err());
        let (at, req) = parse_event("2026-12-07 09:30 pause waiting on them", tz, opened).unwrap();
        assert_eq!(at.to_rfc3339(), "2026-12-07T09:30:00+00:00");
        assert_eq!(
            req,
            Request::Pause {
                reason: "waiting on them".into()
            }
        );
        assert!(parse_event("+1h dance", tz, opened).is_err());
    }
}
