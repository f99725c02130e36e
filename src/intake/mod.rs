//! Cases from monitoring: Alertmanager webhooks and generic events become cases, notes,
//! resolutions and reopenings, de-duplicated by key. Pure — parse a payload
//! ([`payload`]), route it by the policy's `[[intake]]` rules ([`route`]), and decide what
//! it does to the cases ([`decide`]) from the compact state folded from the ledger
//! ([`state`]), and who is told of it ([`notices`]). The shell (`app::intake_cmd`, `app::serve`) reads, appends and answers.

pub mod decide;
pub mod notices;
pub mod payload;
pub mod route;
pub mod state;

pub use decide::{Decision, Outcome, Verdict, decide};
pub use route::Signal;
pub use state::IntakeState;

/// Why a payload was not taken. Nothing is recorded for it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntakeError {
    /// The body is not a payload of the expected shape.
    #[error("{0}")]
    Payload(String),
    #[error(
        "the policy has no [[intake]] rules, so no alert can be routed: add one (a rule without `match` takes every alert), see docs/intake.md"
    )]
    NoRules,
    #[error(
        "{0} matches no [[intake]] rule: add a rule that matches it (a rule without `match` takes every alert), or fix the alert's labels"
    )]
    Unrouted(String),
    #[error("[[intake]] rule `{rule}`: its {what} template could not be rendered: {message}")]
    Template {
        rule: String,
        what: String,
        message: String,
    },
    #[error(
        "{case}'s last event is at {last}; `now` ({now}) must not be earlier — check --now / ESC_NOW"
    )]
    BeforeLastEvent {
        case: String,
        last: String,
        now: String,
    },
    #[error(transparent)]
    Refused(#[from] crate::case::Refusal),
}

/// Which intake a body is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Alertmanager,
    Event,
}

/// Parse, check and route a body: its signals, or why it cannot be taken.
pub fn signals(
    policy: &crate::policy::Policy,
    source: Source,
    body: &[u8],
) -> Result<Vec<Signal>, IntakeError> {
    match source {
        Source::Alertmanager => route::alertmanager(policy, &payload::alertmanager(body)?),
        Source::Event => route::event(policy, &payload::event(body)?),
    }
}

/// What the intake tests share.
#[cfg(test)]
pub(crate) mod testing {
    /// A small policy (one tier, sev1 and sev2 on a 24x7 calendar, agent `ana`) with these
    /// `[[intake]]` rules.
    pub fn policy(rules: &str) -> crate::policy::Policy {
        let text = format!(
            r#"
version = 1
types = ["technical"]
[defaults]
severity = "sev2"
type = "technical"
path = "technical"
timezone = "UTC"
[calendars.always]
timezone = "UTC"
hours = "24x7"
[severities.sev1]
calendar = "always"
response = "15m"
resolution = "4h"
[severities.sev2]
calendar = "always"
response = "1h"
resolution = "8h"
[roles.agent]
members = ["ana"]
[[tiers]]
id = "L1"
role = "agent"
escalate_after = {{ sev1 = "10m", sev2 = "1h" }}
[raci.default]
open = {{ r = ["agent"], a = "agent", i = ["agent"] }}
{rules}"#
        );
        crate::policy::parse(&text).expect("the intake test policy is valid")
    }
}
