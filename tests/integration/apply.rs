//! `idp apply`, `list`, `show`, `destroy` on the local executor: confirmation, state,
//! the lifecycle, and that bad input changes nothing on disk.

use crate::harness::{Sandbox, record, tree};

/// Every file under `dir` with its bytes.
fn contents(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    tree(dir)
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(dir.join(&f)).unwrap_or_default();
            (f, bytes)
        })
        .collect()
}

#[test]
fn applying_an_unchanged_spec_twice_keeps_digest_and_created_at() {
    let s = Sandbox::new();
    let first = s.idp(&["apply", "examples/orders-preview.kdl", "--yes"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let r1 = record(&s, "orders-preview");
    assert_eq!(r1["status"], "PENDING");
    assert_eq!(r1["created_at"], "2026-11-23T10:00:00Z");

    // A day later: created-at comes from state, not the clock, so nothing changes.
    let second = s.run_with(
        &["apply", "examples/orders-preview.kdl", "--yes"],
        &[("IDP_NOW", "2026-11-24T10:00:00Z")],
    );
    assert_eq!(second.code, 0, "{}", second.stderr);
    let r2 = record(&s, "orders-preview");
    assert_eq!(r2["plan_digest"], r1["plan_digest"]);
    assert_eq!(r2["created_at"], "2026-11-23T10:00:00Z");
    assert_eq!(r2["expires_at"], "2026-11-30T10:00:00Z");
    assert_eq!(r2["updated_at"], "2026-11-24T10:00:00Z");

    let files = tree(&s.state().join("environments/orders-preview"));
    for expected in [
        "main.tf",
        "terraform.tfvars.json",
        "metadata.json",
        "modules/ecs-service/main.tf",
        "modules/networking/main.tf",
        "modules/common/main.tf",
    ] {
        assert!(
            files.iter().any(|f| f == expected),
            "{expected} missing from {files:?}"
        );
    }
    assert!(
        !files.iter().any(|f| f.ends_with(".tmp")),
        "no temp files left: {files:?}"
    );
    assert!(
        second.stderr.contains("tofu -chdir="),
        "says what the workflow would run: {}",
        second.stderr
    );
}

#[test]
fn the_workspace_matches_the_plan() {
    let s = Sandbox::new();
    assert_eq!(
        s.idp(&["apply", "examples/orders-preview.kdl", "--yes"])
            .code,
        0
    );
    let dir = s.state().join("environments/orders-preview");
    let main_tf = std::fs::read_to_string(dir.join("main.tf")).expect("main.tf");
    insta::assert_snapshot!(main_tf);
    let tfvars: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("terraform.tfvars.json")).expect("tfvars"),
    )
    .expect("JSON");
    assert_eq!(tfvars["service"]["cpu"], 512);
    assert_eq!(
        tfvars["common"]["tags"]["idp:expires-at"],
        "2026-11-30T10:00:00Z"
    );
}

#[test]
fn without_a_terminal_apply_refuses_unless_told_yes() {
    let s = Sandbox::new();
    let run = s.idp(&["apply", "examples/orders-preview.kdl"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("pass `--yes`"), "{}", run.stderr);
    assert!(
        !s.state()
            .join("environments/orders-preview/metadata.json")
            .exists(),
        "nothing recorded"
    );
}

#[test]
fn bad_input_changes_nothing_on_disk() {
    let s = Sandbox::new();
    assert_eq!(
        s.idp(&["apply", "examples/orders-preview.kdl", "--yes"])
            .code,
        0
    );
    let before = contents(&s.state());
    for bad in [
        "tests/ui/cpu-not-integer.kdl",
        "tests/ui/unquoted-ttl.kdl",
        "tests/ui/ttl-above-maximum.kdl",
    ] {
        let run = s.idp(&["apply", bad, "--yes"]);
        assert!(run.code == 1 || run.code == 2, "{bad}: {}", run.code);
    }
    let after = contents(&s.state());
    assert!(before == after, "state changed after rejected applies");
}

#[test]
fn a_locked_environment_is_not_applied_twice_at_once() {
    let s = Sandbox::new();
    let dir = s.state().join("environments/orders-preview");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let lock = std::fs::File::create(dir.join(".lock")).expect("lock file");
    lock.try_lock().expect("the test holds the lock");
    let run = s.idp(&["apply", "examples/orders-preview.kdl", "--yes"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("environment `orders-preview` is locked by another idp process"),
        "{}",
        run.stderr
    );
    assert!(!dir.join("metadata.json").exists());
}

#[test]
fn list_show_and_destroy_follow_the_lifecycle() {
    let s = Sandbox::new();
    assert_eq!(
        s.idp(&["apply", "examples/checkout-envs.kdl", "--yes"])
            .code,
        0
    );
    let list = s.idp(&["list"]);
    insta::assert_snapshot!(list.stdout);
    let json: serde_json::Value =
        serde_json::from_str(&s.idp(&["list", "--format", "json"]).stdout).expect("JSON");
    assert_eq!(json["environments"].as_array().map(Vec::len), Some(2));

    let show = s.idp(&["show", "checkout-review", "--format", "json"]);
    let r: serde_json::Value = serde_json::from_str(&show.stdout).expect("JSON");
    assert_eq!(
        r["expires_at"], "2026-11-24T22:00:00Z",
        "36h after creation"
    );

    let destroy = s.idp(&["destroy", "checkout-review", "--yes"]);
    assert_eq!(destroy.code, 0, "{}", destroy.stderr);
    assert_eq!(record(&s, "checkout-review")["status"], "DESTROYED");
    let unknown = s.idp(&["show", "nope"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown
            .stderr
            .contains("`idp list` shows the recorded environments")
    );
}
