//! The checked policy model.
//!
//! Everything here has been validated by [`crate::policy::parse`]: every name refers to
//! something that exists, every duration is positive, every tier has a budget for every
//! severity. Code past the parser never handles a dangling reference.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use std::collections::{BTreeMap, BTreeSet};

/// A whole escalation policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Display name of the policy (`name`).
    pub name: String,
    /// The short content hash of the policy file ([`crate::policy::version`]), recorded on
    /// every event decided under it.
    pub hash: String,
    /// Escalation types, in the order written (`types`).
    pub types: Vec<String>,
    pub defaults: Defaults,
    /// Calendars by name.
    pub calendars: BTreeMap<String, Calendar>,
    /// Severities in the order written (most severe first by convention).
    pub severities: Vec<Severity>,
    /// Roles by name.
    pub roles: BTreeMap<String, Role>,
    /// Tiers in the order written; tiers of one path keep their relative order.
    pub tiers: Vec<Tier>,
    /// Escalation paths in order of first appearance, each with its tiers in order.
    pub paths: Vec<EscalationPath>,
    /// RACI tables by type name; `"default"` is the fallback.
    pub raci: BTreeMap<String, RaciTable>,
    /// Accounts that need settings, by account id.
    pub accounts: BTreeMap<String, Account>,
    pub handoff: Handoff,
    pub swarm: SwarmPolicy,
    pub major: MajorPolicy,
    pub review: ReviewPolicy,
    pub closing: Closing,
    /// `[authority]`: who may take the decisions the tool gates (see
    /// [`crate::case::authority`]).
    pub authority: Authority,
    /// `[sponsors]`: executive sponsors for cases whose account names none.
    pub sponsors: Sponsors,
    pub triggers: Vec<Trigger>,
    pub notify: Notify,
    pub templates: Templates,
    /// `[[intake]]` routing rules for monitoring alerts, in the order written.
    pub intake: Vec<super::intake::IntakeRule>,
    /// Contact methods of people (`[people.NAME]`), by person.
    pub contacts: BTreeMap<String, Contact>,
    /// On-call overrides recorded in the ledger (`esc oncall override`). Not part of the
    /// policy file: the shell attaches them after loading, so every owner and recipient
    /// chosen from a role honours them. Empty when parsed.
    pub overrides: Vec<Override>,
}

/// `esc oncall override ROLE --person P --from T --to T`: P is on duty for ROLE in [from, to).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Override {
    pub role: String,
    pub person: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Who recorded it, and when.
    pub by: String,
    pub at: DateTime<Utc>,
}

/// Who is on duty for a role at a time, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Duty {
    pub role: String,
    pub person: String,
    /// `"override"`, `"rotation"` or `"fixed"` (a role without rotation: its first member).
    pub reason: &'static str,
    /// The override in force, when the reason is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_override: Option<Override>,
}

/// `[defaults]`.
#[derive(Debug, Clone)]
pub struct Defaults {
    pub severity: String,
    pub case_type: String,
    pub path: String,
    /// Time zone for times shown to people.
    pub timezone: Tz,
    /// Whether `--actor` may name someone the policy does not list.
    pub unknown_actors: UnknownActors,
}

/// `[defaults] unknown_actors`: whether an actor must be a person of the policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UnknownActors {
    /// The actor must be a member of some role (the default).
    #[default]
    Refuse,
    /// Any name is accepted; a name the policy does not list holds no authority but
    /// `anyone`'s.
    Allow,
}

/// Who holds an authority (`[authority]` values): a role's members, a person, or someone
/// standing in a relation to the case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Holder {
    Role(String),
    Person(String),
    /// Everyone who may act at all (`anyone`).
    Anyone,
    /// The case's owner (`owner`).
    Owner,
    /// Members of the role of the case's current tier, and of every tier above it, on each
    /// path the case is on (`tier`) — the authority matrix read upwards.
    Tier,
    /// The Accountable of the decision's RACI step for the case's type (`accountable`).
    Accountable,
    /// The case's incident commander (`commander`).
    Commander,
}

impl Holder {
    /// The word or name as written in the policy.
    pub fn as_str(&self) -> &str {
        match self {
            Holder::Role(n) | Holder::Person(n) => n,
            Holder::Anyone => "anyone",
            Holder::Owner => "owner",
            Holder::Tier => "tier",
            Holder::Accountable => "accountable",
            Holder::Commander => "commander",
        }
    }
}

/// `[authority]`: each decision's holders; `None` (or no entry) is the default the authority
/// matrix implies (see [`crate::case::authority::holders`]).
#[derive(Debug, Clone, Default)]
pub struct Authority {
    /// Approve or reject any trigger's proposal.
    pub approve: Option<Vec<Holder>>,
    /// Per trigger, instead of `approve` (`[authority.triggers]`).
    pub triggers: BTreeMap<String, Vec<Holder>>,
    /// Escalate on a path, per path (`[authority.escalate]`).
    pub escalate: BTreeMap<String, Vec<Holder>>,
    pub skip_tiers: Option<Vec<Holder>>,
    /// Declare a major incident.
    pub major: Option<Vec<Holder>>,
    /// Stand a major incident down.
    pub stand_down: Option<Vec<Holder>>,
    pub waive_review: Option<Vec<Holder>>,
    pub close_without_followup: Option<Vec<Holder>>,
}

/// `[sponsors]`: the executive sponsor of a case whose account names none (or that has no
/// account): per severity, else the default.
#[derive(Debug, Clone, Default)]
pub struct Sponsors {
    pub default: Option<Party>,
    pub by_severity: BTreeMap<String, Party>,
}

/// Opening hours of a calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hours {
    /// `"24x7"`: always open, plain elapsed time.
    Always,
    /// Open ranges per weekday, Monday first (index 0 = Monday … 6 = Sunday).
    Weekly([Vec<TimeRange>; 7]),
}

/// One open range within a day, as minutes after local midnight: `start < end <= 1440`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimeRange {
    pub start: u16,
    pub end: u16,
}

/// A business-hours calendar (`[calendars.NAME]`).
#[derive(Debug, Clone)]
pub struct Calendar {
    pub name: String,
    pub timezone: Tz,
    pub hours: Hours,
    /// Whole local days on which the calendar is closed.
    pub holidays: BTreeSet<NaiveDate>,
    /// The fast path of business-time arithmetic on this calendar, built when it is first
    /// needed ([`crate::sla::table`]); `Default::default()` when making a calendar.
    pub fast: crate::sla::table::Memo,
}

/// Whether a case of a severity needs a post-escalation review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewRequirement {
    Required,
    Optional,
}

/// `[severities.NAME]`.
#[derive(Debug, Clone)]
pub struct Severity {
    pub id: String,
    pub label: String,
    /// Name of the calendar the SLA clocks of this severity run on.
    pub calendar: String,
    pub response: TimeDelta,
    pub resolution: TimeDelta,
    pub update_every: Option<TimeDelta>,
    /// Share of a target after which a warning is raised, in (0, 1).
    pub warn_at: f64,
    pub skip_tiers: bool,
    pub review: ReviewRequirement,
}

/// How the on-duty member of a role is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    /// The first member is always on duty.
    None,
    /// One member per calendar day, in order.
    Daily,
    /// One member per ISO week (Monday to Sunday), in order.
    Weekly,
}

/// `[roles.NAME] roster`: the members from a date on, never before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterChange {
    pub effective: NaiveDate,
    pub members: Vec<String>,
}

/// `[roles.NAME]`.
#[derive(Debug, Clone)]
pub struct Role {
    pub name: String,
    /// The members from `start` (or always, without roster changes).
    pub members: Vec<String>,
    pub rotation: Rotation,
    /// The anchor of the rotation: the first member's turn begins this day. Without one,
    /// turns count from Monday 1970-01-05.
    pub start: Option<NaiveDate>,
    /// Member changes in date order, each taking effect at its `effective` date.
    pub roster: Vec<RosterChange>,
}

/// `[[tiers]]`.
#[derive(Debug, Clone)]
pub struct Tier {
    pub id: String,
    pub path: String,
    pub name: String,
    /// The role that owns cases in this tier.
    pub role: String,
    /// Time budget in this tier per severity id (every severity has one).
    pub escalate_after: BTreeMap<String, TimeDelta>,
    pub authority: Vec<String>,
    /// The calendar this tier's budget runs on, if not the case's (see
    /// [`Policy::tier_calendar`]).
    pub calendar: Option<String>,
}

/// An escalation path and its tier ids in order.
#[derive(Debug, Clone)]
pub struct EscalationPath {
    pub name: String,
    pub tiers: Vec<String>,
}

/// Someone a RACI cell, a notification or a sponsor setting refers to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Party {
    Role(String),
    Person(String),
    /// The case's reporter: a customer party.
    Reporter,
    /// The contacts of the case's account (`[accounts.ID] contacts`): a customer party.
    Contacts,
    Owner,
    Sponsor,
    Commander,
}

/// The steps of the RACI vocabulary.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Open,
    Acknowledge,
    Escalate,
    Swarm,
    Major,
    Update,
    Resolve,
    Review,
    Close,
}

/// One row of a RACI table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raci {
    pub responsible: Vec<Party>,
    pub accountable: Party,
    pub consulted: Vec<Party>,
    pub informed: Vec<Party>,
}

/// A RACI table for one escalation type: step → assignment.
pub type RaciTable = BTreeMap<Step, Raci>;

/// `[accounts.ID]`.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub key: bool,
    pub sponsor: Option<Party>,
    /// The customer's own people to tell of the account's cases (email addresses): the
    /// `contacts` party, told only customer-audience notifications.
    pub contacts: Vec<String>,
    /// The calendar this account's cases run on instead of a business-hours severity
    /// calendar (see [`Policy::case_calendar`]).
    pub calendar: Option<String>,
}

/// A field `esc escalate` can be required to document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HandoffField {
    Reason,
    Summary,
    Tried,
}

/// `[handoff]`.
#[derive(Debug, Clone, Default)]
pub struct Handoff {
    pub require: Vec<HandoffField>,
}

/// `[swarm]`.
#[derive(Debug, Clone, Default)]
pub struct SwarmPolicy {
    /// Role whose on-duty member facilitates a swarm unless one is named.
    pub facilitator: Option<String>,
    pub lessons_required: bool,
}

/// `[major.cards.ROLE]`.
#[derive(Debug, Clone)]
pub struct RoleCard {
    pub role: String,
    pub duties: Vec<String>,
}

/// `[major]`.
#[derive(Debug, Clone, Default)]
pub struct MajorPolicy {
    /// Incident roles that must be filled when a major incident is declared.
    pub roles: Vec<String>,
    pub update_every: Option<TimeDelta>,
    pub cards: BTreeMap<String, RoleCard>,
}

/// A circumstance that makes a review required (`[review] also_when`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ReviewWhen {
    Breached,
    Swarmed,
    Major,
}

/// `[review]`.
#[derive(Debug, Clone)]
pub struct ReviewPolicy {
    pub required_for: Vec<String>,
    pub also_when: Vec<ReviewWhen>,
    /// Plain elapsed time after resolution.
    pub due: TimeDelta,
}

/// `[closing]`.
#[derive(Debug, Clone, Default)]
pub struct Closing {
    pub require_followup: bool,
}

/// Case status, as used by trigger conditions and case folding.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Open,
    Acknowledged,
    Paused,
    Resolved,
    Closed,
}

/// The SLA condition of a trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaCondition {
    Warning,
    Breached,
}

/// `[[triggers]] when`: all conditions must hold.
#[derive(Debug, Clone, Default)]
pub struct Conditions {
    pub severity: Vec<String>,
    pub case_type: Vec<String>,
    pub tier: Vec<String>,
    pub status: Vec<Status>,
    pub account: Vec<String>,
    pub account_key: Option<bool>,
    /// Every listed label must be on the case.
    pub labels: Vec<String>,
    pub age: Option<TimeDelta>,
    pub in_tier_for: Option<TimeDelta>,
    pub unacknowledged_for: Option<TimeDelta>,
    pub since_update: Option<TimeDelta>,
    pub reopened: Option<u32>,
    pub escalations: Option<u32>,
    pub open_cases_for_account: Option<u32>,
    pub sla: Option<SlaCondition>,
}

/// `[[triggers]] then`.
#[derive(Debug, Clone, Default)]
pub struct Actions {
    /// Escalate one tier on this path.
    pub escalate: Option<String>,
    /// Move to this tier (on its path).
    pub to: Option<String>,
    pub notify: Vec<Party>,
    /// Start a swarm with these members (empty list: the facilitator only).
    pub swarm: Option<Vec<Party>>,
    pub major: bool,
    pub sponsor: bool,
    pub label: Vec<String>,
    /// Propose instead of act; `esc approve` / `esc reject` decides.
    pub confirm: bool,
}

/// `[[triggers]]`.
#[derive(Debug, Clone)]
pub struct Trigger {
    pub name: String,
    pub when: Conditions,
    pub then: Actions,
    /// Fire again at most this often; `None` fires once per case.
    pub repeat: Option<TimeDelta>,
    /// Whether it acts per case or once per account.
    pub scope: TriggerScope,
}

/// `[[triggers]] scope`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TriggerScope {
    /// Each case on its own.
    #[default]
    Case,
    /// Once per account: the account's first matching case (by number) carries the firing
    /// or the proposal, which names the account's other matching cases; the others are
    /// not acted on while it holds.
    Account,
}

/// `[notify]`.
#[derive(Debug, Clone)]
pub struct Notify {
    /// argv of the delivery command; `None` records notifications without delivering.
    pub command: Option<Vec<String>>,
    /// How long one delivery (command run, HTTP request, SMTP session) may take.
    pub timeout: TimeDelta,
    /// A notification older than this (since it fell due) when its turn comes is expired.
    pub max_age: TimeDelta,
    /// Environment variables the notify command may see besides PATH, HOME, LANG and TZ.
    pub env: Vec<String>,
    /// `[notify.on]`: who is told of each kind of event, replacing the defaults.
    pub on: BTreeMap<NoticeKind, Vec<Recipient>>,
    /// `[notify.webhook]`: a team-wide webhook that receives every internal notification.
    pub webhook: Option<Webhook>,
    /// `[notify.email]`: the SMTP server for people (and customers) with an email address.
    pub email: Option<EmailServer>,
}

impl Notify {
    /// Whether any delivery channel is configured (else notifications are only recorded).
    pub fn delivers(&self) -> bool {
        self.command.is_some() || self.webhook.is_some() || self.email.is_some()
    }
}

/// The kinds of event people are told about (the keys of `[notify.on]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NoticeKind {
    Open,
    Acknowledge,
    Assign,
    Escalate,
    Deescalate,
    Resolve,
    Close,
    Reopen,
    Swarm,
    SwarmEnd,
    Major,
    StandDown,
    SituationUpdate,
    CustomerUpdate,
    FollowupRequest,
    Warning,
    Breach,
    Trigger,
    Proposed,
    PromiseMissed,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 20] = [
        NoticeKind::Open,
        NoticeKind::Acknowledge,
        NoticeKind::Assign,
        NoticeKind::Escalate,
        NoticeKind::Deescalate,
        NoticeKind::Resolve,
        NoticeKind::Close,
        NoticeKind::Reopen,
        NoticeKind::Swarm,
        NoticeKind::SwarmEnd,
        NoticeKind::Major,
        NoticeKind::StandDown,
        NoticeKind::SituationUpdate,
        NoticeKind::CustomerUpdate,
        NoticeKind::FollowupRequest,
        NoticeKind::Warning,
        NoticeKind::Breach,
        NoticeKind::Trigger,
        NoticeKind::Proposed,
        NoticeKind::PromiseMissed,
    ];

    /// The name in `[notify.on]` and in a notification's `action`.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Open => "open",
            NoticeKind::Acknowledge => "acknowledge",
            NoticeKind::Assign => "assign",
            NoticeKind::Escalate => "escalated",
            NoticeKind::Deescalate => "deescalated",
            NoticeKind::Resolve => "resolve",
            NoticeKind::Close => "close",
            NoticeKind::Reopen => "reopen",
            NoticeKind::Swarm => "swarm",
            NoticeKind::SwarmEnd => "swarm_ended",
            NoticeKind::Major => "major",
            NoticeKind::StandDown => "major_stood_down",
            NoticeKind::SituationUpdate => "situation_update",
            NoticeKind::CustomerUpdate => "customer_update",
            NoticeKind::FollowupRequest => "followup_request",
            NoticeKind::Warning => "warning",
            NoticeKind::Breach => "breach",
            NoticeKind::Trigger => "trigger",
            NoticeKind::Proposed => "proposed",
            NoticeKind::PromiseMissed => "promise_missed",
        }
    }

    pub fn parse(name: &str) -> Option<NoticeKind> {
        NoticeKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Kinds that never reach the customer: internal mechanics and staff decisions.
    pub fn internal_only(self) -> bool {
        matches!(
            self,
            NoticeKind::Warning | NoticeKind::Breach | NoticeKind::Trigger | NoticeKind::Proposed
        )
    }
}

/// Who `[notify.on]` names: a party, or a part of the event's RACI row, or the previous owner.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Recipient {
    Party(Party),
    Responsible,
    Accountable,
    Consulted,
    Informed,
    /// The owner before the event (an escalation or an assignment).
    PreviousOwner,
}

/// `[notify.webhook]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub url: String,
    /// Further attempts after a failed one, with a doubling pause between them.
    pub retries: u32,
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (required).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same host.
    None,
}

/// `[notify.email]`. Credentials come from `ESC_SMTP_USERNAME` / `ESC_SMTP_PASSWORD`, never
/// from the policy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailServer {
    pub host: String,
    pub port: u16,
    pub from: String,
    pub security: SmtpSecurity,
}

/// `[people.NAME]`: how to reach a person directly.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    pub email: Option<String>,
    pub webhook: Option<String>,
}

/// `[templates]`: overrides of the built-in templates (minijinja syntax).
#[derive(Debug, Clone, Default)]
pub struct Templates {
    pub overrides: BTreeMap<String, String>,
}

impl Policy {
    /// The severity with this id.
    pub fn severity(&self, id: &str) -> Option<&Severity> {
        self.severities.iter().find(|s| s.id == id)
    }

    /// The tier with this id.
    pub fn tier(&self, id: &str) -> Option<&Tier> {
        self.tiers.iter().find(|t| t.id == id)
    }

    /// The path with this name.
    pub fn path(&self, name: &str) -> Option<&EscalationPath> {
        self.paths.iter().find(|p| p.name == name)
    }

    /// The calendar the SLA clocks of a severity run on.
    pub fn calendar_for(&self, severity: &str) -> Option<&Calendar> {
        self.severity(severity)
            .and_then(|s| self.calendars.get(&s.calendar))
    }

    /// The calendar a case's SLA clocks and trigger durations run on. The account's own
    /// calendar, when it names one, replaces the severity's — unless the severity runs
    /// around the clock (`"24x7"`), which no account calendar shortens.
    pub fn case_calendar(&self, severity: &str, account: Option<&str>) -> Option<&Calendar> {
        self.severity_calendar(self.severity(severity)?, account)
    }

    /// [`Policy::case_calendar`] for a severity already looked up.
    pub fn severity_calendar(
        &self,
        severity: &Severity,
        account: Option<&str>,
    ) -> Option<&Calendar> {
        let own = self.calendars.get(&severity.calendar)?;
        if own.hours == Hours::Always {
            return Some(own);
        }
        account
            .and_then(|a| self.accounts.get(a))
            .and_then(|a| a.calendar.as_ref())
            .and_then(|c| self.calendars.get(c))
            .or(Some(own))
    }

    /// The calendar a tier budget runs on: the tier's own calendar if it names one, else
    /// the case's (`case_calendar`, see [`Policy::case_calendar`]).
    pub fn tier_calendar<'a>(&'a self, tier: &Tier, case_calendar: &'a Calendar) -> &'a Calendar {
        tier.calendar
            .as_ref()
            .and_then(|c| self.calendars.get(c))
            .unwrap_or(case_calendar)
    }

    /// The executive sponsor of a case: its account's, else `[sponsors] by_severity` for its
    /// severity, else `[sponsors] default`.
    pub fn sponsor_for(&self, account: Option<&str>, severity: &str) -> Option<&Party> {
        account
            .and_then(|a| self.accounts.get(a))
            .and_then(|a| a.sponsor.as_ref())
            .or_else(|| self.sponsors.by_severity.get(severity))
            .or(self.sponsors.default.as_ref())
    }

    /// Every person named as a member of some role (in any roster), sorted.
    pub fn people(&self) -> BTreeSet<&str> {
        self.roles
            .values()
            .flat_map(|r| {
                r.members
                    .iter()
                    .chain(r.roster.iter().flat_map(|c| c.members.iter()))
                    .map(String::as_str)
            })
            .collect()
    }

    /// An account as people read it: its name, "(key account)" after a key account's; the
    /// id itself for an account the policy does not describe.
    pub fn account_label(&self, id: &str) -> String {
        match self.accounts.get(id) {
            Some(acc) if acc.key => format!("{} (key account)", acc.name),
            Some(acc) => acc.name.clone(),
            None => id.to_string(),
        }
    }

    /// Whether `name` is one of [`Policy::people`] (without collecting them).
    pub fn is_person(&self, name: &str) -> bool {
        self.roles.values().any(|r| {
            r.members
                .iter()
                .chain(r.roster.iter().flat_map(|c| c.members.iter()))
                .any(|m| m == name)
        })
    }

    /// Who is on duty for `role` at `at`: the latest-recorded override in force, else the
    /// rotation on the local date (in the policy's display time zone). `None` for an
    /// unknown role.
    pub fn on_duty(&self, role: &str, at: DateTime<Utc>) -> Option<Duty> {
        let r = self.roles.get(role)?;
        if let Some(o) = self
            .overrides
            .iter()
            .rev()
            .find(|o| o.role == role && o.from <= at && at < o.to)
        {
            return Some(Duty {
                role: role.to_string(),
                person: o.person.clone(),
                reason: "override",
                by_override: Some(o.clone()),
            });
        }
        let date = at.with_timezone(&self.defaults.timezone).date_naive();
        Some(Duty {
            role: role.to_string(),
            person: r.on_duty(date).to_string(),
            reason: if r.rotation == Rotation::None {
                "fixed"
            } else {
                "rotation"
            },
            by_override: None,
        })
    }

    /// The on-duty member of a role at `at` (see [`Policy::on_duty`]), or "" for no role.
    pub fn on_duty_person(&self, role: &str, at: DateTime<Utc>) -> String {
        self.on_duty(role, at).map(|d| d.person).unwrap_or_default()
    }

    /// The RACI assignment for a type and step: the type's own table, else `default`.
    pub fn raci_for(&self, case_type: &str, step: Step) -> Option<&Raci> {
        self.raci
            .get(case_type)
            .and_then(|t| t.get(&step))
            .or_else(|| self.raci.get("default").and_then(|t| t.get(&step)))
    }
}

impl Step {
    /// Every step, in lifecycle order.
    pub const ALL: [Step; 9] = [
        Step::Open,
        Step::Acknowledge,
        Step::Escalate,
        Step::Swarm,
        Step::Major,
        Step::Update,
        Step::Resolve,
        Step::Review,
        Step::Close,
    ];

    /// The name used in policies and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Open => "open",
            Step::Acknowledge => "acknowledge",
            Step::Escalate => "escalate",
            Step::Swarm => "swarm",
            Step::Major => "major",
            Step::Update => "update",
            Step::Resolve => "resolve",
            Step::Review => "review",
            Step::Close => "close",
        }
    }

    /// Parse a step name.
    pub fn parse(s: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|step| step.as_str() == s)
    }
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Open,
        Status::Acknowledged,
        Status::Paused,
        Status::Resolved,
        Status::Closed,
    ];

    /// The name used in policies and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Acknowledged => "acknowledged",
            Status::Paused => "paused",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
        }
    }

    /// Parse a status name.
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

impl HandoffField {
    pub const ALL: [HandoffField; 3] = [
        HandoffField::Reason,
        HandoffField::Summary,
        HandoffField::Tried,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HandoffField::Reason => "reason",
            HandoffField::Summary => "summary",
            HandoffField::Tried => "tried",
        }
    }
}

impl Party {
    /// The name as written in a policy.
    pub fn as_str(&self) -> &str {
        match self {
            Party::Role(n) | Party::Person(n) => n,
            Party::Reporter => "reporter",
            Party::Contacts => "contacts",
            Party::Owner => "owner",
            Party::Sponsor => "sponsor",
            Party::Commander => "commander",
        }
    }
}

impl Party {
    /// The customer's side (the reporter, the account's contacts): told only in
    /// customer-audience notifications, never staff text.
    pub fn is_customer(&self) -> bool {
        matches!(self, Party::Reporter | Party::Contacts)
    }
}

impl std::fmt::Display for Party {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Severity {
    /// `sev1 (Critical)`, or just the id when the label adds nothing.
    pub fn display(&self) -> String {
        if self.label == self.id {
            self.id.clone()
        } else {
            format!("{} ({})", self.id, self.label)
        }
    }
}

impl Role {
    /// The number of the turn a date falls in: days or weeks since the anchor (`start`, else
    /// Monday 1970-01-05); always 0 without rotation.
    fn turn(&self, date: NaiveDate) -> i64 {
        let anchor = self
            .start
            .or_else(|| NaiveDate::from_ymd_opt(1970, 1, 5))
            .unwrap_or_default();
        let days = (date - anchor).num_days();
        match self.rotation {
            Rotation::None => 0,
            Rotation::Daily => days,
            Rotation::Weekly => days.div_euclid(7),
        }
    }

    /// Who is on duty on a local date. Without rotation, the first member. Otherwise members
    /// take turns by day or by week counted from the anchor, so the answer depends only on
    /// the date. A roster change keeps every turn before its `effective` date and the turn in
    /// progress on it: whoever is on duty then stays on, and later turns go round the new
    /// members from that person's place (or the same place, if they left).
    pub fn on_duty(&self, date: NaiveDate) -> &str {
        // (first turn of the segment, index at that turn, members) of the segment in force.
        let mut index = self.turn(date);
        let mut members = &self.members;
        let mut base_turn = 0i64;
        let mut base_index = 0i64;
        for change in self.roster.iter().filter(|c| c.effective <= date) {
            let t = self.turn(change.effective);
            let n = members.len().max(1) as i64;
            let current = (base_index + t - base_turn).rem_euclid(n);
            let person = members.get(current as usize);
            base_index = person
                .and_then(|p| change.members.iter().position(|m| m == p))
                .map_or(current, |i| i as i64);
            base_turn = t;
            members = &change.members;
        }
        let n = members.len() as i64;
        if n == 0 {
            return "";
        }
        index = if self.rotation == Rotation::None {
            0
        } else {
            (base_index + index - base_turn).rem_euclid(n)
        };
        members
            .get(index as usize)
            .map(String::as_str)
            .unwrap_or_default()
    }
}

impl Rotation {
    pub fn as_str(self) -> &'static str {
        match self {
            Rotation::None => "none",
            Rotation::Daily => "daily",
            Rotation::Weekly => "weekly",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(rotation: Rotation) -> Role {
        Role {
            name: "eng".into(),
            members: vec!["carl".into(), "dee".into(), "eve".into()],
            rotation,
            start: None,
            roster: vec![],
        }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn no_rotation_is_always_the_first_member() {
        assert_eq!(role(Rotation::None).on_duty(date(2026, 11, 23)), "carl");
        assert_eq!(role(Rotation::None).on_duty(date(2027, 3, 1)), "carl");
    }

    #[test]
    fn weekly_rotation_changes_on_monday() {
        let r = role(Rotation::Weekly);
        // 2026-11-23 is a Monday; (2026-11-23 - 1970-01-05) = 20411 days = 2915 weeks + 6 days.
        let sunday = r.on_duty(date(2026, 11, 22));
        let monday = r.on_duty(date(2026, 11, 23));
        assert_ne!(sunday, monday);
        assert_eq!(monday, r.on_duty(date(2026, 11, 29)));
        assert_eq!(r.on_duty(date(2026, 11, 23)), r.on_duty(date(2026, 12, 14)));
    }

    #[test]
    fn a_member_added_mid_rotation_keeps_past_and_present_turns() {
        // Weekly from Monday 2026-01-05: carl, dee, eve, carl, dee (week of 2 Feb) …
        let mut r = role(Rotation::Weekly);
        r.start = Some(date(2026, 1, 5));
        let before: Vec<&str> = (0..5)
            .map(|w| r.on_duty(date(2026, 1, 5) + TimeDelta::weeks(w)))
            .collect();
        assert_eq!(before, ["carl", "dee", "eve", "carl", "dee"]);
        // fay joins from Wednesday 4 February, mid-way through dee's week.
        let mut joined = r.clone();
        joined.roster.push(RosterChange {
            effective: date(2026, 2, 4),
            members: vec!["carl".into(), "dee".into(), "eve".into(), "fay".into()],
        });
        let past: Vec<&str> = (0..5)
            .map(|w| joined.on_duty(date(2026, 1, 5) + TimeDelta::weeks(w)))
            .collect();
        assert_eq!(past, before, "past turns are kept");
        assert_eq!(
            joined.on_duty(date(2026, 2, 4)),
            "dee",
            "the present turn is kept"
        );
        assert_eq!(joined.on_duty(date(2026, 2, 8)), "dee");
        let after: Vec<&str> = (5..9)
            .map(|w| joined.on_duty(date(2026, 1, 5) + TimeDelta::weeks(w)))
            .collect();
        assert_eq!(after, ["eve", "fay", "carl", "dee"]);
        // dee leaves from 16 February, in fay's week: fay stays on, then carl.
        let mut left = joined.clone();
        left.roster.push(RosterChange {
            effective: date(2026, 2, 16),
            members: vec!["carl".into(), "eve".into(), "fay".into()],
        });
        assert_eq!(left.on_duty(date(2026, 2, 9)), "eve");
        assert_eq!(left.on_duty(date(2026, 2, 16)), "fay");
        assert_eq!(left.on_duty(date(2026, 2, 23)), "carl");
    }

    #[test]
    fn the_anchor_decides_whose_turn_is_first() {
        let mut r = role(Rotation::Daily);
        r.start = Some(date(2026, 1, 7));
        assert_eq!(r.on_duty(date(2026, 1, 7)), "carl");
        assert_eq!(r.on_duty(date(2026, 1, 8)), "dee");
        assert_eq!(
            r.on_duty(date(2026, 1, 6)),
            "eve",
            "before the anchor turns run backwards"
        );
    }

    #[test]
    fn daily_rotation_cycles_through_members() {
        let r = role(Rotation::Daily);
        let seen: BTreeSet<&str> = (0..3)
            .map(|i| r.on_duty(date(2026, 11, 23) + TimeDelta::days(i)))
            .collect();
        assert_eq!(seen.len(), 3);
        assert_eq!(r.on_duty(date(2026, 11, 23)), r.on_duty(date(2026, 11, 26)));
    }
}
