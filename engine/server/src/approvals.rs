//! The approval routes: the plans waiting in PENDING_APPROVAL that the caller may read,
//! and approve or reject one, through `idp_lifecycle::approve`/`reject` as
//! `idp approve`/`idp reject` call them. Only an approver or admin of the environment's
//! team decides ([`Identity::can_approve`]); nobody decides on their own request; each
//! decision is audited and shown by `/history`.

use axum::Json;
use axum::extract::{Extension, Path as UrlPath, Request, State};
use axum::http::StatusCode;
use idp_state::Status;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::{Identity, forbidden};
use crate::environments::state_problem;
use crate::mutate::{audited, clock, ctx, lifecycle_problem, permitted};
use crate::plan::read_body;
use crate::problem::ApiProblem;
use crate::runs::{self, Dispatches};
use crate::{AppState, Inner, JSON_VERSION};

/// `GET /api/v1/approvals`.
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
) -> Result<Json<Value>, ApiProblem> {
    waiting(&state, &who).await.map(Json)
}

/// The plans waiting for approval that `who` may read, as `GET /api/v1/approvals`
/// answers them.
pub(crate) async fn waiting(state: &AppState, who: &Identity) -> Result<Value, ApiProblem> {
    let now = state.now();
    let listing = state
        .blocking(|inner| inner.project.records.list().map_err(|e| state_problem(&e)))
        .await?;
    let waiting: Vec<Value> = listing
        .records
        .into_iter()
        .map(|s| s.record)
        .filter(|r| r.status == Status::PendingApproval && who.can_read(&r.team))
        .map(|r| {
            let mut doc = idp_report::status_json(&r, now);
            doc["approval"] = json!(r.approval);
            doc["expired"] = json!(r.approval.as_ref().is_some_and(|a| now > a.expires_at));
            doc
        })
        .collect();
    Ok(json!({ "version": JSON_VERSION, "approvals": waiting }))
}

/// `{"reason": "…"}`, or no body.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DecideBody {
    reason: Option<String>,
}

/// `POST /api/v1/approvals/{name}/approve`.
pub(crate) async fn approve(
    state: State<AppState>,
    who: Extension<Identity>,
    name: UrlPath<String>,
    request: Request,
) -> Result<Json<Value>, ApiProblem> {
    decided(state, who, name, request, true).await
}

/// `POST /api/v1/approvals/{name}/reject`.
pub(crate) async fn reject(
    state: State<AppState>,
    who: Extension<Identity>,
    name: UrlPath<String>,
    request: Request,
) -> Result<Json<Value>, ApiProblem> {
    decided(state, who, name, request, false).await
}

async fn decided(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    UrlPath(name): UrlPath<String>,
    request: Request,
    approved: bool,
) -> Result<Json<Value>, ApiProblem> {
    let body = decide_body(&state, request).await?;
    state
        .blocking(move |inner| decide(inner, &who, &name, body.reason.as_deref(), approved))
        .await
        .map(Json)
}

async fn decide_body(state: &AppState, request: Request) -> Result<DecideBody, ApiProblem> {
    let bytes = read_body(state, request.into_body()).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(DecideBody::default());
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiProblem::new(
            StatusCode::BAD_REQUEST,
            "idp::server::bad_json",
            "Malformed request body",
            format!("the body is not JSON of the form {{\"reason\": \"…\"}}: {e}"),
        )
    })
}

pub(crate) fn decide(
    inner: &Inner,
    who: &Identity,
    name: &str,
    reason: Option<&str>,
    approved: bool,
) -> Result<Value, ApiProblem> {
    let stored = permitted(inner, who, name, Identity::can_approve, "approve")?;
    let team = &stored.record.team;
    let clock = clock(inner)?;
    let ctx = ctx(inner, clock);
    let decided = if approved {
        idp_lifecycle::approve(&ctx, name, &who.subject, reason)
    } else {
        idp_lifecycle::reject(&ctx, name, &who.subject, reason.unwrap_or_default())
    };
    let result = decided.as_ref().map(|_| ()).map_err(|e| match e {
        idp_lifecycle::LifecycleError::Refused(r) if r.code == "idp::lifecycle::own_approval" => {
            forbidden(e.to_string())
        }
        e => lifecycle_problem(e),
    });
    // Approved with GitHub configured: the approved plan goes to a runner now.
    let heard = Dispatches::default();
    let listen = |e| heard.hear(e);
    let mut ctx = ctx;
    ctx.events = &listen;
    let handed = match (&decided, approved) {
        (Ok(stored), true) => runs::provision_approved(&ctx, inner, &stored.record, &who.subject),
        _ => Ok(()),
    };
    let event = if approved { "approve" } else { "reject" };
    let mut detail =
        json!({ "team": team, "plan_digest": stored.record.plan_digest, "reason": reason });
    heard.add_to(&mut detail);
    audited(inner, who, name, event, clock.now(), detail, &result)?;
    result?;
    handed?;
    let record = decided.map_err(|e| lifecycle_problem(&e))?.record;
    let mut doc = json!({
        "version": JSON_VERSION,
        "environment": crate::environments::environment_json(inner, &record, clock.now()),
        "approval": record.approval,
    });
    heard.add_to(&mut doc);
    Ok(doc)
}
