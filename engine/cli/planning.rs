//! Planning as the commands share it: read the spec, run the pipeline, print the plan
//! (`plan`, `validate`, `apply` and `cost` call these; no command imports another).

use std::path::Path;

use idp_plan::{Pipeline, Plan, Stage};
use idp_spec::{SourceFile, SpecFile};

use crate::args::{Format, SpecArgs};
use crate::context;
use crate::ui::{self, CliError};

/// Reads and parses the spec file.
pub fn read_spec(path: &Path) -> Result<SpecFile, CliError> {
    let source = SourceFile::read(path).map_err(|e| {
        CliError::usage(
            "idp::usage::spec_unreadable",
            format!("cannot read `{}`: {e}", path.display()),
            "pass the path of an environment spec, such as `examples/orders-preview.kdl`",
        )
    })?;
    Ok(SpecFile::parse(source)?)
}

/// Runs the pipeline; with `--format json`, input problems are printed as JSON too.
pub fn make_plan(
    config: Option<&Path>,
    args: &SpecArgs,
    stage: Stage,
) -> Result<(idp_plan::Project, Plan), CliError> {
    make_plan_at(config, args, None, stage, context::now()?)
}

/// [`make_plan`] at a given instant (a dispatched request plans when it was confirmed),
/// of `posted` (a spec kept in the record store) instead of the file when given.
pub fn make_plan_at(
    config: Option<&Path>,
    args: &SpecArgs,
    posted: Option<String>,
    stage: Stage,
    now: jiff::Timestamp,
) -> Result<(idp_plan::Project, Plan), CliError> {
    let json = args.format == Format::Json;
    let result = (|| {
        let spec = match posted {
            Some(text) => SpecFile::parse(SourceFile::new(&args.spec, text))?,
            None => read_spec(&args.spec)?,
        };
        let project = context::project(config, &args.spec)?;
        let plan = Pipeline::new(&project)?.plan(&spec, args.env.as_deref(), stage, now)?;
        Ok::<_, CliError>((project, plan))
    })();
    let problems = match &result {
        Err(e) if json => e.report.downcast_ref::<idp_spec::Problems>().or_else(|| {
            match e.report.downcast_ref::<idp_plan::PlanError>() {
                Some(idp_plan::PlanError::Input(p)) => Some(p),
                _ => None,
            }
        }),
        _ => None,
    };
    if let Some(problems) = problems {
        ui::print_json(&idp_report::problems_json(&args.spec, problems));
    }
    result
}

/// Prints a plan in the chosen format; findings go to stderr as diagnostics.
pub fn print_plan(plan: &Plan, format: Format) {
    match format {
        Format::Json => ui::print_json(&idp_report::plan_json(plan)),
        Format::Human => {
            print!("{}", idp_report::plan_human(plan));
            let findings = idp_report::findings(plan);
            for f in &findings.0 {
                ui::eprint_diagnostic(f);
            }
        }
    }
}
