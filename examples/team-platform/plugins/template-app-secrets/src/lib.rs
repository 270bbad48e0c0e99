//! The `app-secrets` template: the secrets one application reads, as Secrets Manager
//! secrets named `<environment>/<name>`, from the team's own `app-secrets` module.
//!
//! idp checks a spec's inputs against `schema.json` before `render` runs, so `render`
//! only decides; `cargo test` runs it natively, `idp plugin test` through idp.

use idp_plugin_sdk::{
    BillItem, BillingBasis, Class, Environment, Finding, ModuleCall, Output, Rendering, Template,
    TemplateInfo, export_template, pointer, serde_json,
};
use serde::Deserialize;

const SCHEMA: &str = include_str!("../schema.json");

/// The team's own module (`catalog/modules/app-secrets/`).
const MODULE: &str = "app-secrets";

/// The template's inputs, as `schema.json` describes them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Inputs {
    /// Names of the secrets.
    pub secrets: Vec<String>,
    /// Days a deleted secret can be restored; by class when absent.
    pub recovery_days: Option<u32>,
}

/// Days a deleted secret stays restorable: none for a preview, a week otherwise.
fn recovery_days(class: Class, asked: Option<u32>) -> Result<u32, Finding> {
    match asked {
        // Secrets Manager takes 0 (delete at once) or 7 to 30; the schema cannot say "or".
        Some(days @ 1..=6) => Err(Finding::deny(
            "recovery-window",
            format!("`recovery-days` is {days}; Secrets Manager takes 0 or 7 to 30"),
        )
        .at(pointer(&["recovery-days"]))
        .help("write `recovery-days 0` to delete at once, or a number of days from 7 to 30")),
        Some(days) => Ok(days),
        None if class == Class::Preview => Ok(0),
        None => Ok(7),
    }
}

/// The plugin type: what idp calls.
pub struct AppSecrets;

impl Template for AppSecrets {
    fn info() -> TemplateInfo {
        TemplateInfo {
            name: "app-secrets".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            summary: "the secrets one application reads, in Secrets Manager".into(),
            input_schema: serde_json::from_str(SCHEMA).unwrap_or_default(),
            modules: vec![MODULE.into()],
            outputs: vec!["secret-arns".into(), "reader-policy".into()],
        }
    }

    fn render(env: &Environment) -> Result<Rendering, Vec<Finding>> {
        let inputs: Inputs = env.inputs().map_err(|f| vec![f])?;
        let recovery = recovery_days(env.class, inputs.recovery_days).map_err(|f| vec![f])?;
        let call = ModuleCall::new("secrets", MODULE)
            .var("environment", env.name.as_str())
            .var("secrets", inputs.secrets.clone())
            .var("recovery_window_in_days", recovery)
            .var("tags", env.tag_map());
        // Priced by idp's price book: $0.40 per secret per month in us-east-1.
        let bill = BillItem {
            call: "secrets".into(),
            description: "Secrets Manager secrets".into(),
            service_code: "AWSSecretsManager".into(),
            usage_type: "AWSSecretsManager-Secrets".into(),
            unit: "Secrets".into(),
            quantity: inputs.secrets.len() as f64,
            basis: BillingBasis::PerMonth,
            // A secret is billed whether or not anything runs: it ignores any schedule.
            follows_schedule: false,
        };
        Ok(Rendering {
            calls: vec![call],
            bill: vec![bill],
            outputs: vec![
                Output::new("secret-arns", "secrets", "secret_arns"),
                Output::new("reader-policy", "secrets", "reader_policy_json"),
            ],
        })
    }
}

export_template!(AppSecrets);

#[cfg(test)]
mod tests {
    use super::*;
    use idp_plugin_sdk::serde_json::json;
    use idp_plugin_sdk::testing::environment;

    #[test]
    fn one_call_and_one_bill_line_per_secret() {
        let env = environment()
            .template("app-secrets")
            .inputs(json!({"secrets": ["db-password", "api-key"]}))
            .build();
        let r = AppSecrets::render(&env).expect("renders");
        assert_eq!(r.calls[0].module, "app-secrets");
        assert_eq!(
            r.calls[0].variables["secrets"],
            json!(["db-password", "api-key"])
        );
        assert_eq!(r.calls[0].variables["recovery_window_in_days"], 0);
        assert_eq!(r.bill[0].quantity, 2.0);
    }

    #[test]
    fn a_preview_deletes_its_secrets_at_once() {
        assert_eq!(recovery_days(Class::Preview, None), Ok(0));
        assert_eq!(recovery_days(Class::Staging, None), Ok(7));
        assert_eq!(recovery_days(Class::Production, Some(30)), Ok(30));
    }

    #[test]
    fn a_window_secrets_manager_refuses_is_a_finding_at_its_input() {
        let env = environment()
            .class(Class::Staging)
            .inputs(json!({"secrets": ["db-password"], "recovery-days": 3}))
            .build();
        let findings = AppSecrets::render(&env).expect_err("3 days is refused");
        assert_eq!(findings[0].rule, "recovery-window");
        assert_eq!(findings[0].pointer, "/recovery-days");
    }

    #[test]
    fn the_schema_is_json() {
        assert!(AppSecrets::info().input_schema["properties"]["secrets"].is_object());
    }
}
