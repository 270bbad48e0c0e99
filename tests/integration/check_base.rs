//! One verdict per pull request (issue 16, item 5): `idp check --base DIR` checks only
//! the specs that differ from the base checkout, or every spec when what judges them (an
//! idp.kdl, a catalog, the price book) differs, and its markdown gives each changed
//! environment's findings, expiry and cost delta, and whether the change may merge.

use std::path::{Path, PathBuf};

use crate::harness::{Run, Sandbox, repo};

const FIXTURES: &str = "tests/fixtures/check-base";

/// `idp ARGS` run in `dir` (the pull request's checkout).
fn idp_in(s: &Sandbox, dir: &Path, args: &[&str]) -> Run {
    let out = s.command(args).current_dir(dir).output().expect("idp runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: s.clean(&String::from_utf8_lossy(&out.stdout)),
        stderr: s.clean(&String::from_utf8_lossy(&out.stderr)),
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read fixture").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Both sides copied into the sandbox, so a test may change one.
fn sides(s: &Sandbox) -> (PathBuf, PathBuf) {
    let (head, base) = (s.path().join("head"), s.path().join("base"));
    copy_tree(&repo().join(FIXTURES).join("head"), &head);
    copy_tree(&repo().join(FIXTURES).join("base"), &base);
    (head, base)
}

#[test]
fn only_the_changed_spec_is_reported_with_its_cost_delta_and_a_verdict() {
    let s = Sandbox::new();
    let head = repo().join(FIXTURES).join("head");
    let run = idp_in(
        &s,
        &head,
        &["check", "--base", "../base", "--format", "markdown"],
    );
    assert_eq!(run.code, 1, "a deny finding fails: {}", run.stderr);
    assert!(
        !run.stdout.contains("thumbnails"),
        "unchanged: {}",
        run.stdout
    );
    insta::assert_snapshot!("check_base_markdown", run.stdout);

    // The other formats check the changed specs only, too.
    let json = idp_in(
        &s,
        &head,
        &["check", "--base", "../base", "--format", "json"],
    );
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    let files: Vec<&str> = v["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    assert_eq!(files, ["./specs/orders.kdl"], "{}", json.stdout);
}

#[test]
fn an_unchanged_pull_request_may_merge_and_reports_no_environment() {
    let s = Sandbox::new();
    let (head, base) = sides(&s);
    std::fs::copy(base.join("specs/orders.kdl"), head.join("specs/orders.kdl")).expect("copy");
    let run = idp_in(
        &s,
        &head,
        &["check", "--base", "../base", "--format", "markdown"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("0 changed environment(s) in 0 changed spec(s)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("**May merge**"), "{}", run.stdout);
}

#[test]
fn a_changed_idp_kdl_reports_every_spec_and_names_it() {
    let s = Sandbox::new();
    let (head, base) = sides(&s);
    let config = base.join("idp.kdl");
    let text = std::fs::read_to_string(&config).expect("idp.kdl");
    std::fs::write(&config, text.replace("\"14d\"", "\"60d\"")).expect("write");
    let run = idp_in(
        &s,
        &head,
        &["check", "--base", "../base", "--format", "markdown"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("2 changed environment(s) in 2 changed spec(s)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("#### `thumbnails-preview` in `specs/thumbnails.kdl` (what judges it changed: `idp.kdl`)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("(spec edited)"), "{}", run.stdout);
}

#[test]
fn a_base_that_is_not_a_directory_is_a_usage_error() {
    let s = Sandbox::new();
    let head = repo().join(FIXTURES).join("head");
    let run = idp_in(&s, &head, &["check", "--base", "../nowhere"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("idp::usage::base_dir"),
        "{}",
        run.stderr
    );
}
