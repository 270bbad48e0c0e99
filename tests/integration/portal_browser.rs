//! The portal in a real headless Chromium (issue 15): a developer signs in through the
//! authenticating proxy, browses the catalog, fills a form with a bad value and sees
//! the engine's error at the field, fixes it, sees the plan and its cost, applies,
//! finds the environment, extends it and destroys it; a production request waits for
//! an approver, who approves it in another browser. Screenshots land in
//! `target/portal-screenshots/` for a human to look at.

use crate::harness::{Sandbox, record};
use crate::serve::Server;
use crate::webdriver::{Browser, Driver, Proxy, browser_available, screenshots};

/// The organisation's idp.kdl: the examples' policies, production-guardrails under
/// approval, the trusted proxy on loopback, a payments developer and an approver.
const ORG: &str = r#"policy required-tags {
    required cost-center
}
policy max-ttl {
    preview "14d"
    staging "30d"
}
policy allowed-regions
policy production-guardrails enforcement="approval"
approvals expire-after="2d"
server {
    trusted-proxy "127.0.0.1"
}
role "developer" group="team-payments" team="payments"
role "approver" group="approvers"
"#;

/// The server, over a project where payments applied `orders-preview` with the CLI ten
/// days before the pinned clock, so the dashboard has cost to draw.
fn serve(s: &Sandbox) -> Server {
    let dir = s.path().join("org");
    std::fs::create_dir_all(&dir).expect("org dir");
    let config = dir.join("idp.kdl");
    std::fs::write(&config, ORG).expect("idp.kdl");
    let config_text = config.display().to_string();
    let earlier = s.run_with(
        &["apply", "examples/orders-preview.kdl", "--yes"],
        &[
            ("IDP_CONFIG", &config_text),
            ("IDP_NOW", "2026-11-13T10:00:00Z"),
        ],
    );
    assert_eq!(earlier.code, 0, "{}", earlier.stderr);
    let mut cmd = s.command(&["serve", "--listen", "127.0.0.1:0"]);
    cmd.env("IDP_CONFIG", &config);
    Server::spawn(cmd)
}

/// Fills the api-service form as a developer of payments would.
fn fill(b: &Browser, name: &str, memory: &str) {
    b.type_into("#f-name", name);
    b.type_into("#f-region", "us-east-1");
    b.type_into("#f-tags", "cost-center=engineering");
    b.type_into("#f-in-service-image", "ghcr.io/acme/orders:1.4.2");
    b.type_into("#f-in-service-memory", memory);
}

fn shot(b: &Browser, name: &str) {
    b.screenshot(&screenshots().join(format!("{name}.png")));
}

#[test]
fn a_developer_walks_the_portal_and_an_approver_approves_production() {
    if !browser_available() {
        return;
    }
    let s = Sandbox::new();
    let server = serve(&s);
    let developer = Proxy::start(&server.addr, "dev@acme.io", "team-payments");
    let approver = Proxy::start(&server.addr, "boss@acme.io", "approvers");
    let driver = Driver::start();
    let b = driver.session(&s.path().join("profile-dev"));
    let base = format!("http://{}", developer.addr);

    // Signed in, the catalog lists the templates.
    b.go(&format!("{base}/"));
    assert!(b.text("#signed-in").contains("dev@acme.io"));
    assert!(b.text("#signed-in").contains("developer of payments"));
    assert!(b.text("#templates").contains("api-service"));
    shot(&b, "1-catalog");
    b.click("#templates a[href=\"/catalog/api-service\"]");

    // A bad value: the engine's own message appears at the field as it is typed.
    fill(&b, "orders-web", "100");
    let error = b.wait_text("#f-in-service-memory-errors", |t| !t.is_empty());
    assert!(error.contains("512"), "{error}");
    assert!(b.text("#general").is_empty() || !b.text("#general").contains("memory"));
    shot(&b, "2-field-error");

    // Fixed: the plan with its cost and expiry, and the spec it stands for.
    b.type_into("#f-in-service-memory", "1024");
    // A preview of the field half typed (or cleared, so the default) may land first:
    // the plan judged is the one whose spec says 1024.
    b.wait_text("#spec", |t| t.contains("memory 1024"));
    b.wait_text("#verdict", |t| t.contains("allow"));
    assert!(b.text("#f-in-service-memory-errors").is_empty());
    let monthly = b.text("#monthly-cost");
    assert!(monthly.starts_with('$'), "{monthly}");
    assert!(
        b.text("#expires").contains("2026-"),
        "{}",
        b.text("#expires")
    );
    assert!(b.text("#spec").contains("memory 1024"));
    b.scroll_top();
    shot(&b, "3-plan");

    // Applied with the local executor: recorded PENDING, shown on its page.
    b.click("#apply-button");
    b.wait_text("#status", |t| t == "PENDING");
    assert!(b.url().ends_with("/environments/orders-web"), "{}", b.url());
    assert_eq!(record(&s, "orders-web")["owner"], "dev@acme.io");
    let tags = b.text("#tags");
    assert!(
        tags.contains("cost-center engineering") && tags.contains("owner dev@acme.io"),
        "{tags}"
    );

    // In the list, with its team and cost.
    b.go(&format!("{base}/environments"));
    let row = b.text("#environments");
    assert!(
        row.contains("orders-web") && row.contains("payments"),
        "{row}"
    );
    shot(&b, "4-environments");

    // Extended, then destroyed after typing its name.
    b.go(&format!("{base}/environments/orders-web"));
    b.type_into("#by", "3d");
    b.click("#extend-button");
    b.wait_text("#done", |t| t.contains("extended"));
    assert!(b.text("#history").contains("extend by 3d"));
    b.type_into("#confirm", "orders-web");
    b.click("#destroy-button");
    b.wait_text("#done", |t| t.contains("destroyed"));
    assert_eq!(b.text("#status"), "DESTROYED");
    assert_eq!(record(&s, "orders-web")["status"], "DESTROYED");

    // Production: production-guardrails denies a single task, under approval.
    b.go(&format!("{base}/catalog/api-service"));
    fill(&b, "orders-prod", "1024");
    b.choose("#f-class", "production");
    b.click("#apply-button");
    b.wait_text("#status", |t| t == "PENDING_APPROVAL");
    assert!(b.text("#approval").contains("dev@acme.io"));
    shot(&b, "5-waiting");
    // The requester may not approve it.
    b.go(&format!("{base}/approvals"));
    b.click("#approve-orders-prod");
    // A click does not wait for the page it posts to: wait for the answer.
    b.wait_text("main", |t| t.contains("idp::server::forbidden"));
    assert_eq!(record(&s, "orders-prod")["status"], "PENDING_APPROVAL");

    // The approver, in a browser of their own, approves it.
    let a = driver.session(&s.path().join("profile-approver"));
    a.go(&format!("http://{}/approvals", approver.addr));
    assert!(a.text("#approvals").contains("orders-prod"));
    a.type_into("#reason-1", "CHG-42");
    a.click("#approve-orders-prod");
    a.wait_text("#done", |t| t.contains("approved"));
    let approved = record(&s, "orders-prod");
    assert_eq!(approved["status"], "PENDING");
    assert_eq!(approved["approval"]["decision"]["by"], "boss@acme.io");

    // The dashboard draws the costs and the week's churn.
    a.go(&format!("http://{}/dashboard", approver.addr));
    assert!(a.text("#team-totals").contains("payments"));
    assert!(a.text("#churn-chart").contains("created"));
    let bar = a.find("#team-chart svg rect.s0 title");
    drop(bar);
    assert!(
        a.source().contains("payments: $"),
        "a bar of payments' cost"
    );
    shot(&a, "6-dashboard");
}
