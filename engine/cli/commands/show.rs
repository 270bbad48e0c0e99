//! `idp show NAME` and `idp status NAME`: one recorded environment, whole or in a line.

use std::path::Path;

use idp_state::Status;

use crate::args::{Format, ShowArgs};
use crate::context;
use crate::outcome::Outcome;
use crate::ui::{self, CliError};

pub fn run(config: Option<&Path>, args: &ShowArgs) -> Result<Outcome, CliError> {
    let record = context::records_only(config)?.require(&args.name)?.record;
    match args.format {
        Format::Json => ui::print_json(&idp_report::record_json(&record)),
        Format::Human => print!("{}", idp_report::record_human(&record)),
    }
    Ok(Outcome::Clean)
}

/// `idp status NAME`: exit 1 when the last apply or destroy failed, for scripts.
pub fn status(config: Option<&Path>, args: &ShowArgs) -> Result<Outcome, CliError> {
    let record = context::records_only(config)?.require(&args.name)?.record;
    let now = context::now()?;
    match args.format {
        Format::Json => ui::print_json(&idp_report::status_json(&record, now)),
        Format::Human => println!("{}", idp_report::status_line(&record, now)),
    }
    Ok(if record.status == Status::Failed {
        Outcome::Denied
    } else {
        Outcome::Clean
    })
}
