//! `esc init [DIR]`: a commented starter policy and an empty ledger; never overwrites.

use super::output::Output;
use crate::store::ledger::Ledger;
use anyhow::{Context, Result, bail};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// The starter policy written by `esc init`.
pub const STARTER: &str = include_str!("../policy/starter.toml");

/// Create `DIR/.esc/policy.toml` and `DIR/.esc/ledger.jsonl`.
pub fn init(dir: &Path, out: &mut Output) -> Result<()> {
    let esc_dir = dir.join(".esc");
    let policy = esc_dir.join("policy.toml");
    let ledger = esc_dir.join("ledger.jsonl");
    for existing in [&policy, &ledger] {
        if existing.exists() {
            bail!(
                "{} already exists: esc init never overwrites; edit it, or choose another directory",
                existing.display()
            );
        }
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
    Ledger::create(&ledger).with_context(|| format!("cannot create {}", ledger.display()))?;
    out.say(&format!(
        "created {}\ncreated {}\nnext: edit the policy, then `esc policy check` and `esc open \"…\"`",
        policy.display(),
        ledger.display()
    ))?;
    Ok(())
}
