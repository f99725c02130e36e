//! The JSON shape of a case (`esc show --json`, `esc list --json`, every changing command
//! with `--json`), as fixed by the SPEC. Pure.

use super::fold::{Case, Major, Swarm};
use super::raci::ResolvedRaci;
use crate::policy::Policy;
use crate::sla::clock::{Clock, ClockState, Clocks, shown_clocks};
use crate::timefmt::JsonTime;
use chrono::{DateTime, Utc};
use serde::ser::{Serialize, SerializeMap, SerializeStruct, Serializer};
use serde_json::Value;

/// The case object at `now`; `events` included when `with_events`, `raci` when given.
pub fn case_json(
    policy: &Policy,
    case: &Case,
    now: DateTime<Utc>,
    raci: Option<&[ResolvedRaci]>,
    with_events: bool,
) -> Value {
    let view = CaseView {
        raci,
        with_events,
        ..CaseView::new(policy, case, now, Sla::of(policy, case, now))
    };
    serde_json::to_value(view).unwrap_or(Value::Null)
}

/// The case object, serialised field by field as it is written (no `Value` tree): what
/// [`case_json`] returns, and what `esc --json list` streams for each case.
pub struct CaseView<'a> {
    policy: &'a Policy,
    case: &'a Case,
    now: DateTime<Utc>,
    sla: Option<Sla>,
    raci: Option<&'a [ResolvedRaci]>,
    with_events: bool,
}

impl<'a> CaseView<'a> {
    /// The view without events and RACI, with what the case's clocks show at `now`
    /// ([`Sla::of`]).
    pub fn new(policy: &'a Policy, case: &'a Case, now: DateTime<Utc>, sla: Option<Sla>) -> Self {
        CaseView {
            policy,
            case,
            now,
            sla,
            raci: None,
            with_events: false,
        }
    }
}

impl CaseView<'_> {
    /// How many fields the object has: twenty always, and those written only when there
    /// is something to say.
    fn fields(&self) -> usize {
        let (case, more) = (self.case, self.case.more());
        let optional = [
            more.description.is_some(),
            more.dedup_key.is_some(),
            more.resolution.is_some(),
            more.root_cause.is_some(),
            more.followup.is_some(),
            case.review.is_some(),
            self.raci.is_some(),
            self.with_events,
        ];
        20 + optional.into_iter().filter(|b| *b).count()
    }
}

/// What a case's `sla` object shows of its clocks (as [`shown_clocks`] gives them): each
/// one's due time, state and stop time. Small and plain, so a caller that worked the clocks
/// out already (`esc list`, to sort) can keep this and hand it back for the JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sla {
    pub response: ShownClock,
    pub resolution: ShownClock,
    pub update: Option<ShownClock>,
    pub tier: Option<ShownClock>,
}

impl Sla {
    /// What the case's clocks at `now` show; `None` where it has none (its severity is not
    /// in the policy, or its calendar never opens).
    pub fn of(policy: &Policy, case: &Case, now: DateTime<Utc>) -> Option<Sla> {
        shown_clocks(policy, case, now).as_ref().map(Sla::from)
    }
}

impl From<&Clocks> for Sla {
    fn from(k: &Clocks) -> Sla {
        Sla {
            response: (&k.response).into(),
            resolution: (&k.resolution).into(),
            update: k.update.as_ref().map(ShownClock::from),
            tier: k.tier.as_ref().map(ShownClock::from),
        }
    }
}

impl Serialize for Sla {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_struct("Sla", 4)?;
        m.serialize_field("response", &self.response)?;
        m.serialize_field("resolution", &self.resolution)?;
        m.serialize_field("update", &self.update)?;
        m.serialize_field("tier", &self.tier)?;
        m.end()
    }
}

/// `{"due", "state", "at"}` of a clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShownClock {
    pub due: Option<DateTime<Utc>>,
    pub state: ClockState,
    pub at: Option<DateTime<Utc>>,
}

impl From<&Clock> for ShownClock {
    fn from(c: &Clock) -> ShownClock {
        ShownClock {
            due: c.due,
            state: c.state,
            at: c.at,
        }
    }
}

impl Serialize for ShownClock {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_struct("Clock", 3)?;
        m.serialize_field("due", &self.due.map(JsonTime))?;
        m.serialize_field("state", self.state.as_str())?;
        m.serialize_field("at", &self.at.map(JsonTime))?;
        m.end()
    }
}

/// Path → tier: the policy's paths in order, then any other path the case is on.
struct LevelsView<'a>(&'a Policy, &'a Case);

impl Serialize for LevelsView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (policy, case) = (self.0, self.1);
        let mut m = s.serialize_map(None)?;
        for path in &policy.paths {
            if let Some(tier) = case.tier_on(&path.name) {
                m.serialize_entry(&path.name, tier)?;
            }
        }
        for (path, level) in &case.levels {
            if !policy.paths.iter().any(|p| p.name == *path) {
                m.serialize_entry(path, &level.tier)?;
            }
        }
        m.end()
    }
}

struct SwarmView<'a>(&'a Swarm);

impl Serialize for SwarmView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let w = self.0;
        let mut m = s.serialize_map(Some(6))?;
        m.serialize_entry("facilitator", &w.facilitator)?;
        m.serialize_entry("members", &w.members)?;
        m.serialize_entry("started_at", &w.started_at)?;
        m.serialize_entry("ended_at", &w.ended_at)?;
        m.serialize_entry("lessons", &w.lessons)?;
        m.serialize_entry("active", &w.ended_at.is_none())?;
        m.end()
    }
}

struct MajorView<'a>(&'a Major);

impl Serialize for MajorView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let j = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("commander", &j.commander)?;
        m.serialize_entry("roles", &j.roles)?;
        m.serialize_entry("declared_at", &j.declared_at)?;
        m.serialize_entry("stood_down_at", &j.stood_down_at)?;
        m.serialize_entry("active", &j.stood_down_at.is_none())?;
        if let Some(b) = &j.bridge {
            m.serialize_entry("bridge", b)?;
        }
        if let Some(c) = &j.channel {
            m.serialize_entry("channel", c)?;
        }
        m.end()
    }
}

impl Serialize for CaseView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let case = self.case;
        let mut m = s.serialize_struct("Case", self.fields())?;
        m.serialize_field("id", &case.id)?;
        m.serialize_field("title", &case.title)?;
        m.serialize_field("severity", &case.severity)?;
        m.serialize_field("type", &case.case_type)?;
        m.serialize_field("status", case.status.as_str())?;
        m.serialize_field("account", &case.account)?;
        m.serialize_field("owner", &case.owner)?;
        m.serialize_field("reporter", &case.more().reporter)?;
        m.serialize_field("channel", &case.more().channel)?;
        m.serialize_field("labels", &case.labels[..])?;
        m.serialize_field("levels", &LevelsView(self.policy, case))?;
        m.serialize_field("swarm", &case.swarm.as_deref().map(SwarmView))?;
        m.serialize_field("major", &case.major.as_deref().map(MajorView))?;
        m.serialize_field("opened_at", &JsonTime(case.opened_at))?;
        m.serialize_field("acknowledged_at", &case.acknowledged_at.map(JsonTime))?;
        m.serialize_field("resolved_at", &case.resolved_at.map(JsonTime))?;
        m.serialize_field("closed_at", &case.closed_at.map(JsonTime))?;
        if let Some(d) = &case.more().description {
            m.serialize_field("description", d)?;
        }
        if let Some(k) = &case.more().dedup_key {
            m.serialize_field("dedup_key", k)?;
        }
        m.serialize_field("sla", &self.sla)?;
        m.serialize_field("escalations", &case.escalations)?;
        m.serialize_field("reopened", &case.reopened)?;
        if let Some(r) = &case.more().resolution {
            m.serialize_field("resolution", r)?;
        }
        if let Some(r) = &case.more().root_cause {
            m.serialize_field("root_cause", r)?;
        }
        if let Some(f) = &case.more().followup {
            m.serialize_field(
                "followup",
                &serde_json::json!({"at": f.at, "csat": f.csat, "comment": f.comment}),
            )?;
        }
        if let Some(r) = &case.review {
            let today = self
                .now
                .with_timezone(&self.policy.defaults.timezone)
                .date_naive();
            m.serialize_field("review", &crate::review::review_json(&case.id, r, today))?;
        }
        if let Some(raci) = self.raci {
            m.serialize_field("raci", raci)?;
        }
        if self.with_events {
            m.serialize_field("events", &case.events[..])?;
        }
        m.end()
    }
}

/// A copy of the case for text shown to people: single-line fields (title, owner, reporter,
/// account, channel, labels) on one line each, so a newline in them cannot start a line that
/// looks like esc's own (`ESC-9 resolved`). Control characters are neutralised later, by the
/// output layer.
pub fn for_people(case: &Case) -> Case {
    use crate::render::one_line;
    let mut c = case.clone();
    c.title = one_line(&c.title).into();
    c.owner = one_line(&c.owner).into();
    if c.more().reporter.is_some() || c.more().channel.is_some() {
        let more = c.more_mut();
        more.reporter = more.reporter.as_deref().map(one_line);
        more.channel = more.channel.as_deref().map(one_line);
    }
    c.account = c.account.as_deref().map(one_line).map(Into::into);
    c.labels = c.labels.iter().map(|l| one_line(l)).collect();
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Event, Record};

    #[test]
    fn a_case_says_how_many_fields_it_writes() {
        let policy = crate::policy::parse(include_str!("../../tests/fixtures/spec-excerpt.toml"))
            .expect("valid");
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-23T09:00:00Z")
            .expect("time")
            .to_utc();
        let opened = crate::case::fixture::Opened::default().record(1, at);
        let resolved = Record {
            seq: 2,
            event: Event::Resolved {
                resolution: "fixed".into(),
                root_cause: Some("disk".into()),
            },
            ..opened.clone()
        };
        for records in [vec![opened.clone()], vec![opened, resolved]] {
            let case = Case::fold(records).expect("folds").expect("a case");
            for with_events in [false, true] {
                let view = CaseView {
                    with_events,
                    ..CaseView::new(&policy, &case, at, Sla::of(&policy, &case, at))
                };
                let value = serde_json::to_value(&view).expect("serialises");
                let written = value.as_object().map_or(0, serde_json::Map::len);
                assert_eq!(view.fields(), written, "{value}");
            }
        }
    }
}
