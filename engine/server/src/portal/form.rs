//! The portal's form: a template's input JSON Schema as form fields, and a submitted
//! form as the KDL spec it stands for.
//!
//! The form never judges a value. What is typed goes into the spec as written (a
//! number where the schema wants one and the text parses as one, a string otherwise),
//! and the engine's own diagnostics come back; each is shown at the field whose node
//! sits on the diagnostic's line, because [`Spec::lines`] remembers which field wrote
//! which line. A browser's own validation is switched off (`novalidate`) for the same
//! reason: one set of rules, the engine's.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

/// The prefix of the form names of template inputs (`in.service.cpu`), so they never
/// clash with the reserved fields.
const INPUT: &str = "in.";

/// The reserved fields the form asks for, in the order a spec writes them.
pub(crate) const RESERVED: &[(&str, &str)] = &[
    (
        "name",
        "the environment's name: lowercase letters, digits and dashes",
    ),
    ("owner", "the owner's e-mail address"),
    ("team", "the team that owns it"),
    (
        "class",
        "preview, staging or production: decides the policies and the longest life",
    ),
    ("region", "the AWS region, such as `us-east-1`"),
    (
        "ttl",
        "how long it lives, such as `7d`; the class decides when empty",
    ),
    (
        "schedule-weekdays",
        "the hours it runs on weekdays, such as `08:00-20:00` (not production): scaled to zero outside them; around the clock when empty",
    ),
    (
        "schedule-timezone",
        "the time zone of those hours, such as `Europe/Berlin`",
    ),
    ("tags", "extra tags, one `key=value` a line"),
];

/// How a field is entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Kind {
    /// A line of text.
    Text,
    /// A whole number.
    Integer,
    /// A number.
    Number,
    /// True, false or the default.
    Boolean,
    /// One of a list.
    Choice,
    /// Several values, one a line.
    Lines,
    /// `key=value` pairs, one a line.
    Pairs,
}

/// One row of the form: a field, or the start or end of a group (a nested object).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Item {
    /// `field`, `open` or `close`.
    pub(crate) item: &'static str,
    /// The form name (`in.service.cpu`), unique in the form.
    pub(crate) name: String,
    /// What a person reads (`cpu`).
    pub(crate) label: String,
    /// How it is entered.
    pub(crate) kind: Kind,
    /// Whether the schema requires it.
    pub(crate) required: bool,
    /// The schema's default, as text.
    pub(crate) default: Option<String>,
    /// The schema's description.
    pub(crate) description: String,
    /// The choices of a [`Kind::Choice`].
    pub(crate) choices: Vec<String>,
    /// What was submitted.
    pub(crate) value: String,
    /// The engine's messages about it.
    pub(crate) errors: Vec<String>,
}

impl Item {
    fn field(name: String, label: &str, kind: Kind) -> Item {
        Item {
            item: "field",
            name,
            label: label.to_owned(),
            kind,
            required: false,
            default: None,
            description: String::new(),
            choices: Vec::new(),
            value: String::new(),
            errors: Vec::new(),
        }
    }
}

/// The items of a template's form: the reserved fields, then its inputs as the schema
/// nests them.
pub(crate) fn items(schema: &Value) -> Vec<Item> {
    let mut out: Vec<Item> = RESERVED
        .iter()
        .map(|(name, description)| reserved(name, description))
        .collect();
    inputs(schema, INPUT, 0, &mut out);
    out
}

fn reserved(name: &str, description: &str) -> Item {
    let kind = match name {
        "class" => Kind::Choice,
        "tags" => Kind::Pairs,
        _ => Kind::Text,
    };
    let label = name.replace("schedule-", "schedule: ");
    let mut item = Item::field(name.to_owned(), &label, kind);
    item.description = description.to_owned();
    item.required = matches!(name, "name" | "owner" | "team" | "region");
    if name == "class" {
        item.choices = ["preview", "staging", "production"]
            .map(String::from)
            .to_vec();
        item.default = Some("preview".to_owned());
    }
    item
}

/// Deep enough for any real schema; a deeper (hostile) one is cut off, not followed.
const MAX_DEPTH: usize = 6;

fn inputs(schema: &Value, prefix: &str, depth: usize, out: &mut Vec<Item>) {
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for (key, sub) in props {
        let name = format!("{prefix}{key}");
        let is_required = required.contains(&key.as_str());
        let nested = sub.get("properties").and_then(Value::as_object).is_some();
        if nested && depth < MAX_DEPTH {
            let mut open = Item::field(name.clone(), key, Kind::Text);
            open.item = "open";
            open.required = is_required;
            open.description = text_of(sub.get("description"));
            out.push(open);
            inputs(sub, &format!("{name}."), depth + 1, out);
            let mut close = Item::field(name, key, Kind::Text);
            close.item = "close";
            out.push(close);
        } else if !nested {
            out.push(leaf(name, key, sub, is_required));
        }
    }
}

fn leaf(name: String, key: &str, schema: &Value, required: bool) -> Item {
    let choices: Vec<String> = schema
        .get("enum")
        .and_then(Value::as_array)
        .map(|e| e.iter().map(|v| text_of(Some(v))).collect())
        .unwrap_or_default();
    let kind = if !choices.is_empty() {
        Kind::Choice
    } else {
        match schema.get("type").and_then(Value::as_str) {
            Some("integer") => Kind::Integer,
            Some("number") => Kind::Number,
            Some("boolean") => Kind::Boolean,
            Some("array") => Kind::Lines,
            Some("object") => Kind::Pairs,
            _ => Kind::Text,
        }
    };
    let mut item = Item::field(name, key, kind);
    item.required = required;
    item.choices = choices;
    item.description = text_of(schema.get("description"));
    item.default = schema
        .get("default")
        .filter(|d| !d.as_object().is_some_and(|o| o.is_empty()))
        .map(|d| text_of(Some(d)));
    item
}

/// A JSON value as a person reads it: strings bare, the rest as JSON.
fn text_of(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// A submitted form, field by field (the last of a repeated name wins).
pub(crate) type Submitted = BTreeMap<String, String>;

/// The spec a form stands for, and which form field wrote each of its lines.
#[derive(Debug, Clone, Default)]
pub(crate) struct Spec {
    /// The KDL text.
    pub(crate) text: String,
    /// For each line (1-based: index 0 is line 1), the form name it belongs to, if any.
    pub(crate) lines: Vec<Option<String>>,
    /// Problems with the form itself that the spec cannot carry (a `tags` line without
    /// `=`), by form name.
    pub(crate) local: Vec<(String, String)>,
}

impl Spec {
    fn line(&mut self, depth: usize, text: &str, field: Option<&str>) {
        for _ in 0..depth {
            self.text.push_str("    ");
        }
        self.text.push_str(text);
        self.text.push('\n');
        self.lines.push(field.map(str::to_owned));
    }

    /// The form name that wrote `line` (1-based).
    pub(crate) fn field_at(&self, line: usize) -> Option<&str> {
        line.checked_sub(1)
            .and_then(|i| self.lines.get(i))
            .and_then(Option::as_deref)
    }
}

/// The spec of a submitted form for `template`, with the items telling each input's kind.
pub(crate) fn to_spec(template: &str, items: &[Item], form: &Submitted) -> Spec {
    let mut spec = Spec::default();
    let get = |name: &str| form.get(name).map(|v| v.trim()).unwrap_or_default();
    let name = get("name");
    let header = format!(
        "environment {} {{",
        key(if name.is_empty() { "unnamed" } else { name })
    );
    spec.line(0, &header, Some("name"));
    spec.line(1, &format!("template {}", string(template)), None);
    for field in ["owner", "team", "class", "region", "ttl"] {
        let value = get(field);
        if !value.is_empty() {
            spec.line(1, &format!("{field} {}", string(value)), Some(field));
        }
    }
    schedule(
        &mut spec,
        get("schedule-weekdays"),
        get("schedule-timezone"),
    );
    pairs(&mut spec, 1, "tags", get("tags"));
    let mut depth = 1;
    for item in items.iter().filter(|i| i.name.starts_with(INPUT)) {
        depth = input(&mut spec, depth, item, form);
    }
    spec.line(0, "}", None);
    spec
}

/// `schedule { weekdays …; timezone … }` when either is given (the engine names what
/// is missing).
fn schedule(spec: &mut Spec, weekdays: &str, timezone: &str) {
    if weekdays.is_empty() && timezone.is_empty() {
        return;
    }
    spec.line(1, "schedule {", Some("schedule-weekdays"));
    if !weekdays.is_empty() {
        spec.line(
            2,
            &format!("weekdays {}", string(weekdays)),
            Some("schedule-weekdays"),
        );
    }
    if !timezone.is_empty() {
        spec.line(
            2,
            &format!("timezone {}", string(timezone)),
            Some("schedule-timezone"),
        );
    }
    spec.line(1, "}", None);
}

/// Writes one input item; returns the depth after it.
fn input(spec: &mut Spec, depth: usize, item: &Item, form: &Submitted) -> usize {
    match item.item {
        "open" => {
            if group_has_values(&item.name, form) {
                spec.line(depth, &format!("{} {{", key(&item.label)), Some(&item.name));
                return depth + 1;
            }
            // An empty group is not written at all: its fields take their defaults.
            depth
        }
        "close" => {
            if group_has_values(&item.name, form) {
                spec.line(depth - 1, "}", None);
                return depth - 1;
            }
            depth
        }
        _ => {
            let value = form.get(&item.name).map(|v| v.trim()).unwrap_or_default();
            match item.kind {
                _ if value.is_empty() => {}
                Kind::Pairs => pairs(spec, depth, &item.name, value),
                Kind::Lines => {
                    let values: Vec<String> = value
                        .lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(string)
                        .collect();
                    let text = format!("{} {}", key(&item.label), values.join(" "));
                    spec.line(depth, &text, Some(&item.name));
                }
                _ => {
                    let text = format!("{} {}", key(&item.label), scalar(&item.kind, value));
                    spec.line(depth, &text, Some(&item.name));
                }
            }
            depth
        }
    }
}

fn group_has_values(group: &str, form: &Submitted) -> bool {
    let prefix = format!("{group}.");
    form.iter()
        .any(|(k, v)| k.starts_with(&prefix) && !v.trim().is_empty())
}

/// `key=value` lines as a block of child nodes.
fn pairs(spec: &mut Spec, depth: usize, field: &str, text: &str) {
    let mut entries = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match line.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => entries.push((k.trim(), v.trim())),
            _ => spec.local.push((
                field.to_owned(),
                format!("`{line}` is not `key=value`; write one pair a line"),
            )),
        }
    }
    if entries.is_empty() {
        return;
    }
    let label = field.rsplit('.').next().unwrap_or(field);
    spec.line(depth, &format!("{} {{", key(label)), Some(field));
    for (k, v) in entries {
        spec.line(depth + 1, &format!("{} {}", key(k), string(v)), Some(field));
    }
    spec.line(depth, "}", None);
}

/// A value as the schema's kind wants it, when the text is one: else a string, which
/// the engine then refuses with its own message.
fn scalar(kind: &Kind, value: &str) -> String {
    let numeric = match kind {
        Kind::Integer => value.parse::<i64>().is_ok(),
        Kind::Number => value.parse::<f64>().is_ok_and(f64::is_finite),
        Kind::Choice => value.parse::<f64>().is_ok_and(f64::is_finite),
        _ => false,
    };
    let boolean = matches!(kind, Kind::Boolean | Kind::Choice) && matches!(value, "true" | "false");
    if numeric || boolean {
        if boolean {
            format!("#{value}")
        } else {
            value.to_owned()
        }
    } else {
        string(value)
    }
}

/// A KDL string, every character that could end it or break the line escaped.
pub(crate) fn string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || idp_model::is_invisible_format(c) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A node name: bare when it is a plain identifier, else a string.
fn key(name: &str) -> String {
    let plain = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !matches!(name, "true" | "false" | "null" | "inf" | "nan");
    if plain { name.to_owned() } else { string(name) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type": "object",
            "required": ["service"],
            "properties": {
                "service": {
                    "type": "object",
                    "required": ["image"],
                    "properties": {
                        "image": {"type": "string", "description": "the image"},
                        "cpu": {"type": "integer", "enum": [256, 512], "default": 256},
                        "memory": {"type": "integer", "default": 512},
                        "env": {"type": "object", "additionalProperties": {"type": "string"}, "default": {}}
                    }
                },
                "flow-logs": {"type": "boolean", "default": false},
                "subscribers": {"type": "array", "items": {"type": "string"}}
            }
        })
    }

    fn form(pairs: &[(&str, &str)]) -> Submitted {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_schema_becomes_fields_in_groups_with_their_kinds_defaults_and_requirements() {
        let items = items(&schema());
        let names: Vec<(&str, &str)> = items.iter().map(|i| (i.item, i.name.as_str())).collect();
        assert!(names.contains(&("open", "in.service")));
        assert!(names.contains(&("field", "in.service.image")));
        assert!(names.contains(&("close", "in.service")));
        let cpu = items
            .iter()
            .find(|i| i.name == "in.service.cpu")
            .expect("cpu");
        assert_eq!(cpu.kind, Kind::Choice);
        assert_eq!(cpu.choices, ["256", "512"]);
        assert_eq!(cpu.default.as_deref(), Some("256"));
        let image = items
            .iter()
            .find(|i| i.name == "in.service.image")
            .expect("image");
        assert!(image.required);
        assert_eq!(image.description, "the image");
        let env = items
            .iter()
            .find(|i| i.name == "in.service.env")
            .expect("env");
        assert_eq!((env.kind.clone(), env.default.clone()), (Kind::Pairs, None));
        assert!(
            items
                .iter()
                .any(|i| i.name == "class" && i.kind == Kind::Choice)
        );
    }

    #[test]
    fn a_form_becomes_the_spec_it_stands_for_with_each_line_traced_to_its_field() {
        let items = items(&schema());
        let spec = to_spec(
            "api-service",
            &items,
            &form(&[
                ("name", "orders-preview"),
                ("owner", "alice@acme.io"),
                ("team", "payments"),
                ("class", "preview"),
                ("region", "us-east-1"),
                ("ttl", ""),
                ("schedule-weekdays", "08:00-20:00"),
                ("schedule-timezone", "Europe/Berlin"),
                ("tags", "cost-center=engineering"),
                ("in.service.image", "nginx:1.27"),
                ("in.service.cpu", "512"),
                ("in.service.memory", "lots"),
                ("in.service.env", "A=1\nB = two"),
                ("in.flow-logs", "true"),
                ("in.subscribers", "a@x.io\nb@x.io"),
            ]),
        );
        let expected = r#"environment orders-preview {
    template "api-service"
    owner "alice@acme.io"
    team "payments"
    class "preview"
    region "us-east-1"
    schedule {
        weekdays "08:00-20:00"
        timezone "Europe/Berlin"
    }
    tags {
        cost-center "engineering"
    }
    service {
        image "nginx:1.27"
        cpu 512
        memory "lots"
        env {
            A "1"
            B "two"
        }
    }
    flow-logs #true
    subscribers "a@x.io" "b@x.io"
}
"#;
        assert_eq!(spec.text, expected);
        assert_eq!(spec.field_at(1), Some("name"));
        assert_eq!(spec.field_at(17), Some("in.service.memory"));
        assert_eq!(spec.field_at(14), Some("in.service"));
        assert_eq!(spec.field_at(9), Some("schedule-timezone"));
        assert_eq!(spec.field_at(25), None);
        assert!(spec.local.is_empty());
    }

    #[test]
    fn hostile_text_stays_inside_its_string_and_bad_pairs_are_named() {
        let items = items(&schema());
        let spec = to_spec(
            "t",
            &items,
            &form(&[
                ("name", "x\" { evil }"),
                ("owner", "a\"\n}\nenvironment other {"),
                ("tags", "no-equals-sign\nk=v"),
            ]),
        );
        assert_eq!(spec.text.lines().count(), spec.lines.len());
        assert!(spec.text.starts_with("environment \"x\\\" { evil }\" {\n"));
        assert!(
            spec.text
                .contains("owner \"a\\\"\\n}\\nenvironment other {\"\n")
        );
        assert_eq!(spec.local.len(), 1);
        assert_eq!(spec.local[0].0, "tags");
    }
}
