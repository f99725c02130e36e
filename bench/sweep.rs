//! Benchmark of `esc sweep` over a ledger of open cases, beside the time it takes only to
//! read and parse the same file (target: at most 3×), with the peak memory of each run
//! (target: at most twice the ledger file's size).
//!
//! ```text
//! nice cargo run --release --example bench_sweep                  # 100k open cases, 5 runs
//! nice cargo run --release --example bench_sweep -- --cases 10000 --runs 3
//! ```
//!
//! It runs `cargo build --release --bin esc` first (skip with `--no-build`), generates a
//! ledger in which every case is still open (`open_share` 1.0) with the generator shared
//! with `examples/gen_ledger.rs`, and times fresh processes of the release binary:
//!
//! - `parse only (in-process)`: read the file and deserialize every line into `Record`;
//! - `esc sweep --dry-run`: the whole plan over every case, nothing written;
//! - `esc sweep` (first run): acts on everything that fell due since the cases were opened —
//!   the "machine was off" case, writing hundreds of thousands of events in one append;
//! - `esc sweep` (steady state): a second run at the same `now`, which finds nothing to do —
//!   what cron pays every few minutes.
//!
//! Peak memory is the maximum resident set size reported by `/usr/bin/time -f %M` (GNU time).
//! The policy's `[notify]` is left out: notifications are queued, not delivered, so the
//! figures are the sweep's own, not the cost of spawning a notifier per notification.

#[path = "common.rs"]
mod common;
#[path = "generator.rs"]
mod generator;

use chrono::{Duration, SecondsFormat};
use clap::Parser;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

/// Time `esc sweep` against parse-only on one generated ledger of open cases.
#[derive(Debug, Parser)]
struct Args {
    /// Open cases in the ledger
    #[arg(long, default_value_t = 100_000)]
    cases: u64,
    /// Timed runs of the repeatable rows (after one warm-up run)
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// The policy the ledger follows and the sweep runs under
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/spec-excerpt.toml"))]
    policy: PathBuf,
    /// The esc binary to time [default: target/release/esc]
    #[arg(long)]
    esc: Option<PathBuf>,
    /// Do not run `cargo build --release --bin esc` first
    #[arg(long)]
    no_build: bool,
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn main() -> ExitCode {
    match run(&Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn median(v: Vec<f64>) -> f64 {
    common::median(v).0
}

fn parse_only(ledger: &Path) -> Result<usize, String> {
    common::parse_only(ledger)
}

/// One timed run: wall milliseconds and peak RSS in KB (when GNU time is there).
fn timed(esc: &Path, common: &[String], extra: &[&str]) -> Result<(f64, Option<u64>), String> {
    let gnu_time = Path::new("/usr/bin/time");
    let mut cmd = if gnu_time.is_file() {
        let mut c = Command::new(gnu_time);
        c.args(["-f", "%M"]).arg(esc);
        c
    } else {
        Command::new(esc)
    };
    cmd.args(common)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let t = Instant::now();
    let out = cmd.output().map_err(|e| e.to_string())?;
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!("esc {extra:?} failed: {stderr}"));
    }
    let rss = stderr
        .lines()
        .last()
        .and_then(|l| l.trim().parse::<u64>().ok());
    Ok((ms, rss))
}

fn run(args: &Args) -> Result<(), String> {
    let esc = common::release_binary(args.esc.as_deref(), args.no_build)?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    // The sweep is measured without a notify command: notifications are queued in the
    // ledger (as they always are) but not delivered, so the figures are the sweep's own and
    // not the cost of spawning a notifier hundreds of thousands of times.
    let text = std::fs::read_to_string(&args.policy)
        .map_err(|e| format!("{}: {e}", args.policy.display()))?;
    let mut table: toml::Table = toml::from_str(&text).map_err(|e| e.to_string())?;
    table.remove("notify");
    let policy_path = dir.path().join("policy.toml");
    std::fs::write(
        &policy_path,
        toml::to_string(&table).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let policy = generator::load_policy(&policy_path)?;
    let ledger_path = dir.path().join("ledger.jsonl");
    eprintln!("generating {} open cases", args.cases);
    let ledger = generator::generate(
        &policy,
        &generator::Options {
            cases: args.cases,
            seed: args.seed,
            start: "2026-01-05T08:00:00Z".parse().map_err(|e| format!("{e}"))?,
            open_share: 1.0,
        },
    );
    generator::write(&ledger_path, &ledger.records).map_err(|e| e.to_string())?;
    let now = ledger
        .last_at()
        .map_or_else(chrono::Utc::now, |t| t + Duration::hours(1))
        .to_rfc3339_opts(SecondsFormat::Secs, true);
    drop(ledger);
    let bytes = std::fs::metadata(&ledger_path)
        .map_err(|e| e.to_string())?
        .len();
    let common: Vec<String> = [
        "--policy",
        policy_path.to_str().unwrap_or_default(),
        "--ledger",
        ledger_path.to_str().unwrap_or_default(),
        "--now",
        &now,
        "--actor",
        "bench",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let events = parse_only(&ledger_path)?;
    let runs = args.runs.max(1);
    let mut times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        parse_only(&ledger_path)?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let parse = median(times);
    // Warm up (and write the checkpoint) once.
    timed(&esc, &common, &["sweep", "--dry-run"])?;
    let mut dry = Vec::new();
    let mut dry_rss = 0;
    for _ in 0..runs {
        let (ms, rss) = timed(&esc, &common, &["sweep", "--dry-run"])?;
        dry.push(ms);
        dry_rss = dry_rss.max(rss.unwrap_or(0));
    }
    eprintln!("first real sweep");
    let (first, first_rss) = timed(&esc, &common, &["sweep"])?;
    let after = std::fs::metadata(&ledger_path)
        .map_err(|e| e.to_string())?
        .len();
    // The steady state reads the grown ledger: its floor is parsing that file.
    let mut times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        parse_only(&ledger_path)?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let parse_after = median(times);
    let mut steady = Vec::new();
    let mut steady_rss = 0;
    for _ in 0..runs {
        let (ms, rss) = timed(&esc, &common, &["sweep"])?;
        steady.push(ms);
        steady_rss = steady_rss.max(rss.unwrap_or(0));
    }
    let mb = |b: u64| b as f64 / 1e6;
    let kb_mb = |kb: u64| kb as f64 / 1e3;
    println!(
        "{} open cases, {events} events, ledger {:.1} MB ({:.1} MB after the first sweep); now {now}\n",
        args.cases,
        mb(bytes),
        mb(after)
    );
    println!("| run | median ms | × parse only | peak RSS MB | × ledger size |");
    println!("|---|---:|---:|---:|---:|");
    println!("| parse only (in-process), ledger as generated | {parse:.0} | 1.00 | | |");
    let row = |label: &str, ms: f64, floor: f64, rss: u64, size: u64| {
        println!(
            "| {label} | {ms:.0} | {:.2} | {:.0} | {:.2} |",
            ms / floor,
            kb_mb(rss),
            (rss * 1000) as f64 / size as f64
        );
    };
    row(
        "esc sweep --dry-run (plans every action)",
        median(dry),
        parse,
        dry_rss,
        bytes,
    );
    row(
        "esc sweep, first run (acts on everything due; one run)",
        first,
        parse,
        first_rss.unwrap_or(0),
        bytes,
    );
    println!(
        "| parse only (in-process), ledger after the first sweep | {parse_after:.0} | 1.00 | | |"
    );
    row(
        "esc sweep, steady state (nothing new)",
        median(steady),
        parse_after,
        steady_rss,
        after,
    );
    Ok(())
}
