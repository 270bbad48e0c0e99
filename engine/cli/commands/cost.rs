//! `idp cost`: the pipeline up to price, shown per resource, compared and budgeted.

use std::path::Path;

use idp_plan::{Plan, Stage};
use idp_price::Estimate;
use idp_report::CostRow;

use crate::args::{CostArgs, CostCommand, CostFormat, Format, SpecArgs};
use crate::context;
use crate::outcome::Outcome;
use crate::planning::make_plan;
use crate::ui::{self, CliError};
use idp_lifecycle::COST_FILE;

/// Every environment's estimate (a lower bound when incomplete), or the first reason one
/// could not be priced at all (exit 2).
fn estimates(plan: &Plan) -> Result<Vec<(&str, String, &Estimate)>, CliError> {
    plan.environments
        .iter()
        .map(|e| match &e.cost {
            Some(Ok(estimate)) => Ok((e.env.name.as_str(), e.env.ttl.to_string(), estimate)),
            // An incomplete estimate is shown as the lower bound it is; `--budget` refuses it.
            Some(Err(err)) => match err.estimate() {
                Some(estimate) => Ok((e.env.name.as_str(), e.env.ttl.to_string(), estimate)),
                None => Err(CliError::input(err.clone())),
            },
            None => Err(CliError::usage(
                "idp::usage::not_rendered",
                format!("`{}` was not rendered, so it has no bill", e.env.name),
                "run `idp plan` on the spec to see why",
            )),
        })
        .collect()
}

fn spec_args(spec: &Path, env: Option<String>, format: CostFormat) -> SpecArgs {
    SpecArgs {
        spec: spec.to_path_buf(),
        env,
        format: if format == CostFormat::Json {
            Format::Json
        } else {
            Format::Human
        },
    }
}

/// The estimate recorded when the environment `name` was applied.
fn recorded_estimate(config: Option<&Path>, name: &str) -> Result<(String, Estimate), CliError> {
    let store = context::state_only(config)?;
    let record = store.get(name)?.ok_or_else(|| {
        CliError::usage(
            "idp::usage::compare_target",
            format!("`{name}` is neither a spec file nor a recorded environment"),
            "compare with another spec (`--compare base.kdl`) or an applied environment (`idp list` shows them)",
        )
    })?;
    let path = store.env_dir(&record.name).join(COST_FILE);
    let text = std::fs::read_to_string(&path).map_err(|_| {
        CliError::usage(
            "idp::usage::no_recorded_estimate",
            format!("`{name}` has no recorded estimate"),
            "it was applied before idp recorded estimates, or in a region without prices; apply it again to record one",
        )
    })?;
    let estimate = serde_json::from_str(&text).map_err(|e| {
        CliError::usage(
            "idp::usage::recorded_estimate_unreadable",
            format!("the recorded estimate of `{name}` is unreadable: {e}"),
            "apply the environment again to record a fresh one",
        )
    })?;
    Ok((format!("{name} (as applied)"), estimate))
}

/// `--budget` cannot judge a lower bound unless the organisation's idp.kdl accepts it
/// (`pricing { incomplete "accept" }`): an input error naming what is missing.
fn judgeable(rows: &[CostRow<'_>], accept_incomplete: bool) -> Result<(), CliError> {
    let Some(row) = rows.iter().find(|r| !r.estimate.complete) else {
        return Ok(());
    };
    if accept_incomplete {
        return Ok(());
    }
    let e = row.estimate;
    let missing: Vec<String> = e
        .missing
        .iter()
        .map(|m| format!("`{}` `{}`", m.service_code, m.usage_type))
        .collect();
    Err(CliError::usage(
        "idp::usage::incomplete_estimate",
        format!(
            "`--budget` cannot judge `{}`: the price book has no price in `{}` for {}, so {:.2} {} a month is only a lower bound",
            row.name,
            e.region,
            missing.join(", "),
            e.monthly,
            e.currency
        ),
        format!(
            "{}; or let lower bounds pass with `pricing {{ incomplete \"accept\" }}` in the organisation's idp.kdl",
            e.remedy()
        ),
    ))
}

pub fn run(config: Option<&Path>, args: &CostArgs) -> Result<Outcome, CliError> {
    let spec = match (&args.report, &args.spec) {
        (Some(CostCommand::Report(report)), _) => return super::cost_report::run(config, report),
        (None, Some(spec)) => spec,
        (None, None) => {
            return Err(CliError::usage(
                "idp::usage::no_spec",
                "`idp cost` needs a spec",
                "give one (`idp cost env.kdl`), or ask for the report over time (`idp cost report`)",
            ));
        }
    };
    let (project, plan) = make_plan(
        config,
        &spec_args(spec, args.env.clone(), args.format),
        Stage::Judge,
    )?;
    let mut recorded: Option<(String, Estimate)> = None;
    let base_plan = match &args.compare {
        Some(base) if base.is_file() => {
            Some(make_plan(config, &spec_args(base, None, args.format), Stage::Judge)?.1)
        }
        Some(base) => {
            recorded = Some(recorded_estimate(config, &base.display().to_string())?);
            None
        }
        None => None,
    };
    let current = estimates(&plan)?;
    let base = match (&base_plan, &recorded) {
        (Some(p), _) => Some(estimates(p)?),
        (None, Some((name, e))) => Some(vec![(name.as_str(), String::new(), e)]),
        (None, None) => None,
    };
    let rows: Vec<CostRow<'_>> = current
        .iter()
        .map(|(name, ttl, estimate)| {
            let base = base.as_ref().and_then(|b| {
                b.iter()
                    .find(|(n, ..)| n == name)
                    .or_else(|| (b.len() == 1 && current.len() == 1).then(|| &b[0]))
                    .map(|(n, _, e)| (n.to_string(), *e))
            });
            CostRow {
                name,
                ttl: ttl.clone(),
                estimate,
                base,
            }
        })
        .collect();
    if let (Some(path), Some(b)) = (&args.compare, &base)
        && rows.iter().all(|r| r.base.is_none())
    {
        let names: Vec<&str> = b.iter().map(|(n, ..)| *n).collect();
        return Err(CliError::usage(
            "idp::usage::compare_no_environment",
            format!("no environment in `{}` to compare with", path.display()),
            format!(
                "compare a spec holding the same environment names (it has {})",
                names.join(", ")
            ),
        ));
    }
    match args.format {
        CostFormat::Human => print!("{}", idp_report::cost_human(&rows)),
        CostFormat::Markdown => print!("{}", idp_report::cost_markdown(&rows)),
        CostFormat::Json => ui::print_json(&idp_report::cost_json(spec, &rows, args.budget)),
    }
    if let Some(budget) = args.budget {
        judgeable(&rows, project.config.pricing.accept_incomplete)?;
        let over: Vec<String> = rows
            .iter()
            .filter(|r| r.estimate.monthly > budget)
            .map(|r| {
                format!(
                    "`{}` ({:.2} {})",
                    r.name, r.estimate.monthly, r.estimate.currency
                )
            })
            .collect();
        if !over.is_empty() {
            eprintln!("over budget: {} above {budget:.2} a month", over.join(", "));
            return Ok(Outcome::Denied);
        }
    }
    Ok(Outcome::Clean)
}
