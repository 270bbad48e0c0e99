use idp_plugin_sdk::{Environment, Finding, ModuleCall};
use serde::Deserialize;

use crate::{Bill, Container, ExtrasUsage, Foundation, Network, class_settings};

/// The inputs every AWS template has besides its workload: VPC, key, log retention.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct Common {
    /// The VPC.
    pub network: Network,
    /// Create the environment's own KMS key.
    pub customer_managed_key: bool,
    /// Log retention; the class decides when unset.
    pub log_retention_days: Option<u32>,
    /// Overrides of the cost estimate's usage assumptions.
    pub usage: Usage,
}

/// `usage { … }`: what the usage-driven bill lines assume, each with a default that the
/// schema (`schema/usage.json`) documents.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct Usage {
    /// GB a month through the NAT gateway (default 5).
    pub nat_gb: Option<f64>,
    /// GB of logs a month (default 1; scheduled jobs 0.5).
    pub log_gb: Option<f64>,
    /// Average load balancer capacity units (default 1).
    pub lcus: Option<f64>,
    /// What the optional blocks' lines assume (buckets, topics, files, mail, users).
    #[serde(flatten)]
    pub extras: ExtrasUsage,
}

impl Usage {
    /// GB of logs a month, or `default` when the spec does not say.
    pub fn log_gb_or(&self, default: f64) -> f64 {
        self.log_gb.unwrap_or(default)
    }
}

impl Common {
    /// The `common` and `networking` calls for these inputs.
    pub fn foundation(&self, env: &Environment) -> Foundation {
        Foundation::new(env, &self.network, self.customer_managed_key)
    }

    /// NAT gateways with 5 GB a month through them (or `usage.nat-gb`), and the KMS key if any.
    pub fn bill(&self, bill: &mut Bill) {
        bill.nat(
            Foundation::NETWORK,
            &self.network,
            self.usage.nat_gb.unwrap_or(5.0),
        );
        if self.customer_managed_key {
            bill.monthly(
                Foundation::COMMON,
                "KMS customer-managed key",
                "awskms",
                "KMS-Keys",
                "Keys",
                1.0,
            );
        }
    }

    /// Log retention in days: the spec's, or the class default.
    pub fn log_retention_days(&self, env: &Environment) -> u32 {
        self.log_retention_days
            .unwrap_or_else(|| class_settings(env.class).log_retention_days)
    }
}

/// `service { … }`: a container serving HTTP behind a load balancer.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct WebService {
    /// Image and task size.
    #[serde(flatten)]
    pub container: Container,
    /// Container port.
    pub port: u32,
    /// Tasks always running.
    pub desired_count: u32,
    /// Most tasks autoscaling may run; twice `desired_count` when unset.
    pub max_count: Option<u32>,
    /// Health-check path.
    pub health_check: String,
    /// ACM certificate for HTTPS.
    pub certificate_arn: Option<String>,
}

impl Default for WebService {
    fn default() -> Self {
        WebService {
            container: Container::default(),
            port: 8080,
            desired_count: 1,
            max_count: None,
            health_check: "/health".into(),
            certificate_arn: None,
        }
    }
}

impl WebService {
    /// Call name of the service.
    pub const CALL: &'static str = "service";

    /// Checks what AWS would refuse later, pointing under `/service`.
    pub fn check(&self) -> Result<(), Finding> {
        self.container.check_size("/service")?;
        if self.max_count() < self.desired_count {
            return Err(Finding::deny(
                "scaling-range",
                format!(
                    "`max-count` {} is below `desired-count` {}",
                    self.max_count(),
                    self.desired_count
                ),
            )
            .at("/service/max-count")
            .help("autoscaling never goes below desired-count: raise max-count or lower desired-count"));
        }
        Ok(())
    }

    /// Most tasks autoscaling may run.
    pub fn max_count(&self) -> u32 {
        self.max_count.unwrap_or(self.desired_count * 2)
    }

    /// The `ecs-service` call, wired to the foundation.
    pub fn call(&self, env: &Environment, common: &Common) -> ModuleCall {
        let call = ModuleCall::new(Self::CALL, "ecs-service")
            .var("region", env.region.as_str())
            .var("expose_http", true)
            .var("container_port", self.port)
            .var("health_check_path", self.health_check.as_str())
            .var("desired_count", self.desired_count)
            .var("max_count", self.max_count())
            .var(
                "deletion_protection",
                class_settings(env.class).deletion_protection,
            )
            .var("log_retention_days", common.log_retention_days(env));
        let call = with_schedule(call, env);
        let call = match &self.certificate_arn {
            Some(arn) => call.var("certificate_arn", arn.as_str()),
            None => call,
        };
        Foundation::in_vpc(self.container.apply(call))
            .wire("vpc_cidr_block", Foundation::NETWORK, "vpc_cidr_block")
            .wire(
                "public_subnet_ids",
                Foundation::NETWORK,
                "public_subnet_ids",
            )
    }

    /// The load balancer and the always-running tasks.
    pub fn bill(&self, bill: &mut Bill, usage: &Usage) {
        bill.load_balancer(Self::CALL, usage.lcus.unwrap_or(1.0))
            .service_tasks(Self::CALL, &self.container, f64::from(self.desired_count))
            .logs(Self::CALL, usage.log_gb_or(1.0));
    }
}

/// `call` (an `ecs-service` call) with the environment's schedule, when it has one: the
/// module's scheduled actions then scale the service to zero outside the hours, which is
/// what lets [`Bill::service_tasks`] bill them for those hours only.
pub fn with_schedule(call: ModuleCall, env: &Environment) -> ModuleCall {
    match &env.schedule {
        Some(s) => call.var("schedule", s.to_variable()),
        None => call,
    }
}
