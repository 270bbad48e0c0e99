//! Template inputs (or policy settings) against a JSON Schema, with every error mapped
//! back to the KDL that caused it and the schema's `description` as help.

use serde_json::Value;

use crate::{Problem, Problems, SourceFile, SpanMap, did_you_mean};

/// A schema that does not compile: the plugin's fault, not the user's.
#[derive(Debug, thiserror::Error)]
#[error("invalid JSON Schema: {0}")]
pub struct SchemaError(pub String);

/// A compiled schema.
pub struct Validator {
    schema: Value,
    compiled: jsonschema::Validator,
}

fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

fn last_segment(pointer: &str) -> Option<String> {
    pointer
        .rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .map(unescape)
}

impl Validator {
    /// Compiles a schema.
    pub fn new(schema: Value) -> Result<Validator, SchemaError> {
        let compiled =
            jsonschema::validator_for(&schema).map_err(|e| SchemaError(e.to_string()))?;
        Ok(Validator { schema, compiled })
    }

    /// The schema.
    pub fn schema(&self) -> &Value {
        &self.schema
    }

    /// The schema of the object at an instance pointer (following `properties` and `items`).
    fn schema_at(&self, instance_pointer: &str) -> Option<&Value> {
        let mut s = &self.schema;
        for seg in instance_pointer.split('/').skip(1) {
            let seg = unescape(seg);
            s = match s.get("properties").and_then(|p| p.get(&seg)) {
                Some(sub) => sub,
                None => s.get("items")?,
            };
        }
        Some(s)
    }

    /// The nearest `description` at or above a schema location, skipping the keyword.
    fn description(&self, schema_pointer: &str) -> Option<&str> {
        let mut p = schema_pointer;
        while let Some(cut) = p.rfind('/') {
            p = &p[..cut];
            if let Some(d) = self
                .schema
                .pointer(p)
                .and_then(|s| s.get("description"))
                .and_then(Value::as_str)
            {
                return Some(d);
            }
        }
        None
    }

    /// Validates `instance`, reporting each problem at its span in `source`; `what` names
    /// the document in messages (`input`, `setting`).
    pub fn validate(
        &self,
        instance: &Value,
        map: &SpanMap,
        source: &SourceFile,
        what: &str,
    ) -> Problems {
        let mut findings = Findings {
            map,
            source,
            what,
            reported: std::collections::HashSet::new(),
            problems: Problems::default(),
        };
        self.report(instance, "", &mut findings);
        findings.problems
    }

    /// Reports each error of `instance`, which stands at `prefix` in the document
    /// (`""` for the whole): pointers into this schema are relative to `instance`,
    /// pointers into the document (spans, messages) are `prefix` + relative.
    fn report(&self, instance: &Value, prefix: &str, findings: &mut Findings) {
        use jsonschema::error::ValidationErrorKind as Kind;
        for error in self.compiled.iter_errors(instance) {
            let rel = error.instance_path().as_str().to_owned();
            let at = format!("{prefix}{rel}");
            let schema_path = error.schema_path().as_str().to_owned();
            let within = match at.as_str() {
                "" => String::new(),
                p => format!(" in `{}`", p.trim_start_matches('/').replace('/', ".")),
            };
            let narrowed = match error.kind() {
                Kind::AnyOf { .. } | Kind::OneOfNotValid { .. } => instance
                    .pointer(&rel)
                    .and_then(|value| Some((self.alternative(&schema_path, value)?, value))),
                _ => None,
            };
            match error.kind() {
                Kind::AdditionalProperties { unexpected } => {
                    self.unknown_fields(findings, &rel, &within, unexpected, prefix);
                }
                Kind::Required { property } => {
                    self.missing_field(findings, &rel, &within, property, prefix);
                }
                _ => match narrowed {
                    Some((alternative, value)) => alternative.report(value, &at, findings),
                    None => self.invalid_value(findings, &at, &schema_path, &error),
                },
            }
        }
    }

    /// The one alternative of the `anyOf`/`oneOf` at `schema_path` whose `type` is the
    /// value's, compiled on its own: a block that fails `{true | {…}}` is reported
    /// field by field against the object's schema, rather than as "not valid under any
    /// of the schemas". `None` when no single alternative is meant, or it does not
    /// compile alone (it refers elsewhere in the schema).
    fn alternative(&self, schema_path: &str, value: &Value) -> Option<Validator> {
        let kind = match value {
            Value::Object(_) => "object",
            Value::Array(_) => "array",
            _ => return None,
        };
        let alternatives = self.schema.pointer(schema_path)?.as_array()?;
        let mut meant = alternatives
            .iter()
            .filter(|a| a.get("type").and_then(Value::as_str) == Some(kind));
        match (meant.next(), meant.next()) {
            (Some(one), None) => Validator::new(one.clone()).ok(),
            _ => None,
        }
    }

    /// One problem per field the schema does not allow at `at` (relative to this
    /// schema's instance, which stands at `prefix`), naming the fields it does.
    fn unknown_fields(
        &self,
        f: &mut Findings,
        at: &str,
        within: &str,
        unexpected: &[String],
        prefix: &str,
    ) {
        let what = f.what;
        let known: Vec<&str> = self
            .schema_at(at)
            .and_then(|s| s.get("properties"))
            .and_then(Value::as_object)
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        for field in unexpected {
            let pointer = format!(
                "{prefix}{at}/{}",
                field.replace('~', "~0").replace('/', "~1")
            );
            f.reported.insert(pointer.clone());
            let help = match did_you_mean(field, known.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None if known.is_empty() => format!("this takes no {what}s"),
                None => format!(
                    "valid {what}s here: {}",
                    known
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            f.problems.push(
                Problem::error(
                    f.source,
                    f.map.key_span(&pointer),
                    "idp::spec::unknown_field",
                    format!("unknown {what} `{field}`{within}"),
                )
                .label("not in the schema")
                .help(help),
            );
        }
    }

    /// A required field that is absent, with its `description` as help; once per pointer,
    /// since an unknown field of the same name already said it. `at` as for
    /// [`Validator::unknown_fields`].
    fn missing_field(
        &self,
        f: &mut Findings,
        at: &str,
        within: &str,
        property: &Value,
        prefix: &str,
    ) {
        let what = f.what;
        let field = property.as_str().unwrap_or_default();
        let pointer = format!("{prefix}{at}/{field}");
        if !f.reported.insert(pointer) {
            return;
        }
        let desc = self
            .schema_at(at)
            .and_then(|s| s.get("properties"))
            .and_then(|p| p.get(field))
            .and_then(|s| s.get("description"))
            .and_then(Value::as_str);
        f.problems.push(
            Problem::error(
                f.source,
                f.map.key_span(&format!("{prefix}{at}")),
                "idp::spec::missing_field",
                format!("missing required {what} `{field}`{within}"),
            )
            .label(format!("needs `{field}`"))
            .help(match desc {
                Some(d) => format!("add `{field}`: {d}"),
                None => format!("add `{field}`"),
            }),
        );
    }

    /// Any other error: the first one at a pointer, at its value.
    fn invalid_value(
        &self,
        f: &mut Findings,
        at: &str,
        schema_path: &str,
        error: &jsonschema::ValidationError<'_>,
    ) {
        let what = f.what;
        if !f.reported.insert(at.to_owned()) {
            return;
        }
        let field = last_segment(at).unwrap_or_else(|| what.to_owned());
        let help = self
            .description(schema_path)
            .map(|d| format!("`{field}`: {d}"));
        f.problems.push(
            Problem::error(
                f.source,
                f.map.value_span(at),
                "idp::spec::invalid_value",
                format!(
                    "invalid {what} `{field}`{}: {error}",
                    if at.matches('/').count() > 1 {
                        within_parent(at)
                    } else {
                        String::new()
                    }
                ),
            )
            .label("invalid")
            .maybe_help(help),
        );
    }
}

/// What every problem of one validation needs, and the pointers already reported (a
/// pointer gets one problem).
struct Findings<'a> {
    map: &'a SpanMap,
    source: &'a SourceFile,
    what: &'a str,
    reported: std::collections::HashSet<String>,
    problems: Problems,
}

fn within_parent(pointer: &str) -> String {
    let parent = &pointer[..pointer.rfind('/').unwrap_or(0)];
    format!(" in `{}`", parent.trim_start_matches('/').replace('/', "."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SpecFile;
    use serde_json::json;

    fn check(text: &str) -> Problems {
        let schema = json!({
            "type": "object", "additionalProperties": false, "required": ["service"],
            "properties": {"service": {
                "type": "object", "additionalProperties": false, "required": ["image"],
                "properties": {
                    "image": {"type": "string", "description": "container image"},
                    "cpu": {"type": "integer", "description": "CPU units"}
                }
            }}
        });
        validated(schema, text)
    }

    /// The problems of the one environment in `text` against `schema`.
    fn validated(schema: Value, text: &str) -> Problems {
        let spec = SpecFile::parse(SourceFile::new("env.kdl", text)).expect("parses");
        let env = &spec.environments[0];
        let (inputs, map) = env.inputs(Some(&schema), &spec.source).expect("converts");
        Validator::new(schema)
            .expect("schema")
            .validate(&inputs, &map, &spec.source, "input")
    }

    const HEAD: &str = "environment e {\n  template t\n  owner \"a@b.io\"\n  region us-east-1\n";

    #[test]
    fn a_wrong_type_points_at_the_value() {
        let p = check(&format!(
            "{HEAD}  service {{\n    image \"x\"\n    cpu \"lots\"\n  }}\n}}\n"
        ));
        assert_eq!(p.0.len(), 1);
        assert_eq!(
            p.0[0].message,
            "invalid input `cpu` in `service`: \"lots\" is not of type \"integer\""
        );
        assert_eq!(p.0[0].line_col(), (7, 9));
        assert_eq!(p.0[0].help.as_deref(), Some("`cpu`: CPU units"));
    }

    #[test]
    fn unknown_fields_get_a_suggestion() {
        let p = check(&format!(
            "{HEAD}  service {{\n    image \"x\"\n    cpuu 1\n  }}\n}}\n"
        ));
        assert_eq!(p.0[0].message, "unknown input `cpuu` in `service`");
        assert_eq!(p.0[0].help.as_deref(), Some("did you mean `cpu`?"));
        assert_eq!(p.0[0].line_col(), (7, 5));
    }

    /// A map of named blocks, each `name` alone or `name { … }`, as the built-in
    /// templates' `buckets` are.
    fn check_map(text: &str) -> Problems {
        let schema = json!({
            "type": "object",
            "properties": {"buckets": {
                "type": "object",
                "additionalProperties": {"anyOf": [
                    {"const": true, "description": "a bucket with every default"},
                    {"type": "object", "additionalProperties": false, "properties": {
                        "days": {"type": "integer", "description": "days to keep"}
                    }}
                ]}
            }}
        });
        validated(schema, text)
    }

    #[test]
    fn a_named_block_is_checked_field_by_field_not_as_a_whole() {
        let wrong = check_map(&format!(
            "{HEAD}  buckets {{
    a
    b {{
      days \"soon\"
    }}
  }}
}}
"
        ));
        assert_eq!(wrong.0.len(), 1, "{:?}", wrong.0);
        assert_eq!(
            wrong.0[0].message,
            "invalid input `days` in `buckets.b`: \"soon\" is not of type \"integer\""
        );
        assert_eq!(wrong.0[0].line_col(), (8, 12));
        assert_eq!(wrong.0[0].help.as_deref(), Some("`days`: days to keep"));

        let unknown = check_map(&format!(
            "{HEAD}  buckets {{
    b {{
      dayz 3
    }}
  }}
}}
"
        ));
        assert_eq!(unknown.0[0].message, "unknown input `dayz` in `buckets.b`");
        assert_eq!(unknown.0[0].help.as_deref(), Some("did you mean `days`?"));
        assert_eq!(unknown.0[0].line_col(), (7, 7));

        // A value no alternative's type takes stays one problem at the block.
        let neither = check_map(&format!(
            "{HEAD}  buckets {{
    b 5
  }}
}}
"
        ));
        assert_eq!(neither.0.len(), 1);
        assert!(
            neither.0[0]
                .message
                .starts_with("invalid input `b` in `buckets`")
        );
    }

    #[test]
    fn missing_required_points_at_the_parent() {
        let p = check(&format!("{HEAD}  service {{\n    cpu 1\n  }}\n}}\n"));
        assert_eq!(
            p.0[0].message,
            "missing required input `image` in `service`"
        );
        assert_eq!(p.0[0].help.as_deref(), Some("add `image`: container image"));
        assert_eq!(p.0[0].line_col(), (5, 3));
        let root = check(&format!("{HEAD}}}\n"));
        assert_eq!(root.0[0].message, "missing required input `service`");
        assert_eq!(root.0[0].line_col(), (1, 13));
    }
}
