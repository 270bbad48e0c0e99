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
    #[error("{kind} `{name}` is at version {available}, which does not match `{wanted}`")]
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
        /// What the catalog has.
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
    },
}
