//! `idp`: self-service cloud environments from one `env.kdl`.
//!
//! This file only parses arguments, runs the command and maps its outcome to an exit
//! code; each subcommand lives in `commands/`, over the engine's library crates.

// `println!` and friends panic when the other end of a pipe is gone (`idp plan | head -1`),
// which would exit 101 with a panic message. These shadow them for the whole CLI: a
// write to a closed stdout or stderr is dropped, and the run ends with the exit code it
// would have had anyway.
macro_rules! println {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}
macro_rules! print {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}
macro_rules! eprint {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}

mod args;
mod commands;
mod context;
mod outcome;
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
