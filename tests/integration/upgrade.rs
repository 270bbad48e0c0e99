//! `idp upgrade` through the binary, with `demo`, a test template built from a real guest
//! crate (`tests/fixtures/upgrade/demo`) at 0.1.0 and then 0.2.0 into one team catalog:
//! an environment applied with 0.1.0 is marked by `idp list`, keeps 0.1.0 on a plain
//! re-apply, and moves to 0.2.0 only through `idp upgrade`, which shows the difference
//! first; a refusal (an answer of no, a policy's deny) leaves every file as it was.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::github::{Script, TOKEN, start};
use crate::harness::{Run, Sandbox, record, repo, tree};
use crate::serve::Server;

const NAME: &str = "demo-preview";

const SPEC: &str = "environment demo-preview {
    template demo
    owner \"you@acme.io\"
    team platform
    class preview
    region us-east-1
    ttl \"1d\"
    tags {
        cost-center platform
    }
    greeting \"hi\"
}
";

/// A catalog directory's files: relative path and bytes.
type Files = Vec<(String, Vec<u8>)>;

/// The team catalog after building 0.1.0, and after building 0.2.0 into it too; built
/// once per test run (two guest builds sharing the tests' guest target).
fn catalogs() -> &'static (Files, Files) {
    static BUILT: OnceLock<(Files, Files)> = OnceLock::new();
    BUILT.get_or_init(|| {
        let s = Sandbox::new();
        let ws = s.path().join("demo");
        let from = repo().join("tests/fixtures/upgrade/demo");
        let mut snapshots = Vec::new();
        for version in ["0.1.0", "0.2.0"] {
            // The lock file of the first build names the package at 0.1.0, and a build
            // with a lock file is `--locked`: the team would update it with the version.
            std::fs::remove_file(ws.join("Cargo.lock")).ok();
            for file in tree(&from) {
                let target = ws.join(file.trim_end_matches(".in"));
                std::fs::create_dir_all(target.parent().expect("parent")).expect("dir");
                let text = std::fs::read_to_string(from.join(&file)).expect("fixture");
                let sdk = repo().join("plugins/sdk").display().to_string();
                let text = text.replace("@SDK@", &sdk).replace("@VERSION@", version);
                std::fs::write(&target, text).expect("write");
            }
            let run = s.idp_guest(&["plugin", "build", &ws.display().to_string()], &[]);
            assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
            let catalog = ws.join("catalog");
            snapshots.push(
                tree(&catalog)
                    .into_iter()
                    .map(|f| {
                        let bytes = std::fs::read(catalog.join(&f)).expect("read");
                        (f, bytes)
                    })
                    .collect::<Files>(),
            );
        }
        let second = snapshots.pop().expect("0.2.0");
        let first = snapshots.pop().expect("0.1.0");
        (first, second)
    })
}

/// The platform team's catalog in `dir/team`: 0.1.0 only, or both versions with 0.2.0
/// marked breaking by hand, as a platform team would.
fn write_catalog(dir: &Path, released: bool) {
    let (first, second) = catalogs();
    let team = dir.join("team");
    if team.exists() {
        std::fs::remove_dir_all(&team).expect("rm");
    }
    for (file, bytes) in if released { second } else { first } {
        let path = team.join(file);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
        let mut bytes = bytes.clone();
        if released && file == "catalog.kdl" {
            let text = String::from_utf8(bytes).expect("utf-8");
            let marked = text.replacen(
                "modules hello\n}",
                "modules hello\n    breaking \"renames the greeting\"\n}",
                1,
            );
            assert!(marked.contains("version=\"0.2.0\""), "{marked}");
            assert!(
                marked.find("breaking") < marked.find("version=\"0.1.0\""),
                "the mark is on 0.2.0, listed first: {marked}"
            );
            bytes = marked.into_bytes();
        }
        std::fs::write(path, bytes).expect("write");
    }
}

/// A project (its own git checkout) using the team catalog, with `policy` in idp.kdl.
fn project(s: &Sandbox, policy: &str) -> PathBuf {
    let dir = s.path().join("project");
    std::fs::create_dir_all(dir.join(".git")).expect("git");
    write_catalog(&dir, false);
    std::fs::write(
        dir.join("idp.kdl"),
        format!("catalog path=\"team\"\n{policy}"),
    )
    .expect("idp.kdl");
    std::fs::write(dir.join("env.kdl"), SPEC).expect("spec");
    dir
}

fn finish(s: &Sandbox, out: Output) -> Run {
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: s.clean(&String::from_utf8_lossy(&out.stdout)),
        stderr: s.clean(&String::from_utf8_lossy(&out.stderr)),
    }
}

/// idp run from the project's directory, with `env`.
fn idp_in(s: &Sandbox, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = s.command(args);
    cmd.current_dir(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    finish(s, cmd.output().expect("idp runs"))
}

/// A project whose environment was applied with 0.1.0, after which 0.2.0 was released.
fn applied_then_released(s: &Sandbox, policy: &str) -> PathBuf {
    let dir = project(s, policy);
    let run = idp_in(s, &dir, &["apply", "env.kdl", "--yes"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(record(s, NAME)["template_version"], "0.1.0");
    write_catalog(&dir, true);
    dir
}

/// Every file of the state directory and the project, with its bytes.
fn everything(s: &Sandbox) -> Vec<(String, Vec<u8>)> {
    tree(s.path())
        .into_iter()
        .filter(|f| f.starts_with("state/") || f.starts_with("project/"))
        .map(|f| {
            let bytes = std::fs::read(s.path().join(&f)).expect("read");
            (f, bytes)
        })
        .collect()
}

fn list_json(s: &Sandbox, dir: &Path) -> Value {
    let run = idp_in(s, dir, &["list", "--format", "json"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).expect("list JSON")
}

const ADVISORY: &str = "policy max-monthly-cost enforcement=\"advisory\" {\n    limit {\n        preview 10\n    }\n}\n";

#[test]
fn an_environment_applied_with_0_1_0_is_upgraded_to_0_2_0() {
    let s = Sandbox::new();
    let dir = applied_then_released(&s, ADVISORY);

    let catalog = idp_in(&s, &dir, &["catalog", "list"], &[]);
    assert_eq!(catalog.code, 0, "{}", catalog.stderr);
    let versions: Vec<&str> = catalog
        .stdout
        .lines()
        .filter(|l| l.starts_with("template  demo "))
        .filter_map(|l| l.split_whitespace().nth(2))
        .collect();
    assert_eq!(versions, ["0.2.0", "0.1.0"], "each version, newest first");

    let list = idp_in(&s, &dir, &["list"], &[]);
    assert!(
        list.stdout.contains("demo 0.1.0 (upgrade: 0.2.0)"),
        "{}",
        list.stdout
    );
    assert_eq!(
        list_json(&s, &dir)["environments"][0]["newer_version"],
        "0.2.0"
    );

    // A plain re-apply keeps the recorded version, whatever the catalog's newest is.
    let again = idp_in(&s, &dir, &["apply", "env.kdl", "--yes"], &[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(record(&s, NAME)["template_version"], "0.1.0");

    let run = idp_in(&s, &dir, &["upgrade", NAME, "--yes"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("upgrade_diff", run.stdout);
    assert!(
        run.flat_stderr()
            .contains("warning: template `demo` 0.2.0 is marked breaking: renames the greeting"),
        "{}",
        run.stderr
    );
    let r = record(&s, NAME);
    assert_eq!(r["template_version"], "0.2.0");
    let workspace = std::fs::read_to_string(
        s.state()
            .join("environments")
            .join(NAME)
            .join("workspace.json"),
    )
    .expect("workspace.json");
    assert!(workspace.contains("module \\\"audit\\\""), "{workspace}");

    let list = idp_in(&s, &dir, &["list"], &[]);
    assert!(list.stdout.contains("demo 0.2.0  "), "{}", list.stdout);
    assert!(!list.stdout.contains("upgrade:"), "{}", list.stdout);
    assert_eq!(
        list_json(&s, &dir)["environments"][0]["newer_version"],
        Value::Null
    );
    let same = idp_in(&s, &dir, &["upgrade", NAME, "--yes"], &[]);
    assert_eq!(same.code, 0, "{}", same.stderr);
    assert_eq!(
        same.stdout,
        "`demo-preview` is already at template `demo` 0.2.0\n"
    );
}

#[test]
fn the_upgrade_as_json_says_what_changes() {
    let s = Sandbox::new();
    let dir = applied_then_released(&s, ADVISORY);
    let run = idp_in(
        &s,
        &dir,
        &[
            "upgrade", NAME, "--to", "0.2.0", "--yes", "--format", "json",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(doc["from"], "0.1.0");
    assert_eq!(doc["to"], "0.2.0");
    assert_eq!(doc["upgraded"], true);
    assert_eq!(doc["breaking"], "renames the greeting");
    assert_eq!(doc["spec_changed"], false);
    let calls: Vec<(&str, &str)> = doc["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .map(|c| {
            (
                c["call"].as_str().unwrap_or(""),
                c["change"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(calls, [("app", "changed"), ("audit", "added")]);
    let greeting = &doc["calls"][0]["variables"][0];
    assert_eq!(greeting["name"], "greeting");
    assert_eq!(greeting["before"], "hi");
    assert_eq!(greeting["after"], "hi!");
    assert_eq!(doc["monthly"]["before"], 0.0);
    assert!(
        doc["monthly"]["delta"].as_f64().is_some_and(|d| d > 10.0),
        "{doc}"
    );
    assert_eq!(
        doc["new_findings"][0]["rule"], "monthly-cost-above-limit",
        "{doc}"
    );
    assert_eq!(record(&s, NAME)["template_version"], "0.2.0");
}

#[test]
fn answering_no_leaves_everything_unchanged() {
    let s = Sandbox::new();
    let dir = applied_then_released(&s, "");
    let before = everything(&s);
    // A real terminal (script(1) gives idp one), answered `n`.
    let idp = s.command(&["upgrade", NAME]);
    let mut cmd = std::process::Command::new("script");
    let line = format!("{} upgrade {NAME}", env!("CARGO_BIN_EXE_idp"));
    cmd.args(["-qec", &line, "/dev/null"])
        .current_dir(&dir)
        .env_clear();
    for (k, v) in idp.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    let mut child = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("script runs");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(b"n\n").expect("answer");
    }
    let run = finish(&s, child.wait_with_output().expect("waits"));
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("upgrade `demo-preview` from template `demo` 0.1.0 to 0.2.0? [y/N]"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("not upgraded"), "{}", run.stdout);
    assert!(everything(&s) == before, "nothing written");
}

#[test]
fn a_policy_that_denies_the_new_version_refuses_the_upgrade() {
    let s = Sandbox::new();
    let deny = "policy max-monthly-cost {\n    limit {\n        preview 10\n    }\n}\n";
    let dir = applied_then_released(&s, deny);
    let before = everything(&s);
    let run = idp_in(&s, &dir, &["upgrade", NAME, "--yes"], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let err = run.flat_stderr();
    assert!(
        err.contains("max-monthly-cost/monthly-cost-above-limit"),
        "{err}"
    );
    assert!(err.contains("not upgraded: a policy denies it"), "{err}");
    assert!(everything(&s) == before, "nothing written");
}

#[test]
fn an_unknown_version_is_a_clear_error() {
    let s = Sandbox::new();
    let dir = applied_then_released(&s, "");
    let before = everything(&s);
    let run = idp_in(&s, &dir, &["upgrade", NAME, "--to", "9.9.9", "--yes"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let err = run.flat_stderr();
    assert!(err.contains("idp::upgrade::unknown_version"), "{err}");
    assert!(
        err.contains("template `demo` has no version `9.9.9` in the catalog"),
        "{err}"
    );
    assert!(
        err.contains("the catalog has `0.2.0`, `0.1.0`; pass one of them to `--to`"),
        "{err}"
    );
    assert!(everything(&s) == before, "nothing written");
}

#[test]
fn through_github_the_dispatch_carries_the_version() {
    let s = Sandbox::new();
    let dir = applied_then_released(&s, "");
    with_github_executor(&dir);
    let gh = start(Script::default());
    let url = gh.server.url();
    let env = [
        ("GITHUB_API_URL", url.as_str()),
        ("GH_TOKEN", TOKEN),
        ("IDP_GITHUB_POLL_MS", "10"),
        ("IDP_REQUESTED_BY", "alice"),
    ];
    let run = idp_in(
        &s,
        &dir,
        &["upgrade", NAME, "--yes", "--format", "json"],
        &env,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).expect("JSON");
    let seen = gh.seen.lock().expect("lock");
    let [(file, body)] = seen.dispatches.as_slice() else {
        panic!("one dispatch, got {:?}", seen.dispatches);
    };
    assert_eq!(file, "provision.yml");
    let inputs = &body["inputs"];
    assert_eq!(inputs["environment"], NAME);
    assert_eq!(inputs["spec"], "env.kdl");
    assert_eq!(inputs["template-version"], "0.2.0");
    assert_eq!(inputs["plan-digest"], doc["plan_digest"]);
    assert_eq!(
        record(&s, NAME)["template_version"],
        "0.1.0",
        "the runner records the upgrade, not the laptop"
    );
}

#[test]
fn a_spec_that_pins_the_version_is_not_upgraded_behind_its_back() {
    let s = Sandbox::new();
    let dir = project(&s, "");
    let pinned = SPEC.replace("template demo", "template demo version=\"0.1.0\"");
    std::fs::write(dir.join("env.kdl"), pinned).expect("spec");
    let run = idp_in(&s, &dir, &["apply", "env.kdl", "--yes"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    write_catalog(&dir, true);
    let before = everything(&s);
    let run = idp_in(&s, &dir, &["upgrade", NAME, "--yes"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let err = run.flat_stderr();
    assert!(err.contains("idp::upgrade::spec_pins_version"), "{err}");
    assert!(
        err.contains("`env.kdl` pins template `demo` to `0.1.0`; an upgrade cannot move it"),
        "{err}"
    );
    assert!(everything(&s) == before, "nothing written");
}

#[test]
fn a_recorded_version_the_catalog_dropped_points_at_upgrade() {
    let s = Sandbox::new();
    let dir = applied_then_released(&s, "");
    // The platform team drops 0.1.0 from the catalog.
    let index = dir.join("team/catalog.kdl");
    let text = std::fs::read_to_string(&index).expect("index");
    let kept: String = text
        .split_inclusive("}\n")
        .filter(|entry| !entry.contains("version=\"0.1.0\""))
        .collect();
    std::fs::write(&index, kept).expect("index");
    let run = idp_in(&s, &dir, &["plan", "env.kdl"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let err = run.flat_stderr();
    assert!(err.contains("idp::spec::template_version_gone"), "{err}");
    assert!(
        err.contains(
            "`demo-preview` was applied with template `demo` 0.1.0, which the catalog no longer has"
        ),
        "{err}"
    );
    assert!(
        err.contains("`idp upgrade demo-preview` moves it to a version the catalog has (0.2.0)"),
        "{err}"
    );
}

#[test]
fn the_api_and_the_portal_say_a_newer_version_is_in_the_catalog() {
    let s = Sandbox::new();
    let dir = applied_then_released(&s, ADVISORY);
    let server = serve_in(&s, &dir);

    let answer = server.get("/api/v1/environments/demo-preview");
    assert_eq!(answer.status, 200);
    let env = &answer.json()["environment"];
    assert_eq!(env["template_version"], "0.1.0");
    assert_eq!(env["newer_version"], "0.2.0", "{env}");
    let listed = server.get("/api/v1/environments").json();
    assert_eq!(listed["environments"][0]["newer_version"], "0.2.0");

    let template = server.get("/api/v1/catalog/templates/demo").json();
    let versions: Vec<(&str, &Value)> = template["template"]["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| (v["version"].as_str().unwrap_or(""), &v["breaking"]))
        .collect();
    assert_eq!(
        versions,
        [
            ("0.2.0", &Value::from("renames the greeting")),
            ("0.1.0", &Value::Null)
        ]
    );

    let page = |path: &str| {
        let answer = server.get(path);
        assert_eq!(answer.status, 200, "{path}");
        String::from_utf8_lossy(&answer.body).replace("&#x2f;", "/")
    };
    assert!(
        page("/environments")
            .contains("demo 0.1.0 <span class=\"upgrade\">(upgrade: 0.2.0)</span>"),
        "the list marks it"
    );
    assert!(
        page("/environments/demo-preview").contains(
            "version 0.2.0 is in the catalog: <a href=\"/environments/demo-preview/upgrade\" id=\"upgrade-link\">see what the upgrade changes</a>, or <code>idp upgrade demo-preview</code>"
        ),
        "the environment's page says how"
    );
    assert!(
        page("/catalog/demo")
            .contains("Versions kept: 0.2.0 (breaking: renames the greeting), 0.1.0."),
        "the template's page lists its versions"
    );

    // Once upgraded, nothing is marked.
    let run = idp_in(&s, &dir, &["upgrade", NAME, "--yes"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let env = server.get("/api/v1/environments/demo-preview").json();
    assert_eq!(env["environment"]["newer_version"], Value::Null);
}

#[test]
fn an_environment_being_destroyed_is_not_offered_an_upgrade() {
    let s = Sandbox::new();
    let dir = applied_then_released(&s, ADVISORY);
    let path = s.state().join("environments/demo-preview/metadata.json");
    let mut record: Value =
        serde_json::from_slice(&std::fs::read(&path).expect("record")).expect("JSON");
    record["status"] = "DESTROYING".into();
    std::fs::write(&path, serde_json::to_vec_pretty(&record).expect("JSON")).expect("write");

    let listed = list_json(&s, &dir);
    assert_eq!(listed["environments"][0]["status"], "DESTROYING");
    assert_eq!(listed["environments"][0]["newer_version"], Value::Null);
    let run = idp_in(&s, &dir, &["upgrade", NAME, "--yes"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("idp::upgrade::not_upgradable"),
        "{}",
        run.stderr
    );
}

/// `idp serve` in the project's directory (its idp.kdl, the team catalog).
fn serve_in(s: &Sandbox, dir: &Path) -> Server {
    let mut cmd = s.command(&["serve", "--listen", "127.0.0.1:0"]);
    cmd.current_dir(dir);
    Server::spawn(cmd)
}

fn post_json(server: &Server, path: &str, body: &Value) -> crate::serve::Answer {
    server.request(
        "POST",
        path,
        &[("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    )
}

#[test]
fn the_api_upgrades_exactly_what_its_preview_showed() {
    let s = Sandbox::new();
    let dir = applied_then_released(&s, ADVISORY);
    let server = serve_in(&s, &dir);
    let before = everything(&s);

    let preview = server.get("/api/v1/environments/demo-preview/upgrade");
    assert_eq!(
        preview.status,
        200,
        "{}",
        String::from_utf8_lossy(&preview.body)
    );
    let up = preview.json();
    assert_eq!(
        (up["from"].as_str(), up["to"].as_str()),
        (Some("0.1.0"), Some("0.2.0"))
    );
    assert_eq!(up["breaking"], "renames the greeting");
    assert_eq!(up["denied"], false);
    assert!(
        up["calls"].as_array().is_some_and(|c| !c.is_empty()),
        "{up}"
    );
    let digest = up["plan_digest"].as_str().expect("digest").to_owned();
    assert_eq!(everything(&s), before, "a preview writes nothing");

    let stale = json!({"to": "0.2.0", "plan_digest": "sha256:0000"});
    post_json(&server, "/api/v1/environments/demo-preview/upgrade", &stale)
        .problem(409, "idp::server::upgrade_changed");
    assert_eq!(everything(&s), before, "a refusal writes nothing");

    let confirmed = json!({"to": "0.2.0", "plan_digest": digest});
    let done = post_json(
        &server,
        "/api/v1/environments/demo-preview/upgrade",
        &confirmed,
    );
    assert_eq!(done.status, 200, "{}", String::from_utf8_lossy(&done.body));
    let doc = done.json();
    assert_eq!(doc["environment"]["template_version"], "0.2.0");
    assert_eq!(doc["environment"]["status"], "PENDING");
    assert_eq!(doc["environment"]["newer_version"], Value::Null);
    assert_eq!(record(&s, NAME)["template_version"], "0.2.0");
    assert_eq!(record(&s, NAME)["plan_digest"], digest.as_str());
    let history = server
        .get("/api/v1/environments/demo-preview/history")
        .json();
    assert!(
        history.to_string().contains("\"upgrade\""),
        "the upgrade is audited: {history}"
    );

    server
        .get("/api/v1/environments/demo-preview/upgrade")
        .problem(409, "idp::server::already_at");
    server
        .get("/api/v1/environments/demo-preview/upgrade?to=9.9.9")
        .problem(409, "idp::upgrade::unknown_version");
}

#[test]
fn the_portal_shows_the_upgrade_and_applies_it_on_confirmation() {
    let s = Sandbox::new();
    let dir = applied_then_released(&s, ADVISORY);
    let server = serve_in(&s, &dir);
    let page = server.get("/environments/demo-preview/upgrade");
    assert_eq!(page.status, 200);
    let html = String::from_utf8_lossy(&page.body).replace("&#x2f;", "/");
    assert!(html.contains("Template demo 0.1.0 → 0.2.0"), "{html}");
    assert!(
        html.contains("<strong>Marked breaking:</strong> renames the greeting"),
        "{html}"
    );
    assert!(html.contains("id=\"upgrade-button\""), "{html}");
    let digest = html
        .split("name=\"plan_digest\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the digest is in the form")
        .to_owned();
    assert!(digest.starts_with("sha256:"), "{digest}");

    let to = html
        .split("name=\"to\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the version is in the form")
        .to_owned();
    assert_eq!(to, "0.2.0", "the form posts the version shown");
    let form = format!("to={to}&plan_digest={}", digest.replace(':', "%3A"));
    let answer = server.request(
        "POST",
        "/environments/demo-preview/upgrade",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        form.as_bytes(),
    );
    assert_eq!(
        answer.status,
        303,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    assert_eq!(
        answer.header("location"),
        Some("/environments/demo-preview?done=upgraded")
    );
    assert_eq!(record(&s, NAME)["template_version"], "0.2.0");
    let after = server.get("/environments/demo-preview?done=upgraded");
    let html = String::from_utf8_lossy(&after.body);
    assert!(html.contains("demo-preview was upgraded."), "{html}");
    assert!(!html.contains("upgrade-link"), "nothing newer now");
}

#[test]
fn through_the_api_with_github_the_runner_gets_the_version() {
    let s = Sandbox::new();
    let dir = applied_then_released(&s, "");
    with_github_executor(&dir);
    let gh = start(Script::default());
    let mut cmd = s.command(&["serve", "--listen", "127.0.0.1:0"]);
    cmd.current_dir(&dir)
        .env("GITHUB_API_URL", gh.server.url())
        .env("GH_TOKEN", TOKEN);
    let server = Server::spawn(cmd);

    let up = server
        .get("/api/v1/environments/demo-preview/upgrade")
        .json();
    let digest = up["plan_digest"].as_str().expect("digest").to_owned();
    let confirmed = json!({"to": "0.2.0", "plan_digest": digest});
    let answer = post_json(
        &server,
        "/api/v1/environments/demo-preview/upgrade",
        &confirmed,
    );
    assert_eq!(
        answer.status,
        202,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let run_url = answer.json()["run"]["url"]
        .as_str()
        .expect("the run's page")
        .to_owned();
    let history = server
        .get("/api/v1/environments/demo-preview/history")
        .json()
        .to_string();
    assert!(
        history.contains(&run_url),
        "the audit names the run: {history}"
    );
    let seen = gh.seen.lock().expect("lock");
    let [(file, body)] = seen.dispatches.as_slice() else {
        panic!("one dispatch, got {:?}", seen.dispatches);
    };
    assert_eq!(file, "provision.yml");
    assert_eq!(body["inputs"]["template-version"], "0.2.0");
    assert_eq!(body["inputs"]["plan-digest"], digest.as_str());
    assert_eq!(
        record(&s, NAME)["template_version"],
        "0.1.0",
        "the runner records the upgrade, not the server"
    );
}

/// The project's idp.kdl hands changes to `acme/envs`'s workflows.
fn with_github_executor(dir: &Path) {
    std::fs::write(
        dir.join("idp.kdl"),
        "catalog path=\"team\"\nexecutor github {\n    repository \"acme/envs\"\n    ref \"main\"\n}\n",
    )
    .expect("idp.kdl");
}

#[test]
fn in_a_browser_the_upgrade_is_looked_at_then_applied() {
    use crate::webdriver::{Driver, browser_available, screenshots};
    if !browser_available() {
        return;
    }
    let s = Sandbox::new();
    let dir = applied_then_released(&s, ADVISORY);
    let server = serve_in(&s, &dir);
    let driver = Driver::start();
    let b = driver.session(&s.path().join("profile"));

    b.go(&format!("http://{}/environments/demo-preview", server.addr));
    assert!(
        b.text("#template")
            .contains("version 0.2.0 is in the catalog")
    );
    b.click("#upgrade-link");
    b.wait_text("#versions", |t| t.contains("0.1.0 → 0.2.0"));
    assert!(b.text("#breaking").contains("renames the greeting"));
    assert!(b.text("#calls").contains("changed"), "{}", b.text("#calls"));
    assert!(
        b.text("#new-findings")
            .contains("deny (advisory) monthly-cost-above-limit"),
        "{}",
        b.text("#new-findings")
    );
    b.screenshot(&screenshots().join("upgrade.png"));

    b.click("#upgrade-button");
    b.wait_text("#done", |t| t.contains("demo-preview was upgraded"));
    assert_eq!(b.text("#status"), "PENDING");
    assert!(
        b.text("#template").starts_with("demo 0.2.0"),
        "{}",
        b.text("#template")
    );
    assert_eq!(record(&s, NAME)["template_version"], "0.2.0");
}

#[test]
fn the_cli_audits_an_upgrade_as_the_server_does() {
    let s = Sandbox::new();
    let dir = applied_then_released(&s, ADVISORY);
    let run = idp_in(&s, &dir, &["upgrade", NAME, "--yes"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let log = std::fs::read_to_string(s.state().join("audit").join(format!("{NAME}.jsonl")))
        .expect("audit log");
    let last: Value = serde_json::from_str(log.lines().last().expect("an entry")).expect("JSON");
    assert_eq!(last["event"], "upgrade", "{last}");
    assert_eq!(last["from"], "0.1.0", "{last}");
    assert_eq!(last["to"], "0.2.0", "{last}");
    assert_eq!(last["team"], "platform", "{last}");
}

/// idp.kdl behind a trusted proxy: platform's developers, and viewers.
fn with_roles(dir: &Path) {
    std::fs::write(
        dir.join("idp.kdl"),
        "catalog path=\"team\"\nserver {\n    trusted-proxy \"127.0.0.1\"\n}\nrole \"developer\" group=\"team-platform\" team=\"platform\"\nrole \"viewer\" group=\"everyone\"\n",
    )
    .expect("idp.kdl");
}

const VIEWER: &[(&str, &str)] = &[
    ("X-Forwarded-Email", "vera@acme.io"),
    ("X-Forwarded-Groups", "everyone"),
];

const PLATFORM_DEV: &[(&str, &str)] = &[
    ("X-Forwarded-Email", "pat@acme.io"),
    ("X-Forwarded-Groups", "team-platform"),
];

#[test]
fn a_viewer_may_look_at_an_upgrade_and_nobody_may_move_it_to_a_team_they_cannot_change() {
    let s = Sandbox::new();
    let dir = applied_then_released(&s, "");
    with_roles(&dir);
    let server = serve_in(&s, &dir);
    let before = everything(&s);
    let path = "/api/v1/environments/demo-preview/upgrade";

    let preview = server.request("GET", path, VIEWER, b"");
    assert_eq!(
        preview.status,
        200,
        "{}",
        String::from_utf8_lossy(&preview.body)
    );
    let digest = preview.json()["plan_digest"]
        .as_str()
        .expect("digest")
        .to_owned();
    let body = json!({"to": "0.2.0", "plan_digest": digest}).to_string();
    let mut headers = VIEWER.to_vec();
    headers.push(("Content-Type", "application/json"));
    server
        .request("POST", path, &headers, body.as_bytes())
        .problem(403, "idp::server::forbidden");
    let page = server.request("GET", "/environments/demo-preview/upgrade", VIEWER, b"");
    let html = String::from_utf8_lossy(&page.body);
    assert!(!html.contains("id=\"upgrade-form\""), "{html}");
    assert!(
        html.contains("may look at this upgrade but not apply it"),
        "{html}"
    );
    assert_eq!(everything(&s), before, "nothing written");

    // Platform's developer, after the spec moved to payments: refused, not written.
    let spec = std::fs::read_to_string(dir.join("env.kdl")).expect("spec");
    std::fs::write(
        dir.join("env.kdl"),
        spec.replace("team platform", "team payments"),
    )
    .expect("spec");
    let before = everything(&s);
    let up = server.request("GET", path, PLATFORM_DEV, b"").json();
    let digest = up["plan_digest"].as_str().expect("digest").to_owned();
    let body = json!({"to": "0.2.0", "plan_digest": digest}).to_string();
    let mut headers = PLATFORM_DEV.to_vec();
    headers.push(("Content-Type", "application/json"));
    let refused = server
        .request("POST", path, &headers, body.as_bytes())
        .problem(403, "idp::server::forbidden");
    assert!(
        refused.to_string().contains("its spec now names a team"),
        "{refused}"
    );
    assert_eq!(everything(&s), before, "nothing written");
}
