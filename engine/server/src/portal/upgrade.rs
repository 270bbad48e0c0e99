//! The portal's upgrade of an environment to a newer version of its template: a page
//! that shows what `GET /api/v1/environments/{name}/upgrade` answers (what changes, the
//! cost, new findings, a breaking note) with a button that posts the version and the
//! digest shown, as `POST …/upgrade` takes them.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::pages::{after_change, field, read_form};
use super::render;
use crate::auth::Identity;
use crate::plan;
use crate::problem::ApiProblem;
use crate::upgrade::{self, UpgradeBody, UpgradeQuery};
use crate::{AppState, JSON_VERSION};

/// `GET /environments/{name}/upgrade[?to=VERSION]`.
pub(crate) async fn page(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Path(name): Path<String>,
    query: Result<Query<UpgradeQuery>, QueryRejection>,
) -> Response {
    let query = match query {
        Ok(Query(query)) => query,
        Err(e) => return render::error(&who, &crate::environments::bad_query(e.body_text())),
    };
    let previewed = async {
        let _slot = plan::plan_slot(&state).await?;
        let (who, name, now) = (who.clone(), name.clone(), state.now());
        state
            .blocking(move |inner| {
                let to = query.to.as_deref();
                let (up, team) =
                    upgrade::prepared(inner, &who, &name, to, now, Identity::can_read)?;
                Ok::<_, ApiProblem>((upgrade::preview_json(&up), who.can_change(&team)))
            })
            .await
    };
    match previewed.await {
        Ok((doc, may_change)) => render::page(
            StatusCode::OK,
            "upgrade.html",
            &who,
            json!({
                "nav": "environments",
                "up": shown(doc),
                "may_change": may_change,
                "version": JSON_VERSION,
            }),
        ),
        Err(p) => render::error(&who, &p),
    }
}

/// The preview with each variable's values as text, as the page prints them.
fn shown(mut doc: Value) -> Value {
    let text = |v: &Value| match v {
        Value::Null => String::new(),
        other => other.to_string(),
    };
    for call in doc["calls"].as_array_mut().into_iter().flatten() {
        for var in call["variables"].as_array_mut().into_iter().flatten() {
            let (before, after) = (text(&var["before"]), text(&var["after"]));
            var["before_text"] = before.into();
            var["after_text"] = after.into();
        }
    }
    doc
}

/// `POST /environments/{name}/upgrade` (`to=VERSION&plan_digest=sha256:…`).
pub(crate) async fn submit(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    let form = match read_form(&state, request).await {
        Ok(form) => form,
        Err(p) => return render::error(&who, &p),
    };
    let body = UpgradeBody {
        to: field(&form, "to"),
        plan_digest: field(&form, "plan_digest"),
    };
    let changed = async {
        let _slot = plan::plan_slot(&state).await?;
        let (who, name) = (who.clone(), name.clone());
        state
            .blocking(move |inner| upgrade::upgrade_to(inner, &who, &name, &body).map(|(_, d)| d))
            .await
    };
    let changed = changed.await;
    // Handed to a runner, nothing is upgraded yet: the page says so.
    let done = match &changed {
        Ok(doc) if doc.get("run").is_some() => "upgrade_dispatched",
        _ => "upgraded",
    };
    after_change(&state, &who, &name, changed, done).await
}
