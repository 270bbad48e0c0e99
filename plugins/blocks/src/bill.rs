use idp_plugin_sdk::{BillItem, BillingBasis};

use crate::{Container, Network};

/// Hours AWS bills in a month (365 × 24 / 12), the figure its price pages use.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// A bill of materials under construction: every billable resource a rendering creates,
/// in AWS Price List terms (service code, usage type without the region prefix, unit).
/// A line follows the environment's schedule only when a method says so (Fargate tasks
/// of a service the module scales to zero); every other line bills around the clock.
#[derive(Debug, Clone, Default)]
pub struct Bill(Vec<BillItem>);

impl Bill {
    /// An empty bill.
    pub fn new() -> Self {
        Bill::default()
    }

    /// A resource billed for every hour it exists; `quantity` units per hour.
    pub fn hourly(
        &mut self,
        call: &str,
        description: impl Into<String>,
        service_code: &str,
        usage_type: &str,
        unit: &str,
        quantity: f64,
    ) -> &mut Self {
        self.push(
            call,
            description,
            service_code,
            usage_type,
            unit,
            quantity,
            BillingBasis::PerHour,
        )
    }

    /// A resource billed per month of existence; `quantity` units per month.
    pub fn monthly(
        &mut self,
        call: &str,
        description: impl Into<String>,
        service_code: &str,
        usage_type: &str,
        unit: &str,
        quantity: f64,
    ) -> &mut Self {
        self.push(
            call,
            description,
            service_code,
            usage_type,
            unit,
            quantity,
            BillingBasis::PerMonth,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        call: &str,
        description: impl Into<String>,
        service_code: &str,
        usage_type: &str,
        unit: &str,
        quantity: f64,
        basis: BillingBasis,
    ) -> &mut Self {
        self.0.push(BillItem {
            call: call.into(),
            description: description.into(),
            service_code: service_code.into(),
            usage_type: usage_type.into(),
            unit: unit.into(),
            quantity,
            basis,
            follows_schedule: false,
        });
        self
    }

    /// Marks the last `n` lines as following the environment's schedule.
    fn following_schedule(&mut self, n: usize) -> &mut Self {
        let from = self.0.len().saturating_sub(n);
        for item in &mut self.0[from..] {
            item.follows_schedule = true;
        }
        self
    }

    /// NAT gateways and their public IPv4 addresses; traffic through them is usage.
    pub fn nat(&mut self, call: &str, network: &Network, gb_per_month: f64) -> &mut Self {
        let nats = f64::from(network.nat_gateways);
        self.hourly(
            call,
            "NAT gateway",
            "AmazonEC2",
            "NatGateway-Hours",
            "Hrs",
            nats,
        )
        .monthly(
            call,
            format!("NAT gateway data processed (assumed {gb_per_month} GB)"),
            "AmazonEC2",
            "NatGateway-Bytes",
            "GB",
            gb_per_month,
        )
        .hourly(
            call,
            "public IPv4 addresses (NAT)",
            "AmazonVPC",
            "PublicIPv4:InUseAddress",
            "Hrs",
            nats,
        )
    }

    /// An application load balancer in two zones with `lcus` capacity units on average.
    pub fn load_balancer(&mut self, call: &str, lcus: f64) -> &mut Self {
        self.hourly(
            call,
            "application load balancer",
            "AWSELB",
            "LoadBalancerUsage",
            "Hrs",
            1.0,
        )
        // One LCU covers 25 new connections/s, 3,000 active connections or 1 GB/h.
        .hourly(
            call,
            format!("load balancer capacity units (assumed {lcus})"),
            "AWSELB",
            "LCUUsage",
            "LCU-Hrs",
            lcus,
        )
        .hourly(
            call,
            "public IPv4 addresses (load balancer, 2 zones)",
            "AmazonVPC",
            "PublicIPv4:InUseAddress",
            "Hrs",
            2.0,
        )
    }

    /// Fargate vCPU and memory for `tasks` tasks of a service `ecs-service` runs: they
    /// follow the environment's schedule (its scheduled actions scale them to zero
    /// outside the hours).
    pub fn service_tasks(&mut self, call: &str, container: &Container, tasks: f64) -> &mut Self {
        self.fargate(call, container, tasks).following_schedule(2)
    }

    /// Fargate vCPU and memory for `tasks` tasks running on average, whatever the
    /// environment's schedule (a job that runs on its own schedule).
    pub fn fargate(&mut self, call: &str, container: &Container, tasks: f64) -> &mut Self {
        let (vcpu, gb) = if container.is_arm() {
            ("Fargate-ARM-vCPU-Hours:perCPU", "Fargate-ARM-GB-Hours")
        } else {
            ("Fargate-vCPU-Hours:perCPU", "Fargate-GB-Hours")
        };
        self.hourly(
            call,
            "Fargate vCPU",
            "AmazonECS",
            vcpu,
            "hours",
            tasks * f64::from(container.cpu) / 1024.0,
        )
        .hourly(
            call,
            "Fargate memory",
            "AmazonECS",
            gb,
            "hours",
            tasks * f64::from(container.memory) / 1024.0,
        )
    }

    /// CloudWatch Logs ingestion.
    pub fn logs(&mut self, call: &str, gb_per_month: f64) -> &mut Self {
        self.monthly(
            call,
            format!("CloudWatch Logs ingestion (assumed {gb_per_month} GB)"),
            "AmazonCloudWatch",
            "DataProcessing-Bytes",
            "GB",
            gb_per_month,
        )
    }

    /// The finished list.
    pub fn into_items(self) -> Vec<BillItem> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fargate_bills_vcpu_and_gb_per_running_task() {
        let c = Container {
            cpu: 512,
            memory: 2048,
            architecture: "arm64".into(),
            ..Container::default()
        };
        let mut bill = Bill::new();
        bill.fargate("svc", &c, 3.0);
        let items = bill.into_items();
        assert_eq!(items[0].usage_type, "Fargate-ARM-vCPU-Hours:perCPU");
        assert_eq!(items[0].quantity, 1.5, "3 tasks x 0.5 vCPU");
        assert_eq!(items[1].quantity, 6.0, "3 tasks x 2 GB");
        assert!(!items[0].follows_schedule && !items[1].follows_schedule);
    }

    #[test]
    fn only_a_services_tasks_follow_the_schedule() {
        let mut bill = Bill::new();
        bill.load_balancer("svc", 1.0)
            .service_tasks("svc", &Container::default(), 1.0)
            .logs("svc", 1.0);
        let follows: Vec<(String, bool)> = bill
            .into_items()
            .into_iter()
            .map(|i| (i.description, i.follows_schedule))
            .collect();
        assert_eq!(
            follows
                .iter()
                .filter(|(_, f)| *f)
                .map(|(d, _)| d.as_str())
                .collect::<Vec<_>>(),
            ["Fargate vCPU", "Fargate memory"],
            "{follows:?}"
        );
    }

    #[test]
    fn two_nat_gateways_bill_two_addresses() {
        let mut bill = Bill::new();
        bill.nat(
            "network",
            &Network {
                nat_gateways: 2,
                ..Network::default()
            },
            5.0,
        );
        let items = bill.into_items();
        let ips = items
            .iter()
            .find(|i| i.usage_type == "PublicIPv4:InUseAddress")
            .expect("addresses billed");
        assert_eq!(ips.quantity, 2.0);
        assert_eq!(items[1].basis, BillingBasis::PerMonth);
    }
}
