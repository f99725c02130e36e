//! Running the notify command: argv from the policy, never a shell; one JSON payload on
//! stdin; a minimal environment; its own process group, killed as a whole when the command
//! exceeds the timeout (and once it exits, so nothing it started outlives it). Its stdout is
//! ignored; the last 2 KB of its stderr are kept for the failure record.

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use wait_timeout::ChildExt;

/// How much of the command's stderr is kept.
pub const STDERR_TAIL: usize = 2048;

/// Variables every notify command sees (when set for esc); the policy's `[notify] env`
/// allows more by name.
pub const BASE_ENV: [&str; 4] = ["PATH", "HOME", "LANG", "TZ"];

/// Why a delivery failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    #[error("could not start `{program}`: {message}")]
    Spawn { program: String, message: String },
    #[error("`{program}` exited with {status}")]
    Failed {
        program: String,
        status: String,
        stderr: String,
    },
    #[error("`{program}` did not finish within {seconds}s and was killed with its process group")]
    Timeout {
        program: String,
        seconds: u64,
        stderr: String,
    },
}

impl DeliveryError {
    /// The tail of the command's stderr, if it wrote any.
    pub fn stderr(&self) -> Option<&str> {
        match self {
            DeliveryError::Failed { stderr, .. } | DeliveryError::Timeout { stderr, .. }
                if !stderr.trim().is_empty() =>
            {
                Some(stderr)
            }
            _ => None,
        }
    }
}

/// The last `max` bytes of `bytes` as text (cut at a character boundary).
pub fn tail(bytes: &[u8], max: usize) -> String {
    let start = bytes.len().saturating_sub(max);
    let text = String::from_utf8_lossy(&bytes[start..]);
    text.trim_start_matches('\u{fffd}').to_string()
}

/// Kill every process of the group led by `pid`.
fn kill_group(pid: u32) {
    if let Ok(pid) = i32::try_from(pid) {
        // SAFETY: kill(2) with a negative pid signals a process group; it touches no memory.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

/// The environment for the command: [`BASE_ENV`] plus `allowed`, from `env` (esc's own).
pub fn environment(
    allowed: &[String],
    env: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> Vec<(String, std::ffi::OsString)> {
    BASE_ENV
        .iter()
        .map(|k| k.to_string())
        .chain(allowed.iter().cloned())
        .filter_map(|k| env(&k).map(|v| (k, v)))
        .collect()
}

/// Run `argv` in `dir` with `payload` (one line of JSON) on stdin and only `env` set.
pub fn deliver(
    argv: &[String],
    dir: &Path,
    payload: &str,
    timeout: Duration,
    env: &[(String, std::ffi::OsString)],
) -> Result<(), DeliveryError> {
    let Some((program, args)) = argv.split_first() else {
        return Err(DeliveryError::Spawn {
            program: String::new(),
            message: "the notify command is empty".into(),
        });
    };
    // A relative program path with a slash is relative to the policy's directory.
    let resolved = if program.contains('/') && Path::new(program).is_relative() {
        dir.join(program)
    } else {
        program.into()
    };
    let mut child = Command::new(&resolved)
        .args(args)
        .current_dir(dir)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .process_group(0)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| DeliveryError::Spawn {
            program: program.clone(),
            message: e.to_string(),
        })?;
    let pid = child.id();
    // Write stdin and read stderr from threads so a command that never reads, or writes a
    // lot, cannot block us.
    let writer = child.stdin.take().map(|mut stdin| {
        let data = format!("{payload}\n");
        std::thread::spawn(move || {
            let _ = stdin.write_all(data.as_bytes());
        })
    });
    let reader = child.stderr.take().map(|mut stderr| {
        std::thread::spawn(move || {
            let mut kept: Vec<u8> = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                kept.extend_from_slice(&buf[..n]);
                if kept.len() > 2 * STDERR_TAIL {
                    kept.drain(..kept.len() - STDERR_TAIL);
                }
            }
            tail(&kept, STDERR_TAIL)
        })
    });
    let waited = child.wait_timeout(timeout);
    // Whatever happened, nothing the command started may outlive it: that also closes the
    // pipes a background grandchild may hold, so the threads below finish.
    kill_group(pid);
    let status = match waited {
        Ok(Some(status)) => Ok(status),
        Ok(None) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(None)
        }
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(Some(e.to_string()))
        }
    };
    if let Some(w) = writer {
        let _ = w.join();
    }
    let stderr = reader.and_then(|r| r.join().ok()).unwrap_or_default();
    match status {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(DeliveryError::Failed {
            program: program.clone(),
            status: s.to_string(),
            stderr,
        }),
        Err(None) => Err(DeliveryError::Timeout {
            program: program.clone(),
            seconds: timeout.as_secs(),
            stderr,
        }),
        Err(Some(e)) => Err(DeliveryError::Failed {
            program: program.clone(),
            status: e,
            stderr,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_keeps_the_last_bytes_and_whole_characters() {
        assert_eq!(tail(b"abcdef", 3), "def");
        assert_eq!(tail(b"ab", 3), "ab");
        let text = "é".repeat(10);
        let t = tail(text.as_bytes(), 5);
        assert!(t.chars().all(|c| c == 'é'), "{t:?}");
    }

    #[test]
    fn the_environment_is_the_base_plus_the_allowed() {
        let env = |k: &str| {
            ["PATH", "HOME", "MY_TOKEN", "OTHER_TOKEN"]
                .contains(&k)
                .then(|| std::ffi::OsString::from(format!("{k}-value")))
        };
        let got: Vec<String> = environment(&["MY_TOKEN".into()], env)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(got, ["PATH", "HOME", "MY_TOKEN"]);
    }
}
