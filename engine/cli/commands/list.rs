//! `idp list`: recorded environments, from wherever idp.kdl keeps records. A record that
//! cannot be read is reported with its path, and every other one is still listed.

use std::path::Path;

use crate::args::{Format, ListArgs};
use crate::context;
use crate::outcome::Outcome;
use crate::ui::{self, CliError};

pub fn run(config: Option<&Path>, args: &ListArgs) -> Result<Outcome, CliError> {
    let listing = context::records_only(config)?.list()?;
    for problem in &listing.problems {
        eprintln!("warning: skipped: {problem}");
    }
    let records: Vec<idp_state::Record> = listing.records.into_iter().map(|s| s.record).collect();
    match args.format {
        Format::Json => ui::print_json(&idp_report::list_json(&records)),
        Format::Human => print!("{}", idp_report::list_human(&records, context::now()?)),
    }
    Ok(Outcome::Clean)
}
