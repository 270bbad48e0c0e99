//! Builds guest crates into WebAssembly components and writes them, with their sha256
//! digests and module pins, into a catalog directory; `--check` rebuilds and compares.
//! Inspects a built component.
//!
//! A guest crate is a package with a `cdylib` target depending on `idp-plugin-sdk`,
//! found by `cargo metadata` in any Cargo workspace: a team's repository, or idp's own,
//! whose built-in catalog is always built with the pinned recipe
//! (docs/decisions/0003: Debian's `rustc-web` builds `std` for
//! `wasm32-unknown-unknown` from `rust-web-src`) so that its digests reproduce. A team's
//! build may use a rustup toolchain with the target installed instead, and records its
//! compiler in the entry. wit-component turns the core module into a component, which
//! the host loads to read and check its `info()`: the kind and name come from there.
//!
//! The guest profile and flags are given to cargo on its command line and name no
//! workspace path, so every workspace on a machine shares one compiled `std` per target
//! directory (`CARGO_TARGET_DIR`, else `<workspace>/target/guest`). The workspace's
//! own path needs no remapping: cargo names members by relative paths, and the
//! built-ins built this way in a copy of the repository at another path kept every
//! committed digest. Measured on two busy cores (debug `idp`, Debian's rustc 1.96):
//! a team crate in an empty target directory 112 s (cargo 109 s: `std`, the SDK's
//! dependencies, the crate); the same crate from a second workspace sharing a warm
//! target directory 3.8 s (cargo 0.8 s, the rest loading the component in the host);
//! the 13 built-ins with `std` rebuilt 67 s.
#![deny(missing_docs)]

mod catalog;
mod compile;
mod component;
mod discover;
mod error;
mod inspect;
mod toolchain;

use std::path::{Path, PathBuf};

pub use catalog::{Built, Modules};
pub use compile::{profile_args, rustflags};
pub use component::{Info, Loaded, check_info, componentize};
pub use discover::{GuestCrate, SDK_PACKAGE, Workspace};
pub use error::BuildError;
pub use inspect::{Inspection, inspect};
pub use toolchain::{Route, Toolchain};

use catalog::Target;

/// What to build, and where to.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// A guest crate, a directory of them, or a workspace.
    pub path: PathBuf,
    /// Only these packages (all when empty).
    pub packages: Vec<String>,
    /// Compare with the catalog instead of writing it.
    pub check: bool,
    /// The catalog directory (default: `catalog/` in the workspace root).
    pub catalog: Option<PathBuf>,
    /// The `rustc` to build with instead of looking for one (`IDP_GUEST_RUSTC`).
    pub rustc: Option<PathBuf>,
}

/// What a build made.
#[derive(Debug, Clone)]
pub struct Report {
    /// The catalog directory written or checked.
    pub catalog: PathBuf,
    /// The toolchain that built the components.
    pub toolchain: Toolchain,
    /// Each component.
    pub built: Vec<Built>,
    /// Older versions of what was built, kept beside it, whose bytes no longer match
    /// their pin.
    pub kept_drift: Vec<String>,
    /// The module pins.
    pub modules: Modules,
}

impl Report {
    /// With `--check`: what differs from the catalog, as an error naming it.
    pub fn drift(&self) -> Option<BuildError> {
        catalog::drift(&self.catalog, &self.built, &self.kept_drift, &self.modules)
    }
}

/// The toolchain for a workspace: any for a team's, the pinned recipe for idp's own.
fn toolchain_for(options: &Options) -> Result<(Toolchain, Workspace), BuildError> {
    let named = options.rustc.as_deref();
    let tc = Toolchain::detect(named, false)?;
    let ws = Workspace::discover(&tc.cargo, &options.path)?;
    if ws.in_repo && tc.route != Route::BuildStd {
        return Ok((Toolchain::detect(named, true)?, ws));
    }
    Ok((tc, ws))
}

/// The workspaces `path` designates: itself when it is in a Cargo workspace, else each
/// directory right below it holding a `Cargo.toml` (a folder of a team's plugin
/// workspaces, each with its own `[workspace]`), sorted. When there is none, `path`
/// itself, so that the error names it.
pub fn workspace_paths(path: &Path) -> Vec<PathBuf> {
    if path.ancestors().any(|d| d.join("Cargo.toml").is_file()) {
        return vec![path.to_path_buf()];
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .collect();
    found.sort();
    if found.is_empty() {
        vec![path.to_path_buf()]
    } else {
        found
    }
}

/// Builds the guest crates `options` designate into their catalog (see the crate doc);
/// `progress` gets a line per step.
pub fn build(options: &Options, mut progress: impl FnMut(&str)) -> Result<Report, BuildError> {
    let (tc, ws) = toolchain_for(options)?;
    let guests = ws.select(&options.path, &options.packages)?;
    progress(&format!("guest toolchain: {}", tc.describe()));
    let dir = options
        .catalog
        .clone()
        .unwrap_or_else(|| ws.root.join("catalog"));
    let modules = if ws.in_repo {
        ws.root.join("modules")
    } else {
        dir.join("modules")
    };
    let mut target = Target::open(dir.clone(), modules, options.check)?;
    let host = idp_host::PluginHost::new(None, idp_host::Limits::default())?;
    // The built-in catalog leaves the toolchain out: the pinned recipe made it.
    let toolchain = (!ws.in_repo).then_some(tc.version.as_str());
    let mut built: Vec<Built> = Vec::new();
    for guest in &guests {
        progress(&format!("building `{}`", guest.package));
        let component = componentize(&guest.package, &compile::build(&tc, &ws, guest)?)?;
        let loaded = component::load(&host, &guest.package, &component)?;
        check_info(&guest.package, &loaded.info)?;
        let entry = Target::entry(&loaded.info, &component, toolchain)?;
        if let Some(other) = built
            .iter()
            .find(|b| b.entry.kind == entry.kind && b.entry.name == entry.name)
        {
            return Err(BuildError::Duplicate {
                kind: entry.kind,
                name: entry.name,
                first: other.package.clone(),
                second: guest.package.clone(),
            });
        }
        built.push(target.add(&guest.package, entry, &component)?);
    }
    let kept_drift = target.kept_drift(&built);
    let modules = target.finish()?;
    for warning in catalog::unprovided(&built, &modules, &dir)? {
        progress(&warning);
    }
    Ok(Report {
        catalog: dir,
        toolchain: tc,
        built,
        kept_drift,
        modules,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_of_workspaces_is_each_of_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        for ws in ["site", "rule"] {
            std::fs::create_dir_all(root.join(ws)).expect("mkdir");
            std::fs::write(root.join(ws).join("Cargo.toml"), "[workspace]\n").expect("write");
        }
        std::fs::create_dir_all(root.join("docs")).expect("mkdir");
        assert_eq!(
            workspace_paths(root),
            [root.join("rule"), root.join("site")]
        );
        // Inside a workspace, the path is the workspace (or the crate) itself.
        assert_eq!(workspace_paths(&root.join("site")), [root.join("site")]);
        // Nothing to build: the path itself, for the error to name.
        assert_eq!(workspace_paths(&root.join("docs")), [root.join("docs")]);
    }
}
