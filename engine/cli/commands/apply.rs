//! `idp apply`: plan, confirm, then either record PENDING and write the workspace here
//! (with `--run`, APPLYING → READY | FAILED around `tofu init` and `apply`), or hand the
//! confirmed plan to GitHub Actions and follow the run.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use idp_plan::Stage;
use idp_state::{Record, Status};

use idp_github::{RequestId, Workflow, WorkflowInputs};
use idp_plan::Plan;

use crate::args::{ApplyArgs, Format};
use crate::commands::handoff;
use crate::commands::plan::{make_plan_at, print_plan};
use crate::context;
use crate::outcome::Outcome;
use crate::ui::{self, CliError};

/// The estimate recorded beside `metadata.json` at apply.
pub const COST_FILE: &str = "cost.json";

/// Asks `question` on the terminal; refuses without one.
pub fn confirm(question: &str, yes: bool) -> Result<bool, CliError> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::usage(
            "refusing to continue without confirmation: there is no terminal to ask",
            "pass `--yes` to confirm in scripts and CI",
        ));
    }
    eprint!("{question} [y/N] ");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).ok();
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// The confirmed digest differs from the one planned here.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error(
    "refusing to apply `{environment}`: its plan digest here is {actual}, not the confirmed {expected}"
)]
#[diagnostic(
    code(idp::apply::digest_changed),
    help(
        "the spec, idp.kdl, the catalog or the recorded state differ from what was confirmed; plan again and confirm the new plan"
    )
)]
pub struct DigestChanged {
    environment: String,
    expected: String,
    actual: String,
}

pub fn run(config: Option<&Path>, args: &ApplyArgs) -> Result<Outcome, CliError> {
    let now = match &args.request_id {
        Some(id) => RequestId::requested_at(id).ok_or_else(|| {
            CliError::usage(
                format!("`{id}` is not a request id idp made"),
                "pass the `request-id` input of the dispatched run, like `20261123T100000Z-1a2b3c4d`",
            )
        })?,
        None => context::now()?,
    };
    let (project, plan) = make_plan_at(config, &args.spec, Stage::Emit, now)?;
    let github = handoff::github_settings(Some(&project.config), &args.handoff)?;
    // With --format json a hand-off prints one document at the end: the plan and its runs.
    let json_handoff = github.is_some() && args.spec.format == Format::Json;
    if !json_handoff {
        print_plan(&plan, args.spec.format);
    }
    if plan.denied() {
        if json_handoff {
            print_plan(&plan, args.spec.format);
        }
        eprintln!("not applied: a policy denies it (see the findings above)");
        return Ok(Outcome::Denied);
    }
    if let Some(expected) = &args.expect_digest {
        for planned in &plan.environments {
            let actual = planned
                .workspace
                .as_ref()
                .map(|w| w.digest.as_str())
                .unwrap_or("none");
            if actual != expected {
                return Err(CliError::input(DigestChanged {
                    environment: planned.env.name.clone(),
                    expected: expected.clone(),
                    actual: actual.to_owned(),
                }));
            }
        }
    }
    if github.is_some() && args.run {
        return Err(handoff::run_here_conflict("apply"));
    }
    let tool = context::tool(args.run)?;
    // The token and API address are checked before anyone is asked to confirm.
    let handoff = match &github {
        Some(settings) => Some(handoff::Handoff::connect(settings, args.handoff.no_wait)?),
        None => None,
    };
    let names: Vec<&str> = plan
        .environments
        .iter()
        .map(|e| e.env.name.as_str())
        .collect();
    let question = match &github {
        Some(g) => format!(
            "apply {} through GitHub Actions ({}@{})?",
            names.join(", "),
            g.repository,
            g.git_ref
        ),
        None => format!("apply {}?", names.join(", ")),
    };
    if !confirm(&question, args.yes)? {
        eprintln!("not applied");
        return Ok(Outcome::Clean);
    }
    if let Some(handoff) = handoff {
        return hand_off(&plan, &handoff, args, now);
    }
    // Records in S3 are read by runners and laptops alike: there the spec is named from
    // the repository root, where the workflows run; a local record keeps the full path.
    let spec_path = if project.config.remote_state.is_some() {
        std::path::PathBuf::from(handoff::repo_relative(&args.spec.spec))
    } else {
        std::path::absolute(&args.spec.spec).unwrap_or_else(|_| args.spec.spec.clone())
    };
    for planned in &plan.environments {
        let env = &planned.env;
        let Some(workspace) = &planned.workspace else {
            continue;
        };
        let lock = project.state.lock(&env.name)?;
        let previous = project.records.get(&env.name)?;
        let mut record = Record {
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
            spec: spec_path.clone(),
            updated_at: now,
            extended_until: previous
                .as_ref()
                .filter(|p| p.status != Status::Destroyed)
                .and_then(|p| p.extended_until),
            outputs: previous.map(|p| p.outputs).unwrap_or_default(),
        };
        lock.write_workspace(&workspace.files)?;
        // The estimate as applied, so `idp cost --compare NAME` can diff against it later.
        if let Some(Ok(estimate)) = &planned.cost {
            let bytes = serde_json::to_vec_pretty(estimate).unwrap_or_default();
            idp_state::write_atomically(&lock.dir().join(COST_FILE), &bytes)?;
        }
        project.records.put(&record)?;
        match &tool {
            None => {
                eprintln!(
                    "recorded `{}` as PENDING in `{}`",
                    env.name,
                    lock.dir().display()
                );
                eprintln!("a workflow (or `idp apply --run`) would now run:");
                for c in idp_executor::apply_commands(lock.dir()) {
                    eprintln!("  {c}");
                }
            }
            Some(tool) => {
                record.status = Status::Applying;
                project.records.put(&record)?;
                match idp_executor::apply(
                    tool,
                    lock.dir(),
                    &context::backend(&project.config, &env.name),
                ) {
                    Ok(outputs) => {
                        record.status = Status::Ready;
                        record.outputs = outputs;
                        record.updated_at = context::now()?;
                        project.records.put(&record)?;
                        eprintln!("`{}` is READY", env.name);
                    }
                    Err(e) => {
                        record.status = Status::Failed;
                        record.updated_at = context::now()?;
                        project.records.put(&record)?;
                        return Err(CliError::plugin(e));
                    }
                }
            }
        }
    }
    Ok(Outcome::Clean)
}

/// Dispatches provision.yml for each environment with the digest the user confirmed.
fn hand_off(
    plan: &Plan,
    handoff: &handoff::Handoff,
    args: &ApplyArgs,
    now: jiff::Timestamp,
) -> Result<Outcome, CliError> {
    let spec = handoff::repo_relative(&args.spec.spec);
    let mut handed = Vec::new();
    let mut failed = None;
    for planned in &plan.environments {
        let Some(workspace) = &planned.workspace else {
            continue;
        };
        let inputs = WorkflowInputs {
            environment: planned.env.name.clone(),
            spec: spec.clone(),
            request_id: RequestId::new(now),
            plan_digest: Some(workspace.digest.clone()),
            requested_by: handoff::requested_by(),
        };
        match handoff.run(Workflow::Provision, &inputs) {
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
    if args.spec.format == Format::Json {
        let mut doc = idp_report::plan_json(plan);
        if let Some(o) = doc.as_object_mut() {
            o.insert(
                "handoff".into(),
                handed.iter().map(handoff::Handed::to_json).collect(),
            );
        }
        ui::print_json(&doc);
    }
    if let Some(e) = failed {
        return Err(e);
    }
    Ok(Outcome::Clean)
}
