//! The GitHub executor against a local fake of GitHub's REST API on 127.0.0.1, answering
//! in GitHub's documented shapes: workflow dispatch (with and without
//! `return_run_details`), run discovery, a run's progress to success or failure, and the
//! errors a user meets. The fake reads the repository's own workflow files to decide
//! which inputs a dispatch may carry, as GitHub does, so these tests also hold the CLI
//! and the workflows to one contract.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::harness::{Run, Sandbox, repo};
use crate::local_http::{self, Request, Response, Server};

pub const TOKEN: &str = "ghp_localtesttoken";
const RUN_ID: u64 = 4242;
const SPEC: &str = "tests/fixtures/github/env.kdl";

/// A canned answer: status line, JSON body, extra headers.
pub type Canned = (&'static str, Value, Vec<(&'static str, String)>);

/// How the fake behaves.
#[derive(Clone)]
pub struct Script {
    /// Answer a dispatch with the run's details (GitHub since February 2026) or 204.
    pub return_details: bool,
    /// How the run ends.
    pub conclusion: &'static str,
    /// Answer every dispatch with this instead.
    pub dispatch_error: Option<Canned>,
    /// Answer this many looks at the run with 502 first, as GitHub does now and then.
    pub flaky_reads: usize,
    /// Where the API lives on the server: `` for github.com, `/api/v3` for GHES.
    pub path_prefix: &'static str,
}

impl Default for Script {
    fn default() -> Self {
        Script {
            return_details: true,
            conclusion: "success",
            dispatch_error: None,
            flaky_reads: 0,
            path_prefix: "",
        }
    }
}

#[derive(Default)]
pub struct Seen {
    pub dispatches: Vec<(String, Value)>,
    run_title: Option<String>,
    run_reads: usize,
    list_reads: usize,
    failed_reads: usize,
}

pub struct FakeGitHub {
    pub server: Server,
    pub seen: Arc<Mutex<Seen>>,
}

fn declared_inputs(workflow: &Value) -> Vec<String> {
    workflow["on"]["workflow_dispatch"]["inputs"]
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

fn workflow_file(file: &str) -> Option<Value> {
    let text = std::fs::read_to_string(repo().join(".github/workflows").join(file)).ok()?;
    serde_yaml_ng::from_str(&text).ok()
}

fn not_found() -> Response {
    Response::json(
        "404 Not Found",
        &json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"}),
    )
}

fn run_json(title: &str, status: &str, conclusion: Option<&str>) -> Value {
    json!({
        "id": RUN_ID,
        "name": "provision",
        "display_title": title,
        "event": "workflow_dispatch",
        "status": status,
        "conclusion": conclusion,
        "head_branch": "main",
        "run_number": 17,
        "run_attempt": 1,
        "url": format!("https://api.github.com/repos/acme/envs/actions/runs/{RUN_ID}"),
        "html_url": format!("https://github.com/acme/envs/actions/runs/{RUN_ID}"),
        "created_at": "2026-11-23T10:00:05Z",
    })
}

fn step(name: &str, number: u32, status: &str, conclusion: Option<&str>) -> Value {
    json!({"name": name, "number": number, "status": status, "conclusion": conclusion})
}

/// Where the run is after `reads` looks at it: queued, in progress, then completed.
fn progress(reads: usize, conclusion: &str) -> (&'static str, Option<&str>) {
    match reads {
        0 => ("queued", None),
        1 => ("in_progress", None),
        _ => ("completed", Some(conclusion)),
    }
}

/// The steps GitHub shows for provision.yml's job: "Set up job", then each step by its
/// name (or `Run OWNER/ACTION@REF` when it has none), read from the workflow itself.
fn provision_steps() -> Vec<String> {
    let yaml = workflow_file("provision.yml").expect("provision.yml parses");
    let steps = yaml["jobs"]["provision"]["steps"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    std::iter::once("Set up job".to_owned())
        .chain(steps.iter().map(|st| match st["name"].as_str() {
            Some(name) => name.to_owned(),
            None => format!("Run {}", st["uses"].as_str().unwrap_or("step")),
        }))
        .collect()
}

fn jobs_json(reads: usize, conclusion: &str) -> Value {
    let names = provision_steps();
    let (status, job_conclusion) = progress(reads, conclusion);
    let steps: Vec<Value> = match status {
        "queued" => vec![],
        // Half way: the first steps done, the next one running.
        "in_progress" => names
            .iter()
            .take(3)
            .enumerate()
            .map(|(i, n)| {
                let done = i < 2;
                step(
                    n,
                    i as u32 + 1,
                    if done { "completed" } else { "in_progress" },
                    done.then_some("success"),
                )
            })
            .collect(),
        // The apply step carries the run's conclusion; the summary runs always.
        _ => names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let c = if n.starts_with("Plan again") {
                    job_conclusion
                } else {
                    Some("success")
                };
                step(n, i as u32 + 1, "completed", c)
            })
            .collect(),
    };
    json!({"total_count": 1, "jobs": [{
        "id": 9001, "run_id": RUN_ID, "name": "provision hello-gh",
        "status": status, "conclusion": job_conclusion, "steps": steps,
    }]})
}

fn answer(req: &Request, script: &Script, seen: &Mutex<Seen>) -> Response {
    let mut seen = seen.lock().expect("lock");
    let auth = req.header("authorization").unwrap_or_default();
    if auth != format!("Bearer {TOKEN}") {
        return Response::json(
            "401 Unauthorized",
            &json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"}),
        );
    }
    let path = req.path().to_owned();
    // GitHub Enterprise Server serves the API under /api/v3.
    let Some(rest) = path
        .strip_prefix(script.path_prefix)
        .and_then(|p| p.strip_prefix("/repos/acme/envs/actions/"))
    else {
        return not_found();
    };
    let parts: Vec<&str> = rest.split('/').collect();
    match (req.method.as_str(), parts.as_slice()) {
        ("POST", ["workflows", file, "dispatches"]) => {
            let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
            seen.dispatches.push((file.to_string(), body.clone()));
            if let Some((status, body, headers)) = &script.dispatch_error {
                let mut r = Response::json(status, body);
                for (k, v) in headers {
                    r = r.with_header(k, v);
                }
                return r;
            }
            let Some(workflow) = workflow_file(file) else {
                return not_found();
            };
            let git_ref = body["ref"].as_str().unwrap_or_default();
            if git_ref != "main" {
                return Response::json(
                    "422 Unprocessable Entity",
                    &json!({"message": format!("No ref found for: {git_ref}"), "status": "422"}),
                );
            }
            let declared = declared_inputs(&workflow);
            let sent: Vec<String> = body["inputs"]
                .as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default();
            let unexpected: Vec<&String> = sent.iter().filter(|s| !declared.contains(s)).collect();
            if !unexpected.is_empty() {
                return Response::json(
                    "422 Unprocessable Entity",
                    &json!({"message": format!("Unexpected inputs provided: {unexpected:?}"), "status": "422"}),
                );
            }
            // The run's title is the workflow's run-name with the inputs filled in.
            let mut title = workflow["run-name"]
                .as_str()
                .unwrap_or("provision")
                .to_owned();
            for (k, v) in body["inputs"].as_object().into_iter().flatten() {
                title = title.replace(
                    &format!("${{{{ inputs.{k} }}}}"),
                    v.as_str().unwrap_or_default(),
                );
            }
            seen.run_title = Some(title);
            if script.return_details && body["return_run_details"] == json!(true) {
                Response::json(
                    "200 OK",
                    &json!({
                        "workflow_run_id": RUN_ID,
                        "run_url": format!("https://api.github.com/repos/acme/envs/actions/runs/{RUN_ID}"),
                        "html_url": format!("https://github.com/acme/envs/actions/runs/{RUN_ID}"),
                    }),
                )
            } else {
                Response::empty("204 No Content")
            }
        }
        ("GET", ["workflows", _, "runs"]) => {
            seen.list_reads += 1;
            // Someone else's run first, as on a busy repository; ours appears on the
            // second look, as GitHub takes a moment to queue it.
            let mut runs = vec![json!({
                "id": 4100, "display_title": "provision other [20261123T095900Z-00000000]",
                "status": "completed", "conclusion": "success",
                "html_url": "https://github.com/acme/envs/actions/runs/4100",
            })];
            if let (Some(title), true) = (&seen.run_title, seen.list_reads > 1) {
                runs.insert(0, run_json(title, "queued", None));
            }
            Response::json(
                "200 OK",
                &json!({"total_count": runs.len(), "workflow_runs": runs}),
            )
        }
        ("GET", ["runs", _]) if seen.failed_reads < script.flaky_reads => {
            seen.failed_reads += 1;
            Response::json("502 Bad Gateway", &json!({"message": "Server Error"}))
        }
        ("GET", ["runs", id]) if *id == RUN_ID.to_string() => {
            let (status, conclusion) = progress(seen.run_reads, script.conclusion);
            seen.run_reads += 1;
            let title = seen.run_title.clone().unwrap_or_default();
            Response::json("200 OK", &run_json(&title, status, conclusion))
        }
        ("GET", ["runs", id, "jobs"]) if *id == RUN_ID.to_string() => Response::json(
            "200 OK",
            &jobs_json(seen.run_reads.saturating_sub(1), script.conclusion),
        ),
        _ => not_found(),
    }
}

pub fn start(script: Script) -> FakeGitHub {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let shared = seen.clone();
    let server = local_http::start(Arc::new(move |r: &Request| answer(r, &script, &shared)));
    FakeGitHub { server, seen }
}

fn apply(s: &Sandbox, gh: &FakeGitHub, extra: &[&str], token: &str) -> Run {
    apply_at(s, &gh.server.url(), extra, token)
}

fn apply_at(s: &Sandbox, url: &str, extra: &[&str], token: &str) -> Run {
    let mut args = vec!["apply", SPEC, "--yes"];
    args.extend_from_slice(extra);
    s.run_with(
        &args,
        &[
            ("GITHUB_API_URL", url),
            ("GH_TOKEN", token),
            ("IDP_GITHUB_POLL_MS", "10"),
            ("IDP_REQUESTED_BY", "alice"),
        ],
    )
}

fn plan_digest(s: &Sandbox) -> String {
    let run = s.idp(&["plan", SPEC, "--format", "json"]);
    let plan: Value = serde_json::from_str(&run.stdout).expect("plan JSON");
    plan["environments"][0]["plan_digest"]
        .as_str()
        .expect("digest")
        .to_owned()
}

#[test]
fn apply_dispatches_provision_with_the_confirmed_digest_and_follows_the_run() {
    let s = Sandbox::new();
    let gh = start(Script::default());
    let run = apply(&s, &gh, &[], TOKEN);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let url = "https://github.com/acme/envs/actions/runs/4242";
    for line in [
        "dispatching provision.yml on `main` of acme/envs for `hello-gh` (request 20261123T100000Z-",
        &format!("run 4242 (returned by the dispatch): {url}"),
        "  queued",
        "  in progress",
        "  job `provision hello-gh` started",
        "    ✓ provision hello-gh › Install idp",
        "    ✓ provision hello-gh › Plan again, compare with the confirmed digest, apply",
        "  job `provision hello-gh`: success",
        &format!("run 4242 succeeded: {url}"),
    ] {
        assert!(
            run.stderr.contains(line),
            "missing {line:?} in\n{}",
            run.stderr
        );
    }
    let seen = gh.seen.lock().expect("lock");
    let [(file, body)] = seen.dispatches.as_slice() else {
        panic!("one dispatch, got {:?}", seen.dispatches);
    };
    assert_eq!(file, "provision.yml");
    assert_eq!(body["ref"], "main");
    assert_eq!(body["return_run_details"], true);
    let inputs = &body["inputs"];
    assert_eq!(inputs["environment"], "hello-gh");
    assert_eq!(inputs["spec"], SPEC, "relative to the repository root");
    assert_eq!(inputs["requested-by"], "alice");
    assert_eq!(inputs["plan-digest"], plan_digest(&s).as_str());
    assert_eq!(
        inputs["template-version"], "",
        "a plain apply: the runner resolves the template as the spec and record say"
    );
    let request = inputs["request-id"].as_str().expect("request id");
    assert!(request.starts_with("20261123T100000Z-"), "{request}");
    assert_eq!(
        seen.run_title.as_deref(),
        Some(format!("provision hello-gh [{request}]").as_str())
    );
    assert_eq!(seen.list_reads, 0, "the run came back with the dispatch");
    assert!(
        !s.state().join("environments/hello-gh").exists(),
        "the runner records the environment, not the laptop"
    );
}

#[test]
fn without_run_details_the_run_is_found_by_its_request_id() {
    let s = Sandbox::new();
    let gh = start(Script {
        return_details: false,
        ..Script::default()
    });
    let run = apply(&s, &gh, &[], TOKEN);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("run 4242 (found by its request id)"),
        "{}",
        run.stderr
    );
    assert!(gh.seen.lock().expect("lock").list_reads >= 2);
}

#[test]
fn a_failed_run_exits_3_and_points_at_its_log() {
    let s = Sandbox::new();
    let gh = start(Script {
        conclusion: "failure",
        ..Script::default()
    });
    let run = apply(&s, &gh, &[], TOKEN);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let err = run.flat_stderr();
    assert!(
        err.contains(
            "    ✗ provision hello-gh › Plan again, compare with the confirmed digest, apply"
        ),
        "{err}"
    );
    assert!(
        err.contains("run 4242 of provision.yml for `hello-gh` ended in failure: https://github.com/acme/envs/actions/runs/4242"),
        "{err}"
    );
    assert!(err.contains("a FAILED environment is retryable"), "{err}");
}

#[test]
fn a_passing_api_error_while_following_does_not_end_the_watch() {
    let s = Sandbox::new();
    let gh = start(Script {
        flaky_reads: 3,
        ..Script::default()
    });
    let run = apply(&s, &gh, &[], TOKEN);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("run 4242 succeeded"), "{}", run.stderr);
    assert_eq!(gh.seen.lock().expect("lock").failed_reads, 3);
}

#[test]
fn github_enterprise_server_is_reached_under_its_api_path() {
    let s = Sandbox::new();
    let gh = start(Script {
        path_prefix: "/api/v3",
        ..Script::default()
    });
    let run = apply_at(&s, &format!("{}/api/v3", gh.server.url()), &[], TOKEN);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("run 4242 succeeded"), "{}", run.stderr);
}

#[test]
fn no_wait_returns_once_the_run_is_known() {
    let s = Sandbox::new();
    let gh = start(Script::default());
    let run = apply(&s, &gh, &["--no-wait"], TOKEN);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("not following it (--no-wait)"),
        "{}",
        run.stderr
    );
    assert_eq!(gh.seen.lock().expect("lock").run_reads, 0);
}

#[test]
fn each_github_error_says_what_to_fix() {
    let limited = Script {
        dispatch_error: Some((
            "403 Forbidden",
            json!({"message": "API rate limit exceeded for user ID 1.", "documentation_url": "https://docs.github.com/rest/rate-limit"}),
            vec![
                ("x-ratelimit-remaining", "0".into()),
                ("x-ratelimit-reset", "1795435200".into()),
            ],
        )),
        ..Script::default()
    };
    let forbidden = Script {
        dispatch_error: Some((
            "403 Forbidden",
            json!({"message": "Resource not accessible by personal access token"}),
            vec![],
        )),
        ..Script::default()
    };
    let cases: Vec<(Script, Vec<&str>, &str, &str)> = vec![
        (
            Script::default(),
            vec![],
            "ghp_wrong",
            "GitHub refused the token (401: Bad credentials)",
        ),
        (
            forbidden,
            vec![],
            TOKEN,
            "give the token `actions:write` on acme/envs",
        ),
        (
            Script::default(),
            vec!["--ref", "feature/x"],
            TOKEN,
            "`feature/x` is not a branch or tag of `acme/envs` (422: No ref found for: feature/x)",
        ),
        (
            limited,
            vec![],
            TOKEN,
            "GitHub's API rate limit is used up until 2026-11-23T12:00:00Z",
        ),
        (
            Script {
                dispatch_error: Some(("404 Not Found", json!({"message": "Not Found"}), vec![])),
                ..Script::default()
            },
            vec![],
            TOKEN,
            "GitHub has no workflow `provision.yml` on `main` of `acme/envs` (404)",
        ),
    ];
    for (script, extra, token, expected) in cases {
        let s = Sandbox::new();
        let gh = start(script);
        let run = apply(&s, &gh, &extra, token);
        assert_eq!(run.code, 3, "{expected}: {}", run.stderr);
        assert!(
            run.flat_stderr().contains(expected),
            "{expected}:\n{}",
            run.flat_stderr()
        );
    }

    // A workflow that declares other inputs than idp sends: GitHub's 422.
    let s = Sandbox::new();
    let gh = start(Script {
        dispatch_error: Some((
            "422 Unprocessable Entity",
            json!({"message": "Unexpected inputs provided: [\"plan-digest\"]"}),
            vec![],
        )),
        ..Script::default()
    });
    let run = apply(&s, &gh, &[], TOKEN);
    assert_eq!(run.code, 3);
    let err = run.flat_stderr();
    assert!(
        err.contains("`provision.yml` on `main` refused the inputs idp sent"),
        "{err}"
    );
    assert!(
        err.contains(
            "which declares environment, spec, request-id, plan-digest, requested-by, template-version"
        ),
        "{err}"
    );

    // No token at all is the user's to fix before anything is sent.
    let s = Sandbox::new();
    let run = s.idp(&["apply", SPEC, "--yes"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("neither GH_TOKEN nor GITHUB_TOKEN is set"),
        "{}",
        run.stderr
    );
}

#[test]
fn workflow_inputs_match_what_idp_sends() {
    use idp_github::{Workflow, WorkflowInputs};
    for workflow in [Workflow::Provision, Workflow::Destroy] {
        let yaml = workflow_file(workflow.file()).expect("workflow parses");
        assert_eq!(
            declared_inputs(&yaml),
            WorkflowInputs::names(workflow),
            "{workflow}: the declared inputs, in order"
        );
        for (name, input) in yaml["on"]["workflow_dispatch"]["inputs"]
            .as_object()
            .into_iter()
            .flatten()
        {
            assert_eq!(input["required"], true, "{workflow}: {name}");
            assert_eq!(input["type"], "string", "{workflow}: {name}");
        }
        let run_name = yaml["run-name"].as_str().unwrap_or_default();
        assert!(
            run_name.contains("${{ inputs.request-id }}"),
            "{workflow}: run-name must carry the request id, got {run_name:?}"
        );
        assert!(
            yaml["concurrency"]["group"]
                .as_str()
                .is_some_and(|g| g.contains("inputs.environment")),
            "{workflow}: one run per environment at a time"
        );
    }
    let cleanup = workflow_file("ttl-cleanup.yml").expect("ttl-cleanup parses");
    assert_eq!(cleanup["on"]["schedule"][0]["cron"], "0 6 * * *");
    // Every other repository's action, in the workflows and in our own composite actions,
    // is pinned by commit; our own (`./…`) come with the commit that runs.
    let actions = std::fs::read_dir(repo().join(".github/actions"))
        .expect("composite actions")
        .map(|e| e.expect("entry").path().join("action.yml"));
    let workflows = std::fs::read_dir(repo().join(".github/workflows"))
        .expect("workflows")
        .map(|e| e.expect("entry").path());
    for path in workflows.chain(actions) {
        let text = std::fs::read_to_string(&path).expect("read");
        for line in text.lines().filter(|l| {
            l.trim_start().starts_with("- uses:") || l.trim_start().starts_with("uses:")
        }) {
            let target = line.split_once("uses:").map(|(_, t)| t.trim());
            if target.is_some_and(|t| t.starts_with("./")) {
                continue;
            }
            let reference = line.split('@').nth(1).unwrap_or_default();
            let sha = reference.split_whitespace().next().unwrap_or_default();
            assert!(
                sha.len() == 40 && sha.chars().all(|c| c.is_ascii_hexdigit()),
                "{}: `{}` is not pinned by commit",
                path.display(),
                line.trim()
            );
        }
    }
}

/// What provision.yml runs: plan at the instant of the request (not the runner's clock)
/// and refuse any digest but the confirmed one, writing nothing.
#[test]
fn the_runner_applies_only_the_confirmed_plan() {
    let s = Sandbox::new();
    let digest = plan_digest(&s);
    let request = "20261123T100000Z-0000abcd";
    let runner_clock = [("IDP_NOW", "2026-11-23T10:07:31Z")];
    let apply = |expect: &str| {
        s.run_with(
            &[
                "apply",
                SPEC,
                "--executor",
                "local",
                "--yes",
                "--request-id",
                request,
                "--expect-digest",
                expect,
            ],
            &runner_clock,
        )
    };

    let refused = apply("sha256:0000000000000000000000000000000000000000000000000000000000000000");
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.flat_stderr().contains(&format!(
            "refusing to apply `hello-gh`: its plan digest here is {digest}, not the confirmed sha256:0000"
        )),
        "{}",
        refused.flat_stderr()
    );
    assert!(!s.state().exists(), "nothing written");

    let applied = apply(&digest);
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    let record = crate::harness::record(&s, "hello-gh");
    assert_eq!(record["plan_digest"], digest.as_str());
    assert_eq!(
        record["created_at"], "2026-11-23T10:00:00Z",
        "the request's instant"
    );

    let bad = s.idp(&[
        "apply",
        SPEC,
        "--executor",
        "local",
        "--yes",
        "--request-id",
        "yesterday",
    ]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr
            .contains("`yesterday` is not a request id idp made"),
        "{}",
        bad.stderr
    );
}

#[test]
fn format_json_prints_the_plan_and_its_runs_as_one_document() {
    let s = Sandbox::new();
    let gh = start(Script {
        conclusion: "failure",
        ..Script::default()
    });
    let run = apply(&s, &gh, &["--format", "json"], TOKEN);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    assert_eq!(doc["environments"][0]["name"], "hello-gh");
    let handed = &doc["handoff"][0];
    assert_eq!(handed["environment"], "hello-gh");
    assert_eq!(handed["workflow"], "provision.yml");
    assert_eq!(handed["ref"], "main");
    assert_eq!(handed["run_id"], 4242);
    assert_eq!(handed["found_by"], "dispatch");
    assert_eq!(handed["conclusion"], "failure");
    assert_eq!(
        handed["html_url"],
        "https://github.com/acme/envs/actions/runs/4242"
    );
    assert!(
        handed["request_id"]
            .as_str()
            .is_some_and(|r| r.starts_with("20261123T100000Z-"))
    );
}

#[test]
fn run_here_with_the_github_executor_is_refused_before_github_is_asked() {
    let s = Sandbox::new();
    let gh = start(Script::default());
    let run = apply(&s, &gh, &["--run"], TOKEN);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let err = run.flat_stderr();
    assert!(err.contains("idp::lifecycle::run_with_handoff"), "{err}");
    assert!(
        err.contains("pass `--executor local` to apply here"),
        "{err}"
    );
    let seen = gh.seen.lock().expect("seen");
    assert!(seen.dispatches.is_empty() && seen.list_reads == 0 && seen.run_reads == 0);
    assert!(
        !s.state().join("environments").exists(),
        "nothing is recorded"
    );
}
