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

/// Completion candidates for a case id: the ledger's unresolved cases first (with their
/// titles as help), then the rest. The ledger is the one `ESC_LEDGER` names, else the one
/// beside a discovered policy.
pub fn case_candidates() -> ArgValueCandidates {
    ArgValueCandidates::new(|| {
        let path = match std::env::var_os("ESC_LEDGER") {
            Some(p) => std::path::PathBuf::from(p),
            None => match std::env::current_dir()
                .ok()
                .and_then(|d| crate::store::paths::discover_policy(&d))
            {
                Some(p) => p.with_file_name("ledger.jsonl"),
                None => return Vec::new(),
            },
        };
        let Ok(ledger) = crate::store::open(&crate::store::Location::parse(&path)) else {
            return Vec::new();
        };
        let mut folder = crate::case::Folder::new(false);
        folder.reserve(ledger.cases_hint());
        if ledger.visit(&mut |r| folder.push(r)).is_err() {
            return Vec::new();
        }
        let mut cases = folder.finish().unwrap_or_default();
        cases.sort_by_key(|c| (!c.is_active(), crate::case::id::number(&c.id)));
        cases
            .into_iter()
            .map(|c| {
                CompletionCandidate::new(c.id.clone())
                    .help(Some(crate::render::one_line(&c.title).into()))
            })
            .collect()
    })
}
