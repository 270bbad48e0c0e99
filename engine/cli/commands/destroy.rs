//! `idp destroy NAME`: here, DESTROYING → DESTROYED around `tofu destroy` with `--run`,
//! from what the apply recorded; with the github executor, dispatch destroy.yml and
//! follow the run. The lifecycle is `idp_lifecycle`'s; this file asks, calls and prints.

use std::path::Path;

use idp_state::Status;

use crate::args::DestroyArgs;
use crate::context;
use crate::handoff::{self, confirm};
use crate::outcome::Outcome;
use crate::ui::CliError;

pub fn run(config: Option<&Path>, args: &DestroyArgs) -> Result<Outcome, CliError> {
    let clock = context::clock()?;
    let here = context::surroundings(config)?;
    let ctx = handoff::ctx(&here, clock);
    let stored = here.records.require(&args.name)?;
    let record = &stored.record;
    if record.status == Status::Destroyed {
        eprintln!("`{}` is already DESTROYED", args.name);
        return Ok(Outcome::Clean);
    }
    let how = &args.run;
    let github = handoff::github_settings(here.config.as_ref(), &how.handoff)?;
    if github.is_none() {
        idp_lifecycle::check_tool(record, how.run)?;
    }
    let executor = handoff::executor(github.as_ref(), how, "destroy")?;
    let question = format!(
        "destroy `{}` ({} {}, owner {}){}?",
        record.name,
        record.template,
        record.class,
        record.owner,
        handoff::through(github.as_ref())
    );
    if !confirm(&question, how.yes)? {
        eprintln!("not destroyed");
        return Ok(Outcome::Clean);
    }
    let tool = match executor {
        idp_lifecycle::Executor::Local(tool) => tool,
        github => {
            github.destroy(&ctx, &stored, &handoff::requested_by(), None)?;
            return Ok(Outcome::Clean);
        }
    };
    // Only a record from before schema version 2 needs the project, to emit its
    // workspace again from the spec.
    let legacy = match (&record.applied, &tool) {
        (None, Some(_)) => Some(handoff::project(config, &here, record)?),
        _ => None,
    };
    let destroyed = idp_lifecycle::Executor::Local(tool).destroy(
        &ctx,
        &stored,
        &handoff::requested_by(),
        legacy.as_ref(),
    );
    let detail = serde_json::json!({ "team": record.team });
    let at = clock.now();
    handoff::audit(
        here.records.as_ref(),
        &args.name,
        "destroy",
        at,
        destroyed.as_ref().err(),
        detail,
    )?;
    destroyed?;
    Ok(Outcome::Clean)
}
