//! One item of a GetProducts answer: a JSON document (inside a JSON string) with the
//! product's attributes and its terms; the on-demand price is in
//! `terms.OnDemand.<offer>.priceDimensions.<rate>.pricePerUnit.USD`.

use serde_json::Value;

/// A price-list item that does not have the shape GetProducts documents.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum ItemError {
    /// Not JSON at all.
    #[error("an item is not JSON: {0}")]
    Json(String),
    /// A field the price needs is missing or of the wrong type.
    #[error("item `{sku}` has no `{field}`")]
    Missing {
        /// The item's SKU, if it has one.
        sku: String,
        /// The JSON path that is missing.
        field: &'static str,
    },
    /// The price is not a number.
    #[error("item `{sku}` has price `{text}`, which is not a number")]
    Price {
        /// The item's SKU.
        sku: String,
        /// What it said.
        text: String,
    },
}

/// The on-demand price of an item.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The product's SKU.
    pub sku: String,
    /// The offer term code.
    pub offer: String,
    /// Price List unit.
    pub unit: String,
    /// USD per unit: the first non-zero tier (free tiers are account-wide, so not deducted).
    pub usd: f64,
}

/// The usage type without its region prefix: `USE1-NatGateway-Hours` → `NatGateway-Hours`.
pub fn without_region_prefix(usage_type: &str) -> &str {
    match usage_type.split_once('-') {
        Some((head, rest))
            if !head.is_empty()
                && head
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) =>
        {
            rest
        }
        _ => usage_type,
    }
}

/// Parses an item; `Ok(None)` when it is another usage type or region, or has no
/// non-zero on-demand price.
pub fn parse_item(text: &str, region: &str, usage_type: &str) -> Result<Option<Item>, ItemError> {
    let v: Value = serde_json::from_str(text).map_err(|e| ItemError::Json(e.to_string()))?;
    let sku = v["product"]["sku"].as_str().unwrap_or_default().to_owned();
    let missing = |field| ItemError::Missing {
        sku: sku.clone(),
        field,
    };
    let attributes = &v["product"]["attributes"];
    let item_usage = attributes["usagetype"]
        .as_str()
        .ok_or_else(|| missing("product.attributes.usagetype"))?;
    if without_region_prefix(item_usage) != usage_type {
        return Ok(None);
    }
    if attributes["regionCode"]
        .as_str()
        .is_some_and(|r| r != region)
    {
        return Ok(None);
    }
    let offers = v["terms"]["OnDemand"]
        .as_object()
        .ok_or_else(|| missing("terms.OnDemand"))?;
    let (offer_key, offer) = offers
        .iter()
        .next()
        .ok_or_else(|| missing("terms.OnDemand"))?;
    let offer_code = offer["offerTermCode"]
        .as_str()
        .map_or_else(|| offer_key.clone(), str::to_owned);
    let dims = offer["priceDimensions"]
        .as_object()
        .ok_or_else(|| missing("terms.OnDemand.*.priceDimensions"))?;
    let mut tiers = Vec::new();
    for dim in dims.values() {
        let text = dim["pricePerUnit"]["USD"]
            .as_str()
            .ok_or_else(|| missing("priceDimensions.*.pricePerUnit.USD"))?;
        let usd: f64 = text.parse().map_err(|_| ItemError::Price {
            sku: sku.clone(),
            text: text.to_owned(),
        })?;
        let begin: f64 = dim["beginRange"]
            .as_str()
            .and_then(|b| b.parse().ok())
            .unwrap_or(0.0);
        let unit = dim["unit"].as_str().unwrap_or_default().to_owned();
        tiers.push((begin, usd, unit));
    }
    tiers.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(tiers
        .into_iter()
        .find(|(_, usd, _)| *usd > 0.0)
        .map(|(_, usd, unit)| Item {
            sku: sku.clone(),
            offer: offer_code,
            unit,
            usd,
        }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_prefixes_come_off() {
        assert_eq!(
            without_region_prefix("USE1-NatGateway-Hours"),
            "NatGateway-Hours"
        );
        assert_eq!(
            without_region_prefix("EU-RDS:GP3-Storage"),
            "RDS:GP3-Storage"
        );
        assert_eq!(
            without_region_prefix("NatGateway-Hours"),
            "NatGateway-Hours"
        );
        assert_eq!(
            without_region_prefix("AWSSecretsManager-Secrets"),
            "AWSSecretsManager-Secrets"
        );
        assert_eq!(without_region_prefix("RDS:GP3-Storage"), "RDS:GP3-Storage");
    }

    #[test]
    fn the_first_paid_tier_is_the_price() {
        let item = r#"{"product":{"sku":"S","attributes":{"usagetype":"USE1-Requests-Tier1","regionCode":"us-east-1"}},
            "terms":{"OnDemand":{"S.T":{"offerTermCode":"T","priceDimensions":{
              "a":{"unit":"Requests","beginRange":"0","pricePerUnit":{"USD":"0.0000000000"}},
              "b":{"unit":"Requests","beginRange":"1000000","pricePerUnit":{"USD":"0.0000004000"}}}}}}}"#;
        let parsed = parse_item(item, "us-east-1", "Requests-Tier1").expect("valid");
        assert_eq!(
            parsed,
            Some(Item {
                sku: "S".into(),
                offer: "T".into(),
                unit: "Requests".into(),
                usd: 0.0000004
            })
        );
        assert_eq!(parse_item(item, "us-east-1", "Requests-Tier2"), Ok(None));
        assert_eq!(parse_item(item, "eu-west-1", "Requests-Tier1"), Ok(None));
    }

    #[test]
    fn malformed_items_are_errors_that_name_the_field() {
        assert!(matches!(parse_item("{", "r", "u"), Err(ItemError::Json(_))));
        let no_terms = r#"{"product":{"sku":"X","attributes":{"usagetype":"u"}}}"#;
        assert_eq!(
            parse_item(no_terms, "r", "u").map_err(|e| e.to_string()),
            Err("item `X` has no `terms.OnDemand`".to_owned())
        );
    }
}
