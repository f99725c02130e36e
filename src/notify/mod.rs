//! Notifications: the outbox (folded from the ledger's notification events) and delivery by
//! running the policy's notify command with a JSON payload on stdin.

pub mod command;
pub mod outbox;
