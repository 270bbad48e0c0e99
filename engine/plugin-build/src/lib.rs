//! Builds the guest crates under `plugins/` into WebAssembly components and writes
//! them, with their sha256 digests, into the catalog; `--check` rebuilds and compares.
//!
//! The recipe is `shared/guest-toolchain.md`: Debian's `rustc-web` builds `std` for
//! `wasm32-unknown-unknown` from `rust-web-src`, rustup's `rust-lld` links, and
//! wit-component turns the core module into a component. One pinned toolchain and
//! remapped paths make the bytes identical in every clone, which is what lets CI
//! compare digests.
#![deny(missing_docs)]

mod error;
mod guest;
mod toolchain;

pub use error::BuildError;
pub use guest::{Built, Guest, build_catalog, componentize, discover};
pub use toolchain::Toolchain;
