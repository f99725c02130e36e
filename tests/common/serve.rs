//! `esc serve` for tests: start it on a free loopback port, talk HTTP to it, stop it with
//! SIGTERM.

use super::TestEnv;
use std::io::{BufRead, BufReader};
use std::process::{Child, ExitStatus, Stdio};

/// A running `esc serve`.
pub struct Server {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

/// An HTTP answer: status, `Retry-After`, body as JSON (Null if not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: serde_json::Value,
}

impl Server {
    /// `esc serve --listen 127.0.0.1:0 EXTRA…` in `env` (at the env's fixed `now`), with
    /// extra environment variables.
    pub fn start(env: &TestEnv, extra: &[&str], vars: &[(&str, &str)]) -> Server {
        let mut args = vec!["serve", "--listen", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        let mut cmd = env.std_esc(&args);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        Server::spawn(cmd)
    }

    /// As [`Server::start`], on the real clock (no `ESC_NOW`).
    pub fn start_on_clock(env: &TestEnv, extra: &[&str], vars: &[(&str, &str)]) -> Server {
        let mut args = vec!["serve", "--listen", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        let mut cmd = env.std_esc(&args);
        cmd.env_remove("ESC_NOW");
        for (k, v) in vars {
            cmd.env(k, v);
        }
        Server::spawn(cmd)
    }

    fn spawn(mut cmd: std::process::Command) -> Server {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn esc serve");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout");
        let mut reader = BufReader::new(stdout);
        reader
            .read_line(&mut line)
            .expect("read the listening line");
        if line.is_empty() {
            let out = child.wait_with_output().expect("wait");
            panic!(
                "esc serve did not start: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            while reader.read_line(&mut sink).unwrap_or(0) > 0 {
                sink.clear();
            }
        });
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .expect("listening address")
            .to_string();
        Server {
            child: Some(child),
            base: format!("http://{addr}"),
        }
    }

    fn agent() -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into()
    }

    fn answer(resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
        let mut resp = resp.expect("HTTP request");
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        Answer {
            status,
            retry_after,
            body: serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        }
    }

    /// POST `body` to `path`, with a bearer token if given.
    pub fn post(&self, path: &str, body: &[u8], token: Option<&str>) -> Answer {
        let mut req = Self::agent()
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json");
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        Self::answer(req.send(body))
    }

    /// GET `path`.
    pub fn get(&self, path: &str) -> Answer {
        Self::answer(Self::agent().get(format!("{}{path}", self.base)).call())
    }

    /// Send SIGTERM (a graceful stop) without waiting.
    pub fn terminate(&self) {
        if let Some(child) = &self.child {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
        }
    }

    /// SIGTERM, then wait for the exit; the exit status and stderr.
    pub fn stop(mut self) -> (ExitStatus, String) {
        self.terminate();
        let mut child = self.child.take().expect("running");
        let status = child.wait().expect("wait");
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut err);
        }
        (status, err)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
