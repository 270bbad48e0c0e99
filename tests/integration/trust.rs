//! The trust boundary through the binary: the organisation's configuration holds
//! against a nested one, and the process behaves when its output goes away
//! (docs/security.md).

use std::path::PathBuf;
use std::process::Stdio;

use crate::harness::{Sandbox, repo};

/// A repository whose root `idp.kdl` (the organisation's) caps preview TTLs at 14 days,
/// with a team directory holding a spec that asks for 30.
fn repository(s: &Sandbox) -> PathBuf {
    let root = s.path().join("repo");
    std::fs::create_dir_all(root.join(".git")).expect("repository root");
    std::fs::create_dir_all(root.join("specs/team")).expect("mkdir");
    std::fs::write(
        root.join("idp.kdl"),
        "policy max-ttl {\n    preview \"14d\"\n}\n",
    )
    .expect("org idp.kdl");
    let spec = std::fs::read_to_string(repo().join("examples/orders-preview.kdl"))
        .expect("example")
        .replace("ttl \"7d\"", "ttl \"30d\"");
    std::fs::write(root.join("specs/team/env.kdl"), spec).expect("spec");
    root
}

#[test]
fn a_nested_idp_kdl_cannot_disable_the_organisations_policies() {
    let s = Sandbox::new();
    let root = repository(&s);
    let team = root.join("specs/team");
    let check = |s: &Sandbox| s.idp(&["check", &team.display().to_string(), "--format", "json"]);

    // With no nested file, the organisation's max-ttl denies the spec.
    let run = check(&s);
    assert_eq!(run.code, 1, "{}", run.stderr);

    // A nested file that only adds a policy leaves the organisation's in force.
    std::fs::write(team.join("idp.kdl"), "policy naming\n").expect("nested");
    let run = check(&s);
    assert_eq!(run.code, 1, "still denied: {}", run.stdout);
    assert!(run.stdout.contains("ttl-above-maximum"), "{}", run.stdout);

    // One that loosens it, or moves the state, is refused at its lines, and changes nothing.
    std::fs::write(
        team.join("idp.kdl"),
        "policy max-ttl {\n    preview \"90d\"\n}\nstate \"local\" { path \"elsewhere\" }\n",
    )
    .expect("nested");
    let run = s.idp(&["plan", &team.join("env.kdl").display().to_string()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let err = run.flat_stderr();
    assert!(
        err.contains(
            "policy `max-ttl` is configured by `[SANDBOX]/repo/idp.kdl`; a nested configuration cannot change it"
        ),
        "{err}"
    );
    assert!(
        err.contains("only the organisation's configuration") && err.contains("may set `state`"),
        "{err}"
    );
    assert!(!team.join("elsewhere").exists());

    // Delegated by the organisation, the same settings are accepted.
    std::fs::write(
        root.join("idp.kdl"),
        "policy max-ttl {\n    preview \"14d\"\n}\ndelegate {\n    policy max-ttl\n}\n",
    )
    .expect("org idp.kdl");
    std::fs::write(
        team.join("idp.kdl"),
        "policy max-ttl {\n    preview \"90d\"\n}\n",
    )
    .expect("nested");
    let run = check(&s);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
}

/// Runs idp with the read end of stdout or stderr closed before it writes.
fn with_closed(s: &Sandbox, args: &[&str], stderr: bool) -> (i32, String) {
    let mut child = s
        .command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("idp starts");
    let mut rest = String::new();
    if stderr {
        drop(child.stderr.take());
        if let Some(mut out) = child.stdout.take() {
            std::io::Read::read_to_string(&mut out, &mut rest).ok();
        }
    } else {
        drop(child.stdout.take());
        if let Some(mut err) = child.stderr.take() {
            std::io::Read::read_to_string(&mut err, &mut rest).ok();
        }
    }
    let status = child.wait().expect("idp ends");
    (status.code().unwrap_or(-1), rest)
}

#[test]
fn a_closed_pipe_is_not_a_crash() {
    let s = Sandbox::new();
    let bad = s.path().join("bad.kdl");
    std::fs::write(
        &bad,
        "environment x {\n    template api-service\n    region 12\n}\n",
    )
    .expect("spec");
    // `idp plan bad.kdl 2>&1 | head -0`: the error cannot be written, the exit code stays.
    let (code, stdout) = with_closed(&s, &["plan", &bad.display().to_string()], true);
    assert_eq!(code, 2, "{stdout}");
    // `idp catalog list | head -0`: the data cannot be written; no panic on stderr.
    let (code, stderr) = with_closed(&s, &["catalog", "list"], false);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// The names of a workflow's steps, in order, and what each `uses`.
fn steps(workflow: &str) -> Vec<(String, String)> {
    let text =
        std::fs::read_to_string(repo().join(".github/workflows").join(workflow)).expect("workflow");
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).expect("YAML");
    let jobs = doc["jobs"].as_mapping().expect("jobs");
    jobs.values()
        .flat_map(|job| job["steps"].as_sequence().cloned().unwrap_or_default())
        .map(|step| {
            let field = |k: &str| step[k].as_str().unwrap_or_default().to_owned();
            (field("name"), field("uses"))
        })
        .collect()
}

#[test]
fn workflows_take_the_organisations_idp_kdl_from_the_default_branch() {
    let position = |steps: &[(String, String)], wanted: &dyn Fn(&(String, String)) -> bool| {
        steps.iter().position(wanted)
    };
    for workflow in [
        "provision.yml",
        "destroy.yml",
        "ttl-cleanup.yml",
        "policy-check.yml",
    ] {
        let steps = steps(workflow);
        let org = position(&steps, &|(_, uses)| uses == "./.github/actions/org-config")
            .unwrap_or_else(|| panic!("{workflow} does not use the org-config action"));
        let first_idp = position(&steps, &|(name, _)| {
            name.starts_with("idp ") || name == "Install idp"
        })
        .unwrap_or_else(|| panic!("{workflow} runs no idp"));
        assert!(
            org < first_idp,
            "{workflow}: the organisation's idp.kdl comes first"
        );
        if let Some(aws) = position(&steps, &|(_, uses)| {
            uses.starts_with("aws-actions/configure-aws-credentials@")
        }) {
            let guard = position(&steps, &|(name, _)| {
                name.starts_with("Only the default branch")
            })
            .unwrap_or_else(|| panic!("{workflow} gets AWS credentials on any branch"));
            assert!(
                guard < aws,
                "{workflow}: the branch is checked before the credentials"
            );
        }
    }
}

#[test]
fn escape_sequences_from_a_spec_never_reach_the_terminal() {
    let s = Sandbox::new();
    let dir = s.path().join("project");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("idp.kdl"), "policy max-ttl\n").expect("idp.kdl");
    let spec = std::fs::read_to_string(repo().join("examples/orders-preview.kdl"))
        .expect("example")
        .replace("region us-east-1", "region \"us-east-1\\u{1b}[2J\"");
    std::fs::write(dir.join("env.kdl"), spec).expect("spec");
    let run = s.idp(&["plan", &dir.join("env.kdl").display().to_string()]);
    assert!(
        !run.stdout.contains('\u{1b}') && !run.stderr.contains('\u{1b}'),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    assert!(
        run.stdout.contains("us-east-1\\u{1b}[2J") || run.stderr.contains("us-east-1\\u{1b}[2J"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
}

#[test]
fn an_endless_spec_is_read_only_up_to_the_limit() {
    let s = Sandbox::new();
    // `/dev/zero` never ends: read whole, it would fill the memory.
    let run = s.idp(&["validate", "/dev/zero"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.flat_stderr()
            .contains("more than the limit of 1048576 bytes (1 MiB)"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_problem_far_along_a_long_line_is_reported_not_a_crash() {
    let s = Sandbox::new();
    let dir = s.path().join("project");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("idp.kdl"), "policy max-ttl\n").expect("idp.kdl");
    // One line, the problem at column ~70,000: past what miette can pad to.
    let spec = format!(
        "environment long {{ template api-service; owner \"{}@acme.io\"; team t; class preview; region us-east-1; ttl \"7d\"; tags {{ cost-center c; }}; service {{ image \"x:1\"; cpu 256; memory 512; }}; bogus-input 1; }}\n",
        "a".repeat(70_000)
    );
    std::fs::write(dir.join("env.kdl"), spec).expect("spec");
    let run = s.idp(&["validate", &dir.join("env.kdl").display().to_string()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(
        run.flat_stderr().contains("the line is too long to show"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_organisations_policies_hold_when_idp_runs_inside_a_team_folder() {
    let s = Sandbox::new();
    let root = repository(&s);
    let team = root.join("specs/team");
    std::fs::write(team.join("idp.kdl"), "policy naming\n").expect("nested");
    // `idp check .` from the team's folder: the path is relative, and the walk up to the
    // repository root must not stop at the working directory.
    let out = s
        .command(&["check", ".", "--format", "json"])
        .current_dir(&team)
        .output()
        .expect("idp runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("ttl-above-maximum"), "{stdout}");
}
