//! Short unit tests for plugins: one way to build the environment the host would hand
//! over, the policy input around it, settings read the way the glue reads them, and
//! findings reduced to what a test asserts.
//!
//! Only in native builds: `cargo test` runs plugin logic without WebAssembly.
//!
//! ```
//! use idp_plugin_sdk::serde_json::json;
//! use idp_plugin_sdk::testing::{self, environment};
//! use idp_plugin_sdk::{Class, Finding, Policy, PolicyInfo, PolicyInput};
//!
//! #[derive(Default, serde::Deserialize)]
//! struct Settings {}
//!
//! struct NoProduction;
//! impl Policy for NoProduction {
//!     type Settings = Settings;
//!     fn info() -> PolicyInfo { unimplemented!() }
//!     fn evaluate(input: &PolicyInput, _: &Settings) -> Vec<Finding> {
//!         match input.env.class {
//!             Class::Production => vec![Finding::deny("no-production", "not here").at("/class")],
//!             _ => Vec::new(),
//!         }
//!     }
//! }
//!
//! let prod = environment().class(Class::Production).input();
//! let found = testing::evaluate::<NoProduction>(&prod, json!({}));
//! assert_eq!(testing::rules(&found), ["no-production"]);
//! assert_eq!(testing::pointers(&found), ["/class"]);
//! assert!(NoProduction::evaluate(&environment().input(), &Settings {}).is_empty());
//! ```

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{Class, Environment, Finding, Policy, PolicyInput, Schedule, Tag, Ttl, Weekday};

/// The defaults' creation time; with the default TTLs it gives fixed expiry times.
const CREATED_AT: &str = "2026-11-23T10:00:00Z";

/// An environment to build: `environment().class(Class::Staging).ttl("3d").build()`.
///
/// Unless set, it is `orders-<class>` from template `api-service` 0.1.0, owned by
/// `alice@acme.io` of team `payments`, in `us-east-1`, created at
/// `2026-11-23T10:00:00Z`, with its class's default TTL (preview `7d`, staging `30d`,
/// production `never`), no inputs (`{}`), and the `idp:*` tags the host derives from
/// these fields, beside any added with [`tag`](Self::tag).
#[derive(Debug, Clone)]
#[must_use = "call `build()` or `input()` to get the environment"]
pub struct EnvironmentBuilder {
    name: Option<String>,
    template: String,
    template_version: String,
    owner: String,
    team: String,
    class: Class,
    region: String,
    ttl: Option<Ttl>,
    created_at: String,
    tags: Vec<Tag>,
    inputs: Value,
    schedule: Option<Schedule>,
}

/// A preview environment with the defaults [`EnvironmentBuilder`] lists.
pub fn environment() -> EnvironmentBuilder {
    EnvironmentBuilder {
        name: None,
        template: "api-service".into(),
        template_version: "0.1.0".into(),
        owner: "alice@acme.io".into(),
        team: "payments".into(),
        class: Class::Preview,
        region: "us-east-1".into(),
        ttl: None,
        created_at: CREATED_AT.into(),
        tags: Vec::new(),
        inputs: Value::Object(Default::default()),
        schedule: None,
    }
}

impl EnvironmentBuilder {
    /// The environment's name (default `orders-<class>`).
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The template's name (default `api-service`).
    pub fn template(mut self, name: &str) -> Self {
        self.template = name.into();
        self
    }

    /// The template's version (default `0.1.0`).
    pub fn template_version(mut self, version: &str) -> Self {
        self.template_version = version.into();
        self
    }

    /// The lifetime class (default preview).
    pub fn class(mut self, class: Class) -> Self {
        self.class = class;
        self
    }

    /// The AWS region (default `us-east-1`).
    pub fn region(mut self, region: &str) -> Self {
        self.region = region.into();
        self
    }

    /// The owner (default `alice@acme.io`).
    pub fn owner(mut self, owner: &str) -> Self {
        self.owner = owner.into();
        self
    }

    /// The team (default `payments`; `""` for a spec that names none).
    pub fn team(mut self, team: &str) -> Self {
        self.team = team.into();
        self
    }

    /// The TTL as a spec writes it: `"90m"`, `"7d"`, `"never"`.
    ///
    /// # Panics
    ///
    /// When `ttl` is not a duration: a test's typo should stop the test.
    pub fn ttl(mut self, ttl: &str) -> Self {
        match ttl.parse() {
            Ok(ttl) => self.ttl = Some(ttl),
            Err(e) => panic!("testing::environment().ttl: {e}"),
        }
        self
    }

    /// The creation time, RFC 3339 in UTC (`2026-11-23T10:00:00Z`).
    pub fn created_at(mut self, at: &str) -> Self {
        self.created_at = at.into();
        self
    }

    /// Adds a tag, or replaces the value of one with the same key (an `idp:*` tag too).
    pub fn tag(mut self, key: &str, value: &str) -> Self {
        self.tags.retain(|t| t.key != key);
        self.tags.push(Tag {
            key: key.into(),
            value: value.into(),
        });
        self
    }

    /// The template inputs, as the spec's body would give them:
    /// `.inputs(json!({"service": {"cpu": 512}}))`.
    pub fn inputs(mut self, inputs: Value) -> Self {
        self.inputs = inputs;
        self
    }

    /// Runs on weekdays (Monday to Friday) from `start` to `stop` (`"08:00"`, `"20:00"`)
    /// in `timezone`, as `schedule { weekdays "08:00-20:00"; timezone "…" }` says.
    ///
    /// # Panics
    ///
    /// When a time is not `HH:MM` or `stop` is not after `start`: a test's typo.
    pub fn weekdays(mut self, start: &str, stop: &str, timezone: &str) -> Self {
        let minutes = |t: &str| -> u32 {
            let parsed = t
                .split_once(':')
                .and_then(|(h, m)| Some(h.parse::<u32>().ok()? * 60 + m.parse::<u32>().ok()?));
            parsed.unwrap_or_else(|| panic!("testing::environment().weekdays: `{t}` is not HH:MM"))
        };
        let hours = f64::from(minutes(stop).saturating_sub(minutes(start))) / 60.0;
        assert!(
            hours > 0.0,
            "testing::environment().weekdays: `{stop}` is not after `{start}`"
        );
        self.schedule = Some(Schedule {
            days: vec![
                Weekday::Monday,
                Weekday::Tuesday,
                Weekday::Wednesday,
                Weekday::Thursday,
                Weekday::Friday,
            ],
            start: start.into(),
            stop: stop.into(),
            timezone: timezone.into(),
            hours_per_week: hours * 5.0,
        });
        self
    }

    /// The environment, as the host would resolve it.
    ///
    /// # Panics
    ///
    /// When the creation time is not `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn build(self) -> Environment {
        let ttl = self.ttl.unwrap_or(match self.class {
            Class::Preview => Ttl::Seconds(7 * 86_400),
            Class::Staging => Ttl::Seconds(30 * 86_400),
            Class::Production => Ttl::Never,
        });
        let name = self
            .name
            .unwrap_or_else(|| format!("orders-{}", self.class));
        let expires_at = ttl.seconds().map(|s| later(&self.created_at, s));
        let mut tags = vec![
            tag("idp:managed", "true"),
            tag("idp:environment", &name),
            tag("idp:template", &self.template),
            tag("idp:owner", &self.owner),
            tag("idp:class", self.class.as_str()),
            tag("idp:created-at", &self.created_at),
            tag("idp:ttl", &ttl.to_string()),
        ];
        if !self.team.is_empty() {
            tags.push(tag("idp:team", &self.team));
        }
        if let Some(at) = &expires_at {
            tags.push(tag("idp:expires-at", at));
        }
        tags.retain(|t| !self.tags.iter().any(|own| own.key == t.key));
        tags.extend(self.tags);
        tags.sort();
        Environment {
            name,
            template: self.template,
            template_version: self.template_version,
            owner: self.owner,
            team: self.team,
            class: self.class,
            region: self.region,
            ttl_seconds: ttl.seconds(),
            created_at: self.created_at,
            expires_at,
            tags,
            inputs: self.inputs.to_string(),
            schedule: self.schedule,
        }
    }

    /// A policy's input: the environment alone, without module calls or a cost estimate
    /// (add them with [`PolicyInput::with_calls`] and [`PolicyInput::with_cost`]).
    pub fn input(self) -> PolicyInput {
        PolicyInput::from(self.build())
    }
}

impl From<EnvironmentBuilder> for Environment {
    fn from(builder: EnvironmentBuilder) -> Self {
        builder.build()
    }
}

fn tag(key: &str, value: &str) -> Tag {
    Tag {
        key: key.into(),
        value: value.into(),
    }
}

/// Reads settings from JSON exactly as the exported plugin does (the host hands them over
/// as this object's text): the settings, or the `invalid-settings` finding the plugin
/// would report instead of judging.
pub fn settings<S: DeserializeOwned + Default>(settings: Value) -> Result<S, Finding> {
    crate::policy::parse_settings(&settings.to_string())
}

/// Runs policy `P` as the host does: its settings read from `settings` (`json!({})` for
/// none) and the environment judged, so an invalid setting shows as its finding; the
/// parts of the input `P` does not declare in [`Policy::READS`] are left empty, as the
/// host leaves them, and an environment of a class outside [`Policy::APPLIES_TO`] gets
/// no finding, as the host does not call the policy for it.
pub fn evaluate<P: Policy>(input: &PolicyInput, settings: Value) -> Vec<Finding> {
    if !P::APPLIES_TO.contains(&input.env.class) {
        return Vec::new();
    }
    crate::policy::run::<P>(&input.read_by(P::READS), &settings.to_string())
}

/// The findings' rule ids, in order: `assert_eq!(rules(&found), ["ttl-never"])`.
pub fn rules(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.rule.as_str()).collect()
}

/// The findings' JSON pointers, in order.
pub fn pointers(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.pointer.as_str()).collect()
}

/// The findings' messages, in order.
pub fn messages(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.message.as_str()).collect()
}

/// `at` (`YYYY-MM-DDTHH:MM:SSZ`) plus `seconds`, in the same form.
fn later(at: &str, seconds: u64) -> String {
    let Some(start) = unix_seconds(at) else {
        panic!("testing::environment().created_at: `{at}` is not YYYY-MM-DDTHH:MM:SSZ");
    };
    let t = start.saturating_add(i64::try_from(seconds).unwrap_or(i64::MAX));
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

fn unix_seconds(at: &str) -> Option<i64> {
    let b = at.as_bytes();
    let shape = b.len() == 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z';
    if !shape {
        return None;
    }
    let num = |r: std::ops::Range<usize>| at.get(r)?.parse::<i64>().ok();
    let days = days_from_civil(num(0..4)?, num(5..7)?, num(8..10)?);
    Some(days * 86_400 + num(11..13)? * 3600 + num(14..16)? * 60 + num(17..19)?)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01; the inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_are_what_the_host_would_hand_over() {
        let env = environment().build();
        assert_eq!(env.name, "orders-preview");
        assert_eq!(env.ttl_seconds, Some(7 * 86_400));
        assert_eq!(env.expires_at.as_deref(), Some("2026-11-30T10:00:00Z"));
        assert_eq!(env.inputs, "{}");
        assert_eq!(env.tag("idp:owner"), Some("alice@acme.io"));
        assert_eq!(env.tag("idp:ttl"), Some("7d"));
        let keys: Vec<&str> = env.tags.iter().map(|t| t.key.as_str()).collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        assert_eq!(keys, sorted, "tags come sorted by key, as from the host");
    }

    #[test]
    fn the_class_sets_name_and_ttl_unless_given() {
        let prod = environment().class(Class::Production).build();
        assert_eq!(prod.name, "orders-production");
        assert_eq!(prod.ttl_seconds, None);
        assert_eq!(prod.expires_at, None);
        assert_eq!(prod.tag("idp:expires-at"), None);
        let staging = environment()
            .class(Class::Staging)
            .name("x")
            .ttl("36h")
            .build();
        assert_eq!(staging.name, "x");
        assert_eq!(staging.ttl_seconds, Some(129_600));
        assert_eq!(staging.expires_at.as_deref(), Some("2026-11-24T22:00:00Z"));
    }

    #[test]
    fn expiry_crosses_months_years_and_leap_days() {
        let at = |created: &str, ttl: &str| {
            environment()
                .created_at(created)
                .ttl(ttl)
                .build()
                .expires_at
                .expect("expires")
        };
        assert_eq!(at("2026-12-28T23:30:00Z", "1w"), "2027-01-04T23:30:00Z");
        assert_eq!(at("2028-02-28T12:00:00Z", "1d"), "2028-02-29T12:00:00Z");
        assert_eq!(at("2027-02-28T12:00:00Z", "1d"), "2027-03-01T12:00:00Z");
        assert_eq!(at("1999-12-31T23:59:00Z", "1m"), "2000-01-01T00:00:00Z");
    }

    #[test]
    fn tags_are_added_or_replaced_and_stay_sorted() {
        let env = environment()
            .tag("cost-center", "eng")
            .tag("cost-center", "ops")
            .tag("idp:owner", "bob@acme.io")
            .build();
        assert_eq!(env.tag("cost-center"), Some("ops"));
        assert_eq!(env.tag("idp:owner"), Some("bob@acme.io"));
        assert_eq!(env.tags.iter().filter(|t| t.key == "idp:owner").count(), 1);
        assert_eq!(env.tags[0].key, "cost-center");
        let teamless = environment().team("").build();
        assert_eq!(teamless.tag("idp:team"), None);
    }

    #[test]
    #[should_panic(expected = "`7x` is not a duration")]
    fn a_ttl_typo_stops_the_test() {
        let _ = environment().ttl("7x");
    }

    #[derive(Debug, Default, PartialEq, serde::Deserialize)]
    #[serde(default, deny_unknown_fields)]
    struct Limits {
        max: Option<Ttl>,
    }

    #[test]
    fn settings_read_as_the_glue_reads_them() {
        let s: Limits = settings(json!({"max": "2w"})).expect("valid");
        assert_eq!(s.max, Some(Ttl::Seconds(1_209_600)));
        assert_eq!(settings::<Limits>(json!({})), Ok(Limits::default()));
        let bad = settings::<Limits>(json!({"max": "0d"})).expect_err("zero");
        assert_eq!(bad.rule, "invalid-settings");
        assert_eq!(
            bad.message,
            "settings do not match the policy: `0d` is not a duration at line 1 column 11"
        );
        let unknown = settings::<Limits>(json!({"min": "1d"})).expect_err("unknown");
        assert!(
            unknown.message.contains("unknown field `min`"),
            "{unknown:?}"
        );
    }

    struct Longest;
    impl Policy for Longest {
        type Settings = Limits;
        fn info() -> crate::PolicyInfo {
            unimplemented!("not needed to judge")
        }
        fn evaluate(input: &PolicyInput, s: &Limits) -> Vec<Finding> {
            match s.max {
                Some(max) if input.env.ttl() > max => {
                    vec![Finding::deny("too-long", format!("above `{max}`")).at("/ttl")]
                }
                _ => Vec::new(),
            }
        }
    }

    #[test]
    fn evaluate_judges_with_settings_or_reports_them() {
        let input = environment().ttl("3w").input();
        let found = evaluate::<Longest>(&input, json!({"max": "2w"}));
        assert_eq!(rules(&found), ["too-long"]);
        assert_eq!(pointers(&found), ["/ttl"]);
        assert_eq!(messages(&found), ["above `14d`"]);
        assert!(evaluate::<Longest>(&input, json!({})).is_empty());
        let bad = evaluate::<Longest>(&input, json!({"max": 14}));
        assert_eq!(rules(&bad), ["invalid-settings"]);
    }

    /// Counts what it was given: tags, whether inputs arrived, calls.
    struct Counting;
    impl Policy for Counting {
        type Settings = Limits;
        const READS: crate::Reads = crate::Reads::TAGS;
        fn info() -> crate::PolicyInfo {
            unimplemented!("not needed to judge")
        }
        fn evaluate(input: &PolicyInput, _: &Limits) -> Vec<Finding> {
            let seen = format!(
                "{} tags, inputs {}, {} calls, cost {}",
                input.env.tags.len(),
                input.env.inputs,
                input.calls().len(),
                input.cost.is_some()
            );
            vec![Finding::info("seen", seen)]
        }
    }

    struct ProductionOnly;
    impl Policy for ProductionOnly {
        type Settings = Limits;
        const APPLIES_TO: &'static [Class] = &[Class::Production];
        fn info() -> crate::PolicyInfo {
            unimplemented!("not needed to judge")
        }
        fn evaluate(_: &PolicyInput, _: &Limits) -> Vec<Finding> {
            vec![Finding::deny("called", "judged")]
        }
    }

    #[test]
    fn evaluate_skips_the_classes_a_policy_does_not_judge() {
        let judged =
            |class| evaluate::<ProductionOnly>(&environment().class(class).input(), json!({}));
        assert_eq!(rules(&judged(Class::Production)), ["called"]);
        assert!(judged(Class::Preview).is_empty());
        assert!(judged(Class::Staging).is_empty());
    }

    #[test]
    fn evaluate_leaves_out_the_parts_a_policy_does_not_declare() {
        let input = environment()
            .inputs(json!({"cpu": 256}))
            .input()
            .with_calls(vec![crate::ModuleCall::new("db", "rds-postgres")])
            .with_cost(crate::CostEstimate::usd(1.0, None));
        let found = evaluate::<Counting>(&input, json!({}));
        assert_eq!(messages(&found), ["9 tags, inputs {}, 0 calls, cost true"]);
        let all = Counting::evaluate(&input, &Limits::default());
        assert_eq!(
            messages(&all),
            ["9 tags, inputs {\"cpu\":256}, 1 calls, cost true"]
        );
    }

    #[test]
    fn a_policy_input_carries_calls_and_cost() {
        let input = environment()
            .input()
            .with_calls(vec![crate::ModuleCall::new("db", "rds-postgres")])
            .with_cost(crate::CostEstimate::usd(120.0, Some(28.0)));
        assert_eq!(input.calls()[0].module, "rds-postgres");
        assert_eq!(
            input.cost.as_ref().map(|c| c.currency.as_str()),
            Some("USD")
        );
    }
}
