//! The routes that change environments: apply, extend and destroy (upgrade is in
//! [`crate::upgrade`], over the helpers here), through
//! `idp-lifecycle` as `idp apply`, `idp extend` and `idp destroy` call it. The server
//! never runs OpenTofu: it records PENDING and writes the workspace, as `idp apply`
//! without `--run`, and with `executor github` in idp.kdl dispatches the workflow that
//! carries it out ([`crate::runs`]). Each is allowed only to who may change the environment's team
//! ([`Identity::can_change`]), and each change is appended to the audit log.

use std::path::{Path, PathBuf};

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Path as UrlPath, Query, Request, State};
use axum::http::StatusCode;
use idp_lifecycle::{Clock, Ctx, LifecycleError};
use idp_plan::{Pipeline, Plan, PlanError, Stage};
use idp_spec::{SourceFile, SpecFile};
use idp_state::{Status, Stored};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::{Identity, forbidden};
use crate::environments::{environment_json, state_problem, unknown};
use crate::plan::{PlanQuery, SPEC_NAME, invalid, plan_slot, posted_spec, read_body};
use crate::problem::ApiProblem;
use crate::runs::{self, Dispatches};
use crate::{AppState, Inner, JSON_VERSION};

/// The surroundings of one change. Recorded spec paths are relative to the project's
/// root (the git checkout above idp.kdl); a spec posted to the server is kept in the
/// record store ([`idp_lifecycle::spec_of`]). `path_style` only matters when OpenTofu
/// runs, which the server never does.
pub(crate) fn ctx(inner: &Inner, clock: Clock) -> Ctx<'_> {
    Ctx {
        records: inner.project.records.as_ref(),
        state: &inner.project.state,
        shared_records: inner.project.config.remote_state.is_some(),
        path_style: false,
        root: inner.root.clone(),
        clock,
        events: &|_| {},
    }
}

/// The clock of a change: idp's, never the request's (a pin only in test builds).
pub(crate) fn clock(inner: &Inner) -> Result<Clock, ApiProblem> {
    Clock::for_mutation(inner.options.now).map_err(|e| ApiProblem::internal(&e))
}

/// A refusal of the lifecycle (locked, conflict, not extendable, needs a run) is 409;
/// a failure of the machine is 500.
pub(crate) fn lifecycle_problem(e: &LifecycleError) -> ApiProblem {
    if matches!(
        e,
        LifecycleError::GitHub(_) | LifecycleError::GitHubSetup(_)
    ) {
        return runs::github_problem(e);
    }
    if !e.is_input() {
        return ApiProblem::internal(e);
    }
    refusal(e, StatusCode::CONFLICT, "The change was refused")
}

/// A lifecycle error as a problem of `status`: its own code, its message and its help.
pub(crate) fn refusal(e: &LifecycleError, status: StatusCode, title: &'static str) -> ApiProblem {
    let code =
        miette::Diagnostic::code(e).map_or_else(|| "idp::internal".into(), |c| c.to_string());
    let help = miette::Diagnostic::help(e)
        .map(|h| format!("; {h}"))
        .unwrap_or_default();
    ApiProblem::new(status, code, title, format!("{e}{help}"))
}

/// 422 when a policy denies the change, with each finding at its line.
pub(crate) fn denied(plan: &Plan, what: &str) -> ApiProblem {
    let findings = idp_report::findings(plan);
    let diagnostics = idp_report::problems_json(Path::new(SPEC_NAME), &findings)["problems"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    ApiProblem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "idp::server::denied",
        "A policy denies it",
        format!("not {what}: a policy denies it (see `diagnostics`)"),
    )
    .with_diagnostics(diagnostics)
}

/// The record of `name` if `who` may change it: 404 when they may not even read it
/// (an environment of another team is not shown to exist), 403 when they may only read.
pub(crate) fn changeable(inner: &Inner, who: &Identity, name: &str) -> Result<Stored, ApiProblem> {
    permitted(inner, who, name, Identity::can_change, "change")
}

/// The record of `name` if `may` lets `who` act on its team (`verb` says how, for the
/// 403); 404 when they may not even read it.
pub(crate) fn permitted(
    inner: &Inner,
    who: &Identity,
    name: &str,
    may: fn(&Identity, &str) -> bool,
    verb: &str,
) -> Result<Stored, ApiProblem> {
    let stored = inner
        .project
        .records
        .require(name)
        .map_err(|e| state_problem(&e))?;
    let team = &stored.record.team;
    if !who.can_read(team) {
        return Err(unknown(name));
    }
    if !may(who, team) {
        return Err(forbidden(format!(
            "`{}` may not {verb} environments of team `{team}`",
            who.subject
        )));
    }
    Ok(stored)
}

/// Appends to the audit log what `who` did to `name`, and how it ended.
pub(crate) fn audited(
    inner: &Inner,
    who: &Identity,
    name: &str,
    event: &str,
    at: jiff::Timestamp,
    detail: Value,
    result: &Result<(), ApiProblem>,
) -> Result<(), ApiProblem> {
    let error = result.as_ref().err().map(|p| p.code.as_str());
    let records = inner.project.records.as_ref();
    idp_lifecycle::audit::append(records, name, &who.actor(), event, at, error, detail).map_err(
        |e| {
            ApiProblem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "idp::server::audit",
                "The audit log cannot be written",
                e.to_string(),
            )
        },
    )
}

/// The answer of a change to `name`: its record as it stands now (as `GET` shows it),
/// the members of `more`, and the run dispatched, if any.
pub(crate) fn answer(
    inner: &Inner,
    name: &str,
    now: jiff::Timestamp,
    heard: &Dispatches,
    more: Value,
) -> Result<Value, ApiProblem> {
    let stored = inner
        .project
        .records
        .require(name)
        .map_err(|e| state_problem(&e))?;
    let mut doc = json!({
        "version": JSON_VERSION,
        "environment": environment_json(inner, &stored.record, now),
    });
    if let (Some(o), Value::Object(more)) = (doc.as_object_mut(), more) {
        o.extend(more);
    }
    heard.add_to(&mut doc);
    Ok(doc)
}

/// `POST /api/v1/environments`.
pub(crate) async fn apply(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    query: Result<Query<PlanQuery>, QueryRejection>,
    request: Request,
) -> Result<(StatusCode, Json<Value>), ApiProblem> {
    let Query(query) = query.map_err(|e| crate::environments::bad_query(e.body_text()))?;
    let text = posted_spec(&state, request).await?;
    let _slot = plan_slot(&state).await?;
    let (status, doc) = state
        .blocking(move |inner| apply_text(inner, &who, text, query.env.as_deref()))
        .await?;
    Ok((status, Json(doc)))
}

pub(crate) fn apply_text(
    inner: &Inner,
    who: &Identity,
    text: String,
    only: Option<&str>,
) -> Result<(StatusCode, Value), ApiProblem> {
    let clock = clock(inner)?;
    let now = clock.now();
    let spec =
        SpecFile::parse(SourceFile::new(SPEC_NAME, text.clone())).map_err(|p| invalid(&p))?;
    let plan = match Pipeline::new(&inner.project)
        .and_then(|mut p| p.plan(&spec, only, Stage::Emit, now))
    {
        Ok(plan) => plan,
        Err(PlanError::Input(problems)) => return Err(invalid(&problems)),
        Err(e) => return Err(ApiProblem::internal(&e)),
    };
    let [planned] = plan.environments.as_slice() else {
        return Err(ApiProblem::new(
            StatusCode::BAD_REQUEST,
            "idp::server::one_environment",
            "One environment at a time",
            format!(
                "the spec declares {} environments; apply one at a time with `?env=NAME`",
                plan.environments.len()
            ),
        ));
    };
    let (name, team) = (planned.env.name.clone(), planned.env.team.clone());
    let previous = inner
        .project
        .records
        .get(&name)
        .map_err(|e| state_problem(&e))?;
    if previous.as_ref().is_some_and(|r| !who.can_read(&r.team)) {
        // Its team is not the caller's to see, so it is not named.
        return Err(forbidden(format!(
            "`{}` may not change `{name}`: it is recorded for another team",
            who.subject
        )));
    }
    let teams = std::iter::once(&team).chain(previous.as_ref().map(|r| &r.team));
    if let Some(other) = teams.into_iter().find(|t| !who.can_change(t)) {
        return Err(forbidden(format!(
            "`{}` may not change environments of team `{other}`",
            who.subject
        )));
    }
    let ctx = ctx(inner, clock);
    let gated = idp_lifecycle::gated(&plan).is_some();
    if gated && !idp_lifecycle::approved_for(&ctx, planned).map_err(|e| lifecycle_problem(&e))? {
        let recorded = keep_spec(inner, &name, &text)?;
        return request_approval(inner, who, &plan, planned, &recorded, now);
    }
    if plan.denied() && !gated {
        return Err(denied(&plan, "applied"));
    }
    let executor = runs::executor(inner)?;
    let recorded = keep_spec(inner, &name, &text)?;
    let heard = Dispatches::default();
    let listen = |e| heard.hear(e);
    let mut ctx = ctx;
    ctx.events = &listen;
    let result = runs::apply(&ctx, inner, &executor, &plan, &recorded, now, &who.subject)
        .map_err(|e| lifecycle_problem(&e));
    let digest = planned.workspace.as_ref().map(|w| w.digest.clone());
    let mut detail =
        json!({ "team": team, "template": planned.env.template, "plan_digest": digest });
    heard.add_to(&mut detail);
    audited(inner, who, &name, "apply", now, detail, &result)?;
    result?;
    let doc = answer(
        inner,
        &name,
        now,
        &heard,
        json!({ "plan": idp_report::plan_json(&plan) }),
    )?;
    // Handed to a runner: accepted, and applied when its run ends.
    let status = match doc.get("run") {
        Some(_) => StatusCode::ACCEPTED,
        None => StatusCode::CREATED,
    };
    Ok((status, doc))
}

/// Denied only by policies under `approval` enforcement: 202, waiting in PENDING_APPROVAL.
fn request_approval(
    inner: &Inner,
    who: &Identity,
    plan: &Plan,
    planned: &idp_plan::PlannedEnv,
    recorded: &Path,
    now: jiff::Timestamp,
) -> Result<(StatusCode, Value), ApiProblem> {
    let ctx = ctx(inner, Clock::at(now));
    let name = &planned.env.name;
    let result =
        idp_lifecycle::request_approval(&ctx, &inner.project, plan, recorded, &who.subject, now)
            .map_err(|e| lifecycle_problem(&e));
    let digest = planned.workspace.as_ref().map(|w| w.digest.clone());
    let detail = json!({ "team": planned.env.team, "template": planned.env.template, "plan_digest": digest });
    audited(inner, who, name, "request_approval", now, detail, &result)?;
    result?;
    let mut doc = answer(
        inner,
        name,
        now,
        &Dispatches::default(),
        json!({ "plan": idp_report::plan_json(plan) }),
    )?;
    doc["approval"] = doc["environment"]["approval"].clone();
    Ok((StatusCode::ACCEPTED, doc))
}

/// Keeps the posted spec in the record store beside the record, and returns the path
/// records name it by ([`idp_lifecycle::posted_spec_path`]).
fn keep_spec(inner: &Inner, name: &str, text: &str) -> Result<PathBuf, ApiProblem> {
    inner
        .project
        .records
        .write_spec(name, text)
        .map_err(|e| state_problem(&e))?;
    Ok(idp_lifecycle::posted_spec_path(name))
}

/// `{"by": "3d"}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExtendBody {
    by: String,
}

/// `POST /api/v1/environments/{name}/extend`.
pub(crate) async fn extend(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    UrlPath(name): UrlPath<String>,
    request: Request,
) -> Result<Json<Value>, ApiProblem> {
    let text = posted_json(&state, request, r#"{"by": "3d"}"#).await?;
    let body: ExtendBody = serde_json::from_str(&text).map_err(|e| {
        ApiProblem::new(
            StatusCode::BAD_REQUEST,
            "idp::server::bad_json",
            "Malformed request body",
            format!("the body is not JSON of the form {{\"by\": \"3d\"}}: {e}"),
        )
    })?;
    let _slot = plan_slot(&state).await?;
    let doc = state
        .blocking(move |inner| extend_by(inner, &who, &name, &body.by))
        .await?;
    Ok(Json(doc))
}

/// The body of a route that takes only JSON; `example` is such a body, for the 415.
pub(crate) async fn posted_json(
    state: &AppState,
    request: Request,
    example: &str,
) -> Result<String, ApiProblem> {
    let json = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        });
    if !json {
        return Err(ApiProblem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "idp::server::media_type",
            "Unsupported media type",
            format!("send `application/json`, like {example}"),
        ));
    }
    let bytes = read_body(state, request.into_body()).await?;
    String::from_utf8(bytes).map_err(|_| {
        ApiProblem::new(
            StatusCode::BAD_REQUEST,
            "idp::server::not_utf8",
            "Malformed request body",
            "the body is not UTF-8 text",
        )
    })
}

pub(crate) fn extend_by(
    inner: &Inner,
    who: &Identity,
    name: &str,
    by: &str,
) -> Result<Value, ApiProblem> {
    let stored = changeable(inner, who, name)?;
    let by_secs = idp_lifecycle::parse_by(by).map_err(|e| {
        ApiProblem::new(
            StatusCode::BAD_REQUEST,
            "idp::lifecycle::extend_by",
            "Bad extension",
            e.to_string(),
        )
    })?;
    let clock = clock(inner)?;
    let ctx = ctx(inner, clock);
    let judged = idp_lifecycle::judge(&ctx, &inner.project, name, by_secs)
        .map_err(|e| lifecycle_problem(&e))?;
    if judged.denied() {
        return Err(denied(&judged.plan, "extended"));
    }
    let (lifetime, expires_at) = (judged.lifetime.clone(), judged.expires_at);
    let result = idp_lifecycle::record_extension(&ctx, judged).map_err(|e| lifecycle_problem(&e));
    let detail = json!({ "team": stored.record.team, "extend_by": by, "expires_at": expires_at });
    audited(inner, who, name, "extend", clock.now(), detail, &result)?;
    result?;
    Ok(json!({
        "version": JSON_VERSION,
        "name": name,
        "extended": true,
        "lifetime": lifetime,
        "expires_at": expires_at,
    }))
}

/// `DELETE /api/v1/environments/{name}`.
pub(crate) async fn destroy(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    UrlPath(name): UrlPath<String>,
) -> Result<Json<Value>, ApiProblem> {
    state
        .blocking(move |inner| destroy_named(inner, &who, &name))
        .await
        .map(Json)
}

pub(crate) fn destroy_named(
    inner: &Inner,
    who: &Identity,
    name: &str,
) -> Result<Value, ApiProblem> {
    let stored = changeable(inner, who, name)?;
    let clock = clock(inner)?;
    let already = stored.record.status == Status::Destroyed;
    let heard = Dispatches::default();
    if !already {
        let executor = runs::executor(inner)?;
        let listen = |e| heard.hear(e);
        let mut ctx = ctx(inner, clock);
        ctx.events = &listen;
        let result = executor
            .destroy(&ctx, &stored, &who.subject, None)
            .map_err(|e| lifecycle_problem(&e));
        let mut detail = json!({ "team": stored.record.team });
        heard.add_to(&mut detail);
        audited(inner, who, name, "destroy", clock.now(), detail, &result)?;
        result?;
    }
    answer(inner, name, clock.now(), &heard, json!({}))
}
