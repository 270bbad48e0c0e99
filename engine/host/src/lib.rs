//! The WebAssembly plugin host: loads template and policy components, runs every
//! call under a time, memory and output budget, and caches compiled code on disk,
//! using a cached file only when a keyed tag proves idp compiled it from the pinned
//! component (docs/decisions/0008-sandbox-budget.md).
//!
//! The rest of the engine sees [`PluginHost`], [`TemplatePlugin`] and [`PolicyPlugin`]
//! and the types of `idp-model`; generated bindings stay in one private module per
//! WIT version (`v0_1`, `v0_2`), whose shared code is the `contract!` macro. From
//! 0.2.0 a plugin may log and report its panic (`idp:plugin/log`): the message of a
//! panic is in the error of the call ([`HostError::Panic`]), log lines go to the
//! host's [`LogSink`].
#![deny(missing_docs)]

mod cache;
mod contract;
mod error;
#[cfg(test)]
mod fixtures;
mod limits;
mod logging;
mod plugin;
mod v0_1;
mod v0_2;

pub use cache::default_key_file as default_cache_key_file;
pub use error::HostError;
pub use limits::{Isolation, Limits};
pub use logging::{LogLevel, LogLine, LogSink};
pub use plugin::{AnyPlugin, PluginHost, PolicyArgs, PolicyPlugin, TemplatePlugin, digest};

/// WIT package versions of `idp:plugin` this host loads.
pub const SUPPORTED_WIT_VERSIONS: &[&str] = &["0.1.0", "0.2.0"];
