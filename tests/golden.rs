//! Golden outputs of the whole-ledger commands: `esc --json list`, every `esc --json report`
//! and `esc --json sweep --dry-run` over a generated ledger, compared byte for byte with what
//! the code printed before the whole-ledger commands were made fast (issue 12). See
//! `tests/fixtures/golden/README.md` for how the files were made and what may change them.
//!
//! `ESC_GOLDEN_UPDATE=1 cargo test --test golden` rewrites the expected files from the
//! current binary (then review the diff: every change must be explained in the README).

mod common;

use common::{TestEnv, repo_file};
use std::path::PathBuf;

/// `now` for every command: an hour after the ledger's last event.
const NOW: &str = "2026-02-09T17:30:00Z";

/// (expected file, arguments).
const COMMANDS: [(&str, &[&str]); 14] = [
    ("list.json", &["--json", "list"]),
    ("list-all.json", &["--json", "list", "--all"]),
    ("report-breaches.json", &["--json", "report", "breaches"]),
    ("report-sla.json", &["--json", "report", "sla"]),
    (
        "report-sla-by-tier.json",
        &["--json", "report", "sla", "--by", "tier"],
    ),
    ("report-trends.json", &["--json", "report", "trends"]),
    ("report-reviews.json", &["--json", "report", "reviews"]),
    ("report-triggers.json", &["--json", "report", "triggers"]),
    (
        "report-escalations.json",
        &["--json", "report", "escalations"],
    ),
    (
        "report-escalations-since.json",
        &["--json", "report", "escalations", "--since", "2w"],
    ),
    ("report-desk.json", &["--json", "report", "desk"]),
    (
        "report-desk-by-tier-every-day.json",
        &["--json", "report", "desk", "--by", "tier", "--every", "day"],
    ),
    ("sweep-dry-run.json", &["--json", "sweep", "--dry-run"]),
    (
        "sweep-dry-run-quiet.txt",
        &["--quiet", "sweep", "--dry-run"],
    ),
];

fn golden(name: &str) -> PathBuf {
    repo_file("tests/fixtures/golden").join(name)
}

/// A test environment holding a copy of the golden ledger and its policy.
fn env() -> TestEnv {
    let env = TestEnv::with_policy_file("tests/fixtures/golden/policy.toml");
    let ledger = std::fs::read_to_string(golden("ledger.jsonl")).expect("golden ledger");
    env.write("ledger.jsonl", &ledger);
    env
}

#[test]
fn whole_ledger_outputs_match_the_golden_files() {
    // The golden ledger is a file fixture (the postgres run's copy of it is future work).
    if common::file_only("the golden ledger fixture") {
        return;
    }
    let env = env();
    let update = std::env::var_os("ESC_GOLDEN_UPDATE").is_some();
    let mut differ = Vec::new();
    for (file, args) in COMMANDS {
        let out = env.esc(args).env("ESC_NOW", NOW).output().expect("run esc");
        assert!(
            out.status.success(),
            "esc {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if update {
            std::fs::write(golden(file), &out.stdout).expect("write golden file");
            continue;
        }
        let expected = std::fs::read(golden(file)).expect("golden file");
        if out.stdout != expected {
            differ.push(format!(
                "esc {} differs from tests/fixtures/golden/{file}",
                args.join(" ")
            ));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

/// A ledger line without its `login` (the OS account that ran the test differs between
/// machines).
fn without_login(line: &str) -> String {
    let Some(start) = line.find(",\"login\":\"") else {
        return line.to_string();
    };
    let value = start + ",\"login\":\"".len();
    match line[value..].find('"') {
        Some(end) => format!("{}{}", &line[..start], &line[value + end + 1..]),
        None => line.to_string(),
    }
}

/// Runs `esc sweep` (with `ESC_SWEEP_BATCH` when given) over the golden ledger and returns
/// the lines it appended for what it planned, without the delivery results that follow.
fn sweep_planned(env: &TestEnv, batch: Option<&str>) -> Vec<String> {
    let before = env.read("ledger.jsonl").lines().count();
    let mut cmd = env.esc(&["--actor", "bench", "sweep"]);
    cmd.env("ESC_NOW", NOW);
    if let Some(batch) = batch {
        cmd.env("ESC_SWEEP_BATCH", batch);
    }
    // The delivery of the one pending notification fails (no notifier here): exit 1.
    cmd.assert().code(1);
    env.read("ledger.jsonl")
        .lines()
        .skip(before)
        .filter(|l| {
            !["delivered", "failed", "ended"]
                .iter()
                .any(|e| l.contains(&format!("\"event\":\"notification_{e}\"")))
        })
        .map(String::from)
        .collect()
}

#[test]
fn the_real_sweep_appends_what_it_always_did() {
    // The catch-up sweep now makes and appends its events a chunk at a time; over this
    // ledger (one chunk) it must write exactly the lines the old code wrote.
    if common::file_only("the golden ledger fixture") {
        return;
    }
    let env = env();
    let appended: Vec<String> = sweep_planned(&env, None)
        .iter()
        .map(|l| without_login(l))
        .collect();
    let expected = std::fs::read_to_string(golden("sweep-appended.jsonl")).expect("golden file");
    if std::env::var_os("ESC_GOLDEN_UPDATE").is_some() {
        std::fs::write(golden("sweep-appended.jsonl"), appended.join("\n") + "\n")
            .expect("write golden file");
        return;
    }
    assert_eq!(appended.len(), 411);
    assert!(
        appended.iter().zip(expected.lines()).all(|(a, b)| a == b)
            && expected.lines().count() == appended.len(),
        "the sweep appended other lines than tests/fixtures/golden/sweep-appended.jsonl"
    );
    // And only once: a second sweep plans nothing.
    env.esc(&["--quiet", "sweep", "--dry-run"])
        .env("ESC_NOW", NOW)
        .assert()
        .success()
        .stdout("0\n");
}

/// The lines a sweep appended, with `seq`, the batch marker and the login taken out, sorted
/// (a batched sweep orders cases differently; what is recorded must be the same).
fn recorded_events(lines: &[String]) -> Vec<String> {
    let mut out: Vec<String> = lines
        .iter()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).expect("a ledger line");
            let o = v.as_object_mut().expect("an object");
            // Keys keep their order (`remove` would move the last key into the gap).
            o.shift_remove("seq");
            o.shift_remove("more");
            o.shift_remove("login");
            v.to_string()
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_catch_up_in_small_batches_records_what_one_batch_does() {
    // ESC_SWEEP_BATCH=40: the 187 actions are planned without their events (kept only while
    // the plan has at most 40 actions), then made again and appended whole cases at a time.
    if common::file_only("the golden ledger fixture") {
        return;
    }
    let env = env();
    // Several batches: as many batch ends (lines without "more") as batches, at least 5.
    let planned = sweep_planned(&env, Some("40"));
    let ends = planned
        .iter()
        .filter(|l| !l.contains("\"more\":true"))
        .count();
    assert!(ends >= 5, "{ends} batches");
    let expected: Vec<String> = std::fs::read_to_string(golden("sweep-appended.jsonl"))
        .expect("golden file")
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(recorded_events(&planned), recorded_events(&expected));
    env.esc(&["ledger", "verify"]).assert().success();
    env.esc(&["--quiet", "sweep", "--dry-run"])
        .env("ESC_NOW", NOW)
        .assert()
        .success()
        .stdout("0\n");
    // A batch size that is not a positive number is refused before anything is written.
    let now = env.read("ledger.jsonl");
    env.esc(&["sweep"])
        .env("ESC_NOW", NOW)
        .env("ESC_SWEEP_BATCH", "0")
        .assert()
        .code(1)
        .stderr(predicates::str::contains("ESC_SWEEP_BATCH"));
    assert_eq!(env.read("ledger.jsonl"), now);
}

#[test]
fn the_golden_outputs_are_not_empty() {
    // The comparison above must compare something: the ledger has open, breached and closed
    // cases, and the sweep has work to plan.
    let list: serde_json::Value =
        serde_json::from_slice(&std::fs::read(golden("list.json")).expect("list.json"))
            .expect("json");
    assert!(list.as_array().is_some_and(|a| a.len() > 20));
    let breaches: serde_json::Value = serde_json::from_slice(
        &std::fs::read(golden("report-breaches.json")).expect("report-breaches.json"),
    )
    .expect("json");
    assert!(breaches["breached"].as_u64().is_some_and(|n| n > 0));
    let sweep: serde_json::Value = serde_json::from_slice(
        &std::fs::read(golden("sweep-dry-run.json")).expect("sweep-dry-run.json"),
    )
    .expect("json");
    let actions = sweep["actions"].as_array().map_or(0, Vec::len);
    assert!(actions > 10);
    // `--quiet` prints only the number of actions the dry run plans.
    let quiet = std::fs::read_to_string(golden("sweep-dry-run-quiet.txt")).expect("quiet");
    assert_eq!(quiet, format!("{actions}\n"));
}

#[test]
fn read_only_commands_create_no_files() {
    if common::file_only("files beside the ledger") {
        return;
    }
    let env = env();
    let read_only = |env: &TestEnv| {
        for (_, args) in COMMANDS {
            env.esc(args).env("ESC_NOW", NOW).assert().success();
        }
        env.esc(&["show", "ESC-1"])
            .env("ESC_NOW", NOW)
            .assert()
            .success();
    };
    let before = names(&env);
    read_only(&env);
    assert_eq!(names(&env), before, "a read-only command created a file");
    assert!(!env.dir.path().join("ledger.jsonl.cases").exists());
    // After a writer made the lock, the checkpoint and the case index, reads still create
    // nothing (and the index is only made by writers).
    env.esc(&["note", "ESC-1", "a writer"])
        .env("ESC_NOW", NOW)
        .assert()
        .success();
    let written = names(&env);
    assert!(
        written.contains(&"ledger.jsonl.cases".to_string()),
        "{written:?}"
    );
    read_only(&env);
    assert_eq!(names(&env), written, "a read-only command created a file");
}

fn names(env: &TestEnv) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(env.dir.path())
        .expect("read dir")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    v.sort();
    v
}

/// `list`, `report breaches` and the reports' per-case figures are worked out on several
/// threads once a ledger is large enough (clocks in parts of 2,048 cases or more, JSON in
/// chunks of 512 rows): over 5,000 cases — open, acknowledged and resolved, titles that
/// need escaping — every output is byte for byte what one thread (`ESC_THREADS=1`) prints.
#[test]
fn whole_ledger_outputs_on_several_threads_are_those_of_one() {
    let env = env();
    let severities = ["sev1", "sev2", "sev3"];
    let mut lines = String::new();
    for i in 0..5_000u32 {
        let opened = chrono::DateTime::parse_from_rfc3339("2026-02-01T08:00:00Z").expect("time")
            + chrono::TimeDelta::minutes(i64::from(i) * 2);
        let at = |minutes: i64| (opened + chrono::TimeDelta::minutes(minutes)).to_rfc3339();
        let mut record = serde_json::json!({
            "title": format!("Case {i} \"quoted\" — ünïcode\ttab"),
            "severity": severities[i as usize % 3],
            "opened_at": at(0),
        });
        if i % 4 == 1 {
            record["acknowledged_at"] = at(20).into();
        }
        if i % 4 == 2 {
            record["acknowledged_at"] = at(5).into();
            record["resolved_at"] = at(90).into();
        }
        lines.push_str(&format!("{record}\n"));
    }
    let file = env.write("many.jsonl", &lines);
    // The golden ledger's cases are there on the file backend only (a file fixture).
    let before = env.json(&["list", "--all"]).as_array().map_or(0, Vec::len);
    env.esc(&["import", file.to_str().expect("utf-8 path")])
        .env("ESC_NOW", "2026-02-09T17:29:00Z")
        .assert()
        .success();
    // (arguments, the least it prints): the lists are long, the reports a few rows.
    let commands: [(&[&str], usize); 12] = [
        (&["--json", "list"], 100_000),
        (&["--json", "list", "--all"], 100_000),
        (&["list", "--format", "csv", "--all"], 100_000),
        (&["--json", "report", "breaches"], 100_000),
        (&["report", "breaches", "--format", "csv"], 100_000),
        (
            &["--json", "list", "--severity", "sev2", "--breached"],
            100_000,
        ),
        (&["--json", "report", "sla"], 500),
        (&["--json", "report", "sla", "--by", "severity"], 500),
        (&["--json", "report", "trends"], 500),
        (&["--json", "report", "reviews", "--by", "severity"], 500),
        (
            &["--json", "report", "escalations", "--by", "severity"],
            500,
        ),
        (&["report", "sla", "--format", "csv", "--by", "tier"], 200),
    ];
    for (args, least) in commands {
        // assert_cmd's `success` shows the command's stderr when it fails.
        let run = |threads: &str| {
            env.esc(args)
                .env("ESC_NOW", NOW)
                .env("ESC_THREADS", threads)
                .assert()
                .success()
                .get_output()
                .stdout
                .clone()
        };
        let one = run("1");
        assert!(one.len() > least, "esc {args:?} printed little");
        for threads in ["2", "3"] {
            assert!(
                run(threads) == one,
                "esc {args:?} on {threads} threads differs from one thread"
            );
        }
    }
    let list = env.json(&["list", "--all"]);
    assert_eq!(list.as_array().map(Vec::len), Some(before + 5_000));
}

#[test]
fn esc_threads_must_be_a_positive_number() {
    let env = env();
    for bad in ["0", "many", "-2"] {
        env.esc(&["list"])
            .env("ESC_THREADS", bad)
            .assert()
            .failure()
            .code(1)
            .stderr(predicates::str::contains("ESC_THREADS"));
    }
}
