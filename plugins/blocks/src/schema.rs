//! Input-schema fragments the templates share, so a rule like "Fargate CPU sizes" is
//! described once. A template's `schema.json` writes `{"$block": "container", …}` where a
//! fragment goes (its own keys are merged in: more `properties`, more `required`, a
//! different `description`) and `"$common": true` inside `properties` for the fields
//! every AWS template has.

use idp_plugin_sdk::serde_json::{self, Map, Value};

const CONTAINER: &str = include_str!("../schema/container.json");
const WEB_SERVICE: &str = include_str!("../schema/web-service.json");
const NETWORK: &str = include_str!("../schema/network.json");
const COMMON: &str = include_str!("../schema/common.json");
const USAGE: &str = include_str!("../schema/usage.json");

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
            map.values_mut().for_each(expand_value);
        }
        Value::Array(items) => items.iter_mut().for_each(expand_value),
        _ => {}
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
    fn fragments_are_json() {
        for text in [CONTAINER, WEB_SERVICE, NETWORK, COMMON] {
            assert!(serde_json::from_str::<Value>(text).is_ok());
        }
    }
}
