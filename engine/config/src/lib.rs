//! Project configuration (`idp.kdl`): catalog sources, policies and their settings,
//! default tags and the state directory, found by walking up from a spec.
//!
//! Settings stay JSON with their source spans here; the plan stage validates them
//! against each policy's own settings schema, so errors point into `idp.kdl`.
#![deny(missing_docs)]

use std::path::{Path, PathBuf};

use idp_catalog::{Declared, SourceDir};
use idp_model::{Finding, Severity};
use idp_spec::{
    Problem, Problems, SourceFile, SpanMap, Spanned, Waiver, did_you_mean, nodes_to_json, parse_kdl,
};
use kdl::KdlNode;
use miette::Diagnostic;
use serde_json::Value;

mod access;
mod approval;
mod backends;
mod pricing;
pub use access::{Access, Role, RoleBinding, ServerAuth, TeamScope};
pub use approval::{Approvals, DEFAULT_APPROVAL_WINDOW_SECS};
pub use backends::{ExecutorConfig, GitHubExecutor, S3State, StateConfig};
pub use pricing::Pricing;

/// File name of the project configuration.
pub const CONFIG_FILE: &str = "idp.kdl";

const NODES: &[&str] = &[
    "catalog",
    "policy",
    "tags",
    "state",
    "executor",
    "waive",
    "delegate",
    "pricing",
    "server",
    "role",
    "approvals",
];

/// Nodes only the organisation's configuration may write, unless it delegates them.
const ORGANISATION_ONLY: &[&str] = &[
    "state",
    "executor",
    "waive",
    "delegate",
    "pricing",
    "server",
    "role",
    "approvals",
];

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
    /// A deny makes the environment wait for an approver instead of failing (the
    /// organisation's only): the finding stays a deny, and the lifecycle decides.
    Approval,
}

impl Enforcement {
    const NAMES: [&'static str; 5] = ["deny", "warn", "info", "advisory", "approval"];

    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "deny" => Enforcement::Deny,
            "warn" => Enforcement::Warn,
            "info" => Enforcement::Info,
            "advisory" => Enforcement::Advisory,
            "approval" => Enforcement::Approval,
            _ => return None,
        })
    }

    /// Applies the enforcement to one of the policy's findings.
    pub fn apply(self, f: &mut Finding) {
        match self {
            Enforcement::Deny | Enforcement::Approval => {}
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
    /// The directory of the `idp.kdl` that wrote it: the glob is relative to it.
    pub root: PathBuf,
    /// The `idp.kdl` that wrote it, for diagnostics at its line.
    pub source: SourceFile,
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
    /// Catalog name and its span in [`PolicyConfig::source`].
    pub name: Spanned<String>,
    /// The configuration file that enabled it (or, when delegated, last set its settings).
    pub source: SourceFile,
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
    /// Catalog directories, with who declared each (the built-in catalog is always there).
    pub catalogs: Vec<SourceDir>,
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
    /// Every configuration file that applies, the organisation's first.
    pub files: Vec<PathBuf>,
    /// What the organisation lets nested configurations do.
    pub delegation: Delegation,
    /// The organisation's price book, discounts and rates (`pricing { … }`).
    pub pricing: Pricing,
    /// Who may use `idp serve` (`server { … }` and `role …`), the organisation's only.
    pub access: Access,
    /// Which denies wait for an approver, and for how long (`approvals { … }` and
    /// `enforcement="approval"`), the organisation's only.
    pub approvals: Approvals,
}

/// `delegate { waive; policy max-ttl … }` in the organisation's `idp.kdl`: what nested
/// configurations may do beyond adding policies, tags and catalogs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delegation {
    /// Nested configurations may waive findings, for the specs below them.
    pub waive: bool,
    /// Organisation policies whose settings a nested configuration may set.
    pub policies: Vec<String>,
}

/// Which configuration a file is: the organisation's, or one nested below it.
#[derive(Clone, Copy)]
enum Layer<'a> {
    Organisation,
    Nested(&'a ProjectConfig),
}

impl ProjectConfig {
    /// Whether `finding` waits for an approver rather than failing
    /// ([`Approvals::gates`]).
    pub fn approval_gated(&self, finding: &Finding) -> bool {
        self.approvals.gates(&self.policies, finding)
    }

    /// The project waivers that cover a spec file, with their index in [`Self::waivers`].
    pub fn waivers_for(&self, spec: &Path) -> Vec<(usize, &ProjectWaiver)> {
        if self.waivers.is_empty() {
            return Vec::new();
        }
        // Globs are relative to idp.kdl, whatever directory the spec was named from.
        let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        let spec = absolute(spec);
        self.waivers
            .iter()
            .enumerate()
            .filter(|(_, w)| {
                // Globs are relative to the file that wrote them; a spec outside its
                // directory is never covered, whatever the glob.
                spec.strip_prefix(absolute(&w.root))
                    .is_ok_and(|relative| w.covers(relative))
            })
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

pub(crate) fn prop_string(node: &KdlNode, key: &str) -> Option<String> {
    node.entries()
        .iter()
        .find(|e| e.name().map(|n| n.value()) == Some(key))
        .and_then(|e| e.value().as_string().map(str::to_owned))
}

impl ProjectConfig {
    /// Parses the organisation's configuration text; `path` locates it and anchors
    /// relative paths.
    pub fn parse(path: &Path, text: &str) -> Result<ProjectConfig, Problems> {
        let source = SourceFile::new(path, text);
        let root = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut config = ProjectConfig {
            source: source.clone(),
            catalogs: Vec::new(),
            policies: Vec::new(),
            default_tags: Vec::new(),
            state_dir: root.join(".idp"),
            remote_state: None,
            executor: ExecutorConfig::Local,
            root,
            waivers: Vec::new(),
            files: vec![path.to_path_buf()],
            delegation: Delegation::default(),
            pricing: Pricing::default(),
            access: Access::default(),
            approvals: Approvals::default(),
        };
        let mut problems = Problems::default();
        config.read(&source, Layer::Organisation, &mut problems)?;
        problems.into_result()?;
        Ok(config)
    }

    /// Adds a nested configuration's text on top of this (the organisation's): it may
    /// add policies, tags and catalogs, and change only what [`Delegation`] allows.
    pub fn add_nested(&mut self, path: &Path, text: &str) -> Result<(), Problems> {
        let source = SourceFile::new(path, text);
        let org = self.clone();
        let mut problems = Problems::default();
        self.read(&source, Layer::Nested(&org), &mut problems)?;
        problems.into_result()?;
        self.files.push(path.to_path_buf());
        Ok(())
    }

    fn read(
        &mut self,
        source: &SourceFile,
        layer: Layer<'_>,
        problems: &mut Problems,
    ) -> Result<(), Problems> {
        let doc = parse_kdl(source)?;
        let root = source
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        for node in doc.nodes() {
            let name = node.name().value();
            if let Layer::Nested(org) = layer {
                let delegated = name == "waive" && org.delegation.waive;
                if ORGANISATION_ONLY.contains(&name) && !delegated {
                    problems.push(
                        Problem::error(
                            source,
                            node.name().span(),
                            "idp::config::organisation_only",
                            format!(
                                "only the organisation's configuration (`{}`) may set `{name}`",
                                org.source.path.display()
                            ),
                        )
                        .help("move it to the organisation's idp.kdl, or ask the platform team to delegate it there with `delegate { … }`"),
                    );
                    continue;
                }
            }
            let err = |code: &str, msg: String| Problem::error(source, node.span(), code, msg);
            match name {
                "catalog" => self.read_catalog(source, node, &root, layer, problems),
                "policy" => self.read_policy(source, node, layer, problems),
                "waive" => match (Waiver::parse(source, node), prop_string(node, "path")) {
                    (Ok(waiver), Some(glob)) => match globset::Glob::new(&glob) {
                        Ok(g) => self.waivers.push(ProjectWaiver {
                            glob,
                            root: root.clone(),
                            source: source.clone(),
                            matcher: g.compile_matcher(),
                            waiver,
                        }),
                        Err(e) => problems.push(
                            err(
                                "idp::config::invalid_glob",
                                format!("`{glob}` is not a glob: {e}"),
                            )
                            .help("write path=\"specs/legacy/**\""),
                        ),
                    },
                    (Ok(_), None) => problems.push(
                        err(
                            "idp::config::waiver_path",
                            "a waiver in idp.kdl needs the specs it covers".into(),
                        )
                        .help("add path=\"specs/legacy/**\" (relative to idp.kdl)"),
                    ),
                    (Err(p), _) => problems.push(p),
                },
                "tags" => self.read_tags(source, node, layer, problems),
                "state" => match backends::state(source, node, &root, problems) {
                    Some(StateConfig::Local(dir)) => self.state_dir = dir,
                    Some(StateConfig::S3(s3)) => self.remote_state = Some(s3),
                    None => {}
                },
                "executor" => self.executor = backends::executor(source, node, problems),
                "delegate" => self.delegation = delegation(source, node, problems),
                "pricing" => self.pricing = pricing::read(source, node, &root, problems),
                "server" => self.access.server = Some(access::server(source, node, problems)),
                "role" => self
                    .access
                    .roles
                    .extend(access::role(source, node, problems)),
                "approvals" => self.approvals = approval::read(source, node, problems),
                other => problems.push(unknown_node(source, node, other)),
            }
        }
        Ok(())
    }

    fn read_catalog(
        &mut self,
        source: &SourceFile,
        node: &KdlNode,
        root: &Path,
        layer: Layer<'_>,
        problems: &mut Problems,
    ) {
        let Some(path) = prop_string(node, "path") else {
            problems.push(
                Problem::error(
                    source,
                    node.span(),
                    "idp::config::catalog_path",
                    "`catalog` needs a `path`",
                )
                .help("write `catalog path=\"./platform/catalog\"`"),
            );
            return;
        };
        let overrides: Vec<String> = prop_string(node, "overrides")
            .map(|o| o.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default();
        let declared = match layer {
            Layer::Organisation => Declared::Organisation,
            Layer::Nested(_) => Declared::Team,
        };
        if declared == Declared::Team && !overrides.is_empty() {
            problems.push(
                Problem::error(
                    source,
                    node.span(),
                    "idp::config::organisation_only",
                    "only the organisation's configuration may let a catalog replace a plugin or module",
                )
                .help("remove `overrides=`; give the team's plugins names of their own"),
            );
            return;
        }
        self.catalogs.push(SourceDir {
            path: root.join(path),
            declared,
            overrides,
        });
    }

    fn read_policy(
        &mut self,
        source: &SourceFile,
        node: &KdlNode,
        layer: Layer<'_>,
        problems: &mut Problems,
    ) {
        let Some((policy, span)) = single_string(node) else {
            problems.push(
                Problem::error(
                    source,
                    node.span(),
                    "idp::config::policy_name",
                    "`policy` names one policy",
                )
                .help("write `policy max-ttl { preview \"14d\" }`"),
            );
            return;
        };
        let enforcement_text = prop_string(node, "enforcement");
        let enforcement = read_enforcement(source, node, &enforcement_text, problems);
        if enforcement == Enforcement::Approval && matches!(layer, Layer::Nested(_)) {
            // A team would otherwise turn the organisation's denies into requests.
            problems.push(
                Problem::error(
                    source,
                    node.span(),
                    "idp::config::organisation_only",
                    format!("only the organisation's configuration may put `{policy}` under approval"),
                )
                .help("remove `enforcement=\"approval\"`, or ask the platform team to set it in the organisation's idp.kdl"),
            );
            return;
        }
        let policy_config = PolicyConfig {
            name: Spanned {
                value: policy.clone(),
                span,
            },
            source: source.clone(),
            enforcement,
            nodes: node
                .children()
                .map(|d| d.nodes().to_vec())
                .unwrap_or_default(),
        };
        // Convert once now so malformed settings are reported with the rest.
        if let Err(p) = policy_config.settings(None, source) {
            problems.append(p);
        }
        let enforcement_written = enforcement_text.is_some();
        self.add_policy(
            source,
            policy,
            policy_config,
            enforcement_written,
            layer,
            problems,
        );
    }

    /// Adds a policy read in `layer`: a new one is added; one the organisation delegated
    /// gets the nested settings under the organisation's enforcement; any other is refused.
    fn add_policy(
        &mut self,
        source: &SourceFile,
        policy: String,
        policy_config: PolicyConfig,
        enforcement_written: bool,
        layer: Layer<'_>,
        problems: &mut Problems,
    ) {
        let span = policy_config.name.span;
        let existing = self.policies.iter().position(|p| p.name.value == policy);
        match (existing, layer) {
            (None, _) => self.policies.push(policy_config),
            (Some(at), Layer::Nested(org))
                if org.delegation.policies.contains(&policy)
                    && org.policies.iter().any(|p| p.name.value == policy) =>
            {
                if enforcement_written {
                    problems.push(
                        Problem::error(
                            source,
                            span,
                            "idp::config::organisation_only",
                            format!("the organisation sets how `{policy}` is enforced"),
                        )
                        .help("remove `enforcement=`; the organisation delegated only the settings"),
                    );
                    return;
                }
                let enforcement = self.policies[at].enforcement;
                self.policies[at] = PolicyConfig {
                    enforcement,
                    ..policy_config
                };
            }
            (Some(at), Layer::Nested(org)) => problems.push(
                Problem::error(
                    source,
                    span,
                    "idp::config::policy_not_delegated",
                    format!(
                        "policy `{policy}` is configured by `{}`; a nested configuration cannot change it",
                        self.policies[at].source.path.display()
                    ),
                )
                .help(format!(
                    "remove it here; the organisation's `{}` may delegate its settings with `delegate {{ policy {policy} }}`",
                    org.source.path.display()
                )),
            ),
            (Some(_), Layer::Organisation) => problems.push(
                Problem::error(
                    source,
                    span,
                    "idp::config::duplicate_policy",
                    format!("policy `{policy}` is configured twice"),
                )
                .help("merge the settings into one `policy` node"),
            ),
        }
    }

    fn read_tags(
        &mut self,
        source: &SourceFile,
        node: &KdlNode,
        layer: Layer<'_>,
        problems: &mut Problems,
    ) {
        for tag in node.children().map(|d| d.nodes()).unwrap_or_default() {
            let key = tag.name().value();
            let Some((value, _)) = single_string(tag) else {
                problems.push(Problem::error(
                    source,
                    tag.span(),
                    "idp::config::tag_value",
                    format!("tag `{key}` needs one string value"),
                ));
                continue;
            };
            if let Layer::Nested(org) = layer
                && org.default_tags.iter().any(|(k, _)| k == key)
            {
                problems.push(
                    Problem::error(
                        source,
                        tag.span(),
                        "idp::config::organisation_only",
                        format!("tag `{key}` is set by the organisation's configuration"),
                    )
                    .help("a nested configuration adds tags of its own; remove this one"),
                );
                continue;
            }
            self.default_tags.push((key.to_owned(), value));
        }
    }

    /// Reads the organisation's configuration file alone.
    pub fn load(path: &Path) -> Result<ProjectConfig, Problems> {
        ProjectConfig::parse(path, &read(path)?)
    }

    /// Reads the configuration that governs a spec whose nearest `idp.kdl` is `nearest`:
    /// the topmost `idp.kdl` between it and the repository root is the organisation's,
    /// and every one below it, down to `nearest`, is nested on top of it.
    pub fn load_layered(nearest: &Path) -> Result<ProjectConfig, Problems> {
        let chain = chain(nearest);
        let Some((org, nested)) = chain.split_first() else {
            return ProjectConfig::load(nearest);
        };
        let mut config = ProjectConfig::load(org)?;
        for path in nested {
            config.add_nested(path, &read(path)?)?;
        }
        Ok(config)
    }
}

/// `enforcement=` of a `policy` node: `deny` when not written, and a problem (then `deny`)
/// when it names no enforcement.
fn read_enforcement(
    source: &SourceFile,
    node: &KdlNode,
    enforcement_text: &Option<String>,
    problems: &mut Problems,
) -> Enforcement {
    match enforcement_text.as_deref().map(Enforcement::parse) {
        None => Enforcement::Deny,
        Some(Some(e)) => e,
        Some(None) => {
            problems.push(
                Problem::error(
                    source,
                    node.span(),
                    "idp::config::unknown_enforcement",
                    format!(
                        "unknown enforcement `{}`",
                        enforcement_text.clone().unwrap_or_default()
                    ),
                )
                .help(format!(
                    "write enforcement=\"…\" with one of {}",
                    Enforcement::NAMES.join(", ")
                )),
            );
            Enforcement::Deny
        }
    }
}

fn read(path: &Path) -> Result<String, Problems> {
    let source = SourceFile::read(path).map_err(|e| {
        Problems::from(Problem::error(
            &SourceFile::new(path, ""),
            (0, 0).into(),
            "idp::config::unreadable",
            format!("cannot read `{}`: {e}", path.display()),
        ))
    })?;
    // The only holder of the text: taken, not copied.
    Ok(std::sync::Arc::try_unwrap(source.text).unwrap_or_else(|shared| (*shared).clone()))
}

/// Every `idp.kdl` from the repository root (the nearest directory above holding `.git`)
/// down to `nearest`, topmost first. Outside a repository only `nearest` counts: walking
/// on to `/` would let a file in a shared directory (`/tmp/idp.kdl`) become the
/// organisation's configuration.
fn chain(nearest: &Path) -> Vec<PathBuf> {
    // Walked absolute: a relative path's ancestors end at the working directory, and a
    // walk that stops there, short of the repository root, would leave out the
    // organisation's file (`idp check .` run in a team's folder).
    let absolute = std::path::absolute(nearest).unwrap_or_else(|_| nearest.to_path_buf());
    let cwd = std::env::current_dir().ok();
    // Files above are named as `nearest` was: relative to the working directory if it was.
    let shown = |p: &Path| match &cwd {
        Some(cwd) if nearest.is_relative() => p
            .strip_prefix(cwd)
            .map_or_else(|_| p.to_path_buf(), Path::to_path_buf),
        _ => p.to_path_buf(),
    };
    let mut found = vec![nearest.to_path_buf()];
    let mut dir = absolute.parent();
    while let Some(d) = dir {
        // Nothing above the repository root governs the specs in it.
        if d.join(".git").exists() {
            found.reverse();
            return found;
        }
        dir = d.parent();
        if let Some(candidate) = dir.map(|p| p.join(CONFIG_FILE)).filter(|c| c.is_file()) {
            found.push(shown(&candidate));
        }
    }
    vec![nearest.to_path_buf()]
}

fn unknown_node(source: &SourceFile, node: &KdlNode, name: &str) -> Problem {
    let help = match did_you_mean(name, NODES.iter().copied()) {
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
    Problem::error(
        source,
        node.name().span(),
        "idp::config::unknown_node",
        format!("unknown setting `{name}`"),
    )
    .help(help)
}

/// `delegate { waive; policy max-ttl naming }`.
fn delegation(source: &SourceFile, node: &KdlNode, problems: &mut Problems) -> Delegation {
    let mut out = Delegation::default();
    for child in node.children().map(|d| d.nodes()).unwrap_or_default() {
        match child.name().value() {
            "waive" => out.waive = true,
            "policy" => out.policies.extend(
                child
                    .entries()
                    .iter()
                    .filter(|e| e.name().is_none())
                    .filter_map(|e| e.value().as_string().map(str::to_owned)),
            ),
            other => problems.push(
                Problem::error(
                    source,
                    child.name().span(),
                    "idp::config::unknown_delegation",
                    format!("`delegate` takes `waive` and `policy NAME…`, not `{other}`"),
                )
                .help("write `delegate { waive; policy max-ttl }`"),
            ),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_policies_tags_and_state() {
        let text = "catalog path=\"platform\"\npolicy max-ttl { preview \"14d\" }\npolicy required-tags\ntags { cost-center \"eng\" }\nstate \"local\" { path \"state\" }\n";
        let c = ProjectConfig::parse(Path::new("/repo/idp.kdl"), text).expect("valid");
        assert_eq!(
            c.catalogs,
            [SourceDir {
                path: PathBuf::from("/repo/platform"),
                declared: Declared::Organisation,
                overrides: vec![],
            }]
        );
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
    fn approval_is_the_organisations_and_gates_only_its_denies() {
        let text = "policy naming enforcement=\"approval\"\npolicy max-ttl\napprovals expire-after=\"2d\" { rule \"max-ttl/too-long\"; }\n";
        let mut c = ProjectConfig::parse(Path::new("/repo/idp.kdl"), text).expect("valid");
        assert_eq!(c.policies[0].enforcement, Enforcement::Approval);
        assert_eq!(c.approvals.expire_after_secs, 2 * 86_400);
        let finding = |policy: &str, rule: &str, severity| {
            let mut f = Finding::engine(severity, rule, "m".into(), String::new());
            let id = idp_model::PluginId {
                kind: idp_model::PluginKind::Policy,
                name: policy.into(),
                version: "0.1.0".into(),
                sha256: String::new(),
                source: "built-in catalog".into(),
            };
            f.plugin = Some(std::sync::Arc::new(id));
            f
        };
        assert!(c.approval_gated(&finding("naming", "any", Severity::Deny)));
        assert!(c.approval_gated(&finding("max-ttl", "too-long", Severity::Deny)));
        assert!(!c.approval_gated(&finding("max-ttl", "other", Severity::Deny)));
        assert!(!c.approval_gated(&finding("naming", "any", Severity::Warn)));
        let nested = "\n\npolicy cost-limit enforcement=\"approval\"\napprovals\n";
        let err = c
            .add_nested(Path::new("/repo/team/idp.kdl"), nested)
            .expect_err("organisation only");
        let lines: Vec<usize> = err.0.iter().map(|p| p.line_col().0).collect();
        assert_eq!(lines, [3, 4]);
        assert!(
            err.0
                .iter()
                .all(|p| p.code == "idp::config::organisation_only")
        );
        let bad = "approvals expire-after=\"soon\" { policy x; }\n";
        let err = ProjectConfig::parse(Path::new("idp.kdl"), bad).expect_err("invalid");
        assert_eq!(err.0.len(), 2);
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

    fn org() -> ProjectConfig {
        let text = "policy max-ttl { preview \"14d\" }\npolicy naming\ntags { cost-center \"eng\" }\ncatalog path=\"platform\" overrides=\"max-ttl\"\n";
        ProjectConfig::parse(Path::new("/repo/idp.kdl"), text).expect("valid")
    }

    #[test]
    fn a_nested_configuration_adds_but_never_weakens() {
        let mut c = org();
        c.add_nested(
            Path::new("/repo/team/idp.kdl"),
            "policy image-pinning enforcement=\"warn\"\ntags { team-tag \"x\" }\ncatalog path=\"catalog\"\n",
        )
        .expect("additions are fine");
        let names: Vec<&str> = c.policies.iter().map(|p| p.name.value.as_str()).collect();
        assert_eq!(names, ["max-ttl", "naming", "image-pinning"]);
        assert_eq!(c.catalogs[1].declared, Declared::Team);
        assert_eq!(c.files.len(), 2);

        let text = "policy max-ttl { preview \"999d\" }\nstate \"local\" { path \"x\" }\nexecutor local\nwaive max-ttl path=\"**\" reason=\"r\" owner=\"a@b.io\" until=\"2099-01-01\"\ntags { cost-center \"free\" }\ncatalog path=\"c\" overrides=\"naming\"\ndelegate { waive }\n";
        let err = org()
            .add_nested(Path::new("/repo/team/idp.kdl"), text)
            .expect_err("weakening");
        let found: Vec<(&str, usize)> = err
            .0
            .iter()
            .map(|p| (p.code.as_str(), p.line_col().0))
            .collect();
        assert_eq!(
            found,
            [
                ("idp::config::policy_not_delegated", 1),
                ("idp::config::organisation_only", 2),
                ("idp::config::organisation_only", 3),
                ("idp::config::organisation_only", 4),
                ("idp::config::organisation_only", 5),
                ("idp::config::organisation_only", 6),
                ("idp::config::organisation_only", 7),
            ]
        );
    }

    #[test]
    fn delegation_is_explicit_and_keeps_enforcement() {
        let text = "policy max-ttl enforcement=\"deny\" { preview \"14d\" }\ndelegate { waive; policy max-ttl }\n";
        let mut c = ProjectConfig::parse(Path::new("/repo/idp.kdl"), text).expect("valid");
        c.add_nested(
            Path::new("/repo/team/idp.kdl"),
            "policy max-ttl { preview \"21d\" }\nwaive naming path=\"legacy/**\" reason=\"r\" owner=\"a@b.io\" until=\"2099-01-01\"\n",
        )
        .expect("delegated");
        let settings = c.policies[0]
            .settings(None, &c.policies[0].source)
            .expect("settings")
            .0;
        assert_eq!(settings["preview"], "21d");
        assert_eq!(c.policies[0].enforcement, Enforcement::Deny);
        assert_eq!(
            c.waivers_for(Path::new("/repo/team/legacy/env.kdl")).len(),
            1
        );
        assert!(
            c.waivers_for(Path::new("/repo/other/legacy/env.kdl"))
                .is_empty(),
            "a nested waiver covers only the specs below it"
        );
        let err = c
            .add_nested(
                Path::new("/repo/team/idp.kdl"),
                "policy max-ttl enforcement=\"advisory\"\n",
            )
            .expect_err("enforcement is the organisation's");
        assert_eq!(err.0[0].code, "idp::config::organisation_only");
    }

    #[test]
    fn the_topmost_configuration_below_the_repository_root_is_the_organisations() {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(repo.join(".git")).expect("git");
        std::fs::create_dir_all(repo.join("specs/team")).expect("mkdir");
        std::fs::write(dir.path().join(CONFIG_FILE), "policy naming\n").expect("outside the repo");
        std::fs::write(repo.join(CONFIG_FILE), "policy max-ttl\n").expect("org");
        std::fs::write(repo.join("specs/team").join(CONFIG_FILE), "policy naming\n").expect("team");
        let c = ProjectConfig::load_layered(&repo.join("specs/team").join(CONFIG_FILE))
            .expect("layered");
        assert_eq!(c.source.path, repo.join(CONFIG_FILE));
        let names: Vec<&str> = c.policies.iter().map(|p| p.name.value.as_str()).collect();
        assert_eq!(
            names,
            ["max-ttl", "naming"],
            "nothing above the repository root counts"
        );
    }

    #[test]
    fn outside_a_repository_only_the_nearest_configuration_counts() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("work")).expect("mkdir");
        // A file in a shared directory above must not become the organisation's.
        std::fs::write(
            dir.path().join(CONFIG_FILE),
            "state \"local\" { path \"/x\" }\n",
        )
        .expect("planted");
        std::fs::write(
            dir.path().join("work").join(CONFIG_FILE),
            "policy max-ttl\n",
        )
        .expect("own");
        let nearest = dir.path().join("work").join(CONFIG_FILE);
        let c = ProjectConfig::load_layered(&nearest).expect("nearest alone");
        assert_eq!(c.files, [nearest]);
        assert_eq!(c.state_dir, dir.path().join("work/.idp"));
    }
}
