//! `idp cost report` as people, spreadsheets and pull requests read it. The figures come
//! from [`idp_state::spend`]; this only lays them out.

use std::fmt::Write;

use idp_state::spend::{CostReport, EnvironmentSpend, GroupTotal};
use serde_json::{Value, json};

use crate::JSON_VERSION;

/// `12.34 USD`, `≥ 12.34 USD` for a lower bound, `-` for none.
fn money(amount: Option<f64>, currency: Option<&str>, complete: bool) -> String {
    match (amount, currency) {
        (Some(a), Some(c)) if complete => format!("{a:.2} {c}"),
        (Some(a), Some(c)) => format!("≥ {a:.2} {c}"),
        _ => "-".to_owned(),
    }
}

/// The monthly figure in force for a record (`12.34 USD/month`, `≥ …` for a lower bound),
/// for `idp list`, `idp status` and the sweep; `None` when destroyed or never priced.
pub fn record_monthly(r: &idp_state::Record) -> Option<String> {
    let c = r.costs.last()?;
    (r.status != idp_state::Status::Destroyed).then(|| {
        format!(
            "{}/month",
            money(Some(c.monthly), Some(&c.currency), c.complete)
        )
    })
}

fn day(t: Option<jiff::Timestamp>) -> String {
    t.map_or_else(
        || "never".to_owned(),
        |t| t.strftime("%Y-%m-%d %H:%M").to_string(),
    )
}

/// The end of an environment's life as a column: its expiry, or when it was destroyed.
fn until(e: &EnvironmentSpend) -> String {
    match e.destroyed_at {
        Some(t) => format!("destroyed {}", day(Some(t))),
        None => day(e.expires_at),
    }
}

fn env_row(e: &EnvironmentSpend) -> Vec<String> {
    let cur = e.currency.as_deref();
    vec![
        e.name.clone(),
        e.team.clone(),
        e.owner.clone(),
        e.template.clone(),
        e.status.to_string(),
        until(e),
        money(e.monthly, cur, e.complete),
        money(Some(e.accrued).filter(|_| cur.is_some()), cur, e.complete),
        match (e.projected, cur) {
            (None, Some(_)) if e.expires_at.is_none() => "never expires".to_owned(),
            _ => money(e.projected, cur, e.complete),
        },
        e.estimates.len().to_string(),
    ]
}

fn total_row(t: &GroupTotal) -> Vec<String> {
    let cur = Some(t.currency.as_str());
    vec![
        t.group.clone(),
        t.environments.to_string(),
        money(Some(t.monthly), cur, t.complete),
        money(Some(t.accrued), cur, t.complete),
        match t.projected {
            None => "unbounded (ttl never)".to_owned(),
            p => money(p, cur, t.complete),
        },
    ]
}

const ENV_HEADER: [&str; 10] = [
    "NAME",
    "TEAM",
    "OWNER",
    "TEMPLATE",
    "STATUS",
    "UNTIL",
    "MONTHLY",
    "ACCRUED",
    "PROJECTED",
    "ESTIMATES",
];

fn total_header(r: &CostReport) -> [&'static str; 5] {
    let group = match r.by {
        Some(idp_state::spend::GroupBy::Team) => "TEAM",
        Some(idp_state::spend::GroupBy::Owner) => "OWNER",
        Some(idp_state::spend::GroupBy::Template) => "TEMPLATE",
        None => "GROUP",
    };
    [group, "ENVIRONMENTS", "MONTHLY", "ACCRUED", "PROJECTED"]
}

/// Columns padded to their widest cell.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    let mut widths = vec![0usize; header.len()];
    for row in std::iter::once(&header).chain(rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        writeln!(out, "{}", cells.join("  ").trim_end()).ok();
    }
    out
}

fn heading(r: &CostReport) -> String {
    let since = r
        .since
        .map(|s| format!(" since {}", s.strftime("%Y-%m-%d %H:%M UTC")))
        .unwrap_or_default();
    format!(
        "cost of {} environment(s){since}, accrued to {}",
        r.environments.len(),
        r.now.strftime("%Y-%m-%d %H:%M UTC")
    )
}

const LOWER_BOUND_NOTE: &str =
    "≥: a lower bound, the price book lacked a price for some line (`idp pricing coverage`)";

/// `idp cost report` as tables: environments, then totals.
pub fn cost_report_human(r: &CostReport) -> String {
    if r.environments.is_empty() {
        return "no environments recorded in that window; `idp apply SPEC` records one\n"
            .to_owned();
    }
    let rows: Vec<Vec<String>> = r.environments.iter().map(env_row).collect();
    let totals: Vec<Vec<String>> = r.totals.iter().map(total_row).collect();
    let mut out = format!("{}\n\n", heading(r));
    out.push_str(&table(&ENV_HEADER, &rows));
    out.push('\n');
    out.push_str(&table(&total_header(r), &totals));
    if r.environments.iter().any(|e| !e.complete) {
        writeln!(out, "\n{LOWER_BOUND_NOTE}").ok();
    }
    out
}

/// Markdown table cell text: no line breaks, pipes escaped.
fn md(cell: &str) -> String {
    cell.replace(['\n', '\r'], " ").replace('|', "\\|")
}

fn md_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = format!("| {} |\n", header.join(" | "));
    writeln!(out, "|{}", "---|".repeat(header.len())).ok();
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| md(c)).collect();
        writeln!(out, "| {} |", cells.join(" | ")).ok();
    }
    out
}

/// `idp cost report --format markdown`: the same tables, for a pull request or a wiki.
pub fn cost_report_markdown(r: &CostReport) -> String {
    let rows: Vec<Vec<String>> = r.environments.iter().map(env_row).collect();
    let totals: Vec<Vec<String>> = r.totals.iter().map(total_row).collect();
    let mut out = format!("### {}\n\n", heading(r));
    out.push_str(&md_table(&ENV_HEADER, &rows));
    out.push('\n');
    out.push_str(&md_table(&total_header(r), &totals));
    if r.environments.iter().any(|e| !e.complete) {
        writeln!(out, "\n{LOWER_BOUND_NOTE}").ok();
    }
    out
}

/// `idp cost report --format json`: the report as computed, with the document version.
pub fn cost_report_json(r: &CostReport) -> Value {
    let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        o.insert("version".into(), json!(JSON_VERSION));
    }
    v
}

/// A CSV field: quoted when it holds a separator, a quote or a line break; a leading
/// `=`, `+`, `-` or `@` in text is defused so a spreadsheet never runs it as a formula.
fn csv_field(text: &str, numeric: bool) -> String {
    let text = match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') if !numeric => format!("'{text}"),
        _ => text.to_owned(),
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

fn amount(a: Option<f64>) -> String {
    a.map(|a| format!("{a:.2}")).unwrap_or_default()
}

fn ts(t: Option<jiff::Timestamp>) -> String {
    t.map(|t| t.to_string()).unwrap_or_default()
}

/// `idp cost report --format csv`: one row per environment, then one per group total
/// (`row` tells them apart); amounts with two decimals, empty when there is none.
pub fn cost_report_csv(r: &CostReport) -> String {
    let mut out = String::from(
        "row,group,name,team,owner,template,status,created_at,destroyed_at,expires_at,currency,monthly,accrued,projected,complete,environments,estimates\n",
    );
    for e in &r.environments {
        let text = [
            "environment",
            &e.group,
            &e.name,
            &e.team,
            &e.owner,
            &e.template,
            &e.status.to_string(),
        ];
        let numbers = [
            e.created_at.to_string(),
            ts(e.destroyed_at),
            ts(e.expires_at),
            e.currency.clone().unwrap_or_default(),
            amount(e.monthly),
            amount(e.currency.as_ref().map(|_| e.accrued)),
            amount(e.projected),
            e.complete.to_string(),
            "1".to_owned(),
            e.estimates.len().to_string(),
        ];
        push_csv(&mut out, &text, &numbers);
    }
    for t in &r.totals {
        let text = ["total", &t.group, "", "", "", "", ""];
        let numbers = [
            String::new(),
            String::new(),
            String::new(),
            t.currency.clone(),
            amount(Some(t.monthly)),
            amount(Some(t.accrued)),
            amount(t.projected),
            t.complete.to_string(),
            t.environments.to_string(),
            String::new(),
        ];
        push_csv(&mut out, &text, &numbers);
    }
    out
}

fn push_csv(out: &mut String, text: &[&str], numbers: &[String]) {
    let fields: Vec<String> = text
        .iter()
        .map(|t| csv_field(t, false))
        .chain(numbers.iter().map(|n| csv_field(n, true)))
        .collect();
    writeln!(out, "{}", fields.join(",")).ok();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("a,b", false), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\"", false), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)", false), "'=HYPERLINK(1)");
        assert_eq!(csv_field("-12.50", true), "-12.50");
    }
}
