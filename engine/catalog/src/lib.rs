//! The catalog: where templates, policies and OpenTofu modules come from, pinned by
//! sha256. The built-in catalog is embedded in the binary; a team adds its own
//! directories (each with a `catalog.kdl` index) without forking idp.
//!
//! Resolution order is the team's sources in the order `idp.kdl` lists them, then the
//! built-in catalog, so a platform team can pin a patched plugin under the same name.
#![deny(missing_docs)]

mod error;
mod index;
mod source;

pub use error::CatalogError;
pub use index::{Entry, INDEX_FILE, Index};
pub use source::{Catalog, Plugin, Source};
