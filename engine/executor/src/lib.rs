//! The local executor: runs OpenTofu (or Terraform) in an environment's workspace when
//! the user asks for it, and otherwise says exactly what a workflow would run.
//!
//! The state store decides the status around these calls; this crate only runs the
//! tool and reports its outcome and outputs.
#![deny(missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;

use miette::Diagnostic;

/// The OpenTofu-compatible tool found on PATH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tool {
    /// Its path.
    pub path: PathBuf,
    /// `tofu` or `terraform`.
    pub name: &'static str,
}

/// What can go wrong running the tool.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum ExecError {
    /// Neither `tofu` nor `terraform` is on PATH.
    #[error("`--run` needs `tofu` or `terraform` on PATH, and neither is there")]
    #[diagnostic(
        code(idp::executor::no_tool),
        help("install OpenTofu, or run without `--run` to only write the workspace")
    )]
    NoTool,
    /// The tool could not be started.
    #[error("cannot run `{}`: {reason}", tool.display())]
    #[diagnostic(code(idp::executor::spawn))]
    Spawn {
        /// The tool.
        tool: PathBuf,
        /// Why.
        reason: String,
    },
    /// The tool exited with failure.
    #[error("`{name} {step}` failed in `{}` ({status})", dir.display())]
    #[diagnostic(
        code(idp::executor::failed),
        help(
            "its output is above; fix the cause and apply again (a FAILED environment is retryable)"
        )
    )]
    Failed {
        /// `tofu` or `terraform`.
        name: &'static str,
        /// `init`, `apply`, `destroy`.
        step: &'static str,
        /// The workspace.
        dir: PathBuf,
        /// Exit status.
        status: String,
    },
}

/// OpenTofu's S3 backend for an environment: state at
/// `{prefix}/{name}/terraform.tfstate`, locked in DynamoDB. Written as `idp_backend.tf`
/// next to the emitted files just before `init`, so the plan digest (over the emitted
/// files) is the same on a laptop and on a runner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Backend {
    /// The bucket.
    pub bucket: String,
    /// The state object's key.
    pub key: String,
    /// The bucket's region.
    pub region: String,
    /// The DynamoDB lock table.
    pub lock_table: Option<String>,
    /// Whether an S3-compatible endpoint wants path-style addressing.
    pub path_style: bool,
}

/// The backend file: the settings go in as `-backend-config` so no file holds them twice.
const BACKEND_FILE: &str = "idp_backend.tf";

impl S3Backend {
    fn init_args(&self) -> Vec<String> {
        let mut args = vec![
            format!("-backend-config=bucket={}", self.bucket),
            format!("-backend-config=key={}", self.key),
            format!("-backend-config=region={}", self.region),
            "-backend-config=encrypt=true".to_owned(),
        ];
        if let Some(table) = &self.lock_table {
            args.push(format!("-backend-config=dynamodb_table={table}"));
        }
        if self.path_style {
            args.push("-backend-config=use_path_style=true".to_owned());
        }
        args
    }
}

/// Where the workspace's OpenTofu state goes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Backend {
    /// `terraform.tfstate` in the workspace.
    #[default]
    Local,
    /// S3, as `state s3 { … }` in idp.kdl says.
    S3(S3Backend),
}

impl Backend {
    /// Writes or removes `idp_backend.tf`, and returns `init`'s arguments.
    fn prepare(&self, dir: &Path) -> Result<Vec<String>, ExecError> {
        let path = dir.join(BACKEND_FILE);
        let io = |e: std::io::Error| ExecError::Spawn {
            tool: path.clone(),
            reason: e.to_string(),
        };
        let mut args = vec![
            "init".to_owned(),
            "-input=false".to_owned(),
            "-no-color".to_owned(),
        ];
        match self {
            Backend::Local => {
                if path.exists() {
                    std::fs::remove_file(&path).map_err(io)?;
                }
            }
            Backend::S3(s3) => {
                std::fs::write(&path, "terraform {\n  backend \"s3\" {}\n}\n").map_err(io)?;
                args.extend(s3.init_args());
            }
        }
        Ok(args)
    }
}

/// Finds `tofu`, then `terraform`, on PATH.
pub fn find_tool() -> Option<Tool> {
    let path = std::env::var_os("PATH")?;
    for name in ["tofu", "terraform"] {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(Tool {
                    path: candidate,
                    name,
                });
            }
        }
    }
    None
}

/// The commands a workflow runs for an apply, shown when idp does not run them itself.
pub fn apply_commands(dir: &Path) -> Vec<String> {
    let d = dir.display();
    vec![
        format!("tofu -chdir={d} init -input=false"),
        format!("tofu -chdir={d} apply -input=false -auto-approve"),
    ]
}

/// The commands a workflow runs for a destroy.
pub fn destroy_commands(dir: &Path) -> Vec<String> {
    vec![format!(
        "tofu -chdir={} destroy -input=false -auto-approve",
        dir.display()
    )]
}

/// The tool, run in the workspace `dir` with `args`.
fn command(tool: &Tool, dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(&tool.path);
    cmd.arg(format!("-chdir={}", dir.display()))
        .args(args)
        .env("TF_IN_AUTOMATION", "1");
    cmd
}

fn spawn_error(tool: &Tool) -> impl FnOnce(std::io::Error) -> ExecError + '_ {
    move |e| ExecError::Spawn {
        tool: tool.path.clone(),
        reason: e.to_string(),
    }
}

fn step(tool: &Tool, dir: &Path, name: &'static str, args: &[&str]) -> Result<(), ExecError> {
    let status = command(tool, dir, args)
        .status()
        .map_err(spawn_error(tool))?;
    if status.success() {
        Ok(())
    } else {
        Err(ExecError::Failed {
            name: tool.name,
            step: name,
            dir: dir.to_path_buf(),
            status: status.to_string(),
        })
    }
}

fn init(tool: &Tool, dir: &Path, backend: &Backend) -> Result<(), ExecError> {
    let args = backend.prepare(dir)?;
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    step(tool, dir, "init", &args)
}

/// Runs init and apply, then reads the outputs.
pub fn apply(
    tool: &Tool,
    dir: &Path,
    backend: &Backend,
) -> Result<serde_json::Map<String, serde_json::Value>, ExecError> {
    init(tool, dir, backend)?;
    step(
        tool,
        dir,
        "apply",
        &["apply", "-input=false", "-auto-approve", "-no-color"],
    )?;
    let out = command(tool, dir, &["output", "-json", "-no-color"])
        .output()
        .map_err(spawn_error(tool))?;
    let parsed: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&out.stdout).unwrap_or_default();
    // `output -json` wraps each value as {"value": …, "type": …, "sensitive": …}.
    Ok(parsed
        .into_iter()
        .map(|(k, v)| {
            let sensitive = v
                .get("sensitive")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false);
            let value = if sensitive {
                serde_json::Value::String("(sensitive)".into())
            } else {
                v.get("value").cloned().unwrap_or(v)
            };
            (k, value)
        })
        .collect())
}

/// Runs destroy.
pub fn destroy(tool: &Tool, dir: &Path, backend: &Backend) -> Result<(), ExecError> {
    init(tool, dir, backend)?;
    step(
        tool,
        dir,
        "destroy",
        &["destroy", "-input=false", "-auto-approve", "-no-color"],
    )
}
