//! `idp cost` and the estimate in `plan`: every figure recomputed by hand from the price
//! book's entries (pricebook.json, us-east-1, 2026-11-24) and matched to the cent. The
//! other regions are in regions.rs, the organisation's rates in org_rates.rs.

use serde_json::Value;

use crate::harness::Sandbox;

fn cost_json(s: &Sandbox, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["cost"];
    all.extend(args);
    all.extend(["--format", "json"]);
    let run = s.idp(&all);
    let doc = serde_json::from_str(&run.stdout).unwrap_or(Value::Null);
    (run.code, doc)
}

fn cents(v: &Value) -> i64 {
    (v.as_f64().unwrap_or(f64::NAN) * 100.0).round() as i64
}

#[test]
fn orders_preview_is_priced_line_by_line_for_its_seven_days() {
    let s = Sandbox::new();
    let (code, doc) = cost_json(&s, &["examples/orders-preview.kdl"]);
    assert_eq!(code, 0);
    let cost = &doc["environments"][0]["cost"];
    // api-service in us-east-1: one NAT gateway, an ALB, one task of 0.5 vCPU / 1 GB × 2.
    // Monthly = quantity × price × 730 hours, or quantity × price for monthly lines.
    let monthly = 1.0 * 0.045 * 730.0      // NAT gateway hours            32.85
        + 5.0 * 0.045                      // NAT data, 5 GB assumed        0.225
        + 1.0 * 0.005 * 730.0              // public IPv4 of the NAT        3.65
        + 1.0 * 0.0225 * 730.0             // ALB hours                    16.425
        + 1.0 * 0.008 * 730.0              // 1 LCU assumed                 5.84
        + 2.0 * 0.005 * 730.0              // public IPv4 of the ALB        7.30
        + 1.0 * 0.04048 * 730.0            // 2 tasks × 0.5 vCPU           29.5504
        + 2.0 * 0.004445 * 730.0           // 2 tasks × 1 GB                6.4897
        + 1.0 * 0.50; //                      logs, 1 GB assumed            0.50
    assert_eq!(cents(&cost["monthly"]), 10283);
    assert_eq!(
        cents(&cost["monthly"]),
        (monthly * 100.0_f64).round() as i64
    );
    // 7 days = 168 hours: hourly lines × 168, monthly lines × 168 / 730.
    let hourly_rate = 0.045 + 0.005 + 0.0225 + 0.008 + 2.0 * 0.005 + 0.04048 + 2.0 * 0.004445;
    let lifetime = hourly_rate * 168.0 + (5.0 * 0.045 + 0.50) * 168.0 / 730.0;
    assert_eq!(cents(&cost["lifetime"]), 2367);
    assert_eq!(
        cents(&cost["lifetime"]),
        (lifetime * 100.0_f64).round() as i64
    );
    assert_eq!(cost["lifetime_hours"], 168.0);
    assert_eq!(cost["currency"], "USD");
    assert_eq!(cost["price_book"], "2026-11-24");
    let lines = cost["lines"].as_array().cloned().unwrap_or_default();
    assert_eq!(lines.len(), 9);
    assert_eq!(cents(&lines[0]["monthly"]), 3285);
    assert_eq!(cents(&lines[0]["lifetime"]), 756);
}

#[test]
fn the_table_shows_each_resource_and_the_totals() {
    let s = Sandbox::new();
    let run = s.idp(&["cost", "examples/orders-preview.kdl"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("cost_orders_preview", run.stdout);
}

#[test]
fn a_budget_sets_the_exit_code() {
    let s = Sandbox::new();
    let over = s.idp(&["cost", "examples/orders-preview.kdl", "--budget", "100"]);
    assert_eq!(over.code, 1);
    assert!(
        over.stderr
            .contains("over budget: `orders-preview` (102.83 USD) above 100.00 a month"),
        "{}",
        over.stderr
    );
    let (code, doc) = cost_json(&s, &["examples/orders-preview.kdl", "--budget", "150"]);
    assert_eq!(code, 0);
    assert_eq!(doc["environments"][0]["over_budget"], false);
}

#[test]
fn compare_shows_the_delta_against_a_baseline() {
    let s = Sandbox::new();
    let (code, doc) = cost_json(
        &s,
        &[
            "tests/fixtures/usage/env.kdl",
            "--compare",
            "examples/orders-preview.kdl",
        ],
    );
    assert_eq!(code, 0);
    let env = &doc["environments"][0];
    // The load test: 1 task of 0.25 vCPU / 0.5 GB, 50 GB NAT, 2.5 LCU, 12.5 GB logs.
    let monthly = 0.045 * 730.0
        + 50.0 * 0.045
        + 0.005 * 730.0
        + 0.0225 * 730.0
        + 2.5 * 0.008 * 730.0
        + 2.0 * 0.005 * 730.0
        + 0.25 * 0.04048 * 730.0
        + 0.5 * 0.004445 * 730.0
        + 12.5 * 0.50;
    assert_eq!(
        cents(&env["cost"]["monthly"]),
        (monthly * 100.0_f64).round() as i64
    );
    assert_eq!(env["compare"]["base"], "orders-preview");
    assert_eq!(cents(&env["compare"]["monthly"]), 10283);
    assert_eq!(
        cents(&env["compare"]["monthly_delta"]),
        ((monthly - 102.8301) * 100.0_f64).round() as i64
    );
}

#[test]
fn a_region_without_prices_is_an_error_not_a_zero() {
    let s = Sandbox::new();
    let run = s.idp(&["cost", "tests/fixtures/regions/sa-east-1.kdl"]);
    assert_eq!(run.code, 2);
    let err = run.flat_stderr();
    assert!(
        err.contains("the price book has no prices for region `sa-east-1`"),
        "{err}"
    );
    assert!(
        err.contains("run `idp pricing refresh --region")
            && err.contains("or give the organisation's own book"),
        "{err}"
    );
    assert!(run.stdout.is_empty(), "no table with made-up figures");
    // `plan` says the same instead of a figure.
    let plan = s.idp(&["plan", "tests/fixtures/regions/sa-east-1.kdl"]);
    assert!(
        plan.stdout.contains(
            "cost       not estimated: the price book has no prices for region `sa-east-1`"
        ),
        "{}",
        plan.stdout
    );
    // A region the book knows but not wholly is a lower bound that names what it lacks.
    let staging = s.idp(&["plan", "examples/billing-staging.kdl"]);
    assert!(
        staging.stdout.contains("cost       at least ")
            && staging
                .stdout
                .contains("incomplete, no price for `AmazonRDS` `RDS:GP3-Storage`"),
        "{}",
        staging.stdout
    );
}

#[test]
fn compare_with_the_estimate_recorded_at_apply() {
    let s = Sandbox::new();
    let apply = s.idp(&["apply", "examples/orders-preview.kdl", "--yes"]);
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    let (code, doc) = cost_json(
        &s,
        &[
            "tests/fixtures/usage/env.kdl",
            "--compare",
            "orders-preview",
        ],
    );
    assert_eq!(code, 0);
    let compare = &doc["environments"][0]["compare"];
    assert_eq!(compare["base"], "orders-preview (as applied)");
    assert_eq!(cents(&compare["monthly"]), 10283);
    let missing = s.idp(&[
        "cost",
        "examples/orders-preview.kdl",
        "--compare",
        "no-such-env",
    ]);
    assert_eq!(missing.code, 2);
    assert!(
        missing
            .stderr
            .contains("`no-such-env` is neither a spec file nor a recorded environment"),
        "{}",
        missing.stderr
    );
}

#[test]
fn check_lists_each_environments_monthly_cost() {
    let s = Sandbox::new();
    let run = s.idp(&["check", "examples", "--cost"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("check_cost_column", run.stdout);
}

#[test]
fn the_markdown_table_is_ready_for_a_pull_request_comment() {
    let s = Sandbox::new();
    let run = s.idp(&[
        "cost",
        "tests/fixtures/usage/env.kdl",
        "--compare",
        "examples/orders-preview.kdl",
        "--format",
        "markdown",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("cost_markdown_compare", run.stdout);
}
