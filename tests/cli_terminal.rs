//! Human output on a terminal, through the real binary: tables fit `COLUMNS` (80 here) with
//! no line wider and no word, number or date split; colour never changes the layout; a
//! piped command without `COLUMNS` keeps the wide layout; hostile case text (escape
//! sequences, carriage returns, newlines, bidi overrides) never reaches the terminal raw
//! from any command while `--json` stays exact; CSV cells cannot start a formula.

mod common;

use common::{TestEnv, ok_at};
use std::collections::BTreeSet;

/// A Monday in the it-helpdesk policy's zone (Europe/Berlin), 09:00 local.
const T0: &str = "2026-11-23T08:00:00Z";

fn at(minutes: i64) -> String {
    let t0 = chrono::DateTime::parse_from_rfc3339(T0).unwrap();
    (t0 + chrono::TimeDelta::minutes(minutes))
        .to_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A small helpdesk day: cases in every state, an escalation, a resolution with a review.
fn helpdesk() -> TestEnv {
    let env = TestEnv::with_policy_file("policies/it-helpdesk.toml");
    ok_at(
        &env,
        &at(0),
        &[
            "open",
            "Printer on floor 3 jams on every job since the firmware update",
            "--severity",
            "sev2",
            "--label",
            "hardware",
        ],
    );
    ok_at(
        &env,
        &at(5),
        &[
            "open",
            "VPN down for the whole Berlin office",
            "--severity",
            "sev1",
            "--account",
            "berlin-office",
        ],
    );
    ok_at(
        &env,
        &at(10),
        &["open", "New starter needs ERP access", "--type", "access"],
    );
    ok_at(&env, &at(12), &["ack", "1"]);
    ok_at(
        &env,
        &at(20),
        &[
            "escalate",
            "2",
            "--reason",
            "needs network specialists",
            "--summary",
            "tunnel endpoints unreachable",
            "--tried",
            "restarted the concentrator",
        ],
    );
    ok_at(&env, &at(30), &["ack", "3"]);
    ok_at(
        &env,
        &at(90),
        &["resolve", "3", "--resolution", "access granted in ERP"],
    );
    ok_at(
        &env,
        &at(120),
        &["note", "1", "vendor engineer booked for tomorrow morning"],
    );
    env
}

/// Run `esc ARGS` at `now` with `COLUMNS` set (or not) and colour as asked; stdout.
fn human(env: &TestEnv, now: &str, columns: Option<&str>, color: &str, args: &[&str]) -> String {
    let mut full = vec!["--color", color];
    full.extend_from_slice(args);
    let mut cmd = env.esc(&full);
    cmd.env("ESC_NOW", now);
    if let Some(c) = columns {
        cmd.env("COLUMNS", c);
    }
    common::success_stdout(&mut cmd, args)
}

/// Remove colour sequences (for measuring a coloured line).
fn plain(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn is_rule(token: &str) -> bool {
    token
        .chars()
        .all(|c| ('\u{2500}'..='\u{257f}').contains(&c))
}

/// The words of a rendering: split at blanks and table borders, without trailing `:`,
/// leaving out rules and words cut with `…`.
fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| c.is_whitespace() || c == '│' || c == '┆')
        .map(|w| w.trim_end_matches(':').trim_end_matches(','))
        .filter(|w| !w.is_empty() && !is_rule(w) && !w.ends_with('…'))
        .map(String::from)
        .collect()
}

const COMMANDS: &[&[&str]] = &[
    &["list"],
    &["list", "--all"],
    &["show", "1"],
    &["show", "2"],
    &["show", "3"],
    &["report", "breaches"],
    &["report", "sla"],
    &["report", "sla", "--by", "type"],
    &["report", "trends"],
    &["report", "reviews"],
    &["report", "triggers"],
    &["report", "escalations"],
    &["policy", "explain"],
    &["review", "--pending"],
    &["notifications"],
    &["status", "2"],
    &["brief", "2"],
];

#[test]
fn every_table_fits_80_columns_without_splitting_a_word() {
    let env = helpdesk();
    let now = at(300);
    for args in COMMANDS {
        let wide = human(&env, &now, None, "never", args);
        let narrow = human(&env, &now, Some("80"), "never", args);
        for line in narrow.lines() {
            assert!(
                line.chars().count() <= 80,
                "esc {args:?}: a line of {} columns:\n{line}\n\n{narrow}",
                line.chars().count()
            );
        }
        if args[0] == "list" {
            assert!(narrow.starts_with('┌'), "list stays a table:\n{narrow}");
        }
        let known = words(&wide);
        for w in words(&narrow) {
            assert!(
                known.contains(&w),
                "esc {args:?}: `{w}` is not a word of the wide layout (a split?):\n{narrow}"
            );
        }
    }
}

#[test]
fn colour_never_changes_the_layout() {
    let env = helpdesk();
    let now = at(300);
    for args in [&["list"][..], &["show", "2"], &["report", "breaches"]] {
        for columns in [Some("80"), Some("120"), None] {
            let never = human(&env, &now, columns, "never", args);
            let always = human(&env, &now, columns, "always", args);
            assert!(
                always.contains('\u{1b}') || !never.contains("breached"),
                "esc {args:?}: --color always colours states"
            );
            assert_eq!(plain(&always), never, "esc {args:?} at {columns:?}");
        }
    }
}

#[test]
fn piped_output_keeps_the_wide_layout_unless_columns_is_set() {
    let env = helpdesk();
    let now = at(300);
    let wide = human(&env, &now, None, "never", &["list"]);
    let widest = wide.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(
        widest > 100,
        "piped: one line per case, titles whole:\n{wide}"
    );
    assert!(wide.contains("Printer on floor 3 jams on every job since the firmware update"));
    let narrow = human(&env, &now, Some("100"), "never", &["list"]);
    assert!(narrow.lines().all(|l| l.chars().count() <= 100), "{narrow}");
    // A title cut to fit ends with `…`.
    assert!(narrow.contains('…'), "{narrow}");
}

/// Titles, reporters, accounts and labels that try to drive the terminal.
const HOSTILE: &str = "Fake \u{1b}[2J\u{1b}]8;;http://evil\u{7}link\u{1b}]8;;\u{7}\rESC-999 resolved\u{202e}txt.exe\u{9b}";

#[test]
fn hostile_text_never_reaches_the_terminal_raw() {
    let env = TestEnv::with_policy_file("policies/it-helpdesk.toml");
    let title = format!("{HOSTILE}\nESC-999 resolved");
    ok_at(
        &env,
        &at(0),
        &[
            "open",
            &title,
            "--severity",
            "sev1",
            "--reporter",
            HOSTILE,
            "--account",
            HOSTILE,
            "--label",
            HOSTILE,
            "--description",
            HOSTILE,
        ],
    );
    ok_at(&env, &at(1), &["note", "1", HOSTILE]);
    let now = at(600);
    let mut commands: Vec<Vec<&str>> = COMMANDS
        .iter()
        .filter(|a| !a.contains(&"2") && !a.contains(&"3"))
        .map(|a| a.to_vec())
        .collect();
    commands.extend([
        vec!["list", "--grep", "fake"],
        vec!["show", "1"],
        vec!["status", "1"],
        vec!["status", "1", "--customer"],
        vec!["brief", "1"],
        vec!["sweep", "--dry-run"],
        vec!["sweep"],
        vec!["report", "sla", "--by", "account"],
        vec!["report", "sla", "--format", "md"],
    ]);
    for args in &commands {
        for color in ["never", "always"] {
            for columns in [None, Some("80")] {
                let text = human(&env, &now, columns, color, args);
                let raw = if color == "always" {
                    plain(&text)
                } else {
                    text.clone()
                };
                for bad in ['\u{1b}', '\u{7}', '\r', '\u{202e}', '\u{9b}'] {
                    assert!(
                        !raw.contains(bad),
                        "esc {args:?} --color {color} printed {bad:?} raw:\n{text}"
                    );
                }
                assert!(
                    !raw.lines().any(|l| l.trim_start().starts_with("ESC-999")),
                    "esc {args:?}: a line that starts like another case:\n{text}"
                );
            }
        }
    }
    // The visible form of the escape.
    let show = human(&env, &now, None, "never", &["show", "1"]);
    assert!(show.contains("\\u{1b}[2J"), "{show}");
    // JSON stays exact.
    let json = ok_at(&env, &now, &["show", "1"]);
    assert_eq!(json["title"], serde_json::Value::from(title.as_str()));
    assert_eq!(json["reporter"], serde_json::Value::from(HOSTILE));
}

#[test]
fn csv_cells_cannot_start_a_formula() {
    let env = TestEnv::with_policy_file("policies/it-helpdesk.toml");
    ok_at(
        &env,
        &at(0),
        &[
            "open",
            "=HYPERLINK(\"http://evil\",\"click\")",
            "--account",
            "@SUM(A1)",
            "--label",
            "+1",
        ],
    );
    let out = env
        .esc(&["list", "--format", "csv"])
        .env("ESC_NOW", at(10))
        .output()
        .unwrap();
    assert!(out.status.success());
    let csv = String::from_utf8(out.stdout).unwrap();
    let mut r = ::csv::Reader::from_reader(csv.as_bytes());
    let row = r.records().next().unwrap().unwrap();
    let headers = r.headers().unwrap().clone();
    let get = |name: &str| {
        let i = headers.iter().position(|h| h == name).unwrap();
        row.get(i).unwrap().to_string()
    };
    assert_eq!(get("title"), "'=HYPERLINK(\"http://evil\",\"click\")");
    assert_eq!(get("account"), "'@SUM(A1)");
    assert_eq!(get("labels"), "'+1");
    // Reports' CSV too.
    let out = env
        .esc(&["report", "sla", "--by", "account", "--format", "csv"])
        .env("ESC_NOW", at(10))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("'@SUM(A1)"), "{text}");
    assert!(!text.contains(",@SUM"), "{text}");
}
