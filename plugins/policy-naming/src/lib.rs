//! The `naming` policy: environment names stay DNS-safe, whole inside AWS resource names,
//! optionally prefixed with their team, and never claim a class they are not.
//!
//! A name becomes part of every resource name (`orders-preview-alb`), of hostnames and of
//! state keys, so a misleading or truncated name costs people time when they look for it.

use idp_plugin_sdk::serde_json::json;
use idp_plugin_sdk::{
    Class, Finding, Policy, PolicyInfo, PolicyInput, Reads, RuleInfo, Severity, export_policy,
};
use serde::Deserialize;

/// The longest environment name the modules keep whole: ALB and target group names allow
/// 32 characters and the longest suffix the modules add is 7 (`-exec-`, `-tg`, …); longer
/// names are cut to 20 characters and a 4-character hash (modules/common).
pub const WHOLE_NAME_LIMIT: usize = 25;

/// Settings from `policy naming { … }` in `idp.kdl`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", default, deny_unknown_fields)]
pub struct Settings {
    /// Names longer than this are reported (they are shortened in AWS resource names).
    pub max_length: usize,
    /// Names must start with the team (`payments-…`).
    pub team_prefix: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_length: WHOLE_NAME_LIMIT,
            team_prefix: false,
        }
    }
}

/// The class a hyphen-separated word of a name claims, if any.
fn claimed_class(word: &str) -> Option<Class> {
    match word {
        "prod" | "production" | "prd" => Some(Class::Production),
        "staging" | "stage" | "stg" => Some(Class::Staging),
        "preview" | "pr" => Some(Class::Preview),
        _ => None,
    }
}

/// DNS label rules: lowercase letters, digits and hyphens, a letter first, no hyphen last,
/// at most 63 characters.
pub fn dns_safe(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_lowercase()
        && !name.ends_with('-')
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// The plugin type.
pub struct Naming;

impl Policy for Naming {
    type Settings = Settings;
    const READS: Reads = Reads::FIELDS;

    fn info() -> PolicyInfo {
        PolicyInfo {
            name: "naming".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            summary:
                "environment names are DNS-safe, whole in AWS names and honest about their class"
                    .into(),
            rules: vec![
                RuleInfo::new(
                    "name-dns-safe",
                    Severity::Deny,
                    "the name is a DNS label",
                    "names become hostnames and resource names: lowercase letters, digits and hyphens, a letter first",
                ),
                RuleInfo::new(
                    "name-too-long",
                    Severity::Warn,
                    "the name fits whole into every AWS resource name",
                    "ALB and target group names allow 32 characters; longer environment names are cut to 20 characters and a hash, which is harder to find in the console",
                ),
                RuleInfo::new(
                    "name-team-prefix",
                    Severity::Deny,
                    "the name starts with the owning team",
                    "a team prefix makes ownership visible in every AWS console and bill",
                ),
                RuleInfo::new(
                    "name-class-mismatch",
                    Severity::Deny,
                    "a class word in the name matches the class",
                    "an environment called `orders-prod` that is a preview invites mistakes: rename it or fix the class",
                ),
            ],
            settings_schema: json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "max-length": {"type": "integer", "minimum": 1, "maximum": 63, "description": "names longer than this are reported (default 25: the longest name the modules keep whole)"},
                    "team-prefix": {"type": "boolean", "description": "names must start with their team and a hyphen (default false)"}
                }
            }),
        }
    }

    fn evaluate(input: &PolicyInput, settings: &Settings) -> Vec<Finding> {
        let env = &input.env;
        let name = &env.name;
        let mut findings = Vec::new();
        if !dns_safe(name) {
            findings.push(
                Finding::deny("name-dns-safe", format!("name `{name}` is not DNS-safe"))
                    .at("/name")
                    .help("use lowercase letters, digits and hyphens, starting with a letter"),
            );
        }
        if name.chars().count() > settings.max_length {
            findings.push(
                Finding::warn(
                    "name-too-long",
                    format!(
                        "name `{name}` is {} characters; AWS resource names will show only `{}` and a hash",
                        name.chars().count(),
                        name.chars().take(20).collect::<String>()
                    ),
                )
                .at("/name")
                .help(format!("keep names to {} characters or fewer", settings.max_length)),
            );
        }
        if settings.team_prefix && !name.starts_with(&format!("{}-", env.team)) {
            findings.push(
                Finding::deny(
                    "name-team-prefix",
                    format!("name `{name}` does not start with its team `{}`", env.team),
                )
                .at("/name")
                .help(format!("rename it to `{}-{name}`", env.team)),
            );
        }
        if let Some((word, claimed)) = name
            .split('-')
            .find_map(|w| claimed_class(w).map(|c| (w, c)))
            .filter(|(_, c)| *c != env.class)
        {
            findings.push(
                Finding::deny(
                    "name-class-mismatch",
                    format!(
                        "name `{name}` says `{word}` but the environment's class is {}",
                        env.class.as_str()
                    ),
                )
                .at("/name")
                .help(format!(
                    "rename it, or set `class {}` if that is what it is",
                    claimed.as_str()
                )),
            );
        }
        findings
    }
}

export_policy!(Naming);

#[cfg(test)]
mod tests {
    use super::*;
    use idp_plugin_sdk::testing::{self, environment};

    fn judge(class: Class, name: &str, settings: &Settings) -> Vec<Finding> {
        let input = environment().class(class).name(name).input();
        Naming::evaluate(&input, settings)
    }

    fn rules(class: Class, name: &str, settings: &Settings) -> Vec<String> {
        let found = judge(class, name, settings);
        testing::rules(&found)
            .into_iter()
            .map(String::from)
            .collect()
    }

    #[test]
    fn honest_short_names_pass() {
        let s = Settings::default();
        assert!(judge(Class::Preview, "orders-preview", &s).is_empty());
        assert!(judge(Class::Production, "orders-prod", &s).is_empty());
    }

    #[test]
    fn a_preview_called_prod_is_denied() {
        let f = judge(Class::Preview, "orders-prod", &Settings::default());
        assert_eq!(testing::rules(&f), ["name-class-mismatch"]);
        assert_eq!(
            f[0].message,
            "name `orders-prod` says `prod` but the environment's class is preview"
        );
        assert_eq!(
            f[0].help.as_deref(),
            Some("rename it, or set `class production` if that is what it is")
        );
    }

    #[test]
    fn long_names_warn_and_team_prefix_is_enforced_when_asked() {
        let long = "orders-checkout-preview-feature-x";
        let f = judge(Class::Preview, long, &Settings::default());
        assert_eq!(testing::rules(&f), ["name-too-long"]);
        assert_eq!(f[0].severity, Severity::Warn);
        let s: Settings = testing::settings(json!({"team-prefix": true})).expect("valid");
        assert_eq!(
            rules(Class::Preview, "orders-preview", &s),
            ["name-team-prefix"]
        );
        assert!(judge(Class::Preview, "payments-orders", &s).is_empty());
    }

    #[test]
    fn dns_rules() {
        assert!(dns_safe("a1-b"));
        assert!(!dns_safe("A1"));
        assert!(!dns_safe("1a"));
        assert!(!dns_safe("a-"));
        assert!(!dns_safe(""));
    }
}
