//! Log lines for whoever runs the plugin: `idp_plugin_sdk::log::info(format_args!("…"))`.
//!
//! In the built plugin each line goes to the host through the contract's `log` import
//! (`idp:plugin@0.2.0`); the host names the plugin, escapes the text, counts it against
//! the call's output budget and shows it only when asked (`IDP_PLUGIN_LOG=1`). Under
//! plain `cargo test` a line goes to standard error, so a test shows what it logged.
//!
//! Log sparingly: a plugin's lines share one budget with its answer.

use std::fmt::Display;

/// How much a line matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Detail for the plugin's own author.
    Debug,
    /// What the plugin did.
    Info,
    /// Something the plugin's author should look at; the call still succeeds.
    Warn,
    /// Something went wrong, though the plugin still answers. A panic is reported
    /// by the SDK on its own, with its message and location.
    Error,
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        })
    }
}

/// Logs `message` at `debug`.
pub fn debug(message: impl Display) {
    log(Level::Debug, message);
}

/// Logs `message` at `info`.
pub fn info(message: impl Display) {
    log(Level::Info, message);
}

/// Logs `message` at `warn`.
pub fn warn(message: impl Display) {
    log(Level::Warn, message);
}

/// Logs `message` at `error`.
pub fn error(message: impl Display) {
    log(Level::Error, message);
}

/// Logs `message` at `level`.
pub fn log(level: Level, message: impl Display) {
    imports::log(level, &message.to_string());
}

/// Reports the panic the plugin is about to trap with; see [`crate::panic`].
#[cfg(target_arch = "wasm32")]
pub(crate) fn panicked(message: &str, location: &str) {
    imports::panicked(message, location);
}

/// The host's `log` interface, from whichever world the crate's feature enables (both
/// worlds import the same interface).
#[cfg(all(target_arch = "wasm32", any(feature = "template", feature = "policy")))]
mod imports {
    #[cfg(not(feature = "template"))]
    use crate::bindings::policy_world::idp::plugin::log as wit;
    #[cfg(feature = "template")]
    use crate::bindings::template_world::idp::plugin::log as wit;

    pub(super) fn log(level: super::Level, message: &str) {
        let level = match level {
            super::Level::Debug => wit::Level::Debug,
            super::Level::Info => wit::Level::Info,
            super::Level::Warn => wit::Level::Warn,
            super::Level::Error => wit::Level::Error,
        };
        wit::log(level, message);
    }

    pub(super) fn panicked(message: &str, location: &str) {
        wit::panicked(message, location);
    }
}

/// Natively (`cargo test`) there is no host: lines go to standard error.
#[cfg(not(all(target_arch = "wasm32", any(feature = "template", feature = "policy"))))]
mod imports {
    pub(super) fn log(level: super::Level, message: &str) {
        eprintln!("{level}: {message}");
    }

    /// A wasm32 build without a world has no host to tell.
    #[cfg(target_arch = "wasm32")]
    pub(super) fn panicked(_message: &str, _location: &str) {}
}
