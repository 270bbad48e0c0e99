//! `idp plan` and `idp validate`: the pipeline up to emit (or derive), nothing written.

use std::path::Path;

use idp_plan::Stage;

use crate::args::{Format, SpecArgs};
use crate::outcome::Outcome;
use crate::planning::{make_plan, print_plan};
use crate::ui::CliError;

pub fn run(config: Option<&Path>, args: &SpecArgs, stage: Stage) -> Result<Outcome, CliError> {
    let (_, plan) = make_plan(config, args, stage)?;
    print_plan(&plan, args.format);
    if plan.denied() {
        if args.format == Format::Human {
            eprintln!(
                "denied: fix the findings above, or waive them with a reason, owner and date"
            );
        }
        return Ok(Outcome::Denied);
    }
    Ok(Outcome::Clean)
}
