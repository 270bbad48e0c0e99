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
    if plan.fails() {
        if args.format == Format::Human {
            eprintln!(
                "denied: fix the findings above, or waive them with a reason, owner and date"
            );
        }
        return Ok(Outcome::Denied);
    }
    if let Some(codes) = idp_lifecycle::gated(&plan)
        && args.format == Format::Human
    {
        eprintln!(
            "needs approval: the organisation's idp.kdl puts {} under approval, so `idp apply` waits in PENDING_APPROVAL until an approver approves this plan",
            codes.join(", ")
        );
    }
    Ok(Outcome::Clean)
}
