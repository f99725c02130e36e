//! Policy provenance: every event records the short content hash of the policy it was
//! decided under; `esc show` prints it where it changed; `esc policy log` lists versions.

mod common;

use common::{TestEnv, case_events, ok_at};
use sha2::{Digest, Sha256};

fn short_sha(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn events_record_the_policy_version_and_the_log_lists_them() {
    let env = TestEnv::with_policy_file("policies/it-helpdesk.toml");
    let v1 = short_sha(&env.read("policy.toml"));
    ok_at(
        &env,
        "2026-11-23T09:00:00Z",
        &["open", "VPN down", "--severity", "sev3"],
    );
    ok_at(&env, "2026-11-23T09:10:00Z", &["ack", "1"]);
    // A reviewed change: a new version from here on.
    let changed = env.read("policy.toml") + "\n# reviewed in PR 42\n";
    env.write("policy.toml", &changed);
    let v2 = short_sha(&changed);
    ok_at(&env, "2026-11-24T09:00:00Z", &["note", "1", "still down"]);
    ok_at(
        &env,
        "2026-11-24T10:00:00Z",
        &["open", "printer", "--severity", "sev3"],
    );
    // The case events (each command's notifications carry the same version).
    let events = case_events(&env);
    let versions: Vec<&str> = events
        .iter()
        .map(|e| e["policy"].as_str().unwrap())
        .collect();
    assert_eq!(versions, [v1.as_str(), &v1, &v2, &v2]);

    let show = env.esc(&["show", "1"]).output().unwrap();
    let text = String::from_utf8_lossy(&show.stdout);
    assert_eq!(
        text.matches(&v1).count(),
        1,
        "shown once, where it starts: {text}"
    );
    assert_eq!(text.matches(&v2).count(), 1, "and where it changed: {text}");

    let log = env.json(&["policy", "log"]);
    assert_eq!(log["current"], v2.as_str());
    let rows = log["versions"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["hash"], v1.as_str());
    assert_eq!(rows[0]["first"], "2026-11-23T09:00:00Z");
    assert_eq!(rows[0]["last"], "2026-11-23T09:10:00Z");
    // Every event written under it: the open and the ack with their notifications.
    let under_v1 = common::ledger_events(&env)
        .iter()
        .filter(|e| e["policy"] == v1.as_str())
        .count();
    assert_eq!(rows[0]["events"], under_v1);
    assert!(under_v1 >= 2);
    assert_eq!(rows[1]["hash"], v2.as_str());
    assert_eq!(rows[1]["cases"], 2);
    let table = env.esc(&["policy", "log"]).output().unwrap();
    assert!(String::from_utf8_lossy(&table.stdout).contains("current"));
}

#[test]
fn a_ledger_from_before_provenance_still_reads() {
    let env = TestEnv::with_policy_file("policies/it-helpdesk.toml");
    env.write(
        "ledger.jsonl",
        concat!(
            "{\"esc_ledger\":1}\n",
            "{\"seq\":1,\"at\":\"2026-11-23T09:00:00Z\",\"actor\":\"ana\",\"case\":\"ESC-1\",\"step\":\"open\",\"event\":\"opened\",\"title\":\"old\",\"severity\":\"sev3\",\"type\":\"incident\",\"path\":\"technical\",\"tier\":\"L1\",\"owner\":\"lena\"}\n",
        ),
    );
    let verify = env.json(&["ledger", "verify"]);
    assert_eq!(verify["ok"], true, "{verify:#}");
    ok_at(&env, "2026-11-23T09:05:00Z", &["note", "1", "hello"]);
    let log = env.json(&["policy", "log"]);
    assert_eq!(log["unrecorded"], 1);
    assert_eq!(log["versions"][0]["events"], 1);
}
