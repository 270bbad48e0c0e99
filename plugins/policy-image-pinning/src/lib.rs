//! The `image-pinning` policy: every container image names exactly what runs, by digest
//! or by an immutable tag (a version or a commit), never `latest` or a branch name.
//!
//! An environment re-applied next week must run the same code it was reviewed with;
//! a moving tag silently breaks that promise.

use idp_plugin_sdk::serde_json::{Value, json};
use idp_plugin_sdk::{
    Class, Finding, Policy, PolicyInfo, PolicyInput, Reads, RuleInfo, Severity, export_policy,
};
use serde::Deserialize;

/// Settings from `policy image-pinning { … }` in `idp.kdl`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", default, deny_unknown_fields)]
pub struct Settings {
    /// Classes whose images must carry a digest (`@sha256:…`).
    pub require_digest: Vec<Class>,
    /// When non-empty, images must come from one of these registries (`ghcr.io/acme`).
    pub registries: Vec<String>,
}

/// An image reference split into what the rules look at.
#[derive(Debug, PartialEq, Eq)]
pub struct ImageRef<'a> {
    /// Everything before the tag and digest (`ghcr.io/acme/orders`).
    pub repository: &'a str,
    /// The tag, if any.
    pub tag: Option<&'a str>,
    /// The digest, if any (`sha256:…`).
    pub digest: Option<&'a str>,
}

/// Splits `registry/path:tag@digest`; the tag is a colon in the last path segment, so a
/// registry port (`host:5000/app`) is not mistaken for one.
pub fn parse_image(image: &str) -> ImageRef<'_> {
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    let last = name.rfind('/').map_or(0, |i| i + 1);
    match name[last..].rfind(':') {
        Some(i) => ImageRef {
            repository: &name[..last + i],
            tag: Some(&name[last + i + 1..]),
            digest,
        },
        None => ImageRef {
            repository: name,
            tag: None,
            digest,
        },
    }
}

/// A tag that names one build: a version (`1.4.2`, `v2.0`, `1.4.2-rc.1`) or a commit
/// (7 to 64 hex digits, alone or after a hyphen: `main-3f9c2ab`).
pub fn immutable_tag(tag: &str) -> bool {
    let hex = |s: &str| (7..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit());
    let version = tag.strip_prefix('v').unwrap_or(tag);
    let core = version.split(['-', '+']).next().unwrap_or_default();
    let semver = !core.is_empty()
        && core.contains('.')
        && core
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    semver || hex(tag) || tag.rsplit_once('-').is_some_and(|(_, h)| hex(h))
}

/// The findings about one image reference at `at`.
fn judge_image(
    image: &str,
    at: &str,
    class: Class,
    settings: &Settings,
    findings: &mut Vec<Finding>,
) {
    let r = parse_image(image);
    if !settings.registries.is_empty()
        && !settings.registries.iter().any(|reg| {
            r.repository
                .starts_with(&format!("{}/", reg.trim_end_matches('/')))
        })
    {
        findings.push(
            Finding::deny(
                "registry-not-allowed",
                format!("image `{image}` is not from an allowed registry"),
            )
            .at(at)
            .help(format!(
                "push it to one of {}",
                settings.registries.join(", ")
            )),
        );
    }
    if r.digest.is_none() && settings.require_digest.contains(&class) {
        findings.push(
            Finding::deny(
                "image-digest-required",
                format!("{class} images must be pinned by digest: `{image}` has none"),
            )
            .at(at)
            .help(format!(
                "append the digest: `{}@sha256:…` (`docker buildx imagetools inspect` shows it)",
                image
            )),
        );
        return;
    }
    match (r.tag, r.digest) {
        (_, Some(_)) => {}
        (None | Some("latest"), None) => findings.push(
            Finding::deny(
                "image-latest",
                format!("image `{image}` follows `latest`, so what runs changes under you"),
            )
            .at(at)
            .help(format!(
                "name a version or a digest: `{}:1.4.2`",
                r.repository
            )),
        ),
        (Some(tag), None) if !immutable_tag(tag) => findings.push(
            Finding::warn(
                "image-mutable-tag",
                format!("tag `{tag}` of `{}` looks like it moves", r.repository),
            )
            .at(at)
            .help("use a version (`1.4.2`), a commit (`3f9c2ab`) or a digest (`@sha256:…`)"),
        ),
        _ => {}
    }
}

/// The plugin type.
pub struct ImagePinning;

impl Policy for ImagePinning {
    type Settings = Settings;
    const READS: Reads = Reads::INPUTS;

    fn info() -> PolicyInfo {
        PolicyInfo {
            name: "image-pinning".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            summary: "container images are pinned by version, commit or digest".into(),
            rules: vec![
                RuleInfo::new(
                    "image-latest",
                    Severity::Deny,
                    "no image follows `latest` (or no tag at all)",
                    "`latest` changes with every push: two applies of the same spec would run different code",
                ),
                RuleInfo::new(
                    "image-mutable-tag",
                    Severity::Warn,
                    "image tags name one build: a version or a commit",
                    "branch-like tags (`main`, `stable`) move; tag builds with their version or commit",
                ),
                RuleInfo::new(
                    "image-digest-required",
                    Severity::Deny,
                    "images of the listed classes carry a digest",
                    "a digest (`@sha256:…`) is the only reference a registry cannot move",
                ),
                RuleInfo::new(
                    "registry-not-allowed",
                    Severity::Deny,
                    "images come from the organisation's registries",
                    "only registries the organisation scans and controls may supply running code",
                ),
            ],
            settings_schema: json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "require-digest": {"type": "array", "items": {"enum": ["preview", "staging", "production"]}, "description": "classes whose images must carry a digest (default: none)"},
                    "registries": {"type": "array", "items": {"type": "string"}, "description": "registries images must come from, such as `ghcr.io/acme` (default: any)"}
                }
            }),
        }
    }

    fn evaluate(input: &PolicyInput, settings: &Settings) -> Vec<Finding> {
        let mut findings = Vec::new();
        for (at, value) in input.env.input_fields("image") {
            if let Value::String(image) = value {
                judge_image(&image, &at, input.env.class, settings, &mut findings);
            }
        }
        findings
    }
}

export_policy!(ImagePinning);

#[cfg(test)]
mod tests {
    use super::*;
    use idp_plugin_sdk::testing::{self, environment};

    fn judge(image: &str, class: Class, settings: &Settings) -> Vec<Finding> {
        let input = environment()
            .class(class)
            .inputs(json!({"service": {"image": image}}))
            .input();
        ImagePinning::evaluate(&input, settings)
    }

    fn rules(image: &str, class: Class, settings: &Settings) -> Vec<String> {
        let found = judge(image, class, settings);
        testing::rules(&found)
            .into_iter()
            .map(String::from)
            .collect()
    }

    #[test]
    fn references_split_with_ports_and_digests() {
        let r = parse_image("registry.local:5000/team/app:1.2.3@sha256:ab");
        assert_eq!(r.repository, "registry.local:5000/team/app");
        assert_eq!(r.tag, Some("1.2.3"));
        assert_eq!(r.digest, Some("sha256:ab"));
        assert_eq!(parse_image("registry.local:5000/app").tag, None);
    }

    #[test]
    fn immutable_tags() {
        for t in ["1.4.2", "v2.0", "1.4.2-rc.1", "3f9c2ab", "main-3f9c2ab1"] {
            assert!(immutable_tag(t), "{t}");
        }
        for t in ["main", "stable", "v2", "dev-x", "1"] {
            assert!(!immutable_tag(t), "{t}");
        }
    }

    #[test]
    fn latest_is_denied_mutable_warned_pinned_passes() {
        let s = Settings::default();
        assert!(judge("ghcr.io/acme/orders:1.4.2", Class::Preview, &s).is_empty());
        assert!(judge("ghcr.io/acme/orders@sha256:00ff", Class::Preview, &s).is_empty());
        let f = judge("ghcr.io/acme/orders:latest", Class::Preview, &s);
        assert_eq!(testing::rules(&f), ["image-latest"]);
        assert_eq!(testing::pointers(&f), ["/service/image"]);
        assert_eq!(rules("nginx", Class::Preview, &s), ["image-latest"]);
        assert_eq!(
            rules("ghcr.io/acme/orders:main", Class::Preview, &s),
            ["image-mutable-tag"]
        );
    }

    #[test]
    fn digest_and_registry_rules_follow_settings() {
        let s: Settings = testing::settings(json!({
            "require-digest": ["production"],
            "registries": ["ghcr.io/acme"]
        }))
        .expect("valid settings");
        assert_eq!(
            rules("ghcr.io/acme/orders:1.4.2", Class::Production, &s),
            ["image-digest-required"]
        );
        assert!(judge("ghcr.io/acme/orders:1.4.2", Class::Staging, &s).is_empty());
        assert_eq!(
            rules("docker.io/evil/orders:1.4.2", Class::Staging, &s),
            ["registry-not-allowed"]
        );
    }
}
