//! `esc` — escalation management from the command line.
//!
//! The crate is a functional core in an imperative shell:
//! - [`policy`]: the policy language — parsing with spans, checking, explaining, schema;
//! - [`sla`]: business calendars and SLA clocks (pure);
//! - [`case`]: ledger events, the case fold and the state machine (pure);
//! - [`intake`]: alerts and events from monitoring → cases, de-duplicated by key (pure);
//! - [`store`]: the append-only JSON Lines ledger (locking, fsync, torn tails) and discovery;
//! - [`app`]: the shell — one module per command group, the only code that does I/O;
//! - [`review`], [`remind`] and [`report`]: post-escalation reviews, their reminders and
//!   reports (pure);
//! - [`json_plain`]: where plain JSON string text ends, found a word at a time;
//! - [`par`]: work on every case shared among the machine's cores (after the fold);
//! - [`cli`]: clap definitions.

pub mod app;
pub mod case;
pub mod cli;
pub mod complete;
pub mod huge_pages;
pub mod intake;
pub mod json_plain;
pub mod name;
pub mod notify;
pub mod oncall;
pub mod par;
pub mod policy;
pub mod remind;
pub mod render;
pub mod report;
pub mod review;
pub mod simulate;
pub mod sla;
pub mod store;
pub mod sweep;
pub mod timefmt;
