//! The `allowed-regions` policy: environments run only in the AWS regions the
//! organisation operates in, and production only in the subset it names for it.
//!
//! The default list is the regions the embedded price book covers, so every allowed
//! environment can also be priced.

use idp_plugin_sdk::serde_json::json;
use idp_plugin_sdk::{
    Class, Finding, Policy, PolicyInfo, PolicyInput, Reads, RuleInfo, Severity, export_policy,
};
use serde::Deserialize;

/// Settings from `policy allowed-regions { … }` in `idp.kdl`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", default, deny_unknown_fields)]
pub struct Settings {
    /// Regions any environment may use.
    pub regions: Vec<String>,
    /// When set, production environments may use only these.
    pub production: Option<Vec<String>>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            regions: ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1"]
                .map(String::from)
                .to_vec(),
            production: None,
        }
    }
}

/// The plugin type.
pub struct AllowedRegions;

impl Policy for AllowedRegions {
    type Settings = Settings;
    const READS: Reads = Reads::FIELDS;

    fn info() -> PolicyInfo {
        let regions = json!({"type": "array", "items": {"type": "string", "pattern": "^[a-z]{2}(-[a-z]+)+-[0-9]$"}});
        let mut any = regions.clone();
        any["description"] = json!(
            "regions any environment may use (default: us-east-1, us-west-2, eu-west-1, eu-central-1)"
        );
        let mut production = regions;
        production["description"] = json!("when set, the only regions production may use");
        PolicyInfo {
            name: "allowed-regions".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            summary: "environments run only in the regions the organisation operates in".into(),
            rules: vec![RuleInfo::new(
                "region-not-allowed",
                Severity::Deny,
                "the region is one the organisation allows",
                "data residency, support coverage and the price book decide where environments may run; pick a listed region or ask the platform team to add one",
            )],
            settings_schema: json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "additionalProperties": false,
                "properties": {"regions": any, "production": production}
            }),
        }
    }

    fn evaluate(input: &PolicyInput, settings: &Settings) -> Vec<Finding> {
        let env = &input.env;
        let allowed = match (&settings.production, env.class) {
            (Some(p), Class::Production) => p,
            _ => &settings.regions,
        };
        if allowed.iter().any(|r| r == &env.region) {
            return Vec::new();
        }
        let which = if settings.production.is_some() && env.class == Class::Production {
            "production environments"
        } else {
            "environments"
        };
        vec![
            Finding::deny(
                "region-not-allowed",
                format!("region `{}` is not allowed for {which}", env.region),
            )
            .at("/region")
            .help(format!("use one of {}", allowed.join(", "))),
        ]
    }
}

export_policy!(AllowedRegions);

#[cfg(test)]
mod tests {
    use super::*;
    use idp_plugin_sdk::testing::{self, environment};

    fn judge(class: Class, region: &str, settings: &Settings) -> Vec<Finding> {
        let input = environment().class(class).region(region).input();
        AllowedRegions::evaluate(&input, settings)
    }

    #[test]
    fn listed_regions_pass_and_others_are_denied_at_the_region() {
        let s = Settings::default();
        assert!(judge(Class::Preview, "eu-west-1", &s).is_empty());
        let f = judge(Class::Preview, "ap-south-1", &s);
        assert_eq!(
            testing::messages(&f),
            ["region `ap-south-1` is not allowed for environments"]
        );
        assert_eq!(testing::pointers(&f), ["/region"]);
    }

    #[test]
    fn production_uses_its_own_list_when_given() {
        let s: Settings =
            testing::settings(json!({"production": ["eu-central-1"]})).expect("valid settings");
        assert!(judge(Class::Staging, "us-east-1", &s).is_empty());
        let f = judge(Class::Production, "us-east-1", &s);
        assert_eq!(
            testing::messages(&f),
            ["region `us-east-1` is not allowed for production environments"]
        );
        assert_eq!(f[0].help.as_deref(), Some("use one of eu-central-1"));
    }
}
