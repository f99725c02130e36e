//! RACI for a case: the policy's matrix for the case's type, resolved to people.
//!
//! A role resolves to its on-duty member (the rotation of the day), a person to themself,
//! `owner` to the case's owner, `reporter` to its reporter (if any), `sponsor` to the
//! account's executive sponsor (if the account has one) and `commander` to the incident
//! commander once a major incident is declared (none before).

use super::fold::Case;
use crate::policy::{Party, Policy, Step};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

/// One step of the matrix resolved to people.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ResolvedRaci {
    pub step: Step,
    pub r: Vec<String>,
    pub a: Option<String>,
    pub c: Vec<String>,
    pub i: Vec<String>,
}

/// The people a party stands for on this case and date.
pub fn people(policy: &Policy, case: &Case, party: &Party, date: NaiveDate) -> Vec<String> {
    match party {
        Party::Role(r) => policy
            .roles
            .get(r)
            .map(|role| vec![role.on_duty(date).to_string()])
            .unwrap_or_default(),
        Party::Person(p) => vec![p.clone()],
        Party::Owner => vec![case.owner.clone()],
        Party::Reporter => case.reporter.iter().cloned().collect(),
        Party::Sponsor => case
            .account
            .as_ref()
            .and_then(|a| policy.accounts.get(a))
            .and_then(|a| a.sponsor.as_ref())
            .map(|s| people(policy, case, s, date))
            .unwrap_or_default(),
        Party::Commander => case
            .major
            .iter()
            .filter(|m| m.stood_down_at.is_none())
            .map(|m| m.commander.clone())
            .collect(),
    }
}

fn all(policy: &Policy, case: &Case, parties: &[Party], date: NaiveDate) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in parties {
        for person in people(policy, case, p, date) {
            if !person.is_empty() && !out.contains(&person) {
                out.push(person);
            }
        }
    }
    out
}

/// Every step the policy defines for the case's type, resolved.
pub fn resolve(policy: &Policy, case: &Case, date: NaiveDate) -> Vec<ResolvedRaci> {
    Step::ALL
        .into_iter()
        .filter_map(|step| {
            let raci = policy.raci_for(&case.case_type, step)?;
            Some(ResolvedRaci {
                step,
                r: all(policy, case, &raci.responsible, date),
                a: all(policy, case, std::slice::from_ref(&raci.accountable), date)
                    .into_iter()
                    .next(),
                c: all(policy, case, &raci.consulted, date),
                i: all(policy, case, &raci.informed, date),
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
    let d = now
        .with_timezone::<Tz>(&policy.defaults.timezone)
        .date_naive();
    let mut parties: Vec<Party> = Vec::new();
    if let Some(r) = policy.raci_for(&case.case_type, step) {
        parties.extend(r.consulted.iter().cloned());
        parties.extend(r.informed.iter().cloned());
    }
    parties.extend(extra.iter().cloned());
    let mut out: Vec<String> = Vec::new();
    for p in &parties {
        for person in people(policy, case, p, d) {
            if !person.is_empty() && !out.contains(&person) {
                out.push(person);
            }
        }
    }
    out
}
