//! What can go wrong making or re-vendoring a plugin workspace.

use std::path::PathBuf;

/// A scaffold or vendoring failure. Everything but [`ScaffoldError::Io`] and
/// [`ScaffoldError::Render`] is the user's input ([`ScaffoldError::is_input`]).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ScaffoldError {
    /// The plugin name does not follow the catalog's name grammar.
    #[error(transparent)]
    #[diagnostic(
        code(idp::scaffold::invalid_name),
        help("a plugin name is lowercase letters, digits and `-`, such as `docs-site`")
    )]
    InvalidName(#[from] idp_model::InvalidName),

    /// The built-in catalog already provides the name, so a team catalog could not.
    #[error("the built-in catalog already provides {what} `{name}`")]
    #[diagnostic(
        code(idp::scaffold::builtin_name),
        help(
            "choose another name: a team catalog cannot provide a name the built-in catalog provides (`idp catalog list` shows them)"
        )
    )]
    BuiltinName {
        /// `template`, `policy` or `module`.
        what: &'static str,
        /// The name asked for.
        name: String,
    },

    /// The target exists and is not an empty directory.
    #[error("`{}` already exists and is not an empty directory", path.display())]
    #[diagnostic(
        code(idp::scaffold::target_exists),
        help(
            "`idp plugin new` never overwrites: choose another `--path`, or remove the directory first"
        )
    )]
    TargetExists {
        /// The target directory.
        path: PathBuf,
    },

    /// `idp plugin vendor` was pointed at a directory that is not a plugin workspace.
    #[error("`{}` is not a plugin workspace: {why}", path.display())]
    #[diagnostic(
        code(idp::scaffold::not_a_workspace),
        help(
            "run it in the directory `idp plugin new` made: its Cargo.toml has a `[workspace]` and depends on `vendor/idp-plugin-sdk`"
        )
    )]
    NotAWorkspace {
        /// The directory given.
        path: PathBuf,
        /// What is missing.
        why: &'static str,
    },

    /// The SDK directory is a link, not a vendored copy; replacing it would break the link.
    #[error("`{}` is a link, not a vendored copy of the SDK", path.display())]
    #[diagnostic(
        code(idp::scaffold::vendor_is_link),
        help(
            "the link already follows the SDK it points to; remove it first to vendor a copy instead"
        )
    )]
    VendorIsLink {
        /// The linked SDK directory.
        path: PathBuf,
    },

    /// Reading or writing a file failed.
    #[error("cannot {action} `{}`", path.display())]
    #[diagnostic(code(idp::scaffold::io))]
    Io {
        /// What was being done (`write`, `rename`).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// An embedded template did not render: a bug in idp, caught by its unit tests.
    #[error("the embedded template `{template}` did not render")]
    #[diagnostic(code(idp::scaffold::render))]
    Render {
        /// The template's file name under `engine/scaffold/templates/`.
        template: &'static str,
        /// minijinja's error.
        #[source]
        source: minijinja::Error,
    },
}

impl ScaffoldError {
    /// Whether the user's input caused it (exit 2) rather than the machine (exit 3).
    pub fn is_input(&self) -> bool {
        !matches!(
            self,
            ScaffoldError::Io { .. } | ScaffoldError::Render { .. }
        )
    }

    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| ScaffoldError::Io {
            action,
            path,
            source,
        }
    }
}
