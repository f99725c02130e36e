//! `esc simulate`: hand-worked timelines under each shipped policy, a what-if (acknowledged
//! in time), two policies side by side, and the timeline equal to what `esc sweep` run every
//! minute on a scratch ledger records.

mod common;

use common::{TestEnv, ok_at};
use serde_json::Value;

fn simulate(env: &TestEnv, args: &[&str]) -> Value {
    let mut full = vec!["simulate"];
    full.extend_from_slice(args);
    env.json(&full)
}

/// `esc simulate --severity S --opened T --until D` (and `extra`) of one case.
fn simulate_case(
    env: &TestEnv,
    severity: &str,
    opened: &str,
    until: &str,
    extra: &[&str],
) -> Value {
    let mut args = vec!["--severity", severity, "--opened", opened, "--until", until];
    args.extend_from_slice(extra);
    simulate(env, &args)
}

/// The timeline's items.
fn timeline(v: &Value) -> &[Value] {
    v["timeline"].as_array().expect("timeline")
}

/// The timeline's items with this `action`.
fn actions<'a>(v: &'a Value, action: &str) -> Vec<&'a Value> {
    timeline(v)
        .iter()
        .filter(|i| i["action"] == action)
        .collect()
}

/// `action clock|trigger|to due` of each timeline item, for compact assertions.
fn summary(v: &Value) -> Vec<String> {
    timeline(v)
        .iter()
        .map(|i| {
            let what = i["clock"]
                .as_str()
                .or(i["trigger"].as_str())
                .or(i["to"].as_str())
                .unwrap_or("");
            format!(
                "{} {} {what} {}",
                i["case"].as_str().unwrap_or(""),
                i["action"].as_str().unwrap_or(""),
                i["due"].as_str().unwrap_or("")
            )
        })
        .collect()
}

#[test]
fn a_friday_evening_high_case_waits_for_monday_on_the_london_desk() {
    // London desk, Mon–Fri 08:30–17:30. Opened Friday 16:55: 35 open minutes on Friday.
    // Response 1h, warning at 75% = 45m: 35m Friday + 10m Monday = Mon 08:40; breach at
    // 60m = Mon 08:55. L1 budget 2h: warning at 1h30 = 09:25, escalation at 2h = 09:55.
    let env = TestEnv::with_policy_file("policies/customer-support.toml");
    let v = simulate_case(&env, "high-emea", "2026-12-04 16:55", "3d", &[]);
    let s = summary(&v);
    assert_eq!(
        s[..4],
        [
            "ESC-1 warning response 2026-12-07T08:40:00Z",
            "ESC-1 breach response 2026-12-07T08:55:00Z",
            "ESC-1 warning tier 2026-12-07T09:25:00Z",
            "ESC-1 escalated L2 2026-12-07T09:55:00Z",
        ],
        "{s:#?}"
    );
    let esc = &v["timeline"][3];
    assert_eq!(esc["from"], "L1");
    assert_eq!(esc["by"], "budget");
    assert_eq!(esc["elapsed"], "2h", "two open hours after the opening");
    assert_eq!(esc["local"], "2026-12-07 09:55 GMT");
    assert!(esc["owner"].is_string(), "the new owner is shown: {esc}");
    let told = &esc["notifications"][0];
    assert_eq!(told["action"], "escalated");
    assert_eq!(told["audience"], "internal");
    assert!(!told["recipients"].as_array().unwrap().is_empty());
    // Nothing is written.
    assert!(!env.path("ledger.jsonl").exists());
}

#[test]
fn a_sev1_at_night_wakes_management_unless_acknowledged() {
    // IT helpdesk sev1 on the 24x7 calendar, opened 02:00 Berlin (01:00 UTC): the
    // sev1-unacknowledged trigger holds after 10 minutes (01:10), the L1 budget of 15m runs
    // out at 01:15 (escalation to L2) and so does the response target.
    let env = TestEnv::with_policy_file("policies/it-helpdesk.toml");
    let v = simulate_case(&env, "sev1", "2026-12-08 02:00", "20m", &[]);
    let s = summary(&v);
    for want in [
        "ESC-1 warning response 2026-12-08T01:07:30Z",
        "ESC-1 trigger sev1-unacknowledged 2026-12-08T01:10:00Z",
        "ESC-1 escalated L2 2026-12-08T01:15:00Z",
        "ESC-1 breach response 2026-12-08T01:15:00Z",
    ] {
        assert!(s.contains(&want.to_string()), "{want} missing from {s:#?}");
    }
    // The warning is due at 01:07:30 and taken by the sweep of 01:08.
    assert_eq!(v["timeline"][0]["at"], "2026-12-08T01:08:00Z");
    // What if someone acknowledges after 5 minutes? No trigger and no response breach.
    let acked = simulate_case(&env, "sev1", "2026-12-08 02:00", "20m", &["--ack", "+5m"]);
    let s = summary(&acked);
    assert!(
        !s.iter().any(|x| x.contains("sev1-unacknowledged")),
        "{s:#?}"
    );
    assert!(!s.iter().any(|x| x.contains("breach response")), "{s:#?}");
    assert!(s.contains(&"ESC-1 escalated L2 2026-12-08T01:15:00Z".to_string()));
    assert!(
        actions(&acked, "person")
            .iter()
            .any(|i| i["events"][0] == "acknowledged"),
        "the acknowledgement is in the timeline"
    );
}

#[test]
fn a_repeating_page_stops_when_someone_acknowledges() {
    // SRE SEV1: sev1-unacknowledged holds after 5 minutes and repeats every 5 minutes.
    let env = TestEnv::with_policy_file("policies/sre-incident.toml");
    let fired_at = |extra: &[&str]| -> Vec<String> {
        timeline(&simulate_case(
            &env,
            "SEV1",
            "2026-12-08T02:00:00Z",
            "30m",
            extra,
        ))
        .iter()
        .filter(|i| i["trigger"] == "sev1-unacknowledged")
        .map(|i| i["at"].as_str().unwrap().to_string())
        .collect()
    };
    assert_eq!(
        fired_at(&["--ack", "+12m"]),
        ["2026-12-08T02:05:00Z", "2026-12-08T02:10:00Z"]
    );
    assert_eq!(fired_at(&["--ack", "+3m"]), Vec::<String>::new());
    assert!(fired_at(&[]).len() >= 5, "unacknowledged, it keeps paging");
}

#[test]
fn a_key_account_pile_up_proposes_engaging_the_sponsor() {
    // customer-support: key-account-pileup proposes (confirm = true) once a key account has
    // three open cases; two are not enough.
    let env = TestEnv::with_policy_file("policies/customer-support.toml");
    let cases = |n: &str| {
        simulate_case(
            &env,
            "normal-emea",
            "2026-12-07 10:00",
            "1h",
            &["--account", "globex", "--cases", n],
        )
    };
    let three = cases("3");
    let proposals: Vec<&Value> = actions(&three, "proposed")
        .into_iter()
        .filter(|i| i["trigger"] == "key-account-pileup")
        .collect();
    // scope = "account": one proposal for the account, naming its three cases.
    assert_eq!(proposals.len(), 1, "one per account: {three:#}");
    assert_eq!(proposals[0]["due"], "2026-12-07T10:00:00Z");
    let to = proposals[0]["notifications"][0]["recipients"]
        .as_array()
        .unwrap();
    assert!(to.contains(&Value::from("george")), "{to:?}");
    let two = cases("2");
    assert!(
        !timeline(&two)
            .iter()
            .any(|i| i["trigger"] == "key-account-pileup")
    );
}

#[test]
fn two_policies_side_by_side() {
    let env = TestEnv::with_policy_file("policies/it-helpdesk.toml");
    let mut faster = env.read("policy.toml");
    faster = faster.replace(
        "escalate_after = { sev1 = \"15m\", sev2 = \"1h\"",
        "escalate_after = { sev1 = \"15m\", sev2 = \"30m\"",
    );
    env.write("faster.toml", &faster);
    let args = [
        "--policy",
        "policy.toml",
        "--policy",
        "faster.toml",
        "simulate",
        "--severity",
        "sev2",
        "--opened",
        "2026-12-07 10:00",
        "--until",
        "2h",
    ];
    let v = env.json(&args);
    let both = v["policies"].as_array().expect("two timelines");
    assert_eq!(both.len(), 2);
    let escalated = |t: &Value| -> Vec<String> {
        actions(t, "escalated")
            .iter()
            .filter(|i| i["by"] == "budget")
            .map(|i| i["due"].as_str().unwrap().to_string())
            .collect()
    };
    // 10:00 Berlin = 09:00 UTC: one open hour vs thirty minutes in L1.
    assert_eq!(escalated(&both[0])[0], "2026-12-07T10:00:00Z");
    assert_eq!(escalated(&both[1])[0], "2026-12-07T09:30:00Z");
    let table = env.esc(&args).output().expect("run");
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(table.status.success());
    assert!(
        text.contains("faster.toml"),
        "one column per policy: {text}"
    );
    // Any other command refuses two policies.
    let refused = env
        .esc(&["--policy", "a.toml", "--policy", "b.toml", "list"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("only `esc simulate`"));
}

#[test]
fn bad_input_is_refused_with_a_hint() {
    let env = TestEnv::with_policy_file("policies/it-helpdesk.toml");
    for (args, hint) in [
        (vec!["--opened", "friday"], "is not a time"),
        (
            vec!["--opened", "2026-12-07 10:00", "--severity", "sev9"],
            "unknown severity",
        ),
        (
            vec!["--opened", "2026-12-07 10:00", "--until", "resolved"],
            "--resolve",
        ),
        (
            vec!["--opened", "2026-12-07 10:00", "--event", "+1h dance"],
            "not something simulate can do",
        ),
    ] {
        let mut full = vec!["simulate"];
        full.extend(args);
        let out = env.esc(&full).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{full:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(hint), "{full:?}: {err}");
    }
}

#[test]
fn the_timeline_is_what_sweeping_a_scratch_ledger_every_minute_records() {
    // The real binary: open the case, run `esc sweep` every minute for 40 minutes, and
    // compare its actions with simulate's timeline (the same action objects).
    let env = TestEnv::with_policy_file("policies/it-helpdesk.toml");
    let opened = chrono::DateTime::parse_from_rfc3339("2026-12-08T01:00:00Z").unwrap();
    ok_at(
        &env,
        "2026-12-08T01:00:00Z",
        &[
            "open",
            "printer on fire",
            "--severity",
            "sev1",
            "--label",
            "vip",
        ],
    );
    let mut swept: Vec<Value> = Vec::new();
    for m in 0..=40 {
        let now = (opened + chrono::TimeDelta::minutes(m)).to_rfc3339();
        let v = ok_at(&env, &now, &["sweep"]);
        swept.extend(v["actions"].as_array().unwrap().iter().cloned());
    }
    let simulated = simulate_case(
        &env,
        "sev1",
        "2026-12-08T01:00:00Z",
        "40m",
        &["--label", "vip"],
    );
    let keys = [
        "case", "action", "clock", "trigger", "path", "from", "to", "by", "due",
    ];
    let strip = |i: &Value| -> Value {
        keys.iter()
            .filter(|k| !i[**k].is_null() || i.get(**k).is_some())
            .map(|k| (k.to_string(), i[*k].clone()))
            .collect::<serde_json::Map<String, Value>>()
            .into()
    };
    let a: Vec<Value> = swept.iter().map(strip).collect();
    let b: Vec<Value> = timeline(&simulated)
        .iter()
        .filter(|i| i["action"] != "person")
        .map(strip)
        .collect();
    assert!(a.len() > 5, "the sweeps did something: {a:#?}");
    assert_eq!(a, b);
}

#[test]
fn a_friday_evening_sev2_on_a_round_the_clock_calendar_does_not_wait_for_monday() {
    // SRE SEV2 on the 24x7 calendar, opened Friday 21:55 UTC. Response 15m, warning at 60%
    // (9m) → 22:04, breach 22:10; primary budget 30m: warning at 18m → 22:13, escalation
    // to secondary 22:25; update cadence 1h: warning at 36m → 22:31; the update-overdue
    // trigger (45m without an update) → 22:40; update breach 22:55.
    let env = TestEnv::with_policy_file("policies/sre-incident.toml");
    let v = simulate_case(&env, "SEV2", "2026-12-04T21:55:00Z", "1h", &[]);
    let s = summary(&v);
    let want = [
        "ESC-1 warning response 2026-12-04T22:04:00Z",
        "ESC-1 breach response 2026-12-04T22:10:00Z",
        "ESC-1 warning tier 2026-12-04T22:13:00Z",
        "ESC-1 escalated secondary 2026-12-04T22:25:00Z",
        "ESC-1 warning update 2026-12-04T22:31:00Z",
        "ESC-1 trigger update-overdue 2026-12-04T22:40:00Z",
        "ESC-1 breach update 2026-12-04T22:55:00Z",
    ];
    let found: Vec<&str> = s
        .iter()
        .map(String::as_str)
        .filter(|x| want.contains(x))
        .collect();
    assert_eq!(found, want, "in this order: {s:#?}");
}

#[test]
fn a_follow_the_sun_pile_up_and_an_asian_account_on_its_own_hours() {
    let env = TestEnv::with_policy_file("policies/follow-the-sun.toml");
    // Three sev3 cases for the key account tanaka at once: the pile-up trigger proposes
    // engaging the sponsor on each, telling the lead (gus).
    let v = simulate_case(
        &env,
        "sev3",
        "2026-12-07 02:00",
        "10m",
        &["--account", "tanaka", "--cases", "3"],
    );
    let proposed = actions(&v, "proposed");
    assert_eq!(proposed.len(), 1, "scope = \"account\": one for tanaka");
    for p in &proposed {
        assert_eq!(p["trigger"], "key-account-pileup");
        assert_eq!(p["due"], "2026-12-07T02:00:00Z");
        let to = p["notifications"][0]["recipients"].as_array().unwrap();
        assert!(to.contains(&Value::from("gus")), "{to:?}");
    }
    // A Friday-evening sev2 for tanaka runs on Singapore hours (09:00 SGT = 01:00 UTC):
    // response warning at 45m = Monday 01:45 UTC, 45 business minutes after the opening.
    let v = simulate_case(
        &env,
        "sev2",
        "2026-12-04 16:55",
        "3d",
        &["--account", "tanaka"],
    );
    let first = &v["timeline"][0];
    assert_eq!(first["action"], "warning");
    assert_eq!(first["due"], "2026-12-07T01:45:00Z");
    assert_eq!(first["elapsed"], "45m");
}
