//! `idp destroy NAME`: here, DESTROYING → DESTROYED around `tofu destroy` with `--run`;
//! with the github executor, dispatch destroy.yml and follow the run.

use std::path::Path;

use idp_github::{RequestId, Workflow, WorkflowInputs};
use idp_state::{Record, Status};

use crate::args::{DestroyArgs, Format, SpecArgs};
use crate::commands::apply::confirm;
use crate::commands::handoff;
use crate::commands::plan::make_plan_at;
use crate::context;
use crate::outcome::Outcome;
use crate::ui::CliError;

pub fn run(config: Option<&Path>, args: &DestroyArgs) -> Result<Outcome, CliError> {
    let here = context::surroundings(config)?;
    let (project_config, records) = (here.config.as_ref(), here.records.as_ref());
    let record = records.require(&args.name)?;
    if record.status == Status::Destroyed {
        eprintln!("`{}` is already DESTROYED", args.name);
        return Ok(Outcome::Clean);
    }
    if let Some(settings) = handoff::github_settings(project_config, &args.handoff)? {
        if args.run {
            return Err(handoff::run_here_conflict("destroy"));
        }
        let handoff = handoff::Handoff::connect(&settings, args.handoff.no_wait)?;
        if !confirm(
            &format!(
                "destroy `{}` ({} {}, owner {}) through GitHub Actions ({}@{})?",
                record.name,
                record.template,
                record.class,
                record.owner,
                settings.repository,
                settings.git_ref
            ),
            args.yes,
        )? {
            eprintln!("not destroyed");
            return Ok(Outcome::Clean);
        }
        let now = context::now()?;
        let inputs = destroy_inputs(&record, now);
        let marked = handoff::mark_destroying(project_config, records, &record, now)?;
        let dispatched = handoff
            .dispatch(Workflow::Destroy, &inputs)
            .inspect_err(|_| {
                if marked {
                    // Put back, so the destroy can be asked for again.
                    records.put(&record).ok();
                }
            })?;
        handoff.run_followed(Workflow::Destroy, &inputs, dispatched)?;
        return Ok(Outcome::Clean);
    }
    destroy_here(config, &here, record, args)
}

/// The inputs of a destroy.yml dispatch for a recorded environment.
pub fn destroy_inputs(record: &Record, now: jiff::Timestamp) -> WorkflowInputs {
    WorkflowInputs {
        environment: record.name.clone(),
        spec: handoff::repo_relative(&record.spec),
        request_id: RequestId::new(now),
        plan_digest: None,
        requested_by: handoff::requested_by(),
    }
}

fn destroy_here(
    config: Option<&Path>,
    here: &context::Surroundings,
    mut record: Record,
    args: &DestroyArgs,
) -> Result<Outcome, CliError> {
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
            "run `idp destroy NAME --run` with `tofu` or `terraform` on PATH, or `--executor github`",
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
    let records = here.records.as_ref();
    let lock = here.state.lock(&args.name)?;
    if tool.is_some() && !lock.dir().join("main.tf").is_file() {
        // A fresh runner has the record (in S3) but not the workspace: emit it again
        // from the recorded spec, so tofu sees the same configuration it applied.
        let spec = SpecArgs {
            spec: record.spec.clone(),
            env: Some(record.name.clone()),
            format: Format::Human,
        };
        let (_, plan) = make_plan_at(config, &spec, idp_plan::Stage::Emit, context::now()?)?;
        if let Some(w) = plan.environments.iter().find_map(|p| p.workspace.as_ref()) {
            lock.write_workspace(&w.files)?;
        }
    }
    record.status = Status::Destroying;
    record.updated_at = context::now()?;
    records.put(&record)?;
    let backend = here
        .config
        .as_ref()
        .map(|c| context::backend(c, &record.name))
        .unwrap_or_default();
    if let Some(Err(e)) = tool.map(|tool| idp_executor::destroy(&tool, lock.dir(), &backend)) {
        record.status = Status::Failed;
        records.put(&record)?;
        return Err(CliError::plugin(e));
    }
    record.status = Status::Destroyed;
    record.outputs.clear();
    record.updated_at = context::now()?;
    records.put(&record)?;
    eprintln!("`{}` is DESTROYED", args.name);
    Ok(Outcome::Clean)
}
