//! Bindings of `idp:plugin@0.1.0` and conversions to and from `idp-model`.
//! Nothing generated leaves this module and `v0_2`, which shares the `types`
//! interface's generated types and their conversions with it.
#![allow(missing_docs)]

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

crate::contract::contract!("0.1.0", v0_1);

/// What a policy of this version is given besides its settings.
pub(crate) type PolicyInput = policy::exports::idp::plugin::policy::PolicyInput;

use template::idp::plugin::types as wit;

/// A 0.1.0 template is given the environment alone: it knows no schedule, and what it
/// renders is what it would around the clock.
fn call_render(
    store: &mut Store<StoreState>,
    bindings: &template::TemplatePlugin,
    env: &model::Environment,
) -> wasmtime::Result<Result<wit_template::Rendering, Vec<wit::Finding>>> {
    bindings
        .idp_plugin_template()
        .call_render(store, &environment(env))
}

/// A 0.1.0 bill line knows no schedule: it bills around the clock.
fn follows_schedule(_: &wit_template::BillItem) -> bool {
    false
}

/// A 0.1.0 policy's input: no schedule, and of the estimate only the effective figures.
fn policy_input(args: &crate::plugin::PolicyArgs<'_>, reads: model::InputParts) -> PolicyInput {
    wit_policy::PolicyInput {
        env: environment_read(args.env, reads),
        calls: calls_read(args, reads),
        cost: args.cost.map(|c| wit_policy::CostEstimate {
            monthly: c.monthly,
            lifetime: c.lifetime,
            currency: "USD".to_owned(),
        }),
    }
}

/// The module calls, when the policy reads them.
pub(crate) fn calls_read(
    args: &crate::plugin::PolicyArgs<'_>,
    reads: model::InputParts,
) -> Vec<wit::ModuleCall> {
    match reads.calls {
        true => args.calls.iter().map(module_call_to_wit).collect(),
        false => Vec::new(),
    }
}

/// A 0.1.0 policy is given its whole input: the contract has no way to say less.
fn reads_of(_: &wit_policy::PolicyInfo) -> model::InputParts {
    model::InputParts::ALL
}

/// A 0.1.0 policy judges every class.
fn applies_to_of(_: &wit_policy::PolicyInfo) -> Vec<model::Class> {
    model::Class::ALL.to_vec()
}

/// The environment as a template receives it: whole.
pub(crate) fn environment(env: &model::Environment) -> wit::Environment {
    environment_read(env, model::InputParts::ALL)
}

/// The environment with only the parts a policy reads: tags and inputs left empty
/// unless `reads` names them.
pub(crate) fn environment_read(
    env: &model::Environment,
    reads: model::InputParts,
) -> wit::Environment {
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
        tags: match reads.tags {
            true => env
                .tags
                .iter()
                .map(|t| wit::Tag {
                    key: t.key.clone(),
                    value: t.value.clone(),
                })
                .collect(),
            false => Vec::new(),
        },
        inputs: match reads.inputs {
            true => env.inputs.to_string(),
            false => "{}".to_owned(),
        },
    }
}

pub(crate) fn class(c: wit::EnvClass) -> model::Class {
    match c {
        wit::EnvClass::Preview => model::Class::Preview,
        wit::EnvClass::Staging => model::Class::Staging,
        wit::EnvClass::Production => model::Class::Production,
    }
}

pub(crate) fn severity(s: wit::Severity) -> model::Severity {
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
        approval: false,
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

pub(crate) fn module_call(c: wit::ModuleCall) -> Result<model::ModuleCall, Invalid> {
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
