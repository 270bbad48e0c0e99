//! Runs handed to GitHub Actions: which executor a change uses, what a dispatch leaves in
//! the audit log, and how each run stands now.
//!
//! The server never follows a run. A dispatch returns once GitHub names the run; its id,
//! page and request id go into the audit entry of the change, and
//! `GET /api/v1/environments/{name}/runs` asks GitHub how each recent run stands when it
//! is read. So a restart, or another replica behind the load balancer, loses nothing,
//! and no thread waits on a runner for the minutes an apply takes. The record itself is
//! the runner's to move (APPLYING, READY, FAILED) in the shared record store.

use std::cell::RefCell;
use std::path::Path;

use axum::Json;
use axum::extract::{Extension, Path as UrlPath, State};
use axum::http::StatusCode;
use idp_lifecycle::{Ctx, Event, Executor, Handoff, LifecycleError};
use idp_plan::Plan;
use idp_state::Record;
use serde_json::{Value, json};

use crate::auth::Identity;
use crate::problem::ApiProblem;
use crate::{AppState, GitHubRuns, Inner, JSON_VERSION};

/// The most runs an environment's page lists, newest first.
const LISTED: usize = 10;

/// How many of them GitHub is asked about (two requests each) when they are read.
const LOOKED_UP: usize = 3;

/// After this a run has ended (the workflows' jobs time out after 60 minutes; the rest is
/// room for a queue), so GitHub is not asked about it again: a page reloading while a
/// run goes on spends the token's 5,000 requests an hour only on runs that can change.
const LIVE_FOR: jiff::SignedDuration = jiff::SignedDuration::from_hours(6);

/// The executor of one change: here, or a repository's workflows. GitHub's address and
/// token are checked now, before anything is recorded.
pub(crate) fn executor(inner: &Inner) -> Result<Executor, ApiProblem> {
    match &inner.options.github {
        None => Ok(Executor::Local(None)),
        Some(g) => Ok(Executor::GitHub(Box::new(connect(g)?))),
    }
}

/// A connection that dispatches without following.
fn connect(g: &GitHubRuns) -> Result<Handoff, ApiProblem> {
    Handoff::connect(g.target.clone(), &g.git_ref, true).map_err(|e| github_problem(&e))
}

/// GitHub unreachable, or refusing: 502, with its reason and what to do.
pub(crate) fn github_problem(e: &LifecycleError) -> ApiProblem {
    crate::mutate::refusal(e, StatusCode::BAD_GATEWAY, "GitHub did not take the run")
}

/// What the dispatches of one change reported: each run's workflow, request id, id and
/// page, for the audit log and the answer.
#[derive(Default)]
pub(crate) struct Dispatches(RefCell<Vec<Value>>);

impl Dispatches {
    /// Hears one lifecycle event (the [`Ctx::events`] of the change).
    pub(crate) fn hear(&self, event: Event) {
        let mut runs = self.0.borrow_mut();
        match event {
            Event::Dispatching {
                workflow,
                request_id,
                ..
            } => runs.push(json!({ "workflow": workflow.file(), "request_id": request_id })),
            Event::Dispatched {
                run_id, html_url, ..
            } => {
                if let Some(Value::Object(run)) = runs.last_mut() {
                    run.insert("id".into(), json!(run_id));
                    run.insert("url".into(), json!(html_url));
                }
            }
            _ => {}
        }
    }

    /// Adds the last run dispatched to `doc` as `run` (an audit entry's detail, an answer).
    pub(crate) fn add_to(&self, doc: &mut Value) {
        if let Some(run) = self.run() {
            doc["run"] = run;
        }
    }

    /// The last run dispatched, once GitHub named it.
    pub(crate) fn run(&self) -> Option<Value> {
        self.0
            .borrow()
            .iter()
            .rev()
            .find(|r| r.get("id").is_some())
            .cloned()
    }
}

/// Applies a judged plan with `executor`: PENDING and the workspace here, and with GitHub
/// provision.yml dispatched for each recorded environment, whose runner plans the recorded
/// spec again at `now` and applies only this digest.
pub(crate) fn apply(
    ctx: &Ctx,
    inner: &Inner,
    executor: &Executor,
    plan: &Plan,
    recorded: &Path,
    now: jiff::Timestamp,
    requested_by: &str,
) -> Result<(), LifecycleError> {
    idp_lifecycle::apply_here(ctx, &inner.project, plan, recorded, None, now)?;
    let Executor::GitHub(handoff) = executor else {
        return Ok(());
    };
    for planned in &plan.environments {
        let record = ctx.records.require(&planned.env.name)?.record;
        idp_lifecycle::hand_off_recorded(ctx, handoff, &record, now, requested_by)?;
    }
    Ok(())
}

/// After an approval, with GitHub: provision.yml for the approved plan, at the instant it
/// was requested (the one request time the runner's clock window lets through).
pub(crate) fn provision_approved(
    ctx: &Ctx,
    inner: &Inner,
    record: &Record,
    approved_by: &str,
) -> Result<(), ApiProblem> {
    let Some(g) = &inner.options.github else {
        return Ok(());
    };
    let Some(approval) = &record.approval else {
        return Ok(());
    };
    let handoff = connect(g)?;
    idp_lifecycle::hand_off_recorded(ctx, &handoff, record, approval.requested_at, approved_by)
        .map(|_| ())
        .map_err(|e| github_problem(&e))
}

/// `GET /api/v1/environments/{name}/runs`.
pub(crate) async fn runs(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    UrlPath(name): UrlPath<String>,
) -> Result<Json<Value>, ApiProblem> {
    let r = crate::environments::record(&state, &who, name).await?;
    let name = r.name.clone();
    let runs = state.blocking(move |inner| runs_of(inner, &name)).await?;
    Ok(Json(json!({
        "version": JSON_VERSION,
        "name": r.name,
        "executor": state.0.options.github.as_ref().map(|g| json!({
            "repository": g.target.repository.to_string(),
            "ref": g.git_ref,
        })),
        "runs": runs,
    })))
}

/// The runs dispatched for `name`, newest first, the latest of them with how GitHub says
/// they stand now (status, conclusion, steps), when the server hands runs to GitHub.
pub(crate) fn runs_of(inner: &Inner, name: &str) -> Result<Vec<Value>, ApiProblem> {
    let entries = idp_lifecycle::audit::read(inner.project.records.as_ref(), name)
        .map_err(|e| ApiProblem::internal(&e))?;
    let mut runs: Vec<Value> = entries
        .iter()
        .rev()
        .filter_map(run_entry)
        .take(LISTED)
        .collect();
    let Some(g) = &inner.options.github else {
        return Ok(runs);
    };
    let now = inner.options.now.unwrap_or_else(jiff::Timestamp::now);
    let live = |run: &Value| {
        run["at"]
            .as_str()
            .and_then(|at| at.parse::<jiff::Timestamp>().ok())
            .is_some_and(|at| now.duration_since(at) < LIVE_FOR)
    };
    let mut asked: Vec<&mut Value> = runs
        .iter_mut()
        .take(LOOKED_UP)
        .filter(|r| live(r))
        .collect();
    if asked.is_empty() {
        return Ok(runs);
    }
    match connect(g) {
        Ok(h) => asked.iter_mut().for_each(|run| look_up(&h, run)),
        Err(p) => asked
            .iter_mut()
            .for_each(|run| run["live_error"] = json!(p.detail)),
    }
    Ok(runs)
}

/// A run an audit entry names, as the API shows it. The log is read back from the store,
/// so every field is checked rather than trusted.
fn run_entry(entry: &Value) -> Option<Value> {
    let run = entry.get("run")?;
    let id = run.get("id")?.as_u64()?;
    let text = |v: &Value| v.as_str().map(str::to_owned);
    Some(json!({
        "id": id,
        "workflow": text(&run["workflow"]),
        "request_id": text(&run["request_id"]),
        "url": run["url"].as_str().and_then(web_page),
        "event": text(&entry["event"]),
        "at": text(&entry["at"]),
        "by": text(&entry["by"]["subject"]),
    }))
}

/// A run's page, only when it is a web address (a tampered log could hold `javascript:`).
fn web_page(url: &str) -> Option<String> {
    (url.starts_with("https://") || url.starts_with("http://")).then(|| url.to_owned())
}

/// Adds how the run stands now: its status and conclusion, every step of its jobs, how
/// many have ended and which one runs.
fn look_up(handoff: &Handoff, run: &mut Value) {
    let Some(id) = run["id"].as_u64() else {
        return;
    };
    let (now, jobs) = match handoff.look(id) {
        Ok(found) => found,
        Err(e) => {
            run["live_error"] = json!(e.to_string());
            return;
        }
    };
    let steps: Vec<Value> = jobs
        .iter()
        .flat_map(|j| {
            j.steps.iter().map(|s| {
                json!({ "job": j.name, "name": s.name, "status": s.status, "conclusion": s.conclusion })
            })
        })
        .collect();
    let ended = steps.iter().filter(|s| s["status"] == "completed").count();
    let running = steps
        .iter()
        .find(|s| s["status"] == "in_progress")
        .map(|s| s["name"].clone());
    run["status"] = json!(now.status);
    run["conclusion"] = json!(now.conclusion);
    if let Some(url) = web_page(&now.html_url) {
        run["url"] = json!(url);
    }
    run["steps_ended"] = json!(ended);
    run["current_step"] = running.unwrap_or(Value::Null);
    run["steps"] = json!(steps);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dispatch_is_heard_as_one_run_with_its_id_and_page() {
        let heard = Dispatches::default();
        assert!(heard.run().is_none());
        heard.hear(Event::Dispatching {
            workflow: idp_github::Workflow::Provision,
            git_ref: "main".into(),
            repository: "acme/envs".into(),
            environment: "orders".into(),
            request_id: "20261123T100000Z-0000abcd".into(),
        });
        assert!(heard.run().is_none(), "not named by GitHub yet");
        heard.hear(Event::Dispatched {
            run_id: 7,
            html_url: "https://github.com/acme/envs/actions/runs/7".into(),
            returned_by_dispatch: true,
        });
        let run = heard.run().expect("a run");
        assert_eq!(run["id"], 7);
        assert_eq!(run["workflow"], "provision.yml");
        assert_eq!(run["request_id"], "20261123T100000Z-0000abcd");
    }

    #[test]
    fn a_logged_run_is_shown_only_with_a_numeric_id_and_a_web_page() {
        let entry = json!({
            "event": "apply", "at": "2026-11-23T10:00:00Z", "by": {"subject": "alice"},
            "run": {"id": 7, "workflow": "provision.yml", "url": "javascript:alert(1)"},
        });
        let run = run_entry(&entry).expect("a run");
        assert_eq!(run["url"], Value::Null);
        assert_eq!(run["by"], "alice");
        let forged = json!({ "event": "apply", "run": {"id": "7; drop"} });
        assert!(run_entry(&forged).is_none());
        assert!(run_entry(&json!({ "event": "extend" })).is_none());
    }
}
