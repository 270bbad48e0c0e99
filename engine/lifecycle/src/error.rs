//! What can go wrong in the lifecycle. Each variant says what to change.

use std::path::PathBuf;

use miette::Diagnostic;

/// What can go wrong applying, destroying, extending or sweeping.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum LifecycleError {
    /// Reading or writing a record failed, or a record was refused.
    #[error(transparent)]
    #[diagnostic(transparent)]
    State(#[from] idp_state::StateError),
    /// The pipeline failed (input problems, a plugin).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Plan(#[from] idp_plan::PlanError),
    /// A spec could not be parsed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Spec(#[from] idp_spec::Problems),
    /// OpenTofu failed or could not run.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Exec(#[from] idp_executor::ExecError),
    /// The GitHub hand-off could not be set up (token, repository, API address).
    #[error(transparent)]
    #[diagnostic(transparent)]
    GitHubSetup(idp_github::GithubError),
    /// GitHub refused or failed a dispatch, or following a run.
    #[error(transparent)]
    #[diagnostic(transparent)]
    GitHub(idp_github::GithubError),
    /// `IDP_NOW` set for a mutating command of a release build.
    #[error("`IDP_NOW` cannot set the clock of a command that changes an environment")]
    #[diagnostic(
        code(idp::lifecycle::pinned_clock),
        help("unset IDP_NOW; it pins the clock of read-only commands (plan, list, status) only")
    )]
    PinnedClock,
    /// `--request-id` is not one idp made.
    #[error("`{id}` is not a request id idp made")]
    #[diagnostic(
        code(idp::lifecycle::request_id),
        help(
            "pass the `request-id` input of the dispatched run, like `20261123T100000Z-1a2b3c4d`"
        )
    )]
    BadRequestId {
        /// The id as given.
        id: String,
    },
    /// The request time is outside the window around the real clock.
    #[error(
        "the request was made at {requested}, which is not within 90 minutes before now ({now}) or 5 minutes after"
    )]
    #[diagnostic(
        code(idp::lifecycle::request_time),
        help(
            "a dispatched request is applied within the hour its job may wait and run; request it again"
        )
    )]
    RequestTime {
        /// The time the request id carries.
        requested: jiff::Timestamp,
        /// The real clock.
        now: jiff::Timestamp,
    },
    /// A recorded creation time in the future: the record cannot be trusted to expire.
    #[error("the record of `{name}` says it was created at {created_at}, after now ({now})")]
    #[diagnostic(
        code(idp::lifecycle::created_in_future),
        help("destroy the environment, or restore its record from a backup")
    )]
    CreatedInFuture {
        /// The environment.
        name: String,
        /// The recorded creation time.
        created_at: jiff::Timestamp,
        /// The clock.
        now: jiff::Timestamp,
    },
    /// The confirmed digest differs from the one planned here.
    #[error(
        "refusing to apply `{environment}`: its plan digest here is {actual}, not the confirmed {expected}"
    )]
    #[diagnostic(
        code(idp::apply::digest_changed),
        help(
            "the spec, idp.kdl, the catalog or the recorded state differ from what was confirmed; plan again and confirm the new plan"
        )
    )]
    DigestChanged {
        /// The environment.
        environment: String,
        /// The confirmed digest.
        expected: String,
        /// The digest planned here.
        actual: String,
    },
    /// The spec lies outside the project, so no record could name it.
    #[error("`{}` is outside the project (the git checkout, or the current directory)", spec.display())]
    #[diagnostic(
        code(idp::lifecycle::spec_outside),
        help("apply a spec inside the repository that holds idp.kdl, from that repository")
    )]
    SpecOutside {
        /// The spec as given.
        spec: PathBuf,
    },
    /// The spec a record names cannot be read (gone, renamed, or escaping the project).
    #[error("cannot read `{}`, the spec `{name}` was applied from: {reason}", spec.display())]
    #[diagnostic(
        code(idp::lifecycle::spec_unreadable),
        help("restore the spec at that path, or apply the spec that declares `{name}` again")
    )]
    SpecUnreadable {
        /// The environment.
        name: String,
        /// The recorded spec path (relative to the project).
        spec: PathBuf,
        /// Why.
        reason: String,
    },
    /// The spec a record names no longer declares the environment.
    #[error("`{}` no longer declares `{name}`", spec.display())]
    #[diagnostic(
        code(idp::lifecycle::spec_gone),
        help("apply the spec that declares it, or destroy the environment")
    )]
    NotDeclared {
        /// The environment.
        name: String,
        /// The recorded spec path.
        spec: PathBuf,
    },
    /// A destroy that cannot proceed; the record says why, and the sweep stops
    /// dispatching it.
    #[error("cannot destroy `{name}`: {reason}")]
    #[diagnostic(
        code(idp::lifecycle::destroy_blocked),
        help(
            "`idp show {name}` shows the record; restore what it names and run `idp destroy {name}` again"
        )
    )]
    DestroyBlocked {
        /// The environment.
        name: String,
        /// Why.
        reason: String,
    },
    /// A command that cannot act on the environment in its current state, or with the
    /// flags it was given; its code names which refusal.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Refused(Refusal),
    /// A run handed to GitHub ended in anything but success.
    #[error("run {run_id} of {workflow} for `{environment}` ended in {conclusion}: {url}")]
    #[diagnostic(
        code(idp::github::run_failed),
        help(
            "open the run's log at that address; fix the cause and run the same command again (a FAILED environment is retryable)"
        )
    )]
    RunFailed {
        /// The workflow.
        workflow: idp_github::Workflow,
        /// The environment.
        environment: String,
        /// The run.
        run_id: u64,
        /// How it ended.
        conclusion: String,
        /// Its page.
        url: String,
    },
    /// The async runtime for the network calls could not start.
    #[error("cannot start the async runtime: {0}")]
    #[diagnostic(code(idp::lifecycle::runtime), help("this is a bug in idp"))]
    Runtime(String),
}

impl LifecycleError {
    /// A command refused in the environment's current state, with its code (one per
    /// refusal, `idp::lifecycle::…`) and how to go on.
    pub fn refused(
        code: &'static str,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> LifecycleError {
        LifecycleError::Refused(Refusal {
            code,
            message: message.into(),
            help: help.into(),
        })
    }

    /// Whether the caller's input (or the state it names) is at fault: exit 2 in the
    /// CLI, 4xx in a server; otherwise a plugin or the infrastructure failed.
    pub fn is_input(&self) -> bool {
        match self {
            LifecycleError::State(e) => e.is_input(),
            LifecycleError::Plan(e) => e.is_input(),
            LifecycleError::Spec(_)
            | LifecycleError::PinnedClock
            | LifecycleError::BadRequestId { .. }
            | LifecycleError::RequestTime { .. }
            | LifecycleError::CreatedInFuture { .. }
            | LifecycleError::DigestChanged { .. }
            | LifecycleError::SpecOutside { .. }
            | LifecycleError::SpecUnreadable { .. }
            | LifecycleError::NotDeclared { .. }
            | LifecycleError::DestroyBlocked { .. }
            | LifecycleError::Refused(_) => true,
            LifecycleError::GitHubSetup(_) => true,
            LifecycleError::Exec(idp_executor::ExecError::NoTool) => true,
            LifecycleError::Exec(_)
            | LifecycleError::GitHub(_)
            | LifecycleError::RunFailed { .. }
            | LifecycleError::Runtime(_) => false,
        }
    }
}

/// A command that cannot act, with the code of its refusal: the refusals share a shape
/// (a message and how to go on), not a problem, so each has a code of its own.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    /// The refusal's code, `idp::lifecycle::…` (docs/error-codes.md).
    pub code: &'static str,
    /// What is refused.
    pub message: String,
    /// How to go on.
    pub help: String,
}

impl Diagnostic for Refusal {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(&self.help))
    }
}
