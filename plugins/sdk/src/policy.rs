use serde::de::DeserializeOwned;

use crate::{Class, Environment, Finding, ModuleCall, Severity};

/// One rule a policy may report.
#[derive(Debug, Clone)]
pub struct RuleInfo {
    /// Stable rule id.
    pub id: String,
    /// Default severity.
    pub default_severity: Severity,
    /// One line.
    pub summary: String,
    /// How to comply.
    pub help: String,
}

impl RuleInfo {
    /// A rule with the given id, default severity, summary and help.
    pub fn new(id: &str, default_severity: Severity, summary: &str, help: &str) -> Self {
        RuleInfo {
            id: id.to_owned(),
            default_severity,
            summary: summary.to_owned(),
            help: help.to_owned(),
        }
    }
}

/// What a policy says about itself.
#[derive(Debug, Clone)]
pub struct PolicyInfo {
    /// Catalog name.
    pub name: String,
    /// Semantic version; use `env!("CARGO_PKG_VERSION")`.
    pub version: String,
    /// One line for `idp catalog list`.
    pub summary: String,
    /// Rules.
    pub rules: Vec<RuleInfo>,
    /// JSON Schema of the settings.
    pub settings_schema: serde_json::Value,
}

/// The parts of its input a policy reads besides the environment's own fields (name,
/// template, owner, team, class, region, TTL, times) and the cost estimate, which it
/// always receives. The host copies only these into the plugin on each call and leaves
/// the others empty (no tags, inputs `{}`, no calls): a policy that declares less is
/// judged faster. Combine with [`and`](Self::and): `Reads::TAGS.and(Reads::INPUTS)`.
/// [`testing::evaluate`](crate::testing::evaluate) leaves out the same parts, so a
/// unit test shows a part that is read but not declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reads {
    tags: bool,
    inputs: bool,
    calls: bool,
}

impl Reads {
    /// The environment's own fields only.
    pub const FIELDS: Reads = Reads {
        tags: false,
        inputs: false,
        calls: false,
    };
    /// `env.tags` (and so [`Environment::tag_map`]).
    pub const TAGS: Reads = Reads {
        tags: true,
        ..Reads::FIELDS
    };
    /// `env.inputs` (and so [`Environment::inputs`] and [`Environment::fields_named`]).
    pub const INPUTS: Reads = Reads {
        inputs: true,
        ..Reads::FIELDS
    };
    /// [`PolicyInput::calls`].
    pub const CALLS: Reads = Reads {
        calls: true,
        ..Reads::FIELDS
    };
    /// Everything: the default.
    pub const ALL: Reads = Reads {
        tags: true,
        inputs: true,
        calls: true,
    };

    /// Both: `Reads::INPUTS.and(Reads::CALLS)`.
    pub const fn and(self, other: Reads) -> Reads {
        Reads {
            tags: self.tags || other.tags,
            inputs: self.inputs || other.inputs,
            calls: self.calls || other.calls,
        }
    }

    /// Whether the tags are read.
    pub fn tags(self) -> bool {
        self.tags
    }

    /// Whether the template inputs are read.
    pub fn inputs(self) -> bool {
        self.inputs
    }

    /// Whether the module calls are read.
    pub fn calls(self) -> bool {
        self.calls
    }
}

/// A cost estimate, when the host computed one.
#[derive(Debug, Clone, PartialEq)]
pub struct CostEstimate {
    /// Per month: the effective figure, after the organisation's discounts and rates,
    /// for the hours the environment runs (its schedule).
    pub monthly: f64,
    /// Over the TTL; `None` for `never`.
    pub lifetime: Option<f64>,
    /// ISO 4217 currency code (`USD`).
    pub currency: String,
    /// Per month at the price book's list prices, before the organisation's rules (the
    /// same hours); equal to `monthly` when it has none.
    pub list_monthly: f64,
    /// Whether every line had a price; when false both monthly figures are lower bounds.
    pub complete: bool,
}

/// Everything a policy may judge.
#[derive(Debug, Clone)]
pub struct PolicyInput {
    /// The resolved environment.
    pub env: Environment,
    /// The cost estimate, if any.
    pub cost: Option<CostEstimate>,
    raw_calls: std::cell::RefCell<Vec<crate::model::RawCall>>,
    calls: std::cell::OnceCell<Vec<ModuleCall>>,
}

impl PolicyInput {
    /// An input with the given calls, as a policy's unit tests build it.
    pub fn new(env: Environment, calls: Vec<ModuleCall>, cost: Option<CostEstimate>) -> Self {
        PolicyInput {
            env,
            cost,
            raw_calls: Default::default(),
            calls: std::cell::OnceCell::from(calls),
        }
    }

    /// The same input with these module calls, as if the template had rendered them.
    pub fn with_calls(self, calls: Vec<ModuleCall>) -> Self {
        PolicyInput::new(self.env, calls, self.cost)
    }

    /// The same input with this cost estimate.
    pub fn with_cost(mut self, cost: CostEstimate) -> Self {
        self.cost = Some(cost);
        self
    }

    /// The input as the host hands it to a policy reading `reads`, the rest left empty.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn read_by(&self, reads: Reads) -> PolicyInput {
        let mut env = self.env.clone();
        if !reads.tags {
            env.tags.clear();
        }
        if !reads.inputs {
            env.inputs = "{}".to_owned();
        }
        let calls = match reads.calls {
            true => self.calls().to_vec(),
            false => Vec::new(),
        };
        PolicyInput::new(env, calls, self.cost.clone())
    }

    /// The template's module calls; their variables are parsed on first use, so a policy
    /// that never asks pays nothing for them.
    pub fn calls(&self) -> &[ModuleCall] {
        self.calls.get_or_init(|| {
            self.raw_calls
                .take()
                .into_iter()
                .map(crate::model::RawCall::parse)
                .collect()
        })
    }
}

impl From<Environment> for PolicyInput {
    /// The environment alone: no module calls and no cost estimate.
    fn from(env: Environment) -> Self {
        PolicyInput::new(env, Vec::new(), None)
    }
}

impl CostEstimate {
    /// A complete estimate in US dollars at list prices, as the embedded price book gives it.
    pub fn usd(monthly: f64, lifetime: Option<f64>) -> Self {
        CostEstimate {
            monthly,
            lifetime,
            currency: "USD".to_owned(),
            list_monthly: monthly,
            complete: true,
        }
    }

    /// The same estimate with the organisation's rules changing `list_monthly` to `monthly`.
    pub fn with_list(mut self, list_monthly: f64) -> Self {
        self.list_monthly = list_monthly;
        self
    }

    /// The same estimate as a lower bound: some lines had no price.
    pub fn incomplete(mut self) -> Self {
        self.complete = false;
        self
    }
}

/// Reads a policy's settings as the host hands them over (a JSON object, `{}` when
/// `idp.kdl` gives none); what does not fit becomes the `invalid-settings` finding the
/// plugin reports instead of judging.
#[cfg(any(feature = "policy", not(target_arch = "wasm32")))]
pub(crate) fn parse_settings<S: DeserializeOwned + Default>(text: &str) -> Result<S, Finding> {
    if text.trim().is_empty() {
        return Ok(S::default());
    }
    serde_json::from_str(text).map_err(|e| {
        Finding::deny(
            "invalid-settings",
            format!("settings do not match the policy: {e}"),
        )
    })
}

/// What the exported `evaluate` does with the host's arguments: read the settings, then
/// judge. The glue and `testing::evaluate` both call it.
#[cfg(any(feature = "policy", not(target_arch = "wasm32")))]
pub(crate) fn run<P: Policy>(input: &PolicyInput, settings: &str) -> Vec<Finding> {
    match parse_settings::<P::Settings>(settings) {
        Ok(settings) => P::evaluate(input, &settings),
        Err(finding) => vec![finding],
    }
}

/// Implement this and call [`export_policy!`](crate::export_policy) to make a policy plugin.
pub trait Policy {
    /// The policy's settings from `idp.kdl`; `Default` is used when none are given.
    type Settings: DeserializeOwned + Default;
    /// The parts of its input the policy reads ([`Reads`]); everything unless it says
    /// less. `const READS: Reads = Reads::TAGS;` for a policy that judges tags.
    const READS: Reads = Reads::ALL;
    /// The classes of environment the policy judges: the host does not call it for
    /// another (no call, no finding). Every class unless it says less:
    /// `const APPLIES_TO: &'static [Class] = &[Class::Production];`.
    const APPLIES_TO: &'static [Class] = &[Class::Preview, Class::Staging, Class::Production];
    /// Describes the policy.
    fn info() -> PolicyInfo;
    /// Judges one environment.
    fn evaluate(input: &PolicyInput, settings: &Self::Settings) -> Vec<Finding>;
}

/// Exports a [`Policy`] implementation as the plugin's `policy` interface.
#[macro_export]
macro_rules! export_policy {
    ($t:ty) => {
        #[doc(hidden)]
        pub struct __IdpPolicyExport;
        impl $crate::__private::policy::exports::idp::plugin::policy::Guest for __IdpPolicyExport {
            fn info() -> $crate::__private::policy::exports::idp::plugin::policy::PolicyInfo {
                $crate::__private::policy_glue::info::<$t>()
            }
            fn evaluate(
                input: $crate::__private::policy::exports::idp::plugin::policy::PolicyInput,
                settings: ::std::string::String,
            ) -> ::std::vec::Vec<$crate::__private::policy::idp::plugin::types::Finding> {
                $crate::__private::policy_glue::evaluate::<$t>(input, settings)
            }
        }
        // Native builds (for `cargo test`) skip the export symbols: their WIT names
        // (`idp:plugin/policy@0.2.0#…`) are not valid in a native linker script.
        #[cfg(target_arch = "wasm32")]
        $crate::__export_policy_plugin_impl!(__IdpPolicyExport with_types_in $crate::__private::policy);
    };
}

#[cfg(feature = "policy")]
#[doc(hidden)]
pub mod glue {
    use super::*;
    use crate::bindings::policy_world::exports::idp::plugin::policy as wit;
    use crate::bindings::policy_world::idp::plugin::types as wit_types;

    pub fn info<P: Policy>() -> wit::PolicyInfo {
        // First thing in every call: a panic below reaches the user named (panic.rs).
        crate::panic::install();
        let info = P::info();
        wit::PolicyInfo {
            name: info.name,
            version: info.version,
            summary: info.summary,
            rules: info
                .rules
                .into_iter()
                .map(|r| wit::RuleInfo {
                    id: r.id,
                    default_severity: r.default_severity.into(),
                    summary: r.summary,
                    help: r.help,
                })
                .collect(),
            settings_schema: info.settings_schema.to_string(),
            reads: parts(P::READS),
            applies_to: P::APPLIES_TO.iter().map(|&c| c.into()).collect(),
        }
    }

    fn parts(reads: Reads) -> wit::InputParts {
        let mut parts = wit::InputParts::empty();
        for (read, part) in [
            (reads.tags, wit::InputParts::TAGS),
            (reads.inputs, wit::InputParts::INPUTS),
            (reads.calls, wit::InputParts::CALLS),
        ] {
            if read {
                parts = parts | part;
            }
        }
        parts
    }

    pub fn evaluate<P: Policy>(
        input: wit::PolicyInput,
        settings: String,
    ) -> Vec<wit_types::Finding> {
        // First thing in every call: a panic below reaches the user named (panic.rs).
        crate::panic::install();
        let mut env: Environment = input.env.into();
        env.schedule = input.schedule.map(Into::into);
        let input = PolicyInput {
            env,
            cost: input.cost.map(|c| CostEstimate {
                monthly: c.monthly,
                lifetime: c.lifetime,
                currency: c.currency,
                list_monthly: c.list_monthly,
                complete: c.complete,
            }),
            raw_calls: std::cell::RefCell::new(input.calls.into_iter().map(Into::into).collect()),
            calls: std::cell::OnceCell::new(),
        };
        run::<P>(&input, &settings)
            .into_iter()
            .map(Into::into)
            .collect()
    }
}
