//! The case lifecycle end to end through the real binary (SPEC §2, §4, §5): every command's
//! success and its refusals, asserting on the parsed `--json` output, exit codes and what the
//! ledger holds. Every refusal is checked to exit 1 with `error:` on stderr, print nothing on
//! stdout and leave the ledger byte-for-byte as it was.
//!
//! The policy is `tests/fixtures/spec-excerpt.toml`: default severity sev3, default type
//! technical, default path technical (L1 agent → L2 engineer), a management path (lead →
//! manager), handoff requires reason, summary and tried, and closing requires a follow-up.
//! All times are on Monday 2026-11-23, when the on-duty agent is ana (no rotation) and the
//! on-duty engineer of the weekly rotation carl, dee, eve is dee.

mod common;

use common::{NOW, TestEnv, case_events, is_notification, ok_at};
use serde_json::Value;

const POLICY: &str = "tests/fixtures/spec-excerpt.toml";

/// The on-duty engineer (L2) on 2026-11-23: week 2968 since 1970-01-05, 2968 % 3 = 1.
const L2_ON_DUTY: &str = "dee";

/// `NOW` plus `minutes` (same day), as RFC 3339 UTC.
fn at(minutes: u32) -> String {
    assert!(minutes < 14 * 60, "stay on 2026-11-23");
    format!("2026-11-23T{:02}:{:02}:00Z", 9 + minutes / 60, minutes % 60)
}

fn env() -> TestEnv {
    TestEnv::with_policy_file(POLICY)
}

/// The ledger's bytes, `None` if there is no ledger file.
fn ledger_bytes(env: &TestEnv) -> Option<Vec<u8>> {
    env.ledger_bytes()
}

/// The last event line of the ledger.
fn last_event(env: &TestEnv) -> Value {
    case_events(env).pop().expect("an event")
}

/// `esc ARGS` at `now` must be refused: exit 1, stderr starting with `error:` and containing
/// every needle, nothing on stdout, ledger unchanged. Returns stderr.
fn refused_at(env: &TestEnv, now: &str, args: &[&str], needles: &[&str]) -> String {
    refused_with(env, now, args, needles, 1)
}

fn refused_with(env: &TestEnv, now: &str, args: &[&str], needles: &[&str], code: i32) -> String {
    let before = ledger_bytes(env);
    let out = env.esc(args).env("ESC_NOW", now).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(code),
        "esc {args:?} should exit {code}; stderr: {stderr}"
    );
    assert!(
        stderr.starts_with("error:"),
        "esc {args:?}: stderr should start with `error:`: {stderr}"
    );
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "esc {args:?}: stderr should mention {needle:?}: {stderr}"
        );
    }
    assert!(
        out.stdout.is_empty(),
        "esc {args:?}: refused command printed on stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        ledger_bytes(env) == before,
        "esc {args:?} was refused but changed the ledger"
    );
    stderr
}

/// Opens a case at `NOW` with extra `open` arguments; returns its JSON.
fn open(env: &TestEnv, title: &str, extra: &[&str]) -> Value {
    let mut args = vec!["open", title];
    args.extend_from_slice(extra);
    ok_at(env, NOW, &args)
}

/// `args` run by the team lead, who may skip tiers and escalate on the management path.
fn as_lead(mut args: Vec<&str>) -> Vec<&str> {
    args.splice(0..0, ["--actor", "fay"]);
    args
}

fn handoff(id: &str) -> Vec<&str> {
    vec![
        "escalate",
        id,
        "--reason",
        "needs an engineer",
        "--summary",
        "printer reports E42",
        "--tried",
        "power cycle",
    ]
}

/// A case taken through resolve and follow-up to closed, unacknowledged. Returns its id.
fn closed_case(env: &TestEnv, title: &str) -> String {
    let id = open(env, title, &[])["id"].as_str().unwrap().to_string();
    ok_at(env, &at(1), &["resolve", &id, "--resolution", "fixed"]);
    ok_at(env, &at(2), &["followup", &id, "--csat", "5"]);
    let c = ok_at(env, &at(3), &["close", &id]);
    assert_eq!(c["status"], "closed");
    id
}

// ---------------------------------------------------------------------------------------
// open

#[test]
fn open_with_defaults() {
    let env = env();
    assert!(ledger_bytes(&env).is_none());
    let c = open(&env, "Printer on fire", &[]);
    assert_eq!(c["id"], "ESC-1");
    assert_eq!(c["title"], "Printer on fire");
    assert_eq!(c["severity"], "sev3");
    assert_eq!(c["type"], "technical");
    assert_eq!(c["status"], "open");
    assert_eq!(c["owner"], "ana");
    assert_eq!(c["levels"], serde_json::json!({"technical": "L1"}));
    for key in ["account", "reporter", "channel"] {
        assert_eq!(c[key], Value::Null, "{key}");
    }
    assert_eq!(c["labels"], serde_json::json!([]));
    assert_eq!(c["opened_at"], NOW);
    for key in ["acknowledged_at", "resolved_at", "closed_at"] {
        assert_eq!(c[key], Value::Null, "{key}");
    }
    let events: Vec<&Value> = c["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !is_notification(e))
        .collect();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["seq"], 1);
    assert_eq!(events[0]["event"], "opened");
    assert_eq!(events[0]["actor"], "tester");
    assert_eq!(events[0]["at"], NOW);

    let stored = case_events(&env);
    assert_eq!(stored.len(), 1);
    let e = &stored[0];
    assert_eq!(e["seq"], 1);
    assert_eq!(e["case"], "ESC-1");
    assert_eq!(e["event"], "opened");
    assert_eq!(e["actor"], "tester");
    assert_eq!(e["at"], NOW);
    assert_eq!(e["title"], "Printer on fire");
    assert_eq!(e["severity"], "sev3");
    assert_eq!(e["type"], "technical");
    assert_eq!(e["path"], "technical");
    assert_eq!(e["tier"], "L1");
    assert_eq!(e["owner"], "ana");

    // Human output: id, owner; the next case is ESC-2.
    let out = env.esc(&["open", "Second"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("ESC-2"), "{text}");
    assert!(text.contains("ana"), "{text}");
    assert_eq!(case_events(&env).len(), 2);
}

#[test]
fn open_with_every_flag() {
    let env = env();
    let c = open(
        &env,
        "  Invoice wrong  ",
        &[
            "--severity",
            "sev1",
            "--type",
            "billing",
            "--account",
            "acme",
            "--reporter",
            "Rita Customer",
            "--channel",
            "email",
            "--label",
            "vip",
            "--label",
            "invoice",
            "--label",
            "vip",
            "--description",
            "Charged twice in November",
        ],
    );
    assert_eq!(c["title"], "Invoice wrong");
    assert_eq!(c["severity"], "sev1");
    assert_eq!(c["type"], "billing");
    assert_eq!(c["account"], "acme");
    assert_eq!(c["reporter"], "Rita Customer");
    assert_eq!(c["channel"], "email");
    assert_eq!(c["labels"], serde_json::json!(["vip", "invoice"]));
    assert_eq!(c["description"], "Charged twice in November");
    assert_eq!(c["levels"], serde_json::json!({"technical": "L1"}));

    let e = last_event(&env);
    assert_eq!(e["severity"], "sev1");
    assert_eq!(e["type"], "billing");
    assert_eq!(e["account"], "acme");
    assert_eq!(e["reporter"], "Rita Customer");
    assert_eq!(e["channel"], "email");
    assert_eq!(e["labels"], serde_json::json!(["vip", "invoice"]));
    assert_eq!(e["description"], "Charged twice in November");

    // An account the policy does not list is an ordinary account.
    let c = open(&env, "Other", &["--account", "globex"]);
    assert_eq!(c["account"], "globex");
}

#[test]
fn open_refusals() {
    let env = env();
    let err = refused_at(&env, NOW, &["open", "x", "--severity", "sev9"], &["sev9"]);
    assert!(err.contains("severity"), "{err}");
    assert!(err.contains("sev1"), "names the known ones: {err}");
    let err = refused_at(
        &env,
        NOW,
        &["open", "x", "--type", "hardware"],
        &["hardware"],
    );
    assert!(err.contains("type"), "{err}");
    refused_at(&env, NOW, &["open", ""], &["title"]);
    refused_at(&env, NOW, &["open", "   "], &["title"]);
    refused_at(&env, NOW, &["open", "x", "--label", " "], &["label"]);
    assert!(ledger_bytes(&env).is_none(), "no ledger was created");

    // With a ledger present, refusals leave it as it is.
    open(&env, "first", &[]);
    refused_at(&env, NOW, &["open", "x", "--severity", "SEV1"], &["SEV1"]);
    refused_at(&env, NOW, &["open", ""], &["title"]);
    refused_at(
        &env,
        NOW,
        &["--json", "open", "x", "--type", "nope"],
        &["nope"],
    );
    // A title is required by the command line: usage error.
    refused_with(&env, NOW, &["open"], &[], 2);
    assert_eq!(case_events(&env).len(), 1);
}

// ---------------------------------------------------------------------------------------
// ids

#[test]
fn id_forms_and_bad_ids() {
    let env = env();
    open(&env, "first", &[]);
    for form in ["ESC-1", "esc-1", "1", "Esc-1", " 1 "] {
        let c = ok_at(&env, NOW, &["show", form]);
        assert_eq!(c["id"], "ESC-1", "{form}");
    }
    ok_at(&env, &at(1), &["note", "esc-1", "lower-case id"]);
    ok_at(&env, &at(2), &["note", "1", "bare number"]);
    let notes: Vec<Value> = case_events(&env)
        .into_iter()
        .filter(|e| e["event"] == "noted")
        .collect();
    assert_eq!(notes.len(), 2);
    assert!(notes.iter().all(|e| e["case"] == "ESC-1"));

    for bad in ["ESC-x", "0", "ESC-0", "abc", "ESC-1a", "-1"] {
        refused_at(&env, &at(3), &["show", "--", bad], &["not a case id"]);
        refused_at(&env, &at(3), &["note", "--", bad, "x"], &["not a case id"]);
    }
    refused_at(&env, &at(3), &["ack", "ESC-x"], &["`ESC-x`", "ESC-7"]);
    refused_at(&env, &at(3), &["show", "ESC-99"], &["no case ESC-99"]);
    refused_at(&env, &at(3), &["ack", "42"], &["no case ESC-42"]);
}

// ---------------------------------------------------------------------------------------
// ack, assign, note, update

#[test]
fn ack_once() {
    let env = env();
    open(&env, "first", &[]);
    let c = ok_at(&env, &at(5), &["ack", "ESC-1"]);
    assert_eq!(c["status"], "acknowledged");
    assert_eq!(c["acknowledged_at"], at(5));
    let e = last_event(&env);
    assert_eq!(e["event"], "acknowledged");
    // The notifications of the open come before it, those of the ack after it.
    let all = common::ledger_events(&env);
    let at_ack = all
        .iter()
        .position(|x| x["event"] == "acknowledged")
        .unwrap();
    assert_eq!(e["seq"].as_u64(), Some(at_ack as u64 + 1));
    assert_eq!(e["at"], at(5));
    refused_at(&env, &at(6), &["ack", "ESC-1"], &["already acknowledged"]);

    let id = closed_case(&env, "closed one");
    refused_at(&env, &at(10), &["ack", &id], &[&id, "closed"]);
}

#[test]
fn assign() {
    let env = env();
    open(&env, "first", &[]);
    let c = ok_at(&env, &at(1), &["assign", "1", "--to", "carl"]);
    assert_eq!(c["owner"], "carl");
    let e = last_event(&env);
    assert_eq!(e["event"], "assigned");
    assert_eq!(e["to"], "carl");
    refused_at(
        &env,
        &at(2),
        &["assign", "1", "--to", "zed"],
        &["unknown person", "zed"],
    );
    refused_at(
        &env,
        &at(2),
        &["assign", "1", "--to", "carl"],
        &["already owned by carl"],
    );
    // A role name is not a person.
    refused_at(
        &env,
        &at(2),
        &["assign", "1", "--to", "engineer"],
        &["engineer"],
    );
    refused_with(&env, &at(2), &["assign", "1"], &["--to"], 2);
}

#[test]
fn note_and_update() {
    let env = env();
    open(&env, "first", &[]);
    ok_at(&env, &at(1), &["note", "1", "called the customer"]);
    let e = last_event(&env);
    assert_eq!(e["event"], "noted");
    assert_eq!(e["text"], "called the customer");
    refused_at(&env, &at(1), &["note", "1", "  "], &["note"]);

    ok_at(&env, &at(2), &["update", "1", "engineer on the way"]);
    let e = last_event(&env);
    assert_eq!(e["event"], "updated");
    assert_eq!(e["text"], "engineer on the way");
    assert!(e.get("customer").is_none_or(|c| c == false), "{e}");
    ok_at(&env, &at(3), &["update", "1", "we are on it", "--customer"]);
    let e = last_event(&env);
    assert_eq!(e["customer"], true);

    ok_at(
        &env,
        &at(4),
        &["resolve", "1", "--resolution", "toner replaced"],
    );
    refused_at(
        &env,
        &at(5),
        &["update", "1", "late"],
        &["resolved", "esc note"],
    );
    // A note is still fine on a resolved case.
    ok_at(&env, &at(5), &["note", "1", "customer happy"]);
}

// ---------------------------------------------------------------------------------------
// escalate, deescalate

#[test]
fn escalate_one_tier_on_the_default_path() {
    let env = env();
    open(&env, "first", &[]);
    let c = ok_at(&env, &at(10), &handoff("ESC-1"));
    assert_eq!(c["levels"], serde_json::json!({"technical": "L2"}));
    assert_eq!(c["owner"], L2_ON_DUTY);
    assert_eq!(c["escalations"], 1);
    let e = last_event(&env);
    assert_eq!(e["event"], "escalated");
    assert_eq!(e["path"], "technical");
    assert_eq!(e["from"], "L1");
    assert_eq!(e["to"], "L2");
    assert_eq!(e["owner"], L2_ON_DUTY);
    assert_eq!(e["reason"], "needs an engineer");
    assert_eq!(e["summary"], "printer reports E42");
    assert_eq!(e["tried"], "power cycle");
    assert_eq!(e["at"], at(10));

    // L2 is the last tier of the technical path.
    refused_at(&env, &at(11), &handoff("ESC-1"), &["last tier", "L2"]);
}

#[test]
fn escalate_missing_handoff_fields_are_named() {
    let env = env();
    open(&env, "first", &[]);
    let err = refused_at(
        &env,
        &at(1),
        &["escalate", "1"],
        &["reason", "summary", "tried"],
    );
    assert!(err.contains("--reason"), "{err}");
    let err = refused_at(
        &env,
        &at(1),
        &["escalate", "1", "--reason", "r"],
        &["summary, tried", "--summary", "--tried"],
    );
    assert!(!err.contains("reason,"), "reason was given: {err}");
    refused_at(
        &env,
        &at(1),
        &["escalate", "1", "--reason", "r", "--summary", "s"],
        &["needs tried"],
    );
    refused_at(
        &env,
        &at(1),
        &["escalate", "1", "--summary", "s", "--tried", "t"],
        &["needs reason"],
    );
    // Blank text does not count as given.
    refused_at(
        &env,
        &at(1),
        &[
            "escalate",
            "1",
            "--reason",
            "r",
            "--summary",
            " ",
            "--tried",
            "t",
        ],
        &["needs summary"],
    );
    assert_eq!(case_events(&env).len(), 1);
}

#[test]
fn skipping_tiers_only_where_the_severity_allows() {
    let env = env();
    open(&env, "sev3 case", &[]);
    open(&env, "sev1 case", &["--severity", "sev1"]);
    let mut skip = as_lead(handoff("ESC-1"));
    skip.extend(["--path", "management", "--to", "manager"]);
    refused_at(&env, &at(1), &skip, &["sev3", "skipping", "lead"]);
    // --to names the path by itself.
    let mut skip = as_lead(handoff("ESC-1"));
    skip.extend(["--to", "manager"]);
    refused_at(&env, &at(1), &skip, &["skipping"]);
    // The next tier by name is not a skip.
    let mut next = as_lead(handoff("ESC-1"));
    next.extend(["--to", "L2"]);
    let c = ok_at(&env, &at(1), &next);
    assert_eq!(c["levels"]["technical"], "L2");

    let mut skip = as_lead(handoff("ESC-2"));
    skip.extend(["--to", "manager"]);
    let c = ok_at(&env, &at(2), &skip);
    assert_eq!(c["levels"]["management"], "manager");
    assert_eq!(c["levels"]["technical"], "L1");
    let e = last_event(&env);
    assert_eq!(e["path"], "management");
    assert_eq!(e["to"], "manager");
    assert!(e.get("from").is_none_or(Value::is_null), "{e}");

    refused_at(
        &env,
        &at(3),
        &["escalate", "2", "--to", "L9", "--reason", "r"],
        &["L9"],
    );
    let mut wrong_path = as_lead(handoff("ESC-2"));
    wrong_path.extend(["--path", "management", "--to", "L2"]);
    refused_at(&env, &at(3), &wrong_path, &["L2", "technical"]);
}

#[test]
fn skipping_on_the_default_path_with_three_tiers() {
    let policy = std::fs::read_to_string(common::repo_file(POLICY))
        .unwrap()
        .replacen(
            "[[tiers]]\nid = \"lead\"",
            "[[tiers]]\nid = \"L3\"\nrole = \"lead\"\n\
             escalate_after = { sev1 = \"1h\", sev2 = \"8h\", sev3 = \"24h\" }\n\n\
             [[tiers]]\nid = \"lead\"",
            1,
        );
    assert!(policy.contains("id = \"L3\""));
    let env = TestEnv::with_policy(&policy);
    open(&env, "sev3", &[]);
    open(&env, "sev1", &["--severity", "sev1"]);
    let mut skip = as_lead(handoff("1"));
    skip.extend(["--to", "L3"]);
    refused_at(
        &env,
        &at(1),
        &skip,
        &["does not allow skipping", "next is L2"],
    );
    let mut skip = as_lead(handoff("2"));
    skip.extend(["--to", "L3"]);
    let c = ok_at(&env, &at(1), &skip);
    assert_eq!(c["levels"]["technical"], "L3");
    assert_eq!(c["owner"], "fay");
    let e = last_event(&env);
    assert_eq!(
        (e["from"].as_str(), e["to"].as_str()),
        (Some("L1"), Some("L3"))
    );
    // Going "up" to where it already is, or lower, is refused.
    let mut down = as_lead(handoff("2"));
    down.extend(["--to", "L2"]);
    refused_at(&env, &at(2), &down, &["higher tier"]);
}

#[test]
fn management_path_is_independent() {
    let env = env();
    open(&env, "first", &[]);
    let mut mgmt = as_lead(handoff("1"));
    mgmt.extend(["--path", "management"]);
    let c = ok_at(&env, &at(1), &mgmt);
    assert_eq!(
        c["levels"],
        serde_json::json!({"technical": "L1", "management": "lead"})
    );
    assert_eq!(c["owner"], "ana", "the home path's tier decides the owner");

    let c = ok_at(&env, &at(2), &as_lead(handoff("1")));
    assert_eq!(
        c["levels"],
        serde_json::json!({"technical": "L2", "management": "lead"})
    );
    assert_eq!(c["owner"], L2_ON_DUTY);

    let c = ok_at(&env, &at(3), &mgmt);
    assert_eq!(c["levels"]["management"], "manager");
    assert_eq!(c["levels"]["technical"], "L2");
    assert_eq!(c["escalations"], 3);
    refused_at(&env, &at(4), &mgmt, &["last tier", "management"]);
    refused_at(
        &env,
        &at(4),
        &["escalate", "1", "--path", "legal", "--reason", "r"],
        &["legal"],
    );

    let c = ok_at(
        &env,
        &at(5),
        &[
            "deescalate",
            "1",
            "--reason",
            "calmer",
            "--path",
            "management",
        ],
    );
    assert_eq!(c["levels"]["management"], "lead");
    assert_eq!(c["levels"]["technical"], "L2");
    assert_eq!(c["owner"], L2_ON_DUTY);
    let e = last_event(&env);
    assert_eq!(e["event"], "deescalated");
    assert_eq!(e["path"], "management");
    assert_eq!(
        (e["from"].as_str(), e["to"].as_str()),
        (Some("manager"), Some("lead"))
    );

    // The first tier of a path that is not the home path: the case leaves that path.
    let c = ok_at(
        &env,
        &at(6),
        &[
            "deescalate",
            "1",
            "--reason",
            "done",
            "--path",
            "management",
        ],
    );
    assert_eq!(c["levels"], serde_json::json!({"technical": "L2"}));
    refused_at(
        &env,
        &at(7),
        &["deescalate", "1", "--reason", "x", "--path", "management"],
        &["no level on the management path"],
    );
}

#[test]
fn deescalate_back_one_tier() {
    let env = env();
    open(&env, "first", &[]);
    ok_at(&env, &at(1), &handoff("1"));
    let c = ok_at(
        &env,
        &at(2),
        &["deescalate", "ESC-1", "--reason", "frontline can finish"],
    );
    assert_eq!(c["levels"], serde_json::json!({"technical": "L1"}));
    assert_eq!(c["owner"], "ana");
    let e = last_event(&env);
    assert_eq!(e["event"], "deescalated");
    assert_eq!(e["path"], "technical");
    assert_eq!(e["from"], "L2");
    assert_eq!(e["to"], "L1");
    assert_eq!(e["owner"], "ana");
    assert_eq!(e["reason"], "frontline can finish");
    refused_at(
        &env,
        &at(3),
        &["deescalate", "1", "--reason", "again"],
        &["first tier", "L1"],
    );
    refused_at(
        &env,
        &at(3),
        &["deescalate", "1", "--reason", " "],
        &["reason"],
    );
    refused_with(&env, &at(3), &["deescalate", "1"], &["--reason"], 2);
}

// ---------------------------------------------------------------------------------------
// pause, resume, resolve, followup, close, reopen

#[test]
fn pause_and_resume() {
    let env = env();
    open(&env, "first", &[]);
    refused_at(
        &env,
        &at(1),
        &["resume", "1"],
        &["cannot be resumed", "open"],
    );
    ok_at(&env, &at(1), &["ack", "1"]);
    let c = ok_at(
        &env,
        &at(2),
        &["pause", "1", "--reason", "waiting on customer"],
    );
    assert_eq!(c["status"], "paused");
    let e = last_event(&env);
    assert_eq!(e["event"], "paused");
    assert_eq!(e["reason"], "waiting on customer");
    refused_at(&env, &at(3), &handoff("1"), &["paused", "esc resume"]);
    refused_at(
        &env,
        &at(3),
        &["pause", "1", "--reason", "again"],
        &["already paused"],
    );
    let c = ok_at(&env, &at(4), &["resume", "1"]);
    assert_eq!(c["status"], "acknowledged", "back to where it was");
    assert_eq!(last_event(&env)["event"], "resumed");
    refused_at(&env, &at(5), &["resume", "1"], &["only a paused case"]);
    // Unacknowledged: resume returns to open.
    open(&env, "second", &[]);
    ok_at(&env, &at(5), &["pause", "2", "--reason", "r"]);
    let c = ok_at(&env, &at(6), &["resume", "2"]);
    assert_eq!(c["status"], "open");
}

#[test]
fn resolve_followup_close_reopen() {
    let env = env();
    open(&env, "first", &[]);
    ok_at(&env, &at(1), &["ack", "1"]);
    refused_at(
        &env,
        &at(2),
        &["followup", "1", "--csat", "4"],
        &["resolve it first"],
    );
    refused_at(
        &env,
        &at(2),
        &["close", "1"],
        &["cannot be closed", "resolve"],
    );
    refused_at(
        &env,
        &at(2),
        &["reopen", "1", "--reason", "x"],
        &["cannot be reopened"],
    );
    refused_at(
        &env,
        &at(2),
        &["resolve", "1", "--resolution", " "],
        &["resolution"],
    );

    let c = ok_at(
        &env,
        &at(10),
        &[
            "resolve",
            "1",
            "--resolution",
            "driver updated",
            "--root-cause",
            "old driver",
        ],
    );
    assert_eq!(c["status"], "resolved");
    assert_eq!(c["resolved_at"], at(10));
    assert_eq!(c["resolution"], "driver updated");
    assert_eq!(c["root_cause"], "old driver");
    let e = last_event(&env);
    assert_eq!(e["event"], "resolved");
    assert_eq!(e["resolution"], "driver updated");
    assert_eq!(e["root_cause"], "old driver");
    refused_at(
        &env,
        &at(11),
        &["resolve", "1", "--resolution", "again"],
        &["cannot be resolved"],
    );

    // --csat is 1 to 5: anything else is a usage error.
    // A bad value is bad input (exit 1), like an unknown --status.
    refused_with(&env, &at(11), &["followup", "1", "--csat", "6"], &["6"], 1);
    refused_with(&env, &at(11), &["followup", "1", "--csat", "0"], &["0"], 1);
    refused_at(
        &env,
        &at(11),
        &["close", "1"],
        &["no follow-up", "esc followup ESC-1"],
    );

    let c = ok_at(
        &env,
        &at(12),
        &["followup", "1", "--csat", "4", "--comment", "quick"],
    );
    assert_eq!(c["followup"]["csat"], 4);
    assert_eq!(c["followup"]["comment"], "quick");
    let e = last_event(&env);
    assert_eq!(e["event"], "followed_up");
    assert_eq!(e["csat"], 4);
    assert_eq!(e["comment"], "quick");
    refused_at(
        &env,
        &at(13),
        &["followup", "1"],
        &["already has a follow-up"],
    );

    let c = ok_at(&env, &at(14), &["close", "1"]);
    assert_eq!(c["status"], "closed");
    assert_eq!(c["closed_at"], at(14));
    assert_eq!(last_event(&env)["event"], "closed");
    refused_at(&env, &at(15), &["close", "1"], &["already closed"]);
    refused_at(&env, &at(15), &handoff("1"), &["closed", "reopen"]);
    refused_at(&env, &at(15), &["assign", "1", "--to", "ben"], &["closed"]);
    refused_at(&env, &at(15), &["pause", "1", "--reason", "x"], &["closed"]);

    refused_with(&env, &at(16), &["reopen", "1"], &["--reason"], 2);
    refused_at(&env, &at(16), &["reopen", "1", "--reason", ""], &["reason"]);
    let c = ok_at(&env, &at(16), &["reopen", "1", "--reason", "it is back"]);
    assert_eq!(
        c["status"], "acknowledged",
        "status returns to before resolve"
    );
    assert_eq!(c["resolved_at"], Value::Null);
    assert_eq!(c["closed_at"], Value::Null);
    assert_eq!(c["acknowledged_at"], at(1));
    assert_eq!(c["reopened"], 1);
    let e = last_event(&env);
    assert_eq!(e["event"], "reopened");
    assert_eq!(e["reason"], "it is back");
    refused_at(
        &env,
        &at(17),
        &["reopen", "1", "--reason", "x"],
        &["cannot be reopened"],
    );

    // A reopened case needs a new resolution and follow-up before it closes again.
    ok_at(&env, &at(18), &["resolve", "1", "--resolution", "again"]);
    refused_at(&env, &at(19), &["close", "1"], &["no follow-up"]);

    // An unacknowledged case reopens as open.
    let id = closed_case(&env, "never acked");
    let c = ok_at(&env, &at(20), &["reopen", &id, "--reason", "back"]);
    assert_eq!(c["status"], "open");
}

// ---------------------------------------------------------------------------------------
// show, list

#[test]
fn show_json_shape() {
    let env = env();
    open(
        &env,
        "Shape",
        &[
            "--severity",
            "sev2",
            "--account",
            "acme",
            "--channel",
            "phone",
        ],
    );
    // A `--now` with an offset is stored and shown in UTC.
    let out = env
        .esc(&["--json", "--now", "2026-11-23T10:30:00+01:00", "ack", "1"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    ok_at(&env, &at(60), &["resolve", "1", "--resolution", "done"]);
    let c = ok_at(&env, &at(61), &["show", "1"]);
    let obj = c.as_object().unwrap();
    for key in [
        "id",
        "title",
        "severity",
        "type",
        "status",
        "account",
        "owner",
        "reporter",
        "channel",
        "labels",
        "levels",
        "swarm",
        "major",
        "opened_at",
        "acknowledged_at",
        "resolved_at",
        "closed_at",
        "events",
    ] {
        assert!(obj.contains_key(key), "show --json lacks {key}: {c:#}");
    }
    assert_eq!(c["id"], "ESC-1");
    assert_eq!(c["title"], "Shape");
    assert_eq!(c["severity"], "sev2");
    assert_eq!(c["type"], "technical");
    assert_eq!(c["status"], "resolved");
    assert_eq!(c["account"], "acme");
    assert_eq!(c["owner"], "ana");
    assert_eq!(c["reporter"], Value::Null);
    assert_eq!(c["channel"], "phone");
    assert!(c["labels"].is_array());
    assert!(c["levels"].is_object());
    assert_eq!(c["swarm"], Value::Null);
    assert_eq!(c["major"], Value::Null);
    assert_eq!(c["opened_at"], "2026-11-23T09:00:00Z");
    assert_eq!(c["acknowledged_at"], "2026-11-23T09:30:00Z");
    assert_eq!(c["resolved_at"], "2026-11-23T10:00:00Z");
    assert_eq!(c["closed_at"], Value::Null);
    // The SLA clocks' shape (their arithmetic is tested with the SLA module).
    if let Some(sla) = c.get("sla") {
        for clock in ["response", "resolution", "update", "tier"] {
            // A clock the severity does not define (sev2 has no update_every) is null.
            if sla[clock].is_null() {
                continue;
            }
            let state = sla[clock]["state"].as_str();
            assert!(
                matches!(
                    state,
                    Some("pending" | "warning" | "breached" | "met" | "paused")
                ),
                "sla.{clock}.state: {sla}"
            );
            for key in ["due", "at"] {
                let t = &sla[clock][key];
                assert!(
                    t.is_null() || t.as_str().is_some_and(|s| s.ends_with('Z')),
                    "sla.{clock}.{key} in UTC: {sla}"
                );
            }
        }
    }

    let all = c["events"].as_array().unwrap();
    for (i, e) in all.iter().enumerate() {
        assert_eq!(e["seq"], i as u64 + 1, "gap-free, notifications included");
    }
    let events: Vec<&Value> = all.iter().filter(|e| !is_notification(e)).collect();
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["opened", "acknowledged", "resolved"]);
    for e in &events {
        assert_eq!(e["actor"], "tester");
        assert_eq!(e["case"], "ESC-1");
        let at = e["at"].as_str().unwrap();
        assert!(at.ends_with('Z') && at.len() == 20, "RFC 3339 UTC: {at}");
    }
    assert_eq!(events[1]["at"], "2026-11-23T09:30:00Z");
    // The ledger stores the same UTC time.
    assert_eq!(case_events(&env)[1]["at"], "2026-11-23T09:30:00Z");

    // Changing commands print the same object as show (with events).
    let changed = ok_at(&env, &at(62), &["note", "1", "n"]);
    let shown = ok_at(&env, &at(62), &["show", "1"]);
    let strip = |mut v: Value| {
        v.as_object_mut().unwrap().remove("raci");
        v
    };
    assert_eq!(strip(changed), strip(shown));

    // --actor is recorded.
    let out = env
        .esc(&["--actor", "ben", "note", "1", "by ben"])
        .env("ESC_NOW", at(63))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(last_event(&env)["actor"], "ben");
}

#[test]
fn show_human_has_raci_and_timeline() {
    let env = env();
    open(
        &env,
        "Printer on fire",
        &["--account", "acme", "--reporter", "Rita", "--label", "hw"],
    );
    ok_at(&env, &at(5), &["note", "1", "smoke seen"]);
    ok_at(&env, &at(6), &handoff("1"));
    let out = env
        .esc(&["show", "ESC-1"])
        .env("ESC_NOW", at(7))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "ESC-1",
        "Printer on fire",
        "sev3",
        "L2",
        L2_ON_DUTY,
        "ACME Corp",
        "Rita",
        "hw",
        "RACI",
        "open",
        "escalate",
        "resolve",
        "fay",
        "gus",
        "Timeline",
        "opened",
        "smoke seen",
        "escalated",
        "needs an engineer",
    ] {
        assert!(text.contains(needle), "show lacks {needle:?}:\n{text}");
    }
    let raci = text.find("RACI").unwrap();
    let timeline = text.find("Timeline").unwrap();
    assert!(raci < timeline);
    assert!(text[timeline..].find("smoke seen") < text[timeline..].find("escalated"));
}

/// The ids in a `list --json` answer, sorted by case number (the list itself is ordered by
/// closeness to an SLA breach, which these tests do not pin down).
fn ids(v: &Value) -> Vec<String> {
    let mut ids: Vec<String> = v
        .as_array()
        .expect("array")
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort_by_key(|id| id[4..].parse::<u64>().unwrap());
    ids
}

#[test]
fn list_filters() {
    let env = env();
    open(&env, "one", &["--account", "acme"]); // ESC-1: sev3, L1, ana
    open(&env, "two", &["--severity", "sev1"]); // ESC-2: sev1 → L2, dee
    ok_at(&env, &at(1), &handoff("2"));
    open(&env, "three", &["--severity", "sev2", "--account", "acme"]); // ESC-3: acked
    ok_at(&env, &at(2), &["ack", "3"]);
    let closed = closed_case(&env, "four"); // ESC-4: closed
    assert_eq!(closed, "ESC-4");
    open(&env, "five", &[]); // ESC-5: paused
    ok_at(&env, &at(4), &["pause", "5", "--reason", "r"]);

    let now = at(5);
    let all_open = ok_at(&env, &now, &["list"]);
    assert_eq!(ids(&all_open), ["ESC-1", "ESC-2", "ESC-3", "ESC-5"]);
    for c in all_open.as_array().unwrap() {
        assert!(c.get("events").is_none(), "list has no events: {c}");
        assert!(c.get("levels").is_some());
    }
    assert_eq!(
        ids(&ok_at(&env, &now, &["list", "--all"])),
        ["ESC-1", "ESC-2", "ESC-3", "ESC-4", "ESC-5"]
    );
    assert_eq!(
        ids(&ok_at(&env, &now, &["list", "--status", "closed"])),
        ["ESC-4"]
    );
    assert_eq!(
        ids(&ok_at(&env, &now, &["list", "--status", "open"])),
        ["ESC-1", "ESC-2"]
    );
    assert_eq!(
        ids(&ok_at(&env, &now, &["list", "--status", "acknowledged"])),
        ["ESC-3"]
    );
    assert_eq!(
        ids(&ok_at(&env, &now, &["list", "--status", "paused"])),
        ["ESC-5"]
    );
    assert_eq!(
        ids(&ok_at(&env, &now, &["list", "--severity", "sev1"])),
        ["ESC-2"]
    );
    assert_eq!(
        ids(&ok_at(&env, &now, &["list", "--severity", "sev3"])),
        ["ESC-1", "ESC-5"]
    );
    assert_eq!(
        ids(&ok_at(&env, &now, &["list", "--severity", "sev3", "--all"])),
        ["ESC-1", "ESC-4", "ESC-5"]
    );
    assert_eq!(
        ids(&ok_at(&env, &now, &["list", "--tier", "L2"])),
        ["ESC-2"]
    );
    assert_eq!(
        ids(&ok_at(&env, &now, &["list", "--tier", "L1"])),
        ["ESC-1", "ESC-3", "ESC-5"]
    );
    assert_eq!(
        ids(&ok_at(&env, &now, &["list", "--owner", L2_ON_DUTY])),
        ["ESC-2"]
    );
    assert_eq!(
        ids(&ok_at(&env, &now, &["list", "--account", "acme"])),
        ["ESC-1", "ESC-3"]
    );
    assert_eq!(
        ids(&ok_at(
            &env,
            &now,
            &["list", "--account", "acme", "--severity", "sev2"]
        )),
        ["ESC-3"]
    );
    refused_at(
        &env,
        &now,
        &["list", "--owner", "nobody"],
        &["nobody", "not a person in the policy", "known: ana"],
    );
    refused_at(
        &env,
        &now,
        &["list", "--status", "done"],
        &["done", "not a status"],
    );

    let out = env.esc(&["list"]).env("ESC_NOW", &now).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in ["ESC-1", "ESC-2", "ESC-3", "ESC-5", "one", "two"] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
    assert!(!text.contains("ESC-4"), "closed hidden: {text}");
}

/// `list --json` keeps the clocks it sorted by for the JSON (packed to whole seconds);
/// whatever the times, each case's `sla` is the one `show` gives.
#[test]
fn list_shows_the_same_clocks_as_show_for_whole_and_fractional_seconds() {
    let env = env();
    for (at, severity) in [
        ("2026-11-23T09:00:00Z", "sev1"),
        ("2026-11-23T09:00:00.250Z", "sev2"),
        ("2026-11-23T09:00:07Z", "sev3"),
    ] {
        ok_at(&env, at, &["open", "clocks", "--severity", severity]);
    }
    ok_at(&env, "2026-11-23T09:05:00Z", &["ack", "ESC-1"]);
    for now in ["2026-11-23T10:00:00Z", "2026-11-23T10:00:00.5Z"] {
        let listed = ok_at(&env, now, &["list"]);
        let listed = listed.as_array().expect("an array");
        assert_eq!(listed.len(), 3, "{listed:?}");
        for case in listed {
            let id = case["id"].as_str().expect("an id");
            let shown = ok_at(&env, now, &["show", id]);
            assert!(case["sla"]["response"]["due"].is_string(), "{case}");
            assert_eq!(case["sla"], shown["sla"], "{id} at {now}");
        }
    }
}

#[test]
fn list_and_show_on_an_empty_ledger() {
    let env = env();
    assert_eq!(ok_at(&env, NOW, &["list"]), serde_json::json!([]));
    refused_at(&env, NOW, &["show", "1"], &["no case ESC-1"]);
    assert!(ledger_bytes(&env).is_none(), "reads create no ledger");
}

// ---------------------------------------------------------------------------------------
// completions, --now, --quiet, refusals in general

#[test]
fn completions_for_each_shell() {
    let env = env();
    for (shell, marker) in [
        ("bash", "_esc"),
        ("zsh", "#compdef esc"),
        ("fish", "complete -c esc"),
    ] {
        let out = env.esc(&["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains(marker),
            "{shell}: {}",
            &text[..text.len().min(200)]
        );
        assert!(text.contains("escalate"), "{shell} completes subcommands");
    }
    // An unknown shell is a bad value: exit 1.
    let out = env.esc(&["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(ledger_bytes(&env).is_none());
}

#[test]
fn now_earlier_than_the_last_event_is_refused() {
    let env = env();
    open(&env, "first", &[]);
    ok_at(&env, &at(30), &["note", "1", "later"]);
    let earlier = at(29);
    for args in [
        vec!["note", "1", "back in time"],
        vec!["ack", "1"],
        vec!["assign", "1", "--to", "ben"],
        vec!["resolve", "1", "--resolution", "r"],
        handoff("1"),
    ] {
        refused_at(&env, &earlier, &args, &["must not be earlier", "--now"]);
    }
    // Through --now as well as ESC_NOW.
    refused_at(
        &env,
        &at(31),
        &["--now", "2026-11-23T09:00:00Z", "note", "1", "x"],
        &["must not be earlier"],
    );
    refused_at(
        &env,
        &at(31),
        &["--now", "soon", "note", "1", "x"],
        &["soon", "RFC 3339", "yesterday 17:00"],
    );
    // The same instant is fine.
    ok_at(&env, &at(30), &["note", "1", "same time"]);
}

#[test]
fn quiet_prints_nothing_on_success() {
    let env = env();
    let q = |now: &str, args: &[&str]| {
        let mut full = vec!["--quiet"];
        full.extend_from_slice(args);
        let out = env.esc(&full).env("ESC_NOW", now).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stdout.is_empty(),
            "{args:?} printed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(out.stderr.is_empty(), "{args:?} printed on stderr");
    };
    q(NOW, &["open", "first"]);
    q(&at(1), &["ack", "1"]);
    q(&at(2), &["assign", "1", "--to", "ben"]);
    q(&at(3), &["note", "1", "n"]);
    q(&at(4), &["update", "1", "u"]);
    q(&at(5), &handoff("1"));
    q(&at(6), &["deescalate", "1", "--reason", "r"]);
    q(&at(7), &["pause", "1", "--reason", "r"]);
    q(&at(8), &["resume", "1"]);
    q(&at(9), &["resolve", "1", "--resolution", "r"]);
    q(&at(10), &["followup", "1", "--csat", "3"]);
    q(&at(11), &["close", "1"]);
    q(&at(12), &["reopen", "1", "--reason", "r"]);
    assert_eq!(case_events(&env).len(), 13);
    // -q too; a refusal still says why.
    let out = env
        .esc(&["-q", "close", "1"])
        .env("ESC_NOW", at(13))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error:"));
}

#[test]
fn human_confirmations_name_the_case_and_the_change() {
    let env = env();
    open(&env, "first", &[]);
    let say = |now: &str, args: &[&str]| {
        let out = env.esc(args).env("ESC_NOW", now).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let t = say(&at(1), &["ack", "1"]);
    assert!(t.contains("ESC-1") && t.contains("acknowledged"), "{t}");
    let t = say(&at(2), &handoff("1"));
    assert!(
        t.contains("ESC-1") && t.contains("L2") && t.contains(L2_ON_DUTY),
        "{t}"
    );
    let t = say(&at(3), &["assign", "1", "--to", "eve"]);
    assert!(t.contains("ESC-1") && t.contains("eve"), "{t}");
}

/// Every refusal of every command, run against one ledger in one state; each must exit 1
/// with `error:` and leave the ledger byte-for-byte unchanged (checked by `refused_at`).
#[test]
fn every_refusal_leaves_the_ledger_unchanged() {
    let env = env();
    open(&env, "active", &[]); // ESC-1, open at L1
    let closed = closed_case(&env, "closed"); // ESC-2
    open(&env, "resolved", &[]); // ESC-3
    ok_at(&env, &at(4), &["resolve", "3", "--resolution", "r"]);
    let before = ledger_bytes(&env).unwrap();
    let now = at(5);
    let refusals: Vec<Vec<&str>> = vec![
        vec!["open", ""],
        vec!["open", "x", "--severity", "nope"],
        vec!["open", "x", "--type", "nope"],
        vec!["ack", "ESC-x"],
        vec!["ack", "77"],
        vec!["ack", &closed],
        vec!["assign", "1", "--to", "nobody"],
        vec!["assign", "1", "--to", "ana"],
        vec!["note", "1", ""],
        vec!["note", "9", "x"],
        vec!["update", "3", "x"],
        vec!["escalate", "1", "--reason", "r"],
        vec![
            "escalate",
            "3",
            "--reason",
            "r",
            "--summary",
            "s",
            "--tried",
            "t",
        ],
        vec!["deescalate", "1", "--reason", "r"],
        vec!["pause", "3", "--reason", "r"],
        vec!["resume", "1"],
        vec!["resolve", "3", "--resolution", "again"],
        vec!["followup", "1"],
        vec!["close", "1"],
        vec!["close", "3"],
        vec!["close", &closed],
        vec!["reopen", "1", "--reason", "r"],
        vec!["show", "nope"],
        vec!["list", "--status", "nope"],
    ];
    for args in &refusals {
        refused_at(&env, &now, args, &[]);
        let mut json = vec!["--json"];
        json.extend_from_slice(args);
        refused_at(&env, &now, &json, &[]);
    }
    // A bad value: exit 1; usage errors: exit 2; both leave the ledger unchanged.
    refused_with(&env, &now, &["followup", "3", "--csat", "6"], &[], 1);
    for args in [
        vec!["ack"],
        vec!["frobnicate", "1"],
        vec!["note", "1", "x", "--bogus"],
    ] {
        refused_with(&env, &now, &args, &[], 2);
    }
    assert_eq!(ledger_bytes(&env).unwrap(), before);
}

#[test]
fn a_full_lifecycle_keeps_a_gap_free_ledger() {
    let env = env();
    open(&env, "life", &["--severity", "sev2", "--reporter", "Rita"]);
    let steps: Vec<Vec<&str>> = vec![
        vec!["ack", "1"],
        vec!["note", "1", "looking"],
        vec!["update", "1", "on it", "--customer"],
        handoff("1"),
        vec!["assign", "1", "--to", "carl"],
        vec!["pause", "1", "--reason", "customer away"],
        vec!["resume", "1"],
        vec!["deescalate", "1", "--reason", "easy after all"],
        vec!["resolve", "1", "--resolution", "fixed"],
        vec!["followup", "1", "--csat", "5"],
        // sev2 requires a review before closing.
        vec!["review", "1", "--root-cause", "a stale driver"],
        vec!["close", "1"],
        vec!["reopen", "1", "--reason", "again"],
    ];
    for (i, args) in steps.iter().enumerate() {
        ok_at(&env, &at(i as u32 + 1), args);
    }
    // Gap-free with the notifications each command queued in its own batch.
    for (i, e) in common::ledger_events(&env).iter().enumerate() {
        assert_eq!(e["seq"], i as u64 + 1);
    }
    let events = case_events(&env);
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "opened",
            "acknowledged",
            "noted",
            "updated",
            "escalated",
            "assigned",
            "paused",
            "resumed",
            "deescalated",
            "resolved",
            "followed_up",
            "review_recorded",
            "closed",
            "reopened"
        ]
    );
    for e in &events {
        assert_eq!(e["case"], "ESC-1");
        for key in ["seq", "at", "actor", "case", "event"] {
            assert!(e.get(key).is_some(), "{key} in {e}");
        }
    }
    let c = ok_at(&env, &at(20), &["show", "1"]);
    assert_eq!(
        c["events"].as_array().unwrap().len(),
        common::ledger_events(&env).len()
    );
    assert_eq!(c["status"], "acknowledged");
    assert_eq!(c["owner"], "ana");
    assert_eq!(c["reporter"], "Rita");

    let out = env.esc(&["ledger", "verify"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v = ok_at(&env, &at(20), &["ledger", "verify"]);
    assert_eq!(v["ok"], true);
    let total = common::ledger_events(&env).len();
    assert_eq!(v["events"], total);
    assert_eq!(v["last_seq"], total);
    assert_eq!(v["cases"], 1);
    assert_eq!(v["torn_tail"], Value::Null);
}
