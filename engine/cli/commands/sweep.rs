//! `idp sweep`: destroy expired environments through the executor and warn about those
//! expiring soon. Safe to re-run: what is already being destroyed is not dispatched again,
//! unless that destroy has stalled (`idp_state::DESTROY_STALLED_AFTER`).

use std::path::Path;

use idp_github::Workflow;
use idp_state::{SweepAction, SweepItem};
use serde_json::json;

use crate::args::{Format, SweepArgs};
use crate::commands::apply::confirm;
use crate::commands::destroy::destroy_inputs;
use crate::commands::handoff;
use crate::context;
use crate::outcome::Outcome;
use crate::ui::{self, CliError};

/// The warning window, written as a TTL is (`90m`, `24h`, `2d`, `1w`).
fn window(text: &str) -> Result<jiff::SignedDuration, CliError> {
    match text.parse::<idp_model::Ttl>() {
        Ok(idp_model::Ttl::Seconds(s)) => Ok(jiff::SignedDuration::from_secs(
            i64::try_from(s).unwrap_or(i64::MAX),
        )),
        _ => Err(CliError::usage(
            format!("`{text}` is not a duration"),
            "write it like `24h`, `90m` or `2d`",
        )),
    }
}

pub fn run(config: Option<&Path>, args: &SweepArgs) -> Result<Outcome, CliError> {
    let warn_within = window(&args.warn_within)?;
    let here = context::surroundings(config)?;
    let (project_config, records) = (here.config.as_ref(), here.records.as_ref());
    let now = context::now()?;
    let items = idp_state::sweep(&records.list()?, now, warn_within);
    let of = |a: SweepAction| items.iter().filter(move |i| i.action == a);
    match args.format {
        Format::Json => ui::print_json(&json!({
            "version": idp_report::JSON_VERSION,
            "dry_run": args.dry_run,
            "expired": of(SweepAction::Destroy).map(|i| item_json(i, now)).collect::<Vec<_>>(),
            "already_destroying": of(SweepAction::AlreadyDestroying).map(|i| item_json(i, now)).collect::<Vec<_>>(),
            "stalled": of(SweepAction::DestroyStalled).map(|i| item_json(i, now)).collect::<Vec<_>>(),
            "expiring": of(SweepAction::Warn).map(|i| item_json(i, now)).collect::<Vec<_>>(),
        })),
        Format::Human => {
            if items.is_empty() {
                println!(
                    "nothing expired or expiring within {} in {}",
                    args.warn_within,
                    records.location()
                );
            }
            let again = if args.dry_run {
                "would destroy again"
            } else {
                "destroying again"
            };
            for item in &items {
                let what = match item.action {
                    SweepAction::Destroy if args.dry_run => "expired: would destroy".to_owned(),
                    SweepAction::Destroy => "expired: destroying".to_owned(),
                    SweepAction::AlreadyDestroying => "expired: already being destroyed".to_owned(),
                    SweepAction::DestroyStalled => format!(
                        "expired: destroy dispatched {} never finished, {again}",
                        idp_report::relative(item.record.updated_at, now)
                    ),
                    SweepAction::Warn => "warning: expires soon".to_owned(),
                };
                println!("{what}  {}", idp_report::status_line(&item.record, now));
            }
        }
    }
    let expired: Vec<&SweepItem> = items.iter().filter(|i| i.action.dispatches()).collect();
    if args.dry_run || expired.is_empty() {
        return Ok(Outcome::Clean);
    }
    let Some(settings) = handoff::github_settings(project_config, &args.handoff)? else {
        return Err(CliError::usage(
            "`idp sweep` destroys through the github executor; this project runs the local one",
            "pass `--executor github` (with `executor github { … }` in idp.kdl), or `--dry-run` to only list",
        ));
    };
    let handoff = handoff::Handoff::connect(&settings, args.handoff.no_wait)?;
    if !confirm(
        &format!("destroy {} expired environment(s)?", expired.len()),
        args.yes,
    )? {
        eprintln!("nothing destroyed");
        return Ok(Outcome::Clean);
    }
    let mut failed = None;
    for item in expired {
        let inputs = destroy_inputs(&item.record, now);
        let marked = handoff::mark_destroying(project_config, records, &item.record, now)?;
        // One failure does not stop the sweep: the others still expire on schedule.
        let outcome = match handoff.dispatch(Workflow::Destroy, &inputs) {
            Ok(dispatched) => handoff.run_followed(Workflow::Destroy, &inputs, dispatched),
            Err(e) => {
                if marked {
                    records.put(&item.record)?;
                }
                Err(e)
            }
        };
        if let Err(e) = outcome {
            eprintln!("{:?}", e.report);
            failed = Some(e);
        }
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(Outcome::Clean),
    }
}

fn item_json(item: &SweepItem, now: jiff::Timestamp) -> serde_json::Value {
    json!({
        "name": item.record.name,
        "status": item.record.status,
        "owner": item.record.owner,
        "expires_at": item.record.expires_at,
        "relative": item.record.expires_at.map(|t| idp_report::relative(t, now)),
        "updated_at": item.record.updated_at,
    })
}
