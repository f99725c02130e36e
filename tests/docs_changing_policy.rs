//! The example sessions in docs/changing-policy.md are what the binary prints: every
//! `$ esc …` line in a fenced block is run (in order, on one scratch ledger, as in the
//! page's story) and its output compared with the lines under it. A line `…` stands for
//! any number of lines; policy version hashes are compared by shape.

mod common;

use common::{TestEnv, ok_at, repo_file};

/// (command, expected output lines) for every `$ ` line of the page's fenced blocks.
fn sessions(md: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    let mut in_block = false;
    let mut continued = false;
    // Whether the current block has a command yet (output belongs to its own block).
    let mut has_command = false;
    for line in md.lines() {
        if line.starts_with("```") {
            in_block = !in_block;
            continued = false;
            has_command = false;
            continue;
        }
        if !in_block {
            continue;
        }
        if let Some(cmd) = line.strip_prefix("$ ") {
            out.push((cmd.trim_end_matches('\\').trim().to_string(), Vec::new()));
            continued = line.ends_with('\\');
            has_command = true;
        } else if continued {
            if let Some(last) = out.last_mut() {
                last.0.push(' ');
                last.0.push_str(line.trim().trim_end_matches('\\').trim());
            }
            continued = line.ends_with('\\');
        } else if has_command && let Some(last) = out.last_mut() {
            last.1.push(line.to_string());
        }
    }
    out
}

/// Twelve hex digits (a policy version) become `<hash>`.
fn mask(line: &str) -> String {
    line.split(' ')
        .map(|w| {
            if w.len() == 12
                && w.bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            {
                "<hash>"
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

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

#[test]
fn the_examples_in_changing_policy_are_what_esc_prints() {
    let md = std::fs::read_to_string(repo_file("docs/changing-policy.md")).expect("doc");
    let env = TestEnv::with_policy_file("policies/it-helpdesk.toml");
    // The page's story: two open cases, and a proposed policy renaming sev2 and shortening
    // the sev3 budget in L1.
    ok_at(
        &env,
        "2026-11-23T09:00:00Z",
        &["open", "VPN down", "--severity", "sev2"],
    );
    ok_at(
        &env,
        "2026-11-23T09:30:00Z",
        &["open", "Laptop", "--severity", "sev3"],
    );
    let proposed = env.read("policy.toml").replace("sev2", "high").replace(
        "escalate_after = { sev1 = \"15m\", high = \"1h\", sev3 = \"8h\"",
        "escalate_after = { sev1 = \"15m\", high = \"1h\", sev3 = \"6h\"",
    );
    env.write("proposed.toml", &proposed);
    let mut last_code = 0;
    let mut checked = 0;
    for (cmd, expected) in sessions(&md) {
        if cmd == "echo $?" {
            assert_eq!(
                expected,
                [last_code.to_string()],
                "exit status shown in the doc"
            );
            continue;
        }
        let words = shell_words::split(&cmd).expect("a shell command");
        assert_eq!(words[0], "esc", "{cmd}");
        let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
        let out = env
            .esc(&args)
            .env("ESC_NOW", "2026-11-23T10:00:00Z")
            .env("ESC_ACTOR", "lena")
            .env("ESC_POLICY", "policy.toml")
            .output()
            .expect("run");
        last_code = out.status.code().unwrap_or(-1);
        if expected.is_empty() {
            continue;
        }
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        let actual: Vec<String> = text.lines().map(str::to_string).collect();
        assert!(
            matches(&expected, &actual),
            "`{cmd}` prints:\n{text}\nbut the doc shows:\n{}",
            expected.join("\n")
        );
        checked += 1;
    }
    assert!(checked >= 4, "the page's examples were found ({checked})");
}
