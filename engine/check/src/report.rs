//! What a check found, reduced to what every output format needs: located items, the
//! environments checked, and the rules that may be reported.

use std::path::Path;
use std::time::Duration;

use idp_model::{Severity, Waived};
use idp_plan::{Plan, StageTimes};
use idp_spec::{Problem, Problems, SourceFile};
use miette::SourceSpan;

/// What produced an item, which decides its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    /// A policy finding or a waiver finding (exit 1 when it blocks).
    Finding,
    /// A problem with the spec or `idp.kdl` (exit 2).
    Input,
    /// A plugin or infrastructure failure (exit 3).
    Failure,
}

/// One located result.
#[derive(Debug, Clone)]
pub struct Item {
    /// What produced it.
    pub kind: ItemKind,
    /// The environment it concerns, when it concerns one.
    pub environment: Option<String>,
    /// Stable rule id: `max-ttl/ttl-above-maximum`, `idp/waiver-expired`,
    /// `idp::spec::unknown_field`.
    pub rule: String,
    /// Severity after the project's enforcement.
    pub severity: Severity,
    /// The waiver that accepts it.
    pub waived: Option<Waived>,
    /// Reported under `advisory` enforcement.
    pub advisory: bool,
    /// A deny under `approval` enforcement: the apply waits for an approver; the check
    /// passes.
    pub approval: bool,
    /// One line.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// Where, in the file's text.
    pub span: SourceSpan,
    /// 1-based line and column of the start.
    pub start: (usize, usize),
    /// 1-based line and column of the end.
    pub end: (usize, usize),
}

impl Item {
    /// Whether it makes `idp check` fail with exit code 1.
    pub fn blocks(&self) -> bool {
        self.kind == ItemKind::Finding
            && self.severity == Severity::Deny
            && self.waived.is_none()
            && !self.advisory
            && !self.approval
    }

    /// An input error with no place in a file (the file is missing or unreadable).
    pub fn input_error(code: &str, message: String, help: Option<String>) -> Self {
        Item {
            kind: ItemKind::Input,
            environment: None,
            rule: code.to_owned(),
            severity: Severity::Deny,
            waived: None,
            advisory: false,
            approval: false,
            message,
            help,
            span: SourceSpan::from(0..0),
            start: (1, 1),
            end: (1, 1),
        }
    }

    /// A finding idp reports at a place in `source`.
    pub fn engine_finding(
        source: &SourceFile,
        span: SourceSpan,
        rule: &str,
        severity: Severity,
        message: String,
        help: Option<String>,
    ) -> Self {
        Item {
            kind: ItemKind::Finding,
            environment: None,
            rule: rule.to_owned(),
            severity,
            waived: None,
            advisory: false,
            approval: false,
            message,
            help,
            span,
            start: (1, 1),
            end: (1, 1),
        }
        .located(source)
    }

    fn located(mut self, source: &SourceFile) -> Self {
        let offset = self.span.offset();
        self.start = source.line_col(offset);
        self.end = source.line_col(offset + self.span.len());
        self
    }

    fn from_problem(p: &Problem, kind: ItemKind) -> Self {
        let severity = match p.severity {
            miette::Severity::Error => Severity::Deny,
            miette::Severity::Warning => Severity::Warn,
            miette::Severity::Advice => Severity::Info,
        };
        Item {
            kind,
            environment: None,
            rule: p.code.clone(),
            severity,
            waived: None,
            advisory: false,
            approval: false,
            message: p.message.clone(),
            help: p.help.clone(),
            span: p.span,
            start: (1, 1),
            end: (1, 1),
        }
        .located(&p.source)
    }
}

/// One environment that went through the pipeline.
#[derive(Debug, Clone)]
pub struct EnvSummary {
    /// Its name.
    pub name: String,
    /// Template name and version.
    pub template: String,
    /// The template's catalog identity.
    pub template_id: std::sync::Arc<idp_model::PluginId>,
    /// Class.
    pub class: String,
    /// Region.
    pub region: String,
    /// Estimated monthly cost, when the price book covers it.
    pub monthly_cost: Option<f64>,
    /// Its expiry as planned; `None` for `ttl never` (and in results cached before it
    /// was kept).
    pub expires_at: Option<jiff::Timestamp>,
}

/// Everything found in one file.
#[derive(Debug, Clone)]
pub struct FileResult {
    /// The file and its text (for spans in human output).
    pub source: SourceFile,
    /// Environments that were judged.
    pub environments: Vec<EnvSummary>,
    /// What was found, in file order.
    pub items: Vec<Item>,
    /// `idp.kdl` waivers covering this file: their index and whether a finding used them.
    pub project_waivers: Vec<(usize, bool)>,
    /// The file is an `idp.kdl`, not a spec.
    pub config: bool,
    /// The configuration and policies that judged it (judged files only).
    pub provenance: Option<std::sync::Arc<idp_plan::Provenance>>,
}

impl FileResult {
    /// A file that could not be read or placed in a project.
    pub fn unreadable(path: &Path, item: Item) -> Self {
        FileResult {
            source: SourceFile::new(path, String::new()),
            environments: Vec::new(),
            items: vec![item],
            project_waivers: Vec::new(),
            config: false,
            provenance: None,
        }
    }

    /// Marks the result as one about an `idp.kdl`.
    pub fn of_config(mut self) -> Self {
        self.config = true;
        self
    }

    /// A file whose problems stopped it before judge.
    pub fn problems(source: SourceFile, problems: &Problems) -> Self {
        FileResult {
            source,
            environments: Vec::new(),
            items: problems
                .0
                .iter()
                .map(|p| Item::from_problem(p, ItemKind::Input))
                .collect(),
            project_waivers: Vec::new(),
            config: false,
            provenance: None,
        }
    }

    /// A file a plugin or the infrastructure failed on.
    pub fn failed(source: SourceFile, rule: &str, message: String) -> Self {
        let mut item = Item::input_error(rule, message, None);
        item.kind = ItemKind::Failure;
        FileResult {
            source,
            environments: Vec::new(),
            items: vec![item],
            project_waivers: Vec::new(),
            config: false,
            provenance: None,
        }
    }

    /// A judged file: every finding of every environment, located.
    pub fn judged(plan: Plan) -> Self {
        let source = plan.source;
        let provenance = plan.provenance;
        let mut items = Vec::new();
        let mut environments = Vec::new();
        let mut project_waivers: Vec<(usize, bool)> = Vec::new();
        for env in plan.environments {
            for &(index, used) in &env.project_waivers {
                match project_waivers.iter_mut().find(|(i, _)| *i == index) {
                    Some(seen) => seen.1 |= used,
                    None => project_waivers.push((index, used)),
                }
            }
            for f in env.findings {
                items.push(
                    Item {
                        kind: ItemKind::Finding,
                        environment: Some(env.env.name.clone()),
                        rule: f.code(),
                        severity: f.severity,
                        waived: f.waived,
                        advisory: f.advisory,
                        approval: f.approval,
                        message: f.message,
                        help: f.help,
                        span: env.spans.value_span(&f.pointer),
                        start: (1, 1),
                        end: (1, 1),
                    }
                    .located(&source),
                );
            }
            let monthly_cost = match &env.cost {
                Some(Ok(estimate)) => Some(estimate.monthly),
                _ => None,
            };
            environments.push(EnvSummary {
                monthly_cost,
                expires_at: env.env.expires_at,
                name: env.env.name,
                template: format!("{} {}", env.env.template, env.env.template_version),
                template_id: env.template.clone(),
                class: env.env.class.to_string(),
                region: env.env.region,
            });
        }
        items.sort_by_key(|i| i.span.offset());
        FileResult {
            source,
            environments,
            items,
            project_waivers,
            config: false,
            provenance: Some(provenance),
        }
    }
}

/// A rule that may appear in the report, with the text SARIF and markdown show for it.
#[derive(Debug, Clone)]
pub struct RuleDescriptor {
    /// Full id (`max-ttl/ttl-above-maximum`).
    pub id: String,
    /// What it checks, in one line.
    pub summary: String,
    /// How to comply.
    pub help: String,
    /// Severity when the organisation does not change it.
    pub default_severity: Severity,
}

/// Where the time went, summed over all worker threads.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timings {
    /// Reading and parsing spec files.
    pub parse: Duration,
    /// The pipeline's stages.
    pub stages: StageTimes,
    /// Wall-clock time of the whole check.
    pub wall: Duration,
    /// Worker threads.
    pub threads: usize,
}

/// The outcome of `idp check`.
#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    /// Every file checked (and every `idp.kdl` with problems), sorted by path.
    pub files: Vec<FileResult>,
    /// Every rule that can be reported, sorted by id.
    pub rules: Vec<RuleDescriptor>,
    /// Where the time went.
    pub timings: Timings,
}

impl CheckReport {
    /// Every item with its file.
    pub fn items(&self) -> impl Iterator<Item = (&FileResult, &Item)> {
        self.files
            .iter()
            .flat_map(|f| f.items.iter().map(move |i| (f, i)))
    }

    /// Environments judged.
    pub fn environment_count(&self) -> usize {
        self.files.iter().map(|f| f.environments.len()).sum()
    }

    /// Whether any item has this kind.
    pub fn has(&self, kind: ItemKind) -> bool {
        self.items().any(|(_, i)| i.kind == kind)
    }

    /// Whether a finding blocks (exit 1), or, with `fail_on_warn`, any active warning does.
    pub fn fails(&self, fail_on_warn: bool) -> bool {
        self.items().any(|(_, i)| {
            i.blocks()
                || (fail_on_warn
                    && i.kind == ItemKind::Finding
                    && i.severity == Severity::Warn
                    && i.waived.is_none())
        })
    }

    /// The descriptor of a rule id.
    pub fn rule(&self, id: &str) -> Option<&RuleDescriptor> {
        self.rules
            .binary_search_by(|r| r.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.rules[i])
    }
}
