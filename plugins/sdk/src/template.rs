use crate::{Environment, Finding, ModuleCall};

/// What a template says about itself.
#[derive(Debug, Clone)]
pub struct TemplateInfo {
    /// Catalog name.
    pub name: String,
    /// Semantic version; use `env!("CARGO_PKG_VERSION")`.
    pub version: String,
    /// One line for `idp catalog list`.
    pub summary: String,
    /// JSON Schema of the inputs.
    pub input_schema: serde_json::Value,
    /// Modules the renderings may call.
    pub modules: Vec<String>,
    /// Outputs the environment exposes.
    pub outputs: Vec<String>,
}

/// How a bill item's quantity accrues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BillingBasis {
    /// Units per hour of existence.
    PerHour,
    /// Units per month of existence.
    PerMonth,
}

/// One billable line.
#[derive(Debug, Clone, PartialEq)]
pub struct BillItem {
    /// Module call the resource belongs to.
    pub call: String,
    /// What is billed, for people.
    pub description: String,
    /// AWS Price List service code.
    pub service_code: String,
    /// Price List usage type without region prefix.
    pub usage_type: String,
    /// Price List unit.
    pub unit: String,
    /// Units per hour or month.
    pub quantity: f64,
    /// How the quantity accrues.
    pub basis: BillingBasis,
    /// Whether the line runs only in the environment's scheduled hours (its module scales
    /// it to zero outside them, as Fargate tasks are); the estimate then bills an hourly
    /// line for those hours only. False for what bills around the clock (a NAT gateway,
    /// a load balancer, storage).
    pub follows_schedule: bool,
}

/// One environment output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Name shown to users.
    pub name: String,
    /// Producing call.
    pub from_call: String,
    /// Output of that call.
    pub output: String,
}

impl Output {
    /// The environment output `name`, taken from output `output` of call `from_call`.
    pub fn new(name: &str, from_call: &str, output: &str) -> Self {
        Output {
            name: name.into(),
            from_call: from_call.into(),
            output: output.into(),
        }
    }
}

/// A template's rendering of one environment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rendering {
    /// Module calls.
    pub calls: Vec<ModuleCall>,
    /// Bill of materials.
    pub bill: Vec<BillItem>,
    /// Outputs.
    pub outputs: Vec<Output>,
}

impl Rendering {
    /// The module call named `name`, if the rendering has one.
    pub fn call(&self, name: &str) -> Option<&ModuleCall> {
        self.calls.iter().find(|c| c.name == name)
    }
}

/// Implement this and call [`export_template!`](crate::export_template) to make a template plugin.
pub trait Template {
    /// Describes the template.
    fn info() -> TemplateInfo;
    /// Renders an environment, or explains with findings why it cannot.
    fn render(env: &Environment) -> Result<Rendering, Vec<Finding>>;
}

/// Exports a [`Template`] implementation as the plugin's `template` interface.
#[macro_export]
macro_rules! export_template {
    ($t:ty) => {
        #[doc(hidden)]
        pub struct __IdpTemplateExport;
        impl $crate::__private::template::exports::idp::plugin::template::Guest
            for __IdpTemplateExport
        {
            fn info() -> $crate::__private::template::exports::idp::plugin::template::TemplateInfo {
                $crate::__private::template_glue::info::<$t>()
            }
            fn render(
                env: $crate::__private::template::idp::plugin::types::Environment,
                schedule: ::core::option::Option<
                    $crate::__private::template::idp::plugin::schedule::Schedule,
                >,
            ) -> ::core::result::Result<
                $crate::__private::template::exports::idp::plugin::template::Rendering,
                ::std::vec::Vec<$crate::__private::template::idp::plugin::types::Finding>,
            > {
                $crate::__private::template_glue::render::<$t>(env, schedule)
            }
        }
        // Native builds (for `cargo test`) skip the export symbols: their WIT names
        // (`idp:plugin/template@0.2.0#…`) are not valid in a native linker script.
        #[cfg(target_arch = "wasm32")]
        $crate::__export_template_plugin_impl!(__IdpTemplateExport with_types_in $crate::__private::template);
    };
}

#[cfg(feature = "template")]
#[doc(hidden)]
pub mod glue {
    use super::*;
    use crate::bindings::template_world::exports::idp::plugin::template as wit;
    use crate::bindings::template_world::idp::plugin::schedule as wit_schedule;
    use crate::bindings::template_world::idp::plugin::types as wit_types;

    pub fn info<T: Template>() -> wit::TemplateInfo {
        // First thing in every call: a panic below reaches the user named (panic.rs).
        crate::panic::install();
        let info = T::info();
        wit::TemplateInfo {
            name: info.name,
            version: info.version,
            summary: info.summary,
            input_schema: info.input_schema.to_string(),
            modules: info.modules,
            outputs: info.outputs,
        }
    }

    pub fn render<T: Template>(
        env: wit_types::Environment,
        schedule: Option<wit_schedule::Schedule>,
    ) -> Result<wit::Rendering, Vec<wit_types::Finding>> {
        // First thing in every call: a panic below reaches the user named (panic.rs).
        crate::panic::install();
        let mut env = Environment::from(env);
        env.schedule = schedule.map(Into::into);
        match T::render(&env) {
            Ok(r) => Ok(wit::Rendering {
                calls: r.calls.into_iter().map(Into::into).collect(),
                bill: r
                    .bill
                    .into_iter()
                    .map(|b| wit::BillItem {
                        call: b.call,
                        description: b.description,
                        service_code: b.service_code,
                        usage_type: b.usage_type,
                        unit: b.unit,
                        quantity: b.quantity,
                        basis: match b.basis {
                            BillingBasis::PerHour => wit::BillingBasis::PerHour,
                            BillingBasis::PerMonth => wit::BillingBasis::PerMonth,
                        },
                        follows_schedule: b.follows_schedule,
                    })
                    .collect(),
                outputs: r
                    .outputs
                    .into_iter()
                    .map(|o| wit::Output {
                        name: o.name,
                        from_call: o.from_call,
                        output: o.output,
                    })
                    .collect(),
            }),
            Err(findings) => Err(findings.into_iter().map(Into::into).collect()),
        }
    }
}
