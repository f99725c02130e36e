//! `esc sweep` through the real binary (SPEC §3 triggers and notify, §4 `sweep --json`,
//! §5 idempotent and overlap-safe sweeps, text from cases never reaching a shell, failed
//! notifications retried and never lost), plus `esc approve` / `esc reject`,
//! `esc notifications` and `esc report breaches`.
//!
//! Assertions are on parsed JSON, on the ledger's events and on what the notify command
//! received (its log in the temp directory), never on wall-clock times. Most tests use the
//! inline policy [`policy`]: everything on a 24x7 UTC calendar; sev1 (response 15m,
//! resolution 4h, update every 30m, warn at 75%, L1 budget 10m, L2 30m); sev4 with targets
//! of weeks so that only triggers act on it; a key account `acme` whose sponsor is `cfo`. The notify command is `./notify.sh`, relative to
//! the policy's directory (the temp directory), which each test writes itself.

mod common;

use common::{NOW, TestEnv, ledger_events, ok_at};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;

/// The sweep-test policy with extra `[[triggers]]` and the given `[notify]` section
/// (empty: no notify command).
fn policy(triggers: &str, notify: &str) -> String {
    format!(
        r#"version = 1
name = "Sweep tests"
types = ["technical", "billing"]

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
[roles.manager]
members = ["gus"]
[roles.exec]
members = ["cfo"]

[accounts.acme]
name = "ACME Corp"
key = true
sponsor = "exec"

[[tiers]]
id = "L1"
role = "agent"
escalate_after = {{ sev1 = "10m", sev4 = "30d" }}

[[tiers]]
id = "L2"
role = "engineer"
escalate_after = {{ sev1 = "30m", sev4 = "30d" }}

[[tiers]]
id = "lead"
path = "management"
role = "lead"
escalate_after = {{ sev1 = "30m", sev4 = "30d" }}

[[tiers]]
id = "manager"
path = "management"
role = "manager"
escalate_after = {{ sev1 = "1h", sev4 = "30d" }}

[raci.default]
open     = {{ r = ["agent"], a = "lead" }}
escalate = {{ r = ["lead"], a = "manager", c = ["engineer"] }}

{triggers}

{notify}

# Opening, acknowledging and resolving a case tell nobody here: these tests count what the
# sweep itself queues.
[notify.on]
open = []
acknowledge = []
resolve = []
"#
    )
}

/// The usual `[notify]` section: `./notify.sh` with a short timeout.
const NOTIFY: &str =
    "[notify]\ncommand = [\"./notify.sh\", \"--channel\", \"support\"]\ntimeout = \"1s\"\n";

/// A notify script that logs its arguments (one `CALL` line per run) to `calls.log` and its
/// stdin to `notify.log`, in its working directory (the policy's directory).
const LOGGING: &str = "#!/bin/sh\nprintf 'CALL %s\\n' \"$*\" >> calls.log\ncat >> notify.log\n";

/// Fails after reading its input.
const FAILING: &str = "#!/bin/sh\ncat > /dev/null\nexit 1\n";

/// Never finishes (killed by the 1s timeout); `exec` so that the kill reaches the sleep.
const HANGING: &str = "#!/bin/sh\nexec sleep 30\n";

/// Prints garbage (invalid UTF-8, a fake JSON object, lots of bytes) on stdout and stderr,
/// then exits with `code`.
fn garbage(code: i32) -> String {
    format!(
        "#!/bin/sh\ncat > /dev/null\nprintf '{{\"now\": \"garbage\"}}\\n\\377\\376\\000 not json\\n'\nprintf 'error: \\377 boom\\n' >&2\nhead -c 200000 /dev/zero | tr '\\000' 'x'\nhead -c 200000 /dev/zero | tr '\\000' 'y' >&2\nexit {code}\n"
    )
}

fn write_script(env: &TestEnv, text: &str) {
    let p = env.write("notify.sh", text);
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

fn env_with(triggers: &str, notify: &str, script: Option<&str>) -> TestEnv {
    let env = TestEnv::with_policy(&policy(triggers, notify));
    if let Some(s) = script {
        write_script(&env, s);
    }
    env
}

/// `NOW` plus `minutes`, on 2026-11-23, as RFC 3339 UTC.
fn at(minutes: u32) -> String {
    assert!(minutes < 15 * 60, "stay on 2026-11-23");
    format!("2026-11-23T{:02}:{:02}:00Z", 9 + minutes / 60, minutes % 60)
}

/// `esc sweep` at `now`; it exits 1 exactly when deliveries were tried and all failed.
fn sweep_at(env: &TestEnv, now: &str) -> Value {
    let run = env
        .esc(&["--json", "sweep"])
        .env("ESC_NOW", now)
        .output()
        .expect("run");
    let out: Value = serde_json::from_slice(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "sweep printed no JSON ({e}): {}",
            String::from_utf8_lossy(&run.stderr)
        )
    });
    assert_eq!(out["now"], now, "sweep reports its now");
    let (sent, failed, _) = counts(&out);
    let all_failed = failed > 0 && sent == 0;
    assert_eq!(
        run.status.code(),
        Some(if all_failed { 1 } else { 0 }),
        "{out:#} {}",
        String::from_utf8_lossy(&run.stderr)
    );
    if all_failed {
        assert!(
            String::from_utf8_lossy(&run.stderr).contains("retried by the next sweep"),
            "says so on stderr"
        );
    }
    out
}

fn open_at(env: &TestEnv, now: &str, title: &str, extra: &[&str]) -> String {
    let mut args = vec!["open", title];
    args.extend_from_slice(extra);
    ok_at(env, now, &args)["id"]
        .as_str()
        .expect("id")
        .to_string()
}

fn ledger_bytes(env: &TestEnv) -> Vec<u8> {
    env.ledger_bytes().expect("ledger")
}

fn events_of<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["event"] == kind).collect()
}

/// The actions of a sweep output other than `notified`.
fn actions(out: &Value) -> Vec<&Value> {
    out["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .filter(|a| a["action"] != "notified")
        .collect()
}

fn notified(out: &Value) -> Vec<&Value> {
    out["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .filter(|a| a["action"] == "notified")
        .collect()
}

fn counts(out: &Value) -> (u64, u64, u64) {
    let n = &out["notifications"];
    (
        n["sent"].as_u64().expect("sent"),
        n["failed"].as_u64().expect("failed"),
        n["pending"].as_u64().expect("pending"),
    )
}

/// The payloads the notify command received, one per line of `notify.log`.
fn payloads(env: &TestEnv) -> Vec<Value> {
    env.read("notify.log")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("payload {l:?}: {e}")))
        .collect()
}

fn payload_ids(env: &TestEnv) -> Vec<String> {
    payloads(env)
        .iter()
        .map(|p| p["id"].as_str().expect("id").to_string())
        .collect()
}

/// `(action, clock-or-trigger, due)` of the actions on one case, in output order.
fn summary(out: &Value, case: &str) -> Vec<(String, String, String)> {
    actions(out)
        .iter()
        .filter(|a| a["case"] == case)
        .map(|a| {
            let what = a
                .get("clock")
                .or_else(|| a.get("trigger"))
                .or_else(|| a.get("to"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            (
                a["action"].as_str().unwrap().to_string(),
                what,
                a["due"].as_str().expect("due").to_string(),
            )
        })
        .collect()
}

fn s(a: &str, b: &str, c: &str) -> (String, String, String) {
    (a.into(), b.into(), c.into())
}

fn is_rfc3339(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok())
}

// ---------------------------------------------------------------------------------------
// The JSON shape, idempotence, dry runs, missed runs
// ---------------------------------------------------------------------------------------

#[test]
fn sweep_json_has_the_spec_shape() {
    // The SPEC excerpt: sev1 clocks, the sev1-unacknowledged trigger, and the
    // key-account-pileup proposal for three open acme cases.
    let env = TestEnv::with_policy_file("tests/fixtures/spec-excerpt.toml");
    write_script(&env, LOGGING);
    open_at(&env, NOW, "Outage", &["--severity", "sev1"]);
    for i in 1..=3 {
        open_at(
            &env,
            NOW,
            &format!("acme {i}"),
            &["--severity", "sev2", "--account", "acme"],
        );
    }
    let out = sweep_at(&env, "2026-11-23T12:00:00Z");
    let top: BTreeSet<&str> = out
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    for key in ["now", "actions", "notifications"] {
        assert!(top.contains(key), "{key} in {top:?}");
    }
    let mut kinds = BTreeSet::new();
    for a in out["actions"].as_array().expect("actions") {
        let kind = a["action"].as_str().expect("action");
        kinds.insert(kind.to_string());
        assert!(
            a["case"].as_str().is_some_and(|c| c.starts_with("ESC-")),
            "{a}"
        );
        assert!(
            is_rfc3339(&a["due"]),
            "every action says when it fell due: {a}"
        );
        match kind {
            "warning" | "breach" => assert!(
                ["response", "resolution", "update", "tier"]
                    .contains(&a["clock"].as_str().unwrap_or("")),
                "{a}"
            ),
            "escalated" => {
                assert!(a["path"].is_string(), "{a}");
                assert!(a["to"].is_string(), "{a}");
                assert!(a.get("from").is_some(), "{a}");
            }
            "trigger" | "proposed" => assert!(a["trigger"].is_string(), "{a}"),
            "notified" => assert!(a["id"].as_str().is_some_and(|i| i.starts_with("N-"))),
            other => panic!("unknown action {other}: {a}"),
        }
    }
    let expected: BTreeSet<String> = [
        "warning",
        "breach",
        "escalated",
        "trigger",
        "proposed",
        "notified",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(kinds, expected, "{out:#}");
    // Specific actions.
    let all = actions(&out);
    assert!(all.iter().any(|a| a["case"] == "ESC-1"
        && a["action"] == "escalated"
        && a["path"] == "technical"
        && a["from"] == "L1"
        && a["to"] == "L2"
        && a["due"] == "2026-11-23T09:10:00Z"));
    assert!(all.iter().any(|a| a["case"] == "ESC-1"
        && a["action"] == "breach"
        && a["clock"] == "response"
        && a["due"] == "2026-11-23T09:15:00Z"));
    assert!(all.iter().any(|a| a["case"] == "ESC-1"
        && a["action"] == "trigger"
        && a["trigger"] == "sev1-unacknowledged"
        && a["due"] == "2026-11-23T09:10:00Z"));
    for case in ["ESC-2", "ESC-3", "ESC-4"] {
        assert_eq!(
            all.iter()
                .filter(|a| a["case"] == case
                    && a["action"] == "proposed"
                    && a["trigger"] == "key-account-pileup")
                .count(),
            1,
            "{case}"
        );
    }
    let (sent, failed, pending) = counts(&out);
    assert_eq!(failed, 0);
    assert_eq!(pending, 0);
    assert_eq!(sent as usize, notified(&out).len());
    assert_eq!(sent as usize, payloads(&env).len());
    // The notify command got its argv as written in the policy.
    let calls = env.read("calls.log");
    assert!(
        calls.lines().all(|l| l == "CALL --channel support"),
        "{calls}"
    );
}

#[test]
fn a_second_sweep_at_the_same_time_does_nothing() {
    let env = env_with("", NOTIFY, Some(LOGGING));
    open_at(&env, NOW, "Outage", &["--severity", "sev1"]);
    open_at(&env, NOW, "Another", &["--severity", "sev1"]);
    let first = sweep_at(&env, &at(20));
    assert!(!actions(&first).is_empty());
    let delivered = payloads(&env).len();
    assert!(delivered > 0);
    let before = ledger_bytes(&env);
    let second = sweep_at(&env, &at(20));
    assert!(
        second["actions"].as_array().expect("actions").is_empty(),
        "{second:#}"
    );
    assert_eq!(counts(&second), (0, 0, 0));
    assert_eq!(ledger_bytes(&env), before, "the ledger is unchanged");
    assert_eq!(payloads(&env).len(), delivered, "nothing sent twice");
    // Also in plain text: nothing to do.
    let out = env
        .esc(&["sweep"])
        .env("ESC_NOW", at(20))
        .output()
        .expect("run");
    assert!(out.status.success());
    assert_eq!(ledger_bytes(&env), before);
}

#[test]
fn dry_run_lists_the_actions_and_writes_nothing() {
    let env = env_with("", NOTIFY, Some(LOGGING));
    open_at(&env, NOW, "Outage", &["--severity", "sev1"]);
    let before = ledger_bytes(&env);
    let dry = ok_at(&env, &at(20), &["sweep", "--dry-run"]);
    assert_eq!(ledger_bytes(&env), before, "a dry run writes nothing");
    assert!(!env.path("notify.log").exists(), "and delivers nothing");
    let planned = summary(&dry, "ESC-1");
    assert!(!planned.is_empty());
    assert!(notified(&dry).is_empty());
    // The real sweep then does exactly what the dry run listed.
    let real = sweep_at(&env, &at(20));
    assert_eq!(summary(&real, "ESC-1"), planned);
    // And a dry run after it has nothing left to list.
    let again = ok_at(&env, &at(20), &["sweep", "--dry-run"]);
    assert!(actions(&again).is_empty(), "{again:#}");
    // Plain-text dry run also writes nothing.
    open_at(&env, &at(20), "Later", &["--severity", "sev1"]);
    let before = ledger_bytes(&env);
    let out = env
        .esc(&["sweep", "--dry-run"])
        .env("ESC_NOW", at(50))
        .output()
        .expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("ESC-2"));
    assert_eq!(ledger_bytes(&env), before);
}

#[test]
fn missed_runs_catch_up_once_in_order_of_due() {
    let env = env_with("", NOTIFY, Some(LOGGING));
    open_at(&env, NOW, "Outage", &["--severity", "sev1"]);
    // The first sweep runs at 12:00, three hours late.
    let out = sweep_at(&env, "2026-11-23T12:00:00Z");
    let expected = vec![
        s("warning", "tier", "2026-11-23T09:07:30Z"),
        s("escalated", "L2", "2026-11-23T09:10:00Z"),
        s("warning", "response", "2026-11-23T09:11:15Z"),
        s("breach", "response", "2026-11-23T09:15:00Z"),
        s("warning", "update", "2026-11-23T09:22:30Z"),
        s("breach", "update", "2026-11-23T09:30:00Z"),
        s("warning", "resolution", "2026-11-23T12:00:00Z"),
    ];
    assert_eq!(summary(&out, "ESC-1"), expected, "{out:#}");
    let esc = actions(&out)
        .into_iter()
        .find(|a| a["action"] == "escalated")
        .expect("escalated");
    assert_eq!(esc["path"], "technical");
    assert_eq!(esc["from"], "L1");
    // One notification per action; the warnings of the response and update clocks, whose
    // breaches came in the same sweep, are superseded, the rest delivered.
    assert_eq!(counts(&out), (5, 0, 0));
    assert_eq!(out["notifications"]["superseded"], 2, "{out:#}");
    let delivered: Vec<String> = payloads(&env)
        .iter()
        .map(|p| p["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        delivered,
        ["warning", "escalated", "breach", "breach", "warning"],
        "no warning after its breach"
    );
    // The ledger holds each once, with its due.
    let events = ledger_events(&env);
    let warnings: Vec<(String, String)> = events_of(&events, "sla_warning")
        .iter()
        .map(|e| (e["clock"].to_string(), e["due"].to_string()))
        .collect();
    assert_eq!(warnings.len(), 4);
    assert_eq!(
        warnings.iter().collect::<BTreeSet<_>>().len(),
        4,
        "no duplicate"
    );
    assert_eq!(events_of(&events, "sla_breach").len(), 2);
    assert_eq!(events_of(&events, "escalated").len(), 1);
    let show = ok_at(&env, "2026-11-23T12:00:00Z", &["show", "ESC-1"]);
    assert_eq!(show["levels"]["technical"], "L2");
    assert_eq!(show["owner"], "carl");

    // Nothing more at 12:00; an hour later the resolution clock breaches and L2's budget
    // (30m from the escalation, recorded at 12:00) warns and runs out at the last tier.
    assert!(actions(&sweep_at(&env, "2026-11-23T12:00:00Z")).is_empty());
    let later = sweep_at(&env, "2026-11-23T13:01:00Z");
    assert_eq!(
        summary(&later, "ESC-1"),
        vec![
            s("warning", "tier", "2026-11-23T12:22:30Z"),
            s("breach", "tier", "2026-11-23T12:30:00Z"),
            s("breach", "resolution", "2026-11-23T13:00:00Z"),
        ],
        "{later:#}"
    );
    assert!(actions(&sweep_at(&env, "2026-11-23T14:00:00Z")).is_empty());
}

#[test]
fn a_paused_case_is_left_alone_and_its_clocks_shift_after_resume() {
    let env = env_with("", NOTIFY, Some(LOGGING));
    open_at(&env, NOW, "Waiting", &["--severity", "sev1"]);
    ok_at(&env, &at(5), &["pause", "ESC-1", "--reason", "customer"]);
    // Hours later, nothing has fallen due: the clocks do not run while paused.
    let out = sweep_at(&env, "2026-11-23T12:00:00Z");
    assert!(actions(&out).is_empty(), "{out:#}");
    // Resumed at 12:00 after 2h55m paused: the tier budget (10m, 5m used) warns at 12:02:30
    // and runs out at 12:05; the response (15m) warns at 12:06:15 and breaches at 12:10.
    ok_at(&env, "2026-11-23T12:00:00Z", &["resume", "ESC-1"]);
    assert!(actions(&sweep_at(&env, "2026-11-23T12:02:00Z")).is_empty());
    let out = sweep_at(&env, "2026-11-23T12:07:00Z");
    assert_eq!(
        summary(&out, "ESC-1"),
        vec![
            s("warning", "tier", "2026-11-23T12:02:30Z"),
            s("escalated", "L2", "2026-11-23T12:05:00Z"),
            s("warning", "response", "2026-11-23T12:06:15Z"),
        ],
        "{out:#}"
    );
}

#[test]
fn resolved_cases_are_not_swept() {
    let env = env_with("", NOTIFY, Some(LOGGING));
    open_at(&env, NOW, "Quick", &["--severity", "sev1"]);
    ok_at(&env, &at(2), &["ack", "ESC-1"]);
    ok_at(&env, &at(4), &["resolve", "ESC-1", "--resolution", "fixed"]);
    let before = ledger_bytes(&env);
    let out = sweep_at(&env, "2026-11-23T14:00:00Z");
    assert!(out["actions"].as_array().unwrap().is_empty(), "{out:#}");
    assert_eq!(ledger_bytes(&env), before);
}

// ---------------------------------------------------------------------------------------
// Two sweeps at once
// ---------------------------------------------------------------------------------------

#[test]
fn two_sweeps_at_once_act_and_notify_exactly_once() {
    const CASES: usize = 40;
    let env = env_with("", NOTIFY, Some(LOGGING));
    for i in 0..CASES {
        open_at(&env, NOW, &format!("case {i}"), &["--severity", "sev1"]);
    }
    let opened = ledger_events(&env).len();
    assert_eq!(opened, CASES);
    // At 09:20 every case has: tier warning, escalation, response warning, response breach.
    let spawn = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_esc"))
            .args(["--json", "sweep"])
            .current_dir(env.dir.path())
            .env_clear()
            .env("HOME", env.dir.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("ESC_NOW", at(20))
            .env("ESC_ALLOW_FUTURE", "1")
            .env("ESC_ACTOR", "cron")
            .env("ESC_POLICY", env.path("policy.toml"))
            .env("ESC_LEDGER", env.ledger())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn esc sweep")
    };
    let a = spawn();
    let b = spawn();
    let outs: Vec<Value> = [a, b]
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().expect("wait");
            assert!(
                out.status.success(),
                "sweep failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            serde_json::from_slice(&out.stdout).expect("json")
        })
        .collect();

    // Between them, every action once.
    let mut seen: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for out in &outs {
        for a in actions(out) {
            let what = a
                .get("clock")
                .or_else(|| a.get("to"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            *seen
                .entry((
                    a["case"].as_str().unwrap().into(),
                    a["action"].as_str().unwrap().into(),
                    what,
                ))
                .or_default() += 1;
        }
    }
    assert_eq!(seen.len(), CASES * 4, "{seen:?}");
    assert!(seen.values().all(|n| *n == 1), "{seen:?}");
    // Per case, the response warning is superseded by the response breach.
    let sent: u64 = outs.iter().map(|o| counts(o).0).sum();
    let failed: u64 = outs.iter().map(|o| counts(o).1).sum();
    assert_eq!((sent, failed), (CASES as u64 * 3, 0));

    // The ledger: one warning / breach per (case, clock, kind), one escalation per case,
    // one delivery per notification.
    let events = ledger_events(&env);
    let seqs: Vec<u64> = events.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(
        seqs,
        (1..=events.len() as u64).collect::<Vec<_>>(),
        "seq is gap-free"
    );
    let mut per: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for e in &events {
        let kind = e["event"].as_str().unwrap();
        if ["sla_warning", "sla_breach", "escalated"].contains(&kind) {
            let clock = e
                .get("clock")
                .or_else(|| e.get("path"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            *per.entry((e["case"].as_str().unwrap().into(), kind.into(), clock))
                .or_default() += 1;
        }
    }
    assert_eq!(per.len(), CASES * 4);
    assert!(per.values().all(|n| *n == 1), "{per:?}");
    let queued: BTreeSet<String> = events_of(&events, "notification_queued")
        .iter()
        .map(|e| format!("N-{}", e["seq"]))
        .collect();
    assert_eq!(queued.len(), CASES * 4);
    let delivered: Vec<u64> = events_of(&events, "notification_delivered")
        .iter()
        .map(|e| e["notification"].as_u64().unwrap())
        .collect();
    assert_eq!(delivered.len(), CASES * 3);
    assert_eq!(
        delivered.iter().collect::<BTreeSet<_>>().len(),
        delivered.len()
    );
    let ended: BTreeSet<String> = events_of(&events, "notification_ended")
        .iter()
        .map(|e| format!("N-{}", e["notification"]))
        .collect();
    assert_eq!(ended.len(), CASES);

    // The notify command saw each delivered notification id exactly once.
    let ids = payload_ids(&env);
    assert_eq!(ids.len(), CASES * 3);
    let unique: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(
        unique,
        queued.difference(&ended).cloned().collect::<BTreeSet<_>>()
    );

    // And a third sweep at the same time does nothing.
    let before = ledger_bytes(&env);
    assert!(
        sweep_at(&env, &at(20))["actions"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(ledger_bytes(&env), before);
}

// ---------------------------------------------------------------------------------------
// Triggers
// ---------------------------------------------------------------------------------------

const UNACKED: &str = r#"
[[triggers]]
name = "unacked"
when = { severity = ["sev4"], unacknowledged_for = "10m" }
then = { escalate = "management", notify = ["lead"] }
"#;

#[test]
fn unacknowledged_for_escalates_on_the_management_path_once() {
    let env = env_with(UNACKED, NOTIFY, Some(LOGGING));
    open_at(&env, NOW, "Quiet", &[]);
    let acked = open_at(&env, NOW, "Answered", &[]);
    ok_at(&env, &at(5), &["ack", &acked]);
    // Not yet at 09:09.
    assert!(actions(&sweep_at(&env, &at(9))).is_empty());
    let out = sweep_at(&env, &at(30));
    assert_eq!(
        summary(&out, "ESC-1"),
        vec![s("trigger", "unacked", "2026-11-23T09:10:00Z")]
    );
    assert!(summary(&out, "ESC-2").is_empty(), "acknowledged in time");
    let case = ok_at(&env, &at(30), &["show", "ESC-1"]);
    assert_eq!(case["levels"]["management"], "lead");
    assert_eq!(
        case["levels"]["technical"], "L1",
        "technical path untouched"
    );
    // The lead is notified (and the escalation on the management path told its people).
    let p: Vec<Value> = payloads(&env)
        .into_iter()
        .filter(|p| p["action"] == "trigger")
        .collect();
    assert_eq!(p.len(), 1);
    assert_eq!(p[0]["case"], "ESC-1");
    assert_eq!(p[0]["action"], "trigger");
    assert!(
        p[0]["recipients"]
            .as_array()
            .unwrap()
            .contains(&Value::from("fay")),
        "{}",
        p[0]
    );
    // Later sweeps do not repeat it.
    for m in [31, 120, 600] {
        assert!(actions(&sweep_at(&env, &at(m))).is_empty(), "at {m}");
    }
    let events = ledger_events(&env);
    assert_eq!(events_of(&events, "trigger_fired").len(), 1);
    let esc = events_of(&events, "escalated");
    assert_eq!(esc.len(), 1);
    assert_eq!(esc[0]["path"], "management");
    assert_eq!(esc[0]["to"], "lead");
    // The trigger's notice and the escalation's (internal only: another path than the
    // case's own), each once.
    let actions: Vec<String> = payloads(&env)
        .iter()
        .map(|p| {
            format!(
                "{}/{}",
                p["action"].as_str().unwrap(),
                p["audience"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(actions, ["trigger/internal", "escalated/internal"]);
}

#[test]
fn a_repeating_trigger_fires_again_only_after_its_interval() {
    let triggers = r#"
[[triggers]]
name = "nag"
when = { labels = ["nag"] }
then = { notify = ["manager"] }
repeat = "1h"
"#;
    let env = env_with(triggers, NOTIFY, Some(LOGGING));
    open_at(&env, NOW, "Nagging", &["--label", "nag"]);
    open_at(&env, NOW, "Quiet", &[]);
    let first = sweep_at(&env, &at(0));
    assert_eq!(summary(&first, "ESC-1").len(), 1);
    assert!(summary(&first, "ESC-2").is_empty());
    for m in [1, 30, 59] {
        assert!(actions(&sweep_at(&env, &at(m))).is_empty(), "at {m}");
    }
    let again = sweep_at(&env, &at(60));
    assert_eq!(summary(&again, "ESC-1").len(), 1, "{again:#}");
    assert_eq!(summary(&again, "ESC-1")[0].1, "nag");
    assert!(actions(&sweep_at(&env, &at(60))).is_empty());
    assert!(actions(&sweep_at(&env, &at(119))).is_empty());
    assert_eq!(actions(&sweep_at(&env, &at(125))).len(), 1);
    let events = ledger_events(&env);
    assert_eq!(events_of(&events, "trigger_fired").len(), 3);
    let p = payloads(&env);
    assert_eq!(p.len(), 3);
    assert!(p.iter().all(|p| {
        p["recipients"]
            .as_array()
            .unwrap()
            .contains(&Value::from("gus"))
    }));
}

const VIP: &str = r#"
[[triggers]]
name = "vip"
when = { labels = ["vip"] }
then = { to = "L2", label = ["approved"], confirm = true }
"#;

#[test]
fn a_confirm_trigger_proposes_and_approve_takes_the_actions() {
    let env = env_with(VIP, NOTIFY, Some(LOGGING));
    open_at(&env, NOW, "Important", &["--label", "vip"]);
    let out = sweep_at(&env, &at(1));
    assert_eq!(
        summary(&out, "ESC-1"),
        vec![s("proposed", "vip", "2026-11-23T09:01:00Z")]
    );
    assert_eq!(payloads(&env).len(), 1);
    assert_eq!(payloads(&env)[0]["action"], "proposed");
    // Nothing else happens while the proposal waits.
    for m in [2, 60, 300] {
        assert!(actions(&sweep_at(&env, &at(m))).is_empty(), "at {m}");
    }
    let case = ok_at(&env, &at(300), &["show", "ESC-1"]);
    assert_eq!(case["levels"]["technical"], "L1");
    assert_eq!(case["labels"], serde_json::json!(["vip"]));
    let events = ledger_events(&env);
    assert_eq!(events_of(&events, "proposed").len(), 1);
    assert!(events_of(&events, "escalated").is_empty());
    // Approve: the actions are taken, the case comes back as `show --json` prints it.
    let approved = ok_at(
        &env,
        &at(301),
        &["--actor", "ana", "approve", "ESC-1", "vip"],
    );
    assert_eq!(approved["id"], "ESC-1");
    assert_eq!(approved["levels"]["technical"], "L2");
    assert_eq!(approved["owner"], "carl");
    assert_eq!(approved["labels"], serde_json::json!(["vip", "approved"]));
    let events = ledger_events(&env);
    assert_eq!(events_of(&events, "approved").len(), 1);
    assert_eq!(events_of(&events, "escalated").len(), 1);
    // The proposal is gone: approving or rejecting again is refused, a sweep adds nothing.
    let before = ledger_bytes(&env);
    for cmd in ["approve", "reject"] {
        let out = env
            .esc(&[cmd, "ESC-1", "vip"])
            .env("ESC_NOW", at(302))
            .env("ESC_ACTOR", "ana")
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(1), "{cmd} again");
        assert!(out.stdout.is_empty());
        assert!(String::from_utf8_lossy(&out.stderr).contains("vip"));
    }
    assert_eq!(ledger_bytes(&env), before);
    let after = sweep_at(&env, &at(400));
    assert!(actions(&after).is_empty(), "{after:#}");
}

#[test]
fn rejecting_a_proposal_takes_no_action() {
    let env = env_with(VIP, NOTIFY, Some(LOGGING));
    open_at(&env, NOW, "Important", &["--label", "vip"]);
    sweep_at(&env, &at(1));
    let rejected = ok_at(
        &env,
        &at(5),
        &[
            "--actor",
            "ana",
            "reject",
            "ESC-1",
            "vip",
            "--reason",
            "not really",
        ],
    );
    assert_eq!(rejected["levels"]["technical"], "L1");
    assert_eq!(rejected["labels"], serde_json::json!(["vip"]));
    let events = ledger_events(&env);
    let rej = events_of(&events, "rejected");
    assert_eq!(rej.len(), 1);
    assert_eq!(rej[0]["reason"], "not really");
    assert!(events_of(&events, "escalated").is_empty());
    assert!(events_of(&events, "labelled").is_empty());
    // Not proposed again (no repeat).
    for m in [6, 120] {
        assert!(actions(&sweep_at(&env, &at(m))).is_empty(), "at {m}");
    }
    assert_eq!(events_of(&ledger_events(&env), "proposed").len(), 1);
}

#[test]
fn approving_without_a_proposal_is_refused() {
    let env = env_with(VIP, NOTIFY, Some(LOGGING));
    open_at(&env, NOW, "Ordinary", &[]);
    open_at(&env, NOW, "Important", &["--label", "vip"]);
    let refused = |now: &str, refusals: &[(&str, &str)]| {
        let before = ledger_bytes(&env);
        for (case, trigger) in refusals {
            for cmd in ["approve", "reject"] {
                let out = env
                    .esc(&[cmd, case, trigger])
                    .env("ESC_NOW", now)
                    .env("ESC_ACTOR", "ana")
                    .output()
                    .expect("run");
                assert_eq!(out.status.code(), Some(1), "{cmd} {case} {trigger}");
                assert!(out.stdout.is_empty());
                let err = String::from_utf8_lossy(&out.stderr);
                assert!(err.starts_with("error:"), "{err}");
            }
        }
        assert_eq!(ledger_bytes(&env), before, "refusals write nothing");
    };
    // Before any sweep nothing is pending, not even on the vip case.
    refused(&at(0), &[("ESC-2", "vip")]);
    sweep_at(&env, &at(1));
    // A case the trigger does not apply to, an unknown trigger, an unknown case.
    refused(
        &at(2),
        &[
            ("ESC-1", "vip"),
            ("ESC-2", "no-such-trigger"),
            ("ESC-99", "vip"),
        ],
    );
    // The pending one can be approved (ids in any accepted spelling).
    ok_at(&env, &at(3), &["--actor", "ana", "approve", "esc-2", "vip"]);
}

#[test]
fn a_label_trigger_adds_its_label_once() {
    let triggers = r#"
[[triggers]]
name = "money"
when = { type = ["billing"] }
then = { label = ["money", "finance"] }
"#;
    let env = env_with(triggers, NOTIFY, Some(LOGGING));
    open_at(
        &env,
        NOW,
        "Invoice",
        &["--type", "billing", "--label", "money"],
    );
    open_at(&env, NOW, "Bug", &[]);
    let out = sweep_at(&env, &at(1));
    assert_eq!(
        summary(&out, "ESC-1"),
        vec![s("trigger", "money", "2026-11-23T09:01:00Z")]
    );
    assert!(summary(&out, "ESC-2").is_empty());
    let case = ok_at(&env, &at(1), &["show", "ESC-1"]);
    assert_eq!(case["labels"], serde_json::json!(["money", "finance"]));
    let other = ok_at(&env, &at(1), &["show", "ESC-2"]);
    assert_eq!(other["labels"], serde_json::json!([]));
    assert!(actions(&sweep_at(&env, &at(90))).is_empty());
    let labelled = events_of(&ledger_events(&env), "labelled").len();
    assert_eq!(labelled, 1);
}

#[test]
fn a_sponsor_trigger_engages_and_notifies_the_sponsor() {
    let triggers = r#"
[[triggers]]
name = "key-account"
when = { account_key = true }
then = { sponsor = true }
"#;
    let env = env_with(triggers, NOTIFY, Some(LOGGING));
    open_at(&env, NOW, "Key customer", &["--account", "acme"]);
    open_at(&env, NOW, "Other customer", &["--account", "other"]);
    let out = sweep_at(&env, &at(1));
    assert_eq!(
        summary(&out, "ESC-1"),
        vec![s("trigger", "key-account", "2026-11-23T09:01:00Z")]
    );
    assert!(summary(&out, "ESC-2").is_empty());
    let engaged = events_of(&ledger_events(&env), "sponsor_engaged")
        .into_iter()
        .cloned()
        .collect::<Vec<_>>();
    assert_eq!(engaged.len(), 1);
    assert_eq!(engaged[0]["case"], "ESC-1");
    assert_eq!(engaged[0]["sponsor"], serde_json::json!(["cfo"]));
    let p = payloads(&env);
    assert_eq!(p.len(), 1);
    assert!(
        p[0]["recipients"]
            .as_array()
            .unwrap()
            .contains(&Value::from("cfo")),
        "{}",
        p[0]
    );
    assert!(actions(&sweep_at(&env, &at(90))).is_empty());
}

#[test]
fn approving_a_sponsor_proposal_notifies_the_sponsor() {
    let triggers = r#"
[[triggers]]
name = "key-account"
when = { account_key = true }
then = { sponsor = true, confirm = true }
"#;
    let env = env_with(triggers, NOTIFY, Some(LOGGING));
    open_at(&env, NOW, "Key customer", &["--account", "acme"]);
    sweep_at(&env, &at(1));
    assert!(events_of(&ledger_events(&env), "sponsor_engaged").is_empty());
    ok_at(
        &env,
        &at(2),
        &["--actor", "ana", "approve", "ESC-1", "key-account"],
    );
    let engaged = events_of(&ledger_events(&env), "sponsor_engaged").len();
    assert_eq!(engaged, 1);
    sweep_at(&env, &at(3));
    let p = payloads(&env);
    let approval = p.last().expect("the approval is notified");
    assert_eq!(approval["action"], "trigger");
    assert!(
        approval["recipients"]
            .as_array()
            .unwrap()
            .contains(&Value::from("cfo")),
        "the engaged sponsor is told: {approval}"
    );
}

// ---------------------------------------------------------------------------------------
// Notifications
// ---------------------------------------------------------------------------------------

const MONEY: &str = r#"
[[triggers]]
name = "money"
when = { type = ["billing"] }
then = { label = ["money"], notify = ["lead"] }
"#;

#[test]
fn the_notify_command_gets_one_json_object_per_notification() {
    let env = env_with(MONEY, NOTIFY, Some(LOGGING));
    open_at(
        &env,
        NOW,
        "Invoice wrong",
        &["--type", "billing", "--severity", "sev1"],
    );
    open_at(&env, NOW, "Refund", &["--type", "billing"]);
    let out = sweep_at(&env, &at(12));
    let sent = counts(&out).0 as usize;
    assert!(sent >= 3, "{out:#}");
    // One run per notification, one line of JSON each.
    let calls = env.read("calls.log");
    assert_eq!(calls.lines().count(), sent);
    let p = payloads(&env);
    assert_eq!(p.len(), sent);
    let queued = events_of(&ledger_events(&env), "notification_queued").len();
    assert_eq!(queued, sent);
    for n in &p {
        for key in [
            "id",
            "case",
            "title",
            "severity",
            "action",
            "recipients",
            "message",
            "at",
        ] {
            assert!(n.get(key).is_some(), "{key} in {n}");
        }
        assert!(n["id"].as_str().unwrap().starts_with("N-"));
        assert!(is_rfc3339(&n["at"]), "{n}");
        assert!(n["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(n["recipients"].as_array().is_some_and(|r| !r.is_empty()));
    }
    let refund: Vec<&Value> = p.iter().filter(|n| n["case"] == "ESC-2").collect();
    assert_eq!(refund.len(), 1);
    assert_eq!(refund[0]["title"], "Refund");
    assert_eq!(refund[0]["severity"], "sev4");
    assert_eq!(refund[0]["action"], "trigger");
    assert!(
        refund[0]["recipients"]
            .as_array()
            .unwrap()
            .contains(&Value::from("fay"))
    );
    let invoice: Vec<&Value> = p.iter().filter(|n| n["case"] == "ESC-1").collect();
    assert!(
        invoice
            .iter()
            .all(|n| n["title"] == "Invoice wrong" && n["severity"] == "sev1")
    );
    let kinds: BTreeSet<&str> = invoice
        .iter()
        .map(|n| n["action"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains("warning") && kinds.contains("escalated"),
        "{kinds:?}"
    );
    // `esc notifications` agrees: all delivered, ids as sent.
    let listed = ok_at(&env, &at(12), &["notifications", "--state", "delivered"]);
    let mut listed_ids: Vec<String> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_string())
        .collect();
    listed_ids.sort();
    let mut ids = payload_ids(&env);
    ids.sort();
    assert_eq!(listed_ids, ids);
    let by_case = ok_at(&env, &at(12), &["notifications", "--case", "2"]);
    assert_eq!(by_case.as_array().unwrap().len(), 1);
    assert_eq!(by_case[0]["case"], "ESC-2");
}

/// One billing case (the `money` trigger: one notification), swept at 09:01 with `script`
/// as the notify command: the sweep must succeed and report the notification failed.
fn failing_delivery(script: &str) -> TestEnv {
    let env = env_with(MONEY, NOTIFY, Some(script));
    open_at(&env, NOW, "Invoice", &["--type", "billing"]);
    let out = sweep_at(&env, &at(1));
    assert_eq!(actions(&out).len(), 1, "the trigger still fired: {out:#}");
    assert!(notified(&out).is_empty());
    assert_eq!(counts(&out), (0, 1, 1), "{out:#}");
    // The case's own actions were recorded despite the failed delivery.
    let case = ok_at(&env, &at(1), &["show", "ESC-1"]);
    assert_eq!(case["labels"], serde_json::json!(["money"]));
    let failed = ok_at(&env, &at(1), &["notifications", "--state", "failed"]);
    let failed = failed.as_array().expect("array");
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["case"], "ESC-1");
    assert_eq!(failed[0]["state"], "failed");
    assert!(
        ok_at(&env, &at(1), &["notifications", "--state", "delivered"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    env
}

/// After a failure: nothing is retried before the backoff; a working command then
/// delivers it exactly once, and it is never sent again.
fn retried_once(env: &TestEnv) {
    let id = ok_at(env, &at(1), &["notifications", "--state", "failed"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    write_script(env, LOGGING);
    // Same minute: not due yet.
    let early = sweep_at(env, "2026-11-23T09:01:30Z");
    assert_eq!(counts(&early), (0, 0, 1));
    assert!(!env.path("notify.log").exists());
    // Two minutes later: delivered.
    let out = sweep_at(env, &at(3));
    assert_eq!(counts(&out), (1, 0, 0), "{out:#}");
    let n = notified(&out);
    assert_eq!(n.len(), 1);
    assert_eq!(n[0]["id"], id.as_str());
    assert_eq!(payload_ids(env), vec![id.clone()]);
    let p = &payloads(env)[0];
    assert_eq!(p["title"], "Invoice");
    let delivered = ok_at(env, &at(3), &["notifications", "--state", "delivered"]);
    assert_eq!(delivered.as_array().unwrap().len(), 1);
    assert_eq!(delivered[0]["id"], id.as_str());
    assert!(
        ok_at(env, &at(3), &["notifications", "--state", "failed"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    // Never again.
    for m in [3, 10, 200] {
        let out = sweep_at(env, &at(m));
        assert_eq!(counts(&out), (0, 0, 0));
    }
    assert_eq!(payload_ids(env), vec![id]);
}

#[test]
fn a_failing_notify_command_is_retried_after_backoff() {
    let env = failing_delivery(FAILING);
    let failed = &ok_at(&env, &at(1), &["notifications", "--state", "failed"])[0];
    assert_eq!(failed["attempts"], 1);
    assert!(failed["last_error"].as_str().is_some_and(|e| !e.is_empty()));
    // A second failure at the retry time counts another attempt.
    let again = sweep_at(&env, &at(2));
    assert_eq!(counts(&again), (0, 1, 1));
    let failed = &ok_at(&env, &at(2), &["notifications", "--state", "failed"])[0];
    assert_eq!(failed["attempts"], 2);
    // The next retry is after a longer backoff.
    let later = sweep_at(&env, &at(3));
    assert_eq!(counts(&later), (0, 0, 1), "{later:#}");
    // Finally it works.
    write_script(&env, LOGGING);
    let out = sweep_at(&env, &at(5));
    assert_eq!(counts(&out), (1, 0, 0), "{out:#}");
    assert_eq!(payloads(&env).len(), 1);
    assert_eq!(counts(&sweep_at(&env, &at(30))), (0, 0, 0));
    assert_eq!(payloads(&env).len(), 1);
}

#[test]
fn a_failing_notify_command_then_a_working_one_delivers_once() {
    let env = failing_delivery(FAILING);
    retried_once(&env);
}

#[test]
fn a_hanging_notify_command_is_killed_after_its_timeout() {
    let env = failing_delivery(HANGING);
    let failed = &ok_at(&env, &at(1), &["notifications", "--state", "failed"])[0];
    let err = failed["last_error"].as_str().unwrap_or_default();
    assert!(err.contains("1s") || err.contains("time"), "{err}");
    retried_once(&env);
}

#[test]
fn a_notify_command_printing_garbage_and_failing_is_a_failure() {
    let env = failing_delivery(&garbage(1));
    retried_once(&env);
}

#[test]
fn a_notify_command_printing_garbage_and_succeeding_is_a_delivery() {
    let env = env_with(MONEY, NOTIFY, Some(&garbage(0)));
    open_at(&env, NOW, "Invoice", &["--type", "billing"]);
    // The sweep's own stdout stays one JSON document.
    let out = sweep_at(&env, &at(1));
    assert_eq!(counts(&out), (1, 0, 0), "{out:#}");
    assert_eq!(notified(&out).len(), 1);
    assert_eq!(counts(&sweep_at(&env, &at(10))), (0, 0, 0));
}

#[test]
fn a_missing_notify_command_is_a_failure_that_is_retried() {
    // The policy names ./notify.sh but there is none yet.
    let env = env_with(MONEY, NOTIFY, None);
    open_at(&env, NOW, "Invoice", &["--type", "billing"]);
    let out = sweep_at(&env, &at(1));
    assert_eq!(counts(&out), (0, 1, 1), "{out:#}");
    retried_once(&env);
}

#[test]
fn without_a_notify_command_notifications_stay_pending() {
    let env = env_with(MONEY, "", None);
    open_at(&env, NOW, "Invoice", &["--type", "billing"]);
    open_at(&env, NOW, "Refund", &["--type", "billing"]);
    let out = sweep_at(&env, &at(1));
    assert_eq!(actions(&out).len(), 2);
    assert_eq!(counts(&out), (0, 0, 2), "{out:#}");
    let again = sweep_at(&env, &at(2));
    assert!(actions(&again).is_empty());
    assert_eq!(counts(&again), (0, 0, 2));
    let all = ok_at(&env, &at(2), &["notifications"]);
    let all = all.as_array().expect("array");
    assert_eq!(all.len(), 2);
    assert!(all.iter().all(|n| n["state"] == "pending"), "{all:?}");
    assert!(all.iter().all(|n| {
        n["recipients"]
            .as_array()
            .unwrap()
            .contains(&Value::from("fay"))
    }));
    assert_eq!(
        ok_at(&env, &at(2), &["notifications", "--state", "pending"])
            .as_array()
            .unwrap()
            .len(),
        2
    );
    for state in ["failed", "delivered"] {
        assert!(
            ok_at(&env, &at(2), &["notifications", "--state", state])
                .as_array()
                .unwrap()
                .is_empty(),
            "{state}"
        );
    }
    let one = ok_at(&env, &at(2), &["notifications", "--case", "ESC-2"]);
    assert_eq!(one.as_array().unwrap().len(), 1);
    assert_eq!(one[0]["case"], "ESC-2");
    // Plain text lists them too.
    let out = env
        .esc(&["notifications"])
        .env("ESC_NOW", at(2))
        .output()
        .expect("run");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("ESC-1") && text.contains("ESC-2"), "{text}");
    // Once a command is configured the queued ones are delivered, each once.
    std::fs::write(env.path("policy.toml"), policy(MONEY, NOTIFY)).expect("policy");
    write_script(&env, LOGGING);
    let out = sweep_at(&env, &at(3));
    assert_eq!(counts(&out), (2, 0, 0), "{out:#}");
    assert_eq!(payloads(&env).len(), 2);
    assert_eq!(counts(&sweep_at(&env, &at(4))), (0, 0, 0));
    assert_eq!(payloads(&env).len(), 2);
}

// ---------------------------------------------------------------------------------------
// Hostile titles
// ---------------------------------------------------------------------------------------

fn find_named(dir: &Path, name: &str, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let p = entry.path();
        if p.file_name().is_some_and(|n| n == name) {
            found.push(p.clone());
        }
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            find_named(&p, name, found);
        }
    }
}

#[test]
fn hostile_titles_reach_the_notify_command_verbatim_as_data() {
    let env = env_with(MONEY, NOTIFY, Some(LOGGING));
    let titles = [
        "$(touch pwned)",
        "; rm -rf ~",
        "`id`",
        "\"quoted\" 'single' \\ back\nslash & | > pwned",
    ];
    for t in titles {
        open_at(&env, NOW, t, &["--type", "billing"]);
    }
    let out = sweep_at(&env, &at(1));
    assert_eq!(counts(&out), (titles.len() as u64, 0, 0), "{out:#}");
    let p = payloads(&env);
    assert_eq!(p.len(), titles.len());
    for (i, t) in titles.iter().enumerate() {
        let case = format!("ESC-{}", i + 1);
        let n = p
            .iter()
            .find(|n| n["case"] == case.as_str())
            .expect("payload");
        assert_eq!(n["title"], *t, "{n}");
        assert!(n["message"].as_str().unwrap().contains(t), "{n}");
    }
    // The argv is the policy's, untouched by the titles.
    let calls = env.read("calls.log");
    assert!(
        calls.lines().all(|l| l == "CALL --channel support"),
        "{calls}"
    );
    let mut found = Vec::new();
    find_named(env.dir.path(), "pwned", &mut found);
    assert!(found.is_empty(), "{found:?}");
    assert!(env.path("policy.toml").exists() && env.ledger_bytes().is_some());
}

// ---------------------------------------------------------------------------------------
// esc report breaches
// ---------------------------------------------------------------------------------------

#[test]
fn report_breaches_and_fail_if_any() {
    let env = env_with("", NOTIFY, Some(LOGGING));
    let empty = ok_at(&env, NOW, &["report", "breaches"]);
    assert_eq!(empty["breached"], 0);
    env.esc(&["report", "breaches", "--fail-if-any"])
        .assert()
        .success();
    open_at(&env, NOW, "Outage", &["--severity", "sev1"]);
    open_at(&env, NOW, "Slow", &[]);
    // 09:08: only the tier clock of ESC-1 is at risk (warn 09:07:30, due 09:10).
    let risk = ok_at(&env, &at(8), &["report", "breaches"]);
    assert_eq!(risk["breached"], 0);
    assert_eq!(risk["at_risk"], 1);
    assert_eq!(risk["clocks"][0]["case"], "ESC-1");
    assert_eq!(risk["clocks"][0]["clock"], "tier");
    assert_eq!(risk["clocks"][0]["due"], "2026-11-23T09:10:00Z");
    env.esc(&["report", "breaches", "--fail-if-any"])
        .env("ESC_NOW", at(8))
        .assert()
        .code(0);
    // 09:16: tier (09:10) and response (09:15) breached.
    let report = ok_at(&env, &at(16), &["report", "breaches"]);
    assert_eq!(report["now"], at(16));
    assert_eq!(report["breached"], 2);
    let breached: Vec<(String, String)> = report["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["state"] == "breached")
        .map(|c| {
            assert_eq!(c["case"], "ESC-1");
            (
                c["clock"].as_str().unwrap().to_string(),
                c["due"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        breached,
        vec![
            ("tier".to_string(), "2026-11-23T09:10:00Z".to_string()),
            ("response".to_string(), "2026-11-23T09:15:00Z".to_string()),
        ]
    );
    let out = env
        .esc(&["--json", "report", "breaches", "--fail-if-any"])
        .env("ESC_NOW", at(16))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json even when failing");
    assert_eq!(v["breached"], 2);
    env.esc(&["report", "breaches"])
        .env("ESC_NOW", at(16))
        .assert()
        .code(0);
    // The same clocks as CSV and Markdown.
    let csv = env
        .esc(&["report", "breaches", "--format", "csv"])
        .env("ESC_NOW", at(16))
        .output()
        .expect("run");
    let csv = String::from_utf8_lossy(&csv.stdout).to_string();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "case,clock,state,due,over_seconds,left_seconds,title"
    );
    assert!(
        lines[1].starts_with("ESC-1,tier,breached,2026-11-23T09:10:00Z,360,0,"),
        "{csv}"
    );
    let md = env
        .esc(&["report", "breaches", "--format", "md"])
        .env("ESC_NOW", at(16))
        .output()
        .expect("run");
    let md = String::from_utf8_lossy(&md.stdout).to_string();
    assert!(md.contains("| case | clock | state |"), "{md}");
    assert!(md.contains("| ESC-1 | response | breached |"), "{md}");
    // Resolved: nothing breached any more (its clocks stopped).
    ok_at(
        &env,
        &at(20),
        &["resolve", "ESC-1", "--resolution", "fixed"],
    );
    let after = ok_at(&env, &at(20), &["report", "breaches"]);
    assert_eq!(after["breached"], 0, "{after:#}");
    env.esc(&["report", "breaches", "--fail-if-any"])
        .env("ESC_NOW", at(20))
        .assert()
        .code(0);
}
