//! Bindings of `idp:plugin@0.1.0` and conversions to and from `idp-model`.
//! Nothing generated leaves this module.
#![allow(missing_docs)]

use idp_model as model;

pub(crate) mod template {
    wasmtime::component::bindgen!({
        path: "../../wit/plugin@0.1.0",
        world: "template-plugin",
    });
}

pub(crate) mod policy {
    wasmtime::component::bindgen!({
        path: "../../wit/plugin@0.1.0",
        world: "policy-plugin",
        with: {
            "idp:plugin/types": super::template::idp::plugin::types,
        },
    });
}

use policy::PolicyPluginPre;
use template::TemplatePluginPre;
use wasmtime::Store;
use wasmtime::component::InstancePre;

use crate::limits::StoreState;
use crate::plugin::Kind;

use policy::exports::idp::plugin::policy as wit_policy;
use template::exports::idp::plugin::template as wit_template;
use template::idp::plugin::types as wit;

/// Implements [`Kind`] for one kind of plugin of this version: its interface, generated
/// bindings, info type and the conversion of its info.
macro_rules! kind {
    ($kind:ident, $interface:literal, $pre:ident, $bindings:ty, $info:ident, $accessor:ident, $convert:ident) => {
        impl Kind for $kind {
            const KIND: model::PluginKind = model::PluginKind::$kind;
            const INTERFACE: &'static str = $interface;
            const WIT_VERSION: &'static str = "0.1.0";
            const EXPORT: &'static str = concat!("idp:plugin/", $interface, "@0.1.0");
            type Pre = $pre<StoreState>;
            type Bindings = $bindings;
            type Info = model::$info;

            fn pre(pre: InstancePre<StoreState>) -> wasmtime::Result<Self::Pre> {
                $pre::new(pre)
            }

            fn instantiate(
                pre: &Self::Pre,
                store: &mut Store<StoreState>,
            ) -> wasmtime::Result<Self::Bindings> {
                pre.instantiate(store)
            }

            fn info(
                store: &mut Store<StoreState>,
                bindings: &Self::Bindings,
            ) -> wasmtime::Result<Result<Self::Info, Invalid>> {
                Ok($convert(bindings.$accessor().call_info(store)?))
            }

            fn name_and_version(info: &Self::Info) -> (&str, &str) {
                (&info.name, &info.version)
            }
        }
    };
}

/// A template plugin of this version.
pub(crate) struct Template;
kind!(
    Template,
    "template",
    TemplatePluginPre,
    template::TemplatePlugin,
    TemplateInfo,
    idp_plugin_template,
    template_info
);

/// A policy plugin of this version.
pub(crate) struct Policy;
kind!(
    Policy,
    "policy",
    PolicyPluginPre,
    policy::PolicyPlugin,
    PolicyInfo,
    idp_plugin_policy,
    policy_info
);

/// Why a guest's answer breaks the contract.
pub(crate) type Invalid = String;

pub(crate) fn environment(env: &model::Environment) -> wit::Environment {
    wit::Environment {
        name: env.name.clone(),
        template: env.template.clone(),
        template_version: env.template_version.clone(),
        owner: env.owner.clone(),
        team: env.team.clone(),
        class: match env.class {
            model::Class::Preview => wit::EnvClass::Preview,
            model::Class::Staging => wit::EnvClass::Staging,
            model::Class::Production => wit::EnvClass::Production,
        },
        region: env.region.clone(),
        ttl_seconds: env.ttl.seconds(),
        created_at: env.created_at.to_string(),
        expires_at: env.expires_at.map(|t| t.to_string()),
        tags: env
            .tags
            .iter()
            .map(|t| wit::Tag {
                key: t.key.clone(),
                value: t.value.clone(),
            })
            .collect(),
        inputs: env.inputs.to_string(),
    }
}

fn severity(s: wit::Severity) -> model::Severity {
    match s {
        wit::Severity::Deny => model::Severity::Deny,
        wit::Severity::Warn => model::Severity::Warn,
        wit::Severity::Info => model::Severity::Info,
    }
}

/// A finding as the guest reported it; the plan stage sets `plugin` from the catalog.
pub(crate) fn finding(f: wit::Finding) -> model::Finding {
    model::Finding {
        plugin: None,
        rule: f.rule,
        severity: severity(f.severity),
        message: f.message,
        pointer: f.pointer,
        help: f.help,
        waived: None,
        advisory: false,
    }
}

fn json_object(
    text: &str,
    what: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, Invalid> {
    match serde_json::from_str(text) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(format!("{what} is not a JSON object")),
        Err(e) => Err(format!("{what} is not JSON: {e}")),
    }
}

fn module_call(c: wit::ModuleCall) -> Result<model::ModuleCall, Invalid> {
    Ok(model::ModuleCall {
        variables: json_object(&c.variables, &format!("variables of call `{}`", c.name))?,
        name: c.name,
        module: c.module,
        wiring: c
            .wiring
            .into_iter()
            .map(|w| model::Wire {
                variable: w.variable,
                from_call: w.from_call,
                output: w.output,
            })
            .collect(),
    })
}

pub(crate) fn module_call_to_wit(c: &model::ModuleCall) -> wit::ModuleCall {
    wit::ModuleCall {
        name: c.name.clone(),
        module: c.module.clone(),
        variables: serde_json::Value::Object(c.variables.clone()).to_string(),
        wiring: c
            .wiring
            .iter()
            .map(|w| wit::Wire {
                variable: w.variable.clone(),
                from_call: w.from_call.clone(),
                output: w.output.clone(),
            })
            .collect(),
    }
}

fn template_info(i: wit_template::TemplateInfo) -> Result<model::TemplateInfo, Invalid> {
    let input_schema = serde_json::from_str(&i.input_schema)
        .map_err(|e| format!("input schema is not JSON: {e}"))?;
    Ok(model::TemplateInfo {
        name: i.name,
        version: i.version,
        summary: i.summary,
        input_schema,
        modules: i.modules,
        outputs: i.outputs,
    })
}

pub(crate) fn rendering(r: wit_template::Rendering) -> Result<model::Rendering, Invalid> {
    Ok(model::Rendering {
        calls: r
            .calls
            .into_iter()
            .map(module_call)
            .collect::<Result<_, _>>()?,
        bill: r
            .bill
            .into_iter()
            .map(|b| model::BillItem {
                call: b.call,
                description: b.description,
                service_code: b.service_code,
                usage_type: b.usage_type,
                unit: b.unit,
                quantity: b.quantity,
                basis: match b.basis {
                    wit_template::BillingBasis::PerHour => model::BillingBasis::PerHour,
                    wit_template::BillingBasis::PerMonth => model::BillingBasis::PerMonth,
                },
            })
            .collect(),
        outputs: r
            .outputs
            .into_iter()
            .map(|o| model::Output {
                name: o.name,
                from_call: o.from_call,
                output: o.output,
            })
            .collect(),
    })
}

fn policy_info(i: wit_policy::PolicyInfo) -> Result<model::PolicyInfo, Invalid> {
    let settings_schema = serde_json::from_str(&i.settings_schema)
        .map_err(|e| format!("settings schema is not JSON: {e}"))?;
    Ok(model::PolicyInfo {
        name: i.name,
        version: i.version,
        summary: i.summary,
        rules: i
            .rules
            .into_iter()
            .map(|r| model::RuleInfo {
                id: r.id,
                default_severity: severity(r.default_severity),
                summary: r.summary,
                help: r.help,
            })
            .collect(),
        settings_schema,
    })
}

pub(crate) fn policy_input(
    env: &model::Environment,
    calls: &[model::ModuleCall],
    cost: Option<model::CostEstimate>,
) -> wit_policy::PolicyInput {
    wit_policy::PolicyInput {
        env: environment(env),
        calls: calls.iter().map(module_call_to_wit).collect(),
        cost: cost.map(|c| wit_policy::CostEstimate {
            monthly: c.monthly,
            lifetime: c.lifetime,
            currency: "USD".to_owned(),
        }),
    }
}
