//! `idp extend NAME 3d`: a longer life, judged by every policy before it is recorded.
//!
//! The recorded spec is planned again with its TTL replaced by the whole new lifetime
//! (creation to new expiry), so max-ttl and any other policy judge exactly what would
//! be true after the extension, with findings pointing at the spec's `ttl` line.

use std::path::Path;

use idp_model::Ttl;
use idp_plan::{Pipeline, Stage};
use idp_spec::Spanned;
use idp_state::Status;
use serde_json::json;

use crate::args::{ExtendArgs, Format};
use crate::commands::plan::read_spec;
use crate::context;
use crate::outcome::Outcome;
use crate::ui::{self, CliError};

pub fn run(config: Option<&Path>, args: &ExtendArgs) -> Result<Outcome, CliError> {
    let by = match args.by.parse::<Ttl>() {
        Ok(Ttl::Seconds(s)) if s > 0 => s,
        _ => {
            return Err(CliError::usage(
                format!("`{}` is not a length of time to extend by", args.by),
                "write it like `12h`, `3d` or `1w`",
            ));
        }
    };
    let records = context::records_only(config)?;
    let mut record = records.require(&args.name)?;
    if matches!(record.status, Status::Destroying | Status::Destroyed) {
        return Err(CliError::usage(
            format!(
                "`{}` is {}; there is nothing to extend",
                record.name, record.status
            ),
            "apply its spec again to bring it back",
        ));
    }
    let Some(expires_at) = record.expires_at else {
        return Err(CliError::usage(
            format!("`{}` never expires", record.name),
            "only environments with a TTL can be extended",
        ));
    };
    let now = context::now()?;
    let new_expiry = expires_at
        .max(now)
        .checked_add(jiff::SignedDuration::from_secs(
            i64::try_from(by).unwrap_or(i64::MAX),
        ))
        .map_err(|_| {
            CliError::usage("that extension ends after the year 9999", "extend by less")
        })?;
    let lifetime = (new_expiry.as_second() - record.created_at.as_second()).unsigned_abs();

    // The spec recorded at apply; in S3 records it is named from the repository root.
    let mut spec = read_spec(&record.spec)?;
    let Some(env) = spec
        .environments
        .iter_mut()
        .find(|e| e.name.value == record.name)
    else {
        return Err(CliError::usage(
            format!(
                "`{}` no longer declares `{}`",
                record.spec.display(),
                record.name
            ),
            "apply the spec that declares it, or destroy the environment",
        ));
    };
    let span = env.ttl.as_ref().map_or(env.name.span, |t| t.span);
    env.ttl = Some(Spanned {
        value: Ttl::Seconds(lifetime),
        span,
    });
    let project = context::project(config, &record.spec)?;
    let plan = Pipeline::new(&project)?.plan(&spec, Some(&record.name), Stage::Emit, now)?;
    let denied = plan.denied();
    if args.format == Format::Human {
        for f in &idp_report::findings(&plan).0 {
            ui::eprint_diagnostic(f);
        }
    }
    let lifetime_text = Ttl::Seconds(lifetime).to_string();
    if denied {
        if args.format == Format::Json {
            ui::print_json(&json!({
                "version": idp_report::JSON_VERSION,
                "name": record.name,
                "extended": false,
                "lifetime": lifetime_text,
                "plan": idp_report::plan_json(&plan),
            }));
        }
        eprintln!(
            "not extended: a policy denies a lifetime of {lifetime_text} for `{}` (see above)",
            record.name
        );
        return Ok(Outcome::Denied);
    }
    record.expires_at = Some(new_expiry);
    record.extended_until = Some(new_expiry);
    record.ttl = lifetime_text.clone();
    record.updated_at = now;
    records.put(&record)?;
    match args.format {
        Format::Json => ui::print_json(&json!({
            "version": idp_report::JSON_VERSION,
            "name": record.name,
            "extended": true,
            "lifetime": lifetime_text,
            "expires_at": new_expiry,
        })),
        Format::Human => println!(
            "`{}` now expires {} ({}; a lifetime of {lifetime_text})",
            record.name,
            new_expiry.strftime("%Y-%m-%d %H:%M UTC"),
            idp_report::relative(new_expiry, now)
        ),
    }
    Ok(Outcome::Clean)
}
