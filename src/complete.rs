//! Shell completion of values that come from the policy or the ledger: severities, types,
//! tiers, people, accounts, statuses and case ids. Used by clap_complete's dynamic
//! completion (`source <(COMPLETE=bash esc)`); the completer reads the policy named by
//! `ESC_POLICY` or discovered from the working directory, and offers nothing if there is none.

use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};

/// Which policy names to offer.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Severity,
    Type,
    Tier,
    Person,
    Account,
    Path,
}

fn policy() -> Option<crate::policy::Policy> {
    let path = match std::env::var_os("ESC_POLICY") {
        Some(p) => std::path::PathBuf::from(p),
        None => {
            let cwd = std::env::current_dir().ok()?;
            crate::store::paths::discover_policy(&cwd)
                .unwrap_or_else(crate::store::paths::config_policy)
        }
    };
    let text = std::fs::read_to_string(path).ok()?;
    crate::policy::parse(&text).ok()
}

/// The names of one kind the policy knows.
pub fn names(policy: &crate::policy::Policy, kind: Kind) -> Vec<String> {
    match kind {
        Kind::Severity => policy.severities.iter().map(|s| s.id.clone()).collect(),
        Kind::Type => policy.types.clone(),
        Kind::Tier => policy.tiers.iter().map(|t| t.id.clone()).collect(),
        Kind::Person => policy.people().into_iter().map(String::from).collect(),
        Kind::Account => policy.accounts.keys().cloned().collect(),
        Kind::Path => policy.paths.iter().map(|p| p.name.clone()).collect(),
    }
}

/// Completion candidates: the policy's names of this kind.
pub fn policy_candidates(kind: Kind) -> ArgValueCandidates {
    ArgValueCandidates::new(move || {
        policy()
            .map(|p| names(&p, kind))
            .unwrap_or_default()
            .into_iter()
            .map(CompletionCandidate::new)
            .collect::<Vec<_>>()
    })
}

/// Completion candidates for `--status`.
pub fn status_candidates() -> ArgValueCandidates {
    ArgValueCandidates::new(|| {
        crate::policy::Status::ALL
            .iter()
            .map(|s| s.as_str())
            .chain(["unresolved"])
            .map(CompletionCandidate::new)
            .collect::<Vec<_>>()
    })
}
