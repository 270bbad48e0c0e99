//! `/api/v1/openapi.json`: the OpenAPI 3.1 document, made from the route table, so
//! every route the router serves is in it and nothing else is.

use axum::Json;
use serde_json::{Map, Value, json};

use crate::problem::PROBLEM_JSON;
use crate::routes::{In, Route, routes};

/// The handler.
pub(crate) async fn document() -> Json<Value> {
    Json(openapi(&routes()))
}

/// The document for a set of routes.
pub(crate) fn openapi(routes: &[Route]) -> Value {
    let mut paths = Map::new();
    for route in routes {
        let item = paths
            .entry(route.path)
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(item) = item.as_object_mut() {
            item.insert(route.method.as_str().to_lowercase(), operation(route));
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "idp REST API",
            "version": "1",
            "description": "Self-service cloud environments over the same engine as the idp CLI. Errors are RFC 9457 problem documents (application/problem+json) carrying idp's stable error code. Without authentication configured the server listens on loopback only; with it, every route but /healthz needs an API token (Authorization: Bearer) or the identity headers of the trusted proxy. State-changing requests from another origin are refused.",
        },
        "paths": paths,
        "components": {
            "schemas": { "Problem": problem_schema() },
            "securitySchemes": { "token": { "type": "http", "scheme": "bearer", "description": "an `idp token create` token" } },
        },
    })
}

fn operation(route: &Route) -> Value {
    let parameters: Vec<Value> = route
        .params
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "in": match p.location { In::Path => "path", In::Query => "query" },
                "required": p.location == In::Path,
                "description": p.description,
                "schema": { "type": p.schema },
            })
        })
        .collect();
    let mut responses = Map::new();
    let guarded: &[(u16, &str)] = if route.path == "/healthz" {
        &[]
    } else {
        &[
            (
                401,
                "authentication is configured and the request names nobody (or a revoked token)",
            ),
            (
                403,
                "the caller's role does not allow it, or a browser sent it from another origin",
            ),
        ]
    };
    for (status, description) in route.responses.iter().chain(guarded) {
        let media = if *status < 400 {
            "application/json"
        } else {
            PROBLEM_JSON
        };
        let schema = if *status < 400 {
            json!({ "type": "object" })
        } else {
            json!({ "$ref": "#/components/schemas/Problem" })
        };
        responses.insert(
            status.to_string(),
            json!({ "description": description, "content": { media: { "schema": schema } } }),
        );
    }
    let mut op = json!({
        "operationId": route.operation,
        "summary": route.summary,
        "responses": responses,
    });
    if !parameters.is_empty() {
        op["parameters"] = Value::Array(parameters);
    }
    if !route.body.is_empty() {
        let content: Map<String, Value> = route
            .body
            .iter()
            .map(|media| {
                let schema = if route.operation == "extendEnvironment" {
                    json!({ "type": "object", "required": ["by"], "properties": { "by": { "type": "string", "description": "how much longer: `12h`, `3d`, `1w`" } } })
                } else if *media == "application/json" {
                    json!({ "type": "object", "required": ["kdl"], "properties": { "kdl": { "type": "string", "description": "the spec's KDL text" } } })
                } else {
                    json!({ "type": "string", "description": "the spec's KDL text" })
                };
                ((*media).to_owned(), json!({ "schema": schema }))
            })
            .collect();
        op["requestBody"] = json!({ "required": true, "content": content });
    }
    op
}

fn problem_schema() -> Value {
    json!({
        "type": "object",
        "description": "RFC 9457 problem details, with idp's error code and, for a spec with problems, the engine's diagnostics",
        "required": ["type", "title", "status", "detail", "code"],
        "properties": {
            "type": { "type": "string", "format": "uri-reference" },
            "title": { "type": "string" },
            "status": { "type": "integer" },
            "detail": { "type": "string" },
            "code": { "type": "string", "description": "the stable idp error code (docs/error-codes.md)" },
            "diagnostics": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "code": { "type": "string" },
                        "severity": { "type": "string", "enum": ["error", "warning", "advice"] },
                        "message": { "type": "string" },
                        "file": { "type": "string" },
                        "line": { "type": "integer" },
                        "column": { "type": "integer" },
                        "help": { "type": ["string", "null"] },
                    },
                },
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_lists_every_route_with_its_method() {
        let routes = routes();
        let doc = openapi(&routes);
        assert_eq!(doc["openapi"], "3.1.0");
        for route in &routes {
            let op = &doc["paths"][route.path][route.method.as_str().to_lowercase()];
            assert_eq!(op["operationId"], route.operation, "{}", route.path);
        }
        let listed: usize = doc["paths"]
            .as_object()
            .map(|p| p.values().filter_map(Value::as_object).map(Map::len).sum())
            .unwrap_or_default();
        assert_eq!(listed, routes.len());
    }

    #[test]
    fn path_parameters_are_declared_and_required() {
        let doc = openapi(&routes());
        let params = &doc["paths"]["/api/v1/environments/{name}"]["get"]["parameters"];
        assert_eq!(params[0]["name"], "name");
        assert_eq!(params[0]["in"], "path");
        assert_eq!(params[0]["required"], true);
    }

    #[test]
    fn each_path_template_matches_its_declared_path_parameters() {
        for route in routes() {
            let in_path: Vec<&str> = route
                .path
                .split('/')
                .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
                .collect();
            let declared: Vec<&str> = route
                .params
                .iter()
                .filter(|p| p.location == In::Path)
                .map(|p| p.name)
                .collect();
            assert_eq!(in_path, declared, "{}", route.path);
        }
    }
}
