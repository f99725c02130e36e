//! The outbox is a fold of the ledger: `notification_queued` events are the messages (their
//! `seq` is the notification id, `N-<seq>`), `notification_delivered`, `notification_failed`
//! and `notification_ended` (superseded, expired, dropped) events their fate. Nothing is kept anywhere else, so a queued
//! notification cannot be lost: it is in the ledger before sweep reports success.

use crate::case::event::{Audience, Ending};
use crate::case::{Event, Record};
use crate::sla::clock::ClockKind;
use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// Where a notification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Not delivered yet, never tried.
    Pending,
    /// Tried and failed; retried after `retry_after`.
    Failed,
    Delivered,
    /// A breach of the same clock came before the warning went out.
    Superseded,
    /// Older than `[notify] max_age` when its turn came.
    Expired,
    /// `esc notifications drop`.
    Dropped,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Failed => "failed",
            State::Delivered => "delivered",
            State::Superseded => "superseded",
            State::Expired => "expired",
            State::Dropped => "dropped",
        }
    }

    /// Whether the notification is still to be delivered.
    pub fn is_open(self) -> bool {
        matches!(self, State::Pending | State::Failed)
    }
}

impl From<Ending> for State {
    fn from(e: Ending) -> State {
        match e {
            Ending::Superseded => State::Superseded,
            Ending::Expired => State::Expired,
            Ending::Dropped => State::Dropped,
        }
    }
}

/// One notification and its fate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notification {
    /// `N-<seq>`: stable across retries, so a receiver can drop duplicates.
    pub id: String,
    #[serde(skip)]
    pub seq: u64,
    pub case: String,
    pub action: String,
    pub audience: Audience,
    pub recipients: Vec<String>,
    pub message: String,
    /// When the action fell due.
    pub due: DateTime<Utc>,
    /// When it was queued.
    pub at: DateTime<Utc>,
    pub state: State,
    pub attempts: u32,
    pub retry_after: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// The last 2 KB the notify command wrote on stderr at the last failure.
    pub stderr: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// The clock a warning or breach is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock: Option<ClockKind>,
    /// The time promised to the customer in this message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promise: Option<DateTime<Utc>>,
    /// Why it ended undelivered (superseded, expired, dropped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended: Option<String>,
}

impl Notification {
    /// Whether delivery should be tried at `now`.
    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        match self.state {
            State::Pending => true,
            State::Failed => self.retry_after.is_none_or(|t| t <= now),
            _ => false,
        }
    }
}

/// Every notification in the ledger, by seq.
pub fn fold<'a>(records: impl IntoIterator<Item = &'a Record>) -> BTreeMap<u64, Notification> {
    let mut out: BTreeMap<u64, Notification> = BTreeMap::new();
    for r in records {
        push(&mut out, r);
    }
    out
}

/// Fold one more record into the queue.
pub fn push(out: &mut BTreeMap<u64, Notification>, r: &Record) {
    {
        match &r.event {
            Event::NotificationQueued {
                action,
                recipients,
                message,
                due,
                audience,
                clock,
                promise,
            } => {
                out.insert(
                    r.seq,
                    Notification {
                        id: format!("N-{}", r.seq),
                        seq: r.seq,
                        case: r.case.to_string(),
                        action: action.clone(),
                        audience: *audience,
                        recipients: recipients.clone(),
                        message: message.clone(),
                        due: *due,
                        at: r.at,
                        state: State::Pending,
                        attempts: 0,
                        retry_after: None,
                        last_error: None,
                        stderr: None,
                        delivered_at: None,
                        clock: *clock,
                        promise: *promise,
                        ended: None,
                    },
                );
            }
            Event::NotificationDelivered { notification } => {
                if let Some(n) = out.get_mut(notification) {
                    n.state = State::Delivered;
                    n.delivered_at = Some(r.at);
                    n.attempts += 1;
                }
            }
            Event::NotificationFailed {
                notification,
                attempt,
                error,
                retry_after,
                stderr,
            } => {
                if let Some(n) = out.get_mut(notification)
                    && n.state.is_open()
                {
                    n.state = State::Failed;
                    n.attempts = (*attempt).max(n.attempts + 1);
                    n.retry_after = Some(*retry_after);
                    n.last_error = Some(error.clone());
                    n.stderr = stderr.clone();
                }
            }
            Event::NotificationEnded {
                notification,
                outcome,
                reason,
            } => {
                if let Some(n) = out.get_mut(notification)
                    && n.state.is_open()
                {
                    n.state = State::from(*outcome);
                    n.ended = reason.clone();
                }
            }
            _ => {}
        }
    }
}

/// Fold one more record, keeping only notifications not yet delivered or ended (what a
/// sweep needs), so the queue's memory is that of the backlog alone.
pub fn push_pending(out: &mut BTreeMap<u64, Notification>, r: &Record) {
    match &r.event {
        Event::NotificationDelivered { notification }
        | Event::NotificationEnded { notification, .. } => {
            out.remove(notification);
        }
        _ => push(out, r),
    }
}

/// What happens to a due notification at `now` before any delivery is tried: a warning whose
/// clock's breach is also queued is superseded; anything that fell due longer than `max_age`
/// ago is expired. `None`: deliver it.
pub fn ending(
    n: &Notification,
    queue: &BTreeMap<u64, Notification>,
    max_age: TimeDelta,
    now: DateTime<Utc>,
) -> Option<(Ending, String)> {
    if n.action == "warning"
        && let Some(clock) = n.clock
        && let Some(b) = queue.values().find(|b| {
            b.seq > n.seq
                && b.case == n.case
                && b.action == "breach"
                && b.clock == Some(clock)
                && b.audience == n.audience
        })
    {
        return Some((
            Ending::Superseded,
            format!("the breach of the same clock ({}) came first", b.id),
        ));
    }
    if now - n.due > max_age {
        return Some((
            Ending::Expired,
            format!(
                "fell due {} ago, more than [notify] max_age ({})",
                crate::policy::duration::format(now - n.due),
                crate::policy::duration::format(max_age)
            ),
        ));
    }
    None
}

/// When to try again after the `attempt`-th failure: 1, 2, 4 … minutes, at most an hour.
pub fn backoff(attempt: u32, now: DateTime<Utc>) -> DateTime<Utc> {
    let minutes = 1i64 << attempt.saturating_sub(1).min(6);
    now + TimeDelta::minutes(minutes.min(60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let now = DateTime::parse_from_rfc3339("2026-11-23T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(backoff(1, now) - now, TimeDelta::minutes(1));
        assert_eq!(backoff(2, now) - now, TimeDelta::minutes(2));
        assert_eq!(backoff(4, now) - now, TimeDelta::minutes(8));
        assert_eq!(backoff(30, now) - now, TimeDelta::minutes(60));
    }
}
