//! Shared test helpers: a temp directory with a policy, and a builder that runs the real
//! binary with a fixed `now` and actor and a cleared environment.
//!
//! The backend under test comes from `ESC_TEST_BACKEND`: unset (or `file`) runs every test
//! on a ledger file; `postgres` gives each [`TestEnv`] a fresh database (created from
//! `ESC_TEST_DATABASE_URL`, dropped afterwards) and sets `ESC_LEDGER` to its URL. Tests
//! that read the ledger go through [`TestEnv::ledger_text`], which works on both.
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

/// The server the database tests use unless `ESC_TEST_DATABASE_URL` names another.
pub const DEFAULT_DATABASE_URL: &str = "postgres://root@127.0.0.1:5432/test";

/// Whether this run tests the PostgreSQL backend (`ESC_TEST_BACKEND=postgres`).
pub fn postgres_backend() -> bool {
    std::env::var("ESC_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

/// Whether a missing database server must fail the run (CI) rather than skip.
pub fn services_required() -> bool {
    std::env::var("ESC_REQUIRE_SERVICES").is_ok_and(|v| v == "1") || postgres_backend()
}

/// Skips a file-specific test (torn tails, file modes, lock files) in a PostgreSQL run.
/// Returns true when the test should return at once.
pub fn file_only(what: &str) -> bool {
    if postgres_backend() {
        eprintln!("skipped in the postgres run: {what} is about the ledger file");
        return true;
    }
    false
}

/// A fresh, empty database for one test, dropped when this is.
pub struct TestDb {
    pub url: String,
    admin_url: String,
    name: String,
}

impl TestDb {
    /// A new database on the test server, or `None` (with a notice on stderr) when the server
    /// cannot be reached and services are not required. Panics when they are.
    pub fn create() -> Option<TestDb> {
        let admin_url = std::env::var("ESC_TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let mut admin = match postgres::Client::connect(&admin_url, postgres::NoTls) {
            Ok(client) => client,
            Err(e) if !services_required() => {
                eprintln!(
                    "notice: PostgreSQL is not reachable at {admin_url} ({e}); skipping the database test (set ESC_REQUIRE_SERVICES=1 to fail instead)"
                );
                return None;
            }
            Err(e) => panic!("PostgreSQL is required but not reachable at {admin_url}: {e}"),
        };
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "esc_t_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            nanos
        );
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create test database");
        // The same server and user, another database.
        let (base, query) = match admin_url.split_once('?') {
            Some((base, query)) => (base, format!("?{query}")),
            None => (admin_url.as_str(), String::new()),
        };
        let base = &base[..base.rfind('/').expect("a database URL has a path")];
        let url = format!("{base}/{name}{query}");
        Some(TestDb {
            url,
            admin_url,
            name,
        })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.admin_url, postgres::NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// A temporary working directory with its own HOME, policy and ledger paths.
pub struct TestEnv {
    pub dir: TempDir,
    /// The test's own database in a PostgreSQL run.
    pub db: Option<TestDb>,
}

impl TestEnv {
    /// An empty environment (with its own database in a PostgreSQL run).
    pub fn new() -> Self {
        let db = if postgres_backend() {
            Some(TestDb::create().expect("a database for the postgres run"))
        } else {
            None
        };
        TestEnv {
            dir: tempfile::tempdir().expect("temp dir"),
            db,
        }
    }

    /// What `ESC_LEDGER` is set to: the database URL or `ledger.jsonl` in the directory.
    pub fn ledger(&self) -> std::ffi::OsString {
        match &self.db {
            Some(db) => db.url.clone().into(),
            None => self.path("ledger.jsonl").into(),
        }
    }

    /// The ledger as file text (`None` if there is none yet): the file itself, or for a
    /// database its exact copy made by `esc ledger copy` (`None` if it holds no events).
    pub fn ledger_bytes(&self) -> Option<Vec<u8>> {
        let Some(db) = &self.db else {
            return std::fs::read(self.path("ledger.jsonl")).ok();
        };
        let copy = self.dir.path().join(format!(
            "copy-{}.jsonl",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        let out = Command::cargo_bin("esc")
            .expect("binary")
            .env_clear()
            .env("HOME", self.dir.path())
            .args(["ledger", "copy"])
            .arg(&db.url)
            .arg(&copy)
            .output()
            .expect("run esc ledger copy");
        assert!(
            out.status.success(),
            "esc ledger copy failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bytes = std::fs::read(&copy).expect("copied ledger");
        let _ = std::fs::remove_file(&copy);
        (bytes.len() > r#"{"esc_ledger":1}"#.len() + 1).then_some(bytes)
    }

    /// [`TestEnv::ledger_bytes`] as text, empty if there is no ledger.
    pub fn ledger_text(&self) -> String {
        String::from_utf8(self.ledger_bytes().unwrap_or_default()).expect("utf-8 ledger")
    }

    /// Replaces the ledger with `text` (a ledger file's content): writes the file, or copies
    /// it into the (empty) database.
    pub fn put_ledger(&self, text: &str) {
        let file = self.write("ledger.jsonl", text);
        if let Some(db) = &self.db {
            let out = Command::cargo_bin("esc")
                .expect("binary")
                .env_clear()
                .env("HOME", self.dir.path())
                .args(["ledger", "copy"])
                .arg(&file)
                .arg(&db.url)
                .output()
                .expect("run esc ledger copy");
            assert!(
                out.status.success(),
                "esc ledger copy failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    /// An environment whose policy is a copy of a repository file (see
    /// [`TestEnv::with_policy`] for the actor).
    pub fn with_policy_file(rel: &str) -> Self {
        let text = std::fs::read_to_string(repo_file(rel)).expect("policy file");
        TestEnv::with_policy(&text)
    }

    /// An environment whose policy is exactly the given text (for tests of `policy check`
    /// positions).
    pub fn with_exact_policy(text: &str) -> Self {
        let env = TestEnv::new();
        env.write("policy.toml", text);
        env
    }

    /// An environment whose policy is the given text. Tests act as `tester`, whom no policy
    /// lists: the policy is written with `[defaults] unknown_actors = "allow"` (see
    /// [`allow_unknown_actors`]), so `tester` may act — holding only the authority of
    /// `anyone` (a test of a gated decision names a real `--actor`; a test of refusing
    /// unknown actors uses [`TestEnv::with_exact_policy`]).
    pub fn with_policy(text: &str) -> Self {
        let env = TestEnv::new();
        env.write("policy.toml", &allow_unknown_actors(text));
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
            .env("ESC_LEDGER", self.ledger())
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

/// The ledger's write lock held as another esc writer holds it, until [`WriteLock::release`]
/// (or drop): the lock file of a file ledger, the advisory lock of a database.
#[allow(dead_code)]
pub enum WriteLock {
    File(std::fs::File),
    Database(Box<postgres::Client>),
}

#[allow(dead_code)]
impl TestEnv {
    /// Take the ledger's write lock (the ledger must have been written to already).
    pub fn hold_write_lock(&self) -> WriteLock {
        match &self.db {
            None => {
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .open(self.path("ledger.jsonl.lock"))
                    .expect("the ledger's lock file");
                file.lock().expect("lock the ledger");
                WriteLock::File(file)
            }
            Some(db) => {
                let mut client =
                    postgres::Client::connect(&db.url, postgres::NoTls).expect("connect");
                client
                    .execute(
                        "SELECT pg_advisory_lock($1)",
                        &[&esc::store::postgres::schema::WRITE_KEY],
                    )
                    .expect("lock the ledger");
                WriteLock::Database(Box::new(client))
            }
        }
    }
}

#[allow(dead_code)]
impl WriteLock {
    /// Let other writers go on.
    pub fn release(self) {
        match self {
            WriteLock::File(file) => file.unlock().expect("unlock"),
            WriteLock::Database(mut client) => {
                client
                    .execute(
                        "SELECT pg_advisory_unlock($1)",
                        &[&esc::store::postgres::schema::WRITE_KEY],
                    )
                    .expect("unlock");
            }
        }
    }
}

/// `text` with `[defaults] unknown_actors = "allow"`: a `"refuse"` (as the shipped policies
/// have) is replaced in place, so line numbers stay; otherwise the key is added.
pub fn allow_unknown_actors(text: &str) -> String {
    if text.contains("unknown_actors") {
        return text.replace("unknown_actors = \"refuse\"", "unknown_actors = \"allow\" ");
    }
    match text.find("[defaults]\n") {
        Some(at) => {
            let end = at + "[defaults]\n".len();
            format!(
                "{}unknown_actors = \"allow\"\n{}",
                &text[..end],
                &text[end..]
            )
        }
        None => format!("{text}\n[defaults]\nunknown_actors = \"allow\"\n"),
    }
}

/// Run a command that must succeed (`what` names it in the failure); its stdout as text.
pub fn success_stdout(cmd: &mut Command, what: &[&str]) -> String {
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "esc {what:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
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
    let text = env.ledger_text();
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
