//! The imperative shell: resolve settings, load what a command needs, call the pure core,
//! append events, print. One module per command group.

pub mod init;
pub mod output;
pub mod policy_cmd;
pub mod settings;

use crate::cli::{Cli, Command, PolicyCommand};
use anyhow::{Result, bail};
use output::Output;
use settings::Settings;
use std::path::PathBuf;
use std::process::ExitCode;

/// Run a parsed command line; errors are reported by `main`.
pub fn run(cli: Cli) -> Result<ExitCode> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let settings = Settings::resolve(&cli.global, &cwd)?;
    let mut out = Output::new(settings.quiet);
    match cli.command {
        Command::Policy(PolicyCommand::Check { files, format }) => {
            let files: Vec<PathBuf> = if files.is_empty() {
                vec![settings.policy.clone()]
            } else {
                files
            };
            let refs: Vec<&std::path::Path> = files.iter().map(PathBuf::as_path).collect();
            let format = if settings.json {
                crate::cli::CheckFormat::Json
            } else {
                format
            };
            policy_cmd::check(&refs, format, &mut out)
        }
        Command::Policy(PolicyCommand::Explain { file }) => {
            let path = file.unwrap_or_else(|| settings.policy.clone());
            let policy = policy_cmd::load(&path)?;
            let today = settings
                .now
                .with_timezone(&policy.defaults.timezone)
                .date_naive();
            if settings.json {
                bail!("`esc policy explain` prints tables for people; use `esc policy schema` or read the TOML for machine use");
            }
            out.raw(&crate::policy::explain::explain(&policy, today))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Policy(PolicyCommand::Schema) => {
            out.json(&crate::policy::schema::schema())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Init { dir } => {
            init::init(&dir.unwrap_or(cwd), &mut out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd, "esc", &mut buf);
            out.raw(&String::from_utf8_lossy(&buf))?;
            Ok(ExitCode::SUCCESS)
        }
        _ => bail!("this command is not available yet"),
    }
}
