//! `esc status ID [--customer]` and `esc brief ID`: a case in words, from templates.

use super::output::Output;
use super::policy_cmd;
use super::settings::Settings;
use crate::case::{Case, comms, id};
use crate::policy::templates;
use anyhow::{Context, Result, anyhow};

fn load(settings: &Settings, input_id: &str) -> Result<(crate::policy::Policy, Case)> {
    let case_id = id::parse(input_id)?;
    let policy = policy_cmd::load(&settings.policy)?;
    let records = settings.store()?.read_case(&case_id)?;
    let case = Case::fold(records)
        .with_context(|| format!("the ledger {} is inconsistent", settings.ledger.display()))?
        .ok_or_else(|| {
            anyhow!("there is no case {case_id}: `esc list` shows the cases there are")
        })?;
    // Text for people: single-line fields stay on one line (JSON keeps them exact).
    let case = if settings.json {
        case
    } else {
        crate::case::view::for_people(&case)
    };
    Ok((policy, case))
}

/// `esc status`.
pub fn status(settings: &Settings, input_id: &str, customer: bool, out: &mut Output) -> Result<()> {
    let (policy, case) = load(settings, input_id)?;
    if customer {
        let ctx = comms::customer_status(&policy, &case, settings.now);
        if settings.json {
            let text = templates::render(&policy.templates, "customer_status", &ctx)?;
            let mut v = ctx;
            v["text"] = serde_json::Value::from(text);
            return out.json(&v);
        }
        let text = templates::render(&policy.templates, "customer_status", &ctx)?;
        return out.raw(&format!("{}\n", text.trim_end()));
    }
    let text = comms::internal_status(&policy, &case, settings.now);
    if settings.json {
        return out.json(
            &serde_json::json!({"id": case.id, "status": case.status.as_str(), "text": text}),
        );
    }
    out.line(&text)
}

/// `esc brief --digest [--since 7d]`.
pub fn digest(settings: &Settings, since: &str, out: &mut Output) -> Result<()> {
    let policy = policy_cmd::load(&settings.policy)?;
    let period = crate::policy::duration::parse(since).map_err(|e| anyhow!("--since: {e}"))?;
    let cases = super::case_cmd::all_cases(settings)?;
    let cases: Vec<Case> = if settings.json {
        cases
    } else {
        cases.iter().map(crate::case::view::for_people).collect()
    };
    let d = crate::case::digest::digest(&policy, &cases, settings.now - period, settings.now);
    if settings.json {
        return out.json(&d);
    }
    out.raw(&crate::case::digest::text(&d))
}

/// `esc brief`.
pub fn brief(settings: &Settings, input_id: &str, out: &mut Output) -> Result<()> {
    let (policy, case) = load(settings, input_id)?;
    let ctx = comms::briefing(&policy, &case, settings.now)?;
    let text = templates::render(&policy.templates, "briefing", &ctx)?;
    if settings.json {
        let mut v = ctx;
        v["text"] = serde_json::Value::from(text);
        return out.json(&v);
    }
    out.raw(&format!("{}\n", text.trim_end()))
}
