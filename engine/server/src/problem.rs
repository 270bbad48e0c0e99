//! Errors as RFC 9457 `application/problem+json`: what every failing request answers.
//!
//! A problem has the RFC's members (`type`, `title`, `status`, `detail`) and two of
//! idp's: `code`, the stable `idp::…` code of docs/error-codes.md, and `diagnostics`,
//! the engine's own diagnostics (code, severity, message, file, line, column, help)
//! when the request's spec is what is wrong, the same ones `idp plan --format json`
//! prints.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// The media type of a problem document.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A failed request, as the client reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiProblem {
    /// The HTTP status.
    pub status: StatusCode,
    /// The stable error code (`idp::server::body_too_large`, `idp::spec::invalid`).
    pub code: String,
    /// A short summary of the problem type; the same for every occurrence.
    pub title: &'static str,
    /// What went wrong this time, with the values involved.
    pub detail: String,
    /// The engine's diagnostics, each at its line (empty when there are none).
    pub diagnostics: Vec<Value>,
}

impl ApiProblem {
    /// A problem without diagnostics.
    pub fn new(
        status: StatusCode,
        code: impl Into<String>,
        title: &'static str,
        detail: impl Into<String>,
    ) -> ApiProblem {
        ApiProblem {
            status,
            code: code.into(),
            title,
            detail: detail.into(),
            diagnostics: Vec::new(),
        }
    }

    /// The same problem with the engine's diagnostics attached.
    pub fn with_diagnostics(mut self, diagnostics: Vec<Value>) -> ApiProblem {
        self.diagnostics = diagnostics;
        self
    }

    /// A failure of idp itself or what it depends on (a plugin, the state store): the
    /// diagnostic's own code and message, never a backtrace.
    pub fn internal(diagnostic: &dyn miette::Diagnostic) -> ApiProblem {
        let code = diagnostic
            .code()
            .map_or_else(|| "idp::internal".to_owned(), |c| c.to_string());
        ApiProblem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            code,
            "The engine failed",
            diagnostic.to_string(),
        )
    }

    /// The `type` URI: a URN naming the code, stable like the code itself.
    pub fn type_uri(&self) -> String {
        format!("urn:idp:problem:{}", self.code)
    }

    /// The problem document.
    pub fn to_json(&self) -> Value {
        let mut doc = json!({
            "type": self.type_uri(),
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
            "code": self.code,
        });
        if !self.diagnostics.is_empty() {
            doc["diagnostics"] = Value::Array(self.diagnostics.clone());
        }
        doc
    }
}

impl IntoResponse for ApiProblem {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.to_json()).unwrap_or_default();
        let mut response = (self.status, body).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_has_the_rfc_members_and_its_code() {
        let p = ApiProblem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "idp::server::body_too_large",
            "Request body too large",
            "the body is larger than 262144 bytes",
        );
        let doc = p.to_json();
        assert_eq!(doc["type"], "urn:idp:problem:idp::server::body_too_large");
        assert_eq!(doc["status"], 413);
        assert_eq!(doc["title"], "Request body too large");
        assert_eq!(doc["code"], "idp::server::body_too_large");
        assert!(doc.get("diagnostics").is_none());
    }

    #[test]
    fn the_response_is_problem_json() {
        let response = ApiProblem::new(
            StatusCode::NOT_FOUND,
            "idp::server::not_found",
            "Not found",
            "x",
        )
        .into_response();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            response
                .headers()
                .get(header::CONTENT_TYPE)
                .map(|v| v.as_bytes()),
            Some(PROBLEM_JSON.as_bytes())
        );
    }
}
