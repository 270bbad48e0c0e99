//! What the built-in templates bill, and which regions the book covers for it.

use serde::Serialize;

use crate::{Price, PriceBook};

/// When the built-in templates bill a usage type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Need {
    /// With their default inputs, in every class.
    Default,
    /// With their default inputs in the production class (Multi-AZ databases).
    Production,
    /// Only when a spec asks for it (arm64, a larger instance, a customer-managed key).
    Optional,
}

/// Every (service code, canonical usage type) the built-in templates bill, and when.
/// `tests/integration/regions.rs` plans every template with its default inputs and checks
/// the `Default` ones against what they really bill.
pub const BILLED: &[(&str, &str, Need)] = &[
    ("AmazonEC2", "NatGateway-Hours", Need::Default),
    ("AmazonEC2", "NatGateway-Bytes", Need::Default),
    ("AmazonVPC", "PublicIPv4:InUseAddress", Need::Default),
    ("AWSELB", "LoadBalancerUsage", Need::Default),
    ("AWSELB", "LCUUsage", Need::Default),
    ("AmazonECS", "Fargate-vCPU-Hours:perCPU", Need::Default),
    ("AmazonECS", "Fargate-GB-Hours", Need::Default),
    ("AmazonECS", "Fargate-ARM-vCPU-Hours:perCPU", Need::Optional),
    ("AmazonECS", "Fargate-ARM-GB-Hours", Need::Optional),
    ("AmazonCloudWatch", "DataProcessing-Bytes", Need::Default),
    ("AmazonRDS", "InstanceUsage:db.t4g.micro", Need::Default),
    ("AmazonRDS", "InstanceUsage:db.t4g.small", Need::Optional),
    ("AmazonRDS", "InstanceUsage:db.t4g.medium", Need::Optional),
    ("AmazonRDS", "InstanceUsage:db.m7g.large", Need::Optional),
    ("AmazonRDS", "Multi-AZUsage:db.t4g.micro", Need::Production),
    ("AmazonRDS", "Multi-AZUsage:db.t4g.small", Need::Optional),
    ("AmazonRDS", "Multi-AZUsage:db.t4g.medium", Need::Optional),
    ("AmazonRDS", "Multi-AZUsage:db.m7g.large", Need::Optional),
    ("AmazonRDS", "RDS:GP3-Storage", Need::Default),
    ("AmazonRDS", "RDS:Multi-AZ-GP3-Storage", Need::Production),
    (
        "AWSSecretsManager",
        "AWSSecretsManager-Secrets",
        Need::Default,
    ),
    ("AWSQueueService", "Requests-Tier1", Need::Default),
    ("AWSEvents", "ScheduledInvocation", Need::Default),
    ("awskms", "KMS-Keys", Need::Optional),
    // The optional blocks of api-service and api-database (issue 17), and static-site's
    // bucket.
    ("AmazonS3", "TimedStorage-ByteHrs", Need::Optional),
    ("AmazonS3", "Requests-Tier1", Need::Optional),
    ("AmazonS3", "Requests-Tier2", Need::Optional),
    ("AmazonSNS", "Requests-Tier1", Need::Optional),
    ("AmazonEFS", "TimedStorage-ByteHrs", Need::Optional),
    ("AmazonSES", "Recipients", Need::Optional),
    ("AmazonCognito", "CognitoEssentialsMAU", Need::Optional),
    // event-processor's custom events (issue 17). static-site's CloudFront lines are not
    // here: they are priced under the book's `global` key, which is no region, so neither
    // regional coverage nor `idp pricing refresh` (both per region) is about them.
    ("AWSEvents", "Event-64K-Chunks", Need::Optional),
];

/// The regions the embedded book is built for.
pub const REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-2",
    "eu-west-1",
    "eu-west-2",
    "eu-central-1",
    "ap-southeast-1",
    "ap-northeast-1",
];

/// One usage type in one region: its price, or none.
#[derive(Debug, Clone, Serialize)]
pub struct Cell<'b> {
    /// Price List service code.
    pub service_code: &'static str,
    /// Canonical usage type.
    pub usage_type: &'static str,
    /// When the templates bill it.
    pub need: Need,
    /// The book's price; `None` when it has none.
    pub price: Option<&'b Price>,
}

/// A region's coverage.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage<'b> {
    /// AWS region code.
    pub region: String,
    /// Every usage type billed with default inputs has a price.
    pub covered: bool,
    /// …and so has every one production's defaults add.
    pub covered_for_production: bool,
    /// Every billed usage type.
    pub usage_types: Vec<Cell<'b>>,
}

impl<'b> Coverage<'b> {
    /// The cells without a price that `need` asks for.
    pub fn missing(&self, need: Need) -> impl Iterator<Item = &Cell<'b>> {
        self.usage_types
            .iter()
            .filter(move |c| c.need == need && c.price.is_none())
    }
}

impl PriceBook {
    /// Coverage of `region` for what the built-in templates bill.
    pub fn coverage(&self, region: &str) -> Coverage<'_> {
        let usage_types: Vec<Cell<'_>> = BILLED
            .iter()
            .map(|&(service_code, usage_type, need)| Cell {
                service_code,
                usage_type,
                need,
                price: self.find(region, service_code, usage_type),
            })
            .collect();
        let priced = |need: Need| {
            usage_types
                .iter()
                .filter(|c| c.need == need)
                .all(|c| c.price.is_some())
        };
        let covered = priced(Need::Default);
        Coverage {
            region: region.to_owned(),
            covered,
            covered_for_production: covered && priced(Need::Production),
            usage_types,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_is_every_default_usage_type_priced() {
        let book = PriceBook::embedded();
        let covered: Vec<&str> = REGIONS
            .iter()
            .copied()
            .filter(|r| book.coverage(r).covered)
            .collect();
        // EventBridge Scheduler has a source only in us-east-1 and eu-west-2; eu-west-1
        // lacks gp3, Singapore SQS (decision 0012).
        assert_eq!(covered, ["us-east-1", "eu-west-2"]);
        let missing = |region: &str| -> Vec<&str> {
            let coverage = book.coverage(region);
            coverage
                .missing(Need::Default)
                .map(|c| c.usage_type)
                .collect()
        };
        assert_eq!(missing("ap-northeast-1"), ["ScheduledInvocation"]);
        assert_eq!(
            missing("ap-southeast-1"),
            ["Requests-Tier1", "ScheduledInvocation"]
        );
        assert!(book.coverage("us-east-1").covered_for_production);
        assert!(!book.coverage("eu-west-2").covered_for_production);
        assert!(!book.coverage("sa-east-1").covered);
    }
}
