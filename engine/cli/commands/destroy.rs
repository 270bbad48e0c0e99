//! `idp destroy NAME`: DESTROYING → DESTROYED, running `tofu destroy` with `--run`.

use std::path::Path;

use idp_state::Status;

use crate::args::DestroyArgs;
use crate::commands::apply::confirm;
use crate::context;
use crate::outcome::Outcome;
use crate::ui::CliError;

pub fn run(config: Option<&Path>, args: &DestroyArgs) -> Result<Outcome, CliError> {
    let store = context::state_only(config)?;
    let mut record = store.require(&args.name)?;
    if record.status == Status::Destroyed {
        eprintln!("`{}` is already DESTROYED", args.name);
        return Ok(Outcome::Clean);
    }
    let applied = matches!(
        record.status,
        Status::Ready | Status::Applying | Status::Failed | Status::Destroying
    );
    if applied && !args.run {
        return Err(CliError::usage(
            format!(
                "`{}` was applied ({}); destroying its resources needs `--run`",
                args.name, record.status
            ),
            "run `idp destroy NAME --run` with `tofu` or `terraform` on PATH",
        ));
    }
    let tool = context::tool(args.run)?;
    if !confirm(
        &format!(
            "destroy `{}` ({} {}, owner {})?",
            record.name, record.template, record.class, record.owner
        ),
        args.yes,
    )? {
        eprintln!("not destroyed");
        return Ok(Outcome::Clean);
    }
    let lock = store.lock(&args.name)?;
    record.status = Status::Destroying;
    record.updated_at = context::now()?;
    lock.put(&record)?;
    if let Some(Err(e)) = tool.map(|tool| idp_executor::destroy(&tool, lock.dir())) {
        record.status = Status::Failed;
        lock.put(&record)?;
        return Err(CliError::plugin(e));
    }
    record.status = Status::Destroyed;
    record.outputs.clear();
    record.updated_at = context::now()?;
    lock.put(&record)?;
    eprintln!("`{}` is DESTROYED", args.name);
    Ok(Outcome::Clean)
}
