//! Policy provenance: the short content hash that names a policy version. Every event
//! records the hash of the policy it was decided under (`policy` in the ledger envelope), so
//! `esc show` and `esc policy log` can tell which version applied when.
//!
//! The hash is the first 12 hex digits of the SHA-256 of the policy file's bytes, the same
//! as `sha256sum policy.toml | cut -c1-12`; any edit (a comment too) makes a new version.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

/// The short content hash of a policy file's text.
pub fn content_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// One policy version as a ledger saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Seen {
    pub hash: String,
    /// The first and last event decided under it.
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
    pub events: u64,
    pub cases: usize,
    #[serde(skip)]
    case_ids: BTreeSet<String>,
}

/// The policy versions of a ledger, in order of first use (`esc policy log`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Log {
    pub versions: Vec<Seen>,
    /// Events written before esc recorded the policy version.
    pub unrecorded: u64,
}

impl Log {
    /// Count one event (ledger order): its policy version, time and case.
    pub fn push(&mut self, hash: Option<&str>, at: DateTime<Utc>, case: &str) {
        let Some(hash) = hash else {
            self.unrecorded += 1;
            return;
        };
        let seen = match self.versions.iter_mut().position(|v| v.hash == hash) {
            Some(i) => &mut self.versions[i],
            None => {
                self.versions.push(Seen {
                    hash: hash.to_string(),
                    first: at,
                    last: at,
                    events: 0,
                    cases: 0,
                    case_ids: BTreeSet::new(),
                });
                let last = self.versions.len() - 1;
                &mut self.versions[last]
            }
        };
        seen.first = seen.first.min(at);
        seen.last = seen.last.max(at);
        seen.events += 1;
        if seen.case_ids.insert(case.to_string()) {
            seen.cases = seen.case_ids.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_the_start_of_sha256() {
        // printf 'version = 1\n' | sha256sum
        assert_eq!(content_hash(""), "e3b0c44298fc");
        assert_ne!(content_hash("a"), content_hash("a "));
        assert_eq!(content_hash("a").len(), 12);
    }

    #[test]
    fn the_log_lists_versions_in_order_of_first_use() {
        let t = |h: u32| {
            DateTime::parse_from_rfc3339(&format!("2026-12-01T{h:02}:00:00Z"))
                .unwrap()
                .with_timezone(&Utc)
        };
        let mut log = Log::default();
        log.push(None, t(1), "ESC-1");
        log.push(Some("aaa"), t(2), "ESC-1");
        log.push(Some("bbb"), t(3), "ESC-2");
        log.push(Some("aaa"), t(4), "ESC-2");
        assert_eq!(log.unrecorded, 1);
        let v: Vec<(&str, u32, u32, u64, usize)> = log
            .versions
            .iter()
            .map(|s| {
                (
                    s.hash.as_str(),
                    s.first.format("%H").to_string().parse().unwrap(),
                    s.last.format("%H").to_string().parse().unwrap(),
                    s.events,
                    s.cases,
                )
            })
            .collect();
        assert_eq!(v, [("aaa", 2, 4, 2, 2), ("bbb", 3, 3, 1, 1)]);
    }
}
