//! Approvals (issue 15, item 5): a deny under `approval` enforcement waits in
//! PENDING_APPROVAL; another user approves exactly that plan, or rejects it; approvals
//! expire; through the real binary and over HTTP on 127.0.0.1.

use serde_json::Value;

use crate::harness::{Sandbox, record};
use crate::serve::{Server, changes, spec};

/// The organisation's idp.kdl: max-ttl (a preview lives a day at most) under approval,
/// approvals open two days, payments developers, approvers, the trusted proxy.
fn org(s: &Sandbox) -> String {
    let dir = s.path().join("org");
    std::fs::create_dir_all(&dir).expect("org dir");
    let path = dir.join("idp.kdl");
    let text = "policy max-ttl enforcement=\"approval\" {\n    preview \"1d\"\n}\napprovals expire-after=\"2d\"\nserver {\n    trusted-proxy \"127.0.0.1\"\n}\nrole \"developer\" group=\"team-payments\" team=\"payments\"\nrole \"approver\" group=\"approvers\"\n";
    std::fs::write(&path, text).expect("org idp.kdl");
    path.display().to_string()
}

fn as_user<'a>(config: &'a str, user: &'a str) -> [(&'a str, &'a str); 2] {
    [("IDP_CONFIG", config), ("IDP_REQUESTED_BY", user)]
}

const APPLY: &[&str] = &["apply", "examples/orders-preview.kdl", "--yes"];

#[test]
fn a_cli_apply_under_approval_waits_and_only_someone_else_approves_that_plan() {
    let s = Sandbox::new();
    let config = org(&s);
    let run = s.run_with(APPLY, &as_user(&config, "alice"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("waiting for an approver"),
        "{}",
        run.stderr
    );
    let waiting = record(&s, "orders-preview");
    assert_eq!(waiting["status"], "PENDING_APPROVAL");
    assert_eq!(waiting["schema_version"], 4);
    assert_eq!(waiting["approval"]["requested_by"], "alice");
    assert_eq!(
        waiting["approval"]["findings"][0],
        "max-ttl/ttl-above-maximum"
    );
    let digest = waiting["plan_digest"].clone();

    let own = s.run_with(&["approve", "orders-preview"], &as_user(&config, "alice"));
    assert_eq!(own.code, 2, "{}", own.stderr);
    assert!(
        own.stderr.contains("idp::lifecycle::own_approval"),
        "{}",
        own.stderr
    );
    assert_eq!(record(&s, "orders-preview")["status"], "PENDING_APPROVAL");

    let run = s.run_with(
        &["approve", "orders-preview", "--reason", "CHG-1"],
        &as_user(&config, "bob"),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let approved = record(&s, "orders-preview");
    assert_eq!(approved["status"], "PENDING");
    assert_eq!(approved["plan_digest"], digest, "exactly the plan judged");
    assert_eq!(approved["approval"]["decision"]["by"], "bob");

    // Applying the same plan again goes on; the approval let exactly it through.
    let again = s.run_with(APPLY, &as_user(&config, "alice"));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(!again.stderr.contains("waiting"), "{}", again.stderr);
    assert_eq!(record(&s, "orders-preview")["plan_digest"], digest);
}

#[test]
fn a_rejected_plan_is_not_applied_and_an_expired_approval_is_refused() {
    let s = Sandbox::new();
    let config = org(&s);
    assert_eq!(s.run_with(APPLY, &as_user(&config, "alice")).code, 0);
    let no_reason = s.run_with(&["reject", "orders-preview"], &as_user(&config, "bob"));
    assert_eq!(no_reason.code, 2, "{}", no_reason.stderr);
    assert!(
        no_reason.stderr.contains("idp::lifecycle::approval_reason"),
        "{}",
        no_reason.stderr
    );
    let run = s.run_with(
        &["reject", "orders-preview", "--reason", "not now"],
        &as_user(&config, "bob"),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rejected = record(&s, "orders-preview");
    assert_eq!(rejected["status"], "DESTROYED");
    assert_eq!(rejected["approval"]["decision"]["approved"], false);

    assert_eq!(s.run_with(APPLY, &as_user(&config, "alice")).code, 0);
    let mut late = as_user(&config, "bob").to_vec();
    late.push(("IDP_NOW", "2026-11-25T10:00:01Z"));
    let expired = s.run_with(&["approve", "orders-preview"], &late);
    assert_eq!(expired.code, 2, "{}", expired.stderr);
    assert!(
        expired.stderr.contains("idp::lifecycle::approval_expired"),
        "{}",
        expired.stderr
    );
    assert_eq!(record(&s, "orders-preview")["status"], "PENDING_APPROVAL");
}

const ALICE: &[(&str, &str)] = &[
    ("X-Forwarded-Email", "alice@acme.io"),
    ("X-Forwarded-Groups", "team-payments"),
];
const BOB: &[(&str, &str)] = &[
    ("X-Forwarded-Email", "bob@acme.io"),
    ("X-Forwarded-Groups", "approvers"),
];
const CAROL: &[(&str, &str)] = &[
    ("X-Forwarded-Email", "carol@acme.io"),
    ("X-Forwarded-Groups", "team-payments, approvers"),
];

fn with(
    who: &[(&'static str, &'static str)],
    extra: (&'static str, &'static str),
) -> Vec<(&'static str, &'static str)> {
    let mut h = who.to_vec();
    h.push(extra);
    h
}

#[test]
fn over_http_a_request_waits_a_developer_or_the_requester_cannot_approve_and_an_approver_can() {
    let s = Sandbox::new();
    let config = org(&s);
    let server = Server::start(&s, &["--config", &config]);
    let kdl = spec("examples/orders-preview.kdl");
    let posted = server.request(
        "POST",
        "/api/v1/environments",
        &with(CAROL, ("Content-Type", "application/kdl")),
        &kdl,
    );
    assert_eq!(
        posted.status,
        202,
        "{}",
        String::from_utf8_lossy(&posted.body)
    );
    let doc = posted.json();
    assert_eq!(doc["environment"]["status"], "PENDING_APPROVAL");
    let digest = doc["approval"]["plan_digest"].clone();

    let list = server.request("GET", "/api/v1/approvals", BOB, b"").json();
    let names: Vec<&Value> = list["approvals"]
        .as_array()
        .expect("list")
        .iter()
        .map(|a| &a["name"])
        .collect();
    assert_eq!(names, ["orders-preview"], "{list}");

    let json = ("Content-Type", "application/json");
    let path = "/api/v1/approvals/orders-preview/approve";
    server
        .request("POST", path, &with(ALICE, json), b"{}")
        .problem(403, "idp::server::forbidden");
    server
        .request("POST", path, &with(CAROL, json), b"{}")
        .problem(403, "idp::server::forbidden");
    let approved = server.request("POST", path, &with(BOB, json), br#"{"reason": "ok"}"#);
    assert_eq!(
        approved.status,
        200,
        "{}",
        String::from_utf8_lossy(&approved.body)
    );
    let approved = approved.json();
    assert_eq!(approved["environment"]["status"], "PENDING");
    assert_eq!(approved["approval"]["plan_digest"], digest);
    assert_eq!(record(&s, "orders-preview")["plan_digest"], digest);
    server
        .request("POST", path, &with(BOB, json), b"{}")
        .problem(409, "idp::lifecycle::not_pending_approval");

    let history = server
        .request(
            "GET",
            "/api/v1/environments/orders-preview/history",
            BOB,
            b"",
        )
        .json();
    let got = changes(&history);
    assert!(
        got.contains(
            &"request_approval by carol@acme.io via proxy from 127.0.0.1: done".to_owned()
        ),
        "{got:?}"
    );
    assert!(
        got.contains(&"approve by bob@acme.io via proxy from 127.0.0.1: done".to_owned()),
        "{got:?}"
    );
    assert!(
        got.contains(&"approve by carol@acme.io via proxy from 127.0.0.1: failed".to_owned()),
        "{got:?}"
    );
}

#[test]
fn a_runner_plans_an_approved_request_at_its_request_time_until_the_approval_expires() {
    let s = Sandbox::new();
    let config = org(&s);
    assert_eq!(s.run_with(APPLY, &as_user(&config, "alice")).code, 0);
    let digest = record(&s, "orders-preview")["plan_digest"]
        .as_str()
        .expect("digest")
        .to_owned();
    let day_later = |user| {
        let mut env = as_user(&config, user).to_vec();
        env.push(("IDP_NOW", "2026-11-24T10:00:00Z"));
        env
    };
    let runner = |id: &str, env: &[(&str, &str)]| {
        s.run_with(
            &[
                "apply",
                "examples/orders-preview.kdl",
                "--env",
                "orders-preview",
                "--request-id",
                id,
                "--expect-digest",
                &digest,
                "--yes",
            ],
            env,
        )
    };
    // Not approved yet: a day-old request is outside the clock's window.
    let early = runner("20261123T100000Z-00000000", &day_later("runner"));
    assert_eq!(early.code, 2, "{}", early.stderr);
    assert!(
        early.stderr.contains("idp::lifecycle::request_time"),
        "{}",
        early.stderr
    );
    let run = s.run_with(&["approve", "orders-preview"], &day_later("bob"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Approved: exactly its request time passes, a day later; another time does not.
    let run = runner("20261123T100000Z-00000000", &day_later("runner"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(record(&s, "orders-preview")["plan_digest"], digest.as_str());
    let other = runner("20261123T100001Z-00000000", &day_later("runner"));
    assert_eq!(other.code, 2, "{}", other.stderr);
    assert!(
        other.stderr.contains("idp::lifecycle::request_time"),
        "{}",
        other.stderr
    );
    // After the approval expires, not even it.
    let mut expired = as_user(&config, "runner").to_vec();
    expired.push(("IDP_NOW", "2026-11-25T10:00:01Z"));
    let late = runner("20261123T100000Z-00000000", &expired);
    assert_eq!(late.code, 2, "{}", late.stderr);
    assert!(
        late.stderr.contains("idp::lifecycle::approval_expired"),
        "{}",
        late.stderr
    );
}

#[test]
fn a_nested_idp_kdl_cannot_put_a_policy_under_approval_or_set_approvals() {
    let s = Sandbox::new();
    let repo = s.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).expect("repo");
    std::fs::create_dir_all(repo.join("team")).expect("team");
    std::fs::write(repo.join("idp.kdl"), "policy max-ttl\n").expect("org");
    std::fs::write(
        repo.join("team/idp.kdl"),
        "// the team's own\npolicy naming enforcement=\"approval\"\napprovals expire-after=\"30d\"\n",
    )
    .expect("nested");
    std::fs::write(
        repo.join("team/env.kdl"),
        spec("examples/orders-preview.kdl"),
    )
    .expect("spec");
    let spec_path = repo.join("team/env.kdl").display().to_string();
    let run = s.idp(&["plan", &spec_path]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let text = run.flat_stderr();
    assert!(text.contains("idp::config::organisation_only"), "{text}");
    assert!(text.contains("team/idp.kdl:2:1"), "{text}");
    assert!(text.contains("team/idp.kdl:3:1"), "{text}");
}

/// `idp plan` and `idp check` in a pull request: a spec whose only denies are under
/// approval passes (the apply will wait for an approver), and says so; any other deny
/// still fails.
#[test]
fn plan_and_check_pass_a_spec_whose_only_denies_wait_for_an_approver() {
    let s = Sandbox::new();
    let config = org(&s);
    let env = [("IDP_CONFIG", config.as_str())];
    let plan = s.run_with(&["plan", "examples/orders-preview.kdl"], &env);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let said = plan.flat_stderr();
    assert!(
        said.contains(
            "deny, needs approval (orders-preview): TTL `7d` is above the preview maximum of `1d`"
        ),
        "{said}"
    );
    assert!(
        said.contains("needs approval: the organisation's idp.kdl puts max-ttl/ttl-above-maximum under approval"),
        "{said}"
    );
    let json = s.run_with(
        &["plan", "examples/orders-preview.kdl", "--format", "json"],
        &env,
    );
    assert_eq!(json.code, 0, "{}", json.stderr);
    let doc: Value = serde_json::from_str(&json.stdout).expect("plan JSON");
    assert_eq!(doc["environments"][0]["findings"][0]["approval"], true);

    let check = s.run_with(
        &["check", "examples/orders-preview.kdl", "--format", "json"],
        &env,
    );
    assert_eq!(check.code, 0, "{}", check.stderr);
    let doc: Value = serde_json::from_str(&check.stdout).expect("check JSON");
    let item = &doc["files"][0]["findings"][0];
    assert_eq!(item["status"], "deny, needs approval", "{doc}");
    assert_eq!(item["blocks"], false);
    assert_eq!(item["approval"], true);
    assert_eq!(doc["passed"], true);
    assert_eq!(doc["summary"]["approval"], 1, "{doc}");

    // The same deny without approval enforcement fails both, as before.
    let strict = s.path().join("strict.kdl");
    std::fs::write(&strict, "policy max-ttl {\n    preview \"1d\"\n}\n").expect("idp.kdl");
    let strict = strict.display().to_string();
    let env = [("IDP_CONFIG", strict.as_str())];
    assert_eq!(
        s.run_with(&["plan", "examples/orders-preview.kdl"], &env)
            .code,
        1
    );
    assert_eq!(
        s.run_with(&["check", "examples/orders-preview.kdl"], &env)
            .code,
        1
    );
}
