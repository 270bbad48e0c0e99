use std::path::PathBuf;

use idp_model::PluginKind;
use miette::Diagnostic;

/// What can go wrong building or inspecting plugins.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum BuildError {
    /// No compiler on this machine builds wasm32 guests.
    #[error("no toolchain that builds `wasm32-unknown-unknown` plugins (tried {tried})")]
    #[diagnostic(
        code(idp::plugin_build::no_toolchain),
        help(
            "on Debian: `apt-get install rustc-web cargo-web rust-web-src` (std is built from source); with rustup: `rustup target add wasm32-unknown-unknown`; `IDP_GUEST_RUSTC` names a compiler to use"
        )
    )]
    Toolchain {
        /// The compilers looked at.
        tried: String,
    },

    /// The built-in catalog must be built with the pinned recipe, and only a rustup
    /// toolchain was found.
    #[error("the built-in catalog is built only with Debian's pinned `rustc-web`; found `{found}`")]
    #[diagnostic(
        code(idp::plugin_build::unpinned_toolchain),
        help(
            "install the version `.ci/run` pins: `apt-get install rustc-web cargo-web rust-web-src`; another compiler would change every digest"
        )
    )]
    PinnedToolchain {
        /// The toolchain that was found instead.
        found: String,
    },

    /// `cargo metadata` could not describe the path.
    #[error("cannot read the Cargo workspace at `{}`: {reason}", path.display())]
    #[diagnostic(
        code(idp::plugin_build::no_workspace),
        help(
            "run it in a guest crate or a Cargo workspace of guest crates (a directory with a `Cargo.toml`), or pass its path"
        )
    )]
    Metadata {
        /// The path given.
        path: PathBuf,
        /// cargo's explanation.
        reason: String,
    },

    /// The workspace holds no guest crate under the path.
    #[error("no guest crate under `{}`", path.display())]
    #[diagnostic(
        code(idp::plugin_build::no_guest_crate),
        help(
            "a guest crate is a `cdylib` that depends on `idp-plugin-sdk`: add `[lib] crate-type = [\"cdylib\", \"rlib\"]` and the dependency to its `Cargo.toml`, or create one with `idp plugin new`"
        )
    )]
    NoGuestCrate {
        /// The path searched.
        path: PathBuf,
    },

    /// `-p` named a package that is not a guest crate under the path.
    #[error("no guest crate `{name}` under `{}`", path.display())]
    #[diagnostic(
        code(idp::plugin_build::unknown_package),
        help("`-p` takes a package name from `Cargo.toml`; guest crates here: {available}")
    )]
    UnknownPackage {
        /// The name asked for.
        name: String,
        /// The path searched.
        path: PathBuf,
        /// The guest crates there.
        available: String,
    },

    /// `cargo build` of a guest failed.
    #[error("building `{krate}` for wasm32 failed ({status})")]
    #[diagnostic(
        code(idp::plugin_build::cargo),
        help(
            "cargo's output above says why; `cargo check` in the crate shows the same errors faster"
        )
    )]
    Cargo {
        /// The crate.
        krate: String,
        /// cargo's exit status.
        status: String,
    },

    /// The core module could not be made into a component.
    #[error("`{krate}` cannot become a component: {reason}")]
    #[diagnostic(
        code(idp::plugin_build::componentize),
        help(
            "the crate must export its world through `idp_plugin_sdk::export_template!` or `export_policy!`"
        )
    )]
    Componentize {
        /// The crate.
        krate: String,
        /// wit-component's explanation.
        reason: String,
    },

    /// The component loads, but what its `info()` says would not make a valid catalog
    /// entry.
    #[error("`{krate}` declares {problem}")]
    #[diagnostic(
        code(idp::plugin_build::invalid_info),
        help("fix what the crate's `info()` returns and build again")
    )]
    InvalidInfo {
        /// The crate (or file, for `inspect`).
        krate: String,
        /// What is wrong.
        problem: String,
    },

    /// Two guest crates say they are the same plugin.
    #[error("`{first}` and `{second}` both build {kind} `{name}`")]
    #[diagnostic(
        code(idp::plugin_build::duplicate_plugin),
        help("a catalog holds one plugin per name: rename one in its `info()`")
    )]
    Duplicate {
        /// Template or policy.
        kind: PluginKind,
        /// The name both report.
        name: String,
        /// One crate.
        first: String,
        /// The other.
        second: String,
    },

    /// The built component does not load.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Host(#[from] idp_host::HostError),

    /// The catalog index could not be read, or an entry would not be valid.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Catalog(#[from] idp_catalog::CatalogError),

    /// A file could not be read or written, or a program not run.
    #[error("cannot {action} `{}`: {reason}", path.display())]
    #[diagnostic(code(idp::plugin_build::io))]
    Io {
        /// read, write, run…
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The I/O error.
        reason: String,
    },

    /// `--check` found components or module pins that differ from the catalog.
    #[error("the build differs from `{}`: {names}", catalog.display())]
    #[diagnostic(
        code(idp::plugin_build::drift),
        help(
            "run `idp plugin build` and commit the catalog with the source; if this happens on a fresh clone, the build is not reproducible (compare toolchain versions)"
        )
    )]
    Drift {
        /// The catalog directory compared with.
        catalog: PathBuf,
        /// Which.
        names: String,
    },
}

impl BuildError {
    /// An I/O error on a path.
    pub(crate) fn io(action: &'static str, path: &std::path::Path, e: &std::io::Error) -> Self {
        BuildError::Io {
            action,
            path: path.to_path_buf(),
            reason: e.to_string(),
        }
    }
}
