//! `idp plugin`: the plugin author's commands, one file each (`new`, `build`, `test`,
//! `inspect`, `vendor`). Each parses, calls its library crate, prints and maps the exit code.

mod build;
mod inspect;
mod new;
mod test;
mod vendor;

use crate::args::PluginCommand;
use crate::outcome::Outcome;
use crate::ui::CliError;

pub fn run(command: PluginCommand) -> Result<Outcome, CliError> {
    match command {
        PluginCommand::New { kind, name, path } => new::run(kind, &name, path),
        PluginCommand::Build {
            path,
            packages,
            check,
            catalog,
            format,
        } => build::run(path, &packages, check, catalog, format),
        PluginCommand::Test {
            path,
            bless,
            catalog,
            format,
        } => test::run(path, bless, catalog, format),
        PluginCommand::Inspect { file, format } => inspect::run(&file, format),
        PluginCommand::Vendor { path } => vendor::run(path),
    }
}

/// A scaffolding error's exit code: 2 for what the user gave (a name, a path), else 3.
fn scaffold_error(e: idp_scaffold::ScaffoldError) -> CliError {
    if e.is_input() {
        CliError::input(e)
    } else {
        CliError::plugin(e)
    }
}
