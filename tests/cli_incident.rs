//! Beyond the tier ladder, end to end through the real binary (SPEC §1 swarming, major
//! incidents, executive sponsorship, customer-centric paths; §3 `[swarm]`, `[major]`,
//! `[accounts]`, `[templates]` and the trigger actions `swarm`, `major`, `sponsor`; §4
//! `esc swarm`, `esc major`, `esc update`, `esc status --customer`, `esc brief`,
//! `esc approve`, `esc policy explain`).
//!
//! Assertions are on parsed `--json` output, exit codes, the ledger's events and output
//! text. Every refusal is checked to exit 1, name what was wrong on stderr and leave the
//! ledger byte-for-byte as it was.
//!
//! Most tests use the inline policy [`POLICY`]; its rotations are chosen so that the
//! on-duty member of a role is never simply the first one listed. On Monday 2026-11-23
//! (day 20776 and ISO week 2968 since Monday 1970-01-05):
//! - agent (daily: anouk, bert) → anouk (20776 % 2 = 0) — the owner at L1;
//! - engineer (weekly: carl, dorota, emre) → dorota (2968 % 3 = 1) — the owner at L2;
//! - lead (daily: gil, fay, hal) → fay (20776 % 3 = 1) — the swarm facilitator;
//! - exec (weekly: cfo, coo, ceo) → coo (2968 % 3 = 1) — ACME's sponsor;
//! - comms (weekly: pia, quinn) → pia; manager → gus; ic → kara (no rotation).
//!
//! The display time zone is America/New_York, so a promised time is shown in EST
//! (09:00 UTC is 04:00 EST), never in UTC.

mod common;

use common::{NOW, TestEnv, ledger_events, ok_at};
use serde_json::Value;

const POLICY: &str = r#"version = 1
name = "Incident tests"
types = ["technical", "complaint"]

[defaults]
severity = "sev2"
type = "technical"
path = "technical"
timezone = "America/New_York"

[calendars.always]
timezone = "UTC"
hours = "24x7"

[calendars.office]
timezone = "UTC"
hours = { mon = "09:00-17:00", tue = "09:00-17:00", wed = "09:00-17:00", thu = "09:00-17:00", fri = "09:00-17:00" }

[severities.sev1]
calendar = "always"
response = "15m"
resolution = "4h"
update_every = "1h"
warn_at = 0.75
skip_tiers = true

[severities.sev2]
calendar = "always"
response = "1h"
resolution = "8h"
update_every = "2h"

[severities.sev3]
calendar = "office"
response = "4h"
resolution = "16h"
update_every = "4h"

[roles.agent]
members = ["anouk", "bert"]
rotation = "daily"
[roles.engineer]
members = ["carl", "dorota", "emre"]
rotation = "weekly"
[roles.lead]
members = ["gil", "fay", "hal"]
rotation = "daily"
[roles.manager]
members = ["gus"]
[roles.exec]
members = ["cfo", "coo", "ceo"]
rotation = "weekly"
[roles.comms]
members = ["pia", "quinn"]
rotation = "weekly"
[roles.ic]
members = ["kara", "luis"]

[accounts.acme]
name = "ACME Corp"
key = true
sponsor = "exec"

[accounts.initech]
name = "Initech"
key = true
sponsor = "cfo"

[[tiers]]
id = "L1"
path = "technical"
name = "Frontline support"
role = "agent"
escalate_after = { sev1 = "10m", sev2 = "2h", sev3 = "8h" }

[[tiers]]
id = "L2"
path = "technical"
name = "Support engineering"
role = "engineer"
escalate_after = { sev1 = "30m", sev2 = "4h", sev3 = "16h" }

[[tiers]]
id = "lead"
path = "management"
role = "lead"
escalate_after = { sev1 = "30m", sev2 = "4h", sev3 = "16h" }

[[tiers]]
id = "manager"
path = "management"
role = "manager"
escalate_after = { sev1 = "1h", sev2 = "8h", sev3 = "24h" }

[raci.default]
open     = { r = ["agent"], a = "lead", i = ["reporter"] }
escalate = { r = ["owner"], a = "lead", c = ["engineer"], i = ["reporter"] }
swarm    = { r = ["engineer"], a = "lead", i = ["manager"] }
major    = { r = ["commander", "comms"], a = "manager", i = ["reporter"] }
update   = { r = ["owner"], a = "lead", i = ["reporter"] }
resolve  = { r = ["owner"], a = "lead", i = ["reporter", "sponsor"] }

[handoff]
require = ["reason", "tried"]

[swarm]
facilitator = "lead"
lessons_required = true

[major]
roles = ["commander", "comms", "scribe"]
update_every = "15m"

[major.cards.commander]
duties = ["Single point of authority", "Owns the timeline"]

[major.cards.comms]
duties = ["Posts the situation update to the status page"]
"#;

/// Triggers used by the sweep tests; each acts only on cases with its own label.
const TRIGGERS: &str = r#"
[[triggers]]
name = "engage-sponsor"
when = { account_key = true, labels = ["at-risk"] }
then = { sponsor = true }

[[triggers]]
name = "propose-sponsor"
when = { account_key = true, labels = ["relationship"] }
then = { sponsor = true, confirm = true }

[[triggers]]
name = "all-hands"
when = { labels = ["all-hands"] }
then = { swarm = ["engineer"] }

[[triggers]]
name = "go-major"
when = { labels = ["big-one"] }
then = { major = true, confirm = true }

[[triggers]]
name = "go-major-now"
when = { labels = ["huge-one"] }
then = { major = true }
"#;

const AGENT: &str = "anouk";
const ENGINEER: &str = "dorota";
const LEAD: &str = "fay";
const SPONSOR: &str = "coo";

/// `NOW` plus `minutes` (same day), as RFC 3339 UTC.
fn at(minutes: u32) -> String {
    assert!(minutes < 14 * 60, "stay on 2026-11-23");
    format!("2026-11-23T{:02}:{:02}:00Z", 9 + minutes / 60, minutes % 60)
}

fn env() -> TestEnv {
    TestEnv::with_policy(POLICY)
}

fn env_with(extra: &str) -> TestEnv {
    TestEnv::with_policy(&format!("{POLICY}\n{extra}"))
}

/// The ledger's bytes (empty if there is no ledger yet).
fn ledger_bytes(env: &TestEnv) -> Vec<u8> {
    env.ledger_bytes().unwrap_or_default()
}

/// Events of a case in the ledger with the given `event` name.
fn events_named(env: &TestEnv, case: &str, name: &str) -> Vec<Value> {
    ledger_events(env)
        .into_iter()
        .filter(|e| e["case"] == case && e["event"] == name)
        .collect()
}

fn ok(env: &TestEnv, args: &[&str]) -> Value {
    ok_at(env, NOW, args)
}

/// `esc ARGS` (human output) at `now`: must succeed; stdout.
fn text_at(env: &TestEnv, now: &str, args: &[&str]) -> String {
    let out = env.esc(args).env("ESC_NOW", now).output().expect("run esc");
    assert!(
        out.status.success(),
        "esc {args:?} failed ({:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

fn text(env: &TestEnv, args: &[&str]) -> String {
    text_at(env, NOW, args)
}

/// `esc ARGS` at `now` must be refused: exit 1, every needle on stderr, nothing on stdout,
/// and the ledger byte-for-byte unchanged. Returns stderr.
fn refused_at(env: &TestEnv, now: &str, args: &[&str], needles: &[&str]) -> String {
    let before = ledger_bytes(env);
    let out = env.esc(args).env("ESC_NOW", now).output().expect("run esc");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(
        out.status.code(),
        Some(1),
        "esc {args:?} should be refused with exit 1; stderr: {stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "esc {args:?}: a refusal prints nothing on stdout, got {}",
        String::from_utf8_lossy(&out.stdout)
    );
    for n in needles {
        assert!(
            stderr.contains(n),
            "esc {args:?}: stderr should mention {n:?}: {stderr}"
        );
    }
    assert!(
        ledger_bytes(env) == before,
        "esc {args:?}: a refusal must leave the ledger unchanged"
    );
    stderr
}

fn refused(env: &TestEnv, args: &[&str], needles: &[&str]) -> String {
    refused_at(env, NOW, args, needles)
}

/// Open a case at `NOW`; its id.
fn open(env: &TestEnv, title: &str, extra: &[&str]) -> String {
    let mut args = vec!["open", title];
    args.extend_from_slice(extra);
    let v = ok(env, &args);
    v["id"].as_str().expect("id").to_string()
}

/// `esc show ID --json` at `now`.
fn show_at(env: &TestEnv, now: &str, id: &str) -> Value {
    ok_at(env, now, &["show", id])
}

fn show(env: &TestEnv, id: &str) -> Value {
    show_at(env, NOW, id)
}

/// The queued notifications (`esc notifications --json`) of one case.
fn notifications(env: &TestEnv, id: &str) -> Vec<Value> {
    ok(env, &["notifications", "--case", id])
        .as_array()
        .expect("array")
        .clone()
}

/// The recipients of the notifications of `case` with the given action.
fn recipients_of(env: &TestEnv, id: &str, action: &str) -> Vec<Vec<String>> {
    notifications(env, id)
        .iter()
        .filter(|n| n["action"] == action)
        .map(|n| strings(&n["recipients"]))
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().expect("string").to_string())
        .collect()
}

/// The resolved RACI row for `step` in `esc show --json`.
fn raci_row(case: &Value, step: &str) -> Value {
    case["raci"]
        .as_array()
        .expect("raci array")
        .iter()
        .find(|r| r["step"] == step)
        .unwrap_or_else(|| panic!("no RACI row {step}: {}", case["raci"]))
        .clone()
}

fn assert_has(haystack: &str, needles: &[&str]) {
    for n in needles {
        assert!(haystack.contains(n), "expected {n:?} in:\n{haystack}");
    }
}

fn assert_lacks(haystack: &str, needles: &[&str]) {
    for n in needles {
        assert!(
            !haystack.contains(n),
            "did not expect {n:?} in:\n{haystack}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Swarming
// ---------------------------------------------------------------------------------------

#[test]
fn swarm_with_roles_and_people_uses_the_policy_facilitator() {
    let env = env();
    let id = open(&env, "Reports fail", &["--reporter", "cust@acme.example"]);
    let v = ok(&env, &["swarm", &id, "--with", "engineer", "carl"]);
    // --json prints the case as show does.
    assert_eq!(v["id"], id.as_str());
    assert_eq!(
        v["swarm"]["facilitator"], LEAD,
        "on-duty member of [swarm] facilitator"
    );
    assert_eq!(strings(&v["swarm"]["members"]), [ENGINEER, "carl"]);
    assert_eq!(v["swarm"]["active"], true);
    assert_eq!(v["swarm"]["started_at"], NOW);
    assert_eq!(v["swarm"]["ended_at"], Value::Null);

    let shown = show(&env, &id);
    assert_eq!(shown["swarm"], v["swarm"]);
    // The RACI swarm row resolves roles to the on-duty members.
    let row = raci_row(&shown, "swarm");
    assert_eq!(strings(&row["r"]), [ENGINEER]);
    assert_eq!(row["a"], LEAD);

    // The ledger holds the swarm_started event and a notification to everyone in it.
    let started = events_named(&env, &id, "swarm_started");
    assert_eq!(started.len(), 1);
    assert_eq!(started[0]["facilitator"], LEAD);
    let notified = recipients_of(&env, &id, "swarm");
    assert_eq!(notified.len(), 1, "one swarm notification");
    for who in ["gus", LEAD, ENGINEER, "carl"] {
        assert!(
            notified[0].iter().any(|p| p == who),
            "{who} is notified of the swarm: {notified:?}"
        );
    }

    // Human output: the confirmation and `esc show`.
    let shown = text(&env, &["show", &id]);
    assert_has(
        &shown,
        &[&format!(
            "Swarm (running): facilitator {LEAD}, members {ENGINEER}, carl"
        )],
    );
}

#[test]
fn swarm_human_confirmation_names_people() {
    let env = env();
    let id = open(&env, "Reports fail", &[]);
    let out = text(&env, &["swarm", &id, "--with", "engineer"]);
    assert_has(
        &out,
        &[&id, "swarm started", LEAD, ENGINEER, "notified", "gus"],
    );
}

#[test]
fn swarm_facilitator_flag_takes_a_person_or_a_role() {
    let env = env();
    let a = open(&env, "One", &[]);
    let v = ok(
        &env,
        &["swarm", &a, "--with", "engineer", "--facilitator", "hal"],
    );
    assert_eq!(v["swarm"]["facilitator"], "hal");
    assert_eq!(strings(&v["swarm"]["members"]), [ENGINEER]);
    let notified = recipients_of(&env, &a, "swarm");
    assert!(notified[0].iter().any(|p| p == "hal"), "{notified:?}");

    let b = open(&env, "Two", &[]);
    let v = ok(
        &env,
        &["swarm", &b, "--with", "carl", "--facilitator", "manager"],
    );
    assert_eq!(
        v["swarm"]["facilitator"], "gus",
        "a role resolves to its on-duty member"
    );
    // The facilitator is not listed again among the members.
    let v2 = ok(
        &env,
        &["swarm", &open(&env, "Three", &[]), "--with", LEAD, "emre"],
    );
    assert_eq!(v2["swarm"]["facilitator"], LEAD);
    assert_eq!(strings(&v2["swarm"]["members"]), ["emre"]);
}

#[test]
fn swarm_end_with_lessons() {
    let env = env();
    let id = open(&env, "Reports fail", &[]);
    ok(&env, &["swarm", &id, "--with", "engineer"]);
    let v = ok_at(
        &env,
        &at(45),
        &[
            "swarm",
            &id,
            "--end",
            "--lessons",
            "Page engineering earlier",
        ],
    );
    assert_eq!(v["swarm"]["active"], false);
    assert_eq!(v["swarm"]["ended_at"], at(45).as_str());
    assert_eq!(v["swarm"]["lessons"], "Page engineering earlier");
    assert_eq!(
        v["swarm"]["facilitator"], LEAD,
        "the record of the swarm stays"
    );
    let ended = events_named(&env, &id, "swarm_ended");
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0]["lessons"], "Page engineering earlier");
    // The people of the swarm hear that it ended.
    let notified = recipients_of(&env, &id, "swarm_ended");
    assert_eq!(notified.len(), 1, "{notified:?}");
    assert!(notified[0].iter().any(|p| p == ENGINEER), "{notified:?}");
    let shown = text_at(&env, &at(50), &["show", &id]);
    assert_has(
        &shown,
        &["Swarm (ended", "lessons: Page engineering earlier"],
    );

    // A new swarm may start once the last one ended.
    let v = ok_at(&env, &at(60), &["swarm", &id, "--with", "carl"]);
    assert_eq!(v["swarm"]["active"], true);
    assert_eq!(strings(&v["swarm"]["members"]), ["carl"]);
}

#[test]
fn swarm_refusals_leave_the_ledger_unchanged() {
    let env = env();
    let id = open(&env, "Reports fail", &[]);

    // Ending a swarm that is not running.
    refused(
        &env,
        &["swarm", &id, "--end", "--lessons", "x"],
        &[&id, "no running swarm"],
    );
    // Unknown member or facilitator.
    refused(
        &env,
        &["swarm", &id, "--with", "nobody"],
        &["nobody", "person or role"],
    );
    refused(
        &env,
        &[
            "swarm",
            &id,
            "--with",
            "engineer",
            "--facilitator",
            "nobody",
        ],
        &["nobody"],
    );

    ok(&env, &["swarm", &id, "--with", "engineer"]);
    // A second swarm while one runs.
    refused(
        &env,
        &["swarm", &id, "--with", "carl"],
        &[&id, "already swarming"],
    );
    // Ending without lessons when the policy requires them (blank counts as none).
    refused(&env, &["swarm", &id, "--end"], &["lessons"]);
    refused(
        &env,
        &["swarm", &id, "--end", "--lessons", "  "],
        &["lessons"],
    );
    assert_eq!(show(&env, &id)["swarm"]["active"], true);

    // Ending twice.
    ok(&env, &["swarm", &id, "--end", "--lessons", "done"]);
    refused(
        &env,
        &["swarm", &id, "--end", "--lessons", "again"],
        &["no running swarm"],
    );

    // A swarm on a resolved case.
    let r = open(&env, "Fixed already", &[]);
    ok(&env, &["resolve", &r, "--resolution", "restarted"]);
    refused(
        &env,
        &["swarm", &r, "--with", "engineer"],
        &[&r, "resolved", "swarm"],
    );
    assert_eq!(show(&env, &r)["swarm"], Value::Null);
}

#[test]
fn swarm_end_with_members_is_a_usage_error() {
    let env = env();
    let id = open(&env, "Reports fail", &[]);
    let before = ledger_bytes(&env);
    let out = env
        .esc(&["swarm", &id, "--end", "--with", "carl"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(ledger_bytes(&env) == before);
}

#[test]
fn swarm_lessons_without_end_is_a_usage_error() {
    // `--lessons` belongs to `--end`; starting a swarm must not silently drop it.
    let env = env();
    let id = open(&env, "Reports fail", &[]);
    let before = ledger_bytes(&env);
    let out = env
        .esc(&["swarm", &id, "--with", "carl", "--lessons", "x"])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(2),
        "--lessons without --end: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(ledger_bytes(&env) == before);
}

#[test]
fn swarm_without_a_facilitator_in_the_policy_needs_the_flag() {
    let env = TestEnv::with_policy(&POLICY.replace("facilitator = \"lead\"\n", ""));
    let id = open(&env, "Reports fail", &[]);
    refused(
        &env,
        &["swarm", &id, "--with", "engineer"],
        &["--facilitator"],
    );
    let v = ok(
        &env,
        &["swarm", &id, "--with", "engineer", "--facilitator", "gus"],
    );
    assert_eq!(v["swarm"]["facilitator"], "gus");
}

#[test]
fn swarm_lessons_optional_when_the_policy_says_so() {
    let env = TestEnv::with_policy(
        &POLICY.replace("lessons_required = true", "lessons_required = false"),
    );
    let id = open(&env, "Reports fail", &[]);
    ok(&env, &["swarm", &id, "--with", "engineer"]);
    let v = ok(&env, &["swarm", &id, "--end"]);
    assert_eq!(v["swarm"]["active"], false);
    assert_eq!(v["swarm"]["lessons"], Value::Null);
}

// ---------------------------------------------------------------------------------------
// Major incidents
// ---------------------------------------------------------------------------------------

/// Open a sev1 case, acknowledged at `NOW`.
fn sev1(env: &TestEnv, title: &str) -> String {
    let id = open(
        env,
        title,
        &[
            "--severity",
            "sev1",
            "--reporter",
            "status-page",
            "--channel",
            "monitoring",
        ],
    );
    ok(env, &["ack", &id]);
    id
}

fn declare(env: &TestEnv, now: &str, id: &str) -> Value {
    ok_at(
        env,
        now,
        &[
            "major",
            id,
            "--commander",
            "kara",
            "--role",
            "comms=pia",
            "--role",
            "scribe=emre",
        ],
    )
}

#[test]
fn major_with_roles_unfilled_is_refused_naming_them() {
    let env = env();
    let id = sev1(&env, "Checkout down");
    refused(
        &env,
        &["major", &id, "--commander", "kara"],
        &[
            &id,
            "missing comms, scribe",
            "--role comms=PERSON",
            "--role scribe=PERSON",
        ],
    );
    let err = refused(
        &env,
        &["major", &id, "--commander", "kara", "--role", "comms=pia"],
        &["missing scribe"],
    );
    assert_lacks(&err, &["missing comms"]);
    // Unknown incident role, unknown person, malformed --role, unknown commander.
    refused(
        &env,
        &[
            "major",
            &id,
            "--commander",
            "kara",
            "--role",
            "comms=pia",
            "--role",
            "scribe=emre",
            "--role",
            "juggler=carl",
        ],
        &["juggler", "comms"],
    );
    refused(
        &env,
        &[
            "major",
            &id,
            "--commander",
            "kara",
            "--role",
            "comms=pia",
            "--role",
            "scribe=nobody",
        ],
        &["nobody"],
    );
    refused(
        &env,
        &["major", &id, "--commander", "kara", "--role", "comms"],
        &["ROLE=PERSON"],
    );
    refused(
        &env,
        &[
            "major",
            &id,
            "--commander",
            "nobody",
            "--role",
            "comms=pia",
            "--role",
            "scribe=emre",
        ],
        &["nobody", "commander"],
    );
    assert_eq!(show(&env, &id)["major"], Value::Null);
}

#[test]
fn major_declaration_prints_role_cards_and_show_has_the_roles() {
    let env = env();
    let id = sev1(&env, "Checkout down");
    let out = text(
        &env,
        &[
            "major",
            &id,
            "--commander",
            "kara",
            "--role",
            "comms=pia",
            "--role",
            "scribe=emre",
        ],
    );
    assert_has(
        &out,
        &[
            &id,
            "major incident declared",
            "commander: kara",
            "  - Single point of authority",
            "  - Owns the timeline",
            "comms: pia",
            "  - Posts the situation update to the status page",
            "scribe: emre",
            "(no card for this role in the policy)",
        ],
    );
    // Each card follows the person it is for.
    let commander = out.find("commander: kara").unwrap();
    let duty = out.find("Single point of authority").unwrap();
    let comms = out.find("comms: pia").unwrap();
    assert!(commander < duty && duty < comms, "{out}");

    let v = show(&env, &id);
    assert_eq!(v["major"]["commander"], "kara");
    assert_eq!(v["major"]["active"], true);
    assert_eq!(v["major"]["declared_at"], NOW);
    assert_eq!(v["major"]["stood_down_at"], Value::Null);
    let roles = v["major"]["roles"].as_object().expect("roles object");
    assert_eq!(roles.len(), 3, "{roles:?}");
    assert_eq!(roles["commander"], "kara");
    assert_eq!(roles["comms"], "pia");
    assert_eq!(roles["scribe"], "emre");

    let declared = events_named(&env, &id, "major_declared");
    assert_eq!(declared.len(), 1);
    assert_eq!(declared[0]["commander"], "kara");
    // Everyone named is notified; the reporter (a customer party) is not told of a major
    // incident's staffing.
    let notified = recipients_of(&env, &id, "major");
    assert_eq!(notified.len(), 1, "{notified:?}");
    for who in ["kara", "pia", "emre"] {
        assert!(notified[0].iter().any(|p| p == who), "{who}: {notified:?}");
    }
    assert!(
        !notified[0].iter().any(|p| p == "status-page"),
        "{notified:?}"
    );

    // `esc show` shows the roles with their cards.
    let shown = text(&env, &["show", &id]);
    assert_has(
        &shown,
        &[
            "Major incident (declared), commander kara",
            "comms: pia",
            "  - Posts the situation update to the status page",
        ],
    );
}

#[test]
fn major_commander_resolves_in_the_raci() {
    // SPEC §3: besides roles and people the matrix names "commander": the incident
    // commander once a major incident is declared.
    let env = env();
    let id = sev1(&env, "Checkout down");
    let before = raci_row(&show(&env, &id), "major");
    assert_eq!(
        strings(&before["r"]),
        ["pia"],
        "no commander before declaring"
    );
    declare(&env, NOW, &id);
    let row = raci_row(&show(&env, &id), "major");
    assert_eq!(
        strings(&row["r"]),
        ["kara", "pia"],
        "`commander` in the RACI resolves to the declared incident commander"
    );
}

#[test]
fn major_declared_twice_and_stand_down_refusals() {
    let env = env();
    let id = sev1(&env, "Checkout down");
    refused(
        &env,
        &["major", &id, "--stand-down"],
        &[&id, "not a major incident"],
    );
    declare(&env, NOW, &id);
    refused(
        &env,
        &[
            "major",
            &id,
            "--commander",
            "luis",
            "--role",
            "comms=quinn",
            "--role",
            "scribe=carl",
        ],
        &[&id, "already a major incident", "kara"],
    );
    let v = ok_at(
        &env,
        &at(90),
        &["--actor", "kara", "major", &id, "--stand-down"],
    );
    assert_eq!(v["major"]["active"], false);
    assert_eq!(v["major"]["stood_down_at"], at(90).as_str());
    assert_eq!(v["major"]["commander"], "kara", "the record stays");
    assert_eq!(events_named(&env, &id, "major_stood_down").len(), 1);
    // Everyone who held a role hears of the stand-down.
    let notified = recipients_of(&env, &id, "major_stood_down");
    assert_eq!(notified.len(), 1, "{notified:?}");
    for who in ["kara", "pia", "emre"] {
        assert!(notified[0].iter().any(|p| p == who), "{who}: {notified:?}");
    }
    assert_has(&text_at(&env, &at(95), &["show", &id]), &["stood down"]);
    refused_at(
        &env,
        &at(95),
        &["major", &id, "--stand-down"],
        &["not a major incident"],
    );
    // Usage: --stand-down with --commander is a usage error; no --commander at all too.
    for args in [
        vec!["major", id.as_str(), "--stand-down", "--commander", "kara"],
        vec!["major", id.as_str()],
    ] {
        let out = env.esc(&args).env("ESC_NOW", at(95)).output().expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn major_on_a_resolved_case_is_refused() {
    let env = env();
    let id = sev1(&env, "Checkout down");
    ok(&env, &["resolve", &id, "--resolution", "rolled back"]);
    refused(
        &env,
        &[
            "major",
            &id,
            "--commander",
            "kara",
            "--role",
            "comms=pia",
            "--role",
            "scribe=emre",
        ],
        &[&id, "resolved"],
    );
}

#[test]
fn major_update_needs_the_situation_form() {
    let env = env();
    let id = sev1(&env, "Checkout down");
    declare(&env, NOW, &id);
    let t = at(10);
    let err = refused_at(
        &env,
        &t,
        &["update", &id, "Rolling back"],
        &[
            &id,
            "major incident",
            "--status",
            "--impact",
            "--actions",
            "--next",
        ],
    );
    assert!(err.contains("situation-update form"), "{err}");
    // A partial form names only what is missing.
    let err = refused_at(
        &env,
        &t,
        &["update", &id, "--status", "Rolling back", "--impact", "EU"],
        &["--actions", "--next"],
    );
    assert_lacks(&err, &["--status", "--impact"]);

    let v = ok_at(
        &env,
        &t,
        &[
            "update",
            &id,
            "Vendor ticket 123 opened",
            "--status",
            "Rolling back deploy 4711",
            "--impact",
            "30% of EU checkouts fail",
            "--actions",
            "rollback; traffic shifted",
            "--next",
            "09:30 UTC",
        ],
    );
    assert_eq!(v["id"], id.as_str());
    let updates = events_named(&env, &id, "updated");
    assert_eq!(updates.len(), 1);
    let body = updates[0]["text"].as_str().expect("text");
    // The built-in situation_update template.
    assert_has(
        body,
        &[
            &format!("SITUATION UPDATE — {id}: Checkout down"),
            "Status:      Rolling back deploy 4711",
            "Impact:      30% of EU checkouts fail",
            "Actions:     rollback; traffic shifted",
            "Next update: 09:30 UTC",
            "Notes:       Vendor ticket 123 opened",
        ],
    );
    // The human confirmation shows it too.
    let out = text_at(
        &env,
        &at(20),
        &[
            "update",
            &id,
            "--status",
            "Stable",
            "--impact",
            "none",
            "--actions",
            "watching",
            "--next",
            "10:00 UTC",
        ],
    );
    assert_has(&out, &[&id, "SITUATION UPDATE", "Status:      Stable"]);
    assert_lacks(&out, &["Notes:"]);

    // A customer update on a major incident is plain text, not the form.
    ok_at(
        &env,
        &at(25),
        &["update", &id, "We are on it", "--customer"],
    );
    // The form on a case that is not a major incident is refused.
    let other = sev1(&env, "Not major");
    refused_at(
        &env,
        &at(25),
        &[
            "update",
            &other,
            "--status",
            "x",
            "--impact",
            "y",
            "--actions",
            "z",
            "--next",
            "w",
        ],
        &["not one"],
    );
}

#[test]
fn major_situation_update_uses_the_policys_template() {
    let env = env_with(
        r#"[templates]
situation_update = "SITREP {{ id }} | {{ status | upper }} | next {{ next_update }}{{ nonexistent }}"
"#,
    );
    let id = sev1(&env, "Checkout down");
    declare(&env, NOW, &id);
    ok_at(
        &env,
        &at(5),
        &[
            "update",
            &id,
            "--status",
            "rolling back",
            "--impact",
            "EU",
            "--actions",
            "rb",
            "--next",
            "09:20",
        ],
    );
    let updates = events_named(&env, &id, "updated");
    assert_eq!(
        updates[0]["text"],
        format!("SITREP {id} | ROLLING BACK | next 09:20")
    );
}

#[test]
fn major_update_cadence_uses_major_update_every() {
    // sev1 updates are due every 1h; while a major incident is declared, every 15m.
    let env = env();
    let id = sev1(&env, "Checkout down");
    assert_eq!(show(&env, &id)["sla"]["update"]["due"], at(60));
    declare(&env, NOW, &id);
    let t = at(10);
    ok_at(
        &env,
        &t,
        &[
            "update",
            &id,
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
    let v = show_at(&env, &at(11), &id);
    assert_eq!(
        v["sla"]["update"]["due"],
        at(25),
        "update due = last update (09:10) + [major] update_every (15m): {}",
        v["sla"]["update"]
    );
    assert_eq!(v["sla"]["update"]["state"], "pending");
    // Overdue after 15 minutes without a situation update.
    let late = show_at(&env, &at(30), &id);
    assert_eq!(
        late["sla"]["update"]["state"], "breached",
        "{}",
        late["sla"]
    );

    // After the stand-down the severity's cadence applies again.
    ok_at(
        &env,
        &at(30),
        &["--actor", "kara", "major", &id, "--stand-down"],
    );
    ok_at(&env, &at(40), &["update", &id, "Recovered, monitoring"]);
    assert_eq!(show_at(&env, &at(41), &id)["sla"]["update"]["due"], at(100));
}

#[test]
fn major_update_cadence_is_elapsed_time() {
    // sev3 runs on an office calendar (Mon-Fri 09:00-17:00 UTC); the major cadence does not
    // wait for the office to open: an update at 16:55 is next due at 17:10 the same day.
    let env = env();
    let id = open(&env, "Nightly export broken", &["--severity", "sev3"]);
    ok(&env, &["ack", &id]);
    declare(&env, NOW, &id);
    ok_at(
        &env,
        "2026-11-23T16:55:00Z",
        &[
            "update",
            &id,
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
    let v = show_at(&env, "2026-11-23T16:56:00Z", &id);
    assert_eq!(
        v["sla"]["update"]["due"], "2026-11-23T17:10:00Z",
        "[major] update_every is elapsed time: {}",
        v["sla"]["update"]
    );
}

// ---------------------------------------------------------------------------------------
// Trigger actions: sponsor, swarm, major
// ---------------------------------------------------------------------------------------

fn sweep(env: &TestEnv, now: &str) -> Value {
    ok_at(env, now, &["sweep"])
}

fn actions_for<'a>(sweep: &'a Value, id: &str) -> Vec<&'a Value> {
    sweep["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .filter(|a| a["case"] == id)
        .collect()
}

#[test]
fn sponsor_trigger_engages_the_accounts_sponsor() {
    let env = env_with(TRIGGERS);
    let id = open(
        &env,
        "Dashboards down for ACME",
        &[
            "--account",
            "acme",
            "--label",
            "at-risk",
            "--reporter",
            "it@acme.example",
        ],
    );
    // The RACI `sponsor` resolves to the account's sponsor (a role: its on-duty member).
    let row = raci_row(&show(&env, &id), "resolve");
    assert_eq!(strings(&row["i"]), ["it@acme.example", SPONSOR]);

    let s = sweep(&env, &at(1));
    let acts = actions_for(&s, &id);
    assert_eq!(acts.len(), 1, "{s}");
    assert_eq!(acts[0]["action"], "trigger");
    assert_eq!(acts[0]["trigger"], "engage-sponsor");

    let engaged = events_named(&env, &id, "sponsor_engaged");
    assert_eq!(engaged.len(), 1);
    assert_eq!(strings(&engaged[0]["sponsor"]), [SPONSOR]);
    assert_eq!(engaged[0]["trigger"], "engage-sponsor");
    let notified = recipients_of(&env, &id, "trigger");
    assert!(
        notified.iter().any(|r| r.iter().any(|p| p == SPONSOR)),
        "the sponsor is notified: {notified:?}"
    );
    assert_has(
        &text_at(&env, &at(2), &["show", &id]),
        &[&format!("Executive sponsor engaged: {SPONSOR}")],
    );
    // Idempotent: a second sweep engages nobody again.
    let again = sweep(&env, &at(1));
    assert!(actions_for(&again, &id).is_empty(), "{again}");
    assert_eq!(events_named(&env, &id, "sponsor_engaged").len(), 1);
}

#[test]
fn sponsor_trigger_without_a_sponsor_engages_nobody() {
    let env = env_with(TRIGGERS);
    // umbrella is not in [accounts]: no sponsor; the trigger's account_key does not hold.
    let id = open(
        &env,
        "Ordinary",
        &["--account", "umbrella", "--label", "at-risk"],
    );
    sweep(&env, &at(1));
    assert!(events_named(&env, &id, "sponsor_engaged").is_empty());
    let row = raci_row(&show(&env, &id), "resolve");
    assert!(
        !strings(&row["i"])
            .iter()
            .any(|p| p == SPONSOR || p == "cfo"),
        "{row}"
    );
}

#[test]
fn sponsor_trigger_with_a_person_sponsor() {
    let env = env_with(TRIGGERS);
    let id = open(
        &env,
        "Initech outage",
        &["--account", "initech", "--label", "at-risk"],
    );
    sweep(&env, &at(1));
    let engaged = events_named(&env, &id, "sponsor_engaged");
    assert_eq!(strings(&engaged[0]["sponsor"]), ["cfo"]);
    let row = raci_row(&show(&env, &id), "resolve");
    assert!(strings(&row["i"]).iter().any(|p| p == "cfo"), "{row}");
}

#[test]
fn sponsor_proposal_approved_engages_and_notifies_the_sponsor() {
    let env = env_with(TRIGGERS);
    let id = open(
        &env,
        "Renewal at risk",
        &["--account", "acme", "--label", "relationship"],
    );
    let s = sweep(&env, &at(1));
    let acts = actions_for(&s, &id);
    assert_eq!(acts.len(), 1, "{s}");
    assert_eq!(acts[0]["action"], "proposed");
    assert!(
        events_named(&env, &id, "sponsor_engaged").is_empty(),
        "not before approval"
    );

    ok_at(
        &env,
        &at(5),
        &["--actor", "anouk", "approve", &id, "propose-sponsor"],
    );
    let engaged = events_named(&env, &id, "sponsor_engaged");
    assert_eq!(engaged.len(), 1);
    assert_eq!(strings(&engaged[0]["sponsor"]), [SPONSOR]);
    // Engaging the sponsor notifies them, whether a trigger fired or a person approved it.
    let all: Vec<String> = notifications(&env, &id)
        .iter()
        .flat_map(|n| strings(&n["recipients"]))
        .collect();
    assert!(
        all.iter().any(|p| p == SPONSOR),
        "the sponsor engaged by an approval is notified: {all:?}"
    );
}

#[test]
fn swarm_trigger_starts_a_swarm() {
    let env = env_with(TRIGGERS);
    let id = open(&env, "Everything slow", &["--label", "all-hands"]);
    let s = sweep(&env, &at(1));
    let acts = actions_for(&s, &id);
    assert_eq!(acts.len(), 1, "{s}");
    assert_eq!(acts[0]["trigger"], "all-hands");
    let v = show_at(&env, &at(2), &id);
    assert_eq!(v["swarm"]["active"], true);
    assert_eq!(v["swarm"]["facilitator"], LEAD);
    assert_eq!(strings(&v["swarm"]["members"]), [ENGINEER]);
    let started = events_named(&env, &id, "swarm_started");
    assert_eq!(started[0]["trigger"], "all-hands");
    let notified = recipients_of(&env, &id, "trigger");
    assert!(
        notified
            .iter()
            .any(|r| r.iter().any(|p| p == LEAD) && r.iter().any(|p| p == ENGINEER)),
        "{notified:?}"
    );
    // A swarm already running is not started twice.
    sweep(&env, &at(3));
    assert_eq!(events_named(&env, &id, "swarm_started").len(), 1);
}

#[test]
fn major_trigger_with_confirm_proposes_then_approve_declares() {
    let env = env_with(TRIGGERS);
    let id = open(
        &env,
        "Payments down",
        &["--severity", "sev1", "--label", "big-one"],
    );
    let s = sweep(&env, &at(1));
    let acts = actions_for(&s, &id);
    assert_eq!(acts.len(), 1, "{s}");
    assert_eq!(acts[0]["action"], "proposed");
    assert_eq!(acts[0]["trigger"], "go-major");
    assert_eq!(show_at(&env, &at(2), &id)["major"], Value::Null);
    assert_eq!(events_named(&env, &id, "proposed").len(), 1);

    let v = ok_at(
        &env,
        &at(5),
        &["--actor", "anouk", "approve", &id, "go-major"],
    );
    assert_eq!(v["id"], id.as_str());
    let v = show_at(&env, &at(6), &id);
    // The commander is the major step's Accountable (manager → gus); `comms` is also a
    // policy role (→ pia); `scribe` is not, so it goes to the commander.
    assert_eq!(v["major"]["active"], true, "{}", v["major"]);
    assert_eq!(v["major"]["commander"], "gus");
    assert_eq!(v["major"]["roles"]["commander"], "gus");
    assert_eq!(v["major"]["roles"]["comms"], "pia");
    assert_eq!(v["major"]["roles"]["scribe"], "gus");
    let declared = events_named(&env, &id, "major_declared");
    assert_eq!(declared.len(), 1);
    assert_eq!(declared[0]["trigger"], "go-major");
    // Approving again is refused: the proposal was decided.
    refused_at(
        &env,
        &at(7),
        &["--actor", "anouk", "approve", &id, "go-major"],
        &["go-major"],
    );
}

#[test]
fn major_trigger_without_confirm_declares_at_once() {
    let env = env_with(TRIGGERS);
    let id = open(
        &env,
        "Payments down",
        &["--severity", "sev1", "--label", "huge-one"],
    );
    let s = sweep(&env, &at(1));
    let acts = actions_for(&s, &id);
    assert_eq!(acts.len(), 1, "{s}");
    assert_eq!(acts[0]["action"], "trigger");
    let v = show_at(&env, &at(2), &id);
    assert_eq!(v["major"]["commander"], "gus");
    let notified = recipients_of(&env, &id, "trigger");
    assert!(
        notified
            .iter()
            .any(|r| r.iter().any(|p| p == "gus") && r.iter().any(|p| p == "pia")),
        "the incident roles are notified: {notified:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Executive briefing
// ---------------------------------------------------------------------------------------

#[test]
fn briefing_has_every_section() {
    let env = env();
    let id = open(
        &env,
        "Exports corrupt",
        &[
            "--account",
            "acme",
            "--reporter",
            "it@acme.example",
            "--description",
            "Every CSV export since Friday has broken encoding",
        ],
    );
    ok_at(&env, &at(5), &["ack", &id]);
    ok_at(
        &env,
        &at(20),
        &[
            "escalate",
            &id,
            "--reason",
            "needs a data repair script",
            "--tried",
            "re-ran the export with UTF-8 forced",
        ],
    );
    ok_at(
        &env,
        &at(25),
        &["note", &id, "Customer shared a sample file"],
    );
    let out = text_at(&env, &at(30), &["brief", &id]);
    assert_has(
        &out,
        &[
            &format!("Executive briefing — {id}: Exports corrupt"),
            "ACME Corp (key account)",
            &format!("Executive sponsor:** {SPONSOR} (not yet engaged)"),
            "## Summary",
            "## Customer and impact",
            "Every CSV export since Friday has broken encoding",
            "## Escalations",
            "technical L1 → L2 — needs a data repair script",
            "## SLA",
            "- response: met",
            "- resolution: pending",
            "## What has been tried",
            "- re-ran the export with UTF-8 forced",
            "- Customer shared a sample file",
            "## Decisions needed",
            // L2 is the top of the technical path.
            "- the case is at the last tier: decide on a swarm or a major incident",
        ],
    );
    // Sections come in order.
    let pos = |s: &str| out.find(s).unwrap_or_else(|| panic!("{s} in {out}"));
    assert!(pos("## Summary") < pos("## Customer and impact"));
    assert!(pos("## Customer and impact") < pos("## Escalations"));
    assert!(pos("## Escalations") < pos("## SLA"));
    assert!(pos("## SLA") < pos("## What has been tried"));
    assert!(pos("## What has been tried") < pos("## Decisions needed"));
    // Times are in the display time zone.
    assert_has(&out, &["EST"]);

    // --json: the context plus the text.
    let v = ok_at(&env, &at(30), &["brief", &id]);
    assert_eq!(v["id"], id.as_str());
    assert_eq!(v["account"]["name"], "ACME Corp");
    assert_eq!(v["escalations"][0]["reason"], "needs a data repair script");
    assert_eq!(v["escalations"][0]["to"], "L2");
    assert!(v["text"].as_str().unwrap().contains("## Decisions needed"));
}

#[test]
fn briefing_lists_decisions_needed() {
    let env = env_with(TRIGGERS);
    let id = open(
        &env,
        "Renewal at risk",
        &[
            "--account",
            "acme",
            "--label",
            "relationship",
            "--severity",
            "sev1",
        ],
    );
    sweep(&env, &at(1));
    // The response target (15m) passes without an acknowledgement.
    let out = text_at(&env, &at(20), &["brief", &id]);
    assert_has(
        &out,
        &[
            "## Decisions needed",
            &format!("esc approve {id} propose-sponsor"),
            "an SLA target is breached",
        ],
    );
    assert_lacks(&out, &["none at this time"]);
}

#[test]
fn briefing_a_case_without_an_account_is_refused() {
    let env = env();
    let id = open(&env, "Internal tooling", &[]);
    refused(&env, &["brief", &id], &[&id, "no account", "--account"]);
    let out = env.esc(&["--json", "brief", &id]).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    // A case that does not exist.
    refused(&env, &["brief", "ESC-99"], &["ESC-99"]);
}

#[test]
fn briefing_for_an_unlisted_account_uses_its_name() {
    let env = env();
    let id = open(&env, "Slow search", &["--account", "umbrella-co"]);
    let out = text(&env, &["brief", &id]);
    assert_has(
        &out,
        &[
            "umbrella-co",
            "## Escalations\n- none so far",
            "## What has been tried\n- nothing recorded yet",
            "## Decisions needed\n- none at this time",
        ],
    );
    assert_lacks(&out, &["key account", "Executive sponsor"]);
}

// ---------------------------------------------------------------------------------------
// Customer status and customer updates
// ---------------------------------------------------------------------------------------

/// Internal words that must never reach the customer: tier ids and names, people.
fn assert_customer_safe(text: &str) {
    assert_lacks(
        text,
        &[
            "L1",
            "L2",
            "Frontline support",
            "Support engineering",
            AGENT,
            ENGINEER,
            LEAD,
            "gus",
            "tester",
        ],
    );
}

#[test]
fn customer_status_follows_the_case() {
    let env = env();
    let id = open(
        &env,
        "Cannot log in",
        &[
            "--reporter",
            "sam@acme.example",
            "--channel",
            "email",
            "--account",
            "acme",
        ],
    );
    // Open: the response is promised (sev2: 1h → 10:00 UTC = 05:00 EST).
    let open_text = text(&env, &["status", &id, "--customer"]);
    assert_has(
        &open_text,
        &[&id, "Cannot log in", "respond", "2026-11-23 05:00 EST"],
    );
    assert_lacks(&open_text, &["UTC", "10:00"]);
    assert_customer_safe(&open_text);

    // Acknowledged and escalated: the resolution is promised (8h → 17:00 UTC = 12:00 EST).
    ok_at(&env, &at(10), &["ack", &id]);
    ok_at(
        &env,
        &at(20),
        &[
            "escalate",
            &id,
            "--reason",
            "needs engineering",
            "--tried",
            "reset password",
        ],
    );
    let acked = text_at(&env, &at(30), &["status", &id, "--customer"]);
    assert_has(&acked, &[&id, "resolve", "2026-11-23 12:00 EST"]);
    assert_customer_safe(&acked);
    let v = ok_at(&env, &at(30), &["status", &id, "--customer"]);
    assert_eq!(v["id"], id.as_str());
    assert_eq!(v["status"], "acknowledged");
    assert_eq!(v["by"], "2026-11-23 12:00 EST");
    assert_customer_safe(&v.to_string());

    // Paused: waiting on the customer, no promised time.
    ok_at(
        &env,
        &at(40),
        &["pause", &id, "--reason", "waiting for the SSO log"],
    );
    let paused = text_at(&env, &at(50), &["status", &id, "--customer"]);
    assert_has(&paused, &[&id, "waiting"]);
    assert_lacks(&paused, &["EST"]);
    assert_customer_safe(&paused);

    // Resolved: asked to confirm.
    ok_at(&env, &at(60), &["resume", &id]);
    ok_at(
        &env,
        &at(70),
        &["resolve", &id, "--resolution", "SSO certificate renewed"],
    );
    let resolved = text_at(&env, &at(80), &["status", &id, "--customer"]);
    assert_has(&resolved, &[&id, "confirm", "SSO certificate renewed"]);
    assert_customer_safe(&resolved);

    // The internal status, by contrast, names tiers and the owner.
    let internal = text_at(&env, &at(80), &["status", &id]);
    assert_has(&internal, &[&id, "L2", ENGINEER]);
}

#[test]
fn customer_status_promises_the_next_update() {
    // sev1: response 15m, update every 1h; acknowledged at 09:00 → update by 10:00 UTC.
    let env = env();
    let id = sev1(&env, "Checkout down");
    let out = text(&env, &["status", &id, "--customer"]);
    assert_has(
        &out,
        &[
            "We will send you an update by 2026-11-23 05:00 EST",
            "2026-11-23 08:00 EST",
        ],
    );
    assert_customer_safe(&out);
    // A major incident says so, still without names.
    declare(&env, NOW, &id);
    let major = text(&env, &["status", &id, "--customer"]);
    assert_has(&major, &["major incident"]);
    assert_lacks(&major, &["kara", "pia", "emre"]);
    assert_customer_safe(&major);
}

#[test]
fn customer_update_restarts_the_cadence_and_notifies_the_reporter() {
    let env = env();
    let id = open(
        &env,
        "Cannot log in",
        &["--reporter", "sam@acme.example", "--channel", "email"],
    );
    ok(&env, &["ack", &id]);
    // sev2 updates every 2h: first due 11:00.
    assert_eq!(show(&env, &id)["sla"]["update"]["due"], at(120));
    let v = ok_at(
        &env,
        &at(45),
        &[
            "update",
            &id,
            "We found the cause and are testing a fix",
            "--customer",
        ],
    );
    assert_eq!(
        v["sla"]["update"]["due"],
        at(165),
        "restarted at 09:45 + 2h"
    );

    let updates = events_named(&env, &id, "updated");
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0]["customer"], true);
    let queued = notifications(&env, &id);
    let to_customer: Vec<&Value> = queued
        .iter()
        .filter(|n| n["action"] == "customer_update" && n["audience"] == "customer")
        .collect();
    assert_eq!(to_customer.len(), 1, "{queued:?}");
    assert_eq!(strings(&to_customer[0]["recipients"]), ["sam@acme.example"]);
    let msg = to_customer[0]["message"].as_str().unwrap();
    // The built-in customer_update template.
    assert_has(
        msg,
        &[
            &format!("Update on your case {id} (Cannot log in)"),
            "We found the cause and are testing a fix",
        ],
    );
    assert_eq!(to_customer[0]["state"], "pending");

    // The customer status now promises the next update from the restarted clock.
    let status = text_at(&env, &at(50), &["status", &id, "--customer"]);
    assert_has(&status, &["update by 2026-11-23 06:45 EST"]);
}

#[test]
fn customer_update_without_channel_or_reporter() {
    let env = env();
    let id = open(&env, "Web form case", &["--reporter", "kim@example.com"]);
    ok_at(
        &env,
        &at(5),
        &["update", &id, "Looking into it", "--customer"],
    );
    let actions: Vec<String> = notifications(&env, &id)
        .iter()
        .map(|n| n["action"].as_str().unwrap().to_string())
        .collect();
    assert!(
        actions.iter().any(|a| a == "customer_update"),
        "{actions:?}"
    );

    // No reporter: the update is recorded, nobody to send it to.
    let quiet = open(&env, "Found by monitoring", &[]);
    ok_at(
        &env,
        &at(5),
        &["update", &quiet, "Looking into it", "--customer"],
    );
    assert_eq!(events_named(&env, &quiet, "updated").len(), 1);
    assert!(
        !notifications(&env, &quiet)
            .iter()
            .any(|n| n["action"].as_str().unwrap().starts_with("customer_update")),
    );
    // An empty update is refused; an update on a resolved case too.
    refused_at(
        &env,
        &at(6),
        &["update", &id, "  ", "--customer"],
        &["empty"],
    );
    ok_at(&env, &at(6), &["resolve", &id, "--resolution", "fixed"]);
    refused_at(
        &env,
        &at(7),
        &["update", &id, "Still fine", "--customer"],
        &[&id, "resolved"],
    );
}

// ---------------------------------------------------------------------------------------
// Templates
// ---------------------------------------------------------------------------------------

#[test]
fn customer_status_override_is_rendered() {
    let env = env_with(
        r#"[templates]
customer_status = "Ticket {{ id }} [{{ status }}]: {{ summary }} Next: {{ next }} by {{ by }}."
"#,
    );
    let id = open(&env, "Cannot log in", &[]);
    let out = text(&env, &["status", &id, "--customer"]);
    assert_eq!(
        out,
        format!(
            "Ticket {id} [open]: We have received your request and it is in our queue. Next: a member of our team will respond by 2026-11-23 05:00 EST.\n"
        )
    );
}

#[test]
fn template_with_a_missing_variable_renders_without_error() {
    let env = env_with(
        r#"[templates]
customer_status = "Case {{ id }}{{ no_such_value }} for {{ customer_name }}; {% if nothing %}never{% endif %}{% for x in nothing %}{{ x }}{% endfor %}end"
customer_update = "Dear {{ name }}, {{ text }}"
"#,
    );
    let id = open(&env, "Cannot log in", &["--reporter", "sam@acme.example"]);
    let out = text(&env, &["status", &id, "--customer"]);
    assert_eq!(out, format!("Case {id} for ; end\n"));
    ok_at(&env, &at(5), &["update", &id, "Fixed soon", "--customer"]);
    let msg: Vec<String> = notifications(&env, &id)
        .iter()
        .filter(|n| n["audience"] == "customer" && n["action"] == "customer_update")
        .map(|n| n["message"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(msg, ["Dear , Fixed soon"]);
}

#[test]
fn template_with_a_missing_nested_value_renders_without_error() {
    // "A missing value renders as empty text, never as an error" — also one reached
    // through a missing parent (e.g. a template written for a newer version).
    let env = env_with(
        r#"[templates]
briefing = "Brief {{ id }} for {{ customer.contact.name }}."
"#,
    );
    let id = open(&env, "Cannot log in", &["--account", "acme"]);
    let out = text(&env, &["brief", &id]);
    assert_eq!(out, format!("Brief {id} for .\n"));
}

#[test]
fn briefing_override_is_rendered() {
    let env = env_with(
        r#"[templates]
briefing = """
BRIEF {{ id }} / {{ account.name }} / sponsor {{ sponsor | join(",") }}
{% for e in escalations %}* {{ e.from }}->{{ e.to }}: {{ e.reason }}
{% endfor %}"""
"#,
    );
    let id = open(&env, "Exports corrupt", &["--account", "acme"]);
    ok_at(
        &env,
        &at(5),
        &[
            "escalate",
            &id,
            "--reason",
            "needs engineering",
            "--tried",
            "retry",
        ],
    );
    let out = text_at(&env, &at(6), &["brief", &id]);
    assert_eq!(
        out,
        format!("BRIEF {id} / ACME Corp / sponsor {SPONSOR}\n* L1->L2: needs engineering\n")
    );
}

// ---------------------------------------------------------------------------------------
// The shipped policies: README scenario and `esc policy explain`
// ---------------------------------------------------------------------------------------

#[test]
fn sre_incident_readme_scenario() {
    let env = TestEnv::with_policy_file("policies/sre-incident.toml");
    let id = open(
        &env,
        "Checkout API 5xx in eu-west",
        &[
            "--severity",
            "SEV1",
            "--reporter",
            "status-page",
            "--channel",
            "monitoring",
        ],
    );
    ok(&env, &["ack", &id]);
    let out = text(
        &env,
        &["swarm", &id, "--with", "service_owner", "oncall_secondary"],
    );
    assert_has(
        &out,
        &[
            "swarm started: facilitator luis, members jin, emil",
            "notified",
        ],
    );
    refused(
        &env,
        &["major", &id, "--commander", "kara"],
        &["missing ops_lead, comms, scribe"],
    );
    let out = text(
        &env,
        &[
            "major",
            &id,
            "--commander",
            "kara",
            "--role",
            "ops_lead=ivan",
            "--role",
            "comms=pia",
            "--role",
            "scribe=emil",
        ],
    );
    assert_has(
        &out,
        &[
            "ops_lead: ivan",
            "  - Leads the technical response; the only one who directs changes to production",
            "scribe: emil",
            "  - Hands the timeline to the postmortem owner at stand-down",
        ],
    );
    // The policy overrides situation_update.
    ok_at(
        &env,
        &at(10),
        &[
            "update",
            &id,
            "--status",
            "Rolling back deploy 4711",
            "--impact",
            "30% of EU checkouts fail",
            "--actions",
            "rollback",
            "--next",
            "09:30 UTC",
        ],
    );
    let body = events_named(&env, &id, "updated")[0]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert_has(
        &body,
        &[
            &format!("[{id}] SITUATION UPDATE — Checkout API 5xx in eu-west"),
            "Status:  ROLLING BACK DEPLOY 4711",
            "Next update by 09:30 UTC.",
        ],
    );
    // [major] update_every = "20m" (SEV1's own cadence is 30m).
    assert_eq!(show_at(&env, &at(11), &id)["sla"]["update"]["due"], at(30));
    ok_at(
        &env,
        &at(40),
        &[
            "swarm",
            &id,
            "--end",
            "--lessons",
            "Page the service owner at the first 5xx alert",
        ],
    );
    ok_at(
        &env,
        &at(41),
        &["--actor", "kara", "major", &id, "--stand-down"],
    );
    let v = show_at(&env, &at(42), &id);
    assert_eq!(v["swarm"]["active"], false);
    assert_eq!(v["major"]["active"], false);
}

#[test]
fn explain_shows_role_cards() {
    let env = TestEnv::new();
    let path = common::repo_file("policies/sre-incident.toml");
    let out = text(&env, &["policy", "explain", path.to_str().unwrap()]);
    assert_has(
        &out,
        &[
            "Major-incident roles and cards",
            "commander",
            "ops_lead",
            "comms",
            "scribe",
            "Single point of authority: decides, delegates, does not debug",
            "Leads the technical response; the only one who directs changes to production",
            "Posts a situation update to the status page and #incidents every 20 minutes",
            "Keeps the timeline: what was seen, decided and changed, with times in UTC",
        ],
    );
}

#[test]
fn explain_shows_the_sponsor_mapping() {
    let env = TestEnv::new();
    let path = common::repo_file("policies/customer-support.toml");
    let out = text(&env, &["policy", "explain", path.to_str().unwrap()]);
    assert_has(&out, &["Accounts and executive sponsors"]);
    let line = |needle: &str| {
        out.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle} in:\n{out}"))
            .to_string()
    };
    assert_has(&line("Globex Corporation"), &["globex", "yes", "dana"]);
    assert_has(&line("Initech"), &["initech", "yes", "marcus"]);
    assert_has(&line("Umbrella Health"), &["umbrella", "no"]);
    // The triggers say which one engages the sponsor.
    assert_has(&out, &["engage the account's executive sponsor"]);
}

#[test]
fn explain_of_the_inline_policy_shows_a_role_sponsor_and_missing_cards() {
    let env = env();
    let out = text(&env, &["policy", "explain"]);
    assert_has(&out, &["ACME Corp", "exec (cfo, coo, ceo)", "(no card)"]);
}

#[test]
fn spec_excerpt_customer_update_with_a_missing_variable() {
    // The SPEC's excerpt overrides customer_update with "Hi {{ name }}": `name` is not in
    // the template's context, so it renders as empty text.
    let env = TestEnv::with_policy_file("tests/fixtures/spec-excerpt.toml");
    let id = open(
        &env,
        "Invoice wrong",
        &[
            "--reporter",
            "ap@acme.example",
            "--channel",
            "portal",
            "--account",
            "acme",
        ],
    );
    let v = ok_at(
        &env,
        &at(5),
        &["update", &id, "We are checking", "--customer"],
    );
    assert_eq!(
        v["sla"]["update"],
        Value::Null,
        "sev3 has no update cadence"
    );
    let queued: Vec<Value> = notifications(&env, &id)
        .into_iter()
        .filter(|n| n["action"] == "customer_update" && n["audience"] == "customer")
        .collect();
    assert_eq!(queued.len(), 1);
    assert_eq!(
        queued[0]["message"], "Hi",
        "trailing white space is trimmed"
    );
    assert_eq!(strings(&queued[0]["recipients"]), ["ap@acme.example"]);
    // The built-in customer_status still applies; acme's sponsor is a person.
    let status = text_at(&env, &at(6), &["status", &id, "--customer"]);
    assert_has(&status, &[&id, "respond"]);
    assert_lacks(&status, &["L1", "ana"]);
    let brief = text_at(&env, &at(6), &["brief", &id]);
    assert_has(
        &brief,
        &["ACME Corp (key account)", "Executive sponsor:** cfo"],
    );
}
