use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::Finding;

/// The lifetime class of an environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Short-lived.
    Preview,
    /// Pre-production.
    Staging,
    /// Production: never expires by default.
    Production,
}

impl Class {
    /// The name used in specs and settings (`preview`).
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Preview => "preview",
            Class::Staging => "staging",
            Class::Production => "production",
        }
    }
}

/// One resource tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// Key.
    pub key: String,
    /// Value.
    pub value: String,
}

/// The environment as the host resolved it.
#[derive(Debug, Clone, PartialEq)]
pub struct Environment {
    /// Environment name.
    pub name: String,
    /// Template name.
    pub template: String,
    /// Template version.
    pub template_version: String,
    /// Owner's e-mail address.
    pub owner: String,
    /// Owning team.
    pub team: String,
    /// Lifetime class.
    pub class: Class,
    /// AWS region.
    pub region: String,
    /// TTL in seconds; `None` for `never`.
    pub ttl_seconds: Option<u64>,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 expiry time; `None` for `never`.
    pub expires_at: Option<String>,
    /// All tags, sorted by key.
    pub tags: Vec<Tag>,
    /// Template inputs as a JSON object.
    pub inputs: String,
}

impl Environment {
    /// The template inputs, deserialized; a malformed document becomes a finding.
    pub fn inputs<T: DeserializeOwned>(&self) -> Result<T, Finding> {
        serde_json::from_str(&self.inputs).map_err(|e| {
            Finding::deny(
                "invalid-inputs",
                format!("inputs do not match the template: {e}"),
            )
        })
    }

    /// The value of a tag, if present.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|t| t.key == key)
            .map(|t| t.value.as_str())
    }
}

/// A module variable wired to another module call's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wire {
    /// Receiving variable.
    pub variable: String,
    /// Producing module call.
    pub from_call: String,
    /// Output of the producing call.
    pub output: String,
}

/// One call of an OpenTofu module.
#[derive(Debug, Clone, PartialEq)]
pub struct ModuleCall {
    /// Call name in `main.tf`.
    pub name: String,
    /// Module directory name.
    pub module: String,
    /// Literal variables.
    pub variables: Map<String, Value>,
    /// Variables taken from other calls' outputs.
    pub wiring: Vec<Wire>,
}

impl ModuleCall {
    /// A call named `name` of module `module`, with no variables yet.
    pub fn new(name: impl Into<String>, module: impl Into<String>) -> Self {
        ModuleCall {
            name: name.into(),
            module: module.into(),
            variables: Map::new(),
            wiring: Vec::new(),
        }
    }

    /// Sets a literal variable.
    pub fn var(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.variables.insert(name.to_owned(), value.into());
        self
    }

    /// Wires `variable` to `output` of the call `from_call`.
    pub fn wire(mut self, variable: &str, from_call: &str, output: &str) -> Self {
        self.wiring.push(Wire {
            variable: variable.to_owned(),
            from_call: from_call.to_owned(),
            output: output.to_owned(),
        });
        self
    }
}
