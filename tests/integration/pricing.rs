//! `idp pricing refresh` against a Pricing API on 127.0.0.1 that speaks the real
//! protocol: HTTP/1.1, JSON 1.1 (`X-Amz-Target: AWSPriceListService.GetProducts`),
//! filters, and pagination with `NextToken`, serving price-list items in their real shape.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

use crate::harness::{Sandbox, repo};
use crate::local_http::{self, Request, Response, Server};

/// A local Pricing API. It stops when dropped.
struct PricingApi {
    server: Server,
    calls: Arc<AtomicUsize>,
}

fn matches(item: &Value, filter: &Value) -> bool {
    let field = filter["Field"].as_str().unwrap_or_default();
    let want = filter["Value"].as_str().unwrap_or_default();
    let attr = if field == "regionCode" || field == "usagetype" || field == "databaseEngine" {
        item["product"]["attributes"][field]
            .as_str()
            .unwrap_or_default()
    } else {
        return true;
    };
    match filter["Type"].as_str() {
        Some("TERM_MATCH") | Some("EQUALS") => attr == want,
        Some("CONTAINS") => attr.contains(want),
        _ => false,
    }
}

/// Answers one GetProducts body: items of the service passing every filter, one per page.
fn get_products(items: &[Value], body: &Value) -> Value {
    let service = body["ServiceCode"].as_str().unwrap_or_default();
    let filters = body["Filters"].as_array().cloned().unwrap_or_default();
    let found: Vec<&Value> = items
        .iter()
        .filter(|i| i["serviceCode"] == service)
        .filter(|i| filters.iter().all(|f| matches(i, f)))
        .collect();
    let start: usize = body["NextToken"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let page: Vec<String> = found
        .iter()
        .skip(start)
        .take(1)
        .map(|i| i.to_string())
        .collect();
    let mut out = json!({"FormatVersion": "aws_v1", "PriceList": page});
    if start + 1 < found.len() {
        out["NextToken"] = json!((start + 1).to_string());
    }
    out
}

fn answer(request: &Request, items: &[Value], fail: bool, calls: &AtomicUsize) -> Response {
    calls.fetch_add(1, Ordering::Relaxed);
    let target_ok = request.header("x-amz-target").as_deref()
        == Some("AWSPriceListService.GetProducts")
        && request.header("content-type").as_deref() == Some("application/x-amz-json-1.1")
        && request
            .header("authorization")
            .is_some_and(|a| a.starts_with("AWS4-HMAC-SHA256"));
    let (status, reply) = if fail {
        (
            "500 Internal Server Error",
            json!({"__type": "InternalErrorException", "message": "try again"}),
        )
    } else if !target_ok {
        (
            "400 Bad Request",
            json!({"__type": "InvalidParameterException", "message": "not a signed GetProducts call"}),
        )
    } else {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        ("200 OK", get_products(items, &body))
    };
    let mut response = Response::json(status, &reply).with_header("x-amzn-RequestId", "test");
    response.content_type = "application/x-amz-json-1.1";
    response
}

fn start(fail: bool) -> PricingApi {
    let text = std::fs::read_to_string(repo().join("tests/fixtures/pricing/us-east-1-items.json"))
        .expect("items fixture");
    let items: Vec<Value> = serde_json::from_str(&text).expect("items are JSON");
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let server = local_http::start(Arc::new(move |r: &Request| {
        answer(r, &items, fail, &counter)
    }));
    PricingApi { server, calls }
}

fn refresh(s: &Sandbox, api: &PricingApi, extra: &[(&str, &str)]) -> crate::harness::Run {
    refresh_region(s, api, extra, "us-east-1")
}

fn refresh_region(
    s: &Sandbox,
    api: &PricingApi,
    extra: &[(&str, &str)],
    region: &str,
) -> crate::harness::Run {
    let endpoint = api.server.url();
    let mut env = vec![
        ("AWS_ENDPOINT_URL_PRICING", endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "AKIDLOCALTEST"),
        ("AWS_SECRET_ACCESS_KEY", "local-test-secret"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("IDP_CACHE_DIR", "PLACEHOLDER"),
    ];
    let cache = s.path().join("cache").display().to_string();
    env[4].1 = cache.as_str();
    env.extend_from_slice(extra);
    s.run_with(&["pricing", "refresh", "--region", region], &env)
}

#[test]
fn refresh_rebuilds_the_embedded_prices_from_the_pricing_api() {
    let s = Sandbox::new();
    let api = start(false);
    let run = refresh(&s, &api, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("[1/1] us-east-1: 32 of 32 usage types priced"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("warning: skipped a malformed item for `AmazonECS` in `us-east-1`: item `FIXTURESKU000028` has no `terms.OnDemand`"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("warning: no price"), "{}", run.stderr);
    assert!(
        api.calls.load(Ordering::Relaxed) > 24,
        "one call per usage type, more for pages"
    );

    let written: Value = serde_json::from_str(
        &std::fs::read_to_string(s.path().join("cache/pricebook.json")).expect("book written"),
    )
    .expect("book is JSON");
    let embedded: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("engine/price/pricebook.json")).expect("embedded"),
    )
    .expect("embedded is JSON");
    let key = |p: &Value| (p["service_code"].clone(), p["usage_type"].clone());
    let refreshed: Vec<&Value> = written["prices"].as_array().into_iter().flatten().collect();
    let us_east_1 = |p: &&Value| p["region"] == "us-east-1";
    for e in embedded["prices"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(us_east_1)
    {
        let r = refreshed
            .iter()
            .find(|r| key(r) == key(e))
            .unwrap_or_else(|| panic!("refreshed book lacks {:?}", key(e)));
        assert_eq!(
            r["usd"],
            e["usd"],
            "{:?}: the PostgreSQL, non-Outposts, first paid tier",
            key(e)
        );
        assert_eq!(r["unit"], e["unit"], "{:?}", key(e));
        assert!(
            r["source"]
                .as_str()
                .is_some_and(|s| s.starts_with("AWS Price List API GetProducts, SKU FIXTURESKU"))
        );
        assert_eq!(r["seen"], "2026-11-23");
    }

    // idp now prefers the refreshed book: its prices carry the refresh's date.
    let plan = s.run_with(
        &["plan", "examples/orders-preview.kdl"],
        &[(
            "IDP_CACHE_DIR",
            &s.path().join("cache").display().to_string(),
        )],
    );
    assert!(
        plan.stdout.contains("(prices of 2026-11-23)"),
        "{}",
        plan.stdout
    );
    // …until it is older than the configured age.
    let stale = s.run_with(
        &["plan", "examples/orders-preview.kdl"],
        &[
            (
                "IDP_CACHE_DIR",
                &s.path().join("cache").display().to_string(),
            ),
            ("IDP_PRICE_BOOK_MAX_AGE_DAYS", "0"),
            ("IDP_NOW", "2026-11-25T10:00:00Z"),
        ],
    );
    assert!(
        stale.stdout.contains("(prices of 2026-11-24)"),
        "{}",
        stale.stdout
    );
    assert!(
        stale
            .stderr
            .contains("is older than 0 days; using the embedded one"),
        "{}",
        stale.stderr
    );
}

#[test]
fn a_failing_api_leaves_the_previous_book_untouched() {
    let s = Sandbox::new();
    let cache = s.path().join("cache");
    std::fs::create_dir_all(&cache).expect("cache dir");
    let previous = std::fs::read(repo().join("engine/price/pricebook.json")).expect("embedded");
    std::fs::write(cache.join("pricebook.json"), &previous).expect("previous book");
    let api = start(true);
    let run = refresh(&s, &api, &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.flat_stderr()
            .contains("the AWS Price List API failed for `AmazonEC2` in `us-east-1`"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read(cache.join("pricebook.json")).expect("still there"),
        previous
    );
    let leftovers: Vec<_> = std::fs::read_dir(&cache)
        .expect("cache")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        1,
        "no temporary file left behind: {leftovers:?}"
    );
}

#[test]
fn refresh_folds_a_regional_spelling_and_skips_decoys() {
    let s = Sandbox::new();
    let api = start(false);
    let run = refresh_region(&s, &api, &[], "ap-southeast-1");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("[1/1] ap-southeast-1: 1 of 32 usage types priced"),
        "{}",
        run.stderr
    );
    let written: Value = serde_json::from_str(
        &std::fs::read_to_string(s.path().join("cache/pricebook.json")).expect("book written"),
    )
    .expect("book is JSON");
    let prices = written["prices"].as_array().cloned().unwrap_or_default();
    assert_eq!(prices.len(), 1);
    // The offer's singular `APS1-AWSSecretsManager-Secret` is the book's plural, with the
    // spelling it was read under; the Outposts product sharing the stem is not taken.
    assert_eq!(prices[0]["usage_type"], "AWSSecretsManager-Secrets");
    assert_eq!(
        prices[0]["offer_usage_type"],
        "APS1-AWSSecretsManager-Secret"
    );
    assert_eq!(prices[0]["usd"], 0.4);
    assert_eq!(prices[0]["source_kind"], "price_list_api");
}
