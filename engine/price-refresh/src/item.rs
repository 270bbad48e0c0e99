//! One item of a GetProducts answer: a JSON document (inside a JSON string) with the
//! product's attributes and its terms; the on-demand price is in
//! `terms.OnDemand.<offer>.priceDimensions.<rate>.pricePerUnit.USD`.

use idp_price::usage::canonical;
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
    /// The item's own usage type when it is not the canonical one with the region's usual
    /// prefix (`APS1-AWSSecretsManager-Secret`), so the book records the spelling it read.
    pub offer_usage_type: Option<String>,
}

/// Parses an item; `Ok(None)` when it is another usage type or region, or has no
/// non-zero on-demand price. Usage types are compared by their canonical spelling
/// ([`idp_price::usage::canonical`]): the exact name after the region's own prefix, so
/// decoys that share a suffix (`TS-LoadBalancerUsage`, `Outposts-…`) never match.
pub fn parse_item(
    text: &str,
    region: &str,
    service_code: &str,
    usage_type: &str,
) -> Result<Option<Item>, ItemError> {
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
    if canonical(region, service_code, item_usage) != usage_type {
        return Ok(None);
    }
    let usual = idp_price::usage::region_prefix(region).map(|p| format!("{p}-{usage_type}"));
    let offer_usage_type = (item_usage != usage_type && Some(item_usage) != usual.as_deref())
        .then(|| item_usage.to_owned());
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
            offer_usage_type,
        }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regional_spellings_match_and_are_recorded() {
        let item = |usage: &str| {
            format!(
                r#"{{"product":{{"sku":"S","attributes":{{"usagetype":"{usage}","regionCode":"ap-southeast-1"}}}},
                "terms":{{"OnDemand":{{"S.T":{{"offerTermCode":"T","priceDimensions":{{
                  "a":{{"unit":"Secrets-Mo","beginRange":"0","pricePerUnit":{{"USD":"0.40"}}}}}}}}}}}}}}"#
            )
        };
        let secrets = |usage| {
            parse_item(
                &item(usage),
                "ap-southeast-1",
                "AWSSecretsManager",
                "AWSSecretsManager-Secrets",
            )
            .expect("valid")
        };
        let singular = secrets("APS1-AWSSecretsManager-Secret").expect("matches");
        assert_eq!(
            singular.offer_usage_type.as_deref(),
            Some("APS1-AWSSecretsManager-Secret")
        );
        let plural = secrets("APS1-AWSSecretsManager-Secrets").expect("matches");
        assert_eq!(plural.offer_usage_type, None);
        assert_eq!(secrets("APS1-Outposts-AWSSecretsManager-Secrets"), None);
    }

    #[test]
    fn the_first_paid_tier_is_the_price() {
        let item = r#"{"product":{"sku":"S","attributes":{"usagetype":"USE1-Requests-Tier1","regionCode":"us-east-1"}},
            "terms":{"OnDemand":{"S.T":{"offerTermCode":"T","priceDimensions":{
              "a":{"unit":"Requests","beginRange":"0","pricePerUnit":{"USD":"0.0000000000"}},
              "b":{"unit":"Requests","beginRange":"1000000","pricePerUnit":{"USD":"0.0000004000"}}}}}}}"#;
        let parsed =
            parse_item(item, "us-east-1", "AWSQueueService", "Requests-Tier1").expect("valid");
        assert_eq!(
            parsed,
            Some(Item {
                sku: "S".into(),
                offer: "T".into(),
                unit: "Requests".into(),
                usd: 0.0000004,
                offer_usage_type: None,
            })
        );
        let q = "AWSQueueService";
        assert_eq!(parse_item(item, "us-east-1", q, "Requests-Tier2"), Ok(None));
        assert_eq!(parse_item(item, "eu-west-1", q, "Requests-Tier1"), Ok(None));
    }

    #[test]
    fn malformed_items_are_errors_that_name_the_field() {
        assert!(matches!(
            parse_item("{", "r", "s", "u"),
            Err(ItemError::Json(_))
        ));
        let no_terms = r#"{"product":{"sku":"X","attributes":{"usagetype":"u"}}}"#;
        assert_eq!(
            parse_item(no_terms, "r", "s", "u").map_err(|e| e.to_string()),
            Err("item `X` has no `terms.OnDemand`".to_owned())
        );
    }
}
