//! Judge: every configured policy over a rendered environment.

use idp_host::PolicyPlugin;
use idp_model::{Environment, Finding, Rendering};
use serde_json::Value;

use crate::PlanError;

/// A policy loaded from the catalog with its validated settings.
pub struct LoadedPolicy {
    /// The plugin.
    pub plugin: PolicyPlugin,
    /// Settings from `idp.kdl`.
    pub settings: Value,
}

/// Runs every policy; findings come back in policy order, then as each policy gave them.
pub fn judge(
    policies: &[LoadedPolicy],
    env: &Environment,
    rendering: &Rendering,
) -> Result<Vec<Finding>, PlanError> {
    let mut findings = Vec::new();
    for p in policies {
        findings.extend(
            p.plugin
                .evaluate(env, &rendering.calls, None, &p.settings)?,
        );
    }
    Ok(findings)
}
