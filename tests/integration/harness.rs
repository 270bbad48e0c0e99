//! A sandbox per test: its own HOME, XDG dirs, state and compile cache, a pinned clock
//! and no colour, so output is the same on every machine.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The clock every test runs at.
pub const NOW: &str = "2026-11-23T10:00:00Z";

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stderr with miette's line wrapping undone, for checks on whole messages.
    pub fn flat_stderr(&self) -> String {
        let mut out = String::new();
        for line in self.stderr.lines() {
            let trimmed = line.trim_start();
            let continued = trimmed.strip_prefix("│ ").filter(|_| !out.is_empty());
            match continued {
                Some(rest) => {
                    // miette breaks lines at spaces (which it drops) and after `/` or `-`.
                    if !out.ends_with('/') && !out.ends_with('-') {
                        out.push(' ');
                    }
                    out.push_str(rest);
                }
                None if line.starts_with("        ") && !out.is_empty() => {
                    out.push(' ');
                    out.push_str(trimmed);
                }
                None => {
                    out.push('\n');
                    out.push_str(line);
                }
            }
        }
        out
    }
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn state(&self) -> PathBuf {
        self.path().join("state")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_idp"));
        cmd.args(args)
            .current_dir(repo())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.path().join("home"))
            .env("XDG_CACHE_HOME", self.path().join("xdg-cache"))
            .env("XDG_CONFIG_HOME", self.path().join("xdg-config"))
            .env("IDP_STATE_DIR", self.state())
            // Shared across tests: entries are content-addressed and written atomically, so
            // sharing is safe, and it spares each test a cold compile in a debug build.
            .env(
                "IDP_CACHE_DIR",
                PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("idp-compile-cache"),
            )
            .env("IDP_NOW", NOW)
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::null());
        cmd
    }

    pub fn run_with(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = self.command(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let Output {
            status,
            stdout,
            stderr,
        } = cmd.output().expect("idp runs");
        Run {
            code: status.code().unwrap_or(-1),
            stdout: self.clean(&String::from_utf8_lossy(&stdout)),
            stderr: self.clean(&String::from_utf8_lossy(&stderr)),
        }
    }

    pub fn idp(&self, args: &[&str]) -> Run {
        self.run_with(args, &[])
    }

    /// Replaces the temporary and repository paths, which differ per run and clone.
    pub fn clean(&self, text: &str) -> String {
        text.replace(&self.path().display().to_string(), "[SANDBOX]")
            .replace(&repo().display().to_string(), "[REPO]")
    }
}

/// Every file under a directory, for "nothing changed on disk" checks.
pub fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap_or(&p).display().to_string());
            }
        }
    }
    out.sort();
    out
}

/// An environment's `metadata.json` in the sandbox's state.
pub fn record(s: &Sandbox, name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(
        s.state()
            .join("environments")
            .join(name)
            .join("metadata.json"),
    )
    .expect("metadata.json");
    serde_json::from_str(&text).expect("record is JSON")
}
