//! Derive: everything idp computes about an environment rather than reads: the tag set
//! every resource carries, creation and expiry times, and the class's default TTL.
//!
//! `created-at` comes from state when the environment was recorded before, so
//! re-applying an unchanged spec gives the same tags and the same plan digest.
#![deny(missing_docs)]

use idp_model::{Environment, Tag, Ttl};
use idp_spec::{EnvSpec, Problem, Problems, SourceFile};
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

/// AWS's limits on tags (docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html,
/// read 2026-11-23).
pub const MAX_TAGS: usize = 50;
/// Longest tag key.
pub const MAX_KEY: usize = 128;
/// Longest tag value.
pub const MAX_VALUE: usize = 256;

/// What derive needs besides the spec.
pub struct DeriveInput<'a> {
    /// The parsed environment.
    pub spec: &'a EnvSpec,
    /// Its file, for errors.
    pub source: &'a SourceFile,
    /// Resolved template version.
    pub template_version: &'a str,
    /// Validated inputs.
    pub inputs: Value,
    /// The organisation's default tags.
    pub default_tags: &'a [(String, String)],
    /// Creation time recorded in state, if the environment exists.
    pub recorded_created_at: Option<Timestamp>,
    /// The extension `idp extend` recorded, if any: the environment lives at least until
    /// then.
    pub recorded_expires_at: Option<Timestamp>,
    /// Now.
    pub now: Timestamp,
}

/// Why a tag breaks AWS's rules, if it does.
pub fn tag_problem(key: &str, value: &str) -> Option<String> {
    let allowed = |c: char| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c);
    if key.is_empty() {
        Some("tag key is empty".into())
    } else if key.chars().count() > MAX_KEY {
        Some(format!(
            "tag key `{key}` is longer than {MAX_KEY} characters"
        ))
    } else if value.chars().count() > MAX_VALUE {
        Some(format!(
            "value of tag `{key}` is longer than {MAX_VALUE} characters"
        ))
    } else if key.to_ascii_lowercase().starts_with("aws:") {
        Some(format!(
            "tag key `{key}` uses the `aws:` prefix, which AWS reserves"
        ))
    } else if let Some(c) = key.chars().find(|c| !allowed(*c)) {
        Some(format!(
            "tag key `{key}` contains `{c}`, which AWS does not allow"
        ))
    } else {
        value
            .chars()
            .find(|c| !allowed(*c))
            .map(|c| format!("value of tag `{key}` contains `{c}`, which AWS does not allow"))
    }
}

/// Derives the environment, or every problem with its tags.
pub fn derive(input: DeriveInput<'_>) -> Result<Environment, Problems> {
    let spec = input.spec;
    let mut problems = Problems::default();
    let created_at = input.recorded_created_at.unwrap_or(input.now);
    let ttl = effective_ttl(&input, created_at);
    let expires_at = expiry(&input, created_at, ttl, &mut problems);

    let mut set = TagSet::default();
    written_tags(&input, &mut set, &mut problems);
    set.set("idp:managed", "true".into());
    set.set("idp:environment", spec.name.value.clone());
    set.set("idp:template", spec.template.value.clone());
    set.set("idp:owner", spec.owner.value.clone());
    if let Some(team) = &spec.team {
        set.set("idp:team", team.value.clone());
    }
    set.set("idp:class", spec.class.value.to_string());
    set.set("idp:created-at", created_at.to_string());
    set.set("idp:ttl", ttl.to_string());
    if let Some(e) = expires_at {
        set.set("idp:expires-at", e.to_string());
    }
    let mut tags = set.tags;
    check_tag_set(&input, &tags, &mut problems);
    problems.into_result()?;
    tags.sort();
    Ok(Environment {
        name: spec.name.value.clone(),
        template: spec.template.value.clone(),
        template_version: input.template_version.to_owned(),
        owner: spec.owner.value.clone(),
        team: spec
            .team
            .as_ref()
            .map(|t| t.value.clone())
            .unwrap_or_default(),
        class: spec.class.value,
        region: spec.region.value.clone(),
        ttl,
        created_at,
        expires_at,
        tags,
        inputs: input.inputs,
        schedule: spec.schedule.as_ref().map(|s| s.value.clone()),
    })
}

/// The TTL as written, or the class's default. An extension recorded by `idp extend`
/// outlives re-applies of the unchanged spec; it counts as the TTL, so the policies judge
/// the whole lifetime every time.
fn effective_ttl(input: &DeriveInput<'_>, created_at: Timestamp) -> Ttl {
    let spec = input.spec;
    let mut ttl = spec
        .ttl
        .as_ref()
        .map_or(spec.class.value.default_ttl(), |t| t.value);
    if let (Ttl::Seconds(s), Some(extended)) = (ttl, input.recorded_expires_at) {
        let lifetime = extended.as_second() - created_at.as_second();
        if u64::try_from(lifetime).is_ok_and(|l| l > s) {
            ttl = Ttl::Seconds(lifetime.unsigned_abs());
        }
    }
    ttl
}

/// When the environment expires, or a problem at the TTL when that is past the year 9999.
fn expiry(
    input: &DeriveInput<'_>,
    created_at: Timestamp,
    ttl: Ttl,
    problems: &mut Problems,
) -> Option<Timestamp> {
    let spec = input.spec;
    match ttl {
        Ttl::Never => None,
        Ttl::Seconds(s) => {
            let secs = i64::try_from(s).unwrap_or(i64::MAX);
            match created_at.checked_add(SignedDuration::from_secs(secs)) {
                Ok(t) => Some(t),
                Err(_) => {
                    let span = spec.ttl.as_ref().map_or(spec.name.span, |t| t.span);
                    problems.push(
                        Problem::error(
                            input.source,
                            span,
                            "idp::derive::ttl_overflow",
                            "this TTL ends after the year 9999",
                        )
                        .help("use a shorter TTL, or `never`"),
                    );
                    None
                }
            }
        }
    }
}

/// Tags in the order first set; setting a key again replaces its value. An index by key
/// keeps this linear in the number of tags a spec writes.
#[derive(Default)]
struct TagSet {
    tags: Vec<Tag>,
    index: std::collections::HashMap<String, usize>,
}

impl TagSet {
    fn set(&mut self, key: &str, value: String) {
        match self.index.get(key) {
            Some(&i) => self.tags[i].value = value,
            None => {
                self.index.insert(key.to_owned(), self.tags.len());
                self.tags.push(Tag {
                    key: key.to_owned(),
                    value,
                });
            }
        }
    }
}

/// The organisation's default tags, then the spec's, each refused when it takes an
/// `idp:` key or is not a valid AWS tag.
fn written_tags(input: &DeriveInput<'_>, set: &mut TagSet, problems: &mut Problems) {
    for (k, v) in input.default_tags {
        set.set(k, v.clone());
    }
    for (key, value) in &input.spec.tags {
        if key.value.starts_with("idp:") {
            problems.push(
                Problem::error(
                    input.source,
                    key.span,
                    "idp::derive::reserved_tag",
                    format!("tag `{}` is set by idp", key.value),
                )
                .help("tags starting with `idp:` are derived from the spec; choose another key"),
            );
            continue;
        }
        if let Some(why) = tag_problem(&key.value, &value.value) {
            problems.push(Problem::error(input.source, key.span, "idp::derive::invalid_tag", why).help("AWS tags allow letters, digits, spaces and `_ . : / = + - @`; keys up to 128 and values up to 256 characters"));
            continue;
        }
        set.set(&key.value, value.value.clone());
    }
}

/// The whole set against AWS's rules: the derived and default tags must be valid too,
/// and there may be no more than [`MAX_TAGS`].
fn check_tag_set(input: &DeriveInput<'_>, tags: &[Tag], problems: &mut Problems) {
    let span = input.spec.name.span;
    for tag in tags {
        if let Some(why) = tag_problem(&tag.key, &tag.value) {
            problems.push(Problem::error(
                input.source,
                span,
                "idp::derive::invalid_tag",
                why,
            ));
        }
    }
    if tags.len() > MAX_TAGS {
        problems.push(Problem::error(
            input.source,
            span,
            "idp::derive::too_many_tags",
            format!("{} tags exceed AWS's limit of {MAX_TAGS}", tags.len()),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use idp_spec::SpecFile;

    fn spec(body: &str) -> SpecFile {
        let text = format!(
            "environment e {{\n template t\n owner \"a@b.io\"\n team pay\n region us-east-1\n{body}}}\n"
        );
        SpecFile::parse(SourceFile::new("env.kdl", text)).expect("valid spec")
    }

    fn run(file: &SpecFile, recorded: Option<Timestamp>) -> Result<Environment, Problems> {
        run_extended(file, recorded, None)
    }

    fn run_extended(
        file: &SpecFile,
        recorded: Option<Timestamp>,
        extended: Option<Timestamp>,
    ) -> Result<Environment, Problems> {
        derive(DeriveInput {
            spec: &file.environments[0],
            source: &file.source,
            template_version: "0.1.0",
            inputs: Value::Null,
            default_tags: &[("cost-center".into(), "org".into())],
            recorded_created_at: recorded,
            recorded_expires_at: extended,
            now: "2026-11-23T10:00:00Z".parse().expect("timestamp"),
        })
    }

    #[test]
    fn preview_defaults_to_seven_days() {
        let env = run(&spec(""), None).expect("derives");
        assert_eq!(env.ttl, Ttl::Seconds(7 * 86_400));
        assert_eq!(
            env.expires_at.map(|t| t.to_string()).as_deref(),
            Some("2026-11-30T10:00:00Z")
        );
        let keys: Vec<_> = env.tags.iter().map(|t| t.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "cost-center",
                "idp:class",
                "idp:created-at",
                "idp:environment",
                "idp:expires-at",
                "idp:managed",
                "idp:owner",
                "idp:team",
                "idp:template",
                "idp:ttl"
            ]
        );
    }

    #[test]
    fn created_at_comes_from_state() {
        let earlier: Timestamp = "2026-11-20T08:00:00Z".parse().expect("timestamp");
        let env = run(&spec(" ttl \"36h\"\n"), Some(earlier)).expect("derives");
        assert_eq!(env.created_at, earlier);
        assert_eq!(
            env.expires_at.map(|t| t.to_string()).as_deref(),
            Some("2026-11-21T20:00:00Z")
        );
    }

    #[test]
    fn a_recorded_extension_outlives_the_spec_ttl_but_never_shortens_it() {
        let created: Timestamp = "2026-11-20T08:00:00Z".parse().expect("timestamp");
        let at = |s: &str| s.parse::<Timestamp>().expect("timestamp");
        let env = run_extended(
            &spec(" ttl \"1d\"\n"),
            Some(created),
            Some(at("2026-11-24T08:00:00Z")),
        )
        .expect("derives");
        assert_eq!(
            env.ttl,
            Ttl::Seconds(4 * 86_400),
            "judged as the whole lifetime"
        );
        assert_eq!(env.expires_at, Some(at("2026-11-24T08:00:00Z")));
        let env = run_extended(
            &spec(" ttl \"7d\"\n"),
            Some(created),
            Some(at("2026-11-24T08:00:00Z")),
        )
        .expect("derives");
        assert_eq!(
            env.expires_at,
            Some(at("2026-11-27T08:00:00Z")),
            "a longer spec TTL wins"
        );
    }

    #[test]
    fn spec_tags_override_defaults_and_follow_aws_rules() {
        let env = run(&spec(" tags { cost-center \"spec\" }\n"), None).expect("derives");
        assert_eq!(env.tags[0].value, "spec");
        let err =
            run(&spec(" tags { \"aws:x\" 1\n idp:owner x\n }\n"), None).expect_err("invalid tags");
        let codes: Vec<_> = err.0.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(
            codes,
            ["idp::derive::invalid_tag", "idp::derive::reserved_tag"]
        );
    }

    #[test]
    fn never_has_no_expiry() {
        let env = run(&spec(" class production\n ttl never\n"), None).expect("derives");
        assert_eq!(env.expires_at, None);
        assert!(env.tags.iter().all(|t| t.key != "idp:expires-at"));
    }
}
