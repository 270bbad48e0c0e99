//! The `production-guardrails` policy: a production environment never expires, runs at
//! least two tasks of every service, and keeps its database in two zones behind deletion
//! protection.
//!
//! It judges the module calls the template rendered, not the spec's wording, so it holds
//! for every template that composes `ecs-service` or `rds-postgres`, built-in or not.

use idp_plugin_sdk::serde_json::{Value, json};
use idp_plugin_sdk::{
    Class, Environment, Finding, ModuleCall, Policy, PolicyInfo, PolicyInput, Reads, RuleInfo,
    Severity, export_policy,
};
use serde::Deserialize;

/// Settings from `policy production-guardrails { … }` in `idp.kdl`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", default, deny_unknown_fields)]
pub struct Settings {
    /// Fewest tasks a production service may run.
    pub min_tasks: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { min_tasks: 2 }
    }
}

/// Where in the spec a finding about a module variable is best shown: the first input
/// field of one of `fields`, else the environment.
fn place(env: &Environment, fields: &[&str]) -> String {
    fields
        .iter()
        .find_map(|f| env.input_fields(f).into_iter().next())
        .map(|(at, _)| at)
        .unwrap_or_default()
}

fn flag(call: &ModuleCall, variable: &str) -> Option<bool> {
    call.variables.get(variable).and_then(Value::as_bool)
}

fn deletion(call: &ModuleCall, env: &Environment) -> Finding {
    Finding::deny(
        "production-deletion-protection",
        format!(
            "`{}` ({}) can be deleted without turning protection off first",
            call.name, call.module
        ),
    )
    .at(place(env, &["deletion-protection"]))
    .help("production resources keep deletion protection on; the template sets it from the class")
}

/// The plugin type.
pub struct ProductionGuardrails;

impl Policy for ProductionGuardrails {
    type Settings = Settings;
    const READS: Reads = Reads::INPUTS.and(Reads::CALLS);
    const APPLIES_TO: &'static [Class] = &[Class::Production];

    fn info() -> PolicyInfo {
        PolicyInfo {
            name: "production-guardrails".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            summary: "production never expires, runs redundantly and is protected from deletion"
                .into(),
            rules: vec![
                RuleInfo::new(
                    "production-ttl",
                    Severity::Deny,
                    "production environments have no TTL",
                    "a TTL on production means the daily sweep will destroy it; write `ttl \"never\"`",
                ),
                RuleInfo::new(
                    "production-min-tasks",
                    Severity::Deny,
                    "every production service runs at least `min-tasks` tasks",
                    "one task is one failure from an outage; two spread over two zones survive a zone or a deployment",
                ),
                RuleInfo::new(
                    "production-multi-az",
                    Severity::Deny,
                    "production databases have a standby in a second zone",
                    "Multi-AZ fails over in a minute or two when a zone or the primary fails",
                ),
                RuleInfo::new(
                    "production-deletion-protection",
                    Severity::Deny,
                    "production load balancers and databases have deletion protection",
                    "deletion protection turns a mistaken destroy into an error instead of an outage",
                ),
            ],
            settings_schema: json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "min-tasks": {"type": "integer", "minimum": 1, "maximum": 100, "description": "fewest tasks a production service may run (default 2)"}
                }
            }),
        }
    }

    fn evaluate(input: &PolicyInput, settings: &Settings) -> Vec<Finding> {
        let env = &input.env;
        if env.class != Class::Production {
            return Vec::new();
        }
        let mut findings = Vec::new();
        if env.ttl_seconds.is_some() {
            findings.push(
                Finding::deny("production-ttl", "a production environment must not expire")
                    .at("/ttl")
                    .help("write `ttl \"never\"`; `idp sweep` would otherwise destroy it"),
            );
        }
        for call in input.calls() {
            match call.module.as_str() {
                "ecs-service" => {
                    let count = call.variables.get("desired_count").and_then(Value::as_u64);
                    if let Some(n) = count.filter(|&n| n < settings.min_tasks) {
                        findings.push(
                            Finding::deny(
                                "production-min-tasks",
                                format!(
                                    "service `{}` runs {n} task(s); production needs at least {}",
                                    call.name, settings.min_tasks
                                ),
                            )
                            .at(place(env, &["desired-count", "min-count"]))
                            .help(format!(
                                "set `desired-count {}` so one zone or one deployment can fail without an outage",
                                settings.min_tasks
                            )),
                        );
                    }
                    if flag(call, "deletion_protection") == Some(false) {
                        findings.push(deletion(call, env));
                    }
                }
                "rds-postgres" => {
                    if flag(call, "multi_az") == Some(false) {
                        findings.push(
                            Finding::deny(
                                "production-multi-az",
                                format!("database `{}` has no standby in a second zone", call.name),
                            )
                            .at(place(env, &["multi-az", "instance-class"]))
                            .help("remove `multi-az #false`: production databases run Multi-AZ"),
                        );
                    }
                    if flag(call, "deletion_protection") == Some(false) {
                        findings.push(deletion(call, env));
                    }
                }
                _ => {}
            }
        }
        findings
    }
}

export_policy!(ProductionGuardrails);

#[cfg(test)]
mod tests {
    use super::*;
    use idp_plugin_sdk::testing::{self, environment};

    fn calls(desired: u64, multi_az: bool, protected: bool) -> Vec<ModuleCall> {
        vec![
            ModuleCall::new("service", "ecs-service")
                .var("desired_count", desired)
                .var("deletion_protection", protected),
            ModuleCall::new("database", "rds-postgres")
                .var("multi_az", multi_az)
                .var("deletion_protection", protected),
        ]
    }

    fn judge(input: PolicyInput, calls: Vec<ModuleCall>) -> Vec<Finding> {
        ProductionGuardrails::evaluate(&input.with_calls(calls), &Settings::default())
    }

    #[test]
    fn only_production_is_judged() {
        let staging = environment().class(Class::Staging).input();
        assert!(judge(staging, calls(1, false, false)).is_empty());
    }

    #[test]
    fn a_protected_redundant_production_passes() {
        let production = environment().class(Class::Production).input();
        assert!(judge(production, calls(2, true, true)).is_empty());
    }

    #[test]
    fn every_guardrail_is_reported_where_the_spec_says_it() {
        let input = environment()
            .class(Class::Production)
            .ttl("1d")
            .inputs(json!({"service": {"desired-count": 1}, "database": {"multi-az": false}}))
            .input();
        let f = judge(input, calls(1, false, false));
        assert_eq!(
            testing::rules(&f),
            [
                "production-ttl",
                "production-min-tasks",
                "production-deletion-protection",
                "production-multi-az",
                "production-deletion-protection"
            ]
        );
        assert_eq!(f[1].pointer, "/service/desired-count");
        assert_eq!(f[3].pointer, "/database/multi-az");
        assert_eq!(
            f[1].message,
            "service `service` runs 1 task(s); production needs at least 2"
        );
    }

    #[test]
    fn min_tasks_is_a_setting() {
        let input = environment()
            .class(Class::Production)
            .input()
            .with_calls(calls(2, true, true));
        let f = testing::evaluate::<ProductionGuardrails>(&input, json!({"min-tasks": 3}));
        assert_eq!(testing::rules(&f), ["production-min-tasks"]);
    }
}
