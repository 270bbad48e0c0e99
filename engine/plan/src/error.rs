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
    /// A component says it is something other than its catalog entry.
    #[error("{origin} lists {kind} `{entry}`, but its component says it is {found}")]
    #[diagnostic(
        code(idp::plan::plugin_identity),
        help(
            "a catalog entry must describe its own component: rebuild the catalog with `idp plugin build`, or remove the entry"
        )
    )]
    Identity {
        /// Where the entry is.
        origin: String,
        /// Template or policy.
        kind: idp_model::PluginKind,
        /// The entry, as `name` version.
        entry: String,
        /// What the component's `info()` says, escaped for the terminal.
        found: String,
    },
    /// A rendering calls a module its template did not declare.
    #[error(
        "{plugin} calls module {module} in call {call}, which it does not declare in `info().modules`"
    )]
    #[diagnostic(
        code(idp::plan::undeclared_module),
        help(
            "this is a bug in the template: it may call only the modules it declares (and its catalog entry pins)"
        )
    )]
    UndeclaredModule {
        /// The template.
        plugin: String,
        /// The call.
        call: String,
        /// The module, escaped for the terminal.
        module: String,
    },
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
