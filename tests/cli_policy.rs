//! `esc init`, policy and ledger discovery, `esc policy explain` and `esc policy schema`
//! through the binary.

mod common;

use common::{NOW, TestEnv, repo_file};
use std::os::unix::fs::PermissionsExt;

#[test]
fn init_writes_a_starter_that_passes_check_and_an_empty_ledger() {
    if common::file_only("the new ledger file") {
        return;
    }
    let env = TestEnv::new();
    env.esc(&["init", "team"]).assert().success();
    let policy = env.path("team/.esc/policy.toml");
    let ledger = env.path("team/.esc/ledger.jsonl");
    assert_eq!(
        std::fs::read_to_string(&ledger).unwrap(),
        "{\"esc_ledger\":1}\n"
    );
    let mode = std::fs::metadata(&ledger).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let out = env
        .esc(&["policy", "check", policy.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(std::fs::read_to_string(&policy).unwrap().contains("# "));
}

#[test]
fn init_never_overwrites() {
    let env = TestEnv::new();
    env.write("team/.esc/policy.toml", "mine");
    let out = env.esc(&["init", "team"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    assert_eq!(env.read("team/.esc/policy.toml"), "mine");
    assert!(!env.path("team/.esc/ledger.jsonl").exists());
}

#[test]
fn commands_find_the_policy_and_ledger_in_a_parent_directory() {
    let env = TestEnv::new();
    env.esc(&["init", "team"]).assert().success();
    std::fs::create_dir_all(env.path("team/sub/dir")).unwrap();
    // The starter lists its people (ana is an agent) and refuses unknown actors.
    let mut cmd = env.esc(&["--json", "--actor", "ana", "open", "Found it"]);
    cmd.env_remove("ESC_POLICY")
        .env_remove("ESC_LEDGER")
        .current_dir(env.path("team/sub/dir"));
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ledger = env.read("team/.esc/ledger.jsonl");
    assert!(ledger.contains("Found it"), "{ledger}");
}

#[test]
fn flags_win_over_environment_and_discovery() {
    let env = TestEnv::with_policy_file("tests/fixtures/spec-excerpt.toml");
    let other = env.path("other.jsonl");
    env.esc(&["--ledger", other.to_str().unwrap(), "open", "Elsewhere"])
        .assert()
        .success();
    assert!(
        std::fs::read_to_string(&other)
            .unwrap()
            .contains("Elsewhere")
    );
    assert!(!env.path("ledger.jsonl").exists());
}

#[test]
fn without_any_policy_the_error_says_how_to_get_one() {
    let env = TestEnv::new();
    let mut cmd = env.esc(&["list"]);
    cmd.env_remove("ESC_POLICY").env_remove("ESC_LEDGER");
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("esc init"), "{err}");
    assert!(
        err.contains("xdg-config"),
        "the config dir is searched: {err}"
    );
}

#[test]
fn a_broken_policy_stops_case_commands_with_its_first_problem() {
    let env = TestEnv::with_policy("version = 2\n");
    let out = env.esc(&["open", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("problem"), "{err}");
    assert!(err.contains("esc policy check"), "{err}");
    assert!(!env.path("ledger.jsonl").exists());
}

#[test]
fn explain_prints_every_table_and_triggers_in_plain_words() {
    let env = TestEnv::new();
    let spec = repo_file("tests/fixtures/spec-excerpt.toml");
    let out = env
        .esc(&["policy", "explain", spec.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for heading in [
        "Escalation matrix",
        "SLA targets",
        "Calendars",
        "RACI",
        &format!("Roles (on duty {})", &NOW[..10]),
        "Accounts and executive sponsors",
        "Major-incident roles and cards",
        "Triggers",
    ] {
        assert!(text.contains(heading), "missing {heading}:\n{text}");
    }
    assert!(text.contains(
        "when a sev1 case is unacknowledged for 10m: escalate on the management path and notify lead (once per case)"
    ));
    // Budgets and targets in hours, the office calendar described compactly.
    assert!(text.contains("40h"));
    assert!(text.contains("mon-fri 09:00-17:30"));
    // RACI resolved to people.
    assert!(text.contains("lead (fay)"));
}

#[test]
fn explain_shows_who_is_on_duty_by_the_date() {
    let env = TestEnv::new();
    let spec = repo_file("tests/fixtures/spec-excerpt.toml");
    let duty = |now: &str| {
        let out = env
            .esc(&["--now", now, "policy", "explain", spec.to_str().unwrap()])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        text.lines()
            .find(|l| l.contains("engineer") && l.contains("weekly"))
            .map(|l| l.split(['┆', '│']).nth(4).unwrap_or("").trim().to_string())
            .unwrap_or_default()
    };
    let this_week = duty("2026-11-23T09:00:00Z");
    let next_week = duty("2026-11-30T09:00:00Z");
    let same_week = duty("2026-11-29T09:00:00Z");
    assert!(
        ["carl", "dee", "eve"].contains(&this_week.as_str()),
        "{this_week}"
    );
    assert_ne!(this_week, next_week);
    assert_eq!(this_week, same_week);
}

#[test]
fn schema_is_json_with_closed_objects() {
    let env = TestEnv::new();
    let out = env.esc(&["policy", "schema"]).output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["additionalProperties"], serde_json::json!(false));
    assert!(v["properties"]["severities"].is_object());
}
