//! Markdown for `$GITHUB_STEP_SUMMARY` and pull-request comments, rendered with minijinja
//! from `templates/check-summary.md.j2`.

use idp_check::CheckReport;
use idp_model::Severity;
use minijinja::Environment;
use minijinja::value::{Serde, Value};
use serde::Serialize;

use super::{Counts, Verdict, uri};
use crate::{md_code, md_message, md_text};

/// GitHub refuses step summaries above 1 MiB; a few hundred rows say what matters.
const MAX_ROWS: usize = 300;

#[derive(Serialize)]
struct Summary {
    passed: bool,
    counts: Counts,
    rows: Vec<Row>,
    hidden: usize,
    waivers: Vec<WaiverRow>,
}

#[derive(Serialize)]
struct Row {
    icon: &'static str,
    file: String,
    line: usize,
    environment: String,
    rule: String,
    message: String,
}

#[derive(Serialize, PartialEq)]
struct WaiverRow {
    rule: String,
    file: String,
    until: String,
    owner: String,
    reason: String,
}

/// The markdown summary of a check.
pub fn check_markdown(report: &CheckReport, passed: bool) -> String {
    let mut rows = Vec::new();
    let mut waivers = Vec::new();
    for (file, item) in report.items() {
        let icon = match Verdict::of(item) {
            Verdict::InputError | Verdict::Failure => "🛑",
            Verdict::Waived => "🏷️",
            Verdict::Advisory => "🔎",
            Verdict::Approval => "✋",
            Verdict::Active(Severity::Deny) => "❌",
            Verdict::Active(Severity::Warn) => "⚠️",
            Verdict::Active(Severity::Info) => "ℹ️",
        };
        if let Some(w) = &item.waived {
            let row = WaiverRow {
                rule: md_code(&item.rule),
                file: md_code(&uri(&file.source.path)),
                until: md_text(&w.until),
                owner: md_text(&w.owner),
                reason: md_text(&w.reason),
            };
            if !waivers.contains(&row) {
                waivers.push(row);
            }
        }
        rows.push(Row {
            icon,
            file: md_code(&uri(&file.source.path)),
            line: item.start.0,
            environment: md_text(item.environment.as_deref().unwrap_or_default()),
            rule: md_code(&item.rule),
            message: md_message(&item.message),
        });
    }
    let hidden = rows.len().saturating_sub(MAX_ROWS);
    rows.truncate(MAX_ROWS);
    let summary = Summary {
        passed,
        counts: Counts::of(report),
        rows,
        hidden,
        waivers,
    };
    let env = Environment::new();
    let rendered = env
        .template_from_str(include_str!("../../templates/check-summary.md.j2"))
        .and_then(|t| t.render(Value::from(Serde(&summary))));
    // The template is fixed and its data plain; a failure here is a bug worth seeing.
    rendered.unwrap_or_else(|e| format!("idp check: the summary could not be rendered: {e}\n"))
}
