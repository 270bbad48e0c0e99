use std::fmt;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, Severity, SourceCode, SourceSpan};

use crate::SourceFile;

/// One located problem in a source file: a message, a labelled span, a stable code
/// and optional help. Specs, project config and plugin findings all report as these.
#[derive(Debug, Clone)]
pub struct Problem {
    /// Stable code (`idp::spec::unknown_field`).
    pub code: String,
    /// One line: lowercase, values in backticks, no final period.
    pub message: String,
    /// What the underline says.
    pub label: String,
    /// Where.
    pub span: SourceSpan,
    /// How to fix it.
    pub help: Option<String>,
    /// Error, warning or advice.
    pub severity: Severity,
    /// The file.
    pub source: SourceFile,
    named: NamedSource<Arc<String>>,
}

impl Problem {
    /// An error at `span` of `source`.
    pub fn error(
        source: &SourceFile,
        span: SourceSpan,
        code: &str,
        message: impl Into<String>,
    ) -> Self {
        Problem {
            code: code.to_owned(),
            message: message.into(),
            label: "here".to_owned(),
            span,
            help: None,
            severity: Severity::Error,
            source: source.clone(),
            named: source.named(),
        }
    }

    /// Sets the underline's text.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// Adds help.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds help if there is some.
    pub fn maybe_help(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    /// Sets the severity.
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// 1-based line and column of the start of the span.
    pub fn line_col(&self) -> (usize, usize) {
        self.source.line_col(self.span.offset())
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Problem {}

impl Diagnostic for Problem {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }
    fn severity(&self) -> Option<Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.named)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(Some(self.label.clone()), self.span),
        )))
    }
}

/// Every problem found in one pass, reported together rather than one per run.
#[derive(Debug, Clone, Default)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    /// Adds one.
    pub fn push(&mut self, p: Problem) {
        self.0.push(p);
    }

    /// Whether any problem is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|p| p.severity == Severity::Error)
    }

    /// `Err(self)` when there are errors, else `Ok(())`.
    pub fn into_result(self) -> Result<(), Problems> {
        if self.has_errors() { Err(self) } else { Ok(()) }
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errors = self
            .0
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .count();
        let file = self
            .0
            .first()
            .map(|p| p.source.path.display().to_string())
            .unwrap_or_default();
        match errors {
            1 => write!(f, "`{file}` has a problem"),
            n => write!(f, "`{file}` has {n} problems"),
        }
    }
}

impl std::error::Error for Problems {}

impl Diagnostic for Problems {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("idp::spec::invalid"))
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        Some(Box::new(self.0.iter().map(|p| p as &dyn Diagnostic)))
    }
}

impl From<Problem> for Problems {
    fn from(p: Problem) -> Self {
        Problems(vec![p])
    }
}
