//! The `required-tags` policy: every environment names a reachable owner and team,
//! carries the tags the organisation requires, and every tag obeys AWS's tag rules.
//!
//! Settings list extra required tag keys and, optionally, the e-mail domains owners
//! must belong to.

use idp_plugin_sdk::serde_json::json;
use idp_plugin_sdk::{
    Finding, Policy, PolicyInfo, PolicyInput, Reads, RuleInfo, Severity, export_policy, pointer,
};
use serde::Deserialize;

/// Settings from `policy required-tags { … }` in `idp.kdl`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", default, deny_unknown_fields)]
pub struct Settings {
    /// Tag keys every environment must carry.
    pub required: Vec<String>,
    /// When non-empty, owners' e-mail domains must be one of these.
    pub owner_domains: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            required: vec!["cost-center".into()],
            owner_domains: Vec::new(),
        }
    }
}

/// AWS allows letters, digits, white space and `_ . : / = + - @` in tag keys and values.
fn tag_char_allowed(c: char) -> bool {
    c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c)
}

/// A plausible e-mail address: one `@`, a non-empty local part, a dotted domain.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(char::is_whitespace)
}

/// Problems of one tag under AWS's rules, as messages.
pub fn aws_tag_problems(key: &str, value: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if key.is_empty() {
        problems.push("tag key is empty".to_owned());
    }
    if key.chars().count() > 128 {
        problems.push(format!("tag key `{key}` is longer than 128 characters"));
    }
    if value.chars().count() > 256 {
        problems.push(format!(
            "value of tag `{key}` is longer than 256 characters"
        ));
    }
    if key.to_ascii_lowercase().starts_with("aws:") {
        problems.push(format!("tag key `{key}` uses the reserved `aws:` prefix"));
    }
    if let Some(c) = key.chars().find(|c| !tag_char_allowed(*c)) {
        problems.push(format!(
            "tag key `{key}` contains `{c}`, which AWS does not allow"
        ));
    }
    if let Some(c) = value.chars().find(|c| !tag_char_allowed(*c)) {
        problems.push(format!(
            "value of tag `{key}` contains `{c}`, which AWS does not allow"
        ));
    }
    problems
}

/// What is wrong with the owner's address, if anything.
fn owner_problem(owner: &str, settings: &Settings) -> Option<Finding> {
    if !is_email(owner) {
        return Some(
            Finding::deny("owner-is-email", format!("owner `{owner}` is not an e-mail address"))
                .at("/owner")
                .help("write the owner as an address that receives expiry warnings: `owner \"alice@acme.io\"`"),
        );
    }
    let domain = owner.rsplit('@').next().unwrap_or_default();
    let allowed = &settings.owner_domains;
    if allowed.is_empty() || allowed.iter().any(|d| d.eq_ignore_ascii_case(domain)) {
        return None;
    }
    Some(
        Finding::deny(
            "owner-domain",
            format!("owner `{owner}` is not in an allowed domain"),
        )
        .at("/owner")
        .help(format!("use an address at {}", allowed.join(", "))),
    )
}

/// The plugin type.
pub struct RequiredTags;

impl Policy for RequiredTags {
    type Settings = Settings;
    const READS: Reads = Reads::TAGS;

    fn info() -> PolicyInfo {
        PolicyInfo {
            name: "required-tags".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            summary: "owner, team and required tags are present and valid".into(),
            rules: vec![
                RuleInfo::new(
                    "owner-is-email",
                    Severity::Deny,
                    "the owner is an e-mail address",
                    "expiry warnings and cost reports go to the owner, so `owner` must be an address that receives mail",
                ),
                RuleInfo::new(
                    "owner-domain",
                    Severity::Deny,
                    "the owner's address is in an allowed domain",
                    "the organisation lists the domains owners may use in `policy required-tags { owner-domains … }`",
                ),
                RuleInfo::new(
                    "team-present",
                    Severity::Deny,
                    "a team owns the environment",
                    "add `team NAME`; costs are reported per team",
                ),
                RuleInfo::new(
                    "required-tag",
                    Severity::Deny,
                    "every tag the organisation requires is present",
                    "add the tag to the spec's `tags { }` block or to the default tags in `idp.kdl`",
                ),
                RuleInfo::new(
                    "aws-tag-rules",
                    Severity::Deny,
                    "tags obey AWS's rules",
                    "keys at most 128 and values at most 256 characters, letters, digits, spaces and `_ . : / = + - @` only, no `aws:` prefix, at most 50 tags",
                ),
            ],
            settings_schema: json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "required": {
                        "type": "array", "items": {"type": "string", "minLength": 1},
                        "description": "tag keys every environment must carry (default: `cost-center`)"
                    },
                    "owner-domains": {
                        "type": "array", "items": {"type": "string", "minLength": 1},
                        "description": "e-mail domains owners must belong to; empty allows any"
                    }
                }
            }),
        }
    }

    fn evaluate(input: &PolicyInput, settings: &Settings) -> Vec<Finding> {
        let env = &input.env;
        let mut findings: Vec<Finding> = owner_problem(&env.owner, settings).into_iter().collect();
        if env.team.trim().is_empty() {
            findings.push(
                Finding::deny("team-present", "no team owns this environment")
                    .help("add `team NAME` to the environment"),
            );
        }
        for key in &settings.required {
            match env.tag(key) {
                None => findings.push(
                    Finding::deny("required-tag", format!("tag `{key}` is required"))
                        .at("/tags")
                        .help(format!("add it to the spec's `tags {{ {key} VALUE }}` or to the default tags in `idp.kdl`")),
                ),
                Some(v) if v.trim().is_empty() => findings.push(
                    Finding::deny("required-tag", format!("tag `{key}` is empty"))
                        .at(pointer(&["tags", key])),
                ),
                Some(_) => {}
            }
        }
        if env.tags.len() > 50 {
            findings.push(
                Finding::deny(
                    "aws-tag-rules",
                    format!(
                        "{} tags exceed AWS's limit of 50 per resource",
                        env.tags.len()
                    ),
                )
                .at("/tags"),
            );
        }
        for tag in &env.tags {
            for problem in aws_tag_problems(&tag.key, &tag.value) {
                findings
                    .push(Finding::deny("aws-tag-rules", problem).at(pointer(&["tags", &tag.key])));
            }
        }
        findings
    }
}

export_policy!(RequiredTags);

#[cfg(test)]
mod tests {
    use super::*;
    use idp_plugin_sdk::testing::{self, environment};

    fn judge(owner: &str, tags: &[(&str, &str)], settings: &Settings) -> Vec<Finding> {
        let env = tags
            .iter()
            .fold(environment().owner(owner), |env, (k, v)| env.tag(k, v));
        RequiredTags::evaluate(&env.input(), settings)
    }

    #[test]
    fn a_complete_environment_passes() {
        let f = judge(
            "alice@acme.io",
            &[("cost-center", "eng")],
            &Settings::default(),
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn owner_must_be_an_address() {
        let f = judge("alice", &[("cost-center", "eng")], &Settings::default());
        assert_eq!(testing::rules(&f), ["owner-is-email"]);
        assert_eq!(testing::pointers(&f), ["/owner"]);
    }

    #[test]
    fn missing_and_invalid_tags_are_named() {
        let f = judge(
            "a@b.io",
            &[("aws:x", "1"), ("bad#key", "v")],
            &Settings::default(),
        );
        assert_eq!(
            testing::rules(&f),
            ["required-tag", "aws-tag-rules", "aws-tag-rules"]
        );
        assert_eq!(f[2].pointer, "/tags/bad#key");
    }

    #[test]
    fn owner_domains_restrict() {
        let s: Settings = testing::settings(json!({"owner-domains": ["acme.io"]})).expect("valid");
        let f = judge("a@evil.io", &[("cost-center", "x")], &s);
        assert_eq!(testing::rules(&f), ["owner-domain"]);
    }

    #[test]
    fn a_spec_without_a_team_is_denied() {
        let input = environment().team("").tag("cost-center", "eng").input();
        let f = RequiredTags::evaluate(&input, &Settings::default());
        assert_eq!(testing::rules(&f), ["team-present"]);
    }
}
