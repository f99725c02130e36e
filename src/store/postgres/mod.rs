//! The ledger in a PostgreSQL database, shared by every machine that can reach it.
//!
//! Same events, same guarantees as the file (see [`super::backend`]):
//!
//! - **One writer at a time.** [`Store::lock`] takes a session advisory lock
//!   ([`schema::WRITE_KEY`]); it is held until the writer is dropped or the connection ends
//!   (a killed process cannot leave it behind). Overlapping sweeps on different hosts
//!   serialize on it, so they never act twice.
//! - **A batch is a transaction.** An append numbers its events from the counter row, inserts
//!   them and updates the counter in one transaction: `seq` is gap-free and totally ordered,
//!   and a failed or interrupted append leaves nothing.
//! - **The exact text.** Each event is stored as the JSON line the file would hold, so
//!   `esc ledger copy` file → database → file is byte-identical.
//! - **Whole-ledger reads stream** through a portal, a few thousand rows at a time.
//!
//! A database without esc's tables is an empty ledger, like a missing file: reads find
//! nothing and the first append creates the schema.

mod connect;
pub mod schema;

use super::backend::{LineSink, RawLine, Store, StoreError, Writer};
use super::ledger::{Problem, VerifyReport};
use super::location::redact;
use crate::case::{NewEvent, Record, id};
use postgres::{Client, NoTls};
use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::path::PathBuf;

/// How the file marks every line of a batch but the last (replacing the line's final `}`).
const MORE_MARK: &str = ",\"more\":true}";

/// Rows fetched per round trip when streaming the whole ledger.
const FETCH_ROWS: i32 = 5000;

/// Lines sent per INSERT when copying into the database.
const IMPORT_CHUNK: usize = 5000;

/// At most this many problems are kept in a verify report (as for the file).
const MAX_PROBLEMS: usize = 1000;

/// A ledger in a PostgreSQL database.
pub struct PgStore {
    /// The URL without its password.
    location: String,
    client: RefCell<Client>,
    /// The schema version found (or created) so far; `None` while there are no tables.
    version: Cell<Option<i64>>,
}

impl PgStore {
    /// Connects to the database at `url` and checks that this esc knows its schema.
    pub fn open(url: &str) -> Result<PgStore, StoreError> {
        let location = redact(url);
        let config = connect::config(url).map_err(|message| StoreError::Database {
            action: "connect to",
            location: location.clone(),
            message,
        })?;
        let mut client = config.connect(NoTls).map_err(|e| StoreError::Database {
            action: "connect to",
            location: location.clone(),
            message: describe(&e),
        })?;
        let version = schema::version(&mut client).map_err(|e| StoreError::Database {
            action: "read",
            location: location.clone(),
            message: describe(&e),
        })?;
        let store = PgStore {
            location,
            client: RefCell::new(client),
            version: Cell::new(version),
        };
        if let Some(found) = version {
            store.check_version(found, true)?;
        }
        Ok(store)
    }

    fn err(&self, action: &'static str) -> impl Fn(postgres::Error) -> StoreError + '_ {
        move |e| StoreError::Database {
            action,
            location: self.location.clone(),
            message: describe(&e),
        }
    }

    fn damaged(&self, seq: u64, message: impl Into<String>) -> StoreError {
        StoreError::Damaged {
            location: self.location.clone(),
            seq,
            message: message.into(),
        }
    }

    /// Refuses a schema newer than this esc; with `allow_older`, accepts an older one (only
    /// `esc ledger migrate` and the first append may then change it).
    fn check_version(&self, found: i64, allow_older: bool) -> Result<(), StoreError> {
        if found > schema::LATEST {
            return Err(StoreError::SchemaTooNew {
                location: self.location.clone(),
                found,
                known: schema::LATEST,
            });
        }
        if found < schema::LATEST && !allow_older {
            return Err(StoreError::Database {
                action: "use",
                location: self.location.clone(),
                message: format!(
                    "its schema is version {found}, older than this esc's {}: run `esc ledger migrate` first",
                    schema::LATEST
                ),
            });
        }
        Ok(())
    }

    /// Whether the tables exist (at the version this esc knows); `false` is an empty ledger.
    fn has_tables(&self) -> Result<bool, StoreError> {
        match self.version.get() {
            None => Ok(false),
            Some(found) => self.check_version(found, false).map(|()| true),
        }
    }

    /// Creates or upgrades the schema.
    fn ensure_schema(&self) -> Result<Vec<i64>, StoreError> {
        let mut client = self.client.borrow_mut();
        match schema::migrate(&mut client).map_err(self.err("migrate"))? {
            schema::Migrated::TooNew(found) => Err(StoreError::SchemaTooNew {
                location: self.location.clone(),
                found,
                known: schema::LATEST,
            }),
            schema::Migrated::Applied(applied) => {
                self.version.set(Some(schema::LATEST));
                Ok(applied)
            }
        }
    }

    fn read_case_now(&self, case: &str) -> Result<Vec<Record>, StoreError> {
        if !self.has_tables()? {
            return Ok(Vec::new());
        }
        let number = id::number(case).unwrap_or(0) as i64;
        let rows = self
            .client
            .borrow_mut()
            .query(
                "SELECT seq, line FROM esc_events WHERE case_number = $1 AND case_id = $2 ORDER BY seq",
                &[&number, &case],
            )
            .map_err(self.err("read"))?;
        rows.iter()
            .map(|row| self.parse_line(row.get(0), row.get(1)))
            .collect()
    }

    fn parse_line(&self, seq: i64, line: &str) -> Result<Record, StoreError> {
        let seq = seq as u64;
        let record = crate::case::record_quick::read_line(line)
            .map_err(|e| self.damaged(seq, e.to_string()))?;
        if record.seq != seq {
            return Err(self.damaged(seq, format!("the row's line says seq {}", record.seq)));
        }
        Ok(record)
    }

    /// Streams `query` (which must select `seq` first) in `seq` order through a portal,
    /// handing each row to `f`; checks that `seq` runs 1, 2, 3… without gaps.
    fn stream(
        &self,
        query: &str,
        mut f: impl FnMut(&postgres::Row) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError> {
        let mut client = self.client.borrow_mut();
        let read = self.err("read");
        let mut tx = client
            .build_transaction()
            .read_only(true)
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .start()
            .map_err(&read)?;
        let portal = tx.bind(query, &[]).map_err(&read)?;
        let mut expected: u64 = 1;
        loop {
            let rows = tx.query_portal(&portal, FETCH_ROWS).map_err(&read)?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let seq = row.get::<_, i64>(0) as u64;
                if seq != expected {
                    return Err(
                        self.damaged(seq, format!("seq {seq} follows {} (a gap)", expected - 1))
                    );
                }
                expected += 1;
                f(row)?;
            }
        }
        tx.commit().map_err(&read)?;
        Ok(expected - 1)
    }

    fn visit_now(&self, f: &mut dyn FnMut(Record)) -> Result<(), StoreError> {
        self.visit_now_skipping(|_| false, f)
    }

    /// Every event but those `skip` names, whose lines are not parsed (the `event` column
    /// names them); every row still counts for the gap check.
    fn visit_now_skipping(
        &self,
        skip: fn(&str) -> bool,
        f: &mut dyn FnMut(Record),
    ) -> Result<(), StoreError> {
        if !self.has_tables()? {
            return Ok(());
        }
        self.stream(
            "SELECT seq, line, event FROM esc_events ORDER BY seq",
            |row| {
                if !skip(row.get(2)) {
                    f(self.parse_line(row.get(0), row.get(1))?);
                }
                Ok(())
            },
        )?;
        Ok(())
    }

    fn next_case_number_now(&self) -> Result<u64, StoreError> {
        if !self.has_tables()? {
            return Ok(1);
        }
        let row = self
            .client
            .borrow_mut()
            .query_one("SELECT max_case FROM esc_counter", &[])
            .map_err(self.err("read"))?;
        Ok(row.get::<_, i64>(0) as u64 + 1)
    }

    /// Inserts `lines` (already numbered and checked) into `esc_events` in one statement.
    fn insert(
        &self,
        client: &mut impl postgres::GenericClient,
        lines: &[(i64, i64, &str, &str, &str)],
    ) -> Result<(), StoreError> {
        let seqs: Vec<i64> = lines.iter().map(|l| l.0).collect();
        let batches: Vec<i64> = lines.iter().map(|l| l.1).collect();
        let cases: Vec<&str> = lines.iter().map(|l| l.2).collect();
        let numbers: Vec<i64> = cases
            .iter()
            .map(|c| id::number(c).unwrap_or(0) as i64)
            .collect();
        let events: Vec<&str> = lines.iter().map(|l| l.3).collect();
        let texts: Vec<&str> = lines.iter().map(|l| l.4).collect();
        client
            .execute(
                "INSERT INTO esc_events (seq, batch, case_id, case_number, event, line)
                 SELECT * FROM unnest($1::int8[], $2::int8[], $3::text[], $4::int8[], $5::text[], $6::text[])",
                &[&seqs, &batches, &cases, &numbers, &events, &texts],
            )
            .map_err(self.err("write to"))?;
        Ok(())
    }
}

/// The driver's message, with the server's detail and hint when there are any.
fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut message = format!("{} ({})", db.message(), db.code().code());
            if let Some(detail) = db.detail() {
                message.push_str(&format!("; {detail}"));
            }
            message
        }
        None => {
            let mut message = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                let text = s.to_string();
                if !message.contains(&text) {
                    message.push_str(&format!(": {text}"));
                }
                source = s.source();
            }
            message
        }
    }
}

impl Store for PgStore {
    fn location(&self) -> String {
        self.location.clone()
    }

    fn read_case(&self, case: &str) -> Result<Vec<Record>, StoreError> {
        self.read_case_now(case)
    }

    fn visit(&self, f: &mut dyn FnMut(Record)) -> Result<(), StoreError> {
        self.visit_now(f)
    }

    fn visit_skipping(
        &self,
        skip: fn(&str) -> bool,
        f: &mut dyn FnMut(Record),
    ) -> Result<(), StoreError> {
        self.visit_now_skipping(skip, f)
    }

    fn next_case_number(&self) -> Result<u64, StoreError> {
        self.next_case_number_now()
    }

    fn cases_hint(&self) -> Option<u64> {
        self.next_case_number_now()
            .ok()
            .map(|n| n.saturating_sub(1))
    }

    fn has_oncall(&self) -> Result<bool, StoreError> {
        if !self.has_tables()? {
            return Ok(false);
        }
        let row = self
            .client
            .borrow_mut()
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM esc_events WHERE case_number = 0 AND case_id = $1)",
                &[&crate::case::event::ONCALL],
            )
            .map_err(self.err("read"))?;
        Ok(row.get(0))
    }

    fn lock(&self) -> Result<Box<dyn Writer + '_>, StoreError> {
        if self.version.get().is_none() {
            self.ensure_schema()?;
        }
        self.client
            .borrow_mut()
            .execute("SELECT pg_advisory_lock($1)", &[&schema::WRITE_KEY])
            .map_err(self.err("lock"))?;
        let writer = PgWriter { store: self };
        // Another esc may have changed the schema while this one waited.
        let found = schema::version(&mut *self.client.borrow_mut()).map_err(self.err("read"))?;
        self.version.set(found);
        if let Some(found) = found {
            self.check_version(found, false)?;
        }
        Ok(Box::new(writer))
    }

    fn verify(&self) -> Result<VerifyReport, StoreError> {
        let mut report = VerifyReport {
            path: PathBuf::from(&self.location),
            exists: self.version.get().is_some(),
            events: 0,
            cases: 0,
            last_seq: 0,
            torn_tail: None,
            problems: Vec::new(),
            more_problems: 0,
        };
        if !self.has_tables()? {
            return Ok(report);
        }
        let mut problems: Vec<(u64, String)> = Vec::new();
        let mut cases = HashSet::new();
        let mut expected: u64 = 1;
        let mut max_case = 0;
        let mut last_batch = 0;
        {
            let mut client = self.client.borrow_mut();
            let read = self.err("read");
            let mut tx = client
                .build_transaction()
                .read_only(true)
                .isolation_level(postgres::IsolationLevel::RepeatableRead)
                .start()
                .map_err(&read)?;
            let portal = tx
                .bind(
                    "SELECT seq, batch, case_id, case_number, event, line FROM esc_events ORDER BY seq",
                    &[],
                )
                .map_err(&read)?;
            loop {
                let rows = tx.query_portal(&portal, FETCH_ROWS).map_err(&read)?;
                if rows.is_empty() {
                    break;
                }
                for row in &rows {
                    let seq = row.get::<_, i64>(0) as u64;
                    let batch: i64 = row.get(1);
                    let case: &str = row.get(2);
                    let number: i64 = row.get(3);
                    let event: &str = row.get(4);
                    let line: &str = row.get(5);
                    if seq != expected {
                        problems.push((seq, format!("seq is {seq} where {expected} was expected")));
                    }
                    expected = seq + 1;
                    if batch < last_batch {
                        problems
                            .push((seq, format!("batch {batch} comes after batch {last_batch}")));
                    }
                    last_batch = batch;
                    match serde_json::from_str::<Record>(line) {
                        Ok(record) => {
                            let mut wrong = Vec::new();
                            if record.seq != seq {
                                wrong.push(format!("seq {}", record.seq));
                            }
                            if record.case != case {
                                wrong.push(format!("case {}", record.case));
                            }
                            if record.event.name() != event {
                                wrong.push(format!("event {}", record.event.name()));
                            }
                            if id::number(&record.case).unwrap_or(0) as i64 != number {
                                wrong.push(format!("case number {number}"));
                            }
                            if wrong.is_empty() {
                                report.events += 1;
                                report.last_seq = seq;
                                max_case = max_case.max(number);
                                if record.case != crate::case::event::ONCALL {
                                    cases.insert(record.case);
                                }
                            } else {
                                problems.push((
                                    seq,
                                    format!(
                                        "the line disagrees with its row: {}",
                                        wrong.join(", ")
                                    ),
                                ));
                            }
                        }
                        Err(e) => problems.push((seq, format!("not a valid event: {e}"))),
                    }
                }
            }
            let counter = tx
                .query_one("SELECT last_seq, max_case FROM esc_counter", &[])
                .map_err(&read)?;
            let (last_seq, counted_max): (i64, i64) = (counter.get(0), counter.get(1));
            if last_seq as u64 != expected - 1 {
                problems.push((
                    last_seq as u64,
                    format!(
                        "the counter says the last seq is {last_seq}, the rows end at {}",
                        expected - 1
                    ),
                ));
            }
            if counted_max < max_case {
                problems.push((
                    last_seq as u64,
                    format!(
                        "the counter's highest case number {counted_max} is below ESC-{max_case}"
                    ),
                ));
            }
            tx.commit().map_err(&read)?;
        }
        report.cases = cases.len();
        for (seq, message) in problems {
            if report.problems.len() < MAX_PROBLEMS {
                // Numbered as the line the event has in a ledger file (header is line 1).
                report.problems.push(Problem {
                    line: seq as usize + 1,
                    message: format!("seq {seq}: {message}"),
                });
            } else {
                report.more_problems += 1;
            }
        }
        Ok(report)
    }

    fn create(&self) -> Result<(), StoreError> {
        if self.version.get().is_some() {
            return Err(StoreError::AlreadyExists {
                location: self.location.clone(),
            });
        }
        self.ensure_schema()?;
        Ok(())
    }

    fn migrate(&self) -> Result<Vec<i64>, StoreError> {
        self.ensure_schema()
    }

    fn export(&self, sink: &mut dyn LineSink) -> Result<(), StoreError> {
        if !self.has_tables()? {
            return Ok(());
        }
        // One line of look-ahead tells whether a line ends its batch.
        let mut pending: Option<(i64, RawLine)> = None;
        self.stream(
            "SELECT seq, batch, case_id, event, line FROM esc_events ORDER BY seq",
            |row| {
                let batch: i64 = row.get(1);
                let line = RawLine {
                    seq: row.get::<_, i64>(0) as u64,
                    case: row.get::<_, &str>(2).to_owned(),
                    event: row.get::<_, &str>(3).to_owned(),
                    text: row.get::<_, &str>(4).to_owned(),
                    batch_end: true,
                };
                if let Some((last_batch, mut last)) = pending.replace((batch, line)) {
                    last.batch_end = last_batch != batch;
                    sink.push(last)?;
                }
                Ok(())
            },
        )?;
        if let Some((_, last)) = pending {
            sink.push(last)?;
        }
        Ok(())
    }

    fn importer(&self) -> Result<Box<dyn LineSink + '_>, StoreError> {
        self.ensure_schema()?;
        let write = self.err("write to");
        let mut client = self.client.borrow_mut();
        client.batch_execute("BEGIN").map_err(&write)?;
        let mut check = || -> Result<(), StoreError> {
            client
                .execute("SELECT pg_advisory_xact_lock($1)", &[&schema::WRITE_KEY])
                .map_err(&write)?;
            let last: i64 = client
                .query_one("SELECT last_seq FROM esc_counter FOR UPDATE", &[])
                .map_err(&write)?
                .get(0);
            if last != 0 {
                return Err(StoreError::AlreadyExists {
                    location: self.location.clone(),
                });
            }
            Ok(())
        };
        if let Err(e) = check() {
            let _ = client.batch_execute("ROLLBACK");
            return Err(e);
        }
        Ok(Box::new(PgImporter {
            store: self,
            open: true,
            chunk: Vec::new(),
            last_seq: 0,
            batch: 1,
            last_batch: 0,
            max_case: 0,
        }))
    }
}

/// The exclusive right to write to a database ledger (a session advisory lock).
struct PgWriter<'a> {
    store: &'a PgStore,
}

impl Drop for PgWriter<'_> {
    fn drop(&mut self) {
        // If this fails the connection is gone, and the server has released the lock.
        if let Ok(mut client) = self.store.client.try_borrow_mut() {
            let _ = client.execute("SELECT pg_advisory_unlock($1)", &[&schema::WRITE_KEY]);
        }
    }
}

impl Writer for PgWriter<'_> {
    fn read_case(&mut self, case: &str) -> Result<Vec<Record>, StoreError> {
        self.store.read_case_now(case)
    }

    fn visit(&mut self, f: &mut dyn FnMut(Record)) -> Result<(), StoreError> {
        self.store.visit_now(f)
    }

    fn next_case_number(&mut self) -> Result<u64, StoreError> {
        self.store.next_case_number_now()
    }

    fn last_seq(&mut self) -> Result<u64, StoreError> {
        if !self.store.has_tables()? {
            return Ok(0);
        }
        let row = self
            .store
            .client
            .borrow_mut()
            .query_one("SELECT last_seq FROM esc_counter", &[])
            .map_err(self.store.err("read"))?;
        Ok(row.get::<_, i64>(0) as u64)
    }

    fn append(&mut self, batch: Vec<NewEvent>) -> Result<Vec<Record>, StoreError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let store = self.store;
        let write = store.err("write to");
        let mut client = store.client.borrow_mut();
        let mut tx = client.transaction().map_err(&write)?;
        let counter = tx
            .query_one(
                "SELECT last_seq, last_batch, max_case FROM esc_counter FOR UPDATE",
                &[],
            )
            .map_err(&write)?;
        let (last_seq, last_batch, mut max_case): (i64, i64, i64) =
            (counter.get(0), counter.get(1), counter.get(2));
        let batch_id = last_batch + 1;
        let mut records = Vec::with_capacity(batch.len());
        let mut texts = Vec::with_capacity(batch.len());
        let count = batch.len();
        for (i, (seq, event)) in (last_seq as u64 + 1..).zip(batch).enumerate() {
            let mut record = event.into_record(seq);
            record.login = crate::store::login().map(Into::into);
            // Never store a line that does not read back as the same event.
            let text = serde_json::to_string(&record)
                .ok()
                .filter(|text| serde_json::from_str::<Record>(text).ok().as_ref() == Some(&record))
                .ok_or_else(|| StoreError::Database {
                    action: "write to",
                    location: store.location.clone(),
                    message: format!(
                        "an event of case `{}` does not read back as written; nothing was written (this is a bug in esc)",
                        record.case
                    ),
                })?;
            max_case = max_case.max(id::number(&record.case).unwrap_or(0) as i64);
            // The line the file would hold: all but a batch's last line carry its mark.
            let text = if i + 1 < count {
                format!("{}{MORE_MARK}", &text[..text.len() - 1])
            } else {
                text
            };
            texts.push(text);
            records.push(record);
        }
        let rows: Vec<(i64, i64, &str, &str, &str)> = records
            .iter()
            .zip(&texts)
            .map(|(r, text)| {
                (
                    r.seq as i64,
                    batch_id,
                    r.case.as_str(),
                    r.event.name(),
                    text.as_str(),
                )
            })
            .collect();
        store.insert(&mut tx, &rows)?;
        let new_last = last_seq + records.len() as i64;
        tx.execute(
            "UPDATE esc_counter SET last_seq = $1, last_batch = $2, max_case = $3",
            &[&new_last, &batch_id, &max_case],
        )
        .map_err(&write)?;
        tx.commit().map_err(&write)?;
        Ok(records)
    }
}

/// Fills an empty database ledger in one transaction (opened by [`Store::importer`]).
struct PgImporter<'a> {
    store: &'a PgStore,
    /// Whether the transaction is still open (rolled back on drop unless finished).
    open: bool,
    chunk: Vec<RawLine>,
    last_seq: u64,
    /// The batch id of the next line.
    batch: i64,
    /// The batch id of the last line flushed.
    last_batch: i64,
    max_case: i64,
}

impl PgImporter<'_> {
    fn flush(&mut self) -> Result<(), StoreError> {
        if self.chunk.is_empty() {
            return Ok(());
        }
        let mut rows = Vec::with_capacity(self.chunk.len());
        let mut batch = self.batch;
        for line in &self.chunk {
            rows.push((
                line.seq as i64,
                batch,
                line.case.as_str(),
                line.event.as_str(),
                line.text.as_str(),
            ));
            self.last_batch = batch;
            if line.batch_end {
                batch += 1;
            }
        }
        let mut client = self.store.client.borrow_mut();
        self.store.insert(&mut *client, &rows)?;
        drop(client);
        self.batch = batch;
        self.chunk.clear();
        Ok(())
    }
}

impl LineSink for PgImporter<'_> {
    fn push(&mut self, line: RawLine) -> Result<(), StoreError> {
        if line.seq != self.last_seq + 1 {
            return Err(self.store.damaged(
                line.seq,
                format!(
                    "seq is {} where {} was expected",
                    line.seq,
                    self.last_seq + 1
                ),
            ));
        }
        self.last_seq = line.seq;
        self.max_case = self
            .max_case
            .max(id::number(&line.case).unwrap_or(0) as i64);
        self.chunk.push(line);
        if self.chunk.len() >= IMPORT_CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<u64, StoreError> {
        self.flush()?;
        let write = self.store.err("write to");
        let mut client = self.store.client.borrow_mut();
        let last_batch = self.last_batch;
        client
            .execute(
                "UPDATE esc_counter SET last_seq = $1, last_batch = $2, max_case = $3",
                &[&(self.last_seq as i64), &last_batch, &self.max_case],
            )
            .map_err(&write)?;
        client.batch_execute("COMMIT").map_err(&write)?;
        self.open = false;
        Ok(self.last_seq)
    }
}

impl Drop for PgImporter<'_> {
    fn drop(&mut self) {
        if self.open
            && let Ok(mut client) = self.store.client.try_borrow_mut()
        {
            let _ = client.batch_execute("ROLLBACK");
        }
    }
}
