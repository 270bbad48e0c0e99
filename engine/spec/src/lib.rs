//! Environment specs (`env.kdl`): parsing KDL 2.0 (and 1.0) into typed reserved fields
//! and template inputs as JSON, validating the inputs against a template's JSON Schema,
//! and pointing every problem at the line and column it comes from.
//!
//! KDL becomes JSON by the rules in `docs/kdl-json.md`; while converting, every JSON
//! pointer is recorded with its source span ([`SpanMap`]), which is what lets a
//! schema error or a plugin finding about `/service/cpu` underline `cpu "lots"`.
#![deny(missing_docs)]

mod convert;
#[doc(hidden)]
pub mod differential;
mod duplicates;
mod fast_kdl;
mod prescan;
mod problem;
mod schedule;
mod source;
mod spec;
mod suggest;
mod validate;

pub use convert::{SpanMap, nodes_to_json};
pub use prescan::{MAX_BYTES, MAX_DEPTH};
pub use problem::{MAX_PROBLEMS, Problem, Problems};
pub use source::SourceFile;
pub use spec::{EnvSpec, RESERVED, Spanned, SpecFile, Waiver, is_spec, parse_kdl};
pub use suggest::did_you_mean;
pub use validate::{SchemaError, Validator};
