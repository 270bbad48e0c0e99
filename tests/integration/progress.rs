//! Progress on long work (issue 18, item 7): `idp check` draws a bar when stderr is a
//! terminal (a pseudo-terminal from util-linux `script` here), and nothing when it is
//! not one or with `--quiet`; `--stats` is the one switch for timings, with `--base`
//! too, where the report and the summary are written by one path.

use std::path::Path;
use std::process::Command;

use crate::harness::{Sandbox, repo};

/// What the bar shows before its count.
const BAR: &str = "checking [";

/// `idp ARGS` in `dir` with stdin, stdout and stderr on a pseudo-terminal; everything
/// the terminal received, and the exit code.
fn on_a_terminal(s: &Sandbox, dir: &Path, args: &[&str]) -> (i32, String) {
    let quote = |a: &str| format!("'{}'", a.replace('\'', r"'\''"));
    let line: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_idp"))
        .chain(args.iter().copied())
        .map(quote)
        .collect();
    let base = s.command(&[]);
    let mut cmd = Command::new("script");
    cmd.env_clear().current_dir(dir);
    for (key, value) in base.get_envs() {
        if let Some(value) = value {
            cmd.env(key, value);
        }
    }
    // indicatif draws nothing when TERM is unset or `dumb`, as the sandbox leaves it.
    let out = cmd
        .env("TERM", "xterm")
        .args(["-qefc", &line.join(" "), "/dev/null"])
        .output()
        .expect("script runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn check_draws_a_bar_on_a_terminal_only_and_not_with_quiet() {
    let s = Sandbox::new();
    let (code, shown) = on_a_terminal(&s, &repo(), &["check", "examples/"]);
    assert!(shown.contains(BAR), "exit {code}: {shown}");

    let (_, quiet) = on_a_terminal(&s, &repo(), &["check", "examples/", "--quiet"]);
    assert!(!quiet.contains(BAR), "{quiet}");

    let piped = s.idp(&["check", "examples/"]);
    assert!(!piped.stderr.contains(BAR), "{}", piped.stderr);
    assert!(!piped.stderr.contains('\r'), "{}", piped.stderr);
}

#[test]
fn check_against_a_base_honours_stats_and_summary() {
    let s = Sandbox::new();
    let head = repo().join("tests/fixtures/check-base/head");
    let summary = s.path().join("summary.md");
    let summary_arg = summary.display().to_string();
    let out = s
        .command(&[
            "check",
            "--base",
            "../base",
            "--format",
            "markdown",
            "--stats",
            "--summary",
            &summary_arg,
        ])
        .current_dir(&head)
        .output()
        .expect("idp runs");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(1), "a deny finding fails: {stderr}");
    assert!(stderr.contains("policies "), "--stats: {stderr}");
    let written = std::fs::read_to_string(&summary).expect("the summary is written");
    assert_eq!(written, stdout, "the summary is the verdict");
}
