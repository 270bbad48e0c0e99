//! The organisation's own rates (issue 16): `pricing { book; discount; rate; incomplete }`
//! in its idp.kdl only, each rule a line of its own on the estimate, a hostile book refused
//! at its line, and the incremental check keyed on the book's bytes and the discounts.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::harness::{Run, Sandbox, repo};

fn cents(v: f64) -> i64 {
    (v * 100.0).round() as i64
}

#[test]
fn discounts_and_rates_are_lines_of_their_own_and_the_organisations_book_fills_a_gap() {
    let s = Sandbox::new();
    let run = s.idp(&[
        "cost",
        "tests/fixtures/org-rates/db.kdl",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).expect("JSON");
    let cost = &doc["environments"][0]["cost"];
    // eu-west-1 list prices (pricebook.json, EU rows) for api-database's defaults; gp3
    // from the organisation's negotiated.json, which the embedded book lacks there.
    let (nat, ipv4, alb, lcu) = (0.048, 0.005, 0.0252, 0.008);
    let fargate = 0.25 * 0.04048 * 730.0 + 0.5 * 0.004445 * 730.0;
    let rds = 0.017 * 730.0;
    let others = nat * 730.0 + 5.0 * nat + ipv4 * 730.0 + alb * 730.0 + lcu * 730.0
        + 2.0 * ipv4 * 730.0
        + 0.57          // logs, 1 GB
        + 20.0 * 0.125  // gp3 at the organisation's price
        + 0.4; //          the secret
    let list = others + fargate + rds;
    // The most specific rule per line: the rate for db.t4g.micro, 25 % off Fargate, 10 %
    // off the rest; none stacks.
    let adjustments = [
        ("discount 10 % (idp.kdl line 6)", -others * 0.10),
        (
            "discount 25 % on AmazonECS (idp.kdl line 7)",
            -fargate * 0.25,
        ),
        (
            "rate AmazonRDS InstanceUsage:db.t4g.micro at 0.012 USD (idp.kdl line 8)",
            (0.012 - 0.017) * 730.0,
        ),
    ];
    assert_eq!(
        cents(cost["list_monthly"].as_f64().unwrap_or_default()),
        cents(list)
    );
    let shown: Vec<(String, i64)> = cost["adjustments"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            let label = a["label"].as_str().unwrap_or_default().to_owned();
            (label, cents(a["monthly"].as_f64().unwrap_or_default()))
        })
        .collect();
    let expected: Vec<(String, i64)> = adjustments
        .iter()
        .map(|(l, m)| ((*l).to_owned(), cents(*m)))
        .collect();
    assert_eq!(shown, expected);
    let effective = list + adjustments.iter().map(|a| a.1).sum::<f64>();
    assert_eq!(
        cents(cost["monthly"].as_f64().unwrap_or_default()),
        cents(effective)
    );
    assert_eq!(cents(effective), 8206);
    assert_eq!(
        cost["complete"],
        Value::Null,
        "complete: written only when false"
    );
    let gp3 = cost["lines"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|l| l["usage_type"] == "RDS:GP3-Storage")
        .cloned()
        .unwrap_or_default();
    assert_eq!(gp3["organisation"], "book", "not a list price");
    assert_eq!(gp3["unit_price"], 0.125);

    let human = s.idp(&["cost", "tests/fixtures/org-rates/db.kdl"]);
    for row in [
        "  list      at the price book's prices",
        "  rates     discount 10 % (idp.kdl line 6)",
        "  rates     discount 25 % on AmazonECS (idp.kdl line 7)",
        "  rates     rate AmazonRDS InstanceUsage:db.t4g.micro at 0.012 USD (idp.kdl line 8)",
    ] {
        assert!(human.stdout.contains(row), "{row}\n{}", human.stdout);
    }
    let plan = s.idp(&["plan", "tests/fixtures/org-rates/db.kdl"]);
    assert!(
        plan.stdout.contains(
            "82.06 USD a month, 18.89 USD over 7d after the organisation's rates (list 95.36)"
        ),
        "{}",
        plan.stdout
    );
}

#[test]
fn a_nested_idp_kdl_setting_a_discount_is_refused_at_its_line() {
    let s = Sandbox::new();
    let run = s.idp(&["plan", "tests/fixtures/org-rates/team/env.kdl"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let err = run.flat_stderr();
    assert!(err.contains("idp::config::organisation_only"), "{err}");
    assert!(err.contains("may set `pricing`"), "{err}");
    assert!(err.contains("team/idp.kdl:3:1]"), "{err}");
}

/// A project in the sandbox: `idp.kdl` with `pricing`, and the fixture's spec.
fn project(s: &Sandbox, pricing: &str) -> PathBuf {
    let dir = s.path().join("org");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("idp.kdl"), format!("pricing {{\n{pricing}\n}}\n")).expect("write");
    for file in ["db.kdl", "negotiated.json"] {
        std::fs::copy(
            repo().join("tests/fixtures/org-rates").join(file),
            dir.join(file),
        )
        .expect("copy");
    }
    dir
}

#[test]
fn a_hostile_or_malformed_price_book_is_an_error_at_its_line() {
    let s = Sandbox::new();
    let dir = project(&s, "    book \"book.json\"");
    let spec = dir.join("db.kdl").display().to_string();
    let cases: [(&[u8], &str); 4] = [
        (b"{\"currency\": ", "it is not a price book: EOF while parsing"),
        (
            br#"{"currency":"USD","snapshot":"x","hours_per_month":730,"prices":[{"region":"eu-west-1","service_code":"AmazonEC2","usage_type":"NatGateway-Hours","unit":"Hrs","usd":-0.01,"source":"s","seen":"2026-12-01"}]}"#,
            "it is not a valid price book: `AmazonEC2` `NatGateway-Hours` in `eu-west-1` has price `-0.01`",
        ),
        (
            br#"{"currency":"USD","snapshot":"x","hours_per_month":730,"prices":[],"rates":{"rules":[]}}"#,
            "unknown field `rates`",
        ),
        (&[b' '; 9 << 20], "it is larger than 8388608 bytes"),
    ];
    for (bytes, message) in cases {
        std::fs::write(dir.join("book.json"), bytes).expect("write");
        let run = s.idp(&["plan", &spec]);
        assert_eq!(run.code, 2, "{message}: {}", run.stderr);
        let err = run.flat_stderr();
        assert!(
            err.contains("the price book `book.json` cannot be used"),
            "{err}"
        );
        assert!(err.contains(message), "{message}: {err}");
        assert!(err.contains("idp.kdl:2:5]"), "at the `book` line: {err}");
        assert!(run.stdout.is_empty());
    }
    // An endless file is read only past the limit.
    std::fs::write(
        dir.join("idp.kdl"),
        "pricing {\n    book \"/dev/zero\"\n}\n",
    )
    .expect("write");
    let run = s.idp(&["plan", &spec]);
    assert_eq!(run.code, 2);
    assert!(
        run.flat_stderr()
            .contains("it is larger than 8388608 bytes")
    );
}

#[test]
fn the_organisation_may_let_a_lower_bound_pass_the_budget() {
    let s = Sandbox::new();
    let dir = project(&s, "    incomplete \"accept\"");
    let spec = dir.join("tokyo.kdl");
    std::fs::copy(
        repo().join("tests/fixtures/regions/ap-northeast-1.kdl"),
        &spec,
    )
    .expect("copy");
    let spec = spec.display().to_string();
    let within = s.idp(&[
        "cost",
        &spec,
        "--env",
        "cron-apnortheast1",
        "--budget",
        "1000",
    ]);
    assert_eq!(within.code, 0, "{}", within.stderr);
    let over = s.idp(&[
        "cost",
        &spec,
        "--env",
        "cron-apnortheast1",
        "--budget",
        "10",
    ]);
    assert_eq!(
        over.code, 1,
        "a lower bound above the budget is over it: {}",
        over.stderr
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_name() == "check" {
            continue;
        }
        if src.is_dir() {
            copy_dir(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).expect("copy");
        }
    }
}

/// `idp check --stats` over the project with a cache of its own: the `cache:` line.
fn check_stats(s: &Sandbox, dir: &Path, cache: &Path) -> (Run, String) {
    let run = s.run_with(
        &[
            "check",
            &dir.display().to_string(),
            "--stats",
            "--format",
            "json",
        ],
        &[("IDP_CACHE_DIR", &cache.display().to_string())],
    );
    let line = run
        .stderr
        .lines()
        .find(|l| l.starts_with("cache:"))
        .unwrap_or_default()
        .to_owned();
    (run, line)
}

#[test]
fn changing_a_discount_or_the_organisations_book_checks_every_spec_again() {
    let s = Sandbox::new();
    let dir = project(&s, "    book \"negotiated.json\"\n    discount 10");
    std::fs::copy(
        repo().join("tests/fixtures/regions/eu-west-1.kdl"),
        dir.join("more.kdl"),
    )
    .expect("copy");
    let cache = s.path().join("cache");
    let shared = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("idp-compile-cache");
    if shared.is_dir() {
        copy_dir(&shared, &cache);
    }
    let (first, _) = check_stats(&s, &dir, &cache);
    assert!(matches!(first.code, 0 | 1), "{}", first.stderr);
    let (_, warm) = check_stats(&s, &dir, &cache);
    assert_eq!(warm, "cache: 2 hit(s), 0 miss(es), 0 written");
    let config = dir.join("idp.kdl");
    let text = std::fs::read_to_string(&config).expect("idp.kdl");
    std::fs::write(&config, text.replace("discount 10", "discount 15")).expect("write");
    let (_, line) = check_stats(&s, &dir, &cache);
    assert_eq!(line, "cache: 0 hit(s), 2 miss(es), 2 written");
    // The book's bytes count, not only idp.kdl's.
    let book = dir.join("negotiated.json");
    let text = std::fs::read_to_string(&book).expect("book");
    std::fs::write(&book, text.replace("0.125", "0.124")).expect("write");
    let (_, line) = check_stats(&s, &dir, &cache);
    assert_eq!(line, "cache: 0 hit(s), 2 miss(es), 2 written");
    let (_, line) = check_stats(&s, &dir, &cache);
    assert_eq!(line, "cache: 2 hit(s), 0 miss(es), 0 written");
}
