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
    /// For the summary that stands for the problems beyond [`MAX_PROBLEMS`]: how many
    /// it stands for, and how many of them are errors.
    more: (usize, usize),
}

/// The most problems kept for one file; the rest are counted in one summary ("… and
/// 49,950 more problems"), so a hostile file costs neither time nor screens.
pub const MAX_PROBLEMS: usize = 50;

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
            // Messages quote values from specs and plugins: shown escaped, whatever prints them.
            message: idp_model::terminal_safe(&message.into()).into_owned(),
            label: "here".to_owned(),
            span,
            help: None,
            severity: Severity::Error,
            source: source.clone(),
            named: source.named(),
            more: (0, 0),
        }
    }

    /// The summary standing for the problems after the first [`MAX_PROBLEMS`], starting
    /// with `first` (the first of them, whose place it takes).
    fn summary(first: &Problem) -> Problem {
        let mut summary = Problem::error(
            &first.source,
            first.span,
            "idp::spec::too_many_problems",
            String::new(),
        )
        .label("from here on")
        .help(format!(
            "only the first {MAX_PROBLEMS} problems are shown; fix them and run again"
        ));
        summary.severity = Severity::Advice;
        summary.count(first);
        summary
    }

    /// Counts `p` (itself maybe a summary) into this summary.
    fn count(&mut self, p: &Problem) {
        let (n, errors) = match p.more {
            (0, _) => (1, usize::from(p.severity == Severity::Error)),
            more => more,
        };
        self.more = (self.more.0 + n, self.more.1 + errors);
        self.severity = self.severity.max(p.severity);
        self.message = match self.more.0 {
            1 => "… and 1 more problem".to_owned(),
            n => format!("… and {} more problems", thousands(n)),
        };
    }

    /// Sets the underline's text.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = idp_model::terminal_safe(&label.into()).into_owned();
        self
    }

    /// Adds help.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(idp_model::terminal_safe(&help.into()).into_owned());
        self
    }

    /// Adds help if there is some.
    pub fn maybe_help(self, help: Option<String>) -> Self {
        match help {
            Some(help) => self.help(help),
            None => self,
        }
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

    /// Whether the diagnostic quotes its line. miette pads to a label's column with a
    /// format width, which panics past 65,535 columns, and a line of thousands of
    /// characters says nothing on a screen: such a problem names its place in words.
    fn quotes_its_line(&self) -> bool {
        let text = self.source.text.as_str();
        let start = self.span.offset().min(text.len());
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        line_end - line_start <= MAX_QUOTED_LINE
    }
}

/// The longest line a diagnostic quotes, in bytes.
const MAX_QUOTED_LINE: usize = 1_000;

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if !self.quotes_its_line() {
            let (line, column) = self.line_col();
            write!(
                f,
                " (at {}:{line}:{column}; the line is too long to show)",
                self.source.path.display()
            )?;
        }
        Ok(())
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
        self.quotes_its_line()
            .then_some(&self.named as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if !self.quotes_its_line() {
            return None;
        }
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(Some(self.label.clone()), self.span),
        )))
    }
}

/// Every problem found in one pass, reported together rather than one per run.
#[derive(Debug, Clone, Default)]
pub struct Problems(pub Vec<Problem>);

/// `49950` as `49,950`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Problems {
    /// Adds one; beyond [`MAX_PROBLEMS`] it is only counted.
    pub fn push(&mut self, p: Problem) {
        let full = self.0.len() >= MAX_PROBLEMS;
        match self.0.get_mut(MAX_PROBLEMS) {
            Some(summary) => summary.count(&p),
            None if full || p.more.0 > 0 => self.0.push(Problem::summary(&p)),
            None => self.0.push(p),
        }
    }

    /// Adds all of `other`'s, keeping the cap.
    pub fn append(&mut self, other: Problems) {
        for p in other.0 {
            self.push(p);
        }
    }

    /// Whether further problems are only counted: callers can then skip work that only
    /// serves the message, such as finding the line of an earlier definition.
    pub fn is_full(&self) -> bool {
        self.0.len() >= MAX_PROBLEMS
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
            .map(|p| match p.more {
                (0, _) => usize::from(p.severity == Severity::Error),
                (_, errors) => errors,
            })
            .sum::<usize>();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_beyond_the_cap_are_counted_in_one_line() {
        let source = SourceFile::new("env.kdl", "x");
        let mut problems = Problems::default();
        for i in 0..50_000 {
            problems.push(Problem::error(
                &source,
                (0, 1).into(),
                "idp::spec::x",
                format!("p{i}"),
            ));
        }
        assert_eq!(problems.0.len(), MAX_PROBLEMS + 1);
        let last = &problems.0[MAX_PROBLEMS];
        assert_eq!(last.message, "… and 49,950 more problems");
        assert_eq!(last.code, "idp::spec::too_many_problems");
        assert_eq!(problems.to_string(), "`env.kdl` has 50000 problems");
        let mut merged = Problems::default();
        merged.append(problems.clone());
        merged.append(problems);
        assert_eq!(merged.0[MAX_PROBLEMS].message, "… and 99,950 more problems");
    }
}
