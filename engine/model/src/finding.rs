use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use crate::PluginId;

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
    /// Which plugin reported it; `None` for idp itself (an expired waiver, say). The plan
    /// stage sets it from the catalog, so it names the plugin by its catalog identity.
    pub plugin: Option<Arc<PluginId>>,
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
    /// The waiver that accepts this finding, if one does; a waived finding never blocks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waived: Option<Waived>,
    /// Reported under `advisory` enforcement: what would be denied, without failing.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub advisory: bool,
    /// A blocking deny under `approval` enforcement (the organisation's idp.kdl): an apply
    /// waits in PENDING_APPROVAL for an approver instead of failing, so `idp plan` and
    /// `idp check` pass.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub approval: bool,
}

/// An accepted exception, as recorded on the finding it covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Waived {
    /// Why.
    pub reason: String,
    /// Who accepted it.
    pub owner: String,
    /// Last day it applies (`YYYY-MM-DD`).
    pub until: String,
    /// Written in the spec itself (`true`) or in `idp.kdl` for a path glob (`false`).
    pub in_spec: bool,
}

impl Finding {
    /// A finding reported by idp itself (not a plugin), such as an expired waiver.
    pub fn engine(severity: Severity, rule: &str, message: String, pointer: String) -> Self {
        Finding {
            plugin: None,
            rule: rule.into(),
            severity,
            message,
            pointer,
            help: None,
            waived: None,
            advisory: false,
            approval: false,
        }
    }

    /// The rule's code, one form everywhere (human, JSON, SARIF, JUnit, waivers):
    /// `POLICY/RULE`, `TEMPLATE/RULE`, or `idp/RULE` for idp's own findings.
    pub fn code(&self) -> String {
        match &self.plugin {
            Some(id) => id.code(&self.rule),
            None => format!("idp/{}", self.rule),
        }
    }

    /// Whether it stops an apply and fails `idp check`: a deny that is neither waived
    /// nor advisory.
    pub fn blocks(&self) -> bool {
        self.severity == Severity::Deny && self.waived.is_none() && !self.advisory
    }

    /// Whether it fails `idp plan` and `idp check` (exit 1): a blocking deny that no
    /// approver can let through.
    pub fn fails(&self) -> bool {
        self.blocks() && !self.approval
    }
}
