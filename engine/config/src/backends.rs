//! Where environments are applied (`executor`) and where their records live (`state`),
//! as `idp.kdl` declares them.

use std::path::PathBuf;

use idp_spec::{Problem, Problems, SourceFile, did_you_mean};
use kdl::KdlNode;

use crate::single_string;

/// `executor …` in `idp.kdl`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ExecutorConfig {
    /// `executor local`: write the workspace and run `tofu` here (the default).
    #[default]
    Local,
    /// `executor github { repository "acme/envs"; ref "main" }`.
    GitHub(GitHubExecutor),
}

/// The GitHub executor's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitHubExecutor {
    /// `owner/name` holding the workflows.
    pub repository: String,
    /// The ref whose workflows run (default `main`).
    pub git_ref: String,
}

/// `state …` in `idp.kdl`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateConfig {
    /// `state local { path ".idp" }` (the default).
    Local(PathBuf),
    /// `state s3 { bucket …; prefix environments; region …; lock-table … }`.
    S3(S3State),
}

/// Remote state in S3, beside OpenTofu's own state for the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3State {
    /// The bucket.
    pub bucket: String,
    /// Key prefix: an environment's files live under `{prefix}/{name}/`.
    pub prefix: String,
    /// The bucket's region.
    pub region: String,
    /// The DynamoDB table OpenTofu locks state with, if any.
    pub lock_table: Option<String>,
    /// An S3-compatible endpoint instead of AWS's (MinIO, a test server).
    pub endpoint: Option<String>,
}

impl S3State {
    /// OpenTofu's state key for an environment: `{prefix}/{name}/terraform.tfstate`.
    pub fn tfstate_key(&self, name: &str) -> String {
        format!("{}/{name}/terraform.tfstate", self.prefix)
    }
}

/// The string settings of a node's children, refusing names not in `known`.
fn settings<'a>(
    source: &SourceFile,
    node: &KdlNode,
    known: &[&'a str],
    problems: &mut Problems,
) -> Vec<(&'a str, String)> {
    let mut out = Vec::new();
    for child in node.children().map(|d| d.nodes()).unwrap_or_default() {
        let name = child.name().value();
        let Some(&key) = known.iter().find(|k| **k == name) else {
            let help = match did_you_mean(name, known.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("`{}` takes {}", node.name().value(), known.join(", ")),
            };
            problems.push(
                Problem::error(
                    source,
                    child.name().span(),
                    "idp::config::unknown_node",
                    format!("unknown setting `{name}`"),
                )
                .help(help),
            );
            continue;
        };
        match single_string(child) {
            Some((value, _)) => out.push((key, value)),
            None => problems.push(
                Problem::error(
                    source,
                    child.span(),
                    "idp::config::not_a_string",
                    format!("`{key}` takes one string"),
                )
                .help(format!("write `{key} \"…\"`")),
            ),
        }
    }
    out
}

fn get(values: &[(&str, String)], key: &str) -> Option<String> {
    values
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.clone())
}

/// Parses `executor local` or `executor github { … }`.
pub(crate) fn executor(
    source: &SourceFile,
    node: &KdlNode,
    problems: &mut Problems,
) -> ExecutorConfig {
    let err = |code, msg: String| Problem::error(source, node.span(), code, msg);
    match single_string(node).map(|(s, _)| s).as_deref() {
        Some("local") => ExecutorConfig::Local,
        Some("github") => {
            let values = settings(source, node, &["repository", "ref"], problems);
            let Some(repository) = get(&values, "repository") else {
                problems.push(
                    err(
                        "idp::config::executor_repository",
                        "`executor github` needs the repository holding the workflows".into(),
                    )
                    .help("write `executor github { repository \"acme/envs\"; ref \"main\" }`"),
                );
                return ExecutorConfig::Local;
            };
            ExecutorConfig::GitHub(GitHubExecutor {
                repository,
                git_ref: get(&values, "ref").unwrap_or_else(|| "main".into()),
            })
        }
        _ => {
            problems.push(
                err(
                    "idp::config::unknown_executor",
                    "`executor` is `local` or `github`".into(),
                )
                .help("write `executor local`, or `executor github { repository \"acme/envs\" }`"),
            );
            ExecutorConfig::Local
        }
    }
}

/// Parses `state local { path … }` or `state s3 { … }`.
pub(crate) fn state(
    source: &SourceFile,
    node: &KdlNode,
    root: &std::path::Path,
    problems: &mut Problems,
) -> Option<StateConfig> {
    let err = |code, msg: String| Problem::error(source, node.span(), code, msg);
    match single_string(node).map(|(s, _)| s).as_deref() {
        Some("local") => {
            let values = settings(source, node, &["path"], problems);
            Some(StateConfig::Local(
                root.join(get(&values, "path").unwrap_or_else(|| ".idp".into())),
            ))
        }
        Some("s3") => {
            let values = settings(
                source,
                node,
                &["bucket", "prefix", "region", "lock-table", "endpoint"],
                problems,
            );
            match (get(&values, "bucket"), get(&values, "region")) {
                (Some(bucket), Some(region)) => Some(StateConfig::S3(S3State {
                    bucket,
                    prefix: get(&values, "prefix")
                        .unwrap_or_else(|| "environments".into())
                        .trim_matches('/')
                        .to_owned(),
                    region,
                    lock_table: get(&values, "lock-table"),
                    endpoint: get(&values, "endpoint"),
                })),
                _ => {
                    problems.push(err("idp::config::s3_incomplete", "`state s3` needs a bucket and its region".into())
                        .help("write `state s3 { bucket \"acme-idp-state\"; region \"us-east-1\"; prefix \"environments\"; lock-table \"idp-locks\" }`"));
                    None
                }
            }
        }
        _ => {
            problems.push(err("idp::config::unknown_state", "`state` is `local` or `s3`".into())
                .help("write `state local { path \".idp\" }` or `state s3 { bucket \"…\"; region \"…\" }`"));
            None
        }
    }
}
