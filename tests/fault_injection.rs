//! Fault injection through the real binary (issue 10): nothing lost, nothing half-done.
//!
//! - An `LD_PRELOAD` shim (`tests/fault/shim.c`, built here with `cc`) makes `fsync` /
//!   `fdatasync` fail (all, files only or directories only, optionally after N calls) or
//!   kills the process with SIGKILL at an exact byte of a ledger write. Without a C compiler
//!   (or off Linux) those tests print a notice and skip, unless `ESC_REQUIRE_SERVICES=1`
//!   (CI), where a missing compiler fails them.
//! - Truncated copies of a ledger at every cut point of a batch (each line boundary and
//!   inside each line) show that readers see a batch all or nothing, that `verify` names the
//!   uncommitted tail, and that running the command again does the right thing.
//! - Concurrent writers on the real clock, a lock file deleted under writers, forged
//!   checkpoints, links and special files beside the ledger, and damage `verify` must name.
//!
//! No assertion depends on the wall clock (the real-clock test only checks that every writer
//! succeeds).
#![cfg(unix)]

mod common;

use common::{NOW, TestEnv, ok_at, repo_file};
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

/// A policy where a sev1 case opened at 09:00 is escalated, warned and breached by 09:20,
/// and every escalation informs people (so the sweep queues notifications).
const POLICY: &str = r#"version = 1
name = "Fault tests"
types = ["technical"]

[defaults]
severity = "sev4"
type = "technical"
path = "technical"
timezone = "UTC"

[calendars.always]
timezone = "UTC"
hours = "24x7"

[severities.sev1]
calendar = "always"
response = "15m"
resolution = "4h"
update_every = "30m"
warn_at = 0.75

[severities.sev4]
calendar = "always"
response = "30d"
resolution = "60d"

[roles.agent]
members = ["ana"]
[roles.engineer]
members = ["carl"]
[roles.lead]
members = ["fay"]

[[tiers]]
id = "L1"
role = "agent"
escalate_after = { sev1 = "10m", sev4 = "30d" }

[[tiers]]
id = "L2"
role = "engineer"
escalate_after = { sev1 = "30m", sev4 = "30d" }

[raci.default]
open     = { r = ["agent"], a = "lead", i = ["lead"] }
escalate = { r = ["lead"], a = "lead", c = ["engineer"], i = ["lead"] }

# Opening a case tells nobody here, so that each command writes one line.
[notify.on]
open = []
"#;

const NOTIFY: &str = "\n[notify]\ncommand = [\"./notify.sh\"]\ntimeout = \"5s\"\n";
const LOGGING: &str = "#!/bin/sh\ncat >> notify.log\necho >> notify.log\n";

/// `2026-11-23T09:MM:00Z`.
fn at(minute: u32) -> String {
    format!("2026-11-23T09:{minute:02}:00Z")
}

fn env() -> TestEnv {
    TestEnv::with_policy(POLICY)
}

fn env_with_notify() -> TestEnv {
    let env = TestEnv::with_policy(&format!("{POLICY}{NOTIFY}"));
    let script = env.write("notify.sh", LOGGING);
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).expect("chmod");
    env
}

fn ledger_path(env: &TestEnv) -> PathBuf {
    // The shim compares canonical paths (from /proc/self/fd).
    fs::canonicalize(env.dir.path())
        .expect("canonical temp dir")
        .join("ledger.jsonl")
}

fn bytes(env: &TestEnv) -> Vec<u8> {
    fs::read(env.path("ledger.jsonl")).unwrap_or_default()
}

fn run(env: &TestEnv, args: &[&str]) -> Output {
    env.esc(args).output().expect("run esc")
}

fn run_at(env: &TestEnv, now: &str, args: &[&str]) -> Output {
    env.esc(args).env("ESC_NOW", now).output().expect("run esc")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The ledger's event lines parsed as JSON (committed or not).
fn lines(env: &TestEnv) -> Vec<Value> {
    String::from_utf8(bytes(env))
        .expect("utf-8")
        .lines()
        .skip(1)
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// `esc ledger verify --json`, which must exit 0 (no damage).
fn verify_ok(env: &TestEnv) -> Value {
    let out = run(env, &["--json", "ledger", "verify"]);
    let report: Value = serde_json::from_slice(&out.stdout).expect("verify json");
    assert!(out.status.success(), "verify failed: {report}");
    report
}

/// The ids `esc list` shows, in number order.
fn case_ids(env: &TestEnv) -> Vec<String> {
    let mut ids: Vec<String> = env
        .json(&["list"])
        .as_array()
        .expect("list")
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_owned())
        .collect();
    ids.sort_by_key(|id| id[4..].parse::<u64>().unwrap_or(0));
    ids
}

/// Byte offsets to cut a ledger at inside `from..to`: every line boundary, and the first,
/// a middle and the last byte of every line.
fn cut_points(all: &[u8], from: usize, to: usize) -> Vec<usize> {
    let mut cuts = std::collections::BTreeSet::new();
    let mut start = from;
    for (i, &b) in all.iter().enumerate().take(to).skip(from) {
        if b == b'\n' {
            cuts.extend([start, start + 1, (start + i) / 2, i, i + 1]);
            start = i + 1;
        }
    }
    cuts.into_iter().filter(|&c| c >= from && c <= to).collect()
}

/// The fault shim, built once; `None` with a notice where it cannot be built.
fn shim() -> Option<PathBuf> {
    static SHIM: OnceLock<Option<PathBuf>> = OnceLock::new();
    SHIM.get_or_init(|| {
        let required = std::env::var("ESC_REQUIRE_SERVICES").is_ok_and(|v| v == "1");
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("libescfault.so");
        let built = cfg!(target_os = "linux")
            && std::process::Command::new("cc")
                .args(["-shared", "-fPIC", "-O1", "-o"])
                .arg(&out)
                .arg(repo_file("tests/fault/shim.c"))
                .arg("-ldl")
                .status()
                .is_ok_and(|s| s.success());
        if built {
            return Some(out);
        }
        assert!(
            !required,
            "ESC_REQUIRE_SERVICES=1 but the fault shim could not be built (is `cc` installed?)"
        );
        eprintln!("notice: no C compiler (cc) or not Linux: fault-shim tests skipped");
        None
    })
    .clone()
}

/// `esc ARGS` at `now` with the shim loaded and the given `ESC_FAULT_*` settings.
fn run_faulty(
    env: &TestEnv,
    shim: &Path,
    now: &str,
    faults: &[(&str, String)],
    args: &[&str],
) -> Output {
    let mut cmd = env.esc(args);
    cmd.env("ESC_NOW", now).env("LD_PRELOAD", shim);
    for (k, v) in faults {
        cmd.env(k, v);
    }
    cmd.output().expect("run esc")
}

const IMPORT: &str = concat!(
    r#"{"title": "Imported one", "opened_at": "2026-11-20T10:00:00Z"}"#,
    "\n",
    r#"{"title": "Imported two", "severity": "sev1", "opened_at": "2026-11-20T11:00:00Z", "acknowledged_at": "2026-11-20T11:05:00Z"}"#,
    "\n",
    r#"{"title": "Imported three", "opened_at": "2026-11-20T12:00:00Z", "resolved_at": "2026-11-21T12:00:00Z"}"#,
    "\n",
);

/// A ledger holding ESC-1, and the bytes of the same ledger after importing three cases.
fn before_and_after_import(env: &TestEnv) -> (Vec<u8>, Vec<u8>) {
    ok_at(env, NOW, &["open", "Already here"]);
    env.write("cases.jsonl", IMPORT);
    let before = bytes(env);
    let out = run(env, &["import", "cases.jsonl"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let after = bytes(env);
    assert_eq!(case_ids(env), ["ESC-1", "ESC-2", "ESC-3", "ESC-4"]);
    (before, after)
}

/// After any cut, readers see ESC-1 alone or all four; `verify` names the tail; a second
/// import imports the three cases exactly once.
fn check_import_recovers(env: &TestEnv, before_len: usize, cut: usize, complete: bool) {
    let ids = case_ids(env);
    let report = verify_ok(env);
    if complete {
        assert_eq!(ids, ["ESC-1", "ESC-2", "ESC-3", "ESC-4"], "cut at {cut}");
        assert!(report["torn_tail"].is_null(), "cut at {cut}: {report}");
        return;
    }
    assert_eq!(ids, ["ESC-1"], "cut at {cut}: all or nothing");
    assert_eq!(report["events"], 1, "cut at {cut}: {report}");
    if cut > before_len {
        assert_eq!(report["torn_tail"]["line"], 3, "cut at {cut}: {report}");
        assert_eq!(
            report["torn_tail"]["bytes"],
            (cut - before_len) as u64,
            "cut at {cut}"
        );
    }
    let human = stdout(&run(env, &["ledger", "verify"]));
    if cut > before_len {
        assert!(human.contains("not data"), "{human}");
    }
    let again = run(env, &["import", "cases.jsonl"]);
    assert!(again.status.success(), "cut at {cut}: {}", stderr(&again));
    assert_eq!(
        case_ids(env),
        ["ESC-1", "ESC-2", "ESC-3", "ESC-4"],
        "cut at {cut}: re-running the import imports every case once"
    );
    let report = verify_ok(env);
    assert!(report["torn_tail"].is_null(), "{report}");
}

#[test]
fn import_is_all_or_nothing_at_every_cut_point() {
    let env = env();
    let (before, after) = before_and_after_import(&env);
    let cuts = cut_points(&after, before.len(), after.len());
    assert!(cuts.len() > 20, "{cuts:?}");
    for cut in cuts {
        fs::write(env.path("ledger.jsonl"), &after[..cut]).expect("cut");
        let _ = fs::remove_file(env.path("ledger.jsonl.idx"));
        check_import_recovers(&env, before.len(), cut, cut == after.len());
    }
}

#[test]
fn import_killed_at_any_byte_of_its_write_is_all_or_nothing() {
    let Some(shim) = shim() else { return };
    let env = env();
    let (before, after) = before_and_after_import(&env);
    let ledger = ledger_path(&env);
    let batch = after.len() - before.len();
    for offset in [0, 1, batch / 3, batch / 2, batch - 2, batch - 1] {
        fs::write(env.path("ledger.jsonl"), &before).expect("restore");
        let cut = before.len() + offset;
        let faults = [
            ("ESC_FAULT_KILL_PATH", ledger.display().to_string()),
            ("ESC_FAULT_KILL_AT", cut.to_string()),
        ];
        let out = run_faulty(&env, &shim, NOW, &faults, &["import", "cases.jsonl"]);
        assert_eq!(
            out.status.signal(),
            Some(9),
            "killed at byte {cut}: {out:?}"
        );
        assert_eq!(
            bytes(&env).len(),
            cut,
            "the shim cut the write at byte {cut}"
        );
        check_import_recovers(&env, before.len(), cut, false);
    }
}

/// The events (case, kind, and the clock or trigger they name) of a sweep batch, counted.
fn batch_events(events: &[Value]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for e in events {
        let key = format!(
            "{} {} {}",
            e["case"].as_str().unwrap_or(""),
            e["event"].as_str().unwrap_or(""),
            e.get("clock")
                .or(e.get("action"))
                .map(Value::to_string)
                .unwrap_or_default()
        );
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
}

/// Two sev1 cases at 09:00, and the ledger before and after a sweep at 09:20.
fn before_and_after_sweep(env: &TestEnv) -> (Vec<u8>, Vec<u8>, BTreeMap<String, usize>) {
    ok_at(env, NOW, &["open", "Checkout down", "--severity", "sev1"]);
    ok_at(env, NOW, &["open", "Login slow", "--severity", "sev1"]);
    let before = bytes(env);
    let n = lines(env).len();
    let out = run_at(env, &at(20), &["sweep"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let after = bytes(env);
    let swept = lines(env)[n..].to_vec();
    let queued = swept
        .iter()
        .filter(|e| e["event"] == "notification_queued")
        .count();
    assert!(queued >= 2, "the sweep queues notifications: {swept:?}");
    (before, after, batch_events(&swept))
}

#[test]
fn a_sweep_cut_at_any_point_is_redone_whole_and_requeues_its_notifications() {
    let env = env();
    let (before, after, expected) = before_and_after_sweep(&env);
    let n = 2;
    for cut in cut_points(&after, before.len(), after.len()) {
        fs::write(env.path("ledger.jsonl"), &after[..cut]).expect("cut");
        let _ = fs::remove_file(env.path("ledger.jsonl.idx"));
        let report = verify_ok(&env);
        let complete = cut == after.len();
        assert_eq!(
            report["events"],
            if complete {
                report["last_seq"].clone()
            } else {
                Value::from(n)
            }
        );
        if !complete && cut > before.len() {
            assert!(!report["torn_tail"].is_null(), "cut at {cut}: {report}");
        }
        let out = run_at(&env, &at(20), &["sweep"]);
        assert!(out.status.success(), "cut at {cut}: {}", stderr(&out));
        let swept = lines(&env)[n..].to_vec();
        assert_eq!(
            batch_events(&swept),
            expected,
            "cut at {cut}: every action and notification exactly once"
        );
        assert!(verify_ok(&env)["torn_tail"].is_null());
    }
}

#[test]
fn a_sweep_killed_mid_write_loses_no_notification() {
    let Some(shim) = shim() else { return };
    let env = env();
    let (before, after, expected) = before_and_after_sweep(&env);
    let ledger = ledger_path(&env);
    let batch = after.len() - before.len();
    for offset in [1, batch / 4, batch / 2, batch - 1] {
        fs::write(env.path("ledger.jsonl"), &before).expect("restore");
        let cut = before.len() + offset;
        let faults = [
            ("ESC_FAULT_KILL_PATH", ledger.display().to_string()),
            ("ESC_FAULT_KILL_AT", cut.to_string()),
        ];
        let out = run_faulty(&env, &shim, &at(20), &faults, &["sweep"]);
        assert_eq!(out.status.signal(), Some(9), "killed at byte {cut}");
        let report = verify_ok(&env);
        assert_eq!(
            report["events"], 2,
            "nothing of the cut batch is data: {report}"
        );
        let out = run_at(&env, &at(20), &["sweep"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(
            batch_events(&lines(&env)[2..]),
            expected,
            "killed at byte {cut}"
        );
    }
}

#[test]
fn a_failed_directory_sync_of_a_new_ledger_writes_no_event_so_a_retry_opens_one_case() {
    let Some(shim) = shim() else { return };
    let env = env();
    let faults = [("ESC_FAULT_FSYNC", "dirs".to_string())];
    let out = run_faulty(&env, &shim, NOW, &faults, &["open", "First"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        stderr(&out).contains("sync the directory"),
        "{}",
        stderr(&out)
    );
    assert!(
        lines(&env).is_empty(),
        "no event was written before the directory was durable"
    );
    assert_eq!(case_ids(&env), Vec::<String>::new());
    let out = run(&env, &["open", "First"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        case_ids(&env),
        ["ESC-1"],
        "the retry opens exactly one case"
    );
    verify_ok(&env);
}

#[test]
fn a_failed_file_sync_is_a_failure_and_leaves_the_ledger_as_it_was() {
    let Some(shim) = shim() else { return };
    let env = env();
    ok_at(&env, NOW, &["open", "First"]);
    let before = bytes(&env);
    let faults = [("ESC_FAULT_FSYNC", "files".to_string())];
    let out = run_faulty(&env, &shim, NOW, &faults, &["note", "1", "lost?"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        stderr(&out).contains("Input/output error"),
        "{}",
        stderr(&out)
    );
    assert_eq!(bytes(&env), before);
}

#[test]
fn a_sweep_whose_delivery_record_fails_still_prints_what_it_recorded() {
    let Some(shim) = shim() else { return };
    let env = env_with_notify();
    ok_at(&env, NOW, &["open", "Checkout down", "--severity", "sev1"]);
    // The first sync (the sweep's batch) succeeds, the next (a delivery record) fails.
    let faults = [
        ("ESC_FAULT_FSYNC", "files".to_string()),
        ("ESC_FAULT_FSYNC_AFTER", "1".to_string()),
    ];
    let out = run_faulty(&env, &shim, &at(20), &faults, &["sweep"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let printed = stdout(&out);
    assert!(
        printed.contains("escalated on technical"),
        "stdout: {printed}"
    );
    assert!(printed.contains("breach"), "stdout: {printed}");
    assert!(
        stderr(&out).contains("recorded the actions it printed"),
        "{}",
        stderr(&out)
    );
    let recorded = lines(&env);
    assert!(recorded.iter().any(|e| e["event"] == "escalated"));
    assert!(
        !recorded
            .iter()
            .any(|e| e["event"] == "notification_delivered")
    );
    // The next sweep delivers everything still queued; nothing is lost.
    let out = run_at(&env, &at(21), &["--json", "sweep"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let queued = lines(&env)
        .iter()
        .filter(|e| e["event"] == "notification_queued")
        .count();
    // Every queued notification reached an end: delivered, or (a warning whose breach came
    // in the same sweep) superseded.
    let ended = lines(&env)
        .iter()
        .filter(|e| e["event"] == "notification_delivered" || e["event"] == "notification_ended")
        .count();
    assert_eq!(
        queued, ended,
        "every queued notification delivered or ended"
    );
    verify_ok(&env);
}

#[test]
fn eight_writers_on_the_real_clock_all_succeed() {
    let env = env();
    // No ESC_NOW: every command reads the clock, the writers under the lock.
    let real = |args: &[&str]| env.esc(args).env_remove("ESC_NOW").output().expect("run");
    let out = real(&["open", "Shared case"]);
    assert!(out.status.success(), "{}", stderr(&out));
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|w| {
                let real = &real;
                s.spawn(move || {
                    for i in 0..5 {
                        let out = real(&["note", "1", &format!("writer {w} note {i}")]);
                        assert!(
                            out.status.success(),
                            "writer {w} note {i}: {}",
                            stderr(&out)
                        );
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().expect("writer");
        }
    });
    let events = lines(&env);
    assert_eq!(events.len(), 41);
    let report = verify_ok(&env);
    assert_eq!(report["events"], 41);
}

#[test]
fn deleting_the_lock_file_under_writers_never_lets_two_in() {
    let env = env();
    ok_at(&env, NOW, &["open", "First"]);
    let lock = env.path("ledger.jsonl.lock");
    let done = std::sync::atomic::AtomicBool::new(false);
    let failures: Vec<String> = std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = fs::remove_file(&lock);
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        });
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let env = &env;
                s.spawn(move || {
                    (0..12)
                        .map(|i| run(env, &["open", &format!("writer {w} case {i}")]))
                        .filter(|out| !out.status.success())
                        .map(|out| stderr(&out))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let failures = writers
            .into_iter()
            .flat_map(|w| {
                w.join()
                    .unwrap_or_else(|_| vec!["a writer thread panicked".into()])
            })
            .collect();
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        failures
    });
    assert_eq!(failures, Vec::<String>::new(), "every writer succeeds");
    let events = lines(&env);
    let seqs: Vec<u64> = events
        .iter()
        .map(|e| e["seq"].as_u64().expect("seq"))
        .collect();
    assert_eq!(
        seqs,
        (1..=49).collect::<Vec<_>>(),
        "gap-free, no duplicate seq"
    );
    let ids: HashSet<&str> = events
        .iter()
        .map(|e| e["case"].as_str().expect("case"))
        .collect();
    assert_eq!(ids.len(), 49, "every case number given once");
    verify_ok(&env);
}

#[test]
fn a_forged_or_stale_checkpoint_is_ignored() {
    let env = env();
    ok_at(&env, NOW, &["open", "First"]);
    ok_at(&env, NOW, &["open", "Second"]);
    let idx = env.path("ledger.jsonl.idx");
    let genuine: Value = serde_json::from_slice(&fs::read(&idx).expect("idx")).expect("json");
    assert_eq!(genuine["last_seq"], 2);

    // last_seq and max_case lowered: `open` would reuse ESC-1 and seq 1 if it believed them.
    let mut forged = genuine.clone();
    forged["last_seq"] = 0.into();
    forged["max_case"] = 0.into();
    fs::write(&idx, forged.to_string()).expect("forge");
    assert_eq!(ok_at(&env, NOW, &["open", "Third"])["id"], "ESC-3");
    let seqs: Vec<u64> = lines(&env)
        .iter()
        .map(|e| e["seq"].as_u64().expect("seq"))
        .collect();
    assert_eq!(seqs, [1, 2, 3]);

    // valid_len lowered: the next append would cut the last event into `.torn`.
    let genuine: Value = serde_json::from_slice(&fs::read(&idx).expect("idx")).expect("json");
    let mut forged = genuine.clone();
    let len = forged["valid_len"].as_u64().expect("valid_len");
    forged["valid_len"] = (len - 40).into();
    fs::write(&idx, forged.to_string()).expect("forge");
    ok_at(&env, NOW, &["note", "3", "still here"]);
    assert!(!env.path("ledger.jsonl.torn").exists(), "nothing was cut");
    let report = verify_ok(&env);
    assert_eq!(
        (report["events"].as_u64(), report["cases"].as_u64()),
        (Some(4), Some(3))
    );
    assert!(report["torn_tail"].is_null());

    // A checkpoint left from another state of the file (a stale copy) is ignored too.
    let stale = fs::read(&idx).expect("idx");
    ok_at(&env, NOW, &["open", "Fourth"]);
    fs::write(&idx, stale).expect("stale");
    assert_eq!(ok_at(&env, NOW, &["open", "Fifth"])["id"], "ESC-5");
    verify_ok(&env);
}

#[test]
fn links_beside_the_ledger_are_never_followed() {
    use std::os::unix::fs::symlink;
    let env = env();
    ok_at(&env, NOW, &["open", "First"]);
    // A torn tail, and `.torn` a link to a victim file.
    let victim = env.write("victim.txt", "precious\n");
    let mut torn = bytes(&env);
    torn.extend_from_slice(br#"{"seq":2,"at":"2026-11"#);
    fs::write(env.path("ledger.jsonl"), &torn).expect("torn");
    symlink(&victim, env.path("ledger.jsonl.torn")).expect("link");
    let out = run(&env, &["note", "1", "x"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(&victim).expect("victim"), "precious\n");
    assert_eq!(bytes(&env), torn);
    fs::remove_file(env.path("ledger.jsonl.torn")).expect("unlink");
    ok_at(&env, NOW, &["note", "1", "x"]);

    // `.lock` a link to a place where no file should appear.
    fs::remove_file(env.path("ledger.jsonl.lock")).expect("unlink lock");
    let target = env.path("created-by-link");
    symlink(&target, env.path("ledger.jsonl.lock")).expect("link");
    let before = bytes(&env);
    let out = run(&env, &["note", "1", "y"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
    assert!(!target.exists(), "no file created through the link");
    assert_eq!(bytes(&env), before);
    fs::remove_file(env.path("ledger.jsonl.lock")).expect("unlink");

    // `.idx` a link to a forged checkpoint: not read.
    let idx = env.path("ledger.jsonl.idx");
    let mut forged: Value = serde_json::from_slice(&fs::read(&idx).expect("idx")).expect("json");
    forged["max_case"] = 0.into();
    forged["last_seq"] = 0.into();
    let elsewhere = env.write("elsewhere.idx", &forged.to_string());
    fs::remove_file(&idx).expect("unlink idx");
    symlink(&elsewhere, &idx).expect("link");
    assert_eq!(ok_at(&env, NOW, &["open", "Second"])["id"], "ESC-2");
    verify_ok(&env);
}

#[test]
fn a_ledger_that_is_not_a_regular_file_is_refused_at_once() {
    let env = env();
    let fifo = env.path("fifo.jsonl");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    let mut paths: Vec<(PathBuf, &str)> = vec![
        (PathBuf::from("/dev/zero"), "a device"),
        (env.dir.path().to_owned(), "directory"),
    ];
    if made.is_ok_and(|s| s.success()) {
        paths.push((fifo, "FIFO"));
    } else {
        eprintln!("notice: mkfifo failed; the FIFO case is skipped");
    }
    for (path, what) in paths {
        for args in [&["list"][..], &["open", "x"], &["ledger", "verify"]] {
            // A hang is the bug; the generous limit only keeps a broken build from
            // blocking the suite forever (a killed esc fails the exit-code check below).
            let out = env
                .esc(args)
                .env("ESC_LEDGER", &path)
                .timeout(std::time::Duration::from_secs(60))
                .output()
                .expect("run");
            let status = out.status;
            assert_eq!(status.code(), Some(1), "{args:?} {}", path.display());
            let err = stderr(&out);
            assert!(err.contains(what), "{args:?} {}: {err}", path.display());
        }
    }
}

/// A ledger with ESC-1 opened at 09:00 and noted at 09:10, then `line` appended (built
/// from the note line by `edit`).
fn ledger_with(env: &TestEnv, edit: impl Fn(&mut Value)) -> Vec<u8> {
    let _ = fs::remove_file(env.path("ledger.jsonl"));
    let _ = fs::remove_file(env.path("ledger.jsonl.idx"));
    ok_at(env, NOW, &["open", "First"]);
    ok_at(env, &at(10), &["note", "1", "checked"]);
    let mut line = lines(env)[1].clone();
    line["seq"] = 3.into();
    line["at"] = at(20).into();
    edit(&mut line);
    let mut all = bytes(env);
    all.extend_from_slice(line.to_string().as_bytes());
    all.push(b'\n');
    fs::write(env.path("ledger.jsonl"), &all).expect("write");
    all
}

/// A change to one ledger line.
type Edit = Box<dyn Fn(&mut Value)>;

#[test]
fn verify_names_damage_that_commands_would_act_on_and_writers_refuse_it() {
    let env = env();
    let cases: [(&str, Edit); 7] = [
        ("time goes backwards", Box::new(|l| l["at"] = at(5).into())),
        ("ESC-0", Box::new(|l| l["case"] = "ESC-0".into())),
        ("ESC-01", Box::new(|l| l["case"] = "ESC-01".into())),
        ("\\u{1b}", Box::new(|l| l["case"] = "ESC-1\u{1b}[2J".into())),
        (
            "beyond the highest case number",
            Box::new(|l| l["case"] = "ESC-18446744073709551615".into()),
        ),
        ("never opened", Box::new(|l| l["case"] = "ESC-7".into())),
        (
            "opened a second time",
            Box::new(|l| {
                *l = serde_json::json!({"seq": 3, "at": at(20), "actor": "x", "case": "ESC-1",
                    "step": "open", "event": "opened", "title": "again", "severity": "sev4",
                    "type": "technical", "path": "technical", "tier": "L1", "owner": "ana"});
            }),
        ),
    ];
    for (expected, edit) in cases {
        let damaged = ledger_with(&env, edit);
        let out = run(&env, &["--json", "ledger", "verify"]);
        assert_eq!(out.status.code(), Some(1), "{expected}: {}", stdout(&out));
        let report: Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(report["problems"][0]["line"], 4, "{expected}: {report}");
        let message = report["problems"][0]["message"].as_str().expect("message");
        assert!(message.contains(expected), "{expected}: {message}");
        for args in [
            &["open", "new"][..],
            &["note", "1", "more"],
            &["sweep"],
            &["list"],
        ] {
            let out = run_at(&env, &at(30), args);
            assert_eq!(
                out.status.code(),
                Some(1),
                "{expected}: {args:?} must refuse"
            );
            assert!(
                stderr(&out).contains("line 4"),
                "{expected}: {}",
                stderr(&out)
            );
            assert_eq!(bytes(&env), damaged, "{expected}: {args:?} wrote nothing");
        }
    }
}

#[test]
fn open_refuses_past_the_highest_case_number() {
    let env = env();
    let highest = 1_000_000_000_000_000_u64;
    let ledger = ledger_with(&env, |l| {
        *l = serde_json::json!({"seq": 3, "at": at(20), "actor": "x", "case": format!("ESC-{highest}"),
            "step": "open", "event": "opened", "title": "last", "severity": "sev4",
            "type": "technical", "path": "technical", "tier": "L1", "owner": "ana"});
    });
    verify_ok(&env);
    let out = run_at(&env, &at(30), &["open", "one too many"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("highest case number"),
        "{}",
        stderr(&out)
    );
    assert_eq!(bytes(&env), ledger);
    ok_at(
        &env,
        &at(30),
        &["note", &highest.to_string(), "still works"],
    );
}

#[test]
fn future_now_is_refused_for_writes_and_sweep_skips_cases_ahead_of_now() {
    let env = env();
    ok_at(&env, NOW, &["open", "First"]);
    let before = bytes(&env);
    // Without ESC_ALLOW_FUTURE (the test environment sets it), 2099 is refused.
    let out = env
        .esc(&["note", "1", "from the future"])
        .env("ESC_NOW", "2099-01-01T00:00:00Z")
        .env_remove("ESC_ALLOW_FUTURE")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--allow-future"), "{}", stderr(&out));
    assert_eq!(bytes(&env), before);
    // Reading at a future time (a what-if) is fine.
    let out = env
        .esc(&["list"])
        .env("ESC_NOW", "2099-01-01T00:00:00Z")
        .env_remove("ESC_ALLOW_FUTURE")
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));

    // A case noted at 09:30; a sweep at 09:20 skips and reports it, writing nothing.
    ok_at(&env, &at(30), &["note", "1", "later"]);
    ok_at(&env, NOW, &["open", "Second", "--severity", "sev1"]);
    let n = lines(&env).len();
    let swept = ok_at(&env, &at(20), &["sweep"]);
    assert_eq!(swept["skipped"][0]["case"], "ESC-1", "{swept}");
    assert_eq!(swept["skipped"].as_array().map(Vec::len), Some(1));
    let written = &lines(&env)[n..];
    assert!(!written.is_empty());
    assert!(written.iter().all(|e| e["case"] == "ESC-2"), "{written:?}");
    let human = stdout(&run_at(&env, &at(20), &["sweep"]));
    assert!(
        human.contains("ESC-1    skipped: its last event"),
        "{human}"
    );
    verify_ok(&env);
}
