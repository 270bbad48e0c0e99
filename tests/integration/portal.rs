//! The portal's pages over HTTP on 127.0.0.1 (issue 15): the engine's errors at their
//! fields, escaping and the page policy, sign-in, team isolation and cross-site posts.
//! The browser walk is `portal_browser.rs`.

use crate::harness::{Sandbox, record};
use crate::serve::{Answer, Server, applied};

const FORM: &str = "application/x-www-form-urlencoded";

/// A form body from pairs, percent-encoded.
fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    let encode = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_owned(),
                b => format!("%{b:02X}"),
            })
            .collect()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
}

fn html(answer: &Answer) -> String {
    String::from_utf8_lossy(&answer.body).into_owned()
}

/// The HTML of the element with `id` up to its first closing tag: enough to read the
/// messages of one field.
fn element<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {page}"));
    let rest = &page[start..];
    let end = rest.find("</ul>").unwrap_or(rest.len());
    &rest[..end]
}

const ORDERS: &[(&str, &str)] = &[
    ("name", "orders-web"),
    ("owner", "alice@acme.io"),
    ("team", "payments"),
    ("class", "preview"),
    ("region", "us-east-1"),
    ("tags", "cost-center=engineering"),
    ("in.service.image", "ghcr.io/acme/orders:1.4.2"),
];

fn post_form(server: &Server, path: &str, pairs: &[(&str, &str)]) -> Answer {
    let origin = format!("http://{}", server.addr);
    server.request(
        "POST",
        path,
        &[
            ("Content-Type", FORM),
            ("Origin", &origin),
            ("Sec-Fetch-Site", "same-origin"),
        ],
        &form(pairs),
    )
}

#[test]
fn a_bad_value_gets_the_engines_message_at_its_field_and_a_good_one_the_plan() {
    let s = Sandbox::new();
    let server = Server::start(&s, &["--config", "examples/idp.kdl"]);
    let mut pairs = ORDERS.to_vec();
    pairs.push(("in.service.memory", "100"));
    pairs.push(("action", "preview"));
    let bad = post_form(&server, "/catalog/api-service", &pairs);
    assert_eq!(bad.status, 422, "{}", html(&bad));
    let page = html(&bad);
    let at_field = element(&page, "f-in-service-memory-errors");
    assert!(
        at_field.contains("100") && at_field.contains("512"),
        "{at_field}"
    );
    assert!(page.contains("aria-invalid=\"true\""));
    // The spec the form stands for is shown, with the bad value as typed.
    assert!(page.contains("memory 100"), "{page}");

    let mut pairs = ORDERS.to_vec();
    pairs.push(("in.service.memory", "1024"));
    let good = post_form(&server, "/catalog/api-service", &pairs);
    assert_eq!(good.status, 200, "{}", html(&good));
    let page = html(&good);
    assert!(
        page.contains("The policies allow this environment."),
        "{page}"
    );
    assert!(page.contains("id=\"monthly-cost\">$"), "{page}");
    assert!(!page.contains("f-in-service-memory-errors\" aria-live=\"polite\"><li>"));
    // Previewing records nothing.
    assert!(!s.state().join("orders-web").exists());
}

#[test]
fn a_schedule_shows_its_saving_and_a_bad_zone_is_told_at_its_field() {
    let s = Sandbox::new();
    let server = Server::start(&s, &["--config", "examples/idp.kdl"]);
    let mut pairs = ORDERS.to_vec();
    pairs.extend([
        ("schedule-weekdays", "08:00-20:00"),
        ("schedule-timezone", "Mars/Olympus"),
    ]);
    let bad = post_form(&server, "/catalog/api-service", &pairs);
    assert_eq!(bad.status, 422, "{}", html(&bad));
    let page = html(&bad);
    let at_field = element(&page, "f-schedule-timezone-errors");
    assert!(at_field.contains("is not a time zone"), "{at_field}");

    let mut pairs = ORDERS.to_vec();
    pairs.extend([
        ("schedule-weekdays", "08:00-20:00"),
        ("schedule-timezone", "Europe/Berlin"),
    ]);
    let good = html(&post_form(&server, "/catalog/api-service", &pairs));
    assert!(good.contains("id=\"schedule-saving\">$"), "{good}");
    assert!(
        good.contains("against 24/7 (60 hours a week, Europe&#x2f;Berlin)"),
        "{good}"
    );
}

#[test]
fn pages_carry_the_strict_policy_and_escape_what_they_show() {
    let s = Sandbox::new();
    let server = Server::start(&s, &["--config", "examples/idp.kdl"]);
    let home = server.get("/");
    assert_eq!(home.status, 200);
    let csp = home.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("form-action 'self'"));
    assert_eq!(home.header("x-frame-options"), Some("DENY"));
    assert!(html(&home).contains("api-service"));
    // No inline script or style anywhere: the policy would refuse it.
    for path in [
        "/",
        "/catalog/api-service",
        "/environments",
        "/approvals",
        "/dashboard",
    ] {
        let page = html(&server.get(path));
        assert!(
            !page.contains("<script>") && !page.contains("style="),
            "{path}: inline code"
        );
    }
    // The assets are served from the binary with their types.
    assert_eq!(
        server.get("/assets/portal.js").header("content-type"),
        Some("text/javascript; charset=utf-8")
    );

    let evil = "<script>alert(1)</script>";
    let mut pairs = ORDERS.to_vec();
    pairs.retain(|(k, _)| *k != "in.service.image");
    pairs.push(("in.service.image", evil));
    pairs.push(("owner", "\"><img src=x onerror=alert(1)>"));
    let page = html(&post_form(&server, "/catalog/api-service", &pairs));
    assert!(
        !page.contains(evil) && !page.contains("<img src=x"),
        "{page}"
    );
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
        "{page}"
    );
}

/// The organisation's idp.kdl of the sign-in tests: a trusted proxy, two teams.
fn signed_in(s: &Sandbox) -> Server {
    let dir = s.path().join("org");
    std::fs::create_dir_all(&dir).expect("org dir");
    let config = dir.join("idp.kdl");
    std::fs::write(
        &config,
        "server {\n    trusted-proxy \"127.0.0.1\"\n}\nrole \"developer\" group=\"team-payments\" team=\"payments\"\nrole \"developer\" group=\"team-platform\" team=\"platform\"\n",
    )
    .expect("idp.kdl");
    let mut cmd = s.command(&["serve", "--listen", "127.0.0.1:0"]);
    cmd.env("IDP_CONFIG", &config);
    Server::spawn(cmd)
}

const PAYMENTS: &[(&str, &str)] = &[
    ("X-Forwarded-Email", "alice@acme.io"),
    ("X-Forwarded-Groups", "team-payments"),
];

#[test]
fn no_page_answers_without_sign_in_and_a_team_sees_only_its_own() {
    // hello-preview is team platform's.
    let s = applied();
    let server = signed_in(&s);
    for path in [
        "/",
        "/catalog/hello",
        "/environments",
        "/environments/hello-preview",
        "/approvals",
        "/dashboard",
    ] {
        assert_eq!(server.get(path).status, 401, "{path}");
    }
    let list = server.request("GET", "/environments", PAYMENTS, b"");
    assert_eq!(list.status, 200);
    assert!(!html(&list).contains("hello-preview"));
    let page = server.request("GET", "/environments/hello-preview", PAYMENTS, b"");
    assert_eq!(page.status, 404);
    assert!(!html(&page).contains("platform"));
    let dashboard = html(&server.request("GET", "/dashboard", PAYMENTS, b""));
    assert!(!dashboard.contains("hello-preview") && !dashboard.contains(">platform<"));
    let origin = format!("http://{}", server.addr);
    let mut headers = PAYMENTS.to_vec();
    headers.extend([("Content-Type", FORM), ("Origin", origin.as_str())]);
    for (path, body) in [
        ("/environments/hello-preview/extend", "by=1d"),
        (
            "/environments/hello-preview/destroy",
            "confirm=hello-preview",
        ),
    ] {
        let answer = server.request("POST", path, &headers, body.as_bytes());
        assert_eq!(answer.status, 404, "{path}: {}", html(&answer));
    }
    assert_eq!(record(&s, "hello-preview")["status"], "PENDING");
}

#[test]
fn a_form_posted_from_another_site_changes_nothing() {
    let s = applied();
    let server = Server::start(&s, &["--config", "examples/idp.kdl"]);
    let answer = server.request(
        "POST",
        "/environments/hello-preview/destroy",
        &[
            ("Content-Type", FORM),
            ("Origin", "http://evil.example"),
            ("Sec-Fetch-Site", "cross-site"),
        ],
        b"confirm=hello-preview",
    );
    answer.problem(403, "idp::server::cross_origin");
    assert_eq!(record(&s, "hello-preview")["status"], "PENDING");
    // Destroying needs the name typed again; then it is done and the page says so.
    let unconfirmed = post_form(
        &server,
        "/environments/hello-preview/destroy",
        &[("confirm", "x")],
    );
    assert_eq!(unconfirmed.status, 422);
    assert!(html(&unconfirmed).contains("idp::server::unconfirmed"));
    assert_eq!(record(&s, "hello-preview")["status"], "PENDING");
    let done = post_form(
        &server,
        "/environments/hello-preview/destroy",
        &[("confirm", "hello-preview")],
    );
    assert_eq!(done.status, 303);
    assert_eq!(
        done.header("location"),
        Some("/environments/hello-preview?done=destroyed")
    );
    assert_eq!(record(&s, "hello-preview")["status"], "DESTROYED");
}
