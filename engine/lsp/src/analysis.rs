//! A document's diagnostics and cost lenses: the pipeline `idp plan` runs (syntax,
//! schema, tags, TTL, the project's policies), stopped after judge, nothing written.

use std::path::Path;

use idp_plan::{Pipeline, PlanError, Stage};
use idp_spec::{Problem, Problems, SourceFile, SpecFile};
use lsp_types::{CodeLens, Command, Diagnostic, DiagnosticSeverity, NumberOrString, Range};
use miette::Diagnostic as _;

use crate::projects::{NoProject, Projects, config_with_buffer};
use crate::text::LineIndex;

/// The code of a spec's diagnostic when its project could not be set up.
const NO_PROJECT: &str = "idp::lsp::project";

/// What the editor shows of a document.
#[derive(Default)]
pub struct Analysis {
    /// Problems and findings, at their spans.
    pub diagnostics: Vec<Diagnostic>,
    /// The monthly cost on each environment's name.
    pub lenses: Vec<CodeLens>,
}

/// What kind of file a document is.
pub fn is_config(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n == idp_config::CONFIG_FILE)
}

/// Analyses a document: an `idp.kdl`, a spec, or (anything else) nothing.
pub fn analyse(projects: &mut Projects, path: &Path, text: &str) -> Analysis {
    let index = LineIndex::new(text);
    if is_config(path) {
        return config(projects, path, text, &index);
    }
    if !idp_spec::is_spec(text) {
        return Analysis::default();
    }
    spec(projects, path, text, &index)
}

fn spec(projects: &mut Projects, path: &Path, text: &str, index: &LineIndex) -> Analysis {
    let file = match SpecFile::parse(SourceFile::new(path, text)) {
        Ok(f) => f,
        Err(problems) => return only(problems_at(&problems, path, index)),
    };
    // Where problems that have no place in this file are shown: the first name.
    let first = file.environments.first().map_or(Range::default(), |e| {
        index.range(e.name.span.offset(), e.name.span.len())
    });
    let now = match projects.now() {
        Ok(now) => now,
        Err(e) => return only(vec![elsewhere(first, "idp::usage::idp_now", e)]),
    };
    let loaded = match projects.for_document(path) {
        Ok(l) => l,
        Err(no) => return only(vec![no_project(first, no)]),
    };
    let planned = Pipeline::new(&loaded.project)
        .and_then(|mut pipeline| pipeline.plan(&file, None, Stage::Judge, now));
    match planned {
        Ok(plan) => {
            let findings = idp_report::findings(&plan);
            let lenses = plan
                .environments
                .iter()
                .filter_map(|e| {
                    let cost = e.cost.as_ref()?;
                    let ttl = e.env.ttl.to_string();
                    let span = e.spec.name.span;
                    Some(CodeLens {
                        range: index.range(span.offset(), span.len()),
                        command: Some(Command {
                            title: format!("idp: {}", idp_report::cost_summary(cost, &ttl)),
                            command: String::new(),
                            arguments: None,
                        }),
                        data: None,
                    })
                })
                .collect();
            Analysis {
                diagnostics: problems_at(&findings, path, index),
                lenses,
            }
        }
        Err(PlanError::Input(problems)) => {
            let mut here = problems_at(&problems, path, index);
            if problems.0.iter().any(|p| p.source.path != path) {
                here.push(no_project(first, NoProject::Config(problems)));
            }
            only(here)
        }
        Err(e) => only(vec![error_at(first, &e)]),
    }
}

fn config(projects: &mut Projects, path: &Path, text: &str, index: &LineIndex) -> Analysis {
    let config = match config_with_buffer(path, text) {
        Ok(c) => c,
        Err(problems) => return only(problems_at(&problems, path, index)),
    };
    let project = match projects.build(config) {
        Ok(p) => p,
        Err(no) => return only(vec![no_project(Range::default(), no)]),
    };
    // Loading the policies checks that each is known and its settings valid.
    match Pipeline::new(&project) {
        Ok(_) => Analysis::default(),
        Err(PlanError::Input(problems)) => only(problems_at(&problems, path, index)),
        Err(e) => only(vec![error_at(Range::default(), &e)]),
    }
}

fn only(diagnostics: Vec<Diagnostic>) -> Analysis {
    Analysis {
        diagnostics,
        lenses: Vec::new(),
    }
}

/// The problems located in the document at `path`, as LSP diagnostics.
fn problems_at(problems: &Problems, path: &Path, index: &LineIndex) -> Vec<Diagnostic> {
    problems
        .0
        .iter()
        .filter(|p| p.source.path == path)
        .map(|p| diagnostic(p, index))
        .collect()
}

fn diagnostic(p: &Problem, index: &LineIndex) -> Diagnostic {
    let severity = match p.severity {
        miette::Severity::Error => DiagnosticSeverity::ERROR,
        miette::Severity::Warning => DiagnosticSeverity::WARNING,
        miette::Severity::Advice => DiagnosticSeverity::INFORMATION,
    };
    let mut message = p.message.clone();
    if let Some(help) = &p.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    Diagnostic {
        range: index.range(p.span.offset(), p.span.len()),
        severity: Some(severity),
        code: Some(NumberOrString::String(p.code.clone())),
        source: Some("idp".to_owned()),
        message,
        ..Diagnostic::default()
    }
}

fn elsewhere(range: Range, code: &str, message: String) -> Diagnostic {
    Diagnostic {
        range,
        severity: Some(DiagnosticSeverity::ERROR),
        code: Some(NumberOrString::String(code.to_owned())),
        source: Some("idp".to_owned()),
        message,
        ..Diagnostic::default()
    }
}

/// A problem of the project rather than of this file, shown on the first name.
fn no_project(range: Range, no: NoProject) -> Diagnostic {
    match no {
        NoProject::Config(problems) => {
            let first = problems.0.first();
            let code = first.map_or(NO_PROJECT, |p| p.code.as_str()).to_owned();
            let message = match first {
                Some(p) => {
                    let (line, column) = p.line_col();
                    format!(
                        "the project's configuration has problems; first, at {}:{line}:{column}: {}",
                        p.source.path.display(),
                        p.message
                    )
                }
                None => "the project's configuration has problems".to_owned(),
            };
            elsewhere(range, &code, message)
        }
        NoProject::Other(message) => elsewhere(range, NO_PROJECT, message),
    }
}

fn error_at(range: Range, e: &PlanError) -> Diagnostic {
    let code = e
        .code()
        .map_or_else(|| NO_PROJECT.to_owned(), |c| c.to_string());
    let mut message = e.to_string();
    if let Some(help) = e.help() {
        message.push_str(&format!("\nhelp: {help}"));
    }
    elsewhere(range, &code, message)
}
