//! `idp sweep`: destroy expired environments through the executor and warn about those
//! expiring soon (`idp_lifecycle::survey`, `sweep_dispatch`). Safe to re-run: what is
//! already being destroyed is not dispatched again, unless that destroy has stalled;
//! what cannot be destroyed, or failed `MAX_DESTROY_ATTEMPTS` times, is reported instead.

use std::path::Path;

use idp_state::{SweepAction, SweepItem};
use serde_json::json;

use crate::args::{Format, SweepArgs};
use crate::context;
use crate::handoff::{self, confirm};
use crate::outcome::Outcome;
use crate::progress;
use crate::ui::{self, CliError};

/// The warning window, written as a TTL is (`90m`, `24h`, `2d`, `1w`).
fn window(text: &str) -> Result<jiff::SignedDuration, CliError> {
    match text.parse::<idp_model::Ttl>() {
        Ok(idp_model::Ttl::Seconds(s)) => Ok(jiff::SignedDuration::from_secs(
            i64::try_from(s).unwrap_or(i64::MAX),
        )),
        _ => Err(CliError::usage(
            "idp::usage::duration",
            format!("`{text}` is not a duration"),
            "write it like `24h`, `90m` or `2d`",
        )),
    }
}

pub fn run(config: Option<&Path>, args: &SweepArgs) -> Result<Outcome, CliError> {
    let warn_within = window(&args.warn_within)?;
    // A dry run changes nothing, so it may look at any instant; a real sweep runs at
    // idp's clock.
    let clock = match args.dry_run {
        true => idp_lifecycle::Clock::at(context::now()?),
        false => context::clock()?,
    };
    let now = clock.now();
    let here = context::surroundings(config)?;
    let ctx = handoff::ctx(&here, clock);
    let survey = idp_lifecycle::survey(&ctx, warn_within)?;
    for problem in &survey.problems {
        eprintln!("warning: skipped: {problem}");
    }
    let items = &survey.items;
    let of = |a: SweepAction| items.iter().filter(move |i| i.action == a);
    match args.format {
        Format::Json => ui::print_json(&json!({
            "version": idp_report::JSON_VERSION,
            "dry_run": args.dry_run,
            "expired": of(SweepAction::Destroy).map(|i| item_json(i, now)).collect::<Vec<_>>(),
            "already_destroying": of(SweepAction::AlreadyDestroying).map(|i| item_json(i, now)).collect::<Vec<_>>(),
            "stalled": of(SweepAction::DestroyStalled).map(|i| item_json(i, now)).collect::<Vec<_>>(),
            "needs_attention": of(SweepAction::NeedsAttention).map(|i| item_json(i, now)).collect::<Vec<_>>(),
            "expiring": of(SweepAction::Warn).map(|i| item_json(i, now)).collect::<Vec<_>>(),
            "unreadable": survey.problems.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
        })),
        Format::Human => print_human(args, &here, items, now),
    }
    let expired: Vec<&SweepItem> = items.iter().filter(|i| i.action.dispatches()).collect();
    if args.dry_run || expired.is_empty() {
        return Ok(Outcome::Clean);
    }
    let Some(settings) = handoff::github_settings(here.config.as_ref(), &args.handoff)? else {
        return Err(CliError::usage(
            "idp::usage::sweep_local",
            "`idp sweep` destroys through the github executor; this project runs the local one",
            "pass `--executor github` (with `executor github { … }` in idp.kdl), or `--dry-run` to only list",
        ));
    };
    let handoff = handoff::connect(&settings, args.handoff.no_wait)?;
    if !confirm(
        &format!("destroy {} expired environment(s)?", expired.len()),
        args.yes,
    )? {
        eprintln!("nothing destroyed");
        return Ok(Outcome::Clean);
    }
    match dispatch(ctx, &handoff, &expired, args.quiet) {
        Some(e) => Err(e.into()),
        None => Ok(Outcome::Clean),
    }
}

/// Hands each expired environment to destroy, one at a time under a progress bar (its
/// events scroll above it); returns the last failure, as `sweep_dispatch` does.
fn dispatch(
    ctx: idp_lifecycle::Ctx<'_>,
    to: &idp_lifecycle::Handoff,
    expired: &[&SweepItem],
    quiet: bool,
) -> Option<idp_lifecycle::LifecycleError> {
    let bar = progress::bar(expired.len() as u64, "destroying", quiet);
    let heard = |event: idp_lifecycle::Event| {
        if bar.is_hidden() {
            handoff::print_event(event);
        } else {
            bar.println(idp_model::terminal_safe(&event.to_string()));
        }
    };
    let ctx = idp_lifecycle::Ctx {
        events: &heard,
        ..ctx
    };
    let requested_by = handoff::requested_by();
    let mut failed = None;
    for item in expired {
        bar.set_message(item.record.name.clone());
        failed = idp_lifecycle::sweep_dispatch(&ctx, to, &[item], &requested_by).or(failed);
        bar.inc(1);
    }
    bar.finish_and_clear();
    failed
}

fn print_human(
    args: &SweepArgs,
    here: &context::Surroundings,
    items: &[SweepItem],
    now: jiff::Timestamp,
) {
    if items.is_empty() {
        println!(
            "nothing expired or expiring within {} in {}",
            args.warn_within,
            here.records.location()
        );
    }
    let again = if args.dry_run {
        "would destroy again"
    } else {
        "destroying again"
    };
    for item in items {
        let what = match item.action {
            SweepAction::Destroy if args.dry_run => "expired: would destroy".to_owned(),
            SweepAction::Destroy => "expired: destroying".to_owned(),
            SweepAction::AlreadyDestroying => "expired: already being destroyed".to_owned(),
            SweepAction::DestroyStalled => format!(
                "expired: destroy dispatched {} never finished, {again}",
                idp_report::relative(item.record.updated_at, now)
            ),
            SweepAction::NeedsAttention => format!(
                "expired: not destroying ({})",
                item.reason().unwrap_or_default()
            ),
            SweepAction::Warn => "warning: expires soon".to_owned(),
        };
        println!("{what}  {}", idp_report::status_line(&item.record, now));
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
        "destroy_attempts": item.record.destroy_attempts,
        "reason": item.reason(),
        "monthly": item.record.costs.last().filter(|_| item.record.status != idp_state::Status::Destroyed).map(|c| json!({
            "amount": c.monthly, "currency": c.currency, "complete": c.complete,
        })),
    })
}
