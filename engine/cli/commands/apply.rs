//! `idp apply`: plan, confirm, then either record PENDING and write the workspace here
//! (with `--run`, APPLYING → READY | FAILED around `tofu init` and `apply`), or hand the
//! confirmed plan to GitHub Actions and follow the run. The lifecycle is
//! `idp_lifecycle`'s; this file asks, calls and prints.

use std::path::Path;

use idp_plan::Stage;

use crate::args::{ApplyArgs, Format};
use crate::context;
use crate::handoff::{self, confirm};
use crate::outcome::Outcome;
use crate::planning::{make_plan_at, print_plan};
use crate::ui::{self, CliError};

pub fn run(config: Option<&Path>, args: &ApplyArgs) -> Result<Outcome, CliError> {
    let clock = context::clock()?;
    let cwd = std::env::current_dir().unwrap_or_default();
    let spec = idp_lifecycle::recorded_spec(&args.spec.spec, &cwd)?;
    // A dispatched request plans at the instant it was confirmed, within the window
    // the clock allows (or, once approved, until its approval expires).
    let how = &args.confirmed;
    let now = match &how.request_id {
        Some(id) => {
            let here = context::surroundings(config)?;
            let ctx = handoff::ctx(&here, clock);
            idp_lifecycle::request_time(&ctx, id, args.spec.env.as_deref())?
        }
        None => clock.now(),
    };
    let posted = match args.posted {
        true => Some(posted_spec(config, &args.spec)?),
        false => None,
    };
    let (project, plan) = make_plan_at(config, &args.spec, posted, Stage::Emit, now)?;
    let github = handoff::github_settings(Some(&project.config), &how.run.handoff)?;
    // With --format json a hand-off prints one document at the end: the plan and its runs.
    let json_handoff = github.is_some() && args.spec.format == Format::Json;
    if !json_handoff {
        print_plan(&plan, args.spec.format);
    }
    let gated = idp_lifecycle::gated(&plan);
    if gated.is_some() && !approved(&project, &plan, clock)? {
        return request_approval(&project, &plan, &spec, clock, now);
    }
    if plan.denied() && gated.is_none() {
        if json_handoff {
            print_plan(&plan, args.spec.format);
        }
        eprintln!("not applied: a policy denies it (see the findings above)");
        return Ok(Outcome::Denied);
    }
    if let Some(expected) = &how.expect_digest {
        idp_lifecycle::check_digest(&plan, expected)?;
    }
    let executor = handoff::executor(github.as_ref(), &how.run, "apply")?;
    let names: Vec<&str> = plan
        .environments
        .iter()
        .map(|e| e.env.name.as_str())
        .collect();
    let question = format!(
        "apply {}{}?",
        names.join(", "),
        handoff::through(github.as_ref())
    );
    if !confirm(&question, how.run.yes)? {
        eprintln!("not applied");
        return Ok(Outcome::Clean);
    }
    let ctx = handoff::project_ctx(&project, clock);
    let (handed, failed) =
        executor.apply(&ctx, &project, &plan, &spec, &handoff::requested_by(), now);
    if matches!(executor, idp_lifecycle::Executor::Local(_)) {
        handoff::audit_apply(&project, &plan, clock.now(), failed.as_ref())?;
        return failed.map_or(Ok(Outcome::Clean), |e| Err(e.into()));
    }
    if args.spec.format == Format::Json {
        let mut doc = idp_report::plan_json(&plan);
        if let Some(o) = doc.as_object_mut() {
            o.insert(
                "handoff".into(),
                handed.iter().map(idp_lifecycle::Handed::to_json).collect(),
            );
        }
        ui::print_json(&doc);
    }
    match failed {
        Some(e) => Err(e.into()),
        None => Ok(Outcome::Clean),
    }
}

/// `--posted`: the text of the spec `idp serve` kept in the record store for `--env`,
/// which the SPEC path must name as records do (`requests/NAME.kdl`, the `spec` input
/// provision.yml receives with `spec-source: state`).
fn posted_spec(config: Option<&Path>, args: &crate::args::SpecArgs) -> Result<String, CliError> {
    let Some(name) = args.env.as_deref() else {
        return Err(CliError::usage(
            "idp::usage::posted_needs_env",
            "`--posted` needs the environment's name",
            "add `--env NAME`",
        ));
    };
    let expected = idp_lifecycle::posted_spec_path(name);
    if args.spec != expected {
        return Err(CliError::usage(
            "idp::usage::posted_path",
            format!(
                "a spec posted to `idp serve` for `{name}` is recorded as `{}`, not `{}`",
                expected.display(),
                args.spec.display()
            ),
            format!("pass `{}` as SPEC", expected.display()),
        ));
    }
    let here = context::surroundings(config)?;
    here.records.read_spec(name)?.ok_or_else(|| {
        CliError::input(idp_lifecycle::LifecycleError::refused(
            "idp::lifecycle::no_posted_spec",
            format!(
                "no spec posted to `idp serve` is kept for `{name}` in {}",
                here.records.location()
            ),
            "apply it through `idp serve` again, or apply a spec file from the repository",
        ))
    })
}

/// Whether every environment of `plan` is exactly what an approver approved.
fn approved(
    project: &idp_plan::Project,
    plan: &idp_plan::Plan,
    clock: idp_lifecycle::Clock,
) -> Result<bool, CliError> {
    let ctx = handoff::project_ctx(project, clock);
    for planned in &plan.environments {
        if !idp_lifecycle::approved_for(&ctx, planned)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Denied only by policies under `approval` enforcement: the plan waits for an approver.
fn request_approval(
    project: &idp_plan::Project,
    plan: &idp_plan::Plan,
    spec: &Path,
    clock: idp_lifecycle::Clock,
    now: jiff::Timestamp,
) -> Result<Outcome, CliError> {
    let ctx = handoff::project_ctx(project, clock);
    let requested =
        idp_lifecycle::request_approval(&ctx, project, plan, spec, &handoff::requested_by(), now);
    for planned in &plan.environments {
        let detail = serde_json::json!({
            "team": planned.env.team,
            "template": planned.env.template,
            "plan_digest": planned.workspace.as_ref().map(|w| &w.digest),
        });
        let name = &planned.env.name;
        handoff::audit(
            project.records.as_ref(),
            name,
            "request_approval",
            now,
            requested.as_ref().err(),
            detail,
        )?;
    }
    requested?;
    eprintln!(
        "not applied yet: waiting for an approver (`idp approve NAME`); a policy under approval enforcement denies it"
    );
    Ok(Outcome::Clean)
}
