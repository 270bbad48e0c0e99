//! The report of `idp check` in every format it speaks. Every format is built from the
//! same [`CheckReport`] items, so each one carries the same findings at the same places.

mod github;
mod junit;
mod markdown;
mod sarif;

use std::fmt::Write;

use idp_check::{CheckReport, FileResult, Item, ItemKind};
use idp_model::Severity;
use idp_spec::{Problem, Problems};
use serde_json::{Value, json};

pub use github::check_github;
pub use junit::check_junit;
pub use junit::xml as xml_text;
pub use markdown::check_markdown;
pub use sarif::check_sarif;

use crate::JSON_VERSION;

/// What an item amounts to, the one classification every format maps to its own words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A problem with the input (exit 2).
    InputError,
    /// A plugin or infrastructure failure (exit 3).
    Failure,
    /// A finding a waiver accepts.
    Waived,
    /// A finding under advisory enforcement.
    Advisory,
    /// A deny under approval enforcement: the apply waits for an approver.
    Approval,
    /// An active finding of this severity.
    Active(Severity),
}

impl Verdict {
    /// Classifies an item.
    pub fn of(item: &Item) -> Self {
        match (item.kind, &item.waived, item.advisory) {
            (ItemKind::Input, ..) => Verdict::InputError,
            (ItemKind::Failure, ..) => Verdict::Failure,
            (_, Some(_), _) => Verdict::Waived,
            (_, None, true) => Verdict::Advisory,
            (_, None, false) if item.approval => Verdict::Approval,
            (_, None, false) => Verdict::Active(item.severity),
        }
    }
}

/// How an item reads in one word or a few: `deny`, `advisory deny`, `waived deny`, `error`.
pub fn item_status(item: &Item) -> String {
    match Verdict::of(item) {
        Verdict::InputError => "input error".into(),
        Verdict::Failure => "plugin failure".into(),
        Verdict::Waived => format!("waived {}", item.severity),
        Verdict::Advisory => format!("advisory {}", item.severity),
        Verdict::Approval => format!("{}, needs approval", item.severity),
        Verdict::Active(s) => s.to_string(),
    }
}

/// Counts by outcome, shared by every format's summary.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct Counts {
    /// Spec files checked (not counting `idp.kdl` files with problems).
    pub files: usize,
    /// Environments judged.
    pub environments: usize,
    /// Active deny findings.
    pub deny: usize,
    /// Active warnings.
    pub warn: usize,
    /// Active info findings.
    pub info: usize,
    /// Findings accepted by a waiver.
    pub waived: usize,
    /// Findings under advisory enforcement.
    pub advisory: usize,
    /// Denies under approval enforcement (shown only when there are some).
    #[serde(skip_serializing_if = "is_zero")]
    pub approval: usize,
    /// Problems in specs or `idp.kdl`.
    pub input_errors: usize,
    /// Plugin or infrastructure failures.
    pub failures: usize,
}

impl Counts {
    /// Counts the report's items.
    pub fn of(report: &CheckReport) -> Self {
        let mut c = Counts {
            files: report.files.iter().filter(|f| !f.config).count(),
            environments: report.environment_count(),
            ..Counts::default()
        };
        for (_, i) in report.items() {
            *match Verdict::of(i) {
                Verdict::InputError => &mut c.input_errors,
                Verdict::Failure => &mut c.failures,
                Verdict::Waived => &mut c.waived,
                Verdict::Advisory => &mut c.advisory,
                Verdict::Approval => &mut c.approval,
                Verdict::Active(Severity::Deny) => &mut c.deny,
                Verdict::Active(Severity::Warn) => &mut c.warn,
                Verdict::Active(Severity::Info) => &mut c.info,
            } += 1;
        }
        c
    }

    /// `7 files, 8 environments: 2 deny, 1 warn, 0 info, 1 waived, 0 advisory, 0 input errors, 0 plugin failures`.
    pub fn line(&self) -> String {
        let mut line = format!(
            "{} file(s), {} environment(s): {} deny, {} warn, {} info, {} waived, {} advisory, {} input error(s), {} plugin failure(s)",
            self.files,
            self.environments,
            self.deny,
            self.warn,
            self.info,
            self.waived,
            self.advisory,
            self.input_errors,
            self.failures
        );
        if self.approval > 0 {
            line.push_str(&format!(", {} needing approval", self.approval));
        }
        line
    }
}

/// An item as a diagnostic at its place, for the human format.
pub fn item_problem(file: &FileResult, item: &Item) -> Problem {
    let severity = match Verdict::of(item) {
        Verdict::InputError | Verdict::Failure | Verdict::Active(Severity::Deny) => {
            miette::Severity::Error
        }
        Verdict::Advisory | Verdict::Approval | Verdict::Active(Severity::Warn) => {
            miette::Severity::Warning
        }
        Verdict::Waived | Verdict::Active(Severity::Info) => miette::Severity::Advice,
    };
    let status = match &item.waived {
        Some(w) => format!(
            "{} until {} ({}: {})",
            item_status(item),
            w.until,
            w.owner,
            w.reason
        ),
        None => item_status(item),
    };
    let subject = match &item.environment {
        Some(env) => format!("{status} ({env})"),
        None => status,
    };
    let label = item
        .rule
        .rsplit('/')
        .next()
        .unwrap_or(&item.rule)
        .to_owned();
    Problem::error(
        &file.source,
        item.span,
        &item.rule,
        format!("{subject}: {}", item.message),
    )
    .label(label)
    .maybe_help(item.help.clone())
    .severity(severity)
}

/// Every item as diagnostics, in file order.
pub fn check_problems(report: &CheckReport) -> Problems {
    Problems(report.items().map(|(f, i)| item_problem(f, i)).collect())
}

/// The human summary for stdout: files with findings, then the totals.
pub fn check_human(report: &CheckReport) -> String {
    let mut out = String::new();
    for f in &report.files {
        if f.items.is_empty() {
            continue;
        }
        let blocking = f
            .items
            .iter()
            .filter(|i| i.blocks() || i.kind != ItemKind::Finding)
            .count();
        let mark = if blocking > 0 { "✗" } else { "!" };
        writeln!(out, "{mark} {}", f.source.path.display()).ok();
        for i in &f.items {
            writeln!(
                out,
                "  {:>8}  {:<14} {}  {}",
                format!("{}:{}", i.start.0, i.start.1),
                item_status(i),
                i.rule,
                i.message
            )
            .ok();
        }
    }
    let mut shown: Vec<&idp_plan::Provenance> = Vec::new();
    for p in report.files.iter().filter_map(|f| f.provenance.as_deref()) {
        if !shown.iter().any(|s| s.config_files == p.config_files) {
            shown.push(p);
            crate::provenance_human(p, &mut out);
        }
    }
    writeln!(out, "checked {}", Counts::of(report).line()).ok();
    out
}

fn item_json(item: &Item) -> Value {
    json!({
        "rule": item.rule,
        "kind": match item.kind { ItemKind::Finding => "finding", ItemKind::Input => "input", ItemKind::Failure => "failure" },
        "severity": item.severity,
        "status": item_status(item),
        "blocks": item.blocks(),
        "environment": item.environment,
        "message": item.message,
        "help": item.help,
        "line": item.start.0,
        "column": item.start.1,
        "end_line": item.end.0,
        "end_column": item.end.1,
        "waived": item.waived,
        "advisory": item.advisory,
        "approval": item.approval,
    })
}

/// The JSON document of `idp check` (see docs/json-output.md), pretty-printed to `out`
/// with a final newline, one file's object built at a time: at 10,000 specs the whole
/// document as one value took ~300 MB, this takes what one file's object does
/// (decision 0004).
pub fn write_check_json(
    report: &CheckReport,
    failed: bool,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    use serde::ser::{SerializeMap, Serializer};
    let mut ser = serde_json::Serializer::pretty(&mut *out);
    let files = Streamed(report.files.iter().map(file_json));
    let mut map = ser.serialize_map(Some(5)).map_err(std::io::Error::from)?;
    map.serialize_entry("version", &JSON_VERSION)
        .and_then(|()| map.serialize_entry("passed", &!failed))
        .and_then(|()| map.serialize_entry("summary", &Counts::of(report)))
        .and_then(|()| map.serialize_entry("files", &files))
        .and_then(|()| map.serialize_entry("rules", &rules_json(report)))
        .and_then(|()| map.end())
        .map_err(std::io::Error::from)?;
    out.write_all(b"\n")
}

/// A sequence serialised from an iterator, each item built and dropped in turn.
struct Streamed<I>(I);

impl<I: Iterator<Item = Value> + Clone> serde::Serialize for Streamed<I> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.clone())
    }
}

/// One file of the JSON document.
fn file_json(f: &FileResult) -> Value {
    json!({
        "path": f.source.path,
        "configuration": f.provenance.as_deref().map(crate::provenance_json),
        "environments": f.environments.iter().map(|e| json!({
            "name": e.name, "template": e.template, "class": e.class, "region": e.region,
            "monthly_cost": e.monthly_cost, "template_plugin": e.template_id,
        })).collect::<Vec<_>>(),
        "findings": f.items.iter().map(item_json).collect::<Vec<_>>(),
    })
}

/// The rules of every policy that judged, for the JSON document.
fn rules_json(report: &CheckReport) -> Value {
    report
        .rules
        .iter()
        .map(|r| {
            json!({
                "id": r.id, "summary": r.summary, "help": r.help, "default_severity": r.default_severity,
            })
        })
        .collect()
}

/// `--cost`: every environment's estimated monthly cost, and the sum of those estimated.
pub fn check_costs(report: &CheckReport) -> String {
    let mut out = String::new();
    let envs: Vec<(&FileResult, &idp_check::EnvSummary)> = report
        .files
        .iter()
        .flat_map(|f| f.environments.iter().map(move |e| (f, e)))
        .collect();
    let width = envs.iter().map(|(_, e)| e.name.len()).max().unwrap_or(0);
    writeln!(out, "monthly cost (USD):").ok();
    let mut total = 0.0;
    let mut unknown = 0;
    for (f, e) in &envs {
        let figure = match e.monthly_cost {
            Some(m) => {
                total += m;
                format!("{m:>10.2}")
            }
            None => {
                unknown += 1;
                format!("{:>10}", "—")
            }
        };
        writeln!(
            out,
            "  {:<width$}  {figure}  {} ({})",
            e.name,
            f.source.path.display(),
            e.region
        )
        .ok();
    }
    writeln!(
        out,
        "  {:<width$}  {total:>10.2}  {} environment(s) estimated, {unknown} without prices for their region",
        "total",
        envs.len() - unknown
    )
    .ok();
    out
}

/// `--stats`: where the time went, per stage, summed over the worker threads.
pub fn check_timings(report: &CheckReport) -> String {
    let t = &report.timings;
    let s = &t.stages;
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    let cpu = t.parse + s.resolve + s.validate + s.derive + s.render + s.price + s.judge;
    format!(
        "timings: wall {:.0} ms on {} thread(s); stage CPU: parse {:.0} ms, resolve {:.0} ms, validate {:.0} ms, derive {:.0} ms, render {:.0} ms, price {:.0} ms, policies {:.0} ms over {} calls (sum {:.0} ms)",
        ms(t.wall),
        t.threads,
        ms(t.parse),
        ms(s.resolve),
        ms(s.validate),
        ms(s.derive),
        ms(s.render),
        ms(s.price),
        ms(s.judge),
        s.policy_calls,
        ms(cpu)
    )
}

/// A path as SARIF and GitHub want it: relative with forward slashes.
pub(crate) fn uri(path: &std::path::Path) -> String {
    let text = path.display().to_string().replace('\\', "/");
    text.strip_prefix("./").map(str::to_owned).unwrap_or(text)
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}
