//! `bench --single-case`: the single-case commands (`show`, `note`, `ack`, `escalate`) on an
//! empty ledger and on a ledger of `--cases` generated cases (default 1,000,000), against
//! issue 12's target: at most 2× their time on the empty ledger.
//!
//! Both ledgers get the same fresh cases, opened by esc before timing starts, so every
//! command works on a case with the same short history on both; one more row shows a
//! generated case in the middle of the big ledger (about ten events). Each run times the
//! command once on the empty ledger and once on the big one, in turn, so a change in the
//! machine's load hits both alike; the first run of each row is a warm-up. `ack` and
//! `escalate` take a different case every run. The first write on the big ledger — which
//! scans it when its checkpoint is missing, and builds the per-case index — is reported on
//! its own.
//!
//! The commands run as `bench` under a copy of the policy that allows actors it does not
//! name. With `--dir DIR` the generated ledger is kept in DIR and reused by later runs (for
//! comparing two binaries on the same file; the runs append to it).

use super::{generator, stats, thousands, time_esc};
use chrono::{Duration, SecondsFormat};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// One ledger the commands run on.
struct Ledger {
    path: PathBuf,
    /// Fresh cases opened for the runs: the shown/noted one, then one per `ack` run, then
    /// one per `escalate` run.
    fresh: Vec<String>,
}

/// Runs esc with `--json` and returns the `id` it printed.
fn open_case(
    esc: &Path,
    policy: &Path,
    ledger: &Path,
    now: &str,
    title: &str,
) -> Result<String, String> {
    let out = Command::new(esc)
        .args(["--policy".as_ref(), policy.as_os_str()])
        .args(["--ledger".as_ref(), ledger.as_os_str()])
        .args(["--now", now, "--actor", "bench", "--allow-future", "--json"])
        .args(["open", title])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", esc.display()))?;
    if !out.status.success() {
        return Err(format!(
            "`esc open` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("`esc --json open`: {e}"))?;
    v["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| "`esc --json open` printed no id".to_owned())
}

/// Removes a ledger and every file esc keeps beside it.
fn remove_ledger(path: &Path) {
    let _ = std::fs::remove_file(path);
    for ext in ["idx", "cases", "lock", "torn"] {
        let mut side = path.as_os_str().to_owned();
        side.push(format!(".{ext}"));
        let _ = std::fs::remove_file(PathBuf::from(side));
    }
}

/// The big ledger in `dir` (generated unless a previous run left it there) and its `now`.
fn big_ledger(
    dir: &Path,
    policy: &esc::policy::Policy,
    cases: u64,
    seed: u64,
) -> Result<(PathBuf, String, u64), String> {
    let path = dir.join(format!("cases-{cases}.jsonl"));
    let now_file = dir.join(format!("cases-{cases}.now"));
    if let (true, Ok(now)) = (path.is_file(), std::fs::read_to_string(&now_file)) {
        eprintln!("   reusing {}", path.display());
        return Ok((path, now.trim().to_owned(), 0));
    }
    remove_ledger(&path);
    let started = Instant::now();
    let opts = generator::Options {
        cases,
        seed,
        ..generator::Options::default()
    };
    let generated = generator::generate(policy, &opts);
    let bytes = generator::write(&path, &generated.records)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let at = generated.last_at().unwrap_or(opts.start) + Duration::hours(1);
    let now = at.to_rfc3339_opts(SecondsFormat::Secs, true);
    std::fs::write(&now_file, &now).map_err(|e| e.to_string())?;
    eprintln!(
        "   generated {} events, {:.1} MB in {:.1}s",
        generated.records.len(),
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok((path, now, bytes))
}

/// Measures and returns the Markdown report.
pub fn run(
    esc: &Path,
    policy_path: &Path,
    policy: &esc::policy::Policy,
    cases: u64,
    runs: usize,
    seed: u64,
    keep: Option<&Path>,
) -> Result<String, String> {
    let tmp = tempfile::Builder::new()
        .prefix("esc-bench-single-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    let dir = match keep {
        Some(d) => {
            std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
            d.to_path_buf()
        }
        None => tmp.path().to_path_buf(),
    };
    // The commands run as `bench`, who is no person of the policy: allowed, with the
    // authority of anyone (which may acknowledge and escalate one tier).
    let text = std::fs::read_to_string(policy_path)
        .map_err(|e| format!("{}: {e}", policy_path.display()))?;
    let text = match text.find("[defaults]\n") {
        Some(at) if !text.contains("unknown_actors") => {
            let (head, rest) = text.split_at(at + "[defaults]\n".len());
            format!("{head}unknown_actors = \"allow\"\n{rest}")
        }
        _ => text,
    };
    let policy_copy = dir.join("policy.toml");
    std::fs::write(&policy_copy, text).map_err(|e| format!("{}: {e}", policy_copy.display()))?;
    let policy_path = policy_copy.as_path();
    eprintln!("== {} cases", thousands(cases));
    let (big_path, now, _) = big_ledger(&dir, policy, cases, seed)?;
    let big_size = std::fs::metadata(&big_path).map_or(0, |m| m.len());
    let empty_path = dir.join("empty.jsonl");
    remove_ledger(&empty_path);

    let time = |ledger: &Path, cmd: &[&str]| {
        let mut argv = vec!["--allow-future"];
        argv.extend_from_slice(cmd);
        time_esc(esc, &dir, policy_path, ledger, &now, &argv)
    };
    let first_write = time(&big_path, &["open", "first write"])?;
    eprintln!("   first write on the big ledger: {first_write:.0} ms");

    let mut ledgers = Vec::new();
    for path in [&empty_path, &big_path] {
        let mut fresh = Vec::new();
        for i in 0..2 * (runs + 1) + 1 {
            fresh.push(open_case(
                esc,
                policy_path,
                path,
                &now,
                &format!("bench {i}"),
            )?);
        }
        ledgers.push(Ledger {
            path: path.clone(),
            fresh,
        });
    }
    let mid = format!("ESC-{}", cases.div_ceil(2).max(1));

    type Argv = Box<dyn Fn(&Ledger, usize) -> Vec<String>>;
    let rows: Vec<(&str, Argv)> = vec![
        (
            "show",
            Box::new(|l: &Ledger, _| vec!["show".into(), l.fresh[0].clone()]),
        ),
        (
            "note",
            Box::new(|l: &Ledger, i| vec!["note".into(), l.fresh[0].clone(), format!("run {i}")]),
        ),
        (
            "ack",
            Box::new(|l: &Ledger, i| vec!["ack".into(), l.fresh[1 + i].clone()]),
        ),
        (
            "escalate",
            Box::new(move |l: &Ledger, i| {
                let id = &l.fresh[2 + runs + i];
                let handoff = format!("escalate {id} --reason r --summary s --tried t");
                handoff.split(' ').map(String::from).collect()
            }),
        ),
    ];
    let mut table = Vec::new();
    for (label, argv) in &rows {
        let (mut empty, mut big) = (Vec::new(), Vec::new());
        for i in 0..=runs {
            let one = |l: &Ledger| -> Result<f64, String> {
                let args = argv(l, i);
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                time(&l.path, &args)
            };
            let (a, b) = (one(&ledgers[0])?, one(&ledgers[1])?);
            if i > 0 {
                empty.push(a);
                big.push(b);
            }
        }
        let (e, b) = (stats(empty), stats(big));
        eprintln!("   {label}: {:.1} ms empty, {:.1} ms big", e.0, b.0);
        table.push((label.to_string(), Some(e), b));
    }
    let mut mids = Vec::new();
    for i in 0..=runs {
        let t = time(&big_path, &["show", &mid])?;
        if i > 0 {
            mids.push(t);
        }
    }
    table.push((
        format!("show {mid} (generated, ~10 events)"),
        None,
        stats(mids),
    ));

    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n## Single-case commands: empty ledger vs {} cases\n",
        thousands(cases)
    );
    let _ = writeln!(
        out,
        "Big ledger: {:.2} GB; first write on it (full scan if no checkpoint, index build if none): {:.0} ms.\n",
        big_size as f64 / 1e9,
        first_write
    );
    let _ = writeln!(
        out,
        "Median ms (min–max) of {runs} runs, empty and big in turn.\n"
    );
    let _ = writeln!(
        out,
        "| command | empty | {} cases | ratio | ≤ 2× |",
        thousands(cases)
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---|");
    for (label, empty, big) in table {
        let cell = |(m, lo, hi): (f64, f64, f64)| format!("{m:.1} ({lo:.1}–{hi:.1})");
        let (e, ratio, verdict) = match empty {
            Some(e) => {
                let r = big.0 / e.0;
                (
                    cell(e),
                    format!("{r:.2}×"),
                    if r <= 2.0 { "**met**" } else { "**missed**" },
                )
            }
            None => ("-".into(), "-".into(), ""),
        };
        let _ = writeln!(
            out,
            "| `{label}` | {e} | {} | {ratio} | {verdict} |",
            cell(big)
        );
    }
    if keep.is_none() {
        drop(tmp);
    }
    Ok(out)
}
