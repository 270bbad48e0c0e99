//! `idp pricing refresh`: rebuilds the price book from the AWS Price List API
//! (`AWSPriceListService.GetProducts`, through aws-sdk-pricing and the standard credential
//! chain; `AWS_ENDPOINT_URL_PRICING` points it elsewhere) for the usage types the built-in
//! templates bill, and writes it where `idp` prefers it over the embedded book.
//!
//! It is the only part of idp that needs an async runtime, so the runtime is built here,
//! per call, and nothing else pays for it.
#![deny(missing_docs)]

mod item;

use std::path::Path;

use aws_sdk_pricing::types::{Filter, FilterType};
use idp_price::{Price, PriceBook, SourceKind};

pub use item::{ItemError, parse_item};

/// Every (service code, canonical usage type) the built-in templates bill.
pub fn billed() -> impl Iterator<Item = (&'static str, &'static str)> {
    idp_price::BILLED.iter().map(|&(s, u, _)| (s, u))
}

/// The regions refreshed when none are named: the embedded book's.
pub const DEFAULT_REGIONS: &[&str] = idp_price::REGIONS;

/// Why a refresh failed as a whole; single malformed items are [`Skipped`] instead.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum RefreshError {
    /// The Price List API could not be reached or refused the call.
    #[error("the AWS Price List API failed for `{service_code}` in `{region}`: {reason}")]
    #[diagnostic(
        code(idp::pricing::api),
        help(
            "check AWS credentials (the standard chain: AWS_PROFILE, AWS_ACCESS_KEY_ID, …) and, if set, AWS_ENDPOINT_URL_PRICING"
        )
    )]
    Api {
        /// Service asked for.
        service_code: String,
        /// Region asked for.
        region: String,
        /// What the SDK said.
        reason: String,
    },
    /// The book could not be written.
    #[error("cannot write the price book to `{}`: {reason}", path.display())]
    #[diagnostic(
        code(idp::pricing::write),
        help("check that the cache directory is writable, or set IDP_CACHE_DIR")
    )]
    Write {
        /// Where.
        path: std::path::PathBuf,
        /// Why.
        reason: String,
    },
}

/// A price-list item that was reported and left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    /// Region asked for.
    pub region: String,
    /// Service asked for.
    pub service_code: String,
    /// Why.
    pub reason: String,
}

/// What a refresh produced.
#[derive(Debug, Clone)]
pub struct Refreshed {
    /// The new book.
    pub book: PriceBook,
    /// Items reported and skipped.
    pub skipped: Vec<Skipped>,
    /// Usage types no item priced, per region.
    pub missing: Vec<(String, String, String)>,
}

/// Fetches every billed usage type for `regions`; `progress` hears each step. `today`
/// dates the book and every price in it.
pub fn refresh(
    regions: &[String],
    today: &str,
    mut progress: impl FnMut(&str),
) -> Result<Refreshed, RefreshError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| RefreshError::Api {
            service_code: String::new(),
            region: String::new(),
            reason: e.to_string(),
        })?;
    runtime.block_on(async {
        // The Price List API is served from us-east-1 whatever region is priced.
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .load()
            .await;
        let client = aws_sdk_pricing::Client::new(&config);
        let mut prices = Vec::new();
        let mut skipped = Vec::new();
        let mut missing = Vec::new();
        for (n, region) in regions.iter().enumerate() {
            let mut found = 0;
            for (service_code, usage_type) in billed() {
                let items = get_products(&client, service_code, usage_type, region).await?;
                let mut priced = None;
                for text in items {
                    match parse_item(&text, region, service_code, usage_type) {
                        Ok(Some(item)) if priced.is_none() => priced = Some(item),
                        Ok(_) => {}
                        Err(e) => skipped.push(Skipped {
                            region: region.clone(),
                            service_code: service_code.to_owned(),
                            reason: e.to_string(),
                        }),
                    }
                }
                match priced {
                    Some(item) => {
                        found += 1;
                        prices.push(Price {
                            region: region.clone(),
                            service_code: service_code.to_owned(),
                            usage_type: usage_type.to_owned(),
                            unit: item.unit,
                            usd: item.usd,
                            source: format!(
                                "AWS Price List API GetProducts, SKU {}, offer term {}",
                                item.sku, item.offer
                            ),
                            seen: today.to_owned(),
                            source_kind: SourceKind::PriceListApi,
                            offer_usage_type: item.offer_usage_type,
                            other: Vec::new(),
                        });
                    }
                    None => missing.push((
                        region.clone(),
                        service_code.to_owned(),
                        usage_type.to_owned(),
                    )),
                }
            }
            progress(&format!(
                "[{}/{}] {region}: {found} of {} usage types priced",
                n + 1,
                regions.len(),
                idp_price::BILLED.len()
            ));
        }
        Ok(Refreshed {
            book: PriceBook {
                about: String::new(),
                currency: "USD".into(),
                snapshot: today.to_owned(),
                hours_per_month: 730.0,
                prices,
                rates: idp_price::Rates::default(),
                accept_incomplete: false,
            },
            skipped,
            missing,
        })
    })
}

/// Every page of GetProducts for one usage type in one region.
async fn get_products(
    client: &aws_sdk_pricing::Client,
    service_code: &str,
    usage_type: &str,
    region: &str,
) -> Result<Vec<String>, RefreshError> {
    let filter = |field: &str, kind: FilterType, value: &str| {
        Filter::builder()
            .r#type(kind)
            .field(field)
            .value(value)
            .build()
            .map_err(|e| RefreshError::Api {
                service_code: service_code.to_owned(),
                region: region.to_owned(),
                reason: e.to_string(),
            })
    };
    let mut filters = vec![
        filter("regionCode", FilterType::TermMatch, region)?,
        // Usage types carry a region prefix (`USE1-`, `EU-`) in most services, and some a
        // regional variant (a singular `-Secret`): ask for the stem every spelling has.
        filter(
            "usagetype",
            FilterType::Contains,
            idp_price::usage::query_stem(service_code, usage_type),
        )?,
    ];
    if service_code == "AmazonRDS" && !usage_type.starts_with("RDS:") {
        filters.push(filter(
            "databaseEngine",
            FilterType::TermMatch,
            "PostgreSQL",
        )?);
    }
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = client
            .get_products()
            .service_code(service_code)
            .format_version("aws_v1")
            .set_filters(Some(filters.clone()))
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| RefreshError::Api {
                service_code: service_code.to_owned(),
                region: region.to_owned(),
                reason: aws_sdk_pricing::error::DisplayErrorContext(&e).to_string(),
            })?;
        items.extend(out.price_list().iter().cloned());
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_owned()),
            _ => break,
        }
    }
    Ok(items)
}

/// Writes the book next to its final name, syncs it and renames it into place, so an
/// interrupted refresh leaves the previous book whole.
pub fn write_book(book: &PriceBook, path: &Path) -> Result<(), RefreshError> {
    let err = |e: std::io::Error| RefreshError::Write {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let text = serde_json::to_string_pretty(book).map_err(|e| RefreshError::Write {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let tmp = path.with_extension(format!("json.tmp-{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        std::fs::remove_file(&tmp).ok();
        err(e)
    })
}
