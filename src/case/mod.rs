//! Cases: the events stored in the ledger, the fold that derives a case from them, the state
//! machine that decides which moves are legal, and RACI resolved for a case.

pub mod authority;
pub mod comms;
pub mod describe;
pub mod digest;
pub mod drift;
pub mod edit;
pub mod event;
pub mod filter;
#[cfg(test)]
pub mod fixture;
pub mod fold;
pub mod id;
pub mod import;
pub mod incident;
pub mod levels;
pub mod promise;
pub mod raci;
mod record_de;
pub mod record_quick;
pub mod slots;
pub mod transition;
pub mod view;

pub use event::{Event, NewEvent, Record, Seen, Skimmed};
pub use fold::{
    Case, FoldError, Folder, Level, Levels, Major, Mark, More, Swarm, TriggerState,
    outbox_bookkeeping, unread_by_reports,
};
pub use transition::{OpenRequest, Refusal, Request};
