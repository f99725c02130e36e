//! The policy language: the checked model, parsing with source spans, checks, explain, schema.

pub mod calendar_spec;
pub mod diff;
pub mod duration;
pub mod explain;
pub mod intake;
pub mod model;
mod notify_spec;
pub mod parse;
pub mod schema;
pub mod source;
pub mod templates;
mod triggers;
pub mod version;

pub use model::*;
pub use parse::parse;
pub use source::Diagnostic;
