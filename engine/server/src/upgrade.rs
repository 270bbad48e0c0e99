//! `GET` and `POST /api/v1/environments/{name}/upgrade`: an environment moved to
//! another version of its template, as `idp upgrade` moves it (decision 0015). The `GET`
//! plans the upgrade and shows what changes (module calls and variables, the monthly
//! cost, new findings, whether the version is marked breaking) and the plan digest; the
//! `POST` plans it again and goes on only when that digest is the one the caller saw, so
//! what is applied is what was shown. Here it is recorded PENDING with its workspace, as
//! an apply through the server is; with `executor github` provision.yml is dispatched
//! with the version, and the runner's `idp upgrade` records it.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Path as UrlPath, Query, Request, State};
use axum::http::StatusCode;
use idp_lifecycle::upgrade::{self, Upgrade};
use idp_lifecycle::{Clock, Executor};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::{Identity, forbidden};
use crate::environments::bad_query;
use crate::mutate::{
    answer, audited, clock, ctx, denied, lifecycle_problem, permitted, posted_json,
};
use crate::plan::plan_slot;
use crate::problem::ApiProblem;
use crate::runs::{self, Dispatches};
use crate::{AppState, Inner, JSON_VERSION};

/// `?to=VERSION` (the newest the catalog has when absent).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpgradeQuery {
    pub(crate) to: Option<String>,
}

/// What `POST …/upgrade` takes, for the messages that say so.
const BODY_EXAMPLE: &str = r#"{"to": "0.2.0", "plan_digest": "sha256:…"}"#;

/// `{"to": "0.2.0", "plan_digest": "sha256:…"}`: the version and the digest the preview
/// showed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpgradeBody {
    pub(crate) to: String,
    pub(crate) plan_digest: String,
}

/// `GET /api/v1/environments/{name}/upgrade`.
pub(crate) async fn preview(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    UrlPath(name): UrlPath<String>,
    query: Result<Query<UpgradeQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiProblem> {
    let Query(query) = query.map_err(|e| bad_query(e.body_text()))?;
    let _slot = plan_slot(&state).await?;
    let now = state.now();
    let (up, _) = state
        .blocking(move |inner| {
            prepared(
                inner,
                &who,
                &name,
                query.to.as_deref(),
                now,
                Identity::can_read,
            )
        })
        .await?;
    Ok(Json(preview_json(&up)))
}

/// What an upgrade changes, as `idp upgrade --format json` prints it, with whether a
/// policy denies it.
pub(crate) fn preview_json(up: &Upgrade) -> Value {
    let mut doc = up.to_json();
    if let Some(o) = doc.as_object_mut() {
        o.insert("version".into(), json!(JSON_VERSION));
        o.insert("denied".into(), json!(up.denied()));
    }
    doc
}

/// The upgrade of `name` to `to`, planned at `now`, and the team it is recorded for, if
/// `may` lets `who` act on that team (`can_read` to look, `can_change` to upgrade): 404
/// for an environment `who` may not read, 403 when `may` refuses, 409 for one that
/// cannot be upgraded or is already at that version.
pub(crate) fn prepared(
    inner: &Inner,
    who: &Identity,
    name: &str,
    to: Option<&str>,
    now: jiff::Timestamp,
    may: fn(&Identity, &str) -> bool,
) -> Result<(Upgrade, String), ApiProblem> {
    // Readable first: another team's environment is not shown to exist, whatever its state.
    let stored = permitted(inner, who, name, may, "change")?;
    let record = &stored.record;
    upgrade::check_upgradable(record).map_err(|e| lifecycle_problem(&e))?;
    let ctx = ctx(inner, Clock::at(now));
    let target = upgrade::target(&inner.project, record, to).map_err(|e| lifecycle_problem(&e))?;
    if target.version == record.template_version {
        return Err(ApiProblem::new(
            StatusCode::CONFLICT,
            "idp::server::already_at",
            "Nothing to upgrade",
            format!(
                "`{name}` is already at template `{}` {}",
                record.template, record.template_version
            ),
        ));
    }
    let up = upgrade::prepare(&ctx, &inner.project, &stored, target, now)
        .map_err(|e| lifecycle_problem(&e))?;
    Ok((up, stored.record.team))
}

/// `POST /api/v1/environments/{name}/upgrade`.
pub(crate) async fn upgrade(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    UrlPath(name): UrlPath<String>,
    request: Request,
) -> Result<(StatusCode, Json<Value>), ApiProblem> {
    let text = posted_json(&state, request, BODY_EXAMPLE).await?;
    let body: UpgradeBody = serde_json::from_str(&text).map_err(|e| {
        ApiProblem::new(
            StatusCode::BAD_REQUEST,
            "idp::server::bad_json",
            "Malformed request body",
            format!("the body is not JSON of the form {BODY_EXAMPLE}: {e}"),
        )
    })?;
    let _slot = plan_slot(&state).await?;
    let (status, doc) = state
        .blocking(move |inner| upgrade_to(inner, &who, &name, &body))
        .await?;
    Ok((status, Json(doc)))
}

/// Upgrades `name` to `body.to` if `who` may change it, no policy denies the result and
/// its plan is still the one previewed (`body.plan_digest`); audited as `upgrade`.
/// 200 when recorded here, 202 when handed to a runner (`run`).
pub(crate) fn upgrade_to(
    inner: &Inner,
    who: &Identity,
    name: &str,
    body: &UpgradeBody,
) -> Result<(StatusCode, Value), ApiProblem> {
    let clock = clock(inner)?;
    let now = clock.now();
    let (up, _) = prepared(inner, who, name, Some(&body.to), now, Identity::can_change)?;
    // The spec as it stands today decides the team the upgraded record has.
    if let Some(team) = up.after.environments.first().map(|e| &e.env.team)
        && !who.can_change(team)
    {
        return Err(forbidden(format!(
            "`{}` may not upgrade `{name}`: its spec now names a team the caller may not change",
            who.subject
        )));
    }
    if up.denied() {
        return Err(denied(&up.after, "upgraded"));
    }
    if idp_lifecycle::check_digest(&up.after, &body.plan_digest).is_err() {
        // The confirmed digest is the caller's text: shown only as printable.
        return Err(ApiProblem::new(
            StatusCode::CONFLICT,
            "idp::server::upgrade_changed",
            "The upgrade changed since it was shown",
            format!(
                "the upgrade planned now is not the one confirmed ({}): the spec, the catalog, the record or a policy changed meanwhile; look at the upgrade again and confirm its digest",
                idp_model::printable(&body.plan_digest)
            ),
        ));
    }
    let executor = runs::executor(inner)?;
    let heard = Dispatches::default();
    let listen = |e| heard.hear(e);
    let mut ctx = ctx(inner, clock);
    ctx.events = &listen;
    let result = match &executor {
        Executor::Local(_) => upgrade::apply_here(&ctx, &inner.project, &up, None, now),
        Executor::GitHub(handoff) => upgrade::hand_off(&ctx, &up, handoff, &who.subject, now)
            .and_then(|handed| handed.failure().map_or(Ok(()), Err)),
    }
    .map_err(|e| lifecycle_problem(&e));
    let mut detail = upgrade::audit_detail(&up);
    heard.add_to(&mut detail);
    audited(inner, who, name, "upgrade", now, detail, &result)?;
    result?;
    let doc = answer(inner, name, now, &heard, json!({ "upgrade": up.to_json() }))?;
    let status = match doc.get("run") {
        Some(_) => StatusCode::ACCEPTED,
        None => StatusCode::OK,
    };
    Ok((status, doc))
}
