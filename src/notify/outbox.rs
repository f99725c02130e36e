//! The outbox is a fold of the ledger: `notification_queued` events are the messages (their
//! `seq` is the notification id, `N-<seq>`), `notification_delivered` and
//! `notification_failed` events their fate. Nothing is kept anywhere else, so a queued
//! notification cannot be lost: it is in the ledger before sweep reports success.

use crate::case::{Event, Record};
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
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Failed => "failed",
            State::Delivered => "delivered",
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
    pub delivered_at: Option<DateTime<Utc>>,
}

impl Notification {
    /// Whether delivery should be tried at `now`.
    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        match self.state {
            State::Pending => true,
            State::Failed => self.retry_after.is_none_or(|t| t <= now),
            State::Delivered => false,
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
            } => {
                out.insert(
                    r.seq,
                    Notification {
                        id: format!("N-{}", r.seq),
                        seq: r.seq,
                        case: r.case.clone(),
                        action: action.clone(),
                        recipients: recipients.clone(),
                        message: message.clone(),
                        due: *due,
                        at: r.at,
                        state: State::Pending,
                        attempts: 0,
                        retry_after: None,
                        last_error: None,
                        delivered_at: None,
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
            } => {
                if let Some(n) = out.get_mut(notification)
                    && n.state != State::Delivered
                {
                    n.state = State::Failed;
                    n.attempts = (*attempt).max(n.attempts + 1);
                    n.retry_after = Some(*retry_after);
                    n.last_error = Some(error.clone());
                }
            }
            _ => {}
        }
    }
}

/// Fold one more record, keeping only notifications not yet delivered (what a sweep needs):
/// a delivered one is dropped, so the queue's memory is that of the backlog alone.
pub fn push_pending(out: &mut BTreeMap<u64, Notification>, r: &Record) {
    if let Event::NotificationDelivered { notification } = &r.event {
        out.remove(notification);
    } else {
        push(out, r);
    }
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
