//! The portal at `/`: server-rendered HTML over the same functions the REST API calls.
//!
//! # Design
//!
//! - **One engine, two front doors.** A page calls what the matching API route calls
//!   (`plan_text`, `apply_text`, `extend_by`, `destroy_named`, `upgrade_to`, `decide`, the record
//!   store, `idp_state::spend`) and renders the JSON document the API would have
//!   answered; an [`ApiProblem`] becomes an error page with the same code and detail.
//!   Nothing here decides anything the engine decides.
//! - **Progressive enhancement.** Every page works without script: forms post and the
//!   server answers with a whole page (a change answers `303 See Other`, so a reload
//!   never repeats it). `portal.js` only adds the live preview of a plan while a form is
//!   filled in: it posts the same form in the background and swaps in the parts of the
//!   answer that changed.
//! - **Nothing inline.** Every page carries a strict Content-Security-Policy (scripts,
//!   styles and images from this server only; no inline script or style; no framing;
//!   forms post here only), so even a value that escaped escaping could not run. Charts
//!   are SVG drawn on the server with attributes, never `style`. Everything rendered is
//!   escaped by minijinja's HTML auto-escaping.
//! - **Assets in the binary.** The stylesheet and the script are `include_str!`ed: the
//!   server needs no CDN and no files beside it.
//! - **Same rules.** The pages are behind the same authentication, roles and
//!   cross-origin checks as the API (the router's layers wrap both); a form post comes
//!   from the server's own origin, so a page of another site cannot make a signed-in
//!   browser apply or destroy anything.

mod charts;
mod dashboard;
pub(crate) mod form;
mod pages;
mod render;
mod upgrade;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::AppState;

/// What a page may load and do: this server's own script, style and images, nothing
/// inline, no framing, forms posted here only.
pub(crate) const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The portal's routes (pages and their form posts, and the two assets).
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::catalog))
        .route("/catalog/{name}", get(pages::template).post(pages::submit))
        .route("/environments", get(pages::environments))
        .route("/environments/{name}", get(pages::environment))
        .route("/environments/{name}/extend", post(pages::extend))
        .route("/environments/{name}/destroy", post(pages::destroy))
        .route(
            "/environments/{name}/upgrade",
            get(upgrade::page).post(upgrade::submit),
        )
        .route("/approvals", get(pages::approvals))
        .route("/approvals/{name}/{decision}", post(pages::decide))
        .route("/dashboard", get(dashboard::page))
        .route("/assets/portal.css", get(stylesheet))
        .route("/assets/portal.js", get(script))
        // Browsers ask for it on every first visit; nothing, rather than a 404 line.
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .layer(middleware::from_fn(page_headers))
}

/// The headers of every page: the policy above, and no framing or referrer leaks.
async fn page_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

async fn stylesheet() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_str!("../../assets/portal.css"),
    )
}

async fn script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../../assets/portal.js"),
    )
}

fn asset(media: &'static str, text: &'static str) -> Response {
    ([(header::CONTENT_TYPE, media)], text).into_response()
}
