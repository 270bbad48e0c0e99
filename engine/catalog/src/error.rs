use std::path::PathBuf;

use idp_model::PluginKind;
use miette::{Diagnostic, NamedSource, SourceSpan};

/// What can go wrong finding a plugin or module.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum CatalogError {
    /// A `catalog.kdl` that is not valid KDL or not a valid index.
    #[error("invalid catalog index: {message}")]
    #[diagnostic(code(idp::catalog::invalid_index))]
    InvalidIndex {
        /// What is wrong.
        message: String,
        /// The index text.
        #[source_code]
        src: NamedSource<String>,
        /// Where.
        #[label("{message}")]
        span: SourceSpan,
        /// How to fix it.
        #[help]
        help: Option<String>,
    },

    /// A catalog directory or file could not be read.
    #[error("cannot read `{}`: {reason}", path.display())]
    #[diagnostic(code(idp::catalog::io))]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        reason: String,
    },

    /// A component or module file larger than a catalog file may be.
    #[error("`{}` is larger than {} MiB", path.display(), limit >> 20)]
    #[diagnostic(
        code(idp::catalog::too_large),
        help(
            "a catalog holds components and OpenTofu files; is this the file `catalog.kdl` names?"
        )
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit in bytes.
        limit: usize,
    },

    /// A module with more files than a module may hold.
    #[error("module `{}` holds more than {limit} files", module.display())]
    #[diagnostic(
        code(idp::catalog::too_many_files),
        help(
            "a module is its `.tf` files (and a few more); move what else is there out of the catalog"
        )
    )]
    TooManyFiles {
        /// The module's directory.
        module: PathBuf,
        /// The limit.
        limit: usize,
    },

    /// No catalog source has a plugin of that name.
    #[error("unknown {kind} `{name}`")]
    #[diagnostic(code(idp::catalog::unknown_plugin))]
    UnknownPlugin {
        /// Template or policy.
        kind: PluginKind,
        /// The name asked for.
        name: String,
        /// "did you mean" and the list of what exists.
        #[help]
        help: String,
    },

    /// The catalog has the plugin, but not in a version the spec accepts.
    #[error("{kind} `{name}` has no version matching `{wanted}` (the catalog has {available})")]
    #[diagnostic(
        code(idp::catalog::version_mismatch),
        help("change the spec's `version=` or update the catalog")
    )]
    VersionMismatch {
        /// Template or policy.
        kind: PluginKind,
        /// The name.
        name: String,
        /// What the spec asked for.
        wanted: String,
        /// The versions the catalog has, newest first.
        available: String,
    },

    /// The component's bytes do not match the digest the index pins.
    #[error("{kind} `{name}`: `{file}` has sha256 {actual}, but the catalog pins {expected}")]
    #[diagnostic(
        code(idp::catalog::digest_mismatch),
        help(
            "the component was modified or corrupted after the index was written; rebuild it with `idp plugin build`, or restore it from version control"
        )
    )]
    DigestMismatch {
        /// Template or policy.
        kind: PluginKind,
        /// The name.
        name: String,
        /// The component file.
        file: String,
        /// Digest in the index.
        expected: String,
        /// Digest of the bytes.
        actual: String,
    },

    /// A template asks for a module no catalog source provides.
    #[error("module `{name}` is not in any catalog")]
    #[diagnostic(code(idp::catalog::unknown_module))]
    UnknownModule {
        /// The module.
        name: String,
        /// Where idp looked and where the module should be.
        #[help]
        help: String,
    },

    /// A catalog path that leaves its catalog directory (absolute, `..`, a symlink out).
    #[error("`{}` is outside its catalog `{}`", path.display(), catalog.display())]
    #[diagnostic(
        code(idp::catalog::outside_catalog),
        help(
            "a catalog's `file=` paths and modules are relative paths inside its directory, without `..` or symlinks"
        )
    )]
    OutsideCatalog {
        /// The path as asked for.
        path: PathBuf,
        /// The catalog directory.
        catalog: PathBuf,
    },

    /// A later catalog source provides a plugin or module an earlier one already does.
    #[error("the {by} provides {what} `{name}`, which the {provider} already provides")]
    #[diagnostic(
        code(idp::catalog::shadowed),
        help(
            "rename it in its catalog; only the organisation's idp.kdl may replace a plugin or module, by naming it: `catalog path=\"…\" overrides=\"NAME\"`"
        )
    )]
    Shadowed {
        /// `template`, `policy` or `module`.
        what: String,
        /// The name.
        name: String,
        /// The source that tries to provide it again.
        by: String,
        /// The source that provides it.
        provider: String,
    },

    /// A module's files do not match the digest its catalog pins.
    #[error(
        "module `{name}` in the {origin} has sha256 {actual}, but its catalog.kdl pins {expected}"
    )]
    #[diagnostic(
        code(idp::catalog::module_digest_mismatch),
        help(
            "the module changed after its catalog.kdl was written; review the change and run `idp plugin build` to pin it again"
        )
    )]
    ModuleDigestMismatch {
        /// The module.
        name: String,
        /// Where it came from.
        origin: String,
        /// Digest in the index.
        expected: String,
        /// Digest of the files.
        actual: String,
    },

    /// A name or version that does not follow its grammar.
    #[error("{0}")]
    #[diagnostic(code(idp::catalog::invalid_name))]
    InvalidName(#[from] idp_model::InvalidName),
}
