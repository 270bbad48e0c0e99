use serde::{Deserialize, Serialize};

/// One on-demand list price.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct Price {
    /// AWS region code.
    pub region: String,
    /// Price List service code (`AmazonECS`).
    pub service_code: String,
    /// Usage type without the region prefix (`Fargate-GB-Hours`).
    pub usage_type: String,
    /// Price List unit (`Hrs`, `GB-Mo`).
    pub unit: String,
    /// Price per unit in the book's currency.
    pub usd: f64,
    /// Where the figure was read.
    pub source: String,
    /// When it was read (`YYYY-MM-DD`).
    pub seen: String,
}

/// A set of prices with its currency and snapshot date.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct PriceBook {
    /// ISO 4217 code.
    pub currency: String,
    /// Date of the snapshot.
    pub snapshot: String,
    /// Hours in a billing month.
    pub hours_per_month: f64,
    /// The prices.
    pub prices: Vec<Price>,
}

impl PriceBook {
    /// The book embedded in idp.
    pub fn embedded() -> PriceBook {
        // The embedded file is checked by this crate's tests; a malformed one cannot ship.
        serde_json::from_str(include_str!("../pricebook.json")).unwrap_or_else(|_| PriceBook {
            currency: "USD".into(),
            snapshot: String::new(),
            hours_per_month: 730.0,
            prices: Vec::new(),
        })
    }

    /// A book read from a file written by `idp pricing refresh`.
    pub fn read(path: &std::path::Path) -> Result<PriceBook, String> {
        let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        serde_json::from_str(&text).map_err(|e| e.to_string())
    }

    /// This book with `newer`'s prices taking the place of its own for the same region
    /// and usage type; the snapshot becomes the newer one's.
    pub fn overlaid_with(mut self, newer: PriceBook) -> PriceBook {
        for price in newer.prices {
            match self.prices.iter_mut().find(|p| {
                p.region == price.region
                    && p.service_code == price.service_code
                    && p.usage_type == price.usage_type
            }) {
                Some(old) => *old = price,
                None => self.prices.push(price),
            }
        }
        self.snapshot = newer.snapshot;
        self
    }

    /// The price of a usage type in a region.
    pub fn find(&self, region: &str, service_code: &str, usage_type: &str) -> Option<&Price> {
        self.prices.iter().find(|p| {
            p.region == region && p.service_code == service_code && p.usage_type == usage_type
        })
    }

    /// The regions the book has prices for, sorted.
    pub fn regions(&self) -> Vec<&str> {
        let mut r: Vec<&str> = self.prices.iter().map(|p| p.region.as_str()).collect();
        r.sort_unstable();
        r.dedup();
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refreshed_book_overrides_and_extends_the_embedded_one() {
        let price = |region: &str, usd: f64| Price {
            region: region.into(),
            service_code: "AmazonEC2".into(),
            usage_type: "NatGateway-Hours".into(),
            unit: "Hrs".into(),
            usd,
            source: "https://example.test".into(),
            seen: "2026-12-01".into(),
        };
        let newer = PriceBook {
            currency: "USD".into(),
            snapshot: "2026-12-01".into(),
            hours_per_month: 730.0,
            prices: vec![price("us-east-1", 0.05), price("eu-west-1", 0.048)],
        };
        let book = PriceBook::embedded().overlaid_with(newer);
        assert_eq!(
            book.find("us-east-1", "AmazonEC2", "NatGateway-Hours")
                .map(|p| p.usd),
            Some(0.05)
        );
        assert_eq!(
            book.find("eu-west-1", "AmazonEC2", "NatGateway-Hours")
                .map(|p| p.usd),
            Some(0.048)
        );
        assert!(
            book.find("us-east-1", "AmazonECS", "Fargate-GB-Hours")
                .is_some(),
            "the rest stays"
        );
        assert_eq!(book.regions(), ["eu-west-1", "us-east-1"]);
    }

    #[test]
    fn the_embedded_book_is_well_formed_and_sourced() {
        let text = include_str!("../pricebook.json");
        let book: PriceBook = serde_json::from_str(text).expect("pricebook.json parses");
        assert_eq!(book.currency, "USD");
        assert_eq!(book.hours_per_month, 730.0);
        assert!(book.prices.len() >= 20);
        for p in &book.prices {
            assert!(p.usd > 0.0, "{p:?}");
            assert!(p.source.starts_with("https://"), "{p:?} names its source");
            assert_eq!(p.seen.len(), 10, "{p:?} says when it was read");
        }
        let mut keys: Vec<_> = book
            .prices
            .iter()
            .map(|p| (&p.region, &p.service_code, &p.usage_type))
            .collect();
        let n = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), n, "one price per usage type and region");
        assert_eq!(book.regions(), ["us-east-1"]);
    }
}
