//! `idp lsp`: a language server for specs (`env.kdl`) and `idp.kdl`, over stdio.
//!
//! # Design
//!
//! - **One engine.** Diagnostics are what `idp plan` reports (syntax, template inputs
//!   against the template's JSON Schema, tags, TTL, and the project's policies), made by
//!   the same library calls: [`idp_spec::SpecFile::parse`], [`idp_plan::Pipeline`] up to
//!   judge, and [`idp_report::findings`]; the cost lens is `idp plan`'s one-line
//!   [`idp_report::cost_summary`]. The CLI builds each [`idp_plan::Project`] exactly as
//!   `idp check` does ([`Surroundings::project`]); this crate reads no environment
//!   variable. Records are the local ones: an editor must never wait on S3.
//! - **Synchronous, on `lsp-server`.** Planning is blocking work (wasmtime, files), and the
//!   server answers one client; `lsp-server` (rust-analyzer's) gives the JSON-RPC framing
//!   and handshake over a channel, and nothing else. tower-lsp would bring an async
//!   runtime and `Send` bounds the pipeline (`Rc`-held plugins) does not meet, for no
//!   concurrency the server could use.
//! - **Debounced.** A change marks its document due [`DEBOUNCE`] later; the loop waits on
//!   the channel until the earliest due time, so a burst of keystrokes is planned once.
//!   Completion, hover and code lenses are answered at once from the latest text.
//! - **Positions in UTF-16.** idp's spans are byte offsets; [`text::LineIndex`] converts
//!   both ways, clamping whatever a client sends (a line past the end, half a surrogate
//!   pair).
//! - **Never crashes on input.** A document goes through the same limits as a file on
//!   disk (size, depth, problem count); completion and hover read a tolerant outline
//!   ([`scan`]) with bounded memory; bad parameters are answered with an error; and a
//!   panic in one request or analysis is caught and answered as an error, the server
//!   going on.
#![deny(missing_docs)]

mod analysis;
mod error;
mod projects;
mod scan;
mod schema;
mod server;
mod text;

use std::path::PathBuf;
use std::time::Duration;

pub use error::LspError;
pub use server::{run, run_stdio};

/// How long after the last change a document is planned again.
pub const DEBOUNCE: Duration = Duration::from_millis(300);

/// What the server needs from its host (the CLI): the project for a configuration and
/// the clock, each made as the other commands make them.
pub struct Surroundings {
    /// `--config`: the organisation's file alone, instead of the `idp.kdl` files above
    /// each document.
    pub config: Option<PathBuf>,
    /// The project (catalog, plugin host, prices, local records) for a configuration.
    pub project: Box<dyn Fn(idp_config::ProjectConfig) -> Result<idp_plan::Project, String>>,
    /// The clock plans are made at.
    pub now: Box<dyn Fn() -> Result<jiff::Timestamp, String>>,
}
