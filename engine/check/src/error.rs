use std::path::PathBuf;

use miette::Diagnostic;

/// Why `idp check` could not start: the paths it was given do not lead to specs.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum CheckError {
    /// A path does not exist or cannot be read.
    #[error("cannot read `{}`: {reason}", path.display())]
    #[diagnostic(
        code(idp::check::path),
        help("pass directories or spec files, such as `idp check examples/`")
    )]
    Unreadable {
        /// The path.
        path: PathBuf,
        /// The operating system's reason.
        reason: String,
    },
    /// Nothing under the paths holds an `environment`.
    #[error("no environment specs under {paths}")]
    #[diagnostic(
        code(idp::check::no_specs),
        help(
            "specs are `*.kdl` files with `environment NAME {{ … }}` nodes; `.gitignore`d files are skipped"
        )
    )]
    NoSpecs {
        /// The paths, for the message.
        paths: String,
    },
}
