//! `esc intake`, `esc open --dedup-key`, `esc import` with `external_id`, and `[[intake]]` in
//! `esc policy check`: alerts from monitoring open, note, resolve and reopen cases by key.

mod common;

use common::{TestEnv, ledger_events, ok_at, repo_file};
use serde_json::Value;

const POLICY: &str = "tests/fixtures/intake/policy.toml";

fn fixture(name: &str) -> String {
    repo_file(&format!("tests/fixtures/alertmanager/{name}"))
        .display()
        .to_string()
}

/// `esc --json intake alertmanager FIXTURE` at `now`: the results.
fn am(env: &TestEnv, now: &str, name: &str) -> Vec<Value> {
    let out = ok_at(env, now, &["intake", "alertmanager", &fixture(name)]);
    out["results"].as_array().expect("results").clone()
}

fn actions(results: &[Value]) -> Vec<(String, String)> {
    results
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap_or("").to_string(),
                r["case"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect()
}

fn pair(a: &str, c: &str) -> (String, String) {
    (a.to_string(), c.to_string())
}

/// An Alertmanager payload of one group with alerts of the given (fingerprint, status).
fn disk_payload(alerts: &[(&str, &str)]) -> String {
    let alerts: Vec<Value> = alerts
        .iter()
        .map(|(fp, status)| {
            serde_json::json!({
                "status": status,
                "labels": {"alertname": "DiskFull", "instance": format!("{fp}:9100")},
                "annotations": {"summary": format!("disk full on {fp}")},
                "startsAt": "2026-11-23T08:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus:9090/graph",
                "fingerprint": fp,
            })
        })
        .collect();
    serde_json::json!({
        "receiver": "esc", "status": "firing", "alerts": alerts,
        "groupLabels": {"alertname": "DiskFull"}, "commonLabels": {"alertname": "DiskFull"},
        "commonAnnotations": {}, "externalURL": "http://am:9093", "version": "4",
        "groupKey": "{}:{alertname=\"DiskFull\"}", "truncatedAlerts": 0
    })
    .to_string()
}

#[test]
fn a_firing_alert_opens_once_then_notes_resolves_and_reopens() {
    let env = TestEnv::with_policy_file(POLICY);
    let out = env
        .esc(&["intake", "alertmanager", &fixture("firing.json")])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "opened ESC-1\n");

    let again = env
        .esc(&["intake", "alertmanager", "-"])
        .env("ESC_NOW", "2026-11-23T09:05:00Z")
        .write_stdin(std::fs::read(fixture("firing.json")).unwrap())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&again.stdout),
        "noted ESC-1 (fired again, 2nd time)\n"
    );
    let third = am(&env, "2026-11-23T09:06:00Z", "firing.json");
    assert_eq!(third[0]["count"], 3);
    assert_eq!(actions(&third), vec![pair("noted", "ESC-1")]);

    let case = ok_at(&env, "2026-11-23T09:06:00Z", &["show", "1"]);
    assert_eq!(case["title"], "ProbeFailure on https://shop.example.org");
    assert_eq!(case["severity"], "sev1", "severity_map critical → sev1");
    assert_eq!(case["channel"], "monitoring");
    assert_eq!(
        case["labels"],
        serde_json::json!(["monitoring", "env:prod"])
    );
    assert_eq!(
        case["dedup_key"],
        "{}/{env=~\"prod|staging\"}:{alertname=\"ProbeFailure\"}"
    );

    let resolved = am(&env, "2026-11-23T09:10:00Z", "resolved.json");
    assert_eq!(actions(&resolved), vec![pair("resolved", "ESC-1")]);
    let case = ok_at(&env, "2026-11-23T09:10:00Z", &["show", "1"]);
    assert_eq!(case["status"], "resolved");
    // Resolved again: nothing to do.
    let twice = am(&env, "2026-11-23T09:11:00Z", "resolved.json");
    assert_eq!(actions(&twice), vec![pair("ignored", "ESC-1")]);

    // Within reopen_within (1h) of the resolution: the same case comes back.
    let back = am(&env, "2026-11-23T09:50:00Z", "firing.json");
    assert_eq!(actions(&back), vec![pair("reopened", "ESC-1")]);
    assert_eq!(back[0]["count"], 4);
    am(&env, "2026-11-23T09:55:00Z", "resolved.json");
    // Longer after: a new case.
    let later = am(&env, "2026-11-23T11:00:00Z", "firing.json");
    assert_eq!(actions(&later), vec![pair("opened", "ESC-2")]);

    let events = ledger_events(&env);
    let opened: Vec<&Value> = events.iter().filter(|e| e["event"] == "opened").collect();
    assert_eq!(opened.len(), 2);
    let alerted = events.iter().filter(|e| e["event"] == "alerted").count();
    assert_eq!(
        alerted,
        1 + 2 + 1 + 1 + 1 + 1,
        "one alerted note per arrival that did something"
    );
}

#[test]
fn per_alert_rules_key_by_fingerprint_and_resolved_strays_are_ignored() {
    let env = TestEnv::with_policy_file(POLICY);
    let r = am(&env, common::NOW, "grouped.json");
    assert_eq!(
        actions(&r),
        vec![
            pair("opened", "ESC-1"),
            pair("opened", "ESC-2"),
            pair("ignored", "-"),
        ]
    );
    assert_eq!(r[0]["key"], "5d2a1c9e0b7f3a41");
    assert_eq!(r[1]["key"], "7c3e9f1a2d4b6e80");
    let case = ok_at(&env, common::NOW, &["show", "2"]);
    assert_eq!(case["title"], "Disk on db-2 is over 95% full");
    assert_eq!(case["severity"], "sev2");
    assert_eq!(
        case["description"],
        "/var on db-2 has less than 5% space left."
    );

    // A truncated payload of the same alerts: notes that say alerts were left out.
    let t = am(&env, "2026-11-23T09:01:00Z", "truncated.json");
    assert_eq!(
        actions(&t),
        vec![pair("noted", "ESC-1"), pair("noted", "ESC-2")]
    );
    let events = ledger_events(&env);
    let last = events.last().unwrap();
    assert_eq!(last["event"], "alerted");
    assert!(
        last["text"]
            .as_str()
            .unwrap()
            .contains("5 more alerts left out by Alertmanager"),
        "{last}"
    );
}

#[test]
fn a_storm_attaches_alerts_over_max_new_to_one_case_with_one_notification() {
    let env = TestEnv::with_policy_file(POLICY);
    // disks: max_new = { count = 2, per = "5m" }.
    let body = disk_payload(&[
        ("a1", "firing"),
        ("a2", "firing"),
        ("a3", "firing"),
        ("a4", "firing"),
    ]);
    let path = env.write("storm.json", &body);
    let path = path.display().to_string();
    let r = ok_at(&env, common::NOW, &["intake", "alertmanager", &path]);
    let r = r["results"].as_array().unwrap().clone();
    assert_eq!(
        actions(&r),
        vec![
            pair("opened", "ESC-1"),
            pair("opened", "ESC-2"),
            pair("storm", "ESC-3"),
            pair("storm", "ESC-3"),
        ]
    );
    let more = env.write(
        "more.json",
        &disk_payload(&[("a5", "firing"), ("a3", "firing")]),
    );
    let r = ok_at(
        &env,
        "2026-11-23T09:02:00Z",
        &["intake", "alertmanager", &more.display().to_string()],
    );
    assert_eq!(
        actions(r["results"].as_array().unwrap()),
        vec![pair("storm", "ESC-3"), pair("storm", "ESC-3")]
    );
    let storm = ok_at(&env, "2026-11-23T09:02:00Z", &["show", "3"]);
    assert!(
        storm["title"]
            .as_str()
            .unwrap()
            .starts_with("Alert storm: rule `disks`"),
        "{}",
        storm["title"]
    );
    let events = ledger_events(&env);
    let notices: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "notification_queued" && e["case"] == "ESC-3")
        .collect();
    assert_eq!(notices.len(), 1, "the storm is told once, not per alert");
    assert_eq!(notices[0]["case"], "ESC-3");
    assert_eq!(notices[0]["action"], "alert_storm");
    let on_storm = events
        .iter()
        .filter(|e| e["case"] == "ESC-3" && e["event"] == "alerted")
        .count();
    assert_eq!(on_storm, 4);
    // The sweep's notification list names the storm once.
    let list = ok_at(
        &env,
        "2026-11-23T09:02:00Z",
        &["notifications", "--case", "ESC-3"],
    );
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");

    // Once the window has passed, alerts open cases of their own again.
    let later = env.write("later.json", &disk_payload(&[("b1", "firing")]));
    let r = ok_at(
        &env,
        "2026-11-23T09:06:00Z",
        &["intake", "alertmanager", &later.display().to_string()],
    );
    assert_eq!(
        actions(r["results"].as_array().unwrap()),
        vec![pair("opened", "ESC-4")]
    );
}

#[test]
fn bad_payloads_are_refused_and_leave_the_ledger_as_it_was() {
    let env = TestEnv::with_policy_file(POLICY);
    am(&env, common::NOW, "firing.json");
    let before = env.ledger_bytes();
    let unrouted = serde_json::json!({
        "receiver": "esc", "status": "firing", "version": "4", "groupKey": "{}:{alertname=\"Other\"}",
        "alerts": [{"status": "firing", "labels": {"alertname": "Other"}, "annotations": {},
                    "fingerprint": "ffff"}]
    })
    .to_string();
    let cases: [(&str, String, &str); 5] = [
        ("not-json", "{\"status\": ".to_string(), "is not valid"),
        (
            "version",
            std::fs::read_to_string(fixture("firing.json"))
                .unwrap()
                .replace("\"version\": \"4\"", "\"version\": \"3\""),
            "version \"3\" is not supported",
        ),
        ("unrouted", unrouted, "matches no [[intake]] rule"),
        (
            "no-alerts",
            r#"{"status":"firing","alerts":[],"version":"4","groupKey":"g"}"#.to_string(),
            "has no `alerts`",
        ),
        (
            "array",
            "[1, 2]".to_string(),
            "the Alertmanager payload is not valid",
        ),
    ];
    for (name, body, phrase) in cases {
        let path = env.write(&format!("{name}.json"), &body);
        let out = env
            .esc(&["intake", "alertmanager", &path.display().to_string()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(phrase), "{name}: {err}");
        assert!(err.contains("nothing recorded"), "{name}: {err}");
        assert_eq!(
            env.ledger_bytes(),
            before,
            "{name}: the ledger is byte-identical"
        );
    }
    // An event before the case's last event is refused too.
    let out = env
        .esc(&["intake", "alertmanager", &fixture("firing.json")])
        .env("ESC_NOW", "2026-11-23T08:00:00Z")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("must not be earlier"));
    assert_eq!(env.ledger_bytes(), before);
}

#[test]
fn a_policy_without_intake_rules_refuses_alerts_with_a_hint() {
    let env = TestEnv::with_policy_file("tests/fixtures/minimal.toml");
    let out = env
        .esc(&["intake", "alertmanager", &fixture("firing.json")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no [[intake]] rules"));
    assert!(!env.path("ledger.jsonl").exists());
}

fn event(env: &TestEnv, now: &str, body: &str) -> Vec<Value> {
    let out = env
        .esc(&["--json", "intake", "event"])
        .env("ESC_NOW", now)
        .write_stdin(body.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["results"].as_array().unwrap().clone()
}

#[test]
fn generic_events_trigger_acknowledge_and_resolve_by_dedup_key() {
    let env = TestEnv::with_policy_file(POLICY);
    let trigger = r#"{"dedup_key":"db-1/disk","action":"trigger","summary":"Disk full on db-1","severity":"warning","source":"db-1","custom_details":{"customer":"acme","free_gb":0}}"#;
    let r = event(&env, common::NOW, trigger);
    assert_eq!(actions(&r), vec![pair("opened", "ESC-1")]);
    assert_eq!(r[0]["rule"], "events");
    let case = ok_at(&env, common::NOW, &["show", "1"]);
    assert_eq!(case["title"], "Disk full on db-1");
    assert_eq!(case["severity"], "sev2");
    assert_eq!(
        case["account"], "acme",
        "account from a template over the labels"
    );
    assert_eq!(case["reporter"], "db-1");

    let r = event(&env, "2026-11-23T09:01:00Z", trigger);
    assert_eq!(actions(&r), vec![pair("noted", "ESC-1")]);
    let ack = r#"{"dedup_key":"db-1/disk","action":"acknowledge","source":"db-1"}"#;
    let r = event(&env, "2026-11-23T09:02:00Z", ack);
    assert_eq!(actions(&r), vec![pair("acknowledged", "ESC-1")]);
    assert_eq!(
        ok_at(&env, "2026-11-23T09:02:00Z", &["show", "1"])["status"],
        "acknowledged"
    );
    let resolve = r#"{"dedup_key":"db-1/disk","action":"resolve","source":"db-1"}"#;
    let r = event(&env, "2026-11-23T09:03:00Z", resolve);
    assert_eq!(actions(&r), vec![pair("resolved", "ESC-1")]);

    // Human output names what happened.
    let out = env
        .esc(&["intake", "event"])
        .env("ESC_NOW", "2026-11-23T09:04:00Z")
        .write_stdin(
            r#"{"dedup_key":"web/5xx","action":"trigger","summary":"5xx rate high","source":"lb"}"#,
        )
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "opened ESC-2\n");

    // A bad event: unknown field.
    let out = env
        .esc(&["intake", "event"])
        .write_stdin(
            r#"{"dedup_key":"k","action":"trigger","summary":"x","source":"a","colour":"red"}"#,
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown field `colour`"));
}

/// The notifications queued on a case: (action, audience, recipients), in ledger order.
fn queued(env: &TestEnv, case: &str) -> Vec<(String, String, Vec<String>)> {
    ledger_events(env)
        .iter()
        .filter(|e| e["event"] == "notification_queued" && e["case"] == case)
        .map(|e| {
            let to = e["recipients"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap().to_string())
                .collect();
            let text = |k: &str| e[k].as_str().unwrap_or("internal").to_string();
            (text("action"), text("audience"), to)
        })
        .collect()
}

fn told(action: &str, audience: &str, to: &[&str]) -> (String, String, Vec<String>) {
    (
        action.to_string(),
        audience.to_string(),
        to.iter().map(|t| t.to_string()).collect(),
    )
}

#[test]
fn alert_cases_tell_staff_and_the_accounts_contacts_never_the_monitoring_system() {
    let env = TestEnv::with_policy_file(POLICY);
    // The events rule takes the account from the `customer` detail; acme lists a contact.
    let key = |k: &str, action: &str, customer: &str| {
        format!(
            r#"{{"dedup_key":"{k}","action":"{action}","summary":"Disk full","severity":"warning","source":"db-1","custom_details":{{"customer":"{customer}"}}}}"#
        )
    };
    event(&env, common::NOW, &key("db-1/disk", "trigger", "acme"));
    // Opened: the open step's RACI row (agent ana, lead fay; its `reporter` is the monitoring
    // system, never told) and, in customer words, acme's contact.
    assert_eq!(
        queued(&env, "ESC-1"),
        [
            told("open", "internal", &["ana", "fay"]),
            told("open", "customer", &["noc@acme.example"]),
        ]
    );
    let customer = ledger_events(&env)
        .into_iter()
        .find(|e| e["audience"] == "customer")
        .unwrap();
    let message = customer["message"].as_str().unwrap();
    assert!(message.contains("opened case ESC-1"), "{message}");
    for staff in ["ana", "fay", "L1", "db-1", "sev2"] {
        assert!(!message.contains(staff), "{staff} in {message}");
    }
    // A repeat firing tells no one; an acknowledgement and a resolution do.
    event(
        &env,
        "2026-11-23T09:01:00Z",
        &key("db-1/disk", "trigger", "acme"),
    );
    assert_eq!(queued(&env, "ESC-1").len(), 2);
    event(
        &env,
        "2026-11-23T09:02:00Z",
        &key("db-1/disk", "acknowledge", "acme"),
    );
    event(
        &env,
        "2026-11-23T09:03:00Z",
        &key("db-1/disk", "resolve", "acme"),
    );
    assert_eq!(
        queued(&env, "ESC-1")[2..],
        [
            told("acknowledge", "internal", &["ana"]),
            told("resolve", "internal", &["ana"]),
            told("resolve", "customer", &["noc@acme.example"]),
        ]
    );
    // Each notification is in the same batch as the alert's events: same time.
    let events = ledger_events(&env);
    for (i, e) in events.iter().enumerate() {
        if e["event"] == "notification_queued" {
            assert_eq!(events[i - 1]["at"], e["at"], "{e}");
        }
    }
    // An account without contacts, or none: staff only.
    event(
        &env,
        "2026-11-23T09:04:00Z",
        &key("web/5xx", "trigger", "umbrella"),
    );
    assert_eq!(
        queued(&env, "ESC-2"),
        [told("open", "internal", &["ana", "fay"])]
    );
    // A case opened by hand with the same kind of key keeps its (human) reporter as the
    // customer when an alert resolves it.
    ok_at(
        &env,
        "2026-11-23T09:05:00Z",
        &[
            "open",
            "Backups failing",
            "--dedup-key",
            "backup/nightly",
            "--reporter",
            "jo@customer.example",
        ],
    );
    event(
        &env,
        "2026-11-23T09:06:00Z",
        r#"{"dedup_key":"backup/nightly","action":"resolve","source":"cron"}"#,
    );
    let resolved = queued(&env, "ESC-3");
    assert!(
        resolved.contains(&told("resolve", "customer", &["jo@customer.example"])),
        "{resolved:?}"
    );
}

#[test]
fn open_with_a_dedup_key_opens_once_while_the_case_is_unresolved() {
    let env = TestEnv::with_policy_file(POLICY);
    let first = env.json(&["open", "Backups failing", "--dedup-key", "backup/nightly"]);
    assert_eq!(first["id"], "ESC-1");
    assert_eq!(first["dedup_key"], "backup/nightly");
    // The open and the notifications it queues in its own batch.
    let written = ledger_events(&env).len();
    let out = env
        .esc(&["open", "Backups failing", "--dedup-key", "backup/nightly"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "ESC-1 is already open with dedup key `backup/nightly`: nothing recorded\n"
    );
    assert_eq!(ledger_events(&env).len(), written);
    // An event with the same key notes the same case.
    let r = event(
        &env,
        common::NOW,
        r#"{"dedup_key":"backup/nightly","action":"trigger","summary":"Backups failing","source":"cron"}"#,
    );
    assert_eq!(actions(&r), vec![pair("noted", "ESC-1")]);
    // Once resolved, the key opens a new case.
    env.esc(&["resolve", "1", "--resolution", "fixed"])
        .assert()
        .success();
    let again = env.json(&["open", "Backups failing", "--dedup-key", "backup/nightly"]);
    assert_eq!(again["id"], "ESC-2");
}

#[test]
fn importing_the_same_file_twice_adds_nothing() {
    let env = TestEnv::with_policy_file(POLICY);
    let file = env.write(
        "old.jsonl",
        concat!(
            r#"{"external_id":"JIRA-1","title":"Printer on fire","opened_at":"2026-11-20T10:00:00Z"}"#,
            "\n",
            r#"{"external_id":2,"title":"Invoice wrong","opened_at":"2026-11-21T10:00:00Z","resolved_at":"2026-11-21T12:00:00Z"}"#,
            "\n",
            r#"{"title":"No id","opened_at":"2026-11-21T11:00:00Z"}"#,
            "\n",
        ),
    );
    let file = file.display().to_string();
    let first = env.json(&["import", &file]);
    assert_eq!(first["imported"], 3);
    let case = env.json(&["show", "1"]);
    assert_eq!(case["dedup_key"], "JIRA-1");
    let before = ledger_events(&env).len();
    let again = env.json(&["import", &file]);
    assert_eq!(
        again["imported"], 1,
        "only the record without an external_id"
    );
    assert_eq!(again["skipped"], 2);
    let after = ledger_events(&env);
    assert_eq!(
        after.iter().filter(|e| e["event"] == "opened").count(),
        4,
        "{before}"
    );
    let out = env.esc(&["import", &file]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("skipped 2 records whose external_id is already in the ledger")
    );
}

#[test]
fn policy_check_reports_intake_mistakes_with_positions() {
    let base = std::fs::read_to_string(repo_file("tests/fixtures/minimal.toml")).unwrap();
    let text = format!(
        "{base}\n[[intake]]\nname = \"a\"\nmatch = {{ env = \"~prod(\" }}\nseverity = \"sev9\"\nseverity_map = {{ critical = \"sev1\" }}\ntitle = \"{{{{ labels.x \"\nmax_new = {{ count = 0, per = \"5m\" }}\nper_alrt = true\n\n[[intake]]\nname = \"a\"\n"
    );
    let env = TestEnv::with_exact_policy(&text);
    let out = env
        .esc(&["policy", "check", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors = v["files"][0]["errors"].as_array().unwrap();
    let messages: Vec<&str> = errors
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    let first_line = base.lines().count() as u64 + 2;
    for (phrase, line) in [
        ("`intake.match.env` is not a valid regex", first_line + 2),
        ("unknown severity `sev9`", first_line + 3),
        ("`severity_map` needs `severity_from`", first_line + 4),
        ("does not compile as a template", first_line + 5),
        ("write a whole number of at least 1", first_line + 6),
        ("unknown key `per_alrt`", first_line + 7),
        ("intake rule name `a` is used twice", first_line + 10),
    ] {
        let found = errors
            .iter()
            .find(|e| e["message"].as_str().unwrap().contains(phrase))
            .unwrap_or_else(|| panic!("no error containing {phrase:?} in {messages:#?}"));
        assert_eq!(found["line"], line, "{phrase}");
    }
    // The shipped example passes.
    let ok = TestEnv::with_policy_file(POLICY);
    ok.esc(&["policy", "check"]).assert().success();
}

#[test]
fn the_schema_describes_intake_rules() {
    let env = TestEnv::new();
    let schema = env.json(&["policy", "schema"]);
    let intake = &schema["properties"]["intake"]["items"]["properties"];
    for key in [
        "name",
        "match",
        "severity",
        "severity_from",
        "severity_map",
        "type",
        "account",
        "path",
        "labels",
        "title",
        "per_alert",
        "resolve_on_clear",
        "reopen_within",
        "max_new",
    ] {
        assert!(intake.get(key).is_some(), "schema lacks intake.{key}");
    }
}

#[test]
fn policy_explain_lists_the_intake_rules_in_order() {
    let env = TestEnv::with_policy_file(POLICY);
    let out = env.esc(&["policy", "explain"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let section = text
        .split("Intake rules (alerts from monitoring; the first that matches wins)")
        .nth(1)
        .expect("an intake section");
    let probes = section.find("probes").expect("probes");
    let disks = section.find("disks").expect("disks");
    assert!(probes < disks, "in the order written");
    for phrase in [
        "env ~ prod|staging",
        "fingerprint",
        "within 1h",
        "over 2 per 5m",
    ] {
        assert!(section.contains(phrase), "{phrase} in {section}");
    }
}

#[test]
fn keys_from_payloads_never_reach_the_terminal_raw() {
    let env = TestEnv::with_policy_file(POLICY);
    let out = env
        .esc(&["intake", "event"])
        .write_stdin(r#"{"dedup_key":"evil\u001b[2J\u0007","action":"resolve","source":"x"}"#)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    assert!(text.contains("evil\\u{1b}[2J\\u{7}"), "{text:?}");
}

#[test]
fn cases_from_monitoring_go_to_whoever_is_on_call() {
    let env = TestEnv::with_policy_file(POLICY);
    env.esc(&[
        "oncall",
        "override",
        "agent",
        "--person",
        "fay",
        "--from",
        "2026-11-23T08:00:00Z",
        "--to",
        "2026-11-23T12:00:00Z",
    ])
    .assert()
    .success();
    let r = am(&env, common::NOW, "firing.json");
    assert_eq!(actions(&r), vec![pair("opened", "ESC-1")]);
    assert_eq!(ok_at(&env, common::NOW, &["show", "1"])["owner"], "fay");
}
