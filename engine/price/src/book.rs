use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::BookError;
use crate::rates::Rates;
use crate::usage::canonical;

/// The largest price book file idp reads: the embedded one is 40 KB, a full refresh of
/// every region a few hundred.
pub const MAX_BOOK_BYTES: u64 = 8 << 20;

/// The most prices a book may hold.
const MAX_PRICES: usize = 100_000;

/// What kind of source a figure was read from; the AWS-derived kinds strongest first.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// `idp pricing refresh`: the AWS Price List API itself.
    PriceListApi,
    /// A committed extract of an AWS Price List offer file.
    AwsOfferExtract,
    /// A document citing a specific offer file.
    AwsOfferCited,
    /// A document citing a specific AWS price feed.
    AwsPriceFeedCited,
    /// The AWS pricing page, as quoted.
    AwsPage,
    /// A blog, a test fixture or someone else's price book.
    ThirdParty,
    /// A bill or Cost Explorer line.
    ThirdPartyBilling,
    /// The organisation's own price book (`pricing { book … }` in its idp.kdl).
    Organisation,
    /// Not stated (a book written before kinds were recorded).
    #[default]
    Unstated,
}

/// A figure not used because a stronger or equal source gave another.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct OtherFigure {
    /// Its price.
    pub usd: f64,
    /// Where it was read.
    pub source: String,
    /// The kind of source.
    pub source_kind: SourceKind,
    /// When.
    pub seen: String,
    /// Why it was not used.
    pub why: String,
}

/// One on-demand list price.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct Price {
    /// AWS region code.
    pub region: String,
    /// Price List service code (`AmazonECS`).
    pub service_code: String,
    /// Canonical usage type, without the region prefix (`Fargate-GB-Hours`).
    pub usage_type: String,
    /// Price List unit (`Hrs`, `GB-Mo`).
    pub unit: String,
    /// Price per unit in the book's currency.
    pub usd: f64,
    /// Where the figure was read.
    pub source: String,
    /// When it was read (`YYYY-MM-DD`).
    pub seen: String,
    /// The kind of source.
    #[serde(default)]
    pub source_kind: SourceKind,
    /// The offer file's own spelling, where it is not the canonical one plus the region's
    /// usual prefix (`APS1-AWSSecretsManager-Secret`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer_usage_type: Option<String>,
    /// Figures other sources gave and why they were not used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other: Vec<OtherFigure>,
}

/// A set of prices with its currency and snapshot date, and the organisation's rates.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PriceBook {
    /// What the book is, for people.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub about: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Date of the snapshot.
    pub snapshot: String,
    /// Hours in a billing month.
    pub hours_per_month: f64,
    /// The prices.
    pub prices: Vec<Price>,
    /// The organisation's discounts and rates (from its idp.kdl, never from a file):
    /// serialised so that whatever keys on the book keys on them too.
    #[serde(default, skip_deserializing, skip_serializing_if = "Rates::is_empty")]
    pub rates: Rates,
    /// The organisation accepts an incomplete estimate as a lower bound (`pricing {
    /// incomplete "accept" }`): policies then judge it instead of receiving none.
    #[serde(
        default,
        skip_deserializing,
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub accept_incomplete: bool,
}

impl PriceBook {
    /// The book embedded in idp.
    pub fn embedded() -> PriceBook {
        // The embedded file is checked by this crate's tests; a malformed one cannot ship.
        serde_json::from_str(include_str!("../pricebook.json")).unwrap_or_else(|_| PriceBook {
            about: String::new(),
            currency: "USD".into(),
            snapshot: String::new(),
            hours_per_month: 730.0,
            prices: Vec::new(),
            rates: Rates::default(),
            accept_incomplete: false,
        })
    }

    /// A book read from a file (`idp pricing refresh`'s, or the organisation's): at most
    /// [`MAX_BOOK_BYTES`], well formed, one price per region and usage type.
    pub fn read(path: &Path) -> Result<PriceBook, BookError> {
        let bytes = idp_model::read_prefix(path, MAX_BOOK_BYTES as usize).map_err(|e| {
            BookError::Unreadable {
                reason: e.to_string(),
            }
        })?;
        if bytes.len() as u64 > MAX_BOOK_BYTES {
            return Err(BookError::TooLarge {
                limit: MAX_BOOK_BYTES,
            });
        }
        PriceBook::parse(&bytes)
    }

    /// A book from its JSON, checked as [`PriceBook::read`] checks a file.
    pub fn parse(bytes: &[u8]) -> Result<PriceBook, BookError> {
        let mut book: PriceBook =
            serde_json::from_slice(bytes).map_err(|e| BookError::Malformed {
                reason: e.to_string(),
            })?;
        book.check()?;
        for p in &mut book.prices {
            let name = canonical(&p.region, &p.service_code, &p.usage_type).into_owned();
            if name != p.usage_type {
                p.offer_usage_type
                    .get_or_insert_with(|| p.usage_type.clone());
                p.usage_type = name;
            }
        }
        book.check_unique()?;
        Ok(book)
    }

    fn check(&self) -> Result<(), BookError> {
        let bad = |reason: String| Err(BookError::Invalid { reason });
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return bad(format!(
                "currency `{}` is not an ISO 4217 code",
                self.currency
            ));
        }
        if !(self.hours_per_month.is_finite() && (672.0..=744.0).contains(&self.hours_per_month)) {
            return bad(format!(
                "hours_per_month `{}` is not the hours of a month (AWS uses 730)",
                self.hours_per_month
            ));
        }
        if self.prices.len() > MAX_PRICES {
            return bad(format!("more than {MAX_PRICES} prices"));
        }
        for p in &self.prices {
            let fields = [&p.region, &p.service_code, &p.usage_type, &p.unit];
            if fields.iter().any(|f| f.is_empty() || f.len() > 200) {
                return bad(format!(
                    "a price has an empty or overlong region, service code, usage type or unit (`{}` `{}`)",
                    p.service_code, p.usage_type
                ));
            }
            if !(p.usd.is_finite() && p.usd >= 0.0) {
                return bad(format!(
                    "`{}` `{}` in `{}` has price `{}`",
                    p.service_code, p.usage_type, p.region, p.usd
                ));
            }
        }
        Ok(())
    }

    fn check_unique(&self) -> Result<(), BookError> {
        let mut keys: Vec<_> = self
            .prices
            .iter()
            .map(|p| (&p.region, &p.service_code, &p.usage_type))
            .collect();
        keys.sort_unstable();
        match keys.windows(2).find(|w| w[0] == w[1]) {
            Some(w) => Err(BookError::Invalid {
                reason: format!("`{}` `{}` in `{}` is priced twice", w[0].1, w[0].2, w[0].0),
            }),
            None => Ok(()),
        }
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

    /// This book with the organisation's: its book (every price marked as the
    /// organisation's) over this one, or alone when it is in another currency, since
    /// prices in two currencies cannot add up; and its rates.
    pub fn with_organisation(self, book: Option<PriceBook>, rates: Rates) -> PriceBook {
        let mut out = match book {
            Some(mut org) => {
                for p in &mut org.prices {
                    p.source_kind = SourceKind::Organisation;
                }
                if org.currency == self.currency {
                    self.overlaid_with(org)
                } else {
                    org
                }
            }
            None => self,
        };
        out.rates = rates;
        out
    }

    /// What identifies this book on a recorded estimate: its snapshot date and the first
    /// 12 hex digits of the sha256 of the book as serialised, which covers every price and
    /// the organisation's rates, so two estimates from different books never look alike.
    pub fn identity(&self) -> String {
        use sha2::Digest;
        let bytes = serde_json::to_vec(self).unwrap_or_default();
        let digest = hex::encode(sha2::Sha256::digest(&bytes));
        format!("{} sha256:{}", self.snapshot, &digest[..12])
    }

    /// The price of a usage type in a region, by its canonical name. A global service
    /// (CloudFront, Route 53) is priced under [`GLOBAL`] whatever the region.
    pub fn find(&self, region: &str, service_code: &str, usage_type: &str) -> Option<&Price> {
        let region = if GLOBAL_SERVICES.contains(&service_code) {
            GLOBAL
        } else {
            region
        };
        let usage_type = canonical(region, service_code, usage_type);
        self.prices.iter().find(|p| {
            p.region == region && p.service_code == service_code && p.usage_type == usage_type
        })
    }

    /// The regions the book has prices for, sorted ([`GLOBAL`] is not one).
    pub fn regions(&self) -> Vec<&str> {
        let mut r: Vec<&str> = self
            .prices
            .iter()
            .map(|p| p.region.as_str())
            .filter(|r| *r != GLOBAL)
            .collect();
        r.sort_unstable();
        r.dedup();
        r
    }
}

/// The price key of services AWS prices the same from every region: their offer files
/// are not regional, so an environment's region does not choose their price.
pub const GLOBAL: &str = "global";

/// Service codes priced under [`GLOBAL`].
pub const GLOBAL_SERVICES: &[&str] = &["AmazonCloudFront", "AmazonRoute53"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_global_service_is_priced_under_its_own_key_in_every_region() {
        let book = PriceBook::embedded();
        for region in crate::REGIONS {
            let p = book
                .find(region, "AmazonCloudFront", "US-DataTransfer-Out-Bytes")
                .expect("CloudFront is priced everywhere");
            assert_eq!(p.region, GLOBAL);
        }
        assert!(!book.regions().contains(&GLOBAL), "global is not a region");
        assert!(
            book.find("us-east-1", "AmazonS3", "US-DataTransfer-Out-Bytes")
                .is_none()
        );
    }

    fn price(region: &str, usd: f64) -> Price {
        Price {
            region: region.into(),
            service_code: "AmazonEC2".into(),
            usage_type: "NatGateway-Hours".into(),
            unit: "Hrs".into(),
            usd,
            source: "https://example.test".into(),
            seen: "2026-12-01".into(),
            source_kind: SourceKind::PriceListApi,
            offer_usage_type: None,
            other: Vec::new(),
        }
    }

    fn book(prices: Vec<Price>) -> PriceBook {
        PriceBook {
            about: String::new(),
            currency: "USD".into(),
            snapshot: "2026-12-01".into(),
            hours_per_month: 730.0,
            prices,
            rates: Rates::default(),
            accept_incomplete: false,
        }
    }

    #[test]
    fn a_refreshed_book_overrides_and_extends_the_embedded_one() {
        let newer = book(vec![price("us-east-1", 0.05), price("sa-east-1", 0.093)]);
        let book = PriceBook::embedded().overlaid_with(newer);
        let nat = |r| book.find(r, "AmazonEC2", "NatGateway-Hours").map(|p| p.usd);
        assert_eq!(nat("us-east-1"), Some(0.05));
        assert_eq!(nat("sa-east-1"), Some(0.093));
        assert_eq!(nat("eu-west-1"), Some(0.048), "the rest stays");
        assert!(book.regions().contains(&"sa-east-1"));
    }

    #[test]
    fn the_identity_names_the_snapshot_and_changes_with_any_price() {
        let a = book(vec![price("us-east-1", 0.05)]);
        let b = book(vec![price("us-east-1", 0.06)]);
        assert!(
            a.identity().starts_with("2026-12-01 sha256:"),
            "{}",
            a.identity()
        );
        assert_ne!(a.identity(), b.identity());
        assert_eq!(a.identity(), a.clone().identity());
    }

    #[test]
    fn an_organisation_book_in_another_currency_stands_alone() {
        let mut eur = book(vec![price("eu-west-1", 0.04)]);
        eur.currency = "EUR".into();
        let b = PriceBook::embedded().with_organisation(Some(eur), Rates::default());
        assert_eq!(b.currency, "EUR");
        assert_eq!(b.regions(), ["eu-west-1"]);
        assert_eq!(b.prices[0].source_kind, SourceKind::Organisation);
        let usd = book(vec![price("eu-west-1", 0.04)]);
        let b = PriceBook::embedded().with_organisation(Some(usd), Rates::default());
        assert!(
            b.regions().len() >= 8,
            "a USD book overlays the embedded one"
        );
    }

    #[test]
    fn a_file_is_checked_and_its_spellings_folded() {
        let text = |usd: &str, ut: &str| {
            format!(
                r#"{{"currency":"USD","snapshot":"2026-12-01","hours_per_month":730,"prices":[
                {{"region":"ap-southeast-1","service_code":"AWSSecretsManager","usage_type":"{ut}",
                  "unit":"Secrets-Mo","usd":{usd},"source":"s","seen":"2026-12-01"}}]}}"#
            )
        };
        let b = PriceBook::parse(text("0.4", "APS1-AWSSecretsManager-Secret").as_bytes())
            .expect("valid");
        assert_eq!(b.prices[0].usage_type, "AWSSecretsManager-Secrets");
        assert_eq!(
            b.prices[0].offer_usage_type.as_deref(),
            Some("APS1-AWSSecretsManager-Secret")
        );
        let err = PriceBook::parse(text("-1", "x").as_bytes()).expect_err("negative");
        assert!(err.to_string().contains("has price `-1`"), "{err}");
        let err = PriceBook::parse(b"{\"currency\":1}").expect_err("malformed");
        assert!(matches!(err, BookError::Malformed { .. }));
        let err = PriceBook::parse(
            br#"{"currency":"USD","snapshot":"","hours_per_month":730,"prices":[],"rates":{}}"#,
        )
        .expect_err("rates come from idp.kdl only");
        assert!(err.to_string().contains("unknown field `rates`"), "{err}");
    }

    #[test]
    fn the_embedded_book_is_well_formed_and_sourced() {
        let text = include_str!("../pricebook.json");
        let book = PriceBook::parse(text.as_bytes()).expect("pricebook.json is valid");
        assert_eq!(book.currency, "USD");
        assert_eq!(book.hours_per_month, 730.0);
        for p in &book.prices {
            assert!(p.usd > 0.0, "{p:?}");
            assert!(p.source.len() > 10, "{p:?} names its source");
            assert_ne!(p.source_kind, SourceKind::Unstated, "{p:?} says its kind");
            assert_eq!(p.seen.len(), 10, "{p:?} says when it was read");
            for o in &p.other {
                assert!(
                    o.source_kind >= p.source_kind,
                    "{p:?}: the stronger source is used"
                );
            }
        }
        assert_eq!(book.regions().len(), crate::REGIONS.len());
        for r in crate::REGIONS {
            assert!(book.regions().contains(r), "{r}");
        }
    }
}
