//! `idp`: self-service cloud environments from one `env.kdl`.
//!
//! This file only parses arguments, runs the command and maps its outcome to an exit
//! code; each subcommand lives in `commands/`, over the engine's library crates.

// `println!` and friends panic when the other end of a pipe is gone (`idp plan | head -1`),
// which would exit 101 with a panic message, and would pass a spec's or a plugin's escape
// sequences to the terminal. These shadow them for the whole CLI: the text is made
// terminal-safe (`idp_model::terminal_safe`), a write to a closed stdout or stderr is
// dropped, and the run ends with the exit code it would have had anyway. JSON and
// rendered diagnostics are written by `ui`, not through these.
macro_rules! println {
    () => {{
        crate::ui::write_out("\n");
    }};
    ($($arg:tt)*) => {{
        crate::ui::write_out(&format!("{}\n", format_args!($($arg)*)));
    }};
}
macro_rules! print {
    ($($arg:tt)*) => {{
        crate::ui::write_out(&format!($($arg)*));
    }};
}
macro_rules! eprintln {
    () => {{
        crate::ui::write_err("\n");
    }};
    ($($arg:tt)*) => {{
        crate::ui::write_err(&format!("{}\n", format_args!($($arg)*)));
    }};
}
macro_rules! eprint {
    ($($arg:tt)*) => {{
        crate::ui::write_err(&format!($($arg)*));
    }};
}

mod args;
mod commands;
mod context;
mod handoff;
mod outcome;
mod planning;
mod progress;
mod ui;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = args::Cli::parse();
    ui::install_error_hook();
    match commands::run(args) {
        Ok(outcome) => outcome.exit_code(),
        Err(err) => ui::report_error(err),
    }
}
