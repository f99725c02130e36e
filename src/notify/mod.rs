//! Notifications: who is told what ([`compose`], pure), the outbox (folded from the ledger's
//! notification events) and delivery ([`deliver`]: the notify command, a webhook, email).

pub mod command;
pub mod compose;
pub mod deliver;
pub mod email;
pub mod outbox;
pub mod webhook;
