//! The imperative shell: resolve settings, load what a command needs, call the pure core,
//! append events, print. One module per command group.

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
        _ => bail!("this command is not available yet"),
    }
}
