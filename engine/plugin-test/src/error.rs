use std::path::PathBuf;

use miette::Diagnostic;

/// Why a test run could not start: every one is a usage problem (exit 2). A case that
/// cannot run is not one of these: it is reported as that case's error.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum TestError {
    /// The path holds no Cargo workspace or no guest crate.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Discover(#[from] idp_plugin_build::BuildError),
    /// Guest crates, but no case in any of them.
    #[error("no test cases in {crates}")]
    #[diagnostic(
        code(idp::plugin_test::no_cases),
        help(
            "a case is a directory `<crate>/tests/<case>/` holding `env.kdl`; run `idp plugin test --bless` to write its golden files"
        )
    )]
    NoCases {
        /// The crates searched, for the message.
        crates: String,
    },
    /// The catalog directory is not there.
    #[error("no catalog at `{}`", path.display())]
    #[diagnostic(
        code(idp::plugin_test::no_catalog),
        help(
            "build the plugins into it with `idp plugin build`, or name another with `--catalog DIR`"
        )
    )]
    NoCatalog {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// In idp's own repository, `catalog/` is not the catalog this binary embeds.
    #[error("`{}` differs from the built-in catalog this `idp` carries", path.display())]
    #[diagnostic(
        code(idp::plugin_test::stale_builtin),
        help(
            "in idp's own repository `catalog/` is embedded in the binary: rebuild idp after `idp plugin build` (`cargo run -- plugin test` does both)"
        )
    )]
    StaleBuiltin {
        /// The repository's `catalog/`.
        path: PathBuf,
    },
    /// The catalog directory's index cannot be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Catalog(#[from] idp_catalog::CatalogError),
}
