//! A core module to a checked component: componentized, loaded in the host, and its
//! `info()` held to what a catalog entry needs.

use std::collections::BTreeSet;

use idp_host::{AnyPlugin, PluginHost};
use idp_model::{NameKind, PluginKind, PolicyInfo, TemplateInfo, check_name, check_version};

use crate::BuildError;

/// Turns a core module carrying wit-bindgen's type section into a component.
pub fn componentize(krate: &str, core: &[u8]) -> Result<Vec<u8>, BuildError> {
    wit_component::ComponentEncoder::default()
        .module(core)
        .and_then(|e| e.validate(true).encode())
        .map_err(|e| BuildError::Componentize {
            krate: krate.to_owned(),
            reason: format!("{e:#}"),
        })
}

/// What a component says about itself, whichever its kind.
#[derive(Debug, Clone)]
pub enum Info {
    /// A template's info.
    Template(TemplateInfo),
    /// A policy's info.
    Policy(PolicyInfo),
}

impl Info {
    /// Template or policy.
    pub fn kind(&self) -> PluginKind {
        match self {
            Info::Template(_) => PluginKind::Template,
            Info::Policy(_) => PluginKind::Policy,
        }
    }

    /// Catalog name.
    pub fn name(&self) -> &str {
        match self {
            Info::Template(i) => &i.name,
            Info::Policy(i) => &i.name,
        }
    }

    /// Version.
    pub fn version(&self) -> &str {
        match self {
            Info::Template(i) => &i.version,
            Info::Policy(i) => &i.version,
        }
    }

    /// Modules a template uses; none for a policy.
    pub fn modules(&self) -> &[String] {
        match self {
            Info::Template(i) => &i.modules,
            Info::Policy(_) => &[],
        }
    }

    /// The input (template) or settings (policy) schema.
    pub fn schema(&self) -> &serde_json::Value {
        match self {
            Info::Template(i) => &i.input_schema,
            Info::Policy(i) => &i.settings_schema,
        }
    }
}

/// A component loaded in the host: its info and the contract version it was built for.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// What it says about itself.
    pub info: Info,
    /// The `idp:plugin` WIT version it exports (`0.1.0`).
    pub wit_version: String,
}

/// Loads a component of either kind, taking the kind from its exports.
pub fn load(host: &PluginHost, label: &str, bytes: &[u8]) -> Result<Loaded, BuildError> {
    Ok(match host.load_any(label, bytes)? {
        AnyPlugin::Template(p) => Loaded {
            wit_version: p.wit_version().to_owned(),
            info: Info::Template(p.info().clone()),
        },
        AnyPlugin::Policy(p) => Loaded {
            wit_version: p.wit_version().to_owned(),
            info: Info::Policy(p.info().clone()),
        },
    })
}

/// Holds `info()` to what a catalog entry and the pipeline need: names and version in
/// their grammar, a schema that compiles, rule ids valid and distinct.
pub fn check_info(krate: &str, info: &Info) -> Result<(), BuildError> {
    let invalid = |problem: String| BuildError::InvalidInfo {
        krate: krate.to_owned(),
        problem,
    };
    let grammar = |e: idp_model::InvalidName| invalid(e.to_string());
    check_name(NameKind::Plugin, info.name()).map_err(grammar)?;
    check_version(info.version()).map_err(grammar)?;
    for module in info.modules() {
        check_name(NameKind::Module, module).map_err(grammar)?;
    }
    let what = match info.kind() {
        PluginKind::Template => "an input schema",
        PluginKind::Policy => "a settings schema",
    };
    jsonschema::validator_for(info.schema())
        .map_err(|e| invalid(format!("{what} that is not a valid JSON Schema: {e}")))?;
    if let Info::Policy(p) = info {
        let mut seen = BTreeSet::new();
        for rule in &p.rules {
            check_name(NameKind::Rule, &rule.id).map_err(grammar)?;
            if !seen.insert(rule.id.as_str()) {
                return Err(invalid(format!("rule `{}` twice", rule.id)));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use idp_model::{RuleInfo, Severity};

    fn policy(name: &str, rules: &[&str], schema: serde_json::Value) -> Info {
        Info::Policy(PolicyInfo {
            name: name.into(),
            version: "0.1.0".into(),
            summary: "s".into(),
            rules: rules
                .iter()
                .map(|id| RuleInfo {
                    id: (*id).into(),
                    default_severity: Severity::Deny,
                    summary: String::new(),
                    help: String::new(),
                })
                .collect(),
            settings_schema: schema,
            reads: idp_model::InputParts::ALL,
            applies_to: idp_model::Class::ALL.to_vec(),
        })
    }

    #[test]
    fn info_is_held_to_the_catalog_grammar() {
        let ok = serde_json::json!({"type": "object"});
        check_info("c", &policy("max-ttl", &["a", "b"], ok.clone())).expect("valid");
        for (info, expected) in [
            (
                policy("Max_TTL", &[], ok.clone()),
                "plugin name `Max_TTL` is not valid",
            ),
            (policy("x", &["a", "a"], ok.clone()), "rule `a` twice"),
            (
                policy("x", &["Bad Id"], ok.clone()),
                "rule id `Bad Id` is not valid",
            ),
            (
                policy("x", &[], serde_json::json!({"type": 5})),
                "a settings schema that is not a valid JSON Schema",
            ),
        ] {
            let err = check_info("c", &info).expect_err(expected).to_string();
            assert!(err.starts_with("`c` declares "), "{err}");
            assert!(err.contains(expected), "{err}");
        }
    }
}
