//! `idp extend NAME 3d`: a longer life, judged by every policy before it is recorded
//! (`idp_lifecycle::judge`). With the spec gone, the extension is refused: nothing could
//! judge it.

use std::path::Path;

use serde_json::json;

use crate::args::{ExtendArgs, Format};
use crate::context;
use crate::handoff;
use crate::outcome::Outcome;
use crate::ui::{self, CliError};

pub fn run(config: Option<&Path>, args: &ExtendArgs) -> Result<Outcome, CliError> {
    let by = idp_lifecycle::parse_by(&args.by)?;
    let clock = context::clock()?;
    let here = context::surroundings(config)?;
    let ctx = handoff::ctx(&here, clock);
    let stored = idp_lifecycle::extendable(&ctx, &args.name)?;
    let project = handoff::project(config, &here, &stored.record)?;
    let judged = idp_lifecycle::judge(&ctx, &project, &args.name, by)?;
    let now = clock.now();
    if args.format == Format::Human {
        for f in &idp_report::findings(&judged.plan).0 {
            ui::eprint_diagnostic(f);
        }
    }
    let (lifetime, expires_at) = (judged.lifetime.clone(), judged.expires_at);
    if judged.denied() {
        if args.format == Format::Json {
            ui::print_json(&json!({
                "version": idp_report::JSON_VERSION,
                "name": args.name,
                "extended": false,
                "lifetime": lifetime,
                "plan": idp_report::plan_json(&judged.plan),
            }));
        }
        eprintln!(
            "not extended: a policy denies a lifetime of {lifetime} for `{}` (see above)",
            args.name
        );
        return Ok(Outcome::Denied);
    }
    let team = stored.record.team.clone();
    let recorded = idp_lifecycle::record_extension(&ctx, judged);
    let detail = json!({ "team": team, "extend_by": args.by, "expires_at": expires_at });
    handoff::audit(
        here.records.as_ref(),
        &args.name,
        "extend",
        now,
        recorded.as_ref().err(),
        detail,
    )?;
    recorded?;
    match args.format {
        Format::Json => ui::print_json(&json!({
            "version": idp_report::JSON_VERSION,
            "name": args.name,
            "extended": true,
            "lifetime": lifetime,
            "expires_at": expires_at,
        })),
        Format::Human => println!(
            "`{}` now expires {} ({}; a lifetime of {lifetime})",
            args.name,
            expires_at.strftime("%Y-%m-%d %H:%M UTC"),
            idp_report::relative(expires_at, now)
        ),
    }
    Ok(Outcome::Clean)
}
