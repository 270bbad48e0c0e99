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

pub(crate) use policy::PolicyPluginPre;
pub(crate) use template::TemplatePluginPre;

use policy::exports::idp::plugin::policy as wit_policy;
use template::exports::idp::plugin::template as wit_template;
use template::idp::plugin::types as wit;

/// Interface names this version's components export.
pub(crate) const TEMPLATE_EXPORT: &str = "idp:plugin/template@0.1.0";
pub(crate) const POLICY_EXPORT: &str = "idp:plugin/policy@0.1.0";

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

pub(crate) fn finding(plugin: &str, f: wit::Finding) -> model::Finding {
    model::Finding {
        plugin: plugin.to_owned(),
        rule: f.rule,
        severity: severity(f.severity),
        message: f.message,
        pointer: f.pointer,
        help: f.help,
        waived: None,
        advisory: false,
    }
}

pub(crate) fn findings_size(findings: &[wit::Finding]) -> usize {
    findings
        .iter()
        .map(|f| {
            f.rule.len()
                + f.message.len()
                + f.pointer.len()
                + f.help.as_ref().map_or(0, String::len)
        })
        .sum()
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

pub(crate) fn template_info(i: wit_template::TemplateInfo) -> Result<model::TemplateInfo, Invalid> {
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

pub(crate) fn template_info_size(i: &wit_template::TemplateInfo) -> usize {
    i.name.len()
        + i.version.len()
        + i.summary.len()
        + i.input_schema.len()
        + i.modules
            .iter()
            .chain(&i.outputs)
            .map(String::len)
            .sum::<usize>()
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

pub(crate) fn rendering_size(r: &wit_template::Rendering) -> usize {
    let calls: usize = r
        .calls
        .iter()
        .map(|c| {
            c.name.len()
                + c.module.len()
                + c.variables.len()
                + c.wiring
                    .iter()
                    .map(|w| w.variable.len() + w.from_call.len() + w.output.len())
                    .sum::<usize>()
        })
        .sum();
    let bill: usize = r
        .bill
        .iter()
        .map(|b| {
            b.call.len()
                + b.description.len()
                + b.service_code.len()
                + b.usage_type.len()
                + b.unit.len()
                + 16
        })
        .sum();
    let outputs: usize = r
        .outputs
        .iter()
        .map(|o| o.name.len() + o.from_call.len() + o.output.len())
        .sum();
    calls + bill + outputs
}

pub(crate) fn policy_info(i: wit_policy::PolicyInfo) -> Result<model::PolicyInfo, Invalid> {
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

pub(crate) fn policy_info_size(i: &wit_policy::PolicyInfo) -> usize {
    i.name.len()
        + i.version.len()
        + i.summary.len()
        + i.settings_schema.len()
        + i.rules
            .iter()
            .map(|r| r.id.len() + r.summary.len() + r.help.len())
            .sum::<usize>()
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
