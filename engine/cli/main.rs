//! `idp`: self-service cloud environments from one `env.kdl`.
//!
//! This file only parses arguments, runs the command and maps its outcome to an exit
//! code; each subcommand lives in `commands/`, over the engine's library crates.

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
