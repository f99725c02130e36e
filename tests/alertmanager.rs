//! A real Prometheus Alertmanager (Debian's `prometheus-alertmanager`) delivering webhooks to
//! `esc serve`: alerts fired through its API open one case per group, and resolving them
//! resolves the case. Skipped with a notice where the binary is missing, unless
//! `ESC_REQUIRE_SERVICES=1` (CI), where a missing Alertmanager fails.

mod common;

use common::TestEnv;
use common::serve::Server;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const TOKEN: &str = "am-test-token";

fn alertmanager_binary() -> Option<PathBuf> {
    [
        "/usr/bin/prometheus-alertmanager",
        "/usr/local/bin/alertmanager",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.is_file())
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Poll `check` up to `tries` times, a quarter second apart; the first `Some`.
fn wait_for<T>(tries: u32, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    for _ in 0..tries {
        if let Some(v) = check() {
            return Some(v);
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    None
}

fn cases(env: &TestEnv) -> Vec<Value> {
    let out = env
        .esc(&["--json", "list", "--all"])
        .env_remove("ESC_NOW")
        .output()
        .expect("esc list");
    serde_json::from_slice::<Value>(&out.stdout)
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

fn post_alerts(am: &str, alerts: &Value) {
    let resp = agent()
        .post(format!("{am}/api/v2/alerts"))
        .header("content-type", "application/json")
        .send(alerts.to_string().as_bytes())
        .expect("POST /api/v2/alerts");
    assert_eq!(resp.status().as_u16(), 200, "Alertmanager took the alerts");
}

#[test]
fn alertmanager_webhooks_open_and_resolve_cases() {
    let Some(binary) = alertmanager_binary() else {
        if std::env::var("ESC_REQUIRE_SERVICES").as_deref() == Ok("1") {
            panic!("ESC_REQUIRE_SERVICES=1 but prometheus-alertmanager is not installed");
        }
        eprintln!(
            "notice: skipping the Alertmanager test: install Debian's prometheus-alertmanager to run it"
        );
        return;
    };
    let env = TestEnv::with_policy_file("tests/fixtures/intake/policy.toml");
    let server = Server::start_on_clock(&env, &[], &[("ESC_SERVE_TOKEN", TOKEN)]);
    let port = free_port();
    let config = format!(
        r#"route:
  receiver: esc
  group_by: ["alertname"]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: esc
    webhook_configs:
      - url: "{}/v1/alertmanager"
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: "{TOKEN}"
"#,
        server.base
    );
    let config_path = env.write("alertmanager.yml", &config);
    let am = Running(
        Command::new(binary)
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!("--storage.path={}", env.path("am-data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start alertmanager"),
    );
    let base = format!("http://127.0.0.1:{port}");
    let ready = wait_for(80, || {
        agent()
            .get(format!("{base}/-/ready"))
            .call()
            .ok()
            .filter(|r| r.status().as_u16() == 200)
    });
    assert!(ready.is_some(), "Alertmanager became ready");

    let now = chrono::Utc::now();
    let alert = |instance: &str, ends: chrono::DateTime<chrono::Utc>| {
        json!({
            "labels": {"alertname": "ProbeFailure", "env": "prod", "instance": instance,
                       "severity": "critical"},
            "annotations": {"summary": format!("{instance} is down")},
            "startsAt": now.to_rfc3339(),
            "endsAt": ends.to_rfc3339(),
            "generatorURL": "http://prometheus.test/graph"
        })
    };
    let later = now + chrono::TimeDelta::hours(1);
    post_alerts(
        &base,
        &json!([alert("web-1", later), alert("web-2", later)]),
    );

    // One group (alertname) → one case, whichever order the alerts arrive in.
    let opened = wait_for(80, || {
        let c = cases(&env);
        (!c.is_empty()).then_some(c)
    })
    .expect("Alertmanager delivered the group to esc serve");
    assert_eq!(opened.len(), 1, "{opened:#?}");
    assert_eq!(opened[0]["severity"], "sev1");
    assert_eq!(opened[0]["channel"], "monitoring");
    assert_eq!(opened[0]["dedup_key"], "{}:{alertname=\"ProbeFailure\"}");

    // Resolve both: Alertmanager sends the resolved group; the rule resolves the case.
    let past = chrono::Utc::now() - chrono::TimeDelta::seconds(1);
    post_alerts(&base, &json!([alert("web-1", past), alert("web-2", past)]));
    let resolved = wait_for(80, || {
        let c = cases(&env);
        (c.len() == 1 && c[0]["status"] == "resolved").then_some(c)
    });
    assert!(
        resolved.is_some(),
        "the case was resolved: {:#?}",
        cases(&env)
    );
    drop(am);
    let (status, _) = server.stop();
    assert!(status.success());
}
