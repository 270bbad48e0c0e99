use std::path::PathBuf;
use std::time::Duration;

use miette::Diagnostic;

/// What can go wrong loading or calling a plugin. Every variant names the plugin,
/// so a misbehaving one is identified without taking the run down.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum HostError {
    /// The wasmtime engine could not be configured, or the thread that enforces the
    /// time limit could not be started.
    #[error("cannot start the WebAssembly engine: {0}")]
    #[diagnostic(code(idp::host::engine))]
    Engine(String),

    /// The bytes are not a valid WebAssembly component.
    #[error("{plugin}: not a valid WebAssembly component: {reason}")]
    #[diagnostic(
        code(idp::host::invalid_component),
        help("rebuild it with `idp plugin build`")
    )]
    InvalidComponent {
        /// The plugin.
        plugin: String,
        /// wasmtime's explanation.
        reason: String,
    },

    /// The component does not export a supported version of the contract.
    #[error("{plugin}: built for {found}; this idp supports {supported}")]
    #[diagnostic(
        code(idp::host::unsupported_contract),
        help("rebuild the plugin against a supported `idp-plugin-sdk`, or upgrade idp")
    )]
    UnsupportedContract {
        /// The plugin.
        plugin: String,
        /// `template` or `policy`.
        interface: &'static str,
        /// What the component exports.
        found: String,
        /// The versions this host supports.
        supported: String,
    },

    /// Instantiation failed.
    #[error("{plugin}: cannot instantiate: {reason}")]
    #[diagnostic(code(idp::host::instantiate))]
    Instantiate {
        /// The plugin.
        plugin: String,
        /// wasmtime's explanation.
        reason: String,
    },

    /// The guest trapped (a panic it did not report, `unreachable`, out-of-bounds access).
    #[error("{plugin}: `{function}` trapped: {reason}")]
    #[diagnostic(
        code(idp::host::trap),
        help("this is a bug in the plugin; report it to its authors")
    )]
    Trap {
        /// The plugin.
        plugin: String,
        /// The exported function called.
        function: &'static str,
        /// The trap.
        reason: String,
    },

    /// The guest panicked: its SDK reported the panic's message and location
    /// (`idp:plugin/log`, 0.2.0) before it trapped. The message is escaped.
    #[error("{plugin} panicked in `{function}`: {message}")]
    #[diagnostic(
        code(idp::host::plugin_panicked),
        help("this is a bug in the plugin; report it to its authors with this message")
    )]
    Panic {
        /// The plugin.
        plugin: String,
        /// The exported function called.
        function: &'static str,
        /// The panic's message and where it happened: ``index out of bounds … at src/lib.rs:12:5``.
        message: String,
    },

    /// The guest ran past its time budget.
    #[error("{plugin}: `{function}` did not finish within {limit:?}")]
    #[diagnostic(
        code(idp::host::timeout),
        help(
            "the plugin may loop forever; raise the limit with `IDP_PLUGIN_TIMEOUT_MS` only if it is known to be slow"
        )
    )]
    Timeout {
        /// The plugin.
        plugin: String,
        /// The exported function called.
        function: &'static str,
        /// The budget.
        limit: Duration,
    },

    /// The guest tried to hold more memory than its budget, counted over all the linear
    /// memories its component declares.
    #[error("{plugin}: `{function}` tried to use more than {limit_mib} MiB of memory")]
    #[diagnostic(
        code(idp::host::memory_limit),
        help("the plugin needs more memory than idp allows, or grabs it on purpose")
    )]
    MemoryLimit {
        /// The plugin.
        plugin: String,
        /// The exported function called.
        function: &'static str,
        /// The cap in MiB.
        limit_mib: usize,
    },

    /// The guest tried to hold more table elements than its budget, counted over all
    /// the tables its component declares.
    #[error("{plugin}: `{function}` tried to use more than {limit} table elements")]
    #[diagnostic(
        code(idp::host::table_limit),
        help(
            "the plugin grows its tables far beyond what a plugin needs; report it to its authors"
        )
    )]
    TableLimit {
        /// The plugin.
        plugin: String,
        /// The exported function called.
        function: &'static str,
        /// The cap.
        limit: usize,
    },

    /// The guest's answer needs more host memory than the host accepts. Found while
    /// lifting the answer, before the part over the limit is copied.
    #[error("{plugin}: `{function}` returned more than the limit of {limit} bytes")]
    #[diagnostic(
        code(idp::host::output_too_large),
        help("a plugin's answer is a few kilobytes; this one is too large to accept")
    )]
    OutputTooLarge {
        /// The plugin.
        plugin: String,
        /// The exported function called.
        function: &'static str,
        /// The cap.
        limit: usize,
    },

    /// The guest returned something that breaks the contract (a schema that is not JSON, say).
    #[error("{plugin}: `{function}` returned invalid data: {reason}")]
    #[diagnostic(code(idp::host::invalid_output))]
    InvalidOutput {
        /// The plugin.
        plugin: String,
        /// The exported function called.
        function: &'static str,
        /// What is wrong.
        reason: String,
    },

    /// The compiled-code cache could not be written; only reported by [`crate::PluginHost::warm`].
    #[error("cannot write the compile cache at `{}`: {reason}", path.display())]
    #[diagnostic(code(idp::host::cache))]
    Cache {
        /// The cache file.
        path: PathBuf,
        /// The I/O error.
        reason: String,
    },
}
