//! Write a realistic ledger of any size, for benchmarks and demos.
//!
//! ```text
//! cargo run --release --example gen_ledger -- --policy tests/fixtures/spec-excerpt.toml \
//!     --cases 100000 --out /tmp/ledger.jsonl [--seed 1] [--start 2026-01-05T08:00:00Z] [--open-share 0.3]
//! ```
//!
//! The ledger is written directly (header, then one record per line, `seq` from 1), not by
//! running `esc`; every event is one the state machine accepts. The same seed gives the same
//! file. The generator itself lives in `bench/generator.rs`, shared with the benchmark harness.

#[path = "../bench/generator.rs"]
mod generator;

use chrono::{DateTime, Utc};
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Generate a realistic esc ledger.
#[derive(Debug, Parser)]
struct Args {
    /// The policy the cases follow (severities, types, tiers, people, accounts)
    #[arg(long)]
    policy: PathBuf,
    /// Number of cases (ESC-1 … ESC-N); about ten events each
    #[arg(long)]
    cases: u64,
    /// Where to write the ledger (replaced if it exists; mode 0600)
    #[arg(long)]
    out: PathBuf,
    /// Seed of the random choices: the same seed gives the same file
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The first day cases are opened on
    #[arg(long, default_value = "2026-01-05T08:00:00Z")]
    start: DateTime<Utc>,
    /// Share of cases left unresolved (open, acknowledged or paused)
    #[arg(long, default_value_t = 0.3)]
    open_share: f64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if !(0.0..=1.0).contains(&args.open_share) {
        eprintln!("error: --open-share must be between 0 and 1");
        return ExitCode::from(2);
    }
    let policy = match generator::load_policy(&args.policy) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let started = Instant::now();
    let opts = generator::Options {
        cases: args.cases,
        seed: args.seed,
        start: args.start,
        open_share: args.open_share,
    };
    let ledger = generator::generate(&policy, &opts);
    let bytes = match generator::write(&args.out, &ledger.records) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", args.out.display());
            return ExitCode::from(1);
        }
    };
    println!(
        "{}: {} cases, {} events ({} unresolved, {} never acknowledged), {:.1} MB, last event {}; {:.2}s",
        args.out.display(),
        args.cases,
        ledger.records.len(),
        ledger.unresolved,
        ledger.unacknowledged.len(),
        bytes as f64 / 1e6,
        ledger.last_at().map_or("-".to_string(), |t| t
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        started.elapsed().as_secs_f64()
    );
    if ledger.refused > 0 {
        eprintln!(
            "note: the state machine refused {} planned moves (left out); the policy may not fit the simulation",
            ledger.refused
        );
    }
    ExitCode::SUCCESS
}
