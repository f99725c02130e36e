//! Every example marked for checking in `README.md` and `docs/*.md` is run through the real
//! binary and its output compared, so what the documentation shows cannot drift from what
//! esc prints.
//!
//! A checked example is a ```` ```console ```` block right after a `<!-- check -->` line.
//! In it, a line `$ esc ARGS…` is a command (split like a shell would, no shell is run) and
//! the lines up to the next `$ ` line are its expected output: stdout, then stderr. The
//! marker may set `policy=PATH` (a repository file, default `policies/it-helpdesk.toml`),
//! `now=RFC3339` (default 2026-11-23T09:00:00Z) and `actor=NAME` (default `lena`) for its
//! block; each file runs in one fresh directory, so a page can tell a story from block to
//! block. Tables are drawn at 80 columns.
//!
//! `ESC_DOCS_BLESS=1 cargo test --test docs_examples` rewrites the blocks with what esc
//! prints now (review the diff before committing).

mod common;

use common::{NOW, TestEnv, repo_file};
use std::path::{Path, PathBuf};

/// One checked block: where it starts, its settings and its commands with expected output.
struct Block {
    line: usize,
    policy: String,
    now: String,
    actor: String,
    /// Line range of the block's body (between the fences) in the file.
    body: std::ops::Range<usize>,
    steps: Vec<(String, String)>,
}

fn setting(marker: &str, key: &str) -> Option<String> {
    marker
        .split_whitespace()
        .find_map(|w| w.strip_prefix(&format!("{key}=")))
        .map(String::from)
}

fn blocks(text: &str) -> Vec<Block> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut policy = "policies/it-helpdesk.toml".to_string();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i].trim();
        if l.starts_with("<!-- check") && l.ends_with("-->") {
            let marker = l.trim_start_matches("<!-- check").trim_end_matches("-->");
            // A policy given once stays for the rest of the file.
            if let Some(p) = setting(marker, "policy") {
                policy = p;
            }
            let now = setting(marker, "now").unwrap_or_else(|| NOW.to_string());
            let actor = setting(marker, "actor").unwrap_or_else(|| "lena".to_string());
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
            let mut steps: Vec<(String, String)> = Vec::new();
            for body in &lines[start..end] {
                if let Some(cmd) = body.strip_prefix("$ ") {
                    steps.push((cmd.to_string(), String::new()));
                } else if let Some(last) = steps.last_mut() {
                    last.1.push_str(body);
                    last.1.push('\n');
                }
            }
            out.push(Block {
                line: i + 1,
                policy: policy.clone(),
                now,
                actor,
                body: start..end,
                steps,
            });
            i = end;
        }
        i += 1;
    }
    out
}

/// Trailing blanks of every line and trailing empty lines do not count.
fn normal(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let mut s = lines.join("\n");
    while s.ends_with('\n') {
        s.pop();
    }
    s.trim_end().to_string()
}

fn run_step(env: &TestEnv, block: &Block, command: &str) -> String {
    let words = shell_words::split(command).expect("a command line");
    assert_eq!(
        words.first().map(String::as_str),
        Some("esc"),
        "only esc commands are run: {command}"
    );
    let out = env
        .esc(&words[1..].iter().map(String::as_str).collect::<Vec<_>>())
        .env("ESC_NOW", &block.now)
        .env("ESC_ACTOR", &block.actor)
        .env("COLUMNS", "80")
        .output()
        .expect("run esc");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    text
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
    let env = TestEnv::new();
    let mut failures = Vec::new();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    // Rewrite from the end so earlier line numbers stay valid.
    let mut rewrites: Vec<(std::ops::Range<usize>, Vec<String>)> = Vec::new();
    let mut policy_written = String::new();
    for block in &blocks {
        if block.policy != policy_written {
            let policy = std::fs::read_to_string(repo_file(&block.policy))
                .unwrap_or_else(|e| panic!("{}: policy {}: {e}", path.display(), block.policy));
            env.write("policy.toml", &policy);
            policy_written = block.policy.clone();
        }
        let mut body = Vec::new();
        for (command, expected) in &block.steps {
            let actual = run_step(&env, block, command);
            if normal(&actual) != normal(expected) {
                failures.push(format!(
                    "{}:{}: `{command}`\n--- documented\n{}\n--- printed\n{}\n",
                    path.display(),
                    block.line,
                    normal(expected),
                    normal(&actual)
                ));
            }
            body.push(format!("$ {command}"));
            body.extend(normal(&actual).lines().map(String::from));
        }
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

#[test]
fn the_parser_finds_commands_and_their_output() {
    let text = "intro\n<!-- check now=2026-11-23T10:00:00Z -->\n```console\n$ esc list\nno cases\n\n$ esc open \"a b\"\nopened\n```\n";
    let b = blocks(text);
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].now, "2026-11-23T10:00:00Z");
    assert_eq!(b[0].steps.len(), 2);
    assert_eq!(
        b[0].steps[0],
        ("esc list".to_string(), "no cases\n\n".to_string())
    );
    assert_eq!(b[0].steps[1].0, "esc open \"a b\"");
    assert_eq!(b[0].body, 3..8);
}
