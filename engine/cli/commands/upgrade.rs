//! `idp upgrade NAME [--to VERSION]`: the recorded environment re-rendered with another
//! version of its template, the difference shown, asked, then applied through the
//! configured executor. The planning and the difference are `idp_lifecycle::upgrade`'s;
//! this file asks, calls and prints.

use std::path::Path;

use idp_lifecycle::Executor;
use idp_lifecycle::upgrade::{self, Upgrade};
use serde_json::json;

use crate::args::{Format, UpgradeArgs};
use crate::context;
use crate::handoff::{self, confirm};
use crate::outcome::Outcome;
use crate::ui::{self, CliError};

pub fn run(config: Option<&Path>, args: &UpgradeArgs) -> Result<Outcome, CliError> {
    let clock = context::clock()?;
    let here = context::surroundings(config)?;
    let ctx = handoff::ctx(&here, clock);
    let stored = upgrade::upgradable(&ctx, &args.name)?;
    let record = &stored.record;
    let project = handoff::project(config, &here, record)?;
    let now = match &args.confirmed.request_id {
        Some(id) => idp_lifecycle::request_time(&ctx, id, Some(&args.name))?,
        None => clock.now(),
    };
    let target = upgrade::target(&project, record, args.to.as_deref())?;
    let json = args.format == Format::Json;
    if target.version == record.template_version {
        if json {
            ui::print_json(&json!({
                "version": idp_report::JSON_VERSION,
                "name": record.name, "template": record.template,
                "from": record.template_version, "to": target.version, "upgraded": false,
            }));
        } else {
            println!(
                "`{}` is already at template `{}` {}",
                record.name, record.template, record.template_version
            );
        }
        return Ok(Outcome::Clean);
    }
    let up = upgrade::prepare(&ctx, &project, &stored, target, now)?;
    if !json {
        print!("{}", up.to_text());
    }
    for f in &idp_report::findings(&up.after).0 {
        ui::eprint_diagnostic(f);
    }
    let done = apply(&ctx, &project, args, &up, now);
    if json {
        let mut doc = up.to_json();
        if let Some(o) = doc.as_object_mut() {
            o.insert("version".into(), json!(idp_report::JSON_VERSION));
            o.insert("upgraded".into(), json!(matches!(done, Ok(Applied::Yes))));
        }
        ui::print_json(&doc);
    }
    match done? {
        Applied::Denied => Ok(Outcome::Denied),
        Applied::Yes | Applied::No => Ok(Outcome::Clean),
    }
}

/// What became of a prepared upgrade.
enum Applied {
    Yes,
    No,
    Denied,
}

/// Asks (saying first when the version is marked breaking), then applies the upgraded
/// plan here or hands it to GitHub with the target version.
fn apply(
    ctx: &idp_lifecycle::Ctx,
    project: &idp_plan::Project,
    args: &UpgradeArgs,
    up: &Upgrade,
    now: jiff::Timestamp,
) -> Result<Applied, CliError> {
    if up.denied() {
        eprintln!("not upgraded: a policy denies it (see the findings above)");
        return Ok(Applied::Denied);
    }
    let how = &args.confirmed;
    if let Some(expected) = &how.expect_digest {
        idp_lifecycle::check_digest(&up.after, expected)?;
    }
    let github = handoff::github_settings(Some(&project.config), &how.run.handoff)?;
    let executor = handoff::executor(github.as_ref(), &how.run, "upgrade")?;
    if let Some(why) = &up.breaking {
        eprintln!(
            "warning: template `{}` {} is marked breaking: {why}",
            up.template, up.to
        );
    }
    let question = format!(
        "upgrade `{}` from template `{}` {} to {}{}?",
        up.name,
        up.template,
        up.from,
        up.to,
        handoff::through(github.as_ref())
    );
    if !confirm(&question, how.run.yes)? {
        eprintln!("not upgraded");
        return Ok(Applied::No);
    }
    let requested_by = handoff::requested_by();
    match executor {
        Executor::GitHub(h) => {
            let handed = upgrade::hand_off(ctx, up, &h, &requested_by, now)?;
            if let Some(failed) = handed.failure() {
                return Err(failed.into());
            }
        }
        Executor::Local(tool) => {
            let applied = upgrade::apply_here(ctx, project, up, tool.as_ref(), now);
            // Audited once the record moved to the version; a refusal changed nothing.
            let moved = project
                .records
                .get(&up.name)?
                .is_some_and(|r| r.template_version == up.to);
            if moved {
                let failed = applied.as_ref().err();
                let detail = upgrade::audit_detail(up);
                let at = ctx.clock.now();
                handoff::audit(
                    project.records.as_ref(),
                    &up.name,
                    "upgrade",
                    at,
                    failed,
                    detail,
                )?;
            }
            applied?;
        }
    }
    Ok(Applied::Yes)
}
