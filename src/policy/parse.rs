//! From TOML text to a checked [`Policy`], reporting every problem at once.
//!
//! Sections are read in dependency order (calendars before severities, severities and roles
//! before tiers …) so every reference can be checked where it is written. A problem is
//! recorded with its span and the walk goes on with a placeholder value; if anything was
//! recorded, the caller gets the diagnostics instead of a policy.

use super::calendar_spec;
use super::duration;
use super::model::*;
use super::source::{Diagnostic, Sink, Str, Table, Val, suggestion};
use super::triggers;
use chrono::TimeDelta;
use chrono_tz::Tz;
use std::collections::{BTreeMap, BTreeSet};
use toml::de::DeTable;

/// Names defined so far, for checking references.
pub(crate) struct Names {
    pub types: Vec<String>,
    pub calendars: BTreeMap<String, Calendar>,
    pub severities: Vec<String>,
    /// Calendar name per severity, for the day-unit rule.
    pub severity_calendar: BTreeMap<String, String>,
    pub roles: BTreeSet<String>,
    pub people: BTreeSet<String>,
    pub tiers: Vec<String>,
    pub paths: Vec<String>,
}

impl Names {
    /// Whether a severity's SLA clocks run on a business-hours (not 24x7) calendar.
    pub fn on_business_hours(&self, severity: &str) -> bool {
        self.severity_calendar
            .get(severity)
            .and_then(|c| self.calendars.get(c))
            .is_some_and(|c| c.hours != Hours::Always)
    }
}

/// Parse and check a policy document.
pub fn parse(text: &str) -> Result<Policy, Vec<Diagnostic>> {
    let sink = Sink::new(text);
    let (doc, syntax) = DeTable::parse_recoverable(text);
    for e in syntax {
        let span = e.span().unwrap_or(0..0);
        sink.error(span, format!("TOML syntax: {}", e.message().trim()));
    }
    let root = Table::root(&sink, &doc);
    let mut policy = read_policy(&root);
    policy.hash = super::version::content_hash(text);
    root.finish("key");
    if sink.is_empty() {
        Ok(policy)
    } else {
        Err(sink.into_sorted())
    }
}

fn read_policy(root: &Table<'_, '_>) -> Policy {
    let sink = root.sink;
    if let Some(v) = root.require("version", "`version = 1`")
        && let Some(n) = v.int()
        && n != 1
    {
        sink.error(
            v.span(),
            format!("policy version {n} is not supported: this esc reads `version = 1`"),
        );
    }
    let name = root
        .get("name")
        .and_then(|v| v.str())
        .map_or_else(|| "esc policy".to_string(), |s| s.value.to_string());

    let mut names = Names {
        types: Vec::new(),
        calendars: BTreeMap::new(),
        severities: Vec::new(),
        severity_calendar: BTreeMap::new(),
        roles: BTreeSet::new(),
        people: BTreeSet::new(),
        tiers: Vec::new(),
        paths: Vec::new(),
    };
    names.types = read_types(root);
    names.calendars = read_calendars(root);
    let severities = read_severities(root, &mut names);
    let roles = read_roles(root, &mut names);
    let (tiers, paths) = read_tiers(root, &mut names);
    let accounts = read_accounts(root, &names);
    let raci = read_raci(root, &names);
    let defaults = read_defaults(root, &names, &paths);
    let handoff = read_handoff(root);
    let swarm = read_swarm(root, &names);
    let major = read_major(root);
    let review = read_review(root, &names);
    let closing = read_closing(root);
    let triggers = triggers::read(root, &names, &paths);
    let trigger_names: Vec<String> = triggers.iter().map(|t| t.name.clone()).collect();
    let authority = read_authority(root, &names, &trigger_names);
    let sponsors = read_sponsors(root, &names);
    let notify = super::notify_spec::read(root, &names);
    let contacts = super::notify_spec::read_people(root, &names);
    let templates = super::templates::read(root);
    let intake = super::intake::read(root, &names, &paths);

    Policy {
        name,
        hash: String::new(),
        types: names.types.clone(),
        defaults,
        calendars: names.calendars.clone(),
        severities,
        roles,
        tiers,
        paths,
        raci,
        accounts,
        handoff,
        swarm,
        major,
        review,
        closing,
        authority,
        sponsors,
        triggers,
        notify,
        templates,
        intake,
        contacts,
        overrides: Vec::new(),
    }
}

/// A section table if present (and a table), else `None`.
pub(crate) fn section<'s, 'a>(root: &Table<'s, 'a>, key: &'static str) -> Option<Table<'s, 'a>> {
    root.get(key).and_then(|v| v.table())
}

/// Check that `name` is one of `known`; report with a suggestion otherwise.
pub(crate) fn check_ref(sink: &Sink, s: &Str<'_>, what: &str, known: &[String]) -> bool {
    if known.iter().any(|k| k == s.value) {
        return true;
    }
    let hint = suggestion(s.value, known.iter().map(String::as_str));
    let list = if hint.is_empty() && !known.is_empty() {
        format!("; defined {what}s: {}", known.join(", "))
    } else {
        hint
    };
    sink.error(
        s.span.clone(),
        format!("unknown {what} `{}`{list}", s.value),
    );
    false
}

/// A duration value; `business` is the set of severities whose calendar decides whether a day
/// unit is allowed (empty: plain elapsed time, any unit).
pub(crate) fn read_duration(
    v: &Val<'_, '_>,
    business: &[&str],
    names: Option<&Names>,
) -> Option<TimeDelta> {
    let s = v.str()?;
    match duration::parse(s.value) {
        Ok(d) => {
            if let Some(names) = names
                && duration::uses_day_unit(s.value)
                && let Some(sev) = business.iter().find(|sev| names.on_business_hours(sev))
            {
                v.sink.error(
                        s.span.clone(),
                        format!(
                            "`{}` uses a day unit on a business-hours calendar (severity `{sev}`): \"{}\" would mean {} open hours, not business days; write hours instead, e.g. \"16h\" for two 8-hour days",
                            v.path,
                            s.value,
                            d.num_hours()
                        ),
                    );
            }
            Some(d)
        }
        Err(e) => {
            v.sink.error(s.span, format!("`{}`: {e}", v.path));
            None
        }
    }
}

fn read_types(root: &Table<'_, '_>) -> Vec<String> {
    let Some(v) = root.require(
        "types",
        "the escalation types, e.g. `types = [\"technical\"]`",
    ) else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    let items = v.str_list();
    if items.is_empty() && v.is_array() {
        v.sink.error(
            v.span(),
            "`types` is empty: name at least one escalation type",
        );
    }
    for s in items {
        if s.value.trim().is_empty() {
            v.sink.error(s.span, "an escalation type needs a name");
        } else if out.iter().any(|t| t == s.value) {
            v.sink
                .error(s.span, format!("type `{}` is listed twice", s.value));
        } else {
            out.push(s.value.to_string());
        }
    }
    out
}

fn read_calendars(root: &Table<'_, '_>) -> BTreeMap<String, Calendar> {
    let mut out = BTreeMap::new();
    let Some(t) = section(root, "calendars") else {
        root.sink.error(
            root.span.start..root.span.start,
            "the policy has no `[calendars]`: add one, e.g. `[calendars.always]` with `hours = \"24x7\"`",
        );
        return out;
    };
    for (key, v) in t.entries() {
        if let Some(cal) = v.table().map(|ct| calendar_spec::read(key.value, &ct)) {
            out.insert(key.value.to_string(), cal);
        }
    }
    out
}

fn read_severities(root: &Table<'_, '_>, names: &mut Names) -> Vec<Severity> {
    let mut out = Vec::new();
    let Some(t) = section(root, "severities") else {
        root.sink.error(
            root.span.start..root.span.start,
            "the policy has no `[severities]`: add at least one, e.g. `[severities.sev1]`",
        );
        return out;
    };
    let calendar_names: Vec<String> = names.calendars.keys().cloned().collect();
    for (key, v) in t.entries() {
        names.severities.push(key.value.to_string());
        let Some(st) = v.table() else { continue };
        let calendar = match st.require("calendar", "the calendar its SLA clocks run on") {
            Some(cv) => match cv.str() {
                Some(s) => {
                    check_ref(root.sink, &s, "calendar", &calendar_names);
                    s.value.to_string()
                }
                None => String::new(),
            },
            None => String::new(),
        };
        names
            .severity_calendar
            .insert(key.value.to_string(), calendar.clone());
        let sev_ref = [key.value];
        let target = |k: &'static str, what: &str| {
            st.require(k, what)
                .and_then(|d| read_duration(&d, &sev_ref, Some(names)))
                .unwrap_or(TimeDelta::zero())
        };
        let response = target(
            "response",
            "the first-response target, e.g. `response = \"1h\"`",
        );
        let resolution = target(
            "resolution",
            "the resolution target, e.g. `resolution = \"8h\"`",
        );
        let update_every = st
            .get("update_every")
            .and_then(|d| read_duration(&d, &sev_ref, Some(names)));
        let warn_at = match st.get("warn_at") {
            Some(w) => match w.number() {
                Some(x) if x > 0.0 && x < 1.0 => x,
                Some(x) => {
                    root.sink.error(
                        w.span(),
                        format!("`{}` is {x}: it must lie between 0 and 1 (exclusive), e.g. 0.75 to warn at three quarters of a target", w.path),
                    );
                    0.75
                }
                None => 0.75,
            },
            None => 0.75,
        };
        let skip_tiers = st.get("skip_tiers").and_then(|b| b.bool()).unwrap_or(false);
        let review = match st.get("review") {
            Some(r) => match r.str() {
                Some(s) if s.value == "required" => ReviewRequirement::Required,
                Some(s) if s.value == "optional" => ReviewRequirement::Optional,
                Some(s) => {
                    root.sink.error(
                        s.span,
                        format!(
                            "`{}` is \"{}\": write \"required\" or \"optional\"",
                            r.path, s.value
                        ),
                    );
                    ReviewRequirement::Optional
                }
                None => ReviewRequirement::Optional,
            },
            None => ReviewRequirement::Optional,
        };
        let label = st
            .get("label")
            .and_then(|l| l.str())
            .map_or_else(|| key.value.to_string(), |s| s.value.to_string());
        st.finish("key");
        out.push(Severity {
            id: key.value.to_string(),
            label,
            calendar,
            response,
            resolution,
            update_every,
            warn_at,
            skip_tiers,
            review,
        });
    }
    if out.is_empty() && names.severities.is_empty() {
        root.sink.error(
            t.span.clone(),
            "`[severities]` is empty: define at least one severity",
        );
    }
    out
}

fn read_roles(root: &Table<'_, '_>, names: &mut Names) -> BTreeMap<String, Role> {
    let mut out = BTreeMap::new();
    let Some(t) = section(root, "roles") else {
        root.sink.error(
            root.span.start..root.span.start,
            "the policy has no `[roles]`: add at least one, e.g. `[roles.agent]` with `members = [\"ana\"]`",
        );
        return out;
    };
    for (key, v) in t.entries() {
        names.roles.insert(key.value.to_string());
        let Some(rt) = v.table() else { continue };
        let mut members: Vec<String> = Vec::new();
        if let Some(m) = rt.require(
            "members",
            "the people in the role, e.g. `members = [\"ana\"]`",
        ) {
            for s in m.str_list() {
                if s.value.trim().is_empty() {
                    root.sink.error(s.span, "a member needs a name");
                } else if members.iter().any(|x| x == s.value) {
                    root.sink.error(
                        s.span,
                        format!("`{}` is listed twice in `{}`", s.value, m.path),
                    );
                } else {
                    members.push(s.value.to_string());
                }
            }
            if members.is_empty() && m.is_array() {
                root.sink.error(
                    m.span(),
                    format!(
                        "role `{}` has no members: list at least one person",
                        key.value
                    ),
                );
            }
        }
        let rotation = match rt.get("rotation") {
            Some(r) => match r.str() {
                Some(s) => match s.value {
                    "none" => Rotation::None,
                    "daily" => Rotation::Daily,
                    "weekly" => Rotation::Weekly,
                    other => {
                        root.sink.error(
                            s.span,
                            format!("rotation \"{other}\" is not known: write \"none\", \"daily\" or \"weekly\""),
                        );
                        Rotation::None
                    }
                },
                None => Rotation::None,
            },
            None => Rotation::None,
        };
        let start = rt
            .get("start")
            .and_then(|v| calendar_spec::read_date(root.sink, &v, "start"));
        let roster = read_roster(root, &rt, key.value);
        rt.finish("key");
        names.people.extend(members.iter().cloned());
        names
            .people
            .extend(roster.iter().flat_map(|c| c.members.iter().cloned()));
        out.insert(
            key.value.to_string(),
            Role {
                name: key.value.to_string(),
                members,
                rotation,
                start,
                roster,
            },
        );
    }
    out
}

/// `roster = [{ effective = "YYYY-MM-DD", members = [...] }, ...]`: member changes of a role,
/// in date order.
fn read_roster(root: &Table<'_, '_>, rt: &Table<'_, '_>, role: &str) -> Vec<RosterChange> {
    let mut out: Vec<RosterChange> = Vec::new();
    let Some(v) = rt.get("roster") else {
        return out;
    };
    let Some(items) = v.array() else {
        root.sink.error(
            v.span(),
            "`roster` is a list of changes, e.g. `roster = [{ effective = \"2026-12-07\", members = [\"ana\", \"ben\"] }]`",
        );
        return out;
    };
    for item in items {
        let Some(t) = item.table() else {
            root.sink.error(
                item.span(),
                "a roster change is a table: `{ effective = \"YYYY-MM-DD\", members = [...] }`",
            );
            continue;
        };
        let effective = t
            .require(
                "effective",
                "the date the new members take over, \"YYYY-MM-DD\"",
            )
            .and_then(|v| calendar_spec::read_date(root.sink, &v, "effective"));
        let mut members: Vec<String> = Vec::new();
        if let Some(m) = t.require("members", "the members from that date on") {
            for s in m.str_list() {
                if s.value.trim().is_empty() || members.iter().any(|x| x == s.value) {
                    root.sink
                        .error(s.span, "a member needs a name, listed once");
                } else {
                    members.push(s.value.to_string());
                }
            }
            if members.is_empty() {
                root.sink.error(
                    m.span(),
                    format!(
                        "a roster change of role `{role}` has no members: list at least one person"
                    ),
                );
            }
        }
        t.finish("key");
        if let Some(effective) = effective {
            if out.last().is_some_and(|l| l.effective >= effective) {
                root.sink.error(
                    item.span(),
                    "roster changes must be in date order, one per date",
                );
            }
            out.push(RosterChange { effective, members });
        }
    }
    out
}

/// Read a party: a role, a person, or one of the case-relative names.
pub(crate) fn read_party(
    sink: &Sink,
    s: &Str<'_>,
    names: &Names,
    allow_relative: bool,
) -> Option<Party> {
    let relative = match s.value {
        "reporter" => Some(Party::Reporter),
        "contacts" => Some(Party::Contacts),
        "owner" => Some(Party::Owner),
        "sponsor" => Some(Party::Sponsor),
        "commander" => Some(Party::Commander),
        _ => None,
    };
    if let Some(p) = relative {
        if allow_relative {
            return Some(p);
        }
        sink.error(
            s.span.clone(),
            format!(
                "`{}` depends on a case and cannot be used here: name a role or a person",
                s.value
            ),
        );
        return None;
    }
    if names.roles.contains(s.value) {
        return Some(Party::Role(s.value.to_string()));
    }
    if names.people.contains(s.value) {
        return Some(Party::Person(s.value.to_string()));
    }
    let mut candidates: Vec<&str> = names
        .roles
        .iter()
        .chain(names.people.iter())
        .map(String::as_str)
        .collect();
    if allow_relative {
        candidates.extend(["reporter", "contacts", "owner", "sponsor", "commander"]);
    }
    let hint = suggestion(s.value, candidates.iter().copied());
    sink.error(
        s.span.clone(),
        format!(
            "`{}` is neither a role nor a person{hint}{}",
            s.value,
            if hint.is_empty() {
                " (a person is anyone listed as a member of a role)"
            } else {
                ""
            }
        ),
    );
    None
}

fn read_tiers(root: &Table<'_, '_>, names: &mut Names) -> (Vec<Tier>, Vec<EscalationPath>) {
    let mut tiers: Vec<Tier> = Vec::new();
    let mut paths: Vec<EscalationPath> = Vec::new();
    let Some(v) = root.require("tiers", "at least one `[[tiers]]` table") else {
        return (tiers, paths);
    };
    let role_names: Vec<String> = names.roles.iter().cloned().collect();
    for item in v.array().unwrap_or_default() {
        let Some(t) = item.table() else { continue };
        let id = t
            .require("id", "the tier id, e.g. `id = \"L1\"`")
            .and_then(|x| x.str());
        let id_str = id.as_ref().map_or(String::new(), |s| s.value.to_string());
        if let Some(s) = &id {
            if s.value.trim().is_empty() {
                root.sink.error(s.span.clone(), "a tier id cannot be empty");
            } else if names.tiers.iter().any(|x| x == s.value) {
                root.sink.error(
                    s.span.clone(),
                    format!(
                        "tier id `{}` is used twice: give each tier its own id",
                        s.value
                    ),
                );
            }
        }
        let path = match t.get("path").and_then(|p| p.str()) {
            Some(s) if s.value.trim().is_empty() => {
                root.sink.error(
                    s.span,
                    "an empty path name: write a path such as \"technical\"",
                );
                "technical".to_string()
            }
            Some(s) => s.value.to_string(),
            None => "technical".to_string(),
        };
        let name = t
            .get("name")
            .and_then(|n| n.str())
            .map_or_else(|| id_str.clone(), |s| s.value.to_string());
        let role = match t
            .require("role", "the role that owns cases in this tier")
            .and_then(|r| r.str())
        {
            Some(s) => {
                check_ref(root.sink, &s, "role", &role_names);
                s.value.to_string()
            }
            None => String::new(),
        };
        let calendar = t.get("calendar").and_then(|c| c.str()).and_then(|c| {
            let known: Vec<String> = names.calendars.keys().cloned().collect();
            check_ref(root.sink, &c, "calendar", &known).then(|| c.value.to_string())
        });
        let business = calendar
            .as_ref()
            .and_then(|c| names.calendars.get(c))
            .is_some_and(|c| c.hours != Hours::Always);
        let mut escalate_after = BTreeMap::new();
        if let Some(ea) = t.require(
            "escalate_after",
            "the time budget per severity, e.g. `escalate_after = { sev1 = \"10m\" }`",
        ) && let Some(et) = ea.table()
        {
            for (sev, d) in et.entries() {
                if check_ref(root.sink, &sev, "severity", &names.severities)
                    && let Some(dur) = read_duration(
                        &d,
                        &[sev.value],
                        // A tier's own calendar, not the severity's, decides the units.
                        calendar.is_none().then_some(&*names),
                    )
                {
                    if business
                        && let Some(text) = d.str()
                        && duration::uses_day_unit(text.value)
                    {
                        root.sink.error(
                            text.span,
                            format!(
                                "`{}` uses a day unit on the tier's business-hours calendar: write hours instead, e.g. \"16h\" for two 8-hour days",
                                d.path
                            ),
                        );
                    }
                    escalate_after.insert(sev.value.to_string(), dur);
                }
            }
            for sev in &names.severities {
                if !et.entries().iter().any(|(k, _)| k.value == sev) {
                    root.sink.error(
                            ea.span(),
                            format!("tier `{id_str}` has no budget for severity `{sev}`: add `{sev} = \"…\"` to `escalate_after`"),
                        );
                }
            }
        }
        let authority = t
            .get("authority")
            .map(|a| a.str_list().iter().map(|s| s.value.to_string()).collect())
            .unwrap_or_default();
        t.finish("key");
        if !id_str.is_empty() && !names.tiers.contains(&id_str) {
            names.tiers.push(id_str.clone());
        }
        match paths.iter_mut().find(|p| p.name == path) {
            Some(p) => p.tiers.push(id_str.clone()),
            None => {
                names.paths.push(path.clone());
                paths.push(EscalationPath {
                    name: path.clone(),
                    tiers: vec![id_str.clone()],
                });
            }
        }
        tiers.push(Tier {
            id: id_str,
            path,
            name,
            role,
            escalate_after,
            authority,
            calendar,
        });
    }
    if tiers.is_empty() && v.is_array() {
        root.sink.error(
            v.span(),
            "the policy has no tiers: add at least one `[[tiers]]`",
        );
    }
    (tiers, paths)
}

fn read_accounts(root: &Table<'_, '_>, names: &Names) -> BTreeMap<String, Account> {
    let mut out = BTreeMap::new();
    let Some(t) = section(root, "accounts") else {
        return out;
    };
    for (key, v) in t.entries() {
        let Some(at) = v.table() else { continue };
        let name = at
            .get("name")
            .and_then(|n| n.str())
            .map_or_else(|| key.value.to_string(), |s| s.value.to_string());
        let key_account = at.get("key").and_then(|k| k.bool()).unwrap_or(false);
        let sponsor = at
            .get("sponsor")
            .and_then(|s| s.str())
            .and_then(|s| read_party(root.sink, &s, names, false));
        let contacts = read_contacts(root.sink, at.get("contacts"), key.value, names);
        let calendar = at.get("calendar").and_then(|c| c.str()).and_then(|c| {
            let known: Vec<String> = names.calendars.keys().cloned().collect();
            check_ref(root.sink, &c, "calendar", &known).then(|| c.value.to_string())
        });
        at.finish("key");
        out.insert(
            key.value.to_string(),
            Account {
                id: key.value.to_string(),
                name,
                key: key_account,
                sponsor,
                contacts,
                calendar,
            },
        );
    }
    out
}

/// `[accounts.ID] contacts`: email addresses of the customer's people, each once, none a
/// member of staff.
fn read_contacts(sink: &Sink, v: Option<Val<'_, '_>>, account: &str, names: &Names) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in v.map(|v| v.str_list()).unwrap_or_default() {
        let address = s.value.trim();
        let problem = if !is_address(address) {
            Some(format!(
                "`accounts.{account}.contacts` holds `{}`, which is not an email address: write e.g. \"ops@{account}.example\"",
                s.value
            ))
        } else if names.people.contains(address) || names.roles.contains(address) {
            Some(format!(
                "`accounts.{account}.contacts` names `{address}`, who is staff: contacts are the customer's people and are told only customer messages; name staff in `[raci]` or `[notify.on]` instead"
            ))
        } else if out.iter().any(|c| c == address) {
            Some(format!(
                "`accounts.{account}.contacts` lists `{address}` twice: list it once"
            ))
        } else {
            None
        };
        match problem {
            Some(message) => sink.error(s.span.clone(), message),
            None => out.push(address.to_string()),
        }
    }
    out
}

/// Whether `text` has the form of an email address (`local@domain`, no spaces).
fn is_address(text: &str) -> bool {
    match text.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !text.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

fn read_parties(v: &Val<'_, '_>, names: &Names) -> Vec<Party> {
    v.str_list()
        .iter()
        .filter_map(|s| read_party(v.sink, s, names, true))
        .collect()
}

fn read_raci(root: &Table<'_, '_>, names: &Names) -> BTreeMap<String, RaciTable> {
    let mut out = BTreeMap::new();
    let Some(t) = section(root, "raci") else {
        root.sink.error(
            root.span.start..root.span.start,
            "the policy has no `[raci]`: add `[raci.default]` with a row per step",
        );
        return out;
    };
    let mut table_names: Vec<String> = names.types.clone();
    table_names.push("default".into());
    let step_names: Vec<&str> = Step::ALL.iter().map(|s| s.as_str()).collect();
    for (key, v) in t.entries() {
        if !check_ref(root.sink, &key, "escalation type", &table_names) {
            continue;
        }
        let Some(tt) = v.table() else { continue };
        let mut table = RaciTable::new();
        for (step_key, row) in tt.entries() {
            let Some(step) = Step::parse(step_key.value) else {
                root.sink.error(
                    step_key.span,
                    format!(
                        "`{}` is not a RACI step{}; steps are: {}",
                        step_key.value,
                        suggestion(step_key.value, step_names.iter().copied()),
                        step_names.join(", ")
                    ),
                );
                continue;
            };
            let Some(rt) = row.table() else { continue };
            let responsible = rt
                .get("r")
                .map(|r| read_parties(&r, names))
                .unwrap_or_default();
            let consulted = rt
                .get("c")
                .map(|r| read_parties(&r, names))
                .unwrap_or_default();
            let informed = rt
                .get("i")
                .map(|r| read_parties(&r, names))
                .unwrap_or_default();
            let accountable = match rt.require("a", "exactly one Accountable, e.g. `a = \"lead\"`")
            {
                Some(a) if a.is_array() => {
                    root.sink.error(
                        a.span(),
                        format!("`{}` is a list: there is one Accountable per step; write a single role or person, e.g. a = \"lead\"", a.path),
                    );
                    None
                }
                Some(a) => a.str().and_then(|s| read_party(root.sink, &s, names, true)),
                None => None,
            };
            rt.finish("key (RACI columns are r, a, c, i)");
            if let Some(accountable) = accountable {
                table.insert(
                    step,
                    Raci {
                        responsible,
                        accountable,
                        consulted,
                        informed,
                    },
                );
            }
        }
        out.insert(key.value.to_string(), table);
    }
    if !out.contains_key("default") {
        for ty in &names.types {
            if !out.contains_key(ty) {
                root.sink.error(
                    t.span.clone(),
                    format!("type `{ty}` has no RACI table and there is no `[raci.default]`: add one of them"),
                );
            }
        }
    }
    out
}

fn read_defaults(root: &Table<'_, '_>, names: &Names, paths: &[EscalationPath]) -> Defaults {
    let sink = root.sink;
    let t = section(root, "defaults");
    let get = |k: &'static str| t.as_ref().and_then(|t| t.get(k)).and_then(|v| v.str());
    let severity = match get("severity") {
        Some(s) => {
            check_ref(sink, &s, "severity", &names.severities);
            s.value.to_string()
        }
        None => names.severities.last().cloned().unwrap_or_default(),
    };
    let case_type = match get("type") {
        Some(s) => {
            check_ref(sink, &s, "escalation type", &names.types);
            s.value.to_string()
        }
        None => names.types.first().cloned().unwrap_or_default(),
    };
    let path = match get("path") {
        Some(s) => {
            if check_ref(sink, &s, "path", &names.paths)
                && paths
                    .iter()
                    .any(|p| p.name == s.value && p.tiers.is_empty())
            {
                sink.error(s.span.clone(), format!("path `{}` has no tiers", s.value));
            }
            s.value.to_string()
        }
        None => {
            if names.paths.iter().any(|p| p == "technical") {
                "technical".to_string()
            } else {
                names.paths.first().cloned().unwrap_or_default()
            }
        }
    };
    let timezone = match get("timezone") {
        Some(s) => calendar_spec::read_timezone(sink, &s).unwrap_or(Tz::UTC),
        None => Tz::UTC,
    };
    let unknown_actors = match get("unknown_actors") {
        None => UnknownActors::Refuse,
        Some(s) => match s.value {
            "refuse" => UnknownActors::Refuse,
            "allow" => UnknownActors::Allow,
            other => {
                sink.error(
                    s.span.clone(),
                    format!(
                        "`{other}` is not a setting of unknown_actors{}: write \"refuse\" (an actor must be a person of the policy) or \"allow\"",
                        suggestion(other, ["refuse", "allow"])
                    ),
                );
                UnknownActors::Refuse
            }
        },
    };
    if let Some(t) = t {
        t.finish("key");
    }
    Defaults {
        severity,
        case_type,
        path,
        timezone,
        unknown_actors,
    }
}

fn read_handoff(root: &Table<'_, '_>) -> Handoff {
    let mut out = Handoff::default();
    let Some(t) = section(root, "handoff") else {
        return out;
    };
    if let Some(v) = t.get("require") {
        for s in v.str_list() {
            match HandoffField::ALL.iter().find(|f| f.as_str() == s.value) {
                Some(f) => out.require.push(*f),
                None => root.sink.error(
                    s.span.clone(),
                    format!(
                        "`{}` is not a handoff field{}; fields are: reason, summary, tried",
                        s.value,
                        suggestion(s.value, HandoffField::ALL.iter().map(|f| f.as_str()))
                    ),
                ),
            }
        }
    }
    t.finish("key");
    out
}

fn read_swarm(root: &Table<'_, '_>, names: &Names) -> SwarmPolicy {
    let mut out = SwarmPolicy::default();
    let Some(t) = section(root, "swarm") else {
        return out;
    };
    if let Some(s) = t.get("facilitator").and_then(|v| v.str()) {
        let roles: Vec<String> = names.roles.iter().cloned().collect();
        if check_ref(root.sink, &s, "role", &roles) {
            out.facilitator = Some(s.value.to_string());
        }
    }
    out.lessons_required = t
        .get("lessons_required")
        .and_then(|v| v.bool())
        .unwrap_or(false);
    t.finish("key");
    out
}

fn read_major(root: &Table<'_, '_>) -> MajorPolicy {
    let mut out = MajorPolicy::default();
    let Some(t) = section(root, "major") else {
        return out;
    };
    if let Some(v) = t.get("roles") {
        for s in v.str_list() {
            if out.roles.iter().any(|r| r == s.value) {
                root.sink.error(
                    s.span,
                    format!("incident role `{}` is listed twice", s.value),
                );
            } else {
                out.roles.push(s.value.to_string());
            }
        }
    }
    out.update_every = t
        .get("update_every")
        .and_then(|v| read_duration(&v, &[], None));
    if let Some(cards) = t.get("cards").and_then(|v| v.table()) {
        for (role, card) in cards.entries() {
            check_ref(root.sink, &role, "incident role", &out.roles);
            let Some(ct) = card.table() else { continue };
            let duties = ct
                .require(
                    "duties",
                    "the duties on the card, e.g. `duties = [\"Owns the timeline\"]`",
                )
                .map(|d| d.str_list().iter().map(|s| s.value.to_string()).collect())
                .unwrap_or_default();
            ct.finish("key");
            out.cards.insert(
                role.value.to_string(),
                RoleCard {
                    role: role.value.to_string(),
                    duties,
                },
            );
        }
    }
    t.finish("key");
    out
}

fn read_review(root: &Table<'_, '_>, names: &Names) -> ReviewPolicy {
    let mut out = ReviewPolicy {
        required_for: Vec::new(),
        also_when: Vec::new(),
        due: TimeDelta::days(5),
    };
    let Some(t) = section(root, "review") else {
        return out;
    };
    if let Some(v) = t.get("required_for") {
        for s in v.str_list() {
            if check_ref(root.sink, &s, "severity", &names.severities) {
                out.required_for.push(s.value.to_string());
            }
        }
    }
    if let Some(v) = t.get("also_when") {
        for s in v.str_list() {
            let when = match s.value {
                "breached" => Some(ReviewWhen::Breached),
                "swarmed" => Some(ReviewWhen::Swarmed),
                "major" => Some(ReviewWhen::Major),
                _ => None,
            };
            match when {
                Some(w) => out.also_when.push(w),
                None => root.sink.error(
                    s.span.clone(),
                    format!(
                        "`{}` is not a review condition{}; write \"breached\", \"swarmed\" or \"major\"",
                        s.value,
                        suggestion(s.value, ["breached", "swarmed", "major"])
                    ),
                ),
            }
        }
    }
    if let Some(d) = t.get("due").and_then(|v| read_duration(&v, &[], None)) {
        out.due = d;
    }
    t.finish("key");
    out
}

fn read_closing(root: &Table<'_, '_>) -> Closing {
    let mut out = Closing::default();
    if let Some(t) = section(root, "closing") {
        out.require_followup = t
            .get("require_followup")
            .and_then(|v| v.bool())
            .unwrap_or(false);
        t.finish("key");
    }
    out
}

/// The words an `[authority]` list may use besides roles and people.
const HOLDER_WORDS: [&str; 5] = ["anyone", "owner", "tier", "accountable", "commander"];

/// An `[authority]` list: roles, people and the words of [`HOLDER_WORDS`].
fn read_holders(v: &Val<'_, '_>, names: &Names) -> Vec<Holder> {
    let mut out = Vec::new();
    for s in v.str_list() {
        let holder = match s.value {
            "anyone" => Holder::Anyone,
            "owner" => Holder::Owner,
            "tier" => Holder::Tier,
            "accountable" => Holder::Accountable,
            "commander" => Holder::Commander,
            name if names.roles.contains(name) => Holder::Role(name.to_string()),
            name if names.people.contains(name) => Holder::Person(name.to_string()),
            name => {
                let candidates = names
                    .roles
                    .iter()
                    .chain(names.people.iter())
                    .map(String::as_str)
                    .chain(HOLDER_WORDS);
                v.sink.error(
                    s.span.clone(),
                    format!(
                        "`{name}` is neither a role, a person nor one of {}{}",
                        HOLDER_WORDS.join(", "),
                        suggestion(name, candidates)
                    ),
                );
                continue;
            }
        };
        if !out.contains(&holder) {
            out.push(holder);
        }
    }
    out
}

/// `[authority]`.
fn read_authority(root: &Table<'_, '_>, names: &Names, triggers: &[String]) -> Authority {
    let mut out = Authority::default();
    let Some(t) = section(root, "authority") else {
        return out;
    };
    let list = |key: &'static str| t.get(key).map(|v| read_holders(&v, names));
    out.approve = list("approve");
    out.skip_tiers = list("skip_tiers");
    out.major = list("major");
    out.stand_down = list("stand_down");
    out.waive_review = list("waive_review");
    out.close_without_followup = list("close_without_followup");
    let per = |key: &'static str, what: &str, known: &[String]| {
        let mut map = BTreeMap::new();
        if let Some(table) = t.get(key).and_then(|v| v.table()) {
            for (name, v) in table.entries() {
                if check_ref(root.sink, &name, what, known) {
                    map.insert(name.value.to_string(), read_holders(&v, names));
                }
            }
        }
        map
    };
    out.triggers = per("triggers", "trigger", triggers);
    out.escalate = per("escalate", "path", &names.paths);
    t.finish("key");
    out
}

/// `[sponsors]`.
fn read_sponsors(root: &Table<'_, '_>, names: &Names) -> Sponsors {
    let mut out = Sponsors::default();
    let Some(t) = section(root, "sponsors") else {
        return out;
    };
    out.default = t
        .get("default")
        .and_then(|v| v.str())
        .and_then(|s| read_party(root.sink, &s, names, false));
    if let Some(table) = t.get("by_severity").and_then(|v| v.table()) {
        for (sev, v) in table.entries() {
            if !check_ref(root.sink, &sev, "severity", &names.severities) {
                continue;
            }
            if let Some(p) = v
                .str()
                .and_then(|s| read_party(root.sink, &s, names, false))
            {
                out.by_severity.insert(sev.value.to_string(), p);
            }
        }
    }
    t.finish("key");
    out
}
