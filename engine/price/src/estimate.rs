use idp_model::{BillItem, BillingBasis};
use miette::Diagnostic;
use serde::{Deserialize, Serialize};

use crate::PriceBook;

/// Why an environment could not be priced.
#[derive(Debug, Clone, thiserror::Error, Diagnostic, PartialEq)]
pub enum PriceError {
    /// The book has no prices for the region at all.
    #[error("the price book has no prices for region `{region}`")]
    #[diagnostic(
        code(idp::price::unknown_region),
        help(
            "the embedded price book ({snapshot}) covers {covered}; the estimate for other regions needs a price book that has them"
        )
    )]
    UnknownRegion {
        /// The region.
        region: String,
        /// The regions it has, for the help.
        covered: String,
        /// The book's date.
        snapshot: String,
    },
    /// The book knows the region but not this usage type.
    #[error(
        "the price book has no price for `{service_code}` `{usage_type}` in `{region}` ({description})"
    )]
    #[diagnostic(
        code(idp::price::unknown_price),
        help("add the usage type to the price book, or change the resource to one it prices")
    )]
    UnknownPrice {
        /// The region.
        region: String,
        /// Price List service code.
        service_code: String,
        /// Usage type.
        usage_type: String,
        /// The bill line, for people.
        description: String,
    },
}

/// One priced bill line.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Line {
    /// Module call the resource belongs to.
    pub call: String,
    /// What is billed.
    pub description: String,
    /// Price List service code.
    pub service_code: String,
    /// Usage type.
    pub usage_type: String,
    /// Unit.
    pub unit: String,
    /// Price per unit.
    pub unit_price: f64,
    /// Units per hour or per month.
    pub quantity: f64,
    /// How the quantity accrues.
    pub basis: BillingBasis,
    /// Cost per month of existence.
    pub monthly: f64,
    /// Cost over the TTL; `None` for `never`.
    pub lifetime: Option<f64>,
    /// When the price was read.
    pub seen: String,
}

/// An environment's priced bill.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Estimate {
    /// Region priced.
    pub region: String,
    /// Currency of every figure.
    pub currency: String,
    /// Date of the oldest price used.
    pub price_book: String,
    /// Hours the environment lives; `None` for `never`.
    pub lifetime_hours: Option<f64>,
    /// Every line.
    pub lines: Vec<Line>,
    /// Total per month.
    pub monthly: f64,
    /// Total over the TTL; `None` for `never`.
    pub lifetime: Option<f64>,
}

impl Estimate {
    /// What policies receive.
    pub fn for_policies(&self) -> idp_model::CostEstimate {
        idp_model::CostEstimate {
            monthly: self.monthly,
            lifetime: self.lifetime,
        }
    }
}

/// Prices a bill for a region and a TTL (`None` for `never`).
pub fn estimate(
    book: &PriceBook,
    region: &str,
    ttl_seconds: Option<u64>,
    bill: &[BillItem],
) -> Result<Estimate, PriceError> {
    if !book.prices.iter().any(|p| p.region == region) {
        return Err(PriceError::UnknownRegion {
            region: region.to_owned(),
            covered: book.regions().join(", "),
            snapshot: book.snapshot.clone(),
        });
    }
    let hours = ttl_seconds.map(|s| s as f64 / 3600.0);
    let per_month = book.hours_per_month;
    let mut lines = Vec::with_capacity(bill.len());
    for item in bill {
        let price = book
            .find(region, &item.service_code, &item.usage_type)
            .ok_or_else(|| PriceError::UnknownPrice {
                region: region.to_owned(),
                service_code: item.service_code.clone(),
                usage_type: item.usage_type.clone(),
                description: item.description.clone(),
            })?;
        let (monthly, lifetime) = match item.basis {
            BillingBasis::PerHour => (
                item.quantity * price.usd * per_month,
                hours.map(|h| item.quantity * price.usd * h),
            ),
            BillingBasis::PerMonth => (
                item.quantity * price.usd,
                hours.map(|h| item.quantity * price.usd * h / per_month),
            ),
        };
        lines.push(Line {
            call: item.call.clone(),
            description: item.description.clone(),
            service_code: item.service_code.clone(),
            usage_type: item.usage_type.clone(),
            unit: item.unit.clone(),
            unit_price: price.usd,
            quantity: item.quantity,
            basis: item.basis,
            monthly,
            lifetime,
            seen: price.seen.clone(),
        });
    }
    // `+ 0.0`: an empty float sum is -0.0, which would print as `-0.00`.
    let monthly = lines.iter().map(|l| l.monthly).sum::<f64>() + 0.0;
    let lifetime = hours.map(|_| lines.iter().filter_map(|l| l.lifetime).sum::<f64>() + 0.0);
    Ok(Estimate {
        region: region.to_owned(),
        currency: book.currency.clone(),
        price_book: lines
            .iter()
            .map(|l| l.seen.clone())
            .min()
            .unwrap_or_else(|| book.snapshot.clone()),
        lifetime_hours: hours,
        lines,
        monthly,
        lifetime,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(usage_type: &str, quantity: f64, basis: BillingBasis) -> BillItem {
        BillItem {
            call: "c".into(),
            description: usage_type.into(),
            service_code: if usage_type.starts_with("Nat") {
                "AmazonEC2"
            } else {
                "AmazonCloudWatch"
            }
            .into(),
            usage_type: usage_type.into(),
            unit: "u".into(),
            quantity,
            basis,
        }
    }

    #[test]
    fn hourly_lines_bill_the_ttl_and_monthly_lines_pro_rata() {
        let book = PriceBook::embedded();
        let bill = [
            item("NatGateway-Hours", 1.0, BillingBasis::PerHour),
            item("DataProcessing-Bytes", 2.0, BillingBasis::PerMonth),
        ];
        let e = estimate(&book, "us-east-1", Some(7 * 86_400), &bill).expect("priced");
        // NAT: 0.045 $/h × 730 h = 32.85 a month; × 168 h = 7.56 over 7 days.
        // Logs: 2 GB × 0.50 $/GB = 1.00 a month; × 168/730 = 0.230137 over 7 days.
        assert!((e.lines[0].monthly - 32.85).abs() < 1e-9);
        assert!((e.lines[0].lifetime.unwrap_or_default() - 7.56).abs() < 1e-9);
        assert!((e.lines[1].monthly - 1.00).abs() < 1e-9);
        assert!((e.lifetime.unwrap_or_default() - (7.56 + 168.0 / 730.0)).abs() < 1e-9);
        assert!((e.monthly - 33.85).abs() < 1e-9);
        let forever = estimate(&book, "us-east-1", None, &bill).expect("priced");
        assert_eq!(forever.lifetime, None);
    }

    #[test]
    fn missing_prices_are_errors_that_name_them() {
        let book = PriceBook::embedded();
        let err = estimate(&book, "eu-west-1", None, &[]).expect_err("no eu prices");
        assert_eq!(
            err.to_string(),
            "the price book has no prices for region `eu-west-1`"
        );
        let err = estimate(
            &book,
            "us-east-1",
            None,
            &[item("NatGateway-Teleport", 1.0, BillingBasis::PerHour)],
        )
        .expect_err("unknown usage type");
        assert_eq!(
            err.to_string(),
            "the price book has no price for `AmazonEC2` `NatGateway-Teleport` in `us-east-1` (NatGateway-Teleport)"
        );
    }
}
