//! Notifications end to end: who is told what under every shipped policy, promises, catch-up
//! (superseded, expired), `esc notifications drop|retry`, the notify command's process group,
//! environment and stderr, template fuel, and the webhook and SMTP channels against real
//! local servers (a std TcpListener speaking HTTP/1.1; Debian's python3-aiosmtpd).

mod common;

use common::{NOW, TestEnv, ledger_events, ok_at};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::sync::{Arc, Mutex};

/// `NOW` plus `minutes`, as RFC 3339 UTC.
fn at(minutes: i64) -> String {
    let t =
        chrono::DateTime::parse_from_rfc3339(NOW).unwrap() + chrono::TimeDelta::minutes(minutes);
    t.with_timezone(&chrono::Utc)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn notifications(env: &TestEnv, now: &str) -> Vec<Value> {
    let v = ok_at(env, now, &["notifications"]);
    v.as_array().expect("array").clone()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------
// Who is told what, under every shipped policy
// ---------------------------------------------------------------------------------------

const SHIPPED: [&str; 4] = [
    "policies/customer-support.toml",
    "policies/it-helpdesk.toml",
    "policies/sre-incident.toml",
    "src/policy/starter.toml",
];

const CUSTOMER: &str = "jo@customer.example";

/// A shipped policy, parsed, and an env under it.
fn under(file: &str) -> (esc::policy::Policy, TestEnv) {
    let text = std::fs::read_to_string(common::repo_file(file)).expect("policy");
    let policy = esc::policy::parse(&text).expect("valid policy");
    (policy, TestEnv::with_policy(&text))
}

/// `esc open "Cannot print invoices" --reporter CUSTOMER` and `extra`, at NOW.
fn open_for_customer(env: &TestEnv, extra: &[&str]) -> Value {
    let mut args = vec!["open", "Cannot print invoices", "--reporter", CUSTOMER];
    args.extend_from_slice(extra);
    ok_at(env, NOW, &args)
}

/// Walk one case through every command that tells people, and check every notification.
fn walk(file: &str) {
    let (policy, env) = under(file);
    let people: Vec<String> = policy.people().iter().map(|p| p.to_string()).collect();
    let opened = open_for_customer(&env, &["--channel", "email", "--actor", &people[0]]);
    let owner = opened["owner"].as_str().unwrap().to_string();
    let other = people.iter().find(|p| **p != owner).unwrap().clone();
    // The owner works the case (and, as commander, stands the major incident down).
    let run = |m: i64, args: &[&str]| {
        let out = env
            .esc(args)
            .env("ESC_NOW", at(m))
            .env("ESC_ACTOR", &owner)
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{file}: esc {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(1, &["ack", "1"]);
    run(2, &["assign", "1", "--to", &other]);
    run(
        3,
        &[
            "escalate",
            "1",
            "--reason",
            "needs a specialist",
            "--summary",
            "prints blank pages",
            "--tried",
            "restarted the spooler",
        ],
    );
    run(4, &["deescalate", "1", "--reason", "back to the desk"]);
    run(
        5,
        &["swarm", "1", "--with", &other, "--facilitator", &owner],
    );
    run(6, &["swarm", "1", "--end", "--lessons", "pair earlier"]);
    let mut major = vec![
        "major".to_string(),
        "1".into(),
        "--commander".into(),
        owner.clone(),
    ];
    for role in policy.major.roles.iter().filter(|r| *r != "commander") {
        major.push("--role".into());
        major.push(format!("{role}={other}"));
    }
    let major: Vec<&str> = major.iter().map(String::as_str).collect();
    run(7, &major);
    run(
        8,
        &[
            "update",
            "1",
            "--status",
            "investigating",
            "--impact",
            "invoices delayed",
            "--actions",
            "replacing the driver",
            "--next",
            "in 30 minutes",
        ],
    );
    run(9, &["major", "1", "--stand-down"]);
    run(
        10,
        &[
            "update",
            "1",
            "We are testing a new print driver",
            "--customer",
            "--eta",
            "3h",
        ],
    );
    run(
        11,
        &[
            "resolve",
            "1",
            "--resolution",
            "we replaced the print driver",
            "--root-cause",
            "driver",
        ],
    );
    run(12, &["followup", "1", "--request"]);
    run(13, &["followup", "1", "--csat", "5"]);
    run(
        14,
        &[
            "review",
            "1",
            "--root-cause",
            "a driver update broke printing",
        ],
    );
    run(14, &["close", "1"]);
    run(15, &["reopen", "1", "--reason", "blank pages again"]);

    let all = notifications(&env, &at(20));
    let mut customer_kinds: Vec<String> = Vec::new();
    let mut internal_kinds: Vec<String> = Vec::new();
    for n in &all {
        let action = n["action"].as_str().unwrap().to_string();
        let to = strings(&n["recipients"]);
        assert!(!to.is_empty(), "{file}: {n}");
        let message = n["message"].as_str().unwrap();
        match n["audience"].as_str() {
            Some("customer") => {
                assert_eq!(to, [CUSTOMER], "{file}: {n}");
                let hits = esc::notify::compose::staff_words(&policy, message);
                assert!(hits.is_empty(), "{file} {action}: {hits:?} in {message:?}");
                customer_kinds.push(action);
            }
            Some("internal") => {
                for p in &to {
                    assert!(people.contains(p), "{file} {action}: {p} is staff: {n}");
                }
                internal_kinds.push(action);
            }
            other => panic!("{file}: audience {other:?}: {n}"),
        }
    }
    assert_eq!(
        customer_kinds,
        [
            "open",
            "escalated",
            "customer_update",
            "resolve",
            "followup_request"
        ],
        "{file}"
    );
    for kind in [
        "open",
        "acknowledge",
        "assign",
        "escalated",
        "deescalated",
        "swarm",
        "swarm_ended",
        "major",
        "situation_update",
        "major_stood_down",
        "resolve",
        "close",
        "reopen",
    ] {
        assert!(
            internal_kinds.iter().any(|k| k == kind),
            "{file}: staff hear of {kind}: {internal_kinds:?}"
        );
    }
    // Each notification was queued in the same append as its command's event: right after
    // it, with the same time.
    let events = ledger_events(&env);
    for (i, e) in events.iter().enumerate() {
        if e["event"] == "notification_queued" {
            let owner_event = events[..i]
                .iter()
                .rev()
                .find(|x| x["event"] != "notification_queued")
                .expect("an event before");
            assert_eq!(owner_event["at"], e["at"], "{file}: same batch: {e}");
        }
    }
    // The promises made are in the ledger.
    let promised: Vec<&Value> = all.iter().filter(|n| n.get("promise").is_some()).collect();
    assert!(promised.len() >= 2, "{file}: {promised:?}");
}

#[test]
fn every_command_tells_the_right_audience_under_customer_support() {
    walk(SHIPPED[0]);
}

#[test]
fn every_command_tells_the_right_audience_under_it_helpdesk() {
    walk(SHIPPED[1]);
}

#[test]
fn every_command_tells_the_right_audience_under_sre_incident() {
    walk(SHIPPED[2]);
}

#[test]
fn every_command_tells_the_right_audience_under_the_starter() {
    walk(SHIPPED[3]);
}

#[test]
fn a_key_accounts_contacts_are_told_in_customer_words_with_the_reporter() {
    // customer-support lists it-ops@globex.example as Globex's contact.
    let (policy, env) = under(SHIPPED[0]);
    let contact = "it-ops@globex.example";
    open_for_customer(&env, &["--account", "globex"]);
    ok_at(
        &env,
        &at(5),
        &[
            "resolve",
            "1",
            "--resolution",
            "we replaced the print driver",
        ],
    );
    ok_at(&env, &at(6), &["followup", "1", "--request"]);
    let customer: Vec<(String, Vec<String>)> = notifications(&env, &at(7))
        .iter()
        .filter(|n| n["audience"] == "customer")
        .map(|n| {
            let message = n["message"].as_str().unwrap();
            let hits = esc::notify::compose::staff_words(&policy, message);
            assert!(hits.is_empty(), "{hits:?} in {message:?}");
            (
                n["action"].as_str().unwrap().to_string(),
                strings(&n["recipients"]),
            )
        })
        .collect();
    let both = vec![CUSTOMER.to_string(), contact.to_string()];
    assert_eq!(
        customer,
        [
            ("open".to_string(), both.clone()),
            ("resolve".to_string(), both),
            ("followup_request".to_string(), vec![CUSTOMER.to_string()]),
        ]
    );
    // Never in a staff notification.
    let internal = notifications(&env, &at(7));
    for n in internal.iter().filter(|n| n["audience"] == "internal") {
        assert!(
            !strings(&n["recipients"]).contains(&contact.to_string()),
            "{n}"
        );
    }
}

#[test]
fn account_contacts_are_checked() {
    let with = |account: &str, on: &str| {
        TestEnv::with_policy(&policy(&format!("[accounts.acme]\n{account}\n{on}")))
    };
    for (env, want) in [
        (
            with("contacts = [\"ops desk\"]", ""),
            "`accounts.acme.contacts` holds `ops desk`, which is not an email address",
        ),
        (with("contacts = [\"ana\"]", ""), "not an email address"),
        (
            with("contacts = [\"a@acme.example\", \"a@acme.example\"]", ""),
            "lists `a@acme.example` twice",
        ),
        (
            with(
                "contacts = [\"a@acme.example\"]",
                "[notify.on]\nbreach = [\"owner\", \"contacts\"]\n",
            ),
            "names `contacts`, but a breach is internal and never reaches the customer",
        ),
    ] {
        let text = check_fails(&env);
        assert!(text.contains(want), "{want}: {text}");
    }
    let good = with(
        "contacts = [\"a@acme.example\"]",
        "[notify.on]\nopen = [\"owner\", \"contacts\"]\n",
    );
    let out = good.esc(&["policy", "check"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---------------------------------------------------------------------------------------
// A small policy with a notify command
// ---------------------------------------------------------------------------------------

fn policy(notify: &str) -> String {
    format!(
        r#"version = 1
name = "Notify tests"
types = ["technical"]

[defaults]
severity = "sev1"
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
warn_at = 0.5

[roles.agent]
members = ["ana"]
[roles.engineer]
members = ["carl"]
[roles.lead]
members = ["fay"]

[[tiers]]
id = "L1"
role = "agent"
escalate_after = {{ sev1 = "1h" }}

[[tiers]]
id = "L2"
role = "engineer"
escalate_after = {{ sev1 = "2h" }}

[raci.default]
open     = {{ r = ["agent"], a = "lead" }}
escalate = {{ r = ["owner"], a = "lead", c = ["engineer"] }}

{notify}
"#
    )
}

/// `esc policy check` of the env's policy: must fail (exit 1); what it said.
fn check_fails(env: &TestEnv) -> String {
    let out = env.esc(&["policy", "check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

fn script(env: &TestEnv, name: &str, text: &str) {
    let p = env.write(name, text);
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// An env under the small policy with `COMMAND`, its `notify.sh` being `text`, and one case
/// opened (at NOW) with `open` (the title and any flags).
fn with_notifier(text: &str, open: &[&str]) -> TestEnv {
    let env = TestEnv::with_policy(&policy(COMMAND));
    script(&env, "notify.sh", text);
    let mut args = vec!["open"];
    args.extend_from_slice(open);
    ok_at(&env, NOW, &args);
    env
}

/// Logs each payload to `payloads.log`.
const LOGGING: &str = "#!/bin/sh\ncat >> payloads.log\necho >> payloads.log\n";

fn payloads(env: &TestEnv) -> Vec<Value> {
    std::fs::read_to_string(env.path("payloads.log"))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("payload is JSON"))
        .collect()
}

fn sweep(env: &TestEnv, now: &str) -> (Value, i32, String) {
    let out = env
        .esc(&["--json", "sweep"])
        .env("ESC_NOW", now)
        .output()
        .expect("run");
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (
        v,
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const COMMAND: &str = "[notify]\ncommand = [\"./notify.sh\"]\ntimeout = \"1s\"\n";

#[test]
fn a_catch_up_after_a_week_delivers_nothing_stale_and_no_warning_after_its_breach() {
    // A week of backlog recorded without a channel, then a command is configured.
    let env = TestEnv::with_policy(&policy(""));
    ok_at(&env, NOW, &["open", "Old outage", "--reporter", CUSTOMER]);
    let week = 7 * 24 * 60;
    ok_at(&env, &at(week - 20), &["open", "Fresh outage"]);
    env.write(
        "policy.toml",
        &common::allow_unknown_actors(&policy(COMMAND)),
    );
    script(&env, "notify.sh", LOGGING);
    let (out, code, _) = sweep(&env, &at(week));
    assert_eq!(code, 0, "{out:#}");
    // Nothing older than max_age (24h) went out; the old case's warnings were superseded or
    // expired, its opening notices expired.
    for p in payloads(&env) {
        assert_eq!(p["case"], "ESC-2", "only the fresh case: {p}");
        let due = chrono::DateTime::parse_from_rfc3339(p["due"].as_str().unwrap()).unwrap();
        let now = chrono::DateTime::parse_from_rfc3339(&at(week)).unwrap();
        assert!(now - due <= chrono::TimeDelta::hours(24), "{p}");
    }
    let delivered: Vec<String> = payloads(&env)
        .iter()
        .map(|p| p["action"].as_str().unwrap().to_string())
        .collect();
    // The fresh case: opened, then its response warning (at 7m30s) superseded by the
    // breach (at 15m): the breach is delivered, its warning never.
    assert!(delivered.contains(&"breach".to_string()), "{delivered:?}");
    assert!(!delivered.contains(&"warning".to_string()), "{delivered:?}");
    let all = notifications(&env, &at(week));
    let state_of = |case: &str, action: &str| -> Vec<String> {
        all.iter()
            .filter(|n| n["case"] == case && n["action"] == action)
            .map(|n| n["state"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(state_of("ESC-1", "open").iter().all(|s| s == "expired"));
    assert!(
        state_of("ESC-2", "warning")
            .iter()
            .all(|s| s == "superseded")
    );
    assert!(!state_of("ESC-2", "warning").is_empty());
    assert!(
        all.iter().all(|n| n["state"] != "pending"),
        "every notification reached an end state or was delivered"
    );
    // Every end state is an event in the ledger.
    let ended = ledger_events(&env)
        .into_iter()
        .filter(|e| e["event"] == "notification_ended")
        .count();
    let not_delivered = all.iter().filter(|n| n["state"] != "delivered").count();
    assert_eq!(ended, not_delivered);
    // A second sweep does nothing more.
    let before = payloads(&env).len();
    sweep(&env, &at(week));
    assert_eq!(payloads(&env).len(), before);
}

#[test]
fn drop_and_retry_end_or_deliver_what_is_queued() {
    let env = with_notifier("#!/bin/sh\ncat > /dev/null\nexit 1\n", &["First"]);
    ok_at(&env, NOW, &["open", "Second"]);
    let (_, code, stderr) = sweep(&env, &at(1));
    assert_eq!(code, 1, "every delivery failed");
    assert!(stderr.contains("retried by the next sweep"), "{stderr}");
    let failed: Vec<Value> = notifications(&env, &at(1));
    assert!(failed.iter().all(|n| n["state"] == "failed"), "{failed:?}");
    // Drop the first case's notifications.
    let dropped = ok_at(&env, &at(2), &["notifications", "drop", "--case", "ESC-1"]);
    assert_eq!(dropped["dropped"].as_array().unwrap().len(), 1);
    // Retry the rest now (a working command), ignoring the backoff.
    script(&env, "notify.sh", LOGGING);
    let retried = ok_at(&env, &at(2), &["notifications", "retry"]);
    assert_eq!(retried["sent"].as_array().unwrap().len(), 1, "{retried}");
    assert_eq!(payloads(&env).len(), 1);
    assert_eq!(payloads(&env)[0]["case"], "ESC-2");
    let all = notifications(&env, &at(2));
    let states: Vec<(String, String)> = all
        .iter()
        .map(|n| {
            (
                n["case"].as_str().unwrap().into(),
                n["state"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("ESC-1".into(), "dropped".into()),
            ("ESC-2".into(), "delivered".into())
        ]
    );
    // Dropping a delivered one is refused; --older-than selects by age.
    let out = env
        .esc(&["notifications", "drop", all[1]["id"].as_str().unwrap()])
        .env("ESC_NOW", at(3))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already delivered"));
    ok_at(&env, &at(3), &["open", "Third"]);
    let none = ok_at(
        &env,
        &at(4),
        &["notifications", "drop", "--older-than", "1h"],
    );
    assert_eq!(none["dropped"].as_array().unwrap().len(), 0);
    let old = ok_at(
        &env,
        &at(90),
        &["notifications", "drop", "--older-than", "1h"],
    );
    assert_eq!(old["dropped"].as_array().unwrap().len(), 1);
    // Both are in --help.
    let help = env.esc(&["notifications", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("drop") && help.contains("retry"), "{help}");
}

// ---------------------------------------------------------------------------------------
// The notify command: process group, environment, stderr
// ---------------------------------------------------------------------------------------

#[test]
fn a_timed_out_notifier_is_killed_with_everything_it_started() {
    let env = with_notifier(
        "#!/bin/sh\ncat > /dev/null\nsh -c 'echo $$ > grandchild.pid; exec sleep 1000' &\nsleep 1000\n",
        &["Hang"],
    );
    let (out, code, _) = sweep(&env, &at(1));
    assert_eq!(code, 1, "{out:#}");
    assert!(
        out["failures"][0]["error"]
            .as_str()
            .unwrap()
            .contains("did not finish")
    );
    let pid: u32 = std::fs::read_to_string(env.path("grandchild.pid"))
        .expect("the grandchild wrote its pid")
        .trim()
        .parse()
        .unwrap();
    // Killed (SIGKILL is delivered at once; a zombie awaiting its reaper counts as gone).
    let alive = || {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| {
                let state = s.rsplit(')').next().unwrap_or("").trim_start();
                !state.starts_with('Z') && !state.starts_with('X')
            })
            .unwrap_or(false)
    };
    let mut tries = 0;
    while alive() && tries < 50 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        tries += 1;
    }
    assert!(!alive(), "the background sleep {pid} survived");
}

#[test]
fn the_notifier_sees_a_minimal_environment_plus_the_allowed_names() {
    let env = TestEnv::with_policy(&policy(
        "[notify]\ncommand = [\"./notify.sh\"]\ntimeout = \"2s\"\nenv = [\"MY_TOKEN\"]\n",
    ));
    script(
        &env,
        "notify.sh",
        "#!/bin/sh\ncat > /dev/null\nenv > env.log\n",
    );
    ok_at(&env, NOW, &["open", "Env"]);
    let out = env
        .esc(&["--json", "sweep"])
        .env("ESC_NOW", at(1))
        .env("MY_TOKEN", "allowed")
        .env("OTHER_TOKEN", "secret")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("LANG", "C.UTF-8")
        .output()
        .unwrap();
    assert!(out.status.success());
    let seen = env.read("env.log");
    assert!(seen.contains("MY_TOKEN=allowed"), "{seen}");
    assert!(seen.contains("LANG=C.UTF-8"), "{seen}");
    assert!(seen.contains("PATH="), "{seen}");
    assert!(!seen.contains("OTHER_TOKEN"), "{seen}");
    assert!(!seen.contains("AWS_SECRET"), "{seen}");
    assert!(
        !seen.contains("ESC_"),
        "esc's own settings stay private: {seen}"
    );
}

#[test]
fn a_failing_notifier_stderr_is_recorded_and_shown() {
    let env = with_notifier(
        "#!/bin/sh\ncat > /dev/null\nhead -c 5000 /dev/zero | tr '\\000' 'x' >&2\necho 'chat said: bad credentials' >&2\nexit 3\n",
        &["Stderr"],
    );
    let (_, code, _) = sweep(&env, &at(1));
    assert_eq!(code, 1);
    let failed = ledger_events(&env)
        .into_iter()
        .find(|e| e["event"] == "notification_failed")
        .expect("failure recorded");
    let stderr = failed["stderr"].as_str().expect("stderr recorded");
    assert!(
        stderr.ends_with("chat said: bad credentials\n"),
        "{stderr:?}"
    );
    assert!(stderr.len() <= 2048, "the last 2 KB: {}", stderr.len());
    let shown = env
        .esc(&["notifications"])
        .env("ESC_NOW", at(2))
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.contains("bad credentials"), "{shown}");
}

// ---------------------------------------------------------------------------------------
// Templates with a fuel limit
// ---------------------------------------------------------------------------------------

const RUNAWAY: &str = "[templates]\ncustomer_update = \"{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}\"\n";

#[test]
fn a_runaway_template_fails_clearly_and_policy_check_flags_it() {
    let text = check_fails(&TestEnv::with_policy(&policy(RUNAWAY)));
    assert!(text.contains("does not finish on a sample case"), "{text}");
    // At run time (were the check skipped) the command fails with a clear error and writes
    // nothing.
    let env = TestEnv::with_policy(&policy(""));
    ok_at(&env, NOW, &["open", "Loop", "--reporter", CUSTOMER]);
    let before = env.read("ledger.jsonl");
    env.write(
        "policy.toml",
        &common::allow_unknown_actors(&policy(RUNAWAY)),
    );
    let out = env
        .esc(&["update", "1", "hello", "--customer"])
        .env("ESC_NOW", at(1))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ran longer than"), "{stderr}");
    assert_eq!(env.read("ledger.jsonl"), before, "ledger untouched");
}

// ---------------------------------------------------------------------------------------
// Promises
// ---------------------------------------------------------------------------------------

/// The `promise_missed` actions of a sweep's JSON.
fn missed(sweep: &Value) -> Vec<&Value> {
    sweep["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"] == "promise_missed")
        .collect()
}

#[test]
fn promises_are_never_in_the_past() {
    let env = TestEnv::with_policy(&policy(""));
    ok_at(&env, NOW, &["open", "Slow", "--reporter", CUSTOMER]);
    ok_at(&env, &at(5), &["ack", "1"]);
    // Resolution due 13:00; at 14:10 the status says it was missed and gives a time ahead.
    let late = at(5 * 60 + 10);
    let status = ok_at(&env, &late, &["status", "1", "--customer"]);
    assert!(status["missed"].is_string(), "{status}");
    let text = status["text"].as_str().unwrap();
    assert!(text.contains("did not keep to the time"), "{text}");
    let by = status["by"].as_str().expect("a new time");
    assert!(by > "2026-11-23 14:10", "{by} is ahead of now");
    // The sweep re-commits to the customer, once.
    let (out, _, _) = sweep(&env, &late);
    assert_eq!(
        missed(&out).len(),
        0,
        "no promise was given yet beyond the opening response one"
    );
    // An explicit ETA is recorded, promised, and used.
    ok_at(
        &env,
        &late,
        &[
            "update",
            "1",
            "A fix is being tested",
            "--customer",
            "--eta",
            "2h",
        ],
    );
    let status = ok_at(&env, &late, &["status", "1", "--customer"]);
    assert_eq!(status["by"], "2026-11-23 16:10 UTC", "{status}");
    let updated = ledger_events(&env)
        .into_iter()
        .rfind(|e| e["event"] == "updated")
        .unwrap();
    assert_eq!(updated["eta"], "2026-11-23T16:10:00Z");
    // When the ETA passes, the sweep records the miss and tells the customer a new time.
    let later = at(7 * 60 + 30);
    let (out, _, _) = sweep(&env, &later);
    let recommitted = missed(&out);
    assert_eq!(recommitted.len(), 1, "{out:#}");
    assert!(recommitted[0]["promise"].as_str().unwrap() > later.as_str());
    let told: Vec<Value> = notifications(&env, &later)
        .into_iter()
        .filter(|n| n["action"] == "promise_missed" && n["audience"] == "customer")
        .collect();
    assert_eq!(told.len(), 1);
    assert!(
        told[0]["message"]
            .as_str()
            .unwrap()
            .contains("did not keep to the time")
    );
    let (again, _, _) = sweep(&env, &later);
    assert!(missed(&again).is_empty(), "once");
    // A past ETA is refused.
    let out = env
        .esc(&[
            "update",
            "1",
            "x",
            "--customer",
            "--eta",
            "2026-11-23T09:00:00Z",
        ])
        .env("ESC_NOW", later.as_str())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_sweep_without_a_channel_keeps_a_promise_made_only_in_a_customer_notice() {
    // No channel: the sweep skims the outbox's lines, reading a notice's promise alone.
    let env = TestEnv::with_policy(&policy(""));
    ok_at(&env, NOW, &["open", "Slow", "--reporter", CUSTOMER]);
    // The opening notice promises the first response; no event of the case says so.
    let events = ledger_events(&env);
    let notice = events
        .iter()
        .rfind(|e| e["event"] == "notification_queued" && e["audience"] == "customer")
        .unwrap();
    let promised = notice["promise"]
        .as_str()
        .expect("the notice promises a time");
    let later = (chrono::DateTime::parse_from_rfc3339(promised).unwrap()
        + chrono::TimeDelta::minutes(1))
    .with_timezone(&chrono::Utc)
    .format("%Y-%m-%dT%H:%M:%SZ")
    .to_string();
    let dry_run = || ok_at(&env, &later, &["sweep", "--dry-run"]);
    // Read with the writer's checkpoint (skimmed) and without it (every line whole).
    let skimmed = dry_run();
    let checkpoint = env.path("ledger.jsonl.idx");
    if checkpoint.exists() {
        std::fs::remove_file(&checkpoint).unwrap();
    }
    assert_eq!(dry_run(), skimmed);
    assert_eq!(missed(&skimmed).len(), 1, "{skimmed:#}");
    let (out, _, _) = sweep(&env, &later);
    assert_eq!(missed(&out).len(), 1, "{out:#}");
    let recorded = ledger_events(&env)
        .into_iter()
        .rfind(|e| e["event"] == "promise_missed")
        .unwrap();
    assert_eq!(recorded["missed"], promised);
}

// ---------------------------------------------------------------------------------------
// Webhook: a real HTTP/1.1 server on a local port
// ---------------------------------------------------------------------------------------

/// A local HTTP server answering each request by the next behaviour (the last one repeats):
/// a status code, or `0` to hang without answering. Returns its URL and the bodies received.
/// What a test server received: (the answer it gave, the request body).
type Received = Arc<Mutex<Vec<(u16, String)>>>;

fn http_server(behaviours: Vec<u16>) -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "http://{}/hook/secret-token",
        listener.local_addr().unwrap()
    );
    let seen: Received = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for (i, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { continue };
            let answer = *behaviours.get(i).or(behaviours.last()).unwrap_or(&200);
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let l = line.trim_end().to_ascii_lowercase();
                if l.is_empty() {
                    break;
                }
                if let Some(v) = l.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0u8; length];
            let _ = reader.read_exact(&mut body);
            log.lock()
                .unwrap()
                .push((answer, String::from_utf8_lossy(&body).into_owned()));
            if answer == 0 {
                std::thread::sleep(std::time::Duration::from_secs(4));
                continue;
            }
            let _ = write!(
                stream,
                "HTTP/1.1 {answer} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
            );
        }
    });
    (url, seen)
}

/// What a sweep against a local webhook server did.
struct Swept {
    env: TestEnv,
    out: Value,
    code: i32,
    stderr: String,
    seen: Received,
}

/// Open one case (`open`: the title and any flags) under the small policy with a team
/// webhook on a local server answering by `behaviours` (see [`http_server`]), `retries`
/// further attempts and a 1 s timeout, and sweep a minute later.
fn webhook_sweep(behaviours: Vec<u16>, retries: u32, open: &[&str]) -> Swept {
    let (url, seen) = http_server(behaviours);
    let env = TestEnv::with_policy(&policy(&format!(
        "[notify]\ntimeout = \"1s\"\n[notify.webhook]\nurl = \"{url}\"\nretries = {retries}\n"
    )));
    let mut args = vec!["open"];
    args.extend_from_slice(open);
    ok_at(&env, NOW, &args);
    let (out, code, stderr) = sweep(&env, &at(1));
    Swept {
        env,
        out,
        code,
        stderr,
        seen,
    }
}

#[test]
fn a_webhook_gets_the_payload_with_a_slack_text_field() {
    let Swept {
        out, code, seen, ..
    } = webhook_sweep(
        vec![200],
        2,
        &["Webhook", "--reporter", CUSTOMER, "--channel", "portal"],
    );
    assert_eq!(code, 0, "{out:#}");
    // The team webhook takes internal notifications only.
    let got = seen.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "{got:?}");
    let body: Value = serde_json::from_str(&got[0].1).unwrap();
    assert_eq!(body["audience"], "internal");
    assert_eq!(body["action"], "open");
    assert_eq!(body["text"], body["message"]);
    assert_eq!(body["channel"], "portal", "the case's intake channel");
    assert!(body["text"].as_str().unwrap().contains("ESC-1 Webhook"));
}

#[test]
fn a_webhook_that_fails_first_is_retried_and_gets_it_once() {
    let Swept {
        env,
        out,
        code,
        seen,
        ..
    } = webhook_sweep(vec![500, 503, 200], 2, &["Flaky"]);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["notifications"]["sent"], 1);
    let got = seen.lock().unwrap().clone();
    let answers: Vec<u16> = got.iter().map(|(a, _)| *a).collect();
    assert_eq!(
        answers,
        [500, 503, 200],
        "delivered exactly once, after two failures"
    );
    // Same notification id each time.
    let ids: Vec<String> = got
        .iter()
        .map(|(_, b)| {
            serde_json::from_str::<Value>(b).unwrap()["id"]
                .as_str()
                .unwrap()
                .into()
        })
        .collect();
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
    let (again, _, _) = sweep(&env, &at(2));
    assert_eq!(again["notifications"]["sent"], 0);
    assert_eq!(seen.lock().unwrap().len(), 3, "never again");
}

#[test]
fn a_hanging_webhook_times_out_and_stays_queued() {
    let Swept {
        env,
        out,
        code,
        stderr,
        seen,
    } = webhook_sweep(vec![0], 1, &["Hanging"]);
    assert_eq!(code, 1, "{out:#}");
    assert!(stderr.contains("retried by the next sweep"), "{stderr}");
    let error = out["failures"][0]["error"].as_str().unwrap();
    assert!(error.contains("no answer within 1s"), "{error}");
    assert!(error.contains("after 2 attempts"), "{error}");
    assert!(
        !error.contains("secret-token"),
        "the URL's path is not shown: {error}"
    );
    // The server took the first request and hung; the retry waited in its backlog.
    assert!(!seen.lock().unwrap().is_empty());
    let n = notifications(&env, &at(1));
    assert_eq!(n[0]["state"], "failed");
}

// ---------------------------------------------------------------------------------------
// Email: a real SMTP server (python3-aiosmtpd)
// ---------------------------------------------------------------------------------------

/// Start aiosmtpd writing a Maildir into `dir`, or `None` (with a notice) if it is missing;
/// with ESC_REQUIRE_SERVICES=1 a missing server fails the test.
fn smtp_server(dir: &std::path::Path) -> Option<(std::process::Child, u16)> {
    let python = ["/usr/bin/python3", "python3"].into_iter().find(|p| {
        std::process::Command::new(p)
            .args(["-c", "import aiosmtpd"])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    let Some(python) = python else {
        if std::env::var("ESC_REQUIRE_SERVICES").is_ok_and(|v| v == "1") {
            panic!(
                "python3-aiosmtpd is required (ESC_REQUIRE_SERVICES=1): apt-get install python3-aiosmtpd"
            );
        }
        eprintln!("notice: python3-aiosmtpd is not installed; skipping the SMTP test");
        return None;
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::new(python)
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start aiosmtpd");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some((child, port));
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("aiosmtpd did not start listening on {port}");
}

#[test]
fn email_reaches_staff_and_the_customer_over_smtp() {
    let env = TestEnv::new();
    let maildir = env.path("maildir");
    let Some((mut server, port)) = smtp_server(&maildir) else {
        return;
    };
    let text = policy(&format!(
        "[notify]\ntimeout = \"5s\"\n[notify.email]\nhost = \"127.0.0.1\"\nport = {port}\nfrom = \"support@example.com\"\nsecurity = \"none\"\n\n[people.ana]\nemail = \"ana@example.com\"\n[people.fay]\nemail = \"fay@example.com\"\n"
    ));
    env.write("policy.toml", &common::allow_unknown_actors(&text));
    ok_at(&env, NOW, &["open", "Mail me", "--reporter", CUSTOMER]);
    let (out, code, stderr) = sweep(&env, &at(1));
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(code, 0, "{out:#} {stderr}");
    assert_eq!(out["notifications"]["sent"], 2, "{out:#}");
    let mut mails: Vec<String> = std::fs::read_dir(maildir.join("new"))
        .expect("maildir")
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    mails.sort();
    assert_eq!(mails.len(), 2, "{mails:?}");
    let staff = mails
        .iter()
        .find(|m| m.contains("ana@example.com"))
        .expect("staff mail");
    assert!(staff.contains("fay@example.com"), "{staff}");
    assert!(staff.contains("Subject: [ESC-1] Mail me"), "{staff}");
    let customer = mails
        .iter()
        .find(|m| m.contains(CUSTOMER))
        .expect("customer mail");
    assert!(
        customer.contains("Subject: Your case ESC-1: Mail me"),
        "{customer}"
    );
    assert!(
        customer.contains("We have received your request"),
        "{customer}"
    );
    assert!(!customer.contains("ana"), "no staff names: {customer}");
    assert!(customer.contains("Message-ID: <N-"), "{customer}");
}

#[test]
fn smtp_credentials_in_the_policy_are_refused() {
    let text = check_fails(&TestEnv::with_policy(&policy(
        "[notify.email]\nhost = \"smtp.example.com\"\nfrom = \"a@example.com\"\npassword = \"hunter2\"\n",
    )));
    assert!(text.contains("ESC_SMTP_PASSWORD"), "{text}");
}

#[test]
fn notify_on_may_not_send_a_warning_to_the_customer() {
    let text = check_fails(&TestEnv::with_policy(&policy(
        "[notify.on]\nwarning = [\"owner\", \"reporter\"]\n",
    )));
    assert!(text.contains("never reaches the customer"), "{text}");
}
