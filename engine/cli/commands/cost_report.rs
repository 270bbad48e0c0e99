//! `idp cost report`: cost over time from the records, wherever idp.kdl keeps them. The
//! figures are `idp_state::spend`'s (the portal serves the same); this parses, calls and
//! prints.

use std::path::Path;

use idp_state::spend::{self, GroupBy};

use crate::args::{CostReportArgs, CostReportFormat, GroupBy as GroupArg};
use crate::context;
use crate::outcome::Outcome;
use crate::ui::{self, CliError};

/// `--since`: a date (midnight UTC) or an RFC 3339 instant.
fn since(text: &str) -> Result<jiff::Timestamp, CliError> {
    if let Ok(t) = text.parse::<jiff::Timestamp>() {
        return Ok(t);
    }
    text.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| {
            CliError::usage(
                "idp::usage::since",
                format!("`--since {text}` is not a date"),
                "write a date like `2026-11-01` (midnight UTC) or an instant like `2026-11-01T09:00:00Z`",
            )
        })
}

pub fn run(config: Option<&Path>, args: &CostReportArgs) -> Result<Outcome, CliError> {
    let since = args.since.as_deref().map(since).transpose()?;
    let listing = context::records_only(config)?.list()?;
    for problem in &listing.problems {
        eprintln!("warning: skipped: {problem}");
    }
    let records: Vec<idp_state::Record> = listing.records.into_iter().map(|s| s.record).collect();
    let by = args.by.map(|b| match b {
        GroupArg::Team => GroupBy::Team,
        GroupArg::Owner => GroupBy::Owner,
        GroupArg::Template => GroupBy::Template,
    });
    let report = spend::report(&records, context::now()?, since, by);
    match args.format {
        CostReportFormat::Human => print!("{}", idp_report::cost_report_human(&report)),
        CostReportFormat::Markdown => print!("{}", idp_report::cost_report_markdown(&report)),
        CostReportFormat::Csv => print!("{}", idp_report::cost_report_csv(&report)),
        CostReportFormat::Json => ui::print_json(&idp_report::cost_report_json(&report)),
    }
    Ok(Outcome::Clean)
}
