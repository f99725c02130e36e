//! Storage: where the ledger lives and how commands read and write it, and the discovery
//! of policy and ledger paths.
//!
//! [`backend::Store`] is the interface every command goes through; [`open`] picks the
//! backend from the [`Location`]: the JSON Lines file ([`file`], over [`ledger`]) or a
//! PostgreSQL database ([`postgres`]).

pub mod backend;
pub mod file;
pub mod ledger;
pub mod location;
pub mod paths;
pub mod postgres;

pub use backend::{Store, StoreError, Writer};
pub use location::Location;

/// The operating-system login running this process, which every appended event records
/// (`login` on the envelope) beside the asserted `actor`. `None` when the system cannot say.
pub fn login() -> Option<String> {
    static LOGIN: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    LOGIN
        .get_or_init(|| whoami::username().ok().filter(|n| !n.trim().is_empty()))
        .clone()
}

/// Opens the ledger at `location`: a file (nothing is read yet) or a database (connected,
/// its schema version checked).
pub fn open(location: &Location) -> Result<Box<dyn Store>, StoreError> {
    Ok(match location {
        Location::File(path) => Box::new(file::FileStore::open(path)?),
        Location::Postgres(url) => Box::new(postgres::PgStore::open(url)?),
    })
}
