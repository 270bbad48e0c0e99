//! The `max-ttl` policy: an environment may not live longer than its class allows,
//! and `ttl never` is accepted only for the classes the organisation names.
//!
//! Settings give the maximum per class (`preview "14d"`) and the classes that may
//! say `never`.

use idp_plugin_sdk::serde_json::json;
use idp_plugin_sdk::{
    Class, Finding, Policy, PolicyInfo, PolicyInput, Reads, RuleInfo, Severity, Ttl, export_policy,
};
use serde::Deserialize;

/// Settings from `policy max-ttl { … }` in `idp.kdl`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", default, deny_unknown_fields)]
pub struct Settings {
    /// Longest TTL of a preview environment.
    pub preview: Ttl,
    /// Longest TTL of a staging environment.
    pub staging: Ttl,
    /// Longest TTL of a production environment; `never` for no limit.
    pub production: Ttl,
    /// Classes whose environments may say `ttl never`.
    pub allow_never: Vec<Class>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            preview: Ttl::Seconds(14 * 86_400),
            staging: Ttl::Seconds(30 * 86_400),
            production: Ttl::Never,
            allow_never: vec![Class::Production],
        }
    }
}

impl Settings {
    /// The longest TTL an environment of `class` may have.
    pub fn maximum(&self, class: Class) -> Ttl {
        match class {
            Class::Preview => self.preview,
            Class::Staging => self.staging,
            Class::Production => self.production,
        }
    }
}

/// The plugin type.
pub struct MaxTtl;

impl Policy for MaxTtl {
    type Settings = Settings;
    const READS: Reads = Reads::FIELDS;

    fn info() -> PolicyInfo {
        let duration = json!({"type": "string", "pattern": "^([0-9]+[mhdw]|never)$"});
        let mut preview = duration.clone();
        preview["description"] = json!("longest TTL of a preview environment (default `14d`)");
        let mut staging = duration.clone();
        staging["description"] = json!("longest TTL of a staging environment (default `30d`)");
        let mut production = duration;
        production["description"] =
            json!("longest TTL of a production environment (default `never`: no limit)");
        PolicyInfo {
            name: "max-ttl".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            summary: "environments expire within their class's maximum".into(),
            rules: vec![
                RuleInfo::new(
                    "ttl-above-maximum",
                    Severity::Deny,
                    "the TTL is within the class maximum",
                    "forgotten environments cost money; a short TTL with `idp extend` when needed keeps them in check",
                ),
                RuleInfo::new(
                    "ttl-never",
                    Severity::Deny,
                    "`ttl never` only where the class allows it",
                    "only the classes in `allow-never` may live forever",
                ),
            ],
            settings_schema: json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "preview": preview,
                    "staging": staging,
                    "production": production,
                    "allow-never": {
                        "type": "array",
                        "items": {"enum": ["preview", "staging", "production"]},
                        "description": "classes whose environments may say `ttl never` (default: production)"
                    }
                }
            }),
        }
    }

    fn evaluate(input: &PolicyInput, settings: &Settings) -> Vec<Finding> {
        let env = &input.env;
        let class = env.class;
        let max = settings.maximum(class);
        match env.ttl() {
            Ttl::Never if !settings.allow_never.contains(&class) => vec![
                Finding::deny("ttl-never", format!("{class} environments may not live forever"))
                    .at("/ttl")
                    .help(match max {
                        Ttl::Seconds(_) => format!("set a TTL of at most `{max}`"),
                        Ttl::Never => "set a TTL".to_owned(),
                    }),
            ],
            ttl @ Ttl::Seconds(_) if ttl > max => vec![
                Finding::deny(
                    "ttl-above-maximum",
                    format!("TTL `{ttl}` is above the {class} maximum of `{max}`"),
                )
                .at("/ttl")
                .help(format!(
                    "shorten it to `{max}` or less; a short TTL can be extended later while the environment is still needed"
                )),
            ],
            _ => Vec::new(),
        }
    }
}

export_policy!(MaxTtl);

#[cfg(test)]
mod tests {
    use super::*;
    use idp_plugin_sdk::testing::{self, environment};

    fn judge(class: Class, ttl: &str) -> Vec<Finding> {
        let input = environment().class(class).ttl(ttl).input();
        MaxTtl::evaluate(&input, &Settings::default())
    }

    #[test]
    fn preview_above_maximum_is_denied() {
        let f = judge(Class::Preview, "15d");
        assert_eq!(testing::rules(&f), ["ttl-above-maximum"]);
        assert_eq!(
            f[0].message,
            "TTL `15d` is above the preview maximum of `14d`"
        );
        assert_eq!(f[0].pointer, "/ttl");
        assert!(judge(Class::Preview, "2w").is_empty(), "the maximum itself");
    }

    #[test]
    fn never_only_where_allowed() {
        let f = judge(Class::Staging, "never");
        assert_eq!(testing::rules(&f), ["ttl-never"]);
        assert_eq!(f[0].help.as_deref(), Some("set a TTL of at most `30d`"));
        assert!(judge(Class::Production, "never").is_empty());
        assert!(judge(Class::Preview, "1d").is_empty());
    }

    #[test]
    fn settings_are_durations_and_classes() {
        let input = environment().class(Class::Staging).ttl("90m").input();
        let f = testing::evaluate::<MaxTtl>(&input, json!({"staging": "1h"}));
        assert_eq!(
            testing::messages(&f),
            ["TTL `90m` is above the staging maximum of `1h`"]
        );
        let never = environment().ttl("never").input();
        let allowed = json!({"allow-never": ["preview"], "preview": "never"});
        assert!(testing::evaluate::<MaxTtl>(&never, allowed).is_empty());
        let f = testing::evaluate::<MaxTtl>(&never, json!({"allow-never": []}));
        assert_eq!(f[0].help.as_deref(), Some("set a TTL of at most `14d`"));
        let production = environment().class(Class::Production).ttl("never").input();
        let f = testing::evaluate::<MaxTtl>(&production, json!({"allow-never": []}));
        assert_eq!(f[0].help.as_deref(), Some("set a TTL"));
    }

    #[test]
    fn a_setting_the_host_grammar_refuses_is_reported() {
        let f = testing::evaluate::<MaxTtl>(&environment().input(), json!({"preview": "0d"}));
        assert_eq!(testing::rules(&f), ["invalid-settings"]);
        assert!(f[0].message.contains("`0d` is not a duration"), "{f:?}");
    }
}
