//! The `esc` binary: parse arguments, run, map errors to exit codes (1 for errors and
//! refusals, 2 for usage errors — clap's own).

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = esc::cli::Cli::parse();
    match esc::app::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
