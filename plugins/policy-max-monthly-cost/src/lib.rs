//! The `max-monthly-cost` policy: an environment's estimated monthly cost stays within
//! what its class may spend.
//!
//! It judges the host's estimate (bill of materials × price book) by its effective
//! monthly figure: after the organisation's discounts and rates, for the hours the
//! environment runs (its `schedule`). `judge "list"` judges the list-price figure instead.
//! A lower bound (an incomplete estimate the organisation accepts) is said to be one.
//! When the host gives no estimate, it says so with an `info` finding rather than
//! passing silently.

use idp_plugin_sdk::serde_json::json;
use idp_plugin_sdk::{
    Class, Finding, PerClass, Policy, PolicyInfo, PolicyInput, Reads, RuleInfo, Severity,
    export_policy, per_class_schema,
};
use serde::Deserialize;

/// Settings from `policy max-monthly-cost { … }` in `idp.kdl`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", default, deny_unknown_fields)]
pub struct Settings {
    /// Most an environment of each class may cost per month, in the estimate's currency.
    pub limit: PerClass<f64>,
    /// Which monthly figure is judged.
    pub judge: Figure,
}

/// The monthly figure of the estimate a limit is compared with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Figure {
    /// What the organisation pays: after its discounts and rates (the default).
    #[default]
    Effective,
    /// At the price book's list prices, before the organisation's rules.
    List,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            limit: PerClass {
                preview: Some(300.0),
                staging: Some(1500.0),
                production: None,
            },
            judge: Figure::Effective,
        }
    }
}

/// The plugin type.
pub struct MaxMonthlyCost;

impl Policy for MaxMonthlyCost {
    type Settings = Settings;
    const READS: Reads = Reads::FIELDS;

    fn info() -> PolicyInfo {
        PolicyInfo {
            name: "max-monthly-cost".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            summary: "the estimated monthly cost stays within the class's limit".into(),
            rules: vec![
                RuleInfo::new(
                    "monthly-cost-above-limit",
                    Severity::Deny,
                    "the monthly estimate is within the class limit",
                    "limits keep forgotten or oversized environments from surprising the bill; `idp cost` shows what each resource costs",
                ),
                RuleInfo::new(
                    "no-estimate",
                    Severity::Info,
                    "a cost estimate was available to check",
                    "without prices for the environment's region the limit cannot be checked",
                ),
            ],
            settings_schema: json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "limit": per_class_schema(
                        "most an environment may cost per month, per class (default: preview 300, staging 1500, production no limit)",
                        json!({"type": "number", "minimum": 0})
                    ),
                    "judge": {
                        "description": "the monthly figure judged: `effective` (after the organisation's discounts and rates, the default) or `list` (list prices)",
                        "enum": ["effective", "list"]
                    }
                }
            }),
        }
    }

    fn evaluate(input: &PolicyInput, settings: &Settings) -> Vec<Finding> {
        let env = &input.env;
        let cost = input.cost.as_ref();
        let Some(&limit) = settings.limit.get(env.class) else {
            return Vec::new();
        };
        let Some(cost) = cost else {
            return vec![
                Finding::info(
                    "no-estimate",
                    "no cost estimate was available, so the monthly limit was not checked",
                )
                .help("run `idp cost` on the spec; the estimate needs prices for its region"),
            ];
        };
        let (monthly, at) = match settings.judge {
            Figure::Effective => (cost.monthly, ""),
            Figure::List => (cost.list_monthly, " at list prices"),
        };
        if monthly <= limit {
            return Vec::new();
        }
        // A lower bound above the limit is above it all the more; say it is one.
        let bound = if cost.complete { "" } else { "at least " };
        let class = env.class.as_str();
        let lifetime = match cost.lifetime {
            Some(l) => format!(" ({:.2} {} over its TTL)", l, cost.currency),
            None => String::new(),
        };
        vec![
            Finding::deny(
                "monthly-cost-above-limit",
                format!(
                    "estimated {bound}{monthly:.2} {cur} a month{at}{lifetime} is above the {class} limit of {limit:.2} {cur}",
                    cur = cost.currency
                ),
            )
            .help(if env.class == Class::Production {
                "reduce sizes or counts, or ask the platform team to raise the limit".to_owned()
            } else {
                "reduce sizes or counts (`idp cost` shows each line), or waive it with a reason and an end date".to_owned()
            }),
        ]
    }
}

export_policy!(MaxMonthlyCost);

#[cfg(test)]
mod tests {
    use super::*;
    use idp_plugin_sdk::CostEstimate;
    use idp_plugin_sdk::testing::{self, environment};

    fn judge(class: Class, monthly: Option<f64>) -> Vec<Finding> {
        let mut input = environment().class(class).input();
        if let Some(m) = monthly {
            input = input.with_cost(CostEstimate::usd(m, Some(m / 4.0)));
        }
        MaxMonthlyCost::evaluate(&input, &Settings::default())
    }

    #[test]
    fn within_limit_passes_and_above_is_denied_with_both_figures() {
        assert!(judge(Class::Preview, Some(120.0)).is_empty());
        let f = judge(Class::Preview, Some(400.0));
        assert_eq!(testing::rules(&f), ["monthly-cost-above-limit"]);
        assert_eq!(
            f[0].message,
            "estimated 400.00 USD a month (100.00 USD over its TTL) is above the preview limit of 300.00 USD"
        );
    }

    #[test]
    fn without_an_estimate_it_says_so() {
        let f = judge(Class::Staging, None);
        assert_eq!(testing::rules(&f), ["no-estimate"]);
        assert_eq!(f[0].severity, Severity::Info);
    }

    #[test]
    fn the_effective_figure_is_judged_unless_the_settings_say_list() {
        let discounted = CostEstimate::usd(250.0, None).with_list(400.0);
        let input = environment().input().with_cost(discounted.clone());
        assert!(MaxMonthlyCost::evaluate(&input, &Settings::default()).is_empty());
        let f = testing::evaluate::<MaxMonthlyCost>(&input, json!({"judge": "list"}));
        assert_eq!(
            f[0].message,
            "estimated 400.00 USD a month at list prices is above the preview limit of 300.00 USD"
        );
        let lower = environment()
            .input()
            .with_cost(CostEstimate::usd(310.0, None).incomplete());
        let f = MaxMonthlyCost::evaluate(&lower, &Settings::default());
        assert_eq!(
            f[0].message,
            "estimated at least 310.00 USD a month is above the preview limit of 300.00 USD"
        );
    }

    #[test]
    fn unlimited_classes_are_not_judged() {
        assert!(judge(Class::Production, None).is_empty());
        let input = environment().class(Class::Production).input();
        let f = testing::evaluate::<MaxMonthlyCost>(&input, json!({"limit": {"production": 5000}}));
        assert_eq!(testing::rules(&f), ["no-estimate"], "a limit set is judged");
    }
}
