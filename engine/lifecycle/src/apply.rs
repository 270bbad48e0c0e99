//! Apply: record PENDING with everything a later destroy needs, write the workspace, and
//! with a tool run it (APPLYING → READY | FAILED); or hand the confirmed plan to GitHub.

use std::path::Path;

use idp_emit::Workspace;
use idp_github::{Dispatched, RequestId, SpecSource, Workflow, WorkflowInputs};
use idp_model::Environment;
use idp_plan::{Plan, PlannedEnv, Project};
use idp_state::{
    Applied, EnvLock, Record, RecordedBackend, RecordedCost, RecordedWorkspace, Status, Stored,
};

use crate::github::{Handed, Handoff};
use crate::record::{Held, backend_for, executor_backend, module_digests, replace};
use crate::{CLOCK_SKEW, Ctx, Event, LifecycleError};

/// The estimate recorded beside `metadata.json` at apply, for `idp cost --compare NAME`.
pub const COST_FILE: &str = idp_state::COST_FILE;

/// Refuses a plan whose digest is not the one the user confirmed (what a runner checks).
pub fn check_digest(plan: &Plan, expected: &str) -> Result<(), LifecycleError> {
    for planned in &plan.environments {
        let actual = planned
            .workspace
            .as_ref()
            .map(|w| w.digest.as_str())
            .unwrap_or("none");
        if actual != expected {
            return Err(LifecycleError::DigestChanged {
                environment: planned.env.name.clone(),
                expected: expected.to_owned(),
                actual: actual.to_owned(),
            });
        }
    }
    Ok(())
}

/// Applies every environment of a confirmed plan here: `spec` is the spec's path as
/// records keep it ([`crate::recorded_spec`]), `now` the instant the plan was made at.
/// With `tool`, OpenTofu runs; without, the workspace waits for a workflow.
pub fn apply_here(
    ctx: &Ctx,
    project: &Project,
    plan: &Plan,
    spec: &Path,
    tool: Option<&idp_executor::Tool>,
    now: jiff::Timestamp,
) -> Result<(), LifecycleError> {
    for planned in &plan.environments {
        apply_one(ctx, project, planned, spec, tool, now, None)?;
    }
    Ok(())
}

/// Applies one environment; with `expected`, only if its record is still at that
/// version under the lock (what an upgrade was planned from), else a conflict.
pub(crate) fn apply_one(
    ctx: &Ctx,
    project: &Project,
    planned: &PlannedEnv,
    spec: &Path,
    tool: Option<&idp_executor::Tool>,
    now: jiff::Timestamp,
    expected: Option<&idp_state::Version>,
) -> Result<(), LifecycleError> {
    let env = &planned.env;
    let Some(workspace) = &planned.workspace else {
        return Ok(());
    };
    refuse_created_in_future(ctx, env)?;
    let lock = ctx.state.lock(&env.name)?;
    let records = ctx.records;
    let previous = records.read(&env.name)?;
    if let Some(expected) = expected
        && previous.as_ref().map(|p| &p.version) != Some(expected)
    {
        return Err(idp_state::StateError::Conflict {
            name: env.name.clone(),
            location: records.location(),
        }
        .into());
    }
    let backend = backend_for(Some(&project.config), &env.name);
    let mut record = pending_record(env, workspace, spec, now, previous.as_ref(), &backend);
    record
        .costs
        .extend(recorded_cost(planned, &project.prices, now));
    write_workspace(ctx, &lock, planned, workspace)?;
    let mut held = replace(records, record, previous.as_ref().map(|p| &p.version))?;
    (ctx.events)(Event::Recorded {
        name: env.name.clone(),
        status: Status::Pending,
        dir: lock.dir().to_path_buf(),
    });
    let Some(tool) = tool else {
        (ctx.events)(Event::WouldRun(idp_executor::apply_commands(lock.dir())));
        return Ok(());
    };
    held.update(records, |r| r.status = Status::Applying)?;
    let result = idp_executor::apply(
        tool,
        lock.dir(),
        &executor_backend(&backend, ctx.path_style),
    );
    finish(ctx, &mut held, result)
}

/// A creation time after now (a record written with a forged clock) would never expire.
fn refuse_created_in_future(ctx: &Ctx, env: &Environment) -> Result<(), LifecycleError> {
    let latest = ctx
        .clock
        .now()
        .checked_add(CLOCK_SKEW)
        .unwrap_or(ctx.clock.now());
    if env.created_at > latest {
        return Err(LifecycleError::CreatedInFuture {
            name: env.name.clone(),
            created_at: env.created_at,
            now: ctx.clock.now(),
        });
    }
    Ok(())
}

/// The PENDING record, with everything a later destroy needs; an extension and the
/// outputs of the previous record carry over.
pub(crate) fn pending_record(
    env: &Environment,
    workspace: &Workspace,
    spec: &Path,
    now: jiff::Timestamp,
    previous: Option<&Stored>,
    backend: &RecordedBackend,
) -> Record {
    Record {
        schema_version: idp_state::SCHEMA_VERSION,
        name: env.name.clone(),
        template: env.template.clone(),
        template_version: env.template_version.clone(),
        owner: env.owner.clone(),
        team: env.team.clone(),
        class: env.class.to_string(),
        region: env.region.clone(),
        created_at: env.created_at,
        ttl: env.ttl.to_string(),
        expires_at: env.expires_at,
        status: Status::Pending,
        plan_digest: workspace.digest.clone(),
        spec: spec.to_path_buf(),
        updated_at: now,
        extended_until: previous
            .filter(|p| p.record.status != Status::Destroyed)
            .and_then(|p| p.record.extended_until),
        outputs: previous
            .map(|p| p.record.outputs.clone())
            .unwrap_or_default(),
        applied: Some(Applied {
            workspace_digest: workspace.digest.clone(),
            modules: module_digests(&workspace.files),
            backend: backend.clone(),
        }),
        destroy_attempts: 0,
        destroy_blocked: None,
        // Cost over time runs across re-applies, and starts again with a new life.
        costs: previous
            .filter(|p| p.record.status != Status::Destroyed)
            .map(|p| p.record.costs.clone())
            .unwrap_or_default(),
        // The approval that let exactly this plan through stays with it.
        approval: previous
            .and_then(|p| p.record.approval.clone())
            .filter(|a| a.approved() && a.plan_digest == workspace.digest),
    }
}

/// This apply's estimate for the record's cost history: the lower bound when incomplete,
/// nothing when the environment could not be priced at all.
fn recorded_cost(
    planned: &PlannedEnv,
    prices: &idp_price::PriceBook,
    now: jiff::Timestamp,
) -> Option<RecordedCost> {
    let estimate = match planned.cost.as_ref()? {
        Ok(e) => e,
        Err(err) => err.estimate()?,
    };
    Some(RecordedCost {
        at: now,
        plan_digest: planned.workspace.as_ref()?.digest.clone(),
        monthly: estimate.monthly,
        lifetime: estimate.lifetime,
        currency: estimate.currency.clone(),
        complete: estimate.complete,
        price_book: prices.identity(),
    })
}

/// Writes the workspace and its estimate into the environment's directory, then into
/// the records: a record never names a workspace that is not there.
pub(crate) fn write_workspace(
    ctx: &Ctx,
    lock: &EnvLock,
    planned: &PlannedEnv,
    workspace: &Workspace,
) -> Result<(), LifecycleError> {
    lock.write_workspace(&workspace.files)?;
    if let Some(Ok(estimate)) = &planned.cost {
        let bytes = serde_json::to_vec_pretty(estimate).unwrap_or_default();
        idp_state::write_atomically(&lock.dir().join(COST_FILE), &bytes)?;
    }
    ctx.records.write_workspace(
        &planned.env.name,
        &RecordedWorkspace {
            digest: workspace.digest.clone(),
            files: workspace.files.clone(),
        },
    )?;
    Ok(())
}

fn finish(
    ctx: &Ctx,
    held: &mut Held,
    result: Result<serde_json::Map<String, serde_json::Value>, idp_executor::ExecError>,
) -> Result<(), LifecycleError> {
    let now = ctx.clock.now();
    match result {
        Ok(outputs) => {
            held.update(ctx.records, |r| {
                r.status = Status::Ready;
                r.outputs = outputs.clone();
                r.updated_at = now;
            })?;
            (ctx.events)(Event::Reached {
                name: held.stored.record.name.clone(),
                status: Status::Ready,
            });
            Ok(())
        }
        Err(e) => {
            held.update(ctx.records, |r| {
                r.status = Status::Failed;
                r.updated_at = now;
            })?;
            Err(e.into())
        }
    }
}

/// Dispatches provision.yml for each environment with the digest the user confirmed.
/// Returns what was handed off, and the first failure (the rest are not dispatched).
pub fn hand_off(
    ctx: &Ctx,
    plan: &Plan,
    handoff: &Handoff,
    spec: &Path,
    requested_by: &str,
    now: jiff::Timestamp,
) -> (Vec<Handed>, Option<LifecycleError>) {
    let mut handed = Vec::new();
    let mut failed = None;
    for planned in &plan.environments {
        let Some(workspace) = &planned.workspace else {
            continue;
        };
        let inputs = provision_inputs(
            &planned.env.name,
            spec,
            SpecSource::Repository,
            &workspace.digest,
            now,
            requested_by,
        );
        match handoff.run(Workflow::Provision, &inputs, ctx.events) {
            Ok(h) => {
                failed = failed.or_else(|| h.failure());
                handed.push(h);
            }
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    (handed, failed)
}

/// Dispatches provision.yml for a recorded PENDING environment (applied through
/// `idp serve`, or just approved): the runner plans its recorded spec (the one kept in
/// the record store when it was posted) at `requested_at` and applies only its digest.
/// Returns once the run is known; the runner records APPLYING, READY or FAILED.
pub fn hand_off_recorded(
    ctx: &Ctx,
    handoff: &Handoff,
    record: &Record,
    requested_at: jiff::Timestamp,
    requested_by: &str,
) -> Result<Dispatched, LifecycleError> {
    let source = if crate::project::is_posted(record) {
        SpecSource::State
    } else {
        SpecSource::Repository
    };
    let inputs = provision_inputs(
        &record.name,
        &record.spec,
        source,
        &record.plan_digest,
        requested_at,
        requested_by,
    );
    handoff.dispatch(Workflow::Provision, &inputs, ctx.events)
}

/// A spec path as a workflow input: relative to the repository, with `/` separators
/// whatever the machine's.
pub(crate) fn spec_input(spec: &Path) -> String {
    spec.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The inputs of one provision dispatch.
fn provision_inputs(
    name: &str,
    spec: &Path,
    spec_source: SpecSource,
    digest: &str,
    requested_at: jiff::Timestamp,
    requested_by: &str,
) -> WorkflowInputs {
    WorkflowInputs {
        environment: name.to_owned(),
        spec: spec_input(spec),
        request_id: RequestId::new(requested_at),
        plan_digest: Some(digest.to_owned()),
        requested_by: requested_by.to_owned(),
        template_version: None,
        spec_source,
    }
}
