//! `idp show NAME`: one recorded environment.

use std::path::Path;

use crate::args::{Format, ShowArgs};
use crate::context;
use crate::outcome::Outcome;
use crate::ui::{self, CliError};

pub fn run(config: Option<&Path>, args: &ShowArgs) -> Result<Outcome, CliError> {
    let record = context::state_only(config)?.require(&args.name)?;
    match args.format {
        Format::Json => ui::print_json(&idp_report::record_json(&record)),
        Format::Human => print!("{}", idp_report::record_human(&record)),
    }
    Ok(Outcome::Clean)
}
