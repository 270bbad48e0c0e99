//! Destroy: from what the apply recorded (the workspace beside the record, the backend
//! key), never from today's spec or idp.kdl. Records migrated from schema version 1 have
//! no recorded workspace: for them the workspace is emitted again from the spec, with a
//! warning. A destroy that cannot proceed records why, and the sweep stops dispatching it.

use idp_github::{RequestId, Workflow, WorkflowInputs};
use idp_plan::{Pipeline, Project, Stage};
use idp_state::{EnvLock, Record, Status, Stored};

use crate::github::Handoff;
use crate::record::{Held, backend_for, executor_backend};
use crate::{Ctx, Event, LifecycleError, project};

/// Refuses to destroy `record` here without a tool when it may hold resources: marking
/// it DESTROYED would forget them.
pub fn check_tool(record: &Record, has_tool: bool) -> Result<(), LifecycleError> {
    let applied = matches!(
        record.status,
        Status::Ready | Status::Applying | Status::Failed | Status::Destroying
    );
    if applied && !has_tool {
        return Err(LifecycleError::refused(
            "idp::lifecycle::destroy_needs_run",
            format!(
                "`{}` was applied ({}); destroying its resources needs `--run`",
                record.name, record.status
            ),
            "run `idp destroy NAME --run` with `tofu` or `terraform` on PATH, or `--executor github`",
        ));
    }
    Ok(())
}

/// Destroys a recorded environment here, under its lock: with `tool`, OpenTofu destroys
/// what the recorded backend holds. `legacy` is the project to emit the workspace again
/// from the spec, needed only for a record without a recorded workspace.
pub fn destroy_here(
    ctx: &Ctx,
    name: &str,
    tool: Option<&idp_executor::Tool>,
    legacy: Option<&Project>,
) -> Result<(), LifecycleError> {
    let lock = ctx.state.lock(name)?;
    // Read again under the lock: the record read before confirming may be stale.
    let stored = ctx.records.require(name)?;
    if stored.record.status == Status::Destroyed {
        (ctx.events)(Event::Reached {
            name: name.to_owned(),
            status: Status::Destroyed,
        });
        return Ok(());
    }
    check_tool(&stored.record, tool.is_some())?;
    let mut held = Held { stored };
    let backend = match tool {
        Some(_) => match workspace(ctx, &held.stored.record, &lock, legacy) {
            Ok(backend) => Some(backend),
            Err(reason) => return Err(blocked(ctx, &mut held, reason)),
        },
        None => None,
    };
    let now = ctx.clock.now();
    held.update(ctx.records, |r| {
        r.status = Status::Destroying;
        r.updated_at = now;
    })?;
    if let (Some(tool), Some(backend)) = (tool, backend) {
        let backend = executor_backend(&backend, ctx.path_style);
        if let Err(e) = idp_executor::destroy(tool, lock.dir(), &backend) {
            held.update(ctx.records, |r| {
                r.status = Status::Failed;
                r.updated_at = now;
            })?;
            return Err(e.into());
        }
    }
    held.update(ctx.records, |r| {
        r.status = Status::Destroyed;
        r.outputs.clear();
        r.destroy_blocked = None;
        r.updated_at = now;
    })?;
    (ctx.events)(Event::Reached {
        name: name.to_owned(),
        status: Status::Destroyed,
    });
    Ok(())
}

/// Puts the workspace the environment was applied with in place and returns the backend
/// its state is in; or says why it cannot.
fn workspace(
    ctx: &Ctx,
    record: &Record,
    lock: &EnvLock,
    legacy: Option<&Project>,
) -> Result<idp_state::RecordedBackend, String> {
    if let Some(applied) = &record.applied {
        let recorded = ctx
            .records
            .read_workspace(&record.name)
            .map_err(|e| format!("its recorded workspace cannot be read: {e}"))?
            .ok_or_else(|| "its recorded workspace is missing".to_owned())?;
        if recorded.digest != applied.workspace_digest {
            return Err(format!(
                "its recorded workspace is {}, not the applied {}",
                recorded.digest, applied.workspace_digest
            ));
        }
        lock.write_workspace(&recorded.files)
            .map_err(|e| format!("its workspace cannot be written: {e}"))?;
        return Ok(applied.backend.clone());
    }
    (ctx.events)(Event::Warning(format!(
        "`{}` was recorded by an idp older than schema version 2, without its workspace; \
         destroying with the workspace emitted again from `{}` and the state key idp.kdl gives today",
        record.name,
        record.spec.display()
    )));
    if !lock.dir().join("main.tf").is_file() {
        let workspace = reemit(ctx, record, legacy).map_err(|e| e.to_string())?;
        lock.write_workspace(&workspace.files)
            .map_err(|e| format!("its workspace cannot be written: {e}"))?;
    }
    Ok(backend_for(legacy.map(|p| &p.config), &record.name))
}

fn reemit(
    ctx: &Ctx,
    record: &Record,
    legacy: Option<&Project>,
) -> Result<idp_emit::Workspace, LifecycleError> {
    let Some(project) = legacy else {
        return Err(LifecycleError::refused(
            "idp::lifecycle::no_config",
            "no idp.kdl to emit the workspace from",
            "run it where idp.kdl is",
        ));
    };
    let spec = project::spec_of(ctx, record)?;
    let plan =
        Pipeline::new(project)?.plan(&spec, Some(&record.name), Stage::Emit, ctx.clock.now())?;
    plan.environments
        .into_iter()
        .find_map(|p| p.workspace)
        .ok_or_else(|| LifecycleError::NotDeclared {
            name: record.name.clone(),
            spec: record.spec.clone(),
        })
}

/// Records why the destroy cannot proceed (FAILED, with the reason) and returns the error.
fn blocked(ctx: &Ctx, held: &mut Held, reason: String) -> LifecycleError {
    let now = ctx.clock.now();
    let written = held.update(ctx.records, |r| {
        r.status = Status::Failed;
        r.destroy_blocked = Some(reason.clone());
        r.updated_at = now;
    });
    match written {
        Ok(()) => LifecycleError::DestroyBlocked {
            name: held.stored.record.name.clone(),
            reason,
        },
        Err(e) => e,
    }
}

/// The inputs of a destroy.yml dispatch: the name is all a runner needs, the rest is in
/// the record.
pub fn destroy_inputs(record: &Record, requested_by: &str, now: jiff::Timestamp) -> WorkflowInputs {
    WorkflowInputs {
        environment: record.name.clone(),
        spec: String::new(),
        request_id: RequestId::new(now),
        plan_digest: None,
        requested_by: requested_by.to_owned(),
        template_version: None,
        spec_source: idp_github::SpecSource::Repository,
    }
}

/// Records DESTROYING (and one more attempt) before a destroy is dispatched, so a sweep
/// re-run while the run is queued does not dispatch it again, conditional on the version
/// read: when the record changed meanwhile, that is a conflict and nothing is dispatched.
/// Only where runners write too (`shared` records): a local record could never leave the
/// state. Returns the marked record, to put back if the dispatch fails.
pub fn mark_destroying(ctx: &Ctx, stored: &Stored) -> Result<Option<Held>, LifecycleError> {
    if !ctx.shared_records {
        return Ok(None);
    }
    let _lock = ctx.state.lock(&stored.record.name)?;
    let now = ctx.clock.now();
    let mut held = Held {
        stored: stored.clone(),
    };
    let mut marked = stored.record.clone();
    marked.status = Status::Destroying;
    marked.destroy_attempts = marked.destroy_attempts.saturating_add(1);
    marked.updated_at = now;
    held.stored.version = ctx.records.write(&marked, Some(&stored.version))?;
    held.stored.record = marked;
    Ok(Some(held))
}

/// Hands one destroy to destroy.yml: marks the record, dispatches, follows; when the
/// dispatch fails the record is put back, so the destroy can be asked for again.
pub fn hand_off_destroy(
    ctx: &Ctx,
    handoff: &Handoff,
    stored: &Stored,
    requested_by: &str,
) -> Result<(), LifecycleError> {
    let inputs = destroy_inputs(&stored.record, requested_by, ctx.clock.now());
    let marked = mark_destroying(ctx, stored)?;
    let dispatched = match handoff.dispatch(Workflow::Destroy, &inputs, ctx.events) {
        Ok(d) => d,
        Err(e) => {
            if let Some(held) = marked {
                ctx.records
                    .write(&stored.record, Some(&held.stored.version))
                    .ok();
            }
            return Err(e);
        }
    };
    let handed = handoff.followed(Workflow::Destroy, &inputs, dispatched, ctx.events)?;
    handed.failure().map_or(Ok(()), Err)
}
