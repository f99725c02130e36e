//! `esc policy explain`: the policy read back as tables and plain words. Pure: the date
//! for "on duty today" is an argument.

use super::calendar_spec::WEEKDAYS;
use super::duration::format as dur;
use super::model::*;
use crate::render::{Grid, table};
use chrono::NaiveDate;

/// Every table, with headings, as one text.
pub fn explain(p: &Policy, today: NaiveDate) -> String {
    let mut out = String::new();
    let mut section = |title: &str, body: String| {
        out.push_str(&format!("{title}\n{body}\n\n"));
    };
    section(&format!("Policy: {}", p.name), defaults(p));
    section(
        "Escalation matrix (time budget per tier and severity)",
        matrix(p).to_string(),
    );
    section("SLA targets", sla(p).to_string());
    section("Calendars", calendars(p).to_string());
    section(
        "RACI (R responsible, A accountable, C consulted, I informed)",
        raci(p).to_string(),
    );
    section(
        &format!("Roles (on duty {today})"),
        roles(p, today).to_string(),
    );
    section(
        "Authority (tier: the case's tier and every tier above it; accountable: the step's A)",
        authority(p),
    );
    if !p.accounts.is_empty() {
        section("Accounts and executive sponsors", accounts(p).to_string());
    }
    if !p.major.roles.is_empty() {
        section("Major-incident roles and cards", cards(p).to_string());
    }
    section("Triggers", triggers(p));
    if !p.intake.is_empty() {
        section(
            "Intake rules (alerts from monitoring; the first that matches wins)",
            super::intake::explain_table(&p.intake).to_string(),
        );
    }
    out.trim_end().to_string() + "\n"
}

fn defaults(p: &Policy) -> String {
    format!(
        "types: {}\ndefaults: severity {}, type {}, path {}, times shown in {}",
        p.types.join(", "),
        p.defaults.severity,
        p.defaults.case_type,
        p.defaults.path,
        p.defaults.timezone.name()
    )
}

fn matrix(p: &Policy) -> Grid {
    let mut header = vec![
        "path".into(),
        "tier".into(),
        "name".into(),
        "owning role".into(),
    ];
    header.extend(p.severities.iter().map(|s| s.id.clone()));
    header.push("authority".into());
    let mut t = table(header);
    for path in &p.paths {
        for id in &path.tiers {
            let Some(tier) = p.tier(id) else { continue };
            let mut row = vec![
                path.name.clone(),
                tier.id.clone(),
                match &tier.calendar {
                    Some(c) => format!("{} (budget on {c})", tier.name),
                    None => tier.name.clone(),
                },
                tier.role.clone(),
            ];
            row.extend(p.severities.iter().map(|s| {
                tier.escalate_after
                    .get(&s.id)
                    .map_or_else(|| "-".into(), |d| dur(*d))
            }));
            row.push(tier.authority.join("; "));
            t.add_row(row);
        }
    }
    t
}

fn authority(p: &Policy) -> String {
    let mut t = table(["decision", "who may", "set by"]);
    for row in crate::case::authority::explain_rows(p) {
        t.add_row(row.to_vec());
    }
    let actors = match p.defaults.unknown_actors {
        UnknownActors::Refuse => "--actor must be a person of the policy",
        UnknownActors::Allow => {
            "--actor may be any name (unknown_actors = \"allow\"); a name the policy does not list holds only `anyone`"
        }
    };
    let mut out = format!("{t}\n{actors}");
    if p.sponsors.default.is_some() || !p.sponsors.by_severity.is_empty() {
        let mut s: Vec<String> = p
            .sponsors
            .by_severity
            .iter()
            .map(|(sev, party)| format!("{sev}: {}", party.as_str()))
            .collect();
        if let Some(d) = &p.sponsors.default {
            s.push(format!("otherwise: {}", d.as_str()));
        }
        out.push_str(&format!(
            "\nsponsors of cases whose account names none: {}",
            s.join(", ")
        ));
    }
    out
}

fn sla(p: &Policy) -> Grid {
    let mut t = table([
        "severity",
        "label",
        "calendar",
        "response",
        "resolution",
        "update every",
        "warn at",
        "skip tiers",
        "review",
    ]);
    for s in &p.severities {
        t.add_row(vec![
            s.id.clone(),
            s.label.clone(),
            s.calendar.clone(),
            dur(s.response),
            dur(s.resolution),
            s.update_every.map_or_else(|| "-".into(), dur),
            format!("{:.0}%", s.warn_at * 100.0),
            if s.skip_tiers { "yes" } else { "no" }.into(),
            match s.review {
                ReviewRequirement::Required => "required",
                ReviewRequirement::Optional => "optional",
            }
            .into(),
        ]);
    }
    t
}

/// "mon-fri 09:00-17:30; sat 10:00-14:00" or "24x7".
pub fn describe_hours(h: &Hours) -> String {
    match h {
        Hours::Always => "24x7".into(),
        Hours::Weekly(days) => {
            let text = |ranges: &Vec<TimeRange>| {
                ranges
                    .iter()
                    .map(|r| format!("{}-{}", clock(r.start), clock(r.end)))
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let mut parts: Vec<String> = Vec::new();
            let mut i = 0;
            while i < 7 {
                if days[i].is_empty() {
                    i += 1;
                    continue;
                }
                let mut j = i;
                while j + 1 < 7 && days[j + 1] == days[i] {
                    j += 1;
                }
                let span = if i == j {
                    WEEKDAYS[i].to_string()
                } else {
                    format!("{}-{}", WEEKDAYS[i], WEEKDAYS[j])
                };
                parts.push(format!("{span} {}", text(&days[i])));
                i = j + 1;
            }
            if parts.is_empty() {
                "never open".into()
            } else {
                parts.join("; ")
            }
        }
    }
}

fn clock(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn calendars(p: &Policy) -> Grid {
    let mut t = table(["calendar", "time zone", "hours", "holidays"]);
    for c in p.calendars.values() {
        t.add_row(vec![
            c.name.clone(),
            c.timezone.name().to_string(),
            describe_hours(&c.hours),
            c.holidays
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        ]);
    }
    t
}

/// A party resolved to people where the policy alone can say: `agent (ana, ben)`.
pub fn describe_party(p: &Policy, party: &Party) -> String {
    match party {
        Party::Role(r) => match p.roles.get(r) {
            Some(role) => format!("{r} ({})", role.members.join(", ")),
            None => r.clone(),
        },
        other => other.as_str().to_string(),
    }
}

fn parties(p: &Policy, list: &[Party]) -> String {
    list.iter()
        .map(|x| describe_party(p, x))
        .collect::<Vec<_>>()
        .join("\n")
}

fn raci(p: &Policy) -> Grid {
    let mut t = table(["type", "step", "R", "A", "C", "I"]);
    for ty in &p.types {
        for step in Step::ALL {
            let Some(r) = p.raci_for(ty, step) else {
                continue;
            };
            t.add_row(vec![
                ty.clone(),
                step.as_str().to_string(),
                parties(p, &r.responsible),
                describe_party(p, &r.accountable),
                parties(p, &r.consulted),
                parties(p, &r.informed),
            ]);
        }
    }
    t
}

fn roles(p: &Policy, today: NaiveDate) -> Grid {
    let mut t = table(["role", "members", "rotation", "on duty"]);
    for r in p.roles.values() {
        let mut members = r.members.join(", ");
        for c in &r.roster {
            members.push_str(&format!("\nfrom {}: {}", c.effective, c.members.join(", ")));
        }
        let rotation = match r.start {
            Some(d) => format!("{} from {d}", r.rotation.as_str()),
            None => r.rotation.as_str().to_string(),
        };
        t.add_row(vec![
            r.name.clone(),
            members,
            rotation,
            r.on_duty(today).to_string(),
        ]);
    }
    t
}

fn accounts(p: &Policy) -> Grid {
    let mut t = table(["account", "name", "key account", "sponsor", "calendar"]);
    for a in p.accounts.values() {
        t.add_row(vec![
            a.id.clone(),
            a.name.clone(),
            if a.key { "yes" } else { "no" }.into(),
            a.sponsor
                .as_ref()
                .map_or_else(|| "-".into(), |s| describe_party(p, s)),
            a.calendar.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    t
}

fn cards(p: &Policy) -> Grid {
    let mut t = table(["incident role", "duties"]);
    for role in &p.major.roles {
        let duties = p
            .major
            .cards
            .get(role)
            .map_or_else(|| "(no card)".into(), |c| c.duties.join("\n"));
        t.add_row(vec![role.clone(), duties]);
    }
    t
}

fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// One trigger in plain words, e.g. "when a sev1 case is unacknowledged for 10m: escalate
/// on the management path and notify lead (once per case)".
pub fn describe_trigger(t: &Trigger) -> String {
    let w = &t.when;
    let mut subject = String::from("a ");
    if w.account_key == Some(true) {
        subject.push_str("key-account ");
    }
    if !w.severity.is_empty() {
        subject.push_str(&or_list(&w.severity));
        subject.push(' ');
    }
    if !w.case_type.is_empty() {
        subject.push_str(&or_list(&w.case_type));
        subject.push(' ');
    }
    subject.push_str("case");
    let mut conds: Vec<String> = Vec::new();
    if w.account_key == Some(false) {
        conds.push("is not for a key account".into());
    }
    if !w.account.is_empty() {
        conds.push(format!("is for account {}", or_list(&w.account)));
    }
    if !w.tier.is_empty() {
        conds.push(format!("is in tier {}", or_list(&w.tier)));
    }
    if !w.status.is_empty() {
        let s: Vec<String> = w.status.iter().map(|s| s.as_str().to_string()).collect();
        conds.push(format!("is {}", or_list(&s)));
    }
    if !w.labels.is_empty() {
        conds.push(format!("is labelled {}", w.labels.join(" and ")));
    }
    if let Some(d) = w.age {
        conds.push(format!("has been open for {}", dur(d)));
    }
    if let Some(d) = w.in_tier_for {
        conds.push(format!("has been in its tier for {}", dur(d)));
    }
    if let Some(d) = w.unacknowledged_for {
        conds.push(format!("is unacknowledged for {}", dur(d)));
    }
    if let Some(d) = w.since_update {
        conds.push(format!("has had no update for {}", dur(d)));
    }
    if let Some(n) = w.reopened {
        conds.push(format!("was reopened at least {n} time{}", plural(n)));
    }
    if let Some(n) = w.escalations {
        conds.push(format!("was escalated at least {n} time{}", plural(n)));
    }
    if let Some(n) = w.open_cases_for_account {
        conds.push(format!(
            "belongs to an account with at least {n} open case{}",
            plural(n)
        ));
    }
    match w.sla {
        Some(SlaCondition::Warning) => conds.push("has an SLA clock in warning".into()),
        Some(SlaCondition::Breached) => conds.push("has breached an SLA clock".into()),
        None => {}
    }
    let when = if conds.is_empty() {
        format!("when {subject} is open")
    } else {
        format!("when {subject} {}", join_and(&conds))
    };
    let a = &t.then;
    let mut acts: Vec<String> = Vec::new();
    if let Some(path) = &a.escalate {
        acts.push(format!("escalate on the {path} path"));
    }
    if let Some(tier) = &a.to {
        acts.push(format!("move to tier {tier}"));
    }
    if let Some(members) = &a.swarm {
        if members.is_empty() {
            acts.push("start a swarm".into());
        } else {
            let m: Vec<String> = members.iter().map(|p| p.to_string()).collect();
            acts.push(format!("start a swarm with {}", m.join(", ")));
        }
    }
    if a.major {
        acts.push("declare a major incident".into());
    }
    if a.sponsor {
        acts.push("engage the account's executive sponsor".into());
    }
    if !a.label.is_empty() {
        acts.push(format!("label it {}", a.label.join(", ")));
    }
    if !a.notify.is_empty() {
        let n: Vec<String> = a.notify.iter().map(|p| p.to_string()).collect();
        acts.push(format!("notify {}", n.join(", ")));
    }
    let then = if a.confirm {
        format!(
            "propose to {} (a person approves or rejects)",
            join_and(&acts)
        )
    } else {
        join_and(&acts)
    };
    let each = match t.scope {
        TriggerScope::Case => "case",
        TriggerScope::Account => "account",
    };
    let repeat = match t.repeat {
        Some(d) => format!("at most every {} per {each}", dur(d)),
        None => format!("once per {each}"),
    };
    format!("{when}: {then} ({repeat})")
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn triggers(p: &Policy) -> String {
    if p.triggers.is_empty() {
        return "(none)".into();
    }
    p.triggers
        .iter()
        .map(|t| format!("- {}: {}", t.name, describe_trigger(t)))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_the_spec_trigger_in_plain_words() {
        let text = include_str!("../../tests/fixtures/spec-excerpt.toml");
        let p = crate::policy::parse(text).expect("valid");
        assert_eq!(
            describe_trigger(&p.triggers[0]),
            "when a sev1 case is unacknowledged for 10m: escalate on the management path and notify lead (once per case)"
        );
        assert_eq!(
            describe_trigger(&p.triggers[1]),
            "when a key-account case belongs to an account with at least 3 open cases: propose to engage the account's executive sponsor (a person approves or rejects) (once per case)"
        );
    }

    #[test]
    fn describes_hours_compactly() {
        let text = include_str!("../../tests/fixtures/spec-excerpt.toml");
        let p = crate::policy::parse(text).expect("valid");
        assert_eq!(
            describe_hours(&p.calendars["office"].hours),
            "mon-fri 09:00-17:30"
        );
        assert_eq!(describe_hours(&p.calendars["always"].hours), "24x7");
    }
}
