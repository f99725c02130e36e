//! `esc oncall`: who is on duty for each role and why (rotation, fixed, or an override), now
//! or at any time; `esc oncall override` records a swap or vacation in the ledger under the
//! reserved case id `ONCALL`.

use super::output::Output;
use super::policy_cmd;
use super::settings::Settings;
use super::simulate_cmd::parse_time;
use crate::case::NewEvent;
use crate::case::event::ONCALL;
use crate::cli::{OncallArgs, OncallCommand};
use crate::render::{local_time, table};
use anyhow::{Context, Result, anyhow};

/// `esc oncall [--at TIME] [--role R]` and `esc oncall override …`.
pub fn oncall(settings: &Settings, args: OncallArgs, out: &mut Output) -> Result<()> {
    let (policy, ledger) = policy_cmd::load_effective(settings)?;
    let tz = policy.defaults.timezone;
    if let Some(OncallCommand::Override {
        role,
        person,
        from,
        to,
    }) = args.command
    {
        let from = parse_time(&from, settings.now, tz).context("--from")?;
        let to = parse_time(&to, settings.now, tz).context("--to")?;
        let event = crate::oncall::record_override(&policy, &role, &person, from, to)?;
        crate::case::authority::known_actor(&policy, &settings.actor)?;
        let mut guard = ledger.lock()?;
        let settings = &settings.for_write()?;
        guard.append(vec![NewEvent {
            at: settings.now,
            actor: settings.actor.clone(),
            case: ONCALL.to_string(),
            event,
            policy: Some(policy.hash.clone()),
        }])?;
        drop(guard);
        if settings.json {
            return out.json(&serde_json::json!({"role": role, "person": person,
                "from": from, "to": to}));
        }
        return out.say(&format!(
            "{person} is on duty for {role} from {} to {}",
            local_time(from, tz),
            local_time(to, tz)
        ));
    }
    let at = match &args.at {
        Some(t) => parse_time(t, settings.now, tz).context("--at")?,
        None => settings.now,
    };
    let roles: Vec<&String> = match &args.role {
        Some(r) if policy.roles.contains_key(r) => vec![r],
        Some(r) => {
            return Err(anyhow!(
                "unknown role `{r}`: the policy's roles are {}",
                policy.roles.keys().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        None => policy.roles.keys().collect(),
    };
    let duties: Vec<crate::policy::Duty> =
        roles.iter().filter_map(|r| policy.on_duty(r, at)).collect();
    if settings.json {
        return out.json(&serde_json::json!({"at": at, "on_duty": duties}));
    }
    let mut t = table(["role", "on duty", "why"]);
    for d in &duties {
        let why = match &d.by_override {
            Some(o) => format!(
                "override {} – {} (recorded by {})",
                local_time(o.from, tz),
                local_time(o.to, tz),
                o.by
            ),
            None if d.reason == "fixed" => "no rotation: the first member".to_string(),
            None => {
                let r = &policy.roles[&d.role];
                format!("{} rotation", r.rotation.as_str())
            }
        };
        t.add_row(vec![d.role.clone(), d.person.clone(), why]);
    }
    out.line(&format!("on duty at {}", local_time(at, tz)))?;
    out.raw(&format!("{t}\n"))
}
