//! Governance (issue 16): reviews that happen before closing, reminders, authority that
//! holds, who really ran a command, account-scoped triggers, sponsors without an account,
//! the executive digest and the major incident's war room — through the real binary.

mod common;

use common::{TestEnv, ledger_events, ok_at};
use serde_json::Value;

/// The spec excerpt with a Review and Close row (Accountable: the lead), no delivery
/// command, and whatever `extra` adds.
fn policy(extra: &str) -> String {
    let text = std::fs::read_to_string(common::repo_file("tests/fixtures/spec-excerpt.toml"))
        .expect("policy");
    let text = text
        .replace(
            "resolve  = { r = [\"owner\"], a = \"lead\", i = [\"reporter\"] }",
            "resolve  = { r = [\"owner\"], a = \"lead\", i = [\"reporter\"] }\nreview   = { r = [\"owner\"], a = \"lead\" }\nclose    = { r = [\"owner\"], a = \"lead\" }",
        )
        .replace("command = [\"./notify.sh\", \"--channel\", \"support\"]\n", "");
    format!("{text}\n{extra}")
}

fn at(day: u32, hm: &str) -> String {
    format!("2026-11-{day:02}T{hm}:00Z")
}

/// Run `esc --json ARGS` at `now`, expecting exit 1: stderr, and the ledger unchanged.
fn refused(env: &TestEnv, now: &str, args: &[&str], says: &[&str]) -> String {
    let before = env.ledger_text();
    let mut full = vec!["--json"];
    full.extend_from_slice(args);
    let out = env.esc(&full).env("ESC_NOW", now).output().expect("run");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "esc {args:?}: {err}");
    assert!(out.stdout.is_empty(), "{args:?}");
    for s in says {
        assert!(err.contains(s), "esc {args:?}: `{s}` not in: {err}");
    }
    assert_eq!(env.ledger_text(), before, "a refusal writes nothing");
    err
}

fn named<'a>(events: &'a [Value], name: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["event"] == name).collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// A resolved sev2 case (a review is required for sev2) with the customer's follow-up.
fn resolved_sev2(env: &TestEnv, title: &str, n: &str) {
    ok_at(
        env,
        &at(23, "09:00"),
        &["open", title, "--severity", "sev2"],
    );
    ok_at(env, &at(23, "09:05"), &["ack", n]);
    ok_at(
        env,
        &at(23, "10:00"),
        &["resolve", n, "--resolution", "fixed"],
    );
    ok_at(env, &at(23, "10:30"), &["followup", n, "--csat", "4"]);
}

#[test]
fn close_refuses_a_missing_review_until_it_is_recorded_or_waived_by_authority() {
    let env = TestEnv::with_policy(&policy(""));
    resolved_sev2(&env, "Printer on fire", "1");
    refused(
        &env,
        &at(23, "11:00"),
        &["close", "1"],
        &[
            "ESC-1 requires a review before closing",
            "sev2 requires one",
            "esc review ESC-1",
            "--waive-review",
        ],
    );
    // Waiving is the review step's Accountable's (the lead, fay) by default.
    refused(
        &env,
        &at(23, "11:00"),
        &["close", "1", "--waive-review", "covered by ESC-9's review"],
        &[
            "tester may not waive the review on ESC-1",
            "waive_review",
            "accountable",
            "fay",
        ],
    );
    refused(
        &env,
        &at(23, "11:00"),
        &["--actor", "ana", "close", "1", "--waive-review", "covered"],
        &["ana may not waive the review", "fay"],
    );
    let closed = ok_at(
        &env,
        &at(23, "11:00"),
        &[
            "--actor",
            "fay",
            "close",
            "1",
            "--waive-review",
            "covered by ESC-9's review",
        ],
    );
    assert_eq!(closed["status"], "closed");
    let events = ledger_events(&env);
    let close = named(&events, "closed");
    assert_eq!(close[0]["review_waived"], "covered by ESC-9's review");
    assert_eq!(close[0]["actor"], "fay");

    // A recorded review: close works, and a waiver is refused as needless.
    resolved_sev2(&env, "Scanner jammed", "2");
    ok_at(
        &env,
        &at(23, "11:10"),
        &["review", "2", "--root-cause", "worn roller"],
    );
    refused(
        &env,
        &at(23, "11:20"),
        &["--actor", "fay", "close", "2", "--waive-review", "x"],
        &["no missing review to waive"],
    );
    ok_at(&env, &at(23, "11:20"), &["close", "2"]);

    // `report reviews` counts the waiver.
    let r = ok_at(&env, &at(23, "12:00"), &["report", "reviews"]);
    let all = r["groups"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(all["waived"], 1, "{all}");
    assert_eq!(all["recorded"], 1, "{all}");
    assert_eq!(all["overdue"], 0, "{all}");
}

#[test]
fn closing_without_the_required_followup_needs_authority() {
    let env = TestEnv::with_policy(&policy(
        "[authority]\nclose_without_followup = [\"manager\"]\n",
    ));
    ok_at(&env, &at(23, "09:00"), &["open", "Quiet customer"]);
    ok_at(
        &env,
        &at(23, "09:10"),
        &["resolve", "1", "--resolution", "done"],
    );
    refused(
        &env,
        &at(23, "09:20"),
        &["close", "1"],
        &["no follow-up", "--without-followup"],
    );
    refused(
        &env,
        &at(23, "09:20"),
        &[
            "--actor",
            "fay",
            "close",
            "1",
            "--without-followup",
            "no answer in 2 weeks",
        ],
        &[
            "fay may not close without the follow-up",
            "close_without_followup is manager",
            "gus",
        ],
    );
    ok_at(
        &env,
        &at(23, "09:20"),
        &[
            "--actor",
            "gus",
            "close",
            "1",
            "--without-followup",
            "no answer in 2 weeks",
        ],
    );
    let events = ledger_events(&env);
    assert_eq!(
        named(&events, "closed")[0]["without_followup"],
        "no answer in 2 weeks"
    );
}

#[test]
fn sweep_reminds_of_overdue_reviews_and_late_action_items_once_a_day() {
    let env = TestEnv::with_policy(&policy(""));
    resolved_sev2(&env, "Printer on fire", "1");
    // Due 5 days after the resolution (Sat 28th, 10:00): nothing before.
    let sweep = |now: &str| ok_at(&env, now, &["sweep"])["actions"].clone();
    let reminders = |v: &Value| -> Vec<Value> {
        v.as_array()
            .unwrap()
            .iter()
            .filter(|a| a["action"] == "reminder")
            .cloned()
            .collect()
    };
    assert!(reminders(&sweep(&at(28, "09:00"))).is_empty());
    let first = reminders(&sweep(&at(28, "11:00")));
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(first[0]["case"], "ESC-1");
    assert_eq!(first[0]["item"], Value::Null);
    // The owner (ana, on duty at L1) and the review step's Accountable (fay) are told.
    let events = ledger_events(&env);
    let told: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "notification_queued" && e["action"] == "review_overdue")
        .collect();
    assert_eq!(told.len(), 1);
    assert_eq!(told[0]["audience"], "internal");
    let who = strings(&told[0]["recipients"]);
    assert!(who.contains(&"fay".to_string()), "{who:?}");
    assert!(
        told[0]["message"]
            .as_str()
            .unwrap()
            .contains("esc review ESC-1")
    );
    // At most once a day: not again that day, again the next.
    assert!(reminders(&sweep(&at(28, "17:00"))).is_empty());
    assert_eq!(reminders(&sweep(&at(29, "09:00"))).len(), 1);

    // A recorded review stops the review reminders; its late action item is reminded.
    ok_at(
        &env,
        &at(29, "10:00"),
        &[
            "review",
            "1",
            "--root-cause",
            "old firmware",
            "--action",
            "Update the firmware|carl|2026-11-29",
        ],
    );
    assert!(
        reminders(&sweep(&at(29, "12:00"))).is_empty(),
        "not late before the day ends"
    );
    let late = reminders(&sweep(&at(30, "09:00")));
    assert_eq!(late.len(), 1, "{late:?}");
    assert_eq!(late[0]["item"], 1);
    let events = ledger_events(&env);
    let told: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "notification_queued" && e["action"] == "action_item_late")
        .collect();
    assert_eq!(told.len(), 1);
    assert!(strings(&told[0]["recipients"]).contains(&"carl".to_string()));
    assert!(reminders(&sweep(&at(30, "15:00"))).is_empty());
    ok_at(&env, &at(30, "16:00"), &["actions", "done", "ESC-1.1"]);
    assert!(reminders(&sweep("2026-12-01T09:00:00Z")).is_empty());
}

#[test]
fn actors_must_be_people_of_the_policy_and_every_event_records_the_login() {
    let env = TestEnv::with_exact_policy(&policy("").replace(
        "timezone = \"Europe/London\"\n\n[calendars.office]",
        "timezone = \"Europe/London\"\nunknown_actors = \"refuse\"\n\n[calendars.office]",
    ));
    refused(
        &env,
        &at(23, "09:00"),
        &["open", "Who am I"],
        &["`tester` is not a person of the policy", "unknown_actors"],
    );
    refused(
        &env,
        &at(23, "09:00"),
        &["--actor", "carll", "open", "Typo"],
        &["did you mean `carl`"],
    );
    ok_at(&env, &at(23, "09:00"), &["--actor", "ana", "open", "Known"]);
    refused(
        &env,
        &at(23, "09:01"),
        &["note", "1", "hello"],
        &["not a person of the policy"],
    );
    ok_at(
        &env,
        &at(23, "09:01"),
        &["--actor", "ben", "note", "1", "hello"],
    );
    // The actor is asserted; the login that ran the command is recorded beside it.
    let login = whoami::username().expect("a login");
    for e in ledger_events(&env) {
        assert_eq!(e["login"], login.as_str(), "{e}");
    }
}

#[test]
fn approving_a_proposal_and_escalating_need_the_authority_the_policy_gives() {
    let extra = r#"
[authority]
skip_tiers = ["lead"]

[authority.triggers]
key-account-pileup = ["manager"]

[authority.escalate]
management = ["lead", "manager"]
"#;
    let env = TestEnv::with_policy(&policy(extra));
    for n in 0..3 {
        ok_at(
            &env,
            &at(23, "09:00"),
            &["open", &format!("Acme {n}"), "--account", "acme"],
        );
    }
    ok_at(&env, &at(23, "09:01"), &["sweep"]);
    let pending = named(&ledger_events(&env), "proposed").len();
    assert_eq!(pending, 3, "scope = case: one proposal per case");
    let err = refused(
        &env,
        &at(23, "09:02"),
        &["--actor", "ana", "approve", "1", "key-account-pileup"],
        &[
            "ana may not approve or reject trigger `key-account-pileup`",
            "gus",
        ],
    );
    assert!(err.contains("triggers.key-account-pileup"), "{err}");
    refused(
        &env,
        &at(23, "09:02"),
        &["reject", "1", "key-account-pileup"],
        &["tester may not"],
    );
    ok_at(
        &env,
        &at(23, "09:02"),
        &["--actor", "gus", "approve", "1", "key-account-pileup"],
    );

    // Escalating on the management path: the lead or the manager; skipping: the lead.
    let handoff = ["--reason", "r", "--summary", "s", "--tried", "t"];
    let mut mgmt = vec!["escalate", "2", "--path", "management"];
    mgmt.extend(handoff);
    refused(
        &env,
        &at(23, "09:03"),
        &mgmt,
        &["may not escalate on the management path", "fay, gus"],
    );
    let mut as_fay = vec!["--actor", "fay"];
    as_fay.extend(&mgmt);
    ok_at(&env, &at(23, "09:03"), &as_fay);
    // The technical path is the case's own: anyone may escalate on it.
    let mut tech = vec!["escalate", "3"];
    tech.extend(handoff);
    ok_at(&env, &at(23, "09:04"), &tech);
}

#[test]
fn account_scoped_triggers_act_once_per_account_and_not_when_the_effect_holds() {
    let env = TestEnv::with_policy(&policy("").replace(
        "then = { sponsor = true, confirm = true }",
        "then = { sponsor = true, confirm = true }\nscope = \"account\"",
    ));
    for n in 0..3 {
        ok_at(
            &env,
            &at(23, "09:00"),
            &["open", &format!("Acme {n}"), "--account", "acme"],
        );
    }
    let v = ok_at(&env, &at(23, "09:01"), &["sweep"]);
    let proposals: Vec<&Value> = v["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"] == "proposed")
        .collect();
    assert_eq!(proposals.len(), 1, "one proposal for the account: {v:#}");
    assert_eq!(proposals[0]["case"], "ESC-1");
    let events = ledger_events(&env);
    let msg = events
        .iter()
        .find(|e| e["event"] == "notification_queued" && e["action"] == "proposed")
        .map(|e| e["message"].as_str().unwrap().to_string())
        .unwrap_or_default();
    assert!(
        msg.contains("for account acme: ESC-1, ESC-2, ESC-3"),
        "{msg}"
    );
    // A fourth case: the account already has its proposal pending; nothing new.
    ok_at(
        &env,
        &at(23, "09:02"),
        &["open", "Acme 4", "--account", "acme"],
    );
    let v = ok_at(&env, &at(23, "09:03"), &["sweep"]);
    assert!(
        v["actions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["action"] != "proposed"),
        "{v:#}"
    );
    ok_at(
        &env,
        &at(23, "09:04"),
        &["--actor", "carl", "approve", "1", "key-account-pileup"],
    );
    let engaged = named(&ledger_events(&env), "sponsor_engaged").len();
    assert_eq!(engaged, 1, "one sponsor engagement for the account");
    let v = ok_at(&env, &at(23, "12:00"), &["sweep"]);
    assert!(
        v["actions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["action"] != "proposed"),
        "{v:#}"
    );

    // A trigger whose effect already holds proposes nothing: a major incident declared.
    let env = TestEnv::with_policy(&policy(
        "[[triggers]]\nname = \"sev1-major\"\nwhen = { severity = [\"sev1\"], age = \"20m\" }\nthen = { major = true, confirm = true }\n",
    ));
    ok_at(
        &env,
        &at(23, "09:00"),
        &["open", "Down", "--severity", "sev1"],
    );
    ok_at(&env, &at(23, "09:01"), &["ack", "1"]);
    ok_at(
        &env,
        &at(23, "09:05"),
        &[
            "major",
            "1",
            "--commander",
            "fay",
            "--role",
            "comms=gus",
            "--role",
            "scribe=ana",
        ],
    );
    let v = ok_at(&env, &at(23, "09:30"), &["sweep"]);
    assert!(
        v["actions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["action"] != "proposed"),
        "{v:#}"
    );
}

#[test]
fn the_war_room_is_recorded_and_shown_everywhere() {
    let env = TestEnv::with_policy(&policy(""));
    ok_at(
        &env,
        &at(23, "09:00"),
        &[
            "open",
            "Checkout down",
            "--severity",
            "sev1",
            "--account",
            "acme",
        ],
    );
    let declare = |bridge: &str| {
        vec![
            "major",
            "1",
            "--commander",
            "fay",
            "--role",
            "comms=gus",
            "--role",
            "scribe=ana",
            "--bridge",
            bridge,
            "--channel",
            "#inc-checkout",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>()
    };
    let bad = declare("meet.example.com/inc");
    let bad: Vec<&str> = bad.iter().map(String::as_str).collect();
    refused(&env, &at(23, "09:05"), &bad, &["--bridge", "is not a URL"]);
    let good = declare("https://meet.example.com/inc-1");
    let good: Vec<&str> = good.iter().map(String::as_str).collect();
    let v = ok_at(&env, &at(23, "09:05"), &good);
    assert_eq!(v["major"]["bridge"], "https://meet.example.com/inc-1");
    assert_eq!(v["major"]["channel"], "#inc-checkout");
    let text = |args: &[&str]| {
        let out = env
            .esc(args)
            .env("ESC_NOW", at(23, "09:10"))
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    for args in [&["show", "1"][..], &["status", "1"], &["brief", "1"]] {
        let t = text(args);
        assert!(
            t.contains("https://meet.example.com/inc-1"),
            "{args:?}: {t}"
        );
        assert!(t.contains("#inc-checkout"), "{args:?}: {t}");
    }
    ok_at(
        &env,
        &at(23, "09:10"),
        &[
            "update",
            "1",
            "--status",
            "s",
            "--impact",
            "i",
            "--actions",
            "a",
            "--next",
            "n",
        ],
    );
    let events = ledger_events(&env);
    let body = named(&events, "updated")[0]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        body.contains("Bridge:      https://meet.example.com/inc-1"),
        "{body}"
    );
    assert!(body.contains("Channel:     #inc-checkout"), "{body}");
}

#[test]
fn a_critical_case_without_account_has_a_sponsor_and_the_digest_lists_what_executives_need() {
    let env = TestEnv::with_policy(&policy("[sponsors]\nby_severity = { sev1 = \"exec\" }\n"));
    ok_at(
        &env,
        &at(23, "09:00"),
        &["open", "Payroll down", "--severity", "sev1"],
    );
    ok_at(&env, &at(23, "09:00"), &["open", "Typo on the website"]);
    let b = ok_at(&env, &at(23, "09:05"), &["brief", "1"]);
    assert_eq!(strings(&b["sponsor"]), ["cfo"]);
    assert_eq!(b["sponsor_engaged"], false);
    refused(
        &env,
        &at(23, "09:05"),
        &["brief", "2"],
        &["no account and no executive sponsor", "[sponsors]"],
    );

    // Over the week: ESC-1 breached its response target (15m), ESC-2 did not.
    let d = ok_at(
        &env,
        &at(23, "10:00"),
        &["brief", "--digest", "--since", "7d"],
    );
    let ids: Vec<String> = d["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["ESC-1"], "{d:#}");
    assert_eq!(d["breached"], 1);
    assert_eq!(d["majors"], 0);
    let out = env
        .esc(&["brief", "--digest"])
        .env("ESC_NOW", at(23, "10:00"))
        .output()
        .expect("run");
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(page.starts_with("# Executive digest"), "{page}");
    assert!(page.contains("## ESC-1: Payroll down"), "{page}");
    assert!(
        page.contains("executive sponsor: cfo (not yet engaged)"),
        "{page}"
    );
    // A period that ends before anything happened lists nothing, and --since needs --digest.
    let none = ok_at(
        &env,
        "2026-11-20T09:00:00Z",
        &["brief", "--digest", "--since", "1d"],
    );
    assert!(none["cases"].as_array().unwrap().is_empty());
    let out = env
        .esc(&["brief", "1", "--since", "7d"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn policy_check_and_explain_know_the_new_sections() {
    let env = TestEnv::with_exact_policy(&policy(
        "[authority]\napprove = [\"tier\", \"leed\"]\nwaive_review = [\"lead\"]\n[authority.escalate]\nmanagment = [\"lead\"]\n[sponsors]\ndefault = \"nobody\"\n",
    ));
    let out = env.esc(&["policy", "check"]).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    for s in [
        "`leed` is neither a role, a person nor one of",
        "did you mean `lead`",
        "managment",
        "`nobody`",
    ] {
        assert!(err.contains(s), "`{s}` not in {err}");
    }
    let env = TestEnv::with_policy(&policy(
        "[authority]\nwaive_review = [\"lead\"]\n[sponsors]\ndefault = \"exec\"\n",
    ));
    let out = env.esc(&["policy", "explain"]).output().expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Authority"), "{text}");
    for s in [
        "waive a required review",
        "lead",
        "policy",
        "declare a major incident",
        "anyone",
        "default",
        "otherwise: exec",
    ] {
        assert!(text.contains(s), "`{s}` not in {text}");
    }
}
