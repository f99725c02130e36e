//! Running the notify command: argv from the policy, never a shell; one JSON payload on
//! stdin; killed when it exceeds the timeout. Its output is ignored (a command that prints
//! garbage is judged by its exit status alone).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use wait_timeout::ChildExt;

/// Why a delivery failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    #[error("could not start `{program}`: {message}")]
    Spawn { program: String, message: String },
    #[error("`{program}` exited with {status}")]
    Failed { program: String, status: String },
    #[error("`{program}` did not finish within {seconds}s and was killed")]
    Timeout { program: String, seconds: u64 },
}

/// Run `argv` in `dir` with `payload` (one line of JSON) on stdin.
pub fn deliver(
    argv: &[String],
    dir: &Path,
    payload: &str,
    timeout: Duration,
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
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| DeliveryError::Spawn {
            program: program.clone(),
            message: e.to_string(),
        })?;
    // Write stdin from a thread so a command that never reads cannot block us.
    let writer = child.stdin.take().map(|mut stdin| {
        let data = format!("{payload}\n");
        std::thread::spawn(move || {
            let _ = stdin.write_all(data.as_bytes());
        })
    });
    let status = match child.wait_timeout(timeout) {
        Ok(Some(status)) => status,
        Ok(None) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(DeliveryError::Timeout {
                program: program.clone(),
                seconds: timeout.as_secs(),
            });
        }
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(DeliveryError::Failed {
                program: program.clone(),
                status: e.to_string(),
            });
        }
    };
    if let Some(w) = writer {
        let _ = w.join();
    }
    if status.success() {
        Ok(())
    } else {
        Err(DeliveryError::Failed {
            program: program.clone(),
            status: status.to_string(),
        })
    }
}
