//! `esc serve`: the HTTP receiver — routes, bearer token, body limit, bad payloads, a busy
//! ledger, graceful stop — through the real binary on a loopback port.

mod common;

use common::serve::Server;
use common::{TestEnv, ledger_events, repo_file};

const POLICY: &str = "tests/fixtures/intake/policy.toml";

fn firing() -> Vec<u8> {
    std::fs::read(repo_file("tests/fixtures/alertmanager/firing.json")).unwrap()
}

fn ledger_bytes(env: &TestEnv) -> Vec<u8> {
    env.ledger_bytes().unwrap_or_default()
}

#[test]
fn serve_takes_webhooks_and_events_and_stops_on_sigterm() {
    let env = TestEnv::with_policy_file(POLICY);
    let server = Server::start(&env, &[], &[]);
    let health = server.get("/healthz");
    assert_eq!(health.status, 200);
    assert_eq!(health.body["status"], "ok");

    let a = server.post("/v1/alertmanager", &firing(), None);
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(a.body["results"][0]["action"], "opened");
    assert_eq!(a.body["results"][0]["case"], "ESC-1");
    let b = server.post("/v1/alertmanager", &firing(), None);
    assert_eq!(b.body["results"][0]["action"], "noted");
    assert_eq!(b.body["results"][0]["count"], 2);
    let e = server.post(
        "/v1/events",
        br#"{"dedup_key":"db-1/disk","action":"trigger","summary":"disk full","source":"db-1"}"#,
        None,
    );
    assert_eq!(e.status, 200, "{:?}", e.body);
    assert_eq!(e.body["results"][0]["case"], "ESC-2");

    let (status, _) = server.stop();
    assert!(status.success(), "SIGTERM is a clean stop: {status}");
    let events = ledger_events(&env);
    assert_eq!(events.iter().filter(|e| e["event"] == "opened").count(), 2);
    assert_eq!(events.iter().filter(|e| e["event"] == "alerted").count(), 3);
}

#[test]
fn bad_payloads_get_400_with_a_json_error_and_write_nothing() {
    let env = TestEnv::with_policy_file(POLICY);
    let server = Server::start(&env, &[], &[]);
    server.post("/v1/alertmanager", &firing(), None);
    let before = ledger_bytes(&env);
    for (path, body, phrase) in [
        ("/v1/alertmanager", &b"{not json"[..], "is not valid"),
        (
            "/v1/alertmanager",
            br#"{"status":"firing","alerts":[{"status":"firing","labels":{"alertname":"Nope"}}],"version":"4","groupKey":"g"}"#,
            "matches no [[intake]] rule",
        ),
        ("/v1/events", br#"{"action":"trigger"}"#, "missing field `dedup_key`"),
        ("/v1/events", br#"{"dedup_key":"k","action":"trigger","source":"x"}"#, "needs a `summary`"),
    ] {
        let a = server.post(path, body, None);
        assert_eq!(a.status, 400, "{path} {:?}", a.body);
        let message = a.body["error"].as_str().expect("a JSON error");
        assert!(message.contains(phrase), "{message}");
        assert!(message.contains("nothing recorded"), "{message}");
    }
    assert_eq!(ledger_bytes(&env), before, "the ledger is byte-identical");
}

#[test]
fn a_token_is_required_when_set_and_a_wrong_one_is_refused() {
    let env = TestEnv::with_policy_file(POLICY);
    let server = Server::start(&env, &[], &[("ESC_SERVE_TOKEN", "s3cret")]);
    for token in [None, Some("wrong"), Some("s3cre"), Some("s3cret2")] {
        let a = server.post("/v1/alertmanager", &firing(), token);
        assert_eq!(a.status, 401, "{token:?}");
        assert!(a.body["error"].as_str().unwrap().contains("bearer token"));
    }
    assert!(!env.path("ledger.jsonl").exists(), "nothing written");
    let ok = server.post("/v1/alertmanager", &firing(), Some("s3cret"));
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    // Health needs no token (for load balancers).
    assert_eq!(server.get("/healthz").status, 200);
}

#[test]
fn serve_refuses_to_listen_beyond_loopback_without_a_token() {
    let env = TestEnv::with_policy_file(POLICY);
    let out = env
        .esc(&["serve", "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refusing to listen on 0.0.0.0:0 without a token"),
        "{err}"
    );
    assert!(err.contains("$ESC_SERVE_TOKEN"), "{err}");
}

#[test]
fn an_oversized_body_gets_413_and_writes_nothing() {
    let env = TestEnv::with_policy_file(POLICY);
    let server = Server::start(&env, &["--max-body", "1000"], &[]);
    let body = firing();
    assert!(body.len() > 1000);
    let a = server.post("/v1/alertmanager", &body, None);
    assert_eq!(a.status, 413);
    assert!(a.body["error"].as_str().unwrap().contains("--max-body"));
    assert!(!env.path("ledger.jsonl").exists());
}

#[test]
fn a_busy_ledger_gets_503_with_retry_after_and_nothing_is_written_later() {
    let env = TestEnv::with_policy_file(POLICY);
    let server = Server::start(&env, &["--busy-timeout", "1s"], &[]);
    server.post("/v1/alertmanager", &firing(), None);
    let before = ledger_bytes(&env);
    // Another esc command holds the ledger's lock.
    let lock = env.hold_write_lock();
    let a = server.post("/v1/alertmanager", &firing(), None);
    assert_eq!(a.status, 503, "{:?}", a.body);
    assert_eq!(a.retry_after.as_deref(), Some("5"));
    assert!(a.body["error"].as_str().unwrap().contains("busy"));
    lock.release();
    // Once the lock is free the next request is written; the abandoned one never is.
    let b = server.post("/v1/alertmanager", &firing(), None);
    assert_eq!(b.status, 200);
    assert_eq!(
        b.body["results"][0]["count"], 2,
        "the 503'd payload was dropped"
    );
    let after = ledger_bytes(&env);
    assert!(after.starts_with(&before));
}

#[test]
fn sigterm_lets_an_in_flight_write_finish() {
    let env = TestEnv::with_policy_file(POLICY);
    let server = Server::start(&env, &["--busy-timeout", "30s"], &[]);
    server.post("/v1/alertmanager", &firing(), None);
    let lock = env.hold_write_lock();
    std::thread::scope(|s| {
        let pending = s.spawn(|| server.post("/v1/alertmanager", &firing(), None));
        // Let the request reach the writer, which now waits for the lock.
        std::thread::sleep(std::time::Duration::from_millis(300));
        server.terminate();
        std::thread::sleep(std::time::Duration::from_millis(200));
        lock.release();
        let answer = pending.join().unwrap();
        assert_eq!(answer.status, 200, "{:?}", answer.body);
        assert_eq!(answer.body["results"][0]["count"], 2);
    });
    let (status, _) = server.stop();
    assert!(status.success());
    let alerted = ledger_events(&env)
        .iter()
        .filter(|e| e["event"] == "alerted")
        .count();
    assert_eq!(
        alerted, 2,
        "the in-flight payload was written before the stop"
    );
}

#[test]
fn serve_and_other_commands_write_the_same_ledger_at_once() {
    let env = TestEnv::with_policy_file(POLICY);
    let server = Server::start(&env, &[], &[]);
    std::thread::scope(|s| {
        let posts = s.spawn(|| {
            (0..40)
                .map(|_| server.post("/v1/alertmanager", &firing(), None).status)
                .collect::<Vec<u16>>()
        });
        for i in 0..8 {
            env.esc(&["open", &format!("phone call {i}")])
                .assert()
                .success();
        }
        assert!(posts.join().unwrap().iter().all(|s| *s == 200));
    });
    let (status, _) = server.stop();
    assert!(status.success());
    env.esc(&["ledger", "verify"]).assert().success();
    let events = ledger_events(&env);
    assert_eq!(events.iter().filter(|e| e["event"] == "opened").count(), 9);
    let counts: Vec<u64> = events
        .iter()
        .filter(|e| e["event"] == "alerted")
        .map(|e| e["count"].as_u64().unwrap())
        .collect();
    assert_eq!(
        counts,
        (1..=40).collect::<Vec<u64>>(),
        "no post lost or counted twice"
    );
}
