//! Building blocks the built-in templates share: the Fargate size table, the `common` and
//! `networking` module calls, bill-of-materials lines and EventBridge schedule expressions.
//!
//! Each template stays a short composition of these; a rule AWS enforces (a CPU/memory
//! pair, a cron field) is written once, here, and tested natively.

mod bill;
mod container;
mod foundation;
pub mod schedule;
pub mod schema;
mod service;

pub use bill::{Bill, HOURS_PER_MONTH};
pub use container::{Container, fargate_memory_options};
pub use foundation::{ClassSettings, Foundation, Network, class_settings};
pub use service::{Common, Usage, WebService};

/// Environments for the templates' own unit tests.
#[doc(hidden)]
pub mod testing {
    use idp_plugin_sdk::serde_json::Value;
    use idp_plugin_sdk::{Class, Environment, Tag};

    /// A preview environment `orders-preview` in us-east-1 with the given inputs.
    pub fn environment(template: &str, class: Class, inputs: Value) -> Environment {
        Environment {
            name: "orders-preview".into(),
            template: template.into(),
            template_version: "0.1.0".into(),
            owner: "alice@acme.io".into(),
            team: "payments".into(),
            class,
            region: "us-east-1".into(),
            ttl_seconds: Some(7 * 86400),
            created_at: "2026-11-23T10:00:00Z".into(),
            expires_at: Some("2026-11-30T10:00:00Z".into()),
            tags: vec![Tag {
                key: "idp:owner".into(),
                value: "alice@acme.io".into(),
            }],
            inputs: inputs.to_string(),
        }
    }
}
