//! Benchmark harness for the `esc` binary: one command, a Markdown table of median wall times.
//!
//! ```text
//! cargo run --release --example bench                      # 0, 10k, 100k cases, 15 runs
//! cargo run --release --example bench -- --quick           # smoke run: 0 and 10k cases, 5 runs
//! cargo run --release --example bench -- --cases 0,50000 --runs 9 --policy policies/it-helpdesk.toml
//! cargo run --release --example bench -- --single-case --runs 9    # show/note/ack/escalate: empty vs 1M cases
//! ```
//!
//! `--single-case` measures something else: see `bench/single_case.rs`.
//!
//! It first runs `cargo build --release --bin esc` (skip with `--no-build`) and then times the
//! release binary `target/release/esc` (or `--esc PATH`) as fresh processes, each with
//! `--policy`, `--ledger`, `--now` and `--actor`. For every ledger size it generates a ledger in
//! a temporary directory with the generator shared with `examples/gen_ledger.rs`
//! (`bench/generator.rs`), then measures:
//!
//! - `open (no .idx)`: the first `esc open` on the freshly written ledger, which has no
//!   checkpoint yet and so scans the whole file (one run);
//! - `open`, `ack ESC-n`, `show ESC-n`, `list --json`: the median of `--runs` runs after one
//!   warm-up run. `open` and `ack` write: they run on the same ledger, which grows by one event
//!   per run (negligible next to its size); each `ack` acknowledges a different case that was
//!   never acknowledged;
//! - `parse only`: in this process, reading the ledger and deserializing every line into
//!   `esc::case::Record` (the floor for any command that reads every event).
//!
//! The page cache is warm (the ledger was just written). Output goes to a null device.

#[path = "common.rs"]
mod common;
#[path = "generator.rs"]
mod generator;
#[path = "single_case.rs"]
mod single_case;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use clap::Parser;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

/// Time esc commands on generated ledgers of several sizes.
#[derive(Debug, Parser)]
struct Args {
    /// Ledger sizes in cases (about ten events each), comma-separated
    #[arg(long, value_delimiter = ',', default_value = "0,10000,100000")]
    cases: Vec<u64>,
    /// Timed runs per command and size (after one warm-up run)
    #[arg(long, default_value_t = 15)]
    runs: usize,
    /// A fast smoke run: 0 and 10k cases, 5 runs (overrides --cases and --runs)
    #[arg(long)]
    quick: bool,
    /// The policy the ledgers follow and the commands run under
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/spec-excerpt.toml"))]
    policy: PathBuf,
    /// The esc binary to time [default: target/release/esc]
    #[arg(long)]
    esc: Option<PathBuf>,
    /// Do not run `cargo build --release --bin esc` first
    #[arg(long)]
    no_build: bool,
    /// Seed of the generated ledgers
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Keep the generated ledgers (the temporary directory is printed)
    #[arg(long)]
    keep: bool,
    /// Instead: `show`, `note`, `ack` and `escalate` on an empty ledger vs one of `--big`
    /// cases, with the ratio to the ≤ 2× target
    #[arg(long)]
    single_case: bool,
    /// Cases in the big ledger of `--single-case`
    #[arg(long, default_value_t = 1_000_000)]
    big: u64,
    /// With `--single-case`: keep the big ledger in this directory and reuse it next time
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// What was measured for one ledger size.
struct Sample {
    cases: u64,
    events: usize,
    bytes: u64,
    gen_secs: f64,
    /// (row label, median ms, min ms, max ms)
    rows: Vec<(&'static str, f64, f64, f64)>,
}

impl Sample {
    fn median(&self, label: &str) -> Option<f64> {
        self.rows
            .iter()
            .find(|r| r.0 == label)
            .map(|&(_, median, _, _)| median)
    }
}

const ROWS: [&str; 6] = [
    "open (no .idx)",
    "open",
    "ack ESC-n",
    "show ESC-n",
    "list --json",
    "parse only (in-process)",
];

fn main() -> ExitCode {
    let mut args = Args::parse();
    if args.quick {
        args.cases = vec![0, 10_000];
        args.runs = 5;
    }
    args.runs = args.runs.max(1);
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    let esc = common::release_binary(args.esc.as_deref(), args.no_build)?;
    let esc = esc
        .canonicalize()
        .map_err(|e| format!("{}: {e}", esc.display()))?;
    let policy_path = args
        .policy
        .canonicalize()
        .map_err(|e| format!("{}: {e}", args.policy.display()))?;
    let policy = generator::load_policy(&policy_path)?;

    print_header(args, &esc, &policy_path);
    if args.single_case {
        let report = single_case::run(
            &esc,
            &policy_path,
            &policy,
            args.big,
            args.runs,
            args.seed,
            args.dir.as_deref(),
        )?;
        print!("{report}");
        return Ok(());
    }
    let mut samples = Vec::new();
    for &cases in &args.cases {
        eprintln!("== {cases} cases");
        samples.push(measure(args, &esc, &policy_path, &policy, cases)?);
    }
    print_results(args, &samples);
    Ok(())
}

fn print_header(args: &Args, esc: &Path, policy: &Path) {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let version = Command::new(esc)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let commit = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    println!("# esc benchmark\n");
    println!(
        "- date: {}",
        Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
    );
    println!("- machine: {cores} cores, {cpu}");
    println!("- binary: {} ({version}, commit {commit})", esc.display());
    println!("- policy: {}", policy.display());
    println!(
        "- runs: median of {} fresh processes per cell after 1 warm-up; `open (no .idx)` is one run",
        args.runs
    );
    println!();
}

/// Median, min and max of `times` (ms).
fn stats(mut times: Vec<f64>) -> (f64, f64, f64) {
    times.sort_by(f64::total_cmp);
    let n = times.len();
    let median = if n % 2 == 1 {
        times[n / 2]
    } else {
        (times[n / 2 - 1] + times[n / 2]) / 2.0
    };
    (median, times[0], times[n - 1])
}

/// Runs esc once with the global flags and `cmd`; returns the wall time in ms.
fn time_esc(
    esc: &Path,
    dir: &Path,
    policy: &Path,
    ledger: &Path,
    now: &str,
    cmd: &[&str],
) -> Result<f64, String> {
    let mut c = Command::new(esc);
    c.current_dir(dir)
        .args(["--policy".as_ref(), policy.as_os_str()])
        .args(["--ledger".as_ref(), ledger.as_os_str()])
        .args(["--now", now, "--actor", "bench", "--color", "never"])
        .args(cmd)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for var in ["ESC_POLICY", "ESC_LEDGER", "ESC_NOW", "ESC_ACTOR"] {
        c.env_remove(var);
    }
    let start = Instant::now();
    let out = c
        .output()
        .map_err(|e| format!("cannot run {}: {e}", esc.display()))?;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    if !out.status.success() {
        return Err(format!(
            "`esc {}` failed ({}): {}",
            cmd.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(ms)
}

/// Reads the ledger and deserializes every event line into a `Record`; returns ms.
fn parse_only(ledger: &Path, expected: usize) -> Result<f64, String> {
    let start = Instant::now();
    let count = common::parse_only(ledger)?;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    if count < expected {
        return Err(format!(
            "parsed {count} events, expected {expected} or more"
        ));
    }
    Ok(ms)
}

fn measure(
    args: &Args,
    esc: &Path,
    policy_path: &Path,
    policy: &esc::policy::Policy,
    cases: u64,
) -> Result<Sample, String> {
    let tmp = tempfile::Builder::new()
        .prefix("esc-bench-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    let dir = tmp.path();
    let ledger_path = dir.join("ledger.jsonl");

    let started = Instant::now();
    let opts = generator::Options {
        cases,
        seed: args.seed,
        ..generator::Options::default()
    };
    let generated = generator::generate(policy, &opts);
    let bytes = generator::write(&ledger_path, &generated.records)
        .map_err(|e| format!("cannot write {}: {e}", ledger_path.display()))?;
    let gen_secs = started.elapsed().as_secs_f64();
    let events = generated.records.len();
    eprintln!(
        "   generated {events} events, {:.1} MB in {gen_secs:.1}s",
        bytes as f64 / 1e6
    );

    let now_at: DateTime<Utc> = generated.last_at().unwrap_or(opts.start) + Duration::hours(1);
    let now = now_at.to_rfc3339_opts(SecondsFormat::Secs, true);
    let run = |cmd: &[&str]| time_esc(esc, dir, policy_path, &ledger_path, &now, cmd);
    let severity = policy.defaults.severity.clone();
    let mut rows = Vec::new();

    // The first open on the new ledger: no checkpoint yet, a full scan.
    let mut opened = Vec::new();
    let mut open_case = |i: usize| {
        let title = format!("Benchmark case {i}");
        let t = run(&["open", &title, "--severity", &severity]);
        opened.push(format!("ESC-{}", cases + i as u64 + 1));
        t
    };
    let first = open_case(0)?;
    rows.push((ROWS[0], first, first, first));
    eprintln!("   open (no .idx): {first:.1} ms");

    let mut times = Vec::new();
    for i in 1..=args.runs {
        times.push(open_case(i)?);
    }
    let (m, lo, hi) = stats(times);
    rows.push((ROWS[1], m, lo, hi));
    eprintln!("   open: {m:.1} ms");

    // A different never-acknowledged case for every ack: generated ones spread over the
    // ledger, else those the open runs created.
    let needed = args.runs + 1;
    let targets: Vec<String> = if generated.unacknowledged.len() >= needed {
        let u = &generated.unacknowledged;
        (0..needed)
            .map(|i| u[i * u.len() / needed].clone())
            .collect()
    } else {
        opened.clone()
    };
    let mut times = Vec::new();
    for (i, case) in targets.iter().enumerate() {
        let t = run(&["ack", case])?;
        if i > 0 {
            times.push(t);
        }
    }
    let (m, lo, hi) = stats(times);
    rows.push((ROWS[2], m, lo, hi));
    eprintln!("   ack: {m:.1} ms");

    let show_case = if cases > 0 {
        format!("ESC-{}", cases.div_ceil(2))
    } else {
        opened[0].clone()
    };
    for (label, cmd) in [
        (ROWS[3], vec!["show", show_case.as_str()]),
        (ROWS[4], vec!["list", "--json"]),
    ] {
        run(&cmd)?;
        let mut times = Vec::new();
        for _ in 0..args.runs {
            times.push(run(&cmd)?);
        }
        let (m, lo, hi) = stats(times);
        rows.push((label, m, lo, hi));
        eprintln!("   {label}: {m:.1} ms");
    }

    let parse_runs = (args.runs / 3).max(3);
    parse_only(&ledger_path, events)?;
    let mut times = Vec::new();
    for _ in 0..parse_runs {
        times.push(parse_only(&ledger_path, events)?);
    }
    let (m, lo, hi) = stats(times);
    rows.push((ROWS[5], m, lo, hi));
    eprintln!("   parse only: {m:.1} ms ({parse_runs} runs)");

    if args.keep {
        let kept = tmp.keep();
        eprintln!("   kept {}", kept.display());
    }
    Ok(Sample {
        cases,
        events,
        bytes,
        gen_secs,
        rows,
    })
}

fn print_results(args: &Args, samples: &[Sample]) {
    let mut out = String::from("\n");
    let head: Vec<String> = samples
        .iter()
        .map(|s| format!("{} cases", thousands(s.cases)))
        .collect();
    let _ = writeln!(out, "## Ledgers\n");
    let _ = writeln!(out, "| | {} |", head.join(" | "));
    let _ = writeln!(out, "|---|{}", "---:|".repeat(samples.len()));
    let cells =
        |f: &dyn Fn(&Sample) -> String| samples.iter().map(f).collect::<Vec<_>>().join(" | ");
    let _ = writeln!(
        out,
        "| events | {} |",
        cells(&|s| thousands(s.events as u64))
    );
    let _ = writeln!(
        out,
        "| file size | {} |",
        cells(&|s| format!("{:.1} MB", s.bytes as f64 / 1e6))
    );
    let _ = writeln!(
        out,
        "| generated in | {} |",
        cells(&|s| format!("{:.2} s", s.gen_secs))
    );

    let _ = writeln!(
        out,
        "\n## Wall time, median ms (min–max) of {} runs\n",
        args.runs
    );
    let _ = writeln!(out, "| command | {} |", head.join(" | "));
    let _ = writeln!(out, "|---|{}", "---:|".repeat(samples.len()));
    for label in ROWS {
        let row = cells(&|s| match s.rows.iter().find(|r| r.0 == label) {
            Some(&(_, m, _, _)) if label == ROWS[0] => format!("{m:.1}"),
            Some(&(_, m, lo, hi)) => format!("{m:.1} ({lo:.1}–{hi:.1})"),
            None => "-".into(),
        });
        let _ = writeln!(out, "| `{label}` | {row} |");
    }

    let _ = writeln!(out, "\n## Targets\n");
    let by_cases = |n: u64| samples.iter().find(|s| s.cases == n);
    match (samples.first(), samples.last()) {
        (Some(small), Some(big)) if big.cases > small.cases => {
            if let (Some(a), Some(b)) = (small.median("open"), big.median("open")) {
                let ratio = b / a;
                let _ = writeln!(
                    out,
                    "- `esc open` at {} cases ≤ 2× its time at {} cases: {b:.1} / {a:.1} ms = {ratio:.2}× — {}",
                    thousands(big.cases),
                    thousands(small.cases),
                    verdict(ratio <= 2.0)
                );
            }
        }
        _ => {
            let _ = writeln!(out, "- `esc open` ratio: needs two ledger sizes");
        }
    }
    match by_cases(10_000) {
        Some(s) => {
            for label in ["open", "ack ESC-n", "show ESC-n"] {
                if let Some(m) = s.median(label) {
                    let _ = writeln!(
                        out,
                        "- `esc {label}` at 10,000 cases < 50 ms: {m:.1} ms — {}",
                        verdict(m < 50.0)
                    );
                }
            }
        }
        None => {
            let _ = writeln!(out, "- single-case commands at 10,000 cases: not measured");
        }
    }
    for s in samples.iter().filter(|s| s.cases > 0) {
        if let Some(p) = s.median("parse only (in-process)") {
            let _ = writeln!(
                out,
                "- later target, `esc sweep` ≤ 3× parse time: at {} cases the budget is {:.0} ms (parse {p:.1} ms)",
                thousands(s.cases),
                3.0 * p
            );
        }
    }
    if let Some(base) = samples.first() {
        let _ = writeln!(out, "\n## Ratios to {} cases\n", thousands(base.cases));
        let _ = writeln!(out, "| command | {} |", head.join(" | "));
        let _ = writeln!(out, "|---|{}", "---:|".repeat(samples.len()));
        for label in &ROWS[..5] {
            let row = cells(&|s| match (s.median(label), base.median(label)) {
                (Some(m), Some(b)) if b > 0.0 => format!("{:.2}×", m / b),
                _ => "-".into(),
            });
            let _ = writeln!(out, "| `{label}` | {row} |");
        }
    }
    print!("{out}");
}

fn verdict(ok: bool) -> &'static str {
    if ok { "**met**" } else { "**missed**" }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
