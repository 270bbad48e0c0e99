//! Generated bindings, one module per world. Nothing here is public API: the
//! SDK converts to and from its own types so plugins never see generated names.
//!
//! They are generated from the crate's own `wit/` (a path relative to its
//! `Cargo.toml`), so a vendored or packaged copy of the SDK builds without idp's
//! repository. That folder is a copy of idp's `wit/plugin@0.2.0/`, the one source,
//! kept equal by the test below.
#![allow(missing_docs, unsafe_code, clippy::all)]

#[cfg(feature = "template")]
pub mod template_world {
    wit_bindgen::generate!({
        world: "template-plugin",
        path: "wit",
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
        path: "wit",
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

        impl From<crate::Class> for wit::EnvClass {
            fn from(c: crate::Class) -> Self {
                match c {
                    crate::Class::Preview => wit::EnvClass::Preview,
                    crate::Class::Staging => wit::EnvClass::Staging,
                    crate::Class::Production => wit::EnvClass::Production,
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
                    // Not part of the `environment` record: the world's `render` or
                    // `policy-input` carries it, and the glue sets it.
                    schedule: None,
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

/// The conversion of one world's generated `schedule` interface into the SDK's.
#[cfg(any(feature = "template", feature = "policy"))]
macro_rules! convert_schedule {
    ($schedule:path) => {
        use $schedule as wit_schedule;

        impl From<wit_schedule::Schedule> for crate::model::Schedule {
            fn from(s: wit_schedule::Schedule) -> Self {
                use crate::model::Weekday as D;
                use wit_schedule::Weekday as W;
                crate::model::Schedule {
                    days: s
                        .days
                        .into_iter()
                        .map(|d| match d {
                            W::Monday => D::Monday,
                            W::Tuesday => D::Tuesday,
                            W::Wednesday => D::Wednesday,
                            W::Thursday => D::Thursday,
                            W::Friday => D::Friday,
                            W::Saturday => D::Saturday,
                            W::Sunday => D::Sunday,
                        })
                        .collect(),
                    start: s.start,
                    stop: s.stop,
                    timezone: s.timezone,
                    hours_per_week: s.hours_per_week,
                }
            }
        }
    };
}

#[cfg(feature = "template")]
mod template_conversions {
    convert_shared_types!(super::template_world::idp::plugin::types);
    convert_schedule!(super::template_world::idp::plugin::schedule);
}

#[cfg(feature = "policy")]
mod policy_conversions {
    convert_shared_types!(super::policy_world::idp::plugin::types);
    convert_schedule!(super::policy_world::idp::plugin::schedule);
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    /// The `.wit` files of a folder, by name.
    fn wit_files(dir: &Path) -> BTreeMap<String, String> {
        let mut files = BTreeMap::new();
        for entry in std::fs::read_dir(dir).expect("readable folder").flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(entry.path()).expect("readable file");
            files.insert(name, text);
        }
        files
    }

    /// `plugins/sdk/wit/` is exactly idp's `wit/plugin@0.2.0/`: the same files, no
    /// extra, none missing. `IDP_BLESS=1` rewrites the copy from the source.
    #[test]
    fn wit_copy_is_the_contract() {
        let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let contracts = crate_dir.join("../../wit");
        if !contracts.is_dir() {
            eprintln!(
                "skipped: `{}` does not exist (a vendored copy of the SDK); its `wit/` is checked in idp's repository",
                contracts.display()
            );
            return;
        }
        let source = contracts.join("plugin@0.2.0");
        let copy = crate_dir.join("wit");
        if std::env::var_os("IDP_BLESS").is_some_and(|v| v == "1") {
            let _ = std::fs::remove_dir_all(&copy);
            std::fs::create_dir_all(&copy).expect("create wit/");
            for (name, text) in wit_files(&source) {
                std::fs::write(copy.join(name), text).expect("write the copy");
            }
        }
        assert!(
            wit_files(&source) == wit_files(&copy),
            "`{}` differs from `{}`; run `IDP_BLESS=1 cargo test -p idp-plugin-sdk wit_copy` to copy it",
            copy.display(),
            source.display()
        );
    }
}
