//! Test fixture: an `opened` record as unit tests across the crate need one, with the
//! fields they vary named and the rest at plain defaults.

use super::{Event, Record};
use crate::policy::Step;
use chrono::{DateTime, Utc};

/// The fields of an `opened` event that tests vary; [`Opened::record`] makes the record.
#[derive(Debug, Clone)]
pub struct Opened {
    pub title: String,
    pub severity: String,
    pub account: Option<String>,
    pub reporter: Option<String>,
    pub tier: String,
    pub owner: String,
}

impl Default for Opened {
    /// A sev3 technical case on the technical path at L1, owned by ana.
    fn default() -> Self {
        Opened {
            title: "t".into(),
            severity: "sev3".into(),
            account: None,
            reporter: None,
            tier: "L1".into(),
            owner: "ana".into(),
        }
    }
}

impl Opened {
    /// The record opening case `ESC-<seq>` at `at`, number `seq` in the ledger, by ana.
    pub fn record(self, seq: u64, at: DateTime<Utc>) -> Record {
        Record {
            seq,
            at,
            actor: "ana".into(),
            case: format!("ESC-{seq}").into(),
            step: Step::Open,
            policy: None,
            login: None,
            event: Event::Opened {
                title: self.title.into(),
                severity: self.severity.into(),
                case_type: "technical".into(),
                account: self.account.map(Into::into),
                reporter: self.reporter,
                channel: None,
                labels: vec![],
                description: None,
                path: "technical".into(),
                tier: self.tier.into(),
                owner: self.owner.into(),
                dedup_key: None,
            },
        }
    }
}
