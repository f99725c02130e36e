//! Writing to stdout: a closed pipe (`esc list | head`) is a quiet success, not a panic.
//!
//! This is the one place human output is made safe for a terminal: everything written with
//! [`Output::raw`], [`Output::line`] or [`Output::say`] passes through
//! [`crate::render::neutralise`] (escape sequences, carriage returns, other control and bidi
//! characters from case text become visible escapes). Machine formats (`--json`, CSV) go
//! through [`Output::data`] and stay byte-exact.

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

    /// Write text for people, made safe for a terminal.
    pub fn raw(&mut self, text: &str) -> Result<()> {
        let colour = crate::render::layout().color;
        let safe = crate::render::neutralise(text, colour);
        self.data(&crate::render::fit(&safe))
    }

    /// Write a Markdown document with tables (a review, a report as `md`), made safe for
    /// a terminal but never wrapped: a table row is one line or no row at all.
    pub fn document(&mut self, text: &str) -> Result<()> {
        let colour = crate::render::layout().color;
        self.data(&crate::render::neutralise(text, colour))
    }

    /// Write machine-readable text (JSON, CSV) exactly as given.
    pub fn data(&mut self, text: &str) -> Result<()> {
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

    /// Pretty JSON on one document, serialised straight into a buffered stdout (a large
    /// document is never held in memory as text).
    pub fn json<T: Serialize>(&mut self, value: &T) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
        let written = serde_json::to_writer_pretty(&mut stdout, value)
            .map_err(std::io::Error::from)
            .and_then(|()| stdout.write_all(b"\n"))
            .and_then(|()| stdout.flush());
        match written {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// A JSON array whose elements are made one at a time while it is written: `items` is
/// consumed by the first serialisation (a second one writes `[]`). With
/// [`Output::json`], a list of a hundred thousand cases never exists as a whole.
pub struct Each<I>(std::cell::Cell<Option<I>>);

impl<I> Each<I> {
    pub fn new(items: I) -> Self {
        Each(std::cell::Cell::new(Some(items)))
    }
}

impl<I> Serialize for Each<I>
where
    I: Iterator,
    I::Item: Serialize,
{
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(None)?;
        for item in self.0.take().into_iter().flatten() {
            seq.serialize_element(&item)?;
        }
        seq.end()
    }
}
