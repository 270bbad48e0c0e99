//! The guest SDK for idp plugins: typed environments, finding builders, and the
//! `export_template!` / `export_policy!` macros that wire a plain Rust type to
//! the `idp:plugin@0.1.0` contract.
//!
//! Plugin logic stays in ordinary functions over the types here, so `cargo test`
//! checks it natively before it is ever built to WebAssembly.

mod bindings;
mod finding;
mod model;
mod policy;
mod template;

pub use finding::{Finding, Severity};
pub use model::{Class, Environment, ModuleCall, PerClass, Tag, Wire, per_class_schema};
pub use policy::{CostEstimate, Policy, PolicyInfo, PolicyInput, RuleInfo};
pub use template::{BillItem, BillingBasis, Output, Rendering, Template, TemplateInfo};

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

    #[test]
    fn pointer_escapes_segments() {
        assert_eq!(pointer(&["tags", "idp:owner"]), "/tags/idp:owner");
        assert_eq!(pointer(&["a/b", "c~d"]), "/a~1b/c~0d");
        assert_eq!(pointer(&[]), "");
    }
}
