//! Shared test helpers: a temp directory with a policy, and a builder that runs the real
//! binary with a fixed `now` and actor and a cleared environment.
#![allow(dead_code)]

pub mod serve;

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// The default `now` for tests: Monday 23 November 2026, 09:00 UTC.
pub const NOW: &str = "2026-11-23T09:00:00Z";

/// Path of a file in the repository (e.g. `policies/it-helpdesk.toml`).
pub fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A temporary working directory with its own HOME, policy and ledger paths.
pub struct TestEnv {
    pub dir: TempDir,
}

impl TestEnv {
    /// An empty environment.
    pub fn new() -> Self {
        TestEnv {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// An environment whose policy is a copy of a repository file.
    pub fn with_policy_file(rel: &str) -> Self {
        let env = TestEnv::new();
        let text = std::fs::read_to_string(repo_file(rel)).expect("policy file");
        env.write("policy.toml", &text);
        env
    }

    /// An environment whose policy is the given text.
    pub fn with_policy(text: &str) -> Self {
        let env = TestEnv::new();
        env.write("policy.toml", text);
        env
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, text).expect("write");
        p
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_default()
    }

    /// `esc ARGS…` in this directory with `--now` (future times allowed), actor `tester`, the env's policy and
    /// ledger (when not overridden by ESC_* variables set on the returned command).
    pub fn esc(&self, args: &[&str]) -> Command {
        Command::from_std(self.std_esc(args))
    }

    /// [`TestEnv::esc`] as a plain process command, for a process to spawn (`esc serve`).
    pub fn std_esc(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("esc"));
        cmd.current_dir(self.dir.path())
            .env_clear()
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.path("xdg-config"))
            .env("XDG_DATA_HOME", self.path("xdg-data"))
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("ESC_NOW", NOW)
            // Tests work at fixed times that may lie ahead of the machine's clock.
            .env("ESC_ALLOW_FUTURE", "1")
            .env("ESC_ACTOR", "tester")
            .env("ESC_POLICY", self.path("policy.toml"))
            .env("ESC_LEDGER", self.path("ledger.jsonl"))
            .args(args);
        cmd
    }

    /// Run and parse stdout as JSON, asserting success.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut full = vec!["--json"];
        full.extend_from_slice(args);
        let out = self.esc(&full).output().expect("run");
        assert!(
            out.status.success(),
            "esc {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("json stdout")
    }
}

/// `esc --json ARGS` at `now`: must succeed; the parsed stdout.
pub fn ok_at(env: &TestEnv, now: &str, args: &[&str]) -> serde_json::Value {
    let mut full = vec!["--json"];
    full.extend_from_slice(args);
    let out = env.esc(&full).env("ESC_NOW", now).output().expect("run");
    assert!(
        out.status.success(),
        "esc {args:?} at {now} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json stdout")
}

/// Every event line of the env's ledger, parsed; checks the header and that every line ends
/// with a newline.
pub fn ledger_events(env: &TestEnv) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(env.path("ledger.jsonl")).expect("ledger");
    assert!(text.ends_with('\n'), "every line ends with a newline");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(r#"{"esc_ledger":1}"#), "header");
    lines
        .map(|l| serde_json::from_str(l).expect("ledger line is JSON"))
        .collect()
}

/// The ledger's events without the notification bookkeeping (queued, delivered, failed,
/// ended): what commands record about cases themselves.
#[allow(dead_code)]
pub fn case_events(env: &TestEnv) -> Vec<serde_json::Value> {
    ledger_events(env)
        .into_iter()
        .filter(|e| !is_notification(e))
        .collect()
}

/// Whether a ledger event is notification bookkeeping.
#[allow(dead_code)]
pub fn is_notification(e: &serde_json::Value) -> bool {
    e["event"]
        .as_str()
        .is_some_and(|n| n.starts_with("notification_"))
}
