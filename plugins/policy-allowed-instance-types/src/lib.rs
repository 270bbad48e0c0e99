//! The `allowed-instance-types` policy: how large an environment's compute may be, per
//! class: Fargate task CPU and memory ceilings and the RDS instance classes allowed.
//!
//! Templates already refuse what AWS would refuse (a Fargate pair that does not exist);
//! this policy is the organisation's narrower choice of what each class may spend on.

use idp_plugin_sdk::serde_json::{Value, json};
use idp_plugin_sdk::{
    Environment, Finding, PerClass, Policy, PolicyInfo, PolicyInput, Reads, RuleInfo, Severity,
    export_policy, per_class_schema,
};
use serde::Deserialize;

/// Settings from `policy allowed-instance-types { … }` in `idp.kdl`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", default, deny_unknown_fields)]
pub struct Settings {
    /// RDS instance classes allowed per environment class.
    pub rds_classes: PerClass<Vec<String>>,
    /// Largest Fargate task CPU in units (1024 = 1 vCPU) per class.
    pub max_cpu: PerClass<u64>,
    /// Largest Fargate task memory in MiB per class.
    pub max_memory: PerClass<u64>,
}

impl Default for Settings {
    fn default() -> Self {
        let small = ["db.t4g.micro", "db.t4g.small"].map(String::from).to_vec();
        let mut medium = small.clone();
        medium.push("db.t4g.medium".into());
        Settings {
            rds_classes: PerClass {
                preview: Some(small),
                staging: Some(medium),
                // Production may use every class the templates offer.
                production: None,
            },
            max_cpu: PerClass {
                preview: Some(1024),
                staging: Some(2048),
                production: None,
            },
            max_memory: PerClass {
                preview: Some(4096),
                staging: Some(8192),
                production: None,
            },
        }
    }
}

fn ceiling(
    env: &Environment,
    field: &str,
    limit: Option<&u64>,
    what: &str,
    unit: &str,
) -> Vec<Finding> {
    let Some(&limit) = limit else {
        return Vec::new();
    };
    let class = env.class.as_str();
    env.input_fields(field)
        .into_iter()
        .filter_map(|(at, v)| v.as_u64().map(|n| (at, n)))
        .filter(|&(_, n)| n > limit)
        .map(|(at, n)| {
            Finding::deny(
                "fargate-size-above-maximum",
                format!("{what} `{n}` is above the {class} maximum of `{limit}` {unit}"),
            )
            .at(at)
            .help(format!(
                "use at most `{limit}` here, or class `staging`/`production` if the environment needs more"
            ))
        })
        .collect()
}

/// The plugin type.
pub struct AllowedInstanceTypes;

impl Policy for AllowedInstanceTypes {
    type Settings = Settings;
    const READS: Reads = Reads::INPUTS;

    fn info() -> PolicyInfo {
        let classes = json!({"type": "array", "items": {"type": "string", "pattern": "^db\\.[a-z0-9]+\\.[a-z0-9]+$"}});
        let units = json!({"type": "integer", "minimum": 256});
        PolicyInfo {
            name: "allowed-instance-types".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            summary: "compute sizes and database classes each class may use".into(),
            rules: vec![
                RuleInfo::new(
                    "fargate-size-above-maximum",
                    Severity::Deny,
                    "Fargate task CPU and memory stay within the class's ceiling",
                    "preview and staging environments are sized for testing; ask for a waiver with a reason when a load test needs more",
                ),
                RuleInfo::new(
                    "rds-class-not-allowed",
                    Severity::Deny,
                    "the RDS instance class is one the environment class allows",
                    "larger database classes are for production; preview and staging use burstable t4g classes",
                ),
            ],
            settings_schema: json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "rds-classes": per_class_schema("RDS classes allowed per class (default: preview t4g.micro/small, staging up to t4g.medium, production any)", classes),
                    "max-cpu": per_class_schema("largest Fargate task CPU in units per class (default: preview 1024, staging 2048)", units.clone()),
                    "max-memory": per_class_schema("largest Fargate task memory in MiB per class (default: preview 4096, staging 8192)", units)
                }
            }),
        }
    }

    fn evaluate(input: &PolicyInput, settings: &Settings) -> Vec<Finding> {
        let env = &input.env;
        let class = env.class;
        let mut findings = ceiling(env, "cpu", settings.max_cpu.get(class), "task CPU", "units");
        findings.extend(ceiling(
            env,
            "memory",
            settings.max_memory.get(class),
            "task memory",
            "MiB",
        ));
        if let Some(allowed) = settings.rds_classes.get(class) {
            for (at, value) in env.input_fields("instance-class") {
                let Value::String(rds) = value else { continue };
                if !allowed.contains(&rds) {
                    findings.push(
                        Finding::deny(
                            "rds-class-not-allowed",
                            format!(
                                "RDS instance class `{rds}` is not allowed for {} environments",
                                class.as_str()
                            ),
                        )
                        .at(at)
                        .help(format!("use one of {}", allowed.join(", "))),
                    );
                }
            }
        }
        findings
    }
}

export_policy!(AllowedInstanceTypes);

#[cfg(test)]
mod tests {
    use super::*;
    use idp_plugin_sdk::Class;
    use idp_plugin_sdk::testing::{self, environment};

    fn judge(class: Class, inputs: Value) -> Vec<Finding> {
        let input = environment().class(class).inputs(inputs).input();
        AllowedInstanceTypes::evaluate(&input, &Settings::default())
    }

    #[test]
    fn preview_within_ceilings_passes() {
        let inputs = json!({"service": {"cpu": 512, "memory": 1024}, "database": {"instance-class": "db.t4g.micro"}});
        assert!(judge(Class::Preview, inputs).is_empty());
    }

    #[test]
    fn oversized_preview_is_denied_at_each_field() {
        let f = judge(
            Class::Preview,
            json!({"service": {"cpu": 4096, "memory": 8192}, "database": {"instance-class": "db.m7g.large"}}),
        );
        assert_eq!(
            testing::pointers(&f),
            [
                "/service/cpu",
                "/service/memory",
                "/database/instance-class"
            ]
        );
        assert_eq!(
            f[0].message,
            "task CPU `4096` is above the preview maximum of `1024` units"
        );
        assert_eq!(
            f[2].message,
            "RDS instance class `db.m7g.large` is not allowed for preview environments"
        );
    }

    #[test]
    fn production_is_unlimited_by_default() {
        let inputs = json!({"worker": {"cpu": 16384, "memory": 65536}, "database": {"instance-class": "db.m7g.large"}});
        assert!(judge(Class::Production, inputs).is_empty());
    }

    #[test]
    fn settings_set_ceilings_per_class() {
        let input = environment()
            .class(Class::Staging)
            .inputs(json!({"service": {"cpu": 2048}}))
            .input();
        let settings = json!({"max-cpu": {"staging": 1024}});
        let f = testing::evaluate::<AllowedInstanceTypes>(&input, settings);
        assert_eq!(testing::rules(&f), ["fargate-size-above-maximum"]);
    }
}
