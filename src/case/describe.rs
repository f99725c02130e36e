//! Events in a few words, for timelines, confirmations and notification messages.

use super::event::Event;

/// What an event did, in a few words (timeline and confirmations).
pub fn event(e: &Event) -> String {
    match e {
        Event::Opened {
            severity,
            tier,
            owner,
            title,
            ..
        } => format!("opened ({severity}) at {tier}, owner {owner}: {title}"),
        Event::Acknowledged {} => "acknowledged".into(),
        Event::Assigned { to } => format!("assigned to {to}"),
        Event::Noted { text } => format!("note: {text}"),
        Event::Updated {
            text,
            customer,
            eta,
        } => {
            let eta = eta.map_or(String::new(), |t| {
                format!(" (promised by {})", crate::render::rfc3339(t))
            });
            if *customer {
                format!("customer update: {text}{eta}")
            } else {
                format!("update: {text}{eta}")
            }
        }
        Event::Escalated {
            path,
            from,
            to,
            owner,
            reason,
            summary,
            tried,
            by,
            ..
        } => {
            let mut s = format!(
                "escalated on {path}: {} → {to} (now {owner}); reason: {reason}",
                from.as_deref().unwrap_or("none")
            );
            if let Some(x) = summary {
                s.push_str(&format!("; summary: {x}"));
            }
            if let Some(x) = tried {
                s.push_str(&format!("; tried: {x}"));
            }
            if let Some(x) = by {
                s.push_str(&format!(" [by {x}]"));
            }
            s
        }
        Event::Deescalated {
            path,
            from,
            to,
            reason,
            ..
        } => format!(
            "de-escalated on {path}: {from} → {}; reason: {reason}",
            to.as_deref().unwrap_or("none")
        ),
        Event::Paused { reason } => format!("paused: {reason}"),
        Event::Resumed {} => "resumed".into(),
        Event::Resolved {
            resolution,
            root_cause,
        } => match root_cause {
            Some(rc) => format!("resolved: {resolution} (root cause: {rc})"),
            None => format!("resolved: {resolution}"),
        },
        Event::FollowedUp { csat, comment } => {
            let mut s = "follow-up recorded".to_string();
            if let Some(c) = csat {
                s.push_str(&format!(", satisfaction {c}/5"));
            }
            if let Some(c) = comment {
                s.push_str(&format!(": {c}"));
            }
            s
        }
        Event::Closed {
            review_waived,
            without_followup,
        } => {
            let mut s = "closed".to_string();
            if let Some(r) = review_waived {
                s.push_str(&format!("; review waived: {r}"));
            }
            if let Some(r) = without_followup {
                s.push_str(&format!("; without follow-up: {r}"));
            }
            s
        }
        Event::Reopened { reason } => format!("reopened: {reason}"),
        Event::SlaWarning { clock, .. } => format!("SLA warning: {} clock", clock.as_str()),
        Event::SlaBreach { clock, .. } => format!("SLA breach: {} clock", clock.as_str()),
        Event::TriggerFired { trigger, .. } => format!("trigger {trigger} fired"),
        Event::Proposed { trigger, .. } => format!(
            "trigger {trigger} proposes its actions: `esc approve ID {trigger}` or `esc reject ID {trigger}`"
        ),
        Event::Approved { trigger } => format!("proposal of trigger {trigger} approved"),
        Event::Rejected { trigger, reason } => match reason {
            Some(r) => format!("proposal of trigger {trigger} rejected: {r}"),
            None => format!("proposal of trigger {trigger} rejected"),
        },
        Event::Labelled { labels, .. } => format!("labelled {}", labels.join(", ")),
        Event::NotificationQueued {
            recipients,
            audience,
            ..
        } => format!(
            // Who is told; the text is in `esc notifications` and `show --json` (the row
            // above says what happened).
            "{} notification to {}",
            audience.as_str(),
            recipients.join(", "),
        ),
        Event::SwarmStarted {
            facilitator,
            members,
            ..
        } => format!(
            "swarm started: facilitator {facilitator}, members {}",
            members.join(", ")
        ),
        Event::SwarmEnded { lessons } => match lessons {
            Some(l) => format!("swarm ended; lessons: {l}"),
            None => "swarm ended".into(),
        },
        Event::MajorDeclared {
            commander, roles, ..
        } => {
            let r: Vec<String> = roles.iter().map(|(k, v)| format!("{k} {v}")).collect();
            format!(
                "major incident declared: commander {commander}; {}",
                r.join(", ")
            )
        }
        Event::MajorStoodDown {} => "major incident stood down".into(),
        Event::Reminded { item: None } => "reminded of the overdue review".into(),
        Event::Reminded { item: Some(n) } => format!("reminded of late action item {n}"),
        Event::SponsorEngaged { sponsor, .. } => {
            format!("executive sponsor engaged: {}", sponsor.join(", "))
        }
        Event::NotificationDelivered { notification } => {
            format!("notification N-{notification} delivered")
        }
        Event::NotificationFailed {
            notification,
            attempt,
            error,
            ..
        } => format!("notification N-{notification} failed (attempt {attempt}): {error}"),
        Event::NotificationEnded {
            notification,
            outcome,
            reason,
        } => match reason {
            Some(r) => format!("notification N-{notification} {}: {r}", outcome.as_str()),
            None => format!("notification N-{notification} {}", outcome.as_str()),
        },
        Event::FollowupRequested {} => "follow-up requested from the customer".into(),
        Event::PromiseMissed { missed, by } => format!(
            "promise to the customer missed ({}); new expected time {}",
            crate::render::rfc3339(*missed),
            crate::render::rfc3339(*by)
        ),
        Event::ReviewRecorded {
            root_cause,
            actions,
            ..
        } => format!(
            "review recorded: root cause: {root_cause}; {} action item{}",
            actions.len(),
            if actions.len() == 1 { "" } else { "s" }
        ),
        Event::ActionDone { item } => format!("action item {item} done"),
        Event::Alerted { text, .. } => format!("alert: {text}"),
        Event::OncallOverride {
            role,
            person,
            from,
            to,
        } => format!(
            "on-call override: {person} on duty for {role} from {} to {}",
            crate::render::rfc3339(*from),
            crate::render::rfc3339(*to)
        ),
        Event::Edited { .. } => super::edit::describe(e),
    }
}
