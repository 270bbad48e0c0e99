//! `idp serve` with authentication configured: API tokens, a trusted proxy's identity
//! headers, roles by team, and cross-origin refusals, through the real binary on
//! 127.0.0.1 (the same minimal HTTP client as `serve.rs`).

use std::collections::BTreeSet;

use serde_json::Value;

use crate::harness::Sandbox;
use crate::serve::{Answer, Server, applied, changes, spec};

/// The organisation's idp.kdl: payments and platform developers, a viewer group, admins.
fn org(s: &Sandbox, trusted: &str) -> String {
    let dir = s.path().join("org");
    std::fs::create_dir_all(&dir).expect("org dir");
    let path = dir.join("idp.kdl");
    let text = format!(
        "policy max-ttl {{\n    preview \"14d\"\n}}\nserver {{\n    trusted-proxy \"{trusted}\"\n}}\nrole \"developer\" group=\"team-payments\" team=\"payments\"\nrole \"developer\" group=\"team-platform\" team=\"platform\"\nrole \"viewer\" group=\"everyone\"\nrole \"admin\" group=\"platform-admins\"\n"
    );
    std::fs::write(&path, text).expect("org idp.kdl");
    path.display().to_string()
}

const ALICE: &[(&str, &str)] = &[
    ("X-Forwarded-Email", "alice@acme.io"),
    ("X-Forwarded-Groups", "everyone-else, team-payments"),
];

/// `hello-preview` (team platform) and `orders-preview` (team payments) recorded.
fn two_teams() -> Sandbox {
    let s = applied();
    let run = s.idp(&["apply", "examples/orders-preview.kdl", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    s
}

/// Every (method, path) the served OpenAPI document lists.
fn documented(server: &Server, headers: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    let doc = server
        .request("GET", "/api/v1/openapi.json", headers, b"")
        .json();
    doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("path item")
                .keys()
                .map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect()
}

/// Calls `method path` aimed at `name` (a path's `{name}`, or the spec posted).
fn call(server: &Server, method: &str, path: &str, name: &str, who: &[(&str, &str)]) -> Answer {
    let target = if path.starts_with("/api/v1/catalog/") {
        "hello"
    } else {
        name
    };
    let concrete = path.replace("{name}", target);
    let mut headers: Vec<(&str, &str)> = who.to_vec();
    let body: Vec<u8> = match (method, path) {
        ("POST", "/api/v1/plan") | ("POST", "/api/v1/environments") => {
            headers.push(("Content-Type", "application/kdl"));
            let file = if name == "hello-preview" {
                "examples/hello.kdl"
            } else {
                "examples/orders-preview.kdl"
            };
            spec(file)
        }
        ("POST", p) if p.starts_with("/api/v1/approvals/") => {
            headers.push(("Content-Type", "application/json"));
            br#"{"reason": "r"}"#.to_vec()
        }
        ("POST", p) if p.ends_with("/upgrade") => {
            headers.push(("Content-Type", "application/json"));
            br#"{"to": "0.1.0", "plan_digest": "sha256:0"}"#.to_vec()
        }
        ("POST", _) => {
            headers.push(("Content-Type", "application/json"));
            br#"{"by": "1d"}"#.to_vec()
        }
        _ => Vec::new(),
    };
    server.request(method, &concrete, &headers, &body)
}

#[test]
fn a_developer_of_one_team_cannot_see_or_change_another_teams_environments_through_any_route() {
    let s = applied();
    let config = org(&s, "127.0.0.1");
    let server = Server::start(&s, &["--config", &config]);
    let before = crate::harness::record(&s, "hello-preview");
    // Her own team's environment, applied by her.
    let own = call(
        &server,
        "POST",
        "/api/v1/environments",
        "orders-preview",
        ALICE,
    );
    assert_eq!(own.status, 201, "{}", String::from_utf8_lossy(&own.body));
    let routes = documented(&server, ALICE);
    assert!(routes.len() >= 12, "{routes:?}");
    for (method, path) in &routes {
        let answer = call(&server, method, path, "hello-preview", ALICE);
        let body = String::from_utf8_lossy(&answer.body).into_owned();
        match (method.as_str(), path.as_str()) {
            ("GET", "/api/v1/environments") => {
                let list = answer.json();
                let names: Vec<&str> = list["environments"]
                    .as_array()
                    .expect("list")
                    .iter()
                    .filter_map(|e| e["name"].as_str())
                    .collect();
                assert_eq!(names, ["orders-preview"], "{body}");
            }
            ("POST", "/api/v1/environments") | ("POST", "/api/v1/plan") => {
                // A plan would show the recorded environment's creation time.
                answer.problem(403, "idp::server::forbidden");
            }
            (_, p) if p.contains("{name}") && !p.starts_with("/api/v1/catalog/") => {
                // Not even shown to exist: the same 404 as an unknown name.
                let problem = answer.problem(404, "idp::state::unknown");
                assert!(!problem.to_string().contains("platform"), "{problem}");
            }
            _ => assert_eq!(answer.status, 200, "{method} {path}: {body}"),
        }
        assert!(
            !body.contains("you@acme.io"),
            "{method} {path} shows the other team's owner: {body}"
        );
    }
    // Her team's spec under the other team's name: refused, and the team is not named.
    let borrowed = String::from_utf8(spec("examples/hello.kdl"))
        .expect("utf-8")
        .replace("team platform", "team payments");
    let answer = server.request(
        "POST",
        "/api/v1/environments",
        &[ALICE[0], ALICE[1], ("Content-Type", "application/kdl")],
        borrowed.as_bytes(),
    );
    let problem = answer.problem(403, "idp::server::forbidden");
    assert!(!problem.to_string().contains("platform"), "{problem}");
    assert_eq!(
        crate::harness::record(&s, "hello-preview"),
        before,
        "nothing of the other team changed"
    );
    // Her own team's environment: read, extended, destroyed, each audited as hers.
    let own_routes = [
        ("GET", "/api/v1/environments/{name}"),
        ("POST", "/api/v1/environments/{name}/extend"),
        ("DELETE", "/api/v1/environments/{name}"),
    ];
    for (method, path) in own_routes {
        let answer = call(&server, method, path, "orders-preview", ALICE);
        assert_eq!(
            answer.status,
            200,
            "{method} {path}: {}",
            String::from_utf8_lossy(&answer.body)
        );
    }
    let history = server
        .request(
            "GET",
            "/api/v1/environments/orders-preview/history",
            ALICE,
            b"",
        )
        .json();
    assert_eq!(
        changes(&history),
        [
            "apply by alice@acme.io via proxy from 127.0.0.1: done",
            "extend by alice@acme.io via proxy from 127.0.0.1: done",
            "destroy by alice@acme.io via proxy from 127.0.0.1: done",
        ],
        "{history}"
    );
}

#[test]
fn no_route_answers_without_authentication_when_it_is_configured() {
    let s = two_teams();
    let config = org(&s, "127.0.0.1");
    let admin = s.idp(&[
        "--config", &config, "token", "create", "root", "--role", "admin",
    ]);
    assert_eq!(admin.code, 0, "{}", admin.stderr);
    let bearer = format!("Bearer {}", admin.stdout.trim());
    let server = Server::start(&s, &["--config", &config]);
    let routes = documented(&server, &[("Authorization", &bearer)]);
    for (method, path) in &routes {
        let answer = call(&server, method, path, "hello-preview", &[]);
        if path == "/healthz" {
            assert_eq!(answer.status, 200);
            continue;
        }
        answer.problem(401, "idp::server::unauthenticated");
        assert_eq!(
            answer.header("www-authenticate"),
            Some("Bearer realm=\"idp\"")
        );
    }
    // An unknown path too: nothing is said about what exists.
    server
        .get("/api/v1/nothing")
        .problem(401, "idp::server::unauthenticated");
    // Named by the proxy, but in no group with a role.
    server
        .request(
            "GET",
            "/api/v1/environments",
            &[
                ("X-Forwarded-Email", "eve@acme.io"),
                ("X-Forwarded-Groups", "guests"),
            ],
            b"",
        )
        .problem(403, "idp::server::forbidden");
    assert_eq!(
        crate::harness::record(&s, "hello-preview")["status"],
        "PENDING"
    );
    let log = server.log().join("\n");
    assert!(
        !log.contains(admin.stdout.trim()),
        "the token is never logged"
    );
}

#[test]
fn identity_headers_from_a_peer_that_is_not_the_trusted_proxy_are_ignored() {
    let s = two_teams();
    let elsewhere = org(&s, "10.9.9.9");
    let server = Server::start(&s, &["--config", &elsewhere]);
    server
        .request("GET", "/api/v1/environments", ALICE, b"")
        .problem(401, "idp::server::unauthenticated");
    call(
        &server,
        "DELETE",
        "/api/v1/environments/{name}",
        "orders-preview",
        ALICE,
    )
    .problem(401, "idp::server::unauthenticated");
    assert_eq!(
        crate::harness::record(&s, "orders-preview")["status"],
        "PENDING"
    );
    drop(server);
    let here = org(&s, "127.0.0.1");
    let server = Server::start(&s, &["--config", &here]);
    let answer = server.request("GET", "/api/v1/environments", ALICE, b"");
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
}

#[test]
fn tokens_are_shown_once_kept_hashed_and_refused_once_revoked() {
    let s = two_teams();
    let config = org(&s, "127.0.0.1");
    let created = s.idp(&[
        "--config",
        &config,
        "token",
        "create",
        "ci-payments",
        "--role",
        "developer",
        "--team",
        "payments",
    ]);
    assert_eq!(created.code, 0, "{}", created.stderr);
    let token = created.stdout.trim().to_owned();
    assert!(token.starts_with("idp_") && token.len() == 68, "{token}");
    assert!(
        created.stderr.contains("shown only now"),
        "{}",
        created.stderr
    );
    let kept = std::fs::read_to_string(s.state().join("tokens.json")).expect("tokens.json");
    assert!(
        !kept.contains(&token[4..]),
        "the state holds the token: {kept}"
    );
    assert!(kept.contains("\"sha256\": \"sha256:"), "{kept}");

    let server = Server::start(&s, &["--config", &config]);
    let bearer = format!("Bearer {token}");
    let auth: &[(&str, &str)] = &[("Authorization", &bearer)];
    let list = server
        .request("GET", "/api/v1/environments", auth, b"")
        .json();
    assert_eq!(list["environments"][0]["name"], "orders-preview");
    assert_eq!(list["environments"].as_array().map(Vec::len), Some(1));

    let listed = s.idp(&["--config", &config, "token", "list", "--format", "json"]);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert!(!listed.stdout.contains(&token[4..]));
    let doc: Value = serde_json::from_str(&listed.stdout).expect("json");
    assert_eq!(doc["tokens"][0]["role"], "developer");
    assert_eq!(doc["tokens"][0]["team"], "payments");

    let revoked = s.idp(&["--config", &config, "token", "revoke", "ci-payments"]);
    assert_eq!(revoked.code, 0, "{}", revoked.stderr);
    server
        .request("GET", "/api/v1/environments", auth, b"")
        .problem(401, "idp::server::unauthenticated");
    server
        .request(
            "GET",
            "/api/v1/environments",
            &[("Authorization", "Bearer idp_forged")],
            b"",
        )
        .problem(401, "idp::server::unauthenticated");

    let again = s.idp(&[
        "--config",
        &config,
        "token",
        "create",
        "ci-payments",
        "--role",
        "admin",
    ]);
    assert_eq!(again.code, 2);
    assert!(
        again.flat_stderr().contains("idp::server::token_exists"),
        "{}",
        again.stderr
    );
    let unscoped = s.idp(&[
        "--config",
        &config,
        "token",
        "create",
        "dev",
        "--role",
        "developer",
    ]);
    assert_eq!(unscoped.code, 2);
    assert!(unscoped.flat_stderr().contains("idp::server::token_scope"));
}

#[test]
fn a_browser_on_another_origin_cannot_change_anything() {
    let s = two_teams();
    let server = Server::start(&s, &["--config", "examples/idp.kdl"]);
    server
        .request(
            "DELETE",
            "/api/v1/environments/orders-preview",
            &[("Origin", "http://evil.example")],
            b"",
        )
        .problem(403, "idp::server::cross_origin");
    server
        .request(
            "POST",
            "/api/v1/environments/orders-preview/extend",
            &[
                ("Sec-Fetch-Site", "cross-site"),
                ("Content-Type", "application/json"),
            ],
            br#"{"by": "1d"}"#,
        )
        .problem(403, "idp::server::cross_origin");
    assert_eq!(
        crate::harness::record(&s, "orders-preview")["status"],
        "PENDING"
    );
    // Its own pages (same origin) may.
    let origin = format!("http://{}", server.addr);
    let answer = server.request(
        "DELETE",
        "/api/v1/environments/orders-preview",
        &[("Origin", &origin), ("Sec-Fetch-Site", "same-origin")],
        b"",
    );
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    assert_eq!(
        crate::harness::record(&s, "orders-preview")["status"],
        "DESTROYED"
    );
}

#[test]
fn without_authentication_a_page_rebinding_its_name_to_loopback_gets_nothing() {
    let s = two_teams();
    let server = Server::start(&s, &["--config", "examples/idp.kdl"]);
    // Same-origin in the browser's eyes: the page's own name, rebound to 127.0.0.1.
    let rebound = [
        ("Host", "rebound.example:8080"),
        ("Origin", "http://rebound.example:8080"),
        ("Sec-Fetch-Site", "same-origin"),
    ];
    let answer = server.request_with_host("GET", "/api/v1/environments", &rebound, b"");
    answer.problem(403, "idp::server::not_loopback_host");
    let answer = server.request_with_host(
        "DELETE",
        "/api/v1/environments/orders-preview",
        &rebound,
        b"",
    );
    answer.problem(403, "idp::server::not_loopback_host");
    assert_eq!(
        crate::harness::record(&s, "orders-preview")["status"],
        "PENDING"
    );
    let local =
        server.request_with_host("GET", "/api/v1/environments", &[("Host", "localhost")], b"");
    assert_eq!(local.status, 200);
}

#[test]
fn any_address_is_allowed_once_authentication_is_configured_and_roles_are_checked_at_their_line() {
    let s = Sandbox::new();
    let config = org(&s, "127.0.0.1");
    let server = Server::spawn(s.command(&["--config", &config, "serve", "--listen", "0.0.0.0:0"]));
    assert!(server.addr.starts_with("0.0.0.0:"), "{}", server.addr);
    drop(server);

    let bad = s.path().join("bad.kdl");
    std::fs::write(
        &bad,
        "server {\n    trusted-proxy \"127.0.0.1\"\n}\nrole \"developer\" group=\"team-payments\"\n",
    )
    .expect("write");
    let run = s.idp(&["--config", &bad.display().to_string(), "serve"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let err = run.flat_stderr();
    assert!(err.contains("idp::config::role"), "{err}");
    assert!(err.contains("bad.kdl:4:1"), "{err}");
}
