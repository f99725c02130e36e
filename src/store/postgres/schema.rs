//! The database layout and its numbered migrations.
//!
//! Each migration runs once, inside the one transaction that also records it in
//! `esc_schema_migrations`, under an advisory lock so two commands never migrate at once.
//! A database whose recorded version is newer than [`LATEST`] is refused by every command.
//!
//! # Tables (version 1)
//!
//! - `esc_events`: one row per event — `seq` (primary key, gap-free from 1), `batch` (the
//!   append that wrote it), `case_id` and `case_number`, `event` (the event name), and
//!   `line`, the event's exact JSON text (type `text`, not `jsonb`, so the bytes copy back
//!   unchanged). A case is opened once: a unique index on `case_id` of `opened` rows.
//! - `esc_counter`: one row holding the last `seq`, the last batch id and the highest case
//!   number. Every append updates it in its own transaction, so numbering is gap-free and
//!   totally ordered across all writers (a sequence could leave gaps).
//! - `esc_schema_migrations`: the applied versions.

use postgres::GenericClient;

/// The newest schema version this esc knows.
pub const LATEST: i64 = 1;

/// A schema change: its number, a name, and the SQL.
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// Every migration, in order.
pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "events, counter",
    sql: "
        CREATE TABLE esc_events (
            seq         bigint PRIMARY KEY CHECK (seq > 0),
            batch       bigint NOT NULL,
            case_id     text   NOT NULL,
            case_number bigint NOT NULL,
            event       text   NOT NULL,
            line        text   NOT NULL
        );
        CREATE INDEX esc_events_case ON esc_events (case_number, seq);
        CREATE INDEX esc_events_event ON esc_events (event);
        CREATE INDEX esc_events_batch ON esc_events (batch);
        CREATE UNIQUE INDEX esc_events_one_opening ON esc_events (case_id)
            WHERE event = 'opened';
        CREATE TABLE esc_counter (
            id         boolean PRIMARY KEY DEFAULT true CHECK (id),
            last_seq   bigint NOT NULL,
            last_batch bigint NOT NULL,
            max_case   bigint NOT NULL
        );
        INSERT INTO esc_counter (id, last_seq, last_batch, max_case) VALUES (true, 0, 0, 0);
    ",
}];

/// Advisory lock key taken (per transaction) while migrating.
pub const MIGRATE_KEY: i64 = 0x6573_635f_6d69_6772; // "esc_migr"

/// Advisory lock key of the exclusive right to write (held per session by a writer).
pub const WRITE_KEY: i64 = 0x6573_635f_7772_6974; // "esc_writ"

/// The recorded schema version: `None` when the database has no esc tables yet.
pub fn version(client: &mut impl GenericClient) -> Result<Option<i64>, postgres::Error> {
    let exists: bool = client
        .query_one(
            "SELECT to_regclass('esc_schema_migrations') IS NOT NULL",
            &[],
        )?
        .get(0);
    if !exists {
        return Ok(None);
    }
    let row = client.query_one("SELECT max(version) FROM esc_schema_migrations", &[])?;
    Ok(Some(row.get::<_, Option<i64>>(0).unwrap_or(0)))
}

/// Outcome of [`migrate`].
pub enum Migrated {
    /// These versions were applied (none if the schema was up to date).
    Applied(Vec<i64>),
    /// The database is newer than this esc.
    TooNew(i64),
}

/// Applies every migration newer than the recorded version, in one transaction.
pub fn migrate(client: &mut postgres::Client) -> Result<Migrated, postgres::Error> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_KEY])?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS esc_schema_migrations (
            version    bigint PRIMARY KEY,
            name       text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )",
    )?;
    let current = version(&mut tx)?.unwrap_or(0);
    if current > LATEST {
        return Ok(Migrated::TooNew(current));
    }
    let mut applied = Vec::new();
    for migration in MIGRATIONS.iter().filter(|m| m.version > current) {
        tx.batch_execute(migration.sql)?;
        tx.execute(
            "INSERT INTO esc_schema_migrations (version, name) VALUES ($1, $2)",
            &[&migration.version, &migration.name],
        )?;
        applied.push(migration.version);
    }
    tx.commit()?;
    Ok(Migrated::Applied(applied))
}
