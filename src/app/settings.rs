//! Resolve flags, environment and discovery into one [`Settings`] before any command runs,
//! so the rest of the program never re-reads flags or the environment.

use crate::cli::{ColorChoice, GlobalArgs};
use anyhow::{Context, Result, anyhow};
use chrono::{DateTime, Utc};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Everything a command needs to know about how it was invoked.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The policy path, whether or not the file exists.
    pub policy: PathBuf,
    /// Every `--policy` given, in order (more than one only for `esc simulate`).
    pub policies: Vec<PathBuf>,
    /// The ledger path, whether or not the file exists.
    pub ledger: PathBuf,
    /// The time every command takes as now.
    pub now: DateTime<Utc>,
    /// Who is acting.
    pub actor: String,
    pub json: bool,
    pub quiet: bool,
    pub color: bool,
    /// Whether stdout is a terminal (progress bars, colour).
    pub stdout_tty: bool,
}

impl Settings {
    /// Resolve the global flags; `cwd` is where discovery starts.
    pub fn resolve(args: &GlobalArgs, cwd: &Path) -> Result<Settings> {
        let now = match &args.now {
            Some(text) => parse_now(text)?,
            None => Utc::now(),
        };
        let discovered = discover_policy(cwd);
        let policy = match (args.policy.first(), &discovered) {
            (Some(p), _) => p.clone(),
            (None, Some(p)) => p.clone(),
            (None, None) => dirs::config_dir()
                .map(|d| d.join("esc").join("policy.toml"))
                .unwrap_or_else(|| PathBuf::from(".esc/policy.toml")),
        };
        let ledger = match (&args.ledger, &discovered) {
            (Some(l), _) => l.clone(),
            (None, Some(p)) => p.with_file_name("ledger.jsonl"),
            (None, None) => dirs::data_dir()
                .map(|d| d.join("esc").join("ledger.jsonl"))
                .unwrap_or_else(|| PathBuf::from(".esc/ledger.jsonl")),
        };
        let actor = match &args.actor {
            Some(a) if !a.trim().is_empty() => a.trim().to_string(),
            Some(_) => {
                return Err(anyhow!(
                    "--actor is empty: give a name, or leave it out to use the login name"
                ));
            }
            None => whoami::username().unwrap_or_else(|_| "unknown".to_string()),
        };
        let stdout_tty = std::io::stdout().is_terminal();
        let color = match args.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                stdout_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        };
        Ok(Settings {
            policies: if args.policy.is_empty() {
                vec![policy.clone()]
            } else {
                args.policy.clone()
            },
            policy,
            ledger,
            now,
            actor,
            json: args.json,
            quiet: args.quiet,
            color,
            stdout_tty,
        })
    }
}

/// Parse `--now` / `ESC_NOW`: RFC 3339 with an offset (`2026-11-23T09:00:00Z`).
pub fn parse_now(text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .with_context(|| {
            format!(
                "--now / ESC_NOW `{text}` is not an RFC 3339 time: write e.g. 2026-11-23T09:00:00Z"
            )
        })
}

/// `.esc/policy.toml` in `start` or the nearest parent that has one.
pub fn discover_policy(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join(".esc").join("policy.toml"))
        .find(|p| p.is_file())
}
