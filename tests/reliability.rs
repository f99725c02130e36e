//! The ledger's guarantees (SPEC §5) through the real binary, with plain
//! `std::process::Command`: concurrent writers, writers killed with SIGKILL, a torn tail, a
//! damaged line, refused commands, and the mode of a new ledger file.
//!
//! Everything runs at one fixed `ESC_NOW`, so no assertion depends on the wall clock.
//!
//! In the PostgreSQL run (`ESC_TEST_BACKEND=postgres`) each rig has its own database; the
//! tests about the file itself (torn tails, damaged lines, file modes) are skipped there.

mod common;

use common::{TestDb, file_only};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Barrier};
use std::time::Duration;

const NOW: &str = "2026-11-23T09:00:00Z";
const HEADER: &str = "{\"esc_ledger\":1}\n";

/// A temporary directory with the spec-excerpt policy; the ledger is `ledger.jsonl` in it.
struct Rig {
    dir: tempfile::TempDir,
    db: Option<TestDb>,
}

impl Rig {
    fn new() -> Rig {
        let dir = tempfile::tempdir().expect("temp dir");
        let policy = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spec-excerpt.toml");
        // Opening a case queues no notification here, so one command writes one line.
        let text = fs::read_to_string(policy).expect("policy") + "\n[notify.on]\nopen = []\n";
        fs::write(
            dir.path().join("policy.toml"),
            common::allow_unknown_actors(&text),
        )
        .expect("copy policy");
        let db = if common::postgres_backend() {
            Some(TestDb::create().expect("a database for the postgres run"))
        } else {
            None
        };
        Rig { dir, db }
    }

    /// What `ESC_LEDGER` is: the database URL, or the ledger file.
    fn location(&self) -> std::ffi::OsString {
        match &self.db {
            Some(db) => db.url.clone().into(),
            None => self.ledger().into(),
        }
    }

    fn ledger(&self) -> PathBuf {
        self.dir.path().join("ledger.jsonl")
    }

    fn sidecar(&self, ext: &str) -> PathBuf {
        self.dir.path().join(format!("ledger.jsonl.{ext}"))
    }

    /// The ledger file's bytes, or an exact copy of the database ledger.
    fn bytes(&self) -> Vec<u8> {
        let Some(db) = &self.db else {
            return fs::read(self.ledger()).expect("ledger");
        };
        let copy = self.dir.path().join("copy.jsonl");
        let _ = fs::remove_file(&copy);
        self.ok(&[
            "ledger",
            "copy",
            &db.url,
            copy.to_str().expect("utf-8 path"),
        ]);
        fs::read(copy).expect("copied ledger")
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_esc"));
        cmd.current_dir(self.dir.path())
            .env_clear()
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("xdg-config"))
            .env("XDG_DATA_HOME", self.dir.path().join("xdg-data"))
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("ESC_NOW", NOW)
            .env("ESC_ALLOW_FUTURE", "1")
            .env("ESC_ACTOR", "tester")
            .env("ESC_POLICY", self.dir.path().join("policy.toml"))
            .env("ESC_LEDGER", self.location())
            .args(args)
            .stdin(Stdio::null());
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run esc")
    }

    /// Runs `esc ARGS`, which must succeed; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "esc {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    /// The complete event lines of the ledger, parsed (a torn tail is left out).
    fn events(&self) -> Vec<Value> {
        let text = String::from_utf8(self.bytes()).expect("utf-8 ledger");
        assert!(text.starts_with(HEADER), "header: {text:.40}");
        let complete = &text[..text.rfind('\n').map_or(0, |i| i + 1)];
        complete
            .lines()
            .skip(1)
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }

    /// Texts of every `noted` event, in ledger order.
    fn notes(&self) -> Vec<String> {
        self.events()
            .iter()
            .filter(|e| e["event"] == "noted")
            .map(|e| e["text"].as_str().unwrap().to_string())
            .collect()
    }

    /// `esc ledger verify` must pass (exit 0, nothing damaged); returns its stdout.
    fn verify_ok(&self) -> String {
        let out = self.run(&["ledger", "verify"]);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "ledger verify failed:\n{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!stdout.contains("damaged"), "{stdout}");
        stdout
    }
}

/// `seq` runs 1, 2, … N without gaps.
fn assert_gap_free(events: &[Value]) {
    for (i, e) in events.iter().enumerate() {
        assert_eq!(
            e["seq"].as_u64(),
            Some(i as u64 + 1),
            "seq at event {i}: {e}"
        );
    }
}

/// Each text occurs at most once.
fn assert_unique(notes: &[String]) {
    let mut seen = HashSet::new();
    for n in notes {
        assert!(seen.insert(n), "note {n:?} is in the ledger twice");
    }
}

#[test]
fn eight_concurrent_writers_lose_and_interleave_nothing() {
    const WRITERS: usize = 8;
    const NOTES: usize = 25;
    let rig = Arc::new(Rig::new());
    rig.ok(&["open", "busy case"]);
    let start = Arc::new(Barrier::new(WRITERS));
    let threads: Vec<_> = (0..WRITERS)
        .map(|w| {
            let rig = Arc::clone(&rig);
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                for n in 0..NOTES {
                    let text = format!("writer {w} note {n}");
                    let out = rig.run(&["-q", "note", "ESC-1", &text]);
                    assert!(
                        out.status.success(),
                        "{text}: {}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("writer thread");
    }

    let events = rig.events();
    assert_eq!(events.len(), 1 + WRITERS * NOTES);
    assert_gap_free(&events);
    let notes = rig.notes();
    assert_unique(&notes);
    assert_eq!(notes.len(), WRITERS * NOTES);
    // Every note is there, and each writer's notes are in the order it wrote them.
    let mut next: HashMap<usize, usize> = HashMap::new();
    for note in &notes {
        let parts: Vec<&str> = note.split(' ').collect();
        let (w, n): (usize, usize) = (parts[1].parse().unwrap(), parts[3].parse().unwrap());
        let expected = next.entry(w).or_default();
        assert_eq!(n, *expected, "writer {w}'s notes out of order");
        *expected += 1;
    }
    assert!(
        (0..WRITERS).all(|w| next.get(&w) == Some(&NOTES)),
        "{next:?}"
    );
    let verify = rig.verify_ok();
    assert!(
        verify.contains(&format!("{} events in 1 cases", 1 + WRITERS * NOTES)),
        "{verify}"
    );

    // Concurrent opens get distinct case numbers.
    let start = Arc::new(Barrier::new(4));
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let rig = Arc::clone(&rig);
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                let out = rig.run(&["--json", "open", &format!("parallel {i}")]);
                assert!(out.status.success());
                let v: Value = serde_json::from_slice(&out.stdout).unwrap();
                v["id"].as_str().unwrap().to_string()
            })
        })
        .collect();
    let mut ids: Vec<String> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    ids.sort();
    assert_eq!(ids, ["ESC-2", "ESC-3", "ESC-4", "ESC-5"]);
    assert_gap_free(&rig.events());
}

#[test]
fn writers_killed_with_sigkill_lose_nothing_they_confirmed() {
    const ROUNDS: u64 = 20;
    const PER_ROUND: usize = 4;
    let rig = Rig::new();
    rig.ok(&["open", "victim"]);
    let mut confirmed: Vec<String> = Vec::new();
    let mut killed = 0;
    for round in 0..ROUNDS {
        let mut children = Vec::new();
        for k in 0..PER_ROUND {
            let text = format!("round {round} writer {k}");
            let child = rig
                .cmd(&["-q", "note", "1", &text])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn");
            children.push((text, child));
        }
        // A deterministic spread of moments, from right after spawning to after the
        // commands usually finish.
        std::thread::sleep(Duration::from_micros((round * 7919) % 15_000));
        let victim = (round as usize) % PER_ROUND;
        // The child may have finished already: killing a zombie is harmless.
        let _ = children[victim].1.kill();
        if round % 3 == 0 {
            std::thread::sleep(Duration::from_micros(1_500));
            let _ = children[(victim + 1) % PER_ROUND].1.kill();
        }
        for (text, mut child) in children {
            let status = child.wait().expect("wait");
            if status.success() {
                confirmed.push(text);
            } else {
                assert_eq!(status.signal(), Some(9), "{text}: {status:?}");
                killed += 1;
            }
        }
        // The ledger is sound (at most a torn tail), and the next command works.
        rig.verify_ok();
        let after = format!("after round {round}");
        rig.ok(&["-q", "note", "1", &after]);
        confirmed.push(after);
        let notes = rig.notes();
        for text in &confirmed {
            assert!(notes.contains(text), "confirmed note {text:?} is missing");
        }
    }
    eprintln!("{killed} of {} writers killed", ROUNDS as usize * PER_ROUND);
    assert!(killed > 0, "no writer was killed: the test did nothing");
    let events = rig.events();
    assert_gap_free(&events);
    let notes = rig.notes();
    assert_unique(&notes);
    for text in &confirmed {
        assert_eq!(notes.iter().filter(|n| *n == text).count(), 1, "{text}");
    }
    let verify = rig.verify_ok();
    assert!(
        !verify.contains("torn tail"),
        "the last append cut any torn tail: {verify}"
    );
    rig.ok(&["show", "1"]);
}

/// A fragment with no newline after it: what a crash in the middle of a write leaves.
fn append_raw(rig: &Rig, bytes: &[u8]) {
    let mut f = fs::OpenOptions::new()
        .append(true)
        .open(rig.ledger())
        .unwrap();
    f.write_all(bytes).unwrap();
}

#[test]
fn a_torn_tail_is_named_never_read_and_set_aside() {
    if file_only("a torn tail is named never read and set aside") {
        return;
    }
    let rig = Rig::new();
    rig.ok(&["open", "torn"]);
    rig.ok(&["note", "1", "before the crash"]);
    let clean = rig.bytes();
    // Half of the line a third event would have had.
    let line = br#"{"seq":3,"at":"2026-11-23T09:00:00Z","actor":"tester","case":"ESC-1","step":"update","event":"noted","text":"GHOST"}"#;
    let fragment = &line[..line.len() / 2];
    append_raw(&rig, fragment);

    let out = rig.run(&["ledger", "verify"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "a torn tail is not damage: {stdout}"
    );
    assert!(stdout.contains("torn tail"), "{stdout}");
    assert!(stdout.contains("line 4"), "{stdout}");
    assert!(
        stdout.contains(&format!("{} bytes", fragment.len())),
        "{stdout}"
    );
    let out = rig.run(&["--json", "ledger", "verify"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["torn_tail"]["line"], 4);
    assert_eq!(v["torn_tail"]["bytes"], fragment.len());
    assert_eq!(v["last_seq"], 2);

    // Reads work and do not touch the file.
    let show = rig.ok(&["--json", "show", "1"]);
    let show: Value = serde_json::from_str(&show).unwrap();
    assert_eq!(show["events"].as_array().unwrap().len(), 2);
    rig.ok(&["list"]);
    let mut torn = clean.clone();
    torn.extend_from_slice(fragment);
    assert_eq!(rig.bytes(), torn, "reads never change the ledger");

    // The next write sets the fragment aside and appends after the last complete line.
    rig.ok(&["note", "1", "after the crash"]);
    let bytes = rig.bytes();
    assert!(
        bytes.starts_with(&clean),
        "complete lines are never rewritten"
    );
    assert!(bytes.ends_with(b"\n"));
    let events = rig.events();
    assert_gap_free(&events);
    assert_eq!(events.len(), 3);
    assert_eq!(events[2]["text"], "after the crash");
    assert!(!String::from_utf8_lossy(&bytes).contains("GHOST"));
    let kept = fs::read(rig.sidecar("torn")).expect("<ledger>.torn");
    assert!(
        kept.windows(fragment.len()).any(|w| w == fragment),
        "the fragment is kept in ledger.jsonl.torn"
    );
    let verify = rig.verify_ok();
    assert!(!verify.contains("torn tail"), "{verify}");
}

#[test]
fn an_unterminated_complete_looking_line_is_still_a_torn_tail() {
    if file_only("an unterminated complete looking line is still a torn tail") {
        return;
    }
    let rig = Rig::new();
    rig.ok(&["open", "torn"]);
    let clean = rig.bytes();
    // Valid JSON, valid event, but no newline: the write did not finish.
    append_raw(
        &rig,
        br#"{"seq":2,"at":"2026-11-23T09:00:00Z","actor":"tester","case":"ESC-1","step":"update","event":"noted","text":"GHOST"}"#,
    );
    let show = rig.ok(&["show", "1"]);
    assert!(!show.contains("GHOST"), "{show}");
    let verify = rig.verify_ok();
    assert!(verify.contains("torn tail"), "{verify}");
    rig.ok(&["note", "1", "real"]);
    assert!(rig.bytes().starts_with(&clean));
    assert_eq!(rig.notes(), ["real"]);
    assert_gap_free(&rig.events());
}

#[test]
fn a_torn_header_in_a_new_ledger_is_cut_by_the_first_write() {
    if file_only("a torn header in a new ledger is cut by the first write") {
        return;
    }
    let rig = Rig::new();
    fs::write(rig.ledger(), &HEADER.as_bytes()[..7]).unwrap();
    let verify = rig.verify_ok();
    assert!(verify.contains("torn tail"), "{verify}");
    rig.ok(&["open", "first"]);
    let events = rig.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["case"], "ESC-1");
}

/// Every command stops on a damaged line, naming it, and writes nothing.
fn assert_every_command_stops_at(rig: &Rig, line: usize) {
    let before = rig.bytes();
    let needle = format!("line {line}");
    for args in [
        vec!["show", "1"],
        vec!["--json", "show", "1"],
        vec!["list"],
        vec!["list", "--all"],
        vec!["note", "1", "x"],
        vec!["open", "new"],
        vec!["ack", "1"],
        vec![
            "escalate",
            "1",
            "--reason",
            "r",
            "--summary",
            "s",
            "--tried",
            "t",
        ],
        vec!["resolve", "1", "--resolution", "r"],
    ] {
        let out = rig.run(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "esc {args:?}: {stderr}");
        assert!(stderr.starts_with("error:"), "esc {args:?}: {stderr}");
        assert!(
            stderr.contains(&needle),
            "esc {args:?} should name {needle}: {stderr}"
        );
        assert!(stderr.contains("damaged"), "esc {args:?}: {stderr}");
        assert_eq!(
            rig.bytes(),
            before,
            "esc {args:?} wrote to a damaged ledger"
        );
    }
    let out = rig.run(&["ledger", "verify"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "verify: {stdout}");
    assert!(
        stdout.contains(&needle),
        "verify should name {needle}: {stdout}"
    );
    let out = rig.run(&["--json", "ledger", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["problems"][0]["line"], line);
    assert_eq!(rig.bytes(), before, "verify wrote");
}

/// A ledger with case ESC-1 and five events (lines 2 to 6).
fn five_events(rig: &Rig) {
    rig.ok(&["open", "damaged"]);
    for n in 0..4 {
        rig.ok(&["note", "1", &format!("a note with some text {n}")]);
    }
    assert_eq!(rig.events().len(), 5);
}

#[test]
fn a_line_overwritten_in_the_middle_stops_every_command() {
    if file_only("a line overwritten in the middle stops every command") {
        return;
    }
    let rig = Rig::new();
    five_events(&rig);
    let mut bytes = rig.bytes();
    // Line 4 (seq 3): overwrite 8 bytes in its middle with garbage of the same length.
    let starts: Vec<usize> = std::iter::once(0)
        .chain(
            bytes
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .collect();
    let (start, end) = (starts[3], starts[4] - 1);
    let mid = (start + end) / 2;
    let len = bytes.len();
    bytes[mid..mid + 8].copy_from_slice(b"\"}#@!%{,");
    assert_eq!(bytes.len(), len);
    fs::write(rig.ledger(), &bytes).unwrap();
    assert_every_command_stops_at(&rig, 4);
}

#[test]
fn a_non_json_line_in_the_middle_stops_every_command() {
    if file_only("a non json line in the middle stops every command") {
        return;
    }
    let rig = Rig::new();
    five_events(&rig);
    let text = String::from_utf8(rig.bytes()).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(3, "this is not JSON");
    fs::write(rig.ledger(), format!("{}\n", lines.join("\n"))).unwrap();
    assert_every_command_stops_at(&rig, 4);
}

#[test]
fn a_missing_line_stops_every_command() {
    if file_only("a missing line stops every command") {
        return;
    }
    let rig = Rig::new();
    five_events(&rig);
    let text = String::from_utf8(rig.bytes()).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.remove(2); // seq 2 gone: line 3 holds seq 3
    fs::write(rig.ledger(), format!("{}\n", lines.join("\n"))).unwrap();
    assert_every_command_stops_at(&rig, 3);
}

/// SPEC §5: "a damaged line anywhere else stops every command". `esc show` of another case
/// only checks the shape of lines of other cases (`Ledger::read_case`), so damage inside a
/// line of ESC-1 that keeps `{"seq":N,…,"case":"ESC-1"` intact is not noticed by
/// `esc show 2`, which exits 0.
#[test]
fn damage_in_another_cases_line_stops_show() {
    if file_only("damage in another cases line stops show") {
        return;
    }
    let rig = Rig::new();
    rig.ok(&["open", "one"]);
    rig.ok(&["note", "1", "hello world"]);
    rig.ok(&["open", "two"]);
    let text = String::from_utf8(rig.bytes()).unwrap();
    let broken = text.replacen("hello", "\"}}}}", 1);
    assert_eq!(broken.len(), text.len());
    fs::write(rig.ledger(), &broken).unwrap();
    let out = rig.run(&["show", "2"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "show 2 on a damaged ledger: {stderr}"
    );
    assert!(stderr.contains("line 3"), "{stderr}");
}

#[test]
fn refused_commands_leave_the_ledger_byte_for_byte_unchanged() {
    let rig = Rig::new();
    rig.ok(&["open", "case"]);
    rig.ok(&["note", "1", "n"]);
    let before = rig.bytes();
    for args in [
        vec!["note", "ESC-x", "bad id"],
        vec!["note", "99", "no such case"],
        vec!["resume", "1"],
        vec!["close", "1"],
        vec!["deescalate", "1", "--reason", "r"],
        vec!["escalate", "1", "--reason", "r"],
        vec!["escalate", "1", "--reason", "r", "--summary", "s"],
        vec!["open", "x", "--severity", "sev9"],
    ] {
        let out = rig.run(&args);
        assert_eq!(out.status.code(), Some(1), "esc {args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).starts_with("error:"));
        assert_eq!(rig.bytes(), before, "esc {args:?} changed the ledger");
    }
    // A bad value is bad input: exit 1, like the refusals above.
    let out = rig.run(&["followup", "1", "--csat", "9"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(rig.bytes(), before);
    rig.verify_ok();
}

#[test]
fn a_new_ledger_is_readable_by_its_owner_only() {
    if file_only("a new ledger is readable by its owner only") {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let rig = Rig::new();
    assert!(!rig.ledger().exists());
    rig.ok(&["open", "first"]);
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&rig.ledger()), 0o600, "ledger");
    assert_eq!(mode(&rig.sidecar("lock")), 0o600, "lock file");
    assert_eq!(mode(&rig.sidecar("idx")), 0o600, "checkpoint");
    assert_eq!(mode(&rig.sidecar("cases")), 0o600, "case index");

    // A torn fragment kept aside is private too.
    append_raw(&rig, b"{\"seq\":2,");
    rig.ok(&["note", "1", "x"]);
    assert_eq!(mode(&rig.sidecar("torn")), 0o600, "torn fragments");

    // A ledger in a directory that does not exist yet.
    let nested = rig.dir.path().join("new/dir/ledger.jsonl");
    let out = rig
        .cmd(&["open", "elsewhere"])
        .env("ESC_LEDGER", &nested)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(mode(&nested), 0o600, "nested ledger");
}

/// What `show` and `--json show` print for three interleaved cases.
fn shown(rig: &Rig) -> Vec<String> {
    ["1", "2", "3"]
        .iter()
        .flat_map(|id| [rig.ok(&["show", id]), rig.ok(&["--json", "show", id])])
        .collect()
}

#[test]
fn the_case_index_never_changes_what_single_case_commands_see() {
    if file_only("the case index beside the ledger") {
        return;
    }
    let rig = Rig::new();
    for title in ["one", "two", "three"] {
        rig.ok(&["open", title]);
    }
    for round in 0..3 {
        for id in ["1", "3", "2"] {
            rig.ok(&["note", id, &format!("round {round} on {id}")]);
        }
    }
    let index = rig.sidecar("cases");
    assert!(index.exists(), "the first writer builds the index");
    let good = fs::read(&index).unwrap();

    // A writer that left the index behind (an older esc): the index is put back as it was
    // before the last note.
    rig.ok(&["note", "2", "while the index lagged"]);
    let lagging = shown(&rig);
    fs::write(&index, &good).unwrap();
    assert_eq!(shown(&rig), lagging, "lagging index");
    assert!(lagging[2].contains("while the index lagged"));

    let damages: [(&str, &dyn Fn()); 4] = [
        ("deleted", &|| fs::remove_file(&index).unwrap()),
        ("truncated", &|| {
            fs::write(&index, &good[..good.len() / 3]).unwrap()
        }),
        ("garbage", &|| {
            let junk: Vec<u8> = good.iter().map(|b| b.wrapping_mul(31) ^ 0xa5).collect();
            fs::write(&index, junk).unwrap()
        }),
        ("entries garbled", &|| {
            let mut bytes = good.clone();
            for b in bytes.iter_mut().skip(96).step_by(7) {
                *b ^= 0xff;
            }
            fs::write(&index, bytes).unwrap()
        }),
    ];
    for (what, damage) in damages {
        // What a read without any index (the full scan) shows.
        let _ = fs::remove_file(&index);
        let truth = shown(&rig);
        fs::write(&index, &good).unwrap();
        damage();
        assert_eq!(shown(&rig), truth, "index {what}");
        // Writes go on, and what they see is right.
        rig.ok(&["note", "1", &format!("after the index was {what}")]);
        let after = rig.ok(&["--json", "show", "1"]);
        assert!(
            after.contains(&format!("after the index was {what}")),
            "{what}"
        );
    }
    // An edit of the ledger outside esc: the checkpoint no longer vouches, every command
    // reads the edited file.
    let text = String::from_utf8(rig.bytes()).unwrap();
    fs::write(
        rig.ledger(),
        text.replacen("round 0 on 3", "ROUND 0 ON 3", 1),
    )
    .unwrap();
    assert!(rig.ok(&["show", "3"]).contains("ROUND 0 ON 3"));
    rig.ok(&["note", "3", "after the edit"]);
    let shown3 = rig.ok(&["show", "3"]);
    assert!(shown3.contains("ROUND 0 ON 3") && shown3.contains("after the edit"));
    rig.verify_ok();
}
