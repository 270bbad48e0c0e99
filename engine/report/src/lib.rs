//! Report: what users and scripts read. Human text for plans and records, findings as
//! diagnostics at their spec lines, and the stable JSON documented in
//! `docs/json-output.md` (`"version": 1`; fields are only ever added).
#![deny(missing_docs)]

mod check;
mod cost;
mod pull;
mod spend;

use std::fmt::Write;

use idp_model::{Finding, Severity};
use idp_plan::{Plan, PlannedEnv, Provenance};
use idp_spec::{Problem, Problems, SourceFile};
use idp_state::Record;
use serde_json::{Value, json};

pub use check::{
    Counts, check_costs, check_github, check_human, check_junit, check_markdown, check_problems,
    check_sarif, check_timings, item_problem, item_status, write_check_json, xml_text,
};

pub use cost::{CostRow, cost_human, cost_json, cost_markdown, cost_summary, estimate_json};
pub use pull::{BaseCosts, check_base_markdown};
pub use spend::{
    cost_report_csv, cost_report_human, cost_report_json, cost_report_markdown, record_monthly,
};

/// Version of the JSON documents; bumped only for a breaking change.
pub const JSON_VERSION: u32 = 1;

/// Version of the plan document (`plan`, `validate`, `apply`): 2 since a finding's
/// `plugin` became the plugin's catalog identity (an object) and `template` gained its
/// digest and source.
pub const PLAN_JSON_VERSION: u32 = 2;

/// A finding as a diagnostic at its place in the spec.
pub fn finding_problem(env: &PlannedEnv, source: &SourceFile, f: &Finding) -> Problem {
    let severity = match f.severity {
        _ if f.waived.is_some() => miette::Severity::Advice,
        _ if f.advisory || f.approval => miette::Severity::Warning,
        Severity::Deny => miette::Severity::Error,
        Severity::Warn => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    };
    Problem::error(
        source,
        env.spans.value_span(&f.pointer),
        &f.code(),
        format!("{} ({}): {}", finding_status(f), env.env.name, f.message),
    )
    .label(f.rule.clone())
    .maybe_help(f.help.clone())
    .severity(severity)
}

/// `deny`, `warn`, `info`, `advisory deny`, `deny, needs approval` or `waived deny until 2026-12-15 (bob@acme.io: reason)`.
pub fn finding_status(f: &Finding) -> String {
    match (&f.waived, f.advisory) {
        (Some(w), _) => format!(
            "waived {} until {} ({}: {})",
            f.severity, w.until, w.owner, w.reason
        ),
        (None, true) => format!("advisory {}", f.severity),
        (None, false) if f.approval => format!("{}, needs approval", f.severity),
        (None, false) => f.severity.to_string(),
    }
}

/// Every finding of a plan as diagnostics.
pub fn findings(plan: &Plan) -> Problems {
    Problems(
        plan.environments
            .iter()
            .flat_map(|e| {
                e.findings
                    .iter()
                    .map(move |f| finding_problem(e, &plan.source, f))
            })
            .collect(),
    )
}

fn finding_json(env: &PlannedEnv, source: &SourceFile, f: &Finding) -> Value {
    let (line, column) = source.line_col(env.spans.value_span(&f.pointer).offset());
    json!({
        "plugin": f.plugin,
        "code": f.code(),
        "rule": f.rule,
        "severity": f.severity,
        "message": f.message,
        "pointer": f.pointer,
        "help": f.help,
        "line": line,
        "column": column,
        "waived": f.waived,
        "advisory": f.advisory,
        "approval": f.approval,
    })
}

fn env_json(env: &PlannedEnv, source: &SourceFile) -> Value {
    let e = &env.env;
    let tags: serde_json::Map<String, Value> = e
        .tags
        .iter()
        .map(|t| (t.key.clone(), Value::String(t.value.clone())))
        .collect();
    let mut v = json!({
        "name": e.name,
        "template": env.template,
        "class": e.class,
        "region": e.region,
        "owner": e.owner,
        "team": e.team,
        "ttl": e.ttl,
        "created_at": e.created_at,
        "expires_at": e.expires_at,
        "tags": tags,
        "inputs": e.inputs,
        "calls": env.rendering.as_ref().map(|r| &r.calls),
        "outputs": env.rendering.as_ref().map(|r| &r.outputs),
        "bill": env.rendering.as_ref().map(|r| &r.bill),
        "cost": env.cost.as_ref().map(cost::estimate_json),
        "findings": env.findings.iter().map(|f| finding_json(env, source, f)).collect::<Vec<_>>(),
        "denied": env.denied(),
        "plan_digest": env.workspace.as_ref().map(|w| &w.digest),
    });
    // Only when there is one, so an unscheduled plan's JSON is as it was.
    if let Some(s) = &e.schedule {
        v["schedule"] = json!(s);
    }
    v
}

/// The JSON document of `idp plan` / `idp validate` / `idp apply`.
pub fn plan_json(plan: &Plan) -> Value {
    json!({
        "version": PLAN_JSON_VERSION,
        "spec": plan.source.path,
        "configuration": provenance_json(&plan.provenance),
        "environments": plan.environments.iter().map(|e| env_json(e, &plan.source)).collect::<Vec<_>>(),
        "denied": plan.denied(),
        "problems": [],
    })
}

/// Which configuration files applied and each policy's identity and origin.
pub fn provenance_json(p: &Provenance) -> Value {
    json!({
        "files": p.config_files,
        "policies": p.policies.iter().map(|(id, file)| {
            let mut v = json!(id.as_ref());
            v["configured_in"] = json!(file);
            v
        }).collect::<Vec<_>>(),
    })
}

/// The JSON document of a spec that has problems (exit code 2).
pub fn problems_json(spec: &std::path::Path, problems: &Problems) -> Value {
    let list: Vec<Value> = problems
        .0
        .iter()
        .map(|p| {
            let (line, column) = p.line_col();
            json!({
                "code": p.code,
                "severity": match p.severity { miette::Severity::Error => "error", miette::Severity::Warning => "warning", miette::Severity::Advice => "advice" },
                "message": p.message,
                "file": p.source.path,
                "line": line,
                "column": column,
                "help": p.help,
            })
        })
        .collect();
    json!({ "version": PLAN_JSON_VERSION, "spec": spec, "environments": [], "denied": false, "problems": list })
}

/// Text that renders as itself in markdown (a table cell, a heading): markdown's
/// punctuation backslash-escaped, so a value from a spec or a plugin cannot become a
/// link, an image, HTML or a column; line breaks and control characters become spaces.
pub(crate) fn md_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '!' | '~' | '&' | '(' | ')'
            | '#' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() || idp_model::is_invisible_format(c) => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A message for markdown: its balanced `code` spans stay code spans (made safe with
/// [`md_code`]), everything else is [`md_text`]. Unbalanced backticks are escaped.
pub(crate) fn md_message(text: &str) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    if parts.len().is_multiple_of(2) {
        return md_text(text);
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            if i.is_multiple_of(2) {
                md_text(part)
            } else {
                format!("`{}`", md_code(part))
            }
        })
        .collect()
}

/// Text for inside a markdown code span: a backtick cannot end the span, a pipe cannot
/// end a table cell, a line break cannot end the row.
pub(crate) fn md_code(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '`' => "'".to_owned(),
            '|' => "\\|".to_owned(),
            c if c.is_control() || idp_model::is_invisible_format(c) => " ".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

/// The first 12 hex digits of a digest: enough to tell components apart when reading.
fn short(sha256: &str) -> &str {
    sha256.get(..12).unwrap_or(sha256)
}

/// Which configuration files applied, and each policy with its source and the file that
/// enabled it.
pub(crate) fn provenance_human(p: &Provenance, out: &mut String) {
    if p.config_files.is_empty() {
        return;
    }
    let files: Vec<String> = p
        .config_files
        .iter()
        .map(|f| f.display().to_string())
        .collect();
    writeln!(out, "configuration  {}", files.join(", ")).ok();
    for (n, (id, file)) in p.policies.iter().enumerate() {
        writeln!(
            out,
            "{}{} {} ({}, sha256 {}; enabled in {})",
            if n == 0 {
                "policies       "
            } else {
                "               "
            },
            id.name,
            id.version,
            id.source,
            short(&id.sha256),
            file.display()
        )
        .ok();
    }
}

/// The human summary of a plan (findings are shown separately, as diagnostics).
pub fn plan_human(plan: &Plan) -> String {
    let mut out = String::new();
    for env in &plan.environments {
        env_human(env, &mut out);
        modules_human(env, &mut out);
        if let Some(cost) = &env.cost {
            writeln!(
                out,
                "  cost       {}",
                cost_summary(cost, &env.env.ttl.to_string())
            )
            .ok();
        }
        findings_human(plan, env, &mut out);
        if let Some(w) = &env.workspace {
            writeln!(out, "  digest     {}", w.digest).ok();
        }
        out.push('\n');
    }
    provenance_human(&plan.provenance, &mut out);
    out
}

/// The environment's own fields in a plan: template, class, owner, lifetime and tags.
fn env_human(env: &PlannedEnv, out: &mut String) {
    let e = &env.env;
    writeln!(out, "environment {}", e.name).ok();
    let t = &env.template;
    writeln!(
        out,
        "  template   {} {} ({}, sha256 {})",
        t.name,
        t.version,
        t.source,
        short(&t.sha256)
    )
    .ok();
    writeln!(out, "  class      {} in {}", e.class, e.region).ok();
    writeln!(
        out,
        "  owner      {}{}",
        e.owner,
        if e.team.is_empty() {
            String::new()
        } else {
            format!(" (team {})", e.team)
        }
    )
    .ok();
    writeln!(out, "  created    {}", e.created_at).ok();
    match e.expires_at {
        Some(t) => writeln!(out, "  expires    {t} (ttl {})", e.ttl),
        None => writeln!(out, "  expires    never"),
    }
    .ok();
    if let Some(s) = &e.schedule {
        let days: Vec<&str> = s.days.iter().map(|d| d.cron()).collect();
        writeln!(
            out,
            "  schedule   {} {} {} ({} h a week; scaled to zero outside)",
            days.join(","),
            s.window(),
            s.timezone,
            s.hours_per_week()
        )
        .ok();
    }
    writeln!(out, "  tags").ok();
    let width = e.tags.iter().map(|t| t.key.len()).max().unwrap_or(0);
    for t in &e.tags {
        writeln!(out, "    {:width$}  {}", t.key, t.value).ok();
    }
}

/// The module calls of a rendered environment, with the calls each is wired from.
fn modules_human(env: &PlannedEnv, out: &mut String) {
    let Some(r) = &env.rendering else {
        return;
    };
    writeln!(out, "  modules").ok();
    for c in &r.calls {
        let wired = if c.wiring.is_empty() {
            String::new()
        } else {
            let mut from: Vec<&str> = c.wiring.iter().map(|w| w.from_call.as_str()).collect();
            from.dedup();
            format!(", wired from {}", from.join(", "))
        };
        writeln!(
            out,
            "    {} ({}): {} variables{wired}",
            c.name,
            c.module,
            c.variables.len()
        )
        .ok();
    }
}

/// The findings of a rendered environment: counts, then each at its spec line.
fn findings_human(plan: &Plan, env: &PlannedEnv, out: &mut String) {
    if env.rendering.is_none() {
        return;
    }
    if env.findings.is_empty() {
        writeln!(out, "  findings   none").ok();
        return;
    }
    let count = |s: Severity| env.findings.iter().filter(|f| f.severity == s).count();
    writeln!(
        out,
        "  findings   {} deny, {} warn, {} info",
        count(Severity::Deny),
        count(Severity::Warn),
        count(Severity::Info)
    )
    .ok();
    for f in &env.findings {
        let (line, col) = plan
            .source
            .line_col(env.spans.value_span(&f.pointer).offset());
        writeln!(
            out,
            "    {:<5} {} at {}:{line}:{col}: {}",
            finding_status(f),
            f.code(),
            plan.source.path.display(),
            f.message
        )
        .ok();
    }
}

/// A record as JSON (the fields of `metadata.json`).
pub fn record_json(r: &Record) -> Value {
    serde_json::to_value(r).unwrap_or(Value::Null)
}

/// `idp list` as JSON; `newer` names the newer version of a record's template the
/// catalog has (`newer_version`, `null` when none: decision 0015).
pub fn list_json(records: &[Record], newer: &dyn Fn(&Record) -> Option<String>) -> Value {
    let environments: Vec<Value> = records
        .iter()
        .map(|r| {
            let mut doc = record_json(r);
            if let Some(o) = doc.as_object_mut() {
                o.insert("newer_version".into(), json!(newer(r)));
            }
            doc
        })
        .collect();
    json!({ "version": JSON_VERSION, "environments": environments })
}

/// `idp list` as a table; a template with a newer version in the catalog (`newer`) is
/// marked `(upgrade: VERSION)`.
pub fn list_human(
    records: &[Record],
    now: jiff::Timestamp,
    newer: &dyn Fn(&Record) -> Option<String>,
) -> String {
    if records.is_empty() {
        return "no environments recorded yet; `idp apply SPEC` records one\n".to_owned();
    }
    let rows: Vec<[String; 7]> = records
        .iter()
        .map(|r| {
            let expires = match r.expires_at {
                None => "never".to_owned(),
                Some(t) if t <= now => format!("{} (expired)", t.strftime("%Y-%m-%d %H:%M")),
                Some(t) => t.strftime("%Y-%m-%d %H:%M").to_string(),
            };
            [
                r.name.clone(),
                r.status.to_string(),
                match newer(r) {
                    Some(v) => format!("{} {} (upgrade: {v})", r.template, r.template_version),
                    None => format!("{} {}", r.template, r.template_version),
                },
                r.class.clone(),
                r.owner.clone(),
                expires,
                record_monthly(r).unwrap_or_else(|| "-".to_owned()),
            ]
        })
        .collect();
    let header = [
        "NAME", "STATUS", "TEMPLATE", "CLASS", "OWNER", "EXPIRES", "MONTHLY",
    ]
    .map(str::to_owned);
    let mut widths = [0usize; 7];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:w$}"))
            .collect();
        writeln!(out, "{}", line.join("  ").trim_end()).ok();
    }
    out
}

/// How long until `t` (or since), in the largest two units: `3d 4h`, `45m`.
pub fn relative(t: jiff::Timestamp, now: jiff::Timestamp) -> String {
    let secs = (t.as_second() - now.as_second()).abs();
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3_600, secs % 3_600 / 60);
    let span = match (d, h) {
        (0, 0) => format!("{m}m"),
        (0, h) => format!("{h}h {m}m"),
        (d, 0) => format!("{d}d"),
        (d, h) => format!("{d}d {h}h"),
    };
    if t > now {
        format!("in {span}")
    } else {
        format!("{span} ago")
    }
}

/// `idp status` as one line: name, status, expiry.
pub fn status_line(r: &Record, now: jiff::Timestamp) -> String {
    let expiry = match r.expires_at {
        None => "never expires".to_owned(),
        Some(t) if t <= now => format!(
            "expired {} ({})",
            t.strftime("%Y-%m-%d %H:%M UTC"),
            relative(t, now)
        ),
        Some(t) => format!(
            "expires {} ({})",
            t.strftime("%Y-%m-%d %H:%M UTC"),
            relative(t, now)
        ),
    };
    match record_monthly(r) {
        Some(monthly) => format!("{}  {}  {expiry}  {monthly}", r.name, r.status),
        None => format!("{}  {}  {expiry}", r.name, r.status),
    }
}

/// `idp status` as JSON: the record plus whether it has expired.
pub fn status_json(r: &Record, now: jiff::Timestamp) -> Value {
    let mut v = record_json(r);
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "expired".into(),
            json!(r.expires_at.is_some_and(|t| t <= now)),
        );
    }
    v
}

/// `idp show` as text.
pub fn record_human(r: &Record) -> String {
    let mut out = String::new();
    writeln!(out, "environment {}", r.name).ok();
    writeln!(out, "  status     {}", r.status).ok();
    writeln!(out, "  template   {} {}", r.template, r.template_version).ok();
    writeln!(out, "  class      {} in {}", r.class, r.region).ok();
    writeln!(out, "  owner      {} (team {})", r.owner, r.team).ok();
    writeln!(out, "  created    {}", r.created_at).ok();
    writeln!(
        out,
        "  expires    {}",
        r.expires_at
            .map_or("never".to_owned(), |t| format!("{t} (ttl {})", r.ttl))
    )
    .ok();
    writeln!(out, "  spec       {}", r.spec.display()).ok();
    writeln!(out, "  digest     {}", r.plan_digest).ok();
    writeln!(out, "  updated    {}", r.updated_at).ok();
    for (k, v) in &r.outputs {
        writeln!(
            out,
            "  output     {k} = {}",
            v.as_str().map_or_else(|| v.to_string(), str::to_owned)
        )
        .ok();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_from_data_renders_as_text() {
        assert_eq!(
            md_text("![x](http://e/a.png) <b>|</b>\nnext"),
            "\\!\\[x\\]\\(http://e/a.png\\) \\<b\\>\\|\\</b\\> next"
        );
        assert_eq!(md_code("a`b|c\nd"), "a'b\\|c d");
        assert_eq!(
            md_message("tag `main|x` of [a](b)"),
            "tag `main\\|x` of \\[a\\]\\(b\\)"
        );
        assert_eq!(md_message("one ` alone"), "one \\` alone");
    }
}
