//! The CLI's side of the lifecycle (`idp_lifecycle`), shared by `apply`, `destroy`,
//! `extend` and `sweep`: it asks for confirmation on the terminal, prints the lifecycle's
//! events on stderr, turns the executor flags into a choice and its errors into exit
//! codes. The lifecycle itself never asks or prints.

use std::io::{BufRead, IsTerminal, Write};

use idp_config::GitHubExecutor;
use idp_lifecycle::{
    Ctx, Event, Executor, ExecutorChoice, ExecutorKind as Kind, Handoff, LifecycleError,
};

use crate::args::{ExecutorKind, HandoffArgs, RunArgs};
use crate::context::{self, Surroundings};
use crate::ui::CliError;

impl From<LifecycleError> for CliError {
    fn from(e: LifecycleError) -> Self {
        if e.is_input() {
            CliError::input(e)
        } else {
            CliError::plugin(e)
        }
    }
}

/// Asks `question` on the terminal; refuses without one.
pub fn confirm(question: &str, yes: bool) -> Result<bool, CliError> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::usage(
            "idp::usage::no_terminal",
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

/// Prints a lifecycle event on stderr.
pub fn print_event(event: Event) {
    eprintln!("{event}");
}

/// The lifecycle's surroundings for one command.
pub fn ctx<'a>(here: &'a Surroundings, clock: idp_lifecycle::Clock) -> Ctx<'a> {
    Ctx {
        records: here.records.as_ref(),
        state: &here.state,
        shared_records: here
            .config
            .as_ref()
            .is_some_and(|c| c.remote_state.is_some()),
        path_style: here.path_style,
        root: here.root.clone(),
        clock,
        events: &print_event,
    }
}

/// The lifecycle's surroundings for a command that planned a spec (`apply`).
pub fn project_ctx(project: &idp_plan::Project, clock: idp_lifecycle::Clock) -> Ctx<'_> {
    let remote = project.config.remote_state.as_ref();
    Ctx {
        records: project.records.as_ref(),
        state: &project.state,
        shared_records: remote.is_some(),
        path_style: remote.is_some_and(idp_state_s3::path_style),
        root: idp_lifecycle::project_root(&std::env::current_dir().unwrap_or_default()),
        clock,
        events: &print_event,
    }
}

/// The GitHub executor's settings when this run hands off, `None` for the local one.
pub fn github_settings(
    config: Option<&idp_config::ProjectConfig>,
    args: &HandoffArgs,
) -> Result<Option<GitHubExecutor>, CliError> {
    let choice = ExecutorChoice {
        executor: args.executor.map(|k| match k {
            ExecutorKind::Local => Kind::Local,
            ExecutorKind::Github => Kind::Github,
        }),
        git_ref: args.git_ref.clone(),
        no_wait: args.no_wait,
        fallback_repository: std::env::var("GITHUB_REPOSITORY").ok(),
    };
    Ok(idp_lifecycle::github_settings(
        config,
        &choice,
        &print_event,
    )?)
}

/// Connects to the repository `settings` name, with the token and API URL from the
/// environment, checked before anyone is asked to confirm.
pub fn connect(settings: &GitHubExecutor, no_wait: bool) -> Result<Handoff, CliError> {
    let target = idp_lifecycle::github_target(settings)?;
    Ok(Handoff::connect(target, &settings.git_ref, no_wait)?)
}

/// Where a change goes, settled before anyone is asked: to GitHub, connected (`github`
/// is [`github_settings`]' answer), or here, with the tool `--run` needs. `verb` names
/// the command in the refusal of `--run` with a hand-off.
pub fn executor(
    github: Option<&GitHubExecutor>,
    args: &RunArgs,
    verb: &'static str,
) -> Result<Executor, CliError> {
    if github.is_some() && args.run {
        return Err(idp_lifecycle::run_here_conflict(verb).into());
    }
    Ok(match github {
        Some(settings) => Executor::GitHub(Box::new(connect(settings, args.handoff.no_wait)?)),
        None => Executor::Local(context::tool(args.run)?),
    })
}

/// ` through GitHub Actions (owner/repo@ref)`, for a question about a hand-off; empty
/// for the local executor.
pub fn through(github: Option<&GitHubExecutor>) -> String {
    github.map_or(String::new(), |g| {
        format!(" through GitHub Actions ({}@{})", g.repository, g.git_ref)
    })
}

/// Appends a change made here to the audit log (`idp_lifecycle::audit`), as the user
/// the CLI runs as; `failed` is the lifecycle's error when the change failed.
pub fn audit(
    records: &dyn idp_state::RecordStore,
    name: &str,
    event: &str,
    at: jiff::Timestamp,
    failed: Option<&LifecycleError>,
    detail: serde_json::Value,
) -> Result<(), CliError> {
    let actor = idp_lifecycle::audit::Actor {
        subject: requested_by(),
        via: "cli",
        from: None,
    };
    let code = failed.and_then(|e| miette::Diagnostic::code(e).map(|c| c.to_string()));
    let error = failed.map(|_| code.as_deref().unwrap_or("idp::internal"));
    Ok(idp_lifecycle::audit::append(
        records, name, &actor, event, at, error, detail,
    )?)
}

/// Audits each environment a local apply recorded (its record now holds this plan's
/// digest), failed when its record says FAILED.
pub fn audit_apply(
    project: &idp_plan::Project,
    plan: &idp_plan::Plan,
    at: jiff::Timestamp,
    failed: Option<&LifecycleError>,
) -> Result<(), CliError> {
    for planned in &plan.environments {
        let Some(workspace) = &planned.workspace else {
            continue;
        };
        let name = &planned.env.name;
        let Some(record) = project.records.get(name)? else {
            continue;
        };
        if record.plan_digest != workspace.digest {
            continue;
        }
        let failure = failed.filter(|_| record.status == idp_state::Status::Failed);
        let detail = serde_json::json!({
            "team": record.team,
            "template": record.template,
            "plan_digest": record.plan_digest,
        });
        audit(project.records.as_ref(), name, "apply", at, failure, detail)?;
    }
    Ok(())
}

/// Who asked, for the run's logs: `IDP_REQUESTED_BY`, else the CI actor, else the user.
pub fn requested_by() -> String {
    ["IDP_REQUESTED_BY", "GITHUB_ACTOR", "USER", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown".into())
}

/// The pipeline for a recorded environment: idp.kdl from `--config`, or the nearest
/// above its recorded spec, with records where the surroundings keep them (`extend`
/// judges with it; `destroy` of an old record emits with it).
pub fn project(
    config: Option<&std::path::Path>,
    here: &Surroundings,
    record: &idp_state::Record,
) -> Result<idp_plan::Project, CliError> {
    let mut project = context::project(config, &here.root.join(&record.spec))?;
    project.records = here.records.clone();
    Ok(project)
}
