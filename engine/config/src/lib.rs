//! Project configuration (`idp.kdl`): catalog sources, policies and their settings,
//! default tags and the state directory, found by walking up from a spec.
//!
//! Settings stay JSON with their source spans here; the plan stage validates them
//! against each policy's own settings schema, so errors point into `idp.kdl`.
#![deny(missing_docs)]

use std::path::{Path, PathBuf};

use idp_model::{Finding, Severity};
use idp_spec::{
    Problem, Problems, SourceFile, SpanMap, Spanned, Waiver, did_you_mean, nodes_to_json, parse_kdl,
};
use kdl::KdlNode;
use miette::Diagnostic;
use serde_json::Value;

mod backends;
pub use backends::{ExecutorConfig, GitHubExecutor, S3State, StateConfig};

/// File name of the project configuration.
pub const CONFIG_FILE: &str = "idp.kdl";

const NODES: &[&str] = &["catalog", "policy", "tags", "state", "executor", "waive"];

/// How a policy's findings count, set per policy in `idp.kdl` with `enforcement=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Enforcement {
    /// As the policy reports them: a deny blocks.
    #[default]
    Deny,
    /// Denies become warnings.
    Warn,
    /// Everything becomes info.
    Info,
    /// Reported as what would be denied, never failing: for rolling a new policy out.
    Advisory,
}

impl Enforcement {
    const NAMES: [&'static str; 4] = ["deny", "warn", "info", "advisory"];

    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "deny" => Enforcement::Deny,
            "warn" => Enforcement::Warn,
            "info" => Enforcement::Info,
            "advisory" => Enforcement::Advisory,
            _ => return None,
        })
    }

    /// Applies the enforcement to one of the policy's findings.
    pub fn apply(self, f: &mut Finding) {
        match self {
            Enforcement::Deny => {}
            Enforcement::Warn if f.severity == Severity::Deny => f.severity = Severity::Warn,
            Enforcement::Warn => {}
            Enforcement::Info => f.severity = Severity::Info,
            Enforcement::Advisory => f.advisory = f.severity == Severity::Deny,
        }
    }
}

/// `waive RULE path="glob" reason=… owner=… until=…` in `idp.kdl`: a waiver for every
/// spec whose path (relative to `idp.kdl`) matches the glob.
#[derive(Debug, Clone)]
pub struct ProjectWaiver {
    /// The glob as written.
    pub glob: String,
    matcher: globset::GlobMatcher,
    /// The waiver.
    pub waiver: Waiver,
}

impl ProjectWaiver {
    /// Whether the waiver covers the spec at `path` (relative to `idp.kdl`'s directory).
    pub fn covers(&self, relative: &Path) -> bool {
        self.matcher.is_match(relative)
    }
}

/// A policy the project enables, with its settings.
#[derive(Debug, Clone)]
pub struct PolicyConfig {
    /// Catalog name and its span in `idp.kdl`.
    pub name: Spanned<String>,
    /// How its findings count.
    pub enforcement: Enforcement,
    nodes: Vec<KdlNode>,
}

impl PolicyConfig {
    /// The settings as a JSON object, converted under the policy's settings schema
    /// (which decides where one value is a list), with the span of every setting.
    pub fn settings(
        &self,
        schema: Option<&Value>,
        source: &SourceFile,
    ) -> Result<(Value, SpanMap), Problems> {
        let mut map = SpanMap::new(self.name.span);
        let mut problems = Problems::default();
        let nodes: Vec<&KdlNode> = self.nodes.iter().collect();
        let object = nodes_to_json(&nodes, schema, "", source, &mut map, &mut problems);
        problems.into_result()?;
        Ok((Value::Object(object), map))
    }
}

/// A parsed `idp.kdl`.
#[derive(Debug, Clone)]
pub struct ProjectConfig {
    /// The file.
    pub source: SourceFile,
    /// Its directory; relative paths in it are relative to this.
    pub root: PathBuf,
    /// Team catalog directories, searched before the built-in catalog.
    pub catalogs: Vec<PathBuf>,
    /// Policies that apply, in order.
    pub policies: Vec<PolicyConfig>,
    /// Tags on every environment (a spec's own tags win).
    pub default_tags: Vec<(String, String)>,
    /// Where the local state and workspaces are kept (`.idp` beside `idp.kdl` unless
    /// configured); with `state s3` it is the scratch space for workspaces.
    pub state_dir: PathBuf,
    /// Remote state, when `state s3 { … }` is configured.
    pub remote_state: Option<S3State>,
    /// Where environments are applied.
    pub executor: ExecutorConfig,
    /// Waivers for specs by path.
    pub waivers: Vec<ProjectWaiver>,
}

impl ProjectConfig {
    /// The project waivers that cover a spec file, with their index in [`Self::waivers`].
    pub fn waivers_for(&self, spec: &Path) -> Vec<(usize, &ProjectWaiver)> {
        if self.waivers.is_empty() {
            return Vec::new();
        }
        // Globs are relative to idp.kdl, whatever directory the spec was named from.
        let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        let (spec, root) = (absolute(spec), absolute(&self.root));
        let relative = spec.strip_prefix(&root).unwrap_or(&spec);
        self.waivers
            .iter()
            .enumerate()
            .filter(|(_, w)| w.covers(relative))
            .collect()
    }
}

/// `idp.kdl` could not be found.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("no `idp.kdl` in `{}` or any directory above it", start.display())]
#[diagnostic(
    code(idp::config::not_found),
    help(
        "create `idp.kdl` at the root of the repository; the smallest one is\n    policy required-tags\n    policy max-ttl\nor point at one with `--config FILE`"
    )
)]
pub struct NotFound {
    /// Where the search started.
    pub start: PathBuf,
}

/// Finds `idp.kdl` in `start` or the nearest directory above it.
pub fn discover(start: &Path) -> Result<PathBuf, NotFound> {
    let absolute = std::path::absolute(start).unwrap_or_else(|_| start.to_path_buf());
    let first = if absolute.is_dir() {
        Some(absolute.as_path())
    } else {
        absolute.parent()
    };
    let mut dir = first;
    while let Some(d) = dir {
        let candidate = d.join(CONFIG_FILE);
        if candidate.is_file() {
            return Ok(candidate);
        }
        dir = d.parent();
    }
    Err(NotFound {
        start: first.map_or_else(|| start.to_path_buf(), Path::to_path_buf),
    })
}

pub(crate) fn single_string(node: &KdlNode) -> Option<(String, miette::SourceSpan)> {
    let args: Vec<_> = node
        .entries()
        .iter()
        .filter(|e| e.name().is_none())
        .collect();
    match args.as_slice() {
        [one] => one.value().as_string().map(|s| (s.to_owned(), one.span())),
        _ => None,
    }
}

fn prop_string(node: &KdlNode, key: &str) -> Option<String> {
    node.entries()
        .iter()
        .find(|e| e.name().map(|n| n.value()) == Some(key))
        .and_then(|e| e.value().as_string().map(str::to_owned))
}

impl ProjectConfig {
    /// Parses configuration text; `path` locates it and anchors relative paths.
    pub fn parse(path: &Path, text: &str) -> Result<ProjectConfig, Problems> {
        let source = SourceFile::new(path, text);
        let doc = parse_kdl(&source)?;
        let root = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut problems = Problems::default();
        let mut config = ProjectConfig {
            source: source.clone(),
            catalogs: Vec::new(),
            policies: Vec::new(),
            default_tags: Vec::new(),
            state_dir: root.join(".idp"),
            remote_state: None,
            executor: ExecutorConfig::Local,
            root: root.clone(),
            waivers: Vec::new(),
        };
        for node in doc.nodes() {
            let name = node.name().value();
            let err = |code: &str, msg: String| Problem::error(&source, node.span(), code, msg);
            match name {
                "catalog" => match prop_string(node, "path") {
                    Some(p) => config.catalogs.push(root.join(p)),
                    None => problems.push(
                        err("idp::config::invalid", "`catalog` needs a `path`".into())
                            .help("write `catalog path=\"./platform/catalog\"`"),
                    ),
                },
                "policy" => match single_string(node) {
                    Some((policy, span)) => {
                        if config.policies.iter().any(|p| p.name.value == policy) {
                            problems.push(
                                Problem::error(
                                    &source,
                                    span,
                                    "idp::config::duplicate_policy",
                                    format!("policy `{policy}` is configured twice"),
                                )
                                .help("merge the settings into one `policy` node"),
                            );
                            continue;
                        }
                        let nodes = node
                            .children()
                            .map(|d| d.nodes().to_vec())
                            .unwrap_or_default();
                        let enforcement = match prop_string(node, "enforcement") {
                            None => Enforcement::Deny,
                            Some(e) => match Enforcement::parse(&e) {
                                Some(e) => e,
                                None => {
                                    problems.push(
                                        err(
                                            "idp::config::invalid",
                                            format!("unknown enforcement `{e}`"),
                                        )
                                        .help(format!(
                                            "write enforcement=\"…\" with one of {}",
                                            Enforcement::NAMES.join(", ")
                                        )),
                                    );
                                    Enforcement::Deny
                                }
                            },
                        };
                        let policy = PolicyConfig {
                            name: Spanned {
                                value: policy,
                                span,
                            },
                            enforcement,
                            nodes,
                        };
                        // Convert once now so malformed settings are reported with the rest.
                        if let Err(p) = policy.settings(None, &source) {
                            problems.0.extend(p.0);
                        }
                        config.policies.push(policy);
                    }
                    None => problems.push(
                        err("idp::config::invalid", "`policy` names one policy".into())
                            .help("write `policy max-ttl { preview \"14d\" }`"),
                    ),
                },
                "waive" => match (Waiver::parse(&source, node), prop_string(node, "path")) {
                    (Ok(waiver), Some(glob)) => match globset::Glob::new(&glob) {
                        Ok(g) => config.waivers.push(ProjectWaiver {
                            glob,
                            matcher: g.compile_matcher(),
                            waiver,
                        }),
                        Err(e) => problems.push(
                            err(
                                "idp::config::invalid",
                                format!("`{glob}` is not a glob: {e}"),
                            )
                            .help("write path=\"specs/legacy/**\""),
                        ),
                    },
                    (Ok(_), None) => problems.push(
                        err(
                            "idp::config::invalid",
                            "a waiver in idp.kdl needs the specs it covers".into(),
                        )
                        .help("add path=\"specs/legacy/**\" (relative to idp.kdl)"),
                    ),
                    (Err(p), _) => problems.push(p),
                },
                "tags" => {
                    for tag in node.children().map(|d| d.nodes()).unwrap_or_default() {
                        match single_string(tag) {
                            Some((value, _)) => config
                                .default_tags
                                .push((tag.name().value().to_owned(), value)),
                            None => problems.push(Problem::error(
                                &source,
                                tag.span(),
                                "idp::config::invalid",
                                format!("tag `{}` needs one string value", tag.name().value()),
                            )),
                        }
                    }
                }
                "state" => match backends::state(&source, node, &root, &mut problems) {
                    Some(StateConfig::Local(dir)) => config.state_dir = dir,
                    Some(StateConfig::S3(s3)) => config.remote_state = Some(s3),
                    None => {}
                },
                "executor" => config.executor = backends::executor(&source, node, &mut problems),
                other => {
                    let help = match did_you_mean(other, NODES.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!(
                            "`idp.kdl` takes {}",
                            NODES
                                .iter()
                                .map(|n| format!("`{n}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    };
                    problems.push(
                        Problem::error(
                            &source,
                            node.name().span(),
                            "idp::config::unknown_node",
                            format!("unknown setting `{other}`"),
                        )
                        .help(help),
                    );
                }
            }
        }
        problems.into_result()?;
        Ok(config)
    }

    /// Reads and parses a configuration file.
    pub fn load(path: &Path) -> Result<ProjectConfig, Problems> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Problems::from(Problem::error(
                &SourceFile::new(path, ""),
                (0, 0).into(),
                "idp::config::unreadable",
                format!("cannot read `{}`: {e}", path.display()),
            ))
        })?;
        ProjectConfig::parse(path, &text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_policies_tags_and_state() {
        let text = "catalog path=\"platform\"\npolicy max-ttl { preview \"14d\" }\npolicy required-tags\ntags { cost-center \"eng\" }\nstate \"local\" { path \"state\" }\n";
        let c = ProjectConfig::parse(Path::new("/repo/idp.kdl"), text).expect("valid");
        assert_eq!(c.catalogs, [PathBuf::from("/repo/platform")]);
        let settings = |i: usize| c.policies[i].settings(None, &c.source).expect("settings").0;
        assert_eq!(settings(0)["preview"], "14d");
        assert_eq!(settings(1), serde_json::json!({}));
        assert_eq!(
            c.default_tags,
            [("cost-center".to_owned(), "eng".to_owned())]
        );
        assert_eq!(c.state_dir, PathBuf::from("/repo/state"));
    }

    #[test]
    fn unknown_settings_are_pointed_at() {
        let err = ProjectConfig::parse(Path::new("idp.kdl"), "polcy max-ttl\n").expect_err("typo");
        assert_eq!(err.0[0].help.as_deref(), Some("did you mean `policy`?"));
    }

    #[test]
    fn discovery_walks_up() {
        let dir = std::env::temp_dir().join(format!("idp-config-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("a/b")).expect("mkdir");
        std::fs::write(dir.join(CONFIG_FILE), "").expect("write");
        assert_eq!(
            discover(&dir.join("a/b")).expect("found"),
            dir.join(CONFIG_FILE)
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn enforcement_and_project_waivers_are_read() {
        let text = "policy naming enforcement=\"advisory\"\npolicy max-ttl\nwaive image-mutable-tag path=\"legacy/**\" reason=\"migrating\" owner=\"p@acme.io\" until=\"2027-03-31\"\n";
        let c = ProjectConfig::parse(Path::new("/repo/idp.kdl"), text).expect("valid");
        assert_eq!(c.policies[0].enforcement, Enforcement::Advisory);
        assert_eq!(c.policies[1].enforcement, Enforcement::Deny);
        assert_eq!(c.waivers_for(Path::new("/repo/legacy/a/env.kdl")).len(), 1);
        assert!(c.waivers_for(Path::new("/repo/specs/env.kdl")).is_empty());
    }

    #[test]
    fn enforcement_changes_what_a_finding_blocks() {
        let finding = |s| Finding::engine(s, "r", "m".into(), String::new());
        let mut f = finding(Severity::Deny);
        Enforcement::Warn.apply(&mut f);
        assert_eq!(f.severity, Severity::Warn);
        let mut f = finding(Severity::Deny);
        Enforcement::Advisory.apply(&mut f);
        assert!(f.advisory && !f.blocks());
        let mut f = finding(Severity::Warn);
        Enforcement::Info.apply(&mut f);
        assert_eq!(f.severity, Severity::Info);
    }

    #[test]
    fn bad_enforcement_and_waivers_are_errors_at_their_line() {
        let text = "policy naming enforcement=\"sometimes\"\nwaive max-ttl reason=\"x\" owner=\"p@acme.io\" until=\"2027-01-01\"\nwaive max-ttl path=\"[\" reason=\"x\" owner=\"p@acme.io\" until=\"2027-01-01\"\n";
        let err = ProjectConfig::parse(Path::new("idp.kdl"), text).expect_err("invalid");
        let messages: Vec<&str> = err.0.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(messages[0], "unknown enforcement `sometimes`");
        assert_eq!(messages[1], "a waiver in idp.kdl needs the specs it covers");
        assert!(messages[2].starts_with("`[` is not a glob"), "{messages:?}");
        let lines: Vec<usize> = err.0.iter().map(|p| p.line_col().0).collect();
        assert_eq!(lines, [1, 2, 3]);
    }

    #[test]
    fn executor_and_remote_state_are_read() {
        let text = "executor github { repository \"acme/envs\"; ref \"release\" }\nstate s3 { bucket \"acme-idp\"; region \"eu-west-1\"; lock-table \"idp-locks\" }\n";
        let c = ProjectConfig::parse(Path::new("/repo/idp.kdl"), text).expect("valid");
        assert_eq!(
            c.executor,
            ExecutorConfig::GitHub(GitHubExecutor {
                repository: "acme/envs".into(),
                git_ref: "release".into()
            })
        );
        let s3 = c.remote_state.expect("s3");
        assert_eq!(
            (
                s3.bucket.as_str(),
                s3.prefix.as_str(),
                s3.lock_table.as_deref()
            ),
            ("acme-idp", "environments", Some("idp-locks"))
        );
        assert_eq!(
            s3.tfstate_key("orders"),
            "environments/orders/terraform.tfstate"
        );
    }

    #[test]
    fn incomplete_backends_are_errors_at_their_line() {
        let text =
            "executor github { repo \"acme/envs\" }\nstate s3 { bucket \"b\" }\nexecutor gitlab\n";
        let err = ProjectConfig::parse(Path::new("idp.kdl"), text).expect_err("invalid");
        let messages: Vec<(&str, usize)> = err
            .0
            .iter()
            .map(|p| (p.message.as_str(), p.line_col().0))
            .collect();
        assert_eq!(
            messages,
            [
                ("unknown setting `repo`", 1),
                (
                    "`executor github` needs the repository holding the workflows",
                    1
                ),
                ("`state s3` needs a bucket and its region", 2),
                ("`executor` is `local` or `github`", 3),
            ]
        );
        assert_eq!(err.0[0].help.as_deref(), Some("did you mean `repository`?"));
    }
}
