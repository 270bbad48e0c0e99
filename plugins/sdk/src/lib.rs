//! Write idp templates and policies as plain Rust; the SDK does the WebAssembly plumbing.
//!
//! A plugin is a type implementing [`Template`] (render an environment into OpenTofu module
//! calls and a bill of materials) or [`Policy`] (judge an environment and report
//! [`Finding`]s), and one [`export_template!`] or [`export_policy!`] line. Enable the
//! crate's `template` or `policy` feature, the one world the plugin implements, and build
//! it with `idp plugin build`. This version targets the `idp:plugin@0.2.0` contract, whose
//! WIT files ship inside the crate (`wit/`).
//!
//! Plugin logic is ordinary Rust over the types here, so `cargo test` checks it natively;
//! [`testing`] builds the environments and settings the host would hand over.
//!
//! # A policy
//!
//! ```
//! use idp_plugin_sdk::serde_json::json;
//! use idp_plugin_sdk::{Finding, Policy, PolicyInfo, PolicyInput, RuleInfo, Severity, Ttl};
//! use serde::Deserialize;
//!
//! /// Settings from `policy short-lived { max "3d" }` in `idp.kdl`.
//! #[derive(Deserialize)]
//! #[serde(default, deny_unknown_fields)]
//! pub struct Settings {
//!     /// Longest TTL any environment may have.
//!     pub max: Ttl,
//! }
//!
//! impl Default for Settings {
//!     fn default() -> Self {
//!         Settings { max: Ttl::Seconds(3 * 86_400) }
//!     }
//! }
//!
//! /// The plugin.
//! pub struct ShortLived;
//!
//! impl Policy for ShortLived {
//!     type Settings = Settings;
//!
//!     fn info() -> PolicyInfo {
//!         PolicyInfo {
//!             name: "short-lived".into(),
//!             version: env!("CARGO_PKG_VERSION").into(),
//!             summary: "environments live three days at most".into(),
//!             rules: vec![RuleInfo::new(
//!                 "ttl-too-long",
//!                 Severity::Deny,
//!                 "the TTL is at most `max`",
//!                 "extend an environment with `idp extend` when it is still needed",
//!             )],
//!             settings_schema: json!({
//!                 "type": "object",
//!                 "additionalProperties": false,
//!                 "properties": {"max": {"type": "string", "pattern": "^(0*[1-9][0-9]*[mhdw]|never)$"}}
//!             }),
//!         }
//!     }
//!
//!     fn evaluate(input: &PolicyInput, settings: &Settings) -> Vec<Finding> {
//!         let ttl = input.env.ttl();
//!         if ttl <= settings.max {
//!             return Vec::new();
//!         }
//!         vec![Finding::deny("ttl-too-long", format!("TTL `{ttl}` is above `{}`", settings.max))
//!             .at("/ttl")
//!             .help(format!("write `ttl \"{}\"` or less", settings.max))]
//!     }
//! }
//!
//! # #[cfg(feature = "policy")]
//! idp_plugin_sdk::export_policy!(ShortLived);
//!
//! // Its unit test:
//! use idp_plugin_sdk::testing::{self, environment};
//! let found = testing::evaluate::<ShortLived>(&environment().ttl("7d").input(), json!({}));
//! assert_eq!(testing::rules(&found), ["ttl-too-long"]);
//! assert_eq!(testing::messages(&found), ["TTL `7d` is above `3d`"]);
//! ```
//!
//! # A template
//!
//! ```
//! use idp_plugin_sdk::serde_json::json;
//! use idp_plugin_sdk::{Environment, Finding, ModuleCall, Output, Rendering, Template, TemplateInfo};
//! use serde::Deserialize;
//!
//! /// The spec's body: `greeting "hi"`.
//! #[derive(Deserialize)]
//! #[serde(default, deny_unknown_fields)]
//! pub struct Inputs {
//!     /// What the module says.
//!     pub greeting: String,
//! }
//!
//! impl Default for Inputs {
//!     fn default() -> Self {
//!         Inputs { greeting: "hello".into() }
//!     }
//! }
//!
//! /// The plugin.
//! pub struct Greeter;
//!
//! impl Template for Greeter {
//!     fn info() -> TemplateInfo {
//!         TemplateInfo {
//!             name: "greeter".into(),
//!             version: env!("CARGO_PKG_VERSION").into(),
//!             summary: "a greeting, and nothing that costs money".into(),
//!             input_schema: json!({
//!                 "type": "object",
//!                 "additionalProperties": false,
//!                 "properties": {"greeting": {"type": "string", "default": "hello"}}
//!             }),
//!             modules: vec!["greeter".into()],
//!             outputs: vec!["message".into()],
//!         }
//!     }
//!
//!     fn render(env: &Environment) -> Result<Rendering, Vec<Finding>> {
//!         let inputs: Inputs = env.inputs().map_err(|f| vec![f])?;
//!         let call = ModuleCall::new("greeter", "greeter")
//!             .var("environment", env.name.as_str())
//!             .var("greeting", inputs.greeting);
//!         Ok(Rendering {
//!             calls: vec![call],
//!             outputs: vec![Output::new("message", "greeter", "message")],
//!             ..Rendering::default()
//!         })
//!     }
//! }
//!
//! # #[cfg(feature = "template")]
//! idp_plugin_sdk::export_template!(Greeter);
//!
//! // Its unit test:
//! let env = idp_plugin_sdk::testing::environment().inputs(json!({"greeting": "hi"})).build();
//! let rendering = Greeter::render(&env).expect("renders");
//! assert_eq!(rendering.call("greeter").map(|c| &c.variables["greeting"]), Some(&json!("hi")));
//! ```
#![deny(missing_docs)]

mod bindings;
mod finding;
pub mod log;
mod model;
mod panic;
mod policy;
mod template;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;
mod ttl;

pub use finding::{Finding, Severity};
pub use model::{
    Class, Environment, ModuleCall, PerClass, Schedule, Tag, Weekday, Wire, per_class_schema,
};
pub use policy::{CostEstimate, Policy, PolicyInfo, PolicyInput, Reads, RuleInfo};
pub use template::{BillItem, BillingBasis, Output, Rendering, Template, TemplateInfo};
pub use ttl::{Ttl, TtlError};

/// Re-exported so plugins write `serde_json::json!` without another dependency line.
pub use serde_json;

/// Escapes one segment of an RFC 6901 JSON pointer (`~` → `~0`, `/` → `~1`).
pub fn pointer_segment(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Builds a JSON pointer from segments: `pointer(&["service", "cpu"])` is `/service/cpu`.
pub fn pointer(segments: &[&str]) -> String {
    segments
        .iter()
        .map(|s| format!("/{}", pointer_segment(s)))
        .collect()
}

#[doc(hidden)]
pub mod __private {
    #[cfg(feature = "policy")]
    pub use crate::bindings::policy_world as policy;
    #[cfg(feature = "template")]
    pub use crate::bindings::template_world as template;
    #[cfg(feature = "policy")]
    pub use crate::policy::glue as policy_glue;
    #[cfg(feature = "template")]
    pub use crate::template::glue as template_glue;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Rust blocks of a Markdown text (README) or of `//!` docs (this file), hidden
    /// doctest lines (`# …`) left out.
    fn rust_blocks(text: &str) -> Vec<String> {
        // `None` outside a block; `Some(None)` in a block of another language.
        let (mut blocks, mut current) = (Vec::new(), None::<Option<String>>);
        for line in text.lines() {
            let line = match line.strip_prefix("//!") {
                Some(doc) => doc.strip_prefix(' ').unwrap_or(doc),
                None => line,
            };
            match (&mut current, line.strip_prefix("```")) {
                (None, Some(lang)) => {
                    current = Some((lang.is_empty() || lang == "rust").then(String::new))
                }
                (Some(_), Some(_)) => blocks.extend(current.take().flatten()),
                (Some(Some(block)), None) if !line.starts_with("# ") => {
                    block.push_str(line);
                    block.push('\n');
                }
                _ => {}
            }
        }
        blocks
    }

    #[test]
    fn the_readme_shows_the_examples_the_docs_test() {
        let readme = rust_blocks(include_str!("../README.md"));
        let docs = rust_blocks(include_str!("lib.rs"));
        assert_eq!(readme.len(), 2, "a policy and a template");
        assert_eq!(readme, docs, "README.md and lib.rs's examples differ");
    }

    #[test]
    fn pointer_escapes_segments() {
        assert_eq!(pointer(&["tags", "idp:owner"]), "/tags/idp:owner");
        assert_eq!(pointer(&["a/b", "c~d"]), "/a~1b/c~0d");
        assert_eq!(pointer(&[]), "");
    }
}
