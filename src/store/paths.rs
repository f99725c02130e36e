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

/// Why a discovered file is not used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "refusing to use the discovered {what} {path}: {why}; another user could make esc act (and run the policy's notify command) as you. If you trust it, add its directory {dir} to ESC_SAFE_DIRECTORIES (paths separated by `:`, or `*` for any) or as a line of {config}, or name the file with {flag}"
)]
pub struct Unsafe {
    pub what: &'static str,
    /// The flag and variable that name such a file explicitly.
    pub flag: &'static str,
    pub path: String,
    pub why: String,
    pub dir: String,
    pub config: String,
}

/// The file listing trusted directories, one per line (like git's `safe.directory`).
pub fn safe_directories_file() -> PathBuf {
    dirs::config_dir()
        .map(|d| d.join("esc").join("safe-directories"))
        .unwrap_or_else(|| PathBuf::from(".esc/safe-directories"))
}

/// The trusted directories: `ESC_SAFE_DIRECTORIES` (split at `:`) and the lines of
/// [`safe_directories_file`]. `*` trusts every directory.
pub fn safe_directories(env: Option<&std::ffi::OsStr>) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = env
        .map(|v| std::env::split_paths(v).collect())
        .unwrap_or_default();
    if let Ok(text) = std::fs::read_to_string(safe_directories_file()) {
        out.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(PathBuf::from),
        );
    }
    out
}

/// Check a discovered file and the directory holding it: both must belong to the user
/// running esc (or to root) and not be writable by group or others — unless the directory
/// is listed in `trusted`. A file that does not exist yet is judged by its directory.
#[cfg(unix)]
pub fn check_discovered(
    what: &'static str,
    path: &Path,
    trusted: &[PathBuf],
) -> Result<(), Box<Unsafe>> {
    use std::os::unix::fs::MetadataExt;
    let dir = path.parent().unwrap_or(Path::new("."));
    let same = |a: &Path, b: &Path| {
        a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
    };
    if trusted
        .iter()
        .any(|t| t.as_os_str() == "*" || same(t, dir) || dir.parent().is_some_and(|p| same(t, p)))
    {
        return Ok(());
    }
    let me = rustix::process::geteuid().as_raw();
    for p in [dir, path] {
        let Ok(meta) = std::fs::symlink_metadata(p) else {
            continue;
        };
        let why = if meta.uid() != me && meta.uid() != 0 {
            Some(format!(
                "{} is owned by uid {}, not by you (uid {me})",
                p.display(),
                meta.uid()
            ))
        } else if meta.mode() & 0o022 != 0 {
            Some(format!(
                "{} can be written by {} (mode {:o})",
                p.display(),
                if meta.mode() & 0o002 != 0 {
                    "anyone"
                } else {
                    "its group"
                },
                meta.mode() & 0o7777
            ))
        } else {
            None
        };
        if let Some(why) = why {
            return Err(Box::new(Unsafe {
                what,
                flag: if what == "ledger" {
                    "--ledger / ESC_LEDGER"
                } else {
                    "--policy / ESC_POLICY"
                },
                path: path.display().to_string(),
                why,
                dir: dir
                    .parent()
                    .map_or(dir.display().to_string(), |p| p.display().to_string()),
                config: safe_directories_file().display().to_string(),
            }));
        }
    }
    Ok(())
}

/// On systems without Unix ownership, discovery trusts what it finds.
#[cfg(not(unix))]
pub fn check_discovered(_: &'static str, _: &Path, _: &[PathBuf]) -> Result<(), Box<Unsafe>> {
    Ok(())
}
