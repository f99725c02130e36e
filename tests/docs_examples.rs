//! Every example marked for checking in `README.md` and `docs/*.md` is run through the real
//! binary and its output compared, so what the documentation shows cannot drift from what
//! esc prints.
//!
//! A checked example is a ```` ```console ```` block right after a `<!-- check … -->` line.
//! In it, a line `$ esc ARGS…` is a command (split like a shell would, no shell is run; a
//! trailing `\` continues it on the next line) and the lines up to the next `$ ` line are
//! its expected output: stdout, then stderr. A line `…` in the expected output stands for
//! any number of lines, and a policy version (twelve lowercase hex digits) for any other.
//! Two more commands are understood: `$ export NAME=VALUE` sets a variable for the rest of
//! the page, and `$ echo $?` shows the exit status of the command before it.
//!
//! Settings on the marker, each for its block unless said otherwise:
//! - `policy=PATH`: the policy, a repository file (default `policies/it-helpdesk.toml`);
//!   stays for the rest of the page. `policy=none` runs the page's commands with no policy
//!   or ledger given, so they find (or `esc init` creates) `.esc/` as a user's would.
//! - `ledger=PATH`: the ledger starts as a copy of this repository file.
//! - `setup=NAME`: a scene from [`setup`] is set up first (files a page talks about).
//! - `now=RFC3339` (default 2026-11-23T09:00:00Z) and `step=DURATION`: each command of the
//!   block runs `step` later than the one before (a story told over an afternoon).
//! - `actor=NAME` (default `lena`), `columns=N` (default 80: tables are drawn that wide).
//! - `fresh`: the block starts over in a new directory (a new story on the same page).
//!
//! Each page runs in one fresh directory, so it can tell a story from block to block.
//!
//! `ESC_DOCS_BLESS=1 cargo test --test docs_examples` rewrites the commands whose output
//! differs with what esc prints now (review the diff before committing).

mod common;

use chrono::{DateTime, Utc};
use common::{NOW, TestEnv, repo_file};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One command of a block: its lines in the page and the output shown under it.
#[derive(Debug, PartialEq)]
struct Step {
    command: String,
    /// The command as written (with continuation lines).
    source: Vec<String>,
    expected: Vec<String>,
}

/// One checked block: where it starts, its settings and its commands with expected output.
struct Block {
    line: usize,
    /// `None`: no policy or ledger given (discovery).
    policy: Option<String>,
    ledger: Option<String>,
    setup: Option<String>,
    fresh: bool,
    now: DateTime<Utc>,
    step: chrono::TimeDelta,
    actor: String,
    columns: String,
    /// Line range of the block's body (between the fences) in the file.
    body: std::ops::Range<usize>,
    /// The fence's indentation (a block in a list item), taken off every line of the body.
    indent: String,
    steps: Vec<Step>,
}

fn setting(marker: &str, key: &str) -> Option<String> {
    marker
        .split_whitespace()
        .find_map(|w| w.strip_prefix(&format!("{key}=")))
        .map(String::from)
}

fn steps(body: &[&str]) -> Vec<Step> {
    let mut out: Vec<Step> = Vec::new();
    let mut continued = false;
    for line in body {
        if continued && let Some(last) = out.last_mut() {
            last.source.push(line.to_string());
            last.command.push(' ');
            last.command
                .push_str(line.trim().trim_end_matches('\\').trim());
            continued = line.ends_with('\\');
        } else if let Some(cmd) = line.strip_prefix("$ ") {
            continued = cmd.ends_with('\\');
            out.push(Step {
                command: cmd.trim_end_matches('\\').trim().to_string(),
                source: vec![line.to_string()],
                expected: Vec::new(),
            });
        } else if let Some(last) = out.last_mut() {
            last.expected.push(line.to_string());
        }
    }
    out
}

fn blocks(text: &str) -> Vec<Block> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut policy = Some("policies/it-helpdesk.toml".to_string());
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i].trim();
        if l.starts_with("<!-- check") && l.ends_with("-->") {
            let marker = l.trim_start_matches("<!-- check").trim_end_matches("-->");
            // A policy given once stays for the rest of the file.
            if let Some(p) = setting(marker, "policy") {
                policy = (p != "none").then_some(p);
            }
            let now = setting(marker, "now").unwrap_or_else(|| NOW.to_string());
            let now = DateTime::parse_from_rfc3339(&now)
                .unwrap_or_else(|e| panic!("line {}: now={now}: {e}", i + 1))
                .with_timezone(&Utc);
            let step = setting(marker, "step").map_or(chrono::TimeDelta::zero(), |s| {
                let d = humantime::parse_duration(&s)
                    .unwrap_or_else(|e| panic!("line {}: step={s}: {e}", i + 1));
                chrono::TimeDelta::from_std(d).expect("a step of sensible length")
            });
            assert_eq!(
                lines.get(i + 1).map(|s| s.trim()),
                Some("```console"),
                "line {}: a check marker must be followed by a ```console block",
                i + 1
            );
            let start = i + 2;
            let mut end = start;
            while end < lines.len() && lines[end].trim() != "```" {
                end += 1;
            }
            let fence = lines[i + 1];
            let indent = fence[..fence.len() - fence.trim_start().len()].to_string();
            let body: Vec<&str> = lines[start..end]
                .iter()
                .map(|l| l.strip_prefix(indent.as_str()).unwrap_or(l.trim_start()))
                .collect();
            out.push(Block {
                line: i + 1,
                policy: policy.clone(),
                ledger: setting(marker, "ledger"),
                setup: setting(marker, "setup"),
                fresh: marker.split_whitespace().any(|w| w == "fresh"),
                now,
                step,
                actor: setting(marker, "actor").unwrap_or_else(|| "lena".to_string()),
                columns: setting(marker, "columns").unwrap_or_else(|| "80".to_string()),
                body: start..end,
                steps: steps(&body),
                indent,
            });
            i = end;
        }
        i += 1;
    }
    out
}

/// Files a page's story talks about, made in its directory before its block runs.
fn setup(env: &TestEnv, name: &str) {
    match name {
        // docs/changing-policy.md: a proposed change of the IT helpdesk policy that renames
        // sev2 to `high` and shortens the sev3 budget in L1.
        "proposed-policy" => {
            let proposed = std::fs::read_to_string(repo_file("policies/it-helpdesk.toml"))
                .expect("policy")
                .replace("sev2", "high")
                .replace(
                    "escalate_after = { sev1 = \"15m\", high = \"1h\", sev3 = \"8h\"",
                    "escalate_after = { sev1 = \"15m\", high = \"1h\", sev3 = \"6h\"",
                );
            env.write("proposed.toml", &proposed);
        }
        // docs/guide.md: a policy with two mistakes for `esc policy check` to find.
        "bad-policy" => {
            let bad = std::fs::read_to_string(repo_file("policies/it-helpdesk.toml"))
                .expect("policy")
                .replacen("timezone = ", "timezon = ", 1)
                .replacen("resolution = \"8h\"", "resolution = \"2d\"", 1);
            env.write("bad.toml", &bad);
        }
        other => panic!("no setup called {other}"),
    }
}

/// Trailing blanks of every line and trailing empty lines do not count.
fn normal(lines: &[String]) -> Vec<String> {
    let mut out: Vec<String> = lines.iter().map(|l| l.trim_end().to_string()).collect();
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out
}

/// Twelve lowercase hex digits (a policy version) become `<hash>`.
fn mask(line: &str) -> String {
    line.split(' ')
        .map(|w| {
            let hex = w.trim_matches(|c: char| !c.is_ascii_alphanumeric());
            if hex.len() == 12
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            {
                w.replace(hex, "<hash>")
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether the documented lines (with `…` for any lines) describe the printed ones.
fn matches(expected: &[String], actual: &[String]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((e, rest)) if e.trim() == "…" => {
            (0..=actual.len()).any(|skip| matches(rest, &actual[skip..]))
        }
        Some((e, rest)) => {
            actual.first().is_some_and(|a| mask(a) == mask(e)) && matches(rest, &actual[1..])
        }
    }
}

/// The page's directory and what its commands have set so far.
struct Page {
    env: TestEnv,
    vars: BTreeMap<String, String>,
    last_status: i32,
}

impl Page {
    fn new() -> Page {
        Page {
            env: TestEnv::new(),
            vars: BTreeMap::new(),
            last_status: 0,
        }
    }

    /// Runs one step; `None` when it is not a command of its own (an `export`).
    fn run(&mut self, block: &Block, at: DateTime<Utc>, command: &str) -> Option<Vec<String>> {
        if let Some(assignment) = command.strip_prefix("export ") {
            let (name, value) = assignment
                .split_once('=')
                .unwrap_or_else(|| panic!("`export NAME=VALUE`: {command}"));
            let value = shell_words::split(value).expect("a value").join(" ");
            self.vars.insert(name.to_string(), value);
            return None;
        }
        if command == "echo $?" {
            return Some(vec![self.last_status.to_string()]);
        }
        let words = shell_words::split(command).expect("a command line");
        assert_eq!(
            words.first().map(String::as_str),
            Some("esc"),
            "only esc commands are run: {command}"
        );
        let mut cmd = self
            .env
            .esc(&words[1..].iter().map(String::as_str).collect::<Vec<_>>());
        cmd.env("ESC_NOW", at.to_rfc3339())
            .env("ESC_ACTOR", &block.actor)
            .env("COLUMNS", &block.columns);
        if block.policy.is_none() {
            cmd.env_remove("ESC_POLICY").env_remove("ESC_LEDGER");
        } else {
            // As a reader would give it, relative to the page's directory.
            cmd.env("ESC_POLICY", "policy.toml");
        }
        cmd.envs(&self.vars);
        let out = cmd.output().expect("run esc");
        self.last_status = out.status.code().unwrap_or(-1);
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        Some(text.lines().map(String::from).collect())
    }
}

fn documents() -> Vec<PathBuf> {
    let mut files = vec![repo_file("README.md")];
    if let Ok(dir) = std::fs::read_dir(repo_file("docs")) {
        let mut docs: Vec<PathBuf> = dir
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "md"))
            .collect();
        docs.sort();
        files.extend(docs);
    }
    files
}

fn check_file(path: &Path, bless: bool) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let blocks = blocks(&text);
    if blocks.is_empty() {
        return Vec::new();
    }
    let mut page = Page::new();
    let mut failures = Vec::new();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    // Rewrite from the end so earlier line numbers stay valid.
    let mut rewrites: Vec<(std::ops::Range<usize>, Vec<String>)> = Vec::new();
    let mut policy_written: Option<String> = None;
    for block in &blocks {
        if block.fresh {
            page = Page::new();
            policy_written = None;
        }
        if let Some(policy) = &block.policy
            && policy_written.as_ref() != Some(policy)
        {
            let text = std::fs::read_to_string(repo_file(policy))
                .unwrap_or_else(|e| panic!("{}: policy {policy}: {e}", path.display()));
            page.env.write("policy.toml", &text);
            policy_written = Some(policy.clone());
        }
        if let Some(ledger) = &block.ledger {
            let text = std::fs::read_to_string(repo_file(ledger))
                .unwrap_or_else(|e| panic!("{}: ledger {ledger}: {e}", path.display()));
            page.env.put_ledger(&text);
        }
        if let Some(name) = &block.setup {
            setup(&page.env, name);
        }
        let mut body = Vec::new();
        let mut at = block.now;
        for step in &block.steps {
            body.extend(step.source.iter().cloned());
            let Some(actual) = page.run(block, at, &step.command) else {
                continue;
            };
            if step.command.starts_with("esc ") {
                at += block.step;
            }
            let (expected, actual) = (normal(&step.expected), normal(&actual));
            if matches(&expected, &actual) {
                body.extend(step.expected.iter().cloned());
            } else {
                failures.push(format!(
                    "{}:{}: `{}`\n--- documented\n{}\n--- printed\n{}\n",
                    path.display(),
                    block.line,
                    step.command,
                    expected.join("\n"),
                    actual.join("\n")
                ));
                body.extend(actual);
            }
        }
        let body = body
            .into_iter()
            .map(|l| {
                if l.is_empty() {
                    l
                } else {
                    format!("{}{l}", block.indent)
                }
            })
            .collect();
        rewrites.push((block.body.clone(), body));
    }
    if bless {
        for (range, body) in rewrites.into_iter().rev() {
            lines.splice(range, body);
        }
        let mut new = lines.join("\n");
        new.push('\n');
        std::fs::write(path, new).expect("rewrite");
        return Vec::new();
    }
    failures
}

#[test]
fn documented_examples_print_what_they_show() {
    let bless = std::env::var_os("ESC_DOCS_BLESS").is_some_and(|v| v == "1");
    let mut failures = Vec::new();
    let mut checked = 0;
    for file in documents() {
        checked += std::fs::read_to_string(&file)
            .map(|t| blocks(&t).len())
            .unwrap_or(0);
        failures.extend(check_file(&file, bless));
    }
    assert!(
        checked > 0,
        "no checked examples found in README.md or docs/"
    );
    assert!(
        failures.is_empty(),
        "{} documented example(s) differ (ESC_DOCS_BLESS=1 rewrites them):\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every `$ esc` line shown in a ```console block of the README and docs is checked: a
/// shown command is either checked or marked as a sketch (`<!-- sketch -->`, for commands
/// whose output depends on the reader's machine).
#[test]
fn every_console_example_is_checked() {
    let mut unchecked = Vec::new();
    for file in documents() {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            if l.trim() != "```console" {
                continue;
            }
            let marker = i.checked_sub(1).map(|p| lines[p].trim()).unwrap_or("");
            if !(marker.starts_with("<!-- check") || marker == "<!-- sketch -->") {
                unchecked.push(format!("{}:{}", file.display(), i + 1));
            }
        }
    }
    assert!(
        unchecked.is_empty(),
        "console examples that no test runs (add `<!-- check … -->` before them): {unchecked:?}"
    );
}

#[test]
fn the_parser_finds_commands_and_their_output() {
    let text = "intro\n<!-- check now=2026-11-23T10:00:00Z step=10m -->\n```console\n$ esc list\nno cases\n\n$ esc open \"a b\" \\\n    --severity sev2\nopened\n```\n";
    let b = blocks(text);
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].now.to_rfc3339(), "2026-11-23T10:00:00+00:00");
    assert_eq!(b[0].step, chrono::TimeDelta::minutes(10));
    assert_eq!(b[0].steps.len(), 2);
    assert_eq!(b[0].steps[0].command, "esc list");
    assert_eq!(b[0].steps[0].expected, ["no cases", ""]);
    assert_eq!(b[0].steps[1].command, "esc open \"a b\" --severity sev2");
    assert_eq!(b[0].steps[1].source.len(), 2);
    assert_eq!(b[0].steps[1].expected, ["opened"]);
    assert_eq!(b[0].body, 3..9);
}

#[test]
fn an_ellipsis_stands_for_any_lines_and_hashes_for_any_version() {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert!(matches(&s(&["a", "…", "d"]), &s(&["a", "b", "c", "d"])));
    assert!(matches(&s(&["a", "…"]), &s(&["a"])));
    assert!(!matches(&s(&["a", "…", "d"]), &s(&["a", "b"])));
    assert!(matches(
        &s(&["policy 0123456789ab (current)"]),
        &s(&["policy fedcba987654 (current)"])
    ));
    assert!(!matches(&s(&["x"]), &s(&["y"])));
}
