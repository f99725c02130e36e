//! The escalation models beyond the tier ladder: swarming, major incidents and executive
//! sponsorship. Pure decisions — which events to record, or why not — shared by the
//! commands (`esc swarm`, `esc major`) and by the sweep's trigger actions.

use super::event::Event;
use super::fold::Case;
use super::raci;
use super::transition::Refusal;
use crate::policy::{Party, Policy};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// A role resolves to its on-duty member, a person to themself; anything else is refused.
pub fn person_or_role(policy: &Policy, name: &str, now: DateTime<Utc>) -> Result<String, Refusal> {
    if let Some(duty) = policy.on_duty(name, now) {
        return Ok(duty.person);
    }
    if policy.people().contains(name) {
        return Ok(name.to_string());
    }
    Err(Refusal::Unknown {
        what: "person or role",
        name: name.to_string(),
        hint: "name a role (its on-duty member joins) or a person listed as a member of a role"
            .into(),
    })
}

/// A person named in the policy, or a refusal.
pub fn person(policy: &Policy, name: &str, what: &'static str) -> Result<String, Refusal> {
    if policy.people().contains(name) {
        Ok(name.to_string())
    } else {
        Err(Refusal::Unknown {
            what,
            name: name.to_string(),
            hint: "name a person listed as a member of a role in the policy".into(),
        })
    }
}

fn must_be_active(case: &Case, action: &'static str) -> Result<(), Refusal> {
    if case.is_active() {
        Ok(())
    } else {
        Err(Refusal::WrongStatus {
            case: case.id.to_string(),
            status: case.status.as_str(),
            action,
            hint: "reopen it first with `esc reopen ID --reason …`".into(),
        })
    }
}

/// Start a swarm: members are roles or people; the facilitator is given or comes from
/// `[swarm] facilitator`.
pub fn start_swarm(
    policy: &Policy,
    case: &Case,
    with: &[String],
    facilitator: Option<&str>,
    trigger: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Event, Refusal> {
    must_be_active(case, "start a swarm")?;
    if case.swarming() {
        return Err(Refusal::Invalid(format!(
            "{} is already swarming (facilitator {}): end it first with `esc swarm {} --end --lessons …`",
            case.id,
            case.swarm.as_ref().map_or("", |s| s.facilitator.as_str()),
            case.id
        )));
    }
    let facilitator = match facilitator {
        Some(p) => person_or_role(policy, p, now)?,
        None => match &policy.swarm.facilitator {
            Some(role) => person_or_role(policy, role, now)?,
            None => {
                return Err(Refusal::Invalid(
                    "the policy names no `[swarm] facilitator`: give one with --facilitator PERSON"
                        .into(),
                ));
            }
        },
    };
    let mut members: Vec<String> = Vec::new();
    for w in with {
        let p = person_or_role(policy, w, now)?;
        if p != facilitator && !members.contains(&p) {
            members.push(p);
        }
    }
    if members.is_empty() && trigger.is_none() {
        return Err(Refusal::Invalid(
            "a swarm needs members besides the facilitator: give --with ROLE-OR-PERSON …".into(),
        ));
    }
    Ok(Event::SwarmStarted {
        facilitator,
        members,
        trigger: trigger.map(str::to_string),
    })
}

/// End the running swarm.
pub fn end_swarm(policy: &Policy, case: &Case, lessons: Option<&str>) -> Result<Event, Refusal> {
    if !case.swarming() {
        return Err(Refusal::Invalid(format!(
            "{} has no running swarm to end; start one with `esc swarm {} --with …`",
            case.id, case.id
        )));
    }
    let lessons = lessons.map(str::trim).filter(|l| !l.is_empty());
    if policy.swarm.lessons_required && lessons.is_none() {
        return Err(Refusal::Invalid(format!(
            "the policy requires lessons learned to end a swarm: `esc swarm {} --end --lessons \"…\"`",
            case.id
        )));
    }
    Ok(Event::SwarmEnded {
        lessons: lessons.map(str::to_string),
    })
}

/// Declare a major incident: every role of `[major] roles` must be filled.
pub fn declare_major(
    policy: &Policy,
    case: &Case,
    commander: &str,
    assignments: &[(String, String)],
    trigger: Option<&str>,
    room: &WarRoom,
) -> Result<Event, Refusal> {
    must_be_active(case, "be declared a major incident")?;
    if case.is_major() {
        return Err(Refusal::Invalid(format!(
            "{} is already a major incident (commander {}); `esc major {} --stand-down` ends it",
            case.id,
            case.major.as_ref().map_or("", |m| m.commander.as_str()),
            case.id
        )));
    }
    let commander = person(policy, commander, "commander")?;
    let mut roles: BTreeMap<String, String> = BTreeMap::new();
    if policy.major.roles.iter().any(|r| r == "commander") {
        roles.insert("commander".into(), commander.clone());
    }
    for (role, who) in assignments {
        if !policy.major.roles.contains(role) {
            return Err(Refusal::Unknown {
                what: "incident role",
                name: role.clone(),
                hint: format!(
                    "the policy's [major] roles are {}",
                    policy.major.roles.join(", ")
                ),
            });
        }
        roles.insert(role.clone(), person(policy, who, "person")?);
    }
    let missing: Vec<&str> = policy
        .major
        .roles
        .iter()
        .filter(|r| !roles.contains_key(*r))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        let flags: Vec<String> = missing
            .iter()
            .map(|r| format!("--role {r}=PERSON"))
            .collect();
        return Err(Refusal::Invalid(format!(
            "{}: every incident role must be filled; missing {}: give {}",
            case.id,
            missing.join(", "),
            flags.join(" ")
        )));
    }
    let clean = |o: &Option<String>| {
        o.as_ref()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let bridge = clean(&room.bridge);
    if let Some(b) = &bridge
        && !(b.starts_with("https://") || b.starts_with("http://"))
    {
        return Err(Refusal::Invalid(format!(
            "--bridge `{}` is not a URL: give the call's link, e.g. https://meet.example.com/inc-42",
            crate::render::one_line(b)
        )));
    }
    Ok(Event::MajorDeclared {
        commander,
        roles,
        trigger: trigger.map(str::to_string),
        bridge,
        channel: clean(&room.channel),
    })
}

/// Where a major incident is worked: the bridge (call) URL and the chat channel.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WarRoom {
    pub bridge: Option<String>,
    pub channel: Option<String>,
}

/// End the major incident.
pub fn stand_down(case: &Case) -> Result<Event, Refusal> {
    if !case.is_major() {
        return Err(Refusal::Invalid(format!(
            "{} is not a major incident: there is nothing to stand down",
            case.id
        )));
    }
    Ok(Event::MajorStoodDown {})
}

/// The people a case's account names as executive sponsor (empty without one).
pub fn sponsors(policy: &Policy, case: &Case, now: DateTime<Utc>) -> Vec<String> {
    raci::people(policy, case, &Party::Sponsor, now)
}

/// Roles a trigger fills by itself when it declares a major incident: the commander is the
/// major step's Accountable; another incident role goes to the on-duty member of a policy
/// role of the same name, else to the commander.
pub fn automatic_major(
    policy: &Policy,
    case: &Case,
    trigger: &str,
    now: DateTime<Utc>,
) -> Option<Event> {
    let commander = policy
        .raci_for(&case.case_type, crate::policy::Step::Major)
        .and_then(|r| {
            raci::people(policy, case, &r.accountable, now)
                .into_iter()
                .next()
        })
        .or_else(|| (!case.owner.is_empty()).then(|| case.owner.to_string()))?;
    let assignments: Vec<(String, String)> = policy
        .major
        .roles
        .iter()
        .filter(|r| *r != "commander")
        .map(|r| {
            let who = policy
                .on_duty(r, now)
                .map(|d| d.person)
                .unwrap_or_else(|| commander.clone());
            (r.clone(), who)
        })
        .collect();
    declare_major(
        policy,
        case,
        &commander,
        &assignments,
        Some(trigger),
        &WarRoom::default(),
    )
    .ok()
}

/// People an action brings in (swarm members, incident roles, sponsors): they are notified.
pub fn involved(events: &[Event]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in events {
        let people: Vec<String> = match e {
            Event::SwarmStarted {
                facilitator,
                members,
                ..
            } => std::iter::once(facilitator.clone())
                .chain(members.iter().cloned())
                .collect(),
            Event::MajorDeclared { roles, .. } => roles.values().cloned().collect(),
            Event::SponsorEngaged { sponsor, .. } => sponsor.clone(),
            Event::Escalated { owner, .. } => vec![owner.clone()],
            _ => Vec::new(),
        };
        for p in people {
            if !p.is_empty() && !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}
