//! Pages from minijinja templates embedded in the binary, HTML-escaped throughout.

use std::sync::LazyLock;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use minijinja::{AutoEscape, Environment};
use serde_json::{Value, json};

use crate::auth::Identity;
use crate::problem::ApiProblem;

/// Every template, by name.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("catalog.html", include_str!("../../templates/catalog.html")),
    (
        "template.html",
        include_str!("../../templates/template.html"),
    ),
    (
        "environments.html",
        include_str!("../../templates/environments.html"),
    ),
    (
        "environment.html",
        include_str!("../../templates/environment.html"),
    ),
    (
        "approvals.html",
        include_str!("../../templates/approvals.html"),
    ),
    (
        "dashboard.html",
        include_str!("../../templates/dashboard.html"),
    ),
    ("upgrade.html", include_str!("../../templates/upgrade.html")),
    ("error.html", include_str!("../../templates/error.html")),
];

static PAGES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // Every template is HTML: escape everything, whatever its file name says.
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
    env.add_filter("money", money);
    env.add_filter("left", |expires: Option<String>, now: i64| {
        let expires = expires.and_then(|e| e.parse::<jiff::Timestamp>().ok());
        let now = jiff::Timestamp::from_second(now).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        expires.map_or_else(|| "never".to_owned(), |t| left(now, t))
    });
    for (name, text) in TEMPLATES {
        // A template that does not parse is a bug caught by the unit test below; at
        // run time its pages answer 500 instead of the server not starting.
        env.add_template(name, text).ok();
    }
    env
});

/// A figure in US dollars, to the cent; a dash when there is none.
fn money(value: Option<f64>) -> String {
    value
        .filter(|v| v.is_finite())
        .map_or_else(|| "—".to_owned(), |v| format!("${v:.2}"))
}

/// The time from `now` to `until` as a person reads a countdown: `6d 23h`, `5h 10m`,
/// `expired`.
pub(crate) fn left(now: jiff::Timestamp, until: jiff::Timestamp) -> String {
    let secs = until.as_second() - now.as_second();
    if secs <= 0 {
        return "expired".to_owned();
    }
    let (days, hours, minutes) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (days, hours) {
        (0, 0) => format!("{minutes}m"),
        (0, h) => format!("{h}h {minutes}m"),
        (d, h) => format!("{d}d {h}h"),
    }
}

/// Who is signed in, for the page header.
fn user(who: &Identity) -> Value {
    json!({
        "subject": who.subject,
        "roles": who.roles(),
        "local": matches!(who.via, crate::auth::Via::Local),
    })
}

/// Renders `template` with `ctx` (a JSON object; the signed-in user is added as `user`)
/// as a page with `status`.
pub(crate) fn page(status: StatusCode, template: &str, who: &Identity, mut ctx: Value) -> Response {
    ctx["user"] = user(who);
    match PAGES
        .get_template(template)
        .and_then(|t| t.render(minijinja::Value::from(minijinja::value::Serde(&ctx))))
    {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => plain_error(&e.to_string()),
    }
}

/// A failed request as a page: the API's problem, its code and detail, and the
/// engine's diagnostics when there are some.
pub(crate) fn error(who: &Identity, problem: &ApiProblem) -> Response {
    page(
        problem.status,
        "error.html",
        who,
        json!({
            "title": problem.title,
            "code": problem.code,
            "detail": problem.detail,
            "diagnostics": problem.diagnostics,
            "status": problem.status.as_u16(),
        }),
    )
}

/// `303 See Other` to `location` (a path of this server), after a change.
pub(crate) fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

fn plain_error(detail: &str) -> Response {
    ApiProblem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "idp::server::page",
        "The page could not be drawn",
        format!("a portal template failed: {detail}; this is a bug in idp"),
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countdowns_read_in_the_largest_units() {
        let at = |s: &str| s.parse::<jiff::Timestamp>().expect("time");
        let now = at("2026-12-01T00:00:00Z");
        assert_eq!(left(now, at("2026-12-07T23:30:00Z")), "6d 23h");
        assert_eq!(left(now, at("2026-12-01T05:10:00Z")), "5h 10m");
        assert_eq!(left(now, at("2026-12-01T00:09:59Z")), "9m");
        assert_eq!(left(now, now), "expired");
        assert_eq!(money(Some(12.345)), "$12.35");
        assert_eq!(money(None), "—");
    }

    #[test]
    fn every_template_parses() {
        let mut env = Environment::new();
        for (name, text) in TEMPLATES {
            env.add_template(name, text)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn values_are_escaped_whatever_they_hold() {
        let env = &*PAGES;
        let t = env
            .template_from_str("<p title=\"{{ v }}\">{{ v }}</p>")
            .expect("template");
        let html = t
            .render(minijinja::Value::from(minijinja::value::Serde(
                json!({ "v": "\"><script>alert(1)</script>" }),
            )))
            .expect("render");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&quot;&gt;&lt;script&gt;"), "{html}");
    }
}
