//! `esc policy check / explain / schema`, and loading the policy for every other command.

use super::output::Output;
use crate::case::drift::Finding;
use crate::cli::CheckFormat;
use crate::policy::{self, Diagnostic, Policy, source::line_col};
use crate::store::Store;
use anyhow::{Result, bail};
use codespan_reporting::diagnostic::{Diagnostic as Report, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, Config};
use serde_json::json;
use std::path::Path;
use std::process::ExitCode;

/// The outcome of checking one file.
struct Checked {
    file: String,
    text: String,
    problems: Vec<Diagnostic>,
    /// The file could not be read: there is no source to draw a snippet from.
    unreadable: bool,
}

fn check_file(path: &Path) -> Checked {
    let file = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let problems = policy::parse(&text).err().unwrap_or_default();
            Checked {
                file,
                text,
                problems,
                unreadable: false,
            }
        }
        Err(e) => Checked {
            file,
            text: String::new(),
            problems: vec![Diagnostic {
                span: 0..0,
                message: if e.kind() == std::io::ErrorKind::NotFound {
                    "the file does not exist: check the path (or run `esc init` to create a policy)"
                        .to_string()
                } else {
                    format!("cannot read the policy file: {e}; check the path and its permissions")
                },
            }],
            unreadable: true,
        },
    }
}

/// Load the policy a command runs under and open its ledger (once: the command goes on with
/// this store), with the on-call overrides recorded in the ledger (if there is one) attached,
/// for commands that choose owners or recipients. A bad policy is reported before the
/// ledger is opened.
pub fn load_effective(settings: &super::settings::Settings) -> Result<(Policy, Box<dyn Store>)> {
    let mut policy = load(&settings.policy)?;
    let ledger = settings.store()?;
    // The store says cheaply whether there are any overrides (the file's checkpoint, an
    // index in a database); only then is the ledger searched for them.
    if settings.ledger.exists() && ledger.has_oncall()? {
        policy.overrides = crate::oncall::overrides(&ledger.read_case(crate::case::event::ONCALL)?);
    }
    Ok((policy, ledger))
}

/// Load and check the policy a command runs under.
pub fn load(path: &Path) -> Result<Policy> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if path == crate::store::paths::config_policy() {
                // Nothing was given and nothing discovered: say everywhere we looked.
                let cwd = std::env::current_dir().unwrap_or_else(|_| ".".into());
                let places: Vec<String> = crate::store::paths::searched(&cwd)
                    .iter()
                    .map(|p| format!("  {}", p.display()))
                    .collect();
                bail!(
                    "no policy found; looked in:\n{}\nrun `esc init` to create .esc/policy.toml here, or point --policy / ESC_POLICY at yours",
                    places.join("\n")
                )
            }
            bail!(
                "no policy at {}: run `esc init` to create one, or point --policy / ESC_POLICY at yours",
                path.display()
            )
        }
        Err(e) => bail!("cannot read the policy {}: {e}", path.display()),
    };
    match policy::parse(&text) {
        Ok(p) => Ok(p),
        Err(problems) => {
            let first = &problems[0];
            let (line, col) = line_col(&text, first.span.start);
            bail!(
                "the policy {} has {} problem{}, the first at line {line}, column {col}: {}\nrun `esc policy check {}` to see them all",
                path.display(),
                problems.len(),
                if problems.len() == 1 { "" } else { "s" },
                first.message,
                path.display()
            )
        }
    }
}

/// The ledger's cases that the policy at `path` no longer describes; `None` when that
/// policy does not load (its own problems are reported by the check).
pub fn drift(settings: &super::settings::Settings, path: &Path) -> Result<Option<Vec<Finding>>> {
    let Ok(policy) = load(path) else {
        return Ok(None);
    };
    let cases = super::case_cmd::all_cases(settings)?;
    Ok(Some(crate::case::drift::findings(&policy, &cases)))
}

/// `esc policy check`; with `drift`, also the cases the policy no longer describes (and a
/// failure when there are any).
pub fn check(
    files: &[&Path],
    format: CheckFormat,
    drift: Option<&[Finding]>,
    out: &mut Output,
) -> Result<ExitCode> {
    let results: Vec<Checked> = files.iter().map(|f| check_file(f)).collect();
    let failed =
        results.iter().any(|r| !r.problems.is_empty()) || drift.is_some_and(|d| !d.is_empty());
    match format {
        CheckFormat::Json => {
            let files: Vec<_> = results
                .iter()
                .map(|r| {
                    let errors: Vec<_> = r
                        .problems
                        .iter()
                        .map(|d| {
                            let (line, column) = line_col(&r.text, d.span.start);
                            json!({"line": line, "column": column, "message": d.message})
                        })
                        .collect();
                    json!({"file": r.file, "ok": r.problems.is_empty(), "errors": errors})
                })
                .collect();
            let mut doc = json!({ "files": files });
            if let Some(d) = drift {
                doc["cases"] = json!({
                    "ok": d.is_empty(),
                    "counts": crate::case::drift::counts(d),
                    "findings": d,
                });
            }
            out.json(&doc)?;
        }
        CheckFormat::Github => {
            for r in &results {
                for d in &r.problems {
                    let (line, col) = line_col(&r.text, d.span.start);
                    // Workflow commands are for the CI runner: one exact line each.
                    out.data(&format!(
                        "::error file={},line={line},col={col}::{}\n",
                        github_property(&r.file),
                        github_data(&d.message)
                    ))?;
                }
            }
            for f in drift.unwrap_or_default() {
                out.data(&format!("::error::{}\n", github_data(&f.to_string())))?;
            }
        }
        CheckFormat::Human => {
            for r in &results {
                let simple = SimpleFile::new(r.file.as_str(), r.text.as_str());
                let config = Config::default();
                if r.unreadable {
                    for d in &r.problems {
                        out.line(&format!("error: {}: {}", r.file, d.message))?;
                    }
                }
                for d in r.problems.iter().filter(|_| !r.unreadable) {
                    let end = d.span.end.max(d.span.start + 1).min(r.text.len());
                    let start = d.span.start.min(end);
                    let report = Report::error()
                        .with_message(&d.message)
                        .with_labels(vec![Label::primary((), start..end)]);
                    let text = term::emit_into_string(&config, &simple, &report)
                        .unwrap_or_else(|_| format!("error: {}\n", d.message));
                    out.raw(&text)?;
                }
                let summary = match r.problems.len() {
                    0 => format!("{}: ok", r.file),
                    1 => format!("{}: 1 problem", r.file),
                    n => format!("{}: {n} problems", r.file),
                };
                if !r.problems.is_empty() || !out.quiet {
                    out.line(&summary)?;
                }
            }
            if let Some(d) = drift {
                for f in d {
                    out.line(&f.to_string())?;
                }
                match crate::case::drift::summary(d) {
                    Some(s) => out.line(&s)?,
                    None => out.say("cases: every case is described by the policy")?,
                }
            }
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Escape a GitHub workflow-command message.
fn github_data(s: &str) -> String {
    let s = crate::render::neutralise(s, false);
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a GitHub workflow-command property value.
fn github_property(s: &str) -> String {
    github_data(s).replace(':', "%3A").replace(',', "%2C")
}
