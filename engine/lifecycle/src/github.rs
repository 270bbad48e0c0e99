//! The GitHub executor: dispatch a workflow for one environment, find its run, and follow
//! it to its end, telling the caller each change as an [`Event`].

use idp_config::{ExecutorConfig, GitHubExecutor, ProjectConfig};
use idp_github::{Dispatched, GitHub, Job, Run, Target, Workflow, WorkflowInputs};

use crate::{Event, Events, LifecycleError};

/// Which executor a command uses, as its caller asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutorKind {
    /// Write the workspace here; `--run` runs tofu here.
    Local,
    /// Dispatch a GitHub Actions workflow and follow its run.
    Github,
}

/// What the caller asked about the executor (flags, or a server request's fields).
#[derive(Debug, Clone, Default)]
pub struct ExecutorChoice {
    /// The executor asked for, if any (else idp.kdl's).
    pub executor: Option<ExecutorKind>,
    /// The git ref whose workflows run (github executor).
    pub git_ref: Option<String>,
    /// Return once the run is found, without following it.
    pub no_wait: bool,
    /// The repository to use when idp.kdl names none (`GITHUB_REPOSITORY` on a runner).
    pub fallback_repository: Option<String>,
}

/// The GitHub executor's settings when this run hands off, `None` for the local one.
pub fn github_settings(
    config: Option<&ProjectConfig>,
    choice: &ExecutorChoice,
    events: Events,
) -> Result<Option<GitHubExecutor>, LifecycleError> {
    let configured = match config.map(|c| &c.executor) {
        Some(ExecutorConfig::GitHub(g)) => Some(g.clone()),
        _ => None,
    };
    let hands_off = configured.is_some() || choice.executor == Some(ExecutorKind::Github);
    let local_records = config.is_none_or(|c| c.remote_state.is_none());
    if hands_off && local_records && choice.executor != Some(ExecutorKind::Local) {
        events(Event::Warning(
            "records are kept on this machine, where the workflows cannot update them; \
             configure `state s3 { … }` in idp.kdl so laptops, runners and the TTL sweep share them"
                .into(),
        ));
    }
    let mut settings = match (choice.executor, configured) {
        (Some(ExecutorKind::Local), _) | (None, None) => {
            if choice.no_wait || choice.git_ref.is_some() {
                return Err(LifecycleError::refused(
                    "idp::lifecycle::handoff_flags",
                    "`--no-wait` and `--ref` are for the github executor",
                    "add `--executor github`, or set `executor github { repository \"acme/envs\" }` in idp.kdl",
                ));
            }
            return Ok(None);
        }
        (_, Some(g)) => g,
        (Some(ExecutorKind::Github), None) => match &choice.fallback_repository {
            Some(repository) if !repository.is_empty() => GitHubExecutor {
                repository: repository.clone(),
                git_ref: "main".into(),
            },
            _ => {
                return Err(LifecycleError::refused(
                    "idp::lifecycle::no_repository",
                    "`--executor github` needs the repository holding the workflows, and idp.kdl names none",
                    "add `executor github { repository \"acme/envs\"; ref \"main\" }` to idp.kdl (or set GITHUB_REPOSITORY)",
                ));
            }
        },
    };
    if let Some(r) = &choice.git_ref {
        settings.git_ref = r.clone();
    }
    Ok(Some(settings))
}

/// The repository `settings` name, reached with the token and API address of the
/// environment (`GH_TOKEN` or `GITHUB_TOKEN`, `GITHUB_API_URL`), polled every
/// `IDP_GITHUB_POLL_MS` (5 s when unset).
pub fn github_target(settings: &GitHubExecutor) -> Result<Target, LifecycleError> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let token =
        var("GH_TOKEN")
            .or_else(|| var("GITHUB_TOKEN"))
            .ok_or(LifecycleError::GitHubSetup(
                idp_github::GithubError::NoToken,
            ))?;
    let repository = settings
        .repository
        .parse()
        .map_err(LifecycleError::GitHubSetup)?;
    let poll = var("IDP_GITHUB_POLL_MS")
        .and_then(|v| v.parse().ok())
        .map(std::time::Duration::from_millis)
        .unwrap_or(std::time::Duration::from_secs(5));
    Ok(Target {
        api_url: var("GITHUB_API_URL").unwrap_or_else(|| "https://api.github.com".into()),
        repository,
        token: token.trim().to_owned().into(),
        poll,
    })
}

/// `--run` (tofu on this machine) asked of a command that hands off to a runner.
pub fn run_here_conflict(verb: &str) -> LifecycleError {
    LifecycleError::refused(
        "idp::lifecycle::run_with_handoff",
        "`--run` runs tofu on this machine, and the github executor runs it on a runner",
        format!("drop `--run`, or pass `--executor local` to {verb} here"),
    )
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
    /// Connects to `target` (token and API address checked now, before anyone is asked
    /// to confirm), dispatching on `git_ref`.
    pub fn connect(
        target: Target,
        git_ref: &str,
        no_wait: bool,
    ) -> Result<Handoff, LifecycleError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| LifecycleError::Runtime(e.to_string()))?;
        // octocrab's middleware must be built inside a runtime.
        let gh = {
            let _entered = rt.enter();
            GitHub::new(target).map_err(LifecycleError::GitHubSetup)?
        };
        Ok(Handoff {
            rt,
            gh,
            git_ref: git_ref.to_owned(),
            no_wait,
        })
    }

    /// The repository, for questions and messages.
    pub fn repository(&self) -> String {
        self.gh.repository().to_string()
    }

    /// The ref runs are dispatched on.
    pub fn git_ref(&self) -> &str {
        &self.git_ref
    }

    /// Dispatches `workflow` for one environment and, unless `no_wait`, follows the run to
    /// its end.
    pub fn run(
        &self,
        workflow: Workflow,
        inputs: &WorkflowInputs,
        events: Events,
    ) -> Result<Handed, LifecycleError> {
        let dispatched = self.dispatch(workflow, inputs, events)?;
        self.followed(workflow, inputs, dispatched, events)
    }

    /// Follows a run already dispatched.
    pub fn followed(
        &self,
        workflow: Workflow,
        inputs: &WorkflowInputs,
        dispatched: Dispatched,
        events: Events,
    ) -> Result<Handed, LifecycleError> {
        let run = self.follow(inputs, &dispatched, events)?;
        Ok(Handed {
            workflow,
            git_ref: self.git_ref.clone(),
            inputs: inputs.clone(),
            dispatched,
            run,
        })
    }

    /// Dispatches `workflow` and finds its run.
    pub fn dispatch(
        &self,
        workflow: Workflow,
        inputs: &WorkflowInputs,
        events: Events,
    ) -> Result<Dispatched, LifecycleError> {
        events(Event::Dispatching {
            workflow,
            git_ref: self.git_ref.clone(),
            repository: self.repository(),
            environment: inputs.environment.clone(),
            request_id: inputs.request_id.to_string(),
        });
        let dispatched = self
            .rt
            .block_on(self.gh.dispatch(workflow, &self.git_ref, inputs))
            .map_err(LifecycleError::GitHub)?;
        events(Event::Dispatched {
            run_id: dispatched.run_id,
            html_url: dispatched.html_url.clone(),
            returned_by_dispatch: dispatched.returned_by_dispatch,
        });
        Ok(dispatched)
    }

    /// A run as it stands now, with its jobs and their steps (a page showing progress).
    pub fn look(&self, run_id: u64) -> Result<(Run, Vec<Job>), LifecycleError> {
        self.rt
            .block_on(async {
                let run = self.gh.run(run_id).await?;
                let jobs = self.gh.jobs(run_id).await?;
                Ok((run, jobs))
            })
            .map_err(LifecycleError::GitHub)
    }

    fn follow(
        &self,
        inputs: &WorkflowInputs,
        dispatched: &Dispatched,
        events: Events,
    ) -> Result<Option<Run>, LifecycleError> {
        if self.no_wait {
            events(Event::NotFollowing {
                environment: inputs.environment.clone(),
            });
            return Ok(None);
        }
        let run = self
            .rt
            .block_on(
                self.gh
                    .follow(dispatched.run_id, |p| events(Event::Progress(p))),
            )
            .map_err(LifecycleError::GitHub)?;
        if run.succeeded() {
            events(Event::RunSucceeded {
                run_id: run.id,
                html_url: run.html_url.clone(),
            });
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
    pub fn failure(&self) -> Option<LifecycleError> {
        let run = self.run.as_ref().filter(|r| !r.succeeded())?;
        Some(LifecycleError::RunFailed {
            workflow: self.workflow,
            environment: self.inputs.environment.clone(),
            run_id: run.id,
            conclusion: run
                .conclusion
                .clone()
                .unwrap_or_else(|| "an unknown state".into()),
            url: run.html_url.clone(),
        })
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
