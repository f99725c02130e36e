//! A newcomer's day (issue 14) through the real binary: `list` filters checked against the
//! policy, several values, `unresolved`, `--mine`, `--grep`, `--format csv`, `--now`, and
//! breached cases first; `esc edit` and its SLA semantics; cases the policy no longer
//! describes; time arguments in every accepted form; help for every argument; consistent
//! exit codes and the errors a first day runs into.
//!
//! Policy: `tests/fixtures/spec-excerpt.toml` (times in Europe/London = UTC in November;
//! sev1 on a 24x7 calendar: response 15m, resolution 4h; sev3 on office hours: response 4h).

mod common;

use common::{NOW, TestEnv, ok_at};
use serde_json::Value;

const POLICY: &str = "tests/fixtures/spec-excerpt.toml";

fn at(minutes: u32) -> String {
    format!("2026-11-23T{:02}:{:02}:00Z", 9 + minutes / 60, minutes % 60)
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

/// Run and return (exit code, stdout, stderr).
fn run(env: &TestEnv, now: &str, args: &[&str]) -> (i32, String, String) {
    let out = env.esc(args).env("ESC_NOW", now).output().expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Five cases: ESC-1 sev3 (ana, acme, label printer), ESC-2 sev1 (breached by 09:30),
/// ESC-3 sev2 acked, ESC-4 resolved, ESC-5 opened at 10:00.
fn five() -> TestEnv {
    let env = TestEnv::with_policy_file(POLICY);
    ok_at(
        &env,
        NOW,
        &[
            "open",
            "Printer jams",
            "--account",
            "acme",
            "--label",
            "printer",
            "--description",
            "paper tray two",
        ],
    );
    ok_at(&env, &at(1), &["open", "Mail down", "--severity", "sev1"]);
    ok_at(
        &env,
        &at(2),
        &[
            "open",
            "Invoice wrong",
            "--severity",
            "sev2",
            "--type",
            "billing",
        ],
    );
    ok_at(&env, &at(3), &["ack", "3"]);
    ok_at(&env, &at(4), &["open", "Old thing"]);
    ok_at(&env, &at(5), &["resolve", "4", "--resolution", "done"]);
    ok_at(
        &env,
        &at(60),
        &["open", "Later case", "--reporter", "Zed Printer"],
    );
    env
}

#[test]
fn list_filters_are_checked_against_the_policy() {
    let env = five();
    let now = at(90);
    for (args, needles) in [
        (
            vec!["list", "--severity", "sev9"],
            vec![
                "--severity `sev9`",
                "did you mean `sev",
                "known: sev1, sev2, sev3",
            ],
        ),
        (
            vec!["list", "--type", "tech"],
            vec!["--type `tech`", "did you mean `technical`"],
        ),
        (vec!["list", "--tier", "L3"], vec!["--tier `L3`", "known:"]),
        (
            vec!["list", "--owner", "bob"],
            vec!["--owner `bob`", "a person"],
        ),
        (
            vec!["list", "--account", "acne"],
            vec!["did you mean `acme`"],
        ),
        (
            vec!["list", "--status", "opne"],
            vec!["did you mean `open`", "unresolved"],
        ),
    ] {
        let (code, out, err) = run(&env, &now, &args);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        for n in needles {
            assert!(err.contains(n), "{args:?}: `{n}` in {err}");
        }
    }
}

#[test]
fn list_takes_several_values_unresolved_mine_and_grep() {
    let env = five();
    let now = at(90);
    assert_eq!(
        ids(&ok_at(&env, &now, &["list", "--severity", "sev1,sev2"])),
        ["ESC-2", "ESC-3"]
    );
    assert_eq!(
        ids(&ok_at(
            &env,
            &now,
            &["list", "--severity", "sev1", "--severity", "sev2"]
        )),
        ["ESC-2", "ESC-3"]
    );
    let mut unresolved = ids(&ok_at(&env, &now, &["list", "--status", "unresolved"]));
    unresolved.sort();
    assert_eq!(unresolved, ["ESC-1", "ESC-2", "ESC-3", "ESC-5"]);
    assert_eq!(
        ids(&ok_at(
            &env,
            &now,
            &["list", "--status", "resolved,acknowledged"]
        ))
        .len(),
        2
    );
    // --mine: the actor's cases (ana owns the L1 cases).
    let mine = env
        .esc(&["--json", "--actor", "dee", "list", "--mine"])
        .env("ESC_NOW", &now)
        .output()
        .unwrap();
    let mine: Value = serde_json::from_slice(&mine.stdout).unwrap();
    let owners: Vec<&str> = mine
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["owner"].as_str().unwrap())
        .collect();
    assert!(owners.iter().all(|o| *o == "dee"), "{owners:?}");
    let ana = ids(&ok_at(&env, &now, &["--actor", "ana", "list", "--mine"]));
    assert!(ana.contains(&"ESC-1".to_string()), "{ana:?}");
    // --grep: title, description, reporter, account, labels; any case.
    assert_eq!(
        ids(&ok_at(&env, &now, &["list", "--grep", "PRINTER"])),
        ["ESC-1", "ESC-5"]
    );
    assert_eq!(
        ids(&ok_at(&env, &now, &["list", "--grep", "tray two"])),
        ["ESC-1"]
    );
    assert_eq!(
        ids(&ok_at(&env, &now, &["list", "--grep", "nothing like it"])).len(),
        0
    );
}

#[test]
fn list_honours_now_and_puts_breached_cases_first() {
    let env = five();
    // At 09:30 ESC-5 (opened 10:00) does not exist yet.
    let early = ids(&ok_at(&env, &at(30), &["list"]));
    assert!(!early.contains(&"ESC-5".to_string()), "{early:?}");
    // At 12:00 the sev1 case (response 15m from 09:01) is breached and comes first, with
    // how long it is overdue.
    let now = at(180);
    let all = ids(&ok_at(&env, &now, &["list"]));
    assert_eq!(all[0], "ESC-2", "{all:?}");
    let (code, table, _) = run(&env, &now, &["list"]);
    assert_eq!(code, 0);
    let first = table.lines().find(|l| l.contains("ESC-")).expect("a row");
    assert!(
        first.contains("ESC-2") && first.contains("over by"),
        "{table}"
    );
    // Its first missed target is the L1 budget of 10m (09:11); at 12:00 that is 2h49m ago.
    assert!(table.contains("over by 2h49m"), "{table}");
}

#[test]
fn list_as_csv() {
    let env = five();
    let (code, csv, _) = run(&env, &at(90), &["list", "--format", "csv", "--all"]);
    assert_eq!(code, 0);
    let mut r = ::csv::Reader::from_reader(csv.as_bytes());
    let headers = r.headers().unwrap().clone();
    assert!(
        headers.iter().any(|h| h == "overdue_seconds"),
        "{headers:?}"
    );
    let rows: Vec<_> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 5);
    assert_eq!(&rows[0][0], "ESC-2");
}

#[test]
fn list_on_an_empty_ledger_says_how_to_start() {
    let env = TestEnv::with_policy_file(POLICY);
    let (code, out, _) = run(&env, NOW, &["list"]);
    assert_eq!(code, 0);
    assert!(out.contains("esc open"), "{out}");
}

#[test]
fn bad_values_exit_1_and_usage_errors_exit_2() {
    let env = five();
    let (code, _, err) = run(&env, NOW, &["report", "sla", "--by", "colour"]);
    assert_eq!(
        code, 1,
        "a bad --by is bad input, like a bad --status: {err}"
    );
    let (code, _, _) = run(&env, NOW, &["list", "--format", "xml"]);
    assert_eq!(code, 1);
    let (code, _, _) = run(&env, NOW, &["list", "--frobnicate"]);
    assert_eq!(code, 2);
    let (code, _, _) = run(&env, NOW, &["show"]);
    assert_eq!(code, 2);
}

// ---------------------------------------------------------------------------------------
// esc edit

fn event_lines(env: &TestEnv) -> Vec<Value> {
    common::ledger_events(env)
}

#[test]
fn edit_records_the_changes_and_rebases_the_targets() {
    let env = TestEnv::with_policy_file(POLICY);
    // Opened 09:00 as sev3 (office hours: response 4h → 13:00).
    let c = ok_at(
        &env,
        NOW,
        &["open", "Payroll export fails", "--label", "payroll"],
    );
    assert_eq!(c["sla"]["response"]["due"], "2026-11-23T13:00:00Z");
    // Raised to sev1 at 09:10: sev1's 15m counts from the original 09:00 open.
    let e = ok_at(
        &env,
        &at(10),
        &[
            "edit",
            "1",
            "--severity",
            "sev1",
            "--title",
            "Payroll export fails for everyone",
            "--type",
            "incident",
            "--account",
            "acme",
            "--label",
            "urgent",
            "--unlabel",
            "payroll",
        ],
    );
    assert_eq!(e["severity"], "sev1");
    assert_eq!(e["type"], "incident");
    assert_eq!(e["title"], "Payroll export fails for everyone");
    assert_eq!(e["account"], "acme");
    assert_eq!(e["labels"], serde_json::json!(["urgent"]));
    assert_eq!(e["sla"]["response"]["due"], "2026-11-23T09:15:00Z");
    assert_eq!(e["sla"]["resolution"]["due"], "2026-11-23T13:00:00Z");
    let last = event_lines(&env).pop().unwrap();
    assert_eq!(last["event"], "edited");
    assert_eq!(last["previous"]["severity"], "sev3");
    assert_eq!(last["previous"]["title"], "Payroll export fails");
    assert_eq!(last["labels_removed"], serde_json::json!(["payroll"]));
    // At 09:20 it is breached (15m after 09:00), and list puts it first.
    let s = ok_at(&env, &at(20), &["show", "1"]);
    assert_eq!(s["sla"]["response"]["state"], "breached");
    let (_, show, _) = run(&env, &at(20), &["show", "1"]);
    assert!(show.contains("edited: severity sev3 → sev1"), "{show}");
}

#[test]
fn edit_refusals_leave_the_ledger_alone() {
    let env = TestEnv::with_policy_file(POLICY);
    ok_at(&env, NOW, &["open", "x"]);
    let before = env.ledger_bytes().unwrap();
    for (args, needle) in [
        (vec!["edit", "1", "--severity", "sev9"], "did you mean"),
        (vec!["edit", "1", "--type", "nope"], "unknown type"),
        (vec!["edit", "1", "--severity", "sev3"], "nothing to change"),
        (
            vec!["edit", "1", "--unlabel", "absent"],
            "no label `absent`",
        ),
        (vec!["edit", "1", "--title", " "], "title is empty"),
        (vec!["edit", "9", "--title", "y"], "no case ESC-9"),
    ] {
        let (code, out, err) = run(&env, &at(5), &args);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(out.is_empty());
        assert!(err.contains(needle), "{args:?}: `{needle}` in {err}");
    }
    // No change named at all: a usage error.
    let (code, _, _) = run(&env, &at(5), &["edit", "1"]);
    assert_eq!(code, 2);
    assert_eq!(env.ledger_bytes().unwrap(), before);
}

#[test]
fn cases_the_policy_no_longer_describes_are_named() {
    let env = TestEnv::with_policy_file(POLICY);
    ok_at(&env, NOW, &["open", "a", "--severity", "sev1"]);
    ok_at(&env, NOW, &["open", "b", "--severity", "sev1"]);
    ok_at(&env, NOW, &["open", "c", "--type", "billing"]);
    // The policy renames sev1 and drops the billing type.
    let text = std::fs::read_to_string(common::repo_file(POLICY))
        .unwrap()
        .replace("sev1", "critical")
        .replace("\"billing\", ", "");
    env.write("policy.toml", &common::allow_unknown_actors(&text));
    let (code, out, err) = run(&env, &at(5), &["policy", "check", "--cases"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("ESC-1: severity `sev1` is not in the policy"),
        "{out}"
    );
    assert!(
        out.contains("ESC-3: type `billing` is not in the policy"),
        "{out}"
    );
    assert!(
        out.contains("3 cases the policy no longer describes: 2 with an unknown severity, 1 with an unknown type"),
        "{out}"
    );
    let j = ok_at(&env, &at(5), &["ledger", "verify"]);
    assert_eq!(j["undescribed"]["counts"]["severity"], 2);
    assert_eq!(j["undescribed"]["counts"]["type"], 1);
    let (code, out, _) = run(&env, &at(5), &["ledger", "verify"]);
    assert_eq!(code, 0, "the ledger itself is sound");
    assert!(out.contains("no longer describes"), "{out}");
    // Fixed with edit: check passes again.
    ok_at(&env, &at(6), &["edit", "1", "--severity", "critical"]);
    ok_at(&env, &at(6), &["edit", "2", "--severity", "critical"]);
    ok_at(&env, &at(6), &["edit", "3", "--type", "technical"]);
    let (code, out, _) = run(&env, &at(7), &["policy", "check", "--cases"]);
    assert_eq!(code, 0, "{out}");
}

// ---------------------------------------------------------------------------------------
// time arguments

#[test]
fn now_accepts_dates_local_times_and_relative_forms() {
    let env = TestEnv::with_policy_file("policies/it-helpdesk.toml"); // Europe/Berlin
    let opened = |now: &str| {
        let out = env
            .esc(&["--json", "--now", now, "open", "x"])
            .env_remove("ESC_NOW")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{now}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["opened_at"].as_str().unwrap().to_string()
    };
    // (Times in the past: a writer may refuse a `now` far ahead of the real clock.)
    assert_eq!(opened("2026-01-21"), "2026-01-20T23:00:00Z");
    assert_eq!(opened("2026-01-21 09:30"), "2026-01-21T08:30:00Z");
    assert_eq!(opened("2026-06-21 09:30"), "2026-06-21T07:30:00Z");
    assert_eq!(opened("2026-01-21T09:30:00+01:00"), "2026-01-21T08:30:00Z");
    // Relative forms count from the real clock.
    let real = chrono::Utc::now();
    for (form, hours) in [("-1h", -1), ("-2h", -2)] {
        let got = chrono::DateTime::parse_from_rfc3339(&opened(form)).unwrap();
        let off = (got.to_utc() - real).num_minutes() - hours * 60;
        assert!(off.abs() <= 5, "{form}: {got} vs {real}");
    }
    for bad in ["soon", "2026-21-12", "tomorrow 25:00"] {
        let out = env
            .esc(&["--now", bad, "list"])
            .env_remove("ESC_NOW")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        for form in ["RFC 3339", "2026-12-21 09:30", "-2h", "yesterday 17:00"] {
            assert!(err.contains(form), "{bad}: `{form}` in {err}");
        }
    }
}

#[test]
fn report_since_takes_the_same_time_forms() {
    let env = TestEnv::with_policy_file(POLICY);
    ok_at(&env, NOW, &["open", "a"]);
    let r = ok_at(
        &env,
        &at(60),
        &["report", "sla", "--since", "yesterday 17:00"],
    );
    assert_eq!(r["since"], "2026-11-22T17:00:00Z");
    let r = ok_at(&env, &at(60), &["report", "sla", "--since", "-2h"]);
    assert_eq!(r["since"], "2026-11-23T08:00:00Z");
    let r = ok_at(&env, &at(60), &["report", "sla", "--since", "30d"]);
    assert_eq!(r["since"], "2026-10-24T10:00:00Z");
}

#[test]
fn durations_read_the_same_everywhere() {
    // 33 days overdue: days and hours, not 793h27m43s.
    let env = TestEnv::with_policy_file(POLICY);
    ok_at(&env, NOW, &["open", "old", "--severity", "sev1"]);
    let later = "2026-12-26T10:15:00Z";
    let (_, list, _) = run(&env, later, &["list"]);
    assert!(list.contains("over by 33d1h"), "{list}");
    let (_, breaches, _) = run(&env, later, &["report", "breaches"]);
    assert!(breaches.contains("over by 33d1h"), "{breaches}");
    let (_, show, _) = run(&env, later, &["show", "1"]);
    assert!(show.contains("over by 33d1h"), "{show}");
}

// ---------------------------------------------------------------------------------------
// help, errors

#[test]
fn every_argument_has_help_and_globals_have_their_heading() {
    let env = TestEnv::with_policy_file(POLICY);
    for cmd in [
        vec!["open", "--help"],
        vec!["escalate", "--help"],
        vec!["resolve", "--help"],
        vec!["list", "--help"],
        vec!["edit", "--help"],
        vec!["note", "--help"],
    ] {
        let (code, out, _) = run(&env, NOW, &cmd);
        assert_eq!(code, 0);
        assert!(out.contains("Global options:"), "{cmd:?}: {out}");
        // Values from ESC_NOW / ESC_ACTOR are not shown.
        assert!(!out.contains(NOW) && !out.contains("tester"), "{out}");
        for line in out.lines() {
            let t = line.trim_start();
            if t.starts_with("--") || t.starts_with('<') || t.starts_with("-q") {
                let words: Vec<&str> = t.split("  ").filter(|s| !s.trim().is_empty()).collect();
                assert!(words.len() >= 2, "{cmd:?}: no help on `{t}`");
            }
        }
    }
    // With ESC_NOW and ESC_ACTOR set, a usage error does not show them as required.
    let (code, _, err) = run(&env, NOW, &["open"]);
    assert_eq!(code, 2);
    assert!(!err.contains("--now") && !err.contains("--actor"), "{err}");
}

#[test]
fn policy_check_of_a_missing_file_says_it_does_not_exist() {
    let env = TestEnv::with_policy_file(POLICY);
    let (code, out, _) = run(&env, NOW, &["policy", "check", "nope.toml"]);
    assert_eq!(code, 1);
    assert!(out.contains("nope.toml: the file does not exist"), "{out}");
    assert!(
        !out.contains("┌") && !out.contains("│"),
        "no snippet: {out}"
    );
}

#[test]
fn with_no_policy_anywhere_every_place_searched_is_named() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.path("a/b")).unwrap();
    let out = env
        .esc(&["list"])
        .env_remove("ESC_POLICY")
        .env_remove("ESC_LEDGER")
        .current_dir(env.path("a/b"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    for place in ["a/b/.esc/policy.toml", "a/.esc/policy.toml", "xdg-config"] {
        assert!(err.contains(place), "`{place}` in {err}");
    }
    assert!(err.contains("esc init"), "{err}");
}

#[test]
fn sweep_prints_one_summary_line_and_show_numbers_its_timeline() {
    let env = TestEnv::with_policy_file(POLICY);
    let (code, out, _) = run(&env, NOW, &["sweep"]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.starts_with("nothing to do; notifications:"), "{out}");
    ok_at(&env, NOW, &["open", "a"]);
    ok_at(&env, NOW, &["open", "b"]);
    ok_at(&env, &at(1), &["note", "2", "first note"]);
    let (_, show, _) = run(&env, &at(2), &["show", "2"]);
    let numbers: Vec<&str> = show
        .lines()
        .skip_while(|l| !l.starts_with("Timeline"))
        .filter_map(|l| l.strip_prefix("│ "))
        .map(|l| l.split_whitespace().next().unwrap_or(""))
        .filter(|n| !n.is_empty() && *n != "#")
        .collect();
    // Opened, its notification, the note: numbered 1..n, not by ledger seq (4, 5, 6 here).
    assert_eq!(numbers, ["1", "2", "3"], "{show}");
}

#[test]
fn completions_offer_policy_values_and_case_ids() {
    let env = TestEnv::with_policy_file(POLICY);
    ok_at(&env, NOW, &["open", "Printer jams"]);
    let complete = |words: &[&str]| {
        let mut args = vec!["--", "esc"];
        args.extend_from_slice(words);
        let out = env.esc(&args).env("COMPLETE", "fish").output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let sev = complete(&["list", "--severity", ""]);
    assert_eq!(sev.lines().collect::<Vec<_>>(), ["sev1", "sev2", "sev3"]);
    let types = complete(&["open", "x", "--type", ""]);
    assert!(types.lines().any(|l| l == "billing"), "{types}");
    let owners = complete(&["assign", "1", "--to", ""]);
    assert!(owners.lines().any(|l| l == "dee"), "{owners}");
    let tiers = complete(&["list", "--tier", ""]);
    assert!(tiers.lines().any(|l| l == "L2"), "{tiers}");
    let statuses = complete(&["list", "--status", ""]);
    assert!(statuses.lines().any(|l| l == "unresolved"), "{statuses}");
    let ids = complete(&["show", ""]);
    assert!(ids.lines().any(|l| l == "ESC-1\tPrinter jams"), "{ids}");
}
