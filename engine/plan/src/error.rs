use idp_spec::Problems;
use miette::Diagnostic;

/// Why a plan could not be made. [`PlanError::is_input`] separates the user's mistakes
/// (exit 2) from plugin and infrastructure failures (exit 3).
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum PlanError {
    /// Problems in the spec or `idp.kdl`, each at its place.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Input(#[from] Problems),
    /// A plugin failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Plugin(#[from] idp_host::HostError),
    /// A plugin's schema does not compile.
    #[error("{plugin}: its {what} schema is invalid: {reason}")]
    #[diagnostic(code(idp::plan::plugin_schema), help("this is a bug in the plugin"))]
    PluginSchema {
        /// The plugin.
        plugin: String,
        /// `input` or `settings`.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// The catalog could not provide a plugin (a digest mismatch, a missing file).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Catalog(#[from] idp_catalog::CatalogError),
    /// The rendering could not become a workspace.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Emit(#[from] idp_emit::EmitError),
    /// State could not be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    State(#[from] idp_state::StateError),
}

impl PlanError {
    /// Whether the user can fix it by editing their files (exit 2), as opposed to a
    /// plugin or infrastructure failure (exit 3).
    pub fn is_input(&self) -> bool {
        matches!(self, PlanError::Input(_))
    }
}
