//! What the user sees when something fails: miette diagnostics on stderr (no colour
//! under NO_COLOR or without a terminal), and the exit code of the failure's class.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use crate::outcome::Failure;

/// A command's failure: the diagnostic and its exit-code class.
pub struct CliError {
    pub failure: Failure,
    pub report: miette::Report,
}

impl CliError {
    pub fn input(e: impl miette::Diagnostic + Send + Sync + 'static) -> Self {
        CliError {
            failure: Failure::Input,
            report: miette::Report::new(e),
        }
    }

    pub fn plugin(e: impl miette::Diagnostic + Send + Sync + 'static) -> Self {
        CliError {
            failure: Failure::Plugin,
            report: miette::Report::new(e),
        }
    }

    /// A usage error with its code (`idp::usage::…`, one per problem), a message and a
    /// hint.
    pub fn usage(code: &'static str, message: impl Into<String>, help: impl Into<String>) -> Self {
        CliError::input(Usage {
            code,
            message: message.into(),
            help: help.into(),
        })
    }
}

/// A command line or environment the CLI cannot act on. The usage errors share a shape,
/// not a problem: each has a code of its own (docs/error-codes.md).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
struct Usage {
    code: &'static str,
    message: String,
    help: String,
}

impl miette::Diagnostic for Usage {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(&self.help))
    }
}

impl From<idp_plan::PlanError> for CliError {
    fn from(e: idp_plan::PlanError) -> Self {
        if e.is_input() {
            CliError::input(e)
        } else {
            CliError::plugin(e)
        }
    }
}

impl From<idp_spec::Problems> for CliError {
    fn from(e: idp_spec::Problems) -> Self {
        CliError::input(e)
    }
}

impl From<idp_state::StateError> for CliError {
    fn from(e: idp_state::StateError) -> Self {
        // One rule for every command: the state crate says what is the caller's input.
        if e.is_input() {
            CliError::input(e)
        } else {
            CliError::plugin(e)
        }
    }
}

pub fn color() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
}

pub fn install_error_hook() {
    let color = color();
    miette::set_hook(Box::new(move |_| {
        let theme = if color {
            miette::GraphicalTheme::unicode()
        } else {
            miette::GraphicalTheme::unicode_nocolor()
        };
        Box::new(
            miette::GraphicalReportHandler::new_themed(theme)
                .with_width(100)
                .with_context_lines(1),
        )
    }))
    .ok();
}

/// Renders a diagnostic to stderr without exiting (warnings, findings).
pub fn eprint_diagnostic(d: &dyn miette::Diagnostic) {
    let theme = if color() {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let mut out = String::new();
    if miette::GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_context_lines(1)
        .render_report(&mut out, d)
        .is_ok()
    {
        write_diagnostic(&out);
    }
}

pub fn report_error(err: CliError) -> ExitCode {
    write_diagnostic(&format!("{:?}\n", err.report));
    ExitCode::from(err.failure.code())
}

/// Prints a JSON document to stdout. serde escapes every control character in strings,
/// so the document is written as it is.
pub fn print_json(value: &serde_json::Value) {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    std::io::stdout()
        .write_all(format!("{text}\n").as_bytes())
        .ok();
}

/// Human text to stdout, terminal-safe; a closed pipe is not an error.
pub fn write_out(text: &str) {
    std::io::stdout()
        .write_all(idp_model::terminal_safe(text).as_bytes())
        .ok();
}

/// Human text to stderr, terminal-safe; a closed pipe is not an error.
pub fn write_err(text: &str) {
    std::io::stderr()
        .write_all(idp_model::terminal_safe(text).as_bytes())
        .ok();
}

/// A rendered diagnostic to stderr. Without colour it holds no escape sequence of ours,
/// so all of it is made terminal-safe; with colour, miette's own styling must pass, and
/// what the diagnostic quotes was made safe where it was built.
fn write_diagnostic(rendered: &str) {
    if color() {
        std::io::stderr().write_all(rendered.as_bytes()).ok();
    } else {
        write_err(rendered);
    }
}
