//! Benchmark of the PostgreSQL ledger against the file, in one run:
//!
//! 1. every whole-ledger command over the same generated ledger (100k cases by default), on
//!    the file and, after `esc ledger copy`, on a database: the target is ≤ 3× the file;
//! 2. `open`, `ack` and `show` on a database holding 1,000,000 cases (bulk-inserted with
//!    SQL, not through the CLI) against the same on an empty one: the target is ≤ 2×.
//!
//! ```text
//! nice cargo run --release --example bench_postgres                  # 100k and 1M cases
//! nice cargo run --release --example bench_postgres -- --cases 10000 --big 100000 --runs 3
//! ```
//!
//! It needs a PostgreSQL server where `--admin-url` (default
//! `postgres://root@127.0.0.1:5432/test`) may create databases; it creates `esc_bench_*`
//! databases and drops them at the end. Times are medians of `--runs` fresh processes of the
//! release binary after one warm-up, output to a null device, page cache warm.

#[path = "common.rs"]
mod common;
#[path = "generator.rs"]
mod generator;

use chrono::{Duration, SecondsFormat};
use clap::Parser;
use common::median;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

/// Time esc on PostgreSQL against the file backend.
#[derive(Debug, Parser)]
struct Args {
    /// Cases in the ledger for the whole-ledger comparison (about ten events each)
    #[arg(long, default_value_t = 100_000)]
    cases: u64,
    /// Cases in the big database for open/ack/show (one event each)
    #[arg(long, default_value_t = 1_000_000)]
    big: u64,
    /// Timed runs per row (after one warm-up run)
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// A server and user that may create databases
    #[arg(long, default_value = "postgres://root@127.0.0.1:5432/test")]
    admin_url: String,
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
    /// Only the open/ack/show part (skip the whole-ledger comparison)
    #[arg(long)]
    skip_whole: bool,
}

const WHOLE: [(&str, &[&str]); 9] = [
    ("list --json", &["--json", "list"]),
    ("sweep --dry-run", &["sweep", "--dry-run"]),
    ("notifications --json", &["--json", "notifications"]),
    ("ledger verify", &["ledger", "verify"]),
    (
        "report sla --format json",
        &["report", "sla", "--format", "json"],
    ),
    (
        "report trends --format json",
        &["report", "trends", "--format", "json"],
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

/// Databases created by this run, dropped at the end.
struct Databases {
    admin: postgres::Client,
    admin_url: String,
    names: Vec<String>,
}

impl Databases {
    fn create(&mut self, name: &str) -> Result<String, String> {
        for sql in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ] {
            self.admin.batch_execute(&sql).map_err(db_error)?;
        }
        self.names.push(name.to_owned());
        let base = &self.admin_url[..self.admin_url.rfind('/').ok_or("admin URL has no path")?];
        Ok(format!("{base}/{name}"))
    }
}

impl Drop for Databases {
    fn drop(&mut self) {
        for name in &self.names {
            let _ = self
                .admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// The server's message, not just "db error".
fn db_error(e: postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => db.message().to_owned(),
        None => e.to_string(),
    }
}

struct Esc<'a> {
    bin: &'a Path,
    policy: &'a Path,
    now: String,
}

impl Esc<'_> {
    fn cmd(&self, ledger: &str, args: &[&str]) -> Command {
        let mut c = Command::new(self.bin);
        c.args(["--policy", self.policy.to_str().unwrap_or_default()])
            .args(["--ledger", ledger, "--now", &self.now, "--actor", "bench"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        c
    }

    /// Runs once; milliseconds, or the error output.
    fn time(&self, ledger: &str, args: &[&str], may_fail: bool) -> Result<f64, String> {
        let t = Instant::now();
        let out = self.cmd(ledger, args).output().map_err(|e| e.to_string())?;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        if !out.status.success() && !may_fail {
            return Err(format!(
                "esc {args:?} on {ledger} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(ms)
    }

    /// Median of `runs` runs after a warm-up; `args_for(i)` gives run i's arguments.
    fn median(
        &self,
        ledger: &str,
        runs: usize,
        args_for: impl Fn(usize) -> Vec<String>,
        may_fail: bool,
    ) -> Result<f64, String> {
        let mut times = Vec::new();
        for i in 0..=runs {
            let args = args_for(i);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let ms = self.time(ledger, &args, may_fail)?;
            if i > 0 {
                times.push(ms);
            }
        }
        Ok(median(times).0)
    }
}

fn run(args: &Args) -> Result<(), String> {
    let bin = common::release_binary(args.esc.as_deref(), args.no_build)?;
    let policy_path = args
        .policy
        .canonicalize()
        .map_err(|e| format!("{}: {e}", args.policy.display()))?;
    let policy = generator::load_policy(&policy_path)?;
    let admin = postgres::Client::connect(&args.admin_url, postgres::NoTls)
        .map_err(|e| format!("cannot connect to {}: {e}", args.admin_url))?;
    let mut dbs = Databases {
        admin,
        admin_url: args.admin_url.clone(),
        names: Vec::new(),
    };
    let runs = args.runs.max(1);
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());

    let now = "2026-11-23T09:00:00Z".to_owned();
    let now = if args.skip_whole {
        now
    } else {
        whole(args, &bin, &policy_path, &policy, &mut dbs, runs, cores)?
    };
    let esc = Esc {
        bin: &bin,
        policy: &policy_path,
        now,
    };
    // 2. open/ack/show: a database of `big` cases against an empty one.
    let empty = dbs.create("esc_bench_empty")?;
    let big = dbs.create("esc_bench_big")?;
    for url in [&empty, &big] {
        esc.time(url, &["open", "template case"], false)?;
    }
    eprintln!("bulk-inserting {} cases", args.big);
    let t = Instant::now();
    let mut client = postgres::Client::connect(&big, postgres::NoTls).map_err(|e| e.to_string())?;
    let n = args.big as i64;
    client
        .batch_execute(&format!(
            "INSERT INTO esc_events (seq, batch, case_id, case_number, event, line)
             SELECT g, g, 'ESC-' || g, g, 'opened',
                    replace(replace(replace(line, '\"seq\":1,', '\"seq\":' || g || ','),
                            '\"case\":\"ESC-1\"', '\"case\":\"ESC-' || g || '\"'),
                            'template case', 'case ' || g)
             FROM esc_events, generate_series(2, {n}) g WHERE seq = 1;
             UPDATE esc_counter SET last_seq = {n}, last_batch = {n}, max_case = {n};
"
        ))
        .map_err(db_error)?;
    // As a database in use would be: vacuumed and analysed (no autovacuum mid-measurement).
    client
        .batch_execute("VACUUM (ANALYZE) esc_events")
        .map_err(db_error)?;
    let insert_s = t.elapsed().as_secs_f64();
    let size: String = client
        .query_one(
            "SELECT pg_size_pretty(pg_database_size(current_database()))",
            &[],
        )
        .map_err(|e| e.to_string())?
        .get(0);
    println!(
        "\n## open / ack / show: {} cases in the database vs an empty one\n",
        args.big
    );
    println!(
        "Bulk insert of {} `opened` events with SQL: {insert_s:.1} s; database size {size}. Median of {runs} runs after a warm-up.\n",
        args.big
    );
    println!("| command | empty ms | {} cases ms | × empty |", args.big);
    println!("|---|---:|---:|---:|");
    // Empty and big take turns run by run, so a change in the machine's load hits both.
    let targets = [(&empty, 1u64, 1u64), (&big, args.big / 2, args.big / 3)];
    let mut times = [[const { Vec::new() }; 3], [const { Vec::new() }; 3]];
    for (command, label) in ["open", "ack", "show"].iter().enumerate() {
        for i in 0..=runs {
            for (t, (url, first_unacked, show)) in targets.iter().enumerate() {
                let argv = match *label {
                    "open" => vec!["open".to_owned(), format!("bench {i}")],
                    "ack" => vec!["ack".to_owned(), (first_unacked + i as u64).to_string()],
                    _ => vec!["show".to_owned(), show.to_string()],
                };
                let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
                let ms = esc.time(url, &argv, false)?;
                if i > 0 {
                    times[t][command].push(ms);
                }
            }
        }
    }
    let rows: Vec<Vec<f64>> = times
        .iter()
        .map(|per| per.iter().map(|v| median(v.clone()).0).collect())
        .collect();
    for (i, label) in ["open", "ack", "show"].iter().enumerate() {
        let (e, b) = (rows[0][i], rows[1][i]);
        println!("| {label} | {e:.1} | {b:.1} | {:.2} |", b / e);
    }
    Ok(())
}

/// Part 1: every whole-ledger command on the file and on a copy in the database. Returns the
/// `now` used (an hour after the ledger's last event).
fn whole(
    args: &Args,
    bin: &Path,
    policy_path: &Path,
    policy: &esc::policy::Policy,
    dbs: &mut Databases,
    runs: usize,
    cores: usize,
) -> Result<String, String> {
    // 1. Whole-ledger commands: file against database, on the same ledger.
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let file = dir.path().join("ledger.jsonl");
    let file_str = file.to_str().ok_or("temp path is not UTF-8")?.to_owned();
    eprintln!("generating {} cases", args.cases);
    let ledger = generator::generate(
        policy,
        &generator::Options {
            cases: args.cases,
            seed: args.seed,
            start: "2026-01-05T08:00:00Z".parse().map_err(|e| format!("{e}"))?,
            open_share: 0.3,
        },
    );
    generator::write(&file, &ledger.records).map_err(|e| e.to_string())?;
    let now = ledger
        .last_at()
        .map_or_else(chrono::Utc::now, |t| t + Duration::hours(1))
        .to_rfc3339_opts(SecondsFormat::Secs, true);
    let events = ledger.records.len();
    drop(ledger);
    let esc = Esc {
        bin,
        policy: policy_path,
        now,
    };
    eprintln!("esc sweep over the file (once, so it holds what a real ledger holds)");
    esc.time(&file_str, &["sweep"], false)?;
    let url = dbs.create("esc_bench_whole")?;
    let t = Instant::now();
    esc.time(&file_str, &["ledger", "copy", &file_str, &url], false)?;
    let copy_ms = t.elapsed().as_secs_f64() * 1000.0;
    let bytes = std::fs::metadata(&file).map_err(|e| e.to_string())?.len();
    println!(
        "## Whole-ledger commands: {} cases ({events}+ events, {:.1} MB), file vs PostgreSQL\n",
        args.cases,
        bytes as f64 / 1e6
    );
    let t = Instant::now();
    common::parse_only(&file)?;
    let parse_ms = t.elapsed().as_secs_f64() * 1000.0;
    println!(
        "`esc ledger copy` file → database: {:.1} s; parsing the file in-process: {parse_ms:.0} ms. {cores} cores; median of {runs} runs after a warm-up.\n",
        copy_ms / 1000.0
    );
    println!("| command | file ms | PostgreSQL ms | × file |");
    println!("|---|---:|---:|---:|");
    for (label, argv) in WHOLE {
        eprintln!("{label}");
        let args_for = |_| argv.iter().map(|s| s.to_string()).collect();
        let may_fail = label.contains("breaches");
        let f = esc.median(&file_str, runs, args_for, may_fail)?;
        let p = esc.median(&url, runs, args_for, may_fail)?;
        println!("| {label} | {f:.0} | {p:.0} | {:.2} |", p / f);
    }

    Ok(esc.now)
}
