//! What the lifecycle tells its caller while it works. The CLI prints each event's text
//! on stderr; a server may match on the variants instead.

use std::path::PathBuf;

use idp_github::{Progress, Workflow};
use idp_state::Status;

/// One thing that happened.
#[derive(Debug, Clone)]
pub enum Event {
    /// Something the caller should know but that does not stop the run.
    Warning(String),
    /// A record was written with this status, in this workspace.
    Recorded {
        /// The environment.
        name: String,
        /// Its new status.
        status: Status,
        /// The workspace directory.
        dir: PathBuf,
    },
    /// What a workflow (or `--run`) would run, when idp does not run it itself.
    WouldRun(Vec<String>),
    /// The environment reached a final status.
    Reached {
        /// The environment.
        name: String,
        /// READY or DESTROYED.
        status: Status,
    },
    /// A workflow is being dispatched.
    Dispatching {
        /// The workflow.
        workflow: Workflow,
        /// The git ref.
        git_ref: String,
        /// `owner/name`.
        repository: String,
        /// The environment.
        environment: String,
        /// The request id.
        request_id: String,
    },
    /// The dispatched run was found.
    Dispatched {
        /// Its id.
        run_id: u64,
        /// Its page.
        html_url: String,
        /// Whether the dispatch returned it (else it was found by its request id).
        returned_by_dispatch: bool,
    },
    /// The run is not followed (`--no-wait`).
    NotFollowing {
        /// The environment.
        environment: String,
    },
    /// A change in a followed run.
    Progress(Progress),
    /// A followed run succeeded.
    RunSucceeded {
        /// Its id.
        run_id: u64,
        /// Its page.
        html_url: String,
    },
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Event::Warning(text) => write!(f, "warning: {text}"),
            Event::Recorded { name, status, dir } => {
                write!(f, "recorded `{name}` as {status} in `{}`", dir.display())
            }
            Event::WouldRun(commands) => {
                write!(f, "a workflow (or `idp apply --run`) would now run:")?;
                commands.iter().try_for_each(|c| write!(f, "\n  {c}"))
            }
            Event::Reached { name, status } => write!(f, "`{name}` is {status}"),
            Event::Dispatching {
                workflow,
                git_ref,
                repository,
                environment,
                request_id,
            } => write!(
                f,
                "dispatching {workflow} on `{git_ref}` of {repository} for `{environment}` (request {request_id})"
            ),
            Event::Dispatched {
                run_id,
                html_url,
                returned_by_dispatch,
            } => {
                let how = if *returned_by_dispatch {
                    "returned by the dispatch"
                } else {
                    "found by its request id"
                };
                write!(f, "run {run_id} ({how}): {html_url}")
            }
            Event::NotFollowing { environment } => write!(
                f,
                "not following it (--no-wait); `idp status {environment}` shows the recorded state"
            ),
            Event::Progress(p) => match p {
                Progress::Status(s) => write!(f, "  {}", s.replace('_', " ")),
                Progress::JobStarted(job) => write!(f, "  job `{job}` started"),
                Progress::StepFinished {
                    job,
                    step,
                    conclusion,
                } => write!(f, "    {} {job} › {step}", mark(conclusion)),
                Progress::JobFinished { job, conclusion } => {
                    write!(f, "  job `{job}`: {conclusion}")
                }
            },
            Event::RunSucceeded { run_id, html_url } => {
                write!(f, "run {run_id} succeeded: {html_url}")
            }
        }
    }
}

fn mark(conclusion: &str) -> &'static str {
    match conclusion {
        "success" => "✓",
        "skipped" => "-",
        _ => "✗",
    }
}

/// Where events go: a closure, so a terminal, a log or a server's response can listen.
pub type Events<'a> = &'a dyn Fn(Event);
