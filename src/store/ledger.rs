//! The ledger store.
