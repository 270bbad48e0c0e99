//! `/api/v1/catalog/…`: the templates and policies of the project's catalog, each as its
//! component describes itself (`info()`), with its catalog source and pinned digest.

use std::collections::HashSet;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use idp_model::PluginKind;
use serde_json::{Value, json};

use crate::problem::ApiProblem;
use crate::{AppState, Inner, JSON_VERSION};

/// Every plugin of the catalog, described once.
pub(crate) struct Described {
    /// Each template's `info()`, its source and digest.
    pub(crate) templates: Vec<Value>,
    /// Each policy's `info()`, its source and digest, and how idp.kdl enables it.
    pub(crate) policies: Vec<Value>,
}

/// Loads every plugin the catalog resolves (the first source providing a name wins, as
/// when planning) and reads what it says about itself.
fn describe(inner: &Inner) -> Result<Described, ApiProblem> {
    let project = &inner.project;
    let mut seen = HashSet::new();
    let mut described = Described {
        templates: Vec::new(),
        policies: Vec::new(),
    };
    for (entry, _) in project.catalog.entries() {
        if !seen.insert((entry.kind, entry.name.clone())) {
            continue;
        }
        let plugin = project
            .catalog
            .resolve(entry.kind, &entry.name, None)
            .map_err(|e| ApiProblem::internal(&e))?;
        let origin = json!({
            "source": plugin.source.describe(),
            "sha256": plugin.entry.sha256,
            "versions": versions(project, entry.kind, &entry.name),
        });
        match entry.kind {
            PluginKind::Template => {
                let t = project
                    .host
                    .load_template(&entry.name, &plugin.bytes)
                    .map_err(|e| ApiProblem::internal(&e))?;
                let mut doc = json!(t.info());
                merge(&mut doc, origin);
                described.templates.push(doc);
            }
            PluginKind::Policy => {
                let p = project
                    .host
                    .load_policy(&entry.name, &plugin.bytes)
                    .map_err(|e| ApiProblem::internal(&e))?;
                let mut doc = json!(p.info());
                merge(&mut doc, origin);
                merge(&mut doc, enabled(inner, &entry.name));
                described.policies.push(doc);
            }
        }
    }
    Ok(described)
}

/// Every version the catalog keeps of a plugin, newest first: what `idp upgrade --to`
/// takes, with its pinned digest and what the platform team says it breaks (decision
/// 0015). The plugin's own fields describe the newest.
fn versions(project: &idp_plan::Project, kind: PluginKind, name: &str) -> Vec<Value> {
    project
        .catalog
        .versions(kind, name)
        .iter()
        .map(|e| json!({ "version": e.version, "sha256": e.sha256, "breaking": e.breaking }))
        .collect()
}

/// Whether idp.kdl enables a policy, and how its findings count.
fn enabled(inner: &Inner, name: &str) -> Value {
    let configured = inner
        .project
        .config
        .policies
        .iter()
        .find(|p| p.name.value == name);
    json!({
        "enabled": configured.is_some(),
        "enforcement": configured.map(|p| match p.enforcement {
            idp_config::Enforcement::Deny => "deny",
            idp_config::Enforcement::Warn => "warn",
            idp_config::Enforcement::Info => "info",
            idp_config::Enforcement::Advisory => "advisory",
            idp_config::Enforcement::Approval => "approval",
        }),
    })
}

fn merge(doc: &mut Value, extra: Value) {
    if let (Some(doc), Value::Object(extra)) = (doc.as_object_mut(), extra) {
        doc.extend(extra);
    }
}

/// The catalog described, computed on the first request that needs it. A failure is
/// not kept: the next request tries again.
pub(crate) async fn described(state: &AppState) -> Result<Arc<Described>, ApiProblem> {
    if let Ok(guard) = state.0.described.lock()
        && let Some(d) = guard.as_ref()
    {
        return Ok(d.clone());
    }
    let d = Arc::new(state.blocking(describe).await?);
    if let Ok(mut guard) = state.0.described.lock() {
        *guard = Some(d.clone());
    }
    Ok(d)
}

/// `GET /api/v1/catalog/templates`.
pub(crate) async fn templates(State(state): State<AppState>) -> Result<Json<Value>, ApiProblem> {
    let d = described(&state).await?;
    Ok(Json(
        json!({ "version": JSON_VERSION, "templates": d.templates }),
    ))
}

/// `GET /api/v1/catalog/templates/{name}`.
pub(crate) async fn template(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiProblem> {
    let d = described(&state).await?;
    let found = d.templates.iter().find(|t| t["name"] == name.as_str());
    match found {
        Some(t) => Ok(Json(json!({ "version": JSON_VERSION, "template": t }))),
        None => Err(unknown_template(&name)),
    }
}

/// 404 for a template the catalog does not have.
pub(crate) fn unknown_template(name: &str) -> ApiProblem {
    ApiProblem::new(
        StatusCode::NOT_FOUND,
        "idp::server::unknown_template",
        "No such template",
        format!(
            "no template `{}` in the catalog; `/api/v1/catalog/templates` lists them",
            idp_model::terminal_safe(name)
        ),
    )
}

/// `GET /api/v1/catalog/policies`.
pub(crate) async fn policies(State(state): State<AppState>) -> Result<Json<Value>, ApiProblem> {
    let d = described(&state).await?;
    Ok(Json(
        json!({ "version": JSON_VERSION, "policies": d.policies }),
    ))
}
