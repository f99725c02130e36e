//! Discovery: where the policy (and the ledger beside it) is when no flag or variable names
//! it — `.esc/policy.toml` in the working directory or the nearest parent that has one,
//! else the config directory's `esc/policy.toml`.

use std::path::{Path, PathBuf};

/// `.esc/policy.toml` in `start` or the nearest parent that has one.
pub fn discover_policy(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join(".esc").join("policy.toml"))
        .find(|p| p.is_file())
}

/// The fallback policy path in the user's config directory.
pub fn config_policy() -> PathBuf {
    dirs::config_dir()
        .map(|d| d.join("esc").join("policy.toml"))
        .unwrap_or_else(|| PathBuf::from(".esc/policy.toml"))
}

/// Every place discovery looks for a policy from `start`, in order (for error messages).
pub fn searched(start: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = start
        .ancestors()
        .map(|dir| dir.join(".esc").join("policy.toml"))
        .collect();
    out.push(config_policy());
    out
}
