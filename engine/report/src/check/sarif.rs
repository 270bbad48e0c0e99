//! SARIF 2.1.0: one `reportingDescriptor` per rule id with its help text, a result per
//! item at its real line and column, waived findings as accepted suppressions.

use std::collections::BTreeMap;

use idp_check::{CheckReport, FileResult, Item, ItemKind};
use idp_model::Severity;
use serde_json::{Value, json};

use super::{Verdict, uri};

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Deny => "error",
        Severity::Warn => "warning",
        Severity::Info => "note",
    }
}

fn result_level(item: &Item) -> &'static str {
    match Verdict::of(item) {
        Verdict::InputError | Verdict::Failure => "error",
        // Advisory findings show what would be denied without failing the upload's gate.
        Verdict::Advisory => "warning",
        // Under approval the apply waits for an approver; the pull request may merge.
        Verdict::Approval => "warning",
        // A waived finding keeps its level; its suppression says it is accepted.
        Verdict::Waived | Verdict::Active(_) => level(item.severity),
    }
}

/// The SARIF log of a check.
pub fn check_sarif(report: &CheckReport) -> Value {
    let rules = rule_descriptors(report);
    let index: BTreeMap<&str, usize> = rules.keys().enumerate().map(|(i, k)| (*k, i)).collect();
    let results: Vec<Value> = report
        .items()
        .map(|(file, item)| sarif_result(file, item, &index))
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "idp",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules.into_values().collect::<Vec<_>>(),
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

/// Every rule a result names gets a descriptor: the policies' own, idp's, and one per
/// input-problem code that occurred.
fn rule_descriptors(report: &CheckReport) -> BTreeMap<&str, Value> {
    let mut rules: BTreeMap<&str, Value> = report
        .rules
        .iter()
        .map(|r| {
            (
                r.id.as_str(),
                json!({
                    "id": r.id,
                    "name": r.id.rsplit('/').next().unwrap_or(&r.id),
                    "shortDescription": {"text": r.summary},
                    "fullDescription": {"text": format!("{}: {}", r.summary, r.help)},
                    "help": {"text": r.help},
                    "defaultConfiguration": {"level": level(r.default_severity)},
                }),
            )
        })
        .collect();
    for (_, item) in report.items() {
        rules.entry(item.rule.as_str()).or_insert_with(|| {
            let (summary, help) = match item.kind {
                ItemKind::Failure => (
                    "a plugin ran to completion",
                    "a plugin trapped, ran out of time or memory, or returned too much; the message names it",
                ),
                _ => (
                    "the file is valid input for idp",
                    "the message and its help say what to change in the file",
                ),
            };
            json!({
                "id": item.rule,
                "shortDescription": {"text": summary},
                "help": {"text": help},
                "defaultConfiguration": {"level": "error"},
            })
        });
    }
    rules
}

/// One item as a SARIF result at its place, a waiver as an accepted suppression.
fn sarif_result(file: &FileResult, item: &Item, index: &BTreeMap<&str, usize>) -> Value {
    let mut text = item.message.clone();
    if let Some(env) = &item.environment {
        text = format!("{env}: {text}");
    }
    if let Some(help) = &item.help {
        text = format!("{text}. Hint: {help}");
    }
    let mut result = json!({
        "ruleId": item.rule,
        "ruleIndex": index.get(item.rule.as_str()),
        "level": result_level(item),
        "message": {"text": text},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": {"uri": uri(&file.source.path), "uriBaseId": "%SRCROOT%"},
                "region": {
                    "startLine": item.start.0,
                    "startColumn": item.start.1,
                    "endLine": item.end.0,
                    "endColumn": item.end.1,
                }
            }
        }],
        "properties": {"advisory": item.advisory, "approval": item.approval, "environment": item.environment},
    });
    if let Some(w) = &item.waived {
        result["suppressions"] = json!([{
            "kind": if w.in_spec { "inSource" } else { "external" },
            "status": "accepted",
            "justification": format!("{} (owner {}, until {})", w.reason, w.owner, w.until),
        }]);
    }
    result
}
