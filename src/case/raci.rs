//! RACI for a case: the policy's matrix for the case's type, resolved to people.
//!
//! A role resolves to its on-duty member (an on-call override, else the rotation of the day), a person to themself,
//! `owner` to the case's owner, `reporter` to its reporter (if any), `sponsor` to the
//! account's executive sponsor (if the account has one) and `commander` to the incident
//! commander once a major incident is declared (none before).

use super::fold::Case;
use crate::policy::{Party, Policy, Step};
use chrono::{DateTime, Utc};

/// One step of the matrix resolved to people.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ResolvedRaci {
    pub step: Step,
    pub r: Vec<String>,
    pub a: Option<String>,
    pub c: Vec<String>,
    pub i: Vec<String>,
}

/// The people a party stands for on this case at `at` (a role: its on-duty member, an
/// on-call override included).
pub fn people(policy: &Policy, case: &Case, party: &Party, at: DateTime<Utc>) -> Vec<String> {
    match party {
        Party::Role(r) => policy
            .on_duty(r, at)
            .map(|d| vec![d.person])
            .unwrap_or_default(),
        Party::Person(p) => vec![p.clone()],
        Party::Owner => vec![case.owner.to_string()],
        Party::Reporter => case.more().reporter.iter().cloned().collect(),
        Party::Contacts => case
            .account
            .as_deref()
            .and_then(|a| policy.accounts.get(a))
            .map(|a| a.contacts.clone())
            .unwrap_or_default(),
        Party::Sponsor => policy
            .sponsor_for(case.account.as_deref(), &case.severity)
            .map(|s| people(policy, case, s, at))
            .unwrap_or_default(),
        Party::Commander => case
            .major
            .iter()
            .filter(|m| m.stood_down_at.is_none())
            .map(|m| m.commander.clone())
            .collect(),
    }
}

fn all(policy: &Policy, case: &Case, parties: &[Party], at: DateTime<Utc>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in parties {
        for person in people(policy, case, p, at) {
            if !person.is_empty() && !out.contains(&person) {
                out.push(person);
            }
        }
    }
    out
}

/// Every step the policy defines for the case's type, resolved.
pub fn resolve(policy: &Policy, case: &Case, at: DateTime<Utc>) -> Vec<ResolvedRaci> {
    Step::ALL
        .into_iter()
        .filter_map(|step| {
            let raci = policy.raci_for(&case.case_type, step)?;
            Some(ResolvedRaci {
                step,
                r: all(policy, case, &raci.responsible, at),
                a: all(policy, case, std::slice::from_ref(&raci.accountable), at)
                    .into_iter()
                    .next(),
                c: all(policy, case, &raci.consulted, at),
                i: all(policy, case, &raci.informed, at),
            })
        })
        .collect()
}

/// People to notify for an action at a step: Consulted and Informed (plus `extra`).
pub fn recipients(
    policy: &Policy,
    case: &Case,
    step: Step,
    extra: &[Party],
    now: DateTime<Utc>,
) -> Vec<String> {
    let mut parties: Vec<Party> = Vec::new();
    if let Some(r) = policy.raci_for(&case.case_type, step) {
        parties.extend(r.consulted.iter().cloned());
        parties.extend(r.informed.iter().cloned());
    }
    parties.extend(extra.iter().cloned());
    let mut out: Vec<String> = Vec::new();
    // Staff only: the customer's side is told in customer words (see notify::compose).
    for p in parties.iter().filter(|p| !p.is_customer()) {
        for person in people(policy, case, p, now) {
            if !person.is_empty() && !out.contains(&person) {
                out.push(person);
            }
        }
    }
    out
}
