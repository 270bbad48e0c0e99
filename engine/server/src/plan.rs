//! `POST /api/v1/plan`: a spec in, the plan out, as `idp plan --format json` prints it.
//! Nothing is written: the plan reads records only for the creation time of an
//! environment that already exists.

use std::path::Path;

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use idp_plan::{Pipeline, PlanError, Stage};
use idp_spec::{Problems, SourceFile, SpecFile};
use serde::Deserialize;
use serde_json::Value;

use crate::auth::Identity;
use crate::problem::ApiProblem;
use crate::{AppState, Inner};

/// The name a posted spec is known by in plans and diagnostics.
pub(crate) const SPEC_NAME: &str = "request.kdl";

/// `?env=NAME`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlanQuery {
    pub(crate) env: Option<String>,
}

/// The JSON a form posts.
#[derive(Debug, Deserialize)]
struct PlanBody {
    kdl: String,
}

/// How the body is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Media {
    Kdl,
    Json,
}

/// `POST /api/v1/plan`.
pub(crate) async fn plan(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    query: Result<Query<PlanQuery>, QueryRejection>,
    request: Request,
) -> Result<Json<Value>, ApiProblem> {
    let Query(query) = query.map_err(|e| crate::environments::bad_query(e.body_text()))?;
    let text = posted_spec(&state, request).await?;
    let _slot = plan_slot(&state).await?;
    let now = state.now();
    let doc = state
        .blocking(move |inner| plan_text(inner, &who, text, query.env.as_deref(), now))
        .await?;
    Ok(Json(doc))
}

/// The spec a request posts: KDL text or `{"kdl": "…"}`, bounded and in time.
pub(crate) async fn posted_spec(state: &AppState, request: Request) -> Result<String, ApiProblem> {
    let media = media(request.headers())?;
    let bytes = read_body(state, request.into_body()).await?;
    spec_text(media, &bytes)
}

/// Waits for one of the plan slots: plans (and applies, which plan) run a few at once.
pub(crate) async fn plan_slot(
    state: &AppState,
) -> Result<tokio::sync::SemaphorePermit<'_>, ApiProblem> {
    state.0.plan_slots.acquire().await.map_err(|_| {
        ApiProblem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "idp::server::shutting_down",
            "Shutting down",
            "the server is stopping; send the request again to another one",
        )
    })
}

/// KDL text (`text/plain`, `application/kdl`) or JSON; anything else is refused.
fn media(headers: &HeaderMap) -> Result<Media, ApiProblem> {
    let given = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let essence = given
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "text/plain" | "application/kdl" => Ok(Media::Kdl),
        "application/json" => Ok(Media::Json),
        _ => Err(ApiProblem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "idp::server::media_type",
            "Unsupported media type",
            format!(
                "the body is `{}`; send the spec as `text/plain` or `application/kdl`, or as `application/json` like {{\"kdl\": \"…\"}}",
                idp_model::terminal_safe(if given.is_empty() {
                    "(no Content-Type)"
                } else {
                    given
                })
            ),
        )),
    }
}

/// The body, at most the limit, sent within the read timeout.
pub(crate) async fn read_body(state: &AppState, body: Body) -> Result<Vec<u8>, ApiProblem> {
    let options = &state.0.options;
    let limit = options.body_limit;
    let read = Limited::new(body, limit).collect();
    match tokio::time::timeout(options.read_timeout, read).await {
        Err(_) => Err(ApiProblem::new(
            StatusCode::REQUEST_TIMEOUT,
            "idp::server::body_timeout",
            "Request body not sent in time",
            format!(
                "the body was not sent within {} s",
                options.read_timeout.as_secs()
            ),
        )),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large(limit)),
        Ok(Err(e)) => Err(ApiProblem::new(
            StatusCode::BAD_REQUEST,
            "idp::server::body_unreadable",
            "Request body unreadable",
            format!("the body could not be read: {e}"),
        )),
        Ok(Ok(collected)) => Ok(collected.to_bytes().to_vec()),
    }
}

/// 413 for a body over `limit` bytes.
pub(crate) fn too_large(limit: usize) -> ApiProblem {
    ApiProblem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "idp::server::body_too_large",
        "Request body too large",
        format!("the body is larger than {limit} bytes; a spec is far smaller"),
    )
}

/// The spec's text from the body: KDL as UTF-8, or the `kdl` member of a JSON object.
fn spec_text(media: Media, bytes: &[u8]) -> Result<String, ApiProblem> {
    let bad = |detail: String| {
        ApiProblem::new(
            StatusCode::BAD_REQUEST,
            "idp::server::bad_json",
            "Malformed request body",
            detail,
        )
    };
    match media {
        Media::Json => serde_json::from_slice::<PlanBody>(bytes)
            .map(|b| b.kdl)
            .map_err(|e| {
                bad(format!(
                    "the body is not JSON of the form {{\"kdl\": \"…\"}}: {e}"
                ))
            }),
        Media::Kdl => String::from_utf8(bytes.to_vec()).map_err(|e| {
            ApiProblem::new(
                StatusCode::BAD_REQUEST,
                "idp::server::not_utf8",
                "Malformed request body",
                format!("the spec is not UTF-8 text: {e}"),
            )
        }),
    }
}

/// Parses and plans a spec, as `idp plan` does: every problem is reported, each at its
/// line, and a denied plan is still a plan (its `denied` says so).
pub(crate) fn plan_text(
    inner: &Inner,
    who: &Identity,
    text: String,
    only: Option<&str>,
    now: jiff::Timestamp,
) -> Result<Value, ApiProblem> {
    let spec = SpecFile::parse(SourceFile::new(SPEC_NAME, text)).map_err(|p| invalid(&p))?;
    let planned =
        Pipeline::new(&inner.project).and_then(|mut p| p.plan(&spec, only, Stage::Emit, now));
    match planned {
        Ok(plan) => {
            hidden_records(inner, who, &plan)?;
            Ok(idp_report::plan_json(&plan))
        }
        Err(PlanError::Input(problems)) => Err(invalid(&problems)),
        Err(e) => Err(ApiProblem::internal(&e)),
    }
}

/// Refuses a plan over an environment recorded for a team the caller may not read: the
/// plan would show its creation time.
fn hidden_records(inner: &Inner, who: &Identity, plan: &idp_plan::Plan) -> Result<(), ApiProblem> {
    for planned in &plan.environments {
        let name = &planned.env.name;
        let recorded = inner
            .project
            .records
            .get(name)
            .map_err(|e| ApiProblem::internal(&e))?;
        if recorded.is_some_and(|r| !who.can_read(&r.team)) {
            return Err(crate::auth::forbidden(format!(
                "`{}` may not plan `{name}`: it is recorded for another team",
                who.subject
            )));
        }
    }
    Ok(())
}

/// 422 with every diagnostic, as `idp plan --format json` lists them.
pub(crate) fn invalid(problems: &Problems) -> ApiProblem {
    let doc = idp_report::problems_json(Path::new(SPEC_NAME), problems);
    let diagnostics = doc["problems"].as_array().cloned().unwrap_or_default();
    let first = problems.0.first().map_or_else(String::new, |p| {
        let (line, column) = p.line_col();
        format!("; the first, at line {line} column {column}: {}", p.message)
    });
    ApiProblem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "idp::spec::invalid",
        "The spec has problems",
        format!("{} problem(s) in the spec{first}", problems.0.len()),
    )
    .with_diagnostics(diagnostics)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(content_type: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(content_type).expect("header"),
        );
        h
    }

    #[test]
    fn kdl_and_json_bodies_are_told_apart_by_their_media_type() {
        assert_eq!(media(&headers("text/plain; charset=utf-8")), Ok(Media::Kdl));
        assert_eq!(media(&headers("application/KDL")), Ok(Media::Kdl));
        assert_eq!(media(&headers("application/json")), Ok(Media::Json));
        let refused = media(&headers("application/x-www-form-urlencoded"));
        assert_eq!(
            refused.map_err(|p| p.status),
            Err(StatusCode::UNSUPPORTED_MEDIA_TYPE)
        );
        assert!(media(&HeaderMap::new()).is_err());
    }

    #[test]
    fn a_json_body_needs_its_kdl_member() {
        assert_eq!(
            spec_text(Media::Json, br#"{"kdl": "environment x {}"}"#),
            Ok("environment x {}".to_owned())
        );
        let missing = spec_text(Media::Json, br#"{"spec": "x"}"#).map_err(|p| (p.status, p.code));
        assert_eq!(
            missing,
            Err((StatusCode::BAD_REQUEST, "idp::server::bad_json".to_owned()))
        );
        let broken = spec_text(Media::Json, b"{").map_err(|p| p.status);
        assert_eq!(broken, Err(StatusCode::BAD_REQUEST));
    }

    #[test]
    fn a_kdl_body_must_be_utf8() {
        let refused = spec_text(Media::Kdl, &[0xff, 0xfe]).map_err(|p| p.code);
        assert_eq!(refused, Err("idp::server::not_utf8".to_owned()));
    }
}
