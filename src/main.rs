//! The `esc` binary: parse arguments, run, map errors to exit codes — 1 for errors, refusals
//! and bad values (an unknown `--by`, like an unknown `--status`), 2 for other usage errors
//! (an unknown flag, a missing argument). `COMPLETE=SHELL esc` prints dynamic completions.

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
use std::process::ExitCode;

/// jemalloc: whole-ledger commands make and drop millions of small strings, and glibc's
/// malloc spent a quarter of a catch-up dry run in its free lists (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    clap_complete::CompleteEnv::with_factory(esc::cli::Cli::command).complete();
    let cli = match esc::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => ExitCode::SUCCESS,
                ErrorKind::InvalidValue | ErrorKind::ValueValidation => ExitCode::from(1),
                _ => ExitCode::from(2),
            };
        }
    };
    match esc::app::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
