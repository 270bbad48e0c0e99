//! `.pre-commit-hooks.yaml` with the real `pre-commit` (PyPI, pinned, installed by
//! `.ci/run`, which sets `IDP_TEST_PRE_COMMIT`): a throw-away repository of specs uses
//! idp's hooks by path, and `pre-commit run --all-files` passes on good specs and fails
//! on a bad one.
//!
//! The hooks repository is a copy: a fresh git repository holding the working tree's
//! `.pre-commit-hooks.yaml`, committed, so what is tested is the file as it is now, not
//! as some commit of this repository had it.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::{Sandbox, repo};

/// `pre-commit` from `IDP_TEST_PRE_COMMIT`; `None` (the test skips, loudly) outside CI.
fn pre_commit() -> Option<PathBuf> {
    let Some(path) = std::env::var_os("IDP_TEST_PRE_COMMIT") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs pre-commit (.ci/run installs it and sets IDP_TEST_PRE_COMMIT)"
        );
        eprintln!(
            "SKIPPED: pre-commit is not installed; set IDP_TEST_PRE_COMMIT to a pre-commit \
             binary (pip install pre-commit==4.7.0) to run the hooks test"
        );
        return None;
    };
    Some(PathBuf::from(path))
}

/// A command with the sandbox's environment (HOME, XDG dirs, state, clock), the idp
/// under test first on PATH, and pre-commit's cache in the sandbox.
fn sandboxed(s: &Sandbox, program: &Path, dir: &Path) -> Command {
    let base = s.command(&[]);
    let mut cmd = Command::new(program);
    cmd.env_clear().current_dir(dir);
    for (key, value) in base.get_envs() {
        if let Some(value) = value {
            cmd.env(key, value);
        }
    }
    let idp_dir = Path::new(env!("CARGO_BIN_EXE_idp"))
        .parent()
        .expect("bin dir");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![idp_dir.to_path_buf()];
    dirs.extend(std::env::split_paths(&path));
    cmd.env("PATH", std::env::join_paths(dirs).expect("PATH"))
        .env("PRE_COMMIT_HOME", s.path().join("pre-commit-home"))
        .env("GIT_AUTHOR_NAME", "idp test")
        .env("GIT_AUTHOR_EMAIL", "test@example.invalid")
        .env("GIT_COMMITTER_NAME", "idp test")
        .env("GIT_COMMITTER_EMAIL", "test@example.invalid");
    cmd
}

fn run(cmd: &mut Command) -> (i32, String) {
    let out = cmd.output().expect("runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn git(s: &Sandbox, dir: &Path, args: &[&str]) -> String {
    let (code, text) = run(sandboxed(s, Path::new("git"), dir).args(args));
    assert_eq!(code, 0, "git {args:?}: {text}");
    text
}

/// A git repository holding this tree's hooks file, committed; its HEAD.
fn hooks_repository(s: &Sandbox) -> (PathBuf, String) {
    let dir = s.path().join("idp-hooks");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::copy(
        repo().join(".pre-commit-hooks.yaml"),
        dir.join(".pre-commit-hooks.yaml"),
    )
    .expect("copy the hooks file");
    git(s, &dir, &["init", "-q"]);
    git(s, &dir, &["add", ".pre-commit-hooks.yaml"]);
    git(s, &dir, &["commit", "-q", "-m", "hooks"]);
    let head = git(s, &dir, &["rev-parse", "HEAD"]).trim().to_owned();
    (dir, head)
}

/// A repository of specs using the three hooks, with its idp.kdl and one example spec
/// staged.
fn specs_repository(s: &Sandbox, hooks: &Path, rev: &str) -> PathBuf {
    let dir = s.path().join("specs");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let config = format!(
        "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: idp-fmt\n      - id: idp-validate\n      - id: idp-check\n",
        hooks.display()
    );
    std::fs::write(dir.join(".pre-commit-config.yaml"), config).expect("config");
    std::fs::write(
        dir.join("idp.kdl"),
        "policy required-tags {\n    required cost-center\n}\npolicy max-ttl\n",
    )
    .expect("idp.kdl");
    std::fs::copy(
        repo().join("examples/orders-preview.kdl"),
        dir.join("orders-preview.kdl"),
    )
    .expect("copy a spec");
    git(s, &dir, &["init", "-q"]);
    git(s, &dir, &["add", "."]);
    dir
}

#[test]
fn pre_commit_runs_the_hooks_and_fails_on_a_bad_spec() {
    let Some(pre_commit) = pre_commit() else {
        return;
    };
    let s = Sandbox::new();
    let (hooks, rev) = hooks_repository(&s);
    let specs = specs_repository(&s, &hooks, &rev);
    let all_files = ["run", "--all-files", "--color", "never"];

    let (code, text) = run(sandboxed(&s, &pre_commit, &specs).args(all_files));
    assert_eq!(code, 0, "{text}");
    for hook in ["idp fmt", "idp validate", "idp check"] {
        assert!(
            text.lines()
                .any(|l| l.starts_with(hook) && l.ends_with("Passed")),
            "{hook}: {text}"
        );
    }

    std::fs::write(
        specs.join("broken.kdl"),
        "environment broken {\n    template api-service\n    owner \"alice@acme.io\"\n    region us-east-1\n    color blue\n}\n",
    )
    .expect("write a bad spec");
    git(&s, &specs, &["add", "broken.kdl"]);
    let (code, text) = run(sandboxed(&s, &pre_commit, &specs).args(all_files));
    assert_eq!(code, 1, "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("idp validate") && l.ends_with("Failed")),
        "{text}"
    );
    assert!(text.contains("broken.kdl"), "{text}");
}
