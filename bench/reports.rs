//! Benchmark of the reports: every `esc report` over a generated ledger, beside the time it
//! takes only to read and parse the same file. The target is at most 3× parse-only.
//!
//! ```text
//! nice cargo run --release --example bench_reports                 # 100k cases, 5 runs
//! nice cargo run --release --example bench_reports -- --cases 10000 --runs 3
//! ```
//!
//! It runs `cargo build --release --bin esc` first (skip with `--no-build`), generates a
//! ledger with the generator shared with `examples/gen_ledger.rs` (`bench/generator.rs`),
//! runs `esc sweep` over it once (so the ledger also holds the warnings, breaches,
//! automatic escalations and trigger events a real one has), then times, as fresh processes
//! of the release binary with output to a null device:
//!
//! - `parse only (in-process)`: reading the file and deserializing every line into
//!   `esc::case::Record` — the floor for anything that reads every event;
//! - `esc report KIND --format json` for every kind, and `--format table` for `sla`.
//!
//! Each cell is the median of `--runs` runs after one warm-up run; the page cache is warm.

#[path = "common.rs"]
mod common;
#[path = "generator.rs"]
mod generator;

use chrono::{Duration, SecondsFormat};
use clap::Parser;
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

/// Time every esc report against parse-only on one generated ledger.
#[derive(Debug, Parser)]
struct Args {
    /// Ledger size in cases (about ten events each)
    #[arg(long, default_value_t = 100_000)]
    cases: u64,
    /// Timed runs per row (after one warm-up run)
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// The policy the ledger follows and the reports run under
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/spec-excerpt.toml"))]
    policy: PathBuf,
    /// The esc binary to time [default: target/release/esc]
    #[arg(long)]
    esc: Option<PathBuf>,
    /// Do not run `cargo build --release --bin esc` first
    #[arg(long)]
    no_build: bool,
    /// Do not run `esc sweep` over the generated ledger first
    #[arg(long)]
    no_sweep: bool,
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

const REPORTS: [(&str, &[&str]); 7] = [
    (
        "report sla --format json",
        &["report", "sla", "--format", "json"],
    ),
    ("report sla (table)", &["report", "sla"]),
    (
        "report trends --format json",
        &["report", "trends", "--format", "json"],
    ),
    (
        "report reviews --format json",
        &["report", "reviews", "--format", "json"],
    ),
    (
        "report triggers --format json",
        &["report", "triggers", "--format", "json"],
    ),
    (
        "report escalations --format json",
        &["report", "escalations", "--format", "json"],
    ),
    ("report breaches --json", &["--json", "report", "breaches"]),
];

fn main() -> ExitCode {
    match run(&Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

use common::{median, parse_only};

fn run(args: &Args) -> Result<(), String> {
    let esc = common::release_binary(args.esc.as_deref(), args.no_build)?;
    let policy_path = args
        .policy
        .canonicalize()
        .map_err(|e| format!("{}: {e}", args.policy.display()))?;
    let policy = generator::load_policy(&policy_path)?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let ledger_path = dir.path().join("ledger.jsonl");
    eprintln!("generating {} cases", args.cases);
    let ledger = generator::generate(
        &policy,
        &generator::Options {
            cases: args.cases,
            seed: args.seed,
            start: "2026-01-05T08:00:00Z".parse().map_err(|e| format!("{e}"))?,
            open_share: 0.3,
        },
    );
    generator::write(&ledger_path, &ledger.records).map_err(|e| e.to_string())?;
    let now = ledger
        .last_at()
        .map_or_else(chrono::Utc::now, |t| t + Duration::hours(1))
        .to_rfc3339_opts(SecondsFormat::Secs, true);
    drop(ledger);
    let esc_cmd = |extra: &[&str]| {
        let mut c = Command::new(&esc);
        c.args(["--policy", policy_path.to_str().unwrap_or_default()])
            .args(["--ledger", ledger_path.to_str().unwrap_or_default()])
            .args(["--now", &now, "--actor", "bench"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        c
    };
    if !args.no_sweep {
        eprintln!("esc sweep over the ledger (once)");
        let t = Instant::now();
        let out = esc_cmd(&["sweep"]).output().map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!(
                "esc sweep failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        eprintln!("  {:.1}s", t.elapsed().as_secs_f64());
    }
    let bytes = std::fs::metadata(&ledger_path)
        .map_err(|e| e.to_string())?
        .len();
    let events = parse_only(&ledger_path)?;
    let runs = args.runs.max(1);
    let mut times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        parse_only(&ledger_path)?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let (parse, pmin, pmax) = median(times);
    let mut rows = vec![("parse only (in-process)".to_string(), parse, pmin, pmax)];
    for (label, argv) in REPORTS {
        eprintln!("{label}");
        let mut times = Vec::new();
        for i in 0..=runs {
            let t = Instant::now();
            let out = esc_cmd(argv).output().map_err(|e| e.to_string())?;
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            if !out.status.success() && !label.contains("breaches") {
                return Err(format!(
                    "esc {label} failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
            if i > 0 {
                times.push(ms);
            }
        }
        let (m, lo, hi) = median(times);
        rows.push((format!("esc {label}"), m, lo, hi));
    }
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "{} cases, {events} events, {:.1} MB; now {now}; {cores} cores; median of {runs} runs after a warm-up\n",
        args.cases,
        bytes as f64 / 1e6
    );
    println!("| command | median ms | min | max | × parse only |");
    println!("|---|---:|---:|---:|---:|");
    for (label, m, lo, hi) in rows {
        println!(
            "| {label} | {m:.0} | {lo:.0} | {hi:.0} | {:.2} |",
            m / parse
        );
    }
    Ok(())
}
