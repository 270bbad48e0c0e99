use std::fmt;

use serde::Serialize;

use crate::{Class, Severity};

/// Whether a plugin is a template or a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PluginKind {
    /// Renders environments.
    Template,
    /// Judges environments.
    Policy,
}

impl PluginKind {
    /// `template` or `policy`.
    pub fn as_str(self) -> &'static str {
        match self {
            PluginKind::Template => "template",
            PluginKind::Policy => "policy",
        }
    }
}

impl fmt::Display for PluginKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A plugin's identity, carried from the catalog to every report: what it is, which
/// bytes, and where they came from. Errors name it as ``policy `max-ttl` 0.1.0``; a
/// finding's rule code is [`PluginId::code`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct PluginId {
    /// Template or policy.
    pub kind: PluginKind,
    /// Catalog name.
    pub name: String,
    /// Version.
    pub version: String,
    /// sha256 of the component, lowercase hex.
    pub sha256: String,
    /// The catalog source it came from (`built-in catalog`, ``catalog `./platform` ``).
    pub source: String,
}

impl PluginId {
    /// The one form of a rule's code, in every output and in waivers: `NAME/RULE`.
    pub fn code(&self, rule: &str) -> String {
        format!("{}/{rule}", self.name)
    }
}

impl fmt::Display for PluginId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} `{}` {}", self.kind, self.name, self.version)
    }
}

/// What a template says about itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TemplateInfo {
    /// Catalog name.
    pub name: String,
    /// Version.
    pub version: String,
    /// One line.
    pub summary: String,
    /// JSON Schema of the inputs.
    pub input_schema: serde_json::Value,
    /// Modules the renderings may call.
    pub modules: Vec<String>,
    /// Outputs the environment exposes.
    pub outputs: Vec<String>,
}

/// One rule of a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleInfo {
    /// Stable id.
    pub id: String,
    /// Default severity.
    pub default_severity: Severity,
    /// One line.
    pub summary: String,
    /// How to comply.
    pub help: String,
}

/// What a policy says about itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyInfo {
    /// Catalog name.
    pub name: String,
    /// Version.
    pub version: String,
    /// One line.
    pub summary: String,
    /// Rules.
    pub rules: Vec<RuleInfo>,
    /// JSON Schema of the settings.
    pub settings_schema: serde_json::Value,
    /// The parts of its input the policy reads; the host sends it only those.
    pub reads: InputParts,
    /// The classes of environment it judges; the host calls it for no other.
    pub applies_to: Vec<Class>,
}

impl PolicyInfo {
    /// Whether the policy judges environments of `class`.
    pub fn applies_to(&self, class: Class) -> bool {
        self.applies_to.contains(&class)
    }
}

/// The parts of a policy's input it reads besides the environment's own fields and the
/// cost estimate, which every policy receives (`plugin@0.2.0`'s `input-parts`; a
/// 0.1.0 policy reads them all). Each part costs a copy of its strings into the plugin
/// on every call, so the host leaves out what a policy does not read (decision 0004).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct InputParts {
    /// The environment's tags.
    pub tags: bool,
    /// The template inputs (otherwise `{}`).
    pub inputs: bool,
    /// The template's module calls.
    pub calls: bool,
}

impl InputParts {
    /// Every part: what a policy built against `plugin@0.1.0` is given.
    pub const ALL: InputParts = InputParts {
        tags: true,
        inputs: true,
        calls: true,
    };

    /// A small number (0–7) naming this combination, for a table of prepared inputs.
    pub fn index(self) -> usize {
        usize::from(self.tags) | usize::from(self.inputs) << 1 | usize::from(self.calls) << 2
    }
}
