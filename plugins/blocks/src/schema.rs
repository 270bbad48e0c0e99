//! Input-schema fragments the templates share, so a rule like "Fargate CPU sizes" is
//! described once. A template's `schema.json` writes `{"$block": "container", …}` where a
//! fragment goes (its own keys are merged in: more `properties`, more `required`, a
//! different `description`) and `"$common": true` inside `properties` for the fields
//! every AWS template has; `"$extras": true` adds the optional blocks of a web service
//! (`schema/extras.json`: buckets, notifications, files, email, auth, domain) and their
//! `usage` assumptions.

use idp_plugin_sdk::serde_json::{self, Map, Value};

const CONTAINER: &str = include_str!("../schema/container.json");
const WEB_SERVICE: &str = include_str!("../schema/web-service.json");
const NETWORK: &str = include_str!("../schema/network.json");
const COMMON: &str = include_str!("../schema/common.json");
const USAGE: &str = include_str!("../schema/usage.json");
const EXTRAS: &str = include_str!("../schema/extras.json");

/// The template's schema with every fragment in place; `{}` (accept anything) if the
/// text is not JSON, which the template's own unit test catches first.
pub fn expand(template_schema: &str) -> Value {
    let mut schema =
        serde_json::from_str(template_schema).unwrap_or_else(|_| Value::Object(Map::new()));
    expand_value(&mut schema);
    schema
}

fn fragment(name: &str) -> Value {
    let text = match name {
        "container" => CONTAINER,
        "network" => NETWORK,
        "web-service" => WEB_SERVICE,
        "usage" => USAGE,
        _ => "{}",
    };
    serde_json::from_str(text).unwrap_or_else(|_| Value::Object(Map::new()))
}

fn expand_value(value: &mut Value) {
    match value {
        Value::Object(map) => {
            // A fragment may itself build on another (web-service on container).
            while let Some(Value::String(block)) = map.remove("$block") {
                let own = std::mem::take(map);
                let Value::Object(mut base) = fragment(&block) else {
                    return;
                };
                merge(&mut base, own);
                *map = base;
            }
            if let Some(Value::Object(props)) = map.get_mut("properties")
                && props.remove("$common").is_some()
                && let Ok(Value::Object(common)) = serde_json::from_str::<Value>(COMMON)
            {
                for (k, v) in common {
                    props.entry(k).or_insert(v);
                }
            }
            // shift_remove keeps the template's own order (a plain remove swaps the last
            // field into the hole, which `idp catalog show` would list out of place).
            if let Some(Value::Object(props)) = map.get_mut("properties")
                && props.shift_remove("$extras").is_some()
            {
                add_extras(props);
            }
            map.values_mut().for_each(expand_value);
        }
        Value::Array(items) => items.iter_mut().for_each(expand_value),
        _ => {}
    }
}

/// The blocks of `schema/extras.json` beside the template's own properties, and their
/// usage fields in its `usage` (still a `$block`, whose own properties merge in).
fn add_extras(props: &mut Map<String, Value>) {
    let Ok(Value::Object(mut extras)) = serde_json::from_str::<Value>(EXTRAS) else {
        return;
    };
    if let Some(Value::Object(blocks)) = extras.remove("properties") {
        for (k, v) in blocks {
            props.entry(k).or_insert(v);
        }
    }
    if let Some(Value::Object(usage)) = extras.remove("usage") {
        let own = props
            .entry("usage")
            .or_insert_with(|| serde_json::json!({"$block": "usage"}));
        if let Value::Object(own) = own
            && let Value::Object(fields) = own
                .entry("properties")
                .or_insert_with(|| Value::Object(Map::new()))
        {
            fields.extend(usage);
        }
    }
}

fn merge(base: &mut Map<String, Value>, own: Map<String, Value>) {
    for (key, value) in own {
        match (key.as_str(), base.get_mut(&key), value) {
            ("properties", Some(Value::Object(props)), Value::Object(more)) => props.extend(more),
            ("required", Some(Value::Array(req)), Value::Array(more)) => req.extend(more),
            (_, _, value) => {
                base.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_gains_the_templates_own_fields() {
        let schema = expand(
            r#"{"type":"object","properties":{"$common":true,
                "service":{"$block":"container","description":"the web service",
                  "properties":{"port":{"type":"integer"}},"required":["port"]}}}"#,
        );
        let svc = &schema["properties"]["service"];
        assert_eq!(svc["description"], "the web service");
        assert_eq!(svc["properties"]["cpu"]["default"], 256);
        assert_eq!(svc["properties"]["port"]["type"], "integer");
        assert_eq!(svc["required"], serde_json::json!(["image", "port"]));
        assert!(svc.get("$block").is_none());
        assert_eq!(
            schema["properties"]["customer-managed-key"]["type"],
            "boolean"
        );
        assert!(schema["properties"].get("$common").is_none());
    }

    #[test]
    fn a_fragment_may_build_on_another() {
        let schema = expand(r#"{"properties":{"service":{"$block":"web-service"}}}"#);
        let svc = &schema["properties"]["service"];
        assert_eq!(svc["properties"]["image"]["type"], "string");
        assert_eq!(svc["properties"]["port"]["default"], 8080);
        assert_eq!(svc["required"], serde_json::json!(["image"]));
    }

    #[test]
    fn extras_add_the_blocks_and_their_usage_beside_the_templates_own() {
        let schema = expand(
            r#"{"properties":{"$common":true,"$extras":true,
                "usage":{"$block":"usage","properties":{"lcus":{"type":"number"}}}}}"#,
        );
        let props = &schema["properties"];
        for block in [
            "buckets",
            "notifications",
            "files",
            "email",
            "auth",
            "domain",
        ] {
            assert!(
                props[block]["description"].is_string(),
                "{block} is described"
            );
        }
        let usage = &props["usage"]["properties"];
        for field in ["lcus", "nat-gb", "bucket-gb", "users"] {
            assert!(usage[field].is_object(), "usage has {field}");
        }
        assert!(props.get("$extras").is_none());
        let order: Vec<&str> = props
            .as_object()
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(
            order[..3],
            ["usage", "customer-managed-key", "log-retention-days"],
            "the fields before keep their places, the blocks come after"
        );
    }

    #[test]
    fn every_extras_field_is_described() {
        fn walk(at: &str, v: &Value, out: &mut Vec<String>) {
            if let Some(Value::Object(props)) = v.get("properties") {
                for (k, f) in props {
                    if !f["description"].is_string() {
                        out.push(format!("{at}/{k}"));
                    }
                    walk(&format!("{at}/{k}"), f, out);
                }
            }
            for key in ["additionalProperties", "items"] {
                if let Some(inner) = v.get(key) {
                    walk(at, inner, out);
                }
            }
            if let Some(Value::Array(alts)) = v.get("anyOf") {
                alts.iter().for_each(|a| walk(at, a, out));
            }
        }
        let schema = expand(r#"{"properties":{"$extras":true}}"#);
        let mut undescribed = Vec::new();
        walk("", &schema, &mut undescribed);
        assert!(undescribed.is_empty(), "{undescribed:?}");
    }

    #[test]
    fn fragments_are_json() {
        for text in [CONTAINER, WEB_SERVICE, NETWORK, COMMON, USAGE, EXTRAS] {
            assert!(serde_json::from_str::<Value>(text).is_ok());
        }
    }
}
