//! The cost estimate as people and scripts read it: a one-line summary for `plan`, the
//! per-line table of `idp cost` (text and markdown), and its JSON.

use std::fmt::Write;

use idp_model::BillingBasis;
use idp_price::{Estimate, Line, PriceError};
use serde_json::{Value, json};

use crate::JSON_VERSION;

/// `102.83 USD a month, 23.67 USD over 7d (prices of 2026-11-24)`, or why there is none.
/// An incomplete estimate says `at least` and names what it lacks; one the organisation's
/// rates changed says so and gives the list figure.
pub fn cost_summary(cost: &Result<Estimate, PriceError>, ttl: &str) -> String {
    let priced = match cost {
        Ok(e) => Ok(e),
        Err(err) => err.estimate().ok_or(err),
    };
    match priced {
        Ok(e) => {
            let lifetime = match e.lifetime {
                Some(l) => format!(", {l:.2} {} over {ttl}", e.currency),
                None => String::new(),
            };
            let bound = if e.complete { "" } else { "at least " };
            let rates = match e.list_monthly {
                Some(list) => format!(" after the organisation's rates (list {list:.2})"),
                None => String::new(),
            };
            let missing = if e.complete {
                String::new()
            } else {
                format!("; incomplete, no price for {}", missing_names(e))
            };
            let saving = match &e.schedule {
                Some(s) => format!(
                    "; its schedule saves {:.2} a month against 24/7",
                    s.saving_monthly
                ),
                None => String::new(),
            };
            format!(
                "{bound}{:.2} {} a month{lifetime}{rates} (prices of {}){saving}{missing}",
                e.monthly, e.currency, e.price_book
            )
        }
        Err(err) => format!("not estimated: {err}"),
    }
}

/// `` `AWSEvents` `ScheduledInvocation`, … `` for the lines an estimate lacks.
fn missing_names(e: &Estimate) -> String {
    let mut names: Vec<String> = e
        .missing
        .iter()
        .map(|m| format!("`{}` `{}`", m.service_code, m.usage_type))
        .collect();
    names.dedup();
    names.join(", ")
}

/// The sentence under an incomplete estimate: its totals are lower bounds, what is
/// missing, and how to price it.
fn incomplete_note(e: &Estimate) -> Option<String> {
    (!e.complete).then(|| {
        format!(
            "incomplete: the totals are lower bounds; no price in {} for {}; {}",
            e.region,
            missing_names(e),
            e.remedy()
        )
    })
}

/// An estimate (or its error) as JSON; an incomplete one is its lower bound with the error.
pub fn estimate_json(cost: &Result<Estimate, PriceError>) -> Value {
    match cost {
        Ok(e) => serde_json::to_value(e).unwrap_or(Value::Null),
        Err(err) => match err.estimate().map(serde_json::to_value) {
            Some(Ok(Value::Object(mut o))) => {
                o.insert("error".into(), json!(err.to_string()));
                Value::Object(o)
            }
            _ => json!({"error": err.to_string()}),
        },
    }
}

/// One environment of `idp cost`: its estimate, and the one it is compared with.
pub struct CostRow<'a> {
    /// Environment name.
    pub name: &'a str,
    /// Its TTL as written (`7d`, `never`).
    pub ttl: String,
    /// Its estimate.
    pub estimate: &'a Estimate,
    /// The baseline's name and estimate, with `--compare`.
    pub base: Option<(String, &'a Estimate)>,
}

/// A line's resource column: its description, and whether it is billed for the scheduled
/// hours only.
fn resource(l: &Line) -> String {
    match l.scheduled {
        true => format!("{} (scheduled hours)", l.description),
        false => l.description.clone(),
    }
}

/// The saving row's resource column: the schedule, against around the clock.
fn saving_label(e: &Estimate) -> Option<String> {
    e.schedule.as_ref().map(|s| {
        format!(
            "schedule {} {} {} against 24/7",
            s.days, s.window, s.timezone
        )
    })
}

/// The sentence under a scheduled estimate: how its hours were counted.
fn schedule_note(e: &Estimate) -> Option<String> {
    e.schedule.as_ref().map(|s| {
        format!(
            "lines marked (scheduled hours) run {} h a week, billed {:.2} h a month ({} × 730 / 168); around the clock the total would be {:.2} {} a month",
            trim(s.hours_per_week),
            s.hours_per_month,
            trim(s.hours_per_week),
            s.always_on_monthly,
            e.currency
        )
    })
}

fn quantity(l: &Line) -> String {
    match l.basis {
        BillingBasis::PerHour => format!("{} per hour", trim(l.quantity)),
        BillingBasis::PerMonth => format!("{} {} a month", trim(l.quantity), l.unit),
    }
}

/// A number without trailing zeros (`0.5`, `2`, `0.0029762`).
fn trim(x: f64) -> String {
    let s = format!("{x:.7}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn money(x: Option<f64>) -> String {
    x.map_or_else(|| "—".to_owned(), |v| format!("{v:.2}"))
}

fn delta(now: f64, before: f64) -> String {
    let d = now - before;
    if before.abs() > f64::EPSILON {
        format!("{d:+.2} ({:+.0}%)", d / before * 100.0)
    } else {
        format!("{d:+.2}")
    }
}

/// Lines of the baseline matching a line: same call, same usage type.
fn base_line<'e>(base: &'e Estimate, l: &Line) -> Option<&'e Line> {
    base.lines
        .iter()
        .find(|b| b.call == l.call && b.usage_type == l.usage_type)
}

/// The `idp cost` table.
pub fn cost_human(rows: &[CostRow<'_>]) -> String {
    let mut out = String::new();
    for row in rows {
        let width = heading_human(row, &mut out);
        lines_human(row, width, &mut out);
        if let Some((name, base)) = &row.base {
            comparison_human(row.estimate, name, base, &mut out);
        }
    }
    out
}

/// The environment's line and the table's column heads; returns the width of the
/// resource column, wide enough for every line's description.
fn heading_human(row: &CostRow<'_>, out: &mut String) -> usize {
    let e = row.estimate;
    let hours = e
        .lifetime_hours
        .map_or_else(|| "no expiry".to_owned(), |h| format!("{} h", trim(h)));
    writeln!(
        out,
        "environment {} ({}, ttl {} = {hours}), prices of {}, {}",
        row.name, e.region, row.ttl, e.price_book, e.currency
    )
    .ok();
    let width = e
        .lines
        .iter()
        .map(|l| resource(l).chars().count())
        .chain(e.missing.iter().map(|m| m.description.chars().count()))
        .chain(e.adjustments.iter().map(|a| a.label.chars().count()))
        .chain(saving_label(e).map(|s| s.chars().count()))
        .max()
        .unwrap_or(0)
        .max(8);
    writeln!(
        out,
        "  {:<9} {:<width$}  {:>16}  {:>14}  {:>9}  {:>9}{}",
        "CALL",
        "RESOURCE",
        "UNIT PRICE",
        "QUANTITY",
        "MONTHLY",
        "LIFETIME",
        if row.base.is_some() {
            "  VS BASE (MONTHLY)"
        } else {
            ""
        }
    )
    .ok();
    width
}

/// A row per priced line, then the total, each against the baseline when there is one.
fn lines_human(row: &CostRow<'_>, width: usize, out: &mut String) {
    let e = row.estimate;
    for l in &e.lines {
        let vs = match &row.base {
            Some((_, base)) => {
                format!(
                    "  {}",
                    delta(l.monthly, base_line(base, l).map_or(0.0, |b| b.monthly))
                )
            }
            None => String::new(),
        };
        writeln!(
            out,
            "  {:<9} {:<width$}  {:>16}  {:>14}  {:>9}  {:>9}{vs}",
            l.call,
            resource(l),
            format!("{}/{}", trim(l.unit_price), l.unit),
            quantity(l),
            format!("{:.2}", l.monthly),
            money(l.lifetime)
        )
        .ok();
    }
    extra_rows_human(e, width, out);
    let vs = match &row.base {
        Some((_, base)) => format!("  {}", delta(e.monthly, base.monthly)),
        None => String::new(),
    };
    writeln!(
        out,
        "  {:<9} {:<width$}  {:>16}  {:>14}  {:>9}  {:>9}{vs}",
        if e.complete { "total" } else { "at least" },
        "",
        "",
        "",
        format!("{:.2}", e.monthly),
        money(e.lifetime)
    )
    .ok();
    saving_human(e, width, out);
    if let Some(note) = incomplete_note(e) {
        writeln!(out, "  {note}").ok();
    }
}

/// The schedule's saving against 24/7, a row of its own under the total, and how its
/// hours were counted.
fn saving_human(e: &Estimate, width: usize, out: &mut String) {
    let (Some(s), Some(label)) = (&e.schedule, saving_label(e)) else {
        return;
    };
    writeln!(
        out,
        "  {:<9} {:<width$}  {:>16}  {:>14}  {:>9}  {:>9}",
        "saving",
        label,
        "",
        format!("{} h a week", trim(s.hours_per_week)),
        format!("{:.2}", -s.saving_monthly),
        money(s.saving_lifetime.map(|l| -l))
    )
    .ok();
    if let Some(note) = schedule_note(e) {
        writeln!(out, "  {note}").ok();
    }
}

/// The lines without a price, then (when the organisation's rates changed anything) the
/// list total and a row per rule, so no discounted figure passes for a list price.
fn extra_rows_human(e: &Estimate, width: usize, out: &mut String) {
    for m in &e.missing {
        writeln!(
            out,
            "  {:<9} {:<width$}  {:>16}  {:>14}  {:>9}  {:>9}",
            m.call, m.description, "no price", "", "?", "?"
        )
        .ok();
    }
    let Some(list) = e.list_monthly else {
        return;
    };
    writeln!(
        out,
        "  {:<9} {:<width$}  {:>16}  {:>14}  {:>9}  {:>9}",
        "list",
        "at the price book's prices",
        "",
        "",
        format!("{list:.2}"),
        money(e.list_lifetime)
    )
    .ok();
    for a in &e.adjustments {
        writeln!(
            out,
            "  {:<9} {:<width$}  {:>16}  {:>14}  {:>9}  {:>9}",
            "rates",
            a.label,
            "",
            "",
            format!("{:.2}", a.monthly),
            money(a.lifetime)
        )
        .ok();
    }
}

/// What only the baseline has, and the monthly totals side by side.
fn comparison_human(e: &Estimate, name: &str, base: &Estimate, out: &mut String) {
    for b in &base.lines {
        if !e
            .lines
            .iter()
            .any(|l| l.call == b.call && l.usage_type == b.usage_type)
        {
            writeln!(
                out,
                "  only in {name}: {} ({:.2} a month)",
                b.description, b.monthly
            )
            .ok();
        }
    }
    writeln!(
        out,
        "  compared with {name}: {:.2} → {:.2} {} a month ({})",
        base.monthly,
        e.monthly,
        e.currency,
        delta(e.monthly, base.monthly)
    )
    .ok();
}

/// The `idp cost` table in markdown, for PR comments.
pub fn cost_markdown(rows: &[CostRow<'_>]) -> String {
    let mut out = String::new();
    for row in rows {
        let e = row.estimate;
        writeln!(
            out,
            "### `{}`: {}{:.2} {} a month{}\n",
            crate::md_code(row.name),
            if e.complete { "" } else { "at least " },
            e.monthly,
            e.currency,
            e.lifetime
                .map_or_else(String::new, |l| format!(", {l:.2} over {}", row.ttl))
        )
        .ok();
        writeln!(
            out,
            "| call | resource | unit price | quantity | monthly | lifetime |"
        )
        .ok();
        writeln!(out, "|---|---|---:|---:|---:|---:|").ok();
        for l in &e.lines {
            writeln!(
                out,
                "| {} | {} | {}/{} | {} | {:.2} | {} |",
                crate::md_text(&l.call),
                crate::md_text(&resource(l)),
                trim(l.unit_price),
                crate::md_text(&l.unit),
                quantity(l),
                l.monthly,
                money(l.lifetime)
            )
            .ok();
        }
        extra_rows_markdown(e, &mut out);
        writeln!(
            out,
            "| **{}** | | | | **{:.2}** | **{}** |",
            if e.complete { "total" } else { "at least" },
            e.monthly,
            money(e.lifetime)
        )
        .ok();
        if let (Some(s), Some(label)) = (&e.schedule, saving_label(e)) {
            writeln!(
                out,
                "| saving | {} | | {} h a week | {:.2} | {} |",
                crate::md_text(&label),
                trim(s.hours_per_week),
                -s.saving_monthly,
                money(s.saving_lifetime.map(|l| -l))
            )
            .ok();
        }
        if let Some(note) = schedule_note(e) {
            writeln!(out, "\n{}.", crate::md_message(&note)).ok();
        }
        if let Some(note) = incomplete_note(e) {
            writeln!(out, "\n{}.", crate::md_message(&note)).ok();
        }
        if let Some((name, base)) = &row.base {
            writeln!(
                out,
                "\nCompared with `{name}`: {:.2} → {:.2} ({}).",
                base.monthly,
                e.monthly,
                delta(e.monthly, base.monthly)
            )
            .ok();
        }
        writeln!(out, "\nPrices of {} ({}).\n", e.price_book, e.region).ok();
    }
    out
}

/// Markdown rows for the lines without a price and the organisation's rules.
fn extra_rows_markdown(e: &Estimate, out: &mut String) {
    for m in &e.missing {
        writeln!(
            out,
            "| {} | {} | no price | | ? | ? |",
            crate::md_text(&m.call),
            crate::md_text(&m.description)
        )
        .ok();
    }
    if let Some(list) = e.list_monthly {
        writeln!(
            out,
            "| list | at the price book's prices | | | {list:.2} | {} |",
            money(e.list_lifetime)
        )
        .ok();
        for a in &e.adjustments {
            writeln!(
                out,
                "| rates | {} | | | {:.2} | {} |",
                crate::md_text(&a.label),
                a.monthly,
                money(a.lifetime)
            )
            .ok();
        }
    }
}

/// The JSON document of `idp cost`.
pub fn cost_json(spec: &std::path::Path, rows: &[CostRow<'_>], budget: Option<f64>) -> Value {
    let environments: Vec<Value> = rows
        .iter()
        .map(|row| {
            let mut v = json!({
                "name": row.name,
                "ttl": row.ttl,
                "cost": row.estimate,
                "over_budget": budget.is_some_and(|b| row.estimate.monthly > b),
            });
            if let Some((name, base)) = &row.base {
                v["compare"] = json!({
                    "base": name,
                    "monthly": base.monthly,
                    "monthly_delta": row.estimate.monthly - base.monthly,
                    "lifetime": base.lifetime,
                });
            }
            v
        })
        .collect();
    json!({
        "version": JSON_VERSION,
        "spec": spec,
        "budget": budget,
        "environments": environments,
    })
}
