use std::collections::HashMap;
use std::rc::Rc;

use idp_catalog::{Catalog, CatalogError};
use idp_config::ProjectConfig;
use idp_derive::DeriveInput;
use idp_emit::Workspace;
use idp_host::{PluginHost, TemplatePlugin};
use idp_model::{Environment, Finding, PluginKind, Rendering, Severity};
use idp_spec::{EnvSpec, Problem, Problems, SourceFile, SpanMap, SpecFile, Validator};
use idp_state::{StateStore, Status};
use jiff::Timestamp;

use crate::PlanError;
use crate::judge::{LoadedPolicy, judge};

/// Where the pipeline stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// After derive: syntax, inputs, tags, TTL (`idp validate`).
    Validate,
    /// After emit (`idp plan`, `idp apply`).
    Emit,
}

/// Everything a run needs: configuration, catalog, plugin host and state.
pub struct Project {
    /// `idp.kdl`.
    pub config: ProjectConfig,
    /// Catalog sources.
    pub catalog: Catalog,
    /// The plugin host.
    pub host: PluginHost,
    /// The state store.
    pub state: StateStore,
}

/// One environment after the pipeline.
pub struct PlannedEnv {
    /// The derived environment.
    pub env: Environment,
    /// ``template `api-service` 0.1.0``.
    pub template_label: String,
    /// The rendering (absent when stopped at validate).
    pub rendering: Option<Rendering>,
    /// Policy findings.
    pub findings: Vec<Finding>,
    /// The workspace (absent when stopped at validate).
    pub workspace: Option<Workspace>,
    /// Spans of every pointer of the environment document.
    pub spans: SpanMap,
    /// The spec node's waivers etc.
    pub spec: EnvSpec,
}

impl PlannedEnv {
    /// Whether a finding denies the apply.
    pub fn denied(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Deny)
    }
}

/// A planned spec file.
pub struct Plan {
    /// The spec's source.
    pub source: SourceFile,
    /// Its environments, in file order.
    pub environments: Vec<PlannedEnv>,
}

impl Plan {
    /// Whether any environment is denied.
    pub fn denied(&self) -> bool {
        self.environments.iter().any(PlannedEnv::denied)
    }
}

/// A template loaded once per run, with its compiled input schema.
type LoadedTemplate = Rc<(TemplatePlugin, Validator)>;

/// The loaded plugins of one run.
pub struct Pipeline<'p> {
    project: &'p Project,
    policies: Vec<LoadedPolicy>,
    /// Keyed by template name and version requirement.
    templates: HashMap<(String, Option<String>), LoadedTemplate>,
}

impl<'p> Pipeline<'p> {
    /// Loads every configured policy and validates its settings; unknown policies and
    /// bad settings are reported at their place in `idp.kdl`.
    pub fn new(project: &'p Project) -> Result<Self, PlanError> {
        let config = &project.config;
        let mut problems = Problems::default();
        let mut policies = Vec::new();
        for pc in &config.policies {
            let plugin = match project
                .catalog
                .resolve(PluginKind::Policy, &pc.name.value, None)
            {
                Ok(p) => p,
                Err(CatalogError::UnknownPlugin { help, .. }) => {
                    problems.push(
                        Problem::error(
                            &config.source,
                            pc.name.span,
                            "idp::config::unknown_policy",
                            format!("unknown policy `{}`", pc.name.value),
                        )
                        .label("not in any catalog")
                        .help(help),
                    );
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let loaded = project.host.load_policy(&pc.name.value, &plugin.bytes)?;
            let validator = Validator::new(loaded.info().settings_schema.clone()).map_err(|e| {
                PlanError::PluginSchema {
                    plugin: loaded.label().to_owned(),
                    what: "settings",
                    reason: e.0,
                }
            })?;
            let (settings, map) = match pc.settings(Some(validator.schema()), &config.source) {
                Ok(s) => s,
                Err(p) => {
                    problems.0.extend(p.0);
                    continue;
                }
            };
            let found = validator.validate(&settings, &map, &config.source, "setting");
            if found.0.is_empty() {
                policies.push(LoadedPolicy {
                    plugin: loaded,
                    settings,
                });
            } else {
                problems.0.extend(found.0);
            }
        }
        problems.into_result()?;
        Ok(Pipeline {
            project,
            policies,
            templates: HashMap::new(),
        })
    }

    /// The loaded policies.
    pub fn policies(&self) -> &[LoadedPolicy] {
        &self.policies
    }

    fn template(
        &mut self,
        spec: &EnvSpec,
        source: &SourceFile,
    ) -> Result<Result<LoadedTemplate, Problem>, PlanError> {
        let key = (spec.template.value.clone(), spec.template_version.clone());
        if let Some(t) = self.templates.get(&key) {
            return Ok(Ok(t.clone()));
        }
        let resolved =
            match self
                .project
                .catalog
                .resolve(PluginKind::Template, &key.0, key.1.as_deref())
            {
                Ok(p) => p,
                Err(CatalogError::UnknownPlugin { help, .. }) => {
                    return Ok(Err(Problem::error(
                        source,
                        spec.template.span,
                        "idp::spec::unknown_template",
                        format!("unknown template `{}`", key.0),
                    )
                    .label("not in any catalog")
                    .help(help)));
                }
                Err(e @ CatalogError::VersionMismatch { .. }) => {
                    return Ok(Err(Problem::error(
                        source,
                        spec.template.span,
                        "idp::spec::template_version",
                        e.to_string(),
                    )
                    .help("change `version=` or update the catalog")));
                }
                Err(e) => return Err(e.into()),
            };
        let plugin = self.project.host.load_template(&key.0, &resolved.bytes)?;
        let validator = Validator::new(plugin.info().input_schema.clone()).map_err(|e| {
            PlanError::PluginSchema {
                plugin: plugin.label().to_owned(),
                what: "input",
                reason: e.0,
            }
        })?;
        let loaded = Rc::new((plugin, validator));
        self.templates.insert(key, loaded.clone());
        Ok(Ok(loaded))
    }

    /// Runs a spec file through the pipeline up to `stage`. `now` is the clock for new
    /// environments; recorded ones keep their `created-at`.
    pub fn plan(
        &mut self,
        file: &SpecFile,
        only: Option<&str>,
        stage: Stage,
        now: Timestamp,
    ) -> Result<Plan, PlanError> {
        let source = &file.source;
        let mut problems = Problems::default();
        let mut planned = Vec::new();
        let selected: Vec<&EnvSpec> = file
            .environments
            .iter()
            .filter(|e| only.is_none_or(|n| e.name.value == n))
            .collect();
        if let (Some(name), true) = (only, selected.is_empty()) {
            let names: Vec<&str> = file
                .environments
                .iter()
                .map(|e| e.name.value.as_str())
                .collect();
            let first = &file.environments[0];
            return Err(Problems::from(
                Problem::error(
                    source,
                    first.name.span,
                    "idp::spec::unknown_environment",
                    format!("no environment `{name}` in this file"),
                )
                .help(format!("environments here: {}", names.join(", "))),
            )
            .into());
        }
        for spec in selected {
            let template = match self.template(spec, source)? {
                Ok(t) => t,
                Err(p) => {
                    problems.push(p);
                    continue;
                }
            };
            let (plugin, validator) = (&template.0, &template.1);
            let (inputs, spans) = match spec.inputs(Some(validator.schema()), source) {
                Ok(x) => x,
                Err(p) => {
                    problems.0.extend(p.0);
                    continue;
                }
            };
            let found = validator.validate(&inputs, &spans, source, "input");
            if !found.0.is_empty() {
                problems.0.extend(found.0);
                continue;
            }
            let recorded = self
                .project
                .state
                .get(&spec.name.value)?
                .filter(|r| r.status != Status::Destroyed)
                .map(|r| r.created_at);
            let env = match idp_derive::derive(DeriveInput {
                spec,
                source,
                template_version: &plugin.info().version,
                inputs,
                default_tags: &self.project.config.default_tags,
                recorded_created_at: recorded,
                now,
            }) {
                Ok(env) => env,
                Err(p) => {
                    problems.0.extend(p.0);
                    continue;
                }
            };
            let mut out = PlannedEnv {
                template_label: plugin.label().to_owned(),
                rendering: None,
                findings: Vec::new(),
                workspace: None,
                spans,
                spec: spec.clone(),
                env,
            };
            if stage == Stage::Emit {
                let rendering = match plugin.render(&out.env)? {
                    Ok(r) => r,
                    Err(refusals) => {
                        for f in refusals {
                            problems.push(
                                Problem::error(
                                    source,
                                    out.spans.value_span(&f.pointer),
                                    "idp::render::refused",
                                    format!("{}: {}", f.plugin, f.message),
                                )
                                .label(f.rule.clone())
                                .maybe_help(f.help),
                            );
                        }
                        continue;
                    }
                };
                out.findings = judge(&self.policies, &out.env, &rendering)?;
                let catalog = &self.project.catalog;
                out.workspace = Some(idp_emit::emit(&out.env, &rendering, |m| {
                    catalog.module_files(m).ok()
                })?);
                out.rendering = Some(rendering);
            }
            planned.push(out);
        }
        problems.into_result()?;
        Ok(Plan {
            source: source.clone(),
            environments: planned,
        })
    }
}
