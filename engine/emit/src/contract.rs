//! The contract between a template and the modules it calls, read from the modules' own
//! HCL: every variable a call sets is declared, every required one is set, every literal
//! value has the declared type, every wire and output names an output that exists.
//!
//! Checked on every emit, so a template and a module that drift apart (a variable renamed
//! on one side only) fail at plan time with a message naming both, never in a workflow.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use hcl::expr::{Expression, ObjectKey};
use idp_model::Rendering;
use serde_json::Value;

/// A module's declared interface: its variables and outputs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Interface {
    /// Variables by name.
    pub variables: BTreeMap<String, Variable>,
    /// Output names.
    pub outputs: BTreeSet<String>,
}

/// One `variable` block.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    /// The `type` constraint (`any` when absent).
    pub ty: Type,
    /// No `default`: a call must set it.
    pub required: bool,
}

/// An OpenTofu type constraint.
#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    /// `any`.
    Any,
    /// `string`.
    String,
    /// `number`.
    Number,
    /// `bool`.
    Bool,
    /// `list(T)`, `set(T)`.
    List(Box<Type>),
    /// `map(T)`.
    Map(Box<Type>),
    /// `tuple([…])`.
    Tuple(Vec<Type>),
    /// `object({…})`: attribute type and whether it is `optional(…)`.
    Object(BTreeMap<String, (Type, bool)>),
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Any => f.write_str("any"),
            Type::String => f.write_str("string"),
            Type::Number => f.write_str("number"),
            Type::Bool => f.write_str("bool"),
            Type::List(t) => write!(f, "list({t})"),
            Type::Map(t) => write!(f, "map({t})"),
            Type::Tuple(ts) => {
                let inner: Vec<String> = ts.iter().map(ToString::to_string).collect();
                write!(f, "tuple([{}])", inner.join(", "))
            }
            Type::Object(attrs) => {
                let inner: Vec<String> = attrs
                    .iter()
                    .map(|(k, (t, opt))| {
                        if *opt {
                            format!("{k} = optional({t})")
                        } else {
                            format!("{k} = {t}")
                        }
                    })
                    .collect();
                write!(f, "object({{{}}})", inner.join(", "))
            }
        }
    }
}

/// A module whose HCL could not be read as an interface.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {reason}")]
pub struct InterfaceError {
    /// The file inside the module.
    pub file: String,
    /// What is wrong.
    pub reason: String,
}

impl Interface {
    /// Reads the `variable` and `output` blocks of a module's `.tf` files.
    pub fn parse(files: &[(String, Vec<u8>)]) -> Result<Self, InterfaceError> {
        let mut interface = Interface::default();
        for (name, bytes) in files.iter().filter(|(n, _)| n.ends_with(".tf")) {
            let err = |reason: String| InterfaceError {
                file: name.clone(),
                reason,
            };
            let text = std::str::from_utf8(bytes).map_err(|e| err(e.to_string()))?;
            let body = hcl::parse(text).map_err(|e| err(e.to_string()))?;
            for block in body.blocks() {
                let Some(label) = block.labels().first().map(|l| l.as_str().to_owned()) else {
                    continue;
                };
                match block.identifier() {
                    "variable" => {
                        let mut ty = Type::Any;
                        let mut required = true;
                        for attr in block.body().attributes() {
                            match attr.key() {
                                "type" => {
                                    ty = parse_type(attr.expr()).map_err(|reason| {
                                        err(format!("variable `{label}`: {reason}"))
                                    })?;
                                }
                                "default" => required = false,
                                _ => {}
                            }
                        }
                        interface.variables.insert(label, Variable { ty, required });
                    }
                    "output" => {
                        interface.outputs.insert(label);
                    }
                    _ => {}
                }
            }
        }
        Ok(interface)
    }
}

fn parse_type(expr: &Expression) -> Result<Type, String> {
    match expr {
        Expression::Variable(v) => match v.as_str() {
            "any" => Ok(Type::Any),
            "string" => Ok(Type::String),
            "number" => Ok(Type::Number),
            "bool" => Ok(Type::Bool),
            other => Err(format!("unknown type `{other}`")),
        },
        Expression::FuncCall(call) => {
            let name = call.name.name.as_str();
            let arg = call
                .args
                .first()
                .ok_or_else(|| format!("`{name}(…)` needs an argument"))?;
            match name {
                "list" | "set" => Ok(Type::List(Box::new(parse_type(arg)?))),
                "map" => Ok(Type::Map(Box::new(parse_type(arg)?))),
                "optional" => parse_type(arg),
                "tuple" => match arg {
                    Expression::Array(items) => Ok(Type::Tuple(
                        items.iter().map(parse_type).collect::<Result<_, _>>()?,
                    )),
                    _ => Err("`tuple` takes a list of types".into()),
                },
                "object" => match arg {
                    Expression::Object(attrs) => {
                        let mut out = BTreeMap::new();
                        for (key, value) in attrs {
                            let key = match key {
                                ObjectKey::Identifier(id) => id.as_str().to_owned(),
                                ObjectKey::Expression(Expression::String(s)) => s.clone(),
                                other => return Err(format!("unsupported object key {other:?}")),
                            };
                            let optional = matches!(value, Expression::FuncCall(c) if c.name.name.as_str() == "optional");
                            out.insert(key, (parse_type(value)?, optional));
                        }
                        Ok(Type::Object(out))
                    }
                    _ => Err("`object` takes an object of attribute types".into()),
                },
                other => Err(format!("unknown type constructor `{other}`")),
            }
        }
        other => Err(format!("unsupported type expression {other:?}")),
    }
}

/// One way a rendering breaks a module's contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The module call.
    pub call: String,
    /// The module it calls.
    pub module: String,
    /// What is wrong, naming the variable or output on both sides.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "call `{}` (module `{}`): {}",
            self.call, self.module, self.message
        )
    }
}

/// Checks a rendering against the interfaces of the modules it calls. A call of a module
/// with no interface is skipped: emit reports the missing module itself.
pub fn check(rendering: &Rendering, interfaces: &BTreeMap<String, Interface>) -> Vec<Violation> {
    let module_of: BTreeMap<&str, &str> = rendering
        .calls
        .iter()
        .map(|c| (c.name.as_str(), c.module.as_str()))
        .collect();
    let mut out = Vec::new();
    for call in &rendering.calls {
        let Some(iface) = interfaces.get(&call.module) else {
            continue;
        };
        let mut violation = |message: String| {
            out.push(Violation {
                call: call.name.clone(),
                module: call.module.clone(),
                message,
            })
        };
        let wired: BTreeSet<&str> = call.wiring.iter().map(|w| w.variable.as_str()).collect();
        for name in call
            .variables
            .keys()
            .map(String::as_str)
            .chain(wired.iter().copied())
        {
            if !iface.variables.contains_key(name) {
                let hint = closest(name, iface.variables.keys())
                    .map(|c| format!("; the module declares `{c}` — was it renamed?"))
                    .unwrap_or_default();
                violation(format!(
                    "the template sets `{name}`, which module `{}` does not declare{hint}",
                    call.module
                ));
            }
        }
        for (name, var) in &iface.variables {
            let set = call.variables.contains_key(name) || wired.contains(name.as_str());
            if var.required && !set {
                let hint = closest(
                    name,
                    call.variables
                        .keys()
                        .chain(call.wiring.iter().map(|w| &w.variable)),
                )
                .map(|c| format!("; the template sets `{c}` instead"))
                .unwrap_or_default();
                violation(format!(
                    "module `{}` requires `{name}`, which the template does not set{hint}",
                    call.module
                ));
            }
            if let Some(value) = call.variables.get(name)
                && let Err(reason) = conforms(value, &var.ty, name)
            {
                violation(reason);
            }
        }
        for wire in &call.wiring {
            if let Some(from) = module_of.get(wire.from_call.as_str())
                && let Some(src) = interfaces.get(*from)
                && !src.outputs.contains(&wire.output)
            {
                violation(format!(
                    "`{}` is wired from output `{}` of call `{}`, which module `{from}` does not declare",
                    wire.variable, wire.output, wire.from_call
                ));
            }
        }
    }
    for output in &rendering.outputs {
        if let Some(module) = module_of.get(output.from_call.as_str())
            && let Some(iface) = interfaces.get(*module)
            && !iface.outputs.contains(&output.output)
        {
            out.push(Violation {
                call: output.from_call.clone(),
                module: (*module).to_owned(),
                message: format!(
                    "environment output `{}` reads `{}`, which module `{module}` does not declare",
                    output.name, output.output
                ),
            });
        }
    }
    out
}

fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a String>) -> Option<&'a str> {
    candidates
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.as_str())
}

impl Type {
    /// Whether a literal value has this type; the error names `path` and both types.
    pub fn admits(&self, value: &Value, path: &str) -> Result<(), String> {
        conforms(value, self, path)
    }
}

fn conforms(value: &Value, ty: &Type, path: &str) -> Result<(), String> {
    let mismatch = || {
        Err(format!(
            "`{path}` is {}, but the module declares it `{ty}`",
            describe(value)
        ))
    };
    match (ty, value) {
        (_, Value::Null) | (Type::Any, _) => Ok(()),
        (Type::String, Value::String(_))
        | (Type::Number, Value::Number(_))
        | (Type::Bool, Value::Bool(_)) => Ok(()),
        (Type::List(t), Value::Array(items)) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| conforms(v, t, &format!("{path}[{i}]"))),
        (Type::Tuple(ts), Value::Array(items)) if ts.len() == items.len() => items
            .iter()
            .zip(ts)
            .enumerate()
            .try_for_each(|(i, (v, t))| conforms(v, t, &format!("{path}[{i}]"))),
        (Type::Map(t), Value::Object(map)) => map
            .iter()
            .try_for_each(|(k, v)| conforms(v, t, &format!("{path}.{k}"))),
        (Type::Object(attrs), Value::Object(map)) => {
            if let Some(extra) = map.keys().find(|k| !attrs.contains_key(*k)) {
                return Err(format!(
                    "`{path}` has attribute `{extra}`, which the module's `{ty}` does not declare"
                ));
            }
            for (k, (t, optional)) in attrs {
                match map.get(k) {
                    Some(v) => conforms(v, t, &format!("{path}.{k}"))?,
                    None if *optional => {}
                    None => {
                        return Err(format!(
                            "`{path}` lacks attribute `{k}` that `{ty}` requires"
                        ));
                    }
                }
            }
            Ok(())
        }
        _ => mismatch(),
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the bool {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use idp_model::{ModuleCall, Output, Wire};

    fn fixture() -> Interface {
        let files = vec![
            (
                "variables.tf".to_owned(),
                include_bytes!("../fixtures/greeter/variables.tf").to_vec(),
            ),
            (
                "outputs.tf".to_owned(),
                include_bytes!("../fixtures/greeter/outputs.tf").to_vec(),
            ),
        ];
        Interface::parse(&files).expect("fixture parses")
    }

    fn call(vars: Value) -> ModuleCall {
        ModuleCall {
            name: "greet".into(),
            module: "greeter".into(),
            variables: vars.as_object().cloned().unwrap_or_default(),
            wiring: Vec::new(),
        }
    }

    fn violations(calls: Vec<ModuleCall>, outputs: Vec<Output>) -> Vec<String> {
        let rendering = Rendering {
            calls,
            bill: Vec::new(),
            outputs,
        };
        let interfaces = BTreeMap::from([("greeter".to_owned(), fixture())]);
        check(&rendering, &interfaces)
            .into_iter()
            .map(|v| v.message)
            .collect()
    }

    #[test]
    fn reads_types_defaults_and_outputs() {
        let i = fixture();
        assert_eq!(i.variables["name"].ty, Type::String);
        assert!(i.variables["name"].required);
        assert!(!i.variables["greeting_text"].required);
        assert_eq!(i.variables["labels"].ty.to_string(), "map(string)");
        assert_eq!(
            i.variables["scaling"].ty.to_string(),
            "object({max = optional(number), min = number})"
        );
        assert!(i.outputs.contains("message"));
    }

    #[test]
    fn a_matching_call_has_no_violations() {
        let v = violations(
            vec![call(serde_json::json!({
                "name": "a", "labels": {"k": "v"}, "scaling": {"min": 1}, "ports": [80, 443]
            }))],
            vec![Output {
                name: "msg".into(),
                from_call: "greet".into(),
                output: "message".into(),
            }],
        );
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn a_renamed_variable_names_both_sides() {
        // The module renamed `greeting` to `greeting_text`; the template still sets `greeting`.
        let v = violations(
            vec![call(serde_json::json!({"name": "a", "greeting": "hi"}))],
            vec![],
        );
        assert_eq!(
            v,
            [
                "the template sets `greeting`, which module `greeter` does not declare; the module declares `greeting_text` — was it renamed?"
            ]
        );
    }

    #[test]
    fn a_missing_required_variable_and_wrong_types_are_named() {
        let v = violations(
            vec![call(serde_json::json!({
                "labels": {"k": 1}, "scaling": {"max": 3}, "ports": ["80"]
            }))],
            vec![],
        );
        assert_eq!(
            v,
            [
                "`labels.k` is the number 1, but the module declares it `string`",
                "module `greeter` requires `name`, which the template does not set",
                "`ports[0]` is the string \"80\", but the module declares it `number`",
                "`scaling` lacks attribute `min` that `object({max = optional(number), min = number})` requires",
            ]
        );
    }

    #[test]
    fn wires_and_outputs_must_name_declared_outputs() {
        let mut c = call(serde_json::json!({}));
        c.wiring.push(Wire {
            variable: "name".into(),
            from_call: "greet".into(),
            output: "mesage".into(),
        });
        let v = violations(
            vec![c],
            vec![Output {
                name: "id".into(),
                from_call: "greet".into(),
                output: "id".into(),
            }],
        );
        assert_eq!(
            v,
            [
                "`name` is wired from output `mesage` of call `greet`, which module `greeter` does not declare",
                "environment output `id` reads `id`, which module `greeter` does not declare",
            ]
        );
    }
}
