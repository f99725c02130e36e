//! Storage: the append-only ledger and the discovery of policy and ledger paths.

pub mod ledger;
pub mod paths;
