//! The `max-ttl` policy: an environment may not live longer than its class allows,
//! and `ttl never` is accepted only for the classes the organisation names.
//!
//! Settings give the maximum per class (`preview "14d"`) and the classes that may
//! say `never`.

use idp_plugin_sdk::serde_json::json;
use idp_plugin_sdk::{
    Class, Environment, Finding, Policy, PolicyInfo, PolicyInput, RuleInfo, Severity, export_policy,
};
use serde::Deserialize;

/// Settings from `policy max-ttl { … }` in `idp.kdl`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", default, deny_unknown_fields)]
pub struct Settings {
    /// Longest TTL of a preview environment.
    pub preview: String,
    /// Longest TTL of a staging environment.
    pub staging: String,
    /// Longest TTL of a production environment; `never` for no limit.
    pub production: String,
    /// Classes whose environments may say `ttl never`.
    pub allow_never: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            preview: "14d".into(),
            staging: "30d".into(),
            production: "never".into(),
            allow_never: vec!["production".into()],
        }
    }
}

/// Parses `90m`, `36h`, `7d`, `2w` into seconds; `never` is `Some(None)`.
pub fn parse_duration(text: &str) -> Option<Option<u64>> {
    if text == "never" {
        return Some(None);
    }
    let unit = text.chars().last()?;
    let number: u64 = text.get(..text.len() - unit.len_utf8())?.parse().ok()?;
    let seconds = match unit {
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 604_800,
        _ => return None,
    };
    number.checked_mul(seconds).map(Some)
}

/// Seconds back to the largest exact unit up to days, as people write TTLs (`1209600` → `14d`).
pub fn format_duration(seconds: u64) -> String {
    for (unit, size) in [('d', 86_400), ('h', 3600)] {
        if seconds.is_multiple_of(size) {
            return format!("{}{unit}", seconds / size);
        }
    }
    format!("{}m", seconds / 60)
}

/// The policy's judgement, as a plain function so it is tested natively.
pub fn evaluate(env: &Environment, settings: &Settings) -> Vec<Finding> {
    let class = env.class.as_str();
    let limit_text = match env.class {
        Class::Preview => &settings.preview,
        Class::Staging => &settings.staging,
        Class::Production => &settings.production,
    };
    let Some(limit) = parse_duration(limit_text) else {
        return vec![Finding::deny(
            "invalid-settings",
            format!("maximum `{limit_text}` for {class} is not a duration"),
        )];
    };
    match env.ttl_seconds {
        None if !settings.allow_never.iter().any(|c| c == class) => vec![
            Finding::deny("ttl-never", format!("{class} environments may not live forever"))
                .at("/ttl")
                .help(match limit {
                    Some(max) => format!("set a TTL of at most `{}`", format_duration(max)),
                    None => "set a TTL".to_owned(),
                }),
        ],
        Some(ttl) => match limit {
            Some(max) if ttl > max => vec![
                Finding::deny(
                    "ttl-above-maximum",
                    format!(
                        "TTL `{}` is above the {class} maximum of `{}`",
                        format_duration(ttl),
                        format_duration(max)
                    ),
                )
                .at("/ttl")
                .help(format!(
                    "shorten it to `{}` or less; a short TTL can be extended later while the environment is still needed",
                    format_duration(max)
                )),
            ],
            _ => Vec::new(),
        },
        None => Vec::new(),
    }
}

/// The plugin type.
pub struct MaxTtl;

impl Policy for MaxTtl {
    type Settings = Settings;

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
        evaluate(&input.env, settings)
    }
}

export_policy!(MaxTtl);

#[cfg(test)]
mod tests {
    use super::*;

    fn env(class: Class, ttl: Option<u64>) -> Environment {
        Environment {
            name: "e".into(),
            template: "t".into(),
            template_version: "0.1.0".into(),
            owner: "a@b.io".into(),
            team: "t".into(),
            class,
            region: "us-east-1".into(),
            ttl_seconds: ttl,
            created_at: String::new(),
            expires_at: None,
            tags: vec![],
            inputs: "{}".into(),
        }
    }

    #[test]
    fn durations_round_trip() {
        assert_eq!(parse_duration("90m"), Some(Some(5400)));
        assert_eq!(parse_duration("2w"), Some(Some(1_209_600)));
        assert_eq!(parse_duration("never"), Some(None));
        assert_eq!(parse_duration("7x"), None);
        assert_eq!(parse_duration("d"), None);
        assert_eq!(format_duration(1_209_600), "14d");
        assert_eq!(format_duration(5400), "90m");
    }

    #[test]
    fn preview_above_maximum_is_denied() {
        let f = evaluate(
            &env(Class::Preview, Some(15 * 86_400)),
            &Settings::default(),
        );
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "TTL `15d` is above the preview maximum of `14d`"
        );
        assert_eq!(f[0].pointer, "/ttl");
    }

    #[test]
    fn never_only_where_allowed() {
        assert_eq!(
            evaluate(&env(Class::Staging, None), &Settings::default())[0].rule,
            "ttl-never"
        );
        assert!(evaluate(&env(Class::Production, None), &Settings::default()).is_empty());
        assert!(evaluate(&env(Class::Preview, Some(86_400)), &Settings::default()).is_empty());
    }
}
