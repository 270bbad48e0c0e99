//! The portal's pages and form posts. Each calls what its API route calls and renders
//! the document (or the problem) it answers.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;
use serde_json::json;

use super::form::{self, Item, Submitted};
use super::render;
use crate::auth::Identity;
use crate::environments::{self, ListQuery};
use crate::problem::ApiProblem;
use crate::{AppState, approvals, catalog, mutate, plan};

/// `GET /`: the catalog.
pub(crate) async fn catalog(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
) -> Response {
    match catalog::described(&state).await {
        Ok(d) => render::page(
            StatusCode::OK,
            "catalog.html",
            &who,
            json!({ "templates": d.templates, "policies": d.policies, "nav": "catalog" }),
        ),
        Err(p) => render::error(&who, &p),
    }
}

/// The catalog's description of template `name`, or 404.
async fn find_template(state: &AppState, name: &str) -> Result<Value, ApiProblem> {
    let d = catalog::described(state).await?;
    d.templates
        .iter()
        .find(|t| t["name"] == name)
        .cloned()
        .ok_or_else(|| catalog::unknown_template(name))
}

/// `GET /catalog/{name}`: a template's documentation and the form of a new environment.
pub(crate) async fn template(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Path(name): Path<String>,
) -> Response {
    let template = match find_template(&state, &name).await {
        Ok(t) => t,
        Err(p) => return render::error(&who, &p),
    };
    let mut items = form::items(&template["input_schema"]);
    prefill(&mut items, &who);
    form_page(&who, StatusCode::OK, &template, &items, &Preview::default())
}

/// A new form starts with who is signed in: their address and team.
fn prefill(items: &mut [Item], who: &Identity) {
    for item in items {
        match item.name.as_str() {
            "owner" if who.subject.contains('@') => item.value = who.subject.clone(),
            "team" => item.value = who.home_team().unwrap_or_default().to_owned(),
            "class" => item.value = "preview".to_owned(),
            _ => {}
        }
    }
}

/// What the form's page shows beside the fields.
#[derive(Default)]
struct Preview {
    /// The spec the form stands for.
    spec: Option<String>,
    /// The environment's plan (`plan_json`'s environment), when it planned.
    planned: Option<Value>,
    /// Messages that belong to no field, and the problem's title.
    general: Vec<String>,
    title: Option<String>,
}

fn form_page(
    who: &Identity,
    status: StatusCode,
    template: &Value,
    items: &[Item],
    preview: &Preview,
) -> Response {
    render::page(
        status,
        "template.html",
        who,
        json!({
            "nav": "catalog",
            "template": template,
            "items": items,
            "spec": preview.spec,
            "planned": preview.planned,
            "general": preview.general,
            "problem": preview.title,
            "may_apply": who.can_create(),
        }),
    )
}

/// `POST /catalog/{name}`: the form, previewed (`action=preview`, the default) or
/// applied (`action=apply`).
pub(crate) async fn submit(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    let template = match find_template(&state, &name).await {
        Ok(t) => t,
        Err(p) => return render::error(&who, &p),
    };
    let submitted = match read_form(&state, request).await {
        Ok(f) => f,
        Err(p) => return render::error(&who, &p),
    };
    let mut items = form::items(&template["input_schema"]);
    for item in &mut items {
        item.value = submitted.get(&item.name).cloned().unwrap_or_default();
    }
    let spec = form::to_spec(&name, &items, &submitted);
    let apply = submitted.get("action").is_some_and(|a| a == "apply");
    let outcome = run_form(&state, &who, spec.text.clone(), apply).await;
    let env_name = submitted.get("name").cloned().unwrap_or_default();
    match outcome {
        Ok(_) if apply => render::see_other(&format!("/environments/{}", url(&env_name))),
        Ok(doc) => {
            let preview = previewed(&mut items, &spec, Some(&doc), None);
            form_page(&who, StatusCode::OK, &template, &items, &preview)
        }
        Err(problem) => {
            let preview = previewed(&mut items, &spec, None, Some(&problem));
            form_page(&who, problem.status, &template, &items, &preview)
        }
    }
}

/// Plans (or applies) the form's spec as the API would.
async fn run_form(
    state: &AppState,
    who: &Identity,
    text: String,
    apply: bool,
) -> Result<Value, ApiProblem> {
    let _slot = plan::plan_slot(state).await?;
    let now = state.now();
    let who = who.clone();
    state
        .blocking(move |inner| {
            if apply {
                mutate::apply_text(inner, &who, text, None).map(|(_, doc)| doc)
            } else {
                plan::plan_text(inner, &who, text, None, now)
            }
        })
        .await
}

/// Puts each diagnostic and finding at the field whose line it is on; the rest are
/// general. The spec's own form problems (a `tags` line without `=`) go first.
fn previewed(
    items: &mut [Item],
    spec: &form::Spec,
    plan: Option<&Value>,
    problem: Option<&ApiProblem>,
) -> Preview {
    let mut preview = Preview {
        spec: Some(spec.text.clone()),
        ..Preview::default()
    };
    for (field, message) in &spec.local {
        place(items, &mut preview, Some(field), message.clone());
    }
    let planned = plan.and_then(|p| p["environments"].get(0)).cloned();
    let mut messages: Vec<&Value> = problem
        .map(|p| p.diagnostics.iter().collect())
        .unwrap_or_default();
    if let Some(env) = &planned {
        messages.extend(env["findings"].as_array().into_iter().flatten());
    }
    for m in messages {
        let line = m["line"].as_u64().unwrap_or(0) as usize;
        let text = message_text(m);
        place(items, &mut preview, spec.field_at(line), text);
    }
    if let Some(p) = problem {
        preview.title = Some(p.title.to_owned());
        if p.diagnostics.is_empty() {
            preview.general.push(p.detail.clone());
        }
    }
    preview.planned = planned;
    preview
}

/// A diagnostic or finding as one line: its message, and how to fix it.
fn message_text(m: &Value) -> String {
    let message = m["message"].as_str().unwrap_or_default();
    let severity = m["severity"].as_str().unwrap_or("error");
    match m["help"].as_str().filter(|h| !h.is_empty()) {
        Some(help) => format!("{severity}: {message} (help: {help})"),
        None => format!("{severity}: {message}"),
    }
}

fn place(items: &mut [Item], preview: &mut Preview, field: Option<&str>, message: String) {
    let target = field.and_then(|f| items.iter_mut().find(|i| i.name == f && i.item != "close"));
    match target {
        Some(item) => item.errors.push(message),
        None => preview.general.push(message),
    }
}

/// A form body (`application/x-www-form-urlencoded`), bounded and in time as every body.
pub(super) async fn read_form(state: &AppState, request: Request) -> Result<Submitted, ApiProblem> {
    let bytes = plan::read_body(state, request.into_body()).await?;
    Ok(form_urlencoded::parse(&bytes).into_owned().collect())
}

/// One field of a posted form, trimmed (empty when missing).
async fn read_field(state: &AppState, request: Request, name: &str) -> Result<String, ApiProblem> {
    Ok(field(&read_form(state, request).await?, name))
}

/// One field of a read form, trimmed (empty when missing).
pub(super) fn field(form: &Submitted, name: &str) -> String {
    form.get(name)
        .map(|v| v.trim().to_owned())
        .unwrap_or_default()
}

/// A path segment, percent-encoded.
fn url(segment: &str) -> String {
    form_urlencoded::byte_serialize(segment.as_bytes()).collect()
}

/// `?done=extended`: what the change before this page did.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Done {
    done: Option<String>,
}

impl Done {
    /// What the page says was done: only the words the portal's own redirects use, so
    /// a crafted link cannot make a page announce anything else.
    fn said(self) -> Option<String> {
        let done = self.done?;
        let said = match done.as_str() {
            word @ ("extended" | "destroyed" | "approved" | "rejected" | "upgraded") => word,
            "upgrade_dispatched" => "handed to GitHub Actions to be upgraded",
            _ => return None,
        };
        Some(said.to_owned())
    }
}

/// `GET /environments`: the environments the user may read, filtered.
pub(crate) async fn environments(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let listed = match query {
        Ok(Query(q)) => environments::listing(&state, &who, q).await,
        Err(e) => Err(environments::bad_query(e.body_text())),
    };
    match listed {
        Ok(doc) => render::page(
            StatusCode::OK,
            "environments.html",
            &who,
            json!({ "nav": "environments", "doc": doc, "now": state.now().as_second() }),
        ),
        Err(p) => render::error(&who, &p),
    }
}

/// `GET /environments/{name}`: one environment, its history, and what may be done.
pub(crate) async fn environment(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Path(name): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    environment_page(&state, &who, &name, StatusCode::OK, done.said(), None).await
}

async fn environment_page(
    state: &AppState,
    who: &Identity,
    name: &str,
    status: StatusCode,
    done: Option<String>,
    failed: Option<&ApiProblem>,
) -> Response {
    let record = match environments::record(state, who, name.to_owned()).await {
        Ok(r) => r,
        Err(p) => return render::error(who, &p),
    };
    let history = environments::history_of(state, &record)
        .await
        .unwrap_or_default();
    let spec = environments::spec_text(state, &record).await;
    let runs = runs_of(state, &record.name).await;
    // A run still going: the page reloads itself (no script needed).
    let refresh = runs
        .iter()
        .any(|r| r["status"].as_str().is_some_and(|s| s != "completed"));
    let tags = match (&spec, record.status) {
        (Some(text), s) if s != idp_state::Status::Destroyed => {
            replanned_tags(state, who, text, &record.name).await
        }
        _ => None,
    };
    let may_change = who.can_change(&record.team);
    let requested_by = record.approval.as_ref().map(|a| a.requested_by.as_str());
    let may_approve = who.can_approve(&record.team) && requested_by != Some(who.subject.as_str());
    render::page(
        status,
        "environment.html",
        who,
        json!({
            "nav": "environments",
            "env": environments::environment_json(&state.0, &record, state.now()),
            "history": history,
            "runs": runs,
            "refresh": refresh,
            "spec": spec,
            "tags": tags,
            "now": state.now().as_second(),
            "may_change": may_change,
            "may_approve": may_approve,
            "done": done,
            "failed": failed.map(|p| json!({ "title": p.title, "detail": p.detail, "code": p.code, "diagnostics": p.diagnostics })),
        }),
    )
}

/// The runs dispatched for `name`, with how the latest stand (none when unreadable).
async fn runs_of(state: &AppState, name: &str) -> Vec<Value> {
    let name = name.to_owned();
    state
        .blocking(move |inner| crate::runs::runs_of(inner, &name))
        .await
        .unwrap_or_default()
}

/// The tags of `name` as its recorded spec plans now (with its recorded creation
/// time): the record keeps no tags of its own. `None` when it does not plan.
async fn replanned_tags(state: &AppState, who: &Identity, text: &str, name: &str) -> Option<Value> {
    let _slot = plan::plan_slot(state).await.ok()?;
    let (who, text, name, now) = (who.clone(), text.to_owned(), name.to_owned(), state.now());
    let doc = state
        .blocking(move |inner| plan::plan_text(inner, &who, text, Some(&name), now))
        .await
        .ok()?;
    doc["environments"].get(0).map(|e| e["tags"].clone())
}

/// `POST /environments/{name}/extend` (`by=3d`).
pub(crate) async fn extend(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    let by = match read_field(&state, request, "by").await {
        Ok(by) => by,
        Err(p) => return render::error(&who, &p),
    };
    let changed = async {
        let _slot = plan::plan_slot(&state).await?;
        let (who, name) = (who.clone(), name.clone());
        state
            .blocking(move |inner| mutate::extend_by(inner, &who, &name, &by))
            .await
    };
    after_change(&state, &who, &name, changed.await, "extended").await
}

/// `POST /environments/{name}/destroy` (`confirm=NAME`: the name typed again).
pub(crate) async fn destroy(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    let confirm = match read_field(&state, request, "confirm").await {
        Ok(confirm) => confirm,
        Err(p) => return render::error(&who, &p),
    };
    if confirm != name {
        let problem = ApiProblem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idp::server::unconfirmed",
            "Not confirmed",
            format!("type the environment's name, `{name}`, to confirm that it is to be destroyed"),
        );
        return environment_page(&state, &who, &name, problem.status, None, Some(&problem)).await;
    }
    let changed = {
        let (who, name) = (who.clone(), name.clone());
        state
            .blocking(move |inner| mutate::destroy_named(inner, &who, &name))
            .await
    };
    after_change(&state, &who, &name, changed, "destroyed").await
}

/// After a change: back to the environment's page (`303`), or that page with the
/// refusal.
pub(super) async fn after_change(
    state: &AppState,
    who: &Identity,
    name: &str,
    result: Result<Value, ApiProblem>,
    done: &str,
) -> Response {
    match result {
        Ok(_) => render::see_other(&format!("/environments/{}?done={done}", url(name))),
        Err(p) if p.status == StatusCode::NOT_FOUND => render::error(who, &p),
        Err(p) => environment_page(state, who, name, p.status, None, Some(&p)).await,
    }
}

/// `GET /approvals`: the plans waiting for an approver.
pub(crate) async fn approvals(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Query(done): Query<Done>,
) -> Response {
    match approvals::waiting(&state, &who).await {
        Ok(doc) => render::page(
            StatusCode::OK,
            "approvals.html",
            &who,
            json!({ "nav": "approvals", "doc": doc, "done": done.said() }),
        ),
        Err(p) => render::error(&who, &p),
    }
}

/// `POST /approvals/{name}/approve` or `…/reject` (`reason=…`).
pub(crate) async fn decide(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Path((name, decision)): Path<(String, String)>,
    request: Request,
) -> Response {
    let approve = match decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            return render::error(
                &who,
                &ApiProblem::new(
                    StatusCode::NOT_FOUND,
                    "idp::server::not_found",
                    "No such route",
                    "decide with `/approvals/NAME/approve` or `/approvals/NAME/reject`",
                ),
            );
        }
    };
    let reason = match read_field(&state, request, "reason").await {
        Ok(r) => Some(r).filter(|r| !r.is_empty()),
        Err(p) => return render::error(&who, &p),
    };
    let decided = {
        let (who, name) = (who.clone(), name.clone());
        state
            .blocking(move |inner| {
                approvals::decide(inner, &who, &name, reason.as_deref(), approve)
            })
            .await
    };
    match decided {
        Ok(_) => render::see_other(&format!(
            "/approvals?done={}",
            if approve { "approved" } else { "rejected" }
        )),
        Err(p) => render::error(&who, &p),
    }
}
