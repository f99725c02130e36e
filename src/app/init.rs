//! `esc init [DIR]`: a commented starter policy and an empty ledger; never overwrites.
//! With `--ledger postgres://…` (or `ESC_LEDGER`), the ledger is that database's schema.

use super::output::Output;
use crate::store::Location;
use crate::store::ledger::Ledger;
use anyhow::{Context, Result, bail};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// The starter policy written by `esc init`.
pub const STARTER: &str = include_str!("../policy/starter.toml");

/// Create `DIR/.esc/policy.toml` and `DIR/.esc/ledger.jsonl`, or, when `ledger` is a
/// database, the policy and the database's schema.
pub fn init(dir: &Path, ledger_at: &Location, out: &mut Output) -> Result<()> {
    let esc_dir = dir.join(".esc");
    let policy = esc_dir.join("policy.toml");
    let ledger = esc_dir.join("ledger.jsonl");
    let database = match ledger_at {
        Location::Postgres(_) => Some(crate::store::open(ledger_at)?),
        Location::File(_) => None,
    };
    let files = if database.is_some() {
        vec![&policy]
    } else {
        vec![&policy, &ledger]
    };
    for existing in files {
        if existing.exists() {
            bail!(
                "{} already exists: esc init never overwrites; edit it, or choose another directory",
                existing.display()
            );
        }
    }
    if let Some(store) = &database
        && store.verify()?.exists
    {
        bail!(
            "the ledger database {} already holds esc's tables: esc init never overwrites; \
             copy the team's policy into {} instead",
            store.location(),
            policy.display()
        );
    }
    std::fs::create_dir_all(&esc_dir)
        .with_context(|| format!("cannot create {}", esc_dir.display()))?;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(&policy)
        .with_context(|| format!("cannot create {}", policy.display()))?;
    f.write_all(STARTER.as_bytes())
        .and_then(|()| f.sync_all())
        .with_context(|| format!("cannot write {}", policy.display()))?;
    let created = match &database {
        Some(store) => {
            store.create()?;
            format!("the esc tables in {}", store.location())
        }
        None => {
            Ledger::create(&ledger)
                .with_context(|| format!("cannot create {}", ledger.display()))?;
            ledger.display().to_string()
        }
    };
    out.say(&format!(
        "created {}\ncreated {created}\nnext: edit the policy, then `esc policy check` and `esc open \"…\"`",
        policy.display(),
    ))?;
    Ok(())
}
