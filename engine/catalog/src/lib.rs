//! The catalog: where templates, policies and OpenTofu modules come from, pinned by
//! sha256. The built-in catalog is embedded in the binary; a team adds its own
//! directories (each with a `catalog.kdl` index) without forking idp.
//!
//! Resolution is by name, and a name has one provider: the built-in catalog, then the
//! organisation's directories, then the teams'. A later source that provides a plugin
//! or module an earlier one provides is refused, unless the organisation's `idp.kdl`
//! declared that directory with the name in `overrides=` (docs/security.md). Component
//! paths and modules are confined to their catalog directory, and both are pinned by
//! sha256 in `catalog.kdl`.
#![deny(missing_docs)]

mod error;
mod index;
mod source;

pub use error::CatalogError;
pub use index::{Entry, INDEX_FILE, Index, ModulePin};
pub use source::{
    Catalog, Declared, MAX_COMPONENT_BYTES, MAX_MODULE_FILE_BYTES, MAX_MODULE_FILES, ModuleFiles,
    Plugin, Source, SourceDir, module_digest, modules_in, read_bounded,
};
