//! The `api-service` template: one containerised HTTP service on Fargate behind an
//! application load balancer, in its own VPC.
//!
//! It composes the `networking`, `common` and `ecs-service` modules, rejects CPU and
//! memory pairs Fargate does not offer, and lists every billable resource.

use idp_plugin_sdk::serde_json::{Value, json};
use idp_plugin_sdk::{
    BillItem, BillingBasis, Environment, Finding, ModuleCall, Output, Rendering, Template,
    TemplateInfo, export_template,
};
use serde::Deserialize;

const SCHEMA: &str = include_str!("schema.json");

/// The template's inputs; defaults match `schema.json`.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "kebab-case", default)]
pub struct Inputs {
    /// The container service.
    pub service: Service,
    /// The VPC.
    pub network: Network,
    /// Log retention in days.
    pub log_retention_days: Option<u32>,
}

/// `service { … }`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct Service {
    /// Image reference.
    pub image: String,
    /// Fargate CPU units.
    pub cpu: u32,
    /// Memory in MiB.
    pub memory: u32,
    /// Container port.
    pub port: u32,
    /// Running tasks.
    pub desired_count: u32,
    /// Health-check path.
    pub health_check: String,
    /// `x86_64` or `arm64`.
    pub architecture: String,
    /// Environment variables.
    pub env: serde_json::Map<String, Value>,
}

impl Default for Service {
    fn default() -> Self {
        Service {
            image: String::new(),
            cpu: 256,
            memory: 512,
            port: 8080,
            desired_count: 1,
            health_check: "/health".into(),
            architecture: "x86_64".into(),
            env: Default::default(),
        }
    }
}

/// `network { … }`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct Network {
    /// VPC CIDR.
    pub cidr: String,
    /// NAT gateway count.
    pub nat_gateways: u32,
}

impl Default for Network {
    fn default() -> Self {
        Network {
            cidr: "10.0.0.0/16".into(),
            nat_gateways: 1,
        }
    }
}

/// Memory sizes (MiB) Fargate offers for a CPU size, per the ECS task-size table
/// (docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html,
/// read 2026-11-23).
pub fn fargate_memory_options(cpu: u32) -> Vec<u32> {
    let gib = |from: u32, to: u32, step: u32| (from..=to).step_by(step as usize).map(|g| g * 1024);
    match cpu {
        256 => vec![512, 1024, 2048],
        512 => gib(1, 4, 1).collect(),
        1024 => gib(2, 8, 1).collect(),
        2048 => gib(4, 16, 1).collect(),
        4096 => gib(8, 30, 1).collect(),
        8192 => gib(16, 60, 4).collect(),
        16384 => gib(32, 120, 8).collect(),
        _ => Vec::new(),
    }
}

fn describe_sizes(sizes: &[u32]) -> String {
    match (sizes.first(), sizes.last()) {
        (Some(first), Some(last)) if sizes.len() > 3 => {
            let step = sizes.get(1).map_or(1024, |s| s - first);
            format!("{first} to {last} in steps of {step}")
        }
        _ => sizes
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// The whole rendering, as a plain function so it is tested natively.
pub fn render(env: &Environment) -> Result<Rendering, Vec<Finding>> {
    let inputs: Inputs = env.inputs().map_err(|f| vec![f])?;
    let svc = &inputs.service;

    let sizes = fargate_memory_options(svc.cpu);
    if !sizes.contains(&svc.memory) {
        return Err(vec![
            Finding::deny(
                "fargate-size",
                format!(
                    "Fargate offers no task with `cpu` {} and `memory` {}",
                    svc.cpu, svc.memory
                ),
            )
            .at("/service/memory")
            .help(format!(
                "with cpu {} choose memory from {} MiB",
                svc.cpu,
                describe_sizes(&sizes)
            )),
        ]);
    }

    let tags: serde_json::Map<String, Value> = env
        .tags
        .iter()
        .map(|t| (t.key.clone(), Value::String(t.value.clone())))
        .collect();

    let common = ModuleCall::new("common", "common")
        .var("environment", env.name.as_str())
        .var("tags", Value::Object(tags));
    let network = ModuleCall::new("network", "networking")
        .var("cidr_block", inputs.network.cidr.as_str())
        .var("nat_gateway_count", inputs.network.nat_gateways)
        .wire("name", "common", "name")
        .wire("tags", "common", "tags");
    let service = ModuleCall::new("service", "ecs-service")
        .var("region", env.region.as_str())
        .var("image", svc.image.as_str())
        .var("cpu", svc.cpu)
        .var("memory", svc.memory)
        .var("container_port", svc.port)
        .var("desired_count", svc.desired_count)
        .var("health_check_path", svc.health_check.as_str())
        .var("cpu_architecture", cpu_architecture(&svc.architecture))
        .var("environment_variables", Value::Object(svc.env.clone()))
        .var(
            "log_retention_days",
            inputs.log_retention_days.unwrap_or(14),
        )
        .wire("name", "common", "name")
        .wire("tags", "common", "tags")
        .wire("vpc_id", "network", "vpc_id")
        .wire("public_subnet_ids", "network", "public_subnet_ids")
        .wire("private_subnet_ids", "network", "private_subnet_ids");

    Ok(Rendering {
        calls: vec![common, network, service],
        bill: bill(svc, &inputs.network),
        outputs: vec![
            Output {
                name: "url".into(),
                from_call: "service".into(),
                output: "url".into(),
            },
            Output {
                name: "cluster".into(),
                from_call: "service".into(),
                output: "cluster_name".into(),
            },
        ],
    })
}

fn cpu_architecture(arch: &str) -> &'static str {
    if arch == "arm64" { "ARM64" } else { "X86_64" }
}

fn bill(svc: &Service, network: &Network) -> Vec<BillItem> {
    let item = |call: &str,
                description: &str,
                service_code: &str,
                usage_type: &str,
                unit: &str,
                quantity: f64,
                basis| BillItem {
        call: call.into(),
        description: description.into(),
        service_code: service_code.into(),
        usage_type: usage_type.into(),
        unit: unit.into(),
        quantity,
        basis,
    };
    let tasks = f64::from(svc.desired_count);
    let arm = svc.architecture == "arm64";
    let (vcpu_usage, gb_usage) = if arm {
        ("Fargate-ARM-vCPU-Hours:perCPU", "Fargate-ARM-GB-Hours")
    } else {
        ("Fargate-vCPU-Hours:perCPU", "Fargate-GB-Hours")
    };
    let nats = f64::from(network.nat_gateways);
    vec![
        item(
            "network",
            "NAT gateway",
            "AmazonEC2",
            "NatGateway-Hours",
            "Hrs",
            nats,
            BillingBasis::PerHour,
        ),
        item(
            "network",
            "public IPv4 addresses (NAT)",
            "AmazonVPC",
            "PublicIPv4:InUseAddress",
            "Hrs",
            nats,
            BillingBasis::PerHour,
        ),
        item(
            "service",
            "application load balancer",
            "AWSELB",
            "LoadBalancerUsage",
            "Hrs",
            1.0,
            BillingBasis::PerHour,
        ),
        // One LCU covers 25 new connections/s or 1 GB/h: a preview's traffic fits in it.
        item(
            "service",
            "load balancer capacity units (assumed 1)",
            "AWSELB",
            "LCUUsage",
            "LCU-Hrs",
            1.0,
            BillingBasis::PerHour,
        ),
        item(
            "service",
            "public IPv4 addresses (load balancer, 2 AZs)",
            "AmazonVPC",
            "PublicIPv4:InUseAddress",
            "Hrs",
            2.0,
            BillingBasis::PerHour,
        ),
        item(
            "service",
            "Fargate vCPU",
            "AmazonECS",
            vcpu_usage,
            "hours",
            tasks * f64::from(svc.cpu) / 1024.0,
            BillingBasis::PerHour,
        ),
        item(
            "service",
            "Fargate memory",
            "AmazonECS",
            gb_usage,
            "hours",
            tasks * f64::from(svc.memory) / 1024.0,
            BillingBasis::PerHour,
        ),
        // Assumed 1 GB of logs a month until a `usage` block can say otherwise.
        item(
            "service",
            "CloudWatch Logs ingestion (assumed 1 GB)",
            "AmazonCloudWatch",
            "DataProcessing-Bytes",
            "GB",
            1.0,
            BillingBasis::PerMonth,
        ),
    ]
}

/// The plugin type.
pub struct ApiService;

impl Template for ApiService {
    fn info() -> TemplateInfo {
        TemplateInfo {
            name: "api-service".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            summary: "an HTTP service on Fargate behind a load balancer, in its own VPC".into(),
            input_schema: serde_json::from_str(SCHEMA).unwrap_or_else(|_| json!({})),
            modules: vec!["common".into(), "networking".into(), "ecs-service".into()],
            outputs: vec!["url".into(), "cluster".into()],
        }
    }

    fn render(env: &Environment) -> Result<Rendering, Vec<Finding>> {
        render(env)
    }
}

export_template!(ApiService);

#[cfg(test)]
mod tests {
    use super::*;
    use idp_plugin_sdk::{Class, Tag};

    fn env(inputs: Value) -> Environment {
        Environment {
            name: "orders-preview".into(),
            template: "api-service".into(),
            template_version: "0.1.0".into(),
            owner: "alice@acme.io".into(),
            team: "payments".into(),
            class: Class::Preview,
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

    #[test]
    fn schema_is_valid_json() {
        let schema: Value = serde_json::from_str(SCHEMA).expect("schema.json parses");
        assert_eq!(schema["type"], "object");
    }

    #[test]
    fn renders_three_wired_calls() {
        let r = render(&env(json!({"service": {"image": "nginx:1.27", "cpu": 512, "memory": 1024, "desired-count": 2}})))
            .expect("renders");
        let names: Vec<_> = r.calls.iter().map(|c| c.module.as_str()).collect();
        assert_eq!(names, ["common", "networking", "ecs-service"]);
        let svc = &r.calls[2];
        assert_eq!(svc.variables["cpu"], 512);
        assert_eq!(svc.variables["health_check_path"], "/health");
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
    }

    #[test]
    fn rejects_a_size_fargate_does_not_offer() {
        let err = render(&env(
            json!({"service": {"image": "nginx", "cpu": 256, "memory": 4096}}),
        ))
        .expect_err("256/4096 is not offered");
        assert_eq!(err[0].pointer, "/service/memory");
        assert_eq!(
            err[0].help.as_deref(),
            Some("with cpu 256 choose memory from 512, 1024, 2048 MiB")
        );
    }

    #[test]
    fn memory_table_matches_fargate() {
        assert_eq!(fargate_memory_options(4096).len(), 23);
        assert_eq!(
            fargate_memory_options(8192),
            vec![
                16384, 20480, 24576, 28672, 32768, 36864, 40960, 45056, 49152, 53248, 57344, 61440
            ]
        );
        assert!(fargate_memory_options(300).is_empty());
    }
}
