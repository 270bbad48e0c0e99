//! `idp validate`: each spec named checked up to derive (no policies), reported in turn;
//! the run ends with the worst of their outcomes.

use std::path::Path;

use idp_plan::Stage;

use crate::args::{SpecArgs, ValidateArgs};
use crate::outcome::{Failure, Outcome};
use crate::ui::{self, CliError};

pub fn run(config: Option<&Path>, args: &ValidateArgs) -> Result<Outcome, CliError> {
    // One spec: its error is the run's, exactly as before several were accepted.
    if let [spec] = args.specs.as_slice() {
        return super::plan::run(config, &spec_args(args, spec), Stage::Validate);
    }
    let mut worst = Outcome::Clean;
    for spec in &args.specs {
        let outcome = match super::plan::run(config, &spec_args(args, spec), Stage::Validate) {
            Ok(outcome) => outcome,
            Err(e) => {
                ui::eprint_diagnostic(e.report.as_ref());
                match e.failure {
                    Failure::Input => Outcome::Invalid,
                    Failure::Plugin => Outcome::Failed,
                }
            }
        };
        worst = worse(worst, outcome);
    }
    Ok(worst)
}

fn spec_args(args: &ValidateArgs, spec: &Path) -> SpecArgs {
    SpecArgs {
        spec: spec.to_path_buf(),
        env: args.env.clone(),
        format: args.format,
    }
}

/// The outcome with the higher exit code.
fn worse(a: Outcome, b: Outcome) -> Outcome {
    let rank = |o: Outcome| match o {
        Outcome::Clean => 0,
        Outcome::Denied => 1,
        Outcome::Invalid => 2,
        Outcome::Failed => 3,
    };
    if rank(b) > rank(a) { b } else { a }
}
