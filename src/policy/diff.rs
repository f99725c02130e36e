//! `esc policy diff`: what a policy change does. Pure.
//!
//! [`changes`] says in words what changed between two checked policies (targets, calendars,
//! tiers, routing, roles, RACI, triggers, accounts). [`impact`] says what the change does to
//! the open cases of a ledger: deadlines that move (the real SLA clocks under each policy),
//! the on-duty owner of their tier that changes, cases the new policy no longer describes
//! (orphaned), and triggers the real sweep planner would fire at once under the new policy
//! but not under the old.

use super::explain::describe_trigger;
use super::model::{Calendar, Policy, RaciTable};
use crate::case::Case;
use crate::sla::clock::{ClockKind, clocks};
use crate::sweep::{self, ActionKind};
use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;

fn keyed<'a, T>(old: &'a BTreeMap<String, T>, new: &'a BTreeMap<String, T>) -> BTreeSet<&'a str> {
    old.keys().chain(new.keys()).map(String::as_str).collect()
}

/// Added / removed / changed lines for two keyed collections, with `detail` describing a
/// change of an item present in both.
fn compare<T>(
    what: &str,
    old: &BTreeMap<String, T>,
    new: &BTreeMap<String, T>,
    detail: impl Fn(&T, &T) -> Vec<String>,
    out: &mut Vec<String>,
) {
    for k in keyed(old, new) {
        match (old.get(k), new.get(k)) {
            (None, Some(_)) => out.push(format!("{what} `{k}` added")),
            (Some(_), None) => out.push(format!("{what} `{k}` removed")),
            (Some(a), Some(b)) => {
                for d in detail(a, b) {
                    out.push(format!("{what} `{k}`: {d}"));
                }
            }
            (None, None) => {}
        }
    }
}

/// `field old → new` when they differ.
fn field<T: PartialEq + Display>(name: &str, a: T, b: T, out: &mut Vec<String>) {
    if a != b {
        out.push(format!("{name} {a} → {b}"));
    }
}

/// A list as written, `[a, b]`.
fn list(v: &[String]) -> String {
    format!("[{}]", v.join(", "))
}

/// An optional name, `none` for none.
fn opt(v: Option<&str>) -> &str {
    v.unwrap_or("none")
}

/// A duration in policy syntax, `none` for none.
fn dur(d: Option<TimeDelta>) -> String {
    d.map_or_else(|| "none".to_string(), super::duration::format)
}

fn calendar(a: &Calendar, b: &Calendar) -> Vec<String> {
    let mut out = Vec::new();
    field("timezone", a.timezone.name(), b.timezone.name(), &mut out);
    if a.hours != b.hours {
        out.push(format!(
            "hours {} → {}",
            super::explain::describe_hours(&a.hours),
            super::explain::describe_hours(&b.hours)
        ));
    }
    for d in b.holidays.difference(&a.holidays) {
        out.push(format!("holiday {d} added"));
    }
    for d in a.holidays.difference(&b.holidays) {
        out.push(format!("holiday {d} removed"));
    }
    out
}

fn raci(a: &RaciTable, b: &RaciTable) -> Vec<String> {
    let mut out = Vec::new();
    for step in crate::policy::Step::ALL {
        let (x, y) = (a.get(&step), b.get(&step));
        if x != y {
            let show = |r: Option<&crate::policy::Raci>| {
                r.map_or("(none)".to_string(), |r| {
                    let names = |v: &[crate::policy::Party]| {
                        v.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ")
                    };
                    format!(
                        "R {} / A {} / C {} / I {}",
                        names(&r.responsible),
                        r.accountable,
                        names(&r.consulted),
                        names(&r.informed)
                    )
                })
            };
            out.push(format!("{}: {} → {}", step.as_str(), show(x), show(y)));
        }
    }
    out
}

/// What changed from `old` to `new`, one line each, in words.
pub fn changes(old: &Policy, new: &Policy) -> Vec<String> {
    let mut out = Vec::new();
    field("name", &old.name, &new.name, &mut out);
    field("types", list(&old.types), list(&new.types), &mut out);
    field(
        "default severity",
        &old.defaults.severity,
        &new.defaults.severity,
        &mut out,
    );
    field(
        "default type",
        &old.defaults.case_type,
        &new.defaults.case_type,
        &mut out,
    );
    field(
        "default path",
        &old.defaults.path,
        &new.defaults.path,
        &mut out,
    );
    compare(
        "calendar",
        &old.calendars,
        &new.calendars,
        calendar,
        &mut out,
    );
    let sev = |p: &Policy| -> BTreeMap<String, super::Severity> {
        p.severities
            .iter()
            .map(|s| (s.id.clone(), s.clone()))
            .collect()
    };
    compare(
        "severity",
        &sev(old),
        &sev(new),
        |a, b| {
            let mut o = Vec::new();
            field("calendar", &a.calendar, &b.calendar, &mut o);
            field(
                "response",
                dur(Some(a.response)),
                dur(Some(b.response)),
                &mut o,
            );
            field(
                "resolution",
                dur(Some(a.resolution)),
                dur(Some(b.resolution)),
                &mut o,
            );
            field(
                "update_every",
                dur(a.update_every),
                dur(b.update_every),
                &mut o,
            );
            field("warn_at", a.warn_at, b.warn_at, &mut o);
            field("skip_tiers", a.skip_tiers, b.skip_tiers, &mut o);
            o
        },
        &mut out,
    );
    compare(
        "role",
        &old.roles,
        &new.roles,
        |a, b| {
            let mut o = Vec::new();
            field("members", list(&a.members), list(&b.members), &mut o);
            let start = |r: &super::Role| r.start.map_or("none".into(), |d| d.to_string());
            field("start", start(a), start(b), &mut o);
            let roster = |r: &super::Role| -> String {
                r.roster
                    .iter()
                    .map(|c| format!("{}: {}", c.effective, list(&c.members)))
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            field("roster", roster(a), roster(b), &mut o);
            field("rotation", a.rotation.as_str(), b.rotation.as_str(), &mut o);
            o
        },
        &mut out,
    );
    let tiers = |p: &Policy| -> BTreeMap<String, super::Tier> {
        p.tiers.iter().map(|t| (t.id.clone(), t.clone())).collect()
    };
    compare(
        "tier",
        &tiers(old),
        &tiers(new),
        |a, b| {
            let mut o = Vec::new();
            field("path", &a.path, &b.path, &mut o);
            field(
                "calendar",
                opt(a.calendar.as_deref()),
                opt(b.calendar.as_deref()),
                &mut o,
            );
            field("role (routing)", &a.role, &b.role, &mut o);
            for s in keyed(&a.escalate_after, &b.escalate_after) {
                field(
                    &format!("budget for {s}"),
                    dur(a.escalate_after.get(s).copied()),
                    dur(b.escalate_after.get(s).copied()),
                    &mut o,
                );
            }
            o
        },
        &mut out,
    );
    let paths = |p: &Policy| -> BTreeMap<String, Vec<String>> {
        p.paths
            .iter()
            .map(|x| (x.name.clone(), x.tiers.clone()))
            .collect()
    };
    compare(
        "path",
        &paths(old),
        &paths(new),
        |a, b| {
            let mut o = Vec::new();
            field("tiers", list(a), list(b), &mut o);
            o
        },
        &mut out,
    );
    compare("RACI for", &old.raci, &new.raci, raci, &mut out);
    compare(
        "account",
        &old.accounts,
        &new.accounts,
        |a, b| {
            let mut o = Vec::new();
            field("key", a.key, b.key, &mut o);
            let sponsor =
                |x: &super::Account| x.sponsor.as_ref().map_or("none".into(), |p| p.to_string());
            field("sponsor", sponsor(a), sponsor(b), &mut o);
            field(
                "calendar",
                opt(a.calendar.as_deref()),
                opt(b.calendar.as_deref()),
                &mut o,
            );
            o
        },
        &mut out,
    );
    let triggers = |p: &Policy| -> BTreeMap<String, String> {
        p.triggers
            .iter()
            .map(|t| (t.name.clone(), describe_trigger(t)))
            .collect()
    };
    compare(
        "trigger",
        &triggers(old),
        &triggers(new),
        |a, b| {
            if a == b {
                vec![]
            } else {
                vec![format!("was \"{a}\", now \"{b}\"")]
            }
        },
        &mut out,
    );
    out
}

/// A deadline of an open case that moves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Moved {
    pub case: String,
    pub clock: ClockKind,
    pub old: DateTime<Utc>,
    pub new: DateTime<Utc>,
    /// `new - old` in minutes (negative: earlier).
    pub minutes: i64,
}

/// An open case whose tier is owned by someone else on duty under the new policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnerChange {
    pub case: String,
    pub tier: String,
    pub old: String,
    pub new: String,
}

/// An open case the new policy no longer describes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Orphaned {
    pub case: String,
    /// What it refers to that the new policy lacks, e.g. "severity `sev2`".
    pub unknown: Vec<String>,
}

/// A trigger that would fire (or propose) at once under the new policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fires {
    pub case: String,
    pub trigger: String,
    pub action: &'static str,
}

/// What a policy change does to the open cases.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Impact {
    pub deadlines: Vec<Moved>,
    pub owners: Vec<OwnerChange>,
    pub orphaned: Vec<Orphaned>,
    pub fire: Vec<Fires>,
}

/// What `new` does to the active cases, compared with `old`, at `now`.
pub fn impact(old: &Policy, new: &Policy, cases: &[Case], now: DateTime<Utc>) -> Impact {
    let mut out = Impact::default();
    let active: Vec<&Case> = cases.iter().filter(|c| c.is_active()).collect();
    let people = new.people();
    for c in &active {
        let mut unknown = Vec::new();
        if new.severity(&c.severity).is_none() {
            unknown.push(format!("severity `{}`", c.severity));
        }
        if !new.types.iter().any(|t| *t == c.case_type) {
            unknown.push(format!("type `{}`", c.case_type));
        }
        for (path, level) in &c.levels {
            if new.path(path).is_none() {
                unknown.push(format!("path `{path}`"));
            } else if new.tier(&level.tier).is_none() {
                unknown.push(format!("tier `{}`", level.tier));
            }
        }
        if !c.owner.is_empty() && !people.contains(c.owner.as_str()) {
            unknown.push(format!("person `{}` (the owner)", c.owner));
        }
        if !unknown.is_empty() {
            out.orphaned.push(Orphaned {
                case: c.id.to_string(),
                unknown,
            });
        }
        if let (Some(a), Some(b)) = (clocks(old, c, now), clocks(new, c, now)) {
            for (x, y) in a.iter().zip(b.iter()) {
                if let (Some(d0), Some(d1)) = (x.due, y.due)
                    && x.is_running()
                    && d0 != d1
                {
                    out.deadlines.push(Moved {
                        case: c.id.to_string(),
                        clock: x.kind,
                        old: d0,
                        new: d1,
                        minutes: (d1 - d0).num_minutes(),
                    });
                }
            }
        }
        if let Some(l) = c.levels.get(&c.home_path) {
            let before = crate::case::transition::tier_owner(old, &l.tier, now);
            let after = crate::case::transition::tier_owner(new, &l.tier, now);
            if before != after && !after.is_empty() {
                out.owners.push(OwnerChange {
                    case: c.id.to_string(),
                    tier: l.tier.to_string(),
                    old: before,
                    new: after,
                });
            }
        }
    }
    // Planned a case at a time, each action dropped once looked at: a catch-up over a large
    // ledger plans hundreds of thousands of actions.
    let fired = |p: &Policy| -> BTreeSet<(String, String, &'static str)> {
        let mut fired = BTreeSet::new();
        sweep::plan_each(p, cases, now, |_, a| {
            let (trigger, action) = match a.kind {
                ActionKind::Trigger { trigger } => (trigger, "trigger"),
                ActionKind::Proposed { trigger } => (trigger, "proposed"),
                _ => return,
            };
            fired.insert((a.case.into(), trigger, action));
        });
        fired
    };
    let before = fired(old);
    for (case, trigger, action) in fired(new) {
        if !before.contains(&(case.clone(), trigger.clone(), action)) {
            out.fire.push(Fires {
                case,
                trigger,
                action,
            });
        }
    }
    out
}
