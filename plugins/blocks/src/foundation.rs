use idp_plugin_sdk::serde_json::{Map, Value};
use idp_plugin_sdk::{Class, Environment, ModuleCall};
use serde::Deserialize;

/// `network { … }`: the environment's own VPC.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct Network {
    /// VPC CIDR.
    pub cidr: String,
    /// NAT gateways: 1 (cheaper) or 2 (one per zone).
    pub nat_gateways: u32,
    /// Record VPC flow logs.
    pub flow_logs: bool,
}

impl Default for Network {
    fn default() -> Self {
        Network {
            cidr: "10.0.0.0/16".into(),
            nat_gateways: 1,
            flow_logs: false,
        }
    }
}

/// The `common` and `networking` calls every AWS template starts from, and the wiring
/// that connects later calls to them.
#[derive(Debug, Clone)]
pub struct Foundation {
    /// Naming, tags, optional KMS key.
    pub common: ModuleCall,
    /// VPC, subnets, NAT.
    pub network: ModuleCall,
}

impl Foundation {
    /// Call name of the `common` module.
    pub const COMMON: &'static str = "common";
    /// Call name of the `networking` module.
    pub const NETWORK: &'static str = "network";

    /// The two calls for an environment; `customer_key` asks `common` for a KMS key.
    pub fn new(env: &Environment, network: &Network, customer_key: bool) -> Self {
        let tags: Map<String, Value> = env
            .tags
            .iter()
            .map(|t| (t.key.clone(), Value::String(t.value.clone())))
            .collect();
        let common = ModuleCall::new(Self::COMMON, "common")
            .var("environment", env.name.as_str())
            .var("tags", Value::Object(tags))
            .var("create_kms_key", customer_key);
        let network = Self::named(
            ModuleCall::new(Self::NETWORK, "networking")
                .var("cidr_block", network.cidr.as_str())
                .var("nat_gateway_count", network.nat_gateways)
                .var("flow_logs", network.flow_logs)
                .var(
                    "flow_log_retention_days",
                    class_settings(env.class).log_retention_days,
                ),
        )
        .wire("kms_key_arn", Self::COMMON, "kms_key_arn");
        Foundation { common, network }
    }

    /// Wires the name prefix and tags from `common`.
    pub fn named(call: ModuleCall) -> ModuleCall {
        call.wire("name", Self::COMMON, "name")
            .wire("tags", Self::COMMON, "tags")
    }

    /// Wires name, tags, the KMS key and the VPC with its private subnets.
    pub fn in_vpc(call: ModuleCall) -> ModuleCall {
        Self::named(call)
            .wire("kms_key_arn", Self::COMMON, "kms_key_arn")
            .wire("vpc_id", Self::NETWORK, "vpc_id")
            .wire("private_subnet_ids", Self::NETWORK, "private_subnet_ids")
    }

    /// The calls, in order, followed by the template's own.
    pub fn with(self, rest: impl IntoIterator<Item = ModuleCall>) -> Vec<ModuleCall> {
        [self.common, self.network]
            .into_iter()
            .chain(rest)
            .collect()
    }
}

/// What an environment's class decides for the resources it creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClassSettings {
    /// Database standby in a second zone.
    pub multi_az: bool,
    /// Deletion protection on databases and load balancers.
    pub deletion_protection: bool,
    /// Final database snapshot on destroy.
    pub final_snapshot: bool,
    /// Days of automated database backups.
    pub backup_retention_days: u32,
    /// Performance Insights on databases.
    pub performance_insights: bool,
    /// Days CloudWatch keeps logs (a value CloudWatch offers).
    pub log_retention_days: u32,
}

/// The platform's defaults per class: previews are cheap and disposable, production is
/// protected and kept.
pub fn class_settings(class: Class) -> ClassSettings {
    match class {
        Class::Preview => ClassSettings {
            multi_az: false,
            deletion_protection: false,
            final_snapshot: false,
            backup_retention_days: 1,
            performance_insights: false,
            log_retention_days: 14,
        },
        Class::Staging => ClassSettings {
            multi_az: false,
            deletion_protection: false,
            final_snapshot: true,
            backup_retention_days: 3,
            performance_insights: false,
            log_retention_days: 30,
        },
        Class::Production => ClassSettings {
            multi_az: true,
            deletion_protection: true,
            final_snapshot: true,
            backup_retention_days: 7,
            performance_insights: true,
            log_retention_days: 365,
        },
    }
}
