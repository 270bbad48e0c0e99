//! The GitHub executor: hands an apply or a destroy to a GitHub Actions workflow through
//! `workflow_dispatch`, finds the run it started, and follows it to its conclusion.
//!
//! Requests go through octocrab's raw calls so every status and header (rate limits
//! above all) is seen here and turned into an error that says what to fix.
#![deny(missing_docs)]

mod client;
mod follow;
pub mod inputs;

pub use client::{Dispatched, GitHub, Job, Run, Step, Target};
pub use follow::Progress;
pub use inputs::{RequestId, SpecSource, Workflow, WorkflowInputs};

use miette::Diagnostic;

/// `owner/name` of the repository holding the workflows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    /// The owner (user or organisation).
    pub owner: String,
    /// The repository's name.
    pub name: String,
}

impl std::str::FromStr for Repository {
    type Err = GithubError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let valid = |p: &str| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        match s.split_once('/') {
            Some((owner, name)) if valid(owner) && valid(name) => Ok(Repository {
                owner: owner.to_owned(),
                name: name.to_owned(),
            }),
            _ => Err(GithubError::BadRepository(s.to_owned())),
        }
    }
}

impl std::fmt::Display for Repository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// What can go wrong handing off to GitHub. Each says what to change.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum GithubError {
    /// No token in the environment.
    #[error("the GitHub executor needs a token, and neither GH_TOKEN nor GITHUB_TOKEN is set")]
    #[diagnostic(
        code(idp::github::no_token),
        help(
            "export GH_TOKEN with a token allowed `actions:write` on the repository (for example `export GH_TOKEN=$(gh auth token)`)"
        )
    )]
    NoToken,
    /// `repository` is not `owner/name`.
    #[error("`{0}` is not a repository")]
    #[diagnostic(
        code(idp::github::repository),
        help(
            "write it as `owner/name`, for example `executor github {{ repository \"acme/envs\" }}`"
        )
    )]
    BadRepository(String),
    /// `GITHUB_API_URL` is not a URL.
    #[error("`{0}` is not a usable GitHub API URL")]
    #[diagnostic(
        code(idp::github::api_url),
        help(
            "set GITHUB_API_URL to `https://api.github.com` or your GitHub Enterprise Server's `https://HOST/api/v3`"
        )
    )]
    BadApiUrl(String),
    /// `GITHUB_API_URL` is plain HTTP to a host that is not this machine.
    #[error("`{0}` would send the token unencrypted")]
    #[diagnostic(
        code(idp::github::insecure_api_url),
        help(
            "use `https://`; plain `http://` is accepted only for 127.0.0.1, [::1] and localhost (a local test server)"
        )
    )]
    InsecureApiUrl(String),
    /// 401.
    #[error("GitHub refused the token (401: {message})")]
    #[diagnostic(
        code(idp::github::unauthorized),
        help("the token in GH_TOKEN / GITHUB_TOKEN is wrong or expired; create a new one")
    )]
    Unauthorized {
        /// GitHub's message.
        message: String,
    },
    /// 403 that is not a rate limit.
    #[error("the token may not {action} in `{repository}` (403: {message})")]
    #[diagnostic(
        code(idp::github::forbidden),
        help(
            "give the token `actions:write` on {repository} (fine-grained) or the `repo` scope (classic)"
        )
    )]
    Forbidden {
        /// What was attempted.
        action: &'static str,
        /// The repository.
        repository: Repository,
        /// GitHub's message.
        message: String,
    },
    /// 404 on a dispatch: the workflow file is not on that ref (or the repository is
    /// not visible to the token).
    #[error("GitHub has no workflow `{workflow}` on `{git_ref}` of `{repository}` (404)")]
    #[diagnostic(
        code(idp::github::workflow_not_found),
        help(
            "commit .github/workflows/{workflow} to `{git_ref}` (copy it from this repository's .github/workflows), or set `ref` in `executor github {{ … }}`; a token that cannot see the repository gets this answer too"
        )
    )]
    WorkflowNotFound {
        /// The workflow file.
        workflow: Workflow,
        /// The ref.
        git_ref: String,
        /// The repository.
        repository: Repository,
    },
    /// 404 on anything else.
    #[error("GitHub has no `{what}` in `{repository}` (404)")]
    #[diagnostic(
        code(idp::github::not_found),
        help("check `repository` in `executor github {{ … }}` and that the token can see it")
    )]
    NotFound {
        /// What was looked up.
        what: String,
        /// The repository.
        repository: Repository,
    },
    /// 422 naming the ref.
    #[error("`{git_ref}` is not a branch or tag of `{repository}` (422: {message})")]
    #[diagnostic(
        code(idp::github::no_ref),
        help("push the branch first, or set `ref` in `executor github {{ … }}` (or `--ref`)")
    )]
    NoRef {
        /// The ref.
        git_ref: String,
        /// The repository.
        repository: Repository,
        /// GitHub's message.
        message: String,
    },
    /// 422 about inputs: the workflow on that ref declares other inputs than idp sends.
    #[error("`{workflow}` on `{git_ref}` refused the inputs idp sent (422: {message})")]
    #[diagnostic(
        code(idp::github::inputs),
        help(
            "the workflow and this idp disagree on inputs: update .github/workflows/{workflow} on `{git_ref}` to the version shipped with this idp, which declares {expected}"
        )
    )]
    InputsRejected {
        /// The workflow file.
        workflow: Workflow,
        /// The ref.
        git_ref: String,
        /// GitHub's message.
        message: String,
        /// The inputs idp sends, listed for the help.
        expected: String,
    },
    /// A primary or secondary rate limit.
    #[error("GitHub's API rate limit is used up{}", until.map(|t| format!(" until {t}")).unwrap_or_default())]
    #[diagnostic(
        code(idp::github::rate_limited),
        help(
            "wait until then and run the same command again; a run already dispatched goes on, and `idp status NAME` shows what its runner recorded"
        )
    )]
    RateLimited {
        /// When the limit resets, when GitHub said.
        until: Option<jiff::Timestamp>,
    },
    /// Any other error status.
    #[error("GitHub answered {status} to {action}: {message}")]
    #[diagnostic(code(idp::github::http))]
    Http {
        /// What was attempted.
        action: &'static str,
        /// The status code.
        status: u16,
        /// GitHub's message.
        message: String,
    },
    /// The API could not be reached.
    #[error("cannot reach the GitHub API at `{url}`: {reason}")]
    #[diagnostic(
        code(idp::github::unreachable),
        help("check the network, and GITHUB_API_URL when you use GitHub Enterprise Server")
    )]
    Unreachable {
        /// The API URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// An answer that is not in GitHub's documented shape.
    #[error("GitHub's answer to {action} is not what its API documents: {reason}")]
    #[diagnostic(code(idp::github::unexpected))]
    Unexpected {
        /// What was attempted.
        action: &'static str,
        /// The parse error.
        reason: String,
    },
    /// The dispatch was accepted but no run carrying the request id appeared.
    #[error("`{workflow}` was dispatched but no run named with request `{request_id}` appeared")]
    #[diagnostic(
        code(idp::github::run_not_found),
        help(
            "the workflow's `run-name` must contain `${{{{ inputs.request-id }}}}`; look for the run in the repository's Actions tab"
        )
    )]
    RunNotFound {
        /// The workflow file.
        workflow: Workflow,
        /// The request id.
        request_id: String,
    },
}
