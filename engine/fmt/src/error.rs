//! What `idp fmt` refuses before it formats anything.

use std::path::PathBuf;

/// A path given to `idp fmt` that cannot be used.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum FmtError {
    /// A path that does not exist or cannot be read.
    #[error("cannot read `{path}`: {reason}")]
    #[diagnostic(
        code(idp::fmt::unreadable),
        help("name a `.kdl` file or a directory holding some, that exists and is readable")
    )]
    Unreadable {
        /// The path as given.
        path: PathBuf,
        /// What the system said.
        reason: String,
    },
}
