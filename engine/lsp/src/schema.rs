//! Completion and hover from what idp already knows: the template's JSON Schema (its
//! `input_schema`, the same document `idp validate` checks inputs against), the names
//! idp reads itself, and the catalog's templates.

use lsp_types::{CompletionItem, CompletionItemKind, Documentation, MarkupContent, MarkupKind};
use serde_json::Value;

use crate::scan::Cursor;

/// What idp itself reads inside `environment`, with what hover says of each.
pub const RESERVED_DOCS: &[(&str, &str)] = &[
    (
        "template",
        "The catalog template that builds this environment (`version=\"^1\"` pins a semver range).",
    ),
    (
        "owner",
        "The owner's e-mail address: tagged on every resource, and who the expiry notice reaches.",
    ),
    ("team", "The owning team, tagged on every resource."),
    (
        "class",
        "Lifetime class: `preview` (default), `staging` or `production`; policies judge by it.",
    ),
    ("region", "The AWS region, such as `us-east-1`."),
    (
        "ttl",
        "How long the environment lives (`7d`, `12h`); the class's default when left out.",
    ),
    (
        "tags",
        "Extra tags, one `key value` per line; they win over the project's default tags.",
    ),
    (
        "waive",
        "`waive RULE reason=\"…\" owner=\"…\" until=\"YYYY-MM-DD\"`: an accepted exception to a policy rule.",
    ),
];

/// The lifetime classes, as `class` accepts them.
const CLASSES: &[&str] = &["preview", "staging", "production"];

/// The sub-schema at `path` below the input schema (the environment's block is the
/// root); `None` when the path leaves the schema.
pub fn at_path<'s>(schema: &'s Value, path: &[String]) -> Option<&'s Value> {
    let mut here = schema;
    for name in path {
        here = property(here, name)?;
    }
    Some(here)
}

/// A property of an object schema, looking through `items` (a repeated block) and
/// `allOf`/`anyOf`/`oneOf` alternatives.
fn property<'s>(schema: &'s Value, name: &str) -> Option<&'s Value> {
    let schema = schema.get("items").unwrap_or(schema);
    if let Some(p) = schema.get("properties").and_then(|p| p.get(name)) {
        return Some(p.get("items").filter(|_| is_array(p)).unwrap_or(p));
    }
    ["allOf", "anyOf", "oneOf"].iter().find_map(|k| {
        schema
            .get(*k)
            .and_then(Value::as_array)
            .and_then(|alts| alts.iter().find_map(|a| property(a, name)))
    })
}

fn is_array(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("array")
}

/// Every property name of an object schema, with its schema, in the schema's order.
fn properties(schema: &Value) -> Vec<(&String, &Value)> {
    let schema = schema.get("items").unwrap_or(schema);
    let mut out: Vec<(&String, &Value)> = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|m| m.iter().collect())
        .unwrap_or_default();
    for k in ["allOf", "anyOf", "oneOf"] {
        for alt in schema
            .get(k)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for (name, s) in properties(alt) {
                if !out.iter().any(|(n, _)| *n == name) {
                    out.push((name, s));
                }
            }
        }
    }
    out
}

/// Markdown for a property: its description, type, allowed values and default.
pub fn describe(name: &str, schema: &Value) -> String {
    let mut out = format!("**{name}**");
    if let Some(t) = schema.get("type").and_then(Value::as_str) {
        out.push_str(&format!(" ({t})"));
    }
    if let Some(d) = schema.get("description").and_then(Value::as_str) {
        out.push_str(&format!("\n\n{d}"));
    }
    if let Some(values) = enum_values(schema) {
        out.push_str(&format!("\n\nOne of: {}", values.join(", ")));
    }
    if let Some(d) = schema.get("default") {
        out.push_str(&format!("\n\nDefault: `{d}`"));
    }
    out
}

fn enum_values(schema: &Value) -> Option<Vec<String>> {
    let values = schema.get("enum")?.as_array()?;
    Some(values.iter().map(kdl_value).collect())
}

/// A JSON value as it is written in KDL: bare when it can be, else quoted.
fn kdl_value(v: &Value) -> String {
    match v {
        Value::String(s) if is_bare(s) => s.clone(),
        Value::Bool(b) => format!("#{b}"),
        Value::Null => "#null".to_owned(),
        other => other.to_string(),
    }
}

fn is_bare(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic())
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !matches!(s, "true" | "false" | "null" | "inf" | "nan")
}

/// Completion items at `cursor`: node names where a node starts, values after one.
/// `schema` is the environment's template's input schema when it is known; `templates`
/// the catalog's template names with their summaries.
pub fn complete(
    cursor: &Cursor,
    schema: Option<&Value>,
    templates: &[(String, String)],
) -> Vec<CompletionItem> {
    if cursor.too_deep {
        return Vec::new();
    }
    match (cursor.path.split_first(), cursor.before.first()) {
        (None, None) => vec![item("environment", CompletionItemKind::KEYWORD, None)],
        (Some(_), Some(node)) if cursor.before.len() == 1 => {
            values(&cursor.path[1..], node, schema, templates)
        }
        (Some(_), None) => node_names(&cursor.path[1..], schema),
        _ => Vec::new(),
    }
}

fn node_names(inner: &[String], schema: Option<&Value>) -> Vec<CompletionItem> {
    let mut items = Vec::new();
    if inner.is_empty() {
        for (name, doc) in RESERVED_DOCS {
            items.push(item(
                name,
                CompletionItemKind::KEYWORD,
                Some(doc.to_string()),
            ));
        }
    }
    let Some(here) = schema.and_then(|s| at_path(s, inner)) else {
        return items;
    };
    for (name, s) in properties(here) {
        let kind = if s.get("properties").is_some() || s.get("items").is_some() {
            CompletionItemKind::MODULE
        } else {
            CompletionItemKind::PROPERTY
        };
        items.push(item(name, kind, Some(describe(name, s))));
    }
    items
}

fn values(
    inner: &[String],
    node: &str,
    schema: Option<&Value>,
    templates: &[(String, String)],
) -> Vec<CompletionItem> {
    if inner.is_empty() {
        match node {
            "template" => {
                return templates
                    .iter()
                    .map(|(n, summary)| item(n, CompletionItemKind::VALUE, Some(summary.clone())))
                    .collect();
            }
            "class" => {
                return CLASSES
                    .iter()
                    .map(|c| item(c, CompletionItemKind::ENUM_MEMBER, None))
                    .collect();
            }
            _ => {}
        }
    }
    let mut path = inner.to_vec();
    path.push(node.to_owned());
    let Some(here) = schema.and_then(|s| at_path(s, &path)) else {
        return Vec::new();
    };
    let mut out: Vec<CompletionItem> = enum_values(here)
        .unwrap_or_default()
        .iter()
        .map(|v| item(v, CompletionItemKind::ENUM_MEMBER, None))
        .collect();
    if here.get("type").and_then(Value::as_str) == Some("boolean") {
        out.extend(["#true", "#false"].map(|b| item(b, CompletionItemKind::VALUE, None)));
    }
    out
}

fn item(label: &str, kind: CompletionItemKind, doc: Option<String>) -> CompletionItem {
    CompletionItem {
        label: label.to_owned(),
        kind: Some(kind),
        documentation: doc.map(|value| {
            Documentation::MarkupContent(MarkupContent {
                kind: MarkupKind::Markdown,
                value,
            })
        }),
        ..CompletionItem::default()
    }
}

/// Hover text for the word at `cursor` (`word` is its text): a reserved node's meaning,
/// or a template input's schema description and default.
pub fn hover(cursor: &Cursor, word: &str, schema: Option<&Value>) -> Option<String> {
    if cursor.too_deep || !cursor.before.is_empty() {
        return None;
    }
    let (_, inner) = cursor.path.split_first()?;
    if inner.is_empty()
        && let Some((_, doc)) = RESERVED_DOCS.iter().find(|(n, _)| *n == word)
    {
        return Some(format!("**{word}**\n\n{doc}"));
    }
    let mut path = inner.to_vec();
    path.push(word.to_owned());
    at_path(schema?, &path).map(|s| describe(word, s))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::scan;

    fn schema() -> Value {
        json!({"type": "object", "properties": {
            "service": {"type": "object", "properties": {
                "cpu": {"type": "integer", "description": "vCPU units", "default": 256},
                "protocol": {"type": "string", "enum": ["http", "grpc", "two words"]},
                "public": {"type": "boolean"}
            }},
            "routes": {"type": "array", "items": {"type": "object", "properties": {
                "path": {"type": "string"}
            }}}
        }})
    }

    fn labels(items: Vec<CompletionItem>) -> Vec<String> {
        items.into_iter().map(|i| i.label).collect()
    }

    fn at(text: &str) -> Cursor {
        let n = text.find('|').expect("cursor");
        scan::cursor(&text.replace('|', ""), n)
    }

    #[test]
    fn node_names_come_from_the_schema_at_the_block() {
        let s = schema();
        let names = labels(complete(
            &at("environment a {\n  service {\n    |"),
            Some(&s),
            &[],
        ));
        assert_eq!(names, ["cpu", "protocol", "public"]);
        let names = labels(complete(
            &at("environment a {\n  routes {\n    |"),
            Some(&s),
            &[],
        ));
        assert_eq!(names, ["path"]);
        let names = labels(complete(&at("environment a {\n  |"), Some(&s), &[]));
        assert!(
            names.starts_with(&["template".to_owned()]) && names.contains(&"service".to_owned())
        );
        assert_eq!(labels(complete(&at("|"), None, &[])), ["environment"]);
    }

    #[test]
    fn values_are_enums_booleans_classes_and_templates() {
        let s = schema();
        let t = [("api-service".to_owned(), "An API".to_owned())];
        let v = labels(complete(
            &at("environment a {\n service {\n  protocol |"),
            Some(&s),
            &t,
        ));
        assert_eq!(v, ["http", "grpc", "\"two words\""]);
        let v = labels(complete(
            &at("environment a {\n service {\n  public |"),
            Some(&s),
            &t,
        ));
        assert_eq!(v, ["#true", "#false"]);
        assert_eq!(
            labels(complete(&at("environment a {\n template |"), None, &t)),
            ["api-service"]
        );
        assert_eq!(
            labels(complete(&at("environment a {\n class p|"), None, &t)),
            CLASSES
        );
    }

    #[test]
    fn hover_shows_description_type_and_default() {
        let s = schema();
        let text = hover(
            &at("environment a {\n service {\n  |cpu 1"),
            "cpu",
            Some(&s),
        );
        assert_eq!(
            text.as_deref(),
            Some("**cpu** (integer)\n\nvCPU units\n\nDefault: `256`")
        );
        let text = hover(&at("environment a {\n |ttl \"1d\""), "ttl", None).expect("reserved");
        assert!(text.starts_with("**ttl**"), "{text}");
        assert_eq!(
            hover(&at("environment a {\n nope|"), "nope", Some(&s)),
            None
        );
    }
}
