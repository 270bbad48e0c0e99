//! `.github/actions/check`'s script, run as the action runs it: the install step against
//! a fake release directory (a tarball of this build's idp and its checksum), then the
//! check step in a repository of specs with its base branch checked out beside it, and a
//! fake GitHub API on 127.0.0.1 for the pull-request comment.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::harness::{Sandbox, repo};
use crate::local_http::{self, Request, Response};

const VERSION: &str = "9.9.9";
const TARGET: &str = "x86_64-unknown-linux-gnu";
const MARKER: &str = "<!-- idp-check: this comment is updated on each push -->";

fn script() -> PathBuf {
    repo().join(".github/actions/check/check.py")
}

/// `releases/v9.9.9/idp-9.9.9-TARGET.tar.gz` holding this build's idp, and its SHA-256.
fn fake_release(dir: &Path) -> String {
    let name = format!("idp-{VERSION}-{TARGET}");
    let stage = dir.join("stage").join(&name);
    std::fs::create_dir_all(&stage).expect("stage");
    std::fs::copy(env!("CARGO_BIN_EXE_idp"), stage.join("idp")).expect("copy idp");
    let releases = dir.join("releases").join(format!("v{VERSION}"));
    std::fs::create_dir_all(&releases).expect("releases");
    let archive = releases.join(format!("{name}.tar.gz"));
    let status = Command::new("sh")
        .arg("-c")
        .arg("tar -cf - -C \"$1\" \"$2\" | gzip -1 > \"$3\"")
        .args(["sh", &dir.join("stage").display().to_string(), &name])
        .arg(&archive)
        .status()
        .expect("tar");
    assert!(status.success());
    let digest = hex::encode(Sha256::digest(std::fs::read(&archive).expect("archive")));
    std::fs::write(
        archive.with_extension("gz.sha256"),
        format!("{digest}  {name}.tar.gz\n"),
    )
    .expect("checksum file");
    digest
}

/// The script with the sandbox's environment (idp's clock, caches, state) and `env`.
fn action(sandbox: &Sandbox, step: &str, cwd: &Path, env: &[(&str, String)]) -> (i32, String) {
    let mut cmd = sandbox.command_of(
        Path::new("python3"),
        &[&script().display().to_string(), step],
    );
    cmd.current_dir(cwd);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("python3 runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn runner_env(sandbox: &Sandbox) -> Vec<(&'static str, String)> {
    let p = |name: &str| sandbox.path().join(name).display().to_string();
    vec![
        ("RUNNER_TEMP", p("runner")),
        ("GITHUB_PATH", p("runner/github_path")),
        ("GITHUB_OUTPUT", p("runner/github_output")),
        ("GITHUB_STEP_SUMMARY", p("runner/summary.md")),
        ("IDP_RELEASES_URL", format!("file://{}", p("fake/releases"))),
    ]
}

/// A repository of specs: the head changes the TTL past what the base's `max-ttl`
/// allows and drops `max-ttl` from its own idp.kdl, which the action undoes.
fn repository(root: &Path) {
    let examples = repo().join("examples");
    let spec = std::fs::read_to_string(examples.join("orders-preview.kdl")).expect("spec");
    let config = std::fs::read_to_string(examples.join("idp.kdl")).expect("idp.kdl");
    std::fs::create_dir_all(root.join(".idp-base")).expect("base");
    std::fs::write(root.join(".idp-base/idp.kdl"), &config).expect("base config");
    std::fs::write(root.join(".idp-base/orders.kdl"), &spec).expect("base spec");
    let loosened = config.replace(
        "policy max-ttl {\n    preview \"14d\"\n    staging \"30d\"\n}\n",
        "",
    );
    assert_ne!(
        loosened, config,
        "examples/idp.kdl changed: update this test"
    );
    std::fs::write(root.join("idp.kdl"), loosened).expect("head config");
    std::fs::write(
        root.join("orders.kdl"),
        spec.replace("ttl \"7d\"", "ttl \"30d\""),
    )
    .expect("head spec");
}

fn pull_request_event(path: &Path, head: &str) {
    let event = json!({
        "pull_request": {"number": 7, "head": {"repo": {"full_name": head}}},
        "repository": {"full_name": "acme/specs"}
    });
    std::fs::write(path, event.to_string()).expect("event");
}

type Seen = Arc<Mutex<Vec<(String, String, Value)>>>;

/// GitHub's comments API: one unrelated comment and, when `existing`, the verdict's.
fn fake_github(existing: bool) -> (local_http::Server, Seen) {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let server = local_http::start(Arc::new(move |r: &Request| {
        let body = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        log.lock()
            .expect("log")
            .push((r.method.clone(), r.target.clone(), body));
        assert_eq!(r.header("authorization").as_deref(), Some("Bearer t0ken"));
        match (r.method.as_str(), r.path()) {
            ("GET", "/repos/acme/specs/issues/7/comments") => {
                let mut list = vec![json!({"id": 1, "body": "looks good"})];
                if existing {
                    list.push(json!({"id": 42, "body": format!("{MARKER}\nold verdict")}));
                }
                Response::json("200 OK", &Value::Array(list))
            }
            ("PATCH", "/repos/acme/specs/issues/comments/42") => {
                Response::json("200 OK", &json!({"id": 42}))
            }
            ("POST", "/repos/acme/specs/issues/7/comments") => {
                Response::json("201 Created", &json!({"id": 43}))
            }
            _ => Response::json("404 Not Found", &json!({"message": "Not Found"})),
        }
    }));
    (server, seen)
}

/// Installs the fake release and returns the PATH that holds it first.
fn install(sandbox: &Sandbox, digest: &str) -> String {
    let mut env = runner_env(sandbox);
    env.push(("INPUT_VERSION", format!("v{VERSION}")));
    env.push(("INPUT_SHA256", digest.to_owned()));
    let (code, out) = action(sandbox, "install", sandbox.path(), &env);
    assert_eq!(code, 0, "{out}");
    let added =
        std::fs::read_to_string(sandbox.path().join("runner/github_path")).expect("GITHUB_PATH");
    let bin = added.trim().to_owned();
    assert!(Path::new(&bin).join("idp").is_file(), "{bin}");
    format!("{bin}:{}", std::env::var("PATH").unwrap_or_default())
}

#[test]
fn action_refuses_a_release_whose_checksum_is_not_the_pinned_one() {
    let sandbox = Sandbox::new();
    std::fs::create_dir_all(sandbox.path().join("runner")).expect("runner");
    let digest = fake_release(&sandbox.path().join("fake"));
    let mut env = runner_env(&sandbox);
    env.push(("INPUT_VERSION", VERSION.to_owned()));
    env.push(("INPUT_SHA256", "0".repeat(64)));
    let (code, out) = action(&sandbox, "install", sandbox.path(), &env);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("::error::idp-{VERSION}-{TARGET}.tar.gz has SHA-256 {digest}, but {} is pinned: refusing to run it", "0".repeat(64))), "{out}");
    assert!(!sandbox.path().join("runner/idp-action/bin/idp").exists());
    assert!(!sandbox.path().join("runner/github_path").exists());

    // A version the action pins nothing for, and no `sha256`: refused before any download.
    env.retain(|(k, _)| *k != "INPUT_SHA256");
    let (code, out) = action(&sandbox, "install", sandbox.path(), &env);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "this action pins no checksum for idp-{VERSION}-{TARGET}.tar.gz"
        )),
        "{out}"
    );
}

#[test]
fn action_checks_against_the_base_and_updates_its_one_comment() {
    let sandbox = Sandbox::new();
    std::fs::create_dir_all(sandbox.path().join("runner")).expect("runner");
    let digest = fake_release(&sandbox.path().join("fake"));
    let path = install(&sandbox, &digest);
    let root = sandbox.path().join("specs");
    repository(&root);
    let event = sandbox.path().join("event.json");
    pull_request_event(&event, "acme/specs");
    let (github, seen) = fake_github(true);

    let mut env = runner_env(&sandbox);
    env.extend([
        ("PATH", path.clone()),
        ("INPUT_PATHS", ".".to_owned()),
        ("INPUT_CONFIG", "idp.kdl".to_owned()),
        ("INPUT_BASE", ".idp-base".to_owned()),
        ("INPUT_TOKEN", "t0ken".to_owned()),
        ("INPUT_COMMENT", "true".to_owned()),
        ("GITHUB_REPOSITORY", "acme/specs".to_owned()),
        ("GITHUB_EVENT_PATH", event.display().to_string()),
        ("GITHUB_API_URL", github.url()),
    ]);
    let (code, out) = action(&sandbox, "run", &root, &env);
    assert_eq!(
        code, 0,
        "the script reports, the action's last step fails: {out}"
    );
    assert!(
        out.contains("::warning::idp.kdl differs from the base branch's; using the base branch's"),
        "{out}"
    );
    let outputs =
        std::fs::read_to_string(sandbox.path().join("runner/github_output")).expect("outputs");
    assert!(
        outputs.contains("exit-code=1\n"),
        "the base's max-ttl denies: {outputs}\n{out}"
    );
    assert!(outputs.contains("sarif="), "{outputs}");
    let sarif: Value = serde_json::from_str(
        &std::fs::read_to_string(sandbox.path().join("runner/idp.sarif")).expect("sarif"),
    )
    .expect("SARIF is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    let summary =
        std::fs::read_to_string(sandbox.path().join("runner/summary.md")).expect("summary");
    assert!(summary.contains("max-ttl"), "{summary}");

    let seen = seen.lock().expect("seen").clone();
    let methods: Vec<&str> = seen.iter().map(|(m, _, _)| m.as_str()).collect();
    assert_eq!(methods, ["GET", "PATCH"], "{seen:?}");
    let body = seen[1].2["body"].as_str().unwrap_or_default();
    assert!(
        body.starts_with(MARKER) && body.contains("max-ttl"),
        "{body}"
    );
    assert_eq!(body.trim_start_matches(MARKER).trim(), summary.trim());

    // The first push of a pull request adds the comment; a fork's only writes the summary.
    let (github, seen) = fake_github(false);
    let at = env
        .iter()
        .position(|(k, _)| *k == "GITHUB_API_URL")
        .expect("api");
    env[at].1 = github.url();
    let (code, out) = action(&sandbox, "run", &root, &env);
    assert_eq!(code, 0, "{out}");
    let methods: Vec<String> = seen
        .lock()
        .expect("seen")
        .iter()
        .map(|(m, _, _)| m.clone())
        .collect();
    assert_eq!(methods, ["GET", "POST"]);

    pull_request_event(&event, "someone/specs-fork");
    let (github, seen) = fake_github(true);
    env[at].1 = github.url();
    let (code, out) = action(&sandbox, "run", &root, &env);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("a pull request from someone/specs-fork: its token cannot comment"),
        "{out}"
    );
    assert!(seen.lock().expect("seen").is_empty());
}
