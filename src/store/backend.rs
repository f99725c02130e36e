//! The store interface: what every command needs from wherever the ledger lives.
//!
//! Two backends implement it — the JSON Lines file ([`super::file`]) and PostgreSQL
//! ([`super::postgres`]) — and the commands never know which one they have
//! ([`super::open`] picks it from the [`super::Location`]). The unit of writing is a batch:
//! [`Writer::append`] takes the events one command records and stores all of them or none.
//!
//! # How to use it
//!
//! ```text
//! let store = settings.store()?;                  // Box<dyn Store>
//! let records = store.read_case("ESC-7")?;        // reads need no lock
//! let mut writer = store.lock()?;                 // the exclusive right to write
//! let now = …;                                    // take `now` once the lock is held
//! let case = fold(writer.read_case("ESC-7")?);    // decide on what is there now
//! let stored = writer.append(vec![event, …])?;    // one batch: all or nothing, numbered
//! drop(writer);                                   // others may write again
//! ```
//!
//! The sweep keeps its writer from reading the ledger to its last delivery result: that is
//! its exclusive right to act, so two overlapping sweeps (on one machine or, with a
//! database, on many) never act twice.

use super::ledger::{LedgerError, VerifyReport};
use crate::case::{NewEvent, Record, Seen};

/// Why the store could not be read or written. Every message names the ledger (a database
/// URL without its password) and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The JSON Lines file.
    #[error(transparent)]
    File(#[from] LedgerError),
    /// The database could not be reached or refused a statement.
    #[error(
        "cannot {action} the ledger database {location}: {message}; check that the server is \
         running and that the URL, user and password are right"
    )]
    Database {
        action: &'static str,
        location: String,
        message: String,
    },
    /// The database holds a row esc did not write or cannot read.
    #[error(
        "the ledger database {location} is damaged at seq {seq}: {message}; restore it from a \
         backup (pg_dump) or repair the row; `esc ledger verify` shows every problem"
    )]
    Damaged {
        location: String,
        seq: u64,
        message: String,
    },
    /// A newer esc changed the schema.
    #[error(
        "the ledger database {location} has schema version {found}, but this esc knows \
         versions up to {known}; use a newer esc"
    )]
    SchemaTooNew {
        location: String,
        found: i64,
        known: i64,
    },
    /// `esc init` or `esc ledger copy` found a ledger already there.
    #[error(
        "{location} already holds a ledger; esc never overwrites or merges one (choose an \
         empty target, or move the old one away first)"
    )]
    AlreadyExists { location: String },
}

/// Where the ledger lives and how to read and write it.
pub trait Store {
    /// The ledger's name for messages (a database URL without its password).
    fn location(&self) -> String;

    /// The events of one case, in `seq` order (none if there is no such case).
    fn read_case(&self, case: &str) -> Result<Vec<Record>, StoreError>;

    /// Hands every event, in `seq` order, to `f` without holding them all at once.
    fn visit(&self, f: &mut dyn FnMut(Record)) -> Result<(), StoreError>;

    /// [`Store::visit`] without the events `skip` names (by event name): a reader that
    /// never looks at them is spared reading them whole. Checked exactly as `visit` checks.
    fn visit_skipping(
        &self,
        skip: fn(&str) -> bool,
        f: &mut dyn FnMut(Record),
    ) -> Result<(), StoreError> {
        self.visit(&mut |r| {
            if !skip(r.event.name()) {
                f(r)
            }
        })
    }

    /// [`Store::visit`], handing the events `skim` names (by event name) on only as what
    /// [`crate::case::Skimmed`] holds of them: a reader that needs no more of them (the sweep, of the
    /// outbox's events when no channel delivers) is spared reading them whole. Checked
    /// exactly as `visit` checks.
    fn visit_skimming(
        &self,
        skim: fn(&str) -> bool,
        f: &mut dyn FnMut(Seen),
    ) -> Result<(), StoreError> {
        self.visit(&mut |r| f(Seen::of(r, skim)))
    }

    /// The number the next case gets: the highest `ESC-<n>` plus one.
    fn next_case_number(&self) -> Result<u64, StoreError>;

    /// About how many cases the ledger holds, when that is cheap to know (the file's
    /// checkpoint, a database counter): a whole-ledger read makes room for them at once
    /// instead of growing as it goes. Never required to be exact.
    fn cases_hint(&self) -> Option<u64> {
        None
    }

    /// Whether any event belongs to the reserved id `ONCALL` (on-call overrides), answered
    /// cheaply: the file's checkpoint, an index lookup in a database.
    fn has_oncall(&self) -> Result<bool, StoreError>;

    /// Takes the exclusive right to write, waiting for any other writer to finish. Dropping
    /// the writer gives it up; so does the end of the process (even a killed one).
    fn lock(&self) -> Result<Box<dyn Writer + '_>, StoreError>;

    /// Checks every event; lists every problem instead of stopping at the first.
    fn verify(&self) -> Result<VerifyReport, StoreError>;

    /// Creates an empty ledger (`esc init`); refuses if one is already there.
    fn create(&self) -> Result<(), StoreError>;

    /// Brings the storage to the newest layout this esc knows (`esc ledger migrate`).
    /// Returns the versions applied (none when up to date, and always none for a file).
    fn migrate(&self) -> Result<Vec<i64>, StoreError>;

    /// Hands every stored line, exactly as stored and in `seq` order, to `sink`, without
    /// calling [`LineSink::finish`]. Refuses a damaged ledger.
    fn export(&self, sink: &mut dyn LineSink) -> Result<(), StoreError>;

    /// A sink that fills this (empty) ledger with exported lines, all or nothing: nothing is
    /// visible until [`LineSink::finish`]. Refuses if the ledger already holds events.
    fn importer(&self) -> Result<Box<dyn LineSink + '_>, StoreError>;
}

/// The exclusive right to write, from [`Store::lock`]. Reads through it see every batch
/// committed before it was taken, and no one else writes until it is dropped.
pub trait Writer {
    /// [`Store::read_case`] under the lock.
    fn read_case(&mut self, case: &str) -> Result<Vec<Record>, StoreError>;

    /// [`Store::visit`] under the lock.
    fn visit(&mut self, f: &mut dyn FnMut(Record)) -> Result<(), StoreError>;

    /// [`Store::visit_skimming`] under the lock.
    fn visit_skimming(
        &mut self,
        skim: fn(&str) -> bool,
        f: &mut dyn FnMut(Seen),
    ) -> Result<(), StoreError> {
        self.visit(&mut |r| f(Seen::of(r, skim)))
    }

    /// [`Store::next_case_number`] under the lock.
    fn next_case_number(&mut self) -> Result<u64, StoreError>;

    /// The `seq` of the last committed event (0 for an empty ledger), so a writer that keeps
    /// state between batches (`esc serve`) can tell whether anyone else wrote meanwhile.
    fn last_seq(&mut self) -> Result<u64, StoreError>;

    /// Stores `batch` as one unit, numbering its events from the last `seq` + 1, durable
    /// before it returns: after a crash, readers see all of the batch or none of it.
    /// Returns the stored records. An empty batch stores nothing.
    fn append(&mut self, batch: Vec<NewEvent>) -> Result<Vec<Record>, StoreError>;
}

/// One stored event line, as [`Store::export`] hands it on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawLine {
    pub seq: u64,
    /// The case id (`ESC-<n>`).
    pub case: String,
    /// The event name (`opened`, `noted`, …).
    pub event: String,
    /// The exact JSON text, without the newline.
    pub text: String,
    /// Whether this line ends its batch (the last line of what one append wrote).
    pub batch_end: bool,
}

impl RawLine {
    /// Reads a stored line: its `seq`, case and event name, and whether it says that more
    /// lines of its batch follow (`"more":true`, the file's batch marker).
    pub fn parse(text: String) -> Result<RawLine, String> {
        #[derive(serde::Deserialize)]
        struct Marker {
            #[serde(default)]
            more: bool,
        }
        let record: Record = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        let marker: Marker = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        Ok(RawLine {
            seq: record.seq,
            case: record.case.into(),
            event: record.event.name().to_owned(),
            text,
            batch_end: !marker.more,
        })
    }
}

/// Where exported lines go: another store's importer, or a file being written.
pub trait LineSink {
    /// Takes the next line (lines arrive in `seq` order).
    fn push(&mut self, line: RawLine) -> Result<(), StoreError>;

    /// Makes everything pushed durable and visible at once; returns how many lines.
    fn finish(self: Box<Self>) -> Result<u64, StoreError>;
}
