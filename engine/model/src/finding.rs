use std::fmt;

use serde::Serialize;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Blocks an apply; exit code 1.
    Deny,
    /// Does not block.
    Warn,
    /// A remark.
    Info,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Deny => "deny",
            Severity::Warn => "warn",
            Severity::Info => "info",
        })
    }
}

/// A problem or remark a plugin reported, pointing into the spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Which plugin reported it (`policy max-ttl`).
    pub plugin: String,
    /// Stable rule id.
    pub rule: String,
    /// Severity after the organisation's overrides.
    pub severity: Severity,
    /// One line.
    pub message: String,
    /// JSON pointer into the environment document; empty for the whole environment.
    pub pointer: String,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}
