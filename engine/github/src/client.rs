//! The REST calls: dispatch, run discovery, run and jobs, with every error status
//! turned into a [`GithubError`] that says what to fix.

use std::time::Duration;

use http::{HeaderMap, StatusCode};
use octocrab::Octocrab;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{GithubError, Repository, RequestId, Workflow, WorkflowInputs};

/// Where to dispatch: the API, the repository, and the credentials.
#[derive(Debug, Clone)]
pub struct Target {
    /// `https://api.github.com`, or a GitHub Enterprise Server's `https://HOST/api/v3`.
    pub api_url: String,
    /// The repository holding the workflows.
    pub repository: Repository,
    /// The token (`GH_TOKEN` / `GITHUB_TOKEN`); its `Debug` prints `[REDACTED]`.
    pub token: SecretString,
    /// How often to ask about a run while following it.
    pub poll: Duration,
}

/// A dispatched run: its id and where a person can watch it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispatched {
    /// The run id.
    pub run_id: u64,
    /// The run's page.
    pub html_url: String,
    /// Whether GitHub returned the id in the dispatch answer (rather than idp finding
    /// the run by its request id).
    pub returned_by_dispatch: bool,
}

/// A workflow run, as `GET /repos/{owner}/{repo}/actions/runs/{id}` returns it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Run {
    /// The run id.
    pub id: u64,
    /// The run's title (its `run-name`).
    #[serde(default)]
    pub display_title: String,
    /// queued, in_progress, completed, waiting, requested, pending.
    pub status: String,
    /// success, failure, cancelled, … once completed.
    pub conclusion: Option<String>,
    /// The run's page.
    pub html_url: String,
}

impl Run {
    /// Whether the run has ended.
    pub fn completed(&self) -> bool {
        self.status == "completed"
    }

    /// Whether it ended well.
    pub fn succeeded(&self) -> bool {
        self.completed() && self.conclusion.as_deref() == Some("success")
    }
}

/// A job of a run, with its steps.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Job {
    /// The job id.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// queued, in_progress, completed…
    pub status: String,
    /// Once completed.
    pub conclusion: Option<String>,
    /// Its steps so far.
    #[serde(default)]
    pub steps: Vec<Step>,
}

/// A step of a job.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Step {
    /// Its name.
    pub name: String,
    /// 1-based position.
    pub number: u32,
    /// queued, in_progress, completed.
    pub status: String,
    /// Once completed.
    pub conclusion: Option<String>,
}

#[derive(Deserialize)]
struct Jobs {
    jobs: Vec<Job>,
}

#[derive(Deserialize)]
struct Runs {
    workflow_runs: Vec<Run>,
}

/// The answer to a dispatch with `return_run_details` (GitHub, February 2026).
#[derive(Deserialize)]
struct RunDetails {
    workflow_run_id: u64,
    html_url: String,
}

/// An answer, read whole.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn message(&self) -> String {
        serde_json::from_str::<Value>(&self.body)
            .ok()
            .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_else(|| self.body.chars().take(200).collect())
    }

    /// A primary limit (`x-ratelimit-remaining: 0`) or a secondary one (`retry-after`).
    fn rate_limited(&self) -> Option<GithubError> {
        let header = |name: &str| {
            self.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let limited = matches!(self.status.as_u16(), 403 | 429)
            && (header("x-ratelimit-remaining").as_deref() == Some("0")
                || header("retry-after").is_some()
                || self.status.as_u16() == 429);
        if !limited {
            return None;
        }
        let until = header("x-ratelimit-reset")
            .and_then(|r| r.parse::<i64>().ok())
            .and_then(|s| jiff::Timestamp::from_second(s).ok())
            .or_else(|| {
                let secs = header("retry-after")?.parse::<i64>().ok()?;
                jiff::Timestamp::now()
                    .checked_add(jiff::SignedDuration::from_secs(secs))
                    .ok()
            });
        Some(GithubError::RateLimited { until })
    }

    fn parse<T: serde::de::DeserializeOwned>(
        &self,
        action: &'static str,
    ) -> Result<T, GithubError> {
        serde_json::from_str(&self.body).map_err(|e| GithubError::Unexpected {
            action,
            reason: e.to_string(),
        })
    }
}

/// A client for one repository's workflows.
#[derive(Debug)]
pub struct GitHub {
    octo: Octocrab,
    target: Target,
}

/// Whether an `http://` URL's host is this machine: the loopback range or `localhost`.
fn is_loopback(url: &str) -> bool {
    let Ok(uri) = url.parse::<http::Uri>() else {
        return false;
    };
    let Some(host) = uri.host() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl GitHub {
    /// A client for `target`.
    pub fn new(target: Target) -> Result<GitHub, GithubError> {
        let bad_url = || GithubError::BadApiUrl(target.api_url.clone());
        let base = target.api_url.trim_end_matches('/');
        if !base.starts_with("https://") {
            if !base.starts_with("http://") {
                return Err(bad_url());
            }
            if !is_loopback(base) {
                return Err(GithubError::InsecureApiUrl(target.api_url.clone()));
            }
        }
        let octo = Octocrab::builder()
            .base_uri(base)
            .map_err(|_| bad_url())?
            .personal_token(target.token.clone())
            .set_connect_timeout(Some(Duration::from_secs(10)))
            .set_read_timeout(Some(Duration::from_secs(30)))
            .build()
            .map_err(|e| GithubError::Unreachable {
                url: target.api_url.clone(),
                reason: e.to_string(),
            })?;
        Ok(GitHub { octo, target })
    }

    /// The repository.
    pub fn repository(&self) -> &Repository {
        &self.target.repository
    }

    /// How often a followed run is asked about.
    pub fn poll(&self) -> Duration {
        self.target.poll
    }

    fn route(&self, rest: &str) -> String {
        let r = &self.target.repository;
        format!("/repos/{}/{}/{rest}", r.owner, r.name)
    }

    async fn send(&self, route: &str, body: Option<&Value>) -> Result<Answer, GithubError> {
        let unreachable = |e: octocrab::Error| GithubError::Unreachable {
            url: self.target.api_url.clone(),
            reason: source_chain(&e),
        };
        let response = match body {
            Some(b) => self.octo._post(route, Some(b)).await,
            None => self.octo._get(route).await,
        }
        .map_err(unreachable)?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = self
            .octo
            .body_to_string(response)
            .await
            .map_err(unreachable)?;
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    /// The error for a failed answer that is not specific to one call.
    fn failure(&self, answer: &Answer, action: &'static str) -> GithubError {
        if let Some(limited) = answer.rate_limited() {
            return limited;
        }
        match answer.status.as_u16() {
            401 => GithubError::Unauthorized {
                message: answer.message(),
            },
            403 => GithubError::Forbidden {
                action,
                repository: self.target.repository.clone(),
                message: answer.message(),
            },
            status => GithubError::Http {
                action,
                status,
                message: answer.message(),
            },
        }
    }

    /// Dispatches `workflow` on `git_ref`, asking GitHub for the run's details; when the
    /// server does not give them (GitHub Enterprise Server before the February 2026 API),
    /// finds the run by the request id in its name.
    pub async fn dispatch(
        &self,
        workflow: Workflow,
        git_ref: &str,
        inputs: &WorkflowInputs,
    ) -> Result<Dispatched, GithubError> {
        let route = self.route(&format!("actions/workflows/{}/dispatches", workflow.file()));
        let mut body = json!({
            "ref": git_ref,
            "inputs": inputs.to_json(workflow),
            "return_run_details": true,
        });
        let mut answer = self.send(&route, Some(&body)).await?;
        if answer.status == StatusCode::UNPROCESSABLE_ENTITY
            && answer.message().contains("return_run_details")
        {
            if let Some(b) = body.as_object_mut() {
                b.remove("return_run_details");
            }
            answer = self.send(&route, Some(&body)).await?;
        }
        match answer.status.as_u16() {
            200 => {
                let details: RunDetails = answer.parse("the dispatch")?;
                Ok(Dispatched {
                    run_id: details.workflow_run_id,
                    html_url: details.html_url,
                    returned_by_dispatch: true,
                })
            }
            204 => {
                let run = self.find_run(workflow, &inputs.request_id).await?;
                Ok(Dispatched {
                    run_id: run.id,
                    html_url: run.html_url,
                    returned_by_dispatch: false,
                })
            }
            404 => Err(GithubError::WorkflowNotFound {
                workflow,
                git_ref: git_ref.to_owned(),
                repository: self.target.repository.clone(),
            }),
            422 if answer.message().contains("No ref found") => Err(GithubError::NoRef {
                git_ref: git_ref.to_owned(),
                repository: self.target.repository.clone(),
                message: answer.message(),
            }),
            422 => Err(GithubError::InputsRejected {
                workflow,
                git_ref: git_ref.to_owned(),
                message: answer.message(),
                expected: WorkflowInputs::names(workflow).join(", "),
            }),
            _ => Err(self.failure(&answer, "dispatch workflows")),
        }
    }

    /// Finds the run of `workflow` whose name carries `request_id`, asking a few times
    /// while GitHub queues it.
    pub async fn find_run(
        &self,
        workflow: Workflow,
        request_id: &RequestId,
    ) -> Result<Run, GithubError> {
        let route = self.route(&format!(
            "actions/workflows/{}/runs?event=workflow_dispatch&per_page=50",
            workflow.file()
        ));
        for attempt in 0..10 {
            if attempt > 0 {
                tokio::time::sleep(self.target.poll).await;
            }
            let answer = self.send(&route, None).await?;
            if !answer.status.is_success() {
                return Err(self.failure(&answer, "list workflow runs"));
            }
            let runs: Runs = answer.parse("listing workflow runs")?;
            if let Some(run) = runs
                .workflow_runs
                .into_iter()
                .find(|r| r.display_title.contains(request_id.as_str()))
            {
                return Ok(run);
            }
        }
        Err(GithubError::RunNotFound {
            workflow,
            request_id: request_id.to_string(),
        })
    }

    /// The run's current state.
    pub async fn run(&self, run_id: u64) -> Result<Run, GithubError> {
        let answer = self
            .send(&self.route(&format!("actions/runs/{run_id}")), None)
            .await?;
        match answer.status.as_u16() {
            200 => answer.parse("reading the run"),
            404 => Err(GithubError::NotFound {
                what: format!("run {run_id}"),
                repository: self.target.repository.clone(),
            }),
            _ => Err(self.failure(&answer, "read workflow runs")),
        }
    }

    /// The run's jobs and their steps.
    pub async fn jobs(&self, run_id: u64) -> Result<Vec<Job>, GithubError> {
        let answer = self
            .send(
                &self.route(&format!("actions/runs/{run_id}/jobs?per_page=100")),
                None,
            )
            .await?;
        if !answer.status.is_success() {
            return Err(self.failure(&answer, "read workflow jobs"));
        }
        Ok(answer.parse::<Jobs>("listing the run's jobs")?.jobs)
    }
}

/// An error with its causes, for transport failures whose top line says little.
fn source_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let next = c.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, headers: &[(&'static str, &str)], body: &str) -> Answer {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, v.parse().expect("header value"));
        }
        Answer {
            status: StatusCode::from_u16(status).expect("status"),
            headers: map,
            body: body.to_owned(),
        }
    }

    fn target(api_url: &str) -> Target {
        Target {
            api_url: api_url.into(),
            repository: "acme/envs".parse().expect("repository"),
            token: "ghp_secret".to_owned().into(),
            poll: Duration::from_secs(5),
        }
    }

    #[test]
    fn the_token_travels_only_encrypted_or_to_this_machine() {
        // octocrab's client spawns onto the runtime it is built in.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime");
        let _inside = runtime.enter();
        let insecure = GitHub::new(target("http://github.example.com/api/v3"));
        assert!(matches!(insecure, Err(GithubError::InsecureApiUrl(_))));
        for local in [
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:9",
        ] {
            assert!(GitHub::new(target(local)).is_ok(), "{local}");
        }
        assert!(GitHub::new(target("https://api.github.com")).is_ok());
        let shown = format!("{:?}", target("https://api.github.com"));
        assert!(!shown.contains("ghp_secret"), "{shown}");
    }

    #[test]
    fn rate_limits_are_told_from_other_refusals() {
        let primary = answer(
            403,
            &[
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", "1795435200"),
            ],
            r#"{"message":"API rate limit exceeded"}"#,
        );
        let Some(GithubError::RateLimited { until }) = primary.rate_limited() else {
            panic!("a spent primary limit is a rate limit");
        };
        assert_eq!(
            until.map(|t| t.to_string()).as_deref(),
            Some("2026-11-23T12:00:00Z")
        );
        assert!(
            answer(429, &[], "{}").rate_limited().is_some(),
            "429 is always one"
        );
        assert!(
            answer(403, &[("retry-after", "60")], "{}")
                .rate_limited()
                .is_some(),
            "a secondary limit says when to retry"
        );
        assert!(
            answer(403, &[("x-ratelimit-remaining", "4999")], "{}")
                .rate_limited()
                .is_none(),
            "a 403 with budget left is a permission problem"
        );
    }

    #[test]
    fn the_message_is_githubs_own_or_the_start_of_the_body() {
        assert_eq!(
            answer(
                422,
                &[],
                r#"{"message":"No ref found for: x","status":"422"}"#
            )
            .message(),
            "No ref found for: x"
        );
        let html = "<html>".repeat(100);
        assert_eq!(answer(502, &[], &html).message().chars().count(), 200);
    }

    #[test]
    fn repositories_are_owner_slash_name() {
        let r: Repository = "acme/envs".parse().expect("valid");
        assert_eq!((r.owner.as_str(), r.name.as_str()), ("acme", "envs"));
        for bad in ["acme", "acme/", "/envs", "acme/envs/x", "ac me/envs"] {
            assert!(bad.parse::<Repository>().is_err(), "{bad}");
        }
    }
}
