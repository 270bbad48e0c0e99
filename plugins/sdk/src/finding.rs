use serde::{Deserialize, Serialize};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Blocks an apply and fails `idp check`.
    Deny,
    /// Worth fixing; does not block.
    Warn,
    /// A remark.
    Info,
}

/// One problem or remark about an environment, pointing into its spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable rule id in kebab-case.
    pub rule: String,
    /// How serious it is.
    pub severity: Severity,
    /// One line: lowercase first letter, values in backticks, no final period.
    pub message: String,
    /// JSON pointer into the environment document; empty for the whole environment.
    pub pointer: String,
    /// How to fix it.
    pub help: Option<String>,
}

impl Finding {
    /// A finding with the given severity, pointing at the whole environment.
    pub fn new(severity: Severity, rule: impl Into<String>, message: impl Into<String>) -> Self {
        Finding {
            rule: rule.into(),
            severity,
            message: message.into(),
            pointer: String::new(),
            help: None,
        }
    }

    /// A `deny` finding.
    pub fn deny(rule: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Deny, rule, message)
    }

    /// A `warn` finding.
    pub fn warn(rule: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Warn, rule, message)
    }

    /// An `info` finding.
    pub fn info(rule: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Info, rule, message)
    }

    /// Points the finding at a place in the spec (`/service/cpu`).
    pub fn at(mut self, pointer: impl Into<String>) -> Self {
        self.pointer = pointer.into();
        self
    }

    /// Adds guidance on how to fix it.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}
