//! Emit: turns a rendering into an OpenTofu workspace (`main.tf` composing the module
//! calls, `terraform.tfvars.json` with their literal values, the modules themselves)
//! and its plan digest.
//!
//! The digest is sha256 over every emitted file, sorted by path, each framed by its
//! path and length; `metadata.json` is written beside the workspace by the state store
//! and is not part of it, because it records the digest and the status.
#![deny(missing_docs)]

pub mod contract;

use std::collections::BTreeMap;
use std::fmt::Write;

use idp_model::{Environment, ModuleCall, Rendering};
use miette::Diagnostic;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The emitted files, sorted by path, and their digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    /// Relative path and content.
    pub files: Vec<(String, Vec<u8>)>,
    /// `sha256:` and 64 hex digits.
    pub digest: String,
}

/// A rendering that cannot become a workspace: the template broke the contract.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum EmitError {
    /// Two calls share a name.
    #[error("template `{template}` renders two module calls named `{call}`")]
    #[diagnostic(code(idp::emit::duplicate_call), help("this is a bug in the template"))]
    DuplicateCall {
        /// The template.
        template: String,
        /// The call.
        call: String,
    },
    /// A wire or output names a call that does not exist.
    #[error("template `{template}` wires `{what}` to call `{call}`, which it does not render")]
    #[diagnostic(code(idp::emit::unknown_call), help("this is a bug in the template"))]
    UnknownCall {
        /// The template.
        template: String,
        /// What refers to it.
        what: String,
        /// The missing call.
        call: String,
    },
    /// A name that is not a valid HCL identifier.
    #[error("template `{template}` uses `{name}`, which is not a valid OpenTofu identifier")]
    #[diagnostic(code(idp::emit::identifier), help("this is a bug in the template"))]
    Identifier {
        /// The template.
        template: String,
        /// The name.
        name: String,
    },
    /// The rendering does not match what the modules declare.
    #[error("template `{template}` does not match the modules it calls:\n{}", list(.violations))]
    #[diagnostic(
        code(idp::emit::contract),
        help(
            "the template and the module disagree: update the template to the module's variables and outputs (or the module), then rebuild the plugin with `idp plugin build`"
        )
    )]
    Contract {
        /// The template.
        template: String,
        /// Each disagreement.
        violations: Vec<contract::Violation>,
    },
    /// A module's HCL could not be read.
    #[error("module `{module}` cannot be read: {source}")]
    #[diagnostic(code(idp::emit::module_hcl))]
    ModuleHcl {
        /// The module.
        module: String,
        /// What is wrong.
        source: contract::InterfaceError,
    },
    /// A module name that is not a module name (a path, a newline…).
    #[error("template `{template}` calls a module by an invalid name: {reason}")]
    #[diagnostic(code(idp::emit::module_name), help("this is a bug in the template"))]
    ModuleName {
        /// The template.
        template: String,
        /// What is wrong.
        reason: String,
    },
    /// A module the rendering calls could not be found.
    #[error("template `{template}` calls module `{module}`, which no catalog provides")]
    #[diagnostic(code(idp::emit::unknown_module))]
    UnknownModule {
        /// The template.
        template: String,
        /// The module.
        module: String,
    },
}

fn list(violations: &[contract::Violation]) -> String {
    violations
        .iter()
        .map(|v| format!("  - {v}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn identifier(template: &str, name: &str) -> Result<(), EmitError> {
    let ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(EmitError::Identifier {
            template: template.to_owned(),
            name: name.to_owned(),
        })
    }
}

/// An HCL string literal: JSON's escapes plus `${` and `%{`, which HCL would interpolate.
/// JSON leaves U+2028 and U+2029 raw; they are escaped too, so no literal carries a
/// character any reader might take for a line break.
fn hcl_string(s: &str) -> String {
    let json = Value::String(s.to_owned()).to_string();
    json.replace("${", "$${")
        .replace("%{", "%%{")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
        .replace('\u{85}', "\\u0085")
}

/// One `#` comment line. The text must not end the line: anything that could is
/// replaced, so a comment never turns into configuration.
fn hcl_comment(text: &str) -> String {
    let safe: String = text
        .chars()
        .map(|c| {
            if c.is_control() || idp_model::is_invisible_format(c) {
                '?'
            } else {
                c
            }
        })
        .collect();
    format!("# {safe}\n")
}

/// A module name as a directory under `modules/`: the module grammar, or the template's
/// bug.
fn module_name(template: &str, module: &str) -> Result<(), EmitError> {
    idp_model::check_name(idp_model::NameKind::Module, module).map_err(|e| EmitError::ModuleName {
        template: template.to_owned(),
        reason: e.to_string(),
    })
}

fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(m) => {
            let b: BTreeMap<&String, Value> = m.iter().map(|(k, v)| (k, sorted(v))).collect();
            Value::Object(b.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// `main.tf`: one `variable` per call (its literal values, from tfvars), one `module`
/// block per call, the environment's outputs.
fn main_tf(env: &Environment, rendering: &Rendering, uses_aws: bool) -> Result<String, EmitError> {
    let t = &env.template;
    let mut out = String::new();
    header_tf(env, uses_aws, &mut out);
    variables_tf(t, rendering, &mut out)?;
    for call in &rendering.calls {
        module_tf(t, rendering, call, &mut out)?;
    }
    outputs_tf(t, rendering, &mut out)?;
    Ok(out.trim_end().to_owned() + "\n")
}

/// The comment naming the environment, the Terraform version, and the AWS provider when
/// a module needs it.
fn header_tf(env: &Environment, uses_aws: bool, out: &mut String) {
    // Every value here is a quoted, escaped HCL string: inside a comment it can neither
    // end the line nor the comment, whatever a template reported as its name or version.
    out.push_str(&hcl_comment(&format!(
        "Written by idp for environment {} (template {} {}).",
        hcl_string(&env.name),
        hcl_string(&env.template),
        hcl_string(&env.template_version)
    )));
    // The schedule is part of what is applied even where no module takes it, so the
    // digest covers it: a changed window is a changed plan.
    if let Some(s) = &env.schedule {
        out.push_str(&hcl_comment(&format!(
            "Runs on a schedule: {} from {} to {} in {}; scaled to zero outside these hours.",
            s.days
                .iter()
                .map(|d| d.cron())
                .collect::<Vec<_>>()
                .join(","),
            hcl_string(&s.start),
            hcl_string(&s.stop),
            hcl_string(&s.timezone)
        )));
    }
    writeln!(
        out,
        "# Do not edit: `idp apply` rewrites it. Literal values are in terraform.tfvars.json.\n"
    )
    .ok();
    writeln!(out, "terraform {{\n  required_version = \">= 1.6.0\"\n}}\n").ok();
    if uses_aws {
        writeln!(
            out,
            "provider \"aws\" {{\n  region = {}\n}}\n",
            hcl_string(&env.region)
        )
        .ok();
    }
}

/// One variable per module call, holding its literal inputs; call names must be
/// identifiers and unique, module names valid.
fn variables_tf(t: &str, rendering: &Rendering, out: &mut String) -> Result<(), EmitError> {
    for call in &rendering.calls {
        identifier(t, &call.name)?;
        module_name(t, &call.module)?;
        if rendering
            .calls
            .iter()
            .filter(|c| c.name == call.name)
            .count()
            > 1
        {
            return Err(EmitError::DuplicateCall {
                template: t.to_owned(),
                call: call.name.clone(),
            });
        }
        writeln!(
            out,
            "variable {} {{\n  description = {}\n  type        = any\n}}\n",
            hcl_string(&call.name),
            hcl_string(&format!(
                "literal inputs of module call `{}` ({})",
                call.name, call.module
            ))
        )
        .ok();
    }
    Ok(())
}

/// One `module` block: its literal inputs from its variable, its wired inputs from the
/// outputs of other calls, aligned and sorted by name.
fn module_tf(
    t: &str,
    rendering: &Rendering,
    call: &ModuleCall,
    out: &mut String,
) -> Result<(), EmitError> {
    writeln!(
        out,
        "module {} {{\n  source = {}",
        hcl_string(&call.name),
        hcl_string(&format!("./modules/{}", call.module))
    )
    .ok();
    let mut args: BTreeMap<&str, String> = BTreeMap::new();
    for var in call.variables.keys() {
        identifier(t, var)?;
        args.insert(var, format!("var.{}.{var}", call.name));
    }
    for w in &call.wiring {
        identifier(t, &w.variable)?;
        identifier(t, &w.output)?;
        if !rendering.calls.iter().any(|c| c.name == w.from_call) {
            return Err(EmitError::UnknownCall {
                template: t.to_owned(),
                what: format!("{}.{}", call.name, w.variable),
                call: w.from_call.clone(),
            });
        }
        args.insert(&w.variable, format!("module.{}.{}", w.from_call, w.output));
    }
    let width = args.keys().map(|k| k.len()).max().unwrap_or(0);
    if !args.is_empty() {
        out.push('\n');
    }
    for (k, v) in args {
        writeln!(out, "  {k:width$} = {v}").ok();
    }
    writeln!(out, "}}\n").ok();
    Ok(())
}

/// The environment's outputs, each an output of one module call.
fn outputs_tf(t: &str, rendering: &Rendering, out: &mut String) -> Result<(), EmitError> {
    for o in &rendering.outputs {
        identifier(t, &o.name)?;
        identifier(t, &o.output)?;
        if !rendering.calls.iter().any(|c| c.name == o.from_call) {
            return Err(EmitError::UnknownCall {
                template: t.to_owned(),
                what: format!("output {}", o.name),
                call: o.from_call.clone(),
            });
        }
        writeln!(
            out,
            "output {} {{\n  value = module.{}.{}\n}}\n",
            hcl_string(&o.name),
            o.from_call,
            o.output
        )
        .ok();
    }
    Ok(())
}

/// Builds the workspace. `module_files` returns a module's files (relative to the
/// module directory), or `None` when no catalog has it.
pub fn emit(
    env: &Environment,
    rendering: &Rendering,
    mut module_files: impl FnMut(&str) -> Option<Vec<(String, Vec<u8>)>>,
) -> Result<Workspace, EmitError> {
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut interfaces = BTreeMap::new();
    let mut uses_aws = false;
    for call in &rendering.calls {
        // Checked before the name becomes part of a path.
        module_name(&env.template, &call.module)?;
        if files
            .keys()
            .any(|k| k.starts_with(&format!("modules/{}/", call.module)))
        {
            continue;
        }
        let module = module_files(&call.module).ok_or_else(|| EmitError::UnknownModule {
            template: env.template.clone(),
            module: call.module.clone(),
        })?;
        let interface =
            contract::Interface::parse(&module).map_err(|source| EmitError::ModuleHcl {
                module: call.module.clone(),
                source,
            })?;
        interfaces.insert(call.module.clone(), interface);
        for (rel, bytes) in module {
            uses_aws |= String::from_utf8_lossy(&bytes).contains("hashicorp/aws");
            files.insert(format!("modules/{}/{rel}", call.module), bytes);
        }
    }
    // main.tf first: its checks (names, calls) explain a broken rendering more precisely.
    let main = main_tf(env, rendering, uses_aws)?;
    let violations = contract::check(rendering, &interfaces);
    if !violations.is_empty() {
        return Err(EmitError::Contract {
            template: env.template.clone(),
            violations,
        });
    }
    files.insert("main.tf".into(), main.into_bytes());
    let tfvars: BTreeMap<&str, Value> = rendering
        .calls
        .iter()
        .map(|c| (c.name.as_str(), sorted(&Value::Object(c.variables.clone()))))
        .collect();
    let mut tfvars = serde_json::to_vec_pretty(&tfvars).unwrap_or_default();
    tfvars.push(b'\n');
    files.insert("terraform.tfvars.json".into(), tfvars);

    let mut hasher = Sha256::new();
    for (path, bytes) in &files {
        hasher.update(path.as_bytes());
        hasher.update([0]);
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    }
    Ok(Workspace {
        files: files.into_iter().collect(),
        digest: format!("sha256:{}", hex::encode(hasher.finalize())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use idp_model::{Class, ModuleCall, Output, Ttl, Wire};
    use serde_json::json;

    fn env() -> Environment {
        Environment {
            name: "e".into(),
            template: "t".into(),
            template_version: "0.1.0".into(),
            owner: "a@b.io".into(),
            team: "x".into(),
            class: Class::Preview,
            region: "us-east-1".into(),
            ttl: Ttl::Never,
            created_at: jiff::Timestamp::UNIX_EPOCH,
            expires_at: None,
            tags: vec![],
            inputs: json!({}),
            schedule: None,
        }
    }

    fn rendering() -> Rendering {
        let call = |name: &str, module: &str, vars: Value, wiring: Vec<Wire>| ModuleCall {
            name: name.into(),
            module: module.into(),
            variables: vars.as_object().cloned().unwrap_or_default(),
            wiring,
        };
        Rendering {
            calls: vec![
                call(
                    "net",
                    "networking",
                    json!({"cidr_block": "10.0.0.0/16"}),
                    vec![],
                ),
                call(
                    "svc",
                    "ecs-service",
                    json!({"image": "x:${evil}", "cpu": 256}),
                    vec![Wire {
                        variable: "vpc_id".into(),
                        from_call: "net".into(),
                        output: "vpc_id".into(),
                    }],
                ),
            ],
            bill: vec![],
            outputs: vec![Output {
                name: "url".into(),
                from_call: "svc".into(),
                output: "url".into(),
            }],
        }
    }

    /// Just enough of each module's interface for the rendering above.
    fn modules(name: &str) -> Option<Vec<(String, Vec<u8>)>> {
        let hcl = match name {
            "networking" => {
                "variable \"cidr_block\" { type = string }\noutput \"vpc_id\" { value = 1 }\n"
            }
            "ecs-service" => concat!(
                "variable \"image\" { type = string }\nvariable \"cpu\" { type = number }\n",
                "variable \"vpc_id\" { type = string }\noutput \"url\" { value = 1 }\n"
            ),
            _ => return None,
        };
        Some(vec![("main.tf".into(), hcl.as_bytes().to_vec())])
    }

    #[test]
    fn a_rendering_the_modules_do_not_declare_is_refused() {
        let mut r = rendering();
        r.calls[1].variables.insert("memory".into(), json!(512));
        let err = emit(&env(), &r, modules).expect_err("memory is not declared");
        assert!(
            err.to_string().contains(
                "call `svc` (module `ecs-service`): the template sets `memory`, which module `ecs-service` does not declare"
            ),
            "{err}"
        );
    }

    #[test]
    fn composes_calls_wires_and_outputs() {
        let ws = emit(&env(), &rendering(), modules).expect("emits");
        let paths: Vec<_> = ws.files.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            [
                "main.tf",
                "modules/ecs-service/main.tf",
                "modules/networking/main.tf",
                "terraform.tfvars.json"
            ]
        );
        let main = String::from_utf8_lossy(&ws.files[0].1).into_owned();
        assert!(main.contains("module \"svc\" {\n  source = \"./modules/ecs-service\"\n\n  cpu    = var.svc.cpu\n  image  = var.svc.image\n  vpc_id = module.net.vpc_id\n}"), "{main}");
        assert!(main.contains("output \"url\" {\n  value = module.svc.url\n}"));
        let tfvars: Value = serde_json::from_slice(&ws.files[3].1).expect("json");
        assert_eq!(
            tfvars["svc"]["image"], "x:${evil}",
            "tfvars values are never interpolated"
        );
    }

    #[test]
    fn the_digest_is_stable_and_content_sensitive() {
        let a = emit(&env(), &rendering(), modules).expect("emits");
        assert_eq!(a, emit(&env(), &rendering(), modules).expect("emits"));
        let mut changed = rendering();
        changed.calls[1].variables.insert("cpu".into(), json!(512));
        assert_ne!(
            a.digest,
            emit(&env(), &changed, modules).expect("emits").digest
        );
        // A schedule changes the plan even where no module call takes it.
        let mut scheduled = env();
        scheduled.schedule =
            Some(idp_model::Schedule::weekdays("08:00-20:00", "Europe/Berlin").expect("valid"));
        let s = emit(&scheduled, &rendering(), modules).expect("emits");
        assert_ne!(a.digest, s.digest);
        let main = String::from_utf8_lossy(&s.files[0].1).into_owned();
        assert!(
            main.contains("# Runs on a schedule: MON,TUE,WED,THU,FRI from \"08:00\" to \"20:00\" in \"Europe/Berlin\""),
            "{main}"
        );
    }

    #[test]
    fn plugin_strings_never_become_configuration() {
        let mut e = env();
        e.template_version = "0.1.0\nresource \"terraform_data\" \"pwn\" {}".into();
        e.template = "t\u{2028}x".into();
        let ws = emit(&e, &rendering(), modules).expect("emits");
        let main = String::from_utf8_lossy(&ws.files[0].1).into_owned();
        let first = main.lines().next().unwrap_or_default();
        assert!(first.starts_with("# Written by idp"), "{first}");
        assert!(!main.contains("\nresource"), "{main}");
        assert!(!main.contains('\u{2028}'), "{main}");
        let body: hcl::Body = hcl::from_str(&main).expect("main.tf parses");
        assert!(
            body.blocks().all(|b| b.identifier() != "resource"),
            "no block came from the version string"
        );
    }

    #[test]
    fn module_names_are_names_not_paths() {
        for bad in ["../../outside", "/etc", "a/b", "x\ny"] {
            let mut r = rendering();
            r.calls[0].module = bad.into();
            let err = emit(&env(), &r, |_| panic!("no module is read for {bad:?}")).expect_err(bad);
            assert!(matches!(err, EmitError::ModuleName { .. }), "{err}");
        }
        let mut r = rendering();
        r.outputs[0].output = "url\n}".into();
        assert!(matches!(
            emit(&env(), &r, modules),
            Err(EmitError::Identifier { .. })
        ));
    }

    #[test]
    fn broken_wiring_is_the_templates_fault() {
        let mut r = rendering();
        r.calls[1].wiring[0].from_call = "nope".into();
        assert!(matches!(
            emit(&env(), &r, modules),
            Err(EmitError::UnknownCall { .. })
        ));
        assert_eq!(hcl_string("a${b}%{c}\""), "\"a$${b}%%{c}\\\"\"");
    }
}
