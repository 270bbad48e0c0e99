//! The WebAssembly plugin host: loads template and policy components, runs every
//! call under a time, memory and output budget, and caches compiled code on disk,
//! using a cached file only when a keyed tag proves idp compiled it from the pinned
//! component (docs/decisions/0008-sandbox-budget.md).
//!
//! The rest of the engine sees [`PluginHost`], [`TemplatePlugin`] and [`PolicyPlugin`]
//! and the types of `idp-model`; generated bindings stay in one private module per
//! WIT version (`v0_1`), so a future `idp:plugin@0.2.0` adds a module beside it.
#![deny(missing_docs)]

mod cache;
mod error;
#[cfg(test)]
mod fixtures;
mod limits;
mod plugin;
mod v0_1;

pub use cache::default_key_file as default_cache_key_file;
pub use error::HostError;
pub use limits::{Isolation, Limits};
pub use plugin::{AnyPlugin, PluginHost, PolicyPlugin, TemplatePlugin, digest};

/// WIT package versions of `idp:plugin` this host loads.
pub const SUPPORTED_WIT_VERSIONS: &[&str] = &["0.1.0"];
