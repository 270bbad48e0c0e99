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

    /// The schema node that holds the keyword at `schema_path` (an absolute location in
    /// the schema, as jsonschema reports it: `/properties/service/required` is held by
    /// `/properties/service`), so a map's entries and a branch's fields are found too.
    fn holder(&self, schema_path: &str) -> Option<&Value> {
        let parent = &schema_path[..schema_path.rfind('/')?];
        self.schema.pointer(parent)
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
        for error in self.compiled.iter_errors(instance) {
            self.report(&error, &mut findings);
        }
        findings.problems
    }

    /// Reports one error. A value that fails an `anyOf`/`oneOf` is judged by the one
    /// alternative whose `type` is the value's, with that branch's own errors: a block
    /// that fails `{true | {…}}` is reported field by field, at each field, rather than
    /// as "not valid under any of the schemas" at the block.
    fn report(&self, error: &jsonschema::ValidationError<'_>, f: &mut Findings) {
        use jsonschema::error::ValidationErrorKind as Kind;
        let at = error.instance_path().as_str().to_owned();
        let schema_path = error.schema_path().as_str().to_owned();
        let within = match at.as_str() {
            "" => String::new(),
            p => format!(" in `{}`", p.trim_start_matches('/').replace('/', ".")),
        };
        match error.kind() {
            Kind::AdditionalProperties { unexpected } => {
                self.unknown_fields(f, &at, &schema_path, &within, unexpected);
            }
            Kind::Required { property } => {
                self.missing_field(f, &at, &schema_path, &within, property);
            }
            Kind::AnyOf { context } | Kind::OneOfNotValid { context } => {
                match self.meant_branch(&schema_path, error.instance(), context) {
                    Some(branch) => branch.iter().for_each(|e| self.report(e, f)),
                    None => self.invalid_value(f, &at, &schema_path, error),
                }
            }
            _ => self.invalid_value(f, &at, &schema_path, error),
        }
    }

    /// The errors of the one alternative of the `anyOf`/`oneOf` at `schema_path` whose
    /// `type` is `value`'s (an object or an array); `None` when no single alternative
    /// is meant, or it reported nothing.
    fn meant_branch<'e>(
        &self,
        schema_path: &str,
        value: &Value,
        context: &'e [Vec<jsonschema::ValidationError<'static>>],
    ) -> Option<&'e [jsonschema::ValidationError<'static>]> {
        let kind = match value {
            Value::Object(_) => "object",
            Value::Array(_) => "array",
            _ => return None,
        };
        let alternatives = self.schema.pointer(schema_path)?.as_array()?;
        let mut meant = alternatives
            .iter()
            .enumerate()
            .filter(|(_, a)| a.get("type").and_then(Value::as_str) == Some(kind));
        match (meant.next(), meant.next()) {
            (Some((i, _)), None) => context.get(i).map(Vec::as_slice).filter(|b| !b.is_empty()),
            _ => None,
        }
    }

    /// One problem per field the schema does not allow at `at`, naming the fields it
    /// does (those of the node holding the `additionalProperties` at `schema_path`).
    fn unknown_fields(
        &self,
        f: &mut Findings,
        at: &str,
        schema_path: &str,
        within: &str,
        unexpected: &[String],
    ) {
        let what = f.what;
        let known: Vec<&str> = self
            .holder(schema_path)
            .and_then(|s| s.get("properties"))
            .and_then(Value::as_object)
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        for field in unexpected {
            let pointer = format!("{at}/{}", field.replace('~', "~0").replace('/', "~1"));
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
    /// since an unknown field of the same name already said it.
    fn missing_field(
        &self,
        f: &mut Findings,
        at: &str,
        schema_path: &str,
        within: &str,
        property: &Value,
    ) {
        let what = f.what;
        let field = property.as_str().unwrap_or_default();
        let pointer = format!("{at}/{field}");
        if !f.reported.insert(pointer) {
            return;
        }
        let desc = self
            .holder(schema_path)
            .and_then(|s| s.get("properties"))
            .and_then(|p| p.get(field))
            .and_then(|s| s.get("description"))
            .and_then(Value::as_str);
        f.problems.push(
            Problem::error(
                f.source,
                f.map.key_span(at),
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
    fn check_map(blocks: &str) -> Problems {
        let schema = json!({
            "type": "object",
            "properties": {"buckets": {
                "type": "object",
                "additionalProperties": {"anyOf": [
                    {"const": true, "description": "a bucket with every default"},
                    {"type": "object", "additionalProperties": false, "required": ["keep"],
                     "properties": {
                        "days": {"type": "integer", "description": "days to keep"},
                        "keep": {"type": "string", "description": "what to keep"}
                    }}
                ]}
            }}
        });
        validated(schema, &format!("{HEAD}  buckets {{\n{blocks}  }}\n}}\n"))
    }

    #[test]
    fn a_named_block_is_checked_field_by_field_not_as_a_whole() {
        let wrong = check_map("    a\n    b {\n      keep \"x\"\n      days \"soon\"\n    }\n");
        assert_eq!(wrong.0.len(), 1, "{:?}", wrong.0);
        assert_eq!(
            wrong.0[0].message,
            "invalid input `days` in `buckets.b`: \"soon\" is not of type \"integer\""
        );
        assert_eq!(wrong.0[0].line_col(), (9, 12));
        assert_eq!(wrong.0[0].help.as_deref(), Some("`days`: days to keep"));

        let unknown = check_map("    b {\n      keep \"x\"\n      dayz 3\n    }\n");
        assert_eq!(unknown.0.len(), 1, "{:?}", unknown.0);
        assert_eq!(unknown.0[0].message, "unknown input `dayz` in `buckets.b`");
        assert_eq!(unknown.0[0].help.as_deref(), Some("did you mean `days`?"));
        assert_eq!(unknown.0[0].line_col(), (8, 7));

        let missing = check_map("    b {\n      days 3\n    }\n");
        assert_eq!(missing.0.len(), 1, "{:?}", missing.0);
        assert_eq!(
            missing.0[0].message,
            "missing required input `keep` in `buckets.b`"
        );
        assert_eq!(
            missing.0[0].help.as_deref(),
            Some("add `keep`: what to keep")
        );
        assert_eq!(missing.0[0].line_col(), (6, 5));

        // A value no alternative's type takes stays one problem at the block.
        let neither = check_map("    b 5\n");
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
