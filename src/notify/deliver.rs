//! Delivering one notification through every channel that reaches its recipients: the notify
//! command (every notification), the team webhook (internal ones), each person's own webhook
//! and email address from `[people.NAME]`, and email to a customer whose reporter is an
//! address. A notification is delivered when every channel it was sent through took it; on
//! any failure it is retried as a whole later (its id is stable, so receivers can drop a
//! duplicate; emails carry it as their Message-ID).

use super::outbox::Notification;
use super::{command, email, webhook};
use crate::case::event::Audience;
use crate::policy::Policy;
use serde_json::{Value, json};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Everything delivery needs from the shell: the policy, where the command runs, the
/// environment it may see and the SMTP credentials.
pub struct Channels<'a> {
    pub policy: &'a Policy,
    /// The policy file's directory: the notify command runs there.
    pub dir: PathBuf,
    pub env: Vec<(String, OsString)>,
    pub smtp_credentials: Option<(String, String)>,
    pub timeout: Duration,
}

impl<'a> Channels<'a> {
    /// Channels for `policy` (read from `policy_path`), with esc's own environment.
    pub fn new(policy: &'a Policy, policy_path: &Path) -> Channels<'a> {
        let dir = policy_path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let user = std::env::var(email::USERNAME_VAR).ok();
        let password = std::env::var(email::PASSWORD_VAR).ok();
        Channels {
            policy,
            dir,
            env: command::environment(&policy.notify.env, |k| std::env::var_os(k)),
            smtp_credentials: user.zip(password),
            timeout: policy
                .notify
                .timeout
                .to_std()
                .unwrap_or(Duration::from_secs(10)),
        }
    }
}

/// Why a delivery failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub error: String,
    /// The tail of the notify command's stderr.
    pub stderr: Option<String>,
    /// The same failure would hit every other notification (the command cannot start):
    /// stop this run and leave the rest queued.
    pub stop: bool,
}

/// What a payload says about the case a notification is about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseFacts {
    pub title: String,
    pub severity: String,
    /// The case's intake channel (`esc open --channel`), for routing customer messages.
    pub channel: Option<String>,
}

impl CaseFacts {
    pub fn of(case: &crate::case::Case) -> CaseFacts {
        CaseFacts {
            title: case.title.to_string(),
            severity: case.severity.to_string(),
            channel: case.more().channel.clone(),
        }
    }
}

/// The payload a notify command reads on stdin and a webhook receives (`text` is the message
/// again, for Slack-compatible receivers).
pub fn payload(n: &Notification, case: &CaseFacts) -> Value {
    json!({
        "id": n.id,
        "case": n.case,
        "title": case.title,
        "severity": case.severity,
        "channel": case.channel,
        "action": n.action,
        "audience": n.audience.as_str(),
        "recipients": n.recipients,
        "message": n.message,
        "text": n.message,
        "promise": n.promise,
        "at": n.at,
        "due": n.due,
    })
}

/// Case text in a mail header: one line, no control characters.
fn header_text(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Deliver `n` (with its `payload`) through every channel that reaches it.
pub fn deliver(ch: &Channels<'_>, n: &Notification, payload: &Value) -> Result<(), Failure> {
    let notify = &ch.policy.notify;
    let mut errors: Vec<String> = Vec::new();
    let mut stderr: Option<String> = None;
    let mut stop = false;
    let mut reached = false;
    if let Some(argv) = &notify.command {
        reached = true;
        if let Err(e) = command::deliver(argv, &ch.dir, &payload.to_string(), ch.timeout, &ch.env) {
            stderr = e.stderr().map(str::to_string);
            stop = matches!(e, command::DeliveryError::Spawn { .. });
            errors.push(e.to_string());
        }
    }
    let mut hooks: Vec<(String, u32)> = Vec::new();
    let mut addresses: Vec<String> = Vec::new();
    match n.audience {
        Audience::Internal => {
            if let Some(w) = &notify.webhook {
                hooks.push((w.url.clone(), w.retries));
            }
            let retries = notify.webhook.as_ref().map_or(2, |w| w.retries);
            for person in &n.recipients {
                if let Some(c) = ch.policy.contacts.get(person) {
                    if let Some(url) = &c.webhook {
                        hooks.push((url.clone(), retries));
                    }
                    if let Some(a) = &c.email {
                        addresses.push(a.clone());
                    }
                }
            }
        }
        Audience::Customer => {
            addresses.extend(n.recipients.iter().filter(|r| r.contains('@')).cloned());
        }
    }
    for (url, retries) in hooks {
        reached = true;
        if let Err(e) = webhook::post(&url, payload, ch.timeout, retries) {
            errors.push(e.to_string());
        }
    }
    if !addresses.is_empty()
        && let Some(server) = &notify.email
    {
        reached = true;
        let title = payload["title"].as_str().unwrap_or("");
        let subject = match n.audience {
            Audience::Internal => format!("[{}] {}", n.case, header_text(title)),
            Audience::Customer => format!("Your case {}: {}", n.case, header_text(title)),
        };
        let message_id = format!("<{}.{}@esc>", n.id, n.case);
        let mail = email::Mail {
            to: &addresses,
            subject: &subject,
            body: &n.message,
            message_id: &message_id,
        };
        if let Err(e) = email::send(server, &mail, ch.timeout, ch.smtp_credentials.clone()) {
            errors.push(e.to_string());
        }
    }
    if !reached {
        errors.push(format!(
            "no delivery channel reaches {}: give them `email` or `webhook` in [people.NAME], or set [notify] command or [notify.webhook]",
            n.recipients.join(", ")
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Failure {
            error: errors.join("; "),
            stderr,
            stop,
        })
    }
}
