//! Cases: the events stored in the ledger, the fold that derives a case from them, and the
//! state machine that decides which moves are legal.

pub mod event;

pub use event::{Event, NewEvent, Record};
