//! The imperative shell: one module per command group.
