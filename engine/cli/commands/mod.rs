//! One file per subcommand, each with one `run`.

mod apply;
mod approve;
mod catalog;
mod check;
mod check_base;
mod cost;
mod cost_report;
mod destroy;
mod extend;
mod fmt;
mod list;
mod lsp;
mod man;
mod plan;
mod plugin;
mod pricing;
mod serve;
mod show;
mod sweep;
mod token;
mod upgrade;
mod validate;

use clap::CommandFactory;

use crate::args::{Cli, Command};
use crate::outcome::Outcome;
use crate::ui::CliError;

pub fn run(cli: Cli) -> Result<Outcome, CliError> {
    let config = cli.config.as_deref();
    match cli.command {
        Command::Validate(a) => validate::run(config, &a),
        Command::Plan(a) => plan::run(config, &a, idp_plan::Stage::Emit),
        Command::Apply(a) => apply::run(config, &a),
        Command::Check(a) => check::run(config, &a),
        Command::Cost(a) => cost::run(config, &a),
        Command::Pricing(c) => pricing::run(config, c),
        Command::List(a) => list::run(config, &a),
        Command::Show(a) => show::run(config, &a),
        Command::Status(a) => show::status(config, &a),
        Command::Destroy(a) => destroy::run(config, &a),
        Command::Extend(a) => extend::run(config, &a),
        Command::Upgrade(a) => upgrade::run(config, &a),
        Command::Approve(a) => approve::run(config, &a, true),
        Command::Reject(a) => approve::run(config, &a, false),
        Command::Sweep(a) => sweep::run(config, &a),
        Command::Catalog(c) => catalog::run(config, c),
        Command::Serve(a) => serve::run(config, &a),
        Command::Token(c) => token::run(config, c),
        Command::Plugin(c) => plugin::run(c),
        Command::Fmt(a) => fmt::run(&a),
        Command::Man(a) => man::run(&a),
        Command::Lsp => lsp::run(config),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "idp", &mut std::io::stdout());
            Ok(Outcome::Clean)
        }
    }
}
