//! Generated bindings, one module per world. Nothing here is public API: the
//! SDK converts to and from its own types so plugins never see generated names.
#![allow(missing_docs, unsafe_code, clippy::all)]

#[cfg(feature = "template")]
pub mod template_world {
    wit_bindgen::generate!({
        world: "template-plugin",
        path: "../../wit/plugin@0.1.0",
        pub_export_macro: true,
        export_macro_name: "__export_template_world",
        default_bindings_module: "idp_plugin_sdk::__private::template",
        runtime_path: "wit_bindgen::rt",
    });
}

#[cfg(feature = "policy")]
pub mod policy_world {
    wit_bindgen::generate!({
        world: "policy-plugin",
        path: "../../wit/plugin@0.1.0",
        pub_export_macro: true,
        export_macro_name: "__export_policy_world",
        default_bindings_module: "idp_plugin_sdk::__private::policy",
        runtime_path: "wit_bindgen::rt",
    });
}

/// Conversions between the SDK's types and one world's generated `types`
/// interface; both worlds generate structurally identical types.
#[cfg(any(feature = "template", feature = "policy"))]
macro_rules! convert_shared_types {
    ($types:path) => {
        use $types as wit;

        impl From<crate::Finding> for wit::Finding {
            fn from(f: crate::Finding) -> Self {
                wit::Finding {
                    rule: f.rule,
                    severity: match f.severity {
                        crate::Severity::Deny => wit::Severity::Deny,
                        crate::Severity::Warn => wit::Severity::Warn,
                        crate::Severity::Info => wit::Severity::Info,
                    },
                    message: f.message,
                    pointer: f.pointer,
                    help: f.help,
                }
            }
        }

        impl From<crate::Severity> for wit::Severity {
            fn from(s: crate::Severity) -> Self {
                match s {
                    crate::Severity::Deny => wit::Severity::Deny,
                    crate::Severity::Warn => wit::Severity::Warn,
                    crate::Severity::Info => wit::Severity::Info,
                }
            }
        }

        impl From<wit::Environment> for crate::Environment {
            fn from(e: wit::Environment) -> Self {
                crate::Environment {
                    name: e.name,
                    template: e.template,
                    template_version: e.template_version,
                    owner: e.owner,
                    team: e.team,
                    class: match e.class {
                        wit::EnvClass::Preview => crate::Class::Preview,
                        wit::EnvClass::Staging => crate::Class::Staging,
                        wit::EnvClass::Production => crate::Class::Production,
                    },
                    region: e.region,
                    ttl_seconds: e.ttl_seconds,
                    created_at: e.created_at,
                    expires_at: e.expires_at,
                    tags: e
                        .tags
                        .into_iter()
                        .map(|t| crate::Tag {
                            key: t.key,
                            value: t.value,
                        })
                        .collect(),
                    inputs: e.inputs,
                }
            }
        }

        impl From<crate::ModuleCall> for wit::ModuleCall {
            fn from(c: crate::ModuleCall) -> Self {
                wit::ModuleCall {
                    name: c.name,
                    module: c.module,
                    variables: serde_json::Value::Object(c.variables).to_string(),
                    wiring: c
                        .wiring
                        .into_iter()
                        .map(|w| wit::Wire {
                            variable: w.variable,
                            from_call: w.from_call,
                            output: w.output,
                        })
                        .collect(),
                }
            }
        }

        impl From<wit::ModuleCall> for crate::model::RawCall {
            fn from(c: wit::ModuleCall) -> Self {
                crate::model::RawCall {
                    name: c.name,
                    module: c.module,
                    variables: c.variables,
                    wiring: c
                        .wiring
                        .into_iter()
                        .map(|w| crate::Wire {
                            variable: w.variable,
                            from_call: w.from_call,
                            output: w.output,
                        })
                        .collect(),
                }
            }
        }
    };
}

#[cfg(feature = "template")]
mod template_conversions {
    convert_shared_types!(super::template_world::idp::plugin::types);
}

#[cfg(feature = "policy")]
mod policy_conversions {
    convert_shared_types!(super::policy_world::idp::plugin::types);
}
