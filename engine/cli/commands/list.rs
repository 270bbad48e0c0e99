//! `idp list`: recorded environments, from wherever idp.kdl keeps records.

use std::path::Path;

use crate::args::{Format, ListArgs};
use crate::context;
use crate::outcome::Outcome;
use crate::ui::{self, CliError};

pub fn run(config: Option<&Path>, args: &ListArgs) -> Result<Outcome, CliError> {
    let records = context::records_only(config)?.list()?;
    match args.format {
        Format::Json => ui::print_json(&idp_report::list_json(&records)),
        Format::Human => print!("{}", idp_report::list_human(&records, context::now()?)),
    }
    Ok(Outcome::Clean)
}
