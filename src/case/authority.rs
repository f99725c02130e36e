//! Authority: who may take the decisions the tool gates. Pure — a function of (policy, case,
//! actor, events, now).
//!
//! A command first decides its events ([`super::transition`], [`crate::sweep`]); [`check`]
//! then reads what those events do — approve or reject a proposal, escalate on a path, skip
//! tiers, declare or stand down a major incident, waive a review, close without the
//! follow-up — and refuses unless the actor holds that authority. `[authority]` in the
//! policy names the holders of each decision; where it says nothing, [`holders`] gives the
//! default the authority matrix implies (see docs/governance.md).

use super::event::Event;
use super::fold::Case;
use super::transition::Refusal;
use crate::policy::{Holder, Policy, Step, UnknownActors};
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

/// A decision that needs authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Act {
    /// Approve or reject a trigger's proposal.
    Decide {
        trigger: String,
    },
    /// Escalate on a path.
    Escalate {
        path: String,
    },
    /// Escalate past the next tier on a path.
    SkipTiers {
        path: String,
    },
    DeclareMajor,
    StandDown,
    WaiveReview,
    CloseWithoutFollowup,
}

impl Act {
    /// In words, after "may not".
    pub fn describe(&self) -> String {
        match self {
            Act::Decide { trigger } => format!("approve or reject trigger `{trigger}`'s proposal"),
            Act::Escalate { path } => format!("escalate on the {path} path"),
            Act::SkipTiers { path } => format!("skip tiers on the {path} path"),
            Act::DeclareMajor => "declare a major incident".into(),
            Act::StandDown => "stand a major incident down".into(),
            Act::WaiveReview => "waive the review".into(),
            Act::CloseWithoutFollowup => "close without the follow-up".into(),
        }
    }

    /// The `[authority]` key that sets its holders.
    pub fn key(&self) -> String {
        match self {
            Act::Decide { trigger } => format!("triggers.{trigger} (or approve)"),
            Act::Escalate { path } => format!("escalate.{path}"),
            Act::SkipTiers { .. } => "skip_tiers".into(),
            Act::DeclareMajor => "major".into(),
            Act::StandDown => "stand_down".into(),
            Act::WaiveReview => "waive_review".into(),
            Act::CloseWithoutFollowup => "close_without_followup".into(),
        }
    }

    /// The RACI step whose Accountable `accountable` means.
    fn step(&self) -> Step {
        match self {
            Act::Decide { .. } | Act::Escalate { .. } | Act::SkipTiers { .. } => Step::Escalate,
            Act::DeclareMajor | Act::StandDown => Step::Major,
            Act::WaiveReview => Step::Review,
            Act::CloseWithoutFollowup => Step::Close,
        }
    }
}

/// Who holds `act` on `case`: the policy's `[authority]` entry, else the default —
/// proposals: `tier`; escalating on the case's own path: `anyone`, on another path: `tier`
/// and the roles of that path's tiers; skipping tiers: `tier` and the roles of the tiers
/// skipped and above; declaring a major incident:
/// `anyone`; standing it down: `commander` and `tier`; waiving a review and closing without
/// the follow-up: `accountable`.
pub fn holders(policy: &Policy, case: &Case, act: &Act) -> Vec<Holder> {
    let a = &policy.authority;
    let set = match act {
        Act::Decide { trigger } => a.triggers.get(trigger).or(a.approve.as_ref()),
        Act::Escalate { path } => a.escalate.get(path),
        Act::SkipTiers { .. } => a.skip_tiers.as_ref(),
        Act::DeclareMajor => a.major.as_ref(),
        Act::StandDown => a.stand_down.as_ref(),
        Act::WaiveReview => a.waive_review.as_ref(),
        Act::CloseWithoutFollowup => a.close_without_followup.as_ref(),
    };
    if let Some(set) = set {
        return set.clone();
    }
    // `tier` and the roles of a path's tiers from `from` up.
    let tier_and_path = |path: &str, from: usize| {
        let mut out = vec![Holder::Tier];
        let tiers = policy.path(path).map(|p| p.tiers.as_slice()).unwrap_or(&[]);
        for t in tiers.iter().skip(from).filter_map(|t| policy.tier(t)) {
            let role = Holder::Role(t.role.clone());
            if !out.contains(&role) {
                out.push(role);
            }
        }
        out
    };
    match act {
        Act::Decide { .. } => vec![Holder::Tier],
        Act::SkipTiers { path } => {
            let tiers = policy.path(path).map(|p| p.tiers.as_slice()).unwrap_or(&[]);
            let next = case
                .tier_on(path)
                .and_then(|c| tiers.iter().position(|t| t == c))
                .map_or(0, |i| i + 1);
            tier_and_path(path, next)
        }
        Act::Escalate { path } if *path == case.home_path => vec![Holder::Anyone],
        Act::Escalate { path } => tier_and_path(path, 0),
        Act::DeclareMajor => vec![Holder::Anyone],
        Act::StandDown => vec![Holder::Commander, Holder::Tier],
        Act::WaiveReview | Act::CloseWithoutFollowup => vec![Holder::Accountable],
    }
}

/// Everyone who may act as a member of `role` at `now`: its members (in any roster) and
/// whoever is on duty for it (an on-call override included).
fn role_members(policy: &Policy, role: &str, now: DateTime<Utc>) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = policy
        .roles
        .get(role)
        .map(|r| {
            r.members
                .iter()
                .chain(r.roster.iter().flat_map(|c| c.members.iter()))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    out.extend(policy.on_duty(role, now).map(|d| d.person));
    out
}

/// The people who hold `tier`: members of the role of the case's tier on each path it is
/// on and of every tier above it there, and the owner.
fn tier_people(policy: &Policy, case: &Case, now: DateTime<Utc>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (path, level) in &case.levels {
        let Some(p) = policy.path(path) else { continue };
        let from = p.tiers.iter().position(|t| *t == level.tier).unwrap_or(0);
        for tier in &p.tiers[from..] {
            if let Some(t) = policy.tier(tier) {
                out.extend(role_members(policy, &t.role, now));
            }
        }
    }
    out.insert(case.owner.to_string());
    out
}

/// The people one holder names on `case` (`None` for `anyone`).
fn people(
    policy: &Policy,
    case: &Case,
    holder: &Holder,
    step: Step,
    now: DateTime<Utc>,
) -> Option<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    match holder {
        Holder::Anyone => return None,
        Holder::Role(r) => out.extend(role_members(policy, r, now)),
        Holder::Person(p) => {
            out.insert(p.clone());
        }
        Holder::Owner => {
            out.insert(case.owner.to_string());
        }
        Holder::Tier => out.extend(tier_people(policy, case, now)),
        Holder::Accountable => {
            if let Some(r) = policy.raci_for(&case.case_type, step) {
                let party = &r.accountable;
                match party {
                    crate::policy::Party::Role(role) => {
                        out.extend(role_members(policy, role, now));
                    }
                    other => out.extend(super::raci::people(policy, case, other, now)),
                }
            }
        }
        Holder::Commander => {
            out.extend(
                case.major
                    .iter()
                    .filter(|m| m.stood_down_at.is_none())
                    .map(|m| m.commander.clone()),
            );
        }
    }
    out.remove("");
    Some(out)
}

/// Whether `actor` holds `act` on `case`; the refusal names who does.
pub fn may(
    policy: &Policy,
    case: &Case,
    actor: &str,
    act: &Act,
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    let holders = holders(policy, case, act);
    let mut who: BTreeSet<String> = BTreeSet::new();
    for h in &holders {
        match people(policy, case, h, act.step(), now) {
            None => return Ok(()),
            Some(p) => who.extend(p),
        }
    }
    if who.contains(actor) {
        return Ok(());
    }
    let words: Vec<&str> = holders.iter().map(Holder::as_str).collect();
    let people = if who.is_empty() {
        "nobody at the moment".to_string()
    } else {
        who.into_iter().collect::<Vec<_>>().join(", ")
    };
    Err(Refusal::Invalid(format!(
        "{actor} may not {} on {}: [authority] {} is {} ({people}); ask one of them, or change the policy",
        act.describe(),
        case.id,
        act.key(),
        if words.is_empty() {
            "empty".to_string()
        } else {
            words.join(", ")
        },
    )))
}

/// The actor must be a person of the policy unless `[defaults] unknown_actors = "allow"`.
pub fn known_actor(policy: &Policy, actor: &str) -> Result<(), Refusal> {
    if policy.defaults.unknown_actors == UnknownActors::Allow || policy.people().contains(actor) {
        return Ok(());
    }
    let hint = crate::policy::source::suggestion(actor, policy.people());
    Err(Refusal::Invalid(format!(
        "`{actor}` is not a person of the policy{hint}: give --actor (or ESC_ACTOR) as one of the people listed in [roles], or set `[defaults] unknown_actors = \"allow\"`"
    )))
}

/// The decisions `events` take on `case` that need authority.
pub fn acts(policy: &Policy, events: &[Event]) -> Vec<Act> {
    let mut out = Vec::new();
    for e in events {
        match e {
            // Approving takes the trigger's actions: deciding is the one authority needed.
            Event::Approved { trigger } | Event::Rejected { trigger, .. } => {
                return vec![Act::Decide {
                    trigger: trigger.clone(),
                }];
            }
            Event::Escalated {
                path,
                from,
                to,
                by: None,
                ..
            } => {
                out.push(Act::Escalate { path: path.clone() });
                let tiers = policy.path(path).map(|p| p.tiers.as_slice()).unwrap_or(&[]);
                let at = |t: &str| tiers.iter().position(|x| x == t);
                let next = from.as_deref().and_then(at).map_or(0, |i| i + 1);
                if at(to).is_some_and(|i| i > next) {
                    out.push(Act::SkipTiers { path: path.clone() });
                }
            }
            Event::MajorDeclared { trigger: None, .. } => out.push(Act::DeclareMajor),
            Event::MajorStoodDown { .. } => out.push(Act::StandDown),
            Event::Closed {
                review_waived,
                without_followup,
            } => {
                if review_waived.is_some() {
                    out.push(Act::WaiveReview);
                }
                if without_followup.is_some() {
                    out.push(Act::CloseWithoutFollowup);
                }
            }
            _ => {}
        }
    }
    out
}

/// The actor is known (see [`known_actor`]) and holds every decision `events` take.
pub fn check(
    policy: &Policy,
    case: &Case,
    actor: &str,
    events: &[Event],
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    known_actor(policy, actor)?;
    for act in acts(policy, events) {
        may(policy, case, actor, &act, now)?;
    }
    Ok(())
}

/// `policy explain`'s authority table: each decision, who holds it, and whether the policy
/// says so or it is the default.
pub fn explain_rows(policy: &Policy) -> Vec<[String; 3]> {
    let a = &policy.authority;
    let words = |h: &[Holder]| {
        if h.is_empty() {
            "nobody".to_string()
        } else {
            h.iter().map(Holder::as_str).collect::<Vec<_>>().join(", ")
        }
    };
    let row = |what: String, set: Option<&Vec<Holder>>, default: String| match set {
        Some(h) => [what, words(h), "policy".into()],
        None => [what, default, "default".into()],
    };
    let mut out = vec![row(
        "approve or reject a trigger's proposal".into(),
        a.approve.as_ref(),
        "tier".into(),
    )];
    for (t, h) in &a.triggers {
        out.push([
            format!("approve or reject trigger `{t}`"),
            words(h),
            "policy".into(),
        ]);
    }
    for p in &policy.paths {
        let mut roles: Vec<String> = Vec::new();
        for t in p.tiers.iter().filter_map(|t| policy.tier(t)) {
            if !roles.contains(&t.role) {
                roles.push(t.role.clone());
            }
        }
        out.push(row(
            format!("escalate on the {} path", p.name),
            a.escalate.get(&p.name),
            format!(
                "anyone on a case opened on it; else tier, {}",
                roles.join(", ")
            ),
        ));
    }
    out.push(row(
        "skip tiers".into(),
        a.skip_tiers.as_ref(),
        "tier; the roles of the tiers skipped and above".into(),
    ));
    out.push(row(
        "declare a major incident".into(),
        a.major.as_ref(),
        "anyone".into(),
    ));
    out.push(row(
        "stand a major incident down".into(),
        a.stand_down.as_ref(),
        "commander, tier".into(),
    ));
    out.push(row(
        "waive a required review".into(),
        a.waive_review.as_ref(),
        "accountable (of the review step)".into(),
    ));
    out.push(row(
        "close without the follow-up".into(),
        a.close_without_followup.as_ref(),
        "accountable (of the close step)".into(),
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(extra: &str) -> Policy {
        let text = format!(
            "{}\n{extra}",
            include_str!("../../tests/fixtures/spec-excerpt.toml")
        );
        crate::policy::parse(&text).expect("valid")
    }

    fn case() -> Case {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-23T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let opened = crate::case::fixture::Opened {
            severity: "sev1".into(),
            tier: "L2".into(),
            owner: "carl".into(),
            ..Default::default()
        }
        .record(1, at);
        Case::fold(vec![opened]).unwrap().unwrap()
    }

    #[test]
    fn tier_reads_the_matrix_upwards_and_the_policy_overrides_a_default() {
        let p = policy("");
        let c = case();
        let now = c.opened_at;
        let decide = Act::Decide {
            trigger: "key-account-pileup".into(),
        };
        // At L2 (engineers): engineers may decide, agents (L1, below) may not.
        assert!(may(&p, &c, "dee", &decide, now).is_ok());
        let err = may(&p, &c, "ana", &decide, now).unwrap_err().to_string();
        assert!(
            err.contains("ana may not") && err.contains("carl, dee, eve"),
            "{err}"
        );
        // Escalating on the case's own path is anyone's; on management: tier or its roles.
        let own = Act::Escalate {
            path: "technical".into(),
        };
        assert!(may(&p, &c, "ana", &own, now).is_ok());
        let mgmt = Act::Escalate {
            path: "management".into(),
        };
        assert!(may(&p, &c, "gus", &mgmt, now).is_ok());
        assert!(may(&p, &c, "ana", &mgmt, now).is_err());
        // The policy's own list replaces the default.
        let p = policy("[authority.triggers]\nkey-account-pileup = [\"cfo\"]\n");
        assert!(may(&p, &c, "dee", &decide, now).is_err());
        assert!(may(&p, &c, "cfo", &decide, now).is_ok());
    }

    #[test]
    fn acts_are_read_from_the_events() {
        let p = policy("");
        let skip = Event::Escalated {
            path: "technical".into(),
            from: None,
            to: "L2".into(),
            owner: "carl".into(),
            reason: "r".into(),
            summary: None,
            tried: None,
            by: None,
            due: None,
        };
        // From nowhere on the path the next tier is its first (L1): L2 skips it.
        assert_eq!(
            acts(&p, std::slice::from_ref(&skip)),
            [
                Act::Escalate {
                    path: "technical".into()
                },
                Act::SkipTiers {
                    path: "technical".into()
                }
            ]
        );
        // The sweep's own escalations are not checked.
        let mut by_sweep = skip.clone();
        if let Event::Escalated { by, .. } = &mut by_sweep {
            *by = Some("budget".into());
        }
        assert!(acts(&p, &[by_sweep]).is_empty());
        assert!(known_actor(&p, "nobody").is_err());
        assert!(known_actor(&p, "fay").is_ok());
    }
}
