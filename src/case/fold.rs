//! A case is the fold of its events: replaying them in ledger order gives its state. There is
//! no second copy of state to keep in sync.

use super::event::{Event, Record, Skimmed};
pub use super::levels::{Level, Levels};
use crate::name::Name;
use crate::policy::Status;
use crate::sla::clock::ClockKind;
use chrono::{DateTime, Utc};
use compact_str::CompactString;
use std::collections::{BTreeMap, BTreeSet};

/// What `esc sweep` already recorded about one run of a clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mark {
    Warning,
    Breach,
}

/// A swarm on a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Swarm {
    pub facilitator: String,
    pub members: Vec<String>,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub lessons: Option<String>,
}

/// A major incident declared on a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Major {
    pub commander: String,
    /// Incident role → person (the commander included).
    pub roles: BTreeMap<String, String>,
    pub declared_at: DateTime<Utc>,
    pub stood_down_at: Option<DateTime<Utc>>,
    /// The bridge (call) URL and chat channel, when given.
    pub bridge: Option<String>,
    pub channel: Option<String>,
}

/// What a trigger has done on a case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TriggerState {
    /// How often it fired (directly or through an approved proposal).
    pub fired: u32,
    /// When it last fired or was decided.
    pub last: Option<DateTime<Utc>>,
    /// A proposal waiting for `esc approve` / `esc reject`: when it fell due.
    pub pending: Option<DateTime<Utc>>,
    pub proposed: u32,
    pub approved: u32,
    pub rejected: u32,
}

/// The customer's follow-up after resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Followup {
    pub at: DateTime<Utc>,
    pub csat: Option<u8>,
    pub comment: Option<String>,
}

/// A case as its events describe it.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub id: CompactString,
    pub title: CompactString,
    pub severity: Name,
    pub case_type: Name,
    pub account: Option<Name>,
    /// Thin (one pointer, empty without an allocation): whole-ledger commands hold every
    /// case at once.
    pub labels: thin_vec::ThinVec<String>,
    pub status: Status,
    pub owner: Name,
    /// The path the case was opened on; its tier decides the owner.
    pub home_path: Name,
    /// Level per path; a path the case was never escalated on has none.
    pub levels: Levels,
    /// The tier the case was opened in (on [`Case::home_path`]).
    pub opened_tier: Name,
    pub opened_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// The last status update (any `update`), for the cadence clock.
    pub last_update_at: Option<DateTime<Utc>>,
    pub escalations: u32,
    pub reopened: u32,
    /// The current or last swarm (`ended_at` set once it ended). Boxed, like the other
    /// parts few cases have: whole-ledger commands hold every case at once.
    pub swarm: Option<Box<Swarm>>,
    /// The current or last major incident.
    pub major: Option<Box<Major>>,
    /// The post-escalation review, once recorded (`esc review`).
    pub review: Option<Box<crate::review::Review>>,
    /// When the last event happened.
    pub last_event_at: DateTime<Utc>,
    /// Every event, in ledger order (empty when folded without events). Thin, like
    /// `labels`.
    pub events: thin_vec::ThinVec<Record>,
    /// What few cases have: [`Case::more`] reads it, [`Case::more_mut`] changes it.
    more: Rare,
}

/// The parts of a case that most cases never have (or have empty). Whole-ledger commands
/// hold every case at once, so they live in one box, made only when a case needs one.
#[derive(Debug, Clone, PartialEq)]
pub struct More {
    /// Warnings and breaches recorded by sweep, per clock run (clock, started).
    pub marks: BTreeSet<(ClockKind, DateTime<Utc>, Mark)>,
    /// Trigger history by trigger name.
    pub triggers: BTreeMap<String, TriggerState>,
    pub reporter: Option<String>,
    pub channel: Option<String>,
    pub description: Option<String>,
    /// The de-duplication key the case was opened with, if any (see [`Event::Opened`]).
    pub dedup_key: Option<String>,
    /// Completed pauses (start, end) and the current one, for the SLA clocks.
    pub pauses: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>,
    /// Spans between a resolution and the reopening that followed it (the last one open-ended
    /// while the case stays resolved); the resolution clock does not run in them.
    pub resolved_spans: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>,
    /// The last time promised to the customer (in a customer notification or by
    /// `esc update --customer --eta`), and when it was promised.
    pub promise: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// The last explicit `esc update --customer --eta`.
    pub eta: Option<DateTime<Utc>>,
    pub resolution: Option<String>,
    pub root_cause: Option<String>,
    pub followup: Option<Followup>,
    /// People engaged as executive sponsor.
    pub sponsor: Vec<String>,
    /// Why the required review was waived at closing (`esc close --waive-review`).
    pub review_waived: Option<String>,
    /// When sweep last reminded people of the overdue review (`None` key) or of a late
    /// action item (its number).
    pub reminded: BTreeMap<Option<u32>, DateTime<Utc>>,
    /// The owner the case was opened with, once someone else owns it (see
    /// [`Case::first_owner`]).
    pub first_owner: Option<Name>,
}

impl More {
    /// A case's parts before any of them is set.
    pub const NONE: More = More {
        marks: BTreeSet::new(),
        triggers: BTreeMap::new(),
        reporter: None,
        channel: None,
        description: None,
        dedup_key: None,
        pauses: Vec::new(),
        resolved_spans: Vec::new(),
        promise: None,
        eta: None,
        resolution: None,
        root_cause: None,
        followup: None,
        sponsor: Vec::new(),
        review_waived: None,
        reminded: BTreeMap::new(),
        first_owner: None,
    };
}

/// [`More`], boxed only once something is set; an empty box equals none.
#[derive(Debug, Clone, Default)]
struct Rare(Option<Box<More>>);

/// What [`Case::more`] reads for a case without its box.
static NO_MORE: More = More::NONE;

impl Rare {
    fn get(&self) -> &More {
        self.0.as_deref().unwrap_or(&NO_MORE)
    }
}

impl PartialEq for Rare {
    fn eq(&self, other: &Rare) -> bool {
        self.get() == other.get()
    }
}

/// Events whose effect on a case no report or listing looks at: the outbox's bookkeeping
/// (the promise a customer notice makes is read only by the sweep and single-case
/// commands, which read every event) and monitoring alerts. Whole-ledger reads for
/// `esc list` and the reports skip them (`Store::visit_skipping`).
pub fn unread_by_reports(event: &str) -> bool {
    outbox_bookkeeping(event) || event == "alerted"
}

/// The outbox's events: a case takes nothing from them but their time and the promise a
/// queued notice makes (see [`Folder::skim`]); intake only their time.
pub fn outbox_bookkeeping(event: &str) -> bool {
    matches!(
        event,
        "notification_queued"
            | "notification_delivered"
            | "notification_failed"
            | "notification_ended"
    )
}

/// Why a list of events does not fold into a case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FoldError {
    #[error("case {case}: its first event (seq {seq}) is `{event}`, not `opened`")]
    NotOpenedFirst {
        case: String,
        seq: u64,
        event: String,
    },
    #[error("case {case} is opened twice (seq {seq})")]
    OpenedTwice { case: String, seq: u64 },
}

/// Folds every case of a ledger one record at a time, so a whole-ledger command can fold
/// while it reads and never hold every record at once.
#[derive(Debug)]
pub struct Folder {
    cases: Vec<Case>,
    /// Where each case is in `cases`.
    slots: super::slots::CaseSlots,
    keep: fn(&Event) -> bool,
    error: Option<FoldError>,
    /// The sort key ([`Folder::order`]) of the last case made, and whether every case so far
    /// came in that order (as in any ledger esc wrote): then `finish` need not sort.
    last: u64,
    in_order: bool,
}

impl Folder {
    /// A folder; with `keep_events` each case keeps its events.
    pub fn new(keep_events: bool) -> Self {
        Folder::keeping(if keep_events { |_| true } else { |_| false })
    }

    /// A folder whose cases keep only the events `keep` selects (reports keep the few kinds
    /// they look at).
    pub fn keeping(keep: fn(&Event) -> bool) -> Self {
        Folder {
            keep,
            cases: Vec::new(),
            slots: super::slots::CaseSlots::default(),
            error: None,
            last: 0,
            in_order: true,
        }
    }

    /// Makes room for about `cases` cases at once (see [`crate::store::Store::cases_hint`]):
    /// growing a vector of a hundred thousand cases copies it many times over.
    pub fn reserve(&mut self, cases: Option<u64>) {
        let Some(n) = cases.and_then(|n| usize::try_from(n).ok()) else {
            return;
        };
        // A hint far beyond what memory holds is not trusted (it is only a hint).
        let n = n.min(1 << 24);
        self.cases.reserve_exact(n.saturating_sub(self.cases.len()));
        crate::huge_pages::advise(&mut self.cases);
    }

    /// Fold one more record (ledger order). The first inconsistency is kept for `finish`.
    /// Records of the reserved case id `ONCALL` (on-call overrides) belong to no case and
    /// are skipped.
    pub fn push(&mut self, r: Record) {
        if self.error.is_some() || r.case == super::event::ONCALL {
            return;
        }
        let result = match self.slots.find(&r.case) {
            Some(i) => {
                let keep = (self.keep)(&r.event);
                self.cases[i].apply(r, keep)
            }
            None => {
                // The record's strings move into the case unless the record is kept too.
                let kept = (self.keep)(&r.event).then(|| r.clone());
                let at = self.cases.len();
                match Case::from_opened(r) {
                    Ok(mut c) => {
                        self.slots.remember(&c.id, at);
                        let order = Folder::order(&c);
                        self.in_order &= order >= self.last;
                        self.last = order;
                        if let Some(r) = kept {
                            // Most cases keep one or two events: room for one, not the
                            // four a first push reserves (a record is a few hundred bytes).
                            c.events.reserve_exact(1);
                            c.events.push(r);
                        }
                        self.cases.push(c);
                        Ok(())
                    }
                    Err(e) => Err(e),
                }
            }
        };
        if let Err(e) = result {
            self.error = Some(e);
        }
    }

    /// Fold an event that was skimmed rather than read whole ([`Skimmed`]): a case takes
    /// its time and, from a queued notification, the promise it makes; that is all it takes
    /// from the events [`unread_by_reports`] names, the only ones to skim.
    pub fn skim(&mut self, s: &Skimmed) {
        if self.error.is_some() || s.case == super::event::ONCALL {
            return;
        }
        match self.slots.find(&s.case) {
            Some(i) => self.cases[i].skimmed(s),
            None => {
                self.error = Some(FoldError::NotOpenedFirst {
                    case: s.case.to_string(),
                    seq: s.seq,
                    event: s.event.to_string(),
                });
            }
        }
    }

    /// Every case, in order of case number, or the first inconsistency met.
    pub fn finish(self) -> Result<Vec<Case>, FoldError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let mut cases = self.cases;
        // A case is hundreds of bytes: when a sort is needed at all, each key is worked out
        // once (a stable sort, as before), not twice per comparison.
        if !self.in_order {
            cases.sort_by_cached_key(Folder::order);
        }
        Ok(cases)
    }

    /// Where a case goes among the folded cases: by the number of its id, any other id last.
    fn order(case: &Case) -> u64 {
        super::id::number(&case.id).unwrap_or(u64::MAX)
    }
}

impl Case {
    /// Fold one case's events (in ledger order), keeping them in [`Case::events`].
    pub fn fold(records: Vec<Record>) -> Result<Option<Case>, FoldError> {
        let mut iter = records.into_iter();
        let Some(first) = iter.next() else {
            return Ok(None);
        };
        let mut case = Case::from_opened(first.clone())?;
        case.events.push(first);
        for r in iter {
            case.apply(r, true)?;
        }
        Ok(Some(case))
    }

    /// The case an `opened` record starts (its strings move into the case).
    fn from_opened(r: Record) -> Result<Case, FoldError> {
        let Event::Opened {
            title,
            severity,
            case_type,
            account,
            reporter,
            channel,
            labels,
            description,
            path,
            tier,
            owner,
            dedup_key,
        } = r.event
        else {
            return Err(FoldError::NotOpenedFirst {
                case: r.case.to_string(),
                seq: r.seq,
                event: r.event.name().to_string(),
            });
        };
        let mut levels = Levels::default();
        levels.insert(
            path,
            Level {
                tier,
                entered_at: r.at,
            },
        );
        let mut case = Case {
            id: r.case,
            title,
            severity,
            case_type,
            account,
            labels: labels.into(),
            status: Status::Open,
            owner,
            home_path: path,
            levels,
            opened_tier: tier,
            opened_at: r.at,
            acknowledged_at: None,
            resolved_at: None,
            closed_at: None,
            last_update_at: None,
            escalations: 0,
            reopened: 0,
            swarm: None,
            major: None,
            review: None,
            last_event_at: r.at,
            events: thin_vec::ThinVec::new(),
            more: Rare::default(),
        };
        if reporter.is_some() || channel.is_some() || description.is_some() || dedup_key.is_some() {
            let more = case.more_mut();
            more.reporter = reporter;
            more.channel = channel;
            more.description = description;
            more.dedup_key = dedup_key;
        }
        Ok(case)
    }

    /// The parts few cases have ([`More::NONE`] when none is set).
    pub fn more(&self) -> &More {
        self.more.get()
    }

    /// The parts few cases have, to change (boxed on first use).
    pub fn more_mut(&mut self) -> &mut More {
        self.more.0.get_or_insert_with(|| Box::new(More::NONE))
    }

    /// The owner the case was opened with (the `opened` event's), kept so that reports
    /// need not keep that event.
    pub fn first_owner(&self) -> &str {
        self.more().first_owner.as_deref().unwrap_or(&self.owner)
    }

    /// Someone owns the case now; the first owner is remembered when they are another.
    fn owned_by(&mut self, owner: &str) {
        if owner != self.owner {
            if self.more().first_owner.is_none() {
                let first = std::mem::take(&mut self.owner);
                self.more_mut().first_owner = Some(first);
            }
            self.owner = owner.into();
        }
    }

    /// The status a case returns to when a pause ends or it is reopened.
    fn working_status(&self) -> Status {
        if self.acknowledged_at.is_some() {
            Status::Acknowledged
        } else {
            Status::Open
        }
    }

    /// What a case takes from a skimmed event (see [`Folder::skim`]).
    fn skimmed(&mut self, s: &Skimmed) {
        self.last_event_at = self.last_event_at.max(s.at);
        if let Some(t) = s.promise {
            self.promised(t, s.at);
        }
    }

    /// The customer was promised `by` at `at` (in a notification).
    fn promised(&mut self, by: DateTime<Utc>, at: DateTime<Utc>) {
        self.more_mut().promise = Some((by, at));
    }

    /// Apply one event (kept in `events` if `keep`). Events were validated when written, so
    /// folding accepts every event but a second `opened`.
    pub fn apply(&mut self, r: Record, keep: bool) -> Result<(), FoldError> {
        self.last_event_at = self.last_event_at.max(r.at);
        match &r.event {
            Event::Opened { .. } => {
                return Err(FoldError::OpenedTwice {
                    case: r.case.to_string(),
                    seq: r.seq,
                });
            }
            Event::Acknowledged {} => {
                self.acknowledged_at.get_or_insert(r.at);
                if self.status == Status::Open {
                    self.status = Status::Acknowledged;
                }
            }
            Event::Assigned { to } => self.owned_by(to),
            Event::Noted { .. } => {}
            Event::Updated { eta, .. } => {
                self.last_update_at = Some(r.at);
                if let Some(t) = eta {
                    self.more_mut().promise = Some((*t, r.at));
                    self.more_mut().eta = Some(*t);
                }
            }
            Event::Escalated {
                path, to, owner, ..
            } => {
                self.escalations += 1;
                self.levels.insert(
                    path.clone(),
                    Level {
                        tier: to.as_str().into(),
                        entered_at: r.at,
                    },
                );
                if *path == self.home_path {
                    self.owned_by(owner);
                }
            }
            Event::Deescalated {
                path, to, owner, ..
            } => match to {
                Some(tier) => {
                    self.levels.insert(
                        path.clone(),
                        Level {
                            tier: tier.as_str().into(),
                            entered_at: r.at,
                        },
                    );
                    if *path == self.home_path {
                        self.owned_by(owner);
                    }
                }
                None => {
                    self.levels.remove(path);
                }
            },
            Event::Paused { .. } => {
                self.more_mut().pauses.push((r.at, None));
                self.status = Status::Paused;
            }
            Event::Resumed {} => {
                if let Some(last) = self.more_mut().pauses.last_mut()
                    && last.1.is_none()
                {
                    last.1 = Some(r.at);
                }
                self.status = self.working_status();
            }
            Event::Resolved {
                resolution,
                root_cause,
            } => {
                self.end_pause(r.at);
                self.status = Status::Resolved;
                self.resolved_at = Some(r.at);
                self.more_mut().resolved_spans.push((r.at, None));
                self.more_mut().resolution = Some(resolution.clone());
                if root_cause.is_some() {
                    self.more_mut().root_cause = root_cause.clone();
                }
            }
            Event::FollowedUp { csat, comment } => {
                self.more_mut().followup = Some(Followup {
                    at: r.at,
                    csat: *csat,
                    comment: comment.clone(),
                });
            }
            Event::Closed { review_waived, .. } => {
                if review_waived.is_some() {
                    self.more_mut().review_waived = review_waived.clone();
                }
                self.status = Status::Closed;
                self.closed_at = Some(r.at);
            }
            Event::SlaWarning { clock, started, .. } => {
                self.more_mut()
                    .marks
                    .insert((*clock, *started, Mark::Warning));
            }
            Event::SlaBreach { clock, started, .. } => {
                self.more_mut()
                    .marks
                    .insert((*clock, *started, Mark::Breach));
            }
            Event::TriggerFired { trigger, .. } => {
                let t = self.more_mut().triggers.entry(trigger.clone()).or_default();
                t.fired += 1;
                t.last = Some(r.at);
            }
            Event::Proposed { trigger, due } => {
                let t = self.more_mut().triggers.entry(trigger.clone()).or_default();
                t.proposed += 1;
                t.pending = Some(*due);
                t.last = Some(r.at);
            }
            Event::Approved { trigger } => {
                let t = self.more_mut().triggers.entry(trigger.clone()).or_default();
                t.approved += 1;
                t.fired += 1;
                t.pending = None;
                t.last = Some(r.at);
            }
            Event::Rejected { trigger, .. } => {
                let t = self.more_mut().triggers.entry(trigger.clone()).or_default();
                t.rejected += 1;
                t.pending = None;
                t.last = Some(r.at);
            }
            Event::Labelled { labels, .. } => {
                for l in labels {
                    if !self.labels.contains(l) {
                        self.labels.push(l.clone());
                    }
                }
            }
            Event::SwarmStarted {
                facilitator,
                members,
                ..
            } => {
                self.swarm = Some(Box::new(Swarm {
                    facilitator: facilitator.clone(),
                    members: members.clone(),
                    started_at: r.at,
                    ended_at: None,
                    lessons: None,
                }));
            }
            Event::SwarmEnded { lessons } => {
                if let Some(s) = &mut self.swarm {
                    s.ended_at = Some(r.at);
                    s.lessons = lessons.clone();
                }
            }
            Event::MajorDeclared {
                commander,
                roles,
                bridge,
                channel,
                ..
            } => {
                self.major = Some(Box::new(Major {
                    commander: commander.clone(),
                    roles: roles.clone(),
                    declared_at: r.at,
                    stood_down_at: None,
                    bridge: bridge.clone(),
                    channel: channel.clone(),
                }));
            }
            Event::MajorStoodDown {} => {
                if let Some(m) = &mut self.major {
                    m.stood_down_at = Some(r.at);
                }
            }
            Event::SponsorEngaged { sponsor, .. } => {
                for p in sponsor {
                    if !self.more_mut().sponsor.contains(p) {
                        self.more_mut().sponsor.push(p.clone());
                    }
                }
            }
            Event::NotificationQueued {
                promise: Some(t), ..
            } => self.promised(*t, r.at),
            Event::NotificationQueued { .. }
            | Event::NotificationDelivered { .. }
            | Event::NotificationFailed { .. }
            | Event::NotificationEnded { .. }
            | Event::FollowupRequested {} => {}
            Event::PromiseMissed { by, .. } => self.more_mut().promise = Some((*by, r.at)),
            Event::ReviewRecorded {
                root_cause,
                went_well,
                improve,
                actions,
            } => {
                self.review = Some(Box::new(crate::review::Review::recorded(
                    r.at,
                    &r.actor,
                    root_cause,
                    went_well.as_ref(),
                    improve.as_ref(),
                    actions,
                )));
            }
            Event::Edited { .. } => super::edit::apply(self, &r.event),
            Event::ActionDone { item } => {
                if let Some(review) = &mut self.review {
                    review.mark_done(*item, r.at, &r.actor);
                }
            }
            Event::Reminded { item } => {
                self.more_mut().reminded.insert(*item, r.at);
            }
            Event::Alerted { .. } => {}
            // Belongs to no case (see `Folder::push`); nothing to fold.
            Event::OncallOverride { .. } => {}
            Event::Reopened { .. } => {
                self.reopened += 1;
                // A waiver was for the closing it came with.
                self.more_mut().review_waived = None;
                if let Some(last) = self.more_mut().resolved_spans.last_mut()
                    && last.1.is_none()
                {
                    last.1 = Some(r.at);
                }
                self.resolved_at = None;
                self.closed_at = None;
                self.more_mut().followup = None;
                self.status = self.working_status();
            }
        }
        if keep {
            if self.events.len() == self.events.capacity() {
                // Grow by half, not double: whole-ledger commands hold every case at once.
                self.events.reserve_exact(self.events.len() / 2 + 1);
            }
            self.events.push(r);
        }
        Ok(())
    }

    fn end_pause(&mut self, at: DateTime<Utc>) {
        if let Some(last) = self.more_mut().pauses.last_mut()
            && last.1.is_none()
        {
            last.1 = Some(at);
        }
    }

    /// The tier on a path, if the case has a level there.
    pub fn tier_on(&self, path: &str) -> Option<&str> {
        self.levels.get(path).map(|l| l.tier.as_str())
    }

    /// Whether the case is still being worked (not resolved or closed).
    pub fn is_active(&self) -> bool {
        !matches!(self.status, Status::Resolved | Status::Closed)
    }

    /// Whether a swarm is running.
    pub fn swarming(&self) -> bool {
        self.swarm.as_ref().is_some_and(|s| s.ended_at.is_none())
    }

    /// Whether a major incident is declared and not stood down.
    pub fn is_major(&self) -> bool {
        self.major
            .as_ref()
            .is_some_and(|m| m.stood_down_at.is_none())
    }

    /// When the last event happened.
    pub fn last_event_at(&self) -> DateTime<Utc> {
        self.last_event_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold_ids(ids: &[&str]) -> Vec<String> {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-23T09:00:00Z")
            .expect("time")
            .to_utc();
        let mut folder = Folder::new(false);
        for (n, id) in ids.iter().enumerate() {
            let mut r = super::super::fixture::Opened::default().record(n as u64 + 1, at);
            r.case = (*id).into();
            folder.push(r);
        }
        let cases = folder.finish().expect("consistent");
        cases.iter().map(|c| c.id.to_string()).collect()
    }

    #[test]
    fn cases_come_out_by_number_whatever_order_they_were_opened_in() {
        let sorted = ["ESC-1", "ESC-2", "ESC-10", "ESC-00", "ESC-0"];
        // In order already (no sort), and out of order: the same, ids without a number
        // last in the order they came.
        assert_eq!(fold_ids(&sorted), sorted);
        assert_eq!(
            fold_ids(&["ESC-00", "ESC-10", "ESC-2", "ESC-0", "ESC-1"]),
            sorted
        );
        assert_eq!(
            fold_ids(&["ESC-1", "ESC-2", "ESC-00", "ESC-10", "ESC-0"]),
            sorted
        );
    }

    #[test]
    fn the_first_owner_is_remembered_once_someone_else_owns_the_case() {
        let lines = [
            r#"{"seq":1,"at":"2026-11-16T09:00:00Z","actor":"ana","case":"ESC-1","step":"open","event":"opened","title":"t","severity":"sev2","type":"technical","path":"technical","tier":"L1","owner":"ben"}"#,
            r#"{"seq":2,"at":"2026-11-16T09:10:00Z","actor":"ana","case":"ESC-1","step":"acknowledge","event":"assigned","to":"ben"}"#,
            r#"{"seq":3,"at":"2026-11-16T09:20:00Z","actor":"ben","case":"ESC-1","step":"acknowledge","event":"assigned","to":"dee"}"#,
            r#"{"seq":4,"at":"2026-11-16T16:00:00Z","actor":"dee","case":"ESC-1","step":"escalate","event":"escalated","path":"technical","from":"L1","to":"L2","owner":"carl","reason":"r"}"#,
        ];
        let owners = |n: usize| {
            let mut folder = Folder::new(false);
            for line in &lines[..n] {
                folder.push(serde_json::from_str(line).expect("record"));
            }
            let cases = folder.finish().expect("folds");
            (
                cases[0].owner.to_string(),
                cases[0].first_owner().to_string(),
            )
        };
        let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(owners(1), pair("ben", "ben"));
        // Assigned to the owner they already have: nothing changes hands.
        assert_eq!(owners(2), pair("ben", "ben"));
        assert_eq!(owners(3), pair("dee", "ben"));
        assert_eq!(owners(4), pair("carl", "ben"));
    }
}
