//! `esc import FILE`: JSON Lines and CSV, all or nothing, numbering after existing cases.

mod common;

use common::{TestEnv, repo_file};
use serde_json::Value;

const POLICY: &str = "tests/fixtures/spec-excerpt.toml";

fn env() -> TestEnv {
    TestEnv::with_policy_file(POLICY)
}

/// Copy a fixture of `tests/fixtures/import/` into the env; returns its name there.
fn fixture(env: &TestEnv, name: &str) -> String {
    let text = std::fs::read_to_string(repo_file(&format!("tests/fixtures/import/{name}")))
        .expect("fixture");
    env.write(name, &text);
    name.to_string()
}

fn stdout(env: &TestEnv, args: &[&str]) -> String {
    let out = env.esc(args).output().expect("run");
    assert!(
        out.status.success(),
        "esc {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf8")
}

fn event_names(case: &Value) -> Vec<String> {
    case["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["event"].as_str().expect("event name").to_string())
        .collect()
}

#[test]
fn json_lines_import_creates_the_cases() {
    let env = env();
    let file = fixture(&env, "cases.jsonl");
    assert_eq!(
        stdout(&env, &["import", &file]),
        "imported 3 cases (ESC-1 … ESC-3)\n"
    );

    let list = env.json(&["list", "--all"]);
    let mut ids: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    ids.sort();
    assert_eq!(ids, ["ESC-1", "ESC-2", "ESC-3"]);

    let one = env.json(&["show", "ESC-1"]);
    assert_eq!(one["title"], "Invoice shows wrong VAT");
    assert_eq!(one["severity"], "sev2");
    assert_eq!(one["type"], "billing");
    assert_eq!(one["status"], "open");
    assert_eq!(one["account"], "acme");
    assert_eq!(one["reporter"], "rita@acme.example");
    assert_eq!(one["channel"], "email");
    assert_eq!(one["labels"], serde_json::json!(["vat", "invoice"]));
    assert_eq!(one["levels"]["technical"], "L1");
    assert_eq!(one["owner"], "ana");
    assert_eq!(one["opened_at"], "2026-11-20T10:00:00Z");
    assert_eq!(one["acknowledged_at"], Value::Null);
    assert_eq!(event_names(&one), ["opened"]);
    assert_eq!(one["events"][0]["actor"], "tester");
    assert_eq!(one["events"][0]["at"], "2026-11-20T10:00:00Z");

    let two = env.json(&["show", "esc-2"]);
    assert_eq!(two["status"], "acknowledged");
    assert_eq!(two["levels"]["technical"], "L2");
    // L2 belongs to the weekly engineer rotation: carl is on duty in the week of 16 Nov 2026.
    assert_eq!(two["owner"], "carl");
    assert_eq!(two["opened_at"], "2026-11-20T08:00:00Z");
    assert_eq!(two["acknowledged_at"], "2026-11-20T08:10:00Z");
    assert_eq!(two["escalations"], 1);
    assert_eq!(event_names(&two), ["opened", "escalated", "acknowledged"]);
    assert_eq!(two["events"][1]["reason"], "imported");
    assert_eq!(two["events"][1]["from"], "L1");
    assert_eq!(two["events"][1]["to"], "L2");

    let three = env.json(&["show", "3"]);
    assert_eq!(three["status"], "closed");
    assert_eq!(three["type"], "complaint");
    assert_eq!(three["acknowledged_at"], "2026-11-10T11:00:00Z");
    assert_eq!(three["resolved_at"], "2026-11-12T15:00:00Z");
    assert_eq!(three["closed_at"], "2026-11-13T09:00:00Z");
    assert_eq!(three["resolution"], "refund re-issued");
    assert_eq!(
        event_names(&three),
        ["opened", "acknowledged", "resolved", "closed"]
    );

    // Closed cases are left out of a plain list.
    assert_eq!(env.json(&["list"]).as_array().expect("array").len(), 2);
    env.esc(&["ledger", "verify"]).assert().success();
}

#[test]
fn csv_import_creates_the_cases() {
    let env = env();
    let file = fixture(&env, "cases.csv");
    let summary = env.json(&["import", &file]);
    assert_eq!(
        summary,
        serde_json::json!({"imported": 3, "skipped": 0, "first": "ESC-1", "last": "ESC-3"})
    );

    let one = env.json(&["show", "ESC-1"]);
    assert_eq!(one["title"], "Export to Excel, broken");
    assert_eq!(one["status"], "acknowledged");
    assert_eq!(one["levels"]["technical"], "L2");
    assert_eq!(one["owner"], "carl");
    assert_eq!(one["labels"], serde_json::json!(["export", "excel"]));
    assert_eq!(one["opened_at"], "2026-11-16T09:30:00Z");
    assert_eq!(one["acknowledged_at"], "2026-11-16T10:00:00Z");

    let two = env.json(&["show", "ESC-2"]);
    // Empty severity and type take the policy's defaults.
    assert_eq!(two["severity"], "sev3");
    assert_eq!(two["type"], "technical");
    assert_eq!(two["account"], Value::Null);
    assert_eq!(two["channel"], "chat");
    assert_eq!(two["labels"], serde_json::json!(["auth", "login"]));
    assert_eq!(two["status"], "resolved");
    // Times are stored in UTC.
    assert_eq!(two["opened_at"], "2026-11-19T13:00:00Z");
    assert_eq!(two["acknowledged_at"], Value::Null);
    assert_eq!(two["resolved_at"], "2026-11-19T16:00:00Z");
    assert_eq!(two["resolution"], "imported");
    assert_eq!(two["levels"]["technical"], "L1");
    assert_eq!(two["owner"], "ana");

    let three = env.json(&["show", "ESC-3"]);
    assert_eq!(three["status"], "closed");
    assert_eq!(three["closed_at"], "2026-11-04T09:00:00Z");
    assert_eq!(three["labels"], serde_json::json!([]));

    let all = env.json(&["list", "--all"]);
    assert_eq!(all.as_array().expect("array").len(), 3);
}

#[test]
fn numbering_continues_after_existing_cases() {
    let env = env();
    env.esc(&["open", "Already here"]).assert().success();
    env.esc(&["open", "Also here"]).assert().success();
    let file = fixture(&env, "cases.jsonl");
    assert_eq!(
        stdout(&env, &["import", &file]),
        "imported 3 cases (ESC-3 … ESC-5)\n"
    );
    let csv = fixture(&env, "cases.csv");
    assert_eq!(
        stdout(&env, &["import", &csv]),
        "imported 3 cases (ESC-6 … ESC-8)\n"
    );
    assert_eq!(env.json(&["show", "ESC-1"])["title"], "Already here");
    assert_eq!(
        env.json(&["show", "ESC-3"])["title"],
        "Invoice shows wrong VAT"
    );
    assert_eq!(env.json(&["show", "ESC-8"])["title"], "Slow dashboard");
    let all = env.json(&["list", "--all"]);
    assert_eq!(all.as_array().expect("array").len(), 8);
    // Commands work on imported cases.
    env.esc(&["ack", "ESC-3"]).assert().success();
    assert_eq!(env.json(&["show", "ESC-3"])["status"], "acknowledged");
    env.esc(&["ledger", "verify"]).assert().success();
}

const GOOD_1: &str = r#"{"title": "First", "opened_at": "2026-11-20T10:00:00Z"}"#;
const GOOD_4: &str = r#"{"title": "Fourth", "severity": "sev1", "opened_at": "2026-11-20T11:00:00Z", "acknowledged_at": "2026-11-20T11:05:00Z"}"#;

/// A JSON Lines file whose line 3 is `bad` (line 2 is blank).
fn with_bad_line(bad: &str) -> String {
    format!("{GOOD_1}\n\n{bad}\n{GOOD_4}\n")
}

/// (bad line 3, field named, words in the message)
const BAD_RECORDS: [(&str, &str, &str); 6] = [
    (
        r#"{"title": "Bad", "severity": "sev9", "opened_at": "2026-11-20T10:00:00Z"}"#,
        "severity",
        r#"unknown severity "sev9"; the policy has sev1, sev2, sev3"#,
    ),
    (
        r#"{"title": "Bad", "opened_at": "20/11/2026 10:00"}"#,
        "opened_at",
        "is not an RFC 3339 time",
    ),
    (
        r#"{"title": "Bad", "opened_at": "2026-11-20T10:00:00Z", "resolved_at": "2026-11-19T10:00:00Z"}"#,
        "resolved_at",
        "is before opened_at",
    ),
    (
        r#"{"title": "Bad", "opened_at": "2026-11-20T10:00:00Z", "priority": "high"}"#,
        "priority",
        "unknown field",
    ),
    (
        r#"{"opened_at": "2026-11-20T10:00:00Z", "severity": "sev2"}"#,
        "title",
        "every case needs a title",
    ),
    (
        r#"{"title": "", "opened_at": "2026-11-20T10:00:00Z"}"#,
        "title",
        "missing",
    ),
];

fn assert_refused(env: &TestEnv, file: &str, line_and_field: &str, words: &str) {
    let out = env.esc(&["import", file]).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{file}: {stderr}");
    assert!(
        out.stdout.is_empty(),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(stderr.contains(line_and_field), "{file}: {stderr}");
    assert!(stderr.contains(words), "{file}: {stderr}");
    assert!(stderr.contains("nothing was imported"), "{stderr}");
}

#[test]
fn a_bad_record_imports_nothing_and_leaves_the_ledger_byte_for_byte() {
    let env = env();
    env.esc(&["open", "Existing case"]).assert().success();
    let before = env.ledger_bytes().expect("ledger");
    for (i, (bad, field, words)) in BAD_RECORDS.iter().enumerate() {
        let file = format!("bad-{i}.jsonl");
        env.write(&file, &with_bad_line(bad));
        assert_refused(&env, &file, &format!("line 3, field {field}: "), words);
        assert_eq!(env.ledger_bytes().expect("ledger"), before, "{file}");
    }
    let csv = fixture(&env, "bad-severity.csv");
    assert_refused(&env, &csv, "line 3, field severity: ", "sev9");
    assert_eq!(env.ledger_bytes().expect("ledger"), before);

    // The same files without their bad line import fine, numbered after the existing case.
    env.write("good.jsonl", &format!("{GOOD_1}\n{GOOD_4}\n"));
    assert_eq!(
        stdout(&env, &["import", "good.jsonl"]),
        "imported 2 cases (ESC-2 … ESC-3)\n"
    );
}

#[test]
fn a_bad_record_creates_no_ledger() {
    let env = env();
    for (i, (bad, field, words)) in BAD_RECORDS.iter().enumerate() {
        let file = format!("bad-{i}.jsonl");
        env.write(&file, &with_bad_line(bad));
        assert_refused(&env, &file, &format!("line 3, field {field}: "), words);
        assert!(env.ledger_bytes().is_none(), "{file} created the ledger");
    }
    let csv = fixture(&env, "bad-severity.csv");
    assert_refused(&env, &csv, "line 3, field severity: ", "sev9");
    assert!(env.ledger_bytes().is_none());
    assert!(!env.path("ledger.jsonl.lock").exists());
}

#[test]
fn every_problem_is_listed() {
    let env = env();
    env.write(
        "many.csv",
        "title,severity,opened_at,closed_at\n\
         ,sev1,2026-11-20T10:00:00Z,\n\
         ok,sev1,2026-11-20T10:00:00Z,\n\
         late,sev2,2027-01-01T00:00:00Z,\n\
         shut,sev2,2026-11-20T10:00:00Z,2026-11-21T10:00:00Z\n",
    );
    let out = env.esc(&["import", "many.csv"]).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("3 problems in 3 records"), "{stderr}");
    assert!(stderr.contains("line 2, field title: missing"), "{stderr}");
    assert!(stderr.contains("line 4, field opened_at: "), "{stderr}");
    assert!(stderr.contains("later than now"), "{stderr}");
    assert!(stderr.contains("line 5, field closed_at: "), "{stderr}");
    assert!(stderr.contains("needs resolved_at"), "{stderr}");
    assert!(env.ledger_bytes().is_none());
}

#[test]
fn unknown_csv_columns_are_refused_on_the_header_line() {
    let env = env();
    env.write(
        "cols.csv",
        "Title,Opened At,Sevrity\nA,2026-11-20T10:00:00Z,sev1\n",
    );
    assert_refused(
        &env,
        "cols.csv",
        "line 1, field Sevrity: unknown field",
        "did you mean severity?",
    );
    assert!(env.ledger_bytes().is_none());
}

#[test]
fn an_empty_file_imports_nothing() {
    let env = env();
    env.write("empty.jsonl", "\n\n");
    assert_eq!(
        stdout(&env, &["import", "empty.jsonl"]),
        "nothing to import: empty.jsonl has no records\n"
    );
    env.write("empty.csv", "title,opened_at\n");
    assert_eq!(
        env.json(&["import", "empty.csv"]),
        serde_json::json!({"imported": 0, "skipped": 0, "first": null, "last": null})
    );
    assert!(env.ledger_bytes().is_none());
}

#[test]
fn quiet_prints_nothing() {
    let env = env();
    let file = fixture(&env, "cases.jsonl");
    assert_eq!(stdout(&env, &["--quiet", "import", &file]), "");
    assert_eq!(
        env.json(&["list", "--all"])
            .as_array()
            .expect("array")
            .len(),
        3
    );
}

#[test]
fn a_missing_file_is_an_error() {
    let env = env();
    let out = env.esc(&["import", "nope.csv"]).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read nope.csv"));
}

#[test]
fn two_thousand_records_in_one_append() {
    let env = env();
    env.esc(&["open", "Existing case"]).assert().success();
    // The open and the notifications it queued.
    let before = env.json(&["ledger", "verify"])["events"].as_u64().unwrap();
    let mut text = String::new();
    for i in 0..2000 {
        let minute = i % 60;
        let hour = 8 + (i / 60) % 12;
        let day = 1 + i / 720;
        let line = match i % 4 {
            0 => format!(
                r#"{{"title": "Case {i}", "severity": "sev3", "opened_at": "2026-11-{day:02}T{hour:02}:{minute:02}:00Z"}}"#
            ),
            1 => format!(
                r#"{{"title": "Case {i}", "severity": "sev2", "labels": ["bulk"], "opened_at": "2026-11-{day:02}T{hour:02}:{minute:02}:00Z", "acknowledged_at": "2026-11-{day:02}T{hour:02}:{minute:02}:30Z", "tier": "L2"}}"#
            ),
            2 => format!(
                r#"{{"title": "Case {i}", "severity": "sev1", "opened_at": "2026-11-{day:02}T{hour:02}:{minute:02}:00Z", "resolved_at": "2026-11-{day:02}T{hour:02}:{minute:02}:45Z"}}"#
            ),
            _ => format!(
                r#"{{"title": "Case {i}", "type": "billing", "opened_at": "2026-11-{day:02}T{hour:02}:{minute:02}:00Z", "acknowledged_at": "2026-11-{day:02}T{hour:02}:{minute:02}:10Z", "resolved_at": "2026-11-{day:02}T{hour:02}:{minute:02}:20Z", "closed_at": "2026-11-{day:02}T{hour:02}:{minute:02}:30Z"}}"#
            ),
        };
        text.push_str(&line);
        text.push('\n');
    }
    env.write("bulk.jsonl", &text);
    assert_eq!(
        stdout(&env, &["import", "bulk.jsonl"]),
        "imported 2000 cases (ESC-2 … ESC-2001)\n"
    );
    env.esc(&["ledger", "verify"]).assert().success();
    let report = env.json(&["ledger", "verify"]);
    assert_eq!(report["ok"], true);
    assert_eq!(report["cases"], 2001);
    // 500 × (1 + 3 + 2 + 4) events; an import tells nobody (the cases are history).
    assert_eq!(report["events"], before + 5000);
    let all = env.json(&["list", "--all"]);
    let all = all.as_array().expect("array");
    assert_eq!(all.len(), 2001);
    let case = |id: &str| {
        all.iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("{id} listed"))
    };
    assert_eq!(case("ESC-2001")["title"], "Case 1999");
    assert_eq!(case("ESC-2001")["status"], "closed");
    assert_eq!(case("ESC-3")["title"], "Case 1");
    assert_eq!(case("ESC-3")["status"], "acknowledged");
    assert_eq!(case("ESC-3")["levels"]["technical"], "L2");
    assert_eq!(case("ESC-4")["status"], "resolved");
    // One append: the new lines' seq numbers follow the existing event without a gap.
    let ledger = env.ledger_text();
    assert_eq!(ledger.lines().count() as u64, 1 + before + 5000);
}
