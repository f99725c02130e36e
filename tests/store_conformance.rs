//! One conformance suite, two backends: every test here runs the same assertions against the
//! JSON Lines file and against PostgreSQL (a fresh database per test) through the
//! `esc::store` interface the commands use, plus `esc ledger copy` and team-scale concurrency
//! through the real binary.
//!
//! Without a reachable server (`ESC_TEST_DATABASE_URL`, default
//! `postgres://root@127.0.0.1:5432/test`) the database half prints a notice and is skipped,
//! unless `ESC_REQUIRE_SERVICES=1` or `ESC_TEST_BACKEND=postgres`, which make it fail.

mod common;

use chrono::{TimeZone, Utc};
use common::{TestDb, TestEnv};
use esc::case::{Event, NewEvent, Record, Seen};
use esc::store::{self, Location, Store, StoreError};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier};

/// One backend under test; keeps its directory or database alive.
struct Backend {
    name: &'static str,
    location: Location,
    _dir: tempfile::TempDir,
    _db: Option<TestDb>,
}

impl Backend {
    fn open(&self) -> Box<dyn Store> {
        store::open(&self.location).unwrap_or_else(|e| panic!("{}: {e}", self.name))
    }
}

/// The file backend, and the database backend when a server is reachable.
fn backends() -> Vec<Backend> {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut all = vec![Backend {
        name: "file",
        location: Location::File(dir.path().join("ledger.jsonl")),
        _dir: dir,
        _db: None,
    }];
    if let Some(db) = TestDb::create() {
        all.push(Backend {
            name: "postgres",
            location: Location::Postgres(db.url.clone()),
            _dir: tempfile::tempdir().expect("temp dir"),
            _db: Some(db),
        });
    }
    all
}

fn at(minute: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, minute % 60, 0)
        .single()
        .expect("valid time")
}

fn note(case: &str, text: &str) -> NewEvent {
    NewEvent {
        at: at(1),
        actor: "ana".into(),
        case: case.into(),
        event: Event::Noted { text: text.into() },
        policy: None,
    }
}

fn opened(case: &str) -> NewEvent {
    NewEvent {
        at: at(0),
        actor: "ana".into(),
        case: case.into(),
        event: Event::Opened {
            title: format!("{case}: \"login\" fails\nfor everyone \u{1b}[31m").into(),
            severity: "sev2".into(),
            case_type: "incident".into(),
            account: Some("acme".into()),
            reporter: None,
            channel: None,
            labels: vec!["auth".into()],
            description: None,
            dedup_key: None,
            path: "support".into(),
            tier: "l1".into(),
            owner: "ana".into(),
        },
        policy: None,
    }
}

fn seqs(records: &[Record]) -> Vec<u64> {
    records.iter().map(|r| r.seq).collect()
}

fn all(store: &dyn Store) -> Vec<Record> {
    let mut records = Vec::new();
    store.visit(&mut |r| records.push(r)).expect("visit");
    records
}

#[test]
fn an_empty_ledger_reads_as_empty() {
    for b in backends() {
        let store = b.open();
        assert!(store.read_case("ESC-1").unwrap().is_empty(), "{}", b.name);
        assert!(all(&*store).is_empty(), "{}", b.name);
        assert_eq!(store.next_case_number().unwrap(), 1, "{}", b.name);
        let report = store.verify().unwrap();
        assert!(report.is_ok() && !report.exists, "{}: {report:?}", b.name);
        assert_eq!(report.events, 0);
    }
}

#[test]
fn a_skimming_read_hands_on_what_a_full_read_does_with_or_without_the_lock() {
    let queued = |case: &str, minute: u32, promise: Option<u32>| NewEvent {
        at: at(minute),
        event: Event::NotificationQueued {
            action: "update".into(),
            recipients: vec!["jo@customer.example".into()],
            message: r#"a "promise":"2030-01-01T00:00:00Z" in words"#.into(),
            due: at(minute),
            audience: esc::case::event::Audience::Customer,
            clock: None,
            promise: promise.map(at),
        },
        ..note(case, "")
    };
    let skim = esc::case::outbox_bookkeeping;
    for b in backends() {
        let store = b.open();
        let mut w = store.lock().unwrap();
        w.append(vec![opened("ESC-1"), queued("ESC-1", 2, Some(30))])
            .unwrap();
        let later = NewEvent {
            at: at(3),
            ..note("ESC-1", "a")
        };
        w.append(vec![later, queued("ESC-1", 4, None)]).unwrap();
        let wanted: Vec<Seen> = all(&*store)
            .into_iter()
            .map(|r| Seen::of(r, skim))
            .collect();
        let skimmed = wanted
            .iter()
            .filter(|s| matches!(s, Seen::Skimmed(_)))
            .count();
        assert_eq!(skimmed, 2, "{}", b.name);
        let mut locked = Vec::new();
        w.visit_skimming(skim, &mut |s| locked.push(s)).unwrap();
        assert_eq!(locked, wanted, "{} under the lock", b.name);
        drop(w);
        let mut unlocked = Vec::new();
        store
            .visit_skimming(skim, &mut |s| unlocked.push(s))
            .unwrap();
        assert_eq!(unlocked, wanted, "{}", b.name);
    }
}

#[test]
fn batches_are_numbered_gap_free_and_read_back_as_written() {
    for b in backends() {
        let store = b.open();
        let mut writer = store.lock().unwrap();
        let first = writer
            .append(vec![opened("ESC-1"), note("ESC-1", "first")])
            .unwrap();
        assert_eq!(seqs(&first), [1, 2], "{}", b.name);
        assert!(writer.append(Vec::new()).unwrap().is_empty());
        assert_eq!(writer.next_case_number().unwrap(), 2, "{}", b.name);
        let second = writer
            .append(vec![
                opened("ESC-2"),
                note("ESC-1", "second"),
                opened("ESC-10"),
            ])
            .unwrap();
        assert_eq!(seqs(&second), [3, 4, 5], "{}", b.name);
        assert_eq!(seqs(&writer.read_case("ESC-1").unwrap()), [1, 2, 4]);
        drop(writer);

        // A fresh handle sees exactly what was returned, in order.
        let store = b.open();
        let mut expected = first.clone();
        expected.extend(second.clone());
        assert_eq!(all(&*store), expected, "{}", b.name);
        assert_eq!(
            store.read_case("ESC-1").unwrap(),
            vec![first[0].clone(), first[1].clone(), second[1].clone()]
        );
        assert_eq!(seqs(&store.read_case("ESC-10").unwrap()), [5]);
        assert!(store.read_case("ESC-100").unwrap().is_empty());
        assert_eq!(store.next_case_number().unwrap(), 11, "{}", b.name);
        let report = store.verify().unwrap();
        assert!(report.is_ok(), "{}: {report:?}", b.name);
        assert_eq!((report.events, report.cases, report.last_seq), (5, 3, 5));
    }
}

#[test]
fn writers_on_separate_handles_take_turns() {
    for b in backends() {
        let location = Arc::new(b.location.clone());
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let location = Arc::clone(&location);
                std::thread::spawn(move || {
                    let store = store::open(&location).expect("open");
                    for i in 0..15 {
                        let mut writer = store.lock().expect("lock");
                        let n = writer.next_case_number().expect("next");
                        let case = format!("ESC-{n}");
                        writer
                            .append(vec![opened(&case), note(&case, &format!("{t}/{i}"))])
                            .expect("append");
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("writer thread");
        }
        let store = b.open();
        let records = all(&*store);
        assert_eq!(seqs(&records), (1..=120).collect::<Vec<_>>(), "{}", b.name);
        let cases: HashSet<&str> = records.iter().map(|r| r.case.as_str()).collect();
        assert_eq!(cases.len(), 60, "{}: every case number given once", b.name);
        // Each batch stayed together: a case's note follows its opening directly.
        for pair in records.chunks(2) {
            assert_eq!(pair[0].case, pair[1].case, "{}", b.name);
        }
        assert_eq!(store.next_case_number().unwrap(), 61);
        assert!(store.verify().unwrap().is_ok());
    }
}

#[test]
fn a_writer_excludes_other_writers_until_dropped() {
    for b in backends() {
        let store = b.open();
        let writer = store.lock().unwrap();
        let location = b.location.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        let other = std::thread::spawn(move || {
            let store = store::open(&location).expect("open");
            let mut writer = store.lock().expect("lock");
            tx.send(()).expect("send");
            writer.append(vec![opened("ESC-1")]).expect("append");
        });
        // The other writer waits while this one holds the lock.
        assert!(
            rx.recv_timeout(std::time::Duration::from_millis(300))
                .is_err(),
            "{}: a second writer got in",
            b.name
        );
        drop(writer);
        rx.recv().expect("the other writer gets the lock");
        other.join().expect("other writer");
        assert_eq!(seqs(&all(&*b.open())), [1], "{}", b.name);
    }
}

/// A ledger file with multi-event batches, hand-formatted text and batch markers, as
/// `esc` writes and as people may have edited it.
fn sample_ledger() -> String {
    let mut text = String::from("{\"esc_ledger\":1}\n");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.jsonl");
    let store = store::open(&Location::File(path.clone())).unwrap();
    let mut writer = store.lock().unwrap();
    writer.append(vec![opened("ESC-1")]).unwrap();
    writer
        .append(vec![
            opened("ESC-2"),
            note("ESC-2", "a"),
            note("ESC-1", "b"),
        ])
        .unwrap();
    drop(writer);
    let written = std::fs::read_to_string(&path).unwrap();
    // The second batch carries the commit marker on all but its last line.
    assert!(written.contains(",\"more\":true}\n"), "{written}");
    text.push_str(written.strip_prefix("{\"esc_ledger\":1}\n").unwrap());
    // A line formatted by hand (spaces, key order) is copied as it is.
    text.push_str(
        r#"{ "seq": 5, "at": "2026-11-23T09:05:00Z", "actor": "bo", "case": "ESC-1", "step": "update", "event": "noted", "text": "by hand \u00e9" }"#,
    );
    text.push('\n');
    text
}

#[test]
fn copy_file_to_database_and_back_is_byte_identical() {
    let Some(db) = TestDb::create() else {
        return;
    };
    let env = TestEnv::new();
    let original = sample_ledger();
    env.write("original.jsonl", &original);
    let run = |args: &[&str]| {
        let out = env.esc(args).output().expect("run esc");
        assert!(
            out.status.success(),
            "esc {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let file = env.path("original.jsonl");
    let back = env.path("back/ledger.jsonl");
    let said = run(&["ledger", "copy", file.to_str().unwrap(), &db.url]);
    assert!(said.contains("copied 5 events"), "{said}");
    run(&["--ledger", &db.url, "ledger", "verify"]);
    run(&["ledger", "copy", &db.url, back.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(&back).unwrap(), original);
    run(&["--ledger", back.to_str().unwrap(), "ledger", "verify"]);

    // Batches survive in the database: the marked lines share one batch.
    let mut client = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let batches: Vec<i64> = client
        .query("SELECT batch FROM esc_events ORDER BY seq", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(batches, [1, 2, 2, 2, 3]);

    // Neither direction overwrites or merges: a second copy is refused, writing nothing.
    for (from, to) in [
        (file.to_str().unwrap(), db.url.as_str()),
        (db.url.as_str(), back.to_str().unwrap()),
    ] {
        let out = env.esc(&["ledger", "copy", from, to]).output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("already holds a ledger"), "{err}");
    }
    assert_eq!(std::fs::read_to_string(&back).unwrap(), original);
    let count: i64 = client
        .query_one("SELECT count(*) FROM esc_events", &[])
        .unwrap()
        .get(0);
    assert_eq!(count, 5);
}

#[test]
fn events_appended_in_the_database_copy_out_as_the_file_would_hold_them() {
    let Some(db) = TestDb::create() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ledger.jsonl");
    let batches = || {
        vec![
            vec![opened("ESC-1")],
            vec![opened("ESC-2"), note("ESC-2", "two"), note("ESC-1", "one")],
            vec![note("ESC-2", "three")],
        ]
    };
    for location in [
        Location::File(file.clone()),
        Location::Postgres(db.url.clone()),
    ] {
        let store = store::open(&location).unwrap();
        let mut writer = store.lock().unwrap();
        for batch in batches() {
            writer.append(batch).unwrap();
        }
    }
    let copy = dir.path().join("copy.jsonl");
    let source = store::open(&Location::Postgres(db.url.clone())).unwrap();
    let target = store::open(&Location::File(copy.clone())).unwrap();
    let mut sink = target.importer().unwrap();
    source.export(&mut *sink).unwrap();
    assert_eq!(sink.finish().unwrap(), 5);
    assert_eq!(std::fs::read(&copy).unwrap(), std::fs::read(&file).unwrap());
}

#[test]
fn a_newer_schema_is_refused_and_migrate_is_recorded() {
    let Some(db) = TestDb::create() else {
        return;
    };
    let location = Location::Postgres(db.url.clone());
    let store = store::open(&location).unwrap();
    assert_eq!(store.migrate().unwrap(), [1]);
    assert!(store.migrate().unwrap().is_empty());
    let mut client = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let versions: Vec<i64> = client
        .query(
            "SELECT version FROM esc_schema_migrations ORDER BY version",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(versions, [1]);
    client
        .execute(
            "INSERT INTO esc_schema_migrations (version, name) VALUES (99, 'from the future')",
            &[],
        )
        .unwrap();
    match store::open(&location) {
        Err(StoreError::SchemaTooNew {
            found: 99,
            known: 1,
            ..
        }) => {}
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("a schema from the future was accepted"),
    }
    let env = TestEnv::with_policy_file("tests/fixtures/spec-excerpt.toml");
    let out = env.esc(&["--ledger", &db.url, "list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("schema version 99") && err.contains("newer esc"),
        "{err}"
    );
}

#[test]
fn damage_in_the_database_is_named_and_stops_reads() {
    let Some(db) = TestDb::create() else {
        return;
    };
    let location = Location::Postgres(db.url.clone());
    let store = store::open(&location).unwrap();
    let mut writer = store.lock().unwrap();
    writer
        .append(vec![
            opened("ESC-1"),
            note("ESC-1", "a"),
            note("ESC-1", "b"),
        ])
        .unwrap();
    drop(writer);
    let mut client = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    client
        .execute("UPDATE esc_events SET line = 'garbage' WHERE seq = 2", &[])
        .unwrap();
    let store = store::open(&location).unwrap();
    let err = store.read_case("ESC-1").unwrap_err().to_string();
    assert!(err.contains("damaged at seq 2"), "{err}");
    let report = store.verify().unwrap();
    assert_eq!(report.problems.len(), 1, "{report:?}");
    assert_eq!(report.problems[0].line, 3);
    client
        .execute("DELETE FROM esc_events WHERE seq = 2", &[])
        .unwrap();
    let err = store.visit(&mut |_| {}).unwrap_err().to_string();
    assert!(err.contains("gap"), "{err}");
}

#[test]
fn an_unreachable_database_is_a_clear_error_that_hides_the_password() {
    let env = TestEnv::with_policy_file("tests/fixtures/spec-excerpt.toml");
    // Port 1 on localhost: nothing listens there.
    let url = "postgres://bo:s3cret@127.0.0.1:1/esc";
    for args in [vec!["list"], vec!["open", "x"], vec!["ledger", "verify"]] {
        let mut full = vec!["--ledger", url];
        full.extend(args.iter().copied());
        let out = env.esc(&full).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("cannot connect to the ledger database"),
            "{err}"
        );
        assert!(err.contains("postgres://bo:***@127.0.0.1:1/esc"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
    }
}

#[test]
fn init_creates_the_schema_and_refuses_a_second_time() {
    let Some(db) = TestDb::create() else {
        return;
    };
    let env = TestEnv::new();
    let out = env
        .esc(&["--ledger", &db.url, "init", "team"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(env.path("team/.esc/policy.toml").exists());
    assert!(!env.path("team/.esc/ledger.jsonl").exists());
    let out = env
        .esc(&["--ledger", &db.url, "ledger", "migrate"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .trim_end()
            .rsplit(' ')
            .next(),
        Some("date")
    );
    let out = env
        .esc(&["--ledger", &db.url, "init", "other"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already holds esc's tables"));
    assert!(
        !env.path("other/.esc/policy.toml").exists(),
        "nothing half-made"
    );
}

// ---------------------------------------------------------------------------------------
// Team scale through the binary.

const T0: &str = "2026-11-23T09:00:00Z";
const T1: &str = "2026-11-23T09:40:00Z";

fn esc(env: &TestEnv, location: &std::ffi::OsStr, now: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_esc"));
    cmd.current_dir(env.dir.path())
        .env_clear()
        .env("HOME", env.dir.path())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("ESC_NOW", now)
        .env("ESC_ACTOR", "tester")
        .env("ESC_POLICY", env.path("policy.toml"))
        .env("ESC_LEDGER", location)
        .args(args)
        .stdin(Stdio::null());
    cmd
}

fn ok(mut cmd: Command) -> String {
    let out = cmd.output().expect("run esc");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// 16 processes (open, ack, note, escalate) and 3 overlapping sweeps on one ledger: every
/// command succeeds, nothing is lost or recorded twice, `seq` stays gap-free.
#[test]
fn sixteen_writers_and_three_sweeps_lose_and_repeat_nothing() {
    for b in backends() {
        let env = TestEnv::with_policy_file("tests/fixtures/spec-excerpt.toml");
        // The policy's notifier: one that takes every notification (a sweep whose deliveries
        // all fail exits 1).
        let script = env.write("notify.sh", "#!/bin/sh\ncat > /dev/null\n");
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod");
        let location: std::ffi::OsString = match &b.location {
            Location::File(path) => path.clone().into(),
            Location::Postgres(url) => url.clone().into(),
        };
        // 40 sev3 cases for people to work on, 8 sev1 cases for the sweeps to act on.
        let mut lines = String::new();
        for i in 0..48 {
            let severity = if i < 40 { "sev3" } else { "sev1" };
            lines.push_str(&format!(
                "{{\"title\":\"case {i}\",\"severity\":\"{severity}\",\"opened_at\":\"{T0}\"}}\n"
            ));
        }
        env.write("cases.jsonl", &lines);
        ok(esc(&env, &location, T0, &["import", "cases.jsonl"]));

        const ROUNDS: usize = 5;
        let start = Arc::new(Barrier::new(16 + 3));
        let env = Arc::new(env);
        let location = Arc::new(location);
        let mut threads = Vec::new();
        for w in 0..16usize {
            let (env, location, start) =
                (Arc::clone(&env), Arc::clone(&location), Arc::clone(&start));
            threads.push(std::thread::spawn(move || {
                start.wait();
                for r in 0..ROUNDS {
                    // Workers 0-3 open, 4-7 ack, 8-11 note, 12-15 escalate; each acks and
                    // escalates its own cases, so no refusal is legitimate.
                    // Workers 0-3 open, 4-7 ack cases 1-20, 8-11 note on them, 12-15
                    // escalate cases 21-40: no refusal is legitimate.
                    let own = (w % 4) * ROUNDS + r + 1;
                    let case = if w / 4 == 3 { own + 20 } else { own }.to_string();
                    let text = format!("worker {w} round {r}");
                    let args: Vec<&str> = match w / 4 {
                        0 => vec!["open", &text],
                        1 => vec!["ack", &case],
                        2 => vec!["note", &case, &text],
                        _ => vec![
                            "escalate",
                            &case,
                            "--reason",
                            &text,
                            "--summary",
                            "s",
                            "--tried",
                            "t",
                        ],
                    };
                    ok(esc(&env, &location, T1, &args));
                }
            }));
        }
        for _ in 0..3 {
            let (env, location, start) =
                (Arc::clone(&env), Arc::clone(&location), Arc::clone(&start));
            threads.push(std::thread::spawn(move || {
                start.wait();
                ok(esc(&env, &location, T1, &["--json", "sweep"]));
            }));
        }
        for t in threads {
            t.join()
                .unwrap_or_else(|_| panic!("{}: a command failed", b.name));
        }

        let text = match &b.location {
            Location::File(path) => std::fs::read_to_string(path).unwrap(),
            Location::Postgres(url) => {
                let copy = env.path("copy.jsonl");
                ok(esc(
                    &env,
                    std::ffi::OsStr::new(url),
                    T1,
                    &["ledger", "copy", url, copy.to_str().unwrap()],
                ));
                std::fs::read_to_string(copy).unwrap()
            }
        };
        let events: Vec<Value> = text
            .lines()
            .skip(1)
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect();
        for (i, e) in events.iter().enumerate() {
            assert_eq!(
                e["seq"].as_u64(),
                Some(i as u64 + 1),
                "{}: seq gap-free",
                b.name
            );
        }
        let count = |name: &str| events.iter().filter(|e| e["event"] == name).count();
        assert_eq!(count("opened"), 48 + 4 * ROUNDS, "{}", b.name);
        assert_eq!(count("acknowledged"), 4 * ROUNDS, "{}", b.name);
        assert_eq!(count("noted"), 4 * ROUNDS, "{}", b.name);
        let by_people = |name: &str| {
            events
                .iter()
                .filter(|e| e["event"] == name && e["actor"] == "tester")
                .count()
        };
        assert!(by_people("escalated") >= 4 * ROUNDS, "{}", b.name);
        let ids: HashSet<&str> = events
            .iter()
            .filter(|e| e["event"] == "opened")
            .map(|e| e["case"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids.len(),
            48 + 4 * ROUNDS,
            "{}: case numbers unique",
            b.name
        );
        let notes: HashSet<&str> = events
            .iter()
            .filter(|e| e["event"] == "noted")
            .map(|e| e["text"].as_str().unwrap())
            .collect();
        assert_eq!(notes.len(), 4 * ROUNDS, "{}: no note twice", b.name);
        // The sweeps acted once: each (case, event, detail) the sweep records appears once.
        let mut acted: HashMap<String, usize> = HashMap::new();
        for e in events.iter().filter(|e| {
            matches!(
                e["event"].as_str(),
                Some(
                    "sla_warning"
                        | "sla_breach"
                        | "trigger_fired"
                        | "escalated"
                        | "notification_queued"
                )
            )
        }) {
            let mut key = e.clone();
            key.as_object_mut().unwrap().remove("seq");
            *acted.entry(key.to_string()).or_default() += 1;
        }
        assert!(!acted.is_empty(), "{}: the sweeps had work", b.name);
        let twice: Vec<_> = acted.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "{}: acted twice: {twice:?}", b.name);
        let out = esc(&env, &location, T1, &["ledger", "verify"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(Path::new(env.dir.path()).exists());
    }
}

#[test]
fn a_batch_the_database_refuses_leaves_nothing() {
    let Some(db) = TestDb::create() else {
        return;
    };
    let store = store::open(&Location::Postgres(db.url.clone())).unwrap();
    let mut writer = store.lock().unwrap();
    writer.append(vec![opened("ESC-1")]).unwrap();
    // A second opening of ESC-1 breaks the one-opening index: the whole batch is refused.
    let err = writer
        .append(vec![note("ESC-1", "x"), opened("ESC-1")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("duplicate key"), "{err}");
    assert!(err.contains("esc_events_one_opening"), "{err}");
    let next = writer.append(vec![note("ESC-1", "y")]).unwrap();
    assert_eq!(seqs(&next), [2], "no seq was used by the refused batch");
    drop(writer);
    assert_eq!(seqs(&all(&*store)), [1, 2]);
    assert!(store.verify().unwrap().is_ok());
}
