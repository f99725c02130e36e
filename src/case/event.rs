//! Ledger events: what the ledger stores, one JSON object per line.
//!
//! A line is an envelope (`seq`, `at`, `actor`, `case`, `step`) flattened together with the
//! event's own fields, tagged by `event`:
//! `{"seq":4,"at":"2026-11-23T09:00:00Z","actor":"ana","case":"ESC-1","event":"noted","step":"update","text":"…"}`.
//! Events are facts; a [`crate::case::Case`] is derived by folding them.

use crate::name::Name;
use crate::policy::Step;
use crate::sla::clock::ClockKind;
use chrono::{DateTime, Utc};
use compact_str::CompactString;
use serde::{Deserialize, Serialize};

/// One stored event with its envelope. Read by the hand-written reader in
/// `case::record_de` (one pass, no intermediate buffer); written by this derive.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    /// Position in the ledger, 1 for the first event, gap-free.
    pub seq: u64,
    /// When it happened (the command's `now`).
    pub at: DateTime<Utc>,
    /// Who did it (`--actor`, `ESC_ACTOR` or the login name; `esc` for sweep). The actor,
    /// policy and login repeat line after line: interned as the line is read.
    pub actor: Name,
    /// The case id, `ESC-<n>`.
    pub case: CompactString,
    /// The RACI step the event belongs to (see [`Event::step`]).
    pub step: Step,
    /// The short content hash of the policy the event was decided under
    /// ([`crate::policy::version`]); absent in ledgers written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<Name>,
    /// The operating-system login that ran the command, stamped by the store when the event
    /// is appended (so an audit sees who really acted, whatever `--actor` asserted); absent in
    /// ledgers written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<Name>,
    /// The event and its fields.
    #[serde(flatten)]
    pub event: Event,
}

/// Reads an RFC 3339 time; the form esc itself writes (`2026-11-23T09:00:00Z`) is read by a
/// fast path, anything else by chrono. Every ledger line has one, so this is a noticeable
/// share of reading a large ledger.
pub(crate) fn utc_time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    struct Visitor;
    impl serde::de::Visitor<'_> for Visitor {
        type Value = DateTime<Utc>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an RFC 3339 time")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            fast_utc(v)
                .or_else(|| {
                    DateTime::parse_from_rfc3339(v)
                        .ok()
                        .map(|t| t.with_timezone(&Utc))
                })
                .ok_or_else(|| E::custom(format!("`{v}` is not an RFC 3339 time")))
        }
    }
    d.deserialize_str(Visitor)
}

/// `YYYY-MM-DDTHH:MM:SSZ` exactly, else `None`.
pub(crate) fn fast_utc(v: &str) -> Option<DateTime<Utc>> {
    let b = v.as_bytes();
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let date =
        chrono::NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(5..7)?, num(8..10)?)?;
    let time = chrono::NaiveTime::from_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)?;
    Some(date.and_time(time).and_utc())
}

/// What a whole-ledger reader takes of an event it skims instead of reading whole (see
/// `Store::visit_skimming`): the envelope's number, time and case, the event's name, and,
/// for a queued notification, the time it promises the customer. The events a case takes
/// nothing else from are the ones worth skimming ([`crate::case::unread_by_reports`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skimmed {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub case: compact_str::CompactString,
    /// The `event` name (`notification_queued` …); inline, never on the heap.
    pub event: compact_str::CompactString,
    /// `promise` of a `notification_queued` event; `None` for any other event.
    pub promise: Option<DateTime<Utc>>,
}

impl Skimmed {
    /// What skimming `r` would give (for a store that reads every event whole anyway).
    pub fn of(r: &Record) -> Skimmed {
        Skimmed {
            seq: r.seq,
            at: r.at,
            case: r.case.as_str().into(),
            event: r.event.name().into(),
            promise: match r.event {
                Event::NotificationQueued { promise, .. } => promise,
                _ => None,
            },
        }
    }
}

/// An event as `Store::visit_skimming` hands it on: read whole, or skimmed.
#[derive(Debug, Clone, PartialEq)]
pub enum Seen {
    Whole(Record),
    Skimmed(Skimmed),
}

impl Seen {
    /// Its place in the ledger.
    pub fn seq(&self) -> u64 {
        match self {
            Seen::Whole(r) => r.seq,
            Seen::Skimmed(s) => s.seq,
        }
    }

    /// Its event's name (`opened` …).
    pub fn event(&self) -> &str {
        match self {
            Seen::Whole(r) => r.event.name(),
            Seen::Skimmed(s) => &s.event,
        }
    }

    /// `r` as a store that reads every event whole hands it on when skimming `skim`.
    pub fn of(r: Record, skim: fn(&str) -> bool) -> Seen {
        if skim(r.event.name()) {
            Seen::Skimmed(Skimmed::of(&r))
        } else {
            Seen::Whole(r)
        }
    }
}

/// The `promise` of a `notification_queued` line as esc writes it, read without parsing
/// the line: `Some(None)` when it promises nothing, `None` when the promise is not in the
/// form esc writes (parse the line whole then). Only for lines esc wrote and checked: there
/// a `,"promise":"` can only be that field's key, since the event has no nested object and
/// a quote inside a string is escaped.
pub(crate) fn written_promise(line: &[u8]) -> Option<Option<DateTime<Utc>>> {
    static KEY: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b",\"promise\":\""));
    let Some(at) = KEY.find(line) else {
        return Some(None);
    };
    let value = line.get(at + KEY.needle().len()..)?;
    let time = std::str::from_utf8(value.get(..20)?).ok()?;
    (value.get(20) == Some(&b'"')).then_some(())?;
    fast_utc(time).map(Some)
}

/// An event before it is given its place in the ledger.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub case: String,
    pub event: Event,
    /// The policy version it is decided under (see [`Record::policy`]).
    pub policy: Option<String>,
}

impl NewEvent {
    /// Give the event its sequence number.
    pub fn into_record(self, seq: u64) -> Record {
        Record {
            seq,
            at: self.at,
            actor: self.actor.into(),
            case: self.case.into(),
            step: self.event.step(),
            policy: self.policy.map(Into::into),
            login: None,
            event: self.event,
        }
    }
}

/// Who a notification is for. `reporter` is the customer party; every other party is staff.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    #[default]
    Internal,
    Customer,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Internal => "internal",
            Audience::Customer => "customer",
        }
    }
}

/// How a notification ended without being delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    /// A breach of the same clock was queued before the warning went out.
    Superseded,
    /// Older than `[notify] max_age` when its turn came.
    Expired,
    /// `esc notifications drop`.
    Dropped,
}

impl Ending {
    pub fn as_str(self) -> &'static str {
        match self {
            Ending::Superseded => "superseded",
            Ending::Expired => "expired",
            Ending::Dropped => "dropped",
        }
    }
}

/// Declares [`Event`] and, from the same definition, `Body`: the same variants read with
/// the tag outside them (serde's externally tagged form). The ledger's reader
/// (`record_de`) reads a line whose `event` key comes before the event's own fields — every
/// line esc writes — straight into `Body`; serde's reader of the internally tagged `Event`
/// first copies every field into a buffer of its own, a large share of reading a ledger.
macro_rules! events {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident { $( $(#[$fmeta:meta])* $field:ident : $ty:ty ),* $(,)? }
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        pub enum $name {
            $( $(#[$vmeta])* $variant { $( $(#[$fmeta])* $field : $ty ),* } ),*
        }

        /// [`Event`] with the tag outside (see the `events!` macro).
        #[derive(Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub(super) enum Body {
            $( $variant { $( $(#[$fmeta])* $field : $ty ),* } ),*
        }

        impl From<Body> for $name {
            fn from(body: Body) -> $name {
                match body {
                    $( Body::$variant { $( $field ),* } => $name::$variant { $( $field ),* } ),*
                }
            }
        }
    };
}

events! {
/// Everything that can happen to a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Opened {
        title: CompactString,
        /// The severity, type, account, path, tier and owner repeat case after case: they
        /// are interned as the line is read, on the thread that parses it (see `crate::name`).
        severity: Name,
        #[serde(rename = "type")]
        case_type: Name,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        account: Option<Name>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reporter: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        channel: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        labels: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
        /// Path and tier the case starts at.
        path: Name,
        tier: Name,
        owner: Name,
        /// The de-duplication key (`esc open --dedup-key`, an import's `external_id`, an
        /// alert's group key or fingerprint): intake finds the case again by it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dedup_key: Option<String>,
    },
    Acknowledged {},
    Assigned {
        to: String,
    },
    Noted {
        text: String,
    },
    Updated {
        text: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        customer: bool,
        /// `esc update --customer --eta TIME`: the time now promised to the customer.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        eta: Option<DateTime<Utc>>,
    },
    Escalated {
        path: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
        to: String,
        owner: String,
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        summary: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tried: Option<String>,
        /// Set when `esc sweep` escalated: `"budget"` (tier budget ran out) or the trigger.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
        /// When the automatic escalation fell due.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        due: Option<DateTime<Utc>>,
    },
    Deescalated {
        path: String,
        from: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
        owner: String,
        reason: String,
    },
    Paused {
        reason: String,
    },
    Resumed {},
    Resolved {
        resolution: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        root_cause: Option<String>,
    },
    FollowedUp {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        csat: Option<u8>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// `esc close`. `review_waived`: the review the case required was waived
    /// (`--waive-review REASON`); `without_followup`: closed without the follow-up the policy
    /// requires (`--without-followup REASON`).
    Closed {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        review_waived: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        without_followup: Option<String>,
    },
    Reopened {
        reason: String,
    },
    /// `esc sweep`: a clock reached its warning share. Once per clock run (`started`).
    SlaWarning {
        clock: ClockKind,
        started: DateTime<Utc>,
        due: DateTime<Utc>,
    },
    /// `esc sweep`: a clock ran out. Once per clock run (`started`).
    SlaBreach {
        clock: ClockKind,
        started: DateTime<Utc>,
        due: DateTime<Utc>,
    },
    /// `esc sweep`: a trigger fired and its actions were taken.
    TriggerFired {
        trigger: String,
        due: DateTime<Utc>,
    },
    /// `esc sweep`: a trigger with `confirm = true` proposes its actions.
    Proposed {
        trigger: String,
        due: DateTime<Utc>,
    },
    /// `esc approve`: a proposal was approved and its actions taken.
    Approved {
        trigger: String,
    },
    /// `esc reject`: a proposal was rejected.
    Rejected {
        trigger: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Labels added (by a trigger's `label` action).
    Labelled {
        labels: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        trigger: Option<String>,
    },
    /// A notification queued in the outbox (the ledger); its id is `N-<seq>`.
    NotificationQueued {
        action: String,
        recipients: Vec<String>,
        message: String,
        due: DateTime<Utc>,
        /// Who it is for: staff (`internal`) or the customer; never both. Ledgers written
        /// before audiences existed read as `internal`.
        #[serde(default)]
        audience: Audience,
        /// The clock a warning or breach is about (a breach supersedes its warning).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        clock: Option<ClockKind>,
        /// The time promised to the customer in this message, if it promises one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        promise: Option<DateTime<Utc>>,
    },
    /// `esc swarm`: the case became a swarm.
    SwarmStarted {
        facilitator: String,
        members: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        trigger: Option<String>,
    },
    /// `esc swarm --end`: the swarm ended, with its lessons.
    SwarmEnded {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lessons: Option<String>,
    },
    /// `esc major`: a major incident was declared; incident role → person.
    MajorDeclared {
        commander: String,
        roles: std::collections::BTreeMap<String, String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        trigger: Option<String>,
        /// The war room: the bridge (call) URL and the chat channel (`esc major --bridge
        /// --channel`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bridge: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        channel: Option<String>,
    },
    /// `esc major --stand-down`: the major incident ended.
    MajorStoodDown {},
    /// The account's executive sponsor was engaged.
    SponsorEngaged {
        sponsor: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        trigger: Option<String>,
    },
    /// A queued notification was delivered by the notify command.
    NotificationDelivered {
        notification: u64,
    },
    /// Delivery failed; the notification stays queued until `retry_after`.
    NotificationFailed {
        notification: u64,
        attempt: u32,
        error: String,
        retry_after: DateTime<Utc>,
        /// The last 2 KB the notify command wrote on stderr.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stderr: Option<String>,
    },
    /// A queued notification will never be delivered: superseded, expired or dropped.
    NotificationEnded {
        notification: u64,
        outcome: Ending,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// `esc followup ID --request`: the customer was asked to confirm the resolution.
    FollowupRequested {},
    /// `esc sweep`: the time last promised to the customer passed with the case unresolved;
    /// `by` is the new expected time (still ahead).
    PromiseMissed {
        missed: DateTime<Utc>,
        by: DateTime<Utc>,
    },
    /// `esc review`: the post-escalation review, with its action items (numbered from 1).
    ReviewRecorded {
        root_cause: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        went_well: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        improve: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        actions: Vec<crate::review::ActionItem>,
    },
    /// `esc sweep`: the owner and the Accountable were reminded of an overdue review
    /// (`item` absent) or a late action item (`item`); at most once a day each.
    Reminded {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        item: Option<u32>,
    },
    /// `esc actions done`: action item `item` of the review is done.
    ActionDone {
        item: u32,
    },
    /// `esc intake` / `esc serve`: a monitoring alert or event arrived for the case.
    Alerted {
        /// The de-duplication key it arrived under.
        key: String,
        /// `firing`, `resolved` or `acknowledged`.
        status: String,
        /// How often the case's alert has fired so far, this one included.
        count: u32,
        /// What arrived, in a few words.
        text: String,
        /// The `[[intake]]` rule that routed it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rule: Option<String>,
        /// Attached to the rule's alert-storm case instead of a case of its own.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        storm: bool,
    },
    /// `esc oncall override`: `person` is on duty for `role` from `from` until `to`. Belongs
    /// to no case: it is recorded under the reserved case id [`ONCALL`], which the fold of
    /// cases skips.
    OncallOverride {
        role: String,
        person: String,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
    /// `esc edit`: fields changed after opening; only changed fields are present, and
    /// `previous` keeps the values they replaced (see [`crate::case::edit`] for what a
    /// change of severity or type does to the clocks).
    Edited {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        severity: Option<String>,
        #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
        case_type: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        account: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        labels_added: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        labels_removed: Vec<String>,
        #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
        previous: std::collections::BTreeMap<String, String>,
    },
}
}

/// The reserved case id of events that belong to no case (on-call overrides).
pub const ONCALL: &str = "ONCALL";

impl Event {
    /// The name stored in the `event` field.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Opened { .. } => "opened",
            Event::Acknowledged {} => "acknowledged",
            Event::Assigned { .. } => "assigned",
            Event::Noted { .. } => "noted",
            Event::Updated { .. } => "updated",
            Event::Escalated { .. } => "escalated",
            Event::Deescalated { .. } => "deescalated",
            Event::Paused { .. } => "paused",
            Event::Resumed {} => "resumed",
            Event::Resolved { .. } => "resolved",
            Event::FollowedUp { .. } => "followed_up",
            Event::Closed { .. } => "closed",
            Event::Reopened { .. } => "reopened",
            Event::SlaWarning { .. } => "sla_warning",
            Event::SlaBreach { .. } => "sla_breach",
            Event::TriggerFired { .. } => "trigger_fired",
            Event::Proposed { .. } => "proposed",
            Event::Approved { .. } => "approved",
            Event::Rejected { .. } => "rejected",
            Event::Labelled { .. } => "labelled",
            Event::SwarmStarted { .. } => "swarm_started",
            Event::SwarmEnded { .. } => "swarm_ended",
            Event::MajorDeclared { .. } => "major_declared",
            Event::MajorStoodDown {} => "major_stood_down",
            Event::SponsorEngaged { .. } => "sponsor_engaged",
            Event::NotificationQueued { .. } => "notification_queued",
            Event::NotificationDelivered { .. } => "notification_delivered",
            Event::NotificationFailed { .. } => "notification_failed",
            Event::NotificationEnded { .. } => "notification_ended",
            Event::FollowupRequested {} => "followup_requested",
            Event::PromiseMissed { .. } => "promise_missed",
            Event::ReviewRecorded { .. } => "review_recorded",
            Event::ActionDone { .. } => "action_done",
            Event::Reminded { .. } => "reminded",
            Event::Alerted { .. } => "alerted",
            Event::OncallOverride { .. } => "oncall_override",
            Event::Edited { .. } => "edited",
        }
    }

    /// The RACI step this event belongs to, so notifications can follow the matrix.
    pub fn step(&self) -> Step {
        match self {
            Event::Opened { .. } => Step::Open,
            Event::Acknowledged {} | Event::Assigned { .. } => Step::Acknowledge,
            Event::Noted { .. }
            | Event::Updated { .. }
            | Event::Paused { .. }
            | Event::Resumed {} => Step::Update,
            Event::Escalated { .. } | Event::Deescalated { .. } => Step::Escalate,
            Event::Resolved { .. } | Event::Reopened { .. } => Step::Resolve,
            Event::FollowedUp { .. } | Event::FollowupRequested {} | Event::Closed { .. } => {
                Step::Close
            }
            Event::SlaWarning { clock, .. } | Event::SlaBreach { clock, .. } => clock.step(),
            Event::TriggerFired { .. }
            | Event::Proposed { .. }
            | Event::Approved { .. }
            | Event::Rejected { .. } => Step::Escalate,
            Event::Labelled { .. } => Step::Update,
            Event::SwarmStarted { .. } | Event::SwarmEnded { .. } => Step::Swarm,
            Event::MajorDeclared { .. } | Event::MajorStoodDown {} => Step::Major,
            Event::SponsorEngaged { .. } => Step::Escalate,
            Event::NotificationQueued { .. }
            | Event::NotificationDelivered { .. }
            | Event::NotificationFailed { .. }
            | Event::NotificationEnded { .. }
            | Event::PromiseMissed { .. } => Step::Update,
            Event::ReviewRecorded { .. } | Event::ActionDone { .. } | Event::Reminded { .. } => {
                Step::Review
            }
            Event::Alerted { .. } => Step::Update,
            Event::OncallOverride { .. } => Step::Acknowledge,
            Event::Edited { .. } => Step::Update,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whole-ledger commands move every record from the threads that parse it to the one
    /// that folds: the actor, policy and login of every event, and an opened event's
    /// repeated names, are interned [`Name`]s (8 bytes each, interned by the parsing
    /// thread), not strings of their own (24).
    #[test]
    fn a_record_stays_small() {
        let size = std::mem::size_of::<Record>();
        assert!(size <= 280, "a record is {size} bytes");
    }

    #[test]
    fn the_fast_time_path_agrees_with_chrono() {
        for text in [
            "2026-11-23T09:00:00Z",
            "1999-12-31T23:59:59Z",
            "2028-02-29T00:00:00Z",
        ] {
            let slow = DateTime::parse_from_rfc3339(text)
                .unwrap()
                .with_timezone(&Utc);
            assert_eq!(fast_utc(text), Some(slow), "{text}");
        }
        for other in [
            "2026-11-23T09:00:00+01:00",
            "2026-11-23T09:00:00.5Z",
            "2026-02-30T09:00:00Z",
            "2026-11-23T24:00:00Z",
            "2026-11-23 09:00:00Z",
            "2026-1a-23T09:00:00Z",
        ] {
            assert_eq!(fast_utc(other), None, "{other}");
        }
    }

    #[test]
    fn records_read_any_rfc3339_time() {
        let line = r#"{"seq":1,"at":"2026-11-23T10:00:00+01:00","actor":"a","case":"ESC-1","step":"update","event":"noted","text":"x"}"#;
        let r: Record = serde_json::from_str(line).unwrap();
        assert_eq!(r.at.to_rfc3339(), "2026-11-23T09:00:00+00:00");
        let bad = line.replace("2026-11-23T10:00:00+01:00", "yesterday");
        assert!(serde_json::from_str::<Record>(&bad).is_err());
    }
}
