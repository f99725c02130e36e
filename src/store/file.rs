//! The JSON Lines file behind the [`Store`] interface: a thin wrapper over
//! [`super::ledger::Ledger`], which keeps the format, the lock, the sync and the torn-tail
//! rules. This file adds only what the interface has beyond it: copying lines out exactly as
//! they are, and writing a new ledger file from copied lines.

use super::backend::{LineSink, RawLine, Store, StoreError, Writer};
use super::ledger::{FORMAT_VERSION, Ledger, LedgerError, VerifyReport, WriteGuard};
use crate::case::{NewEvent, Record, Seen};
use std::fs;
use std::io::{self, BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};

/// A ledger file.
pub struct FileStore {
    ledger: Ledger,
}

impl FileStore {
    /// Opens the ledger file at `path` (a missing file is an empty ledger).
    pub fn open(path: &Path) -> Result<FileStore, StoreError> {
        Ok(FileStore {
            ledger: Ledger::open(path)?,
        })
    }
}

struct FileWriter<'a> {
    guard: WriteGuard<'a>,
}

impl Store for FileStore {
    fn location(&self) -> String {
        self.ledger.path().display().to_string()
    }

    fn read_case(&self, case: &str) -> Result<Vec<Record>, StoreError> {
        Ok(self.ledger.read_case(case)?)
    }

    fn visit(&self, f: &mut dyn FnMut(Record)) -> Result<(), StoreError> {
        self.ledger.visit(f)?;
        Ok(())
    }

    fn visit_skipping(
        &self,
        skip: fn(&str) -> bool,
        f: &mut dyn FnMut(Record),
    ) -> Result<(), StoreError> {
        self.ledger.visit_skipping(skip, f)?;
        Ok(())
    }

    fn visit_skimming(
        &self,
        skim: fn(&str) -> bool,
        f: &mut dyn FnMut(Seen),
    ) -> Result<(), StoreError> {
        self.ledger.visit_skimming(skim, f)?;
        Ok(())
    }

    fn next_case_number(&self) -> Result<u64, StoreError> {
        Ok(self.ledger.next_case_number()?)
    }

    fn cases_hint(&self) -> Option<u64> {
        self.ledger
            .known_next_case_number()
            .map(|n| n.saturating_sub(1))
    }

    fn has_oncall(&self) -> Result<bool, StoreError> {
        Ok(self.ledger.summary()?.has_oncall)
    }

    fn lock(&self) -> Result<Box<dyn Writer + '_>, StoreError> {
        Ok(Box::new(FileWriter {
            guard: self.ledger.lock()?,
        }))
    }

    fn verify(&self) -> Result<VerifyReport, StoreError> {
        Ok(self.ledger.verify()?)
    }

    fn create(&self) -> Result<(), StoreError> {
        Ledger::create(self.ledger.path())?;
        Ok(())
    }

    fn migrate(&self) -> Result<Vec<i64>, StoreError> {
        // The file has one format version, checked by every read.
        self.ledger.verify()?;
        Ok(Vec::new())
    }

    fn export(&self, sink: &mut dyn LineSink) -> Result<(), StoreError> {
        let path = self.ledger.path();
        let report = self.ledger.verify()?;
        if let Some(problem) = report.problems.first() {
            return Err(LedgerError::Damaged {
                path: path.to_owned(),
                line: problem.line,
                message: problem.message.clone(),
            }
            .into());
        }
        if !report.exists {
            return Ok(());
        }
        let read_err = |error| LedgerError::Io {
            action: "read ledger",
            path: path.to_owned(),
            error,
        };
        let file = fs::File::open(path).map_err(read_err)?;
        let mut reader = io::BufReader::with_capacity(1 << 20, file);
        let mut line = Vec::new();
        let mut line_no = 0;
        // Lines of a batch are handed on once its last line is read: an unfinished batch at
        // the end (an uncommitted tail) is not data.
        let mut batch: Vec<RawLine> = Vec::new();
        loop {
            line.clear();
            let n = reader.read_until(b'\n', &mut line).map_err(read_err)?;
            // The end, or a torn tail (never data).
            if n == 0 || line.last() != Some(&b'\n') {
                return Ok(());
            }
            line_no += 1;
            if line_no == 1 {
                continue; // the header
            }
            line.pop();
            let damaged = |message: String| LedgerError::Damaged {
                path: path.to_owned(),
                line: line_no,
                message,
            };
            let text =
                String::from_utf8(std::mem::take(&mut line)).map_err(|e| damaged(e.to_string()))?;
            let raw = RawLine::parse(text).map_err(damaged)?;
            let end = raw.batch_end;
            batch.push(raw);
            if end {
                for raw in batch.drain(..) {
                    sink.push(raw)?;
                }
            }
        }
    }

    fn importer(&self) -> Result<Box<dyn LineSink + '_>, StoreError> {
        let path = self.ledger.path();
        if fs::symlink_metadata(path).is_ok() {
            return Err(StoreError::AlreadyExists {
                location: self.location(),
            });
        }
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
            _ => PathBuf::from("."),
        };
        let create_err = |error| LedgerError::Io {
            action: "create ledger",
            path: path.to_owned(),
            error,
        };
        fs::create_dir_all(&dir).map_err(create_err)?;
        // A temporary file (mode 0600) linked into place only when complete.
        let tmp = tempfile::Builder::new()
            .prefix(".esc-copy.")
            .suffix(".new")
            .tempfile_in(&dir)
            .map_err(create_err)?;
        let mut out = BufWriter::with_capacity(1 << 20, tmp);
        writeln!(out, "{{\"esc_ledger\":{FORMAT_VERSION}}}").map_err(create_err)?;
        Ok(Box::new(FileImporter {
            path: path.to_owned(),
            dir,
            out,
            last_seq: 0,
        }))
    }
}

impl Writer for FileWriter<'_> {
    fn read_case(&mut self, case: &str) -> Result<Vec<Record>, StoreError> {
        Ok(self.guard.read_case(case)?)
    }

    fn visit(&mut self, f: &mut dyn FnMut(Record)) -> Result<(), StoreError> {
        self.guard.visit(f)?;
        Ok(())
    }

    fn visit_skimming(
        &mut self,
        skim: fn(&str) -> bool,
        f: &mut dyn FnMut(Seen),
    ) -> Result<(), StoreError> {
        self.guard.visit_skimming(skim, f)?;
        Ok(())
    }

    fn next_case_number(&mut self) -> Result<u64, StoreError> {
        Ok(self.guard.next_case_number()?)
    }

    fn last_seq(&mut self) -> Result<u64, StoreError> {
        Ok(self.guard.last_seq()?)
    }

    fn append(&mut self, batch: Vec<NewEvent>) -> Result<Vec<Record>, StoreError> {
        Ok(self.guard.append(batch)?)
    }
}

/// Writes copied lines to a temporary file beside the target; [`LineSink::finish`] syncs it
/// and links it into place (never replacing anything).
struct FileImporter {
    path: PathBuf,
    dir: PathBuf,
    out: BufWriter<tempfile::NamedTempFile>,
    last_seq: u64,
}

impl LineSink for FileImporter {
    fn push(&mut self, line: RawLine) -> Result<(), StoreError> {
        if line.seq != self.last_seq + 1 {
            return Err(LedgerError::Damaged {
                path: self.path.clone(),
                line: self.last_seq as usize + 2,
                message: format!(
                    "seq is {} where {} was expected",
                    line.seq,
                    self.last_seq + 1
                ),
            }
            .into());
        }
        self.last_seq = line.seq;
        let write_err = |error| LedgerError::Io {
            action: "write ledger",
            path: self.path.clone(),
            error,
        };
        self.out
            .write_all(line.text.as_bytes())
            .and_then(|()| self.out.write_all(b"\n"))
            .map_err(write_err)?;
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<u64, StoreError> {
        let FileImporter {
            path,
            dir,
            out,
            last_seq,
        } = *self;
        let io_err = |action, error| LedgerError::Io {
            action,
            path: path.clone(),
            error,
        };
        let tmp = out
            .into_inner()
            .map_err(|e| io_err("write ledger", e.into_error()))?;
        tmp.as_file()
            .sync_all()
            .map_err(|e| io_err("write ledger", e))?;
        tmp.persist_noclobber(&path).map_err(|e| {
            if e.error.kind() == io::ErrorKind::AlreadyExists {
                StoreError::AlreadyExists {
                    location: path.display().to_string(),
                }
            } else {
                io_err("create ledger", e.error).into()
            }
        })?;
        fs::File::open(&dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io_err("sync the directory of", e))?;
        Ok(last_seq)
    }
}
