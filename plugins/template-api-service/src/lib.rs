//! The `api-service` template: one containerised HTTP service on Fargate behind an
//! application load balancer, in its own VPC.
//!
//! It composes the `common`, `networking` and `ecs-service` modules, and the modules of
//! the optional blocks (buckets, notifications, files, email, auth, domain), rejects CPU
//! and memory pairs Fargate does not offer, and lists every billable resource.

use idp_plugin_sdk::{
    Environment, Finding, Output, Rendering, Template, TemplateInfo, export_template,
};
use idp_template_blocks::{Bill, Common, Extras, WebService, extras, schema};
use serde::Deserialize;

const SCHEMA: &str = include_str!("../schema.json");

/// The template's inputs; defaults match `schema.json`.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "kebab-case", default)]
pub struct Inputs {
    /// VPC, key, log retention.
    #[serde(flatten)]
    pub common: Common,
    /// The container service.
    pub service: WebService,
    /// Buckets, topics, files, mail, sign-in and a domain, each optional.
    #[serde(flatten)]
    pub extras: Extras,
}

/// The plugin type.
pub struct ApiService;

impl Template for ApiService {
    fn info() -> TemplateInfo {
        TemplateInfo {
            name: "api-service".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            summary: "an HTTP service on Fargate behind a load balancer, in its own VPC".into(),
            input_schema: schema::expand(SCHEMA),
            modules: extras::with_modules(&["common", "networking", "ecs-service"]),
            outputs: vec!["url".into(), "cluster".into()],
        }
    }

    fn render(env: &Environment) -> Result<Rendering, Vec<Finding>> {
        let inputs: Inputs = env.inputs().map_err(|f| vec![f])?;
        let findings: Vec<Finding> = inputs
            .service
            .check()
            .err()
            .into_iter()
            .chain(inputs.extras.check(&inputs.service))
            .collect();
        if !findings.is_empty() {
            return Err(findings);
        }

        let mut bill = Bill::new();
        inputs.common.bill(&mut bill);
        inputs.service.bill(&mut bill, &inputs.common.usage);
        inputs.extras.bill(&mut bill, &inputs.common.usage.extras);
        let service = inputs.service.call(env, &inputs.common);
        let calls = inputs.extras.attach(env, service, None);
        Ok(Rendering {
            calls: inputs.common.foundation(env).with(calls),
            bill: bill.into_items(),
            outputs: vec![
                inputs.extras.url_output(),
                Output::new("cluster", WebService::CALL, "cluster_name"),
            ],
        })
    }
}

export_template!(ApiService);

#[cfg(test)]
mod tests {
    use super::*;
    use idp_plugin_sdk::serde_json::{Value, json};
    use idp_plugin_sdk::testing::environment;

    fn env(inputs: Value) -> Environment {
        environment().template("api-service").inputs(inputs).build()
    }

    #[test]
    fn schema_expands_with_shared_fields() {
        let schema = ApiService::info().input_schema;
        assert_eq!(
            schema["properties"]["service"]["properties"]["cpu"]["default"],
            256
        );
        assert_eq!(
            schema["properties"]["network"]["properties"]["nat-gateways"]["default"],
            1
        );
        assert!(schema["properties"]["customer-managed-key"].is_object());
    }

    #[test]
    fn renders_three_wired_calls() {
        let r = ApiService::render(&env(json!({"service": {"image": "nginx:1.27", "cpu": 512, "memory": 1024, "desired-count": 2}})))
            .expect("renders");
        let names: Vec<_> = r.calls.iter().map(|c| c.module.as_str()).collect();
        assert_eq!(names, ["common", "networking", "ecs-service"]);
        let svc = &r.calls[2];
        assert_eq!(svc.variables["cpu"], 512);
        assert_eq!(svc.variables["max_count"], 4, "twice desired-count");
        assert_eq!(svc.variables["health_check_path"], "/health");
        assert_eq!(svc.variables["log_retention_days"], 14, "preview default");
        assert!(svc.variables.get("certificate_arn").is_none());
        assert!(
            svc.wiring
                .iter()
                .any(|w| w.variable == "vpc_id" && w.from_call == "network")
        );
        let vcpu = r
            .bill
            .iter()
            .find(|b| b.description == "Fargate vCPU")
            .expect("vcpu line");
        assert_eq!(vcpu.quantity, 1.0, "2 tasks x 0.5 vCPU");
        assert!(svc.variables.get("schedule").is_none(), "around the clock");
    }

    #[test]
    fn a_schedule_reaches_the_service_and_only_its_tasks_follow_it() {
        let env = environment()
            .template("api-service")
            .inputs(json!({"service": {"image": "nginx:1.27"}}))
            .weekdays("08:00", "20:00", "Europe/Berlin")
            .build();
        let r = ApiService::render(&env).expect("renders");
        assert_eq!(
            r.calls[2].variables["schedule"],
            json!({"days": ["MON", "TUE", "WED", "THU", "FRI"], "start": "08:00", "stop": "20:00", "timezone": "Europe/Berlin"})
        );
        let following: Vec<&str> = r
            .bill
            .iter()
            .filter(|b| b.follows_schedule)
            .map(|b| b.description.as_str())
            .collect();
        assert_eq!(following, ["Fargate vCPU", "Fargate memory"]);
    }

    #[test]
    fn rejects_a_size_fargate_does_not_offer() {
        let err = ApiService::render(&env(
            json!({"service": {"image": "nginx", "cpu": 256, "memory": 4096}}),
        ))
        .expect_err("256/4096 is not offered");
        assert_eq!(err[0].pointer, "/service/memory");
    }

    #[test]
    fn rejects_a_scaling_range_upside_down() {
        let err = ApiService::render(&env(
            json!({"service": {"image": "nginx", "desired-count": 3, "max-count": 2}}),
        ))
        .expect_err("max below desired");
        assert_eq!(err[0].pointer, "/service/max-count");
    }

    #[test]
    fn usage_overrides_the_estimate_assumptions_and_defaults_are_documented() {
        let quantity = |r: &Rendering, usage_type: &str| {
            r.bill
                .iter()
                .find(|b| b.usage_type == usage_type)
                .map(|b| b.quantity)
        };
        let defaults =
            ApiService::render(&env(json!({"service": {"image": "nginx:1.27"}}))).expect("renders");
        assert_eq!(quantity(&defaults, "NatGateway-Bytes"), Some(5.0));
        assert_eq!(quantity(&defaults, "LCUUsage"), Some(1.0));
        assert_eq!(quantity(&defaults, "DataProcessing-Bytes"), Some(1.0));
        let r = ApiService::render(&env(json!({
            "service": {"image": "nginx:1.27"},
            "usage": {"nat-gb": 120, "log-gb": 8.5, "lcus": 3}
        })))
        .expect("renders");
        assert_eq!(quantity(&r, "NatGateway-Bytes"), Some(120.0));
        assert_eq!(quantity(&r, "LCUUsage"), Some(3.0));
        assert_eq!(quantity(&r, "DataProcessing-Bytes"), Some(8.5));
        let usage = &ApiService::info().input_schema["properties"]["usage"]["properties"];
        for field in ["nat-gb", "log-gb", "lcus"] {
            assert!(
                usage[field]["description"]
                    .as_str()
                    .is_some_and(|d| d.contains("default")),
                "{field} documents its default"
            );
        }
    }
}
