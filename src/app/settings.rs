//! Resolve flags, environment and discovery into one [`Settings`] before any command runs,
//! so the rest of the program never re-reads flags or the environment.

use crate::cli::{ColorChoice, GlobalArgs};
use crate::store::{Location, Store};
use anyhow::{Result, anyhow, bail};
use chrono::{DateTime, TimeDelta, Utc};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Everything a command needs to know about how it was invoked.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The policy path, whether or not the file exists.
    pub policy: PathBuf,
    /// Every `--policy` given, in order (more than one only for `esc simulate`).
    pub policies: Vec<PathBuf>,
    /// Where the ledger is: a file (whether or not it exists) or a database URL. Its
    /// `Display` never shows a password.
    pub ledger: Location,
    /// The time every command takes as now: `--now` if given, else the clock when the
    /// command started. A writer takes its own from [`Settings::for_write`] under the lock.
    pub now: DateTime<Utc>,
    /// Whether `now` was fixed by `--now` / `ESC_NOW` (else it is read from the clock).
    pub fixed_now: bool,
    /// `--allow-future`: a fixed `now` may lie further ahead of the clock than
    /// [`MAX_FUTURE_SKEW`].
    pub allow_future: bool,
    /// Who is acting.
    pub actor: String,
    pub json: bool,
    pub quiet: bool,
    pub color: bool,
    /// Whether stdout is a terminal (progress bars, colour).
    pub stdout_tty: bool,
    /// `ESC_THREADS`: at most how many threads a whole-ledger command shares its work among
    /// (see [`crate::par`]); `None`: the machine's cores decide.
    pub threads: Option<std::num::NonZeroUsize>,
}

impl Settings {
    /// Resolve the global flags; `cwd` is where discovery starts.
    pub fn resolve(args: &GlobalArgs, cwd: &Path) -> Result<Settings> {
        let args = &with_env(args);
        // Shown relative to where the user stands when it is below it (`.esc/policy.toml`).
        let discovered = crate::store::paths::discover_policy(cwd)
            .map(|p| p.strip_prefix(cwd).map(Path::to_path_buf).unwrap_or(p));
        let policy = match (args.policy.first(), &discovered) {
            (Some(p), _) => p.clone(),
            (None, Some(p)) => p.clone(),
            (None, None) => crate::store::paths::config_policy(),
        };
        let ledger = match (&args.ledger, &discovered) {
            (Some(l), _) => Location::parse(l),
            (None, Some(p)) => Location::File(p.with_file_name("ledger.jsonl")),
            (None, None) => Location::File(
                dirs::data_dir()
                    .map(|d| d.join("esc").join("ledger.jsonl"))
                    .unwrap_or_else(|| PathBuf::from(".esc/ledger.jsonl")),
            ),
        };
        // A discovered policy or ledger must be the user's own (see store::paths); a path
        // given by flag or variable is the user's explicit choice.
        if discovered.is_some() {
            let trusted = crate::store::paths::safe_directories(
                std::env::var_os("ESC_SAFE_DIRECTORIES").as_deref(),
            );
            if args.policy.is_empty() {
                crate::store::paths::check_discovered("policy", &policy, &trusted)?;
            }
            if args.ledger.is_none()
                && let Some(path) = ledger.as_file()
            {
                crate::store::paths::check_discovered("ledger", path, &trusted)?;
            }
        }
        let now = match &args.now {
            Some(text) => parse_now(text, &policy)?,
            None => Utc::now(),
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
        let columns = std::env::var("COLUMNS").ok();
        crate::render::set_layout(crate::render::Layout {
            width: crate::render::width_from(columns.as_deref(), stdout_tty),
            color,
        });
        Ok(Settings {
            policies: if args.policy.is_empty() {
                vec![policy.clone()]
            } else {
                args.policy.clone()
            },
            policy,
            ledger,
            now,
            fixed_now: args.now.is_some(),
            allow_future: args.allow_future,
            actor,
            json: args.json,
            quiet: args.quiet,
            color,
            stdout_tty,
            threads: positive_env("ESC_THREADS", "threads")?,
        })
    }
}

/// The global flags with `ESC_POLICY`, `ESC_LEDGER`, `ESC_NOW` and `ESC_ACTOR` filled in
/// where the flag was not given (an empty variable counts as unset).
fn with_env(args: &GlobalArgs) -> GlobalArgs {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    let mut a = args.clone();
    if a.policy.is_empty() {
        a.policy.extend(var("ESC_POLICY").map(PathBuf::from));
    }
    a.ledger = a.ledger.or_else(|| var("ESC_LEDGER").map(PathBuf::from));
    a.now = a
        .now
        .or_else(|| var("ESC_NOW").map(|v| v.to_string_lossy().into_owned()));
    a.actor = a
        .actor
        .or_else(|| var("ESC_ACTOR").map(|v| v.to_string_lossy().into_owned()));
    a
}

/// How far ahead of this machine's clock a fixed `--now` may date the events it writes.
pub const MAX_FUTURE_SKEW: TimeDelta = TimeDelta::minutes(5);

impl Settings {
    /// Opens the ledger these settings name: the one way commands reach the store.
    pub fn store(&self) -> Result<Box<dyn Store>> {
        Ok(crate::store::open(&self.ledger)?)
    }

    /// These settings as a writer needs them once it holds the ledger lock. Without
    /// `--now`, `now` is read from the clock here, so a writer that waited for the lock never
    /// dates its events before those written while it waited. A fixed `--now` is kept, but
    /// refused if it lies more than [`MAX_FUTURE_SKEW`] ahead of the clock (unless
    /// `--allow-future`): events dated in the future would make every later command on the
    /// real clock refuse those cases.
    pub fn for_write(&self) -> Result<Settings> {
        let clock = Utc::now();
        let mut settings = self.clone();
        if self.fixed_now {
            check_future(self.now, clock, self.allow_future)?;
        } else {
            settings.now = clock;
        }
        Ok(settings)
    }
}

/// Refuses to write at `now` when it is more than [`MAX_FUTURE_SKEW`] after `clock`, unless
/// `allow`.
pub fn check_future(now: DateTime<Utc>, clock: DateTime<Utc>, allow: bool) -> Result<()> {
    if allow || now <= clock + MAX_FUTURE_SKEW {
        return Ok(());
    }
    bail!(
        "--now / ESC_NOW {} is {} ahead of this machine's clock ({}); esc does not record events \
         more than {} minutes in the future, because every later command on the real clock \
         would then be refused for those cases. Check --now / ESC_NOW, or pass --allow-future \
         (ESC_ALLOW_FUTURE=1) if you mean it",
        crate::render::rfc3339(now),
        crate::timefmt::duration(now - clock),
        crate::render::rfc3339(chrono::SubsecRound::trunc_subsecs(clock, 0)),
        MAX_FUTURE_SKEW.num_minutes()
    )
}

/// Parse `--now` / `ESC_NOW` with the tool's one time parser
/// ([`crate::timefmt::parse_time`]): local forms are read in the policy's time zone (UTC when
/// there is no readable policy), relative forms count from the real clock.
pub fn parse_now(text: &str, policy: &Path) -> Result<DateTime<Utc>> {
    let tz = policy_zone(policy);
    crate::timefmt::parse_time(text, Utc::now(), tz).map_err(|e| anyhow!("--now / ESC_NOW: {e}"))
}

/// The display time zone a policy file names (`[defaults] timezone`), read without checking
/// the rest of the file; UTC when there is none.
pub fn policy_zone(policy: &Path) -> chrono_tz::Tz {
    std::fs::read_to_string(policy)
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok())
        .and_then(|t| {
            t.get("defaults")?
                .get("timezone")?
                .as_str()?
                .parse::<chrono_tz::Tz>()
                .ok()
        })
        .unwrap_or(chrono_tz::Tz::UTC)
}

/// The environment variable `name` as a number of at least 1 (`what` counted, for the
/// error), or `None` when it is unset.
pub fn positive_env(name: &str, what: &str) -> Result<Option<std::num::NonZeroUsize>> {
    match std::env::var(name) {
        Err(_) => Ok(None),
        Ok(v) => match v.trim().parse() {
            Ok(n) => Ok(Some(n)),
            Err(_) => bail!("{name}={v:?}: give a number of {what} of at least 1, or unset it"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn future_now_is_refused_beyond_the_skew_unless_allowed() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let clock = at("2026-11-23T09:00:00Z");
        let near = clock + MAX_FUTURE_SKEW;
        assert!(check_future(near, clock, false).is_ok());
        assert!(check_future(clock - TimeDelta::days(400), clock, false).is_ok());
        let far = at("2099-01-01T00:00:00Z");
        let err = check_future(far, clock, false).unwrap_err().to_string();
        assert!(err.contains("--allow-future"), "{err}");
        assert!(err.contains("2099-01-01T00:00:00Z"), "{err}");
        assert!(check_future(near + TimeDelta::seconds(1), clock, false).is_err());
        assert!(check_future(far, clock, true).is_ok());
    }
}
