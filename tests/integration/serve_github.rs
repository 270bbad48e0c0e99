//! `idp serve` handing runs to GitHub Actions (issue 15): with `executor github` in
//! idp.kdl, an apply through the API is recorded PENDING, its spec kept in the record
//! store and provision.yml dispatched to the local fake of GitHub's REST API; the
//! runner's own command (`idp apply --posted`) plans that kept spec again to the same
//! digest; the run's page and progress are shown by the API and the portal; a destroy
//! dispatches destroy.yml. Every dispatch is held to the workflows' declared inputs by
//! the fake, as GitHub does.

use serde_json::Value;

use crate::github::{self, FakeGitHub, Script, TOKEN};
use crate::harness::{Sandbox, repo};
use crate::serve::{Server, spec};

const CONFIG: &str = "tests/fixtures/github/idp.kdl";
const SPEC: &str = "tests/fixtures/github/env.kdl";

fn server(s: &Sandbox, gh: &FakeGitHub) -> Server {
    let mut cmd = s.command(&["--config", CONFIG, "serve", "--listen", "127.0.0.1:0"]);
    cmd.env("GITHUB_API_URL", gh.server.url())
        .env("GH_TOKEN", TOKEN);
    Server::spawn(cmd)
}

fn dispatches(gh: &FakeGitHub) -> Vec<(String, Value)> {
    gh.seen.lock().expect("seen").dispatches.clone()
}

fn runs(server: &Server) -> Value {
    let answer = server.get("/api/v1/environments/hello-gh/runs");
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    answer.json()
}

/// The runner's step of provision.yml, as the workflow runs it for `spec-source: state`.
fn runner(s: &Sandbox, inputs: &Value, digest: &str) -> crate::harness::Run {
    let field = |k: &str| inputs[k].as_str().unwrap_or_default().to_owned();
    let (spec, request) = (field("spec"), field("request-id"));
    s.idp(&[
        "--config",
        CONFIG,
        "apply",
        &spec,
        "--env",
        "hello-gh",
        "--posted",
        "--executor",
        "local",
        "--yes",
        "--request-id",
        &request,
        "--expect-digest",
        digest,
    ])
}

#[test]
fn a_spec_posted_to_the_server_runs_on_github_and_its_progress_is_shown() {
    let s = Sandbox::new();
    let gh = github::start(Script::default());
    let server = server(&s, &gh);
    let applied = server.plan_to("/api/v1/environments", "text/plain", &spec(SPEC));
    assert_eq!(
        applied.status,
        202,
        "{}",
        String::from_utf8_lossy(&applied.body)
    );
    // Read after an answer: the line is logged by then.
    assert!(
        server
            .log()
            .iter()
            .any(|l| l.contains("runs go to acme/envs@main")),
        "{:?}",
        server.log()
    );

    let doc = applied.json();
    assert_eq!(doc["environment"]["status"], "PENDING");
    assert_eq!(doc["run"]["workflow"], "provision.yml");
    assert_eq!(doc["run"]["id"], 4242);
    assert_eq!(
        doc["run"]["url"],
        "https://github.com/acme/envs/actions/runs/4242"
    );
    let digest = doc["plan"]["environments"][0]["plan_digest"]
        .as_str()
        .expect("digest")
        .to_owned();

    // What GitHub was asked: the spec is the one kept beside the record, not a path in
    // a commit, and the runner may apply only the digest the server planned.
    let sent = dispatches(&gh);
    assert_eq!(sent.len(), 1);
    let (workflow, body) = &sent[0];
    assert_eq!(workflow, "provision.yml");
    let inputs = &body["inputs"];
    assert_eq!(inputs["spec"], "requests/hello-gh.kdl");
    assert_eq!(inputs["spec-source"], "state");
    assert_eq!(inputs["plan-digest"], digest.as_str());
    assert_eq!(inputs["request-id"], doc["run"]["request_id"]);
    assert!(
        !repo().join("requests").exists(),
        "nothing written into the checkout"
    );

    // The runner reads the kept spec from the record store and plans it to the same
    // digest; any other digest is refused.
    let refused = runner(&s, inputs, &format!("sha256:{}", "0".repeat(64)));
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("refusing to apply `hello-gh`"),
        "{}",
        refused.stderr
    );
    let ran = runner(&s, inputs, &digest);
    assert_eq!(ran.code, 0, "{}", ran.stderr);

    // The run as GitHub reports it, each time it is read: queued, half way, done.
    let first = runs(&server);
    assert_eq!(first["executor"]["repository"], "acme/envs");
    let run = &first["runs"][0];
    assert_eq!(run["id"], 4242);
    assert_eq!(run["event"], "apply");
    assert_eq!(run["status"], "queued");
    // Half way, as the portal's page of the environment shows it: the run linked, its
    // steps, and a page that reloads itself while the run goes on.
    let page = server.get("/environments/hello-gh");
    assert_eq!(page.status, 200);
    let html = String::from_utf8_lossy(&page.body).replace("&#x2f;", "/");
    assert!(
        html.contains(
            r#"<a href="https://github.com/acme/envs/actions/runs/4242">provision.yml #4242</a>"#
        ),
        "{html}"
    );
    assert!(html.contains("in_progress"), "{html}");
    assert!(html.contains("2 of 3 steps ended; running: "), "{html}");
    assert!(
        html.contains(r#"<meta http-equiv="refresh" content="15">"#),
        "{html}"
    );
    let done = runs(&server);
    assert_eq!(done["runs"][0]["status"], "completed");
    assert_eq!(
        done["runs"][0]["steps_ended"],
        done["runs"][0]["steps"]
            .as_array()
            .map(Vec::len)
            .unwrap_or(0)
    );
    assert_eq!(done["runs"][0]["conclusion"], "success");

    // A destroy goes to destroy.yml, and the history names both runs.
    let destroyed = server.request("DELETE", "/api/v1/environments/hello-gh", &[], b"");
    assert_eq!(
        destroyed.status,
        200,
        "{}",
        String::from_utf8_lossy(&destroyed.body)
    );
    assert_eq!(destroyed.json()["run"]["workflow"], "destroy.yml");
    let sent = dispatches(&gh);
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1].0, "destroy.yml");
    let history = server.get("/api/v1/environments/hello-gh/history").json();
    let with_runs: Vec<&str> = history["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["run"]["id"] == 4242)
        .filter_map(|e| e["event"].as_str())
        .collect();
    assert_eq!(with_runs, ["apply", "destroy"]);
}

#[test]
fn github_refusing_the_dispatch_is_a_502_that_says_why() {
    let s = Sandbox::new();
    let gh = github::start(Script {
        dispatch_error: Some((
            "403 Forbidden",
            serde_json::json!({"message": "Resource not accessible by personal access token"}),
            vec![],
        )),
        ..Script::default()
    });
    let server = server(&s, &gh);
    let answer = server.plan_to("/api/v1/environments", "text/plain", &spec(SPEC));
    let problem = answer.problem(502, "idp::github::forbidden");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("Resource not accessible by personal access token")),
        "{problem}"
    );
    let history = server.get("/api/v1/environments/hello-gh/history").json();
    let apply = history["events"]
        .as_array()
        .and_then(|e| e.iter().find(|e| e["event"] == "apply"))
        .cloned()
        .expect("the apply is audited");
    assert_eq!(apply["outcome"], "failed");
    assert_eq!(apply["error"], "idp::github::forbidden");
}

/// The organisation's idp.kdl: runs on GitHub, max-ttl under approval (a preview lives a
/// day at most), the trusted proxy, payments developers and approvers.
const APPROVALS: &str = r#"executor github {
    repository "acme/envs"
    ref "main"
}
policy max-ttl enforcement="approval" {
    preview "1d"
}
approvals expire-after="2d"
server {
    trusted-proxy "127.0.0.1"
}
role "developer" group="team-payments" team="payments"
role "approver" group="approvers"
"#;

#[test]
fn an_approved_plan_is_dispatched_at_its_request_time_and_the_runner_applies_it() {
    let s = Sandbox::new();
    let config = s.path().join("idp.kdl");
    std::fs::write(&config, APPROVALS).expect("idp.kdl");
    let config = config.display().to_string();
    let gh = github::start(Script::default());
    let mut cmd = s.command(&["--config", &config, "serve", "--listen", "127.0.0.1:0"]);
    cmd.env("GITHUB_API_URL", gh.server.url())
        .env("GH_TOKEN", TOKEN);
    let server = Server::spawn(cmd);
    let alice = [
        ("X-Forwarded-Email", "alice@acme.io"),
        ("X-Forwarded-Groups", "team-payments"),
        ("Content-Type", "application/kdl"),
    ];
    let posted = server.request(
        "POST",
        "/api/v1/environments",
        &alice,
        &spec("examples/orders-preview.kdl"),
    );
    assert_eq!(
        posted.status,
        202,
        "{}",
        String::from_utf8_lossy(&posted.body)
    );
    let doc = posted.json();
    assert_eq!(doc["environment"]["status"], "PENDING_APPROVAL");
    assert!(
        doc.get("run").is_none(),
        "nothing runs before an approver says so"
    );
    assert!(dispatches(&gh).is_empty());

    let bob = [
        ("X-Forwarded-Email", "bob@acme.io"),
        ("X-Forwarded-Groups", "approvers"),
        ("Content-Type", "application/json"),
    ];
    let approved = server.request(
        "POST",
        "/api/v1/approvals/orders-preview/approve",
        &bob,
        br#"{"reason": "CHG-7"}"#,
    );
    assert_eq!(
        approved.status,
        200,
        "{}",
        String::from_utf8_lossy(&approved.body)
    );
    let approved = approved.json();
    assert_eq!(approved["run"]["workflow"], "provision.yml");
    let sent = dispatches(&gh);
    assert_eq!(sent.len(), 1);
    let inputs = &sent[0].1["inputs"];
    assert_eq!(inputs["spec-source"], "state");
    assert_eq!(inputs["requested-by"], "bob@acme.io");
    let digest = approved["approval"]["plan_digest"]
        .as_str()
        .expect("digest");
    assert_eq!(inputs["plan-digest"], digest);
    // The request time is the approved plan's, which the runner's clock window allows.
    let requested = approved["approval"]["requested_at"].as_str().expect("time");
    let stamp = requested.replace(['-', ':'], "");
    assert!(
        inputs["request-id"]
            .as_str()
            .is_some_and(|id| id.starts_with(&stamp)),
        "{inputs} {requested}"
    );

    let ran = s.idp(&[
        "--config",
        &config,
        "apply",
        "requests/orders-preview.kdl",
        "--env",
        "orders-preview",
        "--posted",
        "--executor",
        "local",
        "--yes",
        "--request-id",
        inputs["request-id"].as_str().unwrap_or_default(),
        "--expect-digest",
        digest,
    ]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(!ran.stderr.contains("waiting"), "{}", ran.stderr);
    let history = server
        .request(
            "GET",
            "/api/v1/environments/orders-preview/history",
            &bob[..2],
            b"",
        )
        .json();
    let approve = history["events"]
        .as_array()
        .and_then(|e| e.iter().find(|e| e["event"] == "approve"))
        .cloned()
        .expect("the approval is audited");
    assert_eq!(approve["run"]["id"], 4242);
}

#[test]
fn without_a_token_the_server_refuses_to_start_and_says_how_to_fix_it() {
    let s = Sandbox::new();
    let run = s.idp(&["--config", CONFIG, "serve", "--listen", "127.0.0.1:0"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("idp::github::no_token"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("GH_TOKEN"), "{}", run.stderr);
}
