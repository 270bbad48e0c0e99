//! `idp apply`: plan, confirm, record PENDING and write the workspace; with `--run`,
//! APPLYING → READY | FAILED around `tofu init` and `apply`.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use idp_plan::Stage;
use idp_state::{Record, Status};

use crate::args::ApplyArgs;
use crate::commands::plan::{make_plan, print_plan};
use crate::context;
use crate::outcome::Outcome;
use crate::ui::CliError;

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

pub fn run(config: Option<&Path>, args: &ApplyArgs) -> Result<Outcome, CliError> {
    let (project, plan) = make_plan(config, &args.spec, Stage::Emit)?;
    print_plan(&plan, args.spec.format);
    if plan.denied() {
        eprintln!("not applied: a policy denies it (see the findings above)");
        return Ok(Outcome::Denied);
    }
    let tool = context::tool(args.run)?;
    let names: Vec<&str> = plan
        .environments
        .iter()
        .map(|e| e.env.name.as_str())
        .collect();
    if !confirm(&format!("apply {}?", names.join(", ")), args.yes)? {
        eprintln!("not applied");
        return Ok(Outcome::Clean);
    }
    let now = context::now()?;
    let spec_path = std::path::absolute(&args.spec.spec).unwrap_or_else(|_| args.spec.spec.clone());
    for planned in &plan.environments {
        let env = &planned.env;
        let Some(workspace) = &planned.workspace else {
            continue;
        };
        let lock = project.state.lock(&env.name)?;
        let previous = project.state.get(&env.name)?;
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
            outputs: previous.map(|p| p.outputs).unwrap_or_default(),
        };
        lock.write_workspace(&workspace.files)?;
        // The estimate as applied, so `idp cost --compare NAME` can diff against it later.
        if let Some(Ok(estimate)) = &planned.cost {
            let bytes = serde_json::to_vec_pretty(estimate).unwrap_or_default();
            idp_state::write_atomically(&lock.dir().join(COST_FILE), &bytes)?;
        }
        lock.put(&record)?;
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
                lock.put(&record)?;
                match idp_executor::apply(tool, lock.dir()) {
                    Ok(outputs) => {
                        record.status = Status::Ready;
                        record.outputs = outputs;
                        record.updated_at = context::now()?;
                        lock.put(&record)?;
                        eprintln!("`{}` is READY", env.name);
                    }
                    Err(e) => {
                        record.status = Status::Failed;
                        record.updated_at = context::now()?;
                        lock.put(&record)?;
                        return Err(CliError::plugin(e));
                    }
                }
            }
        }
    }
    Ok(Outcome::Clean)
}
