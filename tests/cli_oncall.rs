//! On-call that stays put: a rotation anchor, a member added mid-rotation keeping past and
//! present turns, overrides recorded in the ledger (used for owners of new cases), `esc
//! oncall`, and calendars named by an account or a tier.

mod common;

use common::{TestEnv, ledger_events, ok_at};

fn on_duty(env: &TestEnv, at: &str, role: &str) -> (String, String) {
    let v = env.json(&["oncall", "--at", at, "--role", role]);
    let d = &v["on_duty"][0];
    (
        d["person"].as_str().unwrap().to_string(),
        d["reason"].as_str().unwrap().to_string(),
    )
}

#[test]
fn a_member_added_mid_rotation_keeps_past_and_present_turns() {
    // agent: daily from Monday 2026-01-05 (amy, bao, cleo); dev joins from 2026-12-07.
    // 2026-12-06 is turn 335 (335 mod 3 = 2: cleo); 2026-12-07 is turn 336 (amy), kept.
    let env = TestEnv::with_policy_file("policies/follow-the-sun.toml");
    let days = |env: &TestEnv| -> Vec<String> {
        (1..=11)
            .map(|d| on_duty(env, &format!("2026-12-{d:02} 12:00"), "agent").0)
            .collect()
    };
    let with_dev = days(&env);
    assert_eq!(
        with_dev,
        [
            "amy", "bao", "cleo", "amy", "bao", "cleo", // 1–6 December
            "amy",  // 7 December, the effective date: the turn in progress is kept
            "bao", "cleo", "dev", "amy", // then round the new members
        ]
    );
    // The same policy without the roster change: identical up to the effective date.
    let without = TestEnv::with_policy(
        &env.read("policy.toml")
            .lines()
            .filter(|l| !l.starts_with("roster ="))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let before = days(&without);
    assert_eq!(
        with_dev[..7],
        before[..7],
        "past and present turns are kept"
    );
    assert!(!before.contains(&"dev".to_string()));
    assert_eq!(
        on_duty(&env, "2026-01-05 12:00", "agent").0,
        "amy",
        "the anchor"
    );
    assert_eq!(on_duty(&env, "2026-01-05 12:00", "agent").1, "rotation");
}

#[test]
fn an_override_is_recorded_and_new_cases_go_to_the_stand_in() {
    let env = TestEnv::with_policy_file("policies/follow-the-sun.toml");
    // 7 December: amy's turn. bao covers from 08:00 to 20:00.
    assert_eq!(on_duty(&env, "2026-12-07 10:00", "agent").0, "amy");
    ok_at(
        &env,
        "2026-12-06T18:00:00Z",
        &[
            "oncall",
            "override",
            "agent",
            "--person",
            "bao",
            "--from",
            "2026-12-07 08:00",
            "--to",
            "2026-12-07 20:00",
        ],
    );
    let (who, why) = on_duty(&env, "2026-12-07 10:00", "agent");
    assert_eq!((who.as_str(), why.as_str()), ("bao", "override"));
    assert_eq!(
        on_duty(&env, "2026-12-07 20:00", "agent").0,
        "amy",
        "`--to` is exclusive"
    );
    let table = env
        .esc(&["oncall", "--at", "2026-12-07 10:00"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("override 2026-12-07 08:00 GMT"), "{text}");
    // A case opened during the override is owned by the stand-in; one after it by amy.
    let during = ok_at(&env, "2026-12-07T10:00:00Z", &["open", "cannot log in"]);
    assert_eq!(during["owner"], "bao");
    let after = ok_at(&env, "2026-12-07T21:00:00Z", &["open", "slow export"]);
    assert_eq!(after["owner"], "amy");
    // The override is an event of no case: the ledger verifies, lists two cases.
    let events = ledger_events(&env);
    assert_eq!(events[0]["case"], "ONCALL");
    assert_eq!(events[0]["event"], "oncall_override");
    let verify = env.json(&["ledger", "verify"]);
    assert_eq!(verify["ok"], true, "{verify:#}");
    assert_eq!(verify["cases"], 2);
    // (`list` shows the cases opened by its `now`.)
    let list = ok_at(&env, "2026-12-08T00:00:00Z", &["list"]);
    assert_eq!(list.as_array().unwrap().len(), 2);
}

#[test]
fn a_bad_override_is_refused_and_writes_nothing() {
    let env = TestEnv::with_policy_file("policies/follow-the-sun.toml");
    for (args, hint) in [
        (
            vec![
                "--person",
                "zed",
                "--from",
                "2026-12-07 08:00",
                "--to",
                "2026-12-07 20:00",
            ],
            "unknown person `zed`",
        ),
        (
            vec![
                "--person",
                "bao",
                "--from",
                "2026-12-07 20:00",
                "--to",
                "2026-12-07 08:00",
            ],
            "--to must be after --from",
        ),
        (
            vec![
                "--person",
                "bao",
                "--from",
                "soon",
                "--to",
                "2026-12-07 08:00",
            ],
            "is not a time",
        ),
    ] {
        let mut full = vec!["oncall", "override", "agent"];
        full.extend(args);
        let out = env.esc(&full).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{full:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(hint),
            "{full:?}"
        );
    }
    let out = env
        .esc(&[
            "oncall",
            "override",
            "nobody",
            "--person",
            "bao",
            "--from",
            "2026-12-07 08:00",
            "--to",
            "2026-12-07 20:00",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(!env.path("ledger.jsonl").exists(), "nothing written");
}

#[test]
fn an_account_calendar_replaces_a_business_hours_severity_calendar_only() {
    // Friday 2026-12-04 16:55 London. sev2 (london calendar) for tanaka runs on Singapore
    // hours (09:00–17:00 SGT = 01:00–09:00 UTC): closed until Monday 01:00 UTC, response 1h
    // due 02:00. For acme (no calendar of its own) London: 5 minutes Friday + 55 Monday =
    // 09:55. sev1 runs 24x7 whatever the account: due 17:10 the same day.
    let env = TestEnv::with_policy_file("policies/follow-the-sun.toml");
    let at = "2026-12-04T16:55:00Z";
    let due = |args: &[&str]| -> String {
        let mut full = vec!["open", "x"];
        full.extend_from_slice(args);
        ok_at(&env, at, &full)["sla"]["response"]["due"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        due(&["--severity", "sev2", "--account", "tanaka"]),
        "2026-12-07T02:00:00Z"
    );
    assert_eq!(
        due(&["--severity", "sev2", "--account", "acme"]),
        "2026-12-07T09:55:00Z"
    );
    assert_eq!(
        due(&["--severity", "sev1", "--account", "tanaka"]),
        "2026-12-04T17:10:00Z"
    );
}

#[test]
fn a_tier_calendar_counts_that_tiers_budget() {
    // L3 (vendor) runs 24x7: a sev2 escalated there at Friday 16:00 London has 1d of
    // elapsed time, due Saturday 16:00, though the severity's calendar is closed then.
    let env = TestEnv::with_policy_file("policies/follow-the-sun.toml");
    ok_at(
        &env,
        "2026-12-04T09:00:00Z",
        &["open", "x", "--severity", "sev2"],
    );
    ok_at(
        &env,
        "2026-12-04T15:00:00Z",
        &["escalate", "1", "--reason", "r"],
    );
    let v = ok_at(
        &env,
        "2026-12-04T16:00:00Z",
        &["escalate", "1", "--reason", "r"],
    );
    assert_eq!(v["levels"]["technical"], "L3", "{v:#}");
    assert_eq!(v["sla"]["tier"]["due"], "2026-12-05T16:00:00Z");
}

#[test]
fn policy_check_knows_the_new_keys() {
    let env = TestEnv::with_policy_file("policies/follow-the-sun.toml");
    let good = env.read("policy.toml");
    for (from, to, hint) in [
        (
            "start = \"2026-01-05\"         # amy's",
            "start = \"2026-13-05\"         # amy's",
            "is not a real date",
        ),
        (
            "roster = [{ effective = \"2026-12-07\", members = [\"amy\", \"bao\", \"cleo\", \"dev\"] }]",
            "roster = [{ effective = \"2026-12-07\", members = [\"amy\"] }, { effective = \"2026-11-01\", members = [\"bao\"] }]",
            "date order",
        ),
        (
            "roster = [{ effective = \"2026-12-07\",",
            "roster = [{ efective = \"2026-12-07\",",
            "efective",
        ),
        (
            "calendar = \"singapore\"       # its",
            "calendar = \"singapur\"       # its",
            "unknown calendar `singapur`",
        ),
        (
            "calendar = \"always\"          # the vendor's",
            "calendar = \"london\"          # the vendor's",
            "day unit on the tier's business-hours calendar",
        ),
    ] {
        assert!(good.contains(from), "{from}");
        env.write("bad.toml", &good.replace(from, to));
        let out = env.esc(&["policy", "check", "bad.toml"]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{to}");
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(text.contains(hint), "{to}: {text}");
    }
    // A person only in a roster change is a person of the policy.
    env.write(
        "dev.toml",
        &good.replace("members = [\"gus\"]", "members = [\"dev\"]"),
    );
    let out = env.esc(&["policy", "check", "dev.toml"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn sweep_escalates_to_the_stand_in_and_tells_them() {
    // follow-the-sun: week of 7 December, eli's turn on engineer (weeks since 2026-01-05 =
    // 48, even). fen covers Monday 10:00–20:00. A sev2 opened Monday 10:00 runs out of its
    // 2h L1 budget at 12:00: the sweep escalates to L2, owned by fen, and the escalate
    // step's Consulted (engineer) is fen too.
    let env = TestEnv::with_policy_file("policies/follow-the-sun.toml");
    assert_eq!(on_duty(&env, "2026-12-07 11:00", "engineer").0, "eli");
    ok_at(
        &env,
        "2026-12-07T09:00:00Z",
        &[
            "oncall",
            "override",
            "engineer",
            "--person",
            "fen",
            "--from",
            "2026-12-07 10:00",
            "--to",
            "2026-12-07 20:00",
        ],
    );
    ok_at(
        &env,
        "2026-12-07T10:00:00Z",
        &["open", "export broken", "--severity", "sev2"],
    );
    ok_at(&env, "2026-12-07T12:05:00Z", &["sweep"]);
    let case = env.json(&["show", "1"]);
    assert_eq!(case["levels"]["technical"], "L2");
    assert_eq!(case["owner"], "fen");
    let queued = env.json(&["notifications"]);
    let escalated = queued
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["action"] == "escalated")
        .expect("an escalation notice");
    assert!(
        escalated["recipients"]
            .as_array()
            .unwrap()
            .contains(&serde_json::Value::from("fen")),
        "{escalated:#}"
    );
}

#[test]
fn explain_shows_anchors_roster_changes_and_own_calendars() {
    let env = TestEnv::with_policy_file("policies/follow-the-sun.toml");
    let out = env.esc(&["policy", "explain"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        "daily from 2026-01-05",
        "from 2026-12-07: amy, bao, cleo, dev",
        "Vendor support (budget on always)",
        "singapore",
    ] {
        assert!(text.contains(want), "{want} missing:\n{text}");
    }
}
