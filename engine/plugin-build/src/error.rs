use std::path::PathBuf;

use miette::Diagnostic;

/// What can go wrong building plugins.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum BuildError {
    /// The guest toolchain is not installed.
    #[error("the guest toolchain is missing: {what}")]
    #[diagnostic(
        code(idp::build::toolchain),
        help(
            "install it with `apt-get install -y rustc-web cargo-web rust-web-src` (see shared/guest-toolchain.md)"
        )
    )]
    Toolchain {
        /// What was not found.
        what: String,
    },

    /// No workspace with a `plugins/` directory was found.
    #[error("no idp workspace (a `Cargo.toml` beside `plugins/`) at or above `{}`", start.display())]
    #[diagnostic(
        code(idp::build::no_workspace),
        help("run it inside the idp repository, or pass `--workspace DIR`")
    )]
    NoWorkspace {
        /// Where the search started.
        start: PathBuf,
    },

    /// A plugin name given on the command line does not exist.
    #[error("no plugin crate `{name}` under `plugins/`")]
    #[diagnostic(
        code(idp::build::unknown_plugin),
        help("plugin crates are named `template-NAME` or `policy-NAME`; available: {available}")
    )]
    UnknownPlugin {
        /// The name asked for.
        name: String,
        /// What exists.
        available: String,
    },

    /// `cargo build` of a guest failed.
    #[error("building `{krate}` for wasm32 failed (exit status {status})")]
    #[diagnostic(code(idp::build::cargo), help("cargo's output above says why"))]
    Cargo {
        /// The crate.
        krate: String,
        /// Exit status.
        status: String,
    },

    /// The core module could not be made into a component.
    #[error("`{krate}` cannot become a component: {reason}")]
    #[diagnostic(
        code(idp::build::componentize),
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

    /// The built component does not load.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Host(#[from] idp_host::HostError),

    /// The catalog index could not be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Catalog(#[from] idp_catalog::CatalogError),

    /// A file could not be read or written.
    #[error("cannot {action} `{}`: {reason}", path.display())]
    #[diagnostic(code(idp::build::io))]
    Io {
        /// read, write, run…
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The I/O error.
        reason: String,
    },

    /// `--check` found components that differ from the catalog.
    #[error("{count} component(s) differ from the catalog: {names}")]
    #[diagnostic(
        code(idp::build::digest_drift),
        help(
            "run `idp plugin build` and commit `catalog/`; if this happens on a fresh clone, the build is not reproducible (compare toolchain versions)"
        )
    )]
    Drift {
        /// How many.
        count: usize,
        /// Which.
        names: String,
    },
}
