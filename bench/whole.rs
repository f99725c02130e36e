//! Benchmark of every whole-ledger command against the scan floor, in one run: issue 12's
//! table (`list`, every report, `sweep` in steady state, the catch-up `sweep --dry-run`),
//! each with its peak memory, and `esc report breaches` beside taskwarrior's
//! `task +OVERDUE count` over the same 10,000 items.
//!
//! ```text
//! nice cargo run --release --example bench_whole                       # 100k, 5 runs
//! nice cargo run --release --example bench_whole -- --runs 3 --out /tmp/whole.md
//! nice cargo run --release --example bench_whole -- --cases 20000 --small 2000 --runs 3
//! ```
//!
//! The floor is reading the ledger's bytes and scanning each line's JSON once
//! (`serde::de::IgnoredAny`), in the harness's own process. Every row is measured side by
//! side with its floor — floor, command, floor, command… — and the ratio is median over
//! median, so a machine shared with other work shifts both alike.
//!
//! Ledgers (policy `tests/fixtures/spec-excerpt.toml` without `[notify]`, so the figures are
//! esc's own and not those of a notifier):
//!
//! - **all-open**: `--cases` cases imported with `esc import` (one `opened` event each),
//!   opened evenly over the 60 days before `now` (now = the wall clock, to the minute, so
//!   taskwarrior's idea of "overdue" agrees with esc's), never swept;
//! - **all-open, first `--small`**: the first `--small` of the same records, imported alone;
//! - **mature**: the generator's ledger of `--cases` cases (30% still open), swept once so it
//!   holds what a real one does, `now` an hour after its last event.
//!
//! Peak RSS is GNU time's maximum resident set size (`/usr/bin/time -f %M`). taskwarrior
//! (Debian's `taskwarrior`) is installed with apt-get when missing and we are root; its tasks
//! are the small all-open ledger's cases, each due at its resolution due time.

#[path = "common.rs"]
mod common;
#[path = "generator.rs"]
mod generator;

use chrono::{DateTime, Duration, SecondsFormat, Timelike, Utc};
use clap::Parser;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

/// Time every whole-ledger command against the scan floor.
#[derive(Debug, Parser)]
struct Args {
    /// Cases in the all-open and the mature ledger
    #[arg(long, default_value_t = 100_000)]
    cases: u64,
    /// Cases in the small all-open ledger (the one taskwarrior is compared on)
    #[arg(long, default_value_t = 10_000)]
    small: u64,
    /// Timed runs of each row (after one warm-up run)
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// The esc binary to time [default: target/release/esc]
    #[arg(long)]
    esc: Option<PathBuf>,
    /// Do not run `cargo build --release --bin esc` first
    #[arg(long)]
    no_build: bool,
    /// Leave out the mature ledger
    #[arg(long)]
    no_mature: bool,
    /// Also write the table to this file
    #[arg(long)]
    out: Option<PathBuf>,
    /// Keep the ledgers in this directory (created) instead of a temporary one
    #[arg(long)]
    keep: Option<PathBuf>,
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

/// One measured row.
struct Row {
    ledger: String,
    command: String,
    ms: f64,
    floor_ms: f64,
    rss_kb: u64,
    size: u64,
    /// Target for the ratio to the floor.
    target: Option<f64>,
}

/// The esc binary, policy and `now` of one ledger.
struct Esc<'a> {
    bin: &'a Path,
    policy: &'a Path,
    ledger: PathBuf,
    now: String,
}

impl Esc<'_> {
    fn command(&self, argv: &[&str]) -> Command {
        let mut c = Command::new(self.bin);
        c.arg("--policy")
            .arg(self.policy)
            .arg("--ledger")
            .arg(&self.ledger)
            .args(["--now", &self.now, "--actor", "bench"])
            // The generated mature ledger lies ahead of the wall clock.
            .arg("--allow-future")
            .args(argv);
        c
    }

    /// Run once under GNU time: wall ms and peak RSS in KB.
    fn timed(&self, argv: &[&str]) -> Result<(f64, u64), String> {
        let inner = self.command(argv);
        let mut cmd = Command::new("/usr/bin/time");
        cmd.args(["-f", "%M"])
            .arg(inner.get_program())
            .args(inner.get_args())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let t = Instant::now();
        let out = cmd.output().map_err(|e| format!("/usr/bin/time: {e}"))?;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            return Err(format!("esc {argv:?} failed: {stderr}"));
        }
        let rss = stderr
            .lines()
            .last()
            .and_then(|l| l.trim().parse::<u64>().ok())
            .unwrap_or(0);
        Ok((ms, rss))
    }

    /// Run once, capturing stdout.
    fn stdout(&self, argv: &[&str]) -> Result<Vec<u8>, String> {
        let out = self
            .command(argv)
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!(
                "esc {argv:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(out.stdout)
    }
}

fn floor_ms(ledger: &Path) -> Result<f64, String> {
    let t = Instant::now();
    common::scan_floor(ledger)?;
    Ok(t.elapsed().as_secs_f64() * 1000.0)
}

fn size_of(path: &Path) -> Result<u64, String> {
    Ok(std::fs::metadata(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len())
}

/// Floor, command, floor, command… `runs` times after a warm-up of each.
fn measure(
    esc: &Esc,
    label: &str,
    argv: &[&str],
    runs: usize,
    target: Option<f64>,
) -> Result<Row, String> {
    eprintln!("  {label}: esc {}", argv.join(" "));
    floor_ms(&esc.ledger)?;
    esc.timed(argv)?;
    let (mut floors, mut times, mut rss) = (Vec::new(), Vec::new(), 0);
    for _ in 0..runs {
        floors.push(floor_ms(&esc.ledger)?);
        let (ms, kb) = esc.timed(argv)?;
        times.push(ms);
        rss = rss.max(kb);
    }
    Ok(Row {
        ledger: label.to_string(),
        command: format!("esc {}", argv.join(" ")),
        ms: common::median(times).0,
        floor_ms: common::median(floors).0,
        rss_kb: rss,
        size: size_of(&esc.ledger)?,
        target,
    })
}

/// Every report and `list`, JSON output.
const READS: [&[&str]; 8] = [
    &["--json", "list"],
    &["--json", "report", "breaches"],
    &["--json", "report", "sla"],
    &["--json", "report", "trends"],
    &["--json", "report", "reviews"],
    &["--json", "report", "triggers"],
    &["--json", "report", "escalations"],
    &["--json", "report", "desk"],
];

/// The import records of the all-open ledger: `n` cases opened evenly over the 60 days
/// before `now`.
fn import_records(n: u64, now: DateTime<Utc>) -> String {
    let span = Duration::days(60).num_seconds();
    let mut text = String::new();
    for i in 0..n {
        let opened = now - Duration::days(60) + Duration::seconds(span * i as i64 / n as i64);
        let severity = match i % 10 {
            0 => "sev1",
            1..=3 => "sev2",
            _ => "sev3",
        };
        let account = if i % 5 == 0 { "acme" } else { "globex" };
        let _ = writeln!(
            text,
            r#"{{"title":"Imported case {i}","severity":"{severity}","account":"{account}","opened_at":"{}"}}"#,
            opened.to_rfc3339_opts(SecondsFormat::Secs, true)
        );
    }
    text
}

fn import(esc: &Esc, records: &Path) -> Result<(), String> {
    let _ = std::fs::remove_file(&esc.ledger);
    esc.stdout(&["import", records.to_str().unwrap_or_default()])?;
    Ok(())
}

/// taskwarrior's time format.
fn tw_time(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Install taskwarrior if missing (root only). Returns whether `task` is there.
fn ensure_taskwarrior() -> bool {
    let have = || {
        Command::new("task")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if have() {
        return true;
    }
    eprintln!("taskwarrior missing: apt-get install taskwarrior");
    let _ = Command::new("apt-get").arg("update").status();
    let _ = Command::new("apt-get")
        .args(["install", "-y", "taskwarrior"])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status();
    have()
}

/// A taskwarrior database holding one pending task per open case of `esc`'s ledger, due at
/// the case's resolution due time. Returns the taskrc.
fn taskwarrior_db(esc: &Esc, dir: &Path) -> Result<PathBuf, String> {
    let list: serde_json::Value = serde_json::from_slice(&esc.stdout(&["--json", "list"])?)
        .map_err(|e| format!("esc list: {e}"))?;
    let cases = list.as_array().ok_or("esc list: not an array")?;
    let mut tasks = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let time = |v: &serde_json::Value| {
            v.as_str()
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|t| tw_time(t.with_timezone(&Utc)))
        };
        let mut task = serde_json::json!({
            "uuid": format!("{:08x}-0000-4000-8000-{:012x}", i + 1, i + 1),
            "description": c["title"],
            "status": "pending",
            "entry": time(&c["opened_at"]),
        });
        if let Some(due) = time(&c["sla"]["resolution"]["due"]) {
            task["due"] = due.into();
        }
        tasks.push(task);
    }
    let data = dir.join("task");
    std::fs::create_dir_all(&data).map_err(|e| e.to_string())?;
    let rc = dir.join("taskrc");
    std::fs::write(
        &rc,
        format!(
            "data.location={}\nconfirmation=off\nverbose=nothing\nhooks=off\nnews.version=2.6.0\n",
            data.display()
        ),
    )
    .map_err(|e| e.to_string())?;
    let json = dir.join("tasks.json");
    std::fs::write(
        &json,
        serde_json::to_vec(&tasks).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let out = Command::new("task")
        .env("TASKRC", &rc)
        .arg("import")
        .arg(&json)
        .stdout(Stdio::null())
        .output()
        .map_err(|e| format!("task import: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "task import failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(rc)
}

fn task_count(rc: &Path) -> Result<(f64, String), String> {
    let t = Instant::now();
    let out = Command::new("task")
        .env("TASKRC", rc)
        .args(["+OVERDUE", "count"])
        .output()
        .map_err(|e| format!("task: {e}"))?;
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    Ok((ms, String::from_utf8_lossy(&out.stdout).trim().to_string()))
}

fn run(args: &Args) -> Result<(), String> {
    let bin = common::release_binary(args.esc.as_deref(), args.no_build)?;
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let dir = match &args.keep {
        Some(d) => {
            std::fs::create_dir_all(d).map_err(|e| e.to_string())?;
            d.clone()
        }
        None => tmp.path().to_path_buf(),
    };
    let runs = args.runs.max(1);
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let policy_src = manifest.join("tests/fixtures/spec-excerpt.toml");
    let text = std::fs::read_to_string(&policy_src).map_err(|e| e.to_string())?;
    let mut table: toml::Table = toml::from_str(&text).map_err(|e| e.to_string())?;
    table.remove("notify");
    let policy = dir.join("policy.toml");
    std::fs::write(&policy, toml::to_string(&table).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;

    let mut rows: Vec<Row> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let now = Utc::now().with_second(0).unwrap_or_else(Utc::now);
    let now_s = now.to_rfc3339_opts(SecondsFormat::Secs, true);
    let k = |n: u64| format!("{}k", n / 1000);

    // The small all-open ledger, and taskwarrior beside it.
    let records_small = dir.join("small.jsonl");
    std::fs::write(&records_small, import_records(args.small, now)).map_err(|e| e.to_string())?;
    let small = Esc {
        bin: &bin,
        policy: &policy,
        ledger: dir.join("open-small.ledger"),
        now: now_s.clone(),
    };
    eprintln!("importing {} open cases", args.small);
    import(&small, &records_small)?;
    let label = format!("all-open {}", k(args.small));
    let breaches = measure(
        &small,
        &label,
        &["--json", "report", "breaches"],
        runs,
        None,
    )?;
    if ensure_taskwarrior() {
        let rc = taskwarrior_db(&small, &dir.join("tw"))?;
        eprintln!("  taskwarrior: task +OVERDUE count");
        let (mut esc_ms, mut task_ms, mut floors) = (Vec::new(), Vec::new(), Vec::new());
        let mut overdue = String::new();
        task_count(&rc)?;
        for _ in 0..runs {
            floors.push(floor_ms(&small.ledger)?);
            esc_ms.push(small.timed(&["--json", "report", "breaches"])?.0);
            let (ms, count) = task_count(&rc)?;
            task_ms.push(ms);
            overdue = count;
        }
        let (e, t) = (common::median(esc_ms).0, common::median(task_ms).0);
        notes.push(format!(
            "taskwarrior (`task +OVERDUE count` over the same {} tasks, {overdue} overdue): {t:.1} ms; \
             `esc --json report breaches`: {e:.1} ms = **{:.2}×** taskwarrior (target ≤ 0.2×)",
            args.small,
            e / t
        ));
        rows.push(Row {
            ledger: label.clone(),
            command: "task +OVERDUE count (taskwarrior)".into(),
            ms: t,
            floor_ms: common::median(floors).0,
            rss_kb: 0,
            size: size_of(&small.ledger)?,
            target: None,
        });
    } else {
        notes.push("taskwarrior is not installed: its row is missing".into());
    }
    rows.push(breaches);

    // The all-open ledger.
    let records = dir.join("open.jsonl");
    std::fs::write(&records, import_records(args.cases, now)).map_err(|e| e.to_string())?;
    let open = Esc {
        bin: &bin,
        policy: &policy,
        ledger: dir.join("open.ledger"),
        now: now_s.clone(),
    };
    eprintln!("importing {} open cases", args.cases);
    import(&open, &records)?;
    let label = format!("all-open {}", k(args.cases));
    for argv in READS {
        rows.push(measure(&open, &label, argv, runs, Some(5.0))?);
    }
    rows.push(measure(
        &open,
        &label,
        &["--quiet", "sweep", "--dry-run"],
        runs,
        Some(20.0),
    )?);
    // The real catch-up, once, on a second import of the same cases; then the steady state
    // on what it left.
    let swept = Esc {
        bin: &bin,
        policy: &policy,
        ledger: dir.join("open-swept.ledger"),
        now: now_s.clone(),
    };
    // Imported again rather than copied: a copy would not match its checkpoint (it records
    // the file's identity), so every line would be read whole and the import's one batch
    // held until its last line; a ledger esc wrote is read as esc checked it.
    import(&swept, &records)?;
    eprintln!("  catch-up sweep (real, once)");
    let floor = floor_ms(&open.ledger)?;
    let (ms, rss) = swept.timed(&["--quiet", "sweep"])?;
    rows.push(Row {
        ledger: label.clone(),
        command: "esc --quiet sweep (catch-up, real; one run)".into(),
        ms,
        floor_ms: floor,
        rss_kb: rss,
        size: size_of(&open.ledger)?,
        target: None,
    });
    let label_swept = format!("all-open {} after one sweep", k(args.cases));
    rows.push(measure(
        &swept,
        &label_swept,
        &["--quiet", "sweep"],
        runs,
        Some(5.0),
    )?);

    // The mature ledger.
    if !args.no_mature {
        eprintln!("generating the mature ledger ({} cases)", args.cases);
        let model = generator::load_policy(&policy)?;
        let generated = generator::generate(
            &model,
            &generator::Options {
                cases: args.cases,
                ..generator::Options::default()
            },
        );
        let mature = Esc {
            bin: &bin,
            policy: &policy,
            ledger: dir.join("mature.ledger"),
            now: generated
                .last_at()
                .map_or(now, |t| t + Duration::hours(1))
                .to_rfc3339_opts(SecondsFormat::Secs, true),
        };
        generator::write(&mature.ledger, &generated.records).map_err(|e| e.to_string())?;
        drop(generated);
        eprintln!("  sweeping it once");
        mature.stdout(&["--quiet", "sweep"])?;
        let label = format!("mature {}", k(args.cases));
        for argv in READS {
            rows.push(measure(&mature, &label, argv, runs, Some(3.0))?);
        }
        rows.push(measure(
            &mature,
            &label,
            &["--quiet", "sweep"],
            runs,
            Some(3.0),
        )?);
    }

    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut table = format!(
        "{cores} cores, load average at the end {}; median of {runs} runs after a warm-up, \
         each beside its own floor; now {now_s} (all-open)\n\n",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    table.push_str(
        "| ledger | command | ms | floor ms | × floor | target | peak RSS MiB | RSS / size | RSS ok |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---|\n",
    );
    for r in &rows {
        let ratio = r.ms / r.floor_ms;
        let target = r.target.map_or(String::new(), |t| {
            format!("≤ {t}× {}", if ratio <= t { "met" } else { "**not met**" })
        });
        // One unit for both: GNU time's %M is in KiB; sizes in MiB too (the 64 MB floor is
        // read as 64 MiB).
        let rss_mb = r.rss_kb as f64 / 1024.0;
        let size_mb = r.size as f64 / (1024.0 * 1024.0);
        let rss_ok = if r.rss_kb == 0 {
            String::new()
        } else if rss_mb <= (2.0 * size_mb).max(64.0) {
            "met".into()
        } else {
            "**not met**".into()
        };
        let _ = writeln!(
            table,
            "| {} ({size_mb:.1} MiB) | `{}` | {:.0} | {:.1} | {ratio:.1} | {target} | {} | {} | {rss_ok} |",
            r.ledger,
            r.command,
            r.ms,
            r.floor_ms,
            if r.rss_kb == 0 {
                String::new()
            } else {
                format!("{rss_mb:.0}")
            },
            if r.rss_kb == 0 {
                String::new()
            } else {
                format!("{:.1}", rss_mb / size_mb)
            },
        );
    }
    table.push('\n');
    for n in &notes {
        let _ = writeln!(table, "- {n}");
    }
    print!("{table}");
    if let Some(out) = &args.out {
        std::fs::write(out, &table).map_err(|e| format!("{}: {e}", out.display()))?;
    }
    Ok(())
}
