//! `esc policy schema` validates every shipped policy and refuses unknown keys, checked with
//! an independent JSON Schema validator (the `jsonschema` crate).

mod common;

use common::{TestEnv, repo_file};
use serde_json::Value;

fn schema() -> Value {
    let out = TestEnv::new()
        .esc(&["policy", "schema"])
        .output()
        .expect("run");
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).expect("schema is JSON")
}

fn toml_as_json(text: &str) -> Value {
    let v: toml::Value = toml::from_str(text).expect("valid TOML");
    serde_json::to_value(v).expect("as JSON")
}

fn shipped() -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(repo_file("policies"))
        .expect("policies/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.push(repo_file("tests/fixtures/spec-excerpt.toml"));
    files.push(repo_file("src/policy/starter.toml"));
    files
}

#[test]
fn every_shipped_policy_validates_against_the_schema() {
    let validator = jsonschema::validator_for(&schema()).expect("schema compiles");
    let files = shipped();
    assert!(
        files.len() >= 5,
        "expected the example policies, got {files:?}"
    );
    for f in files {
        let instance = toml_as_json(&std::fs::read_to_string(&f).expect("read"));
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", f.display());
    }
}

#[test]
fn an_unknown_key_does_not_validate() {
    let validator = jsonschema::validator_for(&schema()).expect("schema compiles");
    let text =
        std::fs::read_to_string(repo_file("tests/fixtures/spec-excerpt.toml")).expect("read");
    let mut instance = toml_as_json(&text);
    assert!(validator.is_valid(&instance));
    instance["severities"]["sev1"]["respnse"] = Value::from("15m");
    assert!(!validator.is_valid(&instance));
    let mut top = toml_as_json(&text);
    top["colour"] = Value::from("blue");
    assert!(!validator.is_valid(&top));
}

#[test]
fn a_bad_enum_value_does_not_validate() {
    let validator = jsonschema::validator_for(&schema()).expect("schema compiles");
    let text =
        std::fs::read_to_string(repo_file("tests/fixtures/spec-excerpt.toml")).expect("read");
    let mut instance = toml_as_json(&text);
    instance["roles"]["engineer"]["rotation"] = Value::from("hourly");
    assert!(!validator.is_valid(&instance));
}
