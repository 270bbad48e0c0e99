//! The organisation's own rates, from its `idp.kdl`: an overall discount, discounts per
//! service, and explicit prices per usage type. Each line of a bill gets the most specific
//! one (a rate for its usage type, else its service's discount, else the overall one);
//! they do not stack. Each rule that changes an estimate is shown as a line of its own.

use serde::{Deserialize, Serialize};

use crate::usage::canonical;

/// What one rule does.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum RuleKind {
    /// A percentage off every line no more specific rule covers.
    Discount {
        /// Percent off, more than 0 and at most 100.
        percent: f64,
    },
    /// A percentage off every line of a service.
    ServiceDiscount {
        /// Price List service code.
        service_code: String,
        /// Percent off.
        percent: f64,
    },
    /// The price the organisation pays per unit of a usage type, in the book's currency.
    Rate {
        /// Price List service code.
        service_code: String,
        /// Usage type (canonical or an offer file's spelling).
        usage_type: String,
        /// Only in this region; every region when `None`.
        region: Option<String>,
        /// Price per unit.
        price: f64,
    },
}

/// One rule and where it was written.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Rule {
    /// What it does.
    #[serde(flatten)]
    pub kind: RuleKind,
    /// Where it was written (`idp.kdl line 7`).
    pub origin: String,
}

/// The organisation's rules, in the order written.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Rates {
    /// The rules.
    pub rules: Vec<Rule>,
}

impl Rates {
    /// No rules at all.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The most specific rule for a line, with its index: a rate for the usage type in
    /// this region, then one for every region, then the service's discount, then the
    /// overall one.
    pub fn for_line(
        &self,
        region: &str,
        service_code: &str,
        usage_type: &str,
    ) -> Option<(usize, &Rule)> {
        let name = canonical(region, service_code, usage_type);
        let rank = |r: &Rule| match &r.kind {
            RuleKind::Rate {
                service_code: s,
                usage_type: u,
                region: only,
                ..
            } if s == service_code && canonical(region, s, u) == name => match only {
                Some(o) if o == region => Some(0),
                Some(_) => None,
                None => Some(1),
            },
            RuleKind::ServiceDiscount {
                service_code: s, ..
            } if s == service_code => Some(2),
            RuleKind::Discount { .. } => Some(3),
            _ => None,
        };
        self.rules
            .iter()
            .enumerate()
            .filter_map(|(i, r)| rank(r).map(|k| (k, i, r)))
            .min_by_key(|&(k, i, _)| (k, i))
            .map(|(_, i, r)| (i, r))
    }
}

impl Rule {
    /// The line that shows the rule on an estimate.
    pub fn label(&self, currency: &str) -> String {
        match &self.kind {
            RuleKind::Discount { percent } => {
                format!("discount {} % ({})", trim(*percent), self.origin)
            }
            RuleKind::ServiceDiscount {
                service_code,
                percent,
            } => format!(
                "discount {} % on {service_code} ({})",
                trim(*percent),
                self.origin
            ),
            RuleKind::Rate {
                service_code,
                usage_type,
                region,
                price,
            } => format!(
                "rate {service_code} {usage_type}{} at {} {currency} ({})",
                region
                    .as_ref()
                    .map_or_else(String::new, |r| format!(" in {r}")),
                trim(*price),
                self.origin
            ),
        }
    }
}

/// A number without trailing zeros (`12.5`, `0.012`).
fn trim(x: f64) -> String {
    let s = format!("{x:.7}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(kind: RuleKind) -> Rule {
        Rule {
            kind,
            origin: "idp.kdl line 1".into(),
        }
    }

    #[test]
    fn the_most_specific_rule_wins() {
        let rates = Rates {
            rules: vec![
                rule(RuleKind::Discount { percent: 5.0 }),
                rule(RuleKind::ServiceDiscount {
                    service_code: "AmazonRDS".into(),
                    percent: 20.0,
                }),
                rule(RuleKind::Rate {
                    service_code: "AmazonRDS".into(),
                    usage_type: "InstanceUsage:db.t4g.micro".into(),
                    region: None,
                    price: 0.012,
                }),
                rule(RuleKind::Rate {
                    service_code: "AmazonRDS".into(),
                    usage_type: "EU-InstanceUsage:db.t4g.micro".into(),
                    region: Some("eu-west-1".into()),
                    price: 0.011,
                }),
            ],
        };
        let pick = |r, s, u| rates.for_line(r, s, u).map(|(i, _)| i);
        assert_eq!(pick("us-east-1", "AmazonEC2", "NatGateway-Hours"), Some(0));
        assert_eq!(pick("us-east-1", "AmazonRDS", "RDS:GP3-Storage"), Some(1));
        assert_eq!(
            pick("us-east-1", "AmazonRDS", "InstanceUsage:db.t4g.micro"),
            Some(2)
        );
        assert_eq!(
            pick("eu-west-1", "AmazonRDS", "InstanceUsage:db.t4g.micro"),
            Some(3)
        );
        assert_eq!(
            rates.rules[3].label("USD"),
            "rate AmazonRDS EU-InstanceUsage:db.t4g.micro in eu-west-1 at 0.011 USD (idp.kdl line 1)"
        );
        assert_eq!(
            Rates::default().for_line("us-east-1", "AmazonEC2", "x"),
            None
        );
    }
}
