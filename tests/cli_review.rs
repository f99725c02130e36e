//! Post-escalation reviews through the real binary: when a review is required and due
//! (`esc review --pending`), recording one from flags, from `--file` and from `$EDITOR`,
//! every refusal (exit 1, ledger untouched), the Markdown post-mortem (`--show`), and action
//! items (`esc actions`, `esc actions done`).
//!
//! Policy: `tests/fixtures/report/policy.toml` — sev1 (24x7, response 30m, resolution 4h,
//! `review = "required"`), sev2 (office Mon–Fri 09–17 UTC, 2h / 8h, in `required_for`), sev3
//! (office, 4h / 16h); `also_when = ["breached", "swarmed", "major"]`, `due = "3d"`; people
//! ana, ben, carl, dee, fay, gus.

mod common;

use common::{TestEnv, ok_at};
use serde_json::Value;

const POLICY: &str = "tests/fixtures/report/policy.toml";

fn env() -> TestEnv {
    TestEnv::with_policy_file(POLICY)
}

/// `esc ARGS` at `now`: must succeed; stdout.
fn text_at(env: &TestEnv, now: &str, args: &[&str]) -> String {
    let out = env.esc(args).env("ESC_NOW", now).output().expect("run");
    assert!(
        out.status.success(),
        "esc {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `esc ARGS` at `now` must be refused: exit 1, the message on stderr, nothing on stdout,
/// the ledger as it was. Returns stderr.
fn refused_at(
    env: &TestEnv,
    now: &str,
    args: &[&str],
    cmd: impl FnOnce(&mut assert_cmd::Command),
) -> String {
    let before = env.ledger_bytes().unwrap_or_default();
    let mut c = env.esc(args);
    c.env("ESC_NOW", now);
    cmd(&mut c);
    let out = c.output().expect("run");
    assert_eq!(out.status.code(), Some(1), "esc {args:?} was not refused");
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("error: "), "{err}");
    assert_eq!(
        env.ledger_bytes().unwrap_or_default(),
        before,
        "the ledger changed"
    );
    err
}

fn refused(env: &TestEnv, now: &str, args: &[&str]) -> String {
    refused_at(env, now, args, |_| {})
}

/// Open a case at `now`; its id.
fn open(env: &TestEnv, now: &str, title: &str, severity: &str) -> String {
    let c = ok_at(env, now, &["open", title, "--severity", severity]);
    c["id"].as_str().unwrap().to_string()
}

/// Mon 2026-11-23 at hh:mm UTC.
fn mon(hm: &str) -> String {
    format!("2026-11-23T{hm}:00Z")
}

/// A resolved sev1 case (ESC-1): opened Mon 09:00, acked 09:10, resolved 10:00.
fn resolved_sev1(env: &TestEnv) -> String {
    let id = open(env, &mon("09:00"), "Checkout down", "sev1");
    ok_at(env, &mon("09:10"), &["ack", &id]);
    ok_at(
        env,
        &mon("10:00"),
        &[
            "resolve",
            &id,
            "--resolution",
            "Rolled back",
            "--root-cause",
            "Bad deploy",
        ],
    );
    id
}

#[test]
fn pending_lists_required_reviews_with_reasons_and_due_dates() {
    let env = env();
    // ESC-1 sev1: required by its severity.
    resolved_sev1(&env);
    // ESC-2 sev2: required_for; resolved in time.
    let two = open(&env, &mon("09:00"), "Invoices", "sev2");
    ok_at(&env, &mon("09:30"), &["ack", &two]);
    ok_at(
        &env,
        &mon("11:00"),
        &["resolve", &two, "--resolution", "Credited"],
    );
    // ESC-3 sev3 in time: no review needed.
    let three = open(&env, &mon("09:00"), "Question", "sev3");
    ok_at(&env, &mon("09:30"), &["ack", &three]);
    ok_at(
        &env,
        &mon("11:00"),
        &["resolve", &three, "--resolution", "Answered"],
    );
    // ESC-4 sev3 acknowledged late (response 4h, due 13:00): breached.
    let four = open(&env, &mon("09:00"), "Slow export", "sev3");
    ok_at(&env, &mon("14:00"), &["ack", &four]);
    ok_at(
        &env,
        &mon("15:00"),
        &["resolve", &four, "--resolution", "Index"],
    );
    // ESC-5 sev3 swarmed; ESC-6 sev3 had a major incident.
    let five = open(&env, &mon("09:00"), "Odd errors", "sev3");
    ok_at(&env, &mon("09:05"), &["ack", &five]);
    ok_at(&env, &mon("09:10"), &["swarm", &five, "--with", "carl"]);
    ok_at(
        &env,
        &mon("09:20"),
        &["swarm", &five, "--end", "--lessons", "Page earlier"],
    );
    ok_at(
        &env,
        &mon("09:30"),
        &["resolve", &five, "--resolution", "Fixed"],
    );
    let six = open(&env, &mon("09:00"), "Outage", "sev3");
    ok_at(&env, &mon("09:05"), &["ack", &six]);
    ok_at(&env, &mon("09:10"), &["major", &six, "--commander", "fay"]);
    ok_at(
        &env,
        &mon("09:40"),
        &["--actor", "fay", "major", &six, "--stand-down"],
    );
    ok_at(
        &env,
        &mon("09:50"),
        &["resolve", &six, "--resolution", "Restored"],
    );
    // ESC-7 sev1 still open: waits for its resolution, not listed.
    open(&env, &mon("09:00"), "Still burning", "sev1");

    // Thu 11-26 10:30: due dates are resolution + 3 days (elapsed): ESC-1 Thu 10:00 is
    // overdue, ESC-2 Thu 11:00 is still due.
    let list = ok_at(&env, "2026-11-26T10:30:00Z", &["review", "--pending"]);
    let rows: Vec<(String, String, String, Vec<String>)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["case"].as_str().unwrap().to_string(),
                r["due"].as_str().unwrap().to_string(),
                r["state"].as_str().unwrap().to_string(),
                r["reasons"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    let s = |x: &str| x.to_string();
    assert_eq!(
        rows,
        vec![
            (
                s("ESC-5"),
                s("2026-11-26T09:30:00Z"),
                s("overdue"),
                vec![s("swarmed")]
            ),
            (
                s("ESC-6"),
                s("2026-11-26T09:50:00Z"),
                s("overdue"),
                vec![s("major")]
            ),
            (
                s("ESC-1"),
                s("2026-11-26T10:00:00Z"),
                s("overdue"),
                vec![s("severity")]
            ),
            (
                s("ESC-2"),
                s("2026-11-26T11:00:00Z"),
                s("pending"),
                vec![s("required_for")]
            ),
            (
                s("ESC-4"),
                s("2026-11-26T15:00:00Z"),
                s("pending"),
                vec![s("breached")]
            ),
        ]
    );
    let table = text_at(&env, "2026-11-26T10:30:00Z", &["review", "--pending"]);
    assert!(table.contains("overdue by 1h"), "{table}");
    assert!(table.contains("due in 30m"), "{table}");
    assert!(table.contains("5 reviews due, 3 overdue"), "{table}");
    // A review takes a case off the list.
    ok_at(
        &env,
        "2026-11-26T10:30:00Z",
        &["review", "ESC-1", "--root-cause", "Deploy without canary"],
    );
    let list = ok_at(&env, "2026-11-26T10:30:00Z", &["review", "--pending"]);
    assert_eq!(list.as_array().unwrap().len(), 4);
}

#[test]
fn a_review_from_flags_is_recorded_and_rendered_as_a_post_mortem() {
    let env = env();
    let id = resolved_sev1(&env);
    let case = ok_at(
        &env,
        &mon("12:00"),
        &[
            "review",
            &id,
            "--root-cause",
            "Deploy without a canary stage",
            "--went-well",
            "Rollback in 20 minutes",
            "--improve",
            "Detection took too long",
            "--action",
            "Add a canary stage|carl|2026-12-04",
            "--action",
            "Alert on checkout errors | dee | 2026-11-30",
        ],
    );
    let review = &case["review"];
    assert_eq!(review["root_cause"], "Deploy without a canary stage");
    assert_eq!(review["went_well"], "Rollback in 20 minutes");
    assert_eq!(review["improve"], "Detection took too long");
    assert_eq!(review["by"], "tester");
    assert_eq!(review["actions"][0]["id"], "ESC-1.1");
    assert_eq!(review["actions"][1]["id"], "ESC-1.2");
    assert_eq!(review["actions"][1]["text"], "Alert on checkout errors");
    assert_eq!(review["actions"][1]["owner"], "dee");
    assert_eq!(review["actions"][1]["due"], "2026-11-30");
    assert_eq!(review["actions"][1]["state"], "open");
    // Stored as one review_recorded event.
    let events = case["events"].as_array().unwrap();
    let last = events.last().unwrap();
    assert_eq!(last["event"], "review_recorded");
    assert_eq!(last["step"], "review");
    // The confirmation names the items.
    let show = ok_at(&env, &mon("12:00"), &["show", &id]);
    assert_eq!(show["review"], case["review"]);

    let md = text_at(&env, "2026-12-01T09:00:00Z", &["review", &id, "--show"]);
    for part in [
        "# Post-escalation review: ESC-1 — Checkout down",
        "| Severity | sev1 (Critical) |",
        "| Acknowledged | 2026-11-23 09:10 UTC (after 10m) |",
        "| Resolved | 2026-11-23 10:00 UTC (after 1h) |",
        "required: sev1 requires one; recorded 2026-11-23 12:00 UTC by tester",
        "## Summary\nRolled back",
        "## Root cause\nDeploy without a canary stage",
        "## What went well\nRollback in 20 minutes",
        "## What to improve\nDetection took too long",
        "- [ ] ESC-1.1: Add a canary stage — carl, due 2026-12-04\n",
        "- [ ] ESC-1.2: Alert on checkout errors — dee, due 2026-11-30 **(late)**",
        "| response | met | 2026-11-23 09:30 UTC | 2026-11-23 09:10 UTC |",
        "| 2026-11-23 10:00 UTC | tester | resolved: Rolled back (root cause: Bad deploy) |",
    ] {
        assert!(md.contains(part), "missing {part:?} in\n{md}");
    }
    // --markdown is the same; --json gives the template's context.
    assert_eq!(
        text_at(&env, "2026-12-01T09:00:00Z", &["review", &id, "--markdown"]),
        md
    );
    let ctx = ok_at(&env, "2026-12-01T09:00:00Z", &["review", &id, "--show"]);
    assert_eq!(ctx["actions"][1]["state"], "late");
    assert_eq!(ctx["reasons"][0], "sev1 requires one");
}

#[test]
fn a_policy_template_overrides_the_post_mortem() {
    let text = std::fs::read_to_string(common::repo_file(POLICY)).unwrap();
    let env = TestEnv::with_policy(&format!(
        "{text}\n[templates]\nreview = \"RCA {{{{ id }}}}: {{{{ root_cause }}}} ({{{{ actions | length }}}} actions)\"\n"
    ));
    let id = resolved_sev1(&env);
    ok_at(
        &env,
        &mon("12:00"),
        &[
            "review",
            &id,
            "--root-cause",
            "Bad deploy",
            "--action",
            "x|ana|2026-12-01",
        ],
    );
    assert_eq!(
        text_at(&env, &mon("12:00"), &["review", &id, "--show"]),
        "RCA ESC-1: Bad deploy (1 actions)\n"
    );
}

#[test]
fn refusals_leave_the_ledger_as_it_was() {
    let env = env();
    let id = open(&env, &mon("09:00"), "Checkout down", "sev1");
    let err = refused(&env, &mon("09:30"), &["review", &id, "--root-cause", "x"]);
    assert!(err.contains("a review follows the resolution"), "{err}");
    ok_at(
        &env,
        &mon("09:40"),
        &["resolve", &id, "--resolution", "Fixed"],
    );
    // No root cause.
    let err = refused(
        &env,
        &mon("10:00"),
        &["review", &id, "--went-well", "Quick"],
    );
    assert!(err.contains("root cause is missing"), "{err}");
    // An owner who is not a person of the policy.
    let err = refused(
        &env,
        &mon("10:00"),
        &[
            "review",
            &id,
            "--root-cause",
            "x",
            "--action",
            "Fix it|bob|2026-12-01",
        ],
    );
    assert!(err.contains("`bob` is not a person in the policy"), "{err}");
    assert!(err.contains("ana, ben, carl, dee, fay, gus"), "{err}");
    // A malformed action and a date in the past.
    let err = refused(
        &env,
        &mon("10:00"),
        &[
            "review",
            &id,
            "--root-cause",
            "x",
            "--action",
            "Fix it by Friday",
        ],
    );
    assert!(err.contains("TEXT|OWNER|YYYY-MM-DD"), "{err}");
    let err = refused(
        &env,
        &mon("10:00"),
        &[
            "review",
            &id,
            "--root-cause",
            "x",
            "--action",
            "Fix it|carl|2026-11-20",
        ],
    );
    assert!(err.contains("in the past"), "{err}");
    let err = refused(
        &env,
        &mon("10:00"),
        &[
            "review",
            &id,
            "--root-cause",
            "x",
            "--action",
            "Fix it|carl|1 Dec",
        ],
    );
    assert!(err.contains("is not a date"), "{err}");
    // Nothing to show yet; an unknown case.
    let err = refused(&env, &mon("10:00"), &["review", &id, "--show"]);
    assert!(err.contains("has no review yet"), "{err}");
    let err = refused(
        &env,
        &mon("10:00"),
        &["review", "ESC-99", "--root-cause", "x"],
    );
    assert!(err.contains("there is no case ESC-99"), "{err}");
    // Recorded once; a second review is refused.
    ok_at(
        &env,
        &mon("10:00"),
        &["review", &id, "--root-cause", "Expired cert"],
    );
    let err = refused(&env, &mon("11:00"), &["review", &id, "--root-cause", "y"]);
    assert!(err.contains("already has a review"), "{err}");
    // Usage errors exit 2.
    env.esc(&["review"]).assert().code(2);
    env.esc(&["review", "1", "--pending"]).assert().code(2);
    env.esc(&["review", "1", "--show", "--root-cause", "x"])
        .assert()
        .code(2);
}

const FILLED: &str = "# Review of ESC-1\n\
<!-- ignored: - not | an | action -->\n\
## Root cause\n\
Certificate expired: renewal was manual.\n\
\n\
## What went well\n\
Clear handoff to L2.\n\
\n\
## What to improve\n\
\n\
## Action items\n\
- Automate renewal | carl | 2026-12-04\n\
- [ ] Expiry alert | dee | 2026-12-11\n";

#[test]
fn a_review_from_a_file_or_stdin() {
    let env = env();
    let id = resolved_sev1(&env);
    let file = env.write("review.md", FILLED);
    let case = ok_at(
        &env,
        &mon("12:00"),
        &["review", &id, "--file", file.to_str().unwrap()],
    );
    let r = &case["review"];
    assert_eq!(r["root_cause"], "Certificate expired: renewal was manual.");
    assert_eq!(r["went_well"], "Clear handoff to L2.");
    assert_eq!(r["improve"], Value::Null);
    assert_eq!(r["actions"].as_array().unwrap().len(), 2);
    assert_eq!(r["actions"][1]["owner"], "dee");

    // From stdin, into a second case; a bad line is named with its number.
    let two = open(&env, &mon("09:00"), "Second", "sev1");
    ok_at(&env, &mon("09:30"), &["resolve", &two, "--resolution", "x"]);
    let bad = "## Root cause\nx\n## Action items\n- do it | carl\n";
    let err = refused_at(&env, &mon("12:00"), &["review", &two, "--file", "-"], |c| {
        c.write_stdin(bad);
    });
    assert!(err.contains("line 4"), "{err}");
    let out = env
        .esc(&["--json", "review", &two, "--file", "-"])
        .env("ESC_NOW", mon("12:00"))
        .write_stdin(FILLED)
        .output()
        .unwrap();
    assert!(out.status.success());
}

/// Write an editor script: `sh SCRIPT FILE`.
fn editor(env: &TestEnv, name: &str, body: &str) -> String {
    let p = env.write(name, &format!("#!/bin/sh\n{body}\n"));
    format!("sh '{}'", p.display())
}

#[test]
fn a_review_from_the_editor_like_git_commit() {
    let env = env();
    let id = resolved_sev1(&env);
    // The editor sees the form with the case's title and the root cause given at
    // resolution; it saves a copy of what it was shown and writes the filled form.
    let filled = env.write("filled.md", FILLED);
    let ed = editor(
        &env,
        "ed.sh",
        &format!(
            "cp \"$1\" '{}'\ncp '{}' \"$1\"",
            env.path("shown.md").display(),
            filled.display()
        ),
    );
    let case = {
        let out = env
            .esc(&["--json", "review", &id])
            .env("ESC_NOW", mon("12:00"))
            .env("EDITOR", &ed)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    assert_eq!(
        case["review"]["root_cause"],
        "Certificate expired: renewal was manual."
    );
    let shown = env.read("shown.md");
    assert!(
        shown.starts_with("# Review of ESC-1: Checkout down\n"),
        "{shown}"
    );
    assert!(shown.contains("## Root cause\n<!--"), "{shown}");
    assert!(shown.contains("\nBad deploy\n"), "{shown}");
    assert!(shown.contains("## Action items"), "{shown}");
}

#[test]
fn the_editor_form_left_unchanged_or_emptied_records_nothing() {
    let env = env();
    let id = resolved_sev1(&env);
    // Unchanged: `true` exits 0 without touching the file.
    let err = refused_at(&env, &mon("12:00"), &["review", &id], |c| {
        c.env("EDITOR", "true");
    });
    assert!(err.contains("unchanged"), "{err}");
    // Emptied.
    let ed = editor(&env, "empty.sh", ": > \"$1\"");
    let err = refused_at(&env, &mon("12:00"), &["review", &id], |c| {
        c.env("EDITOR", &ed);
    });
    assert!(err.contains("empty"), "{err}");
    // Only the comments and headings left (the prefilled root cause deleted).
    let ed = editor(&env, "blank.sh", "sed -i '/^Bad deploy$/d' \"$1\"");
    let err = refused_at(&env, &mon("12:00"), &["review", &id], |c| {
        c.env("EDITOR", &ed);
    });
    assert!(err.contains("empty"), "{err}");
    // A failing editor.
    let err = refused_at(&env, &mon("12:00"), &["review", &id], |c| {
        c.env("EDITOR", "false");
    });
    assert!(err.contains("failed"), "{err}");
    // Unreadable text is kept for a retry with --file.
    let ed = editor(
        &env,
        "bad.sh",
        "printf '## Root cause\\nx\\n## Action items\\nnot a list\\n' > \"$1\"",
    );
    let err = refused_at(&env, &mon("12:00"), &["review", &id], |c| {
        c.env("EDITOR", &ed);
    });
    assert!(err.contains("your text is kept in"), "{err}");
    let kept = err
        .split("your text is kept in ")
        .nth(1)
        .and_then(|s| s.split(';').next())
        .unwrap();
    assert!(
        std::fs::read_to_string(kept)
            .unwrap()
            .contains("not a list")
    );
    let _ = std::fs::remove_file(kept);
    // VISUAL when EDITOR is unset.
    let filled = env.write("filled.md", FILLED);
    let ed = editor(&env, "ok.sh", &format!("cp '{}' \"$1\"", filled.display()));
    let out = env
        .esc(&["review", &id])
        .env("ESC_NOW", mon("12:00"))
        .env("VISUAL", &ed)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8(out.stdout).unwrap();
    assert!(said.starts_with("ESC-1 review recorded"), "{said}");
    assert!(
        said.contains("ESC-1.2 Expiry alert (dee, due 2026-12-11)"),
        "{said}"
    );
}

#[test]
fn case_text_reaches_the_editor_only_as_file_content() {
    let env = env();
    let id = open(
        &env,
        &mon("09:00"),
        "$(touch pwned) `touch pwned2`; rm -rf /",
        "sev1",
    );
    ok_at(&env, &mon("09:30"), &["resolve", &id, "--resolution", "x"]);
    let ed = editor(
        &env,
        "ed.sh",
        "printf '## Root cause\\nHostile titles are data\\n' >> \"$1\"",
    );
    let out = env
        .esc(&["review", &id])
        .env("ESC_NOW", mon("12:00"))
        .env("EDITOR", &ed)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!env.path("pwned").exists());
    assert!(!env.path("pwned2").exists());
}

#[test]
fn action_items_are_listed_marked_late_and_done() {
    let env = env();
    let one = resolved_sev1(&env);
    ok_at(
        &env,
        &mon("12:00"),
        &[
            "review",
            &one,
            "--root-cause",
            "x",
            "--action",
            "Canary|carl|2026-11-25",
            "--action",
            "Runbook|dee|2026-12-10",
        ],
    );
    let two = open(&env, &mon("09:00"), "Second", "sev1");
    ok_at(&env, &mon("09:30"), &["resolve", &two, "--resolution", "x"]);
    ok_at(
        &env,
        &mon("12:00"),
        &[
            "review",
            &two,
            "--root-cause",
            "y",
            "--action",
            "Alert|carl|2026-12-01",
        ],
    );
    // Fri 11-27: ESC-1.1 (due Wed 11-25) is late.
    let now = "2026-11-27T09:00:00Z";
    let items = ok_at(&env, now, &["actions"]);
    let ids: Vec<(&str, &str)> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["id"].as_str().unwrap(), a["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        ids,
        [
            ("ESC-1.1", "late"),
            ("ESC-2.1", "open"),
            ("ESC-1.2", "open")
        ]
    );
    let carl = ok_at(&env, now, &["actions", "--owner", "carl"]);
    assert_eq!(carl.as_array().unwrap().len(), 2);
    let late = ok_at(&env, now, &["actions", "--late"]);
    assert_eq!(late.as_array().unwrap().len(), 1);
    let table = text_at(&env, now, &["actions"]);
    assert!(table.contains("LATE by 48h"), "{table}");
    assert!(table.contains("3 open, 1 late"), "{table}");

    // Done.
    let said = text_at(&env, now, &["actions", "done", "esc-1.1"]);
    assert_eq!(said, "ESC-1.1 done: Canary\n");
    let open_items = ok_at(&env, now, &["actions", "--open"]);
    assert_eq!(open_items.as_array().unwrap().len(), 2);
    let case_items = ok_at(&env, now, &["actions", "--case", "1"]);
    assert_eq!(case_items[1]["state"], "done");
    assert_eq!(case_items[1]["done_by"], "tester");
    let err = refused(&env, now, &["actions", "done", "ESC-1.1"]);
    assert!(err.contains("already done"), "{err}");
    let err = refused(&env, now, &["actions", "done", "ESC-1.3"]);
    assert!(err.contains("has 2 action items"), "{err}");
    let err = refused(&env, now, &["actions", "done", "ESC-1"]);
    assert!(err.contains("ESC-3.1"), "{err}");
    let err = refused(&env, now, &["actions", "--owner", "bob"]);
    assert!(err.contains("not a person"), "{err}");
    // The case's own timeline has the event.
    let case = ok_at(&env, now, &["show", "1"]);
    let last = case["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["event"], "action_done");
    assert_eq!(last["item"], 1);
}
