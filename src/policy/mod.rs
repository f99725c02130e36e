//! The policy language: the checked model, parsing with source spans, checks, explain, schema.

pub mod model;

pub use model::*;
