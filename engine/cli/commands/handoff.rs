//! Hand-off to GitHub Actions, shared by `apply`, `destroy` and `sweep`: build the
//! client from idp.kdl and the environment, dispatch, and follow the run on stderr.

use std::path::{Path, PathBuf};

use idp_config::{ExecutorConfig, GitHubExecutor, ProjectConfig};
use idp_github::{Dispatched, GitHub, Progress, Run, Workflow, WorkflowInputs};
use idp_state::{Record, RecordStore, Status};

use crate::args::{ExecutorKind, HandoffArgs};
use crate::context;
use crate::ui::CliError;

/// The GitHub executor's settings when this run hands off, `None` for the local one.
pub fn github_settings(
    config: Option<&ProjectConfig>,
    args: &HandoffArgs,
) -> Result<Option<GitHubExecutor>, CliError> {
    let configured = match config.map(|c| &c.executor) {
        Some(ExecutorConfig::GitHub(g)) => Some(g.clone()),
        _ => None,
    };
    let hands_off = configured.is_some() || args.executor == Some(ExecutorKind::Github);
    let local_records = config.is_none_or(|c| c.remote_state.is_none());
    if hands_off && local_records && args.executor != Some(ExecutorKind::Local) {
        eprintln!(
            "warning: records are kept on this machine, where the workflows cannot update them; \
             configure `state s3 {{ … }}` in idp.kdl so laptops, runners and the TTL sweep share them"
        );
    }
    let mut settings = match (args.executor, configured) {
        (Some(ExecutorKind::Local), _) | (None, None) => {
            if args.no_wait || args.git_ref.is_some() {
                return Err(CliError::usage(
                    "`--no-wait` and `--ref` are for the github executor",
                    "add `--executor github`, or set `executor github { repository \"acme/envs\" }` in idp.kdl",
                ));
            }
            return Ok(None);
        }
        (_, Some(g)) => g,
        (Some(ExecutorKind::Github), None) => match std::env::var("GITHUB_REPOSITORY") {
            Ok(repository) if !repository.is_empty() => GitHubExecutor {
                repository,
                git_ref: "main".into(),
            },
            _ => {
                return Err(CliError::usage(
                    "`--executor github` needs the repository holding the workflows, and idp.kdl names none",
                    "add `executor github { repository \"acme/envs\"; ref \"main\" }` to idp.kdl (or set GITHUB_REPOSITORY)",
                ));
            }
        },
    };
    if let Some(r) = &args.git_ref {
        settings.git_ref = r.clone();
    }
    Ok(Some(settings))
}

/// `--run` (tofu on this machine) asked of a command that hands off to a runner.
pub fn run_here_conflict(verb: &str) -> CliError {
    CliError::usage(
        "`--run` runs tofu on this machine, and the github executor runs it on a runner",
        format!("drop `--run`, or pass `--executor local` to {verb} here"),
    )
}

/// A tokio runtime for the network calls; only commands that hand off build one.
fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            CliError::usage(
                format!("cannot start the async runtime: {e}"),
                "this is a bug in idp",
            )
        })
}

/// A connection to one repository's workflows: the client, the runtime it runs on, the
/// ref to dispatch on, and whether to follow runs.
pub struct Handoff {
    rt: tokio::runtime::Runtime,
    gh: GitHub,
    git_ref: String,
    no_wait: bool,
}

impl Handoff {
    /// Connects as `settings` say, with the token and API URL from the environment.
    pub fn connect(settings: &GitHubExecutor, no_wait: bool) -> Result<Handoff, CliError> {
        let target = context::github_target(settings)?;
        let rt = runtime()?;
        // octocrab's middleware must be built inside a runtime.
        let gh = {
            let _entered = rt.enter();
            GitHub::new(target).map_err(CliError::input)?
        };
        Ok(Handoff {
            rt,
            gh,
            git_ref: settings.git_ref.clone(),
            no_wait,
        })
    }

    /// Dispatches `workflow` for one environment and, unless `--no-wait`, follows the run
    /// to its end, printing each change on stderr; an error when it ends in anything but
    /// success.
    pub fn run(&self, workflow: Workflow, inputs: &WorkflowInputs) -> Result<Handed, CliError> {
        let dispatched = self.dispatch(workflow, inputs)?;
        self.followed(workflow, inputs, dispatched)
    }

    fn followed(
        &self,
        workflow: Workflow,
        inputs: &WorkflowInputs,
        dispatched: Dispatched,
    ) -> Result<Handed, CliError> {
        let run = self.follow(inputs, &dispatched)?;
        Ok(Handed {
            workflow,
            git_ref: self.git_ref.clone(),
            inputs: inputs.clone(),
            dispatched,
            run,
        })
    }

    /// Follows a run already dispatched; an error when it ends in anything but success.
    pub fn run_followed(
        &self,
        workflow: Workflow,
        inputs: &WorkflowInputs,
        dispatched: Dispatched,
    ) -> Result<(), CliError> {
        let handed = self.followed(workflow, inputs, dispatched)?;
        handed.failure().map_or(Ok(()), Err)
    }

    /// Dispatches `workflow` and finds its run.
    pub fn dispatch(
        &self,
        workflow: Workflow,
        inputs: &WorkflowInputs,
    ) -> Result<Dispatched, CliError> {
        eprintln!(
            "dispatching {workflow} on `{}` of {} for `{}` (request {})",
            self.git_ref,
            self.gh.repository(),
            inputs.environment,
            inputs.request_id
        );
        let dispatched = self
            .rt
            .block_on(self.gh.dispatch(workflow, &self.git_ref, inputs))
            .map_err(CliError::plugin)?;
        let how = if dispatched.returned_by_dispatch {
            "returned by the dispatch"
        } else {
            "found by its request id"
        };
        eprintln!("run {} ({how}): {}", dispatched.run_id, dispatched.html_url);
        Ok(dispatched)
    }

    /// Follows a dispatched run to its end, unless `--no-wait` (then `None`).
    fn follow(
        &self,
        inputs: &WorkflowInputs,
        dispatched: &Dispatched,
    ) -> Result<Option<Run>, CliError> {
        if self.no_wait {
            eprintln!(
                "not following it (--no-wait); `idp status {}` shows the recorded state",
                inputs.environment
            );
            return Ok(None);
        }
        let run = self
            .rt
            .block_on(self.gh.follow(dispatched.run_id, |p| match p {
                Progress::Status(s) => eprintln!("  {}", s.replace('_', " ")),
                Progress::JobStarted(job) => eprintln!("  job `{job}` started"),
                Progress::StepFinished {
                    job,
                    step,
                    conclusion,
                } => eprintln!("    {} {job} › {step}", mark(&conclusion)),
                Progress::JobFinished { job, conclusion } => {
                    eprintln!("  job `{job}`: {conclusion}")
                }
            }))
            .map_err(CliError::plugin)?;
        if run.succeeded() {
            eprintln!("run {} succeeded: {}", run.id, run.html_url);
        }
        Ok(Some(run))
    }
}

/// One hand-off: what was dispatched, and how its run ended when it was followed.
pub struct Handed {
    workflow: Workflow,
    git_ref: String,
    inputs: WorkflowInputs,
    dispatched: Dispatched,
    run: Option<Run>,
}

impl Handed {
    /// The failure of a followed run that ended in anything but success.
    pub fn failure(&self) -> Option<CliError> {
        let run = self.run.as_ref().filter(|r| !r.succeeded())?;
        Some(CliError::plugin(RunFailed {
            workflow: self.workflow,
            environment: self.inputs.environment.clone(),
            run_id: run.id,
            conclusion: run
                .conclusion
                .clone()
                .unwrap_or_else(|| "an unknown state".into()),
            url: run.html_url.clone(),
        }))
    }

    /// The hand-off for `--format json` (documented in docs/json-output.md).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "environment": self.inputs.environment,
            "workflow": self.workflow.file(),
            "ref": self.git_ref,
            "request_id": self.inputs.request_id.as_str(),
            "run_id": self.dispatched.run_id,
            "html_url": self.dispatched.html_url,
            "found_by": if self.dispatched.returned_by_dispatch { "dispatch" } else { "request-id" },
            "conclusion": self.run.as_ref().and_then(|r| r.conclusion.clone()),
        })
    }
}

/// Records DESTROYING before a destroy is dispatched, so a sweep re-run while the run is
/// queued does not dispatch it again (the caller puts the record back if the dispatch
/// fails). Only where runners write too (S3): a local record could never leave the state.
pub fn mark_destroying(
    config: Option<&ProjectConfig>,
    records: &dyn RecordStore,
    record: &Record,
    now: jiff::Timestamp,
) -> Result<bool, CliError> {
    if config.is_none_or(|c| c.remote_state.is_none()) {
        return Ok(false);
    }
    let mut marked = record.clone();
    marked.status = Status::Destroying;
    marked.updated_at = now;
    records.put(&marked)?;
    Ok(true)
}

/// Who asked, for the run's logs: `IDP_REQUESTED_BY`, else the CI actor, else the user.
pub fn requested_by() -> String {
    ["IDP_REQUESTED_BY", "GITHUB_ACTOR", "USER", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown".into())
}

/// The spec's path as the runner sees it: relative to the root of the git checkout
/// holding it (or to the current directory outside one), with `/` separators.
pub fn repo_relative(spec: &Path) -> String {
    let absolute = std::path::absolute(spec).unwrap_or_else(|_| spec.to_path_buf());
    let root = absolute
        .ancestors()
        .skip(1)
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("."));
    let relative = absolute.strip_prefix(&root).unwrap_or(&absolute);
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// A run that ended in anything but success.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("run {run_id} of {workflow} for `{environment}` ended in {conclusion}: {url}")]
#[diagnostic(
    code(idp::github::run_failed),
    help(
        "open the run's log at that address; fix the cause and run the same command again (a FAILED environment is retryable)"
    )
)]
pub struct RunFailed {
    workflow: Workflow,
    environment: String,
    run_id: u64,
    conclusion: String,
    url: String,
}

fn mark(conclusion: &str) -> &'static str {
    match conclusion {
        "success" => "✓",
        "skipped" => "-",
        _ => "✗",
    }
}
