//! Every route once: its method and path, the handler, and what the OpenAPI document
//! says about it. [`router`] and the document are both made from [`routes`].

use std::collections::BTreeMap;
use std::time::Instant;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post};

use crate::problem::ApiProblem;
use crate::{
    AppState, approvals, auth, catalog, environments, mutate, openapi, plan, runs, upgrade,
};

/// Where a parameter is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum In {
    /// A segment of the path (`{name}`).
    Path,
    /// A query parameter.
    Query,
}

/// One parameter of a route, for the OpenAPI document.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    /// Its name.
    pub name: &'static str,
    /// Where it is.
    pub location: In,
    /// Its JSON Schema type (`string`, `integer`).
    pub schema: &'static str,
    /// What it means.
    pub description: &'static str,
}

/// One route of the API.
pub struct Route {
    /// The HTTP method.
    pub method: Method,
    /// The path, with `{name}` for a path parameter (as OpenAPI and axum write it).
    pub path: &'static str,
    /// The OpenAPI `operationId`.
    pub operation: &'static str,
    /// One line on what it does.
    pub summary: &'static str,
    /// Its parameters.
    pub params: &'static [Param],
    /// The media types of the request body it takes, if it takes one.
    pub body: &'static [&'static str],
    /// Each status it answers with, and when.
    pub responses: &'static [(u16, &'static str)],
    /// The handler.
    pub handler: MethodRouter<AppState>,
}

const NAME: Param = Param {
    name: "name",
    location: In::Path,
    schema: "string",
    description: "the template's or environment's name",
};

const fn query(name: &'static str, schema: &'static str, description: &'static str) -> Param {
    Param {
        name,
        location: In::Query,
        schema,
        description,
    }
}

const PLAN_PARAMS: &[Param] = &[query(
    "env",
    "string",
    "only the environment of this name, when the spec holds several",
)];

const LIST_PARAMS: &[Param] = &[
    query("team", "string", "only this team's"),
    query("owner", "string", "only this owner's"),
    query(
        "status",
        "string",
        "only in this status (PENDING, APPLYING, READY, FAILED, DESTROYING, DESTROYED)",
    ),
    query("template", "string", "only of this template"),
    query(
        "limit",
        "integer",
        "at most this many (1 to 500, default 100)",
    ),
    query("cursor", "string", "the `next_cursor` of the previous page"),
];

const UPGRADE_PARAMS: &[Param] = &[
    NAME,
    query(
        "to",
        "string",
        "the version to move to (default: the newest the catalog has)",
    ),
];

/// Every route of the API, in the order the OpenAPI document lists them.
pub fn routes() -> Vec<Route> {
    vec![
        Route {
            method: Method::GET,
            path: "/healthz",
            operation: "health",
            summary: "Whether the server is up (no engine work)",
            params: &[],
            body: &[],
            responses: &[(200, "the server answers")],
            handler: get(health),
        },
        Route {
            method: Method::GET,
            path: "/api/v1/openapi.json",
            operation: "openapi",
            summary: "This API's OpenAPI 3.1 document, generated from the route table",
            params: &[],
            body: &[],
            responses: &[(200, "the document")],
            handler: get(openapi::document),
        },
        Route {
            method: Method::GET,
            path: "/api/v1/catalog/templates",
            operation: "listTemplates",
            summary: "Every template: summary, version, input JSON Schema, modules, source and digest, and every version the catalog keeps",
            params: &[],
            body: &[],
            responses: &[
                (200, "the templates"),
                (500, "a plugin could not be loaded"),
            ],
            handler: get(catalog::templates),
        },
        Route {
            method: Method::GET,
            path: "/api/v1/catalog/templates/{name}",
            operation: "getTemplate",
            summary: "One template",
            params: &[NAME],
            body: &[],
            responses: &[
                (200, "the template"),
                (404, "no template of that name"),
                (500, "a plugin could not be loaded"),
            ],
            handler: get(catalog::template),
        },
        Route {
            method: Method::GET,
            path: "/api/v1/catalog/policies",
            operation: "listPolicies",
            summary: "Every policy: rules and their severities, settings schema, whether idp.kdl enables it",
            params: &[],
            body: &[],
            responses: &[(200, "the policies"), (500, "a plugin could not be loaded")],
            handler: get(catalog::policies),
        },
        Route {
            method: Method::POST,
            path: "/api/v1/plan",
            operation: "plan",
            summary: "Plan a spec (KDL text, or JSON {\"kdl\": \"…\"}): findings at their lines, tags, expiry, cost, plan digest; nothing is written",
            params: PLAN_PARAMS,
            body: &["text/plain", "application/kdl", "application/json"],
            responses: &[
                (
                    200,
                    "the plan, as `idp plan --format json` prints it (`denied` says whether a policy denies)",
                ),
                (400, "the body is not valid JSON, or its `kdl` is missing"),
                (408, "the body was not sent in time"),
                (413, "the body is larger than the limit"),
                (415, "the body is neither KDL text nor JSON"),
                (
                    422,
                    "the spec has problems: every diagnostic, with its code, line and column",
                ),
                (500, "a plugin or the state store failed"),
            ],
            handler: post(plan::plan),
        },
        Route {
            method: Method::GET,
            path: "/api/v1/environments",
            operation: "listEnvironments",
            summary: "Recorded environments, filtered and a page at a time (sorted by name)",
            params: LIST_PARAMS,
            body: &[],
            responses: &[
                (200, "a page of environments"),
                (400, "a bad filter, limit or cursor"),
                (500, "the state store failed"),
            ],
            handler: get(environments::list),
        },
        Route {
            method: Method::POST,
            path: "/api/v1/environments",
            operation: "applyEnvironment",
            summary: "Apply a spec of one environment (KDL text, or JSON {\"kdl\": \"…\"}): planned, judged, recorded PENDING with its workspace, audited; with `executor github` in idp.kdl, provision.yml is dispatched and the answer names its run (the server itself never runs OpenTofu)",
            params: PLAN_PARAMS,
            body: &["text/plain", "application/kdl", "application/json"],
            responses: &[
                (201, "recorded: the environment's status and the plan"),
                (
                    202,
                    "handed to GitHub (`run`: its id and page), or denied only by a policy under approval enforcement: waiting in PENDING_APPROVAL, with the approval and the plan",
                ),
                (
                    400,
                    "a bad body, or a spec of several environments without `?env=`",
                ),
                (408, "the body was not sent in time"),
                (409, "the environment is locked or changed meanwhile"),
                (413, "the body is larger than the limit"),
                (415, "the body is neither KDL text nor JSON"),
                (
                    422,
                    "the spec has problems, or a policy denies it: each diagnostic at its line",
                ),
                (500, "a plugin or the state store failed"),
                (
                    502,
                    "GitHub did not take the run (token, repository, workflow)",
                ),
            ],
            handler: post(mutate::apply),
        },
        Route {
            method: Method::GET,
            path: "/api/v1/environments/{name}",
            operation: "getEnvironment",
            summary: "One environment's record, whether it has expired, and the newer version of its template the catalog has (`newer_version`)",
            params: &[NAME],
            body: &[],
            responses: &[
                (200, "the record"),
                (404, "no environment of that name"),
                (500, "the state store failed"),
            ],
            handler: get(environments::get),
        },
        Route {
            method: Method::DELETE,
            path: "/api/v1/environments/{name}",
            operation: "destroyEnvironment",
            summary: "Destroy an environment, audited: here a PENDING one becomes DESTROYED and one that was applied needs OpenTofu (`idp destroy --run`); with `executor github`, destroy.yml is dispatched and the answer names its run",
            params: &[NAME],
            body: &[],
            responses: &[
                (200, "destroyed (or already): the environment's status"),
                (404, "no environment of that name"),
                (
                    409,
                    "the environment is locked, changed meanwhile, or needs `idp destroy --run`",
                ),
                (500, "the state store failed"),
                (502, "GitHub did not take the run"),
            ],
            handler: delete(mutate::destroy),
        },
        Route {
            method: Method::POST,
            path: "/api/v1/environments/{name}/extend",
            operation: "extendEnvironment",
            summary: "A longer life ({\"by\": \"3d\"}), judged by every policy with the recorded spec before it is recorded; audited",
            params: &[NAME],
            body: &["application/json"],
            responses: &[
                (200, "extended: the new lifetime and expiry"),
                (400, "a bad body or length of time"),
                (404, "no environment of that name"),
                (
                    409,
                    "it cannot be extended (destroyed, never expires, spec gone, locked)",
                ),
                (415, "the body is not JSON"),
                (
                    422,
                    "a policy denies the longer life: each finding at its line",
                ),
                (500, "a plugin or the state store failed"),
            ],
            handler: post(mutate::extend),
        },
        Route {
            method: Method::GET,
            path: "/api/v1/environments/{name}/upgrade",
            operation: "previewUpgrade",
            summary: "What moving an environment to another version of its template changes (`?to=VERSION`, else the newest): module calls and variables, the monthly cost before and after, new findings, whether the version is marked breaking, and the plan digest to confirm; nothing is written",
            params: UPGRADE_PARAMS,
            body: &[],
            responses: &[
                (
                    200,
                    "the upgrade, as `idp upgrade --format json` prints it, and `denied`",
                ),
                (400, "a bad query"),
                (404, "no environment of that name"),
                (
                    409,
                    "it cannot be upgraded (destroyed, being destroyed, waiting for approval, a spec that pins the version, a version the catalog lacks) or is already at that version",
                ),
                (500, "a plugin or the state store failed"),
            ],
            handler: get(upgrade::preview),
        },
        Route {
            method: Method::POST,
            path: "/api/v1/environments/{name}/upgrade",
            operation: "upgradeEnvironment",
            summary: "Upgrade an environment ({\"to\": \"0.2.0\", \"plan_digest\": \"sha256:…\"}, the digest its preview showed): planned again and applied only if the plan is the one confirmed; recorded PENDING here, or with `executor github` provision.yml is dispatched with the version (`run`); audited",
            params: &[NAME],
            body: &["application/json"],
            responses: &[
                (200, "upgraded: the environment's status and the upgrade"),
                (202, "handed to GitHub (`run`: its id and page)"),
                (400, "a bad body"),
                (403, "the caller may not change this team's environments"),
                (404, "no environment of that name"),
                (
                    409,
                    "it cannot be upgraded, or the plan is not the one confirmed (`idp::server::upgrade_changed`)",
                ),
                (415, "the body is not JSON"),
                (
                    422,
                    "a policy denies the upgraded environment: each finding at its line",
                ),
                (500, "a plugin or the state store failed"),
                (502, "GitHub did not take the run"),
            ],
            handler: post(upgrade::upgrade),
        },
        Route {
            method: Method::GET,
            path: "/api/v1/environments/{name}/history",
            operation: "getEnvironmentHistory",
            summary: "What the record says happened to an environment, oldest first",
            params: &[NAME],
            body: &[],
            responses: &[
                (200, "the events"),
                (404, "no environment of that name"),
                (500, "the state store failed"),
            ],
            handler: get(environments::history),
        },
        Route {
            method: Method::GET,
            path: "/api/v1/environments/{name}/runs",
            operation: "getEnvironmentRuns",
            summary: "The workflow runs dispatched for an environment, newest first (from the audit log); with `executor github`, the latest three with their status, conclusion and steps as GitHub reports them now",
            params: &[NAME],
            body: &[],
            responses: &[
                (200, "the runs"),
                (404, "no environment of that name"),
                (500, "the state store failed"),
            ],
            handler: get(runs::runs),
        },
        Route {
            method: Method::GET,
            path: "/api/v1/approvals",
            operation: "listApprovals",
            summary: "The plans waiting in PENDING_APPROVAL that the caller may read, each with who asked, the plan digest judged and when the approval expires",
            params: &[],
            body: &[],
            responses: &[(200, "the waiting plans"), (500, "the state store failed")],
            handler: get(approvals::list),
        },
        Route {
            method: Method::POST,
            path: "/api/v1/approvals/{name}/approve",
            operation: "approveEnvironment",
            summary: "Approve a waiting plan ({\"reason\": \"…\"} optional): exactly its plan digest goes on as PENDING (with `executor github`, dispatched to provision.yml at its request time: `run`); an approver's or admin's, never the requester's; audited",
            params: &[NAME],
            body: &["application/json"],
            responses: &[
                (200, "approved: the environment's status and the approval"),
                (400, "a bad body"),
                (
                    403,
                    "the caller may not approve for this team, or requested it",
                ),
                (404, "no environment of that name"),
                (
                    409,
                    "not waiting for approval, expired, or its workspace changed",
                ),
                (500, "the state store failed"),
                (
                    502,
                    "approved, but GitHub did not take the run: apply the same spec again to dispatch it",
                ),
            ],
            handler: post(approvals::approve),
        },
        Route {
            method: Method::POST,
            path: "/api/v1/approvals/{name}/reject",
            operation: "rejectEnvironment",
            summary: "Reject a waiting plan ({\"reason\": \"…\"} required): nothing is applied; audited",
            params: &[NAME],
            body: &["application/json"],
            responses: &[
                (200, "rejected: the environment's status and the approval"),
                (400, "a bad body"),
                (
                    403,
                    "the caller may not approve for this team, or requested it",
                ),
                (404, "no environment of that name"),
                (409, "not waiting for approval, or no reason given"),
                (500, "the state store failed"),
            ],
            handler: post(approvals::reject),
        },
    ]
}

/// The router of every route, answering unknown paths 404 and wrong methods 405 as
/// problems, and logging one line per request.
pub fn router(state: AppState) -> Router {
    let mut by_path: BTreeMap<&'static str, (MethodRouter<AppState>, Vec<String>)> =
        BTreeMap::new();
    for route in routes() {
        let entry = by_path
            .entry(route.path)
            .or_insert_with(|| (MethodRouter::new(), Vec::new()));
        entry.0 = std::mem::take(&mut entry.0).merge(route.handler);
        entry.1.push(route.method.to_string());
    }
    let mut router = Router::new();
    for (path, (handler, methods)) in by_path {
        let allow = methods.join(", ");
        router = router.route(
            path,
            handler.fallback(move || async move { method_not_allowed(&allow) }),
        );
    }
    router
        .merge(crate::portal::router())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .layer(middleware::from_fn(auth::same_origin))
        .layer(middleware::from_fn(harden))
        .layer(middleware::from_fn_with_state(state.clone(), log_request))
        .with_state(state)
}

async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

async fn not_found(request: Request) -> ApiProblem {
    ApiProblem::new(
        StatusCode::NOT_FOUND,
        "idp::server::not_found",
        "No such route",
        format!(
            "no route `{}`; `/api/v1/openapi.json` lists every route",
            request.uri().path()
        ),
    )
}

fn method_not_allowed(allow: &str) -> Response {
    let mut response = ApiProblem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "idp::server::method_not_allowed",
        "Method not allowed",
        format!("this route answers {allow}"),
    )
    .into_response();
    if let Ok(value) = HeaderValue::from_str(allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

/// Headers on every answer: a browser must not guess another type than the JSON sent
/// (a spec's text echoed in a message must never run as HTML), and no cache keeps an
/// answer about records that change.
async fn harden(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// One line per request: method, path, the query's names without their values, status,
/// milliseconds. Never a header or a body (a token or a spec's secret stays out of logs).
async fn log_request(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let line = request_line(request.method(), request.uri());
    let response = next.run(request).await;
    (state.0.options.log)(&format!(
        "{line} {} {}ms",
        response.status().as_u16(),
        started.elapsed().as_millis()
    ));
    response
}

/// `GET /api/v1/environments?team&limit`: the query reduced to its names.
pub(crate) fn request_line(method: &Method, uri: &axum::http::Uri) -> String {
    let mut line = format!("{method} {}", uri.path());
    if let Some(query) = uri.query().filter(|q| !q.is_empty()) {
        let names: Vec<&str> = query
            .split('&')
            .map(|pair| pair.split('=').next().unwrap_or_default())
            .collect();
        line.push('?');
        line.push_str(&names.join("&"));
    }
    idp_model::terminal_safe(&line).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_line_keeps_query_names_and_drops_their_values() {
        let uri: axum::http::Uri = "/api/v1/environments?team=payments&limit=5&secret=x"
            .parse()
            .expect("uri");
        assert_eq!(
            request_line(&Method::GET, &uri),
            "GET /api/v1/environments?team&limit&secret"
        );
    }

    #[test]
    fn every_route_has_a_unique_operation_and_a_response() {
        let routes = routes();
        let mut ops: Vec<&str> = routes.iter().map(|r| r.operation).collect();
        ops.sort_unstable();
        ops.dedup();
        assert_eq!(ops.len(), routes.len());
        assert!(routes.iter().all(|r| !r.responses.is_empty()));
    }
}
