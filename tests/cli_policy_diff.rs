//! `esc policy diff`: changes in words, and what they do to a ledger's open cases; a change
//! that orphans an open case fails with `--fail-on orphaned`.

mod common;

use common::{TestEnv, ok_at};

#[test]
fn a_renamed_severity_orphans_open_cases_and_fails_ci() {
    let env = TestEnv::with_policy_file("policies/it-helpdesk.toml");
    ok_at(
        &env,
        "2026-11-23T09:00:00Z",
        &["open", "VPN down", "--severity", "sev2"],
    );
    ok_at(
        &env,
        "2026-11-23T09:05:00Z",
        &["open", "printer", "--severity", "sev3"],
    );
    let old = env.read("policy.toml");
    // sev2 becomes "high" everywhere it is named; the sev2 case would be orphaned.
    let new = old.replace("sev2", "high");
    env.write("new.toml", &new);
    let before = std::fs::read(env.path("ledger.jsonl")).unwrap();
    let out = env
        .esc(&[
            "policy",
            "diff",
            "policy.toml",
            "new.toml",
            "--fail-on",
            "orphaned",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "CI fails");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("severity `sev2` removed"), "{text}");
    assert!(text.contains("severity `high` added"), "{text}");
    assert!(text.contains("ESC-1: orphaned"), "{text}");
    assert!(!text.contains("ESC-2: orphaned"), "{text}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("1 open case would be orphaned"), "{err}");
    assert_eq!(std::fs::read(env.path("ledger.jsonl")).unwrap(), before);
    // Without --fail-on it only reports.
    let v = env.json(&["policy", "diff", "policy.toml", "new.toml"]);
    assert_eq!(v["cases"]["orphaned"][0]["case"], "ESC-1");
    assert_eq!(v["cases"]["orphaned"][0]["unknown"][0], "severity `sev2`");
}

#[test]
fn a_longer_budget_moves_deadlines_and_a_new_trigger_fires_at_once() {
    let env = TestEnv::with_policy_file("policies/it-helpdesk.toml");
    ok_at(
        &env,
        "2026-11-23T09:00:00Z",
        &["open", "VPN down", "--severity", "sev3"],
    );
    let old = env.read("policy.toml");
    let mut new = old.replace(
        "escalate_after = { sev1 = \"15m\", sev2 = \"1h\", sev3 = \"8h\"",
        "escalate_after = { sev1 = \"15m\", sev2 = \"1h\", sev3 = \"6h\"",
    );
    new.push_str(
        "\n[[triggers]]\nname = \"old-sev3\"\nwhen = { severity = [\"sev3\"], age = \"1h\" }\nthen = { notify = [\"desk_lead\"] }\n",
    );
    env.write("new.toml", &new);
    let v = ok_at(
        &env,
        "2026-11-23T11:00:00Z",
        &[
            "policy",
            "diff",
            "policy.toml",
            "new.toml",
            "--fail-on",
            "orphaned",
        ],
    );
    let changes: Vec<String> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert!(
        changes
            .iter()
            .any(|c| c.contains("tier `L1`: budget for sev3 8h → 6h")),
        "{changes:#?}"
    );
    assert!(
        changes.contains(&"trigger `old-sev3` added".to_string()),
        "{changes:#?}"
    );
    let moved = &v["cases"]["deadlines"][0];
    assert_eq!(moved["case"], "ESC-1");
    assert_eq!(moved["clock"], "tier");
    // Opened Monday 10:00 Berlin on the office calendar (08–12, 13–17): 6 open hours end
    // Monday 17:00, 8 ended Tuesday 10:00 — the deadline moves 17 wall-clock hours earlier.
    assert_eq!(moved["old"], "2026-11-24T09:00:00Z");
    assert_eq!(moved["new"], "2026-11-23T16:00:00Z");
    assert_eq!(moved["minutes"], -1020);
    assert_eq!(v["cases"]["fire"][0]["trigger"], "old-sev3");
    assert_eq!(v["cases"]["orphaned"].as_array().unwrap().len(), 0);
}
