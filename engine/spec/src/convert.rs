//! KDL nodes to JSON, by the rules in `docs/kdl-json.md`, recording where every JSON
//! pointer came from.

use std::collections::HashMap;

use kdl::{KdlEntry, KdlNode, KdlValue};
use miette::SourceSpan;
use serde_json::{Map, Number, Value};

use crate::{Problem, Problems, SourceFile};

/// The source spans of a JSON pointer: the key (node name or property name) and the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Spans {
    key: SourceSpan,
    value: SourceSpan,
}

/// Where each JSON pointer of a converted document came from, so any pointer (from a
/// schema error or a plugin finding) can be shown at its line and column.
#[derive(Debug, Clone)]
pub struct SpanMap {
    root: SourceSpan,
    spans: HashMap<String, Spans>,
}

impl SpanMap {
    /// A map whose fallback for unknown pointers is `root` (the environment's name).
    pub fn new(root: SourceSpan) -> Self {
        SpanMap {
            root,
            spans: HashMap::new(),
        }
    }

    /// Records the key and value spans of a pointer.
    pub fn insert(&mut self, pointer: impl Into<String>, key: SourceSpan, value: SourceSpan) {
        self.spans.insert(pointer.into(), Spans { key, value });
    }

    fn nearest(&self, pointer: &str) -> Option<(&Spans, bool)> {
        if let Some(s) = self.spans.get(pointer) {
            return Some((s, true));
        }
        let mut p = pointer;
        while let Some(cut) = p.rfind('/') {
            p = &p[..cut];
            if let Some(s) = self.spans.get(p) {
                return Some((s, false));
            }
        }
        None
    }

    /// The span of the value at `pointer`; for a pointer that does not exist (a missing
    /// field) the key of its nearest existing ancestor; else the root.
    pub fn value_span(&self, pointer: &str) -> SourceSpan {
        match self.nearest(pointer) {
            Some((s, true)) => s.value,
            Some((s, false)) => s.key,
            None => self.root,
        }
    }

    /// The span of the key at `pointer` (node or property name), or of its nearest ancestor.
    pub fn key_span(&self, pointer: &str) -> SourceSpan {
        self.nearest(pointer).map_or(self.root, |(s, _)| s.key)
    }
}

/// Escapes one RFC 6901 segment.
pub(crate) fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

fn sub_schema<'a>(schema: Option<&'a Value>, field: &str) -> Option<&'a Value> {
    schema?.get("properties")?.get(field)
}

fn schema_is(schema: Option<&Value>, ty: &str) -> bool {
    match schema.and_then(|s| s.get("type")) {
        Some(Value::String(t)) => t == ty,
        Some(Value::Array(ts)) => ts.iter().any(|t| t == ty),
        _ => false,
    }
}

/// Converts a KDL scalar; `None` for a float JSON cannot hold.
pub(crate) fn scalar(value: &KdlValue) -> Option<Value> {
    Some(match value {
        KdlValue::String(s) => Value::String(s.clone()),
        KdlValue::Integer(i) => match i64::try_from(*i) {
            Ok(i) => Value::Number(i.into()),
            Err(_) => Value::Number(Number::from_f64(*i as f64)?),
        },
        KdlValue::Float(f) => Value::Number(Number::from_f64(*f)?),
        KdlValue::Bool(b) => Value::Bool(*b),
        KdlValue::Null => Value::Null,
    })
}

struct Converter<'a> {
    source: &'a SourceFile,
    map: &'a mut SpanMap,
    problems: &'a mut Problems,
}

impl Converter<'_> {
    fn scalar(&mut self, entry: &KdlEntry) -> Value {
        scalar(entry.value()).unwrap_or_else(|| {
            self.problems.push(
                Problem::error(
                    self.source,
                    entry.span(),
                    "idp::spec::invalid_number",
                    "this number has no JSON form",
                )
                .help("use a finite number"),
            );
            Value::Null
        })
    }

    fn children(
        &mut self,
        nodes: &[&KdlNode],
        schema: Option<&Value>,
        base: &str,
    ) -> Map<String, Value> {
        // Grouped in first-seen order through an index: linear in the number of names.
        let mut groups: Vec<(&str, Vec<&KdlNode>)> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        for node in nodes {
            let name = node.name().value();
            match index.get(name) {
                Some(&i) => groups[i].1.push(node),
                None => {
                    index.insert(name, groups.len());
                    groups.push((name, vec![node]));
                }
            }
        }
        let mut object = Map::new();
        for (name, group) in groups {
            let pointer = format!("{base}/{}", escape(name));
            let field_schema = sub_schema(schema, name);
            let first = group[0];
            if group.len() > 1 || (schema_is(field_schema, "array") && is_block(first)) {
                let items = field_schema.and_then(|s| s.get("items"));
                self.map
                    .insert(pointer.clone(), first.name().span(), first.span());
                let values = group
                    .iter()
                    .enumerate()
                    .map(|(i, n)| {
                        let p = format!("{pointer}/{i}");
                        self.map.insert(p.clone(), n.name().span(), n.span());
                        self.node(n, items, &p)
                    })
                    .collect();
                object.insert(name.to_owned(), Value::Array(values));
            } else {
                let value = self.node(first, field_schema, &pointer);
                object.insert(name.to_owned(), value);
            }
        }
        object
    }

    fn node(&mut self, node: &KdlNode, schema: Option<&Value>, pointer: &str) -> Value {
        let args: Vec<&KdlEntry> = node
            .entries()
            .iter()
            .filter(|e| e.name().is_none())
            .collect();
        let props: Vec<&KdlEntry> = node
            .entries()
            .iter()
            .filter(|e| e.name().is_some())
            .collect();
        let children: Vec<&KdlNode> = node
            .children()
            .map(|d| d.nodes().iter().collect())
            .unwrap_or_default();
        let name = node.name().value();

        if !args.is_empty() && (!props.is_empty() || !children.is_empty()) {
            self.problems.push(
                Problem::error(
                    self.source,
                    node.span(),
                    "idp::spec::mixed_node",
                    format!("`{name}` mixes values with properties or children"),
                )
                .label("values and a block")
                .help(format!("write either `{name} VALUE` or `{name} {{ … }}`")),
            );
            return Value::Null;
        }
        if !props.is_empty() || !children.is_empty() {
            return self.object(node, props, &children, schema, pointer);
        }
        self.values(node, &args, schema, pointer)
    }

    /// A node with properties or children: one object of both, a key given both ways
    /// refused.
    fn object(
        &mut self,
        node: &KdlNode,
        props: Vec<&KdlEntry>,
        children: &[&KdlNode],
        schema: Option<&Value>,
        pointer: &str,
    ) -> Value {
        let name = node.name().value();
        self.map
            .insert(pointer.to_owned(), node.name().span(), node.span());
        let mut object = Map::new();
        for prop in props {
            let key = prop.name().map(|n| n.value()).unwrap_or_default();
            let p = format!("{pointer}/{}", escape(key));
            self.map.insert(p, prop.span(), prop.span());
            let v = self.scalar(prop);
            object.insert(key.to_owned(), v);
        }
        for (key, value) in self.children(children, schema, pointer) {
            if object.contains_key(&key) {
                let span = self.map.key_span(&format!("{pointer}/{}", escape(&key)));
                self.problems.push(
                    Problem::error(
                        self.source,
                        span,
                        "idp::spec::duplicate_field",
                        format!("`{key}` is given twice in `{name}`"),
                    )
                    .help("keep one: as a property `key=value` or as a child node"),
                );
            }
            object.insert(key, value);
        }
        Value::Object(object)
    }

    /// A node with values only: none is a flag (or an empty object or array, as the
    /// schema wants), one is a scalar (or a one-item array), several an array.
    fn values(
        &mut self,
        node: &KdlNode,
        args: &[&KdlEntry],
        schema: Option<&Value>,
        pointer: &str,
    ) -> Value {
        match args {
            [] => {
                self.map
                    .insert(pointer.to_owned(), node.name().span(), node.span());
                if schema_is(schema, "object") {
                    Value::Object(Map::new())
                } else if schema_is(schema, "array") {
                    Value::Array(Vec::new())
                } else {
                    Value::Bool(true)
                }
            }
            [one] => {
                self.map
                    .insert(pointer.to_owned(), node.name().span(), one.span());
                let v = self.scalar(one);
                if schema_is(schema, "array") {
                    Value::Array(vec![v])
                } else {
                    v
                }
            }
            many => {
                self.map
                    .insert(pointer.to_owned(), node.name().span(), node.span());
                Value::Array(
                    many.iter()
                        .enumerate()
                        .map(|(i, e)| {
                            self.map
                                .insert(format!("{pointer}/{i}"), e.span(), e.span());
                            self.scalar(e)
                        })
                        .collect(),
                )
            }
        }
    }
}

fn is_block(node: &KdlNode) -> bool {
    node.children().is_some() || node.entries().iter().any(|e| e.name().is_some())
}

/// Converts sibling nodes into a JSON object under `base` (`""` for the root), guided
/// by `schema` where a field is an array; records spans in `map` and problems in
/// `problems`.
pub fn nodes_to_json(
    nodes: &[&KdlNode],
    schema: Option<&Value>,
    base: &str,
    source: &SourceFile,
    map: &mut SpanMap,
    problems: &mut Problems,
) -> Map<String, Value> {
    Converter {
        source,
        map,
        problems,
    }
    .children(nodes, schema, base)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kdl::KdlDocument;
    use serde_json::json;

    fn convert(text: &str, schema: Option<Value>) -> (Value, SpanMap, Problems) {
        let doc: KdlDocument = text.parse().expect("valid KDL");
        let nodes: Vec<&KdlNode> = doc.nodes().iter().collect();
        let source = SourceFile::new("t.kdl", text);
        let mut map = SpanMap::new((0, 0).into());
        let mut problems = Problems::default();
        let object = nodes_to_json(
            &nodes,
            schema.as_ref(),
            "",
            &source,
            &mut map,
            &mut problems,
        );
        (Value::Object(object), map, problems)
    }

    #[test]
    fn follows_the_documented_rules() {
        let (json, _, problems) = convert(
            "scalar 1\nlist 1 2 3\nflag\nobj a=1 { b \"x\" }\nrepeated 1\nrepeated 2\nnothing #null\n",
            None,
        );
        assert!(problems.0.is_empty());
        assert_eq!(
            json,
            json!({"scalar": 1, "list": [1, 2, 3], "flag": true, "obj": {"a": 1, "b": "x"}, "repeated": [1, 2], "nothing": null})
        );
    }

    #[test]
    fn the_schema_decides_arrays_of_one() {
        let schema = json!({"type": "object", "properties": {
            "ports": {"type": "array"},
            "sidecar": {"type": "array", "items": {"type": "object"}}
        }});
        let (json, _, _) = convert("ports 80\nsidecar { image \"x\" }\n", Some(schema));
        assert_eq!(json, json!({"ports": [80], "sidecar": [{"image": "x"}]}));
    }

    #[test]
    fn pointers_map_to_value_spans() {
        let text = "service {\n    cpu \"lots\"\n}\n";
        let (_, map, _) = convert(text, None);
        let span = map.value_span("/service/cpu");
        assert_eq!(
            &text[span.offset()..span.offset() + span.len()].trim(),
            &"\"lots\""
        );
        let missing = map.value_span("/service/image");
        assert_eq!(
            &text[missing.offset()..missing.offset() + missing.len()],
            "service"
        );
    }

    #[test]
    fn mixed_nodes_are_reported() {
        let (_, _, problems) = convert("a 1 { b 2 }\n", None);
        assert_eq!(problems.0.len(), 1);
        assert_eq!(problems.0[0].code, "idp::spec::mixed_node");
    }
}
