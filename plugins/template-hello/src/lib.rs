//! The `hello` template: an environment with no cloud resources, only Terraform's built-in
//! `terraform_data`, so `idp apply --run` and `idp destroy --run` work end to end on any
//! machine with `tofu` or `terraform` and no cloud account.
//!
//! It is how a newcomer (and the test suite) sees the whole pipeline run for real: plan,
//! init, apply, outputs in state, destroy.

use idp_plugin_sdk::{
    Environment, Finding, ModuleCall, Output, Rendering, Template, TemplateInfo, export_template,
};
use serde::Deserialize;

const SCHEMA: &str = include_str!("../schema.json");

/// The template's inputs; defaults match `schema.json`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct Inputs {
    /// The greeting.
    pub greeting: String,
}

impl Default for Inputs {
    fn default() -> Self {
        Inputs {
            greeting: "hello, world".into(),
        }
    }
}

/// The plugin type.
pub struct Hello;

impl Template for Hello {
    fn info() -> TemplateInfo {
        TemplateInfo {
            name: "hello".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            summary: "no cloud resources: tries the whole pipeline locally with terraform_data"
                .into(),
            input_schema: idp_plugin_sdk::serde_json::from_str(SCHEMA)
                .unwrap_or_else(|_| idp_plugin_sdk::serde_json::json!({})),
            modules: vec!["hello".into()],
            outputs: vec!["message".into(), "id".into()],
        }
    }

    fn render(env: &Environment) -> Result<Rendering, Vec<Finding>> {
        let inputs: Inputs = env.inputs().map_err(|f| vec![f])?;
        let call = ModuleCall::new("hello", "hello")
            .var("environment", env.name.as_str())
            .var("greeting", inputs.greeting.as_str())
            .var("tags", env.tag_map());
        Ok(Rendering {
            calls: vec![call],
            bill: Vec::new(),
            outputs: vec![
                Output::new("message", "hello", "message"),
                Output::new("id", "hello", "id"),
            ],
        })
    }
}

export_template!(Hello);

#[cfg(test)]
mod tests {
    use super::*;
    use idp_plugin_sdk::serde_json::json;
    use idp_plugin_sdk::testing::environment;

    #[test]
    fn one_call_with_the_greeting_and_tags() {
        let env = environment()
            .template("hello")
            .inputs(json!({"greeting": "hi"}))
            .build();
        let r = Hello::render(&env).expect("renders");
        assert_eq!(r.calls.len(), 1);
        assert_eq!(r.calls[0].variables["greeting"], "hi");
        assert_eq!(r.calls[0].variables["tags"]["idp:owner"], "alice@acme.io");
        assert!(r.bill.is_empty(), "terraform_data costs nothing");
        assert!(Hello::info().input_schema["properties"]["greeting"].is_object());
    }
}
