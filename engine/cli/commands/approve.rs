//! `idp approve NAME [--reason]` and `idp reject NAME --reason`: decide on a plan that
//! waits in PENDING_APPROVAL, as the user idp runs as (`IDP_REQUESTED_BY`, the CI actor,
//! `$USER`). The decision is `idp_lifecycle`'s; this file calls, audits and prints.

use std::path::Path;

use serde_json::json;

use crate::args::DecideArgs;
use crate::context;
use crate::handoff;
use crate::outcome::Outcome;
use crate::ui::CliError;

pub fn run(config: Option<&Path>, args: &DecideArgs, approve: bool) -> Result<Outcome, CliError> {
    let clock = context::clock()?;
    let here = context::surroundings(config)?;
    let ctx = handoff::ctx(&here, clock);
    let by = handoff::requested_by();
    let reason = args.reason.as_deref();
    let decided = if approve {
        idp_lifecycle::approve(&ctx, &args.name, &by, reason)
    } else {
        idp_lifecycle::reject(&ctx, &args.name, &by, reason.unwrap_or_default())
    };
    let event = if approve { "approve" } else { "reject" };
    let detail = match &decided {
        Ok(s) => json!({
            "team": s.record.team,
            "plan_digest": s.record.plan_digest,
            "reason": reason,
        }),
        Err(_) => json!({ "reason": reason }),
    };
    handoff::audit(
        here.records.as_ref(),
        &args.name,
        event,
        clock.now(),
        decided.as_ref().err(),
        detail,
    )?;
    let stored = decided?;
    println!(
        "`{}` {}: {} (plan {})",
        args.name,
        if approve { "approved" } else { "rejected" },
        stored.record.status,
        stored.record.plan_digest
    );
    Ok(Outcome::Clean)
}
