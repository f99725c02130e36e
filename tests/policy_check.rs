//! `esc policy check` catches every rule of the policy format (SPEC §3) at the exact place.
//!
//! Every fixture in `tests/fixtures/broken/` is `tests/fixtures/minimal.toml` with one
//! mistake (its first line says which). Lines and columns below were worked out by hand from
//! the fixtures: 1-based, columns in characters.

mod common;

use common::{TestEnv, repo_file};
use serde_json::Value;

/// One broken fixture: where its error must be reported and what the message must say.
struct Case {
    fixture: &'static str,
    line: u64,
    column: u64,
    phrase: &'static str,
    /// How many problems the file has in all (a mistake may have a knock-on effect).
    count: usize,
}

const fn case(
    fixture: &'static str,
    line: u64,
    column: u64,
    phrase: &'static str,
    count: usize,
) -> Case {
    Case {
        fixture,
        line,
        column,
        phrase,
        count,
    }
}

#[rustfmt::skip]
const CASES: &[Case] = &[
    // Unknown keys, with a suggestion.
    case("unknown-key-top", 3, 1, "unknown key `nmae` at the top level; did you mean `name`?", 1),
    case("unknown-key-table", 25, 1, "unknown key `warnat` in `severities.sev1`; did you mean `warn_at`?", 1),
    // Version.
    case("version-2", 2, 11, "policy version 2 is not supported", 1),
    case("version-missing", 1, 1, "the policy is missing `version`", 1),
    // Durations.
    case("duration-bad", 23, 12, "`soon` is not a duration", 1),
    case("duration-zero", 24, 14, "`0h` must be longer than zero", 1),
    case("day-unit-business-hours", 30, 14, "uses a day unit on a business-hours calendar (severity `sev2`)", 1),
    // Calendars.
    case("range-reversed", 14, 17, "\"17:00-09:00\" ends before it starts", 1),
    case("range-no-minutes", 14, 17, "\"9\" is not a time of day", 1),
    case("range-overlap", 14, 38, "overlap", 1),
    case("weekday-bad", 14, 11, "`monday` is not a weekday; did you mean `mon`?", 1),
    case("timezone-unknown", 13, 12, "unknown time zone `Europe/Londn`; did you mean `Europe/London`?", 1),
    case("holiday-impossible", 15, 13, "`2026-02-30` is not a real date", 1),
    case("calendar-never-open", 14, 9, "opens on no day", 1),
    // Severities.
    case("warn-at-above-one", 25, 11, "`severities.sev1.warn_at` is 1.5: it must lie between 0 and 1", 1),
    case("warn-at-zero", 25, 11, "`severities.sev1.warn_at` is 0: it must lie between 0 and 1", 1),
    // RACI.
    case("raci-accountable-list", 50, 29, "one Accountable per step", 1),
    case("raci-step-unknown", 50, 1, "`escalation` is not a RACI step; did you mean `escalate`?", 1),
    // References that do not exist.
    case("ref-tier-role", 40, 8, "unknown role `agnet`; did you mean `agent`?", 1),
    case("ref-raci-party", 50, 15, "`nobody` is neither a role nor a person", 1),
    case("ref-severity-calendar", 28, 12, "unknown calendar `ofice`; did you mean `office`?", 1),
    case("ref-severity-budget", 41, 47, "unknown severity `sev3`", 1),
    case("ref-severity-trigger", 57, 22, "unknown severity `sev9`", 1),
    case("ref-severity-review", 53, 17, "unknown severity `sev9`", 1),
    case("ref-tier-trigger-to", 63, 15, "unknown tier `L9`", 1),
    case("ref-tier-trigger-when", 57, 39, "unknown tier `L9`", 1),
    case("ref-path-defaults", 9, 8, "unknown path `managment`; did you mean `management`?", 1),
    case("ref-path-trigger", 58, 21, "unknown path `managment`; did you mean `management`?", 1),
    case("ref-type-raci", 52, 7, "unknown escalation type `tecnical`; did you mean `technical`?", 1),
    case("ref-type-defaults", 8, 8, "unknown escalation type `tecnical`; did you mean `technical`?", 1),
    // Duplicates and empties. The second tier taking L1's id leaves the trigger's `to = "L2"`
    // dangling, and an empty path leaves the trigger's `escalate = "management"` dangling.
    case("tier-id-duplicate", 44, 6, "tier id `L1` is used twice", 2),
    case("trigger-name-duplicate", 61, 8, "trigger name `sev1-stuck` is used twice", 1),
    case("path-empty", 45, 8, "an empty path name", 2),
    case("budget-missing", 41, 18, "tier `L1` has no budget for severity `sev2`", 1),
    case("defaults-severity", 7, 12, "unknown severity `sev9`", 1),
    // Triggers.
    case("trigger-condition-unknown", 57, 46, "unknown trigger condition `in_tier` in `triggers.when`; did you mean `in_tier_for`?", 1),
    case("trigger-action-unknown", 58, 35, "unknown trigger action `page` in `triggers.then`", 1),
    // Notify and templates.
    case("notify-empty", 66, 11, "the notify command is empty", 1),
    case("notify-string", 66, 11, "`notify.command` is a string: write an argv list", 1),
    // minijinja reports the end of input at the last token, `name`.
    case("template-bad", 69, 26, "template `customer_update` does not compile: syntax error: unexpected end of input", 1),
    // TOML itself: the unclosed header loses `[roles.agent]`, so the two uses of `agent`
    // are reported too.
    case("toml-syntax", 32, 13, "TOML syntax: unclosed table, expected `]`", 3),
];

fn broken(name: &str) -> String {
    repo_file(&format!("tests/fixtures/broken/{name}.toml"))
        .display()
        .to_string()
}

/// `esc policy check FILES… --format json`: exit code and parsed stdout.
fn check_json(env: &TestEnv, files: &[&str]) -> (i32, Value) {
    let mut args = vec!["policy", "check"];
    args.extend_from_slice(files);
    args.extend_from_slice(&["--format", "json"]);
    let out = env.esc(&args).output().expect("run esc");
    let code = out.status.code().expect("exit code");
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout of {args:?} is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, json)
}

fn errors(file: &Value) -> &Vec<Value> {
    file["errors"].as_array().expect("errors array")
}

#[test]
fn every_fixture_in_broken_is_in_the_table() {
    let dir = repo_file("tests/fixtures/broken");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("broken/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .filter(|n| n != "several")
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = CASES.iter().map(|c| c.fixture.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}

#[test]
fn the_valid_policies_pass() {
    let env = TestEnv::new();
    for rel in [
        "tests/fixtures/minimal.toml",
        "tests/fixtures/spec-excerpt.toml",
    ] {
        let path = repo_file(rel).display().to_string();
        let (code, json) = check_json(&env, &[&path]);
        assert_eq!(code, 0, "{rel}: {json:#}");
        assert_eq!(json["files"][0]["ok"], true, "{rel}");
        assert!(errors(&json["files"][0]).is_empty(), "{rel}: {json:#}");
    }
}

#[test]
fn each_broken_fixture_reports_its_error_at_the_exact_place() {
    let env = TestEnv::new();
    let mut failures = Vec::new();
    for c in CASES {
        let path = broken(c.fixture);
        let (code, json) = check_json(&env, &[&path]);
        let file = &json["files"][0];
        let errs = errors(file);
        let found = errs.iter().any(|e| {
            e["line"] == c.line
                && e["column"] == c.column
                && e["message"].as_str().unwrap_or("").contains(c.phrase)
        });
        if code != 1 || file["ok"] != false || !found || errs.len() != c.count {
            failures.push(format!(
                "{}: expected exit 1 and {} error(s) with one at {}:{} containing {:?}; got exit {code}: {:#}",
                c.fixture, c.count, c.line, c.column, c.phrase, file["errors"]
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

#[test]
fn a_day_unit_is_fine_on_a_24x7_calendar() {
    let minimal = std::fs::read_to_string(repo_file("tests/fixtures/minimal.toml")).unwrap();
    // sev1 runs on the "always" (24x7) calendar.
    let text = minimal.replacen("resolution = \"4h\"", "resolution = \"2d\"", 1);
    assert_ne!(text, minimal);
    let env = TestEnv::with_exact_policy(&text);
    let (code, json) = check_json(&env, &["policy.toml"]);
    assert_eq!(code, 0, "{json:#}");
    // The same on the business-hours calendar is refused (see day-unit-business-hours).
    let text = minimal.replacen("resolution = \"16h\"", "resolution = \"2d\"", 1);
    let env = TestEnv::with_exact_policy(&text);
    let (code, json) = check_json(&env, &["policy.toml"]);
    assert_eq!(code, 1, "{json:#}");
    assert_eq!(json["files"][0]["errors"][0]["line"], 30);
}

#[test]
fn several_mistakes_are_reported_at_once() {
    let env = TestEnv::new();
    let (code, json) = check_json(&env, &[&broken("several")]);
    assert_eq!(code, 1);
    let errs = errors(&json["files"][0]);
    let at: Vec<(u64, u64)> = errs
        .iter()
        .map(|e| (e["line"].as_u64().unwrap(), e["column"].as_u64().unwrap()))
        .collect();
    // In source order: version = 2, `warnat`, calendar "ofice".
    assert_eq!(at, vec![(2, 11), (25, 1), (28, 12)], "{json:#}");
    assert!(errs[0]["message"].as_str().unwrap().contains("version 2"));
    assert!(errs[1]["message"].as_str().unwrap().contains("`warnat`"));
    assert!(errs[2]["message"].as_str().unwrap().contains("`ofice`"));
}

#[test]
fn github_format_is_one_workflow_command_per_problem() {
    let several = std::fs::read_to_string(broken("several")).unwrap();
    let env = TestEnv::with_exact_policy(&several);
    let out = env
        .esc(&["policy", "check", "policy.toml", "--format", "github"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(
        lines[0].starts_with("::error file=policy.toml,line=2,col=11::policy version 2"),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with("::error file=policy.toml,line=25,col=1::unknown key `warnat`"),
        "{stdout}"
    );
    assert!(
        lines[2].starts_with("::error file=policy.toml,line=28,col=12::unknown calendar `ofice`"),
        "{stdout}"
    );
    for l in &lines {
        assert!(!l.contains('\r'), "{l:?}");
    }
}

#[test]
fn human_format_shows_file_line_column_and_a_caret() {
    let text = std::fs::read_to_string(broken("ref-tier-role")).unwrap();
    let env = TestEnv::with_exact_policy(&text);
    let out = env
        .esc(&["policy", "check", "policy.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("policy.toml:40:8"), "{stdout}");
    assert!(stdout.contains("unknown role `agnet`"), "{stdout}");
    // The caret line underlines `"agnet"` (7 characters) under its column.
    let caret = stdout
        .lines()
        .find(|l| l.contains('^'))
        .unwrap_or_else(|| panic!("no caret in {stdout}"));
    assert!(caret.contains("^^^^^^^"), "{stdout}");
    let source = stdout
        .lines()
        .find(|l| l.contains("role = \"agnet\""))
        .expect("source line");
    assert_eq!(
        caret.find('^').unwrap() - source.find("role").unwrap(),
        "role = ".len(),
        "{stdout}"
    );
    assert!(stdout.contains("policy.toml: 1 problem"), "{stdout}");
}

#[test]
fn several_files_are_each_reported() {
    let env = TestEnv::new();
    let minimal = repo_file("tests/fixtures/minimal.toml")
        .display()
        .to_string();
    let spec = repo_file("tests/fixtures/spec-excerpt.toml")
        .display()
        .to_string();
    let bad = broken("version-2");

    // All pass: exit 0, one entry per file.
    let (code, json) = check_json(&env, &[&minimal, &spec]);
    assert_eq!(code, 0, "{json:#}");
    let files = json["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["file"], minimal.as_str());
    assert_eq!(files[1]["file"], spec.as_str());
    assert!(files.iter().all(|f| f["ok"] == true));

    // One fails: exit 1, and the good files are still reported as ok.
    let (code, json) = check_json(&env, &[&minimal, &bad, &spec]);
    assert_eq!(code, 1, "{json:#}");
    let files = json["files"].as_array().unwrap();
    assert_eq!(files.len(), 3);
    assert_eq!(files[0]["ok"], true);
    assert_eq!(files[1]["file"], bad.as_str());
    assert_eq!(files[1]["ok"], false);
    assert_eq!(files[1]["errors"][0]["line"], 2);
    assert_eq!(files[2]["ok"], true);

    // Human format: a summary line per file.
    let out = env
        .esc(&["policy", "check", &minimal, &bad])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains(&format!("{minimal}: ok")), "{stdout}");
    assert!(stdout.contains(&format!("{bad}: 1 problem")), "{stdout}");
}

#[test]
fn a_missing_file_is_reported() {
    let env = TestEnv::new();
    let minimal = repo_file("tests/fixtures/minimal.toml")
        .display()
        .to_string();
    let (code, json) = check_json(&env, &[&minimal, "no-such-policy.toml"]);
    assert_eq!(code, 1, "{json:#}");
    let files = json["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["ok"], true);
    assert_eq!(files[1]["file"], "no-such-policy.toml");
    assert_eq!(files[1]["ok"], false);
    let message = files[1]["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("the file does not exist"), "{message}");

    let out = env
        .esc(&["policy", "check", "no-such-policy.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("no-such-policy.toml"), "{stdout}");
    assert!(stdout.contains("the file does not exist"), "{stdout}");
}
