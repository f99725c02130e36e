//! The state machine: which moves are legal for a case, and the events a legal move records.
//! Pure — a function of (policy, case, request, now). Every refusal says why and what to do.

use super::event::Event;
use super::fold::Case;
use super::incident;
use crate::policy::{HandoffField, Policy, Status};
use chrono::{DateTime, Utc};

/// What a user asks to do to an existing case.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Ack,
    Assign {
        to: String,
    },
    Note {
        text: String,
    },
    Update {
        text: Option<String>,
        customer: bool,
        form: SituationForm,
        /// A time promised to the customer (`--eta`, with `--customer`).
        eta: Option<DateTime<Utc>>,
    },
    Escalate {
        reason: Option<String>,
        summary: Option<String>,
        tried: Option<String>,
        path: Option<String>,
        to: Option<String>,
    },
    Deescalate {
        reason: String,
        path: Option<String>,
    },
    Pause {
        reason: String,
    },
    Resume,
    /// Turn the case into a swarm.
    StartSwarm {
        with: Vec<String>,
        facilitator: Option<String>,
    },
    /// End the swarm.
    EndSwarm {
        lessons: Option<String>,
    },
    /// Declare a major incident: commander and (role, person) assignments.
    DeclareMajor {
        commander: String,
        roles: Vec<(String, String)>,
        room: super::incident::WarRoom,
    },
    /// End the major incident.
    StandDown,
    Resolve {
        resolution: String,
        root_cause: Option<String>,
    },
    Followup {
        csat: Option<u8>,
        comment: Option<String>,
    },
    /// Ask the customer to confirm the resolution (`esc followup ID --request`).
    RequestFollowup,
    /// Close a resolved case; `waive_review` and `without_followup` give the reason for
    /// closing without the review or the follow-up the policy requires.
    Close {
        waive_review: Option<String>,
        without_followup: Option<String>,
    },
    Reopen {
        reason: String,
    },
    /// Change fields after opening ([`super::edit`]).
    Edit(super::edit::EditRequest),
}

/// The standard situation-update form of a major incident.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SituationForm {
    pub status: Option<String>,
    pub impact: Option<String>,
    pub actions: Option<String>,
    pub next: Option<String>,
}

impl SituationForm {
    fn is_empty(&self) -> bool {
        [&self.status, &self.impact, &self.actions, &self.next]
            .iter()
            .all(|f| f.as_ref().is_none_or(|t| t.trim().is_empty()))
    }
}

/// What `esc open` asks for.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OpenRequest {
    pub title: String,
    pub severity: Option<String>,
    pub case_type: Option<String>,
    pub account: Option<String>,
    pub reporter: Option<String>,
    pub channel: Option<String>,
    pub labels: Vec<String>,
    pub description: Option<String>,
    /// The de-duplication key (`esc open --dedup-key`).
    pub dedup_key: Option<String>,
}

/// Why a move was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{case} is {status}: cannot {action}; {hint}")]
    WrongStatus {
        case: String,
        status: &'static str,
        action: &'static str,
        hint: String,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("unknown {what} `{name}`: {hint}")]
    Unknown {
        what: &'static str,
        name: String,
        hint: String,
    },
    #[error("{case}: the handoff needs {missing}; give {flags}")]
    MissingHandoff {
        case: String,
        missing: String,
        flags: String,
    },
}

fn wrong(case: &Case, action: &'static str, hint: impl Into<String>) -> Refusal {
    Refusal::WrongStatus {
        case: case.id.to_string(),
        status: case.status.as_str(),
        action,
        hint: hint.into(),
    }
}

fn non_empty(field: &str, text: &str) -> Result<String, Refusal> {
    let t = text.trim();
    if t.is_empty() {
        Err(Refusal::Invalid(format!(
            "{field} is empty: write some text"
        )))
    } else {
        Ok(t.to_string())
    }
}

fn known(what: &'static str, name: &str, known: Vec<&str>) -> Result<(), Refusal> {
    if known.contains(&name) {
        Ok(())
    } else {
        Err(Refusal::Unknown {
            what,
            name: name.to_string(),
            hint: format!("the policy has {}", known.join(", ")),
        })
    }
}

/// The on-duty member of the role owning `tier` at `now` (an on-call override included).
pub fn tier_owner(policy: &Policy, tier: &str, now: DateTime<Utc>) -> String {
    policy
        .tier(tier)
        .map(|t| policy.on_duty_person(&t.role, now))
        .unwrap_or_default()
}

/// The `opened` event for a new case.
pub fn open(policy: &Policy, req: &OpenRequest, now: DateTime<Utc>) -> Result<Event, Refusal> {
    let title = non_empty("the title", &req.title)?;
    let severity = req
        .severity
        .clone()
        .unwrap_or_else(|| policy.defaults.severity.clone());
    known(
        "severity",
        &severity,
        policy.severities.iter().map(|s| s.id.as_str()).collect(),
    )?;
    let case_type = req
        .case_type
        .clone()
        .unwrap_or_else(|| policy.defaults.case_type.clone());
    known(
        "type",
        &case_type,
        policy.types.iter().map(String::as_str).collect(),
    )?;
    let path = policy.defaults.path.clone();
    let tier = policy
        .path(&path)
        .and_then(|p| p.tiers.first())
        .cloned()
        .ok_or_else(|| {
            Refusal::Invalid(format!(
                "the default path `{path}` has no tiers: fix the policy"
            ))
        })?;
    let owner = tier_owner(policy, &tier, now);
    let clean = |o: &Option<String>| {
        o.as_ref()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let mut labels: Vec<String> = Vec::new();
    for l in &req.labels {
        let l = non_empty("a label", l)?;
        if !labels.contains(&l) {
            labels.push(l);
        }
    }
    Ok(Event::Opened {
        title: title.into(),
        severity: severity.into(),
        case_type: case_type.into(),
        account: clean(&req.account).map(Into::into),
        reporter: clean(&req.reporter),
        channel: clean(&req.channel),
        labels,
        description: clean(&req.description),
        path: path.into(),
        tier: tier.into(),
        owner: owner.into(),
        dedup_key: clean(&req.dedup_key),
    })
}

/// A case's history only moves forward: `now` may not be earlier than its last event.
pub fn not_before_last_event(case: &Case, now: DateTime<Utc>) -> Result<(), Refusal> {
    if now < case.last_event_at() {
        return Err(Refusal::Invalid(format!(
            "{}'s last event is at {}; `now` ({}) must not be earlier — check --now / ESC_NOW",
            case.id,
            crate::render::rfc3339(case.last_event_at()),
            crate::render::rfc3339(now)
        )));
    }
    Ok(())
}

/// Decide a request on an existing case: the events to record, or why not.
pub fn decide(
    policy: &Policy,
    case: &Case,
    req: &Request,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, Refusal> {
    not_before_last_event(case, now)?;
    let closed_hint = "reopen it first with `esc reopen ID --reason …`";
    let event = match req {
        Request::Ack => {
            if let Some(at) = case.acknowledged_at {
                return Err(Refusal::Invalid(format!(
                    "{} was already acknowledged at {}: there is one first response per case",
                    case.id,
                    crate::render::rfc3339(at)
                )));
            }
            if !case.is_active() {
                return Err(wrong(case, "acknowledge", closed_hint));
            }
            Event::Acknowledged {}
        }
        Request::Assign { to } => {
            if case.status == Status::Closed {
                return Err(wrong(case, "be assigned", closed_hint));
            }
            let people = policy.people();
            if !people.contains(to.as_str()) {
                return Err(Refusal::Unknown {
                    what: "person",
                    name: to.clone(),
                    hint: "assign to someone listed as a member of a role in the policy".into(),
                });
            }
            if case.owner == *to {
                return Err(Refusal::Invalid(format!(
                    "{} is already owned by {to}",
                    case.id
                )));
            }
            Event::Assigned { to: to.clone() }
        }
        Request::Edit(edit) => super::edit::decide(policy, case, edit)?,
        Request::Note { text } => Event::Noted {
            text: non_empty("the note", text)?,
        },
        Request::Update {
            text,
            customer,
            form,
            eta,
        } => return update(policy, case, text.as_deref(), *customer, form, *eta, now),
        Request::RequestFollowup => {
            if case.status != Status::Resolved {
                return Err(wrong(
                    case,
                    "be asked for a follow-up",
                    "the customer is asked to confirm a resolved case: resolve it first",
                ));
            }
            if case.more().followup.is_some() {
                return Err(Refusal::Invalid(format!(
                    "{} already has the customer's follow-up; close it with `esc close ID`",
                    case.id
                )));
            }
            Event::FollowupRequested {}
        }
        Request::StartSwarm { with, facilitator } => {
            incident::start_swarm(policy, case, with, facilitator.as_deref(), None, now)?
        }
        Request::EndSwarm { lessons } => incident::end_swarm(policy, case, lessons.as_deref())?,
        Request::DeclareMajor {
            commander,
            roles,
            room,
        } => incident::declare_major(policy, case, commander, roles, None, room)?,
        Request::StandDown => incident::stand_down(case)?,
        Request::Escalate {
            reason,
            summary,
            tried,
            path,
            to,
        } => escalate(policy, case, reason, summary, tried, path, to, now)?,
        Request::Deescalate { reason, path } => deescalate(policy, case, reason, path, now)?,
        Request::Pause { reason } => {
            if case.status == Status::Paused {
                return Err(wrong(
                    case,
                    "be paused",
                    "it is already paused; `esc resume ID` restarts the clocks",
                ));
            }
            if !case.is_active() {
                return Err(wrong(
                    case,
                    "be paused",
                    "only unresolved cases have running clocks",
                ));
            }
            Event::Paused {
                reason: non_empty("the reason", reason)?,
            }
        }
        Request::Resume => {
            if case.status != Status::Paused {
                return Err(wrong(
                    case,
                    "be resumed",
                    "only a paused case can be resumed",
                ));
            }
            Event::Resumed {}
        }
        Request::Resolve {
            resolution,
            root_cause,
        } => {
            if !case.is_active() {
                return Err(wrong(
                    case,
                    "be resolved",
                    "it is already resolved or closed; `esc reopen ID --reason …` if the problem is back",
                ));
            }
            Event::Resolved {
                resolution: non_empty("the resolution", resolution)?,
                root_cause: root_cause
                    .as_ref()
                    .map(|r| r.trim().to_string())
                    .filter(|r| !r.is_empty()),
            }
        }
        Request::Followup { csat, comment } => {
            if case.status != Status::Resolved {
                return Err(wrong(
                    case,
                    "record a follow-up",
                    "the customer confirms a resolved case: resolve it first",
                ));
            }
            if case.more().followup.is_some() {
                return Err(Refusal::Invalid(format!(
                    "{} already has a follow-up; close it with `esc close ID`",
                    case.id
                )));
            }
            if let Some(c) = csat
                && !(1..=5).contains(c)
            {
                return Err(Refusal::Invalid(format!(
                    "--csat {c} is out of range: give 1 to 5"
                )));
            }
            Event::FollowedUp {
                csat: *csat,
                comment: comment
                    .as_ref()
                    .map(|c| c.trim().to_string())
                    .filter(|c| !c.is_empty()),
            }
        }
        Request::Close {
            waive_review,
            without_followup,
        } => close(policy, case, waive_review, without_followup, now)?,
        Request::Reopen { reason } => {
            if case.is_active() {
                return Err(wrong(
                    case,
                    "be reopened",
                    "only resolved or closed cases can be reopened",
                ));
            }
            Event::Reopened {
                reason: non_empty("the reason", reason)?,
            }
        }
    };
    Ok(vec![event])
}

/// `esc close`: a resolved case, with its required follow-up and review, or the reason for
/// going without (whether the actor may is [`super::authority`]'s to say).
fn close(
    policy: &Policy,
    case: &Case,
    waive_review: &Option<String>,
    without_followup: &Option<String>,
    now: DateTime<Utc>,
) -> Result<Event, Refusal> {
    if case.status != Status::Resolved {
        let hint = if case.status == Status::Closed {
            "it is already closed"
        } else {
            "resolve it first with `esc resolve ID --resolution …`"
        };
        return Err(wrong(case, "be closed", hint));
    }
    let id = &case.id;
    let without_followup = text(without_followup);
    let followup_missing = policy.closing.require_followup && case.more().followup.is_none();
    match (&without_followup, followup_missing) {
        (None, true) => {
            return Err(Refusal::Invalid(format!(
                "{id} has no follow-up and the policy requires one before closing: record it with `esc followup {id} --csat 1-5`, or close with --without-followup REASON if you hold that authority"
            )));
        }
        (Some(_), false) => {
            return Err(Refusal::Invalid(format!(
                "--without-followup: {id} needs no follow-up before closing (it has one, or the policy does not require it); drop the flag"
            )));
        }
        _ => {}
    }
    let clocks = crate::review::needs_clocks(policy)
        .then(|| crate::sla::clock::clocks(policy, case, now))
        .flatten();
    let reasons = crate::review::reasons(policy, case, clocks.as_ref());
    let review = crate::review::status(policy, case, reasons, now);
    let review_missing = review.required() && review.state != crate::review::State::Recorded;
    let waive_review = text(waive_review);
    match (&waive_review, review_missing) {
        (None, true) => {
            let why: Vec<String> = review.reasons.iter().map(|r| r.describe(case)).collect();
            return Err(Refusal::Invalid(format!(
                "{id} requires a review before closing ({}) and none is recorded: record it with `esc review {id}`, or close with --waive-review REASON if you hold that authority",
                why.join(", ")
            )));
        }
        (Some(_), false) => {
            return Err(Refusal::Invalid(format!(
                "--waive-review: {id} has no missing review to waive (none is required, or it is recorded); drop the flag"
            )));
        }
        _ => {}
    }
    Ok(Event::Closed {
        review_waived: waive_review,
        without_followup,
    })
}

fn update(
    policy: &Policy,
    case: &Case,
    text: Option<&str>,
    customer: bool,
    form: &SituationForm,
    eta: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, Refusal> {
    if let Some(t) = eta {
        if !customer {
            return Err(Refusal::Invalid(
                "--eta is a time promised to the customer: give it with --customer".into(),
            ));
        }
        if t <= now {
            return Err(Refusal::Invalid(format!(
                "--eta {} is not in the future: a promise to the customer must still be ahead",
                crate::render::rfc3339(t)
            )));
        }
    }
    if !case.is_active() {
        return Err(wrong(
            case,
            "take a status update",
            "updates are for unresolved cases; add a note with `esc note` instead",
        ));
    }
    let text = text.map(str::trim).filter(|t| !t.is_empty());
    let body = if case.is_major() && !customer {
        let field = |name: &str, v: &Option<String>| {
            v.as_ref()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .ok_or_else(|| name.to_string())
        };
        let fields = [
            field("--status", &form.status),
            field("--impact", &form.impact),
            field("--actions", &form.actions),
            field("--next", &form.next),
        ];
        let missing: Vec<String> = fields.iter().filter_map(|f| f.clone().err()).collect();
        if !missing.is_empty() {
            return Err(Refusal::Invalid(format!(
                "{} is a major incident: updates use the situation-update form; give {}",
                case.id,
                missing.join(" ")
            )));
        }
        let [status, impact, actions, next] = fields.map(|f| f.unwrap_or_default());
        let ctx = serde_json::json!({
            "id": case.id, "title": case.title, "severity": case.severity,
            "status": status, "impact": impact, "actions": actions, "next_update": next,
            "notes": text,
            "bridge": case.major.as_ref().and_then(|m| m.bridge.clone()),
            "channel": case.major.as_ref().and_then(|m| m.channel.clone()),
        });
        crate::policy::templates::render(&policy.templates, "situation_update", &ctx)
            .map_err(|e| Refusal::Invalid(e.to_string()))?
    } else {
        if !form.is_empty() {
            return Err(Refusal::Invalid(format!(
                "--status, --impact, --actions and --next are the situation-update form of a major incident, and {} is not one: give the update as TEXT",
                case.id
            )));
        }
        text.ok_or_else(|| Refusal::Invalid("the update is empty: write some text".into()))?
            .to_string()
    };
    Ok(vec![Event::Updated {
        text: body,
        customer,
        eta,
    }])
}

fn text(o: &Option<String>) -> Option<String> {
    o.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

#[allow(clippy::too_many_arguments)]
fn escalate(
    policy: &Policy,
    case: &Case,
    reason: &Option<String>,
    summary: &Option<String>,
    tried: &Option<String>,
    path: &Option<String>,
    to: &Option<String>,
    now: DateTime<Utc>,
) -> Result<Event, Refusal> {
    if case.status == Status::Paused {
        return Err(wrong(
            case,
            "be escalated",
            "resume it first with `esc resume ID`",
        ));
    }
    if !case.is_active() {
        return Err(wrong(
            case,
            "be escalated",
            "reopen it first with `esc reopen ID --reason …`",
        ));
    }
    let target_tier = match to {
        Some(t) => Some(policy.tier(t).ok_or_else(|| Refusal::Unknown {
            what: "tier",
            name: t.clone(),
            hint: format!(
                "the policy has {}",
                policy.tiers.iter().map(|t| t.id.as_str()).collect::<Vec<_>>().join(", ")
            ),
        })?),
        None => None,
    };
    let path_name = match (path, target_tier) {
        (Some(p), Some(t)) if *p != t.path => {
            return Err(Refusal::Invalid(format!(
                "tier `{}` is on the {} path, not on `{p}`: drop --path or pick a tier on it",
                t.id, t.path
            )));
        }
        (Some(p), _) => p.clone(),
        (None, Some(t)) => t.path.clone(),
        (None, None) => policy.defaults.path.clone(),
    };
    let esc_path = policy.path(&path_name).ok_or_else(|| Refusal::Unknown {
        what: "path",
        name: path_name.clone(),
        hint: format!(
            "the policy has {}",
            policy
                .paths
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })?;
    let current = case.tier_on(&path_name);
    let current_index = current.and_then(|c| esc_path.tiers.iter().position(|t| t == c));
    let next_index = current_index.map_or(0, |i| i + 1);
    let target_index = match target_tier {
        Some(t) => esc_path
            .tiers
            .iter()
            .position(|x| *x == t.id)
            .unwrap_or(next_index),
        None => next_index,
    };
    if target_index >= esc_path.tiers.len() {
        return Err(Refusal::Invalid(format!(
            "{} is already at {}, the last tier of the {path_name} path: there is no tier above it; consider `esc swarm` or `esc major`, or escalate on another path with --path",
            case.id,
            current.unwrap_or("-")
        )));
    }
    if let Some(ci) = current_index
        && target_index <= ci
    {
        return Err(Refusal::Invalid(format!(
            "{} is already at {} on the {path_name} path; --to must name a higher tier (use `esc deescalate` to go back)",
            case.id,
            current.unwrap_or("-")
        )));
    }
    if target_index > next_index {
        let severity = policy.severity(&case.severity);
        if !severity.is_some_and(|s| s.skip_tiers) {
            return Err(Refusal::Invalid(format!(
                "{} is {} and {} does not allow skipping tiers: escalate one tier at a time (next is {})",
                case.id, case.severity, case.severity, esc_path.tiers[next_index]
            )));
        }
    }
    let given = |f: HandoffField| match f {
        HandoffField::Reason => text(reason).is_some(),
        HandoffField::Summary => text(summary).is_some(),
        HandoffField::Tried => text(tried).is_some(),
    };
    let mut missing: Vec<HandoffField> = policy
        .handoff
        .require
        .iter()
        .copied()
        .filter(|f| !given(*f))
        .collect();
    if !given(HandoffField::Reason) && !missing.contains(&HandoffField::Reason) {
        missing.insert(0, HandoffField::Reason);
    }
    if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(|f| f.as_str()).collect();
        let flags: Vec<String> = names.iter().map(|n| format!("--{n} …")).collect();
        return Err(Refusal::MissingHandoff {
            case: case.id.to_string(),
            missing: names.join(", "),
            flags: flags.join(" "),
        });
    }
    let to_tier = esc_path.tiers[target_index].clone();
    Ok(Event::Escalated {
        path: path_name,
        from: current.map(str::to_string),
        owner: tier_owner(policy, &to_tier, now),
        to: to_tier,
        reason: text(reason).unwrap_or_default(),
        summary: text(summary),
        tried: text(tried),
        by: None,
        due: None,
    })
}

fn deescalate(
    policy: &Policy,
    case: &Case,
    reason: &str,
    path: &Option<String>,
    now: DateTime<Utc>,
) -> Result<Event, Refusal> {
    if !case.is_active() {
        return Err(wrong(
            case,
            "be de-escalated",
            "reopen it first with `esc reopen ID --reason …`",
        ));
    }
    let reason = non_empty("the reason", reason)?;
    let path_name = path.clone().unwrap_or_else(|| policy.defaults.path.clone());
    let Some(esc_path) = policy.path(&path_name) else {
        return Err(Refusal::Unknown {
            what: "path",
            name: path_name,
            hint: format!(
                "the policy has {}",
                policy
                    .paths
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    };
    let Some(current) = case.tier_on(&path_name) else {
        return Err(Refusal::Invalid(format!(
            "{} has no level on the {path_name} path: nothing to de-escalate",
            case.id
        )));
    };
    let index = esc_path
        .tiers
        .iter()
        .position(|t| t == current)
        .unwrap_or(0);
    let to = if index == 0 {
        if path_name == case.home_path {
            return Err(Refusal::Invalid(format!(
                "{} is at {current}, the first tier of the {path_name} path: there is no tier below it",
                case.id
            )));
        }
        None
    } else {
        Some(esc_path.tiers[index - 1].clone())
    };
    let owner = to
        .as_ref()
        .map(|t| tier_owner(policy, t, now))
        .unwrap_or_default();
    Ok(Event::Deescalated {
        path: path_name,
        from: current.to_string(),
        to,
        owner,
        reason,
    })
}
