//! Writing to stdout: a closed pipe (`esc list | head`) is a quiet success, not a panic.

use anyhow::Result;
use serde::Serialize;
use std::io::{ErrorKind, Write};

/// Where command output goes.
pub struct Output {
    /// `--quiet`: commands print nothing on success.
    pub quiet: bool,
    closed: bool,
}

impl Output {
    pub fn new(quiet: bool) -> Self {
        Output {
            quiet,
            closed: false,
        }
    }

    /// Write text as is.
    pub fn raw(&mut self, text: &str) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        let mut stdout = std::io::stdout().lock();
        match stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
        {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Write one line.
    pub fn line(&mut self, text: &str) -> Result<()> {
        self.raw(&format!("{text}\n"))
    }

    /// Write a line unless `--quiet`.
    pub fn say(&mut self, text: &str) -> Result<()> {
        if self.quiet {
            return Ok(());
        }
        self.line(text)
    }

    /// Pretty JSON on one document.
    pub fn json<T: Serialize>(&mut self, value: &T) -> Result<()> {
        let text = serde_json::to_string_pretty(value)?;
        self.line(&text)
    }
}
