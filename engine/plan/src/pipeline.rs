use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use idp_catalog::{Catalog, CatalogError};
use idp_config::ProjectConfig;
use idp_derive::DeriveInput;
use idp_emit::Workspace;
use idp_host::{PluginHost, PolicyPlugin, TemplatePlugin};
use idp_model::{Environment, Finding, PluginId, PluginKind, Rendering};
use idp_spec::{EnvSpec, Problem, Problems, SourceFile, SpanMap, SpecFile, Validator};
use idp_state::{Record, StateStore, Status};
use jiff::Timestamp;

use crate::PlanError;
use crate::judge::{LoadedPolicy, WaiverOrigin, judge, register_waiver_spans};

/// Where the pipeline stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// After derive: syntax, inputs, tags, TTL (`idp validate`).
    Validate,
    /// After judge: rendered and judged by every policy, nothing emitted (`idp check`).
    Judge,
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
    /// The local state directory: workspaces and their locks.
    pub state: StateStore,
    /// Where records are read (creation times on re-apply) and written: the local
    /// directory, or S3 when `idp.kdl` says `state s3`.
    pub records: std::sync::Arc<dyn idp_state::RecordStore>,
    /// Prices for the cost estimate.
    pub prices: idp_price::PriceBook,
}

/// One environment after the pipeline.
pub struct PlannedEnv {
    /// The derived environment.
    pub env: Environment,
    /// The template's catalog identity.
    pub template: Arc<PluginId>,
    /// The rendering (absent when stopped at validate).
    pub rendering: Option<Rendering>,
    /// The cost estimate, or why there is none (absent when stopped at validate).
    pub cost: Option<Result<idp_price::Estimate, idp_price::PriceError>>,
    /// Policy findings.
    pub findings: Vec<Finding>,
    /// `idp.kdl` waivers covering the spec: index and whether a finding used them.
    pub project_waivers: Vec<(usize, bool)>,
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
        self.findings.iter().any(Finding::blocks)
    }
}

/// Which configuration files and plugins judged a plan, and where each came from.
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    /// Every configuration file that applied, the organisation's first.
    pub config_files: Vec<std::path::PathBuf>,
    /// Every policy that judged, with the file that enabled it.
    pub policies: Vec<(Arc<PluginId>, std::path::PathBuf)>,
}

/// A planned spec file.
pub struct Plan {
    /// The spec's source.
    pub source: SourceFile,
    /// The configuration and policies behind it (templates are on each environment).
    pub provenance: Arc<Provenance>,
    /// Its environments, in file order.
    pub environments: Vec<PlannedEnv>,
}

impl Plan {
    /// Whether any environment is denied.
    pub fn denied(&self) -> bool {
        self.environments.iter().any(PlannedEnv::denied)
    }

    /// Whether a finding fails `idp plan` (a deny no approver can let through).
    pub fn fails(&self) -> bool {
        self.environments
            .iter()
            .flat_map(|e| &e.findings)
            .any(Finding::fails)
    }
}

/// Time spent in each stage by one pipeline, summed over every spec it planned; the
/// check benchmark reports it as the per-stage split.
#[derive(Debug, Clone, Copy, Default)]
pub struct StageTimes {
    /// Resolving and loading templates.
    pub resolve: Duration,
    /// KDL → JSON of the inputs and schema validation.
    pub validate: Duration,
    /// Tags, TTL, created-at.
    pub derive: Duration,
    /// The template's `render`.
    pub render: Duration,
    /// The bill of materials × the price book.
    pub price: Duration,
    /// Every policy's `evaluate`, enforcement and waivers.
    pub judge: Duration,
    /// Policy calls made: policies skip the classes they do not judge.
    pub policy_calls: u64,
    /// Workspace files and digest.
    pub emit: Duration,
}

impl StageTimes {
    /// Adds another pipeline's times to these.
    pub fn add(&mut self, other: &StageTimes) {
        self.resolve += other.resolve;
        self.validate += other.validate;
        self.derive += other.derive;
        self.render += other.render;
        self.price += other.price;
        self.judge += other.judge;
        self.policy_calls += other.policy_calls;
        self.emit += other.emit;
    }
}

/// Adds the time since `*mark` to `slot` and moves the mark to now.
fn lap(slot: &mut Duration, mark: &mut Instant) {
    let now = Instant::now();
    *slot += now - *mark;
    *mark = now;
}

/// A template loaded once per run, with its compiled input schema and catalog identity.
type LoadedTemplate = Rc<(TemplatePlugin, Validator, Arc<PluginId>)>;

/// The loaded plugins of one run.
pub struct Pipeline<'p> {
    project: &'p Project,
    policies: Vec<LoadedPolicy>,
    /// Keyed by template name and version requirement.
    templates: HashMap<(String, Option<String>), LoadedTemplate>,
    /// Environment name → the exact template version an upgrade plans it with.
    pinned_versions: HashMap<String, String>,
    /// Environment name → its record as the caller already read it, so planning it
    /// again does not read the store again.
    known_records: HashMap<String, Record>,
    times: StageTimes,
    provenance: Arc<Provenance>,
}

impl<'p> Pipeline<'p> {
    /// Loads every configured policy and validates its settings; unknown policies and
    /// bad settings are reported at their place in `idp.kdl`.
    pub fn new(project: &'p Project) -> Result<Self, PlanError> {
        let config = &project.config;
        let mut problems = Problems::default();
        let mut policies = Vec::new();
        for (pc, loaded) in config.policies.iter().zip(load_policies(project)) {
            let (plugin, loaded) = match loaded {
                Ok(p) => p,
                Err(PlanError::Catalog(CatalogError::UnknownPlugin { help, .. })) => {
                    problems.push(
                        Problem::error(
                            &pc.source,
                            pc.name.span,
                            "idp::config::unknown_policy",
                            format!("unknown policy `{}`", pc.name.value),
                        )
                        .label("not in any catalog")
                        .help(help),
                    );
                    continue;
                }
                Err(e) => return Err(e),
            };
            let info = loaded.info();
            check_identity(&plugin, &info.name, &info.version, None)?;
            let id = Arc::new(plugin.id());
            let validator = Validator::new(loaded.info().settings_schema.clone()).map_err(|e| {
                PlanError::PluginSchema {
                    plugin: loaded.label().to_owned(),
                    what: "settings",
                    reason: e.0,
                }
            })?;
            let (settings, map) = match pc.settings(Some(validator.schema()), &pc.source) {
                Ok(s) => s,
                Err(p) => {
                    problems.append(p);
                    continue;
                }
            };
            let found = validator.validate(&settings, &map, &pc.source, "setting");
            if found.0.is_empty() {
                policies.push(LoadedPolicy {
                    plugin: loaded,
                    id,
                    configured_in: pc.source.path.clone(),
                    settings_json: settings.to_string(),
                    settings,
                    enforcement: pc.enforcement,
                });
            } else {
                problems.append(found);
            }
        }
        problems.into_result()?;
        let provenance = Arc::new(Provenance {
            config_files: config.files.clone(),
            policies: policies
                .iter()
                .map(|p| (p.id.clone(), p.configured_in.clone()))
                .collect(),
        });
        Ok(Pipeline {
            project,
            provenance,
            policies,
            templates: HashMap::new(),
            pinned_versions: HashMap::new(),
            known_records: HashMap::new(),
            times: StageTimes::default(),
        })
    }

    /// Plans environment `env` with exactly `version` of its template, whatever its
    /// record says (`idp upgrade`; decision 0015). The spec's own `version=` still wins.
    pub fn pin_template_version(&mut self, env: &str, version: &str) {
        self.pinned_versions
            .insert(env.to_owned(), format!("={version}"));
    }

    /// Plans `record`'s environment with `record` rather than reading the store, for
    /// every later plan of this pipeline: an upgrade holds the record it checked and
    /// plans it twice, and both plans must compare against that one record.
    pub fn know_record(&mut self, record: Record) {
        self.known_records.insert(record.name.clone(), record);
    }

    /// The loaded policies.
    pub fn policies(&self) -> &[LoadedPolicy] {
        &self.policies
    }

    /// Time spent per stage so far.
    pub fn times(&self) -> &StageTimes {
        &self.times
    }

    /// Which versions of its template an environment may use (decision 0015): the spec's
    /// `version=` when it says one, else the one an upgrade pinned, else the version the
    /// live environment was applied with (a plain re-apply never moves it), else any (the
    /// newest). The second value says whether it came from the record.
    fn wanted_version(&self, spec: &EnvSpec, recorded: Option<&Record>) -> (Option<String>, bool) {
        if let Some(v) = &spec.template_version {
            return (Some(v.clone()), false);
        }
        if let Some(v) = self.pinned_versions.get(&spec.name.value) {
            return (Some(v.clone()), false);
        }
        match recorded.filter(|r| r.template == spec.template.value) {
            Some(r) => (Some(format!("={}", r.template_version)), true),
            None => (None, false),
        }
    }

    fn template(
        &mut self,
        spec: &EnvSpec,
        recorded: Option<&Record>,
        source: &SourceFile,
    ) -> Result<Result<LoadedTemplate, Problem>, PlanError> {
        let (wanted, from_record) = self.wanted_version(spec, recorded);
        let key = (spec.template.value.clone(), wanted);
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
                Err(e) => {
                    let recorded = recorded.filter(|_| from_record);
                    return resolve_problem(e, spec, recorded, source).map(Err);
                }
            };
        let plugin = self.project.host.load_pinned_template(
            &key.0,
            &resolved.bytes,
            &resolved.entry.sha256,
        )?;
        let info = plugin.info();
        check_identity(&resolved, &info.name, &info.version, Some(&info.modules))?;
        let validator = Validator::new(plugin.info().input_schema.clone()).map_err(|e| {
            PlanError::PluginSchema {
                plugin: plugin.label().to_owned(),
                what: "input",
                reason: e.0,
            }
        })?;
        let loaded = Rc::new((plugin, validator, Arc::new(resolved.id())));
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
        let selected = select_environments(file, only)?;
        for spec in selected {
            if let Some(out) = self.plan_environment(spec, source, stage, now, &mut problems)? {
                planned.push(out);
            }
        }
        problems.into_result()?;
        Ok(Plan {
            source: source.clone(),
            provenance: self.provenance.clone(),
            environments: planned,
        })
    }

    /// Runs one environment through the pipeline up to `stage`; `None` when its problems
    /// were added to `problems` instead.
    fn plan_environment(
        &mut self,
        spec: &EnvSpec,
        source: &SourceFile,
        stage: Stage,
        now: Timestamp,
        problems: &mut Problems,
    ) -> Result<Option<PlannedEnv>, PlanError> {
        let mut mark = Instant::now();
        let recorded = match self.known_records.get(&spec.name.value) {
            Some(known) => Some(known.clone()),
            None => self.project.records.get(&spec.name.value)?,
        }
        .filter(|r| r.status != Status::Destroyed);
        let Some((template, inputs, spans)) =
            self.validated_inputs(spec, recorded.as_ref(), source, &mut mark, problems)?
        else {
            return Ok(None);
        };
        let plugin = &template.0;
        let derived = self.derive(spec, recorded.as_ref(), source, plugin, inputs, now)?;
        lap(&mut self.times.derive, &mut mark);
        let env = match derived {
            Ok(env) => env,
            Err(p) => {
                problems.append(p);
                return Ok(None);
            }
        };
        let mut out = PlannedEnv {
            template: template.2.clone(),
            rendering: None,
            cost: None,
            findings: Vec::new(),
            project_waivers: Vec::new(),
            workspace: None,
            spans,
            spec: spec.clone(),
            env,
        };
        if stage != Stage::Validate {
            let Some(rendering) = self.render(&out, &template, source, &mut mark, problems)? else {
                return Ok(None);
            };
            self.price_and_judge(&mut out, spec, &rendering, source, now, &mut mark)?;
            if stage == Stage::Emit {
                let catalog = &self.project.catalog;
                out.workspace = Some(idp_emit::emit(&out.env, &rendering, |m| {
                    catalog.module_files(m).ok()
                })?);
                lap(&mut self.times.emit, &mut mark);
            }
            out.rendering = Some(rendering);
        }
        Ok(Some(out))
    }

    /// Loads the spec's template and validates its inputs against the template's schema;
    /// `None` when the problems were added to `problems` instead.
    fn validated_inputs(
        &mut self,
        spec: &EnvSpec,
        recorded: Option<&Record>,
        source: &SourceFile,
        mark: &mut Instant,
        problems: &mut Problems,
    ) -> Result<Option<(LoadedTemplate, serde_json::Value, SpanMap)>, PlanError> {
        let template = self.template(spec, recorded, source);
        lap(&mut self.times.resolve, mark);
        let template = match template? {
            Ok(t) => t,
            Err(p) => {
                problems.push(p);
                return Ok(None);
            }
        };
        let validator = &template.1;
        let (inputs, spans) = match spec.inputs(Some(validator.schema()), source) {
            Ok(x) => x,
            Err(p) => {
                problems.append(p);
                return Ok(None);
            }
        };
        let found = validator.validate(&inputs, &spans, source, "input");
        lap(&mut self.times.validate, mark);
        if !found.0.is_empty() {
            problems.append(found);
            return Ok(None);
        }
        Ok(Some((template, inputs, spans)))
    }

    /// Derives the environment from the spec and what the state recorded of it (a
    /// destroyed record counts as none).
    fn derive(
        &self,
        spec: &EnvSpec,
        recorded: Option<&Record>,
        source: &SourceFile,
        plugin: &TemplatePlugin,
        inputs: serde_json::Value,
        now: Timestamp,
    ) -> Result<Result<Environment, Problems>, PlanError> {
        Ok(idp_derive::derive(DeriveInput {
            spec,
            source,
            template_version: &plugin.info().version,
            inputs,
            default_tags: &self.project.config.default_tags,
            recorded_created_at: recorded.map(|r| r.created_at),
            recorded_expires_at: recorded.and_then(|r| r.extended_until),
            now,
        }))
    }

    /// Renders the environment with its template and checks it calls declared modules
    /// only; `None` when the template refused (its refusals added to `problems`).
    fn render(
        &mut self,
        out: &PlannedEnv,
        template: &LoadedTemplate,
        source: &SourceFile,
        mark: &mut Instant,
        problems: &mut Problems,
    ) -> Result<Option<Rendering>, PlanError> {
        let plugin = &template.0;
        let rendered = plugin.render(&out.env);
        lap(&mut self.times.render, mark);
        let rendering = match rendered? {
            Ok(r) => r,
            Err(refusals) => {
                for f in refusals {
                    problems.push(
                        Problem::error(
                            source,
                            out.spans.value_span(&f.pointer),
                            "idp::render::refused",
                            format!("{}: {}", template.2, f.message),
                        )
                        .label(f.rule.clone())
                        .maybe_help(f.help),
                    );
                }
                return Ok(None);
            }
        };
        declared_modules_only(plugin, &rendering)?;
        Ok(Some(rendering))
    }

    /// Estimates the rendering's cost and judges it by every policy, with the spec's and
    /// the project's waivers; fills `out`'s cost, findings and project waivers.
    fn price_and_judge(
        &mut self,
        out: &mut PlannedEnv,
        spec: &EnvSpec,
        rendering: &Rendering,
        source: &SourceFile,
        now: Timestamp,
        mark: &mut Instant,
    ) -> Result<(), PlanError> {
        let cost = idp_price::estimate(
            &self.project.prices,
            &out.env.region,
            out.env.ttl.seconds(),
            &rendering.bill,
            out.env.schedule.as_ref(),
        );
        lap(&mut self.times.price, mark);
        register_waiver_spans(&mut out.spans, &spec.waivers);
        let project = self.project.config.waivers_for(&source.path);
        let waivers: Vec<_> = spec
            .waivers
            .iter()
            .enumerate()
            .map(|(n, w)| (w, WaiverOrigin::Spec(n)))
            .chain(project.iter().map(|&(index, w)| {
                let glob = w.glob.as_str();
                (&w.waiver, WaiverOrigin::Project { index, glob })
            }))
            .collect();
        let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
        let estimate = cost.as_ref().ok().map(idp_price::Estimate::for_policies);
        let judged = judge(
            &self.policies,
            &out.env,
            rendering,
            estimate,
            &waivers,
            today,
        )?;
        let class = out.env.class;
        let calls = self
            .policies
            .iter()
            .filter(|p| p.plugin.info().applies_to(class));
        self.times.policy_calls += calls.count() as u64;
        out.cost = Some(cost);
        out.findings = judged.findings;
        // After the waivers: only a deny still blocking can wait for an approver.
        for f in &mut out.findings {
            f.approval = self.project.config.approval_gated(f);
        }
        out.project_waivers = judged.project_waivers;
        lap(&mut self.times.judge, mark);
        Ok(())
    }
}

/// The environments of `file` to plan: all of them, or the one named `only` (an error at
/// the file's first environment when there is none of that name).
fn select_environments<'f>(
    file: &'f SpecFile,
    only: Option<&str>,
) -> Result<Vec<&'f EnvSpec>, PlanError> {
    let source = &file.source;
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
    Ok(selected)
}

/// A configured policy resolved (its bytes checked against the catalog's pin) and loaded.
type ResolvedPolicy = Result<(idp_catalog::Plugin, PolicyPlugin), PlanError>;

/// Resolves and loads every configured policy, in configuration order. Each load checks
/// the component's pin, verifies its compiled code's tag and instantiates it; the
/// loads are independent, so two threads share them (a warm `idp plan` spends most of
/// its time here).
fn load_policies(project: &Project) -> Vec<ResolvedPolicy> {
    let load = |pc: &idp_config::PolicyConfig| -> ResolvedPolicy {
        let plugin = project
            .catalog
            .resolve(PluginKind::Policy, &pc.name.value, None)?;
        let loaded =
            project
                .host
                .load_pinned_policy(&pc.name.value, &plugin.bytes, &plugin.entry.sha256)?;
        Ok((plugin, loaded))
    };
    let configured = &project.config.policies;
    // What plugins log while loading is shown in load order: one thread then.
    if configured.len() < 2 || project.host.has_log_sink() {
        return configured.iter().map(load).collect();
    }
    // Odd positions on a second thread, even ones here; put back in order after.
    std::thread::scope(|scope| {
        let odd = scope.spawn(|| {
            configured
                .iter()
                .skip(1)
                .step_by(2)
                .map(load)
                .collect::<Vec<_>>()
        });
        let even: Vec<_> = configured.iter().step_by(2).map(load).collect();
        let odd = odd
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let mut all = Vec::with_capacity(configured.len());
        let mut odd = odd.into_iter();
        for e in even {
            all.push(e);
            all.extend(odd.next());
        }
        all
    })
}

/// A template the catalog cannot give as the spec (or the record) asks, as a problem at
/// the spec's `template` line; other catalog failures are the catalog's.
fn resolve_problem(
    e: CatalogError,
    spec: &EnvSpec,
    recorded: Option<&Record>,
    source: &SourceFile,
) -> Result<Problem, PlanError> {
    let name = &spec.template.value;
    let at = spec.template.span;
    Ok(match e {
        CatalogError::UnknownPlugin { help, .. } => Problem::error(
            source,
            at,
            "idp::spec::unknown_template",
            format!("unknown template `{name}`"),
        )
        .label("not in any catalog")
        .help(help),
        CatalogError::VersionMismatch { available, .. } if recorded.is_some() => {
            let env = &spec.name.value;
            let applied = recorded.map_or("", |r| r.template_version.as_str());
            Problem::error(
                source,
                at,
                "idp::spec::template_version_gone",
                format!("`{env}` was applied with template `{name}` {applied}, which the catalog no longer has"),
            )
            .label("applied with a version the catalog dropped")
            .help(format!(
                "`idp upgrade {env}` moves it to a version the catalog has ({available}), or pin one with `version=`"
            ))
        }
        e @ CatalogError::VersionMismatch { .. } => {
            Problem::error(source, at, "idp::spec::template_version", e.to_string())
                .help("change `version=` or update the catalog")
        }
        e => return Err(e.into()),
    })
}

/// Refuses a component whose `info()` is not its catalog entry: another name (a team's
/// component posing as an organisation policy), another version, or, for a template,
/// other modules than the entry pins.
fn check_identity(
    resolved: &idp_catalog::Plugin,
    name: &str,
    version: &str,
    modules: Option<&[String]>,
) -> Result<(), PlanError> {
    let entry = &resolved.entry;
    let same_modules = modules.is_none_or(|m| {
        let mut declared = m.to_vec();
        let mut pinned = entry.modules.clone();
        declared.sort();
        pinned.sort();
        declared == pinned
    });
    if name == entry.name && version == entry.version && same_modules {
        return Ok(());
    }
    let found = match modules {
        Some(m) if name == entry.name && version == entry.version => format!(
            "using modules {}",
            m.iter()
                .map(|m| idp_model::printable(m))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => format!(
            "{} {}",
            idp_model::printable(name),
            idp_model::printable(version)
        ),
    };
    Err(PlanError::Identity {
        origin: resolved.source.describe(),
        kind: entry.kind,
        entry: format!("{} {}", entry.name, entry.version),
        found,
    })
}

/// A rendering may call only the modules its template declares.
fn declared_modules_only(plugin: &TemplatePlugin, rendering: &Rendering) -> Result<(), PlanError> {
    let declared = &plugin.info().modules;
    match rendering
        .calls
        .iter()
        .find(|c| !declared.contains(&c.module))
    {
        None => Ok(()),
        Some(call) => Err(PlanError::UndeclaredModule {
            plugin: plugin.label().to_owned(),
            call: idp_model::printable(&call.name),
            module: idp_model::printable(&call.module),
        }),
    }
}
