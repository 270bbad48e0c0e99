//! `idp list`: recorded environments.

use std::path::Path;

use crate::args::{Format, ListArgs};
use crate::context;
use crate::outcome::Outcome;
use crate::ui::{self, CliError};

pub fn run(config: Option<&Path>, args: &ListArgs) -> Result<Outcome, CliError> {
    let cwd = std::env::current_dir().unwrap_or_default();
    let records = context::state(&context::config(config, &cwd)?).list()?;
    match args.format {
        Format::Json => ui::print_json(&idp_report::list_json(&records)),
        Format::Human => print!("{}", idp_report::list_human(&records, context::now()?)),
    }
    Ok(Outcome::Clean)
}
