//! Every example policy under `policies/` passes `esc policy check`.
//!
//! The files are discovered with `read_dir`, so a new example is covered as soon as it
//! is added.

mod common;

use common::TestEnv;
use std::path::{Path, PathBuf};

/// Every `*.toml` file in `policies/`, sorted.
fn example_policies() -> Vec<PathBuf> {
    let dir = common::repo_file("policies");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no example policies found in {}",
        dir.display()
    );
    files
}

/// A path as a command-line argument.
fn arg(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

#[test]
fn the_expected_examples_exist() {
    let names: Vec<String> = example_policies()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for expected in [
        "customer-support.toml",
        "it-helpdesk.toml",
        "sre-incident.toml",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "policies/{expected} is missing; found {names:?}"
        );
    }
}

#[test]
fn every_example_policy_passes_check() {
    // A clean environment (its own HOME, no stray ESC_* variables); the files are
    // passed by absolute path.
    let env = TestEnv::new();
    for file in example_policies() {
        let out = env
            .esc(&["policy", "check", arg(&file)])
            .output()
            .expect("run esc");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "esc policy check {} failed ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
            file.display(),
            out.status
        );
        assert!(
            stdout.contains("ok"),
            "esc policy check {} did not say ok:\n{stdout}",
            file.display()
        );
        assert!(
            stdout.contains(&*file.to_string_lossy()),
            "the summary should name {}:\n{stdout}",
            file.display()
        );
    }
}

#[test]
fn all_examples_at_once_are_ok_in_json() {
    let files = example_policies();
    let env = TestEnv::new();
    let mut args = vec!["policy", "check", "--format", "json"];
    args.extend(files.iter().map(|f| arg(f)));
    let out = env.esc(&args).output().expect("run esc");
    assert!(
        out.status.success(),
        "esc policy check --format json failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let checked = report["files"].as_array().expect("`files` is an array");
    assert_eq!(
        checked.len(),
        files.len(),
        "one entry per file expected: {report:#}"
    );
    for (entry, file) in checked.iter().zip(&files) {
        assert_eq!(
            entry["file"].as_str(),
            Some(&*file.to_string_lossy()),
            "entries follow the order of the arguments: {report:#}"
        );
        assert_eq!(entry["ok"], serde_json::Value::Bool(true), "{entry:#}");
        assert_eq!(
            entry["errors"].as_array().map(Vec::len),
            Some(0),
            "{entry:#}"
        );
    }
}
