//! The `cost-center` policy: the `cost-center` tag names a real cost center, written the
//! way finance books it (`cc-` and four digits unless the organisation says otherwise).
//!
//! idp checks the settings against the schema in `info()` before `evaluate` runs;
//! `cargo test` runs the logic natively, `idp plugin test` through idp.

use idp_plugin_sdk::{
    Finding, Policy, PolicyInfo, PolicyInput, RuleInfo, Severity, export_policy, pointer,
    serde_json::json,
};
use serde::Deserialize;

/// Settings from `policy cost-center { … }` in `idp.kdl`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", default, deny_unknown_fields)]
pub struct Settings {
    /// What every cost center starts with.
    pub prefix: String,
    /// How many digits follow the prefix.
    pub digits: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            prefix: "cc-".into(),
            digits: 4,
        }
    }
}

const TAG: &str = "cost-center";

/// Whether `value` is the prefix followed by exactly `digits` ASCII digits.
fn well_formed(value: &str, settings: &Settings) -> bool {
    value
        .strip_prefix(settings.prefix.as_str())
        .is_some_and(|rest| {
            rest.len() == settings.digits && rest.bytes().all(|b| b.is_ascii_digit())
        })
}

/// The plugin type: what idp calls.
pub struct CostCenter;

impl Policy for CostCenter {
    type Settings = Settings;

    fn info() -> PolicyInfo {
        PolicyInfo {
            name: "cost-center".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            summary: "the cost-center tag names a cost center as finance books it".into(),
            rules: vec![RuleInfo::new(
                "cost-center-format",
                Severity::Deny,
                "the `cost-center` tag is the prefix and the digits finance uses",
                "write the cost center as finance books it, such as `cc-0042`",
            )],
            settings_schema: json!({
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "prefix": {"type": "string", "minLength": 1, "maxLength": 16,
                               "description": "what every cost center starts with"},
                    "digits": {"type": "integer", "minimum": 1, "maximum": 12,
                               "description": "how many digits follow the prefix"}
                }
            }),
        }
    }

    fn evaluate(input: &PolicyInput, settings: &Settings) -> Vec<Finding> {
        // A missing tag is `required-tags`' business; a malformed one is ours.
        let Some(value) = input.env.tag(TAG) else {
            return Vec::new();
        };
        if well_formed(value, settings) {
            return Vec::new();
        }
        let example = format!("{}{}", settings.prefix, "0".repeat(settings.digits));
        vec![
            Finding::deny(
                "cost-center-format",
                format!(
                    "cost center `{value}` is not `{}` and {} digits",
                    settings.prefix, settings.digits
                ),
            )
            // A JSON pointer into the spec: idp shows the finding at the tag's line.
            .at(pointer(&["tags", TAG]))
            .help(format!(
                "write the cost center as finance books it, such as `{example}`"
            )),
        ]
    }
}

export_policy!(CostCenter);

#[cfg(test)]
mod tests {
    use super::*;
    use idp_plugin_sdk::testing::{self, environment};

    #[test]
    fn the_prefix_and_exactly_the_digits() {
        let s = Settings::default();
        assert!(well_formed("cc-0042", &s));
        assert!(!well_formed("cc-42", &s));
        assert!(!well_formed("CC-0042", &s));
        assert!(!well_formed("cc-00420", &s));
        assert!(!well_formed("cc-00a2", &s));
    }

    #[test]
    fn a_malformed_cost_center_is_denied_at_its_tag() {
        let input = environment().tag("cost-center", "cc-42").input();
        let found = testing::evaluate::<CostCenter>(&input, json!({}));
        assert_eq!(testing::rules(&found), ["cost-center-format"]);
        assert_eq!(testing::pointers(&found), ["/tags/cost-center"]);
    }

    #[test]
    fn the_organisations_format_wins() {
        let input = environment().tag("cost-center", "fin-123").input();
        let found = testing::evaluate::<CostCenter>(&input, json!({"prefix": "fin-", "digits": 3}));
        assert!(found.is_empty());
    }

    #[test]
    fn no_tag_is_another_policys_finding() {
        assert!(testing::evaluate::<CostCenter>(&environment().input(), json!({})).is_empty());
    }
}
