//! `idp pricing refresh`: the price book from the AWS Price List API, written atomically;
//! `idp pricing coverage`: which regions the book covers for what the templates bill.

use std::fmt::Write;
use std::path::Path;

use idp_price::{Coverage, Need, PriceBook};
use serde_json::json;

use crate::args::{Format, PricingCommand};
use crate::context;
use crate::outcome::Outcome;
use crate::progress;
use crate::ui::{self, CliError};

pub fn run(config: Option<&Path>, command: PricingCommand) -> Result<Outcome, CliError> {
    match command {
        PricingCommand::Refresh {
            regions,
            output,
            quiet,
        } => refresh(regions, output, quiet),
        PricingCommand::Coverage { regions, format } => coverage(config, &regions, format),
    }
}

/// The book estimates use here: embedded, refreshed, and the organisation's on top when
/// an idp.kdl governs the current directory.
fn book(config: Option<&Path>) -> Result<PriceBook, CliError> {
    let prices = context::prices()?;
    let cwd = std::env::current_dir().unwrap_or_default();
    if config.is_none() && idp_config::discover(&cwd).is_err() {
        return Ok(prices);
    }
    Ok(context::config(config, &cwd)?.pricing.apply(prices))
}

fn coverage(
    config: Option<&Path>,
    regions: &[String],
    format: Format,
) -> Result<Outcome, CliError> {
    let book = book(config)?;
    let mut names: Vec<String> = if regions.is_empty() {
        idp_price::REGIONS
            .iter()
            .map(|r| (*r).to_owned())
            .chain(book.regions().into_iter().map(str::to_owned))
            .collect()
    } else {
        regions.to_vec()
    };
    if regions.is_empty() {
        names.sort();
        names.dedup();
    }
    let all: Vec<Coverage<'_>> = names.iter().map(|r| book.coverage(r)).collect();
    match format {
        Format::Json => ui::print_json(&json!({
            "version": idp_report::JSON_VERSION,
            "currency": book.currency,
            "snapshot": book.snapshot,
            "regions": all,
        })),
        Format::Human => print!("{}", coverage_human(&book, &all, !regions.is_empty())),
    }
    Ok(Outcome::Clean)
}

/// A line per region (covered, and what it lacks); with `--region`, a row per usage type.
fn coverage_human(book: &PriceBook, all: &[Coverage<'_>], detail: bool) -> String {
    let mut out = String::new();
    writeln!(
        out,
        "price book of {} in {}; a region is covered when every usage type the built-in templates bill with their default inputs has a price",
        book.snapshot, book.currency
    )
    .ok();
    for c in all {
        let lacks = |need| {
            c.missing(need)
                .map(|m| format!("{} {}", m.service_code, m.usage_type))
                .collect::<Vec<_>>()
        };
        let (default, production) = (lacks(Need::Default), lacks(Need::Production));
        let state = match (c.covered, c.covered_for_production) {
            (true, true) => "covered".to_owned(),
            (true, false) => format!(
                "covered (production's Multi-AZ lacks {})",
                production.join(", ")
            ),
            (false, _) => format!("not covered: no price for {}", default.join(", ")),
        };
        writeln!(out, "{:<15} {state}", c.region).ok();
        if detail {
            usage_rows(c, &mut out);
        }
    }
    out
}

fn usage_rows(c: &Coverage<'_>, out: &mut String) {
    writeln!(
        out,
        "  {:<18} {:<30} {:<10} {:>14}  {:<20} SEEN",
        "SERVICE", "USAGE TYPE", "NEEDED", "PRICE", "SOURCE KIND"
    )
    .ok();
    for cell in &c.usage_types {
        let need = match cell.need {
            Need::Default => "default",
            Need::Production => "production",
            Need::Optional => "optional",
        };
        let (price, kind, seen) = match cell.price {
            Some(p) => (
                format!("{}/{}", p.usd, p.unit),
                serde_json::to_value(p.source_kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                p.seen.clone(),
            ),
            None => ("missing".to_owned(), String::new(), String::new()),
        };
        writeln!(
            out,
            "  {:<18} {:<30} {:<10} {:>14}  {:<20} {seen}",
            cell.service_code, cell.usage_type, need, price, kind
        )
        .ok();
    }
}

fn refresh(
    regions: Vec<String>,
    output: Option<std::path::PathBuf>,
    quiet: bool,
) -> Result<Outcome, CliError> {
    let regions: Vec<String> = if regions.is_empty() {
        idp_price_refresh::DEFAULT_REGIONS
            .iter()
            .map(|r| (*r).to_owned())
            .collect()
    } else {
        regions
    };
    let path = match output.or_else(context::refreshed_price_book) {
        Some(p) => p,
        None => {
            return Err(CliError::usage(
                "idp::usage::no_cache_dir",
                "no cache directory to write the price book to",
                "set IDP_CACHE_DIR, or pass --output FILE",
            ));
        }
    };
    let today = context::now()?
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .to_string();
    eprintln!(
        "pricing {} usage types in {} region(s) from the AWS Price List API…",
        idp_price::BILLED.len(),
        regions.len()
    );
    // On a terminal the bar counts the regions and each region's line scrolls above it;
    // elsewhere the lines alone, as a log; with --quiet neither.
    let bar = progress::bar(regions.len() as u64, "regions", quiet);
    let refreshed = idp_price_refresh::refresh(&regions, &today, |line| {
        if !bar.is_hidden() {
            bar.println(format!("  {}", idp_model::terminal_safe(line)));
            bar.inc(1);
        } else if !quiet {
            eprintln!("  {line}");
        }
    });
    bar.finish_and_clear();
    let refreshed = refreshed.map_err(CliError::plugin)?;
    for s in &refreshed.skipped {
        eprintln!(
            "warning: skipped a malformed item for `{}` in `{}`: {}",
            s.service_code, s.region, s.reason
        );
    }
    for (region, service, usage) in &refreshed.missing {
        eprintln!("warning: no price for `{service}` `{usage}` in `{region}`");
    }
    idp_price_refresh::write_book(&refreshed.book, &path).map_err(CliError::plugin)?;
    eprintln!(
        "wrote {} prices to `{}`",
        refreshed.book.prices.len(),
        path.display()
    );
    Ok(Outcome::Clean)
}
