//! Who is told what: from a fact (what happened to a case) to the notifications to queue.
//! Pure — a function of (policy, fact, now).
//!
//! The sweep planner and the case transitions decide *what happened*; this step decides *who
//! hears of it and in which words*. Every notification has one audience: `internal` (staff,
//! rendered from the `internal_notice` template, naming tiers, people and clocks freely) or
//! `customer` (the case's reporter and its account's contacts, rendered from
//! `customer_notice` with a context that holds no tier id, no staff name, no clock and no
//! trigger). Recipients follow `[notify.on]` when the policy names the kind there, else the
//! defaults of [`defaults`].

use crate::case::event::Audience;
use crate::case::promise::{self, Promise, Promised};
use crate::case::{Case, Event, raci};
use crate::name::Name;
use crate::policy::templates::{self, RenderError};
use crate::policy::{NoticeKind, Party, Policy, Recipient, Step, Templates};
use crate::render::local_time;
use crate::sla::clock::ClockKind;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// What happened, as the deciders hand it over.
#[derive(Debug, Clone)]
pub struct Fact<'a> {
    pub kind: NoticeKind,
    /// The case before the event(s)…
    pub before: &'a Case,
    /// …and after them (owner, tier, status, promise as they now are).
    pub after: &'a Case,
    /// What happened, in a few words for staff (tiers, people and clocks may be named).
    pub text: String,
    /// When it fell due (for a command: now).
    pub due: DateTime<Utc>,
    /// The clock a warning or breach is about.
    pub clock: Option<ClockKind>,
    /// Parties told besides the kind's recipients (a trigger's `notify`, …).
    pub also: Vec<Party>,
    /// People the event brought in (swarm members, incident roles): always told.
    pub involved: Vec<String>,
    /// Never tell the customer of this one (an escalation on a management path).
    pub internal_only: bool,
    /// A re-commitment decided by the sweep (else the promise is computed from the case).
    pub promise: Option<Promise>,
    /// Text the customer should read (the body of `esc update --customer`; a resolution).
    pub customer_text: Option<String>,
}

impl<'a> Fact<'a> {
    /// A fact with no extras.
    pub fn new(
        kind: NoticeKind,
        before: &'a Case,
        after: &'a Case,
        text: String,
        due: DateTime<Utc>,
    ) -> Fact<'a> {
        Fact {
            kind,
            before,
            after,
            text,
            due,
            clock: None,
            also: Vec::new(),
            involved: Vec::new(),
            internal_only: false,
            promise: None,
            customer_text: None,
        }
    }
}

/// The RACI step whose row a kind of event follows.
pub fn step(kind: NoticeKind, clock: Option<ClockKind>) -> Step {
    match kind {
        NoticeKind::Open => Step::Open,
        NoticeKind::Acknowledge | NoticeKind::Assign => Step::Acknowledge,
        NoticeKind::Escalate
        | NoticeKind::Deescalate
        | NoticeKind::Trigger
        | NoticeKind::Proposed => Step::Escalate,
        NoticeKind::Resolve | NoticeKind::Reopen => Step::Resolve,
        NoticeKind::Close | NoticeKind::FollowupRequest => Step::Close,
        NoticeKind::Swarm | NoticeKind::SwarmEnd => Step::Swarm,
        NoticeKind::Major | NoticeKind::StandDown | NoticeKind::SituationUpdate => Step::Major,
        NoticeKind::CustomerUpdate | NoticeKind::PromiseMissed => Step::Update,
        NoticeKind::Warning | NoticeKind::Breach => clock.map_or(Step::Update, ClockKind::step),
    }
}

/// Who is told of each kind of event when `[notify.on]` does not say. `reporter` and
/// `contacts` (the account's) stand for the customer: a kind whose list has them tells the
/// customer too. The account's contacts hear of what the reporter hears of, except the
/// follow-up request, which asks the person who made the request to confirm and rate it.
pub fn defaults(kind: NoticeKind) -> Vec<Recipient> {
    use Recipient::{Accountable, Consulted, Informed, PreviousOwner, Responsible};
    let owner = Recipient::Party(Party::Owner);
    let reporter = Recipient::Party(Party::Reporter);
    let contacts = Recipient::Party(Party::Contacts);
    match kind {
        NoticeKind::Warning => vec![owner, Accountable],
        NoticeKind::Breach => vec![owner, Accountable, Consulted],
        NoticeKind::Escalate => vec![
            owner,
            PreviousOwner,
            Accountable,
            Consulted,
            Informed,
            reporter,
            contacts,
        ],
        NoticeKind::Deescalate => vec![owner, PreviousOwner, Accountable, Consulted, Informed],
        NoticeKind::Assign => vec![
            owner,
            PreviousOwner,
            Responsible,
            Accountable,
            Consulted,
            Informed,
        ],
        NoticeKind::Open | NoticeKind::Resolve => {
            vec![
                Responsible,
                Accountable,
                Consulted,
                Informed,
                reporter,
                contacts,
            ]
        }
        NoticeKind::Acknowledge
        | NoticeKind::Close
        | NoticeKind::Reopen
        | NoticeKind::Swarm
        | NoticeKind::SwarmEnd
        | NoticeKind::Major
        | NoticeKind::StandDown
        | NoticeKind::SituationUpdate => vec![Responsible, Accountable, Consulted, Informed],
        NoticeKind::CustomerUpdate => vec![reporter, contacts],
        NoticeKind::FollowupRequest => vec![reporter],
        NoticeKind::Trigger => vec![Consulted, Informed],
        NoticeKind::Proposed => vec![Accountable, Consulted, Informed],
        NoticeKind::PromiseMissed => vec![owner, Accountable, reporter, contacts],
    }
}

/// Who the policy tells of a kind: `[notify.on]`, else the defaults.
pub fn told(policy: &Policy, kind: NoticeKind) -> Vec<Recipient> {
    policy
        .notify
        .on
        .get(&kind)
        .cloned()
        .unwrap_or_else(|| defaults(kind))
}

fn push_unique(out: &mut Vec<String>, people: impl IntoIterator<Item = String>) {
    for p in people {
        if !p.is_empty() && !out.contains(&p) {
            out.push(p);
        }
    }
}

/// Staff to tell of a fact: the kind's recipients (the customer left out), the fact's extras
/// and everyone the event brought in. When that is nobody and the policy kept the defaults,
/// the owner is told, so no event goes unnoticed.
pub fn internal_recipients(policy: &Policy, fact: &Fact<'_>, now: DateTime<Utc>) -> Vec<String> {
    let d = now;
    let case = fact.after;
    let row = policy.raci_for(&case.case_type, step(fact.kind, fact.clock));
    let staff = |parties: &[Party]| -> Vec<String> {
        parties
            .iter()
            .filter(|p| !p.is_customer())
            .flat_map(|p| raci::people(policy, case, p, d))
            .collect()
    };
    let mut out: Vec<String> = Vec::new();
    for r in told(policy, fact.kind) {
        let people = match r {
            Recipient::Party(p) => staff(std::slice::from_ref(&p)),
            Recipient::Responsible => row.map(|r| staff(&r.responsible)).unwrap_or_default(),
            Recipient::Accountable => row
                .map(|r| staff(std::slice::from_ref(&r.accountable)))
                .unwrap_or_default(),
            Recipient::Consulted => row.map(|r| staff(&r.consulted)).unwrap_or_default(),
            Recipient::Informed => row.map(|r| staff(&r.informed)).unwrap_or_default(),
            Recipient::PreviousOwner => vec![fact.before.owner.to_string()],
        };
        push_unique(&mut out, people);
    }
    push_unique(&mut out, staff(&fact.also));
    push_unique(&mut out, fact.involved.iter().cloned());
    let for_staff = defaults(fact.kind)
        .iter()
        .any(|r| !matches!(r, Recipient::Party(p) if p.is_customer()));
    if out.is_empty() && for_staff && !policy.notify.on.contains_key(&fact.kind) {
        push_unique(&mut out, [case.owner.to_string()]);
    }
    // The customer is never an internal recipient, even when a staff name equals theirs.
    for party in [Party::Reporter, Party::Contacts] {
        for customer in raci::people(policy, case, &party, d) {
            if out.contains(&customer) && !policy.is_person(&customer) {
                out.retain(|p| *p != customer);
            }
        }
    }
    out
}

/// The people a customer party stands for on a case: the reporter — unless the case came
/// from monitoring (channel `monitoring`), whose reporter is the alerting system, not a
/// customer — and the account's contacts.
fn customers(policy: &Policy, case: &Case, party: &Party, now: DateTime<Utc>) -> Vec<String> {
    let monitored = case.more().channel.as_deref() == Some(crate::intake::decide::CHANNEL);
    if *party == Party::Reporter && monitored {
        return Vec::new();
    }
    raci::people(policy, case, party, now)
}

/// Whether the customer is told of a fact, and who that is: the customer parties of the
/// kind's recipients.
pub fn customer_recipients(policy: &Policy, fact: &Fact<'_>) -> Vec<String> {
    if fact.internal_only || fact.kind.internal_only() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for r in told(policy, fact.kind) {
        if let Recipient::Party(p) = r
            && p.is_customer()
        {
            push_unique(&mut out, customers(policy, fact.after, &p, fact.due));
        }
    }
    out
}

/// The plain-language sentence a customer reads for a kind of event.
fn customer_summary(fact: &Fact<'_>) -> String {
    let case = fact.after;
    match fact.kind {
        NoticeKind::Open => {
            let via = case
                .more().channel
                .as_deref()
                .map_or(String::new(), |c| format!(" (received by {c})"));
            format!(
                "We have received your request{via} and opened case {}. Please quote {} in any message about it.",
                case.id, case.id
            )
        }
        NoticeKind::Acknowledge => "A member of our team is now working on your request.".into(),
        NoticeKind::Assign => "Your request is now with a new member of our team.".into(),
        NoticeKind::Escalate => {
            "Your request has been passed to specialists who can resolve it.".into()
        }
        NoticeKind::Deescalate => "Your request remains in the hands of our team.".into(),
        NoticeKind::Resolve => match &fact.customer_text {
            Some(r) => format!("We believe your request is resolved: {r}."),
            None => "We believe your request is resolved.".into(),
        },
        NoticeKind::Close => "Your case is now closed. Thank you for your patience.".into(),
        NoticeKind::Reopen => "We have reopened your case and are working on it again.".into(),
        NoticeKind::Swarm | NoticeKind::Major => {
            "Your request is being handled with our highest priority.".into()
        }
        NoticeKind::SwarmEnd | NoticeKind::StandDown => {
            "Your request continues to be handled by our team.".into()
        }
        NoticeKind::SituationUpdate | NoticeKind::CustomerUpdate => fact
            .customer_text
            .clone()
            .unwrap_or_else(|| "We are working on your request.".into()),
        NoticeKind::FollowupRequest => "We believe your request is resolved. Please confirm that everything works, and tell us how satisfied you are with how we handled it, from 1 (not at all) to 5 (very).".into(),
        NoticeKind::PromiseMissed => "Your request is taking longer than we told you.".into(),
        NoticeKind::Warning | NoticeKind::Breach | NoticeKind::Trigger | NoticeKind::Proposed => {
            String::new()
        }
    }
}

/// The context of the `customer_notice` template: no tier ids, no staff, no clocks.
pub fn customer_context(policy: &Policy, fact: &Fact<'_>, promise: Option<&Promise>) -> Value {
    let tz = policy.defaults.timezone;
    let case = fact.after;
    json!({
        "id": case.id,
        "title": case.title,
        "kind": fact.kind.as_str(),
        "channel": case.more().channel,
        "summary": customer_summary(fact),
        "promise": promise.map(|p| json!({
            "what": match p.what { Promised::Response => "respond", Promised::Resolution => "resolve" },
            "by": local_time(p.by, tz),
        })),
        "missed": promise.and_then(|p| p.missed).map(|t| local_time(t, tz)),
    })
}

/// The context of the `internal_notice` template.
pub fn internal_context(fact: &Fact<'_>) -> Value {
    let case = fact.after;
    json!({
        "id": case.id,
        "title": case.title,
        "kind": fact.kind.as_str(),
        "text": fact.text,
        "severity": case.severity,
        "owner": case.owner,
        "clock": fact.clock.map(ClockKind::as_str),
    })
}

/// The promise a customer notice of this kind makes, if any.
fn promise_for(policy: &Policy, fact: &Fact<'_>, now: DateTime<Utc>) -> Option<Promise> {
    if let Some(p) = fact.promise {
        return Some(p);
    }
    match fact.kind {
        NoticeKind::Resolve
        | NoticeKind::Close
        | NoticeKind::FollowupRequest
        | NoticeKind::Warning
        | NoticeKind::Breach
        | NoticeKind::Trigger
        | NoticeKind::Proposed => None,
        _ => promise::current(policy, fact.after, now),
    }
}

/// Whether composing writes the notifications. A plan that is only counted or outlined (a
/// dry run, a catch-up's first pass) needs only what later rules see of them — the promise
/// a customer notice makes — never their words or their staff recipients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Words {
    Render,
    /// Only the customer notice, with its recipients and promise and an empty message; no
    /// internal notice.
    Skip,
}

/// The notifications to queue for a fact: at most one internal and one customer
/// notification, each rendered from its own template.
pub fn compose(
    policy: &Policy,
    templates: &Templates,
    fact: &Fact<'_>,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, RenderError> {
    compose_in(policy, templates, fact, now, Words::Render)
}

fn compose_in(
    policy: &Policy,
    templates: &Templates,
    fact: &Fact<'_>,
    now: DateTime<Utc>,
    words: Words,
) -> Result<Vec<Event>, RenderError> {
    let render = |name: &str, ctx: &dyn Fn() -> Value| match words {
        Words::Render => templates::render(templates, name, &ctx()),
        Words::Skip => Ok(String::new()),
    };
    let mut out = Vec::new();
    let staff = match words {
        Words::Render => internal_recipients(policy, fact, now),
        Words::Skip => Vec::new(),
    };
    if !staff.is_empty() {
        let message = render("internal_notice", &|| internal_context(fact))?;
        out.push(Event::NotificationQueued {
            action: fact.kind.as_str().to_string(),
            recipients: staff,
            message: message.trim_end().to_string(),
            due: fact.due,
            audience: Audience::Internal,
            clock: fact.clock,
            promise: None,
        });
    }
    let customer = customer_recipients(policy, fact);
    if !customer.is_empty() {
        let promise = promise_for(policy, fact, now);
        let ctx = || {
            let mut ctx = customer_context(policy, fact, promise.as_ref());
            if fact.kind == NoticeKind::CustomerUpdate {
                ctx["text"] = json!(fact.customer_text);
            }
            ctx
        };
        // An explicit customer update has its own template (`customer_update`).
        let name = if fact.kind == NoticeKind::CustomerUpdate {
            "customer_update"
        } else {
            "customer_notice"
        };
        let message = render(name, &ctx)?;
        out.push(Event::NotificationQueued {
            action: fact.kind.as_str().to_string(),
            recipients: customer,
            message: message.trim_end().to_string(),
            due: fact.due,
            audience: Audience::Customer,
            clock: None,
            promise: promise.map(|p| p.by),
        });
    }
    Ok(out)
}

/// [`compose`] with the policy's templates, falling back to the built-in ones when a policy
/// template fails at run time (the sweep must still tell people; `policy check` catches
/// templates that fail on a sample case); with [`Words::Skip`], without the messages.
pub fn compose_or_builtin(
    policy: &Policy,
    fact: &Fact<'_>,
    now: DateTime<Utc>,
    words: Words,
) -> Vec<Event> {
    compose_in(policy, &policy.templates, fact, now, words)
        .or_else(|_| compose_in(policy, &Templates::default(), fact, now, words))
        .unwrap_or_default()
}

/// Tell these parties this internal fact about a case (for callers outside the case
/// lifecycle, e.g. review reminders): one internal notification, or none if the parties
/// resolve to nobody.
pub fn tell_internal(
    policy: &Policy,
    case: &Case,
    action: &str,
    parties: &[Party],
    text: &str,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<Event>, RenderError> {
    let d = now;
    let mut who: Vec<String> = Vec::new();
    for p in parties.iter().filter(|p| !p.is_customer()) {
        push_unique(&mut who, raci::people(policy, case, p, d));
    }
    if who.is_empty() {
        return Ok(None);
    }
    let ctx = json!({
        "id": case.id, "title": case.title, "kind": action, "text": text,
        "severity": case.severity, "owner": case.owner, "clock": null,
    });
    let message = templates::render(&policy.templates, "internal_notice", &ctx)?;
    Ok(Some(Event::NotificationQueued {
        action: action.to_string(),
        recipients: who,
        message: message.trim_end().to_string(),
        due,
        audience: Audience::Internal,
        clock: None,
        promise: None,
    }))
}

/// A working copy of `case` with `events` applied, as they will be after the append.
pub fn after(case: &Case, events: &[Event], now: DateTime<Utc>) -> Case {
    let mut work = case.clone();
    work.events.clear();
    for e in events {
        let r = crate::case::Record {
            seq: 0,
            at: now,
            actor: Name::default(),
            case: case.id.clone(),
            step: e.step(),
            event: e.clone(),
            policy: None,
            login: None,
        };
        // Decided events are legal by construction; a fold error cannot happen here.
        let _ = work.apply(r, false);
    }
    work
}

/// The notifications for the events a command records on a case (`esc ack`, `esc escalate`,
/// …): each event that people are told of becomes a fact and is composed. The result goes
/// into the same append as the events.
pub fn for_events(
    policy: &Policy,
    before: &Case,
    events: &[Event],
    now: DateTime<Utc>,
) -> Result<Vec<Event>, RenderError> {
    let mut out = Vec::new();
    let mut prev = before.clone();
    prev.events.clear();
    for e in events {
        let next = after(&prev, std::slice::from_ref(e), now);
        let text = crate::case::describe::event(e);
        let fact = |kind| Fact::new(kind, &prev, &next, text.clone(), now);
        let fact = match e {
            Event::Opened { .. } => Some(fact(NoticeKind::Open)),
            Event::Acknowledged {} => Some(fact(NoticeKind::Acknowledge)),
            Event::Assigned { .. } => Some(fact(NoticeKind::Assign)),
            Event::Updated {
                text: body,
                customer,
                ..
            } => {
                if *customer {
                    let mut f = fact(NoticeKind::CustomerUpdate);
                    f.customer_text = Some(body.clone());
                    Some(f)
                } else if prev.is_major() {
                    let mut f = fact(NoticeKind::SituationUpdate);
                    f.text = body.clone();
                    Some(f)
                } else {
                    None
                }
            }
            Event::Escalated { path, .. } => {
                let mut f = fact(NoticeKind::Escalate);
                f.internal_only = *path != prev.home_path;
                Some(f)
            }
            Event::Deescalated { .. } => Some(fact(NoticeKind::Deescalate)),
            Event::Resolved { resolution, .. } => {
                let mut f = fact(NoticeKind::Resolve);
                f.customer_text = Some(resolution.trim_end_matches('.').to_string());
                Some(f)
            }
            Event::FollowupRequested {} => Some(fact(NoticeKind::FollowupRequest)),
            Event::Closed { .. } => Some(fact(NoticeKind::Close)),
            Event::Reopened { .. } => Some(fact(NoticeKind::Reopen)),
            Event::SwarmStarted { .. } => {
                let mut f = fact(NoticeKind::Swarm);
                f.involved = crate::case::incident::involved(std::slice::from_ref(e));
                Some(f)
            }
            Event::SwarmEnded { .. } => {
                let mut f = fact(NoticeKind::SwarmEnd);
                f.involved = prev
                    .swarm
                    .iter()
                    .flat_map(|s| std::iter::once(s.facilitator.clone()).chain(s.members.clone()))
                    .collect();
                Some(f)
            }
            Event::MajorDeclared { .. } => {
                let mut f = fact(NoticeKind::Major);
                f.involved = crate::case::incident::involved(std::slice::from_ref(e));
                Some(f)
            }
            Event::MajorStoodDown {} => {
                let mut f = fact(NoticeKind::StandDown);
                f.involved = prev
                    .major
                    .iter()
                    .flat_map(|m| m.roles.values().cloned())
                    .collect();
                Some(f)
            }
            _ => None,
        };
        if let Some(f) = fact {
            out.extend(compose(policy, &policy.templates, &f, now)?);
        }
        prev = next;
    }
    Ok(out)
}

/// The notifications for a newly opened case.
pub fn for_open(
    policy: &Policy,
    case: &Case,
    opened: &Event,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, RenderError> {
    let fact = Fact::new(
        NoticeKind::Open,
        case,
        case,
        crate::case::describe::event(opened),
        now,
    );
    compose(policy, &policy.templates, &fact, now)
}

/// What a customer's text must never contain, found in `message`: the policy's tier ids,
/// people and trigger names (as whole words) and the vocabulary of clocks. The rule every
/// customer template is held to (the tests run it over every shipped policy's output).
pub fn staff_words(policy: &Policy, message: &str) -> Vec<String> {
    let words: Vec<String> = message
        .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let mut names: Vec<String> = policy.tiers.iter().map(|t| t.id.clone()).collect();
    names.extend(policy.people().iter().map(|p| p.to_string()));
    names.extend(policy.triggers.iter().map(|t| t.name.clone()));
    let mut hits: Vec<String> = names
        .into_iter()
        .filter(|n| words.contains(&n.to_lowercase()))
        .collect();
    let lower = message.to_lowercase();
    for jargon in [
        "clock", "sla", "breach", "warning", "budget", "trigger", "tier", "escalat",
    ] {
        if lower.contains(jargon) {
            hits.push(jargon.to_string());
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Record;
    use crate::policy::Party;

    /// Every policy esc ships: the examples and the `esc init` starter.
    const SHIPPED: [(&str, &str); 4] = [
        (
            "customer-support",
            include_str!("../../policies/customer-support.toml"),
        ),
        (
            "it-helpdesk",
            include_str!("../../policies/it-helpdesk.toml"),
        ),
        (
            "sre-incident",
            include_str!("../../policies/sre-incident.toml"),
        ),
        ("starter", include_str!("../policy/starter.toml")),
    ];

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-23T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn opened(policy: &Policy) -> Case {
        open_case(policy, None, "email")
    }

    /// A case opened by `jo@customer.example` through `channel`, for `account`.
    fn open_case(policy: &Policy, account: Option<&str>, channel: &str) -> Case {
        let event = crate::case::transition::open(
            policy,
            &crate::case::OpenRequest {
                title: "Cannot print invoices".into(),
                reporter: Some("jo@customer.example".into()),
                channel: Some(channel.into()),
                account: account.map(str::to_string),
                ..Default::default()
            },
            t0(),
        )
        .expect("opens");
        let r = Record {
            seq: 1,
            at: t0(),
            actor: "tester".into(),
            case: "ESC-1".into(),
            step: event.step(),
            event,
            policy: None,
            login: None,
        };
        Case::fold(vec![r]).unwrap().unwrap()
    }

    #[test]
    fn customer_messages_name_no_tier_person_clock_or_trigger_under_every_shipped_policy() {
        for (name, text) in SHIPPED {
            let policy = crate::policy::parse(text).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            let case = opened(&policy);
            let mut told = 0;
            for kind in NoticeKind::ALL {
                // Every kind, as if the policy told the customer of it where allowed.
                let mut p = policy.clone();
                if !kind.internal_only() {
                    let mut who = told_list(&policy, kind);
                    who.push(Recipient::Party(Party::Reporter));
                    p.notify.on.insert(kind, who);
                }
                let mut fact = Fact::new(kind, &case, &case, "internal text".into(), t0());
                fact.customer_text = Some("we replaced the print driver".into());
                let notices = compose(&p, &p.templates, &fact, t0()).expect("renders");
                for n in &notices {
                    let Event::NotificationQueued {
                        audience, message, ..
                    } = n
                    else {
                        panic!("only notifications")
                    };
                    if *audience == Audience::Customer {
                        told += 1;
                        let hits = staff_words(&policy, message);
                        assert!(hits.is_empty(), "{name} {kind:?}: {hits:?} in {message:?}");
                    }
                }
                let customer = notices.iter().any(|n| {
                    matches!(
                        n,
                        Event::NotificationQueued {
                            audience: Audience::Customer,
                            ..
                        }
                    )
                });
                assert_eq!(customer, !kind.internal_only(), "{name} {kind:?}");
            }
            assert_eq!(told, 16, "{name}");
        }
    }

    fn told_list(policy: &Policy, kind: NoticeKind) -> Vec<Recipient> {
        told(policy, kind)
    }

    #[test]
    fn by_default_the_customer_hears_only_of_what_concerns_them() {
        for (name, text) in SHIPPED {
            let policy = crate::policy::parse(text).unwrap();
            let case = opened(&policy);
            let heard: Vec<&str> = NoticeKind::ALL
                .into_iter()
                .filter(|k| {
                    let fact = Fact::new(*k, &case, &case, "x".into(), t0());
                    !customer_recipients(&policy, &fact).is_empty()
                })
                .map(NoticeKind::as_str)
                .collect();
            assert_eq!(
                heard,
                [
                    "open",
                    "escalated",
                    "resolve",
                    "customer_update",
                    "followup_request",
                    "promise_missed"
                ],
                "{name}"
            );
            // Staff lists never hold the customer.
            for k in NoticeKind::ALL {
                let fact = Fact::new(k, &case, &case, "x".into(), t0());
                let staff = internal_recipients(&policy, &fact, t0());
                assert!(
                    !staff.contains(&"jo@customer.example".to_string()),
                    "{name} {k:?}"
                );
            }
        }
    }

    /// A case of the customer-support policy for account `globex` (contacts
    /// `it-ops@globex.example`), opened by `jo@customer.example` through `channel`.
    fn globex_case(channel: &str) -> (Policy, Case) {
        let policy = crate::policy::parse(SHIPPED[0].1).unwrap();
        let case = open_case(&policy, Some("globex"), channel);
        (policy, case)
    }

    #[test]
    fn account_contacts_hear_what_the_reporter_hears_but_the_follow_up_request() {
        let (policy, case) = globex_case("email");
        let both = ["jo@customer.example", "it-ops@globex.example"];
        for kind in NoticeKind::ALL {
            let fact = Fact::new(kind, &case, &case, "x".into(), t0());
            let customers = customer_recipients(&policy, &fact);
            let want: &[&str] = match kind {
                NoticeKind::Open
                | NoticeKind::Escalate
                | NoticeKind::Resolve
                | NoticeKind::CustomerUpdate
                | NoticeKind::PromiseMissed => &both,
                NoticeKind::FollowupRequest => &both[..1],
                _ => &[],
            };
            assert_eq!(customers, want, "{kind:?}");
            let staff = internal_recipients(&policy, &fact, t0());
            assert!(
                !staff.iter().any(|p| both.contains(&p.as_str())),
                "{kind:?}: {staff:?}"
            );
        }
        // `[notify.on]` may leave them out, or add them.
        let mut p = policy.clone();
        p.notify
            .on
            .insert(NoticeKind::Open, vec![Recipient::Party(Party::Reporter)]);
        p.notify.on.insert(
            NoticeKind::FollowupRequest,
            vec![Recipient::Party(Party::Contacts)],
        );
        let open = Fact::new(NoticeKind::Open, &case, &case, "x".into(), t0());
        assert_eq!(customer_recipients(&p, &open), ["jo@customer.example"]);
        let ask = Fact::new(NoticeKind::FollowupRequest, &case, &case, "x".into(), t0());
        assert_eq!(customer_recipients(&p, &ask), ["it-ops@globex.example"]);
    }

    #[test]
    fn the_reporter_of_a_case_from_monitoring_is_not_a_customer() {
        let (policy, case) = globex_case(crate::intake::decide::CHANNEL);
        let fact = Fact::new(NoticeKind::Open, &case, &case, "x".into(), t0());
        assert_eq!(
            customer_recipients(&policy, &fact),
            ["it-ops@globex.example"]
        );
    }

    #[test]
    fn a_warning_goes_to_the_owner_and_the_accountable() {
        let policy = crate::policy::parse(SHIPPED[3].1).unwrap();
        let case = opened(&policy);
        let mut fact = Fact::new(NoticeKind::Warning, &case, &case, "x".into(), t0());
        fact.clock = Some(ClockKind::Response);
        let who = internal_recipients(&policy, &fact, t0());
        assert_eq!(who[0], case.owner, "{who:?}");
        assert!(
            customer_recipients(&policy, &fact).is_empty(),
            "never the customer"
        );
    }
}
