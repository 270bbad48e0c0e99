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
    let mut out = String::new();
    if render_diagnostic(&handler(color()), d, &mut out) {
        write_diagnostic(&out);
    }
}

/// Diagnostics rendered per batch by [`eprint_diagnostics`]: enough to share among the
/// threads, few enough that the text held at once stays small.
const DIAGNOSTIC_BATCH: usize = 256;

/// Renders many diagnostics to stderr in their order, each batch shared among up to
/// `threads` threads: `idp check` of 10,000 specs renders thousands, ~0.25 s of CPU
/// that would otherwise run on one thread after every worker is done (decision 0004).
pub fn eprint_diagnostics<D: miette::Diagnostic + Sync>(ds: &[D], threads: usize) {
    let color = color();
    let threads = threads.max(1);
    for batch in ds.chunks(DIAGNOSTIC_BATCH) {
        let share = batch.len().div_ceil(threads);
        let texts: Vec<String> = std::thread::scope(|scope| {
            let parts: Vec<_> = batch
                .chunks(share)
                .map(|part| {
                    scope.spawn(move || {
                        let handler = handler(color);
                        let mut out = String::new();
                        for d in part {
                            render_diagnostic(&handler, d, &mut out);
                        }
                        out
                    })
                })
                .collect();
            parts
                .into_iter()
                .map(|p| p.join().unwrap_or_default())
                .collect()
        });
        for text in texts {
            write_diagnostic(&text);
        }
    }
}

/// How every diagnostic is drawn: unicode, with colour on a terminal, 100 columns.
fn handler(color: bool) -> miette::GraphicalReportHandler {
    let theme = if color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    miette::GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_context_lines(1)
}

/// Appends `d` drawn by `handler` to `out`; false (and nothing appended) when it cannot
/// be drawn.
fn render_diagnostic(
    handler: &miette::GraphicalReportHandler,
    d: &dyn miette::Diagnostic,
    out: &mut String,
) -> bool {
    let mut text = String::new();
    let drawn = handler.render_report(&mut text, d).is_ok();
    if drawn {
        out.push_str(&text);
    }
    drawn
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
