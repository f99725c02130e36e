//! Long output through the real binary: a list and a breaches report of more rows than are
//! drawn at a time (1,024) come out as one table, one CSV and one Markdown table, the same
//! rows in the same order as the JSON.

mod common;

use common::TestEnv;
use serde_json::Value;

/// Cases imported: more than one chunk of rows, each with two or three clocks.
const CASES: usize = 1_500;

/// An env whose ledger holds `CASES` open cases, opened a minute apart before `NOW`, one
/// in seven with a title that needs care (a comma, a quote, an escape sequence).
fn long_env() -> TestEnv {
    let env = TestEnv::with_policy_file("tests/fixtures/spec-excerpt.toml");
    let mut text = String::new();
    for i in 0..CASES {
        let (day, hour, minute) = (10 + i / 600, 8 + (i / 60) % 10, i % 60);
        let severity = ["sev1", "sev2", "sev3"][i % 3];
        let title = if i % 7 == 0 {
            format!("Case {i}, \\\"quoted\\\" \\u001b[31mred")
        } else {
            format!("Case {i} {}", "word ".repeat(i % 5))
        };
        text.push_str(&format!(
            r#"{{"title": "{title}", "severity": "{severity}", "opened_at": "2026-11-{day:02}T{hour:02}:{minute:02}:00Z"}}"#
        ));
        text.push('\n');
    }
    env.write("many.jsonl", &text);
    env.esc(&["--quiet", "import", "many.jsonl"])
        .assert()
        .success();
    env
}

fn stdout(env: &TestEnv, args: &[&str], columns: Option<&str>) -> String {
    let mut cmd = env.esc(args);
    if let Some(c) = columns {
        cmd.env("COLUMNS", c);
    }
    common::success_stdout(&mut cmd, args)
}

/// The first cell of each body row of a drawn table, and checks of its frame: one top
/// border, one header, one bottom border, every line as wide as the top border.
fn first_cells(table: &str) -> Vec<String> {
    let lines: Vec<&str> = table.lines().collect();
    let width = |l: &str| l.chars().count();
    assert!(lines[0].starts_with('┌'), "{}", lines[0]);
    let count = |c: char| lines.iter().filter(|l| l.starts_with(c)).count();
    assert_eq!((count('┌'), count('╞'), count('└')), (1, 1, 1), "one frame");
    let bottom = lines
        .iter()
        .position(|l| l.starts_with('└'))
        .expect("bottom border");
    let body = &lines[..=bottom];
    assert!(
        body.iter().all(|l| width(l) == width(lines[0])),
        "every line of the table as wide as its top"
    );
    let header = lines
        .iter()
        .position(|l| l.starts_with('╞'))
        .expect("header rule");
    body[header + 1..bottom]
        .iter()
        .filter_map(|l| l.split(['│', '┆']).nth(1))
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect()
}

fn json_column(rows: &Value, key: &str) -> Vec<String> {
    rows.as_array()
        .expect("array")
        .iter()
        .map(|r| r[key].as_str().expect("text").to_string())
        .collect()
}

#[test]
fn a_long_list_is_one_table_and_one_csv_in_the_json_s_order() {
    let env = long_env();
    let ids = json_column(&env.json(&["list"]), "id");
    assert_eq!(ids.len(), CASES);

    let table = stdout(&env, &["list"], None);
    assert_eq!(first_cells(&table), ids);
    assert!(table.contains("\\u{1b}[31mred"), "escapes shown, not sent");
    assert!(!table.contains('\u{1b}'));
    assert!(table.ends_with("┘\n"));

    // On an 80-column terminal: fitted, the same rows.
    let narrow = stdout(&env, &["list"], Some("80"));
    assert!(narrow.lines().all(|l| l.chars().count() <= 80), "fits 80");
    assert_eq!(first_cells(&narrow), ids);

    let csv = stdout(&env, &["list", "--format", "csv"], None);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let records: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().expect("CSV");
    let from_csv: Vec<String> = records.iter().map(|r| r[0].to_string()).collect();
    assert_eq!(from_csv, ids);
    let titles = json_column(&env.json(&["list"]), "title");
    assert_eq!(
        records
            .iter()
            .map(|r| r[11].to_string())
            .collect::<Vec<_>>(),
        titles,
        "titles whole, commas and quotes kept"
    );
}

#[test]
fn a_long_breaches_report_is_one_table_csv_and_markdown_in_the_json_s_order() {
    let env = long_env();
    let report = env.json(&["report", "breaches"]);
    let clocks = &report["clocks"];
    let cases = json_column(clocks, "case");
    assert!(cases.len() > 2 * 1_024, "more rows than two chunks");
    let last_line = format!(
        "{} breached, {} at risk",
        report["breached"], report["at_risk"]
    );

    let table = stdout(&env, &["report", "breaches"], None);
    assert_eq!(first_cells(&table), cases);
    assert!(
        table.ends_with(&format!("┘\n{last_line}\n")),
        "{}",
        &table[table.len() - 200..]
    );

    let csv = stdout(&env, &["report", "breaches", "--format", "csv"], None);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(
        reader.headers().expect("header").iter().collect::<Vec<_>>(),
        [
            "case",
            "clock",
            "state",
            "due",
            "over_seconds",
            "left_seconds",
            "title"
        ]
    );
    let records: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().expect("CSV");
    assert_eq!(records.len(), cases.len());
    for (r, j) in records.iter().zip(clocks.as_array().expect("clocks")) {
        assert_eq!(r[0], j["case"]);
        assert_eq!(r[1], j["clock"]);
        assert_eq!(r[2], j["state"]);
        assert_eq!(r[3], j["due"]);
        assert_eq!(r[4], j["over_seconds"].to_string());
        assert_eq!(r[5], j["left_seconds"].to_string());
        assert_eq!(r[6], j["title"]);
    }

    let md = stdout(&env, &["report", "breaches", "--format", "md"], None);
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| ESC-")).collect();
    assert_eq!(rows.len(), cases.len());
    assert!(
        rows.iter()
            .zip(&cases)
            .all(|(row, case)| row.starts_with(&format!("| {case} |")))
    );
    assert!(md.ends_with(&format!("\n{last_line}\n")));
}
