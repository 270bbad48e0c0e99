//! What a plugin tells the host besides its answer (`idp:plugin/log`, from 0.2.0):
//! log lines, handed escaped and named to the host's [`LogSink`], and the message of a
//! panic, shown in the error of the trap that follows
//! (docs/decisions/0008-sandbox-budget.md).

use std::fmt;
use std::sync::Arc;

/// How much a plugin's log line matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    /// Detail for the plugin's own author.
    Debug,
    /// What the plugin did.
    Info,
    /// Something the plugin's author should look at.
    Warn,
    /// Something went wrong, though the plugin still answered.
    Error,
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        })
    }
}

/// One line a plugin logged, as the host hands it to its [`LogSink`].
#[derive(Debug, Clone, Copy)]
pub struct LogLine<'a> {
    /// How errors name the plugin: ``policy `naming` 0.1.0``.
    pub plugin: &'a str,
    /// The level the plugin gave.
    pub level: LogLevel,
    /// The plugin's text on one line, every control character escaped.
    pub message: &'a str,
}

impl fmt::Display for LogLine<'_> {
    /// ``policy `naming` 0.1.0: warn: the text``.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.plugin, self.level, self.message)
    }
}

/// Where the host sends plugins' log lines; see [`crate::PluginHost::with_log_sink`].
pub type LogSink = Arc<dyn Fn(&LogLine<'_>) + Send + Sync>;

/// The most characters of a panic message an error shows; the rest is cut with `…`.
const PANIC_CHARS: usize = 2000;

/// What a plugin reported during one call: kept in its store, read after the call.
#[derive(Debug, Default)]
pub(crate) struct Report {
    /// Log lines, escaped, in the order they came.
    pub(crate) lines: Vec<(LogLevel, String)>,
    /// The panic message and its location, escaped: ``index out of bounds … at src/lib.rs:12:5``.
    pub(crate) panic: Option<String>,
}

impl Report {
    pub(crate) fn log(&mut self, level: LogLevel, message: &str) {
        let line = idp_model::terminal_safe(message).replace('\n', "\\n");
        self.lines.push((level, line));
    }

    pub(crate) fn panicked(&mut self, message: &str, location: &str) {
        let mut shown: String = idp_model::terminal_safe(message)
            .chars()
            .take(PANIC_CHARS)
            .collect();
        if message.chars().nth(PANIC_CHARS).is_some() {
            shown.push('…');
        }
        if !location.is_empty() {
            shown.push_str(" at ");
            shown.push_str(&idp_model::terminal_safe(location).replace('\n', "\\n"));
        }
        self.panic = Some(shown);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_escaped_and_located() {
        let mut report = Report::default();
        report.panicked("bad \u{1b}[31mred\u{1b}[0m\nsecond line", "src/lib.rs:12:5");
        assert_eq!(
            report.panic.as_deref(),
            Some("bad \\u{1b}[31mred\\u{1b}[0m\nsecond line at src/lib.rs:12:5")
        );
    }

    #[test]
    fn a_long_panic_is_cut() {
        let mut report = Report::default();
        report.panicked(&"x".repeat(PANIC_CHARS + 10), "");
        let shown = report.panic.unwrap_or_default();
        assert_eq!(shown.chars().count(), PANIC_CHARS + 1);
        assert!(shown.ends_with('…'));
    }

    #[test]
    fn a_log_line_stays_one_line() {
        let mut report = Report::default();
        report.log(LogLevel::Warn, "one\nforged: line\r\u{1b}[2J");
        assert_eq!(
            report.lines,
            [(LogLevel::Warn, "one\\nforged: line\\r\\u{1b}[2J".to_owned())]
        );
    }
}
